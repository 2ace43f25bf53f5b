//! One aligned block: reserve, commit on demand, decommit, free; and the Rust-private
//! metadata that makes Rust and JS co-owners of it.
//!
//! ```text
//!  B                                      B+BUFFER_SIZE                  B+BLOCK_SIZE
//!  | data region ... | RawTransferMetadata | FixedSizeAllocatorMetadata |
//!  |<-- committed -->|  read-only (zeros) |<-------- last page, committed at creation -->|
//! ```
//!
//! The owner count is the whole ownership protocol. Every owner (the Rust
//! [`FixedSizeAllocator`](crate::FixedSizeAllocator), each live JS `ArrayBuffer` over the
//! block) holds one count; [`free_fixed_size_allocator`] drops one and the call that drops
//! the last unmaps the block. It never touches a JS environment, so a finalizer may call
//! it from any thread.

use std::fmt;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering, fence};

use parking_lot::Mutex;

use crate::geometry::{BLOCK_ALIGN, FIXED_METADATA_OFFSET};

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as os;
#[cfg(not(unix))]
mod system;
#[cfg(not(unix))]
use system as os;

#[cfg_attr(not(feature = "napi"), allow(unused_imports))]
pub(crate) use os::can_commit;
pub(crate) use os::page_size;

/// Why a block could not be created or grown.
#[derive(Debug)]
pub enum BlockError {
    /// The OS refused address space for the block (e.g. `ulimit -v`).
    Reserve(std::io::Error),
    /// The OS refused to commit memory (e.g. `vm.overcommit_memory=2` and the commit limit
    /// is reached).
    Commit(std::io::Error),
}

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reserve(e) => write!(
                f,
                "could not reserve 4 GiB-aligned address space for a block: {e}"
            ),
            Self::Commit(e) => write!(f, "could not commit memory for a block: {e}"),
        }
    }
}

impl std::error::Error for BlockError {}

/// Rust-private metadata of a block, stored past the end of the JS-visible buffer
/// (at `B + BUFFER_SIZE`), so no JS code can read or corrupt it.
#[repr(C)]
pub struct FixedSizeAllocatorMetadata {
    /// Id of the block: `base >> 32`, unique in the process among live blocks even across
    /// several copies of this crate (two addons in one process), since no two live blocks
    /// share a 4 GiB slot. An id is reused only once the block is freed, i.e. after every
    /// owner (the JS buffers included) has let go. Never 0 (the first 4 GiB are never a
    /// block: the null page and the program image live there).
    pub id: u32,
    /// Number of owners: the Rust allocator plus one per live JS buffer over the block.
    owner_count: AtomicU32,
    /// Id of the pool that created the block (0: none). Only used for statistics.
    pub pool_id: u64,
    /// Bytes of the data region currently committed (statistics only).
    committed: AtomicUsize,
    /// What the platform needs to free the block.
    release: os::Release,
}

/// Address of every live block's metadata: the process-wide live count, and what pool
/// statistics walk. A block leaves it (under the lock) before it is unmapped, so a holder of
/// the lock may read any listed block.
static LIVE_BLOCKS: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// The id of the block at `base`. Block bases are 4 GiB-aligned and user space ends below
/// 2^57, so `base >> 32` fits in a `u32`.
fn block_id(base: NonNull<u8>) -> u32 {
    const _: () = assert!(BLOCK_ALIGN == 1 << 32);
    let id = (base.as_ptr() as usize as u64) >> 32;
    debug_assert!(id != 0 && id <= u64::from(u32::MAX));
    id as u32
}

/// Number of blocks this copy of the crate created that are not yet freed.
pub fn live_blocks() -> usize {
    LIVE_BLOCKS.lock().len()
}

/// Figures summed over a pool's live blocks (see `usage_of_pool`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockUsage {
    pub committed_bytes: usize,
    pub resident_bytes: usize,
}

/// Sum the usage of live blocks created by pool `pool_id`.
pub(crate) fn usage_of_pool(pool_id: u64) -> BlockUsage {
    let live = LIVE_BLOCKS.lock();
    let mut usage = BlockUsage::default();
    for &addr in live.iter() {
        // SAFETY: blocks are removed from `LIVE_BLOCKS` under this lock before they are
        // unmapped, and we hold the lock, so `addr` points at a live block's metadata.
        let meta = unsafe { &*(addr as *const FixedSizeAllocatorMetadata) };
        if meta.pool_id != pool_id {
            continue;
        }
        let committed = meta.committed.load(Ordering::Relaxed);
        usage.committed_bytes += committed;
        let base = block_base_of_metadata(meta);
        usage.resident_bytes += os::resident_bytes(base, committed);
    }
    usage
}

fn block_base_of_metadata(meta: &FixedSizeAllocatorMetadata) -> NonNull<u8> {
    let base = (meta as *const FixedSizeAllocatorMetadata as usize) - FIXED_METADATA_OFFSET;
    // SAFETY: metadata lives at `base + FIXED_METADATA_OFFSET` and `base` is not null.
    unsafe { NonNull::new_unchecked(base as *mut u8) }
}

impl FixedSizeAllocatorMetadata {
    /// Register one more owner of this block (e.g. a JS buffer about to be created over it).
    ///
    /// The caller must itself be an owner, so the count cannot be zero here and the block
    /// cannot be freed concurrently: `Relaxed` is enough, as for `Arc::clone`.
    pub fn add_owner(&self) {
        let previous = self.owner_count.fetch_add(1, Ordering::Relaxed);
        // An overflowing count would let a later release free memory still in use.
        if previous >= u32::MAX / 2 {
            std::process::abort();
        }
    }

    /// Current number of owners (a snapshot; only meaningful for tests and diagnostics).
    pub fn owner_count(&self) -> u32 {
        self.owner_count.load(Ordering::Relaxed)
    }
}

/// A reserved, partly committed block with one owner (the caller).
pub(crate) struct Block {
    base: NonNull<u8>,
}

impl Block {
    /// Reserve a new block, commit its last page (both metadata records) and initialise
    /// the private metadata with one owner.
    pub(crate) fn new(pool_id: u64) -> Result<Self, BlockError> {
        let (base, release) = os::reserve()?;
        debug_assert_eq!(base.as_ptr() as usize % BLOCK_ALIGN, 0);
        if let Err(e) = os::commit_tail(base) {
            // SAFETY: the block was reserved just above and nobody else knows about it.
            unsafe { os::free(&release) };
            return Err(e);
        }
        let meta = FixedSizeAllocatorMetadata {
            id: block_id(base),
            owner_count: AtomicU32::new(1),
            pool_id,
            committed: AtomicUsize::new(0),
            release,
        };
        // SAFETY: `base + FIXED_METADATA_OFFSET` is inside the committed last page, aligned
        // (geometry asserts) and not yet in use.
        let meta_ptr = unsafe {
            base.add(FIXED_METADATA_OFFSET)
                .cast::<FixedSizeAllocatorMetadata>()
        };
        // SAFETY: as above; the slot is writable and properly aligned.
        unsafe { meta_ptr.write(meta) };
        LIVE_BLOCKS.lock().push(meta_ptr.as_ptr() as usize);
        Ok(Self { base })
    }

    #[inline(always)]
    pub(crate) fn base(&self) -> NonNull<u8> {
        self.base
    }

    pub(crate) fn metadata_ptr(&self) -> NonNull<FixedSizeAllocatorMetadata> {
        // SAFETY: the metadata lives inside the block at a fixed offset.
        unsafe { self.base.add(FIXED_METADATA_OFFSET).cast() }
    }

    pub(crate) fn metadata(&self) -> &FixedSizeAllocatorMetadata {
        // SAFETY: `self` is an owner, so the block (and its metadata) is alive while the
        // borrow of `self` lasts.
        unsafe { self.metadata_ptr().as_ref() }
    }

    /// Make `[base + from, base + to)` readable and writable.
    pub(crate) fn commit(&self, from: usize, to: usize) -> Result<(), BlockError> {
        os::commit(self.base, from, to)?;
        self.metadata().committed.store(to, Ordering::Relaxed);
        Ok(())
    }

    /// Give `[base + from, base + to)` back to the OS; it reads as zeros and faults on write afterwards.
    pub(crate) fn decommit(&self, from: usize, to: usize) {
        os::decommit(self.base, from, to);
        self.metadata().committed.store(from, Ordering::Relaxed);
    }

    /// Resident bytes of the first `len` bytes of the data region.
    pub(crate) fn resident_bytes(&self, len: usize) -> usize {
        os::resident_bytes(self.base, len)
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        // SAFETY: `self` is an owner and gives up its count exactly once, here.
        unsafe { free_fixed_size_allocator(self.metadata_ptr()) }
    }
}

// SAFETY: a block is plain memory plus atomics; its free path is thread-safe.
unsafe impl Send for Block {}

/// Drop one owner of the block whose metadata is at `metadata`; free the block if it was
/// the last owner. This is what a JS buffer's finalizer calls; it may run on any thread and
/// never touches a JS environment.
///
/// Memory ordering: like `Arc`, the decrement is `Release` so every owner's writes to the
/// block happen-before the decrement; the owner that sees the count go to zero issues an
/// `Acquire` fence before unmapping, so those writes also happen-before the free and no
/// owner can still be touching the memory.
///
/// # Safety
/// `metadata` must point at the metadata of a live block, and the caller must own one of
/// its counts, which it gives up here: it must not use the block afterwards.
pub unsafe fn free_fixed_size_allocator(metadata: NonNull<FixedSizeAllocatorMetadata>) {
    // SAFETY: the caller owns a count, so the block is alive until the `fetch_sub` below.
    let meta = unsafe { metadata.as_ref() };
    if meta.owner_count.fetch_sub(1, Ordering::Release) != 1 {
        return;
    }
    fence(Ordering::Acquire);
    // Copy out what `free` needs before the memory holding it goes away.
    // SAFETY: we were the last owner, so nobody else reads or writes the metadata now.
    let release = unsafe { std::ptr::read(&meta.release) };
    {
        let mut live = LIVE_BLOCKS.lock();
        let addr = metadata.as_ptr() as usize;
        if let Some(i) = live.iter().position(|&a| a == addr) {
            live.swap_remove(i);
        }
    }
    // SAFETY: the block is out of `LIVE_BLOCKS` and has no owner: nothing can reach it.
    unsafe { os::free(&release) };
}

#[cfg(test)]
pub(crate) mod tests;
