//! [`Utf8String`]: a JS string argument as UTF-8, converted in one pass and allocated
//! fallibly.
//!
//! napi-rs's `String` argument asks V8 for the UTF-8 length (a pass over the string),
//! zero-fills a buffer of that length (a second) and converts into it (a third), and its
//! allocation aborts the process when it fails. A producer's source text can be tens of MB.
//! This type asks for the string's length in UTF-16 units (no pass: V8 keeps it), has the
//! runtime copy the string out as UTF-16 (a copy for a two-byte string, a widening one for a
//! one-byte string) and transcodes that to UTF-8 here, eight units at a time while they are
//! ASCII. V8's own UTF-8 writer (`napi_get_value_string_utf8`) goes a character at a time:
//! on 1 MB of code it took 1.1-1.35 ms, where the UTF-16 copy takes 0.17 ms and the
//! transcoding about as much. A string of more than 16 Mi units is written as UTF-8 by the
//! runtime, as before: its UTF-16 copy would be more memory than the speed is worth. Every
//! buffer is reserved with `try_reserve_exact`; untouched capacity costs address space, not
//! memory.

use std::ops::Deref;
use std::ptr;

use ::napi::bindgen_prelude::{FromNapiValue, TypeName, ValidateNapiValue, ValueType};
use ::napi::sys;

use super::error::{ErrorCode, TransferError};

/// A JS string argument, as UTF-8. Lone surrogates become U+FFFD, as with napi-rs's
/// `String`; a value that is not a string is an `InvalidArgumentError`; a string whose
/// buffer cannot be allocated is an `OutOfMemoryError`.
pub struct Utf8String(String);

impl Utf8String {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl Deref for Utf8String {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl TypeName for Utf8String {
    fn type_name() -> &'static str {
        "String"
    }

    fn value_type() -> ValueType {
        ValueType::String
    }
}

impl ValidateNapiValue for Utf8String {}

impl FromNapiValue for Utf8String {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> ::napi::Result<Self> {
        // Its errors typed (InvalidArgumentError, OutOfMemoryError) though napi-rs converts
        // arguments before a `#[napi]` function's body enters `catch_panic_in`.
        // SAFETY: (of the closure's calls) as in `convert`.
        super::throw::in_call(env, || unsafe { convert(env, value) })
    }
}

/// `Utf8String::from_napi_value`'s conversion.
///
/// # Safety
/// `env` and `value` come from the calling #[napi] function.
unsafe fn convert(env: sys::napi_env, value: sys::napi_value) -> ::napi::Result<Utf8String> {
    // SAFETY: the caller's contract.
    unsafe { string_utf8(env, value) }.map(|(text, _)| Utf8String(text))
}

/// A JS string as UTF-8, and whether a surrogate without its pair became U+FFFD: known
/// (`Some`) when the string was transcoded here; `None` when the runtime wrote the UTF-8
/// (strings over 16 Mi units), which replaces them unseen (a U+FFFD in the text may have
/// been one: a caller that needs to know looks for it).
///
/// # Safety
/// `env` must be current and `value` an argument of the call in progress (or a handle of
/// its scope).
pub(crate) unsafe fn string_utf8(
    env: sys::napi_env,
    value: sys::napi_value,
) -> ::napi::Result<(String, Option<bool>)> {
    let mut units = 0usize;
    // SAFETY: `env` and `value` come from the calling #[napi] function; with a null
    // buffer the call only reports the string's length in UTF-16 units.
    let status =
        unsafe { sys::napi_get_value_string_utf16(env, value, ptr::null_mut(), 0, &mut units) };
    if status == sys::Status::napi_string_expected {
        return Err(TransferError::new(ErrorCode::InvalidArgument, "expected a string").into());
    }
    if status != sys::Status::napi_ok {
        return Err(TransferError::internal("napi_get_value_string_utf16 failed").into());
    }
    if units <= VIA_UTF16_MAX_UNITS {
        // SAFETY: as above; `units` is the string's length.
        let (text, lossy) = unsafe { via_utf16(env, value, units)? };
        Ok((text, Some(lossy)))
    } else {
        // SAFETY: as above.
        Ok((unsafe { via_utf8(env, value, units)? }, None))
    }
}

/// Strings up to this many UTF-16 units are copied out as UTF-16 and transcoded here; a
/// longer one is written as UTF-8 by the runtime, so that its conversion never holds a
/// UTF-16 copy (2 bytes a unit) beside the UTF-8: at most 32 MiB more, for the speed.
const VIA_UTF16_MAX_UNITS: usize = 16 << 20;

/// The string of `units` UTF-16 units, copied out as UTF-16 and transcoded here.
///
/// # Safety
/// `env` must be current and `value` a string of `units` units on it.
unsafe fn via_utf16(
    env: sys::napi_env,
    value: sys::napi_value,
    units: usize,
) -> ::napi::Result<(String, bool)> {
    // The UTF-16 copy, and the NUL Node-API writes after it.
    let wide_capacity = units.checked_add(1).ok_or_else(|| too_big(units))?;
    let mut wide: Vec<u16> = Vec::new();
    wide.try_reserve_exact(wide_capacity)
        .map_err(|_| too_big(units))?;
    let mut written = 0usize;
    // SAFETY: `env` and `value` are current (contract); `wide` has `wide_capacity` units of
    // spare capacity, and Node-API writes at most that many (the text, cut to
    // `wide_capacity - 1` units, and a NUL), reporting how many of the text's it wrote in
    // `written`.
    let status = unsafe {
        sys::napi_get_value_string_utf16(env, value, wide.as_mut_ptr(), wide_capacity, &mut written)
    };
    if status != sys::Status::napi_ok || written > units {
        return Err(TransferError::internal("napi_get_value_string_utf16 failed").into());
    }
    // SAFETY: the call above initialized the first `written` units (`written <= units <
    // wide_capacity`, the reserved length).
    unsafe { wide.set_len(written) };
    // Each unit takes at most 3 bytes of UTF-8 (a surrogate pair, two units, takes 4).
    let capacity = written.checked_mul(3).ok_or_else(|| too_big(units))?;
    let mut bytes: Vec<u8> = Vec::new();
    bytes
        .try_reserve_exact(capacity)
        .map_err(|_| too_big(units))?;
    let Some(lossy) = utf16_to_utf8(&wide, &mut bytes) else {
        return Err(TransferError::internal("a UTF-8 buffer too small for its string").into());
    };
    // SAFETY: `utf16_to_utf8` writes only whole, valid UTF-8 sequences (a surrogate without
    // its pair becomes U+FFFD, as in V8's own conversion).
    Ok((unsafe { String::from_utf8_unchecked(bytes) }, lossy))
}

/// The string of `units` UTF-16 units, written as UTF-8 by the runtime.
///
/// # Safety
/// `env` must be current and `value` a string of `units` units on it.
unsafe fn via_utf8(
    env: sys::napi_env,
    value: sys::napi_value,
    units: usize,
) -> ::napi::Result<String> {
    // Each UTF-16 unit takes at most 3 bytes of UTF-8 (a surrogate pair, two units, takes
    // 4), plus the terminating NUL Node-API writes.
    let capacity = units
        .checked_mul(3)
        .and_then(|n| n.checked_add(1))
        .ok_or_else(|| too_big(units))?;
    let mut bytes: Vec<u8> = Vec::new();
    bytes
        .try_reserve_exact(capacity)
        .map_err(|_| too_big(units))?;
    let mut written = 0usize;
    // SAFETY: `env` and `value` are current (contract); `bytes` has `capacity` bytes of
    // spare capacity, and Node-API writes at most `capacity` bytes (the text, cut to
    // `capacity - 1`, and a NUL), reporting how many of the text's it wrote in `written`.
    let status = unsafe {
        sys::napi_get_value_string_utf8(
            env,
            value,
            bytes.as_mut_ptr().cast(),
            capacity,
            &mut written,
        )
    };
    if status != sys::Status::napi_ok || written >= capacity {
        return Err(TransferError::internal("napi_get_value_string_utf8 failed").into());
    }
    // SAFETY: the call above initialized the first `written` bytes (`written < capacity`,
    // the reserved length).
    unsafe { bytes.set_len(written) };
    // V8 writes valid UTF-8 (lone surrogates replaced), but a runtime's Node-API need not:
    // check, and replace what is invalid.
    Ok(if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: just checked to be valid UTF-8.
        unsafe { String::from_utf8_unchecked(bytes) }
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Append `src` as UTF-8 to `out`, if `out` has at least 3 bytes of spare capacity per unit
/// of `src` (else `None`, and nothing is written). A surrogate without its pair (a JS string
/// may hold one) becomes U+FFFD; the answer says whether that happened.
fn utf16_to_utf8(src: &[u16], out: &mut Vec<u8>) -> Option<bool> {
    const REPLACEMENT: [u8; 3] = [0xEF, 0xBF, 0xBD];
    let dst = out.spare_capacity_mut();
    if dst.len() / 3 < src.len() {
        return None;
    }
    let mut lossy = false;
    // Each unit read writes at most 3 bytes (a pair, two units, writes 4), so `o <= 3 * i`
    // throughout, and every write below is within `dst`.
    let (mut i, mut o) = (0, 0);
    while i < src.len() {
        // ASCII, eight units at a time: one test of all eight, and a narrowing copy (the
        // compiler makes both a few vector instructions).
        while let (Some(s), Some(d)) = (src.get(i..i + 8), dst.get_mut(o..o + 8)) {
            if s.iter().fold(0, |a, &u| a | u) >= 0x80 {
                break;
            }
            for (d, &u) in d.iter_mut().zip(s) {
                d.write(u as u8);
            }
            i += 8;
            o += 8;
        }
        let Some(&u) = src.get(i) else { break };
        let c = u32::from(u);
        let mut put = |bytes: &[u8]| {
            for (d, &b) in dst[o..o + bytes.len()].iter_mut().zip(bytes) {
                d.write(b);
            }
            o += bytes.len();
        };
        i += 1;
        match c {
            0..0x80 => put(&[c as u8]),
            0x80..0x800 => put(&[0xC0 | (c >> 6) as u8, 0x80 | (c & 0x3F) as u8]),
            0xD800..0xDC00 => match src.get(i) {
                Some(&low) if (0xDC00..0xE000).contains(&low) => {
                    i += 1;
                    let c = 0x10000 + ((c - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    put(&[
                        0xF0 | (c >> 18) as u8,
                        0x80 | ((c >> 12) & 0x3F) as u8,
                        0x80 | ((c >> 6) & 0x3F) as u8,
                        0x80 | (c & 0x3F) as u8,
                    ]);
                }
                _ => {
                    lossy = true;
                    put(&REPLACEMENT);
                }
            },
            0xDC00..0xE000 => {
                lossy = true;
                put(&REPLACEMENT);
            }
            _ => put(&[
                0xE0 | (c >> 12) as u8,
                0x80 | ((c >> 6) & 0x3F) as u8,
                0x80 | (c & 0x3F) as u8,
            ]),
        }
    }
    let len = out.len() + o;
    // SAFETY: the loop above initialized `o` bytes of the spare capacity, from its start.
    unsafe { out.set_len(len) };
    Some(lossy)
}

fn too_big(units: usize) -> ::napi::Error {
    TransferError::new(
        ErrorCode::OutOfMemory,
        format!("could not allocate the UTF-8 text of a string of {units} UTF-16 units"),
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::utf16_to_utf8;

    fn convert(units: &[u16]) -> String {
        let mut out = Vec::with_capacity(units.len() * 3);
        let lossy = utf16_to_utf8(units, &mut out).expect("room enough");
        // Lossy exactly when the standard library finds a surrogate without its pair.
        assert_eq!(lossy, String::from_utf16(units).is_err(), "{units:x?}");
        String::from_utf8(out).expect("valid UTF-8")
    }

    #[test]
    fn transcodes_as_the_standard_library_does() {
        // Every kind of unit at every position around the 8-unit ASCII steps: ASCII, two-
        // and three-byte characters, pairs, and surrogates alone (high, low, at the end).
        let pieces: [&[u16]; 9] = [
            &[0x41],
            &[0x7F],
            &[0x80],
            &[0x7FF],
            &[0x800, 0xFFFF],
            &[0xD83D, 0xDE00],
            &[0xD800],
            &[0xDC00],
            &[0xD800, 0xD800, 0xDC00],
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for len in 0..300 {
            let mut units = Vec::new();
            while units.len() < len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                if seed.is_multiple_of(3) {
                    units.extend_from_slice(pieces[(seed >> 8) as usize % pieces.len()]);
                } else {
                    units.extend(std::iter::repeat_n(0x61, (seed >> 16) as usize % 20));
                }
            }
            assert_eq!(
                convert(&units),
                String::from_utf16_lossy(&units),
                "{units:x?}"
            );
        }
        let text = "plain ascii, then é, €, 😀, and more ascii after: 0123456789abcdef";
        let units: Vec<u16> = text.encode_utf16().collect();
        assert_eq!(convert(&units), text);
    }

    #[test]
    fn refuses_a_buffer_too_small() {
        let mut out = Vec::with_capacity(5);
        assert_eq!(utf16_to_utf8(&[0x41, 0x42], &mut out), None);
        assert!(out.is_empty());
    }
}
