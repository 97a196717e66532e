//! `simpark sweep`: run a scenario over a grid of key values and answer the capacity
//! planner's question: how much traffic does the park carry within its SLO, with all servers
//! up and with one web server down, and where is the knee of the latency curve?
//!
//! - **Plan.** Every value of every `--vary` is applied as a `--set` override and validated
//!   on its own (so a bad key or value is reported with its key), then every grid point is;
//!   nothing runs until all of them validate.
//! - **Common random numbers.** Every point runs with the scenario's seed, so replication k
//!   of every point sees the same random streams (arrivals per unit of rate, service times,
//!   network delays): differences between points are the effect of the varied keys, not of
//!   different luck, and curves are smooth with few replications.
//! - **N-1** (request mode, when a traffic key is varied): each point runs again with web1
//!   crashed at t = 0 (a scripted `crash`, added to the scenario's own faults). lb1's health
//!   checks take it out of rotation within seconds (fall x inter), inside the warm-up, so the
//!   measured window sees the remaining servers carry everything, through the same balancer
//!   configuration and the same random streams for every other server. Fewer servers
//!   (`web.count - 1`) would also change weights, backup-server roles and the balancer's
//!   order, and would not be a failure of the park as built. Availability mode draws every
//!   server's failures itself (N-1 states are part of its figure), so it runs no N-1 twins.
//! - **Meets the SLO** (conservative): the upper end of p99's 95% CI is at most
//!   `latency_ms_p99_max` and the lower end of availability's is at least `availability_min`.
//!   The largest traffic meeting it is interpolated between the last grid point that meets
//!   it and the first that does not (linearly, in log traffic for log ranges); a curve that
//!   dips back under the target after failing it does not count.
//! - **Knee**: the traffic at which p99 (point estimate) first reaches twice its value at the
//!   lowest swept traffic, interpolated the same way. For an M/M/1 queue that is utilisation
//!   1/2; for a park with many workers it sits close to saturation. It is relative to the
//!   lowest point, so start the sweep at light load.
//!
//! Reads only models it was given and figures the runner returned; must never read a clock
//! or spawn a thread (parallelism is `study::run_models`).

use super::precision::Precision;
use super::vary::{self, Scale, Value, Vary, si};
use super::{Crashed, RunFigures, SCHEMA_VERSION, StudyError, human_label};
use crate::report::plot::{self, LineChart, Point, Reference, Series};
use crate::scenario::{Fault, FaultKind, Mode, Model, ScenarioError, Slo};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::fmt::Write;

/// Keys whose values are traffic: the planner's answer is a limit on the first of them that
/// is varied. Each scales the offered load linearly.
pub(crate) const TRAFFIC_KEYS: [&str; 3] = [
    "traffic.visitors_per_month",
    "traffic.rate_per_s",
    "traffic.requests_per_visit",
];
/// The knee is where p99 reaches this multiple of its low-load value.
pub(crate) const KNEE_P99_FACTOR: f64 = 2.0;
/// A limit bracketed by grid points further apart than this ratio gets a note.
pub(crate) const COARSE_BRACKET_RATIO: f64 = 1.25;
/// Latency charts switch to a log y axis when the largest p99 exceeds the smallest by this.
const LOG_Y_RATIO: f64 = 20.0;

/// A grid point's values, in `--vary` order (serialised as an ordered JSON object).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PointValues(pub(crate) Vec<(String, Value)>);

impl Serialize for PointValues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl PointValues {
    /// `web.count=3, balancer.algorithm=leastconn`.
    pub(crate) fn label(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={}", v.label()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One validated run of the sweep: a grid point, all up or N-1. Holds what rebuilds its
/// model (`sets`) and what its figures need, not the model itself (a model is ~10 KB; a
/// grid may have 20,000 runs).
#[derive(Clone, Debug)]
pub struct PlannedRun {
    /// Index into `Plan::grid`.
    pub(crate) point: usize,
    pub(crate) n_minus_1: bool,
    /// The `--set` overrides (on top of the user's) that make this run.
    pub sets: Vec<String>,
    pub(crate) replications: u32,
    /// Request-level or availability.
    pub mode: Mode,
    /// Mean offered load of the run's traffic model [req/s].
    pub offered_rps: f64,
}

impl PlannedRun {
    fn new(point: usize, n_minus_1: bool, sets: Vec<String>, model: &Model) -> PlannedRun {
        PlannedRun {
            point,
            n_minus_1,
            sets,
            replications: model.replications,
            mode: model.mode,
            offered_rps: model.mean_rate_per_s(),
        }
    }
}

// A planned run stays small (no model, no replication): 20,000 of them are about 1 MB.
const _: () = assert!(std::mem::size_of::<PlannedRun>() <= 64);

/// Builds a run's model from its overrides: the scenario with the user's overrides plus
/// the given ones.
pub(crate) type Load<'a> = dyn Fn(&[String]) -> Result<Model, ScenarioError> + Sync + 'a;

/// Everything a sweep will run, validated.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The scenario with the user's overrides and no varied value.
    pub base: Model,
    /// The `--vary` axes, in order.
    pub varies: Vec<Vary>,
    /// Value indices per point, odometer order (`vary::grid`).
    pub grid: Vec<Vec<usize>>,
    /// Which vary is the traffic axis of the answer.
    pub(crate) traffic: Option<usize>,
    /// All-up runs in grid order, then N-1 runs in grid order (if any).
    pub runs: Vec<PlannedRun>,
    pub(crate) slo: Slo,
}

impl Plan {
    /// Validate every value and every point through `load`. Nothing is run.
    pub fn new(base: Model, varies: Vec<Vary>, load: &Load) -> Result<Plan, StudyError> {
        for (i, v) in varies.iter().enumerate() {
            if varies[..i].iter().any(|w| w.key == v.key) {
                return Err(StudyError::Vary {
                    key: v.key.clone(),
                    message: "is varied twice; give all its values in one --vary".into(),
                });
            }
            for k in 0..v.values.len() {
                load(&[v.assignment(k)]).map_err(|e| StudyError::Vary {
                    key: v.key.clone(),
                    message: format!("value {}: {e}", v.values[k].label()),
                })?;
            }
        }
        let grid = vary::grid(&varies)?;
        let traffic = varies.iter().position(|v| TRAFFIC_KEYS.contains(&v.key.as_str()));
        let n_minus_1 = traffic.is_some() && base.mode == Mode::Requests;
        let mut runs = Vec::with_capacity(grid.len() * if n_minus_1 { 2 } else { 1 });
        let mut twins = Vec::new();
        let values_of = |p: &[usize]| -> PointValues {
            PointValues(
                varies
                    .iter()
                    .zip(p)
                    .map(|(v, &k)| (v.key.clone(), v.values[k].clone()))
                    .collect(),
            )
        };
        for (i, p) in grid.iter().enumerate() {
            let sets: Vec<String> = varies.iter().zip(p).map(|(v, &k)| v.assignment(k)).collect();
            let model = load(&sets).map_err(|error| StudyError::Point {
                point: values_of(p).label(),
                error: Box::new(error),
            })?;
            if n_minus_1 {
                let mut twin = sets.clone();
                twin.push(n_minus_1_override(&model));
                twins.push(twin);
            }
            runs.push(PlannedRun::new(i, false, sets, &model));
        }
        for (i, sets) in twins.into_iter().enumerate() {
            let model = load(&sets).map_err(|error| StudyError::Point {
                point: format!("{} (N-1)", values_of(&grid[i]).label()),
                error: Box::new(error),
            })?;
            runs.push(PlannedRun::new(i, true, sets, &model));
        }
        let units: u64 = runs.iter().map(|r| u64::from(r.replications)).sum();
        if units > super::UNITS_MAX {
            return Err(StudyError::TooMuchWork { units });
        }
        Ok(Plan {
            slo: base.spec.slo.clone(),
            base,
            varies,
            grid,
            traffic,
            runs,
        })
    }

    /// (run x replication) units, for a progress bar.
    pub fn units(&self) -> u64 {
        self.runs.iter().map(|r| u64::from(r.replications)).sum()
    }

    /// Replications per run, in run order (the study's units).
    pub fn replications(&self) -> Vec<u32> {
        self.runs.iter().map(|r| r.replications).collect()
    }

    /// The model of run `run`, rebuilt through `load` (validated by `new`).
    pub fn model(&self, load: &Load, run: usize) -> Model {
        load(&self.runs[run].sets).expect("every run validated when the plan was made")
    }

    /// The values of grid point `i`.
    pub(crate) fn values(&self, i: usize) -> PointValues {
        PointValues(
            self.varies
                .iter()
                .zip(&self.grid[i])
                .map(|(v, &k)| (v.key.clone(), v.values[k].clone()))
                .collect(),
        )
    }

    /// Run every (run x replication) on `jobs` threads, a chunk of models at a time, and
    /// build the report. `on_point` sees each run's point as it finishes, in run order (the
    /// streamed `sweep.csv`).
    pub fn run(
        &self,
        load: &Load,
        jobs: usize,
        on_done: &(dyn Fn() + Sync),
        on_point: &mut dyn FnMut(&PointOut),
    ) -> Result<SweepReport, Crashed> {
        let figures = super::run_and_fold(
            &self.replications(),
            &|run| (self.runs[run].mode, self.runs[run].offered_rps),
            &|run| self.model(load, run),
            jobs,
            on_done,
            &mut |run, f| on_point(&self.point(run, f.clone())),
        )?;
        Ok(self.report(figures))
    }

    /// Run `run`'s point of the report from its figures.
    fn point(&self, run: usize, figures: RunFigures) -> PointOut {
        let r = &self.runs[run];
        PointOut {
            values: self.values(r.point),
            n_minus_1: r.n_minus_1,
            meets_slo: meets(&self.slo, &figures),
            replications: None,
            metrics: figures,
        }
    }

    /// Run by precision (`study::run_and_fold_precise`): each run from its replications on,
    /// in batches, until `precision` is met or its cap; the report names each point's count.
    pub fn run_precise(
        &self,
        load: &Load,
        precision: &Precision,
        jobs: usize,
        on_done: &(dyn Fn() + Sync),
    ) -> Result<SweepReport, Crashed> {
        let (figures, used) = super::run_and_fold_precise(
            &self.replications(),
            &|run| (self.runs[run].mode, self.runs[run].offered_rps),
            &|run| self.model(load, run),
            &|_| precision,
            jobs,
            on_done,
        )?;
        let mut report = self.report(figures);
        for (p, n) in report.points.iter_mut().zip(used) {
            p.replications = Some(n);
        }
        Ok(report)
    }

    /// The report from every run's figures (in run order): what a whole sweep and
    /// `simpark merge` both call.
    pub fn report(&self, figures: Vec<RunFigures>) -> SweepReport {
        SweepReport::new(self, figures)
    }
}

/// The override that crashes web1 at t = 0, keeping the scenario's own faults.
fn n_minus_1_override(model: &Model) -> String {
    let mut faults = vec![Fault {
        at: "0s".into(),
        target: model.topology.name(model.topology.web_node(0)).to_string(),
        kind: FaultKind::Crash,
        factor: None,
        peer: None,
        direction: None,
    }];
    faults.extend(model.spec.faults.iter().cloned());
    let value = toml::Value::try_from(&faults).expect("faults serialise");
    format!("fault={value}")
}

/// `sweep.json`.
#[derive(Debug, Serialize)]
pub struct SweepReport {
    pub(crate) schema_version: u32,
    pub(crate) simpark_version: &'static str,
    /// The base scenario's name.
    pub scenario: String,
    /// `requests` or `availability`.
    pub(crate) mode: &'static str,
    /// The root seed.
    pub seed: u64,
    /// Replications per run.
    pub replications: u32,
    /// Simulated time per replication [s].
    pub horizon_s: f64,
    pub(crate) warmup_s: f64,
    /// Every point uses the scenario's seed (common random numbers across points).
    pub(crate) common_random_numbers: bool,
    pub(crate) vary: Vec<Vary>,
    pub(crate) slo: SloOut,
    /// Every grid point, in plan order.
    pub points: Vec<PointOut>,
    pub(crate) answer: Answer,
}

/// The targets checked, and which availability they apply to.
#[derive(Debug, Serialize)]
pub(crate) struct SloOut {
    pub(crate) latency_ms_p99_max: Option<f64>,
    pub(crate) availability_min: Option<f64>,
    /// `availability_request` (request mode) or `availability_time` (availability mode).
    pub(crate) availability_metric: &'static str,
}

/// One grid point of a sweep and its figures (`sweep.json` `points[]`, a `sweep.csv` row).
#[derive(Debug, Serialize)]
pub struct PointOut {
    pub(crate) values: PointValues,
    pub(crate) n_minus_1: bool,
    /// Whether the point meets the SLO (conservatively); null without targets.
    pub(crate) meets_slo: Option<bool>,
    /// Replications this point used (with `--precision` only; else the sweep's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replications: Option<u32>,
    pub(crate) metrics: RunFigures,
}

/// The planner's answer.
#[derive(Debug, Serialize)]
pub(crate) struct Answer {
    /// The varied key the limits are in (null when no traffic key is varied).
    pub(crate) traffic_key: Option<String>,
    /// How "meets the SLO", the knee and N-1 are decided, in words.
    pub(crate) method: Method,
    /// One row per combination of the other varied keys.
    pub(crate) rows: Vec<AnswerRow>,
    /// The answer as sentences, one per row (or one overall).
    pub(crate) sentences: Vec<String>,
    /// Caveats that apply to this sweep.
    pub(crate) notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Method {
    pub(crate) meets_slo: String,
    pub(crate) knee: String,
    pub(crate) n_minus_1: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct AnswerRow {
    /// Values of the varied keys other than traffic.
    pub(crate) values: PointValues,
    /// Largest traffic that meets the SLO with all servers up (null without targets).
    pub(crate) max_traffic: Option<Limit>,
    /// The same with web1 down (null when N-1 was not run).
    pub(crate) max_traffic_n_minus_1: Option<Limit>,
    /// Where p99 doubles (null in availability mode).
    pub(crate) knee: Option<Limit>,
    pub(crate) sentence: String,
}

/// A limit on the traffic axis.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub(crate) struct Limit {
    /// The traffic value (null when below the range).
    pub(crate) value: Option<f64>,
    /// Mean offered load at that traffic [req/s].
    pub(crate) offered_rps: Option<f64>,
    pub(crate) position: Position,
    /// The grid points it lies between (`inside` only): the true limit is somewhere in
    /// there; interpolation assumes the curve is straight between them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) between: Option<[f64; 2]>,
}

/// Where a limit lies relative to the swept range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Position {
    /// Between two grid points (interpolated).
    Inside,
    /// Not reached: the whole range qualifies; `value` is the top of the range.
    AboveRange,
    /// Already crossed at the lowest point.
    BelowRange,
}

impl SweepReport {
    fn new(plan: &Plan, figures: Vec<RunFigures>) -> SweepReport {
        let b = &plan.base;
        let points: Vec<PointOut> = figures
            .into_iter()
            .enumerate()
            .map(|(run, f)| plan.point(run, f))
            .collect();
        let answer = answer(plan, &points);
        SweepReport {
            schema_version: SCHEMA_VERSION,
            simpark_version: env!("CARGO_PKG_VERSION"),
            scenario: b.spec.name.clone(),
            mode: match b.mode {
                Mode::Requests => "requests",
                Mode::Availability => "availability",
            },
            seed: b.seed,
            replications: b.replications,
            horizon_s: b.horizon.as_secs_f64(),
            warmup_s: b.warmup.as_secs_f64(),
            common_random_numbers: true,
            vary: plan.varies.clone(),
            slo: SloOut {
                latency_ms_p99_max: plan.slo.latency_ms_p99_max,
                availability_min: plan.slo.availability_min,
                availability_metric: match b.mode {
                    Mode::Requests => "availability_request",
                    Mode::Availability => "availability_time",
                },
            },
            points,
            answer,
        }
    }

    /// `sweep.json` text.
    pub fn json(&self) -> String {
        crate::report::to_json(self)
    }

    /// `sweep.csv`: one row per run, the varied keys, then each metric's value and ci95
    /// (empty when there is one replication or the mode lacks the metric): `csv_header`,
    /// then `csv_row` of every point (what a sweep streams as its points finish).
    pub fn csv(&self) -> String {
        let mode = match self.mode {
            "availability" => Mode::Availability,
            _ => Mode::Requests,
        };
        let mut out = csv_header(&self.vary, mode);
        for p in &self.points {
            out.push_str(&csv_row(p, mode));
        }
        out
    }

    /// The per-point table for the terminal: each run's varied values (N-1 twins marked),
    /// offered load, p99 latency (request mode) and availability with 95% CI half-widths, and
    /// whether it meets the SLO.
    pub fn points_text(&self) -> String {
        let mode = self.points.first().map(|p| p.metrics.mode);
        let (avail_name, avail_label) = match mode {
            Some(Mode::Availability) => ("availability_time", "availability (time)"),
            _ => ("availability_request", "availability (requests)"),
        };
        let est = |p: &PointOut, name: &str, digits: usize| {
            p.metrics.get(name).map_or_else(
                || "-".to_string(),
                |e| match e.ci95 {
                    Some(c) => format!("{:.*} ± {:.*}", digits, e.value, digits, c),
                    None => format!("{:.*}", digits, e.value),
                },
            )
        };
        let head = self.vary.iter().map(|v| v.key.as_str()).collect::<Vec<_>>().join(", ");
        let rows: Vec<[String; 5]> = self
            .points
            .iter()
            .map(|p| {
                let mut label = p.values.0.iter().map(|(_, v)| v.label()).collect::<Vec<_>>().join(", ");
                if p.n_minus_1 {
                    label.push_str(" (N-1)");
                }
                [
                    label,
                    format!("{:.2}", p.metrics.offered_rps),
                    est(p, "latency_ms_p99", 3),
                    est(p, avail_name, 6),
                    match p.meets_slo {
                        Some(true) => "yes".into(),
                        Some(false) => "NO".into(),
                        None => "-".into(),
                    },
                ]
            })
            .collect();
        let titles = [
            head,
            "offered req/s".into(),
            "p99 ms".into(),
            avail_label.into(),
            "meets SLO".into(),
        ];
        let width = |i: usize| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([titles[i].chars().count()])
                .max()
                .unwrap_or(0)
        };
        let w: Vec<usize> = (0..5).map(width).collect();
        let mut t = String::new();
        let line = |t: &mut String, r: &[String; 5]| {
            let _ = writeln!(
                t,
                "  {:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}  {:>w4$}",
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                w0 = w[0],
                w1 = w[1],
                w2 = w[2],
                w3 = w[3],
                w4 = w[4]
            );
        };
        line(&mut t, &titles);
        for r in &rows {
            line(&mut t, r);
        }
        t
    }

    /// The answer for the terminal: sentences, then a table of the limits.
    pub fn answer_text(&self) -> String {
        let a = &self.answer;
        let mut t = String::new();
        for s in &a.sentences {
            let _ = writeln!(t, "{s}");
        }
        if !a.rows.is_empty() {
            let unit = a.traffic_key.as_deref().map(unit_of).unwrap_or_default();
            let head = a.rows[0]
                .values
                .0
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let head = if head.is_empty() { "grid".to_string() } else { head };
            let _ = writeln!(
                t,
                "\n  {head:<28} {:>22} {:>22} {:>22}",
                "SLO max (all up)", "SLO max (N-1)", "p99 knee"
            );
            for r in &a.rows {
                let label = r.values.0.iter().map(|(_, v)| v.label()).collect::<Vec<_>>().join(", ");
                let label = if label.is_empty() {
                    "(traffic only)".to_string()
                } else {
                    label
                };
                let cell = |l: &Option<Limit>| l.map(|l| limit_text(&l, 3)).unwrap_or_else(|| "-".into());
                let _ = writeln!(
                    t,
                    "  {label:<28} {:>22} {:>22} {:>22}",
                    cell(&r.max_traffic),
                    cell(&r.max_traffic_n_minus_1),
                    cell(&r.knee)
                );
            }
            let _ = writeln!(t, "  (traffic in {unit}; '~' interpolated between grid points)");
        }
        for n in &a.notes {
            let _ = writeln!(t, "note: {n}");
        }
        t
    }

    /// The SVG charts: each metric against the first varied key, one line per combination
    /// of the other keys, 95% bands, SLO lines; all-up and (if run) N-1 separately.
    pub fn plots(&self) -> Result<Vec<(String, String)>, StudyError> {
        let x = XAxis::new(&self.vary[0]);
        let (metrics, refs): (&[&str], [Option<f64>; 2]) = if self.mode == "requests" {
            (
                &["latency_ms_p99", "availability_request"],
                [self.slo.latency_ms_p99_max, self.slo.availability_min],
            )
        } else {
            (
                &["availability_time", "downtime_min_per_year"],
                [self.slo.availability_min, None],
            )
        };
        let mut out = Vec::new();
        for n_minus_1 in [false, true] {
            if !self.points.iter().any(|p| p.n_minus_1 == n_minus_1) {
                continue;
            }
            for (metric, reference) in metrics.iter().zip(refs) {
                let series = self.series(metric, n_minus_1, &x);
                if series.is_empty() {
                    continue;
                }
                let svg = self.chart(metric, reference, n_minus_1, &series, &x)?;
                let file = format!("sweep_{metric}{}.svg", if n_minus_1 { "_n_minus_1" } else { "" });
                out.push((file, svg));
            }
        }
        Ok(out)
    }

    /// The lines of one chart: `metric` against the x axis for the points all up or N-1, one
    /// line per combination of the other keys, each sorted by x.
    fn series(&self, metric: &str, n_minus_1: bool, x: &XAxis<'_>) -> Vec<Series> {
        let mut series: Vec<Series> = Vec::new();
        for p in self.points.iter().filter(|p| p.n_minus_1 == n_minus_1) {
            let Some(e) = p.metrics.get(metric) else { continue };
            let others = PointValues(p.values.0[1..].to_vec());
            let label = if others.0.is_empty() {
                if n_minus_1 {
                    "N-1 (web1 down)".into()
                } else {
                    "all servers up".into()
                }
            } else {
                others.label()
            };
            let point = Point {
                x: x.of(&p.values.0[0].1),
                y: e.value,
                ci95: e.ci95,
            };
            match series.iter_mut().find(|s| s.label == label) {
                Some(s) => s.points.push(point),
                None => series.push(Series {
                    label,
                    points: vec![point],
                }),
            }
        }
        for s in &mut series {
            s.points.sort_by(|a, b| a.x.total_cmp(&b.x));
        }
        series
    }

    /// One chart's SVG: `series` of `metric` with the SLO line at `reference`, a log y axis
    /// for latency spanning more than `LOG_Y_RATIO`, availability zoomed onto the data.
    fn chart(
        &self,
        metric: &str,
        reference: Option<f64>,
        n_minus_1: bool,
        series: &[Series],
        x: &XAxis<'_>,
    ) -> Result<String, StudyError> {
        let ys = || {
            series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.y))
                .filter(|y| *y > 0.0)
        };
        let log_y = metric.starts_with("latency")
            && ys().fold(0.0, f64::max) > LOG_Y_RATIO * ys().fold(f64::INFINITY, f64::min);
        let availability = metric.starts_with("availability");
        let references: Vec<Reference> = reference
            .map(|y| Reference {
                label: if availability {
                    format!("SLO {}%", y * 100.0)
                } else {
                    format!("SLO {y}")
                },
                y,
            })
            .into_iter()
            .collect();
        let suffix = if n_minus_1 { " with web1 down (N-1)" } else { "" };
        let y_label = human_label(metric);
        let spec = LineChart {
            title: format!("{y_label} vs {} ({}){suffix}", x.label, self.scenario),
            x_label: x.label.clone(),
            y_label,
            log_x: x.numeric && x.vary.scale == Scale::Log,
            log_y,
        };
        let opts = plot::ChartOptions {
            y_range: availability.then(|| availability_y_range(series, &references)),
            y_percent: availability,
            x_categories: x.categories.clone(),
            x_si: x.si,
            tidy_ticks: true,
            ..plot::ChartOptions::default()
        };
        Ok(plot::line_chart_with(&spec, series, &references, &opts)?)
    }
}

/// Availability lives just below 1: the y range that zooms onto the data, bands and SLO, so
/// that 0.999 and 1.0 do not coincide.
fn availability_y_range(series: &[Series], references: &[Reference]) -> (f64, f64) {
    let ends = series
        .iter()
        .flat_map(|s| s.points.iter())
        .flat_map(|p| [p.y - p.ci95.unwrap_or(0.0), p.y + p.ci95.unwrap_or(0.0)])
        .chain(references.iter().map(|r| r.y))
        .filter(|y| y.is_finite());
    let (lo, hi) = ends.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let hi = hi.min(1.0);
    let pad = ((hi - lo) * 0.1).max(1e-6);
    (lo - pad, hi + pad)
}

/// The x axis of a sweep's charts: the first varied key. Categorical keys (the balancer
/// algorithm) get a category axis; large numbers (traffic) get 1M-style ticks.
struct XAxis<'v> {
    vary: &'v Vary,
    /// Every value is a number (else the axis is categorical).
    numeric: bool,
    label: String,
    categories: Vec<String>,
    si: bool,
}

impl XAxis<'_> {
    /// The axis of `vary`.
    fn new(vary: &Vary) -> XAxis<'_> {
        let numeric = vary.values.iter().all(|v| v.as_f64().is_some());
        XAxis {
            vary,
            numeric,
            label: human_label(&vary.key),
            categories: if numeric {
                Vec::new()
            } else {
                vary.values.iter().map(Value::label).collect()
            },
            si: numeric
                && vary
                    .values
                    .iter()
                    .filter_map(Value::as_f64)
                    .any(|x| x.abs() >= 10_000.0),
        }
    }

    /// Where value `v` sits: itself on a numeric axis, else its position (from 1).
    fn of(&self, v: &Value) -> f64 {
        if self.numeric {
            v.as_f64().expect("numeric axis")
        } else {
            self.vary
                .values
                .iter()
                .position(|w| w == v)
                .expect("a value of the axis") as f64
                + 1.0
        }
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The header line of `sweep.csv`.
pub fn csv_header(vary: &[Vary], mode: Mode) -> String {
    let mut out = String::from("n_minus_1");
    for v in vary {
        let _ = write!(out, ",{}", csv_field(&v.key));
    }
    out.push_str(",meets_slo,offered_rps");
    for n in super::metric_names(mode) {
        let _ = write!(out, ",{n},{n}_ci95");
    }
    out.push('\n');
    out
}

/// One point's line of `sweep.csv`.
pub fn csv_row(p: &PointOut, mode: Mode) -> String {
    let mut out = p.n_minus_1.to_string();
    for (_, v) in &p.values.0 {
        let cell = match v {
            Value::Int(i) => i.to_string(),
            Value::Float(x) => x.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Str(s) => csv_field(s),
        };
        let _ = write!(out, ",{cell}");
    }
    let meets = p.meets_slo.map(|b| b.to_string()).unwrap_or_default();
    let _ = write!(out, ",{meets},{}", p.metrics.offered_rps);
    for n in super::metric_names(mode) {
        match p.metrics.get(n) {
            Some(e) => {
                let ci = e.ci95.map(|c| c.to_string()).unwrap_or_default();
                let _ = write!(out, ",{},{ci}", e.value);
            }
            None => out.push_str(",,"),
        }
    }
    out.push('\n');
    out
}

/// Whether a run meets the SLO, conservatively (CI ends); `None` without any target.
/// A latency target is ignored by modes without latency.
pub(crate) fn meets(slo: &Slo, f: &RunFigures) -> Option<bool> {
    if slo.is_unset() {
        return None;
    }
    let latency_ok = match (slo.latency_ms_p99_max, f.get("latency_ms_p99")) {
        (Some(max), Some(e)) => upper(&e) <= max,
        _ => true,
    };
    let availability_ok = slo
        .availability_min
        .is_none_or(|min| lower(&f.slo_availability()) >= min);
    Some(latency_ok && availability_ok)
}

fn upper(e: &crate::stats::Estimate) -> f64 {
    e.value + e.ci95.unwrap_or(0.0)
}

fn lower(e: &crate::stats::Estimate) -> f64 {
    e.value - e.ci95.unwrap_or(0.0)
}

/// The unit words for a traffic key.
pub(crate) fn unit_of(key: &str) -> String {
    match key {
        "traffic.visitors_per_month" => "visitors/month".into(),
        "traffic.rate_per_s" => "req/s".into(),
        "traffic.requests_per_visit" => "requests/visit".into(),
        other => other.into(),
    }
}

fn limit_text(l: &Limit, sig: usize) -> String {
    match (l.position, l.value) {
        (Position::Inside, Some(x)) => format!("~{}", si(x, sig)),
        (Position::AboveRange, Some(x)) => format!(">= {}", si(x, sig)),
        (Position::BelowRange, _) => "below range".into(),
        (_, None) => "-".into(),
    }
}

/// x at fraction `t` between `a` and `b`, geometrically on a log axis.
fn interp(a: f64, b: f64, t: f64, log: bool) -> f64 {
    if log && a > 0.0 && b > 0.0 {
        (a.ln() + (b.ln() - a.ln()) * t).exp()
    } else {
        a + (b - a) * t
    }
}

/// A criterion on a run: (its value, the target, whether larger is worse).
type Criterion<'c> = (&'c dyn Fn(&RunFigures) -> Option<f64>, f64, bool);

/// One line of points along the traffic axis, sorted by traffic.
struct Curve<'a> {
    xs: Vec<f64>,
    figs: Vec<&'a RunFigures>,
    log: bool,
}

impl Curve<'_> {
    /// The offered load at traffic `x`: every traffic key scales it linearly.
    fn offered_at(&self, j: usize, x: f64) -> f64 {
        let (xa, xb) = (self.xs[j - 1], self.xs[j]);
        let (oa, ob) = (self.figs[j - 1].offered_rps, self.figs[j].offered_rps);
        if xb == xa {
            ob
        } else {
            oa + (ob - oa) * (x - xa) / (xb - xa)
        }
    }

    /// The first crossing of `ok` going from true to false, interpolated per criterion.
    fn first_failure(&self, criteria: &[Criterion<'_>]) -> Limit {
        let ok = |f: &RunFigures| {
            criteria.iter().all(|(get, target, larger_worse)| match get(f) {
                Some(y) if *larger_worse => y <= *target,
                Some(y) => y >= *target,
                None => true,
            })
        };
        let last = self.xs.len() - 1;
        if !ok(self.figs[0]) {
            return Limit {
                value: None,
                offered_rps: None,
                position: Position::BelowRange,
                between: None,
            };
        }
        let Some(j) = (1..=last).find(|&j| !ok(self.figs[j])) else {
            return Limit {
                value: Some(self.xs[last]),
                offered_rps: Some(self.figs[last].offered_rps),
                position: Position::AboveRange,
                between: None,
            };
        };
        let mut x = self.xs[j];
        for (get, target, larger_worse) in criteria {
            let (Some(ya), Some(yb)) = (get(self.figs[j - 1]), get(self.figs[j])) else {
                continue;
            };
            let fails = if *larger_worse { yb > *target } else { yb < *target };
            if !fails {
                continue;
            }
            let t = if yb == ya {
                1.0
            } else {
                ((target - ya) / (yb - ya)).clamp(0.0, 1.0)
            };
            x = x.min(interp(self.xs[j - 1], self.xs[j], t, self.log));
        }
        Limit {
            value: Some(x),
            offered_rps: Some(self.offered_at(j, x)),
            position: Position::Inside,
            between: Some([self.xs[j - 1], self.xs[j]]),
        }
    }
}

/// The planner's answer: per combination of the other keys, the largest traffic that meets
/// the SLO (all up and N-1) and the latency knee, with the method and caveats in words.
fn answer(plan: &Plan, points: &[PointOut]) -> Answer {
    let mode = plan.base.mode;
    let latency_target = plan.slo.latency_ms_p99_max.filter(|_| mode == Mode::Requests);
    let mut notes = opening_notes(plan);
    let method = method(plan, latency_target);
    let Some(t) = plan.traffic else {
        return no_traffic_answer(plan, points, method, notes);
    };
    let tv = &plan.varies[t];
    // Rows: combinations of the other keys, in grid order of first appearance.
    let mut rows = Vec::new();
    let mut sentences = Vec::new();
    let mut seen: Vec<Vec<usize>> = Vec::new();
    for g in &plan.grid {
        let mut others = g.clone();
        others.remove(t);
        if seen.contains(&others) {
            continue;
        }
        seen.push(others.clone());
        let row = answer_row(plan, points, t, &others, latency_target);
        sentences.push(row.sentence.clone());
        rows.push(row);
    }
    notes.extend(closing_notes(plan, points, tv, &rows));
    Answer {
        traffic_key: Some(tv.key.clone()),
        method,
        rows,
        sentences,
        notes,
    }
}

/// The caveats known before any row is computed: a latency target in availability mode, a
/// single replication.
fn opening_notes(plan: &Plan) -> Vec<String> {
    let mut notes = Vec::new();
    if plan.slo.latency_ms_p99_max.is_some() && plan.base.mode == Mode::Availability {
        notes.push("availability mode has no latency: the p99 target is not checked".into());
    }
    if plan.base.replications < 2 {
        notes.push("one replication gives no confidence interval: point values are used as bounds".into());
    }
    notes
}

/// How "meets the SLO", the knee and N-1 are decided, in words (`latency_target`: the p99
/// target where the mode has latency).
fn method(plan: &Plan, latency_target: Option<f64>) -> Method {
    let avail_name = match plan.base.mode {
        Mode::Requests => "availability_request",
        Mode::Availability => "availability_time",
    };
    let mut rule = Vec::new();
    if let Some(m) = latency_target {
        rule.push(format!("upper 95% bound of latency_ms_p99 <= {m}"));
    }
    if let Some(m) = plan.slo.availability_min {
        rule.push(format!("lower 95% bound of {avail_name} >= {m}"));
    }
    Method {
        meets_slo: if rule.is_empty() {
            "no SLO target set".into()
        } else {
            format!(
                "{}; the largest traffic is interpolated between the last grid point that meets it and the first that does not (in log traffic for log ranges)",
                rule.join(" and ")
            )
        },
        knee: format!(
            "traffic at which latency_ms_p99 first reaches {KNEE_P99_FACTOR} x its value at the lowest swept traffic, interpolated between grid points"
        ),
        n_minus_1: plan.runs.iter().any(|r| r.n_minus_1).then(|| {
            "each point run again with web1 crashed at t = 0 (lb1's health checks take it out during the warm-up)"
                .into()
        }),
    }
}

/// The answer when no traffic key is varied: no limits, one sentence counting the points
/// that meet the SLO.
fn no_traffic_answer(plan: &Plan, points: &[PointOut], method: Method, notes: Vec<String>) -> Answer {
    let total = points.len();
    let meeting = points.iter().filter(|p| p.meets_slo == Some(true)).count();
    let sentence = if plan.slo.is_unset() {
        "No SLO target is set ([slo] in the scenario, or --slo-p99-ms / --slo-availability), and no traffic key is varied.".to_string()
    } else {
        format!(
            "No traffic key is varied, so there is no traffic limit to find; {meeting} of {total} points meet the SLO."
        )
    };
    Answer {
        traffic_key: None,
        method,
        rows: Vec::new(),
        sentences: vec![sentence],
        notes,
    }
}

/// The limits of one combination `others` of the keys other than the traffic key (`t`, its
/// index among the varies): largest traffic within the SLO all up and N-1, the knee, and
/// the sentence that says so.
fn answer_row(plan: &Plan, points: &[PointOut], t: usize, others: &[usize], latency_target: Option<f64>) -> AnswerRow {
    let mode = plan.base.mode;
    let curve = |n_minus_1: bool| traffic_curve(plan, points, t, others, n_minus_1);
    let p99_hi = |f: &RunFigures| f.get("latency_ms_p99").map(|e| upper(&e));
    let avail_lo = |f: &RunFigures| Some(lower(&f.slo_availability()));
    let mut criteria: Vec<Criterion<'_>> = Vec::new();
    if let Some(m) = latency_target {
        criteria.push((&p99_hi, m, true));
    }
    if let Some(m) = plan.slo.availability_min {
        criteria.push((&avail_lo, m, false));
    }
    let all_up = curve(false).expect("every combination has all-up points");
    let max_traffic = (!criteria.is_empty()).then(|| all_up.first_failure(&criteria));
    let max_traffic_n_minus_1 = if criteria.is_empty() {
        None
    } else {
        curve(true).map(|c| c.first_failure(&criteria))
    };
    let knee = (mode == Mode::Requests)
        .then(|| {
            let base = all_up.figs[0].get("latency_ms_p99")?.value;
            (base > 0.0).then(|| {
                let p99 = |f: &RunFigures| f.get("latency_ms_p99").map(|e| e.value);
                all_up.first_failure(&[(&p99, KNEE_P99_FACTOR * base, true)])
            })
        })
        .flatten();
    let values = PointValues(
        plan.varies
            .iter()
            .zip(&others_with_gap(others, t))
            .filter_map(|(v, k)| k.map(|k| (v.key.clone(), v.values[k].clone())))
            .collect(),
    );
    let unit = unit_of(&plan.varies[t].key);
    let sentence = sentence(&values, &unit, max_traffic, max_traffic_n_minus_1, knee, mode);
    AnswerRow {
        values,
        max_traffic,
        max_traffic_n_minus_1,
        knee,
        sentence,
    }
}

/// The runs of one combination `others` of the other keys, all up or N-1, as a curve along
/// the traffic key (`t`); `None` when there are none.
fn traffic_curve<'p>(
    plan: &Plan,
    points: &'p [PointOut],
    t: usize,
    others: &[usize],
    n_minus_1: bool,
) -> Option<Curve<'p>> {
    let tv = &plan.varies[t];
    let mut line: Vec<(f64, &RunFigures)> = plan
        .runs
        .iter()
        .zip(points)
        .filter(|(r, _)| r.n_minus_1 == n_minus_1)
        .filter(|(r, _)| {
            let mut o = plan.grid[r.point].clone();
            o.remove(t);
            o == others
        })
        .map(|(r, p)| {
            let x = tv.values[plan.grid[r.point][t]]
                .as_f64()
                .expect("traffic keys are numeric");
            (x, &p.metrics)
        })
        .collect();
    if line.is_empty() {
        return None;
    }
    line.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some(Curve {
        xs: line.iter().map(|l| l.0).collect(),
        figs: line.iter().map(|l| l.1).collect(),
        log: tv.scale == Scale::Log,
    })
}

/// The caveats that depend on the rows: limits between coarse grid points, a traffic key
/// (`tv`) that does not change the offered load, availability mode's missing capacity model.
fn closing_notes(plan: &Plan, points: &[PointOut], tv: &Vary, rows: &[AnswerRow]) -> Vec<String> {
    let mut notes = Vec::new();
    let coarse = rows.iter().any(|r: &AnswerRow| {
        [r.max_traffic, r.max_traffic_n_minus_1]
            .iter()
            .flatten()
            .any(|l| l.between.is_some_and(|[a, b]| b > COARSE_BRACKET_RATIO * a))
    });
    if coarse {
        notes.push(format!(
            "some SLO limits lie between grid points more than {COARSE_BRACKET_RATIO}x apart (answer.rows[].*.between in sweep.json): p99 often jumps at saturation, so the interpolated value is only as good as the grid; sweep more finely between them"
        ));
    }
    let offered = |i: usize| points[i].metrics.offered_rps;
    if tv.values.len() > 1 && (0..plan.grid.len()).all(|i| offered(i) == offered(0)) {
        notes.push(format!(
            "{} does not change the offered load of this scenario (traffic.kind = {:?}): vary the key its traffic kind uses",
            tv.key, plan.base.spec.traffic.kind
        ));
    }
    if plan.base.mode == Mode::Availability {
        notes.push(
            "availability mode has no capacity model: traffic only weights outages, so limits reflect availability alone"
                .into(),
        );
    }
    notes
}

/// `others` (indices of every vary but `t`) as one optional index per vary.
fn others_with_gap(others: &[usize], t: usize) -> Vec<Option<usize>> {
    let mut v: Vec<Option<usize>> = others.iter().map(|&k| Some(k)).collect();
    v.insert(t, None);
    v
}

fn sentence(
    values: &PointValues,
    unit: &str,
    max: Option<Limit>,
    n1: Option<Limit>,
    knee: Option<Limit>,
    mode: Mode,
) -> String {
    let who = if values.0.is_empty() {
        "The park".to_string()
    } else {
        format!("With {}, the park", values.label())
    };
    let n1_text = n1.map(|l| match (l.position, l.value) {
        (Position::Inside, Some(x)) => format!(" (N-1: {})", si(x, 2)),
        (Position::AboveRange, Some(x)) => format!(" (N-1: at least {})", si(x, 2)),
        _ => " (N-1: not even at the bottom of the sweep)".to_string(),
    });
    let mut s = match max {
        None => format!("{who} has no SLO target to meet ([slo] or --slo-p99-ms / --slo-availability)"),
        Some(l) => match (l.position, l.value) {
            (Position::Inside, Some(x)) => format!("{who} meets the SLO up to ~{} {unit}", si(x, 2)),
            (Position::AboveRange, Some(x)) => {
                format!(
                    "{who} meets the SLO across the whole sweep, up to at least {} {unit}",
                    si(x, 2)
                )
            }
            _ => format!("{who} does not meet the SLO even at the bottom of the sweep"),
        },
    };
    s.push_str(&n1_text.unwrap_or_default());
    match (mode, knee) {
        (Mode::Availability, _) => s.push('.'),
        (
            _,
            Some(Limit {
                position: Position::Inside,
                value: Some(x),
                ..
            }),
        ) => {
            let _ = write!(s, "; the latency knee is at ~{}.", si(x, 2));
        }
        (
            _,
            Some(Limit {
                position: Position::AboveRange,
                value: Some(x),
                ..
            }),
        ) => {
            let _ = write!(
                s,
                "; p99 does not double within the sweep (no knee up to {}).",
                si(x, 2)
            );
        }
        _ => s.push_str("; no latency knee could be found (no successful request at the lowest point)."),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Estimate;

    fn fig(offered: f64, p99: f64, ci: f64, avail: f64) -> RunFigures {
        RunFigures {
            mode: Mode::Requests,
            offered_rps: offered,
            metrics: vec![
                (
                    "latency_ms_p99",
                    Estimate {
                        value: p99,
                        ci95: Some(ci),
                    },
                ),
                (
                    "availability_request",
                    Estimate {
                        value: avail,
                        ci95: Some(0.0),
                    },
                ),
            ],
        }
    }

    #[test]
    fn conservative_limit_interpolates_the_ci_bound() {
        let figs = [
            fig(10.0, 100.0, 10.0, 1.0),
            fig(20.0, 200.0, 20.0, 1.0),
            fig(30.0, 400.0, 40.0, 1.0),
        ];
        let curve = Curve {
            xs: vec![1.0, 2.0, 3.0],
            figs: figs.iter().collect(),
            log: false,
        };
        let p99_hi = |f: &RunFigures| f.get("latency_ms_p99").map(|e| upper(&e));
        // Upper bounds 110, 220, 440: 300 is crossed 80/220 of the way from x=2 to x=3.
        let l = curve.first_failure(&[(&p99_hi, 300.0, true)]);
        assert_eq!(l.position, Position::Inside);
        assert_eq!(l.between, Some([2.0, 3.0]));
        assert!((l.value.unwrap() - (2.0 + 80.0 / 220.0)).abs() < 1e-12);
        assert!((l.offered_rps.unwrap() - (20.0 + 800.0 / 220.0)).abs() < 1e-9);
        // The point estimate alone would allow more.
        let p99 = |f: &RunFigures| f.get("latency_ms_p99").map(|e| e.value);
        assert!(curve.first_failure(&[(&p99, 300.0, true)]).value.unwrap() > l.value.unwrap());
        assert_eq!(
            curve.first_failure(&[(&p99_hi, 100.0, true)]).position,
            Position::BelowRange
        );
        let top = curve.first_failure(&[(&p99_hi, 1000.0, true)]);
        assert_eq!((top.position, top.value), (Position::AboveRange, Some(3.0)));
        // Two criteria: the earlier crossing wins.
        let avail = |f: &RunFigures| Some(f.get("availability_request").unwrap().value - 0.5 * f.offered_rps / 10.0);
        let both = curve.first_failure(&[(&p99_hi, 300.0, true), (&avail, 0.0, false)]);
        assert_eq!(
            both.value,
            Some(2.0),
            "availability reaches its target exactly at x = 2"
        );
    }

    #[test]
    fn log_axis_interpolates_geometrically() {
        assert!((interp(100.0, 10_000.0, 0.5, true) - 1000.0).abs() < 1e-9);
        assert_eq!(interp(100.0, 10_000.0, 0.5, false), 5050.0);
    }

    #[test]
    fn sentence_reads_like_the_planner_wants() {
        let inside = |x| {
            Some(Limit {
                value: Some(x),
                offered_rps: Some(1.0),
                position: Position::Inside,
                between: None,
            })
        };
        let s = sentence(
            &PointValues(Vec::new()),
            "visitors/month",
            inside(2.4e6),
            inside(1.6e6),
            inside(3.1e6),
            Mode::Requests,
        );
        assert_eq!(
            s,
            "The park meets the SLO up to ~2.4M visitors/month (N-1: 1.6M); the latency knee is at ~3.1M."
        );
    }

    #[test]
    fn meets_uses_ci_ends_and_ignores_absent_metrics() {
        let slo = Slo {
            latency_ms_p99_max: Some(300.0),
            availability_min: Some(0.99),
            latency_ms: None,
        };
        assert_eq!(meets(&slo, &fig(1.0, 280.0, 10.0, 0.995)), Some(true));
        assert_eq!(meets(&slo, &fig(1.0, 295.0, 10.0, 0.995)), Some(false));
        assert_eq!(meets(&Slo::NONE, &fig(1.0, 295.0, 10.0, 0.995)), None);
    }
}
