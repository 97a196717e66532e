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
use simpark::report::outdir::{self, OutDir};
use simpark::scenario;
use simpark::study::compare::{self, BASELINES};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Scenario files, compared in this order. Default: the brochure's three setups
    /// (scenarios/baseline/single_server.toml, standby_pair.toml, xpos.toml; embedded).
    pub scenarios: Vec<PathBuf>,
    /// Also run every scenario through a traffic peak at request level, e.g. `10x1h` (a news
    /// spike: 10 times the traffic for an hour, from the busiest hour of the week), and report
    /// requests served and p99 latency during it.
    #[arg(long, value_name = "MULTIPLIERxDURATION")]
    pub peak: Option<String>,
    #[command(flatten)]
    pub run: RunFlags,
}

pub fn compare(args: &CompareArgs) -> Result<i32> {
    // Validate everything first: a typo in the last file must not cost the others' run time.
    let mut entries = Vec::new();
    if args.scenarios.is_empty() {
        for (origin, text) in BASELINES {
            match scenario::from_str(text, origin, &args.run.sets()) {
                Ok(m) => entries.push((origin.to_string(), m)),
                Err(e) => return Ok(report_scenario_error(&e)),
            }
        }
    } else {
        for p in &args.scenarios {
            match args.run.load(Some(p), &[]) {
                Ok(m) => entries.push((p.display().to_string(), m)),
                Err(e) => return Ok(report_scenario_error(&e)),
            }
        }
    }
    for (_, m) in &entries {
        args.run.refuse_in_request_mode(m, false)?;
    }
    let mut peaks = Vec::new();
    if let Some(text) = &args.peak {
        let peak = match compare::Peak::parse(text) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: --peak {e}");
                return Ok(exit::USAGE);
            }
        };
        for (_, m) in &entries {
            match compare::peak_model(m, &peak) {
                Ok(p) => peaks.push(p),
                Err(e) => return Ok(report_scenario_error(&e)),
            }
        }
    }
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
    let out = args
        .run
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join("compare"));
    // Checked and locked before anything is simulated; published as a unit at the end.
    let mut outdir = match OutDir::prepare(&out) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: --out {e}");
            return Ok(exit::USAGE);
        }
    };
    let jobs = args.run.jobs();
    let bar = args.run.progress(units, "scenarios x replications");
    #[allow(clippy::disallowed_methods)] // wall clock for stderr only
    let started = Instant::now();
    let cmp = match compare::compare(&entries, &peaks, jobs, &|| bar.inc(1)) {
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
            return Ok(exit::INVARIANT);
        }
    };
    bar.finish_and_clear();
    let wall = started.elapsed();
    let mut files = vec![("compare.json".to_string(), cmp.json())];
    files.extend(cmp.plots()?);
    for (name, body) in &files {
        outdir.write(name, body.as_bytes())?;
    }
    let ids: String = entries
        .iter()
        .map(|(_, m)| m)
        .chain(&peaks)
        .map(|m| simpark::scenario::to_toml(&m.spec))
        .collect();
    let seed = entries.first().map_or(0, |(_, m)| m.seed);
    outdir.publish(&outdir::run_id("compare", &ids, seed))?;
    if !args.run.quiet {
        print!("{}", cmp.table());
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        println!("\nwrote {}/ ({})", out.display(), names.join(", "));
        eprintln!("{:.2} s wall, {} jobs", wall.as_secs_f64(), jobs);
    }
    Ok(exit::OK)
}
