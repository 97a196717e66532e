//! `simpark check`: run the `[[expect]]` blocks of scenario files, print one line per
//! expectation, write JUnit XML and, for each failing scenario, a replay capsule.
//!
//! Validates every file before simulating any (a typo must not cost the others' run time).
//! The checks themselves are `simpark::check::run`; this module only prints and writes, and
//! it never writes a file half-way (`report::write_atomic`).

use super::{collect_toml, exit, report_scenario_error};
use anyhow::{Context, Result};
use simpark::check::{capsule, run};
use simpark::report;
use std::path::{Path, PathBuf};

pub fn check(paths: &[PathBuf], junit: Option<&Path>, flags: &super::RunFlags, capsule_dir: &Path) -> Result<i32> {
    let jobs = flags.jobs();
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
            Ok(m) if m.spec.expects.is_empty() => println!("skip  {}: no [[expect]] blocks", f.display()),
            Ok(m) => models.push((f.clone(), m)),
            Err(e) => return Ok(report_scenario_error(&e)),
        }
    }
    let mut all = Vec::new();
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
            let tag = if r.passed { "ok  " } else { "FAIL" };
            println!(
                "{tag}  {}: {} = {} (expected {})",
                f.display(),
                r.name,
                r.measured,
                r.bound
            );
        }
        if let Some(first) = checked.failures().next() {
            failed += 1;
            println!("      replay: {replay}");
            let c = capsule::capsule(model, &checked.replications, &first.name, &f.display().to_string())
                .expect("a failing expectation fails on the whole run");
            let path = capsule_dir.join(format!("{}.capsule.toml", model.spec.name));
            report::write_atomic(&path, c.text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
            println!(
                "      capsule: {} ({} of {} replications; `simpark check` it to replay, `simpark shrink` it to minimise)",
                path.display(),
                c.replications,
                model.replications
            );
        }
        all.push((model.spec.name.clone(), checked.results));
    }
    if let Some(path) = junit {
        report::write_atomic(path, simpark::check::expect::junit(&all).as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let total: usize = all.iter().map(|(_, r)| r.len()).sum();
    let bad: usize = all.iter().map(|(_, r)| r.iter().filter(|c| !c.passed).count()).sum();
    println!("{} passed, {} failed", total - bad, bad);
    Ok(if failed > 0 { exit::EXPECTATION_FAILED } else { exit::OK })
}
