//! Typed layouts: describe a Rust type once (`#[derive(Layout)]`), get its zero-copy JS
//! reader, `toJS()`, visitor and TypeScript types generated ([`write_js`]).
//!
//! A [`Layout`] type has a layout the compiler guarantees and the derive can state without
//! computing anything by hand: `#[repr(C)]` structs, `#[repr(u8 | u16 | u32)]` enums and
//! `#[repr(C, u8)]` / `#[repr(u8)]` enums with data (RFC 2195), integers, `f32`/`f64`,
//! `bool`, `[T; N]`, `Option` of a type with a niche ([`Niche`]: a derived enum, an arena
//! reference), and this module's arena types ([`ArenaBox`], [`ArenaStr`], [`ArenaSlice`],
//! [`ArenaVec`]), which can only be made by allocating in a block. Every size, alignment,
//! offset, discriminant and `None` value in a [`Shape`] comes from the compiler
//! (`size_of`, `align_of`, `offset_of!`, a discriminant cast, `None` read in a `const`).
//!
//! ```
//! use raw_transfer::layout::{ArenaBox, ArenaStr, Layout};
//!
//! #[derive(Layout)]
//! #[repr(C, u8)]
//! #[layout(tag = "type")]
//! enum Expr<'a> {
//!     Number { value: f64 },
//!     Name { name: ArenaStr<'a> },
//!     Add { left: ArenaBox<'a, Expr<'a>>, right: ArenaBox<'a, Expr<'a>> },
//! }
//! assert_eq!(<Expr as Layout>::SHAPE.size, size_of::<Expr>());
//! ```
//!
//! The block a producer hands to JS carries the root's offset and the layout's hash
//! ([`root_metadata`]); a generated reader refuses a block whose hash is not its own.

mod hash;
mod impls;
mod js;
mod shape;
mod types;

pub use hash::layout_hash;
pub use js::{JsOptions, LAYOUT_RUNTIME_VERSION, LayoutJsError, generate_js, sync_js, write_js};
/// `#[derive(Layout)]`: see [`Layout`] for what it accepts and its attributes.
pub use raw_transfer_derive::Layout;
pub use shape::{
    EnumShape, Field, Kind, NoneRepr, Shape, ShapeFn, StructShape, Tagging, Variant, VariantForm,
};
pub use types::{ArenaBox, ArenaError, ArenaSlice, ArenaStr, ArenaVec, InBlock};

use crate::arena::FixedSizeAllocator;
use crate::transfer::RawTransferMetadata;

/// Where a reader finds the pointer and the length (its low 32 bits) in [`ArenaStr`],
/// [`ArenaSlice`] and [`ArenaVec`]; the pointer of [`ArenaBox`] is at [`PTR`](ptr_len::PTR)
/// too. Asserted against `offset_of!` in `impls.rs`.
pub mod ptr_len {
    /// Offset of the 8-byte pointer.
    pub const PTR: usize = 0;
    /// Offset of the length (`usize` in strings and slices, `u32` in vectors).
    pub const LEN: usize = 8;
}

/// A type whose memory layout a JS reader can follow. Implement it with
/// `#[derive(Layout)]`.
///
/// # The derive
///
/// Accepts `#[repr(C)]` structs (named fields), fieldless `#[repr(u8 | u16 | u32)]` enums and
/// enums with data under `#[repr(C, u8 | u16 | u32)]` or `#[repr(u8 | u16 | u32)]`. Type
/// parameters other than lifetimes are refused. Every field's type must be `Layout`; any
/// other is a compile error at that field.
///
/// Attributes (`#[layout(...)]`; `#[serde(...)]` attributes of the same meaning are honoured
/// too, so `toJS()` matches what serde writes):
/// - on a type: `rename = "Name"` (its JS name), `rename_all = "camelCase"` (and serde's
///   other cases) for its fields or variants; on an enum `tag = "type"` (internally tagged),
///   `tag = "t", content = "c"` (adjacently tagged), `untagged`;
/// - on a field: `rename = "name"`, `skip`, `flatten` (a struct's fields appear as the
///   parent's);
/// - on a variant: `rename = "Name"`, `skip`.
///
/// # Safety
///
/// `SHAPE` must state `Self`'s true size, alignment, field offsets, discriminants and niche.
/// The derive takes all of them from the compiler.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no layout a generated JS reader can follow",
    label = "not a layout type",
    note = "fields of a #[derive(Layout)] type are integers, f32/f64, bool, [T; N], #[derive(Layout)] types, \
            `Option` of a derived enum or of an arena reference, and raw_transfer::layout's \
            ArenaBox, ArenaStr, ArenaSlice and ArenaVec (a `&str`, `Box`, `Vec` or `String` \
            may point outside the block: allocate in it instead)"
)]
pub unsafe trait Layout: Sized {
    /// The type's shape.
    const SHAPE: &'static Shape;

    /// [`Self::SHAPE`], as a function (what shapes refer to their parts by).
    fn shape() -> &'static Shape {
        Self::SHAPE
    }

    /// The hash of the whole layout reachable from this type ([`layout_hash`]); the derive
    /// computes it once per type.
    fn layout_hash() -> u64 {
        layout_hash(Self::SHAPE)
    }
}

/// A [`Layout`] type with a spare bit pattern that `Option<Self>` uses for `None`, so the
/// option is as big as the type: a derived enum (an unused tag value) or an arena reference
/// (a null pointer).
///
/// # Safety
///
/// `NONE` must be how the compiler writes `None::<Self>`, and `Option<Self>` must be as big
/// as `Self`. The derive and this module read both from the compiler in a `const`.
#[diagnostic::on_unimplemented(
    message = "`Option<{Self}>` has no layout a generated JS reader can follow",
    label = "no niche for `None`",
    note = "`Option` is a layout type of a #[derive(Layout)] enum or of ArenaBox, ArenaStr, \
            ArenaSlice and ArenaVec"
)]
pub unsafe trait Niche: Layout {
    /// How `None` is written.
    const NONE: NoneRepr;
}

/// The hand-off record of a document whose root is `root`, in `block`: the root's offset and
/// the layout's hash (`producer0` its low 32 bits, `producer1` the high), with the block's
/// generation. A generated reader refuses a block whose hash is not its own.
///
/// Fails with [`ArenaError::OutsideBlock`] if `root` is not in `block`.
pub fn root_metadata<T: Layout>(
    block: &FixedSizeAllocator,
    root: &T,
) -> Result<RawTransferMetadata, ArenaError> {
    if !block.contains(root as *const T) {
        return Err(ArenaError::OutsideBlock);
    }
    let hash = T::layout_hash();
    Ok(RawTransferMetadata {
        data_offset: block.offset_of(root as *const T),
        generation: block.generation(),
        producer0: hash as u32,
        producer1: (hash >> 32) as u32,
    })
}

/// Write [`root_metadata`] as the block's hand-off record (one document per block; a producer
/// placing many documents in one block hands each its record instead).
pub fn write_root_metadata<T: Layout>(
    block: &FixedSizeAllocator,
    root: &T,
) -> Result<(), ArenaError> {
    let meta = root_metadata(block, root)?;
    block.write_raw_metadata(meta)?;
    Ok(())
}

#[cfg(test)]
mod tests;
