//! Oracles and checks: closed-form answers the simulator must agree with, `[[expect]]`
//! evaluation, replay capsules and shrinking of failing scenarios.
//!
//! `analytic`, `expect`, `capsule` and `shrink` read results or compute formulas and never run
//! the engine; `run` is the one module here that simulates (through `sim`'s replication
//! runners), so checks can be written as Rust tests. Nothing here prints or writes files.

pub mod analytic;
pub mod capsule;
pub mod expect;
pub mod run;
pub mod shrink;
