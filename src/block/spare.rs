//! Spare blocks: blocks whose last owner let go, wiped and kept mapped for the next block
//! the process makes (see [`keep_or_free`]).

use std::ptr::NonNull;

use parking_lot::Mutex;

use super::{MemoryMode, give_back, os};

/// How many freed blocks the process keeps mapped for its next blocks (see [`keep_or_free`]).
pub(super) const SPARE_BLOCKS: usize = 8;

/// How much of a noreserve spare's data region is kept resident (zeroed) for its next use:
/// the hand-off record and a small document's first pages.
pub(super) const SPARE_RESIDENT: usize = 16 << 10;

/// Blocks whose last owner let go, wiped and kept for [`Block::with_mode`](super::Block::with_mode): `(base, mode,
/// release)`. Not live (not in `LIVE_BLOCKS`, not in any statistics), but mapped, so they
/// count toward the mapping headroom.
pub(super) static SPARES: Mutex<Vec<(usize, MemoryMode, os::Release)>> = Mutex::new(Vec::new());

/// Freed blocks kept mapped for reuse (see [`keep_or_free`]).
pub(crate) fn spare_blocks() -> usize {
    SPARES.lock().len()
}

/// Give a block that has no owner left back to the OS, or keep it as a spare.
///
/// Making a block costs a mapping of 2 GiB, the page-table pages of both of its ends and a
/// page fault 2 GiB away from its data for the metadata: about 10 µs, most of a first
/// hand-off's cost, against well under 1 µs for a block that was already made. So the
/// process keeps up to [`SPARE_BLOCKS`] freed blocks mapped, with their data pages given
/// back as a reset gives them back (`Block::decommit`: dropped in noreserve mode, including
/// any JS wrote past the committed prefix, except the first [`SPARE_RESIDENT`] bytes, which
/// are zeroed and kept resident; replaced by fresh read-only pages in strict mode), and a
/// new block (of any pool, on any thread) takes one before it maps a new one. What a spare
/// keeps is its metadata page, page tables and 16 KiB of zeroed data: tens of KiB of
/// memory, and 2 GiB of address space. Only where blocks are mappings (Unix): elsewhere a
/// freed block's pages cannot be given back without freeing it.
///
/// # Safety
/// The block at `base` has no owner and is out of `LIVE_BLOCKS`; `release` is its own.
pub(super) unsafe fn keep_or_free(
    base: NonNull<u8>,
    mode: MemoryMode,
    committed: usize,
    exposed: bool,
    release: os::Release,
) {
    if os::SPARES_SUPPORTED {
        let mut spares = SPARES.lock();
        if spares.len() < SPARE_BLOCKS {
            // Wiped under the lock, so a spare is only ever seen wiped: as a reset wipes,
            // past the committed prefix too if a JS buffer may have written there. In
            // noreserve mode the first pages are zeroed and made resident instead (the next
            // owner's first writes land there: a page fault here rather than in its first
            // hand-off).
            let keep = match mode {
                MemoryMode::Strict => 0,
                MemoryMode::NoReserve => SPARE_RESIDENT,
            };
            give_back(base, mode, keep, committed.max(keep), || exposed);
            // SAFETY: `[base, base + keep)` is inside the data region, mapped read/write
            // (noreserve; `keep` is 0 in strict mode), and nothing can reach the block but us.
            unsafe { std::ptr::write_bytes(base.as_ptr(), 0, keep) };
            spares.push((base.as_ptr() as usize, mode, release));
            return;
        }
    }
    // SAFETY: the caller's guarantee: nothing can reach the block.
    unsafe { os::free(&release) };
}

/// A spare block made in `mode` (see [`keep_or_free`]), if there is one.
pub(super) fn take_spare(mode: MemoryMode) -> Option<(NonNull<u8>, MemoryMode, os::Release)> {
    let mut spares = SPARES.lock();
    let i = spares.iter().rposition(|s| s.1 == mode)?;
    let (base, mode, release) = spares.swap_remove(i);
    // SAFETY: spares are mapped blocks, whose bases are not null.
    Some((
        unsafe { NonNull::new_unchecked(base as *mut u8) },
        mode,
        release,
    ))
}
