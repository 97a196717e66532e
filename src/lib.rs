//! simpark: a deterministic discrete-event simulator of a high-availability web-hosting park.
//!
//! Code map (see ARCHITECTURE.md for the invariants):
//! - [`units`]: `SimTime` / `SimDuration` (integer ns) and duration parsing.
//! - [`policy`]: production logic as sans-IO state machines: HAProxy 2.6 balancing
//!   ([`policy::balancer`]) and health checks ([`policy::health`]). Knows nothing of `sim`.
//! - [`scenario`]: the TOML format, `--set` overrides and validation into a checked [`Model`].
//! - [`model`]: the checked-model vocabulary shared by scenario/ and sim/: duration
//!   distributions, the topology graph, the traffic model, alert names.
//! - [`sim`]: event queue, named RNG streams, the traffic sampler, the two drivers and the
//!   replication runner (the only place with parallelism).
//! - [`check`]: oracles (closed forms the simulator must agree with) and checks: `[[expect]]`
//!   evaluation, the library API to run them ([`check::run`]), replay capsules, shrinking.
//! - [`import`]: `simpark import`: haproxy.cfg and keepalived.conf into scenario keys.
//! - [`report`]: summaries, CSV, atomic output, charts and the customer report.
//! - [`run`]: run a scenario into a results directory (what `simpark run` does), and the
//!   files a finished run's replications give (shared with `simpark merge`).
//! - [`stats`]: confidence intervals across replications.
//! - [`study`]: what-if studies over many runs: `sweep` (a grid of variants and the capacity
//!   planner's answer: traffic within the SLO, all up and N-1, and the latency knee) and
//!   `compare` (scenarios side by side).
//!
//! The library API runs a scenario end to end: `scenario::from_str` (or `scenario::load`),
//! `sim::run_replications`, `report::summary::summarise`; `check::run::run_file` adds the
//! expectations. `tests/it/api.rs` is the worked example (a test, so it cannot go stale; the
//! crate has `doctest = false`, see Cargo.toml).

pub mod check;
pub mod import;
pub mod model;
pub mod policy;
pub mod report;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod stats;
pub mod study;
pub mod units;

pub use scenario::Model;
pub use units::{SimDuration, SimTime};
