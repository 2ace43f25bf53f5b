//! The byte scans the parser spends its time in, 16 bytes at a time: runs of whitespace
//! (pretty-printed JSON is a quarter or more indentation) and string bodies up to the next
//! `"`, `\` or control byte.
//!
//! On x86-64 they use SSE2, which every x86-64 CPU has (it is part of the target's
//! baseline, so no runtime detection is needed); elsewhere, the same scans eight bytes at a
//! time in a `u64` (SWAR). Both give the same answers; the tests below check the two against
//! a byte-by-byte reference.

/// Whether `b` is JSON whitespace.
#[inline(always)]
pub(super) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// The offset of the first byte at or after `from` that is not whitespace (`src.len()` if
/// there is none).
#[inline(always)]
pub(super) fn skip_ws(src: &[u8], mut i: usize) -> usize {
    while i + 16 <= src.len() {
        let mask = ws_mask16(src, i);
        if mask != 0xffff {
            return i + (!mask).trailing_zeros() as usize;
        }
        i += 16;
    }
    while i < src.len() && is_ws(src[i]) {
        i += 1;
    }
    i
}

/// From `from`, the first `"`, `\` or byte below 0x20 (or `src.len()`), and whether any byte
/// before it has its high bit set (is not ASCII).
#[inline(always)]
pub(super) fn string_end(src: &[u8], mut i: usize) -> (usize, bool) {
    let mut high = false;
    while i + 16 <= src.len() {
        let (special, nonascii) = string_masks16(src, i);
        if special != 0 {
            let k = special.trailing_zeros();
            high |= nonascii & ((1u32 << k) - 1) != 0;
            return (i + k as usize, high);
        }
        high |= nonascii != 0;
        i += 16;
    }
    while i < src.len() {
        let b = src[i];
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        high |= b >= 0x80;
        i += 1;
    }
    (i, high)
}

/// A string body at `at` that ends within 16 bytes, read in one step (most object keys and
/// many values): when its closing `"` is among the 16 bytes from `at`, with no `\` or
/// control byte before it, its length (at most 15) and whether it is all ASCII. `None`
/// otherwise (also within 16 bytes of the end of the text).
#[inline(always)]
pub(super) fn short_string(src: &[u8], at: usize) -> Option<(usize, bool)> {
    if at + 16 > src.len() {
        return None;
    }
    let (special, nonascii) = string_masks16(src, at);
    if special == 0 {
        return None;
    }
    let len = special.trailing_zeros() as usize;
    if src[at + len] != b'"' {
        return None;
    }
    Some((len, nonascii & ((1u32 << len) - 1) == 0))
}

/// The key signature of [`super::keys::signature`] for the `len <= 15` bytes at `at`, which
/// [`short_string`] found: the 16 bytes from `at` with those past the key zeroed.
#[inline(always)]
pub(super) fn short_signature(src: &[u8], at: usize, len: usize) -> [u64; 2] {
    let word = |k: usize| u64::from_le_bytes(src[k..k + 8].try_into().unwrap_or([0; 8]));
    let keep = KEEP_BYTES[len & 15];
    [word(at) & keep[0], word(at + 8) & keep[1]]
}

/// `KEEP_BYTES[n]`: a 16-byte mask (two little-endian words) of the first `n` bytes.
static KEEP_BYTES: [[u64; 2]; 16] = {
    let mut table = [[0u64; 2]; 16];
    let mut n = 0;
    while n < 16 {
        let bits = 8 * n as u32;
        table[n] = if n < 8 {
            [(1u64 << bits) - 1, 0]
        } else {
            [u64::MAX, (1u64 << (bits - 64)) - 1]
        };
        n += 1;
    }
    table
};

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    /// The 16 bytes at `at` (the caller checked `at + 16 <= src.len()`).
    #[inline(always)]
    fn load(src: &[u8], at: usize) -> __m128i {
        let bytes: &[u8; 16] = src[at..at + 16].try_into().expect("16 bytes");
        // SAFETY: `bytes` is 16 readable bytes (a checked sub-slice of `src`), and
        // `_mm_loadu_si128` has no alignment requirement. SSE2 is enabled for this build
        // (the module's cfg; it is part of the x86-64 baseline), so the instruction exists.
        unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
    }

    /// Bit k set when byte `at + k` is whitespace.
    #[inline(always)]
    pub(super) fn ws_mask16(src: &[u8], at: usize) -> u32 {
        let v = load(src, at);
        // SAFETY: register-only SSE2 operations (no memory access); SSE2 is enabled for this
        // build (the module's cfg), so the instructions exist.
        unsafe {
            let eq = |c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
            let ws = _mm_or_si128(
                _mm_or_si128(eq(b' '), eq(b'\n')),
                _mm_or_si128(eq(b'\r'), eq(b'\t')),
            );
            _mm_movemask_epi8(ws) as u32
        }
    }

    /// (bit k set when byte `at + k` is `"`, `\` or below 0x20; bit k set when it is >= 0x80).
    #[inline(always)]
    pub(in super::super) fn string_masks16(src: &[u8], at: usize) -> (u32, u32) {
        let v = load(src, at);
        // SAFETY: as in `ws_mask16`: register-only SSE2 operations, SSE2 enabled.
        unsafe {
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            // v <= 0x1f (unsigned) exactly when max(v, 0x1f) == 0x1f.
            let limit = _mm_set1_epi8(0x1f);
            let control = _mm_cmpeq_epi8(_mm_max_epu8(v, limit), limit);
            let special = _mm_or_si128(_mm_or_si128(quote, backslash), control);
            (
                _mm_movemask_epi8(special) as u32,
                _mm_movemask_epi8(v) as u32,
            )
        }
    }
}

// Compiled everywhere so that the tests check it on x86-64 too.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
mod swar {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;

    #[inline(always)]
    fn word(src: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(src[at..at + 8].try_into().expect("8 bytes"))
    }

    /// High bit of every byte lane of `w` that is zero (exact: no borrow between lanes).
    #[inline(always)]
    fn zero_lanes(w: u64) -> u64 {
        !(((w & LOWS) + LOWS) | w | LOWS)
    }

    /// One bit per byte (bit k for lane k) from the lanes' high bits.
    #[inline(always)]
    fn compress(h: u64) -> u32 {
        // Gather bit 7 of every byte into the top byte, then shift it down.
        (((h >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56) as u32
    }

    #[inline(always)]
    fn ws8(w: u64) -> u32 {
        let eq = |c: u8| zero_lanes(w ^ (ONES * c as u64));
        compress(eq(b' ') | eq(b'\n') | eq(b'\r') | eq(b'\t'))
    }

    #[inline(always)]
    fn special8(w: u64) -> (u32, u32) {
        let eq = |c: u8| zero_lanes(w ^ (ONES * c as u64));
        // Below 0x20: the lane's top three bits are all zero.
        let control = zero_lanes(w & (ONES * 0xe0));
        (
            compress(eq(b'"') | eq(b'\\') | control),
            compress(w & HIGHS),
        )
    }

    pub(super) fn ws_mask16(src: &[u8], at: usize) -> u32 {
        ws8(word(src, at)) | ws8(word(src, at + 8)) << 8
    }

    pub(in super::super) fn string_masks16(src: &[u8], at: usize) -> (u32, u32) {
        let (s0, h0) = special8(word(src, at));
        let (s1, h1) = special8(word(src, at + 8));
        (s0 | s1 << 8, h0 | h1 << 8)
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(super) use sse2::string_masks16;
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
use sse2::ws_mask16;
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(super) use swar::string_masks16;
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
use swar::ws_mask16;

#[cfg(test)]
mod tests {
    use super::*;

    fn reference_ws(src: &[u8], mut i: usize) -> usize {
        while i < src.len() && is_ws(src[i]) {
            i += 1;
        }
        i
    }

    fn reference_string(src: &[u8], mut i: usize) -> (usize, bool) {
        let mut high = false;
        while i < src.len() && !(src[i] == b'"' || src[i] == b'\\' || src[i] < 0x20) {
            high |= src[i] >= 0x80;
            i += 1;
        }
        (i, high)
    }

    /// Both lane implementations agree with each other on every byte value.
    #[test]
    fn lane_masks_agree() {
        for b in 0..=255u8 {
            for at in 0..16 {
                for filler in [b' ', b'a', 0xc3, b'\t', b'"'] {
                    let mut src = [filler; 16];
                    src[at] = b;
                    let expected_ws = (0..16)
                        .filter(|&k| is_ws(src[k]))
                        .fold(0u32, |m, k| m | 1 << k);
                    let expected_special = (0..16)
                        .filter(|&k| src[k] == b'"' || src[k] == b'\\' || src[k] < 0x20)
                        .fold(0u32, |m, k| m | 1 << k);
                    let expected_high = (0..16)
                        .filter(|&k| src[k] >= 0x80)
                        .fold(0u32, |m, k| m | 1 << k);
                    assert_eq!(swar::ws_mask16(&src, 0), expected_ws, "swar ws {src:?}");
                    assert_eq!(
                        swar::string_masks16(&src, 0),
                        (expected_special, expected_high),
                        "swar {src:?}"
                    );
                    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
                    {
                        assert_eq!(sse2::ws_mask16(&src, 0), expected_ws, "sse2 ws {src:?}");
                        assert_eq!(
                            sse2::string_masks16(&src, 0),
                            (expected_special, expected_high),
                            "sse2 {src:?}"
                        );
                    }
                }
            }
        }
    }

    /// Every byte value at every lane position, and runs that cross the 16-byte steps.
    #[test]
    fn scans_match_the_byte_by_byte_reference() {
        for b in 0..=255u8 {
            for at in 0..40 {
                for filler in [b' ', b'a', 0xc3, b'\t'] {
                    let mut src = vec![filler; 40];
                    src[at] = b;
                    for from in [0, 1, 15, 16, 17] {
                        assert_eq!(
                            skip_ws(&src, from),
                            reference_ws(&src, from),
                            "ws {b:#x} at {at} from {from} in {filler:#x}"
                        );
                        assert_eq!(
                            string_end(&src, from),
                            reference_string(&src, from),
                            "string {b:#x} at {at} from {from} in {filler:#x}"
                        );
                    }
                }
            }
        }
    }
}
