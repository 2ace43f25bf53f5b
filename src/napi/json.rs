//! JSON producer bindings: `parseJson` (synchronous, on the JS thread) and the parallel
//! `parseJsonFiles` job (Rust threads read and parse into pooled blocks; JS pulls each
//! finished document with an async `next()` and runs its plugin on the JS thread).
//!
//! Why pull instead of a threadsafe function pushing calls: the JS side decides when a
//! block goes back (when the plugin returns or its promise settles), and back-pressure is
//! free: parse threads wait in `pool.get()` while every block is out with a plugin.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::block::NativeBlock;
use super::pool::{NativePool, alloc_error};
use super::{code, error};
use crate::pool::{FixedSizeAllocatorGuard, FixedSizeAllocatorPool, PoolError};
use crate::producers::json::{ParseError, Parser};
use crate::transfer::RawTransferMetadata;

thread_local! {
    /// The JS thread's parser (its scratch stacks are reused across documents).
    static PARSER: std::cell::RefCell<Parser> = std::cell::RefCell::new(Parser::new());
}

fn syntax_error(e: &ParseError) -> Error {
    match e {
        ParseError::Syntax(s) => error(code::JSON_SYNTAX, format!("{}:{}:{}: {}", s.offset, s.line, s.column, s.message())),
        ParseError::Alloc(a) => alloc_error(*a),
    }
}

/// Parse into the guard's block; on success the metadata to hand off.
fn parse_into(parser: &mut Parser, guard: &FixedSizeAllocatorGuard, text: &[u8]) -> std::result::Result<RawTransferMetadata, ParseError> {
    let doc = parser.parse(guard, text)?;
    Ok(doc.raw_transfer_metadata(guard))
}

#[napi]
impl NativePool {
    /// Parse `text` (a string or UTF-8 bytes) into a block of this pool.
    #[napi]
    pub fn parse_json(&self, text: Either<String, Uint8ArraySlice>) -> Result<NativeBlock> {
        let guard = self.acquire_guard()?;
        let bytes: &[u8] = match &text {
            Either::A(s) => s.as_bytes(),
            Either::B(b) => b,
        };
        let meta = PARSER.with_borrow_mut(|p| parse_into(p, &guard, bytes)).map_err(|e| syntax_error(&e))?;
        Ok(self.inner.check_out(guard, meta))
    }

    /// Start parsing `paths` on `threads` Rust threads; pull results with `next()`.
    #[napi]
    pub fn start_json_files(&self, paths: Vec<String>, threads: u32) -> Result<JsonFilesJob> {
        if self.inner.pool.is_closed() {
            return Err(error(code::POOL_CLOSED, "the pool is closed"));
        }
        let threads = threads.clamp(1, 64) as usize;
        let (tx, rx) = channel();
        let shared = Arc::new(JobShared { paths, next: AtomicUsize::new(0), cancelled: AtomicBool::new(false) });
        for _ in 0..threads.min(shared.paths.len().max(1)) {
            let (shared, tx, pool) = (Arc::clone(&shared), tx.clone(), Arc::clone(&self.inner.pool));
            std::thread::Builder::new()
                .name("raw-transfer-json".into())
                .spawn(move || parse_files(&shared, &pool, &tx))
                .map_err(|e| error(code::INTERNAL, format!("could not start a parse thread: {e}")))?;
        }
        Ok(JsonFilesJob { rx: Arc::new(Mutex::new(rx)), shared })
    }

    /// Take the parsed block out of `item` as a block of this pool (hand-off follows in JS).
    #[napi]
    pub fn adopt(&self, item: &mut JsonFileItem) -> Result<NativeBlock> {
        let Some((guard, meta)) = item.parsed.take() else {
            return Err(error(code::STALE_BUFFER, "this file's block was already taken"));
        };
        if guard.pool_id() != self.inner.pool.id() {
            return Err(error(code::INVALID_ARGUMENT, "this file was parsed by another pool"));
        }
        Ok(self.inner.check_out(guard, meta))
    }
}

struct JobShared {
    paths: Vec<String>,
    next: AtomicUsize,
    cancelled: AtomicBool,
}

/// What one file produced, sent from a parse thread to the JS thread.
pub struct FileResult {
    index: u32,
    bytes: u64,
    outcome: std::result::Result<(FixedSizeAllocatorGuard, RawTransferMetadata), FileError>,
}

pub struct FileError {
    code: &'static str,
    message: String,
    position: Option<(u32, u32, u32)>,
}

/// How long a parse thread or a `next()` waits before looking again whether the job was
/// cancelled. Short waits keep every thread interruptible: a worker's teardown waits for
/// in-flight libuv work, and process exit waits for the libuv pool.
const POLL: Duration = Duration::from_millis(50);

/// Take a block for the next file, waiting as long as the job is not cancelled.
fn wait_for_block(shared: &JobShared, pool: &FixedSizeAllocatorPool) -> std::result::Result<FixedSizeAllocatorGuard, PoolError> {
    loop {
        match pool.get_timeout(POLL) {
            Err(PoolError::Exhausted { .. }) if !shared.cancelled.load(Ordering::Relaxed) => continue,
            Err(PoolError::Exhausted { .. }) => return Err(PoolError::Closed),
            other => return other,
        }
    }
}

fn parse_files(shared: &JobShared, pool: &FixedSizeAllocatorPool, tx: &Sender<FileResult>) {
    let mut parser = Parser::new();
    loop {
        if shared.cancelled.load(Ordering::Relaxed) {
            return;
        }
        let index = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(path) = shared.paths.get(index) else { return };
        let mut bytes = 0;
        let outcome = (|| {
            // Read before taking a block, so I/O never holds one.
            let text = std::fs::read(path).map_err(|e| FileError { code: "Io", message: e.to_string(), position: None })?;
            bytes = text.len() as u64;
            let guard = wait_for_block(shared, pool).map_err(|e| FileError {
                code: if matches!(e, PoolError::Closed) { code::POOL_CLOSED } else { code::OUT_OF_MEMORY },
                message: e.to_string(),
                position: None,
            })?;
            match parse_into(&mut parser, &guard, &text) {
                Ok(meta) => Ok((guard, meta)),
                Err(ParseError::Syntax(s)) => Err(FileError {
                    code: code::JSON_SYNTAX,
                    message: s.message(),
                    position: Some((s.offset as u32, s.line, s.column)),
                }),
                Err(ParseError::Alloc(a)) => Err(FileError { code: code::BLOCK_FULL, message: a.to_string(), position: None }),
            }
        })();
        let closed = matches!(&outcome, Err(e) if e.code == code::POOL_CLOSED);
        if tx.send(FileResult { index: index as u32, bytes, outcome }).is_err() || closed {
            return; // the job was dropped or the pool closed: stop
        }
    }
}

/// A running `parseJsonFiles` job.
#[napi]
pub struct JsonFilesJob {
    rx: Arc<Mutex<Receiver<FileResult>>>,
    shared: Arc<JobShared>,
}

#[napi]
impl JsonFilesJob {
    /// The next finished file, or `null` when every thread is done.
    #[napi(ts_return_type = "Promise<JsonFileItem | null>")]
    pub fn next(&self) -> AsyncTask<NextFile> {
        AsyncTask::new(NextFile { rx: Arc::clone(&self.rx) })
    }

    /// Stop starting new files (those in flight still arrive).
    #[napi]
    pub fn cancel(&self) {
        self.shared.cancelled.store(true, Ordering::Relaxed);
    }
}

impl Drop for JsonFilesJob {
    /// The JS job object is gone (finalized, or its environment torn down): stop the threads.
    fn drop(&mut self) {
        self.shared.cancelled.store(true, Ordering::Relaxed);
    }
}

pub struct NextFile {
    rx: Arc<Mutex<Receiver<FileResult>>>,
}

/// What one `next()` found.
pub enum Next {
    File(FileResult),
    /// Nothing within [`POLL`]: ask again (this frees the libuv thread meanwhile).
    Pending,
    Done,
}

impl Task for NextFile {
    type Output = Next;
    type JsValue = Option<JsonFileItem>;

    /// Runs on a libuv thread: wait a little for the next result. Never for long: a libuv
    /// thread held indefinitely would block process exit, worker termination, and every
    /// other user of the (small) libuv pool.
    fn compute(&mut self) -> Result<Self::Output> {
        let rx = self.rx.lock().map_err(|_| error(code::INTERNAL, "job channel poisoned"))?;
        Ok(match rx.recv_timeout(POLL) {
            Ok(r) => Next::File(r),
            Err(RecvTimeoutError::Timeout) => Next::Pending,
            Err(RecvTimeoutError::Disconnected) => Next::Done,
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(match output {
            Next::Done => None,
            Next::Pending => Some(JsonFileItem { index: u32::MAX, bytes: 0.0, parsed: None, error: None, pending: true }),
            Next::File(r) => {
                let (parsed, err) = match r.outcome {
                    Ok(p) => (Some(p), None),
                    Err(e) => (None, Some(e)),
                };
                Some(JsonFileItem { index: r.index, bytes: r.bytes as f64, parsed, error: err, pending: false })
            }
        })
    }
}

/// One finished file: a parsed block to adopt, or an error.
#[napi]
pub struct JsonFileItem {
    index: u32,
    bytes: f64,
    parsed: Option<(FixedSizeAllocatorGuard, RawTransferMetadata)>,
    error: Option<FileError>,
    pending: bool,
}

#[napi]
impl JsonFileItem {
    #[napi(getter)]
    pub fn index(&self) -> u32 {
        self.index
    }
    /// Nothing was ready yet: call `next()` again.
    #[napi(getter)]
    pub fn pending(&self) -> bool {
        self.pending
    }
    #[napi(getter)]
    pub fn bytes(&self) -> f64 {
        self.bytes
    }
    #[napi(getter)]
    pub fn error_code(&self) -> Option<&'static str> {
        self.error.as_ref().map(|e| e.code)
    }
    #[napi(getter)]
    pub fn error_message(&self) -> Option<String> {
        self.error.as_ref().map(|e| e.message.clone())
    }
    /// `[offset, line, column]` of a syntax error.
    #[napi(getter)]
    pub fn error_position(&self) -> Option<Vec<u32>> {
        self.error.as_ref().and_then(|e| e.position).map(|(o, l, c)| vec![o, l, c])
    }
    /// Give the block back without handing it to JS (e.g. the job is being abandoned).
    #[napi]
    pub fn discard(&mut self) {
        self.parsed = None;
    }
}
