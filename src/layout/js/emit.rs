//! The CommonJS module: the prelude that takes the runtime from `raw-transfer-reader/layout`
//! (checking its version) and defines the layout's own state there, then per type its view
//! class, `read_`, `toJS_` and `walk_` functions, then the roots' readers and the exports.

use std::cell::RefCell;
use std::fmt::Write as _;

use super::{
    Graph, JsOptions, LayoutJsError, at, flat_fields, header, is_none, lit, member, prop, sanitize,
    tag_read, transparent,
};
use crate::layout::shape::{Field, Kind, Shape, Tagging, Variant, VariantForm};

/// The version of the layout runtime (`raw-transfer-reader/layout`, its
/// `LAYOUT_RUNTIME_VERSION`) that the generated code calls: which functions it has and what
/// they take. A generated module refuses to load with a reader of another version. Raise it
/// (with the reader's) on any change to the runtime that code generated before would misuse.
pub const LAYOUT_RUNTIME_VERSION: u32 = 1;

/// What a generated module takes from the runtime, by name (`raw-transfer-reader/layout`'s
/// exports; its test checks that the reader has each).
pub(super) const RUNTIME_IMPORTS: &[&str] = &[
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
pub(super) const LAYOUT_DEFINES: &[&str] =
    &["NODE_TYPES", "WALK", "rootView", "release", "visit", "toJS"];

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
            super::label(t.shape),
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

struct Emitter<'g> {
    g: &'g Graph,
    /// The view classes emitted so far (each gets a kept instance: see `module`).
    classes: RefCell<Vec<String>>,
}

fn mask(s: &Shape) -> usize {
    s.align - 1
}

/// `type` of a view class: a data property of its prototype, so that reading it from views of
/// many classes (a megamorphic `node.type`) loads a constant instead of calling a getter.
fn type_property(out: &mut String, class: &str, type_name: &str) {
    let _ = writeln!(
        out,
        "Object.defineProperty({class}.prototype, 'type', {{ value: {} }})",
        lit(type_name)
    );
}

/// An enum whose every variant is a newtype of an [`ArenaBox`](crate::layout::ArenaBox) of a
/// struct, the pointers at one offset: `read_` checks the pointer once, before the switch.
struct Boxed {
    offset: usize,
    targets: Vec<&'static Shape>,
    max_tag: usize,
}

fn boxed(variants: &'static [Variant]) -> Option<Boxed> {
    let mut targets = Vec::new();
    let mut offset = None;
    for v in variants {
        let Some((st, true)) = transparent(v.form, v.fields) else {
            return None;
        };
        if *offset.get_or_insert(v.fields[0].offset) != v.fields[0].offset {
            return None;
        }
        targets.push(st);
    }
    let max_tag = variants.iter().map(|v| v.discriminant as usize).max()?;
    (max_tag < 256).then_some(Boxed {
        offset: offset?,
        targets,
        max_tag,
    })
}

/// The body that converts the pointer target at `q` with `f` (a `toJS_` function): in this
/// recursion while it is under `MAX_DEPTH` pointers deep, later (a Hole) past that.
fn follow(f: &str, q: &str) -> String {
    format!(
        "if (d.depth >= MAX_DEPTH) return defer(d, {f}, {q}, 0)\n  d.depth++\n  const o = {f}(d, {q})\n  d.depth--\n  return o"
    )
}

impl Emitter<'_> {
    fn ident(&self, s: &'static Shape) -> &str {
        &self.g.ty(s).ident
    }

    /// Whether walking a value of `s` can meet a node.
    fn walks(&self, s: &'static Shape) -> bool {
        !self.g.reach[self.g.id(s)].is_empty()
    }

    /// The lazy JS value of `s` at `p` (inside the checked region).
    fn read(&self, s: &'static Shape, p: &str) -> String {
        match s.kind {
            Kind::Int { bytes: 1, signed } => {
                format!("d.{}[{p}]", if signed { "i8" } else { "u8" })
            }
            Kind::Int { bytes: 2, signed } => {
                format!("d.{}[({p}) >> 1]", if signed { "i16" } else { "u16" })
            }
            Kind::Int { bytes: 4, signed } => {
                format!("d.{}[({p}) >> 2]", if signed { "i32" } else { "u32" })
            }
            Kind::Int { signed, .. } => format!("{}(d, {p})", if signed { "i64" } else { "u64" }),
            Kind::Float { bytes: 4 } => format!("d.f32[({p}) >> 2]"),
            Kind::Float { .. } => format!("d.f64[({p}) >> 3]"),
            Kind::Bool => format!("d.u8[{p}] !== 0"),
            Kind::Str => format!("str(d, {p})"),
            _ => format!("read_{}(d, {p})", self.ident(s)),
        }
    }

    /// The plain (toJS) value of `s` at `p`.
    fn plain(&self, s: &'static Shape, p: &str) -> String {
        match s.kind {
            Kind::Float { bytes: 4 } => format!("f32js(d.f32[({p}) >> 2])"),
            Kind::Float { .. } => format!("f64js(d.f64[({p}) >> 3])"),
            Kind::Int { .. } | Kind::Bool | Kind::Str => self.read(s, p),
            _ => format!("toJS_{}(d, {p})", self.ident(s)),
        }
    }

    /// A statement walking `s` at `p` now when a handler needs it, or nothing (for what has
    /// one child: what it walks is the child's walk, in order).
    fn walk(&self, s: &'static Shape, p: &str) -> Option<String> {
        if !self.walks(s) {
            return None;
        }
        let id = self.g.id(s);
        Some(format!(
            "if (v.need[{id}] === 1) walk_{}(d, {p}, v)",
            self.ident(s)
        ))
    }

    /// A statement pushing the walk of `s` at `p` onto the visitor's stack when a handler
    /// needs it, or nothing (for one of several children: pushed last-first).
    fn push_walk(&self, s: &'static Shape, p: &str) -> Option<String> {
        if !self.walks(s) {
            return None;
        }
        let id = self.g.id(s);
        Some(format!(
            "if (v.need[{id}] === 1) v.stack.push(walk_{}, {p})",
            self.ident(s)
        ))
    }

    /// `key: value` of each JS field of a struct at `p + base`.
    fn props(&self, fields: &'static [Field], p: &str, base: usize) -> Vec<String> {
        flat_fields(fields, base)
            .into_iter()
            .map(|(name, s, off)| format!("{}: {}", prop(name), self.plain(s, &at(p, off))))
            .collect()
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

    /// A view class: `type`, a getter per JS field (at `base` + its offset from the view's
    /// position), toJS/toJSON, the visitor entry and an inspect label.
    #[allow(clippy::too_many_arguments)]
    fn view_class(
        &self,
        out: &mut String,
        class: &str,
        type_name: &str,
        fields: &'static [Field],
        base: usize,
        to_js: &str,
        walk_fn: &str,
    ) {
        let _ = writeln!(
            out,
            "class {class} {{\n  #d\n  #p\n  constructor(d, p) {{\n    this.#d = d\n    this.#p = p\n  }}"
        );
        self.classes.borrow_mut().push(class.to_owned());
        let flat = flat_fields(fields, base);
        let has_type = flat.iter().any(|f| f.0 == "type");
        for (name, s, off) in flat {
            let _ = writeln!(
                out,
                "  get {}() {{\n    const d = this.#d\n    live(d)\n    return {}\n  }}",
                member(name),
                self.read(s, &at("this.#p", off))
            );
        }
        let _ = writeln!(
            out,
            "  toJS() {{\n    const d = this.#d\n    live(d)\n    return run({to_js}, d, this.#p)\n  }}\n  toJSON() {{\n    return this.toJS()\n  }}"
        );
        let _ = writeln!(
            out,
            "  [WALK](v) {{\n    const d = this.#d\n    live(d)\n    runWalk({walk_fn}, d, this.#p, v)\n  }}\n  [inspect]() {{\n    return `{class} <byte ${{this.#p}}>`\n  }}\n}}"
        );
        if !has_type {
            type_property(out, class, type_name);
        }
    }

    /// A node's walk: its handlers around the walk of its fields (at `base` + offset).
    fn node_walk(
        &self,
        out: &mut String,
        fname: &str,
        class: &str,
        type_name: &str,
        fields: &'static [Field],
        base: usize,
    ) {
        let k = self
            .g
            .nodes
            .iter()
            .position(|(n, _)| n == type_name)
            .expect("every node kind is listed");
        let _ = writeln!(
            out,
            "function {fname}(d, p, v) {{\n  const en = v.enter[{k}]\n  const ex = v.exit[{k}]\n  let node\n  if (en !== undefined || ex !== undefined) {{\n    \
             node = new {class}(d, p)\n    if (en !== undefined) {{\n      const r = en.call(v.self, node)\n      live(d)\n      if (r === false) {{\n        \
             if (ex !== undefined) {{\n          ex.call(v.self, node)\n          live(d)\n        }}\n        return\n      }}\n    }}\n    \
             if (ex !== undefined) v.stack.push(v.leave[{k}], node)\n  }}"
        );
        // Last field first: the stack pops them in order, after the node's own entry.
        for f in fields.iter().rev() {
            if let Some(w) = self.push_walk((f.shape)(), &at("p", base + f.offset)) {
                let _ = writeln!(out, "  {w}");
            }
        }
        let _ = writeln!(out, "}}");
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
        for v in variants {
            let class = format!("{ident}${}", sanitize(v.name));
            if let Some((st_shape, _)) = transparent(v.form, v.fields) {
                let Kind::Struct(st) = &st_shape.kind else {
                    unreachable!()
                };
                // The payload's view, with the variant's name: `p` is the payload's position.
                let wrap = self.wrap(
                    v,
                    tagging,
                    &format!("toJS_{}(d, p)", self.ident(st_shape)),
                    Some(st.fields),
                );
                let _ = writeln!(out, "function toJSv_{class}(d, p) {{\n  return {wrap}\n}}");
                self.view_class(
                    out,
                    &class,
                    v.js_name,
                    st.fields,
                    0,
                    &format!("toJSv_{class}"),
                    &format!("walk_{class}"),
                );
                self.node_walk(
                    out,
                    &format!("walk_{class}"),
                    &class,
                    v.js_name,
                    st.fields,
                    0,
                );
            } else {
                let fields: &'static [Field] = v.fields;
                if v.form == VariantForm::Newtype {
                    // `value` for the payload.
                    self.variant_class_newtype(out, &class, v, ident);
                } else {
                    self.view_class(
                        out,
                        &class,
                        v.js_name,
                        fields,
                        0,
                        &format!("toJS_{ident}"),
                        &format!("walk_{class}"),
                    );
                }
                self.node_walk(out, &format!("walk_{class}"), &class, v.js_name, fields, 0);
            }
        }
        // read_: the variant's view.
        if let Some(b) = boxed(variants) {
            // Every variant a pointer at one offset (an ESTree-like enum of boxed nodes): one
            // check of the pointer, the target's size and alignment from a table by tag.
            let table = |f: &dyn Fn(&Shape) -> usize| {
                let mut t = vec!["undefined".to_owned(); b.max_tag + 1];
                for (v, st) in variants.iter().zip(&b.targets) {
                    t[v.discriminant as usize] = f(st).to_string();
                }
                t.join(", ")
            };
            let _ = writeln!(
                out,
                "const SIZE_{ident} = [{}]\nconst MASK_{ident} = [{}]",
                table(&|st| st.size),
                table(&mask)
            );
            let _ = writeln!(
                out,
                "function read_{ident}(d, p) {{\n  const t = {tag}\n  const i = ({}) >> 2\n  const q = d.u32[i]\n  const size = SIZE_{ident}[t]\n  \
                 if (d.u32[i + 1] === 0 || q + size > d.end || (q & MASK_{ident}[t]) !== 0 || size === undefined) return readBad_{ident}(d, p)\n  switch (t) {{",
                at("p", b.offset)
            );
            for (k, v) in variants.iter().enumerate() {
                let class = format!("{ident}${}", sanitize(v.name));
                if k + 1 == variants.len() {
                    let _ = writeln!(out, "    default: return new {class}(d, q)");
                } else {
                    let _ = writeln!(out, "    case {}: return new {class}(d, q)", v.discriminant);
                }
            }
            let _ = writeln!(
                out,
                "  }}\n}}\nfunction readBad_{ident}(d, p) {{\n  if (SIZE_{ident}[{tag}] === undefined) badTag(d, {what}, p, {tag})\n  corrupt(d, 'a pointer', {})\n}}",
                at("p", b.offset)
            );
        } else {
            self.read_enum(out, ident, &tag, &what, variants);
        }
        // toJS_: the tagged plain value.
        let _ = writeln!(out, "function toJS_{ident}(d, p) {{\n  switch ({tag}) {{");
        for v in variants {
            let class = format!("{ident}${}", sanitize(v.name));
            let body = match transparent(v.form, v.fields) {
                Some((_, false)) => {
                    format!("return toJSv_{class}(d, {})", at("p", v.fields[0].offset))
                }
                Some((st, true)) => format!(
                    "{{\n      const q = enter(d, {}, {}, {})\n      {}\n    }}",
                    at("p", v.fields[0].offset),
                    st.size,
                    mask(st),
                    follow(&format!("toJSv_{class}"), "q").replace("\n  ", "\n      ")
                ),
                None => {
                    let payload = match v.form {
                        VariantForm::Unit => String::new(),
                        VariantForm::Newtype => {
                            self.plain((v.fields[0].shape)(), &at("p", v.fields[0].offset))
                        }
                        VariantForm::Tuple => format!(
                            "[{}]",
                            v.fields
                                .iter()
                                .map(|f| self.plain((f.shape)(), &at("p", f.offset)))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        VariantForm::Struct => {
                            format!("{{ {} }}", self.props(v.fields, "p", 0).join(", "))
                        }
                    };
                    format!(
                        "return {}",
                        self.wrap(
                            v,
                            tagging,
                            &payload,
                            if v.form == VariantForm::Struct {
                                Some(v.fields)
                            } else {
                                None
                            }
                        )
                    )
                }
            };
            let _ = writeln!(out, "    case {}: {body}", v.discriminant);
        }
        let _ = writeln!(
            out,
            "    default: return badTag(d, {what}, p, {tag})\n  }}\n}}"
        );
        // walk_: the variant's node.
        if !self.g.reach[id].is_empty() {
            let _ = writeln!(
                out,
                "function walk_{ident}(d, p, v) {{\n  switch ({tag}) {{"
            );
            for v in variants {
                let class = format!("{ident}${}", sanitize(v.name));
                let body = match transparent(v.form, v.fields) {
                    Some((_, false)) => format!(
                        "\n      walk_{class}(d, {}, v)\n      return",
                        at("p", v.fields[0].offset)
                    ),
                    Some((st, true)) => format!(
                        "\n      walk_{class}(d, enter(d, {}, {}, {}), v)\n      return",
                        at("p", v.fields[0].offset),
                        st.size,
                        mask(st)
                    ),
                    None => format!("\n      walk_{class}(d, p, v)\n      return"),
                };
                let _ = writeln!(out, "    case {}: {body}", v.discriminant);
            }
            let _ = writeln!(out, "    default: badTag(d, {what}, p, {tag})\n  }}\n}}");
        }
    }

    /// `read_` of an enum with data: a switch on the tag making the variant's view.
    fn read_enum(
        &self,
        out: &mut String,
        ident: &str,
        tag: &str,
        what: &str,
        variants: &'static [Variant],
    ) {
        let _ = writeln!(out, "function read_{ident}(d, p) {{\n  switch ({tag}) {{");
        for v in variants {
            let class = format!("{ident}${}", sanitize(v.name));
            let pos = match transparent(v.form, v.fields) {
                Some((_, false)) => at("p", v.fields[0].offset),
                Some((st, true)) => format!(
                    "ptr(d, {}, {}, {})",
                    at("p", v.fields[0].offset),
                    st.size,
                    mask(st)
                ),
                None => "p".to_owned(),
            };
            let _ = writeln!(
                out,
                "    case {}: return new {class}(d, {pos})",
                v.discriminant
            );
        }
        let _ = writeln!(
            out,
            "    default: return badTag(d, {what}, p, {tag})\n  }}\n}}"
        );
    }

    /// A newtype variant's class over a non-struct payload: `type` and `value`.
    fn variant_class_newtype(&self, out: &mut String, class: &str, v: &Variant, enum_ident: &str) {
        let f = &v.fields[0];
        let _ = writeln!(
            out,
            "class {class} {{\n  #d\n  #p\n  constructor(d, p) {{\n    this.#d = d\n    this.#p = p\n  }}\n  \
             get value() {{\n    const d = this.#d\n    live(d)\n    return {}\n  }}\n  toJS() {{\n    const d = this.#d\n    live(d)\n    \
             return run(toJS_{enum_ident}, d, this.#p)\n  }}\n  toJSON() {{\n    return this.toJS()\n  }}\n  [WALK](v) {{\n    const d = this.#d\n    live(d)\n    \
             runWalk(walk_{class}, d, this.#p, v)\n  }}\n  [inspect]() {{\n    return `{class} <byte ${{this.#p}}>`\n  }}\n}}",
            self.read((f.shape)(), &at("this.#p", f.offset))
        );
        type_property(out, class, v.js_name);
        self.classes.borrow_mut().push(class.to_owned());
    }

    /// The tagged form of a variant whose payload expression is `payload` (for a struct
    /// payload, `fields` lets internal tagging spread them after the tag).
    fn wrap(
        &self,
        v: &Variant,
        tagging: Tagging,
        payload: &str,
        fields: Option<&'static [Field]>,
    ) -> String {
        let name = lit(v.js_name);
        let unit = v.form == VariantForm::Unit;
        match tagging {
            Tagging::External if unit => name,
            Tagging::External => format!("{{ {}: {payload} }}", prop(v.js_name)),
            Tagging::Internal { tag } if unit => format!("{{ {}: {name} }}", prop(tag)),
            Tagging::Internal { tag } => match fields {
                // `{ tag, ...fields }`: a struct variant's fields, or a newtype's struct's, at `p`.
                Some(fields) => {
                    let mut props = vec![format!("{}: {name}", prop(tag))];
                    props.extend(self.props(fields, "p", 0));
                    format!("{{ {} }}", props.join(", "))
                }
                None => format!("{{ {}: {name}, ...{payload} }}", prop(tag)),
            },
            Tagging::Adjacent { tag, .. } if unit => format!("{{ {}: {name} }}", prop(tag)),
            Tagging::Adjacent { tag, content } => {
                format!("{{ {}: {name}, {}: {payload} }}", prop(tag), prop(content))
            }
            Tagging::Untagged if unit => "null".to_owned(),
            Tagging::Untagged => payload.to_owned(),
        }
    }

    /// The array-like view of elements of type `eid`: length, at(), iteration, toJS().
    fn list_class(&self, out: &mut String, eid: usize) {
        let el = self.g.types[eid].shape;
        let ei = &self.g.types[eid].ident;
        let size = el.size;
        let _ = writeln!(
            out,
            "\n/** A list of {name}: `length`, `at(i)`, iteration, `toJS()`. */\nclass List${ei} {{\n  #d\n  #p\n  #n\n  constructor(d, p, n) {{\n    this.#d = d\n    this.#p = p\n    this.#n = n\n  }}\n  \
             get length() {{\n    live(this.#d)\n    return this.#n\n  }}\n  at(i) {{\n    const d = this.#d\n    live(d)\n    i = Math.trunc(+i) || 0\n    if (i < 0) i += this.#n\n    \
             if (i < 0 || i >= this.#n) return undefined\n    return read_{ei}(d, this.#p + i * {size})\n  }}\n  [Symbol.iterator]() {{\n    live(this.#d)\n    \
             return new ListIterator(this.#d, this.#p, this.#n, {size}, read_{ei})\n  }}\n  toJS() {{\n    const d = this.#d\n    live(d)\n    \
             return run(listToJS_{ei}, d, this.#p, this.#n)\n  }}\n  toJSON() {{\n    return this.toJS()\n  }}\n  [WALK](v) {{\n    const d = this.#d\n    live(d)\n    \
             runWalk(listWalk_{ei}, d, this.#p, v, this.#n)\n  }}\n  [inspect]() {{\n    return `List${ei}(${{this.#n}}) <byte ${{this.#p}}>`\n  }}\n}}",
            name = el.name,
        );
        self.classes.borrow_mut().push(format!("List${ei}"));
        let _ = writeln!(
            out,
            "function listToJS_{ei}(d, q, n) {{\n  charge(d, n, {size})\n  return d.depth < MAX_DEPTH ? items_{ei}(d, q, n) : defer(d, items_{ei}, q, n)\n}}\n\
             function items_{ei}(d, q, n) {{\n  d.depth++\n  const out = new Array(n)\n  for (let k = 0; k < n; k++) out[k] = {}\n  d.depth--\n  return out\n}}",
            self.plain(el, &format!("q + k * {size}"))
        );
        let push = if self.walks(el) {
            format!(
                "\n  if (v.need[{eid}] !== 1) return\n  const st = v.stack\n  for (let k = n - 1; k >= 0; k--) st.push(walk_{ei}, q + k * {size})"
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "function listWalk_{ei}(d, q, v, n) {{\n  charge(d, n, {size}){push}\n}}"
        );
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
