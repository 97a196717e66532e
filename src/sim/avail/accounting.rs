//! Charging time and traffic to the state that held: the share of offered requests failing
//! (from lb1's routing shares, asked of its `Backend`), downtime, partial and degraded time per
//! month, and the incident log.

use super::*;
use crate::model::calendar::CalendarMonth;

/// What fails in the current state: the share of offered requests and its causes.
pub(super) struct Failing {
    /// Share of offered requests failing, in 0..=1.
    pub(crate) share: f64,
    /// `share` split by cause, in `Cause::ALL` order.
    pub(crate) by_cause: [f64; Cause::COUNT],
    /// The cause the period is charged to (its largest share) and the state behind it.
    pub(crate) cause: Option<(Cause, IncidentCause)>,
    /// Per overloaded slowed web server (component index), its failing share.
    pub(crate) overloaded: Vec<(usize, f64)>,
}

impl Failing {
    fn all(cause: Cause, state: IncidentCause) -> Failing {
        assert!(state.full_outage(), "{state:?} fails only part of the traffic");
        let mut by_cause = [0.0; Cause::COUNT];
        by_cause[cause.index()] = 1.0;
        Failing {
            share: 1.0,
            by_cause,
            cause: Some((cause, state)),
            overloaded: Vec::new(),
        }
    }
}

impl AvailWorld<'_> {
    /// Why web servers `idx` (indices into the web tier) are not serving: planned
    /// maintenance if one is being patched, a network link if every one of them lost its
    /// link, else the servers themselves.
    fn web_cause(&self, idx: &[usize]) -> Cause {
        let web = &self.comps[self.web0..];
        if idx.iter().any(|&i| web[i].maint) {
            Cause::Maintenance
        } else if idx.iter().all(|&i| web[i].up || web[i].mode == Failure::LinkDown) {
            Cause::Network
        } else {
            Cause::Web
        }
    }

    /// Share of offered requests that fail in the current state, and the causes: everything
    /// without a balancer or a storage primary, else what the web tier fails.
    pub(super) fn failing(&self, rate_per_s: f64) -> Failing {
        if let Some(all) = self.no_balancer().or_else(|| self.no_storage()) {
            return all;
        }
        let mut failing = self.web_failing(rate_per_s);
        self.add_deleted(&mut failing);
        failing
    }

    /// Deletions awaiting their restore fail their share of the requests the rest of the
    /// park serves (independent deletions: 1 - (1 - share)^n), charged to human error.
    fn add_deleted(&self, f: &mut Failing) {
        let share = self.m.backup.as_ref().map_or(0.0, |b| b.human_error_failed_share);
        if self.deletions_pending == 0 || share == 0.0 || f.share >= 1.0 {
            return;
        }
        let deleted = 1.0 - (1.0 - share).powi(self.deletions_pending as i32);
        let extra = deleted * (1.0 - f.share);
        f.by_cause[Cause::HumanError.index()] += extra;
        f.share = (f.share + extra).min(1.0);
        if f.cause.is_none() {
            let full = f.share >= 1.0;
            f.cause = Some((Cause::HumanError, IncidentCause::DataMissing { full }));
        }
    }

    /// No balancer is master: everything fails (maintenance while one is being patched).
    fn no_balancer(&self) -> Option<Failing> {
        if self.lb_master.is_some_and(|l| self.comps[l].up) {
            return None;
        }
        let patching = self.comps.iter().any(|x| x.kind == Kind::Lb && x.maint);
        let cause = if patching { Cause::Maintenance } else { Cause::Lb };
        Some(Failing::all(cause, IncidentCause::NoBalancer))
    }

    /// Requests need storage and nothing is writable: everything fails, charged to a takeover
    /// under way (the controller has a node to promote), to maintenance (a planned
    /// switchover), or to storage.
    fn no_storage(&self) -> Option<Failing> {
        // Storage on the web servers is the site's own database, whatever the request mix.
        let needs_storage = self.m.storage_reads > 0 || self.m.write_fraction > 0.0 || self.m.spec.storage.colocated;
        if !needs_storage || self.storage_ok {
            return None;
        }
        let store = &self.comps[self.store0..self.store0 + self.m.storage.count as usize];
        // The controller may already have finished the switchover it was stepped through:
        // then its last outage is the one the site still waits out.
        let planned = self
            .failover
            .as_ref()
            .and_then(|f| f.current_outage().or(f.last_outage()))
            .is_some_and(|o| o.planned);
        let cause = if planned {
            Cause::Maintenance
        } else if self.failover.is_some() && self.disaster_at.is_none() && store.iter().any(|s| s.up) {
            Cause::Takeover
        } else {
            Cause::Storage
        };
        Some(Failing::all(cause, IncidentCause::NoStoragePrimary))
    }

    /// The share of requests the web tier fails, from lb1's routing set and shares (weight 0
    /// and backups included): all when nothing serves, else the shares of undetected
    /// failures in rotation and what slowed servers cannot take.
    fn web_failing(&self, rate_per_s: f64) -> Failing {
        // lb1's routing set and shares, from its backend (weight 0 and backups included).
        let shares = &self.shares;
        let web = &self.comps[self.web0..self.web0 + shares.len()];
        let routed: Vec<usize> = (0..shares.len()).filter(|&i| shares[i] > 0.0).collect();
        let all: Vec<usize> = (0..shares.len()).collect();
        if routed.is_empty() {
            return Failing::all(self.web_cause(&all), IncidentCause::NoWebInRotation);
        }
        let serving = |i: usize| web[i].up || web[i].mode == Failure::Slowdown;
        // Retries go to the whole group, including servers with no share of first picks.
        if self.group.iter().all(|&i| !serving(i)) {
            return Failing::all(self.web_cause(&self.group), IncidentCause::AllWebFailed);
        }
        // Undetected failures in rotation: a hang or a gray failure fails its share; a crash
        // or refused connection is retried on another server (slow, but served).
        let mut by_cause = [0.0; Cause::COUNT];
        for &i in routed
            .iter()
            .filter(|&&i| !serving(i) && (web[i].mode == Failure::Hang || !web[i].covered))
        {
            let cause = if web[i].mode == Failure::LinkDown {
                Cause::Network
            } else {
                Cause::Web
            };
            by_cause[cause.index()] += shares[i];
        }
        let overloaded = self.overloaded(rate_per_s, &routed);
        by_cause[Cause::Overload.index()] += overloaded.iter().map(|&(_, share)| share).sum::<f64>();
        let failing: f64 = by_cause.iter().sum();
        assert!((0.0..=1.0 + 1e-9).contains(&failing), "failing share {failing}");
        let cause = (failing > 0.0).then(|| {
            let servers: Vec<String> = routed
                .iter()
                .filter(|&&i| !web[i].up)
                .map(|&i| web[i].name.clone())
                .collect();
            assert!(
                !servers.is_empty(),
                "a failing share comes from servers that are not up"
            );
            let main = Cause::ALL
                .into_iter()
                .max_by(|a, b| by_cause[a.index()].total_cmp(&by_cause[b.index()]).then(b.cmp(a)))
                .expect("causes exist");
            (main, IncidentCause::UndetectedFailure { servers })
        });
        if failing > 1.0 {
            by_cause.iter_mut().for_each(|x| *x /= failing);
        }
        Failing {
            share: failing.min(1.0),
            by_cause,
            cause,
            overloaded,
        }
    }

    /// The slowed servers of `routed` and the share of requests each fails: the part of its
    /// share beyond its capacity (fluid approximation: workers / holding time, at the mean
    /// offered rate of the period), by component index.
    fn overloaded(&self, rate_per_s: f64, routed: &[usize]) -> Vec<(usize, f64)> {
        let web = &self.comps[self.web0..];
        let mut overloaded = Vec::new();
        for &i in routed
            .iter()
            .filter(|&&i| !web[i].up && web[i].mode == Failure::Slowdown)
        {
            let offered = rate_per_s * self.shares[i];
            let capacity = f64::from(self.m.web.workers) / self.slowed_holding_s(i);
            if offered > capacity {
                overloaded.push((self.web0 + i, self.shares[i] * (1.0 - capacity / offered)));
            }
        }
        overloaded
    }

    /// lb1 marks web `c` DOWN or UP: the backend learns it and gives its new routing shares.
    pub(super) fn set_in_lb(&mut self, now: SimTime, c: usize, up: bool) {
        let Kind::Web(i) = self.comps[c].kind else {
            unreachable!("only web servers are in lb1's backend")
        };
        self.comps[c].in_lb = up;
        self.backend.handle_server_state(now, i, up);
        self.refresh_shares();
    }

    /// Ask lb1's backend for its routing shares and group after a state change.
    pub(super) fn refresh_shares(&mut self) {
        assert!(
            self.backend.poll_dispatch().is_none() && self.backend.queued() == 0,
            "aggregate traffic never queues a request in the backend"
        );
        self.shares = self
            .backend
            .routing_shares(self.clients, self.m.uris.as_ref().map_or(&[][..], |u| &u.keys[..]))
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
        self.charged_ns += now.since(a).as_nanos();
        let offered = offered_between(&self.m.traffic, a, now);
        let rate = offered / now.since(a).as_secs_f64();
        let Failing {
            share: frac,
            by_cause,
            cause,
            overloaded,
        } = self.failing(rate);
        self.last = now;
        let failed_before = self.metrics.failed;
        // A contract that excludes planned maintenance: charged to its cause only.
        let excluded = self.m.maintenance_excluded() && cause.as_ref().is_some_and(|(c, _)| *c == Cause::Maintenance);
        let excluded_share = if self.m.maintenance_excluded() {
            by_cause[Cause::Maintenance.index()]
        } else {
            0.0
        };
        if frac > 0.0 {
            self.metrics.failed += (frac - excluded_share).max(0.0) * offered;
            for (k, share) in by_cause.iter().enumerate() {
                self.metrics.failed_by_cause[k] += share * offered;
            }
            for (c, share) in overloaded {
                self.comps[c].overload_failed += share * offered;
            }
        }
        let down = frac >= 1.0;
        if down {
            let dt = now.since(a).as_nanos();
            let (class, _) = cause.as_ref().expect("a down period has a cause");
            self.metrics.downtime_by_cause_ns[class.index()] += dt;
            if !excluded {
                self.metrics.downtime_ns += dt;
                spread_over_months(
                    &mut self.metrics.monthly_downtime_ns,
                    &self.m.calendar.months,
                    a,
                    now,
                    1.0,
                );
                spread_over_days(&mut self.metrics.daily_ns, 0, self.warmup, a, now, 1.0);
            }
        } else if frac > 0.0 {
            spread_over_months(
                &mut self.metrics.monthly_partial_ns,
                &self.m.calendar.months,
                a,
                now,
                frac,
            );
            spread_over_months(
                &mut self.metrics.monthly_partial_outage_ns,
                &self.m.calendar.months,
                a,
                now,
                1.0,
            );
            spread_over_days(&mut self.metrics.daily_ns, 1, self.warmup, a, now, frac);
            spread_over_days(&mut self.metrics.daily_ns, 3, self.warmup, a, now, 1.0);
        }
        if !down && self.degraded() {
            spread_over_months(
                &mut self.metrics.monthly_degraded_ns,
                &self.m.calendar.months,
                a,
                now,
                1.0,
            );
            spread_over_days(&mut self.metrics.daily_ns, 2, self.warmup, a, now, 1.0);
        }
        // Incident log: a period where some requests fail.
        match (&self.down_since, cause) {
            (None, Some((class, text))) => self.down_since = Some((a, class, text, failed_before)),
            (Some(_), None) => {
                let (since, class, text, f0) = self.down_since.take().expect("open incident");
                self.close_incident(since, a, class, text, f0);
            }
            _ => {}
        }
    }

    /// How long a request holds a worker of slowed web server `i` [s]: its CPU time x the
    /// slowdown factor, plus its storage calls, each a round trip to the primary over the
    /// web-storage link (the worker waits for the reply, as at request level).
    pub(super) fn slowed_holding_s(&self, i: usize) -> f64 {
        let calls = f64::from(self.m.storage_reads) + self.m.write_fraction;
        let primary = self.failover.as_ref().and_then(|f| f.primary()).unwrap_or(0);
        let round_trip_ns = if self.m.storage.count > 0 {
            self.m
                .topology
                .web_storage_latency(i, primary)
                .map_or(0.0, |d| 2.0 * d.mean_ns())
        } else {
            0.0
        };
        let storage_ns = f64::from(self.m.storage_reads) * self.m.storage.service.mean_ns()
            + self.m.write_fraction * self.m.storage_write.mean_ns()
            + calls * round_trip_ns;
        (self.m.web.service.mean_ns() * self.m.reliability.web.slowdown_factor + storage_ns) / 1e9
    }

    /// Some active web server is not serving: failed, or out of lb1's rotation.
    pub(super) fn degraded(&self) -> bool {
        let servers = &self.m.backend.servers;
        let web = &self.comps[self.web0..self.web0 + servers.len()];
        (0..servers.len()).any(|i| !(servers[i].backup || web[i].up && web[i].in_lb))
    }

    pub(super) fn close_incident(
        &mut self,
        start: SimTime,
        end: SimTime,
        cause_class: Cause,
        cause: IncidentCause,
        failed_before: f64,
    ) {
        assert!(start < end, "an incident lasts: {start:?}..{end:?}");
        self.metrics.incidents_total += 1;
        if let Some(last) = self.metrics.incidents.last() {
            // One incident is open at a time (`down_since`): they follow one another.
            assert!(last.end_h <= start.as_secs_f64() / 3600.0, "incidents overlap");
        }
        if self.metrics.incidents.len() < INCIDENTS_MAX {
            self.metrics.incidents.push(Incident {
                start_h: start.as_secs_f64() / 3600.0,
                end_h: end.as_secs_f64() / 3600.0,
                cause_class,
                cause,
                failed_requests: self.metrics.failed - failed_before,
            });
        }
    }
}

/// Add `weight * (b - a)` to the calendar months of the measured window that `[a, b)`
/// overlaps (`months` is the model's calendar; time outside the window is not counted).
pub(super) fn spread_over_months(slots: &mut [u64], months: &[CalendarMonth], a: SimTime, b: SimTime, weight: f64) {
    assert_eq!(slots.len(), months.len(), "one slot per calendar month");
    let mut k = months.partition_point(|m| m.to <= a);
    while k < months.len() && months[k].from < b {
        let (from, to) = (a.max(months[k].from), b.min(months[k].to));
        if from < to {
            slots[k] += (to.since(from).as_nanos() as f64 * weight).round() as u64;
        }
        k += 1;
    }
}

/// Add `weight * (b - a)` to column `kind` of the days of the measured window (24 h each from
/// `warmup`) that `[a, b)` overlaps.
pub(super) fn spread_over_days(
    days: &mut [[u64; DAY_KINDS.len()]],
    kind: usize,
    warmup: SimTime,
    a: SimTime,
    b: SimTime,
    weight: f64,
) {
    let mut t = a.max(warmup);
    while t < b {
        let d = t.since(warmup).as_nanos() / DAY_NS;
        let end = (warmup + SimDuration::from_nanos((d + 1) * DAY_NS)).min(b);
        if let Some(slot) = days.get_mut(d as usize) {
            slot[kind] += (end.since(t).as_nanos() as f64 * weight).round() as u64;
        }
        t = end;
    }
}
