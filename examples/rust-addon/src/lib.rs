//! A second napi-rs addon built on raw_transfer's **public** API alone (the crate is a
//! `default-features = false, features = ["napi", "layout"]` dependency): CSV lines
//! `name,value` become the [`Row`]s of a [`Table`] in a pooled block, which JS reads
//! zero-copy through the reader generated from these types (`../generated/csv.js`; the test
//! below fails when it is stale).
//!
//! Input: each non-empty line is `name,value`. `name` may be quoted (`"a, ""b"""`: commas
//! and doubled quotes inside); `value` is an `f64` (surrounding spaces allowed); a trailing
//! `\r` is ignored. Errors are `CsvSyntax` (with offset/line/column), `Io`, `BlockFull`.
//!
//! No `unsafe` and no offsets here: the layout is `#[derive(Layout)]`, which takes every
//! offset and size from the compiler, and the hand-off record carries the table's offset and
//! the layout's hash ([`root_metadata`]), which the generated reader checks.

use std::ops::Range;
use std::rc::Rc;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use raw_transfer::layout::{ArenaSlice, ArenaStr, ArenaVec, Layout, root_metadata};
use raw_transfer::napi::{
    EnvPool, ErrorCode, Job, JobOptions, Position, ProduceError, Producer, Sent, Transfer,
    TransferError, Wait, catch_panic_in, load_file, read_file,
};
use raw_transfer::{ACTIVE_SIZE, FixedSizeAllocator, FixedSizeAllocatorPool, RawTransferMetadata};

/// The producer's own error code (JS: a `RawTransferError` with `code === 'CsvSyntax'`).
pub const CSV_SYNTAX: ErrorCode = ErrorCode::Other("CsvSyntax");

/// Names are copied into the block next to the rows: at most half a block of text.
const MAX_TEXT: u64 = (ACTIVE_SIZE / 2) as u64;

/// One row of the input.
#[derive(Layout)]
#[repr(C)]
pub struct Row<'a> {
    pub name: ArenaStr<'a>,
    pub value: f64,
    /// 1-based line of the input the row came from.
    pub line: u32,
}

/// The root: one input's rows.
#[derive(Layout)]
#[repr(C)]
pub struct Table<'a> {
    pub rows: ArenaSlice<'a, Row<'a>>,
}

/// A row as parsed, before it goes into the block: its name is `Scratch::names[name]`.
struct Parsed {
    name: Range<usize>,
    value: f64,
    line: u32,
}

/// Scratch state reused across inputs (per job thread, or the JS thread's own).
#[derive(Default)]
struct Scratch {
    rows: Vec<Parsed>,
    names: String,
}

fn syntax(offset: usize, line: u32, column: usize, msg: impl std::fmt::Display) -> ProduceError {
    ProduceError::new(CSV_SYNTAX, msg).at(Position {
        offset: offset as u32,
        line,
        column: column as u32 + 1,
    })
}

/// Parse `text` into `scratch.rows` (names into `scratch.names`).
fn parse(text: &[u8], scratch: &mut Scratch) -> std::result::Result<(), ProduceError> {
    let text = std::str::from_utf8(text).map_err(|e| {
        let at = e.valid_up_to();
        let line_start = text[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let line = text[..at].iter().filter(|&&b| b == b'\n').count() as u32 + 1;
        syntax(at, line, at - line_start, "invalid UTF-8")
    })?;
    scratch.rows.clear();
    scratch.names.clear();
    let mut start = 0;
    for (i, raw_line) in text.split('\n').enumerate() {
        let line_no = i as u32 + 1;
        let line_start = start;
        start += raw_line.len() + 1;
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        if line.trim().is_empty() {
            continue;
        }
        let err = |col: usize, msg: &str| syntax(line_start + col, line_no, col, msg);
        // The name: quoted (with "" for a quote) or up to the first comma.
        let name_start = scratch.names.len();
        let rest_at = if let Some(quoted) = line.strip_prefix('"') {
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((j, c)) = chars.next() {
                if c == '"' {
                    if quoted[j + 1..].starts_with('"') {
                        scratch.names.push('"');
                        chars.next();
                    } else {
                        end = Some(j + 2); // past both quotes, in `line`
                        break;
                    }
                } else {
                    scratch.names.push(c);
                }
            }
            let Some(end) = end else {
                return Err(err(0, "unterminated quoted name"));
            };
            if !line[end..].starts_with(',') {
                return Err(err(end, "expected ',' after the quoted name"));
            }
            end + 1
        } else {
            let Some(comma) = line.find(',') else {
                return Err(err(line.len(), "expected name,value"));
            };
            scratch.names.push_str(&line[..comma]);
            comma + 1
        };
        let value = line[rest_at..]
            .trim()
            .parse()
            .map_err(|_| err(rest_at, "value is not a number"))?;
        scratch.rows.push(Parsed {
            name: name_start..scratch.names.len(),
            value,
            line: line_no,
        });
    }
    Ok(())
}

/// Parse `text` and append its [`Table`] to `block` (a job's block may hold earlier tables);
/// returns the hand-off record: the table's offset and the layout's hash.
fn build(
    text: &[u8],
    block: &FixedSizeAllocator,
    scratch: &mut Scratch,
) -> std::result::Result<RawTransferMetadata, ProduceError> {
    parse(text, scratch)?;
    let table = write_table(block, scratch)?;
    Ok(root_metadata(block, table)?)
}

/// The rows parsed into `scratch`, as a [`Table`] in `block`.
fn write_table<'a>(
    block: &'a FixedSizeAllocator,
    scratch: &Scratch,
) -> std::result::Result<&'a Table<'a>, ProduceError> {
    // Room for every row first, so the vector never moves while the names land after it.
    let mut rows = ArenaVec::try_new_in(block)?;
    rows.try_reserve(scratch.rows.len())?;
    for r in &scratch.rows {
        let name =
            ArenaStr::try_new_in(&scratch.names[r.name.clone()], block)?;
        let row = Row {
            name,
            value: r.value,
            line: r.line,
        };
        rows.try_push(row)?;
    }
    Ok(block.try_alloc(Table {
        rows: rows.into_slice(),
    })?)
}

/// The job's producer: CSV files, read and parsed on the job's threads.
struct CsvFiles;

impl Producer for CsvFiles {
    type Input = String;
    type Loaded = Vec<u8>;
    type Worker = Scratch;

    fn worker(&self) -> Scratch {
        Scratch::default()
    }

    fn load(
        &self,
        _: &mut Scratch,
        path: &String,
    ) -> std::result::Result<(Vec<u8>, u64), ProduceError> {
        load_file(path, MAX_TEXT)
    }

    fn build(
        &self,
        scratch: &mut Scratch,
        text: Vec<u8>,
        block: &FixedSizeAllocator,
    ) -> std::result::Result<RawTransferMetadata, ProduceError> {
        build(&text, block, scratch)
    }
}

thread_local! {
    /// The JS thread's scratch (each worker thread is its own JS thread with its own).
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// A pool of blocks for CSV tables, bound to the calling JS environment.
#[napi]
pub struct CsvPool {
    inner: Rc<EnvPool>,
}

#[napi]
impl CsvPool {
    /// `transfer`: 'auto' | 'external' | 'copy'.
    #[napi(constructor)]
    pub fn new(env: Env, size: u32, transfer: Option<String>) -> Result<Self> {
        catch_panic_in(&env, || {
            if !(1..=1024).contains(&size) {
                return Err(TransferError::invalid_argument(format!(
                    "size must be 1..=1024, got {size}"
                ))
                .into());
            }
            let transfer: Transfer = transfer.as_deref().unwrap_or("auto").parse()?;
            let inner = EnvPool::new(&env, FixedSizeAllocatorPool::new(size as usize), transfer)?;
            Ok(Self { inner })
        })
    }

    /// The layout hash the blocks carry (hex), as the generated reader's `LAYOUT_HASHES.Table`.
    #[napi(getter)]
    pub fn layout_hash(&self) -> String {
        format!("{:016x}", Table::layout_hash())
    }

    /// Parse CSV `text` into a block: `{ id, generation, buffer }` (`buffer` is null after
    /// the block's first hand-off to this environment); the Table is at its `dataOffset`. A
    /// syntax error throws a `RawTransferError` with code `'CsvSyntax'` and `offset`, `line`,
    /// `column`.
    #[napi]
    pub fn parse(&self, env: Env, text: String) -> Result<Sent> {
        catch_panic_in(&env, || self.parse_bytes(text.as_bytes()))
    }

    /// Read and parse the CSV file at `path` on the JS thread.
    #[napi]
    pub fn parse_file(&self, env: Env, path: String) -> Result<Sent> {
        catch_panic_in(&env, || {
            let text = read_file(&path, MAX_TEXT).map_err(TransferError::from)?;
            self.parse_bytes(&text)
        })
    }

    /// Parse CSV files on `threads` Rust threads; drive the job with `runJob`.
    #[napi]
    pub fn start_files(&self, env: Env, paths: Vec<String>, threads: u32) -> Result<CsvJob> {
        catch_panic_in(&env, || {
            let options = JobOptions {
                threads: threads as usize,
                max_blocks: None,
            };
            Ok(CsvJob {
                job: Job::start(&self.inner, Arc::new(CsvFiles), paths, options)?,
            })
        })
    }

    /// Panic (a stand-in for a bug): what `catch_panic_in` turns into an `InternalError` for
    /// this one call instead of an abort of the process. For the tests.
    #[napi]
    pub fn panic_for_test(&self, env: Env, message: String) -> Result<()> {
        catch_panic_in(&env, || panic!("{message}"))
    }
}

// size, transferMode, closed, checkedOut, release, releaseMany, resend, close.
raw_transfer::pool_methods!(CsvPool.inner);

impl CsvPool {
    fn parse_bytes(&self, text: &[u8]) -> Result<Sent> {
        let block = self.inner.acquire(Wait::No)?;
        // On error `block` drops here and goes back to the pool.
        let meta = SCRATCH
            .with_borrow_mut(|s| build(text, &block, s))
            .map_err(TransferError::from)?;
        Ok(self.inner.send(block, meta)?)
    }
}

/// A running `startFiles` job.
#[napi]
pub struct CsvJob {
    job: Job,
}

// take(released) and cancel(), what runJob drives.
raw_transfer::job_methods!(CsvJob.job);

#[cfg(test)]
mod tests {
    use raw_transfer::layout::{JsOptions, sync_js};

    use super::*;

    /// The JS reader in `generated/` is what `Table` generates; regenerate it with
    /// `RAW_TRANSFER_WRITE_LAYOUT=1 cargo test` here.
    #[test]
    fn generated_reader_is_current() {
        let options = JsOptions {
            name: "csv".to_owned(),
            regenerate: "RAW_TRANSFER_WRITE_LAYOUT=1 cargo test (in examples/rust-addon)"
                .to_owned(),
            ..JsOptions::default()
        };
        if let Err(e) =
            sync_js::<Table>(concat!(env!("CARGO_MANIFEST_DIR"), "/generated"), &options)
        {
            panic!("{e}");
        }
    }

    #[test]
    fn rows_in_a_block() {
        let block = FixedSizeAllocator::new().unwrap();
        let mut scratch = Scratch::default();
        parse(b"a,1\n\"b, \"\"c\"\"\",-2.5\r\n\n", &mut scratch).unwrap();
        let table = write_table(&block, &scratch).unwrap();
        let rows: Vec<_> = table
            .rows
            .iter()
            .map(|r| (r.name.as_str(), r.value, r.line))
            .collect();
        assert_eq!(rows, [("a", 1.0, 1), ("b, \"c\"", -2.5, 2)]);
        let meta = root_metadata(&block, table).unwrap();
        let hash = Table::layout_hash();
        assert_eq!(
            (meta.producer0, meta.producer1),
            (hash as u32, (hash >> 32) as u32)
        );
    }
}
