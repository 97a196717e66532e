//! Planned maintenance in the request-level driver: the cadence of `[maintenance]` and the
//! scripted `[[maintenance.window]]`s, one server at a time, every step asked of the policy
//! machines. A web server goes through lb1's admin states as with the runtime API: `drain`
//! (the `Backend` picks it no more), the operator waits until lb1 counts no connection on it
//! (`show servers conn`, polled every `DRAIN_POLL`) but at least `drain`, `maint` (out of
//! rotation, checks stopped), the update itself (the host reboots; a deploy restarts the
//! process), `ready`: back in rotation at once, its health set to `rise` and its checks
//! resumed on their grid (`HealthChecker::handle_maint`, as the live HAProxy 2.6 does,
//! docs/haproxy-live.md; `slowstart` applies in the `Backend`). A storage node holding the primary role is
//! first switched over on purpose (`FailoverController::handle_planned_switchover`: storage
//! calls wait for the promotion only, no writes lost); the operator waits for its running
//! calls, restarts it and it rejoins as a replica. The next server's turn comes
//! `wait_between_servers` after the previous one is back. A server that is failed, already
//! out, or (storage) whose role cannot move is skipped that window.
//!
//! lb1, the request level's only balancer, stops at once when its turn comes, as HAProxy's
//! soft stop (SIGUSR1) does (in-flight requests finish; new connections are refused,
//! `balancer_down`; `live_soft_stop_finishes_requests_in_flight`), and starts again after the
//! update with its servers' states, as `load-server-state-from-file` does.
//!
//! Requests that arrive while a server is out for maintenance are counted apart, so
//! `maintenance.contract = "exclude"` can leave them out of the success ratio.

use super::*;
use crate::policy::balancer::AdminState;
use crate::policy::maintenance::Opened;
use crate::scenario::{MaintTarget, MaintenanceKind};

/// How often the operator looks at lb1's connection count of a draining server (or at a
/// storage node's running calls) before taking it down: once a second, as a shell loop over
/// `echo "show servers conn" | socat` would.
pub(super) const DRAIN_POLL: SimDuration = SimDuration::from_secs(1);

/// One step of a server's turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// The window opens: the first server's turn.
    Window,
    /// `drain` is over: take it down once nothing runs on it any more.
    Drained,
    /// The update is done: `ready` (web) or restart and rejoin (storage).
    Ready,
    /// The wait between servers is over: the next server's turn.
    Next,
}

impl World<'_> {
    /// Schedule every cadence's first window and every scripted one.
    pub(super) fn schedule_maintenance(&mut self) {
        let Some(mt) = &self.m.maintenance else { return };
        for (t, roll) in mt.first_windows() {
            self.maintenance_at(t, roll, 0, Step::Window);
        }
    }

    pub(super) fn on_maintenance(&mut self, now: SimTime, roll: u32, pos: usize, step: Step) {
        let mt = self
            .m
            .maintenance
            .as_ref()
            .expect("maintenance events need [maintenance]");
        let r = mt.roll(roll);
        match step {
            Step::Window => {
                if mt.is_cadence(roll)
                    && let Some(t) = mt.next_window(roll, now)
                    && t < SimTime::ZERO + self.m.horizon
                {
                    self.maintenance_at(t, roll, 0, Step::Window);
                }
                // One roll at a time (`policy::maintenance`).
                if self.maint_queue.handle_window(roll) == Opened::Start {
                    self.roll_starts(now);
                    self.maintenance_turn(now, roll, 0);
                }
            }
            Step::Drained => match r.order[pos] {
                MaintTarget::Web(i) => {
                    if self.backend.served(i) > 0 || self.backend.server_queued(i) > 0 {
                        self.maintenance_at(now + DRAIN_POLL, roll, pos, Step::Drained);
                        return;
                    }
                    self.backend.handle_admin_state(now, i, AdminState::Maint);
                    assert_eq!(self.backend.admin_state(i), AdminState::Maint);
                    // Its checks pause on their grid, health 0 (`HealthChecker::handle_maint`).
                    if let Some(c) = self.checkers[i].as_mut() {
                        c.handle_maint(now, true);
                    }
                    self.hung_probe[i] = None;
                    let down = if r.kind == MaintenanceKind::Deploy {
                        FaultKind::ProcessDeath
                    } else {
                        FaultKind::Crash
                    };
                    self.web_fault(now, i, down, 1.0);
                    self.maintenance_at(now + r.duration_per_server, roll, pos, Step::Ready);
                }
                MaintTarget::Storage(j) => {
                    if self.store[j].busy > 0 || self.store[j].queued > 0 {
                        self.maintenance_at(now + DRAIN_POLL, roll, pos, Step::Drained);
                        return;
                    }
                    self.failover_sync(now);
                    self.storage_fault(now, j, FaultKind::Crash, 1.0);
                    self.failover_wake_at_next_heartbeat(now);
                    self.failover_act(now);
                    self.maintenance_at(now + r.duration_per_server, roll, pos, Step::Ready);
                }
                MaintTarget::Balancer(_) => unreachable!("a balancer goes down when its turn comes, not after a drain"),
            },
            Step::Ready => match r.order[pos] {
                MaintTarget::Web(i) => {
                    self.web_fault(now, i, FaultKind::Recover, 1.0);
                    // `ready`: UP at once, health `rise`, checks resume on their grid (live
                    // 2.6.12, docs/haproxy-live.md); the machines say so, the driver follows.
                    if let Some(c) = self.checkers[i].as_mut() {
                        c.handle_maint(now, false);
                    }
                    self.backend.handle_admin_state(now, i, AdminState::Ready);
                    assert!(self.backend.is_up(i), "leaving maintenance puts the server back UP");
                    self.arm_check(i);
                    self.maintenance_back(now, roll, pos);
                    self.pump(now);
                }
                MaintTarget::Storage(j) => {
                    self.failover_sync(now);
                    self.storage_fault(now, j, FaultKind::Recover, 1.0);
                    self.storage_repaired(now, j);
                    self.failover_wake_at_next_heartbeat(now);
                    self.failover_act(now);
                    self.maintenance_back(now, roll, pos);
                }
                MaintTarget::Balancer(_) => {
                    // HAProxy starts again with its servers' states (a state file).
                    self.lb_out = false;
                    self.maintenance_back(now, roll, pos);
                }
            },
            Step::Next => self.maintenance_turn(now, roll, pos),
        }
    }

    /// The server at `pos` is back in service: the next one waits `wait_between_servers`.
    fn maintenance_back(&mut self, now: SimTime, roll: u32, pos: usize) {
        let r = self.m.maintenance.as_ref().expect("maintenance configured").roll(roll);
        match r.order[pos] {
            MaintTarget::Web(i) => self.web_maint[i] = false,
            MaintTarget::Storage(j) => self.store_maint[j] = false,
            MaintTarget::Balancer(_) => debug_assert!(!self.lb_out, "lb1 is back"),
        }
        self.maint_out -= 1;
        if self.maint_out == 0 {
            let since = self.maint_since.take().expect("a server was out");
            self.metrics.maintenance_ns += self.metrics.clip(since, now.since(since));
        }
        self.maintenance_at(now + r.wait_between_servers, roll, pos + 1, Step::Next);
    }

    fn maintenance_at(&mut self, t: SimTime, roll: u32, pos: usize, step: Step) {
        self.q.schedule(
            t,
            Ev::Maintenance {
                roll,
                pos: pos as u32,
                step,
            },
        );
    }

    /// A roll starts (counted inside the measured window).
    fn roll_starts(&mut self, now: SimTime) {
        if self.metrics.in_window(now) {
            self.metrics.maintenance_windows += 1;
        }
    }

    /// The turns from `pos` on in the rolling order (`RollQueue::turn`): the first server that
    /// can be patched now is drained; past the last one the roll is done and the next waiting
    /// roll, if any, starts now.
    fn maintenance_turn(&mut self, now: SimTime, roll: u32, pos: usize) {
        let mut turn = self.maint_queue.turn(roll, pos);
        // Bounded: positions only move forward and each waiting roll starts at most once.
        while let Some(t) = turn {
            if t.starts_roll {
                self.roll_starts(now);
            }
            if self.maintenance_take(now, t.roll, t.pos) {
                return;
            }
            turn = self.maint_queue.turn(t.roll, t.pos + 1);
        }
    }

    /// Drains the server at `pos` of roll `roll` if it can be patched now (up, in rotation,
    /// not already out; a storage node whose role can move); false if it is skipped.
    fn maintenance_take(&mut self, now: SimTime, roll: u32, pos: usize) -> bool {
        let r = self.m.maintenance.as_ref().expect("maintenance configured").roll(roll);
        let Some(&target) = r.order.get(pos) else {
            return false;
        };
        let started = match target {
            MaintTarget::Web(i) => {
                let ready = self.web[i].failure.is_none()
                    && !self.web_maint[i]
                    && self.backend.is_up(i)
                    && self.backend.admin_state(i) == AdminState::Ready;
                if ready {
                    self.web_maint[i] = true;
                    self.backend.handle_admin_state(now, i, AdminState::Drain);
                    assert_eq!(self.backend.admin_state(i), AdminState::Drain);
                    self.pump(now);
                }
                ready
            }
            MaintTarget::Storage(j) => {
                let ready = self.store[j].failure.is_none()
                    && !self.fenced[j]
                    && !self.store_maint[j]
                    && self.storage_switchover(now, j);
                if ready {
                    self.store_maint[j] = true;
                }
                ready
            }
            MaintTarget::Balancer(_) => {
                // The site's only balancer: nothing to hand over to, so it stops at once (in
                // flight requests finish) and the site is down for the update.
                let ready = !self.lb_out;
                self.lb_out = ready;
                ready
            }
        };
        if started {
            if self.maint_out == 0 {
                self.maint_since = Some(now);
            }
            self.maint_out += 1;
            let (wait, step) = match target {
                MaintTarget::Balancer(_) => (r.duration_per_server, Step::Ready),
                _ => (r.drain, Step::Drained),
            };
            self.maintenance_at(now + wait, roll, pos, step);
        }
        started
    }

    /// Before storage node `j` goes down: if it is the primary, move the role to a live
    /// replica the controller counts as such (a planned switchover). False if it is the
    /// primary and cannot hand over, or a takeover is in progress (the operator waits for the
    /// next window).
    fn storage_switchover(&mut self, now: SimTime, j: usize) -> bool {
        self.failover_sync(now);
        let heard: Vec<bool> = (0..self.store.len()).map(|k| self.heard(k)).collect();
        let Some(fo) = self.failover.as_mut() else {
            return false;
        };
        if fo.current_outage().is_some() || self.primary_lost_at.is_some() {
            return false;
        }
        if fo.primary() != Some(j) {
            return true;
        }
        let Some(to) = (0..heard.len()).find(|&k| k != j && heard[k] && fo.role(k) == Role::Replica) else {
            return false;
        };
        let t = fo.input_time(now);
        if !fo.handle_planned_switchover(t, to) {
            return false;
        }
        self.failover_act(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::sim::metrics::{FailReason, RepMetrics};
    use crate::sim::request::World;

    /// Six hours of the seed's park at request level; a scripted window at 01:00 patches the
    /// servers one at a time (drain 30 s, 15 minutes each, 2 minutes between servers).
    const PARK: &str = r#"
name = "rolling"
replications = 1
horizon = "6h"
warmup = "10m"
[traffic]
kind = "poisson"
rate_per_s = 20
[maintenance]
drain = "30s"
wait_between_servers = "2m"
duration_per_server = "15m"
"#;

    fn run(window: &str, sets: &[&str]) -> RepMetrics {
        let text = format!("{PARK}[[maintenance.window]]\nat = \"1h\"\n{window}\n");
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let m = crate::scenario::from_str(&text, "rolling.toml", &sets).unwrap();
        World::new(&m, 0).run()
    }

    /// The park rolls a kernel update over its three web servers without losing a request:
    /// each is drained first, taken down only once lb1 counts no connection on it, and back
    /// UP at once on `ready` (health `rise`, as the live HAProxy does) before the next one
    /// goes. The single server loses every request of its window (HAProxy 503: no usable
    /// server) and nothing else.
    #[test]
    fn a_rolling_kernel_update_loses_no_request_while_one_server_loses_its_window() {
        let park = run("kind = \"kernel\"\ntargets = [\"web1\", \"web2\", \"web3\"]", &[]);
        assert_eq!(park.maintenance_windows, 1);
        assert_eq!(park.failed_total(), 0, "{:?}", park.failed);
        assert!(
            park.maintenance_ok > 10_000,
            "{} requests during the roll",
            park.maintenance_ok
        );
        // Three turns of drain (30 s, nothing left running) + 15 min; `ready` is UP at once
        // and nobody is out during the waits between servers.
        let min = park.maintenance_ns as f64 / 60e9;
        assert!((46.49..46.55).contains(&min), "{min} min out");
        for i in 0..3 {
            assert!(park.web_requests[i] > 0);
        }
        let single = run("kind = \"kernel\"\ntargets = [\"web1\"]", &["web.count=1"]);
        assert_eq!(
            single.maintenance_ok, 0,
            "nothing is served while the only server is out"
        );
        assert_eq!(single.failed_total(), single.maintenance_failed);
        assert_eq!(single.failed_total(), single.failed[FailReason::NoServer as usize]);
        // 30 s drain + 15 min + 2 to 4 s of checks at 20 requests/s.
        let expected = 20.0 * (30.0 + 900.0 + 3.0);
        let lost = single.maintenance_failed as f64;
        assert!(
            (lost - expected).abs() < 0.05 * expected,
            "{lost} lost, about {expected} expected"
        );
    }

    /// A deploy cadence (every 3 h from 01:15, 5 minutes per server) whose first window opens
    /// during the scripted kernel roll waits until that roll is done: the park never has two
    /// servers out, loses no request, and the minutes with a server out are the sum of the
    /// rolls (46.5 min of kernel updates and twice 3 x 5.5 min of deploys), not their union.
    #[test]
    fn a_deploy_window_that_opens_during_a_roll_waits_for_it() {
        let text = format!(
            "{PARK}enabled = true\nevery = \"7d\"\norder = [\"web1\", \"web2\", \"web3\"]\n[[maintenance.cadence]]\nevery = \"3h\"\nkind = \"deploy\"\nwindow_start_h = 1.25\nduration_per_server = \"5m\"\n\
             [[maintenance.window]]\nat = \"1h\"\nkind = \"kernel\"\ntargets = [\"web1\", \"web2\", \"web3\"]\n"
        );
        // The 7-day kernel cadence opens at 03:00 (after the scripted roll is done).
        let m = crate::scenario::from_str(&text, "rolling.toml", &[]).unwrap();
        let x = World::new(&m, 0).run();
        assert_eq!(x.failed_total(), 0, "{:?}", x.failed);
        assert_eq!(
            x.maintenance_windows, 4,
            "the scripted window, deploys at 01:15 and 04:15, kernel at 03:00"
        );
        let min = x.maintenance_ns as f64 / 60e9;
        let want = 46.5 + 2.0 * 16.5 + 46.5;
        assert!(
            (want - 0.05..want + 0.1).contains(&min),
            "{min} min out, {want} expected"
        );
    }

    /// lb1, the only balancer, patched: the site refuses every new connection for the
    /// window's 15 minutes (`balancer_down`, all counted as maintenance) and what was in
    /// flight finishes, as the availability mode charges the window as downtime.
    #[test]
    fn patching_the_only_balancer_refuses_the_window_and_nothing_else() {
        let x = run("kind = \"kernel\"\ntargets = [\"lb1\"]", &[]);
        assert_eq!(x.maintenance_windows, 1);
        let refused = x.failed[FailReason::BalancerDown as usize];
        assert_eq!(x.failed_total(), refused, "{:?}", x.failed);
        assert_eq!(x.maintenance_failed, refused);
        assert_eq!(x.maintenance_ok, 0, "nothing is served while lb1 is out");
        // Poisson 20 req/s for 15 min: 18,000 expected (sd 134).
        assert!((17_400..18_600).contains(&refused), "{refused} refused");
        assert_eq!(x.maintenance_ns, 15 * 60 * 1_000_000_000);
    }

    /// The storage pair is patched one node at a time: the primary is switched over on
    /// purpose (calls wait for the 1 s promotion), no request fails and no write is lost even
    /// with async replication; the role ends on the other node.
    #[test]
    fn a_storage_switchover_window_loses_no_request_and_no_write() {
        let x = run(
            "kind = \"storage_switchover\"\ntargets = [\"store1\", \"store2\"]\nduration = \"5m\"",
            &["reliability.storage_failover.replication=\"async\""],
        );
        assert_eq!(x.failed_total(), 0, "{:?}", x.failed);
        assert_eq!((x.failover_lost_writes_ns, x.split_brain_ns), (0, 0));
        assert!(x.takeover_ms.is_empty(), "a planned switchover is not a takeover");
        assert!(x.maintenance_ok > 0);
    }
}
