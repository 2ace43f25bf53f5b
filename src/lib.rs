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
//! Layers, bottom to top (nothing calls upward):
//! 1. [`geometry`] – block constants and their compile-time checks.
//! 2. [`block`] – reserve/commit/decommit/free, [`FixedSizeAllocatorMetadata`], the owner count.
//! 3. [`arena`] – [`Allocator`] and [`FixedSizeAllocator`].
//! 4. [`pool`] – [`AllocatorPool`], [`FixedSizeAllocatorPool`], their guards.
//! 5. [`transfer`] – [`RawTransferMetadata`], written at each hand-off; with the cargo
//!    feature `napi`, [`napi`]: the public, generic Node-API layer other addons build on
//!    (per-environment hand-off, copy fallback, errors, the threaded producer job). It
//!    registers no JS exports.
//! 6. `addon` (cargo feature `addon`, the default) – this package's own `#[napi]` classes,
//!    built on 5 like any other addon's.
//! 7. [`producers`] – the reference JSON producer.
//!
//! Other addons depend on the crate with `default-features = false, features = ["napi"]`.

#[cfg(feature = "addon")]
mod addon;
pub mod arena;
pub mod block;
pub mod geometry;
#[cfg(feature = "napi")]
pub mod napi;
pub mod pool;
pub mod producers;
pub mod transfer;

/// The `allocator-api2` this crate's [`Allocator`] implements `Allocator` of: use it for
/// arena collections (`allocator_api2::vec::Vec::new_in(&*block)`).
pub use allocator_api2;
pub use arena::{AllocError, Allocator, FixedSizeAllocator};
pub use block::{
    BlockError, FixedSizeAllocatorMetadata, MemoryMode, free_fixed_size_allocator, live_blocks,
    memory_mode,
};
pub use geometry::{ACTIVE_SIZE, BLOCK_ALIGN, BLOCK_SIZE, BUFFER_SIZE, RAW_METADATA_SIZE};
pub use pool::{
    AllocatorGuard, AllocatorPool, FixedSizeAllocatorGuard, FixedSizeAllocatorPool, PoolError,
    PoolStats,
};
pub use transfer::RawTransferMetadata;
