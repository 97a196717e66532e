//! Charging time and traffic to the state that held: the share of offered requests failing
//! (from lb1's routing shares, asked of its `Backend`), downtime, partial and degraded time per
//! month, and the incident log.

use super::*;

impl AvailWorld<'_> {
    /// Share of offered requests that fail in the current state, and the cause.
    /// Also returns, per overloaded slowed web server (component index), its failing share.
    pub(super) fn failing(&self, rate_per_s: f64) -> (f64, Option<String>, Vec<(usize, f64)>) {
        match self.lb_master {
            Some(l) if self.comps[l].up => {}
            _ => return (1.0, Some("no balancer holds the site address".into()), Vec::new()),
        }
        let needs_storage = self.m.storage_reads > 0 || self.m.write_fraction > 0.0;
        if needs_storage && !self.storage_ok {
            return (1.0, Some("no writable storage primary".into()), Vec::new());
        }
        // lb1's routing set and shares, from its backend (weight 0 and backups included).
        let shares = &self.shares;
        let web = &self.comps[self.web0..self.web0 + shares.len()];
        let routed: Vec<usize> = (0..shares.len()).filter(|&i| shares[i] > 0.0).collect();
        if routed.is_empty() {
            return (1.0, Some("no web server in rotation".into()), Vec::new());
        }
        let serving = |i: usize| web[i].up || web[i].mode == Mode::Slowdown;
        // Retries go to the whole group, including servers with no share of first picks.
        if self.group.iter().all(|&i| !serving(i)) {
            return (1.0, Some("every web server in rotation has failed".into()), Vec::new());
        }
        // Undetected failures in rotation: a hang or a gray failure fails its share; a crash
        // or refused connection is retried on another server (slow, but served).
        let mut failing: f64 = routed
            .iter()
            .filter(|&&i| !serving(i) && (web[i].mode == Mode::Hang || !web[i].covered))
            .map(|&i| shares[i])
            .sum();
        // A slowed server fails the part of its share beyond its capacity (fluid
        // approximation: workers / holding time, at the mean offered rate of the period).
        let mut overloaded = Vec::new();
        for &i in routed.iter().filter(|&&i| !web[i].up && web[i].mode == Mode::Slowdown) {
            let offered = rate_per_s * shares[i];
            let capacity = f64::from(self.m.web.workers) / self.slowed_holding_s();
            if offered > capacity {
                let share = shares[i] * (1.0 - capacity / offered);
                failing += share;
                overloaded.push((self.web0 + i, share));
            }
        }
        let cause = (failing > 0.0).then(|| {
            let names: Vec<&str> = routed
                .iter()
                .filter(|&&i| !web[i].up)
                .map(|&i| web[i].name.as_str())
                .collect();
            format!("undetected failure of {}", names.join(", "))
        });
        assert!((0.0..=1.0 + 1e-9).contains(&failing), "failing share {failing}");
        (failing.min(1.0), cause, overloaded)
    }

    /// lb1 marks web `c` DOWN or UP: the backend learns it and gives its new routing shares.
    pub(super) fn set_in_lb(&mut self, now: SimTime, c: usize, up: bool) {
        let Kind::Web(i) = self.comps[c].kind else {
            unreachable!("only web servers are in lb1's backend")
        };
        self.comps[c].in_lb = up;
        self.backend.handle_server_state(now, i, up);
        assert!(
            self.backend.poll_dispatch().is_none() && self.backend.queued() == 0,
            "aggregate traffic never queues a request in the backend"
        );
        self.shares = self
            .backend
            .routing_shares(self.clients)
            .expect("the scenario checks that the balancer has steady-state shares");
        self.group = self.backend.routing_group();
    }

    /// Charge the time since the last state change to the state that held.
    pub(super) fn account(&mut self, now: SimTime) {
        let now = now.min(self.horizon);
        if now <= self.last {
            return;
        }
        let a = self.last;
        assert!(a >= self.warmup, "nothing is charged before the window");
        let offered = offered_between(&self.m.traffic, a, now);
        let rate = offered / now.since(a).as_secs_f64();
        let (frac, cause, overloaded) = self.failing(rate);
        self.last = now;
        let failed_before = self.metrics.failed;
        if frac > 0.0 {
            self.metrics.failed += frac * offered;
            for (c, share) in overloaded {
                self.comps[c].overload_failed += share * offered;
            }
        }
        let down = frac >= 1.0;
        if down {
            self.metrics.downtime_ns += now.since(a).as_nanos();
            spread_over_months(&mut self.metrics.monthly_downtime_ns, self.warmup, a, now, 1.0);
        } else if frac > 0.0 {
            spread_over_months(&mut self.metrics.monthly_partial_ns, self.warmup, a, now, frac);
        }
        if !down && self.degraded() {
            spread_over_months(&mut self.metrics.monthly_degraded_ns, self.warmup, a, now, 1.0);
        }
        // Incident log: a period where some requests fail.
        match (&self.down_since, frac > 0.0) {
            (None, true) => self.down_since = Some((a, cause.unwrap_or_default(), failed_before)),
            (Some(_), false) => {
                let (since, c, f0) = self.down_since.take().expect("open incident");
                self.close_incident(since, a, c, f0);
            }
            _ => {}
        }
    }

    /// How long a request holds a worker of a slowed web server [s]: its CPU time x the
    /// slowdown factor, plus its storage calls.
    pub(super) fn slowed_holding_s(&self) -> f64 {
        let storage_ns = f64::from(self.m.storage_reads) * self.m.storage.service.mean_ns()
            + self.m.write_fraction * self.m.storage_write.mean_ns();
        (self.m.web.service.mean_ns() * self.m.reliability.web.slowdown_factor + storage_ns) / 1e9
    }

    /// Some active web server is not serving: failed, or out of lb1's rotation.
    pub(super) fn degraded(&self) -> bool {
        let servers = &self.m.backend.servers;
        let web = &self.comps[self.web0..self.web0 + servers.len()];
        (0..servers.len()).any(|i| !(servers[i].backup || web[i].up && web[i].in_lb))
    }

    pub(super) fn close_incident(&mut self, start: SimTime, end: SimTime, cause: String, failed_before: f64) {
        self.metrics.incidents_total += 1;
        if self.metrics.incidents.len() < INCIDENTS_MAX {
            self.metrics.incidents.push(Incident {
                start_h: start.as_secs_f64() / 3600.0,
                end_h: end.as_secs_f64() / 3600.0,
                cause,
                failed_requests: self.metrics.failed - failed_before,
            });
        }
    }
}

/// Add `weight * (b - a)` to the months of the measured window (starting at `warmup`) that
/// `[a, b)` overlaps.
pub(super) fn spread_over_months(slots: &mut [u64], warmup: SimTime, a: SimTime, b: SimTime, weight: f64) {
    let month_ns = (MONTH_SECS * 1e9) as u64;
    let mut t = a;
    while t < b {
        let m = (t.since(warmup).as_nanos() / month_ns) as usize;
        let end = (warmup + SimDuration::from_nanos((m as u64 + 1) * month_ns)).min(b);
        if let Some(slot) = slots.get_mut(m) {
            *slot += (end.since(t).as_nanos() as f64 * weight).round() as u64;
        }
        t = end;
    }
}
