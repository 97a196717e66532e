//! `simpark compare`: several scenarios run with the same flags and put side by side, in the
//! order given: availability, downtime per year, p99 latency (where the mode has it),
//! data-loss risk and server count, each with its 95% CI.
//!
//! Without scenarios it compares the brochure's three setups (`scenarios/baseline/`: a
//! single server, a standby pair, the full park), embedded so it works from any directory.
//! Only reads the models it is given and the figures the runner returns; must never read a
//! clock or spawn a thread (parallelism is `study::run_models`).

use super::{Crashed, RunFigures, SCHEMA_VERSION, StudyError, run_models};
use crate::report::plot::{self, Bar};
use crate::scenario::{Mode, Model};
use crate::sim::topology::NodeKind;
use crate::stats::Estimate;
use serde::Serialize;
use std::fmt::Write;

/// The brochure's comparison, compared when no scenario is named: (origin, TOML).
pub const BASELINES: [(&str, &str); 3] = [
    (
        "scenarios/baseline/single_server.toml",
        include_str!("../../scenarios/baseline/single_server.toml"),
    ),
    (
        "scenarios/baseline/standby_pair.toml",
        include_str!("../../scenarios/baseline/standby_pair.toml"),
    ),
    (
        "scenarios/baseline/xpos.toml",
        include_str!("../../scenarios/baseline/xpos.toml"),
    ),
];

/// Narrowest scenario column in the terminal table (columns widen to fit their cells).
const COLUMN_WIDTH_MIN: usize = 16;

/// Machines in a scenario's topology.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Servers {
    pub total: u32,
    /// lb1 (and lb2 with a pair). A balancer that cannot fail (`reliability.lb.fails =
    /// false`) is how a scenario says there is none: the single-server and standby-pair
    /// baselines reach their host directly or by a failover address.
    pub balancers: u32,
    pub web: u32,
    pub storage: u32,
    pub backup: u32,
}

impl Servers {
    pub fn of(model: &Model) -> Servers {
        let t = &model.topology;
        let count = |f: &dyn Fn(NodeKind) -> bool| (0..t.node_names().len()).filter(|&i| f(t.kind(i))).count() as u32;
        let balancers = if model.spec.reliability.lb.fails {
            count(&|k| k == NodeKind::Balancer)
        } else {
            0
        };
        let web = count(&|k| matches!(k, NodeKind::Web(_)));
        let storage = count(&|k| matches!(k, NodeKind::Storage(_)));
        let backup = count(&|k| k == NodeKind::Backup);
        Servers {
            total: balancers + web + storage + backup,
            balancers,
            web,
            storage,
            backup,
        }
    }

    /// `7 (lb 1, web 3, storage 2, backup 1)`, leaving out empty tiers.
    pub fn text(&self) -> String {
        let parts: Vec<String> = [
            ("lb", self.balancers),
            ("web", self.web),
            ("storage", self.storage),
            ("backup", self.backup),
        ]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
        format!("{} ({})", self.total, parts.join(", "))
    }
}

/// `compare.json`.
#[derive(Debug, Serialize)]
pub struct Comparison {
    pub schema_version: u32,
    pub simpark_version: &'static str,
    /// In the order given.
    pub scenarios: Vec<Compared>,
}

#[derive(Debug, Serialize)]
pub struct Compared {
    /// The file it came from (or the embedded baseline's path).
    pub file: String,
    pub scenario: String,
    pub mode: &'static str,
    pub seed: u64,
    pub replications: u32,
    pub horizon_s: f64,
    pub servers: Servers,
    /// Whether planned maintenance counts in the downtime and availability figures.
    pub maintenance: crate::scenario::MaintenanceContract,
    pub metrics: RunFigures,
}

/// Run every (scenario x replication) on `jobs` threads and put the results side by side.
pub fn compare(entries: &[(String, Model)], jobs: usize, on_done: &(dyn Fn() + Sync)) -> Result<Comparison, Crashed> {
    let models: Vec<Model> = entries.iter().map(|(_, m)| m.clone()).collect();
    Ok(side_by_side(entries, run_models(&models, jobs, on_done)?))
}

/// The comparison of `entries` from each one's figures (in order): what a whole compare
/// and `simpark merge` both call.
pub fn side_by_side(entries: &[(String, Model)], figures: Vec<RunFigures>) -> Comparison {
    let scenarios = entries
        .iter()
        .zip(figures)
        .map(|((file, m), metrics)| Compared {
            file: file.clone(),
            scenario: m.spec.name.clone(),
            mode: match m.mode {
                Mode::Requests => "requests",
                Mode::Availability => "availability",
            },
            seed: m.seed,
            replications: m.replications,
            horizon_s: m.horizon.as_secs_f64(),
            servers: Servers::of(m),
            maintenance: m.spec.maintenance.contract,
            metrics,
        })
        .collect();
    Comparison {
        schema_version: SCHEMA_VERSION,
        simpark_version: env!("CARGO_PKG_VERSION"),
        scenarios,
    }
}

/// Table rows: (label, metric, digits).
const ROWS: [(&str, &str, usize); 15] = [
    ("availability (time)", "availability_time", 6),
    ("availability (requests)", "availability_request", 6),
    ("downtime min/year", "downtime_min_per_year", 1),
    ("  without maintenance", "downtime_min_per_year_unplanned", 1),
    // Downtime by cause (`sim::avail::Cause`), so the table says why A beats B.
    ("  cause: lb", "downtime_min_per_year_lb", 1),
    ("  cause: web", "downtime_min_per_year_web", 1),
    ("  cause: storage", "downtime_min_per_year_storage", 1),
    ("  cause: takeover", "downtime_min_per_year_takeover", 1),
    ("  cause: network", "downtime_min_per_year_network", 1),
    ("  cause: maintenance", "downtime_min_per_year_maintenance", 1),
    ("  cause: human error", "downtime_min_per_year_human_error", 1),
    ("  cause: overload", "downtime_min_per_year_overload", 1),
    ("latency ms p99", "latency_ms_p99", 1),
    // Human-error restores that lost data, failed restores, both storage copies lost.
    ("data-loss events/year", "data_loss_events_per_year", 4),
    ("RAID-1 losses/year", "raid_array_losses_per_year", 4),
];

fn pm(e: &Estimate, digits: usize) -> String {
    match e.ci95 {
        Some(c) => format!("{:.*} ± {:.*}", digits, e.value, digits, c),
        None => format!("{:.*}", digits, e.value),
    }
}

impl Comparison {
    /// `compare.json` text.
    pub fn json(&self) -> String {
        crate::report::to_json(self)
    }

    /// Scenarios as columns, in the order given; `-` where a mode has no such figure.
    pub fn table(&self) -> String {
        let mut rows: Vec<(&str, Vec<String>)> = vec![
            ("", self.scenarios.iter().map(|s| s.scenario.clone()).collect()),
            ("mode", self.scenarios.iter().map(|s| s.mode.to_string()).collect()),
            (
                "simulated",
                self.scenarios
                    .iter()
                    .map(|s| format!("{} x {}", s.replications, span(s.horizon_s)))
                    .collect(),
            ),
            (
                "servers",
                self.scenarios.iter().map(|s| s.servers.total.to_string()).collect(),
            ),
            (
                "  lb, web, storage, backup",
                self.scenarios
                    .iter()
                    .map(|s| {
                        let v = &s.servers;
                        format!("{}, {}, {}, {}", v.balancers, v.web, v.storage, v.backup)
                    })
                    .collect(),
            ),
            (
                "planned maintenance",
                self.scenarios
                    .iter()
                    .map(|s| match s.maintenance {
                        crate::scenario::MaintenanceContract::Count => "counted".to_string(),
                        crate::scenario::MaintenanceContract::Exclude => "excluded".to_string(),
                    })
                    .collect(),
            ),
        ];
        for (label, metric, digits) in ROWS {
            if self.scenarios.iter().all(|s| s.metrics.get(metric).is_none()) {
                continue;
            }
            let cells = self
                .scenarios
                .iter()
                .map(|s| {
                    s.metrics
                        .get(metric)
                        .map_or_else(|| "-".to_string(), |e| pm(&e, digits))
                })
                .collect();
            rows.push((label, cells));
        }
        let w = rows
            .iter()
            .flat_map(|(_, cells)| cells.iter().map(|c| c.chars().count()))
            .max()
            .unwrap_or(0)
            .max(COLUMN_WIDTH_MIN);
        let mut t = String::from("figures are means across replications ± 95% CI half-width\n\n");
        for (label, cells) in rows {
            let _ = write!(t, "  {label:<26}");
            for c in cells {
                let _ = write!(t, "  {c:>w$}");
            }
            t.push('\n');
        }
        t
    }

    /// Bar charts with 95% error bars: downtime per year (availability-mode scenarios) and
    /// p99 latency (request-mode scenarios), each only if some scenario has it.
    pub fn plots(&self) -> Result<Vec<(String, String)>, StudyError> {
        let mut out = Vec::new();
        for (metric, title) in [
            ("downtime_min_per_year", "Downtime per year"),
            ("latency_ms_p99", "p99 latency"),
        ] {
            let y_label = super::human_label(metric);
            let bars: Vec<Bar> = self
                .scenarios
                .iter()
                .filter_map(|s| {
                    let e = s.metrics.get(metric)?;
                    Some(Bar {
                        label: s.scenario.clone(),
                        value: e.value,
                        ci95: e.ci95,
                    })
                })
                .collect();
            if bars.is_empty() {
                continue;
            }
            let svg = plot::bar_chart(title, &y_label, &bars, None)?;
            out.push((format!("compare_{metric}.svg"), svg));
        }
        Ok(out)
    }
}

/// A simulated span for the table: `10y`, `7d`, `2h`.
fn span(s: f64) -> String {
    let year = 365.0 * 86_400.0;
    match s {
        s if s >= year => format!("{}y", super::vary::si(s / year, 3)),
        s if s >= 86_400.0 => format!("{}d", super::vary::si(s / 86_400.0, 3)),
        s if s >= 3600.0 => format!("{}h", super::vary::si(s / 3600.0, 3)),
        s => format!("{}s", super::vary::si(s, 3)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_validate_and_count_their_servers() {
        let servers: Vec<Servers> = BASELINES
            .iter()
            .map(|(origin, text)| Servers::of(&crate::scenario::from_str(text, origin, &[]).unwrap()))
            .collect();
        assert_eq!(servers[0].web, 1);
        assert_eq!(servers[0].balancers, 0, "the single server has no balancer");
        assert_eq!(servers[1].web, 2);
        assert_eq!(
            (servers[2].balancers, servers[2].web, servers[2].storage),
            (1, 3, 2),
            "the park: lb1, three web servers, a storage pair"
        );
        assert!(servers[2].total > servers[1].total && servers[1].total > servers[0].total);
        assert_eq!(
            servers[2].text(),
            format!("{} (lb 1, web 3, storage 2, backup 1)", servers[2].total)
        );
    }

    #[test]
    fn span_reads_well() {
        assert_eq!(span(10.0 * 365.0 * 86_400.0), "10y");
        assert_eq!(span(7.0 * 86_400.0), "7d");
        assert_eq!(span(7200.0), "2h");
    }
}
