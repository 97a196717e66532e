//! The scenario file format: serde types with a default for every key.
//!
//! The defaults ARE the seed's park (`scenarios/xpos.toml` states only its name): a what-if
//! file that states only its changes is compared with `simpark run` like for like, and a
//! test (`defaults_are_the_seed_park`) keeps the two from drifting apart.
//!
//! Raw numbers carry their unit in the key name (`inter_ms`, `service.mean_ms`); durations
//! over hours are strings with a unit (`horizon = "7d"`). Every struct denies unknown keys so a
//! misspelt key is an error with a line and column, never a silently ignored setting. These
//! types only describe the file; `validate` turns them into checked values.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::policy::{balancer, health, vrrp};

/// A whole scenario.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(transform = extends_key)]
pub struct Scenario {
    /// Short name; results go to `results/<name>/`.
    pub name: String,
    /// One line for `simpark scenarios`.
    pub description: String,
    /// Root seed of the run.
    pub seed: u64,
    /// Independent replications; every figure is reported with a CI across them.
    pub replications: u32,
    /// Simulated span per replication, e.g. "7d".
    #[schemars(schema_with = "duration_schema")]
    pub horizon: String,
    /// Initial span excluded from every statistic, e.g. "1h".
    #[schemars(schema_with = "duration_schema")]
    pub warmup: String,
    /// Local date (at midnight) of simulation time 0 in `timezone`, e.g. "2029-01-01T00:00":
    /// the months of the reports are this calendar's months. The default is a Monday, the day
    /// the traffic profile's week begins.
    pub start: String,
    /// IANA time zone of `start` and of the calendar months, e.g. "Europe/Amsterdam".
    pub timezone: String,
    /// `requests`: every request and health check is simulated. `availability`: the
    /// long-horizon mode for years of failures and repairs: steady traffic is accounted in
    /// aggregate and steady health checks are skipped, while every transition (failure,
    /// detection, failover, rebuild, repair) runs through the same policy code.
    pub(crate) mode: Mode,
    /// `[traffic]`: the arrival process.
    pub traffic: Traffic,
    pub(crate) requests: Requests,
    pub(crate) balancer: Balancer,
    pub(crate) web: Web,
    pub(crate) storage: Storage,
    /// `[backup]`: nightly backups and their retention.
    pub backup: Backup,
    pub(crate) network: Network,
    pub(crate) reliability: Reliability,
    pub(crate) monitoring: Monitoring,
    /// Planned maintenance (both modes): a cadence of rolling windows through lb1's admin
    /// states, and scripted `[[maintenance.window]]`s.
    #[serde(skip_serializing_if = "Maintenance::is_off")]
    pub(crate) maintenance: Maintenance,
    /// `[[capacity]]`: web servers taken out of rotation on purpose by hour of day and
    /// weekday (a capacity schedule; not a failure, not maintenance).
    #[serde(rename = "capacity", skip_serializing_if = "Vec::is_empty")]
    pub(crate) capacity: Vec<Capacity>,
    /// Service-level objective `simpark sweep` plans against (optional; flags override it).
    #[serde(skip_serializing_if = "Slo::is_unset")]
    pub(crate) slo: Slo,
    /// `[[link]]`: links of the generated topology overridden or removed.
    #[serde(rename = "link", skip_serializing_if = "Vec::is_empty")]
    pub(crate) links: Vec<Link>,
    #[serde(rename = "fault", skip_serializing_if = "Vec::is_empty")]
    /// `[[fault]]`: scripted faults, each before the horizon.
    pub faults: Vec<Fault>,
    /// Expectations `simpark check` verifies (failover regression tests in CI).
    #[serde(rename = "expect", skip_serializing_if = "Vec::is_empty")]
    pub expects: Vec<Expect>,
}

/// One `[[expect]]` block: every key given is one check.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Share of requests that succeed (request mode: success ratio; availability mode:
    /// availability_request), at least.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) availability_request_min: Option<f64>,
    /// Time-based availability at least (availability mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) availability_time_min: Option<f64>,
    /// p99 latency [ms] at most (request mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) latency_ms_p99_max: Option<f64>,
    /// Failed requests over all replications at most (request mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) failed_requests_max: Option<u64>,
    /// From each scripted failure to lb1 marking that server DOWN [ms], at most (request mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) detect_ms_max: Option<f64>,
    /// Storage takeover [ms], at most (availability mode, mean).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) failover_ms_max: Option<f64>,
    /// Data-loss events per replication, at most (availability mode, mean).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) data_loss_max: Option<f64>,
    /// `false`: never two writable storage primaries (availability mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) split_brain: Option<bool>,
    /// An alert of this name paged on-call (availability mode, replication 0's log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) alert_fired: Option<String>,
    /// With `alert_fired` in request mode: the alert must page within this long after the
    /// first scripted fault [ms].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) alert_within_ms: Option<f64>,
    /// The rule the `alert_*_min`/`_max` paging keys below judge (both modes); absent: every
    /// rule together (`report/paging.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) alert_rule: Option<String>,
    /// Share of incidents the alerts paged for, at least (scripted faults in request mode,
    /// random failures in availability mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) alert_recall_min: Option<f64>,
    /// Share of pages that came during (or shortly after) an incident, at least.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) alert_precision_min: Option<f64>,
    /// Mean time from an incident's start to its first page [ms], at most (the upper end of
    /// the 95% CI); an incident never paged for fails it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) alert_detect_ms_max: Option<f64>,
    /// Pages per on-call week, at most (mean across replications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) alert_pages_per_week_max: Option<f64>,
    /// From the master balancer failing to a balancer being master again [ms], worst over
    /// all replications (availability mode with `balancer.pair = true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) lb_takeover_ms_max: Option<f64>,
    /// RAID-1 arrays lost (both disks of a mirror), total over all replications, at most
    /// (availability mode with `reliability.disk.raid1 = true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) raid_array_losses_max: Option<u64>,
    /// Restores after human error that brought data back, total over all replications, at
    /// least (availability mode with backups): keeps the RPO/RTO bounds from holding vacuously.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) restores_min: Option<u64>,
    /// Recovery point of a restore after human error [h] (data lost since the snapshot used),
    /// worst over all restores of all replications, at most (availability mode with backups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rpo_h_max: Option<f64>,
    /// Recovery time of a restore after human error [h], worst over all restores, at most
    /// (availability mode with backups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rto_h_max: Option<f64>,
    /// Acknowledged writes lost at storage failovers [ms of writes: the async replication lag
    /// at each promotion], total over all replications, at most (both modes; `0` is "lose no
    /// writes at failover").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) lost_writes_ms_max: Option<f64>,
    /// The replication lag at one storage failover [ms of writes lost], worst over all
    /// takeovers of all replications, at most (both modes; with `storage_failover.lag` a
    /// distribution, this bounds its tail as sampled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) replication_lag_ms_max: Option<f64>,
}

/// The `[slo]` table: targets a capacity plan must meet. The built-in park carries two
/// assumed targets; a target set to `None` (only from code) is not checked.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Slo {
    /// p99 end-to-end latency [ms], at most (request mode; availability mode has no latency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) latency_ms_p99_max: Option<f64>,
    /// Availability, at least: the share of requests that succeed in request mode
    /// (`availability_request`), the share of time the site is up in availability mode
    /// (`availability_time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) availability_min: Option<f64>,
    /// Threshold of the latency SLO [ms]: the share of requests answered successfully within
    /// it (request-level runs and the latency sample; `summary.json`'s `latency_within` and
    /// the report). Not a pass/fail target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) latency_ms: Option<f64>,
}

impl Default for Slo {
    /// Assumed targets for capacity planning (`simpark sweep`); the seed names none: 99 in 100
    /// page views within half a second, and three nines of requests served.
    fn default() -> Self {
        Slo {
            latency_ms_p99_max: Some(500.0),
            availability_min: Some(0.999),
            latency_ms: None,
        }
    }
}

impl Slo {
    /// No target at all.
    #[cfg(test)]
    pub(crate) const NONE: Slo = Slo {
        latency_ms_p99_max: None,
        availability_min: None,
        latency_ms: None,
    };

    /// No target given (the table is left out of resolved scenarios).
    pub(crate) fn is_unset(&self) -> bool {
        self.latency_ms_p99_max.is_none() && self.availability_min.is_none() && self.latency_ms.is_none()
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "scenario".into(),
            description: String::new(),
            seed: 1,
            replications: 10,
            horizon: "7d".into(),
            warmup: "1h".into(),
            // A Monday at midnight, so the traffic profile's week is where it always was.
            start: "2029-01-01T00:00".into(),
            timezone: "UTC".into(),
            mode: Mode::Requests,
            traffic: Traffic::default(),
            requests: Requests::default(),
            balancer: Balancer::default(),
            web: Web::default(),
            storage: Storage::default(),
            backup: Backup::default(),
            network: Network::default(),
            reliability: Reliability::default(),
            monitoring: Monitoring::default(),
            maintenance: Maintenance::default(),
            capacity: Vec::new(),
            slo: Slo::default(),
            links: Vec::new(),
            faults: Vec::new(),
            expects: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
/// What a run simulates.
pub enum Mode {
    /// Every request through the park (hours to days).
    Requests,
    /// Failures, repairs and downtime over years, without individual requests.
    Availability,
}

/// Random failures, detection, on-call repair, RAID-1 and storage failover: the
/// availability mode's model. (The request-level mode takes scripted `[[fault]]`s.)
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Reliability {
    /// `monitoring`: on-call learns of a failure from the alert pipeline (Prometheus rule
    /// `up == 0 for 5m`, Alertmanager `group_wait`); lb1 from its health checks. `instant`:
    /// everyone knows at once (the Markov-model assumption).
    pub(crate) detection: Detection,
    /// On-call engineers who can repair in parallel.
    pub(crate) crews: u32,
    /// Time from the alert to an engineer starting work.
    pub(crate) response: DistSpec,
    /// Response-time multiplier between 23:00 and 07:00.
    pub(crate) night_response_factor: f64,
    /// Share of web-server failures lb1's health checks see; the rest are gray failures
    /// (errors on real traffic, passing checks) that last until repaired.
    pub(crate) coverage: f64,
    pub(crate) lb: FailureClass,
    pub(crate) web: FailureClass,
    pub(crate) storage: FailureClass,
    pub(crate) backup: FailureClass,
    pub(crate) disk: Disks,
    pub(crate) storage_failover: StorageFailover,
    /// Swarm testing: each replication draws which failure classes are on (lb, web, storage,
    /// backup, disk), how hard (rate x 1..30, log-uniform) and the failure-mode mix.
    pub(crate) swarm: bool,
    /// `none`: failures as drawn. `design`: keep the run within what the park promises to
    /// survive: at most n - 1 of n balancers, web servers and storage nodes down, and at most
    /// one disk per mirror (a failure beyond that is not injected).
    pub(crate) fault_budget: FaultBudget,
    /// Request mode: also inject random failures. Each replication draws the same failure
    /// and repair timeline the availability mode would (same seed and replication) and
    /// replays its web-server and storage-node failures and repairs as scripted faults;
    /// balancer, backup-server and disk failures are not replayed at request level.
    pub(crate) random_in_requests: bool,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FaultBudget {
    None,
    Design,
}

impl Default for Reliability {
    fn default() -> Self {
        Reliability {
            detection: Detection::Monitoring,
            crews: 1,
            // Assumed: half an hour from page to hands on keyboard, 24/7 on-call.
            response: DistSpec {
                dist: DistKind::Lognormal,
                mean_min: Some(30.0),
                cv: Some(0.5),
                ..DistSpec::none()
            },
            night_response_factor: 1.5,
            coverage: 1.0,
            // Assumed server field rates: a few hardware/OS incidents per server-year.
            lb: FailureClass::servers(8760.0, 2.0),
            web: FailureClass::servers(4380.0, 2.0),
            storage: FailureClass::servers(4380.0, 3.0),
            backup: FailureClass::servers(8760.0, 4.0),
            disk: Disks::default(),
            storage_failover: StorageFailover::default(),
            swarm: false,
            random_in_requests: false,
            fault_budget: FaultBudget::None,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Detection {
    Monitoring,
    Instant,
}

/// Failures of one class of component.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct FailureClass {
    /// Whether this class fails at all (off: the component is perfect, e.g. for a model check).
    pub(crate) fails: bool,
    /// Time to failure: exponential by `mean_h` (the MTBF), or weibull by `mean_h` + `shape`.
    pub(crate) ttf: DistSpec,
    /// A fixed annualised failure rate instead of `ttf`: exponential with rate -ln(1 - afr)
    /// per year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) afr: Option<f64>,
    /// Shares of the failure modes (normalised): the host dies (checks time out), the
    /// service process dies (connections refused), the application hangs.
    pub(crate) crash: f64,
    /// Share of failures where the service process dies (see `crash`).
    pub(crate) process_death: f64,
    /// Share of failures where the application hangs (see `crash`).
    pub(crate) hang: f64,
    /// Web servers only: share of failures that are a slowdown (service times x
    /// `slowdown_factor`; checks still pass, the server stays in rotation and fails requests
    /// only once it is overloaded; on-call is paged by the HighLoad rule).
    pub(crate) slowdown: f64,
    /// Service-time multiplier of a slowdown (see `slowdown`).
    pub(crate) slowdown_factor: f64,
    /// Web servers only: share of failures that are the network link lb1 <-> the server
    /// going down (a switch port, a cable): lb1's checks time out as for a crash, on-call
    /// repairs the link; replayed at request level as a `partition` and `heal` with lb1.
    pub(crate) link: f64,
    /// Hands-on repair time once an engineer starts.
    pub(crate) repair: DistSpec,
}

impl FailureClass {
    fn servers(mtbf_h: f64, repair_h: f64) -> Self {
        FailureClass {
            fails: true,
            afr: None,
            ttf: DistSpec {
                dist: DistKind::Exponential,
                mean_h: Some(mtbf_h),
                ..DistSpec::none()
            },
            crash: 0.4,
            process_death: 0.4,
            hang: 0.2,
            slowdown: 0.0,
            link: 0.0,
            // Assumed: a runaway cron job, swapping or a noisy neighbour: five times slower.
            slowdown_factor: 5.0,
            repair: DistSpec {
                dist: DistKind::Lognormal,
                mean_h: Some(repair_h),
                cv: Some(1.0),
                ..DistSpec::none()
            },
        }
    }
}

impl Default for FailureClass {
    fn default() -> Self {
        FailureClass::servers(4380.0, 2.0)
    }
}

/// Two mirrored disks (RAID-1) in every web and storage server.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Disks {
    /// Seed: "elke server is uitgerust met 2 hardeschijven".
    pub(crate) raid1: bool,
    /// Annualised failure rate per disk. Backblaze's drive stats put their fleet at about
    /// 1.6% in 2024-2025.
    pub(crate) afr: f64,
    /// Time to replace a failed disk once an engineer starts (hot swap).
    pub(crate) replace: DistSpec,
    /// Capacity [GB] and rebuild rate [MB/s]: rebuild time = capacity / rate.
    pub(crate) capacity_gb: f64,
    /// Rebuild rate [MB/s] (see `capacity_gb`).
    pub(crate) rebuild_mb_per_s: f64,
    /// Optional rebuild-time distribution replacing capacity / rate (e.g. exponential, for the
    /// Markov check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rebuild: Option<DistSpec>,
    /// Share of disk failures preceded by a SMART warning: Pinheiro, Weber and Barroso
    /// (FAST '07) found 56% of failed drives showed none of the strong SMART signals, so 0.44.
    pub(crate) smart_warning_share: f64,
    /// How long before the failure the warning comes.
    pub(crate) smart_lead: DistSpec,
    /// Hazard multiplier of the surviving disk while the array is degraded (same batch, the
    /// stress of a rebuild: Schroeder and Gibson, FAST '07, found replacements cluster).
    pub(crate) degraded_hazard_factor: f64,
    /// Batch correlation: disks bought together share a hazard multiplier Z (a gamma
    /// frailty with this coefficient of variation, 0 <= cv < 1, scaled so the mean lifetime
    /// stays 1/AFR), so some batches are bad and their disks fail close together (Schroeder
    /// and Gibson, FAST '07; Backblaze sees AFRs differ several-fold between models and
    /// batches). 0 (the default) = independent disks.
    pub(crate) batch_cv: f64,
    /// Who shares a batch: `array` (the two disks of one server) or `park` (every disk
    /// installed at the start). A replacement disk comes from a new batch.
    pub(crate) batch: BatchScope,
}

/// Which disks come from one batch.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BatchScope {
    #[default]
    Array,
    Park,
}

impl Default for Disks {
    fn default() -> Self {
        Disks {
            raid1: true,
            afr: 0.016,
            replace: DistSpec {
                dist: DistKind::Lognormal,
                mean_min: Some(30.0),
                cv: Some(0.5),
                ..DistSpec::none()
            },
            capacity_gb: 4000.0,
            rebuild_mb_per_s: 100.0,
            rebuild: None,
            smart_warning_share: 0.44,
            // Assumed: about a week of warning on average, widely spread.
            smart_lead: DistSpec {
                dist: DistKind::Lognormal,
                mean_h: Some(168.0),
                cv: Some(1.0),
                ..DistSpec::none()
            },
            degraded_hazard_factor: 2.0,
            batch_cv: 0.0,
            batch: BatchScope::Array,
        }
    }
}

/// 24/7 monitoring at request level: Prometheus scrapes every server each minute and the
/// default alert rules (`policy::alerting::default_rules`) page on-call through Alertmanager.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Monitoring {
    /// `false`: no monitoring, no alerts, nobody is paged.
    pub(crate) enabled: bool,
    /// CPU cores per server: load per core = (CPU busy share x cores + queued) / cores.
    pub(crate) cores: u32,
    /// Memory in use with no request in progress [%] (OS, caches, the database or PHP master).
    pub(crate) memory_base_percent: f64,
    /// Memory per busy worker [%]: a PHP-FPM worker of ~60 MB on a 2 GB host is 3%.
    pub(crate) memory_per_worker_percent: f64,
    /// Disk capacity of a storage node [GB]; the data on it is `backup.data_gb` growing by
    /// `backup.growth_gb_per_day` (plus any `disk_fill` fault).
    pub(crate) disk_capacity_gb: f64,
    /// Alerting rules in the fields of a Prometheus rule file; empty: the built-in rules
    /// (`policy::alerting::default_rules`). `simpark import --rules FILE` writes them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) rules: Vec<AlertRuleSpec>,
    /// Alertmanager's routing tree, inhibit rules and time intervals, in the fields of
    /// `alertmanager.yml`; absent: one receiver grouping by `alertname` with the default
    /// timings. `simpark import --alertmanager FILE` writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) alertmanager: Option<AlertmanagerSpec>,
}

/// The parts of `alertmanager.yml` simpark models.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerSpec {
    pub(crate) route: RouteSpec,
    /// Alertmanager's `inhibit_rules`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) inhibit_rules: Vec<InhibitRuleSpec>,
    /// Alertmanager's named `time_intervals`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) time_intervals: Vec<NamedTimeIntervalSpec>,
    /// Where it was imported from (the file), named in messages.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) source: String,
}

/// A node of Alertmanager's routing tree (unset values are inherited from the parent).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RouteSpec {
    /// The receiver alerts of this route go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) receiver: Option<String>,
    /// Labels alerts are grouped by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) group_by: Option<Vec<String>>,
    /// Wait before the first notification of a group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "duration_schema")]
    pub(crate) group_wait: Option<String>,
    /// Wait before notifying about new alerts in a group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "duration_schema")]
    pub(crate) group_interval: Option<String>,
    /// Wait before repeating a notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "duration_schema")]
    pub(crate) repeat_interval: Option<String>,
    /// `name="value"`, `name!="value"`, `name=~"re"`, `name!~"re"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) matchers: Vec<String>,
    /// `true`: later sibling routes are tried after this one matched.
    #[serde(rename = "continue", default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) continue_: bool,
    /// Named time intervals in which this route is muted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) mute_time_intervals: Vec<String>,
    /// Named time intervals outside which this route is muted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) active_time_intervals: Vec<String>,
    /// Child routes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) routes: Vec<RouteSpec>,
}

/// An inhibit rule: firing alerts matching `source_matchers` mute alerts matching
/// `target_matchers` with equal values of the `equal` labels.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InhibitRuleSpec {
    /// Matchers of the firing alerts that mute.
    #[serde(default)]
    pub(crate) source_matchers: Vec<String>,
    /// Matchers of the alerts muted.
    #[serde(default)]
    pub(crate) target_matchers: Vec<String>,
    /// Labels whose values must be equal in both.
    #[serde(default)]
    pub(crate) equal: Vec<String>,
}

/// A named list of time intervals (UTC; the run starts on a Monday at 00:00).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NamedTimeIntervalSpec {
    /// The name routes refer to.
    pub(crate) name: String,
    /// The intervals.
    pub(crate) time_intervals: Vec<TimeIntervalSpec>,
}

/// Weekdays (`monday`, `saturday:sunday`) and times of day (`HH:MM`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimeIntervalSpec {
    /// Days, e.g. `monday` or `saturday:sunday`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) weekdays: Vec<String>,
    /// Times of day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) times: Vec<TimeRangeSpec>,
}

/// A time-of-day range.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimeRangeSpec {
    /// From `HH:MM`.
    pub(crate) start_time: String,
    /// Until `HH:MM`.
    pub(crate) end_time: String,
}

/// One Prometheus alerting rule (`alert`, `expr`, `for`, `keep_firing_for`, `labels`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertRuleSpec {
    /// The alert name.
    pub alert: String,
    /// PromQL over the series simpark produces (docs/import.md lists them).
    pub expr: String,
    /// How long the condition must hold before the alert fires (Prometheus duration; absent: 0).
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "duration_schema")]
    pub for_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// How long the alert keeps firing after the condition clears (Prometheus duration; absent: 0).
    #[schemars(schema_with = "duration_schema")]
    pub keep_firing_for: Option<String>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    /// Extra labels on the alert.
    pub labels: std::collections::BTreeMap<String, String>,
    /// Where the rule was imported from (`file:line`), named in messages.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) source: String,
}

impl Default for Monitoring {
    fn default() -> Self {
        Monitoring {
            enabled: true,
            // Assumed: a small 4-core virtual or rack server.
            cores: 4,
            memory_base_percent: 35.0,
            memory_per_worker_percent: 3.0,
            disk_capacity_gb: 200.0,
            rules: Vec::new(),
            alertmanager: None,
        }
    }
}

/// The storage pair's failover controller (Pacemaker-style by default).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct StorageFailover {
    /// `pacemaker` (Corosync token 3000 ms, STONITH), `keepalived` (VRRP timers, no fencing)
    /// or `patroni` (ttl 30 s, loop_wait 10 s).
    pub(crate) profile: FailoverProfile,
    /// Override the profile's fencing (STONITH before promotion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fencing: Option<bool>,
    /// `sync` or `async` replication; async loses the replication lag's worth of writes at
    /// each unplanned takeover: a fixed `lag_ms`, or a fresh draw from `lag` at each one.
    pub(crate) replication: Replication,
    /// A fixed replication lag [ms] (async).
    pub(crate) lag_ms: f64,
    /// The replication lag as a distribution (async), sampled at each takeover, e.g.
    /// `{ dist = "exponential", mean_ms = 200 }`; replaces `lag_ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) lag: Option<DistSpec>,
    /// Chance that an unplanned takeover's promotion fails (DRBD refuses an outdated disk,
    /// the database will not start on the standby): the service then stays down until an
    /// operator repairs a node. Availability mode.
    pub(crate) promotion_fail_probability: f64,
}

impl Default for StorageFailover {
    fn default() -> Self {
        StorageFailover {
            profile: FailoverProfile::Pacemaker,
            fencing: None,
            replication: Replication::Sync,
            lag_ms: 100.0,
            lag: None,
            promotion_fail_probability: 0.0,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FailoverProfile {
    Pacemaker,
    Keepalived,
    Patroni,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Replication {
    Sync,
    Async,
}

/// Where requests come from.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Traffic {
    /// `profile`: visitors per month shaped by daily and weekly profiles (a non-homogeneous
    /// Poisson process); `poisson`: a constant `rate_per_s` (benchmarks, queueing checks).
    pub(crate) kind: TrafficKind,
    /// Seed: "enkele honderdduizenden bezoekers per maand" (a few hundred thousand a month).
    pub(crate) visitors_per_month: f64,
    /// HTTP requests a visit makes (pages and their dynamic parts).
    pub(crate) requests_per_visit: f64,
    /// Constant arrival rate [req/s] for `kind = "poisson"`.
    pub rate_per_s: f64,
    /// Relative rate for each hour of the day, 00:00 first (normalised to mean 1).
    pub(crate) hourly_weights: Vec<f64>,
    /// Relative rate for each day of the week, Monday first (normalised to mean 1).
    pub(crate) weekday_weights: Vec<f64>,
    /// Distinct clients; each request carries one, uniformly, for `balance source`.
    pub(crate) clients: u64,
    /// `[[traffic.burst]]`: scripted surges.
    #[serde(rename = "burst", skip_serializing_if = "Vec::is_empty")]
    pub(crate) bursts: Vec<Burst>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TrafficKind {
    Profile,
    Poisson,
}

/// A daily rhythm for a Dutch audience: quiet at night, a lunch bump, an evening peak.
pub(crate) const HOURLY_WEIGHTS_DEFAULT: [f64; 24] = [
    0.35, 0.2, 0.12, 0.08, 0.08, 0.12, 0.3, 0.6, 0.95, 1.2, 1.3, 1.35, 1.45, 1.4, 1.3, 1.25, 1.25, 1.3, 1.4, 1.6, 1.75,
    1.7, 1.2, 0.7,
];
/// Weekdays a little busier than the weekend.
pub(crate) const WEEKDAY_WEIGHTS_DEFAULT: [f64; 7] = [1.08, 1.06, 1.05, 1.04, 1.0, 0.88, 0.89];

impl Default for Traffic {
    fn default() -> Self {
        Traffic {
            kind: TrafficKind::Profile,
            visitors_per_month: 300_000.0,
            requests_per_visit: 12.0,
            rate_per_s: 100.0,
            hourly_weights: HOURLY_WEIGHTS_DEFAULT.to_vec(),
            weekday_weights: WEEKDAY_WEIGHTS_DEFAULT.to_vec(),
            clients: 100_000,
            bursts: Vec::new(),
        }
    }
}

/// A scripted surge: the rate times `multiplier` from `start` for `duration`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Burst {
    /// When the surge starts, from the start of the run.
    #[schemars(schema_with = "duration_schema")]
    pub(crate) start: String,
    /// How long it lasts.
    #[schemars(schema_with = "duration_schema")]
    pub(crate) duration: String,
    /// Rate factor during the surge.
    pub(crate) multiplier: f64,
}

/// What one request needs.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Requests {
    /// Storage reads a page view makes, one after another: a CMS page view reads its
    /// content and a few fragments from the database (3).
    pub(crate) storage_reads: u32,
    /// Share of requests that also write once to storage.
    pub(crate) write_fraction: f64,
    /// Distinct request URIs (`balance uri` hashes them): rank i is the path
    /// `/s<i mod 16>/p<i>.html?v=<i mod 4>` (`model::uri::path`).
    pub(crate) uri_count: u32,
    /// Zipf exponent of URI popularity: rank i is requested in proportion to 1/i^s; 0 =
    /// every URI alike.
    pub(crate) uri_zipf_s: f64,
}

impl Default for Requests {
    fn default() -> Self {
        Requests {
            storage_reads: 3,
            write_fraction: 0.05,
            // Assumed: a site of a thousand pages whose popularity follows Zipf's law with
            // s = 1 (web request popularity is Zipf-like with s near 1, Breslau et al. 1999).
            uri_count: 1000,
            uri_zipf_s: 1.0,
        }
    }
}

/// HAProxy 2.6 frontend/backend settings; every default is HAProxy's own unless noted.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Balancer {
    /// `balance` algorithm. HAProxy 2.6 default: roundrobin (3.3 changed it to random). Seed:
    /// "de loadbalancer verdeelt het internetverkeer gelijkmatig over alle webservers".
    pub(crate) algorithm: AlgorithmName,
    /// `balance random(<draws>)`; 2 is power-of-two-choices. HAProxy default 2.
    pub(crate) draws: u32,
    /// `balance uri whole`: hash the query string too.
    pub(crate) uri_whole: bool,
    /// `balance uri len <n>`: hash only the URI's first n characters; 0 = all.
    pub(crate) uri_len: u32,
    /// `balance uri depth <n>`: hash only the first n directories; 0 = all.
    pub(crate) uri_depth: u32,
    /// Per-server `maxconn`; 0 = unlimited (HAProxy default).
    pub(crate) maxconn: u32,
    /// Per-server `maxconn` where servers differ, web1 first; empty = `maxconn` on every
    /// server.
    pub(crate) maxconns: Vec<u32>,
    /// Hard bound on the backend queue (simpark limit; HAProxy's is memory).
    pub(crate) queue_max: u32,
    /// `timeout queue` [ms]; HAProxy uses `timeout connect` when unset (0 here).
    pub(crate) timeout_queue_ms: f64,
    /// `timeout connect` [ms]. HAProxy's sample configuration uses 5000.
    pub(crate) timeout_connect_ms: f64,
    /// `timeout server` [ms]. Debian's haproxy.cfg uses 50000.
    pub(crate) timeout_server_ms: f64,
    /// `retries`, HAProxy default 3.
    pub(crate) retries: u32,
    /// `option redispatch <interval>`: 0 = off (no `option redispatch`); -1 = on the last
    /// retry (the option's default interval); P > 0 = every P-th retry; -N = the N-th retry
    /// before the last.
    pub(crate) redispatch: i32,
    /// `option allbackup`: use all backup servers, not only the first, when actives are down.
    pub(crate) allbackup: bool,
    /// Per-server `weight`, web1 first; empty = all 1 (HAProxy default).
    pub(crate) weights: Vec<u32>,
    /// How many of the web servers (the last ones) are `backup` servers.
    pub(crate) backup_servers: u32,
    /// Server `slowstart` [ms] on every server line; 0 = off (HAProxy default). After a server
    /// comes UP (or leaves maintenance) its weight grows from 1/16, one step per second;
    /// roundrobin, leastconn, first and random only (request mode).
    pub(crate) slowstart_ms: f64,
    /// Per-server `slowstart` [ms] where servers differ, web1 first; empty = `slowstart_ms`
    /// on every server.
    pub(crate) slowstarts_ms: Vec<f64>,
    /// Per-server `id`, web1 first; empty = automatic (1, 2, ...). Orders `balance first`
    /// and places servers on the `random` ring.
    pub(crate) ids: Vec<u32>,
    /// Web servers whose line says `disabled` (start in maintenance), e.g. `["web3"]`
    /// (request mode).
    pub(crate) disabled: Vec<String>,
    /// A second balancer (`lb2`) sharing the site's address by VRRP (keepalived): `lb1` is
    /// master at priority 200, `lb2` backup at 100 (RFC 5798 default), preemption on.
    pub(crate) pair: bool,
    /// VRRP advertisement interval [ms] (RFC 5798 default 1 s; a multiple of 10 ms).
    pub(crate) vrrp_advert_ms: f64,
    /// VRRP priority of `lb1`, the preferred master (keepalived `priority`), 1..=255.
    pub(crate) vrrp_priority_lb1: u32,
    /// VRRP priority of `lb2`, 1..=254 and below lb1's: it sets lb2's Skew_Time, part of its
    /// takeover time ((256 - priority) / 256 advertisement intervals, RFC 5798).
    pub(crate) vrrp_priority_lb2: u32,
    /// Preemption (RFC 5798 Preempt_Mode): a repaired (or patched) lb1 takes the address back
    /// from lb2. `false` is keepalived's `nopreempt` (which needs `state BACKUP`): lb2 keeps
    /// the address until it fails or is patched, so its failures are the visible ones.
    pub(crate) vrrp_preempt: bool,
    /// keepalived's `preempt_delay` [ms], 0..=1,000,000 (0-1000 s): a returning lb1 accepts
    /// lb2's advertisements this long before it preempts; 0 = at once.
    pub(crate) vrrp_preempt_delay_ms: f64,
    /// keepalived's `vrrp_script`, tracked by both instances (`track_script`): what moves the
    /// address away from a balancer whose host is up but whose HAProxy is not.
    pub(crate) vrrp_track: VrrpTrack,
    pub(crate) check: Check,
}

/// A `vrrp_script` tracked by the balancer pair (availability mode). Only a dead host stops
/// VRRP advertisements; a dead or hung HAProxy keeps the address where it is unless a
/// script sees it and its failure moves the address.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct VrrpTrack {
    /// What the script sees: `none` (no script, keepalived's default: a dead or hung HAProxy
    /// keeps the address until it is repaired), `process` (`killall -0 haproxy`, `pidof`: a
    /// dead process; a hang passes), `http` (a request to HAProxy: dead or hung).
    pub(crate) detects: TrackDetects,
    /// The script's `interval` [ms] (keepalived default 1 s); runs on a grid from t = 0.
    pub(crate) interval_ms: f64,
    /// `fall`: failing runs before the script counts as failed (keepalived default 1).
    pub(crate) fall: u32,
    /// `rise`: passing runs, after a repair, before it counts as passing again (default 1).
    pub(crate) rise: u32,
    /// `weight`: 0 (keepalived's default) puts a failing instance in FAULT: it resigns the
    /// address at once (a priority-0 advertisement). Otherwise the priority moves by
    /// `|weight|` (a negative weight is subtracted while failing, a positive one added while
    /// passing; `vrrp_priority_lb1|lb2` are the priorities while passing): the address moves
    /// only if lb1's falls below lb2's and lb2 preempts. -253..=253.
    pub(crate) weight: i32,
}

impl Default for VrrpTrack {
    fn default() -> Self {
        VrrpTrack {
            detects: TrackDetects::None,
            interval_ms: 1000.0,
            fall: 1,
            rise: 1,
            weight: 0,
        }
    }
}

/// What a `vrrp_script` sees of HAProxy on its balancer.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TrackDetects {
    /// No script.
    None,
    /// The process is gone.
    Process,
    /// HAProxy does not answer (dead or hung).
    Http,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum AlgorithmName {
    Roundrobin,
    StaticRr,
    Leastconn,
    First,
    Source,
    Uri,
    Random,
}

impl Default for Balancer {
    fn default() -> Self {
        Balancer {
            algorithm: AlgorithmName::Roundrobin,
            draws: balancer::DEFAULT_RANDOM_DRAWS,
            uri_whole: false,
            uri_len: 0,
            uri_depth: 0,
            maxconn: 0,
            maxconns: Vec::new(),
            queue_max: 10_000,
            timeout_queue_ms: 0.0,
            timeout_connect_ms: 5_000.0,
            timeout_server_ms: 50_000.0,
            retries: balancer::DEFAULT_RETRIES,
            redispatch: balancer::DEFAULT_REDISPATCH_INTERVAL,
            allbackup: false,
            weights: Vec::new(),
            backup_servers: 0,
            slowstart_ms: 0.0,
            slowstarts_ms: Vec::new(),
            ids: Vec::new(),
            disabled: Vec::new(),
            pair: false,
            vrrp_advert_ms: f64::from(vrrp::DEFAULT_ADVERT_INTERVAL_CS) * 10.0,
            vrrp_priority_lb1: 200,
            vrrp_priority_lb2: 100,
            vrrp_preempt: true,
            vrrp_preempt_delay_ms: 0.0,
            vrrp_track: VrrpTrack::default(),
            check: Check::default(),
        }
    }
}

/// Health checks (`check` on each server line).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Check {
    /// Whether servers are checked at all (`check`).
    pub(crate) enabled: bool,
    /// `inter` [ms], HAProxy default 2000.
    pub(crate) inter_ms: f64,
    /// `fastinter` [ms]; 0 = same as inter (HAProxy default).
    pub(crate) fastinter_ms: f64,
    /// `downinter` [ms]; 0 = same as inter (HAProxy default).
    pub(crate) downinter_ms: f64,
    /// `rise`, HAProxy default 2.
    pub(crate) rise: u32,
    /// `fall`, HAProxy default 3.
    pub(crate) fall: u32,
    /// `timeout check` [ms]; 0 = unset (HAProxy then bounds a check by `inter`).
    pub(crate) timeout_check_ms: f64,
    /// `observe`: `none` (HAProxy default) or `layer4`: real traffic's failed connections
    /// count too (request mode).
    pub(crate) observe: ObserveName,
    /// `error-limit`: consecutive failed connections before `on_error`; HAProxy default 10.
    pub(crate) error_limit: u32,
    /// `on-error`: `fastinter`, `fail-check` (HAProxy default), `sudden-death`, `mark-down`.
    pub(crate) on_error: OnErrorName,
    /// Per-server settings where a server's line differs from the values above, by server
    /// name (`web1` ..= `webN` of `web.count`), e.g. `[balancer.check.servers.web3]` with
    /// `inter_ms = 5000`. A key left out keeps the value above; `timeout_check_ms` is the
    /// backend's and has no per-server value.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) servers: BTreeMap<String, CheckOverride>,
}

/// One server's health-check settings where they differ from `[balancer.check]` (its own
/// `server` line); every key is optional.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckOverride {
    /// Whether this server is checked (`check` on its line); `false`: never checked, so
    /// always considered UP, even when it is dead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) enabled: Option<bool>,
    /// `inter` [ms].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) inter_ms: Option<f64>,
    /// `fastinter` [ms]; 0 = same as this server's inter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) fastinter_ms: Option<f64>,
    /// `downinter` [ms]; 0 = same as this server's inter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) downinter_ms: Option<f64>,
    /// `rise`: consecutive passed checks to go UP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rise: Option<u32>,
    /// `fall`: consecutive failed checks to go DOWN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) fall: Option<u32>,
    /// `observe`: `none` or `layer4` (request mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) observe: Option<ObserveName>,
    /// `error-limit`: consecutive failed connections before `on_error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error_limit: Option<u32>,
    /// `on-error`: `fastinter`, `fail-check`, `sudden-death`, `mark-down`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) on_error: Option<OnErrorName>,
}

impl Check {
    /// The settings of server `name` (`web1`, ...): these, with its override if it has one.
    pub(crate) fn of_server(&self, name: &str) -> Check {
        let Some(o) = self.servers.get(name) else {
            return Check {
                servers: BTreeMap::new(),
                ..self.clone()
            };
        };
        Check {
            enabled: o.enabled.unwrap_or(self.enabled),
            inter_ms: o.inter_ms.unwrap_or(self.inter_ms),
            fastinter_ms: o.fastinter_ms.unwrap_or(self.fastinter_ms),
            downinter_ms: o.downinter_ms.unwrap_or(self.downinter_ms),
            rise: o.rise.unwrap_or(self.rise),
            fall: o.fall.unwrap_or(self.fall),
            timeout_check_ms: self.timeout_check_ms,
            observe: o.observe.unwrap_or(self.observe),
            error_limit: o.error_limit.unwrap_or(self.error_limit),
            on_error: o.on_error.unwrap_or(self.on_error),
            servers: BTreeMap::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ObserveName {
    None,
    Layer4,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum OnErrorName {
    Fastinter,
    FailCheck,
    SuddenDeath,
    MarkDown,
}

impl Default for Check {
    fn default() -> Self {
        Check {
            enabled: true,
            inter_ms: health::DEFAULT_INTER.as_millis_f64(),
            fastinter_ms: 0.0,
            downinter_ms: 0.0,
            rise: health::DEFAULT_RISE,
            fall: health::DEFAULT_FALL,
            timeout_check_ms: 0.0,
            observe: ObserveName::None,
            error_limit: health::DEFAULT_ERROR_LIMIT,
            on_error: OnErrorName::FailCheck,
            servers: BTreeMap::new(),
        }
    }
}

/// A duration distribution, by name and parameters.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct DistSpec {
    /// `exponential`, `deterministic`, `lognormal` or `empirical`.
    pub(crate) dist: DistKind,
    /// Mean (all but empirical), in exactly one of ms, s, min or h.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) mean_ms: Option<f64>,
    /// Mean [s] (instead of `mean_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) mean_s: Option<f64>,
    /// Mean [min] (instead of `mean_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) mean_min: Option<f64>,
    /// Mean [h] (instead of `mean_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) mean_h: Option<f64>,
    /// Shape k (weibull): k < 1 infant mortality, k = 1 exponential, k > 1 wear-out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) shape: Option<f64>,
    /// Coefficient of variation (lognormal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cv: Option<f64>,
    /// Table values [ms] (empirical).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) values_ms: Option<Vec<f64>>,
    /// Table weights (empirical), one per value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) weights: Option<Vec<f64>>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DistKind {
    Exponential,
    Deterministic,
    Lognormal,
    Empirical,
    Weibull,
}

impl DistSpec {
    /// No parameters set (a base for struct update syntax).
    pub(crate) const fn none() -> Self {
        DistSpec {
            dist: DistKind::Exponential,
            mean_ms: None,
            mean_s: None,
            mean_min: None,
            mean_h: None,
            shape: None,
            cv: None,
            values_ms: None,
            weights: None,
        }
    }
    pub(crate) fn exponential(mean_ms: f64) -> Self {
        DistSpec {
            dist: DistKind::Exponential,
            mean_ms: Some(mean_ms),
            ..DistSpec::none()
        }
    }
    pub(crate) fn deterministic(mean_ms: f64) -> Self {
        DistSpec {
            dist: DistKind::Deterministic,
            ..Self::exponential(mean_ms)
        }
    }
    pub(crate) fn lognormal(mean_ms: f64, cv: f64) -> Self {
        DistSpec {
            dist: DistKind::Lognormal,
            cv: Some(cv),
            ..Self::exponential(mean_ms)
        }
    }
}

/// The web tier: `count` identical servers behind the balancer.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Web {
    /// Seed: "webserver 1, 2 en 3".
    pub(crate) count: u32,
    /// Concurrent requests a server works on (worker processes).
    pub(crate) workers: u32,
    /// Accept queue bound; a request arriving to a full queue is refused (HTTP 503).
    pub(crate) queue_max: u32,
    /// CPU time of one request, without its storage calls.
    pub(crate) service: DistSpec,
}

impl Default for Web {
    fn default() -> Self {
        Web {
            count: 3,
            workers: 16,
            queue_max: 1024,
            service: DistSpec::lognormal(25.0, 1.0),
        }
    }
}

/// The storage tier: a primary (`store1`) and replicas; requests use the primary.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Storage {
    /// Seed: data storage servers are "dubbel uitgevoerd" (duplicated): 2.
    pub(crate) count: u32,
    /// Concurrent requests a node works on.
    pub(crate) workers: u32,
    /// Queue bound; a request arriving to a full queue fails.
    pub(crate) queue_max: u32,
    pub(crate) read: DistSpec,
    pub(crate) write: DistSpec,
    /// Storage node j is the database on web server j (a standby pair: each server holds its
    /// site and a replicated copy of its database). It fails and is repaired with its server
    /// (crash and hang), has no failures or disks of its own, and is patched with it.
    /// Availability mode; needs as many storage nodes as web servers.
    pub(crate) colocated: bool,
}

impl Default for Storage {
    fn default() -> Self {
        Storage {
            count: 2,
            workers: 32,
            queue_max: 4096,
            read: DistSpec::lognormal(2.0, 1.0),
            write: DistSpec::lognormal(6.0, 1.0),
            colocated: false,
        }
    }
}

/// Planned maintenance (both modes): every `every`, starting `window_start_h` after local
/// midnight (the wall clock of `timezone`), the servers are patched one at a time in `order`;
/// each `[[maintenance.cadence]]` adds a cadence of its own (e.g. weekly deploys beside monthly
/// kernel updates). One roll runs at a time (`policy::maintenance`). lb1 puts a web server in
/// `drain` (no new requests), after `drain` in `maint` (out of rotation, checks stopped), after
/// `duration_per_server` back to `ready`, from where it returns through `rise` passing checks
/// (and `slowstart`, if set), as HAProxy's runtime API `set server <b>/<s> state ...` does.
/// The next server waits `wait_between_servers` after the previous one is back in rotation.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Maintenance {
    /// `true`: rolling maintenance on the cadence below.
    pub(crate) enabled: bool,
    /// Cadence, e.g. "30d" (monthly kernel updates) or "7d" (weekly deploys).
    #[schemars(schema_with = "duration_schema")]
    pub(crate) every: String,
    /// When the window opens [h after local midnight in `timezone`]. A cadence of whole days
    /// keeps this wall-clock hour across DST changes; a shorter one repeats every `every` from
    /// its first window.
    pub(crate) window_start_h: f64,
    /// What this cadence does to each server (`kernel` by default).
    pub(crate) kind: MaintenanceKind,
    /// Time a server is out for its update (reboot included), e.g. "15m".
    #[schemars(schema_with = "duration_schema")]
    pub(crate) duration_per_server: String,
    /// Time in `drain` before `maint`, for requests in progress to finish.
    #[schemars(schema_with = "duration_schema")]
    pub(crate) drain: String,
    /// Pause after a server is back in rotation before the next one goes.
    #[schemars(schema_with = "duration_schema")]
    pub(crate) wait_between_servers: String,
    /// The customer's contract: `count` planned maintenance as downtime, or `exclude` it
    /// (announced windows do not count). Either way it is reported apart, by cause.
    pub(crate) contract: MaintenanceContract,
    /// Servers in rolling order, e.g. ["web3", "web1", "lb1"]; empty: every web server, web1
    /// first, then the balancers (lb2 before lb1). A balancer hands the VRRP address to its
    /// peer on purpose; a lone lb1 takes the site down while it is patched.
    pub(crate) order: Vec<String>,
    /// Scripted windows (`[[maintenance.window]]`), whether or not the cadence is `enabled`;
    /// each takes its servers through the same steps, with this table's `drain` and
    /// `wait_between_servers`.
    #[serde(rename = "window", skip_serializing_if = "Vec::is_empty")]
    pub(crate) windows: Vec<MaintenanceWindow>,
    /// More cadences (`[[maintenance.cadence]]`), on while `enabled`, beside the one above.
    #[serde(rename = "cadence", skip_serializing_if = "Vec::is_empty")]
    pub(crate) cadences: Vec<MaintenanceCadence>,
}

/// One more cadence (`[[maintenance.cadence]]`): every `every`, at `window_start_h` local
/// time, `targets` are patched one at a time with this table's `drain` and
/// `wait_between_servers`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct MaintenanceCadence {
    /// e.g. "7d" (weekly deploys).
    #[schemars(schema_with = "duration_schema")]
    pub(crate) every: String,
    /// What is done to each server (see `[[maintenance.window]] kind`).
    pub(crate) kind: MaintenanceKind,
    /// [h after local midnight]; absent: `maintenance.window_start_h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) window_start_h: Option<f64>,
    /// Time each server is out; absent: `maintenance.duration_per_server`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "duration_schema")]
    pub(crate) duration_per_server: Option<String>,
    /// Servers in rolling order; absent: every server the kind applies to, in the default
    /// order (`deploy`: the web servers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) targets: Vec<String>,
}

/// One `[[capacity]]` rule: in the hours it covers, lb1 keeps only `web_in_rotation` web
/// servers in rotation; the highest-numbered go out (`drain`, then `maint`) and come back
/// (`ready`) when the hours end. Planned capacity: it pages nobody and is neither downtime nor
/// maintenance.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Capacity {
    /// Local hours of the scenario clock, "FROM-TO" in whole hours 0..24: "22-07" is 22:00
    /// up to 07:00 the next morning; or a list, e.g. ["00-06", "13-14"].
    #[serde(deserialize_with = "one_or_many")]
    #[schemars(schema_with = "hours_schema")]
    pub(crate) hours: Vec<String>,
    /// Days the hours start on, e.g. ["sat", "sun"] (mon, tue, wed, thu, fri, sat, sun);
    /// absent: every day. A range across midnight runs on into the next day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) weekdays: Vec<String>,
    /// Web servers left in rotation meanwhile: at least 1, fewer than `web.count`.
    pub(crate) web_in_rotation: u32,
}

/// A string, or a list of strings (`hours = "22-07"` or `hours = ["22-24", "00-07"]`).
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    match OneOrMany::deserialize(d) {
        Ok(OneOrMany::One(s)) => Ok(vec![s]),
        Ok(OneOrMany::Many(v)) => Ok(v),
        Err(_) => Err(serde::de::Error::custom(
            "expected a range of local hours such as \"22-07\", or a list of them such as [\"00-06\", \"22-24\"]",
        )),
    }
}

/// One scripted maintenance window: at `at`, `targets` are patched one at a time.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct MaintenanceWindow {
    /// When it opens, from the start of the run, e.g. "2d3h".
    #[schemars(schema_with = "duration_schema")]
    pub(crate) at: String,
    /// What is done: `kernel` (a kernel update and reboot), `deploy` (an application deploy:
    /// the web process restarts), `hardware` (a hardware swap: the host is off),
    /// `storage_switchover` (a storage node's planned switchover and restart) or `lb_handover`
    /// (a balancer hands the VRRP address to its peer and is patched).
    pub(crate) kind: MaintenanceKind,
    /// Servers in rolling order, e.g. ["web1", "web2", "web3"].
    pub(crate) targets: Vec<String>,
    /// Time each server is out; absent: `maintenance.duration_per_server`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "duration_schema")]
    pub(crate) duration: Option<String>,
}

/// What a scripted maintenance window does (`[[maintenance.window]] kind`).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MaintenanceKind {
    Kernel,
    Deploy,
    Hardware,
    StorageSwitchover,
    LbHandover,
}

/// Whether planned maintenance counts as downtime (`--maintenance count|exclude`).
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MaintenanceContract {
    #[default]
    Count,
    Exclude,
}

impl Maintenance {
    pub(crate) fn is_off(&self) -> bool {
        !self.enabled && self.windows.is_empty()
    }
}

impl Default for Maintenance {
    fn default() -> Self {
        Maintenance {
            enabled: false,
            // Monthly kernel updates, at 03:00 when traffic is lowest.
            every: "30d".into(),
            window_start_h: 3.0,
            kind: MaintenanceKind::Kernel,
            duration_per_server: "15m".into(),
            drain: "60s".into(),
            wait_between_servers: "5m".into(),
            contract: MaintenanceContract::Count,
            order: Vec::new(),
            windows: Vec::new(),
            cadences: Vec::new(),
        }
    }
}

/// The backup server (`backup1`) and the daily backup (availability mode).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Backup {
    /// Seed: "elke dag een backup op een aparte server (de backup server)".
    pub enabled: bool,
    /// When the nightly backup starts [h after midnight]; 02:00 is a common quiet slot.
    pub(crate) time_of_day_h: f64,
    /// Transfer rate of backups and restores [MB/s] (about a saturated 1 Gbit/s link).
    pub(crate) bandwidth_mb_per_s: f64,
    /// Data at the start [GB] and its growth from writes [GB/day].
    pub(crate) data_gb: f64,
    /// Data growth from writes [GB/day].
    pub(crate) growth_gb_per_day: f64,
    /// A backup run fails outright (no snapshot).
    pub(crate) fail_probability: f64,
    /// A snapshot is silently corrupt (found only when a restore reads it).
    pub(crate) corrupt_probability: f64,
    /// Retention, as restic `forget --keep-daily/--keep-weekly/--keep-monthly/--keep-yearly`
    /// (the example policy in restic's documentation: 7, 5, 12, 75). Seed: "over langere
    /// tijd bewaard".
    pub(crate) keep_daily: u32,
    /// Weekly snapshots kept.
    pub(crate) keep_weekly: u32,
    /// Monthly snapshots kept.
    pub(crate) keep_monthly: u32,
    /// Yearly snapshots kept.
    pub(crate) keep_yearly: u32,
    /// Human errors that delete data ("verloren gegane data door menselijke fout") [per year].
    pub(crate) human_errors_per_year: f64,
    /// Time until someone notices the deletion and asks for a restore.
    pub(crate) notice: DistSpec,
    /// Share of the site's requests that fail from a deletion until its restore is done (a
    /// deleted upload directory or table breaks the pages that need it), charged to human
    /// error; 0 = a deletion nobody's requests touch. 0..=1.
    pub(crate) human_error_failed_share: f64,
}

impl Default for Backup {
    fn default() -> Self {
        Backup {
            enabled: true,
            time_of_day_h: 2.0,
            bandwidth_mb_per_s: 100.0,
            data_gb: 50.0,
            growth_gb_per_day: 0.05,
            fail_probability: 0.01,
            corrupt_probability: 0.002,
            keep_daily: 7,
            keep_weekly: 5,
            keep_monthly: 12,
            keep_yearly: 75,
            human_errors_per_year: 2.0,
            notice: DistSpec {
                dist: DistKind::Lognormal,
                mean_h: Some(24.0),
                cv: Some(1.0),
                ..DistSpec::none()
            },
            human_error_failed_share: 0.0,
        }
    }
}

/// One-way latencies of each tier's links.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Network {
    /// Clients to the balancer (the internet).
    pub(crate) client_lb: DistSpec,
    /// Balancer to each web server (same rack).
    pub(crate) lb_web: DistSpec,
    /// Web server to storage.
    pub(crate) web_storage: DistSpec,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            client_lb: DistSpec::lognormal(15.0, 0.5),
            lb_web: DistSpec::deterministic(0.1),
            web_storage: DistSpec::deterministic(0.1),
        }
    }
}

/// Override or remove one link of the generated topology.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Link {
    /// One end of the link: a node name (`lb1`, `web2`, `store1`, ...).
    pub(crate) from: String,
    /// The other end.
    pub(crate) to: String,
    /// `false` removes the link (e.g. a web server cabled to no storage).
    #[serde(default = "yes")]
    pub(crate) enabled: bool,
    /// Replaces the tier's latency on this link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) latency: Option<DistSpec>,
}

fn yes() -> bool {
    true
}

/// A scripted fault: at `at`, `target` changes state.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// When, from the start of the run, before the horizon, e.g. "2h30m".
    #[schemars(schema_with = "duration_schema")]
    pub(crate) at: String,
    /// A node name: `web2`, `store1`, ...
    pub target: String,
    /// What happens to `target`.
    pub kind: FaultKind,
    /// Service-time factor for `slow`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) factor: Option<f64>,
    /// The other end of a `partition` / `heal`: a neighbour of `target` (lb1 <-> a web
    /// server, a web server <-> a storage node, storage node <-> storage node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) peer: Option<String>,
    /// `both` (default: a link failure) or `one_way` (packets from `target` to `peer` are
    /// dropped, the other direction still flows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) direction: Option<Direction>,
}

/// Which packets a partition drops.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Direction {
    Both,
    OneWay,
}

/// What a `[[fault]]` does; it lives with the failure vocabulary of both drivers.
pub use crate::model::failure::FaultKind;

/// The JSON Schema (draft 2020-12) of a scenario file converted to JSON, as `simpark schema`
/// prints it: generated from these types (doc comments become descriptions, defaults are
/// the built-in park's), so it cannot drift from what a scenario file may say. It checks keys
/// and types; value ranges and cross-references are `validate`'s (`simpark validate`).
pub fn json_schema() -> String {
    let mut schema = schemars::generate::SchemaSettings::draft2020_12()
        .with_transform(schemars::transform::RecursiveTransform(never_null))
        .into_generator()
        .into_root_schema_for::<Scenario>();
    schema.insert("title".into(), "simpark scenario file".into());
    schema.insert(
        "description".into(),
        "A simpark scenario (TOML; this schema describes it converted to JSON). Every key has a default: the built-in park (scenarios/xpos.toml). `simpark validate` checks values and references beyond this schema.".into(),
    );
    let mut text = serde_json::to_string_pretty(&schema).expect("a JSON value serialises");
    text.push('\n');
    text
}

/// An optional key is left out of a TOML file, never `null` (TOML has none): `Option<T>`'s
/// `["number", "null"]` or `anyOf [T, null]` becomes plain T.
fn never_null(schema: &mut schemars::Schema) {
    use serde_json::Value;
    let Some(obj) = schema.as_object_mut() else { return };
    if let Some(Value::Array(types)) = obj.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            obj.insert("type".into(), only);
        }
    }
    let null = serde_json::json!({ "type": "null" });
    if let Some(Value::Array(any)) = obj.get("anyOf")
        && any.len() == 2
        && any[1] == null
        && let Value::Object(first) = any[0].clone()
    {
        obj.remove("anyOf");
        obj.extend(first);
    }
}

/// What `units::parse_duration` reads, as a JSON Schema pattern: one or more parts of a
/// number and a unit (`7d`, `20h30m`, `1d 12h`, `1.5s`), spaces allowed around each.
pub(crate) const DURATION_PATTERN: &str =
    r"^\s*(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(?:ns|us|ms|s|min|m|h|d|w|y)\s*)+$";

/// The JSON Schema of a duration string (the field's doc comment adds its meaning).
/// `[[capacity]] hours`: one "FROM-TO" range of whole local hours, or a list of them.
fn hours_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let range = serde_json::json!({ "type": "string", "pattern": "^([01]?[0-9]|2[0-4])-([01]?[0-9]|2[0-4])$" });
    schemars::json_schema!({
        "oneOf": [range, { "type": "array", "items": range, "minItems": 1 }],
        "examples": ["22-07", ["00-06", "13-14"]],
    })
}

fn duration_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "pattern": DURATION_PATTERN,
        "examples": ["7d", "90m", "20h30m", "250ms"],
    })
}

/// `extends` is read before the file is deserialised (`extends.rs`), so it is no field of
/// [`Scenario`]; the schema lists it all the same, or an editor would flag every what-if file.
fn extends_key(schema: &mut schemars::Schema) {
    if let Some(properties) = schema.get_mut("properties").and_then(serde_json::Value::as_object_mut) {
        properties.insert(
            "extends".into(),
            serde_json::json!({
                "description": "The scenario this one starts from: \"xpos\" (the built-in park) or a scenario file path relative to this file; this file states only what it changes. One level only.",
                "type": "string",
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{DEFAULT_SCENARIO_TOML, default_model, load, to_toml};

    /// The built-in defaults are the seed's park, kept in one place: `scenarios/xpos.toml`
    /// (the file and the embedded copy) states only its name and description, and resolves to
    /// exactly `Scenario::default()` with those two.
    #[test]
    fn defaults_are_the_seed_park() {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/xpos.toml");
        let park = load(&file, &[]).unwrap();
        let embedded = default_model(&[]).unwrap();
        assert_eq!(to_toml(&park.spec), to_toml(&embedded.spec));
        let defaults = Scenario {
            name: park.spec.name.clone(),
            description: park.spec.description.clone(),
            ..Scenario::default()
        };
        assert_eq!(to_toml(&defaults), to_toml(&park.spec));
        // No second copy of any value: the park file names itself and nothing else.
        let keys: Vec<String> = toml::from_str::<toml::Table>(DEFAULT_SCENARIO_TOML)
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["description", "name"]);
        // The values issue 13 found apart (storage reads, the SLO) are the park's.
        assert_eq!(Scenario::default().requests.storage_reads, 3);
        assert_eq!(Scenario::default().slo.latency_ms_p99_max, Some(500.0));
        assert_eq!(Scenario::default().slo.availability_min, Some(0.999));
    }
}
