//! Small helpers writing JS text: a position plus an offset, string literals, property and
//! class member keys, the test for an `Option`'s `None`, the read of an enum's tag, and a
//! struct's fields as JS sees them.

use std::fmt::Write as _;

use crate::layout::shape::{Field, Kind, NoneRepr, Shape};

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
