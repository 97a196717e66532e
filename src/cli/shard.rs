//! Scale out: `simpark run --shard i/N` (or `--units LIST`) runs a block of replications and
//! writes exact partial records; `simpark plan --shards N` shows the split; `simpark merge
//! DIR...` rebuilds the replications in unit order and writes what one `simpark run` writes
//! (`summary.json`, `timeseries.csv` or `months.csv` and `latency.json`,
//! `scenario.resolved.toml`, `topology.dot`; not `perf.json`), byte for byte; likewise a
//! sharded `sweep`, `compare` (figures per unit) or `check` (whole replications per unit;
//! the merge prints verdicts and writes capsules and JUnit as `simpark check` does). Records,
//! plan hash and unit order come from `simpark::study::shard`.
//!
//! The only place that reads the scheduler's variables (`SLURM_ARRAY_TASK_ID`, ...).

use super::{RunArgs, RunFlags, exit, report_scenario_error};
use anyhow::{Context, Result};
use clap::Args;
use simpark::check::run::{self, Replications};
use simpark::report;
use simpark::report::outdir;
use simpark::run::Results;
use simpark::scenario::{self, Mode, Model};
use simpark::sim::avail::AvailWorld;
use simpark::sim::request::World;
use simpark::study::precision::Precision;
use simpark::study::shard::{self, Collected, Replication, Shard, StudyFile, StudyKind};
use simpark::study::{Layout, RunFigures};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The resolved scenario every shard writes beside its records; `simpark merge` rebuilds the
/// model from it, and it is a scenario `simpark run` accepts (to top missing units up).
pub(crate) const PLAN_FILE: &str = "plan.toml";
/// What a `run --precision` shard writes beside `plan.toml`: the targets and the cap, which
/// every directory a merge reads must agree on (`simpark merge` applies the rule).
pub(crate) const PRECISION_FILE: &str = "precision.toml";
/// What a sharded `sweep` or `compare` writes beside its records instead (`StudyFile`).
pub(crate) const STUDY_FILE: &str = "study.toml";

/// `--shard` / `--units` of `sweep` and `compare`: a study's units are its (run,
/// replication) pairs in order (grid points then N-1 twins, or the compared scenarios).
#[derive(Args, Debug, Default)]
pub(crate) struct ShardFlags {
    /// Run one shard of the study's units (run x replication, in order): `i/N`, `auto`,
    /// `auto/N` or `none` as for `run --shard` (inside a Slurm array job `auto` is the
    /// default). Writes study.toml and records for `simpark merge` into --out (default
    /// <results directory>/parts).
    #[arg(long, value_name = "i/N|auto|auto/N|none", conflicts_with = "units")]
    pub(crate) shard: Option<String>,
    /// Run these units only, e.g. `4-6,9` (what `simpark merge` lists as missing).
    #[arg(long, value_name = "LIST")]
    pub(crate) units: Option<String>,
    /// Print the plan (its hash, which units each of N shards runs) and exit; nothing is run.
    #[arg(long, value_name = "N", conflicts_with_all = ["shard", "units"], value_parser = super::at_least_one::<u32>)]
    pub(crate) shards: Option<u32>,
}

/// `--shard` as given; when absent (and no `--units`), `auto` inside a Slurm array job
/// (`SLURM_ARRAY_TASK_ID` and `SLURM_ARRAY_TASK_COUNT` set), said once on stderr. `none`
/// (or no variable) is a whole run. A Kubernetes or AWS Batch index alone gives no shard
/// count, so it only earns a note naming `--shard auto/N`.
pub(crate) fn shard_spec(flag: Option<&str>, units: bool) -> Option<String> {
    static NOTE: std::sync::Once = std::sync::Once::new();
    match flag {
        Some("none") => None,
        Some(spec) => Some(spec.to_string()),
        None if units => None,
        None => {
            let var = |k: &str| std::env::var(k).ok();
            let slurm = var("SLURM_ARRAY_TASK_ID").is_some() && var("SLURM_ARRAY_TASK_COUNT").is_some();
            let index = shard::INDEX_VARS.iter().find(|v| var(v).is_some());
            NOTE.call_once(|| match (slurm, index) {
                (true, _) => eprintln!(
                    "note: inside a Slurm array job: running this task's shard (--shard auto); --shard none runs everything"
                ),
                (false, Some(v)) => eprintln!(
                    "note: {v} is set but gives no shard count: running everything; --shard auto/N runs this task's shard"
                ),
                (false, None) => {}
            });
            slurm.then(|| "auto".to_string())
        }
    }
}

impl ShardFlags {
    /// `--shard`, or `auto` by default inside a Slurm array job (`shard_spec`).
    pub(crate) fn spec(&self) -> Option<String> {
        shard_spec(self.shard.as_deref(), self.units.is_some())
    }

    /// Whether the study runs sharded (`--shard`, its Slurm default, `--units`) or prints
    /// its plan (`--shards`).
    pub(crate) fn any(&self) -> bool {
        self.spec().is_some() || self.units.is_some() || self.shards.is_some()
    }

    /// The units selected, or `None` for the whole study: `--units` out of all the layout's
    /// units, `--shard` a block of its initial ones (`Layout::initial`).
    pub(crate) fn selected(&self, layout: &Layout) -> Result<Option<Vec<u32>>, shard::ShardError> {
        let total = u32::try_from(layout.units().total()).expect("studies have at most UNITS_MAX units");
        if let Some(list) = &self.units {
            return shard::parse_units(list, total).map(Some);
        }
        let Some(spec) = self.spec() else { return Ok(None) };
        let s = Shard::parse(&spec, &|k| std::env::var(k).ok())?;
        let initial = layout.initial();
        Ok(Some(
            s.units(initial.len() as u32).map(|k| initial[k as usize]).collect(),
        ))
    }
}

/// The working directory, which `study.toml` records (relative scenario paths are read
/// from it again by `simpark merge`).
fn current_dir() -> Result<String> {
    Ok(std::env::current_dir()
        .context("reading the working directory")?
        .display()
        .to_string())
}

/// A sharded `sweep` or `compare`: run `units` of the study (of `layout`, models from
/// `model_of`), write `study.toml` and one part file of records into `out`.
pub(crate) fn run_study_units(
    study: &StudyFile,
    plan: &str,
    layout: &Layout,
    units: &[u32],
    model_of: &(dyn Fn(usize) -> Model + Sync),
    flags: &RunFlags,
    out: &Path,
) -> Result<i32> {
    let bar = flags.progress(units.len() as u64, "units");
    #[allow(clippy::disallowed_methods)] // wall clock for stderr only
    let started = Instant::now();
    let study_units = layout.units();
    let mut text = String::new();
    let ran = simpark::study::run_units(
        study_units,
        &mut units.iter().copied(),
        model_of,
        flags.jobs(),
        &|| bar.inc(1),
        &mut |u, _, figures| {
            text.push_str(&shard::record_line(plan, u, Replication::Figures(&figures)));
            text.push('\n');
        },
    );
    if let Err(crashed) = ran {
        bar.abandon();
        eprintln!(
            "error: an internal invariant was violated in run {} replication {} (a simpark bug; the panic message is above)",
            crashed.run, crashed.replication
        );
        return Ok(exit::INVARIANT);
    }
    bar.finish_and_clear();
    let part = StudyPart {
        study,
        plan,
        units,
        total: study_units.total(),
    };
    write_study_part(&part, &text, flags, out, started)
}

/// A shard's part of a study: the study, its plan hash, the units run out of `total`.
struct StudyPart<'a> {
    study: &'a StudyFile,
    plan: &'a str,
    units: &'a [u32],
    total: u64,
}

/// Write `study.toml` (with the working directory) and the part file (`text`, its record
/// lines) into `out`; unless quiet, say what was written and how fast (since `started`).
fn write_study_part(part: &StudyPart<'_>, text: &str, flags: &RunFlags, out: &Path, started: Instant) -> Result<i32> {
    let StudyPart {
        study,
        plan,
        units,
        total,
    } = *part;
    let file = StudyFile {
        dir: current_dir()?,
        ..study.clone()
    };
    let write = |name: &str, body: &[u8]| {
        report::write_atomic(&out.join(name), body).with_context(|| format!("writing {}", out.display()))
    };
    write(STUDY_FILE, file.to_toml().as_bytes())?;
    write(&shard::part_name(units), text.as_bytes())?;
    if !flags.quiet {
        let wall = started.elapsed().as_secs_f64();
        println!(
            "wrote {}/{} ({} of {} units: {}; plan {plan})",
            out.display(),
            shard::part_name(units),
            units.len(),
            total,
            shard::format_units(units),
        );
        eprintln!("{wall:.2} s wall, {:.2} units/s", units.len() as f64 / wall);
    }
    Ok(exit::OK)
}

#[derive(Args, Debug)]
pub(crate) struct PlanArgs {
    /// Scenario file (TOML); the embedded default when omitted.
    pub(crate) scenario: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) flags: RunFlags,
    /// Number of shards (tasks) to split the replications into.
    #[arg(long, default_value_t = 1, value_parser = super::at_least_one::<u32>)]
    pub(crate) shards: u32,
}

#[derive(Args, Debug)]
pub(crate) struct MergeArgs {
    /// Directories the shards wrote (`--out` of `simpark run --shard`).
    #[arg(required = true)]
    pub(crate) dirs: Vec<PathBuf>,
    /// Output directory (default results/<scenario name>).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// No table; errors still go to stderr.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    /// Worker threads for the request-level latency sample an availability merge writes
    /// (`latency.json`, as `simpark run` does); results are identical for any value.
    #[arg(long, short = 'j', value_parser = super::at_least_one::<usize>)]
    pub(crate) jobs: Option<usize>,
    /// A sharded check only: also write the JUnit XML report here (as `simpark check
    /// --junit`); capsules go to --out (default results/check).
    #[arg(long, value_name = "PATH")]
    pub(crate) junit: Option<PathBuf>,
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The units `--shard` / `--units` select, or `None` for a whole run: `--shard` splits the
/// scenario's replications, `--units` any of `total` (the cap of a `--precision` plan).
pub(crate) fn selected(args: &RunArgs, model: &Model, total: u32) -> Result<Option<Vec<u32>>, shard::ShardError> {
    if let Some(list) = &args.units {
        return shard::parse_units(list, total).map(Some);
    }
    // `--dot` and `--write-faults` ask for a whole run: no Slurm default then.
    let whole = args.dot.is_some() || args.write_faults.is_some();
    let spec = if whole && args.shard.is_none() {
        None
    } else {
        shard_spec(args.shard.as_deref(), false)
    };
    let Some(spec) = spec else { return Ok(None) };
    let s = Shard::parse(&spec, &|k| std::env::var(k).ok())?;
    Ok(Some(s.units(model.replications).collect()))
}

/// The resolved scenario as written (with where each value came from) and the plan hash (of
/// the values alone).
fn plan_of(model: &Model) -> (String, String) {
    let hash = shard::plan_hash(model, &scenario::to_toml(&model.spec));
    (scenario::to_toml_with_sources(model), hash)
}

/// `--precision` and `--max-replications` as `precision.toml` records them.
fn precision_toml(text: &str, max: u32) -> String {
    format!(
        "precision = {}\nmax_replications = {max}\n",
        toml::Value::String(text.to_string())
    )
}

/// `simpark run --shard|--units`: run the selected replications, write `plan.toml` (and
/// `precision.toml` with `--precision`) and one part file of records into `--out` (default
/// results/<name>/parts).
pub(crate) fn run_units(args: &RunArgs, model: &Model, units: &[u32]) -> Result<i32> {
    let flags = &args.flags;
    if args.dot.is_some() || args.write_faults.is_some() {
        eprintln!("error: --shard/--units write records only; run without them for --dot or --write-faults");
        return Ok(exit::USAGE);
    }
    let out = flags
        .out
        .clone()
        .unwrap_or_else(|| super::default_out(model).join("parts"));
    let (resolved, plan) = plan_of(model);
    let bar = flags.progress(units.len() as u64, "units");
    #[allow(clippy::disallowed_methods)] // wall clock for stderr only
    let started = Instant::now();
    let on_done = || bar.inc(1);
    // A panic inside a replication is a violated invariant: report it with a replay line.
    let lines = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        record_lines(model, &plan, units, 0, flags.jobs(), &on_done)
    }));
    let Ok(lines) = lines else {
        return Ok(super::invariant_violated(&bar, &super::replay_command(args, model)));
    };
    bar.finish_and_clear();
    let mut text = String::new();
    for l in lines {
        text.push_str(&l);
        text.push('\n');
    }
    let write = |name: &str, body: &[u8]| {
        report::write_atomic(&out.join(name), body).with_context(|| format!("writing {}", out.display()))
    };
    write(PLAN_FILE, resolved.as_bytes())?;
    if let Some(p) = &args.precision {
        write(PRECISION_FILE, precision_toml(p, args.max_replications).as_bytes())?;
    }
    write(&shard::part_name(units), text.as_bytes())?;
    if !flags.quiet {
        let wall = started.elapsed().as_secs_f64();
        println!(
            "wrote {}/{} ({} of {} units: {}; plan {plan})",
            out.display(),
            shard::part_name(units),
            units.len(),
            if args.precision.is_some() {
                args.max_replications
            } else {
                model.replications
            },
            shard::format_units(units),
        );
        eprintln!("{wall:.2} s wall, {:.2} units/s", units.len() as f64 / wall);
    }
    Ok(exit::OK)
}

/// Run the replications `units[k] - first` of `model` on `jobs` threads and return their
/// record lines (unit `units[k]`), in order. A violated invariant panics.
fn record_lines(
    model: &Model,
    plan: &str,
    units: &[u32],
    first: u32,
    jobs: usize,
    on_done: &(dyn Fn() + Sync),
) -> Vec<String> {
    let n = units.len() as u32;
    let line = |k: usize, rep: Replication| shard::record_line(plan, units[k], rep);
    let rep = |k: u32| units[k as usize] - first;
    if model.mode == Mode::Availability {
        simpark::sim::run_indexed(n, jobs, on_done, |k| AvailWorld::new(model, rep(k)).run())
            .iter()
            .enumerate()
            .map(|(k, r)| line(k, Replication::Availability(r)))
            .collect()
    } else {
        simpark::sim::run_indexed(n, jobs, on_done, |k| World::new(model, rep(k)).run())
            .iter()
            .enumerate()
            .map(|(k, r)| line(k, Replication::Requests(r)))
            .collect()
    }
}

/// The plan hash every record of a sharded check carries.
fn check_hash(study: &StudyFile, models: &[(String, Model)]) -> String {
    let resolved: Vec<String> = models.iter().map(|(_, m)| scenario::to_toml(&m.spec)).collect();
    study.hash(&resolved)
}

/// A sharded `simpark check` (`--shard`, `--units`, `--shards`): its units are (scenario
/// with `[[expect]]` blocks, replication) in file order; a shard writes `study.toml` and one
/// part file of whole replications into --out (default results/check/parts).
pub(super) fn check_units(
    study: &StudyFile,
    models: &[(String, Model)],
    flags: &ShardFlags,
    run: &RunFlags,
) -> Result<i32> {
    let replications: Vec<u32> = models.iter().map(|(_, m)| m.replications).collect();
    let Some(layout) = Layout::new(&replications, &|_| None) else {
        eprintln!(
            "error: {} replications in all; at most {}",
            replications.iter().map(|&r| u64::from(r)).sum::<u64>(),
            simpark::study::UNITS_MAX
        );
        return Ok(exit::USAGE);
    };
    let index = layout.units();
    let plan = check_hash(study, models);
    if let Some(shards) = flags.shards {
        let head = format!(
            "plan {plan}: check of {} scenarios, {} units (scenarios x replications)",
            models.len(),
            index.total()
        );
        print_plan(&head, &layout.initial(), shards);
        return Ok(exit::OK);
    }
    let units = match flags.selected(&layout) {
        Ok(Some(u)) => u,
        Ok(None) => unreachable!("called with --shard or --units"),
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    let out = run.out.clone().unwrap_or_else(|| PathBuf::from("results/check/parts"));
    let bar = run.progress(units.len() as u64, "units");
    #[allow(clippy::disallowed_methods)] // wall clock for stderr only
    let started = Instant::now();
    let text = match check_record_lines(models, index, &units, &plan, run, &bar) {
        Ok(t) => t,
        Err(code) => return Ok(code),
    };
    bar.finish_and_clear();
    let part = StudyPart {
        study,
        plan: &plan,
        units: &units,
        total: index.total(),
    };
    write_study_part(&part, &text, run, &out, started)
}

/// Run the check `units` (consecutive units of a scenario as one block) and return their
/// record lines; the exit code when an invariant was violated (reported with a replay line).
fn check_record_lines(
    models: &[(String, Model)],
    index: &simpark::study::Units,
    units: &[u32],
    plan: &str,
    run: &RunFlags,
    bar: &indicatif::ProgressBar,
) -> Result<String, i32> {
    let on_done = || bar.inc(1);
    let mut text = String::new();
    let mut rest = units;
    while let Some(&u) = rest.first() {
        let (file, _) = index.locate(u);
        let range = index.range(file);
        let (block, tail) = rest.split_at(rest.partition_point(|v| range.contains(v)));
        let (label, model) = &models[file];
        let lines = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            assert!(
                !run.debug_invariant_panic,
                "test hook: --debug-invariant-panic violates an invariant on purpose"
            );
            record_lines(model, plan, block, range.start, run.jobs(), &on_done)
        }));
        let Ok(lines) = lines else {
            return Err(super::invariant_violated(
                bar,
                &super::replay_line(Some(label), run, &[], model),
            ));
        };
        for l in lines {
            text.push_str(&l);
            text.push('\n');
        }
        rest = tail;
    }
    Ok(text)
}

/// `simpark merge` of a sharded check: every scenario's replications rebuilt from the
/// records, then the same verdict lines, capsules (into --out, default results/check),
/// JUnit (--junit) and exit code as one `simpark check`.
fn merge_check(args: &MergeArgs, study: &StudyFile, top_up: &str) -> Result<i32> {
    let models = match super::check::entries(study, args.quiet) {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let replications: Vec<u32> = models.iter().map(|(_, m)| m.replications).collect();
    let index = simpark::study::Units::new(&replications);
    let collected = match collect(&args.dirs, index.total(), &check_hash(study, &models), top_up)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    // Every record is decoded before the first line is printed or file written.
    let mut runs = Vec::with_capacity(models.len());
    for (file, (_, model)) in models.iter().enumerate() {
        let range = index.range(file);
        let reps = if model.mode == Mode::Availability {
            collected.availability_in(range).map(run::Replications::Availability)
        } else {
            collected.replications_in(range).map(run::Replications::Requests)
        };
        match reps {
            Ok(r) => runs.push(r),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(exit::USAGE);
            }
        }
    }
    let capsule_dir = args.out.clone().unwrap_or_else(|| PathBuf::from("results/check"));
    let mut report = super::check::Report::new(&capsule_dir, args.quiet);
    for ((label, model), reps) in models.iter().zip(runs) {
        report.scenario(label, model, run::checked(model, reps))?;
    }
    report.finish(args.junit.as_deref())
}

/// `simpark plan`: the units and which shard runs which.
pub(crate) fn plan(args: &PlanArgs) -> Result<i32> {
    let model = match args.flags.load(args.scenario.as_deref(), &[]) {
        Ok(m) => m,
        Err(e) => return Ok(report_scenario_error(&e)),
    };
    let (_, hash) = plan_of(&model);
    print_plan(
        &format!(
            "plan {hash}: scenario `{}`, {} units (one replication each)",
            model.spec.name, model.replications
        ),
        &(0..model.replications).collect::<Vec<_>>(),
        args.shards,
    );
    Ok(exit::OK)
}

/// The plan's head line, then the units of each of `shards` shards: blocks of `initial`
/// (the units the shards run; a precision rule may ask for more at the merge).
pub(crate) fn print_plan(head: &str, initial: &[u32], shards: u32) {
    println!("{head}, {shards} shards");
    for index in 0..shards {
        let units: Vec<u32> = Shard { index, count: shards }
            .units(initial.len() as u32)
            .map(|k| initial[k as usize])
            .collect();
        let list = if units.is_empty() {
            "none".to_string()
        } else {
            shard::format_units(&units)
        };
        println!("shard {index}/{shards}: units {list} ({})", units.len());
    }
}

/// `simpark merge`: read every shard directory, refuse mixed plans or versions, list missing
/// units, else write the single-run outputs.
pub(crate) fn merge(args: &MergeArgs) -> Result<i32> {
    if args.dirs[0].join(STUDY_FILE).exists() {
        return merge_study(args);
    }
    #[allow(clippy::disallowed_methods)] // wall clock for stderr only
    let started = Instant::now();
    let shards = match read_run_shards(&args.dirs)? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let model = match scenario::from_str(&shards.plan_text, &shards.plan_path.display().to_string(), &[]) {
        Ok(m) => m,
        Err(e) => return Ok(report_scenario_error(&e)),
    };
    // The plan as the shards wrote it (its provenance comments name the original inputs).
    let (_, hash) = plan_of(&model);
    let precision = match shards
        .precision_text
        .as_deref()
        .map(|t| read_precision(&shards.precision_path, t, &model))
    {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    let total = precision.as_ref().map_or(model.replications, |(_, p)| p.max);
    let mut collected = Collected::new(total);
    for p in &shards.parts {
        let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        if let Err(e) = collected.add(&p.display().to_string(), &text, &hash) {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    }
    let top_up = |list: &str| {
        let mut cmd = format!("simpark run {}", shards.plan_path.display());
        if let Some((text, p)) = &precision {
            cmd.push_str(&format!(
                " --precision {} --max-replications {}",
                super::shell_quote(text),
                p.max
            ));
        }
        format!("{cmd} --units {list} --out {}", args.dirs[0].display())
    };
    let n = match replications_to_merge(&model, &collected, precision.as_ref().map(|(_, p)| p), &top_up) {
        Ok(n) => n,
        Err(code) => return Ok(code),
    };
    // A precision plan's resolved scenario records the replications used, as one run's does.
    let (resolved, model) = if precision.is_some() {
        let used = simpark::run::with_replications(&model, n as usize);
        (scenario::to_toml_with_sources(&used), used)
    } else {
        (shards.plan_text.clone(), model)
    };
    write_merged_run(args, &model, &resolved, &collected, n, shards.parts.len(), started)
}

/// What the shard directories of a run hold: the plan they agree on, the precision file of
/// the first (the others agree with it) and every part file.
struct RunShards {
    plan_path: PathBuf,
    plan_text: String,
    precision_path: PathBuf,
    /// `None` without `--precision`.
    precision_text: Option<String>,
    parts: Vec<PathBuf>,
}

/// Read `plan.toml`, `precision.toml` and the part file names of every directory; the exit
/// code (the error printed) when a plan is missing or the directories disagree.
fn read_run_shards(dirs: &[PathBuf]) -> Result<Result<RunShards, i32>> {
    let mut plan: Option<(PathBuf, String)> = None;
    let mut precision: Option<(PathBuf, Option<String>)> = None;
    let mut parts = Vec::new();
    for dir in dirs {
        let path = dir.join(PRECISION_FILE);
        let text = std::fs::read_to_string(&path).ok();
        match &precision {
            Some((first, t)) if *t != text => {
                eprintln!(
                    "error: {} and {}: the directories hold different precision targets ({}); run every shard with the same --precision and --max-replications",
                    first.display(),
                    path.display(),
                    [t, &text]
                        .map(|t| t
                            .as_deref()
                            .map_or("none".to_string(), |t| t.trim().replace('\n', ", ")))
                        .join(" vs ")
                );
                return Ok(Err(exit::USAGE));
            }
            Some(_) => {}
            None => precision = Some((path, text)),
        }
        let path = dir.join(PLAN_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!(
                    "error: {}: {e} (a shard directory holds {PLAN_FILE} and units-*.jsonl)",
                    path.display()
                );
                return Ok(Err(exit::USAGE));
            }
        };
        match &plan {
            Some((first, t)) if *t != text => {
                eprintln!(
                    "error: {} differs from {}: the directories hold different plans",
                    path.display(),
                    first.display()
                );
                return Ok(Err(exit::USAGE));
            }
            Some(_) => {}
            None => plan = Some((path, text)),
        }
        parts.extend(part_files(dir)?);
    }
    let (plan_path, plan_text) = plan.expect("at least one directory");
    let (precision_path, precision_text) = precision.expect("at least one directory");
    Ok(Ok(RunShards {
        plan_path,
        plan_text,
        precision_path,
        precision_text,
        parts,
    }))
}

/// The replications to merge: the plan's, or as many as the precision rule asks for
/// (`Precision::step` on the figures of 0..n in unit order, as one `run --precision`); or
/// the exit code, missing units printed with the command (`top_up` of their list) that
/// runs them.
fn replications_to_merge(
    model: &Model,
    collected: &Collected,
    precision: Option<&Precision>,
    top_up: &dyn Fn(&str) -> String,
) -> Result<u32, i32> {
    let missing_in = |units: std::ops::Range<u32>| -> Vec<u32> {
        collected.missing().into_iter().filter(|u| units.contains(u)).collect()
    };
    let mut n = model.replications;
    loop {
        let missing = missing_in(0..n);
        if !missing.is_empty() {
            let list = shard::format_units(&missing);
            eprintln!(
                "error: {} of {n} units missing: {list}\n  run them anywhere, then merge again: {}",
                missing.len(),
                top_up(&list)
            );
            return Err(exit::USAGE);
        }
        let Some(p) = precision else { break };
        let figures = match figures_in(model, collected, n) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {e}");
                return Err(exit::USAGE);
            }
        };
        let Some(m) = p.step(model.mode, &figures) else { break };
        if !missing_in(n..m).is_empty() {
            let list = shard::format_units(&(n..m).collect::<Vec<_>>());
            eprintln!(
                "error: precision not met after {n} replications: run units {n}..{} anywhere, then merge again: {}",
                m - 1,
                top_up(&list)
            );
            return Err(exit::USAGE);
        }
        n = m;
    }
    Ok(n)
}

/// The figures of replications `0..n` in unit order, decoded from their records.
fn figures_in(model: &Model, collected: &Collected, n: u32) -> Result<Vec<Vec<f64>>, shard::MergeError> {
    if model.mode == Mode::Availability {
        collected
            .availability_in(0..n)
            .map(|r| r.iter().map(simpark::study::avail_figures).collect::<Vec<_>>())
    } else {
        collected.replications_in(0..n).map(|r| {
            r.iter()
                .map(|r| simpark::study::request_figures(model, r))
                .collect::<Vec<_>>()
        })
    }
}

/// Write what one `simpark run` of `model` writes (`resolved` its scenario) from the first
/// `n` replications of `collected`, into --out; print the table unless quiet.
fn write_merged_run(
    args: &MergeArgs,
    model: &Model,
    resolved: &str,
    collected: &Collected,
    n: u32,
    part_count: usize,
    started: Instant,
) -> Result<i32> {
    let out_path = args.out.clone().unwrap_or_else(|| super::default_out(model));
    let Ok(mut out) = super::prepare_out(&out_path) else {
        return Ok(exit::USAGE);
    };
    // Everything is computed before the first file is written; units beyond n are ignored.
    let reps = if model.mode == Mode::Availability {
        collected.availability_in(0..n).map(Replications::Availability)
    } else {
        collected.replications_in(0..n).map(Replications::Requests)
    };
    let reps = match reps {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    let Results { files, table, .. } =
        simpark::run::result_files(model, &reps, args.jobs.unwrap_or_else(default_jobs))?;
    let mut names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    for (name, body) in &files {
        out.write(name, body)?;
    }
    out.write("scenario.resolved.toml", resolved.as_bytes())?;
    out.write("topology.dot", model.topology.to_dot().as_bytes())?;
    out.publish(&outdir::run_id(&model.spec.name, resolved, model.seed))?;
    names.extend(["scenario.resolved.toml", "topology.dot", outdir::MANIFEST]);
    if !args.quiet {
        print!("{table}");
        println!(
            "\nmerged {} units from {} into {}/ ({})",
            model.replications,
            super::plural(part_count, "part file"),
            out_path.display(),
            names.join(", ")
        );
        eprintln!("{:.2} s wall", started.elapsed().as_secs_f64());
    }
    Ok(exit::OK)
}

/// The targets and cap of `precision.toml` (at `path`), checked against the plan's mode and
/// replications as `run --precision` checks them.
fn read_precision(path: &Path, text: &str, model: &Model) -> Result<(String, Precision), String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        precision: String,
        max_replications: u32,
    }
    let f: File = toml::from_str(text).map_err(|e| format!("{}: {e}", path.display()))?;
    Precision::parse(&f.precision, model.mode, f.max_replications)
        .and_then(|p| p.check_start(model.replications).map(|()| p))
        .map(|p| (f.precision, p))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The part files (`units-*.jsonl`) of a shard directory, sorted.
fn part_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("units-") && n.ends_with(".jsonl"))
        })
        .collect();
    names.sort();
    Ok(names)
}

/// Read every record of the directories into one list of `total` units checked against
/// `plan`; the records, or the exit code (errors and missing units printed, `top_up` being
/// the command that runs missing units without `--units`).
fn collect(dirs: &[PathBuf], total: u64, plan: &str, top_up: &str) -> Result<Result<Collected, i32>> {
    let collected = match collect_records(dirs, total, plan)? {
        Ok(c) => c,
        Err(code) => return Ok(Err(code)),
    };
    let missing = collected.missing();
    if !missing.is_empty() {
        print_missing(
            &format!("{} of {total} units missing", missing.len()),
            &missing,
            dirs,
            top_up,
        );
        return Ok(Err(exit::USAGE));
    }
    Ok(Ok(collected))
}

/// `what`, the `missing` units and the command (`top_up` with `--units` and `--out`) that
/// runs them, as an error.
fn print_missing(what: &str, missing: &[u32], dirs: &[PathBuf], top_up: &str) {
    let list = shard::format_units(missing);
    eprintln!(
        "error: {what}: {list}\n  run them anywhere, then merge again: {top_up} --units {list} --out {}",
        dirs[0].display()
    );
}

/// Read every record of the directories into one list of `total` units checked against
/// `plan` (units may be missing); or the exit code, the error printed.
fn collect_records(dirs: &[PathBuf], total: u64, plan: &str) -> Result<Result<Collected, i32>> {
    let mut collected = Collected::new(u32::try_from(total).expect("studies have at most UNITS_MAX units"));
    for dir in dirs {
        for p in part_files(dir)? {
            let text = std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
            if let Err(e) = collected.add(&p.display().to_string(), &text, plan) {
                eprintln!("error: {e}");
                return Ok(Err(exit::USAGE));
            }
        }
    }
    Ok(Ok(collected))
}

/// A sharded study's runs as its merge sees them: their units, each run's (mode, offered
/// load) and the targets of a run by precision.
struct StudyRuns<'a> {
    layout: &'a Layout,
    meta: &'a dyn Fn(usize) -> (Mode, f64),
    precision: &'a dyn Fn(usize) -> Option<&'a Precision>,
}

/// Every run's figures and the replications each used.
type Folded = (Vec<RunFigures>, Vec<u32>);

/// The records of `args.dirs` folded run by run with the same code as one process, and the
/// replications each run used (by precision, as many as the rule asks for); or the exit code,
/// the units still needed printed with the command (`top_up`) that runs them.
fn merged_figures(args: &MergeArgs, runs: &StudyRuns<'_>, plan: &str, top_up: &str) -> Result<Result<Folded, i32>> {
    let total = runs.layout.units().total();
    let collected = match collect_records(&args.dirs, total, plan)? {
        Ok(c) => c,
        Err(code) => return Ok(Err(code)),
    };
    let figures = match collected.figures() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Err(exit::USAGE));
        }
    };
    let mode = |r: usize| (runs.meta)(r).0;
    if let Some(u) = runs.layout.misfit(&mode, &figures) {
        eprintln!("error: unit {u}: its figures do not fit its run (a record of another simpark build?)");
        return Ok(Err(exit::USAGE));
    }
    match runs.layout.used(&mode, runs.precision, &figures) {
        Ok(used) => Ok(Ok((runs.layout.fold(&used, runs.meta, &figures), used))),
        Err(missing) => {
            let initial = runs.layout.initial();
            let planned = missing.iter().filter(|u| initial.binary_search(u).is_ok()).count();
            let more = missing.len() - planned;
            let what = match (planned, more) {
                (_, 0) => format!("{planned} of {} units missing", initial.len()),
                (0, _) => format!("precision targets not met yet: {more} more units needed"),
                _ => format!(
                    "{planned} of {} units missing, and {more} more for the precision targets",
                    initial.len()
                ),
            };
            print_missing(&what, &missing, &args.dirs, top_up);
            Ok(Err(exit::USAGE))
        }
    }
}

/// `simpark merge` of a sharded `sweep` or `compare`: rebuild the study from `study.toml`,
/// fold the records with the same code as one process and write the same files (not
/// `perf.json`).
fn merge_study(args: &MergeArgs) -> Result<i32> {
    #[allow(clippy::disallowed_methods)] // wall clock for stderr only
    let started = Instant::now();
    let path = args.dirs[0].join(STUDY_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let study: StudyFile = match toml::from_str(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}: not a simpark study file: {e}", path.display());
            return Ok(exit::USAGE);
        }
    };
    let top_up = study_top_up(&study);
    let merged = match study.command {
        StudyKind::Check => return merge_check(args, &study, &top_up),
        StudyKind::Sweep => merged_sweep(args, &study, &top_up)?,
        StudyKind::Compare => merged_compare(args, &study, &top_up)?,
    };
    match merged {
        Ok(m) => write_merged_study(args, &study, &m, started),
        Err(code) => Ok(code),
    }
}

/// The command that runs a study's missing units: the study's own, from its directory
/// (`--units LIST --out DIR` to be appended).
fn study_top_up(study: &StudyFile) -> String {
    let mut top_up = format!(
        "cd {} && simpark {}",
        super::shell_quote(&study.dir),
        study.command.name()
    );
    for p in &study.scenarios {
        top_up.push_str(&format!(" {}", super::shell_quote(p)));
    }
    for v in &study.vary {
        top_up.push_str(&format!(" --vary {}", super::shell_quote(v)));
    }
    for s in &study.sets {
        top_up.push_str(&format!(" --set {}", super::shell_quote(s)));
    }
    if let Some(p) = &study.peak {
        top_up.push_str(&format!(" --peak {}", super::shell_quote(p)));
    }
    if let Some(p) = &study.precision {
        top_up.push_str(&format!(" --precision {}", super::shell_quote(p)));
    }
    if let Some(m) = study.max_replications {
        top_up.push_str(&format!(" --max-replications {m}"));
    }
    top_up
}

/// What a merged sweep or comparison writes: its files, where by default, the results
/// directory's run id, and the text it prints.
struct MergedStudy {
    files: Vec<(String, String)>,
    default_out: PathBuf,
    id: String,
    text: String,
}

/// A sharded sweep's outputs, rebuilt from the records of `args.dirs`; or the exit code.
fn merged_sweep(args: &MergeArgs, study: &StudyFile, top_up: &str) -> Result<Result<MergedStudy, i32>> {
    let base = match study.load(0, &[]) {
        Ok(m) => m,
        Err(e) => return Ok(Err(report_scenario_error(&e))),
    };
    let plan = match super::sweep::plan_of(study, base) {
        Ok(p) => p,
        Err(code) => return Ok(Err(code)),
    };
    let precision = match super::StudyPrecision::of(study).parse(plan.base.mode, plan.base.replications) {
        Ok(p) => p,
        Err(code) => return Ok(Err(code)),
    };
    let Some(layout) = super::sweep::layout(&plan, precision.as_ref()) else {
        eprintln!("error: the study's units exceed {}", simpark::study::UNITS_MAX);
        return Ok(Err(exit::USAGE));
    };
    let hash = study.hash(&[scenario::to_toml(&plan.base.spec)]);
    let runs = StudyRuns {
        layout: &layout,
        meta: &|r| (plan.runs[r].mode, plan.runs[r].offered_rps),
        precision: &|_| precision.as_ref(),
    };
    let (figures, used) = match merged_figures(args, &runs, &hash, top_up)? {
        Ok(f) => f,
        Err(code) => return Ok(Err(code)),
    };
    let mut report = plan.report(figures);
    if precision.is_some() {
        for (p, n) in report.points.iter_mut().zip(used) {
            p.replications = Some(n);
        }
    }
    Ok(Ok(MergedStudy {
        files: super::sweep::outputs(&report)?,
        default_out: Path::new("results").join(format!("sweep-{}", plan.base.spec.name)),
        id: super::sweep::run_id(study, &plan),
        text: report.answer_text(),
    }))
}

/// A sharded comparison's outputs, rebuilt from the records of `args.dirs`; or the exit code.
fn merged_compare(args: &MergeArgs, study: &StudyFile, top_up: &str) -> Result<Result<MergedStudy, i32>> {
    let entries = match super::compare::entries(study) {
        Ok(e) => e,
        Err(code) => return Ok(Err(code)),
    };
    let (peaks, precision) = match super::compare::peaks_and_precision(study, &entries) {
        Ok(p) => p,
        Err(code) => return Ok(Err(code)),
    };
    let compared = super::compare::Study {
        file: study,
        entries: &entries,
        peaks: &peaks,
        precision: &precision,
    };
    let Some(layout) = compared.layout() else {
        eprintln!("error: the study's units exceed {}", simpark::study::UNITS_MAX);
        return Ok(Err(exit::USAGE));
    };
    let runs = StudyRuns {
        layout: &layout,
        meta: &|r| compared.meta(r),
        precision: &|r| precision.get(r),
    };
    let hash = super::compare::hash(study, &entries);
    let (figures, used) = match merged_figures(args, &runs, &hash, top_up)? {
        Ok(f) => f,
        Err(code) => return Ok(Err(code)),
    };
    let cmp = compared.comparison(figures, &used);
    Ok(Ok(MergedStudy {
        files: super::compare::outputs(&cmp)?,
        default_out: Path::new("results").join("compare"),
        id: super::compare::run_id(&entries, &peaks),
        text: cmp.table(),
    }))
}

/// Write a merged study's files into --out (default its own) and publish them; unless quiet,
/// print its text and what was written.
fn write_merged_study(args: &MergeArgs, study: &StudyFile, merged: &MergedStudy, started: Instant) -> Result<i32> {
    let MergedStudy {
        files,
        default_out,
        id,
        text,
    } = merged;
    let out_path = args.out.clone().unwrap_or_else(|| default_out.clone());
    let Ok(mut out) = super::prepare_out(&out_path) else {
        return Ok(exit::USAGE);
    };
    for (name, body) in files {
        out.write(name, body.as_bytes())?;
    }
    out.publish(id)?;
    if !args.quiet {
        print!("{text}");
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        println!(
            "\nmerged the {} into {}/ ({}, {})",
            study.command.name(),
            out_path.display(),
            names.join(", "),
            outdir::MANIFEST
        );
        eprintln!("{:.2} s wall", started.elapsed().as_secs_f64());
    }
    Ok(exit::OK)
}
