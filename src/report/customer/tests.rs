//! Unit tests of the customer report: monthly arithmetic, languages, rendering (byte-identical,
//! no English left in Dutch), incident causes and the topology drawing.

use super::charts::topology_svg;
use super::incidents::classify;
use super::lang::{Strings, strings};
use super::maintenance::{MaintenanceFigures, of_availability, of_requests};
use super::months::quantile_sorted;
use super::*;
use crate::model::calendar::Calendar;
use crate::scenario::{MONTH_SECS, MaintenanceContract};
use crate::stats::Estimate;
use crate::units::SimDuration;

fn month(replication: u32, month: u32, down: f64, partial: f64, degraded: f64) -> MonthRow {
    MonthRow {
        replication,
        month,
        downtime_min: down,
        partial_min: partial,
        degraded_min: degraded,
        // Unweighted partial outage: the weighted minutes as if half the requests failed.
        partial_outage_min: 2.0 * partial,
        length_min: MONTH_MIN,
    }
}

const MONTH_MIN: f64 = MONTH_SECS / 60.0;

/// `n` months of `minutes` each, all used, January first.
fn set(n: usize, minutes: f64) -> MonthSet {
    MonthSet {
        used: vec![true; n],
        minutes: vec![minutes; n],
        of_year: (0..n as u32).map(|m| m % 12).collect(),
        labels: (0..n).map(|m| format!("m{m}")).collect(),
    }
}

#[test]
fn month_availability_and_budget() {
    // 43.83 minutes in a 43,830-minute month is 0.1% down.
    assert!((MONTH_MIN - 43_830.0).abs() < 1e-9);
    assert!((availability_pct(43.83, MONTH_MIN) - 99.9).abs() < 1e-12);
    assert_eq!(availability_pct(0.0, MONTH_MIN), 100.0);
    assert_eq!(availability_pct(2.0 * MONTH_MIN, MONTH_MIN), 0.0, "clamped");
    assert!((error_budget_min(99.9, MONTH_MIN) - 43.83).abs() < 1e-9);
    assert!((error_budget_min(99.95, 60.0 * 24.0 * 7.0) - 5.04).abs() < 1e-9);
    assert!(!breaks_sla(43.0, MONTH_MIN, 99.9));
    assert!(breaks_sla(44.0, MONTH_MIN, 99.9));
}

#[test]
fn partial_outage_policies_count_different_minutes() {
    let m = month(0, 0, 10.0, 3.0, 120.0);
    assert_eq!(PartialOutagePolicy::Ignore.unavailable_min(&m), 10.0);
    assert_eq!(PartialOutagePolicy::Weighted.unavailable_min(&m), 13.0);
    assert_eq!(PartialOutagePolicy::Degraded.unavailable_min(&m), 130.0);
    // A status page: the 6 minutes of partial outage count 30%, degraded capacity not at all.
    assert!((PartialOutagePolicy::Statuspage.unavailable_min(&m) - 11.8).abs() < 1e-12);
    assert_eq!(
        "statuspage".parse::<PartialOutagePolicy>().unwrap(),
        PartialOutagePolicy::Statuspage
    );
    assert_eq!(
        "weighted".parse::<PartialOutagePolicy>().unwrap(),
        PartialOutagePolicy::Weighted
    );
    assert!(matches!(
        "half".parse::<PartialOutagePolicy>(),
        Err(ReportError::Policy(_))
    ));
    assert!(matches!("de".parse::<Lang>(), Err(ReportError::Lang(_))));
}

#[test]
fn breach_probability_and_means_across_replications() {
    // Two replications x 2 months; only replication 1's month 0 breaks 99.9% (50 > 43.83),
    // and only under `weighted` does replication 0's month 1 (40 + 5 = 45) break too.
    let months = [
        month(0, 0, 0.0, 0.0, 0.0),
        month(0, 1, 40.0, 5.0, 0.0),
        month(1, 0, 50.0, 0.0, 0.0),
        month(1, 1, 0.0, 0.0, 0.0),
    ];
    let row = period_row(&months, 2, &set(2, MONTH_MIN), 99.9, PartialOutagePolicy::Ignore, None);
    assert_eq!(row.periods_per_replication, 2);
    let p = row.breach_probability.unwrap();
    assert_eq!(p.value, 0.25, "mean of 0/2 and 1/2");
    assert!((row.unavailable_min.value - 22.5).abs() < 1e-12, "mean of 20 and 25");
    assert!((row.budget_remaining_min.value - (43.83 - 22.5)).abs() < 1e-9);
    let a = row.availability_pct.value;
    assert!((a - (100.0 - 100.0 * 22.5 / MONTH_MIN)).abs() < 1e-9, "{a}");
    let weighted = period_row(
        &months,
        2,
        &set(2, MONTH_MIN),
        99.9,
        PartialOutagePolicy::Weighted,
        None,
    );
    assert_eq!(weighted.breach_probability.unwrap().value, 0.5);
    // Month-of-year rows pick months 0, 12, 24, ...
    let jan = period_row(
        &months,
        2,
        &set(2, MONTH_MIN),
        99.9,
        PartialOutagePolicy::Ignore,
        Some(0),
    );
    assert_eq!(jan.periods_per_replication, 1);
    assert_eq!(jan.breach_probability.unwrap().value, 0.5);
    assert!((jan.unavailable_min.value - 25.0).abs() < 1e-12);
}

#[test]
fn months_used_are_whole_calendar_months_or_the_short_window() {
    const DAY_NS: u64 = 86_400_000_000_000;
    let cal = |warmup_days: u64, horizon_days: u64| {
        Calendar::new(
            "2029-01-01",
            "Europe/Amsterdam",
            SimDuration::from_nanos(warmup_days * DAY_NS),
            SimDuration::from_nanos(horizon_days * DAY_NS),
        )
        .unwrap()
    };
    // A day of warm-up cuts January: February to December are used, with their real lengths.
    let s = MonthSet::of(&cal(1, 365));
    assert_eq!(s.count(), 11);
    assert!(!s.used[0] && s.used[1]);
    assert_eq!(s.minutes[1], 28.0 * 1440.0);
    assert_eq!(s.minutes[2], 31.0 * 1440.0 - 60.0, "summer time starts in March");
    assert_eq!((s.of_year[11], s.labels[11].as_str()), (11, "2029-12"));
    assert!((s.mean_minutes() - (334.0 * 1440.0) / 11.0).abs() < 1e-6);
    // A week has no whole month: its one partial month is the period.
    let s = MonthSet::of(&cal(0, 7));
    assert_eq!(s.count(), 1);
    assert_eq!(s.minutes[0], 7.0 * 1440.0);
    // Months of unequal length: each is judged against its own budget.
    let months = [month(0, 0, 43.0, 0.0, 0.0), month(0, 1, 43.0, 0.0, 0.0)];
    let two = MonthSet {
        used: vec![true, true],
        minutes: vec![31.0 * 1440.0, 28.0 * 1440.0],
        of_year: vec![0, 1],
        labels: vec!["2029-01".into(), "2029-02".into()],
    };
    let row = period_row(&months, 1, &two, 99.9, PartialOutagePolicy::Ignore, None);
    // 43 min is within January's 44.64-minute budget, not February's 40.32.
    assert_eq!(row.breach_probability.unwrap().value, 0.5);
}

#[test]
fn numbers_in_dutch_and_english() {
    assert_eq!(format_percent(99.95, 2, Lang::Nl), "99,95%");
    assert_eq!(format_percent(99.95, 2, Lang::En), "99.95%");
    assert_eq!(format_number(1234567.891, 1, Lang::Nl), "1.234.567,9");
    assert_eq!(format_number(1234567.891, 1, Lang::En), "1,234,567.9");
    assert_eq!(format_number(999.0, 0, Lang::Nl), "999");
    assert_eq!(format_number(-0.0001, 2, Lang::En), "0.00", "never -0");
    assert_eq!(format_number(-12.5, 1, Lang::Nl), "−12,5");
    assert_eq!(format_number(f64::NAN, 1, Lang::Nl), "–");
}

#[test]
fn string_tables_have_the_same_keys() {
    let (en, nl) = (strings(Lang::En), strings(Lang::Nl));
    let keys = |s: &Strings| s.text.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&en), keys(&nl));
    assert_eq!(nl.months[2], "maart");
    for (k, v) in &nl.text {
        assert!(!v.trim().is_empty(), "nl `{k}` is empty");
    }
}

fn tiers() -> Vec<CreditTier> {
    parse_credit_tiers(CREDIT_TIERS_DEFAULT).unwrap()
}

#[test]
fn credit_tiers_parse_and_refuse_what_is_not_a_ladder() {
    let t = tiers();
    assert_eq!(
        t,
        vec![
            CreditTier {
                below_pct: 99.9,
                credit_pct: 10.0
            },
            CreditTier {
                below_pct: 99.0,
                credit_pct: 25.0
            }
        ]
    );
    assert_eq!(parse_credit_tiers("99.95%:5%").unwrap().len(), 1);
    for bad in [
        "",
        "99.9",
        "99:10,99.9:25",
        "99.9:25,99:10",
        "100:10",
        "99.9:0",
        "x:1",
        "99.9:10,,",
    ] {
        let e = parse_credit_tiers(bad).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("--credit-tiers {bad}:")) && e.contains("e.g. `99.9:10,99:25`"),
            "{e}"
        );
    }
}

#[test]
fn credits_take_the_deepest_tier_and_average_over_months() {
    use super::months::credit_tier;
    let t = tiers();
    assert_eq!(credit_tier(99.95, &t), None);
    assert_eq!(credit_tier(99.9, &t), None, "at the threshold is not below it");
    assert_eq!(credit_tier(99.5, &t), Some(0));
    assert_eq!(credit_tier(98.0, &t), Some(1));
    // Replication 0: a clean month and one at 99.5% (10%); replication 1: one at 98% (25%)
    // and a clean one.
    let m = MONTH_MIN;
    let months = [
        month(0, 0, 0.0, 0.0, 0.0),
        month(0, 1, 0.005 * m, 0.0, 0.0),
        month(1, 0, 0.02 * m, 0.0, 0.0),
        month(1, 1, 0.0, 0.0, 0.0),
    ];
    let c = credit_figures(&months, 2, &set(2, m), PartialOutagePolicy::Ignore, &t);
    assert_eq!(c.tiers[0].month_share_pct.value, 25.0);
    assert_eq!(c.tiers[1].month_share_pct.value, 25.0);
    assert_eq!(c.expected_credit_pct.value, (5.0 + 12.5) / 2.0);
    // Partial minutes count only under a policy that counts them.
    let partial = [month(0, 0, 0.0, 0.005 * m, 0.0)];
    let ignore = credit_figures(&partial, 1, &set(1, m), PartialOutagePolicy::Ignore, &t);
    let weighted = credit_figures(&partial, 1, &set(1, m), PartialOutagePolicy::Weighted, &t);
    assert_eq!(
        (ignore.expected_credit_pct.value, weighted.expected_credit_pct.value),
        (0.0, 10.0)
    );
}

#[test]
fn causes_are_classified() {
    use crate::sim::avail::{Cause, Incident, IncidentCause};
    let incident = |cause_class, cause| Incident {
        start_h: 1.0,
        end_h: 2.0,
        cause_class,
        cause,
        failed_requests: 10.0,
    };
    let (k, servers, full) = classify(&incident(Cause::Takeover, IncidentCause::NoStoragePrimary));
    assert_eq!((k, servers.as_str(), full), ("no_storage_primary", "", true));
    let undetected = IncidentCause::UndetectedFailure {
        servers: vec!["web2".into(), "web3".into()],
    };
    let (k, servers, full) = classify(&incident(Cause::Web, undetected));
    assert_eq!((k, servers.as_str(), full), ("undetected_failure", "web2, web3", false));
    // A lone lb1 being patched is maintenance, not a balancer failure.
    let (k, _, full) = classify(&incident(Cause::Maintenance, IncidentCause::NoBalancer));
    assert_eq!((k, full), ("maintenance", true));
    // Every kind has its sentence in both languages.
    for lang in [Lang::En, Lang::Nl] {
        let s = strings(lang);
        for kind in [
            "no_balancer",
            "no_storage_primary",
            "no_web_in_rotation",
            "all_web_failed",
            "undetected_failure",
            "data_missing",
            "maintenance",
        ] {
            assert!(s.text.contains_key(&format!("cause_{kind}")), "{lang:?} cause_{kind}");
        }
    }
}

fn est(value: f64, ci: f64) -> Estimate {
    Estimate { value, ci95: Some(ci) }
}

fn row(k: Option<u32>, down: f64) -> PeriodRow {
    PeriodRow {
        month_of_year: k,
        periods_per_replication: 10,
        period_min: MONTH_MIN,
        availability_pct: est(availability_pct(down, MONTH_MIN), 0.01),
        unavailable_min: est(down, 3.0),
        budget_remaining_min: est(error_budget_min(99.95, MONTH_MIN) - down, 3.0),
        breach_probability: Some(est(0.05, 0.02)),
    }
}

/// Planned maintenance of an availability run whose contract excludes it.
fn avail_maintenance() -> MaintenanceFigures {
    MaintenanceFigures {
        contract: MaintenanceContract::Exclude,
        downtime_min_per_year: Some(est(12.0, 1.0)),
        failed_requests_per_year: Some(est(420.0, 40.0)),
        windows_per_year: Some(est(12.2, 0.0)),
        downtime_min_per_year_unplanned: Some(est(23.5, 2.0)),
        server_out_min: None,
        windows_total: None,
        requests_total: None,
        requests_failed_total: None,
        success_pct_outside: None,
    }
}

/// Planned maintenance of a request run whose contract counts it.
fn request_maintenance() -> MaintenanceFigures {
    MaintenanceFigures {
        contract: MaintenanceContract::Count,
        downtime_min_per_year: None,
        failed_requests_per_year: None,
        windows_per_year: None,
        downtime_min_per_year_unplanned: None,
        server_out_min: Some(est(15.0, 0.5)),
        windows_total: Some(4),
        requests_total: Some(21_000),
        requests_failed_total: Some(3),
        success_pct_outside: Some(est(99.99, 0.01)),
    }
}

/// A small availability report built by hand (no files): what the renderers see.
fn sample(lang: Lang) -> CustomerReport {
    CustomerReport {
        report_schema_version: REPORT_SCHEMA_VERSION,
        lang,
        customer: Some("Bakkerij Jansen & Zn <b>".into()),
        run: RunFigures {
            scenario: "baseline_xpos".into(),
            description: "the park".into(),
            mode: "availability".into(),
            simpark_version: "0.1.0".into(),
            seed: 1,
            replications: 100,
            horizon_s: 10.0 * YEAR_S,
            warmup_s: DAY_S,
            window_days: 3649.0,
            window_years: 3649.0 / 365.0,
            months_per_replication: Some(119),
            timezone: "Europe/Amsterdam".into(),
            month_first: Some("2029-02".into()),
            month_last: Some("2038-12".into()),
            visitors_per_month: Some(300_000.0),
            offered_rps: 1.37,
            balancers: 1,
            web_servers: 3,
            storage_nodes: 2,
            backup_server: true,
            backup_time_of_day_h: Some(2.0),
            backup_keep: Some([7, 5, 12, 75]),
        },
        sla: SlaFigures {
            sla_percent: 99.95,
            partial_outage_policy: PartialOutagePolicy::Weighted,
            request_based: false,
            period_min: MONTH_MIN,
            error_budget_min: error_budget_min(99.95, MONTH_MIN),
        },
        availability: AvailabilityFigures {
            series_unit: "months",
            series: (1..=24)
                .map(|m| SeriesPoint {
                    period: m,
                    availability_pct: est(99.97 + f64::from(m % 3) * 0.01, 0.02),
                })
                .collect(),
            rows: (0..12).map(|k| row(Some(k), f64::from(k) * 2.0)).collect(),
            overall: row(None, 11.0),
            credits: Some(CreditFigures {
                tiers: vec![
                    CreditRow {
                        below_pct: 99.9,
                        credit_pct: 10.0,
                        month_share_pct: est(4.5, 0.5),
                    },
                    CreditRow {
                        below_pct: 99.0,
                        credit_pct: 25.0,
                        month_share_pct: est(0.5, 0.1),
                    },
                ],
                expected_credit_pct: est(0.575, 0.06),
            }),
            months_breaching: Some(600),
            months_total: Some(11_900),
            availability_time_pct: Some(est(99.9761, 0.002)),
            availability_request_pct: est(99.9748, 0.002),
            downtime_min_per_year: Some(est(125.6, 12.0)),
            month_distribution: Some(MonthDistribution {
                buckets: [
                    ("none", 70.0),
                    ("quarter", 12.0),
                    ("half", 8.0),
                    ("budget", 5.0),
                    ("over", 5.0),
                ]
                .into_iter()
                .map(|(kind, v)| MonthBucket {
                    kind,
                    share_pct: est(v, 0.5),
                })
                .collect(),
                availability_pct_p5: 99.82,
                availability_pct_p50: 100.0,
                availability_pct_p95: 100.0,
            }),
            policies: [
                PartialOutagePolicy::Ignore,
                PartialOutagePolicy::Statuspage,
                PartialOutagePolicy::Weighted,
                PartialOutagePolicy::Degraded,
            ]
            .into_iter()
            .enumerate()
            .map(|(k, policy)| PolicyView {
                policy,
                overall: row(None, 8.0 + 3.0 * k as f64),
            })
            .collect(),
            rolling: Some(RollingFigures {
                window_days: 30,
                budget_min: 21.6,
                days_overspent_pct: est(7.5, 0.8),
                burn_pct_mean: est(36.0, 3.0),
                burn_pct_p95: est(140.0, 12.0),
                burn_pct_worst: est(820.0, 60.0),
            }),
        },
        incidents: Some(IncidentFigures {
            per_year: est(3.96, 0.4),
            log_years: 10.0,
            log_total: 1,
            mtbf_h: Some(2212.1),
            mttr_min: Some(est(150.0, 12.0)),
            detect_s_mean: Some(est(6.1, 0.2)),
            page_min_mean: Some(est(2.5, 0.1)),
            ack_min_mean: Some(est(31.5, 1.5)),
            repair_min_mean: Some(est(182.0, 9.0)),
            pages_per_year: est(12.0, 1.0),
            by_cause: [("lb", 20.0, 900.0), ("web", 3.5, 5200.0), ("maintenance", 12.0, 420.0)]
                .into_iter()
                .map(|(cause, down, failed)| CauseFigures {
                    cause,
                    downtime_min_per_year: est(down, down / 10.0),
                    failed_requests_per_year: est(failed, failed / 10.0),
                })
                .collect(),
            longest: vec![IncidentRow {
                year: 3,
                day: 200,
                duration_min: 150.0,
                cause_kind: "undetected_failure",
                servers: "web2".into(),
                full_outage: false,
                failed_requests: 1234.0,
            }],
        }),
        latency: LatencyFigures {
            source: "latency_sample",
            replications: Some(5),
            window_h: Some(24.0),
            requests_total: Some(600_000),
            mean_ms: Some(est(62.1, 0.1)),
            p50_ms: Some(est(56.1, 0.1)),
            p95_ms: Some(est(110.1, 0.5)),
            p99_ms: Some(est(162.0, 0.7)),
            p999_ms: Some(est(272.7, 7.0)),
            slo_ms: Some(300.0),
            slo_share_pct: Some(est(99.62, 0.03)),
            slo_months: Some(SloMonths {
                mean_pct: est(99.58, 0.01),
                p5_pct: 99.55,
                worst_pct: 98.71,
            }),
        },
        data_protection: Some(DataProtection {
            backups_ok_per_year: est(361.0, 1.0),
            backups_failed_per_year: est(4.5, 1.0),
            snapshots_kept: est(23.0, 0.0),
            human_errors_per_year: est(1.8, 0.8),
            rpo_h_mean: Some(est(13.2, 3.2)),
            rpo_h_max: Some(est(22.1, 6.9)),
            rto_h_mean: Some(est(0.19, 0.02)),
            restores_failed_per_year: est(0.0, 0.0),
            data_loss_events_per_year: est(1.8, 0.8),
            disaster_rpo_h_mean: None,
            disaster_rto_h_mean: None,
            raid_array_losses_per_year: est(0.0, 0.0),
            disk_failures_per_year: est(0.15, 0.17),
            storage_failovers_per_year: est(1.85, 0.5),
            takeover_ms_mean: Some(est(8629.0, 99.0)),
            failover_lost_writes_s_per_year: est(0.0, 0.0),
            split_brain_s_per_year: est(0.0, 0.0),
        }),
        topology: TopologyFigures {
            nodes: vec![
                TopoNode {
                    name: "clients".into(),
                    tier: "clients",
                    primary: false,
                },
                TopoNode {
                    name: "lb1".into(),
                    tier: "balancer",
                    primary: false,
                },
            ],
            links: vec![["clients".into(), "lb1".into()]],
        },
        maintenance: Some(avail_maintenance()),
        baselines: Some(BaselineFigures {
            columns: [
                ("single_server", 1, 514.2),
                ("standby_pair", 2, 5.1),
                ("park", 7, 349.8),
            ]
            .into_iter()
            .map(|(kind, servers, down)| BaselineColumn {
                scenario: format!("baseline_{kind}"),
                kind,
                this_park: kind == "park",
                servers,
                replications: 100,
                years: 10.0,
                availability_pct: est(100.0 - down / 5256.0, 0.01),
                downtime_min_per_year: est(down, down / 20.0),
                maintenance: if kind == "park" {
                    MaintenanceContract::Exclude
                } else {
                    MaintenanceContract::Count
                },
            })
            .collect(),
            maintenance: "mixed",
            causes: ["web", "storage", "takeover", "maintenance"]
                .into_iter()
                .map(|cause| CauseLine {
                    cause,
                    downtime_min_per_year: vec![est(100.0, 5.0), est(1.0, 0.5), est(8.0, 3.0)],
                })
                .collect(),
        }),
    }
}

#[test]
fn rendering_is_byte_identical_and_follows_the_language() {
    for lang in [Lang::En, Lang::Nl] {
        let (a, b) = (sample(lang), sample(lang));
        let (html, md) = (render_html(&a).unwrap(), render_markdown(&a).unwrap());
        assert_eq!(html, render_html(&b).unwrap(), "{lang:?} html");
        assert_eq!(md, render_markdown(&b).unwrap(), "{lang:?} md");
        assert_eq!(super::super::to_json(&a), super::super::to_json(&b));
        // The customer's name is escaped in HTML, never markup.
        assert!(html.contains("Bakkerij Jansen &amp; Zn &lt;b&gt;"), "{lang:?}");
        assert!(!html.contains("<b>"));
        assert!(
            md.contains("web2") && html.contains("web2"),
            "an incident names its server"
        );
    }
    let nl = render_markdown(&sample(Lang::Nl)).unwrap();
    assert!(
        nl.contains("99,95%") && nl.contains("naar rato") && nl.contains("december"),
        "{nl}"
    );
    assert!(nl.contains("8.629 ± 99 ms") && nl.contains("kwam niet voor"), "{nl}");
    let en = render_markdown(&sample(Lang::En)).unwrap();
    assert!(en.contains("99.95%") && en.contains("counted by share") && en.contains("8,629 ± 99 ms"));
}

#[test]
fn month_distribution_buckets_against_the_budget() {
    let budget = error_budget_min(99.9, MONTH_MIN);
    // Replication 0: none, a quarter, over; replication 1: none, none, half.
    let months = [
        month(0, 0, 0.0, 0.0, 0.0),
        month(0, 1, 0.2 * budget, 0.0, 0.0),
        month(0, 2, 2.0 * budget, 0.0, 0.0),
        month(1, 0, 0.0, 0.0, 0.0),
        month(1, 1, 0.0, 0.0, 0.0),
        month(1, 2, 0.4 * budget, 0.0, 0.0),
        month(1, 3, 9.0 * budget, 0.0, 0.0), // outside the 3 months used
    ];
    let d = month_distribution(
        &months,
        2,
        &MonthSet {
            used: vec![true, true, true, false],
            ..set(4, MONTH_MIN)
        },
        99.9,
        PartialOutagePolicy::Ignore,
    )
    .unwrap();
    let share: Vec<(&str, f64)> = d.buckets.iter().map(|b| (b.kind, b.share_pct.value)).collect();
    let third = 100.0 / 3.0;
    let want = [
        ("none", 50.0),
        ("quarter", third / 2.0),
        ("half", third / 2.0),
        ("budget", 0.0),
        ("over", third / 2.0),
    ];
    for ((k, v), (wk, wv)) in share.iter().zip(want) {
        assert_eq!(*k, wk);
        assert!((v - wv).abs() < 1e-9, "{k}: {v} vs {wv}");
    }
    // Nearest rank 3 of 6 sorted months: the 0.2-budget month.
    assert_eq!(d.availability_pct_p50, availability_pct(0.2 * budget, MONTH_MIN));
    assert!(d.availability_pct_p5 < 99.9, "the worst month broke the SLA");
    assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.0);
    assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.05), 1.0);
    assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 1.0), 4.0);
}

/// Text of the rendered HTML without tags, entities decoded enough for comparison.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
}

#[test]
fn dutch_output_has_no_english_left() {
    // The sample (maintenance excluded by the contract) and the same with a request run's
    // maintenance counted, so every maintenance sentence is rendered.
    let mut counted = sample(Lang::Nl);
    counted.maintenance = Some(request_maintenance());
    let nl_md = render_markdown(&sample(Lang::Nl)).unwrap() + &render_markdown(&counted).unwrap();
    let nl_html =
        visible_text(&render_html(&sample(Lang::Nl)).unwrap()) + &visible_text(&render_html(&counted).unwrap());
    let en = strings(Lang::En);
    // Every run of four or more words between placeholders of every English string.
    let mut checked = 0;
    for text in en.text.values() {
        for part in text.split(['{', '}']) {
            let words: Vec<&str> = part.split_whitespace().collect();
            if words.len() < 4 {
                continue;
            }
            let phrase = words.join(" ");
            checked += 1;
            for (what, out) in [("report.md", &nl_md), ("report.html", &nl_html)] {
                assert!(!out.contains(&phrase), "English in the Dutch {what}: `{phrase}`");
            }
        }
    }
    assert!(checked > 100, "only {checked} English phrases checked");
    for word in ["health check", "split brain", "seed", "server-park", "hardeschijven"] {
        assert!(!nl_md.to_lowercase().contains(word), "`{word}` in the Dutch report.md");
        assert!(
            !nl_html.to_lowercase().contains(word),
            "`{word}` in the Dutch report.html"
        );
    }
    assert!(
        nl_md.contains("serverpark") && nl_md.contains("harde schijven"),
        "{nl_md}"
    );
}

#[test]
fn internals_only_in_the_small_print_and_the_component_list_has_lines() {
    for lang in [Lang::En, Lang::Nl] {
        let md = render_markdown(&sample(lang)).unwrap();
        let html = render_html(&sample(lang)).unwrap();
        // The scenario name, version and seed appear once, in the small print at the end.
        let footer = html
            .find("<footer class=\"smallprint\">")
            .expect("a small-print footer");
        assert_eq!(html.matches("baseline_xpos").count(), 1, "{lang:?}");
        assert!(html.find("baseline_xpos").unwrap() > footer, "{lang:?}");
        let small = md.find("<small>").expect("small print in report.md");
        // report.md escapes Markdown in user strings: the name's `_` is `\_` there.
        assert_eq!(md.matches(r"baseline\_xpos").count(), 1, "{lang:?}");
        assert!(md.find(r"baseline\_xpos").unwrap() > small, "{lang:?}");
        // One component per line.
        let items: Vec<&str> = md.lines().filter(|l| l.starts_with("- ")).collect();
        assert!(
            items.iter().any(|l| l.ends_with(": lb1")) && items.iter().any(|l| l.ends_with("(internet)")),
            "{lang:?}: {items:?}"
        );
        // The month distribution replaces the per-month line; the total row keeps company.
        assert!(
            html.contains("<tbody class=\"keep\">") && html.contains("90 "),
            "{lang:?}"
        );
    }
}

#[test]
fn topology_drawing_has_a_box_per_node_and_an_arrow_per_link() {
    let topo = TopologyFigures {
        nodes: vec![
            TopoNode {
                name: "clients".into(),
                tier: "clients",
                primary: false,
            },
            TopoNode {
                name: "lb1".into(),
                tier: "balancer",
                primary: false,
            },
            TopoNode {
                name: "web1".into(),
                tier: "web",
                primary: false,
            },
            TopoNode {
                name: "store1".into(),
                tier: "storage",
                primary: true,
            },
        ],
        links: vec![
            ["clients".into(), "lb1".into()],
            ["lb1".into(), "web1".into()],
            ["web1".into(), "store1".into()],
        ],
    };
    let svg = topology_svg(&topo, &strings(Lang::Nl));
    assert_eq!(svg.matches("<line").count(), 3);
    assert_eq!(svg.matches("<rect x=").count(), 3);
    assert!(svg.contains("<ellipse") && svg.contains(">store1<") && svg.contains("primair"));
}

/// The report's maintenance, causes and MTTR are `summary.json`'s figures: an availability
/// run of the park (monthly kernel updates, contract `exclude`) summarised, written as JSON
/// and read back as the report reads it, then compared with the JSON's values.
#[test]
fn maintenance_causes_and_mttr_are_the_summary_figures() {
    let (origin, text) = crate::study::compare::BASELINES[2];
    let m = crate::scenario::from_str(
        text,
        origin,
        &[
            "replications=3".into(),
            "horizon=\"2y\"".into(),
            "maintenance.contract=\"exclude\"".into(),
        ],
    )
    .unwrap();
    let reps = crate::sim::avail::run_replications(&m, 1, &|| {});
    let json = serde_json::to_value(crate::report::summary::summarise_availability(&m, &reps)).unwrap();
    let s: crate::report::summary::AvailSummary = serde_json::from_value(json.clone()).unwrap();
    let e = |v: &serde_json::Value| -> Estimate { serde_json::from_value(v.clone()).unwrap() };
    let metrics = &json["metrics"];
    let by_cause = metrics["downtime_by_cause"].as_array().unwrap();
    let of = |cause: &str| by_cause.iter().find(|c| c["cause"] == cause).unwrap();

    let mt = of_availability(&s).expect("the park has monthly maintenance");
    assert_eq!(json["maintenance"], "exclude");
    assert_eq!(mt.contract, MaintenanceContract::Exclude);
    assert_eq!(
        mt.downtime_min_per_year,
        Some(e(&of("maintenance")["downtime_min_per_year"]))
    );
    assert_eq!(
        mt.failed_requests_per_year,
        Some(e(&of("maintenance")["failed_requests_per_year"]))
    );
    assert_eq!(mt.windows_per_year, Some(e(&metrics["maintenance_windows_per_year"])));
    assert!(mt.windows_per_year.unwrap().value > 10.0, "monthly windows");
    assert_eq!(
        mt.downtime_min_per_year_unplanned,
        Some(e(&metrics["downtime_min_per_year_unplanned"]))
    );
    assert!(mt.server_out_min.is_none(), "a request-run figure");

    let window_s = s.header.horizon_s - s.header.warmup_s;
    let inc = super::incidents::incident_figures(&s, window_s);
    // Every cause that cost minutes or requests, in the summary's order, with its interval.
    let costly: Vec<&serde_json::Value> = by_cause
        .iter()
        .filter(|c| e(&c["downtime_min_per_year"]).value > 0.0 || e(&c["failed_requests_per_year"]).value > 0.0)
        .collect();
    assert!(costly.len() >= 2, "{costly:?}");
    assert_eq!(inc.by_cause.len(), costly.len());
    for (row, c) in inc.by_cause.iter().zip(&costly) {
        assert_eq!(row.cause, c["cause"].as_str().unwrap());
        assert_eq!(row.downtime_min_per_year, e(&c["downtime_min_per_year"]));
        assert_eq!(row.failed_requests_per_year, e(&c["failed_requests_per_year"]));
        assert!(
            row.downtime_min_per_year.ci95.is_some(),
            "over 3 replications: an interval"
        );
    }
    // MTTR over every replication, not the first one's log: the mean of the replications'
    // mean incident durations, recomputed from the simulator's own incident logs.
    let mttr = inc.mttr_min.expect("the park has incidents in 2 years");
    assert_eq!(mttr, e(&metrics["incident_min_mean"]));
    let per_rep: Vec<f64> = reps
        .iter()
        .filter(|r| !r.incidents.is_empty())
        .map(|r| r.incidents.iter().map(|i| (i.end_h - i.start_h) * 60.0).sum::<f64>() / r.incidents.len() as f64)
        .collect();
    assert_eq!(mttr, Estimate::from_samples(&per_rep));
    assert!(mttr.ci95.is_some());
    assert_eq!(Some(inc.per_year), Some(e(&metrics["incidents_per_year"])));
}

/// A request run's maintenance is its summary's `maintenance` object.
#[test]
fn request_maintenance_is_the_summary_object() {
    let text = include_str!("../../../scenarios/ci/rolling_kernel_update.toml");
    let m = crate::scenario::from_str(text, "rolling_kernel_update.toml", &["replications=2".into()]).unwrap();
    let reps = crate::sim::run_replications(&m, 1, &|| {});
    let json = serde_json::to_value(crate::report::summary::summarise(&m, &reps)).unwrap();
    let s: crate::report::summary::Summary = serde_json::from_value(json.clone()).unwrap();
    let j = &json["metrics"]["maintenance"];
    let e = |v: &serde_json::Value| -> Estimate { serde_json::from_value(v.clone()).unwrap() };
    let mt = of_requests(&s).expect("the scenario has a maintenance window");
    assert_eq!(j["contract"], "count");
    assert_eq!(mt.contract, MaintenanceContract::Count);
    assert_eq!(mt.server_out_min, Some(e(&j["minutes"])));
    assert!(mt.server_out_min.unwrap().value > 0.0);
    assert_eq!(mt.windows_total, j["windows_total"].as_u64());
    assert_eq!(mt.requests_total, j["requests_total"].as_u64());
    assert_eq!(mt.requests_failed_total, j["requests_failed_total"].as_u64());
    let outside = e(&j["success_ratio_outside"]);
    assert_eq!(mt.success_pct_outside.unwrap().value, outside.value * 100.0);
    assert!(mt.downtime_min_per_year.is_none(), "an availability-run figure");
}
