//! `simpark compare`: load every scenario with the same run flags (all before any runs), run
//! them with a progress bar, print them side by side, write `compare.json` and bar charts.
//!
//! Without scenarios, compares the three embedded baselines (single server, standby pair,
//! the park). Wall clock for stderr only; every figure comes from `simpark::study`.

use super::RunFlags;
use super::exit;
use super::report_scenario_error;
use anyhow::Result;
use clap::Args;
use simpark::report::outdir;
use simpark::scenario::{self, Model};
use simpark::study::compare::{self, Comparison};
use simpark::study::precision::Precision;
use simpark::study::shard::{StudyFile, StudyKind};
use simpark::study::{Layout, RunFigures};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub(crate) struct CompareArgs {
    /// Scenario files, compared in this order. Default: the brochure's three setups
    /// (scenarios/baseline/single_server.toml, standby_pair.toml, xpos.toml; embedded).
    pub(crate) scenarios: Vec<PathBuf>,
    /// Also run every scenario through a traffic peak at request level, e.g. `10x1h` (a news
    /// spike: 10 times the traffic for an hour, from the busiest hour of the week), and report
    /// requests served and p99 latency during it.
    #[arg(long, value_name = "MULTIPLIERxDURATION")]
    pub(crate) peak: Option<String>,
    #[command(flatten)]
    pub(crate) run: RunFlags,
    #[command(flatten)]
    pub(crate) shard: super::shard::ShardFlags,
    #[command(flatten)]
    pub(crate) precision: super::StudyPrecision,
}

/// `simpark compare`: load and validate every scenario, then print the sharding plan, run a
/// shard, or run the whole comparison and write its results.
pub(crate) fn compare(args: &CompareArgs) -> Result<i32> {
    let study = StudyFile {
        command: StudyKind::Compare,
        // Read from the working directory; `study.toml` records which one.
        dir: String::new(),
        scenarios: args.scenarios.iter().map(|p| p.display().to_string()).collect(),
        sets: args.run.sets(),
        vary: Vec::new(),
        peak: args.peak.clone(),
        precision: args.precision.precision.clone(),
        max_replications: args.precision.cap(),
    };
    // Validate everything first: a typo in the last file must not cost the others' run time.
    let entries = match entries(&study) {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    for (_, m) in &entries {
        args.run.refuse_in_request_mode(m, false)?;
    }
    let (peaks, precision) = match peaks_and_precision(&study, &entries) {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let units: u64 = entries
        .iter()
        .map(|(_, m)| m)
        .chain(&peaks)
        .map(|m| u64::from(m.replications))
        .sum();
    if units > simpark::study::UNITS_MAX {
        eprintln!(
            "error: {units} replications in all; at most {}",
            simpark::study::UNITS_MAX
        );
        return Ok(exit::USAGE);
    }
    let default_out = Path::new("results").join("compare");
    let study = Study {
        file: &study,
        entries: &entries,
        peaks: &peaks,
        precision: &precision,
    };
    if let Some(code) = sharded(args, &study, &default_out)? {
        return Ok(code);
    }
    let out = args.run.out.clone().unwrap_or(default_out);
    // Checked and locked before anything is simulated; published as a unit at the end.
    let Ok(mut outdir) = super::prepare_out(&out) else {
        return Ok(exit::USAGE);
    };
    let jobs = args.run.jobs();
    let (cmp, wall) = match run_comparison(args, &entries, &peaks, &precision, units, jobs) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let files = outputs(&cmp)?;
    for (name, body) in &files {
        outdir.write(name, body.as_bytes())?;
    }
    outdir.publish(&run_id(&entries, &peaks))?;
    if !args.run.quiet {
        print!("{}", cmp.table());
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        println!("\nwrote {}/ ({})", out.display(), names.join(", "));
        eprintln!("{:.2} s wall, {} jobs", wall.as_secs_f64(), jobs);
    }
    Ok(exit::OK)
}

/// A comparison's runs: the compared scenarios, their peak runs (one per scenario, or
/// none) and their `--precision` targets (one per scenario, or none).
pub(crate) struct Study<'a> {
    pub(crate) file: &'a StudyFile,
    pub(crate) entries: &'a [(String, Model)],
    pub(crate) peaks: &'a [Model],
    pub(crate) precision: &'a [Precision],
}

impl Study<'_> {
    /// The runs in unit order: the scenarios, then their peak runs.
    fn model(&self, run: usize) -> &Model {
        match self.entries.get(run) {
            Some((_, m)) => m,
            None => &self.peaks[run - self.entries.len()],
        }
    }

    /// The units of a sharded comparison (a scenario by precision has its cap's); `None`
    /// beyond `UNITS_MAX`.
    pub(crate) fn layout(&self) -> Option<Layout> {
        let start: Vec<u32> = (0..self.entries.len() + self.peaks.len())
            .map(|r| self.model(r).replications)
            .collect();
        Layout::new(&start, &|r| self.precision.get(r).map(|p| p.max))
    }

    /// Run `run`'s (mode, offered load).
    pub(crate) fn meta(&self, run: usize) -> (scenario::Mode, f64) {
        let m = self.model(run);
        (m.mode, m.mean_rate_per_s())
    }

    /// The comparison from every run's figures (in unit order) and the replications each
    /// used: what a whole compare and `simpark merge` both build.
    pub(crate) fn comparison(&self, mut figures: Vec<RunFigures>, used: &[u32]) -> Comparison {
        let peak_figures = figures.split_off(self.entries.len());
        let cmp = compare::side_by_side(self.entries, figures, peak_figures);
        if self.precision.is_empty() {
            cmp
        } else {
            cmp.with_replications(used)
        }
    }
}

/// The study's `--peak` models (every scenario's request-level model through the peak; none
/// without it) and `--precision` targets (each parsed for its scenario's mode; none without
/// it); or the exit code of a bad `--peak`, model or target.
pub(crate) fn peaks_and_precision(
    study: &StudyFile,
    entries: &[(String, Model)],
) -> Result<(Vec<Model>, Vec<Precision>), i32> {
    let mut peaks = Vec::new();
    if let Some(text) = &study.peak {
        let peak = match compare::Peak::parse(text) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: --peak {e}");
                return Err(exit::USAGE);
            }
        };
        for (_, m) in entries {
            match compare::peak_model(m, &peak) {
                Ok(p) => peaks.push(p),
                Err(e) => return Err(report_scenario_error(&e)),
            }
        }
    }
    let targets = super::StudyPrecision::of(study);
    let mut precision = Vec::new();
    for (_, m) in entries {
        if let Some(p) = targets.parse(m.mode, m.replications)? {
            precision.push(p);
        }
    }
    Ok((peaks, precision))
}

/// `--shards` (print the plan) or `--shard` / `--units` (run them into --out, default
/// `<default_out>/parts`): the exit code; `None` for an unsharded comparison.
fn sharded(args: &CompareArgs, study: &Study<'_>, default_out: &Path) -> Result<Option<i32>> {
    if !args.shard.any() {
        return Ok(None);
    }
    let Some(layout) = study.layout() else {
        eprintln!(
            "error: --precision: {} scenarios x --max-replications {} units; at most {} (fewer scenarios or a lower --max-replications)",
            study.entries.len(),
            args.precision.max_replications,
            simpark::study::UNITS_MAX
        );
        return Ok(Some(exit::USAGE));
    };
    let plan = hash(study.file, study.entries);
    if let Some(shards) = args.shard.shards {
        let initial = layout.initial();
        let head = format!(
            "plan {plan}: comparison of {} scenarios{}, {} units (scenarios{} x replications{})",
            study.entries.len(),
            if study.peaks.is_empty() { "" } else { " and their peaks" },
            initial.len(),
            if study.peaks.is_empty() { "" } else { " and peaks" },
            if study.precision.is_empty() {
                ""
            } else {
                "; the merge asks for more by precision"
            },
        );
        super::shard::print_plan(&head, &initial, shards);
        return Ok(Some(exit::OK));
    }
    match args.shard.selected(&layout) {
        Ok(Some(selected)) => {
            let out = args.run.out.clone().unwrap_or_else(|| default_out.join("parts"));
            super::shard::run_study_units(
                study.file,
                &plan,
                &layout,
                &selected,
                &|run| study.model(run).clone(),
                &args.run,
                &out,
            )
            .map(Some)
        }
        Ok(None) => Ok(None),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(Some(exit::USAGE))
        }
    }
}

/// Run the comparison (by `precision` when given, one per scenario) on `jobs` threads with a
/// progress bar over `units`: the comparison and the wall time, or the exit code of a
/// violated invariant (reported with a replay line).
fn run_comparison(
    args: &CompareArgs,
    entries: &[(String, Model)],
    peaks: &[Model],
    precision: &[Precision],
    units: u64,
    jobs: usize,
) -> Result<(Comparison, Duration), i32> {
    let bar = args.run.progress(units, "scenarios x replications");
    #[allow(clippy::disallowed_methods)] // wall clock for stderr only
    let started = Instant::now();
    let ran = if precision.is_empty() {
        compare::compare(entries, peaks, jobs, &|| bar.inc(1))
    } else {
        bar.set_length(precision.iter().map(|p| u64::from(p.max)).sum());
        compare::compare_precise(entries, peaks, precision, jobs, &|| bar.inc(1))
    };
    let cmp = match ran {
        Ok(c) => c,
        Err(crashed) => {
            bar.abandon();
            let (file, m) = &entries[crashed.run];
            eprintln!("error: an internal invariant was violated (a simpark bug; the panic message is above)");
            eprintln!(
                "replay: {}   # replication {} failed",
                super::replay_line(Some(file), &args.run, &[], m),
                crashed.replication
            );
            return Err(exit::INVARIANT);
        }
    };
    bar.finish_and_clear();
    Ok((cmp, started.elapsed()))
}

/// The compared scenarios of a study file: (label, model), all loaded before any runs
/// (errors printed; the exit code returned).
pub(crate) fn entries(study: &StudyFile) -> Result<Vec<(String, Model)>, i32> {
    (0..study.scenario_count())
        .map(|i| match study.load(i, &[]) {
            Ok(m) => Ok((study.label(i), m)),
            Err(e) => Err(report_scenario_error(&e)),
        })
        .collect()
}

/// The plan hash every record of a sharded comparison carries.
pub(crate) fn hash(study: &StudyFile, entries: &[(String, Model)]) -> String {
    let resolved: Vec<String> = entries.iter().map(|(_, m)| scenario::to_toml(&m.spec)).collect();
    study.hash(&resolved)
}

/// The files a comparison writes: `compare.json` and the charts.
pub(crate) fn outputs(cmp: &Comparison) -> Result<Vec<(String, String)>> {
    let mut files = vec![("compare.json".to_string(), cmp.json())];
    files.extend(cmp.plots()?);
    Ok(files)
}

/// The results directory's run id.
pub(crate) fn run_id(entries: &[(String, Model)], peaks: &[Model]) -> String {
    let ids: String = entries
        .iter()
        .map(|(_, m)| m)
        .chain(peaks)
        .map(|m| scenario::to_toml(&m.spec))
        .collect();
    let seed = entries.first().map_or(0, |(_, m)| m.seed);
    outdir::run_id("compare", &ids, seed)
}
