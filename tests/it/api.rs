//! The library API, end to end: the worked examples the crate docs point to (they were
//! doctests; a doctest build is one more whole-crate link in CI, see Cargo.toml).

use crate::tmpdir;

#[test]
fn a_scenario_runs_end_to_end_through_the_library() {
    let model = simpark::scenario::from_str(
        "name = \"doc\"\nreplications = 2\nhorizon = \"10m\"\nwarmup = \"1m\"",
        "doc.toml",
        &[],
    )
    .unwrap();
    let reps = simpark::sim::run_replications(&model, 1, &|| {});
    let summary = simpark::report::summary::summarise(&model, &reps);
    assert!(summary.metrics.success_ratio.value > 0.99);
}

#[test]
fn run_file_checks_a_files_expectations() {
    let dir = tmpdir("api-run-file");
    let file = dir.join("tiny.toml");
    std::fs::write(
        &file,
        r#"
name = "tiny"
replications = 2
horizon = "10m"
warmup = "1m"
[[expect]]
availability_request_min = 0.99   # nothing fails in this scenario
latency_ms_p99_max = 1000
"#,
    )
    .unwrap();
    let checked = simpark::check::run::run_file(&file, 1).unwrap();
    assert_eq!(checked.results.len(), 2);
    for r in &checked.results {
        assert!(r.passed, "{}: {} (expected {})", r.name, r.measured, r.bound);
    }
}
