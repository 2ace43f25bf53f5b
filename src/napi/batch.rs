//! [`Batch`]: what [`Job::take`](super::Job::take) returns to JS, one native call's worth
//! of finished items.

use ::napi::bindgen_prelude::{Env, JsObjectValue, Object, ToNapiValue};
use ::napi::sys;

use super::error::{ErrorCode, TransferError};
use super::producer::ProduceError;
use super::value::{RawValue, null};

/// What [`Job::take`](super::Job::take) returns. As a JS value:
/// `{ done, wait, records, buffers, errors }` where
/// - `records` is a `Float64Array` of 6 numbers per item: `index` (of the input),
///   `id` (of the block; 0 if the item failed), `generation` (or, for a failed item, its
///   index in `errors`), `bytes` (the size `load` reported), `root` (the offset of the
///   item's root in the block: its metadata's `data_offset`) and `doc` (the item's number
///   in its block: release it as the pair `[id, doc]`; a block holds several items);
/// - `buffers` is `[id, ArrayBuffer, id, ArrayBuffer, …]` for blocks this environment sees
///   for the first time (put them in the cache before reading the records);
/// - `errors` is `[{ code, message, position: [offset, line, column] | null, errno?,
///   syscall? }]` (`errno`, positive, and `syscall` for OS errors);
/// - `done` is true once every input was produced and taken;
/// - `wait` is a promise when nothing was ready: await it, then `take` again.
#[derive(Default)]
pub struct Batch {
    /// Every input was produced and taken.
    pub done: bool,
    /// `Batch::STRIDE` numbers per item: index, block id (0: failed), generation (or error
    /// index), bytes, root, doc.
    pub records: Vec<f64>,
    /// `(id, ArrayBuffer)` of blocks this environment sees for the first time.
    pub buffers: Vec<(u32, RawValue)>,
    /// The errors of failed items.
    pub errors: Vec<ProduceError>,
    /// A promise to await before the next `take`, when nothing was ready.
    pub wait: Option<RawValue>,
}

impl Batch {
    /// Numbers per item in `records`.
    pub const STRIDE: usize = 6;

    /// Add a record for input `index`, which failed with `error`.
    pub(crate) fn push_failed(&mut self, index: u32, bytes: u64, error: ProduceError) {
        self.records.extend_from_slice(&[
            f64::from(index),
            0.0,
            self.errors.len() as f64,
            bytes as f64,
            0.0,
            0.0,
        ]);
        self.errors.push(error);
    }
}

impl ToNapiValue for Batch {
    unsafe fn to_napi_value(raw: sys::napi_env, val: Self) -> ::napi::Result<sys::napi_value> {
        // `raw` is the current environment: we are converting a return value.
        let env = Env::from_raw(raw);
        let mut obj = Object::new(&env)?;
        obj.set_named_property("done", val.done)?;
        let wait = match val.wait {
            Some(w) => w.0,
            None => null(raw)?,
        };
        obj.set_named_property("wait", RawValue(wait))?;
        // SAFETY: as above (`raw` is the current environment).
        let records = unsafe { float64_array(raw, &val.records)? };
        obj.set_named_property("records", RawValue(records))?;
        let mut buffers = env.create_array(0)?;
        for (i, (id, buffer)) in val.buffers.into_iter().enumerate() {
            buffers.set((2 * i) as u32, id)?;
            buffers.set((2 * i + 1) as u32, buffer)?;
        }
        obj.set_named_property("buffers", buffers)?;
        let mut errors = env.create_array(0)?;
        for (i, e) in val.errors.into_iter().enumerate() {
            let mut o = Object::new(&env)?;
            o.set_named_property("code", e.code.as_str())?;
            o.set_named_property("message", e.message)?;
            match e.position {
                Some(p) => o.set_named_property("position", vec![p.offset, p.line, p.column])?,
                None => o.set_named_property("position", RawValue(null(raw)?))?,
            }
            if let Some(os) = e.os {
                o.set_named_property("errno", os.errno)?;
                o.set_named_property("syscall", os.syscall)?;
            }
            errors.set(i as u32, o)?;
        }
        obj.set_named_property("errors", errors)?;
        // SAFETY: as above.
        unsafe { Object::to_napi_value(raw, obj) }
    }
}

/// A `Float64Array` over a fresh JS-allocated `ArrayBuffer` holding `values` (never an
/// external buffer: those are forbidden in some runtimes).
///
/// # Safety
/// `env` must be the current environment.
unsafe fn float64_array(env: sys::napi_env, values: &[f64]) -> ::napi::Result<sys::napi_value> {
    let bytes = std::mem::size_of_val(values);
    let mut data = std::ptr::null_mut();
    let mut buffer = std::ptr::null_mut();
    let mut array = std::ptr::null_mut();
    // SAFETY: plain Node-API calls with valid out-pointers; `data` is a fresh allocation of
    // `bytes` bytes (non-overlapping with `values`), written before JS can see it.
    unsafe {
        let status = sys::napi_create_arraybuffer(env, bytes, &mut data, &mut buffer);
        if status != sys::Status::napi_ok {
            return Err(TransferError::new(
                ErrorCode::OutOfMemory,
                "could not allocate a batch's records",
            )
            .into());
        }
        if bytes > 0 {
            std::ptr::copy_nonoverlapping(values.as_ptr().cast::<u8>(), data.cast::<u8>(), bytes);
        }
        let status = sys::napi_create_typedarray(
            env,
            sys::TypedarrayType::float64_array,
            values.len(),
            buffer,
            0,
            &mut array,
        );
        if status != sys::Status::napi_ok {
            return Err(TransferError::internal("napi_create_typedarray failed").into());
        }
    }
    Ok(array)
}
