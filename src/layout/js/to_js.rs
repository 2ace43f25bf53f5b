//! The `toJS()` side of the module: the plain value of a shape at a position, the `toJS_`
//! functions of enums with data and of lists, the tagged forms of variants, and the cut of the
//! recursion at `MAX_DEPTH` pointers deep.

use std::fmt::Write as _;

use super::emit::{Emitter, mask};
use super::graph::{sanitize, transparent};
use super::text::{at, flat_fields, lit, prop};
use crate::layout::shape::{Field, Kind, Shape, Tagging, Variant, VariantForm};

/// The body that converts the pointer target at `q` with `f` (a `toJS_` function): in this
/// recursion while it is under `MAX_DEPTH` pointers deep, later (a Hole) past that.
pub(super) fn follow(f: &str, q: &str) -> String {
    format!(
        "if (d.depth >= MAX_DEPTH) return defer(d, {f}, {q}, 0)\n  d.depth++\n  const o = {f}(d, {q})\n  d.depth--\n  return o"
    )
}

impl Emitter<'_> {
    /// The plain (toJS) value of `s` at `p`.
    pub(super) fn plain(&self, s: &'static Shape, p: &str) -> String {
        match s.kind {
            Kind::Float { bytes: 4 } => format!("f32js(d.f32[({p}) >> 2])"),
            Kind::Float { .. } => format!("f64js(d.f64[({p}) >> 3])"),
            Kind::Int { .. } | Kind::Bool | Kind::Str => self.read(s, p),
            _ => format!("toJS_{}(d, {p})", self.ident(s)),
        }
    }

    /// `key: value` of each JS field of a struct at `p + base`.
    pub(super) fn props(&self, fields: &'static [Field], p: &str, base: usize) -> Vec<String> {
        flat_fields(fields, base)
            .into_iter()
            .map(|(name, s, off)| format!("{}: {}", prop(name), self.plain(s, &at(p, off))))
            .collect()
    }

    /// `toJS_` of an enum with data: a switch on the tag making the variant's tagged plain value.
    pub(super) fn to_js_enum(
        &self,
        out: &mut String,
        ident: &str,
        tag: &str,
        what: &str,
        variants: &'static [Variant],
        tagging: Tagging,
    ) {
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
    }

    /// The tagged form of a variant whose payload expression is `payload` (for a struct
    /// payload, `fields` lets internal tagging spread them after the tag).
    pub(super) fn wrap(
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

    /// `listToJS_` of elements of type `eid` (for their list's view and the lists' `toJS_`).
    pub(super) fn list_to_js(&self, out: &mut String, eid: usize) {
        let el = self.g.types[eid].shape;
        let ei = &self.g.types[eid].ident;
        let size = el.size;
        let _ = writeln!(
            out,
            "function listToJS_{ei}(d, q, n) {{\n  charge(d, n, {size})\n  return d.depth < MAX_DEPTH ? items_{ei}(d, q, n) : defer(d, items_{ei}, q, n)\n}}\n\
             function items_{ei}(d, q, n) {{\n  d.depth++\n  const out = new Array(n)\n  for (let k = 0; k < n; k++) out[k] = {}\n  d.depth--\n  return out\n}}",
            self.plain(el, &format!("q + k * {size}"))
        );
    }
}
