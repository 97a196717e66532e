//! Run a scenario into a results directory: the library operation behind `simpark run`.
//!
//! [`run`] locks the output directory, simulates every replication in the scenario's mode
//! (to a `--precision` rule when given one), builds every file in memory, then publishes
//! the directory as a unit (`report::outdir`). [`result_files`] is the part shared with
//! `simpark merge`: the files a finished run's replications give. Never prints and never
//! reads a clock: the caller passes one for `perf.json` (only `cli/` reads the wall clock).
//! A panic inside is a violated invariant and is left to the caller to catch.

use crate::check::run::Replications;
use crate::model::failure::ScriptedFault;
use crate::report::outdir::{self, OutDir, OutDirError};
use crate::report::{self, OutputError, summary};
use crate::scenario::{self, FaultKind, Mode, Model, ScenarioError};
use crate::sim::avail::AvailWorld;
use crate::sim::request::World;
use crate::study::precision::{self, Precision};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What can stop a run from writing its results directory.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The output directory cannot take the results: nothing was simulated or written.
    #[error(transparent)]
    Prepare(OutDirError),
    /// Writing or publishing the results directory failed: nothing was published.
    #[error(transparent)]
    Write(OutDirError),
    /// The request-level latency sample of an availability run does not validate: nothing
    /// was written.
    #[error("the request-level latency sample of `{name}` is invalid: {key}: {message}")]
    LatencySample {
        /// The scenario's name.
        name: String,
        /// The key of the sample's scenario that does not validate.
        key: String,
        /// Why.
        message: String,
    },
    /// Replication 0's fault log does not validate as a scenario (a simpark bug): the
    /// results directory was not published.
    #[error("the run's fault log does not validate as a scenario")]
    Capsule(#[source] ScenarioError),
    /// Writing the replay capsule failed (the results directory is published).
    #[error("writing {}", .path.display())]
    WriteCapsule {
        /// Where the capsule was to go (`--write-faults`).
        path: PathBuf,
        /// The write that failed.
        #[source]
        source: OutputError,
    },
}

/// How to run: threads, an optional stopping rule, progress and the caller's clock.
pub struct RunOptions<'a> {
    /// Threads for the replications (results are the same for any number).
    pub jobs: usize,
    /// Replicate until these confidence-interval targets are met (or their cap).
    pub precision: Option<&'a Precision>,
    /// Called once per finished availability replication (a progress bar).
    pub on_replication: &'a (dyn Fn() + Sync),
    /// Called once the output directory is locked, before anything is simulated (warnings).
    pub on_ready: &'a dyn Fn(),
    /// Time since an arbitrary start: read before and after simulating, for `perf.json`.
    pub clock: &'a dyn Fn() -> Duration,
    /// Availability mode: also write replication 0's failures and repairs here, as a
    /// scenario that replays them as scripted faults in request mode.
    pub write_faults: Option<&'a Path>,
}

/// A finished run: what the caller shows.
#[derive(Debug)]
pub struct Ran {
    /// The model as run: `replications` is the number a `--precision` rule used.
    pub model: Model,
    /// The terminal table of the figures.
    pub table: String,
    /// The files written, in writing order (the manifest not included).
    pub files: Vec<&'static str>,
    /// Events scheduled, over all replications.
    pub events: u64,
    /// Requests measured (request mode) or offered (availability mode), over all replications.
    pub requests: u64,
    /// Wall time of the simulation alone, by the caller's clock.
    pub wall: Duration,
    /// Every `--precision` target was met (true without a rule).
    pub precision_met: bool,
}

/// Run `model` into the results directory `out` (see the module doc): `summary.json`,
/// `timeseries.csv` or `months.csv`, `days.csv` and `latency.json`, `scenario.resolved.toml`,
/// `topology.dot`, `perf.json` and the manifest.
pub fn run(model: &Model, out: &Path, opts: &RunOptions<'_>) -> Result<Ran, RunError> {
    // The output is checked and locked before anything is simulated.
    let mut dir = OutDir::prepare(out).map_err(RunError::Prepare)?;
    (opts.on_ready)();
    let started = (opts.clock)();
    let reps = simulate(model, opts);
    let wall = (opts.clock)().saturating_sub(started);
    let precision_met = opts.precision.is_none_or(|p| p.met(model.mode, &figures(model, &reps)));
    let model = with_replications(model, reps.len());
    let Results {
        mut files,
        table,
        requests,
    } = result_files(&model, &reps, opts.jobs)?;
    let events = match &reps {
        Replications::Requests(r) => r.iter().map(|r| r.events).sum(),
        Replications::Availability(r) => r.iter().map(|r| r.events).sum(),
    };
    let capsule = match (&reps, opts.write_faults) {
        (Replications::Availability(r), Some(path)) => Some((path, capsule_text(&model, &r[0].fault_log, path)?)),
        _ => None,
    };
    let perf = serde_json::json!({
        "wall_s": wall.as_secs_f64(),
        "jobs": opts.jobs,
        "events_total": events,
        "events_per_s": events as f64 / wall.as_secs_f64(),
        "requests_measured_total": requests,
        "requests_per_s": requests as f64 / wall.as_secs_f64(),
    });
    let resolved = scenario::to_toml_with_sources(&model);
    let run_id = outdir::run_id(&model.spec.name, &resolved, model.seed);
    files.push(("scenario.resolved.toml", resolved.into_bytes()));
    files.push(("topology.dot", model.topology.to_dot().into_bytes()));
    files.push(("perf.json", report::to_json(&perf).into_bytes()));
    for (name, body) in &files {
        dir.write(name, body).map_err(RunError::Write)?;
    }
    dir.publish(&run_id).map_err(RunError::Write)?;
    if let Some((path, text)) = capsule {
        report::write_atomic(path, text.as_bytes()).map_err(|source| RunError::WriteCapsule {
            path: path.to_path_buf(),
            source,
        })?;
    }
    Ok(Ran {
        model,
        table,
        files: files.iter().map(|(n, _)| *n).collect(),
        events,
        requests,
        wall,
        precision_met,
    })
}

/// What a finished run's replications give.
#[derive(Debug)]
pub struct Results {
    /// (file name, bytes) in writing order.
    pub files: Vec<(&'static str, Vec<u8>)>,
    /// The terminal table of the figures.
    pub table: String,
    /// Requests measured (request mode) or offered (availability mode), over all replications.
    pub requests: u64,
}

/// The files a finished run's replications give, and its terminal table: `summary.json`
/// and `timeseries.csv` in request mode; `summary.json`, `months.csv`, `days.csv` and `latency.json`
/// (a request-level sample run on `jobs` threads) in availability mode. `model` carries the
/// replications' number. `simpark run` and `simpark merge` write exactly these bytes.
pub fn result_files(model: &Model, reps: &Replications, jobs: usize) -> Result<Results, RunError> {
    assert_eq!(
        reps.len(),
        model.replications as usize,
        "the model counts the replications it summarises"
    );
    Ok(match reps {
        Replications::Requests(r) => {
            let s = summary::summarise(model, r);
            Results {
                files: vec![
                    ("summary.json", report::to_json(&s).into_bytes()),
                    ("timeseries.csv", summary::timeseries_csv(r).into_bytes()),
                ],
                table: table_with_detection(model, &s),
                requests: r.iter().map(|r| r.arrivals).sum(),
            }
        }
        Replications::Availability(r) => {
            let s = summary::summarise_availability(model, r);
            // Response times in normal operation, which the long-horizon mode cannot give.
            let sample = latency_sample(model, jobs)?;
            Results {
                files: vec![
                    ("summary.json", report::to_json(&s).into_bytes()),
                    ("months.csv", summary::months_csv(model, r).into_bytes()),
                    ("days.csv", summary::days_csv(r).into_bytes()),
                    ("latency.json", report::to_json(&sample).into_bytes()),
                ],
                table: summary::avail_table(&s),
                requests: s.metrics.requests_total,
            }
        }
    })
}

/// The latency sample of an availability run, summarised (`latency.json`, the
/// `summary.json` layout): the same park as `model` in request mode with every server up (no
/// scripted faults, no expectations), over a short horizon: the response times an
/// availability run cannot give.
fn latency_sample(model: &Model, jobs: usize) -> Result<summary::Summary, RunError> {
    let m = scenario::validate(scenario::latency_sample_spec(&model.spec)).map_err(|(key, message)| {
        RunError::LatencySample {
            name: model.spec.name.clone(),
            key,
            message,
        }
    })?;
    let reps = crate::sim::run_replications(&m, jobs, &|| {});
    Ok(summary::summarise(&m, &reps))
}

/// Every replication of `model` in its mode, to the precision rule when there is one.
fn simulate(model: &Model, opts: &RunOptions<'_>) -> Replications {
    let jobs = opts.jobs;
    match (model.mode, opts.precision) {
        (Mode::Availability, None) => {
            Replications::Availability(crate::sim::avail::run_replications(model, jobs, opts.on_replication))
        }
        (Mode::Availability, Some(p)) => Replications::Availability(precision::replicate(
            p,
            model.mode,
            model.replications,
            &mut |a, b| {
                crate::sim::run_indexed(b - a, jobs, opts.on_replication, |i| {
                    AvailWorld::new(model, a + i).run()
                })
            },
            &crate::study::avail_figures,
        )),
        (Mode::Requests, None) => Replications::Requests(crate::sim::run_replications(model, jobs, &|| {})),
        (Mode::Requests, Some(p)) => Replications::Requests(precision::replicate(
            p,
            model.mode,
            model.replications,
            &mut |a, b| crate::sim::run_indexed(b - a, jobs, &|| {}, |i| World::new(model, a + i).run()),
            &|r| crate::study::request_figures(model, r),
        )),
    }
}

/// The figures a `--precision` rule reads, one list per replication.
fn figures(model: &Model, reps: &Replications) -> Vec<Vec<f64>> {
    match reps {
        Replications::Requests(r) => r.iter().map(|r| crate::study::request_figures(model, r)).collect(),
        Replications::Availability(r) => r.iter().map(crate::study::avail_figures).collect(),
    }
}

/// `model` with `n` replications (what a `--precision` run used), in the resolved scenario
/// too, so it reruns to the same bytes (`simpark merge` of a precision plan writes it too).
pub fn with_replications(model: &Model, n: usize) -> Model {
    let mut m = model.clone();
    m.replications = u32::try_from(n).expect("replications fit u32");
    m.spec.replications = m.replications;
    m
}

/// The run table, with the detection time as `detect_ms_max` measures it over the scripted
/// failures lb1 checks (web servers crashing, dying or hanging), when there are any.
fn table_with_detection(model: &Model, s: &summary::Summary) -> String {
    let mut table = summary::table(s);
    let mut checked = model.clone();
    checked.faults.retain(|f| {
        matches!(f.kind, FaultKind::Crash | FaultKind::ProcessDeath | FaultKind::Hang)
            && s.web.iter().any(|w| w.name == model.topology.name(f.node))
    });
    if !checked.faults.is_empty() {
        let d = crate::check::expect::detect_ms_max(&checked, s);
        table.push_str(&if d.is_finite() {
            format!("  detection: {d:.1} ms at most from a scripted failure to lb1 marking it DOWN\n")
        } else {
            "  detection: some scripted failure was never marked DOWN by lb1\n".to_string()
        });
    }
    table
}

/// The replay capsule of replication 0's fault log: a request-mode scenario with its
/// failures and repairs as scripted faults, one replication, the run's seed.
fn capsule_text(model: &Model, fault_log: &[ScriptedFault], path: &Path) -> Result<String, RunError> {
    let capsule = scenario::replay_capsule(model, fault_log).map_err(RunError::Capsule)?;
    let mut spec = capsule.spec.clone();
    spec.replications = 1;
    spec.seed = model.seed;
    Ok(format!(
        "# Replay capsule: replication 0 of `{}` (seed {}) in availability mode, its web-server\n# failures and repairs written out as scripted faults. Run: simpark run {}\n{}",
        model.spec.name,
        model.seed,
        path.display(),
        scenario::to_toml(&spec)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options<'a>(clock: &'a dyn Fn() -> Duration) -> RunOptions<'a> {
        RunOptions {
            jobs: 1,
            precision: None,
            on_replication: &|| {},
            on_ready: &|| {},
            clock,
            write_faults: None,
        }
    }

    /// A run publishes a checked results directory whose files are `result_files`' bytes plus
    /// the resolved scenario, the graph and `perf.json`; a bad output directory refuses before
    /// anything is simulated.
    #[test]
    fn a_run_writes_what_its_replications_give_or_refuses_its_directory() {
        let m = scenario::from_str(
            "name = \"t\"\nreplications = 2\nhorizon = \"5m\"\nwarmup = \"1m\"\n",
            "t.toml",
            &[],
        )
        .unwrap();
        let dir = std::env::temp_dir().join(format!("simpark-run-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let clock = || Duration::from_secs(1);
        let ran = run(&m, &dir.join("out"), &options(&clock)).unwrap();
        assert_eq!(
            ran.files,
            [
                "summary.json",
                "timeseries.csv",
                "scenario.resolved.toml",
                "topology.dot",
                "perf.json"
            ]
        );
        outdir::verify(&dir.join("out")).unwrap();
        let reps = Replications::Requests(crate::sim::run_replications(&m, 1, &|| {}));
        for (name, bytes) in result_files(&m, &reps, 1).unwrap().files {
            assert_eq!(std::fs::read(dir.join("out").join(name)).unwrap(), bytes, "{name}");
        }
        std::fs::write(dir.join("file"), "not a directory").unwrap();
        let refused = run(&m, &dir.join("file"), &options(&clock)).unwrap_err();
        assert!(matches!(refused, RunError::Prepare(_)), "{refused:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
