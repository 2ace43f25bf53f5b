//! The parser: one iterative pass over the caller's source text.
//!
//! The text is copied into the arena first (JS reads strings from that copy), but parsing
//! reads the caller's own bytes: JS can write to a block's buffer at any time, even while a
//! producer thread parses into it, and what Rust decides from must be memory JS cannot
//! reach. Payload pointers into the source are computed as the copy's address plus the
//! offset.
//!
//! Open containers live on `frames` (Rust heap); the finished children of every open
//! container are collected on one shared `nodes` stack and copied into the arena in one
//! piece when the container closes. An object's children are pushed as key, value, key,
//! value, ... which has exactly the memory layout of `[Entry]`.

use super::layout::{
    DOC_FLAG_ASCII, Document, FLAG_ASCII, FLAG_IN_SOURCE, FLAG_UTF16, Node, TYPE_ARRAY, TYPE_FALSE,
    TYPE_NULL, TYPE_NUMBER, TYPE_OBJECT, TYPE_STRING, TYPE_TRUE,
};
use super::{JsonError, JsonErrorKind as K, ParseError};
use crate::arena::FixedSizeAllocator;

mod copy;
mod keys;
mod number;
mod scan;
mod strings;

type R<T> = Result<T, ParseError>;

/// An open array or object.
#[derive(Clone, Copy)]
struct Frame {
    /// Offset of its `[` or `{`.
    start: u32,
    /// Where its children begin on the `nodes` stack.
    base: u32,
    object: bool,
}

/// A reusable JSON parser: holds the scratch stacks so that parsing many documents does not
/// allocate on the Rust heap once they have grown to fit.
#[derive(Default)]
pub struct Parser {
    frames: Vec<Frame>,
    nodes: Vec<Node>,
    buf: Vec<u8>,
    buf16: Vec<u16>,
    keys: keys::KeyInterner,
}

impl Parser {
    /// A parser with empty scratch (it grows to fit the documents it parses).
    pub fn new() -> Self {
        Self::default()
    }

    /// Copy `text` into `alloc`, parse it, and return the [`Document`] (also in `alloc`).
    ///
    /// Fails with [`ParseError::Syntax`] if `JSON.parse` would reject the text (or it is not
    /// UTF-8), and with [`ParseError::Alloc`] if the block cannot hold the result. On failure
    /// whatever was already allocated stays allocated (the arena is reset as a whole).
    pub fn parse<'a>(&mut self, alloc: &'a FixedSizeAllocator, text: &[u8]) -> R<&'a Document> {
        let result = self.parse_inner(alloc, text, false);
        self.shrink(scratch_keep(text.len()));
        result
    }

    /// [`parse`](Self::parse) for text already known to be UTF-8 (a `&str`): the same
    /// result, without the check of the whole text.
    pub fn parse_str<'a>(&mut self, alloc: &'a FixedSizeAllocator, text: &str) -> R<&'a Document> {
        let result = self.parse_inner(alloc, text.as_bytes(), true);
        self.shrink(scratch_keep(text.len()));
        result
    }

    /// Give back scratch memory past `keep` bytes per stack (after a big document, so one
    /// huge input does not pin its scratch for the life of the thread).
    pub fn shrink(&mut self, keep: usize) {
        shrink_vec(&mut self.frames, keep);
        shrink_vec(&mut self.nodes, keep);
        shrink_vec(&mut self.buf, keep);
        shrink_vec(&mut self.buf16, keep);
        self.keys.shrink(keep);
    }

    /// Scratch bytes held now (capacity of every stack).
    pub fn scratch_bytes(&self) -> usize {
        self.frames.capacity() * size_of::<Frame>()
            + self.nodes.capacity() * size_of::<Node>()
            + self.buf.capacity()
            + self.buf16.capacity() * 2
            + self.keys.bytes()
    }

    fn parse_inner<'a>(
        &mut self,
        alloc: &'a FixedSizeAllocator,
        text: &[u8],
        known_utf8: bool,
    ) -> R<&'a Document> {
        let copy: &'a [u8] = alloc.try_alloc_slice_copy(text)?;
        #[cfg(test)]
        tests_hook::after_copy(copy);
        self.frames.clear();
        self.nodes.clear();
        self.keys.start();
        let mut run = Run {
            alloc,
            src: text,
            src_addr: copy.as_ptr() as u64,
            pos: 0,
            frames: &mut self.frames,
            nodes: &mut self.nodes,
            buf: &mut self.buf,
            buf16: &mut self.buf16,
            keys: &mut self.keys,
            node_count: 0,
            entry_count: 0,
            max_depth: 0,
            ascii: true,
            utf8_valid: known_utf8 || simdutf8::basic::from_utf8(text).is_ok(),
        };
        let root = run.document()?;
        let doc = Document {
            source_ptr: copy.as_ptr() as u64,
            source_len: copy.len() as u32,
            node_count: run.node_count,
            max_depth: run.max_depth,
            entry_count: run.entry_count,
            flags: if run.ascii { DOC_FLAG_ASCII } else { 0 },
            _pad: 0,
            root,
        };
        Ok(alloc.try_alloc(doc)?)
    }
}

/// The most scratch bytes a [`Parser`] keeps per stack between documents (more is given
/// back).
pub const SCRATCH_KEEP_BYTES: usize = 32 << 20;

/// What a [`Parser`] keeps per stack whatever the document (small documents never shrink it).
pub const SCRATCH_MIN_KEEP_BYTES: usize = 1 << 20;

/// Scratch bytes kept per stack after a document of `len` bytes: what a document that size
/// can need (at most a 24-byte node per byte of text), between the two bounds above. So a
/// run of documents of one size reuses its stacks, and the first small document after a big
/// one gives the big one's back.
fn scratch_keep(len: usize) -> usize {
    len.saturating_mul(size_of::<Node>())
        .clamp(SCRATCH_MIN_KEEP_BYTES, SCRATCH_KEEP_BYTES)
}

fn shrink_vec<T>(v: &mut Vec<T>, keep_bytes: usize) {
    let keep = keep_bytes / size_of::<T>().max(1);
    if v.capacity() > keep {
        v.clear();
        v.shrink_to(keep);
    }
}

/// Grow `v` for one more element, refusing (as a full block) to hold more scratch than the
/// block could take when it is copied in: every element on these stacks becomes at least
/// one [`Node`] in the arena. So a huge input fails with `BlockFull` instead of growing the
/// Rust heap past what the block could ever hold, and a failed allocation is an error, not
/// an abort.
#[cold]
#[inline(never)]
fn grow_bounded<T>(v: &mut Vec<T>, alloc: &FixedSizeAllocator) -> R<()> {
    let remaining_nodes = alloc.remaining_bytes() / size_of::<Node>();
    let wanted = v.len() + 1;
    if wanted > remaining_nodes {
        return Err(crate::arena::AllocError::BlockFull {
            requested: wanted * size_of::<Node>(),
            remaining: alloc.remaining_bytes(),
        }
        .into());
    }
    let target = (v.capacity() * 2).clamp(wanted, remaining_nodes.max(wanted));
    v.try_reserve_exact(target - v.len())
        .map_err(|_| crate::arena::AllocError::OutOfMemory)?;
    Ok(())
}

/// State of one parse. `src` is the caller's text (never the JS-writable copy);
/// `src_addr + offset` is where the copy of byte `offset` is, for payloads.
///
/// Every method is inlined into the one loop of [`Run::document`], and nothing that is not
/// inlined takes the run: the errors are functions of the text, and the decoding of
/// escaped strings gets a [`strings::Decoder`] of the pieces it needs. A reference to the
/// run passed to an out-of-line call, even one never made, would pin the whole run in
/// memory, and every read and bump of `pos` in the hot loop would be a load and a store
/// (it was: keeping it in registers made the parse of minified records ~11% faster).
struct Run<'a, 'p> {
    alloc: &'a FixedSizeAllocator,
    src: &'p [u8],
    src_addr: u64,
    pos: usize,
    frames: &'p mut Vec<Frame>,
    nodes: &'p mut Vec<Node>,
    buf: &'p mut Vec<u8>,
    buf16: &'p mut Vec<u16>,
    keys: &'p mut keys::KeyInterner,
    node_count: u32,
    entry_count: u32,
    max_depth: u32,
    /// No non-ASCII byte seen (they can only occur inside strings).
    ascii: bool,
    /// The whole source is valid UTF-8 (checked once up front, so strings need no check of
    /// their own; when it is not, each non-ASCII string is checked to find where).
    utf8_valid: bool,
}

#[inline(always)]
fn hex_value(b: u8) -> u32 {
    match b {
        b'0'..=b'9' => (b - b'0') as u32,
        b'a'..=b'f' => (b - b'a' + 10) as u32,
        b'A'..=b'F' => (b - b'A' + 10) as u32,
        _ => 16,
    }
}

/// Fail with `kind` at `offset`.
#[cold]
#[inline(never)]
fn fail<T>(src: &[u8], kind: K, offset: usize) -> R<T> {
    Err(ParseError::Syntax(JsonError::at(src, kind, offset)))
}

/// Fail with `kind` at `offset`, unless the byte there starts invalid UTF-8, which is
/// reported as such.
#[cold]
#[inline(never)]
fn fail_at<T>(src: &[u8], kind: K, offset: usize) -> R<T> {
    match src.get(offset) {
        Some(&b) if b >= 0x80 && char_at(src, offset).is_none() => {
            fail(src, K::InvalidUtf8, offset)
        }
        _ => fail(src, kind, offset),
    }
}

/// Fail with "Unexpected token" for the character at `offset` (or unexpected end).
#[cold]
#[inline(never)]
fn unexpected<T>(src: &[u8], offset: usize) -> R<T> {
    if offset >= src.len() {
        return fail(src, K::UnexpectedEnd, src.len());
    }
    match char_at(src, offset) {
        // Like V8, name the token a number or string would start.
        Some('-' | '0'..='9') => fail(src, K::UnexpectedNumber, offset),
        Some('"') => fail(src, K::UnexpectedString, offset),
        Some(c) => fail(src, K::UnexpectedToken(c), offset),
        None => fail(src, K::InvalidUtf8, offset),
    }
}

/// The character starting at `offset`, if the bytes there are valid UTF-8.
fn char_at(src: &[u8], offset: usize) -> Option<char> {
    let end = (offset + 4).min(src.len());
    src[offset..end]
        .utf8_chunks()
        .next()
        .and_then(|c| c.valid().chars().next())
}

impl<'a> Run<'a, '_> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    /// Skip whitespace. Minified JSON has none (one compare), `": "` has one byte (two),
    /// and indentation runs go 16 bytes at a time.
    #[inline(always)]
    fn skip_ws(&mut self) {
        self.skip_ws_peek();
    }

    /// Skip whitespace and return the byte after it (`None` at the end), read once: the
    /// usual next byte is a token (above `' '`), which ends the skip and is the answer.
    #[inline(always)]
    fn skip_ws_peek(&mut self) -> Option<u8> {
        let b = *self.src.get(self.pos)?;
        if b > b' ' || !scan::is_ws(b) {
            return Some(b);
        }
        self.pos += 1;
        let b = *self.src.get(self.pos)?;
        if b > b' ' || !scan::is_ws(b) {
            return Some(b);
        }
        self.pos = scan::skip_ws(self.src, self.pos + 1);
        self.peek()
    }

    /// Parse the whole text; returns the root node.
    #[inline(always)]
    fn document(&mut self) -> R<Node> {
        self.skip_ws();
        // Whether the innermost open container is an object: kept here (in a register)
        // rather than read from the top frame after every value.
        let mut in_object = false;
        // Invariant at the top: whitespace skipped, a value must start at `pos`.
        'value: loop {
            let start = self.pos;
            let mut node = match self.peek() {
                Some(b'"') => self.string()?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b'{') => {
                    self.pos += 1;
                    match self.skip_ws_peek() {
                        Some(b'}') => {
                            self.pos += 1;
                            self.max_depth = self.max_depth.max(self.frames.len() as u32 + 1);
                            Node::new(TYPE_OBJECT, 0, start as u32, self.pos as u32, 0)
                        }
                        Some(b'"') => {
                            self.open(start, true)?;
                            in_object = true;
                            self.key()?;
                            continue 'value;
                        }
                        _ => return fail_at(self.src, K::ExpectedPropertyNameOrBrace, self.pos),
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    if self.skip_ws_peek() == Some(b']') {
                        self.pos += 1;
                        self.max_depth = self.max_depth.max(self.frames.len() as u32 + 1);
                        Node::new(TYPE_ARRAY, 0, start as u32, self.pos as u32, 0)
                    } else {
                        self.open(start, false)?;
                        in_object = false;
                        continue 'value;
                    }
                }
                Some(b't') => self.literal(b"true", TYPE_TRUE)?,
                Some(b'f') => self.literal(b"false", TYPE_FALSE)?,
                Some(b'n') => self.literal(b"null", TYPE_NULL)?,
                _ => return unexpected(self.src, start),
            };
            // `node` is complete: hand it to the enclosing container, closing containers
            // for as long as their closing bracket follows.
            loop {
                if self.frames.is_empty() {
                    self.skip_ws();
                    if self.pos < self.src.len() {
                        return fail_at(self.src, K::TrailingCharacters, self.pos);
                    }
                    // Every other value was counted when its container closed.
                    self.node_count += 1;
                    return Ok(node);
                }
                if self.nodes.len() == self.nodes.capacity() {
                    grow_bounded(self.nodes, self.alloc)?;
                }
                self.nodes.push(node);
                match self.skip_ws_peek() {
                    Some(b',') => {
                        self.pos += 1;
                        let next = self.skip_ws_peek();
                        if in_object {
                            if next != Some(b'"') {
                                return fail_at(self.src, K::ExpectedPropertyName, self.pos);
                            }
                            self.key()?;
                        }
                        continue 'value;
                    }
                    Some(b']') if !in_object => node = self.close(TYPE_ARRAY)?,
                    Some(b'}') if in_object => node = self.close(TYPE_OBJECT)?,
                    _ if in_object => {
                        return fail_at(self.src, K::ExpectedCommaOrBrace, self.pos);
                    }
                    _ => return fail_at(self.src, K::ExpectedCommaOrBracket, self.pos),
                }
                in_object = self.frames.last().is_some_and(|f| f.object);
            }
        }
    }

    /// Open a non-empty container whose bracket is at `start` (already consumed).
    #[inline(always)]
    fn open(&mut self, start: usize, object: bool) -> R<()> {
        if self.frames.len() == self.frames.capacity() {
            grow_bounded(self.frames, self.alloc)?;
        }
        self.frames.push(Frame {
            start: start as u32,
            base: self.nodes.len() as u32,
            object,
        });
        self.max_depth = self.max_depth.max(self.frames.len() as u32);
        Ok(())
    }

    /// Close the innermost container at `pos` (its closing bracket): copy its children
    /// into the arena.
    #[inline(always)]
    fn close(&mut self, ty: u32) -> R<Node> {
        self.pos += 1;
        // The caller saw this container's bracket, so there is an open frame.
        let Some(frame) = self.frames.pop() else {
            return unexpected(self.src, self.pos - 1);
        };
        let base = frame.base as usize;
        let children = &self.nodes[base..];
        let count = children.len();
        let ptr = copy::alloc_copy(self.alloc, children)?.as_ptr() as u64;
        self.nodes.truncate(base);
        let len = if ty == TYPE_OBJECT { count / 2 } else { count };
        // Counted here, once per container, rather than once per value and key.
        self.node_count += len as u32;
        if ty == TYPE_OBJECT {
            self.entry_count += len as u32;
        }
        Ok(Node::new(ty, len as u32, frame.start, self.pos as u32, ptr))
    }

    /// Parse an object key at `pos` (a `"`), push it, and consume the `:` after it.
    #[inline(always)]
    fn key(&mut self) -> R<()> {
        let start = self.pos;
        let body = start + 1;
        let key = match scan::short_string(self.src, body) {
            // The common key: short, verbatim, and (if not ASCII) known to be UTF-8. Its
            // signature is its bytes, read where the scan found them.
            Some((len, ascii)) if ascii || self.utf8_valid => {
                let sig = scan::short_signature(self.src, body, len);
                self.pos = body + len + 1;
                self.ascii &= ascii;
                let kind = TYPE_STRING | FLAG_IN_SOURCE | if ascii { FLAG_ASCII } else { 0 };
                let (payload, kind) = self.keys.intern_short(
                    sig,
                    len as u32,
                    body as u32,
                    self.src_addr + body as u64,
                    kind,
                );
                Node::new(kind, len as u32, start as u32, self.pos as u32, payload)
            }
            _ => self.long_key()?,
        };
        if self.nodes.len() == self.nodes.capacity() {
            grow_bounded(self.nodes, self.alloc)?;
        }
        self.nodes.push(key);
        if self.skip_ws_peek() != Some(b':') {
            return fail_at(self.src, K::ExpectedColon, self.pos);
        }
        self.pos += 1;
        self.skip_ws();
        Ok(())
    }

    /// Parse a key that is not short or not verbatim, and intern it.
    #[inline(always)]
    fn long_key(&mut self) -> R<Node> {
        let mut key = self.string()?;
        let kind = key.kind;
        if kind & FLAG_UTF16 == 0 {
            // The key's text from Rust's own memory: the source, or the decode buffer that
            // `string` just filled (never the JS-writable arena copies).
            let len = key.len as usize;
            if kind & FLAG_IN_SOURCE != 0 {
                let at = key.start as usize + 1;
                self.keys
                    .intern(&mut key, &self.src[at..at + len], Some(at as u32), self.src);
            } else {
                self.keys.intern(&mut key, &self.buf[..len], None, self.src);
            }
        }
        Ok(key)
    }

    #[inline(always)]
    fn literal(&mut self, word: &'static [u8], ty: u32) -> R<Node> {
        let start = self.pos;
        let end = start + word.len();
        if self.src.get(start..end) == Some(word) {
            self.pos = end;
            return Ok(Node::new(ty, 0, start as u32, end as u32, 0));
        }
        for (k, &expected) in word.iter().enumerate() {
            match self.src.get(start + k) {
                None => return fail(self.src, K::UnexpectedEnd, self.src.len()),
                Some(&b) if b != expected => return unexpected(self.src, start + k),
                Some(_) => {}
            }
        }
        unexpected(self.src, start)
    }

    #[inline(always)]
    fn number(&mut self) -> R<Node> {
        let start = self.pos;
        let (value, end) = number::number(self.src, start)?;
        self.pos = end;
        Ok(Node::new(
            TYPE_NUMBER,
            0,
            start as u32,
            end as u32,
            value.to_bits(),
        ))
    }
}

/// Tests stand in for JS writing to the block at the worst moment: right after the source
/// was copied in, before the parse reads anything.
#[cfg(test)]
pub(crate) mod tests_hook {
    use std::cell::Cell;

    /// A test's function run on the arena copy of the source (pointer, length).
    pub(crate) type Hook = fn(*mut u8, usize);

    thread_local! {
        pub(crate) static AFTER_COPY: Cell<Option<Hook>> = const { Cell::new(None) };
    }

    pub(super) fn after_copy(copy: &[u8]) {
        if let Some(f) = AFTER_COPY.get() {
            f(copy.as_ptr().cast_mut(), copy.len());
        }
    }
}
