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
        let (i, ascii) = scan(self.src, self.utf8_valid, body)?;
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
    fn escaped_string(
        &mut self,
        start: usize,
        mut i: usize,
        mut ascii: bool,
    ) -> R<(Node, usize, bool)> {
        let src = self.src;
        self.buf.clear();
        push_segment(self.buf, src, start + 1, i)?;
        while let Some((unit, len)) = self.escape(i)? {
            i += len;
            let code = match unit {
                0xd800..=0xdbff => match self.low_surrogate_at(i) {
                    Some(low) => {
                        i += 6;
                        0x10000 + ((unit as u32 - 0xd800) << 10) + (low as u32 - 0xdc00)
                    }
                    None => return self.utf16_string(start),
                },
                0xdc00..=0xdfff => return self.utf16_string(start),
                _ => unit as u32,
            };
            // Never a surrogate nor above U+10FFFF, so never the replacement.
            let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
            room(self.buf, 4)?;
            if c.is_ascii() {
                self.buf.push(c as u8);
            } else {
                ascii = false;
                // Byte by byte: `extend_from_slice` of the 2–4 bytes was a `memcpy` call.
                let mut utf8 = [0; 4];
                for &b in c.encode_utf8(&mut utf8).as_bytes() {
                    self.buf.push(b);
                }
            }
            let (j, segment_ascii) = scan(src, self.utf8_valid, i)?;
            ascii &= segment_ascii;
            push_segment(self.buf, src, i, j)?;
            i = j;
        }
        let end = i + 1;
        let data = super::copy::alloc_copy(self.alloc, self.buf.as_slice())?;
        let kind = TYPE_STRING | if ascii { FLAG_ASCII } else { 0 };
        let node = Node::new(
            kind,
            data.len() as u32,
            start as u32,
            end as u32,
            data.as_ptr() as u64,
        );
        Ok((node, end, ascii))
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
