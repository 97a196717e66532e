//! Scenario files: parse, apply overrides, validate, resolve into a checked `Model`.
//!
//! This is the boundary where user input becomes trusted values. Every problem is returned as
//! a `ScenarioError` naming file, line, key and what would be valid; nothing here panics on
//! bad input and nothing here simulates. Downstream code may assume a `Model` is consistent.

mod error;
pub(crate) mod extends;
mod monitoring;
pub mod schema;

pub use error::{Located, ScenarioError};
pub use schema::*;

use crate::model::dist::Dist;
use crate::model::topology::Topology;
use crate::policy;
use crate::policy::backup::BackupConfig;
use crate::policy::balancer::BackendSpec;
use crate::policy::failover::FailoverConfig;
use crate::policy::health::CheckSpec;
use crate::units::{SimDuration, SimTime};
use error::line_col;
use std::path::Path;

/// The embedded default scenario: the seed's park.
pub(crate) const DEFAULT_SCENARIO_TOML: &str = include_str!("../../scenarios/xpos.toml");
/// How the embedded default is named in messages.
pub(crate) const DEFAULT_ORIGIN: &str = "<embedded xpos.toml>";

/// Limits that keep a run bounded (TigerBeetle style): beyond them a scenario is rejected.
pub(crate) const WEB_SERVERS_MAX: u32 = 256;
pub(crate) const STORAGE_NODES_MAX: u32 = 16;
pub(crate) const WORKERS_MAX: u32 = 100_000;
pub(crate) const REPLICATIONS_MAX: u32 = 100_000;
pub(crate) const FAULTS_MAX: usize = 100_000;

/// Everything a run needs, checked.
#[derive(Clone, Debug)]
pub struct Model {
    /// The scenario as resolved: every default filled in, overrides applied.
    pub spec: Scenario,
    /// Where each value of `spec` came from (for `scenario.resolved.toml`).
    pub sources: provenance::Sources,
    /// The root seed every named random stream derives from.
    pub seed: u64,
    /// Independent replications to run.
    pub replications: u32,
    /// Simulated time per replication, warm-up included.
    pub horizon: SimDuration,
    /// Leading time per replication left out of the figures.
    pub warmup: SimDuration,
    /// The arrival process.
    pub traffic: TrafficModel,
    pub(crate) storage_reads: u32,
    pub(crate) write_fraction: f64,
    pub(crate) backend: BackendSpec,
    /// The URIs requests carry (`balance uri` only: `requests.uri_count`, `uri_zipf_s`).
    pub(crate) uris: Option<crate::model::uri::UriPopulation>,
    /// lb1's health check of each web server (web1 first); `None` = not checked (always
    /// considered UP). Read through [`Model::check`].
    pub(crate) checks: Vec<Option<CheckSpec>>,
    /// Each web server's `observe layer4` with its `error-limit` and `on-error`; `None` = not
    /// observing. Read through [`Model::observe`].
    pub(crate) observes: Vec<Option<policy::health::Observe>>,
    pub(crate) timeout_server: SimDuration,
    /// The web servers.
    pub web: TierModel,
    /// The storage nodes.
    pub storage: TierModel,
    pub(crate) storage_write: Dist,
    /// Nodes and links with their latency distributions.
    pub topology: Topology,
    /// Scripted faults (`[[faults]]`), in time order.
    pub faults: Vec<ScriptedFault>,
    /// Request-level or availability (long-horizon) simulation.
    pub mode: Mode,
    /// Failures, repairs and on-call response (availability mode).
    pub reliability: ReliabilityModel,
    /// The balancer pair's VRRP routers (lb1, lb2); `None` with a single balancer.
    pub(crate) lb_pair: Option<[crate::policy::vrrp::VrrpConfig; 2]>,
    /// The pair's tracked `vrrp_script` (`detects = none` without one).
    pub(crate) lb_track: LbTrack,
    /// The daily backup; `None` without a backup server.
    pub(crate) backup: Option<BackupModel>,
    /// Request-level monitoring (`None` when disabled).
    pub monitoring: Option<MonitoringModel>,
    /// Planned maintenance of the web servers (`None` when disabled).
    pub(crate) maintenance: Option<MaintenanceModel>,
    /// Web servers in rotation by hour of the week (`[[capacity]]`; `None` without rules).
    pub(crate) capacity: Option<crate::model::capacity::CapacitySchedule>,
    /// The calendar months of the measured window in the scenario's time zone.
    pub(crate) calendar: crate::model::calendar::Calendar,
}

impl Model {
    /// lb1's health check of web server `i` (0-based); `None` when it is not checked.
    pub fn check(&self, i: usize) -> Option<&CheckSpec> {
        self.checks[i].as_ref()
    }

    /// lb1's backend as the balancer machine runs it (`Backend::new`).
    pub fn backend_spec(&self) -> &BackendSpec {
        &self.backend
    }

    /// Web server `i`'s `observe layer4` (0-based); `None` when lb1 does not observe it.
    pub(crate) fn observe(&self, i: usize) -> Option<policy::health::Observe> {
        self.observes[i]
    }

    /// VRRP advertisement interval [cs] of the balancer pair; `None` with a single balancer.
    pub(crate) fn lb_pair_advert_cs(&self) -> Option<u16> {
        self.lb_pair.as_ref().map(|p| p[0].advert_interval_cs)
    }

    /// Planned maintenance is left out of downtime, availability and failed requests
    /// (`maintenance.contract = "exclude"`); it is still reported by cause.
    pub(crate) fn maintenance_excluded(&self) -> bool {
        self.spec.maintenance.contract == MaintenanceContract::Exclude
    }
}

/// The balancer pair's tracked `vrrp_script`, checked (see `schema::VrrpTrack`): what it sees
/// of the model's failures, and the script as keepalived runs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LbTrack {
    pub(crate) detects: TrackDetects,
    pub(crate) script: policy::vrrp::TrackScript,
}

impl LbTrack {
    /// Whether the script sees a balancer failure of `mode` (a dead host is VRRP's own to
    /// see: its advertisements stop).
    ///
    /// Used only for the modes that leave the host up (`leaves_vrrp_up`).
    pub(crate) fn sees(&self, mode: crate::model::failure::Failure) -> bool {
        use crate::model::failure::Failure;
        match self.detects {
            TrackDetects::None => false,
            TrackDetects::Process => mode == Failure::ProcessDeath,
            TrackDetects::Http => matches!(mode, Failure::ProcessDeath | Failure::Hang),
        }
    }

    /// Whether a balancer failure of `mode` leaves keepalived advertising: a dead or hung
    /// HAProxy on a live host. A crash, a lost link and (as a model simplification) a
    /// slowdown stop the balancer as a whole.
    pub(crate) fn leaves_vrrp_up(mode: crate::model::failure::Failure) -> bool {
        use crate::model::failure::Failure;
        matches!(mode, Failure::ProcessDeath | Failure::Hang)
    }
}

/// Planned rolling maintenance, checked (see `schema::Maintenance`): the cadences (when
/// `maintenance.enabled`) and the scripted windows. Rolls are numbered cadences first
/// (`[maintenance]`'s own is 0, then each `[[maintenance.cadence]]`), then the windows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MaintenanceModel {
    /// Empty when `maintenance.enabled` is off (then only `windows` run).
    pub(crate) cadences: Vec<Cadence>,
    pub(crate) drain: SimDuration,
    pub(crate) wait_between_servers: SimDuration,
    /// Scripted windows, in the file's order.
    pub(crate) windows: Vec<MaintWindow>,
    /// The scenario's local wall clock (`start`, `timezone`): where a cadence's hour falls.
    pub(crate) clock: crate::model::calendar::LocalClock,
}

/// One cadence of rolling windows, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cadence {
    pub(crate) every: SimDuration,
    /// Each window opens this long after local midnight (wall clock of `timezone`).
    pub(crate) window_start: SimDuration,
    pub(crate) kind: MaintenanceKind,
    /// Servers in rolling order.
    pub(crate) order: Vec<MaintTarget>,
    pub(crate) duration_per_server: SimDuration,
}

/// A scripted maintenance window, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MaintWindow {
    /// When it opens, from the start of the run.
    pub(crate) at: SimDuration,
    pub(crate) kind: MaintenanceKind,
    /// Servers in rolling order.
    pub(crate) order: Vec<MaintTarget>,
    pub(crate) duration_per_server: SimDuration,
}

/// One roll through servers: a cadence's window (roll `c`) or a scripted window's (roll
/// `cadences + i`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Roll<'a> {
    pub(crate) order: &'a [MaintTarget],
    pub(crate) duration_per_server: SimDuration,
    pub(crate) drain: SimDuration,
    pub(crate) wait_between_servers: SimDuration,
    /// What is done to each server.
    pub(crate) kind: MaintenanceKind,
}

/// A day of the wall clock [ns]: cadences of whole days keep their local hour.
const DAY_NS: u64 = 86_400_000_000_000;

impl MaintenanceModel {
    /// How many rolls there are: the cadences, then the scripted windows.
    pub(crate) fn rolls(&self) -> u32 {
        (self.cadences.len() + self.windows.len()) as u32
    }

    /// How many servers each roll passes over, by roll (for `RollQueue::new`).
    pub(crate) fn roll_sizes(&self) -> Vec<usize> {
        (0..self.rolls()).map(|r| self.roll(r).order.len()).collect()
    }

    /// Roll `r`: cadence `r`, or scripted window `r - cadences`.
    pub(crate) fn roll(&self, r: u32) -> Roll<'_> {
        let (order, duration_per_server, kind) = match self.cadences.get(r as usize) {
            Some(c) => (c.order.as_slice(), c.duration_per_server, c.kind),
            None => {
                let w = &self.windows[r as usize - self.cadences.len()];
                (w.order.as_slice(), w.duration_per_server, w.kind)
            }
        };
        Roll {
            order,
            duration_per_server,
            drain: self.drain,
            wait_between_servers: self.wait_between_servers,
            kind,
        }
    }

    /// Roll `r` is a cadence (it opens again after each window).
    pub(crate) fn is_cadence(&self, r: u32) -> bool {
        (r as usize) < self.cadences.len()
    }

    /// When each roll first opens: every cadence's first window, every scripted window.
    pub(crate) fn first_windows(&self) -> Vec<(SimTime, u32)> {
        let cadences = (0..self.cadences.len()).filter_map(|c| Some((self.window(c, 0)?, c as u32)));
        let windows = self
            .windows
            .iter()
            .enumerate()
            .map(|(i, w)| (SimTime::ZERO + w.at, (self.cadences.len() + i) as u32));
        cadences.chain(windows).collect()
    }

    /// Window `k` of cadence `c`. Whole days: at its wall-clock hour that many days after
    /// `start` (`LocalClock::at_local`: 03:00 stays 03:00 local in summer and winter); shorter:
    /// every `every` of simulation time from the first window.
    fn window(&self, c: usize, k: u64) -> Option<SimTime> {
        let cad = &self.cadences[c];
        if cad.every.as_nanos().is_multiple_of(DAY_NS) {
            let offset = k
                .checked_mul(cad.every.as_nanos())?
                .checked_add(cad.window_start.as_nanos())?;
            self.clock.at_local(SimDuration::from_nanos(offset))
        } else {
            let first = self.clock.at_local(cad.window_start)?;
            let d = k.checked_mul(cad.every.as_nanos())?;
            Some(SimTime::from_nanos(first.as_nanos().checked_add(d)?))
        }
    }

    /// Cadence `c`'s first window after `now` (`None` past the years the calendar holds).
    /// A wall-clock time a DST change maps onto an instant already passed is not repeated.
    pub(crate) fn next_window(&self, c: u32, now: SimTime) -> Option<SimTime> {
        let c = c as usize;
        let every = self.cadences[c].every.as_nanos();
        let first = self.window(c, 0)?;
        // On simulation time the k-th window is within the zone's offset changes (hours) of
        // first + k x every, so the search starts two windows early.
        let k0 = (now.as_nanos().saturating_sub(first.as_nanos()) / every).saturating_sub(2);
        // Bounded: a zone's offset never moves by more than a few windows of a day or more;
        // shorter cadences are exact.
        const SEARCH_MAX: u64 = 64;
        for k in k0..k0 + SEARCH_MAX {
            let t = self.window(c, k)?;
            if t > now {
                return Some(t);
            }
        }
        unreachable!("cadence {c}: no window within {SEARCH_MAX} steps after {now:?}")
    }
}

/// A server planned maintenance takes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MaintTarget {
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
pub(crate) struct BackupModel {
    pub(crate) config: BackupConfig,
    pub(crate) data_bytes: f64,
    pub(crate) growth_bytes_per_ns: f64,
    pub(crate) fail_probability: f64,
    pub(crate) corrupt_probability: f64,
    /// Human errors [1/ns].
    pub(crate) human_error_rate_per_ns: f64,
    pub(crate) notice: Dist,
    /// Share of requests failing while a deletion awaits its restore.
    pub(crate) human_error_failed_share: f64,
}

/// Random failures and repairs, checked.
#[derive(Clone, Debug)]
pub struct ReliabilityModel {
    /// Detection is instant (the Markov assumption) instead of health checks and alerts.
    pub(crate) instant: bool,
    pub(crate) crews: u32,
    /// On-call response time: from a page to work starting.
    pub response: Dist,
    pub(crate) night_factor: f64,
    pub(crate) coverage: f64,
    /// The balancers.
    pub lb: ClassModel,
    /// The web servers.
    pub web: ClassModel,
    /// The storage nodes.
    pub storage: ClassModel,
    /// The backup server.
    pub backup: ClassModel,
    /// `None` without RAID-1 modelling.
    pub(crate) disk: Option<DiskModel>,
    pub(crate) failover: FailoverConfig,
    /// The async replication lag drawn at each unplanned storage takeover (`lag`); `None`
    /// with sync replication or a fixed `lag_ms` (then `failover` holds it).
    pub(crate) replication_lag: Option<Dist>,
    pub(crate) swarm: bool,
    /// Keep failures within what the design promises to survive.
    pub(crate) budget_design: bool,
    /// Request mode replays each replication's random failures (see the schema).
    pub(crate) random_in_requests: bool,
    /// Chance an unplanned storage takeover's promotion fails.
    pub(crate) promotion_fail_probability: f64,
}

/// One class of component.
#[derive(Clone, Debug)]
pub struct ClassModel {
    /// Whether this class fails at all.
    pub fails: bool,
    /// Time to failure of one component.
    pub ttf: Dist,
    /// Cumulative shares of crash, process death, hang, slowdown, link.
    pub(crate) modes: [f64; 5],
    /// Service-time multiplier of a slowdown.
    pub(crate) slowdown_factor: f64,
    /// Repair time, once work starts.
    pub repair: Dist,
}

#[derive(Clone, Debug)]
pub(crate) struct DiskModel {
    /// Failure rate of one disk [1/ns], from the AFR: -ln(1 - afr) per year.
    pub(crate) rate_per_ns: f64,
    pub(crate) replace: Dist,
    pub(crate) rebuild: Dist,
    pub(crate) degraded_factor: f64,
    pub(crate) smart_share: f64,
    pub(crate) smart_lead: Dist,
    /// Coefficient of variation of the shared batch frailty (0: independent disks).
    pub(crate) batch_cv: f64,
    pub(crate) batch_park: bool,
}

/// Request-level monitoring, validated.
#[derive(Clone, Debug)]
pub struct MonitoringModel {
    pub(crate) cores: u32,
    pub(crate) memory_base_percent: f64,
    pub(crate) memory_per_worker_percent: f64,
    pub(crate) disk_capacity_bytes: f64,
    /// Data on a storage node at the start [bytes] and its growth [bytes/ns].
    pub(crate) data_bytes: f64,
    pub(crate) growth_bytes_per_ns: f64,
    /// The alerting rules (the scenario's `[[monitoring.rules]]`, else the built-in ones).
    pub(crate) rules: Vec<crate::policy::alerting::AlertRule>,
    /// Alertmanager: routes, inhibition, time intervals.
    pub notifier: crate::policy::alerting::Notifier,
    /// The scenario's own rules or Alertmanager (`simpark import`): the availability mode
    /// pages with them instead of its built-in `InstanceDown`/`HighLoad`/`SmartWarning`.
    pub(crate) imported: bool,
}

/// A tier of identical servers.
#[derive(Clone, Debug)]
pub struct TierModel {
    /// Servers in the tier.
    pub count: u32,
    pub(crate) workers: u32,
    pub(crate) queue_max: u32,
    /// Service time of one request (web) or one read (storage).
    pub(crate) service: Dist,
}

pub(crate) use crate::model::failure::ScriptedFault;
pub use crate::model::traffic::{BurstModel, TrafficModel};

/// Average length of a month [s]: 365.25 / 12 days.
pub(crate) const MONTH_SECS: f64 = 365.25 / 12.0 * 86_400.0;

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
pub(crate) const SCENARIO_BYTES_MAX: u64 = 16 << 20;

/// Read a scenario file: at most `SCENARIO_BYTES_MAX` bytes, UTF-8.
pub(crate) fn read_text(path: &Path) -> Result<String, ScenarioError> {
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
            message: words::user_words(e.message()),
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
        let base = raw;
        let mut table = base.clone();
        for assignment in overrides {
            apply_override(&mut table, assignment)?;
            if let Some(key) = non_finite(&table, "") {
                return Err(ScenarioError::Override {
                    assignment: assignment.clone(),
                    message: format!("key `{key}`: NaN and infinities are not valid; give a finite number"),
                });
            }
        }
        scenario = match toml::Table::try_into(table) {
            Ok(s) => s,
            Err(e) => return Err(wrong_override(base, overrides, &e)),
        };
    }
    let mut model = validate_all(scenario).map_err(|all| {
        ScenarioError::from_all(all.into_iter().map(|e| refusal(text, origin, overrides, e)).collect())
    })?;
    model.sources = provenance::Sources::new(origin, text, overrides);
    Ok(model)
}

/// The first of `overrides` (applied in order to `base`) after which the scenario no longer
/// reads, with `e` in user words; only that one is echoed.
fn wrong_override(mut base: toml::Table, overrides: &[String], e: &toml::de::Error) -> ScenarioError {
    let culprit = overrides
        .iter()
        .find(|a| apply_override(&mut base, a).is_ok() && toml::Table::try_into::<Scenario>(base.clone()).is_err())
        .or(overrides.last())
        .expect("an override failed, so there is one");
    let message = words::user_words(e.message());
    ScenarioError::Override {
        assignment: culprit.clone(),
        message,
    }
}

/// A refusal from `validate` located where the user wrote the value: the `--set` override
/// that set it, else its line in `text`.
fn refusal(text: &str, origin: &str, overrides: &[String], (key, message): Invalid) -> ScenarioError {
    fn sets(k: &str, a: &str) -> bool {
        let set = a.split('=').next().unwrap_or_default().trim();
        k == set || k.starts_with(&format!("{set}.")) || k.starts_with(&format!("{set}["))
    }
    // The override that set the key, else one that set a key it is checked against (the last
    // one given wins, as when applied).
    let blamed = overrides.iter().rev().find(|a| sets(&key, a)).or_else(|| {
        checked_against(&key)
            .iter()
            .find_map(|other| overrides.iter().rev().find(|a| sets(other, a)))
    });
    if let Some(a) = blamed {
        return ScenarioError::Override {
            assignment: a.clone(),
            message: format!("key `{key}`: {message}"),
        };
    }
    let (line, column, snippet) = match locate_key(text, &key) {
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
}

/// Keys a refusal of `key` is checked against: when only one of those was overridden, the
/// override is what made the file's value wrong (`--horizon 30m` against the file's
/// `warmup = "1h"`).
fn checked_against(key: &str) -> &'static [&'static str] {
    match key {
        "warmup" => &["horizon"],
        "balancer.weights" | "balancer.ids" | "balancer.backup_servers" => &["web.count"],
        _ => &[],
    }
}

/// The 1-based line of the key at dotted `path` in `text`, only if the text sets it itself.
pub(crate) fn locate_exact(text: &str, path: &str) -> Option<usize> {
    let offset = locate_key(text, path)?;
    let (line, _, _) = line_col(text, offset);
    // `locate_key` falls back to the nearest table: accept only the key's own line.
    let last = path.rsplit('.').next()?.split('[').next()?;
    let written = text.lines().nth(line - 1)?.trim_start();
    let own = !written.starts_with('[') && written.contains(last);
    own.then_some(line)
}

/// The resolved scenario as TOML with where each value came from as a trailing comment.
pub fn to_toml_with_sources(model: &Model) -> String {
    provenance::annotate(&to_toml(&model.spec), &model.sources)
}

/// The dotted path of the first NaN or infinite float under `table`, if any. Paths are
/// formatted only on the way to a hit (this runs on every load of every sweep point).
fn non_finite(table: &toml::Table, prefix: &str) -> Option<String> {
    fn any(v: &toml::Value) -> bool {
        match v {
            toml::Value::Float(x) => !x.is_finite(),
            toml::Value::Table(t) => t.values().any(any),
            toml::Value::Array(a) => a.iter().any(any),
            _ => false,
        }
    }
    if !table.values().any(any) {
        return None;
    }
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
        // A key left to its default: the nearest table the file has.
        let Some((k, v)) = table.iter().find(|(k, _)| k.get_ref().as_ref() == name) else {
            return best;
        };
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

pub(crate) mod provenance;
mod validate;
mod words;
pub use validate::*;

/// peak); five replications give a t-interval (t = 2.776) at a cost of about 5 x 120,000
/// requests for the seed's park, a fraction of a second.
pub(crate) const LATENCY_SAMPLE_HORIZON: &str = "25h";
pub(crate) const LATENCY_SAMPLE_WARMUP: &str = "1h";
pub(crate) const LATENCY_SAMPLE_REPLICATIONS: u32 = 5;

/// The same park as `spec` in request mode with every server up (no scripted faults, no
/// expectations), over a short horizon: the response times an availability run cannot give.
pub fn latency_sample_spec(spec: &Scenario) -> Scenario {
    let mut spec = spec.clone();
    spec.mode = Mode::Requests;
    spec.faults.clear();
    spec.expects.clear();
    // The sample is the park at full strength: no planned maintenance.
    spec.maintenance.enabled = false;
    spec.maintenance.windows.clear();
    spec.maintenance.cadences.clear();
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
    // The capsule replays the failures only, not the planned maintenance.
    spec.maintenance.enabled = false;
    spec.maintenance.windows.clear();
    spec.maintenance.cadences.clear();
    // Nor storage on the web servers: the capsule replays the web servers' failures, not the
    // takeovers of the databases on them.
    spec.storage.colocated = false;
    spec.faults = faults.iter().map(|f| fault_table(f, &model.topology)).collect();
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
