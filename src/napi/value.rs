//! [`RawValue`]: a raw `napi_value` returned from a `#[napi]` function as is.

use ::napi::bindgen_prelude::{ToNapiValue, TypeName, ValueType};
use ::napi::sys;

use super::error::TransferError;

/// A `napi_value` created on the current environment (e.g. a block's `ArrayBuffer`).
#[derive(Clone, Copy)]
pub struct RawValue(pub sys::napi_value);

impl TypeName for RawValue {
    fn type_name() -> &'static str {
        "unknown"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ToNapiValue for RawValue {
    unsafe fn to_napi_value(_env: sys::napi_env, val: Self) -> ::napi::Result<sys::napi_value> {
        Ok(val.0)
    }
}

/// JS `null`.
pub(crate) fn null(env: sys::napi_env) -> ::napi::Result<sys::napi_value> {
    let mut value = std::ptr::null_mut();
    // SAFETY: `env` is current; `value` is a valid out-pointer.
    let status = unsafe { sys::napi_get_null(env, &mut value) };
    if status != sys::Status::napi_ok {
        return Err(TransferError::internal("napi_get_null failed").into());
    }
    Ok(value)
}
