//! Typed JS errors: a [`TransferError`] converted into a [`napi::Error`] during a call from JS
//! (inside [`catch_panic_in`]) becomes an instance of `raw-transfer-reader`'s class for its
//! code, so JS needs no wrapper around native calls to `instanceof` them.
//!
//! The reader registers its classes on each realm's global object (the main thread's, each
//! worker's) under `Symbol.for('raw-transfer-reader.errors')`:
//!
//! ```text
//! globalThis[Symbol.for('raw-transfer-reader.errors')] = {
//!   version: 1,
//!   base: RawTransferError,          // codes without a class of their own (Io, a producer's)
//!   byCode: { PoolExhausted: PoolExhaustedError, JsonSyntax: JsonSyntaxError, ... },
//! }
//! ```
//!
//! The error is made in the realm the addon was loaded in (Node-API's global of the
//! environment): `new Class(message)`, then `code` (and `offset`, `line`, `column` for an
//! error at a position of a producer's input). Where that realm has no registry (the reader
//! was never loaded there, or only in a `vm` context, as under Jest), it is a plain `Error`
//! with the same `code` and fields, the class name as `name`, and the reader's brand
//! (`Symbol.for('raw-transfer.error')`: the class names up to `RawTransferError`), so
//! `instanceof` in any realm that loaded the reader still recognizes it.
//!
//! The JS error is made when the `napi::Error` is, and carried in it as napi-rs carries an
//! error that came from JS (a reference), so napi-rs throws that object when the `#[napi]`
//! function returns the error, and drops it if Rust code handles the error instead. Outside a
//! call from JS (no [`catch_panic_in`] on this thread) there is no environment to make it in:
//! the conversion gives napi-rs's plain error, `"<Code>: <message>"` with code
//! `GenericFailure`, which the reader's `fromNative` maps.

use std::cell::Cell;
use std::ffi::CStr;
use std::ptr;

use ::napi::bindgen_prelude::{Env, Unknown};
use ::napi::sys;

use super::error::{TransferError, catch_panic};

thread_local! {
    /// The environment of the innermost call from JS on this thread inside
    /// [`catch_panic_in`], or null.
    static CALL_ENV: Cell<sys::napi_env> = const { Cell::new(ptr::null_mut()) };
}

/// Sets [`CALL_ENV`] for its lifetime, and puts back what was there (calls nest: JS called
/// from Rust may call into Rust again, on another addon's environment or the same).
struct CallScope {
    outer: sys::napi_env,
}

impl CallScope {
    fn enter(env: sys::napi_env) -> Self {
        Self {
            outer: CALL_ENV.replace(env),
        }
    }
}

impl Drop for CallScope {
    fn drop(&mut self) {
        CALL_ENV.set(self.outer);
    }
}

/// [`catch_panic`] for the body of a `#[napi]` function called from JS on `env`: a panic
/// becomes an [`Internal`](super::ErrorCode::Internal) error, and every [`TransferError`]
/// converted into a [`napi::Error`] inside `f` (`?` does it) reaches JS as an instance of the
/// reader's class for its code (`PoolExhaustedError`, `InternalError`, ...), with `code` set.
/// Take `env` as a parameter of the `#[napi]` function (napi-rs passes it; JS does not see
/// it):
///
/// ```ignore
/// #[napi]
/// pub fn parse(&self, env: Env, text: String) -> napi::Result<Sent> {
///     catch_panic_in(&env, || Ok(self.inner.send(build(&text)?, meta)?))
/// }
/// ```
pub fn catch_panic_in<T>(env: &Env, f: impl FnOnce() -> ::napi::Result<T>) -> ::napi::Result<T> {
    let _scope = CallScope::enter(env.raw());
    catch_panic(f)
}

/// The `napi::Error` for `e`: the typed JS error when a call from JS is in progress on this
/// thread, else napi-rs's plain one (`"<Code>: <message>"`).
/// Run `f` as part of a call from JS on `env` (errors converted in it are typed, as in
/// [`catch_panic_in`]): for the conversion of a `#[napi]` function's arguments, which
/// napi-rs runs before the function's body (and so outside its `catch_panic_in`).
pub(crate) fn in_call<T>(env: sys::napi_env, f: impl FnOnce() -> T) -> T {
    let _scope = CallScope::enter(env);
    f()
}

pub(crate) fn to_napi_error(e: TransferError) -> ::napi::Error {
    let env = CALL_ENV.get();
    if !env.is_null() {
        // SAFETY: CALL_ENV is only non-null inside `catch_panic_in`, which runs on the thread
        // of a call from JS on `env` and resets it when that call's body returns: `env` is
        // current here and JS may run.
        if let Some(err) = unsafe { js_error(env, &e) } {
            return err;
        }
    }
    ::napi::Error::new(::napi::Status::GenericFailure, e.to_string())
}

/// The reader's class name for `code`, which the brand of an error made without a registry
/// names (the same table as `byCode` in `npm/reader/errors.js`, plus JSON's class).
pub(crate) fn class_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "PoolExhausted" => "PoolExhaustedError",
        "PoolClosed" => "PoolClosedError",
        "StaleBuffer" => "StaleBufferError",
        "BlockFull" => "BlockFullError",
        "ExternalForbidden" => "ExternalBuffersForbiddenError",
        "OutOfMemory" => "OutOfMemoryError",
        "InvalidArgument" => "InvalidArgumentError",
        "Internal" => "InternalError",
        "JobBusy" => "JobBusyError",
        "CorruptDocument" => "CorruptDocumentError",
        "LayoutMismatch" => "LayoutMismatchError",
        "LayoutRuntimeMismatch" => "LayoutRuntimeMismatchError",
        "PluginTimeout" => "PluginTimeoutError",
        "JsonSyntax" => "JsonSyntaxError",
        _ => return None,
    })
}

/// Where a producer's error happened in its input (`ProduceError::at`), as its message
/// carries it: `"<offset>:<line>:<column>: <text>"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct At<'a> {
    pub offset: u32,
    pub line: u32,
    pub column: u32,
    pub text: &'a str,
}

/// The position at the start of `message`, if it has one.
pub(crate) fn position(message: &str) -> Option<At<'_>> {
    fn number(s: &str) -> Option<(u32, &str)> {
        let (n, rest) = s.split_once(':')?;
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((n.parse().ok()?, rest))
    }
    let (offset, rest) = number(message)?;
    let (line, rest) = number(rest)?;
    let (column, rest) = number(rest)?;
    let text = rest.strip_prefix(' ')?;
    Some(At {
        offset,
        line,
        column,
        text,
    })
}

/// The JS message of an error at `at`: what the reader's `positionedError` says.
pub(crate) fn positioned_message(at: &At<'_>) -> String {
    format!(
        "{} at line {} column {} (byte {})",
        at.text, at.line, at.column, at.offset
    )
}

/// A failed Node-API call: give up on the typed error (the caller falls back to the plain one).
struct Failed;

fn ok(status: sys::napi_status) -> Result<(), Failed> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Failed)
    }
}

/// The typed JS error for `e`, carried in a `napi::Error`; `None` if it could not be made
/// (an exception was already pending: napi-rs throws that one).
///
/// # Safety
/// `env` must be the environment of a call from JS in progress on this thread.
unsafe fn js_error(env: sys::napi_env, e: &TransferError) -> Option<::napi::Error> {
    let mut pending = false;
    // SAFETY: `env` is current (the contract); `pending` is a valid out-pointer.
    if unsafe { sys::napi_is_exception_pending(env, &mut pending) } != sys::Status::napi_ok
        || pending
    {
        return None;
    }
    // SAFETY: as above, and no exception is pending, so JS may run.
    let value = match unsafe { make(env, e) } {
        Ok(value) => value,
        Err(Failed) => {
            // A call of ours may have thrown (a getter on the registry, a class constructor
            // that throws): that exception is not the error to report.
            let mut thrown = ptr::null_mut();
            // SAFETY: `env` is current; a valid out-pointer.
            unsafe { sys::napi_get_and_clear_last_exception(env, &mut thrown) };
            return None;
        }
    };
    // SAFETY: `value` was made on `env` in this call.
    let unknown = unsafe { Unknown::from_raw_unchecked(env, value) };
    // napi-rs keeps a reference to the object and throws it when the function returns this
    // error (`JsError::into_value` reuses a referenced Error); its reason, read with
    // `String(err)`, is replaced by the form `fromNative` parses, what napi-rs would rebuild
    // from if the error were thrown on another environment.
    let mut err = ::napi::Error::from(unknown);
    err.reason = e.to_string();
    Some(err)
}

/// Make the JS error for `e` (see the module docs).
///
/// # Safety
/// `env` must be current, with no exception pending.
unsafe fn make(env: sys::napi_env, e: &TransferError) -> Result<sys::napi_value, Failed> {
    let code = e.code.as_str();
    let at = position(&e.message);
    let positioned;
    let message: &str = match &at {
        Some(at) => {
            positioned = positioned_message(at);
            &positioned
        }
        None => &e.message,
    };
    // SAFETY: for every call below, `env` is current with no exception pending (the contract),
    // every `napi_value` passed was made on it in this call, and the out-pointers are valid.
    unsafe {
        let js_code = string(env, code)?;
        let js_message = string(env, message)?;
        let mut global = ptr::null_mut();
        ok(sys::napi_get_global(env, &mut global))?;
        let error = match class(env, global, js_code)? {
            Some(class) => {
                let mut error = ptr::null_mut();
                ok(sys::napi_new_instance(
                    env,
                    class,
                    1,
                    [js_message].as_ptr(),
                    &mut error,
                ))?;
                set(env, error, c"code", js_code)?;
                error
            }
            None => plain(env, global, code, js_code, js_message)?,
        };
        if let Some(at) = at {
            set(env, error, c"offset", number(env, at.offset)?)?;
            set(env, error, c"line", number(env, at.line)?)?;
            set(env, error, c"column", number(env, at.column)?)?;
        }
        Ok(error)
    }
}

/// The class the realm's registry gives `code` (its own, or `base`), or `None` without a
/// registry.
///
/// # Safety
/// As [`make`]; `global` and `js_code` made on `env`.
unsafe fn class(
    env: sys::napi_env,
    global: sys::napi_value,
    js_code: sys::napi_value,
) -> Result<Option<sys::napi_value>, Failed> {
    // SAFETY: for every call below, as the contract; valid out-pointers.
    unsafe {
        let key = symbol_for(env, global, "raw-transfer-reader.errors")?;
        let mut registry = ptr::null_mut();
        ok(sys::napi_get_property(env, global, key, &mut registry))?;
        if !is(env, registry, sys::ValueType::napi_object)? {
            return Ok(None);
        }
        let mut by_code = ptr::null_mut();
        ok(sys::napi_get_named_property(
            env,
            registry,
            c"byCode".as_ptr(),
            &mut by_code,
        ))?;
        if is(env, by_code, sys::ValueType::napi_object)? {
            let mut class = ptr::null_mut();
            ok(sys::napi_get_property(env, by_code, js_code, &mut class))?;
            if is(env, class, sys::ValueType::napi_function)? {
                return Ok(Some(class));
            }
        }
        let mut base = ptr::null_mut();
        ok(sys::napi_get_named_property(
            env,
            registry,
            c"base".as_ptr(),
            &mut base,
        ))?;
        Ok(is(env, base, sys::ValueType::napi_function)?.then_some(base))
    }
}

/// A plain `Error` with `code`, `name` and the reader's brand (see the module docs).
///
/// # Safety
/// As [`make`]; the values made on `env`.
unsafe fn plain(
    env: sys::napi_env,
    global: sys::napi_value,
    code: &str,
    js_code: sys::napi_value,
    js_message: sys::napi_value,
) -> Result<sys::napi_value, Failed> {
    let class = class_name(code);
    // SAFETY: for every call below, as the contract; valid out-pointers, and the property
    // descriptor's name and value made on `env`.
    unsafe {
        let mut error = ptr::null_mut();
        // Sets `code` too.
        ok(sys::napi_create_error(env, js_code, js_message, &mut error))?;
        let names: &[&str] = match class {
            Some(class) => &[class, "RawTransferError"],
            None => &["RawTransferError"],
        };
        set(env, error, c"name", string(env, names[0])?)?;
        let mut brand = ptr::null_mut();
        ok(sys::napi_create_array_with_length(
            env,
            names.len(),
            &mut brand,
        ))?;
        for (i, name) in names.iter().enumerate() {
            ok(sys::napi_set_element(
                env,
                brand,
                i as u32,
                string(env, name)?,
            ))?;
        }
        // As the reader defines it: configurable, not enumerable, not writable.
        let property = sys::napi_property_descriptor {
            utf8name: ptr::null(),
            name: symbol_for(env, global, "raw-transfer.error")?,
            method: None,
            getter: None,
            setter: None,
            value: brand,
            attributes: sys::PropertyAttributes::configurable,
            data: ptr::null_mut(),
        };
        ok(sys::napi_define_properties(env, error, 1, &property))?;
        Ok(error)
    }
}

/// `Symbol.for(key)` of the realm of `global` (`node_api_symbol_for` is Node-API 9).
///
/// # Safety
/// As [`make`]; `global` made on `env`.
unsafe fn symbol_for(
    env: sys::napi_env,
    global: sys::napi_value,
    key: &str,
) -> Result<sys::napi_value, Failed> {
    // SAFETY: for every call below, as the contract; valid out-pointers.
    unsafe {
        let mut symbol_ctor = ptr::null_mut();
        ok(sys::napi_get_named_property(
            env,
            global,
            c"Symbol".as_ptr(),
            &mut symbol_ctor,
        ))?;
        let mut symbol_for = ptr::null_mut();
        ok(sys::napi_get_named_property(
            env,
            symbol_ctor,
            c"for".as_ptr(),
            &mut symbol_for,
        ))?;
        let key = string(env, key)?;
        let mut symbol = ptr::null_mut();
        ok(sys::napi_call_function(
            env,
            symbol_ctor,
            symbol_for,
            1,
            [key].as_ptr(),
            &mut symbol,
        ))?;
        if !is(env, symbol, sys::ValueType::napi_symbol)? {
            return Err(Failed);
        }
        Ok(symbol)
    }
}

/// # Safety
/// `env` current.
unsafe fn string(env: sys::napi_env, s: &str) -> Result<sys::napi_value, Failed> {
    let mut value = ptr::null_mut();
    // SAFETY: `env` is current; `s` is valid UTF-8 of `s.len()` bytes; a valid out-pointer.
    ok(unsafe {
        sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut value)
    })?;
    Ok(value)
}

/// # Safety
/// `env` current.
unsafe fn number(env: sys::napi_env, n: u32) -> Result<sys::napi_value, Failed> {
    let mut value = ptr::null_mut();
    // SAFETY: `env` is current; a valid out-pointer.
    ok(unsafe { sys::napi_create_uint32(env, n, &mut value) })?;
    Ok(value)
}

/// # Safety
/// `env` current, `value` made on it.
unsafe fn is(
    env: sys::napi_env,
    value: sys::napi_value,
    ty: sys::napi_valuetype,
) -> Result<bool, Failed> {
    let mut actual = 0;
    // SAFETY: per the contract; a valid out-pointer.
    ok(unsafe { sys::napi_typeof(env, value, &mut actual) })?;
    Ok(actual == ty)
}

/// `object[name] = value`.
///
/// # Safety
/// `env` current with no exception pending, `object` and `value` made on it.
unsafe fn set(
    env: sys::napi_env,
    object: sys::napi_value,
    name: &CStr,
    value: sys::napi_value,
) -> Result<(), Failed> {
    // SAFETY: per the contract; `name` is NUL-terminated.
    ok(unsafe { sys::napi_set_named_property(env, object, name.as_ptr(), value) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::napi::ErrorCode;

    #[test]
    fn positions_are_read_as_the_reader_reads_them() {
        let at = position("7:1:8: unexpected }").unwrap();
        assert_eq!(
            at,
            At {
                offset: 7,
                line: 1,
                column: 8,
                text: "unexpected }"
            }
        );
        assert_eq!(
            positioned_message(&at),
            "unexpected } at line 1 column 8 (byte 7)"
        );
        assert_eq!(position("12:3:4: ").unwrap().text, "");
        for not in [
            "the pool is closed",
            "1:2: two numbers",
            "1:2:3:no space",
            "a:2:3: letters",
            ":2:3: empty",
            "1:2:-3: sign",
            "99999999999:1:1: too big for u32",
        ] {
            assert_eq!(position(not), None, "{not}");
        }
    }

    #[test]
    fn every_code_of_the_crate_has_its_class_but_io() {
        use ErrorCode::*;
        for code in [
            PoolExhausted,
            PoolClosed,
            BlockFull,
            StaleBuffer,
            ExternalForbidden,
            OutOfMemory,
            InvalidArgument,
            JsonSyntax,
            JobBusy,
            Internal,
        ] {
            let class = code.js_class_name().unwrap();
            assert!(class.ends_with("Error"), "{class}");
        }
        assert_eq!(Io.js_class_name(), None);
        assert_eq!(Other("CsvSyntax").js_class_name(), None);
        assert_eq!(
            Other("CorruptDocument").js_class_name(),
            Some("CorruptDocumentError")
        );
        assert_eq!(
            ExternalForbidden.js_class_name(),
            Some("ExternalBuffersForbiddenError")
        );
    }

    #[test]
    fn outside_a_call_from_js_the_error_is_napi_rs_plain_one() {
        assert!(CALL_ENV.get().is_null());
        let err: ::napi::Error = TransferError::new(ErrorCode::PoolExhausted, "none left").into();
        assert_eq!(err.status, ::napi::Status::GenericFailure);
        assert_eq!(err.reason, "PoolExhausted: none left");
    }

    #[test]
    fn call_scopes_nest_and_restore() {
        let (a, b): (sys::napi_env, sys::napi_env) = (
            ptr::without_provenance_mut(8),
            ptr::without_provenance_mut(16),
        );
        {
            let _outer = CallScope::enter(a);
            assert_eq!(CALL_ENV.get(), a);
            {
                let _inner = CallScope::enter(b);
                assert_eq!(CALL_ENV.get(), b);
            }
            assert_eq!(CALL_ENV.get(), a);
            // A panic inside a scope unwinds through it and still restores.
            let r = std::panic::catch_unwind(|| {
                let _inner = CallScope::enter(b);
                panic!("boom");
            });
            assert!(r.is_err());
            assert_eq!(CALL_ENV.get(), a);
        }
        assert!(CALL_ENV.get().is_null());
    }
}
