//! The storage pair in the long-horizon driver: each takeover is stepped through the real
//! `FailoverController` (heartbeats delivered lazily on their grid, fences and promotions
//! timed, a promotion failing with `promotion_fail_probability`), with the split-brain oracle
//! on the nodes really running. Planned switchovers (maintenance) are asked of the same
//! controller. Storage on the web servers (`storage.colocated`, a standby pair) fails, is
//! repaired and is patched with its server.

use super::*;

impl AvailWorld<'_> {
    pub(super) fn storage_failed(&mut self, now: SimTime, j: usize) {
        let Some(fo) = self.failover.as_mut() else {
            self.storage_ok = false;
            self.storage_epoch = self.storage_epoch.wrapping_add(1);
            return;
        };
        if fo.primary() != Some(j) {
            return; // a replica: no service impact; the controller learns at the next takeover
        }
        self.storage_ok = false;
        self.storage_epoch = self.storage_epoch.wrapping_add(1);
        if let Some(d) = &self.m.reliability.replication_lag {
            // How far the replica trailed when the primary was lost.
            let lag = d.sample(&mut self.lag_rng);
            let fo = self.failover.as_mut().expect("checked above");
            let t = fo.input_time(now);
            fo.handle_replication_lag(t, lag);
        }
        if let Some(t) = self.run_failover(now, Some(j)) {
            if now >= self.warmup {
                self.metrics.takeover_ms.push(t.since(now).as_millis_f64());
                self.metrics.failovers += 1;
                let lost = self.failover.as_ref().expect("a takeover ran").data_loss_on_failover();
                self.metrics.failover_lost_writes_ns += lost.as_nanos();
                self.metrics.failover_lost_writes_ns_max =
                    self.metrics.failover_lost_writes_ns_max.max(lost.as_nanos());
            }
            let epoch = self.storage_epoch;
            self.q.schedule(t, Ev::StorageRestored { epoch });
        }
    }

    /// After a disaster restore, the restored node takes the primary role.
    pub(super) fn storage_back(&mut self, now: SimTime) {
        if self.failover.is_none() {
            self.storage_ok = true;
            return;
        }
        if let Some(done) = self.run_failover(now, None) {
            let epoch = self.storage_epoch;
            self.q.schedule(done, Ev::StorageRestored { epoch });
        }
    }

    /// Whether storage node `j` runs: up and not rebooting for planned maintenance.
    pub(super) fn store_running(&self, j: usize) -> bool {
        let s = &self.comps[self.store0 + j];
        s.up && !s.maint
    }

    /// Storage node `j` is the database on web server `j` (`storage.colocated`).
    pub(super) fn colocated(&self, c: usize) -> bool {
        self.m.spec.storage.colocated && matches!(self.comps[c].kind, Kind::Storage(_))
    }

    /// Web server `i` failed with `mode`: a crash or a hang of the host takes its database
    /// (storage node `i`) with it, when the storage lives on the web servers.
    pub(super) fn colocated_failed(&mut self, now: SimTime, i: usize, mode: Failure) {
        let s = self.store0 + i;
        if !self.m.spec.storage.colocated || !matches!(mode, Failure::Crash | Failure::Hang) || !self.comps[s].up {
            return;
        }
        let comp = &mut self.comps[s];
        comp.up = false;
        comp.mode = mode;
        comp.epoch = comp.epoch.wrapping_add(1);
        self.storage_failed(now, i);
    }

    /// Web server `i` is repaired: its database comes back with it.
    pub(super) fn colocated_repaired(&mut self, now: SimTime, i: usize) {
        let s = self.store0 + i;
        if !self.m.spec.storage.colocated || self.comps[s].up {
            return;
        }
        let comp = &mut self.comps[s];
        comp.up = true;
        comp.epoch = comp.epoch.wrapping_add(1);
        self.storage_rejoined(now, i);
    }

    /// Before storage node `j` goes down for planned maintenance: if it is the primary, move
    /// the role to a running replica (a planned switchover: the site waits only for the
    /// promotion). Returns false if it is the primary and no replica can take over (the
    /// operator postpones its patch).
    pub(super) fn storage_switchover(&mut self, now: SimTime, j: usize) -> bool {
        let running: Vec<bool> = (0..self.m.storage.count as usize)
            .map(|k| self.store_running(k))
            .collect();
        let Some(fo) = self.failover.as_mut() else {
            return false;
        };
        if fo.primary() != Some(j) {
            return fo.current_outage().is_none();
        }
        let t = fo.input_time(now);
        let live: Vec<usize> = (0..running.len()).filter(|&k| running[k]).collect();
        fo.handle_heartbeats(t, &live);
        let Some(to) = (0..running.len()).find(|&k| k != j && running[k] && fo.role(k) == Role::Replica) else {
            return false;
        };
        if !fo.handle_planned_switchover(t, to) {
            return false;
        }
        self.storage_ok = false;
        self.storage_epoch = self.storage_epoch.wrapping_add(1);
        let done = self.run_failover(now, None).expect("a running replica is promoted");
        let epoch = self.storage_epoch;
        self.q.schedule(done, Ev::StorageRestored { epoch });
        true
    }

    pub(super) fn storage_rejoined(&mut self, now: SimTime, j: usize) {
        // The disaster path: both copies were lost, so the repaired node is empty and the
        // database must come back from the backup server before anything can write.
        let disaster = self.disaster_at.take();
        let Some(fo) = self.failover.as_mut() else {
            self.storage_ok = true;
            return;
        };
        let t = fo.input_time(now);
        // Heartbeats are delivered lazily: every live node's, at once, before anything else,
        // so no live node looks dead for the months nothing was reported.
        let live: Vec<usize> = (0..self.m.storage.count as usize)
            .filter(|&k| self.comps[self.store0 + k].up && !self.comps[self.store0 + k].maint)
            .collect();
        assert!(live.contains(&j), "store{} rejoins while not running", j + 1);
        fo.handle_heartbeats(t, &live);
        // A replica that failed and came back between takeovers was never declared dead. The
        // operator at the node also brings back a running node a failed promotion left out.
        fo.handle_operator_rejoin(t, &live);
        if let Some(lost_at) = disaster {
            if self.backup.is_some() {
                self.on_restore_requested(now, lost_at, true);
            } else {
                // No backups: the site comes back with an empty database.
                self.storage_back(now);
            }
            return;
        }
        if fo.primary().is_none_or(|p| !live.contains(&p)) {
            // Nothing was writable: the returning node ends the stall.
            if let Some(done) = self.run_failover(now, None) {
                let epoch = self.storage_epoch;
                self.q.schedule(done, Ev::StorageRestored { epoch });
            }
        }
        if let Some(since) = self.split_since.take() {
            self.metrics.split_brain_ns += now.saturating_since(since.max(self.warmup)).as_nanos();
        }
    }

    /// Step the failover controller from `now` (the failure of `failed`) until a writable
    /// primary exists again; returns when. Heartbeats of live nodes are delivered on their
    /// grid; the failed node's stop at its last heartbeat before `now`.
    pub(super) fn run_failover(&mut self, now: SimTime, failed: Option<usize>) -> Option<SimTime> {
        let store0 = self.store0;
        let n = self.m.storage.count as usize;
        let cfg = &self.m.reliability.failover;
        let hb = cfg.heartbeat_interval;
        let alive: Vec<bool> = (0..n).map(|j| self.store_running(j)).collect();
        // A partitioned node (storage `hang`) is alive and writable but silent.
        let partitioned: Vec<bool> = (0..n)
            .map(|j| !self.comps[store0 + j].up && self.comps[store0 + j].mode == Failure::Hang)
            .collect();
        let fail_p = self.m.reliability.promotion_fail_probability;
        let fo = self.failover.as_mut().expect("failover controller");
        // Heartbeats are delivered lazily: every node that was running sent its last one at
        // the grid point before `now` (the failed node's last ever), all at once, before any
        // timer runs, so no node looks dead for the months nothing was reported.
        let last = fo.heartbeat_at_or_before(now);
        let running: Vec<usize> = (0..n).filter(|&j| alive[j] || failed == Some(j)).collect();
        fo.handle_heartbeats(last, &running);
        let live: Vec<usize> = (0..n).filter(|&j| alive[j]).collect();
        let mut t = fo.input_time(now);
        let mut fences: Vec<(SimTime, usize)> = Vec::new();
        let mut promotions: Vec<(SimTime, usize)> = Vec::new();
        let mut fenced = vec![false; n];
        for _ in 0..EPISODE_STEPS_MAX {
            fo.handle_heartbeats(t, &live);
            // Oracle: never more than one writable node among those really running.
            if fo.split_brain(|j| (alive[j] || partitioned[j]) && !fenced[j]) && self.split_since.is_none() {
                self.split_since = Some(t);
            }
            if let Some(p) = fo.primary()
                && alive[p]
                && fo.poll_timeout().is_none_or(|x| x > t + hb)
                && fences.is_empty()
                && promotions.is_empty()
            {
                return Some(t);
            }
            while let Some(a) = fo.poll_action() {
                match a {
                    FoAction::Fence { node } => fences.push((t + cfg.fence_duration, node)),
                    FoAction::Promote { node } => promotions.push((t + cfg.promotion_time, node)),
                    FoAction::Demote { .. } => {}
                }
            }
            // Next instant: the controller's timer, a fence or promotion finishing, or the next
            // heartbeat grid point.
            let mut next = fo.heartbeat_after(t);
            if let Some(x) = fo.poll_timeout() {
                next = next.min(x.max(t));
            }
            for (x, _) in fences.iter().chain(promotions.iter()) {
                next = next.min(*x);
            }
            t = next;
            if let Some(i) = fences.iter().position(|(x, _)| *x == t) {
                let (_, node) = fences.remove(i);
                fenced[node] = true;
                fo.handle_fence_result(t, node, true);
            } else if let Some(i) = promotions.iter().position(|(x, _)| *x == t) {
                let (_, node) = promotions.remove(i);
                let rng = &mut self.takeover_rng;
                fo.handle_promotion_finished(t, node, fail_p, || rng.random::<f64>());
            } else {
                fo.handle_timeout(t);
            }
            if alive.iter().all(|a| !a) || (fo.is_stalled() && fences.is_empty() && promotions.is_empty()) {
                return None; // nothing to promote until a node is repaired
            }
        }
        panic!("storage takeover did not settle within {EPISODE_STEPS_MAX} steps");
    }
}
