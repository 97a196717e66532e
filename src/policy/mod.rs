//! Production policy, sans-IO: HAProxy's balancing and health checking, backup scheduling and
//! retention, alert rules, storage failover and VRRP, the order planned maintenance runs in,
//! as state machines.
//!
//! Each machine takes inputs with `handle_*(now, ...)`, hands out what it wants done with
//! `poll_*()`, and says when it next needs the time with `poll_timeout()`. None of them reads
//! a clock, does I/O, spawns a thread, or draws randomness it was not handed. They know
//! nothing of `sim/`: the simulator is one driver; a real adapter could be another.

pub mod alerting;
pub(crate) mod backup;
pub mod balancer;
pub(crate) mod failover;
pub mod health;
mod keyheap;
pub(crate) mod maintenance;
pub(crate) mod vrrp;
