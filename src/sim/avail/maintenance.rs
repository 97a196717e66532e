//! Planned rolling maintenance of the web servers in the long-horizon driver. Every window,
//! the operator takes the servers one at a time through lb1's admin states, as with the
//! runtime API: `drain` (no new requests), `maint` (out of rotation, checks paused, health
//! 0), `ready`: the server is UP at once (health `rise`, as the live haproxy 2.6 does), its
//! checks resuming on their grid, stepped on the real `HealthChecker`. Routing shares are asked of the `Backend` after every change, so a single
//! server (nobody else in rotation) is down for its window while a park or a standby pair
//! moves its traffic to the others. A balancer of a VRRP pair that holds the address resigns
//! it on purpose (a priority-0 advertisement: its peer takes over after Skew_Time, stepped on
//! the real `VrrpRouter`); a lone lb1 takes the site down while it is patched. A storage node
//! (or the database on a web server, `storage.colocated`) that holds the primary role is first
//! switched over on purpose (`FailoverController::handle_planned_switchover`: the site waits
//! for the promotion only, no lost writes); a node whose role cannot move is not patched that
//! window (the operator postpones it).

use super::*;
use crate::policy::balancer::AdminState;
use crate::policy::maintenance::Opened;
use crate::scenario::MaintTarget;

/// One step of a server's turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// The window opens (the roll starts at the first server in order).
    Window,
    /// `drain` -> `maint`.
    Maint,
    /// `maint` -> `ready`; the checks resume.
    Ready,
    /// lb1's checks mark it UP: back in rotation.
    Up,
    /// The wait between servers is over: the next server's turn.
    Next,
}

impl AvailWorld<'_> {
    /// Schedule every cadence's first window and every scripted window.
    pub(super) fn schedule_maintenance(&mut self) {
        let Some(mt) = &self.m.maintenance else { return };
        for (t, roll) in mt.first_windows() {
            self.q.schedule(
                t,
                Ev::Maintenance {
                    roll,
                    pos: 0,
                    phase: Phase::Window,
                },
            );
        }
    }

    pub(super) fn on_maintenance(&mut self, now: SimTime, roll: u32, pos: usize, phase: Phase) {
        let model = self
            .m
            .maintenance
            .as_ref()
            .expect("maintenance events need [maintenance]");
        let target = model.roll(roll).order.get(pos).copied();
        match (phase, target) {
            (Phase::Window, _) => self.maintenance_window(now, roll),
            (Phase::Next, _) => self.maintenance_turn(now, roll, pos),
            (Phase::Maint, Some(target)) => self.maintenance_pause(now, roll, pos, target),
            (Phase::Ready, Some(MaintTarget::Storage(j))) => {
                self.storage_patched(now, j);
                self.maintenance_next(now, roll, pos);
            }
            (Phase::Ready, Some(target @ MaintTarget::Balancer(_))) => {
                let c = self.target(target);
                self.comps[c].maint = false;
                self.lb_repaired(now, c);
                self.maintenance_next(now, roll, pos);
            }
            (Phase::Ready, Some(target)) => self.maintenance_ready(now, roll, pos, target),
            (Phase::Up, Some(target)) => {
                let c = self.target(target);
                self.set_in_lb(now, c, true);
                self.comps[c].maint = false;
                self.maintenance_next(now, roll, pos);
            }
            (_, None) => unreachable!("roll {roll} has no server at {pos} for {phase:?}"),
        }
    }

    /// The event `phase` of the server at `pos` in roll `roll`, at `t`.
    fn maintenance_at(&mut self, t: SimTime, roll: u32, pos: usize, phase: Phase) {
        let pos = pos as u32;
        self.q.schedule(t, Ev::Maintenance { roll, pos, phase });
    }

    /// The server at `pos` is done: the next one's turn after `wait_between_servers`.
    fn maintenance_next(&mut self, now: SimTime, roll: u32, pos: usize) {
        let wait = self
            .m
            .maintenance
            .as_ref()
            .expect("maintenance")
            .roll(roll)
            .wait_between_servers;
        self.maintenance_at(now + wait, roll, pos + 1, Phase::Next);
    }

    /// Roll `roll`'s window opens: a cadence schedules its next window; one roll at a time,
    /// this one starts now, after the running one, or not at all (its previous window is
    /// still rolling).
    fn maintenance_window(&mut self, now: SimTime, roll: u32) {
        let model = self.m.maintenance.as_ref().expect("maintenance");
        if model.is_cadence(roll)
            && let Some(t) = model.next_window(roll, now)
        {
            self.maintenance_at(t, roll, 0, Phase::Window);
        }
        if self.maint_queue.handle_window(roll) == Opened::Start {
            self.roll_starts(now);
            self.maintenance_turn(now, roll, 0);
        }
    }

    /// A drained, working server goes into `maint` for `duration_per_server`.
    fn maintenance_pause(&mut self, now: SimTime, roll: u32, pos: usize, target: MaintTarget) {
        let c = self.target(target);
        assert!(
            self.comps[c].maint && self.comps[c].up,
            "only a drained, working server goes into maint"
        );
        // The check grid at the pause: the first check at or after it.
        if let Some(spec) = self.check_of(c) {
            let rtt = self.rtt(c);
            self.comps[c].check_anchor = spec.steady_next_check(self.comps[c].check_anchor, rtt, now);
        }
        // The backend stops the server (checks paused, health 0) until it leaves.
        self.set_admin(now, c, AdminState::Maint);
        let duration = self
            .m
            .maintenance
            .as_ref()
            .expect("maintenance")
            .roll(roll)
            .duration_per_server;
        self.maintenance_at(now + duration, roll, pos, Phase::Ready);
    }

    /// A patched web server comes back (`ready`): up again after its `rise` checks.
    fn maintenance_ready(&mut self, now: SimTime, roll: u32, pos: usize, target: MaintTarget) {
        let c = self.target(target);
        if let MaintTarget::Web(i) = target
            && self.m.spec.storage.colocated
        {
            self.storage_patched(now, i);
        }
        self.set_admin(now, c, AdminState::Ready);
        let up = self.recover_from_maintenance(now, c);
        self.maintenance_at(up, roll, pos, Phase::Up);
    }

    /// A roll starts (counted once the warm-up is over).
    fn roll_starts(&mut self, now: SimTime) {
        if now >= self.warmup {
            self.metrics.maintenance_windows += 1;
        }
    }

    /// The turns from `pos` on in the rolling order (`RollQueue::turn`): the first server that
    /// can be patched is taken out of service now; a failed one, or one out of rotation, is
    /// skipped this window. Past the last server the roll is done and the next waiting roll,
    /// if any, starts now.
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

    /// Takes the server at `pos` of roll `roll` out of service if it can be patched now: a
    /// storage node after a planned switchover, a balancer after resigning mastership, a web
    /// server through `drain`. False if it is skipped.
    fn maintenance_take(&mut self, now: SimTime, roll: u32, pos: usize) -> bool {
        let mt = self.m.maintenance.as_ref().expect("maintenance configured").roll(roll);
        let Some(&target) = mt.order.get(pos) else {
            return false;
        };
        let c = self.target(target);
        let (wait, phase) = match target {
            MaintTarget::Storage(j) => {
                if !(self.store_running(j) && self.storage_switchover(now, j)) {
                    return false;
                }
                self.comps[c].maint = true;
                (mt.duration_per_server, Phase::Ready)
            }
            MaintTarget::Balancer(_) => {
                if !self.comps[c].up {
                    return false;
                }
                self.comps[c].maint = true;
                self.lb_resign(now, c);
                (mt.duration_per_server, Phase::Ready)
            }
            MaintTarget::Web(_) => {
                if !(self.comps[c].up && self.comps[c].in_lb && self.colocated_switchover(now, target)) {
                    return false;
                }
                self.comps[c].maint = true;
                self.comps[c].in_lb = false;
                self.set_admin(now, c, AdminState::Drain);
                (mt.drain, Phase::Maint)
            }
        };
        debug_assert!(self.comps[c].maint);
        self.maintenance_at(now + wait, roll, pos, phase);
        true
    }

    /// Web server `t`'s own database (`storage.colocated`) goes down with it: switched over
    /// first if it is the primary. False if its role cannot move (the server is not patched).
    fn colocated_switchover(&mut self, now: SimTime, t: MaintTarget) -> bool {
        let MaintTarget::Web(i) = t else {
            return true;
        };
        if !self.m.spec.storage.colocated || !self.store_running(i) {
            return true;
        }
        if !self.storage_switchover(now, i) {
            return false;
        }
        self.comps[self.store0 + i].maint = true;
        true
    }

    /// Storage node `j` is back from its update: it rejoins as a replica.
    fn storage_patched(&mut self, now: SimTime, j: usize) {
        let s = self.store0 + j;
        if !self.comps[s].maint {
            return;
        }
        self.comps[s].maint = false;
        if self.comps[s].up {
            self.storage_rejoined(now, j);
        }
    }

    /// The component a maintenance target names.
    fn target(&self, t: MaintTarget) -> usize {
        match t {
            MaintTarget::Web(i) => self.web0 + i,
            MaintTarget::Storage(j) => self.store0 + j,
            // lb2 is the last component (added last so it shifts no stream).
            MaintTarget::Balancer(0) => 0,
            MaintTarget::Balancer(_) => self.comps.len() - 1,
        }
    }

    /// Balancer `c` goes down for maintenance. Holding the address with a working peer, it
    /// resigns (RFC 5798 6.4.2: a priority-0 advertisement) and the peer becomes master after
    /// its Skew_Time; otherwise nobody holds the address until it is back.
    pub(super) fn lb_resign(&mut self, now: SimTime, c: usize) {
        assert_eq!(self.comps[c].kind, Kind::Lb);
        if self.lb_master != Some(c) {
            return; // the backup: nobody notices
        }
        self.lb_master = None;
        self.lb_epoch = self.lb_epoch.wrapping_add(1);
        let Some(peer) = self.lb_peer(c).filter(|&p| self.comps[p].up && !self.comps[p].maint) else {
            return;
        };
        let master = self.vrrp_config(c);
        let mut r = VrrpRouter::new(self.vrrp_config(peer));
        r.handle_startup(now);
        r.handle_advertisement(
            now,
            crate::policy::vrrp::PRIORITY_RESIGN,
            master.address,
            master.advert_interval_cs,
        );
        let t = checks::step_vrrp(&mut r);
        let epoch = self.lb_epoch;
        self.q.schedule(
            t,
            Ev::LbMaster {
                comp: peer as u32,
                epoch,
            },
        );
    }

    /// lb1's backend learns an admin state change of web `c`.
    fn set_admin(&mut self, now: SimTime, c: usize, state: AdminState) {
        let Kind::Web(i) = self.comps[c].kind else {
            unreachable!("only web servers are in lb1's backend")
        };
        self.backend.handle_admin_state(now, i, state);
        assert_eq!(self.backend.admin_state(i), state);
        self.refresh_shares();
    }

    /// When web `c`, leaving maintenance at `now`, is UP to lb1: at once (health `rise`, the
    /// backend already put it back). Its checks resume on the grid they kept while paused
    /// (one `inter` apart from the first check due after the pause); the next one becomes
    /// the anchor of its steady checks (a patched server passes it).
    fn recover_from_maintenance(&mut self, now: SimTime, c: usize) -> SimTime {
        let Kind::Web(i) = self.comps[c].kind else {
            unreachable!("only web servers are in lb1's backend")
        };
        assert!(self.backend.is_up(i), "leaving maintenance puts the server back UP");
        if self.m.reliability.instant {
            return now;
        }
        let Some(spec) = self.check_of(c) else {
            return now;
        };
        let mut checker = HealthChecker::resume_up(spec.clone(), self.comps[c].check_anchor);
        checker.handle_maint(now, true);
        // Bounded: the pause lasts `duration_per_server`, one step per `inter`.
        while checker.poll_timeout() < now {
            let t = checker.poll_timeout();
            checker.handle_timeout(t);
            assert!(checker.poll_probe().is_none(), "a paused checker sends no probe");
        }
        checker.handle_maint(now, false);
        assert!(checker.is_up());
        self.comps[c].check_anchor = checker.poll_timeout();
        now
    }
}

#[cfg(test)]
mod tests {
    use crate::sim::avail::{AvailMetrics, AvailWorld, Cause};

    /// Nothing fails: every minute of downtime is planned maintenance. Monthly windows over
    /// 361 days after a one-day warm-up: windows at 03:00 on days 30, 60, ..., 360 (12).
    const QUIET: &str = r#"
name = "quiet"
mode = "availability"
replications = 1
horizon = "362d"
warmup = "1d"
[backup]
enabled = false
[reliability.lb]
fails = false
[reliability.web]
fails = false
[reliability.storage]
fails = false
[reliability.backup]
fails = false
[reliability.disk]
raid1 = false
[maintenance]
enabled = true
every = "30d"
window_start_h = 3.0
duration_per_server = "15m"
drain = "60s"
wait_between_servers = "5m"
"#;

    fn run(extra: &[&str]) -> AvailMetrics {
        let sets: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let m = crate::scenario::from_str(QUIET, "quiet.toml", &sets).unwrap();
        AvailWorld::new(&m, 0).run()
    }

    fn planned_s(x: &AvailMetrics) -> f64 {
        assert_eq!(x.maintenance_windows, 12);
        assert_eq!(
            x.downtime_by_cause_ns[Cause::Maintenance.index()],
            x.downtime_ns,
            "nothing fails, so all downtime is planned"
        );
        x.downtime_ns as f64 / 1e9 / 12.0
    }

    /// A single server is down for drain + its update, and UP at once when it leaves
    /// maintenance (HAProxy sets its health to `rise`; no passing check is awaited). lb1
    /// cannot fail here, which is how a baseline says there is no balancer, so it is not
    /// patched.
    #[test]
    fn a_single_server_is_down_for_each_window() {
        let per_window = planned_s(&run(&[
            "web.count=1",
            "storage.count=0",
            "requests.storage_reads=0",
            "requests.write_fraction=0.0",
        ]));
        assert_eq!(per_window, 960.0, "60 s of drain and 15 min of update per window");
    }

    /// Three web servers roll without a visible outage; a lone lb1 takes the site down for
    /// its update; a VRRP pair hands the address over on purpose: Skew_Time of the backup,
    /// (256 - 100) x 100 / 256 = 60 cs per window.
    #[test]
    fn the_park_rolls_its_web_servers_and_its_balancer_pair_hands_over() {
        let web_only = run(&["maintenance.order=[\"web1\", \"web2\", \"web3\"]"]);
        assert_eq!(
            web_only.downtime_ns, 0,
            "a rolling update of three web servers is invisible"
        );
        assert_eq!(web_only.failed, 0.0);
        let lone = planned_s(&run(&["reliability.lb.fails=true"]));
        // By default the storage pair is patched too: two switchovers of 1 s each.
        assert_eq!(lone, 902.0, "lb1 is out for its 15 minutes");
        let pair = planned_s(&run(&["reliability.lb.fails=true", "balancer.pair=true"]));
        assert!((pair - 2.6).abs() < 1e-9, "{pair} s per window");
    }

    /// The park's storage pair is patched too: the primary is switched over on purpose (the
    /// site waits for the 1 s promotion only, no fencing, no lost writes even with async
    /// replication), patched, and back as a replica; then the other node the same way.
    #[test]
    fn the_storage_pair_switches_over_for_its_updates() {
        for replication in ["sync", "async"] {
            let x = run(&[
                "maintenance.order=[\"store1\", \"store2\"]",
                &format!("reliability.storage_failover.replication=\"{replication}\""),
            ]);
            let per_window = planned_s(&x);
            assert!(
                (per_window - 2.0).abs() < 1e-9,
                "{per_window} s per window ({replication})"
            );
            assert_eq!((x.failovers, x.failover_lost_writes_ns, x.split_brain_ns), (0, 0, 0));
        }
    }

    /// A standby pair with its database on both servers: the primary's database is switched
    /// over before it is patched, the standby serves through the HAProxy backup, and back.
    const STANDBY: [&str; 6] = [
        "web.count=2",
        "balancer.backup_servers=1",
        "storage.colocated=true",
        "requests.storage_reads=0",
        "requests.write_fraction=0.0",
        "reliability.storage_failover.replication=\"async\"",
    ];

    #[test]
    fn a_standby_pair_switches_its_database_over_for_each_server() {
        let x = run(&STANDBY);
        let per_window = planned_s(&x);
        assert!((per_window - 2.0).abs() < 1e-9, "{per_window} s per window");
        assert_eq!((x.failovers, x.failover_lost_writes_ns), (0, 0));
    }

    /// A takeover that fails leaves the site down until on-call repairs a node (hours); one
    /// that works costs seconds. Both charged to the takeover.
    #[test]
    fn a_failed_takeover_waits_for_a_repair() {
        let with = |p: &str| {
            let mut sets = STANDBY.to_vec();
            sets.extend([
                "reliability.web.fails=true",
                "maintenance.enabled=false",
                "horizon=\"10y\"",
            ]);
            let p = format!("reliability.storage_failover.promotion_fail_probability={p}");
            sets.push(&p);
            let x = run(&sets);
            let takeover_s = x.downtime_by_cause_ns[Cause::Takeover.index()] as f64 / 1e9;
            (x.failovers, takeover_s, x.failover_lost_writes_ns)
        };
        // The same failures either way (the draw has its own stream); a stalled takeover is
        // not counted as a failover.
        let (n0, works, lost) = with("0.0");
        let (n1, fails, _) = with("1.0");
        assert!(n0 >= 5 && n1 == 0, "{n0} and {n1} takeovers");
        assert!(works / (n0 as f64) < 15.0, "{works} s over {n0} working takeovers");
        assert!(fails / (n0 as f64) > 1800.0, "{fails} s over {n0} failed takeovers");
        assert_eq!(lost, n0 * 100_000_000, "async: 100 ms of writes lost at each takeover");
    }

    /// Fencing off (keepalived notify scripts): a hung primary keeps its database writable
    /// while the standby is promoted: split brain. Pacemaker's fencing never allows it.
    #[test]
    fn a_hung_primary_without_fencing_is_split_brain() {
        let with = |fencing: &str| {
            let mut sets = STANDBY.to_vec();
            sets.extend([
                "reliability.web.fails=true",
                "reliability.web.crash=0.0",
                "reliability.web.process_death=0.0",
                "reliability.web.hang=1.0",
                "maintenance.enabled=false",
                "horizon=\"10y\"",
            ]);
            let f = format!("reliability.storage_failover.fencing={fencing}");
            sets.push(&f);
            run(&sets).split_brain_ns
        };
        assert_eq!(with("true"), 0);
        assert!(with("false") > 0);
    }

    /// A scripted window instead of the cadence: one kernel update of a single server at day
    /// 100, out for drain (60 s) + its 30 minutes + `rise` checks (2 to 4 s).
    #[test]
    fn a_scripted_window_runs_once_with_its_own_duration() {
        let text = QUIET.replace("enabled = true", "enabled = false")
            + "[[maintenance.window]]\nat = \"100d\"\nkind = \"kernel\"\ntargets = [\"web1\"]\nduration = \"30m\"\n";
        let sets: Vec<String> = [
            "web.count=1",
            "storage.count=0",
            "requests.storage_reads=0",
            "requests.write_fraction=0.0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let m = crate::scenario::from_str(&text, "quiet.toml", &sets).unwrap();
        let x = AvailWorld::new(&m, 0).run();
        assert_eq!(x.maintenance_windows, 1);
        assert_eq!(x.downtime_by_cause_ns[Cause::Maintenance.index()], x.downtime_ns);
        let s = x.downtime_ns as f64 / 1e9;
        assert!((1860.0..=1866.0).contains(&s), "{s} s");
    }

    /// Monthly kernel updates and weekly deploys (60 s drain, 5 min out) of one server: 12 +
    /// 51 windows after the warm-up, each its own downtime. On day 210 both open at 03:00: the
    /// kernel roll runs first and the deploy starts when it is done (5 min after the server is
    /// back), so with two web servers the two rolls never take both out at once and nothing is
    /// visible, which two rolls side by side would not manage.
    #[test]
    fn a_second_cadence_waits_for_the_running_roll() {
        let deploy = "[[maintenance.cadence]]\nevery = \"7d\"\nkind = \"deploy\"\nduration_per_server = \"5m\"\n";
        let with = |sets: &[&str]| {
            let text = QUIET.to_string() + deploy;
            let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
            let m = crate::scenario::from_str(&text, "quiet.toml", &sets).unwrap();
            AvailWorld::new(&m, 0).run()
        };
        let no_storage = [
            "storage.count=0",
            "requests.storage_reads=0",
            "requests.write_fraction=0.0",
        ];
        let single = with(&[&["web.count=1"][..], &no_storage].concat());
        assert_eq!(single.maintenance_windows, 12 + 51);
        assert_eq!(
            single.downtime_by_cause_ns[Cause::Maintenance.index()],
            single.downtime_ns
        );
        assert_eq!(single.downtime_ns as f64 / 1e9, 12.0 * 960.0 + 51.0 * 360.0);
        let pair = with(&[&["web.count=2"][..], &no_storage].concat());
        assert_eq!(pair.maintenance_windows, 12 + 51);
        assert_eq!(pair.downtime_ns, 0, "one server out at a time, even on day 210");
    }

    /// A contract that excludes planned maintenance: no downtime and no failed requests, the
    /// same maintenance minutes reported by cause.
    #[test]
    fn an_excluding_contract_leaves_maintenance_out_but_reports_it() {
        let counted = run(&["reliability.lb.fails=true"]);
        let excluded = run(&["reliability.lb.fails=true", "maintenance.contract=\"exclude\""]);
        let m = Cause::Maintenance.index();
        assert!(counted.downtime_ns > 0 && counted.failed > 0.0);
        assert_eq!((excluded.downtime_ns, excluded.failed), (0, 0.0));
        assert_eq!(excluded.downtime_by_cause_ns, counted.downtime_by_cause_ns);
        assert_eq!(excluded.failed_by_cause[m], counted.failed_by_cause[m]);
        assert!(excluded.monthly_downtime_ns.iter().all(|&x| x == 0));
        assert_eq!(excluded.unplanned_downtime_ns(), 0);
    }
}
