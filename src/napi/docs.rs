//! [`Docs`]: which documents of a checked-out block JS still holds (a job packs several
//! small documents into one block; the block goes back to the pool with its last one).

use super::error::{ErrorCode, Result, TransferError};

/// The most documents one block holds (a job packs small results up to this many).
pub(crate) const MAX_DOCS_PER_BLOCK: usize = 1 << 12;

/// Which documents of a block are still held by JS: document `k` is bit `k`. Releasing one
/// twice is harmless (the bit is already clear), so JS cannot return a block early by
/// releasing the same document again.
pub(crate) struct Docs {
    bits: Vec<u64>,
    live: usize,
}

impl Docs {
    /// `n` documents (1..=`MAX_DOCS_PER_BLOCK`), all held.
    pub(crate) fn all(n: usize) -> Result<Self> {
        debug_assert!((1..=MAX_DOCS_PER_BLOCK).contains(&n));
        let words = n.div_ceil(64);
        let mut bits = Vec::new();
        bits.try_reserve_exact(words).map_err(|_| {
            TransferError::new(
                ErrorCode::OutOfMemory,
                "out of memory for a block's document set",
            )
        })?;
        bits.resize(words, u64::MAX);
        if !n.is_multiple_of(64) {
            bits[words - 1] = (1u64 << (n % 64)) - 1;
        }
        Ok(Self { bits, live: n })
    }

    /// Whether JS still holds some document of the block.
    pub(crate) fn any_held(&self) -> bool {
        self.live > 0
    }

    /// Let go of document `doc`; whether it was held.
    pub(crate) fn release(&mut self, doc: u32) -> bool {
        let (word, bit) = ((doc / 64) as usize, doc % 64);
        match self.bits.get_mut(word) {
            Some(w) if *w & (1 << bit) != 0 => {
                *w &= !(1 << bit);
                self.live -= 1;
                true
            }
            _ => false,
        }
    }
}
