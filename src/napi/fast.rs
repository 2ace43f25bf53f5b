//! Fast calls: JS functions made with Node-API directly, for the calls a JS loop makes once
//! per small document (parse one, release it).
//!
//! A `#[napi]` method costs about 400 ns per call before its body runs (napi-rs 3 opens a
//! native-borrow scope per call: a registry behind a mutex, a hashed table of borrowed
//! pointers, a class type-tag check), and a returned `#[napi(object)]` costs about as much
//! again (each property name is internalized on every call). That is more than parsing a
//! 1 KB document. A function made here reads its arguments and its data with one
//! `napi_get_cb_info`, runs its body in [`catch_panic_in`] (panics caught, errors typed as a
//! `#[napi]` function's are), and returns what the body made.
//!
//! The function owns its data (dropped by a finalizer once the GC has collected the
//! function), so a body can use it for as long as it runs.
//!
//! An addon makes its own with [`fast_call`] (a body that gets its data and [`FastArgs`] and
//! returns a [`FastValue`], no `unsafe`), and gets a pool's `release` as one with
//! [`fast_release`].

use std::borrow::Cow;
use std::ffi::{CStr, c_void};
use std::ptr;

use ::napi::bindgen_prelude::Env;
use ::napi::{JsError, sys};

use std::rc::Rc;

use ::napi::bindgen_prelude::FromNapiValue;

use super::env_pool::EnvPool;
use super::error::{ErrorCode, TransferError};
use super::sent::Sent;
use super::throw::catch_panic_in;
use super::value::RawValue;

/// The most arguments a fast call reads (more are ignored, as JS ignores extra arguments).
pub const MAX_ARGS: usize = 4;

/// The body of a fast call: the environment, the function's data and the arguments JS
/// passed (at most [`MAX_ARGS`]; fewer when JS passed fewer: a body checks the count).
pub type FastBody<T> = fn(&Env, &T, &[sys::napi_value]) -> ::napi::Result<sys::napi_value>;

struct FastFn<T> {
    data: T,
    body: FastBody<T>,
}

/// A JS function named `name` that runs `body` with `data`: see the module docs. `data`
/// lives until the GC collects the function.
pub fn fast_function<T: 'static>(
    env: &Env,
    name: &CStr,
    data: T,
    body: FastBody<T>,
) -> Result<RawValue, TransferError> {
    let raw = env.raw();
    let cell = Box::into_raw(Box::new(FastFn { data, body }));
    let mut func = ptr::null_mut();
    // SAFETY: `raw` is the current environment; `name` is valid for the length given;
    // `cell` stays valid until `finalize` below frees it, which Node-API
    // calls only once the function is collected, after its last call has returned.
    let status = unsafe {
        sys::napi_create_function(
            raw,
            name.as_ptr(),
            name.to_bytes().len() as isize,
            Some(trampoline::<T>),
            cell.cast(),
            &mut func,
        )
    };
    if status != sys::Status::napi_ok {
        // SAFETY: the function was not made, so nothing else holds `cell`.
        drop(unsafe { Box::from_raw(cell) });
        return Err(TransferError::internal(format!(
            "napi_create_function failed with status {status}"
        )));
    }
    // SAFETY: `func` was just made on `raw`; `finalize::<T>` frees exactly the `cell` passed.
    let status = unsafe {
        sys::napi_add_finalizer(
            raw,
            func,
            cell.cast(),
            Some(finalize::<T>),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    if status != sys::Status::napi_ok {
        // The function exists but its data would never be freed: leak it rather than free
        // memory a call could still reach (the function may be called before it is collected).
        return Err(TransferError::internal(format!(
            "napi_add_finalizer failed with status {status}"
        )));
    }
    Ok(RawValue(func))
}

unsafe extern "C" fn finalize<T>(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `Box<FastFn<T>>` leaked in `fast_function`, handed to exactly one
    // finalizer, which Node-API calls once, after the function can no longer be called.
    drop(unsafe { Box::from_raw(data.cast::<FastFn<T>>()) });
}

unsafe extern "C" fn trampoline<T: 'static>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let mut argc = MAX_ARGS;
    let mut argv = [ptr::null_mut(); MAX_ARGS];
    let mut data = ptr::null_mut();
    // SAFETY: Node-API calls this with the current `env` and this call's `info`; the
    // out-pointers are valid, and `argv` has room for `argc` values.
    let status = unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            &mut data,
        )
    };
    if status != sys::Status::napi_ok || data.is_null() {
        return ptr::null_mut(); // nothing can be read: leave whatever exception is pending
    }
    let mut new_target = ptr::null_mut();
    // SAFETY: as above; `new_target` is a valid out-pointer.
    let status = unsafe { sys::napi_get_new_target(env, info, &mut new_target) };
    // Node gives null for a plain call; Deno gives `undefined` (a value, not null).
    let constructing = status == sys::Status::napi_ok && !new_target.is_null() && {
        let mut kind = sys::ValueType::napi_undefined;
        // SAFETY: `new_target` is a value of this call on `env`; valid out-pointer.
        let status = unsafe { sys::napi_typeof(env, new_target, &mut kind) };
        status == sys::Status::napi_ok && kind != sys::ValueType::napi_undefined
    };
    // SAFETY: `data` is the `FastFn<T>` this function was made with (`fast_function`), which
    // its finalizer frees only after the function is collected, so not during this call.
    // Only shared references to it are made.
    let cell = unsafe { &*data.cast::<FastFn<T>>() };
    let wrapped = Env::from_raw(env);
    let args = &argv[..argc.min(MAX_ARGS)];
    let result = catch_panic_in(&wrapped, || {
        if constructing {
            // `new f()` would discard a number the body returns (a hand-off, its block then
            // checked out with no id to give back): refused before the body runs.
            return Err(TransferError::invalid_argument(
                "a fast call is not a constructor: call it without `new`",
            )
            .into());
        }
        (cell.body)(&wrapped, &cell.data, args)
    });
    match result {
        Ok(value) => value,
        Err(e) => {
            // SAFETY: `env` is current; this throws the error (the typed JS error it carries,
            // see throw.rs) as napi-rs does for a `#[napi]` function's `Err`.
            unsafe { JsError::from(e).throw_into(env) };
            ptr::null_mut()
        }
    }
}

/// The bytes of `value`, a `Uint8Array` (a Node `Buffer` is one), for the length of a call:
/// borrowed, or copied when the array is a view of a `SharedArrayBuffer`, whose bytes
/// another thread may write while Rust reads them (Rust must decide from bytes that hold
/// still). The copy is fallible (`OutOfMemory`).
///
/// # Safety
/// `env` must be current and the slice must not outlive the call that got `value`; JS
/// cannot run while it is used (no call into JS between this and the last use).
#[cfg_attr(not(feature = "addon"), allow(dead_code))]
pub unsafe fn uint8_array<'a>(
    env: sys::napi_env,
    value: sys::napi_value,
    what: &str,
) -> Result<Cow<'a, [u8]>, TransferError> {
    let not_u8 = || TransferError::invalid_argument(format!("{what} must be a Uint8Array"));
    let mut is_typed = false;
    // SAFETY: `env` is current (contract); valid out-pointer.
    let status = unsafe { sys::napi_is_typedarray(env, value, &mut is_typed) };
    if status != sys::Status::napi_ok || !is_typed {
        return Err(not_u8());
    }
    let (mut kind, mut len, mut data, mut buffer) = (0, 0usize, ptr::null_mut(), ptr::null_mut());
    // SAFETY: `value` is a typed array of `env`; valid out-pointers (the offset is not asked
    // for).
    let status = unsafe {
        sys::napi_get_typedarray_info(
            env,
            value,
            &mut kind,
            &mut len,
            &mut data,
            &mut buffer,
            ptr::null_mut(),
        )
    };
    if status != sys::Status::napi_ok || kind != sys::TypedarrayType::uint8_array {
        return Err(not_u8());
    }
    if data.is_null() || len == 0 {
        // Empty, or its buffer detached: no bytes.
        return Ok(Cow::Borrowed(&[]));
    }
    // SAFETY: Node-API gives the address of the array's first element and its length in
    // elements (bytes, for a Uint8Array); the backing store stays alive and unmoved while
    // this call runs, since JS on this thread (which alone could detach or shrink it) cannot
    // run. Other threads can write it only if it is shared, checked next.
    let bytes = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) };
    let mut unshared = false;
    // SAFETY: `buffer` is the array's buffer, a value of `env`; valid out-pointer. Node-API
    // says "is an ArrayBuffer" for an ArrayBuffer only, not for a SharedArrayBuffer.
    let status = unsafe { sys::napi_is_arraybuffer(env, buffer, &mut unshared) };
    if status == sys::Status::napi_ok && unshared {
        return Ok(Cow::Borrowed(bytes));
    }
    // A racing writer may tear what is copied (the text is then what it is), but the copy
    // holds still while Rust reads it.
    Ok(Cow::Owned(copy_of(
        bytes,
        format_args!("{what} out of a SharedArrayBuffer"),
    )?))
}

/// A copy of `bytes` in memory reserved fallibly: an input the process cannot hold is an
/// `OutOfMemory` error ("could not allocate N bytes to copy `what`"), not an abort.
#[cfg_attr(not(feature = "addon"), allow(dead_code))]
pub fn copy_of(bytes: &[u8], what: std::fmt::Arguments<'_>) -> Result<Vec<u8>, TransferError> {
    let mut copy = Vec::new();
    copy.try_reserve_exact(bytes.len()).map_err(|_| {
        TransferError::new(
            ErrorCode::OutOfMemory,
            format!("could not allocate {} bytes to copy {what}", bytes.len()),
        )
    })?;
    copy.extend_from_slice(bytes);
    Ok(copy)
}

/// The arguments of a call to a [`fast_call`] function.
pub struct FastArgs<'a> {
    env: &'a Env,
    values: &'a [sys::napi_value],
}

impl FastArgs<'_> {
    /// The environment of the call.
    pub fn env(&self) -> &Env {
        self.env
    }

    /// How many arguments JS passed (the first four are read; more are ignored).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether JS passed none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Argument `i` converted as a `#[napi]` function's argument of type `T` is (a
    /// [`Utf8String`](super::Utf8String), a [`BlockId`](super::BlockId), a `u32`, ...), with
    /// `T`'s errors; an `InvalidArgumentError` when JS passed fewer than `i + 1`.
    pub fn get<T: FromNapiValue>(&self, i: usize) -> ::napi::Result<T> {
        let Some(&value) = self.values.get(i) else {
            return Err(TransferError::invalid_argument(format!(
                "expected at least {} argument{}, got {}",
                i + 1,
                if i == 0 { "" } else { "s" },
                self.values.len()
            ))
            .into());
        };
        // SAFETY: `value` is an argument of the call in progress on `env`, which is current:
        // what `from_napi_value` asks of its caller, as napi-rs's code for a `#[napi]`
        // function's arguments does. What `T` holds of the value (a handle) is valid for
        // this call, as for such a function.
        unsafe { T::from_napi_value(self.env.raw(), value) }
    }
}

/// What a [`fast_call`] function returns to JS.
pub enum FastValue {
    /// `undefined`.
    Undefined,
    /// A hand-off ([`EnvPool::send`], [`EnvPool::hand_off`]): the number `id × 2^32 +
    /// generation` when there is no buffer to send (every hand-off of a block but its first
    /// to this environment), else the `Sent` object. `raw-transfer-reader`'s `unpackSent`
    /// reads both.
    Sent(Sent),
    /// Any value (made with the call's [`FastArgs::env`]).
    Value(RawValue),
}

/// The body of a [`fast_call`] function: its data and the call's arguments.
pub type FastBodyOf<T> = fn(&T, &FastArgs<'_>) -> ::napi::Result<FastValue>;

/// A JS function named `name` running `body` with `data`, made with Node-API directly: about
/// a seventh of the per-call cost of a `#[napi]` method (see the module docs). The body runs
/// in [`catch_panic_in`]: errors reach JS typed as a `#[napi]` function's do, and a panic is
/// an `InternalError`. Calling it with `new` is an `InvalidArgumentError`. `data` lives
/// until the GC collects the function (an `Rc<EnvPool>` keeps the pool open meanwhile).
pub fn fast_call<T: 'static>(
    env: &Env,
    name: &CStr,
    data: T,
    body: FastBodyOf<T>,
) -> Result<RawValue, TransferError> {
    fast_function(env, name, (data, body), |env, (data, body), values| {
        match body(data, &FastArgs { env, values })? {
            FastValue::Undefined => {
                let mut undefined = ptr::null_mut();
                // SAFETY: `env` is this call's environment; valid out-pointer.
                unsafe { sys::napi_get_undefined(env.raw(), &mut undefined) };
                Ok(undefined)
            }
            // SAFETY: `env` is this call's environment.
            FastValue::Sent(sent) => unsafe { sent.into_js_packed(env.raw()) },
            FastValue::Value(value) => Ok(value.0),
        }
    })
}

/// `release(id)` of `pool` as a [`fast_call`] function: the pool's `release` (`pool_methods!`)
/// without a `#[napi]` method's per-call cost.
pub fn fast_release(env: &Env, pool: &Rc<EnvPool>) -> Result<RawValue, TransferError> {
    fast_call(env, c"release", Rc::clone(pool), |pool, args| {
        pool.release(block_id_arg(args.env, args.values)?)?;
        Ok(FastValue::Undefined)
    })
}

/// A fast call's first argument as a block id (`InvalidArgument` if it is not one, or missing).
pub(crate) fn block_id_arg(env: &Env, args: &[sys::napi_value]) -> Result<u32, TransferError> {
    match args.first() {
        // SAFETY: `env` is current and `v` an argument of the call in progress.
        Some(&v) => unsafe { super::BlockId::from_napi_value(env.raw(), v) }
            .map_err(|_| TransferError::invalid_argument("a block id must be a number"))?
            .get(),
        None => super::BlockId::missing().get(),
    }
}
