//! Arenas: [`Allocator`] is either a growable standard arena (chunks from the global
//! allocator) or a [`FixedSizeAllocator`] over one 4 GiB-aligned block that can be handed
//! to JS.
//!
//! Both kinds allocate through one bump cursor ([`Bump`]: the next free address and the
//! end of what may be handed out without more work), so the fast path is the same few
//! instructions for both and never asks which kind it is: align up, add, compare, store.
//! Only the slow path (the chunk or the committed part of the block is full) and `reset`
//! look at where the memory comes from ([`Backing`]).
//!
//! Both have the same small surface (`alloc`, `alloc_slice_copy`, `alloc_str`, their
//! `try_*` forms, `reset`) and implement `allocator_api2::alloc::Allocator` by reference,
//! so `allocator_api2::vec::Vec<T, &Allocator>` and `hashbrown` maps can live in them.

use std::alloc::Layout;
use std::cell::Cell;
use std::fmt;
use std::ptr::NonNull;

mod fixed;
mod heap;

pub use fixed::{DEFAULT_MAX_RETAINED_BYTES, DEFAULT_RETAINED_BYTES, FixedSizeAllocator};

/// This layer's numbers for the JS reader (see `js_constants`): the pool defaults.
pub(crate) const JS_CONSTANTS: &[(&str, usize)] = &[
    ("DEFAULT_RETAINED_BYTES", DEFAULT_RETAINED_BYTES),
    ("DEFAULT_MAX_RETAINED_BYTES", DEFAULT_MAX_RETAINED_BYTES),
];

/// Why an allocation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocError {
    /// A fixed-size block cannot hold the request.
    BlockFull {
        /// Bytes asked for.
        requested: usize,
        /// Bytes the block had left.
        remaining: usize,
    },
    /// The OS refused to commit more memory for the block.
    CommitFailed,
    /// The standard arena could not get memory from the system allocator, or the request
    /// is not a valid layout.
    OutOfMemory,
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BlockFull {
                requested,
                remaining,
            } => write!(
                f,
                "arena block is full: {requested} bytes requested, {remaining} bytes remain of {} \
                 (blocks are fixed-size; split the input or use a standard allocator)",
                crate::ACTIVE_SIZE
            ),
            Self::CommitFailed => {
                f.write_str("the OS refused to commit more memory for the arena block")
            }
            Self::OutOfMemory => f.write_str("out of memory"),
        }
    }
}

impl std::error::Error for AllocError {}

/// An arena allocator: standard (growable) or fixed-size (one block, transferable to JS).
pub struct Allocator {
    bump: Bump,
    backing: Backing,
}

/// Where an arena's memory comes from; only the slow path and `reset` look.
enum Backing {
    Block(fixed::BlockArena),
    Heap(heap::HeapArena),
}

/// The bump state both kinds allocate from.
pub(crate) struct Bump {
    /// Address of the next free byte.
    ptr: Cell<usize>,
    /// End of the memory the fast path may hand out: the committed end of a block, the end
    /// of a standard arena's current chunk.
    end: Cell<usize>,
}

/// Where an empty standard arena's cursor points: a non-null address aligned for anything
/// up to a page, so zero-sized allocations of such alignment need no chunk. Nothing is ever
/// read or written there.
const EMPTY: usize = 4096;

impl Bump {
    fn at(ptr: usize, end: usize) -> Self {
        Self {
            ptr: Cell::new(ptr),
            end: Cell::new(end),
        }
    }

    fn clear(&self) {
        self.ptr.set(EMPTY);
        self.end.set(EMPTY);
    }
}

impl Default for Allocator {
    fn default() -> Self {
        Self::new()
    }
}

/// A fixed-size arena as an `Allocator`: `Allocator::from(FixedSizeAllocator::new()?)`.
impl From<FixedSizeAllocator> for Allocator {
    fn from(fixed: FixedSizeAllocator) -> Self {
        fixed.into_allocator()
    }
}

impl Allocator {
    /// A growable standard arena (no memory until the first allocation).
    pub fn new() -> Self {
        Self {
            bump: Bump::at(EMPTY, EMPTY),
            backing: Backing::Heap(heap::HeapArena::default()),
        }
    }

    /// The fixed-size allocator this is, if it is one.
    pub fn as_fixed_size(&self) -> Option<&FixedSizeAllocator> {
        FixedSizeAllocator::from_ref(self)
    }

    /// The fixed-size allocator this is, mutably, if it is one.
    pub fn as_fixed_size_mut(&mut self) -> Option<&mut FixedSizeAllocator> {
        FixedSizeAllocator::from_mut(self)
    }

    /// Allocate `layout` or report why not. The same code for both kinds: a bounds check
    /// against the bump's end; past it, the slow path of the kind.
    #[inline(always)]
    pub fn try_alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        let ptr = self.bump.ptr.get();
        // No overflow: `ptr` is below 2^48 and the size rounded up to the alignment is at
        // most `isize::MAX`, so `start + size <= ptr + isize::MAX`.
        let start = (ptr + layout.align() - 1) & !(layout.align() - 1);
        let end = start + layout.size();
        if end <= self.bump.end.get() {
            self.bump.ptr.set(end);
            // SAFETY: `start` is at least `ptr`, which is never null: a block address, a
            // chunk address, or `EMPTY`.
            return Ok(unsafe { NonNull::new_unchecked(start as *mut u8) });
        }
        self.alloc_slow(layout)
    }

    #[cold]
    #[inline(never)]
    fn alloc_slow(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        match &self.backing {
            Backing::Block(b) => b.alloc_slow(&self.bump, layout),
            Backing::Heap(h) => h.alloc_slow(&self.bump, layout),
        }
    }

    /// Grow the most recent allocation `[ptr, ptr + old_size)` in place to `new_size`
    /// bytes; `false` (nothing changed) if it is not the most recent or cannot grow there.
    fn try_grow_last(&self, ptr: NonNull<u8>, old_size: usize, new_size: usize) -> bool {
        let start = ptr.as_ptr() as usize;
        if start + old_size != self.bump.ptr.get() {
            return false;
        }
        let end = start + new_size;
        if end > self.bump.end.get() {
            // Only a block can extend in place (by committing more); a chunk cannot.
            match &self.backing {
                Backing::Block(b) => {
                    if b.ensure_committed(&self.bump, end, start).is_err() {
                        return false;
                    }
                }
                Backing::Heap(_) => return false,
            }
        }
        self.bump.ptr.set(end);
        true
    }

    /// Forget every allocation (fixed-size: bump the generation, trim committed memory;
    /// standard: keep the largest chunk, free the others).
    pub fn reset(&mut self) {
        match &mut self.backing {
            Backing::Block(b) => b.reset(&self.bump),
            Backing::Heap(h) => h.reset(&self.bump),
        }
    }

    /// Bytes allocated since the last reset (standard: the chunks' bytes minus what is left
    /// in the current one, so skipped chunk tails count).
    pub fn used_bytes(&self) -> usize {
        match &self.backing {
            Backing::Block(b) => b.used_bytes(&self.bump),
            Backing::Heap(h) => h.chunk_bytes() - (self.bump.end.get() - self.bump.ptr.get()),
        }
    }

    /// Bytes of memory the arena holds from the OS.
    pub fn committed_bytes(&self) -> usize {
        match &self.backing {
            Backing::Block(b) => b.committed_bytes(&self.bump),
            Backing::Heap(h) => h.chunk_bytes(),
        }
    }
}

/// The allocation surface shared by [`Allocator`] and [`FixedSizeAllocator`], written once
/// in terms of their `try_alloc_layout`.
macro_rules! arena_api {
    ($ty:ty) => {
        impl $ty {
            /// Move `value` into the arena. Panics if the arena is full; see [`Self::try_alloc`].
            #[inline(always)]
            #[allow(clippy::mut_from_ref)]
            pub fn alloc<T>(&self, value: T) -> &mut T {
                self.try_alloc(value).unwrap_or_else(|e| alloc_failed(e))
            }

            /// Move `value` into the arena, or return an error if it does not fit.
            #[inline(always)]
            #[allow(clippy::mut_from_ref)]
            pub fn try_alloc<T>(&self, value: T) -> Result<&mut T, AllocError> {
                let ptr = self.try_alloc_layout(Layout::new::<T>())?.cast::<T>();
                // SAFETY: `ptr` is fresh, aligned and sized for `T`, and lives as long as
                // `&self` (the arena hands each byte out once per reset, and `reset` needs
                // `&mut self`).
                unsafe {
                    ptr.write(value);
                    Ok(&mut *ptr.as_ptr())
                }
            }

            /// Copy `src` into the arena. Panics if the arena is full.
            #[inline(always)]
            #[allow(clippy::mut_from_ref)]
            pub fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> &mut [T] {
                self.try_alloc_slice_copy(src)
                    .unwrap_or_else(|e| alloc_failed(e))
            }

            /// Copy `src` into the arena, or return an error if it does not fit.
            #[inline(always)]
            #[allow(clippy::mut_from_ref)]
            pub fn try_alloc_slice_copy<T: Copy>(&self, src: &[T]) -> Result<&mut [T], AllocError> {
                let layout = Layout::for_value(src);
                let ptr = self.try_alloc_layout(layout)?.cast::<T>();
                // SAFETY: `ptr` is fresh and sized and aligned for `src.len()` `T`s, which
                // are `Copy`; the regions cannot overlap since `ptr` was just handed out.
                unsafe {
                    std::ptr::copy_nonoverlapping(src.as_ptr(), ptr.as_ptr(), src.len());
                    Ok(std::slice::from_raw_parts_mut(ptr.as_ptr(), src.len()))
                }
            }

            /// Copy `s` into the arena. Panics if the arena is full.
            #[inline(always)]
            #[allow(clippy::mut_from_ref)]
            pub fn alloc_str(&self, s: &str) -> &mut str {
                self.try_alloc_str(s).unwrap_or_else(|e| alloc_failed(e))
            }

            /// Copy `s` into the arena, or return an error if it does not fit.
            #[inline(always)]
            #[allow(clippy::mut_from_ref)]
            pub fn try_alloc_str(&self, s: &str) -> Result<&mut str, AllocError> {
                let bytes = self.try_alloc_slice_copy(s.as_bytes())?;
                // SAFETY: the bytes are a copy of a `str`, so valid UTF-8.
                Ok(unsafe { std::str::from_utf8_unchecked_mut(bytes) })
            }
        }

        // SAFETY: blocks handed out are fresh and valid until reset, which needs `&mut`
        // and so cannot happen while a `&Allocator` (and thus a collection using it) lives.
        // `deallocate` is a no-op (arena); `grow` either extends the last allocation in
        // place or allocates anew and copies, both of which keep the old bytes.
        unsafe impl allocator_api2::alloc::Allocator for &$ty {
            #[inline(always)]
            fn allocate(
                &self,
                layout: Layout,
            ) -> Result<NonNull<[u8]>, allocator_api2::alloc::AllocError> {
                match self.try_alloc_layout(layout) {
                    Ok(p) => Ok(NonNull::slice_from_raw_parts(p, layout.size())),
                    Err(_) => Err(allocator_api2::alloc::AllocError),
                }
            }

            #[inline(always)]
            unsafe fn deallocate(&self, _ptr: NonNull<u8>, _layout: Layout) {}

            unsafe fn grow(
                &self,
                ptr: NonNull<u8>,
                old: Layout,
                new: Layout,
            ) -> Result<NonNull<[u8]>, allocator_api2::alloc::AllocError> {
                if (ptr.as_ptr() as usize) % new.align() == 0
                    && self.try_grow_last(ptr, old.size(), new.size())
                {
                    return Ok(NonNull::slice_from_raw_parts(ptr, new.size()));
                }
                let fresh = allocator_api2::alloc::Allocator::allocate(self, new)?;
                // SAFETY: `ptr` holds `old.size()` initialised-or-not bytes the caller owns;
                // `fresh` is a new block of at least that size, disjoint from `ptr`.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        ptr.as_ptr(),
                        fresh.cast::<u8>().as_ptr(),
                        old.size(),
                    )
                };
                Ok(fresh)
            }
        }
    };
}

arena_api!(Allocator);
arena_api!(FixedSizeAllocator);

// The fast path reads the bump at the same place for both kinds: a FixedSizeAllocator is an
// Allocator (see `Allocator::as_fixed_size`).
const _: () = assert!(size_of::<FixedSizeAllocator>() == size_of::<Allocator>());

#[cold]
#[inline(never)]
fn alloc_failed(e: AllocError) -> ! {
    panic!("arena allocation failed: {e}")
}

#[cfg(test)]
mod tests;
