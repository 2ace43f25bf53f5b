//! Deep nesting, a full arena, the real-world corpus, randomized numbers, and a throughput
//! measurement (`--ignored`).

use std::alloc::Layout;

use proptest::prelude::*;

use super::*;
use crate::arena::AllocError;

const DEPTH: usize = 100_000;

#[test]
fn deeply_nested_arrays() {
    let text = "[".repeat(DEPTH) + &"]".repeat(DEPTH);
    let (_serial, alloc) = block();
    let doc = parse(&alloc, text.as_bytes()).unwrap();
    assert_eq!(
        (doc.max_depth(), doc.node_count(), doc.entry_count()),
        (DEPTH as u32, DEPTH as u32, 0)
    );
    let r = Reader::new(&alloc, doc);
    let mut node = r.root_off();
    for level in 0..DEPTH {
        assert_eq!(r.kind(node), TYPE_ARRAY);
        assert_eq!(r.span(node), (level, 2 * DEPTH - level));
        if level + 1 == DEPTH {
            assert_eq!(r.len(node), 0);
        } else {
            assert_eq!(r.len(node), 1);
            node = r.elem(node, 0);
        }
    }
    // One bracket short: an error, not a stack overflow.
    let short = &text.as_bytes()[..text.len() - 1];
    match parse(&alloc, short) {
        Err(ParseError::Syntax(e)) => {
            assert_eq!(
                (e.kind, e.offset),
                (JsonErrorKind::ExpectedCommaOrBracket, short.len())
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn deeply_nested_objects() {
    let text = "{\"a\":".repeat(DEPTH) + "null" + &"}".repeat(DEPTH);
    let (_serial, alloc) = block();
    let doc = parse(&alloc, text.as_bytes()).unwrap();
    assert_eq!(doc.max_depth(), DEPTH as u32);
    assert_eq!(
        (doc.node_count(), doc.entry_count()),
        (DEPTH as u32 + 1, DEPTH as u32)
    );
    let r = Reader::new(&alloc, doc);
    let mut node = r.root_off();
    for level in 0..DEPTH {
        assert_eq!((r.kind(node), r.len(node)), (TYPE_OBJECT, 1));
        assert_eq!(r.span(node), (5 * level, text.len() - level));
        let (key, value) = r.entry(node, 0);
        assert_eq!(r.read_string(key), [b'a' as u16]);
        assert_eq!(r.span(key), (5 * level + 1, 5 * level + 4));
        node = value;
    }
    assert_eq!(r.kind(node), TYPE_NULL);
}

#[test]
fn full_arena_is_an_error_not_a_panic() {
    let (_serial, mut alloc) = block();
    alloc.set_retention(0, 0);
    let eat = |alloc: &FixedSizeAllocator, leave: usize| {
        let layout = Layout::from_size_align(alloc.remaining_bytes() - leave, 1).unwrap();
        alloc.try_alloc_layout(layout).unwrap();
        assert_eq!(alloc.remaining_bytes(), leave);
    };
    // The source copy itself does not fit.
    eat(&alloc, 1024);
    let big = format!("[{}1]", "1,".repeat(1000));
    assert!(matches!(
        parse(&alloc, big.as_bytes()),
        Err(ParseError::Alloc(AllocError::BlockFull { .. }))
    ));
    // The source fits (600 bytes) but its 300 nodes (7 KB) do not.
    alloc.reset();
    eat(&alloc, 1024);
    let mid = format!("[{}1]", "1,".repeat(299));
    let e = parse(&alloc, mid.as_bytes()).unwrap_err();
    assert!(
        matches!(e, ParseError::Alloc(AllocError::BlockFull { .. })),
        "{e}"
    );
    assert!(e.to_string().contains("arena block is full"));
    // An escaped string's decoded copy does not fit.
    alloc.reset();
    eat(&alloc, 1024);
    let escaped = format!("\"{}\"", "\\n".repeat(500));
    assert!(matches!(
        parse(&alloc, escaped.as_bytes()),
        Err(ParseError::Alloc(_))
    ));
    // The document header is the last allocation.
    alloc.reset();
    eat(&alloc, 48);
    assert!(matches!(parse(&alloc, b"1"), Err(ParseError::Alloc(_))));
    // And the block is usable after a reset.
    alloc.reset();
    assert_eq!(
        Reader::new(&alloc, parse(&alloc, mid.as_bytes()).unwrap()).read_doc(),
        { arr(vec![n(1.0); 300]) }
    );
}

fn corpus(name: &str) -> Option<Vec<u8>> {
    let path = format!("{}/../shared/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            eprintln!("skipping: cannot read {path}: {e}");
            None
        }
    }
}

/// The value of `key` in the object node at `node`.
fn get(r: &Reader, node: usize, key: &str) -> usize {
    let want: Vec<u16> = key.encode_utf16().collect();
    (0..r.len(node))
        .map(|i| r.entry(node, i))
        .find(|&(k, _)| r.read_string(k) == want)
        .unwrap_or_else(|| panic!("no key {key}"))
        .1
}

#[test]
fn corpus_citm_catalog() {
    let Some(text) = corpus("citm_catalog.json") else {
        return;
    };
    let (_serial, alloc) = block();
    let doc = parse(&alloc, &text).unwrap();
    let r = Reader::new(&alloc, doc);
    let root = r.read_doc(); // checks every invariant and the header counts
    assert_eq!(
        (doc.node_count(), doc.entry_count(), doc.max_depth()),
        (37778, 25869, 8)
    );
    let J::Obj(entries) = &root else {
        panic!("root is not an object")
    };
    let keys: Vec<String> = entries
        .iter()
        .take(5)
        .map(|(k, _)| String::from_utf16_lossy(k))
        .collect();
    assert_eq!(
        keys,
        [
            "areaNames",
            "audienceSubCategoryNames",
            "blockNames",
            "events",
            "performances"
        ]
    );
    let area_names = get(&r, r.root_off(), "areaNames");
    assert_eq!(r.len(area_names), 17);
    let mut walk = reader::Walk::default();
    assert_eq!(
        r.read(get(&r, area_names, "205705993"), 0, &mut walk),
        s("Arrière-scène central")
    );
    assert_eq!(r.len(get(&r, r.root_off(), "events")), 184);
    let performances = get(&r, r.root_off(), "performances");
    assert_eq!(r.len(performances), 243);
    assert_eq!(
        r.read(get(&r, r.elem(performances, 0), "id"), 0, &mut walk),
        n(339887544.0)
    );
}

#[test]
fn corpus_twitter() {
    let Some(text) = corpus("twitter.json") else {
        return;
    };
    let (_serial, alloc) = block();
    let doc = parse(&alloc, &text).unwrap();
    let r = Reader::new(&alloc, doc);
    let root = r.read_doc();
    assert_eq!(
        (doc.node_count(), doc.entry_count(), doc.max_depth()),
        (13914, 13345, 10)
    );
    let J::Obj(entries) = &root else {
        panic!("root is not an object")
    };
    let keys: Vec<String> = entries
        .iter()
        .map(|(k, _)| String::from_utf16_lossy(k))
        .collect();
    assert_eq!(keys, ["statuses", "search_metadata"]);
    let statuses = get(&r, r.root_off(), "statuses");
    assert_eq!(r.len(statuses), 100);
    let first = r.elem(statuses, 0);
    let mut walk = reader::Walk::default();
    assert_eq!(
        r.read(get(&r, first, "id"), 0, &mut walk),
        n(505874924095815681.0)
    );
    let text_node = get(&r, first, "text");
    let J::Str(tweet) = r.read(text_node, 0, &mut walk) else {
        panic!()
    };
    let tweet = String::from_utf16(&tweet).unwrap();
    assert!(
        tweet.starts_with("@aym0566x \n\n名前:前田あゆみ\n")
            && tweet.ends_with("一言:お前は一生もんのダチ💖")
    );
    assert_eq!(r.kind(text_node) & TYPE_MASK, TYPE_STRING);
    let user = get(&r, first, "user");
    assert_eq!(
        r.read(get(&r, user, "screen_name"), 0, &mut walk),
        s("ayuu0123")
    );
}

/// Throughput on the corpus. Run with
/// `cargo test --release --no-default-features --lib producers::json::tests::big::throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let (_serial, mut alloc) = block();
    let mut parser = Parser::new();
    for name in ["citm_catalog.json", "twitter.json"] {
        let Some(text) = corpus(name) else { continue };
        let mut times = Vec::new();
        for _ in 0..300 {
            alloc.reset();
            let t = std::time::Instant::now();
            let doc = parser.parse(&alloc, &text).unwrap();
            times.push(t.elapsed().as_secs_f64());
            std::hint::black_box(doc);
        }
        times.sort_by(f64::total_cmp);
        let mbs = |t: f64| text.len() as f64 / t / 1e6;
        let (best, median) = (times[0], times[times.len() / 2]);
        eprintln!(
            "{name}: {} bytes, best {:.3} ms ({:.0} MB/s), median {:.3} ms ({:.0} MB/s)",
            text.len(),
            best * 1e3,
            mbs(best),
            median * 1e3,
            mbs(median)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Any finite f64 printed by Rust (shortest round-trip, plain or exponent form) reads
    /// back exactly; fast and slow paths agree with the standard parser.
    #[test]
    fn numbers_round_trip(bits in any::<u64>(), exp_form in any::<bool>()) {
        let v = f64::from_bits(bits);
        prop_assume!(v.is_finite());
        let text = if exp_form { format!("{v:e}") } else { format!("{v}") };
        let (_serial, alloc) = block();
        let doc = parse(&alloc, text.as_bytes()).unwrap();
        prop_assert_eq!(doc.root().as_f64().map(f64::to_bits), Some(bits), "{}", text);
    }

    /// Short decimals (the fast path) equal the correctly rounded parse.
    #[test]
    fn short_decimals(int in 0u64..1_000_000_000, frac in 0u64..1_000_000, zeros in 0usize..8, neg in any::<bool>()) {
        let text = format!("{}{int}.{}{frac}", if neg { "-" } else { "" }, "0".repeat(zeros));
        let (_serial, alloc) = block();
        let doc = parse(&alloc, text.as_bytes()).unwrap();
        let expected: f64 = text.parse().unwrap();
        prop_assert_eq!(doc.root().as_f64().map(f64::to_bits), Some(expected.to_bits()), "{}", text);
    }
}
