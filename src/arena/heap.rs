//! The standard arena's memory: chunks from the global allocator, each twice the size of the
//! last, that the shared bump cursor ([`Bump`]) runs through. Only the slow path (a chunk is
//! full) and `reset` come here; allocation itself is the same few instructions as for a
//! fixed-size block.

use std::alloc::{Layout, alloc, dealloc};
use std::cell::RefCell;
use std::ptr::NonNull;

use super::{AllocError, Bump};

/// Size of the first chunk.
pub(crate) const FIRST_CHUNK: usize = 4 << 10;
/// Alignment of every chunk (requests for more are aligned inside the chunk).
const CHUNK_ALIGN: usize = 16;

struct Chunk {
    ptr: NonNull<u8>,
    layout: Layout,
}

impl Chunk {
    fn start(&self) -> usize {
        self.ptr.as_ptr() as usize
    }

    fn end(&self) -> usize {
        self.start() + self.layout.size()
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        // SAFETY: `ptr` was returned by `alloc(layout)` (see `HeapArena::alloc_slow`) and is
        // freed only here, once.
        unsafe { dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

/// The chunks of a standard arena; the newest (largest) is the one the cursor is in.
#[derive(Default)]
pub(crate) struct HeapArena {
    chunks: RefCell<Vec<Chunk>>,
}

// SAFETY: the chunks are memory this value owns alone (nothing else holds their pointers
// but allocations borrowed from the arena, which cannot outlive it), so moving the arena to
// another thread moves that ownership with it.
unsafe impl Send for HeapArena {}

impl HeapArena {
    /// Add a chunk that fits `layout` (at least twice the last one) and allocate from it.
    pub(crate) fn alloc_slow(
        &self,
        bump: &Bump,
        layout: Layout,
    ) -> Result<NonNull<u8>, AllocError> {
        let mut chunks = self.chunks.borrow_mut();
        let last = chunks.last().map_or(0, |c| c.layout.size());
        // Room for the request at any alignment the chunk's own does not give.
        let need = layout
            .size()
            .checked_add(layout.align().saturating_sub(CHUNK_ALIGN))
            .ok_or(AllocError::OutOfMemory)?;
        let size = need
            .max(last.saturating_mul(2))
            .max(FIRST_CHUNK)
            .checked_next_multiple_of(CHUNK_ALIGN)
            .ok_or(AllocError::OutOfMemory)?;
        let chunk_layout =
            Layout::from_size_align(size, CHUNK_ALIGN).map_err(|_| AllocError::OutOfMemory)?;
        // SAFETY: `chunk_layout` has a non-zero size (at least FIRST_CHUNK).
        let ptr = NonNull::new(unsafe { alloc(chunk_layout) }).ok_or(AllocError::OutOfMemory)?;
        let chunk = Chunk {
            ptr,
            layout: chunk_layout,
        };
        let start = chunk.start().next_multiple_of(layout.align());
        let end = start + layout.size();
        debug_assert!(end <= chunk.end());
        bump.ptr.set(end);
        bump.end.set(chunk.end());
        chunks.push(chunk);
        // SAFETY: `start` lies inside the chunk just allocated, which is not null.
        Ok(unsafe { NonNull::new_unchecked(start as *mut u8) })
    }

    /// Forget every allocation: keep the newest (largest) chunk, free the others.
    pub(crate) fn reset(&mut self, bump: &Bump) {
        let chunks = self.chunks.get_mut();
        let keep = chunks.pop();
        chunks.clear();
        match keep {
            Some(chunk) => {
                bump.ptr.set(chunk.start());
                bump.end.set(chunk.end());
                chunks.push(chunk);
            }
            None => bump.clear(),
        }
    }

    /// Bytes of every chunk.
    pub(crate) fn chunk_bytes(&self) -> usize {
        self.chunks.borrow().iter().map(|c| c.layout.size()).sum()
    }
}
