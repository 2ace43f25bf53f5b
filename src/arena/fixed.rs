//! The fixed-size arena: a bump allocator over one block's data region.
//!
//! [`FixedSizeAllocator`] is an [`Allocator`] whose memory is a block (a transparent
//! newtype, so `Allocator::as_fixed_size` is a reference); [`BlockArena`] is that backing:
//! the block, its commit and retention state, and the slow path. The bump cursor itself is
//! the [`Allocator`]'s, shared with the standard kind.
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
use std::ptr::NonNull;

use super::{AllocError, Allocator, Backing, Bump};
use crate::block::{
    Block, BlockError, FixedSizeAllocatorMetadata, HUGE_PAGE, MemoryMode, TAIL_START, page_size,
};
use crate::geometry::{BLOCK_SIZE, BUFFER_SIZE, DATA_START, offset_of_ptr};

/// Smallest commit step: the smallest buffer the Node-API layer hands to JS
/// ([`MIN_BUFFER_SIZE`](crate::geometry::MIN_BUFFER_SIZE)), so that a block holding small
/// documents has committed all of the buffer JS holds, and its reset knows without a system
/// call that JS cannot have written past the committed prefix (see `Block::decommit`). In
/// noreserve mode committing is only accounting; in strict mode it is the commit charge.
pub const MIN_COMMIT_STEP: usize = 1 << 20;
const _: () = assert!(MIN_COMMIT_STEP >= crate::geometry::MIN_BUFFER_SIZE);
/// Largest commit step.
pub const MAX_COMMIT_STEP: usize = 64 << 20;
/// Default floor of committed bytes a block keeps across [`reset`](FixedSizeAllocator::reset).
pub const DEFAULT_RETAINED_BYTES: usize = 16 << 20;
/// Default ceiling of committed bytes a block keeps across resets. The policy (see
/// [`FixedSizeAllocator::reset`]) already gives back what a lone big use took; the
/// ceiling bounds what a steady stream of big uses keeps.
pub const DEFAULT_MAX_RETAINED_BYTES: usize = 1 << 30;
// Past `HUGE_PAGE` of committed memory, the committed end moves (up on commit, down on
// reset) in whole huge pages, so the kernel can back them with transparent huge pages
// (first touch then costs a fraction of 4 KiB faults) and no huge page straddles it.

const _: () = assert!(BUFFER_SIZE > TAIL_START && BUFFER_SIZE < BLOCK_SIZE);

/// An arena over one 4 GiB-aligned block, co-owned with JS buffers over it: an
/// [`Allocator`] whose backing is a block arena (always; only this module makes one).
#[repr(transparent)]
pub struct FixedSizeAllocator(Allocator);

/// A fixed-size arena's backing: the block, and what commit and retention need.
pub(crate) struct BlockArena {
    block: Block,
    /// Bumped on every reset, so JS views of an earlier use can tell they are stale.
    generation: u32,
    /// Floor of committed bytes kept on reset.
    retained_bytes: usize,
    /// Ceiling of committed bytes kept on reset.
    max_retained_bytes: usize,
    /// Bytes the previous use (between the two resets before) needed; `usize::MAX` when
    /// there is none to go by (a new block, or after `trim`).
    previous_used: usize,
}

impl FixedSizeAllocator {
    /// Reserve a new block, not attached to any pool.
    pub fn new() -> Result<Self, BlockError> {
        Self::with_tag(0)
    }

    pub(crate) fn with_tag(tag: u64) -> Result<Self, BlockError> {
        Ok(Self::over(Block::new(tag)?))
    }

    /// Reserve a new block asking for `mode` rather than the process's (for tests of both).
    #[cfg(test)]
    pub(crate) fn with_mode(mode: MemoryMode) -> Result<Self, BlockError> {
        Ok(Self::over(Block::with_mode(0, mode)?))
    }

    fn over(block: Block) -> Self {
        let base = block.base().as_ptr() as usize;
        Self(Allocator {
            // The data region starts past the hand-off record; nothing is committed yet.
            bump: Bump::at(base + DATA_START, base),
            backing: Backing::Block(BlockArena {
                block,
                generation: 1,
                retained_bytes: DEFAULT_RETAINED_BYTES,
                max_retained_bytes: DEFAULT_MAX_RETAINED_BYTES,
                previous_used: usize::MAX,
            }),
        })
    }

    /// The allocator a block-backed `Allocator` is, by reference (`Allocator::as_fixed_size`).
    pub(super) fn from_ref(a: &Allocator) -> Option<&Self> {
        match a.backing {
            // SAFETY: `FixedSizeAllocator` is `#[repr(transparent)]` over `Allocator`, so a
            // reference to one is a valid reference to the other, and its backing is a
            // block, the one invariant the type adds.
            Backing::Block(_) => Some(unsafe { &*(a as *const Allocator).cast::<Self>() }),
            Backing::Heap(_) => None,
        }
    }

    /// As [`from_ref`](Self::from_ref), mutably.
    pub(super) fn from_mut(a: &mut Allocator) -> Option<&mut Self> {
        match a.backing {
            // SAFETY: as in `from_ref`; the reference is unique because `a` is.
            Backing::Block(_) => Some(unsafe { &mut *(a as *mut Allocator).cast::<Self>() }),
            Backing::Heap(_) => None,
        }
    }

    pub(super) fn into_allocator(self) -> Allocator {
        self.0
    }

    fn bump(&self) -> &Bump {
        &self.0.bump
    }

    fn arena(&self) -> &BlockArena {
        match &self.0.backing {
            Backing::Block(b) => b,
            Backing::Heap(_) => {
                unreachable!("a FixedSizeAllocator is block-backed (made by `over` only)")
            }
        }
    }

    fn arena_mut(&mut self) -> (&Bump, &mut BlockArena) {
        match &mut self.0.backing {
            Backing::Block(b) => (&self.0.bump, b),
            Backing::Heap(_) => {
                unreachable!("a FixedSizeAllocator is block-backed (made by `over` only)")
            }
        }
    }

    /// Set the floor (`min`) and ceiling (`max`) of committed bytes [`reset`](Self::reset)
    /// keeps (rounded to pages). Between the two, a reset keeps what recent uses needed,
    /// past 2 MiB rounded down to whole 2 MiB huge pages.
    pub fn set_retention(&mut self, min: usize, max: usize) {
        let (_, arena) = self.arena_mut();
        arena.retained_bytes = min.next_multiple_of(page_size());
        arena.max_retained_bytes = max.max(min).next_multiple_of(page_size());
    }

    /// Give committed memory above the floor back to the OS now (e.g. when idle).
    pub fn trim(&mut self) {
        let (bump, arena) = self.arena_mut();
        arena.previous_used = usize::MAX;
        let keep = arena.retained_bytes;
        arena.decommit_above(bump, keep);
    }

    /// Allocate `layout`; the fast path is a bounds check against the committed end.
    #[inline(always)]
    pub fn try_alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        self.0.try_alloc_layout(layout)
    }

    /// Grow the most recent allocation `[ptr, ptr + old_size)` in place to `new_size` bytes.
    /// Returns `false` (and changes nothing) if it is not the most recent or does not fit.
    pub(crate) fn try_grow_last(&self, ptr: NonNull<u8>, old_size: usize, new_size: usize) -> bool {
        self.0.try_grow_last(ptr, old_size, new_size)
    }

    /// Forget every allocation, bump the generation and give committed memory back to the
    /// OS above what recent uses needed (kept between the retention floor and ceiling).
    ///
    /// It keeps what the last two uses needed, but at most twice the smaller of the two
    /// (past the floor): a steady stream of large documents keeps its pages and does not pay
    /// first-touch faults each time, and one huge document among small ones gives its
    /// memory back at its own reset.
    pub fn reset(&mut self) {
        let (bump, arena) = self.arena_mut();
        arena.reset(bump);
    }

    /// Bytes of the block in use: the hand-off record (`DATA_START` bytes) and what was
    /// allocated since the last reset (with alignment padding). JS needs `[0, used_bytes)`.
    pub fn used_bytes(&self) -> usize {
        self.arena().used_bytes(self.bump())
    }

    /// Forget what was allocated since [`used_bytes`](Self::used_bytes) was `used`: a
    /// producer's failed build in a block that already holds other results leaves nothing
    /// behind. The pages stay committed. Does nothing unless `used` is between the start of
    /// the data region and the current use. `&mut self`: no reference into what is forgotten
    /// can still be alive.
    #[cfg_attr(not(feature = "napi"), allow(dead_code))] // the job's, in the napi layer
    pub(crate) fn rewind(&mut self, used: usize) {
        if used >= DATA_START && used < self.used_bytes() {
            let base = self.arena().base_addr();
            self.bump().ptr.set(base + used);
        }
    }

    /// Bytes of the data region currently committed.
    pub fn committed_bytes(&self) -> usize {
        self.arena().committed_bytes(self.bump())
    }

    /// Bytes of the committed data region currently resident in RAM (from `mincore`).
    /// Pages JS wrote past the committed prefix (noreserve mode) are not counted: reset
    /// and trim give them back.
    pub fn resident_bytes(&self) -> usize {
        self.arena()
            .block
            .resident_bytes(self.committed_bytes().min(TAIL_START))
    }

    /// Bytes still free for allocation.
    pub fn remaining_bytes(&self) -> usize {
        self.arena().base_addr() + BUFFER_SIZE - self.bump().ptr.get()
    }

    /// Process-unique id of the block.
    pub fn id(&self) -> u32 {
        self.arena().block.metadata().id
    }

    /// Number of times the block has been reset, plus one (never 0).
    pub fn generation(&self) -> u32 {
        self.arena().generation
    }

    /// Base of the block (4 GiB-aligned); the JS buffer starts here.
    pub fn base_ptr(&self) -> NonNull<u8> {
        self.arena().block.base()
    }

    /// How the block is mapped: whether a JS write past the committed prefix faults.
    pub fn memory_mode(&self) -> MemoryMode {
        self.arena().block.mode()
    }

    /// The block's Rust-private metadata (owner count and id). (For the Node-API layer's
    /// JS owners: unused without it.)
    #[allow(dead_code)]
    pub(crate) fn metadata(&self) -> &FixedSizeAllocatorMetadata {
        self.arena().block.metadata()
    }

    /// Pointer to pass to the block layer's `free_fixed_size_allocator` from a JS buffer's
    /// finalizer. (For the Node-API layer: unused without it.)
    #[allow(dead_code)]
    pub(crate) fn metadata_ptr(&self) -> NonNull<FixedSizeAllocatorMetadata> {
        self.arena().block.metadata_ptr()
    }

    /// Whether `ptr` points into this block's data region.
    pub fn contains<T: ?Sized>(&self, ptr: *const T) -> bool {
        let addr = ptr.cast::<u8>() as usize;
        let base = self.arena().base_addr();
        addr >= base + DATA_START && addr <= base + BUFFER_SIZE
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

impl BlockArena {
    #[inline(always)]
    fn base_addr(&self) -> usize {
        self.block.base().as_ptr() as usize
    }

    pub(super) fn used_bytes(&self, bump: &Bump) -> usize {
        bump.ptr.get() - self.base_addr()
    }

    pub(super) fn committed_bytes(&self, bump: &Bump) -> usize {
        bump.end.get() - self.base_addr()
    }

    /// The slow path of an allocation of `layout`: commit more of the block (or fail with
    /// `BlockFull` / `CommitFailed`), then allocate.
    pub(super) fn alloc_slow(
        &self,
        bump: &Bump,
        layout: Layout,
    ) -> Result<NonNull<u8>, AllocError> {
        // No overflow: addresses are below 2^48 and the size rounded up to the alignment is
        // at most `isize::MAX`.
        let start = bump.ptr.get().next_multiple_of(layout.align());
        let end = start + layout.size();
        self.ensure_committed(bump, end, start)?;
        bump.ptr.set(end);
        // SAFETY: `start` is inside the committed data region of a live block, so it is not
        // null.
        Ok(unsafe { NonNull::new_unchecked(start as *mut u8) })
    }

    /// Commit enough of the data region for it to reach address `end`.
    pub(super) fn ensure_committed(
        &self,
        bump: &Bump,
        end: usize,
        start: usize,
    ) -> Result<(), AllocError> {
        let base = self.base_addr();
        let limit = base + BUFFER_SIZE;
        if end > limit {
            return Err(AllocError::BlockFull {
                requested: end.saturating_sub(start),
                remaining: limit.saturating_sub(bump.ptr.get()),
            });
        }
        let committed = bump.end.get() - base;
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
        bump.end.set(new_end);
        Ok(())
    }

    /// See [`FixedSizeAllocator::reset`].
    pub(super) fn reset(&mut self, bump: &Bump) {
        let used = self.used_bytes(bump);
        // Keep what the last two uses needed, so a steady workload finds its pages committed
        // (re-faulting them each round would cost more than the allocations); but at most
        // twice the smaller of the two (past the floor), so what one big use took among
        // small ones goes back at its own reset.
        let (high, low) = (used.max(self.previous_used), used.min(self.previous_used));
        let want = high.min(low.saturating_mul(2).saturating_add(self.retained_bytes));
        self.previous_used = used;
        bump.ptr.set(self.base_addr() + DATA_START);
        self.generation = self.generation.wrapping_add(1).max(1);
        let keep = want.clamp(self.retained_bytes, self.max_retained_bytes);
        self.decommit_above(bump, keep);
    }

    /// Keep at most `keep` bytes (past 2 MiB, in whole huge pages; and at least what is in
    /// use) committed; give the rest of the data region back to the OS (in noreserve mode,
    /// pages JS wrote past the committed prefix too: see `Block::decommit`).
    fn decommit_above(&mut self, bump: &Bump, keep: usize) {
        let base = self.base_addr();
        let committed = (bump.end.get() - base).min(TAIL_START);
        let used = self.used_bytes(bump);
        let mut keep = keep.max(used).next_multiple_of(page_size());
        if keep > HUGE_PAGE {
            keep = keep.next_multiple_of(HUGE_PAGE);
        }
        self.decommit_from(bump, keep.min(committed));
    }

    /// Give back the committed data region from `keep` (page-aligned, at most the committed
    /// end) on.
    fn decommit_from(&mut self, bump: &Bump, keep: usize) {
        let base = self.base_addr();
        let committed = (bump.end.get() - base).min(TAIL_START);
        let keep = keep.min(committed);
        self.block.decommit(keep, committed);
        if keep < committed {
            bump.end.set(base + keep);
        }
    }
}

impl FixedSizeAllocator {
    /// Write the hand-off record for this block's current contents at its start. `generation`
    /// is always this allocator's own, whatever `meta.generation` says. Fails only when the
    /// OS will not commit the block's first page (strict memory mode, nothing allocated yet).
    pub fn write_raw_metadata(
        &self,
        meta: crate::transfer::RawTransferMetadata,
    ) -> Result<(), AllocError> {
        let meta = crate::transfer::RawTransferMetadata {
            generation: self.generation(),
            ..meta
        };
        let base = self.arena().base_addr();
        self.arena()
            .ensure_committed(self.bump(), base + DATA_START, base)?;
        // JS may write the same bytes concurrently only if it misuses a stale view; a
        // volatile write keeps the compiler from assuming anything about them.
        // SAFETY: `[base, base + DATA_START)` holds exactly the record (geometry asserts it
        // fits, and `base` is 4 GiB-aligned), is committed (just ensured), and is owned by
        // this allocator: the arena never hands it out.
        unsafe {
            let ptr = self
                .base_ptr()
                .add(crate::geometry::RAW_METADATA_OFFSET)
                .cast::<crate::transfer::RawTransferMetadata>();
            ptr.write_volatile(meta);
        }
        Ok(())
    }

    /// Give back every page of the data region, the record's included: for a block its pool
    /// lets go of (a JS buffer may keep it mapped until the GC runs; it reads zeros).
    pub(crate) fn release_memory(&mut self) {
        let (bump, arena) = self.arena_mut();
        arena.previous_used = usize::MAX;
        let base = arena.base_addr();
        bump.ptr.set(base + DATA_START);
        arena.decommit_from(bump, 0);
    }
}
