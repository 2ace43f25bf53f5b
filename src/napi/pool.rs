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

use super::handoff::{CopyTarget, HandOffError, external_buffers_allowed, wrap_external};
use super::{RawValue, code, error};
use crate::geometry::ACTIVE_SIZE;
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
    env: sys::napi_env,
    mode: std::cell::Cell<Mode>,
    handed: RefCell<HashMap<u32, Handed>>,
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
    fn hand_off(&self, alloc: &FixedSizeAllocator, from: usize, to: usize) -> Result<sys::napi_value> {
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
                Ok(value) => {
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
    fn sync(&self, alloc: &FixedSizeAllocator, from: usize, to: usize) -> Result<()> {
        if let Some(Handed::Copy(target)) = self.handed.borrow().get(&alloc.id()) {
            target.sync(self.env, alloc, from, to).map_err(hand_off_error)?;
        }
        Ok(())
    }

    fn close(&self) {
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
        let inner = PoolEnv {
            pool: Arc::new(FixedSizeAllocatorPool::with_retention(size as usize, retain, max_retain)),
            env: raw_env,
            mode: std::cell::Cell::new(mode),
            handed: RefCell::new(HashMap::new()),
        };
        Ok(Self { inner: Rc::new(inner), acquire_timeout: Duration::from_secs_f64(acquire_timeout_ms / 1000.0) })
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
        Ok(NativeBlock::new(Rc::clone(&self.inner), guard, RawTransferMetadata::default()))
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

/// One checked-out block.
#[napi]
pub struct NativeBlock {
    pool: Rc<PoolEnv>,
    guard: Option<FixedSizeAllocatorGuard>,
    id: u32,
    generation: u32,
    /// Written at each hand-off (the generation field is always the allocator's own).
    meta: RawTransferMetadata,
}

impl NativeBlock {
    pub(crate) fn new(pool: Rc<PoolEnv>, guard: FixedSizeAllocatorGuard, meta: RawTransferMetadata) -> Self {
        let (id, generation) = (guard.id(), guard.generation());
        Self { pool, guard: Some(guard), id, generation, meta }
    }

    fn alloc(&self) -> Result<&FixedSizeAllocator> {
        match &self.guard {
            Some(g) => Ok(g),
            None => Err(error(code::STALE_BUFFER, format!("block {} was released", self.id))),
        }
    }

    /// Copy `bytes` into the arena; returns the offset of the copy.
    fn write(&self, bytes: &[u8]) -> Result<u32> {
        let alloc = self.alloc()?;
        let copy = alloc.try_alloc_slice_copy(bytes).map_err(alloc_error)?;
        let start = alloc.offset_of(copy.as_ptr()) as usize;
        self.pool.sync(alloc, start, start + bytes.len())?;
        Ok(start as u32)
    }

    fn write_metadata(&self) -> Result<&FixedSizeAllocator> {
        let alloc = self.alloc()?;
        alloc.write_raw_metadata(self.meta);
        Ok(alloc)
    }
}

#[napi(object)]
pub struct Written {
    pub ptr: u32,
    pub len: u32,
}

#[napi]
impl NativeBlock {
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.id
    }

    #[napi(getter)]
    pub fn generation(&self) -> u32 {
        self.generation
    }

    #[napi(getter)]
    pub fn released(&self) -> bool {
        self.guard.is_none()
    }

    #[napi(getter)]
    pub fn used_bytes(&self) -> Result<f64> {
        Ok(self.alloc()?.used_bytes() as f64)
    }

    /// Write the metadata and pass the block to this environment: returns the buffer the
    /// first time this environment sees the block, `null` afterwards.
    #[napi]
    pub fn hand_off(&self) -> Result<RawValue> {
        let alloc = self.write_metadata()?;
        Ok(RawValue(self.pool.hand_off(alloc, 0, alloc.used_bytes())?))
    }

    #[napi]
    pub fn write_bytes(&self, bytes: Uint8ArraySlice) -> Result<Written> {
        let len = bytes.len();
        if len > ACTIVE_SIZE {
            return Err(alloc_error(AllocError::BlockFull { requested: len, remaining: self.alloc()?.remaining_bytes() }));
        }
        Ok(Written { ptr: self.write(&bytes)?, len: len as u32 })
    }

    #[napi]
    pub fn write_string(&self, s: String) -> Result<Written> {
        Ok(Written { ptr: self.write(s.as_bytes())?, len: s.len() as u32 })
    }

    #[napi]
    pub fn set_data_offset(&mut self, offset: u32) -> Result<()> {
        let alloc = self.alloc()?;
        if offset as usize > alloc.used_bytes() {
            return Err(error(
                code::INVALID_ARGUMENT,
                format!("data offset {offset} is past the {} bytes written to block {}", alloc.used_bytes(), self.id),
            ));
        }
        self.meta.data_offset = offset;
        let alloc = self.write_metadata()?;
        self.pool.sync(alloc, 0, 0)
    }

    /// A copy of `[ptr, ptr + len)` of the block in a new Node `Buffer` (`napi_create_buffer_copy`):
    /// what a conventional addon does to return bytes, kept as the benchmark baseline and for
    /// users who need data to outlive the block.
    #[napi]
    pub fn copy_to_buffer(&self, ptr: u32, len: u32) -> Result<RawValue> {
        let alloc = self.alloc()?;
        let (ptr, len) = (ptr as usize, len as usize);
        if ptr + len > alloc.used_bytes() {
            return Err(error(code::INVALID_ARGUMENT, format!("range [{ptr}, {}) is past the bytes written", ptr + len)));
        }
        let mut value = std::ptr::null_mut();
        // SAFETY: the range is inside the allocator's used (so committed) data region, which
        // it owns while `self.guard` is held; napi copies it before returning.
        let status = unsafe {
            sys::napi_create_buffer_copy(
                self.pool.env,
                len,
                alloc.base_ptr().as_ptr().add(ptr).cast(),
                std::ptr::null_mut(),
                &mut value,
            )
        };
        if status != sys::Status::napi_ok {
            return Err(error(code::OUT_OF_MEMORY, format!("napi_create_buffer_copy of {len} bytes failed ({status})")));
        }
        Ok(RawValue(value))
    }

    /// Return the block to the pool. Idempotent.
    #[napi]
    pub fn release(&mut self) {
        self.guard = None;
    }
}
