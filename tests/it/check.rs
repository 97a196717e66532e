//! `simpark check`: failover regression checks as CI runs them.

use crate::{repo, simpark, tmpdir};

#[test]
fn shipped_checks_pass_and_write_junit() {
    let d = tmpdir("check-ok");
    let junit = d.join("report.xml");
    let out = simpark()
        .arg("check")
        .arg(repo("scenarios/faults"))
        .arg(repo("scenarios/ci"))
        .arg("--junit")
        .arg(&junit)
        .arg("--capsule-dir")
        .arg(d.join("caps"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("FAIL"), "{text}");
    // Every failover path of scenarios/ci/ ran its checks.
    for key in [
        "ci/web_crash.toml: expect[0].detect_ms_max",
        "ci/web_hang.toml: expect[0].failed_requests_max",
        "ci/rolling_kernel_update.toml: expect[0].failed_requests_max",
        "ci/storage_failover.toml: expect[0].split_brain",
        "ci/lb_takeover.toml: expect[0].lb_takeover_ms_max",
        "ci/disk_rebuild.toml: expect[0].raid_array_losses_max",
        "ci/restore_after_deletion.toml: expect[0].rpo_h_max",
        "ci/restore_after_deletion.toml: expect[0].rto_h_max",
    ] {
        assert!(text.contains(key), "missing {key}:\n{text}");
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("failures=\"0\"") && xml.contains("<testcase"), "{xml}");
}

#[test]
fn a_failing_expectation_exits_1_with_a_replay_line_junit_and_a_capsule() {
    let d = tmpdir("check-fail");
    let file = d.join("too_strict.toml");
    let body = std::fs::read_to_string(repo("scenarios/ci/web_hang.toml"))
        .unwrap()
        .replace("detect_ms_max = 12100", "detect_ms_max = 1000");
    std::fs::write(&file, body).unwrap();
    let junit = d.join("report.xml");
    let caps = d.join("caps");
    let out = simpark()
        .arg("check")
        .arg(&file)
        .arg("--junit")
        .arg(&junit)
        .arg("--capsule-dir")
        .arg(&caps)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAIL") && text.contains("detect_ms_max = 10726.0"),
        "{text}"
    );
    // The capsule: named after the scenario, printed with the replay line (checking it
    // replays the failing check), and it fails the same expectation with the same
    // measurement when checked again.
    let capsule = caps.join("ci_web_hang.capsule.toml");
    let replay = format!("simpark check {}", capsule.display());
    assert!(text.contains(&format!("replay: {replay}\n")), "{text}");
    assert!(text.contains(&format!("capsule: {}", capsule.display())), "{text}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<failure") && xml.contains("failures=\"1\""), "{xml}");
    for needle in [
        "<property name=\"seed\" value=\"7\"/>".to_string(),
        "<property name=\"measured\" value=\"10726.0\"/>".to_string(),
        "<property name=\"bound\" value=\"&lt;= 1000\"/>".to_string(),
        format!("<property name=\"replay\" value=\"{replay}\"/>"),
        "replication 0: FAIL".to_string(),
    ] {
        assert!(xml.contains(&needle), "missing {needle}:\n{xml}");
    }
    let c = std::fs::read_to_string(&capsule).unwrap();
    assert!(
        c.starts_with("# Replay capsule") && c.contains("seed = 7") && c.contains("[[expect]]"),
        "{c}"
    );
    let again = simpark()
        .arg("check")
        .arg(&capsule)
        .arg("--capsule-dir")
        .arg(d.join("caps2"))
        .output()
        .unwrap();
    let text2 = String::from_utf8_lossy(&again.stdout);
    assert_eq!(again.status.code(), Some(1), "{text2}");
    assert!(
        text2.contains("FAIL") && text2.contains("detect_ms_max = 10726.0"),
        "{text2}"
    );
}

#[test]
fn shrink_keeps_only_the_fault_that_breaks_the_expectation() {
    // Three failures, each repaired: two process deaths (refused connections: DOWN within
    // fall x inter = 6 s) and one hang (DOWN only after about 11 s). A 8000 ms detection bound
    // is broken by the hang alone.
    let d = tmpdir("shrink");
    let file = d.join("three_faults.toml");
    let mut body = String::from(
        "name = \"three_faults\"\nseed = 7\nreplications = 4\nhorizon = \"40m\"\nwarmup = \"2m\"\n\
         [traffic]\nkind = \"poisson\"\nrate_per_s = 30.0\n",
    );
    for (at, target, kind) in [
        ("5m", "web1", "process_death"),
        ("6m", "web1", "recover"),
        ("10m", "web2", "hang"),
        ("12m", "web2", "recover"),
        ("14m", "web3", "process_death"),
        ("15m", "web3", "recover"),
    ] {
        body.push_str(&format!(
            "[[fault]]\nat = \"{at}\"\ntarget = \"{target}\"\nkind = \"{kind}\"\n"
        ));
    }
    body.push_str("[[expect]]\nlatency_ms_p99_max = 1000\ndetect_ms_max = 8000\n");
    std::fs::write(&file, body).unwrap();
    let caps = d.join("caps");
    let out = simpark()
        .arg("check")
        .arg(&file)
        .arg("--capsule-dir")
        .arg(&caps)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    let capsule = caps.join("three_faults.capsule.toml");
    // No --out: the result goes beside the capsule, `.capsule.toml` -> `.min.toml`.
    let out = simpark()
        .arg("shrink")
        .arg(&capsule)
        .arg("-j")
        .arg("2")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("faults 6 -> 1") && text.contains("runs tried"), "{text}");
    let min = caps.join("three_faults.min.toml");
    let written = std::fs::read_to_string(&min).unwrap();
    assert!(written.starts_with("# Minimised by `simpark shrink`"), "{written}");
    let m = simpark::scenario::load(&min, &[]).unwrap();
    assert_eq!(m.spec.faults.len(), 1, "{written}");
    assert_eq!(
        (m.spec.faults[0].target.as_str(), m.spec.faults[0].kind),
        ("web2", simpark::scenario::FaultKind::Hang)
    );
    // Shorter and lighter, and it still fails the same expectation.
    assert!(simpark::units::parse_duration(&m.spec.horizon).unwrap() < simpark::units::parse_duration("40m").unwrap());
    assert!(m.spec.traffic.rate_per_s < 30.0);
    let checked = simpark::check::run::run_model(&m, 2);
    let failed: Vec<&str> = checked.failures().map(|r| r.name.as_str()).collect();
    assert_eq!(failed, ["expect[0].detect_ms_max"]);
}

#[test]
fn shrink_refuses_a_scenario_that_does_not_fail() {
    let d = tmpdir("shrink-pass");
    let out = simpark()
        .arg("shrink")
        .arg(repo("scenarios/ci/web_crash.toml"))
        .arg("--out")
        .arg(d.join("min.toml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("every expectation holds") && err.contains("web_crash.toml"),
        "{err}"
    );
    assert!(!d.join("min.toml").exists());
}

#[test]
fn bounds_the_scenario_cannot_produce_are_usage_errors() {
    let d = tmpdir("check-vacuous");
    for (body, key, why) in [
        (
            "name = \"x\"\n[[expect]]\nrpo_h_max = 24\n",
            "expect[0].rpo_h_max",
            "requests mode",
        ),
        (
            "name = \"x\"\nmode = \"availability\"\n[[expect]]\nlb_takeover_ms_max = 3700\n",
            "expect[0].lb_takeover_ms_max",
            "balancer.pair is false",
        ),
        (
            "name = \"x\"\nmode = \"availability\"\n[backup]\nhuman_errors_per_year = 0.0\n[[expect]]\nrestores_min = 1\n",
            "expect[0].restores_min",
            "no restores happen",
        ),
        (
            "name = \"x\"\nmode = \"availability\"\n[[expect]]\nrto_h_max = -1\n",
            "expect[0].rto_h_max",
            "finite bound",
        ),
    ] {
        let file = d.join("bad.toml");
        std::fs::write(&file, body).unwrap();
        let out = simpark().arg("check").arg(&file).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("bad.toml:") && err.contains(key) && err.contains(why),
            "{err}"
        );
    }
}

#[test]
fn an_expectation_the_mode_cannot_produce_is_a_usage_error() {
    let d = tmpdir("check-mode");
    let file = d.join("bad.toml");
    std::fs::write(&file, "name = \"x\"\n[[expect]]\ndata_loss_max = 0\n").unwrap();
    let out = simpark().arg("check").arg(&file).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.toml:3:") && err.contains("expect[0].data_loss_max") && err.contains("requests mode"),
        "{err}"
    );
}

#[test]
fn nothing_to_check_is_an_error_unless_allowed() {
    let d = tmpdir("check-empty");
    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = simpark().arg("check").arg(&empty).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("nothing to check") && err.contains("0 scenario files found") && err.contains("--allow-empty"),
        "{err}"
    );
    // Files without [[expect]] blocks are nothing to check either.
    let plain = d.join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::copy(
        repo("scenarios/baseline/single_server.toml"),
        plain.join("single_server.toml"),
    )
    .unwrap();
    let out = simpark().arg("check").arg(&plain).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    let out = simpark().args(["check", "--allow-empty"]).arg(&empty).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 passed, 0 failed"));
}

#[test]
fn quiet_check_prints_nothing_when_everything_holds() {
    let d = tmpdir("check-quiet");
    let out = simpark()
        .args(["check", "--quiet"])
        .arg(repo("scenarios/ci/web_crash.toml"))
        .arg("--capsule-dir")
        .arg(&d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn the_standby_pair_baseline_keeps_its_data_promises_only_with_sync_replication_and_fencing() {
    // The standby pair's database is on its two servers: synchronous replication and
    // Pacemaker's fencing lose no write and never let both write; async replication loses the
    // lag at every takeover, and without fencing a hung primary keeps writing (split brain).
    let d = tmpdir("check-standby-pair");
    let run = |set: Option<&str>| {
        let mut cmd = simpark();
        cmd.arg("check").arg(repo("scenarios/baseline/standby_pair.toml"));
        if let Some(s) = set {
            cmd.args(["--set", s]);
        }
        let out = cmd.args(["-r", "10", "--capsule-dir"]).arg(&d).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, text) = run(None);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(Some("reliability.storage_failover.replication=\"async\""));
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("FAIL  ") && text.contains("lost_writes_ms_max = "),
        "{text}"
    );
    assert!(
        text.contains("ok    ") && text.contains("split_brain = 0.000"),
        "{text}"
    );
    let (code, text) = run(Some("reliability.storage_failover.fencing=false"));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FAIL  ") && text.contains("split_brain = "), "{text}");
    assert!(text.contains("lost_writes_ms_max = 0.0"), "{text}");
}

#[test]
fn lost_writes_at_failover_are_an_expectation() {
    // The shipped storage failover check holds with synchronous replication (no write is
    // acknowledged before both nodes have it); with async replication every takeover loses
    // the lag window, so "lose no writes" fails.
    let d = tmpdir("check-lost-writes");
    let run = |sets: &[&str]| {
        let mut cmd = simpark();
        cmd.arg("check").arg(repo("scenarios/ci/storage_failover.toml"));
        for s in sets {
            cmd.args(["--set", s]);
        }
        cmd.args(["-r", "4", "--capsule-dir"]).arg(&d).output().unwrap()
    };
    let sync = run(&[]);
    let text = String::from_utf8_lossy(&sync.stdout);
    assert_eq!(sync.status.code(), Some(0), "{text}");
    assert!(text.contains("lost_writes_ms_max = 0.0 (expected <= 0)"), "{text}");
    assert!(text.contains("replication_lag_ms_max = 0.0 (expected <= 0)"), "{text}");
    let lossy = run(&["reliability.storage_failover.replication=\"async\""]);
    let text = String::from_utf8_lossy(&lossy.stdout);
    assert_eq!(lossy.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL  ") && text.contains("lost_writes_ms_max"), "{text}");
    // A fixed lag: every takeover loses exactly it.
    assert!(
        text.contains("replication_lag_ms_max = 100.0 (expected <= 0)"),
        "{text}"
    );
    // The lag as a distribution, drawn at each takeover: the worst one is its sampled tail.
    let drawn = run(&[
        "reliability.storage_failover.replication=\"async\"",
        "reliability.storage_failover.lag={ dist = \"exponential\", mean_ms = 100 }",
    ]);
    let text = String::from_utf8_lossy(&drawn.stdout);
    assert_eq!(drawn.status.code(), Some(1), "{text}");
    let worst: f64 = text
        .lines()
        .find_map(|l| l.split("replication_lag_ms_max = ").nth(1))
        .and_then(|v| v.split(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no replication_lag_ms_max in {text}"));
    assert!(
        worst > 200.0,
        "the worst of many exponential lags (mean 100 ms): {worst} ms"
    );
}
