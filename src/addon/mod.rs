//! This package's own JS-facing classes and functions (cargo feature `addon`): what
//! `require('raw-transfer')` loads. Built on the public [`crate::napi`] layer only, like
//! any other addon's would be (see `examples/rust-addon/`).

// napi-derive registers the exported functions only outside `cfg(test)`: there they are unused.
#![cfg_attr(test, allow(dead_code))]

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::napi::{catch_panic, catch_panic_in};

mod json;
mod pool;

/// Number of blocks this copy of the crate created and has not yet freed (all threads).
#[napi(js_name = "liveBlocks")]
pub fn live_blocks() -> u32 {
    crate::block::live_blocks() as u32
}

/// Diagnostics: `[id, poolId, ownerCount]` of every live block (all threads). An owner
/// count of 1 is the Rust allocator alone (a pool or a Rust thread holds it); more are JS
/// buffers over it.
#[napi(js_name = "liveBlockOwners")]
pub fn live_block_owners() -> Vec<Vec<f64>> {
    catch_panic(|| -> ::napi::Result<Vec<Vec<f64>>> {
        Ok(crate::block::live_block_owners()
            .into_iter()
            .map(|(id, pool, owners)| vec![f64::from(id), pool as f64, f64::from(owners)])
            .collect())
    })
    .unwrap_or_default()
}

/// Every layout constant the JS reader needs, from the Rust definitions (`js/constants.js`
/// holds the same numbers as data for the pure-JS reader; a test checks they agree).
#[napi]
pub fn constants(env: &Env) -> Result<Object<'_>> {
    catch_panic_in(env, || {
        let mut obj = Object::new(env)?;
        for (name, value) in crate::js_constants::all() {
            obj.set_named_property(&name, value)?;
        }
        Ok(obj)
    })
}
