//! The simulator: engine, RNG streams, the traffic sampler, the two drivers (request-level
//! `request`, long-horizon `avail`) and the replication runner. Knows the policy layer (it drives
//! it); the policy layer does not know this.
//!
//! The core (a `World`) is single-threaded and clock-free; parallelism exists only in
//! `run_replications`, which runs whole replications on rayon and returns them in index order.

pub mod avail;
pub(crate) mod engine;
pub mod metrics;
pub mod request;
pub mod rng;
pub(crate) mod traffic;

use crate::scenario::Model;
use metrics::RepMetrics;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// Simulated time completed by request-level replications in this process [ns], summed over
/// replications, for progress bars within a long replication. The simulation only adds to it
/// (every `PROGRESS_EVENTS` events) and never reads it, so results cannot depend on it.
static SIMULATED_NS: AtomicU64 = AtomicU64::new(0);
/// Events between two progress updates.
pub(crate) const PROGRESS_EVENTS: u32 = 1 << 16;

/// The simulated time request-level replications of this process have completed so far [ns].
pub fn simulated_ns() -> u64 {
    SIMULATED_NS.load(Ordering::Relaxed)
}

pub(crate) fn add_simulated_ns(ns: u64) {
    SIMULATED_NS.fetch_add(ns, Ordering::Relaxed);
}

/// Run `f(0..n)` on `jobs` threads and return the results in index order, whatever the
/// thread count, so everything computed from them is identical for any `jobs`. `on_done` is
/// called (from worker threads) as items finish, for progress bars.
pub fn run_indexed<T: Send>(n: u32, jobs: usize, on_done: &(dyn Fn() + Sync), f: impl Fn(u32) -> T + Sync) -> Vec<T> {
    let one = |i: u32| {
        let r = f(i);
        on_done();
        r
    };
    if jobs <= 1 {
        // No pool at all: the simplest possible determinism baseline.
        return (0..n).map(one).collect();
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .expect("thread pool")
        .install(|| (0..n).into_par_iter().map(one).collect())
}

/// Run every request-level replication of `model` (see `run_indexed`).
pub fn run_replications(model: &Model, jobs: usize, on_done: &(dyn Fn() + Sync)) -> Vec<RepMetrics> {
    run_indexed(model.replications, jobs, on_done, |i| {
        request::World::new(model, i).run()
    })
}
