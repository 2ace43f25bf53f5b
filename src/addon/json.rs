//! `parseJsonFiles`' native half: a [`Job`] running the [`JsonFiles`] producer. JS drives
//! it with `js/job.js`, the same driver any addon's job uses.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::pool::NativePool;
use crate::napi::{Batch, Job, JobOptions, catch_panic};
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
        paths: Vec<String>,
        threads: u32,
        max_blocks: u32,
    ) -> Result<JsonFilesJob> {
        catch_panic(|| {
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

#[napi]
impl JsonFilesJob {
    /// Release `released` (block ids JS is done with) and take every finished file.
    #[napi(ts_return_type = "import('./js/job').NativeBatch")]
    pub fn take(&self, env: Env, released: Option<Uint32Array>) -> Result<Batch> {
        catch_panic(|| {
            let released: &[u32] = released.as_deref().unwrap_or(&[]);
            Ok(self.job.take(&env, released)?)
        })
    }

    /// Stop starting new files (finished ones can still be taken).
    #[napi]
    pub fn cancel(&self) -> Result<()> {
        catch_panic(|| {
            self.job.cancel();
            Ok(())
        })
    }
}
