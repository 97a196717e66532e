//! `simpark check`: run the `[[expect]]` blocks of scenario files, print one line per
//! expectation, write JUnit XML and, for each failing scenario, a replay capsule.
//!
//! Validates every file before simulating any (a typo must not cost the others' run time).
//! The checks themselves are `simpark::check::run`; this module only prints and writes, and
//! it never writes a file half-way (`report::write_atomic`). Nothing to check is an error
//! unless `--allow-empty`: a CI job pointed at the wrong path must not stay green.
//!
//! A check shards like a sweep (`--shard`, `--units`, `--shards`): its units are (scenario
//! file with `[[expect]]` blocks, replication) in file order, and `simpark merge` rebuilds
//! each file's replications and reports them through `Report`, the same code as one process.

use super::shard::ShardFlags;
use super::{collect_toml, exit, report_scenario_error};
use anyhow::{Context, Result};
use simpark::check::capsule;
use simpark::check::expect::Suite;
use simpark::check::run::{self, Checked};
use simpark::report;
use simpark::scenario::Model;
use simpark::study::shard::{StudyFile, StudyKind};
use std::path::{Path, PathBuf};

/// Where a check writes besides stdout.
pub(crate) struct Outputs<'a> {
    /// `--junit`.
    pub(crate) junit: Option<&'a Path>,
    /// Where replay capsules go.
    pub(crate) capsule_dir: &'a Path,
}

pub(crate) fn check(
    paths: &[PathBuf],
    outputs: &Outputs,
    flags: &super::RunFlags,
    allow_empty: bool,
    shard: &ShardFlags,
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
    let study = StudyFile {
        command: StudyKind::Check,
        // Read from the working directory; `study.toml` records which one.
        dir: String::new(),
        scenarios: files.iter().map(|f| f.display().to_string()).collect(),
        sets: flags.sets(),
        vary: Vec::new(),
        peak: None,
        precision: None,
        max_replications: None,
    };
    let models = match entries(&study, quiet) {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    for (_, m) in &models {
        flags.refuse_in_request_mode(m, false)?;
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
    if shard.any() {
        return super::shard::check_units(&study, &models, shard, flags);
    }
    let mut report = Report::new(outputs.capsule_dir, quiet);
    for (label, model) in &models {
        let Some(checked) = super::guarded(flags, || run::run_model(model, jobs)) else {
            eprintln!(
                "error: an internal invariant was violated in {label} (a simpark bug; the panic message is above)"
            );
            eprintln!("replay: {}", super::replay_line(Some(label), flags, &[], model));
            return Ok(exit::INVARIANT);
        };
        report.scenario(label, model, checked)?;
    }
    report.finish(outputs.junit)
}

/// The checked scenarios of a check's study file: (file as given, model) of every file with
/// `[[expect]]` blocks, in order; the others are reported as skipped (errors printed; the
/// exit code returned).
pub(super) fn entries(study: &StudyFile, quiet: bool) -> Result<Vec<(String, Model)>, i32> {
    let mut models = Vec::new();
    for i in 0..study.scenario_count() {
        let label = study.label(i);
        match study.load(i, &[]) {
            Ok(m) if m.spec.expects.is_empty() => {
                if !quiet {
                    println!("skip  {label}: no [[expect]] blocks");
                }
            }
            Ok(m) => models.push((label, m)),
            Err(e) => return Err(report_scenario_error(&e)),
        }
    }
    Ok(models)
}

/// Prints each scenario's verdicts and writes its capsule as it comes, then the JUnit file
/// and the totals: shared by `simpark check` and `simpark merge` of a sharded check.
pub(super) struct Report<'a> {
    capsule_dir: &'a Path,
    quiet: bool,
    suites: Vec<Suite>,
    failed: usize,
}

impl<'a> Report<'a> {
    pub(super) fn new(capsule_dir: &'a Path, quiet: bool) -> Self {
        Report {
            capsule_dir,
            quiet,
            suites: Vec::new(),
            failed: 0,
        }
    }

    /// One scenario's results: a line per expectation, and a capsule if one failed.
    pub(super) fn scenario(&mut self, label: &str, model: &Model, checked: Checked) -> Result<()> {
        for r in &checked.results {
            if self.quiet && r.passed {
                continue;
            }
            let tag = if r.passed { "ok  " } else { "FAIL" };
            println!("{tag}  {label}: {} = {} (expected {})", r.name, r.measured, r.bound);
        }
        let mut replay = None;
        if let Some(first) = checked.failures().next() {
            self.failed += 1;
            let c = capsule::capsule(model, &checked.replications, &first.name, label)
                .expect("a failing expectation fails on the whole run");
            let path = self.capsule_dir.join(format!("{}.capsule.toml", model.spec.name));
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
        self.suites.push(Suite {
            name: model.spec.name.clone(),
            file: label.to_string(),
            seed: model.seed,
            per_replication: run::evaluate_each(model, &checked.replications),
            results: checked.results,
            replay,
        });
        Ok(())
    }

    /// Write the JUnit file (if asked), print the totals and return the exit code.
    pub(super) fn finish(self, junit: Option<&Path>) -> Result<i32> {
        if let Some(path) = junit {
            report::write_atomic(path, simpark::check::expect::junit(&self.suites).as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
        }
        let total: usize = self.suites.iter().map(|s| s.results.len()).sum();
        let bad: usize = self
            .suites
            .iter()
            .map(|s| s.results.iter().filter(|c| !c.passed).count())
            .sum();
        if !self.quiet || bad > 0 {
            println!("{} passed, {} failed", total - bad, bad);
        }
        Ok(if self.failed > 0 {
            exit::EXPECTATION_FAILED
        } else {
            exit::OK
        })
    }
}
