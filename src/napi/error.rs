//! [`TransferError`]: what the napi layer returns, with a [`Display`](std::fmt::Display) for
//! Rust callers and a conversion to [`napi::Error`] for `#[napi]` functions.
//!
//! Converted during a call from JS ([`catch_panic_in`](super::catch_panic_in)), it reaches
//! JS as an instance of `raw-transfer-reader`'s class for its code (see `throw.rs`), so a
//! third-party addon that returns these errors gets the same typed errors in JS, with no
//! wrapper around its calls. Elsewhere its message is `"<Code>: <text>"`, which the reader's
//! `fromNative` maps.

use std::fmt;

use crate::AllocError;
use crate::pool::PoolError;

/// The codes `raw-transfer-reader` maps to classes (`PoolExhausted` → `PoolExhaustedError`,
/// …; [`ErrorCode::js_class_name`]). A producer may use its own code ([`ErrorCode::Other`]);
/// JS then raises a `RawTransferError` whose `code` is that string (or the class the JS side
/// registered for it with `registerPositionedError`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Every block is checked out (JS: `PoolExhaustedError`).
    PoolExhausted,
    /// The pool was closed (`PoolClosedError`).
    PoolClosed,
    /// The block cannot hold the data (`BlockFullError`).
    BlockFull,
    /// A block or view that was released or lost (`StaleBufferError`).
    StaleBuffer,
    /// The runtime forbids external buffers (`ExternalBuffersForbiddenError`).
    ExternalForbidden,
    /// The OS refused memory or a thread (`OutOfMemoryError`).
    OutOfMemory,
    /// A bad argument from JS (`InvalidArgumentError`).
    InvalidArgument,
    /// Text `JSON.parse` would reject (`JsonSyntaxError`).
    JsonSyntax,
    /// A job's `take()` while the promise of an earlier one is pending.
    JobBusy,
    /// An I/O error of a producer's input (e.g. a file that cannot be read): a
    /// `RawTransferError` with code `'Io'`.
    Io,
    /// A bug (a panic [`catch_panic`] caught) or an unexpected Node-API failure
    /// (`InternalError`).
    Internal,
    /// A producer-defined code: one word, `[A-Za-z0-9]+`.
    Other(&'static str),
}

impl ErrorCode {
    /// The code as JS sees it (the message prefix and `err.code`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PoolExhausted => "PoolExhausted",
            Self::PoolClosed => "PoolClosed",
            Self::BlockFull => "BlockFull",
            Self::StaleBuffer => "StaleBuffer",
            Self::ExternalForbidden => "ExternalForbidden",
            Self::OutOfMemory => "OutOfMemory",
            Self::InvalidArgument => "InvalidArgument",
            Self::JsonSyntax => "JsonSyntax",
            Self::JobBusy => "JobBusy",
            Self::Io => "Io",
            Self::Internal => "Internal",
            Self::Other(code) => code,
        }
    }

    /// The reader's class for this code (`"PoolExhaustedError"`), if it has one of its own
    /// (`Io` and a producer's codes are `RawTransferError`s): the name a typed error made
    /// without the reader's registry carries (see `throw.rs`).
    pub fn js_class_name(self) -> Option<&'static str> {
        super::throw::class_name(self.as_str())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error of the hand-off layer or of a producer, with the code JS maps to a class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferError {
    /// The code JS maps to a class.
    pub code: ErrorCode,
    /// The text after `"<Code>: "`.
    pub message: String,
}

impl TransferError {
    /// An error with `code`.
    pub fn new(code: ErrorCode, message: impl fmt::Display) -> Self {
        Self {
            code,
            message: message.to_string(),
        }
    }

    /// An `InvalidArgument` error.
    pub fn invalid_argument(message: impl fmt::Display) -> Self {
        Self::new(ErrorCode::InvalidArgument, message)
    }

    /// A `StaleBuffer` error.
    pub fn stale(message: impl fmt::Display) -> Self {
        Self::new(ErrorCode::StaleBuffer, message)
    }

    /// An `Internal` error (a bug, or an unexpected Node-API failure).
    pub fn internal(message: impl fmt::Display) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

impl fmt::Display for TransferError {
    /// `"<Code>: <message>"`, the form `js/errors.js` parses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for TransferError {}

impl From<PoolError> for TransferError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Exhausted { .. } => Self::new(ErrorCode::PoolExhausted, e),
            PoolError::Closed => Self::new(ErrorCode::PoolClosed, "the pool is closed"),
            PoolError::Block(_) => Self::new(ErrorCode::OutOfMemory, e),
        }
    }
}

impl From<AllocError> for TransferError {
    fn from(e: AllocError) -> Self {
        match e {
            AllocError::BlockFull { .. } => Self::new(ErrorCode::BlockFull, e),
            _ => Self::new(ErrorCode::OutOfMemory, e),
        }
    }
}

/// A layout type's error ([`crate::layout`]): an allocation failure is as [`AllocError`]'s
/// (`BlockFull`, `OutOfMemory`); a standard allocator, or a root outside its block, is a bug
/// in the producer (`Internal`).
#[cfg(feature = "layout")]
impl From<crate::layout::ArenaError> for TransferError {
    fn from(e: crate::layout::ArenaError) -> Self {
        use crate::layout::ArenaError;
        match e {
            ArenaError::Alloc(a) => a.into(),
            ArenaError::NotABlock | ArenaError::OutsideBlock => Self::internal(e),
        }
    }
}

impl From<TransferError> for ::napi::Error {
    /// Inside [`catch_panic_in`](super::catch_panic_in): the reader's typed JS error, made now
    /// and thrown when the `#[napi]` function returns it. Elsewhere: a `GenericFailure` with
    /// the message `"<Code>: <message>"`.
    fn from(e: TransferError) -> Self {
        super::throw::to_napi_error(e)
    }
}

/// `Result` of the napi layer.
pub type Result<T, E = TransferError> = std::result::Result<T, E>;

/// Run `f`, turning a panic into an [`ErrorCode::Internal`] error.
///
/// A panic must never unwind out of a `#[napi]` function: Node-API calls it through an
/// `extern "C"` frame, where unwinding aborts the whole process ("failed to initiate
/// panic"). Wrap the body of every callback you give Node-API in this, and the body of every
/// `#[napi]` function in [`catch_panic_in`](super::catch_panic_in) (this, plus typed JS
/// errors), so a bug costs one call an `InternalError` (code `Internal`) instead of the
/// process. `f` is assumed unwind-safe: on a panic its state is
/// dropped or left as the panic left it, and the error says so.
pub fn catch_panic<T, E: From<TransferError>>(f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            // The payload's own drop could panic again; a leak is the safe choice here.
            std::mem::forget(payload);
            Err(TransferError::internal(format!("raw-transfer bug (caught panic): {what}")).into())
        }
    }
}
