//! How an [`EnvPool`] ends other than by [`close`](EnvPool::close): environment teardown
//! (a worker terminated, the process exiting), which returns every block JS held, and
//! `Drop`.

use std::time::Duration;

use super::EnvPool;
use crate::napi::env::Teardown;

/// How long environment teardown waits for blocks still held by Rust threads.
const TEARDOWN_WAIT: Duration = Duration::from_secs(2);

impl Teardown for EnvPool {
    fn teardown(&self) {
        self.closed.set(true);
        self.pool.close();
        let out = std::mem::take(&mut *self.checked_out.borrow_mut());
        drop(out);
        // The environment's references die with it: drop the records without a Node-API
        // call (a `CopyTarget` has no `Drop`; `delete` is what would call Node-API).
        self.handed.borrow_mut().clear();
        // Blocks still out are in Rust threads (a job's producer finishing the item in hand;
        // the jobs were cancelled before this, see `teardown_env`): wait for them, bounded,
        // so the environment ends (a worker's 'exit' event comes) with its blocks freed.
        self.pool.wait_all_returned(TEARDOWN_WAIT);
    }
}

impl Drop for EnvPool {
    fn drop(&mut self) {
        // Runs from a JS finalizer or at environment teardown, on the environment's thread.
        // After teardown `handed` is empty, so this makes no Node-API call.
        self.close();
        let out = std::mem::take(&mut *self.checked_out.borrow_mut());
        drop(out);
    }
}
