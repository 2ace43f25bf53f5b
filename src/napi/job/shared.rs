//! The state a job's threads, its waker and JS share: the queue of finished results, the
//! permits (read-ahead in blocks), each thread's block in filling, and when to wake JS.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ::napi::bindgen_prelude::Env;
use parking_lot::{Condvar, Mutex, MutexGuard};

use super::thread::Group;
use crate::napi::producer::ProduceError;

/// What a thread queues for JS.
pub(super) enum Finished {
    /// A block with the results packed into it (at least one).
    Block(Group),
    /// An input the producer failed on.
    Failed {
        index: u32,
        bytes: u64,
        error: ProduceError,
    },
}

/// JS has waited this long with nothing queued: the waker hands it the packed blocks.
const HAND_OVER_AFTER: Duration = Duration::from_micros(200);
/// The waker looks again at most this often while JS waits and no thread has anything.
const HAND_OVER_POLL_MAX: Duration = Duration::from_millis(10);

pub(super) type Deferred = ::napi::JsDeferred<(), fn(Env) -> ::napi::Result<()>>;

pub(super) struct State {
    pub(super) results: VecDeque<Finished>,
    pub(super) running: usize,
    /// Permits left: blocks the threads may still take.
    pub(super) permits: usize,
    /// JS is waiting on this promise: resolve it when a batch is worth taking.
    pub(super) waiter: Option<Deferred>,
    /// How many times JS began to wait (the waker times each wait's hand-over from its start).
    pub(super) waits: u64,
    /// When the oldest queued result was pushed (for the wake-up rule in [`State::should_wake`]).
    pub(super) oldest: Option<Instant>,
    /// When the last result was pushed.
    pub(super) last_push: Option<Instant>,
}

impl State {
    /// Whether a waiting JS thread should be woken now, `previous` being when the result
    /// before the newest was pushed. Waking costs a thread switch and a threadsafe-function
    /// call (several µs): where items come every few µs (small inputs), waking per item
    /// would cost more than the item, so results gather until `WAKE_BATCH` are queued or
    /// the oldest has waited `WAKE_AFTER`. Where items come slowly (big inputs), batching
    /// gains nothing and delays JS, so JS is woken at once. Also at once when the threads
    /// are about to need JS (few permits left) or are done.
    fn should_wake(&self, now: Instant, previous: Option<Instant>) -> bool {
        self.results.len() >= WAKE_BATCH
            || self.permits <= self.running
            || self.running == 0
            || previous.is_none_or(|t| now.duration_since(t) >= SLOW_GAP)
            || self
                .oldest
                .is_some_and(|t| now.duration_since(t) >= WAKE_AFTER)
    }
}

/// Results queued before a waiting JS thread is woken (see [`State::should_wake`]).
const WAKE_BATCH: usize = 16;
/// The longest a finished result waits for company before JS is woken anyway.
const WAKE_AFTER: Duration = Duration::from_micros(200);
/// Results further apart than this are not batched.
const SLOW_GAP: Duration = Duration::from_micros(100);

pub(super) struct Shared {
    pub(super) state: Mutex<State>,
    /// Each thread's block in filling while it loads its next input (the waker may take it
    /// to JS then); empty while the thread builds into it. Never locked with `state` held.
    pub(super) open: Mutex<Vec<Option<Group>>>,
    pub(super) permit_freed: Condvar,
    /// Wakes the waker thread: a result was queued that JS was not woken for, or JS began
    /// to wait.
    pub(super) queued: Condvar,
    pub(super) cancelled: AtomicBool,
    pub(super) next: AtomicUsize,
}

impl Shared {
    /// Take thread `slot`'s block in filling out of its slot (the thread builds into it).
    pub(super) fn take_open(&self, slot: usize) -> Option<Group> {
        self.open.lock().get_mut(slot).and_then(Option::take)
    }

    /// Put thread `slot`'s block back, where the waker may hand it to JS.
    pub(super) fn put_open(&self, slot: usize, group: Group) {
        let mut open = self.open.lock();
        if let Some(s) = open.get_mut(slot) {
            *s = Some(group);
        }
    }

    /// Every block in filling that holds a result (the waker hands them to JS).
    fn take_all_open(&self) -> Vec<Group> {
        let mut open = self.open.lock();
        open.iter_mut()
            .filter(|s| s.as_ref().is_some_and(|g| !g.docs.is_empty()))
            .filter_map(Option::take)
            .collect()
    }

    pub(super) fn push(&self, item: Finished) {
        let now = Instant::now();
        let waiter = {
            let mut state = self.state.lock();
            // Checked under the lock: `stop` sets the flag, then empties the queue under it,
            // so an item is either seen by that emptying or refused here, never left behind.
            if self.is_cancelled() {
                // Nobody will take it (the job ended, or its environment is going away): its
                // block goes back now, not when the job's last reference does.
                drop(state);
                drop(item);
                return;
            }
            state.results.push_back(item);
            state.oldest.get_or_insert(now);
            let previous = state.last_push.replace(now);
            if state.waiter.is_some() && state.should_wake(now, previous) {
                state.waiter.take()
            } else {
                if state.waiter.is_some() && state.results.len() == 1 {
                    // The first result JS is not woken for: the waker wakes it in time.
                    self.queued.notify_one();
                }
                None
            }
        };
        wake(waiter);
    }

    /// The waker thread: wakes a waiting JS thread once the oldest queued result has waited
    /// `WAKE_AFTER`, whatever the producer threads are doing (a slow `load` must not hold
    /// back results already finished), and hands JS the blocks the threads are filling once
    /// it has waited `HAND_OVER_AFTER` with nothing queued. Ends with the job.
    pub(super) fn run_waker(&self) {
        let mut state = self.state.lock();
        // While JS waits with nothing queued: when to look in the threads' slots next, and
        // how long to wait after that if they hold nothing (doubling up to a cap, so a long
        // wait on slow inputs costs a few wake-ups a second).
        let mut look_at: Option<Instant> = None;
        let mut poll = HAND_OVER_AFTER;
        let mut wait_seen = 0;
        loop {
            if self.is_cancelled() || state.running == 0 {
                break;
            }
            match (state.waiter.is_some(), state.oldest) {
                (true, Some(oldest)) => {
                    look_at = None;
                    let due = oldest + WAKE_AFTER;
                    if Instant::now() >= due {
                        wake(state.waiter.take());
                    } else {
                        self.queued.wait_until(&mut state, due);
                    }
                }
                (true, None) => {
                    let now = Instant::now();
                    if state.waits != wait_seen {
                        // A new wait: its hand-over comes HAND_OVER_AFTER from now, not from
                        // when the last one was due.
                        wait_seen = state.waits;
                        look_at = None;
                        poll = HAND_OVER_AFTER;
                    }
                    let due = *look_at.get_or_insert(now + HAND_OVER_AFTER);
                    if now < due {
                        self.queued.wait_until(&mut state, due);
                        continue;
                    }
                    let groups = MutexGuard::unlocked(&mut state, || self.take_all_open());
                    if groups.is_empty() {
                        poll = (poll * 2).min(HAND_OVER_POLL_MAX);
                    } else {
                        poll = HAND_OVER_AFTER;
                        MutexGuard::unlocked(&mut state, || {
                            for g in groups {
                                self.push(Finished::Block(g));
                            }
                        });
                    }
                    look_at = Some(Instant::now() + poll);
                }
                _ => {
                    look_at = None;
                    poll = HAND_OVER_AFTER;
                    self.queued.wait(&mut state);
                }
            }
        }
    }

    pub(super) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        let _state = self.state.lock();
        self.permit_freed.notify_all();
        self.queued.notify_all();
    }

    /// Cancel, and let go of the results nobody will take now: they hold blocks, and
    /// permits that point back at this `Shared`, a reference cycle that would keep both for
    /// ever (a job collected mid-run, an environment torn down). Dropped outside the lock: a
    /// permit's drop takes it. What the threads finish later, `push` drops.
    pub(super) fn stop(&self) {
        self.cancel();
        let results = std::mem::take(&mut self.state.lock().results);
        drop(results);
        let open = self.take_all_open();
        drop(open);
    }

    pub(super) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Wait for a read-ahead permit; `None` once cancelled.
    pub(super) fn take_permit(self: &Arc<Self>) -> Option<Permit> {
        let mut state = self.state.lock();
        loop {
            if self.is_cancelled() {
                return None;
            }
            if state.permits > 0 {
                state.permits -= 1;
                return Some(Permit {
                    shared: Arc::clone(self),
                });
            }
            // No permit: every block the job may hold is queued or with JS. Queued results
            // must reach JS now, or nothing would ever free a permit.
            if !state.results.is_empty() {
                wake(state.waiter.take());
            }
            self.permit_freed.wait(&mut state);
        }
    }
}

pub(super) fn wake(waiter: Option<Deferred>) {
    if let Some(d) = waiter {
        d.resolve(|_| Ok(()));
    }
}

/// One block of read-ahead, returned when the block is released (or dropped unreleased).
pub(super) struct Permit {
    pub(super) shared: Arc<Shared>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut state = self.shared.state.lock();
        state.permits += 1;
        drop(state);
        self.shared.permit_freed.notify_one();
    }
}
