//! The producer threads of a [`Job`](super::Job): each takes the next input, loads it and
//! builds it into the block it is filling (see the parent module's "Many documents per
//! block"), and hands that block to the job's queue when it is full enough.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::shared::{Finished, Permit, Shared, wake};
use crate::napi::error::{ErrorCode, TransferError};
use crate::napi::producer::{ProduceError, Producer};
use crate::pool::{FixedSizeAllocatorGuard, FixedSizeAllocatorPool, PoolError};
use crate::transfer::RawTransferMetadata;

/// A block a thread is filling, then hands to JS: its results, in the order built.
pub(super) struct Group {
    pub(super) guard: FixedSizeAllocatorGuard,
    pub(super) permit: Permit,
    /// The metadata of the first result (its producer fields are the block's).
    pub(super) meta: Option<RawTransferMetadata>,
    pub(super) docs: Vec<Doc>,
    started: Instant,
}

/// One result in a block.
pub(super) struct Doc {
    pub(super) index: u32,
    pub(super) bytes: u64,
    /// Where the result's root is (its metadata's `data_offset`).
    pub(super) root: u32,
}

/// A thread stops packing results into a block once this much of it is in use: the
/// shortest buffer a hand-off sends, so a packed block is wrapped once.
const PACK_BYTES: usize = crate::geometry::MIN_BUFFER_SIZE / 2;
/// ... or once it holds this many results.
const PACK_DOCS: usize = 256;
/// ... or once it has been filling this long (JS gets results at least this often).
const PACK_AGE: Duration = Duration::from_millis(1);
const _: () = assert!(PACK_DOCS <= crate::napi::docs::MAX_DOCS_PER_BLOCK);
/// How long a producer thread waits for a block before it looks again whether the job was
/// cancelled (only when another user of the pool holds every block the job may use).
const POLL: Duration = Duration::from_millis(20);

/// One producer thread: take the next input, load it, build it into the block it is
/// filling (taking a permit and a block first when it has none), hand the block over when
/// it is full enough; until inputs run out or the job is cancelled.
pub(super) fn run_thread<P: Producer>(
    producer: &P,
    inputs: &[P::Input],
    pool: &FixedSizeAllocatorPool,
    shared: &Arc<Shared>,
    slot: usize,
) {
    let mut worker = producer.worker();
    loop {
        if shared.is_cancelled() {
            break;
        }
        let index = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(input) = inputs.get(index) else {
            break;
        };
        let stop = produce_one(
            producer,
            &mut worker,
            input,
            index as u32,
            pool,
            shared,
            slot,
        );
        if stop {
            break;
        }
    }
    // What is packed goes to JS (`push` drops it if the job was cancelled); an empty block
    // goes back to the pool with its permit.
    if let Some(g) = shared.take_open(slot)
        && !g.docs.is_empty()
    {
        shared.push(Finished::Block(g));
    }
    let waiter = {
        let mut state = shared.state.lock();
        state.running -= 1;
        if state.running == 0 {
            shared.queued.notify_all(); // the waker ends too
            state.waiter.take()
        } else {
            None
        }
    };
    wake(waiter);
}

/// Load and build input `index` into the block of thread `slot` (taking one if it has none)
/// and hand that block over when it is full enough. Returns whether the thread should stop.
fn produce_one<P: Producer>(
    producer: &P,
    worker: &mut P::Worker,
    input: &P::Input,
    index: u32,
    pool: &FixedSizeAllocatorPool,
    shared: &Arc<Shared>,
    slot: usize,
) -> bool {
    // A panicking producer must not take the process (or the JS thread) down: it becomes
    // an Internal error for that input.
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        build_one(producer, worker, input, index, pool, shared, slot)
    }));
    match caught {
        Ok(stop) => stop,
        Err(_) => {
            // (`load` and `build` are guarded on their own, so the block in filling and its
            // results survive them; this is for the job's own code.)
            shared.push(Finished::Failed {
                index,
                bytes: 0,
                error: panicked(),
            });
            false
        }
    }
}

fn build_one<P: Producer>(
    producer: &P,
    worker: &mut P::Worker,
    input: &P::Input,
    index: u32,
    pool: &FixedSizeAllocatorPool,
    shared: &Arc<Shared>,
    slot: usize,
) -> bool {
    // The permit comes first: a loaded input holds memory too (a file read whole), so
    // read-ahead is bounded by the job's blocks, not by its threads. A thread filling a
    // block already holds that block's permit (unless the waker hands the block to JS while
    // the thread loads: then the thread takes a permit after loading, holding one input).
    let mut permit = None;
    if !shared.open.lock().get(slot).is_some_and(Option::is_some) {
        match shared.take_permit() {
            Some(p) => permit = Some(p),
            None => return true,
        }
    }
    let (loaded, bytes) = match guarded(|| producer.load(worker, input)) {
        Ok(l) => l,
        Err(error) => {
            shared.push(Finished::Failed {
                index,
                bytes: 0,
                error,
            });
            return false;
        }
    };
    let mut g = match shared.take_open(slot) {
        // (A permit taken for an empty slot that the thread finds filled cannot happen: only
        // this thread fills its slot. If it did, the spare permit would just go back.)
        Some(g) => g,
        None => {
            let Some(permit) = permit.or_else(|| shared.take_permit()) else {
                return true;
            };
            let guard = loop {
                match pool.get_timeout(POLL) {
                    Ok(g) => break g,
                    // Results already queued reach JS through the waker meanwhile.
                    Err(PoolError::Exhausted { .. }) if !shared.is_cancelled() => continue,
                    Err(PoolError::Exhausted { .. }) => return true,
                    Err(e) => {
                        let stop = matches!(e, PoolError::Closed);
                        let error = TransferError::from(e).into();
                        shared.push(Finished::Failed {
                            index,
                            bytes,
                            error,
                        });
                        return stop;
                    }
                }
            };
            Group {
                guard,
                permit,
                meta: None,
                docs: Vec::new(),
                started: Instant::now(),
            }
        }
    };
    let mark = g.guard.used_bytes();
    // A panicking build is an error for its input; the results before it stay in the block.
    let built = guarded(|| producer.build(worker, loaded, &g.guard)).and_then(|meta| {
        g.docs.try_reserve(1).map(|()| meta).map_err(|_| {
            ProduceError::new(ErrorCode::OutOfMemory, "out of memory for a job's results")
        })
    });
    match built {
        Ok(meta) => {
            g.docs.push(Doc {
                index,
                bytes,
                root: meta.data_offset,
            });
            g.meta.get_or_insert(meta);
        }
        Err(error) => {
            // What the failed build allocated is forgotten; the results before it stay, and
            // so does the block, for the next input.
            g.guard.rewind(mark);
            shared.push(Finished::Failed {
                index,
                bytes,
                error,
            });
        }
    }
    let full = g.guard.used_bytes() >= PACK_BYTES
        || g.docs.len() >= PACK_DOCS
        || g.started.elapsed() >= PACK_AGE;
    if full && !g.docs.is_empty() {
        shared.push(Finished::Block(g));
    } else {
        shared.put_open(slot, g);
    }
    false
}

/// `f()`, with a panic turned into an `Internal` error for the input.
fn guarded<T>(
    f: impl FnOnce() -> std::result::Result<T, ProduceError>,
) -> std::result::Result<T, ProduceError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| Err(panicked()))
}

/// The error of an input whose processing panicked.
fn panicked() -> ProduceError {
    ProduceError::new(ErrorCode::Internal, "the producer panicked on this input")
}
