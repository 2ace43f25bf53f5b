//! Tests of the JSON producer. Values are checked by reading the buffer the way JS does
//! ([`reader`]), never through the Rust structs.

mod big;
mod bounds;
mod errors;
mod reader;

use parking_lot::MutexGuard;

use self::reader::{J, Reader, arr, n, obj, s};
use super::*;
use crate::block::tests::SERIAL;

/// A fresh allocator, with the lock every block-creating test holds (other tests count
/// live blocks).
fn block() -> (MutexGuard<'static, ()>, FixedSizeAllocator) {
    let serial = SERIAL.lock();
    (serial, FixedSizeAllocator::new().unwrap())
}

/// Parse `text` and read it back, checking every invariant.
fn read(text: &str) -> J {
    let (_serial, alloc) = block();
    let doc = parse(&alloc, text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    assert_eq!(doc.source(), text.as_bytes());
    Reader::new(&alloc, doc).read_doc()
}

/// Kind word of the root.
fn root_kind(text: &str) -> u32 {
    let (_serial, alloc) = block();
    parse(&alloc, text.as_bytes()).unwrap().root().kind()
}

fn units(v: &[u16]) -> J {
    J::Str(v.to_vec())
}

#[test]
fn text_known_to_be_utf8_parses_as_bytes_do() {
    // `parse_str` skips the check of the whole text; what it builds is the same.
    let texts = [
        r#"{"café": ["naïve", "東京 😀", 1.5, -0, true, null], "k": {"\u00e9": "a\nb"}}"#,
        r#"["\ud83d\ude00", "\ud800", "é", {"é": "é"}]"#,
        "[]",
    ];
    for text in texts {
        let (_serial, alloc) = block();
        let mut parser = Parser::new();
        let a = parser.parse_str(&alloc, text).unwrap();
        let b = parser.parse(&alloc, text.as_bytes()).unwrap();
        assert_eq!(a.source(), b.source());
        assert_eq!(
            Reader::new(&alloc, a).read_doc(),
            Reader::new(&alloc, b).read_doc(),
            "{text}"
        );
        // Errors too: the same kind at the same offset.
        let bad = format!("{text},");
        let (e1, e2) = (
            parser.parse_str(&alloc, &bad).unwrap_err(),
            parser.parse(&alloc, bad.as_bytes()).unwrap_err(),
        );
        assert_eq!(e1.to_string(), e2.to_string());
    }
}

#[test]
fn scalars() {
    assert_eq!(read("null"), J::Null);
    assert_eq!(read("true"), J::Bool(true));
    assert_eq!(read("false"), J::Bool(false));
    assert_eq!(read("0"), n(0.0));
    assert_eq!(read("\"\""), s(""));
    assert_eq!(
        read("[true,false,null]"),
        arr(vec![J::Bool(true), J::Bool(false), J::Null])
    );
}

#[test]
fn all_escapes() {
    let text = r#""\"\\\/\b\f\n\r\t\u0041\u00e9\u00E9\u20AC\u20ac\uD83D\uDE00\u0000""#;
    assert_eq!(read(text), s("\"\\/\u{8}\u{c}\n\r\tAéé€€😀\0"));
    assert_eq!(root_kind(text), TYPE_STRING);
    // Escapes that decode to ASCII keep the ASCII flag, but not IN_SOURCE.
    assert_eq!(read(r#""a\nb\u0063""#), s("a\nbc"));
    assert_eq!(root_kind(r#""a\nb""#), TYPE_STRING | FLAG_ASCII);
    // Escapes between long runs (exercises the 8-byte scanner around them).
    let long = format!(
        "\"{}\\n{}\\u00e9{}\"",
        "x".repeat(20),
        "é".repeat(9),
        "y".repeat(7)
    );
    assert_eq!(
        read(&long),
        s(&format!(
            "{}\n{}é{}",
            "x".repeat(20),
            "é".repeat(9),
            "y".repeat(7)
        ))
    );
}

/// Escapes at every offset from a string's start and with every length of text after them,
/// so that each lands at every place in (and across) the decoder's 16-byte steps, also
/// within 16 bytes of the end of the text. Checked against serde_json's decoding.
#[test]
fn escapes_at_every_step_offset() {
    let escapes = [
        r"\n",
        r#"\""#,
        r"\\",
        r"\/",
        r"\b",
        r"\f",
        r"\r",
        r"\t",
        r"\u0041",
        r"\u00e9",
        r"\u20AC",
        r"\uD83D\uDE00",
        r"\n\n",
        r"\u00e9\t",
    ];
    let (_serial, mut alloc) = block();
    let mut parser = Parser::new();
    for escape in escapes {
        for before in 0..36 {
            for (after, filler) in [
                (0, "b"),
                (1, "é"),
                (7, "b"),
                (15, "b"),
                (16, "€"),
                (17, "b"),
                (33, "b"),
            ] {
                let body = format!("{}{escape}{}", "a".repeat(before), filler.repeat(after));
                for tail in ["", "]", " ]", "            ]"] {
                    let open = if tail.is_empty() { "" } else { "[" };
                    let text = format!("{open}\"{body}\"{tail}");
                    let expected: String = serde_json::from_str(&format!("\"{body}\"")).unwrap();
                    alloc.reset();
                    let doc = parser
                        .parse(&alloc, text.as_bytes())
                        .unwrap_or_else(|e| panic!("{text:?}: {e}"));
                    let got = Reader::new(&alloc, doc).read_doc();
                    let want = if tail.is_empty() {
                        s(&expected)
                    } else {
                        arr(vec![s(&expected)])
                    };
                    assert_eq!(got, want, "{text:?}");
                    let ascii = expected.is_ascii();
                    let string = if tail.is_empty() {
                        doc.root()
                    } else {
                        first_child(&alloc, doc)
                    };
                    assert_eq!(string.kind() & FLAG_ASCII != 0, ascii, "{text:?}");
                }
            }
        }
    }
}

/// The first element of the array at the root.
fn first_child<'a>(_alloc: &'a FixedSizeAllocator, doc: &'a Document) -> &'a LayoutNode {
    // SAFETY: the root is a non-empty array of the document just parsed into `_alloc`, so
    // its payload points at its elements in the same block.
    unsafe { &*(doc.root().payload as usize as *const LayoutNode) }
}

#[test]
fn raw_strings_point_into_the_source() {
    assert_eq!(
        root_kind("\"abc\""),
        TYPE_STRING | FLAG_IN_SOURCE | FLAG_ASCII
    );
    assert_eq!(root_kind("\"\""), TYPE_STRING | FLAG_IN_SOURCE | FLAG_ASCII);
    assert_eq!(root_kind("\"é\""), TYPE_STRING | FLAG_IN_SOURCE);
    // Non-ASCII, U+2028, DEL and non-BMP are fine raw; the reader checks the pointers.
    assert_eq!(read("\"é€😀\u{2028}\u{7f}\""), s("é€😀\u{2028}\u{7f}"));
    let long = "abcdefgh".repeat(10) + "é" + &"z".repeat(13);
    assert_eq!(
        read(&format!("[\"{long}\",\"{long}\"]")),
        arr(vec![s(&long), s(&long)])
    );
}

#[test]
fn surrogate_pairs_combine() {
    assert_eq!(read(r#""\uD834\uDD1E""#), s("𝄞"));
    assert_eq!(read(r#""\ud834\udd1e""#), s("𝄞"));
    assert_eq!(root_kind(r#""\uD834\uDD1E""#), TYPE_STRING);
    assert_eq!(read(r#""\uDBFF\uDFFF""#), s("\u{10FFFF}"));
}

#[test]
fn lone_surrogates_are_kept_as_utf16() {
    assert_eq!(read(r#""\ud800""#), units(&[0xd800]));
    assert_eq!(read(r#""\udc00x""#), units(&[0xdc00, 0x78]));
    assert_eq!(read(r#""\ud800\ud800""#), units(&[0xd800, 0xd800]));
    assert_eq!(read(r#""\udfff\ud800""#), units(&[0xdfff, 0xd800]));
    // A lone high, then a real pair, then raw text.
    assert_eq!(
        read(r#""a\ud800\ud800\udc00é""#),
        units(&[0x61, 0xd800, 0xd800, 0xdc00, 0xe9])
    );
    // Raw non-BMP before a lone low; escapes after the surrogate are still decoded.
    assert_eq!(
        read(r#""😀\udc00\n\u0041""#),
        units(&[0xd83d, 0xde00, 0xdc00, 0x0a, 0x41])
    );
    // A high followed by something that is not a low-surrogate escape.
    assert_eq!(read(r#""\uDBFF\u0041""#), units(&[0xdbff, 0x41]));
    assert_eq!(read(r#""\ud800\\u""#), units(&[0xd800, 0x5c, 0x75]));
    assert_eq!(root_kind(r#""\ud800""#), TYPE_STRING | FLAG_UTF16);
    // As keys, too.
    assert_eq!(
        read(r#"{"\ud800":1}"#),
        J::Obj(vec![(vec![0xd800], n(1.0))])
    );
}

#[test]
fn numbers_match_json_parse() {
    let neg_zero = read("-0");
    assert_eq!(neg_zero, J::Num(0x8000_0000_0000_0000));
    assert_eq!(read("-0.0"), n(-0.0));
    assert_eq!(read("-0e0"), n(-0.0));
    assert_eq!(read("-1e-400"), n(-0.0));
    assert_eq!(read("0"), J::Num(0));
    assert_eq!(read("1e400"), n(f64::INFINITY));
    assert_eq!(read("-1e400"), n(f64::NEG_INFINITY));
    assert_eq!(read("1e-400"), n(0.0));
    assert_eq!(read("5e-324"), J::Num(1));
    assert_eq!(read("1.7976931348623157e308"), n(f64::MAX));
    assert_eq!(read("0.1"), J::Num(0x3fb9_9999_9999_999a));
    assert_eq!(
        read("123456789012345678901234567890"),
        n(1.2345678901234568e29)
    );
    assert_eq!(read("9007199254740993"), n(9007199254740992.0));
    assert_eq!(read("999999999999999"), n(999999999999999.0));
    assert_eq!(read("-123.456"), n(-123.456));
    assert_eq!(read("1E+2"), n(100.0));
    assert_eq!(read("1e-2"), n(0.01));
    assert_eq!(read("2.5E-3"), n(0.0025));
    assert_eq!(read("0.000001"), n(1e-6));
    assert_eq!(read("1.00000000000000000000000001"), n(1.0));
    assert_eq!(read("[1,-1,0.5]"), arr(vec![n(1.0), n(-1.0), n(0.5)]));
}

#[test]
fn objects_keep_every_entry() {
    let text = r#"{"a":1,"a":2,"__proto__":{"x":null},"b":[],"a":3}"#;
    assert_eq!(
        read(text),
        obj(vec![
            ("a", n(1.0)),
            ("a", n(2.0)),
            ("__proto__", obj(vec![("x", J::Null)])),
            ("b", arr(vec![])),
            ("a", n(3.0)),
        ])
    );
}

#[test]
fn empty_containers() {
    assert_eq!(read("[]"), arr(vec![]));
    assert_eq!(read("{}"), obj(vec![]));
    assert_eq!(read("[[],{},[{}],{\"\":[]}]"), {
        arr(vec![
            arr(vec![]),
            obj(vec![]),
            arr(vec![obj(vec![])]),
            obj(vec![("", arr(vec![]))]),
        ])
    });
    assert_eq!(read("[ ]"), arr(vec![]));
    assert_eq!(read("{ \n}"), obj(vec![]));
}

#[test]
fn whitespace_edge_cases() {
    let expected = arr(vec![n(1.0), obj(vec![("a", n(2.0))]), s(" x ")]);
    assert_eq!(read("[1,{\"a\":2},\" x \"]"), expected);
    assert_eq!(
        read(
            " \t\n\r[ \t\n\r1 \t\n\r, \t\n\r{ \t\n\r\"a\" \t\n\r: \t\n\r2 \t\n\r} \t\n\r,\" x \"\r\n]\n\t \r"
        ),
        expected
    );
    assert_eq!(read("\n\n\n42\n"), n(42.0));
}

#[test]
fn header_counts() {
    let (_serial, alloc) = block();
    let doc = parse(&alloc, br#"{"a":[1,{"b":2,"c":[]}],"d":"x"}"#).unwrap();
    assert_eq!(doc.node_count(), 7);
    assert_eq!(doc.entry_count(), 4);
    assert_eq!(doc.max_depth(), 4);
    assert_eq!(doc.root().ty(), TYPE_OBJECT);
    assert_eq!(doc.root().len(), 2);
    let scalar = parse(&alloc, b" 1 ").unwrap();
    assert_eq!(
        (
            scalar.node_count(),
            scalar.entry_count(),
            scalar.max_depth()
        ),
        (1, 0, 0)
    );
    assert_eq!(scalar.root().as_f64(), Some(1.0));
    assert_eq!((scalar.root().start(), scalar.root().end()), (1, 2));
    assert_eq!(parse(&alloc, b"[]").unwrap().max_depth(), 1);
    assert_eq!(parse(&alloc, b"[[]]").unwrap().max_depth(), 2);
}

/// For every node, `source[start..end]` parses on its own to the same value.
fn check_spans(text: &str) {
    let (_serial, alloc) = block();
    let doc = parse(&alloc, text.as_bytes()).unwrap();
    let r = Reader::new(&alloc, doc);
    let mut stack = vec![r.root_off()];
    let mut checked = 0;
    while let Some(node) = stack.pop() {
        let (start, end) = r.span(node);
        let piece = std::str::from_utf8(&r.src[start..end]).unwrap();
        let alone = parse(&alloc, piece.as_bytes()).unwrap();
        let mut walk = reader::Walk::default();
        assert_eq!(
            r.read(node, 0, &mut walk),
            Reader::new(&alloc, alone).read_doc(),
            "{piece}"
        );
        checked += 1;
        let ty = r.kind(node) & TYPE_MASK;
        for i in 0..r.len(node) {
            if ty == TYPE_ARRAY {
                stack.push(r.elem(node, i));
            } else if ty == TYPE_OBJECT {
                let (k, v) = r.entry(node, i);
                stack.push(k);
                stack.push(v);
            }
        }
    }
    assert_eq!(checked, doc.node_count() + doc.entry_count());
}

#[test]
fn spans_slice_the_exact_source() {
    check_spans(
        r#" { "a" : [ 1 , -2.5e3 , "x\ny" , true , false , null , { } , [ ] ] , "é\ud800" : { "k" : "v" } } "#,
    );
    check_spans("[\"\\u00e9\",\"😀\",0,-0,1e400,[[[[\"deep\"]]]]]");
    // Spot-check exact offsets.
    let (_serial, alloc) = block();
    let doc = parse(&alloc, br#"[ "ab" , 12 ]"#).unwrap();
    let r = Reader::new(&alloc, doc);
    assert_eq!(r.span(r.root_off()), (0, 13));
    assert_eq!(r.span(r.elem(r.root_off(), 0)), (2, 6));
    assert_eq!(r.span(r.elem(r.root_off(), 1)), (9, 11));
}

#[test]
fn parser_is_reusable_across_documents_and_errors() {
    let (_serial, alloc) = block();
    let mut parser = Parser::new();
    let a = parser.parse(&alloc, br#"[1,[2,[3]]]"#).unwrap();
    assert!(parser.parse(&alloc, br#"[1,[2,[3"#).is_err());
    let b = parser.parse(&alloc, br#"{"x":[true]}"#).unwrap();
    assert_eq!(
        Reader::new(&alloc, a).read_doc(),
        arr(vec![n(1.0), arr(vec![n(2.0), arr(vec![n(3.0)])])])
    );
    assert_eq!(
        Reader::new(&alloc, b).read_doc(),
        obj(vec![("x", arr(vec![J::Bool(true)]))])
    );
}

#[test]
fn metadata_and_layout_constants() {
    let (_serial, alloc) = block();
    let doc = parse(&alloc, b"[1]").unwrap();
    let meta = doc.raw_transfer_metadata(&alloc);
    assert_eq!(meta.data_offset, alloc.offset_of(doc));
    assert_eq!(meta.data_offset % 8, 0);
    assert_eq!(meta.producer0, FORMAT_VERSION);
    assert_eq!(meta.generation, alloc.generation());
    alloc.write_raw_metadata(meta).unwrap();

    let mut names: Vec<_> = LAYOUT_CONSTANTS.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), LAYOUT_CONSTANTS.len(), "duplicate names");
    assert_eq!(layout_constant("NODE_SIZE"), Some(24));
    assert_eq!(layout_constant("ENTRY_SIZE"), Some(48));
    assert_eq!(layout_constant("TYPE_OBJECT"), Some(6));
    assert_eq!(layout_constant("NOPE"), None);
}

/// Equal key texts share the first occurrence's payload (and its flags), whichever way
/// they were written (short, 16 bytes, long, escaped, non-ASCII); different texts never do.
#[test]
fn keys_are_interned() {
    let text = r#"[{"ab":1,"a\u0062":2,"abc":3,"sixteen_bytes_16":4,"a_key_longer_than_sixteen_bytes":5,"é":6,"\u00e9":7,"":8},
        {"ab":1,"abc":2,"sixteen_bytes_16":3,"a_key_longer_than_sixteen_bytes":4,"é":5,"":6,"a\u0062c":7,"sixteen_bytes_17":8}]"#;
    let (_serial, alloc) = block();
    let doc = parse(&alloc, text.as_bytes()).unwrap();
    let r = Reader::new(&alloc, doc);
    let mut keys = Vec::new();
    for i in 0..2 {
        let object = r.elem(r.root_off(), i);
        for k in 0..r.len(object) {
            let (key, _) = r.entry(object, k);
            let name = String::from_utf16(&r.read_string(key)).unwrap();
            keys.push((name, r.ptr(key), r.kind(key), r.len(key)));
        }
    }
    for (a, pa, ka, la) in &keys {
        for (b, pb, kb, lb) in &keys {
            if a == b {
                assert_eq!((pa, ka, la), (pb, kb, lb), "{a:?}");
            } else if la != &0 || lb != &0 {
                assert_ne!(pa, pb, "{a:?} vs {b:?}");
            }
        }
    }
    // The escaped "ab" and "abc" take the verbatim first occurrence's place in the source.
    assert!(keys[1].2 & FLAG_IN_SOURCE != 0);
    assert!(keys[14].2 & FLAG_IN_SOURCE != 0);
}
