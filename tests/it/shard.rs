//! Sharded runs (`simpark run --shard`, scheduler variables, `--units`) and `simpark merge`:
//! the merged files are byte-identical to one `simpark run`; missing, conflicting and foreign
//! records are named; a property test over random splits.

use crate::{repo, run_ok, simpark, tmpdir};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use simpark::study::shard::{self, Collected, Shard};
use std::path::Path;

/// The files one `simpark run` writes that `simpark merge` writes too.
const FILES: [&str; 4] = [
    "summary.json",
    "timeseries.csv",
    "scenario.resolved.toml",
    "topology.dot",
];

/// store1 crashes at 13:00 and recovers at 14:00 (the horizons below include both: a fault
/// after the horizon is refused): takeovers, health events and pages in the records.
const SCENARIO: &str = "scenarios/faults/store1_crash.toml";
const FLAGS: [&str; 6] = ["--replications", "5", "--horizon", "14h10m", "--quiet", "--jobs"];

fn run(out: &Path, extra: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = simpark();
    cmd.arg("run")
        .arg(repo(SCENARIO))
        .args(FLAGS)
        .arg("1")
        .arg("--out")
        .arg(out);
    cmd.args(extra);
    for var in shard::INDEX_VARS
        .iter()
        .chain(&["SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN"])
    {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("simpark runs")
}

fn assert_same(a: &Path, b: &Path) {
    for f in FILES {
        let (x, y) = (std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap());
        assert!(x == y, "{f} differs between {} and {}", a.display(), b.display());
    }
}

fn merge(dirs: &[&Path], out: &Path) -> std::process::Output {
    let mut cmd = simpark();
    cmd.arg("merge").args(dirs).arg("--quiet").arg("--out").arg(out);
    cmd.output().expect("simpark merge runs")
}

#[test]
fn schedulers_shards_and_merge_give_the_single_run_byte_for_byte() {
    let d = tmpdir("shard-schedulers");
    assert!(run(&d.join("single"), &[], &[]).status.success());
    // AWS Batch array (2 children), one directory per child.
    let (a0, a1) = (d.join("aws0"), d.join("aws1"));
    for (i, dir) in [("0", &a0), ("1", &a1)] {
        let o = run(dir, &["--shard", "auto/2"], &[("AWS_BATCH_JOB_ARRAY_INDEX", i)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let merged = d.join("merged-aws");
    assert!(merge(&[&a0, &a1], &merged).status.success());
    assert_same(&d.join("single"), &merged);
    // A Slurm array --array=1-4: index is the task id minus the array's first id. Inside an
    // array job `--shard auto` is the default (said on stderr).
    let slurm = d.join("slurm");
    let slurm_env = |i| {
        [
            ("SLURM_ARRAY_TASK_ID", i),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]
    };
    for (i, flags) in [
        ("1", &["--shard", "auto"][..]),
        ("2", &[]),
        ("3", &[]),
        ("4", &["--shard", "auto"]),
    ] {
        let o = run(&slurm, flags, &slurm_env(i));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            String::from_utf8_lossy(&o.stderr).contains("inside a Slurm array job"),
            flags.is_empty()
        );
    }
    let merged = d.join("merged-slurm");
    assert!(merge(&[&slurm], &merged).status.success());
    assert_same(&d.join("single"), &merged);
    // `--shard none` is a whole run even inside the array; an index without a count (a
    // Kubernetes Indexed Job) is a whole run with a note naming `--shard auto/N`.
    for (out, flags, env) in [
        ("whole-slurm", &["--shard", "none"][..], &slurm_env("2")[..]),
        ("whole-k8s", &[], &[("JOB_COMPLETION_INDEX", "1")]),
    ] {
        let o = run(&d.join(out), flags, env);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            String::from_utf8_lossy(&o.stderr).contains("--shard auto/N runs this task's shard"),
            out == "whole-k8s"
        );
        assert_same(&d.join("single"), &d.join(out));
    }
    // GNU parallel, the no-scheduler path, with its job log.
    let gnu = d.join("parallel");
    let log = d.join("joblog");
    let o = std::process::Command::new(parallel())
        .args(["--will-cite", "--halt", "now,fail=1", "-j", "2", "--joblog"])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_simpark"))
        .arg("run")
        .arg(repo(SCENARIO))
        .args(FLAGS)
        .args(["1", "--shard", "{}/4", "--out"])
        .arg(&gnu)
        .args([":::", "0", "1", "2", "3"])
        .output()
        .expect("GNU parallel runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let jobs = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        jobs.lines()
            .skip(1)
            .filter(|l| l.split('\t').nth(6) == Some("0"))
            .count(),
        4,
        "{jobs}"
    );
    let merged = d.join("merged-parallel");
    assert!(merge(&[&gnu], &merged).status.success());
    assert_same(&d.join("single"), &merged);
    // Outside any array job, `auto` is an error naming the variables, not a whole run.
    let o = run(&d.join("none"), &["--shard", "auto/2"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("JOB_COMPLETION_INDEX"));
    assert!(!d.join("none").exists(), "nothing is written on a usage error");
}

/// Availability mode (years of failures and repairs; the merge also writes `latency.json`
/// from its request-level sample): shards, a swarm draw and pages in the records.
#[test]
fn availability_shards_merge_to_the_single_run() {
    let d = tmpdir("shard-availability");
    let scenario = repo("scenarios/ci/storage_failover.toml");
    let flags = [
        "--replications",
        "7",
        "--horizon",
        "3y",
        "--swarm",
        "--quiet",
        "--jobs",
        "1",
    ];
    run_ok(
        simpark()
            .arg("run")
            .arg(&scenario)
            .args(flags)
            .arg("--out")
            .arg(d.join("single")),
    );
    for i in 0..3 {
        run_ok(
            simpark()
                .arg("run")
                .arg(&scenario)
                .args(flags)
                .args(["--shard", &format!("{i}/3"), "--out"])
                .arg(d.join("parts")),
        );
    }
    let merged = d.join("merged");
    let o = merge(&[&d.join("parts")], &merged);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in [
        "summary.json",
        "months.csv",
        "days.csv",
        "latency.json",
        "scenario.resolved.toml",
        "topology.dot",
    ] {
        let (x, y) = (
            std::fs::read(d.join("single").join(f)).unwrap(),
            std::fs::read(merged.join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs");
    }
    let summary = std::fs::read_to_string(merged.join("summary.json")).unwrap();
    assert!(summary.contains("InstanceDown"), "pages are in the merged records");
}

/// GNU parallel (Debian `parallel`; `./test` installs it).
fn parallel() -> &'static str {
    let found = ["/usr/bin/parallel", "/usr/local/bin/parallel"]
        .into_iter()
        .find(|p| Path::new(p).is_file());
    found.unwrap_or_else(|| {
        panic!("the GNU parallel test needs it: `apt-get install -y --no-install-recommends parallel` (./test does)")
    })
}

/// `examples/k8s/indexed-job.yaml` emulated: its shard command once per completion index
/// (JOB_COMPLETION_INDEX, as Kubernetes sets it), then its merge command, on a short run.
#[test]
fn kubernetes_example_runs_as_an_indexed_job() {
    let yaml = std::fs::read_to_string(repo("examples/k8s/indexed-job.yaml")).unwrap();
    let completions: u32 = yaml
        .lines()
        .find_map(|l| l.trim().strip_prefix("completions:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The `command:` arrays, a flow sequence that may span lines (JSON as written).
    let mut commands = Vec::new();
    let mut lines = yaml.lines();
    while let Some(l) = lines.next() {
        if let Some(rest) = l.trim().strip_prefix("command:") {
            let mut text = rest.to_string();
            while !text.trim_end().ends_with(']') {
                text.push_str(lines.next().unwrap());
            }
            commands.push(serde_json::from_str::<Vec<String>>(&text).unwrap());
        }
    }
    let [shard_cmd, merge_cmd] = &commands[..] else {
        panic!("two commands expected: {commands:?}")
    };
    assert!(
        shard_cmd.contains(&format!("auto/{completions}")),
        "--shard auto/N must match completions"
    );
    let d = tmpdir("shard-k8s");
    let localise = |cmd: &[String]| -> Vec<String> {
        let mut args: Vec<String> = cmd[1..]
            .iter()
            .map(|a| match a.as_str() {
                "/scenario/park.toml" => repo(SCENARIO).display().to_string(),
                a => a.replace("/results", &d.display().to_string()),
            })
            .collect();
        if let Some(i) = args.iter().position(|a| a == "--replications") {
            args[i + 1] = "5".into();
            args.extend(["--horizon".into(), "14h10m".into()]);
        }
        args
    };
    for i in 0..completions {
        let o = simpark()
            .args(localise(shard_cmd))
            .env("JOB_COMPLETION_INDEX", i.to_string())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    run_ok(simpark().args(localise(merge_cmd)));
    assert!(run(&d.join("single"), &[], &[]).status.success());
    assert_same(&d.join("single"), &d.join("merged"));
}

#[test]
fn missing_units_are_listed_and_topped_up_conflicts_and_other_plans_refused() {
    let d = tmpdir("shard-missing");
    assert!(run(&d.join("single"), &[], &[]).status.success());
    let parts = d.join("parts");
    for i in ["0/3", "2/3"] {
        assert!(run(&parts, &["--shard", i], &[]).status.success());
    }
    let merged = d.join("merged");
    let o = merge(&[&parts], &merged);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("2 of 5 units missing: 1-2"), "{err}");
    assert!(err.contains("--units 1-2"), "{err}");
    assert!(!merged.exists(), "nothing is written while units are missing");
    // Top up from the plan file alone, as the message says.
    let o = simpark()
        .arg("run")
        .arg(parts.join("plan.toml"))
        .args(["--units", "1-2", "--quiet", "--out"])
        .arg(&parts)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // A duplicate shard directory (a retried task) is accepted: its records are identical.
    let again = d.join("again");
    assert!(run(&again, &["--shard", "0/3"], &[]).status.success());
    assert!(merge(&[&parts, &again], &merged).status.success());
    assert_same(&d.join("single"), &merged);
    // A record altered by one byte in a duplicate is a conflict.
    let part = std::fs::read_dir(&again)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .unwrap();
    let text = std::fs::read_to_string(&part).unwrap();
    std::fs::write(&part, text.replacen("\"events\":", "\"events\":1", 1)).unwrap();
    let o = merge(&[&parts, &again], &d.join("conflict"));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("appears twice with different contents"));
    // Records another simpark version wrote are refused, naming the file, line and versions.
    let version = format!("\"simpark\":\"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&version), "records carry the version: {version}");
    std::fs::write(&part, text.replace(&version, "\"simpark\":\"0.0.1\"")).unwrap();
    let o = merge(&[&parts, &again], &d.join("old"));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("record of simpark 0.0.1") && err.contains(".jsonl:1"),
        "{err}"
    );
    assert!(!d.join("old").exists(), "nothing is written");
    // Records of another plan (another seed) are refused, naming the file and line.
    let other = d.join("other");
    assert!(run(&other, &["--shard", "1/3", "--seed", "99"], &[]).status.success());
    std::fs::copy(parts.join("plan.toml"), other.join("plan.toml")).unwrap();
    let o = merge(&[&parts, &other], &d.join("foreign"));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("record of plan") && err.contains(".jsonl:1"), "{err}");
}

#[test]
fn plan_lists_every_unit_once() {
    let o = run_ok(simpark().args(["plan", "--replications", "10", "--shards", "4"]));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("10 units"), "{text}");
    for line in [
        "shard 0/4: units 0-1 (2)",
        "shard 1/4: units 2-4 (3)",
        "shard 3/4: units 7-9 (3)",
    ] {
        assert!(text.contains(line), "{line} not in\n{text}");
    }
}

/// Random shard counts 1..8, records permuted across part files, units dropped or duplicated:
/// the merge equals the single run byte for byte, or names exactly the missing units.
#[test]
fn property_random_splits_merge_to_the_single_run() {
    let m = crate::model(SCENARIO, &["horizon=\"14h5m\"", "replications=7"]);
    let reps = simpark::sim::run_replications(&m, 2, &|| {});
    // The files `simpark run` writes from these replications, by the same library code.
    let bytes = |reps: &[simpark::sim::metrics::RepMetrics]| {
        let reps = simpark::check::run::Replications::Requests(reps.to_vec());
        simpark::run::result_files(&m, &reps, 1).unwrap().files
    };
    let single = bytes(&reps);
    let plan = shard::plan_hash(&m, &simpark::scenario::to_toml(&m.spec));
    let lines: Vec<String> = reps
        .iter()
        .enumerate()
        .map(|(u, r)| shard::record_line(&plan, u as u32, shard::Replication::Requests(r)))
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(14);
    let mut missing_seen = 0;
    for _ in 0..60 {
        let count = rng.random_range(1..=8);
        let mut records: Vec<(u32, String)> = Vec::new();
        let mut dropped = Vec::new();
        for index in 0..count {
            for u in (Shard { index, count }).units(m.replications) {
                match rng.random_range(0..10) {
                    0 => dropped.push(u),
                    1 => {
                        records.push((u, lines[u as usize].clone()));
                        records.push((u, lines[u as usize].clone()));
                    }
                    _ => records.push((u, lines[u as usize].clone())),
                }
            }
        }
        records.shuffle(&mut rng);
        let mut c = Collected::new(m.replications);
        for chunk in records.chunks(rng.random_range(1..=4)) {
            let text: String = chunk.iter().map(|(_, l)| format!("{l}\n")).collect();
            c.add("part", &text, &plan).unwrap();
        }
        dropped.sort_unstable();
        assert_eq!(c.missing(), dropped);
        if dropped.is_empty() {
            assert!(
                bytes(&c.replications().unwrap()) == single,
                "merge differs from the single run"
            );
        } else {
            missing_seen += 1;
        }
    }
    assert!(missing_seen > 0 && missing_seen < 60, "both outcomes must be exercised");
}

/// Daemons this test started, stopped by PID when it ends (pass or fail).
struct Daemons(Vec<std::path::PathBuf>);

impl Drop for Daemons {
    fn drop(&mut self) {
        for pid_file in self.0.iter().rev() {
            if let Ok(pid) = std::fs::read_to_string(pid_file) {
                let _ = std::process::Command::new("kill").arg(pid.trim()).status();
            }
        }
    }
}

fn sh(cmd: &str, args: &[&str], env: &[(&str, &Path)]) -> String {
    let o = std::process::Command::new(cmd)
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        o.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// A real single-node Slurm (Debian `slurm-wlm` and `munge`; `./test` installs them) on
/// 127.0.0.1: the run as `sbatch --array=0-3%2 ... --shard auto` plus a merge job with
/// `--dependency=afterok:<array>`, compared byte for byte with a single-process run.
#[test]
fn slurm_array_and_merge_job_match_the_single_run() {
    let sbin = Path::new("/usr/sbin");
    if !sbin.join("slurmctld").is_file() || !sbin.join("munged").is_file() {
        assert!(
            std::env::var("SIMPARK_SKIP_SLURM").as_deref() == Ok("1"),
            "the Slurm test needs `apt-get install -y --no-install-recommends slurm-wlm munge` (./test does); \
             set SIMPARK_SKIP_SLURM=1 to skip it"
        );
        eprintln!("SIMPARK_SKIP_SLURM=1: Slurm test skipped");
        return;
    }
    let d = tmpdir("shard-slurm");
    for sub in ["state", "spool", "munge"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    sh("chmod", &["700", &d.join("munge").display().to_string()], &[]);
    let key = d.join("munge/munge.key");
    std::fs::write(
        &key,
        (0..1024u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    sh("chmod", &["600", &key.display().to_string()], &[]);
    let mut daemons = Daemons(Vec::new());
    let p = |rel: &str| d.join(rel).display().to_string();
    sh(
        "/usr/sbin/munged",
        &[
            "--force",
            &format!("--socket={}", p("munge/sock")),
            &format!("--key-file={}", p("munge/munge.key")),
            &format!("--pid-file={}", p("munge/pid")),
            &format!("--log-file={}", p("munge/log")),
            &format!("--seed-file={}", p("munge/seed")),
        ],
        &[],
    );
    daemons.0.push(d.join("munge/pid"));
    let host = sh("hostname", &["-s"], &[]);
    let user = sh("id", &["-un"], &[]);
    let port = 20_000 + (std::process::id() % 10_000) * 2;
    let conf = d.join("slurm.conf");
    std::fs::write(
        &conf,
        format!(
            "ClusterName=simpark\nSlurmctldHost={host}(127.0.0.1)\nSlurmctldPort={port}\nSlurmdPort={}\n\
             SlurmUser={user}\nAuthType=auth/munge\nCredType=cred/munge\nAuthInfo=socket={}\n\
             StateSaveLocation={}\nSlurmdSpoolDir={}\nSlurmctldPidFile={}\nSlurmdPidFile={}\n\
             SlurmctldLogFile={}\nSlurmdLogFile={}\nProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n\
             SchedulerType=sched/builtin\nSelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n\
             AccountingStorageType=accounting_storage/none\nJobAcctGatherType=jobacct_gather/none\n\
             JobCompType=jobcomp/none\nMpiDefault=none\nReturnToService=2\n\
             NodeName={host} NodeAddr=127.0.0.1 CPUs={} State=UNKNOWN\n\
             PartitionName=simpark Nodes={host} Default=YES MaxTime=INFINITE State=UP\n",
            port + 1,
            p("munge/sock"),
            p("state"),
            p("spool"),
            p("slurmctld.pid"),
            p("slurmd.pid"),
            p("slurmctld.log"),
            p("slurmd.log"),
            std::thread::available_parallelism().map_or(1, |n| n.get()),
        ),
    )
    .unwrap();
    let env = [("SLURM_CONF", conf.as_path())];
    sh("/usr/sbin/slurmctld", &["-i"], &env);
    daemons.0.push(d.join("slurmctld.pid"));
    sh("/usr/sbin/slurmd", &[], &env);
    daemons.0.push(d.join("slurmd.pid"));
    let simpark_bin = env!("CARGO_BIN_EXE_simpark");
    let common = format!("{simpark_bin} run {} {} 1", repo(SCENARIO).display(), FLAGS.join(" "));
    let array = sh(
        "sbatch",
        &[
            "--parsable",
            "--array=0-3%2",
            "-o",
            &p("array-%a.log"),
            "--wrap",
            &format!("{common} --shard auto --out {}", p("parts")),
        ],
        &env,
    );
    let merge_job = sh(
        "sbatch",
        &[
            "--parsable",
            &format!("--dependency=afterok:{array}"),
            "-o",
            &p("merge.log"),
            "--wrap",
            &format!("{simpark_bin} merge {} --quiet --out {}", p("parts"), p("merged")),
        ],
        &env,
    );
    let deadline = std::time::Duration::from_secs(120);
    let mut waited = std::time::Duration::ZERO;
    while !sh("squeue", &["-h", "-j", &format!("{array},{merge_job}")], &env).is_empty() {
        assert!(
            waited < deadline,
            "Slurm jobs not done after 120 s; logs in {}",
            d.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
        waited += std::time::Duration::from_millis(250);
    }
    assert!(run(&d.join("single"), &[], &[]).status.success());
    assert!(
        d.join("merged/summary.json").is_file(),
        "the merge job wrote nothing; see {}",
        p("merge.log")
    );
    assert_same(&d.join("single"), &d.join("merged"));
    drop(daemons);
}

/// A park small enough to sweep in a second: Poisson arrivals over two web servers.
const SMALL: &str = "name = \"small\"\nseed = 3\nreplications = 3\nhorizon = \"60s\"\nwarmup = \"10s\"\n\
    [traffic]\nkind = \"poisson\"\nrate_per_s = 40.0\n[requests]\nstorage_reads = 0\nwrite_fraction = 0.0\n\
    [balancer.check]\ninter_ms = 1000\n[web]\ncount = 2\nworkers = 2\n[storage]\ncount = 0\n[backup]\nenabled = false\n";

/// Every file of a results directory but `perf.json` (wall clock) and the manifest (which
/// lists `perf.json`).
fn outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .filter(|(n, _)| n != "perf.json" && n != "manifest.json")
        .collect();
    files.sort();
    files
}

fn study(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = simpark();
    cmd.current_dir(cwd).args(args).args(["--quiet", "--jobs", "1"]);
    for var in shard::INDEX_VARS {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("simpark runs")
}

#[test]
fn sweep_and_compare_shards_merge_to_the_single_run() {
    let d = tmpdir("shard-studies");
    std::fs::write(d.join("small.toml"), SMALL).unwrap();
    // Sweep: 3 x 2 points and their N-1 twins, 3 replications each: 36 units.
    let sweep = [
        "sweep",
        "small.toml",
        "--vary",
        "traffic.rate_per_s=20,40,80",
        "--vary",
        "web.count=1..2",
        "--slo-p99-ms",
        "60",
    ];
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        [base, extra].concat()
    }
    assert!(study(&d, &with(&sweep, &["--out", "single"]), &[]).status.success());
    let o = study(&d, &with(&sweep, &["--shards", "3"]), &[]);
    let plan = String::from_utf8_lossy(&o.stdout);
    assert!(
        plan.contains("36 units") && plan.contains("shard 1/3: units 12-23 (12)"),
        "{plan}"
    );
    // Shards 0 and 2 of 3 through GNU parallel (shard 1 "fails").
    let o = std::process::Command::new(parallel())
        .current_dir(&d)
        .args(["--joblog", "shards.log", env!("CARGO_BIN_EXE_simpark")])
        .args(with(
            &sweep,
            &[
                "--quiet", "--jobs", "1", "--shard", "{}/3", "--out", "parts", ":::", "0", "2",
            ],
        ))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(d.join("shards.log")).unwrap().lines().count(),
        3
    );
    // Merged from another directory: the study file says where its scenario is.
    let o = merge(&[&d.join("parts")], &d.join("merged"));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("12 of 36 units missing: 12-23"), "{err}");
    assert!(err.contains("--units 12-23"), "{err}");
    assert!(!d.join("merged").exists(), "nothing is written while units are missing");
    // Top up with equivalent flags (--set instead of --slo-p99-ms): the same plan.
    let o = study(
        &d,
        &[
            "sweep",
            "small.toml",
            "--vary",
            "traffic.rate_per_s=20,40,80",
            "--vary",
            "web.count=1..2",
            "--set",
            "slo.latency_ms_p99_max=60.0",
            "--units",
            "12-23",
            "--out",
            "parts",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(merge(&[&d.join("parts")], &d.join("merged")).status.success());
    let single = outputs(&d.join("single"));
    assert!(single.iter().any(|(n, _)| n == "sweep.json") && single.len() >= 4);
    assert!(
        outputs(&d.join("merged")) == single,
        "merged sweep differs from the single run"
    );
    // Records of another plan (another seed) are refused.
    let o = study(
        &d,
        &with(&sweep, &["--seed", "9", "--units", "0", "--out", "other"]),
        &[],
    );
    assert!(o.status.success());
    let o = merge(&[&d.join("parts"), &d.join("other")], &d.join("foreign"));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("record of plan"));

    // Compare, two modes, as an AWS Batch array of 2 (one directory per child).
    let compare = [
        "compare",
        "small.toml",
        "scenarios/baseline/single_server.toml",
        "--horizon",
        "300s",
        "--warmup",
        "10s",
        "--replications",
        "3",
    ];
    std::fs::create_dir_all(d.join("scenarios/baseline")).unwrap();
    std::fs::copy(
        repo("scenarios/baseline/single_server.toml"),
        d.join("scenarios/baseline/single_server.toml"),
    )
    .unwrap();

    assert!(
        study(&d, &with(&compare, &["--out", "cmp-single"]), &[])
            .status
            .success()
    );
    for i in ["0", "1"] {
        let out = format!("cmp-{i}");
        let o = study(
            &d,
            &with(&compare, &["--shard", "auto/2", "--out", &out]),
            &[("AWS_BATCH_JOB_ARRAY_INDEX", i)],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let merged = d.join("cmp-merged");
    assert!(merge(&[&d.join("cmp-0"), &d.join("cmp-1")], &merged).status.success());
    let single = outputs(&d.join("cmp-single"));
    assert!(single.iter().any(|(n, _)| n == "compare.json"));
    assert!(
        outputs(&merged) == single,
        "merged comparison differs from the single run"
    );
}

/// The study fold: random shard counts, records permuted across part files, units dropped
/// or duplicated; the merged comparison equals the single run's byte for byte, or the
/// missing units are named exactly.
#[test]
fn property_random_splits_of_a_study_merge_to_the_single_run() {
    use simpark::study::{self, compare};
    let load = |sets: &[&str]| {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        simpark::scenario::from_str(SMALL, "small.toml", &sets).unwrap()
    };
    let entries = vec![
        ("a.toml".to_string(), load(&["replications=4"])),
        (
            "b.toml".to_string(),
            load(&["traffic.rate_per_s=80.0", "replications=3"]),
        ),
        ("c.toml".to_string(), load(&["web.count=1", "replications=2"])),
    ];
    let single = compare::compare(&entries, &[], 2, &|| {}).unwrap().json();
    let replications: Vec<u32> = entries.iter().map(|(_, m)| m.replications).collect();
    let units = study::Units::new(&replications);
    let total = units.total() as u32;
    let mut lines = Vec::new();
    study::run_units(
        &units,
        &mut (0..total),
        &|r| entries[r].1.clone(),
        2,
        &|| {},
        &mut |u, _, f| lines.push(shard::record_line("p", u, shard::Replication::Figures(&f))),
    )
    .unwrap();
    assert_eq!(lines.len(), total as usize);
    let meta = |r: usize| (entries[r].1.mode, entries[r].1.mean_rate_per_s());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(15);
    let mut missing_seen = 0;
    for _ in 0..60 {
        let count = rng.random_range(1..=8);
        let mut records: Vec<String> = Vec::new();
        let mut dropped = Vec::new();
        for index in 0..count {
            for u in (Shard { index, count }).units(total) {
                match rng.random_range(0..12) {
                    0 => dropped.push(u),
                    1 => records.extend([lines[u as usize].clone(), lines[u as usize].clone()]),
                    _ => records.push(lines[u as usize].clone()),
                }
            }
        }
        records.shuffle(&mut rng);
        let mut c = Collected::new(total);
        for chunk in records.chunks(rng.random_range(1..=4)) {
            c.add("part", &(chunk.join("\n") + "\n"), "p").unwrap();
        }
        dropped.sort_unstable();
        assert_eq!(c.missing(), dropped);
        if dropped.is_empty() {
            let layout = study::Layout::new(&replications, &|_| None).unwrap();
            let figures = c.figures().unwrap();
            assert_eq!(layout.misfit(&|r| meta(r).0, &figures), None);
            let used = layout.used(&|r| meta(r).0, &|_| None, &figures).unwrap();
            assert_eq!(used, replications);
            let figures = layout.fold(&used, &meta, &figures);
            assert!(
                compare::side_by_side(&entries, figures, Vec::new()).json() == single,
                "merge differs from the single run"
            );
        } else {
            missing_seen += 1;
        }
    }
    assert!(missing_seen > 0 && missing_seen < 60, "both outcomes must be exercised");
}

/// `--precision`: replications in batches until the CI half-width is reached; the same
/// answer with any `--jobs`; the resolved scenario records the count and reruns to the same
/// bytes; a cap; bad targets refused (exit 2, nothing written).
#[test]
fn precision_adds_batches_until_the_half_width_is_reached() {
    let d = tmpdir("precision");
    std::fs::write(d.join("small.toml"), SMALL).unwrap();
    let run = |extra: &[&str], out: &str| {
        simpark()
            .current_dir(&d)
            .args(["run", "small.toml", "--quiet", "--out", out])
            .args(extra)
            .output()
            .unwrap()
    };
    let p99 = |out: &str| {
        let s: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join(out).join("summary.json")).unwrap()).unwrap();
        (
            s["replications"].as_u64().unwrap(),
            s["metrics"]["latency_ms_p99"]["ci95"].as_f64().unwrap(),
        )
    };
    assert!(
        run(&["--precision", "latency_ms_p99:2ms", "--jobs", "2"], "a")
            .status
            .success()
    );
    let (n, ci) = p99("a");
    // Starts at the scenario's 3, then batches of 10.
    assert!(n > 3 && (n - 3) % 10 == 0 && ci <= 2.0, "{n} replications, ci {ci}");
    assert!(
        run(&["--precision", "latency_ms_p99:2ms", "--jobs", "1"], "b")
            .status
            .success()
    );
    let resolved = d.join("a/scenario.resolved.toml");
    let o = simpark()
        .arg("run")
        .arg(&resolved)
        .args(["--quiet", "--out"])
        .arg(d.join("c"))
        .output()
        .unwrap();
    assert!(o.status.success());
    for out in ["b", "c"] {
        for f in ["summary.json", "timeseries.csv", "scenario.resolved.toml"] {
            assert!(
                std::fs::read(d.join("a").join(f)).unwrap() == std::fs::read(d.join(out).join(f)).unwrap(),
                "{f} differs in {out}"
            );
        }
    }
    // An unreachable target stops at the cap (the scenario's 3 plus one batch), with a note.
    let o = run(
        &["--precision", "latency_ms_p99:0.01ms", "--max-replications", "13"],
        "capped",
    );
    assert!(o.status.success());
    assert_eq!(p99("capped").0, 13);
    for (bad, says) in [
        (&["--precision", "p42:5ms"][..], "valid: availability, latency_ms_p99"),
        (&["--precision", "5"][..], "expected a relative half-width"),
        (
            &["--precision", "1%", "--max-replications", "2"][..],
            "below the scenario's 3",
        ),
    ] {
        let o = run(bad, "bad");
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{bad:?}: {err}");
        assert!(!d.join("bad").exists());
    }
}

/// A sharded `simpark check` (units: scenario file with `[[expect]]` blocks x replication)
/// through a Kubernetes-style Indexed Job: the merge prints the same verdicts, writes the same
/// capsule and JUnit bytes and exits as one `simpark check`; a missing shard is named with
/// the `simpark check` line that tops it up.
#[test]
fn check_shards_merge_to_the_single_check() {
    let d = tmpdir("shard-check");
    std::fs::create_dir_all(d.join("checks")).unwrap();
    std::fs::write(
        d.join("checks/a_pass.toml"),
        format!("{SMALL}[[expect]]\nlatency_ms_p99_max = 1000\navailability_request_min = 0.99\n"),
    )
    .unwrap();
    std::fs::write(
        d.join("checks/b_fail.toml"),
        format!(
            "{}[[expect]]\nlatency_ms_p99_max = 1\n",
            SMALL.replace("\"small\"", "\"tight\"")
        ),
    )
    .unwrap();
    std::fs::write(d.join("checks/c_none.toml"), SMALL).unwrap();
    let check = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["check", "checks", "--replications", "4"];
        args.extend_from_slice(extra);
        study(&d, &args, env)
    };
    let single = check(&["--junit", "single.xml", "--out", "caps1"], &[]);
    assert_eq!(
        single.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&single.stderr)
    );
    assert!(d.join("caps1/tight.capsule.toml").exists());
    let o = check(&["--shards", "3"], &[]);
    let plan = String::from_utf8_lossy(&o.stdout);
    assert!(
        plan.contains("8 units") && plan.contains("shard 1/3: units 2-4 (3)"),
        "{plan}"
    );
    for i in ["0", "2"] {
        let o = check(&["--shard", "auto/3", "--out", "parts"], &[("JOB_COMPLETION_INDEX", i)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let merge = |out: &str| {
        let mut cmd = simpark();
        cmd.current_dir(&d)
            .args(["merge", "parts", "--quiet", "--junit", "merged.xml", "--out", out]);
        cmd.output().expect("simpark merge runs")
    };
    let o = merge("caps2");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("3 of 8 units missing: 2-4"), "{err}");
    assert!(
        err.contains("simpark check checks/a_pass.toml checks/b_fail.toml checks/c_none.toml"),
        "{err}"
    );
    assert!(!d.join("merged.xml").exists() && !d.join("caps2").exists());
    let o = check(&["--units", "2-4", "--out", "parts"], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let merged = merge("caps2");
    assert_eq!(
        merged.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&merged.stdout).replace("caps2", "caps1"),
        String::from_utf8_lossy(&single.stdout)
    );
    let read = |p: &str| std::fs::read(d.join(p)).unwrap();
    // Byte for byte but the capsule directory each names in its replay lines.
    let merged_xml = String::from_utf8(read("merged.xml")).unwrap();
    assert!(
        merged_xml.replace("caps2/", "caps1/").as_bytes() == read("single.xml"),
        "JUnit differs"
    );
    assert!(
        read("caps2/tight.capsule.toml") == read("caps1/tight.capsule.toml"),
        "capsule differs"
    );
    assert!(!d.join("caps2/small.capsule.toml").exists());
}

/// `sweep --precision` and `compare --precision`: each run gets replications by the `run
/// --precision` rule, reports how many it used, and the files are the same for any `--jobs`.
#[test]
fn sweep_and_compare_by_precision_are_the_same_for_any_jobs() {
    let d = tmpdir("precision-studies");
    std::fs::write(d.join("small.toml"), SMALL).unwrap();
    let sweep = |jobs: &str, out: &str| {
        let mut cmd = simpark();
        cmd.current_dir(&d).args([
            "sweep",
            "small.toml",
            "--vary",
            "traffic.rate_per_s=20,60",
            "--precision",
            "latency_ms_p99:10ms",
            "--max-replications",
            "60",
            "--quiet",
            "--jobs",
            jobs,
            "--out",
            out,
        ]);
        cmd.output().expect("simpark runs")
    };
    for (jobs, out) in [("1", "s1"), ("2", "s2")] {
        let o = sweep(jobs, out);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(
        outputs(&d.join("s1")) == outputs(&d.join("s2")),
        "--jobs changed a sweep by precision"
    );
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("s1/sweep.json")).unwrap()).unwrap();
    let used: Vec<u64> = json["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["replications"].as_u64().expect("each point names its replications"))
        .collect();
    assert_eq!(used.len(), 4, "2 points and their N-1 twins");
    assert!(
        used.iter()
            .all(|&n| (3..=60).contains(&n) && (n - 3) % 10 == 0 || n == 60),
        "{used:?}"
    );
    assert!(used.iter().any(|&n| n > 3), "{used:?}");
    let compare = |jobs: &str, out: &str| {
        let mut cmd = simpark();
        cmd.current_dir(&d).args([
            "compare",
            "small.toml",
            "--precision",
            "latency_ms_p99:0.01ms",
            "--max-replications",
            "23",
            "--quiet",
            "--jobs",
            jobs,
            "--out",
            out,
        ]);
        cmd.output().expect("simpark runs")
    };
    for (jobs, out) in [("1", "c1"), ("2", "c2")] {
        let o = compare(jobs, out);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(outputs(&d.join("c1")) == outputs(&d.join("c2")));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("c1/compare.json")).unwrap()).unwrap();
    // 0.01 ms is out of reach: the cap, and the count reported is the cap.
    assert_eq!(json["scenarios"][0]["replications"].as_u64(), Some(23));
}

/// Merge `dirs` into `merged`, running every top-up command the merge prints (the next
/// batch of a precision plan) through the shell, as a user would paste it, until it
/// succeeds; the number of top-ups.
fn merge_following_top_ups(cwd: &Path, dirs: &[&Path], merged: &Path) -> usize {
    let bin = Path::new(env!("CARGO_BIN_EXE_simpark")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    for top_ups in 0..120 {
        let o = merge(dirs, merged);
        if o.status.success() {
            return top_ups;
        }
        assert_eq!(o.status.code(), Some(2));
        assert!(!merged.exists(), "nothing is written while replications are missing");
        let err = String::from_utf8_lossy(&o.stderr);
        let cmd = err
            .split_once("then merge again: ")
            .map(|(_, c)| c.trim())
            .unwrap_or_else(|| panic!("no top-up command: {err}"));
        assert!(cmd.contains("simpark ") && cmd.contains(" --units "), "{cmd}");
        run_ok(
            std::process::Command::new("bash")
                .current_dir(cwd)
                .env("PATH", &path)
                .args(["-c", &format!("{cmd} --quiet")]),
        );
    }
    panic!("the merge never stopped asking for units");
}

/// Sharded `sweep --precision` and `compare --precision --peak`: the shards run each run's
/// first replications (the plan says the merge asks for more), the merge applies the rule
/// run by run, printing the exact units of every next batch with the command that runs
/// them, and the merged files equal one process's byte for byte.
#[test]
fn sharded_studies_by_precision_and_with_a_peak_merge_to_the_single_run() {
    let d = tmpdir("shard-precision-studies");
    std::fs::write(d.join("small.toml"), SMALL).unwrap();
    std::fs::write(
        d.join("busy.toml"),
        SMALL.replace("rate_per_s = 40.0", "rate_per_s = 70.0"),
    )
    .unwrap();
    let with =
        |base: &[&str], extra: &[&str]| -> Vec<String> { base.iter().chain(extra).map(|s| s.to_string()).collect() };
    let ok = |args: &[String], env: &[(&str, &str)]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = study(&d, &args, env);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let sweep = [
        "sweep",
        "small.toml",
        "--vary",
        "traffic.rate_per_s=20,60",
        "--precision",
        "latency_ms_p99:10ms",
        "--max-replications",
        "60",
    ];
    ok(&with(&sweep, &["--out", "single"]), &[]);
    let plan = ok(&with(&sweep, &["--shards", "2"]), &[]);
    assert!(
        plan.contains("12 units") && plan.contains("the merge asks for more by precision"),
        "{plan}"
    );
    // Unit ids leave room for each run's cap (60): run 2 starts at unit 120.
    assert!(plan.contains("shard 1/2: units 120-122,180-182 (6)"), "{plan}");
    for i in 0..2 {
        ok(&with(&sweep, &["--shard", &format!("{i}/2"), "--out", "parts"]), &[]);
    }
    let top_ups = merge_following_top_ups(&d, &[&d.join("parts")], &d.join("merged"));
    assert!(top_ups >= 1, "the 3 replications do not meet the target");
    assert!(
        outputs(&d.join("merged")) == outputs(&d.join("single")),
        "merged sweep by precision differs from the single run"
    );

    let compare = [
        "compare",
        "small.toml",
        "busy.toml",
        "--peak",
        "2x1m",
        "--precision",
        "latency_ms_p99:4ms",
        "--max-replications",
        "40",
    ];
    ok(&with(&compare, &["--out", "csingle"]), &[]);
    // A Kubernetes Indexed Job of 3 (the index from JOB_COMPLETION_INDEX).
    for i in ["0", "1", "2"] {
        ok(
            &with(&compare, &["--shard", "auto/3", "--out", "cparts"]),
            &[("JOB_COMPLETION_INDEX", i)],
        );
    }
    let top_ups = merge_following_top_ups(&d, &[&d.join("cparts")], &d.join("cmerged"));
    assert!(top_ups >= 1, "the 3 replications do not meet the target");
    let single = outputs(&d.join("csingle"));
    assert!(
        outputs(&d.join("cmerged")) == single,
        "merged comparison with a peak differs from the single run"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&single.iter().find(|(n, _)| n == "compare.json").unwrap().1).unwrap();
    assert!(
        json["scenarios"][1]["peak"]["latency_ms_p99"]["value"]
            .as_f64()
            .is_some()
    );
    let used: Vec<u64> = (0..2)
        .map(|i| json["scenarios"][i]["replications"].as_u64().unwrap())
        .collect();
    assert!(used.iter().any(|&n| n > 3), "{used:?}");
}

/// `run --precision` with shards: the shards run the plan's units and record the targets,
/// the merge applies the same rule (asking for the next batch with the exact `--units` to run
/// until every target holds), and the merged files equal one `run --precision` byte for byte,
/// in both modes; units beyond the answer are ignored; directories whose targets differ are
/// refused.
#[test]
fn precision_shards_merge_to_the_single_precision_run() {
    let d = tmpdir("shard-precision");
    std::fs::write(d.join("small.toml"), SMALL).unwrap();
    let p = ["--precision", "latency_ms_p99:2ms"];
    let run = |extra: &[&str]| {
        run_ok(
            simpark()
                .current_dir(&d)
                .args(["run", "small.toml", "--quiet", "--jobs", "1"])
                .args(p)
                .args(extra),
        )
    };
    run(&["--out", "single"]);
    run(&["--shard", "0/2", "--out", "p0"]);
    run(&["--shard", "1/2", "--out", "p1"]);
    let (p0, p1, merged) = (d.join("p0"), d.join("p1"), d.join("merged"));
    // The scenario's 3 replications do not meet the target: the merge asks for units 3-12.
    let o = merge(&[&p0, &p1], &merged);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("precision not met after 3 replications: run units 3..12 anywhere")
            && err.contains("--precision latency_ms_p99:2ms --max-replications 1000 --units 3-12 --out"),
        "{err}"
    );
    assert!(!merged.exists());
    let top_ups = merge_following_top_ups(&d, &[&p0, &p1], &merged);
    let single = outputs(&d.join("single"));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("single/summary.json")).unwrap()).unwrap();
    let n = summary["replications"].as_u64().unwrap();
    assert_eq!(n, 3 + 10 * top_ups as u64, "one top-up per batch");
    assert!(
        top_ups >= 1 && single == outputs(&merged),
        "merged after {top_ups} top-ups"
    );
    // Units past the answer (another batch run anyway) change nothing.
    let extra = format!("{n}-{}", n + 9);
    run(&["--units", &extra, "--out", "p1"]);
    std::fs::remove_dir_all(&merged).unwrap();
    assert!(merge(&[&p0, &p1], &merged).status.success());
    assert!(single == outputs(&merged), "units beyond the answer are ignored");
    // Directories with other targets, or a cap, or none, are refused.
    for (extra, out) in [
        (&["--precision", "latency_ms_p99:3ms"][..], "q0"),
        (
            &["--precision", "latency_ms_p99:2ms", "--max-replications", "50"][..],
            "q1",
        ),
        (&[][..], "q2"),
    ] {
        run_ok(
            simpark()
                .current_dir(&d)
                .args(["run", "small.toml", "--quiet", "--units", "0-2", "--out", out])
                .args(extra),
        );
        let o = merge(&[&p0, &d.join(out)], &d.join("mixed"));
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("the directories hold different precision targets"),
            "{err}"
        );
        assert!(!d.join("mixed").exists());
    }
    // Availability mode, three shards.
    let scenario = repo("scenarios/ci/storage_failover.toml");
    let av = |extra: &[&str]| {
        run_ok(
            simpark()
                .current_dir(&d)
                .arg("run")
                .arg(&scenario)
                .args(["--horizon", "1y", "-r", "4", "--quiet", "--jobs", "1"])
                .args(["--precision", "downtime_min_per_year:30%"])
                .args(extra),
        )
    };
    av(&["--out", "av-single"]);
    for i in 0..3 {
        av(&["--shard", &format!("{i}/3"), "--out", "av-parts"]);
    }
    let merged = d.join("av-merged");
    let top_ups = merge_following_top_ups(&d, &[&d.join("av-parts")], &merged);
    assert!(top_ups >= 1, "the target needs more than the scenario's 4 replications");
    assert!(outputs(&d.join("av-single")) == outputs(&merged));
}
