//! `parseJsonFiles`' native half: a [`Job`] running the [`JsonFiles`] producer. JS drives
//! it with `js/job.js`, the same driver any addon's job uses.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::pool::NativePool;
use crate::napi::{Job, JobOptions, catch_panic_in};
use crate::producers::json::JsonFiles;

/// A running `parseJsonFiles` job.
#[napi]
pub struct JsonFilesJob {
    job: Job,
}

#[napi]
impl NativePool {
    /// Start parsing `paths` on `threads` Rust threads, holding at most `max_blocks`
    /// blocks (0: all but one of the pool's).
    #[napi]
    pub fn start_json_files(
        &self,
        env: Env,
        paths: Vec<String>,
        threads: u32,
        max_blocks: u32,
    ) -> Result<JsonFilesJob> {
        catch_panic_in(&env, || {
            let options = JobOptions {
                threads: threads as usize,
                max_blocks: if max_blocks == 0 {
                    None
                } else {
                    Some(max_blocks as usize)
                },
            };
            let job = Job::start(&self.inner, Arc::new(JsonFiles), paths, options)?;
            Ok(JsonFilesJob { job })
        })
    }
}

crate::job_methods!(JsonFilesJob.job);
