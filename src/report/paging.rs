//! "Would my alerts have paged?": per alert rule, what only a simulator knows (the SRE
//! workbook's alerting chapter): true and false pages, missed incidents, detection time,
//! reset time, precision, recall and pages per on-call week.
//!
//! Request mode: incidents are the scenario's scripted faults, from a fault that breaks a node
//! (`crash`, `process_death`, `hang`, `slow`, `partition`, `disk_fill`) to that node's next
//! `recover` or `heal` (or the end of the run), the same in every replication; a page is true
//! when it comes while any incident is under way or at most [`ATTRIBUTION_GRACE_MS`] after one
//! ended. Availability mode: incidents are each replication's random component failures
//! (from the failure to the repair, or the end of the run), and a page is true for an
//! incident of its own target in that same window; the rows are the built-in pair, or the
//! scenario's imported rules with the ones the mode does not evaluate listed with why.
//!
//! A page is a firing notification (one per alert, target and instant, however many receivers
//! it reached; a `repeat_interval` resend is a page). An incident is detected by a rule when
//! one of the rule's pages is true for it; its detection time is from the incident's start to
//! the first such page, its reset time from the incident's end to that alert resolving.
//! Counts are totals over replications; rates and times are means across replications with a
//! 95% CI.
//!
//! Reads finished results (the model's faults and each replication's pages) only.

use crate::model::alerts::{PAGING_RULES, avail_skipped};
use crate::scenario::{FaultKind, Model};
use crate::sim::avail::AvailMetrics;
use crate::sim::metrics::RepMetrics;
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
    /// Availability mode: why it does not evaluate this imported rule (the series it needs,
    /// or alerts without `instance`), absent when it does. Its counts are then 0 and its
    /// ratios and times `null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) not_evaluated: Option<String>,
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

/// One page as the figures see it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Page {
    pub(crate) alert: String,
    pub(crate) target: String,
    pub(crate) at_ms: f64,
    /// When the alert that paged resolved (`None`: still firing at the end of the run).
    pub(crate) resolved_ms: Option<f64>,
}

/// What one replication gives the figures: its incidents and its pages (in time order).
#[derive(Clone, Debug, Default)]
pub(crate) struct RepPaging {
    pub(crate) incidents: Vec<Incident>,
    pub(crate) pages: Vec<Page>,
}

/// Which pages count for which incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Attribution {
    /// Any page during an incident or within the grace after it (scripted faults: the user
    /// chose them, and a page about a neighbour is the alert doing its job).
    AnyTarget,
    /// Only a page about the failed component itself (random failures over years: another
    /// component's page in the same window is not a detection of this one).
    SameTarget,
}

fn attributed(how: Attribution, p: &Page, i: &Incident) -> bool {
    (how == Attribution::AnyTarget || p.target == i.node)
        && i.start_ms <= p.at_ms
        && p.at_ms <= i.end_ms + ATTRIBUTION_GRACE_MS
}

fn mean_est(per_rep: &[Vec<f64>]) -> Option<Estimate> {
    let means: Vec<f64> = per_rep
        .iter()
        .filter(|xs| !xs.is_empty())
        .map(|xs| xs.iter().sum::<f64>() / xs.len() as f64)
        .collect();
    (!means.is_empty()).then(|| Estimate::from_samples(&means))
}

/// The figures of `rule` (`None`: every rule together) over replications of `weeks` on-call
/// weeks each.
pub(crate) fn figures(reps: &[RepPaging], weeks: f64, how: Attribution, rule: Option<&str>) -> RulePaging {
    assert!(weeks > 0.0, "paging over an empty window");
    let (mut pages_total, mut true_total, mut detected_total, mut incidents_total) = (0, 0, 0, 0);
    let mut detect: Vec<Vec<f64>> = Vec::new();
    let mut reset: Vec<Vec<f64>> = Vec::new();
    let mut per_week = Vec::new();
    for r in reps {
        let ps: Vec<&Page> = r.pages.iter().filter(|p| rule.is_none_or(|n| p.alert == n)).collect();
        assert!(ps.is_sorted_by(|a, b| a.at_ms <= b.at_ms), "pages in time order");
        pages_total += ps.len() as u64;
        true_total += ps
            .iter()
            .filter(|p| r.incidents.iter().any(|i| attributed(how, p, i)))
            .count() as u64;
        per_week.push(ps.len() as f64 / weeks);
        incidents_total += r.incidents.len() as u64;
        let (mut d, mut z) = (Vec::new(), Vec::new());
        for i in &r.incidents {
            // Pages are in time order: the first attributed one detected the incident.
            if let Some(first) = ps.iter().find(|p| attributed(how, p, i)) {
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
    assert!(true_total <= pages_total && detected_total <= incidents_total);
    RulePaging {
        rule: rule.unwrap_or(ANY_RULE).to_string(),
        not_evaluated: None,
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

/// Per rule (in `rules` order; a rule with why it was not evaluated gets that and no
/// figures), then every rule together.
fn table(reps: &[RepPaging], weeks: f64, how: Attribution, rules: &[(String, Option<String>)]) -> Vec<RulePaging> {
    let mut out: Vec<RulePaging> = rules
        .iter()
        .map(|(r, skipped)| {
            let mut row = figures(reps, weeks, how, Some(r));
            if let Some(why) = skipped {
                assert_eq!(row.pages_total, 0, "{r} was not evaluated, yet paged");
                row.not_evaluated = Some(why.clone());
                (row.incidents_total, row.missed_incidents_total, row.recall) = (0, 0, None);
            }
            row
        })
        .collect();
    out.push(figures(reps, weeks, how, None));
    out
}

/// Request mode: per rule of the run (in rule order), then every rule together.
pub(crate) fn paging(model: &Model, reps: &[RepMetrics]) -> Vec<RulePaging> {
    let Some(mo) = &model.monitoring else {
        return Vec::new();
    };
    let incidents = incidents(model);
    let reps: Vec<RepPaging> = reps
        .iter()
        .map(|r| {
            // Distinct pages: one per (alert, target, instant).
            let mut seen = BTreeSet::new();
            let pages = r
                .alerts
                .iter()
                .filter(|a| seen.insert((a.at_ms.to_bits(), a.alert.as_str(), a.target.as_str())))
                .map(|a| Page {
                    alert: a.alert.clone(),
                    target: a.target.clone(),
                    at_ms: a.at_ms,
                    resolved_ms: a.resolved_ms,
                })
                .collect();
            RepPaging {
                incidents: incidents.clone(),
                pages,
            }
        })
        .collect();
    let weeks = model.horizon.as_secs_f64() / WEEK_S;
    let rules: Vec<(String, Option<String>)> = mo.rules.iter().map(|r| (r.name.clone(), None)).collect();
    table(&reps, weeks, Attribution::AnyTarget, &rules)
}

/// Availability mode: per rule the driver steps on failures, then every rule together, over
/// each replication's measured window. The rules are the scenario's own when it imported any
/// (each it does not evaluate with why, [`avail_skipped`]), else [`PAGING_RULES`]. Empty when
/// failures are detected instantly (`reliability.instant`: no alert pipeline runs).
pub(crate) fn avail_paging(model: &Model, reps: &[AvailMetrics]) -> Vec<RulePaging> {
    if model.reliability.instant || reps.is_empty() {
        return Vec::new();
    }
    let window_ns = reps[0].window_ns;
    assert!(
        reps.iter().all(|r| r.window_ns == window_ns),
        "replications share the window"
    );
    let reps: Vec<RepPaging> = reps.iter().map(avail_rep).collect();
    let rules: Vec<(String, Option<String>)> = match model.monitoring.as_ref().filter(|mo| mo.imported) {
        Some(mo) => mo.rules.iter().map(|r| (r.name.clone(), avail_skipped(r))).collect(),
        None => PAGING_RULES.iter().map(|r| (r.to_string(), None)).collect(),
    };
    table(&reps, window_ns as f64 / 1e9 / WEEK_S, Attribution::SameTarget, &rules)
}

/// One availability replication's failures as incidents and its episodes' pages.
fn avail_rep(r: &AvailMetrics) -> RepPaging {
    let ms = |ns: u64| ns as f64 / 1e6;
    let mut incidents: Vec<Incident> = Vec::new();
    let mut last = None;
    for e in &r.episodes {
        // A failure several rules paged for has an episode per rule, one after another.
        if last.replace((e.target.as_str(), e.failed_ns)) == Some((e.target.as_str(), e.failed_ns)) {
            continue;
        }
        incidents.push(Incident {
            node: e.target.clone(),
            start_ms: ms(e.failed_ns),
            end_ms: ms(e.end_ns),
        });
    }
    let mut pages: Vec<Page> = r
        .episodes
        .iter()
        .flat_map(|e| {
            e.pages_ns.iter().map(|&at| Page {
                alert: e.rule.clone(),
                target: e.target.clone(),
                at_ms: ms(at),
                resolved_ms: e.resolved_ns.map(ms),
            })
        })
        .collect();
    pages.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
    RepPaging { incidents, pages }
}

/// An on-call week [s].
const WEEK_S: f64 = 7.0 * 86_400.0;

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: f64 = 60_000.0;

    fn incident(node: &str, start_min: f64, end_min: f64) -> Incident {
        Incident {
            node: node.into(),
            start_ms: start_min * MIN,
            end_ms: end_min * MIN,
        }
    }

    fn page(alert: &str, target: &str, at_min: f64, resolved_min: Option<f64>) -> Page {
        Page {
            alert: alert.into(),
            target: target.into(),
            at_ms: at_min * MIN,
            resolved_ms: resolved_min.map(|m| m * MIN),
        }
    }

    /// web1 down 0..10 min, web2 down 60..70 min. InstanceDown pages for web1 at 5.5 min
    /// (resolved at 11 min: reset 1 min) and falsely at 40 min (more than the 15 min grace
    /// after web1's incident); it misses web2, which HighLoad pages for at 61.5 min.
    fn one_week() -> Vec<RepPaging> {
        vec![RepPaging {
            incidents: vec![incident("web1", 0.0, 10.0), incident("web2", 60.0, 70.0)],
            pages: vec![
                page("InstanceDown", "web1", 5.5, Some(11.0)),
                page("InstanceDown", "web1", 40.0, Some(45.0)),
                page("HighLoad", "web2", 61.5, None),
            ],
        }]
    }

    #[test]
    fn a_false_page_a_missed_incident_and_the_reset_time() {
        let reps = one_week();
        let r = figures(&reps, 1.0, Attribution::SameTarget, Some("InstanceDown"));
        assert_eq!((r.pages_total, r.true_pages_total, r.false_pages_total), (2, 1, 1));
        assert_eq!((r.incidents_total, r.missed_incidents_total), (2, 1));
        assert_eq!((r.precision, r.recall), (Some(0.5), Some(0.5)));
        assert_eq!(r.detect_ms.map(|e| e.value), Some(5.5 * MIN));
        assert_eq!(
            r.reset_ms.map(|e| e.value),
            Some(MIN),
            "resolved 1 min after the repair"
        );
        assert_eq!(r.pages_per_week.value, 2.0);

        let any = figures(&reps, 1.0, Attribution::SameTarget, None);
        assert_eq!(any.rule, ANY_RULE);
        assert_eq!(
            (any.pages_total, any.false_pages_total, any.missed_incidents_total),
            (3, 1, 0)
        );
        assert_eq!(any.recall, Some(1.0));
        // Mean of the detections of web1 (5.5 min) and web2 (1.5 min); only web1's resolved.
        assert_eq!(any.detect_ms.map(|e| e.value), Some(3.5 * MIN));
        assert_eq!(any.reset_ms.map(|e| e.value), Some(MIN));
        // Two weeks of window halve the rate.
        assert_eq!(
            figures(&reps, 2.0, Attribution::SameTarget, None).pages_per_week.value,
            1.5
        );
    }

    #[test]
    fn attribution_by_target_and_the_grace_after_the_incident() {
        let reps = vec![RepPaging {
            incidents: vec![incident("web1", 0.0, 10.0)],
            pages: vec![
                page("InstanceDown", "web2", 6.0, Some(20.0)),
                page("InstanceDown", "web1", 25.0, None),
                page("InstanceDown", "web1", 25.0 + 1.0 / 60_000.0, None),
            ],
        }];
        // Scripted faults: the neighbour's page counts; the page exactly at the end of the
        // grace counts, one millisecond later does not.
        let any = figures(&reps, 1.0, Attribution::AnyTarget, None);
        assert_eq!((any.true_pages_total, any.false_pages_total), (2, 1));
        assert_eq!(any.detect_ms.map(|e| e.value), Some(6.0 * MIN));
        assert_eq!(any.reset_ms.map(|e| e.value), Some(10.0 * MIN));
        // Random failures: only web1's own page detects web1 (at 25 min, still firing).
        let same = figures(&reps, 1.0, Attribution::SameTarget, None);
        assert_eq!((same.true_pages_total, same.false_pages_total), (1, 2));
        assert_eq!(same.detect_ms.map(|e| e.value), Some(25.0 * MIN));
        assert_eq!(same.reset_ms, None, "the page that detected it never resolved");
    }

    #[test]
    fn times_are_means_across_replications_with_a_ci() {
        let rep = |detect_min: f64, resolved_min: f64| RepPaging {
            incidents: vec![incident("web1", 0.0, 10.0)],
            pages: vec![page("InstanceDown", "web1", detect_min, Some(resolved_min))],
        };
        let reps = vec![rep(5.0, 11.0), rep(6.0, 13.0), rep(7.0, 12.0)];
        let r = figures(&reps, 1.0, Attribution::SameTarget, Some("InstanceDown"));
        let d = r.detect_ms.expect("detected");
        assert_eq!(d.value, 6.0 * MIN);
        // s = 1 min over 3 replications: t(2) 4.303 x 1/sqrt(3) min.
        let ci = d.ci95.expect("three replications");
        assert!((ci - 4.303 * MIN / 3f64.sqrt()).abs() < 1e-6, "{ci}");
        assert_eq!(r.reset_ms.map(|e| e.value), Some(2.0 * MIN));
        assert_eq!((r.incidents_total, r.missed_incidents_total), (3, 0));
        // A replication without the rule's pages misses its incident.
        let none = RepPaging {
            incidents: vec![incident("web1", 0.0, 10.0)],
            pages: vec![page("HighLoad", "web1", 5.0, None)],
        };
        let r = figures(
            &[rep(5.0, 11.0), none],
            1.0,
            Attribution::SameTarget,
            Some("InstanceDown"),
        );
        assert_eq!((r.recall, r.missed_incidents_total), (Some(0.5), 1));
        assert_eq!(r.pages_per_week.value, 0.5);
    }
}
