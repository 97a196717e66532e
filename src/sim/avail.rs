//! The long-horizon availability mode: years of failures, detection, failover and repair.
//!
//! Between failures nothing interesting happens, so nothing is simulated there: traffic is
//! accounted in aggregate (offered load x time x the share that fails in the current state),
//! and steady health checks and heartbeats are skipped by computing their phase. Every
//! transition runs through the same policy code as the request-level mode: lb1's
//! `HealthChecker` is stepped exactly through each detection window and recovery, the storage
//! pair's `FailoverController` through each takeover, and the time to page on-call is decided by
//! the `Alerting` state machine (Prometheus rule `up == 0 for 5m`, Alertmanager `group_wait`).
//!
//! One `AvailWorld` is one replication; it never reads a clock or spawns a thread.

use super::engine::EventQueue;
use super::rng::{Seeds, StreamRng};
use super::traffic::offered_between;
use crate::policy::alerting::{Alerting, AlertingConfig, Metric, NotificationStatus, default_rules};
use crate::policy::backup::{Action as BackupAction, BackupController, BackupId, BackupOutcome, RestorePlan};
use crate::policy::balancer::Backend;
use crate::policy::failover::{Action as FoAction, FailoverController, Role};
use crate::policy::health::{HealthChecker, ProbeOutcome, Transition};
use crate::policy::vrrp::{Action as VrrpAction, VrrpConfig, VrrpRouter};
use crate::scenario::{ClassModel, Fault, FaultKind, MONTH_SECS, Model, TrafficModel};
use crate::units::{SimDuration, SimTime};
use rand::Rng;
use serde::Serialize;
use std::collections::VecDeque;

/// Failure classes, in the order of `Swarm` arrays.
const CLASSES: [&str; 5] = ["lb", "web", "storage", "backup", "disk"];

/// One replication's swarm draw: which failure classes are on, how hard, which modes.
#[derive(Clone, Debug)]
pub struct Swarm {
    pub on: [bool; 5],
    /// Failure-rate multiplier per class.
    pub intensity: [f64; 5],
    /// Cumulative crash / process-death / hang shares per server class (lb, web, storage,
    /// backup).
    pub modes: [[f64; 3]; 4],
}

impl Swarm {
    /// Each class on with probability 1/2 (at least one), rate x 1..30 log-uniform, mode
    /// shares uniform on the simplex.
    fn draw(rng: &mut StreamRng) -> Swarm {
        let mut on = [false; 5];
        for x in on.iter_mut() {
            *x = rng.random_bool(0.5);
        }
        if !on.iter().any(|x| *x) {
            on[1] = true;
        }
        let mut intensity = [1.0; 5];
        for x in intensity.iter_mut() {
            *x = (rng.random::<f64>() * 30f64.ln()).exp();
        }
        let mut modes = [[0.0; 3]; 4];
        for m in modes.iter_mut() {
            // Uniform on the simplex: sorted uniforms as cut points.
            let (a, b): (f64, f64) = (rng.random(), rng.random());
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            *m = [lo, hi, 1.0];
        }
        Swarm { on, intensity, modes }
    }

    /// One line: what this replication injects.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (i, name) in CLASSES.iter().enumerate() {
            if !self.on[i] {
                parts.push(format!("{name} off"));
            } else if i < 4 {
                let m = self.modes[i];
                parts.push(format!(
                    "{name} x{:.1} (crash {:.2}, death {:.2}, hang {:.2})",
                    self.intensity[i],
                    m[0],
                    m[1] - m[0],
                    1.0 - m[1]
                ));
            } else {
                parts.push(format!("{name} x{:.1}", self.intensity[i]));
            }
        }
        parts.join(", ")
    }
}

/// Marks a `Noticed` disk job as a SMART-driven swap.
const SMART_FLAG: u8 = 0x80;

/// Bound on the steps of one policy-machine episode (a detection window, a takeover): far
/// beyond any real one, so hitting it is a bug, not a long outage.
const EPISODE_STEPS_MAX: usize = 10_000_000;
/// Incidents listed per replication in the results.
pub const INCIDENTS_MAX: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Crash,
    ProcessDeath,
    Hang,
    /// Service times x the class's `slowdown_factor`; checks still pass.
    Slowdown,
    /// The link lb1 <-> this web server is down: to lb1 it is a crashed host.
    LinkDown,
}

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
    mode: Mode,
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
}

/// One incident: the site (or part of its traffic) failed.
#[derive(Clone, Debug, Serialize)]
pub struct Incident {
    pub start_h: f64,
    pub end_h: f64,
    pub cause: String,
    pub failed_requests: f64,
}

/// One page to on-call: what failed, when, and when the alert pipeline paged.
#[derive(Clone, Debug, Serialize)]
pub struct AlertLog {
    pub failed_at_h: f64,
    pub paged_at_h: f64,
    pub target: String,
    pub alert: &'static str,
}

/// What one availability replication measured.
#[derive(Clone, Debug, Default)]
pub struct AvailMetrics {
    pub window_ns: u64,
    pub downtime_ns: u64,
    pub offered: f64,
    pub failed: f64,
    /// Downtime per month of the window [ns].
    pub monthly_downtime_ns: Vec<u64>,
    /// Partial outages per month: time while some but not all requests fail, weighted by the
    /// share failing [ns].
    pub monthly_partial_ns: Vec<u64>,
    /// Time per month the site was up with less than its full web capacity in rotation
    /// (a server failed or out of rotation) [ns].
    pub monthly_degraded_ns: Vec<u64>,
    pub incidents: Vec<Incident>,
    pub incidents_total: u64,
    pub failures: u64,
    pub repairs: u64,
    pub raid_array_losses: u64,
    /// Data lost for good: a human-error restore with a nonzero recovery point, a restore with
    /// no usable snapshot, or both storage copies lost.
    pub data_loss_events: u64,
    pub failovers: u64,
    pub split_brain_ns: u64,
    /// Acknowledged writes lost at failovers (the async replication lag) [ns of writes].
    pub failover_lost_writes_ns: u64,
    /// Times from a covered web failure to lb1 marking it DOWN [ms].
    pub detect_ms: Vec<f64>,
    /// Times from a storage primary failure to a new writable primary [ms].
    pub takeover_ms: Vec<f64>,
    /// Times from the master balancer failing to a balancer being master again [ms]: the VRRP
    /// takeover by the backup, or the repair when no backup was up.
    pub lb_takeover_ms: Vec<f64>,
    /// Alerts that paged on-call, and the first ones in detail.
    pub pages: u64,
    pub alerts: Vec<AlertLog>,
    pub backups_ok: u64,
    pub backups_failed: u64,
    pub backups_corrupt: u64,
    pub backups_skipped: u64,
    pub snapshots_kept: u64,
    pub human_errors: u64,
    /// Recovery point per restore: data lost since the snapshot used [h].
    pub rpo_h: Vec<f64>,
    /// Recovery time per restore: restore start to data back [h].
    pub rto_h: Vec<f64>,
    /// Restores that found no usable snapshot (total loss of the deleted data).
    pub restores_failed: u64,
    pub smart_warnings: u64,
    pub disk_failures: u64,
    /// The disaster path (both storage copies lost): data lost since the snapshot used [h]
    /// and time for the full restore [h], per disaster.
    pub disaster_rpo_h: Vec<f64>,
    pub disaster_rto_h: Vec<f64>,
    /// The run's web-server failures and repairs as scripted faults (replayable).
    pub fault_log: Vec<Fault>,
    /// The swarm draw of this replication, if swarm testing is on.
    pub swarm: Option<String>,
    /// Failures not injected because they would exceed the design's fault budget.
    pub faults_suppressed_by_budget: u64,
    /// Most web servers / storage nodes down at once.
    pub web_down_max: u32,
    pub storage_down_max: u32,
    /// Failures and repairs the fault log leaves out (balancers, storage, the backup server,
    /// gray failures).
    pub faults_not_replayable: u64,
    /// Disks swapped after a SMART warning before they failed.
    pub disks_replaced_proactively: u64,
    pub events: u64,
}

pub struct AvailWorld<'m> {
    /// Batch frailties of replacement disks.
    batch_rng: StreamRng,
    m: &'m Model,
    q: EventQueue<Ev>,
    comps: Vec<Comp>,
    web0: usize,
    store0: usize,
    crews_free: u32,
    jobs: VecDeque<Job>,
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
    /// Snapshot the running restore attempt reads.
    restore_snapshot: Option<BackupId>,
    swarm: Option<Swarm>,
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
    last: SimTime,
    down_since: Option<(SimTime, String, f64)>,
    pub metrics: AvailMetrics,
    horizon: SimTime,
    warmup: SimTime,
}

const HOUR_NS: u64 = 3_600_000_000_000;

/// How a probe to a server behaves, for stepping a health checker.
#[derive(Clone, Copy)]
enum Probe {
    Healthy,
    Refused,
    Silent,
    Hung,
}

impl<'m> AvailWorld<'m> {
    pub fn new(m: &'m Model, replication: u32) -> Self {
        let seeds = Seeds::new(m.seed, replication);
        let mut comps = Vec::new();
        let mut add = |kind: Kind, name: String| {
            comps.push(Comp {
                kind,
                up: true,
                mode: Mode::Crash,
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
                name,
            });
        };
        add(Kind::Lb, "lb1".into());
        let web0 = 1;
        for i in 0..m.web.count as usize {
            add(Kind::Web(i), format!("web{}", i + 1));
        }
        let store0 = web0 + m.web.count as usize;
        for j in 0..m.storage.count as usize {
            add(Kind::Storage(j), format!("store{}", j + 1));
        }
        if m.spec.backup.enabled {
            add(Kind::Backup, "backup1".into());
        }
        // Last, so that its RNG streams and index shift nothing else.
        if m.lb_pair_advert_cs.is_some() {
            add(Kind::Lb, "lb2".into());
        }
        // Steady checks: the first check of web i starts at HAProxy's startup offset.
        if let Some(spec) = &m.check {
            let n = m.web.count as usize;
            for i in 0..n {
                comps[web0 + i].check_anchor = SimTime::ZERO + crate::policy::health::startup_offset(spec, i, n);
            }
        }
        let clients = match &m.traffic {
            TrafficModel::Poisson { clients, .. } | TrafficModel::Profile { clients, .. } => *clients,
        };
        let failover = (m.storage.count >= 2)
            .then(|| FailoverController::new(SimTime::ZERO, m.storage.count as usize, m.reliability.failover.clone()));
        let mut batch_rng = seeds.stream("disks/batch");
        if let Some(disk) = m.reliability.disk.as_ref().filter(|d| d.batch_cv > 0.0) {
            let park = frailty(disk.batch_cv, &mut batch_rng);
            for c in comps.iter_mut() {
                let z = if disk.batch_park {
                    park
                } else {
                    frailty(disk.batch_cv, &mut batch_rng)
                };
                c.frailty = [z; 2];
            }
        }
        AvailWorld {
            m,
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
            lb_masterless_since: None,
            backup: m.backup.as_ref().map(|b| BackupController::new(b.config.clone())),
            backup_rng: seeds.stream("backup1/outcomes"),
            batch_rng,
            restores: VecDeque::new(),
            restore_disaster: false,
            disaster_at: None,
            restoring: false,
            restore_snapshot: None,
            swarm: m.reliability.swarm.then(|| Swarm::draw(&mut seeds.stream("swarm"))),
            split_since: None,
            shares: Backend::new(m.backend.clone())
                .routing_shares(clients)
                .expect("the scenario checks that the balancer has steady-state shares"),
            group: Backend::new(m.backend.clone()).routing_group(),
            backend: Backend::new(m.backend.clone()),
            clients,
            last: SimTime::ZERO + m.warmup,
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

    pub fn run(mut self) -> AvailMetrics {
        let window = self.horizon.since(self.warmup);
        let months = (window.as_secs_f64() / MONTH_SECS).ceil().max(1.0) as usize;
        self.metrics.window_ns = window.as_nanos();
        self.metrics.monthly_downtime_ns = vec![0; months];
        self.metrics.monthly_partial_ns = vec![0; months];
        self.metrics.monthly_degraded_ns = vec![0; months];
        self.metrics.offered = offered_between(&self.m.traffic, self.warmup, self.horizon);
        for c in 0..self.comps.len() {
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
        while let Some((now, ev)) = self.q.pop() {
            if now >= self.horizon {
                break;
            }
            // Charge the time since the last event to the state that held, then change it.
            self.account(now);
            self.handle(now, ev);
        }
        self.account(self.horizon);
        if let Some((since, cause, failed_at_start)) = self.down_since.take() {
            self.close_incident(since, self.horizon, cause, failed_at_start);
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
        self.metrics
    }

    // ---- backups and restores -------------------------------------------------------------

    fn backup_comp(&self) -> Option<usize> {
        self.comps.iter().position(|c| c.kind == Kind::Backup)
    }

    fn data_bytes(&self, now: SimTime) -> u64 {
        let b = self.m.backup.as_ref().expect("backups configured");
        (b.data_bytes + b.growth_bytes_per_ns * now.as_nanos() as f64) as u64
    }

    fn schedule_human_error(&mut self, now: SimTime) {
        let rate = self
            .m
            .backup
            .as_ref()
            .expect("backups configured")
            .human_error_rate_per_ns;
        if rate <= 0.0 {
            return;
        }
        let e: f64 = rand_distr::Distribution::sample(&rand_distr::Exp1, &mut self.backup_rng);
        let ns = e / rate;
        if ns < (u64::MAX - now.as_nanos()) as f64 {
            self.q
                .schedule(now + SimDuration::from_nanos(ns as u64), Ev::HumanError);
        }
    }

    fn on_backup_timer(&mut self, now: SimTime) {
        let bytes = self.data_bytes(now);
        let b = self.backup.as_mut().expect("backups configured");
        b.handle_data_size(now, bytes);
        b.handle_timeout(now);
        self.drain_backup_actions(now);
        let next = self.backup.as_ref().expect("backups configured").poll_timeout();
        self.q.schedule(next.max(now), Ev::BackupTimer);
    }

    fn drain_backup_actions(&mut self, now: SimTime) {
        let model = self.m.backup.as_ref().expect("backups configured");
        let epoch = self.backup_comp().map_or(0, |c| self.comps[c].epoch);
        while let Some(a) = self.backup.as_mut().expect("backups configured").poll_action() {
            if let BackupAction::StartBackup {
                id, expected_duration, ..
            } = a
            {
                let u: f64 = self.backup_rng.random();
                let outcome = if u < model.fail_probability {
                    1
                } else if u < model.fail_probability + model.corrupt_probability {
                    2
                } else {
                    0
                };
                self.q.schedule(
                    now + expected_duration,
                    Ev::BackupDone {
                        id: id.0,
                        outcome,
                        epoch,
                    },
                );
            }
        }
    }

    fn on_backup_done(&mut self, now: SimTime, id: u64, outcome: u8, epoch: u32) {
        // The backup server failing mid-run fails the run.
        let server_ok = self
            .backup_comp()
            .is_none_or(|c| self.comps[c].epoch == epoch && self.comps[c].up);
        let outcome = match (server_ok, outcome) {
            (false, _) | (_, 1) => BackupOutcome::Failed,
            (true, 2) => BackupOutcome::SilentlyCorrupt,
            _ => BackupOutcome::Ok,
        };
        self.backup
            .as_mut()
            .expect("backups configured")
            .handle_backup_finished(now, BackupId(id), outcome);
        self.drain_backup_actions(now);
    }

    fn on_restore_requested(&mut self, now: SimTime, error_at: SimTime, disaster: bool) {
        self.restores.push_back((error_at, disaster));
        if !self.restoring {
            self.next_restore(now);
        }
    }

    fn next_restore(&mut self, now: SimTime) {
        let Some((error_at, disaster)) = self.restores.pop_front() else {
            self.restoring = false;
            return;
        };
        self.restoring = true;
        self.restore_disaster = disaster;
        let plan = self
            .backup
            .as_mut()
            .expect("backups configured")
            .plan_restore(error_at, now);
        self.follow_restore(now, plan);
    }

    fn follow_restore(&mut self, now: SimTime, plan: RestorePlan) {
        match plan {
            RestorePlan::Try(attempt) => {
                self.restore_snapshot = Some(attempt.snapshot);
                self.q.schedule(attempt.finishes_at.max(now), Ev::RestoreAttemptDone);
            }
            RestorePlan::Done(report) if self.restore_disaster => {
                if report.error_at >= self.warmup {
                    self.metrics.disaster_rpo_h.push(report.rpo.as_secs_f64() / 3600.0);
                    self.metrics.disaster_rto_h.push(report.rto.as_secs_f64() / 3600.0);
                }
                self.storage_back(now);
                self.next_restore(now);
            }
            RestorePlan::NothingToRestore { error_at, .. } if self.restore_disaster => {
                if error_at >= self.warmup {
                    self.metrics.restores_failed += 1;
                }
                self.storage_back(now);
                self.next_restore(now);
            }
            RestorePlan::Done(report) => {
                if report.error_at >= self.warmup {
                    self.metrics.rpo_h.push(report.rpo.as_secs_f64() / 3600.0);
                    self.metrics.rto_h.push(report.rto.as_secs_f64() / 3600.0);
                    if report.bytes_lost > 0 || !report.rpo.is_zero() {
                        self.metrics.data_loss_events += 1;
                    }
                }
                self.next_restore(now);
            }
            RestorePlan::NothingToRestore { error_at, .. } => {
                if error_at >= self.warmup {
                    self.metrics.restores_failed += 1;
                    self.metrics.data_loss_events += 1;
                }
                self.next_restore(now);
            }
        }
    }

    fn on_restore_attempt_done(&mut self, now: SimTime) {
        // Whether the snapshot reads back clean is a fact of the simulated data, learnt only
        // now by the restore (the controller cannot know it in advance).
        let b = self.backup.as_mut().expect("backups configured");
        let id = self.restore_snapshot.take().expect("a restore attempt runs");
        let clean = !b.snapshots().iter().any(|s| s.id == id && s.corrupt);
        let plan = b.handle_restore_result(now, clean);
        self.follow_restore(now, plan);
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

    /// Next failure of disk `d` of component `c`, at `factor` x the base hazard. Exponential
    /// lifetimes are memoryless, so re-drawing at a changed hazard is exact.
    fn schedule_disk(&mut self, now: SimTime, c: usize, d: usize, factor: f64) {
        let Some(disk) = &self.m.reliability.disk else { return };
        let e: f64 = rand_distr::Distribution::sample(&rand_distr::Exp1, &mut self.comps[c].disk_rng);
        let swarm = self
            .swarm
            .as_ref()
            .map_or(1.0, |sw| if sw.on[4] { sw.intensity[4] } else { 0.0 });
        let ns = e / (disk.rate_per_ns * factor * swarm * self.comps[c].frailty[d]);
        let at = if ns >= (u64::MAX - now.as_nanos()) as f64 {
            SimTime::MAX
        } else {
            now + SimDuration::from_nanos(ns as u64)
        };
        let comp = &mut self.comps[c];
        comp.disk_draw[d] = comp.disk_draw[d].wrapping_add(1);
        let draw = comp.disk_draw[d];
        if at < SimTime::MAX && disk.smart_share > 0.0 && comp.disk_rng.random::<f64>() < disk.smart_share {
            let lead = disk.smart_lead.sample(&mut comp.disk_rng);
            if at.as_nanos() > now.as_nanos() + lead.as_nanos() {
                let warn = SimTime::from_nanos(at.as_nanos() - lead.as_nanos());
                self.q.schedule(
                    warn,
                    Ev::SmartWarning {
                        comp: c as u32,
                        disk: d as u8,
                        draw,
                    },
                );
            }
        }
        let comp = &mut self.comps[c];
        if at < SimTime::MAX {
            self.q.schedule(
                at,
                Ev::DiskFail {
                    comp: c as u32,
                    disk: d as u8,
                    array_epoch: comp.array_epoch,
                    draw,
                },
            );
        }
    }

    fn handle(&mut self, now: SimTime, ev: Ev) {
        match ev {
            Ev::SmartWarning { comp, disk, draw } => {
                let (c, d) = (comp as usize, disk as usize);
                if self.comps[c].disk_draw[d] == draw && self.comps[c].disks[d] == DiskState::Ok {
                    if now >= self.warmup {
                        self.metrics.smart_warnings += 1;
                    }
                    let delay = self.notice_delay(now, c, SMART_WARNING.rule);
                    let epoch = self.comps[c].epoch;
                    self.q.schedule(
                        now + delay,
                        Ev::Noticed {
                            job_comp: comp,
                            epoch,
                            disk: disk | SMART_FLAG,
                        },
                    );
                }
            }
            Ev::BackupTimer => self.on_backup_timer(now),
            Ev::BackupDone { id, outcome, epoch } => self.on_backup_done(now, id, outcome, epoch),
            Ev::HumanError => {
                if now >= self.warmup {
                    self.metrics.human_errors += 1;
                }
                let delay = self
                    .m
                    .backup
                    .as_ref()
                    .expect("backups configured")
                    .notice
                    .sample(&mut self.backup_rng);
                self.q.schedule(
                    now + delay,
                    Ev::RestoreRequested {
                        error_at_ns: now.as_nanos(),
                    },
                );
                self.schedule_human_error(now);
            }
            Ev::RestoreRequested { error_at_ns } => {
                self.on_restore_requested(now, SimTime::from_nanos(error_at_ns), false)
            }
            Ev::RestoreAttemptDone => self.on_restore_attempt_done(now),
            Ev::Fail { comp, epoch } => {
                let c = comp as usize;
                if self.comps[c].epoch == epoch && self.comps[c].up {
                    if self.over_budget(c) {
                        if now >= self.warmup {
                            self.metrics.faults_suppressed_by_budget += 1;
                        }
                        self.schedule_failure(now, c);
                        return;
                    }
                    let u: f64 = self.modes.random();
                    let k = self.class_index(c);
                    // Swarm draws mix crash, process death and hang only.
                    let modes = self.swarm.as_ref().map_or(self.class(c).modes, |sw| {
                        let m = sw.modes[k];
                        [m[0], m[1], m[2], 1.0, 1.0]
                    });
                    let mode = if u < modes[0] {
                        Mode::Crash
                    } else if u < modes[1] {
                        Mode::ProcessDeath
                    } else if u < modes[2] {
                        Mode::Hang
                    } else if u < modes[3] {
                        Mode::Slowdown
                    } else {
                        Mode::LinkDown
                    };
                    // A dead link is always visible to lb1's checks.
                    let covered = !matches!(self.comps[c].kind, Kind::Web(_))
                        || self.modes.random::<f64>() < self.m.reliability.coverage
                        || mode == Mode::LinkDown;
                    self.fail(now, c, mode, covered);
                }
            }
            Ev::Noticed { job_comp, epoch, disk } => {
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
            Ev::JobDone { job } => self.job_done(now, job as usize),
            Ev::LbDown { comp, epoch } => {
                let c = comp as usize;
                if self.comps[c].epoch == epoch {
                    self.set_in_lb(now, c, false);
                }
            }
            Ev::LbUp { comp, epoch } => {
                let c = comp as usize;
                if self.comps[c].epoch == epoch {
                    self.set_in_lb(now, c, true);
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
            } => {
                let c = comp as usize;
                let d = disk as usize;
                if self.comps[c].array_epoch == array_epoch && self.comps[c].disks[d] == DiskState::Rebuilding {
                    self.comps[c].disks[d] = DiskState::Ok;
                    // Both disks healthy again: back to the base hazard.
                    self.schedule_disk(now, c, d, 1.0);
                    self.schedule_disk(now, c, 1 - d, 1.0);
                }
            }
            Ev::StorageRestored { epoch } => {
                if self.storage_epoch == epoch {
                    self.storage_ok = true;
                }
            }
            Ev::LbMaster { comp, epoch } => {
                if self.lb_epoch == epoch && self.comps[comp as usize].up {
                    self.lb_master = Some(comp as usize);
                    if let Some(since) = self.lb_masterless_since.take()
                        && since >= self.warmup
                    {
                        self.metrics.lb_takeover_ms.push(now.since(since).as_millis_f64());
                    }
                }
            }
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

    fn fail(&mut self, now: SimTime, c: usize, mode: Mode, covered: bool) {
        self.metrics.failures += 1;
        let kind = match mode {
            Mode::Crash => FaultKind::Crash,
            Mode::ProcessDeath => FaultKind::ProcessDeath,
            Mode::Hang => FaultKind::Hang,
            Mode::Slowdown => FaultKind::Slow,
            Mode::LinkDown => FaultKind::Partition,
        };
        self.log_fault(now, c, kind, covered);
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
            Kind::Web(_) if mode == Mode::Slowdown => {}
            Kind::Web(_) if covered => {
                if let Some(t) = self.detect(now, c) {
                    if now >= self.warmup {
                        self.metrics.detect_ms.push(t.since(now).as_millis_f64());
                    }
                    self.q.schedule(t, Ev::LbDown { comp: c as u32, epoch });
                }
            }
            Kind::Storage(j) => self.storage_failed(now, j),
            Kind::Lb => self.lb_failed(now, c),
            Kind::Backup => {
                if let Some(b) = self.backup.as_mut() {
                    b.handle_target_down(now);
                }
            }
            _ => {}
        }
        let notice = if mode == Mode::Slowdown {
            self.notice_delay(now, c, HIGH_LOAD.rule)
        } else {
            self.notice_delay(now, c, INSTANCE_DOWN.rule)
        };
        self.q.schedule(
            now + notice,
            Ev::Noticed {
                job_comp: c as u32,
                epoch,
                disk: u8::MAX,
            },
        );
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
        let link = kind == FaultKind::Partition || (kind == FaultKind::Recover && comp.mode == Mode::LinkDown);
        let kind = if link && kind == FaultKind::Recover {
            FaultKind::Heal
        } else {
            kind
        };
        if replayable {
            self.metrics.fault_log.push(Fault {
                at: format!("{}ns", now.as_nanos()),
                target: comp.name.clone(),
                kind,
                factor: (kind == FaultKind::Slow).then_some(self.m.reliability.web.slowdown_factor),
                peer: link.then(|| "lb1".to_string()),
                direction: None,
            });
        } else {
            self.metrics.faults_not_replayable += 1;
        }
    }

    /// When on-call learns of a failure at `now`.
    fn notice_delay(&mut self, now: SimTime, c: usize, alert: &'static str) -> SimDuration {
        if self.m.reliability.instant {
            return SimDuration::ZERO;
        }
        let watch = match alert {
            a if a == SMART_WARNING.rule => SMART_WARNING,
            a if a == HIGH_LOAD.rule => HIGH_LOAD,
            _ => INSTANCE_DOWN,
        };
        let d = page_delay(now, watch);
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
        d
    }

    fn enqueue(&mut self, now: SimTime, job: Job) {
        self.jobs.push_back(job);
        self.start_jobs(now);
    }

    fn start_jobs(&mut self, now: SimTime) {
        while self.crews_free > 0 {
            let Some(job) = self.jobs.pop_front() else { return };
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

    /// The hazard multiplier of a new batch of disks (1 without batch correlation).
    fn new_batch(&mut self) -> f64 {
        match self.m.reliability.disk.as_ref() {
            Some(d) if d.batch_cv > 0.0 => frailty(d.batch_cv, &mut self.batch_rng),
            _ => 1.0,
        }
    }

    fn repaired(&mut self, now: SimTime, c: usize) {
        self.metrics.repairs += 1;
        // The end of an overload episode: the fluid account charged the whole excess as
        // failed, but a real server first fills its accept queue (nothing fails meanwhile) and
        // serves that backlog after the repair: workers + queue_max requests, or as many as it
        // serves within `timeout server` if that is less.
        let charged = std::mem::take(&mut self.comps[c].overload_failed);
        if charged > 0.0 {
            let capacity = f64::from(self.m.web.workers) / self.slowed_holding_s();
            let backlog = f64::from(self.m.web.workers + self.m.web.queue_max)
                .min(capacity * self.m.timeout_server.as_secs_f64());
            self.metrics.failed -= charged.min(backlog);
        }
        self.log_fault(now, c, FaultKind::Recover, true);
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
            Kind::Web(_) => {
                if self.comps[c].in_lb {
                    // A gray failure never left the rotation; the repaired server just works.
                } else if let Some(t) = self.recover(now, c) {
                    self.q.schedule(t, Ev::LbUp { comp: c as u32, epoch });
                }
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

    // ---- lb1 health checks ---------------------------------------------------------------

    fn rtt(&self, c: usize) -> SimDuration {
        let Kind::Web(i) = self.comps[c].kind else {
            unreachable!()
        };
        SimDuration::from_nanos((2.0 * self.m.topology.lb_web_latency(i).mean_ns()).round() as u64)
    }

    /// Instant lb1 marks web `c` DOWN after it failed at `now`, by stepping HAProxy's checker
    /// from its steady phase. `None` without health checks or in instant-detection mode
    /// (then DOWN is immediate).
    fn detect(&mut self, now: SimTime, c: usize) -> Option<SimTime> {
        if self.m.reliability.instant {
            return Some(now);
        }
        let spec = self.m.check.as_ref()?;
        let rtt = self.rtt(c);
        // Steady state until the failure: the checker says when its next check starts.
        let next = spec.steady_next_check(self.comps[c].check_anchor, rtt, now);
        let mut checker = HealthChecker::resume_up(spec.clone(), next);
        let mode = self.comps[c].mode;
        let behaviour = move |_t: SimTime| match mode {
            Mode::Crash | Mode::LinkDown => Probe::Silent,
            Mode::ProcessDeath => Probe::Refused,
            Mode::Hang => Probe::Hung,
            Mode::Slowdown => unreachable!("a slowed server is never checked DOWN"),
        };
        let down = step_checker(&mut checker, rtt, behaviour, |t| matches!(t, Transition::Down));
        self.comps[c].checker = Some(checker);
        Some(down)
    }

    /// Instant lb1 marks web `c` UP again after its repair at `now`.
    fn recover(&mut self, now: SimTime, c: usize) -> Option<SimTime> {
        if self.m.reliability.instant || self.m.check.is_none() {
            return Some(now);
        }
        let rtt = self.rtt(c);
        let mode = self.comps[c].mode;
        let mut checker = self.comps[c].checker.take()?;
        let behaviour = move |t: SimTime| {
            if t >= now {
                Probe::Healthy
            } else {
                match mode {
                    Mode::Crash | Mode::LinkDown => Probe::Silent,
                    Mode::ProcessDeath => Probe::Refused,
                    Mode::Hang => Probe::Hung,
                    Mode::Slowdown => Probe::Healthy,
                }
            }
        };
        let up = step_checker(&mut checker, rtt, behaviour, |t| matches!(t, Transition::Up));
        // Steady again: the next check is the new anchor.
        self.comps[c].check_anchor = checker.poll_timeout();
        Some(up)
    }

    // ---- balancer pair (VRRP) ----------------------------------------------------------

    /// The other balancer of the pair, if any.
    fn lb_peer(&self, c: usize) -> Option<usize> {
        self.m.lb_pair_advert_cs?;
        let lbs: Vec<usize> = (0..self.comps.len())
            .filter(|&i| self.comps[i].kind == Kind::Lb)
            .collect();
        lbs.into_iter().find(|&i| i != c)
    }

    /// VRRP priority and address: lb1 is the preferred master.
    fn vrrp_config(&self, c: usize) -> VrrpConfig {
        let (prio, addr) = if c == 0 { (200, 1) } else { (100, 2) };
        let mut cfg = VrrpConfig::new(prio, addr);
        cfg.advert_interval_cs = self.m.lb_pair_advert_cs.expect("a pair");
        cfg
    }

    fn lb_failed(&mut self, now: SimTime, c: usize) {
        if self.lb_master != Some(c) {
            return; // the backup failed: nobody notices but on-call
        }
        self.lb_master = None;
        self.lb_masterless_since = Some(now);
        self.lb_epoch = self.lb_epoch.wrapping_add(1);
        let Some(peer) = self.lb_peer(c).filter(|&p| self.comps[p].up) else {
            return;
        };
        // The backup heard the master's last advertisement on the advert grid before the
        // failure, and takes over when its Master_Down_Timer runs out (RFC 5798 6.4.2).
        let cs = self.m.lb_pair_advert_cs.expect("a pair");
        let interval = crate::policy::vrrp::centis(u32::from(cs));
        let last = SimTime::from_nanos(now.as_nanos() / interval.as_nanos() * interval.as_nanos());
        let master = self.vrrp_config(c);
        let mut r = VrrpRouter::new(self.vrrp_config(peer));
        r.handle_startup(last);
        r.handle_advertisement(last, master.priority, master.address, cs);
        let t = step_vrrp(&mut r);
        let epoch = self.lb_epoch;
        self.q.schedule(
            t.max(now),
            Ev::LbMaster {
                comp: peer as u32,
                epoch,
            },
        );
    }

    fn lb_repaired(&mut self, now: SimTime, c: usize) {
        if self.m.lb_pair_advert_cs.is_none() {
            self.lb_master = Some(c);
            if let Some(since) = self.lb_masterless_since.take()
                && since >= self.warmup
            {
                self.metrics.lb_takeover_ms.push(now.since(since).as_millis_f64());
            }
            return;
        }
        // The repaired router starts as backup; it becomes master when its Master_Down_Timer
        // runs out without hearing a better master: at once in effect if nobody is master,
        // by preemption if it has the higher priority (no outage either way while a master
        // serves).
        let peer_master = self.lb_master.filter(|&p| p != c);
        let mut r = VrrpRouter::new(self.vrrp_config(c));
        r.handle_startup(now);
        if let Some(p) = peer_master {
            let cfg = self.vrrp_config(p);
            r.handle_advertisement(now, cfg.priority, cfg.address, cfg.advert_interval_cs);
            if cfg.priority > self.vrrp_config(c).priority {
                return; // stays backup
            }
        }
        let t = step_vrrp(&mut r);
        if peer_master.is_none() {
            self.lb_epoch = self.lb_epoch.wrapping_add(1);
        }
        let epoch = self.lb_epoch;
        self.q.schedule(t, Ev::LbMaster { comp: c as u32, epoch });
    }

    // ---- storage pair ---------------------------------------------------------------------

    fn storage_failed(&mut self, now: SimTime, j: usize) {
        let Some(fo) = self.failover.as_mut() else {
            self.storage_ok = false;
            self.storage_epoch = self.storage_epoch.wrapping_add(1);
            return;
        };
        if fo.primary() != Some(j) {
            return; // a replica: no service impact; the controller learns at the next takeover
        }
        self.storage_ok = false;
        self.storage_epoch = self.storage_epoch.wrapping_add(1);
        if let Some(t) = self.run_failover(now, Some(j)) {
            if now >= self.warmup {
                self.metrics.takeover_ms.push(t.since(now).as_millis_f64());
                self.metrics.failovers += 1;
                let lost = self.failover.as_ref().expect("a takeover ran").data_loss_on_failover();
                self.metrics.failover_lost_writes_ns += lost.as_nanos();
            }
            let epoch = self.storage_epoch;
            self.q.schedule(t, Ev::StorageRestored { epoch });
        }
    }

    /// After a disaster restore, the restored node takes the primary role.
    fn storage_back(&mut self, now: SimTime) {
        if self.failover.is_none() {
            self.storage_ok = true;
            return;
        }
        if let Some(done) = self.run_failover(now, None) {
            let epoch = self.storage_epoch;
            self.q.schedule(done, Ev::StorageRestored { epoch });
        }
    }

    fn storage_rejoined(&mut self, now: SimTime, j: usize) {
        // The disaster path: both copies were lost, so the repaired node is empty and the
        // database must come back from the backup server before anything can write.
        let disaster = self.disaster_at.take();
        let Some(fo) = self.failover.as_mut() else {
            self.storage_ok = true;
            return;
        };
        let t = now.max(fo.last_now());
        // Heartbeats are delivered lazily: every live node's, at once, before anything else,
        // so no live node looks dead for the months nothing was reported.
        let live: Vec<usize> = (0..self.m.storage.count as usize)
            .filter(|&k| self.comps[self.store0 + k].up)
            .collect();
        fo.handle_heartbeats(t, &live);
        // A replica that failed and came back between takeovers was never declared dead.
        if fo.role(j) == Role::Down {
            fo.handle_node_rejoined(t, j);
        }
        if let Some(lost_at) = disaster {
            if self.backup.is_some() {
                self.on_restore_requested(now, lost_at, true);
            } else {
                // No backups: the site comes back with an empty database.
                self.storage_back(now);
            }
            return;
        }
        let store0 = self.store0;
        if fo.primary().is_none_or(|p| !self.comps[store0 + p].up) {
            // Nothing was writable: the returning node ends the stall.
            if let Some(done) = self.run_failover(now, None) {
                let epoch = self.storage_epoch;
                self.q.schedule(done, Ev::StorageRestored { epoch });
            }
        }
        if let Some(since) = self.split_since.take() {
            self.metrics.split_brain_ns += now.saturating_since(since.max(self.warmup)).as_nanos();
        }
    }

    /// Step the failover controller from `now` (the failure of `failed`) until a writable
    /// primary exists again; returns when. Heartbeats of live nodes are delivered on their
    /// grid; the failed node's stop at its last heartbeat before `now`.
    fn run_failover(&mut self, now: SimTime, failed: Option<usize>) -> Option<SimTime> {
        let store0 = self.store0;
        let n = self.m.storage.count as usize;
        let cfg = &self.m.reliability.failover;
        let hb = cfg.heartbeat_interval;
        let alive: Vec<bool> = (0..n).map(|j| self.comps[store0 + j].up).collect();
        // A partitioned node (storage `hang`) is alive and writable but silent.
        let partitioned: Vec<bool> = (0..n)
            .map(|j| !self.comps[store0 + j].up && self.comps[store0 + j].mode == Mode::Hang)
            .collect();
        let fo = self.failover.as_mut().expect("failover controller");
        // Heartbeats are delivered lazily: every node that was running sent its last one at
        // the grid point before `now` (the failed node's last ever), all at once, before any
        // timer runs, so no node looks dead for the months nothing was reported.
        let last = SimTime::from_nanos(now.as_nanos() / hb.as_nanos() * hb.as_nanos()).max(fo.last_now());
        let running: Vec<usize> = (0..n).filter(|&j| alive[j] || failed == Some(j)).collect();
        fo.handle_heartbeats(last, &running);
        let live: Vec<usize> = (0..n).filter(|&j| alive[j]).collect();
        let mut t = now.max(fo.last_now());
        let mut fences: Vec<(SimTime, usize)> = Vec::new();
        let mut promotions: Vec<(SimTime, usize)> = Vec::new();
        let mut fenced = vec![false; n];
        for _ in 0..EPISODE_STEPS_MAX {
            fo.handle_heartbeats(t, &live);
            // Oracle: never more than one writable node among those really running.
            let writable = fo
                .writable_nodes()
                .into_iter()
                .filter(|&j| (alive[j] || partitioned[j]) && !fenced[j])
                .count();
            if writable > 1 && self.split_since.is_none() {
                self.split_since = Some(t);
            }
            if let Some(p) = fo.primary()
                && alive[p]
                && fo.poll_timeout().is_none_or(|x| x > t + hb)
                && fences.is_empty()
                && promotions.is_empty()
            {
                return Some(t);
            }
            while let Some(a) = fo.poll_action() {
                match a {
                    FoAction::Fence { node } => fences.push((t + cfg.fence_duration, node)),
                    FoAction::Promote { node } => promotions.push((t + cfg.promotion_time, node)),
                    FoAction::Demote { .. } => {}
                }
            }
            // Next instant: the controller's timer, a fence or promotion finishing, or the next
            // heartbeat grid point.
            let grid = SimTime::from_nanos((t.as_nanos() / hb.as_nanos() + 1) * hb.as_nanos());
            let mut next = grid;
            if let Some(x) = fo.poll_timeout() {
                next = next.min(x.max(t));
            }
            for (x, _) in fences.iter().chain(promotions.iter()) {
                next = next.min(*x);
            }
            t = next;
            if let Some(i) = fences.iter().position(|(x, _)| *x == t) {
                let (_, node) = fences.remove(i);
                fenced[node] = true;
                fo.handle_fence_result(t, node, true);
            } else if let Some(i) = promotions.iter().position(|(x, _)| *x == t) {
                let (_, node) = promotions.remove(i);
                fo.handle_promotion_done(t, node);
            } else {
                fo.handle_timeout(t);
            }
            if alive.iter().all(|a| !a) {
                return None; // nothing to promote until a node is repaired
            }
        }
        panic!("storage takeover did not settle within {EPISODE_STEPS_MAX} steps");
    }

    // ---- disks ----------------------------------------------------------------------------

    fn disk_failed(&mut self, now: SimTime, c: usize, d: usize, array_epoch: u32, draw: u32) {
        if self.comps[c].disk_draw[d] != draw
            || self.comps[c].array_epoch != array_epoch
            || self.comps[c].disks[d] != DiskState::Ok
        {
            return;
        }
        let partner = self.comps[c].disks[1 - d];
        if self.m.reliability.budget_design && partner != DiskState::Ok {
            // The design survives one disk per mirror: do not fail the last copy.
            if now >= self.warmup {
                self.metrics.faults_suppressed_by_budget += 1;
            }
            self.schedule_disk(now, c, d, 1.0);
            return;
        }
        self.comps[c].disks[d] = DiskState::Failed;
        if now >= self.warmup {
            self.metrics.disk_failures += 1;
        }
        if partner == DiskState::Ok {
            // Degraded: the survivor carries on at a raised hazard until the rebuild is done.
            let factor = self.m.reliability.disk.as_ref().expect("disks").degraded_factor;
            self.schedule_disk(now, c, 1 - d, factor);
            let notice = self.notice_delay(now, c, RAID_DEGRADED);
            let epoch = self.comps[c].epoch;
            self.q.schedule(
                now + notice,
                Ev::Noticed {
                    job_comp: c as u32,
                    epoch,
                    disk: d as u8,
                },
            );
        } else {
            // The mirror's last good copy is gone: the array is lost with its data.
            if now >= self.warmup {
                self.metrics.raid_array_losses += 1;
            }
            self.comps[c].array_epoch = self.comps[c].array_epoch.wrapping_add(1);
            if let Kind::Storage(_) = self.comps[c].kind {
                let other_has_data = (0..self.m.storage.count as usize).any(|j| {
                    self.store0 + j != c
                        && self.comps[self.store0 + j]
                            .disks
                            .iter()
                            .all(|x| *x != DiskState::Failed)
                });
                if !other_has_data {
                    self.disaster_at = Some(now);
                    if now >= self.warmup {
                        self.metrics.data_loss_events += 1;
                    }
                }
            }
            if self.comps[c].up {
                self.fail(now, c, Mode::Crash, true);
            }
        }
    }

    // ---- accounting -----------------------------------------------------------------------

    /// Share of offered requests that fail in the current state, and the cause.
    /// Also returns, per overloaded slowed web server (component index), its failing share.
    fn failing(&self, rate_per_s: f64) -> (f64, Option<String>, Vec<(usize, f64)>) {
        match self.lb_master {
            Some(l) if self.comps[l].up => {}
            _ => return (1.0, Some("no balancer holds the site address".into()), Vec::new()),
        }
        let needs_storage = self.m.storage_reads > 0 || self.m.write_fraction > 0.0;
        if needs_storage && !self.storage_ok {
            return (1.0, Some("no writable storage primary".into()), Vec::new());
        }
        // lb1's routing set and shares, from its backend (weight 0 and backups included).
        let shares = &self.shares;
        let web = &self.comps[self.web0..self.web0 + shares.len()];
        let routed: Vec<usize> = (0..shares.len()).filter(|&i| shares[i] > 0.0).collect();
        if routed.is_empty() {
            return (1.0, Some("no web server in rotation".into()), Vec::new());
        }
        let serving = |i: usize| web[i].up || web[i].mode == Mode::Slowdown;
        // Retries go to the whole group, including servers with no share of first picks.
        if self.group.iter().all(|&i| !serving(i)) {
            return (1.0, Some("every web server in rotation has failed".into()), Vec::new());
        }
        // Undetected failures in rotation: a hang or a gray failure fails its share; a crash
        // or refused connection is retried on another server (slow, but served).
        let mut failing: f64 = routed
            .iter()
            .filter(|&&i| !serving(i) && (web[i].mode == Mode::Hang || !web[i].covered))
            .map(|&i| shares[i])
            .sum();
        // A slowed server fails the part of its share beyond its capacity (fluid
        // approximation: workers / holding time, at the mean offered rate of the period).
        let mut overloaded = Vec::new();
        for &i in routed.iter().filter(|&&i| !web[i].up && web[i].mode == Mode::Slowdown) {
            let offered = rate_per_s * shares[i];
            let capacity = f64::from(self.m.web.workers) / self.slowed_holding_s();
            if offered > capacity {
                let share = shares[i] * (1.0 - capacity / offered);
                failing += share;
                overloaded.push((self.web0 + i, share));
            }
        }
        let cause = (failing > 0.0).then(|| {
            let names: Vec<&str> = routed
                .iter()
                .filter(|&&i| !web[i].up)
                .map(|&i| web[i].name.as_str())
                .collect();
            format!("undetected failure of {}", names.join(", "))
        });
        assert!((0.0..=1.0 + 1e-9).contains(&failing), "failing share {failing}");
        (failing.min(1.0), cause, overloaded)
    }

    /// lb1 marks web `c` DOWN or UP: the backend learns it and gives its new routing shares.
    fn set_in_lb(&mut self, now: SimTime, c: usize, up: bool) {
        let Kind::Web(i) = self.comps[c].kind else {
            unreachable!("only web servers are in lb1's backend")
        };
        self.comps[c].in_lb = up;
        self.backend.handle_server_state(now, i, up);
        assert!(
            self.backend.poll_dispatch().is_none() && self.backend.queued() == 0,
            "aggregate traffic never queues a request in the backend"
        );
        self.shares = self
            .backend
            .routing_shares(self.clients)
            .expect("the scenario checks that the balancer has steady-state shares");
        self.group = self.backend.routing_group();
    }

    /// Charge the time since the last state change to the state that held.
    fn account(&mut self, now: SimTime) {
        let now = now.min(self.horizon);
        if now <= self.last {
            return;
        }
        let a = self.last;
        let offered = offered_between(&self.m.traffic, a, now);
        let rate = offered / now.since(a).as_secs_f64();
        let (frac, cause, overloaded) = self.failing(rate);
        self.last = now;
        let failed_before = self.metrics.failed;
        if frac > 0.0 {
            self.metrics.failed += frac * offered;
            for (c, share) in overloaded {
                self.comps[c].overload_failed += share * offered;
            }
        }
        let down = frac >= 1.0;
        if down {
            self.metrics.downtime_ns += now.since(a).as_nanos();
            spread_over_months(&mut self.metrics.monthly_downtime_ns, self.warmup, a, now, 1.0);
        } else if frac > 0.0 {
            spread_over_months(&mut self.metrics.monthly_partial_ns, self.warmup, a, now, frac);
        }
        if !down && self.degraded() {
            spread_over_months(&mut self.metrics.monthly_degraded_ns, self.warmup, a, now, 1.0);
        }
        // Incident log: a period where some requests fail.
        match (&self.down_since, frac > 0.0) {
            (None, true) => self.down_since = Some((a, cause.unwrap_or_default(), failed_before)),
            (Some(_), false) => {
                let (since, c, f0) = self.down_since.take().expect("open incident");
                self.close_incident(since, a, c, f0);
            }
            _ => {}
        }
    }

    /// How long a request holds a worker of a slowed web server [s]: its CPU time x the
    /// slowdown factor, plus its storage calls.
    fn slowed_holding_s(&self) -> f64 {
        let storage_ns = f64::from(self.m.storage_reads) * self.m.storage.service.mean_ns()
            + self.m.write_fraction * self.m.storage_write.mean_ns();
        (self.m.web.service.mean_ns() * self.m.reliability.web.slowdown_factor + storage_ns) / 1e9
    }

    /// Some active web server is not serving: failed, or out of lb1's rotation.
    fn degraded(&self) -> bool {
        let servers = &self.m.backend.servers;
        let web = &self.comps[self.web0..self.web0 + servers.len()];
        (0..servers.len()).any(|i| !(servers[i].backup || web[i].up && web[i].in_lb))
    }

    fn close_incident(&mut self, start: SimTime, end: SimTime, cause: String, failed_before: f64) {
        self.metrics.incidents_total += 1;
        if self.metrics.incidents.len() < INCIDENTS_MAX {
            self.metrics.incidents.push(Incident {
                start_h: start.as_secs_f64() / 3600.0,
                end_h: end.as_secs_f64() / 3600.0,
                cause,
                failed_requests: self.metrics.failed - failed_before,
            });
        }
    }
}

/// A batch's hazard multiplier: the shared-frailty model of correlated lifetimes, Z gamma with
/// coefficient of variation `cv` < 1 (shape k = 1/cv^2 > 1), scaled by E[1/Z] = k/(k-1) so the
/// mean lifetime stays 1/rate: the AFR remains the fleet's long-run replacement rate (a
/// replaced slot renews at 1/E[lifetime]), and only the clustering changes.
fn frailty(cv: f64, rng: &mut StreamRng) -> f64 {
    let shape = 1.0 / (cv * cv);
    let g = rand_distr::Gamma::new(shape, 1.0 / shape).expect("validated 0 < cv < 1");
    rand_distr::Distribution::sample(&g, rng) * shape / (shape - 1.0)
}

/// Add `weight * (b - a)` to the months of the measured window (starting at `warmup`) that
/// `[a, b)` overlaps.
fn spread_over_months(slots: &mut [u64], warmup: SimTime, a: SimTime, b: SimTime, weight: f64) {
    let month_ns = (MONTH_SECS * 1e9) as u64;
    let mut t = a;
    while t < b {
        let m = (t.since(warmup).as_nanos() / month_ns) as usize;
        let end = (warmup + SimDuration::from_nanos((m as u64 + 1) * month_ns)).min(b);
        if let Some(slot) = slots.get_mut(m) {
            *slot += (end.since(t).as_nanos() as f64 * weight).round() as u64;
        }
        t = end;
    }
}

/// The alerts the availability mode pages with: the rules it steps (`InstanceDown`,
/// `HighLoad`, `SmartWarning`) and `RaidDegraded` (mdadm's degraded-array event, paged with
/// `InstanceDown`'s timing).
pub const ALERTS: [&str; 4] = ["InstanceDown", "HighLoad", "SmartWarning", RAID_DEGRADED];
const RAID_DEGRADED: &str = "RaidDegraded";

/// What an alert watches: the Prometheus rule's name, its metric, and the sample values
/// before and after the event.
#[derive(Clone, Copy)]
pub struct Watch {
    pub rule: &'static str,
    pub metric: Metric,
    pub healthy: f64,
    pub bad: f64,
}

/// `up == 0 for 5m` (the Prometheus documentation's example rule).
pub const INSTANCE_DOWN: Watch = Watch {
    rule: "InstanceDown",
    metric: Metric::Up,
    healthy: 1.0,
    bad: 0.0,
};
/// `load per core > 1 for 10m`: how on-call learns of a slowed server (an assumption: its
/// CPU demand rises with the slowdown).
pub const HIGH_LOAD: Watch = Watch {
    rule: "HighLoad",
    metric: Metric::LoadPerCore,
    healthy: 0.3,
    bad: 2.0,
};
/// A SMART health warning (`for: 0`).
pub const SMART_WARNING: Watch = Watch {
    rule: "SmartWarning",
    metric: Metric::SmartWarning,
    healthy: 0.0,
    bad: 1.0,
};

/// Delay from an event at `now` to the on-call page, decided by the alerting machines:
/// Prometheus evaluates the rule every minute and Alertmanager waits `group_wait`. The
/// machines are time-translation invariant on their evaluation grid, so one episode is run on a
/// local clock aligned to the grid point before the event.
pub fn page_delay(now: SimTime, watch: Watch) -> SimDuration {
    let cfg = AlertingConfig::default();
    let eval = cfg.evaluation_interval;
    let base = SimTime::from_nanos(now.as_nanos() / eval.as_nanos() * eval.as_nanos());
    let offset = now.since(base);
    let mut a = Alerting::new(cfg, default_rules());
    let local_event = SimTime::ZERO + offset;
    for _ in 0..EPISODE_STEPS_MAX {
        let t = a.poll_timeout();
        // The target is scraped at every evaluation.
        let value = if t < local_event { watch.healthy } else { watch.bad };
        if watch.metric != Metric::Up {
            a.handle_sample(t, 0, Metric::Up, 1.0);
        }
        a.handle_sample(t, 0, watch.metric, value);
        a.handle_timeout(t);
        while let Some(n) = a.poll_notification() {
            if n.status == NotificationStatus::Firing && n.target == 0 && n.alert == watch.rule {
                return n.at.since(local_event);
            }
        }
    }
    panic!("the alert pipeline never paged for {}", watch.rule);
}

/// Step a VRRP router without advertisements until it becomes master; returns when.
fn step_vrrp(r: &mut VrrpRouter) -> SimTime {
    for _ in 0..EPISODE_STEPS_MAX {
        let t = r
            .poll_timeout()
            .expect("a backup router always has its Master_Down_Timer");
        r.handle_timeout(t);
        while let Some(a) = r.poll_action() {
            if matches!(a, VrrpAction::BecameMaster) {
                return t;
            }
        }
    }
    panic!("VRRP router never became master within {EPISODE_STEPS_MAX} steps");
}

/// Step a health checker with probes behaving per `behaviour(start)` (round trip `rtt`)
/// until a transition matching `want`; returns its instant.
fn step_checker(
    c: &mut HealthChecker,
    rtt: SimDuration,
    behaviour: impl Fn(SimTime) -> Probe,
    want: impl Fn(&Transition) -> bool,
) -> SimTime {
    // Pending driver inputs: (time, seq, connected-only?, outcome).
    let mut pending: Option<(SimTime, u64, bool, ProbeOutcome)> = None;
    for _ in 0..EPISODE_STEPS_MAX {
        let timer = c.poll_timeout();
        let (t, deliver) = match pending {
            Some((at, ..)) if at <= timer => (at, true),
            _ => (timer, false),
        };
        if deliver {
            let (at, seq, connected_only, outcome) = pending.take().expect("pending input");
            if connected_only {
                c.handle_connected(at, seq);
            } else {
                c.handle_probe_result(at, seq, outcome);
            }
        } else {
            c.handle_timeout(t);
        }
        while let Some(p) = c.poll_probe() {
            pending = match behaviour(p.started) {
                Probe::Healthy => Some((p.started + rtt, p.seq, false, ProbeOutcome::Passed)),
                Probe::Refused => Some((p.started + rtt, p.seq, false, ProbeOutcome::Refused)),
                Probe::Hung => Some((p.started + rtt, p.seq, true, ProbeOutcome::Passed)),
                Probe::Silent => None,
            };
        }
        while let Some(tr) = c.poll_transition() {
            if want(&tr) {
                return t;
            }
        }
    }
    panic!("health checker never reached the wanted state within {EPISODE_STEPS_MAX} steps");
}

/// Run every availability replication on `jobs` threads, in replication order.
pub fn run_replications(model: &Model, jobs: usize, on_done: &(dyn Fn() + Sync)) -> Vec<AvailMetrics> {
    super::run_indexed(model.replications, jobs, on_done, |i| AvailWorld::new(model, i).run())
}
