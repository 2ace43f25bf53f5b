//! One aligned block: reserve, commit on demand, decommit, free; and the Rust-private
//! metadata that makes Rust and JS co-owners of it.
//!
//! ```text
//!  B                              B+TAIL_START          B+BUFFER_SIZE           B+BLOCK_SIZE
//!  | data region .................. | ... | RawTransferMetadata | FixedSizeAllocatorMetadata |
//!  |<- committed ->|<- the rest --->|<--- last 64 KiB, committed at creation --------------->|
//!                   noreserve: read/write, a write faults in a page (no commit charge)
//!                   strict:    read-only (reads zeros), a write is a SIGSEGV
//! ```
//!
//! How the part past the committed prefix is mapped is the block's [`MemoryMode`], chosen
//! when it is created (see [`memory_mode`]). JS can write anywhere in its buffer: a plugin
//! host must not die because one plugin called `u8.fill()` or kept a view past `release()`.
//! So wherever the OS lets us map the whole block read/write without charging it against a
//! commit limit, we do ([`MemoryMode::NoReserve`]); "committing" is then only accounting.
//! Only under strict accounting (`vm.overcommit_memory=2`), where such a mapping would be
//! charged its full 2 GiB, do blocks keep the read-only reservation that `mprotect` opens
//! in steps ([`MemoryMode::Strict`]).
//!
//! The owner count is the whole ownership protocol. Every owner (the Rust
//! [`FixedSizeAllocator`](crate::FixedSizeAllocator), each live JS `ArrayBuffer` over the
//! block) holds one count; [`free_fixed_size_allocator`] drops one and the call that drops
//! the last unmaps the block. It never touches a JS environment, so a finalizer may call
//! it from any thread.

use std::fmt;
use std::ptr::NonNull;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering, fence};

use crate::geometry::{BLOCK_ALIGN, BLOCK_MAPPED_SIZE, FIXED_METADATA_OFFSET};

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as os;
#[cfg(not(unix))]
mod system;
#[cfg(not(unix))]
use system as os;

pub(crate) use os::page_size;

mod live;
use live::LIVE_BLOCKS;
pub(crate) use live::usage_with_tag;
pub use live::{live_block_owners, live_blocks, overlaps_live_block};

mod spare;
use spare::{keep_or_free, spare_blocks, take_spare};

/// Start of the block's last 64 KiB, committed at creation (it holds both metadata records):
/// the data region the arena commits on demand is `[0, TAIL_START)`.
pub(crate) const TAIL_START: usize = BLOCK_MAPPED_SIZE - (1 << 16);

/// Transparent huge page size (x86-64 and arm64 with 4 KiB pages). Past this much committed
/// memory the arena commits in whole huge pages, and in [`MemoryMode::NoReserve`] the block
/// asks for huge pages (all but its last huge page, so the metadata page stays small); a
/// small block asks for none.
pub(crate) const HUGE_PAGE: usize = 2 << 20;

const _: () = {
    assert!(FIXED_METADATA_OFFSET >= TAIL_START && FIXED_METADATA_OFFSET < BLOCK_MAPPED_SIZE);
    assert!(!TAIL_START.is_multiple_of(HUGE_PAGE) && BLOCK_MAPPED_SIZE.is_multiple_of(HUGE_PAGE));
    assert!(
        TAIL_START <= u32::MAX as usize,
        "committed byte counts are stored as u32"
    );
};

/// How a block's pages past its committed prefix are mapped, which decides what a JS write
/// there does. Chosen per block at creation: the process-wide [`memory_mode`], unless the
/// OS refuses it for that block (then [`Strict`](Self::Strict)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MemoryMode {
    /// The whole block is mapped read/write with no commit charge (`MAP_NORESERVE`): a write
    /// anywhere in the JS buffer only faults in a zeroed page. "Commit" is accounting for
    /// statistics and retention; reset and trim give pages back with `MADV_DONTNEED`,
    /// including those JS wrote past the committed prefix. The default where the OS allows
    /// it: Linux with `vm.overcommit_memory` 0 or 1 and no `RLIMIT_DATA`, macOS. (Blocks of
    /// the non-Unix fallback, one System allocation the OS commits on touch, are this too.)
    NoReserve = 0,
    /// Address space is reserved read-only and the arena's prefix is `mprotect`ed
    /// read/write in steps, so a block costs commit charge only for what Rust uses. Pages
    /// past the committed prefix read as zeros, but a JS write there is a SIGSEGV. Used
    /// under strict accounting (`vm.overcommit_memory=2`), where a read/write mapping would
    /// be charged its full 2 GiB, and when `RLIMIT_DATA` is set (it counts every writable
    /// mapping in full).
    Strict = 1,
}

impl MemoryMode {
    /// `"noreserve"` or `"strict"`: the spelling of `RAW_TRANSFER_MEMORY_MODE` and of the
    /// JS `stats().memoryMode`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoReserve => "noreserve",
            Self::Strict => "strict",
        }
    }
}

impl fmt::Display for MemoryMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The memory mode new blocks ask for, decided once per process: the environment variable
/// `RAW_TRANSFER_MEMORY_MODE` (`strict` or `noreserve`; anything else, or unset: automatic),
/// else what the OS allows (see [`MemoryMode`]). Read once, so a later change of
/// `vm.overcommit_memory` is not seen: a block whose read/write mapping the OS then refuses
/// falls back to [`MemoryMode::Strict`] (one whose mapping strict accounting accepts is
/// charged its full 2 GiB; forcing `noreserve` under `vm.overcommit_memory=2` does the same).
pub fn memory_mode() -> MemoryMode {
    static MODE: OnceLock<MemoryMode> = OnceLock::new();
    *MODE.get_or_init(
        || match std::env::var("RAW_TRANSFER_MEMORY_MODE").as_deref() {
            Ok("strict") => MemoryMode::Strict,
            Ok("noreserve") => MemoryMode::NoReserve,
            _ => os::default_mode(),
        },
    )
}

/// Why a block could not be created or grown.
#[derive(Debug)]
pub enum BlockError {
    /// The OS refused address space for the block (e.g. `ulimit -v`).
    Reserve(std::io::Error),
    /// The OS refused to commit memory (e.g. `vm.overcommit_memory=2` and the commit limit
    /// is reached).
    Commit(std::io::Error),
    /// So many blocks are alive that more would take the process near the kernel's limit
    /// on memory mappings (`vm.max_map_count`), where V8 itself fails fatally when it next
    /// needs one. Blocks a closed pool no longer holds are freed only when the GC finalizes
    /// their JS buffers (after the current task): a loop creating pools without yielding
    /// piles them up.
    MappingLimit {
        /// Blocks this copy of the crate had live.
        live_blocks: usize,
        /// The limit that was near: `vm.max_map_count`.
        max_map_count: usize,
    },
}

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reserve(e) => write!(
                f,
                "could not reserve 4 GiB-aligned address space for a block: {e}"
            ),
            Self::Commit(e) => write!(f, "could not commit memory for a block: {e}"),
            Self::MappingLimit {
                live_blocks,
                max_map_count,
            } => write!(
                f,
                "too many blocks alive ({live_blocks}, about {MAPPINGS_PER_BLOCK} memory mappings each): \
                 another would bring the process near the kernel's limit of {max_map_count} mappings \
                 (vm.max_map_count), where V8 would fail fatally. Release blocks and close pools, and \
                 let the event loop turn so the GC can finalize their buffers"
            ),
        }
    }
}

impl std::error::Error for BlockError {}

/// Memory mappings a block may take (its mapping, split where huge-page advice or
/// protection differs, and the tail), counted high.
const MAPPINGS_PER_BLOCK: usize = 4;

/// The kernel's limit on a process's memory mappings (`vm.max_map_count`, read once; the
/// usual default where it cannot be read). `RAW_TRANSFER_MAX_MAP_COUNT` sets a lower figure
/// (tests use it to reach the limit quickly; an operator can use it to leave more room).
fn max_map_count() -> usize {
    static LIMIT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        let kernel = std::fs::read_to_string("/proc/sys/vm/max_map_count")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(65_530);
        let asked = std::env::var("RAW_TRANSFER_MAX_MAP_COUNT")
            .ok()
            .and_then(|s| s.trim().parse().ok());
        asked.map_or(kernel, |n: usize| n.min(kernel))
    })
}

/// Refuse a new block when live blocks already take half of the mapping limit: the other
/// half is left to V8, Node and the rest of the process. (25 000 pools created and closed in
/// one synchronous loop used to exhaust it and end in a V8 fatal error.)
fn check_mapping_headroom() -> Result<(), BlockError> {
    mapping_headroom(live_blocks() + spare_blocks(), max_map_count())
}

fn mapping_headroom(live: usize, limit: usize) -> Result<(), BlockError> {
    if (live + 1) * MAPPINGS_PER_BLOCK > limit / 2 {
        return Err(BlockError::MappingLimit {
            live_blocks: live,
            max_map_count: limit,
        });
    }
    Ok(())
}

/// `FixedSizeAllocatorMetadata::exposed` for a JS buffer of any length (and the cap of the
/// `log2` of a known one, which is at most 31).
const EXPOSED_ALL: u8 = 63;

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
    /// A number the block's creator chose (0: none), for statistics by creator: the pool
    /// layer tags each block with its pool's id.
    pub tag: u64,
    /// Bytes of the data region currently committed (statistics only; below 2^31).
    committed: AtomicU32,
    /// How the block is mapped (fixed at creation).
    mode: MemoryMode,
    /// Set by [`add_owner`](Self::add_owner): a JS buffer may have written past the
    /// committed prefix since the block's last sweep (see `Block::decommit`). 0: no JS
    /// buffer since; `k` below [`EXPOSED_ALL`]: buffers of at most `2^k` bytes (what the
    /// Node-API layer hands out: see `add_owner_for`), so JS cannot have written past that;
    /// [`EXPOSED_ALL`]: a buffer of any length.
    exposed: AtomicU8,
    /// What the platform needs to free the block.
    release: os::Release,
}

// `FIXED_METADATA_SIZE_ROUNDED`, hence `BUFFER_SIZE` (a constant JS sees), follow from this
// size: new fields must fit the existing padding.
const _: () = {
    assert!(size_of::<FixedSizeAllocatorMetadata>() == crate::geometry::FIXED_METADATA_SIZE);
    assert!(align_of::<FixedSizeAllocatorMetadata>() <= crate::geometry::FIXED_METADATA_ALIGN);
};

/// The id of the block at `base`. Block bases are 4 GiB-aligned and user space ends below
/// 2^57, so `base >> 32` fits in a `u32`.
fn block_id(base: NonNull<u8>) -> u32 {
    const _: () = assert!(BLOCK_ALIGN == 1 << 32);
    let id = (base.as_ptr() as usize as u64) >> 32;
    debug_assert!(id != 0 && id <= u64::from(u32::MAX));
    id as u32
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
    /// cannot be freed concurrently: `Relaxed` is enough, as for `Arc::clone`. (Only the
    /// Node-API layer makes JS owners: unused without it.)
    #[allow(dead_code)]
    pub fn add_owner(&self) {
        self.add_owner_reaching(EXPOSED_ALL);
    }

    /// [`add_owner`](Self::add_owner) for a JS buffer over the first `len` bytes of the
    /// block only: a reset then knows that JS cannot have written past them.
    #[allow(dead_code)]
    pub(crate) fn add_owner_for(&self, len: usize) {
        // The smallest `k` with `len <= 2^k`.
        let k = usize::BITS - len.saturating_sub(1).leading_zeros();
        self.add_owner_reaching((k as u8).min(EXPOSED_ALL));
    }

    fn add_owner_reaching(&self, k: u8) {
        // Whoever gets the new count may write anywhere in its buffer. Relaxed: the next
        // sweep runs on the Rust owner, which is the caller or later receives the block
        // through a lock (the pool) that orders this store before it.
        self.exposed.fetch_max(k.max(1), Ordering::Relaxed);
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

    /// How the block is mapped: what a JS write past the committed prefix does.
    #[cfg(test)]
    pub fn memory_mode(&self) -> MemoryMode {
        self.mode
    }
}

/// A reserved, partly committed block with one owner (the caller).
pub(crate) struct Block {
    base: NonNull<u8>,
    /// The process's page-fault count (see `os::fault_count`) read just before the last
    /// sweep of this block's pages past its committed prefix; `u64::MAX`: never swept.
    faults_at_sweep: u64,
}

impl Block {
    /// Reserve a new block in the process's [`memory_mode`].
    pub(crate) fn new(tag: u64) -> Result<Self, BlockError> {
        Self::with_mode(tag, memory_mode())
    }

    /// Reserve a new block asking for `mode` (the OS may impose [`MemoryMode::Strict`]),
    /// commit its last 64 KiB (both metadata records) and initialise the private metadata
    /// with one owner.
    pub(crate) fn with_mode(tag: u64, mode: MemoryMode) -> Result<Self, BlockError> {
        let (base, mode, release) = match take_spare(mode) {
            Some(spare) => spare,
            None => {
                check_mapping_headroom()?;
                let (base, mode, release) = os::reserve(mode)?;
                if let Err(e) = os::commit_tail(base, mode) {
                    // SAFETY: the block was reserved just above and nobody else knows about it.
                    unsafe { os::free(&release) };
                    return Err(e);
                }
                (base, mode, release)
            }
        };
        debug_assert_eq!(base.as_ptr() as usize % BLOCK_ALIGN, 0);
        // Room in the live set first, held under its lock until the block is in it: a JS
        // call reaches this (acquire, parseJson), and a set that cannot grow must give an
        // error, not abort the process.
        let mut live = LIVE_BLOCKS.lock();
        if live.try_reserve(1).is_err() {
            drop(live);
            // SAFETY: the block is not listed, and nobody else knows about it.
            unsafe { os::free(&release) };
            return Err(BlockError::Commit(std::io::Error::new(
                std::io::ErrorKind::OutOfMemory,
                "no memory to list one more block",
            )));
        }
        let meta = FixedSizeAllocatorMetadata {
            id: block_id(base),
            owner_count: AtomicU32::new(1),
            tag,
            committed: AtomicU32::new(0),
            mode,
            exposed: AtomicU8::new(0),
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
        live.insert(meta_ptr.as_ptr() as usize);
        drop(live);
        Ok(Self {
            base,
            faults_at_sweep: u64::MAX,
        })
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

    pub(crate) fn mode(&self) -> MemoryMode {
        self.metadata().mode
    }

    /// Commit `[base + from, base + to)` of the data region (`to <= TAIL_START`): make it
    /// writable (strict), or only count it (noreserve: it already is).
    pub(crate) fn commit(&self, from: usize, to: usize) -> Result<(), BlockError> {
        debug_assert!(from <= to && to <= TAIL_START);
        match self.mode() {
            MemoryMode::Strict => os::commit(self.base, from, to)?,
            // Huge pages are worth it once the first one is wholly committed (as in strict
            // mode, where it then lies inside the read/write part): ask for them from the
            // start (a new block asked for none).
            MemoryMode::NoReserve if from < HUGE_PAGE && to >= HUGE_PAGE => {
                os::advise_huge_pages_from_start(self.base, true);
            }
            MemoryMode::NoReserve => {}
        }
        self.metadata()
            .committed
            .store(to as u32, Ordering::Relaxed);
        Ok(())
    }

    /// Give the committed pages `[base + from, base + to)` back to the OS (`to` the end of
    /// the committed prefix, at most `TAIL_START`); `from` becomes the committed end.
    ///
    /// Strict: a fresh read-only mapping over the range (reads zeros, faults on write).
    /// Noreserve: `MADV_DONTNEED`. JS may also have written past `to` (pages it faulted in
    /// are resident but counted nowhere), so if it may have, the sweep runs to `TAIL_START`.
    pub(crate) fn decommit(&mut self, from: usize, to: usize) {
        let (base, mode) = (self.base, self.mode());
        give_back(base, mode, from, to, || {
            self.may_be_dirty_past_committed(to)
        });
        self.metadata()
            .committed
            .store(from as u32, Ordering::Relaxed);
    }

    /// Whether pages past the committed prefix may have become resident since the last
    /// sweep; if so the caller sweeps them now and this records the sweep. Conservative:
    ///
    /// - Only a JS buffer writes there (Rust stays below its committed end), so a block
    ///   never handed out as a buffer since its last sweep (`exposed` unset) is clean.
    /// - A page becomes resident only through a page fault of this process (a write from
    ///   JS, or the kernel writing into the buffer for a syscall, faults on the first
    ///   touch of a page; only another process writing into ours, a debugger, would not
    ///   count), and the sweep drops every page present when it runs. So if the
    ///   process's fault count has not moved since the count read before the last sweep,
    ///   no page can have appeared since. The count is process-wide (any thread's fault,
    ///   any allocation's first touch moves it) so it errs toward sweeping; it saves the
    ///   sweep's page-table walk (~10 µs over 2 GiB) in steady state, where retained
    ///   pages are reused and nothing faults.
    ///
    /// The count is read before the sweep: a fault that races with it moves the count
    /// past the recorded value, so the next decommit sweeps again.
    fn may_be_dirty_past_committed(&mut self, to: usize) -> bool {
        let meta = self.metadata();
        let exposed = meta.exposed.load(Ordering::Relaxed);
        if exposed == 0 {
            return false;
        }
        // With no JS buffer left, nothing can write to the block until the next hand-off
        // sets `exposed` again (only an owner can add one, and we are the only one), so
        // after this sweep it is clean. `Acquire` pairs with the `Release` decrement of the
        // buffer's finalizer: the buffer's writes (and their faults) came before.
        if meta.owner_count.load(Ordering::Acquire) == 1 {
            meta.exposed.store(0, Ordering::Relaxed);
        }
        // Every JS buffer handed since the last sweep ends at or before `to`: none of them
        // reaches past it (the common case: the arena commits at least `MIN_BUFFER_SIZE`,
        // the smallest buffer the Node-API layer hands out). No system call then.
        if exposed < EXPOSED_ALL && 1usize << exposed <= to {
            return false;
        }
        #[cfg(test)]
        tests::FAULT_CHECKS.with(|c| c.set(c.get() + 1));
        match os::fault_count() {
            Some(faults) if faults == self.faults_at_sweep => false,
            Some(faults) => {
                self.faults_at_sweep = faults;
                true
            }
            None => {
                self.faults_at_sweep = u64::MAX;
                true
            }
        }
    }

    /// Resident bytes of the first `len` bytes of the data region.
    pub(crate) fn resident_bytes(&self, len: usize) -> usize {
        os::resident_bytes(self.base, len)
    }
}

/// Give the committed pages `[base + from, base + to)` of a block's data region back to the
/// OS (`to` at most `TAIL_START`): a fresh read-only mapping over them in strict mode,
/// `MADV_DONTNEED` in noreserve mode, where the sweep runs on to `TAIL_START` if
/// `dirty_past()` (asked in that mode only) says JS may have written past `to`. What
/// [`Block::decommit`] and the wiping of a spare block (`keep_or_free`) both do.
fn give_back(
    base: NonNull<u8>,
    mode: MemoryMode,
    from: usize,
    to: usize,
    dirty_past: impl FnOnce() -> bool,
) {
    debug_assert!(from <= to && to <= TAIL_START);
    match mode {
        MemoryMode::Strict => os::decommit(base, from, to),
        MemoryMode::NoReserve => {
            if from < HUGE_PAGE && to >= HUGE_PAGE {
                // Not wholly committed any more: small pages again, so the kernel never
                // fills it past the committed end (khugepaged collapses ranges with only
                // some pages present, without a fault of ours).
                os::advise_huge_pages_from_start(base, false);
            }
            let end = if dirty_past() { TAIL_START } else { to };
            os::discard(base, from, end);
        }
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
    // Copy out what `free` (or the spare list) needs before the memory holding it goes away.
    // SAFETY: we were the last owner, so nobody else reads or writes the metadata now.
    let release = unsafe { std::ptr::read(&meta.release) };
    let (mode, committed) = (meta.mode, meta.committed.load(Ordering::Relaxed) as usize);
    let exposed = meta.exposed.load(Ordering::Relaxed) != 0;
    LIVE_BLOCKS.lock().remove(&(metadata.as_ptr() as usize));
    let base = block_base_of_metadata(meta);
    // SAFETY: the block is out of `LIVE_BLOCKS` and has no owner: nothing can reach it, and
    // `release` is its own.
    unsafe { keep_or_free(base, mode, committed, exposed, release) };
}

#[cfg(test)]
pub(crate) mod tests;
