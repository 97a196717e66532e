//! The park's topology and the scripted `[[fault]]`s: targets and peers that exist and fit the
//! fault's kind, times within the run, and a schedule in which every repair follows a failure.

use super::checks::{bad, dist, duration, factor};
use super::tiers::needs_storage;
use super::{Checked, Draft, Invalid, Refusals, each};
use crate::model::topology::{LinkEnd, LinkError, NodeKind, ParkLinks, ParkShape, Topology};
use crate::scenario::{Direction, FAULTS_MAX, Fault, FaultKind, Scenario, ScriptedFault, schema};
use crate::units::SimTime;

/// The nodes and links (needs the web and storage counts).
pub(super) fn topology(spec: &Scenario, d: &mut Draft) -> Checked {
    let (Some(web_count), Some(storage_count)) = (d.web_count, d.storage_count) else {
        return Ok(());
    };
    let shape = ParkShape {
        web_count,
        storage_count,
        backup: spec.backup.enabled,
        lb_pair: spec.balancer.pair,
    };
    let n = &spec.network;
    let links = ParkLinks {
        client_lb: dist("network.client_lb", &n.client_lb)?,
        lb_web: dist("network.lb_web", &n.lb_web)?,
        web_storage: dist("network.web_storage", &n.web_storage)?,
    };
    let mut topo = Topology::park(shape, links);
    for (i, l) in spec.links.iter().enumerate() {
        let key = format!("link[{i}]");
        let latency = l
            .latency
            .as_ref()
            .map(|d| dist(&format!("{key}.latency"), d))
            .transpose()?;
        topo.override_link(&l.from, &l.to, latency, l.enabled)
            .map_err(|e| match e {
                LinkError::NoNode { end, name, nodes } => {
                    let end = if end == LinkEnd::From { "from" } else { "to" };
                    (
                        format!("{key}.{end}"),
                        format!("no node `{name}`; nodes are {}", nodes.join(", ")),
                    )
                }
                LinkError::NoLink => (
                    format!("{key}.to"),
                    format!("there is no link {} -> {} in the park's topology", l.from, l.to),
                ),
            })?;
    }
    topo.check_paths(needs_storage(spec))
        .map_err(|why| ("link".to_string(), why))?;
    d.topology = Some(topo);
    Ok(())
}

/// The `[[fault]]` table that validates back into `f` (for replay capsules): the inverse of
/// [`fault`].
pub(crate) fn fault_table(f: &ScriptedFault, topology: &Topology) -> Fault {
    let uses_factor = matches!(f.kind, FaultKind::Slow | FaultKind::DiskFill);
    debug_assert!(uses_factor || f.factor == 1.0, "{f:?}");
    Fault {
        at: format!("{}ns", f.at.as_nanos()),
        target: topology.name(f.node).to_string(),
        kind: f.kind,
        factor: uses_factor.then_some(f.factor),
        peer: f.peer.map(|p| topology.name(p).to_string()),
        direction: f.one_way.then_some(Direction::OneWay),
    }
}

/// Every `[[fault]]` on its own, then the schedule as a whole.
pub(super) fn faults(spec: &Scenario, d: &mut Draft) -> Checked {
    let Some(topology) = &d.topology else { return Ok(()) };
    if spec.faults.len() > FAULTS_MAX {
        return super::refuse("fault", format!("{} faults; at most {FAULTS_MAX}", spec.faults.len()));
    }
    let end = d.horizon.map(|h| SimTime::ZERO + h);
    let mut faults = Vec::with_capacity(spec.faults.len());
    each(spec.faults.iter().enumerate(), |(i, f)| {
        let scripted = fault(topology, i, f)?;
        // A fault at or after the end of the run would never happen: accepting it silently
        // lets a CI check pass that tests nothing. (No horizon: its refusal is reported.)
        if end.is_some_and(|end| scripted.at >= end) {
            return bad(
                format!("fault[{i}].at"),
                format!(
                    "{:?} is not within the run; expected a time before the horizon ({:?})",
                    f.at, spec.horizon
                ),
            );
        }
        faults.push(scripted);
        Ok(())
    })?;
    schedule(topology, &faults)?;
    faults.sort_by_key(|f| f.at);
    d.faults = Some(faults);
    Ok(())
}

/// `fault[i]`: a time, a web or storage target, a peer for network faults, a factor where the
/// kind takes one.
fn fault(topology: &Topology, i: usize, f: &Fault) -> Result<ScriptedFault, Invalid> {
    let k = format!("fault[{i}]");
    let at = SimTime::ZERO + duration(&format!("{k}.at"), &f.at)?;
    let no_node = |key: String, name: &str| {
        (
            key,
            format!("no node `{name}`; nodes are {}", topology.node_names().join(", ")),
        )
    };
    let node = topology
        .node_by_name(&f.target)
        .ok_or_else(|| no_node(format!("{k}.target"), &f.target))?;
    match topology.kind(node) {
        NodeKind::Web(_) | NodeKind::Storage(_) => {}
        other => {
            let what = match other {
                NodeKind::Clients => "the clients",
                NodeKind::Balancer => "a balancer",
                _ => "the backup server",
            };
            return bad(
                format!("{k}.target"),
                format!(
                    "`{}` is {what}; scripted faults apply to web and storage servers",
                    f.target
                ),
            );
        }
    }
    let network = matches!(f.kind, FaultKind::Partition | FaultKind::Heal);
    let peer = match (&f.peer, network) {
        (Some(name), true) => {
            let p = topology
                .node_by_name(name)
                .ok_or_else(|| no_node(format!("{k}.peer"), name))?;
            let neighbours = matches!(
                (topology.kind(node), topology.kind(p)),
                (NodeKind::Web(_), NodeKind::Balancer)
                    | (NodeKind::Web(_), NodeKind::Storage(_))
                    | (NodeKind::Storage(_), NodeKind::Web(_))
                    | (NodeKind::Storage(_), NodeKind::Storage(_))
            ) && p != node;
            if !neighbours || topology.name(p) == "lb2" {
                return bad(
                    format!("{k}.peer"),
                    format!(
                        "`{}` and `{name}` are not neighbours; a partition cuts lb1 <-> a web server, a web server <-> a storage node, or two storage nodes",
                        f.target
                    ),
                );
            }
            Some(p)
        }
        (None, true) => {
            return bad(
                format!("{k}.peer"),
                "a partition or heal needs `peer`, the node at the other end",
            );
        }
        (Some(_), false) => return bad(format!("{k}.peer"), "peer is only used with partition and heal"),
        (None, false) => None,
    };
    let one_way = match (f.direction, f.kind) {
        (Some(d), FaultKind::Partition) => d == schema::Direction::OneWay,
        (None, _) => false,
        (Some(_), _) => {
            return bad(
                format!("{k}.direction"),
                "direction is only used with kind = \"partition\"",
            );
        }
    };
    if f.kind == FaultKind::DiskFill && !matches!(topology.kind(node), NodeKind::Storage(_)) {
        return bad(format!("{k}.target"), "disk_fill applies to storage nodes");
    }
    Ok(ScriptedFault {
        at,
        node,
        kind: f.kind,
        factor: fault_factor(&k, f)?,
        peer,
        one_way,
    })
}

/// `fault[i].factor`: how fast a disk fills, or a slowdown's multiplier; nothing otherwise.
fn fault_factor(k: &str, f: &Fault) -> Result<f64, Invalid> {
    match (f.kind, f.factor) {
        (FaultKind::DiskFill, Some(x)) if x.is_finite() && x > 0.0 => Ok(x),
        (FaultKind::DiskFill, _) => bad(
            format!("{k}.factor"),
            "kind = \"disk_fill\" needs factor > 0: how fast the disk fills [GB/h]",
        ),
        (FaultKind::Slow, Some(x)) => factor(&format!("{k}.factor"), x, 1.0),
        (FaultKind::Slow, None) => bad(
            format!("{k}.factor"),
            "kind = \"slow\" needs factor (service-time multiplier >= 1)",
        ),
        (_, Some(_)) => bad(
            format!("{k}.factor"),
            "factor is only used with kind = \"slow\" and \"disk_fill\"",
        ),
        (_, None) => Ok(1.0),
    }
}

/// A repair needs a failure before it: `recover` of a node that is not failed at that time, or
/// `heal` of a link not cut, is an impossible schedule (usually a typo in `at` or `target`).
/// `faults` are in file order; a stable sort keeps it for faults at the same instant.
fn schedule(topology: &Topology, faults: &[ScriptedFault]) -> Checked {
    let mut order: Vec<usize> = (0..faults.len()).collect();
    order.sort_by_key(|&i| faults[i].at);
    let mut failed = vec![false; topology.node_names().len()];
    let mut cut: Vec<(usize, usize)> = Vec::new();
    let mut refused = Vec::new();
    for &i in &order {
        let f = &faults[i];
        match f.kind {
            FaultKind::Recover if !failed[f.node] => refused.push((
                format!("fault[{i}].kind"),
                format!(
                    "`recover` of {} at {} comes before any failure of it",
                    topology.name(f.node),
                    f.at
                ),
            )),
            FaultKind::Recover => failed[f.node] = false,
            FaultKind::Slow => {}
            FaultKind::Partition => {
                let p = f.peer.expect("a partition has a peer (checked in `fault`)");
                cut.push((f.node.min(p), f.node.max(p)));
                // Fencing may power off either end of a storage partition: a later `recover`
                // of it is a legitimate repair.
                failed[f.node] = true;
                failed[p] = true;
            }
            FaultKind::Heal => {
                let p = f.peer.expect("a heal has a peer (checked in `fault`)");
                let pair = (f.node.min(p), f.node.max(p));
                if cut.contains(&pair) {
                    cut.retain(|c| *c != pair);
                } else {
                    refused.push((
                        format!("fault[{i}].kind"),
                        format!(
                            "`heal` of {} <-> {} at {} comes before any partition of it",
                            topology.name(f.node),
                            topology.name(p),
                            f.at
                        ),
                    ));
                }
            }
            _ => failed[f.node] = true,
        }
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(Refusals(refused))
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
        let back: Vec<Fault> = m.faults.iter().map(|f| fault_table(f, &m.topology)).collect();
        assert_eq!(back[4].direction, Some(Direction::OneWay));
        assert_eq!(back[0].factor, None);
        let replayed = crate::scenario::replay_capsule(&m, &m.faults).unwrap();
        assert_eq!(replayed.faults, m.faults);
        // The capsule's text is ordinary scenario TOML that loads to the same faults.
        let text = crate::scenario::to_toml(&replayed.spec);
        let reloaded = crate::scenario::from_str(&text, "capsule.toml", &[]).unwrap();
        assert_eq!(reloaded.faults, m.faults);
    }
}
