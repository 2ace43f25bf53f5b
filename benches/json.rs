//! `cargo bench --bench json`: the JSON producer's Rust parse (source copy into the block
//! included, as the addon does it) against sonic-rs, simd-json and serde_json building
//! their DOM values, each measured in the same run; the ratio column is time against
//! sonic-rs (below 1: faster). Documents: `../shared/corpus` (twitter.json,
//! citm_catalog.json) when present, and a generated ~100 MB array of API-like records with
//! escapes and non-ASCII text (the same shape as `benches/js/json.js`'s).

use std::hint::black_box;
use std::time::Duration;

use raw_transfer::FixedSizeAllocator;
use raw_transfer::json::Parser;

mod common;
use common::measure_interleaved;

/// The generated document: `mb` MiB of records like `benches/js/json.js` builds.
fn generated(mb: usize) -> Vec<u8> {
    use std::fmt::Write;
    let mut s = String::with_capacity(mb << 20 | 1024);
    s.push('[');
    let mut i: u64 = 0;
    while s.len() < mb << 20 {
        if i > 0 {
            s.push(',');
        }
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
        i += 1;
    }
    s.push(']');
    s.into_bytes()
}

fn documents() -> Vec<(String, Vec<u8>)> {
    let mut docs = Vec::new();
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    for name in ["twitter.json", "citm_catalog.json"] {
        match std::fs::read(corpus.join(name)) {
            Ok(bytes) => docs.push((name.to_string(), bytes)),
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
        docs.push((format!("generated {mb} MiB"), generated(mb)));
    }
    // `JSON_BENCH_FILE=path`: one more document of your own.
    if let Some(path) = std::env::var_os("JSON_BENCH_FILE") {
        let bytes = std::fs::read(&path).expect("JSON_BENCH_FILE is readable");
        docs.push((std::path::Path::new(&path).display().to_string(), bytes));
    }
    docs
}

fn main() {
    // `cargo bench -- <filter>`: only documents whose name contains the filter.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    println!("\n## JSON parse into a DOM (Rust), vs sonic-rs in the same run\n");
    println!("| document | parser | time | throughput | vs sonic-rs |\n|---|---|---|---|---|");
    let mut alloc = FixedSizeAllocator::new().expect("a block");
    let mut parser = Parser::new();
    for (name, text) in documents() {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let big = text.len() > 10 << 20;
        let (rounds, budget) = if big {
            (5, Duration::from_millis(600))
        } else {
            (9, Duration::from_millis(200))
        };
        let mb = text.len() as f64 / 1e6;
        let mut sonic = || {
            black_box(sonic_rs::from_slice::<sonic_rs::Value>(black_box(&text)).expect("valid"));
        };
        let mut ours = || {
            black_box(parser.parse(&alloc, black_box(&text)).expect("valid"));
            alloc.reset();
        };
        let mut simd = || {
            let mut copy = black_box(&text).clone();
            black_box(simd_json::to_borrowed_value(&mut copy).expect("valid"));
        };
        let mut serde = || {
            black_box(
                serde_json::from_slice::<serde_json::Value>(black_box(&text)).expect("valid"),
            );
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
