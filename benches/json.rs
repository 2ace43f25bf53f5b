//! `cargo bench --bench json`: the JSON producer's Rust parse (source copy into the block
//! included, as the addon does it) against sonic-rs, simd-json and serde_json building
//! their DOM values, each measured in the same run; the ratio column is time against
//! sonic-rs (below 1: faster). Documents: `../shared/corpus` (twitter.json,
//! citm_catalog.json) when present, generated arrays of API-like records with escapes and
//! non-ASCII text (the same shape as `benches/js/json.js`'s) of 1 and 100 MiB, and 5 000
//! small files of 4–15 such records (1–4 KB each) parsed one after the other: ours with one
//! parser and one block reset between files, the others building a value per file.

use std::hint::black_box;
use std::time::Duration;

use raw_transfer::FixedSizeAllocator;
use raw_transfer::json::Parser;

mod common;
use common::measure_interleaved;

/// One API-like record (the shape `benches/js/json.js` builds), number `i`.
fn record(s: &mut String, i: u64) {
    use std::fmt::Write;
    let score = (i as f64 * 1.37) % 100.0;
    let _ = write!(
        s,
        r#"{{"id":{i},"name":"user {i} é","email":"u{i}@example.com","active":{},"score":{score},"tags":["a","b{}"],"address":{{"street":"{i} Main Street","city":"Springfield","zip":"{}","geo":[{},{}]}},"bio":"line one\nline \"two\" \u00e9"}}"#,
        i.is_multiple_of(2),
        i % 10,
        10000 + i % 89999,
        (i % 180) as f64 - 90.5,
        (i % 360) as f64 - 180.25,
    );
}

/// The generated document: `mb` MiB of records.
fn generated(mb: usize) -> Vec<u8> {
    let mut s = String::with_capacity(mb << 20 | 1024);
    s.push('[');
    let mut i: u64 = 0;
    while s.len() < mb << 20 {
        if i > 0 {
            s.push(',');
        }
        record(&mut s, i);
        i += 1;
    }
    s.push(']');
    s.into_bytes()
}

/// `count` small documents of 1–4 KB, each an array of 4–15 records (as a linter or plugin
/// host reads many small files), with record numbers running on across the files.
fn small_files(count: usize) -> Vec<Vec<u8>> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut i: u64 = 0;
    (0..count)
        .map(|_| {
            // xorshift64: a fixed sequence of record counts, the same in every run.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let records = 4 + state % 12;
            let mut s = String::from("[");
            for k in 0..records {
                if k > 0 {
                    s.push(',');
                }
                record(&mut s, i);
                i += 1;
            }
            s.push(']');
            s.into_bytes()
        })
        .collect()
}

/// The cases: a name and its documents (one, or the small files).
fn documents() -> Vec<(String, Vec<Vec<u8>>)> {
    let mut docs = Vec::new();
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    for name in ["twitter.json", "citm_catalog.json"] {
        match std::fs::read(corpus.join(name)) {
            Ok(bytes) => docs.push((name.to_string(), vec![bytes])),
            Err(e) => println!("(skipping {name}: {e})"),
        }
    }
    // `JSON_BENCH_MB=a,b,...`: the sizes of the generated document. 1 MiB stays in the
    // CPU's caches (files of a few hundred KB, as a linter or plugin host reads them);
    // 100 MiB does not, and there a DOM's page faults count as much as the parse.
    let sizes = std::env::var("JSON_BENCH_MB").unwrap_or_else(|_| "1,100".into());
    for mb in sizes
        .split(',')
        .filter_map(|v| v.trim().parse::<usize>().ok())
    {
        docs.push((format!("generated {mb} MiB"), vec![generated(mb)]));
    }
    // `JSON_BENCH_SMALL=n`: how many small files (0: none).
    let small = std::env::var("JSON_BENCH_SMALL")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(5000);
    if small > 0 {
        let files = small_files(small);
        let total: usize = files.iter().map(Vec::len).sum();
        docs.push((
            format!(
                "{small} small files ({:.1} MB, {}–{} B each)",
                total as f64 / 1e6,
                files.iter().map(Vec::len).min().unwrap_or(0),
                files.iter().map(Vec::len).max().unwrap_or(0),
            ),
            files,
        ));
    }
    // `JSON_BENCH_FILE=path`: one more document of your own.
    if let Some(path) = std::env::var_os("JSON_BENCH_FILE") {
        let bytes = std::fs::read(&path).expect("JSON_BENCH_FILE is readable");
        docs.push((
            std::path::Path::new(&path).display().to_string(),
            vec![bytes],
        ));
    }
    docs
}

fn main() {
    // `cargo bench -- <filter>`: only documents whose name contains the filter.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    println!("\n## JSON parse into a DOM (Rust), vs sonic-rs in the same run\n");
    println!("| document | parser | time | throughput | vs sonic-rs |\n|---|---|---|---|---|");
    // One allocator and one parser for every document, reset between parses, as the addon
    // reuses a pool's block and a thread's parser.
    let mut alloc = FixedSizeAllocator::new().expect("a block");
    let mut parser = Parser::new();
    for (name, texts) in documents() {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let bytes: usize = texts.iter().map(Vec::len).sum();
        let big = bytes > 10 << 20;
        let (rounds, budget) = if big {
            (5, Duration::from_millis(600))
        } else {
            (9, Duration::from_millis(200))
        };
        let mb = bytes as f64 / 1e6;
        let mut sonic = || {
            for text in &texts {
                black_box(sonic_rs::from_slice::<sonic_rs::Value>(black_box(text)).expect("valid"));
            }
        };
        let mut ours = || {
            for text in &texts {
                black_box(parser.parse(&alloc, black_box(text)).expect("valid"));
                alloc.reset();
            }
        };
        let mut simd = || {
            for text in &texts {
                let mut copy = black_box(text).clone();
                black_box(simd_json::to_borrowed_value(&mut copy).expect("valid"));
            }
        };
        let mut serde = || {
            for text in &texts {
                black_box(
                    serde_json::from_slice::<serde_json::Value>(black_box(text)).expect("valid"),
                );
            }
        };
        let t = measure_interleaved(
            rounds,
            budget,
            &mut [&mut sonic, &mut ours, &mut simd, &mut serde],
        );
        let (sonic, ours, simd, serde) = (t[0], t[1], t[2], t[3]);
        for (parser_name, ns) in [
            ("sonic-rs 0.5 `Value` (baseline)", sonic),
            ("**raw_transfer** (copy + parse into the block)", ours),
            ("simd-json 0.17 `BorrowedValue` (copy included)", simd),
            ("serde_json `Value`", serde),
        ] {
            println!(
                "| {name} | {parser_name} | {:.2} ms | {:.0} MB/s | {:.2}x |",
                ns / 1e6,
                mb / (ns / 1e9),
                ns / sonic
            );
        }
    }
}
