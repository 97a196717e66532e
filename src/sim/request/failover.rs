//! Network partitions and storage-failover glue: who hears whom, and the storage pair's
//! `FailoverController` stepped on heartbeats, repairs and promotions.

use super::*;

impl World<'_> {
    #[inline]
    pub(super) fn cut(&self, from: usize, to: usize) -> bool {
        !self.cuts.is_empty() && self.cuts.contains(&(from, to))
    }

    /// Web server `s` as lb1 sees it: a partition either way breaks TCP like a dead host.
    #[inline]
    pub(super) fn web_seen(&self, s: usize) -> Option<Failure> {
        if !self.cuts.is_empty()
            && (self.cut(self.lb_node, self.web_node[s]) || self.cut(self.web_node[s], self.lb_node))
        {
            Some(Failure::LinkDown)
        } else {
            self.web[s].failure
        }
    }

    /// Storage node `j`'s heartbeats reach the cluster: it runs, is not fenced, and some other
    /// storage node hears it.
    pub(super) fn heard(&self, j: usize) -> bool {
        self.store[j].failure.is_none()
            && !self.fenced[j]
            && (0..self.store.len()).any(|k| k != j && !self.cut(self.store_node[j], self.store_node[k]))
    }

    /// Deliver, lazily, the heartbeats the controller has received up to `now`: every node it
    /// hears sent one at the last heartbeat-grid point. Call before anything changes who is
    /// heard, so a node that stops is silent from its last grid point on.
    pub(super) fn failover_sync(&mut self, now: SimTime) {
        let heard: Vec<usize> = (0..self.store.len()).filter(|&j| self.heard(j)).collect();
        let Some(fo) = self.failover.as_mut() else { return };
        fo.handle_heartbeats(fo.heartbeat_at_or_before(now), &heard);
    }

    /// The serving primary stopped serving at `now`: the takeover clock starts, and with a
    /// lag distribution the controller learns how far the replica trailed at that instant.
    pub(super) fn primary_lost(&mut self, now: SimTime) {
        if self.primary_lost_at.is_some() {
            return;
        }
        self.primary_lost_at = Some(now);
        if let (Some(d), Some(fo)) = (&self.m.reliability.replication_lag, self.failover.as_mut()) {
            let lag = d.sample(&mut self.rng.lag);
            let t = fo.input_time(now);
            fo.handle_replication_lag(t, lag);
        }
    }

    /// Run the controller at the next heartbeat-grid point after `now`.
    pub(super) fn failover_wake_at_next_heartbeat(&mut self, now: SimTime) {
        let Some(fo) = self.failover.as_ref() else { return };
        let t = fo.heartbeat_after(now);
        if self.failover_timer.is_none_or(|x| t < x) {
            self.failover_timer = Some(t);
            self.q.schedule(t, Ev::FailoverTimer);
        }
    }

    /// A repaired storage node rejoins the group (after a re-clone, as a replica). The
    /// operator at it also brings back a running node a failed promotion left out, as in the
    /// availability mode.
    pub(super) fn storage_repaired(&mut self, now: SimTime, j: usize) {
        self.fenced[j] = false;
        let heard: Vec<usize> = (0..self.store.len()).filter(|&k| self.heard(k)).collect();
        if let Some(fo) = self.failover.as_mut() {
            let t = fo.input_time(now);
            fo.handle_node_rejoined(t, j);
            fo.handle_operator_rejoin(t, &heard);
        }
    }

    /// Carry out the controller's actions, follow its primary, check the split-brain oracle
    /// and re-arm its timer.
    pub(super) fn failover_act(&mut self, now: SimTime) {
        let heard: Vec<bool> = (0..self.store.len()).map(|j| self.heard(j)).collect();
        let Some(fo) = self.failover.as_mut() else { return };
        let cfg = fo.config().clone();
        while let Some(a) = fo.poll_action() {
            match a {
                FoAction::Fence { node } => self
                    .q
                    .schedule(now + cfg.fence_duration, Ev::FenceDone { node: node as u32 }),
                FoAction::Promote { node } => self
                    .q
                    .schedule(now + cfg.promotion_time, Ev::PromoteDone { node: node as u32 }),
                // The controller no longer lists a demoted node as writable.
                FoAction::Demote { .. } => {}
            }
        }
        let primary = fo.primary();
        // Oracle: at most one node that really runs accepts writes.
        let split = fo.split_brain(|j| matches!(self.store[j].failure, None | Some(Failure::Hang)) && !self.fenced[j]);
        let lost = fo.data_loss_on_failover();
        // Heartbeats are delivered lazily, so the controller's liveness deadlines only matter
        // while some node it still counts as alive is silent, or nothing is writable.
        let unsettled = (0..heard.len()).any(|j| !heard[j] && fo.role(j) != Role::Down) || primary.is_none();
        let timer = fo.poll_timeout().filter(|_| unsettled);
        if primary != self.primary {
            self.primary = primary;
            if primary.is_some() {
                if let Some(lost_at) = self.primary_lost_at.take()
                    && self.metrics.in_window(lost_at)
                {
                    self.metrics.takeover_ms.push(now.since(lost_at).as_millis_f64());
                    self.metrics.failover_lost_writes_ns += lost.as_nanos();
                    self.metrics.failover_lost_writes_ns_max =
                        self.metrics.failover_lost_writes_ns_max.max(lost.as_nanos());
                }
                for (slot, tag) in std::mem::take(&mut self.storage_waiting) {
                    if self.live(slot, tag) {
                        self.at_storage(now, slot);
                    }
                }
            }
        }
        match (split, self.split_since) {
            (true, None) => self.split_since = Some(now),
            (false, Some(since)) => {
                self.metrics.split_brain_ns += self.metrics.clip(since, now.since(since));
                self.split_since = None;
            }
            _ => {}
        }
        if let Some(t) = timer
            && self.failover_timer.is_none_or(|x| x != t.max(now))
        {
            let t = t.max(now);
            self.failover_timer = Some(t);
            self.q.schedule(t, Ev::FailoverTimer);
        }
    }

    /// The controller's timer fired (the one armed last).
    pub(super) fn on_failover_timer(&mut self, now: SimTime) {
        self.failover_timer = None;
        self.failover_sync(now);
        let fo = self.failover.as_mut().expect("timer implies controller");
        fo.handle_timeout(fo.input_time(now));
        self.failover_act(now);
    }

    /// STONITH of storage node `j` is done: it is powered off, whatever it was doing.
    pub(super) fn on_fence_done(&mut self, now: SimTime, j: usize) {
        if self.store[j].failure != Some(Failure::Crash) {
            self.storage_fault(now, j, FaultKind::Crash, 1.0);
        }
        self.fenced[j] = true;
        self.failover_sync(now);
        let fo = self.failover.as_mut().expect("controller");
        fo.handle_fence_result(fo.input_time(now), j, true);
        self.failover_act(now);
    }

    /// Storage node `node` finished its promotion; the controller draws whether it failed
    /// (`promotion_fail_probability`; a planned switchover never fails). A failed one leaves
    /// the node out until a storage node's repair (a scripted `recover`) brings it back.
    pub(super) fn on_promote_done(&mut self, now: SimTime, node: usize) {
        self.failover_sync(now);
        let p = self.m.reliability.promotion_fail_probability;
        let rng = &mut self.rng.takeover;
        let fo = self.failover.as_mut().expect("controller");
        fo.handle_promotion_finished(fo.input_time(now), node, p, || rng.random::<f64>());
        self.failover_act(now);
    }
}
