//! The generic Node-API layer (cargo feature `napi`): what any napi-rs addon uses to hand
//! its blocks to JS. It registers **no** JS exports (this package's own classes live in
//! the `addon` feature), so depending on the crate with
//! `default-features = false, features = ["napi"]` puts nothing in your `.node` that you
//! did not write.
//!
//! - [`EnvPool`]: a pool bound to one JS environment; [`EnvPool::send`] hands a filled block
//!   to JS (its `ArrayBuffer` the first time, only its id after), with the copy fallback,
//!   generations and environment teardown handled. Start here; its docs list the rules.
//! - [`Job`] and [`Producer`]: run a producer on N threads, JS takes finished items in
//!   batches.
//! - [`fast_call`] and [`fast_release`]: JS functions made with Node-API directly, for the
//!   calls JS makes once per small document (a seventh of a `#[napi]` method's cost).
//! - [`TransferError`]: errors with a code; converted into [`napi::Error`] inside
//!   [`catch_panic_in`] (the body of a `#[napi]` function), it reaches JS as an instance of
//!   `raw-transfer-reader`'s class for the code (`PoolExhaustedError`, ...), no JS wrapper
//!   needed.
//!
//! On the JS side, `require('raw-transfer/reader')` (pure JS, no native code) gives
//! `BufferCache`, `RawBuffer` and the typed errors to read what you send.

mod batch;
mod block_id;
mod docs;
mod env;
mod env_pool;
mod error;
mod fast;
mod files;
mod glue;
mod handoff;
mod job;
mod mode;
mod producer;
mod sent;
mod stats;
mod text;
mod throw;
mod value;

pub use batch::Batch;
pub use block_id::BlockId;
pub use env_pool::EnvPool;
pub use error::{ErrorCode, TransferError, catch_panic};
pub use fast::{FastArgs, FastBodyOf, FastValue, fast_call, fast_release};
#[cfg(feature = "addon")]
pub(crate) use fast::{block_id_arg, copy_of, fast_function, uint8_array};
pub use files::{load_file, read_file};
pub use job::{Job, JobOptions};
pub use mode::{Transfer, TransferMode, Wait};
pub use producer::{OsError, Position, ProduceError, Producer};
pub use sent::Sent;
pub use stats::NativePoolStats;
pub use text::Utf8String;
#[cfg(feature = "addon")]
pub(crate) use text::string_utf8;
pub use throw::catch_panic_in;
pub use value::RawValue;
#[cfg(feature = "addon")]
pub(crate) use value::null;

/// The napi-rs crate this layer is built on (use it for the types in its signatures, so
/// your addon and this crate agree on one version).
pub use ::napi as napi_rs;
