//! "Would my alerts have paged?" in availability mode: per-rule figures over years of random
//! failures, each failure's alert episode stepped through the alerting machine, and the
//! paging keys of `simpark check` on them.

use crate::{repo, run_ok, simpark, tmpdir};
use std::path::Path;

/// The full park over 5 years, 20 replications, with 30% of the failures slowdowns (paged by
/// HighLoad, not InstanceDown).
const SETS: [&str; 3] = ["replications=20", "horizon=\"5y\"", "reliability.web.slowdown=0.3"];

fn sets(extra: &[&str]) -> Vec<String> {
    SETS.iter()
        .chain(extra)
        .flat_map(|s| ["--set".to_string(), s.to_string()])
        .collect()
}

fn row<'a>(paging: &'a [serde_json::Value], rule: &str) -> &'a serde_json::Value {
    paging
        .iter()
        .find(|r| r["rule"] == rule)
        .unwrap_or_else(|| panic!("no paging row {rule}: {paging:?}"))
}

fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn availability_runs_give_per_rule_paging_figures_with_cis() {
    let dir = tmpdir("avail-paging");
    let run = |jobs: &str, out: &Path| {
        run_ok(
            simpark()
                .args(["run", "scenarios/baseline/xpos.toml", "--jobs", jobs, "--out"])
                .arg(out)
                .args(sets(&[]))
                .current_dir(repo(".")),
        )
    };
    let out = run("1", &dir.join("j1"));
    run("2", &dir.join("j2"));
    let bytes = std::fs::read(dir.join("j1/summary.json")).unwrap();
    assert_eq!(
        bytes,
        std::fs::read(dir.join("j2/summary.json")).unwrap(),
        "same bytes for any --jobs"
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("alert rule") && table.contains("(any rule)"), "{table}");

    let s: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let paging = s["paging"].as_array().expect("paging[] in an availability summary");
    let rules: Vec<&str> = paging.iter().map(|r| r["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["InstanceDown", "HighLoad", "(any rule)"]);
    let (down, load, any) = (
        row(paging, "InstanceDown"),
        row(paging, "HighLoad"),
        row(paging, "(any rule)"),
    );
    let count = |r: &serde_json::Value, k: &str| r[k].as_u64().unwrap();
    // Every component failure of every replication is an incident of each row.
    let incidents = count(any, "incidents_total");
    assert!(incidents > 1000, "20 x 5 years of failures: {incidents}");
    for r in [down, load] {
        assert_eq!(count(r, "incidents_total"), incidents);
        // Each rule pages only for its own target's failure: nothing else to page about.
        assert_eq!(count(r, "false_pages_total"), 0);
        let recall = num(&r["recall"]);
        assert!(
            0.05 < recall && recall < 0.95,
            "each rule misses the other's failures: {recall}"
        );
        // Page: the rule's `for`, the 1-minute evaluation phase and group_wait 30 s.
        // Reset: the evaluation after the repair (<= 1 min) and the group's next 5-minute tick.
        let reset = &r["reset_ms"];
        assert!(num(&reset["ci95"]) > 0.0);
        assert!((0.0..=6.0 * 60e3).contains(&num(&reset["value"])), "{reset}");
        assert!(num(&r["pages_per_week"]["ci95"]) > 0.0);
    }
    let detect_min = |r: &serde_json::Value| num(&r["detect_ms"]["value"]) / 60e3;
    assert!(
        (5.5..=6.5).contains(&detect_min(down)),
        "up == 0 for 5m: {}",
        detect_min(down)
    );
    assert!(
        (10.5..=11.5).contains(&detect_min(load)),
        "load > 1 for 10m: {}",
        detect_min(load)
    );
    assert!(num(&down["detect_ms"]["ci95"]) > 0.0);
    // Together the rules detect every failure but those still unpaged when the run ends.
    let detected = |r: &serde_json::Value| incidents - count(r, "missed_incidents_total");
    assert_eq!(detected(down) + detected(load), detected(any));
    assert!(
        count(any, "missed_incidents_total") <= 20,
        "at most one unpaged failure per replication"
    );
    // Repeats (repeat_interval 4 h) make more pages than incidents.
    assert_eq!(
        count(any, "pages_total"),
        count(down, "pages_total") + count(load, "pages_total")
    );
    assert!(count(any, "pages_total") > detected(any));
    let per_week = num(&any["pages_per_week"]["value"]);
    let weeks = 20.0 * (5.0 * 365.0 - 1.0) / 7.0;
    assert!(
        (per_week - count(any, "pages_total") as f64 / weeks).abs() < 1e-9,
        "{per_week}"
    );
}

/// `alert_recall_min` in availability mode: InstanceDown catches the failures that silence a
/// server, not the slowdowns, so a 0.5 floor passes and HighLoad's fails; a rule the mode
/// feeds no series to is refused.
#[test]
fn availability_checks_judge_alert_recall() {
    let dir = tmpdir("avail-paging-check");
    let check = |name: &str, expect: &str| {
        let path = dir.join(format!("{name}.toml"));
        let text = format!(
            "extends = \"{}\"\nname = \"{name}\"\n{expect}",
            repo("scenarios/baseline/xpos.toml").display()
        );
        std::fs::write(&path, text).unwrap();
        let out = simpark()
            .args(["check", "--out"])
            .arg(dir.join(name))
            .arg(&path)
            .args(sets(&[]))
            .output()
            .unwrap();
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), printed)
    };
    let (code, printed) = check(
        "recall-ok",
        "[[expect]]\nalert_rule = \"InstanceDown\"\nalert_recall_min = 0.5\n\n[[expect]]\nalert_recall_min = 0.99\nalert_pages_per_week_max = 1.0\n",
    );
    assert_eq!(code, Some(0), "{printed}");
    assert!(
        printed.contains("alert_recall_min") && printed.contains("alert_pages_per_week_max"),
        "{printed}"
    );
    let (code, printed) = check(
        "recall-low",
        "[[expect]]\nalert_rule = \"HighLoad\"\nalert_recall_min = 0.5\n",
    );
    assert_eq!(
        code,
        Some(1),
        "HighLoad misses every failure that is not a slowdown: {printed}"
    );
    assert!(printed.contains("alert_recall_min"), "{printed}");
    let (code, printed) = check(
        "no-series",
        "[[expect]]\nalert_rule = \"HighMemory\"\nalert_recall_min = 0.5\n",
    );
    assert_eq!(code, Some(2), "{printed}");
    assert!(
        printed.contains("HighMemory")
            && printed.contains("availability mode")
            && printed.contains("InstanceDown, HighLoad"),
        "{printed}"
    );
}
