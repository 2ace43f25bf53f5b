//! A second napi-rs addon built on raw_transfer's **public** API alone (the crate is a
//! `default-features = false, features = ["napi"]` dependency): CSV lines `name,value`
//! become `#[repr(C)]` rows in a pooled block that JS reads zero-copy (`../reader.js`).
//!
//! Block layout. A block starts on a 4 GiB boundary and is smaller than 2 GiB, so the low
//! 32 bits of a pointer into it are its offset in the JS buffer (`RawBuffer#ptr`):
//!
//! ```text
//! at data_offset:  Table { rows_ptr: u64, rows_len: u32, _reserved: u32 }           16 bytes
//! at rows_ptr:     Row   { name_ptr: u64, name_len: u32, line: u32, value: f64 }    24 bytes each
//! metadata:        producer0 = FORMAT, producer1 = FORMAT_VERSION
//! ```
//!
//! Input: each non-empty line is `name,value`. `name` may be quoted (`"a, ""b"""`: commas
//! and doubled quotes inside); `value` is an `f64` (surrounding spaces allowed); a trailing
//! `\r` is ignored. Errors are `CsvSyntax` (with offset/line/column), `Io`, `BlockFull`.
//!
//! This file has no `unsafe` block: rows are `Copy` structs of plain integers, built in a
//! heap scratch vector and copied into the block with `try_alloc_slice_copy`.

use std::rc::Rc;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use raw_transfer::napi::{
    EnvPool, ErrorCode, Job, JobOptions, Position, ProduceError, Producer, Sent, Transfer,
    TransferError, Wait, catch_panic_in, load_file, read_file,
};
use raw_transfer::{ACTIVE_SIZE, FixedSizeAllocator, FixedSizeAllocatorPool, RawTransferMetadata};

/// `producer0` of a CSV table block ("CSV1"), so the reader can tell it reads one.
pub const FORMAT: u32 = 0x4353_5631;
/// `producer1`: the layout version below.
pub const FORMAT_VERSION: u32 = 1;
/// The producer's own error code (JS: a `RawTransferError` with `code === 'CsvSyntax'`).
pub const CSV_SYNTAX: ErrorCode = ErrorCode::Other("CsvSyntax");

/// One row. `name_ptr` is a real pointer into the block (JS reads its low 32 bits).
#[repr(C)]
#[derive(Clone, Copy)]
struct Row {
    name_ptr: u64,
    name_len: u32,
    /// 1-based line of the input the row came from.
    line: u32,
    value: f64,
}

/// The root structure, at `data_offset`.
#[repr(C)]
#[derive(Clone, Copy)]
struct Table {
    rows_ptr: u64,
    rows_len: u32,
    _reserved: u32,
}

// The layout reader.js reads (ROW_* / TABLE_* there): a change here must change it too.
const _: () = {
    assert!(size_of::<Row>() == 24);
    assert!(align_of::<Row>() == 8);
    assert!(std::mem::offset_of!(Row, name_ptr) == 0);
    assert!(std::mem::offset_of!(Row, name_len) == 8);
    assert!(std::mem::offset_of!(Row, line) == 12);
    assert!(std::mem::offset_of!(Row, value) == 16);
    assert!(size_of::<Table>() == 16);
    assert!(align_of::<Table>() == 8);
    assert!(std::mem::offset_of!(Table, rows_ptr) == 0);
    assert!(std::mem::offset_of!(Table, rows_len) == 8);
    // Pointers are stored as u64 and read as their low 32 bits: only on 64-bit targets.
    assert!(size_of::<usize>() == 8);
};

/// Scratch state reused across inputs (per job thread, or the JS thread's own).
#[derive(Default)]
struct Scratch {
    rows: Vec<Row>,
    name: String,
}

fn syntax(offset: usize, line: u32, column: usize, msg: impl std::fmt::Display) -> ProduceError {
    ProduceError::new(CSV_SYNTAX, msg).at(Position {
        offset: offset as u32,
        line,
        column: column as u32 + 1,
    })
}

/// Parse `text` into `block` (fresh from the pool); returns the metadata to hand off.
fn build(
    text: &[u8],
    block: &FixedSizeAllocator,
    scratch: &mut Scratch,
) -> std::result::Result<RawTransferMetadata, ProduceError> {
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
        let (name, rest_at) = if let Some(quoted) = line.strip_prefix('"') {
            scratch.name.clear();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((j, c)) = chars.next() {
                if c == '"' {
                    if quoted[j + 1..].starts_with('"') {
                        scratch.name.push('"');
                        chars.next();
                    } else {
                        end = Some(j + 2); // past both quotes, in `line`
                        break;
                    }
                } else {
                    scratch.name.push(c);
                }
            }
            let Some(end) = end else {
                return Err(err(0, "unterminated quoted name"));
            };
            if !line[end..].starts_with(',') {
                return Err(err(end, "expected ',' after the quoted name"));
            }
            (block.try_alloc_str(&scratch.name)?, end + 1)
        } else {
            let Some(comma) = line.find(',') else {
                return Err(err(line.len(), "expected name,value"));
            };
            (block.try_alloc_str(&line[..comma])?, comma + 1)
        };
        let value_text = line[rest_at..].trim();
        let value: f64 = value_text
            .parse()
            .map_err(|_| err(rest_at, "value is not a number"))?;
        scratch.rows.push(Row {
            name_ptr: name.as_ptr() as usize as u64,
            name_len: name.len() as u32,
            line: line_no,
            value,
        });
    }
    let rows = block.try_alloc_slice_copy(&scratch.rows)?;
    let table = block.try_alloc(Table {
        rows_ptr: rows.as_ptr() as usize as u64,
        rows_len: rows.len() as u32,
        _reserved: 0,
    })?;
    let data_offset = block.offset_of(table as *const Table);
    Ok(RawTransferMetadata {
        data_offset,
        producer0: FORMAT,
        producer1: FORMAT_VERSION,
        ..Default::default()
    })
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
        // Names are copied into the block next to the rows: at most half a block of text.
        load_file(path, (ACTIVE_SIZE / 2) as u64)
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

#[napi(object)]
pub struct CsvPoolStats {
    /// Blocks the pool may create.
    pub size: u32,
    /// Blocks created and not yet freed.
    pub created: u32,
    /// Blocks idle in the pool.
    pub available: u32,
    /// Blocks out of the pool (checked out to JS, or being filled by a job thread).
    pub in_use: u32,
    /// Blocks checked out to this JS environment (handed off, not yet released).
    pub checked_out: u32,
    /// Committed bytes of every live block the pool created (including blocks only JS holds).
    pub committed_bytes: f64,
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

    #[napi]
    pub fn stats(&self) -> CsvPoolStats {
        let s = self.inner.pool().stats();
        CsvPoolStats {
            size: s.size as u32,
            created: s.created as u32,
            available: s.available as u32,
            in_use: s.in_use as u32,
            checked_out: self.inner.checked_out() as u32,
            committed_bytes: s.committed_bytes as f64,
        }
    }

    /// Parse CSV `text` into a block: `{ id, generation, buffer }` (`buffer` is null after
    /// the block's first hand-off to this environment). A syntax error throws a
    /// `RawTransferError` with code `'CsvSyntax'` and `offset`, `line`, `column`.
    #[napi]
    pub fn parse(&self, env: Env, text: String) -> Result<Sent> {
        catch_panic_in(&env, || self.parse_bytes(text.as_bytes()))
    }

    /// Read and parse the CSV file at `path` on the JS thread.
    #[napi]
    pub fn parse_file(&self, env: Env, path: String) -> Result<Sent> {
        catch_panic_in(&env, || {
            let text = read_file(&path, (ACTIVE_SIZE / 2) as u64).map_err(TransferError::from)?;
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
}

#[napi]
impl CsvPool {
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
