//! `NativePool`: this package's pool class, an [`EnvPool`] with the operations the JS
//! runtime (`js/native/pool.js`) needs. Blocks are named by id: JS holds the hand-off record
//! (`{ id, generation, buffer }`, or its packed number) and passes the id back. The calls
//! made once per document (parse, acquire, hand-off, release) are fast calls
//! ([`NativePool::fast_calls`]), not napi-rs methods.

use std::rc::Rc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::napi::{
    EnvPool, RawValue, Sent, Transfer, TransferError, Wait, block_id_arg, catch_panic_in, copy_of,
    fast_function, fast_release, string_utf8, uint8_array,
};
use crate::pool::FixedSizeAllocatorPool;
use crate::producers::json::Parser;
use crate::transfer::RawTransferMetadata;
use crate::{AllocError, FixedSizeAllocator};

thread_local! {
    /// The JS thread's parser (its scratch stacks are reused across documents).
    static PARSER: std::cell::RefCell<Parser> = std::cell::RefCell::new(Parser::new());
}

/// A pool of fixed-size blocks bound to the calling JS environment.
#[napi]
pub struct NativePool {
    pub(crate) inner: Rc<EnvPool>,
    acquire_wait: Wait,
}

#[napi(object)]
pub struct Written {
    pub ptr: u32,
    pub len: u32,
}

/// The longest `acquireTimeoutMs` (what `setTimeout` accepts too: 2^31 - 1 ms, ~24.8 days).
const MAX_TIMEOUT_MS: f64 = 2_147_483_647.0;

fn bytes_option(v: f64, what: &str) -> std::result::Result<usize, TransferError> {
    if v >= 0.0 && v <= crate::ACTIVE_SIZE as f64 && v.fract() == 0.0 {
        Ok(v as usize)
    } else {
        Err(TransferError::invalid_argument(format!(
            "{what} must be an integer between 0 and ACTIVE_SIZE, got {v}"
        )))
    }
}

/// `bytes`, or a copy of them (fallible) when they lie in a block: JS may pass a view of a
/// block buffer, whose bytes a write into the same block would overwrite while they are
/// read (a released block is the next one handed out), or another thread may be filling.
fn outside_blocks(bytes: &[u8]) -> std::result::Result<std::borrow::Cow<'_, [u8]>, TransferError> {
    if !crate::block::overlaps_live_block(bytes.as_ptr(), bytes.len()) {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    Ok(std::borrow::Cow::Owned(copy_of(
        bytes,
        format_args!("an input out of a block"),
    )?))
}

/// Parse `bytes` into a block of `pool` and hand it off (`parseJson`, both forms).
fn parse_json(
    pool: &EnvPool,
    wait: Wait,
    bytes: &[u8],
) -> std::result::Result<Sent, TransferError> {
    let bytes = &*outside_blocks(bytes)?;
    parse_into_block(pool, wait, |p, alloc| p.parse(alloc, bytes))
}

type ParseResult<'a> =
    std::result::Result<&'a crate::producers::json::Document, crate::producers::json::ParseError>;

/// Parse into a block of `pool` (what `parse` does with the thread's parser and the
/// block) and hand the block off.
fn parse_into_block(
    pool: &EnvPool,
    wait: Wait,
    parse: impl for<'a> FnOnce(&mut Parser, &'a FixedSizeAllocator) -> ParseResult<'a>,
) -> std::result::Result<Sent, TransferError> {
    let guard = pool.acquire(wait)?;
    let meta =
        PARSER.with_borrow_mut(|p| parse(p, &guard).map(|doc| doc.raw_transfer_metadata(&guard)));
    let meta = meta.map_err(|e| TransferError::from(crate::napi::ProduceError::from(e)))?;
    pool.send(guard, meta)
}

impl NativePool {
    /// Copy `bytes` into block `id`'s arena at an `align`-aligned offset; returns that offset.
    fn write(&self, id: u32, bytes: &[u8], align: usize) -> Result<u32> {
        let bytes = &*outside_blocks(bytes)?;
        Ok(self.inner.write(id, |alloc: &FixedSizeAllocator| {
            if bytes.len() > crate::ACTIVE_SIZE {
                return Err(AllocError::BlockFull {
                    requested: bytes.len(),
                    remaining: alloc.remaining_bytes(),
                }
                .into());
            }
            let layout = std::alloc::Layout::from_size_align(bytes.len(), align)
                .map_err(|_| AllocError::OutOfMemory)?;
            let dst = alloc.try_alloc_layout(layout)?;
            // SAFETY: `dst` is a fresh arena allocation of `bytes.len()` bytes, disjoint from
            // `bytes`, which `outside_blocks` made sure lie in no block.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst.as_ptr(), bytes.len()) };
            Ok(alloc.offset_of(dst.as_ptr()))
        })?)
    }
}

#[napi]
impl NativePool {
    /// `transfer`: "auto" | "external" | "copy". `acquire_timeout_ms`: how long `acquire`
    /// may block the JS thread waiting for a block (0: fail at once).
    #[napi(constructor)]
    pub fn new(
        env: Env,
        size: f64,
        transfer: String,
        acquire_timeout_ms: f64,
        retain_bytes: f64,
        max_retain_bytes: f64,
    ) -> Result<Self> {
        catch_panic_in(&env, || {
            let retain = bytes_option(retain_bytes, "retainBytes")?;
            let max_retain = bytes_option(max_retain_bytes, "maxRetainBytes")?;
            if !(1.0..=4096.0).contains(&size) || size.fract() != 0.0 {
                return Err(TransferError::invalid_argument(format!(
                    "pool size must be an integer in 1..=4096, got {size}"
                ))
                .into());
            }
            let size = size as u32;
            if !(0.0..=MAX_TIMEOUT_MS).contains(&acquire_timeout_ms) {
                return Err(TransferError::invalid_argument(format!(
                    "acquireTimeoutMs must be a number of milliseconds in 0..={MAX_TIMEOUT_MS}, got {acquire_timeout_ms}"
                ))
                .into());
            }
            let transfer: Transfer = transfer.parse()?;
            let pool = FixedSizeAllocatorPool::with_retention(size as usize, retain, max_retain);
            let inner = EnvPool::new(&env, pool, transfer)?;
            let acquire_wait = if acquire_timeout_ms == 0.0 {
                Wait::No
            } else {
                Wait::AtMost(Duration::from_secs_f64(acquire_timeout_ms / 1000.0))
            };
            Ok(Self {
                inner,
                acquire_wait,
            })
        })
    }

    /// The hot calls as plain Node-API functions over this pool (see `crate::napi::fast`):
    /// `parseJson(bytes: Uint8Array)`, `acquire()` and `handOff(id)` return a hand-off,
    /// `release(id)` nothing. A hand-off with no buffer is the number `id × 2^32 +
    /// generation`, else the `Sent` record. The functions keep the pool's state alive while
    /// JS holds them.
    #[napi(
        ts_return_type = "{ parseJson(bytes: Uint8Array): Sent | number; parseJsonString(text: string): Sent | number | null; acquire(): Sent | number; handOff(id: number): Sent | number; release(id: number): void }"
    )]
    pub fn fast_calls(&self, env: Env) -> Result<RawValue> {
        catch_panic_in(&env, || {
            let calls = [
                fast_function(
                    &env,
                    c"parseJson",
                    (Rc::clone(&self.inner), self.acquire_wait),
                    |env, (pool, wait), args| {
                        let text = *args.first().ok_or_else(|| {
                            TransferError::invalid_argument("parseJson expects a Uint8Array")
                        })?;
                        // SAFETY: the call is in progress on `env`, and the bytes are used
                        // only within it, with no call into JS (the parse is Rust alone).
                        let bytes = unsafe { uint8_array(env.raw(), text, "parseJson's text")? };
                        let sent = parse_json(pool, *wait, &bytes)?;
                        // SAFETY: `env` is this call's environment.
                        unsafe { sent.into_js_packed(env.raw()) }
                    },
                ),
                fast_function(
                    &env,
                    c"parseJsonString",
                    (Rc::clone(&self.inner), self.acquire_wait),
                    |env, (pool, wait), args| {
                        let text = *args.first().ok_or_else(|| {
                            TransferError::invalid_argument("parseJsonString expects a string")
                        })?;
                        // UTF-16 out of the runtime, transcoded here: several times faster
                        // than the runtime's own UTF-8 writer (TextEncoder), and the parse
                        // then skips the UTF-8 check.
                        // SAFETY: the call is in progress on `env` and `text` is one of its
                        // arguments.
                        let (text, lossy) = unsafe { string_utf8(env.raw(), text)? };
                        if lossy.unwrap_or_else(|| text.contains('\u{FFFD}')) {
                            // A surrogate without its pair became U+FFFD (or, written by
                            // the runtime, may have: the text holds one), where JSON.parse
                            // keeps it: `null` asks JS to write it as an escape and send
                            // bytes (js/json/input.js). No block was taken.
                            return crate::napi::null(env.raw());
                        }
                        let sent =
                            parse_into_block(pool, *wait, |p, alloc| p.parse_str(alloc, &text))?;
                        // SAFETY: `env` is this call's environment.
                        unsafe { sent.into_js_packed(env.raw()) }
                    },
                ),
                fast_function(
                    &env,
                    c"acquire",
                    (Rc::clone(&self.inner), self.acquire_wait),
                    |env, (pool, wait), _| {
                        let guard = pool.acquire(*wait)?;
                        let sent = pool.send(guard, RawTransferMetadata::default())?;
                        // SAFETY: `env` is this call's environment.
                        unsafe { sent.into_js_packed(env.raw()) }
                    },
                ),
                fast_function(
                    &env,
                    c"handOff",
                    Rc::clone(&self.inner),
                    |env, pool, args| {
                        let sent = pool.hand_off(block_id_arg(env, args)?)?;
                        // SAFETY: `env` is this call's environment.
                        unsafe { sent.into_js_packed(env.raw()) }
                    },
                ),
                fast_release(&env, &self.inner),
            ];
            let mut obj = Object::new(&env)?;
            for (name, f) in [
                "parseJson",
                "parseJsonString",
                "acquire",
                "handOff",
                "release",
            ]
            .into_iter()
            .zip(calls)
            {
                obj.set_named_property(name, f?)?;
            }
            Ok(RawValue(obj.raw()))
        })
    }

    #[napi]
    pub fn used_bytes(&self, env: Env, id: u32) -> Result<f64> {
        catch_panic_in(&env, || {
            Ok(self.inner.read(id, |a| a.used_bytes() as f64)?)
        })
    }

    /// Copy `bytes` into block `id`, 8-aligned (so pointers and f64s can be read with typed arrays).
    #[napi]
    pub fn write_bytes(&self, env: Env, id: u32, bytes: Uint8ArraySlice) -> Result<Written> {
        catch_panic_in(&env, || {
            Ok(Written {
                ptr: self.write(id, &bytes, 8)?,
                len: bytes.len() as u32,
            })
        })
    }

    #[napi]
    pub fn write_string(&self, env: Env, id: u32, s: String) -> Result<Written> {
        catch_panic_in(&env, || {
            Ok(Written {
                ptr: self.write(id, s.as_bytes(), 1)?,
                len: s.len() as u32,
            })
        })
    }

    #[napi]
    pub fn set_data_offset(&self, env: Env, id: u32, offset: u32) -> Result<()> {
        catch_panic_in(&env, || {
            let used = self.inner.read(id, |a| a.used_bytes())?;
            if offset as usize > used {
                return Err(TransferError::invalid_argument(format!(
                    "data offset {offset} is past the {used} bytes written to block {id}"
                ))
                .into());
            }
            let meta = self.inner.metadata(id)?;
            Ok(self.inner.set_metadata(
                id,
                RawTransferMetadata {
                    data_offset: offset,
                    ..meta
                },
            )?)
        })
    }

    /// A copy of `[ptr, ptr + len)` of block `id` in a new Node `Buffer`
    /// (`napi_create_buffer_copy`): what a conventional addon does to return bytes, kept as
    /// the benchmark baseline and for data that must outlive the block.
    #[napi]
    pub fn copy_to_buffer(&self, env: Env, id: u32, ptr: u32, len: u32) -> Result<RawValue> {
        catch_panic_in(&env, || {
            let value = self.inner.read(id, |alloc| {
                let (ptr, len) = (ptr as usize, len as usize);
                if ptr + len > alloc.used_bytes() {
                    return Err(TransferError::invalid_argument(format!(
                        "range [{ptr}, {}) is past the bytes written",
                        ptr + len
                    )));
                }
                let mut value = std::ptr::null_mut();
                // SAFETY: the range is inside the allocator's used (so committed) data region,
                // which stays checked out during this call; napi copies it before returning.
                let status = unsafe {
                    sys::napi_create_buffer_copy(
                        env.raw(),
                        len,
                        alloc.base_ptr().as_ptr().add(ptr).cast(),
                        std::ptr::null_mut(),
                        &mut value,
                    )
                };
                if status != sys::Status::napi_ok {
                    return Err(TransferError::new(
                        crate::napi::ErrorCode::OutOfMemory,
                        format!("napi_create_buffer_copy of {len} bytes failed ({status})"),
                    ));
                }
                Ok(RawValue(value))
            })??;
            Ok(value)
        })
    }

    /// Give the memory idle blocks keep for future documents back to the OS.
    #[napi]
    pub fn trim(&self, env: Env) -> Result<()> {
        catch_panic_in(&env, || {
            self.inner.pool().trim();
            // The JS thread's parser scratch goes too (it is kept between documents).
            PARSER.with_borrow_mut(|p| p.shrink(0));
            Ok(())
        })
    }
}

crate::pool_methods!(NativePool.inner);
