//! Scenario files: parse, apply overrides, validate, resolve into a checked `Model`.
//!
//! This is the boundary where user input becomes trusted values. Every problem is returned as
//! a `ScenarioError` naming file, line, key and what would be valid; nothing here panics on
//! bad input and nothing here simulates. Downstream code may assume a `Model` is consistent.

mod error;
pub mod extends;
mod monitoring;
pub mod schema;

pub use error::{Located, ScenarioError};
pub use schema::*;

use crate::model::dist::Dist;
use crate::model::topology::{NodeKind, Topology};
use crate::policy;
use crate::policy::backup::BackupConfig;
use crate::policy::balancer::{Algorithm, BackendSpec, ServerSpec};
use crate::policy::failover::FailoverConfig;
use crate::policy::health::CheckSpec;
use crate::units::{SimDuration, SimTime, parse_duration};
use error::line_col;
use std::path::Path;

/// The embedded default scenario: the seed's park.
pub const DEFAULT_SCENARIO_TOML: &str = include_str!("../../scenarios/xpos.toml");
/// How the embedded default is named in messages.
pub const DEFAULT_ORIGIN: &str = "<embedded xpos.toml>";

/// Limits that keep a run bounded (TigerBeetle style): beyond them a scenario is rejected.
pub const WEB_SERVERS_MAX: u32 = 256;
pub const STORAGE_NODES_MAX: u32 = 16;
pub const WORKERS_MAX: u32 = 100_000;
pub const REPLICATIONS_MAX: u32 = 100_000;
pub const FAULTS_MAX: usize = 100_000;

/// Everything a run needs, checked.
#[derive(Clone, Debug)]
pub struct Model {
    /// The scenario as resolved: every default filled in, overrides applied.
    pub spec: Scenario,
    pub seed: u64,
    pub replications: u32,
    pub horizon: SimDuration,
    pub warmup: SimDuration,
    pub traffic: TrafficModel,
    pub storage_reads: u32,
    pub write_fraction: f64,
    pub backend: BackendSpec,
    /// `None` when health checks are off.
    pub check: Option<CheckSpec>,
    /// `observe layer4` with its `error-limit` and `on-error`; `None` = not observing.
    pub observe: Option<policy::health::Observe>,
    pub timeout_server: SimDuration,
    pub web: TierModel,
    pub storage: TierModel,
    pub storage_write: Dist,
    pub topology: Topology,
    pub faults: Vec<ScriptedFault>,
    pub mode: Mode,
    pub reliability: ReliabilityModel,
    /// VRRP advertisement interval [cs] of the balancer pair; `None` with a single balancer.
    pub lb_pair_advert_cs: Option<u16>,
    /// The daily backup; `None` without a backup server.
    pub backup: Option<BackupModel>,
    /// Request-level monitoring (`None` when disabled).
    pub monitoring: Option<MonitoringModel>,
    /// Planned maintenance of the web servers (`None` when disabled).
    pub maintenance: Option<MaintenanceModel>,
}

impl Model {
    /// Planned maintenance is left out of downtime, availability and failed requests
    /// (`maintenance.contract = "exclude"`); it is still reported by cause.
    pub fn maintenance_excluded(&self) -> bool {
        self.spec.maintenance.contract == MaintenanceContract::Exclude
    }
}

/// Planned rolling maintenance of the web servers, checked (see `schema::Maintenance`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaintenanceModel {
    pub every: SimDuration,
    /// First window opens this long after midnight of day 0.
    pub window_start: SimDuration,
    pub duration_per_server: SimDuration,
    pub drain: SimDuration,
    pub wait_between_servers: SimDuration,
    /// Servers in rolling order.
    pub order: Vec<MaintTarget>,
}

/// A server planned maintenance takes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaintTarget {
    /// Web server `i` (0-based): drained and put in `maint` on lb1.
    Web(usize),
    /// Balancer `i` (0 = lb1, 1 = lb2): hands the VRRP address to its peer on purpose, if it
    /// holds it and the peer is up; otherwise the site is down while it is patched.
    Balancer(usize),
    /// Storage node `j` (0-based): switched over first if it is the primary (a planned
    /// switchover), then out for its update and back as a replica.
    Storage(usize),
}

/// The daily backup and restores after human error, checked.
#[derive(Clone, Debug)]
pub struct BackupModel {
    pub config: BackupConfig,
    pub data_bytes: f64,
    pub growth_bytes_per_ns: f64,
    pub fail_probability: f64,
    pub corrupt_probability: f64,
    /// Human errors [1/ns].
    pub human_error_rate_per_ns: f64,
    pub notice: Dist,
}

/// Random failures and repairs, checked.
#[derive(Clone, Debug)]
pub struct ReliabilityModel {
    /// Detection is instant (the Markov assumption) instead of health checks and alerts.
    pub instant: bool,
    pub crews: u32,
    pub response: Dist,
    pub night_factor: f64,
    pub coverage: f64,
    pub lb: ClassModel,
    pub web: ClassModel,
    pub storage: ClassModel,
    pub backup: ClassModel,
    /// `None` without RAID-1 modelling.
    pub disk: Option<DiskModel>,
    pub failover: FailoverConfig,
    pub swarm: bool,
    /// Keep failures within what the design promises to survive.
    pub budget_design: bool,
    /// Request mode replays each replication's random failures (see the schema).
    pub random_in_requests: bool,
    /// Chance an unplanned storage takeover's promotion fails.
    pub promotion_fail_probability: f64,
}

/// One class of component.
#[derive(Clone, Debug)]
pub struct ClassModel {
    pub fails: bool,
    pub ttf: Dist,
    /// Cumulative shares of crash, process death, hang, slowdown, link.
    pub modes: [f64; 5],
    /// Service-time multiplier of a slowdown.
    pub slowdown_factor: f64,
    pub repair: Dist,
}

#[derive(Clone, Debug)]
pub struct DiskModel {
    /// Failure rate of one disk [1/ns], from the AFR: -ln(1 - afr) per year.
    pub rate_per_ns: f64,
    pub replace: Dist,
    pub rebuild: Dist,
    pub degraded_factor: f64,
    pub smart_share: f64,
    pub smart_lead: Dist,
    /// Coefficient of variation of the shared batch frailty (0: independent disks).
    pub batch_cv: f64,
    pub batch_park: bool,
}

/// Request-level monitoring, validated.
#[derive(Clone, Debug)]
pub struct MonitoringModel {
    pub cores: u32,
    pub memory_base_percent: f64,
    pub memory_per_worker_percent: f64,
    pub disk_capacity_bytes: f64,
    /// Data on a storage node at the start [bytes] and its growth [bytes/ns].
    pub data_bytes: f64,
    pub growth_bytes_per_ns: f64,
    /// The alerting rules (the scenario's `[[monitoring.rules]]`, else the built-in ones).
    pub rules: Vec<crate::policy::alerting::AlertRule>,
    /// Alertmanager: routes, inhibition, time intervals.
    pub notifier: crate::policy::alerting::Notifier,
}

/// A tier of identical servers.
#[derive(Clone, Debug)]
pub struct TierModel {
    pub count: u32,
    pub workers: u32,
    pub queue_max: u32,
    /// Service time of one request (web) or one read (storage).
    pub service: Dist,
}

/// The arrival process.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // built once per run; boxing would only add a pointer chase
pub enum TrafficModel {
    /// Constant rate [req/s].
    Poisson { rate_per_s: f64, clients: u64 },
    /// Piecewise-constant rate: base x hourly[h] x weekday[d] x bursts.
    Profile {
        /// Mean rate over a week [req/s].
        base_rate_per_s: f64,
        /// Normalised to mean 1.
        hourly: [f64; 24],
        /// Normalised to mean 1, Monday first; the run starts on a Monday at 00:00.
        weekday: [f64; 7],
        bursts: Vec<BurstModel>,
        clients: u64,
    },
}

#[derive(Clone, Debug)]
pub struct BurstModel {
    pub start: SimTime,
    pub end: SimTime,
    pub multiplier: f64,
}

pub use crate::model::failure::ScriptedFault;

/// Average length of a month [s]: 365.25 / 12 days.
pub const MONTH_SECS: f64 = 365.25 / 12.0 * 86_400.0;

impl Model {
    /// Mean offered load over the run [req/s].
    pub fn mean_rate_per_s(&self) -> f64 {
        match &self.traffic {
            TrafficModel::Poisson { rate_per_s, .. } => *rate_per_s,
            TrafficModel::Profile { base_rate_per_s, .. } => *base_rate_per_s,
        }
    }

    /// Requests plus storage reads one request-level replication is expected to simulate (the
    /// quantity `REQUESTS_PER_REPLICATION_MAX` bounds).
    pub fn expected_work_per_replication(&self) -> f64 {
        expected_work(&self.traffic, self.horizon, self.storage_reads)
    }

    /// Offered load at `peak_rate_per_s` (the busiest piece of the traffic profile, which
    /// `model::traffic::peak_rate_per_s` computes from the one traffic rule) relative to what each
    /// tier's workers can serve at their mean service time: `[("web", rho), ("storage",
    /// rho)]`. Above 1 the tier is overloaded and requests queue and fail; a rough bound, as
    /// it spreads the load over every active server.
    pub fn loads_at(&self, peak_rate_per_s: f64) -> Vec<(&'static str, f64)> {
        let active = self.backend.servers.iter().filter(|s| !s.backup).count().max(1);
        let web_capacity = (active as f64) * f64::from(self.web.workers) / (self.web.service.mean_ns() / 1e9);
        let mut loads = vec![("web", peak_rate_per_s / web_capacity)];
        if self.storage.count > 0 {
            let work_s = (f64::from(self.storage_reads) * self.storage.service.mean_ns()
                + self.write_fraction * self.storage_write.mean_ns())
                / 1e9;
            let capacity = f64::from(self.storage.count * self.storage.workers);
            loads.push(("storage", peak_rate_per_s * work_s / capacity));
        }
        loads
    }
}

/// The largest scenario file read [bytes]: FAULTS_MAX faults of about 100 bytes each, with
/// room to spare. A larger file (or `/dev/zero`) is refused without reading further.
pub const SCENARIO_BYTES_MAX: u64 = 16 << 20;

/// Read a scenario file: at most `SCENARIO_BYTES_MAX` bytes, UTF-8.
pub fn read_text(path: &Path) -> Result<String, ScenarioError> {
    use std::io::Read;
    let origin = path.display().to_string();
    let io = |error: std::io::Error| ScenarioError::Io {
        file: origin.clone(),
        error,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(SCENARIO_BYTES_MAX + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > SCENARIO_BYTES_MAX {
        return Err(ScenarioError::TooLarge {
            file: origin,
            max: SCENARIO_BYTES_MAX,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        // The lossy text keeps every byte offset before `at`: the line and key are exact.
        let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
        let (line, column, snippet) = line_col(&lossy, at);
        ScenarioError::Syntax(Located {
            file: origin.clone(),
            line,
            column,
            key: key_at(&lossy, at).unwrap_or_default(),
            message: format!("invalid UTF-8 at byte offset {at}; scenario files are UTF-8 text"),
            snippet: Some(snippet),
        })
    })
}

/// Load a scenario file, apply `--set` overrides and validate.
pub fn load(path: &Path, overrides: &[String]) -> Result<Model, ScenarioError> {
    let origin = path.display().to_string();
    let text = read_text(path)?;
    // `extends = "xpos"` or a base file: this file's keys on top of the base's.
    let dir = path.parent().unwrap_or(Path::new("."));
    if let Some(extended) = extends::load_extending(&text, &origin, dir, overrides) {
        return extended;
    }
    from_str(&text, &origin, overrides)
}

/// The embedded default scenario with overrides.
pub fn default_model(overrides: &[String]) -> Result<Model, ScenarioError> {
    from_str(DEFAULT_SCENARIO_TOML, DEFAULT_ORIGIN, overrides)
}

/// Parse and validate scenario text; `origin` names it in errors.
pub fn from_str(text: &str, origin: &str, overrides: &[String]) -> Result<Model, ScenarioError> {
    let syntax = |e: toml::de::Error| {
        let span = e.span().unwrap_or(0..0);
        let (line, column, snippet) = line_col(text, span.start);
        let mut key = key_at(text, span.start).unwrap_or_default();
        // serde names a missing field without its table: put it under the table at the span.
        if let Some(field) = e
            .message()
            .split("missing field `")
            .nth(1)
            .and_then(|r| r.split('`').next())
        {
            key = if key.is_empty() {
                field.to_string()
            } else {
                format!("{key}.{field}")
            };
        }
        ScenarioError::Syntax(Located {
            file: origin.to_string(),
            line,
            column,
            key,
            message: e.message().trim().to_string(),
            snippet: Some(snippet),
        })
    };
    // First pass on the text itself, so syntax and type errors carry a line and column.
    let mut scenario: Scenario = toml::from_str(text).map_err(syntax)?;
    // No key takes NaN or an infinity, used by this configuration or not.
    let raw: toml::Table = toml::from_str(text).map_err(syntax)?;
    if let Some(key) = non_finite(&raw, "") {
        let (line, column, snippet) = match locate_key(text, &key) {
            Some(offset) => {
                let (l, c, s) = line_col(text, offset);
                (l, c, Some(s))
            }
            None => (0, 0, None),
        };
        return Err(ScenarioError::Invalid(Located {
            file: origin.to_string(),
            line,
            column,
            key,
            message: "NaN and infinities are not valid anywhere in a scenario; give a finite number".into(),
            snippet,
        }));
    }
    if !overrides.is_empty() {
        let mut table: toml::Table = toml::from_str(text).map_err(syntax)?;
        for assignment in overrides {
            apply_override(&mut table, assignment)?;
            if let Some(key) = non_finite(&table, "") {
                return Err(ScenarioError::Override {
                    assignment: assignment.clone(),
                    message: format!("key `{key}`: NaN and infinities are not valid; give a finite number"),
                });
            }
        }
        scenario = toml::Table::try_into(table).map_err(|e: toml::de::Error| ScenarioError::Override {
            assignment: overrides.join(" "),
            message: e.message().trim().to_string(),
        })?;
    }
    validate(scenario).map_err(|(key, message)| {
        if let Some(a) = overrides
            .iter()
            .find(|a| a.split('=').next().is_some_and(|k| key.starts_with(k.trim())))
        {
            return ScenarioError::Override {
                assignment: a.clone(),
                message: format!("key `{key}`: {message}"),
            };
        }
        let place = locate_key(text, &key);
        let (line, column, snippet) = match place {
            Some(offset) => {
                let (l, c, s) = line_col(text, offset);
                (l, c, Some(s))
            }
            None => (0, 0, None),
        };
        ScenarioError::Invalid(Located {
            file: origin.to_string(),
            line,
            column,
            key,
            message,
            snippet,
        })
    })
}

/// The dotted path of the first NaN or infinite float under `table`, if any.
fn non_finite(table: &toml::Table, prefix: &str) -> Option<String> {
    fn value(v: &toml::Value, path: String) -> Option<String> {
        match v {
            toml::Value::Float(x) if !x.is_finite() => Some(path),
            toml::Value::Table(t) => non_finite(t, &path),
            toml::Value::Array(a) => a.iter().enumerate().find_map(|(i, v)| value(v, format!("{path}[{i}]"))),
            _ => None,
        }
    }
    table.iter().find_map(|(k, v)| {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        value(v, path)
    })
}

/// Apply `a.b.c=value`; the value is parsed as TOML, or taken as a string if it is not TOML.
fn apply_override(table: &mut toml::Table, assignment: &str) -> Result<(), ScenarioError> {
    let err = |message: String| ScenarioError::Override {
        assignment: assignment.to_string(),
        message,
    };
    let (path, raw) = assignment
        .split_once('=')
        .ok_or_else(|| err("expected path.to.key=value".into()))?;
    let path: Vec<&str> = path.trim().split('.').collect();
    if path.iter().any(|p| p.is_empty()) {
        return Err(err("empty key in the path".into()));
    }
    let value: toml::Value = match toml::from_str::<toml::Table>(&format!("v = {}", raw.trim())) {
        Ok(mut t) => t.remove("v").expect("parsed table has v"),
        Err(_) => toml::Value::String(raw.trim().to_string()),
    };
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut cur = table;
    for p in parents {
        let entry = cur
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = entry
            .as_table_mut()
            .ok_or_else(|| err(format!("`{p}` is not a table")))?;
    }
    cur.insert(last.to_string(), value);
    Ok(())
}

/// The byte offset of the key at dotted `path` (`web.count`, `fault[2].target`) in `text`.
fn locate_key(text: &str, path: &str) -> Option<usize> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let mut table = doc.get_ref();
    let mut best = None;
    let segs: Vec<&str> = path.split('.').collect();
    for (i, seg) in segs.iter().enumerate() {
        let (name, index) = match seg.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (*seg, None),
        };
        let (k, v) = table.iter().find(|(k, _)| k.get_ref().as_ref() == name)?;
        best = Some(k.span().start);
        let mut value = v;
        if let Some(ix) = index {
            let toml::de::DeValue::Array(arr) = value.get_ref() else {
                return best;
            };
            value = arr.get(ix)?;
            best = Some(value.span().start);
        }
        match value.get_ref() {
            toml::de::DeValue::Table(t) if i + 1 < segs.len() => table = t,
            _ => return best,
        }
    }
    best
}

/// The dotted key whose line contains `offset`, best effort (for syntax errors): the key on
/// that line under its table header (`web.count`, `fault[2].target`), or the table itself
/// when the line is a header.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    if line.starts_with('[') {
        if let Some(path) = header_path(text, line_start) {
            return Some(path);
        }
        // A broken header: name what it opens, as far as it reads.
        let name = line.trim_start_matches('[').split([']', ' ', '#']).next().unwrap_or("");
        return Some(if !name.is_empty() && name.len() < 64 {
            name.to_string()
        } else {
            "(a table header)".to_string()
        });
    }
    // The key before `=`, else the line's leading bare word (a key missing its `=`).
    let key = match line.split_once('=') {
        Some((k, _)) => k.trim().trim_matches('"'),
        None => line.split(|c: char| c.is_whitespace()).next().unwrap_or(""),
    };
    let bare = !key.is_empty()
        && key.len() < 64
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    // The nearest header above, if any.
    let mut table = None;
    let mut start = line_start;
    while start > 0 {
        let prev = text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
        if text[prev..start].trim_start().starts_with('[') {
            table = header_path(text, prev);
            break;
        }
        start = prev;
    }
    let comment = line.starts_with('#');
    let written = !comment && !key.is_empty() && key.len() < 64;
    Some(match (table, bare || written) {
        (Some(t), true) => format!("{t}.{key}"),
        (Some(t), false) => t,
        (None, true) => key.to_string(),
        (None, false) if comment => "(a comment)".to_string(),
        (None, false) => "(top level)".to_string(),
    })
}

/// The dotted path of the table header line starting at `line_start`: `[web.service]` ->
/// `web.service`, the third `[[fault]]` -> `fault[2]`.
fn header_path(text: &str, line_start: usize) -> Option<String> {
    let line = text[line_start..].lines().next()?.trim();
    let line = line.split('#').next()?.trim();
    if let Some(name) = line.strip_prefix("[[").and_then(|l| l.strip_suffix("]]")) {
        let name = name.trim();
        let index = text[..line_start]
            .lines()
            .filter(|l| {
                l.trim()
                    .strip_prefix("[[")
                    .and_then(|l| l.split(']').next())
                    .is_some_and(|n| n.trim() == name)
            })
            .count();
        return Some(format!("{name}[{index}]"));
    }
    let name = line.strip_prefix('[')?.strip_suffix(']')?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

pub(crate) type Invalid = (String, String);

fn bad<T>(key: impl Into<String>, msg: impl Into<String>) -> Result<T, Invalid> {
    Err((key.into(), msg.into()))
}

fn duration(key: &str, text: &str) -> Result<SimDuration, Invalid> {
    let d = parse_duration(text).map_err(|m| (key.to_string(), m))?;
    let whole_run = key == "horizon" || key == "warmup";
    if whole_run && d > SimDuration::HORIZON_MAX {
        return bad(
            key,
            format!(
                "`{text}` is too long; the longest horizon is 200y (simulated time holds about 584 years, and the model adds a few spans to the horizon)"
            ),
        );
    }
    if !whole_run && d > SimDuration::MODEL_MAX {
        return bad(
            key,
            format!("`{text}` is too long; the limit for any duration is {DURATION_LIMIT_TEXT}"),
        );
    }
    Ok(d)
}

/// A number as a person would write it: plain when moderate, in e-notation when huge or tiny
/// (`1e308`, not 309 digits).
fn shown(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e9).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// How `SimDuration::MODEL_MAX` is named in messages.
const DURATION_LIMIT_TEXT: &str =
    "100y (simulated time holds about 584 years, and the model adds a few spans to the horizon)";

/// A span given as a number `v` in `unit` (`ns_per_unit` ns each), as written in the file.
fn span(key: &str, v: f64, unit: &str, ns_per_unit: f64, allow_zero: bool) -> Result<SimDuration, Invalid> {
    if !v.is_finite() || v < 0.0 || (!allow_zero && v == 0.0) {
        let want = if allow_zero {
            "a finite number >= 0"
        } else {
            "a finite number > 0"
        };
        return bad(key, format!("{} is not valid; expected {want} ({unit})", shown(v)));
    }
    let limit = SimDuration::MODEL_MAX.as_nanos() as f64 / ns_per_unit;
    if v > limit {
        return bad(
            key,
            format!(
                "{} {unit} is too long; at most {} {unit}, i.e. {DURATION_LIMIT_TEXT}",
                shown(v),
                shown(limit)
            ),
        );
    }
    Ok(SimDuration::from_nanos_f64(v * ns_per_unit))
}

fn ms(key: &str, v: f64, allow_zero: bool) -> Result<SimDuration, Invalid> {
    span(key, v, "milliseconds", 1e6, allow_zero)
}

/// The largest multiplier of a duration or rate (slowdowns, night response, bursts, hazard):
/// beyond it products with model durations leave the range `SimTime` can hold.
pub const FACTOR_MAX: f64 = 1000.0;

fn factor(key: &str, v: f64, min: f64) -> Result<f64, Invalid> {
    if v.is_finite() && v >= min && v <= FACTOR_MAX && v > 0.0 {
        Ok(v)
    } else {
        let low = if min > 0.0 {
            format!(">= {min}")
        } else {
            "> 0".to_string()
        };
        bad(
            key,
            format!("{} is not valid; expected a factor {low} and <= {FACTOR_MAX}", shown(v)),
        )
    }
}

fn positive(key: &str, v: f64) -> Result<f64, Invalid> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        bad(key, format!("{} is not valid; expected a finite number > 0", shown(v)))
    }
}

fn count(key: &str, v: u32, min: u32, max: u32) -> Result<u32, Invalid> {
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        bad(key, format!("{v} is out of range; expected {min}..={max}"))
    }
}

fn probability(key: &str, v: f64) -> Result<f64, Invalid> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        bad(key, format!("{} is not a probability; expected 0..=1", shown(v)))
    }
}

/// Coefficient of variation of a lognormal: beyond it the sampler's sigma is meaningless.
pub const CV_MAX: f64 = 100.0;
/// Weibull shape range: outside it the scale, mean / Gamma(1 + 1/k), under- or overflows.
pub const WEIBULL_SHAPE_MIN: f64 = 0.1;
pub const WEIBULL_SHAPE_MAX: f64 = 100.0;

/// Build a sampler from a spec, checking every parameter.
pub fn dist(key: &str, d: &DistSpec) -> Result<Dist, Invalid> {
    let kind = format!("{:?}", d.dist).to_lowercase();
    let means = [
        ("mean_ms", d.mean_ms, "milliseconds", 1e6),
        ("mean_s", d.mean_s, "seconds", 1e9),
        ("mean_min", d.mean_min, "minutes", 60e9),
        ("mean_h", d.mean_h, "hours", 3600e9),
    ];
    let given: Vec<_> = means.iter().filter(|m| m.1.is_some()).collect();
    let mean = || -> Result<SimDuration, Invalid> {
        match given.as_slice() {
            [(name, Some(v), unit, ns)] => span(&format!("{key}.{name}"), *v, unit, *ns, true),
            [] => bad(
                format!("{key}.mean_ms"),
                format!("dist = \"{kind}\" needs a mean: one of mean_ms, mean_s, mean_min, mean_h"),
            ),
            _ => bad(format!("{key}.{}", given[1].0), "give the mean once, in one unit"),
        }
    };
    let unused = |name: &str, present: bool| -> Result<(), Invalid> {
        if present {
            bad(format!("{key}.{name}"), format!("not used by dist = \"{kind}\""))
        } else {
            Ok(())
        }
    };
    if d.dist != DistKind::Empirical {
        unused("values_ms", d.values_ms.is_some())?;
        unused("weights", d.weights.is_some())?;
    }
    if d.dist != DistKind::Lognormal {
        unused("cv", d.cv.is_some())?;
    }
    if d.dist != DistKind::Weibull {
        unused("shape", d.shape.is_some())?;
    }
    match d.dist {
        DistKind::Exponential => Ok(Dist::exponential(mean()?)),
        DistKind::Deterministic => Ok(Dist::Deterministic(mean()?)),
        DistKind::Lognormal => {
            let cv =
                d.cv.ok_or_else(|| (format!("{key}.cv"), "lognormal needs cv (sd / mean)".to_string()))?;
            if !(cv.is_finite() && (0.0..=CV_MAX).contains(&cv)) {
                return bad(
                    format!("{key}.cv"),
                    format!("{cv} is not valid; expected 0 <= cv <= {CV_MAX}"),
                );
            }
            Ok(Dist::lognormal(mean()?, cv))
        }
        DistKind::Weibull => {
            let k = d
                .shape
                .ok_or_else(|| (format!("{key}.shape"), "weibull needs shape (k > 0)".to_string()))?;
            if !(k.is_finite() && (WEIBULL_SHAPE_MIN..=WEIBULL_SHAPE_MAX).contains(&k)) {
                return bad(
                    format!("{key}.shape"),
                    format!(
                        "{k} is not valid; expected {WEIBULL_SHAPE_MIN} <= shape <= {WEIBULL_SHAPE_MAX} (beyond, Gamma(1 + 1/k) leaves the range of a float)"
                    ),
                );
            }
            Ok(Dist::weibull(mean()?, k))
        }
        DistKind::Empirical => {
            if let Some((name, _, _, _)) = given.first() {
                return bad(format!("{key}.{name}"), "not used by dist = \"empirical\"");
            }
            let values = d
                .values_ms
                .as_ref()
                .ok_or_else(|| (format!("{key}.values_ms"), "empirical needs values_ms".to_string()))?;
            if values.is_empty() {
                return bad(format!("{key}.values_ms"), "needs at least one value");
            }
            for v in values {
                ms(&format!("{key}.values_ms"), *v, true)?;
            }
            let weights = d.weights.clone().unwrap_or_else(|| vec![1.0; values.len()]);
            if weights.len() != values.len() {
                return bad(
                    format!("{key}.weights"),
                    format!("has {} entries; values_ms has {}", weights.len(), values.len()),
                );
            }
            let sum = weights.iter().sum::<f64>();
            if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) || !(sum.is_finite() && sum > 0.0) {
                return bad(
                    format!("{key}.weights"),
                    "weights must be >= 0 with a positive, finite sum",
                );
            }
            Ok(Dist::empirical(values.iter().map(|v| v * 1e6).collect(), &weights))
        }
    }
}

fn normalised<const N: usize>(key: &str, w: &[f64]) -> Result<[f64; N], Invalid> {
    if w.len() != N {
        return bad(key, format!("has {} entries; expected {N}", w.len()));
    }
    if w.iter().any(|x| !(x.is_finite() && *x >= 0.0)) {
        return bad(key, "weights must be finite and >= 0");
    }
    let mean = w.iter().sum::<f64>() / N as f64;
    if !mean.is_finite() {
        return bad(
            key,
            "the weights' sum overflows; they are relative, so use smaller numbers",
        );
    }
    if mean <= 0.0 {
        return bad(key, "weights must not all be zero");
    }
    let mut out = [0.0; N];
    for (o, x) in out.iter_mut().zip(w) {
        *o = x / mean;
    }
    Ok(out)
}

/// Check every value and resolve the scenario into a `Model`.
pub fn validate(spec: Scenario) -> Result<Model, Invalid> {
    if spec.name.is_empty()
        || !spec
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return bad(
            "name",
            format!(
                "`{}` is not valid; use letters, digits, `_` and `-` (it names the results folder)",
                spec.name
            ),
        );
    }
    let replications = count("replications", spec.replications, 1, REPLICATIONS_MAX)?;
    let horizon = duration("horizon", &spec.horizon)?;
    let warmup = duration("warmup", &spec.warmup)?;
    if horizon.is_zero() {
        return bad("horizon", "must be longer than zero");
    }
    if warmup >= horizon {
        return bad("warmup", format!("{warmup} must be shorter than horizon {horizon}"));
    }
    let t = &spec.traffic;
    if t.clients == 0 {
        return bad("traffic.clients", "must be at least 1");
    }
    let traffic = match t.kind {
        TrafficKind::Poisson => TrafficModel::Poisson {
            rate_per_s: positive("traffic.rate_per_s", t.rate_per_s)?,
            clients: t.clients,
        },
        TrafficKind::Profile => {
            let visitors = positive("traffic.visitors_per_month", t.visitors_per_month)?;
            let per_visit = positive("traffic.requests_per_visit", t.requests_per_visit)?;
            let mut bursts = Vec::new();
            for (i, b) in t.bursts.iter().enumerate() {
                let k = format!("traffic.burst[{i}]");
                let start = SimTime::ZERO + duration(&format!("{k}.start"), &b.start)?;
                let len = duration(&format!("{k}.duration"), &b.duration)?;
                if len.is_zero() {
                    return bad(format!("{k}.duration"), "must be longer than zero");
                }
                let multiplier = factor(&format!("{k}.multiplier"), b.multiplier, 0.0)?;
                bursts.push(BurstModel {
                    start,
                    end: start + len,
                    multiplier,
                });
            }
            TrafficModel::Profile {
                base_rate_per_s: visitors * per_visit / MONTH_SECS,
                hourly: normalised("traffic.hourly_weights", &t.hourly_weights)?,
                weekday: normalised("traffic.weekday_weights", &t.weekday_weights)?,
                bursts,
                clients: t.clients,
            }
        }
    };
    let write_fraction = probability("requests.write_fraction", spec.requests.write_fraction)?;

    // Tiers.
    let w = &spec.web;
    let web = TierModel {
        count: count("web.count", w.count, 1, WEB_SERVERS_MAX)?,
        workers: count("web.workers", w.workers, 1, WORKERS_MAX)?,
        queue_max: count("web.queue_max", w.queue_max, 0, u32::MAX)?,
        service: dist("web.service", &w.service)?,
    };
    let s = &spec.storage;
    let needs_storage = spec.requests.storage_reads > 0 || write_fraction > 0.0;
    let storage = TierModel {
        count: count(
            "storage.count",
            s.count,
            if needs_storage { 1 } else { 0 },
            STORAGE_NODES_MAX,
        )?,
        workers: count("storage.workers", s.workers, 1, WORKERS_MAX)?,
        queue_max: s.queue_max,
        service: dist("storage.read", &s.read)?,
    };
    let storage_write = dist("storage.write", &s.write)?;

    // Balancer.
    let b = &spec.balancer;
    let algorithm = match b.algorithm {
        AlgorithmName::Roundrobin => Algorithm::RoundRobin,
        AlgorithmName::StaticRr => Algorithm::StaticRr,
        AlgorithmName::Leastconn => Algorithm::LeastConn,
        AlgorithmName::First => Algorithm::First,
        AlgorithmName::Source => Algorithm::Source,
        AlgorithmName::Random => Algorithm::Random {
            draws: count("balancer.draws", b.draws, 1, 100)?,
        },
    };
    if !b.weights.is_empty() && b.weights.len() != web.count as usize {
        return bad(
            "balancer.weights",
            format!("has {} entries; web.count is {}", b.weights.len(), web.count),
        );
    }
    for (i, wt) in b.weights.iter().enumerate() {
        // HAProxy: "weight <weight>: ... between 0 and 256".
        count(&format!("balancer.weights[{i}]"), *wt, 0, 256)?;
    }
    if b.backup_servers >= web.count {
        return bad(
            "balancer.backup_servers",
            format!(
                "{} leaves no active server among {} web servers",
                b.backup_servers, web.count
            ),
        );
    }
    let timeout_connect = ms("balancer.timeout_connect_ms", b.timeout_connect_ms, false)?;
    let timeout_queue = if b.timeout_queue_ms == 0.0 {
        timeout_connect
    } else {
        ms("balancer.timeout_queue_ms", b.timeout_queue_ms, false)?
    };
    let timeout_server = ms("balancer.timeout_server_ms", b.timeout_server_ms, false)?;
    let active = web.count - b.backup_servers;
    let slowstart = if b.slowstart_ms == 0.0 {
        SimDuration::ZERO
    } else {
        ms("balancer.slowstart_ms", b.slowstart_ms, false)?
    };
    if !b.ids.is_empty() && b.ids.len() != web.count as usize {
        return bad(
            "balancer.ids",
            format!(
                "has {} entries; web.count is {} (or leave it empty for 1, 2, ...)",
                b.ids.len(),
                web.count
            ),
        );
    }
    for (i, id) in b.ids.iter().enumerate() {
        count(&format!("balancer.ids[{i}]"), *id, 1, i32::MAX as u32)?;
        if b.ids[..i].contains(id) {
            return bad(
                format!("balancer.ids[{i}]"),
                format!("id {id} is used twice; ids must be unique"),
            );
        }
    }
    let mut disabled = vec![false; web.count as usize];
    for (i, name) in b.disabled.iter().enumerate() {
        let key = format!("balancer.disabled[{i}]");
        let n = name
            .strip_prefix("web")
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| (1..=web.count).contains(n));
        let Some(n) = n else {
            return bad(
                key,
                format!("`{name}` is not a web server; valid: web1 ..= web{}", web.count),
            );
        };
        if std::mem::replace(&mut disabled[n as usize - 1], true) {
            return bad(key, format!("`{name}` is listed twice"));
        }
    }
    if spec.mode == schema::Mode::Availability && !b.disabled.is_empty() {
        return bad(
            "balancer.disabled",
            "is modelled in the request mode only (the availability mode routes to every server it sees UP)",
        );
    }
    let servers = (0..web.count)
        .map(|i| ServerSpec {
            weight: b.weights.get(i as usize).copied().unwrap_or(1),
            maxconn: b.maxconn,
            backup: i >= active,
            id: b.ids.get(i as usize).copied(),
            disabled: disabled[i as usize],
            slowstart,
        })
        .collect();
    let backend = BackendSpec {
        algorithm,
        servers,
        timeout_queue,
        queue_max: b.queue_max as usize,
        retries: count("balancer.retries", b.retries, 0, 100)?,
        redispatch: (b.redispatch != 0).then_some(b.redispatch),
        allbackup: b.allbackup,
        timeout_connect,
    };
    if spec.mode == Mode::Availability {
        // The availability mode routes by the balancer's steady-state shares: ask it whether
        // this configuration has them.
        let clients = match &traffic {
            TrafficModel::Poisson { clients, .. } | TrafficModel::Profile { clients, .. } => *clients,
        };
        if let Err(e) = crate::policy::balancer::Backend::new(backend.clone()).routing_shares(clients) {
            return bad("balancer.algorithm", format!("in availability mode: {e}"));
        }
    }
    let c = &b.check;
    let check = if c.enabled {
        Some(CheckSpec {
            inter: ms("balancer.check.inter_ms", c.inter_ms, false)?,
            fastinter: (c.fastinter_ms != 0.0)
                .then(|| ms("balancer.check.fastinter_ms", c.fastinter_ms, false))
                .transpose()?,
            downinter: (c.downinter_ms != 0.0)
                .then(|| ms("balancer.check.downinter_ms", c.downinter_ms, false))
                .transpose()?,
            rise: count("balancer.check.rise", c.rise, 1, 1000)?,
            fall: count("balancer.check.fall", c.fall, 1, 1000)?,
            timeout_check: (c.timeout_check_ms != 0.0)
                .then(|| ms("balancer.check.timeout_check_ms", c.timeout_check_ms, false))
                .transpose()?,
            timeout_connect,
        })
    } else {
        None
    };
    let observe = match c.observe {
        ObserveName::None => None,
        ObserveName::Layer4 if check.is_none() => {
            return bad(
                "balancer.check.observe",
                "needs health checks (balancer.check.enabled = true)",
            );
        }
        ObserveName::Layer4 if spec.mode == Mode::Availability => {
            return bad(
                "balancer.check.observe",
                "is modelled in the request mode only (the availability mode does not see individual connections)",
            );
        }
        ObserveName::Layer4 => Some(policy::health::Observe {
            error_limit: count("balancer.check.error_limit", c.error_limit, 1, 1_000_000)?,
            on_error: match c.on_error {
                OnErrorName::Fastinter => policy::health::OnError::FastInter,
                OnErrorName::FailCheck => policy::health::OnError::FailCheck,
                OnErrorName::SuddenDeath => policy::health::OnError::SuddenDeath,
                OnErrorName::MarkDown => policy::health::OnError::MarkDown,
            },
        }),
    };

    let topology = Topology::build(&spec, web.count, storage.count, needs_storage)?;

    let mut faults = Vec::with_capacity(spec.faults.len());
    if spec.faults.len() > FAULTS_MAX {
        return bad("fault", format!("{} faults; at most {FAULTS_MAX}", spec.faults.len()));
    }
    for (i, f) in spec.faults.iter().enumerate() {
        let k = format!("fault[{i}]");
        let at = SimTime::ZERO + duration(&format!("{k}.at"), &f.at)?;
        let node = topology.node_by_name(&f.target).ok_or_else(|| {
            (
                format!("{k}.target"),
                format!("no node `{}`; nodes are {}", f.target, topology.node_names().join(", ")),
            )
        })?;
        match topology.kind(node) {
            NodeKind::Web(_) | NodeKind::Storage(_) => {}
            other => {
                return bad(
                    format!("{k}.target"),
                    format!(
                        "`{}` is a {other:?}; scripted faults apply to web and storage servers",
                        f.target
                    ),
                );
            }
        }
        let network = matches!(f.kind, FaultKind::Partition | FaultKind::Heal);
        let peer = match (&f.peer, network) {
            (Some(name), true) => {
                let p = topology.node_by_name(name).ok_or_else(|| {
                    (
                        format!("{k}.peer"),
                        format!("no node `{name}`; nodes are {}", topology.node_names().join(", ")),
                    )
                })?;
                let neighbours = matches!(
                    (topology.kind(node), topology.kind(p)),
                    (NodeKind::Web(_), NodeKind::Balancer)
                        | (NodeKind::Web(_), NodeKind::Storage(_))
                        | (NodeKind::Storage(_), NodeKind::Web(_))
                        | (NodeKind::Storage(_), NodeKind::Storage(_))
                ) && p != node;
                if !neighbours || topology.name(p) == "lb2" {
                    return bad(
                        format!("{k}.peer"),
                        format!(
                            "`{}` and `{name}` are not neighbours; a partition cuts lb1 <-> a web server, a web server <-> a storage node, or two storage nodes",
                            f.target
                        ),
                    );
                }
                Some(p)
            }
            (None, true) => {
                return bad(
                    format!("{k}.peer"),
                    "a partition or heal needs `peer`, the node at the other end",
                );
            }
            (Some(_), false) => return bad(format!("{k}.peer"), "peer is only used with partition and heal"),
            (None, false) => None,
        };
        let one_way = match (f.direction, f.kind) {
            (Some(d), FaultKind::Partition) => d == schema::Direction::OneWay,
            (None, _) => false,
            (Some(_), _) => {
                return bad(
                    format!("{k}.direction"),
                    "direction is only used with kind = \"partition\"",
                );
            }
        };
        if f.kind == FaultKind::DiskFill && !matches!(topology.kind(node), NodeKind::Storage(_)) {
            return bad(format!("{k}.target"), "disk_fill applies to storage nodes");
        }
        let factor = match (f.kind, f.factor) {
            (FaultKind::DiskFill, Some(x)) if x.is_finite() && x > 0.0 => x,
            (FaultKind::DiskFill, _) => {
                return bad(
                    format!("{k}.factor"),
                    "kind = \"disk_fill\" needs factor > 0: how fast the disk fills [GB/h]",
                );
            }
            (FaultKind::Slow, Some(x)) => factor(&format!("{k}.factor"), x, 1.0)?,
            (FaultKind::Slow, None) => {
                return bad(
                    format!("{k}.factor"),
                    "kind = \"slow\" needs factor (service-time multiplier >= 1)",
                );
            }
            (_, Some(_)) => {
                return bad(
                    format!("{k}.factor"),
                    "factor is only used with kind = \"slow\" and \"disk_fill\"",
                );
            }
            (_, None) => 1.0,
        };
        faults.push(ScriptedFault {
            at,
            node,
            kind: f.kind,
            factor,
            peer,
            one_way,
        });
    }
    // A stable sort keeps file order for faults at the same instant.
    let mut order: Vec<usize> = (0..faults.len()).collect();
    order.sort_by_key(|&i| faults[i].at);
    // A repair needs a failure before it: `recover` on a node that is not failed at that time
    // is an impossible schedule (usually a typo in `at` or `target`).
    let mut failed = vec![false; topology.node_names().len()];
    let mut cut: Vec<(usize, usize)> = Vec::new();
    for &i in &order {
        let f = &faults[i];
        match f.kind {
            FaultKind::Recover if !failed[f.node] => {
                return bad(
                    format!("fault[{i}].kind"),
                    format!(
                        "`recover` of {} at {} comes before any failure of it",
                        topology.name(f.node),
                        f.at
                    ),
                );
            }
            FaultKind::Recover => failed[f.node] = false,
            FaultKind::Slow => {}
            FaultKind::Partition => {
                let p = f.peer.expect("validated above");
                cut.push((f.node.min(p), f.node.max(p)));
                // Fencing may power off either end of a storage partition: a later `recover`
                // of it is a legitimate repair.
                failed[f.node] = true;
                failed[p] = true;
            }
            FaultKind::Heal => {
                let p = f.peer.expect("validated above");
                let pair = (f.node.min(p), f.node.max(p));
                if !cut.contains(&pair) {
                    return bad(
                        format!("fault[{i}].kind"),
                        format!(
                            "`heal` of {} <-> {} at {} comes before any partition of it",
                            topology.name(f.node),
                            topology.name(p),
                            f.at
                        ),
                    );
                }
                cut.retain(|c| *c != pair);
            }
            _ => failed[f.node] = true,
        }
    }
    faults.sort_by_key(|f| f.at);

    let reliability = reliability(&spec.reliability, storage.count)?;
    if let Some(v) = spec.slo.latency_ms_p99_max {
        positive("slo.latency_ms_p99_max", v)?;
    }
    if let Some(v) = spec.slo.availability_min {
        probability("slo.availability_min", v)?;
    }
    for (i, e) in spec.expects.iter().enumerate() {
        let k = format!("expect[{i}]");
        let requests_only = [
            ("latency_ms_p99_max", e.latency_ms_p99_max.is_some()),
            ("failed_requests_max", e.failed_requests_max.is_some()),
            ("detect_ms_max", e.detect_ms_max.is_some()),
            ("alert_within_ms", e.alert_within_ms.is_some()),
        ];
        let availability_only = [
            ("availability_time_min", e.availability_time_min.is_some()),
            ("data_loss_max", e.data_loss_max.is_some()),
            ("lb_takeover_ms_max", e.lb_takeover_ms_max.is_some()),
            ("raid_array_losses_max", e.raid_array_losses_max.is_some()),
            ("restores_min", e.restores_min.is_some()),
            ("rpo_h_max", e.rpo_h_max.is_some()),
            ("rto_h_max", e.rto_h_max.is_some()),
        ];
        let (wrong, mode_name) = match spec.mode {
            Mode::Requests => (availability_only.iter().find(|x| x.1), "requests"),
            Mode::Availability => (requests_only.iter().find(|x| x.1), "availability"),
        };
        if let Some((key, _)) = wrong {
            return bad(
                format!("{k}.{key}"),
                format!("this scenario runs in {mode_name} mode, which does not produce `{key}`"),
            );
        }
        if e.alert_within_ms.is_some() && e.alert_fired.is_none() {
            return bad(
                format!("{k}.alert_within_ms"),
                "alert_within_ms needs alert_fired = \"<rule>\"",
            );
        }
        if let Some(w) = e.alert_within_ms
            && !(w.is_finite() && w >= 0.0)
        {
            return bad(
                format!("{k}.alert_within_ms"),
                format!("{w} is not valid; expected a time >= 0 [ms]"),
            );
        }
        if e.alert_fired.is_some() && spec.mode == Mode::Requests && !spec.monitoring.enabled {
            return bad(
                format!("{k}.alert_fired"),
                "monitoring is disabled ([monitoring] enabled = false), so no alert can fire",
            );
        }
        monitoring::paging_expect(&spec, i, e)?;
        if let Some(rule) = &e.alert_fired {
            let known: Vec<String> = match spec.mode {
                Mode::Requests if !spec.monitoring.rules.is_empty() => {
                    spec.monitoring.rules.iter().map(|r| r.alert.clone()).collect()
                }
                Mode::Requests => crate::policy::alerting::default_rules()
                    .iter()
                    .map(|r| r.name.clone())
                    .collect(),
                Mode::Availability => crate::model::alerts::ALERTS.iter().map(|a| a.to_string()).collect(),
            };
            if !known.contains(rule) {
                return bad(
                    format!("{k}.alert_fired"),
                    format!("no alert rule `{rule}`; the rules are {}", known.join(", ")),
                );
            }
        }
        for (key, v) in [
            ("availability_request_min", e.availability_request_min),
            ("availability_time_min", e.availability_time_min),
        ] {
            if let Some(v) = v {
                probability(&format!("{k}.{key}"), v)?;
            }
        }
        for (key, v) in [
            ("latency_ms_p99_max", e.latency_ms_p99_max),
            ("detect_ms_max", e.detect_ms_max),
            ("failover_ms_max", e.failover_ms_max),
            ("data_loss_max", e.data_loss_max),
            ("lb_takeover_ms_max", e.lb_takeover_ms_max),
            ("rpo_h_max", e.rpo_h_max),
            ("rto_h_max", e.rto_h_max),
            ("lost_writes_ms_max", e.lost_writes_ms_max),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && v >= 0.0)
            {
                return bad(
                    format!("{k}.{key}"),
                    format!("{} is not valid; expected a finite bound >= 0", shown(v)),
                );
            }
        }
        // A bound on something the scenario never produces would pass vacuously: reject it.
        if e.lb_takeover_ms_max.is_some() && !spec.balancer.pair {
            return bad(
                format!("{k}.lb_takeover_ms_max"),
                "balancer.pair is false: with one balancer there is no takeover (set balancer.pair = true)",
            );
        }
        if e.lost_writes_ms_max.is_some() && spec.storage.count < 2 {
            return bad(
                format!("{k}.lost_writes_ms_max"),
                "storage.count is 1: with no standby there is no failover to lose writes at",
            );
        }
        if e.raid_array_losses_max.is_some() && !spec.reliability.disk.raid1 {
            return bad(
                format!("{k}.raid_array_losses_max"),
                "reliability.disk.raid1 is false: there are no mirrors to lose",
            );
        }
        for (key, given) in [
            ("restores_min", e.restores_min.is_some()),
            ("rpo_h_max", e.rpo_h_max.is_some()),
            ("rto_h_max", e.rto_h_max.is_some()),
        ] {
            if given && !(spec.backup.enabled && spec.backup.human_errors_per_year > 0.0) {
                return bad(
                    format!("{k}.{key}"),
                    "no restores happen: needs backup.enabled = true and backup.human_errors_per_year > 0",
                );
            }
        }
        if e.detect_ms_max.is_some()
            && spec
                .faults
                .iter()
                .all(|f| f.kind == FaultKind::Recover || f.kind == FaultKind::Slow)
        {
            return bad(format!("{k}.detect_ms_max"), "there is no scripted failure to detect");
        }
    }
    let bk = &spec.backup;
    let backup = if bk.enabled {
        let k = "backup";
        let tod = bk.time_of_day_h;
        if !(tod.is_finite() && (0.0..24.0).contains(&tod)) {
            return bad(
                format!("{k}.time_of_day_h"),
                format!("{tod} is not an hour of the day; expected 0 <= h < 24"),
            );
        }
        let nonneg = |key: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(v)
            } else {
                bad(
                    format!("{k}.{key}"),
                    format!("{} is not valid; expected >= 0", shown(v)),
                )
            }
        };
        Some(BackupModel {
            config: BackupConfig {
                time_of_day: SimDuration::from_secs_f64(tod * 3600.0),
                bandwidth_bytes_per_s: positive(&format!("{k}.bandwidth_mb_per_s"), bk.bandwidth_mb_per_s)? * 1e6,
                keep_daily: bk.keep_daily,
                keep_weekly: bk.keep_weekly,
                keep_monthly: bk.keep_monthly,
                keep_yearly: bk.keep_yearly,
            },
            data_bytes: nonneg("data_gb", bk.data_gb)? * 1e9,
            growth_bytes_per_ns: nonneg("growth_gb_per_day", bk.growth_gb_per_day)? * 1e9 / 86_400e9,
            fail_probability: probability(&format!("{k}.fail_probability"), bk.fail_probability)?,
            corrupt_probability: probability(&format!("{k}.corrupt_probability"), bk.corrupt_probability)?,
            human_error_rate_per_ns: nonneg("human_errors_per_year", bk.human_errors_per_year)? / YEAR_NS,
            notice: dist(&format!("{k}.notice"), &bk.notice)?,
        })
    } else {
        None
    };
    if backup
        .as_ref()
        .is_some_and(|b| b.fail_probability + b.corrupt_probability > 1.0)
    {
        return bad(
            "backup.corrupt_probability",
            "fail_probability + corrupt_probability must not exceed 1",
        );
    }
    let lb_pair_advert_cs = if b.pair {
        let v = b.vrrp_advert_ms;
        // RFC 5798: a 12-bit count of centiseconds.
        if !(v.is_finite() && (10.0..=40_950.0).contains(&v) && (v / 10.0).fract() == 0.0) {
            return bad(
                "balancer.vrrp_advert_ms",
                format!("{v} is not valid; expected a multiple of 10 in 10..=40950 (RFC 5798 centiseconds)"),
            );
        }
        Some((v / 10.0) as u16)
    } else {
        None
    };
    let mo = &spec.monitoring;
    let monitoring = if mo.enabled {
        let pct = |key: &str, v: f64| -> Result<f64, Invalid> {
            if v.is_finite() && (0.0..=100.0).contains(&v) {
                Ok(v)
            } else {
                Err((
                    format!("monitoring.{key}"),
                    format!("{v} is not valid; expected a percentage 0..=100"),
                ))
            }
        };
        if spec.mode == Mode::Requests && spec.backup.data_gb >= mo.disk_capacity_gb {
            return bad(
                "monitoring.disk_capacity_gb",
                format!(
                    "{} GB cannot hold the site's data (backup.data_gb = {}); the disk would be full from the start",
                    mo.disk_capacity_gb, spec.backup.data_gb
                ),
            );
        }
        Some(MonitoringModel {
            cores: count("monitoring.cores", mo.cores, 1, 1024)?,
            memory_base_percent: pct("memory_base_percent", mo.memory_base_percent)?,
            memory_per_worker_percent: pct("memory_per_worker_percent", mo.memory_per_worker_percent)?,
            disk_capacity_bytes: positive("monitoring.disk_capacity_gb", mo.disk_capacity_gb)? * 1e9,
            data_bytes: spec.backup.data_gb.max(0.0) * 1e9,
            growth_bytes_per_ns: spec.backup.growth_gb_per_day.max(0.0) * 1e9 / 86_400e9,
            rules: monitoring::rules(mo, spec.mode)?,
            notifier: monitoring::notifier(mo)?,
        })
    } else {
        None
    };
    let balancers = if !spec.reliability.lb.fails {
        0 // a balancer that cannot fail is how a baseline says there is none
    } else if lb_pair_advert_cs.is_some() {
        2
    } else {
        1
    };
    let maintenance = maintenance_model(&spec, web.count, balancers)?;
    standby_storage(&spec)?;
    budget(
        &spec,
        horizon,
        &traffic,
        &reliability,
        backup.as_ref(),
        web.count,
        storage.count,
    )?;
    if spec.mode == Mode::Availability {
        // `run` adds a request-level latency sample of the same park: it must be runnable too,
        // so that `validate` and `run` never disagree.
        validate(latency_sample_spec(&spec)).map_err(|(key, message)| {
            (
                key,
                format!("{message} (in the request-level latency sample an availability run adds: {LATENCY_SAMPLE_REPLICATIONS} x {LATENCY_SAMPLE_HORIZON} in request mode)"),
            )
        })?;
    }
    Ok(Model {
        seed: spec.seed,
        replications,
        horizon,
        warmup,
        traffic,
        storage_reads: spec.requests.storage_reads,
        write_fraction,
        backend,
        check,
        observe,
        timeout_server,
        web,
        storage,
        storage_write,
        topology,
        faults,
        mode: spec.mode,
        reliability,
        lb_pair_advert_cs,
        backup,
        monitoring,
        maintenance,
        spec,
    })
}

/// A standby pair's storage: colocated nodes (one per web server, availability mode) and the
/// chance a takeover fails.
fn standby_storage(spec: &Scenario) -> Result<(), Invalid> {
    let key = "reliability.storage_failover.promotion_fail_probability";
    probability(key, spec.reliability.storage_failover.promotion_fail_probability)?;
    if !spec.storage.colocated {
        return Ok(());
    }
    if spec.mode == Mode::Requests {
        return bad(
            "storage.colocated",
            "storage on the web servers is modelled in availability mode only (mode = \"availability\"); set it to false in request mode",
        );
    }
    if spec.storage.count != spec.web.count || spec.storage.count < 2 {
        return bad(
            "storage.colocated",
            format!(
                "needs one storage node per web server and at least two (a standby pair); storage.count is {} and web.count is {}",
                spec.storage.count, spec.web.count
            ),
        );
    }
    Ok(())
}

/// `[maintenance]`: durations that SimTime holds, a window start within the day, web servers
/// that exist (each once), and a roll that fits within the cadence. By default every web
/// server in order, then the balancers (the VRRP backup lb2 before lb1).
fn maintenance_model(spec: &Scenario, web_count: u32, balancers: usize) -> Result<Option<MaintenanceModel>, Invalid> {
    let mt = &spec.maintenance;
    if !mt.enabled {
        return Ok(None);
    }
    if spec.mode == Mode::Requests {
        return bad(
            "maintenance.enabled",
            "planned maintenance is modelled in availability mode only (mode = \"availability\"); request mode does not run it yet",
        );
    }
    let nonzero = |key: &str, text: &str| -> Result<SimDuration, Invalid> {
        let d = duration(&format!("maintenance.{key}"), text)?;
        if d == SimDuration::ZERO {
            return bad(
                format!("maintenance.{key}"),
                format!("{text:?} is not valid; expected a duration > 0"),
            );
        }
        Ok(d)
    };
    let every = nonzero("every", &mt.every)?;
    let duration_per_server = nonzero("duration_per_server", &mt.duration_per_server)?;
    let drain = duration("maintenance.drain", &mt.drain)?;
    let wait_between_servers = duration("maintenance.wait_between_servers", &mt.wait_between_servers)?;
    let h = mt.window_start_h;
    if !(h.is_finite() && (0.0..24.0).contains(&h)) {
        return bad(
            "maintenance.window_start_h",
            format!("{h} is not valid; expected hours after midnight in 0..24"),
        );
    }
    let window_start = SimDuration::from_nanos((h * 3600e9).round() as u64);
    // Storage nodes of their own, in a pair with failover (storage on the web servers is
    // patched with its server).
    let stores = if spec.storage.colocated || spec.storage.count < 2 {
        0
    } else {
        spec.storage.count as usize
    };
    let order: Vec<MaintTarget> = if mt.order.is_empty() {
        let web = (0..web_count as usize).map(MaintTarget::Web);
        let store = (0..stores).map(MaintTarget::Storage);
        web.chain(store)
            .chain((0..balancers).rev().map(MaintTarget::Balancer))
            .collect()
    } else {
        let mut order = Vec::new();
        for (n, name) in mt.order.iter().enumerate() {
            let key = format!("maintenance.order[{n}]");
            let number = |prefix: &str, n: usize| {
                name.strip_prefix(prefix)
                    .and_then(|d| d.parse::<usize>().ok())
                    .filter(|&d| (1..=n).contains(&d))
                    .map(|d| d - 1)
            };
            let i = number("web", web_count as usize)
                .map(MaintTarget::Web)
                .or_else(|| number("store", stores).map(MaintTarget::Storage))
                .or_else(|| number("lb", balancers).map(MaintTarget::Balancer));
            let Some(i) = i else {
                let lbs = match balancers {
                    0 => String::new(),
                    1 => ", lb1".to_string(),
                    _ => ", lb1, lb2".to_string(),
                };
                let store = if stores > 0 {
                    format!(", store1..store{stores}")
                } else {
                    String::new()
                };
                return bad(
                    key,
                    format!(
                        "{name:?} is not a server that can be patched; expected one of web1..web{web_count}{store}{lbs}"
                    ),
                );
            };
            if order.contains(&i) {
                return bad(key, format!("{name:?} is listed twice"));
            }
            order.push(i);
        }
        order
    };
    // One server's turn, and the whole roll, must end before the next window opens.
    let turn = drain
        .as_nanos()
        .checked_add(duration_per_server.as_nanos())
        .and_then(|t| t.checked_add(wait_between_servers.as_nanos()));
    let roll = turn.and_then(|t| t.checked_mul(order.len() as u64));
    match roll {
        Some(r) if r < every.as_nanos() => {}
        _ => {
            return bad(
                "maintenance.every",
                format!(
                    "{:?} is too short for a roll over {} server(s) of drain + duration_per_server + wait_between_servers each; expected a longer cadence",
                    mt.every,
                    order.len()
                ),
            );
        }
    }
    Ok(Some(MaintenanceModel {
        every,
        window_start,
        duration_per_server,
        drain,
        wait_between_servers,
        order,
    }))
}

const YEAR_NS: f64 = 365.0 * 86_400e9;

/// The most requests plus storage reads one replication may be expected to simulate (mean
/// rate x horizon, bursts included, x (1 + storage_reads)): several minutes of one core at the
/// bench speed. Beyond it a run is a hang, not a
/// study; shorten `horizon` or lower the traffic.
pub const REQUESTS_PER_REPLICATION_MAX: f64 = 1e9;
/// The lowest mean arrival rate [req/s] (one request in about three years): below it the
/// arrival sampler would look for the next request beyond the ~584 years `SimTime` holds.
pub const RATE_MIN_PER_S: f64 = 1e-8;
/// The most random failures of one component class, or human errors, one replication may be
/// expected to draw: beyond it the event queue runs away.
pub const RANDOM_EVENTS_PER_REPLICATION_MAX: f64 = 1e6;

/// Requests plus storage reads one request-level replication is expected to simulate: the
/// mean rate over `horizon` (bursts included) times `1 + storage_reads`.
fn expected_work(traffic: &TrafficModel, horizon: SimDuration, storage_reads: u32) -> f64 {
    let horizon_s = horizon.as_secs_f64();
    let (rate, bursts) = match traffic {
        TrafficModel::Poisson { rate_per_s, .. } => (*rate_per_s, &[][..]),
        TrafficModel::Profile {
            base_rate_per_s,
            bursts,
            ..
        } => (*base_rate_per_s, &bursts[..]),
    };
    let burst_extra: f64 = bursts
        .iter()
        .map(|b| (b.multiplier - 1.0).max(0.0) * b.end.saturating_since(b.start).as_secs_f64().min(horizon_s))
        .sum();
    rate * (horizon_s + burst_extra) * (1.0 + f64::from(storage_reads))
}

/// What the run will cost, checked against the limits above (after every value is valid).
fn budget(
    spec: &Scenario,
    horizon: SimDuration,
    traffic: &TrafficModel,
    r: &ReliabilityModel,
    backup: Option<&BackupModel>,
    web_count: u32,
    storage_count: u32,
) -> Result<(), Invalid> {
    let (rate_key, mean_rate) = match traffic {
        TrafficModel::Poisson { rate_per_s, .. } => ("traffic.rate_per_s", *rate_per_s),
        TrafficModel::Profile { base_rate_per_s, .. } => ("traffic.visitors_per_month", *base_rate_per_s),
    };
    if mean_rate < RATE_MIN_PER_S {
        return bad(
            rate_key,
            format!(
                "(with the other traffic keys) gives a mean rate of {mean_rate:e} req/s, below the floor {RATE_MIN_PER_S:e} req/s (one request in about three years)"
            ),
        );
    }
    if spec.mode == Mode::Requests {
        let expected = expected_work(traffic, horizon, spec.requests.storage_reads);
        if expected > REQUESTS_PER_REPLICATION_MAX {
            // The traffic alone, or the reads each request makes, is what is too much.
            let key = if expected_work(traffic, horizon, 0) > REQUESTS_PER_REPLICATION_MAX {
                rate_key
            } else {
                "requests.storage_reads"
            };
            return bad(
                key,
                format!(
                    "(with the traffic keys) gives about {expected:.3e} requests and storage reads per replication ({mean_rate:.4e} req/s x {} reads over {horizon}); the ceiling is {REQUESTS_PER_REPLICATION_MAX:e}: shorten the horizon, lower the traffic or use mode = \"availability\"",
                    spec.requests.storage_reads
                ),
            );
        }
    }
    let horizon_ns = horizon.as_nanos() as f64;
    let classes = [
        ("reliability.lb", &r.lb, 2.0),
        ("reliability.web", &r.web, f64::from(web_count)),
        ("reliability.storage", &r.storage, f64::from(storage_count)),
        ("reliability.backup", &r.backup, 1.0),
    ];
    for (key, c, n) in classes {
        let expected = n * horizon_ns / c.ttf.mean_ns();
        if c.fails && expected > RANDOM_EVENTS_PER_REPLICATION_MAX {
            return bad(
                format!("{key}.ttf"),
                format!(
                    "about {expected:.3e} failures per replication over {horizon}; the ceiling is {RANDOM_EVENTS_PER_REPLICATION_MAX:e}: a longer time to failure or a shorter horizon"
                ),
            );
        }
    }
    if let Some(b) = backup {
        let expected = b.human_error_rate_per_ns * horizon_ns;
        if expected > RANDOM_EVENTS_PER_REPLICATION_MAX {
            return bad(
                "backup.human_errors_per_year",
                format!(
                    "about {expected:.3e} human errors per replication over {horizon}; the ceiling is {RANDOM_EVENTS_PER_REPLICATION_MAX:e}"
                ),
            );
        }
        let transfer_s = b.data_bytes / b.config.bandwidth_bytes_per_s;
        if transfer_s > SimDuration::MODEL_MAX.as_secs_f64() {
            return bad(
                "backup.bandwidth_mb_per_s",
                format!(
                    "{} MB/s would take {transfer_s:.3e} s to copy backup.data_gb = {}; the limit for any duration is {DURATION_LIMIT_TEXT}",
                    shown(spec.backup.bandwidth_mb_per_s),
                    shown(spec.backup.data_gb)
                ),
            );
        }
    }
    Ok(())
}

fn class(key: &str, c: &FailureClass) -> Result<ClassModel, Invalid> {
    let shares = [c.crash, c.process_death, c.hang, c.slowdown, c.link];
    if shares.iter().any(|x| !(x.is_finite() && *x >= 0.0)) || shares.iter().sum::<f64>() <= 0.0 {
        return bad(
            format!("{key}.crash"),
            "failure-mode shares (crash, process_death, hang, slowdown, link) must be >= 0 with a positive sum",
        );
    }
    if c.link > 0.0 && key != "reliability.web" {
        return bad(
            format!("{key}.link"),
            "random link failures are modelled for the lb1 <-> web server links (reliability.web.link)",
        );
    }
    if c.slowdown > 0.0 && key != "reliability.web" {
        return bad(
            format!("{key}.slowdown"),
            "random slowdowns are modelled for web servers only (reliability.web.slowdown)",
        );
    }
    factor(&format!("{key}.slowdown_factor"), c.slowdown_factor, 1.0)?;
    let total: f64 = shares.iter().sum();
    let modes = [
        shares[0] / total,
        (shares[0] + shares[1]) / total,
        (shares[0] + shares[1] + shares[2]) / total,
        (shares[0] + shares[1] + shares[2] + shares[3]) / total,
        1.0,
    ];
    let ttf = match c.afr {
        Some(afr) => {
            let afr = probability(&format!("{key}.afr"), afr)?;
            if afr == 0.0 || afr >= 1.0 {
                return bad(
                    format!("{key}.afr"),
                    format!("{afr} is not valid; expected 0 < afr < 1 (use fails = false for a perfect part)"),
                );
            }
            Dist::exponential(SimDuration::from_secs_f64(365.0 * 86_400.0 / -(1.0 - afr).ln()))
        }
        None => dist(&format!("{key}.ttf"), &c.ttf)?,
    };
    if ttf.mean_ns() <= 0.0 {
        return bad(format!("{key}.ttf"), "time to failure must have a positive mean");
    }
    Ok(ClassModel {
        fails: c.fails,
        ttf,
        modes,
        slowdown_factor: c.slowdown_factor,
        repair: dist(&format!("{key}.repair"), &c.repair)?,
    })
}

fn reliability(r: &Reliability, storage_count: u32) -> Result<ReliabilityModel, Invalid> {
    let k = "reliability";
    let night_factor = factor(&format!("{k}.night_response_factor"), r.night_response_factor, 0.0)?;
    let coverage = probability(&format!("{k}.coverage"), r.coverage)?;
    let d = &r.disk;
    let disk = if d.raid1 {
        let afr = probability(&format!("{k}.disk.afr"), d.afr)?;
        if afr >= 1.0 {
            return bad(
                format!("{k}.disk.afr"),
                "an annual failure rate of 1 means every disk fails at once; expected < 1",
            );
        }
        let rebuild = match &d.rebuild {
            Some(spec) => dist(&format!("{k}.disk.rebuild"), spec)?,
            None => {
                let cap = positive(&format!("{k}.disk.capacity_gb"), d.capacity_gb)?;
                let rate = positive(&format!("{k}.disk.rebuild_mb_per_s"), d.rebuild_mb_per_s)?;
                let secs = cap * 1000.0 / rate;
                if secs > SimDuration::MODEL_MAX.as_secs_f64() {
                    return bad(
                        format!("{k}.disk.rebuild_mb_per_s"),
                        format!(
                            "a rebuild of {cap} GB at {rate} MB/s takes {secs:.3e} s; the limit for any duration is {DURATION_LIMIT_TEXT}"
                        ),
                    );
                }
                Dist::Deterministic(SimDuration::from_secs_f64(secs))
            }
        };
        Some(DiskModel {
            rate_per_ns: -(1.0 - afr).ln() / YEAR_NS,
            replace: dist(&format!("{k}.disk.replace"), &d.replace)?,
            rebuild,
            degraded_factor: factor(
                &format!("{k}.disk.degraded_hazard_factor"),
                d.degraded_hazard_factor,
                0.0,
            )?,
            smart_share: probability(&format!("{k}.disk.smart_warning_share"), d.smart_warning_share)?,
            smart_lead: dist(&format!("{k}.disk.smart_lead"), &d.smart_lead)?,
            batch_cv: {
                let key = format!("{k}.disk.batch_cv");
                if !(d.batch_cv.is_finite() && (0.0..1.0).contains(&d.batch_cv)) {
                    return bad(
                        key,
                        format!(
                            "{} is not valid; expected 0 (independent) <= batch_cv < 1 (at 1 and above the AFR cannot stay the mean rate)",
                            d.batch_cv
                        ),
                    );
                }
                d.batch_cv
            },
            batch_park: d.batch == schema::BatchScope::Park,
        })
    } else {
        None
    };
    let f = &r.storage_failover;
    let mut failover = match f.profile {
        FailoverProfile::Pacemaker => FailoverConfig::pacemaker(storage_count.max(2) as usize),
        FailoverProfile::Keepalived => FailoverConfig::keepalived(),
        FailoverProfile::Patroni => FailoverConfig::patroni(),
    };
    if let Some(fencing) = f.fencing {
        failover.fencing = fencing;
    }
    failover.replication = match f.replication {
        schema::Replication::Sync => policy::failover::Replication::Sync,
        schema::Replication::Async => policy::failover::Replication::Async {
            lag: ms(&format!("{k}.storage_failover.lag_ms"), f.lag_ms, true)?,
        },
    };
    Ok(ReliabilityModel {
        instant: r.detection == Detection::Instant,
        crews: count(&format!("{k}.crews"), r.crews, 1, 1000)?,
        response: dist(&format!("{k}.response"), &r.response)?,
        night_factor,
        coverage,
        lb: class(&format!("{k}.lb"), &r.lb)?,
        web: class(&format!("{k}.web"), &r.web)?,
        storage: class(&format!("{k}.storage"), &r.storage)?,
        backup: class(&format!("{k}.backup"), &r.backup)?,
        disk,
        failover,
        swarm: r.swarm,
        random_in_requests: r.random_in_requests,
        promotion_fail_probability: f.promotion_fail_probability,
        budget_design: r.fault_budget == FaultBudget::Design,
    })
}

/// The request-level sample of an availability run: simulated span, warm-up and replications.
/// One day after a one-hour warm-up covers the daily traffic rhythm (night, lunch, evening
/// peak); five replications give a t-interval (t = 2.776) at a cost of about 5 x 120,000
/// requests for the seed's park, a fraction of a second.
pub const LATENCY_SAMPLE_HORIZON: &str = "25h";
pub const LATENCY_SAMPLE_WARMUP: &str = "1h";
pub const LATENCY_SAMPLE_REPLICATIONS: u32 = 5;

/// The same park as `spec` in request mode with every server up (no scripted faults, no
/// expectations), over a short horizon: the response times an availability run cannot give.
pub fn latency_sample_spec(spec: &Scenario) -> Scenario {
    let mut spec = spec.clone();
    spec.mode = Mode::Requests;
    spec.faults.clear();
    spec.expects.clear();
    // Request mode does not run planned maintenance: the sample is the park at full strength.
    spec.maintenance.enabled = false;
    // Nor storage on the web servers (availability mode only); the sample has no failures,
    // so the database's place changes nothing in it.
    spec.storage.colocated = false;
    spec.horizon = LATENCY_SAMPLE_HORIZON.into();
    spec.warmup = LATENCY_SAMPLE_WARMUP.into();
    spec.replications = LATENCY_SAMPLE_REPLICATIONS;
    spec
}

/// The request-level replay of an availability run: the same scenario in request mode with
/// the run's failures and repairs as scripted faults (a replay capsule). The typed log becomes
/// `[[fault]]` tables here, and only here.
pub fn replay_capsule(model: &Model, faults: &[ScriptedFault]) -> Result<Model, ScenarioError> {
    let mut spec = model.spec.clone();
    spec.mode = Mode::Requests;
    // Request mode does not run planned maintenance: the capsule replays the failures only.
    spec.maintenance.enabled = false;
    // Nor storage on the web servers: the capsule replays the web servers' failures, not the
    // takeovers of the databases on them.
    spec.storage.colocated = false;
    spec.faults = faults.iter().map(|f| f.to_spec(&model.topology)).collect();
    validate(spec).map_err(|(key, message)| {
        ScenarioError::Invalid(Located {
            file: "<replay capsule>".into(),
            line: 0,
            column: 0,
            key,
            message,
            snippet: None,
        })
    })
}

/// The resolved scenario as TOML (all defaults filled in), for `scenario.resolved.toml`.
pub fn to_toml(spec: &Scenario) -> String {
    toml::to_string_pretty(spec).expect("a scenario always serialises")
}
