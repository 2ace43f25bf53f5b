//! The lazy side of the module: the lazy value of a shape at a position, the view classes (of
//! structs, of enum variants, of lists) and the enums' `read_` functions, which make the
//! variant's view.

use std::fmt::Write as _;

use super::emit::{Emitter, mask};
use super::graph::{sanitize, transparent};
use super::text::{at, flat_fields, lit, member};
use crate::layout::shape::{Field, Kind, Shape, Tagging, Variant, VariantForm};

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
pub(super) struct Boxed {
    offset: usize,
    targets: Vec<&'static Shape>,
    max_tag: usize,
}

pub(super) fn boxed(variants: &'static [Variant]) -> Option<Boxed> {
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

impl Emitter<'_> {
    /// The lazy JS value of `s` at `p` (inside the checked region).
    pub(super) fn read(&self, s: &'static Shape, p: &str) -> String {
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

    /// A view class: `type`, a getter per JS field (at `base` + its offset from the view's
    /// position), toJS/toJSON, the visitor entry and an inspect label.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn view_class(
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

    /// The view class and the functions of each variant of an enum with data (`ident`).
    pub(super) fn variant_classes(
        &self,
        out: &mut String,
        ident: &str,
        variants: &'static [Variant],
        tagging: Tagging,
    ) {
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
    }

    /// `read_` of an enum whose every variant is boxed at one offset ([`Boxed`]).
    pub(super) fn read_boxed_enum(
        &self,
        out: &mut String,
        ident: &str,
        tag: &str,
        what: &str,
        b: &Boxed,
        variants: &'static [Variant],
    ) {
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
    }

    /// `read_` of an enum with data: a switch on the tag making the variant's view.
    pub(super) fn read_enum(
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

    /// The array-like view of elements of type `eid`: length, at(), iteration, toJS().
    pub(super) fn list_class(&self, out: &mut String, eid: usize) {
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
        self.list_to_js(out, eid);
        self.list_walk(out, eid);
    }
}
