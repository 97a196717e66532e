//! `simpark check`: run the `[[expect]]` blocks of scenario files, print one line per
//! expectation, write JUnit XML and, for each failing scenario, a replay capsule.
//!
//! Validates every file before simulating any (a typo must not cost the others' run time).
//! The checks themselves are `simpark::check::run`; this module only prints and writes, and
//! it never writes a file half-way (`report::write_atomic`). Nothing to check is an error
//! unless `--allow-empty`: a CI job pointed at the wrong path must not stay green.

use super::{collect_toml, exit, report_scenario_error};
use anyhow::{Context, Result};
use simpark::check::expect::Suite;
use simpark::check::{capsule, run};
use simpark::report;
use std::path::{Path, PathBuf};

pub(crate) fn check(
    paths: &[PathBuf],
    junit: Option<&Path>,
    flags: &super::RunFlags,
    capsule_dir: &Path,
    allow_empty: bool,
) -> Result<i32> {
    let jobs = flags.jobs();
    let quiet = flags.quiet;
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            collect_toml(p, &mut files);
        } else {
            files.push(p.clone());
        }
    }
    files.sort();
    let mut models = Vec::new();
    for f in &files {
        match flags.load(Some(f), &[]) {
            Ok(m) if m.spec.expects.is_empty() => {
                if !quiet {
                    println!("skip  {}: no [[expect]] blocks", f.display());
                }
            }
            Ok(m) => {
                flags.refuse_in_request_mode(&m, false)?;
                models.push((f.clone(), m));
            }
            Err(e) => return Ok(report_scenario_error(&e)),
        }
    }
    if models.is_empty() && !allow_empty {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "error: nothing to check in {}: {} found, none with [[expect]] blocks (pass --allow-empty if that is intended)",
            shown.join(", "),
            super::plural(files.len(), "scenario file")
        );
        return Ok(exit::USAGE);
    }
    let mut suites = Vec::new();
    let mut failed = 0;
    for (f, model) in &models {
        let replay = super::replay_line(Some(&f.display().to_string()), flags, &[], model);
        let Some(checked) = super::guarded(flags, || run::run_model(model, jobs)) else {
            eprintln!(
                "error: an internal invariant was violated in {} (a simpark bug; the panic message is above)",
                f.display()
            );
            eprintln!("replay: {replay}");
            return Ok(exit::INVARIANT);
        };
        for r in &checked.results {
            if quiet && r.passed {
                continue;
            }
            let tag = if r.passed { "ok  " } else { "FAIL" };
            println!(
                "{tag}  {}: {} = {} (expected {})",
                f.display(),
                r.name,
                r.measured,
                r.bound
            );
        }
        let mut replay = None;
        if let Some(first) = checked.failures().next() {
            failed += 1;
            let c = capsule::capsule(model, &checked.replications, &first.name, &f.display().to_string())
                .expect("a failing expectation fails on the whole run");
            let path = capsule_dir.join(format!("{}.capsule.toml", model.spec.name));
            report::write_atomic(&path, c.text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
            // The capsule pins seed, replications and every override: checking it replays
            // the failing check itself.
            let line = format!("simpark check {}", path.display());
            println!("      replay: {line}");
            println!(
                "      capsule: {} ({} of {}; `simpark shrink` it to minimise)",
                path.display(),
                c.replications,
                super::plural(model.replications as usize, "replication")
            );
            replay = Some(line);
        }
        suites.push(Suite {
            name: model.spec.name.clone(),
            file: f.display().to_string(),
            seed: model.seed,
            per_replication: run::evaluate_each(model, &checked.replications),
            results: checked.results,
            replay,
        });
    }
    if let Some(path) = junit {
        report::write_atomic(path, simpark::check::expect::junit(&suites).as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let total: usize = suites.iter().map(|s| s.results.len()).sum();
    let bad: usize = suites
        .iter()
        .map(|s| s.results.iter().filter(|c| !c.passed).count())
        .sum();
    if !quiet || bad > 0 {
        println!("{} passed, {} failed", total - bad, bad);
    }
    Ok(if failed > 0 { exit::EXPECTATION_FAILED } else { exit::OK })
}
