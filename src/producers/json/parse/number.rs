//! Number literals: the grammar check and the conversion to the correctly rounded `f64`
//! (the value `JSON.parse` gives, and the standard library's `str::parse::<f64>`).
//!
//! A literal is read as `w × 10^q`: `w` its digits without the point (at most 19 of them, so
//! it fits a `u64`) and `q` the exponent less the fraction digits. Three ways to the value,
//! cheapest first:
//!
//! 1. `w <= 2^53` and `|q| <= 22`: `w` and `10^|q|` are both exact `f64`s, and one IEEE
//!    multiplication or division of exact values is correctly rounded.
//! 2. `|q| <= 38`: multiply `w` by a 128-bit approximation of `10^q` (exact for `q >= 0`,
//!    rounded down for `q < 0`) in integers. The top 64 bits of the 192-bit product hold the
//!    53 bits of the result and its rounding bit; the product is the true value less an
//!    error below one unit of its lowest 64 bits, so unless the bits under the rounding bit
//!    sit at one of the two places that error or an exact tie could move (all ones followed
//!    by an all-ones middle word, or all zeros followed by a zero middle word with the
//!    rounding bit set), the rounding is decided. Those rare cases take the third way.
//!    (The idea is the Eisel–Lemire one; this is a narrow version of it, written here.)
//! 3. Anything else (more than 19 digits, larger exponents, the ambiguous cases): the
//!    standard library's parser.
//!
//! The tests below check all three against `str::parse::<f64>` bit for bit.

use super::{R, fail, fail_at};
use crate::producers::json::JsonErrorKind as K;

/// Powers of ten exactly representable as `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The largest `|q|` of the 128-bit table (`10^38` is the largest power of ten in a `u128`).
const MAX_Q: i64 = 38;

/// `10^q` for `q` in `-MAX_Q..=MAX_Q` as `(m, s)` with `2^127 <= m < 2^128` and
/// `10^q = (m + d) / 2^s`: `d = 0` for `q >= 0` (exact), `0 < d < 1` for `q < 0` (`m` is
/// `10^q × 2^s` rounded down). Index `q + MAX_Q`.
static POW10_128: [(u128, i32); 2 * MAX_Q as usize + 1] = pow10_table();

const fn pow10_table() -> [(u128, i32); 2 * MAX_Q as usize + 1] {
    let mut table = [(0u128, 0i32); 2 * MAX_Q as usize + 1];
    let mut k = 0;
    while k <= MAX_Q as usize {
        let t = 10u128.pow(k as u32);
        // `t` has `bits` significant bits: 2^(bits-1) <= t < 2^bits.
        let bits = 128 - t.leading_zeros();
        // 10^k = (t << (128 - bits)) / 2^(128 - bits), exactly.
        table[MAX_Q as usize + k] = (t << (128 - bits), (128 - bits) as i32);
        if k > 0 {
            // 10^-k = (2^(127 + bits) / t) / 2^(127 + bits); the quotient is in
            // (2^127, 2^128) because 2^(bits-1) < t < 2^bits (t is not a power of two).
            let s = 127 + bits;
            table[MAX_Q as usize - k] = (div_pow2(s, t), s as i32);
        }
        k += 1;
    }
    table
}

/// `floor(2^n / t)` for `t` below `2^127` and a quotient below `2^128` (long division, one
/// bit at a time; run at compile time).
const fn div_pow2(n: u32, t: u128) -> u128 {
    let mut quotient = 0u128;
    let mut rem = 0u128;
    let mut i = n as i64;
    while i >= 0 {
        // The dividend 2^n has a single one bit, at `n`.
        rem = rem << 1 | (i == n as i64) as u128;
        if rem >= t {
            rem -= t;
            quotient |= 1 << i;
        }
        i -= 1;
    }
    quotient
}

/// Read the number literal at `start` (a `-` or digit). Returns its value and the offset
/// after it, or the `JSON.parse` error.
#[inline(always)]
pub(super) fn number(src: &[u8], start: usize) -> R<(f64, usize)> {
    let neg = src[start] == b'-';
    let mut i = start + neg as usize;
    let mut w: u64 = 0;
    match src.get(i) {
        Some(b'0') => {
            i += 1;
            if matches!(src.get(i), Some(b'0'..=b'9')) {
                return fail(src, K::UnexpectedNumber, i);
            }
        }
        Some(&b @ b'1'..=b'9') => {
            w = (b - b'0') as u64;
            i += 1;
            while let Some(&b @ b'0'..=b'9') = src.get(i) {
                w = w.wrapping_mul(10).wrapping_add((b - b'0') as u64);
                i += 1;
            }
        }
        _ => return fail_at(src, K::NoNumberAfterMinus, i),
    }
    let int_end = i;
    // Digits in `w` (leading zeros included, which only makes the check below stricter).
    let mut digits = int_end - start - neg as usize;
    // An integer (the byte after it is not `.`, `e` or `E`) of at most 15 digits is exact.
    if digits <= 15 && !matches!(src.get(i), Some(b'.' | b'e' | b'E')) {
        let v = w as f64;
        return Ok((if neg { -v } else { v }, i));
    }
    let mut q: i64 = 0;
    if src.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while let Some(&b @ b'0'..=b'9') = src.get(i) {
            w = w.wrapping_mul(10).wrapping_add((b - b'0') as u64);
            i += 1;
        }
        if i == frac_start {
            return fail_at(src, K::UnterminatedFraction, i);
        }
        digits += i - frac_start;
        q = -((i - frac_start) as i64);
    }
    if matches!(src.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exp_neg = match src.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let exp_start = i;
        let mut exp: i64 = 0;
        while let Some(&b @ b'0'..=b'9') = src.get(i) {
            // Saturates far outside any table (and below overflow of `q`).
            exp = (exp * 10 + (b - b'0') as i64).min(1 << 40);
            i += 1;
        }
        if i == exp_start {
            return fail_at(src, K::MissingExponent, i);
        }
        q += if exp_neg { -exp } else { exp };
    }
    let fast = if digits <= 19 {
        decimal_to_f64(w, q)
    } else {
        None
    };
    let value = match fast {
        Some(v) if neg => -v,
        Some(v) => v,
        None => slow_number(&src[start..i]),
    };
    Ok((value, i))
}

/// `w × 10^q`, correctly rounded, or `None` when it needs the exact parser.
#[inline(always)]
fn decimal_to_f64(w: u64, q: i64) -> Option<f64> {
    if w == 0 {
        return Some(0.0);
    }
    if w <= 1 << 53 && (-22..=22).contains(&q) {
        let v = w as f64;
        return Some(if q < 0 {
            v / POW10[(-q) as usize]
        } else {
            v * POW10[q as usize]
        });
    }
    if !(-MAX_Q..=MAX_Q).contains(&q) {
        return None;
    }
    wide(w, q)
}

/// The 128-bit way (2 in the module docs), for `w != 0` and `|q| <= MAX_Q`.
#[inline(never)]
fn wide(w: u64, q: i64) -> Option<f64> {
    let (m, s) = POW10_128[(q + MAX_Q) as usize];
    let l = w.leading_zeros();
    let wn = (w << l) as u128;
    // wn × m as hi:mid:lo (three 64-bit words); wn >= 2^63 and m >= 2^127, so hi >= 2^62.
    let low = wn * (m as u64) as u128;
    let high = wn * (m >> 64);
    let mid_sum = (low >> 64) + (high as u64) as u128;
    let mid = mid_sum as u64;
    let hi = ((high >> 64) + (mid_sum >> 64)) as u64;
    // The top bit of `hi` is bit 63 or 62; the 53 bits from it are the mantissa.
    let shift = 11 - hi.leading_zeros();
    let below_mask = (1u64 << (shift - 1)) - 1;
    let below = hi & below_mask;
    let round = (hi >> (shift - 1)) & 1;
    // The true product is wn × m plus less than 2^64: a carry could still reach the
    // rounding bit when everything under it is ones ...
    if below == below_mask && mid == u64::MAX {
        return None;
    }
    // ... and with the rounding bit set, whether the rest is zero (a tie, to even) or not
    // (round up) is unknown when everything under it that we see is zeros.
    if round == 1 && below == 0 && mid == 0 {
        return None;
    }
    let mut mantissa = (hi >> shift) + round;
    // value ≈ (hi >> shift) × 2^(shift + 128 - l - s), so its binary exponent is that
    // power plus 52.
    let mut exp = 180 + shift as i32 - l as i32 - s;
    if mantissa == 1 << 53 {
        mantissa = 1 << 52;
        exp += 1;
    }
    // |q| <= 38 and w < 2^64 keep the value far from subnormals and infinity.
    debug_assert!((-1022..=1023).contains(&exp));
    let biased = (exp + 1023) as u64;
    Some(f64::from_bits(biased << 52 | (mantissa & ((1 << 52) - 1))))
}

/// Parse a grammar-checked JSON number with the correctly rounded standard parser.
#[cold]
#[inline(never)]
fn slow_number(text: &[u8]) -> f64 {
    debug_assert!(text.iter().all(|b| b"+-.0123456789eE".contains(b)));
    // SAFETY: `number` checked the JSON number grammar over these bytes, so they are all
    // ASCII (`-`, `+`, `.`, digits, `e`/`E`), which is valid UTF-8.
    let s = unsafe { std::str::from_utf8_unchecked(text) };
    // A JSON number is a valid Rust float literal, so this cannot fail.
    s.parse::<f64>().unwrap_or_else(|_| {
        debug_assert!(false, "validated number {s:?} did not parse");
        f64::NAN
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Our value of `text` (a whole literal) against the standard library's, bit for bit.
    fn check(text: &str) {
        let expected: f64 = text.parse().unwrap();
        let (got, end) = number(text.as_bytes(), 0).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(end, text.len(), "{text}");
        assert_eq!(
            got.to_bits(),
            expected.to_bits(),
            "{text}: {got:e} vs {expected:e}"
        );
    }

    /// `w × 10^q` written as a literal, in one of several forms.
    fn literal(neg: bool, w: u64, q: i64, form: u8) -> String {
        let sign = if neg { "-" } else { "" };
        let digits = w.to_string();
        match form % 3 {
            // Digits then an exponent.
            0 => format!("{sign}{digits}e{q}"),
            // A point inside the digits where that gives the exponent, else an exponent.
            1 if q < 0 && (-q) as usize <= digits.len() + 3 => {
                let frac = (-q) as usize;
                let padded = format!("{digits:0>width$}", width = frac + 1);
                let (int, fraction) = padded.split_at(padded.len() - frac);
                format!("{sign}{int}.{fraction}")
            }
            // One digit before the point and the exponent adjusted.
            _ => {
                let e = q + digits.len() as i64 - 1;
                let (first, rest) = digits.split_at(1);
                if rest.is_empty() {
                    format!("{sign}{first}E{e:+}")
                } else {
                    format!("{sign}{first}.{rest}e{e}")
                }
            }
        }
    }

    #[test]
    fn the_table_is_right() {
        // 10^q × 2^s lies in [m, m + 1) for every entry, checked with f64 logs (coarse) and
        // by exact products for q >= 0.
        for q in -MAX_Q..=MAX_Q {
            let (m, s) = POW10_128[(q + MAX_Q) as usize];
            assert!(m >> 127 == 1, "{q}");
            let approx = (m as f64).log2() - s as f64;
            assert!((approx - q as f64 * 10f64.log2()).abs() < 1e-9, "{q}");
            if q >= 0 {
                assert_eq!(m >> s, 10u128.pow(q as u32), "{q}");
                assert_eq!(m & ((1 << s) - 1), 0, "{q}");
            } else {
                // m × 10^-q <= 2^s < (m + 1) × 10^-q, checked in 256-bit arithmetic as
                // m × 10^-q split into 64-bit limbs.
                let t = 10u128.pow((-q) as u32);
                let prod = |m: u128| mul_wide(m, t);
                let two_s = if s >= 128 {
                    (1u128 << (s - 128), 0)
                } else {
                    (0, 1u128 << s)
                };
                assert!(prod(m) <= two_s, "{q}");
                assert!(prod(m + 1) > two_s, "{q}");
            }
        }
    }

    /// The 256-bit product `a × b` as (high, low).
    fn mul_wide(a: u128, b: u128) -> (u128, u128) {
        let (a1, a0) = (a >> 64, a & u64::MAX as u128);
        let (b1, b0) = (b >> 64, b & u64::MAX as u128);
        let lo = a0 * b0;
        let m1 = a1 * b0;
        let m2 = a0 * b1;
        let hi = a1 * b1;
        let (mid, c1) = m1.overflowing_add(m2);
        let (low, c2) = lo.overflowing_add(mid << 64);
        let high = hi + (mid >> 64) + ((c1 as u128) << 64) + c2 as u128;
        (high, low)
    }

    #[test]
    fn edge_cases() {
        for text in [
            "0",
            "-0",
            "0.0",
            "-0.0",
            "0e0",
            "0e-400",
            "-0e400",
            "1",
            "-1",
            "9007199254740992",
            "9007199254740993",
            "9007199254740994",
            "9007199254740995",
            "18014398509481986",
            "18014398509481990",
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "2.2250738585072014e-308",
            "2.2250738585072011e-308",
            "4.9e-324",
            "5e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "1e-400",
            "1e400",
            "0.1",
            "0.2",
            "0.3",
            "1.1",
            "4.109999999999999",
            "41.09999999999999",
            "0.30000000000000004",
            "123456789012345678e-38",
            "123456789012345678e38",
            "1e38",
            "1e-38",
            "1e39",
            "1e-39",
            "1e22",
            "1e23",
            "1e-22",
            "1e-23",
            "4503599627370496.5",
            "4503599627370497.5",
            "45035996273704965e-1",
            "9007199254740993e0",
            "0.000000000000000000000000000000000001",
            "1.00000000000000011102230246251565404236316680908203125",
            "1.00000000000000011102230246251565404236316680908203124",
            "1.00000000000000011102230246251565404236316680908203126",
            "-12.5e+3",
            "3E-5",
        ] {
            check(text);
        }
    }

    #[test]
    fn ties_and_near_ties() {
        // (2m + 1) × 2^a × 5^j × 10^-j = (2m + 1) × 2^(a - j): halfway between two doubles
        // when 2m + 1 has 54 bits. Also one below and one above.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let m = (1u64 << 52) | (next() & ((1 << 52) - 1));
            let odd = 2 * m + 1;
            let a = next() % 10;
            let j = next() % 20;
            let Some(w) = 5u64.checked_pow(j as u32).and_then(|p| {
                odd.checked_shl(a as u32)
                    .filter(|v| v >> a == odd)?
                    .checked_mul(p)
            }) else {
                continue;
            };
            for w in [w - 1, w, w + 1] {
                if w < 10_000_000_000_000_000_000 {
                    for form in 0..3 {
                        check(&literal(false, w, -(j as i64), form));
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Random digit strings and exponents, in every form, across all three ways.
        #[test]
        fn random_decimals(
            neg in any::<bool>(),
            w in prop_oneof![any::<u64>(), 0u64..1 << 53, (1u64 << 53)..10_000_000_000_000_000_000],
            q in prop_oneof![-45i64..45, -400i64..400],
            form in 0u8..3,
        ) {
            let text = literal(neg, w, q, form);
            let expected: f64 = text.parse().unwrap();
            let (got, end) = number(text.as_bytes(), 0).unwrap();
            prop_assert_eq!(end, text.len());
            prop_assert_eq!(got.to_bits(), expected.to_bits(), "{}", text);
        }

        /// Every finite f64 in its shortest round-trip form (up to 17 digits), plain and with
        /// an exponent, and with fewer digits (`{:.k}`).
        #[test]
        fn printed_doubles(bits in any::<u64>(), k in 0usize..20) {
            let v = f64::from_bits(bits);
            prop_assume!(v.is_finite());
            for text in [format!("{v}"), format!("{v:e}"), format!("{v:.k$e}"), format!("{:.k$}", v % 1e6)] {
                let expected: f64 = text.parse().unwrap();
                let (got, end) = number(text.as_bytes(), 0).unwrap();
                prop_assert_eq!(end, text.len());
                prop_assert_eq!(got.to_bits(), expected.to_bits(), "{}", text);
            }
        }
    }
}
