//! What-if commands: `simpark sweep` (grids, the planner's answer, N-1, determinism, bad
//! input) and `simpark compare`.

use crate::{repo, run_ok, simpark, tmpdir};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A park small enough to sweep in seconds: Poisson arrivals over two web servers with two
/// workers each, exp(10 ms) service (capacity 400 req/s, 200 req/s with one server down),
/// health checks every second so a crashed server is out well within the warm-up.
const SMALL_PARK: &str = r#"
name = "small_park"
seed = 7
replications = 3
horizon = "100s"
warmup = "20s"

[traffic]
kind = "poisson"
rate_per_s = 100.0

[requests]
storage_reads = 0
write_fraction = 0.0

[balancer.check]
inter_ms = 1000

[web]
count = 2
workers = 2
queue_max = 200
service = { dist = "exponential", mean_ms = 10.0 }

[storage]
count = 0

[backup]
enabled = false

[network]
client_lb = { dist = "deterministic", mean_ms = 1.0 }
lb_web = { dist = "deterministic", mean_ms = 0.1 }
web_storage = { dist = "deterministic", mean_ms = 0.1 }

[slo]
latency_ms_p99_max = 80
availability_min = 0.99
"#;

fn small_park(dir: &Path) -> PathBuf {
    let p = dir.join("small_park.toml");
    std::fs::write(&p, SMALL_PARK).unwrap();
    p
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn svg_ok(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(text.starts_with("<svg") && text.len() > 1000, "{}", path.display());
}

#[test]
fn sweep_finds_the_traffic_limit_inside_the_range_and_n_minus_1_below_it() {
    let d = tmpdir("sweep-answer");
    let scenario = small_park(&d);
    let out = d.join("out");
    let o = run_ok(
        simpark()
            .arg("sweep")
            .arg(&scenario)
            .args(["--vary", "traffic.rate_per_s=40..360:lin:5", "--jobs", "2", "--out"])
            .arg(&out),
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("The park meets the SLO up to ~"), "{stdout}");
    assert!(stdout.contains("(N-1: ") && stdout.contains("latency knee"), "{stdout}");
    // The per-point table, as `compare` prints one: every run (N-1 twins marked) with p99,
    // availability and CIs, and whether it meets the SLO.
    let header = stdout
        .lines()
        .find(|l| l.contains("traffic.rate_per_s") && l.contains("p99 ms") && l.contains("meets SLO"))
        .unwrap_or_else(|| panic!("no per-point table:\n{stdout}"));
    assert!(header.contains("availability (requests)"), "{header}");
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains(" ± "))
        .collect();
    assert_eq!(rows.len(), 10, "5 points and 5 N-1 twins:\n{stdout}");
    assert_eq!(rows.iter().filter(|l| l.contains("(N-1)")).count(), 5, "{stdout}");
    assert!(
        rows.iter().any(|l| l.trim_end().ends_with("yes")) && rows.iter().any(|l| l.trim_end().ends_with("NO")),
        "{stdout}"
    );

    let s = json(&out.join("sweep.json"));
    assert_eq!(s["schema_version"], 1);
    assert_eq!(s["scenario"], "small_park");
    assert_eq!(s["vary"][0]["key"], "traffic.rate_per_s");
    assert_eq!(s["slo"]["latency_ms_p99_max"], 80.0);
    let points = s["points"].as_array().unwrap();
    assert_eq!(points.len(), 10, "5 points, each also with web1 down");
    let (up, n1): (Vec<&Value>, Vec<&Value>) = points.iter().partition(|p| p["n_minus_1"] == false);
    assert_eq!((up.len(), n1.len()), (5, 5));
    assert!(
        points[..5].iter().all(|p| p["n_minus_1"] == false),
        "all-up points first"
    );
    let p99: Vec<f64> = up
        .iter()
        .map(|p| p["metrics"]["latency_ms_p99"]["value"].as_f64().unwrap())
        .collect();
    for w in p99.windows(2) {
        assert!(
            w[1] > w[0],
            "p99 must rise with traffic (common random numbers): {p99:?}"
        );
    }
    for p in &up {
        assert!(p["metrics"]["latency_ms_p99"]["ci95"].is_number());
        assert!(p["metrics"]["availability_request"]["value"].is_number());
        assert!(p["metrics"]["offered_rps"].is_number());
    }
    // The same traffic with one server fewer is slower.
    for (a, b) in up.iter().zip(&n1) {
        assert_eq!(a["values"], b["values"]);
        assert!(b["metrics"]["latency_ms_p99"]["value"].as_f64() > a["metrics"]["latency_ms_p99"]["value"].as_f64());
    }
    let row = &s["answer"]["rows"][0];
    let max = &row["max_traffic"];
    assert_eq!(max["position"], "inside", "{row}");
    let all_up = max["value"].as_f64().unwrap();
    assert!(all_up > 40.0 && all_up < 360.0, "{all_up}");
    let n_minus_1 = row["max_traffic_n_minus_1"]["value"].as_f64().unwrap_or(0.0);
    assert!(n_minus_1 <= all_up, "N-1 {n_minus_1} > all up {all_up}");
    assert!(n_minus_1 < all_up * 0.75, "one of two servers down must cost capacity");
    let knee = row["knee"]["value"].as_f64().unwrap();
    assert!(knee > 40.0 && knee <= 360.0, "{knee}");
    assert_eq!(s["answer"]["traffic_key"], "traffic.rate_per_s");
    assert!(
        s["answer"]["sentences"][0]
            .as_str()
            .unwrap()
            .starts_with("The park meets")
    );

    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let mut lines = csv.lines();
    let head = lines.next().unwrap();
    assert!(head.starts_with("n_minus_1,traffic.rate_per_s,meets_slo,offered_rps,latency_ms_p99,latency_ms_p99_ci95"));
    assert_eq!(lines.count(), 10);
    for f in [
        "sweep_latency_ms_p99.svg",
        "sweep_availability_request.svg",
        "sweep_latency_ms_p99_n_minus_1.svg",
        "sweep_availability_request_n_minus_1.svg",
    ] {
        svg_ok(&out.join(f));
    }
    let p99_chart = std::fs::read_to_string(out.join("sweep_latency_ms_p99.svg")).unwrap();
    assert!(p99_chart.contains("SLO 80"), "the SLO line is drawn");
    // Human labels, not raw key names; availability zoomed and written as percentages.
    assert!(p99_chart.contains("p99 latency [ms]") && p99_chart.contains("offered load [req/s]"));
    let avail_chart = std::fs::read_to_string(out.join("sweep_availability_request.svg")).unwrap();
    let texts = svg_texts(&avail_chart);
    assert!(texts.iter().any(|t| t == "requests served"), "{texts:?}");
    assert!(
        texts.iter().any(|t| t.ends_with('%') && !t.starts_with("SLO")),
        "percent ticks: {texts:?}"
    );
}

#[test]
fn a_categorical_key_gets_a_category_axis() {
    let d = tmpdir("sweep-categories");
    let scenario = small_park(&d);
    let out = d.join("out");
    run_ok(
        simpark()
            .arg("sweep")
            .arg(&scenario)
            .args([
                "--vary",
                "balancer.algorithm=roundrobin,leastconn,first",
                "--horizon",
                "60s",
                "--warmup",
                "10s",
                "-r",
                "2",
                "--quiet",
                "--out",
            ])
            .arg(&out),
    );
    let texts = svg_texts(&std::fs::read_to_string(out.join("sweep_latency_ms_p99.svg")).unwrap());
    for name in ["roundrobin", "leastconn", "first", "balancing algorithm"] {
        assert!(texts.iter().any(|t| t == name), "no `{name}` label: {texts:?}");
    }
    assert!(
        !texts.iter().any(|t| t == "1.0" || t.contains("1 = roundrobin")),
        "numeric category ticks: {texts:?}"
    );
}

/// The text of every `<text>` element of an SVG, trimmed.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("</text>")
        .filter_map(|t| t.rsplit_once('>').map(|(_, x)| x.trim().to_string()))
        .collect()
}

fn grid_sweep(dir: &Path, scenario: &Path, jobs: &str) -> Vec<(String, Vec<u8>)> {
    let out = dir.join(format!("jobs{jobs}"));
    run_ok(
        simpark()
            .arg("sweep")
            .arg(scenario)
            .args([
                "--vary",
                "traffic.rate_per_s=50..200:log:3",
                "--vary",
                "web.count=1..2",
                "--replications",
                "2",
                "--horizon",
                "60s",
                "--quiet",
                "--jobs",
                jobs,
                "--out",
            ])
            .arg(&out),
    );
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "perf.json")
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn sweep_outputs_are_identical_for_any_jobs_and_in_grid_order() {
    let d = tmpdir("sweep-determinism");
    let scenario = small_park(&d);
    let one = grid_sweep(&d, &scenario, "1");
    let two = grid_sweep(&d, &scenario, "2");
    let names: Vec<&str> = one.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"sweep.json") && names.contains(&"sweep.csv"),
        "{names:?}"
    );
    for ((na, a), (nb, b)) in one.iter().zip(&two) {
        assert_eq!(na, nb);
        assert!(a == b, "{na} differs between --jobs 1 and --jobs 2");
    }
    let s: Value = serde_json::from_slice(&one.iter().find(|(n, _)| n == "sweep.json").unwrap().1).unwrap();
    // Odometer order: the first --vary is the outer loop, the last changes fastest.
    let order: Vec<(f64, i64)> = s["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["n_minus_1"] == false)
        .map(|p| {
            (
                p["values"]["traffic.rate_per_s"].as_f64().unwrap(),
                p["values"]["web.count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        vec![(50.0, 1), (50.0, 2), (100.0, 1), (100.0, 2), (200.0, 1), (200.0, 2)]
    );
    assert_eq!(s["vary"][0]["scale"], "log");
    assert_eq!(
        s["answer"]["rows"].as_array().unwrap().len(),
        2,
        "one answer per web.count"
    );
    assert_eq!(s["answer"]["rows"][0]["values"]["web.count"], 1);
}

#[test]
fn bad_vary_exits_2_naming_the_key_and_writes_nothing() {
    let d = tmpdir("sweep-bad");
    let scenario = small_park(&d);
    for (vary, needle) in [
        ("traffic.rate_per_sx=1,2", "traffic.rate_per_sx"),
        ("web.count=3..1", "empty range"),
        ("traffic.rate_per_s=abc..5k:lin:3", "not a number"),
        ("traffic.rate_per_s=0..5k:log:3", "> 0"),
        ("web.count=0..2", "web.count"),
        ("web.count=1..3:lin:0", "at least 1"),
        ("balancer.algorithm=roundrobin,fastest", "fastest"),
    ] {
        let out = d.join("out");
        let o = simpark()
            .arg("sweep")
            .arg(&scenario)
            .args(["--vary", vary, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        let key = vary.split('=').next().unwrap();
        assert_eq!(o.status.code(), Some(2), "{vary}: {err}");
        assert!(err.contains(key) && err.contains(needle), "{vary}: {err}");
        assert!(!out.exists(), "{vary}: nothing may be written");
    }
    for (flag, value) in [
        ("--slo-p99-ms", "-5"),
        ("--slo-availability", "150"),
        ("--slo-availability", "-0.5"),
    ] {
        let o = simpark()
            .arg("sweep")
            .arg(&scenario)
            .args(["--vary", "web.count=1..2", &format!("{flag}={value}")])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains(flag));
    }
    let o = simpark()
        .arg("sweep")
        .arg(&scenario)
        .args(["--vary", "web.count=1..2", "--set", "slo.availability_min=2"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("slo.availability_min"));
}

#[test]
fn availability_mode_sweep_reports_what_the_mode_has() {
    let d = tmpdir("sweep-avail");
    let out = d.join("out");
    let o = run_ok(
        simpark()
            .arg("sweep")
            .arg(repo("scenarios/baseline/xpos.toml"))
            .args([
                "--vary",
                "traffic.visitors_per_month=100k,1M",
                "--vary",
                "web.count=1..2",
                "--horizon",
                "2y",
                "--replications",
                "4",
                "--slo-availability",
                "0.99",
                "--out",
            ])
            .arg(&out),
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("no capacity model"), "{stdout}");
    let s = json(&out.join("sweep.json"));
    assert_eq!(s["mode"], "availability");
    assert_eq!(s["slo"]["availability_metric"], "availability_time");
    let points = s["points"].as_array().unwrap();
    assert_eq!(points.len(), 4, "no N-1 twins in availability mode");
    for p in points {
        assert!(
            p["metrics"]["latency_ms_p99"].is_null(),
            "no latency in availability mode"
        );
        assert!(p["metrics"]["availability_time"]["value"].is_number());
        assert!(p["metrics"]["downtime_min_per_year"]["value"].is_number());
    }
    assert!(s["answer"]["rows"][0]["knee"].is_null());
    svg_ok(&out.join("sweep_availability_time.svg"));
    svg_ok(&out.join("sweep_downtime_min_per_year.svg"));
    assert!(!out.join("sweep_latency_ms_p99.svg").exists());
}

#[test]
fn compare_puts_scenarios_side_by_side_in_the_given_order() {
    let d = tmpdir("compare");
    let small = small_park(&d);
    let out = d.join("out");
    let o = run_ok(
        simpark()
            .arg("compare")
            .arg(repo("scenarios/baseline/single_server.toml"))
            .arg(&small)
            // One horizon for both modes (the flags apply to every scenario): short enough for
            // request mode.
            .args(["--horizon", "300s", "--warmup", "10s", "--replications", "3", "--out"])
            .arg(&out),
    );
    let table = String::from_utf8_lossy(&o.stdout);
    let (a, b) = (
        table.find("baseline_single_server").unwrap(),
        table.find("small_park").unwrap(),
    );
    assert!(a < b, "columns in the given order:\n{table}");
    for row in [
        "availability (requests)",
        "downtime min/year",
        "latency ms p99",
        "servers",
    ] {
        assert!(table.contains(row), "{row}:\n{table}");
    }
    let c = json(&out.join("compare.json"));
    let sc = c["scenarios"].as_array().unwrap();
    assert_eq!(sc.len(), 2);
    assert_eq!(sc[0]["scenario"], "baseline_single_server");
    assert_eq!(sc[1]["scenario"], "small_park");
    assert_eq!(sc[0]["servers"]["web"], 1);
    assert_eq!(sc[1]["servers"]["total"], 3, "lb1 and two web servers");
    assert!(sc[0]["metrics"]["downtime_min_per_year"]["ci95"].is_number());
    assert!(sc[0]["metrics"]["latency_ms_p99"].is_null());
    assert!(sc[1]["metrics"]["latency_ms_p99"]["value"].as_f64().unwrap() > 0.0);
    svg_ok(&out.join("compare_downtime_min_per_year.svg"));
    svg_ok(&out.join("compare_latency_ms_p99.svg"));
    let texts = svg_texts(&std::fs::read_to_string(out.join("compare_latency_ms_p99.svg")).unwrap());
    assert!(
        texts.iter().any(|t| t == "p99 latency [ms]"),
        "human axis label: {texts:?}"
    );
}

#[test]
fn compare_without_scenarios_runs_the_three_baselines() {
    let d = tmpdir("compare-default");
    let out = d.join("out");
    let o = run_ok(
        simpark()
            .args(["compare", "--horizon", "1y", "--replications", "3", "--out"])
            .arg(&out),
    );
    let table = String::from_utf8_lossy(&o.stdout);
    let pos: Vec<usize> = ["baseline_single_server", "baseline_standby_pair", "baseline_xpos"]
        .iter()
        .map(|n| table.find(n).unwrap_or_else(|| panic!("{n}:\n{table}")))
        .collect();
    assert!(pos[0] < pos[1] && pos[1] < pos[2], "{table}");
    let c = json(&out.join("compare.json"));
    assert_eq!(c["scenarios"].as_array().unwrap().len(), 3);
    assert!(
        !out.join("compare_latency_ms_p99.svg").exists(),
        "no latency in availability mode"
    );
}

/// Capacity is part of availability: through a 300x news spike one server (and a standby,
/// whose second server waits idle) saturates while the park's three web servers do not.
#[test]
fn compare_runs_each_scenario_through_a_peak() {
    let d = tmpdir("compare-peak");
    let out = d.join("out");
    let o = run_ok(
        simpark()
            .arg("compare")
            .arg(repo("scenarios/baseline/single_server.toml"))
            .arg(repo("scenarios/baseline/standby_pair.toml"))
            .arg(repo("scenarios/baseline/xpos.toml"))
            .args(["--peak", "300x5m", "--horizon", "30d", "--replications", "2", "--out"])
            .arg(&out),
    );
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("peak: availability (req)") && table.contains("peak: latency ms p99"),
        "{table}"
    );
    let c = json(&out.join("compare.json"));
    let served = |i: usize| {
        c["scenarios"][i]["peak"]["availability_request"]["value"]
            .as_f64()
            .unwrap()
    };
    let p99 = |i: usize| c["scenarios"][i]["peak"]["latency_ms_p99"]["value"].as_f64().unwrap();
    assert!(served(0) < 0.9 && served(1) < 0.9, "one server saturates: {table}");
    assert!(served(2) > 0.9999, "the park does not: {table}");
    assert!(p99(2) < p99(0) / 5.0, "{table}");
    // A bad peak is refused before anything runs.
    let bad = simpark()
        .args(["compare", "--peak", "10x", "--out"])
        .arg(d.join("bad"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--peak"));
    assert!(!d.join("bad").exists());
}

#[test]
fn compare_with_a_bad_file_runs_nothing() {
    let d = tmpdir("compare-bad");
    let bad = d.join("bad.toml");
    std::fs::write(&bad, "name = \"bad\"\n[web]\ncount = 0\n").unwrap();
    let out = d.join("out");
    let o = simpark()
        .arg("compare")
        .arg(repo("scenarios/baseline/single_server.toml"))
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("web.count"));
    assert!(!out.exists());
}

/// The sweep prints its per-point table (p99 and availability with their CIs, whether each
/// point meets the SLO) as `compare` does, and the availability target takes a ratio or a
/// percentage alike: `--slo-availability 0.999` and `99.9%` give the same sweep.json.
#[test]
fn sweep_prints_each_point_and_takes_the_target_as_ratio_or_percentage() {
    let d = tmpdir("sweep-table");
    let sweep = |out: &str, slo: &str| {
        run_ok(
            simpark()
                .args([
                    "sweep",
                    "--vary",
                    "web.count=2..3",
                    "--horizon",
                    "2h",
                    "--replications",
                    "2",
                ])
                .args(["--slo-availability", slo, "--out"])
                .arg(d.join(out)),
        )
    };
    let ratio = sweep("ratio", "0.999");
    let table = String::from_utf8(ratio.stdout).unwrap();
    let header = table
        .lines()
        .find(|l| l.contains("web.count"))
        .unwrap_or_else(|| panic!("no per-point table:\n{table}"));
    for column in ["offered req/s", "p99 ms", "availability (requests)", "meets SLO"] {
        assert!(header.contains(column), "{header}");
    }
    let json: Value = serde_json::from_slice(&std::fs::read(d.join("ratio/sweep.json")).unwrap()).unwrap();
    let points = json["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    for (p, count) in points.iter().zip(["2", "3"]) {
        let p99 = &p["metrics"]["latency_ms_p99"];
        let row = table
            .lines()
            .find(|l| l.trim_start().starts_with(count) && l.contains('±'))
            .unwrap_or_else(|| panic!("no row for web.count={count}:\n{table}"));
        let shown = format!(
            "{:.3} ± {:.3}",
            p99["value"].as_f64().unwrap(),
            p99["ci95"].as_f64().unwrap()
        );
        assert!(row.contains(&shown), "{row} should show p99 {shown}");
        let meets = if p["meets_slo"].as_bool().unwrap() { "yes" } else { "no" };
        assert!(row.trim_end().ends_with(meets), "{row}");
    }
    sweep("percent", "99.9%");
    assert_eq!(
        std::fs::read(d.join("ratio/sweep.json")).unwrap(),
        std::fs::read(d.join("percent/sweep.json")).unwrap()
    );
}
