//! Pools of allocators: [`AllocatorPool`] (standard or fixed-size [`Allocator`]s) and
//! [`FixedSizeAllocatorPool`] (bare [`FixedSizeAllocator`]s, what the JS hand-off uses).
//!
//! Allocators are created lazily up to the pool's size and reused after reset. A
//! `parking_lot` mutex guards only the free list and counters (held for a push or a pop);
//! block creation and reset happen outside it. Waiters park on a condvar. A guard returns
//! its allocator on drop; if the pool has been dropped or closed meanwhile, the guard drops
//! the allocator instead, and the block is freed by its last owner.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::arena::{Allocator, FixedSizeAllocator};
use crate::block::{BlockError, MemoryMode, memory_mode, usage_with_tag};

/// Why a pool could not hand out an allocator.
#[derive(Debug)]
pub enum PoolError {
    /// `try_get` / `get_timeout` found every allocator checked out.
    Exhausted {
        /// The pool's size.
        size: usize,
        /// Allocators checked out when the wait ended.
        in_use: usize,
        /// How long the caller waited.
        waited: Duration,
    },
    /// The pool was closed.
    Closed,
    /// A new block could not be created.
    Block(BlockError),
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exhausted {
                size,
                in_use,
                waited,
            } => write!(
                f,
                "allocator pool exhausted: {in_use} of {size} blocks are checked out (waited {} ms); \
                 release blocks you no longer need or create the pool with a larger size",
                waited.as_millis()
            ),
            Self::Closed => f.write_str("allocator pool is closed"),
            Self::Block(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for PoolError {}

impl From<BlockError> for PoolError {
    fn from(e: BlockError) -> Self {
        Self::Block(e)
    }
}

/// A snapshot of a pool's state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// The most allocators the pool holds.
    pub size: usize,
    /// Allocators created so far (and not yet dropped by a closed pool).
    pub created: usize,
    /// Allocators idle in the pool.
    pub available: usize,
    /// Allocators checked out (`created - available`).
    pub in_use: usize,
    /// Fixed-size: committed bytes of every live block the pool created (including blocks
    /// only JS still holds). Standard: bytes held by the allocators in the pool.
    pub committed_bytes: usize,
    /// Fixed-size: resident bytes of those blocks (`mincore`). Standard: same as committed.
    pub resident_bytes: usize,
    /// Fixed-size: how the pool's blocks are mapped, i.e. what a JS write past a block's
    /// committed prefix does: [`MemoryMode::Strict`] if any live block of the pool is
    /// strict, else the process's [`memory_mode`] (which new blocks ask for). Standard:
    /// `None` (its chunks are never handed to JS).
    pub memory_mode: Option<MemoryMode>,
}

/// What the generic pool needs of what it pools.
pub trait Pooled: Sized + Send + 'static {
    /// Make the item ready for its next user.
    fn recycle(&mut self);
    /// Apply the pool's retention policy (fixed-size only).
    fn set_retention(&mut self, _min: usize, _max: usize) {}
    /// Give memory held for future uses back to the OS (fixed-size only).
    fn trim(&mut self) {}
    /// Bytes this item holds (for standard-pool statistics).
    fn held_bytes(&self) -> usize;
    /// A closed pool lets go of the item: give back every page it committed. A block may
    /// outlive the pool while a JS buffer over it waits for the GC; until then it holds
    /// no memory (JS reads zeros there, and the pool's statistics say so).
    fn retire(&mut self) {
        self.set_retention(0, 0);
        self.trim();
    }
}

impl Pooled for Allocator {
    fn recycle(&mut self) {
        self.reset();
    }
    fn set_retention(&mut self, min: usize, max: usize) {
        if let Some(f) = self.as_fixed_size_mut() {
            f.set_retention(min, max);
        }
    }
    fn trim(&mut self) {
        if let Some(f) = self.as_fixed_size_mut() {
            f.trim();
        }
    }
    fn retire(&mut self) {
        if let Some(f) = self.as_fixed_size_mut() {
            f.release_memory();
        }
    }
    fn held_bytes(&self) -> usize {
        self.committed_bytes()
    }
}

impl Pooled for FixedSizeAllocator {
    fn recycle(&mut self) {
        self.reset();
    }
    fn set_retention(&mut self, min: usize, max: usize) {
        FixedSizeAllocator::set_retention(self, min, max);
    }
    fn trim(&mut self) {
        FixedSizeAllocator::trim(self);
    }
    fn held_bytes(&self) -> usize {
        self.committed_bytes()
    }
    fn retire(&mut self) {
        self.release_memory();
    }
}

static NEXT_POOL_SERIAL: AtomicU64 = AtomicU64::new(1);

/// A pool id unique in the process even when several copies of this crate are loaded (two
/// addons that each link it): the page number of a static of *this copy* (copies live in
/// different images, so on different pages) in the high bits, a serial in the low 24.
/// Serials wrap after 16 M pools, so two pools of one copy could only share an id if one
/// lived while 16 M others were created.
fn next_pool_id() -> u64 {
    const SERIAL_BITS: u32 = 24;
    let page = (&raw const NEXT_POOL_SERIAL as usize as u64) >> 12;
    let serial = NEXT_POOL_SERIAL.fetch_add(1, Ordering::Relaxed) & ((1 << SERIAL_BITS) - 1);
    (page << SERIAL_BITS) | serial.max(1)
}

struct Shared<T> {
    id: u64,
    size: usize,
    fixed_size: bool,
    create: fn(u64) -> Result<T, BlockError>,
    /// Retention floor and ceiling applied to every allocator created.
    retention: (usize, usize),
    state: Mutex<State<T>>,
    freed: Condvar,
}

struct State<T> {
    available: Vec<T>,
    created: usize,
    closed: bool,
}

/// The pool itself, generic over what it holds.
pub struct Pool<T: Pooled> {
    shared: Arc<Shared<T>>,
}

/// Returns its item to the pool (reset) when dropped.
pub struct PoolGuard<T: Pooled> {
    item: Option<T>,
    shared: Arc<Shared<T>>,
}

/// A pool of [`Allocator`]s.
pub type AllocatorPool = Pool<Allocator>;
/// An [`Allocator`] checked out of an [`AllocatorPool`].
pub type AllocatorGuard = PoolGuard<Allocator>;
/// A pool of [`FixedSizeAllocator`]s.
pub type FixedSizeAllocatorPool = Pool<FixedSizeAllocator>;
/// A [`FixedSizeAllocator`] checked out of a [`FixedSizeAllocatorPool`].
pub type FixedSizeAllocatorGuard = PoolGuard<FixedSizeAllocator>;

impl Pool<Allocator> {
    /// A pool of up to `size` standard (growable) allocators.
    pub fn new(size: usize) -> Self {
        Self::with(size, false, |_| Ok(Allocator::new()))
    }

    /// A pool of up to `size` fixed-size allocators, each over its own block.
    pub fn new_fixed_size(size: usize) -> Self {
        Self::with(size, true, |pool_id| {
            FixedSizeAllocator::with_tag(pool_id).map(Allocator::from)
        })
    }
}

impl Pool<FixedSizeAllocator> {
    /// A pool of up to `size` fixed-size allocators.
    pub fn new(size: usize) -> Self {
        Self::with(size, true, FixedSizeAllocator::with_tag)
    }

    /// A pool whose blocks keep between `min` and `max` committed bytes across resets
    /// (see [`FixedSizeAllocator::reset`]).
    pub fn with_retention(size: usize, min: usize, max: usize) -> Self {
        let mut pool = Self::new(size);
        Arc::get_mut(&mut pool.shared)
            .expect("pool not shared yet")
            .retention = (min, max);
        pool
    }
}

impl<T: Pooled> Pool<T> {
    fn with(size: usize, fixed_size: bool, create: fn(u64) -> Result<T, BlockError>) -> Self {
        let shared = Shared {
            id: next_pool_id(),
            size: size.max(1),
            fixed_size,
            create,
            retention: (
                crate::arena::DEFAULT_RETAINED_BYTES,
                crate::arena::DEFAULT_MAX_RETAINED_BYTES,
            ),
            state: Mutex::new(State {
                available: Vec::new(),
                created: 0,
                closed: false,
            }),
            freed: Condvar::new(),
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    /// Maximum number of allocators.
    pub fn size(&self) -> usize {
        self.shared.size
    }

    /// Take an allocator, waiting as long as it takes for one to be returned.
    pub fn get(&self) -> Result<PoolGuard<T>, PoolError> {
        self.acquire(None)
    }

    /// Take an allocator, waiting at most `timeout`.
    pub fn get_timeout(&self, timeout: Duration) -> Result<PoolGuard<T>, PoolError> {
        self.acquire(Some(timeout))
    }

    /// Take an allocator if one is free (or can be created) right now.
    pub fn try_get(&self) -> Result<PoolGuard<T>, PoolError> {
        self.acquire(Some(Duration::ZERO))
    }

    /// `timeout`: `None` waits for ever. The clock is read only if we have to wait (on some
    /// VMs reading it is a system call, which would dominate the uncontended path).
    fn acquire(&self, timeout: Option<Duration>) -> Result<PoolGuard<T>, PoolError> {
        let mut deadline: Option<(Instant, Instant)> = None;
        let shared = &self.shared;
        let mut state = shared.state.lock();
        loop {
            if state.closed {
                return Err(PoolError::Closed);
            }
            if let Some(item) = state.available.pop() {
                return Ok(PoolGuard {
                    item: Some(item),
                    shared: Arc::clone(shared),
                });
            }
            if state.created < shared.size {
                // Reserve the slot, then create the block without holding the lock.
                state.created += 1;
                drop(state);
                return match (shared.create)(shared.id) {
                    Ok(mut item) => {
                        item.set_retention(shared.retention.0, shared.retention.1);
                        Ok(PoolGuard {
                            item: Some(item),
                            shared: Arc::clone(shared),
                        })
                    }
                    Err(e) => {
                        shared.state.lock().created -= 1;
                        shared.freed.notify_one();
                        Err(e.into())
                    }
                };
            }
            let Some(timeout) = timeout else {
                shared.freed.wait(&mut state);
                continue;
            };
            let (started, until) = *deadline.get_or_insert_with(|| {
                let now = Instant::now();
                (
                    now,
                    now.checked_add(timeout).unwrap_or_else(|| far_future(now)),
                )
            });
            if Instant::now() >= until || shared.freed.wait_until(&mut state, until).timed_out() {
                // A last look: an item may have come back just at the deadline.
                if state.available.is_empty() && !state.closed && state.created >= shared.size {
                    let in_use = state.created - state.available.len();
                    return Err(PoolError::Exhausted {
                        size: shared.size,
                        in_use,
                        waited: started.elapsed(),
                    });
                }
            }
        }
    }

    /// Stop handing out allocators and drop the ones in the pool; those checked out are
    /// dropped when their guards are. Waiters get [`PoolError::Closed`].
    pub fn close(&self) {
        let items = {
            let mut state = self.shared.state.lock();
            state.closed = true;
            state.created -= state.available.len();
            std::mem::take(&mut state.available)
        };
        self.shared.freed.notify_all();
        for mut item in items {
            item.retire();
        }
    }

    /// After [`close`](Self::close): wait until every allocator checked out has come back
    /// (and been dropped), or `timeout` has passed. Returns whether none is out any more.
    pub fn wait_all_returned(&self, timeout: Duration) -> bool {
        let deadline = far_future_or(Instant::now(), timeout);
        let mut state = self.shared.state.lock();
        while state.closed && state.created > 0 {
            if self
                .shared
                .freed
                .wait_until(&mut state, deadline)
                .timed_out()
            {
                break;
            }
        }
        state.created == 0
    }

    /// Give the memory that idle allocators keep for future uses back to the OS.
    pub fn trim(&self) {
        let mut state = self.shared.state.lock();
        state.available.iter_mut().for_each(T::trim);
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.shared.state.lock().closed
    }

    /// Process-unique id of this pool (the `tag` in its blocks' metadata).
    pub fn id(&self) -> u64 {
        self.shared.id
    }

    /// A snapshot of counters and memory use.
    pub fn stats(&self) -> PoolStats {
        let fixed_size = self.shared.fixed_size;
        let (created, available, held) = {
            let state = self.shared.state.lock();
            // Fixed-size pools read their blocks from the registry below instead.
            let held = if fixed_size {
                0
            } else {
                state.available.iter().map(T::held_bytes).sum()
            };
            (state.created, state.available.len(), held)
        };
        let (committed_bytes, resident_bytes, memory_mode) = if fixed_size {
            let usage = usage_with_tag(self.shared.id);
            let mode = if usage.strict_blocks > 0 {
                MemoryMode::Strict
            } else {
                memory_mode()
            };
            (usage.committed_bytes, usage.resident_bytes, Some(mode))
        } else {
            (held, held, None)
        };

        PoolStats {
            size: self.shared.size,
            created,
            available,
            in_use: created - available,
            committed_bytes,
            resident_bytes,
            memory_mode,
        }
    }
}

impl<T: Pooled> Drop for Pool<T> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<T: Pooled> PoolGuard<T> {
    /// Id of the pool this came from.
    pub fn pool_id(&self) -> u64 {
        self.shared.id
    }
}

impl<T: Pooled> Deref for PoolGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.item.as_ref().expect("guard holds its item until drop")
    }
}

impl<T: Pooled> DerefMut for PoolGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.item.as_mut().expect("guard holds its item until drop")
    }
}

impl<T: Pooled> Drop for PoolGuard<T> {
    fn drop(&mut self) {
        let Some(mut item) = self.item.take() else {
            return;
        };
        // Reset outside the lock: decommitting can take a system call.
        item.recycle();
        let mut state = self.shared.state.lock();
        if state.closed {
            state.created -= 1;
            drop(state);
            item.retire();
            drop(item);
            // Someone may wait for the closed pool's last block (`wait_all_returned`).
            self.shared.freed.notify_all();
            return;
        }
        state.available.push(item);
        drop(state);
        self.shared.freed.notify_one();
    }
}

/// `now + timeout`, or "never" if that overflows.
fn far_future_or(now: Instant, timeout: Duration) -> Instant {
    now.checked_add(timeout).unwrap_or_else(|| far_future(now))
}

/// A deadline for a timeout `Instant` cannot represent (`now + timeout` overflows): about a
/// century from now, which is "never" for a pool waiter.
fn far_future(now: Instant) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(CENTURY).unwrap_or(now)
}

#[cfg(test)]
mod tests;
