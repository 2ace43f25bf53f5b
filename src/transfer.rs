//! What Rust tells JS at each hand-off: [`RawTransferMetadata`], the last 16 bytes of the
//! JS-visible buffer.
//!
//! Rust writes it and never reads it back (JS may overwrite it at will); the generation
//! Rust writes comes from the Rust-side allocator, not from the block.

use crate::arena::FixedSizeAllocator;
use crate::geometry::RAW_METADATA_OFFSET;

/// The record at `[B + ACTIVE_SIZE, B + BUFFER_SIZE)`. All fields little-endian `u32`, so JS
/// reads them with one `Uint32Array` at index `RAW_METADATA_OFFSET / 4 + field`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RawTransferMetadata {
    /// Byte offset of the producer's root structure in the buffer.
    pub data_offset: u32,
    /// The block's generation at this hand-off (bumped on every reuse, never 0).
    pub generation: u32,
    /// Free for the producer (the JSON producer stores its format version here).
    pub producer0: u32,
    /// Free for the producer.
    pub producer1: u32,
}

/// Field indices in a `Uint32Array` view of the metadata, for the JS reader.
pub mod field {
    pub const DATA_OFFSET: usize = 0;
    pub const GENERATION: usize = 1;
    pub const PRODUCER0: usize = 2;
    pub const PRODUCER1: usize = 3;
}

const _: () = {
    assert!(size_of::<RawTransferMetadata>() == 16);
    assert!(std::mem::offset_of!(RawTransferMetadata, data_offset) == field::DATA_OFFSET * 4);
    assert!(std::mem::offset_of!(RawTransferMetadata, generation) == field::GENERATION * 4);
    assert!(std::mem::offset_of!(RawTransferMetadata, producer0) == field::PRODUCER0 * 4);
    assert!(std::mem::offset_of!(RawTransferMetadata, producer1) == field::PRODUCER1 * 4);
    assert!(RAW_METADATA_OFFSET % 4 == 0);
};

impl FixedSizeAllocator {
    /// Write the hand-off record for this block's current contents. `generation` is
    /// always this allocator's own, whatever `meta.generation` says.
    pub fn write_raw_metadata(&self, meta: RawTransferMetadata) {
        let meta = RawTransferMetadata {
            generation: self.generation(),
            ..meta
        };
        // JS may write the same bytes concurrently only if it misuses a stale view; a
        // volatile write keeps the compiler from assuming anything about them.
        // SAFETY: `base + RAW_METADATA_OFFSET` lies in the block's last page, committed at
        // creation, aligned (geometry asserts), and owned by this allocator.
        unsafe {
            let ptr = self
                .base_ptr()
                .add(RAW_METADATA_OFFSET)
                .cast::<RawTransferMetadata>();
            ptr.write_volatile(meta);
        }
    }
}

#[cfg(test)]
mod tests;
