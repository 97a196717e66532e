//! `simpark sweep`: parse `--vary`, plan (validate every value and point), run with a
//! progress bar, print the planner's answer, write `sweep.json`, `sweep.csv` (streamed into
//! the staging directory as runs finish) and charts.
//!
//! Like the rest of `cli/`, it may read the wall clock (stderr and `perf.json` only) and print; every figure
//! comes from `simpark::study`. Nothing is written unless everything validated and ran.

use super::{RunFlags, exit, report_scenario_error};
use anyhow::Result;
use clap::Args;
use simpark::report::{
    self,
    outdir::{self, OutDir},
};
use simpark::scenario::{Model, ScenarioError};
use simpark::study::Layout;
use simpark::study::precision::Precision;
use simpark::study::shard::{StudyFile, StudyKind};
use simpark::study::sweep::{Plan, SweepReport, csv_header, csv_row};
use simpark::study::vary::Vary;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub(crate) struct SweepArgs {
    /// Scenario file (TOML); the embedded default when omitted.
    pub(crate) scenario: Option<PathBuf>,
    /// KEY=RANGE: A..B (integers), A..B:lin:N, A..B:log:N or a,b,c; suffixes k, M, G.
    /// Repeat for a grid, e.g. --vary traffic.visitors_per_month=100k..5M:log:12 --vary web.count=1..6
    #[arg(long, value_name = "KEY=RANGE", required = true)]
    pub(crate) vary: Vec<String>,
    /// SLO: p99 latency [ms] at most (overrides the scenario's [slo]).
    #[arg(long, value_name = "MS")]
    pub(crate) slo_p99_ms: Option<f64>,
    /// SLO: availability at least, as a ratio (0.999) or a percentage (99.9, 99.9%)
    /// (overrides the scenario's [slo]).
    #[arg(long, value_name = "RATIO|PERCENT", value_parser = simpark::units::availability_ratio)]
    pub(crate) slo_availability: Option<f64>,
    #[command(flatten)]
    pub(crate) run: RunFlags,
    #[command(flatten)]
    pub(crate) shard: super::shard::ShardFlags,
    #[command(flatten)]
    pub(crate) precision: super::StudyPrecision,
}

fn usage(message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {message}");
    exit::USAGE
}

/// How a sweep loads a run's model: the scenario with these `--set` overrides on top.
type Load<'a> = dyn Fn(&[String]) -> Result<Model, ScenarioError> + Sync + 'a;

/// `simpark sweep`: plan, then print the sharding plan, run a shard, or run the whole sweep
/// and write its results.
pub(crate) fn sweep(args: &SweepArgs) -> Result<i32> {
    let study = match study_file(args) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let base = match study.load(0, &[]) {
        Ok(m) => m,
        Err(e) => return Ok(report_scenario_error(&e)),
    };
    args.run.refuse_in_request_mode(&base, false)?;
    let plan = match plan_of(&study, base) {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let load = |extra: &[String]| study.load(0, extra);
    let default_out = Path::new("results").join(format!("sweep-{}", plan.base.spec.name));
    let precision = match args.precision.parse(plan.base.mode, plan.base.replications) {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let sweep = Sweep {
        study: &study,
        plan: &plan,
        load: &load,
        precision: precision.as_ref(),
    };
    if let Some(code) = sharded(args, &sweep, &default_out)? {
        return Ok(code);
    }
    let out = args.run.out.clone().unwrap_or(default_out);
    // Checked and locked before anything is simulated; published as a unit at the end.
    let Ok(mut outdir) = super::prepare_out(&out) else {
        return Ok(exit::USAGE);
    };
    let jobs = args.run.jobs();
    let (report, wall) = match run_streamed(args, &plan, &load, precision.as_ref(), jobs, &mut outdir)? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    // The other files are built whole, then staged; nothing is visible before `publish`.
    let mut files = vec![("sweep.json".to_string(), report.json())];
    files.extend(report.plots()?);
    let perf = serde_json::json!({
        "wall_s": wall.as_secs_f64(),
        "jobs": jobs,
        "runs": plan.runs.len(),
        "replications_total": report.points.iter().map(|p| u64::from(p.replications.unwrap_or(report.replications))).sum::<u64>(),
    });
    files.push(("perf.json".to_string(), report::to_json(&perf)));
    for (name, body) in &files {
        outdir.write(name, body.as_bytes())?;
    }
    outdir.publish(&run_id(&study, &plan))?;
    if !args.run.quiet {
        print_sweep(&plan, &report, &files, &out, wall, jobs);
    }
    Ok(exit::OK)
}

/// The study file of a sweep: the scenario, the `--set` overrides (the SLO flags as
/// `slo.*` overrides) and the `--vary` ranges; or the exit code of a bad SLO flag.
fn study_file(args: &SweepArgs) -> Result<StudyFile, i32> {
    let mut slo_sets = Vec::new();
    if let Some(v) = args.slo_p99_ms {
        if !(v.is_finite() && v > 0.0) {
            return Err(usage(format!(
                "--slo-p99-ms {v}: expected a number of milliseconds > 0"
            )));
        }
        slo_sets.push(format!("slo.latency_ms_p99_max={v:?}"));
    }
    if let Some(v) = args.slo_availability {
        slo_sets.push(format!("slo.availability_min={v:?}"));
    }
    let mut sets = args.run.sets();
    sets.extend(slo_sets);
    Ok(StudyFile {
        command: StudyKind::Sweep,
        // Read from the working directory; `study.toml` records which one.
        dir: String::new(),
        scenarios: args.scenario.iter().map(|p| p.display().to_string()).collect(),
        sets,
        vary: args.vary.clone(),
        peak: None,
        precision: args.precision.precision.clone(),
        max_replications: args.precision.cap(),
    })
}

/// A sweep about to run: its study file, plan, how it loads a run's model and its
/// `--precision` targets.
struct Sweep<'a> {
    study: &'a StudyFile,
    plan: &'a Plan,
    load: &'a Load<'a>,
    precision: Option<&'a Precision>,
}

/// The units of a sharded sweep (every run by precision has its cap's); `None` beyond
/// `UNITS_MAX`.
pub(crate) fn layout(plan: &Plan, precision: Option<&Precision>) -> Option<Layout> {
    Layout::new(&plan.replications(), &|_| precision.map(|p| p.max))
}

/// `--shards` (print the plan) or `--shard` / `--units` (run them into --out, default
/// `<default_out>/parts`): the exit code; `None` for an unsharded sweep.
fn sharded(args: &SweepArgs, sweep: &Sweep<'_>, default_out: &Path) -> Result<Option<i32>> {
    if !args.shard.any() {
        return Ok(None);
    }
    let Sweep {
        study,
        plan,
        load,
        precision,
    } = *sweep;
    let Some(layout) = layout(plan, precision) else {
        return Ok(Some(usage(format!(
            "--precision: {} runs x --max-replications {} units; at most {} (fewer points or a lower --max-replications)",
            plan.runs.len(),
            args.precision.max_replications,
            simpark::study::UNITS_MAX
        ))));
    };
    let hash = study.hash(&[simpark::scenario::to_toml(&plan.base.spec)]);
    if let Some(shards) = args.shard.shards {
        let initial = layout.initial();
        let head = format!(
            "plan {hash}: sweep of `{}`, {} units ({} runs x replications, grid points then N-1 twins{})",
            plan.base.spec.name,
            initial.len(),
            plan.runs.len(),
            if precision.is_some() {
                "; the merge asks for more by precision"
            } else {
                ""
            }
        );
        super::shard::print_plan(&head, &initial, shards);
        return Ok(Some(exit::OK));
    }
    match args.shard.selected(&layout) {
        Ok(Some(units)) => {
            let out = args.run.out.clone().unwrap_or_else(|| default_out.join("parts"));
            super::shard::run_study_units(
                study,
                &hash,
                &layout,
                &units,
                &|run| plan.model(load, run),
                &args.run,
                &out,
            )
            .map(Some)
        }
        Ok(None) => Ok(None),
        Err(e) => Ok(Some(usage(e))),
    }
}

/// Run the sweep (by `precision` if given) on `jobs` threads with a progress bar, streaming `sweep.csv` into
/// the staging directory: the report and the wall time, or the exit code of a violated
/// invariant (reported with a replay line).
fn run_streamed(
    args: &SweepArgs,
    plan: &Plan,
    load: &Load<'_>,
    precision: Option<&Precision>,
    jobs: usize,
    outdir: &mut OutDir,
) -> Result<Result<(SweepReport, Duration), i32>> {
    let bar = args.run.progress(plan.units(), "sweep runs x replications");
    #[allow(clippy::disallowed_methods)] // wall clock for perf.json and stderr only
    let started = Instant::now();
    // sweep.csv is streamed into the staging directory, a row as each run finishes, in run
    // order (by precision, at the end: a run's count is known only then).
    let mode = plan.base.mode;
    let mut csv = outdir.stream("sweep.csv")?;
    csv.write(csv_header(&plan.varies, mode).as_bytes())?;
    let mut csv_error = None;
    let ran = match precision {
        None => plan.run(load, jobs, &|| bar.inc(1), &mut |point| {
            if csv_error.is_none() {
                csv_error = csv.write(csv_row(point, mode).as_bytes()).err();
            }
        }),
        Some(p) => {
            // The total is unknown until the targets are met: the bar counts units run.
            bar.set_length(p.max as u64 * plan.runs.len() as u64);
            plan.run_precise(load, p, jobs, &|| bar.inc(1)).inspect(|report| {
                for point in &report.points {
                    if csv_error.is_none() {
                        csv_error = csv.write(csv_row(point, mode).as_bytes()).err();
                    }
                }
            })
        }
    };
    let report = match ran {
        Ok(r) => r,
        Err(crashed) => {
            bar.abandon();
            let run = &plan.runs[crashed.run];
            eprintln!("error: an internal invariant was violated (a simpark bug; the panic message is above)");
            let model = plan.model(load, crashed.run);
            eprintln!("replay: {}", replay(args, &run.sets, &model, crashed.replication));
            return Ok(Err(exit::INVARIANT));
        }
    };
    bar.finish_and_clear();
    let wall = started.elapsed();
    if let Some(e) = csv_error {
        return Err(e.into());
    }
    outdir.finish(csv)?;
    Ok(Ok((report, wall)))
}

/// The terminal summary: the sweep's size, each point, the answer and what was written.
fn print_sweep(plan: &Plan, report: &SweepReport, files: &[(String, String)], out: &Path, wall: Duration, jobs: usize) {
    println!(
        "scenario {}  seed {}  {}{}  {} x {:.0} s each\nfigures are means across replications ± 95% CI half-width\n",
        report.scenario,
        report.seed,
        super::plural(plan.grid.len(), "point"),
        if plan.runs.len() > plan.grid.len() {
            " (+ N-1 twins)"
        } else {
            ""
        },
        super::plural(report.replications as usize, "replication"),
        report.horizon_s
    );
    print!("{}\n{}", report.points_text(), report.answer_text());
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    println!("\nwrote {}/ (sweep.csv, {})", out.display(), names.join(", "));
    eprintln!(
        "{:.2} s wall, {} jobs, {} runs x replications",
        wall.as_secs_f64(),
        jobs,
        plan.units()
    );
}

/// The sweep a study file describes, every value and point validated (errors printed; the
/// exit code returned). `base` is `study.load(0, &[])`.
pub(crate) fn plan_of(study: &StudyFile, base: Model) -> Result<Plan, i32> {
    let mut varies = Vec::with_capacity(study.vary.len());
    for a in &study.vary {
        match Vary::parse(a, &base.spec) {
            Ok(v) => varies.push(v),
            Err(e) => return Err(usage(e)),
        }
    }
    Plan::new(base, varies, &|extra: &[String]| study.load(0, extra)).map_err(usage)
}

/// The files a sweep writes (`perf.json` aside): `sweep.json`, `sweep.csv` and the charts.
pub(crate) fn outputs(report: &SweepReport) -> Result<Vec<(String, String)>> {
    let mut files = vec![
        ("sweep.json".to_string(), report.json()),
        ("sweep.csv".to_string(), report.csv()),
    ];
    files.extend(report.plots()?);
    Ok(files)
}

/// The results directory's run id.
pub(crate) fn run_id(study: &StudyFile, plan: &Plan) -> String {
    let resolved = simpark::scenario::to_toml(&plan.base.spec);
    let vary: String = study.vary.iter().map(|v| format!("\n# vary {v}")).collect();
    outdir::run_id(
        &format!("sweep-{}", plan.base.spec.name),
        &format!("{resolved}{vary}"),
        plan.base.seed,
    )
}

/// The `simpark run` command that reproduces one run of the sweep.
fn replay(args: &SweepArgs, sets: &[String], model: &Model, replication: u32) -> String {
    let scenario = args.scenario.as_ref().map(|p| p.display().to_string());
    format!(
        "{}   # replication {replication} failed",
        super::replay_line(scenario.as_deref(), &args.run, sets, model)
    )
}
