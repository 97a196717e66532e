//! lb1's health checks and the balancer pair in the long-horizon driver: detection and
//! recovery windows are found by stepping the real `HealthChecker` with the server's own
//! settings (`Model::check`) from its steady phase (`CheckSpec::steady_next_check`), VRRP
//! takeovers by stepping the real `VrrpRouter`.

use super::*;
use crate::scenario::LbTrack;

impl<'m> AvailWorld<'m> {
    pub(super) fn rtt(&self, c: usize) -> SimDuration {
        let Kind::Web(i) = self.comps[c].kind else {
            unreachable!()
        };
        SimDuration::from_nanos((2.0 * self.m.topology.lb_web_latency(i).mean_ns()).round() as u64)
    }

    /// lb1's health check of web component `c` (its own settings); `None` when not checked.
    pub(super) fn check_of(&self, c: usize) -> Option<&'m crate::policy::health::CheckSpec> {
        let Kind::Web(i) = self.comps[c].kind else {
            unreachable!("only web servers are checked by lb1")
        };
        self.m.check(i)
    }

    /// Instant lb1 marks web `c` DOWN after it failed at `now`, by stepping HAProxy's checker
    /// from its steady phase. `None` when the server is not checked (lb1 keeps sending it
    /// requests until it is repaired); `now` in instant-detection mode.
    pub(super) fn detect(&mut self, now: SimTime, c: usize) -> Option<SimTime> {
        if self.m.reliability.instant {
            return Some(now);
        }
        let spec = self.check_of(c)?;
        let rtt = self.rtt(c);
        // Steady state until the failure: the checker says when its next check starts.
        let next = spec.steady_next_check(self.comps[c].check_anchor, rtt, now);
        let mut checker = HealthChecker::resume_up(spec.clone(), next);
        let mode = self.comps[c].mode;
        let behaviour = move |_t: SimTime| match mode {
            Failure::Crash | Failure::LinkDown => Probe::Silent,
            Failure::ProcessDeath => Probe::Refused,
            Failure::Hang => Probe::Hung,
            Failure::Slowdown => unreachable!("a slowed server is never checked DOWN"),
        };
        let down = step_checker(&mut checker, rtt, behaviour, |t| matches!(t, Transition::Down));
        self.comps[c].checker = Some(checker);
        Some(down)
    }

    /// Instant lb1 marks web `c` UP again after its repair at `now`.
    pub(super) fn recover(&mut self, now: SimTime, c: usize) -> Option<SimTime> {
        if self.m.reliability.instant || self.check_of(c).is_none() {
            return Some(now);
        }
        let rtt = self.rtt(c);
        let mode = self.comps[c].mode;
        let mut checker = self.comps[c].checker.take()?;
        let behaviour = move |t: SimTime| {
            if t >= now {
                Probe::Healthy
            } else {
                match mode {
                    Failure::Crash | Failure::LinkDown => Probe::Silent,
                    Failure::ProcessDeath => Probe::Refused,
                    Failure::Hang => Probe::Hung,
                    Failure::Slowdown => Probe::Healthy,
                }
            }
        };
        let up = step_checker(&mut checker, rtt, behaviour, |t| matches!(t, Transition::Up));
        // Steady again: the next check is the new anchor.
        self.comps[c].check_anchor = checker.poll_timeout();
        Some(up)
    }

    // The balancer pair (VRRP).

    /// The other balancer of the pair, if any.
    pub(super) fn lb_peer(&self, c: usize) -> Option<usize> {
        self.m.lb_pair.as_ref()?;
        let lbs: Vec<usize> = (0..self.comps.len())
            .filter(|&i| self.comps[i].kind == Kind::Lb)
            .collect();
        lbs.into_iter().find(|&i| i != c)
    }

    /// Balancer `c`'s VRRP router configuration (`balancer.vrrp_*`): lb1 is the preferred
    /// master.
    pub(super) fn vrrp_config(&self, c: usize) -> VrrpConfig {
        let pair = self.m.lb_pair.as_ref().expect("a pair");
        pair[usize::from(c != 0)].clone()
    }

    /// Balancer `c` fails in `mode`. A dead host stops its advertisements (`lb_failed`); a
    /// dead or hung HAProxy on a live host keeps them going, so a pair's address stays with
    /// it unless the tracked `vrrp_script` sees the failure (`on_lb_tracked` at its `fall`-th
    /// failing run).
    pub(super) fn lb_failed_as(&mut self, now: SimTime, c: usize, mode: Failure) {
        if self.m.lb_pair.is_none() || !LbTrack::leaves_vrrp_up(mode) {
            return self.lb_failed(now, c);
        }
        if self.lb_master != Some(c) || !self.m.lb_track.sees(mode) {
            return; // a backup's HAProxy, or a master's the script misses: down until repaired
        }
        self.lb_masterless_since = Some(now);
        let epoch = self.comps[c].epoch;
        // keepalived's script timer and its advertisement timer are not aligned: the script's
        // grid is offset from the advert grid (multiples of the interval) by a uniform phase.
        let at = self.m.lb_track.script.detected_at(now, self.script_phase());
        self.q.schedule(at, Ev::LbTracked { comp: c as u32, epoch });
    }

    /// The script on master `c` (HAProxy still failed) has failed `fall` times: with weight 0
    /// the instance goes to FAULT and resigns; otherwise it advertises its lowered priority
    /// and its peer (a running backup) preempts it if its `VrrpRouter` says so, after the
    /// Master_Down_Interval since the last advertisement it accepted.
    pub(super) fn on_lb_tracked(&mut self, now: SimTime, c: usize, epoch: u32) {
        if self.comps[c].epoch != epoch || self.comps[c].up || self.lb_master != Some(c) {
            return;
        }
        let full = self.vrrp_config(c);
        let Some(priority) = self.m.lb_track.script.failing_priority(&full) else {
            return self.lb_resign(now, c); // FAULT
        };
        let Some(peer) = self.lb_peer(c).filter(|&p| self.comps[p].up && !self.comps[p].maint) else {
            return;
        };
        let lowered = VrrpConfig {
            priority,
            ..full.clone()
        };
        let interval = crate::policy::vrrp::centis(u32::from(full.advert_interval_cs));
        // The peer accepted the last advertisement at full priority on the grid up to now.
        let last = SimTime::from_nanos(now.as_nanos() / interval.as_nanos() * interval.as_nanos());
        let mut r = VrrpRouter::new(self.vrrp_config(peer));
        r.handle_startup(last);
        r.handle_advertisement(last, full.priority, full.address, full.advert_interval_cs);
        let Some(t) = step_vrrp_hearing(&mut r, &lowered, last + interval) else {
            return; // the peer keeps accepting the lowered master: down until repaired
        };
        self.lb_master = None;
        self.lb_epoch = self.lb_epoch.wrapping_add(1);
        let epoch = self.lb_epoch;
        self.q.schedule(
            t,
            Ev::LbMaster {
                comp: peer as u32,
                epoch,
            },
        );
    }

    /// Where a tracked script's run grid lies against the advertisement grid (multiples of
    /// the interval): uniform in `[0, interval)`, keepalived's two timers being unaligned.
    fn script_phase(&mut self) -> SimDuration {
        let i = self.m.lb_track.script.interval.as_nanos();
        SimDuration::from_nanos(self.script_phase_rng.random_range(0..i))
    }

    pub(super) fn lb_failed(&mut self, now: SimTime, c: usize) {
        if self.lb_master != Some(c) {
            return; // the backup failed: nobody notices but on-call
        }
        self.lb_master = None;
        self.lb_masterless_since = Some(now);
        self.lb_epoch = self.lb_epoch.wrapping_add(1);
        // A peer being patched cannot take over.
        let Some(peer) = self.lb_peer(c).filter(|&p| self.comps[p].up && !self.comps[p].maint) else {
            return;
        };
        // The backup heard the master's last advertisement on the advert grid before the
        // failure, and takes over when its Master_Down_Timer runs out (RFC 5798 6.4.2).
        let cs = self.m.lb_pair_advert_cs().expect("a pair");
        let interval = crate::policy::vrrp::centis(u32::from(cs));
        let last = SimTime::from_nanos(now.as_nanos() / interval.as_nanos() * interval.as_nanos());
        let master = self.vrrp_config(c);
        let mut r = VrrpRouter::new(self.vrrp_config(peer));
        r.handle_startup(last);
        r.handle_advertisement(last, master.priority, master.address, cs);
        let t = step_vrrp(&mut r);
        let epoch = self.lb_epoch;
        self.q.schedule(
            t.max(now),
            Ev::LbMaster {
                comp: peer as u32,
                epoch,
            },
        );
    }

    pub(super) fn lb_repaired(&mut self, now: SimTime, c: usize) {
        if self.m.lb_pair.is_none() {
            self.lb_master = Some(c);
            if let Some(since) = self.lb_masterless_since.take()
                && since >= self.warmup
            {
                self.metrics.lb_takeover_ms.push(now.since(since).as_millis_f64());
            }
            return;
        }
        if self.lb_master == Some(c) {
            // HAProxy is back on the master that kept the address: the site is back.
            self.lb_masterless_since = None;
            return;
        }
        // The repaired router starts as backup (after a failure its script saw, once the
        // script passes `rise` times); it becomes master when its Master_Down_Timer runs out:
        // at once in effect if nobody is master; while a master serves, the router hears its
        // advertisements and decides (preemption) whether it takes over (no outage either
        // way while a master serves).
        let mode = self.comps[c].mode;
        let from = if LbTrack::leaves_vrrp_up(mode) && self.m.lb_track.sees(mode) {
            self.m.lb_track.script.passes_at(now, self.script_phase())
        } else {
            now
        };
        let peer_master = self.lb_master.filter(|&p| p != c);
        let mut r = VrrpRouter::new(self.vrrp_config(c));
        r.handle_startup(from);
        let t = match peer_master {
            Some(p) => match step_vrrp_hearing(&mut r, &self.vrrp_config(p), from) {
                Some(t) => t,
                None => return, // stays backup
            },
            None => step_vrrp(&mut r),
        };
        if peer_master.is_none() {
            self.lb_epoch = self.lb_epoch.wrapping_add(1);
        }
        let epoch = self.lb_epoch;
        self.q.schedule(t, Ev::LbMaster { comp: c as u32, epoch });
    }
}

/// How a probe to a server behaves, for stepping a health checker.
#[derive(Clone, Copy)]
pub(super) enum Probe {
    Healthy,
    Refused,
    Silent,
    Hung,
}

/// Step a VRRP router without advertisements until it becomes master; returns when.
pub(super) fn step_vrrp(r: &mut VrrpRouter) -> SimTime {
    for _ in 0..EPISODE_STEPS_MAX {
        let t = r
            .poll_timeout()
            .expect("a backup router always has its Master_Down_Timer");
        r.handle_timeout(t);
        while let Some(a) = r.poll_action() {
            if matches!(a, VrrpAction::BecameMaster) {
                return t;
            }
        }
    }
    panic!("VRRP router never became master within {EPISODE_STEPS_MAX} steps");
}

/// Step a backup VRRP router that hears `master`'s advertisements on their grid from `from`
/// on, until it becomes master (it preempts a lower priority, after any `preempt_delay`);
/// `None` if it stays backup: still not master once past its preemption delay and two
/// Master_Down_Intervals of advertisements.
pub(super) fn step_vrrp_hearing(r: &mut VrrpRouter, master: &VrrpConfig, from: SimTime) -> Option<SimTime> {
    let interval = crate::policy::vrrp::centis(u32::from(master.advert_interval_cs));
    let delay = r.config().preempt_delay.unwrap_or(SimDuration::ZERO);
    let settled = from + delay + crate::policy::vrrp::centis(r.master_down_interval_cs()).saturating_mul(2);
    let became_master = |r: &mut VrrpRouter| {
        let mut became = false;
        while let Some(a) = r.poll_action() {
            became |= matches!(a, VrrpAction::BecameMaster);
        }
        became
    };
    let mut advert = from;
    while advert <= settled {
        r.handle_advertisement(advert, master.priority, master.address, master.advert_interval_cs);
        if became_master(r) {
            return Some(advert);
        }
        let next = advert + interval;
        while let Some(t) = r.poll_timeout().filter(|&t| t < next) {
            r.handle_timeout(t);
            if became_master(r) {
                return Some(t);
            }
        }
        advert = next;
    }
    None
}

/// Step a health checker with probes behaving per `behaviour(start)` (round trip `rtt`)
/// until a transition matching `want`; returns its instant.
pub(super) fn step_checker(
    c: &mut HealthChecker,
    rtt: SimDuration,
    behaviour: impl Fn(SimTime) -> Probe,
    want: impl Fn(&Transition) -> bool,
) -> SimTime {
    // Pending driver inputs: (time, seq, connected-only?, outcome).
    let mut pending: Option<(SimTime, u64, bool, ProbeOutcome)> = None;
    for _ in 0..EPISODE_STEPS_MAX {
        let timer = c.poll_timeout();
        let (t, deliver) = match pending {
            Some((at, ..)) if at <= timer => (at, true),
            _ => (timer, false),
        };
        if deliver {
            let (at, seq, connected_only, outcome) = pending.take().expect("pending input");
            if connected_only {
                c.handle_connected(at, seq);
            } else {
                c.handle_probe_result(at, seq, outcome);
            }
        } else {
            c.handle_timeout(t);
        }
        while let Some(p) = c.poll_probe() {
            pending = match behaviour(p.started) {
                Probe::Healthy => Some((p.started + rtt, p.seq, false, ProbeOutcome::Passed)),
                Probe::Refused => Some((p.started + rtt, p.seq, false, ProbeOutcome::Refused)),
                Probe::Hung => Some((p.started + rtt, p.seq, true, ProbeOutcome::Passed)),
                Probe::Silent => None,
            };
        }
        while let Some(tr) = c.poll_transition() {
            if want(&tr) {
                return t;
            }
        }
    }
    panic!("health checker never reached the wanted state within {EPISODE_STEPS_MAX} steps");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backup(priority: u8, preempt: bool, delay_s: Option<u64>) -> VrrpRouter {
        let mut cfg = VrrpConfig::new(priority, 1);
        cfg.preempt = preempt;
        cfg.preempt_delay = delay_s.map(SimDuration::from_secs);
        let mut r = VrrpRouter::new(cfg);
        r.handle_startup(SimTime::ZERO);
        r
    }

    /// A repaired router hearing the serving master: the router, not the driver, decides
    /// whether it takes over (preemption, `nopreempt`, `preempt_delay`).
    #[test]
    fn a_repaired_router_takes_over_only_as_its_preemption_says() {
        let master = |priority| VrrpConfig::new(priority, 2);
        let t0 = SimTime::ZERO;
        // Preempting a lower master: when its Master_Down_Timer runs out (3 x 1 s + skew).
        let mut r = backup(200, true, None);
        let down = crate::policy::vrrp::centis(r.master_down_interval_cs());
        assert_eq!(step_vrrp_hearing(&mut r, &master(100), t0), Some(t0 + down));
        // A higher master keeps it backup; so does a lower one with `nopreempt`.
        assert_eq!(step_vrrp_hearing(&mut backup(100, true, None), &master(200), t0), None);
        assert_eq!(step_vrrp_hearing(&mut backup(200, false, None), &master(100), t0), None);
        // `preempt_delay 10`: adverts accepted for 10 s, then discarded; master one
        // Master_Down_Interval after the last one accepted (at 9 s).
        let mut r = backup(200, true, Some(10));
        let t = step_vrrp_hearing(&mut r, &master(100), t0).expect("takes over after the delay");
        assert_eq!(t, t0 + SimDuration::from_secs(9) + down);
    }
}
