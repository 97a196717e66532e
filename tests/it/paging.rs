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

/// `dir/name.toml`: the xpos baseline with `name` and the scenario text `extra`.
fn xpos_with(dir: &Path, name: &str, extra: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.toml"));
    let text = format!(
        "extends = \"{}\"\nname = \"{name}\"\n{extra}",
        repo("scenarios/baseline/xpos.toml").display()
    );
    std::fs::write(&path, text).unwrap();
    path
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
        let path = xpos_with(&dir, name, expect);
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

/// Availability mode with the example park's imported rules and Alertmanager tree
/// (examples/prod): crashes page through `InstanceDown` (`up{job="node"} == 0` for 5m) and the
/// pager route's group_wait 10 s, so 20 s sooner on average than the built-in rule (360 s:
/// half a minute to the next evaluation, 5 min, group_wait 30 s); the rules over request
/// counters, disk space and the aggregate over targets are listed as not evaluated, with the
/// series they need, in summary.json and the terminal table.
#[test]
fn availability_mode_pages_with_the_example_parks_imported_rules() {
    let dir = tmpdir("avail-paging-prod");
    let out = run_ok(
        simpark()
            .args(["run", "examples/prod/scenario.toml", "--out"])
            .arg(dir.join("out"))
            .args([
                "--set",
                "mode=\"availability\"",
                "--set",
                "replications=20",
                "--set",
                "horizon=\"5y\"",
            ])
            .current_dir(repo(".")),
    );
    let table = String::from_utf8_lossy(&out.stdout);
    for line in [
        "ErrorBudgetFastBurn      not evaluated in availability mode: needs haproxy_backend_http_requests_total, haproxy_backend_http_responses_total{code=\"5xx\"}",
        "HostDiskWillFillIn4Hours not evaluated in availability mode: needs node_filesystem_avail_bytes",
        "BackendServersDown       not evaluated in availability mode: its alerts carry no `instance`",
    ] {
        assert!(table.contains(line), "{line}\n{table}");
    }
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("out/summary.json")).unwrap()).unwrap();
    let paging = s["paging"].as_array().expect("paging[]");
    let rules: Vec<&str> = paging.iter().map(|r| r["rule"].as_str().unwrap()).collect();
    assert_eq!(
        rules,
        [
            "InstanceDown",
            "HostHighLoad",
            "HostDiskWillFillIn4Hours",
            "HostDiskAlmostFull",
            "ErrorBudgetFastBurn",
            "ErrorBudgetSlowBurn",
            "BackendServersDown",
            "(any rule)"
        ]
    );
    for (rule, needs) in [
        ("HostHighLoad", "needs node_load1"),
        (
            "HostDiskAlmostFull",
            "needs node_filesystem_avail_bytes, node_filesystem_size_bytes",
        ),
        (
            "ErrorBudgetSlowBurn",
            "needs haproxy_backend_http_requests_total, haproxy_backend_http_responses_total{code=\"5xx\"}",
        ),
    ] {
        let r = row(paging, rule);
        assert_eq!(r["not_evaluated"].as_str(), Some(needs), "{r}");
        assert_eq!(
            (r["pages_total"].as_u64(), r["recall"].as_f64()),
            (Some(0), None),
            "{r}"
        );
    }
    let down = row(paging, "InstanceDown");
    assert!(down.get("not_evaluated").is_none(), "{down}");
    // The park's failures all silence their target (no slowdowns by default): every one pages.
    assert!(down["incidents_total"].as_u64().unwrap() > 500, "{down}");
    assert_eq!(num(&down["recall"]), 1.0);
    let detect_s = num(&down["detect_ms"]["value"]) / 1e3;
    assert!((335.0..=345.0).contains(&detect_s), "30 s + 5 min + 10 s: {detect_s}");
    // repeat_interval 1h on the pager route: more resends than the built-in 4 h would give.
    assert!(down["pages_total"].as_u64() > down["incidents_total"].as_u64());
    assert_eq!(s["alerts"][0]["alert"], "InstanceDown");
}

/// Two imported `up == 0` rules, `for: 0` and `for: 2m`, under an imported group_wait of 45 s
/// page each failure that silences a server 30 s (the mean wait for the next evaluation) plus
/// `for` plus 45 s after it: 75 s and 195 s, both before the built-in rule's 360 s. Each rule
/// has its row over the same incidents, the earlier one is every failure's page, and a rule on
/// request counters is listed, not evaluated; `alert_rule` naming it is refused (exit 2).
#[test]
fn imported_rules_page_with_their_for_and_group_wait_in_availability_mode() {
    let dir = tmpdir("avail-paging-for");
    let rules = r#"
[[monitoring.rules]]
alert = "DownNow"
expr = "up == 0"

[[monitoring.rules]]
alert = "Down2m"
expr = "up == 0"
for = "2m"

[[monitoring.rules]]
alert = "Errors"
expr = "rate(haproxy_backend_http_responses_total{code=\"5xx\"}[5m]) > 1"

[monitoring.alertmanager.route]
group_wait = "45s"
"#;
    let write = |name: &str, extra: &str| xpos_with(&dir, name, &format!("{rules}{extra}"));
    let path = write("for", "");
    run_ok(simpark().arg("run").arg(&path).arg("--out").arg(dir.join("out")).args([
        "--set",
        "replications=20",
        "--set",
        "horizon=\"5y\"",
    ]));
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("out/summary.json")).unwrap()).unwrap();
    let paging = s["paging"].as_array().expect("paging[]");
    let detect_s = |rule: &str| num(&row(paging, rule)["detect_ms"]["value"]) / 1e3;
    let (now, two, any) = (detect_s("DownNow"), detect_s("Down2m"), detect_s("(any rule)"));
    assert!((73.0..=77.0).contains(&now), "0 + 45 s: {now}");
    assert!((193.0..=197.0).contains(&two), "2 min + 45 s: {two}");
    assert_eq!(any, now, "the earlier rule is every failure's page");
    assert!(two < 360.0 - 60.0, "the built-in InstanceDown pages at 360 s");
    let incidents = |rule: &str| row(paging, rule)["incidents_total"].as_u64().unwrap();
    assert_eq!(incidents("DownNow"), incidents("(any rule)"));
    assert_eq!(incidents("Down2m"), incidents("(any rule)"));
    assert_eq!(num(&row(paging, "Down2m")["recall"]), 1.0);
    assert!(
        row(paging, "Errors")["not_evaluated"]
            .as_str()
            .unwrap()
            .contains("haproxy_backend_http_responses_total{code=\"5xx\"}")
    );

    let path = write(
        "refused",
        "\n[[expect]]\nalert_rule = \"Errors\"\nalert_recall_min = 0.5\n",
    );
    let out = simpark()
        .args(["check", "--out"])
        .arg(dir.join("refused"))
        .arg(&path)
        .output()
        .unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(2), "{printed}");
    assert!(
        printed.contains(
            "`Errors` is not evaluated in availability mode: needs haproxy_backend_http_responses_total{code=\"5xx\"}"
        ) && printed.contains("the rules it evaluates are DownNow, Down2m"),
        "{printed}"
    );
}
