//! "Would my alerts have paged?": per alert rule, what only a simulator knows (the SRE
//! workbook's alerting chapter): true and false pages, missed incidents, detection time,
//! reset time, precision, recall and pages per on-call week.
//!
//! Incidents are the scenario's scripted faults: from a fault that breaks a node (`crash`,
//! `process_death`, `hang`, `slow`, `partition`, `disk_fill`) to that node's next `recover` or
//! `heal` (or the end of the run). A page is a firing notification (one per alert and instant,
//! however many receivers it reached); it is true when an incident is under way or ended at
//! most [`ATTRIBUTION_GRACE_MS`] before, false otherwise. An incident is detected by a rule
//! when one of the rule's pages is true for it; its detection time is from the incident's
//! start to the first such page, its reset time from the incident's end to that alert
//! resolving. Counts are totals over replications; rates and times are means across
//! replications with a 95% CI.
//!
//! Reads finished results (the model's faults and each replication's pages) only.

use crate::scenario::{FaultKind, Model};
use crate::sim::metrics::{AlertRecord, RepMetrics};
use crate::stats::Estimate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A page up to this long after an incident ended still counts for it [ms]: alerts lag by
/// their `for`, rate windows and `group_wait` (model choice: 15 minutes).
pub(crate) const ATTRIBUTION_GRACE_MS: f64 = 15.0 * 60_000.0;

/// The name of the row that takes every rule together.
pub(crate) const ANY_RULE: &str = "(any rule)";

/// One scripted incident.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Incident {
    pub(crate) node: String,
    pub(crate) start_ms: f64,
    pub(crate) end_ms: f64,
}

/// The incidents of a request-level run, in time order.
pub(crate) fn incidents(model: &Model) -> Vec<Incident> {
    let horizon_ms = model.horizon.as_secs_f64() * 1e3;
    let mut faults: Vec<_> = model.faults.iter().collect();
    faults.sort_by_key(|f| f.at);
    let mut out: Vec<Incident> = Vec::new();
    let mut open: Vec<(usize, usize)> = Vec::new(); // (node, index in out)
    for f in faults {
        let at = f.at.as_secs_f64() * 1e3;
        match f.kind {
            FaultKind::Recover | FaultKind::Heal => {
                open.retain(|&(node, i)| {
                    let ends = node == f.node;
                    if ends {
                        out[i].end_ms = at;
                    }
                    !ends
                });
            }
            _ => {
                if open.iter().all(|&(node, _)| node != f.node) {
                    open.push((f.node, out.len()));
                    out.push(Incident {
                        node: model.topology.name(f.node).to_string(),
                        start_ms: at,
                        end_ms: horizon_ms,
                    });
                }
            }
        }
    }
    out
}

/// The paging figures of one rule (or of every rule together).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RulePaging {
    pub(crate) rule: String,
    pub(crate) pages_total: u64,
    pub(crate) true_pages_total: u64,
    pub(crate) false_pages_total: u64,
    /// Incidents over all replications (each replication replays the same faults).
    pub(crate) incidents_total: u64,
    pub(crate) missed_incidents_total: u64,
    /// True pages / pages (`null` without pages).
    pub(crate) precision: Option<f64>,
    /// Detected incidents / incidents (`null` without incidents).
    pub(crate) recall: Option<f64>,
    /// Incident start to the first page [ms], mean over the replications that detected one.
    pub(crate) detect_ms: Option<Estimate>,
    /// Incident end to the alert resolving [ms], over alerts that resolved.
    pub(crate) reset_ms: Option<Estimate>,
    pub(crate) pages_per_week: Estimate,
}

/// Distinct pages (alert, target, instant) of one replication, for the rule (or all).
fn pages<'a>(r: &'a RepMetrics, rule: Option<&str>) -> Vec<&'a AlertRecord> {
    let mut seen = BTreeSet::new();
    r.alerts
        .iter()
        .filter(|a| rule.is_none_or(|n| a.alert == n))
        .filter(|a| seen.insert((a.at_ms.to_bits(), a.alert.as_str(), a.target.as_str())))
        .collect()
}

fn attributed(a: &AlertRecord, i: &Incident) -> bool {
    i.start_ms <= a.at_ms && a.at_ms <= i.end_ms + ATTRIBUTION_GRACE_MS
}

fn mean_est(per_rep: &[Vec<f64>]) -> Option<Estimate> {
    let means: Vec<f64> = per_rep
        .iter()
        .filter(|xs| !xs.is_empty())
        .map(|xs| xs.iter().sum::<f64>() / xs.len() as f64)
        .collect();
    (!means.is_empty()).then(|| Estimate::from_samples(&means))
}

fn figures(model: &Model, reps: &[RepMetrics], incidents: &[Incident], rule: Option<&str>) -> RulePaging {
    let weeks = model.horizon.as_secs_f64() / (7.0 * 86_400.0);
    let (mut pages_total, mut true_total, mut detected_total) = (0, 0, 0);
    let mut detect: Vec<Vec<f64>> = Vec::new();
    let mut reset: Vec<Vec<f64>> = Vec::new();
    let mut per_week = Vec::new();
    for r in reps {
        let ps = pages(r, rule);
        pages_total += ps.len() as u64;
        true_total += ps.iter().filter(|a| incidents.iter().any(|i| attributed(a, i))).count() as u64;
        per_week.push(ps.len() as f64 / weeks);
        let (mut d, mut z) = (Vec::new(), Vec::new());
        for i in incidents {
            // Pages are in time order: the first attributed one detected the incident.
            if let Some(first) = ps.iter().find(|a| attributed(a, i)) {
                detected_total += 1;
                d.push(first.at_ms - i.start_ms);
                if let Some(res) = first.resolved_ms {
                    z.push((res - i.end_ms).max(0.0));
                }
            }
        }
        detect.push(d);
        reset.push(z);
    }
    let incidents_total = (incidents.len() * reps.len()) as u64;
    RulePaging {
        rule: rule.unwrap_or(ANY_RULE).to_string(),
        pages_total,
        true_pages_total: true_total,
        false_pages_total: pages_total - true_total,
        incidents_total,
        missed_incidents_total: incidents_total - detected_total,
        precision: (pages_total > 0).then(|| true_total as f64 / pages_total as f64),
        recall: (incidents_total > 0).then(|| detected_total as f64 / incidents_total as f64),
        detect_ms: mean_est(&detect),
        reset_ms: mean_est(&reset),
        pages_per_week: Estimate::from_samples(&per_week),
    }
}

/// Per rule of the run (in rule order), then every rule together.
pub(crate) fn paging(model: &Model, reps: &[RepMetrics]) -> Vec<RulePaging> {
    let Some(mo) = &model.monitoring else {
        return Vec::new();
    };
    let incidents = incidents(model);
    let mut out: Vec<RulePaging> = mo
        .rules
        .iter()
        .map(|r| figures(model, reps, &incidents, Some(&r.name)))
        .collect();
    out.push(figures(model, reps, &incidents, None));
    out
}
