//! A second addon built on raw_transfer's public API alone: CSV lines `name,value` become
//! `#[repr(C)]` rows in a pooled block that JS reads zero-copy (see `../reader.js`).
//!
//! Block layout (offsets from the block base, which is 4 GiB-aligned, so a pointer's low 32
//! bits are its offset in the JS buffer):
//!
//! ```text
//! Table { rows: *const Row (8), len: u32, _pad: u32 }          at data_offset
//! Row   { name: *const u8 (8), name_len: u32, _pad: u32, value: f64 }   24 bytes each
//! ```

use std::rc::Rc;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use raw_transfer::napi::{
    Batch, EnvPool, ErrorCode, Job, JobOptions, Position, ProduceError, Producer, Sent, Transfer, TransferError,
};
use raw_transfer::{FixedSizeAllocator, FixedSizeAllocatorPool, RawTransferMetadata};

/// What `producer0` says, so the reader can check it reads a CSV table.
pub const FORMAT: u32 = 0xC5F0_0001;

#[repr(C)]
struct Row {
    name: *const u8,
    name_len: u32,
    _pad: u32,
    value: f64,
}

#[repr(C)]
struct Table {
    rows: *const Row,
    len: u32,
    _pad: u32,
}

// The reader (reader.js) reads these offsets.
const _: () = {
    assert!(size_of::<Row>() == 24);
    assert!(std::mem::offset_of!(Row, name) == 0);
    assert!(std::mem::offset_of!(Row, name_len) == 8);
    assert!(std::mem::offset_of!(Row, value) == 16);
    assert!(size_of::<Table>() == 16);
    assert!(std::mem::offset_of!(Table, rows) == 0);
    assert!(std::mem::offset_of!(Table, len) == 8);
};

/// Parse `text` into `block`; returns the metadata to hand off.
fn build(text: &str, block: &FixedSizeAllocator) -> std::result::Result<RawTransferMetadata, ProduceError> {
    let mut rows = raw_transfer::allocator_api2::vec::Vec::new_in(block);
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let bad = |msg: &str| {
            ProduceError::new(ErrorCode::Other("CsvSyntax"), format!("line {}: {msg}", i + 1)).at(Position {
                offset: 0,
                line: i as u32 + 1,
                column: 1,
            })
        };
        let (name, value) = line.split_once(',').ok_or_else(|| bad("expected name,value"))?;
        let value: f64 = value.trim().parse().map_err(|_| bad("value is not a number"))?;
        let name = block.try_alloc_str(name)?;
        rows.try_reserve(1).map_err(|_| ProduceError::new(ErrorCode::BlockFull, "no room for another row"))?;
        rows.push(Row { name: name.as_ptr(), name_len: name.len() as u32, _pad: 0, value });
    }
    let table = block.try_alloc(Table { rows: rows.as_ptr(), len: rows.len() as u32, _pad: 0 })?;
    let data_offset = block.offset_of(table as *const Table);
    std::mem::forget(rows); // arena memory: reclaimed by the block's reset, not by drop
    Ok(RawTransferMetadata { data_offset, producer0: FORMAT, ..Default::default() })
}

/// Reads CSV files on the job's threads.
struct CsvFiles;

impl Producer for CsvFiles {
    type Input = String;
    type Loaded = String;
    type Worker = ();

    fn worker(&self) {}

    fn load(&self, _: &mut (), path: &String) -> std::result::Result<(String, u64), ProduceError> {
        let text = std::fs::read_to_string(path).map_err(|e| ProduceError::new(ErrorCode::Io, format!("{path}: {e}")))?;
        let len = text.len() as u64;
        Ok((text, len))
    }

    fn build(&self, _: &mut (), text: String, block: &FixedSizeAllocator) -> std::result::Result<RawTransferMetadata, ProduceError> {
        build(&text, block)
    }
}

/// A pool of blocks for CSV tables, bound to the calling JS environment.
#[napi]
pub struct CsvPool {
    inner: Rc<EnvPool>,
}

#[napi]
impl CsvPool {
    #[napi(constructor)]
    pub fn new(env: Env, size: u32, transfer: String) -> Result<Self> {
        if size == 0 || size > 1024 {
            return Err(TransferError::invalid_argument(format!("size must be 1..=1024, got {size}")).into());
        }
        let transfer: Transfer = transfer.parse()?;
        let inner = EnvPool::new(&env, FixedSizeAllocatorPool::new(size as usize), transfer)?;
        Ok(Self { inner })
    }

    #[napi(getter)]
    pub fn transfer_mode(&self) -> &'static str {
        self.inner.transfer_mode().as_str()
    }

    /// Parse `text` into a block: `{ id, generation, buffer }` (buffer null after the first time).
    #[napi]
    pub fn parse(&self, text: String) -> Result<Sent> {
        let block = self.inner.acquire(None)?;
        let meta = build(&text, &block).map_err(TransferError::from)?;
        Ok(self.inner.send(block, meta)?)
    }

    #[napi]
    pub fn release(&self, id: u32) -> Result<()> {
        Ok(self.inner.release(id)?)
    }

    #[napi]
    pub fn release_many(&self, ids: Uint32Array) {
        for &id in ids.iter() {
            let _ = self.inner.release(id);
        }
    }

    #[napi]
    pub fn checked_out(&self) -> u32 {
        self.inner.checked_out() as u32
    }

    /// Parse CSV files on `threads` threads.
    #[napi]
    pub fn start_files(&self, paths: Vec<String>, threads: u32) -> Result<CsvJob> {
        let options = JobOptions { threads: threads as usize, max_blocks: None };
        Ok(CsvJob { job: Job::start(&self.inner, Arc::new(CsvFiles), paths, options)? })
    }

    #[napi]
    pub fn close(&self) {
        self.inner.close();
    }
}

#[napi]
pub struct CsvJob {
    job: Job,
}

#[napi]
impl CsvJob {
    #[napi]
    pub fn take(&self, env: Env, released: Option<Uint32Array>) -> Result<Batch> {
        Ok(self.job.take(&env, released.as_deref().unwrap_or(&[]))?)
    }

    #[napi]
    pub fn cancel(&self) {
        self.job.cancel();
    }
}
