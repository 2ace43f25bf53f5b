//! [`EnvPool`]: a [`FixedSizeAllocatorPool`] bound to one JS environment — the one type a
//! `#[napi]` function needs to hand blocks to JS.
//!
//! # The rules
//!
//! - **An `EnvPool` owns its pool and belongs to one environment.** Create it on the
//!   environment's thread (in a `#[napi]` constructor) and keep it in your JS-facing
//!   object; it is `!Send`. A worker thread is another environment: it creates its own.
//!   Producer threads get the pool through [`EnvPool::pool`]. Closing or dropping the
//!   `EnvPool` closes the pool, and a closed pool never reuses a block, so V8 never sees
//!   two live external buffers over the same memory.
//! - **A block is wrapped once per environment.** [`EnvPool::send`] returns the block's
//!   `ArrayBuffer` the first time this environment sees the block and `null` afterwards.
//!   JS must keep the buffer it got first (a `BufferCache` from `raw-transfer/reader`,
//!   keyed by id, does exactly that) until the pool is closed: the next hand-off of the
//!   same id brings no buffer.
//! - **A block returns to the pool only when JS says so**: [`EnvPool::release`] with its id
//!   (or [`EnvPool::close`], or environment teardown). Until then it stays checked out to
//!   this environment, whatever happens to the JS objects over it. JS must not read a block
//!   after releasing it: the next user overwrites it (the generation in the metadata tells
//!   a stale view).
//! - **Ids** are `base >> 32`: unique in the process among live blocks, even across other
//!   copies of this crate in other addons.
//! - **Copy fallback.** Where the runtime forbids external buffers, each block gets one
//!   JS-allocated `ArrayBuffer` and every hand-off copies the bytes in use and the metadata
//!   into it. Writes after a hand-off go through [`EnvPool::write`], which copies what
//!   they allocated. The JS side cannot tell the difference.
//! - **Teardown.** When the environment is torn down (a worker terminated, the process
//!   exiting), its `EnvPool`s are closed and the owner counts of their buffers dropped,
//!   exactly once, even on runtimes that never run the buffers' finalizers (Deno).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use ::napi::bindgen_prelude::Env;
use ::napi::sys;

mod buffers;
mod checkout;
mod teardown;

use self::buffers::Handed;
use self::checkout::CheckedOut;
use crate::napi::env::{EnvState, Teardown};
use crate::napi::error::{ErrorCode, Result, TransferError};
use crate::napi::handoff::HandOffError;
use crate::napi::mode::{Transfer, TransferMode, Wait};
use crate::pool::{FixedSizeAllocatorGuard, FixedSizeAllocatorPool};

/// A pool bound to one JS environment: hands its blocks to that environment and keeps the
/// record of what the environment holds. See the [`napi`](crate::napi) module docs for the rules.
pub struct EnvPool {
    pool: Arc<FixedSizeAllocatorPool>,
    /// `env_is_current`: the environment this pool was made in. An `EnvPool` is `!Send`
    /// (it holds `Rc`s), so its methods run on that environment's thread; the Node-API calls
    /// made with `env` (hand-offs, copy-target sync and delete) happen only while records
    /// are in `handed`, which teardown empties before the environment goes.
    env: sys::napi_env,
    state: Rc<EnvState>,
    mode: Cell<TransferMode>,
    handed: RefCell<HashMap<u32, Handed>>,
    /// Hand-offs in a row for which a block's buffer was at least 4 times too long (see
    /// [`SHRINK_AFTER`](buffers::SHRINK_AFTER)), by block id.
    oversized: RefCell<HashMap<u32, u8>>,
    /// The blocks checked out to JS, by id. Kept here (not in JS objects) so that
    /// environment teardown can return them even when no finalizer ever runs.
    checked_out: RefCell<HashMap<u32, CheckedOut>>,
    /// Set by `close()`: checked-out blocks stay readable from JS but take no more writes
    /// or hand-offs (their copy targets and wrapper records are gone).
    closed: Cell<bool>,
    /// Blocks promised to running jobs (their `max_blocks`), so that jobs started while
    /// another runs (an async plugin awaiting a nested job) never wait for blocks only the
    /// first can free.
    reserved: Cell<usize>,
}

impl EnvPool {
    /// Bind `pool` to the calling environment (`env` is the one your `#[napi]` function got).
    pub fn new(env: &Env, pool: FixedSizeAllocatorPool, transfer: Transfer) -> Result<Rc<Self>> {
        let raw_env = env.raw();
        let state = EnvState::of(raw_env);
        let mode = match transfer {
            Transfer::Copy => TransferMode::Copy,
            Transfer::External if !state.external_buffers_allowed() => {
                return Err(HandOffError::ExternalForbidden.into());
            }
            Transfer::External => TransferMode::External,
            Transfer::Auto if state.external_buffers_allowed() => TransferMode::External,
            Transfer::Auto => TransferMode::Copy,
        };
        let this = Rc::new(Self {
            pool: Arc::new(pool),
            env: raw_env,
            state: Rc::clone(&state),
            mode: Cell::new(mode),
            handed: RefCell::new(HashMap::new()),
            oversized: RefCell::new(HashMap::new()),
            checked_out: RefCell::new(HashMap::new()),
            closed: Cell::new(false),
            reserved: Cell::new(0),
        });
        let part: Rc<dyn Teardown> = this.clone();
        state.add_part(Rc::downgrade(&part));
        Ok(this)
    }

    /// The pool (share it with producer threads).
    pub fn pool(&self) -> &Arc<FixedSizeAllocatorPool> {
        &self.pool
    }

    /// External, or copy (forced, or found out at the first hand-off under `Auto`).
    pub fn transfer_mode(&self) -> TransferMode {
        self.mode.get()
    }

    /// Whether [`close`](Self::close) was called (or the environment torn down).
    pub fn is_closed(&self) -> bool {
        self.closed.get() || self.pool.is_closed()
    }

    /// Number of blocks checked out to JS.
    pub fn checked_out(&self) -> usize {
        self.checked_out.borrow().len()
    }

    /// Take a block from the pool on the JS thread, waiting as `wait` says when every block
    /// is out (waiting blocks the JS thread: keep it short, or [`Wait::No`]).
    pub fn acquire(&self, wait: Wait) -> Result<FixedSizeAllocatorGuard> {
        if self.closed.get() {
            return Err(TransferError::new(
                ErrorCode::PoolClosed,
                "the pool is closed",
            ));
        }
        Ok(match wait {
            Wait::No => self.pool.try_get()?,
            Wait::AtMost(t) => self.pool.get_timeout(t)?,
            Wait::Forever => self.pool.get()?,
        })
    }

    /// Close the pool: idle blocks are freed, no more are handed out, and blocks checked
    /// out stay readable (not writable) until [`release`](Self::release)d, then are freed.
    /// Buffers JS still references stay readable until the GC frees them.
    pub fn close(&self) {
        self.closed.set(true);
        self.pool.close();
        self.oversized.borrow_mut().clear();
        for (_, handed) in self.handed.borrow_mut().drain() {
            match handed {
                // SAFETY: see `env_is_current`; each reference is deleted once, here.
                Handed::External(reference, _) => unsafe {
                    sys::napi_delete_reference(self.env, reference);
                },
                // SAFETY: see `env_is_current`.
                Handed::Copy(target) => unsafe { target.delete(self.env) },
            }
        }
    }

    fn check_writable(&self, id: u32) -> Result<()> {
        if self.closed.get() {
            return Err(TransferError::new(
                ErrorCode::PoolClosed,
                format!(
                    "the pool is closed: block {id} can still be read from JS, but not written or handed off"
                ),
            ));
        }
        Ok(())
    }

    /// Reserve blocks for a job: `wanted` of them, or by default all but one of those no
    /// other running job reserved (at least one). Fails with `PoolExhausted` when running
    /// jobs hold every block: a job started from a plugin of another would wait for ever.
    pub(crate) fn reserve(&self, wanted: Option<usize>) -> Result<usize> {
        let size = self.pool.size();
        let free = size - self.reserved.get().min(size);
        let n = match wanted {
            Some(n) if n == 0 || n > size => {
                return Err(TransferError::invalid_argument(format!(
                    "maxBlocks must be 1..={size} (the pool's size), got {n}"
                )));
            }
            Some(n) => n,
            None => free.saturating_sub(1).max(1),
        };
        if n > free {
            return Err(TransferError::new(
                ErrorCode::PoolExhausted,
                format!(
                    "running jobs hold {} of this pool's {size} blocks, so a job needing {n} could wait for ever \
                     (started from a plugin of another job?): use a bigger pool, a smaller maxBlocks, or another pool",
                    self.reserved.get()
                ),
            ));
        }
        self.reserved.set(self.reserved.get() + n);
        Ok(n)
    }

    /// Give back what [`reserve`](Self::reserve) returned.
    pub(crate) fn unreserve(&self, n: usize) {
        self.reserved.set(self.reserved.get().saturating_sub(n));
    }

    /// The raw environment this pool is bound to.
    pub fn raw_env(&self) -> sys::napi_env {
        self.env
    }
}

fn not_out(id: u32) -> TransferError {
    TransferError::stale(format!(
        "block {id} is not checked out to this pool (released, or never handed here)"
    ))
}
