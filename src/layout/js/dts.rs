//! The TypeScript types of the generated module: a class per view, a `…JS` type per plain
//! (`toJS()`) form, the visitor's handlers, the root readers.

use std::fmt::Write as _;

use super::graph::{Graph, sanitize, transparent};
use super::text::{flat_fields, lit, prop};
use super::{JsOptions, header};
use crate::layout::shape::{Field, Kind, Shape, Tagging, Variant, VariantForm};

/// The `.d.ts` text.
pub(super) fn types(g: &Graph, o: &JsOptions) -> String {
    let t = Types { g };
    let mut out = String::new();
    let _ = writeln!(out, "// {}\n", header(o));
    let _ = writeln!(
        out,
        "import {{ RawBuffer, LayoutMismatchError }} from {}\n",
        lit(&o.reader)
    );
    out.push_str(
        "/** What a reader takes: a block's RawBuffer (its dataOffset and generation), or a hand-off \
         record naming the root's offset (`offset` or `root`) and the generation it was handed at. */\n\
         export interface HandOff {\n  raw: RawBuffer\n  offset?: number\n  root?: number\n  generation?: number\n}\n\n\
         /** A lazy list (a slice, vector or array): `length`, `at(i)` (negative from the end), iteration. */\n\
         export interface List<T, J> extends Iterable<T> {\n  readonly length: number\n  at(index: number): T | undefined\n  \
         toJS(): J[]\n  toJSON(): J[]\n}\n\n\
         /** The block holds another layout (another producer, or another version of the Rust types); `code` is 'LayoutMismatch'. */\n\
         export { LayoutMismatchError }\n",
    );
    let mut views = Vec::new();
    for ty in &g.types {
        let s = ty.shape;
        let ident = &ty.ident;
        match &s.kind {
            Kind::Struct(st) => {
                let _ = writeln!(
                    out,
                    "\n/** {} (Rust `{}`, {} bytes). */",
                    s.name, s.name, s.size
                );
                t.class(&mut out, ident, s.name, st.fields, &format!("{ident}JS"));
                let _ = writeln!(
                    out,
                    "export interface {ident}JS {{\n{}}}",
                    t.plain_fields(st.fields)
                );
                views.push(ident.clone());
            }
            Kind::Enum(en) if en.fieldless => {
                let names: Vec<String> = en.variants.iter().map(|v| lit(v.js_name)).collect();
                let _ = writeln!(
                    out,
                    "\n/** {} (a fieldless enum): its variant's name. */",
                    s.name
                );
                let _ = writeln!(out, "export type {ident} = {}", names.join(" | "));
                let plain: Vec<String> = en
                    .variants
                    .iter()
                    .map(|v| t.tagged(v, en.tagging, None))
                    .collect();
                let _ = writeln!(out, "export type {ident}JS = {}", plain.join(" | "));
            }
            Kind::Enum(en) => {
                let _ = writeln!(out, "\n// {} (an enum: one view class per variant)", s.name);
                let mut classes = Vec::new();
                let mut plain = Vec::new();
                for v in en.variants {
                    let class = format!("{ident}${}", sanitize(v.name));
                    match transparent(v.form, v.fields) {
                        Some((st_shape, _)) => {
                            let Kind::Struct(st) = &st_shape.kind else {
                                unreachable!()
                            };
                            t.class(
                                &mut out,
                                &class,
                                v.js_name,
                                st.fields,
                                &format!("{ident}JS"),
                            );
                            plain.push(t.tagged(v, en.tagging, Some(st_shape)));
                        }
                        None if v.form == VariantForm::Newtype => {
                            let f = (v.fields[0].shape)();
                            let _ = writeln!(
                                out,
                                "export declare class {class} {{\n  private constructor()\n  readonly type: {}\n  readonly value: {}\n  \
                                 toJS(): {ident}JS\n  toJSON(): {ident}JS\n}}",
                                lit(v.js_name),
                                t.view(f)
                            );
                            plain.push(t.tagged(v, en.tagging, None));
                        }
                        None => {
                            t.class(&mut out, &class, v.js_name, v.fields, &format!("{ident}JS"));
                            plain.push(t.tagged(v, en.tagging, None));
                        }
                    }
                    views.push(class.clone());
                    classes.push(class);
                }
                let _ = writeln!(out, "export type {ident} = {}", classes.join(" | "));
                let _ = writeln!(out, "export type {ident}JS = {}", plain.join(" | "));
            }
            _ => {}
        }
    }
    // Visitor.
    let node_names: Vec<String> = g.nodes.iter().map(|(n, _)| lit(n)).collect();
    let _ = writeln!(out, "\n/** The visitor's node types (a view's `type`). */");
    let _ = writeln!(
        out,
        "export type NodeType = {}",
        if node_names.is_empty() {
            "never".to_owned()
        } else {
            node_names.join(" | ")
        }
    );
    let _ = writeln!(out, "export declare const NODE_TYPES: readonly NodeType[]");
    out.push_str(
        "\n/** Handlers of `visit`: by node type on the way down (return false to skip the node's children), `'<type>:exit'` on the way up. */\n\
         export interface Visitor {\n",
    );
    for (name, classes) in &g.nodes {
        let node = classes.join(" | ");
        let _ = writeln!(out, "  {}?(node: {node}): void | boolean", prop(name));
        let _ = writeln!(
            out,
            "  {}?(node: {node}): void",
            lit(&format!("{name}:exit"))
        );
    }
    out.push_str("}\n");
    let _ = writeln!(
        out,
        "\n/** Any view of this layout. */\nexport type View = {}List<unknown, unknown>",
        views.iter().map(|v| format!("{v} | ")).collect::<String>()
    );
    out.push_str(
        "\n/** Walk `root` and what it reaches, calling the handlers of the node types met; subtrees that reach no handled type are not read. */\n\
         export declare function visit(root: View, visitor: Visitor): void\n\
         /** The plain-object form of a view (its `toJS()`). */\n\
         export declare function toJS<J>(view: { toJS(): J }): J\n\
         /** Mark the document of `root` (what a read…() returned) released: its views throw StaleBufferError from now on. */\n\
         export declare function release(root: View): void\n",
    );
    let mut hashes = Vec::new();
    for &r in &g.roots {
        let ty = &g.types[r];
        let _ = writeln!(
            out,
            "/**\n * The root {} of a hand-off.\n * @throws LayoutMismatchError if the block holds another layout\n * @throws StaleBufferError if the block was reused since `generation`\n * @throws CorruptDocumentError if the root offset is not in the buffer\n */\n\
             export declare function read{id}(handOff: HandOff | RawBuffer): {id}",
            ty.shape.name,
            id = ty.ident
        );
        hashes.push(format!("readonly {}: string", prop(&ty.ident)));
    }
    let _ = writeln!(
        out,
        "/** The layout hash each root's blocks carry (hex of producer1:producer0). */\nexport declare const LAYOUT_HASHES: {{ {} }}",
        hashes.join("; ")
    );
    out
}

struct Types<'g> {
    g: &'g Graph,
}

impl Types<'_> {
    fn ident(&self, s: &'static Shape) -> &str {
        &self.g.ty(s).ident
    }

    /// The lazy view's type of a value of `s`.
    fn view(&self, s: &'static Shape) -> String {
        match &s.kind {
            Kind::Int { .. } | Kind::Float { .. } => "number".to_owned(),
            Kind::Bool => "boolean".to_owned(),
            Kind::Str => "string".to_owned(),
            Kind::Struct(_) | Kind::Enum(_) => self.ident(s).to_owned(),
            Kind::Option { some, .. } => format!("{} | null", self.view(some())),
            Kind::Box { target } => self.view(target()),
            Kind::Slice { elem } | Kind::Vec { elem } | Kind::Array { elem, .. } => {
                format!("List<{}, {}>", self.view(elem()), self.plain(elem()))
            }
        }
    }

    /// The `toJS()` type of a value of `s`.
    fn plain(&self, s: &'static Shape) -> String {
        match &s.kind {
            Kind::Int { .. } | Kind::Float { .. } => "number".to_owned(),
            Kind::Bool => "boolean".to_owned(),
            Kind::Str => "string".to_owned(),
            Kind::Struct(_) | Kind::Enum(_) => format!("{}JS", self.ident(s)),
            Kind::Option { some, .. } => format!("{} | null", self.plain(some())),
            Kind::Box { target } => self.plain(target()),
            Kind::Slice { elem } | Kind::Vec { elem } | Kind::Array { elem, .. } => {
                let p = self.plain(elem());
                if p.contains(' ') {
                    format!("({p})[]")
                } else {
                    format!("{p}[]")
                }
            }
        }
    }

    fn plain_fields(&self, fields: &'static [Field]) -> String {
        flat_fields(fields, 0)
            .into_iter()
            .map(|(name, s, _)| format!("  {}: {}\n", prop(name), self.plain(s)))
            .collect()
    }

    /// A view class: `type`, a getter per JS field, toJS/toJSON.
    fn class(
        &self,
        out: &mut String,
        class: &str,
        type_name: &str,
        fields: &'static [Field],
        plain: &str,
    ) {
        let _ = writeln!(
            out,
            "export declare class {class} {{\n  private constructor()"
        );
        let flat = flat_fields(fields, 0);
        if !flat.iter().any(|f| f.0 == "type") {
            let _ = writeln!(out, "  readonly type: {}", lit(type_name));
        }
        for (name, s, _) in flat {
            if name == "constructor" {
                // A class cannot declare a field so named; the getter exists all the same.
                let _ = writeln!(out, "  // readonly constructor: {}", self.view(s));
                continue;
            }
            let _ = writeln!(out, "  readonly {}: {}", prop(name), self.view(s));
        }
        let _ = writeln!(out, "  toJS(): {plain}\n  toJSON(): {plain}\n}}");
    }

    /// The plain type of a variant under `tagging`; `payload_struct` for a newtype over a struct.
    fn tagged(
        &self,
        v: &Variant,
        tagging: Tagging,
        payload_struct: Option<&'static Shape>,
    ) -> String {
        let name = lit(v.js_name);
        let payload = match (v.form, payload_struct) {
            (VariantForm::Unit, _) => String::new(),
            (_, Some(s)) => format!("{}JS", self.ident(s)),
            (VariantForm::Newtype, None) => self.plain((v.fields[0].shape)()),
            (VariantForm::Tuple, None) => format!(
                "[{}]",
                v.fields
                    .iter()
                    .map(|f| self.plain((f.shape)()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (VariantForm::Struct, None) => {
                format!(
                    "{{ {}}}",
                    self.plain_fields(v.fields)
                        .replace('\n', "; ")
                        .replace("  ", "")
                )
            }
        };
        let unit = v.form == VariantForm::Unit;
        match tagging {
            Tagging::External if unit => name,
            Tagging::External => format!("{{ {}: {payload} }}", prop(v.js_name)),
            Tagging::Internal { tag } | Tagging::Adjacent { tag, .. } if unit => {
                format!("{{ {}: {name} }}", prop(tag))
            }
            Tagging::Internal { tag } => format!("({{ {}: {name} }} & {payload})", prop(tag)),
            Tagging::Adjacent { tag, content } => {
                format!("{{ {}: {name}; {}: {payload} }}", prop(tag), prop(content))
            }
            Tagging::Untagged if unit => "null".to_owned(),
            Tagging::Untagged => payload,
        }
    }
}
