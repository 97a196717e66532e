//! Robustness (issue 9): the regression corpus, exit codes and replay lines, the results
//! directory as a unit, bounded inputs and escaped output.

use crate::{repo, run_ok, simpark, tmpdir};
use std::path::{Path, PathBuf};
use std::process::Output;

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn refused_corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo("scenarios/regressions/refused"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".toml.refused"))
        .collect();
    files.sort();
    files
}

/// Every past failure under `scenarios/regressions/refused/` is refused by `validate` and by
/// `run` alike: exit 2, the file, line and key named, nothing written, no panic.
#[test]
fn the_refused_corpus_is_refused_with_file_line_and_key() {
    let files = refused_corpus();
    assert!(files.len() >= 15, "{files:?}");
    for f in &files {
        let head = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        assert!(
            head.starts_with("# Regression"),
            "{}: header says what broke",
            f.display()
        );
        let directive = |name: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(&format!("# {name}: ")))
                .map(str::to_string)
        };
        let key = directive("expect-key").unwrap_or_else(|| panic!("{}: no expect-key", f.display()));
        let d = tmpdir(&format!("refused-{}", f.file_stem().unwrap().to_string_lossy()));
        let out = d.join("out");
        for args in [vec!["validate"], vec!["run", "-q", "--out", out.to_str().unwrap()]] {
            let o = simpark().args(&args).arg(f).output().unwrap();
            let t = text(&o);
            assert_eq!(o.status.code(), Some(2), "{}: {t}", f.display());
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                t.contains(&format!("{name}:")),
                "{}: names the file and line: {t}",
                f.display()
            );
            assert!(
                t.contains(&format!("key `{key}`")),
                "{}: names the key: {t}",
                f.display()
            );
            if let Some(want) = directive("expect-text") {
                assert!(t.contains(&want), "{}: {t}", f.display());
            }
            assert!(!t.contains("panicked"), "{t}");
            assert!(!out.exists(), "{}: nothing written", f.display());
        }
    }
}

/// `simpark run f` in request and in availability mode, into `d/requests` and
/// `d/availability`; each must succeed.
fn run_in_both_modes(f: &Path, d: &Path) {
    for mode in ["requests", "availability"] {
        run_ok(
            simpark()
                .args(["run", "-q", "--set", &format!("mode={mode}"), "--out"])
                .arg(d.join(mode))
                .arg(f),
        );
    }
}

/// A storage node rebooting faster than the token timeout runs to the end in both modes.
#[test]
fn quick_reboot_regression_runs_in_both_modes() {
    let f = repo("scenarios/regressions/quick_reboot_store1.toml");
    let d = tmpdir("quick-reboot");
    run_in_both_modes(&f, &d);
    let o = simpark().args(["check"]).arg(&f).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// A web server crashing while health checks are off runs to the end in both modes (it
/// panicked the request driver once). Nothing marks web1 DOWN, so lb1 keeps picking it; its
/// refused connections are retried and, with `option redispatch`, served by the others.
#[test]
fn crash_without_health_checks_runs_in_both_modes() {
    let f = repo("scenarios/regressions/crash_without_health_checks.toml");
    let d = tmpdir("crash-no-checks");
    run_in_both_modes(&f, &d);
    let summary = std::fs::read_to_string(d.join("requests/summary.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&summary).unwrap();
    let retries = v["metrics"]["retries_per_kreq"]["value"].as_f64();
    assert!(
        retries.is_some_and(|r| r > 10.0),
        "picks of the crashed web1 are retried: {summary}"
    );
    assert_eq!(v["metrics"]["requests_failed_total"], 0, "and redispatched: {summary}");
}

fn replay_of(o: &Output) -> Vec<String> {
    let stderr = String::from_utf8_lossy(&o.stderr);
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("replay: "))
        .unwrap_or_else(|| panic!("no replay line: {}", text(o)));
    let line = line.split("   #").next().unwrap();
    // The line is for a POSIX shell; its words here need no unquoting but single quotes.
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    words.push(cur);
    assert_eq!(words[0], "simpark");
    words.split_off(1)
}

/// Exit 3 prints a replay line that reproduces the failure: running it gives exit 3 again.
/// The hidden test hook `--debug-invariant-panic` provokes the failure deterministically.
#[test]
fn replay_lines_replay() {
    let d = tmpdir("replay");
    let out = d.join("out");
    let f = repo("scenarios/faults/web2_crash.toml");
    let o = simpark()
        .args([
            "run",
            "-q",
            "--horizon",
            "15h",
            "--warmup",
            "30m",
            "--set",
            "web.count=3",
        ])
        .args(["--replications", "2", "--debug-invariant-panic", "--out"])
        .arg(&out)
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(!out.exists(), "nothing written on exit 3");
    let words = replay_of(&o);
    let joined = words.join(" ");
    for flag in [
        "--horizon 54000s",
        "--warmup 1800s",
        "--set web.count=3",
        "--replications 2",
    ] {
        assert!(joined.contains(flag), "{flag} in {joined}");
    }
    let again = simpark().args(&words).args(["--out"]).arg(&out).output().unwrap();
    assert_eq!(again.status.code(), Some(3), "{}", text(&again));
    // `check` catches it too (it exited 101), with a replay line that replays.
    let o = simpark()
        .args(["check", "--warmup", "2m", "--debug-invariant-panic"])
        .arg(repo("scenarios/ci/web_crash.toml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let words = replay_of(&o);
    assert!(words.join(" ").contains("--warmup 120s"), "{words:?}");
    let again = simpark().args(&words).args(["--out"]).arg(&out).output().unwrap();
    assert_eq!(again.status.code(), Some(3), "{}", text(&again));
}

fn quick_run(out: &Path, seed: u64) -> Output {
    simpark()
        .args(["run", "-q", "--horizon", "2h", "--warmup", "1h", "-r", "2", "--seed"])
        .arg(seed.to_string())
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// The results directory is a unit: a second writer fails fast, a dead writer's staging
/// directory is cleaned, `report` refuses a mix of two runs, a bad `--out` is found before
/// simulating.
#[test]
fn results_directory_is_written_as_a_unit() {
    let d = tmpdir("unit");
    let a = d.join("a");
    // A dead writer left a staging directory: the next run removes it.
    let stale = d.join(".a.staging-4000000000");
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join("summary.json"), "{").unwrap();
    let o = quick_run(&a, 1);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!stale.exists());
    assert!(a.join("manifest.json").is_file());
    // A second writer fails fast while the lock is held.
    let lock = std::fs::File::options().write(true).open(d.join(".a.lock")).unwrap();
    lock.try_lock().unwrap();
    let o = quick_run(&a, 2);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("another simpark is writing"), "{}", text(&o));
    drop(lock);
    // A request run over an availability run leaves only the request run's files.
    let o = simpark()
        .args(["run", "-q", "-r", "2", "--horizon", "1y", "--out"])
        .arg(&a)
        .arg(repo("scenarios/baseline/xpos.toml"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(a.join("months.csv").is_file() && !a.join("timeseries.csv").exists());
    run_ok(simpark().arg("report").arg(&a).arg("--out").arg(d.join("rep")));
    // Mix in a file of another run: report refuses.
    let b = d.join("b");
    let o = simpark()
        .args(["run", "-q", "-r", "2", "--horizon", "1y", "--seed", "5", "--out"])
        .arg(&b)
        .arg(repo("scenarios/baseline/xpos.toml"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    std::fs::copy(b.join("months.csv"), a.join("months.csv")).unwrap();
    let o = simpark()
        .arg("report")
        .arg(&a)
        .arg("--out")
        .arg(d.join("rep2"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("months.csv"), "{}", text(&o));
    assert!(!d.join("rep2").exists());
    // --out that cannot be a directory: refused before simulating.
    let file = d.join("plain");
    std::fs::write(&file, "x").unwrap();
    let o = quick_run(&file, 1);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--out"), "{}", text(&o));
    // A directory simpark did not write is never replaced.
    let o = quick_run(&repo("src"), 1);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not a simpark results directory"), "{}", text(&o));
}

/// Inputs are bounded: a scenario file is read up to a size cap, `--jobs` is lowered.
#[test]
fn inputs_are_bounded() {
    let o = simpark().args(["validate", "/dev/zero"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("larger than"), "{}", text(&o));
    let d = tmpdir("jobs");
    let o = simpark()
        .args([
            "run",
            "-q",
            "--jobs",
            "100000",
            "-r",
            "1",
            "--horizon",
            "70m",
            "--warmup",
            "1h",
            "--out",
        ])
        .arg(d.join("out"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("--jobs 100000 lowered to"), "{}", text(&o));
    assert_eq!(text(&o).matches("lowered to").count(), 1, "said once: {}", text(&o));
}

/// An overloaded park is said to be overloaded. The warning looks at the busiest piece of the
/// traffic within the run (`model::traffic::peak_rate_per_s`), so the run spans the day's peak.
#[test]
fn overload_is_reported() {
    let d = tmpdir("overload");
    let o = simpark()
        .args(["run", "-q", "-r", "1", "--horizon", "20h", "--warmup", "1h"])
        .args([
            "--set",
            "web.count=1",
            "--set",
            "web.workers=1",
            "--set",
            "balancer.weights=[]",
        ])
        .args(["--set", "traffic.visitors_per_month=1e7", "--out"])
        .arg(d.join("out"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("the park is overloaded"), "{}", text(&o));
    let o = quick_run(&d.join("calm"), 1);
    assert!(!text(&o).contains("overloaded"), "{}", text(&o));
}

/// `report.md` shows a customer name as text: no HTML, links or headings from it.
#[test]
fn report_md_escapes_the_customer_name() {
    let d = tmpdir("md-escape");
    let o = simpark()
        .args(["run", "-q", "-r", "2", "--horizon", "1y", "--out"])
        .arg(d.join("res"))
        .arg(repo("scenarios/baseline/xpos.toml"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let evil = "Evil <script>alert(1)</script>\n# Owned [click](javascript:alert(1)) ![x](y)";
    run_ok(
        simpark()
            .arg("report")
            .arg(d.join("res"))
            .args(["--customer", evil, "--out"])
            .arg(d.join("rep")),
    );
    let md = std::fs::read_to_string(d.join("rep/report.md")).unwrap();
    assert!(!md.contains("<script>") && !md.contains("](javascript"), "{md}");
    assert!(!md.lines().any(|l| l.starts_with("# Owned")), "{md}");
    assert!(md.contains("&lt;script&gt;"), "{md}");
}

/// A long replication reports progress as it goes: the simulator's counter of simulated time
/// advances by the horizon per request-level replication (other tests may add to it too).
#[test]
fn progress_counts_simulated_time_within_a_replication() {
    let m = crate::model(
        "scenarios/xpos.toml",
        &["replications=1", "horizon=\"2h\"", "warmup=\"1h\""],
    );
    let before = simpark::sim::simulated_ns();
    simpark::sim::run_replications(&m, 1, &|| {});
    assert!(simpark::sim::simulated_ns() - before >= m.horizon.as_nanos());
}
