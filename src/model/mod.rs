//! The checked-model vocabulary both drivers and the scenario layer share: duration
//! distributions ([`dist`]), the failure vocabulary and typed scripted faults ([`failure`]), the
//! park's graph ([`topology`]), the traffic model ([`traffic`]), the calendar months of the
//! window in the scenario's time zone ([`calendar`]), the capacity schedule ([`capacity`]), the URIs `balance uri` hashes ([`uri`])
//! and the names of the alerts the availability mode pages with ([`alerts`]).
//!
//! Pure data and pure functions of a validated scenario: no event queue, no RNG streams, no
//! clock. `scenario/` builds these types and `sim/` runs them; nothing here knows `sim`.

pub(crate) mod alerts;
pub(crate) mod calendar;
pub(crate) mod capacity;
pub(crate) mod dist;
pub(crate) mod failure;
pub(crate) mod topology;
pub mod traffic;
pub mod uri;
