//! The in-buffer layout of a parsed JSON document: what JavaScript reads.
//!
//! Every structure is `#[repr(C)]`, little-endian, and allocated in a
//! [`FixedSizeAllocator`](crate::FixedSizeAllocator) block, so the low 32 bits of any
//! pointer stored here are a byte offset in the JS `ArrayBuffer`. JS reads `u32` fields with
//! a `Uint32Array` at `offset >> 2`, `f64` payloads with a `Float64Array` at `offset >> 3`
//! (every [`Node`] is 8-aligned), UTF-8 string bytes with a `Uint8Array`, and UTF-16 string
//! units with a `Uint16Array` at `offset >> 1`.
//!
//! ```text
//! Node (24 bytes, align 8)                  Entry (48 bytes, align 8)
//! +0   kind    u32  type | flags            +0   key    Node (a string node; its span
//! +4   len     u32  see below                            covers the quoted key)
//! +8   start   u32  source span start       +24  value  Node
//! +12  end     u32  source span end (excl.)
//! +16  payload u64  f64 bits or pointer
//!
//! Document (56 bytes, align 8)   <- RawTransferMetadata::data_offset points here
//! +0   source_ptr   u64   pointer to the arena copy of the source text (UTF-8 bytes)
//! +8   source_len   u32   its length in bytes
//! +12  node_count   u32   value nodes, root included, object keys excluded
//! +16  max_depth    u32   deepest container nesting (scalar root: 0, `[]`: 1, `[[]]`: 2)
//! +20  entry_count  u32   object entries in the whole document (= key nodes)
//! +24  flags        u32   DOC_FLAG_ASCII: the whole source is ASCII
//! +28  (padding)
//! +32  root         Node
//! ```
//!
//! `kind`: the low byte is the type ([`TYPE_NULL`] .. [`TYPE_OBJECT`]); the bits above are
//! flags, only ever set on strings:
//!
//! | type    | `len`                   | `payload`                                          |
//! |---------|-------------------------|----------------------------------------------------|
//! | null    | 0                       | 0                                                  |
//! | false   | 0                       | 0                                                  |
//! | true    | 0                       | 0                                                  |
//! | number  | 0                       | the `f64`'s bits (read it as a `Float64Array` elt) |
//! | string  | bytes, or units if UTF16| pointer to the UTF-8 bytes / UTF-16 units          |
//! | array   | element count           | pointer to `[Node; len]` (0 if `len == 0`)         |
//! | object  | entry count             | pointer to `[Entry; len]` (0 if `len == 0`)        |
//!
//! String flags:
//! - [`FLAG_ASCII`]: every byte is below 0x80 (so bytes == UTF-16 units; JS may decode
//!   with `String.fromCharCode` or `latin1`).
//! - [`FLAG_UTF16`]: the string contains a lone surrogate (from a `\uD800`-style escape), so
//!   it is stored as `len` UTF-16 code units, 2-byte aligned, exactly as `JSON.parse` would
//!   produce them. Without the flag a string is `len` bytes of valid UTF-8.
//! - [`FLAG_IN_SOURCE`]: the string had no escapes and its payload points straight into the
//!   source copy (at `start + 1`); otherwise it points at a decoded copy in the arena.
//!
//! Children of arrays and entries of objects are in source order; duplicate keys are all
//! kept. Spans are byte offsets into the source text (`source_ptr`), so
//! `source[start..end]` is the exact JSON text of the value (strings: including quotes).

use std::mem::{align_of, offset_of, size_of};

/// Version of this layout; the producer stores it in `RawTransferMetadata::producer0`.
/// Bump on any change JS can observe.
pub const FORMAT_VERSION: u32 = 2;

/// Type codes: the low byte of [`Node::kind`](Node).
pub const TYPE_NULL: u32 = 0;
pub const TYPE_FALSE: u32 = 1;
pub const TYPE_TRUE: u32 = 2;
pub const TYPE_NUMBER: u32 = 3;
pub const TYPE_STRING: u32 = 4;
pub const TYPE_ARRAY: u32 = 5;
pub const TYPE_OBJECT: u32 = 6;
/// Mask that extracts the type code from `kind`.
pub const TYPE_MASK: u32 = 0xff;

/// String flag: all bytes < 0x80.
pub const FLAG_ASCII: u32 = 1 << 8;
/// String flag: data is UTF-16 code units (contains a lone surrogate); `len` counts units.
pub const FLAG_UTF16: u32 = 1 << 9;
/// String flag: data points into the source copy (no escapes in the literal).
pub const FLAG_IN_SOURCE: u32 = 1 << 10;

/// One JSON value (or object key). See the module docs for the meaning of each field.
///
/// Fields are private: a `Node` only comes out of the parser, so its pointers are always
/// into the arena it was parsed into. Read them with the accessors.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    pub(super) kind: u32,
    pub(super) len: u32,
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) payload: u64,
}

/// One object member: a key (string node) and its value.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

/// The root record of a parsed document. Only ever handed out by reference from the parser.
#[repr(C)]
#[derive(Debug)]
pub struct Document {
    pub(super) source_ptr: u64,
    pub(super) source_len: u32,
    pub(super) node_count: u32,
    pub(super) max_depth: u32,
    pub(super) entry_count: u32,
    pub(super) flags: u32,
    pub(super) _pad: u32,
    pub(super) root: Node,
}

// Field offsets, as JS will use them.
pub const NODE_SIZE: u32 = 24;
pub const NODE_ALIGN: u32 = 8;
pub const NODE_KIND: u32 = 0;
pub const NODE_LEN: u32 = 4;
pub const NODE_START: u32 = 8;
pub const NODE_END: u32 = 12;
pub const NODE_PAYLOAD: u32 = 16;
pub const ENTRY_SIZE: u32 = 48;
pub const ENTRY_KEY: u32 = 0;
pub const ENTRY_VALUE: u32 = 24;
pub const DOC_SIZE: u32 = 56;
pub const DOC_SOURCE_PTR: u32 = 0;
pub const DOC_SOURCE_LEN: u32 = 8;
pub const DOC_NODE_COUNT: u32 = 12;
pub const DOC_MAX_DEPTH: u32 = 16;
pub const DOC_ENTRY_COUNT: u32 = 20;
pub const DOC_FLAGS: u32 = 24;
pub const DOC_ROOT: u32 = 32;
/// Document flag: every byte of the source is ASCII (so byte offsets are string indices).
pub const DOC_FLAG_ASCII: u32 = 1;

const _: () = {
    assert!(size_of::<Node>() == NODE_SIZE as usize);
    assert!(align_of::<Node>() == NODE_ALIGN as usize);
    assert!(offset_of!(Node, kind) == NODE_KIND as usize);
    assert!(offset_of!(Node, len) == NODE_LEN as usize);
    assert!(offset_of!(Node, start) == NODE_START as usize);
    assert!(offset_of!(Node, end) == NODE_END as usize);
    assert!(offset_of!(Node, payload) == NODE_PAYLOAD as usize);
    // Float64Array / BigUint64Array access to the payload needs it 8-aligned.
    assert!(NODE_PAYLOAD.is_multiple_of(8) && NODE_SIZE.is_multiple_of(8));

    assert!(size_of::<Entry>() == ENTRY_SIZE as usize);
    assert!(align_of::<Entry>() == NODE_ALIGN as usize);
    assert!(offset_of!(Entry, key) == ENTRY_KEY as usize);
    assert!(offset_of!(Entry, value) == ENTRY_VALUE as usize);
    // An object's entries are collected as a flat run of nodes (key, value, key, ...);
    // this is what lets that run be copied out as `[Entry]`.
    assert!(ENTRY_SIZE == 2 * NODE_SIZE && ENTRY_VALUE == NODE_SIZE);

    assert!(size_of::<Document>() == DOC_SIZE as usize);
    assert!(align_of::<Document>() == 8);
    assert!(offset_of!(Document, source_ptr) == DOC_SOURCE_PTR as usize);
    assert!(offset_of!(Document, source_len) == DOC_SOURCE_LEN as usize);
    assert!(offset_of!(Document, node_count) == DOC_NODE_COUNT as usize);
    assert!(offset_of!(Document, max_depth) == DOC_MAX_DEPTH as usize);
    assert!(offset_of!(Document, entry_count) == DOC_ENTRY_COUNT as usize);
    assert!(offset_of!(Document, flags) == DOC_FLAGS as usize);
    assert!(offset_of!(Document, root) == DOC_ROOT as usize);
    assert!(DOC_ROOT.is_multiple_of(8));

    // Type codes fit the type byte and flags sit above it.
    assert!(TYPE_OBJECT <= TYPE_MASK);
    assert!((FLAG_ASCII | FLAG_UTF16 | FLAG_IN_SOURCE) & TYPE_MASK == 0);
    // Every span offset and length fits a u32 (and an i32 for typed-array indexing).
    assert!(crate::geometry::ACTIVE_SIZE <= i32::MAX as usize);
};

/// Every number the JS reader needs, by name, so it never retypes the layout.
pub const LAYOUT_CONSTANTS: &[(&str, u32)] = &[
    ("FORMAT_VERSION", FORMAT_VERSION),
    ("NODE_SIZE", NODE_SIZE),
    ("NODE_ALIGN", NODE_ALIGN),
    ("NODE_KIND", NODE_KIND),
    ("NODE_LEN", NODE_LEN),
    ("NODE_START", NODE_START),
    ("NODE_END", NODE_END),
    ("NODE_PAYLOAD", NODE_PAYLOAD),
    ("ENTRY_SIZE", ENTRY_SIZE),
    ("ENTRY_KEY", ENTRY_KEY),
    ("ENTRY_VALUE", ENTRY_VALUE),
    ("DOC_SIZE", DOC_SIZE),
    ("DOC_SOURCE_PTR", DOC_SOURCE_PTR),
    ("DOC_SOURCE_LEN", DOC_SOURCE_LEN),
    ("DOC_NODE_COUNT", DOC_NODE_COUNT),
    ("DOC_MAX_DEPTH", DOC_MAX_DEPTH),
    ("DOC_ENTRY_COUNT", DOC_ENTRY_COUNT),
    ("DOC_FLAGS", DOC_FLAGS),
    ("DOC_ROOT", DOC_ROOT),
    ("DOC_FLAG_ASCII", DOC_FLAG_ASCII),
    ("TYPE_MASK", TYPE_MASK),
    ("TYPE_NULL", TYPE_NULL),
    ("TYPE_FALSE", TYPE_FALSE),
    ("TYPE_TRUE", TYPE_TRUE),
    ("TYPE_NUMBER", TYPE_NUMBER),
    ("TYPE_STRING", TYPE_STRING),
    ("TYPE_ARRAY", TYPE_ARRAY),
    ("TYPE_OBJECT", TYPE_OBJECT),
    ("FLAG_ASCII", FLAG_ASCII),
    ("FLAG_UTF16", FLAG_UTF16),
    ("FLAG_IN_SOURCE", FLAG_IN_SOURCE),
];

/// Look up one of [`LAYOUT_CONSTANTS`] by name.
#[cfg(test)]
pub fn layout_constant(name: &str) -> Option<u32> {
    LAYOUT_CONSTANTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, v)| v)
}

impl Node {
    #[inline(always)]
    pub(super) const fn new(kind: u32, len: u32, start: u32, end: u32, payload: u64) -> Self {
        Self {
            kind,
            len,
            start,
            end,
            payload,
        }
    }
}

/// Accessors for the tests (the crate itself reads nodes only as JS does, by offset).
#[cfg(test)]
impl Node {
    /// The whole `kind` word: type code plus flags.
    pub fn kind(&self) -> u32 {
        self.kind
    }

    /// The type code (`TYPE_*`).
    pub fn ty(&self) -> u32 {
        self.kind & TYPE_MASK
    }

    /// String length (bytes, or UTF-16 units with [`FLAG_UTF16`]), element or entry count.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Byte offset of the value's first byte in the source.
    pub fn start(&self) -> u32 {
        self.start
    }

    /// Byte offset just past the value's last byte in the source.
    pub fn end(&self) -> u32 {
        self.end
    }

    /// The number, if this is a number node.
    pub fn as_f64(&self) -> Option<f64> {
        (self.ty() == TYPE_NUMBER).then(|| f64::from_bits(self.payload))
    }
}
