//! The visitor's side of the module: the `walk_` functions, which call a node's handlers and
//! push the walks of its parts onto the visitor's stack.

use std::fmt::Write as _;

use super::emit::{Emitter, mask};
use super::graph::{sanitize, transparent};
use super::text::at;
use crate::layout::shape::{Field, Shape, Variant};

impl Emitter<'_> {
    /// Whether walking a value of `s` can meet a node.
    pub(super) fn walks(&self, s: &'static Shape) -> bool {
        !self.g.reach[self.g.id(s)].is_empty()
    }

    /// A statement walking `s` at `p` now when a handler needs it, or nothing (for what has
    /// one child: what it walks is the child's walk, in order).
    pub(super) fn walk(&self, s: &'static Shape, p: &str) -> Option<String> {
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

    /// A node's walk: its handlers around the walk of its fields (at `base` + offset).
    pub(super) fn node_walk(
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

    /// `walk_` of an enum with data: a switch on the tag walking the variant's node.
    pub(super) fn walk_enum(
        &self,
        out: &mut String,
        ident: &str,
        tag: &str,
        what: &str,
        variants: &'static [Variant],
    ) {
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

    /// `listWalk_` of elements of type `eid` (for their list's view and the lists' `walk_`).
    pub(super) fn list_walk(&self, out: &mut String, eid: usize) {
        let el = self.g.types[eid].shape;
        let ei = &self.g.types[eid].ident;
        let size = el.size;
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
