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

/// The value of a strong reference.
///
/// # Safety
/// `env` must be current and `reference` a live reference made on it.
pub(crate) unsafe fn reference_value(
    env: sys::napi_env,
    reference: sys::napi_ref,
) -> Result<sys::napi_value, TransferError> {
    let mut value = std::ptr::null_mut();
    // SAFETY: per the contract; `value` is a valid out-pointer.
    let status = unsafe { sys::napi_get_reference_value(env, reference, &mut value) };
    if status != sys::Status::napi_ok || value.is_null() {
        return Err(TransferError::internal(format!(
            "napi_get_reference_value failed with status {status}"
        )));
    }
    Ok(value)
}

/// The byte length of an `ArrayBuffer` (0 once detached).
///
/// # Safety
/// `env` must be current and `value` an `ArrayBuffer` of it.
pub(crate) unsafe fn arraybuffer_len(
    env: sys::napi_env,
    value: sys::napi_value,
) -> Result<usize, TransferError> {
    let (mut data, mut len) = (std::ptr::null_mut(), 0usize);
    // SAFETY: per the contract; valid out-pointers.
    let status = unsafe { sys::napi_get_arraybuffer_info(env, value, &mut data, &mut len) };
    if status != sys::Status::napi_ok {
        return Err(TransferError::internal(format!(
            "napi_get_arraybuffer_info failed with status {status}"
        )));
    }
    Ok(if data.is_null() { 0 } else { len })
}
