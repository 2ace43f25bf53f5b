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
use std::time::Duration;

use ::napi::bindgen_prelude::Env;
use ::napi::sys;

use super::docs::Docs;
use super::env::{EnvState, Teardown};
use super::error::{ErrorCode, Result, TransferError};
use super::handoff::{CopyTarget, HandOffError, wrap_external};
use super::mode::{Transfer, TransferMode, Wait};
use super::sent::Sent;
use super::value::{RawValue, arraybuffer_len, reference_value};
use crate::FixedSizeAllocator;
use crate::geometry::{BUFFER_SIZE, MIN_BUFFER_SIZE};
use crate::pool::{FixedSizeAllocatorGuard, FixedSizeAllocatorPool};
use crate::transfer::RawTransferMetadata;

/// What this environment holds of a block: a strong reference to the buffer it was sent,
/// so that it can be sent again to a JS cache that lost it ([`EnvPool::resend`]).
enum Handed {
    /// The external buffer last sent, and its length.
    External(sys::napi_ref, usize),
    Copy(CopyTarget),
}

/// A buffer longer than this, and at least 4 times what the block's data needs, is replaced
/// by a shorter one after [`SHRINK_AFTER`] such hand-offs in a row: after one big document,
/// V8's external figure (it counts a buffer's whole length) and, in copy mode, the JS copy's
/// memory come back down to what the block uses, once the GC takes the long buffer. Not at
/// once, so that blocks alternating big and small documents do not wrap a long buffer again
/// each time (each new external buffer is more external memory for V8, which collects
/// garbage for it).
const SHRINK_FLOOR: usize = 16 << 20;
/// See [`SHRINK_FLOOR`].
const SHRINK_AFTER: u8 = 4;

/// The length of the buffer to send for a block with `used` bytes in use: a power of two of
/// at least 1 MiB, so that a small document costs V8 1 MiB of external memory (V8 counts a
/// buffer's whole length, and collects garbage for it), and a growing one is wrapped again
/// at most once per doubling.
fn buffer_len(used: usize) -> usize {
    used.max(MIN_BUFFER_SIZE)
        .next_power_of_two()
        .min(BUFFER_SIZE)
}

/// A block checked out to JS, with whatever must be dropped when it comes back (a job's
/// read-ahead permit).
struct CheckedOut {
    guard: FixedSizeAllocatorGuard,
    /// What was last written to the block's metadata record (Rust never reads it back from
    /// the JS-visible block).
    meta: RawTransferMetadata,
    /// The documents in the block JS has not released: the block goes back to the pool
    /// when the last one is.
    docs: Docs,
    _lease: Option<Box<dyn std::any::Any>>,
}

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
    /// [`SHRINK_AFTER`]), by block id.
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

    /// Write `meta` (with the block's own generation) into the block, check it out to this
    /// environment and hand it off. On error the block goes back to the pool.
    pub fn send(&self, guard: FixedSizeAllocatorGuard, meta: RawTransferMetadata) -> Result<Sent> {
        self.send_leased(guard, meta, None, 1)
    }

    /// [`send`](Self::send) a block holding `docs` documents (numbered from 0 for
    /// [`release_doc`](Self::release_doc)), keeping `lease` alive until the block goes back.
    pub(crate) fn send_leased(
        &self,
        guard: FixedSizeAllocatorGuard,
        meta: RawTransferMetadata,
        lease: Option<Box<dyn std::any::Any>>,
        docs: usize,
    ) -> Result<Sent> {
        let docs = Docs::all(docs)?;
        self.check_writable(guard.id())?;
        if guard.pool_id() != self.pool.id() {
            return Err(TransferError::invalid_argument(
                "this block belongs to another pool",
            ));
        }
        guard.write_raw_metadata(meta)?;
        let (id, generation) = (guard.id(), guard.generation());
        let buffer = self.hand_off_alloc(&guard, 0, guard.used_bytes())?;
        let meta = RawTransferMetadata { generation, ..meta };
        self.checked_out.borrow_mut().insert(
            id,
            CheckedOut {
                guard,
                meta,
                docs,
                _lease: lease,
            },
        );
        Ok(Sent {
            id,
            generation,
            buffer,
        })
    }

    /// Hand checked-out block `id` off again: its metadata record is rewritten (JS may have
    /// overwritten it) and, in copy mode, every byte in use is copied again.
    pub fn hand_off(&self, id: u32) -> Result<Sent> {
        self.check_writable(id)?;
        let out = self.checked_out.borrow();
        let Some(CheckedOut { guard, meta, .. }) = out.get(&id) else {
            return Err(not_out(id));
        };
        // JS may have scribbled over the record since: write it again from Rust's copy.
        guard.write_raw_metadata(*meta)?;
        let buffer = self.hand_off_alloc(guard, 0, guard.used_bytes())?;
        Ok(Sent {
            id,
            generation: guard.generation(),
            buffer,
        })
    }

    /// Run `f` on checked-out block `id` for reading.
    pub fn read<R>(&self, id: u32, f: impl FnOnce(&FixedSizeAllocator) -> R) -> Result<R> {
        let out = self.checked_out.borrow();
        match out.get(&id) {
            Some(c) => Ok(f(&c.guard)),
            None => Err(not_out(id)),
        }
    }

    /// Run `f` on checked-out block `id` to allocate and write in it. In copy mode, what `f`
    /// allocated (from the cursor before to the cursor after) and the metadata are then
    /// copied to JS; bytes `f` changes in earlier allocations are not — call
    /// [`hand_off`](Self::hand_off) for that.
    pub fn write<R>(&self, id: u32, f: impl FnOnce(&FixedSizeAllocator) -> Result<R>) -> Result<R> {
        self.check_writable(id)?;
        let out = self.checked_out.borrow();
        let Some(CheckedOut { guard, .. }) = out.get(&id) else {
            return Err(not_out(id));
        };
        let before = guard.used_bytes();
        let r = f(guard)?;
        self.sync(guard, before, guard.used_bytes())?;
        Ok(r)
    }

    /// The metadata last written to checked-out block `id`.
    pub fn metadata(&self, id: u32) -> Result<RawTransferMetadata> {
        self.checked_out
            .borrow()
            .get(&id)
            .map(|c| c.meta)
            .ok_or_else(|| not_out(id))
    }

    /// Rewrite checked-out block `id`'s metadata (the generation stays the block's own) and,
    /// in copy mode, copy it to JS.
    pub fn set_metadata(&self, id: u32, meta: RawTransferMetadata) -> Result<()> {
        self.check_writable(id)?;
        let mut out = self.checked_out.borrow_mut();
        let Some(c) = out.get_mut(&id) else {
            return Err(not_out(id));
        };
        c.guard.write_raw_metadata(meta)?;
        c.meta = RawTransferMetadata {
            generation: c.guard.generation(),
            ..meta
        };
        let used = c.guard.used_bytes();
        self.sync(&c.guard, used, used)
    }

    /// Return checked-out block `id` to the pool, whatever documents it holds (they become
    /// stale). Fails (`StaleBuffer`) if it is not out.
    pub fn release(&self, id: u32) -> Result<()> {
        let out = self.checked_out.borrow_mut().remove(&id);
        match out {
            // Dropped outside the borrow: a guard's drop resets and may decommit.
            Some(out) => {
                drop(out);
                Ok(())
            }
            None => Err(not_out(id)),
        }
    }

    /// Let go of document `doc` of checked-out block `id`; the block returns to the pool
    /// with its last document. Fails (`StaleBuffer`) if the block is not out or that
    /// document was already released.
    pub fn release_doc(&self, id: u32, doc: u32) -> Result<()> {
        let back = {
            let mut out = self.checked_out.borrow_mut();
            let Some(c) = out.get_mut(&id) else {
                return Err(not_out(id));
            };
            if !c.docs.release(doc) {
                return Err(TransferError::stale(format!(
                    "document {doc} of block {id} is not held (released already, or never sent)"
                )));
            }
            if c.docs.any_held() {
                return Ok(());
            }
            out.remove(&id)
        };
        // Dropped outside the borrow: a guard's drop resets and may decommit.
        drop(back);
        Ok(())
    }

    /// Let go of every document of `pairs` (`[id, doc, id, doc, …]`) that is held (others
    /// are skipped: a document released twice is harmless). What a batch of releases from
    /// JS calls.
    pub fn release_docs(&self, pairs: &[u32]) -> Result<()> {
        if !pairs.len().is_multiple_of(2) {
            return Err(TransferError::invalid_argument(
                "released documents come as [id, doc] pairs: the array's length must be even",
            ));
        }
        for pair in pairs.chunks_exact(2) {
            let _ = self.release_doc(pair[0], pair[1]);
        }
        Ok(())
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

    /// The buffer of checked-out block `id` again, for a JS cache that lost the one it was
    /// sent (cleared, or a copy-mode buffer transferred away, which is replaced by a new copy).
    /// Fails with `StaleBuffer` if the block is not checked out here, or if its external
    /// buffer was detached (transferred to another thread, where it still is).
    pub fn resend(&self, id: u32) -> Result<RawValue> {
        self.check_writable(id)?;
        let out = self.checked_out.borrow();
        let Some(CheckedOut { guard, .. }) = out.get(&id) else {
            return Err(not_out(id));
        };
        let mut handed = self.handed.borrow_mut();
        match handed.get(&id) {
            Some(Handed::External(reference, len)) => {
                // SAFETY: see `env_is_current`; the reference is live until `close`.
                let value = unsafe { reference_value(self.env, *reference)? };
                // SAFETY: as above; `value` was just read from the reference.
                if unsafe { arraybuffer_len(self.env, value)? } != *len {
                    return Err(HandOffError::Detached.into());
                }
                Ok(RawValue(value))
            }
            Some(Handed::Copy(target)) => {
                // SAFETY: see `env_is_current`.
                match unsafe { target.sync(self.env, guard, 0, guard.used_bytes()) } {
                    // SAFETY: as above.
                    Ok(()) => Ok(RawValue(unsafe { target.value(self.env)? })),
                    Err(HandOffError::Detached) => {
                        let len = buffer_len(guard.used_bytes());
                        let value = self.replace_copy_target(&mut handed, guard, len)?;
                        Ok(RawValue(value))
                    }
                    Err(e) => Err(e.into()),
                }
            }
            None => Err(not_out(id)),
        }
    }

    /// Copy mode: a new JS buffer of `len` bytes with every byte in use, to be sent in place
    /// of the old (transferred away by JS, or too short for what the block now holds).
    fn replace_copy_target(
        &self,
        handed: &mut HashMap<u32, Handed>,
        alloc: &FixedSizeAllocator,
        len: usize,
    ) -> Result<sys::napi_value> {
        // SAFETY: see `env_is_current`.
        let (target, value) = unsafe { CopyTarget::new(self.env, len)? };
        // SAFETY: as above; `target` was made just now on `self.env`.
        unsafe { target.sync(self.env, alloc, 0, alloc.used_bytes())? };
        if let Some(Handed::Copy(old)) = handed.insert(alloc.id(), Handed::Copy(target)) {
            // SAFETY: as above; the old target's reference is deleted once, here.
            unsafe { old.delete(self.env) };
        }
        Ok(value)
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

    /// Pass `alloc`'s block to JS: a buffer the first time, and again when the one sent
    /// before is too short for the bytes in use now (copy mode: also when JS transferred it
    /// away); `None` otherwise (copy mode: after copying the record and `[from, to)` into
    /// the JS buffer).
    fn hand_off_alloc(
        &self,
        alloc: &FixedSizeAllocator,
        from: usize,
        to: usize,
    ) -> Result<Option<RawValue>> {
        let id = alloc.id();
        let used = alloc.used_bytes();
        let mut handed = self.handed.borrow_mut();
        // Whether the buffer JS holds, of `len` bytes, is to be replaced by a shorter one now.
        let need = buffer_len(used);
        let shrink = |len: usize| {
            let mut oversized = self.oversized.borrow_mut();
            if len <= SHRINK_FLOOR || len / 4 < need {
                oversized.remove(&id);
                return false;
            }
            let runs = oversized.entry(id).or_insert(0);
            *runs += 1;
            if *runs < SHRINK_AFTER {
                return false;
            }
            oversized.remove(&id);
            true
        };
        match handed.get(&id) {
            Some(Handed::External(_, len)) if *len >= used && !shrink(*len) => return Ok(None),
            Some(Handed::Copy(target)) if target.len() >= used && !shrink(target.len()) => {
                // SAFETY: see `env_is_current`.
                return match unsafe { target.sync(self.env, alloc, from, to) } {
                    Ok(()) => Ok(None),
                    // Transferred away by JS: a new buffer replaces it in the JS cache.
                    Err(HandOffError::Detached) => {
                        let len = buffer_len(used);
                        Ok(Some(RawValue(self.replace_copy_target(
                            &mut handed,
                            alloc,
                            len,
                        )?)))
                    }
                    Err(e) => Err(e.into()),
                };
            }
            Some(Handed::Copy(_)) => {
                let len = buffer_len(used);
                return Ok(Some(RawValue(self.replace_copy_target(
                    &mut handed,
                    alloc,
                    len,
                )?)));
            }
            // Not sent here yet, or an external buffer too short or long past need: wrap (again) below.
            _ => {}
        }
        let len = buffer_len(used);
        if self.mode.get() == TransferMode::External {
            // SAFETY: see `env_is_current`.
            match unsafe { wrap_external(self.env, alloc, len) } {
                Ok((value, owner)) => {
                    self.state.add_owner(owner);
                    let mut reference = std::ptr::null_mut();
                    // SAFETY: `value` was created just now on the current environment.
                    let status =
                        unsafe { sys::napi_create_reference(self.env, value, 1, &mut reference) };
                    if status != sys::Status::napi_ok {
                        return Err(TransferError::internal(format!(
                            "napi_create_reference failed with status {status}"
                        )));
                    }
                    let old = handed.insert(id, Handed::External(reference, len));
                    if let Some(Handed::External(old, _)) = old {
                        // The buffer sent before (too short, or far too long): JS replaces
                        // it in its cache; ours goes (its owner count goes with the buffer,
                        // when the GC takes it).
                        // SAFETY: see `env_is_current`; the old reference is deleted once.
                        unsafe { sys::napi_delete_reference(self.env, old) };
                    }
                    return Ok(Some(RawValue(value)));
                }
                // `Auto` found out only now (the probe passed): switch for good.
                Err(HandOffError::ExternalForbidden) => self.mode.set(TransferMode::Copy),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Some(RawValue(self.replace_copy_target(
            &mut handed,
            alloc,
            len,
        )?)))
    }

    /// Copy mode: bring the JS copy of `[from, to)` and the metadata up to date.
    /// A buffer too short for `to` is left alone: the next hand-off sends a longer one.
    fn sync(&self, alloc: &FixedSizeAllocator, from: usize, to: usize) -> Result<()> {
        if let Some(Handed::Copy(target)) = self.handed.borrow().get(&alloc.id())
            && target.len() >= to
        {
            // SAFETY: see `env_is_current`.
            unsafe { target.sync(self.env, alloc, from, to)? };
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

/// How long environment teardown waits for blocks still held by Rust threads.
const TEARDOWN_WAIT: Duration = Duration::from_secs(2);

impl Teardown for EnvPool {
    fn teardown(&self) {
        self.closed.set(true);
        self.pool.close();
        let out = std::mem::take(&mut *self.checked_out.borrow_mut());
        drop(out);
        // The environment's references die with it: drop the records without a Node-API
        // call (a `CopyTarget` has no `Drop`; `delete` is what would call Node-API).
        self.handed.borrow_mut().clear();
        // Blocks still out are in Rust threads (a job's producer finishing the item in hand;
        // the jobs were cancelled before this, see `teardown_env`): wait for them, bounded,
        // so the environment ends (a worker's 'exit' event comes) with its blocks freed.
        self.pool.wait_all_returned(TEARDOWN_WAIT);
    }
}

impl Drop for EnvPool {
    fn drop(&mut self) {
        // Runs from a JS finalizer or at environment teardown, on the environment's thread.
        // After teardown `handed` is empty, so this makes no Node-API call.
        self.close();
        let out = std::mem::take(&mut *self.checked_out.borrow_mut());
        drop(out);
    }
}
