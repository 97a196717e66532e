//! lb1's health checks: arming the probes, stepping each server's `HealthChecker` and acting
//! on its transitions. Each server has its own settings (`Model::check`); one without checks
//! has no checker and is never marked DOWN by lb1.

use super::*;

impl World<'_> {
    /// lb1's checker of web `s`, which has one: only a checked server's checker schedules
    /// timers and probes, and `observe` needs checks (the scenario says so).
    fn checker(&mut self, s: usize) -> &mut HealthChecker {
        self.checkers[s]
            .as_mut()
            .expect("only a checked server has check events")
    }

    /// Schedules the next wake-up of web `s`'s checker; nothing when it is not checked.
    pub(super) fn arm_check(&mut self, s: usize) {
        let Some(checker) = &self.checkers[s] else {
            return;
        };
        let t = checker.poll_timeout();
        if t != self.check_timer[s] {
            self.check_timer[s] = t;
            self.q
                .schedule(t.max(self.q.now()), Ev::CheckTimer { server: s as u32 });
        }
    }

    pub(super) fn on_check_timer(&mut self, now: SimTime, s: usize) {
        if self.check_timer[s] != now {
            return; // superseded
        }
        self.check_timer[s] = SimTime::MAX;
        self.checker(s).handle_timeout(now);
        self.after_check(now, s);
    }

    /// Send any probe the checker wants, apply transitions, re-arm its timer.
    /// `observe layer4`: lb1's health checker of web `s` hears how a real connection went
    /// (the checker ignores it unless observing); a resulting DOWN reaches the balancer.
    pub(super) fn observe_traffic(&mut self, now: SimTime, s: usize, ok: bool) {
        if self.m.observe(s).is_none() {
            return;
        }
        self.checker(s).handle_traffic_result(now, ok);
        self.after_check(now, s);
    }

    pub(super) fn after_check(&mut self, now: SimTime, s: usize) {
        while let Some(probe) = self.checker(s).poll_probe() {
            let seq = probe.seq as u32;
            let d = self.m.topology.lb_web_latency(s);
            let rtt = d.sample(&mut self.rng.check_net[s]) + d.sample(&mut self.rng.check_net[s]);
            let server = s as u32;
            match self.web_seen(s) {
                None | Some(Failure::Slowdown) => self.q.schedule(
                    now + rtt,
                    Ev::ProbeResult {
                        server,
                        seq,
                        passed: true,
                    },
                ),
                Some(Failure::ProcessDeath) => self.q.schedule(
                    now + rtt,
                    Ev::ProbeResult {
                        server,
                        seq,
                        passed: false,
                    },
                ),
                Some(Failure::Hang) => {
                    self.hung_probe[s] = Some(seq);
                    self.q.schedule(now + rtt, Ev::ProbeConnected { server, seq });
                }
                Some(Failure::Crash | Failure::LinkDown) => {}
            }
        }
        while let Some(t) = self.checker(s).poll_transition() {
            let up = matches!(t, Transition::Up);
            self.backend.handle_server_state(now, s, up);
            self.metrics.state_changes.push(StateChange {
                at_ms: now.as_millis_f64(),
                server: format!("web{}", s + 1),
                up,
            });
        }
        self.arm_check(s);
        self.pump(now);
    }

    /// lb1's check of `server` connected (probe `seq`).
    pub(super) fn on_probe_connected(&mut self, now: SimTime, server: usize, seq: u32) {
        self.checker(server).handle_connected(now, u64::from(seq));
        self.after_check(now, server);
    }

    /// lb1's check of `server` ended: passed, or refused.
    pub(super) fn on_probe_result(&mut self, now: SimTime, server: usize, seq: u32, passed: bool) {
        let outcome = if passed {
            ProbeOutcome::Passed
        } else {
            ProbeOutcome::Refused
        };
        self.checker(server).handle_probe_result(now, u64::from(seq), outcome);
        self.after_check(now, server);
    }
}
