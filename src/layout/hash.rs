//! The layout hash a block carries and a generated reader checks: FNV-1a (64-bit) over a
//! canonical description of every shape reachable from the root (names, module paths,
//! sizes, alignments, offsets, discriminants, niches and the JS attributes, since they
//! change what the generated code reads or builds).

use super::shape::{Kind, NoneRepr, Shape, Tagging, VariantForm};

/// Bumped when what a generated reader does with the same shapes changes.
const FORMAT_VERSION: u32 = 1;

struct Fnv(u64);

impl Fnv {
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn num(&mut self, n: u64) {
        self.bytes(&n.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.num(s.len() as u64);
        self.bytes(s.as_bytes());
    }
}

/// The hash of the layout reachable from `root` (a derived type's
/// [`Layout::layout_hash`](super::Layout::layout_hash) caches it).
pub fn layout_hash(root: &'static Shape) -> u64 {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    h.num(u64::from(FORMAT_VERSION));
    let mut seen: Vec<(&'static str, &'static str)> = Vec::new();
    shape(&mut h, root, &mut seen);
    h.0
}

fn shape(h: &mut Fnv, s: &'static Shape, seen: &mut Vec<(&'static str, &'static str)>) {
    if s.is_named() {
        // A derived type is described once; later uses refer to it by number (recursive
        // types end here).
        if let Some(i) = seen.iter().position(|&k| k == (s.module, s.name)) {
            h.bytes(b"ref");
            h.num(i as u64);
            return;
        }
        seen.push((s.module, s.name));
    }
    h.str(s.name);
    h.str(s.module);
    h.num(s.size as u64);
    h.num(s.align as u64);
    match &s.kind {
        Kind::Int { bytes, signed } => {
            h.bytes(b"int");
            h.num(u64::from(*bytes));
            h.num(u64::from(*signed));
        }
        Kind::Float { bytes } => {
            h.bytes(b"float");
            h.num(u64::from(*bytes));
        }
        Kind::Bool => h.bytes(b"bool"),
        Kind::Array { elem, len } => {
            h.bytes(b"array");
            h.num(*len as u64);
            shape(h, elem(), seen);
        }
        Kind::Struct(st) => {
            h.bytes(b"struct");
            fields(h, st.fields, seen);
        }
        Kind::Enum(en) => {
            h.bytes(b"enum");
            h.num(u64::from(en.tag_bytes));
            match en.tagging {
                Tagging::External => h.bytes(b"external"),
                Tagging::Internal { tag } => {
                    h.bytes(b"internal");
                    h.str(tag);
                }
                Tagging::Adjacent { tag, content } => {
                    h.bytes(b"adjacent");
                    h.str(tag);
                    h.str(content);
                }
                Tagging::Untagged => h.bytes(b"untagged"),
            }
            h.num(en.variants.len() as u64);
            for v in en.variants {
                h.str(v.name);
                h.str(v.js_name);
                h.num(u64::from(v.discriminant));
                h.num(match v.form {
                    VariantForm::Unit => 0,
                    VariantForm::Newtype => 1,
                    VariantForm::Tuple => 2,
                    VariantForm::Struct => 3,
                });
                fields(h, v.fields, seen);
            }
        }
        Kind::Option { some, none } => {
            h.bytes(b"option");
            match *none {
                NoneRepr::NullPtr { offset } => {
                    h.bytes(b"null");
                    h.num(offset as u64);
                }
                NoneRepr::Tag { value } => {
                    h.bytes(b"tag");
                    h.num(u64::from(value));
                }
            }
            shape(h, some(), seen);
        }
        Kind::Box { target } => {
            h.bytes(b"box");
            shape(h, target(), seen);
        }
        Kind::Str => h.bytes(b"str"),
        Kind::Slice { elem } => {
            h.bytes(b"slice");
            shape(h, elem(), seen);
        }
        Kind::Vec { elem } => {
            h.bytes(b"vec");
            shape(h, elem(), seen);
        }
    }
}

fn fields(
    h: &mut Fnv,
    fields: &'static [super::shape::Field],
    seen: &mut Vec<(&'static str, &'static str)>,
) {
    h.num(fields.len() as u64);
    for f in fields {
        h.str(f.name);
        h.str(f.js_name);
        h.num(f.offset as u64);
        h.num(u64::from(f.flatten));
        shape(h, (f.shape)(), seen);
    }
}
