//! Every Rust heap allocation a JS call can reach while parsing fails in turn, and the
//! parse must end in an error, never an abort.
//!
//! A global allocator that can be armed on the current thread to fail its `n`-th
//! allocation: an unarmed run counts the allocations a workload makes, then the workload
//! runs once per allocation with that one failing. An infallible allocation (`Vec::push`,
//! `vec!`) that fails calls `handle_alloc_error`, which aborts this test binary; a fallible
//! one (`try_reserve`) must come back as an error of the call.
//!
//! It reads files through the JSON files producer, which needs the cargo feature `napi`.
#![cfg(feature = "napi")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;

use raw_transfer::FixedSizeAllocator;
use raw_transfer::json::{ParseError, Parser};
use raw_transfer::napi::read_file;

struct FailingAllocator;

thread_local! {
    /// Allocations left before the one that fails; `None`: not armed (count only).
    static FAIL_IN: Cell<Option<usize>> = const { Cell::new(None) };
    /// Allocations made while counting.
    static COUNT: Cell<usize> = const { Cell::new(0) };
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

/// Whether this allocation fails. `try_with`: thread-local storage may be gone while a
/// thread exits, and the allocator must not panic then.
fn fails() -> bool {
    let counting = COUNTING.try_with(Cell::get).unwrap_or(false);
    if counting {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
    }
    FAIL_IN
        .try_with(|f| match f.get() {
            Some(0) => {
                f.set(None);
                true
            }
            Some(n) => {
                f.set(Some(n - 1));
                false
            }
            None => false,
        })
        .unwrap_or(false)
}

// SAFETY: every method forwards to `System` unless it reports failure (null), which the
// `GlobalAlloc` contract allows for any allocation.
unsafe impl GlobalAlloc for FailingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if fails() {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded with the caller's valid layout.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if fails() {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this layout (we never return other memory).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if fails() {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded with the caller's valid arguments.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: FailingAllocator = FailingAllocator;

/// Allocations `f` makes on this thread.
fn count(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    COUNT.with(Cell::get)
}

/// Run `f` with allocation `n` (0-based, counted from now) failing on this thread.
fn with_failure<R>(n: usize, f: impl FnOnce() -> R) -> R {
    FAIL_IN.with(|c| c.set(Some(n)));
    let r = f();
    FAIL_IN.with(|c| c.set(None));
    r
}

/// Texts that make the parser use every scratch buffer: escapes (the decode buffer, long
/// and short pieces), lone surrogates (the UTF-16 buffer), many distinct keys (the key
/// table's growth), deep nesting and long arrays (the frame and node stacks).
fn texts() -> Vec<String> {
    let mut keys = String::from("{");
    for i in 0..3000 {
        keys.push_str(&format!("\"key{i}\":{i},"));
    }
    keys.push_str("\"end\":0}");
    let escapes = format!("\"{}\"", "a\\nb\\u00e9c\\\"".repeat(5000));
    let long_pieces = format!("[\"{}\\n{}\"]", "x".repeat(70_000), "y".repeat(70_000));
    let surrogates = format!(
        "[\"{}\\ud800{}\"]",
        "z".repeat(9000),
        "\\u0041".repeat(4000)
    );
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let wide = format!("[{}0]", "[1,{\"a\":\"b\\t\"}],".repeat(20_000));
    vec![keys, escapes, long_pieces, surrogates, deep, wide]
}

#[test]
fn every_allocation_of_a_parse_may_fail() {
    let mut alloc = FixedSizeAllocator::new().unwrap();
    for text in texts() {
        // A fresh parser each time: its scratch starts empty, so it allocates.
        let baseline = count(|| {
            let mut parser = Parser::new();
            alloc.reset();
            parser.parse(&alloc, text.as_bytes()).map(|_| ()).unwrap();
        });
        assert!(baseline > 0, "the workload allocates");
        for n in 0..baseline {
            let mut parser = Parser::new();
            alloc.reset();
            let result = with_failure(n, || parser.parse(&alloc, text.as_bytes()).map(|_| ()));
            match result {
                Ok(()) => {}
                Err(ParseError::Alloc(e)) => {
                    assert!(e.to_string().contains("out of memory"), "{e}");
                }
                Err(e) => panic!("allocation {n} of {baseline}: {e}"),
            }
            // The parser is usable again after the failure.
            alloc.reset();
            parser.parse(&alloc, text.as_bytes()).map(|_| ()).unwrap();
        }
    }
}

#[test]
fn every_allocation_of_a_file_read_may_fail() {
    let dir = std::env::temp_dir().join(format!("raw-transfer-alloc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("doc.json");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&vec![b' '; 300_000]).unwrap();
    f.write_all(b"[1]").unwrap();
    drop(f);
    let path = path.to_str().unwrap().to_owned();
    let baseline = count(|| {
        read_file(&path, 1 << 30).unwrap();
    });
    assert!(baseline > 0);
    let mut failed = 0;
    for n in 0..baseline {
        match with_failure(n, || read_file(&path, 1 << 30)) {
            Ok(text) => assert_eq!(text.len(), 300_003),
            Err(e) => {
                failed += 1;
                assert!(
                    matches!(e.code.as_str(), "OutOfMemory" | "Io"),
                    "allocation {n}: {e:?}"
                );
            }
        }
    }
    // The buffer for the text itself is one of them.
    assert!(failed > 0);
    std::fs::remove_dir_all(&dir).unwrap();
}
