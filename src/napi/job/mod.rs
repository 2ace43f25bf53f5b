//! The generic producer job: a [`Producer`] runs on N Rust threads, each filling blocks of
//! an [`EnvPool`]'s pool; JS takes every finished item in one native call
//! ([`Job::take`]) and waits on a promise only when nothing is ready.
//!
//! Why this shape:
//! - **Batches.** One `take()` returns every finished item and, in the same call, returns
//!   the blocks JS is done with. An async hop per item costs ~50 µs; a `take()` ~1 µs plus
//!   well under 1 µs per item.
//! - **No libuv thread is held.** Waiting is a promise resolved from the producer thread
//!   (napi-rs's `JsDeferred`, a threadsafe function underneath), created only when JS has
//!   drained everything. libuv's small pool stays free for `fs` and friends.
//! - **Bounded read-ahead.** A job holds at most `max_blocks` blocks at once (finished and
//!   not yet released), by default all but one of the pool's, so other users of the pool
//!   are never starved. Producer threads wait for a permit before they take a block; JS
//!   releasing a block returns its permit. That is the back-pressure: a slow plugin stalls
//!   the threads, not memory.
//! - **Jobs within jobs.** Running jobs reserve their `max_blocks` in the [`EnvPool`]; a
//!   job started while others run (an async plugin awaiting a nested job on the same pool)
//!   gets what they left, or fails at once with `PoolExhausted` if they hold every block,
//!   instead of waiting for blocks only its caller can free. The reservation ends when the
//!   job is cancelled or dropped: a driver cancels once the last plugin let go of its
//!   block (`js/job.js` does).
//! - **Many documents per block.** A thread packs small results into the block it holds
//!   (each with its own root and release; see [`Producer::build`]) until the block has
//!   `PACK_BYTES` in use, holds `PACK_DOCS` results or has been filling for `PACK_AGE`;
//!   then the block goes to JS with all of them, and returns to the pool when JS has
//!   released the last. When JS waits with nothing queued, the waker thread hands over what
//!   the threads have packed so far (between two inputs: a block is never taken in the
//!   middle of a build), so a slow next input never holds back results already built. A
//!   thread never writes to a block JS can read: packing happens before the hand-off. A big
//!   result fills a block of its own.
//! - **Batched wake-ups.** See `State::should_wake`: JS is woken once per batch of small
//!   items, at once for slow ones.
//! - **Cancel.** [`Job::cancel`], dropping the `Job`, closing the pool and environment
//!   teardown (worker termination, `process.exit`) all stop the threads: they finish the
//!   item in hand and exit; a pending promise is resolved (or, at teardown, dropped with
//!   its environment by napi-rs).

use std::cell::Cell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize};

use ::napi::bindgen_prelude::{Env, JsValue};
use parking_lot::{Condvar, Mutex};

mod shared;
mod thread;

use self::shared::{Finished, Shared, State};
use self::thread::{Group, run_thread};
use super::batch::Batch;
use super::env::{EnvState, Teardown};
use super::env_pool::EnvPool;
use super::error::{ErrorCode, Result, TransferError};
use super::producer::{ProduceError, Producer};
use super::value::RawValue;

/// Options of [`Job::start`].
#[derive(Clone, Copy, Debug)]
pub struct JobOptions {
    /// Producer threads (1..=64; never more than inputs).
    pub threads: usize,
    /// Blocks the job may hold at once. `None`: all but one of the blocks no other running
    /// job reserved (at least one), so other users of the pool always find a block. At
    /// most the pool's size; more than the running jobs left fails with `PoolExhausted`.
    pub max_blocks: Option<usize>,
}

impl Default for JobOptions {
    fn default() -> Self {
        Self {
            threads: 2,
            max_blocks: None,
        }
    }
}

/// Cancels the threads at environment teardown. (The job's pool, torn down after it, then
/// waits for the blocks those threads still hold: see `EnvPool`'s teardown.)
struct Canceller(Arc<Shared>);

impl Teardown for Canceller {
    fn teardown(&self) {
        self.0.stop();
    }
}

/// A running job. Keep it in your `#[napi]` job object; JS calls your wrapper's `take`.
pub struct Job {
    shared: Arc<Shared>,
    env_pool: Rc<EnvPool>,
    _canceller: Rc<Canceller>,
    reservation: Reservation,
    total: usize,
}

/// The blocks a job reserved in its [`EnvPool`]; given back once, when the job is
/// cancelled or dropped (whichever comes first): a driver cancels when it is done, so the
/// reservation never waits for the GC.
struct Reservation {
    env_pool: Rc<EnvPool>,
    blocks: Cell<usize>,
}

impl Reservation {
    fn give_back(&self) {
        self.env_pool.unreserve(self.blocks.replace(0));
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.give_back();
    }
}

impl Job {
    /// Start `producer` over `inputs` on `options.threads` threads, filling blocks of
    /// `env_pool`'s pool.
    pub fn start<P: Producer>(
        env_pool: &Rc<EnvPool>,
        producer: Arc<P>,
        inputs: Vec<P::Input>,
        options: JobOptions,
    ) -> Result<Self> {
        if env_pool.is_closed() {
            return Err(TransferError::new(
                ErrorCode::PoolClosed,
                "the pool is closed",
            ));
        }
        if !(1..=64).contains(&options.threads) {
            return Err(TransferError::invalid_argument(format!(
                "threads must be 1..=64, got {}",
                options.threads
            )));
        }
        let max_blocks = env_pool.reserve(options.max_blocks)?;
        let reservation = Reservation {
            env_pool: Rc::clone(env_pool),
            blocks: Cell::new(max_blocks),
        };
        let threads = options.threads.min(inputs.len()).max(1);
        let total = inputs.len();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                results: VecDeque::new(),
                running: threads,
                permits: max_blocks,
                waiter: None,
                waits: 0,
                oldest: None,
                last_push: None,
            }),
            open: Mutex::new((0..threads).map(|_| None).collect()),
            permit_freed: Condvar::new(),
            queued: Condvar::new(),
            cancelled: AtomicBool::new(false),
            next: AtomicUsize::new(0),
        });
        let inputs = Arc::new(inputs);
        for i in 0..threads {
            let (thread_shared, inputs, producer, pool) = (
                Arc::clone(&shared),
                Arc::clone(&inputs),
                Arc::clone(&producer),
                Arc::clone(env_pool.pool()),
            );
            let spawned = std::thread::Builder::new()
                .name("raw-transfer-job".into())
                .spawn(move || run_thread(&*producer, &inputs, &pool, &thread_shared, i));
            if let Err(e) = spawned {
                // The threads already started stop, and what they queued goes back now (its
                // permits point at `shared`: left queued, they would keep its blocks for
                // ever). The ones not started never ran.
                shared.state.lock().running -= threads - i;
                shared.stop();
                return Err(spawn_error(&e));
            }
        }
        let waker_shared = Arc::clone(&shared);
        let waker = std::thread::Builder::new()
            .name("raw-transfer-wake".into())
            .spawn(move || waker_shared.run_waker());
        if let Err(e) = waker {
            shared.stop();
            return Err(spawn_error(&e));
        }
        let canceller = Rc::new(Canceller(Arc::clone(&shared)));
        let part: Rc<dyn Teardown> = canceller.clone();
        EnvState::of(env_pool.raw_env()).add_part(Rc::downgrade(&part));
        Ok(Self {
            shared,
            env_pool: Rc::clone(env_pool),
            _canceller: canceller,
            reservation,
            total,
        })
    }

    /// Number of inputs.
    pub fn len(&self) -> usize {
        self.total
    }

    /// Whether the job has no inputs.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Stop starting new inputs (items already finished can still be taken) and end the
    /// job's reservation of blocks (see the module docs). Call it when the job is over, after
    /// the last item's block was released.
    pub fn cancel(&self) {
        self.shared.cancel();
        self.reservation.give_back();
    }

    /// Let go of the documents in `released` (`[id, doc, …]` pairs JS is done with; those
    /// not held are skipped, so a document released twice is harmless), then take every
    /// finished item: blocks are checked out to this environment and handed off. See
    /// [`Batch`] for the JS shape.
    ///
    /// Fails with `JobBusy` while the promise of an earlier `take` is pending: one driver
    /// at a time (a second one would replace the first's promise, which would then never
    /// settle).
    pub fn take(&self, env: &Env, released: &[u32]) -> Result<Batch> {
        if self.shared.state.lock().waiter.is_some() {
            return Err(TransferError::new(
                ErrorCode::JobBusy,
                "take() was called while the promise of an earlier take() is pending: a job has one driver",
            ));
        }
        self.env_pool.release_docs(released)?;
        let (items, done) = {
            let mut state = self.shared.state.lock();
            let items: Vec<Finished> = state.results.drain(..).collect();
            state.oldest = None;
            (items, state.running == 0 && state.results.is_empty())
        };
        let mut batch = Batch {
            records: Vec::with_capacity(
                items
                    .iter()
                    .map(|i| match i {
                        Finished::Block(g) => g.docs.len(),
                        Finished::Failed { .. } => 1,
                    })
                    .sum::<usize>()
                    * Batch::STRIDE,
            ),
            ..Batch::default()
        };
        for item in items {
            match item {
                Finished::Block(group) => self.send_group(group, &mut batch),
                Finished::Failed {
                    index,
                    bytes,
                    error,
                } => batch.push_failed(index, bytes, error),
            }
        }
        batch.done = done;
        if batch.records.is_empty() && !done {
            // Nothing ready: JS waits on a promise the threads resolve. Registered under the
            // lock, so a result pushed right after our drain finds it.
            let (deferred, promise) = env.create_deferred::<(), fn(Env) -> ::napi::Result<()>>()?;
            let mut state = self.shared.state.lock();
            if state.results.is_empty() && state.running > 0 {
                state.waiter = Some(deferred);
                state.waits += 1;
                // The waker hands JS what the threads have packed if nothing comes soon.
                self.shared.queued.notify_one();
                batch.wait = Some(RawValue(promise.raw()));
            } else {
                drop(state);
                deferred.resolve(|_| Ok(()));
                batch.wait = Some(RawValue(promise.raw()));
            }
        }
        Ok(batch)
    }
}

impl Job {
    /// Hand `group`'s block off and add a record per result to `batch` (or, if the hand-off
    /// fails, an error per result).
    fn send_group(&self, group: Group, batch: &mut Batch) {
        let Group {
            guard,
            permit,
            meta,
            docs,
            ..
        } = group;
        let meta = meta.unwrap_or_default();
        let sent = self
            .env_pool
            .send_leased(guard, meta, Some(Box::new(permit)), docs.len());
        match sent {
            Ok(sent) => {
                for (k, doc) in docs.iter().enumerate() {
                    batch.records.extend_from_slice(&[
                        f64::from(doc.index),
                        f64::from(sent.id),
                        f64::from(sent.generation),
                        doc.bytes as f64,
                        f64::from(doc.root),
                        k as f64,
                    ]);
                }
                if let Some(buffer) = sent.buffer {
                    batch.buffers.push((sent.id, buffer));
                }
            }
            Err(e) => {
                let e = ProduceError::from(e);
                for doc in &docs {
                    batch.push_failed(doc.index, doc.bytes, e.clone());
                }
            }
        }
    }
}

/// A thread the OS would not start (`ulimit -u`, out of memory): the job cannot run.
fn spawn_error(e: &std::io::Error) -> TransferError {
    // EAGAIN: the thread limit or the memory for a stack; either way, resources ran out.
    let code = if matches!(
        e.kind(),
        std::io::ErrorKind::OutOfMemory | std::io::ErrorKind::WouldBlock
    ) {
        ErrorCode::OutOfMemory
    } else {
        ErrorCode::Internal
    };
    TransferError::new(code, format!("could not start a job thread: {e}"))
}

impl Drop for Job {
    fn drop(&mut self) {
        self.shared.stop();
    }
}

impl From<::napi::Error> for TransferError {
    fn from(e: ::napi::Error) -> Self {
        TransferError::internal(e.reason.clone())
    }
}
