//! The capacity schedule (`[[capacity]]`) in the request-level driver: at each hour where the
//! number of web servers in rotation changes, the operator takes the highest-numbered ones
//! out through lb1's admin states, as with the runtime API: `drain` (the `Backend` picks it no
//! more), a wait until lb1 counts no connection on it (`show servers conn`, polled every
//! `DRAIN_POLL`), then `maint` (its checks pause, `HealthChecker::handle_maint`). When the
//! hours end it is `ready` again: UP at once, checks resumed on their grid. No request is lost
//! to it, nothing pages (the servers keep running: Prometheus's `up` stays 1), and it is not
//! counted as maintenance.
//!
//! Which servers go out is the schedule's (`CapacitySchedule::out_at`: by number, whatever
//! their state): a failed server goes out all the same and none is taken out in its place. A
//! server in a planned-maintenance turn is left to it and taken out once the turn is over
//! (looked at every `BUSY_RETRY`); a server `disabled` in the balancer stays as it is.

use super::maintenance::DRAIN_POLL;
use super::*;
use crate::policy::balancer::AdminState;

/// How often the operator looks again at a server the schedule wants out while a maintenance
/// turn holds it.
const BUSY_RETRY: SimDuration = SimDuration::from_mins(1);

/// Where a web server stands with the capacity schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Rotation {
    /// In rotation as far as the schedule goes.
    In,
    /// `drain`: waiting for lb1's connections to it to end.
    Draining,
    /// `maint`: out of rotation, checks paused.
    Out,
}

/// A step of the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// An hour at which the number in rotation changes (or the start of the run).
    Change,
    /// Look again at the servers a maintenance turn held.
    Retry,
    /// Look at lb1's connection count of draining web server `server`.
    Drained { server: u32 },
}

impl World<'_> {
    /// Apply the schedule at the start of the run (it may start inside its hours).
    pub(super) fn schedule_capacity(&mut self) {
        if self.m.capacity.is_some() {
            self.q.schedule(SimTime::ZERO, Ev::Capacity { step: Step::Change });
        }
    }

    pub(super) fn on_capacity(&mut self, now: SimTime, step: Step) {
        let schedule = self.m.capacity.as_ref().expect("capacity events need [[capacity]]");
        match step {
            Step::Change => {
                if let Some(t) = schedule.next_change_after(now)
                    && t < SimTime::ZERO + self.m.horizon
                {
                    self.q.schedule(t, Ev::Capacity { step: Step::Change });
                }
                self.capacity_apply(now);
            }
            Step::Retry => self.capacity_apply(now),
            Step::Drained { server } => {
                let i = server as usize;
                if self.cap_out[i] != Rotation::Draining {
                    return; // back in rotation before it drained
                }
                if self.backend.served(i) > 0 || self.backend.server_queued(i) > 0 {
                    self.q.schedule(now + DRAIN_POLL, Ev::Capacity { step });
                    return;
                }
                self.backend.handle_admin_state(now, i, AdminState::Maint);
                assert_eq!(self.backend.admin_state(i), AdminState::Maint);
                if let Some(c) = self.checkers[i].as_mut() {
                    c.handle_maint(now, true);
                }
                self.hung_probe[i] = None;
                self.cap_out[i] = Rotation::Out;
            }
        }
    }

    /// Take out, or bring back, each web server as the schedule wants it at `now`.
    fn capacity_apply(&mut self, now: SimTime) {
        let schedule = self.m.capacity.as_ref().expect("capacity events need [[capacity]]");
        let mut busy = false;
        for i in 0..self.web.len() {
            let want_out = schedule.out_at(now, i);
            match (self.cap_out[i], want_out) {
                (Rotation::In, true) => {
                    if self.web_maint[i] {
                        busy = true;
                        continue;
                    }
                    if self.backend.admin_state(i) != AdminState::Ready {
                        continue; // `disabled`: out of rotation already, and stays so
                    }
                    self.cap_out[i] = Rotation::Draining;
                    self.backend.handle_admin_state(now, i, AdminState::Drain);
                    assert_eq!(self.backend.admin_state(i), AdminState::Drain);
                    let server = i as u32;
                    self.q.schedule(
                        now + DRAIN_POLL,
                        Ev::Capacity {
                            step: Step::Drained { server },
                        },
                    );
                }
                (Rotation::Draining, false) => {
                    self.cap_out[i] = Rotation::In;
                    self.backend.handle_admin_state(now, i, AdminState::Ready);
                }
                (Rotation::Out, false) => {
                    self.cap_out[i] = Rotation::In;
                    // `ready`: UP at once, health `rise`, checks resume on their grid.
                    if let Some(c) = self.checkers[i].as_mut() {
                        c.handle_maint(now, false);
                    }
                    self.backend.handle_admin_state(now, i, AdminState::Ready);
                    assert!(self.backend.is_up(i), "leaving maintenance puts the server back UP");
                    self.arm_check(i);
                }
                _ => {}
            }
        }
        if busy && now + BUSY_RETRY < SimTime::ZERO + self.m.horizon {
            self.q.schedule(now + BUSY_RETRY, Ev::Capacity { step: Step::Retry });
        }
        self.pump(now);
    }
}

#[cfg(test)]
mod tests {
    use crate::sim::metrics::RepMetrics;
    use crate::sim::request::World;

    /// The seed's park at request level, two of three web servers at night (22:00-07:00).
    const PARK: &str = r#"
name = "nights"
replications = 1
[traffic]
kind = "poisson"
rate_per_s = 10
[[capacity]]
hours = "22-07"
web_in_rotation = 2
"#;

    fn run(extra: &str, sets: &[&str]) -> RepMetrics {
        let text = format!("{PARK}{extra}");
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let m = crate::scenario::from_str(&text, "nights.toml", &sets).unwrap();
        World::new(&m, 0).run()
    }

    /// A day and two nights: web3 is drained at 22:00 and back at 07:00 without a failed
    /// request or a page; it serves nothing at night and its third by day.
    #[test]
    fn two_of_three_servers_at_night_lose_no_request_and_page_nobody() {
        let whole = run("", &["horizon=\"31h\"", "warmup=\"10m\""]);
        assert_eq!(whole.failed_total(), 0, "{:?}", whole.failed);
        assert!(whole.alerts.is_empty(), "{:?}", whole.alerts);
        assert_eq!((whole.maintenance_windows, whole.maintenance_ns), (0, 0));
        assert!(
            whole.state_changes.is_empty(),
            "no server went DOWN: {:?}",
            whole.state_changes
        );
        // Night (00:10-07:00) and day (08:00-20:00) windows of their own.
        let night = run("", &["horizon=\"7h\"", "warmup=\"10m\""]);
        assert_eq!(night.web_requests[2], 0, "web3 is out at night");
        assert!(night.web_requests[0] > 50_000 && night.web_requests[1] > 50_000);
        let day = run("", &["horizon=\"20h\"", "warmup=\"8h\""]);
        let total: u64 = day.web_requests.iter().sum();
        let third = day.web_requests[2] as f64 / total as f64;
        assert!((0.32..0.35).contains(&third), "web3 serves {third} by day");
        // Without the schedule web3 serves at night too: the rule is what keeps it out.
        let text = PARK.replace("[[capacity]]\nhours = \"22-07\"\nweb_in_rotation = 2\n", "");
        let sets = ["horizon=\"7h\"".to_string(), "warmup=\"10m\"".to_string()];
        let m = crate::scenario::from_str(&text, "nights.toml", &sets).unwrap();
        assert!(World::new(&m, 0).run().web_requests[2] > 50_000);
    }

    /// The rule: by number, whatever the state. web3 fails before the night and goes out all
    /// the same (web2 is not taken out in its place); web1 fails at night and web3 is not
    /// brought back: web2 carries the night alone, the failure pages on-call as ever.
    #[test]
    fn a_failed_server_is_not_replaced_by_taking_another_out() {
        let faults = r#"
[[fault]]
at = "1260m"
target = "web3"
kind = "crash"
[[fault]]
at = "1440m"
target = "web1"
kind = "crash"
"#;
        // 22:05 to 06:00 the next morning: web3 crashed at 21:00, web1 at midnight.
        let x = run(faults, &["horizon=\"30h\"", "warmup=\"1325m\""]);
        assert_eq!(x.web_requests[2], 0, "web3 is out, failed or not");
        assert!(x.web_requests[1] > 2 * x.web_requests[0], "{:?}", x.web_requests);
        assert!(!x.alerts.is_empty(), "the failures page as ever");
    }

    /// The same scenario and seed give the same figures.
    #[test]
    fn the_schedule_is_deterministic() {
        let a = run("", &["horizon=\"26h\"", "warmup=\"10m\""]);
        let b = run("", &["horizon=\"26h\"", "warmup=\"10m\""]);
        assert_eq!(a.web_requests, b.web_requests);
        assert_eq!(a.events, b.events);
    }
}
