//! The figures of the customer report (`report.json`): their types, which are the only input
//! of the templates, and their assembly from a results directory that `read` checked.
//!
//! Pure arithmetic over finished results: never reads a file or a clock.

use super::incidents::incident_figures;
use super::months::{
    MonthSet, availability_pct, breaks_sla, credit_figures, error_budget_min, est_of, month_distribution, period_row,
    quantile_sorted, scale,
};
use super::read::{Inputs, Results};
use super::rolling::rolling_figures;
use super::{
    DAY_S, DayRow, Lang, MonthRow, PartialOutagePolicy, REPORT_SCHEMA_VERSION, ReportError, ReportOptions, YEAR_S,
};
use crate::model::topology::NodeKind;
use crate::report::summary::{AvailFigures, AvailSummary, Header, Summary, TimeseriesRow};
use crate::scenario::{Model, TrafficKind};
use crate::stats::Estimate;
use serde::Serialize;
use std::collections::BTreeMap;

/// Everything the report shows, and nothing else: `report.json`, and the only input of the
/// HTML and Markdown templates.
#[derive(Debug, Serialize)]
pub(crate) struct CustomerReport {
    pub(crate) report_schema_version: u32,
    pub(crate) lang: Lang,
    pub(crate) customer: Option<String>,
    pub(crate) run: RunFigures,
    pub(crate) sla: SlaFigures,
    pub(crate) availability: AvailabilityFigures,
    /// Availability runs only.
    pub(crate) incidents: Option<IncidentFigures>,
    pub(crate) latency: LatencyFigures,
    /// Availability runs only.
    pub(crate) data_protection: Option<DataProtection>,
    pub(crate) topology: TopologyFigures,
    /// Planned maintenance, apart from unplanned downtime; null when the run had none.
    pub(crate) maintenance: Option<super::maintenance::MaintenanceFigures>,
    /// This park against the baselines (`--baselines compare.json`).
    pub(crate) baselines: Option<super::baselines::BaselineFigures>,
}

/// What ran, from the results' own metadata.
#[derive(Debug, Serialize)]
pub(crate) struct RunFigures {
    pub(crate) scenario: String,
    pub(crate) description: String,
    /// `requests` or `availability`.
    pub(crate) mode: String,
    pub(crate) simpark_version: String,
    pub(crate) seed: u64,
    pub(crate) replications: u32,
    pub(crate) horizon_s: f64,
    pub(crate) warmup_s: f64,
    /// Measured window per replication (horizon minus warm-up).
    pub(crate) window_days: f64,
    pub(crate) window_years: f64,
    /// Whole months per replication the monthly figures use (availability runs).
    pub(crate) months_per_replication: Option<u32>,
    /// The calendar: its IANA time zone, and the first and last month used (`2029-01`;
    /// availability runs).
    pub(crate) timezone: String,
    pub(crate) month_first: Option<String>,
    pub(crate) month_last: Option<String>,
    /// Traffic model: visitors per month (profile traffic) and mean offered load [req/s].
    pub(crate) visitors_per_month: Option<f64>,
    pub(crate) offered_rps: f64,
    pub(crate) balancers: u32,
    pub(crate) web_servers: u32,
    pub(crate) storage_nodes: u32,
    pub(crate) backup_server: bool,
    /// Hour of the daily backup and restic retention (daily, weekly, monthly, yearly).
    pub(crate) backup_time_of_day_h: Option<f64>,
    pub(crate) backup_keep: Option<[u32; 4]>,
}

#[derive(Debug, Serialize)]
pub(crate) struct SlaFigures {
    pub(crate) sla_percent: f64,
    /// The policy applied (`weighted` for request-mode runs, whose figures are request-based).
    pub(crate) partial_outage_policy: PartialOutagePolicy,
    /// True when availability is the share of successful requests (request-mode runs).
    pub(crate) request_based: bool,
    /// Minutes in the period the SLA is judged over (a month of 30.44 days, or the window).
    pub(crate) period_min: f64,
    /// (1 - SLA) x period [min].
    pub(crate) error_budget_min: f64,
}

/// Availability over a period (a month of the year, all months, or a request run's window).
#[derive(Debug, Serialize)]
pub(crate) struct PeriodRow {
    /// 0 = the first month of each simulated year; `None` for all months or the window.
    pub(crate) month_of_year: Option<u32>,
    /// Periods per replication behind the figures.
    pub(crate) periods_per_replication: u32,
    pub(crate) period_min: f64,
    /// 100% minus the share of the period's minutes unavailable; mean over replications.
    pub(crate) availability_pct: Estimate,
    pub(crate) unavailable_min: Estimate,
    /// Error budget minus unavailable minutes (negative: overspent).
    pub(crate) budget_remaining_min: Estimate,
    /// Chance that such a period breaks the SLA (availability runs only).
    pub(crate) breach_probability: Option<Estimate>,
}

/// One point of the availability chart: month (availability run) or day (request run).
#[derive(Debug, Serialize)]
pub(crate) struct SeriesPoint {
    /// 1-based month or day of the measured window.
    pub(crate) period: u32,
    pub(crate) availability_pct: Estimate,
}

#[derive(Debug, Serialize)]
pub(crate) struct AvailabilityFigures {
    /// `months` (availability run), `days` or `hours` (request run) on the chart.
    pub(crate) series_unit: &'static str,
    pub(crate) series: Vec<SeriesPoint>,
    /// Rows of the table: months of the year (availability) or the one window (requests).
    pub(crate) rows: Vec<PeriodRow>,
    /// All months together (availability) or the window (requests).
    pub(crate) overall: PeriodRow,
    /// Service credits per month (availability runs).
    pub(crate) credits: Option<CreditFigures>,
    /// Simulated months that broke the SLA, of all simulated months (availability runs).
    pub(crate) months_breaching: Option<u64>,
    pub(crate) months_total: Option<u64>,
    /// Over the whole window: time-based (availability runs) and request-based availability.
    pub(crate) availability_time_pct: Option<Estimate>,
    pub(crate) availability_request_pct: Estimate,
    pub(crate) downtime_min_per_year: Option<Estimate>,
    /// How one month is distributed (availability runs): the months are statistically alike,
    /// so the chart shows this rather than a line of noisy means per month.
    pub(crate) month_distribution: Option<MonthDistribution>,
    /// The same months under every counting rule, the status page's among them
    /// (availability runs; empty for request runs, which count requests).
    pub(crate) policies: Vec<PolicyView>,
    /// The rolling 30-day error budget (availability runs of at least 30 days).
    pub(crate) rolling: Option<RollingFigures>,
}

/// The rolling error budget: on each day, the share of the budget of the trailing
/// `window_days` days that those days used (their burn), as estimates across replications of
/// each replication's figure over its days (availability runs).
#[derive(Debug, Serialize)]
pub(crate) struct RollingFigures {
    pub(crate) window_days: u32,
    /// (1 - SLA) x the window [min].
    pub(crate) budget_min: f64,
    /// Days on which the trailing window had used more than its budget [% of days].
    pub(crate) days_overspent_pct: Estimate,
    /// Budget used by the trailing window [%]: mean over days, the 95th percentile of days,
    /// and the worst day of each replication's history.
    pub(crate) burn_pct_mean: Estimate,
    pub(crate) burn_pct_p95: Estimate,
    pub(crate) burn_pct_worst: Estimate,
}

/// All months under one counting rule of partial outages.
#[derive(Debug, Serialize)]
pub(crate) struct PolicyView {
    pub(crate) policy: PartialOutagePolicy,
    pub(crate) overall: PeriodRow,
}

/// The distribution of a month's unavailability over every simulated (replication, month).
#[derive(Debug, Serialize)]
pub(crate) struct MonthDistribution {
    /// Shares of months by unavailable minutes against the error budget, in `MONTH_BUCKETS`
    /// order: mean over replications of each replication's share [%], with its 95% CI.
    pub(crate) buckets: Vec<MonthBucket>,
    /// Monthly availability [%]: 5th percentile, median and 95th percentile over all months.
    pub(crate) availability_pct_p5: f64,
    pub(crate) availability_pct_p50: f64,
    pub(crate) availability_pct_p95: f64,
}

#[derive(Debug, Serialize)]
pub(crate) struct MonthBucket {
    /// `none`, `quarter`, `half`, `budget` or `over` (the string table's `bucket_*`).
    pub(crate) kind: &'static str,
    pub(crate) share_pct: Estimate,
}

/// Service credits under the SLA's tiers, per month (availability runs).
#[derive(Debug, Serialize)]
pub(crate) struct CreditFigures {
    /// One row per tier, thresholds falling.
    pub(crate) tiers: Vec<CreditRow>,
    /// Expected credit of a month [% of the monthly fee].
    pub(crate) expected_credit_pct: Estimate,
}

#[derive(Debug, Serialize)]
pub(crate) struct CreditRow {
    /// A month below this availability [%] earns `credit_pct` (the deepest tier applies).
    pub(crate) below_pct: f64,
    pub(crate) credit_pct: f64,
    /// Months that earn exactly this tier's credit [% of months].
    pub(crate) month_share_pct: Estimate,
}

#[derive(Debug, Serialize)]
pub(crate) struct IncidentFigures {
    /// Over all replications.
    pub(crate) per_year: Estimate,
    /// The longest incidents come from the first replication's log: this many years of it.
    pub(crate) log_years: f64,
    pub(crate) log_total: u64,
    /// Mean time between incidents [h] (MTBF of the site: a year over `per_year`); null
    /// without incidents.
    pub(crate) mtbf_h: Option<f64>,
    /// Mean incident duration [min] (MTTR of the site), over all replications with its 95%
    /// interval (`summary.json` `incident_min_mean`); null without incidents.
    pub(crate) mttr_min: Option<Estimate>,
    /// From a web server failing to lb1 taking it out of rotation [s] (time to detect).
    pub(crate) detect_s_mean: Option<Estimate>,
    /// From a failure to on-call being paged [min] (time to page), and pages per year.
    pub(crate) page_min_mean: Option<Estimate>,
    /// From the page to an engineer at work [min] (MTTA: a free crew plus the response
    /// time), and the hands-on repair [min]: the rest of a failed server's repair chain.
    pub(crate) ack_min_mean: Option<Estimate>,
    pub(crate) repair_min_mean: Option<Estimate>,
    pub(crate) pages_per_year: Estimate,
    /// Downtime and failed requests by cause over all replications (`downtime_by_cause`),
    /// in `Cause::ALL` order, the causes that cost nothing left out.
    pub(crate) by_cause: Vec<CauseFigures>,
    pub(crate) longest: Vec<IncidentRow>,
}

/// One cause's downtime and failed requests per year, means over all replications with their
/// 95% intervals.
#[derive(Debug, Serialize)]
pub(crate) struct CauseFigures {
    /// `Cause::name` (the string table's `bcause_<cause>`).
    pub(crate) cause: &'static str,
    pub(crate) downtime_min_per_year: Estimate,
    pub(crate) failed_requests_per_year: Estimate,
}

#[derive(Debug, Serialize)]
pub(crate) struct IncidentRow {
    /// 1-based simulated year and day of that year in the measured window.
    pub(crate) year: u32,
    pub(crate) day: u32,
    pub(crate) duration_min: f64,
    pub(crate) cause_kind: &'static str,
    /// Servers named in the cause (undetected failures), comma separated.
    pub(crate) servers: String,
    pub(crate) full_outage: bool,
    pub(crate) failed_requests: f64,
}

#[derive(Debug, Serialize)]
pub(crate) struct LatencyFigures {
    /// `summary` (request run), `latency_sample` (latency.json of an availability run), or
    /// `none` (not measured).
    pub(crate) source: &'static str,
    pub(crate) replications: Option<u32>,
    pub(crate) window_h: Option<f64>,
    pub(crate) requests_total: Option<u64>,
    pub(crate) mean_ms: Option<Estimate>,
    pub(crate) p50_ms: Option<Estimate>,
    pub(crate) p95_ms: Option<Estimate>,
    pub(crate) p99_ms: Option<Estimate>,
    pub(crate) p999_ms: Option<Estimate>,
    /// The latency SLO: its threshold [ms] (`--latency-ms` or `[slo] latency_ms`) and the
    /// share of requests answered successfully within it [%]; the share is `None` when the
    /// results hold no request-level data.
    pub(crate) slo_ms: Option<f64>,
    pub(crate) slo_share_pct: Option<Estimate>,
    /// The latency SLO per calendar month (availability runs with a measured share).
    pub(crate) slo_months: Option<SloMonths>,
}

/// The share of a calendar month's requests answered successfully within the SLO threshold
/// [%]: the month's served share (1 minus its downtime and request-weighted partial outage
/// over its length) times the sample's share within the threshold. The sample is the park as
/// designed, so months differ by their failures, which count as too slow.
#[derive(Debug, Serialize)]
pub(crate) struct SloMonths {
    /// Mean over each replication's months, with the CI across replications.
    pub(crate) mean_pct: Estimate,
    /// One simulated month in twenty is below this.
    pub(crate) p5_pct: f64,
    /// The worst simulated month.
    pub(crate) worst_pct: f64,
}

/// `SloMonths` from the months of the window (`set`) and the sample's share within the
/// threshold (`within_pct`).
fn slo_months(months: &[MonthRow], reps: u32, set: &MonthSet, within_pct: f64) -> Option<SloMonths> {
    let share = |m: &MonthRow| {
        let failed = PartialOutagePolicy::Weighted.unavailable_min(m) / set.minutes[m.month as usize];
        (1.0 - failed).clamp(0.0, 1.0) * within_pct
    };
    let in_window: Vec<&MonthRow> = months.iter().filter(|m| set.used[m.month as usize]).collect();
    if in_window.is_empty() {
        return None;
    }
    let means: Vec<f64> = (0..reps)
        .map(|r| {
            let mine: Vec<f64> = in_window
                .iter()
                .filter(|m| m.replication == r)
                .map(|m| share(m))
                .collect();
            mine.iter().sum::<f64>() / mine.len().max(1) as f64
        })
        .collect();
    let mut all: Vec<f64> = in_window.iter().map(|m| share(m)).collect();
    all.sort_by(f64::total_cmp);
    Some(SloMonths {
        mean_pct: est_of(&means),
        p5_pct: quantile_sorted(&all, 0.05),
        worst_pct: all[0],
    })
}

#[derive(Debug, Serialize)]
pub(crate) struct DataProtection {
    pub(crate) backups_ok_per_year: Estimate,
    pub(crate) backups_failed_per_year: Estimate,
    pub(crate) snapshots_kept: Estimate,
    pub(crate) human_errors_per_year: Estimate,
    pub(crate) rpo_h_mean: Option<Estimate>,
    pub(crate) rpo_h_max: Option<Estimate>,
    pub(crate) rto_h_mean: Option<Estimate>,
    pub(crate) restores_failed_per_year: Estimate,
    pub(crate) data_loss_events_per_year: Estimate,
    pub(crate) disaster_rpo_h_mean: Option<Estimate>,
    pub(crate) disaster_rto_h_mean: Option<Estimate>,
    pub(crate) raid_array_losses_per_year: Estimate,
    pub(crate) disk_failures_per_year: Estimate,
    pub(crate) storage_failovers_per_year: Estimate,
    pub(crate) takeover_ms_mean: Option<Estimate>,
    pub(crate) failover_lost_writes_s_per_year: Estimate,
    pub(crate) split_brain_s_per_year: Estimate,
}

#[derive(Debug, Serialize)]
pub(crate) struct TopologyFigures {
    pub(crate) nodes: Vec<TopoNode>,
    /// (from, to) by node name.
    pub(crate) links: Vec<[String; 2]>,
}

#[derive(Debug, Serialize)]
pub(crate) struct TopoNode {
    pub(crate) name: String,
    /// `clients`, `balancer`, `web`, `storage` or `backup`.
    pub(crate) tier: &'static str,
    /// Storage: the node that starts as primary.
    pub(crate) primary: bool,
}

/// The share of requests within the SLO threshold `ms` [%], from the summary's measured
/// thresholds; an error when `ms` is not one of them.
fn latency_slo(s: &Summary, ms: f64) -> Result<Estimate, ReportError> {
    let within = &s.metrics.latency_within;
    match within.iter().find(|w| (w.ms - ms).abs() < 1e-9) {
        Some(w) => Ok(scale(w.share, 100.0)),
        None => Err(ReportError::LatencyMs(
            ms,
            if within.is_empty() {
                "no thresholds (results of an older simpark)".into()
            } else {
                within.iter().map(|w| w.ms.to_string()).collect::<Vec<_>>().join(", ")
            },
        )),
    }
}

fn latency_figures(
    s: Option<&Summary>,
    source: &'static str,
    slo_ms: Option<f64>,
) -> Result<LatencyFigures, ReportError> {
    let Some(s) = s else {
        return Ok(LatencyFigures {
            slo_ms,
            slo_share_pct: None,
            slo_months: None,
            source: "none",
            replications: None,
            window_h: None,
            requests_total: None,
            mean_ms: None,
            p50_ms: None,
            p95_ms: None,
            p99_ms: None,
            p999_ms: None,
        });
    };
    let m = &s.metrics;
    Ok(LatencyFigures {
        slo_ms,
        slo_share_pct: slo_ms.map(|ms| latency_slo(s, ms)).transpose()?,
        slo_months: None,
        source,
        replications: Some(s.header.replications),
        window_h: Some((s.header.horizon_s - s.header.warmup_s) / 3600.0),
        requests_total: Some(m.requests_total),
        mean_ms: Some(m.latency_ms_mean),
        p50_ms: Some(m.latency_ms_p50),
        p95_ms: Some(m.latency_ms_p95),
        p99_ms: Some(m.latency_ms_p99),
        p999_ms: Some(m.latency_ms_p999),
    })
}

fn data_protection(m: &AvailFigures, years: f64) -> DataProtection {
    DataProtection {
        backups_ok_per_year: m.backups_ok_per_year,
        backups_failed_per_year: m.backups_failed_or_corrupt_per_year,
        snapshots_kept: m.snapshots_kept,
        human_errors_per_year: m.human_errors_per_year,
        rpo_h_mean: m.rpo_h_mean,
        rpo_h_max: m.rpo_h_max,
        rto_h_mean: m.rto_h_mean,
        restores_failed_per_year: scale(m.restores_failed, 1.0 / years),
        data_loss_events_per_year: scale(m.data_loss_events, 1.0 / years),
        disaster_rpo_h_mean: m.disaster_rpo_h_mean,
        disaster_rto_h_mean: m.disaster_rto_h_mean,
        raid_array_losses_per_year: m.raid_array_losses_per_year,
        disk_failures_per_year: m.disk_failures_per_year,
        storage_failovers_per_year: m.storage_failovers_per_year,
        takeover_ms_mean: m.takeover_ms_mean,
        failover_lost_writes_s_per_year: m.failover_lost_writes_s_per_year,
        split_brain_s_per_year: m.split_brain_s_per_year,
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

fn run_figures(model: &Model, h: &Header, months: Option<(u32, &MonthSet)>) -> RunFigures {
    let labels = |last: bool| {
        months.and_then(|(_, set)| {
            let mut used = (0..set.used.len()).filter(|&m| set.used[m]);
            let m = if last { used.next_back() } else { used.next() };
            m.map(|m| set.labels[m].clone())
        })
    };
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
        months_per_replication: months.map(|(n, _)| n),
        timezone: model.calendar.timezone.clone(),
        month_first: labels(false),
        month_last: labels(true),
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

/// Everything the report shows, from the checked results and the options.
pub(super) fn figures(inputs: &Inputs, opts: &ReportOptions) -> Result<CustomerReport, ReportError> {
    let model = &inputs.model;
    let parts = match &inputs.results {
        Results::Availability {
            summary,
            months,
            days,
            latency,
        } => availability_run(model, summary, months, days, latency.as_ref(), opts)?,
        Results::Requests { summary, buckets } => request_run(model, summary, buckets, opts)?,
    };
    let maintenance = match &inputs.results {
        Results::Availability { summary, .. } => super::maintenance::of_availability(summary),
        Results::Requests { summary, .. } => super::maintenance::of_requests(summary),
    };
    let (run, sla, availability, incidents, latency, data_protection) = parts;
    Ok(CustomerReport {
        report_schema_version: REPORT_SCHEMA_VERSION,
        lang: opts.lang,
        customer: opts.customer.clone().filter(|c| !c.trim().is_empty()),
        run,
        sla,
        availability,
        incidents,
        latency,
        data_protection,
        topology: topology_figures(model),
        maintenance,
        baselines: opts
            .baselines
            .as_deref()
            .map(|p| super::baselines::read_baselines(p, &model.spec.name))
            .transpose()?,
    })
}

/// The parts of a report that depend on the run's mode.
type RunParts = (
    RunFigures,
    SlaFigures,
    AvailabilityFigures,
    Option<IncidentFigures>,
    LatencyFigures,
    Option<DataProtection>,
);

/// An availability run: calendar of months from `months.csv`, incidents, data protection.
fn availability_run(
    model: &Model,
    summary: &AvailSummary,
    months: &[MonthRow],
    days: &[DayRow],
    latency: Option<&Summary>,
    opts: &ReportOptions,
) -> Result<RunParts, ReportError> {
    let sla = opts.sla_percent;
    let h = &summary.header;
    let policy = opts.policy.unwrap_or(PartialOutagePolicy::Ignore);
    let window_s = h.horizon_s - h.warmup_s;
    let set = MonthSet::of(&model.calendar);
    let used = set.count();
    let period_min = set.mean_minutes();
    let reps = h.replications;
    let row = |k| period_row(months, reps, &set, sla, policy, k);
    let rows: Vec<PeriodRow> = (0..12u32)
        .filter(|&k| (0..set.used.len()).any(|m| set.used[m] && set.of_year[m] == k))
        .map(|k| row(Some(k)))
        .collect();
    let overall = row(None);
    let series = month_series(months, &set, policy);
    let in_window: Vec<&MonthRow> = months.iter().filter(|m| set.used[m.month as usize]).collect();
    let breaching = in_window
        .iter()
        .filter(|m| breaks_sla(policy.unavailable_min(m), set.minutes[m.month as usize], sla))
        .count();
    let month_distribution = month_distribution(months, reps, &set, sla, policy);
    let policies = policy_views(months, reps, &set, sla);
    let m = &summary.metrics;
    let slo_ms = opts.latency_ms.or(model.spec.slo.latency_ms);
    Ok((
        run_figures(model, h, Some((used as u32, &set))),
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
            credits: Some(credit_figures(months, reps, &set, policy, &opts.credit_tiers)),
            months_breaching: Some(breaching as u64),
            months_total: Some(in_window.len() as u64),
            availability_time_pct: Some(scale(m.availability_time, 100.0)),
            availability_request_pct: scale(m.availability_request, 100.0),
            downtime_min_per_year: Some(m.downtime_min_per_year),
            month_distribution,
            policies,
            rolling: rolling_figures(days, reps, (window_s / DAY_S).ceil() as usize, sla, policy),
        },
        Some(incident_figures(summary, window_s)),
        {
            let mut l = latency_figures(latency, "latency_sample", slo_ms)?;
            l.slo_months = l
                .slo_share_pct
                .and_then(|within| slo_months(months, reps, &set, within.value));
            l
        },
        Some(data_protection(m, window_s / YEAR_S)),
    ))
}

/// The availability of each month of the window [%], across replications, under `policy`.
fn month_series(months: &[MonthRow], set: &MonthSet, policy: PartialOutagePolicy) -> Vec<SeriesPoint> {
    (0..set.used.len() as u32)
        .filter(|&m| set.used[m as usize])
        .map(|m| {
            let xs: Vec<f64> = months
                .iter()
                .filter(|r| r.month == m)
                .map(|r| availability_pct(policy.unavailable_min(r), set.minutes[m as usize]))
                .collect();
            SeriesPoint {
                period: m + 1,
                availability_pct: est_of(&xs),
            }
        })
        .collect()
}

/// The whole window's row under each partial-outage policy, to compare them.
fn policy_views(months: &[MonthRow], reps: u32, set: &MonthSet, sla: f64) -> Vec<PolicyView> {
    [
        PartialOutagePolicy::Ignore,
        PartialOutagePolicy::Statuspage,
        PartialOutagePolicy::Weighted,
        PartialOutagePolicy::Degraded,
    ]
    .into_iter()
    .map(|p| PolicyView {
        policy: p,
        overall: period_row(months, reps, set, sla, p, None),
    })
    .collect()
}

/// A request run: one request-based period, and its availability per day (or hour).
fn request_run(
    model: &Model,
    summary: &Summary,
    buckets: &[TimeseriesRow],
    opts: &ReportOptions,
) -> Result<RunParts, ReportError> {
    let sla = opts.sla_percent;
    let policy = match opts.policy {
        None | Some(PartialOutagePolicy::Weighted) => PartialOutagePolicy::Weighted,
        Some(p) => return Err(ReportError::PolicyNeedsAvailability(p.name())),
    };
    let h = &summary.header;
    let window_s = h.horizon_s - h.warmup_s;
    let period_min = window_s / 60.0;
    let success = scale(summary.metrics.success_ratio, 100.0);
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
    let (unit, series) = request_series(h, buckets);
    Ok((
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
            credits: None,
            months_breaching: None,
            months_total: None,
            availability_time_pct: None,
            availability_request_pct: success,
            downtime_min_per_year: None,
            month_distribution: None,
            policies: vec![],
            rolling: None,
        },
        None,
        latency_figures(Some(summary), "summary", opts.latency_ms.or(model.spec.slo.latency_ms))?,
        None,
    ))
}

/// Per day of the measured window (per hour for windows up to two days), pooled over
/// replications: timeseries.csv holds no per-replication figures, so these points carry no
/// interval.
fn request_series(h: &Header, buckets: &[TimeseriesRow]) -> (&'static str, Vec<SeriesPoint>) {
    let window_s = h.horizon_s - h.warmup_s;
    let (unit, unit_s) = if window_s <= 2.0 * DAY_S {
        ("hours", 3600.0)
    } else {
        ("days", DAY_S)
    };
    let mut days: BTreeMap<u32, (f64, f64)> = BTreeMap::new();
    for b in buckets {
        let (start, width) = (b.bucket_start_s as f64, b.bucket_s as f64);
        if start + 1e-9 < h.warmup_s || start >= h.horizon_s || width <= 0.0 {
            continue;
        }
        let d = ((start - h.warmup_s) / unit_s).floor() as u32;
        let e = days.entry(d).or_default();
        e.0 += b.ok_per_rep;
        e.1 += b.failed_per_rep;
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
    (unit, series)
}
