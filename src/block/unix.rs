//! Unix blocks: reserve address space read-only, commit (read/write) with `mprotect` as the
//! arena grows, decommit by mapping fresh read-only pages over a range.
//!
//! Why read-only rather than `PROT_NONE`: a private mapping without write access is not
//! charged against the commit limit either, and its untouched pages read as zeros (the
//! kernel's shared zero page), so JS code that reads or copies the whole buffer
//! (`structuredClone`, `slice()`) gets zeros instead of a segmentation fault. Writes past the
//! committed prefix still fault: only Rust decides what is committed.
//!
//! Why this and not an aligned `malloc`: glibc's aligned allocation of a 4 GiB-aligned
//! region charges size + alignment (6 GiB) against the commit limit, so under
//! `vm.overcommit_memory=2` a couple of blocks exhaust it. A read-only private mapping is
//! not charged at all; `mprotect` to read/write charges only the pages it opens.

use std::io;
use std::ptr::NonNull;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::BlockError;
use crate::geometry::{BLOCK_ALIGN, BLOCK_MAPPED_SIZE};

/// What [`free`] needs: the mapping is exactly `[base, base + BLOCK_MAPPED_SIZE)`.
pub(crate) struct Release {
    base: usize,
}

/// The OS page size (read once).
pub(crate) fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if n <= 0 { 4096 } else { n as usize }
    })
}

/// Where the next block is likely to fit: the 4 GiB slot next to the last one reserved.
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

const RESERVE_PROT: libc::c_int = libc::PROT_READ;
const RESERVE_FLAGS: libc::c_int = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;

/// Reserve `BLOCK_MAPPED_SIZE` bytes of read-only address space at a 4 GiB boundary.
///
/// First tries the aligned slot next to the previous block, asking for exactly that address
/// (`MAP_FIXED_NOREPLACE`: never over an existing mapping), which needs only 2 GiB of
/// address space. Otherwise maps `BLOCK_ALIGN + BLOCK_MAPPED_SIZE` bytes (which must contain
/// an aligned start with room after it) and unmaps the unaligned head and the tail, so only
/// the block's own 2 GiB stays reserved.
pub(crate) fn reserve() -> Result<(NonNull<u8>, Release), BlockError> {
    let base = match reserve_at_hint() {
        Some(base) => base,
        None => reserve_over_aligned()?,
    };
    // Next time, try the slot below (mappings grow downward on Linux), then we fall back.
    NEXT_SLOT.store(base.saturating_sub(BLOCK_ALIGN), Ordering::Relaxed);
    // Ask for transparent huge pages where the kernel offers them on request: committed
    // memory is then faulted in 2 MiB at a time, which cuts first-touch cost several-fold.
    // Advisory only; failure (no THP support) changes nothing.
    // SAFETY: the range is exactly the block's mapping, which we own.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::madvise(
            base as *mut libc::c_void,
            BLOCK_MAPPED_SIZE,
            libc::MADV_HUGEPAGE,
        )
    };
    // SAFETY: `base` is inside a successful mapping, so it is not null.
    let base_ptr = unsafe { NonNull::new_unchecked(base as *mut u8) };
    Ok((base_ptr, Release { base }))
}

/// Map exactly the hinted 4 GiB-aligned slot, if it is free.
fn reserve_at_hint() -> Option<usize> {
    let mut hint = NEXT_SLOT.load(Ordering::Relaxed);
    if hint == 0 {
        hint = first_hint()?;
    }
    // SAFETY: `MAP_FIXED_NOREPLACE` never replaces an existing mapping: it maps exactly
    // `hint` or fails. (Kernels before 4.17 ignore the flag and treat `hint` as a plain hint;
    // the result is then checked and given back if it is elsewhere.)
    let addr = unsafe {
        libc::mmap(
            hint as *mut libc::c_void,
            BLOCK_MAPPED_SIZE,
            RESERVE_PROT,
            RESERVE_FLAGS | libc::MAP_FIXED_NOREPLACE,
            -1,
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return None;
    }
    if addr as usize != hint {
        // SAFETY: a mapping we just made and nobody else knows about.
        unsafe { libc::munmap(addr, BLOCK_MAPPED_SIZE) };
        return None;
    }
    Some(hint)
}

/// A first guess: the aligned slot below where the kernel puts new mappings now.
fn first_hint() -> Option<usize> {
    let page = page_size();
    // SAFETY: a one-page anonymous mapping, unmapped at once; only its address is used.
    let probe = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            page,
            libc::PROT_NONE,
            RESERVE_FLAGS,
            -1,
            0,
        )
    };
    if probe == libc::MAP_FAILED {
        return None;
    }
    // SAFETY: the mapping just made above.
    unsafe { libc::munmap(probe, page) };
    (probe as usize & !(BLOCK_ALIGN - 1))
        .checked_sub(BLOCK_ALIGN)
        .filter(|&a| a != 0)
}

/// Over-reserve so that an aligned slot must be inside, then trim to it.
fn reserve_over_aligned() -> Result<usize, BlockError> {
    let over = BLOCK_ALIGN + BLOCK_MAPPED_SIZE;
    // SAFETY: an anonymous mapping at an address of the kernel's choosing has no
    // preconditions; the result is checked below.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            over,
            RESERVE_PROT,
            RESERVE_FLAGS,
            -1,
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return Err(BlockError::Reserve(io::Error::last_os_error()));
    }
    let start = addr as usize;
    let base = start.next_multiple_of(BLOCK_ALIGN);
    let head = base - start;
    let tail_start = base + BLOCK_MAPPED_SIZE;
    let tail = start + over - tail_start;
    // SAFETY: `[start, base)` and `[tail_start, start + over)` are parts of the mapping just
    // made that the block does not use; unmapping page-aligned parts of our own mapping is
    // sound (both bounds are multiples of the 64 KiB mapped-size granule and of 4 GiB).
    unsafe {
        if head > 0 {
            libc::munmap(addr, head);
        }
        if tail > 0 {
            libc::munmap(tail_start as *mut libc::c_void, tail);
        }
    }
    Ok(base)
}

/// Commit the block's last 64 KiB, which holds both metadata records.
pub(crate) fn commit_tail(base: NonNull<u8>) -> Result<(), BlockError> {
    commit(base, BLOCK_MAPPED_SIZE - (1 << 16), BLOCK_MAPPED_SIZE)
}

/// Make `[base + from, base + to)` readable and writable (`from` and `to` page-aligned).
pub(crate) fn commit(base: NonNull<u8>, from: usize, to: usize) -> Result<(), BlockError> {
    debug_assert!(from <= to && to <= BLOCK_MAPPED_SIZE);
    debug_assert!(from % page_size() == 0 && to % page_size() == 0);
    if from == to {
        return Ok(());
    }
    // SAFETY: the range lies inside this block's mapping (asserted above), which we own.
    let rc = unsafe {
        libc::mprotect(
            base.as_ptr().add(from).cast(),
            to - from,
            libc::PROT_READ | libc::PROT_WRITE,
        )
    };
    if rc != 0 {
        return Err(BlockError::Commit(io::Error::last_os_error()));
    }
    Ok(())
}

/// Return `[base + from, base + to)` to the OS: its pages are dropped and its commit charge
/// released. `madvise(MADV_DONTNEED)` alone would keep the charge (Linux cannot lower a
/// private mapping's charge on `mprotect` either), so map fresh read-only pages over it.
pub(crate) fn decommit(base: NonNull<u8>, from: usize, to: usize) {
    debug_assert!(from <= to && to <= BLOCK_MAPPED_SIZE);
    if from == to {
        return;
    }
    // SAFETY: `MAP_FIXED` over a range of our own mapping replaces only that range.
    let addr = unsafe {
        libc::mmap(
            base.as_ptr().add(from).cast(),
            to - from,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    if addr != libc::MAP_FAILED {
        // The fresh mapping does not inherit the huge-page advice: repeat it.
        // SAFETY: as above, the range is ours; the advice is advisory.
        #[cfg(target_os = "linux")]
        unsafe {
            libc::madvise(
                base.as_ptr().add(from).cast(),
                to - from,
                libc::MADV_HUGEPAGE,
            )
        };
    } else {
        // Replacing a mapping with an uncharged one can only fail for lack of kernel memory
        // for the VMA split. The pages stay committed and usable: drop their contents so at
        // least the memory is reclaimable.
        // SAFETY: as above, the range is ours; MADV_DONTNEED on it only zeroes it.
        unsafe {
            libc::madvise(
                base.as_ptr().add(from).cast(),
                to - from,
                libc::MADV_DONTNEED,
            )
        };
    }
}

/// Resident bytes in `[base, base + len)` (`len` page-aligned), from `mincore`.
pub(crate) fn resident_bytes(base: NonNull<u8>, len: usize) -> usize {
    let page = page_size();
    let pages = len.div_ceil(page);
    if pages == 0 {
        return 0;
    }
    let mut vec = vec![0u8; pages];
    // SAFETY: the range is inside the block's mapping and `vec` has one byte per page.
    let rc = unsafe { libc::mincore(base.as_ptr().cast(), pages * page, vec.as_mut_ptr().cast()) };
    if rc != 0 {
        return 0;
    }
    vec.iter().filter(|&&b| b & 1 != 0).count() * page
}

/// Unmap the whole block.
///
/// # Safety
/// Nothing may use the block afterwards.
pub(crate) unsafe fn free(release: &Release) {
    // SAFETY: the caller guarantees the block is unused; the range is exactly our mapping.
    unsafe { libc::munmap(release.base as *mut libc::c_void, BLOCK_MAPPED_SIZE) };
}

/// Whether the OS would commit `len` more bytes right now: map them read/write (which is
/// charged against the commit limit under `vm.overcommit_memory=2`) and unmap at once.
/// Used before asking the JS engine for a large buffer, since V8 aborts the process when
/// such an allocation fails instead of reporting it.
#[cfg_attr(not(feature = "napi"), allow(dead_code))]
pub(crate) fn can_commit(len: usize) -> bool {
    // SAFETY: a fresh anonymous mapping of our own, never touched, unmapped right away.
    unsafe {
        let addr = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if addr == libc::MAP_FAILED {
            return false;
        }
        libc::munmap(addr, len);
    }
    true
}
