//! The long-horizon availability mode: years of failures, detection, failover and repair.
//!
//! Between failures nothing interesting happens, so nothing is simulated there: traffic is
//! accounted in aggregate (offered load x time x the share that fails in the current state),
//! and steady health checks and heartbeats are skipped by computing their phase. Every
//! transition runs through the same policy code as the request-level mode: lb1's
//! `HealthChecker` is stepped exactly through each detection window and recovery, the storage
//! pair's `FailoverController` through each takeover, and the time to page on-call is decided by
//! the `Alerting` state machine (Prometheus rule `up == 0 for 5m`, Alertmanager `group_wait`; or
//! the scenario's imported rules and Alertmanager tree, `alerts`).
//!
//! One `AvailWorld` is one replication; it never reads a clock or spawns a thread. The driver's
//! seams are files: `swarm` (swarm draws), `backups` (backups and restores), `checks` (lb1's
//! health checks and the VRRP pair), `storage` (the failover pair), `disks` (RAID-1),
//! `accounting` (failing share, downtime by cause, incidents), `alerts` (paging),
//! `maintenance` (planned rolling maintenance through lb1's admin states), `cause` (the
//! causes downtime is charged to).

mod accounting;
mod alerts;
mod backups;
mod cause;
mod checks;
mod disks;
mod maintenance;
mod storage;
mod swarm;

use alerts::Pager;
pub(crate) use alerts::{Episode, HIGH_LOAD, INSTANCE_DOWN, SMART_WARNING, Watch};
use alerts::{RAID, RAID_DEGRADED};
pub use cause::{Cause, IncidentCause};
use disks::frailty;
pub(crate) use swarm::Swarm;

use super::engine::EventQueue;
use super::rng::{Seeds, StreamRng};
use crate::model::traffic::offered_between;
use crate::policy::alerting::{Alerting, AlertingConfig, Metric, NotificationStatus, default_rules};
use crate::policy::backup::{Action as BackupAction, BackupController, BackupId, BackupOutcome, RestorePlan};
use crate::policy::balancer::Backend;
use crate::policy::failover::{Action as FoAction, FailoverController, Role};
use crate::policy::health::{HealthChecker, ProbeOutcome, Transition};
use crate::policy::vrrp::{Action as VrrpAction, VrrpConfig, VrrpRouter};
use crate::scenario::{ClassModel, FaultKind, Model, ScriptedFault, TrafficModel};
use crate::units::{SimDuration, SimTime};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Marks a `Noticed` disk job as a SMART-driven swap.
const SMART_FLAG: u8 = 0x80;

/// Bound on the steps of one policy-machine episode (a detection window, a takeover): far
/// beyond any real one, so hitting it is a bug, not a long outage.
const EPISODE_STEPS_MAX: usize = 10_000_000;
/// Incidents listed per replication in the results.
pub(crate) const INCIDENTS_MAX: usize = 1000;

pub(crate) use crate::model::failure::Failure;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Lb,
    Web(usize),
    Storage(usize),
    Backup,
}

struct Comp {
    kind: Kind,
    name: String,
    up: bool,
    mode: Failure,
    /// The failure is visible to health checks / the failover controller.
    covered: bool,
    /// Bumped on every failure and repair: scheduled events of an older epoch are void.
    epoch: u32,
    /// lb1 routes to it (web servers only).
    in_lb: bool,
    /// A known instant at which a steady check starts, and the steady check period.
    check_anchor: SimTime,
    checker: Option<HealthChecker>,
    ttf: StreamRng,
    repair: StreamRng,
    disks: [DiskState; 2],
    disk_rng: StreamRng,
    /// Ties a scheduled disk failure to the draw that made it: a re-draw voids the old one.
    disk_draw: [u32; 2],
    /// Array generation: bumped when the array is lost and rebuilt from scratch.
    array_epoch: u32,
    /// Each disk's batch hazard multiplier (1 without batch correlation).
    frailty: [f64; 2],
    /// The current failure went into the fault log (so its repair does too).
    logged: bool,
    /// Requests charged as failed to this slowed server's overload in the current episode.
    overload_failed: f64,
    /// In planned maintenance: from `drain` until lb1's checks mark it UP again.
    maint: bool,
    /// The current failure's alert episode: when it failed, what the alerts watch, and when
    /// `Pager::page` paged (`None`: never; run through whole at the repair, for the paging
    /// figures).
    alerting: Option<(SimTime, Watch, Option<SimTime>)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DiskState {
    Ok,
    /// Failed, waiting for replacement.
    Failed,
    /// Replaced, being rebuilt from its partner.
    Rebuilding,
}

#[derive(Clone, Copy, Debug)]
enum Job {
    Repair(u32),
    ReplaceDisk(u32, u8),
    /// Swap a disk that raised a SMART warning before it fails.
    ReplaceWarnedDisk(u32, u8),
}

#[derive(Clone, Copy, Debug)]
enum Ev {
    /// A disk raises a SMART warning ahead of the failure drawn as `draw`.
    SmartWarning {
        comp: u32,
        disk: u8,
        draw: u32,
    },
    /// The backup scheduler's timer.
    BackupTimer,
    /// A backup run ends; `epoch` is the backup server's at the start (a failure voids it).
    BackupDone {
        id: u64,
        outcome: u8,
        epoch: u32,
    },
    /// Someone deletes data by mistake.
    HumanError,
    /// The deletion at `error_at_ns` is noticed: restore.
    RestoreRequested {
        error_at_ns: u64,
    },
    /// The current restore attempt ends.
    RestoreAttemptDone,
    /// A balancer became VRRP master.
    LbMaster {
        comp: u32,
        epoch: u32,
    },
    /// The pair's tracked `vrrp_script` has failed `fall` times on balancer `comp`.
    LbTracked {
        comp: u32,
        epoch: u32,
    },
    Fail {
        comp: u32,
        epoch: u32,
    },
    Noticed {
        job_comp: u32,
        epoch: u32,
        disk: u8,
    },
    JobDone {
        job: u32,
    },
    LbDown {
        comp: u32,
        epoch: u32,
    },
    LbUp {
        comp: u32,
        epoch: u32,
    },
    DiskFail {
        comp: u32,
        disk: u8,
        array_epoch: u32,
        draw: u32,
    },
    RebuildDone {
        comp: u32,
        disk: u8,
        array_epoch: u32,
    },
    StorageRestored {
        epoch: u32,
    },
    /// A step of planned maintenance of the server at `pos` in roll `roll`'s order (0: the
    /// cadence, `i + 1`: scripted window `i`).
    Maintenance {
        roll: u32,
        pos: u32,
        phase: maintenance::Phase,
    },
}

/// One incident: the site (or part of its traffic) failed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Incident {
    /// When it began [h since the start].
    pub start_h: f64,
    /// When it ended [h since the start].
    pub end_h: f64,
    /// What the incident is charged to (the cause when it began).
    pub cause_class: Cause,
    /// The state of the park when it began.
    pub(crate) cause: IncidentCause,
    pub(crate) failed_requests: f64,
}

/// One page to on-call: what failed, when, and when the alert pipeline paged.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AlertLog {
    /// When the component failed [h since the start].
    pub failed_at_h: f64,
    /// When on-call was paged [h since the start].
    pub paged_at_h: f64,
    pub(crate) target: String,
    /// The alert's name, one of [`ALERTS`].
    pub(crate) alert: String,
}

/// What `AvailMetrics::daily_ns` counts per day, in order: the whole site down, partial
/// outages weighted by the share failing, reduced web capacity, partial outages unweighted
/// (the same as the monthly figures).
pub(crate) const DAY_KINDS: [&str; 4] = ["downtime", "partial", "degraded", "partial_outage"];
/// A day of the daily figures [ns].
pub(crate) const DAY_NS: u64 = 86_400_000_000_000;

/// What one availability replication measured.
#[derive(Clone, Debug, Default)]
pub struct AvailMetrics {
    /// Length of the measured window [ns].
    pub window_ns: u64,
    /// Time the site was down [ns]; planned maintenance included unless the contract
    /// excludes it (`maintenance.contract`).
    pub downtime_ns: u64,
    /// Downtime by cause, in `Cause::ALL` order [ns]; sums to `downtime_ns` (plus the
    /// maintenance a contract excludes).
    pub(crate) downtime_by_cause_ns: [u64; Cause::COUNT],
    /// Failed requests by cause, in `Cause::ALL` order; sums to `failed` (plus the
    /// maintenance a contract excludes).
    pub(crate) failed_by_cause: [f64; Cause::COUNT],
    /// Planned maintenance windows opened in the measured window.
    pub(crate) maintenance_windows: u64,
    /// Requests offered in the window (expected count from the traffic model).
    pub offered: f64,
    /// Requests that failed (expected count).
    pub failed: f64,
    /// Downtime per month of the window [ns].
    pub(crate) monthly_downtime_ns: Vec<u64>,
    /// Partial outages per month: time while some but not all requests fail, weighted by the
    /// share failing [ns].
    pub(crate) monthly_partial_ns: Vec<u64>,
    /// Partial outages per month, unweighted: time while some but not all requests fail
    /// (what a status page shows as "partial outage") [ns].
    pub(crate) monthly_partial_outage_ns: Vec<u64>,
    /// Time per month the site was up with less than its full web capacity in rotation
    /// (a server failed or out of rotation) [ns].
    pub(crate) monthly_degraded_ns: Vec<u64>,
    /// Per day of the measured window (24 h each from the end of warm-up; the last may be
    /// partial), in [`DAY_KINDS`] order [ns]: for rolling error-budget windows.
    pub(crate) daily_ns: Vec<[u64; DAY_KINDS.len()]>,
    pub(crate) incidents: Vec<Incident>,
    pub(crate) incidents_total: u64,
    pub(crate) failures: u64,
    pub(crate) repairs: u64,
    pub(crate) raid_array_losses: u64,
    /// Data lost for good: a human-error restore with a nonzero recovery point, a restore with
    /// no usable snapshot, or both storage copies lost.
    pub(crate) data_loss_events: u64,
    pub(crate) failovers: u64,
    pub(crate) split_brain_ns: u64,
    /// Acknowledged writes lost at failovers (the async replication lag) [ns of writes].
    pub(crate) failover_lost_writes_ns: u64,
    /// The most lost at one failover [ns of writes].
    pub(crate) failover_lost_writes_ns_max: u64,
    /// Times from a covered web failure to lb1 marking it DOWN [ms].
    pub(crate) detect_ms: Vec<f64>,
    /// Times from a storage primary failure to a new writable primary [ms].
    pub(crate) takeover_ms: Vec<f64>,
    /// Times from the master balancer failing to a balancer being master again [ms]: the VRRP
    /// takeover by the backup, or the repair when no backup was up.
    pub(crate) lb_takeover_ms: Vec<f64>,
    /// Component repairs paged in the window (the first `INCIDENTS_MAX`): from the page to
    /// an engineer starting work (waiting for a free crew plus the response time) [min], and
    /// the work itself [min], in the same order.
    pub(crate) ack_min: Vec<f64>,
    pub(crate) repair_min: Vec<f64>,
    /// Alerts that paged on-call, and the first ones in detail.
    pub(crate) pages: u64,
    /// Every component failure of the window with its whole alert episode, in the order the
    /// episodes ended (repair, or the end of the run): "would my alerts have paged?".
    pub(crate) episodes: Vec<Episode>,
    pub(crate) alerts: Vec<AlertLog>,
    pub(crate) backups_ok: u64,
    pub(crate) backups_failed: u64,
    pub(crate) backups_corrupt: u64,
    pub(crate) backups_skipped: u64,
    pub(crate) snapshots_kept: u64,
    pub(crate) human_errors: u64,
    /// Recovery point per restore: data lost since the snapshot used [h].
    pub(crate) rpo_h: Vec<f64>,
    /// Recovery time per restore: restore start to data back [h].
    pub(crate) rto_h: Vec<f64>,
    /// Restores that found no usable snapshot (total loss of the deleted data).
    pub(crate) restores_failed: u64,
    pub(crate) smart_warnings: u64,
    pub(crate) disk_failures: u64,
    /// The disaster path (both storage copies lost): data lost since the snapshot used [h]
    /// and time for the full restore [h], per disaster.
    pub(crate) disaster_rpo_h: Vec<f64>,
    pub(crate) disaster_rto_h: Vec<f64>,
    /// The run's web-server failures and repairs as scripted faults (replayable).
    pub fault_log: Vec<ScriptedFault>,
    /// The swarm draw of this replication, if swarm testing is on.
    pub(crate) swarm: Option<String>,
    /// Failures not injected because they would exceed the design's fault budget.
    pub(crate) faults_suppressed_by_budget: u64,
    /// Most web servers / storage nodes down at once.
    pub(crate) web_down_max: u32,
    pub(crate) storage_down_max: u32,
    /// Failures and repairs the fault log leaves out (balancers, storage, the backup server,
    /// gray failures).
    pub(crate) faults_not_replayable: u64,
    /// Disks swapped after a SMART warning before they failed.
    pub(crate) disks_replaced_proactively: u64,
    /// Events processed (a measure of the work done).
    pub events: u64,
}

impl AvailMetrics {
    /// Downtime from every cause but planned maintenance [ns].
    pub(crate) fn unplanned_downtime_ns(&self) -> u64 {
        Cause::ALL
            .iter()
            .filter(|&&c| c != Cause::Maintenance)
            .map(|c| self.downtime_by_cause_ns[c.index()])
            .sum()
    }
}

/// One availability replication: the park's components, failures and repairs over years.
pub struct AvailWorld<'m> {
    /// Batch frailties of replacement disks.
    batch_rng: StreamRng,
    m: &'m Model,
    /// The alerting that pages on-call: the scenario's own rules and Alertmanager, or the
    /// built-in ones.
    pager: Pager,
    /// The built-in timing mdadm's degraded-array mail pages with.
    mdadm: Pager,
    q: EventQueue<Ev>,
    comps: Vec<Comp>,
    web0: usize,
    store0: usize,
    crews_free: u32,
    /// Jobs waiting for a crew, with the time on-call was paged for each.
    jobs: VecDeque<(SimTime, Job)>,
    /// Job in progress per id (index into `active_jobs`).
    active_jobs: Vec<Job>,
    response: StreamRng,
    modes: StreamRng,
    replace: StreamRng,
    failover: Option<FailoverController>,
    storage_epoch: u32,
    storage_ok: bool,
    /// The balancer holding the site's address (VRRP master), `None` while nobody does.
    lb_master: Option<usize>,
    lb_epoch: u32,
    /// Planned maintenance: which roll runs, which wait (one at a time).
    maint_queue: crate::policy::maintenance::RollQueue,
    /// When the master balancer failed, while no balancer is master (for `lb_takeover_ms`).
    lb_masterless_since: Option<SimTime>,
    backup: Option<BackupController>,
    backup_rng: StreamRng,
    /// Human errors waiting for a restore (one restore runs at a time), by error instant.
    /// Restores waiting (one runs at a time): the error instant, and whether it is the
    /// disaster path (both storage copies lost: the whole database comes back from backup).
    restores: VecDeque<(SimTime, bool)>,
    restore_disaster: bool,
    /// Both storage copies were lost at this instant; the next repaired node needs a restore.
    disaster_at: Option<SimTime>,
    restoring: bool,
    /// Deletions (human errors) whose restore has not finished.
    deletions_pending: u32,
    /// Snapshot the running restore attempt reads.
    restore_snapshot: Option<BackupId>,
    swarm: Option<Swarm>,
    /// Whether a storage takeover's promotion fails (`promotion_fail_probability`).
    takeover_rng: StreamRng,
    /// The replication lag at each unplanned takeover (`storage_failover.lag`).
    lag_rng: StreamRng,
    /// Where a tracked `vrrp_script`'s run grid lies against the advertisement grid, drawn
    /// at each failure the script sees.
    script_phase_rng: StreamRng,
    /// Component that has been unreachable but writable (a partitioned primary) since when.
    split_since: Option<SimTime>,
    /// lb1's backend: the real HAProxy machine, told every DOWN/UP, asked for its routing
    /// shares.
    backend: Backend,
    /// `backend.routing_shares()` for its current states, index for index over web servers.
    shares: Vec<f64>,
    /// `backend.routing_group()`: the servers first picks and retries go to.
    group: Vec<usize>,
    /// Distinct client keys of the traffic (for `balance source` shares).
    clients: u64,
    /// Up to when time has been charged to a state (`account`).
    last: SimTime,
    /// Time charged so far [ns]: the charged intervals tile the window, so it ends equal to
    /// the window's length.
    charged_ns: u64,
    down_since: Option<(SimTime, Cause, IncidentCause, f64)>,
    pub(crate) metrics: AvailMetrics,
    horizon: SimTime,
    warmup: SimTime,
}

const HOUR_NS: u64 = 3_600_000_000_000;

impl Comp {
    /// Component `name`, up and unpatched, its random streams named after it.
    fn new(kind: Kind, name: String, seeds: &Seeds) -> Comp {
        Comp {
            kind,
            up: true,
            mode: Failure::Crash,
            covered: true,
            epoch: 0,
            in_lb: matches!(kind, Kind::Web(_)),
            check_anchor: SimTime::ZERO,
            checker: None,
            ttf: seeds.stream(&format!("{name}/ttf")),
            repair: seeds.stream(&format!("{name}/repair")),
            disks: [DiskState::Ok; 2],
            disk_rng: seeds.stream(&format!("{name}/disks")),
            disk_draw: [0; 2],
            array_epoch: 0,
            frailty: [1.0; 2],
            logged: false,
            overload_failed: 0.0,
            maint: false,
            alerting: None,
            name,
        }
    }
}

/// The park's components in index order: lb1, the web servers (from `web0`), the storage
/// nodes (from `store0`), backup1 if backups are on, and lb2 last (so that its streams and
/// index shift nothing else). Checked web servers' steady checks start at HAProxy's startup
/// offset.
fn components(m: &Model, seeds: &Seeds) -> (Vec<Comp>, usize, usize) {
    let mut comps = vec![Comp::new(Kind::Lb, "lb1".into(), seeds)];
    let web0 = comps.len();
    for i in 0..m.web.count as usize {
        comps.push(Comp::new(Kind::Web(i), format!("web{}", i + 1), seeds));
    }
    let store0 = comps.len();
    for j in 0..m.storage.count as usize {
        comps.push(Comp::new(Kind::Storage(j), format!("store{}", j + 1), seeds));
    }
    if m.spec.backup.enabled {
        comps.push(Comp::new(Kind::Backup, "backup1".into(), seeds));
    }
    if m.lb_pair.is_some() {
        comps.push(Comp::new(Kind::Lb, "lb2".into(), seeds));
    }
    for (i, offset) in crate::policy::health::startup_offsets(&m.checks)
        .into_iter()
        .enumerate()
    {
        if let Some(offset) = offset {
            comps[web0 + i].check_anchor = SimTime::ZERO + offset;
        }
    }
    assert_eq!(store0, web0 + m.web.count as usize);
    (comps, web0, store0)
}

/// Disk batch frailty: one factor for the whole park (`batch_park`) or one per component,
/// drawn in component order from `rng`.
fn draw_frailty(m: &Model, comps: &mut [Comp], rng: &mut StreamRng) {
    let Some(disk) = m.reliability.disk.as_ref().filter(|d| d.batch_cv > 0.0) else {
        return;
    };
    let park = frailty(disk.batch_cv, rng);
    for c in comps.iter_mut() {
        let z = if disk.batch_park {
            park
        } else {
            frailty(disk.batch_cv, rng)
        };
        c.frailty = [z; 2];
    }
}

impl<'m> AvailWorld<'m> {
    /// Replication `replication` of `m`, its random streams derived from the model's seed.
    pub fn new(m: &'m Model, replication: u32) -> Self {
        let seeds = Seeds::new(m.seed, replication);
        let (mut comps, web0, store0) = components(m, &seeds);
        let mut batch_rng = seeds.stream("disks/batch");
        draw_frailty(m, &mut comps, &mut batch_rng);
        let clients = match &m.traffic {
            TrafficModel::Poisson { clients, .. } | TrafficModel::Profile { clients, .. } => *clients,
        };
        let failover = (m.storage.count >= 2)
            .then(|| FailoverController::new(SimTime::ZERO, m.storage.count as usize, m.reliability.failover.clone()));
        AvailWorld {
            m,
            pager: Pager::new(m),
            mdadm: Pager::builtin(),
            q: EventQueue::new(),
            comps,
            web0,
            store0,
            crews_free: m.reliability.crews,
            jobs: VecDeque::new(),
            active_jobs: Vec::new(),
            response: seeds.stream("oncall/response"),
            modes: seeds.stream("failures/modes"),
            replace: seeds.stream("oncall/disk-replace"),
            failover,
            storage_epoch: 0,
            storage_ok: true,
            lb_master: Some(0),
            lb_epoch: 0,
            maint_queue: crate::policy::maintenance::RollQueue::new(
                m.maintenance.as_ref().map_or_else(Vec::new, |mt| mt.roll_sizes()),
            ),
            lb_masterless_since: None,
            backup: m.backup.as_ref().map(|b| BackupController::new(b.config.clone())),
            backup_rng: seeds.stream("backup1/outcomes"),
            batch_rng,
            restores: VecDeque::new(),
            restore_disaster: false,
            disaster_at: None,
            restoring: false,
            deletions_pending: 0,
            restore_snapshot: None,
            swarm: m.reliability.swarm.then(|| Swarm::draw(&mut seeds.stream("swarm"))),
            takeover_rng: seeds.stream("storage/takeover"),
            lag_rng: seeds.stream("storage/replication-lag"),
            script_phase_rng: seeds.stream("lb/script-phase"),
            split_since: None,
            shares: Backend::new(m.backend.clone())
                .routing_shares(clients, m.uris.as_ref().map_or(&[][..], |u| &u.keys[..]))
                .expect("the scenario checks that the balancer has steady-state shares"),
            group: Backend::new(m.backend.clone()).routing_group(),
            backend: Backend::new(m.backend.clone()),
            clients,
            last: SimTime::ZERO + m.warmup,
            charged_ns: 0,
            down_since: None,
            metrics: AvailMetrics::default(),
            horizon: SimTime::ZERO + m.horizon,
            warmup: SimTime::ZERO + m.warmup,
        }
    }

    fn class(&self, c: usize) -> &'m ClassModel {
        let r = &self.m.reliability;
        match self.comps[c].kind {
            Kind::Lb => &r.lb,
            Kind::Web(_) => &r.web,
            Kind::Storage(_) => &r.storage,
            Kind::Backup => &r.backup,
        }
    }

    /// Run to the horizon and return what was measured.
    pub fn run(mut self) -> AvailMetrics {
        let window = self.horizon.since(self.warmup);
        let months = self.m.calendar.months.len();
        self.metrics.window_ns = window.as_nanos();
        self.metrics.monthly_downtime_ns = vec![0; months];
        self.metrics.monthly_partial_ns = vec![0; months];
        self.metrics.monthly_partial_outage_ns = vec![0; months];
        self.metrics.monthly_degraded_ns = vec![0; months];
        self.metrics.daily_ns = vec![[0; DAY_KINDS.len()]; window.as_nanos().div_ceil(DAY_NS) as usize];
        self.metrics.offered = offered_between(&self.m.traffic, self.warmup, self.horizon);
        for c in 0..self.comps.len() {
            if self.colocated(c) {
                continue; // fails, and holds its disks, with its web server
            }
            self.schedule_failure(SimTime::ZERO, c);
            if self.m.reliability.disk.is_some() {
                for d in 0..2 {
                    self.schedule_disk(SimTime::ZERO, c, d, 1.0);
                }
            }
        }
        if let Some(b) = &self.backup {
            self.q.schedule(b.poll_timeout(), Ev::BackupTimer);
            self.schedule_human_error(SimTime::ZERO);
        }
        self.schedule_maintenance();
        let mut previous = SimTime::ZERO;
        while let Some((now, ev)) = self.q.pop() {
            assert!(now >= previous, "time went back from {previous:?} to {now:?}");
            previous = now;
            if now >= self.horizon {
                break;
            }
            // Charge the time since the last event to the state that held, then change it.
            self.account(now);
            self.handle(now, ev);
        }
        self.account(self.horizon);
        assert_eq!(self.last, self.horizon, "time is charged up to the horizon");
        assert_eq!(
            self.charged_ns,
            window.as_nanos(),
            "the charged intervals tile the window"
        );
        if let Some((since, class, cause, failed_at_start)) = self.down_since.take() {
            self.close_incident(since, self.horizon, class, cause, failed_at_start);
        }
        for c in 0..self.comps.len() {
            self.close_episode(c, None);
        }
        if let Some(b) = &self.backup {
            let st = b.stats();
            self.metrics.backups_ok = st.succeeded;
            self.metrics.backups_failed = st.failed;
            self.metrics.backups_corrupt = st.silently_corrupt;
            self.metrics.backups_skipped = st.skipped_still_running + st.missed_target_down;
            self.metrics.snapshots_kept = b.snapshots().len() as u64;
        }
        self.metrics.swarm = self.swarm.as_ref().map(Swarm::describe);
        self.metrics.events = self.q.scheduled_total();
        // Postconditions: nothing is charged twice or outside the window.
        let x = &self.metrics;
        assert!(x.downtime_ns <= x.window_ns, "more downtime than time");
        assert_eq!(
            x.monthly_downtime_ns.iter().sum::<u64>(),
            x.downtime_ns,
            "the months share out the downtime exactly"
        );
        assert!(
            x.incidents.len() as u64 <= x.incidents_total,
            "incidents logged but not counted"
        );
        let maintenance = Cause::Maintenance.index();
        let (maint_ns, maint_failed) = if self.m.maintenance_excluded() {
            (x.downtime_by_cause_ns[maintenance], x.failed_by_cause[maintenance])
        } else {
            (0, 0.0)
        };
        assert_eq!(
            x.downtime_by_cause_ns.iter().sum::<u64>() - maint_ns,
            x.downtime_ns,
            "every minute of downtime has one cause"
        );
        let by_cause: f64 = x.failed_by_cause.iter().sum::<f64>() - maint_failed;
        assert!(
            (by_cause - x.failed).abs() <= 1e-6 * x.offered.max(1.0),
            "failed requests by cause {by_cause} != {}",
            x.failed
        );
        assert!(
            x.failed >= 0.0 && x.failed <= x.offered * (1.0 + 1e-9),
            "failed {} of {} offered requests",
            x.failed,
            x.offered
        );
        self.metrics
    }

    /// Index of a component's class in `Swarm` arrays.
    fn class_index(&self, c: usize) -> usize {
        match self.comps[c].kind {
            Kind::Lb => 0,
            Kind::Web(_) => 1,
            Kind::Storage(_) => 2,
            Kind::Backup => 3,
        }
    }

    fn schedule_failure(&mut self, now: SimTime, c: usize) {
        if !self.class(c).fails {
            return;
        }
        let mut ttf = self.class(c).ttf.sample(&mut self.comps[c].ttf);
        if let Some(sw) = &self.swarm {
            let k = self.class_index(c);
            if !sw.on[k] {
                return;
            }
            ttf = ttf.mul_f64(1.0 / sw.intensity[k]);
        }
        let epoch = self.comps[c].epoch;
        self.q
            .schedule(now.saturating_add(ttf), Ev::Fail { comp: c as u32, epoch });
    }

    fn handle(&mut self, now: SimTime, ev: Ev) {
        match ev {
            Ev::SmartWarning { comp, disk, draw } => self.on_smart_warning(now, comp, disk, draw),
            Ev::BackupTimer => self.on_backup_timer(now),
            Ev::BackupDone { id, outcome, epoch } => self.on_backup_done(now, id, outcome, epoch),
            Ev::HumanError => self.on_human_error(now),
            Ev::RestoreRequested { error_at_ns } => {
                self.on_restore_requested(now, SimTime::from_nanos(error_at_ns), false)
            }
            Ev::RestoreAttemptDone => self.on_restore_attempt_done(now),
            Ev::Fail { comp, epoch } => {
                let c = comp as usize;
                if self.comps[c].epoch == epoch && self.comps[c].up {
                    self.on_fail(now, c);
                }
            }
            Ev::Noticed { job_comp, epoch, disk } => self.on_noticed(now, job_comp, epoch, disk),
            Ev::JobDone { job } => self.job_done(now, job as usize),
            Ev::LbDown { comp, epoch } | Ev::LbUp { comp, epoch } => {
                let c = comp as usize;
                if self.comps[c].epoch == epoch {
                    self.set_in_lb(now, c, matches!(ev, Ev::LbUp { .. }));
                }
            }
            Ev::DiskFail {
                comp,
                disk,
                array_epoch,
                draw,
            } => self.disk_failed(now, comp as usize, disk as usize, array_epoch, draw),
            Ev::RebuildDone {
                comp,
                disk,
                array_epoch,
            } => self.on_rebuild_done(now, comp as usize, disk as usize, array_epoch),
            Ev::StorageRestored { epoch } => {
                if self.storage_epoch == epoch {
                    self.storage_ok = true;
                }
            }
            Ev::Maintenance { roll, pos, phase } => self.on_maintenance(now, roll, pos as usize, phase),
            Ev::LbMaster { comp, epoch } => self.on_lb_master(now, comp as usize, epoch),
            Ev::LbTracked { comp, epoch } => self.on_lb_tracked(now, comp as usize, epoch),
        }
    }

    /// A SMART warning on disk `disk` of `comp`: noticed through the alert rule, then the
    /// warned disk is replaced (if the warning is still current).
    fn on_smart_warning(&mut self, now: SimTime, comp: u32, disk: u8, draw: u32) {
        let (c, d) = (comp as usize, disk as usize);
        if self.comps[c].disk_draw[d] != draw || self.comps[c].disks[d] != DiskState::Ok {
            return;
        }
        if now >= self.warmup {
            self.metrics.smart_warnings += 1;
        }
        // Unpaged (no rule watches SMART): the warned disk is not swapped ahead of its failure.
        let Some(delay) = self.notice_delay(now, c, SMART_WARNING) else {
            return;
        };
        let epoch = self.comps[c].epoch;
        let disk = disk | SMART_FLAG;
        self.q.schedule(
            now + delay,
            Ev::Noticed {
                job_comp: comp,
                epoch,
                disk,
            },
        );
    }

    /// A human error destroys data: noticed after a while, then a restore is requested.
    fn on_human_error(&mut self, now: SimTime) {
        if now >= self.warmup {
            self.metrics.human_errors += 1;
        }
        self.deletions_pending += 1;
        let backup = self.m.backup.as_ref().expect("backups configured");
        let delay = backup.notice.sample(&mut self.backup_rng);
        let error_at_ns = now.as_nanos();
        self.q.schedule(now + delay, Ev::RestoreRequested { error_at_ns });
        self.schedule_human_error(now);
    }

    /// Component `c` (up, current epoch) draws a failure: postponed while it is patched or
    /// over the design budget, else a failure mode and whether lb1's checks see it.
    fn on_fail(&mut self, now: SimTime, c: usize) {
        debug_assert!(self.comps[c].up);
        // A server being patched is watched by its operator: its failure is drawn anew for
        // after the window (a few hours a year, a small bias).
        if self.comps[c].maint {
            self.schedule_failure(now, c);
            return;
        }
        if self.over_budget(c) {
            if now >= self.warmup {
                self.metrics.faults_suppressed_by_budget += 1;
            }
            self.schedule_failure(now, c);
            return;
        }
        let mode = self.draw_mode(c);
        // A dead link is always visible to lb1's checks.
        let covered = !matches!(self.comps[c].kind, Kind::Web(_))
            || self.modes.random::<f64>() < self.m.reliability.coverage
            || mode == Failure::LinkDown;
        self.fail(now, c, mode, covered);
    }

    /// The failure mode of `c`'s next failure, from its class's cumulative mode shares (a
    /// swarm mixes crash, process death and hang only).
    fn draw_mode(&mut self, c: usize) -> Failure {
        let u: f64 = self.modes.random();
        let k = self.class_index(c);
        let modes = self.swarm.as_ref().map_or(self.class(c).modes, |sw| {
            let m = sw.modes[k];
            [m[0], m[1], m[2], 1.0, 1.0]
        });
        if u < modes[0] {
            Failure::Crash
        } else if u < modes[1] {
            Failure::ProcessDeath
        } else if u < modes[2] {
            Failure::Hang
        } else if u < modes[3] {
            Failure::Slowdown
        } else {
            Failure::LinkDown
        }
    }

    /// On-call noticed: a failed component (`disk` = `u8::MAX`), a warned disk or a failed
    /// disk; the job joins the repair queue.
    fn on_noticed(&mut self, now: SimTime, job_comp: u32, epoch: u32, disk: u8) {
        let c = job_comp as usize;
        if disk == u8::MAX {
            if self.comps[c].epoch == epoch && !self.comps[c].up {
                self.enqueue(now, Job::Repair(job_comp));
            }
        } else if disk & SMART_FLAG != 0 {
            self.enqueue(now, Job::ReplaceWarnedDisk(job_comp, disk & !SMART_FLAG));
        } else {
            self.enqueue(now, Job::ReplaceDisk(job_comp, disk));
        }
    }

    /// Disk `d` of `c` finished its RAID rebuild (if its array was not lost meanwhile).
    fn on_rebuild_done(&mut self, now: SimTime, c: usize, d: usize, array_epoch: u32) {
        if self.comps[c].array_epoch != array_epoch || self.comps[c].disks[d] != DiskState::Rebuilding {
            return;
        }
        self.comps[c].disks[d] = DiskState::Ok;
        // Both disks healthy again: back to the base hazard.
        self.schedule_disk(now, c, d, 1.0);
        self.schedule_disk(now, c, 1 - d, 1.0);
    }

    /// Balancer `c` became VRRP master (if nothing changed since it was scheduled).
    fn on_lb_master(&mut self, now: SimTime, c: usize, epoch: u32) {
        if self.lb_epoch != epoch || !self.comps[c].up {
            return;
        }
        self.lb_master = Some(c);
        if let Some(since) = self.lb_masterless_since.take()
            && since >= self.warmup
        {
            self.metrics.lb_takeover_ms.push(now.since(since).as_millis_f64());
        }
    }

    /// Under the design budget, would failing `c` take down the last of its kind?
    fn over_budget(&self, c: usize) -> bool {
        if !self.m.reliability.budget_design {
            return false;
        }
        let kind = self.comps[c].kind;
        let same = |k: &Kind| std::mem::discriminant(k) == std::mem::discriminant(&kind);
        let total = self.comps.iter().filter(|x| same(&x.kind)).count();
        let down = self.comps.iter().filter(|x| same(&x.kind) && !x.up).count();
        total >= 2 && down + 1 >= total
    }

    fn fail(&mut self, now: SimTime, c: usize, mode: Failure, covered: bool) {
        assert!(self.comps[c].up, "{} failed while down", self.comps[c].name);
        self.metrics.failures += 1;
        self.log_fault(now, c, mode.fault_kind(), covered);
        let comp = &mut self.comps[c];
        comp.up = false;
        comp.mode = mode;
        comp.covered = covered;
        comp.epoch = comp.epoch.wrapping_add(1);
        let epoch = comp.epoch;
        let web_down = self
            .comps
            .iter()
            .filter(|x| matches!(x.kind, Kind::Web(_)) && !x.up)
            .count() as u32;
        let storage_down = self
            .comps
            .iter()
            .filter(|x| matches!(x.kind, Kind::Storage(_)) && !x.up)
            .count() as u32;
        self.metrics.web_down_max = self.metrics.web_down_max.max(web_down);
        self.metrics.storage_down_max = self.metrics.storage_down_max.max(storage_down);
        match self.comps[c].kind {
            // A slowed server passes its checks: lb1 keeps routing to it.
            Kind::Web(_) if mode == Failure::Slowdown => {}
            Kind::Web(i) if covered => {
                if let Some(t) = self.detect(now, c) {
                    if now >= self.warmup {
                        self.metrics.detect_ms.push(t.since(now).as_millis_f64());
                    }
                    self.q.schedule(t, Ev::LbDown { comp: c as u32, epoch });
                }
                self.colocated_failed(now, i, mode);
            }
            Kind::Web(i) => self.colocated_failed(now, i, mode),
            Kind::Storage(j) => self.storage_failed(now, j),
            Kind::Lb => self.lb_failed_as(now, c, mode),
            Kind::Backup => {
                if let Some(b) = self.backup.as_mut() {
                    b.handle_target_down(now);
                }
            }
        }
        let watch = if mode == Failure::Slowdown {
            HIGH_LOAD
        } else {
            INSTANCE_DOWN
        };
        let notice = self.notice_delay(now, c, watch);
        if !self.m.reliability.instant {
            self.comps[c].alerting = Some((now, watch, notice.map(|d| now + d)));
        }
        // No rule pages for it: on-call never learns of it, and it stays failed.
        if let Some(notice) = notice {
            self.q.schedule(
                now + notice,
                Ev::Noticed {
                    job_comp: c as u32,
                    epoch,
                    disk: u8::MAX,
                },
            );
        }
    }

    /// Write the failure or repair down as a scripted fault, so the run can be replayed at
    /// request level. Only what the request-level mode reproduces faithfully is replayable:
    /// web-server failures the health checks see, and storage-node failures and repairs (the
    /// request level runs the same failover controller). Balancers, the backup server, disks
    /// and gray failures are not.
    fn log_fault(&mut self, now: SimTime, c: usize, kind: FaultKind, covered: bool) {
        let comp = &self.comps[c];
        let replayable = if kind == FaultKind::Recover {
            comp.logged
        } else {
            match comp.kind {
                Kind::Web(_) => covered || kind == FaultKind::Slow,
                Kind::Storage(_) => self.disaster_at.is_none(),
                Kind::Lb | Kind::Backup => false,
            }
        };
        self.comps[c].logged = replayable && kind != FaultKind::Recover;
        let comp = &self.comps[c];
        // A link failure and its repair are a partition and a heal of lb1 <-> the server.
        let link = kind == FaultKind::Partition || (kind == FaultKind::Recover && comp.mode == Failure::LinkDown);
        let kind = if link && kind == FaultKind::Recover {
            FaultKind::Heal
        } else {
            kind
        };
        if replayable {
            let topology = &self.m.topology;
            let node = |name: &str| topology.node_by_name(name).expect("components are topology nodes");
            self.metrics.fault_log.push(ScriptedFault {
                at: now,
                node: node(&comp.name),
                kind,
                factor: if kind == FaultKind::Slow {
                    self.m.reliability.web.slowdown_factor
                } else {
                    1.0
                },
                peer: link.then(|| node("lb1")),
                one_way: false,
            });
        } else {
            self.metrics.faults_not_replayable += 1;
        }
    }

    /// When on-call learns of what `watch` watches on `c` going bad at `now`: the page, logged
    /// with the rule that sent it; `None`: no rule pages for it.
    fn notice_delay(&mut self, now: SimTime, c: usize, watch: Watch) -> Option<SimDuration> {
        if self.m.reliability.instant {
            return Some(SimDuration::ZERO);
        }
        let raid = watch.rule == RAID_DEGRADED;
        let pager = if raid { &self.mdadm } else { &self.pager };
        let page = pager.page(now, watch, &self.comps[c].name)?;
        let d = page.at.since(now);
        let alert = if raid { watch.rule.to_string() } else { page.rule };
        if now >= self.warmup {
            self.metrics.pages += 1;
            if self.metrics.alerts.len() < INCIDENTS_MAX {
                self.metrics.alerts.push(AlertLog {
                    failed_at_h: now.as_secs_f64() / 3600.0,
                    paged_at_h: (now + d).as_secs_f64() / 3600.0,
                    target: self.comps[c].name.clone(),
                    alert,
                });
            }
        }
        Some(d)
    }

    /// The failure of `c` ends (`repaired`) or the run does (`None`): step its alert episode
    /// through the machines from the failure to the alert resolving, for the paging figures.
    fn close_episode(&mut self, c: usize, repaired: Option<SimTime>) {
        let Some((failed, watch, paged)) = self.comps[c].alerting.take() else {
            return;
        };
        if failed < self.warmup {
            return;
        }
        let name = self.comps[c].name.clone();
        let runs = self.pager.episode(failed, repaired, self.horizon, watch, &name);
        // The page that sent the engineer and the episode's first page are one decision.
        let end = repaired.unwrap_or(self.horizon);
        let first = runs.iter().filter_map(|r| r.pages.first()).min();
        assert!(
            first == paged.as_ref() || (first.is_none() && paged.is_none_or(|p| p >= end)),
            "{name} paged at {paged:?} but its episode says {first:?}"
        );
        let episode = |rule: String, pages: &[SimTime], resolved: Option<SimTime>| Episode {
            target: name.clone(),
            rule,
            failed_ns: failed.as_nanos(),
            end_ns: end.as_nanos(),
            repaired: repaired.is_some(),
            pages_ns: pages.iter().map(|t| t.as_nanos()).collect(),
            resolved_ns: resolved.map(|t| t.as_nanos()),
        };
        if runs.is_empty() {
            self.metrics.episodes.push(episode(watch.rule.to_string(), &[], None));
        }
        for r in runs {
            self.metrics.episodes.push(episode(r.rule, &r.pages, r.resolved));
        }
    }

    fn enqueue(&mut self, now: SimTime, job: Job) {
        self.jobs.push_back((now, job));
        self.start_jobs(now);
    }

    fn start_jobs(&mut self, now: SimTime) {
        while self.crews_free > 0 {
            let Some((paged, job)) = self.jobs.pop_front() else {
                return;
            };
            self.crews_free -= 1;
            let hour = (now.as_nanos() / HOUR_NS) % 24;
            let mut response = self.m.reliability.response.sample(&mut self.response);
            if !(7..23).contains(&hour) {
                response = response.mul_f64(self.m.reliability.night_factor);
            }
            let work = match job {
                Job::Repair(c) => self.class(c as usize).repair.sample(&mut self.comps[c as usize].repair),
                Job::ReplaceDisk(..) | Job::ReplaceWarnedDisk(..) => self
                    .m
                    .reliability
                    .disk
                    .as_ref()
                    .expect("disk jobs need disks")
                    .replace
                    .sample(&mut self.replace),
            };
            // The repair chain after the page: waiting for a free crew plus the engineer's
            // response is the acknowledgement (MTTA); the work is the repair.
            if paged >= self.warmup && matches!(job, Job::Repair(_)) && self.metrics.ack_min.len() < INCIDENTS_MAX {
                assert!(now >= paged, "a job starts after its page");
                self.metrics
                    .ack_min
                    .push((now + response).since(paged).as_secs_f64() / 60.0);
                self.metrics.repair_min.push(work.as_secs_f64() / 60.0);
            }
            let id = self.active_jobs.len() as u32;
            self.active_jobs.push(job);
            self.q.schedule(now + response + work, Ev::JobDone { job: id });
        }
    }

    fn job_done(&mut self, now: SimTime, id: usize) {
        self.crews_free += 1;
        assert!(
            self.crews_free <= self.m.reliability.crews,
            "more crews free than exist"
        );
        match self.active_jobs[id] {
            Job::Repair(c) => self.repaired(now, c as usize),
            Job::ReplaceWarnedDisk(c, d) => {
                let (c, d) = (c as usize, d as usize);
                // Swap it only if it has not failed meanwhile and its partner is healthy (never
                // degrade an array on purpose); the new disk rebuilds from the partner.
                if self.comps[c].disks == [DiskState::Ok; 2] {
                    if now >= self.warmup {
                        self.metrics.disks_replaced_proactively += 1;
                    }
                    self.comps[c].disks[d] = DiskState::Rebuilding;
                    self.comps[c].frailty[d] = self.new_batch();
                    self.comps[c].disk_draw[d] = self.comps[c].disk_draw[d].wrapping_add(1);
                    let disk = self.m.reliability.disk.as_ref().expect("disk model");
                    let factor = disk.degraded_factor;
                    let t = disk.rebuild.sample(&mut self.comps[c].disk_rng);
                    let array_epoch = self.comps[c].array_epoch;
                    self.q.schedule(
                        now + t,
                        Ev::RebuildDone {
                            comp: c as u32,
                            disk: d as u8,
                            array_epoch,
                        },
                    );
                    self.schedule_disk(now, c, 1 - d, factor);
                }
            }
            Job::ReplaceDisk(c, d) => {
                let c = c as usize;
                let d = d as usize;
                if self.comps[c].disks[d] == DiskState::Failed {
                    self.comps[c].disks[d] = DiskState::Rebuilding;
                    self.comps[c].frailty[d] = self.new_batch();
                    let disk = self.m.reliability.disk.as_ref().expect("disk model");
                    let t = disk.rebuild.sample(&mut self.comps[c].disk_rng);
                    let array_epoch = self.comps[c].array_epoch;
                    self.q.schedule(
                        now + t,
                        Ev::RebuildDone {
                            comp: c as u32,
                            disk: d as u8,
                            array_epoch,
                        },
                    );
                }
            }
        }
        self.start_jobs(now);
    }

    fn repaired(&mut self, now: SimTime, c: usize) {
        assert!(!self.comps[c].up, "{} repaired while up", self.comps[c].name);
        self.metrics.repairs += 1;
        // The end of an overload episode: the fluid account charged the whole excess as
        // failed, but a real server first fills its accept queue (nothing fails meanwhile) and
        // serves that backlog after the repair: workers + queue_max requests, or as many as it
        // serves within `timeout server` if that is less.
        let charged = std::mem::take(&mut self.comps[c].overload_failed);
        if charged > 0.0 {
            let capacity = f64::from(self.m.web.workers) / self.slowed_holding_s(c - self.web0);
            let backlog = f64::from(self.m.web.workers + self.m.web.queue_max)
                .min(capacity * self.m.timeout_server.as_secs_f64());
            self.metrics.failed -= charged.min(backlog);
            self.metrics.failed_by_cause[Cause::Overload.index()] -= charged.min(backlog);
        }
        self.log_fault(now, c, FaultKind::Recover, true);
        self.close_episode(c, Some(now));
        let comp = &mut self.comps[c];
        comp.up = true;
        comp.epoch = comp.epoch.wrapping_add(1);
        let epoch = comp.epoch;
        if comp.disks.iter().any(|d| *d != DiskState::Ok) {
            // The repair of a lost array replaces both disks, from one new batch.
            comp.disks = [DiskState::Ok; 2];
            comp.array_epoch = comp.array_epoch.wrapping_add(1);
            let z = self.new_batch();
            self.comps[c].frailty = [z; 2];
            self.schedule_disk(now, c, 0, 1.0);
            self.schedule_disk(now, c, 1, 1.0);
        }
        match self.comps[c].kind {
            Kind::Web(i) => {
                if self.comps[c].in_lb {
                    // A gray failure never left the rotation; the repaired server just works.
                } else if let Some(t) = self.recover(now, c) {
                    self.q.schedule(t, Ev::LbUp { comp: c as u32, epoch });
                }
                self.colocated_repaired(now, i);
            }
            Kind::Storage(j) => self.storage_rejoined(now, j),
            Kind::Lb => self.lb_repaired(now, c),
            Kind::Backup => {
                if self.backup.is_some() {
                    let bytes = self.data_bytes(now);
                    let b = self.backup.as_mut().expect("checked");
                    b.handle_data_size(now, bytes);
                    b.handle_target_up(now);
                    self.drain_backup_actions(now);
                }
            }
        }
        self.schedule_failure(now, c);
    }
}

/// Run every availability replication on `jobs` threads, in replication order.
pub fn run_replications(model: &Model, jobs: usize, on_done: &(dyn Fn() + Sync)) -> Vec<AvailMetrics> {
    super::run_indexed(model.replications, jobs, on_done, |i| AvailWorld::new(model, i).run())
}
