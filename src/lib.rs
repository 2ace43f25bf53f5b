//! # raw-transfer
//!
//! Build data in pooled, 4 GiB-aligned arena blocks and hand each block to JavaScript
//! zero-copy as an external `ArrayBuffer`. Rust and the GC co-own a block through an owner
//! count in its Rust-private metadata; whichever lets go last frees it.
//!
//! Because a block starts on a 4 GiB boundary and is smaller than 2 GiB, the low 32 bits of
//! a pointer into it are its offset in the JS buffer: Rust structures with real pointers
//! can be read from JS without serialization.
//!
//! The one caveat: JS can write anywhere in its buffer. Rust therefore keeps every piece of
//! control data (arena cursor, owner count, generation) outside the JS-visible range and
//! never trusts what it reads back from it.
//!
//! # Layers
//!
//! Bottom to top; a layer imports only the layers below it (`tests/layers.rs` fails when
//! an import points up), and each is one folder or file under `src/`:
//! 1. `geometry` – block constants and their compile-time checks. Imports nothing.
//! 2. `block` – reserve/commit/decommit/free one block, its Rust-private metadata, the
//!    owner count, the live-block registry.
//! 3. `transfer` – [`RawTransferMetadata`], the record each hand-off writes for JS.
//! 4. `arena` – [`Allocator`] and [`FixedSizeAllocator`] (bump allocation in a block).
//! 5. [`layout`] (cargo feature `layout`, in the default set) – typed layouts:
//!    `#[derive(Layout)]`, the arena box, string, slice and vector types whose layout the
//!    crate guarantees, the layout hash, and the generator of JS readers, visitors and
//!    TypeScript types.
//! 6. `pool` – [`Pool`]: [`FixedSizeAllocatorPool`], [`AllocatorPool`], their guards.
//! 7. [`napi`] (cargo feature `napi`) – the generic Node-API layer other addons build on:
//!    per-environment hand-off, copy fallback, typed errors, the threaded producer job.
//!    Registers no JS exports.
//! 8. [`json`] (in `src/producers/`) – the reference producer: a JSON parser writing into
//!    a block, and the job that reads and parses files.
//! 9. `js_constants` – the numbers the JS reader needs, assembled from each layer's own
//!    list into `npm/reader/generated/` (raw-transfer-reader) and `js/generated/` (JSON).
//! 10. `addon` (cargo feature `addon`, the default) – this package's own `#[napi]` classes.
//!
//! Other addons depend on the crate with `default-features = false, features = ["napi"]`
//! (and `"layout"` for typed layouts).
//!
//! Every public item has one path: the types at the root, the Node-API layer under
//! [`napi`], typed layouts under [`layout`], the JSON producer under [`json`].

// The derive's expansions name `::raw_transfer::layout`; this makes that path work here too.
extern crate self as raw_transfer;

mod arena;
mod block;
mod geometry;
mod js_constants;
#[cfg(feature = "layout")]
pub mod layout;
#[cfg(feature = "napi")]
pub mod napi;
mod pool;
mod producers;
mod transfer;

#[cfg(feature = "addon")]
mod addon;

/// The `allocator-api2` this crate's [`Allocator`] implements `Allocator` of: use it for
/// arena collections (`allocator_api2::vec::Vec::new_in(&*block)`).
pub use allocator_api2;
pub use arena::{AllocError, Allocator, FixedSizeAllocator};
pub use block::{
    BlockError, MemoryMode, live_block_owners, live_blocks, memory_mode, overlaps_live_block,
};
pub use geometry::{
    ACTIVE_SIZE, BLOCK_ALIGN, BLOCK_SIZE, BUFFER_SIZE, RAW_METADATA_OFFSET, RAW_METADATA_SIZE,
};
pub use pool::{
    AllocatorGuard, AllocatorPool, FixedSizeAllocatorGuard, FixedSizeAllocatorPool, Pool,
    PoolError, PoolGuard, PoolStats, Pooled,
};
pub use producers::json;
pub use transfer::RawTransferMetadata;
