//! Scratch memory is bounded by what a block can hold and given back after big documents;
//! the parse reads the caller's text, never the JS-writable copy in the block.

use super::*;
use crate::producers::json::parse::{SCRATCH_KEEP_BYTES, SCRATCH_MIN_KEEP_BYTES, tests_hook};

/// `[0,0,…,0]` with `n` elements.
fn zeros(n: usize) -> Vec<u8> {
    let mut text = Vec::with_capacity(2 * n + 1);
    text.push(b'[');
    for i in 0..n {
        if i > 0 {
            text.push(b',');
        }
        text.push(b'0');
    }
    text.push(b']');
    text
}

#[test]
fn scratch_never_outgrows_what_the_block_can_still_take() {
    let (_serial, alloc) = block();
    // Leave the block about 4 MiB: 2 M numbers need 2 M nodes (48 MB), far more.
    let fill = alloc.remaining_bytes() - (4 << 20);
    alloc
        .try_alloc_layout(std::alloc::Layout::from_size_align(fill, 8).unwrap())
        .unwrap();
    let mut parser = Parser::new();
    match parser.parse(&alloc, &zeros(2_000_000)) {
        Err(ParseError::Alloc(crate::arena::AllocError::BlockFull { .. })) => {}
        other => panic!(
            "expected BlockFull, got {:?}",
            other.map(|d| d.node_count())
        ),
    }
    // The stacks grew at most to what the block had left, not to the input's node count
    // (and were given back afterwards).
    assert!(
        parser.scratch_bytes() <= SCRATCH_KEEP_BYTES * 5,
        "{}",
        parser.scratch_bytes()
    );
}

#[test]
fn deep_nesting_is_bounded_by_the_block_too() {
    let (_serial, alloc) = block();
    let fill = alloc.remaining_bytes() - (1 << 20);
    alloc
        .try_alloc_layout(std::alloc::Layout::from_size_align(fill, 8).unwrap())
        .unwrap();
    // 1 M open brackets: 1 M frames (and as many nodes) would not fit in the 1 MiB left
    // once the 1 MiB source copy is in.
    let text = vec![b'['; 1_000_000];
    assert!(matches!(parse(&alloc, &text), Err(ParseError::Alloc(_))));
}

#[test]
fn scratch_is_given_back_after_a_big_document() {
    let (_serial, mut alloc) = block();
    let mut parser = Parser::new();
    let text = zeros(3_000_000);
    let doc = parser.parse(&alloc, &text).unwrap();
    assert_eq!(doc.node_count(), 3_000_001);
    assert!(
        parser.scratch_bytes() <= 5 * SCRATCH_KEEP_BYTES,
        "scratch kept after a 3 M-node document: {} bytes",
        parser.scratch_bytes()
    );
    // A small document afterwards still parses (the stacks grow again as needed), and the
    // big one's scratch goes: what is kept follows the document just parsed.
    alloc.reset();
    assert_eq!(
        parser
            .parse(&alloc, b"[[1],{\"a\":2}]")
            .unwrap()
            .node_count(),
        5
    );
    assert!(
        parser.scratch_bytes() <= 5 * SCRATCH_MIN_KEEP_BYTES,
        "scratch kept after a small document that followed a big one: {} bytes",
        parser.scratch_bytes()
    );
}

#[test]
fn documents_of_one_size_keep_their_scratch() {
    let (_serial, mut alloc) = block();
    let mut parser = Parser::new();
    let text = zeros(300_000);
    parser.parse(&alloc, &text).unwrap();
    let kept = parser.scratch_bytes();
    assert!(kept > 5 * SCRATCH_MIN_KEEP_BYTES, "{kept}");
    for _ in 0..3 {
        alloc.reset();
        parser.parse(&alloc, &text).unwrap();
        assert_eq!(
            parser.scratch_bytes(),
            kept,
            "no shrink and regrow between equal documents"
        );
    }
}

/// Stands in for JS overwriting the block's copy of the source as soon as it is there.
fn scribble(ptr: *mut u8, len: usize) {
    // SAFETY: `ptr..ptr + len` is the parser's fresh arena copy of the source, in a block
    // this thread holds; nothing else references it during the hook.
    unsafe { std::ptr::write_bytes(ptr, b'#', len) };
}

#[test]
fn the_parse_reads_the_callers_text_not_the_copy_js_can_write() {
    let text = br#"{"a_key_longer_than_sixteen": [1, "two", {"a_key_longer_than_sixteen": true}], "b": null}"#;
    let (_serial, mut alloc) = block();
    let clean = {
        let doc = parse(&alloc, text).unwrap();
        (doc.node_count(), doc.entry_count(), doc.max_depth())
    };
    alloc.reset();
    tests_hook::AFTER_COPY.set(Some(scribble));
    let scribbled = parse(&alloc, text).map(|doc| {
        (
            doc.node_count(),
            doc.entry_count(),
            doc.max_depth(),
            doc.source().to_vec(),
        )
    });
    tests_hook::AFTER_COPY.set(None);
    let (nodes, entries, depth, source) =
        scribbled.expect("the structure comes from Rust's own bytes");
    assert_eq!((nodes, entries, depth), clean);
    // What JS sees (the copy) is what JS wrote: garbage values, never a wrong structure.
    assert!(source.iter().all(|&b| b == b'#'));
}
