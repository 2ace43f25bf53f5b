//! String literals: the fast scan over escape-free bodies, escape decoding into UTF-8, and
//! the UTF-16 fallback for strings with lone surrogates.

use super::{R, Run, fail, fail_at, hex_value};
use crate::arena::FixedSizeAllocator;
use crate::producers::json::JsonErrorKind as K;
use crate::producers::json::layout::{FLAG_ASCII, FLAG_IN_SOURCE, FLAG_UTF16, Node, TYPE_STRING};

impl Run<'_, '_> {
    /// Parse the string literal whose `"` is at `pos`.
    #[inline(always)]
    pub(super) fn string(&mut self) -> R<Node> {
        let start = self.pos;
        let body = start + 1;
        let (i, ascii) = match super::scan::short_string(self.src, body) {
            // Short and verbatim: one 16-byte step found its end.
            Some((len, ascii)) if ascii || self.utf8_valid => (body + len, ascii),
            _ => scan(self.src, self.utf8_valid, body)?,
        };
        if self.src[i] != b'"' {
            let mut decoder = Decoder {
                src: self.src,
                utf8_valid: self.utf8_valid,
                buf: &mut *self.buf,
                buf16: &mut *self.buf16,
                alloc: self.alloc,
            };
            let (node, end, ascii) = decoder.escaped_string(start, i, ascii)?;
            self.pos = end;
            self.ascii &= ascii;
            return Ok(node);
        }
        self.pos = i + 1;
        self.ascii &= ascii;
        let kind = TYPE_STRING | FLAG_IN_SOURCE | if ascii { FLAG_ASCII } else { 0 };
        let payload = self.src_addr + body as u64;
        Ok(Node::new(
            kind,
            (i - body) as u32,
            start as u32,
            self.pos as u32,
            payload,
        ))
    }
}

/// From `from`, find the first `"`, `\` or control character, checking that the bytes
/// before it are UTF-8 (unless the whole source is known to be). Returns its offset (always
/// inside the source) and whether the bytes before it are all ASCII.
#[inline(always)]
fn scan(src: &[u8], utf8_valid: bool, from: usize) -> R<(usize, bool)> {
    let (i, high) = super::scan::string_end(src, from);
    if high && !utf8_valid {
        check_utf8(src, from, i)?;
    }
    if i >= src.len() {
        return fail(src, K::UnterminatedString, src.len());
    }
    Ok((i, !high))
}

#[inline(never)]
fn check_utf8(src: &[u8], from: usize, to: usize) -> R<()> {
    match std::str::from_utf8(&src[from..to]) {
        Ok(_) => Ok(()),
        Err(e) => fail(src, K::InvalidUtf8, from + e.valid_up_to()),
    }
}

/// The decoding of strings with escapes, out of line. It gets what it needs from the run
/// (the text, the scratch buffers, the arena), not the run itself: see [`Run`] on why no
/// function that is not inlined may take the run.
pub(super) struct Decoder<'a, 'p> {
    src: &'p [u8],
    utf8_valid: bool,
    buf: &'p mut Vec<u8>,
    buf16: &'p mut Vec<u16>,
    alloc: &'a FixedSizeAllocator,
}

impl Decoder<'_, '_> {
    /// Decode a string with escapes into the arena. `start` is its `"`, `i` the first
    /// special byte, `ascii` whether the bytes before `i` are ASCII. Returns the node, the
    /// offset after its closing `"`, and whether the decoded text is ASCII.
    #[inline(never)]
    fn escaped_string(&mut self, start: usize, i: usize, ascii: bool) -> R<(Node, usize, bool)> {
        // Decode into a local vector: its length and capacity then live in registers. Through
        // `self.buf`, every byte stored (a `u8` write may alias anything) made the compiler
        // reload them.
        let mut out = std::mem::take(self.buf);
        out.clear();
        let decoded = self.decode_utf8(&mut out, start, i, ascii);
        let result = match decoded {
            Ok(Some((end, ascii))) => super::copy::alloc_copy(self.alloc, out.as_slice())
                .map_err(Into::into)
                .map(|data| {
                    let kind = TYPE_STRING | if ascii { FLAG_ASCII } else { 0 };
                    let node = Node::new(
                        kind,
                        data.len() as u32,
                        start as u32,
                        end as u32,
                        data.as_ptr() as u64,
                    );
                    (node, end, ascii)
                }),
            Ok(None) => {
                *self.buf = out;
                return self.utf16_string(start);
            }
            Err(e) => Err(e),
        };
        *self.buf = out;
        result
    }

    /// The UTF-8 decoding of [`Self::escaped_string`] into `out`: the offset after the
    /// closing `"` and whether the text is ASCII, or `None` if the string holds a lone
    /// surrogate (it must be decoded as UTF-16).
    ///
    /// The text between escapes is scanned and copied in the same 16-byte steps: each step
    /// stores all 16 bytes into the spare capacity of `out` and keeps those before the first
    /// `"`, `\` or control byte (there is no separate scan, then copy, of each piece).
    #[inline(always)]
    fn decode_utf8(
        &self,
        out: &mut Vec<u8>,
        start: usize,
        mut i: usize,
        mut ascii: bool,
    ) -> R<Option<(usize, bool)>> {
        let src = self.src;
        push_segment(out, src, start + 1, i)?;
        loop {
            // `src[i]` stopped a scan: the closing `"`, a `\` or a control byte.
            let b = src[i];
            if b != b'\\' {
                if b == b'"' {
                    return Ok(Some((i + 1, ascii)));
                }
                return fail(src, K::BadControlCharacter, i);
            }
            let Some(&escape) = src.get(i + 1) else {
                return fail(src, K::UnexpectedEnd, src.len());
            };
            // One table load instead of a jump on the escape letter (a jump table whose
            // target changed from escape to escape was a tenth of this function's time).
            let byte = ESCAPES[escape as usize];
            if byte > ESCAPE_U {
                room(out, 1)?;
                out.push(byte);
                i += 2;
            } else if byte == ESCAPE_U {
                let unit = self.hex4(i + 2)?;
                i += 6;
                let code = match unit {
                    0xd800..=0xdbff => match self.low_surrogate_at(i) {
                        Some(low) => {
                            i += 6;
                            0x10000 + ((unit as u32 - 0xd800) << 10) + (low as u32 - 0xdc00)
                        }
                        None => return Ok(None),
                    },
                    0xdc00..=0xdfff => return Ok(None),
                    _ => unit as u32,
                };
                ascii &= code < 0x80;
                room(out, 4)?;
                push_utf8(out, code);
            } else {
                return fail_at(src, K::BadEscape, i + 1);
            }
            i = self.copy_verbatim(out, i, &mut ascii)?;
        }
    }

    /// Copy the verbatim text from `from` up to the next `"`, `\` or control byte into
    /// `out`, checking it as UTF-8 if the source is not known to be, and clearing `ascii` if
    /// it is not all ASCII. Returns the offset of that byte (always inside the source).
    #[inline(always)]
    fn copy_verbatim(&self, out: &mut Vec<u8>, from: usize, ascii: &mut bool) -> R<usize> {
        let src = self.src;
        let mut i = from;
        let mut high = 0u32;
        while i + 16 <= src.len() {
            let (special, nonascii) = super::scan::string_masks16(src, i);
            room(out, 16)?;
            let len = out.len();
            // How many of the 16 bytes belong to the piece: those before the first special
            // byte, or all of them.
            let n = if special != 0 {
                special.trailing_zeros()
            } else {
                16
            };
            // SAFETY: 16 bytes are readable at `i` (`i + 16 <= src.len()`) and writable at
            // `len` (`room(out, 16)`); `src` (the caller's text) and `out` (our scratch) never
            // overlap; `set_len` claims only the first `n <= 16` bytes, all written here.
            unsafe {
                std::ptr::copy_nonoverlapping(src.as_ptr().add(i), out.as_mut_ptr().add(len), 16);
                out.set_len(len + n as usize);
            }
            // `n == 16` would overflow the shift: all 16 bits count then.
            high |= nonascii & (((1u64 << n) - 1) as u32);
            i += n as usize;
            if n < 16 {
                if high != 0 {
                    *ascii = false;
                    if !self.utf8_valid {
                        check_utf8(src, from, i)?;
                    }
                }
                return Ok(i);
            }
        }
        // The last bytes of the text: the byte-wise scan (which also reports an unterminated
        // string).
        let (j, tail_ascii) = scan(src, self.utf8_valid, from)?;
        *ascii &= tail_ascii;
        push_segment(out, src, i, j)?;
        Ok(j)
    }

    /// Decode the string at `start` (its `"`) into UTF-16 code units: the string holds a
    /// lone surrogate, which UTF-8 cannot represent. (Reported as not ASCII: the raw
    /// segments are not tracked here.)
    #[cold]
    #[inline(never)]
    fn utf16_string(&mut self, start: usize) -> R<(Node, usize, bool)> {
        let src = self.src;
        self.buf16.clear();
        let mut i = start + 1;
        loop {
            let (j, _) = scan(src, self.utf8_valid, i)?;
            // `scan` checked the segment; this cannot fail.
            let Ok(segment) = std::str::from_utf8(&src[i..j]) else {
                return fail(src, K::InvalidUtf8, i);
            };
            // A UTF-8 segment never has more UTF-16 units than bytes.
            room(self.buf16, segment.len() + 1)?;
            self.buf16.extend(segment.encode_utf16());
            i = j;
            let Some((unit, len)) = self.escape(i)? else {
                break;
            };
            self.buf16.push(unit);
            i += len;
        }
        let end = i + 1;
        let data = self.alloc.try_alloc_slice_copy(self.buf16.as_slice())?;
        let kind = TYPE_STRING | FLAG_UTF16;
        let node = Node::new(
            kind,
            data.len() as u32,
            start as u32,
            end as u32,
            data.as_ptr() as u64,
        );
        Ok((node, end, false))
    }

    /// At `i`, the byte that stopped a string scan: `None` for the closing `"`, or the
    /// UTF-16 unit of the escape there and its length in bytes (2, or 6 for `\uXXXX`).
    #[inline(always)]
    fn escape(&self, i: usize) -> R<Option<(u16, usize)>> {
        let src = self.src;
        match src[i] {
            b'"' => return Ok(None),
            b'\\' => {}
            _ => return fail(src, K::BadControlCharacter, i),
        }
        let Some(&escape) = src.get(i + 1) else {
            return fail(src, K::UnexpectedEnd, src.len());
        };
        let unit = match escape {
            b'"' | b'\\' | b'/' => escape as u16,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n' as u16,
            b'r' => b'\r' as u16,
            b't' => b'\t' as u16,
            b'u' => return Ok(Some((self.hex4(i + 2)?, 6))),
            _ => return fail_at(src, K::BadEscape, i + 1),
        };
        Ok(Some((unit, 2)))
    }

    /// The four hex digits of a `\u` escape at `at`.
    #[inline(always)]
    fn hex4(&self, at: usize) -> R<u16> {
        let mut value = 0u32;
        for k in at..at + 4 {
            let Some(&b) = self.src.get(k) else {
                return fail(self.src, K::BadUnicodeEscape, self.src.len());
            };
            let digit = hex_value(b);
            if digit > 15 {
                return fail_at(self.src, K::BadUnicodeEscape, k);
            }
            value = value << 4 | digit;
        }
        Ok(value as u16)
    }

    /// The low surrogate of a `\uDC00`..`\uDFFF` escape at `at`, if there is one.
    #[inline(always)]
    fn low_surrogate_at(&self, at: usize) -> Option<u16> {
        let bytes = self.src.get(at..at + 6)?;
        if bytes[0] != b'\\' || bytes[1] != b'u' {
            return None;
        }
        let mut value = 0u32;
        for &b in &bytes[2..] {
            let digit = hex_value(b);
            if digit > 15 {
                return None;
            }
            value = value << 4 | digit;
        }
        (0xdc00..=0xdfff).contains(&value).then_some(value as u16)
    }
}

/// [`ESCAPES`] of `u`: four hex digits follow. Every simple escape's byte is above it, and
/// 0 marks a letter that is no escape.
const ESCAPE_U: u8 = 1;

/// The byte each escape letter stands for (`ESCAPES[b'n'] == b'\n'`), [`ESCAPE_U`] for `u`, 0
/// for bytes that cannot follow a `\`.
static ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table[b'/' as usize] = b'/';
    table[b'b' as usize] = 0x08;
    table[b'f' as usize] = 0x0c;
    table[b'n' as usize] = b'\n';
    table[b'r' as usize] = b'\r';
    table[b't' as usize] = b'\t';
    table[b'u' as usize] = ESCAPE_U;
    table
};

/// Append the UTF-8 encoding of `code` (a scalar value: not a surrogate, at most U+10FFFF)
/// to `out`, which has room for four more bytes. Byte by byte: `extend_from_slice` of
/// `char::encode_utf8`'s 1–4 bytes was a `memcpy` call.
#[inline(always)]
fn push_utf8(out: &mut Vec<u8>, code: u32) {
    let cont = |shift: u32| 0x80 | ((code >> shift) & 0x3f) as u8;
    match code {
        0..=0x7f => out.push(code as u8),
        0x80..=0x7ff => {
            out.push(0xc0 | (code >> 6) as u8);
            out.push(cont(0));
        }
        0x800..=0xffff => {
            out.push(0xe0 | (code >> 12) as u8);
            out.push(cont(6));
            out.push(cont(0));
        }
        _ => {
            out.push(0xf0 | (code >> 18) as u8);
            out.push(cont(12));
            out.push(cont(6));
            out.push(cont(0));
        }
    }
}

/// Append `src[from..to]` to `buf`. The text between two escapes is usually short, and a
/// `memcpy` call per piece cost more than the decoding: up to 16 bytes go as one fixed
/// 16-byte copy into the spare capacity (of which only the piece's bytes are kept).
#[inline(always)]
fn push_segment(buf: &mut Vec<u8>, src: &[u8], from: usize, to: usize) -> R<()> {
    let n = to - from;
    if n <= 16 && from + 16 <= src.len() {
        room(buf, 16)?;
        let len = buf.len();
        // SAFETY: 16 bytes are readable at `from` (`from + 16 <= src.len()`) and writable
        // at `len` (`room(buf, 16)`); `src` (the caller's text) and `buf` (our scratch) never
        // overlap; `set_len` claims only the first `n <= 16` bytes, all written by the copy.
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr().add(from), buf.as_mut_ptr().add(len), 16);
            buf.set_len(len + n);
        }
    } else {
        room(buf, n)?;
        buf.extend_from_slice(&src[from..to]);
    }
    Ok(())
}

/// Make room for `n` more elements in a decode buffer. The buffers grow with the input (a
/// string of 230 MB of escapes decodes into 115 MB), so a failed allocation must be an
/// `OutOfMemory` error, not an abort.
#[inline(always)]
fn room<T>(buf: &mut Vec<T>, n: usize) -> R<()> {
    if buf.capacity() - buf.len() < n {
        grow(buf, n)?;
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn grow<T>(buf: &mut Vec<T>, n: usize) -> R<()> {
    buf.try_reserve(n)
        .map_err(|_| crate::arena::AllocError::OutOfMemory.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every scalar value encodes as the standard library encodes it.
    #[test]
    fn utf8_of_every_char() {
        let mut out = Vec::with_capacity(4);
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            out.clear();
            push_utf8(&mut out, c as u32);
            assert_eq!(out, c.encode_utf8(&mut [0; 4]).as_bytes(), "{c:?}");
        }
    }
}
