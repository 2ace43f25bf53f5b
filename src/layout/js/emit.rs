//! The CommonJS module: the prelude that takes the runtime from `raw-transfer-reader/layout`
//! (checking its version) and defines the layout's own state there, then per type its view
//! class, `read_`, `toJS_` and `walk_` functions, then the roots' readers and the exports.
//!
//! This file holds the module's skeleton and the `Emitter`'s per-type dispatch; the lazy view
//! classes and `read_` functions are in `view.rs`, the `toJS_` functions in `to_js.rs`, the
//! visitor's `walk_` functions in `walk.rs` (each a further `impl Emitter`).

use std::cell::RefCell;
use std::fmt::Write as _;

use super::graph::{Graph, label};
use super::text::{is_none, lit, prop, tag_read};
use super::to_js::follow;
use super::view::boxed;
use super::{JsOptions, LayoutJsError, header};
use crate::layout::shape::{Kind, Shape, Tagging, Variant};

/// The version of the layout runtime (`raw-transfer-reader/layout`, its
/// `LAYOUT_RUNTIME_VERSION`) that the generated code calls: which functions it has and what
/// they take. A generated module refuses to load with a reader of another version. Raise it
/// (with the reader's) on any change to the runtime that code generated before would misuse.
pub const LAYOUT_RUNTIME_VERSION: u32 = 1;

/// What a generated module takes from the runtime, by name (`raw-transfer-reader/layout`'s
/// exports; its test checks that the reader has each).
const RUNTIME_IMPORTS: &[&str] = &[
    "open",
    "live",
    "corrupt",
    "badTag",
    "ptr",
    "enter",
    "span",
    "charge",
    "str",
    "u64",
    "i64",
    "f64js",
    "f32js",
    "defer",
    "run",
    "runWalk",
    "ListIterator",
    "inspect",
    "LayoutMismatchError",
];

/// What `defineLayout` makes for the module (the layout's own state).
const LAYOUT_DEFINES: &[&str] = &["NODE_TYPES", "WALK", "rootView", "release", "visit", "toJS"];

/// The names the prelude declares at the top level of every generated module: no generated
/// name may be one of them. (`$layout`, the runtime module, has a `$`, which types' names
/// cannot.)
pub(super) fn runtime_names() -> Vec<&'static str> {
    let mut out = RUNTIME_IMPORTS.to_vec();
    out.extend_from_slice(LAYOUT_DEFINES);
    out.push("MAX_DEPTH");
    out
}

/// The module's text.
pub(super) fn module(g: &Graph, o: &JsOptions) -> Result<String, LayoutJsError> {
    let mut out = String::new();
    let _ = writeln!(out, "'use strict'\n// {}\n", header(o));
    let file = format!("{}.{}", o.name, if o.cjs { "cjs" } else { "js" });
    let v = LAYOUT_RUNTIME_VERSION;
    let _ = writeln!(
        out,
        "// The layout runtime: checks of every pointer and length against the buffer, staleness,\n\
         // strings, walks. This module calls version {v} of it, and refuses another.\n\
         const $layout = require({runtime})\n\
         if ($layout.LAYOUT_RUNTIME_VERSION !== {v}) {{\n  \
         throw new $layout.LayoutRuntimeMismatchError(\n    \
         `{file} was generated for version {v} of the layout runtime, but raw-transfer-reader ${{$layout.READER_VERSION}} has version ${{$layout.LAYOUT_RUNTIME_VERSION}}: ` +\n      \
         {advice},\n  )\n}}\n\
         const {{ {imports} }} = $layout\n\
         const MAX_DEPTH = {max_depth}",
        runtime = lit(&format!("{}/layout", o.reader)),
        advice = lit(&format!(
            "install the raw-transfer-reader that goes with the raw_transfer crate that generated it, or regenerate it ({})",
            o.regenerate
        )),
        imports = RUNTIME_IMPORTS.join(", "),
        max_depth = o.max_depth,
    );
    // The layout's own state: the visitor's node types, and per type the node types it can reach.
    let names: Vec<String> = g.nodes.iter().map(|(n, _)| lit(n)).collect();
    let reach: Vec<String> = g
        .reach
        .iter()
        .map(|r| {
            format!(
                "[{}]",
                r.iter()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "\n// This layout's own: the visitor's node types, and per type the node types it can reach.\n\
         const {{ {} }} = $layout.defineLayout({{\n  nodeTypes: [{}],\n  reach: [{}],\n}})",
        LAYOUT_DEFINES.join(", "),
        names.join(", "),
        reach.join(", ")
    );
    let e = Emitter {
        g,
        classes: RefCell::new(Vec::new()),
    };
    let mut lists: Vec<usize> = Vec::new();
    for (id, t) in g.types.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n// {} ({} bytes, align {})",
            label(t.shape),
            t.shape.size,
            t.shape.align
        );
        e.ty(&mut out, id);
        if let Kind::Slice { elem } | Kind::Vec { elem } | Kind::Array { elem, .. } = &t.shape.kind
        {
            let eid = g.id(elem());
            if !lists.contains(&eid) {
                lists.push(eid);
            }
        }
    }
    for eid in lists {
        e.list_class(&mut out, eid);
    }
    // One view of each class, kept alive by the runtime (its keepMaps: while no view of a class
    // lives, a full GC frees the class's map and deoptimizes the code that reads its views).
    // A runtime without keepMaps (an older reader) leaves it out, and nothing else changes.
    let classes = e.classes.into_inner();
    let _ = writeln!(
        out,
        "\n// One view of each class over no document, kept alive by the runtime: V8 frees a class's\n\
         // map when a full GC finds none of its instances alive (as between documents) and\n\
         // deoptimizes the code that read its views.\n\
         $layout.keepMaps?.((d) => [\n{}])",
        classes
            .iter()
            .map(|c| format!("  new {c}(d, 0, 0),\n"))
            .collect::<String>()
    );
    // Roots.
    let mut hashes = Vec::new();
    for (&r, &hash) in g.roots.iter().zip(&g.hashes) {
        let t = &g.types[r];
        let (lo, hi) = (hash as u32, (hash >> 32) as u32);
        hashes.push(format!("{}: '{hash:016x}'", prop(&t.ident)));
        let _ = writeln!(
            out,
            "\n/** The root {name} of a hand-off (`{{ raw, offset?, generation? }}`, or a RawBuffer: its dataOffset and generation). */\n\
             function read{id}(handOff) {{\n  const d = open(handOff, 'read{id}', {lo:#010x}, {hi:#010x}, {size}, {align})\n  return rootView(d, read_{id}(d, d.root))\n}}",
            name = t.shape.name,
            id = t.ident,
            size = t.shape.size,
            align = t.shape.align,
        );
    }
    let _ = writeln!(
        out,
        "\n/** The layout hash each root's blocks carry (producer1:producer0, hex). */"
    );
    let _ = writeln!(
        out,
        "const LAYOUT_HASHES = Object.freeze({{ {} }})",
        hashes.join(", ")
    );
    let _ = writeln!(
        out,
        "\nmodule.exports = {{\n  {},\n}}",
        g.exports().join(",\n  ")
    );
    Ok(out)
}

/// Writes a module's per-type code: its methods are here (the dispatch by type), in `view.rs`,
/// `to_js.rs` and `walk.rs`.
pub(super) struct Emitter<'g> {
    pub(super) g: &'g Graph,
    /// The view classes emitted so far (each gets a kept instance: see `module`).
    pub(super) classes: RefCell<Vec<String>>,
}

pub(super) fn mask(s: &Shape) -> usize {
    s.align - 1
}

impl Emitter<'_> {
    pub(super) fn ident(&self, s: &'static Shape) -> &str {
        &self.g.ty(s).ident
    }

    fn ty(&self, out: &mut String, id: usize) {
        let t = &self.g.types[id];
        let s = t.shape;
        let ident = &t.ident;
        match &s.kind {
            Kind::Int { .. } | Kind::Float { .. } | Kind::Bool | Kind::Str => {
                let _ = writeln!(
                    out,
                    "function read_{ident}(d, p) {{\n  return {}\n}}",
                    self.read(s, "p")
                );
                let _ = writeln!(
                    out,
                    "function toJS_{ident}(d, p) {{\n  return {}\n}}",
                    self.plain(s, "p")
                );
            }
            Kind::Struct(st) => {
                self.view_class(
                    out,
                    ident,
                    s.name,
                    st.fields,
                    0,
                    &format!("toJS_{ident}"),
                    &format!("walk_{ident}"),
                );
                let _ = writeln!(
                    out,
                    "function read_{ident}(d, p) {{\n  return new {ident}(d, p)\n}}"
                );
                let _ = writeln!(
                    out,
                    "function toJS_{ident}(d, p) {{\n  return {{ {} }}\n}}",
                    self.props(st.fields, "p", 0).join(", ")
                );
                self.node_walk(out, &format!("walk_{ident}"), ident, s.name, st.fields, 0);
            }
            Kind::Enum(en) => {
                self.enum_(out, id, en.fieldless, en.tag_bytes, en.variants, en.tagging)
            }
            Kind::Option { some, none } => {
                let some = some();
                let cond = is_none(*none, some, "p");
                let _ = writeln!(
                    out,
                    "function read_{ident}(d, p) {{\n  return {cond} ? null : {}\n}}",
                    self.read(some, "p")
                );
                let _ = writeln!(
                    out,
                    "function toJS_{ident}(d, p) {{\n  return {cond} ? null : {}\n}}",
                    self.plain(some, "p")
                );
                if let Some(w) = self.walk(some, "p") {
                    let _ = writeln!(
                        out,
                        "function walk_{ident}(d, p, v) {{\n  if (!({cond})) {{\n    {w}\n  }}\n}}"
                    );
                }
            }
            Kind::Box { target } => {
                let tg = target();
                let (size, m) = (tg.size, mask(tg));
                let _ = writeln!(
                    out,
                    "function read_{ident}(d, p) {{\n  return {}\n}}",
                    self.read(tg, &format!("ptr(d, p, {size}, {m})"))
                );
                if matches!(
                    tg.kind,
                    Kind::Int { .. } | Kind::Float { .. } | Kind::Bool | Kind::Str
                ) {
                    let _ = writeln!(
                        out,
                        "function toJS_{ident}(d, p) {{\n  const q = enter(d, p, {size}, {m})\n  return {}\n}}",
                        self.plain(tg, "q")
                    );
                } else {
                    let _ = writeln!(
                        out,
                        "function toJS_{ident}(d, p) {{\n  const q = enter(d, p, {size}, {m})\n  {}\n}}",
                        follow(&format!("toJS_{}", self.ident(tg)), "q")
                    );
                }
                if let Some(w) = self.walk(tg, &format!("enter(d, p, {size}, {m})")) {
                    let _ = writeln!(out, "function walk_{ident}(d, p, v) {{\n  {w}\n}}");
                }
            }
            Kind::Slice { elem } | Kind::Vec { elem } => {
                let el = elem();
                let is_slice = matches!(s.kind, Kind::Slice { .. });
                let (size, m) = (el.size, mask(el));
                let list = format!("List${}", self.ident(el));
                let _ = writeln!(
                    out,
                    "function read_{ident}(d, p) {{\n  const q = span(d, p, {size}, {m}, {is_slice})\n  return new {list}(d, q, d.u32[(p >> 2) + 2])\n}}"
                );
                let ei = self.ident(el);
                let _ = writeln!(
                    out,
                    "function toJS_{ident}(d, p) {{\n  const q = span(d, p, {size}, {m}, {is_slice})\n  return listToJS_{ei}(d, q, d.u32[(p >> 2) + 2])\n}}",
                );
                if self.walks(el) {
                    let _ = writeln!(
                        out,
                        "function walk_{ident}(d, p, v) {{\n  const q = span(d, p, {size}, {m}, {is_slice})\n  listWalk_{ei}(d, q, v, d.u32[(p >> 2) + 2])\n}}"
                    );
                }
            }
            Kind::Array { elem, len } => {
                let el = elem();
                let size = el.size;
                let list = format!("List${}", self.ident(el));
                let _ = writeln!(
                    out,
                    "function read_{ident}(d, p) {{\n  return new {list}(d, p, {len})\n}}"
                );
                let _ = writeln!(
                    out,
                    "function toJS_{ident}(d, p) {{\n  const out = new Array({len})\n  for (let k = 0; k < {len}; k++) out[k] = {}\n  return out\n}}",
                    self.plain(el, &format!("p + k * {size}"))
                );
                if self.walks(el) {
                    let _ = writeln!(
                        out,
                        "function walk_{ident}(d, p, v) {{\n  const st = v.stack\n  for (let k = {len} - 1; k >= 0; k--) st.push(walk_{}, p + k * {size})\n}}",
                        self.ident(el)
                    );
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn enum_(
        &self,
        out: &mut String,
        id: usize,
        fieldless: bool,
        tag_bytes: u8,
        variants: &'static [Variant],
        tagging: Tagging,
    ) {
        let t = &self.g.types[id];
        let ident = &t.ident;
        let tag = tag_read(tag_bytes, "p");
        let what = lit(&format!("a {}", t.shape.name));
        if fieldless {
            let mut r = format!("function read_{ident}(d, p) {{\n  switch ({tag}) {{\n");
            let mut j = format!("function toJS_{ident}(d, p) {{\n  switch ({tag}) {{\n");
            for v in variants {
                let name = lit(v.js_name);
                let _ = writeln!(r, "    case {}: return {name}", v.discriminant);
                let plain = match tagging {
                    Tagging::External => name.clone(),
                    Tagging::Internal { tag } | Tagging::Adjacent { tag, .. } => {
                        format!("{{ {}: {name} }}", prop(tag))
                    }
                    Tagging::Untagged => "null".to_owned(),
                };
                let _ = writeln!(j, "    case {}: return {plain}", v.discriminant);
            }
            let default = format!("    default: return badTag(d, {what}, p, {tag})\n  }}\n}}\n");
            out.push_str(&r);
            out.push_str(&default);
            out.push_str(&j);
            out.push_str(&default);
            return;
        }
        // Classes and per-variant functions.
        self.variant_classes(out, ident, variants, tagging);
        // read_: the variant's view.
        if let Some(b) = boxed(variants) {
            self.read_boxed_enum(out, ident, &tag, &what, &b, variants);
        } else {
            self.read_enum(out, ident, &tag, &what, variants);
        }
        // toJS_: the tagged plain value.
        self.to_js_enum(out, ident, &tag, &what, variants, tagging);
        // walk_: the variant's node.
        if !self.g.reach[id].is_empty() {
            self.walk_enum(out, ident, &tag, &what, variants);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{LAYOUT_DEFINES, LAYOUT_RUNTIME_VERSION, RUNTIME_IMPORTS};

    /// The runtime in this repository's reader (`npm/reader/layout.js`) is the version the
    /// generator emits code for, and has every name that code takes from it.
    #[test]
    fn the_readers_runtime_is_the_one_the_generator_calls() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/npm/reader/layout.js");
        let js = std::fs::read_to_string(path).unwrap();
        let version = format!("\nconst LAYOUT_RUNTIME_VERSION = {LAYOUT_RUNTIME_VERSION}\n");
        assert!(
            js.contains(&version),
            "{path} is not version {LAYOUT_RUNTIME_VERSION}"
        );
        let exports = &js[js.rfind("module.exports = {").expect("module.exports")..];
        for name in RUNTIME_IMPORTS.iter().chain(
            [
                "LAYOUT_RUNTIME_VERSION",
                "READER_VERSION",
                "LayoutRuntimeMismatchError",
                "defineLayout",
                // Called only if present (`$layout.keepMaps?.(...)`), but this reader has it.
                "keepMaps",
            ]
            .iter(),
        ) {
            assert!(
                exports.contains(&format!("\n  {name},\n")),
                "{path} does not export {name}"
            );
        }
        let defined = format!("return {{ {} }}", LAYOUT_DEFINES.join(", "));
        assert!(
            js.contains(&defined),
            "defineLayout in {path} does not return {defined}"
        );
    }
}
