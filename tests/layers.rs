//! The crate's layers point down: every `crate::…` path in a layer's source names a layer
//! at or below it (the order `src/lib.rs` states). A path through a root re-export
//! (`crate::FixedSizeAllocator`) counts as the layer that defines the item. Unit tests
//! (`tests.rs`, `tests/`) are left out: they may drive a layer through the ones above it
//! (a block through an arena); what ships is layered.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Bottom to top, as `src/lib.rs` lists them: (layer, its module names under `src/`).
const LAYERS: &[(&str, &[&str])] = &[
    ("geometry", &["geometry"]),
    ("block", &["block"]),
    ("transfer", &["transfer"]),
    ("arena", &["arena"]),
    ("layout", &["layout"]),
    ("pool", &["pool"]),
    ("napi", &["napi"]),
    ("json", &["producers", "json"]),
    ("js_constants", &["js_constants"]),
    ("addon", &["addon"]),
];

fn layer_of_module(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Names re-exported at the crate root (`pub use module::{A, B}` in lib.rs) -> module.
fn root_reexports(lib: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for stmt in lib.split(';') {
        let stmt = stmt.trim();
        let Some(rest) = stmt.strip_prefix("pub use ") else {
            continue;
        };
        let (module, items) = match rest.split_once("::") {
            Some((m, items)) => (m.trim(), items),
            None => continue,
        };
        let items = items.trim().trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let name = item.trim().rsplit("::").next().unwrap_or("").trim();
            if !name.is_empty() {
                map.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    map
}

/// The first segment of every `crate::` path in `text` (group imports expanded).
fn crate_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        // Not `raw_transfer::crate::` or an identifier ending in `crate`.
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let first = item.trim().split("::").next().unwrap_or("").trim();
                if !first.is_empty() {
                    out.push(first.to_owned());
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

/// Lines that are code: comments (`//`, `///`, `//!`) are left out, as docs may name any
/// layer.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn imports_only_point_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = fs::read_to_string(src.join("lib.rs")).unwrap();
    let mut reexports = root_reexports(&code_of(&lib));
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    // `#[macro_export]` macros live at the crate root: they count as the layer of the file
    // that defines them.
    for file in &files {
        let text = code_of(&fs::read_to_string(file).unwrap());
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap();
        for part in text.split("macro_rules!").skip(1) {
            let name: String = part
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            reexports.insert(name, top.trim_end_matches(".rs").to_owned());
        }
    }
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap();
        let module = top.trim_end_matches(".rs");
        if module == "lib"
            || rel
                .components()
                .any(|c| c.as_os_str() == "tests" || c.as_os_str() == "tests.rs")
        {
            continue;
        }
        let own = layer_of_module(module)
            .unwrap_or_else(|| panic!("{}: module `{module}` is in no layer", rel.display()));
        let text = code_of(&fs::read_to_string(&file).unwrap());
        for first in crate_paths(&text) {
            let target = if let Some(layer) = layer_of_module(&first) {
                layer
            } else if let Some(m) = reexports.get(&first) {
                layer_of_module(m).unwrap()
            } else {
                problems.push(format!(
                    "{}: `crate::{first}` names no layer",
                    rel.display()
                ));
                continue;
            };
            checked += 1;
            if target > own {
                problems.push(format!(
                    "{}: layer `{}` uses `crate::{first}`, of layer `{}` above it",
                    rel.display(),
                    LAYERS[own].0,
                    LAYERS[target].0
                ));
            }
        }
    }
    assert!(checked > 50, "the scan found only {checked} crate paths");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_scan_sees_group_imports_and_reexports() {
    assert_eq!(
        crate_paths("use crate::{arena::X, pool};\nlet a = crate::geometry::B;"),
        ["arena", "pool", "geometry"]
    );
    let map = root_reexports("pub use arena::{AllocError, Allocator};\npub use producers::json;");
    assert_eq!(map["Allocator"], "arena");
    assert_eq!(map["json"], "producers");
}
