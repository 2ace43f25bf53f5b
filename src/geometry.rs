//! Block geometry: the constants every other layer (and the JS reader) relies on.
//!
//! ```text
//!  B = block base, a multiple of BLOCK_ALIGN (4 GiB)
//!  B     B+DATA_START                               B+BUFFER_SIZE           B+BLOCK_SIZE
//!  |-raw-|------------ arena data region ---------------|---- fixed meta ----|
//!  |<-- JS buffer: a prefix of [B, B+BUFFER_SIZE) ------>|    Rust-private    |
//! ```
//!
//! The hand-off record (`raw`) comes first, so any prefix of the block that holds the data
//! in use also holds it: JS gets a buffer sized to what the block has committed, not 2 GiB
//! (V8 counts an external buffer's whole length as external memory and collects garbage
//! for it).
//!
//! Because `B` is 4 GiB-aligned and `BLOCK_SIZE < 4 GiB`, the low 32 bits of any pointer
//! into the block are its byte offset in the JS buffer. Because `BLOCK_SIZE < 2 GiB`, that
//! offset also fits in an `i32`, so JS can index `Int32Array`s with `offset >> 2`.

// The bottom layer: nothing of the crate is imported here. The two metadata records'
// sizes and alignment are stated as numbers, and the layers that define the records
// (`block`, `transfer`) assert at compile time that their types match them.

#[cfg(not(all(target_pointer_width = "64", target_endian = "little")))]
compile_error!(
    "raw-transfer needs a 64-bit little-endian target: blocks are 4 GiB-aligned and JS reads \
     pointers as little-endian u32 pairs"
);

/// Alignment of every block base: 4 GiB.
pub const BLOCK_ALIGN: usize = 1 << 32;

/// Bytes owned by one block, from its base.
pub const BLOCK_SIZE: usize = (1 << 31) - 16;

/// Size of `RawTransferMetadata`, the last bytes of the JS-visible buffer (asserted where the
/// type is defined).
pub const RAW_METADATA_SIZE: usize = 16;

/// Alignment of `RawTransferMetadata` (asserted where the type is defined).
pub const RAW_METADATA_ALIGN: usize = 4;

/// Size of `FixedSizeAllocatorMetadata`, the Rust-private record at the block's end
/// (asserted where the type is defined).
pub const FIXED_METADATA_SIZE: usize = 32;

/// Alignment of `FixedSizeAllocatorMetadata` (asserted where the type is defined).
pub const FIXED_METADATA_ALIGN: usize = 8;

/// Bytes reserved at the end of the block for [`FixedSizeAllocatorMetadata`]
/// (rounded up so the JS buffer ends on a 16-byte boundary).
pub const FIXED_METADATA_SIZE_ROUNDED: usize = FIXED_METADATA_SIZE.next_multiple_of(16);

/// The longest `ArrayBuffer` JS sees of a block: `[B, B + BUFFER_SIZE)`. What a hand-off
/// gives JS is a prefix of it, as long as the data in use needs.
pub const BUFFER_SIZE: usize = BLOCK_SIZE - FIXED_METADATA_SIZE_ROUNDED;

/// Offset of `RawTransferMetadata` from the block base: the first bytes of every buffer.
pub const RAW_METADATA_OFFSET: usize = 0;

/// Where the arena's data region starts: just past the hand-off record.
pub const DATA_START: usize = RAW_METADATA_SIZE;

/// The shortest buffer a hand-off sends: buffers are powers of two from this up (or the
/// whole `BUFFER_SIZE`), so V8 counts at least this much external memory per block.
pub const MIN_BUFFER_SIZE: usize = 1 << 20;

/// Length of the arena's data region: `[B + DATA_START, B + BUFFER_SIZE)`.
pub const ACTIVE_SIZE: usize = BUFFER_SIZE - DATA_START;

/// Offset of [`FixedSizeAllocatorMetadata`] from the block base.
pub const FIXED_METADATA_OFFSET: usize = BUFFER_SIZE;

/// Bytes of address space a block maps (its size rounded up to the largest page size we
/// support, 64 KiB), which is also what is given back to the OS when it is freed.
pub const BLOCK_MAPPED_SIZE: usize = BLOCK_SIZE.next_multiple_of(1 << 16);

const _: () = {
    assert!(BLOCK_ALIGN.is_power_of_two());
    assert!(
        BLOCK_SIZE < BLOCK_ALIGN,
        "offsets must be the low 32 bits of pointers"
    );
    assert!(
        BLOCK_SIZE <= i32::MAX as usize,
        "offsets must fit an i32 for JS typed arrays"
    );
    assert!(RAW_METADATA_SIZE == 16);
    assert!(DATA_START + ACTIVE_SIZE == BUFFER_SIZE);
    assert!(BUFFER_SIZE + FIXED_METADATA_SIZE_ROUNDED == BLOCK_SIZE);
    assert!(FIXED_METADATA_OFFSET.is_multiple_of(FIXED_METADATA_ALIGN));
    assert!(RAW_METADATA_OFFSET.is_multiple_of(RAW_METADATA_ALIGN));
    assert!(
        RAW_METADATA_OFFSET.is_multiple_of(8),
        "JS reads metadata through 4- and 8-byte views"
    );
    assert!(BUFFER_SIZE.is_multiple_of(16));
    assert!(MIN_BUFFER_SIZE.is_power_of_two() && MIN_BUFFER_SIZE < BUFFER_SIZE);
    assert!(BLOCK_MAPPED_SIZE <= 1 << 31);
    // The Rust-private record sits in the block's last 64 KiB (one page on every
    // platform), committed at creation.
    assert!(FIXED_METADATA_OFFSET >= BLOCK_MAPPED_SIZE - (1 << 16));
    assert!(RAW_METADATA_OFFSET + RAW_METADATA_SIZE <= DATA_START);
};

/// This layer's numbers for the JS reader (see `js_constants`).
pub(crate) const JS_CONSTANTS: &[(&str, usize)] = &[
    ("BLOCK_ALIGN", BLOCK_ALIGN),
    ("BLOCK_SIZE", BLOCK_SIZE),
    ("BUFFER_SIZE", BUFFER_SIZE),
    ("ACTIVE_SIZE", ACTIVE_SIZE),
    ("RAW_METADATA_SIZE", RAW_METADATA_SIZE),
    ("RAW_METADATA_OFFSET", RAW_METADATA_OFFSET),
    ("DATA_START", DATA_START),
    ("MIN_BUFFER_SIZE", MIN_BUFFER_SIZE),
];

/// Byte offset of `ptr` in the JS buffer of the block that contains it: its low 32 bits.
#[inline(always)]
pub const fn offset_of_ptr(addr: usize) -> u32 {
    addr as u32
}

/// Base address of the block that contains `addr`.
#[inline(always)]
pub const fn block_base_of(addr: usize) -> usize {
    addr & !(BLOCK_ALIGN - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_as_designed() {
        assert_eq!(BLOCK_ALIGN, 4 << 30);
        assert_eq!(BLOCK_SIZE, (2 << 30) - 16);
        assert_eq!(RAW_METADATA_SIZE, 16);
        assert_eq!(BUFFER_SIZE, (2 << 30) - 16 - FIXED_METADATA_SIZE_ROUNDED);
        assert_eq!(offset_of_ptr(7 * BLOCK_ALIGN + 1234), 1234);
        assert_eq!(block_base_of(7 * BLOCK_ALIGN + 1234), 7 * BLOCK_ALIGN);
    }
}
