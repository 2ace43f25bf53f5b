//! Object-key interning: every occurrence of the same key text gets the payload pointer of
//! its first occurrence, so the JS reader decodes each distinct key once and hands V8 the
//! same string object for every property store (V8 then skips re-hashing the key).
//!
//! A small open-addressing table of `(pointer, length, hash)` entries stamped with the
//! parse's generation, so starting a new document is O(1) instead of clearing the table.
//!
//! Keys come in the same order record after record, so every entry also remembers which
//! entry the key after it had last time, and that entry is checked first: a hit skips the
//! hash and its latency (the hash of a key's bytes, a multiply, then a dependent load of
//! the slot) on the parse's critical path. A miss looks the key up by hash as before.

use crate::producers::json::layout::{FLAG_ASCII, FLAG_IN_SOURCE, FLAG_UTF16, Node};

/// Keys longer than this are not interned (rare, and hashing them costs more than it saves).
const MAX_KEY_LEN: usize = 48;
/// Distinct keys remembered per document; past this, new keys are no longer added.
const MAX_KEYS: usize = 1 << 16;

#[derive(Clone, Copy, Default)]
struct Slot {
    sig: [u64; 2],
    ptr: u64,
    len: u32,
    generation: u32,
    /// The first occurrence's `FLAG_IN_SOURCE | FLAG_ASCII` bits: they describe where its
    /// payload points (the source copy or a decoded copy), so they travel with it.
    flags: u32,
    /// Where the first occurrence's text starts in the source (keys longer than 16 bytes
    /// are compared there: Rust's own memory, never the JS-writable arena).
    text_at: u32,
    /// The slot of the key that followed this one last time (a guess: checked in full).
    next: u32,
}

const WHERE_FLAGS: u32 = FLAG_IN_SOURCE | FLAG_ASCII;

#[derive(Default)]
pub(crate) struct KeyInterner {
    slots: Vec<Slot>,
    used: usize,
    generation: u32,
    /// The slot of the previous key (`usize::MAX`: none), whose `next` learns this one's.
    last: usize,
    /// The slot to check first for the next key (any value: it is checked in full).
    predicted: usize,
}

/// Keys of up to this many bytes are identified by their [`signature`] alone.
pub(super) const SHORT_KEY: usize = 15;

/// Two words that, with the length, identify a key of up to 16 bytes exactly; for longer
/// keys, a summary of them. Up to [`SHORT_KEY`] bytes it is the key's bytes followed by
/// zeros, as [`super::scan::short_string`] gives it straight from the scan (so the parser
/// need not compute it again); 16 bytes and more, overlapping little-endian loads of the
/// first and last eight.
#[inline(always)]
pub(super) fn signature(b: &[u8]) -> [u64; 2] {
    let n = b.len();
    let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]));
    if n <= SHORT_KEY {
        let mut padded = [0u8; 16];
        padded[..n].copy_from_slice(b);
        let v = u128::from_le_bytes(padded);
        [v as u64, (v >> 64) as u64]
    } else {
        [word(0), word(n - 8)]
    }
}

#[inline(always)]
fn hash(sig: [u64; 2], len: usize) -> u32 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let h = (sig[0] ^ sig[1].rotate_left(29) ^ (len as u64).rotate_left(59)).wrapping_mul(K);
    (h >> 32) as u32
}

impl KeyInterner {
    /// Forget the previous document's keys.
    pub(crate) fn start(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Stamps wrapped: old entries could look current. Clear for real (once per 2^32).
            self.slots.iter_mut().for_each(|s| *s = Slot::default());
            self.generation = 1;
        }
        self.used = 0;
        self.last = usize::MAX;
        self.predicted = usize::MAX;
    }

    /// Point `key` at the first occurrence of the same key text, if there was one.
    ///
    /// `bytes` must be the key's text, `text_at` where it starts in `source` if it is there
    /// verbatim (no escapes). Keys of up to 16 bytes are identified by their signature;
    /// longer ones are compared with the earlier occurrence's text in `source`, so only
    /// verbatim ones are recorded. Every earlier payload recorded in this document stays
    /// valid, because the arena is not reset during a parse.
    #[inline(always)]
    pub(crate) fn intern(
        &mut self,
        key: &mut Node,
        bytes: &[u8],
        text_at: Option<u32>,
        source: &[u8],
    ) {
        if bytes.len() > MAX_KEY_LEN || key.kind & FLAG_UTF16 != 0 {
            return;
        }
        if bytes.len() > 16 && text_at.is_none() {
            return;
        }
        (key.payload, key.kind) = self.intern_signed(
            signature(bytes),
            key.len,
            bytes,
            text_at.unwrap_or(u32::MAX),
            source,
            key.payload,
            key.kind,
        );
    }

    /// [`Self::intern`] for a verbatim key of `len <=` [`SHORT_KEY`] bytes at `text_at`
    /// whose [`signature`] the scan already made, with its own `payload` and `kind`: returns
    /// the payload and kind it gets. (By value: a key node built in memory field by field
    /// and then read back whole stalled the loop on store forwarding.)
    #[inline(always)]
    pub(crate) fn intern_short(
        &mut self,
        sig: [u64; 2],
        len: u32,
        text_at: u32,
        payload: u64,
        kind: u32,
    ) -> (u64, u32) {
        self.intern_signed(sig, len, &[], text_at, &[], payload, kind)
    }

    /// Look the key up by signature (and, past 16 bytes, by `bytes` against the recorded
    /// text in `source`): the earlier occurrence's payload and kind if there is one, else
    /// this one's (recorded).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn intern_signed(
        &mut self,
        sig: [u64; 2],
        len: u32,
        bytes: &[u8],
        text_at: u32,
        source: &[u8],
        payload: u64,
        kind: u32,
    ) -> (u64, u32) {
        if self.slots.is_empty() && !self.grow_to(256) {
            return (payload, kind);
        }
        // Up to 16 bytes, equal signatures mean equal keys; longer keys are compared with the
        // recorded one's text in the source. The signature words are compared as two words
        // (the array's `==` was a 16-byte vector compare of a copy spilled to the stack).
        let generation = self.generation;
        let same = |slot: &Slot| {
            slot.generation == generation
                && (slot.sig[0] ^ sig[0]) | (slot.sig[1] ^ sig[1]) == 0
                && slot.len == len
                && (len <= 16 || {
                    let at = slot.text_at as usize;
                    source.get(at..at + bytes.len()) == Some(bytes)
                })
        };
        if let Some(slot) = self.slots.get(self.predicted)
            && same(slot)
        {
            self.last = self.predicted;
            self.predicted = slot.next as usize;
            return (slot.ptr, (kind & !WHERE_FLAGS) | slot.flags);
        }
        let mask = self.slots.len() - 1;
        let mut i = hash(sig, len as usize) as usize & mask;
        loop {
            let slot = &self.slots[i];
            if slot.generation != generation {
                break;
            }
            if same(slot) {
                let found = (slot.ptr, (kind & !WHERE_FLAGS) | slot.flags);
                self.follow(i);
                return found;
            }
            i = (i + 1) & mask;
        }
        self.insert(i, sig, len, text_at, payload, kind);
        (payload, kind)
    }

    /// The key just seen is in slot `i`: teach the previous key's slot that `i` follows it,
    /// and guess `i`'s own follower next.
    #[inline(always)]
    fn follow(&mut self, i: usize) {
        if let Some(last) = self.slots.get_mut(self.last) {
            last.next = i as u32;
        }
        self.last = i;
        self.predicted = self.slots[i].next as usize;
    }

    /// Record a key in the free slot `i` (out of line: once per distinct key).
    #[inline(never)]
    fn insert(&mut self, i: usize, sig: [u64; 2], len: u32, text_at: u32, payload: u64, kind: u32) {
        if self.used >= MAX_KEYS {
            return;
        }
        self.slots[i] = Slot {
            sig,
            ptr: payload,
            len,
            generation: self.generation,
            flags: kind & WHERE_FLAGS,
            text_at,
            next: u32::MAX,
        };
        self.used += 1;
        self.follow(i);
        if self.used * 2 > self.slots.len() {
            // Slots move: forget where the last key was.
            self.grow_to(self.slots.len() * 2);
            self.last = usize::MAX;
            self.predicted = usize::MAX;
        }
    }

    /// Give the table back if it holds more than `keep` bytes.
    pub(crate) fn shrink(&mut self, keep: usize) {
        if self.bytes() > keep {
            self.slots = Vec::new();
            self.used = 0;
        }
    }

    /// Bytes the table holds.
    pub(crate) fn bytes(&self) -> usize {
        self.slots.capacity() * size_of::<Slot>()
    }

    /// Rehash into `len` slots. Interning only saves memory and decoding, so when the table
    /// cannot grow (allocation failed) it is dropped and `false` returned: the keys after
    /// are read like any other string.
    fn grow_to(&mut self, len: usize) -> bool {
        let mut slots = Vec::new();
        if slots.try_reserve_exact(len).is_err() {
            self.slots = Vec::new();
            self.used = 0;
            return false;
        }
        slots.resize(len, Slot::default());
        let old = std::mem::replace(&mut self.slots, slots);
        let mask = self.slots.len() - 1;
        for s in old.into_iter().filter(|s| s.generation == self.generation) {
            let mut i = hash(s.sig, s.len as usize) as usize & mask;
            while self.slots[i].generation == self.generation {
                i = (i + 1) & mask;
            }
            self.slots[i] = s;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Whatever the order of keys (repeating, like records, or not), every key gets the
        /// payload of its first occurrence, across the table's growth and across documents.
        #[test]
        fn every_key_gets_its_first_payload(
            docs in proptest::collection::vec(
                proptest::collection::vec(0usize..400, 0..600), 1..4),
            period in 1usize..20,
        ) {
            let names: Vec<String> = (0..400)
                .map(|k| match k % 3 {
                    0 => format!("k{k}"),
                    1 => format!("a_longer_key_number_{k}"),
                    _ => format!("{k:0>16}"),
                })
                .collect();
            let mut interner = KeyInterner::default();
            for doc in docs {
                // Text: every key once in order, as in a source; a key is found at `at[k]`.
                let mut source = Vec::new();
                let mut at = Vec::new();
                for name in &names {
                    at.push(source.len());
                    source.extend_from_slice(name.as_bytes());
                }
                interner.start();
                let mut first = std::collections::HashMap::new();
                // The random keys, then the same `period` keys over and over (records).
                let repeated = doc.iter().take(period).copied().cycle().take(3 * period);
                for (n, k) in doc.iter().copied().chain(repeated).enumerate() {
                    let bytes = names[k].as_bytes();
                    let mut key = Node::new(FLAG_IN_SOURCE, bytes.len() as u32, 0, 0, n as u64);
                    interner.intern(&mut key, bytes, Some(at[k] as u32), &source);
                    let expected = *first.entry(k).or_insert(n as u64);
                    proptest::prop_assert_eq!(key.payload, expected, "key {}", names[k]);
                }
            }
        }
    }

    #[test]
    fn signatures_identify_short_keys() {
        let keys: Vec<&[u8]> = vec![
            b"",
            b"a",
            b"ab",
            b"abc",
            b"abcd",
            b"abce",
            b"abcdefgh",
            b"abcdefgi",
            b"abcdefghi",
            b"0123456789abcdef",
            b"0123456789abcdeF",
            b"x123456789abcdef",
        ];
        for (i, a) in keys.iter().enumerate() {
            for (j, b) in keys.iter().enumerate() {
                let same = (signature(a), a.len()) == (signature(b), b.len());
                if a.len() <= SHORT_KEY {
                    // What the scan gives for the key in a text is its signature.
                    let mut text = a.to_vec();
                    text.extend_from_slice(b"\"0123456789abcdef");
                    assert_eq!(
                        super::super::scan::short_string(&text, 0).map(|(n, _)| n),
                        Some(a.len())
                    );
                    assert_eq!(
                        super::super::scan::short_signature(&text, 0, a.len()),
                        signature(a)
                    );
                    // The short form is the bytes themselves.
                    let mut padded = [0u8; 16];
                    padded[..a.len()].copy_from_slice(a);
                    let v = u128::from_le_bytes(padded);
                    assert_eq!(signature(a), [v as u64, (v >> 64) as u64]);
                }
                assert_eq!(same, i == j, "{a:?} vs {b:?}");
            }
        }
        assert_eq!(
            hash(signature(b"same key"), 8),
            hash(signature(b"same key"), 8)
        );
    }
}
