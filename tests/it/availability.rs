//! Availability mode against Markov closed forms, and the storage split-brain oracle.
//!
//! Each check is a 95% confidence-interval test with a fixed seed: for a fresh seed it would
//! fail about one time in twenty by chance, which is why the seed is pinned, not tuned.

use crate::model;
use simpark::report::summary::HealthState;
use simpark::report::summary::{AvailSummary, summarise_availability};

fn run(rel: &str, sets: &[&str]) -> AvailSummary {
    let m = model(rel, sets);
    let reps = simpark::sim::avail::run_replications(&m, 2, &|| {});
    summarise_availability(&m, &reps)
}

fn assert_contains(what: &str, s: &AvailSummary, exact: f64) {
    let e = &s.metrics.availability_time;
    assert!(
        e.contains(exact),
        "{what}: simulated {:.7} ± {:.7} does not contain the Markov value {exact:.7}",
        e.value,
        e.ci95.unwrap_or(0.0)
    );
}

const LAMBDA: f64 = 1.0 / 100.0; // failures per hour (MTBF 100 h)
const MU: f64 = 1.0 / 10.0; // repairs per hour (MTTR 10 h)

/// (a) One server, two states: A = mu / (lambda + mu) (any reliability text, e.g. Trivedi,
/// *Probability and Statistics with Reliability, Queuing, and Computer Science Applications*,
/// sec. 8.4).
#[test]
fn single_server_matches_two_state_markov() {
    let s = run("scenarios/markov/one_of_n.toml", &["web.count=1"]);
    assert_contains("1 server", &s, MU / (LAMBDA + MU));
}

/// (b) 1-of-3 with repair: a birth-death chain on the number failed k, failure rate
/// (3 - k) lambda, repair rate min(k, crews) mu; the site is down only in k = 3
/// (Trivedi sec. 8.4, "k-out-of-n system with repair").
fn one_of_three_unavailability(crews: usize) -> f64 {
    let mut p = [1.0f64; 4];
    for k in 1..4 {
        p[k] = p[k - 1] * ((3 - (k - 1)) as f64 * LAMBDA) / (k.min(crews) as f64 * MU);
    }
    p[3] / p.iter().sum::<f64>()
}

#[test]
fn one_of_three_with_one_crew_matches_birth_death_chain() {
    let s = run(
        "scenarios/markov/one_of_n.toml",
        &["web.count=3", "reliability.crews=1"],
    );
    // Hand check: pi = 1, 0.3, 0.06, 0.006 -> U = 0.006 / 1.366 = 0.0043924.
    let u = one_of_three_unavailability(1);
    assert!((u - 0.006 / 1.366).abs() < 1e-12);
    assert_contains("1-of-3, one crew", &s, 1.0 - u);
}

#[test]
fn one_of_three_with_three_crews_matches_independent_units() {
    let s = run(
        "scenarios/markov/one_of_n.toml",
        &["web.count=3", "reliability.crews=3"],
    );
    let u = one_of_three_unavailability(3);
    // Independent units: U = (lambda / (lambda + mu))^3.
    assert!((u - (LAMBDA / (LAMBDA + MU)).powi(3)).abs() < 1e-12);
    assert_contains("1-of-3, three crews", &s, 1.0 - u);
}

/// (c) 1+1 standby with coverage c (a share 1 - c of failures are not detected, so lb1 never
/// switches to the standby): with a crew per unit the units are independent, and the site is
/// up when the active unit works, or when it failed detectably and the standby works:
/// A = a + c (1 - a) a, a = mu / (lambda + mu) (the classic imperfect-coverage result, e.g.
/// Trivedi sec. 8.4 on coverage; Dugan and Trivedi, IEEE Trans. Computers 38(6), 1989).
#[test]
fn standby_pair_with_coverage_matches_markov() {
    let s = run("scenarios/markov/standby_pair.toml", &[]);
    let a = MU / (LAMBDA + MU);
    let c = 0.8;
    assert_contains("1+1 standby, c = 0.8", &s, a + c * (1.0 - a) * a);
    // And coverage matters: the same pair with perfect coverage is strictly better.
    let perfect = run("scenarios/markov/standby_pair.toml", &["reliability.coverage=1.0"]);
    assert!(perfect.metrics.availability_time.value > s.metrics.availability_time.value);
}

/// (d) RAID-1 mean time to data loss with independent exponential disk failures (rate lambda)
/// and exponential rebuild (rate mu): MTTDL = (3 lambda + mu) / (2 lambda^2) (Patterson,
/// Gibson and Katz, "A case for RAID", SIGMOD 1988; the exact Markov form in Gibson's thesis,
/// 1991). Losses renew the array, so the loss rate per array is 1 / MTTDL.
#[test]
fn raid1_loss_rate_matches_mttdl() {
    let s = run("scenarios/markov/raid1_mttdl.toml", &[]);
    let (lambda, mu): (f64, f64) = (1.0, 50.0); // per year
    let mttdl = (3.0 * lambda + mu) / (2.0 * lambda * lambda);
    assert!((mttdl - 26.5).abs() < 1e-12);
    let arrays = 2.0; // lb1 and web1
    let e = &s.metrics.raid_array_losses_per_year;
    let (v, ci) = (e.value / arrays, e.ci95.unwrap() / arrays);
    assert!(
        (v - 1.0 / mttdl).abs() <= ci,
        "loss rate per array {v:.5} ± {ci:.5} vs 1/MTTDL {:.5}",
        1.0 / mttdl
    );
}

/// The oracle must catch two writable storage primaries: storage failures are all network
/// partitions (the node keeps accepting writes, the controller hears nothing). Without
/// fencing, the replica is promoted beside the live old primary; with STONITH never.
#[test]
fn split_brain_oracle_catches_missing_fencing() {
    let sets = [
        "horizon=\"20y\"",
        "replications=8",
        "reliability.storage.crash=0",
        "reliability.storage.process_death=0",
        "reliability.storage.hang=1",
    ];
    let fenced = run(
        "scenarios/xpos.toml",
        &[
            &sets[..],
            &["mode=\"availability\"", "reliability.storage_failover.fencing=true"],
        ]
        .concat(),
    );
    assert_eq!(
        fenced.metrics.split_brain_s_per_year.value, 0.0,
        "fencing must prevent split brain"
    );
    assert!(fenced.metrics.storage_failovers_per_year.value > 0.0);
    let unfenced = run(
        "scenarios/xpos.toml",
        &[
            &sets[..],
            &["mode=\"availability\"", "reliability.storage_failover.fencing=false"],
        ]
        .concat(),
    );
    assert!(
        unfenced.metrics.split_brain_s_per_year.value > 0.0,
        "the oracle must see split brain without fencing"
    );
}

/// The long-horizon mode is fast: the seed's park for 1,000 simulated years (100 x 10).
#[test]
fn thousand_years_of_the_park_are_quick_and_deterministic() {
    let m = model(
        "scenarios/xpos.toml",
        &["mode=\"availability\"", "horizon=\"10y\"", "replications=100"],
    );
    let a = simpark::sim::avail::run_replications(&m, 1, &|| {});
    let b = simpark::sim::avail::run_replications(&m, 2, &|| {});
    let (sa, sb) = (summarise_availability(&m, &a), summarise_availability(&m, &b));
    assert_eq!(
        simpark::report::to_json(&sa),
        simpark::report::to_json(&sb),
        "--jobs must not change results"
    );
    let x = &sa.metrics;
    assert!(x.availability_time.value > 0.999 && x.availability_time.value < 1.0);
    assert!(x.detect_ms_mean.is_some() && x.takeover_ms_mean.is_some());
}

/// The brochure's comparison, measured: a VRRP balancer pair removes lb1 as the park's single
/// point of failure. A master's dead host costs at most Master_Down_Interval: the backup
/// (priority 100, advert 1 s) waits 3 x 100 cs + skew (256 - 100) x 100 / 256 = 60 cs (integer,
/// RFC 5798 6.1) = 3.60 s after the last advertisement, which came at most one interval
/// before; a dead or hung HAProxy is the tracked script's to see (FAULT, then the skew).
#[test]
fn balancer_pair_takes_over_within_master_down_interval() {
    let single = run("scenarios/baseline/xpos.toml", &["horizon=\"20y\"", "replications=20"]);
    let pair = run(
        "scenarios/baseline/xpos_hardened.toml",
        &["horizon=\"20y\"", "replications=20"],
    );
    let (d1, d2) = (
        single.metrics.downtime_min_per_year.value,
        pair.metrics.downtime_min_per_year.value,
    );
    assert!(d2 < d1 / 20.0, "pair {d2} min/yr vs single {d1} min/yr");
    let lb: Vec<f64> = pair
        .incidents
        .iter()
        .filter(|i| i.cause_class == simpark::sim::avail::Cause::Lb)
        .map(|i| (i.end_h - i.start_h) * 3_600_000.0)
        .collect();
    assert!(!lb.is_empty(), "twenty years without a master failure is implausible");
    // A dead host: up to 3.6 s. A dead or hung HAProxy (the HTTP vrrp_script every 1 s, fall
    // 2, weight 0): FAULT at the second failing run, then lb2's skew: (1.61, 2.61] s.
    let (host, script): (Vec<f64>, Vec<f64>) = lb.into_iter().partition(|&ms| ms > 2609.375 + 1e-6);
    assert!(!host.is_empty() && !script.is_empty(), "{host:?} {script:?}");
    for ms in host {
        assert!(ms > 2600.0 - 1e-6 && ms <= 3600.0 + 1e-6, "takeover took {ms} ms");
    }
    for ms in script {
        assert!(ms > 1609.375 - 1e-6, "takeover took {ms} ms");
    }
    // Planned maintenance: the master resigns on purpose (a priority-0 advertisement) and the
    // backup takes over after Skew_Time only, (256 - 100) x 100 / 256 = 60 cs (integer); the
    // storage primary is switched over on purpose, the site waiting for the promotion (1 s).
    let planned: Vec<f64> = pair
        .incidents
        .iter()
        .filter(|i| i.cause_class == simpark::sim::avail::Cause::Maintenance)
        .map(|i| (i.end_h - i.start_h) * 3_600_000.0)
        .collect();
    assert!(!planned.is_empty(), "monthly maintenance hands the address over");
    assert!(planned.iter().any(|ms| (ms - 600.0).abs() < 1e-3), "{planned:?}");
    assert!(planned.iter().any(|ms| (ms - 1000.0).abs() < 1e-3), "{planned:?}");
    for ms in planned {
        assert!(
            (ms - 600.0).abs() < 1e-3 || (ms - 1000.0).abs() < 1e-3,
            "a planned handover took {ms} ms"
        );
    }
}

/// The pair's VRRP keys as keepalived states them. lb2 at priority 250 skews only
/// (256 - 250) x 100 / 256 = 2 cs (integer): a takeover within 3 x 100 + 2 cs = 3.02 s of
/// the last advertisement. With `nopreempt` a repaired lb1 leaves the address with lb2, so
/// lb1 takes over at lb2's failures, after its own (shorter) skew.
#[test]
fn balancer_pair_priorities_and_nopreempt_change_takeovers() {
    // Host failures only: the script-tracked ones have their own test below.
    let sets = [
        "horizon=\"20y\"",
        "replications=20",
        "maintenance.enabled=false",
        "reliability.lb.process_death=0.0",
        "reliability.lb.hang=0.0",
    ];
    let lb_ms = |r: &AvailSummary| -> Vec<f64> {
        r.incidents
            .iter()
            .filter(|i| i.cause_class == simpark::sim::avail::Cause::Lb)
            .map(|i| (i.end_h - i.start_h) * 3_600_000.0)
            .collect()
    };
    let close = run(
        "scenarios/baseline/xpos_hardened.toml",
        &[
            &sets[..],
            &["balancer.vrrp_priority_lb1=254", "balancer.vrrp_priority_lb2=250"],
        ]
        .concat(),
    );
    let close = lb_ms(&close);
    assert!(!close.is_empty());
    for ms in &close {
        assert!(*ms > 2020.0 - 1e-6 && *ms <= 3020.0 + 1e-6, "takeover took {ms} ms");
    }
    // Frequent balancer failures, so replication 0 logs many takeovers. With preemption lb1
    // is master whenever it is up, so every takeover is lb2's (skew 60 cs: over 2.6 s after
    // the failure); with nopreempt lb2 keeps the address after lb1's repair, so lb1 (skew
    // (256 - 200) x 100 / 256 = 21 cs) takes over at lb2's failures, some within 2.6 s.
    let often = [&sets[..], &["reliability.lb.afr=0.9"]].concat();
    let preempt = lb_ms(&run("scenarios/baseline/xpos_hardened.toml", &often));
    let nopreempt = lb_ms(&run(
        "scenarios/baseline/xpos_hardened.toml",
        &[&often[..], &["balancer.vrrp_preempt=false"]].concat(),
    ));
    assert!(preempt.len() > 20, "{preempt:?}");
    assert!(preempt.iter().all(|&ms| ms > 2600.0 - 1e-6), "{preempt:?}");
    let by_lb1 = nopreempt.iter().filter(|&&ms| ms < 2600.0 - 1e-6).count();
    assert!(by_lb1 > 0, "no takeover by lb1 with nopreempt: {nopreempt:?}");
    assert!(
        nopreempt.iter().all(|&ms| ms > 2210.0 - 1e-6 && ms <= 3600.0 + 1e-6),
        "{nopreempt:?}"
    );
}

/// keepalived's `vrrp_script`: only a dead host stops VRRP advertisements. A dead HAProxy on a
/// live host keeps the address on the broken balancer until it is repaired, unless a tracked
/// script sees it: weight 0 puts the master in FAULT (it resigns; lb2 takes over after its
/// skew), a weight too small to take lb1's priority below lb2's moves nothing, a large one
/// lets lb2 preempt after its Master_Down_Interval. `killall -0` (process) misses hangs.
#[test]
fn balancer_pair_moves_the_address_only_as_its_vrrp_script_sees() {
    let lb_ms = |extra: &[&str]| -> Vec<f64> {
        let base = [
            "horizon=\"20y\"",
            "replications=4",
            "maintenance.enabled=false",
            "reliability.lb.afr=0.9",
            "reliability.lb.crash=0.0",
            "balancer.vrrp_track.interval_ms=1000",
            "balancer.vrrp_track.fall=2",
        ];
        run("scenarios/baseline/xpos_hardened.toml", &[&base[..], extra].concat())
            .incidents
            .iter()
            .filter(|i| i.cause_class == simpark::sim::avail::Cause::Lb)
            .map(|i| (i.end_h - i.start_h) * 3_600_000.0)
            .collect()
    };
    let deaths = ["reliability.lb.process_death=1.0", "reliability.lb.hang=0.0"];
    let hangs = ["reliability.lb.process_death=0.0", "reliability.lb.hang=1.0"];
    let with = |modes: &[&'static str], track: &[&'static str]| lb_ms(&[modes, track].concat());
    let minutes = |v: &[f64]| v.iter().all(|&ms| ms > 600_000.0) && v.len() > 5;
    // No script: every master failure lasts until the repair (hours).
    let none = with(&deaths, &["balancer.vrrp_track.detects=\"none\""]);
    assert!(minutes(&none), "{none:?}");
    // FAULT at the second failing run (1..2 s after the death), then lb2's skew, 600 ms
    // (RFC 5798: (256 - 100) * 100 / 256 cs, truncated).
    let fault = with(&deaths, &["balancer.vrrp_track.detects=\"process\""]);
    assert!(fault.len() > 5, "{fault:?}");
    for ms in &fault {
        assert!(
            *ms > 1600.0 - 1e-6 && *ms <= 2600.0 + 1e-6,
            "FAULT takeover took {ms} ms"
        );
    }
    // weight -50: lb1 at 150 still above lb2's 100: nothing moves.
    let weak = with(
        &deaths,
        &[
            "balancer.vrrp_track.detects=\"process\"",
            "balancer.vrrp_track.weight=-50",
        ],
    );
    assert!(minutes(&weak), "{weak:?}");
    // weight -150: lb1 at 50; lb2 discards its adverts and takes over after its
    // Master_Down_Interval (3.6 s) from the last full-priority one, which came up to one
    // advert interval before the script failed (the two timers are not aligned).
    let strong = with(
        &deaths,
        &[
            "balancer.vrrp_track.detects=\"process\"",
            "balancer.vrrp_track.weight=-150",
        ],
    );
    assert!(strong.len() > 5, "{strong:?}");
    for ms in &strong {
        assert!(
            *ms > 3600.0 - 1e-6 && *ms <= 2000.0 + 3600.0 + 1e-6,
            "preempted after {ms} ms"
        );
    }
    // A hang passes `killall -0`; an HTTP check sees it.
    let missed = with(&hangs, &["balancer.vrrp_track.detects=\"process\""]);
    assert!(minutes(&missed), "{missed:?}");
    let seen = with(&hangs, &["balancer.vrrp_track.detects=\"http\""]);
    assert!(seen.len() > 5 && seen.iter().all(|&ms| ms <= 2600.0 + 1e-6), "{seen:?}");
}

/// Human error as a cause: from a deletion until its restore is done, the share of requests
/// that need the deleted data fails (`backup.human_error_failed_share`), charged to human
/// error; the whole site when the share is 1. Nothing else moves (common random numbers).
#[test]
fn deleted_data_fails_its_share_of_requests_until_restored() {
    let run_with = |share: &str| {
        run(
            "scenarios/baseline/xpos.toml",
            &[
                "horizon=\"20y\"",
                "replications=10",
                &format!("backup.human_error_failed_share={share}"),
            ],
        )
    };
    let human = |r: &AvailSummary| {
        let c = r
            .metrics
            .downtime_by_cause
            .iter()
            .find(|c| c.cause == simpark::sim::avail::Cause::HumanError);
        let c = c.expect("human error is a cause");
        (c.downtime_min_per_year.value, c.failed_requests_per_year.value)
    };
    let (none, tenth, fifth, all) = (run_with("0.0"), run_with("0.1"), run_with("0.2"), run_with("1.0"));
    assert_eq!(human(&none), (0.0, 0.0));
    let (down, failed) = human(&tenth);
    assert_eq!(down, 0.0, "a partial outage is no downtime");
    assert!(failed > 0.0);
    // Twice the share, about twice the requests (not exactly: overlaps with other outages).
    let ratio = human(&fifth).1 / failed;
    assert!((ratio - 2.0).abs() < 0.1, "{ratio}");
    // The magnitude: errors a year x the hours until restored (the notice delay, 24 h on
    // average, plus the restore) x the mean request rate x the share.
    let errors = tenth.metrics.human_errors_per_year.value;
    let per_hour = 300_000.0 * 12.0 / (365.2425 / 12.0 * 24.0);
    let hours = failed / (0.1 * errors * per_hour);
    assert!((20.0..32.0).contains(&hours), "{hours} h from deletion to restore");
    // All of the site: downtime, and incidents of that cause.
    assert!(human(&all).0 > 0.0);
    assert!(
        all.incidents.iter().any(|i| {
            let v = serde_json::to_value(i).unwrap();
            v["cause"]["kind"] == "data_missing" && v["cause"]["full"] == true
        }),
        "{:?}",
        all.incidents
    );
    // The other causes are untouched by the deletions.
    let web = |r: &AvailSummary| r.metrics.downtime_by_cause[1].downtime_min_per_year.value;
    assert_eq!(web(&none), web(&tenth));
}

/// Daily backups and restores after human error. With backups (and a backup server) that
/// never fail and deletions noticed within an hour, a restore uses the snapshot of the night
/// before the error, so the recovery point is under a day. With unreliable backups it
/// stretches past a day; so does a deletion noticed after retention has thinned the daily
/// snapshots (restic keeps 7 daily, 5 weekly, 12 monthly and yearly ones).
#[test]
fn restores_after_human_error_report_rpo_and_rto() {
    let base = ["horizon=\"5y\"", "replications=20", "backup.human_errors_per_year=12"];
    let reliable = run(
        "scenarios/baseline/xpos.toml",
        &[
            &base[..],
            &[
                "backup.fail_probability=0",
                "backup.corrupt_probability=0",
                "reliability.backup.fails=false",
                "backup.notice={ dist = \"deterministic\", mean_h = 1.0 }",
            ],
        ]
        .concat(),
    );
    let m = &reliable.metrics;
    let (mean, max) = (m.rpo_h_mean.unwrap().value, m.rpo_h_max.unwrap().value);
    assert!(max <= 24.0, "a nightly backup bounds the RPO by a day, got max {max} h");
    assert!(
        (mean - 12.0).abs() < 1.0,
        "errors fall uniformly in the day: mean RPO about 12 h, got {mean}"
    );
    // RTO: 50 GB + growth at 100 MB/s is about 9 minutes of transfer.
    let rto = m.rto_h_mean.unwrap().value;
    assert!(rto > 0.1 && rto < 0.3, "RTO {rto} h");
    assert_eq!(m.restores_failed.value, 0.0);
    let kept = m.snapshots_kept.value;
    assert!(
        (24.0..=29.0).contains(&kept),
        "7 daily + 5 weekly + 12 monthly + yearly, overlapping: {kept}"
    );
    let flaky = run(
        "scenarios/baseline/xpos.toml",
        &[
            &base[..],
            &["backup.fail_probability=0.3", "backup.corrupt_probability=0.2"],
        ]
        .concat(),
    );
    assert!(
        flaky.metrics.rpo_h_max.unwrap().value > 24.0,
        "failed and corrupt backups must push the RPO past a day"
    );
    assert!(flaky.metrics.rpo_h_mean.unwrap().value > mean);
}

/// Paging on-call goes through the alerting machines: Prometheus sees `up == 0` at the first
/// 1-minute evaluation after the failure (uniform phase, 0.5 min on average), fires after
/// `for: 5m`, and Alertmanager waits `group_wait` 30 s: 6 minutes on average, never less
/// than 5.5 or more than 6.5.
#[test]
fn pages_follow_prometheus_and_alertmanager_timing() {
    let s = run("scenarios/baseline/xpos.toml", &["horizon=\"5y\"", "replications=20"]);
    let mean = s.metrics.page_delay_min_mean.unwrap().value;
    assert!((mean - 6.0).abs() < 0.1, "mean page delay {mean} min");
    assert!(!s.alerts.is_empty());
    for a in &s.alerts {
        let d = (a.paged_at_h - a.failed_at_h) * 60.0;
        assert!((5.5 - 1e-9..=6.5 + 1e-9).contains(&d), "{a:?}: {d} min");
    }
}

/// Predictive alerts: a SMART warning ahead of a disk failure pages on-call, who swap the disk
/// before it fails. With every failure announced a week ahead, nearly all are averted.
#[test]
fn smart_warnings_let_on_call_replace_disks_before_they_fail() {
    let base = ["horizon=\"20y\"", "replications=20", "reliability.disk.afr=0.2"];
    let none = run(
        "scenarios/baseline/xpos.toml",
        &[&base[..], &["reliability.disk.smart_warning_share=0"]].concat(),
    );
    let all = run(
        "scenarios/baseline/xpos.toml",
        &[&base[..], &["reliability.disk.smart_warning_share=1"]].concat(),
    );
    let (f0, f1) = (
        none.metrics.disk_failures_per_year.value,
        all.metrics.disk_failures_per_year.value,
    );
    assert_eq!(none.metrics.disks_replaced_proactively_per_year.value, 0.0);
    assert!(f0 > 1.0, "12 disks at AFR 0.2 fail about 2.6 times a year: {f0}");
    assert!(f1 < 0.1 * f0, "SMART swaps must avert most failures: {f1} vs {f0}");
    assert!(all.metrics.disks_replaced_proactively_per_year.value > 0.8 * f0);
}

/// The long-horizon mode against the request level, as a table: per row, each replication's
/// random failures and repairs are drawn by the availability mode and replayed at request level
/// (`reliability.random_in_requests`), where every request is routed by the HAProxy machines;
/// the paired difference of the request-based availabilities (request level - aggregate) must
/// have a 95% CI containing 0. The rows cover what the aggregate accounting takes from the
/// machines and the traffic model: balancer algorithms and weights (routing shares; for
/// `balance uri` the shares of the URI population's hashes vs a URI drawn per request),
/// overlapping bursts (the traffic integral), link failures, slowdowns and storage takeovers.
/// Base: `faults/random_web_month.toml` (MTBF 20 h per web server, half hangs) cut to a few
/// days, so the table stays fast. Slowdowns: 12 h of constant traffic, 46 req/s per server
/// against a slowed capacity of 31.6 req/s (16 workers: the fluid approximation of the
/// overload needs many workers; with 2 it is off by half).
#[test]
fn both_modes_agree_on_request_availability_across_the_model() {
    let slowdowns = [
        "traffic.kind=\"poisson\"",
        "traffic.rate_per_s=139",
        "reliability.web.crash=0",
        "reliability.web.process_death=0",
        "reliability.web.hang=0",
        "reliability.web.slowdown=1",
        "reliability.web.slowdown_factor=20",
        "horizon=\"12h\"",
    ];
    let table: &[(&str, &[&str])] = &[
        ("equal weights", &[]),
        ("weights [0, 1, 1]", &["balancer.weights=[0, 1, 1]"]),
        ("weights [3, 2, 1]", &["balancer.weights=[3, 2, 1]"]),
        ("balance first", &["balancer.algorithm=\"first\""]),
        ("balance source", &["balancer.algorithm=\"source\""]),
        (
            "balance uri, Zipf URIs, weights [3, 2, 1]",
            &["balancer.algorithm=\"uri\"", "balancer.weights=[3, 2, 1]"],
        ),
        (
            "overlapping bursts",
            &[
                "traffic.burst=[{ start = \"1d\", duration = \"2d\", multiplier = 2.0 }, \
                 { start = \"2d\", duration = \"2d\", multiplier = 3.0 }]",
            ],
        ),
        (
            "link failures",
            &[
                "reliability.web.crash=0",
                "reliability.web.process_death=0",
                "reliability.web.hang=0.5",
                "reliability.web.link=0.5",
            ],
        ),
        ("slowdowns", &slowdowns),
        (
            "storage failures",
            &[
                "reliability.storage.fails=true",
                "reliability.storage.ttf={ dist = \"exponential\", mean_h = 30.0 }",
            ],
        ),
    ];
    for &(row, sets) in table {
        let mut av_sets = vec!["replications=6", "horizon=\"5d\"", "warmup=\"2h\""];
        av_sets.extend(sets);
        let mut rq_sets = av_sets.clone();
        rq_sets.extend(["mode=\"requests\"", "reliability.random_in_requests=true"]);
        let av = simpark::sim::avail::run_replications(
            &model("scenarios/faults/random_web_month.toml", &av_sets),
            2,
            &|| {},
        );
        let rq = simpark::sim::run_replications(&model("scenarios/faults/random_web_month.toml", &rq_sets), 2, &|| {});
        let failed: u64 = rq.iter().map(|r| r.failed_total()).sum();
        assert!(failed > 20, "{row}: the row needs failed requests to compare: {failed}");
        eprintln!("{row}: {}", modes_agree(row, &av, &rq));
    }
}

/// Swarm testing draws a different failure mix per replication (and says which); the design
/// fault budget keeps every run within what the park promises to survive: at most 2 of 3 web
/// servers, 1 of 2 storage nodes and one disk per mirror down. Lifting the budget lets the
/// same hard failure rates take everything down.
#[test]
fn swarm_runs_respect_the_fault_budget() {
    let hard = [
        "horizon=\"5y\"",
        "replications=16",
        "reliability.web.ttf={ dist = \"exponential\", mean_h = 30.0 }",
        "reliability.storage.ttf={ dist = \"exponential\", mean_h = 30.0 }",
        "reliability.disk.afr=0.5",
    ];
    let within = run(
        "scenarios/baseline/xpos.toml",
        &[
            &hard[..],
            &["reliability.swarm=true", "reliability.fault_budget=\"design\""],
        ]
        .concat(),
    );
    assert_eq!(within.swarm.len(), 16, "every replication reports its draw");
    assert!(
        within.swarm.iter().collect::<std::collections::BTreeSet<_>>().len() > 1,
        "draws differ"
    );
    let m = &within.metrics;
    assert!(
        m.web_down_max <= 2 && m.storage_down_max <= 1,
        "web {} storage {}",
        m.web_down_max,
        m.storage_down_max
    );
    assert_eq!(m.raid_array_losses_per_year.value, 0.0);
    assert!(
        m.faults_suppressed_by_budget.value > 0.0,
        "the budget had to act at these rates"
    );
    let lifted = run(
        "scenarios/baseline/xpos.toml",
        &[&hard[..], &["reliability.fault_budget=\"none\""]].concat(),
    );
    assert_eq!(
        lifted.metrics.web_down_max, 3,
        "without the budget all three web servers fail together at some point"
    );
    assert!(lifted.metrics.raid_array_losses_per_year.value > 0.0);
}

/// The disaster path: both storage copies lost (RAID-1 arrays lost on both nodes). The
/// repaired node is empty, so the database comes back from the backup server before anything
/// can write: the recovery time is the full transfer (2000 GB at 100 MB/s = 5.6 h plus
/// growth) and the recovery point reaches back to the last good backup (at these disk rates
/// the backup server loses its own array often, so that can be days).
#[test]
fn losing_both_storage_copies_restores_the_database_from_backup() {
    let s = run(
        "scenarios/baseline/xpos.toml",
        &[
            "horizon=\"10y\"",
            "replications=20",
            "reliability.disk.afr=0.9",
            "reliability.disk.replace={ dist = \"exponential\", mean_h = 200.0 }",
            "reliability.disk.smart_warning_share=0",
            "reliability.backup.fails=false",
            "backup.fail_probability=0",
            "backup.corrupt_probability=0",
            "backup.data_gb=2000",
            // The latency sample `run` adds monitors the disk: it must hold the data.
            "monitoring.disk_capacity_gb=4000",
        ],
    );
    let m = &s.metrics;
    let rpo = m.disaster_rpo_h_mean.expect("disasters at these disk rates").value;
    let rto = m.disaster_rto_h_mean.expect("disasters at these disk rates").value;
    assert!(rpo > 0.0, "disaster RPO {rpo} h");
    assert!((5.5..6.5).contains(&rto), "disaster RTO {rto} h");
    assert!(m.data_loss_events.value > 0.0);
}

/// A fixed annual failure rate: afr = 0.5 means an exponential rate of -ln(0.5) = 0.693 per
/// server-year, so three web servers fail 2.079 times a year.
#[test]
fn annual_failure_rate_sets_the_failure_rate() {
    let s = run(
        "scenarios/baseline/xpos.toml",
        &[
            "horizon=\"20y\"",
            "replications=50",
            "reliability.web.afr=0.5",
            "reliability.lb.fails=false",
            "reliability.storage.fails=false",
            "reliability.backup.fails=false",
            "reliability.disk.raid1=false",
        ],
    );
    let e = &s.metrics.failures_per_year;
    assert!(e.contains(3.0 * 2f64.ln()), "{e:?}");
}

/// Batch-correlated disks (a shared gamma frailty per array): two disks from a bad batch
/// fail close together, so RAID-1 loses more arrays than the independent-disk MTTDL says.
/// The frailty keeps each disk's mean lifetime at 1/lambda; what changes is the clustering.
/// Replacement disks come from new batches, which dilutes the effect, so the test asks for a
/// clear rise in array losses (beyond both CIs), and no change at all with `batch_cv = 0`.
#[test]
fn batch_correlated_disks_lose_more_arrays() {
    let base = run("scenarios/markov/raid1_mttdl.toml", &[]);
    let same = run("scenarios/markov/raid1_mttdl.toml", &["reliability.disk.batch_cv=0.0"]);
    assert_eq!(
        base.metrics.raid_array_losses_per_year.value, same.metrics.raid_array_losses_per_year.value,
        "batch_cv = 0 draws nothing and changes nothing"
    );
    let batch = run("scenarios/markov/raid1_mttdl.toml", &["reliability.disk.batch_cv=0.8"]);
    let (b, c) = (
        &base.metrics.raid_array_losses_per_year,
        &batch.metrics.raid_array_losses_per_year,
    );
    assert!(
        c.value - c.ci95.unwrap() > b.value + b.ci95.unwrap(),
        "independent {b:?} vs batch-correlated {c:?}"
    );
}

/// `reliability.random_in_requests`: a request-mode run draws, per replication, the same
/// failure timeline as the availability mode and replays it (the table above checks that both
/// agree); storage failures are replayed through the request-level failover controller.
#[test]
fn request_mode_injects_the_availability_modes_random_failures() {
    let storage = model(
        "scenarios/faults/random_web_month.toml",
        &[
            "replications=2",
            "mode=\"requests\"",
            "reliability.random_in_requests=true",
            "reliability.storage.fails=true",
            "reliability.storage.ttf={ dist = \"exponential\", mean_h = 100.0 }",
        ],
    );
    let reps = simpark::sim::run_replications(&storage, 2, &|| {});
    let takeovers: usize = reps.iter().map(|r| r.takeover_ms.len()).sum();
    assert!(takeovers > 0, "storage failures replayed as takeovers");
    assert_eq!(reps.iter().map(|r| r.split_brain_ns).sum::<u64>(), 0);
}

/// Random link failures (lb1 <-> a web server): the availability mode treats them like a
/// crashed host for lb1 (checks time out, traffic is redispatched) and logs them as
/// `partition`/`heal` faults with lb1, which the request level replays: lb1 marks the
/// servers DOWN and sends them nothing while they are.
#[test]
fn random_link_failures_are_replayed_as_partitions() {
    let sets = [
        "replications=2",
        "horizon=\"5d\"",
        "reliability.web.crash=0",
        "reliability.web.process_death=0",
        "reliability.web.hang=0",
        "reliability.web.link=1",
    ];
    let m = model("scenarios/faults/random_web_month.toml", &sets);
    let av = simpark::sim::avail::run_replications(&m, 2, &|| {});
    let log = &av[0].fault_log;
    assert!(log.len() >= 4, "{log:?}");
    for f in log {
        assert_eq!(f.peer, m.topology.node_by_name("lb1"), "{f:?}");
        assert!(matches!(
            f.kind,
            simpark::scenario::FaultKind::Partition | simpark::scenario::FaultKind::Heal
        ));
    }
    let mut rq_sets = sets.to_vec();
    rq_sets.extend(["mode=\"requests\"", "reliability.random_in_requests=true"]);
    let s = crate::summarise(&model("scenarios/faults/random_web_month.toml", &rq_sets));
    assert!(s.health_events.iter().any(|e| e.state == HealthState::Down));
    assert!(s.web.iter().all(|w| w.requests_while_down_total == Some(0)));
}

/// The paired difference (request level - availability mode) of the request-based
/// availabilities, replication by replication, has a 95% CI containing 0; returns it as text.
fn modes_agree(
    row: &str,
    av: &[simpark::sim::avail::AvailMetrics],
    rq: &[simpark::sim::metrics::RepMetrics],
) -> String {
    let diffs: Vec<f64> = av
        .iter()
        .zip(rq)
        .map(|(a, r)| r.ok as f64 / r.completed() as f64 - (1.0 - a.failed / a.offered))
        .collect();
    let e = simpark::stats::Estimate::from_samples(&diffs);
    let text = format!(
        "request level - aggregate = {:.7} ± {:.7} (aggregate unavailability {:.7})",
        e.value,
        e.ci95.unwrap(),
        av.iter().map(|a| a.failed / a.offered).sum::<f64>() / av.len() as f64
    );
    assert!(e.contains(0.0), "{row}: {text}");
    text
}

/// `balance first` with a `maxconn` spills over only under load, so it has no steady-state
/// routing shares: the availability mode refuses it, naming the key and what would do; the
/// request level routes it request by request and takes it.
#[test]
fn availability_mode_refuses_first_with_maxconn() {
    let path = crate::repo("scenarios/faults/random_web_month.toml");
    let sets = |extra: &[&str]| -> Vec<String> {
        ["balancer.algorithm=\"first\"", "balancer.maxconn=4"]
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };
    let e = simpark::scenario::load(&path, &sets(&[])).unwrap_err().to_string();
    assert!(
        e.contains("balancer.algorithm") && e.contains("availability mode") && e.contains("maxconn = 0"),
        "{e}"
    );
    assert!(simpark::scenario::load(&path, &sets(&["mode=\"requests\""])).is_ok());
}

/// The README's comparison claims, as far as the model supports them with 95% CIs that do
/// not overlap, downtime including planned maintenance (monthly updates in every baseline):
/// the single server is worst (its repairs and every update take the site down), the park
/// with one balancer pays for lb1 (failures and updates), and the park with a VRRP pair and
/// the standby pair are both far below it. The standby pair (its database replicated on both
/// servers, Pacemaker takeovers that can fail, planned switchovers) and the hardened park
/// (whose separate storage pair has more hardware that can fail, and fails over the same way)
/// come out within each other's CIs: the model does not order them, and the test checks only
/// what it supports.
#[test]
fn baseline_ordering_claims_hold_with_their_confidence_intervals() {
    let sets = ["replications=40"];
    let single = run("scenarios/baseline/single_server.toml", &sets);
    let standby = run("scenarios/baseline/standby_pair.toml", &sets);
    let park = run("scenarios/baseline/xpos.toml", &sets);
    let hardened = run("scenarios/baseline/xpos_hardened.toml", &sets);
    let below = |a: &AvailSummary, b: &AvailSummary| {
        let (x, y) = (&a.metrics.downtime_min_per_year, &b.metrics.downtime_min_per_year);
        x.value + x.ci95.unwrap_or(0.0) < y.value - y.ci95.unwrap_or(0.0)
    };
    assert!(below(&park, &single), "the park beats a single server");
    assert!(
        below(&standby, &park) && below(&hardened, &park),
        "lb1 is the park's weak point"
    );
    assert!(below(&standby, &single) && below(&hardened, &single));
    // Maintenance is reported apart and counted in the total.
    let maint = |s: &AvailSummary| {
        let c = &s.metrics.downtime_by_cause[simpark::sim::avail::Cause::Maintenance.index()];
        assert_eq!(c.cause, simpark::sim::avail::Cause::Maintenance);
        c.downtime_min_per_year.value
    };
    for s in [&single, &standby, &park, &hardened] {
        let m = &s.metrics;
        let sum: f64 = m.downtime_by_cause.iter().map(|c| c.downtime_min_per_year.value).sum();
        assert!((sum - m.downtime_min_per_year.value).abs() < 1e-6, "causes add up");
        assert!((m.downtime_min_per_year.value - m.downtime_min_per_year_unplanned.value - maint(s)).abs() < 1e-6);
    }
    // A single server is down 16 min per monthly window (drain + update; UP at once on `ready`).
    assert!((180.0..200.0).contains(&maint(&single)), "{}", maint(&single));
    // The park and the standby pair patch without a visible outage but for VRRP handovers
    // and planned storage switchovers (seconds per window).
    assert!(maint(&hardened) < 2.0 && maint(&standby) < 2.0);
    // Unplanned, both pay mostly for takeovers (detection, fencing, promotion, and the 2% that
    // fail and wait for on-call).
    let takeover = |s: &AvailSummary| {
        s.metrics.downtime_by_cause[simpark::sim::avail::Cause::Takeover.index()]
            .downtime_min_per_year
            .value
    };
    assert!(takeover(&standby) > 0.5 * standby.metrics.downtime_min_per_year_unplanned.value);
    assert!(takeover(&hardened) > 0.5 * hardened.metrics.downtime_min_per_year_unplanned.value);
}

/// Per-server check settings in the availability mode, on the same hangs each time (common
/// random numbers; a hung server accepts connections, so without checks its requests wait
/// for `timeout server` and fail, where a crashed one's are retried elsewhere): web3 without
/// checks (`[balancer.check.servers.web3] enabled = false`) is never marked DOWN, so each of
/// its hangs fails its share of requests until the repair (about a third of what the park
/// loses with no checks at all), while web1's and web2's are detected as before, 10-12 s
/// after they hang; web3 with `inter 20000` and `fall 5` is detected 180-200 s after.
#[test]
fn each_web_server_is_detected_by_its_own_check_settings() {
    let run = |sets: &[&str]| {
        let mut all = vec![
            "replications=2",
            "horizon=\"10d\"",
            "reliability.web.crash=0",
            "reliability.web.process_death=0",
            "reliability.web.hang=1",
            "reliability.coverage=1",
        ];
        all.extend(sets);
        let m = model("scenarios/faults/random_web_month.toml", &all);
        let reps = simpark::sim::avail::run_replications(&m, 2, &|| {});
        let log: Vec<Vec<_>> = reps
            .iter()
            .map(|r| r.fault_log.iter().map(|f| (f.node, f.kind)).collect())
            .collect();
        let failed: f64 = reps.iter().map(|r| r.failed).sum();
        (summarise_availability(&m, &reps), log, failed)
    };
    let (checked, log, failed_checked) = run(&[]);
    let (web3_unchecked, log_web3, failed_web3) = run(&["balancer.check.servers.web3.enabled=false"]);
    let (_, log_none, failed_none) = run(&["balancer.check.enabled=false"]);
    let (web3_slow, log_slow, _) = run(&[
        "balancer.check.servers.web3.inter_ms=20000",
        "balancer.check.servers.web3.fall=5",
    ]);
    assert!(
        log == log_web3 && log == log_none && log == log_slow,
        "the same failures every time"
    );
    let share = failed_web3 / failed_none;
    assert!(
        failed_web3 > 20.0 * failed_checked && (0.1..0.7).contains(&share),
        "failed requests: all checked {failed_checked:.0}, web3 unchecked {failed_web3:.0}, none checked {failed_none:.0}"
    );
    let detect = |s: &AvailSummary| s.metrics.detect_ms_mean.as_ref().expect("detections").value;
    // Only web1's and web2's hangs are detected, each 10-12 s after it.
    for s in [&checked, &web3_unchecked] {
        assert!(
            (10_000.0..=12_001.0).contains(&detect(s)),
            "mean detection {} ms",
            detect(s)
        );
    }
    // A third of the hangs detected after 180-200 s: the mean moves to about 70 s.
    assert!(
        (40_000.0..100_000.0).contains(&detect(&web3_slow)),
        "mean detection {} ms",
        detect(&web3_slow)
    );
}
