//! The numbers the JS side reads, assembled from each layer's own list: the block's
//! geometry, the hand-off record's fields and the pool defaults
//! (`npm/reader/generated/constants.js`, in the pure-JS `raw-transfer-reader` package that
//! any addon's JS reads blocks with), and the JSON layout (`js/generated/json-constants.js`,
//! what this package's JSON reader needs). Generated as data so that the pure-JS reader needs no
//! native code; the addon's `constants()` returns the same numbers, and a test fails when
//! a generated file is stale (`RAW_TRANSFER_WRITE_CONSTANTS=1 cargo test js_constants`
//! rewrites them).

/// The generic constants: `(name, value)`.
pub(crate) fn block_constants() -> Vec<(String, f64)> {
    [
        crate::geometry::JS_CONSTANTS,
        crate::arena::JS_CONSTANTS,
        crate::transfer::JS_CONSTANTS,
    ]
    .into_iter()
    .flatten()
    .map(|&(name, value)| (name.to_owned(), value as f64))
    .collect()
}

/// The JSON layout constants, prefixed `JSON_`.
pub(crate) fn json_constants() -> Vec<(String, f64)> {
    crate::producers::json::layout::LAYOUT_CONSTANTS
        .iter()
        .map(|&(name, value)| (format!("JSON_{name}"), f64::from(value)))
        .collect()
}

/// Every constant, generic first (what the addon's `constants()` returns).
#[cfg_attr(any(test, not(feature = "addon")), allow(dead_code))]
pub(crate) fn all() -> Vec<(String, f64)> {
    let mut all = block_constants();
    all.extend(json_constants());
    all
}

/// A generated module holding `constants`.
#[cfg(test)]
fn render(what: &str, constants: &[(String, f64)]) -> String {
    let mut out = format!(
        "'use strict'\n// {what}: generated from the Rust definitions (src/js_constants.rs); do not edit.\n\
         // Regenerate with RAW_TRANSFER_WRITE_CONSTANTS=1 cargo test js_constants\n\
         module.exports = Object.freeze({{\n"
    );
    for (name, value) in constants {
        out.push_str(&format!("  {name}: {value},\n"));
    }
    out.push_str("})\n");
    out
}

#[cfg(test)]
mod tests {
    /// The generated files (`npm/reader/generated/`, `js/generated/`) must match the Rust
    /// layout.
    #[test]
    fn js_constants_files_are_current() {
        let files = [
            (
                "npm/reader/generated/constants.js",
                super::render(
                    "Block geometry, hand-off record fields, pool defaults",
                    &super::block_constants(),
                ),
            ),
            (
                "js/generated/json-constants.js",
                super::render("The JSON document layout", &super::json_constants()),
            ),
        ];
        for (name, want) in files {
            let path = format!("{}/{name}", env!("CARGO_MANIFEST_DIR"));
            if std::env::var_os("RAW_TRANSFER_WRITE_CONSTANTS").is_some() {
                std::fs::write(&path, &want).unwrap();
            }
            let have = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                have == want,
                "{path} is out of date: rerun with RAW_TRANSFER_WRITE_CONSTANTS=1\n{want}"
            );
        }
    }
}
