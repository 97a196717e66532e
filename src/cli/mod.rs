//! The command line: clap arguments -> a validated plan -> library calls -> exit code.
//!
//! The only place (with `main.rs`) that uses `anyhow`, reads the wall clock (for `perf.json`
//! and progress) or prints. Everything it reports comes from the library.

// `report` is taken by `simpark::report` below.
mod compare;
#[path = "report.rs"]
mod report_cmd;
mod sweep;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use simpark::report::outdir::{self, OutDir};
use simpark::report::{self, summary};
use simpark::scenario::{self, Model, ScenarioError};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

mod check;
mod shrink;

/// Exit codes, distinct per kind of failure.
pub mod exit {
    /// Everything ran and every expectation held.
    pub const OK: i32 = 0;
    /// The run completed but an expectation failed.
    pub const EXPECTATION_FAILED: i32 = 1;
    /// Bad usage or an invalid scenario: nothing was simulated or written.
    pub const USAGE: i32 = 2;
    /// An internal invariant was violated during the run (a simpark bug).
    pub const INVARIANT: i32 = 3;
}

/// Deterministic simulator of a high-availability web-hosting park (load balancer, web
/// servers, storage, backups) running HAProxy 2.6's balancing and health-check logic.
///
/// Without a subcommand, runs the embedded default scenario (the XPOS park).
#[derive(Parser, Debug)]
#[command(name = "simpark", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
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
        /// Where to look for scenario files.
        #[arg(long, default_value = "scenarios")]
        dir: PathBuf,
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
        /// Run flags applied to every checked scenario (e.g. --replications 50 for a stricter
        /// nightly run; --out is where capsules go).
        #[command(flatten)]
        flags: RunFlags,
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
    /// Measure simulator speed on workload W1 (Poisson 270 req/s, 3 servers, round robin).
    Bench {
        /// Measured requests.
        #[arg(long, default_value_t = 1_000_000)]
        requests: u64,
        /// Balancing algorithm for the run.
        #[arg(long, default_value = "roundrobin")]
        algorithm: String,
    },
    /// The customer availability report of a results directory: report.html (A4, inline
    /// SVG), report.md and report.json, in English or Dutch.
    Report(report_cmd::ReportArgs),
}

#[derive(Args, Debug, Default, Clone)]
pub struct RunArgs {
    /// Scenario file (TOML); the embedded default when omitted.
    pub scenario: Option<PathBuf>,
    #[command(flatten)]
    pub flags: RunFlags,
    /// Also print the topology as Graphviz DOT on stdout.
    #[arg(long)]
    pub dot: bool,
    /// Availability mode: write replication 0's web and storage failures and repairs as a scenario
    /// with scripted faults in request mode (a replay capsule for `simpark run`).
    #[arg(long, value_name = "FILE")]
    pub write_faults: Option<PathBuf>,
}

/// Threads per core `--jobs` may ask for.
pub const JOBS_PER_CORE_MAX: usize = 4;

/// The run flags shared by `run`, `sweep` and `compare`.
#[derive(Args, Debug, Default, Clone)]
pub struct RunFlags {
    /// Root seed (overrides the scenario's). Every sweep point and compared scenario uses it:
    /// common random numbers.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Independent replications per run (overrides the scenario's).
    #[arg(long, short = 'r')]
    pub replications: Option<u32>,
    /// Worker threads; results are identical for any value.
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Simulated time per replication, e.g. 7d, 36h, 90m.
    #[arg(long)]
    pub horizon: Option<String>,
    /// Warm-up excluded from statistics, e.g. 1h.
    #[arg(long)]
    pub warmup: Option<String>,
    /// Override any scenario key: --set web.count=4 --set balancer.algorithm=leastconn
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Output directory (default results/<scenario name>, or per command).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No table and no progress bar; errors still go to stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Availability mode: swarm testing (each replication draws its failure classes).
    #[arg(long)]
    pub swarm: bool,
    /// Availability mode: `design` keeps failures within what the park promises to survive.
    #[arg(long, value_name = "design|none")]
    pub fault_budget: Option<String>,
    /// Test hook (hidden): violate an invariant inside the run, to test exit 3 and its replay
    /// line.
    #[arg(long, hide = true)]
    pub debug_invariant_panic: bool,
}

impl RunFlags {
    /// The overrides these flags stand for, as `simpark run` applies them.
    pub fn sets(&self) -> Vec<String> {
        let mut sets = self.set.clone();
        if let Some(s) = self.seed {
            sets.push(format!("seed={s}"));
        }
        if let Some(r) = self.replications {
            sets.push(format!("replications={r}"));
        }
        if let Some(h) = &self.horizon {
            sets.push(format!("horizon=\"{h}\""));
        }
        if let Some(w) = &self.warmup {
            sets.push(format!("warmup=\"{w}\""));
        }
        if self.swarm {
            sets.push("reliability.swarm=true".into());
        }
        if let Some(b) = &self.fault_budget {
            sets.push(format!("reliability.fault_budget=\"{b}\""));
        }
        sets
    }

    /// A scenario file (or the embedded default) with these flags and `extra` overrides.
    pub fn load(&self, scenario: Option<&Path>, extra: &[String]) -> Result<Model, ScenarioError> {
        let mut sets = self.sets();
        sets.extend_from_slice(extra);
        match scenario {
            Some(p) => scenario::load(p, &sets),
            None => scenario::default_model(&sets),
        }
    }

    /// Worker threads: `--jobs`, or the cores; at most `JOBS_PER_CORE_MAX` per core (results
    /// are identical for any value, so more threads only cost memory and start-up time).
    pub fn jobs(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let max = cores * JOBS_PER_CORE_MAX;
        match self.jobs {
            Some(j) if j > max => {
                eprintln!("note: --jobs {j} lowered to {max} ({JOBS_PER_CORE_MAX} x the {cores} cores)");
                max
            }
            Some(j) => j.max(1),
            None => cores,
        }
    }

    /// A progress bar over `total` units with an ETA, hidden with --quiet or off a terminal.
    pub fn progress(&self, total: u64, what: &str) -> indicatif::ProgressBar {
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
pub fn main_with(cli: Cli) -> Result<i32> {
    match cli.command {
        None => run(&cli.run),
        Some(Command::Run(args)) => run(&args),
        Some(Command::Validate { files }) => validate(&files),
        Some(Command::Scenarios { dir }) => list(&dir),
        Some(Command::Check {
            paths,
            junit,
            capsule_dir,
            flags,
        }) => {
            let dir = capsule_dir
                .or_else(|| flags.out.clone())
                .unwrap_or_else(|| PathBuf::from("results/check"));
            check::check(&paths, junit.as_deref(), &flags, &dir)
        }
        Some(Command::Shrink(args)) => shrink::shrink(&args),
        Some(Command::Bench { requests, algorithm }) => bench(requests, &algorithm),
        Some(Command::Report(args)) => report_cmd::report(&args),
        Some(Command::Sweep(args)) => sweep::sweep(&args),
        Some(Command::Compare(args)) => compare::compare(&args),
    }
}

/// Load the scenario named by `args` with all overrides applied.
pub fn load_model(args: &RunArgs) -> Result<Model, ScenarioError> {
    args.flags.load(args.scenario.as_deref(), &[])
}

fn report_scenario_error(e: &ScenarioError) -> i32 {
    eprintln!("error: {e}");
    exit::USAGE
}

fn run(args: &RunArgs) -> Result<i32> {
    let model = match load_model(args) {
        Ok(m) => m,
        Err(e) => return Ok(report_scenario_error(&e)),
    };
    let flags = &args.flags;
    let jobs = flags.jobs();
    let out_path = flags
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&model.spec.name));
    // The output is checked and locked before anything is simulated.
    let mut out = match OutDir::prepare(&out_path) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: --out {e}");
            return Ok(exit::USAGE);
        }
    };
    warn_overload(&model);
    // Request mode counts simulated seconds (a long replication advances the bar as it goes).
    let bar = if model.mode == scenario::Mode::Availability {
        flags.progress(u64::from(model.replications), "replications")
    } else {
        let total_s = f64::from(model.replications) * model.horizon.as_secs_f64();
        flags.progress(total_s.ceil() as u64, "simulated s")
    };
    #[allow(clippy::disallowed_methods)] // wall clock for perf.json and stderr only
    let started = Instant::now();
    // Every file is built in memory first; a panic inside a replication (or the latency
    // sample) is a violated invariant: reported with a replay line, nothing written.
    let mut files: Vec<(&str, Vec<u8>)> = Vec::new();
    let simulated = guarded(flags, || {
        if model.mode == scenario::Mode::Availability {
            let reps = simpark::sim::avail::run_replications(&model, jobs, &|| bar.inc(1));
            let s = summary::summarise_availability(&model, &reps);
            let events: u64 = reps.iter().map(|r| r.events).sum();
            let wall = started.elapsed();
            // Response times in normal operation, which the long-horizon mode cannot give; run
            // after the clock stopped so perf.json measures the availability run alone.
            let sample = report_cmd::latency_sample(&model, jobs);
            (
                summary::avail_table(&s),
                events,
                s.metrics.requests_total,
                wall,
                vec![
                    ("summary.json", report::to_json(&s).into_bytes()),
                    ("months.csv", summary::months_csv(&reps).into_bytes()),
                ],
                Some((reps[0].fault_log.clone(), sample)),
            )
        } else {
            let reps = with_progress(&bar, || simpark::sim::run_replications(&model, jobs, &|| {}));
            let s = summary::summarise(&model, &reps);
            let events: u64 = reps.iter().map(|r| r.events).sum();
            let requests: u64 = reps.iter().map(|r| r.arrivals).sum();
            (
                summary::table(&s),
                events,
                requests,
                started.elapsed(),
                vec![
                    ("summary.json", report::to_json(&s).into_bytes()),
                    ("timeseries.csv", summary::timeseries_csv(&reps).into_bytes()),
                ],
                None,
            )
        }
    });
    let Some((table, events, requests, wall, run_files, avail)) = simulated else {
        return Ok(invariant_violated(&bar, &replay_command(args, &model)));
    };
    bar.finish_and_clear();
    files.extend(run_files);
    let mut capsule_text = None;
    if let Some((fault_log, sample)) = avail {
        files.push(("latency.json", report::to_json(&sample?).into_bytes()));
        if let Some(path) = &args.write_faults {
            let capsule = scenario::replay_capsule(&model, fault_log)
                .context("the run's fault log does not validate as a scenario")?;
            let mut spec = capsule.spec.clone();
            spec.replications = 1;
            spec.seed = model.seed;
            capsule_text = Some((
                path,
                format!(
                    "# Replay capsule: replication 0 of `{}` (seed {}) in availability mode, its web-server\n# failures and repairs written out as scripted faults. Run: simpark run {}\n{}",
                    model.spec.name,
                    model.seed,
                    path.display(),
                    scenario::to_toml(&spec)
                ),
            ));
        }
    }
    let perf = serde_json::json!({
        "wall_s": wall.as_secs_f64(),
        "jobs": jobs,
        "events_total": events,
        "events_per_s": events as f64 / wall.as_secs_f64(),
        "requests_measured_total": requests,
        "requests_per_s": requests as f64 / wall.as_secs_f64(),
    });
    let resolved = scenario::to_toml(&model.spec);
    let run_id = outdir::run_id(&model.spec.name, &resolved, model.seed);
    files.push(("scenario.resolved.toml", resolved.into_bytes()));
    files.push(("topology.dot", model.topology.to_dot().into_bytes()));
    files.push(("perf.json", report::to_json(&perf).into_bytes()));
    for (name, body) in &files {
        out.write(name, body)?;
    }
    out.publish(&run_id)?;
    if let Some((path, text)) = capsule_text {
        report::write_atomic(path, text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    }
    if args.dot {
        print!("{}", model.topology.to_dot());
    }
    if !flags.quiet {
        print!("{table}");
        let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
        println!(
            "\nwrote {}/ ({}, {})",
            out_path.display(),
            names.join(", "),
            outdir::MANIFEST
        );
        eprintln!(
            "{:.2} s wall, {} jobs, {:.2} M events/s",
            wall.as_secs_f64(),
            jobs,
            events as f64 / wall.as_secs_f64() / 1e6,
        );
    }
    Ok(exit::OK)
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
pub fn guarded<T>(flags: &RunFlags, f: impl FnOnce() -> T) -> Option<T> {
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
    for (tier, load) in model.peak_loads() {
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
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The one-line `simpark run` command that reproduces a run of `model` loaded from `scenario`
/// with `flags` and the `extra` overrides: every flag that shaped it, resolved values for
/// seed, replications, horizon and warm-up, and one job.
pub fn replay_line(scenario: Option<&str>, flags: &RunFlags, extra: &[String], model: &Model) -> String {
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
pub fn replay_command(args: &RunArgs, model: &Model) -> String {
    let scenario = args.scenario.as_ref().map(|p| p.display().to_string());
    replay_line(scenario.as_deref(), &args.flags, &[], model)
}

fn validate(files: &[PathBuf]) -> Result<i32> {
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
            Err(e) => return Ok(report_scenario_error(&e)),
        }
    }
    Ok(exit::OK)
}

fn list(dir: &Path) -> Result<i32> {
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
pub const W1_TOML: &str = include_str!("../../scenarios/bench/w1_roundrobin.toml");

fn bench(requests: u64, algorithm: &str) -> Result<i32> {
    let rate = 270.0;
    let horizon_s = 1 + (requests as f64 / rate).ceil() as u64 + 60;
    let sets = vec![
        "replications=1".to_string(),
        format!("horizon=\"{horizon_s}s\""),
        "warmup=\"60s\"".to_string(),
        format!("balancer.algorithm=\"{algorithm}\""),
    ];
    let model = match scenario::from_str(W1_TOML, "<embedded w1>", &sets) {
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
        "W1 {algorithm}: {total} measured requests ({} events) in {wall:.3} s: {:.2} M requests/s, {:.2} M events/s (one thread)",
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
