//! The command line: clap arguments -> a validated plan -> library calls -> exit code.
//!
//! The only place (with `main.rs`) that uses `anyhow`, reads the wall clock (for `perf.json`
//! and progress) or prints. Everything it reports comes from the library.

// `report` is taken by `simpark::report` below.
mod compare;
mod import;
mod pdf;
#[path = "report.rs"]
mod report_cmd;
mod sweep;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use simpark::report;
use simpark::report::outdir;
use simpark::run::RunError;
use simpark::scenario::{self, Model, ScenarioError};
use simpark::study::precision::Precision;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

mod check;
mod shard;
mod shrink;

/// Exit codes, distinct per kind of failure.
pub(crate) mod exit {
    /// Everything ran and every expectation held.
    pub(crate) const OK: i32 = 0;
    /// The run completed but an expectation failed.
    pub(crate) const EXPECTATION_FAILED: i32 = 1;
    /// Bad usage or an invalid scenario: nothing was simulated or written.
    pub(crate) const USAGE: i32 = 2;
    /// An internal invariant was violated during the run (a simpark bug).
    pub(crate) const INVARIANT: i32 = 3;
}

/// Deterministic simulator of a high-availability web-hosting park (load balancer, web
/// servers, storage, backups) running HAProxy 2.6's balancing and health-check logic.
///
/// Without a subcommand, runs the embedded default scenario (the XPOS park).
#[derive(Parser, Debug)]
#[command(name = "simpark", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Simulate a scenario (default: the embedded XPOS park) and write results/<name>/.
    Run(RunArgs),
    /// Check scenario files without simulating; exit 2 on the first invalid one.
    Validate {
        /// Scenario files (TOML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the built-in scenario and the shipped ones under a directory.
    Scenarios {
        /// Where to look for scenario files (default `scenarios`, skipped when absent; a
        /// directory given here must exist).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Run the `[[expect]]` blocks of scenario files (failover regression checks for CI):
    /// one line per expectation, exit 1 if any fails.
    Check {
        /// Scenario files, or directories to search for them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Also write a JUnit XML report here.
        #[arg(long, value_name = "PATH")]
        junit: Option<PathBuf>,
        /// Where to write a replay capsule (`<scenario name>.capsule.toml`) of each failing
        /// scenario (default results/check, or --out).
        #[arg(long, value_name = "DIR")]
        capsule_dir: Option<PathBuf>,
        /// Exit 0 when no scenario has `[[expect]]` blocks (default: exit 2, so a CI job
        /// pointed at the wrong path does not stay green).
        #[arg(long)]
        allow_empty: bool,
        /// Run flags applied to every checked scenario (e.g. --replications 50 for a stricter
        /// nightly run; --out is where capsules go, or a shard's records).
        #[command(flatten)]
        flags: RunFlags,
        #[command(flatten)]
        shard: shard::ShardFlags,
    },
    /// Minimise a failing scenario (e.g. a capsule from `simpark check`): the fewest faults,
    /// the shortest horizon and the lowest traffic that still fail the same expectation.
    Shrink(shrink::ShrinkArgs),
    /// What-if: run a scenario over a grid of key values (--vary KEY=RANGE, repeatable) and
    /// answer the planner's question: the most traffic within the SLO, all up and N-1, and
    /// the latency knee. Writes sweep.json, sweep.csv and charts.
    Sweep(sweep::SweepArgs),
    /// Run scenarios with the same flags and put them side by side (default: single server,
    /// standby pair, the park). Writes compare.json and bar charts.
    Compare(compare::CompareArgs),
    /// Show how `simpark run --shard i/N` splits a run: units (replications) per shard, and
    /// the plan hash every record carries.
    Plan(shard::PlanArgs),
    /// Merge the records shards wrote (`simpark run|sweep|compare|check --shard`) into what
    /// one process writes, byte for byte; lists missing units (exit 2).
    Merge(shard::MergeArgs),
    /// Measure simulator speed on workload W1 (Poisson 270 req/s, 3 servers, round robin).
    Bench {
        /// Measured requests (at least 1).
        #[arg(long, default_value_t = 1_000_000, value_parser = at_least_one::<u64>)]
        requests: u64,
        /// Balancing algorithm for the run.
        #[arg(long, default_value = "roundrobin")]
        algorithm: String,
        /// W1: a FIFO queue per server; W2: `maxconn 1` and HAProxy's backend queue (M/M/3).
        #[arg(long, value_enum, default_value_t = BenchWorkload::W1)]
        workload: BenchWorkload,
    },
    /// The customer availability report of a results directory: report.html (A4, inline
    /// SVG), report.md and report.json, in English or Dutch.
    Report(report_cmd::ReportArgs),
    /// Read production configuration (haproxy.cfg, keepalived.conf) into a scenario; every
    /// construct simpark does not model is a warning naming file:line.
    Import(import::ImportArgs),
    /// Print a shell completion script: `simpark completions bash > /etc/bash_completion.d/simpark`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `simpark man > simpark.1 && man ./simpark.1`.
    Man,
    /// Print the JSON Schema of scenario files (for editors; docs/scenario.schema.json is this
    /// output): keys, types, enums, duration strings, defaults and descriptions.
    Schema {
        /// Write it to FILE instead (atomically) of printing it.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// A count that must be at least 1 (`--jobs 0` or `--requests 0` would do nothing).
fn at_least_one<T: std::str::FromStr + TryFrom<u8> + PartialOrd>(text: &str) -> Result<T, String> {
    let one = T::try_from(1).map_err(|_| "1 does not fit".to_string())?;
    match text.parse::<T>() {
        Ok(n) if n >= one => Ok(n),
        _ => Err(format!("`{text}` is not valid; expected a whole number >= 1")),
    }
}

#[derive(Args, Debug, Default, Clone)]
pub(crate) struct RunArgs {
    /// Scenario file (TOML); the embedded default when omitted.
    pub(crate) scenario: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) flags: RunFlags,
    /// Print the topology as Graphviz DOT alone on stdout (no table), or with `--dot=FILE`
    /// write it to FILE.
    #[arg(long, value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "-")]
    pub(crate) dot: Option<PathBuf>,
    /// Availability mode: write replication 0's web and storage failures and repairs as a scenario
    /// with scripted faults in request mode (a replay capsule for `simpark run`).
    #[arg(long, value_name = "FILE")]
    pub(crate) write_faults: Option<PathBuf>,
    /// Run one shard: `i/N` (0 <= i < N), `auto` (a Slurm array's task; the default inside a
    /// Slurm array job), `auto/N` (index from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or
    /// AWS_BATCH_JOB_ARRAY_INDEX) or `none` (a whole run, even in an array job). Writes
    /// records for `simpark merge` into --out (default results/<name>/parts).
    #[arg(long, value_name = "i/N|auto|auto/N|none", conflicts_with = "units")]
    pub(crate) shard: Option<String>,
    /// Run these units (replications) only, e.g. `4-6,9` (what `simpark merge` lists as
    /// missing); records as with --shard.
    #[arg(long, value_name = "LIST")]
    pub(crate) units: Option<String>,
    /// Add replications in batches of 10 until every 95% CI half-width is reached: `0.5%`
    /// (p99 and availability, or downtime in availability mode), or per metric
    /// `latency_ms_p99:5ms`, `availability:0.0001`, comma-separated (docs/cluster.md).
    /// With --shard/--units the shard records the targets (precision.toml) and `simpark
    /// merge` applies the rule; --units may then go up to --max-replications.
    #[arg(long, value_name = "TARGETS")]
    pub(crate) precision: Option<String>,
    /// Most replications a --precision run may use.
    #[arg(long, value_name = "N", default_value_t = simpark::study::precision::REPLICATIONS_MAX_DEFAULT, requires = "precision")]
    pub(crate) max_replications: u32,
}

/// `--precision` of `sweep` and `compare`: each run (grid point, N-1 twin, compared
/// scenario) gets replications by the rule `run --precision` applies to one run.
#[derive(Args, Debug, Default)]
pub(crate) struct StudyPrecision {
    /// Add replications to each run (grid point, twin, scenario) in batches of 10 until
    /// every 95% CI half-width is reached, as `run --precision` does for one run (the same
    /// targets); each run reports the replications it used. With --shard/--units the shards
    /// run each run's first replications, study.toml records the targets and `simpark
    /// merge` applies the rule (listing the next units to run); --units may name any unit
    /// up to each run's --max-replications.
    #[arg(long, value_name = "TARGETS")]
    pub precision: Option<String>,
    /// Most replications a --precision run may use.
    #[arg(long, value_name = "N", default_value_t = simpark::study::precision::REPLICATIONS_MAX_DEFAULT, requires = "precision")]
    pub max_replications: u32,
}

impl StudyPrecision {
    /// `--max-replications`, which a study records only with `--precision`.
    pub(crate) fn cap(&self) -> Option<u32> {
        self.precision.as_ref().map(|_| self.max_replications)
    }

    /// The targets a study file records (what its shards ran with).
    pub(crate) fn of(study: &simpark::study::shard::StudyFile) -> StudyPrecision {
        StudyPrecision {
            precision: study.precision.clone(),
            max_replications: study
                .max_replications
                .unwrap_or(simpark::study::precision::REPLICATIONS_MAX_DEFAULT),
        }
    }

    /// The targets for a run of `mode` starting at `start` replications (`None` without
    /// `--precision`); an error is printed and its exit code returned.
    pub(crate) fn parse(&self, mode: scenario::Mode, start: u32) -> Result<Option<Precision>, i32> {
        let Some(text) = &self.precision else { return Ok(None) };
        Precision::parse(text, mode, self.max_replications)
            .and_then(|p| p.check_start(start).map(|()| p))
            .map(Some)
            .map_err(|e| {
                eprintln!("error: {e}");
                exit::USAGE
            })
    }
}

/// Threads per core `--jobs` may ask for.
pub(crate) const JOBS_PER_CORE_MAX: usize = 4;

/// The run flags shared by `run`, `sweep` and `compare`.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct RunFlags {
    /// Root seed (overrides the scenario's). Every sweep point and compared scenario uses it:
    /// common random numbers.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Independent replications per run (overrides the scenario's).
    #[arg(long, short = 'r')]
    pub(crate) replications: Option<u32>,
    /// Worker threads (at least 1); results are identical for any value.
    #[arg(long, short = 'j', value_parser = at_least_one::<usize>)]
    pub(crate) jobs: Option<usize>,
    /// Simulated time per replication, e.g. 7d, 36h, 90m.
    #[arg(long)]
    pub(crate) horizon: Option<String>,
    /// Warm-up excluded from statistics, e.g. 1h.
    #[arg(long)]
    pub(crate) warmup: Option<String>,
    /// Override any scenario key: --set web.count=4 --set balancer.algorithm=leastconn
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub(crate) set: Vec<String>,
    /// Output directory (default results/<scenario name>, or per command).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// No table and no progress bar; errors still go to stderr.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    /// Availability mode: swarm testing (each replication draws its failure classes).
    #[arg(long)]
    pub(crate) swarm: bool,
    /// Availability mode: `design` keeps failures within what the park promises to survive.
    #[arg(long, value_name = "design|none")]
    pub(crate) fault_budget: Option<String>,
    /// Planned maintenance counts as downtime and failed requests, or is excluded (as a
    /// contract may say); reported apart either way (`maintenance.contract`).
    #[arg(long, value_name = "count|exclude")]
    pub(crate) maintenance: Option<String>,
    /// Test hook (hidden): violate an invariant inside the run, to test exit 3 and its replay
    /// line.
    #[arg(long, hide = true)]
    pub(crate) debug_invariant_panic: bool,
}

impl RunFlags {
    /// The overrides these flags stand for, as `simpark run` applies them.
    pub(crate) fn sets(&self) -> Vec<String> {
        let mut sets = self.set.clone();
        sets.extend(self.flag_sets().into_iter().map(|(set, _)| set));
        sets
    }

    /// The overrides the named flags stand for, each with the flag as the user gave it.
    fn flag_sets(&self) -> Vec<(String, String)> {
        let mut sets = Vec::new();
        if let Some(s) = self.seed {
            sets.push((format!("seed={s}"), format!("--seed {s}")));
        }
        if let Some(r) = self.replications {
            sets.push((format!("replications={r}"), format!("--replications {r}")));
        }
        if let Some(h) = &self.horizon {
            sets.push((format!("horizon=\"{h}\""), format!("--horizon {h}")));
        }
        if let Some(w) = &self.warmup {
            sets.push((format!("warmup=\"{w}\""), format!("--warmup {w}")));
        }
        if self.swarm {
            sets.push(("reliability.swarm=true".into(), "--swarm".into()));
        }
        if let Some(b) = &self.fault_budget {
            sets.push((
                format!("reliability.fault_budget=\"{b}\""),
                format!("--fault-budget {b}"),
            ));
        }
        if let Some(m) = &self.maintenance {
            sets.push((format!("maintenance.contract=\"{m}\""), format!("--maintenance {m}")));
        }
        sets
    }

    /// `e` with each refusal of an override that a named flag stands for pointing at the flag.
    fn name_flags(&self, e: ScenarioError) -> ScenarioError {
        let flags = self.flag_sets();
        e.map_each(|e| match e {
            ScenarioError::Override { assignment, message } => {
                match flags.iter().rev().find(|(set, _)| *set == assignment) {
                    Some((_, flag)) => ScenarioError::Flag {
                        flag: flag.clone(),
                        message,
                    },
                    None => ScenarioError::Override { assignment, message },
                }
            }
            other => other,
        })
    }

    /// A scenario file (or the embedded default) with these flags and `extra` overrides.
    pub(crate) fn load(&self, scenario: Option<&Path>, extra: &[String]) -> Result<Model, ScenarioError> {
        let mut sets = self.sets();
        sets.extend_from_slice(extra);
        match scenario {
            Some(p) => scenario::load(p, &sets),
            None => scenario::default_model(&sets),
        }
        .map(|mut m| {
            for (set, flag) in self.flag_sets() {
                m.sources.relabel(&set, &flag);
            }
            m
        })
        .map_err(|e| self.name_flags(e))
    }

    /// `--swarm`, `--fault-budget` (and `--write-faults`, passed as `write_faults`) act on
    /// failures drawn in availability mode only: refuse them in request mode rather than
    /// ignore them.
    pub(crate) fn refuse_in_request_mode(&self, model: &Model, write_faults: bool) -> Result<()> {
        if model.mode == scenario::Mode::Availability {
            return Ok(());
        }
        let given: Vec<&str> = [
            ("--swarm", self.swarm),
            ("--fault-budget", self.fault_budget.is_some()),
            ("--write-faults", write_faults),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(flag, _)| *flag)
        .collect();
        if given.is_empty() {
            return Ok(());
        }
        anyhow::bail!(
            "{} only apply in availability mode; scenario `{}` runs in request mode (set `mode = \"availability\"` or drop the flag)",
            given.join(", "),
            model.spec.name
        )
    }

    /// Worker threads: `--jobs`, or the cores; at most `JOBS_PER_CORE_MAX` per core (results
    /// are identical for any value, so more threads only cost memory and start-up time).
    pub(crate) fn jobs(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let max = cores * JOBS_PER_CORE_MAX;
        match self.jobs {
            Some(j) if j > max => {
                // Once per process, however many runs or scenarios ask.
                static NOTED: std::sync::Once = std::sync::Once::new();
                NOTED.call_once(|| {
                    eprintln!("note: --jobs {j} lowered to {max} ({JOBS_PER_CORE_MAX} x the {cores} cores)");
                });
                max
            }
            Some(j) => j.max(1),
            None => cores,
        }
    }

    /// A progress bar over `total` units with an ETA, hidden with --quiet or off a terminal.
    pub(crate) fn progress(&self, total: u64, what: &str) -> indicatif::ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            return indicatif::ProgressBar::hidden();
        }
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(&format!(
                "{{spinner}} {what} {{pos}}/{{len}} [{{bar:30}}] {{elapsed}} eta {{eta}}"
            ))
            .expect("static template")
            .progress_chars("=> "),
        );
        b
    }
}

/// Run the parsed command; returns the process exit code.
pub(crate) fn main_with(cli: Cli) -> Result<i32> {
    match cli.command {
        None => {
            if let Some(sub) = cli.run.scenario.as_deref().and_then(mistyped_subcommand) {
                eprintln!(
                    "error: unrecognized subcommand `{}`; did you mean `{sub}`? (a scenario file is a path ending in .toml)",
                    cli.run.scenario.as_deref().unwrap_or(Path::new("")).display()
                );
                return Ok(exit::USAGE);
            }
            run(&cli.run)
        }
        Some(Command::Run(args)) => run(&args),
        Some(Command::Validate { files }) => validate(&files),
        Some(Command::Scenarios { dir }) => list(dir.as_deref()),
        Some(Command::Check {
            paths,
            junit,
            capsule_dir,
            allow_empty,
            flags,
            shard,
        }) => {
            let dir = capsule_dir
                .or_else(|| flags.out.clone())
                .unwrap_or_else(|| PathBuf::from("results/check"));
            let outputs = check::Outputs {
                junit: junit.as_deref(),
                capsule_dir: &dir,
            };
            check::check(&paths, &outputs, &flags, allow_empty, &shard)
        }
        Some(Command::Shrink(args)) => shrink::shrink(&args),
        Some(Command::Bench {
            requests,
            algorithm,
            workload,
        }) => bench(requests, &algorithm, workload),
        Some(Command::Report(args)) => report_cmd::report(&args),
        Some(Command::Sweep(args)) => sweep::sweep(&args),
        Some(Command::Compare(args)) => compare::compare(&args),
        Some(Command::Plan(args)) => shard::plan(&args),
        Some(Command::Merge(args)) => shard::merge(&args),
        Some(Command::Import(args)) => import::run(&args),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "simpark",
                &mut std::io::stdout(),
            );
            Ok(exit::OK)
        }
        Some(Command::Man) => {
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut std::io::stdout())?;
            Ok(exit::OK)
        }
        Some(Command::Schema { out }) => {
            let schema = scenario::json_schema();
            match out {
                None => print!("{schema}"),
                Some(path) => {
                    report::write_atomic(&path, schema.as_bytes())
                        .with_context(|| format!("writing {}", path.display()))?;
                    println!("wrote {}", path.display());
                }
            }
            Ok(exit::OK)
        }
    }
}

/// The subcommand `word` was probably meant as, when it is no file and no `.toml` path but
/// within two edits of a subcommand's name (`simpark rnu` is not a scenario called "rnu").
fn mistyped_subcommand(word: &Path) -> Option<String> {
    if word.exists() || word.extension().is_some() || word.components().count() != 1 {
        return None;
    }
    let word = word.to_str()?;
    let cmd = <Cli as clap::CommandFactory>::command();
    cmd.get_subcommands()
        .map(|c| c.get_name().to_string())
        .map(|name| (edit_distance(word, &name), name))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, name)| name)
}

/// Levenshtein distance, with a transposition counted as one edit ("rnu" -> "run").
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Load the scenario named by `args` with all overrides applied.
pub(crate) fn load_model(args: &RunArgs) -> Result<Model, ScenarioError> {
    args.flags.load(args.scenario.as_deref(), &[])
}

fn report_scenario_error(e: &ScenarioError) -> i32 {
    for one in e.all() {
        eprintln!("error: {one}");
    }
    exit::USAGE
}

/// `simpark run`: load and check the scenario, then run the selected units (`--shard`,
/// `--units`) or the whole run, and write and print its results.
fn run(args: &RunArgs) -> Result<i32> {
    let model = match load_model(args) {
        Ok(m) => m,
        Err(e) => return Ok(report_scenario_error(&e)),
    };
    let flags = &args.flags;
    flags.refuse_in_request_mode(&model, args.write_faults.is_some())?;
    let precision = match run_precision(args, &model) {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    // With --precision, units up to the cap are the plan's (`simpark merge` asks for them).
    let total = precision.as_ref().map_or(model.replications, |p| p.max);
    match shard::selected(args, &model, total) {
        Ok(Some(units)) => return shard::run_units(args, &model, &units),
        Ok(None) => {}
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    }
    let jobs = flags.jobs();
    let out_path = flags.out.clone().unwrap_or_else(|| default_out(&model));
    let bar = run_progress(flags, &model);
    #[allow(clippy::disallowed_methods)] // wall clock for perf.json and stderr only
    let epoch = Instant::now();
    let on_replication = || bar.inc(1);
    let opts = simpark::run::RunOptions {
        jobs,
        precision: precision.as_ref(),
        on_replication: &on_replication,
        on_ready: &|| warn_overload(&model),
        clock: &|| epoch.elapsed(),
        write_faults: args.write_faults.as_deref(),
    };
    // A panic inside a replication (or the latency sample) is a violated invariant: reported
    // with a replay line, nothing written.
    let ran = guarded(flags, || {
        if model.mode == scenario::Mode::Availability {
            simpark::run::run(&model, &out_path, &opts)
        } else {
            with_progress(&bar, || simpark::run::run(&model, &out_path, &opts))
        }
    });
    let ran = match ran {
        None => return Ok(invariant_violated(&bar, &replay_command(args, &model))),
        Some(Err(RunError::Prepare(e))) => {
            eprintln!("error: --out {e}");
            return Ok(exit::USAGE);
        }
        Some(Err(e)) => return Err(e.into()),
        Some(Ok(ran)) => ran,
    };
    bar.finish_and_clear();
    if let Some(p) = &precision
        && !flags.quiet
    {
        report_precision(&ran, p);
    }
    finish_run(args, &ran, &out_path, jobs)
}

/// `--precision` and `--max-replications`, checked against the scenario's mode and
/// replications; `None` without `--precision`, the exit code (error printed) when invalid.
fn run_precision(args: &RunArgs, model: &Model) -> Result<Option<Precision>, i32> {
    match &args.precision {
        None => Ok(None),
        Some(text) => match Precision::parse(text, model.mode, args.max_replications)
            .and_then(|p| p.check_start(model.replications).map(|()| p))
        {
            Ok(p) => Ok(Some(p)),
            Err(e) => {
                eprintln!("error: {e}");
                Err(exit::USAGE)
            }
        },
    }
}

/// The progress bar of a run: replications in availability mode; request mode counts
/// simulated seconds (a long replication advances the bar as it goes).
fn run_progress(flags: &RunFlags, model: &Model) -> indicatif::ProgressBar {
    if model.mode == scenario::Mode::Availability {
        flags.progress(u64::from(model.replications), "replications")
    } else {
        let total_s = f64::from(model.replications) * model.horizon.as_secs_f64();
        flags.progress(total_s.ceil() as u64, "simulated s")
    }
}

/// Say (stderr) how many replications `--precision` used (`p`) and whether every target
/// was met.
fn report_precision(ran: &simpark::run::Ran, p: &Precision) {
    eprintln!(
        "--precision: {} replications ({}; batches of {}, at most {})",
        ran.model.replications,
        if ran.precision_met {
            "every target met"
        } else {
            "cap reached before every target was met"
        },
        simpark::study::precision::BATCH,
        p.max
    );
}

/// After a run (`ran`, written to `out_path` on `jobs` threads): write or print `--dot`,
/// then the table and what was written unless quiet.
fn finish_run(args: &RunArgs, ran: &simpark::run::Ran, out_path: &Path, jobs: usize) -> Result<i32> {
    let flags = &args.flags;
    let model = &ran.model;
    match args.dot.as_deref() {
        // DOT alone on stdout, so `simpark run --dot | dot -Tsvg` works.
        Some(p) if p == Path::new("-") => {
            print!("{}", model.topology.to_dot());
            return Ok(exit::OK);
        }
        Some(p) => report::write_atomic(p, model.topology.to_dot().as_bytes())
            .with_context(|| format!("writing {}", p.display()))?,
        None => {}
    }
    if !flags.quiet {
        print!("{}", ran.table);
        println!(
            "\nwrote {}/ ({}, {})",
            out_path.display(),
            ran.files.join(", "),
            outdir::MANIFEST
        );
        let wall = ran.wall.as_secs_f64();
        eprintln!(
            "{wall:.2} s wall, {jobs} jobs, {:.2} M events/s",
            ran.events as f64 / wall / 1e6,
        );
    }
    Ok(exit::OK)
}

/// The `--out` directory checked and locked for one whole run (`OutDir::prepare`); on
/// failure the error is printed and the caller exits 2 having written nothing.
pub(crate) fn prepare_out(out: &Path) -> std::result::Result<outdir::OutDir, ()> {
    outdir::OutDir::prepare(out).map_err(|e| eprintln!("error: --out {e}"))
}

/// Where `run` writes without `--out`: one folder per (scenario, mode), so an availability
/// run never lands beside a request run's stale `timeseries.csv`: `results/<name>/` in
/// request mode, `results/<name>-availability/` in availability mode.
pub(crate) fn default_out(model: &Model) -> PathBuf {
    let dir = match model.mode {
        scenario::Mode::Requests => model.spec.name.clone(),
        scenario::Mode::Availability => format!("{}-availability", model.spec.name),
    };
    Path::new("results").join(dir)
}

/// Run a request-level simulation with `bar` counting simulated seconds: a ticker thread here
/// in the CLI reads the simulator's progress counter, so a long replication advances the bar
/// as it goes, not only when it ends.
fn with_progress<T>(bar: &indicatif::ProgressBar, f: impl FnOnce() -> T) -> T {
    use std::sync::atomic::{AtomicBool, Ordering};
    if bar.is_hidden() {
        return f();
    }
    /// Stops the ticker however `f` ends (a panic included), so the scope can join it.
    struct Stop<'a>(&'a AtomicBool);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let start = simpark::sim::simulated_ns();
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                bar.set_position(simpark::sim::simulated_ns().saturating_sub(start) / 1_000_000_000);
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        });
        let _stop = Stop(&done);
        f()
    })
}

/// Run `f`, turning a panic (a violated invariant) into `None`. The hidden test hook
/// `--debug-invariant-panic` panics inside, so that tests can provoke exit 3 and its replay
/// line deterministically.
pub(crate) fn guarded<T>(flags: &RunFlags, f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert!(
            !flags.debug_invariant_panic,
            "test hook: --debug-invariant-panic violates an invariant on purpose"
        );
        f()
    }))
    .ok()
}

/// Warn (stderr) when the offered load at the busiest hour exceeds a tier's capacity: requests
/// will queue and fail with `web_queue_full` / `storage_queue_full`.
fn warn_overload(model: &Model) {
    let end = simpark::units::SimTime::ZERO
        .saturating_add(model.warmup)
        .saturating_add(model.horizon);
    let peak = simpark::model::traffic::peak_rate_per_s(&model.traffic, end);
    for (tier, load) in model.loads_at(peak) {
        if load >= 1.0 {
            eprintln!(
                "warning: the park is overloaded: at the busiest hour the {tier} tier is offered {load:.2} x what its workers can serve; expect queued and failed requests"
            );
        }
    }
}

fn invariant_violated(bar: &indicatif::ProgressBar, replay: &str) -> i32 {
    bar.abandon();
    eprintln!("error: an internal invariant was violated (a simpark bug; the panic message is above)");
    eprintln!("replay: {replay}");
    exit::INVARIANT
}

/// A path or argument quoted for a POSIX shell when it needs it.
pub(crate) fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The one-line `simpark run` command that reproduces a run of `model` loaded from `scenario`
/// with `flags` and the `extra` overrides: every flag that shaped it, resolved values for
/// seed, replications, horizon and warm-up, and one job.
pub(crate) fn replay_line(scenario: Option<&str>, flags: &RunFlags, extra: &[String], model: &Model) -> String {
    let mut cmd = String::from("simpark run");
    if let Some(p) = scenario {
        cmd.push_str(&format!(" {}", shell_quote(p)));
    }
    for s in flags.set.iter().chain(extra) {
        cmd.push_str(&format!(" --set {}", shell_quote(s)));
    }
    cmd.push_str(&format!(
        " --seed {} --replications {} --horizon {} --warmup {}",
        model.seed, model.replications, model.horizon, model.warmup
    ));
    if flags.swarm {
        cmd.push_str(" --swarm");
    }
    if let Some(b) = &flags.fault_budget {
        cmd.push_str(&format!(" --fault-budget {}", shell_quote(b)));
    }
    if flags.debug_invariant_panic {
        cmd.push_str(" --debug-invariant-panic");
    }
    cmd.push_str(" --jobs 1");
    cmd
}

/// The one-line command that reproduces this run.
pub(crate) fn replay_command(args: &RunArgs, model: &Model) -> String {
    let scenario = args.scenario.as_ref().map(|p| p.display().to_string());
    replay_line(scenario.as_deref(), &args.flags, &[], model)
}

/// Validate every file and report each one's verdict (a CI job sees all bad files at once);
/// exit 2 if any is refused.
fn validate(files: &[PathBuf]) -> Result<i32> {
    let mut code = exit::OK;
    for f in files {
        match scenario::load(f, &[]) {
            Ok(m) => println!(
                "{}: ok ({}: {} web, {} storage, {} faults)",
                f.display(),
                m.spec.name,
                m.web.count,
                m.storage.count,
                m.faults.len()
            ),
            Err(e) => code = report_scenario_error(&e),
        }
    }
    Ok(code)
}

fn list(dir: Option<&Path>) -> Result<i32> {
    if let Some(d) = dir
        && !d.is_dir()
    {
        eprintln!("error: --dir {}: no such directory", d.display());
        return Ok(exit::USAGE);
    }
    let dir = dir.unwrap_or(Path::new("scenarios"));
    let builtin = scenario::default_model(&[]).context("the embedded scenario is invalid")?;
    println!("{:<40} {}", "(built-in, the default)", builtin.spec.description);
    let mut files = Vec::new();
    collect_toml(dir, &mut files);
    files.sort();
    for f in files {
        match scenario::load(&f, &[]) {
            Ok(m) => println!("{:<40} {}", f.display(), m.spec.description),
            Err(e) => println!(
                "{:<40} INVALID: {}",
                f.display(),
                e.to_string().lines().next().unwrap_or("")
            ),
        }
    }
    Ok(exit::OK)
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_toml(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

/// The W1 workload, embedded so `simpark bench` works from any directory.
pub(crate) const W1_TOML: &str = include_str!("../../scenarios/bench/w1_roundrobin.toml");
/// The W2 workload (M/M/3 through HAProxy's backend queue), embedded likewise.
pub(crate) const W2_TOML: &str = include_str!("../../scenarios/bench/w2_shared_queue.toml");

/// The benchmark workloads of benches/README.md.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum BenchWorkload {
    W1,
    W2,
}

fn bench(requests: u64, algorithm: &str, workload: BenchWorkload) -> Result<i32> {
    let rate = 270.0;
    let horizon_s = 1 + (requests as f64 / rate).ceil() as u64 + 60;
    let sets = vec![
        "replications=1".to_string(),
        format!("horizon=\"{horizon_s}s\""),
        "warmup=\"60s\"".to_string(),
        format!("balancer.algorithm=\"{algorithm}\""),
    ];
    let (label, toml, origin) = match workload {
        BenchWorkload::W1 => ("W1", W1_TOML, "<embedded w1>"),
        BenchWorkload::W2 => ("W2", W2_TOML, "<embedded w2>"),
    };
    let model = match scenario::from_str(toml, origin, &sets) {
        Ok(m) => m,
        Err(e) => return Ok(report_scenario_error(&e)),
    };
    #[allow(clippy::disallowed_methods)] // the benchmark measures wall time
    let started = Instant::now();
    let reps = simpark::sim::run_replications(&model, 1, &|| {});
    let wall = started.elapsed().as_secs_f64();
    let r = &reps[0];
    let total = r.arrivals;
    println!(
        "{label} {algorithm}: {total} measured requests ({} events) in {wall:.3} s: {:.2} M requests/s, {:.2} M events/s (one thread)",
        r.events,
        total as f64 / wall / 1e6,
        r.events as f64 / wall / 1e6
    );
    println!(
        "mean response {:.3} ms",
        r.latency_ns_sum as f64 / r.ok.max(1) as f64 / 1e6
    );
    Ok(exit::OK)
}

pub(crate) use simpark::report::plural;
