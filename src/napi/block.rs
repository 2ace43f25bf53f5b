//! `NativeBlock`: one block checked out to JS. Its allocator lives in the pool's
//! `checked_out` table (see `PoolEnv`), so that environment teardown can return it.

use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use super::pool::{PoolEnv, alloc_error};
use super::{RawValue, code, error};
use crate::geometry::ACTIVE_SIZE;
use crate::transfer::RawTransferMetadata;
use crate::{AllocError, FixedSizeAllocator};

/// One checked-out block.
#[napi]
pub struct NativeBlock {
    pool: Rc<PoolEnv>,
    id: u32,
    generation: u32,
    released: bool,
    /// Written at each hand-off (the generation field is always the allocator's own).
    meta: RawTransferMetadata,
}

impl NativeBlock {
    pub(crate) fn new(pool: Rc<PoolEnv>, id: u32, generation: u32, meta: RawTransferMetadata) -> Self {
        Self { pool, id, generation, released: false, meta }
    }

    /// Run `f` on the block for reading.
    fn with<R>(&self, f: impl FnOnce(&FixedSizeAllocator) -> Result<R>) -> Result<R> {
        self.access(false, f)
    }

    /// Run `f` on the block to write to it or hand it off (not once the pool is closed).
    fn with_mut<R>(&self, f: impl FnOnce(&FixedSizeAllocator) -> Result<R>) -> Result<R> {
        self.access(true, f)
    }

    fn access<R>(&self, writing: bool, f: impl FnOnce(&FixedSizeAllocator) -> Result<R>) -> Result<R> {
        if self.released {
            return Err(error(code::STALE_BUFFER, format!("block {} was released", self.id)));
        }
        self.pool.with_block(self.id, writing, f)
    }

    /// Copy `bytes` into the arena at an `align`-aligned offset; returns that offset.
    fn write(&self, bytes: &[u8], align: usize) -> Result<u32> {
        self.with_mut(|alloc| {
            let layout = std::alloc::Layout::from_size_align(bytes.len(), align)
                .map_err(|_| alloc_error(AllocError::OutOfMemory))?;
            let dst = alloc.try_alloc_layout(layout).map_err(alloc_error)?;
            // SAFETY: `dst` is a fresh arena allocation of `bytes.len()` bytes, disjoint from
            // `bytes` (which lives in JS or Rust heap memory, not in this block's free space).
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst.as_ptr(), bytes.len()) };
            let start = alloc.offset_of(dst.as_ptr()) as usize;
            self.pool.sync(alloc, start, start + bytes.len())?;
            Ok(start as u32)
        })
    }
}

impl Drop for NativeBlock {
    fn drop(&mut self) {
        // The JS object was finalized without release(): return the block now.
        if !self.released {
            self.pool.check_in(self.id);
        }
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
        self.released
    }

    #[napi(getter)]
    pub fn used_bytes(&self) -> Result<f64> {
        self.with(|alloc| Ok(alloc.used_bytes() as f64))
    }

    /// Write the metadata and pass the block to this environment: returns the buffer the
    /// first time this environment sees the block, `null` afterwards.
    #[napi]
    pub fn hand_off(&self) -> Result<RawValue> {
        self.with_mut(|alloc| {
            alloc.write_raw_metadata(self.meta);
            Ok(RawValue(self.pool.hand_off(alloc, 0, alloc.used_bytes())?))
        })
    }

    #[napi]
    pub fn write_bytes(&self, bytes: Uint8ArraySlice) -> Result<Written> {
        let len = bytes.len();
        if len > ACTIVE_SIZE {
            let remaining = self.with(|alloc| Ok(alloc.remaining_bytes()))?;
            return Err(alloc_error(AllocError::BlockFull { requested: len, remaining }));
        }
        // 8-aligned, so structured data (pointers, f64s) can be read with typed arrays.
        Ok(Written { ptr: self.write(&bytes, 8)?, len: len as u32 })
    }

    #[napi]
    pub fn write_string(&self, s: String) -> Result<Written> {
        Ok(Written { ptr: self.write(s.as_bytes(), 1)?, len: s.len() as u32 })
    }

    #[napi]
    pub fn set_data_offset(&mut self, offset: u32) -> Result<()> {
        let mut meta = self.meta;
        meta.data_offset = offset;
        self.with_mut(|alloc| {
            if offset as usize > alloc.used_bytes() {
                return Err(error(
                    code::INVALID_ARGUMENT,
                    format!("data offset {offset} is past the {} bytes written to block {}", alloc.used_bytes(), self.id),
                ));
            }
            alloc.write_raw_metadata(meta);
            self.pool.sync(alloc, 0, 0)
        })?;
        self.meta = meta;
        Ok(())
    }

    /// A copy of `[ptr, ptr + len)` of the block in a new Node `Buffer` (`napi_create_buffer_copy`):
    /// what a conventional addon does to return bytes, kept as the benchmark baseline and for
    /// users who need data to outlive the block.
    #[napi]
    pub fn copy_to_buffer(&self, ptr: u32, len: u32) -> Result<RawValue> {
        self.with(|alloc| {
            let (ptr, len) = (ptr as usize, len as usize);
            if ptr + len > alloc.used_bytes() {
                return Err(error(code::INVALID_ARGUMENT, format!("range [{ptr}, {}) is past the bytes written", ptr + len)));
            }
            let mut value = std::ptr::null_mut();
            // SAFETY: the range is inside the allocator's used (so committed) data region,
            // which stays checked out during this call; napi copies it before returning.
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
        })
    }

    /// Return the block to the pool. Idempotent.
    #[napi]
    pub fn release(&mut self) {
        if !self.released {
            self.released = true;
            self.pool.check_in(self.id);
        }
    }
}
