//! [`BlockId`]: a block id as a JS caller passes it, checked where its error can be thrown
//! as a typed one.

use ::napi::bindgen_prelude::{FromNapiValue, TypeName, ValidateNapiValue, ValueType};
use ::napi::sys;

use super::error::TransferError;

/// A block id argument from JS (`release(id)`, `resend(id)`). [`get`](Self::get) gives it
/// if it is an integer in `1..=u32::MAX`, else an `InvalidArgumentError`: a `u32` argument
/// would take any number modulo 2^32 (napi's `ToUint32`: `id + 2 ** 32` is `id`, `1.5` is
/// 1, `NaN` is 0), so a wrong id could give back another block that is still in use. The
/// check runs in [`get`](Self::get), not in the conversion, so that its error reaches JS
/// through [`catch_panic_in`](super::catch_panic_in) as the reader's class (an error of
/// napi-rs's conversion would be a plain `Error`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlockId(Option<f64>);

impl BlockId {
    /// The argument `v` (a JS number).
    pub fn of(v: f64) -> Self {
        Self(Some(v))
    }

    /// No argument was passed (`get` then says so).
    pub(crate) fn missing() -> Self {
        Self(None)
    }

    /// The id, or an `InvalidArgument` error if the argument was not one.
    pub fn get(self) -> Result<u32, TransferError> {
        match self.0 {
            Some(v) if v.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&v) => Ok(v as u32),
            Some(v) => Err(TransferError::invalid_argument(format!(
                "a block id must be an integer in 1..{}; got {}",
                u32::MAX,
                js_number(v)
            ))),
            None => Err(TransferError::invalid_argument(
                "a block id must be a number",
            )),
        }
    }
}

/// `v` as JS prints it (`Infinity`, not Rust's `inf`).
fn js_number(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else {
        v.to_string()
    }
}

impl TypeName for BlockId {
    fn type_name() -> &'static str {
        "Number"
    }

    fn value_type() -> ValueType {
        ValueType::Number
    }
}

impl ValidateNapiValue for BlockId {}

impl FromNapiValue for BlockId {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> ::napi::Result<Self> {
        let mut v = 0f64;
        // SAFETY: napi-rs calls this with the environment and a value of the current call;
        // `v` is a valid out-pointer.
        let status = unsafe { sys::napi_get_value_double(env, value, &mut v) };
        if status == sys::Status::napi_ok {
            Ok(Self::of(v))
        } else {
            Ok(Self(None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BlockId;

    #[test]
    fn only_integers_in_range_are_block_ids() {
        assert_eq!(BlockId::of(1.0).get().unwrap(), 1);
        assert_eq!(BlockId::of(4294967295.0).get().unwrap(), u32::MAX);
        let bad = [0.0, -0.0, -1.0, 1.5, 4294967296.0, 4294967297.0, f64::NAN];
        for v in bad
            .into_iter()
            .chain([f64::INFINITY, -f64::INFINITY, 2f64.powi(53)])
        {
            let e = BlockId::of(v).get().unwrap_err();
            assert!(
                e.to_string().contains("a block id must be an integer"),
                "{v}: {e}"
            );
        }
        let e = BlockId(None).get().unwrap_err();
        assert!(e.to_string().contains("must be a number"), "{e}");
    }
}
