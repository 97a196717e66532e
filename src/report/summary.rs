//! Turn finished replications into `summary.json`, `timeseries.csv`, `months.csv` and a
//! terminal table.
//!
//! The types here are the one schema of those files: they derive both `Serialize` (for
//! `simpark run`) and `Deserialize` (for `simpark report`), and each CSV has one row type that
//! writes and parses its lines. Reads results only; never simulates. Every figure is computed per replication and then
//! reported as the mean with a 95% t-interval across replications, folded in replication
//! order, so the bytes do not depend on how many threads ran them.

use crate::scenario::Model;
use crate::sim::avail::{AvailMetrics, Cause};
use crate::sim::metrics::{FailReason, LATENCY_NS_MAX, RepMetrics};
use crate::stats::Estimate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Version of the `summary.json` layout; bump on any incompatible change.
/// 2: incidents carry a typed `cause` (`{"kind": ...}`) instead of a sentence.
pub(crate) const SCHEMA_VERSION: u32 = 2;
/// At most this many health-check transitions are listed in `summary.json`.
pub(crate) const HEALTH_EVENTS_MAX: usize = 10_000;

/// What ran: the first keys of every `summary.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Header {
    pub(crate) schema_version: u32,
    pub(crate) simpark_version: String,
    /// `requests` or `availability`.
    pub(crate) mode: String,
    pub(crate) scenario: String,
    pub(crate) seed: u64,
    /// Replications run.
    pub replications: u32,
    pub(crate) horizon_s: f64,
    pub(crate) warmup_s: f64,
    /// Mean offered load [req/s] of the traffic model.
    pub(crate) offered_rps: f64,
}

impl Header {
    fn new(model: &Model, mode: &'static str) -> Self {
        Header {
            schema_version: SCHEMA_VERSION,
            simpark_version: env!("CARGO_PKG_VERSION").to_string(),
            mode: mode.to_string(),
            scenario: model.spec.name.clone(),
            seed: model.seed,
            replications: model.replications,
            horizon_s: model.horizon.as_secs_f64(),
            warmup_s: model.warmup.as_secs_f64(),
            offered_rps: model.mean_rate_per_s(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
/// `summary.json` of a request-level run.
pub struct Summary {
    #[serde(flatten)]
    /// What was run.
    pub header: Header,
    /// The request figures, with CIs across replications.
    pub metrics: Metrics,
    /// Failed requests by reason, summed over replications.
    pub failures_by_reason: BTreeMap<String, u64>,
    /// Per web server.
    pub web: Vec<ServerFigures>,
    pub(crate) storage: Vec<ServerFigures>,
    /// lb1's UP/DOWN transitions, all replications, at most `HEALTH_EVENTS_MAX`.
    pub health_events: Vec<HealthEvent>,
    /// Pages to on-call (Prometheus rule fired, Alertmanager notified), all replications,
    /// at most `HEALTH_EVENTS_MAX`.
    pub alerts: Vec<AlertRow>,
    /// Would the alerts have paged? Per rule, then every rule together (`report/paging.rs`).
    pub(crate) paging: Vec<super::paging::RulePaging>,
}

#[derive(Debug, Serialize, Deserialize)]
/// One page to on-call in a request-level run.
pub struct AlertRow {
    /// The replication it happened in.
    pub replication: u32,
    /// When it was sent [ms since the start].
    pub at_ms: f64,
    /// The alert's name.
    pub alert: String,
    /// The node it concerns.
    pub target: String,
}

#[derive(Debug, Serialize, Deserialize)]
/// Request figures over the measured window.
pub struct Metrics {
    /// Requests that arrived in the measured window, summed over replications.
    pub(crate) requests_total: u64,
    pub(crate) requests_ok_total: u64,
    /// Requests that failed, summed over replications.
    pub requests_failed_total: u64,
    /// Share of requests that succeeded.
    pub success_ratio: Estimate,
    pub(crate) throughput_rps: Estimate,
    /// Mean latency of successful requests [ms].
    pub latency_ms_mean: Estimate,
    pub(crate) latency_ms_p50: Estimate,
    pub(crate) latency_ms_p95: Estimate,
    pub(crate) latency_ms_p99: Estimate,
    pub(crate) latency_ms_p999: Estimate,
    pub(crate) latency_ms_max: Estimate,
    /// Latency SLIs: the share of requests (of those completed) answered successfully within
    /// each threshold of [`LATENCY_WITHIN_MS`] and `[slo] latency_ms`, thresholds rising.
    #[serde(default)]
    pub(crate) latency_within: Vec<LatencyWithin>,
    /// Connection retries per 1000 requests.
    pub retries_per_kreq: Estimate,
    pub(crate) redispatches_per_kreq: Estimate,
    /// Successful requests slower than 1 s (noticed without an error), summed; failed plus
    /// slow requests are the visitors who noticed a fault.
    pub requests_slow_total: u64,
    /// Storage takeovers (a new primary promoted), summed over replications.
    pub storage_takeovers_total: u64,
    /// From the primary failing or being cut off to a new primary [ms]: mean per replication
    /// with CI, and the longest over all (null without takeovers).
    pub(crate) storage_takeover_ms_mean: Option<Estimate>,
    /// The longest takeover over all replications [ms] (null without takeovers).
    pub storage_takeover_ms_max: Option<f64>,
    /// Seconds two storage nodes were writable at once, summed (must be 0 with fencing).
    pub split_brain_s_total: f64,
    /// Seconds of acknowledged writes lost at takeovers (async replication), summed.
    pub(crate) failover_lost_writes_s_total: f64,
    /// The most lost at one takeover [ms of writes], over all replications.
    #[serde(default)]
    pub(crate) failover_lost_writes_ms_max: f64,
    /// Planned maintenance, reported apart (`null` without `[maintenance]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) maintenance: Option<RequestMaintenance>,
}

/// Planned maintenance in request mode. `success_ratio` above counts the requests that
/// arrived during it unless `contract` is `exclude`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RequestMaintenance {
    /// `count` or `exclude` (`maintenance.contract`, `--maintenance`).
    pub(crate) contract: crate::scenario::MaintenanceContract,
    /// Windows opened, summed over replications.
    pub(crate) windows_total: u64,
    /// Minutes some server was out for maintenance, per replication.
    pub(crate) minutes: Estimate,
    /// Requests that arrived while a server was out, and those of them that failed, summed.
    pub(crate) requests_total: u64,
    pub(crate) requests_failed_total: u64,
    /// Success ratio of the requests outside maintenance only.
    pub(crate) success_ratio_outside: Estimate,
}

#[derive(Debug, Serialize, Deserialize)]
/// Figures of one server.
pub struct ServerFigures {
    /// The node name (`web1`, `store1`, ...).
    pub name: String,
    /// Share of worker capacity busy serving (CPU), 0..1.
    pub utilisation: Estimate,
    /// Requests it received per replication (web only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<Estimate>,
    /// Connection attempts sent to it while lb1 had it marked DOWN, summed: 0 with `option
    /// redispatch`; without it, retries of requests assigned before the DOWN (as in HAProxy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_while_down_total: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
/// One UP/DOWN transition of a web server as lb1 saw it.
pub struct HealthEvent {
    /// The replication it happened in.
    pub replication: u32,
    /// When [ms since the start].
    pub at_ms: f64,
    /// The web server.
    pub server: String,
    /// `UP` or `DOWN`.
    pub state: HealthState,
}

/// What lb1 marked a server: the two states of HAProxy's health checks, written `UP` and
/// `DOWN` as HAProxy logs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HealthState {
    /// Back in rotation.
    Up,
    /// Out of rotation.
    Down,
}

fn est(reps: &[RepMetrics], f: impl Fn(&RepMetrics) -> f64) -> Estimate {
    let xs: Vec<f64> = reps.iter().map(f).collect();
    Estimate::from_samples(&xs)
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// Thresholds [ms] at which every request-level summary gives the share of requests answered
/// successfully within them, so a report can state a latency SLO without a re-run: the
/// common web targets from 100 ms to 5 s.
pub(crate) const LATENCY_WITHIN_MS: [f64; 9] = [100.0, 200.0, 250.0, 300.0, 500.0, 1000.0, 2000.0, 3000.0, 5000.0];

/// The share of requests answered successfully within `ms`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct LatencyWithin {
    pub(crate) ms: f64,
    /// Ratio per replication: successful requests with latency <= `ms` over completed ones.
    pub(crate) share: Estimate,
}

/// The latency SLIs of [`Metrics::latency_within`]: the ladder and the scenario's threshold.
fn latency_within(model: &Model, reps: &[RepMetrics]) -> Vec<LatencyWithin> {
    let mut thresholds: Vec<f64> = LATENCY_WITHIN_MS.to_vec();
    thresholds.extend(model.spec.slo.latency_ms);
    thresholds.sort_by(f64::total_cmp);
    thresholds.dedup();
    thresholds
        .into_iter()
        .map(|ms| {
            // Histogram values are whole ns; `count_between` is inclusive at both ends.
            let high = ((ms * 1e6) as u64).clamp(1, LATENCY_NS_MAX);
            LatencyWithin {
                ms,
                share: est(reps, |r| {
                    if r.completed() == 0 {
                        1.0
                    } else {
                        r.latency.count_between(1, high) as f64 / r.completed() as f64
                    }
                }),
            }
        })
        .collect()
}

/// The summary of a request-level run's replications (one per replication of `model`).
pub fn summarise(model: &Model, reps: &[RepMetrics]) -> Summary {
    assert_eq!(reps.len(), model.replications as usize);
    Summary {
        header: Header::new(model, "requests"),
        metrics: request_metrics(model, reps),
        failures_by_reason: failures_by_reason(reps),
        web: web_figures(model, reps),
        storage: storage_figures(model, reps),
        health_events: health_events(reps),
        alerts: alert_rows(reps),
        paging: super::paging::paging(model, reps),
    }
}

/// The request figures of `summary.json`, each read from [`RepMetrics`]' own definition
/// where it has one.
fn request_metrics(model: &Model, reps: &[RepMetrics]) -> Metrics {
    let per_k = |n: u64, den: u64| if den == 0 { 0.0 } else { 1000.0 * n as f64 / den as f64 };
    Metrics {
        requests_total: reps.iter().map(|r| r.arrivals).sum(),
        requests_ok_total: reps.iter().map(|r| r.ok).sum(),
        requests_failed_total: reps.iter().map(|r| r.failed_total()).sum(),
        success_ratio: est(reps, |r| r.success_ratio(model.maintenance_excluded())),
        throughput_rps: est(reps, RepMetrics::throughput_rps),
        latency_ms_mean: est(reps, RepMetrics::latency_ms_mean),
        latency_ms_p50: est(reps, |r| r.latency_ms_at(0.50)),
        latency_ms_p95: est(reps, |r| r.latency_ms_at(0.95)),
        latency_ms_p99: est(reps, |r| r.latency_ms_at(0.99)),
        latency_ms_p999: est(reps, |r| r.latency_ms_at(0.999)),
        latency_ms_max: est(reps, |r| ms(r.latency.max())),
        latency_within: latency_within(model, reps),
        retries_per_kreq: est(reps, |r| per_k(r.retries, r.arrivals)),
        redispatches_per_kreq: est(reps, |r| per_k(r.redispatches, r.arrivals)),
        requests_slow_total: reps.iter().map(|r| r.slow).sum(),
        storage_takeovers_total: reps.iter().map(|r| r.takeover_ms.len() as u64).sum(),
        storage_takeover_ms_mean: storage_takeover_ms_mean(reps),
        storage_takeover_ms_max: reps.iter().flat_map(|r| r.takeover_ms.iter().copied()).reduce(f64::max),
        split_brain_s_total: reps.iter().map(|r| r.split_brain_ns as f64 / 1e9).sum(),
        failover_lost_writes_s_total: reps.iter().map(|r| r.failover_lost_writes_ns as f64 / 1e9).sum(),
        failover_lost_writes_ms_max: reps.iter().map(|r| r.failover_lost_writes_ns_max).max().unwrap_or(0) as f64 / 1e6,
        maintenance: request_maintenance(model, reps),
    }
}

/// The mean takeover time of each replication that had one, with its CI (`None` when none
/// had a takeover).
fn storage_takeover_ms_mean(reps: &[RepMetrics]) -> Option<Estimate> {
    let xs: Vec<f64> = reps
        .iter()
        .filter(|r| !r.takeover_ms.is_empty())
        .map(|r| r.takeover_ms.iter().sum::<f64>() / r.takeover_ms.len() as f64)
        .collect();
    (!xs.is_empty()).then(|| Estimate::from_samples(&xs))
}

/// Planned maintenance reported apart (`None` without `[maintenance]`).
fn request_maintenance(model: &Model, reps: &[RepMetrics]) -> Option<RequestMaintenance> {
    model.maintenance.as_ref().map(|_| RequestMaintenance {
        contract: model.spec.maintenance.contract,
        windows_total: reps.iter().map(|r| r.maintenance_windows).sum(),
        minutes: est(reps, |r| r.maintenance_ns as f64 / 60e9),
        requests_total: reps.iter().map(|r| r.maintenance_ok + r.maintenance_failed).sum(),
        requests_failed_total: reps.iter().map(|r| r.maintenance_failed).sum(),
        success_ratio_outside: est(reps, |r| r.success_ratio(true)),
    })
}

/// Failed requests by reason name, summed over replications (every reason listed).
fn failures_by_reason(reps: &[RepMetrics]) -> BTreeMap<String, u64> {
    let mut failures_by_reason = BTreeMap::new();
    for reason in FailReason::ALL {
        failures_by_reason.insert(
            reason.name().to_string(),
            reps.iter().map(|r| r.failed[reason as usize]).sum(),
        );
    }
    failures_by_reason
}

/// The figures of each web server: utilisation, requests and requests while DOWN.
fn web_figures(model: &Model, reps: &[RepMetrics]) -> Vec<ServerFigures> {
    (0..model.web.count as usize)
        .map(|i| ServerFigures {
            name: model.topology.name(model.topology.web_node(i)).to_string(),
            utilisation: est(reps, |r| r.web_utilisation(i)),
            requests: Some(est(reps, |r| r.web_requests[i] as f64)),
            requests_while_down_total: Some(reps.iter().map(|r| r.web_requests_while_down[i]).sum()),
        })
        .collect()
}

/// The figures of each storage node: its utilisation.
fn storage_figures(model: &Model, reps: &[RepMetrics]) -> Vec<ServerFigures> {
    (0..model.storage.count as usize)
        .map(|j| ServerFigures {
            name: model.topology.name(model.topology.storage_node(j)).to_string(),
            utilisation: est(reps, |r| {
                r.storage_busy_ns[j] as f64 / (r.window_s() * 1e9 * f64::from(r.storage_workers))
            }),
            requests: None,
            requests_while_down_total: None,
        })
        .collect()
}

/// lb1's UP/DOWN transitions of every replication, in replication order, the first
/// `HEALTH_EVENTS_MAX`.
fn health_events(reps: &[RepMetrics]) -> Vec<HealthEvent> {
    reps.iter()
        .enumerate()
        .flat_map(|(i, r)| {
            r.state_changes.iter().map(move |c| HealthEvent {
                replication: i as u32,
                at_ms: c.at_ms,
                server: c.server.clone(),
                state: if c.up { HealthState::Up } else { HealthState::Down },
            })
        })
        .take(HEALTH_EVENTS_MAX)
        .collect()
}

/// The pages to on-call of every replication, in replication order, the first
/// `HEALTH_EVENTS_MAX`.
fn alert_rows(reps: &[RepMetrics]) -> Vec<AlertRow> {
    reps.iter()
        .enumerate()
        .flat_map(|(i, r)| {
            r.alerts.iter().map(move |a| AlertRow {
                replication: i as u32,
                at_ms: a.at_ms,
                alert: a.alert.clone(),
                target: a.target.clone(),
            })
        })
        .take(HEALTH_EVENTS_MAX)
        .collect()
}

/// "Would my alerts have paged?": one line per rule that paged or could have, when the run
/// had incidents or pages.
fn paging_table(t: &mut String, rows: &[super::paging::RulePaging]) {
    if rows.iter().all(|r| r.pages_total == 0 && r.incidents_total == 0) {
        return;
    }
    let est = |e: &Option<Estimate>, scale: f64, digits: usize| match e {
        None => "-".to_string(),
        Some(e) => match e.ci95 {
            Some(ci) => format!("{:.digits$} ± {:.digits$}", e.value / scale, ci / scale),
            None => format!("{:.digits$}", e.value / scale),
        },
    };
    let ratio = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.3}"));
    let _ = writeln!(
        t,
        "\n  alert rule               pages  true false missed  precision recall  detect s        reset s         pages/week"
    );
    for r in rows {
        if let Some(why) = &r.not_evaluated {
            let _ = writeln!(t, "  {:<24} not evaluated in availability mode: {why}", r.rule);
            continue;
        }
        let _ = writeln!(
            t,
            "  {:<24} {:>5} {:>5} {:>5} {:>6}  {:>9} {:>6}  {:<15} {:<15} {}",
            r.rule,
            r.pages_total,
            r.true_pages_total,
            r.false_pages_total,
            r.missed_incidents_total,
            ratio(r.precision),
            ratio(r.recall),
            est(&r.detect_ms, 1e3, 1),
            est(&r.reset_ms, 1e3, 1),
            // Over years, a rule pages a fraction of a time per on-call week.
            est(&Some(r.pages_per_week), 1.0, 3),
        );
    }
}

/// A results CSV line that is not what simpark writes.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub(crate) struct CsvError {
    /// 1-based, the header being line 1.
    pub(crate) line: usize,
    pub(crate) message: String,
}

/// Rows of a CSV in the layout `header` + one `parse(line)` per line.
fn parse_csv<R>(text: &str, header: &str, parse: impl Fn(&str) -> Option<R>) -> Result<Vec<R>, CsvError> {
    let mut lines = text.lines();
    if lines.next() != Some(header) {
        return Err(CsvError {
            line: 1,
            message: format!("the first line must be `{header}`"),
        });
    }
    let columns = header.split(',').count();
    lines
        .enumerate()
        .map(|(i, line)| {
            parse(line).ok_or_else(|| CsvError {
                line: i + 2,
                message: format!("expected {columns} numbers ({header}), found `{line}`"),
            })
        })
        .collect()
}

/// Split a CSV line into exactly `N` finite, non-negative numbers.
fn numbers<const N: usize>(line: &str) -> Option<[f64; N]> {
    let mut out = [0.0; N];
    let mut fields = line.split(',');
    for x in &mut out {
        *x = fields
            .next()?
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)?;
    }
    fields.next().is_none().then_some(out)
}

/// One row of `timeseries.csv`: one bucket of the run, averaged over replications.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct TimeseriesRow {
    /// Start of the bucket since the run began [s].
    pub(crate) bucket_start_s: u64,
    /// Width of the bucket [s].
    pub(crate) bucket_s: u64,
    pub(crate) requests_per_rep: f64,
    pub(crate) ok_per_rep: f64,
    pub(crate) failed_per_rep: f64,
    pub(crate) success_ratio: f64,
    pub(crate) latency_ms_mean: f64,
    pub(crate) latency_ms_max: f64,
}

impl TimeseriesRow {
    pub(crate) const CSV_HEADER: &str = "bucket_start_s,bucket_s,requests_per_rep,ok_per_rep,failed_per_rep,success_ratio,latency_ms_mean,latency_ms_max";

    fn write_csv(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{:.6},{:.3},{:.3}",
            self.bucket_start_s,
            self.bucket_s,
            self.requests_per_rep,
            self.ok_per_rep,
            self.failed_per_rep,
            self.success_ratio,
            self.latency_ms_mean,
            self.latency_ms_max
        );
    }

    fn parse_csv(line: &str) -> Option<TimeseriesRow> {
        let [start, width, requests, ok, failed, success, mean, max] = numbers::<8>(line)?;
        let whole = |x: f64| (x.fract() == 0.0).then_some(x as u64);
        Some(TimeseriesRow {
            bucket_start_s: whole(start)?,
            bucket_s: whole(width)?,
            requests_per_rep: requests,
            ok_per_rep: ok,
            failed_per_rep: failed,
            success_ratio: success,
            latency_ms_mean: mean,
            latency_ms_max: max,
        })
    }
}

/// Per-bucket figures, averaged over replications.
pub fn timeseries_csv(reps: &[RepMetrics]) -> String {
    let mut out = format!("{}\n", TimeseriesRow::CSV_HEADER);
    let Some(first) = reps.first() else { return out };
    let n = reps.len() as f64;
    let width = first.bucket_width;
    for b in 0..first.buckets.len() {
        let (mut arr, mut ok, mut failed, mut sum, mut max) = (0u64, 0u64, 0u64, 0u128, 0u64);
        for r in reps {
            let k = &r.buckets[b];
            arr += k.arrivals;
            ok += k.ok;
            failed += k.failed;
            sum += k.latency_ns_sum;
            max = max.max(k.latency_ns_max);
        }
        let done = ok + failed;
        TimeseriesRow {
            bucket_start_s: (b as u64 * width.as_nanos()) / 1_000_000_000,
            bucket_s: width.as_nanos() / 1_000_000_000,
            requests_per_rep: arr as f64 / n,
            ok_per_rep: ok as f64 / n,
            failed_per_rep: failed as f64 / n,
            success_ratio: if done == 0 { 1.0 } else { ok as f64 / done as f64 },
            latency_ms_mean: if ok == 0 { 0.0 } else { sum as f64 / ok as f64 / 1e6 },
            latency_ms_max: ms(max),
        }
        .write_csv(&mut out);
    }
    out
}

/// Read `timeseries.csv` back.
pub(crate) fn parse_timeseries_csv(text: &str) -> Result<Vec<TimeseriesRow>, CsvError> {
    parse_csv(text, TimeseriesRow::CSV_HEADER, TimeseriesRow::parse_csv)
}

fn pm(e: &Estimate, digits: usize) -> String {
    match e.ci95 {
        Some(c) => format!("{:.*} ± {:.*}", digits, e.value, digits, c),
        None => format!("{:.*}", digits, e.value),
    }
}

/// The human summary printed by `simpark run`.
pub fn table(s: &Summary) -> String {
    let m = &s.metrics;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "scenario {}  seed {}  {} x {:.0} s (warm-up {:.0} s excluded)  offered {:.2} req/s",
        s.header.scenario,
        s.header.seed,
        super::plural(s.header.replications as usize, "replication"),
        s.header.horizon_s,
        s.header.warmup_s,
        s.header.offered_rps
    );
    let _ = writeln!(t, "figures are means across replications ± 95% CI half-width\n");
    request_lines(&mut t, m);
    failures_line(&mut t, &s.failures_by_reason);
    if let Some(mt) = &m.maintenance {
        maintenance_line(&mut t, mt);
    }
    alerts_line(&mut t, &s.alerts);
    paging_table(&mut t, &s.paging);
    server_lines(&mut t, s);
    let downs = s.health_events.iter().filter(|e| e.state == HealthState::Down).count();
    if downs > 0 {
        let _ = writeln!(
            t,
            "\n  health checks: {downs} DOWN transitions (see summary.json health_events)"
        );
    }
    t
}

/// The table's request lines: counts, success ratio, throughput, latencies and retries.
fn request_lines(t: &mut String, m: &Metrics) {
    let _ = writeln!(
        t,
        "  requests          {:>14}  ({} ok, {} failed)",
        m.requests_total, m.requests_ok_total, m.requests_failed_total
    );
    let _ = writeln!(t, "  success ratio     {:>24}", pm(&m.success_ratio, 6));
    let _ = writeln!(t, "  throughput req/s  {:>24}", pm(&m.throughput_rps, 3));
    for (name, e) in [
        ("latency ms mean", &m.latency_ms_mean),
        ("latency ms p50", &m.latency_ms_p50),
        ("latency ms p95", &m.latency_ms_p95),
        ("latency ms p99", &m.latency_ms_p99),
        ("latency ms p99.9", &m.latency_ms_p999),
        ("latency ms max", &m.latency_ms_max),
    ] {
        let _ = writeln!(t, "  {name:<17} {:>24}", pm(e, 3));
    }
    let _ = writeln!(t, "  retries /1000 req {:>24}", pm(&m.retries_per_kreq, 3));
}

/// The table's line of failed requests by reason, when any failed.
fn failures_line(t: &mut String, failures_by_reason: &BTreeMap<String, u64>) {
    let failures: Vec<String> = failures_by_reason
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(t, "  failures          {}", failures.join(", "));
    }
}

/// The table's line on planned maintenance.
fn maintenance_line(t: &mut String, mt: &RequestMaintenance) {
    let _ = writeln!(
        t,
        "  maintenance       {}, {} min out/rep, {} requests during it ({} failed; {} the success ratio)",
        super::plural(mt.windows_total as usize, "window"),
        pm(&mt.minutes, 1),
        mt.requests_total,
        mt.requests_failed_total,
        match mt.contract {
            crate::scenario::MaintenanceContract::Count => "counted in",
            crate::scenario::MaintenanceContract::Exclude => "left out of",
        }
    );
}

/// The table's line of pages per alert name (`none` without pages).
fn alerts_line(t: &mut String, alerts: &[AlertRow]) {
    let mut pages: BTreeMap<&str, usize> = BTreeMap::new();
    for a in alerts {
        *pages.entry(a.alert.as_str()).or_default() += 1;
    }
    let pages: Vec<String> = pages.iter().map(|(a, n)| format!("{a} {n}")).collect();
    let _ = writeln!(
        t,
        "  alerts paged      {}",
        if pages.is_empty() {
            "none".to_string()
        } else {
            pages.join(", ")
        }
    );
}

/// The table's per-server utilisation lines, then the requests not served, if any.
fn server_lines(t: &mut String, s: &Summary) {
    let m = &s.metrics;
    let _ = writeln!(t, "\n  server   utilisation            requests/rep");
    for w in &s.web {
        let _ = writeln!(
            t,
            "  {:<8} {:<22} {}",
            w.name,
            pm(&w.utilisation, 4),
            w.requests.as_ref().map(|e| pm(e, 0)).unwrap_or_default()
        );
    }
    for w in &s.storage {
        let _ = writeln!(t, "  {:<8} {:<22}", w.name, pm(&w.utilisation, 4));
    }
    if m.requests_failed_total > 0 {
        // Utilisation counts work served: a saturated park that rejects requests reads below 1.
        let _ = writeln!(
            t,
            "  not served: {} of {} requests failed ({:.2}%), beside the utilisation above",
            m.requests_failed_total,
            m.requests_total,
            100.0 * m.requests_failed_total as f64 / m.requests_total.max(1) as f64
        );
    }
}

/// Quantiles of a pooled sample (nearest rank), with its size.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Quantiles {
    pub(crate) n: usize,
    pub(crate) p50: f64,
    pub(crate) p90: f64,
    pub(crate) p99: f64,
    pub(crate) max: f64,
}

impl Quantiles {
    /// `None` for an empty sample.
    pub(crate) fn of(mut xs: Vec<f64>) -> Option<Quantiles> {
        if xs.is_empty() {
            return None;
        }
        xs.sort_by(f64::total_cmp);
        let at = |q: f64| xs[((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len()) - 1];
        Some(Quantiles {
            n: xs.len(),
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: xs[xs.len() - 1],
        })
    }
}

/// Months listed one by one in an availability `summary.json` (ten years): the file's size
/// stays bounded whatever the horizon; `months.csv` has them all.
pub(crate) const MONTHS_LISTED_MAX: usize = 120;

/// `summary.json` of an availability (long-horizon) run.
#[derive(Debug, Serialize, Deserialize)]
pub struct AvailSummary {
    #[serde(flatten)]
    pub(crate) header: Header,
    /// Whether planned maintenance counts in downtime and availability (`count`) or is left
    /// out (`exclude`), per the contract (`maintenance.contract`, `--maintenance`).
    pub(crate) maintenance: crate::scenario::MaintenanceContract,
    /// The availability figures, with CIs across replications.
    pub metrics: AvailFigures,
    /// Months in the measured window; the monthly lists below hold the first
    /// [`MONTHS_LISTED_MAX`] of them (every month of every replication is in `months.csv`).
    pub(crate) months_total: usize,
    /// Downtime of each month of the window [min], mean across replications with CI.
    pub(crate) monthly_downtime_min: Vec<Estimate>,
    /// Partial outages per month, weighted by the share of requests failing [min].
    pub(crate) monthly_partial_min: Vec<Estimate>,
    /// Time per month the site was up with reduced web capacity (a server failed or out of
    /// rotation) [min].
    pub(crate) monthly_degraded_min: Vec<Estimate>,
    /// Incidents of the first replication (at most 1000): when, why, how many requests failed.
    pub incidents: Vec<crate::sim::avail::Incident>,
    /// Pages to on-call in the first replication (at most 1000).
    pub alerts: Vec<crate::sim::avail::AlertLog>,
    /// Swarm testing: what each replication injected (empty without `--swarm`).
    pub swarm: Vec<String>,
    /// Would the alerts have paged? Per rule the driver steps on failures (the scenario's own
    /// when it imported any, those not evaluated with why), then every rule together, over
    /// every replication (`report/paging.rs`); empty with instant detection.
    #[serde(default)]
    pub(crate) paging: Vec<super::paging::RulePaging>,
}

#[derive(Debug, Serialize, Deserialize)]
/// Availability figures over the measured window (per year: per 365 days).
pub struct AvailFigures {
    /// Share of time a path clients -> lb1 -> a web server in rotation -> the storage primary
    /// of working components existed.
    pub availability_time: Estimate,
    /// Share of offered requests that succeeded.
    pub(crate) availability_request: Estimate,
    /// -log10(1 - availability_time).
    pub(crate) nines_time: Estimate,
    /// Downtime [min/year].
    pub downtime_min_per_year: Estimate,
    /// Downtime without planned maintenance [min/year] (`downtime_min_per_year` counts it
    /// unless `maintenance` is `exclude`).
    pub downtime_min_per_year_unplanned: Estimate,
    /// Every minute of downtime and every failed request, by cause, in `Cause::ALL` order.
    pub downtime_by_cause: Vec<CauseFigures>,
    /// Planned maintenance windows opened per year.
    pub(crate) maintenance_windows_per_year: Estimate,
    /// Events per replication where both storage copies were lost (restore from backup).
    pub data_loss_events: Estimate,
    /// RAID-1 arrays lost (both disks failed) per year.
    pub raid_array_losses_per_year: Estimate,
    pub(crate) incidents_per_year: Estimate,
    /// Mean incident duration [min] (the site's MTTR): the mean of each replication's logged
    /// incidents (its first `INCIDENTS_MAX`), with the CI across replications; null when no
    /// replication had an incident.
    #[serde(default)]
    pub(crate) incident_min_mean: Option<Estimate>,
    /// Component failures per year.
    pub failures_per_year: Estimate,
    /// Storage failovers (a new primary promoted) per year.
    pub storage_failovers_per_year: Estimate,
    /// Disk failures per year.
    pub disk_failures_per_year: Estimate,
    /// SMART warnings, and disks swapped on them before failing, per year.
    pub(crate) smart_warnings_per_year: Estimate,
    /// Disks swapped after a SMART warning before failing, per year.
    pub disks_replaced_proactively_per_year: Estimate,
    /// Pages to on-call per year (Prometheus rule + Alertmanager).
    pub(crate) pages_per_year: Estimate,
    /// Failure to page [min] (mean over pages).
    pub page_delay_min_mean: Option<Estimate>,
    /// Seconds of acknowledged writes lost per year at storage failovers (async replication).
    pub(crate) failover_lost_writes_s_per_year: Estimate,
    /// Seconds per year two storage nodes were writable at once (split brain; must be 0 with
    /// fencing).
    pub split_brain_s_per_year: Estimate,
    /// Time from a web-server failure to lb1 marking it DOWN [ms] (mean over events).
    pub detect_ms_mean: Option<Estimate>,
    /// Mean time to acknowledge [min]: from the page to an engineer starting work (waiting
    /// for a free crew plus the response time), mean over component repairs.
    pub ack_min_mean: Option<Estimate>,
    /// Hands-on repair time [min], mean over the same repairs.
    pub repair_min_mean: Option<Estimate>,
    /// Time from a storage-primary failure to a new writable primary [ms]: mean per
    /// replication with CI, and the longest over all.
    pub takeover_ms_mean: Option<Estimate>,
    pub(crate) takeover_ms_max: Option<f64>,
    /// Restores after human error: data lost since the snapshot used [h] and time to restore
    /// [h] (means over restores; null when none happened).
    pub rpo_h_mean: Option<Estimate>,
    /// Largest data loss of a restore [h], mean over replications.
    pub rpo_h_max: Option<Estimate>,
    /// Time to restore [h], mean over restores.
    pub rto_h_mean: Option<Estimate>,
    /// Distributions over every restore of every replication (pooled) [h]: null when none.
    pub(crate) rpo_h_distribution: Option<Quantiles>,
    pub(crate) rto_h_distribution: Option<Quantiles>,
    /// Deletions by human error per year.
    pub human_errors_per_year: Estimate,
    /// The disaster path (both storage copies lost, full restore from backup): recovery point
    /// and recovery time [h], means over disasters (null when none happened).
    pub disaster_rpo_h_mean: Option<Estimate>,
    /// Recovery time of the disaster path [h], mean over disasters.
    pub disaster_rto_h_mean: Option<Estimate>,
    pub(crate) backups_ok_per_year: Estimate,
    pub(crate) backups_failed_or_corrupt_per_year: Estimate,
    /// Restores that found no usable snapshot, per replication.
    pub restores_failed: Estimate,
    /// Snapshots kept by retention at the end of the run.
    pub snapshots_kept: Estimate,
    /// Failures not injected because they would exceed the design's fault budget, per
    /// replication.
    pub faults_suppressed_by_budget: Estimate,
    /// Most web servers and storage nodes down at once, over all replications.
    pub web_down_max: u32,
    /// Most storage nodes down at once, over all replications.
    pub storage_down_max: u32,
    /// Requests offered in the measured window, summed over replications.
    pub requests_total: u64,
}

/// One cause's share of the downtime and of the failed requests.
#[derive(Debug, Serialize, Deserialize)]
pub struct CauseFigures {
    /// The cause.
    pub cause: crate::sim::avail::Cause,
    /// Downtime charged to it [min/year].
    pub downtime_min_per_year: Estimate,
    /// Failed requests charged to it [per year].
    pub failed_requests_per_year: Estimate,
}

/// The summary of an availability run's replications (one per replication of `model`).
pub fn summarise_availability(model: &Model, reps: &[AvailMetrics]) -> AvailSummary {
    assert_eq!(reps.len(), model.replications as usize);
    let months = reps.iter().map(|r| r.monthly_downtime_ns.len()).min().unwrap_or(0);
    AvailSummary {
        header: Header::new(model, "availability"),
        maintenance: model.spec.maintenance.contract,
        metrics: avail_figures(reps),
        months_total: months,
        monthly_downtime_min: monthly(reps, months, |r| &r.monthly_downtime_ns),
        monthly_partial_min: monthly(reps, months, |r| &r.monthly_partial_ns),
        monthly_degraded_min: monthly(reps, months, |r| &r.monthly_degraded_ns),
        incidents: reps.first().map(|r| r.incidents.clone()).unwrap_or_default(),
        alerts: reps.first().map(|r| r.alerts.clone()).unwrap_or_default(),
        swarm: reps
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.swarm.as_ref().map(|d| format!("replication {i}: {d}")))
            .collect(),
        paging: super::paging::avail_paging(model, reps),
    }
}

/// The measured window of one replication [years of 365 days].
fn years(r: &AvailMetrics) -> f64 {
    r.window_ns as f64 / (365.0 * 86_400e9)
}

/// Share of one replication's window the site was up.
fn avail(r: &AvailMetrics) -> f64 {
    1.0 - r.downtime_ns as f64 / r.window_ns as f64
}

/// The mean of `xs`, `None` when empty.
fn mean_of(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        None
    } else {
        Some(xs.iter().sum::<f64>() / xs.len() as f64)
    }
}

/// `f` of each replication, as a mean with CI.
fn per_rep(reps: &[AvailMetrics], f: impl Fn(&AvailMetrics) -> f64) -> Estimate {
    Estimate::from_samples(&reps.iter().map(f).collect::<Vec<_>>())
}

/// A count per replication, as a rate per simulated year.
fn per_year(reps: &[AvailMetrics], f: impl Fn(&AvailMetrics) -> u64) -> Estimate {
    per_rep(reps, |r| f(r) as f64 / years(r))
}

/// `f` of the replications where it has a value, as a mean with CI (`None` when none has).
fn est_opt(reps: &[AvailMetrics], f: impl Fn(&AvailMetrics) -> Option<f64>) -> Option<Estimate> {
    let xs: Vec<f64> = reps.iter().filter_map(f).collect();
    (!xs.is_empty()).then(|| Estimate::from_samples(&xs))
}

/// The first `MONTHS_LISTED_MAX` of `months` monthly figures [min], each a mean with CI
/// across replications of the per-month nanoseconds `f` picks.
fn monthly(reps: &[AvailMetrics], months: usize, f: impl Fn(&AvailMetrics) -> &[u64]) -> Vec<Estimate> {
    (0..months.min(MONTHS_LISTED_MAX))
        .map(|m| Estimate::from_samples(&reps.iter().map(|r| f(r)[m] as f64 / 60e9).collect::<Vec<_>>()))
        .collect()
}

/// Every minute of downtime and every failed request, by cause, in `Cause::ALL` order.
fn cause_figures(reps: &[AvailMetrics]) -> Vec<CauseFigures> {
    Cause::ALL
        .iter()
        .map(|c| CauseFigures {
            cause: *c,
            downtime_min_per_year: per_rep(reps, |r| r.downtime_by_cause_ns[c.index()] as f64 / 60e9 / years(r)),
            failed_requests_per_year: per_rep(reps, |r| r.failed_by_cause[c.index()] / years(r)),
        })
        .collect()
}

/// The availability figures of `summary.json`.
fn avail_figures(reps: &[AvailMetrics]) -> AvailFigures {
    AvailFigures {
        availability_time: per_rep(reps, avail),
        availability_request: per_rep(reps, |r| {
            if r.offered > 0.0 {
                1.0 - r.failed / r.offered
            } else {
                1.0
            }
        }),
        // Nines of the pooled availability per replication; a replication without downtime is
        // capped at 9 nines rather than infinity.
        nines_time: per_rep(reps, |r| -(1.0 - avail(r)).max(1e-9).log10()),
        downtime_min_per_year: per_rep(reps, |r| r.downtime_ns as f64 / 60e9 / years(r)),
        downtime_min_per_year_unplanned: per_rep(reps, |r| r.unplanned_downtime_ns() as f64 / 60e9 / years(r)),
        downtime_by_cause: cause_figures(reps),
        maintenance_windows_per_year: per_year(reps, |r| r.maintenance_windows),
        data_loss_events: per_rep(reps, |r| r.data_loss_events as f64),
        raid_array_losses_per_year: per_year(reps, |r| r.raid_array_losses),
        incidents_per_year: per_year(reps, |r| r.incidents_total),
        incident_min_mean: est_opt(reps, |r| {
            mean_of(
                &r.incidents
                    .iter()
                    .map(|i| (i.end_h - i.start_h) * 60.0)
                    .collect::<Vec<_>>(),
            )
        }),
        failures_per_year: per_year(reps, |r| r.failures),
        disk_failures_per_year: per_year(reps, |r| r.disk_failures),
        smart_warnings_per_year: per_year(reps, |r| r.smart_warnings),
        disks_replaced_proactively_per_year: per_year(reps, |r| r.disks_replaced_proactively),
        pages_per_year: per_year(reps, |r| r.pages),
        page_delay_min_mean: est_opt(reps, |r| {
            mean_of(
                &r.alerts
                    .iter()
                    .map(|a| (a.paged_at_h - a.failed_at_h) * 60.0)
                    .collect::<Vec<_>>(),
            )
        }),
        storage_failovers_per_year: per_year(reps, |r| r.failovers),
        failover_lost_writes_s_per_year: per_rep(reps, |r| r.failover_lost_writes_ns as f64 / 1e9 / years(r)),
        split_brain_s_per_year: per_rep(reps, |r| r.split_brain_ns as f64 / 1e9 / years(r)),
        detect_ms_mean: est_opt(reps, |r| mean_of(&r.detect_ms)),
        ack_min_mean: est_opt(reps, |r| mean_of(&r.ack_min)),
        repair_min_mean: est_opt(reps, |r| mean_of(&r.repair_min)),
        takeover_ms_mean: est_opt(reps, |r| mean_of(&r.takeover_ms)),
        takeover_ms_max: reps.iter().flat_map(|r| r.takeover_ms.iter().copied()).reduce(f64::max),
        rpo_h_mean: est_opt(reps, |r| mean_of(&r.rpo_h)),
        rpo_h_max: est_opt(reps, |r| r.rpo_h.iter().copied().reduce(f64::max)),
        rto_h_mean: est_opt(reps, |r| mean_of(&r.rto_h)),
        rpo_h_distribution: Quantiles::of(reps.iter().flat_map(|r| r.rpo_h.iter().copied()).collect()),
        rto_h_distribution: Quantiles::of(reps.iter().flat_map(|r| r.rto_h.iter().copied()).collect()),
        human_errors_per_year: per_year(reps, |r| r.human_errors),
        disaster_rpo_h_mean: est_opt(reps, |r| mean_of(&r.disaster_rpo_h)),
        disaster_rto_h_mean: est_opt(reps, |r| mean_of(&r.disaster_rto_h)),
        backups_ok_per_year: per_year(reps, |r| r.backups_ok),
        backups_failed_or_corrupt_per_year: per_year(reps, |r| r.backups_failed + r.backups_corrupt),
        restores_failed: per_rep(reps, |r| r.restores_failed as f64),
        snapshots_kept: per_rep(reps, |r| r.snapshots_kept as f64),
        faults_suppressed_by_budget: per_rep(reps, |r| r.faults_suppressed_by_budget as f64),
        web_down_max: reps.iter().map(|r| r.web_down_max).max().unwrap_or(0),
        storage_down_max: reps.iter().map(|r| r.storage_down_max).max().unwrap_or(0),
        requests_total: reps.iter().map(|r| r.offered.round() as u64).sum(),
    }
}

/// The human summary of an availability run.
pub fn avail_table(s: &AvailSummary) -> String {
    let m = &s.metrics;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "scenario {} (availability mode)  seed {}  {} x {:.1} years (warm-up {:.0} s excluded)",
        s.header.scenario,
        s.header.seed,
        super::plural(s.header.replications as usize, "replication"),
        s.header.horizon_s / (365.0 * 86_400.0),
        s.header.warmup_s
    );
    let _ = writeln!(t, "figures are means across replications ± 95% CI half-width\n");
    downtime_lines(&mut t, m);
    let _ = writeln!(t, "  incidents/year            {:>28}", pm(&m.incidents_per_year, 2));
    if let Some(d) = &m.incident_min_mean {
        let _ = writeln!(t, "  incident min (MTTR)       {:>28}", pm(d, 1));
    }
    let _ = writeln!(t, "  component failures/year   {:>28}", pm(&m.failures_per_year, 2));
    let _ = writeln!(
        t,
        "  RAID-1 array losses/year  {:>28}",
        pm(&m.raid_array_losses_per_year, 4)
    );
    let _ = writeln!(t, "  data-loss events          {:>28}", pm(&m.data_loss_events, 3));
    let _ = writeln!(
        t,
        "  storage failovers/year    {:>28}",
        pm(&m.storage_failovers_per_year, 2)
    );
    let _ = writeln!(
        t,
        "  split brain s/year        {:>28}",
        pm(&m.split_brain_s_per_year, 3)
    );
    if let Some(d) = &m.detect_ms_mean {
        let _ = writeln!(t, "  web failure -> DOWN ms    {:>28}", pm(d, 1));
    }
    if let Some(d) = &m.takeover_ms_mean {
        let _ = writeln!(t, "  storage takeover ms       {:>28}", pm(d, 1));
    }
    let _ = writeln!(t, "  human errors/year         {:>28}", pm(&m.human_errors_per_year, 2));
    if let (Some(rpo), Some(rto)) = (&m.rpo_h_mean, &m.rto_h_mean) {
        let _ = writeln!(t, "  restore RPO h (mean)      {:>28}", pm(rpo, 2));
        let _ = writeln!(t, "  restore RTO h (mean)      {:>28}", pm(rto, 3));
    }
    let _ = writeln!(t, "  snapshots kept            {:>28}", pm(&m.snapshots_kept, 1));
    let _ = writeln!(
        t,
        "  most down at once         {:>28}",
        format!("web {}, storage {}", m.web_down_max, m.storage_down_max)
    );
    swarm_lines(&mut t, s);
    paging_table(&mut t, &s.paging);
    t
}

/// The availability table's availability and downtime lines, downtime by cause included.
fn downtime_lines(t: &mut String, m: &AvailFigures) {
    let _ = writeln!(t, "  availability (time)       {:>28}", pm(&m.availability_time, 7));
    let _ = writeln!(t, "  availability (requests)   {:>28}", pm(&m.availability_request, 7));
    let _ = writeln!(t, "  nines (time)              {:>28}", pm(&m.nines_time, 2));
    let _ = writeln!(t, "  downtime min/year         {:>28}", pm(&m.downtime_min_per_year, 1));
    let _ = writeln!(
        t,
        "    without maintenance     {:>28}",
        pm(&m.downtime_min_per_year_unplanned, 1)
    );
    for c in m
        .downtime_by_cause
        .iter()
        .filter(|c| c.downtime_min_per_year.value > 0.0)
    {
        let _ = writeln!(
            t,
            "    cause {:<18}{:>28}",
            c.cause.name(),
            pm(&c.downtime_min_per_year, 1)
        );
    }
}

/// The availability table's swarm-testing lines: what each replication injected (none
/// without `--swarm`).
fn swarm_lines(t: &mut String, s: &AvailSummary) {
    if s.swarm.is_empty() {
        return;
    }
    let _ = writeln!(
        t,
        "\n  swarm (faults suppressed by budget per replication: {}):",
        pm(&s.metrics.faults_suppressed_by_budget, 1)
    );
    for line in &s.swarm {
        let _ = writeln!(t, "    {line}");
    }
}

/// One row of `months.csv`: one month of one replication [min].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct MonthRow {
    pub(crate) replication: u32,
    /// Month of the measured window, from 0.
    pub(crate) month: u32,
    pub(crate) downtime_min: f64,
    /// Partial outages, weighted by the share of requests failing.
    pub(crate) partial_min: f64,
    /// Up with reduced web capacity.
    pub(crate) degraded_min: f64,
    /// Partial outages unweighted: minutes while some but not all requests fail (a status
    /// page's "partial outage").
    pub(crate) partial_outage_min: f64,
    /// Minutes of the calendar month inside the measured window: its real length, or less
    /// for a month cut by warm-up or horizon.
    pub(crate) length_min: f64,
}

impl MonthRow {
    pub(crate) const CSV_HEADER: &str =
        "replication,month,downtime_min,partial_min,degraded_min,partial_outage_min,length_min";

    fn write_csv(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "{},{},{:.3},{:.3},{:.3},{:.3},{:.3}",
            self.replication,
            self.month,
            self.downtime_min,
            self.partial_min,
            self.degraded_min,
            self.partial_outage_min,
            self.length_min
        );
    }

    fn parse_csv(line: &str) -> Option<MonthRow> {
        let [replication, month, downtime, partial, degraded, partial_outage, length] = numbers::<7>(line)?;
        let index = |x: f64| (x.fract() == 0.0 && x <= f64::from(u32::MAX)).then_some(x as u32);
        Some(MonthRow {
            replication: index(replication)?,
            month: index(month)?,
            downtime_min: downtime,
            partial_min: partial,
            degraded_min: degraded,
            partial_outage_min: partial_outage,
            length_min: length,
        })
    }
}

/// `months.csv` of an availability run: one row per (replication, month) of the measured
/// window (months of 30.44 days from the end of warm-up), for distributions such as the
/// chance that a month breaks an SLA. Minutes to 1/1000 (60 ms), enough for any SLA.
pub fn months_csv(model: &Model, reps: &[crate::sim::avail::AvailMetrics]) -> String {
    let mut out = format!("{}\n", MonthRow::CSV_HEADER);
    let min = |ns: u64| ns as f64 / 60e9;
    for (i, r) in reps.iter().enumerate() {
        for m in 0..r.monthly_downtime_ns.len() {
            MonthRow {
                replication: i as u32,
                month: m as u32,
                downtime_min: min(r.monthly_downtime_ns[m]),
                partial_min: min(r.monthly_partial_ns[m]),
                degraded_min: min(r.monthly_degraded_ns[m]),
                partial_outage_min: min(r.monthly_partial_outage_ns[m]),
                length_min: model.calendar.months[m].minutes(),
            }
            .write_csv(&mut out);
        }
    }
    out
}

/// One row of `days.csv`: a day of the measured window (24 h from the end of warm-up) of one
/// replication with anything to count; the days left out counted nothing.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DayRow {
    pub(crate) replication: u32,
    /// Day of the measured window, from 0.
    pub(crate) day: u32,
    /// The columns of [`MonthRow`], per day [min].
    pub(crate) downtime_min: f64,
    pub(crate) partial_min: f64,
    pub(crate) degraded_min: f64,
    pub(crate) partial_outage_min: f64,
}

impl DayRow {
    pub(crate) const CSV_HEADER: &str = "replication,day,downtime_min,partial_min,degraded_min,partial_outage_min";

    fn write_csv(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "{},{},{:.3},{:.3},{:.3},{:.3}",
            self.replication, self.day, self.downtime_min, self.partial_min, self.degraded_min, self.partial_outage_min
        );
    }

    fn parse_csv(line: &str) -> Option<DayRow> {
        let [replication, day, downtime, partial, degraded, partial_outage] = numbers::<6>(line)?;
        let index = |x: f64| (x.fract() == 0.0 && x <= f64::from(u32::MAX)).then_some(x as u32);
        Some(DayRow {
            replication: index(replication)?,
            day: index(day)?,
            downtime_min: downtime,
            partial_min: partial,
            degraded_min: degraded,
            partial_outage_min: partial_outage,
        })
    }
}

/// `days.csv` of an availability run: the days of each replication with any downtime, partial
/// outage or reduced capacity (sparse; a day not listed counted nothing), for rolling
/// error-budget windows. Columns as in `months.csv`.
pub fn days_csv(reps: &[crate::sim::avail::AvailMetrics]) -> String {
    let mut out = format!("{}\n", DayRow::CSV_HEADER);
    let min = |ns: u64| ns as f64 / 60e9;
    for (i, r) in reps.iter().enumerate() {
        for (d, v) in r.daily_ns.iter().enumerate() {
            if v.iter().all(|&x| x == 0) {
                continue;
            }
            DayRow {
                replication: i as u32,
                day: d as u32,
                downtime_min: min(v[0]),
                partial_min: min(v[1]),
                degraded_min: min(v[2]),
                partial_outage_min: min(v[3]),
            }
            .write_csv(&mut out);
        }
    }
    out
}

/// Read `days.csv` back.
pub(crate) fn parse_days_csv(text: &str) -> Result<Vec<DayRow>, CsvError> {
    parse_csv(text, DayRow::CSV_HEADER, DayRow::parse_csv)
}

/// Read `months.csv` back.
pub(crate) fn parse_months_csv(text: &str) -> Result<Vec<MonthRow>, CsvError> {
    parse_csv(text, MonthRow::CSV_HEADER, MonthRow::parse_csv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_read_back_what_they_write() {
        let m = MonthRow {
            replication: 3,
            month: 11,
            downtime_min: 1.5,
            partial_min: 0.25,
            degraded_min: 60.0,
            partial_outage_min: 0.5,
            length_min: 44_640.0,
        };
        let mut text = format!("{}\n", MonthRow::CSV_HEADER);
        m.write_csv(&mut text);
        assert_eq!(parse_months_csv(&text).unwrap(), vec![m]);
        let day = DayRow {
            replication: 1,
            day: 3649,
            downtime_min: 0.5,
            partial_min: 0.0,
            degraded_min: 12.25,
            partial_outage_min: 0.0,
        };
        let mut text = format!("{}\n", DayRow::CSV_HEADER);
        day.write_csv(&mut text);
        assert_eq!(parse_days_csv(&text).unwrap(), vec![day]);
        let t = TimeseriesRow {
            bucket_start_s: 60,
            bucket_s: 60,
            requests_per_rep: 10.5,
            ok_per_rep: 10.0,
            failed_per_rep: 0.5,
            success_ratio: 0.952381,
            latency_ms_mean: 12.5,
            latency_ms_max: 80.25,
        };
        let mut text = format!("{}\n", TimeseriesRow::CSV_HEADER);
        t.write_csv(&mut text);
        assert_eq!(parse_timeseries_csv(&text).unwrap(), vec![t]);
        for (bad, line) in [
            ("replication,month\n", 1),
            (
                "replication,month,downtime_min,partial_min,degraded_min,partial_outage_min,length_min\n0,0,1,2,3,4\n",
                2,
            ),
            (
                "replication,month,downtime_min,partial_min,degraded_min,partial_outage_min,length_min\n0,0,1,2,3,4,5\n0,1,-1,0,0,0,5\n",
                3,
            ),
            (
                "replication,month,downtime_min,partial_min,degraded_min,partial_outage_min,length_min\n0,0.5,1,2,3,4,5\n",
                2,
            ),
        ] {
            assert_eq!(parse_months_csv(bad).unwrap_err().line, line, "{bad}");
        }
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        assert!(Quantiles::of(vec![]).is_none());
        let q = Quantiles::of((1..=100).rev().map(f64::from).collect()).unwrap();
        assert_eq!((q.n, q.p50, q.p90, q.p99, q.max), (100, 50.0, 90.0, 99.0, 100.0));
        let one = Quantiles::of(vec![7.0]).unwrap();
        assert_eq!((one.p50, one.p99, one.max), (7.0, 7.0, 7.0));
    }

    /// `summary.json` stays bounded however long the horizon: a 200-year window (the longest) lists the
    /// first `MONTHS_LISTED_MAX` months (`months.csv` has them all), and the incident and
    /// page logs are capped by the driver (`INCIDENTS_MAX`). Filled to those caps, the file is
    /// under 400 kB.
    #[test]
    fn a_long_horizon_summary_stays_bounded() {
        use crate::sim::avail::{AlertLog, AvailMetrics, Cause, INCIDENTS_MAX, Incident, IncidentCause};
        let text = "name = \"long\"\nmode = \"availability\"\nhorizon = \"200y\"\nreplications = 2\n";
        let m = crate::scenario::from_str(text, "long.toml", &[]).unwrap();
        let months = 200 * 12 + 2;
        let incident = Incident {
            start_h: 1.0,
            end_h: 2.0,
            cause_class: Cause::Web,
            cause: IncidentCause::NoWebInRotation,
            failed_requests: 12.5,
        };
        let page = AlertLog {
            failed_at_h: 1.0,
            paged_at_h: 1.1,
            target: "web1".to_string(),
            alert: "InstanceDown".to_string(),
        };
        let rep = AvailMetrics {
            window_ns: m.horizon.as_nanos() - m.warmup.as_nanos(),
            monthly_downtime_ns: vec![60_000_000_000; months],
            monthly_partial_ns: vec![0; months],
            monthly_degraded_ns: vec![0; months],
            offered: 1e9,
            incidents: vec![incident; INCIDENTS_MAX],
            alerts: vec![page; INCIDENTS_MAX],
            ..AvailMetrics::default()
        };
        let s = summarise_availability(&m, &[rep.clone(), rep]);
        assert_eq!(s.months_total, months);
        assert_eq!(s.monthly_downtime_min.len(), MONTHS_LISTED_MAX);
        let bytes = crate::report::to_json(&s).len();
        assert!(bytes < 400_000, "summary.json of 400 years: {bytes} bytes");
    }
}
