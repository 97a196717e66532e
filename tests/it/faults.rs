//! Scripted faults end to end: lb1's health checks take a failed web server out of rotation,
//! no request goes to a server marked DOWN, and failures are counted by reason.

use crate::{model, summarise};
use simpark::report::summary::HealthState;

const FAULT_AT_MS: f64 = 13.0 * 3_600_000.0;
const RECOVER_AT_MS: f64 = 14.0 * 3_600_000.0;

/// (DOWN delay, UP delay) after the fault and the repair, per replication, for web2.
fn windows(s: &simpark::report::summary::Summary) -> Vec<(f64, f64)> {
    (0..s.header.replications)
        .map(|rep| {
            let ev: Vec<_> = s
                .health_events
                .iter()
                .filter(|e| e.replication == rep && e.server == "web2")
                .collect();
            assert_eq!(ev.len(), 2, "one DOWN and one UP per replication: {ev:?}");
            assert_eq!((ev[0].state, ev[1].state), (HealthState::Down, HealthState::Up));
            (ev[0].at_ms - FAULT_AT_MS, ev[1].at_ms - RECOVER_AT_MS)
        })
        .collect()
}

fn common(kind: &str) -> simpark::report::summary::Summary {
    let m = model(&format!("scenarios/faults/web2_{kind}.toml"), &[]);
    let s = summarise(&m);
    for w in &s.web {
        assert_eq!(
            w.requests_while_down_total,
            Some(0),
            "{} got requests while marked DOWN",
            w.name
        );
    }
    // Health checks: inter 2000 ms, rise 2, fall 3; lb1-web RTT 0.2 ms. Whatever the phase of
    // the fault within the check period (< inter), the repaired server is UP after `rise`
    // passing checks: within (rise - 1) x inter + phase + RTT.
    for (_, up) in windows(&s) {
        assert!(up > 0.0 && up <= 2.0 * 2000.0 + 1.0, "UP {up} ms after repair");
    }
    s
}

#[test]
fn refused_connections_are_detected_after_fall_checks_and_retried() {
    let s = common("process_death");
    for (down, _) in windows(&s) {
        // Each check fails at once (RST after one RTT): DOWN on the 3rd failed check, i.e.
        // phase + 2 x inter (+ RTT), with phase in (0, inter].
        assert!(
            down > 2.0 * 2000.0 && down <= 3.0 * 2000.0 + 1.0,
            "DOWN {down} ms after the fault"
        );
    }
    // Refused connections are retried on another server (option redispatch), so visitors
    // notice nothing but a small delay.
    assert!(s.metrics.retries_per_kreq.value > 0.0);
    assert_eq!(s.failures_by_reason["retries_exhausted"], 0);
}

#[test]
fn crashed_host_is_detected_after_check_timeouts() {
    let s = common("crash");
    for (down, _) in windows(&s) {
        // A dead host: each check times out after `inter` (no `timeout check` set), and the
        // next one starts `inter` after that: phase + 3 x inter + 2 x inter.
        assert!(
            down > 4.0 * 2000.0 + 2000.0 && down <= 5.0 * 2000.0 + 2000.0 + 1.0,
            "DOWN {down} ms after the fault"
        );
    }
    assert!(
        s.metrics.retries_per_kreq.value > 0.0,
        "connect timeouts to web2 must be retried"
    );
}

#[test]
fn hung_application_costs_requests_until_detected() {
    let s = common("hang");
    assert!(
        s.failures_by_reason["server_timeout"] > 0,
        "requests sent to the hung web2 time out (504)"
    );
    assert!(s.metrics.success_ratio.value < 1.0);
}

/// HAProxy 2.6 (checked against the live 2.6.12, docs/haproxy-checks.md): with the first check
/// after the failure starting at c1, a refused port is DOWN at c1 + (fall-1) x fastinter +
/// fall x RTT (each check fails one round trip after it starts, and the next starts one
/// interval after the previous ended), a dead host or hung application at
/// c1 + fall x inter + (fall-1) x fastinter (each check times out after `inter`).
/// The three scenarios share the seed and timeline, so c1 is the same and the difference is
/// exact: (3 x 2000 + 2 x 2000) - (2 x 2000 + 3 x 0.2) = 5999.4 ms.
#[test]
fn detection_windows_differ_exactly_by_failure_mode() {
    let down = |kind: &str| {
        let m = model(&format!("scenarios/faults/web2_{kind}.toml"), &["replications=2"]);
        let s = summarise(&m);
        windows(&s)[0].0
    };
    let (refused, crash, hang) = (down("process_death"), down("crash"), down("hang"));
    assert!(
        (crash - refused - 5999.4).abs() < 1e-6,
        "crash {crash} refused {refused}"
    );
    assert!((hang - crash).abs() < 1e-6, "hang {hang} crash {crash}");
}

/// scenarios/regressions/all_web_down_rejects_at_arrival.toml: a request rejected on arrival
/// (no server UP) was freed twice. Now the rejections are counted and the run completes.
#[test]
fn regression_all_web_down_rejects_at_arrival() {
    let m = model("scenarios/regressions/all_web_down_rejects_at_arrival.toml", &[]);
    let s = summarise(&m);
    assert!(
        s.failures_by_reason["no_server"] > 0,
        "arrivals while every server is DOWN get a 503"
    );
    assert!(s.metrics.success_ratio.value < 1.0);
}

/// The storage primary crashes: the Pacemaker profile (heartbeat 714 ms, token 3000 ms,
/// STONITH 5 s, promotion 1 s) gives a takeover of token + fence + promotion minus the phase
/// of the crash on the heartbeat grid: in (9000 - 714, 9000] ms.
#[test]
fn storage_primary_crash_is_taken_over_by_the_replica() {
    let m = model("scenarios/faults/store1_crash.toml", &[]);
    let s = summarise(&m);
    let t = s.metrics.storage_takeover_ms_max.expect("a takeover happened");
    assert!(t > 9000.0 - 714.0 && t <= 9000.0, "takeover {t} ms");
    assert_eq!(s.metrics.storage_takeovers_total, u64::from(m.replications));
    assert_eq!(s.metrics.split_brain_s_total, 0.0);
    // Visitors noticed: calls to the dead primary time out (500s), calls during the takeover
    // wait for the new primary (slow).
    assert!(s.failures_by_reason["storage_error"] > 0);
    assert!(s.metrics.requests_slow_total > 0);
    // After the takeover store2 serves: the run ends with nearly every request served.
    assert!(s.metrics.success_ratio.value > 0.999);
}

/// A takeover whose promotion fails (`promotion_fail_probability = 1`): the controller
/// draws the outcome, store2 is left out, nothing is writable and storage calls fail, where
/// the default (0) gives the 9 s takeover above. The operator who repairs store1 an hour
/// later brings store2 back too and attends the promotion that follows, which does not fail
/// (`FailoverController::handle_operator_rejoin`): each replication's one takeover ends then.
#[test]
fn a_failed_promotion_leaves_the_site_without_storage() {
    let failed = summarise(&model(
        "scenarios/faults/store1_crash.toml",
        &["reliability.storage_failover.promotion_fail_probability=1.0"],
    ));
    let ok = summarise(&model("scenarios/faults/store1_crash.toml", &[]));
    assert_eq!(failed.metrics.storage_takeovers_total, 4, "one per replication");
    assert_eq!(ok.metrics.storage_takeovers_total, 4);
    let ms = |s: &simpark::report::summary::Summary| s.metrics.storage_takeover_ms_max.unwrap();
    assert!(ms(&ok) <= 9_000.0, "{}", ms(&ok));
    assert!(
        ms(&failed) > 3_600_000.0 - 10_000.0 && ms(&failed) < 3_600_000.0 + 10_000.0,
        "until the repair at 14 h: {} ms",
        ms(&failed)
    );
    let storage = |s: &simpark::report::summary::Summary| {
        s.failures_by_reason["storage_error"] + s.failures_by_reason["server_timeout"]
    };
    assert!(
        storage(&failed) > 50 * storage(&ok),
        "{} vs {}",
        storage(&failed),
        storage(&ok)
    );
    assert!(failed.metrics.success_ratio.value < ok.metrics.success_ratio.value);
    assert_eq!(failed.metrics.split_brain_s_total, 0.0);
}

/// A one-way partition store1 -> store2 for 10 minutes. With fencing the cut-off primary is
/// powered off before store2 is promoted: never two writable primaries. Without fencing the
/// oracle must see split brain for the whole partition after detection (600 s minus the
/// token timeout and the promotion, about 4 s).
#[test]
fn split_brain_oracle_catches_a_partition_without_fencing() {
    let fenced = summarise(&model("scenarios/faults/storage_partition.toml", &[]));
    assert_eq!(fenced.metrics.split_brain_s_total, 0.0);
    assert!(fenced.metrics.storage_takeovers_total > 0);
    let m = model(
        "scenarios/faults/storage_partition.toml",
        &["reliability.storage_failover.fencing=false"],
    );
    let unfenced = summarise(&m);
    let per_rep = unfenced.metrics.split_brain_s_total / f64::from(m.replications);
    assert!(per_rep > 600.0 - 5.0 && per_rep < 600.0, "split brain {per_rep} s");
}

fn inline(text: &str) -> simpark::Model {
    simpark::scenario::from_str(text, "inline.toml", &[]).unwrap_or_else(|e| panic!("{e}"))
}

const PARTITION_BASE: &str = r#"
name = "partition"
seed = 3
replications = 2
horizon = "3h"
warmup = "30m"
[traffic]
kind = "poisson"
rate_per_s = 50
"#;

/// lb1 <-> web2 cut both ways (a link failure): lb1's checks see a dead host.
#[test]
fn link_failure_between_lb_and_web_looks_like_a_dead_host() {
    let s = summarise(&inline(&format!(
        "{PARTITION_BASE}
[[fault]]
at = \"1h\"
target = \"web2\"
peer = \"lb1\"
kind = \"partition\"
[[fault]]
at = \"2h\"
target = \"web2\"
peer = \"lb1\"
kind = \"heal\"
"
    )));
    let downs: Vec<_> = s.health_events.iter().filter(|e| e.server == "web2").collect();
    assert_eq!(downs.len(), 4, "DOWN and UP per replication: {downs:?}");
    for e in downs.iter().filter(|e| e.state == HealthState::Down) {
        let d = e.at_ms - 3_600_000.0;
        assert!(d > 6000.0 && d <= 12_001.0, "DOWN {d} ms after the cut");
    }
    assert_eq!(s.web[1].requests_while_down_total, Some(0));
}

/// web1 -> store1 dropped one way: web1 passes lb1's checks (they do not touch storage), so
/// it stays in rotation and its requests fail: a gray failure. Each storage call hangs for the
/// client's 10 s timeout, so web1's 16 workers are soon all blocked and most of its requests
/// time out in its queue (504) rather than get the storage error (500).
#[test]
fn one_way_partition_to_storage_is_a_gray_failure() {
    let s = summarise(&inline(&format!(
        "{PARTITION_BASE}
[[fault]]
at = \"1h\"
target = \"web1\"
peer = \"store1\"
kind = \"partition\"
direction = \"one_way\"
"
    )));
    assert!(s.health_events.iter().all(|e| e.server != "web1"), "web1 never DOWN");
    assert!(s.failures_by_reason["storage_error"] > 0);
    let failed = (s.failures_by_reason["storage_error"] + s.failures_by_reason["server_timeout"]) as f64;
    // From 1h to 3h web1 gets a third of the requests, and every one of them needs storage.
    let expected = 50.0 * 7200.0 / 3.0 * 2.0;
    assert!((failed / expected - 1.0).abs() < 0.05, "{failed} vs {expected}");
}

#[test]
fn impossible_partitions_are_rejected_with_the_key() {
    let err = |faults: &str| match simpark::scenario::from_str(&format!("{PARTITION_BASE}{faults}"), "bad.toml", &[]) {
        Ok(_) => panic!("accepted: {faults}"),
        Err(e) => e.to_string(),
    };
    let e = err("[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"partition\"\n");
    assert!(e.contains("fault[0].peer") && e.contains("needs `peer`"), "{e}");
    let e = err("[[fault]]\nat = \"1h\"\ntarget = \"web1\"\npeer = \"web2\"\nkind = \"partition\"\n");
    assert!(e.contains("not neighbours"), "{e}");
    let e = err("[[fault]]\nat = \"1h\"\ntarget = \"web1\"\npeer = \"lb1\"\nkind = \"heal\"\n");
    assert!(e.contains("before any partition"), "{e}");
    let e = err("[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"crash\"\ndirection = \"one_way\"\n");
    assert!(e.contains("fault[0].direction"), "{e}");
}

/// Monitoring at request level: the predictive disk alert pages on-call at 13:05:30, 4 h
/// before the disk would be full (13:00, the first evaluation where the 6 h regression
/// predicts negative free space in 4 h, + `for: 5m` + `group_wait` 30 s). Without the cleanup
/// the disk fills at 17:00, writes fail, `DiskAlmostFull` (90% at 15:00) pages as well, and
/// Alertmanager repeats the unresolved predictive alert after `repeat_interval` (4 h).
#[test]
fn predictive_disk_alert_pages_before_the_disk_is_full() {
    let s = summarise(&model("scenarios/faults/store1_disk_fill.toml", &[]));
    for rep in 0..s.header.replications {
        let pages: Vec<_> = s.alerts.iter().filter(|a| a.replication == rep).collect();
        assert_eq!(pages.len(), 1, "{pages:?}");
        assert_eq!(
            (pages[0].alert.as_str(), pages[0].target.as_str()),
            ("DiskWillFillSoon", "store1")
        );
        assert_eq!(pages[0].at_ms, (13.0 * 3600.0 + 5.5 * 60.0) * 1000.0);
    }
    assert_eq!(s.metrics.requests_failed_total, 0);

    let m = model("scenarios/faults/store1_disk_fill.toml", &["replications=1"]);
    let mut spec = m.spec.clone();
    spec.faults.pop(); // no cleanup
    spec.expects.clear();
    let text = simpark::scenario::to_toml(&spec);
    let m = simpark::scenario::from_str(&text, "no-cleanup.toml", &[]).unwrap();
    let s = summarise(&m);
    let pages: Vec<(&str, f64)> = s
        .alerts
        .iter()
        .map(|a| (a.alert.as_str(), a.at_ms / 60_000.0))
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert_eq!(pages[0], ("DiskWillFillSoon", 13.0 * 60.0 + 5.5));
    assert_eq!(pages[1].0, "DiskAlmostFull");
    assert!(
        pages[1].1 > 15.0 * 60.0 + 5.0 && pages[1].1 < 15.0 * 60.0 + 8.0,
        "{pages:?}"
    );
    assert_eq!(pages[2], ("DiskWillFillSoon", 17.0 * 60.0 + 5.5));
    assert!(
        s.failures_by_reason["storage_error"] > 0,
        "writes fail once the disk is full"
    );
}

/// A short stall (SIGSTOP/SIGCONT, an application that stops and resumes): requests still
/// within `timeout server` (50 s here) complete when web2 resumes, those that arrived during
/// the stall too (they waited in its accept queue), as with the live haproxy 2.6.12
/// (tests/it/live_haproxy.rs `live_hung_server_resumes`). 3 s is shorter than detection
/// (fall 3 x inter 2000 + check timeouts), so web2 is never DOWN and nothing fails.
#[test]
fn short_hang_loses_nothing_within_timeout_server() {
    let stall = |len: &str| {
        summarise(&inline(&format!(
            "{PARTITION_BASE}
[[fault]]
at = \"1h\"
target = \"web2\"
kind = \"hang\"
[[fault]]
at = \"{len}\"
target = \"web2\"
kind = \"recover\"
"
        )))
    };
    let s = stall("3603s");
    assert!(s.health_events.iter().all(|e| e.server != "web2"), "web2 never DOWN");
    let failed: u64 = s.failures_by_reason.values().sum();
    assert_eq!(failed, 0, "{:?}", s.failures_by_reason);
    // A stall longer than `timeout server`: what web2 got before DOWN times out (504).
    let s = stall("3670s");
    assert!(s.failures_by_reason["server_timeout"] > 0, "{:?}", s.failures_by_reason);
}

/// `balancer.disabled`: web3 starts in maintenance and never gets a request. `slowstart_ms`:
/// web2, restarted after a process death, takes a reduced share while its weight warms up
/// (1/16 of it, one step per second: tests/it/live_haproxy.rs), so it serves fewer requests
/// than without slowstart (20 s of warm-up at ~17 req/s for web2: about 150 fewer).
#[test]
fn disabled_servers_and_slowstart_in_the_request_driver() {
    let run = |extra: &str| {
        summarise(&inline(&format!(
            "{PARTITION_BASE}
[balancer]
{extra}
[[fault]]
at = \"1h\"
target = \"web2\"
kind = \"process_death\"
[[fault]]
at = \"3630s\"
target = \"web2\"
kind = \"recover\"
"
        )))
    };
    let requests = |s: &simpark::report::summary::Summary, i: usize| s.web[i].requests.as_ref().expect("web").value;
    let s = run("disabled = [\"web3\"]");
    assert_eq!(requests(&s, 2), 0.0);
    assert!(requests(&s, 0) > 0.0);
    let plain = requests(&run(""), 1);
    let slow = requests(&run("slowstart_ms = 20000"), 1);
    assert!(
        plain - slow > 50.0,
        "web2 requests per replication without slowstart {plain}, with {slow}"
    );
}

/// `observe layer4` + `on-error mark-down` (`error-limit 10`): real traffic's refused
/// connections take web2 DOWN long before `fall` failed checks would (checks every 2 s, fall
/// 3: 4-6 s). At 50 req/s web2 gets ~17 req/s, each refused connection one error: DOWN within
/// about a second of the process death.
#[test]
fn observe_layer4_detects_refused_connections_from_traffic() {
    let run = |extra: &str| {
        let s = summarise(&inline(&format!(
            "{PARTITION_BASE}
[balancer.check]
{extra}
[[fault]]
at = \"1h\"
target = \"web2\"
kind = \"process_death\"
"
        )));
        let downs: Vec<f64> = s
            .health_events
            .iter()
            .filter(|e| e.server == "web2" && e.state == HealthState::Down)
            .map(|e| e.at_ms - 3_600_000.0)
            .collect();
        assert_eq!(downs.len(), 2, "one DOWN per replication: {downs:?}");
        downs
    };
    for d in run("") {
        assert!(d > 4000.0, "checks alone: DOWN {d} ms after the death");
    }
    for d in run("observe = \"layer4\"\non_error = \"mark-down\"") {
        assert!(d < 2000.0, "observe layer4: DOWN {d} ms after the death");
    }
}

/// Per-server check settings (`[balancer.check.servers.webK]`): each web server crashes in
/// turn (a dead host: each check times out after `inter` and the next starts `inter` after
/// that, so DOWN comes in ((2 fall - 1) inter, 2 fall inter] after the crash). web1 and web2
/// keep `[balancer.check]` (inter 2000, fall 3: 10-12 s); web3, a slow backup-like server
/// with `inter 5000` and `fall 5`, is marked DOWN 45-50 s after its crash.
#[test]
fn a_server_with_slower_checks_is_marked_down_later() {
    let mut text = format!("{PARTITION_BASE}\n[balancer.check.servers.web3]\ninter_ms = 5000\nfall = 5\n");
    for (i, at_min) in [(1, 60), (2, 80), (3, 100)] {
        text += &format!(
            "[[fault]]\nat = \"{at_min}m\"\ntarget = \"web{i}\"\nkind = \"crash\"\n[[fault]]\nat = \"{}m\"\ntarget = \"web{i}\"\nkind = \"recover\"\n",
            at_min + 10
        );
    }
    let s = summarise(&inline(&text));
    let down_after = |server: &str, at_min: f64| -> Vec<f64> {
        let d: Vec<f64> = s
            .health_events
            .iter()
            .filter(|e| e.server == server && e.state == HealthState::Down)
            .map(|e| e.at_ms - at_min * 60_000.0)
            .collect();
        assert_eq!(d.len(), 2, "{server}: one DOWN per replication: {d:?}");
        d
    };
    for (server, at_min) in [("web1", 60.0), ("web2", 80.0)] {
        for d in down_after(server, at_min) {
            assert!(d > 10_000.0 && d <= 12_001.0, "{server}: DOWN {d} ms after its crash");
        }
    }
    for d in down_after("web3", 100.0) {
        assert!(d > 45_000.0 && d <= 50_001.0, "web3: DOWN {d} ms after its crash");
    }
    assert!(s.web.iter().all(|w| w.requests_while_down_total == Some(0)));
}

/// A server without checks (`enabled = false` for it alone) among checked ones: lb1 never
/// marks it DOWN, so while it hangs its requests wait in it; the others' checks go on (the
/// per-server tables are indexed by server, not by checker: see
/// `scenarios/regressions/crash_without_health_checks.toml`).
#[test]
fn an_unchecked_server_among_checked_ones_is_never_marked_down() {
    let s = summarise(&inline(&format!(
        "{PARTITION_BASE}
[balancer.check.servers.web2]
enabled = false
[[fault]]
at = \"1h\"
target = \"web2\"
kind = \"hang\"
[[fault]]
at = \"1h\"
target = \"web3\"
kind = \"hang\"
[[fault]]
at = \"70m\"
target = \"web2\"
kind = \"recover\"
[[fault]]
at = \"70m\"
target = \"web3\"
kind = \"recover\"
"
    )));
    let events = |server: &str| s.health_events.iter().filter(|e| e.server == server).count();
    assert_eq!(events("web2"), 0, "{:?}", s.health_events);
    assert_eq!(events("web3"), 4, "DOWN and UP per replication: {:?}", s.health_events);
    assert!(
        s.failures_by_reason.values().sum::<u64>() > 0,
        "web2's hang costs requests"
    );
}
