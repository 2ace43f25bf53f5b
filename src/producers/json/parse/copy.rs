//! Copies of short slices into the arena without a `memcpy` call.
//!
//! The parser copies every container's children (an array of two numbers is 48 bytes) and every
//! decoded string (most are under 32 bytes) into the block. A call to `memcpy` with a length
//! it must dispatch on cost more than the copy: here up to 512 bytes are copied as
//! fixed-size pieces, the first `k` and the last `k` bytes for the power of two `k` with
//! `k <= len <= 2k` (overlapping in the middle), which the compiler turns into a few
//! register moves. Pieces stay at most 64 bytes: larger ones were library calls again.

use std::alloc::Layout;
use std::ptr::copy_nonoverlapping;

use crate::arena::{AllocError, FixedSizeAllocator};

/// Copy `src` into the arena, exactly as `try_alloc_slice_copy` does (same allocation, same
/// bytes), but without a library call for up to 512 bytes.
#[inline(always)]
pub(super) fn alloc_copy<'a, T: Copy>(
    alloc: &'a FixedSizeAllocator,
    src: &[T],
) -> Result<&'a [T], AllocError> {
    let n = src.len();
    let size = size_of_val(src);
    let dst = alloc.try_alloc_layout(Layout::for_value(src))?.cast::<T>();
    let s = src.as_ptr().cast::<u8>();
    let d = dst.as_ptr().cast::<u8>();
    // SAFETY: `dst` was just allocated for `size` bytes (`Layout::for_value(src)`), so it is
    // valid for writes of `size` bytes and does not overlap `src`, which is live memory
    // outside any allocation made since. Each arm with pieces has an `m` (8, 16, 32, 64, 128
    // or 256) with `m <= size <= 2m`: its front pieces copy bytes `0..m` and its back pieces
    // bytes `size - m..size`, so every piece is in bounds of both `src` and `dst`, and
    // together they cover `0..size` (some bytes twice, with the same values). So after the
    // match `dst` holds `n` initialized `T`s (which are `Copy`, so have no drop obligations),
    // aligned as `Layout::for_value` asked.
    unsafe {
        match size {
            0 => {}
            1..=7 => {
                for k in 0..size {
                    *d.add(k) = *s.add(k);
                }
            }
            8..=16 => {
                copy_nonoverlapping(s, d, 8);
                copy_nonoverlapping(s.add(size - 8), d.add(size - 8), 8);
            }
            17..=32 => {
                copy_nonoverlapping(s, d, 16);
                copy_nonoverlapping(s.add(size - 16), d.add(size - 16), 16);
            }
            33..=64 => {
                copy_nonoverlapping(s, d, 32);
                copy_nonoverlapping(s.add(size - 32), d.add(size - 32), 32);
            }
            65..=128 => {
                copy_nonoverlapping(s, d, 64);
                copy_nonoverlapping(s.add(size - 64), d.add(size - 64), 64);
            }
            129..=256 => {
                for k in [0, 64] {
                    copy_nonoverlapping(s.add(k), d.add(k), 64);
                    let back = size - 128 + k;
                    copy_nonoverlapping(s.add(back), d.add(back), 64);
                }
            }
            257..=512 => {
                for k in [0, 64, 128, 192] {
                    copy_nonoverlapping(s.add(k), d.add(k), 64);
                    let back = size - 256 + k;
                    copy_nonoverlapping(s.add(back), d.add(back), 64);
                }
            }
            _ => copy_nonoverlapping(s, d, size),
        }
        Ok(std::slice::from_raw_parts(dst.as_ptr(), n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::producers::json::layout::Node;

    /// Same bytes and same place in the block as the arena's own copy, for every length
    /// of bytes up to 600 and of nodes up to 40 (960 bytes), from three cursor alignments.
    #[test]
    fn same_as_the_arena_copy() {
        let _serial = crate::block::tests::SERIAL.lock();
        let mut alloc = FixedSizeAllocator::new().unwrap();
        let bytes: Vec<u8> = (0..=255u8)
            .cycle()
            .take(600)
            .map(|b| b.wrapping_mul(37) | 1)
            .collect();
        let nodes: Vec<Node> = (0..40u32)
            .map(|k| Node::new(k, k * 3, k * 5, k * 7, u64::from(k) << 40 | 0xabc))
            .collect();
        fn check<T: Copy + PartialEq + std::fmt::Debug>(
            alloc: &mut FixedSizeAllocator,
            offset: usize,
            src: &[T],
        ) {
            // Misalign the arena's cursor by `offset` bytes first.
            alloc.reset();
            alloc.try_alloc_slice_copy(&[0u8; 3][..offset]).unwrap();
            let ours = alloc_copy(alloc, src).unwrap();
            assert_eq!(ours, src);
            let (at, used) = (ours.as_ptr() as usize, alloc.used_bytes());
            alloc.reset();
            alloc.try_alloc_slice_copy(&[0u8; 3][..offset]).unwrap();
            let theirs = alloc.try_alloc_slice_copy(src).unwrap();
            assert_eq!(theirs.as_ptr() as usize, at, "{} elements", src.len());
            assert_eq!(alloc.used_bytes(), used, "{} elements", src.len());
        }
        for offset in 0..3 {
            for n in 0..=bytes.len() {
                check(&mut alloc, offset, &bytes[..n]);
            }
            for n in 0..=nodes.len() {
                check(&mut alloc, offset, &nodes[..n]);
            }
        }
    }
}
