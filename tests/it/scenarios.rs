//! Bad input gets a clear error (file, line, key), exit code 2, and nothing written.

use crate::{repo, run_ok, simpark, tmpdir};

/// Write `body` as a scenario file, run `simpark run` on it, and return stderr; asserts exit 2
/// and that no results directory was created.
fn rejected(name: &str, body: &str) -> String {
    let d = tmpdir(name);
    let file = d.join("bad.toml");
    std::fs::write(&file, body).unwrap();
    let out_dir = d.join("out");
    let out = simpark()
        .args(["run", "--quiet", "--out"])
        .arg(&out_dir)
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "expected exit 2, stderr:\n{stderr}");
    assert!(!out_dir.exists(), "an invalid scenario must write nothing");
    assert!(stderr.contains("bad.toml"), "the error must name the file:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn unknown_key_points_at_line_and_key() {
    let e = rejected("unknown", "name = \"x\"\n[web]\ncount = 3\nworkerz = 4\n");
    assert!(e.contains("bad.toml:4:"), "{e}");
    assert!(e.contains("workerz"), "{e}");
    assert!(e.contains("workers"), "the error should say what is valid: {e}");
}

#[test]
fn negative_rate_is_rejected_with_its_key() {
    let e = rejected(
        "negative",
        "name = \"x\"\n\n[traffic]\nkind = \"poisson\"\nrate_per_s = -5.0\n",
    );
    assert!(e.contains("bad.toml:5:"), "{e}");
    assert!(e.contains("traffic.rate_per_s"), "{e}");
}

#[test]
fn wrong_type_is_rejected() {
    let e = rejected("type", "name = \"x\"\n[web]\ncount = \"three\"\n");
    assert!(e.contains("bad.toml:3:"), "{e}");
}

#[test]
fn topology_without_path_to_storage_is_rejected() {
    let e = rejected(
        "topology",
        "name = \"x\"\n[[link]]\nfrom = \"web3\"\nto = \"store1\"\nenabled = false\n",
    );
    assert!(e.contains("no path from clients to storage"), "{e}");
    assert!(e.contains("web3"), "{e}");
}

#[test]
fn fault_on_missing_node_is_rejected() {
    let e = rejected(
        "fault",
        "name = \"x\"\n[[fault]]\nat = \"1h\"\ntarget = \"web7\"\nkind = \"crash\"\n",
    );
    assert!(e.contains("bad.toml:4:"), "{e}");
    assert!(
        e.contains("fault[0].target") && e.contains("web7") && e.contains("web1"),
        "{e}"
    );
}

#[test]
fn bad_duration_and_probability_are_rejected() {
    let e = rejected("duration", "name = \"x\"\nhorizon = \"7 parsecs\"\n");
    assert!(e.contains("bad.toml:2:") && e.contains("horizon"), "{e}");
    let e = rejected("prob", "name = \"x\"\n[requests]\nwrite_fraction = 1.5\n");
    assert!(
        e.contains("requests.write_fraction") && e.contains("probability"),
        "{e}"
    );
}

#[test]
fn bad_override_is_rejected_without_writing() {
    let d = tmpdir("override");
    let out = simpark()
        .args(["run", "--quiet", "--set", "web.count=-1", "--out"])
        .arg(d.join("o"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("web.count"));
    assert!(!d.join("o").exists());
}

#[test]
fn every_shipped_scenario_validates() {
    let mut files = Vec::new();
    let mut stack = vec![repo("scenarios")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
    }
    assert!(files.len() >= 4);
    run_ok(simpark().arg("validate").args(&files));
}

#[test]
fn resolved_scenario_round_trips() {
    let d = tmpdir("roundtrip");
    run_ok(
        simpark()
            .args(["run", "--quiet", "--horizon", "3h", "--replications", "2", "--out"])
            .arg(d.join("a")),
    );
    let resolved = d.join("a/scenario.resolved.toml");
    run_ok(
        simpark()
            .args(["run", "--quiet", "--out"])
            .arg(d.join("b"))
            .arg(&resolved),
    );
    assert_eq!(
        std::fs::read(d.join("a/summary.json")).unwrap(),
        std::fs::read(d.join("b/summary.json")).unwrap()
    );
}

#[test]
fn repair_before_failure_is_rejected() {
    let e = rejected(
        "repair",
        "name = \"x\"\n[[fault]]\nat = \"2h\"\ntarget = \"web1\"\nkind = \"crash\"\n[[fault]]\nat = \"1h\"\ntarget = \"web2\"\nkind = \"recover\"\n",
    );
    assert!(
        e.contains("bad.toml:9:") && e.contains("fault[1].kind") && e.contains("before any failure"),
        "{e}"
    );
}

/// `balancer.ids`, `balancer.disabled` and `balancer.slowstart_ms` (HAProxy `id`, `disabled`,
/// `slowstart`): wrong values name their key, line and what is valid.
#[test]
fn bad_server_ids_disabled_and_slowstart_are_rejected() {
    let e = rejected("ids_dup", "name = \"x\"\n[balancer]\nids = [1, 2, 1]\n");
    assert!(
        e.contains("bad.toml:3:") && e.contains("balancer.ids[2]") && e.contains("unique"),
        "{e}"
    );
    let e = rejected("ids_len", "name = \"x\"\n[balancer]\nids = [1, 2]\n");
    assert!(e.contains("balancer.ids") && e.contains("web.count is 3"), "{e}");
    let e = rejected("ids_zero", "name = \"x\"\n[balancer]\nids = [0, 2, 3]\n");
    assert!(e.contains("balancer.ids[0]") && e.contains("1..="), "{e}");
    let e = rejected("disabled", "name = \"x\"\n[balancer]\ndisabled = [\"web9\"]\n");
    assert!(
        e.contains("bad.toml:3:") && e.contains("balancer.disabled[0]") && e.contains("web1 ..= web3"),
        "{e}"
    );
    let e = rejected(
        "disabled_avail",
        "name = \"x\"\nmode = \"availability\"\n[balancer]\ndisabled = [\"web3\"]\n",
    );
    assert!(e.contains("balancer.disabled") && e.contains("request mode"), "{e}");
    let e = rejected(
        "observe",
        "name = \"x\"\n[balancer.check]\nenabled = false\nobserve = \"layer4\"\n",
    );
    assert!(
        e.contains("balancer.check.observe") && e.contains("needs health checks"),
        "{e}"
    );
    let e = rejected("on_error", "name = \"x\"\n[balancer.check]\non_error = \"explode\"\n");
    assert!(e.contains("bad.toml:3:") && e.contains("mark-down"), "{e}");
    let e = rejected("slowstart", "name = \"x\"\n[balancer]\nslowstart_ms = -5\n");
    assert!(e.contains("balancer.slowstart_ms") && e.contains("milliseconds"), "{e}");
}

/// `[maintenance]`: each bad value is named by file, line and key, with what is valid.
#[test]
fn bad_maintenance_keys_are_rejected_with_their_keys() {
    let base = "name = \"x\"\nmode = \"availability\"\n[maintenance]\nenabled = true\n";
    let cases: [(&str, &str, &str, &str); 6] = [
        ("every = \"100000000y\"", "maintenance.every", "too long", "bad.toml:5:"),
        ("every = \"0s\"", "maintenance.every", "> 0", "bad.toml:5:"),
        ("every = \"30m\"", "maintenance.every", "too short", "bad.toml:5:"),
        (
            "window_start_h = 24.0",
            "maintenance.window_start_h",
            "0..24",
            "bad.toml:5:",
        ),
        (
            "order = [\"web1\", \"web9\"]",
            "maintenance.order[1]",
            "web1..web3",
            "bad.toml:5:",
        ),
        (
            "order = [\"web2\", \"web2\"]",
            "maintenance.order[1]",
            "twice",
            "bad.toml:5:",
        ),
    ];
    for (i, (line, key, valid, at)) in cases.iter().enumerate() {
        let e = rejected(&format!("maintenance{i}"), &format!("{base}{line}\n"));
        assert!(e.contains(key) && e.contains(valid) && e.contains(at), "{line}: {e}");
    }
    // Request mode runs planned maintenance but simulates lb1 alone: lb1 is patched (the site
    // is down meanwhile), lb2 in the roll is refused, not ignored.
    let e = rejected(
        "maintenance_requests",
        "name = \"x\"\n[maintenance]\nenabled = true\norder = [\"web1\", \"lb2\"]\n",
    );
    assert!(
        e.contains("bad.toml:4:") && e.contains("maintenance.order[1]") && e.contains("availability mode"),
        "{e}"
    );
}
