//! What the generator cannot represent, found before writing anything: shapes serde would not
//! write as the generated code reads them, and names the generated code would give two
//! meanings, with the names the generated module reserves.

use super::LayoutJsError;
use super::emit;
use super::graph::{Graph, transparent};
use super::text::flat_fields;
use crate::layout::shape::{Field, Kind, Tagging, Variant, VariantForm};

impl Graph {
    /// What the generator cannot represent, found before writing anything.
    pub(super) fn check(&self) -> Result<(), LayoutJsError> {
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
            let (fields, variants): (Vec<&Field>, &[Variant]) = match &t.shape.kind {
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
