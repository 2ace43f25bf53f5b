//! A reader that does what the JS side does: starting from the document's buffer offset,
//! read `u32`/`f64`/`u8`/`u16` at offsets computed only from [`LAYOUT_CONSTANTS`], and
//! rebuild a plain tree. It also checks every invariant the layout documents.

use std::fmt;

use crate::FixedSizeAllocator;
use crate::producers::json::{Document, layout_constant};

/// A JS-level JSON value: strings are UTF-16 code units, as in JS.
#[derive(Clone, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    /// The f64's bits, so -0 and 0 differ.
    Num(u64),
    Str(Vec<u16>),
    Arr(Vec<J>),
    Obj(Vec<(Vec<u16>, J)>),
}

impl fmt::Debug for J {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            J::Null => f.write_str("null"),
            J::Bool(b) => write!(f, "{b}"),
            J::Num(bits) => write!(f, "{:?}", f64::from_bits(*bits)),
            J::Str(units) => write!(f, "{:?}{:x?}", String::from_utf16_lossy(units), units),
            J::Arr(items) => f.debug_list().entries(items).finish(),
            J::Obj(entries) => f
                .debug_map()
                .entries(
                    entries
                        .iter()
                        .map(|(k, v)| (String::from_utf16_lossy(k), v)),
                )
                .finish(),
        }
    }
}

pub fn n(v: f64) -> J {
    J::Num(v.to_bits())
}
pub fn s(v: &str) -> J {
    J::Str(v.encode_utf16().collect())
}
pub fn arr(items: Vec<J>) -> J {
    J::Arr(items)
}
pub fn obj(entries: Vec<(&str, J)>) -> J {
    J::Obj(
        entries
            .into_iter()
            .map(|(k, v)| (k.encode_utf16().collect(), v))
            .collect(),
    )
}

/// The layout constants by name, as the JS reader would import them.
#[allow(non_snake_case)]
pub struct L {
    NODE_SIZE: usize,
    NODE_KIND: usize,
    NODE_LEN: usize,
    NODE_START: usize,
    NODE_END: usize,
    NODE_PAYLOAD: usize,
    ENTRY_SIZE: usize,
    ENTRY_KEY: usize,
    ENTRY_VALUE: usize,
    DOC_SOURCE_PTR: usize,
    DOC_SOURCE_LEN: usize,
    DOC_NODE_COUNT: usize,
    DOC_MAX_DEPTH: usize,
    DOC_ENTRY_COUNT: usize,
    DOC_ROOT: usize,
    TYPE_MASK: u32,
    TYPE_NULL: u32,
    TYPE_FALSE: u32,
    TYPE_TRUE: u32,
    TYPE_NUMBER: u32,
    TYPE_STRING: u32,
    TYPE_ARRAY: u32,
    TYPE_OBJECT: u32,
    pub FLAG_ASCII: u32,
    pub FLAG_UTF16: u32,
    pub FLAG_IN_SOURCE: u32,
}

impl L {
    pub fn load() -> Self {
        let c =
            |name: &str| layout_constant(name).unwrap_or_else(|| panic!("missing constant {name}"));
        let u = |name: &str| c(name) as usize;
        Self {
            NODE_SIZE: u("NODE_SIZE"),
            NODE_KIND: u("NODE_KIND"),
            NODE_LEN: u("NODE_LEN"),
            NODE_START: u("NODE_START"),
            NODE_END: u("NODE_END"),
            NODE_PAYLOAD: u("NODE_PAYLOAD"),
            ENTRY_SIZE: u("ENTRY_SIZE"),
            ENTRY_KEY: u("ENTRY_KEY"),
            ENTRY_VALUE: u("ENTRY_VALUE"),
            DOC_SOURCE_PTR: u("DOC_SOURCE_PTR"),
            DOC_SOURCE_LEN: u("DOC_SOURCE_LEN"),
            DOC_NODE_COUNT: u("DOC_NODE_COUNT"),
            DOC_MAX_DEPTH: u("DOC_MAX_DEPTH"),
            DOC_ENTRY_COUNT: u("DOC_ENTRY_COUNT"),
            DOC_ROOT: u("DOC_ROOT"),
            TYPE_MASK: c("TYPE_MASK"),
            TYPE_NULL: c("TYPE_NULL"),
            TYPE_FALSE: c("TYPE_FALSE"),
            TYPE_TRUE: c("TYPE_TRUE"),
            TYPE_NUMBER: c("TYPE_NUMBER"),
            TYPE_STRING: c("TYPE_STRING"),
            TYPE_ARRAY: c("TYPE_ARRAY"),
            TYPE_OBJECT: c("TYPE_OBJECT"),
            FLAG_ASCII: c("FLAG_ASCII"),
            FLAG_UTF16: c("FLAG_UTF16"),
            FLAG_IN_SOURCE: c("FLAG_IN_SOURCE"),
        }
    }
}

/// The JS buffer: typed-array style access by byte offset.
pub struct Buf {
    base: *const u8,
}

impl Buf {
    pub fn new(alloc: &FixedSizeAllocator) -> Self {
        Self {
            base: alloc.base_ptr().as_ptr(),
        }
    }
    pub fn u8(&self, off: usize) -> u8 {
        // SAFETY: tests only read offsets inside allocations made by the parser.
        unsafe { *self.base.add(off) }
    }
    pub fn u16(&self, off: usize) -> u16 {
        assert_eq!(off % 2, 0, "Uint16Array offset {off} not aligned");
        // SAFETY: as above; aligned.
        unsafe { *self.base.add(off).cast::<u16>() }
    }
    pub fn u32(&self, off: usize) -> u32 {
        assert_eq!(off % 4, 0, "Uint32Array offset {off} not aligned");
        // SAFETY: as above; aligned.
        unsafe { *self.base.add(off).cast::<u32>() }
    }
    pub fn f64(&self, off: usize) -> f64 {
        assert_eq!(off % 8, 0, "Float64Array offset {off} not aligned");
        // SAFETY: as above; aligned.
        unsafe { *self.base.add(off).cast::<f64>() }
    }
}

/// Summary of a walk, to compare with the document header.
#[derive(Debug, Default)]
pub struct Walk {
    pub nodes: u32,
    pub entries: u32,
    pub max_depth: u32,
}

/// Everything the JS side needs to read one document.
pub struct Reader {
    pub l: L,
    pub buf: Buf,
    pub src_off: usize,
    pub src_len: usize,
    pub doc_off: usize,
    /// The source text as read from the buffer.
    pub src: Vec<u8>,
}

impl Reader {
    pub fn new(alloc: &FixedSizeAllocator, doc: &Document) -> Self {
        let l = L::load();
        let buf = Buf::new(alloc);
        let doc_off = doc.raw_transfer_metadata(alloc).data_offset as usize;
        // JS only uses the low 32 bits of a pointer.
        let src_off = buf.u32(doc_off + l.DOC_SOURCE_PTR) as usize;
        let src_len = buf.u32(doc_off + l.DOC_SOURCE_LEN) as usize;
        let src = (0..src_len).map(|i| buf.u8(src_off + i)).collect();
        Self {
            l,
            buf,
            src_off,
            src_len,
            doc_off,
            src,
        }
    }

    pub fn root_off(&self) -> usize {
        self.doc_off + self.l.DOC_ROOT
    }
    pub fn node_count(&self) -> u32 {
        self.buf.u32(self.doc_off + self.l.DOC_NODE_COUNT)
    }
    pub fn entry_count(&self) -> u32 {
        self.buf.u32(self.doc_off + self.l.DOC_ENTRY_COUNT)
    }
    pub fn max_depth(&self) -> u32 {
        self.buf.u32(self.doc_off + self.l.DOC_MAX_DEPTH)
    }

    pub fn kind(&self, node: usize) -> u32 {
        self.buf.u32(node + self.l.NODE_KIND)
    }
    pub fn len(&self, node: usize) -> usize {
        self.buf.u32(node + self.l.NODE_LEN) as usize
    }
    pub fn span(&self, node: usize) -> (usize, usize) {
        (
            self.buf.u32(node + self.l.NODE_START) as usize,
            self.buf.u32(node + self.l.NODE_END) as usize,
        )
    }
    /// Low 32 bits of the payload: a buffer offset.
    pub fn ptr(&self, node: usize) -> usize {
        self.buf.u32(node + self.l.NODE_PAYLOAD) as usize
    }
    /// Offset of the `i`th element of an array node.
    pub fn elem(&self, node: usize, i: usize) -> usize {
        self.ptr(node) + i * self.l.NODE_SIZE
    }
    /// Offsets of the key and value of the `i`th entry of an object node.
    pub fn entry(&self, node: usize, i: usize) -> (usize, usize) {
        let e = self.ptr(node) + i * self.l.ENTRY_SIZE;
        (e + self.l.ENTRY_KEY, e + self.l.ENTRY_VALUE)
    }

    /// Read the whole document, checking invariants and the header counts.
    pub fn read_doc(&self) -> J {
        let mut walk = Walk::default();
        let value = self.read(self.root_off(), 0, &mut walk);
        assert_eq!(self.node_count(), walk.nodes, "node count");
        assert_eq!(self.entry_count(), walk.entries, "entry count");
        assert_eq!(self.max_depth(), walk.max_depth, "max depth");
        value
    }

    /// Read the node at offset `node` (recursively; test documents are shallow).
    pub fn read(&self, node: usize, depth: u32, walk: &mut Walk) -> J {
        let l = &self.l;
        assert_eq!(node % 8, 0, "node offset {node} not 8-aligned");
        walk.nodes += 1;
        let kind = self.kind(node);
        let ty = kind & l.TYPE_MASK;
        let flags = kind & !l.TYPE_MASK;
        let len = self.len(node);
        let (start, end) = self.span(node);
        assert!(
            start < end && end <= self.src_len,
            "span {start}..{end} of {}",
            self.src_len
        );
        let text = &self.src[start..end];
        if ty != l.TYPE_STRING {
            assert_eq!(flags, 0, "flags on a non-string");
        }
        if matches!(ty, t if t == l.TYPE_NULL || t == l.TYPE_FALSE || t == l.TYPE_TRUE) {
            assert_eq!((len, self.buf.u32(node + l.NODE_PAYLOAD)), (0, 0));
        }
        if ty == l.TYPE_ARRAY || ty == l.TYPE_OBJECT {
            walk.max_depth = walk.max_depth.max(depth + 1);
            if len == 0 {
                assert_eq!(self.ptr(node), 0, "empty container payload");
            } else {
                assert_eq!(self.ptr(node) % 8, 0);
            }
        }
        match ty {
            t if t == l.TYPE_NULL => {
                assert_eq!(text, b"null");
                J::Null
            }
            t if t == l.TYPE_FALSE => {
                assert_eq!(text, b"false");
                J::Bool(false)
            }
            t if t == l.TYPE_TRUE => {
                assert_eq!(text, b"true");
                J::Bool(true)
            }
            t if t == l.TYPE_NUMBER => {
                let v = self.buf.f64(node + l.NODE_PAYLOAD);
                let expected: f64 = std::str::from_utf8(text).unwrap().parse().unwrap();
                assert_eq!(
                    v.to_bits(),
                    expected.to_bits(),
                    "number {:?}",
                    std::str::from_utf8(text)
                );
                J::Num(v.to_bits())
            }
            t if t == l.TYPE_STRING => J::Str(self.read_string(node)),
            t if t == l.TYPE_ARRAY => {
                assert_eq!((text[0], text[text.len() - 1]), (b'[', b']'));
                J::Arr(
                    (0..len)
                        .map(|i| self.read(self.elem(node, i), depth + 1, walk))
                        .collect(),
                )
            }
            t if t == l.TYPE_OBJECT => {
                assert_eq!((text[0], text[text.len() - 1]), (b'{', b'}'));
                J::Obj(
                    (0..len)
                        .map(|i| {
                            let (k, v) = self.entry(node, i);
                            walk.entries += 1;
                            assert_eq!(self.kind(k) & l.TYPE_MASK, l.TYPE_STRING, "key type");
                            (self.read_string(k), self.read(v, depth + 1, walk))
                        })
                        .collect(),
                )
            }
            other => panic!("unknown type {other}"),
        }
    }

    /// Read a string node as UTF-16 units, checking its flags.
    pub fn read_string(&self, node: usize) -> Vec<u16> {
        let l = &self.l;
        let kind = self.kind(node);
        let len = self.len(node);
        let (start, end) = self.span(node);
        let ptr = self.ptr(node);
        let src = &self.src;
        assert_eq!(
            (src[start], src[end - 1]),
            (b'"', b'"'),
            "string span {start}..{end}"
        );
        if kind & l.FLAG_UTF16 != 0 {
            assert_eq!(kind & (l.FLAG_ASCII | l.FLAG_IN_SOURCE), 0);
            let units: Vec<u16> = (0..len).map(|i| self.buf.u16(ptr + 2 * i)).collect();
            assert!(
                String::from_utf16(&units).is_err(),
                "UTF16 flag without a lone surrogate"
            );
            return units;
        }
        let bytes: Vec<u8> = (0..len).map(|i| self.buf.u8(ptr + i)).collect();
        let text = std::str::from_utf8(&bytes).expect("string data is UTF-8");
        assert_eq!(
            kind & l.FLAG_ASCII != 0,
            text.is_ascii(),
            "ASCII flag of {text:?}"
        );
        if kind & l.FLAG_IN_SOURCE != 0 {
            // Values point at their own text; keys may point at an earlier identical key.
            assert!(
                ptr >= self.src_off && ptr + len <= self.src_off + src.len(),
                "in-source payload"
            );
            assert_eq!(
                &src[ptr - self.src_off..ptr - self.src_off + len],
                &bytes[..]
            );
            if src[start..end].contains(&b'\\') {
                assert!(
                    ptr < self.src_off + start,
                    "an escaped key shares an earlier key's text"
                );
            } else {
                assert_eq!(len, end - start - 2);
            }
        } else if !src[start..end].contains(&b'\\') {
            // An escape-free key whose first occurrence was escaped: shares that decoded copy.
            assert!(
                ptr < self.src_off || ptr >= self.src_off + src.len(),
                "copied string inside the source"
            );
        }
        text.encode_utf16().collect()
    }
}
