//! `simpark compare`: several scenarios run with the same flags and put side by side, in the
//! order given: availability, downtime per year and failed requests per year by cause, p99
//! latency (where the mode has it), data-loss risk and server count, each with its 95% CI.
//!
//! Without scenarios it compares the brochure's three setups (`scenarios/baseline/`: a
//! single server, a standby pair, the full park), embedded so it works from any directory.
//! With a peak (`--peak 10x1h`) every scenario also runs through a news spike at request
//! level ([`peak_model`]): where does one server or a standby saturate while the park does not?
//! Only reads the models it is given and the figures the runner returns; must never read a
//! clock or spawn a thread (parallelism is `study::run_models`).

use super::precision::Precision;
use super::{Crashed, RunFigures, SCHEMA_VERSION, StudyError, run_models};
use crate::model::topology::NodeKind;
use crate::model::traffic::rate_at;
use crate::report::plot::{self, Bar};
use crate::scenario::{Burst, Mode, Model, ScenarioError};
use crate::stats::Estimate;
use crate::units::{SimDuration, SimTime};
use serde::Serialize;
use std::fmt::Write;

/// The brochure's comparison, compared when no scenario is named: (origin, TOML).
pub(crate) const BASELINES: [(&str, &str); 3] = [
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
pub(crate) struct Servers {
    pub(crate) total: u32,
    /// lb1 (and lb2 with a pair). A balancer that cannot fail (`reliability.lb.fails =
    /// false`) is how a scenario says there is none: the single-server and standby-pair
    /// baselines reach their host directly or by a failover address.
    pub(crate) balancers: u32,
    pub(crate) web: u32,
    pub(crate) storage: u32,
    pub(crate) backup: u32,
}

impl Servers {
    pub(crate) fn of(model: &Model) -> Servers {
        let t = &model.topology;
        let count = |f: &dyn Fn(NodeKind) -> bool| (0..t.node_names().len()).filter(|&i| f(t.kind(i))).count() as u32;
        let balancers = if model.spec.reliability.lb.fails {
            count(&|k| k == NodeKind::Balancer)
        } else {
            0
        };
        let web = count(&|k| matches!(k, NodeKind::Web(_)));
        // Storage on the web servers (a standby pair's database) is no machine of its own.
        let storage = if model.spec.storage.colocated {
            0
        } else {
            count(&|k| matches!(k, NodeKind::Storage(_)))
        };
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
    #[cfg(test)]
    pub(crate) fn text(&self) -> String {
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
    pub(crate) schema_version: u32,
    pub(crate) simpark_version: &'static str,
    /// In the order given.
    pub(crate) scenarios: Vec<Compared>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Compared {
    /// The file it came from (or the embedded baseline's path).
    pub(crate) file: String,
    pub(crate) scenario: String,
    pub(crate) mode: &'static str,
    pub(crate) seed: u64,
    pub(crate) replications: u32,
    pub(crate) horizon_s: f64,
    pub(crate) servers: Servers,
    /// Whether planned maintenance counts in the downtime and availability figures.
    pub(crate) maintenance: crate::scenario::MaintenanceContract,
    pub(crate) metrics: RunFigures,
    /// The same scenario through the peak, at request level (with `--peak`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) peak: Option<RunFigures>,
}

/// A news spike: `multiplier` x the traffic for `duration`, from the busiest hour of the week.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Peak {
    pub(crate) multiplier: f64,
    pub(crate) duration_s: f64,
}

/// Time at the peak's traffic before it is measured, for queues to fill.
pub(crate) const PEAK_WARMUP: SimDuration = SimDuration::from_mins(10);
/// Replications of a peak run (like the latency sample of an availability run).
pub(crate) const PEAK_REPLICATIONS: u32 = 5;
/// The largest peak multiplier (the scenario's factor limit).
const PEAK_MULTIPLIER_MAX: f64 = 1000.0;

impl Peak {
    /// `10x1h`: a multiplier, `x`, a duration.
    pub fn parse(text: &str) -> Result<Peak, String> {
        let expected = "expected MULTIPLIERxDURATION, e.g. 10x1h (10 times the traffic for an hour)";
        let Some((m, d)) = text.split_once('x') else {
            return Err(format!("{text:?} is not valid; {expected}"));
        };
        let multiplier: f64 = m
            .trim()
            .parse()
            .map_err(|_| format!("{text:?}: {m:?} is not a number; {expected}"))?;
        if !(multiplier.is_finite() && multiplier > 0.0 && multiplier <= PEAK_MULTIPLIER_MAX) {
            return Err(format!(
                "{text:?}: the multiplier must be > 0 and <= {PEAK_MULTIPLIER_MAX}; {expected}"
            ));
        }
        let duration = crate::units::parse_duration(d.trim()).map_err(|e| format!("{text:?}: {e}; {expected}"))?;
        if duration.is_zero() || duration > SimDuration::from_secs(7 * 86_400) {
            return Err(format!("{text:?}: the duration must be > 0 and at most 7d; {expected}"));
        }
        Ok(Peak {
            multiplier,
            duration_s: duration.as_secs_f64(),
        })
    }

    /// `10x for 1h`.
    pub(crate) fn text(&self) -> String {
        format!("{}x for {}", self.multiplier, span(self.duration_s))
    }
}

/// `m` through `peak` at request level: the request-level sample of the scenario (no failures,
/// no maintenance: capacity only) with a burst of `peak.multiplier` from [`PEAK_WARMUP`] before
/// the busiest hour of its first week, measured for `peak.duration_s` from that hour.
pub fn peak_model(m: &Model, peak: &Peak) -> Result<Model, ScenarioError> {
    const HOUR: u64 = 3_600_000_000_000;
    let busiest = (0..7 * 24u64)
        .map(|h| (h, rate_at(&m.traffic, SimTime::from_nanos(h * HOUR)).0))
        .fold((0, f64::MIN), |best, x| if x.1 > best.1 { x } else { best })
        .0;
    let at = SimTime::from_nanos(busiest * HOUR).max(SimTime::ZERO + PEAK_WARMUP);
    let duration = SimDuration::from_nanos((peak.duration_s * 1e9).round() as u64);
    let mut spec = crate::scenario::latency_sample_spec(&m.spec);
    spec.name = format!("{}_peak", m.spec.name);
    spec.reliability.random_in_requests = false;
    spec.replications = PEAK_REPLICATIONS;
    spec.warmup = format!("{}ns", at.as_nanos());
    spec.horizon = format!("{}ns", (at + duration).as_nanos());
    spec.traffic.bursts.push(Burst {
        start: format!("{}ns", at.as_nanos() - PEAK_WARMUP.as_nanos()),
        duration: format!("{}ns", (PEAK_WARMUP + duration).as_nanos()),
        multiplier: peak.multiplier,
    });
    crate::scenario::validate(spec).map_err(|(key, message)| {
        ScenarioError::Invalid(crate::scenario::Located {
            file: format!("<{} through a {} peak>", m.spec.name, peak.text()),
            line: 0,
            column: 0,
            key,
            message,
            snippet: None,
        })
    })
}

/// Run every (scenario x replication) on `jobs` threads and put the results side by side;
/// then the peak models, if given (one per entry, in order; a crash in one is reported at its
/// entry's index).
pub fn compare(
    entries: &[(String, Model)],
    peaks: &[Model],
    jobs: usize,
    on_done: &(dyn Fn() + Sync),
) -> Result<Comparison, Crashed> {
    assert!(
        peaks.is_empty() || peaks.len() == entries.len(),
        "one peak model per entry"
    );
    let models: Vec<Model> = entries.iter().map(|(_, m)| m.clone()).collect();
    let figures = run_models(&models, jobs, on_done)?;
    let peak_figures = run_models(peaks, jobs, on_done)?;
    Ok(side_by_side(entries, figures, peak_figures))
}

/// `compare` by precision: each scenario from its replications on, in batches, until its
/// targets (`precision[i]`, parsed for its mode) are met or their cap
/// (`study::run_and_fold_precise`); each scenario reports the replications it used. Peaks
/// keep their fixed replications.
pub fn compare_precise(
    entries: &[(String, Model)],
    peaks: &[Model],
    precision: &[Precision],
    jobs: usize,
    on_done: &(dyn Fn() + Sync),
) -> Result<Comparison, Crashed> {
    assert_eq!(precision.len(), entries.len(), "targets per scenario");
    let start: Vec<u32> = entries.iter().map(|(_, m)| m.replications).collect();
    let (figures, used) = super::run_and_fold_precise(
        &start,
        &|r| (entries[r].1.mode, entries[r].1.mean_rate_per_s()),
        &|r| entries[r].1.clone(),
        &|r| &precision[r],
        jobs,
        on_done,
    )?;
    let peak_figures = run_models(peaks, jobs, on_done)?;
    Ok(side_by_side(entries, figures, peak_figures).with_replications(&used))
}

/// The comparison of `entries` from each one's figures (in order) and its peak models'
/// (one per entry, or none): what a whole compare and `simpark merge` both call.
pub fn side_by_side(
    entries: &[(String, Model)],
    figures: Vec<RunFigures>,
    peak_figures: Vec<RunFigures>,
) -> Comparison {
    let mut peak_figures = peak_figures.into_iter();
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
            peak: peak_figures.next(),
        })
        .collect();
    Comparison {
        schema_version: SCHEMA_VERSION,
        simpark_version: env!("CARGO_PKG_VERSION"),
        scenarios,
    }
}

/// Table rows: (label, metric, digits).
const ROWS: [(&str, &str, usize); 23] = [
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
    // Failed requests by cause: a partial outage fails requests without downtime.
    ("failed req/yr: lb", "failed_requests_per_year_lb", 1),
    ("failed req/yr: web", "failed_requests_per_year_web", 1),
    ("failed req/yr: storage", "failed_requests_per_year_storage", 1),
    ("failed req/yr: takeover", "failed_requests_per_year_takeover", 1),
    ("failed req/yr: network", "failed_requests_per_year_network", 1),
    ("failed req/yr: maintenance", "failed_requests_per_year_maintenance", 1),
    ("failed req/yr: human error", "failed_requests_per_year_human_error", 1),
    ("failed req/yr: overload", "failed_requests_per_year_overload", 1),
    ("latency ms p99", "latency_ms_p99", 1),
    // Human-error restores that lost data, failed restores, both storage copies lost.
    ("data-loss events/year", "data_loss_events_per_year", 4),
    ("RAID-1 losses/year", "raid_array_losses_per_year", 4),
];

/// Rows of the peak run (request level, `PEAK_REPLICATIONS` replications).
const PEAK_ROWS: [(&str, &str, usize); 4] = [
    ("peak: served req/s", "throughput_rps", 1),
    ("peak: availability (req)", "availability_request", 6),
    ("peak: latency ms p99", "latency_ms_p99", 1),
    ("peak: busiest web util.", "web_utilisation_max", 3),
];

impl Comparison {
    /// The comparison with each scenario's replications as used (by precision; in order).
    pub fn with_replications(mut self, used: &[u32]) -> Comparison {
        for (c, &n) in self.scenarios.iter_mut().zip(used) {
            c.replications = n;
        }
        self
    }
}

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
        let mut rows = self.setup_rows();
        rows.extend(self.metric_rows());
        rows.extend(self.peak_rows());
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

    /// The table's first rows: each scenario's name, mode, simulated time, servers and how
    /// planned maintenance counts.
    fn setup_rows(&self) -> Vec<(&'static str, Vec<String>)> {
        vec![
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
        ]
    }

    /// One row per figure of `ROWS` that some scenario has.
    fn metric_rows(&self) -> Vec<(&'static str, Vec<String>)> {
        let mut rows = Vec::new();
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
        rows
    }

    /// Through the peak, at request level: requests served and p99 during it (no rows when
    /// no scenario ran a peak).
    fn peak_rows(&self) -> Vec<(&'static str, Vec<String>)> {
        let mut rows = Vec::new();
        for (label, metric, digits) in PEAK_ROWS {
            if self.scenarios.iter().all(|s| s.peak.is_none()) {
                break;
            }
            let cells = self
                .scenarios
                .iter()
                .map(|s| {
                    s.peak
                        .as_ref()
                        .and_then(|p| p.get(metric))
                        .map_or_else(|| "-".to_string(), |e| pm(&e, digits))
                })
                .collect();
            rows.push((label, cells));
        }
        rows
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
    fn a_peak_is_a_multiplier_and_a_duration() {
        let ok = [
            ("10x1h", 10.0, 3600.0),
            ("2.5x90m", 2.5, 5400.0),
            ("300x10m", 300.0, 600.0),
        ];
        for (text, multiplier, duration_s) in ok {
            assert_eq!(Peak::parse(text), Ok(Peak { multiplier, duration_s }), "{text}");
        }
        for bad in [
            "10",
            "x1h",
            "10x",
            "0x1h",
            "-2x1h",
            "nanx1h",
            "1001x1h",
            "10x0s",
            "10x8d",
            "10x1 fortnight",
        ] {
            let e = Peak::parse(bad).unwrap_err();
            assert!(e.contains("10x1h"), "{bad}: {e}");
        }
    }

    /// The peak run is the scenario at request level, without failures or maintenance, with
    /// the burst from PEAK_WARMUP before the busiest hour of the week over the measured window.
    #[test]
    fn the_peak_run_measures_the_busiest_hour_times_the_multiplier() {
        let (origin, text) = BASELINES[1];
        let m = crate::scenario::from_str(text, origin, &[]).unwrap();
        let p = peak_model(&m, &Peak::parse("10x1h").unwrap()).unwrap();
        assert_eq!(p.mode, Mode::Requests);
        assert!(p.maintenance.is_none() && !p.spec.storage.colocated && p.spec.faults.is_empty());
        assert_eq!(p.replications, PEAK_REPLICATIONS);
        assert_eq!(p.horizon - p.warmup, SimDuration::from_secs(3600));
        let rate = |model: &Model, t: SimTime| rate_at(&model.traffic, t).0;
        let start = SimTime::ZERO + p.warmup;
        let busiest = (0..7 * 24)
            .map(|h| rate(&m, SimTime::from_nanos(h * 3_600_000_000_000)))
            .fold(0.0, f64::max);
        assert_eq!(rate(&m, start), busiest);
        for t in [
            start,
            start + SimDuration::from_mins(59),
            SimTime::ZERO + (p.warmup - PEAK_WARMUP),
        ] {
            assert!((rate(&p, t) / rate(&m, t) - 10.0).abs() < 1e-9);
        }
        assert_eq!(rate(&p, SimTime::ZERO + p.horizon), rate(&m, SimTime::ZERO + p.horizon));
    }

    #[test]
    fn span_reads_well() {
        assert_eq!(span(10.0 * 365.0 * 86_400.0), "10y");
        assert_eq!(span(7.0 * 86_400.0), "7d");
        assert_eq!(span(7200.0), "2h");
    }
}
