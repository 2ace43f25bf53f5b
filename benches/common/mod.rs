//! What the benches share (a module, not a bench target: `benches/common/mod.rs`).
// Each bench compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// Per-call time of each of `fs`, the median over `rounds` rounds. The cases take turns
/// within each round (each running for ~`budget`), so a change in the machine's load hits
/// all of them alike instead of whichever ran at that moment.
pub fn measure_interleaved(
    rounds: usize,
    budget: Duration,
    fs: &mut [&mut dyn FnMut()],
) -> Vec<f64> {
    rounds_interleaved(rounds, budget, fs)
        .into_iter()
        .map(|s| s[rounds / 2])
        .collect()
}

/// Per-call time of each of `fs` in each of `rounds` interleaved rounds (as
/// [`measure_interleaved`]), sorted: `[0]` is the best round, `[rounds / 2]` the median.
pub fn rounds_interleaved(
    rounds: usize,
    budget: Duration,
    fs: &mut [&mut dyn FnMut()],
) -> Vec<Vec<f64>> {
    let mut samples = vec![Vec::with_capacity(rounds); fs.len()];
    for f in fs.iter_mut() {
        f();
    }
    for _ in 0..rounds {
        for (k, f) in fs.iter_mut().enumerate() {
            let start = Instant::now();
            let mut n = 0u64;
            while n == 0 || start.elapsed() < budget {
                f();
                n += 1;
            }
            samples[k].push(start.elapsed().as_nanos() as f64 / n as f64);
        }
    }
    for s in &mut samples {
        s.sort_by(|a, b| a.total_cmp(b));
    }
    samples
}
