//! Prometheus as the oracle of simpark's alerting machine: `promtool test rules` (Debian's
//! prometheus 2.42) and `policy::alerting` evaluate the same rule file on the same input
//! series; at every evaluation instant the set of firing alerts (name and labels) must be the
//! same. `promtool check rules` must accept the rule files simpark imports.
//!
//! A missing promtool fails the test (never skips): `./test` installs it (package `prometheus`).

use crate::{repo, tmpdir};
use simpark::import::prometheus;
use simpark::policy::alerting::{AlertRule, Alerting, AlertingConfig, Labels, Metric, promql};
use simpark::units::{SimDuration, SimTime, parse_duration};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::process::Command;

/// Minutes of input series (one sample a minute from 0) and evaluations (every minute).
const MINUTES: u64 = 240;

fn promtool() -> &'static str {
    for p in ["/usr/bin/promtool", "/usr/local/bin/promtool"] {
        if std::path::Path::new(p).exists() {
            return p;
        }
    }
    panic!("promtool is not installed: `./test` installs it (apt-get install -y prometheus)");
}

/// Instance names of the targets: two web servers and the balancer.
const INSTANCES: [&str; 3] = ["web1", "web2", "lb1"];

/// One input sample per minute; `None` is no sample; `stale` a staleness marker.
#[derive(Clone, Copy, PartialEq)]
enum Sample {
    Value(f64),
    Stale,
    Missing,
}

/// The input: (target, metric) -> one sample per minute. A target that is down reports
/// `up` = 0 and nothing else (its other series go stale, as after a failed scrape).
fn input() -> BTreeMap<(usize, Metric), Vec<Sample>> {
    let mut out: BTreeMap<(usize, Metric), Vec<Sample>> = BTreeMap::new();
    let down = |t: usize, m: u64| match t {
        0 => (20..41).contains(&m) || (100..103).contains(&m) || (150..160).contains(&m),
        1 => (30..36).contains(&m) || (151..170).contains(&m),
        _ => false,
    };
    for m in 0..=MINUTES {
        for t in 0..2 {
            let is_down = down(t, m);
            let was_down = m > 0 && down(t, m - 1);
            out.entry((t, Metric::Up))
                .or_default()
                .push(Sample::Value(if is_down { 0.0 } else { 1.0 }));
            let x = m as f64;
            let load = if t == 0 {
                // Spikes above 2 for a few minutes, one flapping.
                match m {
                    50..=56 | 60 | 62 | 64 | 200..=215 => 2.5,
                    _ => 0.5 + 0.01 * (x % 7.0),
                }
            } else {
                1.0 + 0.3 * ((x / 9.0).sin())
            };
            // web1's disk fills at 1 GB/min from minute 60 (100 GB, 10 GB free at minute 150);
            // web2's stays flat.
            let size = 100e9;
            let avail = if t == 0 {
                (60e9 - 1e9 * (x - 60.0).max(0.0) * 0.5).max(1e9)
            } else {
                50e9
            };
            for (metric, v) in [
                (Metric::Load1, load),
                (Metric::DiskFreeBytes, avail),
                (Metric::DiskSizeBytes, size),
            ] {
                let s = if is_down {
                    if was_down { Sample::Missing } else { Sample::Stale }
                } else {
                    Sample::Value(v)
                };
                out.entry((t, metric)).or_default().push(s);
            }
        }
        // lb1: 600 requests a minute; 5xx in bursts (web servers down), a counter reset at 120.
        let x = m as f64;
        let reset = if m >= 120 { 120.0 } else { 0.0 };
        let requests = 600.0 * (x - reset);
        let errors: f64 = (reset as u64..m)
            .map(|k| match k {
                20..=40 => 200.0,
                100..=102 => 30.0,
                150..=170 => 350.0,
                _ => 1.0,
            })
            .sum();
        out.entry((2, Metric::HttpRequests))
            .or_default()
            .push(Sample::Value(requests));
        out.entry((2, Metric::HttpResponses5xx))
            .or_default()
            .push(Sample::Value(errors));
        out.entry((2, Metric::HttpResponses2xx))
            .or_default()
            .push(Sample::Value(requests - errors));
    }
    out
}

/// The promtool series selector of a series.
fn series_name(target: usize, metric: Metric) -> String {
    let mut labels = format!("instance=\"{}\", job=\"{}\"", INSTANCES[target], metric.job());
    if let Some(c) = metric.code() {
        write!(labels, ", code=\"{c}\"").unwrap();
    }
    format!("{}{{{labels}}}", metric.name())
}

/// An alert's labels as promtool lists them (without `alertname`, which it adds).
fn alert_labels(rule: &AlertRule, l: Labels) -> BTreeMap<String, String> {
    let mut out = rule.labels.clone();
    if let Some(t) = l.target {
        out.insert("instance".into(), INSTANCES[t].into());
    }
    if let Some(j) = l.job {
        out.insert("job".into(), j.into());
    }
    if let Some(c) = l.code {
        out.insert("code".into(), c.into());
    }
    out
}

fn compile(specs: &[simpark::scenario::schema::AlertRuleSpec]) -> Vec<AlertRule> {
    let d = |s: &Option<String>| s.as_deref().map_or(SimDuration::ZERO, |t| parse_duration(t).unwrap());
    specs
        .iter()
        .map(|r| AlertRule {
            name: r.alert.clone(),
            expr: promql::compile(&r.expr).unwrap(),
            for_: d(&r.for_),
            keep_firing_for: d(&r.keep_firing_for),
            labels: r.labels.clone(),
        })
        .collect()
}

#[test]
fn live_promtool_test_rules_agrees_with_the_alerting_machine_at_every_evaluation() {
    let rules_path = repo("tests/data/prometheus/oracle-rules.yml");
    let text = std::fs::read_to_string(&rules_path).unwrap();
    let (specs, warnings) = prometheus::import(&text, "oracle-rules.yml").unwrap();
    // The one rule outside simpark's subset is listed with its line, not dropped.
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .to_string()
            .starts_with("oracle-rules.yml:39: alert `LoadAboveAverage` is not imported"),
        "{}",
        warnings[0]
    );
    let rules = compile(&specs);
    assert_eq!(rules.len(), 7);

    // simpark: the machine with Prometheus 2.x windows, fed the same samples.
    let cfg = AlertingConfig {
        closed_windows: true,
        ..AlertingConfig::default()
    };
    let mut a = Alerting::new(cfg, rules.clone());
    let input = input();
    // (minute, rule index) -> firing alert label sets.
    let mut firing: BTreeMap<(u64, usize), Vec<BTreeMap<String, String>>> = BTreeMap::new();
    for m in 0..=MINUTES {
        let t = SimTime::from_secs(60 * m);
        // Alertmanager's flushes between evaluations.
        while a.poll_timeout() < t {
            let due = a.poll_timeout();
            a.handle_timeout(due);
        }
        for (&(target, metric), samples) in &input {
            if let Sample::Value(v) = samples[m as usize] {
                a.handle_sample(t, target, metric, v);
            }
        }
        assert_eq!(a.poll_timeout(), t, "one evaluation a minute");
        a.handle_timeout(t);
        while a.poll_notification().is_some() {}
        for (_, ri, l) in a.firing() {
            firing.entry((m, ri)).or_default().push(alert_labels(&rules[ri], l));
        }
    }

    // promtool: the same series and, at every minute, every rule's expected alerts.
    let dir = tmpdir("promtool");
    std::fs::copy(&rules_path, dir.join("rules.yml")).unwrap();
    let mut y = String::from("rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n");
    y.push_str("    input_series:\n");
    for (&(target, metric), samples) in &input {
        let values: Vec<String> = samples
            .iter()
            .map(|s| match s {
                Sample::Value(v) => format!("{v}"),
                Sample::Stale => "stale".into(),
                Sample::Missing => "_".into(),
            })
            .collect();
        writeln!(
            y,
            "      - series: '{}'\n        values: '{}'",
            series_name(target, metric),
            values.join(" ")
        )
        .unwrap();
    }
    y.push_str("    alert_rule_test:\n");
    let mut instants_firing = 0;
    for m in 0..=MINUTES {
        for (ri, rule) in rules.iter().enumerate() {
            writeln!(y, "      - eval_time: {m}m\n        alertname: {}", rule.name).unwrap();
            match firing.get(&(m, ri)) {
                None => y.push_str("        exp_alerts: []\n"),
                Some(alerts) => {
                    instants_firing += 1;
                    y.push_str("        exp_alerts:\n");
                    for labels in alerts {
                        let l: Vec<String> = labels.iter().map(|(k, v)| format!("{k}: \"{v}\"")).collect();
                        writeln!(y, "          - exp_labels: {{{}}}", l.join(", ")).unwrap();
                    }
                }
            }
        }
    }
    std::fs::write(dir.join("test.yml"), &y).unwrap();
    let out = Command::new(promtool())
        .current_dir(&dir)
        .args(["test", "rules", "test.yml"])
        .output()
        .expect("promtool runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "promtool disagrees with simpark (test file {}):\n{stdout}\n{stderr}",
        dir.join("test.yml").display()
    );
    // The comparison is not vacuous: every rule fires at some instant and not at others.
    for (ri, rule) in rules.iter().enumerate() {
        let n = (0..=MINUTES).filter(|m| firing.contains_key(&(*m, ri))).count();
        assert!(
            n > 0 && n < MINUTES as usize,
            "{} fires at {n} of {MINUTES} instants",
            rule.name
        );
    }
    eprintln!(
        "promtool agrees at {} instants x {} rules ({instants_firing} with alerts firing)",
        MINUTES + 1,
        rules.len()
    );
}

#[test]
fn live_promtool_check_rules_accepts_the_shipped_rule_files() {
    for f in ["tests/data/prometheus/oracle-rules.yml", "examples/prod/rules.yml"] {
        let out = Command::new(promtool())
            .args(["check", "rules"])
            .arg(repo(f))
            .output()
            .expect("promtool runs");
        assert!(
            out.status.success(),
            "{f}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn amtool() -> &'static str {
    for p in ["/usr/bin/amtool", "/usr/local/bin/amtool"] {
        if std::path::Path::new(p).exists() {
            return p;
        }
    }
    panic!("amtool is not installed: `./test` installs it (apt-get install -y prometheus-alertmanager)");
}

/// The label sets routed by both: every matcher of the two files on both sides.
const LABEL_SETS: &[&str] = &[
    "",
    "x=y",
    "severity=page",
    "severity=ticket",
    "severity=critical",
    "alertname=InstanceDown severity=page instance=web1 job=node",
    "alertname=InstanceDown severity=page instance=store1 job=node",
    "alertname=HostHighLoad severity=ticket instance=web2 job=node",
    "alertname=ErrorBudgetFastBurn severity=page",
    "alertname=ErrorBudgetSlowBurn severity=page",
    "alertname=ErrorBudgetSlowBurn severity=info",
    "alertname=ErrorBudget severity=debug",
    "alertname=MyErrorBudgetBurn severity=page",
    "job=node instance=web1 severity=page",
    "job=node instance=web12 severity=critical",
    "job=node instance=web severity=critical",
    "job=node instance=xweb1 severity=page",
    "job=store instance=store1 severity=page",
    "job=store severity=critical team=web",
    "job=store severity=critical team=db",
    "job=storage severity=page",
    "job=mystore severity=page",
];

#[test]
fn live_amtool_routes_test_agrees_with_the_routing_tree() {
    let mut compared = 0;
    for f in ["examples/prod/alertmanager.yml", "tests/data/alertmanager/routes.yml"] {
        let check = Command::new(amtool())
            .args(["check-config"])
            .arg(repo(f))
            .output()
            .expect("amtool runs");
        assert!(
            check.status.success(),
            "amtool check-config {f}: {}",
            String::from_utf8_lossy(&check.stdout)
        );
        let text = std::fs::read_to_string(repo(f)).unwrap();
        let (am, _) = simpark::import::alertmanager::import(&text, f).unwrap();
        let imported = simpark::import::Imported {
            alertmanager: Some(am),
            ..Default::default()
        };
        let model = simpark::scenario::from_str(&imported.to_scenario_toml("routes", true), f, &[])
            .unwrap_or_else(|e| panic!("{e}"));
        let notifier = model.monitoring.expect("monitoring on").notifier;
        for set in LABEL_SETS {
            let labels: BTreeMap<String, String> = set
                .split_whitespace()
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap();
                    (k.to_string(), v.to_string())
                })
                .collect();
            let ours: Vec<String> = notifier
                .route
                .match_routes(&labels)
                .iter()
                .map(|(_, r)| r.receiver.clone())
                .collect();
            let out = Command::new(amtool())
                .args(["config", "routes", "test", "--config.file"])
                .arg(repo(f))
                .args(set.split_whitespace())
                .output()
                .expect("amtool runs");
            let theirs = String::from_utf8_lossy(&out.stdout).trim().to_string();
            assert_eq!(ours.join(","), theirs, "{f}: routes of {{{set}}}");
            compared += 1;
        }
    }
    eprintln!("amtool and simpark route {compared} label sets to the same receivers");
}
