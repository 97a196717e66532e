//! The command line as a user meets it.

use crate::{repo, run_ok, simpark, tmpdir};

#[test]
fn help_lists_the_commands() {
    let out = run_ok(simpark().arg("--help"));
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["run", "validate", "scenarios", "bench"] {
        assert!(text.contains(cmd), "{text}");
    }
}

#[test]
fn scenarios_lists_builtin_and_shipped() {
    let out = run_ok(simpark().arg("scenarios").arg("--dir").arg(repo("scenarios")));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("built-in") && text.contains("w1_roundrobin.toml") && text.contains("single_server.toml"),
        "{text}"
    );
    assert!(!text.contains("INVALID"), "{text}");
}

#[test]
fn run_writes_every_output_and_prints_a_table() {
    let d = tmpdir("outputs");
    let out = run_ok(
        simpark()
            .args([
                "run",
                "--horizon",
                "2h",
                "--replications",
                "3",
                "--set",
                "web.count=4",
                "--dot",
                "--out",
            ])
            .arg(&d),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("latency ms p99") && text.contains("web4") && text.contains("digraph park"),
        "{text}"
    );
    for f in [
        "summary.json",
        "timeseries.csv",
        "scenario.resolved.toml",
        "topology.dot",
        "perf.json",
    ] {
        assert!(d.join(f).is_file(), "missing {f}");
    }
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["schema_version"], 1);
    assert_eq!(s["replications"], 3);
    for k in [
        "latency_ms_mean",
        "latency_ms_p50",
        "latency_ms_p95",
        "latency_ms_p99",
        "success_ratio",
    ] {
        assert!(
            s["metrics"][k]["value"].is_number() && s["metrics"][k]["ci95"].is_number(),
            "{k}"
        );
    }
    assert!(s["metrics"]["requests_total"].as_u64().unwrap() > 0);
    // No wall-clock figure may leak into summary.json.
    let raw = std::fs::read_to_string(d.join("summary.json")).unwrap();
    assert!(!raw.contains("wall"), "summary.json must not hold wall-clock figures");
    let csv = std::fs::read_to_string(d.join("timeseries.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 120, "one row per minute of a 2h horizon");
}

#[test]
fn bench_reports_throughput() {
    let out = run_ok(simpark().args(["bench", "--requests", "200000"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("M requests/s") && text.contains("M events/s"), "{text}");
}

#[test]
fn unknown_subcommand_argument_is_a_usage_error() {
    let out = simpark().args(["run", "--no-such-flag"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
