//! What one JS environment (the main thread or a worker) holds, so that it can all be let
//! go when the environment is torn down, even by runtimes that never run the finalizers of
//! its wrapped objects or external buffers (Deno does not, for a terminated worker).
//!
//! A JS buffer's owner count is held by a [`JsOwner`], shared between the buffer's
//! finalizer and this registry: whichever of them comes first drops the count, the other
//! finds it already dropped. So a block is released exactly once whether the runtime
//! finalizes the buffer, tears the environment down, or both, in either order.

use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::ptr::NonNull;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use napi::sys;

use crate::block::{FixedSizeAllocatorMetadata, free_fixed_size_allocator};

/// One owner count of a block, held on behalf of one JS buffer.
pub struct JsOwner {
    meta: NonNull<FixedSizeAllocatorMetadata>,
    released: AtomicBool,
}

// SAFETY: the metadata is only reached through the owner count's thread-safe free path, and
// `released` is atomic; a finalizer may run on any thread (Deno runs them on V8's).
unsafe impl Send for JsOwner {}
// SAFETY: as above.
unsafe impl Sync for JsOwner {}

impl JsOwner {
    /// Take over one owner count of the block at `meta` (the caller added it).
    pub(crate) fn new(meta: NonNull<FixedSizeAllocatorMetadata>) -> Arc<Self> {
        Arc::new(Self {
            meta,
            released: AtomicBool::new(false),
        })
    }

    /// Drop the count, once: later calls do nothing.
    pub fn release(&self) {
        if !self.released.swap(true, Ordering::AcqRel) {
            // SAFETY: this owner held one count, which the swap lets exactly one caller
            // give up; the block is alive until then.
            unsafe { free_fixed_size_allocator(self.meta) };
        }
    }

    pub fn is_released(&self) -> bool {
        self.released.load(Ordering::Acquire)
    }
}

/// What environment teardown must stop or let go of (an [`EnvPool`](super::EnvPool), a
/// [`Job`](super::Job)'s threads).
pub(crate) trait Teardown {
    /// No JS runs any more and Node-API calls are no longer safe: let go without them.
    fn teardown(&self);
}

/// The per-environment registry, reachable from the environment's own thread.
pub(crate) struct EnvState {
    env: sys::napi_env,
    owners: RefCell<Vec<Arc<JsOwner>>>,
    parts: RefCell<Vec<Weak<dyn Teardown>>>,
    /// Whether the runtime accepts external buffers, once probed (see
    /// [`external_buffers_allowed`](Self::external_buffers_allowed)).
    external_buffers: Cell<Option<bool>>,
}

thread_local! {
    /// Environments of this thread (one, except in runtimes that nest them).
    static ENVS: RefCell<Vec<Rc<EnvState>>> = const { RefCell::new(Vec::new()) };
}

impl EnvState {
    /// The state of `env`, created (with its cleanup hook) on first use.
    pub(crate) fn of(env: sys::napi_env) -> Rc<EnvState> {
        ENVS.with_borrow_mut(|envs| {
            if let Some(state) = envs.iter().find(|s| s.env == env) {
                return Rc::clone(state);
            }
            let state = Rc::new(EnvState {
                env,
                owners: RefCell::new(Vec::new()),
                parts: RefCell::new(Vec::new()),
                external_buffers: Cell::new(None),
            });
            // SAFETY: `env` is the current environment; the hook runs once, at its teardown,
            // on this thread, with `env` as its argument.
            unsafe { sys::napi_add_env_cleanup_hook(env, Some(cleanup), env.cast()) };
            envs.push(Rc::clone(&state));
            state
        })
    }

    /// Whether this environment's runtime allows external buffers: probed once (wrapping a
    /// small buffer of our own), then remembered: a runtime does not change its mind, and
    /// each probe leaves a buffer for the GC.
    pub(crate) fn external_buffers_allowed(&self) -> bool {
        if let Some(allowed) = self.external_buffers.get() {
            return allowed;
        }
        // SAFETY: `EnvState::of` is only called with the calling thread's current
        // environment, and the state is dropped at its teardown, so `env` is live here.
        let allowed = unsafe { super::handoff::external_buffers_allowed(self.env) };
        self.external_buffers.set(Some(allowed));
        allowed
    }

    /// Remember a JS buffer's owner (and forget owners whose buffers were finalized).
    pub(crate) fn add_owner(&self, owner: Arc<JsOwner>) {
        let mut owners = self.owners.borrow_mut();
        if owners.len() >= 64 && owners.len().is_power_of_two() {
            owners.retain(|o| !o.is_released());
        }
        owners.push(owner);
    }

    /// Have `part` torn down with the environment (if it is still alive then).
    pub(crate) fn add_part(&self, part: Weak<dyn Teardown>) {
        let mut parts = self.parts.borrow_mut();
        parts.retain(|p| p.strong_count() > 0);
        parts.push(part);
    }
}

/// Environment teardown: close its pools (dropping the blocks they and their checked-out
/// blocks hold) and drop the owner counts of its buffers. No JS runs any more, so nothing
/// can read a block after this.
unsafe extern "C" fn cleanup(arg: *mut c_void) {
    // A panic must not unwind into Node (an abort): at worst this environment's blocks leak.
    let _ = std::panic::catch_unwind(|| teardown_env(arg.cast()));
}

fn teardown_env(env: sys::napi_env) {
    let Some(state) = ENVS.with_borrow_mut(|envs| {
        let i = envs.iter().position(|s| s.env == env)?;
        Some(envs.swap_remove(i))
    }) else {
        return;
    };
    // Newest first, as destructors go: a job is torn down (its threads cancelled and
    // finished) before the pool it draws from, which then waits for its last blocks.
    for part in state.parts.take().into_iter().rev() {
        if let Some(part) = part.upgrade() {
            part.teardown();
        }
    }
    for owner in state.owners.take() {
        owner.release();
    }
}
