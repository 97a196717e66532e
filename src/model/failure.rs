//! The failure vocabulary of both drivers and the scenario: what goes wrong with a host
//! ([`Failure`]), what a `[[fault]]` table does ([`FaultKind`]: a failure, or a recovery, a
//! heal or a filling disk), and a typed scripted fault ([`ScriptedFault`]: time, node index,
//! kind) that the scenario's `[[fault]]` tables validate into and the availability mode logs
//! its drawn failures as. The request driver keeps a server's state as `Option<Failure>`
//! (`None`: up), the availability driver a component's failure mode as a `Failure`; the two
//! conversions here ([`Failure::fault_kind`], [`FaultKind::failure`]) are the only mapping
//! between them. A log becomes TOML again only when a replay capsule is written
//! ([`ScriptedFault::to_spec`]).

use super::topology::Topology;
use crate::scenario::{Direction, Fault};
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

impl ScriptedFault {
    /// The `[[fault]]` table that validates back into this fault (for replay capsules).
    pub(crate) fn to_spec(&self, topology: &Topology) -> Fault {
        let uses_factor = matches!(self.kind, FaultKind::Slow | FaultKind::DiskFill);
        debug_assert!(uses_factor || self.factor == 1.0, "{self:?}");
        Fault {
            at: format!("{}ns", self.at.as_nanos()),
            target: topology.name(self.node).to_string(),
            kind: self.kind,
            factor: uses_factor.then_some(self.factor),
            peer: self.peer.map(|p| topology.name(p).to_string()),
            direction: self.one_way.then_some(Direction::OneWay),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::SimDuration;

    const FAULTS: &str = r#"
name = "faults"
[[fault]]
at = "1h"
target = "web2"
kind = "crash"
[[fault]]
at = "90m"
target = "web2"
kind = "recover"
[[fault]]
at = "2h"
target = "web1"
kind = "slow"
factor = 3.5
[[fault]]
at = "3h"
target = "store1"
kind = "disk_fill"
factor = 20.0
[[fault]]
at = "4h"
target = "web3"
kind = "partition"
peer = "store1"
direction = "one_way"
[[fault]]
at = "5h"
target = "web1"
kind = "partition"
peer = "lb1"
[[fault]]
at = "6h"
target = "web1"
kind = "heal"
peer = "lb1"
"#;

    /// TOML -> typed -> TOML -> typed gives the same faults, and the typed form holds what
    /// the tables say (times in ns, node indices, factors).
    #[test]
    fn scripted_faults_convert_both_ways() {
        let m = crate::scenario::from_str(FAULTS, "faults.toml", &[]).unwrap();
        assert_eq!(m.faults.len(), 7);
        let web2 = m.topology.node_by_name("web2").unwrap();
        assert_eq!(m.faults[0].at, SimTime::ZERO + SimDuration::from_secs(3600));
        assert_eq!((m.faults[0].node, m.faults[0].kind), (web2, FaultKind::Crash));
        assert_eq!(m.faults[2].factor, 3.5);
        assert!(m.faults[4].one_way && m.faults[4].peer == m.topology.node_by_name("store1"));
        let back: Vec<Fault> = m.faults.iter().map(|f| f.to_spec(&m.topology)).collect();
        assert_eq!(back[4].direction, Some(Direction::OneWay));
        assert_eq!(back[0].factor, None);
        let replayed = crate::scenario::replay_capsule(&m, &m.faults).unwrap();
        assert_eq!(replayed.faults, m.faults);
        // The capsule's text is ordinary scenario TOML that loads to the same faults.
        let text = crate::scenario::to_toml(&replayed.spec);
        let reloaded = crate::scenario::from_str(&text, "capsule.toml", &[]).unwrap();
        assert_eq!(reloaded.faults, m.faults);
    }

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
