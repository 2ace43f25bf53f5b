//! Blocks on platforms without `mmap` (Windows and others): one System allocation of
//! 4 GiB aligned on 2 GiB, of which the 4 GiB-aligned half is used, as the reference
//! implementation does. Nothing is committed on demand: the OS (Windows commits on first
//! touch within the allocation's reservation) decides. The whole block is writable, so its
//! blocks are [`MemoryMode::NoReserve`] whatever the mode asked (JS writes anywhere never
//! fault), although the allocation may be charged in full. This file cannot be compiled on
//! the machines this project is built and tested on (Linux only); it is kept small for that
//! reason.

use std::alloc::{Layout, alloc, dealloc};
use std::io;
use std::ptr::NonNull;

use super::{BlockError, MemoryMode};
use crate::geometry::BLOCK_ALIGN;

const LAYOUT: Layout = match Layout::from_size_align(BLOCK_ALIGN, BLOCK_ALIGN / 2) {
    Ok(l) => l,
    Err(_) => panic!("bad layout"),
};

pub(crate) struct Release {
    ptr: usize,
}

/// Freed blocks are freed: their pages cannot be given back while they stay allocated.
pub(crate) const SPARES_SUPPORTED: bool = false;

pub(crate) fn page_size() -> usize {
    4096
}

pub(crate) fn default_mode() -> MemoryMode {
    MemoryMode::NoReserve
}

pub(crate) fn reserve(_mode: MemoryMode) -> Result<(NonNull<u8>, MemoryMode, Release), BlockError> {
    // SAFETY: LAYOUT has non-zero size. Never `alloc_zeroed`: with this alignment it
    // would touch all 4 GiB.
    let ptr = unsafe { alloc(LAYOUT) };
    if ptr.is_null() {
        return Err(BlockError::Reserve(io::Error::from(
            io::ErrorKind::OutOfMemory,
        )));
    }
    let start = ptr as usize;
    // `start` is 2 GiB-aligned, so either it or `start + 2 GiB` is 4 GiB-aligned, and the
    // 2 GiB from there lie inside the 4 GiB allocation.
    let base = start.next_multiple_of(BLOCK_ALIGN);
    // SAFETY: `base` is inside the allocation, so it is not null.
    let base = unsafe { NonNull::new_unchecked(base as *mut u8) };
    Ok((base, MemoryMode::NoReserve, Release { ptr: start }))
}

pub(crate) fn commit_tail(_base: NonNull<u8>, _mode: MemoryMode) -> Result<(), BlockError> {
    Ok(())
}

pub(crate) fn commit(_base: NonNull<u8>, _from: usize, _to: usize) -> Result<(), BlockError> {
    Ok(())
}

pub(crate) fn decommit(_base: NonNull<u8>, _from: usize, _to: usize) {}

pub(crate) fn discard(_base: NonNull<u8>, _from: usize, _to: usize) {}

pub(crate) fn advise_huge_pages_from_start(_base: NonNull<u8>, _huge: bool) {}

/// Unknown: every decommit of a block JS held then sweeps (a no-op here).
pub(crate) fn fault_count() -> Option<u64> {
    None
}

pub(crate) fn resident_bytes(_base: NonNull<u8>, len: usize) -> usize {
    len
}

/// # Safety
/// Nothing may use the block afterwards.
pub(crate) unsafe fn free(release: &Release) {
    // SAFETY: `ptr` came from `alloc(LAYOUT)` and is freed once (caller's duty).
    unsafe { dealloc(release.ptr as *mut u8, LAYOUT) };
}
