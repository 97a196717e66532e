//! `[[expect]]` blocks evaluated over a finished run: the failover regression checks.
//!
//! Reads summaries only; never simulates. Each key of an `[[expect]]` block is one check with
//! its measured value and its bound, so a CI log or a JUnit report can say exactly what broke.

use crate::report::summary::{AvailSummary, Summary};
use crate::scenario::{FaultKind, Model};
use crate::sim::avail::AvailMetrics;

/// The outcome of one expectation.
#[derive(Clone, Debug)]
pub struct CheckResult {
    /// `expect[i].key`: which block and which key, the identity `simpark shrink` preserves.
    pub name: String,
    /// The measured value as printed.
    pub measured: String,
    /// The bound as printed (`<= 12500`, `split_brain = false`).
    pub bound: String,
    /// The measured value as a number (infinite when, e.g., a failure was never detected).
    pub(crate) value: f64,
    /// Whether the bound held.
    pub passed: bool,
}

fn check(name: String, measured: f64, bound: f64, at_least: bool, digits: usize) -> CheckResult {
    let passed = if at_least { measured >= bound } else { measured <= bound };
    let op = if at_least { ">=" } else { "<=" };
    CheckResult {
        name,
        measured: format!("{measured:.digits$}"),
        bound: format!("{op} {bound}"),
        value: measured,
        passed,
    }
}

/// The worst of a per-restore (or per-event) figure over all replications; 0 when none.
fn worst(reps: &[AvailMetrics], f: impl Fn(&AvailMetrics) -> &[f64]) -> f64 {
    reps.iter().flat_map(|r| f(r).iter().copied()).fold(0.0, f64::max)
}

/// Longest time from a scripted failure of a web server to lb1 marking it DOWN, over all
/// replications [ms]; infinite when some failure was never detected.
pub fn detect_ms_max(model: &Model, s: &Summary) -> f64 {
    let mut worst: f64 = 0.0;
    for f in &model.faults {
        if matches!(f.kind, FaultKind::Recover | FaultKind::Slow) {
            continue;
        }
        let name = model.topology.name(f.node);
        let at_ms = f.at.as_millis_f64();
        for rep in 0..s.header.replications {
            let down = s.health_events.iter().find(|e| {
                e.replication == rep
                    && e.server == name
                    && e.state == crate::report::summary::HealthState::Down
                    && e.at_ms >= at_ms
            });
            worst = worst.max(down.map_or(f64::INFINITY, |e| e.at_ms - at_ms));
        }
    }
    worst
}

/// The paging keys (`alert_recall_min`, `alert_precision_min`, `alert_detect_ms_max`,
/// `alert_pages_per_week_max`) against the row of `alert_rule` (or every rule together).
fn paging_checks(
    k: &dyn Fn(&str) -> String,
    e: &crate::scenario::schema::Expect,
    rows: &[crate::report::paging::RulePaging],
) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let name = e.alert_rule.as_deref().unwrap_or(crate::report::paging::ANY_RULE);
    let Some(row) = rows.iter().find(|r| r.rule == name) else {
        return out;
    };
    if let Some(b) = e.alert_recall_min {
        out.push(check(k("alert_recall_min"), row.recall.unwrap_or(0.0), b, true, 3));
    }
    if let Some(b) = e.alert_precision_min {
        out.push(check(
            k("alert_precision_min"),
            row.precision.unwrap_or(0.0),
            b,
            true,
            3,
        ));
    }
    if let Some(b) = e.alert_detect_ms_max {
        let worst = match (&row.detect_ms, row.missed_incidents_total) {
            (Some(d), 0) => d.value + d.ci95.unwrap_or(0.0),
            _ => f64::INFINITY,
        };
        out.push(check(k("alert_detect_ms_max"), worst, b, false, 1));
    }
    if let Some(b) = e.alert_pages_per_week_max {
        out.push(check(
            k("alert_pages_per_week_max"),
            row.pages_per_week.value,
            b,
            false,
            3,
        ));
    }
    out
}

/// Evaluate a request-level run's expectations.
pub(crate) fn evaluate_requests(model: &Model, s: &Summary) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for (i, e) in model.spec.expects.iter().enumerate() {
        let k = |key: &str| format!("expect[{i}].{key}");
        let m = &s.metrics;
        if let Some(b) = e.availability_request_min {
            out.push(check(k("availability_request_min"), m.success_ratio.value, b, true, 6));
        }
        if let Some(b) = e.latency_ms_p99_max {
            out.push(check(k("latency_ms_p99_max"), m.latency_ms_p99.value, b, false, 3));
        }
        if let Some(b) = e.failed_requests_max {
            out.push(check(
                k("failed_requests_max"),
                m.requests_failed_total as f64,
                b as f64,
                false,
                0,
            ));
        }
        if let Some(b) = e.detect_ms_max {
            out.push(check(k("detect_ms_max"), detect_ms_max(model, s), b, false, 1));
        }
        if let Some(b) = e.failover_ms_max {
            // No takeover happened: nothing exceeded the bound.
            out.push(check(
                k("failover_ms_max"),
                m.storage_takeover_ms_max.unwrap_or(0.0),
                b,
                false,
                1,
            ));
        }
        if let Some(b) = e.lost_writes_ms_max {
            out.push(check(
                k("lost_writes_ms_max"),
                m.failover_lost_writes_s_total * 1e3,
                b,
                false,
                1,
            ));
        }
        if let Some(b) = e.replication_lag_ms_max {
            out.push(check(
                k("replication_lag_ms_max"),
                m.failover_lost_writes_ms_max,
                b,
                false,
                1,
            ));
        }
        if let Some(alert) = &e.alert_fired {
            out.push(alert_check(k("alert_fired"), model, s, alert, e.alert_within_ms));
        }
        out.extend(paging_checks(&k, e, &s.paging));
        if let Some(allowed) = e.split_brain {
            let measured = m.split_brain_s_total;
            out.push(CheckResult {
                name: k("split_brain"),
                measured: format!("{measured:.3} s with two writable primaries"),
                bound: format!("split_brain = {allowed}"),
                value: measured,
                passed: allowed || measured == 0.0,
            });
        }
    }
    out
}

/// `alert_fired` at request level: in every replication the alert paged on-call, within
/// `within_ms` of the first scripted fault when given.
fn alert_check(name: String, model: &Model, s: &Summary, alert: &str, within_ms: Option<f64>) -> CheckResult {
    let fault_ms = model.faults.first().map_or(0.0, |f| f.at.as_millis_f64());
    let mut worst: f64 = 0.0;
    for rep in 0..s.header.replications {
        let first = s
            .alerts
            .iter()
            .find(|a| a.replication == rep && a.alert == alert && a.at_ms >= fault_ms);
        worst = worst.max(first.map_or(f64::INFINITY, |a| a.at_ms - fault_ms));
    }
    let passed = worst.is_finite() && within_ms.is_none_or(|w| worst <= w);
    CheckResult {
        name,
        measured: if worst.is_finite() {
            format!("`{alert}` paged {worst:.0} ms after the first fault (latest replication)")
        } else {
            format!("`{alert}` did not page in every replication")
        },
        bound: match within_ms {
            Some(w) => format!("`{alert}` fired within {w} ms"),
            None => format!("`{alert}` fired"),
        },
        value: worst,
        passed,
    }
}

/// Evaluate an availability run's expectations; `reps` are the replications `s` summarises
/// (the worst-case keys look at every event, not at means).
pub(crate) fn evaluate_availability(model: &Model, s: &AvailSummary, reps: &[AvailMetrics]) -> Vec<CheckResult> {
    assert_eq!(reps.len(), s.header.replications as usize, "the summary's replications");
    let mut out = Vec::new();
    for (i, e) in model.spec.expects.iter().enumerate() {
        let k = |key: &str| format!("expect[{i}].{key}");
        out.extend(avail_summary_checks(&k, e, s));
        out.extend(avail_worst_case_checks(&k, e, reps));
    }
    out
}

/// The availability keys of expectation `e` checked against the summary's figures (means
/// across replications, pages of the first replication).
fn avail_summary_checks(
    k: &dyn Fn(&str) -> String,
    e: &crate::scenario::schema::Expect,
    s: &AvailSummary,
) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let m = &s.metrics;
    if let Some(b) = e.availability_request_min {
        out.push(check(
            k("availability_request_min"),
            m.availability_request.value,
            b,
            true,
            7,
        ));
    }
    if let Some(b) = e.availability_time_min {
        out.push(check(k("availability_time_min"), m.availability_time.value, b, true, 7));
    }
    if let Some(b) = e.failover_ms_max {
        // No takeover happened: nothing exceeded the bound.
        out.push(check(
            k("failover_ms_max"),
            m.takeover_ms_max.unwrap_or(0.0),
            b,
            false,
            1,
        ));
    }
    if let Some(b) = e.data_loss_max {
        out.push(check(k("data_loss_max"), m.data_loss_events.value, b, false, 3));
    }
    out.extend(paging_checks(&k, e, &s.paging));
    if let Some(allowed) = e.split_brain {
        let measured = m.split_brain_s_per_year.value;
        let passed = allowed || measured == 0.0;
        out.push(CheckResult {
            name: k("split_brain"),
            measured: format!("{measured:.3} s/year with two writable primaries"),
            bound: format!("split_brain = {allowed}"),
            value: measured,
            passed,
        });
    }
    if let Some(alert) = &e.alert_fired {
        let n = s.alerts.iter().filter(|a| a.alert == alert.as_str()).count();
        out.push(CheckResult {
            name: k("alert_fired"),
            measured: format!("{n} pages"),
            bound: format!("`{alert}` fired"),
            value: n as f64,
            passed: n > 0,
        });
    }
    out
}

/// The availability keys of expectation `e` checked against every event of every
/// replication (worst cases and totals, not means).
fn avail_worst_case_checks(
    k: &dyn Fn(&str) -> String,
    e: &crate::scenario::schema::Expect,
    reps: &[AvailMetrics],
) -> Vec<CheckResult> {
    let mut out = Vec::new();
    if let Some(b) = e.lb_takeover_ms_max {
        out.push(check(
            k("lb_takeover_ms_max"),
            worst(reps, |r| &r.lb_takeover_ms),
            b,
            false,
            1,
        ));
    }
    if let Some(b) = e.raid_array_losses_max {
        let n: u64 = reps.iter().map(|r| r.raid_array_losses).sum();
        out.push(check(k("raid_array_losses_max"), n as f64, b as f64, false, 0));
    }
    if let Some(b) = e.restores_min {
        let n: usize = reps.iter().map(|r| r.rpo_h.len()).sum();
        out.push(check(k("restores_min"), n as f64, b as f64, true, 0));
    }
    if let Some(b) = e.rpo_h_max {
        out.push(check(k("rpo_h_max"), worst(reps, |r| &r.rpo_h), b, false, 3));
    }
    if let Some(b) = e.rto_h_max {
        out.push(check(k("rto_h_max"), worst(reps, |r| &r.rto_h), b, false, 3));
    }
    if let Some(b) = e.lost_writes_ms_max {
        let ns: u64 = reps.iter().map(|r| r.failover_lost_writes_ns).sum();
        out.push(check(k("lost_writes_ms_max"), ns as f64 / 1e6, b, false, 1));
    }
    if let Some(b) = e.replication_lag_ms_max {
        let ns = reps.iter().map(|r| r.failover_lost_writes_ns_max).max().unwrap_or(0);
        out.push(check(k("replication_lag_ms_max"), ns as f64 / 1e6, b, false, 1));
    }
    out
}

/// One checked scenario as a JUnit test suite.
#[derive(Clone, Debug)]
pub struct Suite {
    /// The scenario's name.
    pub name: String,
    /// The file it came from.
    pub file: String,
    /// The root seed the run used.
    pub seed: u64,
    /// One result per expectation over the whole run.
    pub results: Vec<CheckResult>,
    /// The same expectations on each replication alone, in index order.
    pub per_replication: Vec<Vec<CheckResult>>,
    /// The command that replays a failing scenario (`simpark check CAPSULE`).
    pub replay: Option<String>,
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A JUnit XML report of checks: one test suite per scenario (properties: file, seed,
/// replications, replay line), one test case per expectation (properties: measured value,
/// bound, seed, replay line; the value on each replication in `system-out`).
pub fn junit(suites: &[Suite]) -> String {
    let esc = xml_escape;
    let prop = |name: &str, value: &str| format!("<property name=\"{name}\" value=\"{}\"/>", esc(value));
    let tests: usize = suites.iter().map(|s| s.results.len()).sum();
    let failures: usize = suites
        .iter()
        .map(|s| s.results.iter().filter(|c| !c.passed).count())
        .sum();
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"simpark check\" tests=\"{tests}\" failures=\"{failures}\">\n"
    );
    for s in suites {
        let f = s.results.iter().filter(|c| !c.passed).count();
        x.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\">\n    <properties>",
            esc(&s.name),
            s.results.len()
        ));
        x.push_str(&prop("file", &s.file));
        x.push_str(&prop("seed", &s.seed.to_string()));
        x.push_str(&prop("replications", &s.per_replication.len().to_string()));
        if let Some(r) = &s.replay {
            x.push_str(&prop("replay", r));
        }
        x.push_str("</properties>\n");
        for (i, c) in s.results.iter().enumerate() {
            x.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\">\n      <properties>",
                esc(&s.name),
                esc(&c.name)
            ));
            x.push_str(&prop("measured", &c.measured));
            x.push_str(&prop("bound", &c.bound));
            x.push_str(&prop("seed", &s.seed.to_string()));
            if let Some(r) = &s.replay {
                x.push_str(&prop("replay", r));
            }
            x.push_str("</properties>\n");
            if !c.passed {
                x.push_str(&format!(
                    "      <failure message=\"measured {}, expected {}\"/>\n",
                    esc(&c.measured),
                    esc(&c.bound)
                ));
            }
            let lines: Vec<String> = s
                .per_replication
                .iter()
                .enumerate()
                .filter_map(|(rep, results)| {
                    let r = results.get(i)?;
                    debug_assert_eq!(r.name, c.name, "the same expectations in the same order");
                    let tag = if r.passed { "ok" } else { "FAIL" };
                    Some(format!(
                        "replication {rep}: {tag} {} (expected {})",
                        r.measured, r.bound
                    ))
                })
                .collect();
            if !lines.is_empty() {
                x.push_str(&format!("      <system-out>{}</system-out>\n", esc(&lines.join("\n"))));
            }
            x.push_str("    </testcase>\n");
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, measured: f64, passed: bool) -> CheckResult {
        CheckResult {
            name: name.into(),
            measured: format!("{measured}"),
            bound: "<= 5 & <7".into(),
            value: measured,
            passed,
        }
    }

    #[test]
    fn junit_carries_properties_and_each_replication() {
        let suite = Suite {
            name: "web_hang".into(),
            file: "scenarios/ci/web_hang.toml".into(),
            seed: 7,
            results: vec![result("expect[0].detect_ms_max", 9.0, false)],
            per_replication: vec![
                vec![result("expect[0].detect_ms_max", 4.0, true)],
                vec![result("expect[0].detect_ms_max", 9.0, false)],
            ],
            replay: Some("simpark check results/check/web_hang.capsule.toml".into()),
        };
        let x = junit(&[suite]);
        for needle in [
            "tests=\"1\" failures=\"1\"",
            "<property name=\"seed\" value=\"7\"/>",
            "<property name=\"replications\" value=\"2\"/>",
            "<property name=\"measured\" value=\"9\"/>",
            "<property name=\"bound\" value=\"&lt;= 5 &amp; &lt;7\"/>",
            "<property name=\"replay\" value=\"simpark check results/check/web_hang.capsule.toml\"/>",
            "<failure message=\"measured 9, expected &lt;= 5 &amp; &lt;7\"/>",
            "replication 0: ok 4 (expected &lt;= 5 &amp; &lt;7)\nreplication 1: FAIL 9",
        ] {
            assert!(x.contains(needle), "missing {needle}:\n{x}");
        }
    }
}
