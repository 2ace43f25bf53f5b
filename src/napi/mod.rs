//! Node-API bindings (cargo feature `napi`). Everything here runs on a JS thread; the JS
//! runtime in `js/` wraps these low-level classes into the public API and maps the error
//! codes below to its error classes.
//!
//! A native error's message is `"<Code>: <text>"`; `js/errors.js` turns `<Code>` into a class.

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

pub mod handoff;
mod block;
pub mod env;
mod json;
mod pool;



use crate::geometry::{
    ACTIVE_SIZE, BLOCK_ALIGN, BLOCK_SIZE, BUFFER_SIZE, RAW_METADATA_OFFSET, RAW_METADATA_SIZE,
};
use crate::transfer::field;

/// Error codes shared with `js/errors.js`.
pub(crate) mod code {
    pub const POOL_EXHAUSTED: &str = "PoolExhausted";
    pub const POOL_CLOSED: &str = "PoolClosed";
    pub const BLOCK_FULL: &str = "BlockFull";
    pub const STALE_BUFFER: &str = "StaleBuffer";
    pub const EXTERNAL_FORBIDDEN: &str = "ExternalForbidden";
    pub const OUT_OF_MEMORY: &str = "OutOfMemory";
    pub const INVALID_ARGUMENT: &str = "InvalidArgument";
    pub const JSON_SYNTAX: &str = "JsonSyntax";
    pub const INTERNAL: &str = "Internal";
}

pub(crate) fn error(code: &str, message: impl std::fmt::Display) -> Error {
    Error::new(Status::GenericFailure, format!("{code}: {message}"))
}

/// A raw `napi_value` returned as is.
pub struct RawValue(pub(crate) sys::napi_value);

impl TypeName for RawValue {
    fn type_name() -> &'static str {
        "unknown"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ToNapiValue for RawValue {
    unsafe fn to_napi_value(_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        Ok(val.0)
    }
}

/// Number of blocks in this process (all threads) created and not yet freed.
#[napi(js_name = "liveBlocks")]
pub fn live_blocks() -> u32 {
    crate::block::live_blocks() as u32
}

/// Every layout constant the JS reader needs, from the Rust definitions.
#[napi]
pub fn constants(env: &Env) -> Result<Object<'_>> {
    let mut obj = Object::new(env)?;
    let numbers: &[(&str, f64)] = &[
        ("BLOCK_ALIGN", BLOCK_ALIGN as f64),
        ("BLOCK_SIZE", BLOCK_SIZE as f64),
        ("BUFFER_SIZE", BUFFER_SIZE as f64),
        ("ACTIVE_SIZE", ACTIVE_SIZE as f64),
        ("RAW_METADATA_SIZE", RAW_METADATA_SIZE as f64),
        ("RAW_METADATA_OFFSET", RAW_METADATA_OFFSET as f64),
        ("DEFAULT_RETAINED_BYTES", crate::arena::DEFAULT_RETAINED_BYTES as f64),
        ("DEFAULT_MAX_RETAINED_BYTES", crate::arena::DEFAULT_MAX_RETAINED_BYTES as f64),
        ("META_DATA_OFFSET", field::DATA_OFFSET as f64),
        ("META_GENERATION", field::GENERATION as f64),
        ("META_PRODUCER0", field::PRODUCER0 as f64),
        ("META_PRODUCER1", field::PRODUCER1 as f64),
    ];
    for &(name, value) in numbers {
        obj.set_named_property(name, value)?;
    }
    for &(name, value) in crate::producers::json::layout::LAYOUT_CONSTANTS {
        obj.set_named_property(&format!("JSON_{name}"), value)?;
    }
    Ok(obj)
}
