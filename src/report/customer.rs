//! The customer availability report (`simpark report`): one figures struct, three renderings.
//!
//! Reads a finished results directory (`summary.json`, `months.csv` or `timeseries.csv`,
//! `latency.json`, `scenario.resolved.toml`), computes [`CustomerReport`] (serialised as
//! `report.json`) and renders that same struct as `report.html` (inline SVG, print CSS for A4)
//! and `report.md`, in English or Dutch, through the minijinja templates in `templates/`.
//!
//! Must never simulate, read a clock, the network or anything outside the results directory:
//! the same results and options give byte-identical files. Every date-like fact comes from the
//! results' own metadata.

use crate::report::plot::{self, Bar, ChartOptions, LineChart, Point, Reference, Series};
use crate::report::summary::SCHEMA_VERSION;
use crate::scenario::{self, MONTH_SECS, Model, TrafficKind};
use crate::sim::topology::NodeKind;
use crate::stats::Estimate;
use minijinja::value::{Kwargs, Serde, Value};
use minijinja::{Environment, UndefinedBehavior, context};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Version of the `report.json` layout; bump on any incompatible change.
pub const REPORT_SCHEMA_VERSION: u32 = 1;
/// The longest incidents listed one by one (the rest are counted by cause).
pub const INCIDENTS_LISTED_MAX: usize = 10;
/// A year as the simulator counts it (`10y` is 3650 days) [s].
const YEAR_S: f64 = 365.0 * 86_400.0;
/// A day [s].
const DAY_S: f64 = 86_400.0;
/// Header of `months.csv` as `simpark run` writes it.
const MONTHS_CSV_HEADER: &str = "replication,month,downtime_min,partial_min,degraded_min";
/// The columns of `timeseries.csv` the report reads, in order.
const TIMESERIES_CSV_PREFIX: &str = "bucket_start_s,bucket_s,requests_per_rep,ok_per_rep,failed_per_rep,";

const HTML_TEMPLATE: &str = include_str!("templates/report.html.j2");
const MD_TEMPLATE: &str = include_str!("templates/report.md.j2");
const STRINGS_EN: &str = include_str!("templates/strings.en.toml");
const STRINGS_NL: &str = include_str!("templates/strings.nl.toml");

/// The report could not be made. Nothing is written when any of these happens.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The results directory does not exist: there is nothing to report on.
    #[error("{0}: no such results directory (`simpark run SCENARIO.toml` writes results/<name>/)")]
    NoDir(PathBuf),
    /// A file the report needs is not in the results directory.
    #[error("{path}: missing; {hint}")]
    Missing { path: PathBuf, hint: &'static str },
    /// A results file exists but could not be read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A results file is not what simpark writes (edited, truncated, another program's).
    #[error("{path}: {message}")]
    Malformed { path: PathBuf, message: String },
    /// The results were written by a simpark with another `summary.json` layout.
    #[error(
        "{path}: schema_version {found} (written by simpark {writer}); this simpark {ours} reads schema_version {expected}. Regenerate the results with this simpark: simpark run {resolved} --out {dir}"
    )]
    Schema {
        path: PathBuf,
        found: u64,
        writer: String,
        ours: &'static str,
        expected: u32,
        resolved: String,
        dir: String,
    },
    /// `--sla` is not a percentage strictly between 0 and 100.
    #[error("--sla {0}: an SLA is a percentage strictly between 0 and 100, e.g. 99.9")]
    Sla(f64),
    /// `--lang` names a language the report is not written in.
    #[error("--lang {0}: unknown language; the report is written in `en` (English) or `nl` (Dutch)")]
    Lang(String),
    /// `--partial-outage` names no policy.
    #[error("--partial-outage {0}: unknown policy; expected `ignore`, `weighted` or `degraded`")]
    Policy(String),
    /// The policy needs minute accounting that a request-mode run does not have.
    #[error(
        "--partial-outage {0}: this is a request-mode run, whose availability is request-based (every failed request counts: `weighted`); `ignore` and `degraded` need an availability run (mode = \"availability\", months.csv)"
    )]
    PolicyNeedsAvailability(&'static str),
    /// A template or chart failed: a simpark bug, not bad input.
    #[error("rendering the report: {0}")]
    Render(String),
}

/// Language of the report's fixed text, numbers and month names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Nl,
}

impl std::str::FromStr for Lang {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, ReportError> {
        match s {
            "en" => Ok(Lang::En),
            "nl" => Ok(Lang::Nl),
            _ => Err(ReportError::Lang(s.to_string())),
        }
    }
}

/// Which minutes count against the SLA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PartialOutagePolicy {
    /// Only minutes with the whole site down (the usual SLA wording).
    Ignore,
    /// Also minutes where a share of requests fails, counted by that share.
    Weighted,
    /// Also every minute with reduced web capacity (a web server failed or out of rotation).
    Degraded,
}

impl PartialOutagePolicy {
    pub fn name(self) -> &'static str {
        match self {
            PartialOutagePolicy::Ignore => "ignore",
            PartialOutagePolicy::Weighted => "weighted",
            PartialOutagePolicy::Degraded => "degraded",
        }
    }

    /// Minutes that count as unavailable in one month of `months.csv`.
    pub fn unavailable_min(self, m: &MonthRow) -> f64 {
        match self {
            PartialOutagePolicy::Ignore => m.downtime_min,
            PartialOutagePolicy::Weighted => m.downtime_min + m.partial_min,
            PartialOutagePolicy::Degraded => m.downtime_min + m.degraded_min,
        }
    }
}

impl std::str::FromStr for PartialOutagePolicy {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, ReportError> {
        match s {
            "ignore" => Ok(PartialOutagePolicy::Ignore),
            "weighted" => Ok(PartialOutagePolicy::Weighted),
            "degraded" => Ok(PartialOutagePolicy::Degraded),
            _ => Err(ReportError::Policy(s.to_string())),
        }
    }
}

/// What the account manager asked for.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    pub customer: Option<String>,
    pub lang: Lang,
    /// The SLA [%], strictly between 0 and 100.
    pub sla_percent: f64,
    /// `None`: `ignore` for availability runs, `weighted` (request-based) for request runs.
    pub policy: Option<PartialOutagePolicy>,
}

/// One row of `months.csv`: one month of one replication [min].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MonthRow {
    pub replication: u32,
    pub month: u32,
    pub downtime_min: f64,
    pub partial_min: f64,
    pub degraded_min: f64,
}

// ---- the figures (report.json) ----------------------------------------------------------------

/// Everything the report shows, and nothing else: `report.json`, and the only input of the
/// HTML and Markdown templates.
#[derive(Debug, Serialize)]
pub struct CustomerReport {
    pub report_schema_version: u32,
    pub lang: Lang,
    pub customer: Option<String>,
    pub run: RunFigures,
    pub sla: SlaFigures,
    pub availability: AvailabilityFigures,
    /// Availability runs only.
    pub incidents: Option<IncidentFigures>,
    pub latency: LatencyFigures,
    /// Availability runs only.
    pub data_protection: Option<DataProtection>,
    pub topology: TopologyFigures,
}

/// What ran, from the results' own metadata.
#[derive(Debug, Serialize)]
pub struct RunFigures {
    pub scenario: String,
    pub description: String,
    /// `requests` or `availability`.
    pub mode: String,
    pub simpark_version: String,
    pub seed: u64,
    pub replications: u32,
    pub horizon_s: f64,
    pub warmup_s: f64,
    /// Measured window per replication (horizon minus warm-up).
    pub window_days: f64,
    pub window_years: f64,
    /// Whole months per replication the monthly figures use (availability runs).
    pub months_per_replication: Option<u32>,
    /// Traffic model: visitors per month (profile traffic) and mean offered load [req/s].
    pub visitors_per_month: Option<f64>,
    pub offered_rps: f64,
    pub balancers: u32,
    pub web_servers: u32,
    pub storage_nodes: u32,
    pub backup_server: bool,
    /// Hour of the daily backup and restic retention (daily, weekly, monthly, yearly).
    pub backup_time_of_day_h: Option<f64>,
    pub backup_keep: Option<[u32; 4]>,
}

#[derive(Debug, Serialize)]
pub struct SlaFigures {
    pub sla_percent: f64,
    /// The policy applied (`weighted` for request-mode runs, whose figures are request-based).
    pub partial_outage_policy: PartialOutagePolicy,
    /// True when availability is the share of successful requests (request-mode runs).
    pub request_based: bool,
    /// Minutes in the period the SLA is judged over (a month of 30.44 days, or the window).
    pub period_min: f64,
    /// (1 - SLA) x period [min].
    pub error_budget_min: f64,
}

/// Availability over a period (a month of the year, all months, or a request run's window).
#[derive(Debug, Serialize)]
pub struct PeriodRow {
    /// 0 = the first month of each simulated year; `None` for all months or the window.
    pub month_of_year: Option<u32>,
    /// Periods per replication behind the figures.
    pub periods_per_replication: u32,
    pub period_min: f64,
    /// 100% minus the share of the period's minutes unavailable; mean over replications.
    pub availability_pct: Estimate,
    pub unavailable_min: Estimate,
    /// Error budget minus unavailable minutes (negative: overspent).
    pub budget_remaining_min: Estimate,
    /// Chance that such a period breaks the SLA (availability runs only).
    pub breach_probability: Option<Estimate>,
}

/// One point of the availability chart: month (availability run) or day (request run).
#[derive(Debug, Serialize)]
pub struct SeriesPoint {
    /// 1-based month or day of the measured window.
    pub period: u32,
    pub availability_pct: Estimate,
}

#[derive(Debug, Serialize)]
pub struct AvailabilityFigures {
    /// `months` (availability run), `days` or `hours` (request run) on the chart.
    pub series_unit: &'static str,
    pub series: Vec<SeriesPoint>,
    /// Rows of the table: months of the year (availability) or the one window (requests).
    pub rows: Vec<PeriodRow>,
    /// All months together (availability) or the window (requests).
    pub overall: PeriodRow,
    /// Simulated months that broke the SLA, of all simulated months (availability runs).
    pub months_breaching: Option<u64>,
    pub months_total: Option<u64>,
    /// Over the whole window: time-based (availability runs) and request-based availability.
    pub availability_time_pct: Option<Estimate>,
    pub availability_request_pct: Estimate,
    pub downtime_min_per_year: Option<Estimate>,
    /// How one month is distributed (availability runs): the months are statistically alike,
    /// so the chart shows this rather than a line of noisy means per month.
    pub month_distribution: Option<MonthDistribution>,
}

/// The distribution of a month's unavailability over every simulated (replication, month).
#[derive(Debug, Serialize)]
pub struct MonthDistribution {
    /// Shares of months by unavailable minutes against the error budget, in `MONTH_BUCKETS`
    /// order: mean over replications of each replication's share [%], with its 95% CI.
    pub buckets: Vec<MonthBucket>,
    /// Monthly availability [%]: 5th percentile, median and 95th percentile over all months.
    pub availability_pct_p5: f64,
    pub availability_pct_p50: f64,
    pub availability_pct_p95: f64,
}

#[derive(Debug, Serialize)]
pub struct MonthBucket {
    /// `none`, `quarter`, `half`, `budget` or `over` (the string table's `bucket_*`).
    pub kind: &'static str,
    pub share_pct: Estimate,
}

/// Upper ends of the month buckets as fractions of the error budget (`over` is the rest):
/// no unavailability at all, up to a quarter, a half and all of the budget.
const MONTH_BUCKETS: [(&str, f64); 4] = [("none", 0.0), ("quarter", 0.25), ("half", 0.5), ("budget", 1.0)];

/// Nearest-rank quantile of sorted values.
fn quantile_sorted(xs: &[f64], q: f64) -> f64 {
    assert!(
        !xs.is_empty() && (0.0..=1.0).contains(&q),
        "quantile {q} of {} values",
        xs.len()
    );
    let rank = ((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len());
    xs[rank - 1]
}

/// The month distribution of the first `used` months of each replication.
pub fn month_distribution(
    months: &[MonthRow],
    replications: u32,
    used: usize,
    period_min: f64,
    sla_percent: f64,
    policy: PartialOutagePolicy,
) -> Option<MonthDistribution> {
    let in_window: Vec<&MonthRow> = months.iter().filter(|m| (m.month as usize) < used).collect();
    if in_window.is_empty() {
        return None;
    }
    let budget = error_budget_min(sla_percent, period_min);
    let bucket_of = |unavailable: f64| {
        MONTH_BUCKETS
            .iter()
            .position(|(_, frac)| unavailable <= frac * budget)
            .unwrap_or(MONTH_BUCKETS.len())
    };
    let kinds = MONTH_BUCKETS.len() + 1;
    let mut counts = vec![vec![0u64; kinds]; replications as usize];
    for m in &in_window {
        counts[m.replication as usize][bucket_of(policy.unavailable_min(m))] += 1;
    }
    let buckets = (0..kinds)
        .map(|k| {
            let shares: Vec<f64> = counts
                .iter()
                .map(|c| 100.0 * c[k] as f64 / c.iter().sum::<u64>().max(1) as f64)
                .collect();
            MonthBucket {
                kind: MONTH_BUCKETS.get(k).map_or("over", |b| b.0),
                share_pct: est_of(&shares),
            }
        })
        .collect();
    let mut avail: Vec<f64> = in_window
        .iter()
        .map(|m| availability_pct(policy.unavailable_min(m), period_min))
        .collect();
    avail.sort_by(f64::total_cmp);
    Some(MonthDistribution {
        buckets,
        availability_pct_p5: quantile_sorted(&avail, 0.05),
        availability_pct_p50: quantile_sorted(&avail, 0.5),
        availability_pct_p95: quantile_sorted(&avail, 0.95),
    })
}

#[derive(Debug, Serialize)]
pub struct IncidentFigures {
    /// Over all replications.
    pub per_year: Estimate,
    /// The incident log covers the first replication only: this many years of it.
    pub log_years: f64,
    pub log_total: u64,
    pub by_cause: Vec<CauseRow>,
    pub longest: Vec<IncidentRow>,
}

#[derive(Debug, Serialize)]
pub struct CauseRow {
    pub cause_kind: &'static str,
    /// The whole site was down (not only a share of requests failing).
    pub full_outage: bool,
    pub count: u64,
    pub per_year: f64,
    pub duration_min_mean: f64,
    pub duration_min_max: f64,
}

#[derive(Debug, Serialize)]
pub struct IncidentRow {
    /// 1-based simulated year and day of that year in the measured window.
    pub year: u32,
    pub day: u32,
    pub duration_min: f64,
    pub cause_kind: &'static str,
    /// Servers named in the cause (undetected failures), comma separated.
    pub servers: String,
    /// The simulator's own wording.
    pub cause: String,
    pub full_outage: bool,
    pub failed_requests: f64,
}

#[derive(Debug, Serialize)]
pub struct LatencyFigures {
    /// `summary` (request run), `latency_sample` (latency.json of an availability run), or
    /// `none` (not measured).
    pub source: &'static str,
    pub replications: Option<u32>,
    pub window_h: Option<f64>,
    pub requests_total: Option<u64>,
    pub mean_ms: Option<Estimate>,
    pub p50_ms: Option<Estimate>,
    pub p95_ms: Option<Estimate>,
    pub p99_ms: Option<Estimate>,
    pub p999_ms: Option<Estimate>,
}

#[derive(Debug, Serialize)]
pub struct DataProtection {
    pub backups_ok_per_year: Estimate,
    pub backups_failed_per_year: Estimate,
    pub snapshots_kept: Estimate,
    pub human_errors_per_year: Estimate,
    pub rpo_h_mean: Option<Estimate>,
    pub rpo_h_max: Option<Estimate>,
    pub rto_h_mean: Option<Estimate>,
    pub restores_failed_per_year: Estimate,
    pub data_loss_events_per_year: Estimate,
    pub disaster_rpo_h_mean: Option<Estimate>,
    pub disaster_rto_h_mean: Option<Estimate>,
    pub raid_array_losses_per_year: Estimate,
    pub disk_failures_per_year: Estimate,
    pub storage_failovers_per_year: Estimate,
    pub takeover_ms_mean: Option<Estimate>,
    pub failover_lost_writes_s_per_year: Estimate,
    pub split_brain_s_per_year: Estimate,
}

#[derive(Debug, Serialize)]
pub struct TopologyFigures {
    pub nodes: Vec<TopoNode>,
    /// (from, to) by node name.
    pub links: Vec<[String; 2]>,
}

#[derive(Debug, Serialize)]
pub struct TopoNode {
    pub name: String,
    /// `clients`, `balancer`, `web`, `storage` or `backup`.
    pub tier: &'static str,
    /// Storage: the node that starts as primary.
    pub primary: bool,
}

// ---- reading the results ----------------------------------------------------------------------

#[derive(Clone, Copy, Debug, Deserialize)]
struct EstIn {
    value: f64,
    ci95: Option<f64>,
}

impl From<EstIn> for Estimate {
    fn from(e: EstIn) -> Estimate {
        Estimate {
            value: e.value,
            ci95: e.ci95,
        }
    }
}

#[derive(Debug, Deserialize)]
struct HeaderIn {
    simpark_version: String,
    mode: String,
    seed: u64,
    replications: u32,
    horizon_s: f64,
    warmup_s: f64,
    offered_rps: f64,
}

#[derive(Debug, Deserialize)]
struct RequestSummaryIn {
    #[serde(flatten)]
    header: HeaderIn,
    metrics: RequestMetricsIn,
}

#[derive(Debug, Deserialize)]
struct RequestMetricsIn {
    requests_total: u64,
    success_ratio: EstIn,
    latency_ms_mean: EstIn,
    latency_ms_p50: EstIn,
    latency_ms_p95: EstIn,
    latency_ms_p99: EstIn,
    latency_ms_p999: EstIn,
}

#[derive(Debug, Deserialize)]
struct AvailSummaryIn {
    #[serde(flatten)]
    header: HeaderIn,
    metrics: AvailMetricsIn,
    incidents: Vec<IncidentIn>,
}

#[derive(Debug, Deserialize)]
struct AvailMetricsIn {
    availability_time: EstIn,
    availability_request: EstIn,
    downtime_min_per_year: EstIn,
    data_loss_events: EstIn,
    raid_array_losses_per_year: EstIn,
    incidents_per_year: EstIn,
    storage_failovers_per_year: EstIn,
    disk_failures_per_year: EstIn,
    failover_lost_writes_s_per_year: EstIn,
    split_brain_s_per_year: EstIn,
    takeover_ms_mean: Option<EstIn>,
    rpo_h_mean: Option<EstIn>,
    rpo_h_max: Option<EstIn>,
    rto_h_mean: Option<EstIn>,
    human_errors_per_year: EstIn,
    disaster_rpo_h_mean: Option<EstIn>,
    disaster_rto_h_mean: Option<EstIn>,
    backups_ok_per_year: EstIn,
    backups_failed_or_corrupt_per_year: EstIn,
    restores_failed: EstIn,
    snapshots_kept: EstIn,
}

#[derive(Debug, Deserialize)]
struct IncidentIn {
    start_h: f64,
    end_h: f64,
    cause: String,
    failed_requests: f64,
}

/// A results directory, read and checked.
enum Results {
    Requests {
        summary: RequestSummaryIn,
        /// (bucket start [s], bucket width [s], ok per replication, failed per replication).
        buckets: Vec<(f64, f64, f64, f64)>,
    },
    Availability {
        summary: Box<AvailSummaryIn>,
        months: Vec<MonthRow>,
        latency: Option<RequestSummaryIn>,
    },
}

struct Inputs {
    results: Results,
    model: Model,
}

fn read_text(path: &Path, hint: &'static str) -> Result<String, ReportError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ReportError::Missing {
            path: path.to_path_buf(),
            hint,
        }),
        Err(source) => Err(ReportError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn malformed(path: &Path, message: impl std::fmt::Display) -> ReportError {
    ReportError::Malformed {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// Parse a `summary.json`-layout file after checking its schema version.
fn read_summary_json(dir: &Path, path: &Path, hint: &'static str) -> Result<serde_json::Value, ReportError> {
    let text = read_text(path, hint)?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| malformed(path, format!("not JSON: {e}")))?;
    let Some(found) = v.get("schema_version").and_then(serde_json::Value::as_u64) else {
        return Err(malformed(path, "no schema_version: not a simpark summary"));
    };
    if found != u64::from(SCHEMA_VERSION) {
        let writer = v
            .get("simpark_version")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("(unknown)")
            .to_string();
        return Err(ReportError::Schema {
            path: path.to_path_buf(),
            found,
            writer,
            ours: env!("CARGO_PKG_VERSION"),
            expected: SCHEMA_VERSION,
            resolved: dir.join("scenario.resolved.toml").display().to_string(),
            dir: dir.display().to_string(),
        });
    }
    Ok(v)
}

fn parse_months_csv(path: &Path, text: &str, replications: u32) -> Result<Vec<MonthRow>, ReportError> {
    let mut lines = text.lines();
    if lines.next() != Some(MONTHS_CSV_HEADER) {
        return Err(malformed(path, format!("the first line must be `{MONTHS_CSV_HEADER}`")));
    }
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let bad = || malformed(path, format!("line {}: expected 5 numbers, found `{line}`", i + 2));
        if f.len() != 5 {
            return Err(bad());
        }
        let num = |s: &str| s.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0);
        rows.push(MonthRow {
            replication: f[0].parse().map_err(|_| bad())?,
            month: f[1].parse().map_err(|_| bad())?,
            downtime_min: num(f[2]).ok_or_else(bad)?,
            partial_min: num(f[3]).ok_or_else(bad)?,
            degraded_min: num(f[4]).ok_or_else(bad)?,
        });
    }
    let per_rep = |r: u32| rows.iter().filter(|m| m.replication == r).count();
    let months = per_rep(0);
    if months == 0 || (0..replications).any(|r| per_rep(r) != months) || rows.len() != months * replications as usize {
        return Err(malformed(
            path,
            format!("expected the same months for each of the {replications} replications in summary.json"),
        ));
    }
    Ok(rows)
}

fn parse_timeseries_csv(path: &Path, text: &str) -> Result<Vec<(f64, f64, f64, f64)>, ReportError> {
    let mut lines = text.lines();
    if !lines.next().is_some_and(|h| h.starts_with(TIMESERIES_CSV_PREFIX)) {
        return Err(malformed(
            path,
            format!("the first line must start with `{TIMESERIES_CSV_PREFIX}`"),
        ));
    }
    lines
        .enumerate()
        .map(|(i, line)| {
            let f: Vec<f64> = line.split(',').filter_map(|s| s.parse().ok()).collect();
            if f.len() < 5 || f.iter().any(|x| !x.is_finite()) {
                return Err(malformed(
                    path,
                    format!("line {}: expected numbers, found `{line}`", i + 2),
                ));
            }
            Ok((f[0], f[1], f[3], f[4]))
        })
        .collect()
}

impl Inputs {
    fn read(dir: &Path) -> Result<Inputs, ReportError> {
        if !dir.is_dir() {
            return Err(ReportError::NoDir(dir.to_path_buf()));
        }
        let summary_path = dir.join("summary.json");
        let v = read_summary_json(
            dir,
            &summary_path,
            "not a simpark results directory (`simpark run SCENARIO.toml --out DIR` writes it)",
        )?;
        let resolved = dir.join("scenario.resolved.toml");
        let text = read_text(&resolved, "the report draws the park from it; `simpark run` writes it")?;
        let model = scenario::from_str(&text, &resolved.display().to_string(), &[])
            .map_err(|e| malformed(&resolved, format!("does not load as a scenario: {e}")))?;
        let mode = v.get("mode").and_then(serde_json::Value::as_str).unwrap_or("");
        let results = match mode {
            "requests" => {
                let summary: RequestSummaryIn = serde_json::from_value(v).map_err(|e| malformed(&summary_path, e))?;
                let ts = dir.join("timeseries.csv");
                let buckets = parse_timeseries_csv(
                    &ts,
                    &read_text(&ts, "a request-mode run writes it next to summary.json")?,
                )?;
                Results::Requests { summary, buckets }
            }
            "availability" => {
                let summary: AvailSummaryIn = serde_json::from_value(v).map_err(|e| malformed(&summary_path, e))?;
                let mp = dir.join("months.csv");
                let months = parse_months_csv(
                    &mp,
                    &read_text(&mp, "an availability run writes it; re-run it with this simpark")?,
                    summary.header.replications,
                )?;
                let lp = dir.join("latency.json");
                let latency = if lp.exists() {
                    let v = read_summary_json(dir, &lp, "")?;
                    Some(serde_json::from_value(v).map_err(|e| malformed(&lp, e))?)
                } else {
                    None
                };
                Results::Availability {
                    summary: Box::new(summary),
                    months,
                    latency,
                }
            }
            other => return Err(malformed(&summary_path, format!("unknown mode `{other}`"))),
        };
        Ok(Inputs { results, model })
    }
}

// ---- the figures --------------------------------------------------------------------------------

/// Availability [%] of a period with `unavailable_min` of its `period_min` minutes down.
pub fn availability_pct(unavailable_min: f64, period_min: f64) -> f64 {
    assert!(period_min > 0.0, "a period has minutes");
    (100.0 * (1.0 - unavailable_min / period_min)).clamp(0.0, 100.0)
}

/// Minutes a period may be unavailable under the SLA: (1 - SLA) x minutes in the period.
pub fn error_budget_min(sla_percent: f64, period_min: f64) -> f64 {
    (1.0 - sla_percent / 100.0) * period_min
}

/// Whether a period breaks the SLA: its availability is below the SLA.
pub fn breaks_sla(unavailable_min: f64, period_min: f64, sla_percent: f64) -> bool {
    unavailable_min > error_budget_min(sla_percent, period_min)
}

fn scale(e: Estimate, k: f64) -> Estimate {
    Estimate {
        value: e.value * k,
        ci95: e.ci95.map(|c| c * k),
    }
}

fn est_of(xs: &[f64]) -> Estimate {
    Estimate::from_samples(xs)
}

/// Whole months per replication that the monthly figures use, and each one's length [min]:
/// whole months of 30.44 days; a window shorter than a month is its own period.
fn months_used(window_s: f64) -> (usize, f64) {
    let whole = (window_s / MONTH_SECS + 1e-9).floor() as usize;
    if whole >= 1 {
        (whole, MONTH_SECS / 60.0)
    } else {
        (1, window_s / 60.0)
    }
}

/// Availability, unavailable minutes, budget left and the chance of breaking the SLA over the
/// months `pick` selects, per replication, as estimates across replications.
pub fn period_row(
    months: &[MonthRow],
    replications: u32,
    used: usize,
    period_min: f64,
    sla_percent: f64,
    policy: PartialOutagePolicy,
    month_of_year: Option<u32>,
) -> PeriodRow {
    let pick = |m: u32| (m as usize) < used && month_of_year.is_none_or(|k| m % 12 == k);
    let (mut avail, mut down, mut breach) = (Vec::new(), Vec::new(), Vec::new());
    let mut periods = 0;
    for r in 0..replications {
        let mine: Vec<f64> = months
            .iter()
            .filter(|m| m.replication == r && pick(m.month))
            .map(|m| policy.unavailable_min(m))
            .collect();
        assert!(!mine.is_empty(), "every replication has the picked months");
        periods = mine.len();
        let n = mine.len() as f64;
        avail.push(mine.iter().map(|&u| availability_pct(u, period_min)).sum::<f64>() / n);
        down.push(mine.iter().sum::<f64>() / n);
        breach.push(mine.iter().filter(|&&u| breaks_sla(u, period_min, sla_percent)).count() as f64 / n);
    }
    let unavailable = est_of(&down);
    let budget = error_budget_min(sla_percent, period_min);
    PeriodRow {
        month_of_year,
        periods_per_replication: periods as u32,
        period_min,
        availability_pct: est_of(&avail),
        unavailable_min: unavailable,
        budget_remaining_min: Estimate {
            value: budget - unavailable.value,
            ci95: unavailable.ci95,
        },
        breach_probability: Some(est_of(&breach)),
    }
}

/// What kind of cause the simulator's incident wording names, and the servers it names.
fn classify_cause(cause: &str) -> (&'static str, String, bool) {
    match cause {
        "no balancer holds the site address" => ("balancer", String::new(), true),
        "no writable storage primary" => ("storage", String::new(), true),
        "no web server in rotation" => ("no_web_in_rotation", String::new(), true),
        "every web server in rotation has failed" => ("all_web_failed", String::new(), true),
        _ => match cause.strip_prefix("undetected failure of ") {
            Some(servers) => ("undetected_web", servers.to_string(), false),
            None => ("other", String::new(), false),
        },
    }
}

fn incident_figures(s: &AvailSummaryIn, window_s: f64) -> IncidentFigures {
    let warmup_h = s.header.warmup_s / 3600.0;
    let log: Vec<&IncidentIn> = s.incidents.iter().filter(|i| i.end_h > warmup_h).collect();
    let log_years = window_s / YEAR_S;
    let mut groups: BTreeMap<&'static str, (bool, Vec<f64>)> = BTreeMap::new();
    for i in &log {
        let (kind, _, full) = classify_cause(&i.cause);
        groups
            .entry(kind)
            .or_insert((full, Vec::new()))
            .1
            .push((i.end_h - i.start_h) * 60.0);
    }
    let mut by_cause: Vec<CauseRow> = groups
        .into_iter()
        .map(|(kind, (full, d))| CauseRow {
            cause_kind: kind,
            full_outage: full,
            count: d.len() as u64,
            per_year: d.len() as f64 / log_years,
            duration_min_mean: d.iter().sum::<f64>() / d.len() as f64,
            duration_min_max: d.iter().copied().fold(0.0, f64::max),
        })
        .collect();
    by_cause.sort_by(|a, b| b.count.cmp(&a.count).then(a.cause_kind.cmp(b.cause_kind)));
    let mut longest: Vec<&IncidentIn> = log.clone();
    longest.sort_by(|a, b| {
        (b.end_h - b.start_h)
            .total_cmp(&(a.end_h - a.start_h))
            .then(a.start_h.total_cmp(&b.start_h))
    });
    let longest = longest
        .into_iter()
        .take(INCIDENTS_LISTED_MAX)
        .map(|i| {
            let (kind, servers, full) = classify_cause(&i.cause);
            let day0 = ((i.start_h - warmup_h).max(0.0) * 3600.0 / DAY_S).floor() as u32;
            IncidentRow {
                year: day0 / 365 + 1,
                day: day0 % 365 + 1,
                duration_min: (i.end_h - i.start_h) * 60.0,
                cause_kind: kind,
                servers,
                cause: i.cause.clone(),
                full_outage: full,
                failed_requests: i.failed_requests,
            }
        })
        .collect();
    IncidentFigures {
        per_year: s.metrics.incidents_per_year.into(),
        log_years,
        log_total: log.len() as u64,
        by_cause,
        longest,
    }
}

fn latency_figures(s: Option<&RequestSummaryIn>, source: &'static str) -> LatencyFigures {
    let Some(s) = s else {
        return LatencyFigures {
            source: "none",
            replications: None,
            window_h: None,
            requests_total: None,
            mean_ms: None,
            p50_ms: None,
            p95_ms: None,
            p99_ms: None,
            p999_ms: None,
        };
    };
    let m = &s.metrics;
    LatencyFigures {
        source,
        replications: Some(s.header.replications),
        window_h: Some((s.header.horizon_s - s.header.warmup_s) / 3600.0),
        requests_total: Some(m.requests_total),
        mean_ms: Some(m.latency_ms_mean.into()),
        p50_ms: Some(m.latency_ms_p50.into()),
        p95_ms: Some(m.latency_ms_p95.into()),
        p99_ms: Some(m.latency_ms_p99.into()),
        p999_ms: Some(m.latency_ms_p999.into()),
    }
}

fn data_protection(m: &AvailMetricsIn, years: f64) -> DataProtection {
    let opt = |e: Option<EstIn>| e.map(Estimate::from);
    DataProtection {
        backups_ok_per_year: m.backups_ok_per_year.into(),
        backups_failed_per_year: m.backups_failed_or_corrupt_per_year.into(),
        snapshots_kept: m.snapshots_kept.into(),
        human_errors_per_year: m.human_errors_per_year.into(),
        rpo_h_mean: opt(m.rpo_h_mean),
        rpo_h_max: opt(m.rpo_h_max),
        rto_h_mean: opt(m.rto_h_mean),
        restores_failed_per_year: scale(m.restores_failed.into(), 1.0 / years),
        data_loss_events_per_year: scale(m.data_loss_events.into(), 1.0 / years),
        disaster_rpo_h_mean: opt(m.disaster_rpo_h_mean),
        disaster_rto_h_mean: opt(m.disaster_rto_h_mean),
        raid_array_losses_per_year: m.raid_array_losses_per_year.into(),
        disk_failures_per_year: m.disk_failures_per_year.into(),
        storage_failovers_per_year: m.storage_failovers_per_year.into(),
        takeover_ms_mean: opt(m.takeover_ms_mean),
        failover_lost_writes_s_per_year: m.failover_lost_writes_s_per_year.into(),
        split_brain_s_per_year: m.split_brain_s_per_year.into(),
    }
}

fn topology_figures(model: &Model) -> TopologyFigures {
    let t = &model.topology;
    let mut nodes: Vec<(u8, TopoNode)> = t
        .node_names()
        .into_iter()
        .filter_map(|name| {
            let kind = t.kind(t.node_by_name(&name)?);
            let (rank, tier, primary) = match kind {
                NodeKind::Clients => (0, "clients", false),
                NodeKind::Balancer => (1, "balancer", false),
                NodeKind::Web(_) => (2, "web", false),
                NodeKind::Storage(j) => (3, "storage", j == 0),
                NodeKind::Backup => (4, "backup", false),
            };
            Some((rank, TopoNode { name, tier, primary }))
        })
        .collect();
    // Stable: within a tier, the order the park was built in (lb1 before lb2, web1 first).
    nodes.sort_by_key(|(rank, _)| *rank);
    TopologyFigures {
        nodes: nodes.into_iter().map(|(_, n)| n).collect(),
        links: t.links().into_iter().map(|(a, b)| [a, b]).collect(),
    }
}

fn run_figures(model: &Model, h: &HeaderIn, months: Option<u32>) -> RunFigures {
    let spec = &model.spec;
    let window_s = h.horizon_s - h.warmup_s;
    let backup = model.backup.is_some() && spec.backup.enabled;
    RunFigures {
        scenario: spec.name.clone(),
        description: spec.description.clone(),
        mode: h.mode.clone(),
        simpark_version: h.simpark_version.clone(),
        seed: h.seed,
        replications: h.replications,
        horizon_s: h.horizon_s,
        warmup_s: h.warmup_s,
        window_days: window_s / DAY_S,
        window_years: window_s / YEAR_S,
        months_per_replication: months,
        visitors_per_month: (spec.traffic.kind == TrafficKind::Profile).then_some(spec.traffic.visitors_per_month),
        offered_rps: h.offered_rps,
        balancers: if spec.balancer.pair { 2 } else { 1 },
        web_servers: model.web.count,
        storage_nodes: model.storage.count,
        backup_server: backup,
        backup_time_of_day_h: backup.then_some(spec.backup.time_of_day_h),
        backup_keep: backup.then_some([
            spec.backup.keep_daily,
            spec.backup.keep_weekly,
            spec.backup.keep_monthly,
            spec.backup.keep_yearly,
        ]),
    }
}

fn figures(inputs: &Inputs, opts: &ReportOptions) -> Result<CustomerReport, ReportError> {
    let sla = opts.sla_percent;
    let model = &inputs.model;
    let (run, sla_fig, availability, incidents, latency, data_protection) = match &inputs.results {
        Results::Availability {
            summary,
            months,
            latency,
        } => {
            let h = &summary.header;
            let policy = opts.policy.unwrap_or(PartialOutagePolicy::Ignore);
            let window_s = h.horizon_s - h.warmup_s;
            let (used, period_min) = months_used(window_s);
            let reps = h.replications;
            let row = |k| period_row(months, reps, used, period_min, sla, policy, k);
            let rows: Vec<PeriodRow> = (0..used.min(12) as u32).map(|k| row(Some(k))).collect();
            let overall = row(None);
            let series = (0..used as u32)
                .map(|m| {
                    let xs: Vec<f64> = months
                        .iter()
                        .filter(|r| r.month == m)
                        .map(|r| availability_pct(policy.unavailable_min(r), period_min))
                        .collect();
                    SeriesPoint {
                        period: m + 1,
                        availability_pct: est_of(&xs),
                    }
                })
                .collect();
            let in_window: Vec<&MonthRow> = months.iter().filter(|m| (m.month as usize) < used).collect();
            let breaching = in_window
                .iter()
                .filter(|m| breaks_sla(policy.unavailable_min(m), period_min, sla))
                .count();
            let month_distribution = month_distribution(months, reps, used, period_min, sla, policy);
            let m = &summary.metrics;
            (
                run_figures(model, h, Some(used as u32)),
                SlaFigures {
                    sla_percent: sla,
                    partial_outage_policy: policy,
                    request_based: false,
                    period_min,
                    error_budget_min: error_budget_min(sla, period_min),
                },
                AvailabilityFigures {
                    series_unit: "months",
                    series,
                    rows,
                    overall,
                    months_breaching: Some(breaching as u64),
                    months_total: Some(in_window.len() as u64),
                    availability_time_pct: Some(scale(m.availability_time.into(), 100.0)),
                    availability_request_pct: scale(m.availability_request.into(), 100.0),
                    downtime_min_per_year: Some(m.downtime_min_per_year.into()),
                    month_distribution,
                },
                Some(incident_figures(summary, window_s)),
                latency_figures(latency.as_ref(), "latency_sample"),
                Some(data_protection(m, window_s / YEAR_S)),
            )
        }
        Results::Requests { summary, buckets } => {
            let policy = match opts.policy {
                None | Some(PartialOutagePolicy::Weighted) => PartialOutagePolicy::Weighted,
                Some(p) => return Err(ReportError::PolicyNeedsAvailability(p.name())),
            };
            let h = &summary.header;
            let window_s = h.horizon_s - h.warmup_s;
            let period_min = window_s / 60.0;
            let success = scale(summary.metrics.success_ratio.into(), 100.0);
            let unavailable = Estimate {
                value: (1.0 - success.value / 100.0) * period_min,
                ci95: success.ci95.map(|c| c / 100.0 * period_min),
            };
            let budget = error_budget_min(sla, period_min);
            let overall = PeriodRow {
                month_of_year: None,
                periods_per_replication: 1,
                period_min,
                availability_pct: success,
                unavailable_min: unavailable,
                budget_remaining_min: Estimate {
                    value: budget - unavailable.value,
                    ci95: unavailable.ci95,
                },
                breach_probability: None,
            };
            // Per day of the measured window (per hour for windows up to two days), pooled over
            // replications: timeseries.csv holds no per-replication figures, so these points
            // carry no interval.
            let (unit, unit_s) = if window_s <= 2.0 * DAY_S {
                ("hours", 3600.0)
            } else {
                ("days", DAY_S)
            };
            let mut days: BTreeMap<u32, (f64, f64)> = BTreeMap::new();
            for &(start, width, ok, failed) in buckets {
                if start + 1e-9 < h.warmup_s || start >= h.horizon_s || width <= 0.0 {
                    continue;
                }
                let d = ((start - h.warmup_s) / unit_s).floor() as u32;
                let e = days.entry(d).or_default();
                e.0 += ok;
                e.1 += failed;
            }
            let series = days
                .into_iter()
                .filter(|(_, (ok, failed))| ok + failed > 0.0)
                .map(|(d, (ok, failed))| SeriesPoint {
                    period: d + 1,
                    availability_pct: Estimate {
                        value: 100.0 * ok / (ok + failed),
                        ci95: None,
                    },
                })
                .collect();
            (
                run_figures(model, h, None),
                SlaFigures {
                    sla_percent: sla,
                    partial_outage_policy: policy,
                    request_based: true,
                    period_min,
                    error_budget_min: budget,
                },
                AvailabilityFigures {
                    series_unit: unit,
                    series,
                    rows: vec![],
                    overall,
                    months_breaching: None,
                    months_total: None,
                    availability_time_pct: None,
                    availability_request_pct: success,
                    downtime_min_per_year: None,
                    month_distribution: None,
                },
                None,
                latency_figures(Some(summary), "summary"),
                None,
            )
        }
    };
    Ok(CustomerReport {
        report_schema_version: REPORT_SCHEMA_VERSION,
        lang: opts.lang,
        customer: opts.customer.clone().filter(|c| !c.trim().is_empty()),
        run,
        sla: sla_fig,
        availability,
        incidents,
        latency,
        data_protection,
        topology: topology_figures(model),
    })
}

// ---- language ---------------------------------------------------------------------------------

/// The fixed text of one language (`templates/strings.<lang>.toml`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Strings {
    months: Vec<String>,
    months_short: Vec<String>,
    text: BTreeMap<String, String>,
}

fn strings(lang: Lang) -> Strings {
    let src = match lang {
        Lang::En => STRINGS_EN,
        Lang::Nl => STRINGS_NL,
    };
    let s: Strings = toml::from_str(src).expect("the bundled string tables parse (a unit test checks)");
    assert!(s.months.len() == 12 && s.months_short.len() == 12);
    s
}

/// `v` with `digits` decimals, thousands grouped, in the language's style: en "12,345.6",
/// nl "12.345,6". Never "-0".
pub fn format_number(v: f64, digits: usize, lang: Lang) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let (group, decimal) = match lang {
        Lang::En => (',', '.'),
        Lang::Nl => ('.', ','),
    };
    let s = format!("{:.*}", digits, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut out = String::new();
    let zero = s.chars().all(|c| c == '0' || c == '.');
    if v < 0.0 && !zero {
        out.push('−');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(decimal);
        out.push_str(frac);
    }
    out
}

/// A percentage as the language writes it: en "99.95%", nl "99,95%".
pub fn format_percent(v: f64, digits: usize, lang: Lang) -> String {
    format!("{}%", format_number(v, digits, lang))
}

fn est_parts(v: &Value) -> Result<(f64, Option<f64>), minijinja::Error> {
    let value = f64::try_from(v.get_attr("value")?)?;
    let ci = v.get_attr("ci95")?;
    let ci = if ci.is_none() || ci.is_undefined() {
        None
    } else {
        Some(f64::try_from(ci)?)
    };
    Ok((value, ci))
}

fn environment(lang: Lang, text: &'static str, name: &'static str) -> Result<Environment<'static>, ReportError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    env.add_filter("num", move |v: f64, digits: usize| format_number(v, digits, lang));
    env.add_filter("md", |v: String| md_escape(&v));
    env.add_filter("pct", move |v: f64, digits: usize| format_percent(v, digits, lang));
    env.add_filter(
        "est",
        move |v: Value, digits: usize| -> Result<String, minijinja::Error> {
            let (value, ci) = est_parts(&v)?;
            Ok(match ci {
                Some(c) => format!(
                    "{} ± {}",
                    format_number(value, digits, lang),
                    format_number(c, digits, lang)
                ),
                None => format_number(value, digits, lang),
            })
        },
    );
    // A percentage estimate: "99.97% ± 0.01" (`factor` 100 turns a probability into %).
    env.add_filter(
        "estp",
        move |v: Value, digits: usize, factor: Option<f64>| -> Result<String, minijinja::Error> {
            let (value, ci) = est_parts(&v)?;
            let k = factor.unwrap_or(1.0);
            Ok(match ci {
                Some(c) => format!(
                    "{} ± {}",
                    format_percent(value * k, digits, lang),
                    format_number(c * k, digits, lang)
                ),
                None => format_percent(value * k, digits, lang),
            })
        },
    );
    // Fill `{name}` placeholders of a string-table sentence with already formatted values.
    env.add_filter(
        "fill",
        |s: String, kwargs: Kwargs| -> Result<String, minijinja::Error> {
            let mut out = s;
            for k in kwargs.args() {
                let v: Value = kwargs.get(k)?;
                out = out.replace(&format!("{{{k}}}"), &v.to_string());
            }
            Ok(out)
        },
    );
    // Markdown table cells: a `|` would end the cell.
    env.add_filter("cell", |s: String| s.replace('|', "\\|").replace('\n', " "));
    env.add_template(name, text)
        .map_err(|e| ReportError::Render(format!("{name}: {e:#}")))?;
    Ok(env)
}

// ---- charts -------------------------------------------------------------------------------------

/// Inline SVG: plotters' document without its XML prolog, scaled to the page by CSS.
fn inline(svg: String) -> String {
    match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => svg,
    }
}

fn charts(r: &CustomerReport, s: &Strings) -> Result<BTreeMap<&'static str, String>, ReportError> {
    let t = |k: &str| {
        s.text
            .get(k)
            .cloned()
            .unwrap_or_else(|| panic!("string `{k}` in the table"))
    };
    let render = |e: plot::PlotError| ReportError::Render(e.to_string());
    let comma = r.lang == Lang::Nl;
    let opts = |y_range, one_colour| ChartOptions {
        y_range,
        decimal_comma: comma,
        tidy_ticks: true,
        light_lines_max: Some(1),
        one_colour,
        legend_lower_left: true,
        ..ChartOptions::default()
    };
    let a = &r.availability;
    let mut out = BTreeMap::new();
    // Availability per month (or day) against the SLA, y axis from just below the lowest
    // band or the SLA to just above 100%.
    let lowest = a
        .series
        .iter()
        .map(|p| p.availability_pct.value - p.availability_pct.ci95.unwrap_or(0.0))
        .fold(r.sla.sla_percent, f64::min);
    let pad = (100.0 - lowest).max(0.01) * 0.15;
    let (unit, title, label) = match a.series_unit {
        "months" => ("x_months", "chart_availability_title", "chart_mean_ci"),
        "days" => ("x_days", "chart_availability_title_request", "chart_pooled"),
        _ => ("x_hours", "chart_availability_title_request", "chart_pooled"),
    };
    let sla_label = t("chart_sla").replace("{sla}", &format_percent(r.sla.sla_percent, 2, r.lang));
    let avail = if let Some(d) = &a.month_distribution {
        // Months are statistically alike: one month's distribution, not a mean per month.
        let bars: Vec<Bar> = d
            .buckets
            .iter()
            .map(|b| Bar {
                label: t(&format!("bucket_{}", b.kind)),
                value: b.share_pct.value,
                ci95: b.share_pct.ci95,
            })
            .collect();
        plot::bar_chart_with(
            &t("chart_distribution_title"),
            &t("y_share_months"),
            &bars,
            None,
            &opts(Some((0.0, 100.0)), true),
        )
        .map_err(render)?
    } else {
        plot::line_chart_with(
            &LineChart {
                title: t(title),
                x_label: t(unit),
                y_label: t("y_availability"),
                log_x: false,
                log_y: false,
            },
            &[Series {
                label: t(label),
                points: a
                    .series
                    .iter()
                    .map(|p| Point {
                        x: f64::from(p.period),
                        y: p.availability_pct.value,
                        ci95: p.availability_pct.ci95,
                    })
                    .collect(),
            }],
            &[Reference {
                label: sla_label.clone(),
                y: r.sla.sla_percent,
            }],
            &opts(Some((lowest - pad, 100.0 + pad * 0.25)), false),
        )
        .map_err(render)?
    };
    out.insert("availability", inline(avail));
    // Unavailable minutes per month of the year (or the window) against the error budget.
    let rows: Vec<&PeriodRow> = if a.rows.is_empty() {
        vec![&a.overall]
    } else {
        a.rows.iter().collect()
    };
    let bars: Vec<Bar> = rows
        .iter()
        .map(|p| Bar {
            label: match p.month_of_year {
                Some(k) => s.months_short[k as usize].clone(),
                None => t("window"),
            },
            value: p.unavailable_min.value,
            ci95: p.unavailable_min.ci95,
        })
        .collect();
    let budget_label = t("chart_budget").replace("{min}", &format_number(r.sla.error_budget_min, 1, r.lang));
    let down = plot::bar_chart_with(
        &t("chart_downtime_title"),
        &t("y_minutes"),
        &bars,
        Some(&Reference {
            label: budget_label,
            y: r.sla.error_budget_min,
        }),
        &opts(None, true),
    )
    .map_err(render)?;
    out.insert("downtime", inline(down));
    let l = &r.latency;
    if let (Some(p50), Some(p95), Some(p99), Some(p999)) = (l.p50_ms, l.p95_ms, l.p99_ms, l.p999_ms) {
        let bars: Vec<Bar> = [("p50", p50), ("p95", p95), ("p99", p99), ("p99.9", p999)]
            .into_iter()
            .map(|(label, e)| Bar {
                label: if comma { label.replace('.', ",") } else { label.into() },
                value: e.value,
                ci95: e.ci95,
            })
            .collect();
        let svg = plot::bar_chart_with(&t("chart_latency_title"), &t("y_ms"), &bars, None, &opts(None, false))
            .map_err(render)?;
        out.insert("latency", inline(svg));
    }
    out.insert("topology", topology_svg(&r.topology, s));
    Ok(out)
}

/// A user-supplied string as literal Markdown text: one line, every Markdown punctuation
/// character backslash-escaped and HTML's `<`, `>`, `&` as entities, so that a customer
/// name can start no heading, link, image, list or raw HTML in `report.md`.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.' | '!' | '|' | '~'
            | ':' | '"' | '\'' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The park as columns, left to right: visitors, balancers, web servers, storage, backup;
/// arrows for the links. Plain SVG with the page's sans-serif font: no Graphviz, no assets.
fn topology_svg(topo: &TopologyFigures, s: &Strings) -> String {
    const W: f64 = 760.0;
    const BOX_W: f64 = 118.0;
    const BOX_H: f64 = 46.0;
    const STEP_Y: f64 = 62.0;
    const TOP: f64 = 14.0;
    let t = |k: &str| s.text.get(k).cloned().unwrap_or_default();
    let tiers = ["clients", "balancer", "web", "storage", "backup"];
    let columns: Vec<Vec<&TopoNode>> = tiers
        .iter()
        .map(|tier| topo.nodes.iter().filter(|n| n.tier == *tier).collect())
        .filter(|c: &Vec<&TopoNode>| !c.is_empty())
        .collect();
    let rows = columns.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let h = TOP * 2.0 + rows as f64 * STEP_Y;
    let col_w = W / columns.len().max(1) as f64;
    let mut pos: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for (c, col) in columns.iter().enumerate() {
        let x = col_w * (c as f64 + 0.5);
        let y0 = TOP + (rows - col.len()) as f64 * STEP_Y / 2.0 + STEP_Y / 2.0;
        for (i, n) in col.iter().enumerate() {
            pos.insert(&n.name, (x, y0 + i as f64 * STEP_Y));
        }
    }
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="topology" width="{W}" height="{h}" viewBox="0 0 {W} {h}" role="img" aria-label="{}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs><rect width="{W}" height="{h}" fill="#fff"/>"##,
        xml_escape(&t("topology_title"))
    );
    for [a, b] in &topo.links {
        let (Some(&(x1, y1)), Some(&(x2, y2))) = (pos.get(a.as_str()), pos.get(b.as_str())) else {
            continue;
        };
        let _ = write!(
            svg,
            r##"<line x1="{:.1}" y1="{y1:.1}" x2="{:.1}" y2="{y2:.1}" stroke="#777" stroke-width="1.3" marker-end="url(#arrow)"/>"##,
            x1 + BOX_W / 2.0,
            x2 - BOX_W / 2.0 - 2.0
        );
    }
    for n in &topo.nodes {
        let Some(&(x, y)) = pos.get(n.name.as_str()) else {
            continue;
        };
        let (fill, stroke, role) = match n.tier {
            "clients" => ("#f2f2f2", "#888", t("role_clients")),
            "balancer" => ("#e3effa", "#0072b2", t("role_balancer")),
            "web" => ("#e6f5ef", "#009e73", t("role_web")),
            "storage" if n.primary => ("#fdf0e6", "#d55e00", t("role_storage_primary")),
            "storage" => ("#fdf0e6", "#d55e00", t("role_storage_replica")),
            _ => ("#f6eef4", "#cc79a7", t("role_backup")),
        };
        let (left, top) = (x - BOX_W / 2.0, y - BOX_H / 2.0);
        if n.tier == "clients" {
            let _ = write!(
                svg,
                r#"<ellipse cx="{x:.1}" cy="{y:.1}" rx="{:.1}" ry="{:.1}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>"#,
                BOX_W / 2.0,
                BOX_H / 2.0
            );
        } else {
            let _ = write!(
                svg,
                r#"<rect x="{left:.1}" y="{top:.1}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>"#
            );
        }
        let label = if n.tier == "clients" {
            t("clients")
        } else {
            n.name.clone()
        };
        let _ = write!(
            svg,
            r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-family="sans-serif" font-size="14" font-weight="bold" fill="#222">{}</text><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-family="sans-serif" font-size="11" fill="#444">{}</text>"##,
            y - 3.0,
            xml_escape(&label),
            y + 13.0,
            xml_escape(&role)
        );
    }
    svg.push_str("</svg>");
    svg
}

// ---- rendering ----------------------------------------------------------------------------------

/// The three files of a report, rendered from one [`CustomerReport`].
#[derive(Debug)]
pub struct Rendered {
    pub figures: CustomerReport,
    pub html: String,
    pub markdown: String,
    pub json: String,
}

fn render_with(
    r: &CustomerReport,
    s: &Strings,
    name: &'static str,
    text: &'static str,
    charts: Value,
) -> Result<String, ReportError> {
    let env = environment(r.lang, text, name)?;
    let tmpl = env
        .get_template(name)
        .map_err(|e| ReportError::Render(format!("{name}: {e:#}")))?;
    tmpl.render(context! {
        r => Value::from(Serde(r)),
        t => Value::from(Serde(&s.text)),
        months => Value::from(Serde(&s.months)),
        months_short => Value::from(Serde(&s.months_short)),
        charts => charts,
    })
    .map_err(|e| ReportError::Render(format!("{name}: {e:#}")))
}

/// `report.html`: self-contained (inline SVG and CSS), A4 print layout.
pub fn render_html(r: &CustomerReport) -> Result<String, ReportError> {
    let s = strings(r.lang);
    let charts = charts(r, &s)?;
    render_with(r, &s, "report.html.j2", HTML_TEMPLATE, Value::from(Serde(&charts)))
}

/// `report.md`: the same sections and tables for e-mail, without charts.
pub fn render_markdown(r: &CustomerReport) -> Result<String, ReportError> {
    let s = strings(r.lang);
    render_with(r, &s, "report.md.j2", MD_TEMPLATE, Value::from(()))
}

/// Check the options, read `dir`, compute the figures and render all three files in memory;
/// the caller writes them. Errors leave nothing behind because nothing was written.
pub fn build(dir: &Path, opts: &ReportOptions) -> Result<Rendered, ReportError> {
    if !(opts.sla_percent.is_finite() && opts.sla_percent > 0.0 && opts.sla_percent < 100.0) {
        return Err(ReportError::Sla(opts.sla_percent));
    }
    let inputs = Inputs::read(dir)?;
    let figures = figures(&inputs, opts)?;
    let html = render_html(&figures)?;
    let markdown = render_markdown(&figures)?;
    let json = super::to_json(&figures);
    Ok(Rendered {
        figures,
        html,
        markdown,
        json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(replication: u32, month: u32, down: f64, partial: f64, degraded: f64) -> MonthRow {
        MonthRow {
            replication,
            month,
            downtime_min: down,
            partial_min: partial,
            degraded_min: degraded,
        }
    }

    const MONTH_MIN: f64 = MONTH_SECS / 60.0;

    #[test]
    fn month_availability_and_budget() {
        // 43.83 minutes in a 43,830-minute month is 0.1% down.
        assert!((MONTH_MIN - 43_830.0).abs() < 1e-9);
        assert!((availability_pct(43.83, MONTH_MIN) - 99.9).abs() < 1e-12);
        assert_eq!(availability_pct(0.0, MONTH_MIN), 100.0);
        assert_eq!(availability_pct(2.0 * MONTH_MIN, MONTH_MIN), 0.0, "clamped");
        assert!((error_budget_min(99.9, MONTH_MIN) - 43.83).abs() < 1e-9);
        assert!((error_budget_min(99.95, 60.0 * 24.0 * 7.0) - 5.04).abs() < 1e-9);
        assert!(!breaks_sla(43.0, MONTH_MIN, 99.9));
        assert!(breaks_sla(44.0, MONTH_MIN, 99.9));
    }

    #[test]
    fn partial_outage_policies_count_different_minutes() {
        let m = month(0, 0, 10.0, 3.0, 120.0);
        assert_eq!(PartialOutagePolicy::Ignore.unavailable_min(&m), 10.0);
        assert_eq!(PartialOutagePolicy::Weighted.unavailable_min(&m), 13.0);
        assert_eq!(PartialOutagePolicy::Degraded.unavailable_min(&m), 130.0);
        assert_eq!(
            "weighted".parse::<PartialOutagePolicy>().unwrap(),
            PartialOutagePolicy::Weighted
        );
        assert!(matches!(
            "half".parse::<PartialOutagePolicy>(),
            Err(ReportError::Policy(_))
        ));
        assert!(matches!("de".parse::<Lang>(), Err(ReportError::Lang(_))));
    }

    #[test]
    fn breach_probability_and_means_across_replications() {
        // Two replications x 2 months; only replication 1's month 0 breaks 99.9% (50 > 43.83),
        // and only under `weighted` does replication 0's month 1 (40 + 5 = 45) break too.
        let months = [
            month(0, 0, 0.0, 0.0, 0.0),
            month(0, 1, 40.0, 5.0, 0.0),
            month(1, 0, 50.0, 0.0, 0.0),
            month(1, 1, 0.0, 0.0, 0.0),
        ];
        let row = period_row(&months, 2, 2, MONTH_MIN, 99.9, PartialOutagePolicy::Ignore, None);
        assert_eq!(row.periods_per_replication, 2);
        let p = row.breach_probability.unwrap();
        assert_eq!(p.value, 0.25, "mean of 0/2 and 1/2");
        assert!((row.unavailable_min.value - 22.5).abs() < 1e-12, "mean of 20 and 25");
        assert!((row.budget_remaining_min.value - (43.83 - 22.5)).abs() < 1e-9);
        let a = row.availability_pct.value;
        assert!((a - (100.0 - 100.0 * 22.5 / MONTH_MIN)).abs() < 1e-9, "{a}");
        let weighted = period_row(&months, 2, 2, MONTH_MIN, 99.9, PartialOutagePolicy::Weighted, None);
        assert_eq!(weighted.breach_probability.unwrap().value, 0.5);
        // Month-of-year rows pick months 0, 12, 24, ...
        let jan = period_row(&months, 2, 2, MONTH_MIN, 99.9, PartialOutagePolicy::Ignore, Some(0));
        assert_eq!(jan.periods_per_replication, 1);
        assert_eq!(jan.breach_probability.unwrap().value, 0.5);
        assert!((jan.unavailable_min.value - 25.0).abs() < 1e-12);
    }

    #[test]
    fn months_used_are_whole_months_or_the_short_window() {
        assert_eq!(months_used(3649.0 * DAY_S).0, 119);
        assert_eq!(months_used(12.0 * MONTH_SECS).0, 12);
        let (n, min) = months_used(7.0 * DAY_S);
        assert_eq!(n, 1);
        assert!((min - 7.0 * 1440.0).abs() < 1e-9);
    }

    #[test]
    fn numbers_in_dutch_and_english() {
        assert_eq!(format_percent(99.95, 2, Lang::Nl), "99,95%");
        assert_eq!(format_percent(99.95, 2, Lang::En), "99.95%");
        assert_eq!(format_number(1234567.891, 1, Lang::Nl), "1.234.567,9");
        assert_eq!(format_number(1234567.891, 1, Lang::En), "1,234,567.9");
        assert_eq!(format_number(999.0, 0, Lang::Nl), "999");
        assert_eq!(format_number(-0.0001, 2, Lang::En), "0.00", "never -0");
        assert_eq!(format_number(-12.5, 1, Lang::Nl), "−12,5");
        assert_eq!(format_number(f64::NAN, 1, Lang::Nl), "–");
    }

    #[test]
    fn string_tables_have_the_same_keys() {
        let (en, nl) = (strings(Lang::En), strings(Lang::Nl));
        let keys = |s: &Strings| s.text.keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&en), keys(&nl));
        assert_eq!(nl.months[2], "maart");
        for (k, v) in &nl.text {
            assert!(!v.trim().is_empty(), "nl `{k}` is empty");
        }
    }

    #[test]
    fn causes_are_classified() {
        assert_eq!(classify_cause("no writable storage primary").0, "storage");
        let (k, servers, full) = classify_cause("undetected failure of web2, web3");
        assert_eq!((k, servers.as_str(), full), ("undetected_web", "web2, web3", false));
        assert_eq!(classify_cause("something new").0, "other");
    }

    fn est(value: f64, ci: f64) -> Estimate {
        Estimate { value, ci95: Some(ci) }
    }

    fn row(k: Option<u32>, down: f64) -> PeriodRow {
        PeriodRow {
            month_of_year: k,
            periods_per_replication: 10,
            period_min: MONTH_MIN,
            availability_pct: est(availability_pct(down, MONTH_MIN), 0.01),
            unavailable_min: est(down, 3.0),
            budget_remaining_min: est(error_budget_min(99.95, MONTH_MIN) - down, 3.0),
            breach_probability: Some(est(0.05, 0.02)),
        }
    }

    /// A small availability report built by hand (no files): what the renderers see.
    fn sample(lang: Lang) -> CustomerReport {
        CustomerReport {
            report_schema_version: REPORT_SCHEMA_VERSION,
            lang,
            customer: Some("Bakkerij Jansen & Zn <b>".into()),
            run: RunFigures {
                scenario: "baseline_xpos".into(),
                description: "the park".into(),
                mode: "availability".into(),
                simpark_version: "0.1.0".into(),
                seed: 1,
                replications: 100,
                horizon_s: 10.0 * YEAR_S,
                warmup_s: DAY_S,
                window_days: 3649.0,
                window_years: 3649.0 / 365.0,
                months_per_replication: Some(119),
                visitors_per_month: Some(300_000.0),
                offered_rps: 1.37,
                balancers: 1,
                web_servers: 3,
                storage_nodes: 2,
                backup_server: true,
                backup_time_of_day_h: Some(2.0),
                backup_keep: Some([7, 5, 12, 75]),
            },
            sla: SlaFigures {
                sla_percent: 99.95,
                partial_outage_policy: PartialOutagePolicy::Weighted,
                request_based: false,
                period_min: MONTH_MIN,
                error_budget_min: error_budget_min(99.95, MONTH_MIN),
            },
            availability: AvailabilityFigures {
                series_unit: "months",
                series: (1..=24)
                    .map(|m| SeriesPoint {
                        period: m,
                        availability_pct: est(99.97 + f64::from(m % 3) * 0.01, 0.02),
                    })
                    .collect(),
                rows: (0..12).map(|k| row(Some(k), f64::from(k) * 2.0)).collect(),
                overall: row(None, 11.0),
                months_breaching: Some(600),
                months_total: Some(11_900),
                availability_time_pct: Some(est(99.9761, 0.002)),
                availability_request_pct: est(99.9748, 0.002),
                downtime_min_per_year: Some(est(125.6, 12.0)),
                month_distribution: Some(MonthDistribution {
                    buckets: [
                        ("none", 70.0),
                        ("quarter", 12.0),
                        ("half", 8.0),
                        ("budget", 5.0),
                        ("over", 5.0),
                    ]
                    .into_iter()
                    .map(|(kind, v)| MonthBucket {
                        kind,
                        share_pct: est(v, 0.5),
                    })
                    .collect(),
                    availability_pct_p5: 99.82,
                    availability_pct_p50: 100.0,
                    availability_pct_p95: 100.0,
                }),
            },
            incidents: Some(IncidentFigures {
                per_year: est(3.96, 0.4),
                log_years: 10.0,
                log_total: 1,
                by_cause: vec![CauseRow {
                    cause_kind: "balancer",
                    full_outage: true,
                    count: 1,
                    per_year: 0.1,
                    duration_min_mean: 150.0,
                    duration_min_max: 150.0,
                }],
                longest: vec![IncidentRow {
                    year: 3,
                    day: 200,
                    duration_min: 150.0,
                    cause_kind: "undetected_web",
                    servers: "web2".into(),
                    cause: "undetected failure of web2".into(),
                    full_outage: false,
                    failed_requests: 1234.0,
                }],
            }),
            latency: LatencyFigures {
                source: "latency_sample",
                replications: Some(5),
                window_h: Some(24.0),
                requests_total: Some(600_000),
                mean_ms: Some(est(62.1, 0.1)),
                p50_ms: Some(est(56.1, 0.1)),
                p95_ms: Some(est(110.1, 0.5)),
                p99_ms: Some(est(162.0, 0.7)),
                p999_ms: Some(est(272.7, 7.0)),
            },
            data_protection: Some(DataProtection {
                backups_ok_per_year: est(361.0, 1.0),
                backups_failed_per_year: est(4.5, 1.0),
                snapshots_kept: est(23.0, 0.0),
                human_errors_per_year: est(1.8, 0.8),
                rpo_h_mean: Some(est(13.2, 3.2)),
                rpo_h_max: Some(est(22.1, 6.9)),
                rto_h_mean: Some(est(0.19, 0.02)),
                restores_failed_per_year: est(0.0, 0.0),
                data_loss_events_per_year: est(1.8, 0.8),
                disaster_rpo_h_mean: None,
                disaster_rto_h_mean: None,
                raid_array_losses_per_year: est(0.0, 0.0),
                disk_failures_per_year: est(0.15, 0.17),
                storage_failovers_per_year: est(1.85, 0.5),
                takeover_ms_mean: Some(est(8629.0, 99.0)),
                failover_lost_writes_s_per_year: est(0.0, 0.0),
                split_brain_s_per_year: est(0.0, 0.0),
            }),
            topology: TopologyFigures {
                nodes: vec![
                    TopoNode {
                        name: "clients".into(),
                        tier: "clients",
                        primary: false,
                    },
                    TopoNode {
                        name: "lb1".into(),
                        tier: "balancer",
                        primary: false,
                    },
                ],
                links: vec![["clients".into(), "lb1".into()]],
            },
        }
    }

    #[test]
    fn rendering_is_byte_identical_and_follows_the_language() {
        for lang in [Lang::En, Lang::Nl] {
            let (a, b) = (sample(lang), sample(lang));
            let (html, md) = (render_html(&a).unwrap(), render_markdown(&a).unwrap());
            assert_eq!(html, render_html(&b).unwrap(), "{lang:?} html");
            assert_eq!(md, render_markdown(&b).unwrap(), "{lang:?} md");
            assert_eq!(super::super::to_json(&a), super::super::to_json(&b));
            // The customer's name is escaped in HTML, never markup.
            assert!(html.contains("Bakkerij Jansen &amp; Zn &lt;b&gt;"), "{lang:?}");
            assert!(!html.contains("<b>"));
            assert!(
                md.contains("web2") && html.contains("web2"),
                "an incident names its server"
            );
        }
        let nl = render_markdown(&sample(Lang::Nl)).unwrap();
        assert!(
            nl.contains("99,95%") && nl.contains("naar rato") && nl.contains("december"),
            "{nl}"
        );
        assert!(nl.contains("8.629 ± 99 ms") && nl.contains("kwam niet voor"), "{nl}");
        let en = render_markdown(&sample(Lang::En)).unwrap();
        assert!(en.contains("99.95%") && en.contains("counted by share") && en.contains("8,629 ± 99 ms"));
    }

    #[test]
    fn month_distribution_buckets_against_the_budget() {
        let budget = error_budget_min(99.9, MONTH_MIN);
        // Replication 0: none, a quarter, over; replication 1: none, none, half.
        let months = [
            month(0, 0, 0.0, 0.0, 0.0),
            month(0, 1, 0.2 * budget, 0.0, 0.0),
            month(0, 2, 2.0 * budget, 0.0, 0.0),
            month(1, 0, 0.0, 0.0, 0.0),
            month(1, 1, 0.0, 0.0, 0.0),
            month(1, 2, 0.4 * budget, 0.0, 0.0),
            month(1, 3, 9.0 * budget, 0.0, 0.0), // outside the 3 months used
        ];
        let d = month_distribution(&months, 2, 3, MONTH_MIN, 99.9, PartialOutagePolicy::Ignore).unwrap();
        let share: Vec<(&str, f64)> = d.buckets.iter().map(|b| (b.kind, b.share_pct.value)).collect();
        let third = 100.0 / 3.0;
        let want = [
            ("none", 50.0),
            ("quarter", third / 2.0),
            ("half", third / 2.0),
            ("budget", 0.0),
            ("over", third / 2.0),
        ];
        for ((k, v), (wk, wv)) in share.iter().zip(want) {
            assert_eq!(*k, wk);
            assert!((v - wv).abs() < 1e-9, "{k}: {v} vs {wv}");
        }
        // Nearest rank 3 of 6 sorted months: the 0.2-budget month.
        assert_eq!(d.availability_pct_p50, availability_pct(0.2 * budget, MONTH_MIN));
        assert!(d.availability_pct_p5 < 99.9, "the worst month broke the SLA");
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.0);
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.05), 1.0);
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 1.0), 4.0);
    }

    /// Text of the rendered HTML without tags, entities decoded enough for comparison.
    fn visible_text(html: &str) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&amp;", "&")
    }

    #[test]
    fn dutch_output_has_no_english_left() {
        let nl_md = render_markdown(&sample(Lang::Nl)).unwrap();
        let nl_html = visible_text(&render_html(&sample(Lang::Nl)).unwrap());
        let en = strings(Lang::En);
        // Every run of four or more words between placeholders of every English string.
        let mut checked = 0;
        for text in en.text.values() {
            for part in text.split(['{', '}']) {
                let words: Vec<&str> = part.split_whitespace().collect();
                if words.len() < 4 {
                    continue;
                }
                let phrase = words.join(" ");
                checked += 1;
                for (what, out) in [("report.md", &nl_md), ("report.html", &nl_html)] {
                    assert!(!out.contains(&phrase), "English in the Dutch {what}: `{phrase}`");
                }
            }
        }
        assert!(checked > 100, "only {checked} English phrases checked");
        for word in ["health check", "split brain", "seed", "server-park", "hardeschijven"] {
            assert!(!nl_md.to_lowercase().contains(word), "`{word}` in the Dutch report.md");
            assert!(
                !nl_html.to_lowercase().contains(word),
                "`{word}` in the Dutch report.html"
            );
        }
        assert!(
            nl_md.contains("serverpark") && nl_md.contains("harde schijven"),
            "{nl_md}"
        );
    }

    #[test]
    fn internals_only_in_the_small_print_and_the_component_list_has_lines() {
        for lang in [Lang::En, Lang::Nl] {
            let md = render_markdown(&sample(lang)).unwrap();
            let html = render_html(&sample(lang)).unwrap();
            // The scenario name, version and seed appear once, in the small print at the end.
            let footer = html
                .find("<footer class=\"smallprint\">")
                .expect("a small-print footer");
            assert_eq!(html.matches("baseline_xpos").count(), 1, "{lang:?}");
            assert!(html.find("baseline_xpos").unwrap() > footer, "{lang:?}");
            let small = md.find("<small>").expect("small print in report.md");
            // report.md escapes Markdown in user strings: the name's `_` is `\_` there.
            assert_eq!(md.matches(r"baseline\_xpos").count(), 1, "{lang:?}");
            assert!(md.find(r"baseline\_xpos").unwrap() > small, "{lang:?}");
            // One component per line.
            let items: Vec<&str> = md.lines().filter(|l| l.starts_with("- ")).collect();
            assert!(
                items.iter().any(|l| l.ends_with(": lb1")) && items.iter().any(|l| l.ends_with("(internet)")),
                "{lang:?}: {items:?}"
            );
            // The month distribution replaces the per-month line; the total row keeps company.
            assert!(
                html.contains("<tbody class=\"keep\">") && html.contains("90 "),
                "{lang:?}"
            );
        }
    }

    #[test]
    fn topology_drawing_has_a_box_per_node_and_an_arrow_per_link() {
        let topo = TopologyFigures {
            nodes: vec![
                TopoNode {
                    name: "clients".into(),
                    tier: "clients",
                    primary: false,
                },
                TopoNode {
                    name: "lb1".into(),
                    tier: "balancer",
                    primary: false,
                },
                TopoNode {
                    name: "web1".into(),
                    tier: "web",
                    primary: false,
                },
                TopoNode {
                    name: "store1".into(),
                    tier: "storage",
                    primary: true,
                },
            ],
            links: vec![
                ["clients".into(), "lb1".into()],
                ["lb1".into(), "web1".into()],
                ["web1".into(), "store1".into()],
            ],
        };
        let svg = topology_svg(&topo, &strings(Lang::Nl));
        assert_eq!(svg.matches("<line").count(), 3);
        assert_eq!(svg.matches("<rect x=").count(), 3);
        assert!(svg.contains("<ellipse") && svg.contains(">store1<") && svg.contains("primair"));
    }
}
