//! [`Producer`]: what a [`Job`](super::Job) runs, and [`ProduceError`], how it fails on an
//! input.

use super::error::{ErrorCode, TransferError};
use crate::FixedSizeAllocator;
use crate::transfer::RawTransferMetadata;

/// Where in an input an error is: byte offset, 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// Byte offset in the input.
    pub offset: u32,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// The OS error behind an input that could not be read, as Node reports one: JS gets
/// `errno` (negated, as Node's are), `syscall` and the error's name as its `code`
/// (`ENOENT`, `EISDIR`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OsError {
    /// The positive OS error number.
    pub errno: i32,
    /// The call that failed: `"open"`, `"read"`, ...
    pub syscall: &'static str,
}

/// Why a producer could not turn an input into a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProduceError {
    /// What JS maps to an error class (and sets as `code`).
    pub code: ErrorCode,
    /// What went wrong, for people.
    pub message: String,
    /// Where in the input, if the producer knows (JS: `offset`, `line`, `column`).
    pub position: Option<Position>,
    /// For `Io` errors with an OS error behind them.
    pub os: Option<OsError>,
}

impl ProduceError {
    /// An error with `code` and `message`, no position.
    pub fn new(code: ErrorCode, message: impl std::fmt::Display) -> Self {
        Self {
            code,
            message: message.to_string(),
            position: None,
            os: None,
        }
    }

    /// An `Io` error of `syscall` (JS adds the input's name); out-of-memory errors get
    /// `OutOfMemory`.
    pub fn io(syscall: &'static str, e: &std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::OutOfMemory {
            return Self::new(ErrorCode::OutOfMemory, e);
        }
        let mut err = Self::new(ErrorCode::Io, e);
        err.os = e.raw_os_error().map(|errno| OsError { errno, syscall });
        err
    }

    /// The same error at `position`.
    pub fn at(mut self, position: Position) -> Self {
        self.position = Some(position);
        self
    }
}

impl From<TransferError> for ProduceError {
    fn from(e: TransferError) -> Self {
        Self {
            code: e.code,
            message: e.message,
            position: None,
            os: None,
        }
    }
}

impl From<ProduceError> for TransferError {
    /// A positioned error reads `"<offset>:<line>:<column>: <message>"`, which the JS side
    /// turns back into the position fields (`JsonSyntaxError.offset`, …).
    fn from(e: ProduceError) -> Self {
        match e.position {
            Some(p) => TransferError::new(
                e.code,
                format!("{}:{}:{}: {}", p.offset, p.line, p.column, e.message),
            ),
            None => TransferError::new(e.code, e.message),
        }
    }
}

impl From<crate::AllocError> for ProduceError {
    fn from(e: crate::AllocError) -> Self {
        TransferError::from(e).into()
    }
}

/// So that `?` works on the layout types' results in [`Producer::build`].
#[cfg(feature = "layout")]
impl From<crate::layout::ArenaError> for ProduceError {
    fn from(e: crate::layout::ArenaError) -> Self {
        TransferError::from(e).into()
    }
}

/// What a job runs: inputs in, blocks out. Implemented by the JSON producer and by any
/// addon's own producer. All methods run on the job's threads.
pub trait Producer: Send + Sync + 'static {
    /// One unit of work (a path, a URL, a buffer…).
    type Input: Send + Sync + 'static;
    /// What [`load`](Self::load) produces: done before a block is taken, so slow I/O never
    /// holds a block.
    type Loaded;
    /// Per-thread state (scratch buffers, a parser), made once per thread.
    type Worker;

    /// Make one thread's state (called once on each producer thread).
    fn worker(&self) -> Self::Worker;

    /// Read or prepare `input`. Returns what to build from and its size in bytes (reported
    /// to JS).
    fn load(
        &self,
        worker: &mut Self::Worker,
        input: &Self::Input,
    ) -> Result<(Self::Loaded, u64), ProduceError>;

    /// Build into `block` and return the result's metadata: `data_offset` is where its root
    /// is (JS gets it as the item's `root`), `producer0`/`producer1` say the format. The job
    /// packs small results into one block, so `block` may already hold earlier results of
    /// this job: allocate what you write (never assume an empty block or fixed positions)
    /// and return the same producer fields for every input (a block's are its first
    /// result's). On error, what this build allocated is forgotten. `generation` is filled
    /// in by the hand-off.
    fn build(
        &self,
        worker: &mut Self::Worker,
        loaded: Self::Loaded,
        block: &FixedSizeAllocator,
    ) -> Result<RawTransferMetadata, ProduceError>;
}
