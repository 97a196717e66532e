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
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("detect_ms_max") && text.contains("split_brain") && !text.contains("FAIL"),
        "{text}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("failures=\"0\"") && xml.contains("<testcase"), "{xml}");
}

#[test]
fn a_failing_expectation_exits_1_with_a_replay_line() {
    let d = tmpdir("check-fail");
    let file = d.join("too_strict.toml");
    let body = std::fs::read_to_string(repo("scenarios/faults/web2_hang.toml"))
        .unwrap()
        .replace("detect_ms_max = 12500", "detect_ms_max = 1000");
    std::fs::write(&file, body).unwrap();
    let junit = d.join("report.xml");
    let out = simpark()
        .arg("check")
        .arg(&file)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAIL") && text.contains("detect_ms_max = 11345.6") && text.contains("replay: simpark run"),
        "{text}"
    );
    assert!(std::fs::read_to_string(&junit).unwrap().contains("<failure"));
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
