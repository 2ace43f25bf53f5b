//! [`Shape`]: what a [`Layout`](super::Layout) type looks like in memory, as the compiler laid
//! it out, plus the names and attributes the JS side uses.
//!
//! A shape refers to the shapes of its parts through [`ShapeFn`]s (function pointers), not
//! references: a recursive type (`Expr` holding an `ArenaBox<Expr>`) would otherwise make its
//! `const SHAPE` depend on itself, which const evaluation refuses.

/// The shape of a part (a field's type, a box's target, a slice's element): a function, so
/// that shapes of recursive types need not be evaluated inside each other.
pub type ShapeFn = fn() -> &'static Shape;

/// One type's layout: size and alignment as `size_of`/`align_of` report them, and what it is.
#[derive(Debug)]
pub struct Shape {
    /// The name JS sees (the Rust name, or the `rename` attribute); for types of the crate
    /// and primitives a fixed name (`u32`, `ArenaStr`, ...).
    pub name: &'static str,
    /// `module_path!()` of a derived type (two types of one name are told apart by it), or ""
    /// for the crate's own and primitive types.
    pub module: &'static str,
    /// `size_of` of the type.
    pub size: usize,
    /// `align_of` of the type.
    pub align: usize,
    /// What it is.
    pub kind: Kind,
}

/// What a [`Shape`] is.
#[derive(Debug)]
pub enum Kind {
    /// An integer of `bytes` bytes (1, 2, 4, 8), little-endian.
    Int {
        /// Width in bytes.
        bytes: u8,
        /// Two's complement, or unsigned.
        signed: bool,
    },
    /// An IEEE 754 float of `bytes` bytes (4 or 8).
    Float {
        /// Width in bytes.
        bytes: u8,
    },
    /// One byte, 0 or 1.
    Bool,
    /// `[T; len]`.
    Array {
        /// The element.
        elem: ShapeFn,
        /// Number of elements.
        len: usize,
    },
    /// A `#[repr(C)]` struct.
    Struct(StructShape),
    /// A `#[repr(u8 | u16 | u32)]` or `#[repr(C, u8 | ...)]` enum, with or without data.
    Enum(EnumShape),
    /// `Option<T>` stored in `T`'s niche: `None` is `T`'s bytes holding [`NoneRepr`].
    Option {
        /// The `Some` payload's type.
        some: ShapeFn,
        /// How `None` is written.
        none: NoneRepr,
    },
    /// [`ArenaBox<T>`](super::ArenaBox): an 8-byte pointer to a `T` in the same block.
    Box {
        /// The target.
        target: ShapeFn,
    },
    /// [`ArenaStr`](super::ArenaStr): UTF-8 bytes in the block, pointer at
    /// [`PTR`](super::ptr_len::PTR), length (`usize`) at [`LEN`](super::ptr_len::LEN).
    Str,
    /// [`ArenaSlice<T>`](super::ArenaSlice): pointer and length (`usize`), as a string.
    Slice {
        /// The element.
        elem: ShapeFn,
    },
    /// [`ArenaVec<T>`](super::ArenaVec): pointer and length (`u32`) at the string's offsets,
    /// then the capacity and the block it grows in.
    Vec {
        /// The element.
        elem: ShapeFn,
    },
}

/// A struct's fields (in declaration order) and its JS attributes.
#[derive(Debug)]
pub struct StructShape {
    /// The fields, offsets from `offset_of!`; those with a `skip` attribute are left out (JS
    /// never sees them, so their type need not be `Layout`).
    pub fields: &'static [Field],
}

/// One field of a struct or of an enum variant.
#[derive(Debug)]
pub struct Field {
    /// The Rust name (`"0"`, `"1"` ... of a tuple variant).
    pub name: &'static str,
    /// The JS name: the Rust name or the `rename` attribute.
    pub js_name: &'static str,
    /// Byte offset from the start of the struct (of the enum, for a variant's field), as
    /// `offset_of!` computed it (for a variant, on its `#[repr(C)]` shadow struct).
    pub offset: usize,
    /// The field's type.
    pub shape: ShapeFn,
    /// Its fields appear as the parent's (`flatten`; the type must be a struct).
    pub flatten: bool,
}

/// An enum: the tag and each variant.
#[derive(Debug)]
pub struct EnumShape {
    /// Width of the tag (the discriminant) in bytes, at offset 0: 1, 2 or 4.
    pub tag_bytes: u8,
    /// The variants in declaration order.
    pub variants: &'static [Variant],
    /// How `toJS()` represents a value (serde's enum representations).
    pub tagging: Tagging,
    /// Whether every variant is fieldless (a `#[repr(u8 | u16 | u32)]` C-like enum).
    pub fieldless: bool,
}

/// One variant of an enum.
#[derive(Debug)]
pub struct Variant {
    /// The Rust name.
    pub name: &'static str,
    /// The JS name: the Rust name or the `rename` attribute.
    pub js_name: &'static str,
    /// The discriminant, as the compiler assigned it (read from a fieldless shadow enum with
    /// the same discriminant expressions).
    pub discriminant: u32,
    /// Unit, tuple (`Newtype` for one field) or struct.
    pub form: VariantForm,
    /// Its fields, offsets from the start of the enum.
    pub fields: &'static [Field],
}

/// The syntactic form of a variant (what serde's representations depend on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VariantForm {
    /// `A`.
    Unit,
    /// `A(T)`.
    Newtype,
    /// `A(T, U, ...)`.
    Tuple,
    /// `A { x: T, ... }`.
    Struct,
}

/// How `toJS()` writes an enum value, as serde's attributes of the same names do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tagging {
    /// `{ "Variant": payload }`, a unit variant as `"Variant"` (serde's default).
    External,
    /// `{ tag: "Variant", ...fields }` (`#[layout(tag = "type")]`).
    Internal {
        /// The tag's key.
        tag: &'static str,
    },
    /// `{ tag: "Variant", content: payload }` (`#[layout(tag = "t", content = "c")]`).
    Adjacent {
        /// The tag's key.
        tag: &'static str,
        /// The payload's key.
        content: &'static str,
    },
    /// The payload alone (`#[layout(untagged)]`).
    Untagged,
}

/// How the `None` of an `Option<T>` is written in `T`'s bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoneRepr {
    /// The 8-byte pointer at `offset` is null (all 64 bits zero).
    NullPtr {
        /// Where the pointer is.
        offset: usize,
    },
    /// The enum's tag (at offset 0, [`EnumShape::tag_bytes`] wide) holds `value`, which no
    /// variant has.
    Tag {
        /// The tag value of `None`, as the compiler wrote it.
        value: u32,
    },
}

impl Shape {
    /// Whether this is a derived type (struct or enum) rather than a primitive or one of the
    /// crate's containers.
    pub fn is_named(&self) -> bool {
        matches!(self.kind, Kind::Struct(_) | Kind::Enum(_))
    }
}
