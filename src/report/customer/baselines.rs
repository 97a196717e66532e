//! The baselines section: this park against one server and a standby pair, with downtime by
//! cause side by side, from a `compare.json` that `simpark compare` wrote (`report
//! --baselines FILE`). The report simulates nothing: it reads the comparison as it reads the
//! results directory.

use super::ReportError;
use crate::scenario::MaintenanceContract;
use crate::sim::avail::Cause;
use crate::stats::Estimate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The `compare.json` layout this report reads (`study::compare::Comparison` writes it; a
/// unit test reads a written one back through these types).
#[derive(Deserialize)]
struct CompareFile {
    schema_version: u32,
    scenarios: Vec<ComparedRead>,
}

#[derive(Deserialize)]
struct ComparedRead {
    scenario: String,
    mode: String,
    replications: u32,
    horizon_s: f64,
    servers: ServersRead,
    /// Whether planned maintenance counts in that scenario's downtime figures.
    maintenance: MaintenanceContract,
    /// `offered_rps` (a number) and every metric as `{value, ci95}`.
    metrics: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct ServersRead {
    total: u32,
}

/// The `compare.json` layout version this report reads.
const COMPARE_SCHEMA_VERSION: u32 = 1;

/// The baselines side by side: one column per availability scenario of the comparison.
#[derive(Debug, Serialize)]
pub(crate) struct BaselineFigures {
    pub(crate) columns: Vec<BaselineColumn>,
    /// How the comparison counted planned maintenance: `count` or `exclude` when every
    /// column did the same, `mixed` otherwise (the string table's `base_maint_<this>`).
    pub(crate) maintenance: &'static str,
    /// Downtime by cause, one row per cause in `Cause::ALL` order that any column has.
    pub(crate) causes: Vec<CauseLine>,
}

#[derive(Debug, Serialize)]
pub(crate) struct BaselineColumn {
    pub(crate) scenario: String,
    /// `single_server`, `standby_pair`, `park`, `park_lb_pair` (the shipped baselines) or
    /// `other` (the string table's `base_<kind>`).
    pub(crate) kind: &'static str,
    /// The report's own park (same scenario name).
    pub(crate) this_park: bool,
    pub(crate) servers: u32,
    pub(crate) replications: u32,
    pub(crate) years: f64,
    pub(crate) availability_pct: Estimate,
    pub(crate) downtime_min_per_year: Estimate,
    /// Whether this column's downtime counts planned maintenance.
    pub(crate) maintenance: MaintenanceContract,
}

#[derive(Debug, Serialize)]
pub(crate) struct CauseLine {
    /// `Cause::name` (the string table's `bcause_<cause>`).
    pub(crate) cause: &'static str,
    /// Downtime charged to the cause [min/year], per column.
    pub(crate) downtime_min_per_year: Vec<Estimate>,
}

fn kind_of(scenario: &str) -> &'static str {
    match scenario {
        "baseline_single_server" => "single_server",
        "baseline_standby_pair" => "standby_pair",
        "baseline_xpos" => "park",
        "baseline_xpos_hardened" => "park_lb_pair",
        _ => "other",
    }
}

/// The baselines of the comparison at `path`, marking the column of `this_scenario`.
pub(super) fn read_baselines(path: &Path, this_scenario: &str) -> Result<BaselineFigures, ReportError> {
    let bad = |message: String| ReportError::Malformed {
        path: path.to_path_buf(),
        message: format!("{message} (`simpark compare` writes compare.json)"),
    };
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let file: CompareFile = serde_json::from_str(&text).map_err(|e| bad(format!("not a comparison: {e}")))?;
    if file.schema_version != COMPARE_SCHEMA_VERSION {
        return Err(bad(format!(
            "schema_version {}; this simpark reads {COMPARE_SCHEMA_VERSION}",
            file.schema_version
        )));
    }
    let avail: Vec<&ComparedRead> = file.scenarios.iter().filter(|s| s.mode == "availability").collect();
    if avail.is_empty() {
        return Err(bad("no availability scenario to compare downtime with".into()));
    }
    let metric = |s: &ComparedRead, name: &str| -> Result<Estimate, ReportError> {
        let v = s
            .metrics
            .get(name)
            .ok_or_else(|| bad(format!("scenario `{}` has no `{name}`", s.scenario)))?;
        serde_json::from_value(v.clone()).map_err(|e| bad(format!("`{}`.{name}: {e}", s.scenario)))
    };
    let mut columns = Vec::new();
    for s in &avail {
        let a = metric(s, "availability_time")?;
        columns.push(BaselineColumn {
            scenario: s.scenario.clone(),
            kind: kind_of(&s.scenario),
            this_park: s.scenario == this_scenario,
            servers: s.servers.total,
            replications: s.replications,
            years: s.horizon_s / (365.0 * 86_400.0),
            availability_pct: Estimate {
                value: 100.0 * a.value,
                ci95: a.ci95.map(|c| 100.0 * c),
            },
            downtime_min_per_year: metric(s, "downtime_min_per_year")?,
            maintenance: s.maintenance,
        });
    }
    let mut causes = Vec::new();
    for c in Cause::ALL {
        let per: Vec<Estimate> = avail
            .iter()
            .map(|s| metric(s, &format!("downtime_min_per_year_{}", c.name())))
            .collect::<Result<_, _>>()?;
        if per.iter().any(|e| e.value > 0.0) {
            causes.push(CauseLine {
                cause: c.name(),
                downtime_min_per_year: per,
            });
        }
    }
    let maintenance = if columns.iter().all(|c| c.maintenance == MaintenanceContract::Count) {
        "count"
    } else if columns.iter().all(|c| c.maintenance == MaintenanceContract::Exclude) {
        "exclude"
    } else {
        "mixed"
    };
    Ok(BaselineFigures {
        columns,
        maintenance,
        causes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Mode;
    use crate::study::RunFigures;
    use crate::study::compare::{Compared, Comparison, Servers};

    fn est(value: f64) -> Estimate {
        Estimate {
            value,
            ci95: Some(value / 10.0),
        }
    }

    #[test]
    fn reads_what_compare_writes() {
        let compared = |scenario: &str, down: f64, mode: Mode, maintenance: MaintenanceContract| {
            let mut metrics: Vec<(&'static str, Estimate)> = vec![
                ("availability_time", est(1.0 - down / 525_600.0)),
                ("downtime_min_per_year", est(down)),
            ];
            for (k, c) in Cause::ALL.iter().enumerate() {
                let name: &'static str = Box::leak(format!("downtime_min_per_year_{}", c.name()).into_boxed_str());
                metrics.push((name, est(if k == 1 { down } else { 0.0 })));
            }
            Compared {
                file: format!("{scenario}.toml"),
                scenario: scenario.into(),
                mode: if mode == Mode::Availability {
                    "availability"
                } else {
                    "requests"
                },
                seed: 1,
                replications: 10,
                horizon_s: 10.0 * 365.0 * 86_400.0,
                servers: Servers {
                    total: 1,
                    balancers: 0,
                    web: 1,
                    storage: 0,
                    backup: 0,
                },
                maintenance,
                metrics: RunFigures {
                    mode,
                    offered_rps: 10.0,
                    metrics,
                },
                peak: None,
            }
        };
        use MaintenanceContract::{Count, Exclude};
        let comparison = |contracts: [MaintenanceContract; 3]| Comparison {
            schema_version: 1,
            simpark_version: "test",
            scenarios: vec![
                compared("baseline_single_server", 500.0, Mode::Availability, contracts[0]),
                compared("whatif", 5.0, Mode::Requests, contracts[1]),
                compared("baseline_xpos", 300.0, Mode::Availability, contracts[2]),
            ],
        };
        let c = comparison([Count, Exclude, Count]);
        let dir = std::env::temp_dir().join(format!("simpark-baselines-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("compare.json");
        std::fs::write(&path, c.json()).unwrap();
        let b = read_baselines(&path, "baseline_xpos").unwrap();
        assert_eq!(b.columns.len(), 2, "request-mode scenarios have no downtime by cause");
        assert_eq!(
            (b.columns[0].kind, b.columns[1].kind, b.columns[1].this_park),
            ("single_server", "park", true)
        );
        assert_eq!(b.columns[0].downtime_min_per_year.value, 500.0);
        assert!((b.columns[1].years - 10.0).abs() < 1e-12);
        assert_eq!(b.causes.len(), 1, "only causes with downtime");
        assert_eq!(b.causes[0].cause, "web");
        assert_eq!(b.causes[0].downtime_min_per_year[1].value, 300.0);
        // How maintenance was counted is compare.json's, per column and for the section
        // (the request-mode scenario is no column and does not count).
        assert_eq!(b.maintenance, "count");
        assert_eq!(b.columns[1].maintenance, Count);
        for (contracts, said) in [
            ([Exclude, Count, Exclude], "exclude"),
            ([Count, Count, Exclude], "mixed"),
        ] {
            std::fs::write(&path, comparison(contracts).json()).unwrap();
            let b = read_baselines(&path, "baseline_xpos").unwrap();
            assert_eq!(b.maintenance, said, "{contracts:?}");
            assert_eq!(
                (b.columns[0].maintenance, b.columns[1].maintenance),
                (contracts[0], contracts[2])
            );
        }
        std::fs::write(&path, "{\"schema_version\": 7, \"scenarios\": []}").unwrap();
        let e = read_baselines(&path, "x").unwrap_err().to_string();
        assert!(e.contains("schema_version 7") && e.contains("simpark compare"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
