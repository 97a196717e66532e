//! `simpark report`: the customer report from real results directories, its figures against
//! the files it read, bad input, and the HTML in a real browser (headless Chromium).

use crate::{repo, run_ok, simpark, tmpdir};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const REPORT_FILES: [&str; 3] = ["report.html", "report.md", "report.json"];
/// Every file `report` may write (`--pdf` adds the PDF): none of them after an error.
const ALL_REPORT_FILES: [&str; 4] = ["report.html", "report.md", "report.json", "report.pdf"];

/// A small availability run of the seed's park: 3 replications x 400 days from 1 January 2029
/// in Amsterdam (a day of warm-up, so February 2029 to January 2030 are the 12 whole months)
/// and a tenth of the traffic, so the request-level latency sample stays cheap in debug builds.
fn availability_results(name: &str) -> PathBuf {
    let d = tmpdir(name);
    run_ok(
        simpark()
            .arg("run")
            .arg(repo("scenarios/baseline/xpos.toml"))
            .args([
                "--replications",
                "3",
                "--horizon",
                "400d",
                "--set",
                "traffic.visitors_per_month=30000",
                "-q",
                "--out",
            ])
            .arg(&d),
    );
    d
}

fn report(dir: &Path, extra: &[&str]) -> std::process::Output {
    simpark()
        .arg("report")
        .arg(dir)
        .args(extra)
        .output()
        .expect("simpark runs")
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn availability_report_shows_the_figures_of_months_csv_in_both_languages() {
    let d = availability_results("report-avail");
    assert!(
        d.join("latency.json").is_file(),
        "an availability run writes latency.json"
    );
    let latency = json(&d.join("latency.json"));
    assert_eq!(latency["mode"], "requests");
    assert_eq!(latency["replications"], 5);

    let out = d.join("en");
    run_ok(
        simpark()
            .arg("report")
            .arg(&d)
            .args(["--customer", "Bakkerij Jansen", "--sla", "99.95", "--out"])
            .arg(&out),
    );
    let r = json(&out.join("report.json"));
    assert_eq!(r["report_schema_version"], 3);
    assert_eq!(r["sla"]["partial_outage_policy"], "ignore");
    assert_eq!(r["run"]["months_per_replication"], 12);
    assert_eq!(r["run"]["month_first"], "2029-02");
    assert_eq!(r["run"]["month_last"], "2030-01");
    assert_eq!(r["availability"]["rows"].as_array().unwrap().len(), 12);
    assert_eq!(r["latency"]["source"], "latency_sample");
    // The overall monthly availability is the mean over months of 100% minus the share of
    // each calendar month's minutes down, recomputed here from months.csv: month 0 (January
    // 2029, cut by the warm-up) and 13 (February 2030, cut by the horizon) are left out; March
    // is an hour short and October an hour long (summer time in Amsterdam).
    let days = [28.0, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0];
    let month_min = |m: usize| {
        days[m - 1] * 1440.0
            + match m {
                2 => -60.0,
                9 => 60.0,
                _ => 0.0,
            }
    };
    let csv = std::fs::read_to_string(d.join("months.csv")).unwrap();
    let downs: Vec<(usize, f64)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].parse::<usize>().unwrap(), f[2].parse::<f64>().unwrap())
        })
        .filter(|&(m, _)| (1..=12).contains(&m))
        .collect();
    assert_eq!(csv.lines().count(), 1 + 3 * 14, "14 calendar months touch the window");
    for l in csv.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let m: usize = f[1].parse().unwrap();
        if (1..=12).contains(&m) {
            assert_eq!(f[6].parse::<f64>().unwrap(), month_min(m), "length_min of month {m}");
        }
    }
    assert_eq!(downs.len(), 3 * 12);
    let avail = |(m, down): (usize, f64)| 100.0 * (1.0 - down / month_min(m));
    let mean_avail = downs.iter().map(|&x| avail(x)).sum::<f64>() / downs.len() as f64;
    let shown = r["availability"]["overall"]["availability_pct"]["value"]
        .as_f64()
        .unwrap();
    assert!((shown - mean_avail).abs() < 1e-9, "{shown} vs {mean_avail}");
    // The latency SLO per calendar month: each month's served share (1 minus its downtime and
    // request-weighted partial outage over its length) times the sample's share within 300 ms.
    let slo = d.join("slo");
    run_ok(
        simpark()
            .arg("report")
            .arg(&d)
            .args(["--latency-ms", "300", "--out"])
            .arg(&slo),
    );
    let l = json(&slo.join("report.json"))["latency"].clone();
    let within = l["slo_share_pct"]["value"].as_f64().unwrap();
    let monthly: Vec<f64> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|f| f.parse::<f64>().unwrap()).collect::<Vec<f64>>())
        .filter(|f| (1.0..=12.0).contains(&f[1]))
        .map(|f| (1.0 - (f[2] + f[3]) / month_min(f[1] as usize)) * within)
        .collect();
    let worst = monthly.iter().copied().fold(f64::MAX, f64::min);
    let mean = monthly.iter().sum::<f64>() / monthly.len() as f64;
    assert!(
        (l["slo_months"]["worst_pct"].as_f64().unwrap() - worst).abs() < 1e-9,
        "{l}"
    );
    assert!(
        (l["slo_months"]["mean_pct"]["value"].as_f64().unwrap() - mean).abs() < 1e-9,
        "{l}"
    );
    assert!(
        worst < within,
        "a month with failures is below the sample's share: {worst} vs {within}"
    );
    let md = std::fs::read_to_string(slo.join("report.md")).unwrap();
    assert!(md.contains("Per calendar month"), "{md}");
    let breaches = downs.iter().filter(|&&(m, down)| down > 0.0005 * month_min(m)).count() as u64;
    assert_eq!(r["availability"]["months_breaching"], breaches);
    // Service credits under the default tiers (below 99.9% 10%, below 99% 25%), recomputed
    // from months.csv: every replication has 12 months, so the mean of the replications'
    // means is the mean over all months.
    let credit = |x: (usize, f64)| match avail(x) {
        a if a < 99.0 => 25.0,
        a if a < 99.9 => 10.0,
        _ => 0.0,
    };
    let expected = downs.iter().map(|&x| credit(x)).sum::<f64>() / downs.len() as f64;
    let shown = r["availability"]["credits"]["expected_credit_pct"]["value"]
        .as_f64()
        .unwrap();
    assert!((shown - expected).abs() < 1e-9, "{shown} vs {expected}");
    // The status page's view: full outages plus 30% of the minutes of partial outage.
    let statuspage = r["availability"]["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["policy"] == "statuspage")
        .expect("the status-page view is shown");
    let sp_down: f64 = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|x| x.parse::<f64>().unwrap()).collect::<Vec<f64>>())
        .filter(|f| (1.0..=12.0).contains(&f[1]))
        .map(|f| f[2] + 0.3 * f[5])
        .sum::<f64>()
        / 36.0;
    let shown = statuspage["overall"]["unavailable_min"]["value"].as_f64().unwrap();
    assert!((shown - sp_down).abs() < 1e-9, "{shown} vs {sp_down}");
    // MTTA and the repair, with intervals, from summary.json.
    let summary = json(&d.join("summary.json"));
    assert_eq!(r["incidents"]["ack_min_mean"], summary["metrics"]["ack_min_mean"]);
    assert!(r["incidents"]["repair_min_mean"]["value"].as_f64().unwrap() > 0.0);
    assert_eq!(r["availability"]["credits"]["tiers"][1]["below_pct"], 99.0);
    // MTBF is a year over the incidents per year of summary.json.
    let per_year = summary["metrics"]["incidents_per_year"]["value"].as_f64().unwrap();
    let mtbf = r["incidents"]["mtbf_h"].as_f64().unwrap();
    assert!((mtbf - 8760.0 / per_year).abs() < 1e-6, "{mtbf} vs {per_year}");
    // MTTR over all replications, with its interval.
    assert_eq!(r["incidents"]["mttr_min"], summary["metrics"]["incident_min_mean"]);
    assert!(r["incidents"]["mttr_min"]["ci95"].is_number());
    // Downtime and failed requests by cause: summary.json's `downtime_by_cause`, every cause
    // that cost minutes or requests, in its order, with intervals.
    let causes = summary["metrics"]["downtime_by_cause"].as_array().unwrap();
    let costly: Vec<serde_json::Value> = causes
        .iter()
        .filter(|c| {
            c["downtime_min_per_year"]["value"].as_f64().unwrap() > 0.0
                || c["failed_requests_per_year"]["value"].as_f64().unwrap() > 0.0
        })
        .map(|c| {
            serde_json::json!({
                "cause": c["cause"],
                "downtime_min_per_year": c["downtime_min_per_year"],
                "failed_requests_per_year": c["failed_requests_per_year"],
            })
        })
        .collect();
    assert!(costly.len() >= 2, "{costly:?}");
    assert_eq!(r["incidents"]["by_cause"], serde_json::Value::Array(costly));
    // Planned maintenance apart: the maintenance cause's minutes and requests, the windows,
    // the rest of the downtime, and the contract (this park's scenario counts it).
    let maint = causes.iter().find(|c| c["cause"] == "maintenance").unwrap();
    let m = &r["maintenance"];
    assert_eq!(summary["maintenance"], "count");
    assert_eq!(m["contract"], "count");
    assert_eq!(m["downtime_min_per_year"], maint["downtime_min_per_year"]);
    assert!(
        m["downtime_min_per_year"]["value"].as_f64().unwrap() > 0.0,
        "lb1 is patched alone"
    );
    assert_eq!(m["failed_requests_per_year"], maint["failed_requests_per_year"]);
    assert_eq!(
        m["windows_per_year"],
        summary["metrics"]["maintenance_windows_per_year"]
    );
    assert_eq!(
        m["downtime_min_per_year_unplanned"],
        summary["metrics"]["downtime_min_per_year_unplanned"]
    );

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    for text in [&html, &md] {
        assert!(
            text.contains("Bakkerij Jansen") && text.contains("99.95%"),
            "customer and SLA shown"
        );
        assert!(text.contains("Partial outages are not counted"), "the policy is stated");
        assert!(text.contains("December") && text.contains("p99.9"));
        assert!(text.contains("(MTBF)") && text.contains("Service credits"));
        // HTML writes the zone's `/` as an entity.
        assert!(text.replace("&#x2f;", "/").contains("Europe/Amsterdam"));
        assert!(text.contains("2029-02") && text.contains("MTTA"));
        assert!(text.contains("Status page (partial outage at 30%)"));
        assert!(text.contains("Planned maintenance (website down)") && text.contains("counted by the contract"));
        assert!(text.contains("Your contract counts planned maintenance"));
        assert!(text.contains("MTTR, mean with 95% interval over all replications"));
        assert!(text.contains("Downtime and failed requests by cause"));
    }
    assert_eq!(
        html.matches("<svg").count(),
        4,
        "topology, availability, downtime, latency"
    );
    assert!(!md.contains("<svg"));
    // Self-contained: nothing to fetch, nothing to run.
    for needle in ["<script", "<link", " src=", "url(http", "url(//", "@import", "https://"] {
        assert!(!html.contains(needle), "report.html contains `{needle}`");
    }

    // Dutch: natural text, comma decimals, Dutch month names; the policy is configurable.
    let nl = d.join("nl");
    run_ok(
        simpark()
            .arg("report")
            .arg(&d)
            .args([
                "--lang",
                "nl",
                "--partial-outage",
                "degraded",
                "--credit-tiers",
                "99.99:5,99.9:10,99:25",
                "--out",
            ])
            .arg(&nl),
    );
    let html_nl = std::fs::read_to_string(nl.join("report.html")).unwrap();
    assert!(html_nl.contains("lang=\"nl\"") && html_nl.contains("99,90%") && html_nl.contains("december"));
    assert!(html_nl.contains("Strenge telling") && html_nl.contains("Beschikbaarheid per maand"));
    assert!(html_nl.contains("Servicecredits") && html_nl.contains("onder 99,99%"));
    assert!(html_nl.contains("Uw contract telt gepland onderhoud mee") && html_nl.contains("Gepland onderhoud"));
    let r_nl = json(&nl.join("report.json"));
    assert_eq!(r_nl["sla"]["partial_outage_policy"], "degraded");
    let strict = r_nl["availability"]["overall"]["unavailable_min"]["value"]
        .as_f64()
        .unwrap();
    let plain = r["availability"]["overall"]["unavailable_min"]["value"]
        .as_f64()
        .unwrap();
    assert!(strict > plain, "degraded minutes count too: {strict} > {plain}");
}

#[test]
fn baselines_section_puts_this_park_beside_one_server_and_a_standby_pair() {
    let d = availability_results("report-baselines");
    let cmp = d.join("cmp");
    let table = run_ok(
        simpark()
            .arg("compare")
            .args(["--replications", "3", "--horizon", "400d", "--out"])
            .arg(&cmp),
    );
    let table = String::from_utf8_lossy(&table.stdout);
    let c = json(&cmp.join("compare.json"));
    // Failed requests by cause per year, with intervals, next to downtime by cause: in
    // compare.json they add up to the failed share of the offered requests, and the terminal
    // table shows them.
    for s in c["scenarios"].as_array().unwrap() {
        let m = &s["metrics"];
        let failed: f64 = [
            "lb",
            "web",
            "storage",
            "takeover",
            "network",
            "maintenance",
            "human_error",
            "overload",
        ]
        .iter()
        .map(|cause| {
            let e = &m[format!("failed_requests_per_year_{cause}")];
            assert!(e["ci95"].is_number(), "{cause}: {e}");
            e["value"].as_f64().unwrap()
        })
        .sum();
        let offered = m["offered_rps"].as_f64().unwrap() * 365.0 * 86_400.0;
        let lost = (1.0 - m["availability_request"]["value"].as_f64().unwrap()) * offered;
        assert!(
            (failed - lost).abs() <= 0.02 * lost + 1.0,
            "{}: {failed} vs {lost}",
            s["scenario"]
        );
        assert_eq!(s["maintenance"], "count");
    }
    for row in ["failed req/yr: web", "failed req/yr: maintenance", "cause: maintenance"] {
        assert!(table.contains(row), "{row}\n{table}");
    }
    for (lang, needles) in [
        (
            "en",
            [
                "One server",
                "Two servers, one on standby",
                "(this park)",
                "planned maintenance is counted as downtime",
            ],
        ),
        (
            "nl",
            [
                "Eén server",
                "Twee servers, één als reserve",
                "(dit park)",
                "telt gepland onderhoud mee als onbeschikbaarheid",
            ],
        ),
    ] {
        let out = d.join(format!("base-{lang}"));
        run_ok(
            simpark()
                .arg("report")
                .arg(&d)
                .args(["--lang", lang, "--baselines"])
                .arg(cmp.join("compare.json"))
                .arg("--out")
                .arg(&out),
        );
        let r = json(&out.join("report.json"));
        let cols = r["baselines"]["columns"].as_array().unwrap();
        assert_eq!(cols.len(), 3, "the three shipped baselines");
        assert_eq!(
            cols.iter().map(|c| c["kind"].as_str().unwrap()).collect::<Vec<_>>(),
            ["single_server", "standby_pair", "park"]
        );
        assert_eq!(cols[2]["this_park"], true);
        // How the comparison counted maintenance: compare.json's, per column and overall.
        assert_eq!(r["baselines"]["maintenance"], "count");
        for (k, col) in cols.iter().enumerate() {
            assert_eq!(col["maintenance"], c["scenarios"][k]["maintenance"]);
        }
        // The figures are compare.json's, with their intervals.
        for (k, col) in cols.iter().enumerate() {
            assert_eq!(
                col["downtime_min_per_year"],
                c["scenarios"][k]["metrics"]["downtime_min_per_year"]
            );
        }
        let web = r["baselines"]["causes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["cause"] == "web")
            .expect("web-server downtime on one server");
        assert_eq!(
            web["downtime_min_per_year"][0],
            c["scenarios"][0]["metrics"]["downtime_min_per_year_web"]
        );
        for f in ["report.md", "report.html"] {
            let text = std::fs::read_to_string(out.join(f)).unwrap();
            for n in needles {
                assert!(text.contains(n), "{lang} {f}: `{n}`");
            }
        }
    }
    // Not a comparison: exit 2, nothing written.
    let o = report(
        &d,
        &[
            "--baselines",
            d.join("summary.json").to_str().unwrap(),
            "--out",
            "/nonexistent/never",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("simpark compare"));
}

#[test]
fn same_results_same_bytes() {
    let d = availability_results("report-bytes");
    let (a, b) = (d.join("a"), d.join("b"));
    for out in [&a, &b] {
        run_ok(simpark().arg("report").arg(&d).args(["--lang", "nl", "--out"]).arg(out));
    }
    for f in REPORT_FILES {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn request_mode_results_are_request_based_and_say_so() {
    let d = tmpdir("report-requests");
    run_ok(
        simpark()
            .args(["run", "--horizon", "2h", "--replications", "2", "-q", "--out"])
            .arg(&d),
    );
    assert!(
        !d.join("latency.json").exists(),
        "request runs measure latency themselves"
    );
    run_ok(simpark().arg("report").arg(&d));
    let r = json(&d.join("report.json"));
    assert_eq!(r["sla"]["request_based"], true);
    assert_eq!(r["latency"]["source"], "summary");
    assert!(r["incidents"].is_null() && r["data_protection"].is_null());
    assert!(
        r["maintenance"].is_null(),
        "no [maintenance] in the seed park's request run"
    );
    let s = json(&d.join("summary.json"));
    assert_eq!(
        r["availability"]["overall"]["availability_pct"]["value"]
            .as_f64()
            .unwrap(),
        s["metrics"]["success_ratio"]["value"].as_f64().unwrap() * 100.0
    );
    let md = std::fs::read_to_string(d.join("report.md")).unwrap();
    assert!(
        md.contains("A week is not a month") && md.contains("request-level run"),
        "{md}"
    );
    // The latency SLO: the share within 300 ms, as summary.json measured it, with its CI.
    let slo = d.join("slo");
    run_ok(
        simpark()
            .arg("report")
            .arg(&d)
            .args(["--latency-ms", "300", "--out"])
            .arg(&slo),
    );
    let r = json(&slo.join("report.json"));
    let within = s["metrics"]["latency_within"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["ms"] == 300.0)
        .expect("300 ms is on the ladder")
        .clone();
    let share = within["share"]["value"].as_f64().unwrap();
    assert!(share > 0.9 && share <= 1.0, "{share}");
    assert_eq!(r["latency"]["slo_ms"], 300.0);
    assert!((r["latency"]["slo_share_pct"]["value"].as_f64().unwrap() - 100.0 * share).abs() < 1e-9);
    assert!(r["latency"]["slo_share_pct"]["ci95"].is_number(), "with its interval");
    let md = std::fs::read_to_string(slo.join("report.md")).unwrap();
    assert!(md.contains("within 300 ms"), "{md}");
    // A threshold the results did not measure names the ones they did.
    let out = report(&d, &["--latency-ms", "123", "--out", "/nonexistent/never"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--latency-ms 123") && err.contains("100, 200, 250, 300"),
        "{err}"
    );
    // `ignore` needs minute accounting a request run does not have.
    let out = report(&d, &["--partial-outage", "ignore", "--out", "/nonexistent/never"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("request-mode run"));
}

/// A contract that excludes planned maintenance: the report shows the maintenance minutes
/// apart, from summary.json, and says they are left out; a request run's maintenance is its
/// summary's `maintenance` object.
#[test]
fn maintenance_is_shown_apart_with_the_contract_in_both_modes() {
    let d = tmpdir("report-maint-exclude");
    run_ok(
        simpark()
            .arg("run")
            .arg(repo("scenarios/baseline/xpos.toml"))
            .args([
                "--replications",
                "3",
                "--horizon",
                "400d",
                "--maintenance",
                "exclude",
                "--set",
                "traffic.visitors_per_month=30000",
                "-q",
                "--out",
            ])
            .arg(&d),
    );
    run_ok(simpark().arg("report").arg(&d));
    let r = json(&d.join("report.json"));
    let s = json(&d.join("summary.json"));
    assert_eq!(s["maintenance"], "exclude");
    let maint = s["metrics"]["downtime_by_cause"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cause"] == "maintenance")
        .unwrap()
        .clone();
    assert_eq!(r["maintenance"]["contract"], "exclude");
    assert_eq!(
        r["maintenance"]["downtime_min_per_year"],
        maint["downtime_min_per_year"]
    );
    assert!(maint["downtime_min_per_year"]["value"].as_f64().unwrap() > 0.0);
    // Excluded: the downtime the report counts is the unplanned downtime.
    assert_eq!(
        r["availability"]["downtime_min_per_year"],
        s["metrics"]["downtime_min_per_year"]
    );
    assert_eq!(
        s["metrics"]["downtime_min_per_year"],
        s["metrics"]["downtime_min_per_year_unplanned"]
    );
    let md = std::fs::read_to_string(d.join("report.md")).unwrap();
    for needle in [
        "excluded by the contract",
        "Your contract excludes planned maintenance",
        "but the contract excludes it",
    ] {
        assert!(md.contains(needle), "`{needle}`\n{md}");
    }

    // Request mode: a rolling kernel update.
    let q = tmpdir("report-maint-requests");
    run_ok(
        simpark()
            .arg("run")
            .arg(repo("scenarios/ci/rolling_kernel_update.toml"))
            .args(["-q", "--out"])
            .arg(&q),
    );
    for lang in ["en", "nl"] {
        let out = q.join(lang);
        run_ok(
            simpark()
                .arg("report")
                .arg(&q)
                .args(["--lang", lang, "--out"])
                .arg(&out),
        );
        let r = json(&out.join("report.json"));
        let s = json(&q.join("summary.json"));
        let sm = &s["metrics"]["maintenance"];
        let m = &r["maintenance"];
        assert_eq!(m["contract"], sm["contract"]);
        assert_eq!(m["server_out_min"], sm["minutes"]);
        assert!(m["server_out_min"]["ci95"].is_number());
        for k in ["windows_total", "requests_total", "requests_failed_total"] {
            assert_eq!(m[k], sm[k], "{k}");
        }
        let outside = sm["success_ratio_outside"]["value"].as_f64().unwrap() * 100.0;
        assert!((m["success_pct_outside"]["value"].as_f64().unwrap() - outside).abs() < 1e-9);
        let md = std::fs::read_to_string(out.join("report.md")).unwrap();
        let needle = if lang == "en" {
            "Your contract counts planned maintenance"
        } else {
            "Uw contract telt gepland onderhoud mee"
        };
        assert!(md.contains(needle), "{lang}: {md}");
    }
}

#[test]
fn without_latency_json_the_report_says_latency_was_not_measured() {
    let d = availability_results("report-nolatency");
    std::fs::remove_file(d.join("latency.json")).unwrap();
    // The run's manifest must agree, or `report` refuses the set as incomplete.
    let mut manifest = json(&d.join("manifest.json"));
    manifest["files"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["name"] != "latency.json");
    std::fs::write(d.join("manifest.json"), serde_json::to_vec(&manifest).unwrap()).unwrap();
    run_ok(simpark().arg("report").arg(&d).args(["--latency-ms", "300"]));
    let r = json(&d.join("report.json"));
    assert_eq!(r["latency"]["source"], "none");
    assert!(r["latency"]["slo_share_pct"].is_null());
    let md = std::fs::read_to_string(d.join("report.md")).unwrap();
    assert!(md.contains("Response times were not measured"), "{md}");
    assert!(
        md.contains("no request-level data") && md.contains("300 ms"),
        "the latency SLO says plainly it was not measured: {md}"
    );
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let d = availability_results("report-bad");
    let out = d.join("out");
    let expect_usage = |args: &[&str], dir: &Path, needle: &str| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--out", out.to_str().unwrap()]);
        let o = report(dir, &all);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: expected `{needle}` in: {err}");
        for f in ALL_REPORT_FILES {
            assert!(!out.join(f).exists(), "{args:?} wrote {f}");
        }
    };
    expect_usage(&[], &d.join("no-such-dir"), "no such results directory");
    expect_usage(&["--sla", "100"], &d, "strictly between 0 and 100");
    expect_usage(&["--sla", "0"], &d, "strictly between 0 and 100");
    expect_usage(&["--sla", "-5"], &d, "strictly between 0 and 100");
    expect_usage(&["--lang", "de"], &d, "unknown language");
    expect_usage(&["--partial-outage", "half"], &d, "unknown policy");
    expect_usage(
        &["--credit-tiers", "99:25,99.9:10"],
        &d,
        "thresholds falling and credits rising",
    );
    // A directory without summary.json.
    let empty = tmpdir("report-empty");
    expect_usage(&[], &empty, "summary.json: missing");
    // A summary.json from an older simpark: says which version it needs and how to regenerate.
    let old = tmpdir("report-old");
    for f in ["months.csv", "scenario.resolved.toml", "latency.json"] {
        std::fs::copy(d.join(f), old.join(f)).unwrap();
    }
    let mut s = json(&d.join("summary.json"));
    s["schema_version"] = 0.into();
    std::fs::write(old.join("summary.json"), serde_json::to_vec(&s).unwrap()).unwrap();
    expect_usage(&[], &old, "reads schema_version 2");
    expect_usage(&[], &old, "simpark run");
    for f in REPORT_FILES {
        assert!(!old.join(f).exists() && !d.join(f).exists());
    }
    // `--pdf` without Chromium: found neither through SIMPARK_CHROMIUM nor on PATH.
    let no_chromium = |env: Option<&str>, needle: &str| {
        let mut cmd = simpark();
        cmd.arg("report").arg(&d).args(["--pdf", "--out"]).arg(&out);
        cmd.env("PATH", d.join("no-bin")).env_remove("SIMPARK_CHROMIUM");
        if let Some(v) = env {
            cmd.env("SIMPARK_CHROMIUM", v);
        }
        let o = cmd.output().expect("simpark runs");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{env:?}: {err}");
        assert!(
            err.contains(needle) && err.contains("nothing was written"),
            "{env:?}: expected `{needle}` in: {err}"
        );
        for f in ALL_REPORT_FILES {
            assert!(!out.join(f).exists(), "{env:?} wrote {f}");
        }
    };
    no_chromium(None, "--pdf needs Chromium");
    no_chromium(
        Some("/nonexistent/chromium"),
        "SIMPARK_CHROMIUM=/nonexistent/chromium is not a file",
    );
}

// ---- the browser --------------------------------------------------------------------------------

/// Headless Chromium, or a failure saying how to get it. `SIMPARK_SKIP_BROWSER=1` skips.
fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("SIMPARK_CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            [
                "/usr/bin/chromium",
                "/usr/bin/chromium-browser",
                "/usr/bin/google-chrome",
            ]
            .map(PathBuf::from),
        )
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var("SIMPARK_SKIP_BROWSER").as_deref() == Ok("1"),
            "the report's browser test needs Chromium: `apt-get install -y --no-install-recommends chromium` \
             (or point SIMPARK_CHROMIUM at a Chrome binary); set SIMPARK_SKIP_BROWSER=1 to skip it"
        );
        eprintln!("SIMPARK_SKIP_BROWSER=1: browser test skipped");
    }
    found
}

/// Run Chromium headless on `url` with `args`, in a fresh profile, killed after 90 s; returns
/// its stdout. Output goes to files, not pipes: a DOM dump larger than a pipe buffer would
/// block Chromium while this waits for it to exit.
fn headless(chrome: &Path, profile: &Path, args: &[String], url: &str) -> String {
    let _ = std::fs::remove_dir_all(profile);
    std::fs::create_dir_all(profile).unwrap();
    let (out, err) = (profile.with_extension("stdout"), profile.with_extension("stderr"));
    let mut child = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdout(Stdio::from(std::fs::File::create(&out).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&err).unwrap()))
        .spawn()
        .expect("chromium starts");
    for _ in 0..900 {
        if child.try_wait().unwrap().is_some() {
            return std::fs::read_to_string(&out).unwrap();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("chromium did not finish within 90 s: {args:?}");
}

/// The check the test adds to a copy of report.html (the report itself runs no script):
/// errors are collected from the first moment, and at the end every <svg> must have a real
/// size and drawn content, and nothing may have been fetched.
const CHECK_HEAD: &str = "<script>window.__errors=[];window.addEventListener('error',function(e){window.__errors.push(String(e.message||('failed to load '+(e.target&&(e.target.src||e.target.href)))))},true);(function(){var c=console.error;console.error=function(){window.__errors.push(Array.prototype.join.call(arguments,' '));c.apply(console,arguments)}})();</script>";
const CHECK_TAIL: &str = "<script>(function(){var s=document.querySelectorAll('svg'),bad=[];s.forEach(function(v,i){var r=v.getBoundingClientRect();if(!(r.width>200&&r.height>80))bad.push(i+' size '+r.width+'x'+r.height);if(v.querySelectorAll('rect,path,line,polyline,polygon,circle,ellipse,text').length<8)bad.push(i+' empty')});document.body.setAttribute('data-check',JSON.stringify({svgs:s.length,bad:bad,errors:window.__errors,fetched:performance.getEntriesByType('resource').length}))})();</script>";

#[test]
fn report_renders_in_headless_chromium() {
    let Some(chrome) = chromium() else { return };
    let d = availability_results("report-browser");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for lang in ["en", "nl"] {
        let out = d.join(lang);
        run_ok(
            simpark()
                .arg("report")
                .arg(&d)
                .args(["--customer", "Bakkerij Jansen", "--lang", lang, "--out"])
                .arg(&out),
        );
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        let checked = html.replacen("<head>", &format!("<head>{CHECK_HEAD}"), 1).replacen(
            "</body>",
            &format!("{CHECK_TAIL}</body>"),
            1,
        );
        let page = out.join("checked.html");
        std::fs::write(&page, checked).unwrap();
        let url = format!("file://{}", page.display());
        // A fresh profile per start: a closing Chromium may still hold the previous one.
        let profile = |step: &str| d.join(format!("profile-{lang}-{step}"));

        let dom = headless(&chrome, &profile("dom"), &["--dump-dom".into()], &url);
        let attr = dom
            .split("data-check=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| {
                panic!(
                    "{lang}: the check did not run; DOM starts: {}",
                    &dom[..dom.len().min(400)]
                )
            });
        let check: serde_json::Value = serde_json::from_str(&attr.replace("&quot;", "\"").replace("&amp;", "&"))
            .unwrap_or_else(|e| panic!("{lang}: {e}: {attr}"));
        assert_eq!(check["svgs"], 4, "{lang}: {check}");
        assert_eq!(
            check["bad"],
            serde_json::json!([]),
            "{lang}: charts without size or content: {check}"
        );
        assert_eq!(
            check["errors"],
            serde_json::json!([]),
            "{lang}: console errors: {check}"
        );
        assert_eq!(check["fetched"], 0, "{lang}: the page fetched something: {check}");

        // A full-page screenshot for a human to look at (target/tmp/report-screenshots/).
        let png = shots.join(format!("report-{lang}.png"));
        let _ = std::fs::remove_file(&png);
        headless(
            &chrome,
            &profile("png"),
            &[
                format!("--screenshot={}", png.display()),
                "--window-size=1024,6400".into(),
            ],
            &format!("file://{}", out.join("report.html").display()),
        );
        let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 50_000,
            "{lang}: screenshot"
        );

        // Printing: `report --pdf`, an A4 PDF with page numbers and no chart cut by a page break.
        let printed = d.join(format!("{lang}-pdf"));
        run_ok(
            simpark()
                .arg("report")
                .arg(&d)
                .args(["--customer", "Bakkerij Jansen", "--lang", lang, "--pdf", "--out"])
                .arg(&printed)
                .env("SIMPARK_CHROMIUM", &chrome),
        );
        // The same HTML as report.html, printed.
        assert_eq!(std::fs::read_to_string(printed.join("report.html")).unwrap(), html);
        let pdf = shots.join(format!("report-{lang}.pdf"));
        std::fs::copy(printed.join("report.pdf"), &pdf).unwrap();
        let bytes = std::fs::read(&pdf).unwrap();
        let pages = check_pdf(lang, &pdf, &html);
        // No chart cut: the same page with a frame drawn inside every chart prints to the
        // same pages, each holding only whole frames (a top and a bottom edge per chart).
        let framed = print_framed(&chrome, &d, &html, lang, "");
        assert_eq!(framed.len(), pages, "{lang}: the framed copy paginates differently");
        assert!(
            framed.iter().all(|e| e % 2 == 0) && framed.iter().sum::<usize>() == 2 * 4,
            "{lang}: a chart is cut by a page break (frame edges per page: {framed:?})"
        );
        if lang == "en" {
            // The control: charts taller than a page must be caught as cut.
            let tall = "figure svg{height:300mm !important}";
            let cut = print_framed(&chrome, &d, &html, "cut", tall);
            assert!(cut.iter().any(|e| e % 2 == 1), "the cut check cannot fail: {cut:?}");
        }
        eprintln!(
            "{lang}: {} and {} ({pages} pages, {} KiB)",
            png.display(),
            pdf.display(),
            bytes.len() / 1024
        );
    }
}

/// Output of a poppler tool (`pdfinfo`, `pdftotext`, `pdftoppm`), or a failure saying how to
/// get it.
fn poppler(tool: &str, args: &[&str]) -> String {
    let o = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool}: {e}; the PDF test needs poppler-utils (`apt-get install -y poppler-utils`, `./test` does it)")
    });
    assert!(
        o.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The checks of a printed report: A4, every section's heading in the text, the page number
/// on every page, and the monthly table's total row not alone on its page. Returns the
/// number of pages.
fn check_pdf(lang: &str, pdf: &Path, html: &str) -> usize {
    let file = pdf.to_str().unwrap();
    let info = poppler("pdfinfo", &[file]);
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("{lang}: no `{name}` in pdfinfo: {info}"))
            .to_string()
    };
    assert!(field("Page size:").ends_with("(A4)"), "{lang}: {info}");
    let pages: usize = field("Pages:").parse().unwrap();
    assert!((5..=20).contains(&pages), "{lang}: {pages} pages");
    let page_text = |i: usize| poppler("pdftotext", &["-f", &i.to_string(), "-l", &i.to_string(), file, "-"]);
    // Words on one line each: a table cell may wrap ("All" / "months").
    let texts: Vec<String> = (1..=pages)
        .map(|i| page_text(i).split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let all = texts.concat();
    let (title, footer, total, months) = match lang {
        "en" => (
            "Availability report",
            "Page {i} of {n}",
            "All months",
            ["January", "December"],
        ),
        _ => (
            "Beschikbaarheidsrapport",
            "Pagina {i} van {n}",
            "Alle maanden",
            ["januari", "december"],
        ),
    };
    assert!(
        texts[0].contains(title) && texts[0].contains("Bakkerij Jansen"),
        "{lang}: page 1: {}",
        texts[0]
    );
    for h2 in html.split("<h2>").skip(1).map(|s| s.split("</h2>").next().unwrap()) {
        assert!(all.contains(h2), "{lang}: heading `{h2}` is not in the PDF's text");
    }
    for (i, t) in texts.iter().enumerate() {
        let number = footer
            .replace("{i}", &(i + 1).to_string())
            .replace("{n}", &pages.to_string());
        assert!(t.contains(&number), "{lang}: page {} has no `{number}`: {t}", i + 1);
    }
    // The total row shares its page with a month row before it (the table ends in December).
    let with_total: Vec<&String> = texts.iter().filter(|t| t.contains(total)).collect();
    assert_eq!(with_total.len(), 1, "{lang}: `{total}` on {} pages", with_total.len());
    let at = with_total[0].find(total).unwrap();
    assert!(
        months.iter().any(|m| with_total[0][..at].contains(m)),
        "{lang}: the total row is alone on its page: {}",
        with_total[0]
    );
    pages
}

/// Frame edges per page when a copy of `html` with a magenta frame drawn inside each chart
/// (`extra_css` added) is printed as `report --pdf` prints and rendered at 50 dpi. A frame is
/// part of the chart's drawing, so a page break through a chart leaves one edge on each page.
fn print_framed(chrome: &Path, d: &Path, html: &str, name: &str, extra_css: &str) -> Vec<usize> {
    let stretch = if extra_css.is_empty() {
        "<svg "
    } else {
        "<svg preserveAspectRatio=\"none\" "
    };
    let framed = html
        .replace("<svg ", stretch)
        .replace(
            "</svg>",
            "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"none\" stroke=\"#ff00ff\" stroke-width=\"6\"/></svg>",
        )
        .replacen("</style>", &format!("{extra_css}</style>"), 1);
    let dir = d.join(format!("framed-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("framed.html");
    std::fs::write(&page, framed).unwrap();
    let pdf = dir.join("framed.pdf");
    headless(
        chrome,
        &dir.join("profile"),
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
        ],
        &format!("file://{}", page.display()),
    );
    let prefix = dir.join("page");
    poppler(
        "pdftoppm",
        &["-r", "50", pdf.to_str().unwrap(), prefix.to_str().unwrap()],
    );
    let mut ppms: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ppm"))
        .collect();
    ppms.sort();
    ppms.iter().map(|p| frame_edges(&std::fs::read(p).unwrap())).collect()
}

/// Horizontal frame edges in a binary PPM (P6, 8 bit): runs of rows holding at least 100
/// magenta pixels side by side (a chart is about 350 px wide at 50 dpi; text never is magenta).
fn frame_edges(ppm: &[u8]) -> usize {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while ppm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !ppm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(std::str::from_utf8(&ppm[start..at]).unwrap().to_string());
    }
    assert_eq!(
        (fields[0].as_str(), fields[3].as_str()),
        ("P6", "255"),
        "not an 8-bit PPM"
    );
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let px = &ppm[at + 1..];
    assert_eq!(px.len(), w * h * 3, "PPM size");
    let magenta = |x: usize, y: usize| {
        let i = (y * w + x) * 3;
        px[i] > 180 && px[i + 1] < 90 && px[i + 2] > 180
    };
    let edge_row = |y: usize| {
        let (mut run, mut best) = (0, 0);
        for x in 0..w {
            run = if magenta(x, y) { run + 1 } else { 0 };
            best = best.max(run);
        }
        best >= 100
    };
    let rows: Vec<bool> = (0..h).map(edge_row).collect();
    (0..h).filter(|&y| rows[y] && (y == 0 || !rows[y - 1])).count()
}
