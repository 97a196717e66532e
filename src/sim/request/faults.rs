//! Faults and scripted failures: the scenario's `[[fault]]` timeline plus the failures the
//! availability mode draws for the same replication, applied to web and storage servers.

use super::*;

impl World<'_> {
    pub(super) fn on_fault(&mut self, now: SimTime, index: usize) {
        let f = self.faults[index].clone();
        let (kind, factor, node) = (f.kind, f.factor, f.node);
        if let Some(peer) = f.peer {
            self.failover_sync(now);
            let was_heard: Vec<bool> = (0..self.store.len()).map(|j| self.heard(j)).collect();
            if kind == FaultKind::Partition {
                self.cuts.push((node, peer));
                if !f.one_way {
                    self.cuts.push((peer, node));
                }
            } else {
                self.cuts
                    .retain(|&(a, b)| !((a, b) == (node, peer) || (a, b) == (peer, node)));
            }
            self.cuts.sort_unstable();
            self.cuts.dedup();
            // Who is heard changed: the next heartbeat round tells the controller.
            self.failover_wake_at_next_heartbeat(now);
            for (j, &heard) in was_heard.iter().enumerate() {
                if heard && !self.heard(j) && self.primary == Some(j) {
                    self.primary_lost(now);
                }
            }
            self.failover_act(now);
            return;
        }
        match self.m.topology.kind(node) {
            NodeKind::Web(s) => self.web_fault(now, s, kind, factor),
            NodeKind::Storage(p) if kind == FaultKind::DiskFill => {
                let used = self.disk_fill[p].0 + self.disk_fill[p].2 * now.since(self.disk_fill[p].1).as_nanos() as f64;
                self.disk_fill[p] = (used, now, factor * 1e9 / 3_600e9);
            }
            NodeKind::Storage(p) if kind == FaultKind::Recover && self.disk_fill[p].2 > 0.0 => {
                // On-call cleans up the disk.
                self.disk_fill[p] = (0.0, now, 0.0);
            }
            NodeKind::Storage(p) => {
                self.failover_sync(now);
                let stops = kind != FaultKind::Slow && kind != FaultKind::Recover;
                if stops && self.primary == Some(p) {
                    self.primary_lost(now);
                }
                self.storage_fault(now, p, kind, factor);
                if kind == FaultKind::Recover {
                    self.storage_repaired(now, p);
                    self.failover_wake_at_next_heartbeat(now);
                }
                self.failover_act(now);
            }
            other => unreachable!("validated: faults target servers, not {other:?}"),
        }
    }

    pub(super) fn web_fault(&mut self, now: SimTime, s: usize, kind: FaultKind, factor: f64) {
        let Some(next) = self.web[s].after_fault(kind, factor) else {
            return;
        };
        match (self.web[s].failure, next) {
            (Some(Failure::Hang), Some(Failure::Hang)) => return,
            (None, Some(Failure::Hang)) => {
                self.web_stall(now, s);
                return;
            }
            (Some(Failure::Hang), None) => {
                self.web_resume(now, s);
                self.pump(now);
                return;
            }
            _ => {}
        }
        self.hung_probe[s] = None;
        let members = self.members(|r| {
            r.server as usize == s && matches!(r.phase, Phase::WebQueued | Phase::WebActive | Phase::Frozen)
        });
        self.web[s].reset(next);
        for slot in members {
            self.bump(slot);
            let r = &mut self.reqs[slot as usize];
            if r.store != u32::MAX {
                // Its storage call is orphaned; the storage node releases the worker by epoch.
                let p = r.store as usize;
                self.storage_leave_orphan(p, slot);
            }
            let r = self.reqs[slot as usize];
            if r.recorded {
                self.release(slot);
            } else if matches!(next, None | Some(Failure::ProcessDeath)) {
                // A killed or restarted process resets its connections: lb1 sees it at once.
                self.reqs[slot as usize].phase = Phase::Lost;
                self.fail(now, slot, FailReason::ConnectionReset);
            } else {
                self.reqs[slot as usize].phase = Phase::Lost;
            }
        }
        self.pump(now);
    }

    /// Drop `slot` from storage node `p`'s bookkeeping when its web request died.
    pub(super) fn storage_leave_orphan(&mut self, p: usize, slot: u32) {
        let queued = !self.reqs[slot as usize].in_store_service;
        self.storage_leave(p, slot);
        if queued {
            // Its queue entry is now stale (tag bumped) and will be skipped.
            self.store[p].queued -= 1;
        }
        // In service: the worker is released by its StorageDone (same epoch).
    }

    pub(super) fn storage_fault(&mut self, now: SimTime, p: usize, kind: FaultKind, factor: f64) {
        let Some(next) = self.store[p].after_fault(kind, factor) else {
            return;
        };
        let members = self.members(|r| r.store as usize == p);
        self.store[p].reset(next);
        // Nothing answers a crashed or hung node: its clients wait for their timeout.
        let delay = if matches!(next, Some(Failure::Crash | Failure::Hang)) {
            STORAGE_CALL_TIMEOUT
        } else {
            SimDuration::ZERO
        };
        for slot in members {
            let tag = self.bump(slot);
            let r = &mut self.reqs[slot as usize];
            r.store = u32::MAX;
            self.q.schedule(now + delay, Ev::StorageFail { slot, tag });
        }
    }
}

impl Server {
    /// A host fault on this server (web or storage alike): applies what only changes its speed
    /// (`slow`; `recover` of a server that is up ends a slowdown) and then returns `None`;
    /// otherwise returns the state the server goes into, `Some(None)` for a recovery.
    fn after_fault(&mut self, kind: FaultKind, factor: f64) -> Option<Option<Failure>> {
        match kind.failure() {
            Some(Failure::Slowdown) => {
                self.factor = factor;
                None
            }
            Some(f @ (Failure::Crash | Failure::ProcessDeath | Failure::Hang)) => Some(Some(f)),
            None if kind == FaultKind::Recover && self.failure.is_none() => {
                self.factor = 1.0;
                None
            }
            None if kind == FaultKind::Recover => Some(None),
            Some(Failure::LinkDown) | None => unreachable!("network and disk faults are handled in on_fault: {kind:?}"),
        }
    }
}

/// The scenario's scripted faults plus the web and storage failures and repairs that the
/// availability mode draws for this replication (same seed: the same timeline), in time order.
pub(super) fn random_faults(m: &Model, replication: u32) -> Vec<crate::scenario::ScriptedFault> {
    let log = crate::sim::avail::AvailWorld::new(m, replication).run().fault_log;
    let mut faults = m.faults.clone();
    faults.extend(log);
    // Stable: scripted faults first among faults at the same instant.
    faults.sort_by_key(|f| f.at);
    faults
}
