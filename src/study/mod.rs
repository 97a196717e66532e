//! What-if studies over many runs: `sweep` (a grid of scenario variants, and the capacity
//! planner's answer) and `compare` (scenarios side by side).
//!
//! Sits above `sim` and `report`: it builds models through the scenario validator, runs
//! every (run x replication) through `sim::run_indexed` (rayon, results in index order),
//! reduces each replication to a few figures at once (so a big grid never holds hundreds of
//! latency histograms), and folds them into estimates in replication order. It must never
//! read a wall clock, spawn its own threads or iterate a hash map: the output bytes depend
//! only on the inputs, whatever `--jobs` is.

pub mod compare;
pub mod precision;
pub mod shard;
pub mod sweep;
pub mod vary;

use crate::report::plot::PlotError;
use crate::scenario::{Mode, Model, ScenarioError};
use crate::sim::avail::{AvailMetrics, AvailWorld, Cause};
use crate::sim::metrics::RepMetrics;
use crate::sim::request::World;
use crate::stats::Estimate;
use precision::Precision;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// Version of the `sweep.json` and `compare.json` layouts; bump on any incompatible change.
pub(crate) const SCHEMA_VERSION: u32 = 1;
/// Most (run x replication) units one study may run.
pub const UNITS_MAX: u64 = 10_000_000;

/// A study that cannot run or cannot be reported. Every variant but `Plot` stops the study
/// before anything is simulated or written.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// A `--vary` argument is malformed, or one of its values is invalid for its key.
    #[error("--vary {key}: {message}")]
    Vary {
        /// The varied key.
        key: String,
        /// What is wrong with the argument.
        message: String,
    },
    /// The scenario with one grid point's values applied does not validate.
    #[error("--vary point {point}: {error}")]
    Point {
        /// The grid point's values.
        point: String,
        /// Why the scenario does not validate.
        error: Box<ScenarioError>,
    },
    /// The grid has more points than `vary::GRID_POINTS_MAX`.
    #[error("the grid has {points} points; at most {} (use fewer values)", vary::GRID_POINTS_MAX)]
    GridTooLarge {
        /// Points the grid would have.
        points: f64,
    },
    /// More (run x replication) units than `UNITS_MAX`.
    #[error("{units} runs x replications; at most {UNITS_MAX} (use fewer points or replications)")]
    TooMuchWork {
        /// Runs x replications asked for.
        units: u64,
    },
    /// A chart could not be drawn (no output is written then).
    #[error(transparent)]
    Plot(#[from] PlotError),
}

/// A replication panicked: a violated invariant (a simpark bug). Identifies the run and the
/// replication so the caller can print a replay command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crashed {
    /// Index of the run in the plan.
    pub run: usize,
    /// The replication that panicked.
    pub replication: u32,
}

/// Figures per replication, by mode. The definitions match `report::summary` (a test pins
/// that), so a sweep point and `simpark run` on the same scenario report the same numbers.
pub(crate) const REQUEST_METRICS: [&str; 6] = [
    "latency_ms_p99",
    "latency_ms_p95",
    "latency_ms_mean",
    "availability_request",
    "throughput_rps",
    "web_utilisation_max",
];
pub(crate) const AVAIL_METRICS: [&str; 22] = [
    "availability_time",
    "availability_request",
    "downtime_min_per_year",
    "data_loss_events_per_year",
    "raid_array_losses_per_year",
    // Downtime without planned maintenance (contracts that exclude announced windows).
    "downtime_min_per_year_unplanned",
    // Downtime by cause, in `Cause::ALL` order (see `DOWNTIME_BY_CAUSE_FIRST`).
    "downtime_min_per_year_lb",
    "downtime_min_per_year_web",
    "downtime_min_per_year_storage",
    "downtime_min_per_year_takeover",
    "downtime_min_per_year_network",
    "downtime_min_per_year_maintenance",
    "downtime_min_per_year_human_error",
    "downtime_min_per_year_overload",
    // Failed requests by cause per year, in `Cause::ALL` order (see `FAILED_BY_CAUSE_FIRST`).
    "failed_requests_per_year_lb",
    "failed_requests_per_year_web",
    "failed_requests_per_year_storage",
    "failed_requests_per_year_takeover",
    "failed_requests_per_year_network",
    "failed_requests_per_year_maintenance",
    "failed_requests_per_year_human_error",
    "failed_requests_per_year_overload",
];
/// Index in `AVAIL_METRICS` of the first per-cause downtime.
pub(crate) const DOWNTIME_BY_CAUSE_FIRST: usize = 6;
/// Index in `AVAIL_METRICS` of the first per-cause count of failed requests.
pub(crate) const FAILED_BY_CAUSE_FIRST: usize = DOWNTIME_BY_CAUSE_FIRST + Cause::COUNT;
const _: () = assert!(FAILED_BY_CAUSE_FIRST + Cause::COUNT == AVAIL_METRICS.len());

/// A key or metric name in words for chart axes and titles: known ones by name, others with
/// dots and underscores as spaces.
pub(crate) fn human_label(key: &str) -> String {
    let known = match key {
        "traffic.visitors_per_month" => "visitors per month",
        "traffic.rate_per_s" => "offered load [req/s]",
        "web.count" => "web servers",
        "web.workers" => "workers per web server",
        "storage.count" => "storage servers",
        "balancer.algorithm" => "balancing algorithm",
        "latency_ms_p99" => "p99 latency [ms]",
        "latency_ms_p95" => "p95 latency [ms]",
        "latency_ms_mean" => "mean latency [ms]",
        "availability_request" => "requests served",
        "availability_time" => "time available",
        "downtime_min_per_year" => "downtime [min/year]",
        "throughput_rps" => "throughput [req/s]",
        "web_utilisation_max" => "busiest web server's utilisation",
        other => return other.replace(['.', '_'], " "),
    };
    known.to_string()
}

/// The metric names a mode produces.
pub(crate) fn metric_names(mode: Mode) -> &'static [&'static str] {
    match mode {
        Mode::Requests => &REQUEST_METRICS,
        Mode::Availability => &AVAIL_METRICS,
    }
}

/// Request mode, one replication, in `REQUEST_METRICS` order: the replication's own figures
/// (`RepMetrics`), as `summary.json` has them.
pub fn request_figures(m: &Model, r: &RepMetrics) -> Vec<f64> {
    let utilisation_max = (0..r.web_busy_ns.len())
        .map(|i| r.web_utilisation(i))
        .fold(0.0, f64::max);
    vec![
        r.latency_ms_at(0.99),
        r.latency_ms_at(0.95),
        r.latency_ms_mean(),
        r.success_ratio(m.maintenance_excluded()),
        r.throughput_rps(),
        utilisation_max,
    ]
}

/// Availability mode, one replication, in `AVAIL_METRICS` order.
pub fn avail_figures(r: &AvailMetrics) -> Vec<f64> {
    let years = r.window_ns as f64 / (365.0 * 86_400e9);
    let mut out = vec![
        1.0 - r.downtime_ns as f64 / r.window_ns as f64,
        if r.offered > 0.0 {
            1.0 - r.failed / r.offered
        } else {
            1.0
        },
        r.downtime_ns as f64 / 60e9 / years,
        r.data_loss_events as f64 / years,
        r.raid_array_losses as f64 / years,
    ];
    out.push(r.unplanned_downtime_ns() as f64 / 60e9 / years);
    out.extend(r.downtime_by_cause_ns.iter().map(|&ns| ns as f64 / 60e9 / years));
    out.extend(r.failed_by_cause.iter().map(|&n| n / years));
    assert_eq!(out.len(), AVAIL_METRICS.len());
    out
}

/// One run's figures: every metric of its mode as an estimate across replications.
#[derive(Clone, Debug, PartialEq)]
pub struct RunFigures {
    pub(crate) mode: Mode,
    /// Mean offered load of the traffic model [req/s].
    pub(crate) offered_rps: f64,
    /// `(name, estimate)` in `metric_names(mode)` order.
    pub(crate) metrics: Vec<(&'static str, Estimate)>,
}

impl RunFigures {
    /// The estimate of `name`, if this mode produces it.
    pub(crate) fn get(&self, name: &str) -> Option<Estimate> {
        self.metrics.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
    }

    /// The availability an SLO applies to: requests served in request mode, time up in
    /// availability mode.
    pub(crate) fn slo_availability(&self) -> Estimate {
        let name = match self.mode {
            Mode::Requests => "availability_request",
            Mode::Availability => "availability_time",
        };
        self.get(name).expect("every mode produces its SLO availability")
    }
}

impl Serialize for RunFigures {
    /// `{"offered_rps": x, "<metric>": {"value", "ci95"}, ...}` in metric order.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.metrics.len() + 1))?;
        map.serialize_entry("offered_rps", &self.offered_rps)?;
        for (name, e) in &self.metrics {
            map.serialize_entry(name, e)?;
        }
        map.end()
    }
}

/// Most units one chunk of a study runs at once, and most runs (models) one chunk holds: a
/// model is ~10 KB and a grid may have 20,000 runs, so a study builds its models a chunk at
/// a time and keeps only each run's figures (what keeps a 10,000-point sweep under 100 MB).
pub(crate) const CHUNK_UNITS_MAX: usize = 4096;
pub(crate) const CHUNK_RUNS_MAX: usize = 256;

/// One unit of work: replication `replication` of `m`, reduced to its mode's figures (in
/// `metric_names(m.mode)` order).
pub(crate) fn unit_figures(m: &Model, replication: u32) -> Vec<f64> {
    match m.mode {
        Mode::Requests => request_figures(m, &World::new(m, replication).run()),
        Mode::Availability => avail_figures(&AvailWorld::new(m, replication).run()),
    }
}

/// Fold one run's replications (figures in replication order) into estimates: the one
/// summarising step of sweep and compare, shared by a whole run and `simpark merge`.
pub(crate) fn fold(mode: Mode, offered_rps: f64, reps: &[Vec<f64>]) -> RunFigures {
    let metrics = metric_names(mode)
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let xs: Vec<f64> = reps.iter().map(|r| r[k]).collect();
            (*name, Estimate::from_samples(&xs))
        })
        .collect();
    RunFigures {
        mode,
        offered_rps,
        metrics,
    }
}

/// A study's units: (run, replication) flattened in run order, `replications[run]` each.
#[derive(Clone, Debug)]
pub struct Units {
    starts: Vec<u64>,
    total: u64,
}

impl Units {
    /// Units numbered run by run: `replications[i]` units for run `i`.
    pub fn new(replications: &[u32]) -> Units {
        let mut starts = Vec::with_capacity(replications.len());
        let mut total = 0u64;
        for &r in replications {
            starts.push(total);
            total += u64::from(r);
        }
        Units { starts, total }
    }

    /// How many units.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The units of run `run`, in order.
    pub fn range(&self, run: usize) -> std::ops::Range<u32> {
        let end = self.starts.get(run + 1).copied().unwrap_or(self.total);
        self.starts[run] as u32..end as u32
    }

    /// The (run, replication) of unit `u` (below `total`).
    pub fn locate(&self, u: u32) -> (usize, u32) {
        assert!(u64::from(u) < self.total, "unit {u} of {}", self.total);
        let run = self.starts.partition_point(|&s| s <= u64::from(u)) - 1;
        (run, (u64::from(u) - self.starts[run]) as u32)
    }
}

/// Run `units` (ascending unit ids of `plan`) on `jobs` threads, a chunk at a time
/// (`CHUNK_UNITS_MAX`, `CHUNK_RUNS_MAX`), building each chunk's models with `model_of(run)`;
/// `sink(unit, run, figures)` receives every unit in unit order. A panicking replication
/// is reported as `Crashed` (the first in unit order); nothing after its chunk is sunk.
pub fn run_units(
    plan: &Units,
    units: &mut dyn Iterator<Item = u32>,
    model_of: &(dyn Fn(usize) -> Model + Sync),
    jobs: usize,
    on_done: &(dyn Fn() + Sync),
    sink: &mut dyn FnMut(u32, usize, Vec<f64>),
) -> Result<(), Crashed> {
    run_units_from(plan, units, model_of, &|_| 0, jobs, on_done, sink)
}

/// `run_units` where run `run`'s units are its replications from `first(run)` on (a
/// `--precision` batch).
fn run_units_from(
    plan: &Units,
    units: &mut dyn Iterator<Item = u32>,
    model_of: &(dyn Fn(usize) -> Model + Sync),
    first: &(dyn Fn(usize) -> u32 + Sync),
    jobs: usize,
    on_done: &(dyn Fn() + Sync),
    sink: &mut dyn FnMut(u32, usize, Vec<f64>),
) -> Result<(), Crashed> {
    let mut chunk: Vec<(u32, usize, u32)> = Vec::with_capacity(CHUNK_UNITS_MAX);
    let mut runs: Vec<usize> = Vec::with_capacity(CHUNK_RUNS_MAX);
    let mut flush = |chunk: &mut Vec<(u32, usize, u32)>, runs: &mut Vec<usize>| -> Result<(), Crashed> {
        let models = crate::sim::run_indexed(runs.len() as u32, jobs, &|| {}, |k| model_of(runs[k as usize]));
        let figures = crate::sim::run_indexed(chunk.len() as u32, jobs, on_done, |k| {
            let (_, run, replication) = chunk[k as usize];
            let m = &models[runs.binary_search(&run).expect("the chunk's runs")];
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unit_figures(m, replication)))
                .map_err(|_| Crashed { run, replication })
        });
        for ((u, run, _), f) in chunk.drain(..).zip(figures) {
            sink(u, run, f?);
        }
        runs.clear();
        Ok(())
    };
    let mut last = None;
    for u in units {
        assert!(last.is_none_or(|l| l < u), "units ascend");
        last = Some(u);
        let (run, replication) = plan.locate(u);
        if runs.last() != Some(&run) {
            if runs.len() == CHUNK_RUNS_MAX {
                flush(&mut chunk, &mut runs)?;
            }
            runs.push(run);
        }
        chunk.push((u, run, first(run) + replication));
        if chunk.len() == CHUNK_UNITS_MAX {
            // The run may continue in the next chunk.
            flush(&mut chunk, &mut runs)?;
        }
    }
    if !chunk.is_empty() {
        flush(&mut chunk, &mut runs)?;
    }
    Ok(())
}

/// Run every unit of every run and fold each run's replications in index order, holding
/// only one run's figures at a time. `meta(run)` is the run's (mode, offered load);
/// `on_run(run, figures)` sees each run as it is folded, in run order (streamed outputs).
pub(crate) fn run_and_fold(
    replications: &[u32],
    meta: &dyn Fn(usize) -> (Mode, f64),
    model_of: &(dyn Fn(usize) -> Model + Sync),
    jobs: usize,
    on_done: &(dyn Fn() + Sync),
    on_run: &mut dyn FnMut(usize, &RunFigures),
) -> Result<Vec<RunFigures>, Crashed> {
    let plan = Units::new(replications);
    assert!(plan.total() <= UNITS_MAX, "callers check units against UNITS_MAX");
    let mut out = Vec::with_capacity(replications.len());
    let mut reps: Vec<Vec<f64>> = Vec::new();
    run_units(
        &plan,
        &mut (0..plan.total() as u32),
        model_of,
        jobs,
        on_done,
        &mut |_, run, f| {
            reps.push(f);
            if reps.len() == replications[run] as usize {
                let (mode, offered) = meta(run);
                let figures = fold(mode, offered, &reps);
                on_run(run, &figures);
                out.push(figures);
                reps.clear();
            }
        },
    )?;
    assert_eq!(out.len(), replications.len(), "every run folded");
    Ok(out)
}

/// `run_and_fold` by precision: every run starts with `start[run]` replications, then, in
/// rounds, each run whose targets (`precision(run)`) are not met gets its next batch
/// (`Precision::next`), until every run meets them or reaches the cap. A run's stopping point
/// depends only on its own figures in replication order (the rule `simpark run
/// --precision` applies to one run), so the answer is the same for any `jobs`. Returns each
/// run's figures and the replications it used. Holds every run's per-replication figures
/// until the end (a few floats each).
pub fn run_and_fold_precise<'p>(
    start: &[u32],
    meta: &dyn Fn(usize) -> (Mode, f64),
    model_of: &(dyn Fn(usize) -> Model + Sync),
    precision: &dyn Fn(usize) -> &'p Precision,
    jobs: usize,
    on_done: &(dyn Fn() + Sync),
) -> Result<(Vec<RunFigures>, Vec<u32>), Crashed> {
    let mut figures: Vec<Vec<Vec<f64>>> = vec![Vec::new(); start.len()];
    // (run, first replication, end) of this round's batches.
    let mut batch: Vec<(usize, u32, u32)> = start.iter().enumerate().map(|(r, &n)| (r, 0, n)).collect();
    while !batch.is_empty() {
        let sizes: Vec<u32> = batch.iter().map(|&(_, a, b)| b - a).collect();
        let units = Units::new(&sizes);
        assert!(
            units.total() <= UNITS_MAX,
            "a round is at most the plan or one batch per run"
        );
        run_units_from(
            &units,
            &mut (0..units.total() as u32),
            &|k| model_of(batch[k].0),
            &|k| batch[k].1,
            jobs,
            on_done,
            &mut |_, k, f| figures[batch[k].0].push(f),
        )
        .map_err(|c| Crashed {
            run: batch[c.run].0,
            replication: c.replication,
        })?;
        batch = (0..start.len())
            .filter_map(|r| {
                let n = figures[r].len() as u32;
                precision(r).step(meta(r).0, &figures[r]).map(|next| (r, n, next))
            })
            .collect();
    }
    let used = figures.iter().map(|f| f.len() as u32).collect();
    let folded = figures
        .iter()
        .enumerate()
        .map(|(r, f)| {
            let (mode, offered) = meta(r);
            fold(mode, offered, f)
        })
        .collect();
    Ok((folded, used))
}

/// A sharded study's units: every run's slots (its replications; for a run by precision, the
/// cap) numbered run by run, and the replications each run starts with. Without precision
/// the two are equal and the units are exactly the study's (run, replication) pairs.
#[derive(Clone, Debug)]
pub struct Layout {
    units: Units,
    start: Vec<u32>,
}

impl Layout {
    /// Run `run` starts with `start[run]` replications and may grow to `cap(run)` (`None`:
    /// fixed); `None` when the slots exceed `UNITS_MAX`.
    pub fn new(start: &[u32], cap: &dyn Fn(usize) -> Option<u32>) -> Option<Layout> {
        let slots: Vec<u32> = (0..start.len())
            .map(|r| cap(r).unwrap_or(start[r]).max(start[r]))
            .collect();
        let units = Units::new(&slots);
        (units.total() <= UNITS_MAX).then(|| Layout {
            units,
            start: start.to_vec(),
        })
    }

    /// The units, numbered run by run.
    pub fn units(&self) -> &Units {
        &self.units
    }

    /// Every run's first `start` units, in unit order: what the shards of the study run
    /// before a precision rule asks for more (all units without precision).
    pub fn initial(&self) -> Vec<u32> {
        (0..self.start.len())
            .flat_map(|r| {
                let first = self.units.range(r).start;
                first..first + self.start[r]
            })
            .collect()
    }

    /// How many replications each run uses, given every unit's figures (`None`: no record):
    /// its start, then, where `precision(run)` is given, as many as the rule asks for
    /// (`Precision::step` on the run's figures in replication order, as
    /// `run_and_fold_precise` steps), so the answer is the in-process one. `Err`: the units
    /// the answer still needs, in order (a run by precision shows its next batch only once
    /// the one before it is complete).
    pub fn used<'p>(
        &self,
        mode: &dyn Fn(usize) -> Mode,
        precision: &dyn Fn(usize) -> Option<&'p Precision>,
        figures: &[Option<Vec<f64>>],
    ) -> Result<Vec<u32>, Vec<u32>> {
        assert_eq!(figures.len() as u64, self.units.total(), "one slot per unit");
        let mut used = Vec::with_capacity(self.start.len());
        let mut missing = Vec::new();
        for (run, &start) in self.start.iter().enumerate() {
            let first = self.units.range(run).start;
            let mut n = start;
            loop {
                let absent: Vec<u32> = (first..first + n).filter(|&u| figures[u as usize].is_none()).collect();
                if !absent.is_empty() {
                    missing.extend(absent);
                    break;
                }
                let Some(p) = precision(run) else { break };
                let present: Vec<Vec<f64>> = figures[first as usize..(first + n) as usize]
                    .iter()
                    .flatten()
                    .cloned()
                    .collect();
                match p.step(mode(run), &present) {
                    Some(next) => n = next,
                    None => break,
                }
            }
            used.push(n);
        }
        if missing.is_empty() { Ok(used) } else { Err(missing) }
    }

    /// Fold each run's first `used[run]` units (all present) into its figures, in run order:
    /// the one summarising step, as a whole study folds. `meta(run)` is the run's (mode,
    /// offered load).
    pub fn fold(
        &self,
        used: &[u32],
        meta: &dyn Fn(usize) -> (Mode, f64),
        figures: &[Option<Vec<f64>>],
    ) -> Vec<RunFigures> {
        used.iter()
            .enumerate()
            .map(|(run, &n)| {
                let first = self.units.range(run).start as usize;
                let reps: Vec<Vec<f64>> = figures[first..first + n as usize]
                    .iter()
                    .map(|f| f.clone().expect("used units are present"))
                    .collect();
                let (mode, offered) = meta(run);
                fold(mode, offered, &reps)
            })
            .collect()
    }

    /// The first unit whose figures do not fit its run's mode (a record of another build).
    pub fn misfit(&self, mode: &dyn Fn(usize) -> Mode, figures: &[Option<Vec<f64>>]) -> Option<u32> {
        (0..self.start.len()).find_map(|run| {
            let width = metric_names(mode(run)).len();
            self.units
                .range(run)
                .find(|&u| figures[u as usize].as_ref().is_some_and(|f| f.len() != width))
        })
    }
}

/// Run every replication of every model on `jobs` threads, as one flat list of (model,
/// replication) units so a grid keeps both cores busy whatever its shape, and fold each
/// model's replications in index order. `on_done` is called as units finish (progress).
/// A panicking replication is reported as `Crashed` (the first in unit order).
pub(crate) fn run_models(
    models: &[Model],
    jobs: usize,
    on_done: &(dyn Fn() + Sync),
) -> Result<Vec<RunFigures>, Crashed> {
    let replications: Vec<u32> = models.iter().map(|m| m.replications).collect();
    run_and_fold(
        &replications,
        &|run| (models[run].mode, models[run].mean_rate_per_s()),
        &|run| models[run].clone(),
        jobs,
        on_done,
        &mut |_, _| {},
    )
}

/// (model x replication) units of a study.
#[cfg(test)]
pub(crate) fn total_units(models: &[Model]) -> u64 {
    models.iter().map(|m| u64::from(m.replications)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::summary;

    const TINY: &str = "name = \"tiny\"\nreplications = 3\nhorizon = \"20m\"\nwarmup = \"2m\"\n\
        [traffic]\nkind = \"poisson\"\nrate_per_s = 40.0\n[balancer.check]\nenabled = false\n\
        [web]\ncount = 2\nworkers = 2\n[storage]\ncount = 1\n[backup]\nenabled = false\n";

    #[test]
    fn request_figures_match_summary_json() {
        let m = crate::scenario::from_str(TINY, "tiny.toml", &[]).unwrap();
        let reps = crate::sim::run_replications(&m, 1, &|| {});
        let s = summary::summarise(&m, &reps);
        let f = &run_models(std::slice::from_ref(&m), 2, &|| {}).unwrap()[0];
        assert_eq!(f.get("latency_ms_p99"), Some(s.metrics.latency_ms_p99));
        assert_eq!(f.get("latency_ms_p95"), Some(s.metrics.latency_ms_p95));
        assert_eq!(f.get("latency_ms_mean"), Some(s.metrics.latency_ms_mean));
        assert_eq!(f.get("availability_request"), Some(s.metrics.success_ratio));
        assert_eq!(f.get("throughput_rps"), Some(s.metrics.throughput_rps));
        let util = f.get("web_utilisation_max").unwrap().value;
        let busiest = s.web.iter().map(|w| w.utilisation.value).fold(0.0, f64::max);
        assert!(util >= busiest && util < busiest * 1.2, "{util} vs {busiest}");
        assert_eq!(f.offered_rps, 40.0);
        assert_eq!(f.slo_availability(), s.metrics.success_ratio);
    }

    /// Under `maintenance.contract = "exclude"` the studies' request availability is the
    /// summary's success ratio too (requests during maintenance left out of both).
    #[test]
    fn request_figures_follow_the_maintenance_contract() {
        let text = TINY.replace("[backup]", "[maintenance]\ncontract = \"exclude\"\ndrain = \"1s\"\n[[maintenance.window]]\nat = \"5m\"\nkind = \"kernel\"\ntargets = [\"web1\", \"web2\"]\nduration = \"2m\"\n[backup]");
        let m = crate::scenario::from_str(&text, "tiny.toml", &[]).unwrap();
        assert!(m.maintenance_excluded());
        let reps = crate::sim::run_replications(&m, 1, &|| {});
        assert!(reps.iter().any(|r| r.maintenance_ok > 0), "the window had traffic");
        let s = summary::summarise(&m, &reps);
        let f = &run_models(std::slice::from_ref(&m), 2, &|| {}).unwrap()[0];
        assert_eq!(f.get("availability_request"), Some(s.metrics.success_ratio));
    }

    #[test]
    fn availability_figures_match_summary_json() {
        let text = TINY
            .replace("name = \"tiny\"", "name = \"tiny\"\nmode = \"availability\"")
            .replace("horizon = \"20m\"", "horizon = \"3y\"");
        let m = crate::scenario::from_str(&text, "tiny.toml", &[]).unwrap();
        let reps = crate::sim::avail::run_replications(&m, 1, &|| {});
        let s = summary::summarise_availability(&m, &reps);
        let f = &run_models(std::slice::from_ref(&m), 2, &|| {}).unwrap()[0];
        assert_eq!(f.get("availability_time"), Some(s.metrics.availability_time));
        assert_eq!(f.get("availability_request"), Some(s.metrics.availability_request));
        assert_eq!(f.get("downtime_min_per_year"), Some(s.metrics.downtime_min_per_year));
        assert_eq!(
            f.get("raid_array_losses_per_year"),
            Some(s.metrics.raid_array_losses_per_year)
        );
        assert_eq!(
            f.get("downtime_min_per_year_unplanned"),
            Some(s.metrics.downtime_min_per_year_unplanned)
        );
        for (k, c) in s.metrics.downtime_by_cause.iter().enumerate() {
            assert_eq!(
                f.metrics[DOWNTIME_BY_CAUSE_FIRST + k].0,
                format!("downtime_min_per_year_{}", c.cause.name())
            );
            assert_eq!(f.metrics[DOWNTIME_BY_CAUSE_FIRST + k].1, c.downtime_min_per_year);
            assert_eq!(
                f.metrics[FAILED_BY_CAUSE_FIRST + k].0,
                format!("failed_requests_per_year_{}", c.cause.name())
            );
            assert_eq!(f.metrics[FAILED_BY_CAUSE_FIRST + k].1, c.failed_requests_per_year);
        }
        assert!(f.get("latency_ms_p99").is_none(), "availability mode has no latency");
        assert_eq!(f.slo_availability(), s.metrics.availability_time);
    }

    #[test]
    fn precision_per_run_stops_where_run_precision_stops_for_any_jobs() {
        let a = crate::scenario::from_str(TINY, "a.toml", &["replications=2".into()]).unwrap();
        let b = crate::scenario::from_str(TINY, "b.toml", &["traffic.rate_per_s=80.0".into()]).unwrap();
        let models = [a, b];
        // Run 0 cannot reach 0.01% before the cap; run 1 meets 50% at its start.
        let p = [
            Precision::parse("latency_ms_mean:0.01%", Mode::Requests, 40).unwrap(),
            Precision::parse("latency_ms_mean:50%", Mode::Requests, 40).unwrap(),
        ];
        let run = |jobs| {
            run_and_fold_precise(
                &[2, 3],
                &|r| (models[r].mode, models[r].mean_rate_per_s()),
                &|r| models[r].clone(),
                &|r| &p[r],
                jobs,
                &|| {},
            )
            .unwrap()
        };
        let (figures, used) = run(2);
        assert_eq!((figures.clone(), used.clone()), run(1));
        assert_eq!(used, [40, 3]);
        for (r, m) in models.iter().enumerate() {
            let alone = precision::replicate(
                &p[r],
                Mode::Requests,
                m.replications,
                &mut |x, y| (x..y).map(|i| unit_figures(m, i)).collect(),
                &|f: &Vec<f64>| f.clone(),
            );
            assert_eq!(
                used[r] as usize,
                alone.len(),
                "run {r} stops where `run --precision` stops"
            );
            assert_eq!(figures[r], fold(m.mode, m.mean_rate_per_s(), &alone));
        }
    }

    #[test]
    fn runs_of_different_sizes_fold_in_order_for_any_jobs() {
        let a = crate::scenario::from_str(TINY, "a.toml", &["replications=2".into()]).unwrap();
        let b = crate::scenario::from_str(TINY, "b.toml", &["traffic.rate_per_s=80.0".into()]).unwrap();
        let models = [a.clone(), b.clone(), a];
        assert_eq!(total_units(&models), 7);
        let one = run_models(&models, 1, &|| {}).unwrap();
        let two = run_models(&models, 2, &|| {}).unwrap();
        assert_eq!(one, two);
        assert_eq!(one[0], one[2], "the same model gives the same figures wherever it sits");
        assert_eq!(one[1].offered_rps, 80.0);
        assert!(one[1].get("throughput_rps").unwrap().value > one[0].get("throughput_rps").unwrap().value);
    }
}
