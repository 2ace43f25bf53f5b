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

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use super::shape::{Field, Kind, NoneRepr, Shape, ShapeFn, Tagging, VariantForm};
use super::{Layout, layout_hash};

mod dts;
mod emit;

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

/// One type of the graph.
pub(super) struct Ty {
    pub shape: &'static Shape,
    /// A JS identifier, unique in the module: a derived type's name, or `$Box_Expr`-like for
    /// the structural ones.
    pub ident: String,
}

/// Every type reachable from the roots, and the visitor's node kinds.
pub(super) struct Graph {
    pub types: Vec<Ty>,
    pub by_key: HashMap<String, usize>,
    pub roots: Vec<usize>,
    /// Node kinds of the visitor: (JS type name, the classes that are nodes of that name).
    pub nodes: Vec<(String, Vec<String>)>,
    /// For each type, the node kinds (indices into `nodes`) it can reach, itself included.
    pub reach: Vec<Vec<usize>>,
    /// The layout hash of each root.
    pub hashes: Vec<u64>,
    /// Whether i8, i16, f32 views are needed.
    pub views: (bool, bool, bool),
}

/// The identity of a shape: a derived type by module and name, the others by structure.
fn key(s: &'static Shape) -> String {
    match &s.kind {
        Kind::Struct(_) | Kind::Enum(_) => format!("{}::{}", s.module, s.name),
        Kind::Int { .. } | Kind::Float { .. } | Kind::Bool | Kind::Str => s.name.to_owned(),
        Kind::Array { elem, len } => format!("[{}; {len}]", key(elem())),
        Kind::Option { some, .. } => format!("Option<{}>", key(some())),
        Kind::Box { target } => format!("Box<{}>", key(target())),
        Kind::Slice { elem } => format!("Slice<{}>", key(elem())),
        Kind::Vec { elem } => format!("Vec<{}>", key(elem())),
    }
}

/// A readable name of a shape: `key` without module paths (`Slice<Stmt>`).
pub(super) fn label(s: &'static Shape) -> String {
    match &s.kind {
        Kind::Struct(_)
        | Kind::Enum(_)
        | Kind::Int { .. }
        | Kind::Float { .. }
        | Kind::Bool
        | Kind::Str => s.name.to_owned(),
        Kind::Array { elem, len } => format!("[{}; {len}]", label(elem())),
        Kind::Option { some, .. } => format!("Option<{}>", label(some())),
        Kind::Box { target } => format!("Box<{}>", label(target())),
        Kind::Slice { elem } => format!("Slice<{}>", label(elem())),
        Kind::Vec { elem } => format!("Vec<{}>", label(elem())),
    }
}

/// A JS identifier from any string.
fn sanitize(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '$' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// The children of a shape (the shapes of its parts).
pub(super) fn children(s: &'static Shape) -> Vec<&'static Shape> {
    match &s.kind {
        Kind::Int { .. } | Kind::Float { .. } | Kind::Bool | Kind::Str => Vec::new(),
        Kind::Array { elem, .. } | Kind::Slice { elem } | Kind::Vec { elem } => vec![elem()],
        Kind::Option { some, .. } => vec![some()],
        Kind::Box { target } => vec![target()],
        Kind::Struct(st) => st.fields.iter().map(|f| (f.shape)()).collect(),
        Kind::Enum(en) => en
            .variants
            .iter()
            .flat_map(|v| v.fields.iter().map(|f| (f.shape)()))
            .collect(),
    }
}

/// The struct a newtype variant is transparent over (inline or boxed), if any.
pub(super) fn transparent(
    form: VariantForm,
    fields: &'static [Field],
) -> Option<(&'static Shape, bool)> {
    if form != VariantForm::Newtype {
        return None;
    }
    let s = (fields[0].shape)();
    match &s.kind {
        Kind::Struct(_) => Some((s, false)),
        Kind::Box { target } if matches!(target().kind, Kind::Struct(_)) => Some((target(), true)),
        _ => None,
    }
}

impl Graph {
    fn build(roots: &[ShapeFn]) -> Result<Self, LayoutJsError> {
        let mut g = Graph {
            types: Vec::new(),
            by_key: HashMap::new(),
            roots: Vec::new(),
            nodes: Vec::new(),
            reach: Vec::new(),
            hashes: Vec::new(),
            views: (false, false, false),
        };
        let mut names: HashMap<String, String> = HashMap::new();
        let mut queue: Vec<&'static Shape> = Vec::new();
        for r in roots {
            let s = r();
            if !s.is_named() {
                return Err(LayoutJsError::Unsupported(format!(
                    "a root must be a #[derive(Layout)] type, not `{}`",
                    key(s)
                )));
            }
            let id = g.add(s, &mut names, &mut queue)?;
            g.roots.push(id);
            g.hashes.push(layout_hash(s));
        }
        while let Some(s) = queue.pop() {
            for c in children(s) {
                g.add(c, &mut names, &mut queue)?;
            }
        }
        g.check()?;
        g.nodes_and_reach();
        Ok(g)
    }

    fn add(
        &mut self,
        s: &'static Shape,
        names: &mut HashMap<String, String>,
        queue: &mut Vec<&'static Shape>,
    ) -> Result<usize, LayoutJsError> {
        let k = key(s);
        if let Some(&id) = self.by_key.get(&k) {
            return Ok(id);
        }
        let ident = if s.is_named() {
            let ident = sanitize(s.name);
            if let Some(other) = names.insert(ident.clone(), k.clone()) {
                return Err(LayoutJsError::Unsupported(format!(
                    "two types have the JS name `{ident}` ({other} and {k}): rename one with #[layout(rename = \"...\")]"
                )));
            }
            ident
        } else {
            let l = label(s);
            let mut ident = format!(
                "${}",
                sanitize(
                    &l.replace("; ", "x")
                        .replace(['<', '['], "_")
                        .replace(['>', ']'], "")
                )
            );
            // Two structural types of one label (a derived type named like a structural one):
            // tell them apart by number.
            if names.contains_key(&ident) {
                ident = format!("{ident}_{}", self.types.len());
            }
            names.insert(ident.clone(), k.clone());
            ident
        };
        match s.kind {
            Kind::Int {
                bytes: 1,
                signed: true,
            } => self.views.0 = true,
            Kind::Int {
                bytes: 2,
                signed: true,
            } => self.views.1 = true,
            Kind::Float { bytes: 4 } => self.views.2 = true,
            _ => {}
        }
        let id = self.types.len();
        self.types.push(Ty { shape: s, ident });
        self.by_key.insert(k, id);
        queue.push(s);
        Ok(id)
    }

    pub fn id(&self, s: &'static Shape) -> usize {
        self.by_key[&key(s)]
    }

    pub fn ty(&self, s: &'static Shape) -> &Ty {
        &self.types[self.id(s)]
    }

    /// What the generator cannot represent, found before writing anything.
    fn check(&self) -> Result<(), LayoutJsError> {
        self.check_names()?;
        for t in &self.types {
            let fields: Vec<&Field> = match &t.shape.kind {
                Kind::Struct(st) => st.fields.iter().collect(),
                Kind::Enum(en) => {
                    for v in en.variants {
                        if let Tagging::Internal { tag } = en.tagging {
                            let ok = match v.form {
                                VariantForm::Unit | VariantForm::Struct => true,
                                VariantForm::Newtype => transparent(v.form, v.fields).is_some(),
                                VariantForm::Tuple => false,
                            };
                            if !ok {
                                return Err(LayoutJsError::Unsupported(format!(
                                    "{}::{} cannot be internally tagged (tag = \"{tag}\"): serde writes only \
                                     unit, struct, and newtype-of-struct variants so",
                                    t.shape.name, v.name
                                )));
                            }
                        }
                    }
                    en.variants.iter().flat_map(|v| v.fields.iter()).collect()
                }
                _ => continue,
            };
            for f in fields {
                if f.flatten && !matches!((f.shape)().kind, Kind::Struct(_)) {
                    return Err(LayoutJsError::Unsupported(format!(
                        "{}.{} is `flatten` but its type is not a struct",
                        t.shape.name, f.name
                    )));
                }
            }
        }
        Ok(())
    }

    /// Names the generated code would give two meanings: a type named as something the module
    /// declares (a runtime function, a JS global it uses, a name of the `.d.ts`, another
    /// type's `…JS` type or a root's reader), a JS keyword, a field that would hide a view's
    /// method, a variant field named `type` (a variant's view says its variant there), and
    /// keys serde would write twice (a tag or content key that is also a field's name).
    fn check_names(&self) -> Result<(), LayoutJsError> {
        let clash = |what: String, why: &str| {
            Err(LayoutJsError::Unsupported(format!(
                "{what} clashes with {why}: rename it with #[layout(rename = \"...\")] (or serde's)"
            )))
        };
        let runtime = emit::runtime_names();
        let idents: Vec<&str> = self
            .types
            .iter()
            .filter(|t| t.shape.is_named())
            .map(|t| t.ident.as_str())
            .collect();
        let readers: Vec<String> = self
            .roots
            .iter()
            .map(|&r| format!("read{}", self.types[r].ident))
            .collect();
        for t in self.types.iter().filter(|t| t.shape.is_named()) {
            let (name, ident) = (t.shape.name, t.ident.as_str());
            let what = format!("the type `{name}` (JS name `{ident}`)");
            if ident.contains('$') {
                return clash(what, "the names the generator makes (they contain `$`)");
            }
            if runtime.contains(&ident) || RESERVED_GLOBALS.contains(&ident) {
                return clash(what, "a name the generated module uses");
            }
            if JS_KEYWORDS.contains(&ident) {
                return clash(what, "a JavaScript keyword");
            }
            if DTS_NAMES.contains(&ident) || readers.iter().any(|r| r == ident) {
                return clash(what, "a name the generated module exports");
            }
            if let Some(base) = ident.strip_suffix("JS")
                && idents.contains(&base)
            {
                return clash(
                    what,
                    &format!("the plain-object type of `{base}` (`{ident}`)"),
                );
            }
            if name.ends_with(":exit") {
                return clash(what, "the visitor's `<type>:exit` handler keys");
            }
            let (fields, variants): (Vec<&Field>, &[super::Variant]) = match &t.shape.kind {
                Kind::Struct(st) => (st.fields.iter().collect(), &[]),
                Kind::Enum(en) => (Vec::new(), en.variants),
                _ => continue,
            };
            for f in fields {
                if VIEW_METHODS.contains(&f.js_name) {
                    return clash(
                        format!("the field `{}.{}` (JS name `{}`)", name, f.name, f.js_name),
                        "a method of its view (toJS/toJSON)",
                    );
                }
            }
            let Kind::Enum(en) = &t.shape.kind else {
                continue;
            };
            for v in variants {
                if v.js_name.ends_with(":exit") {
                    return clash(
                        format!("the variant `{name}::{}`", v.name),
                        "the visitor's `<type>:exit` handler keys",
                    );
                }
                // The fields the variant's view shows and its toJS() writes.
                let shown: Vec<&'static str> = match transparent(v.form, v.fields) {
                    Some((st, _)) => match &st.kind {
                        Kind::Struct(st) => flat_fields(st.fields, 0).iter().map(|f| f.0).collect(),
                        _ => Vec::new(),
                    },
                    None => flat_fields(v.fields, 0).iter().map(|f| f.0).collect(),
                };
                for f in &shown {
                    let what = format!("the field `{f}` of variant `{name}::{}`", v.name);
                    if *f == "type" || VIEW_METHODS.contains(f) {
                        return clash(what, "its view's `type` (the variant's name) or methods");
                    }
                    let keys = match en.tagging {
                        Tagging::Internal { tag } => vec![tag],
                        _ => Vec::new(),
                    };
                    if keys.contains(f) && v.form != VariantForm::Tuple {
                        return clash(what, "the enum's tag key (serde would write the key twice)");
                    }
                }
                if let Tagging::Adjacent { tag, content } = en.tagging
                    && tag == content
                {
                    return clash(format!("the content key of `{name}`"), "its tag key");
                }
            }
        }
        Ok(())
    }

    /// Node kinds and, per type, which it can reach (a fixpoint over the graph, which may
    /// have cycles through boxes).
    fn nodes_and_reach(&mut self) {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut own: Vec<Vec<usize>> = vec![Vec::new(); self.types.len()];
        let mut node =
            |name: &str, class: String, nodes: &mut Vec<(String, Vec<String>)>| -> usize {
                let i = *index.entry(name.to_owned()).or_insert_with(|| {
                    nodes.push((name.to_owned(), Vec::new()));
                    nodes.len() - 1
                });
                if !nodes[i].1.contains(&class) {
                    nodes[i].1.push(class);
                }
                i
            };
        let mut nodes = Vec::new();
        // A struct is a node wherever it is not the payload of a transparent variant; reaching
        // it through one makes the variant the node. Both are listed: a struct may be reached
        // both ways.
        for (id, t) in self.types.iter().enumerate() {
            match &t.shape.kind {
                Kind::Struct(_) => own[id].push(node(t.shape.name, t.ident.clone(), &mut nodes)),
                Kind::Enum(en) if !en.fieldless => {
                    for v in en.variants {
                        let class = format!("{}${}", t.ident, sanitize(v.name));
                        own[id].push(node(v.js_name, class, &mut nodes));
                    }
                }
                _ => {}
            }
        }
        self.nodes = nodes;
        // reach(t) = own(t) ∪ reach(children), except that a transparent variant's payload
        // struct is not itself a node there: its reach is the struct's children's.
        let mut reach: Vec<Vec<usize>> = own.clone();
        let edges: Vec<Vec<usize>> = self
            .types
            .iter()
            .map(|t| {
                let mut out = Vec::new();
                if let Kind::Enum(en) = &t.shape.kind {
                    for v in en.variants {
                        if let Some((s, _)) = transparent(v.form, v.fields) {
                            out.extend(children(s).into_iter().map(|c| self.id(c)));
                        } else {
                            out.extend(v.fields.iter().map(|f| self.id((f.shape)())));
                        }
                    }
                } else {
                    out.extend(children(t.shape).into_iter().map(|c| self.id(c)));
                }
                out
            })
            .collect();
        loop {
            let mut changed = false;
            for id in 0..self.types.len() {
                for &c in &edges[id] {
                    let add: Vec<usize> = reach[c]
                        .iter()
                        .copied()
                        .filter(|k| !reach[id].contains(k))
                        .collect();
                    if !add.is_empty() {
                        reach[id].extend(add);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        for r in &mut reach {
            r.sort_unstable();
        }
        self.reach = reach;
    }

    /// The names the module exports (for the ESM re-export).
    pub fn exports(&self) -> Vec<String> {
        let mut out = vec![
            "LAYOUT_HASHES".to_owned(),
            "NODE_TYPES".to_owned(),
            "LayoutMismatchError".to_owned(),
            "toJS".to_owned(),
            "visit".to_owned(),
            "release".to_owned(),
        ];
        for &r in &self.roots {
            out.push(format!("read{}", self.types[r].ident));
        }
        for t in &self.types {
            match &t.shape.kind {
                Kind::Struct(_) => out.push(t.ident.clone()),
                Kind::Enum(en) if !en.fieldless => {
                    for v in en.variants {
                        out.push(format!("{}${}", t.ident, sanitize(v.name)));
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// JS globals the generated module uses by name.
const RESERVED_GLOBALS: &[&str] = &[
    "Array",
    "ArrayBuffer",
    "Error",
    "Float32Array",
    "Float64Array",
    "Infinity",
    "Int16Array",
    "Int32Array",
    "Int8Array",
    "Math",
    "NaN",
    "Number",
    "Object",
    "RangeError",
    "String",
    "Symbol",
    "TextDecoder",
    "Uint16Array",
    "Uint32Array",
    "Uint8Array",
    "WeakMap",
    "globalThis",
    "undefined",
    "module",
    "exports",
    "require",
    "NODE_TYPES",
    "LAYOUT_HASHES",
];

/// Names the `.d.ts` declares besides the types'.
const DTS_NAMES: &[&str] = &[
    "HandOff",
    "List",
    "View",
    "Visitor",
    "NodeType",
    "RawBuffer",
    "LayoutMismatchError",
];

/// What every view has besides its fields.
const VIEW_METHODS: &[&str] = &["toJS", "toJSON"];

/// Words a class cannot be named.
const JS_KEYWORDS: &[&str] = &[
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
    "arguments",
    "eval",
];

/// `p + off` as JS source, `p` alone for 0.
pub(super) fn at(p: &str, off: usize) -> String {
    if off == 0 {
        p.to_owned()
    } else {
        format!("{p} + {off}")
    }
}

/// A JS string literal.
pub(super) fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A property key: bare when it is an identifier, quoted otherwise.
pub(super) fn prop(s: &str) -> String {
    // In an object literal `__proto__: v` sets the prototype; a computed key is a property.
    if s == "__proto__" {
        return "['__proto__']".to_owned();
    }
    let ident = !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if ident
        || (!s.is_empty()
            && s.chars().all(|c| c.is_ascii_digit())
            && (s == "0" || !s.starts_with('0')))
    {
        s.to_owned()
    } else {
        lit(s)
    }
}

/// How a `None` is recognised at position `p` (JS condition).
pub(super) fn is_none(none: NoneRepr, some: &Shape, p: &str) -> String {
    match none {
        NoneRepr::NullPtr { offset } => {
            let i = at(p, offset);
            format!("(d.u32[({i}) >> 2] === 0 && d.u32[(({i}) >> 2) + 1] === 0)")
        }
        NoneRepr::Tag { value } => {
            let Kind::Enum(en) = &some.kind else {
                unreachable!("a tag niche is an enum's")
            };
            format!("{} === {value}", tag_read(en.tag_bytes, p))
        }
    }
}

/// The tag of an enum at `p`.
pub(super) fn tag_read(bytes: u8, p: &str) -> String {
    match bytes {
        1 => format!("d.u8[{p}]"),
        2 => format!("d.u16[({p}) >> 1]"),
        _ => format!("d.u32[({p}) >> 2]"),
    }
}

/// A struct's fields as JS sees them: flattened structs' fields in their place (offsets
/// from the outer struct), the first of two fields of one JS name kept.
pub(super) fn flat_fields(
    fields: &'static [Field],
    base: usize,
) -> Vec<(&'static str, &'static Shape, usize)> {
    let mut out: Vec<(&'static str, &'static Shape, usize)> = Vec::new();
    for f in fields {
        let s = (f.shape)();
        if f.flatten {
            if let Kind::Struct(inner) = &s.kind {
                for x in flat_fields(inner.fields, base + f.offset) {
                    if !out.iter().any(|o| o.0 == x.0) {
                        out.push(x);
                    }
                }
            }
        } else if !out.iter().any(|o| o.0 == f.js_name) {
            out.push((f.js_name, s, base + f.offset));
        }
    }
    out
}

/// A class member's key: as [`prop`], but `constructor` computed (a class's `constructor`
/// cannot be a getter).
pub(super) fn member(s: &str) -> String {
    if s == "constructor" {
        "['constructor']".to_owned()
    } else {
        prop(s)
    }
}
