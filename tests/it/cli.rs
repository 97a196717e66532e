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
                "--out",
            ])
            .arg(&d)
            .arg(format!("--dot={}", d.join("park.dot").display())),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("latency ms p99") && text.contains("web4") && !text.contains("digraph"),
        "{text}"
    );
    assert!(
        std::fs::read_to_string(d.join("park.dot"))
            .unwrap()
            .starts_with("digraph park")
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
    assert_eq!(s["schema_version"], 2);
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

/// `bench --workload w2` runs the M/M/3 model (mean response 37.2 ms in closed form), not W1's
/// E3/M/1 (67.8 ms).
#[test]
fn bench_runs_w2_through_the_backend_queue() {
    let out = run_ok(simpark().args(["bench", "--requests", "200000", "--workload", "w2"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("W2 roundrobin: "), "{text}");
    let mean_ms: f64 = text
        .split("mean response ")
        .nth(1)
        .and_then(|t| t.split(" ms").next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no mean response in {text}"));
    assert!((33.0..42.0).contains(&mean_ms), "{mean_ms} ms: {text}");
}

#[test]
fn unknown_subcommand_argument_is_a_usage_error() {
    let out = simpark().args(["run", "--no-such-flag"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Run simpark, expect exit 2 with `needle` on stderr.
fn expect_usage(args: &[&str], needle: &str) -> String {
    let out = simpark().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: expected `{needle}` in:\n{err}");
    err
}

#[test]
fn meaningless_counts_and_paths_are_refused() {
    expect_usage(&["run", "-j", "0", "--horizon", "1m"], "expected a whole number >= 1");
    expect_usage(&["bench", "--requests", "0"], "expected a whole number >= 1");
    expect_usage(
        &["scenarios", "--dir", "/nonexistent"],
        "--dir /nonexistent: no such directory",
    );
}

#[test]
fn availability_only_flags_are_refused_in_request_mode_and_nothing_is_written() {
    let d = tmpdir("request-mode-flags");
    for flags in [
        vec!["--swarm"],
        vec!["--fault-budget", "design"],
        vec!["--write-faults", "faults.toml"],
    ] {
        let out = d.join("out");
        let mut args = vec![
            "run",
            "--horizon",
            "1m",
            "--warmup",
            "10s",
            "-r",
            "1",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(&flags);
        expect_usage(&args, "only apply in availability mode");
        assert!(!out.exists(), "{flags:?} wrote {}", out.display());
    }
}

#[test]
fn a_mistyped_subcommand_gets_a_suggestion() {
    expect_usage(&["rnu"], "did you mean `run`?");
    expect_usage(&["swep"], "did you mean `sweep`?");
    expect_usage(&["chek"], "did you mean `check`?");
    // A scenario file that does not exist is still reported as a file; so is a word more than
    // two edits from every subcommand.
    for word in ["no_such_park.toml", "zzzzzzzz"] {
        let err = expect_usage(&[word], word);
        assert!(!err.contains("did you mean"), "{word}: {err}");
    }
}

#[test]
fn completions_and_man_page() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef simpark"),
        ("fish", "complete -c simpark"),
    ] {
        let out = run_ok(simpark().args(["completions", shell]));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker) && text.contains("sweep"), "{shell}:\n{text}");
    }
    let out = run_ok(simpark().arg("man"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with(".ie") || text.contains(".TH simpark"), "{text}");
    assert!(
        text.contains("completions") && text.contains("check") && text.contains("schema"),
        "{text}"
    );
}

#[test]
fn no_colour_off_a_terminal_or_with_no_color() {
    for no_color in [false, true] {
        let mut cmd = simpark();
        cmd.args(["run", "--no-such-flag"]);
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            !out.stderr.contains(&0x1b),
            "escape codes: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let help = run_ok(simpark().arg("--help"));
        assert!(!help.stdout.contains(&0x1b));
    }
}

#[test]
fn dot_alone_on_stdout_and_singular_replication() {
    let d = tmpdir("dot-alone");
    let out = run_ok(
        simpark()
            .args(["run", "--horizon", "10m", "--warmup", "1m", "-r", "1", "--dot", "--out"])
            .arg(&d),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("digraph park") && !text.contains("latency"), "{text}");
    let out = run_ok(
        simpark()
            .args(["run", "--horizon", "10m", "--warmup", "1m", "-r", "1", "--out"])
            .arg(&d),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(" 1 replication x ") && !text.contains("1 replications"),
        "{text}"
    );
}

#[test]
fn compound_durations_are_accepted() {
    let d = tmpdir("compound");
    run_ok(
        simpark()
            .args([
                "run",
                "--horizon",
                "1h30m",
                "--warmup",
                "1m30s",
                "-r",
                "1",
                "--quiet",
                "--out",
            ])
            .arg(&d),
    );
    let resolved = std::fs::read_to_string(d.join("scenario.resolved.toml")).unwrap();
    assert!(resolved.contains("horizon = \"1h30m\""), "{resolved}");
}

#[test]
fn one_results_folder_per_scenario_and_mode() {
    let d = tmpdir("per-mode");
    run_ok(
        simpark()
            .current_dir(&d)
            .args(["run", "--horizon", "10m", "--warmup", "1m", "-r", "1", "--quiet"]),
    );
    run_ok(simpark().current_dir(&d).args([
        "run",
        "--set",
        "mode=\"availability\"",
        "--horizon",
        "1y",
        "--warmup",
        "1d",
        "-r",
        "2",
        "--quiet",
    ]));
    let requests = d.join("results/xpos");
    let avail = d.join("results/xpos-availability");
    assert!(requests.join("timeseries.csv").is_file());
    assert!(avail.join("months.csv").is_file() && !avail.join("timeseries.csv").exists());
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(avail.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["mode"], "availability");
}

#[test]
fn the_run_table_shows_detection_pages_max_latency_and_failed_load() {
    let d = tmpdir("run-table");
    let out = run_ok(
        simpark()
            .arg("run")
            .arg(repo("scenarios/ci/web_hang.toml"))
            .args(["-r", "2", "--out"])
            .arg(&d),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "latency ms max",
        "alerts paged",
        "not served: ",
        "detection: 10726.0 ms at most from a scripted failure to lb1 marking it DOWN",
        "2 replications x",
    ] {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
}

#[test]
fn a_what_if_extends_the_park_and_changes_only_what_it_states() {
    let d = tmpdir("extends");
    let flags = ["--horizon", "10m", "--warmup", "1m", "-r", "1", "--quiet", "--out"];
    run_ok(simpark().arg("run").args(flags).arg(d.join("park")));
    run_ok(
        simpark()
            .arg("run")
            .arg(repo("scenarios/whatif/four_web_servers.toml"))
            .args(flags)
            .arg(d.join("four")),
    );
    let read = |dir: &str| std::fs::read_to_string(d.join(dir).join("scenario.resolved.toml")).unwrap();
    let (park_sourced, four_sourced) = (read("park"), read("four"));
    // Each value says where it came from: the base's line, this file's line, a flag, or the
    // built-in default.
    let line_of = |text: &str, start: &str| text.lines().find(|l| l.starts_with(start)).unwrap_or("").to_string();
    assert!(
        line_of(&four_sourced, "count = 4").ends_with("four_web_servers.toml:9"),
        "{four_sourced}"
    );
    assert!(
        line_of(&four_sourced, "horizon = ").ends_with("# from --horizon 10m"),
        "{four_sourced}"
    );
    assert!(
        line_of(&park_sourced, "horizon = ").ends_with("# from --horizon 10m"),
        "{park_sourced}"
    );
    // The embedded park states only its name and description; everything else is the
    // built-in default, which is the park.
    assert!(
        line_of(&four_sourced, "seed = ").ends_with("# from built-in default"),
        "{four_sourced}"
    );
    assert!(
        line_of(&park_sourced, "name = ").ends_with("# from <embedded xpos.toml>:9"),
        "{park_sourced}"
    );
    assert!(
        line_of(&park_sourced, "draws = ").ends_with("# from built-in default"),
        "{park_sourced}"
    );
    let plain = |t: &str| -> String {
        t.lines()
            .map(|l| l.split("  # from ").next().unwrap_or("").to_string() + "\n")
            .collect()
    };
    let (park, four) = (plain(&park_sourced), plain(&four_sourced));
    let differing: Vec<(&str, &str)> = park.lines().zip(four.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(park.lines().count(), four.lines().count());
    assert_eq!(
        differing.len(),
        3,
        "name, description and web.count only: {differing:?}"
    );
    assert!(
        differing
            .iter()
            .any(|(a, b)| a.starts_with("count = 3") && b.starts_with("count = 4")),
        "{differing:?}"
    );
}

/// `validate` reports every file's verdict, not only the first bad one, and exits 2 if any
/// file is refused.
#[test]
fn validate_reports_every_file() {
    let d = tmpdir("validate-every-file");
    std::fs::create_dir_all(&d).unwrap();
    let bad1 = d.join("bad1.toml");
    let bad2 = d.join("bad2.toml");
    std::fs::write(&bad1, "name = \"a\"\n[web]\nworkerz = 4\n").unwrap();
    std::fs::write(&bad2, "name = \"b\"\n[traffic]\nvisitors_per_month = -1\n").unwrap();
    let o = simpark()
        .arg("validate")
        .arg(&bad1)
        .arg(repo("scenarios/xpos.toml"))
        .arg(&bad2)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("xpos.toml: ok"), "{out}");
    assert!(err.contains("bad1.toml:3") && err.contains("workerz"), "{err}");
    assert!(
        err.contains("bad2.toml:3") && err.contains("visitors_per_month"),
        "{err}"
    );
}

/// `validate` and `run` report every refusal within one file (semantic checks accumulate), one
/// `error:` line each, exit 2 and write nothing.
#[test]
fn every_error_of_one_file_is_reported() {
    let d = tmpdir("every-error-of-a-file");
    std::fs::create_dir_all(&d).unwrap();
    let bad = d.join("three_mistakes.toml");
    std::fs::write(
        &bad,
        "name = \"three\"\nreplications = 0\n[web]\nworkers = 0\n[backup]\ntime_of_day_h = 25\n",
    )
    .unwrap();
    let out = d.join("out");
    for args in [vec!["validate"], vec!["run", "-q", "--out", out.to_str().unwrap()]] {
        let o = simpark().args(&args).arg(&bad).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        for (line, key) in [(2, "replications"), (4, "web.workers"), (6, "backup.time_of_day_h")] {
            assert!(
                err.contains(&format!("three_mistakes.toml:{line}:")) && err.contains(&format!("key `{key}`")),
                "{args:?}: {key} at line {line} in\n{err}"
            );
        }
        assert_eq!(err.matches("error: ").count(), 3, "{err}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
}

/// An error a flag made points at the flag, not at the file's line; overrides the user never
/// typed (the other flags) are not echoed.
#[test]
fn an_error_made_by_a_flag_names_the_flag() {
    let err = expect_usage(
        &["run", "--horizon", "30m", "--seed", "7", "-r", "1"],
        "error: --horizon 30m: key `warmup`: ",
    );
    assert!(!err.contains("xpos.toml:") && !err.contains("--seed"), "{err}");
    let err = expect_usage(
        &["run", "--set", "web.count=three", "--seed", "7", "-r", "1"],
        "error: --set web.count=three: must be a whole number",
    );
    assert!(!err.contains("seed=7") && !err.contains("u32"), "{err}");
}

/// The README's "What a run gives you" is what `cargo run --release` prints: every line of
/// its sample (but the `$` command and the `...` elisions) appears in the default run's table,
/// so the quoted figures cannot go stale by hand.
#[test]
fn the_readme_sample_output_is_what_the_default_run_prints() {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let sample: Vec<&str> = readme
        .split("$ cargo run --release\n")
        .nth(1)
        .expect("README quotes a run")
        .split("```")
        .next()
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && l.trim() != "...")
        .collect();
    assert!(sample.len() >= 8, "{sample:?}");
    let out = tmpdir("readme-run");
    let run = run_ok(simpark().args(["run", "--out"]).arg(out.join("xpos")));
    let table = String::from_utf8(run.stdout).unwrap();
    for line in sample {
        assert!(
            table.lines().any(|l| l.trim_end() == line.trim_end()),
            "README line not printed by the default run: {line:?}\n{table}"
        );
    }
}

/// A value outside a list of names is refused with the names in one clean list, whether serde
/// wrote them as "one of `a`, `b`, `c`" or as "`a` or `b`" (two names), from a flag or a file.
#[test]
fn a_name_outside_the_list_gets_the_valid_names_in_clean_quotes() {
    for (args, want) in [
        (
            vec!["run", "--set", "traffic.kind=\"nope\""],
            "error: --set traffic.kind=\"nope\": \"nope\" is not valid; expected one of \"profile\", \"poisson\"\n",
        ),
        (
            vec!["run", "--set", "balancer.algorithm=\"rr\""],
            "\"rr\" is not valid; expected one of \"roundrobin\", \"static-rr\", \"leastconn\",",
        ),
    ] {
        let err = expect_usage(&args, want);
        assert!(!err.contains('\\') && !err.contains('`'), "{err}");
    }
    let d = tmpdir("enum-in-file");
    let file = d.join("bad.toml");
    std::fs::write(&file, "[traffic]\nkind = \"nope\"\n").unwrap();
    let out = simpark().arg("validate").arg(&file).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.toml:2:") && err.contains("\"nope\" is not valid; expected one of \"profile\", \"poisson\""),
        "{err}"
    );
}

/// A fault at or after the horizon would never happen: `validate` and `run` refuse it (exit 2,
/// file, line, key, value and what is valid) and `run` writes nothing.
#[test]
fn a_fault_after_the_horizon_is_refused_by_validate_and_run() {
    let d = tmpdir("late-fault");
    let file = d.join("late.toml");
    std::fs::write(
        &file,
        "name = \"late\"\nhorizon = \"1h\"\nwarmup = \"10m\"\n[[fault]]\nat = \"2h\"\ntarget = \"web1\"\nkind = \"crash\"\n",
    )
    .unwrap();
    let out_dir = d.join("out");
    for args in [vec!["validate"], vec!["run", "--out", out_dir.to_str().unwrap()]] {
        let out = simpark().args(&args).arg(&file).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("late.toml:5:1: key `fault[0].at`: \"2h\" is not within the run; expected a time before the horizon (\"1h\")"),
            "{args:?}: {err}"
        );
    }
    assert!(!out_dir.exists(), "a refused run wrote {}", out_dir.display());
}

/// A per-server check setting for a server the park does not have, or out of range, is
/// refused by `validate` and `run` alike (exit 2, file, line, key, value and what is valid)
/// and `run` writes nothing.
#[test]
fn a_bad_per_server_check_is_refused_by_validate_and_run() {
    let d = tmpdir("per-server-check");
    for (text, want) in [
        (
            "name = \"c\"\n[balancer.check.servers.web4]\ninter_ms = 5000\n",
            "c.toml:2:25: key `balancer.check.servers.web4`: `web4` is not a web server; valid: web1 ..= web3",
        ),
        (
            "name = \"c\"\n[balancer.check.servers.web2]\nfall = 0\n",
            "c.toml:3:1: key `balancer.check.servers.web2.fall`: 0 is out of range; expected 1..=1000",
        ),
    ] {
        let file = d.join("c.toml");
        std::fs::write(&file, text).unwrap();
        let out_dir = d.join("out");
        for args in [vec!["validate"], vec!["run", "--out", out_dir.to_str().unwrap()]] {
            let out = simpark().args(&args).arg(&file).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains(want), "{args:?}: {err}");
        }
        assert!(!out_dir.exists(), "a refused run wrote {}", out_dir.display());
    }
}
