//! The simulator: engine, RNG streams, topology, traffic, world model, and the replication
//! runner. Knows the policy layer (it drives it); the policy layer does not know this.
//!
//! The core (a `World`) is single-threaded and clock-free; parallelism exists only in
//! `run_replications`, which runs whole replications on rayon and returns them in index order.

pub mod avail;
pub mod dist;
pub mod engine;
pub mod metrics;
pub mod rng;
pub mod topology;
pub mod traffic;
pub mod world;

use crate::scenario::Model;
use metrics::RepMetrics;
use rayon::prelude::*;

/// Run every replication of `model` on `jobs` threads. The result is in replication order,
/// whatever the thread count, so everything computed from it is identical for any `jobs`.
/// `on_done` is called (from worker threads) as replications finish, for progress bars.
pub fn run_replications(model: &Model, jobs: usize, on_done: &(dyn Fn() + Sync)) -> Vec<RepMetrics> {
    let run = || {
        (0..model.replications)
            .into_par_iter()
            .map(|i| {
                let m = world::World::new(model, i).run();
                on_done();
                m
            })
            .collect::<Vec<_>>()
    };
    if jobs == 1 {
        // No pool at all: the simplest possible determinism baseline.
        return (0..model.replications)
            .map(|i| {
                let m = world::World::new(model, i).run();
                on_done();
                m
            })
            .collect();
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .expect("thread pool")
        .install(run)
}
