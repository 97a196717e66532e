//! Scale out: a run as a list of units of work (one replication each, in index order), split
//! into shards that run anywhere (a Slurm array, a Kubernetes Indexed Job, AWS Batch, GNU
//! parallel), and the exact partial records a shard writes so `simpark merge` can rebuild
//! the replication list and summarise it with the same code as one process.
//!
//! A shard is a contiguous block of units (several units per task, so scheduler overhead
//! stays small): shard `i` of `N` runs units `[i*R/N, (i+1)*R/N)`. A record carries the
//! simpark version, the plan hash (of the version, the mode and the resolved scenario) and
//! its unit id; its replication is stored exactly: floats as their bit patterns, the latency
//! histogram as its (bucket value, count) pairs. Never reads a clock or the environment
//! itself: the caller passes a lookup for the scheduler's variables.

use super::compare::BASELINES;
use crate::scenario::{FaultKind, Model, ScenarioError, ScriptedFault};
use crate::sim::avail::{AlertLog, AvailMetrics, Cause, DAY_KINDS, Episode, Incident, IncidentCause};
use crate::sim::metrics::{AlertRecord, Bucket, FailReason, LATENCY_NS_MAX, LATENCY_SIGFIG, RepMetrics, StateChange};
use crate::units::{SimDuration, SimTime};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::Path;

/// The simpark version every record carries.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Scheduler variables giving a task's index, in the order they are looked up.
pub const INDEX_VARS: [&str; 3] = [
    "SLURM_ARRAY_TASK_ID",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

/// Which shard of how many.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 0-based.
    pub index: u32,
    /// Shards in all.
    pub count: u32,
}

/// A `--shard` value or scheduler variable that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("--shard `{0}` is not valid; expected i/N (0 <= i < N, e.g. 3/8), auto (Slurm array) or auto/N")]
    /// The `--shard` text does not parse.
    Syntax(String),
    #[error(
        "--shard {0}: no scheduler index found; set one of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX (or give --shard i/N)"
    )]
    /// `auto`, but no scheduler variable is set.
    NoIndex(String),
    #[error("--shard {spec}: {var}=`{value}` is not valid; expected a whole number{bound}")]
    /// A scheduler variable holds no usable index.
    BadVar {
        /// The `--shard` text.
        spec: String,
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// The valid range, in words.
        bound: String,
    },
    #[error("--units `{0}` is not valid; expected unit ids and ranges, e.g. 0-9,12,40-41")]
    /// The `--units` text does not parse.
    Units(String),
}

impl Shard {
    /// Parse `i/N`, `auto` (index and count from `SLURM_ARRAY_TASK_ID` minus
    /// `SLURM_ARRAY_TASK_MIN` and `SLURM_ARRAY_TASK_COUNT`) or `auto/N` (index from the first
    /// of `INDEX_VARS` that is set). `env` looks a variable up.
    pub fn parse(spec: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, ShardError> {
        let syntax = || ShardError::Syntax(spec.to_string());
        let number = |var: &'static str, value: &str, bound: &str| {
            value.trim().parse::<u32>().map_err(|_| ShardError::BadVar {
                spec: spec.to_string(),
                var,
                value: value.to_string(),
                bound: bound.to_string(),
            })
        };
        let (index, count) = spec.split_once('/').unwrap_or((spec, ""));
        let shard = match (index.trim(), count.trim()) {
            ("auto", "") => {
                let var = "SLURM_ARRAY_TASK_ID";
                let id = env(var).ok_or_else(|| ShardError::NoIndex(spec.to_string()))?;
                let id = number(var, &id, "")?;
                let min = match env("SLURM_ARRAY_TASK_MIN") {
                    Some(m) => number("SLURM_ARRAY_TASK_MIN", &m, "")?,
                    None => 0,
                };
                let count = env("SLURM_ARRAY_TASK_COUNT").ok_or_else(|| ShardError::NoIndex(spec.to_string()))?;
                let count = number("SLURM_ARRAY_TASK_COUNT", &count, " >= 1")?;
                Shard {
                    index: id.checked_sub(min).ok_or_else(syntax)?,
                    count,
                }
            }
            ("auto", n) => {
                let count: u32 = n.parse().map_err(|_| syntax())?;
                let (var, value) = INDEX_VARS
                    .iter()
                    .find_map(|v| env(v).map(|x| (*v, x)))
                    .ok_or_else(|| ShardError::NoIndex(spec.to_string()))?;
                let index = number(var, &value, &format!(" below {count}"))?;
                if index >= count {
                    return Err(ShardError::BadVar {
                        spec: spec.to_string(),
                        var,
                        value,
                        bound: format!(" below {count}"),
                    });
                }
                Shard { index, count }
            }
            (i, n) => Shard {
                index: i.parse().map_err(|_| syntax())?,
                count: n.parse().map_err(|_| syntax())?,
            },
        };
        if shard.count == 0 || shard.index >= shard.count {
            return Err(syntax());
        }
        Ok(shard)
    }

    /// The units this shard runs out of `total`: a contiguous block, sizes differing by at
    /// most one, every unit in exactly one shard.
    pub fn units(self, total: u32) -> Range<u32> {
        let at = |i: u32| (u64::from(i) * u64::from(total) / u64::from(self.count)) as u32;
        at(self.index)..at(self.index + 1)
    }
}

/// Parse a `--units` list (`0-9,12`, inclusive ranges) into sorted, distinct unit ids, each
/// below `total`.
pub fn parse_units(text: &str, total: u32) -> Result<Vec<u32>, ShardError> {
    let bad = || ShardError::Units(text.to_string());
    let mut units = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b): (u32, u32) = (
            a.trim().parse().map_err(|_| bad())?,
            b.trim().parse().map_err(|_| bad())?,
        );
        if a > b || b >= total {
            return Err(bad());
        }
        units.extend(a..=b);
    }
    units.sort_unstable();
    units.dedup();
    if units.is_empty() {
        return Err(bad());
    }
    Ok(units)
}

/// Unit ids as short inclusive ranges: `0-9,12`.
pub fn format_units(units: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < units.len() {
        let mut j = i;
        while j + 1 < units.len() && units[j + 1] == units[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            units[i].to_string()
        } else {
            format!("{}-{}", units[i], units[j])
        });
        i = j + 1;
    }
    out.join(",")
}

/// The plan's hash: FNV-1a (64 bits) of the version, the mode and the resolved scenario, so
/// records of another version or another plan are never merged. `resolved` is
/// `scenario::to_toml` of the model's spec.
pub fn plan_hash(model: &Model, resolved: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mode = format!("{:?}", model.mode);
    for part in [VERSION, "\0", mode.as_str(), "\0", resolved] {
        for b in part.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// What a sharded study (`sweep`, `compare`, `check`) is, so `simpark merge` can rebuild it:
/// the scenario files as given (read from `dir`), every override the flags stood for and, for
/// a sweep, its `--vary` ranges. Shards write it beside their records as `study.toml`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudyFile {
    /// Which study.
    pub command: StudyKind,
    /// The directory relative scenario paths are read from (the shards' working directory;
    /// empty: the current one).
    pub dir: String,
    /// Scenario files as given; none: the embedded default (sweep) or the baselines (compare).
    pub scenarios: Vec<String>,
    /// Every override the run flags (and a sweep's SLO flags) stand for, in order.
    pub sets: Vec<String>,
    /// A sweep's `--vary` ranges, in order.
    pub vary: Vec<String>,
    /// A comparison's `--peak` (its peak runs follow the compared scenarios' units).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak: Option<String>,
    /// `--precision` targets: each run gets its cap's units (`study::Layout`) and `simpark
    /// merge` applies the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<String>,
    /// `--max-replications` with `precision`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_replications: Option<u32>,
}

/// Which study a `study.toml` describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StudyKind {
    /// `simpark sweep`.
    Sweep,
    /// `simpark compare`.
    Compare,
    /// `simpark check`: units are (scenario file with `[[expect]]` blocks, replication), and
    /// records hold whole replications (capsules and JUnit need them).
    Check,
}

impl StudyKind {
    /// The subcommand's name.
    pub fn name(self) -> &'static str {
        match self {
            StudyKind::Sweep => "sweep",
            StudyKind::Compare => "compare",
            StudyKind::Check => "check",
        }
    }
}

impl StudyFile {
    /// How many scenarios the study loads: its files, or the embedded default (sweep) or
    /// baselines (compare) when none is named (a check always names its files).
    pub fn scenario_count(&self) -> usize {
        match (self.scenarios.len(), self.command) {
            (0, StudyKind::Sweep) => 1,
            (0, StudyKind::Compare) => BASELINES.len(),
            (n, _) => n,
        }
    }

    /// The label of scenario `i`: its path as given, or the baseline's.
    pub fn label(&self, i: usize) -> String {
        match self.scenarios.get(i) {
            Some(p) => p.clone(),
            None => BASELINES[i].0.to_string(),
        }
    }

    /// Scenario `i` with the study's overrides, then `extra`: exactly what the study command
    /// loads.
    pub fn load(&self, i: usize, extra: &[String]) -> Result<Model, ScenarioError> {
        let mut sets = self.sets.clone();
        sets.extend_from_slice(extra);
        match (self.scenarios.get(i), self.command) {
            (Some(p), _) => crate::scenario::load(&Path::new(&self.dir).join(p), &sets),
            (None, StudyKind::Sweep | StudyKind::Check) => crate::scenario::default_model(&sets),
            (None, StudyKind::Compare) => {
                let (origin, text) = BASELINES[i];
                crate::scenario::from_str(text, origin, &sets)
            }
        }
    }

    /// `study.toml`.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a study file serialises")
    }

    /// The plan hash of the study: FNV-1a of the version, the command, the `--vary` ranges,
    /// the labels and the resolved scenarios (`resolved`: the sweep's base, or every compared
    /// scenario), so equivalent flags give the same plan and a changed file does not.
    pub fn hash(&self, resolved: &[String]) -> String {
        let mut parts: Vec<&str> = vec![VERSION, self.command.name()];
        parts.extend(self.vary.iter().map(String::as_str));
        let labels: Vec<String> = (0..self.scenario_count()).map(|i| self.label(i)).collect();
        parts.extend(labels.iter().map(String::as_str));
        parts.extend(resolved.iter().map(String::as_str));
        // Absent options add nothing, so older plans keep their hashes.
        let cap = self.max_replications.map(|m| m.to_string());
        for (key, value) in [
            ("peak", &self.peak),
            ("precision", &self.precision),
            ("max_replications", &cap),
        ] {
            if let Some(v) = value {
                parts.extend([key, v.as_str()]);
            }
        }
        hash_parts(&parts)
    }
}

/// FNV-1a (64 bits) over `parts`, each followed by a NUL.
fn hash_parts(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// One unit's result as a shard writes it: one JSON line.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Record {
    pub(crate) simpark: String,
    pub(crate) plan: String,
    pub(crate) unit: u32,
    pub(crate) rep: UnitRecord,
}

/// A replication of either mode.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum UnitRecord {
    Requests(Box<RepRecord>),
    Availability(Box<AvailRecord>),
    /// A study unit (sweep, compare): its figures (`study::unit_figures`) as bit patterns.
    Figures(Vec<u64>),
}

/// A finished replication, as the in-process fold receives it.
pub enum Replication<'a> {
    /// A request-level replication.
    Requests(&'a RepMetrics),
    /// An availability replication.
    Availability(&'a AvailMetrics),
    /// Figures read back from a record.
    Figures(&'a [f64]),
}

/// `RepMetrics`, exactly: integers as they are, floats as bit patterns, the histogram as
/// (highest equivalent value, count) per recorded bucket (lossless: each value maps back to
/// its bucket).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RepRecord {
    window_ns: [u64; 2],
    arrivals: u64,
    ok: u64,
    failed: [u64; FailReason::ALL.len()],
    retries: u64,
    redispatches: u64,
    latency_ns_sum: u128,
    latency: Vec<[u64; 2]>,
    web_busy_ns: Vec<u64>,
    web_workers: u32,
    web_requests: Vec<u64>,
    web_requests_while_down: Vec<u64>,
    storage_busy_ns: Vec<u64>,
    storage_workers: u32,
    bucket_width_ns: u64,
    /// arrivals, ok, failed, latency sum, latency max.
    buckets: Vec<(u64, u64, u64, u128, u64)>,
    /// at_ms bits, server, up.
    state_changes: Vec<(u64, String, bool)>,
    takeover_ms: Vec<u64>,
    failover_lost_writes_ns: u64,
    failover_lost_writes_ns_max: u64,
    split_brain_ns: u64,
    /// at_ms bits, alert, target, resolved_ms bits.
    alerts: Vec<(u64, String, String, Option<u64>)>,
    slow: u64,
    events: u64,
    /// Planned maintenance: windows, ns out, ok and failed requests during it.
    #[serde(default)]
    maintenance: [u64; 4],
}

/// A record that does not describe a replication.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RecordError(String);

impl From<&RepMetrics> for RepRecord {
    fn from(m: &RepMetrics) -> Self {
        RepRecord {
            window_ns: [m.window_start.as_nanos(), m.window_end.as_nanos()],
            arrivals: m.arrivals,
            ok: m.ok,
            failed: m.failed,
            retries: m.retries,
            redispatches: m.redispatches,
            latency_ns_sum: m.latency_ns_sum,
            latency: m
                .latency
                .iter_recorded()
                .map(|v| [v.value_iterated_to(), v.count_at_value()])
                .collect(),
            web_busy_ns: m.web_busy_ns.clone(),
            web_workers: m.web_workers,
            web_requests: m.web_requests.clone(),
            web_requests_while_down: m.web_requests_while_down.clone(),
            storage_busy_ns: m.storage_busy_ns.clone(),
            storage_workers: m.storage_workers,
            bucket_width_ns: m.bucket_width.as_nanos(),
            buckets: m
                .buckets
                .iter()
                .map(|b| (b.arrivals, b.ok, b.failed, b.latency_ns_sum, b.latency_ns_max))
                .collect(),
            state_changes: m
                .state_changes
                .iter()
                .map(|s| (s.at_ms.to_bits(), s.server.clone(), s.up))
                .collect(),
            takeover_ms: m.takeover_ms.iter().map(|x| x.to_bits()).collect(),
            failover_lost_writes_ns: m.failover_lost_writes_ns,
            failover_lost_writes_ns_max: m.failover_lost_writes_ns_max,
            split_brain_ns: m.split_brain_ns,
            alerts: m
                .alerts
                .iter()
                .map(|a| {
                    (
                        a.at_ms.to_bits(),
                        a.alert.clone(),
                        a.target.clone(),
                        a.resolved_ms.map(f64::to_bits),
                    )
                })
                .collect(),
            slow: m.slow,
            events: m.events,
            maintenance: [
                m.maintenance_windows,
                m.maintenance_ns,
                m.maintenance_ok,
                m.maintenance_failed,
            ],
        }
    }
}

impl RepRecord {
    /// The replication this record was made from.
    pub(crate) fn to_metrics(&self) -> Result<RepMetrics, RecordError> {
        let mut m = RepMetrics::new(
            SimTime::from_nanos(self.window_ns[0]),
            SimTime::from_nanos(self.window_ns[1]),
            0,
            self.web_workers,
            0,
            self.storage_workers,
        );
        m.arrivals = self.arrivals;
        m.ok = self.ok;
        m.failed = self.failed;
        m.retries = self.retries;
        m.redispatches = self.redispatches;
        m.latency_ns_sum = self.latency_ns_sum;
        let mut latency =
            Histogram::new_with_bounds(1, LATENCY_NS_MAX, LATENCY_SIGFIG).expect("valid histogram bounds");
        for &[value, count] in &self.latency {
            latency
                .record_n(value, count)
                .map_err(|e| RecordError(format!("latency histogram value {value}: {e:?}")))?;
        }
        m.latency = latency;
        m.web_busy_ns = self.web_busy_ns.clone();
        m.web_requests = self.web_requests.clone();
        m.web_requests_while_down = self.web_requests_while_down.clone();
        m.storage_busy_ns = self.storage_busy_ns.clone();
        m.bucket_width = SimDuration::from_nanos(self.bucket_width_ns);
        m.buckets = self
            .buckets
            .iter()
            .map(|&(arrivals, ok, failed, latency_ns_sum, latency_ns_max)| Bucket {
                arrivals,
                ok,
                failed,
                latency_ns_sum,
                latency_ns_max,
            })
            .collect();
        m.state_changes = self
            .state_changes
            .iter()
            .map(|(at, server, up)| StateChange {
                at_ms: f64::from_bits(*at),
                server: server.clone(),
                up: *up,
            })
            .collect();
        m.takeover_ms = self.takeover_ms.iter().map(|b| f64::from_bits(*b)).collect();
        m.failover_lost_writes_ns = self.failover_lost_writes_ns;
        m.failover_lost_writes_ns_max = self.failover_lost_writes_ns_max;
        m.split_brain_ns = self.split_brain_ns;
        m.alerts = self
            .alerts
            .iter()
            .map(|(at, alert, target, resolved)| AlertRecord {
                at_ms: f64::from_bits(*at),
                alert: alert.clone(),
                target: target.clone(),
                resolved_ms: resolved.map(f64::from_bits),
            })
            .collect();
        m.slow = self.slow;
        m.events = self.events;
        [
            m.maintenance_windows,
            m.maintenance_ns,
            m.maintenance_ok,
            m.maintenance_failed,
        ] = self.maintenance;
        Ok(m)
    }
}

/// A record as one line of a part file (no newline).
pub fn record_line(plan: &str, unit: u32, rep: Replication) -> String {
    serde_json::to_string(&Record {
        simpark: VERSION.to_string(),
        plan: plan.to_string(),
        unit,
        rep: match rep {
            Replication::Requests(m) => UnitRecord::Requests(Box::new(RepRecord::from(m))),
            Replication::Availability(m) => UnitRecord::Availability(Box::new(AvailRecord::from(m))),
            Replication::Figures(f) => UnitRecord::Figures(bits(f)),
        },
    })
    .expect("records serialise")
}

/// A scripted fault: at, target, kind, factor (bits), peer, direction.
/// A logged fault: time [ns], node index, kind, factor (bits), peer index, one-way.
type FaultRecord = (u64, usize, FaultKind, u64, Option<usize>, bool);

/// An alert episode: target, rule, failed, end [ns], repaired, pages [ns], resolved [ns].
type EpisodeRecord = (String, String, u64, u64, bool, Vec<u64>, Option<u64>);

/// `AvailMetrics`, exactly: floats as bit patterns.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AvailRecord {
    window_ns: u64,
    downtime_ns: u64,
    offered: u64,
    failed: u64,
    monthly_downtime_ns: Vec<u64>,
    monthly_partial_ns: Vec<u64>,
    monthly_partial_outage_ns: Vec<u64>,
    monthly_degraded_ns: Vec<u64>,
    /// Days in the window, and the days with anything to count (sparse: most are zero).
    days: u64,
    daily_ns: Vec<(u64, [u64; DAY_KINDS.len()])>,
    /// start_h, end_h, cause class, cause, failed_requests (floats as bits).
    incidents: Vec<(u64, u64, Cause, IncidentCause, u64)>,
    /// Downtime by cause [ns], in `Cause::ALL` order.
    downtime_by_cause_ns: Vec<u64>,
    /// Failed requests by cause (bits), in `Cause::ALL` order.
    failed_by_cause: Vec<u64>,
    /// u64 counters in the order of `AvailRecord::counters`.
    counters: Vec<u64>,
    detect_ms: Vec<u64>,
    ack_min: Vec<u64>,
    repair_min: Vec<u64>,
    takeover_ms: Vec<u64>,
    lb_takeover_ms: Vec<u64>,
    /// failed_at_h, paged_at_h (bits), target, alert.
    alerts: Vec<(u64, u64, String, String)>,
    /// The alert episodes, field for field.
    episodes: Vec<EpisodeRecord>,
    rpo_h: Vec<u64>,
    rto_h: Vec<u64>,
    disaster_rpo_h: Vec<u64>,
    disaster_rto_h: Vec<u64>,
    /// at, target, kind, factor (bits), peer, direction.
    fault_log: Vec<FaultRecord>,
    swarm: Option<String>,
    web_down_max: u32,
    storage_down_max: u32,
}

fn bits(xs: &[f64]) -> Vec<u64> {
    xs.iter().map(|x| x.to_bits()).collect()
}

fn floats(xs: &[u64]) -> Vec<f64> {
    xs.iter().map(|b| f64::from_bits(*b)).collect()
}

/// The integer counters of `AvailMetrics`, in record order.
fn counters(m: &mut AvailMetrics) -> [&mut u64; 23] {
    [
        &mut m.incidents_total,
        &mut m.failures,
        &mut m.repairs,
        &mut m.raid_array_losses,
        &mut m.data_loss_events,
        &mut m.failovers,
        &mut m.split_brain_ns,
        &mut m.failover_lost_writes_ns,
        &mut m.pages,
        &mut m.backups_ok,
        &mut m.backups_failed,
        &mut m.backups_corrupt,
        &mut m.backups_skipped,
        &mut m.snapshots_kept,
        &mut m.human_errors,
        &mut m.restores_failed,
        &mut m.smart_warnings,
        &mut m.disk_failures,
        &mut m.faults_suppressed_by_budget,
        &mut m.faults_not_replayable,
        &mut m.disks_replaced_proactively,
        &mut m.maintenance_windows,
        &mut m.failover_lost_writes_ns_max,
    ]
}

/// The incidents as records: hours and failed requests as bit patterns.
fn incident_records(incidents: &[Incident]) -> Vec<(u64, u64, Cause, IncidentCause, u64)> {
    incidents
        .iter()
        .map(|i| {
            (
                i.start_h.to_bits(),
                i.end_h.to_bits(),
                i.cause_class,
                i.cause.clone(),
                i.failed_requests.to_bits(),
            )
        })
        .collect()
}

/// The incidents an `incident_records` list was made from.
fn incidents_from(records: &[(u64, u64, Cause, IncidentCause, u64)]) -> Vec<Incident> {
    records
        .iter()
        .map(|(s, e, class, cause, f)| Incident {
            start_h: f64::from_bits(*s),
            end_h: f64::from_bits(*e),
            cause_class: *class,
            cause: cause.clone(),
            failed_requests: f64::from_bits(*f),
        })
        .collect()
}

/// The alert log as records: failed_at_h and paged_at_h as bit patterns.
fn alert_records(alerts: &[AlertLog]) -> Vec<(u64, u64, String, String)> {
    alerts
        .iter()
        .map(|a| {
            (
                a.failed_at_h.to_bits(),
                a.paged_at_h.to_bits(),
                a.target.clone(),
                a.alert.clone(),
            )
        })
        .collect()
}

/// The alert episodes as records, field for field.
fn episode_records(episodes: &[Episode]) -> Vec<EpisodeRecord> {
    episodes
        .iter()
        .map(|e| {
            (
                e.target.clone(),
                e.rule.clone(),
                e.failed_ns,
                e.end_ns,
                e.repaired,
                e.pages_ns.clone(),
                e.resolved_ns,
            )
        })
        .collect()
}

/// The episodes an `episode_records` list was made from.
fn episodes_from(records: &[EpisodeRecord]) -> Vec<Episode> {
    records
        .iter()
        .map(
            |(target, rule, failed_ns, end_ns, repaired, pages_ns, resolved_ns)| Episode {
                target: target.clone(),
                rule: rule.clone(),
                failed_ns: *failed_ns,
                end_ns: *end_ns,
                repaired: *repaired,
                pages_ns: pages_ns.clone(),
                resolved_ns: *resolved_ns,
            },
        )
        .collect()
}

/// A logged fault as a record: time in ns, the factor as a bit pattern.
fn fault_record(f: &ScriptedFault) -> FaultRecord {
    (f.at.as_nanos(), f.node, f.kind, f.factor.to_bits(), f.peer, f.one_way)
}

/// The logged fault a `fault_record` was made from.
fn fault_from(&(at, node, kind, factor, peer, one_way): &FaultRecord) -> ScriptedFault {
    ScriptedFault {
        at: SimTime::from_nanos(at),
        node,
        kind,
        factor: f64::from_bits(factor),
        peer,
        one_way,
    }
}

/// Names every field of `AvailMetrics`, so a field added to it does not compile until it is
/// recorded in `AvailRecord::from` (and restored in `to_metrics`).
fn every_field_recorded(m: &AvailMetrics) {
    let AvailMetrics {
        window_ns: _,
        downtime_ns: _,
        offered: _,
        failed: _,
        monthly_downtime_ns: _,
        monthly_partial_ns: _,
        monthly_partial_outage_ns: _,
        daily_ns: _,
        monthly_degraded_ns: _,
        downtime_by_cause_ns: _,
        failed_by_cause: _,
        maintenance_windows: _,
        incidents: _,
        incidents_total: _,
        failures: _,
        repairs: _,
        raid_array_losses: _,
        data_loss_events: _,
        failovers: _,
        split_brain_ns: _,
        failover_lost_writes_ns: _,
        failover_lost_writes_ns_max: _,
        detect_ms: _,
        ack_min: _,
        repair_min: _,
        takeover_ms: _,
        lb_takeover_ms: _,
        pages: _,
        episodes: _,
        alerts: _,
        backups_ok: _,
        backups_failed: _,
        backups_corrupt: _,
        backups_skipped: _,
        snapshots_kept: _,
        human_errors: _,
        rpo_h: _,
        rto_h: _,
        restores_failed: _,
        smart_warnings: _,
        disk_failures: _,
        disaster_rpo_h: _,
        disaster_rto_h: _,
        fault_log: _,
        swarm: _,
        faults_suppressed_by_budget: _,
        web_down_max: _,
        storage_down_max: _,
        faults_not_replayable: _,
        disks_replaced_proactively: _,
        events: _,
    } = m;
}

impl From<&AvailMetrics> for AvailRecord {
    fn from(m: &AvailMetrics) -> Self {
        every_field_recorded(m);
        let mut copy = m.clone();
        AvailRecord {
            window_ns: m.window_ns,
            downtime_ns: m.downtime_ns,
            offered: m.offered.to_bits(),
            failed: m.failed.to_bits(),
            monthly_downtime_ns: m.monthly_downtime_ns.clone(),
            monthly_partial_ns: m.monthly_partial_ns.clone(),
            monthly_partial_outage_ns: m.monthly_partial_outage_ns.clone(),
            days: m.daily_ns.len() as u64,
            daily_ns: (0..m.daily_ns.len())
                .filter(|&d| m.daily_ns[d] != [0; DAY_KINDS.len()])
                .map(|d| (d as u64, m.daily_ns[d]))
                .collect(),
            monthly_degraded_ns: m.monthly_degraded_ns.clone(),
            incidents: incident_records(&m.incidents),
            downtime_by_cause_ns: m.downtime_by_cause_ns.to_vec(),
            failed_by_cause: bits(&m.failed_by_cause),
            counters: counters(&mut copy).iter().map(|c| **c).chain([m.events]).collect(),
            detect_ms: bits(&m.detect_ms),
            ack_min: bits(&m.ack_min),
            repair_min: bits(&m.repair_min),
            takeover_ms: bits(&m.takeover_ms),
            lb_takeover_ms: bits(&m.lb_takeover_ms),
            alerts: alert_records(&m.alerts),
            episodes: episode_records(&m.episodes),
            rpo_h: bits(&m.rpo_h),
            rto_h: bits(&m.rto_h),
            disaster_rpo_h: bits(&m.disaster_rpo_h),
            disaster_rto_h: bits(&m.disaster_rto_h),
            fault_log: m.fault_log.iter().map(fault_record).collect(),
            swarm: m.swarm.clone(),
            web_down_max: m.web_down_max,
            storage_down_max: m.storage_down_max,
        }
    }
}

impl AvailRecord {
    /// The replication this record was made from.
    pub(crate) fn to_metrics(&self) -> Result<AvailMetrics, RecordError> {
        let mut m = AvailMetrics {
            window_ns: self.window_ns,
            downtime_ns: self.downtime_ns,
            offered: f64::from_bits(self.offered),
            failed: f64::from_bits(self.failed),
            monthly_downtime_ns: self.monthly_downtime_ns.clone(),
            monthly_partial_ns: self.monthly_partial_ns.clone(),
            monthly_partial_outage_ns: self.monthly_partial_outage_ns.clone(),
            daily_ns: self.daily_ns()?,
            monthly_degraded_ns: self.monthly_degraded_ns.clone(),
            incidents: incidents_from(&self.incidents),
            episodes: episodes_from(&self.episodes),
            detect_ms: floats(&self.detect_ms),
            ack_min: floats(&self.ack_min),
            repair_min: floats(&self.repair_min),
            takeover_ms: floats(&self.takeover_ms),
            lb_takeover_ms: floats(&self.lb_takeover_ms),
            rpo_h: floats(&self.rpo_h),
            rto_h: floats(&self.rto_h),
            disaster_rpo_h: floats(&self.disaster_rpo_h),
            disaster_rto_h: floats(&self.disaster_rto_h),
            fault_log: self.fault_log.iter().map(fault_from).collect(),
            swarm: self.swarm.clone(),
            web_down_max: self.web_down_max,
            storage_down_max: self.storage_down_max,
            ..AvailMetrics::default()
        };
        self.restore_by_cause(&mut m)?;
        self.restore_alerts(&mut m)?;
        self.restore_counters(&mut m)?;
        Ok(m)
    }

    /// The daily figures, dense again (`days` days, zero where the record has none).
    fn daily_ns(&self) -> Result<Vec<[u64; DAY_KINDS.len()]>, RecordError> {
        let mut days = vec![[0; DAY_KINDS.len()]; self.days as usize];
        for &(d, v) in &self.daily_ns {
            *days
                .get_mut(d as usize)
                .ok_or_else(|| RecordError(format!("daily_ns: day {d} of {}", self.days)))? = v;
        }
        Ok(days)
    }

    /// Downtime and failed requests by cause into `m`, after checking there is one per cause.
    fn restore_by_cause(&self, m: &mut AvailMetrics) -> Result<(), RecordError> {
        let by_cause = |name: &str, n: usize| {
            if n == Cause::COUNT {
                Ok(())
            } else {
                Err(RecordError(format!("{name}: {n} causes, expected {}", Cause::COUNT)))
            }
        };
        by_cause("downtime_by_cause_ns", self.downtime_by_cause_ns.len())?;
        by_cause("failed_by_cause", self.failed_by_cause.len())?;
        m.downtime_by_cause_ns.copy_from_slice(&self.downtime_by_cause_ns);
        for (slot, b) in m.failed_by_cause.iter_mut().zip(&self.failed_by_cause) {
            *slot = f64::from_bits(*b);
        }
        Ok(())
    }

    /// The alert log into `m`; an alert without a name is an error (a built-in alert of
    /// [`ALERTS`](crate::model::alerts::ALERTS) or one of the scenario's own rules: the record does not carry the model).
    fn restore_alerts(&self, m: &mut AvailMetrics) -> Result<(), RecordError> {
        for (a, (failed_at, paged_at, target, alert)) in self.alerts.iter().enumerate() {
            if alert.is_empty() {
                return Err(RecordError(format!("alert {a}: no alert name")));
            }
            m.alerts.push(AlertLog {
                failed_at_h: f64::from_bits(*failed_at),
                paged_at_h: f64::from_bits(*paged_at),
                target: target.clone(),
                alert: alert.to_string(),
            });
        }
        Ok(())
    }

    /// The integer counters (then `events`) into `m`, after checking their number.
    fn restore_counters(&self, m: &mut AvailMetrics) -> Result<(), RecordError> {
        let slots = counters(m);
        if self.counters.len() != slots.len() + 1 {
            return Err(RecordError(format!(
                "{} counters, expected {}",
                self.counters.len(),
                slots.len() + 1
            )));
        }
        for (slot, value) in slots.into_iter().zip(&self.counters) {
            *slot = *value;
        }
        m.events = self.counters[self.counters.len() - 1];
        Ok(())
    }
}

/// The name of the part file holding `units` (sorted): `units-<first>-<last>.jsonl`.
pub fn part_name(units: &[u32]) -> String {
    match (units.first(), units.last()) {
        (Some(a), Some(b)) => format!("units-{a:08}-{b:08}.jsonl"),
        _ => "units-empty.jsonl".to_string(),
    }
}

/// What merging found: the replications in unit order, or what is missing.
#[derive(Debug, Default)]
pub struct Collected {
    /// The record line of each unit seen, by unit id.
    pub(crate) lines: Vec<Option<String>>,
}

/// Why records cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// A line is not a simpark record.
    #[error("{origin}: not a simpark record: {message}")]
    Parse {
        /// The file and line the record came from.
        origin: String,
        /// What does not parse.
        message: String,
    },
    /// The record was written by another simpark version.
    #[error("{origin}: record of simpark {found}; this is simpark {VERSION} (merge with the version that ran it)")]
    Version {
        /// The file and line the record came from.
        origin: String,
        /// The simpark version that wrote it.
        found: String,
    },
    /// The record belongs to another plan.
    #[error("{origin}: record of plan {found}; the plan being merged is {expected} (another scenario, seed or flags)")]
    Plan {
        /// The file and line the record came from.
        origin: String,
        /// The record's plan hash.
        found: String,
        /// The plan hash being merged.
        expected: String,
    },
    /// The record's unit is not in the plan.
    #[error("{origin}: unit {unit} is outside the plan's {total} units")]
    OutOfRange {
        /// The file and line the record came from.
        origin: String,
        /// The record's unit id.
        unit: u32,
        /// Units in the plan.
        total: u32,
    },
    /// Two records of one unit differ.
    #[error("{origin}: unit {unit} appears twice with different contents")]
    Conflict {
        /// The file and line the record came from.
        origin: String,
        /// The unit id.
        unit: u32,
    },
    /// A record's contents are not valid.
    #[error("unit {unit}: {error}")]
    Record {
        /// The unit id.
        unit: u32,
        /// What is wrong with its contents.
        error: RecordError,
    },
}

impl Collected {
    /// An empty collection for a plan of `total` units.
    pub fn new(total: u32) -> Self {
        Collected {
            lines: vec![None; total as usize],
        }
    }

    /// Add the lines of a part file (`origin` names it in errors). A unit seen before is
    /// accepted only if its line is byte-identical.
    pub fn add(&mut self, origin: &str, text: &str, plan: &str) -> Result<(), MergeError> {
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let origin = format!("{origin}:{}", n + 1);
            let r: Record = serde_json::from_str(line).map_err(|e| MergeError::Parse {
                origin: origin.clone(),
                message: e.to_string(),
            })?;
            if r.simpark != VERSION {
                return Err(MergeError::Version {
                    origin,
                    found: r.simpark,
                });
            }
            if r.plan != plan {
                return Err(MergeError::Plan {
                    origin,
                    found: r.plan,
                    expected: plan.to_string(),
                });
            }
            let total = self.lines.len() as u32;
            let slot = self.lines.get_mut(r.unit as usize).ok_or(MergeError::OutOfRange {
                origin: origin.clone(),
                unit: r.unit,
                total,
            })?;
            match slot {
                Some(seen) if seen != line => return Err(MergeError::Conflict { origin, unit: r.unit }),
                Some(_) => {}
                None => *slot = Some(line.to_string()),
            }
        }
        Ok(())
    }

    /// Units with no record, in order.
    pub fn missing(&self) -> Vec<u32> {
        (0..self.lines.len() as u32)
            .filter(|&u| self.lines[u as usize].is_none())
            .collect()
    }

    /// The records of `units`, in order (call when none of them is missing).
    fn records_in(&self, units: Range<u32>) -> impl Iterator<Item = Result<(u32, UnitRecord), MergeError>> + '_ {
        let lines = &self.lines[units.start as usize..units.end as usize];
        lines.iter().zip(units).map(|(line, unit)| {
            let r: Record =
                serde_json::from_str(line.as_deref().unwrap_or_default()).map_err(|e| MergeError::Parse {
                    origin: format!("unit {unit}"),
                    message: e.to_string(),
                })?;
            Ok((unit, r.rep))
        })
    }

    /// The request-level replications in unit order (call when nothing is missing).
    pub fn replications(&self) -> Result<Vec<RepMetrics>, MergeError> {
        self.replications_in(0..self.lines.len() as u32)
    }

    /// The request-level replications of `units`, in order (a check's scenario).
    pub fn replications_in(&self, units: Range<u32>) -> Result<Vec<RepMetrics>, MergeError> {
        self.records_in(units)
            .map(|r| match r? {
                (unit, UnitRecord::Requests(rec)) => {
                    rec.to_metrics().map_err(|error| MergeError::Record { unit, error })
                }
                (unit, _) => Err(MergeError::Record {
                    unit,
                    error: RecordError("not a request-level replication".into()),
                }),
            })
            .collect()
    }

    /// The availability replications in unit order (call when nothing is missing).
    pub fn availability(&self) -> Result<Vec<AvailMetrics>, MergeError> {
        self.availability_in(0..self.lines.len() as u32)
    }

    /// The availability replications of `units`, in order (a check's scenario).
    pub fn availability_in(&self, units: Range<u32>) -> Result<Vec<AvailMetrics>, MergeError> {
        self.records_in(units)
            .map(|r| match r? {
                (unit, UnitRecord::Availability(rec)) => {
                    rec.to_metrics().map_err(|error| MergeError::Record { unit, error })
                }
                (unit, _) => Err(MergeError::Record {
                    unit,
                    error: RecordError("not an availability replication".into()),
                }),
            })
            .collect()
    }

    /// A study's unit figures in unit order, `None` for a unit with no record.
    pub fn figures(&self) -> Result<Vec<Option<Vec<f64>>>, MergeError> {
        self.lines
            .iter()
            .enumerate()
            .map(|(unit, line)| {
                let Some(line) = line else { return Ok(None) };
                let unit = unit as u32;
                let r: Record = serde_json::from_str(line).map_err(|e| MergeError::Parse {
                    origin: format!("unit {unit}"),
                    message: e.to_string(),
                })?;
                match r.rep {
                    UnitRecord::Figures(bits) => Ok(Some(floats(&bits))),
                    _ => Err(MergeError::Record {
                        unit,
                        error: RecordError("a replication record in a study plan".into()),
                    }),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn shards_partition_the_units_in_order() {
        for total in [0, 1, 7, 100, 1001] {
            for count in 1..=9 {
                let mut next = 0;
                for index in 0..count {
                    let r = Shard { index, count }.units(total);
                    assert_eq!(r.start, next);
                    assert!(r.len() as u32 <= total.div_ceil(count));
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn shard_specs_and_scheduler_variables() {
        let none = env(&[]);
        assert_eq!(Shard::parse("3/8", &none), Ok(Shard { index: 3, count: 8 }));
        for bad in ["8/8", "0/0", "x", "1/", "-1/3", "auto/0"] {
            assert!(Shard::parse(bad, &none).is_err(), "{bad}");
        }
        assert!(matches!(Shard::parse("auto", &none), Err(ShardError::NoIndex(_))));
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "6"),
        ]);
        assert_eq!(Shard::parse("auto", &slurm), Ok(Shard { index: 4, count: 6 }));
        let k8s = env(&[("JOB_COMPLETION_INDEX", "2")]);
        assert_eq!(Shard::parse("auto/4", &k8s), Ok(Shard { index: 2, count: 4 }));
        let aws = env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "7")]);
        assert!(matches!(Shard::parse("auto/4", &aws), Err(ShardError::BadVar { .. })));
        assert_eq!(Shard::parse("auto/8", &aws), Ok(Shard { index: 7, count: 8 }));
    }

    #[test]
    fn unit_lists_round_trip() {
        assert_eq!(parse_units("0-3, 7,5,5", 10), Ok(vec![0, 1, 2, 3, 5, 7]));
        assert_eq!(format_units(&[0, 1, 2, 3, 5, 7, 8]), "0-3,5,7-8");
        for bad in ["", "3-1", "10", "a", "1-x"] {
            assert!(parse_units(bad, 10).is_err(), "{bad}");
        }
    }
}
