//! `parseJsonFiles`' native half: a [`Job`] running the [`JsonFiles`] producer. JS drives
//! it with `js/job.js`, the same driver any addon's job uses.

use std::ops::Range;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::pool::NativePool;
use crate::FixedSizeAllocator;
use crate::napi::{
    ErrorCode, Job, JobOptions, ProduceError, Producer, TransferError, Utf8String, catch_panic_in,
};
use crate::producers::json::{JsonFiles, Parser};
use crate::transfer::RawTransferMetadata;

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
            let job = Job::start(
                &self.inner,
                Arc::new(JsonFiles),
                paths,
                job_options(threads, max_blocks),
            )?;
            Ok(JsonFilesJob { job })
        })
    }

    /// [`start_json_files`](Self::start_json_files) with the paths as one string, joined
    /// with NUL (`paths.join('\0')`), `count` of them: one string to convert and no
    /// allocation per path, where an array costs a few Node-API calls and a `String` per
    /// path (a millisecond for 5 000 paths, before the job's threads can start). `null` (no
    /// job) when the string does not split into `count` paths: a path held a NUL (JS then
    /// passes the array).
    #[napi(ts_return_type = "JsonFilesJob | null")]
    pub fn start_json_files_joined(
        &self,
        env: Env,
        joined: Utf8String,
        count: f64,
        threads: u32,
        max_blocks: u32,
    ) -> Result<Option<JsonFilesJob>> {
        catch_panic_in(&env, || {
            if !(count >= 1.0 && count <= f64::from(u32::MAX) && count.fract() == 0.0) {
                return Err(TransferError::invalid_argument(format!(
                    "the count of joined paths must be an integer from 1 to 2^32 - 1, got {count}"
                ))
                .into());
            }
            let all = joined.into_string();
            let Some(ranges) = split_paths(&all, count as usize)? else {
                return Ok(None);
            };
            let job = Job::start(
                &self.inner,
                Arc::new(JoinedPaths { all }),
                ranges,
                job_options(threads, max_blocks),
            )?;
            Ok(Some(JsonFilesJob { job }))
        })
    }
}

fn job_options(threads: u32, max_blocks: u32) -> JobOptions {
    JobOptions {
        threads: threads as usize,
        max_blocks: if max_blocks == 0 {
            None
        } else {
            Some(max_blocks as usize)
        },
    }
}

/// The byte ranges of the `count` NUL-separated paths in `all` (one fallible allocation),
/// or `None` if it holds another number of them.
fn split_paths(
    all: &str,
    count: usize,
) -> std::result::Result<Option<Vec<Range<usize>>>, TransferError> {
    if count == 0 {
        return Ok(None);
    }
    let mut ranges = Vec::new();
    ranges.try_reserve_exact(count).map_err(|_| {
        TransferError::new(
            ErrorCode::OutOfMemory,
            format!("could not allocate {count} paths"),
        )
    })?;
    let mut start = 0;
    for piece in all.split('\0') {
        if ranges.len() == count {
            return Ok(None); // more pieces than paths
        }
        ranges.push(start..start + piece.len());
        start += piece.len() + 1;
    }
    Ok((ranges.len() == count).then_some(ranges))
}

/// [`JsonFiles`] over paths that are ranges of one string (`start_json_files_joined`).
struct JoinedPaths {
    all: String,
}

impl Producer for JoinedPaths {
    type Input = Range<usize>;
    type Loaded = Vec<u8>;
    type Worker = Parser;

    fn worker(&self) -> Parser {
        JsonFiles.worker()
    }

    fn load(
        &self,
        _parser: &mut Parser,
        path: &Range<usize>,
    ) -> std::result::Result<(Vec<u8>, u64), ProduceError> {
        // The ranges were cut at NULs (ASCII), so each is on character boundaries.
        JsonFiles::load_path(&self.all[path.clone()])
    }

    fn build(
        &self,
        parser: &mut Parser,
        text: Vec<u8>,
        block: &FixedSizeAllocator,
    ) -> std::result::Result<RawTransferMetadata, ProduceError> {
        JsonFiles.build(parser, text, block)
    }
}

crate::job_methods!(JsonFilesJob.job);

#[cfg(test)]
mod tests {
    use super::split_paths;

    #[test]
    fn joined_paths_split_into_their_ranges() {
        let ranges = |all: &str, n| split_paths(all, n).unwrap();
        assert_eq!(
            ranges("a/b.json\0/c\0d", 3),
            Some(vec![0..8, 9..11, 12..13])
        );
        // Empty paths are paths (each gets its own read error later).
        assert_eq!(ranges("\0\0", 3), Some(vec![0..0, 1..1, 2..2]));
        assert_eq!(ranges("", 1).map(|r| r.len()), Some(1));
        assert_eq!(ranges("", 1).unwrap()[0], 0..0);
        assert_eq!(ranges("é\0東京", 2), Some(vec![0..2, 3..9]));
        // A path that held a NUL: another count, so no job (JS sends the array instead).
        assert_eq!(ranges("a\0b\0c", 2), None);
        assert_eq!(ranges("abc", 2), None);
        assert_eq!(ranges("", 0), None);
    }
}
