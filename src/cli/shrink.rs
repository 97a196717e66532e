//! `simpark shrink CAPSULE`: minimise a failing scenario and write it next to the input.
//!
//! Runs the input once to learn which expectation fails, then lets
//! `simpark::check::shrink::shrink` drive, supplying the predicate "this candidate, run, still
//! fails the same `expect[i].key`". Never writes anything unless a minimal failing scenario
//! was found, and then atomically; an input that does not fail is a usage error (exit 2).

use super::{exit, report_scenario_error};
use anyhow::{Context, Result};
use clap::Args;
use simpark::check::{run, shrink as algo};
use simpark::report;
use simpark::scenario::{self, Scenario};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub(crate) struct ShrinkArgs {
    /// A failing scenario file, e.g. `results/check/<name>.capsule.toml`.
    pub(crate) capsule: PathBuf,
    /// Where to write the minimal scenario (default: `<capsule stem>.min.toml` beside it,
    /// without a `.capsule` suffix in the stem).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Worker threads for the replications of each candidate run.
    #[arg(long, short = 'j')]
    pub(crate) jobs: Option<usize>,
}

/// The default output: `dir/x.capsule.toml` -> `dir/x.min.toml`.
fn default_out(capsule: &Path) -> PathBuf {
    let stem = capsule
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let stem = stem.strip_suffix(".capsule").unwrap_or(&stem);
    capsule.with_file_name(format!("{stem}.min.toml"))
}

pub(crate) fn shrink(args: &ShrinkArgs) -> Result<i32> {
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let model = match scenario::load(&args.capsule, &[]) {
        Ok(m) => m,
        Err(e) => return Ok(report_scenario_error(&e)),
    };
    let origin = args.capsule.display().to_string();
    if model.spec.expects.is_empty() {
        eprintln!("error: {origin}: no [[expect]] blocks, so nothing can fail; shrink needs a failing scenario");
        return Ok(exit::USAGE);
    }
    let first = run::run_model(&model, jobs);
    let Some(target) = first.failures().next().cloned() else {
        eprintln!(
            "error: {origin}: every expectation holds ({} checked), so there is nothing to shrink; \
             shrink needs a scenario that fails (e.g. a capsule written by `simpark check`)",
            first.results.len()
        );
        return Ok(exit::USAGE);
    };
    println!(
        "shrinking {origin}: keeping `{}` failing (measured {}, expected {})",
        target.name, target.measured, target.bound
    );
    let mut still_fails = |cand: &Scenario| match scenario::validate(cand.clone()) {
        // A candidate the scenario rules reject (e.g. a `recover` left without its failure)
        // does not fail the expectation: ddmin treats it as unresolved.
        Err(_) => false,
        Ok(m) => algo::same_failure(&target, &run::run_model(&m, jobs).results),
    };
    let shrunk = algo::shrink(&model.spec, &mut still_fails).with_context(|| format!("shrinking {origin}"))?;
    let runs = shrunk.runs + 1;
    let removed = if shrunk.removed.is_empty() {
        "\n#   nothing: the input is already minimal".to_string()
    } else {
        shrunk.removed.iter().map(|r| format!("\n#   {r}")).collect()
    };
    let header = format!(
        "# Minimised by `simpark shrink` from {origin} ({runs} runs): `{}` still fails\n\
         # (input: measured {}, expected {}). Removed or reduced:{removed}\n",
        target.name, target.measured, target.bound
    );
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.capsule));
    let text = format!("{header}{}", scenario::to_toml(&shrunk.spec));
    // The written file must load as it is (it is what a user will run).
    scenario::from_str(&text, &out.display().to_string(), &[]).context("the minimal scenario does not load again")?;
    report::write_atomic(&out, text.as_bytes()).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "faults {} -> {}, horizon {} -> {}, replications {} -> {}, traffic x1/{}",
        shrunk.faults_before,
        shrunk.faults_after,
        shrunk.horizon_before,
        shrunk.horizon_after,
        shrunk.replications_before,
        shrunk.replications_after,
        1.0 / shrunk.traffic_scale
    );
    println!("{runs} runs tried; wrote {}", out.display());
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_output_drops_the_capsule_suffix() {
        assert_eq!(
            default_out(Path::new("results/check/web.capsule.toml")),
            Path::new("results/check/web.min.toml")
        );
        assert_eq!(default_out(Path::new("x.toml")), Path::new("x.min.toml"));
    }
}
