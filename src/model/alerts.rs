//! The names of the alerts the availability mode pages with, and which alerting rules it can
//! evaluate, so that the scenario layer can validate `[[expect]]` alert names and the report
//! can list the rules it left out, without knowing the simulator.

use crate::policy::alerting::{AlertRule, Metric};

/// `RaidDegraded`: mdadm's degraded-array event, paged with `InstanceDown`'s timing.
pub(crate) const RAID_DEGRADED: &str = "RaidDegraded";

/// The alerts the availability mode pages with: the rules it steps (`InstanceDown`,
/// `HighLoad`, `SmartWarning`) and [`RAID_DEGRADED`].
pub(crate) const ALERTS: [&str; 4] = ["InstanceDown", "HighLoad", "SmartWarning", RAID_DEGRADED];

/// The rules the availability driver steps through the alerting machine over a component
/// failure's whole episode, for "would my alerts have paged?" (`report/paging.rs`): `up == 0`
/// for a failure that silences the target, `load per core > 1` for a slowdown. The other
/// built-in rules watch series the long-horizon driver does not produce (memory, disk usage
/// and its trend); SMART warnings and degraded arrays page, but are not incidents of their own.
pub(crate) const PAGING_RULES: [&str; 2] = ["InstanceDown", "HighLoad"];

/// The series the availability driver feeds an alert episode, for the failed component
/// alone: `up` (0 while it is down), load per core (a slowdown) and the SMART warning.
pub(crate) const AVAIL_SERIES: [Metric; 3] = [Metric::Up, Metric::LoadPerCore, Metric::SmartWarning];

/// Why the availability mode does not evaluate `rule` (`None`: it does): its expression
/// gives nothing from [`AVAIL_SERIES`], or its alerts carry no `instance` (an aggregate over
/// targets; each failure's episode has one target).
pub(crate) fn avail_skipped(rule: &AlertRule) -> Option<String> {
    if !rule.expr.can_select(&AVAIL_SERIES) {
        let missing: Vec<String> = rule
            .expr
            .series()
            .into_iter()
            .filter(|m| !AVAIL_SERIES.contains(m))
            .map(series_name)
            .collect();
        return Some(format!("needs {}", missing.join(", ")));
    }
    if !rule.expr.keeps_instance() {
        return Some(
            "its alerts carry no `instance` (an aggregate over targets; each failure's alerts are stepped alone)"
                .into(),
        );
    }
    None
}

/// [`AVAIL_SERIES`] as PromQL names, for messages.
pub(crate) fn avail_series_names() -> String {
    AVAIL_SERIES.map(|m| m.name()).join(", ")
}

/// A series as a PromQL selector: its name, and the `code` of HAProxy's response classes.
fn series_name(m: Metric) -> String {
    match m.code() {
        Some(code) => format!("{}{{code=\"{code}\"}}", m.name()),
        None => m.name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::alerting::{default_rules, promql};
    use crate::units::SimDuration;

    fn rule(expr: &str) -> AlertRule {
        AlertRule {
            name: "R".into(),
            expr: promql::compile(expr).expect(expr),
            for_: SimDuration::ZERO,
            keep_firing_for: SimDuration::ZERO,
            labels: Default::default(),
        }
    }

    #[test]
    fn rules_are_skipped_for_the_series_they_need_or_an_aggregate() {
        for (expr, why) in [
            ("up{job=\"node\"} == 0", None),
            ("max_over_time(up[10m]) == 0 or node_load1 > 8", None),
            ("simpark_load_per_core > 1 unless node_load1 > 100", None),
            ("sum by (instance) (up) == 0", None),
            ("node_load1 > 8", Some("needs node_load1")),
            (
                "predict_linear(node_filesystem_avail_bytes[6h], 4 * 3600) < 0",
                Some("needs node_filesystem_avail_bytes"),
            ),
            (
                "sum(rate(haproxy_backend_http_responses_total{code=\"5xx\"}[5m])) / sum(rate(haproxy_backend_http_requests_total[5m])) > 0.01",
                Some("needs haproxy_backend_http_requests_total, haproxy_backend_http_responses_total{code=\"5xx\"}"),
            ),
            ("up == 0 and node_load1 > 8", Some("needs node_load1")),
            ("count(up == 0) >= 2", Some("no `instance`")),
            ("up == on(job) up", Some("no `instance`")),
        ] {
            let got = avail_skipped(&rule(expr));
            match why {
                None => assert_eq!(got, None, "{expr}"),
                Some(w) => assert!(got.as_deref().is_some_and(|g| g.contains(w)), "{expr}: {got:?}"),
            }
        }
        // The built-in rules: the paging pair and SmartWarning are evaluated.
        let evaluated: Vec<String> = default_rules()
            .into_iter()
            .filter(|r| avail_skipped(r).is_none())
            .map(|r| r.name)
            .collect();
        assert_eq!(evaluated, ["InstanceDown", "HighLoad", "SmartWarning"]);
    }
}
