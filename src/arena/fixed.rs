//! The fixed-size arena: a bump allocator over one block's data region.
//!
//! The cursor moves upward from the block base, so the committed part of the data region
//! is always a prefix `[B, committed_end)` that grows in steps (a quarter of what is
//! committed, between [`MIN_COMMIT_STEP`] and [`MAX_COMMIT_STEP`]) and shrinks back to the
//! retention threshold on [`reset`](FixedSizeAllocator::reset). Cursor and bounds live in
//! this Rust value, never in the block: JS can write anywhere in its buffer without
//! steering Rust. (Whether a JS write past the committed prefix is harmless or a SIGSEGV
//! is the block's [`MemoryMode`]; Rust never assumes fresh memory is zeroed, so pages JS
//! wrote before Rust committed them are fine too.)

use std::alloc::Layout;
use std::cell::Cell;
use std::ptr::NonNull;

use super::AllocError;
use crate::block::{
    Block, BlockError, FixedSizeAllocatorMetadata, HUGE_PAGE, MemoryMode, TAIL_START, page_size,
};
use crate::geometry::{ACTIVE_SIZE, BLOCK_SIZE, offset_of_ptr};

/// Smallest commit step.
pub const MIN_COMMIT_STEP: usize = 256 << 10;
/// Largest commit step.
pub const MAX_COMMIT_STEP: usize = 64 << 20;
/// Default floor of committed bytes a block keeps across [`reset`](FixedSizeAllocator::reset).
pub const DEFAULT_RETAINED_BYTES: usize = 16 << 20;
/// Default ceiling of committed bytes a block keeps across resets: the retention threshold.
pub const DEFAULT_MAX_RETAINED_BYTES: usize = 256 << 20;
// Past `HUGE_PAGE` of committed memory, the committed end moves (up on commit, down on
// reset) in whole huge pages, so the kernel can back them with transparent huge pages
// (first touch then costs a fraction of 4 KiB faults) and no huge page straddles it.

const _: () = assert!(ACTIVE_SIZE > TAIL_START && ACTIVE_SIZE < BLOCK_SIZE);

/// An arena over one 4 GiB-aligned block, co-owned with JS buffers over it.
pub struct FixedSizeAllocator {
    block: Block,
    /// Address of the next free byte.
    cursor: Cell<usize>,
    /// End of the committed prefix of the data region (an address).
    committed_end: Cell<usize>,
    /// Bumped on every reset, so JS views of an earlier use can tell they are stale.
    generation: u32,
    /// Floor of committed bytes kept on reset.
    retained_bytes: usize,
    /// Ceiling of committed bytes kept on reset.
    max_retained_bytes: usize,
    /// Recent peak use, halved at each reset: what the next uses probably need.
    recent_peak: usize,
}

impl FixedSizeAllocator {
    /// Reserve a new block, not attached to any pool.
    pub fn new() -> Result<Self, BlockError> {
        Self::with_pool_id(0)
    }

    pub(crate) fn with_pool_id(pool_id: u64) -> Result<Self, BlockError> {
        Self::over(Block::new(pool_id)?)
    }

    /// Reserve a new block asking for `mode` rather than the process's (for tests of both).
    #[cfg(test)]
    pub(crate) fn with_mode(mode: MemoryMode) -> Result<Self, BlockError> {
        Self::over(Block::with_mode(0, mode)?)
    }

    fn over(block: Block) -> Result<Self, BlockError> {
        let base = block.base().as_ptr() as usize;
        Ok(Self {
            block,
            cursor: Cell::new(base),
            committed_end: Cell::new(base),
            generation: 1,
            retained_bytes: DEFAULT_RETAINED_BYTES,
            max_retained_bytes: DEFAULT_MAX_RETAINED_BYTES,
            recent_peak: 0,
        })
    }

    /// Set the floor (`min`) and ceiling (`max`) of committed bytes [`reset`](Self::reset)
    /// keeps (rounded to pages). Between the two, a reset keeps what recent uses needed,
    /// past 2 MiB rounded down to whole 2 MiB huge pages.
    pub fn set_retention(&mut self, min: usize, max: usize) {
        self.retained_bytes = min.next_multiple_of(page_size());
        self.max_retained_bytes = max.max(min).next_multiple_of(page_size());
    }

    /// Give committed memory above the floor back to the OS now (e.g. when idle).
    pub fn trim(&mut self) {
        self.recent_peak = 0;
        self.decommit_above(self.retained_bytes);
    }

    /// Keep at most `keep` bytes (past 2 MiB, in whole huge pages; and at least what is in
    /// use) committed; give the rest of the data region back to the OS (in noreserve mode,
    /// pages JS wrote past the committed prefix too: see `Block::decommit`).
    fn decommit_above(&mut self, keep: usize) {
        let base = self.base_addr();
        let committed = (self.committed_end.get() - base).min(TAIL_START);
        let mut keep = keep.next_multiple_of(page_size());
        if keep > HUGE_PAGE {
            keep -= keep % HUGE_PAGE;
        }
        let used = self.used_bytes().next_multiple_of(page_size());
        let keep = keep.max(used).min(committed);
        self.block.decommit(keep, committed);
        if keep < committed {
            self.committed_end.set(base + keep);
        }
    }

    #[inline(always)]
    fn base_addr(&self) -> usize {
        self.block.base().as_ptr() as usize
    }

    /// Allocate `layout`; the fast path is a bounds check against the committed end.
    #[inline(always)]
    pub fn try_alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        let cursor = self.cursor.get();
        // No overflow: addresses are below 2^48 and `size` is at most `isize::MAX`.
        let start = (cursor + layout.align() - 1) & !(layout.align() - 1);
        let end = start + layout.size();
        if end <= self.committed_end.get() {
            self.cursor.set(end);
            // SAFETY: `start` is inside the committed data region of a live block, so it is
            // not null.
            return Ok(unsafe { NonNull::new_unchecked(start as *mut u8) });
        }
        self.alloc_slow(start, end)
    }

    #[inline(never)]
    #[cold]
    fn alloc_slow(&self, start: usize, end: usize) -> Result<NonNull<u8>, AllocError> {
        self.ensure_committed(end, start)?;
        self.cursor.set(end);
        // SAFETY: as in the fast path.
        Ok(unsafe { NonNull::new_unchecked(start as *mut u8) })
    }

    /// Commit enough of the data region for it to reach address `end`.
    fn ensure_committed(&self, end: usize, start: usize) -> Result<(), AllocError> {
        let base = self.base_addr();
        let limit = base + ACTIVE_SIZE;
        if end > limit {
            return Err(AllocError::BlockFull {
                requested: end.saturating_sub(start),
                remaining: limit.saturating_sub(self.cursor.get()),
            });
        }
        let committed = self.committed_end.get() - base;
        let needed = end - base;
        if needed <= committed {
            return Ok(());
        }
        let step = (committed / 4).clamp(MIN_COMMIT_STEP, MAX_COMMIT_STEP);
        let want = needed.max(committed + step);
        let granule = if want > HUGE_PAGE {
            HUGE_PAGE
        } else {
            page_size()
        };
        let target = want.next_multiple_of(granule).min(TAIL_START);
        self.block
            .commit(committed, target)
            .map_err(|_| AllocError::CommitFailed)?;
        // Past TAIL_START the memory was committed at creation.
        let new_end = if target == TAIL_START {
            limit
        } else {
            base + target
        };
        self.committed_end.set(new_end);
        Ok(())
    }

    /// Grow the most recent allocation `[ptr, ptr + old_size)` in place to `new_size` bytes.
    /// Returns `false` (and changes nothing) if it is not the most recent or does not fit.
    pub(crate) fn try_grow_last(&self, ptr: NonNull<u8>, old_size: usize, new_size: usize) -> bool {
        let start = ptr.as_ptr() as usize;
        if start + old_size != self.cursor.get() {
            return false;
        }
        let end = start + new_size;
        if end > self.committed_end.get() && self.ensure_committed(end, start).is_err() {
            return false;
        }
        self.cursor.set(end);
        true
    }

    /// Forget every allocation, bump the generation and give committed memory back to the
    /// OS above what recent uses needed (kept between the retention floor and ceiling).
    ///
    /// The recent peak halves at every reset, so one huge document is followed by a few
    /// uses' worth of its memory at most, never pinned for ever; a steady stream of large
    /// documents keeps its pages and does not pay first-touch faults each time.
    pub fn reset(&mut self) {
        let used = self.used_bytes();
        self.recent_peak = used.max(self.recent_peak / 2);
        self.cursor.set(self.base_addr());
        self.generation = self.generation.wrapping_add(1).max(1);
        let keep = self
            .recent_peak
            .clamp(self.retained_bytes, self.max_retained_bytes);
        self.decommit_above(keep);
    }

    /// Bytes allocated since the last reset (including alignment padding).
    pub fn used_bytes(&self) -> usize {
        self.cursor.get() - self.base_addr()
    }

    /// Bytes of the data region currently committed.
    pub fn committed_bytes(&self) -> usize {
        self.committed_end.get() - self.base_addr()
    }

    /// Bytes of the committed data region currently resident in RAM (from `mincore`).
    /// Pages JS wrote past the committed prefix (noreserve mode) are not counted: reset
    /// and trim give them back.
    pub fn resident_bytes(&self) -> usize {
        self.block
            .resident_bytes(self.committed_bytes().min(TAIL_START))
    }

    /// Bytes still free for allocation.
    pub fn remaining_bytes(&self) -> usize {
        self.base_addr() + ACTIVE_SIZE - self.cursor.get()
    }

    /// Process-unique id of the block.
    pub fn id(&self) -> u32 {
        self.block.metadata().id
    }

    /// Number of times the block has been reset, plus one (never 0).
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Base of the block (4 GiB-aligned); the JS buffer starts here.
    pub fn base_ptr(&self) -> NonNull<u8> {
        self.block.base()
    }

    /// How the block is mapped: whether a JS write past the committed prefix faults.
    pub fn memory_mode(&self) -> MemoryMode {
        self.block.mode()
    }

    /// The block's Rust-private metadata (owner count and id).
    pub fn metadata(&self) -> &FixedSizeAllocatorMetadata {
        self.block.metadata()
    }

    /// Pointer to pass to [`free_fixed_size_allocator`](crate::free_fixed_size_allocator)
    /// from a JS buffer's finalizer.
    pub fn metadata_ptr(&self) -> NonNull<FixedSizeAllocatorMetadata> {
        self.block.metadata_ptr()
    }

    /// Whether `ptr` points into this block's data region.
    pub fn contains<T: ?Sized>(&self, ptr: *const T) -> bool {
        let addr = ptr.cast::<u8>() as usize;
        let base = self.base_addr();
        addr >= base && addr <= base + ACTIVE_SIZE
    }

    /// Byte offset of `ptr` in the JS buffer: its low 32 bits.
    ///
    /// Debug builds check that `ptr` is inside this block.
    #[inline(always)]
    pub fn offset_of<T: ?Sized>(&self, ptr: *const T) -> u32 {
        debug_assert!(
            self.contains(ptr),
            "pointer {ptr:p} is not inside block {}",
            self.id()
        );
        offset_of_ptr(ptr.cast::<u8>() as usize)
    }
}
