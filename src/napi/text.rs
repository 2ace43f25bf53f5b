//! [`Utf8String`]: a JS string argument as UTF-8, converted in one pass and allocated
//! fallibly.
//!
//! napi-rs's `String` argument asks V8 for the UTF-8 length (a pass over the string),
//! zero-fills a buffer of that length (a second) and converts into it (a third), and its
//! allocation aborts the process when it fails. A producer's source text can be tens of MB:
//! this type asks for the string's length in UTF-16 units (no pass: V8 keeps it), reserves
//! the most UTF-8 those units can need (3 bytes each) with `try_reserve_exact`, and has V8
//! convert into it once. Untouched capacity costs address space, not memory.

use std::ops::Deref;
use std::ptr;

use ::napi::bindgen_prelude::{FromNapiValue, TypeName, ValidateNapiValue, ValueType};
use ::napi::sys;

use super::error::{ErrorCode, TransferError};

/// A JS string argument, as UTF-8. Lone surrogates become U+FFFD, as with napi-rs's
/// `String`; a value that is not a string is an `InvalidArgumentError`; a string whose
/// buffer cannot be allocated is an `OutOfMemoryError`.
pub struct Utf8String(String);

impl Utf8String {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl Deref for Utf8String {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl TypeName for Utf8String {
    fn type_name() -> &'static str {
        "String"
    }

    fn value_type() -> ValueType {
        ValueType::String
    }
}

impl ValidateNapiValue for Utf8String {}

impl FromNapiValue for Utf8String {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> ::napi::Result<Self> {
        let mut units = 0usize;
        // SAFETY: `env` and `value` come from the calling #[napi] function; with a null
        // buffer the call only reports the string's length in UTF-16 units.
        let status =
            unsafe { sys::napi_get_value_string_utf16(env, value, ptr::null_mut(), 0, &mut units) };
        if status == sys::Status::napi_string_expected {
            return Err(TransferError::new(ErrorCode::InvalidArgument, "expected a string").into());
        }
        if status != sys::Status::napi_ok {
            return Err(TransferError::internal("napi_get_value_string_utf16 failed").into());
        }
        // Each UTF-16 unit takes at most 3 bytes of UTF-8 (a surrogate pair, two units,
        // takes 4), plus the terminating NUL Node-API writes.
        let capacity = units
            .checked_mul(3)
            .and_then(|n| n.checked_add(1))
            .ok_or_else(|| too_big(units))?;
        let mut bytes: Vec<u8> = Vec::new();
        bytes
            .try_reserve_exact(capacity)
            .map_err(|_| too_big(units))?;
        let mut written = 0usize;
        // SAFETY: `bytes` has `capacity` bytes of spare capacity, and Node-API writes at most
        // `capacity` bytes (the text, cut to `capacity - 1`, and a NUL), reporting how many
        // of the text's it wrote in `written`.
        let status = unsafe {
            sys::napi_get_value_string_utf8(
                env,
                value,
                bytes.as_mut_ptr().cast(),
                capacity,
                &mut written,
            )
        };
        if status != sys::Status::napi_ok || written >= capacity {
            return Err(TransferError::internal("napi_get_value_string_utf8 failed").into());
        }
        // SAFETY: the call above initialized the first `written` bytes (`written <
        // capacity`, the reserved length).
        unsafe { bytes.set_len(written) };
        // V8 writes valid UTF-8 (lone surrogates replaced), but a runtime's Node-API need
        // not: check (simdutf8's vector pass, a quarter of the standard library's time on
        // 1 MiB of code with some non-ASCII text), and replace what is invalid.
        let text = if simdutf8::basic::from_utf8(&bytes).is_ok() {
            // SAFETY: just checked to be valid UTF-8.
            unsafe { String::from_utf8_unchecked(bytes) }
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        Ok(Self(text))
    }
}

fn too_big(units: usize) -> ::napi::Error {
    TransferError::new(
        ErrorCode::OutOfMemory,
        format!("could not allocate the UTF-8 text of a string of {units} UTF-16 units"),
    )
    .into()
}
