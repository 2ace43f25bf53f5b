//! The arena references and containers whose layout the crate guarantees, so a generated
//! JS reader can follow them: [`ArenaBox`], [`ArenaStr`], [`ArenaSlice`], [`ArenaVec`].
//!
//! Each is made only by allocating in a block (a [`FixedSizeAllocator`], or an [`Allocator`]
//! that is one: see [`InBlock`]), so every pointer one holds is into a block and its low 32
//! bits are an offset in the JS buffer. A `&'static str` or a heap `Box` cannot become one: it
//! does not type-check.
//!
//! ```text
//!   ArenaBox<T>    [ptr: 8]                      Option<ArenaBox<T>>: None = ptr 0
//!   ArenaStr       [ptr: 8][len: usize 8]        UTF-8 bytes
//!   ArenaSlice<T>  [ptr: 8][len: usize 8]
//!   ArenaVec<T>    [ptr: 8][len: u32][cap: u32][block: 8]
//! ```
//!
//! A reader finds the pointer at offset [`PTR`](super::ptr_len::PTR) and the length's low 32
//! bits at [`LEN`](super::ptr_len::LEN) in all of them. None runs its contents' `Drop`
//! (arena memory is forgotten wholesale on reset), like `bumpalo`'s containers.

use std::alloc::Layout as StdLayout;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

use crate::arena::{AllocError, Allocator, FixedSizeAllocator};

/// Why a value could not be placed in a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArenaError {
    /// The [`Allocator`] is a standard (heap) arena: its memory cannot be handed to JS, so
    /// nothing a JS reader follows may point into it.
    NotABlock,
    /// A document's root is not in the block it is handed off with.
    OutsideBlock,
    /// The block could not allocate.
    Alloc(AllocError),
}

impl fmt::Display for ArenaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotABlock => f.write_str(
                "layout types allocate only in a fixed-size block (this Allocator is a standard arena)",
            ),
            Self::OutsideBlock => f.write_str("the root is not in the block it is handed off with"),
            Self::Alloc(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ArenaError {}

impl From<AllocError> for ArenaError {
    fn from(e: AllocError) -> Self {
        Self::Alloc(e)
    }
}

/// Where layout types allocate: a `&FixedSizeAllocator`, or a `&Allocator` that is one
/// (checked at run time: a standard arena gives [`ArenaError::NotABlock`]).
pub trait InBlock<'a>: Copy {
    /// The block.
    fn block(self) -> Result<&'a FixedSizeAllocator, ArenaError>;
}

impl<'a> InBlock<'a> for &'a FixedSizeAllocator {
    #[inline(always)]
    fn block(self) -> Result<&'a FixedSizeAllocator, ArenaError> {
        Ok(self)
    }
}

impl<'a> InBlock<'a> for &'a Allocator {
    #[inline]
    fn block(self) -> Result<&'a FixedSizeAllocator, ArenaError> {
        self.as_fixed_size().ok_or(ArenaError::NotABlock)
    }
}

#[cold]
#[inline(never)]
fn failed(e: ArenaError) -> ! {
    panic!("arena allocation failed: {e}")
}

// ---------------------------------------------------------------------------------------

/// A `T` in a block, owned: one 8-byte pointer (`#[repr(transparent)]` over `NonNull<T>`),
/// so `Option<ArenaBox<T>>` is 8 bytes with `None` as null. Not `Copy`: each box is the one
/// path to its value, which is what lets a JS walk bound its work by the buffer's size.
#[repr(transparent)]
pub struct ArenaBox<'a, T> {
    ptr: NonNull<T>,
    _owns: PhantomData<&'a mut T>,
}

impl<'a, T> ArenaBox<'a, T> {
    /// Move `value` into the block. Panics if the block is full or `arena` is not a block;
    /// see [`try_new_in`](Self::try_new_in).
    #[inline]
    pub fn new_in(value: T, arena: impl InBlock<'a>) -> Self {
        Self::try_new_in(value, arena).unwrap_or_else(|e| failed(e))
    }

    /// Move `value` into the block, or say why not.
    #[inline]
    pub fn try_new_in(value: T, arena: impl InBlock<'a>) -> Result<Self, ArenaError> {
        let r = arena.block()?.try_alloc(value)?;
        Ok(Self {
            ptr: NonNull::from(r),
            _owns: PhantomData,
        })
    }
}

impl<T> Deref for ArenaBox<'_, T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: `ptr` came from a `&'a mut T` allocated in a block that lives for `'a`
        // (and cannot be reset while borrowed), and this box is its only owner.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> DerefMut for ArenaBox<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes the access unique.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T: fmt::Debug> fmt::Debug for ArenaBox<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: PartialEq> PartialEq for ArenaBox<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

// SAFETY: an `ArenaBox<T>` is a unique owner of its `T`, like `&'a mut T`, which is `Send`
// when `T` is.
unsafe impl<T: Send> Send for ArenaBox<'_, T> {}
// SAFETY: shared access to an `ArenaBox<T>` gives only `&T`, like `&'a mut T`.
unsafe impl<T: Sync> Sync for ArenaBox<'_, T> {}

// ---------------------------------------------------------------------------------------

/// A string in a block: pointer and byte length, in that order (`#[repr(C)]`). `Copy`, like
/// `&str`: strings hold no pointers, so sharing one cannot make a JS walk loop.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ArenaStr<'a> {
    pub(super) ptr: NonNull<u8>,
    pub(super) len: usize,
    _str: PhantomData<&'a str>,
}

impl<'a> ArenaStr<'a> {
    /// Copy `s` into the block. Panics if the block is full or `arena` is not a block.
    #[inline]
    pub fn new_in(s: &str, arena: impl InBlock<'a>) -> Self {
        Self::try_new_in(s, arena).unwrap_or_else(|e| failed(e))
    }

    /// Copy `s` into the block, or say why not.
    #[inline]
    pub fn try_new_in(s: &str, arena: impl InBlock<'a>) -> Result<Self, ArenaError> {
        let r = arena.block()?.try_alloc_str(s)?;
        Ok(Self {
            len: r.len(),
            ptr: NonNull::from(r).cast(),
            _str: PhantomData,
        })
    }

    /// The string, for as long as the block lives.
    #[inline(always)]
    pub fn as_str(&self) -> &'a str {
        // SAFETY: `ptr..ptr + len` is a copy of a `str` in a block alive and unreset for `'a`.
        unsafe {
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.ptr.as_ptr(), self.len))
        }
    }
}

impl Deref for ArenaStr<'_> {
    type Target = str;
    #[inline(always)]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for ArenaStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_str().fmt(f)
    }
}

impl fmt::Display for ArenaStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_str().fmt(f)
    }
}

impl PartialEq for ArenaStr<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<str> for ArenaStr<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ArenaStr<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

// SAFETY: an `ArenaStr` is a shared `&'a str`, which is `Send` and `Sync`.
unsafe impl Send for ArenaStr<'_> {}
// SAFETY: as above.
unsafe impl Sync for ArenaStr<'_> {}

// ---------------------------------------------------------------------------------------

/// A slice in a block, owned: pointer and element count (`#[repr(C)]`). Made by
/// [`ArenaVec::into_slice`], [`ArenaSlice::from_slice_in`] or [`ArenaSlice::from_iter_in`].
#[repr(C)]
pub struct ArenaSlice<'a, T> {
    pub(super) ptr: NonNull<T>,
    pub(super) len: usize,
    _owns: PhantomData<&'a mut [T]>,
}

impl<'a, T> ArenaSlice<'a, T> {
    /// An empty slice (its dangling pointer is never read: the length is 0).
    pub const fn empty() -> Self {
        Self {
            ptr: NonNull::dangling(),
            len: 0,
            _owns: PhantomData,
        }
    }

    /// Copy `src` into the block. Panics if the block is full or `arena` is not a block.
    pub fn from_slice_in(src: &[T], arena: impl InBlock<'a>) -> Self
    where
        T: Copy,
    {
        Self::try_from_slice_in(src, arena).unwrap_or_else(|e| failed(e))
    }

    /// Copy `src` into the block, or say why not.
    pub fn try_from_slice_in(src: &[T], arena: impl InBlock<'a>) -> Result<Self, ArenaError>
    where
        T: Copy,
    {
        let r = arena.block()?.try_alloc_slice_copy(src)?;
        Ok(Self {
            len: r.len(),
            ptr: NonNull::from(r).cast(),
            _owns: PhantomData,
        })
    }

    /// Collect `iter` into the block. Panics if the block is full or `arena` is not a block.
    pub fn from_iter_in(iter: impl IntoIterator<Item = T>, arena: impl InBlock<'a>) -> Self {
        let mut v = ArenaVec::new_in(arena);
        for x in iter {
            v.push(x);
        }
        v.into_slice()
    }
}

impl<T> Deref for ArenaSlice<'_, T> {
    type Target = [T];
    #[inline(always)]
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr..ptr + len` holds `len` initialised `T`s in a block alive for `'a`
        // (or `len` is 0 and `ptr` is dangling but aligned), owned by this slice.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> DerefMut for ArenaSlice<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`; `&mut self` makes the access unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: fmt::Debug> fmt::Debug for ArenaSlice<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: PartialEq> PartialEq for ArenaSlice<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T> Default for ArenaSlice<'_, T> {
    fn default() -> Self {
        Self::empty()
    }
}

// SAFETY: an `ArenaSlice<T>` owns its elements like `&'a mut [T]`.
unsafe impl<T: Send> Send for ArenaSlice<'_, T> {}
// SAFETY: as above; shared access gives `&[T]`.
unsafe impl<T: Sync> Sync for ArenaSlice<'_, T> {}

// ---------------------------------------------------------------------------------------

/// A vector that grows in a block: pointer, length and capacity (`u32`s), and the block
/// (`#[repr(C)]`). Growing extends the last allocation in place when it can, and otherwise
/// moves the elements (the old bytes stay in the block until its reset).
#[repr(C)]
pub struct ArenaVec<'a, T> {
    pub(super) ptr: NonNull<T>,
    pub(super) len: u32,
    cap: u32,
    block: &'a FixedSizeAllocator,
    _owns: PhantomData<&'a mut [T]>,
}

impl<'a, T> ArenaVec<'a, T> {
    /// An empty vector that will grow in `arena`'s block. Panics if `arena` is not a block;
    /// see [`try_new_in`](Self::try_new_in).
    pub fn new_in(arena: impl InBlock<'a>) -> Self {
        Self::try_new_in(arena).unwrap_or_else(|e| failed(e))
    }

    /// An empty vector that will grow in `arena`'s block, or [`ArenaError::NotABlock`].
    pub fn try_new_in(arena: impl InBlock<'a>) -> Result<Self, ArenaError> {
        Ok(Self {
            ptr: NonNull::dangling(),
            len: 0,
            cap: if size_of::<T>() == 0 { u32::MAX } else { 0 },
            block: arena.block()?,
            _owns: PhantomData,
        })
    }

    /// An empty vector with room for `cap` elements. Panics as `new_in` does, or if the block
    /// is full.
    pub fn with_capacity_in(cap: usize, arena: impl InBlock<'a>) -> Self {
        let mut v = Self::new_in(arena);
        v.try_reserve(cap).unwrap_or_else(|e| failed(e));
        v
    }

    /// Number of elements.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there are none.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Room for how many elements without growing.
    pub fn capacity(&self) -> usize {
        self.cap as usize
    }

    /// Append `value`. Panics if the block is full.
    #[inline]
    pub fn push(&mut self, value: T) {
        self.try_push(value).unwrap_or_else(|e| failed(e))
    }

    /// Append `value`, or say why not (then `value` is dropped).
    #[inline]
    pub fn try_push(&mut self, value: T) -> Result<(), ArenaError> {
        if self.len == self.cap {
            self.try_reserve(1)?;
        }
        // SAFETY: `len < cap`, so the slot at `len` is allocated (or `T` is zero-sized) and
        // uninitialised.
        unsafe { self.ptr.as_ptr().add(self.len as usize).write(value) };
        self.len += 1;
        Ok(())
    }

    /// Make room for `additional` more elements.
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), ArenaError> {
        let need = (self.len as usize)
            .checked_add(additional)
            .filter(|&n| n <= u32::MAX as usize)
            .ok_or(ArenaError::Alloc(AllocError::OutOfMemory))?;
        if need <= self.cap as usize {
            return Ok(());
        }
        let new_cap = need
            .max(self.cap as usize * 2)
            .max(4)
            .min(u32::MAX as usize);
        let size = size_of::<T>();
        let old_bytes = self.cap as usize * size;
        let new_bytes = new_cap
            .checked_mul(size)
            .ok_or(ArenaError::Alloc(AllocError::OutOfMemory))?;
        if self.cap > 0
            && self
                .block
                .try_grow_last(self.ptr.cast(), old_bytes, new_bytes)
        {
            self.cap = new_cap as u32;
            return Ok(());
        }
        let layout = StdLayout::from_size_align(new_bytes, align_of::<T>())
            .map_err(|_| ArenaError::Alloc(AllocError::OutOfMemory))?;
        let fresh = self.block.try_alloc_layout(layout)?.cast::<T>();
        // SAFETY: `fresh` is a new allocation of `new_cap >= len` elements, disjoint from the
        // old one, whose first `len` elements are initialised; the old ones are moved, not
        // dropped (the old bytes are forgotten).
        unsafe {
            std::ptr::copy_nonoverlapping(self.ptr.as_ptr(), fresh.as_ptr(), self.len as usize)
        };
        self.ptr = fresh;
        self.cap = new_cap as u32;
        Ok(())
    }

    /// The elements as an owned slice (the unused capacity stays in the block, unused).
    pub fn into_slice(self) -> ArenaSlice<'a, T> {
        ArenaSlice {
            ptr: self.ptr,
            len: self.len as usize,
            _owns: PhantomData,
        }
    }
}

impl<T> Deref for ArenaVec<'_, T> {
    type Target = [T];
    #[inline(always)]
    fn deref(&self) -> &[T] {
        // SAFETY: the first `len` elements at `ptr` are initialised and owned by this vector
        // (or `len` is 0 and `ptr` is dangling but aligned).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len as usize) }
    }
}

impl<T> DerefMut for ArenaVec<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`; `&mut self` makes the access unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len as usize) }
    }
}

impl<T: fmt::Debug> fmt::Debug for ArenaVec<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T> Extend<T> for ArenaVec<'_, T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for x in iter {
            self.push(x);
        }
    }
}

// No `Send`/`Sync` for `ArenaVec`: it holds the `&FixedSizeAllocator` it grows in, whose
// cursor is a `Cell`, so it stays on the allocator's thread (`into_slice` gives a `Send` one).

#[cfg(any(test, feature = "serde"))]
mod serde_impls {
    //! `Serialize` as the values they hold (a box as its target, strings as strings, slices
    //! and vectors as sequences), so a type deriving both `Layout` and `Serialize` gives the
    //! JSON its generated `toJS()` matches.
    use super::{ArenaBox, ArenaSlice, ArenaStr, ArenaVec};
    use serde::{Serialize, Serializer};

    impl<T: Serialize> Serialize for ArenaBox<'_, T> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            (**self).serialize(s)
        }
    }
    impl Serialize for ArenaStr<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(self.as_str())
        }
    }
    impl<T: Serialize> Serialize for ArenaSlice<'_, T> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(self.iter())
        }
    }
    impl<T: Serialize> Serialize for ArenaVec<'_, T> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(self.iter())
        }
    }
}
