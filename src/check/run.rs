//! Checks end to end, as a library: load a scenario, simulate it in its mode, evaluate its
//! `[[expect]]` blocks. `simpark check` and users' own Rust tests call the same functions.
//!
//! The one module of `check/` that drives the simulator (through `sim::run_replications` and
//! `sim::avail::run_replications`, so results are identical for any `jobs`). It never prints,
//! writes files or reads a clock; the CLI decides what to show and where to write.

use super::expect::{self, CheckResult};
use crate::report::summary;
use crate::scenario::{self, Mode, Model, ScenarioError};
use crate::sim::avail::AvailMetrics;
use crate::sim::metrics::RepMetrics;
use std::path::Path;

/// The replications of a finished run, in index order, of whichever mode the scenario runs in.
#[derive(Debug)]
pub enum Replications {
    /// Request-level replications.
    Requests(Vec<RepMetrics>),
    /// Availability (long-horizon) replications.
    Availability(Vec<AvailMetrics>),
}

impl Replications {
    pub(crate) fn len(&self) -> usize {
        match self {
            Replications::Requests(r) => r.len(),
            Replications::Availability(r) => r.len(),
        }
    }
}

/// A scenario's expectations evaluated over one run.
#[derive(Debug)]
pub struct Checked {
    /// One result per key of every `[[expect]]` block, in file order.
    pub results: Vec<CheckResult>,
    /// The run they were evaluated on (for replay capsules).
    pub replications: Replications,
}

impl Checked {
    /// Every expectation held.
    #[cfg(test)]
    pub(crate) fn passed(&self) -> bool {
        self.results.iter().all(|r| r.passed)
    }

    /// The expectations that failed, in file order.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.results.iter().filter(|r| !r.passed)
    }
}

/// Simulate every replication of `model` in its mode on `jobs` threads.
pub(crate) fn simulate(model: &Model, jobs: usize) -> Replications {
    match model.mode {
        Mode::Requests => Replications::Requests(crate::sim::run_replications(model, jobs, &|| {})),
        Mode::Availability => Replications::Availability(crate::sim::avail::run_replications(model, jobs, &|| {})),
    }
}

/// Evaluate `model`'s expectations over the first `n` replications of `reps`: exactly what a
/// run of the same scenario with `replications = n` gives, since replication `i` depends only
/// on (seed, i).
pub(crate) fn evaluate_prefix(model: &Model, reps: &Replications, n: usize) -> Vec<CheckResult> {
    assert!(n >= 1 && n <= reps.len(), "prefix {n} of {} replications", reps.len());
    let mut m = model.clone();
    m.replications = u32::try_from(n).expect("replications fit u32");
    m.spec.replications = m.replications;
    match reps {
        Replications::Requests(r) => expect::evaluate_requests(&m, &summary::summarise(&m, &r[..n])),
        Replications::Availability(r) => {
            expect::evaluate_availability(&m, &summary::summarise_availability(&m, &r[..n]), &r[..n])
        }
    }
}

/// Evaluate `model`'s expectations on each replication of `reps` alone (replication `i` is
/// what a run with `replications = 1` and that stream would give): the per-replication detail
/// of a JUnit report.
pub fn evaluate_each(model: &Model, reps: &Replications) -> Vec<Vec<CheckResult>> {
    let mut m = model.clone();
    m.replications = 1;
    m.spec.replications = 1;
    (0..reps.len())
        .map(|i| match reps {
            Replications::Requests(r) => expect::evaluate_requests(&m, &summary::summarise(&m, &r[i..=i])),
            Replications::Availability(r) => {
                expect::evaluate_availability(&m, &summary::summarise_availability(&m, &r[i..=i]), &r[i..=i])
            }
        })
        .collect()
}

/// Run `model` and evaluate its expectations.
pub fn run_model(model: &Model, jobs: usize) -> Checked {
    checked(model, simulate(model, jobs))
}

/// Evaluate `model`'s expectations over all of `replications` (a finished run, or one
/// rebuilt by `simpark merge` from a sharded check's records).
pub fn checked(model: &Model, replications: Replications) -> Checked {
    let results = evaluate_prefix(model, &replications, replications.len());
    Checked { results, replications }
}

/// Load a scenario file (no overrides), run it and evaluate its expectations: the same
/// checks `simpark check FILE` makes. A file without `[[expect]]` blocks gives no results.
/// (`tests/it/api.rs` shows a call.)
pub fn run_file(path: &Path, jobs: usize) -> Result<Checked, ScenarioError> {
    let model = scenario::load(path, &[])?;
    Ok(run_model(&model, jobs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(expect: &str) -> Model {
        let text = format!("name = \"t\"\nreplications = 3\nhorizon = \"5m\"\nwarmup = \"1m\"\n[[expect]]\n{expect}\n");
        scenario::from_str(&text, "t.toml", &[]).unwrap()
    }

    #[test]
    fn a_prefix_evaluates_like_a_shorter_run() {
        let model = tiny("latency_ms_p99_max = 1000");
        let full = simulate(&model, 1);
        let short = scenario::from_str(
            "name = \"t\"\nreplications = 2\nhorizon = \"5m\"\nwarmup = \"1m\"\n[[expect]]\nlatency_ms_p99_max = 1000\n",
            "t.toml",
            &[],
        )
        .unwrap();
        let direct = run_model(&short, 1);
        let prefix = evaluate_prefix(&model, &full, 2);
        assert_eq!(prefix[0].measured, direct.results[0].measured);
    }

    #[test]
    fn each_replication_alone_matches_a_run_of_it() {
        let model = tiny("latency_ms_p99_max = 1000");
        let reps = simulate(&model, 1);
        let each = evaluate_each(&model, &reps);
        assert_eq!(each.len(), 3);
        assert_eq!(each[0][0].measured, evaluate_prefix(&model, &reps, 1)[0].measured);
        assert_ne!(each[1][0].measured, each[0][0].measured, "replications differ");
    }

    #[test]
    fn a_violated_bound_fails_and_names_its_key() {
        let checked = run_model(&tiny("latency_ms_p99_max = 1"), 1);
        assert!(!checked.passed());
        let names: Vec<&str> = checked.failures().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["expect[0].latency_ms_p99_max"]);
    }
}
