//! Producers: code that fills blocks with data for JS to read.
pub mod json;

use crate::geometry::{
    ACTIVE_SIZE, BLOCK_ALIGN, BLOCK_SIZE, BUFFER_SIZE, RAW_METADATA_OFFSET, RAW_METADATA_SIZE,
};
use crate::transfer::field;

/// Every layout constant the JS side reads, by name: the geometry, the metadata fields and
/// the JSON layout (prefixed `JSON_`). `js/constants.js` holds the same numbers as data, so
/// the pure-JS reader needs no native code; a test keeps the two equal.
pub fn js_constants() -> Vec<(String, f64)> {
    let numbers: &[(&str, f64)] = &[
        ("BLOCK_ALIGN", BLOCK_ALIGN as f64),
        ("BLOCK_SIZE", BLOCK_SIZE as f64),
        ("BUFFER_SIZE", BUFFER_SIZE as f64),
        ("ACTIVE_SIZE", ACTIVE_SIZE as f64),
        ("RAW_METADATA_SIZE", RAW_METADATA_SIZE as f64),
        ("RAW_METADATA_OFFSET", RAW_METADATA_OFFSET as f64),
        (
            "DEFAULT_RETAINED_BYTES",
            crate::arena::DEFAULT_RETAINED_BYTES as f64,
        ),
        (
            "DEFAULT_MAX_RETAINED_BYTES",
            crate::arena::DEFAULT_MAX_RETAINED_BYTES as f64,
        ),
        ("META_DATA_OFFSET", field::DATA_OFFSET as f64),
        ("META_GENERATION", field::GENERATION as f64),
        ("META_PRODUCER0", field::PRODUCER0 as f64),
        ("META_PRODUCER1", field::PRODUCER1 as f64),
    ];
    let mut all: Vec<(String, f64)> = numbers.iter().map(|&(n, v)| (n.to_string(), v)).collect();
    for &(name, value) in json::layout::LAYOUT_CONSTANTS {
        all.push((format!("JSON_{name}"), f64::from(value)));
    }
    all
}

/// `js/constants.js` as it must read: generated from [`js_constants`].
pub fn render_js_constants() -> String {
    let mut out = String::from(
        "'use strict'\n// Generated from the Rust layout (src/producers/mod.rs, js_constants); do not edit.\n\
         // `cargo test` fails if this file and the Rust definitions disagree; regenerate with\n\
         // RAW_TRANSFER_WRITE_CONSTANTS=1 cargo test --no-default-features js_constants_file\n\
         module.exports = Object.freeze({\n",
    );
    for (name, value) in js_constants() {
        out.push_str(&format!("  {name}: {value},\n"));
    }
    out.push_str("})\n");
    out
}

#[cfg(test)]
mod tests {
    /// `js/constants.js` must match the Rust layout.
    #[test]
    fn js_constants_file() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/js/constants.js");
        let want = super::render_js_constants();
        if std::env::var_os("RAW_TRANSFER_WRITE_CONSTANTS").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "js/constants.js is out of date: rerun with RAW_TRANSFER_WRITE_CONSTANTS=1\n{want}"
        );
    }
}
