//! `simpark import` against the real programs: every corpus file is accepted by `haproxy -c`
//! (and the keepalived files by `keepalived -t`), and the effective server settings the
//! importer computes (ids, weights, backup, maxconn, disabled, check rise/fall, also as the
//! imported scenario resolves each server's check) equal what a live haproxy 2.6 started on
//! the same file reports on its stats socket. Then the example park of `examples/prod/` is
//! imported and simulated end to end.
//!
//! A missing haproxy or keepalived fails the test (never skips): `./test` installs both.

use crate::{keepalived_check, program, repo, run_ok, simpark, tmpdir};
use simpark::import::haproxy::{self, Options};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// `(name, value)` pairs of the environment a file is read in.
type Env = &'static [(&'static str, &'static str)];

/// (file, backend, environment): every shipped haproxy.cfg the importer is tested on. More
/// files can be added for one run with `SIMPARK_HAPROXY_CORPUS=MANIFEST` (see `manifest_cases`),
/// e.g. third-party configurations kept outside the repository.
const CORPUS: &[(&str, &str, Env)] = &[
    ("examples/prod/haproxy.cfg", "web", &[]),
    (
        "tests/data/haproxy/named-defaults.cfg",
        "app",
        &[("LB_ENV", "production")],
    ),
    (
        "tests/data/haproxy/named-defaults.cfg",
        "staging",
        &[("LB_ENV", "staging")],
    ),
    ("tests/data/haproxy/template-first.cfg", "workers", &[]),
    ("tests/data/haproxy/cache-uri.cfg", "caches", &[]),
    ("tests/data/haproxy/listen-random.cfg", "api", &[]),
    ("tests/data/haproxy/no-balance.cfg", "be", &[]),
    ("tests/data/haproxy/template-zero.cfg", "pool", &[]),
    ("tests/data/haproxy/userlist-first.cfg", "ui", &[]),
    ("tests/data/haproxy/pg-listen.cfg", "writer", &[]),
    ("tests/data/haproxy/pg-listen.cfg", "readers", &[]),
    ("tests/data/haproxy/pg-listen.cfg", "pooler", &[]),
    ("tests/data/haproxy/per-server-checks.cfg", "app", &[]),
];

/// (file, backend): configurations written by HAProxy's authors and installed with Debian's
/// haproxy package (`./test` installs it), every backend with servers in the examples that
/// `haproxy -c` accepts: real-world files the importer reads without our copying them.
const INSTALLED: &[(&str, &str)] = &[
    ("/usr/share/doc/haproxy/examples/content-sw-sample.cfg", "static"),
    ("/usr/share/doc/haproxy/examples/content-sw-sample.cfg", "dynamic"),
    (
        "/usr/share/doc/haproxy/examples/option-http_proxy.cfg",
        "test-proxy-srv",
    ),
    ("/usr/share/doc/haproxy/examples/quick-test.cfg", "p"),
    ("/usr/share/doc/haproxy/examples/socks4.cfg", "SMTP-20025"),
    ("/usr/share/doc/haproxy/examples/socks4.cfg", "SSL-20080"),
];

/// One live haproxy at a time (they are quick, but the machine has few cores).
static LIVE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn stats(sock: &std::path::Path, cmd: &str) -> String {
    let mut s = UnixStream::connect(sock).expect("stats socket");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    s.write_all(format!("{cmd}\n").as_bytes()).expect("command sent");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("answer");
    out
}

/// The config with every `bind` on its own free loopback port and no
/// daemon/chroot/user/group/stats-socket/maxconn/ulimit-n lines in `global` (the test adds its
/// own socket in a second `global`; a global `maxconn 10000` asks for more descriptors than a
/// test may open); a userlist's `user` and `group` lines stay.
fn loopback(text: &str) -> String {
    let mut in_global = false;
    text.lines()
        .filter(|l| {
            let t = l.trim_start();
            match t.split_whitespace().next() {
                Some("global") => in_global = true,
                Some(w) if SECTIONS.contains(&w) => in_global = false,
                _ => {}
            }
            !(in_global
                && [
                    "stats socket",
                    "daemon",
                    "chroot",
                    "user ",
                    "group ",
                    "maxconn ",
                    "ulimit-n ",
                ]
                .iter()
                .any(|p| t.starts_with(p)))
        })
        .map(|l| {
            if l.split_whitespace().next() == Some("bind") {
                format!("    bind 127.0.0.1:{}", free_port())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The section keywords of haproxy 2.6 other than `global`.
const SECTIONS: &[&str] = &[
    "defaults",
    "frontend",
    "backend",
    "listen",
    "userlist",
    "peers",
    "resolvers",
    "mailers",
    "program",
    "http-errors",
    "ring",
    "cache",
    "log-forward",
    "fcgi-app",
];

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("addr")
        .port()
}

/// One file of the corpus: where it is, the backend to import and the environment it is read in.
struct Case {
    path: PathBuf,
    label: String,
    backend: String,
    env: BTreeMap<String, String>,
}

/// The shipped `CORPUS`, then the entries of the manifest named by `SIMPARK_HAPROXY_CORPUS`.
fn corpus_cases() -> Vec<Case> {
    let mut cases: Vec<Case> = CORPUS
        .iter()
        .map(|(rel, backend, env)| Case {
            path: repo(rel),
            label: rel.to_string(),
            backend: backend.to_string(),
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        })
        .collect();
    cases.extend(INSTALLED.iter().map(|(path, backend)| {
        assert!(
            std::path::Path::new(path).exists(),
            "{path}: Debian's haproxy 2.6 package ships it (`./test` installs the package)"
        );
        Case {
            path: path.into(),
            label: path.to_string(),
            backend: backend.to_string(),
            env: BTreeMap::new(),
        }
    }));
    if let Some(manifest) = std::env::var_os("SIMPARK_HAPROXY_CORPUS") {
        cases.extend(manifest_cases(std::path::Path::new(&manifest)));
    }
    cases
}

/// The entries of an external corpus manifest: one `FILE BACKEND [VAR=VALUE]...` a line
/// (`#` starts a comment), FILE relative to the manifest's folder.
fn manifest_cases(manifest: &std::path::Path) -> Vec<Case> {
    let text = std::fs::read_to_string(manifest)
        .unwrap_or_else(|e| panic!("SIMPARK_HAPROXY_CORPUS={}: {e}", manifest.display()));
    let dir = manifest.parent().unwrap_or(std::path::Path::new("."));
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            assert!(
                words.len() >= 2,
                "{}: `{l}` is not `FILE BACKEND [VAR=VALUE]...`",
                manifest.display()
            );
            let env = words[2..]
                .iter()
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or_else(|| panic!("`{kv}` is not VAR=VALUE"));
                    (k.to_string(), v.to_string())
                })
                .collect();
            Case {
                path: dir.join(words[0]),
                label: words[0].to_string(),
                backend: words[1].to_string(),
                env,
            }
        })
        .collect()
}

/// `haproxy -c` must accept the file as it is.
fn assert_haproxy_accepts(haproxy_bin: &str, case: &Case) {
    let check = Command::new(haproxy_bin)
        .args(["-c", "-f"])
        .arg(&case.path)
        .envs(&case.env)
        .output()
        .expect("haproxy -c runs");
    assert!(
        check.status.success(),
        "haproxy -c refuses {}:\n{}",
        case.label,
        String::from_utf8_lossy(&check.stderr)
    );
}

/// Starts haproxy on the file (made loopback-only) and returns its answers to
/// `show servers state BACKEND` and `show stat`.
fn live_answers(haproxy_bin: &str, case: &Case, text: &str, i: usize) -> (String, String) {
    let dir = tmpdir(&format!("import-live-{i}"));
    let sock = dir.join("admin.sock");
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(&cfg, loopback(text)).expect("config written");
    let extra = dir.join("socket.cfg");
    std::fs::write(
        &extra,
        format!("global\n    stats socket {} level admin\n", sock.display()),
    )
    .expect("written");
    let mut child = Command::new(haproxy_bin)
        .arg("-db")
        .arg("-f")
        .arg(&cfg)
        .arg("-f")
        .arg(&extra)
        .envs(&case.env)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("haproxy.log")).expect("log file"))
        .spawn()
        .expect("haproxy starts");
    let mut up = false;
    for _ in 0..200 {
        if UnixStream::connect(&sock).is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let state = up.then(|| stats(&sock, &format!("show servers state {}", case.backend)));
    let stat = up.then(|| stats(&sock, "show stat"));
    child.kill().expect("haproxy stopped by its PID");
    child.wait().expect("reaped");
    let log = std::fs::read_to_string(dir.join("haproxy.log")).unwrap_or_default();
    let (Some(state), Some(stat)) = (state, stat) else {
        panic!("haproxy did not come up on {}:\n{log}", case.label);
    };
    let _ = std::fs::remove_dir_all(&dir);
    (state, stat)
}

/// Whether a `srv_admin_state` says the configuration put the server in maintenance
/// (`disabled`: FMAINT 0x01 | CMAINT 0x04). RMAINT (0x20, a name that did not resolve: no DNS
/// on a test machine) is the environment's doing, not the file's, and is left out.
fn admin_disabled(state: &str) -> bool {
    state.parse::<u32>().expect("srv_admin_state") & 0x05 != 0
}

/// `show servers state`: srv_id srv_name ... srv_admin_state srv_uweight, in declaration
/// order, must equal the imported (id, name, disabled, weight).
fn assert_same_state(case: &Case, be: &haproxy::Backend, state: &str) {
    let live: Vec<(u32, String, bool, u32)> = state
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[2].parse().expect("id"),
                f[3].to_string(),
                admin_disabled(f[6]),
                f[7].parse().expect("weight"),
            )
        })
        .collect();
    let ours: Vec<(u32, String, bool, u32)> = be
        .servers
        .iter()
        .map(|s| (s.id, s.name.clone(), s.disabled, s.weight))
        .collect();
    assert_eq!(
        ours, live,
        "{} backend {}: (id, name, disabled, weight)",
        case.label, case.backend
    );
}

/// Each server's health check as the imported scenario resolves it (`Model::check`), in
/// declaration order: `(checked, rise, fall)`; (false, 0, 0) for a server without checks.
/// The scenario lists the active servers first, then the backups.
fn scenario_checks(case: &Case, be: &haproxy::Backend) -> Vec<(bool, u32, u32)> {
    let imported = haproxy::to_imported(be.clone(), &case.label).unwrap_or_else(|e| panic!("{e}"));
    let toml = imported.to_scenario_toml("corpus", true);
    let m = simpark::scenario::from_str(&toml, "corpus.toml", &[])
        .unwrap_or_else(|e| panic!("{} backend {}: the imported scenario: {e}", case.label, case.backend));
    let order: Vec<&str> = (be.servers.iter().filter(|s| !s.backup))
        .chain(be.servers.iter().filter(|s| s.backup))
        .map(|s| s.name.as_str())
        .collect();
    be.servers
        .iter()
        .map(|s| {
            let i = order
                .iter()
                .position(|n| *n == s.name)
                .expect("every server is in the scenario");
            m.check(i).map_or((false, 0, 0), |c| (true, c.rise, c.fall))
        })
        .collect()
}

/// `show stat`: bck, slim (maxconn, empty = none), check_rise/check_fall (empty = no check)
/// of every imported server must equal the imported ones, both as the importer reads the
/// server line and as the imported scenario resolves each server's health check
/// (`[balancer.check]` and its `[balancer.check.servers.webK]`). (haproxy 2.6 reports no
/// `inter`, `fastinter`, `downinter`, `observe`, `error-limit` or `on-error` on its stats
/// socket; the importer's unit tests hold those.)
fn assert_same_stat(case: &Case, be: &haproxy::Backend, stat: &str) {
    let rel = &case.label;
    let header: Vec<&str> = stat
        .lines()
        .next()
        .expect("header")
        .trim_start_matches("# ")
        .split(',')
        .collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect("column");
    let resolved = scenario_checks(case, be);
    for (s, resolved) in be.servers.iter().zip(resolved) {
        let row: Vec<&str> = stat
            .lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|f| f[0] == case.backend && f[1] == s.name)
            .unwrap_or_else(|| panic!("{rel}: no stat row for {}", s.name));
        let slim: u32 = row[col("slim")].parse().unwrap_or(0);
        assert_eq!(row[col("bck")] == "1", s.backup, "{rel} {}: backup", s.name);
        assert_eq!(slim, s.maxconn, "{rel} {}: maxconn", s.name);
        if row[col("status")] == "MAINT (resolution)" {
            // A name that does not resolve here: haproxy runs no check on it (see `admin_disabled`).
            continue;
        }
        let rise_fall = (row[col("check_rise")].to_string(), row[col("check_fall")].to_string());
        let want = if s.check && !s.disabled {
            (s.rise.to_string(), s.fall.to_string())
        } else {
            (rise_fall.0.clone(), rise_fall.1.clone())
        };
        assert_eq!(rise_fall, want, "{rel} {}: check rise/fall", s.name);
        let checked = !row[col("check_status")].is_empty();
        assert_eq!(checked, s.check && !s.disabled, "{rel} {}: check", s.name);
        // The scenario checks the server iff its line says `check` (a `disabled` one's checks
        // start paused, so haproxy shows no status yet), with the rise and fall it reports.
        let live = (
            s.check,
            row[col("check_rise")].parse().unwrap_or(0),
            row[col("check_fall")].parse().unwrap_or(0),
        );
        if checked {
            assert_eq!(resolved, live, "{rel} {}: the scenario's (check, rise, fall)", s.name);
        } else {
            assert_eq!(resolved.0, s.check, "{rel} {}: the scenario's check", s.name);
        }
    }
}

#[test]
fn live_haproxy_accepts_the_corpus_and_reports_the_imported_server_settings() {
    let _one = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    let haproxy_bin = program("haproxy");
    let cases = corpus_cases();
    let mut servers = 0;
    for (i, case) in cases.iter().enumerate() {
        let text = std::fs::read_to_string(&case.path).expect("corpus file");
        assert_haproxy_accepts(&haproxy_bin, case);
        let opts = Options {
            backend: Some(case.backend.clone()),
            env: case.env.clone(),
            ..Options::default()
        };
        let be = haproxy::parse(&text, &case.label, &opts).unwrap_or_else(|e| panic!("{e}"));
        let (state, stat) = live_answers(&haproxy_bin, case, &text, i);
        assert_same_state(case, &be, &state);
        assert_same_stat(case, &be, &stat);
        servers += be.servers.len();
    }
    let files: std::collections::BTreeSet<&PathBuf> = cases.iter().map(|c| &c.path).collect();
    eprintln!(
        "haproxy corpus: {} files, {} backends, {} servers",
        files.len(),
        cases.len(),
        servers
    );
}

#[test]
fn live_keepalived_accepts_the_example_files() {
    for rel in ["examples/prod/keepalived-lb1.conf", "examples/prod/keepalived-lb2.conf"] {
        let (ok, said) = keepalived_check(&[], &repo(rel));
        assert!(ok, "keepalived -t refuses {rel}:\n{said}");
    }
    // And refuses a broken one, so the check above can fail.
    let dir = tmpdir("keepalived-bad");
    let bad = dir.join("bad.conf");
    std::fs::write(&bad, "vrrp_instance X {\n    state MASTER\n    priority 900\n").expect("written");
    assert!(!keepalived_check(&[], &bad).0, "keepalived -t accepted a broken file");
}

/// keepalived 2.2's own `-t` on instances with `nopreempt` / `preempt_delay`: what it clears
/// (priority 255, state MASTER, nopreempt over preempt_delay) and what it refuses is what
/// the importer clears (each as a warning at its line) and refuses.
#[test]
fn live_keepalived_clears_preemption_as_the_importer_does() {
    // keepalived wants a real interface (not lo) in the instance.
    let iface = std::fs::read_dir("/sys/class/net")
        .expect("/sys/class/net")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n != "lo")
        .min()
        .expect("a network interface besides lo");
    let dir = tmpdir("keepalived-preempt");
    // What each clearing is called by keepalived and by the importer.
    let kinds = [
        (
            "nopreempt will not work with initial state MASTER",
            "`nopreempt` will not work with initial state MASTER",
        ),
        (
            "preempt delay will not work with initial state MASTER",
            "`preempt_delay` will not work with initial state MASTER",
        ),
        (
            "preempt_delay is incompatible with nopreempt",
            "`preempt_delay` is incompatible with nopreempt",
        ),
        (
            "nopreempt is incompatible with priority 255",
            "`nopreempt` is incompatible with priority 255",
        ),
    ];
    let cases: [(&str, u32, &[&str]); 8] = [
        ("MASTER", 200, &["nopreempt"]),
        ("MASTER", 200, &["preempt_delay 5"]),
        ("BACKUP", 200, &["nopreempt", "preempt_delay 5"]),
        ("BACKUP", 255, &["nopreempt"]),
        ("MASTER", 255, &["nopreempt"]),
        ("BACKUP", 150, &["nopreempt"]),
        ("BACKUP", 150, &["preempt_delay 2.5"]),
        ("BACKUP", 150, &["preempt_delay 1001"]),
    ];
    let mut cleared_cases = 0;
    for (state, priority, extra) in cases {
        let lines: String = extra.iter().map(|l| format!("    {l}\n")).collect();
        let text = format!(
            "vrrp_instance VI_1 {{\n    state {state}\n    interface {iface}\n    virtual_router_id 51\n    priority {priority}\n    advert_int 1\n{lines}    virtual_ipaddress {{\n        192.0.2.10/24\n    }}\n}}\n"
        );
        let path = dir.join("k.conf");
        std::fs::write(&path, &text).expect("written");
        let (accepted, said) = keepalived_check(&["-l", "-D"], &path);
        let case = format!("{state} {priority} {extra:?}");
        match simpark::import::keepalived::import(&[(text.clone(), "k.conf".into())], None, &[]) {
            Err(e) => {
                assert!(
                    !accepted && said.contains("not valid"),
                    "{case}: keepalived accepts what the importer refuses ({e}): {said}"
                );
            }
            Ok(v) => {
                let theirs: Vec<&str> = kinds
                    .iter()
                    .filter(|(k, _)| said.contains(k))
                    .map(|(k, _)| *k)
                    .collect();
                let ours: Vec<&str> = kinds
                    .iter()
                    .filter(|(_, m)| v.warnings().iter().any(|w| w.to_string().contains(m)))
                    .map(|(k, _)| *k)
                    .collect();
                assert_eq!(ours, theirs, "{case}: keepalived said {said}");
                assert_eq!(accepted, theirs.is_empty(), "{case}: {said}");
                cleared_cases += usize::from(!theirs.is_empty());
            }
        }
    }
    assert_eq!(cleared_cases, 5, "the cases exercise every clearing");
}

/// The example park: imported from haproxy.cfg and both keepalived.conf files into the
/// checked-in `examples/prod/scenario.toml` (byte for byte), which then runs.
#[test]
fn example_park_imports_to_the_shipped_scenario_and_runs() {
    let dir = tmpdir("import-prod");
    let out = dir.join("scenario.toml");
    let res = run_ok(
        simpark()
            .current_dir(repo(""))
            .args([
                "import",
                "examples/prod/haproxy.cfg",
                "--keepalived",
                "examples/prod/keepalived-lb1.conf",
                "--backend",
                "web",
            ])
            .args([
                "--keepalived",
                "examples/prod/keepalived-lb2.conf",
                "--rules",
                "examples/prod/rules.yml",
                "--alertmanager",
                "examples/prod/alertmanager.yml",
                "--name",
                "prod",
                "--out",
            ])
            .arg(&out),
    );
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(
        stderr.contains("warning: examples/prod/haproxy.cfg:24: section `frontend www` is not imported"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: examples/prod/rules.yml:23: alert `HostOutOfMemory` is not imported: simpark produces no series `node_memory_MemAvailable_bytes`"),
        "{stderr}"
    );
    let written = std::fs::read_to_string(&out).expect("scenario written");
    let shipped = std::fs::read_to_string(repo("examples/prod/scenario.toml")).expect("shipped scenario");
    assert_eq!(
        written, shipped,
        "examples/prod/scenario.toml is stale: regenerate it with the command in docs/import.md"
    );
    for key in [
        "extends = \"xpos\"",
        "pair = true",
        "algorithm = \"roundrobin\"",
        "redispatch = -1",
        "slowstart_ms = 30000.0",
        "fastinter_ms = 500.0",
        "alert = \"ErrorBudgetFastBurn\"",
        "source = \"examples/prod/rules.yml:8\"",
        "receiver = \"oncall-pager\"",
    ] {
        assert!(written.contains(key), "{key} missing:\n{written}");
    }
    let results = dir.join("results");
    run_ok(
        simpark()
            .arg("run")
            .arg(&out)
            .args([
                "--replications",
                "2",
                "--horizon",
                "20m",
                "--warmup",
                "1m",
                "--quiet",
                "--out",
            ])
            .arg(&results),
    );
    let summary = std::fs::read_to_string(results.join("summary.json")).expect("summary written");
    assert!(summary.contains("\"prod\""), "{summary}");
}

#[test]
fn a_file_simpark_cannot_import_exits_2_naming_file_and_line_and_writes_nothing() {
    let dir = tmpdir("import-bad");
    let cfg = dir.join("bad.cfg");
    std::fs::write(
        &cfg,
        "defaults\n    timeout connect 1s\nbackend be\n    balance url_param id\n    server a 10.0.0.1:80\n",
    )
    .expect("written");
    let out = dir.join("never.toml");
    let res = simpark()
        .arg("import")
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(res.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(
        stderr.contains("bad.cfg:4: `balance url_param` is not modelled by simpark; valid: roundrobin"),
        "{stderr}"
    );
    assert!(!out.exists());
    let res = simpark().arg("import").output().expect("runs");
    assert_eq!(res.status.code(), Some(2));
}

#[test]
fn a_3_3_file_without_balance_is_random() {
    let res = run_ok(simpark().current_dir(repo("")).args([
        "import",
        "tests/data/haproxy/no-balance.cfg",
        "--haproxy-version",
        "3.3",
    ]));
    let text = String::from_utf8_lossy(&res.stdout);
    assert!(
        text.contains("algorithm = \"random\"") && text.contains("draws = 2"),
        "{text}"
    );
    let res = run_ok(
        simpark()
            .current_dir(repo(""))
            .args(["import", "tests/data/haproxy/no-balance.cfg"]),
    );
    assert!(String::from_utf8_lossy(&res.stdout).contains("algorithm = \"roundrobin\""));
}

/// "Would my alerts have paged?" end to end on the example park: its imported rules and
/// Alertmanager tree, an hour-long crash of web2; `simpark check` judges the paging keys.
#[test]
fn example_park_alerts_page_for_a_crash() {
    let dir = tmpdir("import-prod-paging");
    let shipped = std::fs::read_to_string(repo("examples/prod/scenario.toml")).expect("shipped scenario");
    let scenario = dir.join("incident.toml");
    let text = shipped.replace(
        "name = \"prod\"",
        "name = \"prod-incident\"\nreplications = 3\nhorizon = \"4h\"\nwarmup = \"10m\"",
    ) + r#"
[[fault]]
at = "1h"
target = "web2"
kind = "crash"

[[fault]]
at = "2h"
target = "web2"
kind = "recover"

[[expect]]
alert_rule = "InstanceDown"
alert_recall_min = 1.0
alert_precision_min = 1.0
alert_detect_ms_max = 400000

[[expect]]
alert_pages_per_week_max = 100
"#;
    std::fs::write(&scenario, text).unwrap();
    let out = run_ok(
        simpark()
            .arg("check")
            .arg(&scenario)
            .arg("--out")
            .arg(dir.join("results")),
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for key in [
        "alert_recall_min",
        "alert_precision_min",
        "alert_detect_ms_max",
        "alert_pages_per_week_max",
    ] {
        assert!(
            printed.contains(&format!("ok    {}: expect[", scenario.display())) && printed.contains(key),
            "{key}: {printed}"
        );
    }
    eprintln!("{printed}");
}

/// Global `unsetenv A B` removes every name it lists, in the real haproxy 2.6 and in the
/// importer alike: `.if defined(X)` + `.alert` fails the file while a name is still set
/// (the importer once kept every name of a two-name `unsetenv`).
#[test]
fn live_haproxy_unsetenv_removes_every_name_as_the_importer_does() {
    let haproxy_bin = program("haproxy");
    let text = |unset: &str| {
        format!(
            "global\n    setenv A 1\n    setenv B 2\n    {unset}\n.if defined(A)\n    .alert \"A is still set\"\n.endif\n\
             .if defined(B)\n    .alert \"B is still set\"\n.endif\ndefaults\n    mode http\n    timeout connect 1s\n\
             timeout client 1s\n    timeout server 1s\nbackend be\n    server a 127.0.0.1:8080\n"
        )
    };
    let dir = tmpdir("import-unsetenv");
    for (unset, still_set) in [("unsetenv A B", None), ("unsetenv A", Some("B is still set"))] {
        let cfg = dir.join("haproxy.cfg");
        std::fs::write(&cfg, text(unset)).expect("written");
        let o = Command::new(&haproxy_bin)
            .args(["-c", "-f"])
            .arg(&cfg)
            .output()
            .expect("haproxy -c runs");
        let said = String::from_utf8_lossy(&o.stderr).to_string();
        let imported = haproxy::parse(&text(unset), "haproxy.cfg", &Options::default());
        match still_set {
            None => {
                assert!(!said.contains("still set"), "{unset}: haproxy: {said}");
                assert!(imported.is_ok(), "{unset}: importer: {:?}", imported.err());
            }
            Some(alert) => {
                assert!(said.contains(alert), "{unset}: haproxy: {said}");
                let e = imported.err().map(|e| e.to_string()).unwrap_or_default();
                assert!(e.contains(alert), "{unset}: importer: {e}");
            }
        }
    }
}

/// One keepalived.conf for both routers, as keepalived's `-i` reads it: `--config-id` once per
/// `--keepalived` file gives each router its `@ID` lines; a count that fits neither one id for
/// all nor one per file is refused (exit 2).
#[test]
fn one_keepalived_file_for_both_routers_by_config_id() {
    let dir = tmpdir("config-id");
    let conf = dir.join("pair.conf");
    std::fs::write(
        &conf,
        "global_defs {\n    vrrp_version 3\n}\nvrrp_instance VI_1 {\n    state BACKUP\n@high    priority 170\n@low    priority 85\n}\n",
    )
    .expect("written");
    let out = run_ok(
        simpark()
            .args(["import", "--keepalived"])
            .arg(&conf)
            .arg("--keepalived")
            .arg(&conf)
            .args(["--config-id", "high", "--config-id", "low"]),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("vrrp_priority_lb1 = 170") && text.contains("vrrp_priority_lb2 = 85"),
        "{text}"
    );
    let out = simpark()
        .args(["import", "--keepalived"])
        .arg(&conf)
        .args(["--config-id", "high", "--config-id", "low"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--config-id is given 2 times for 1 --keepalived files"));
}
