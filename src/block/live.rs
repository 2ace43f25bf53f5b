//! The live blocks of this copy of the crate: the set every block is in from its creation
//! to its free, and what is read from it (the live count, whether bytes lie in a block,
//! per-block owners, a tag's usage).

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::Ordering;

use parking_lot::Mutex;

use super::{FixedSizeAllocatorMetadata, MemoryMode, block_base_of_metadata, os};
use crate::geometry::{BLOCK_MAPPED_SIZE, FIXED_METADATA_OFFSET};

/// Address of every live block's metadata: the process-wide live count, and what pool
/// statistics walk. A block leaves it (under the lock) before it is unmapped, so a holder of
/// the lock may read any listed block. A set, not a list: it is looked up on every byte
/// input (`overlaps_live_block`) and on every free, and tens of thousands of blocks may be
/// live at once (see `BlockError::MappingLimit`).
pub(super) static LIVE_BLOCKS: Mutex<LiveBlocks> =
    Mutex::new(HashSet::with_hasher(BuildHasherDefault::new()));

pub(super) type LiveBlocks = HashSet<usize, BuildHasherDefault<BlockAddressHasher>>;

/// The hash of a block's metadata address. Those addresses differ only above bit 32 (blocks
/// are 4 GiB-aligned and the metadata sits at the same offset in each), so the block's id
/// (`address >> 32`) is multiplied out over all 64 bits: the table takes its bucket from the
/// low bits and a tag from the top 7.
#[derive(Default)]
pub(super) struct BlockAddressHasher(u64);

impl Hasher for BlockAddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_usize` is used (the keys are `usize`); any other input still hashes.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, addr: usize) {
        self.0 = ((addr as u64) >> 32).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Number of blocks this copy of the crate created that are not yet freed.
pub fn live_blocks() -> usize {
    LIVE_BLOCKS.lock().len()
}

/// Whether `[ptr, ptr + len)` overlaps the mapping of a live block of this copy of the
/// crate: bytes JS passed in may be a view of a block (its own buffer, or a released one's),
/// which another thread may be writing, or which a copy into the same block would
/// overwrite while it is read. Callers copy such input out first.
pub fn overlaps_live_block(ptr: *const u8, len: usize) -> bool {
    if len == 0 {
        return false;
    }
    let first = ptr as usize;
    let last = first.saturating_add(len - 1);
    // A block maps `[base, base + BLOCK_MAPPED_SIZE)` of its 4 GiB-aligned region, so an
    // address is in a block only if it is that near its region's base. An input spans at
    // most two regions (a view never straddles two mappings, but check both ends).
    let candidate = |addr: usize| {
        let base = crate::geometry::block_base_of(addr);
        (addr - base < BLOCK_MAPPED_SIZE).then_some(base + FIXED_METADATA_OFFSET)
    };
    let (a, b) = (candidate(first), candidate(last));
    if a.is_none() && b.is_none() {
        return false;
    }
    let live = LIVE_BLOCKS.lock();
    a.is_some_and(|m| live.contains(&m)) || b.is_some_and(|m| live.contains(&m))
}

/// `(id, tag, owner count)` of every live block (diagnostics: what holds a block that
/// should be gone; an owner count of 1 is the Rust allocator alone, more are JS buffers).
pub fn live_block_owners() -> Vec<(u32, u64, u32)> {
    let live = LIVE_BLOCKS.lock();
    live.iter()
        .map(|&addr| {
            // SAFETY: as in `usage_with_tag`: listed blocks are live while we hold the lock.
            let meta = unsafe { &*(addr as *const FixedSizeAllocatorMetadata) };
            (meta.id, meta.tag, meta.owner_count())
        })
        .collect()
}

/// Figures summed over the live blocks of one tag (see `usage_with_tag`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockUsage {
    pub committed_bytes: usize,
    pub resident_bytes: usize,
    /// Blocks in [`MemoryMode::Strict`] (where JS writes past the committed prefix fault).
    pub strict_blocks: usize,
}

/// Sum the usage of the live blocks created with `tag`.
pub(crate) fn usage_with_tag(tag: u64) -> BlockUsage {
    let live = LIVE_BLOCKS.lock();
    let mut usage = BlockUsage::default();
    for &addr in live.iter() {
        // SAFETY: blocks are removed from `LIVE_BLOCKS` under this lock before they are
        // unmapped, and we hold the lock, so `addr` points at a live block's metadata.
        let meta = unsafe { &*(addr as *const FixedSizeAllocatorMetadata) };
        if meta.tag != tag {
            continue;
        }
        let committed = meta.committed.load(Ordering::Relaxed) as usize;
        usage.committed_bytes += committed;
        let base = block_base_of_metadata(meta);
        usage.resident_bytes += os::resident_bytes(base, committed);
        usage.strict_blocks += usize::from(meta.mode == MemoryMode::Strict);
    }
    usage
}
