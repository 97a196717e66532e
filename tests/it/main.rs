//! The one integration-test binary: modules per concern.

mod analytic;
mod api;
mod availability;
mod check;
mod cli;
mod determinism;
mod examples;
mod faults;
mod fuzz;
mod import;
mod layout;
mod live_haproxy;
mod live_keepalived;
mod live_prometheus;
mod paging;
mod report;
mod robust;
mod scenarios;
mod schema;
mod shard;
mod speed;
mod sweep;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built `simpark` binary.
pub fn simpark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_simpark"))
}

/// An installed program's path: `./test` installs them (it never skips a missing one).
pub fn program(name: &str) -> String {
    for dir in ["/usr/sbin", "/usr/bin", "/sbin"] {
        let p = format!("{dir}/{name}");
        if std::path::Path::new(&p).exists() {
            return p;
        }
    }
    panic!("{name} is not installed: `./test` installs it (apt-get install -y {name})");
}

/// `keepalived -t` (check the configuration and exit) on `path` with `flags` before `-f`:
/// whether it accepted the file, and everything it said (stdout then stderr).
pub fn keepalived_check(flags: &[&str], path: &Path) -> (bool, String) {
    let out = Command::new(program("keepalived"))
        .arg("-t")
        .args(flags)
        .arg("-f")
        .arg(path)
        .output()
        .expect("keepalived -t runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

/// A fresh, empty directory for one test.
pub fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("simpark-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Path of a file shipped in the repository.
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Run `cmd`, assert it succeeded and return its output.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("simpark runs");
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Load a shipped scenario with overrides.
pub fn model(rel: &str, sets: &[&str]) -> simpark::Model {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    simpark::scenario::load(&repo(rel), &sets).unwrap_or_else(|e| panic!("{e}"))
}

/// Run a model on two threads and summarise it.
pub fn summarise(m: &simpark::Model) -> simpark::report::summary::Summary {
    let reps = simpark::sim::run_replications(m, 2, &|| {});
    simpark::report::summary::summarise(m, &reps)
}
