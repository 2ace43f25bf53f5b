//! What Rust tells JS at each hand-off: [`RawTransferMetadata`], the last 16 bytes of the
//! JS-visible buffer.
//!
//! Rust writes it and never reads it back (JS may overwrite it at will); the generation
//! Rust writes comes from the Rust-side allocator, not from the block.

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

/// This layer's numbers for the JS reader (see `js_constants`): the field indices.
pub(crate) const JS_CONSTANTS: &[(&str, usize)] = &[
    ("META_DATA_OFFSET", field::DATA_OFFSET),
    ("META_GENERATION", field::GENERATION),
    ("META_PRODUCER0", field::PRODUCER0),
    ("META_PRODUCER1", field::PRODUCER1),
];

const _: () = {
    assert!(size_of::<RawTransferMetadata>() == crate::geometry::RAW_METADATA_SIZE);
    assert!(align_of::<RawTransferMetadata>() <= crate::geometry::RAW_METADATA_ALIGN);
    assert!(std::mem::offset_of!(RawTransferMetadata, data_offset) == field::DATA_OFFSET * 4);
    assert!(std::mem::offset_of!(RawTransferMetadata, generation) == field::GENERATION * 4);
    assert!(std::mem::offset_of!(RawTransferMetadata, producer0) == field::PRODUCER0 * 4);
    assert!(std::mem::offset_of!(RawTransferMetadata, producer1) == field::PRODUCER1 * 4);
    assert!(RAW_METADATA_OFFSET.is_multiple_of(4));
};

#[cfg(test)]
mod tests;
