//! The generator: from root [`Layout`] types, a JS module (CommonJS `.js`, an ESM `.mjs`
//! re-exporting it) and its TypeScript types (`.d.ts`, `.d.mts`), with a lazy view class per
//! type, an eager `toJS()`, a visitor and a reader entry per root.
//!
//! The generated code needs only the pure-JS reader package ([`JsOptions::reader`]), whose
//! `layout` subpath is its runtime: the checks of every pointer and length against the buffer
//! before a read, staleness, the layout-hash check, strings and the walks, shared by every
//! generated module (`npm/reader/layout.js` in this repository). A module holds what is its
//! layout's own: every offset, size and discriminant, from the [`Shape`]s (so from the
//! compiler). It was generated for one version of that runtime
//! ([`LAYOUT_RUNTIME_VERSION`]) and refuses to load with another (`LayoutRuntimeMismatchError`).
//!
//! A project checks the generated files in and calls [`sync_js`] from a test: it rewrites
//! them under `RAW_TRANSFER_WRITE_LAYOUT=1` and otherwise fails when they are stale.

use std::fmt;
use std::path::{Path, PathBuf};

use super::Layout;
use super::shape::ShapeFn;
use graph::Graph;

mod check;
mod dts;
mod emit;
mod graph;
mod text;
mod to_js;
mod view;
mod walk;

pub use emit::LAYOUT_RUNTIME_VERSION;

/// What [`write_js`] writes and how.
#[derive(Clone, Debug)]
pub struct JsOptions {
    /// The reader package: the generated code `require`s its runtime, `<reader>/layout`, and
    /// the types name its `RawBuffer`. `"raw-transfer-reader"` by default; `"raw-transfer/reader"`
    /// (raw-transfer re-exports the runtime as `raw-transfer/reader/layout`) and a path to
    /// the reader package's folder work too.
    pub reader: String,
    /// Base name of the files: `<name>.js`, `.mjs`, `.d.ts`, `.d.mts`. Default `"layout"`.
    pub name: String,
    /// Further roots besides the one `write_js::<T>` names (each gets its `read<Name>`).
    pub extra_roots: Vec<ShapeFn>,
    /// How many pointers deep one stretch of `toJS()` recursion goes: below that depth it
    /// leaves a placeholder and converts the part from a work list afterwards, so a document
    /// of any depth converts without exhausting the JS stack (`visit()` never recurses).
    /// Not a limit on documents: what bounds a walk over hostile bytes is the buffer's size
    /// (every pointer and list followed is charged against it). Default 500.
    pub max_depth: u32,
    /// The command that regenerates the files, for their header.
    pub regenerate: String,
    /// Write the CommonJS module as `<name>.cjs` (types `<name>.d.cts`) instead of `.js` /
    /// `.d.ts`: for a package with `"type": "module"`, where a `.js` file is ESM. The ESM
    /// module `<name>.mjs` imports it either way. Default false.
    pub cjs: bool,
}

impl Default for JsOptions {
    fn default() -> Self {
        Self {
            reader: "raw-transfer-reader".to_owned(),
            name: "layout".to_owned(),
            extra_roots: Vec::new(),
            max_depth: 500,
            regenerate: "RAW_TRANSFER_WRITE_LAYOUT=1 cargo test".to_owned(),
            cjs: false,
        }
    }
}

/// Why the JS could not be generated, written or was found stale.
#[derive(Debug)]
pub enum LayoutJsError {
    /// The shapes cannot be represented as asked (a `flatten` of a non-struct, two types of
    /// one JS name, an internally tagged newtype variant holding a non-struct, ...).
    Unsupported(String),
    /// Reading or writing a file failed.
    Io(PathBuf, std::io::Error),
    /// A checked-in file differs from what the generator writes now.
    Stale(PathBuf),
}

impl fmt::Display for LayoutJsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported(m) => write!(f, "cannot generate the JS reader: {m}"),
            Self::Io(p, e) => write!(f, "{}: {e}", p.display()),
            Self::Stale(p) => write!(
                f,
                "{} is out of date with the Rust types: rerun with RAW_TRANSFER_WRITE_LAYOUT=1",
                p.display()
            ),
        }
    }
}

impl std::error::Error for LayoutJsError {}

/// The generated files of `roots`: `(file name, contents)`.
pub fn generate_js(
    roots: &[ShapeFn],
    options: &JsOptions,
) -> Result<Vec<(String, String)>, LayoutJsError> {
    let g = Graph::build(roots)?;
    let js = emit::module(&g, options)?;
    let dts = dts::types(&g, options);
    let name = &options.name;
    let (js_ext, dts_ext) = if options.cjs {
        ("cjs", "d.cts")
    } else {
        ("js", "d.ts")
    };
    let mjs = format!(
        "// {}\nimport cjs from './{name}.{js_ext}'\nexport const {{ {} }} = cjs\nexport default cjs\n",
        header(options),
        g.exports().join(", ")
    );
    let dmts = format!(
        "// {}\nimport cjs = require('./{name}.{js_ext}')\nexport * from './{name}.{js_ext}'\nexport default cjs\n",
        header(options)
    );
    Ok(vec![
        (format!("{name}.{js_ext}"), js),
        (format!("{name}.mjs"), mjs),
        (format!("{name}.{dts_ext}"), dts),
        (format!("{name}.d.mts"), dmts),
    ])
}

fn roots_of<T: Layout>(options: &JsOptions) -> Vec<ShapeFn> {
    let mut roots: Vec<ShapeFn> = vec![T::shape];
    roots.extend(options.extra_roots.iter().copied());
    roots
}

/// Write the JS reader of `T` (and [`JsOptions::extra_roots`]) into `dir`.
pub fn write_js<T: Layout>(
    dir: impl AsRef<Path>,
    options: &JsOptions,
) -> Result<(), LayoutJsError> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir).map_err(|e| LayoutJsError::Io(dir.to_owned(), e))?;
    for (name, text) in generate_js(&roots_of::<T>(options), options)? {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| LayoutJsError::Io(path, e))?;
    }
    Ok(())
}

/// For a test: with `RAW_TRANSFER_WRITE_LAYOUT` set, [`write_js`]; otherwise fail with
/// [`LayoutJsError::Stale`] unless the files in `dir` are what `write_js` would write.
pub fn sync_js<T: Layout>(dir: impl AsRef<Path>, options: &JsOptions) -> Result<(), LayoutJsError> {
    if std::env::var_os("RAW_TRANSFER_WRITE_LAYOUT").is_some() {
        return write_js::<T>(dir, options);
    }
    let dir = dir.as_ref();
    for (name, text) in generate_js(&roots_of::<T>(options), options)? {
        let path = dir.join(name);
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have != text {
            return Err(LayoutJsError::Stale(path));
        }
    }
    Ok(())
}

fn header(options: &JsOptions) -> String {
    format!(
        "Generated by raw_transfer::layout::write_js (src/layout/js/) from the Rust types; do not edit.\n// Regenerate: {}",
        options.regenerate
    )
}
