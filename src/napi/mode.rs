//! What an addon chooses when it makes an [`EnvPool`](super::EnvPool) and acquires from it:
//! how blocks reach JS ([`Transfer`], decided as [`TransferMode`]), and how long
//! [`EnvPool::acquire`](super::EnvPool::acquire) waits ([`Wait`]).

use std::time::Duration;

use super::error::{Result, TransferError};

/// How long [`EnvPool::acquire`](super::EnvPool::acquire) waits when every block is out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Fail at once with `PoolExhausted`.
    No,
    /// Wait at most this long, then fail with `PoolExhausted`.
    AtMost(Duration),
    /// Wait until a block comes back (or the pool is closed). Only where another thread
    /// returns blocks: on the JS thread, a block JS holds can never come back meanwhile.
    Forever,
}

/// How blocks reach JS, as asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Transfer {
    /// External buffers where the runtime allows them, the copy fallback otherwise.
    #[default]
    Auto,
    /// External buffers only (fails with `ExternalForbidden` where forbidden).
    External,
    /// Always the copy fallback.
    Copy,
}

impl std::str::FromStr for Transfer {
    type Err = TransferError;
    /// `"auto"`, `"external"` or `"copy"`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Self::Auto),
            "external" => Ok(Self::External),
            "copy" => Ok(Self::Copy),
            other => Err(TransferError::invalid_argument(format!(
                "transfer must be 'auto', 'external' or 'copy', got '{other}'"
            ))),
        }
    }
}

/// How blocks reach JS, as decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferMode {
    /// Blocks are wrapped in external `ArrayBuffer`s (zero-copy).
    External,
    /// Blocks are copied into JS-allocated `ArrayBuffer`s (the fallback).
    Copy,
}

impl TransferMode {
    /// `"external"` or `"copy"`, as JS sees it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::External => "external",
            Self::Copy => "copy",
        }
    }
}
