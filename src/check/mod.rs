//! Oracles: closed-form answers the simulator must agree with, and checks over finished runs.
//!
//! Everything here reads results or computes formulas; it never runs the engine itself.

pub mod analytic;
pub mod expect;
