//! Blocks checked out to JS: sending a filled block, reading, writing and rewriting the
//! metadata of one JS holds, and releasing it (whole, or document by document) back to the
//! pool.

use super::{EnvPool, not_out};
use crate::FixedSizeAllocator;
use crate::napi::docs::Docs;
use crate::napi::error::{Result, TransferError};
use crate::napi::sent::Sent;
use crate::pool::FixedSizeAllocatorGuard;
use crate::transfer::RawTransferMetadata;

/// A block checked out to JS, with whatever must be dropped when it comes back (a job's
/// read-ahead permit).
pub(super) struct CheckedOut {
    pub(super) guard: FixedSizeAllocatorGuard,
    /// What was last written to the block's metadata record (Rust never reads it back from
    /// the JS-visible block).
    meta: RawTransferMetadata,
    /// The documents in the block JS has not released: the block goes back to the pool
    /// when the last one is.
    docs: Docs,
    _lease: Option<Box<dyn std::any::Any>>,
}

impl EnvPool {
    /// Write `meta` (with the block's own generation) into the block, check it out to this
    /// environment and hand it off. On error the block goes back to the pool.
    pub fn send(&self, guard: FixedSizeAllocatorGuard, meta: RawTransferMetadata) -> Result<Sent> {
        self.send_leased(guard, meta, None, 1)
    }

    /// [`send`](Self::send) a block holding `docs` documents (numbered from 0 for
    /// [`release_doc`](Self::release_doc)), keeping `lease` alive until the block goes back.
    pub(crate) fn send_leased(
        &self,
        guard: FixedSizeAllocatorGuard,
        meta: RawTransferMetadata,
        lease: Option<Box<dyn std::any::Any>>,
        docs: usize,
    ) -> Result<Sent> {
        let docs = Docs::all(docs)?;
        self.check_writable(guard.id())?;
        if guard.pool_id() != self.pool.id() {
            return Err(TransferError::invalid_argument(
                "this block belongs to another pool",
            ));
        }
        guard.write_raw_metadata(meta)?;
        let (id, generation) = (guard.id(), guard.generation());
        let buffer = self.hand_off_alloc(&guard, 0, guard.used_bytes())?;
        let meta = RawTransferMetadata { generation, ..meta };
        self.checked_out.borrow_mut().insert(
            id,
            CheckedOut {
                guard,
                meta,
                docs,
                _lease: lease,
            },
        );
        Ok(Sent {
            id,
            generation,
            buffer,
        })
    }

    /// Hand checked-out block `id` off again: its metadata record is rewritten (JS may have
    /// overwritten it) and, in copy mode, every byte in use is copied again.
    pub fn hand_off(&self, id: u32) -> Result<Sent> {
        self.check_writable(id)?;
        let out = self.checked_out.borrow();
        let Some(CheckedOut { guard, meta, .. }) = out.get(&id) else {
            return Err(not_out(id));
        };
        // JS may have scribbled over the record since: write it again from Rust's copy.
        guard.write_raw_metadata(*meta)?;
        let buffer = self.hand_off_alloc(guard, 0, guard.used_bytes())?;
        Ok(Sent {
            id,
            generation: guard.generation(),
            buffer,
        })
    }

    /// Run `f` on checked-out block `id` for reading.
    pub fn read<R>(&self, id: u32, f: impl FnOnce(&FixedSizeAllocator) -> R) -> Result<R> {
        let out = self.checked_out.borrow();
        match out.get(&id) {
            Some(c) => Ok(f(&c.guard)),
            None => Err(not_out(id)),
        }
    }

    /// Run `f` on checked-out block `id` to allocate and write in it. In copy mode, what `f`
    /// allocated (from the cursor before to the cursor after) and the metadata are then
    /// copied to JS; bytes `f` changes in earlier allocations are not — call
    /// [`hand_off`](Self::hand_off) for that.
    pub fn write<R>(&self, id: u32, f: impl FnOnce(&FixedSizeAllocator) -> Result<R>) -> Result<R> {
        self.check_writable(id)?;
        let out = self.checked_out.borrow();
        let Some(CheckedOut { guard, .. }) = out.get(&id) else {
            return Err(not_out(id));
        };
        let before = guard.used_bytes();
        let r = f(guard)?;
        self.sync(guard, before, guard.used_bytes())?;
        Ok(r)
    }

    /// The metadata last written to checked-out block `id`.
    pub fn metadata(&self, id: u32) -> Result<RawTransferMetadata> {
        self.checked_out
            .borrow()
            .get(&id)
            .map(|c| c.meta)
            .ok_or_else(|| not_out(id))
    }

    /// Rewrite checked-out block `id`'s metadata (the generation stays the block's own) and,
    /// in copy mode, copy it to JS.
    pub fn set_metadata(&self, id: u32, meta: RawTransferMetadata) -> Result<()> {
        self.check_writable(id)?;
        let mut out = self.checked_out.borrow_mut();
        let Some(c) = out.get_mut(&id) else {
            return Err(not_out(id));
        };
        c.guard.write_raw_metadata(meta)?;
        c.meta = RawTransferMetadata {
            generation: c.guard.generation(),
            ..meta
        };
        let used = c.guard.used_bytes();
        self.sync(&c.guard, used, used)
    }

    /// Return checked-out block `id` to the pool, whatever documents it holds (they become
    /// stale). Fails (`StaleBuffer`) if it is not out.
    pub fn release(&self, id: u32) -> Result<()> {
        let out = self.checked_out.borrow_mut().remove(&id);
        match out {
            // Dropped outside the borrow: a guard's drop resets and may decommit.
            Some(out) => {
                drop(out);
                Ok(())
            }
            None => Err(not_out(id)),
        }
    }

    /// Let go of document `doc` of checked-out block `id`; the block returns to the pool
    /// with its last document. Fails (`StaleBuffer`) if the block is not out or that
    /// document was already released.
    pub fn release_doc(&self, id: u32, doc: u32) -> Result<()> {
        let back = {
            let mut out = self.checked_out.borrow_mut();
            let Some(c) = out.get_mut(&id) else {
                return Err(not_out(id));
            };
            if !c.docs.release(doc) {
                return Err(TransferError::stale(format!(
                    "document {doc} of block {id} is not held (released already, or never sent)"
                )));
            }
            if c.docs.any_held() {
                return Ok(());
            }
            out.remove(&id)
        };
        // Dropped outside the borrow: a guard's drop resets and may decommit.
        drop(back);
        Ok(())
    }

    /// Let go of every document of `pairs` (`[id, doc, id, doc, …]`) that is held (others
    /// are skipped: a document released twice is harmless). What a batch of releases from
    /// JS calls.
    pub fn release_docs(&self, pairs: &[u32]) -> Result<()> {
        if !pairs.len().is_multiple_of(2) {
            return Err(TransferError::invalid_argument(
                "released documents come as [id, doc] pairs: the array's length must be even",
            ));
        }
        for pair in pairs.chunks_exact(2) {
            let _ = self.release_doc(pair[0], pair[1]);
        }
        Ok(())
    }
}
