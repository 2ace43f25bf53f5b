//! `NativePool` and `NativeBlock`: a [`FixedSizeAllocatorPool`] bound to the JS environment
//! that created it, and one checked-out block.
//!
//! A pool belongs to one environment (a JS object cannot cross threads), so "which blocks
//! does this environment hold" is simply the pool's `handed` map. Each block is wrapped at
//! most once in its life: the wrapper is kept (by the JS cache) until the pool closes, and a
//! closed pool's blocks are never reused. V8 therefore never sees two live external buffers
//! over the same memory.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use super::block::NativeBlock;
use super::env::EnvState;
use super::handoff::{CopyTarget, HandOffError, external_buffers_allowed, wrap_external};
use super::{code, error};
use crate::pool::{FixedSizeAllocatorGuard, FixedSizeAllocatorPool, PoolError};
use crate::transfer::RawTransferMetadata;
use crate::{AllocError, FixedSizeAllocator};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    External,
    Copy,
}

/// What this environment holds of a block.
enum Handed {
    External,
    Copy(CopyTarget),
}

pub(crate) struct PoolEnv {
    /// Shared with the parse threads of `parseJsonFiles`; closed explicitly, not on drop.
    pub(crate) pool: Arc<FixedSizeAllocatorPool>,
    pub(crate) env: sys::napi_env,
    state: Rc<EnvState>,
    mode: std::cell::Cell<Mode>,
    handed: RefCell<HashMap<u32, Handed>>,
    /// The blocks checked out to JS (`NativeBlock`s), by block id. Kept here rather than in
    /// the `NativeBlock` so that environment teardown can return them even when the runtime
    /// never finalizes the `NativeBlock` objects.
    checked_out: RefCell<HashMap<u32, FixedSizeAllocatorGuard>>,
    /// Set by `close()`: checked-out blocks stay readable from JS but take no more writes
    /// or hand-offs (their copy targets and wrapper records are gone).
    closed: std::cell::Cell<bool>,
}

impl PoolEnv {
    pub(crate) fn map_pool_error(&self, e: PoolError) -> Error {
        match e {
            PoolError::Exhausted { .. } => error(code::POOL_EXHAUSTED, e),
            PoolError::Closed => error(code::POOL_CLOSED, "the pool is closed"),
            PoolError::Block(_) => error(code::OUT_OF_MEMORY, e),
        }
    }

    /// Pass `alloc`'s block to JS: the buffer the first time, `null` afterwards (copy mode:
    /// after copying `[from, to)` and the metadata into the JS buffer).
    pub(crate) fn hand_off(&self, alloc: &FixedSizeAllocator, from: usize, to: usize) -> Result<sys::napi_value> {
        let id = alloc.id();
        let mut handed = self.handed.borrow_mut();
        match handed.get(&id) {
            Some(Handed::External) => return null(self.env),
            Some(Handed::Copy(target)) => {
                target.sync(self.env, alloc, from, to).map_err(hand_off_error)?;
                return null(self.env);
            }
            None => {}
        }
        if self.mode.get() == Mode::External {
            match wrap_external(self.env, alloc) {
                Ok((value, owner)) => {
                    self.state.add_owner(owner);
                    handed.insert(id, Handed::External);
                    return Ok(value);
                }
                // `auto` found out only now (the probe passed): switch for good.
                Err(HandOffError::ExternalForbidden) => self.mode.set(Mode::Copy),
                Err(e) => return Err(hand_off_error(e)),
            }
        }
        let (target, value) = CopyTarget::new(self.env).map_err(hand_off_error)?;
        target.sync(self.env, alloc, 0, alloc.used_bytes()).map_err(hand_off_error)?;
        handed.insert(id, Handed::Copy(target));
        Ok(value)
    }

    /// Copy mode: bring the JS copy of `[from, to)` up to date. External mode: nothing to do.
    pub(crate) fn sync(&self, alloc: &FixedSizeAllocator, from: usize, to: usize) -> Result<()> {
        if let Some(Handed::Copy(target)) = self.handed.borrow().get(&alloc.id()) {
            target.sync(self.env, alloc, from, to).map_err(hand_off_error)?;
        }
        Ok(())
    }

    /// Check `guard` out to JS as a `NativeBlock`.
    pub(crate) fn check_out(self: &Rc<Self>, guard: FixedSizeAllocatorGuard, meta: RawTransferMetadata) -> NativeBlock {
        let (id, generation) = (guard.id(), guard.generation());
        self.checked_out.borrow_mut().insert(id, guard);
        NativeBlock::new(Rc::clone(self), id, generation, meta)
    }

    /// Run `f` on checked-out block `id`, or fail with StaleBuffer if it was returned (and,
    /// when `writing`, with PoolClosed once the pool is closed).
    pub(crate) fn with_block<R>(&self, id: u32, writing: bool, f: impl FnOnce(&FixedSizeAllocator) -> Result<R>) -> Result<R> {
        if writing && self.closed.get() {
            return Err(error(
                code::POOL_CLOSED,
                format!("the pool is closed: block {id} can still be read from JS, but not written or handed off"),
            ));
        }
        let blocks = self.checked_out.borrow();
        match blocks.get(&id) {
            Some(guard) => f(guard),
            None => Err(error(code::STALE_BUFFER, format!("block {id} was released"))),
        }
    }

    /// Return checked-out block `id` to the pool (if it is still out).
    pub(crate) fn check_in(&self, id: u32) {
        let guard = self.checked_out.borrow_mut().remove(&id);
        drop(guard); // outside the borrow: a guard's drop resets and may decommit
    }

    /// Environment teardown (see `env.rs`): no JS runs any more and Node-API calls are no
    /// longer safe, so let go of everything without calling into the runtime.
    pub(crate) fn teardown(&self) {
        self.closed.set(true);
        self.pool.close();
        let blocks = std::mem::take(&mut *self.checked_out.borrow_mut());
        drop(blocks);
        for (_, handed) in self.handed.borrow_mut().drain() {
            // The environment's references die with it.
            std::mem::forget(handed);
        }
    }

    fn close(&self) {
        self.closed.set(true);
        self.pool.close();
        for (_, handed) in self.handed.borrow_mut().drain() {
            if let Handed::Copy(target) = handed {
                target.delete(self.env);
            }
        }
    }
}

impl Drop for PoolEnv {
    fn drop(&mut self) {
        // Runs from a JS finalizer or at environment teardown, on the environment's thread.
        self.close();
    }
}

fn null(env: sys::napi_env) -> Result<sys::napi_value> {
    let mut value = std::ptr::null_mut();
    // SAFETY: `env` is current; `value` is a valid out-pointer.
    let status = unsafe { sys::napi_get_null(env, &mut value) };
    if status != sys::Status::napi_ok {
        return Err(error(code::INTERNAL, "napi_get_null failed"));
    }
    Ok(value)
}

fn hand_off_error(e: HandOffError) -> Error {
    match e {
        HandOffError::ExternalForbidden => error(
            code::EXTERNAL_FORBIDDEN,
            "this runtime forbids external ArrayBuffers; create the pool with transfer: 'auto' or 'copy'",
        ),
        HandOffError::Status(what, status) => error(code::INTERNAL, format!("{what} failed with status {status}")),
        HandOffError::OutOfMemory => error(
            code::OUT_OF_MEMORY,
            "the OS would not commit another 2 GiB copy-mode buffer (each block costs BUFFER_SIZE of JS memory in \
             copy mode); use fewer blocks or external transfer",
        ),
        HandOffError::Detached => error(
            code::STALE_BUFFER,
            "the block's ArrayBuffer was detached (transferred?); block buffers cannot be transferred",
        ),
    }
}

pub(crate) fn alloc_error(e: AllocError) -> Error {
    match e {
        AllocError::BlockFull { .. } => error(code::BLOCK_FULL, e),
        _ => error(code::OUT_OF_MEMORY, e),
    }
}

/// A pool of fixed-size blocks bound to the calling JS environment.
#[napi]
pub struct NativePool {
    pub(crate) inner: Rc<PoolEnv>,
    acquire_timeout: Duration,
}

impl NativePool {
    /// Check out a guard, waiting at most the pool's acquire timeout.
    pub(crate) fn acquire_guard(&self) -> Result<FixedSizeAllocatorGuard> {
        let guard = if self.acquire_timeout.is_zero() {
            self.inner.pool.try_get()
        } else {
            self.inner.pool.get_timeout(self.acquire_timeout)
        };
        guard.map_err(|e| self.inner.map_pool_error(e))
    }
}

#[napi(object)]
pub struct NativePoolStats {
    pub size: u32,
    pub created: u32,
    pub available: u32,
    pub in_use: u32,
    pub committed_bytes: f64,
    pub resident_bytes: f64,
}

#[napi]
impl NativePool {
    /// `transfer`: "auto" | "external" | "copy". `acquire_timeout_ms`: how long `acquire`
    /// may block the JS thread waiting for a block (0: fail at once).
    #[napi(constructor)]
    pub fn new(env: Env, size: u32, transfer: String, acquire_timeout_ms: f64, retain_bytes: f64, max_retain_bytes: f64) -> Result<Self> {
        let bytes = |v: f64, what: &str| {
            if v >= 0.0 && v <= crate::ACTIVE_SIZE as f64 {
                Ok(v as usize)
            } else {
                Err(error(code::INVALID_ARGUMENT, format!("{what} must be between 0 and ACTIVE_SIZE, got {v}")))
            }
        };
        let (retain, max_retain) = (bytes(retain_bytes, "retainBytes")?, bytes(max_retain_bytes, "maxRetainBytes")?);
        if size == 0 || size > 4096 {
            return Err(error(code::INVALID_ARGUMENT, format!("pool size must be 1..=4096, got {size}")));
        }
        if !(acquire_timeout_ms >= 0.0 && acquire_timeout_ms.is_finite()) {
            return Err(error(code::INVALID_ARGUMENT, "acquireTimeoutMs must be a finite number >= 0"));
        }
        let raw_env = env.raw();
        let mode = match transfer.as_str() {
            "copy" => Mode::Copy,
            "external" if !external_buffers_allowed(raw_env) => {
                return Err(hand_off_error(HandOffError::ExternalForbidden));
            }
            "external" => Mode::External,
            "auto" if external_buffers_allowed(raw_env) => Mode::External,
            "auto" => Mode::Copy,
            other => {
                return Err(error(code::INVALID_ARGUMENT, format!("transfer must be 'auto', 'external' or 'copy', got '{other}'")));
            }
        };
        let state = EnvState::of(raw_env);
        let inner = PoolEnv {
            pool: Arc::new(FixedSizeAllocatorPool::with_retention(size as usize, retain, max_retain)),
            env: raw_env,
            state: Rc::clone(&state),
            checked_out: RefCell::new(HashMap::new()),
            closed: std::cell::Cell::new(false),
            mode: std::cell::Cell::new(mode),
            handed: RefCell::new(HashMap::new()),
        };
        let inner = Rc::new(inner);
        state.add_pool(&inner);
        Ok(Self { inner, acquire_timeout: Duration::from_secs_f64(acquire_timeout_ms / 1000.0) })
    }

    #[napi(getter)]
    pub fn size(&self) -> u32 {
        self.inner.pool.size() as u32
    }

    #[napi(getter)]
    pub fn transfer_mode(&self) -> &'static str {
        match self.inner.mode.get() {
            Mode::External => "external",
            Mode::Copy => "copy",
        }
    }

    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.inner.pool.is_closed()
    }

    #[napi]
    pub fn stats(&self) -> NativePoolStats {
        let s = self.inner.pool.stats();
        NativePoolStats {
            size: s.size as u32,
            created: s.created as u32,
            available: s.available as u32,
            in_use: s.in_use as u32,
            committed_bytes: s.committed_bytes as f64,
            resident_bytes: s.resident_bytes as f64,
        }
    }

    /// Check out a block (waiting at most the pool's acquire timeout).
    #[napi]
    pub fn acquire(&self) -> Result<NativeBlock> {
        let guard = self.acquire_guard()?;
        Ok(self.inner.check_out(guard, RawTransferMetadata::default()))
    }

    /// Give the memory idle blocks keep for future documents back to the OS.
    #[napi]
    pub fn trim(&self) {
        self.inner.pool.trim();
    }

    /// Let go of every block Rust holds; blocks JS still references are freed by the GC.
    #[napi]
    pub fn close(&self) {
        self.inner.close();
    }
}
