//! [`Sent`]: a hand-off record as JS receives it, `{ id, generation, buffer }`.

use ::napi::bindgen_prelude::ToNapiValue;
use ::napi::sys;

use super::error::TransferError;
use super::value::{RawValue, null};

/// A hand-off: what JS needs to read a block, `{ id, generation, buffer }`, `buffer` being
/// `null` after the first hand-off of that block to this environment.
//
// A `#[napi]` function returning it (or `Result<Sent>`) needs no `ts_return_type`: napi-rs
// types a return value by its Rust name, and the `#[napi(object)]` below (which makes no
// conversion: `ToNapiValue` is the impl after it) declares `interface Sent` in the
// `index.d.ts` the napi CLI generates for an addon that depends on this crate.
#[napi_derive::napi(
    object,
    object_to_js = false,
    object_from_js = false,
    use_nullable = true
)]
pub struct Sent {
    /// The block id (`base >> 32`): what JS passes back to name the block.
    pub id: u32,
    /// The block's generation at this hand-off (a view of an older one is stale).
    pub generation: u32,
    /// The block's `ArrayBuffer` the first time this environment is sent the block, then
    /// `null` (keep the first one: a `BufferCache` does).
    #[napi(ts_type = "ArrayBuffer")]
    pub buffer: Option<RawValue>,
}

impl ToNapiValue for Sent {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> ::napi::Result<sys::napi_value> {
        let mut obj = std::ptr::null_mut();
        // SAFETY: plain Node-API calls on the current environment with valid out-pointers;
        // every value set is created on `env` in this call.
        unsafe {
            check(sys::napi_create_object(env, &mut obj))?;
            let id = u32::to_napi_value(env, val.id)?;
            let generation = u32::to_napi_value(env, val.generation)?;
            let buffer = match val.buffer {
                Some(b) => b.0,
                None => null(env)?,
            };
            check(sys::napi_set_named_property(env, obj, c"id".as_ptr(), id))?;
            check(sys::napi_set_named_property(
                env,
                obj,
                c"generation".as_ptr(),
                generation,
            ))?;
            check(sys::napi_set_named_property(
                env,
                obj,
                c"buffer".as_ptr(),
                buffer,
            ))?;
        }
        Ok(obj)
    }
}

/// Block ids below this pack with a generation into one exact JS number (`id × 2^32 +
/// generation` < 2^53). Ids are addresses shifted down by 32, so on x86-64 and AArch64
/// (47- or 48-bit user addresses: ids below 2^16) every id does; the object form remains
/// for the others.
pub(crate) const PACKED_ID_LIMIT: u32 = 1 << 21;

impl Sent {
    /// `self` as a fast call returns it: the number `id × 2^32 + generation` when there is
    /// no buffer to send (every hand-off but a block's first to this environment), else the
    /// object. JS tells them apart by `typeof`.
    ///
    /// # Safety
    /// `env` must be the environment of the call in progress on this thread.
    pub(crate) unsafe fn into_js_packed(
        self,
        env: sys::napi_env,
    ) -> ::napi::Result<sys::napi_value> {
        if self.buffer.is_none() && self.id < PACKED_ID_LIMIT {
            let v = f64::from(self.id) * 4_294_967_296.0 + f64::from(self.generation);
            let mut value = std::ptr::null_mut();
            // SAFETY: `env` is current (the contract); `value` is a valid out-pointer.
            check(unsafe { sys::napi_create_double(env, v, &mut value) })?;
            return Ok(value);
        }
        // SAFETY: `env` is current (the contract).
        unsafe { Self::to_napi_value(env, self) }
    }
}

fn check(status: sys::napi_status) -> ::napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(TransferError::internal(format!("Node-API call failed with status {status}")).into())
    }
}
