//! The failure vocabulary of both drivers and the scenario: what goes wrong with a host
//! ([`Failure`]), what a `[[fault]]` table does ([`FaultKind`]: a failure, or a recovery, a
//! heal or a filling disk), and a typed scripted fault ([`ScriptedFault`]: time, node index,
//! kind) that the scenario's `[[fault]]` tables validate into and the availability mode logs
//! its drawn failures as. The request driver keeps a server's state as `Option<Failure>`
//! (`None`: up), the availability driver a component's failure mode as a `Failure`; the two
//! conversions here ([`Failure::fault_kind`], [`FaultKind::failure`]) are the only mapping
//! between them. A log becomes TOML again only when a replay capsule is written
//! (`scenario::park::fault_table`).

use crate::units::SimTime;
use serde::{Deserialize, Serialize};

/// How a host fails: the mode a drawn failure takes in the availability driver, and the
/// state a failed server is in in the request driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Failure {
    /// The host is gone: connections and checks time out.
    Crash,
    /// The service process died: connections are refused at once.
    ProcessDeath,
    /// The application accepts connections and never answers.
    Hang,
    /// Service times x the class's `slowdown_factor`; checks still pass.
    Slowdown,
    /// The link lb1 <-> this web server is down: to lb1 it is a crashed host.
    LinkDown,
}

impl Failure {
    /// The scripted fault that injects this failure (a link failure is a partition).
    pub(crate) fn fault_kind(self) -> FaultKind {
        match self {
            Failure::Crash => FaultKind::Crash,
            Failure::ProcessDeath => FaultKind::ProcessDeath,
            Failure::Hang => FaultKind::Hang,
            Failure::Slowdown => FaultKind::Slow,
            Failure::LinkDown => FaultKind::Partition,
        }
    }
}

/// What a `[[fault]]` table does (its `kind`): a host or link fails in one of the [`Failure`]
/// modes, comes back, or a storage node's disk fills.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The host is gone: connections and checks time out.
    Crash,
    /// The service process died: connections are refused at once.
    ProcessDeath,
    /// The application accepts connections and never answers.
    Hang,
    /// Service times are multiplied by `factor`.
    Slow,
    /// Back to normal: after a `hang`, the stalled work resumes; otherwise with empty queues.
    Recover,
    /// The network between `target` and `peer` drops packets (see `direction`); both hosts
    /// keep running.
    Partition,
    /// The network between `target` and `peer` works again.
    Heal,
    /// Something (runaway logs, a stuck temp file) fills a storage node's disk at `factor`
    /// GB per hour until `recover` cleans it up; a full disk fails writes.
    DiskFill,
}

impl FaultKind {
    /// The failure this fault injects (the inverse of [`Failure::fault_kind`]); `None` for a
    /// recovery, a heal or a filling disk.
    pub(crate) fn failure(self) -> Option<Failure> {
        match self {
            FaultKind::Crash => Some(Failure::Crash),
            FaultKind::ProcessDeath => Some(Failure::ProcessDeath),
            FaultKind::Hang => Some(Failure::Hang),
            FaultKind::Slow => Some(Failure::Slowdown),
            FaultKind::Partition => Some(Failure::LinkDown),
            FaultKind::Recover | FaultKind::Heal | FaultKind::DiskFill => None,
        }
    }
}

/// One scripted fault, checked: when, which node, what.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptedFault {
    pub(crate) at: SimTime,
    /// Node index in the topology.
    pub node: usize,
    pub kind: FaultKind,
    /// Service-time factor for `slow`, fill rate [GB/h] for `disk_fill`, 1 otherwise.
    pub(crate) factor: f64,
    /// The other end of a partition or heal (topology index).
    pub peer: Option<usize>,
    /// A partition drops only packets from `node` to `peer`.
    pub(crate) one_way: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two conversions are inverse, and only the three non-failures map to no failure.
    #[test]
    fn failures_and_fault_kinds_convert_both_ways() {
        for f in [
            Failure::Crash,
            Failure::ProcessDeath,
            Failure::Hang,
            Failure::Slowdown,
            Failure::LinkDown,
        ] {
            assert_eq!(f.fault_kind().failure(), Some(f), "{f:?}");
        }
        for k in [FaultKind::Recover, FaultKind::Heal, FaultKind::DiskFill] {
            assert_eq!(k.failure(), None, "{k:?}");
        }
    }
}
