//! The world model and its driver: requests flowing clients -> lb1 -> web -> storage.
//!
//! One `World` is one replication. It owns the event queue, the servers' runtime state and the
//! policy state machines (the HAProxy backend and one health checker per web server), feeds
//! them inputs with `handle_*` and acts on what they `poll_*`. Policy code decides; this module
//! only moves requests and time. It must never read a clock, spawn a thread, or iterate a
//! hash map: a replication is a pure function of (model, seeds).
//!
//! Request life: arrive at lb1 -> balancer decides (dispatch / queue / reject) -> connect to
//! the web server (refused, timed out, or accepted) -> web queue -> CPU -> sequential storage
//! calls to the storage primary (the web worker is held meanwhile) -> response to lb1.
//! `timeout server` runs from acceptance; a request it expires is failed (504) and the web
//! worker finishes it without a client (as PHP does with `ignore_user_abort`).
//!
//! This file holds the `World`, its event loop and request slots; the seams are files:
//! `balancer` (lb1), `web` (web tier), `storage` (storage tier), `health` (lb1's checks),
//! `faults` (scripted and drawn failures), `monitoring` (scrapes and pages), `failover`
//! (partitions and the storage pair), `maintenance` (planned rolling maintenance), `capacity`
//! (the capacity schedule).

mod balancer;
mod capacity;
mod failover;
mod faults;
mod health;
mod maintenance;
mod monitoring;
mod storage;
mod web;

use crate::model::dist::Dist;
use crate::model::failure::Failure;
use crate::model::topology::NodeKind;
use crate::policy::alerting::{Alerting, AlertingConfig, Metric, NotificationStatus};
use crate::policy::balancer::{Algorithm, Backend, ConnectFailure, Decision, RejectReason, RetryDecision};
use crate::policy::failover::{Action as FoAction, FailoverController, Role};
use crate::policy::health::{HealthChecker, ProbeOutcome, Transition};
use crate::scenario::{FaultKind, Model};
use crate::sim::engine::EventQueue;
use crate::sim::metrics::{ALERTS_MAX, FailReason, RepMetrics, StateChange};
use crate::sim::rng::{Seeds, StreamRng};
use crate::sim::traffic::Arrivals;
use crate::units::{SimDuration, SimTime};
use rand::Rng;
use std::collections::VecDeque;

/// Bound on requests alive at once in one replication; beyond it the model is hopelessly
/// overloaded (every queue has its own bound, so reaching this is a bug).
pub(crate) const REQUESTS_ALIVE_MAX: usize = 1 << 24;

/// "No request slot" in the links of the `timeout server` list.
const NO_SLOT: u32 = u32::MAX;
const _: () = assert!(REQUESTS_ALIVE_MAX < NO_SLOT as usize, "slot numbers stay below NO_SLOT");

/// How long, after the horizon, in-flight requests may take to finish before the run stops.
/// Covers `timeout server` plus connect retries in the worst configured case.
fn drain_max(m: &Model) -> SimDuration {
    m.timeout_server
        + m.backend.timeout_queue
        + m.backend
            .timeout_connect
            .saturating_mul(u64::from(m.backend.retries) + 2)
        + SimDuration::from_mins(10)
}

/// How long a web server's storage client waits for a storage node that does not answer
/// (the application's database timeout). Typical PHP/MySQL client default is 10 s or more.
pub(crate) const STORAGE_CALL_TIMEOUT: SimDuration = SimDuration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Free,
    /// Just arrived at lb1, before the balancer decides.
    AtLb,
    /// Waiting in the balancer's backend queue.
    LbQueued,
    /// On its way to, or connecting to, web server `server`.
    Connecting,
    /// In the web server's accept queue.
    WebQueued,
    /// Holding a web worker (CPU, or waiting on storage).
    WebActive,
    /// The response is on its way to lb1.
    ToLb,
    /// The server it was on crashed or was killed; nothing will answer. Waits for
    /// `timeout server`.
    Lost,
    /// Holds a web worker of a stalled (`Hung`) server: resumes with `frozen_left` of CPU
    /// time to go when the server recovers, unless `timeout server` fails it first.
    Frozen,
}

#[derive(Clone, Copy, Debug)]
struct Req {
    phase: Phase,
    /// Bumped whenever the request moves on or is interrupted: events carry it, stale ones
    /// are dropped.
    tag: u32,
    /// Neighbours in the `timeout server` list (`World::sweep_head`), `NO_SLOT` at its ends.
    sweep_prev: u32,
    sweep_next: u32,
    /// In the `timeout server` list.
    in_sweep: bool,
    server: u32,
    attempt: u32,
    reads_left: u32,
    write_left: bool,
    call_is_write: bool,
    /// At the storage node: in service (true) or queued.
    in_store_service: bool,
    /// Failure or success already recorded (an abandoned request still holds its worker).
    recorded: bool,
    /// The balancer counts a connection for this request on `server`.
    lb_open: bool,
    /// Storage node of the current call (u32::MAX: none).
    store: u32,
    /// Time-series bucket of the arrival.
    bucket: u32,
    arrived: SimTime,
    deadline: SimTime,
    hash: u64,
    /// When the running CPU phase ends (its `WebDone`); `SimTime::MAX` outside it.
    web_done_at: SimTime,
    /// CPU time still to run when a `Frozen` request resumes.
    frozen_left: SimDuration,
    /// Arrived while a server was out for planned maintenance.
    in_maint: bool,
}

impl Req {
    const EMPTY: Req = Req {
        phase: Phase::Free,
        tag: 0,
        sweep_prev: NO_SLOT,
        sweep_next: NO_SLOT,
        in_sweep: false,
        server: 0,
        attempt: 0,
        reads_left: 0,
        write_left: false,
        call_is_write: false,
        in_store_service: false,
        recorded: false,
        lb_open: false,
        store: u32::MAX,
        bucket: 0,
        arrived: SimTime::ZERO,
        deadline: SimTime::ZERO,
        hash: 0,
        web_done_at: SimTime::MAX,
        frozen_left: SimDuration::ZERO,
        in_maint: false,
    };

    /// Marks the request out of the `timeout server` list; its neighbours there if it was in
    /// it (the list's links are `World::sweep_splice`'s to mend).
    #[inline(always)]
    fn sweep_mark_out(&mut self) -> Option<(u32, u32)> {
        if !self.in_sweep {
            return None;
        }
        self.in_sweep = false;
        Some((self.sweep_prev, self.sweep_next))
    }
}

/// A server's runtime state (web or storage).
struct Server {
    /// How it has failed; `None` while it is up. Only `Crash`, `ProcessDeath` and `Hang` are
    /// states: a slowdown is `factor` and a link failure is a cut (`World::cuts`).
    /// (A `Hang` is a stall, as SIGSTOP: connections are accepted into the accept queue,
    /// nothing progresses, and work in hand resumes where it stopped on repair.)
    failure: Option<Failure>,
    factor: f64,
    /// Bumped on every fault: resource-release events of an older epoch are ignored.
    epoch: u32,
    busy: u32,
    workers: u32,
    queue_max: u32,
    /// (slot, tag) waiting for a worker; stale entries are skipped when popped.
    queue: VecDeque<(u32, u32)>,
    queued: u32,
    service: StreamRng,
    /// CPU time handed out so far [ns] (counted when a service starts), for the load metric.
    cpu_ns: u64,
    cpu_ns_scraped: u64,
}

impl Server {
    fn new(workers: u32, queue_max: u32, service: StreamRng) -> Self {
        Server {
            failure: None,
            factor: 1.0,
            epoch: 0,
            busy: 0,
            workers,
            queue_max,
            queue: VecDeque::new(),
            queued: 0,
            service,
            cpu_ns: 0,
            cpu_ns_scraped: 0,
        }
    }

    /// The server fails into `failure`, or comes back (`None`), with empty queues and idle
    /// workers: resource releases of the old epoch are ignored.
    fn reset(&mut self, failure: Option<Failure>) {
        assert!(
            !matches!(failure, Some(Failure::Slowdown | Failure::LinkDown)),
            "{failure:?} is a factor or a cut, not a server state"
        );
        self.failure = failure;
        self.factor = 1.0;
        self.epoch = self.epoch.wrapping_add(1);
        self.busy = 0;
        self.queue.clear();
        self.queued = 0;
    }
}

// An 8-byte tag, so the payload is 16 aligned bytes: with a 1-byte tag the event was copied
// out of the queue as overlapping stores from byte 1 and read back whole, a store-forwarding
// stall after every pop.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
enum Ev {
    Arrival,
    /// The request reaches web server `req.server`.
    Connect {
        slot: u32,
        tag: u32,
    },
    /// lb1 learns the connection attempt failed (refused or `timeout connect`).
    ConnectFail {
        slot: u32,
        tag: u32,
        refused: bool,
    },
    /// The turn-around before a redispatch is over.
    Redispatch {
        slot: u32,
        tag: u32,
    },
    /// The retry turn-around is over: connect again to `req.server`.
    Retry {
        slot: u32,
        tag: u32,
    },
    /// The web CPU phase is over.
    WebDone {
        slot: u32,
        tag: u32,
    },
    /// A storage call reaches the storage primary.
    AtStorage {
        slot: u32,
        tag: u32,
    },
    /// Storage node finished serving; releases the worker if `epoch` is current.
    StorageDone {
        node: u32,
        epoch: u32,
        slot: u32,
        tag: u32,
    },
    /// The storage reply is back at the web server.
    StorageBack {
        slot: u32,
        tag: u32,
    },
    /// The storage call failed (timeout or refused).
    StorageFail {
        slot: u32,
        tag: u32,
    },
    /// The response reaches lb1.
    Response {
        slot: u32,
        tag: u32,
    },
    TimeoutSweep,
    QueueTimer,
    CheckTimer {
        server: u32,
    },
    ProbeConnected {
        server: u32,
        seq: u32,
    },
    ProbeResult {
        server: u32,
        seq: u32,
        passed: bool,
    },
    Fault {
        index: u32,
    },
    /// Prometheus scrapes every server.
    Scrape,
    /// Prometheus evaluates rules / Alertmanager flushes.
    AlertTimer,
    /// The storage failover controller's timer.
    FailoverTimer,
    /// A fence (STONITH) of storage node `node` completed: it is powered off.
    FenceDone {
        node: u32,
    },
    /// Promoting storage node `node` completed.
    PromoteDone {
        node: u32,
    },
    /// A step of planned maintenance of the server at `pos` of roll `roll` (0: the cadence,
    /// `i + 1`: scripted window `i`).
    Maintenance {
        roll: u32,
        pos: u32,
        step: maintenance::Step,
    },
    /// A step of the capacity schedule (`[[capacity]]`).
    Capacity {
        step: capacity::Step,
    },
}

/// Per-link and per-purpose RNG streams (named, so adding one never shifts another).
struct Streams {
    lb: StreamRng,
    mix: StreamRng,
    /// The URI of each request (`balance uri` only).
    uri: StreamRng,
    client_net: StreamRng,
    lb_web_net: Vec<StreamRng>,
    web_store_net: Vec<StreamRng>,
    check_net: Vec<StreamRng>,
    /// The replication lag when a storage primary is lost (`storage_failover.lag`).
    lag: StreamRng,
    /// Whether a takeover's promotion fails (`promotion_fail_probability`); the
    /// availability mode's stream.
    takeover: StreamRng,
}

/// One request-level replication: every request through the park.
pub struct World<'m> {
    m: &'m Model,
    /// The scenario's scripted faults, plus this replication's random ones when
    /// `reliability.random_in_requests` is on.
    faults: std::borrow::Cow<'m, [crate::scenario::ScriptedFault]>,
    q: EventQueue<Ev>,
    reqs: Vec<Req>,
    free: Vec<u32>,
    alive: usize,
    arrivals: Arrivals,
    backend: Backend,
    /// Per web server: lb1's health checker of it (`None`: not checked).
    checkers: Vec<Option<HealthChecker>>,
    /// Per web server: when its checker's wake-up is scheduled (`SimTime::MAX`: none).
    check_timer: Vec<SimTime>,
    /// Per web server: the health check waiting on a stalled process (answered on resume).
    hung_probe: Vec<Option<u32>>,
    /// Per web server / storage node: in a planned-maintenance turn.
    web_maint: Vec<bool>,
    store_maint: Vec<bool>,
    /// lb1 is out for planned maintenance: new connections to the site are refused.
    lb_out: bool,
    /// Servers out for planned maintenance now, and since when one has been.
    maint_out: u32,
    maint_since: Option<SimTime>,
    /// Which maintenance roll runs, which wait (one at a time).
    maint_queue: crate::policy::maintenance::RollQueue,
    /// Per web server: out of rotation by the capacity schedule, or on its way out.
    cap_out: Vec<capacity::Rotation>,
    web: Vec<Server>,
    store: Vec<Server>,
    /// Where web servers send storage calls (the service address): `None` during a takeover.
    primary: Option<usize>,
    /// The storage pair's failover controller (two or more storage nodes).
    failover: Option<FailoverController>,
    failover_timer: Option<SimTime>,
    /// Storage nodes powered off by a fence, until repaired.
    fenced: Vec<bool>,
    /// When the serving primary stopped serving (for the takeover time).
    primary_lost_at: Option<SimTime>,
    split_since: Option<SimTime>,
    /// Storage calls parked while no primary exists: (slot, tag).
    storage_waiting: Vec<(u32, u32)>,
    /// 24/7 monitoring: targets are web1..N, store1..M, then lb1.
    alerting: Option<Alerting>,
    alert_timer: SimTime,
    /// How much of the alerting machine's log has been read (for resolve times).
    alert_log_seen: usize,
    /// Extra disk use from `disk_fill` faults per storage node: (bytes so far, since, bytes/ns).
    disk_fill: Vec<(f64, SimTime, f64)>,
    /// Directed network cuts (from, to) in topology node indices; few at once.
    cuts: Vec<(usize, usize)>,
    lb_node: usize,
    web_node: Vec<usize>,
    store_node: Vec<usize>,
    /// Accepted requests in acceptance order, which is deadline order (`timeout server` is
    /// the same for all): a list linked through the request slots, so it holds only requests
    /// alive, not one entry per request accepted within the last `timeout server`.
    sweep_head: u32,
    sweep_tail: u32,
    sweep_scheduled: bool,
    queue_timer: Option<SimTime>,
    rng: Streams,
    lb_web_zero: bool,
    web_store_zero: bool,
    client_zero: bool,
    source_hash: bool,
    pub(crate) metrics: RepMetrics,
}

/// lb1's health checker of each web server, each starting at HAProxy's startup offset; `None`
/// for a server without checks. A `disabled` server starts in maintenance (checks paused).
fn checkers(m: &Model) -> Vec<Option<HealthChecker>> {
    let offsets = crate::policy::health::startup_offsets(&m.checks);
    assert_eq!(offsets.len(), m.web.count as usize, "one check setting per web server");
    offsets
        .into_iter()
        .enumerate()
        .map(|(i, offset)| {
            let spec = m.check(i)?;
            let mut c = HealthChecker::new(spec.clone(), SimTime::ZERO + offset?);
            if m.backend.servers[i].disabled {
                c.handle_maint(SimTime::ZERO, true);
            }
            Some(match m.observe(i) {
                Some(o) => c.with_observe(o),
                None => c,
            })
        })
        .collect()
}

/// The Prometheus and Alertmanager machines of `[monitoring]`, if on.
fn alerting(m: &Model) -> Option<Alerting> {
    let mo = m.monitoring.as_ref()?;
    let cfg = AlertingConfig {
        notifier: mo.notifier.clone(),
        instances: World::target_names(m.web.count as usize, m.storage.count as usize),
        ..AlertingConfig::default()
    };
    Some(Alerting::new(cfg, mo.rules.clone()))
}

impl Streams {
    /// Every named stream of the request driver for a park of `web_n` web servers.
    fn new(seeds: &Seeds, web_n: usize) -> Streams {
        let per_web = |name: &dyn Fn(usize) -> String| (0..web_n).map(|i| seeds.stream(&name(i + 1))).collect();
        Streams {
            lb: seeds.stream("lb1/balance"),
            mix: seeds.stream("traffic/mix"),
            uri: seeds.stream("traffic/uris"),
            client_net: seeds.stream("net/clients-lb1"),
            lb_web_net: per_web(&|i| format!("net/lb1-web{i}")),
            web_store_net: per_web(&|i| format!("net/web{i}-storage")),
            check_net: per_web(&|i| format!("net/lb1-web{i}/check")),
            lag: seeds.stream("storage/replication-lag"),
            takeover: seeds.stream("storage/takeover"),
        }
    }
}

impl<'m> World<'m> {
    /// Replication `replication` of `m`, its random streams derived from the model's seed.
    pub fn new(m: &'m Model, replication: u32) -> Self {
        let seeds = Seeds::new(m.seed, replication);
        let web_n = m.web.count as usize;
        let store_n = m.storage.count as usize;
        let servers = |n: usize, tier: &str, workers, queue_max| -> Vec<Server> {
            (0..n)
                .map(|k| Server::new(workers, queue_max, seeds.stream(&format!("{tier}{}/service", k + 1))))
                .collect()
        };
        let web = servers(web_n, "web", m.web.workers, m.web.queue_max);
        let store = servers(store_n, "store", m.storage.workers, m.storage.queue_max);
        let checkers = checkers(m);
        let rng = Streams::new(&seeds, web_n);
        let horizon = SimTime::ZERO + m.horizon;
        let metrics = RepMetrics::new(
            SimTime::ZERO + m.warmup,
            horizon,
            web_n,
            m.web.workers,
            store_n,
            m.storage.workers,
        );
        let lb_web_zero = (0..web_n).all(|i| m.topology.lb_web_latency(i).is_zero());
        let web_store_zero =
            (0..web_n).all(|i| (0..store_n).all(|j| m.topology.web_storage_latency(i, j).is_none_or(Dist::is_zero)));
        let faults = if m.reliability.random_in_requests {
            std::borrow::Cow::Owned(faults::random_faults(m, replication))
        } else {
            std::borrow::Cow::Borrowed(m.faults.as_slice())
        };
        World {
            m,
            faults,
            q: EventQueue::new(),
            reqs: Vec::with_capacity(1024),
            free: Vec::new(),
            alive: 0,
            arrivals: Arrivals::new(m.traffic.clone(), seeds.stream("traffic/arrivals")),
            backend: Backend::new(m.backend.clone()),
            check_timer: vec![SimTime::MAX; web_n],
            hung_probe: vec![None; web_n],
            web_maint: vec![false; web_n],
            store_maint: vec![false; store_n],
            lb_out: false,
            maint_out: 0,
            maint_since: None,
            maint_queue: crate::policy::maintenance::RollQueue::new(
                m.maintenance.as_ref().map_or_else(Vec::new, |mt| mt.roll_sizes()),
            ),
            cap_out: vec![capacity::Rotation::In; web_n],
            checkers,
            web,
            store,
            primary: Some(0),
            failover: (store_n >= 2 && (m.storage_reads > 0 || m.write_fraction > 0.0))
                .then(|| FailoverController::new(SimTime::ZERO, store_n, m.reliability.failover.clone())),
            failover_timer: None,
            fenced: vec![false; store_n],
            primary_lost_at: None,
            split_since: None,
            storage_waiting: Vec::new(),
            alerting: alerting(m),
            alert_timer: SimTime::MAX,
            alert_log_seen: 0,
            disk_fill: vec![(0.0, SimTime::ZERO, 0.0); store_n],
            cuts: Vec::new(),
            lb_node: m.topology.node_by_name("lb1").expect("every park has lb1"),
            web_node: (0..web_n).map(|i| m.topology.web_node(i)).collect(),
            store_node: (0..store_n).map(|j| m.topology.storage_node(j)).collect(),
            sweep_head: NO_SLOT,
            sweep_tail: NO_SLOT,
            sweep_scheduled: false,
            queue_timer: None,
            rng,
            lb_web_zero,
            web_store_zero,
            client_zero: m.topology.client_latency().is_zero(),
            source_hash: m.backend.algorithm == Algorithm::Source,
            metrics,
        }
    }

    /// Run the replication to its horizon and let in-flight requests finish.
    pub fn run(mut self) -> RepMetrics {
        let horizon = SimTime::ZERO + self.m.horizon;
        let stop = horizon + drain_max(self.m);
        let first = self.arrivals.next_after(SimTime::ZERO);
        if first < horizon {
            self.q.schedule_lane(first, Ev::Arrival);
        }
        for s in 0..self.web.len() {
            self.arm_check(s);
        }
        if let Some(a) = &self.alerting {
            let t = a.config().scrape_interval;
            self.q.schedule(SimTime::ZERO + t, Ev::Scrape);
            self.alert_timer = a.poll_timeout();
            self.q.schedule(self.alert_timer, Ev::AlertTimer);
        }
        self.schedule_maintenance();
        self.schedule_capacity();
        for (i, f) in self.faults.iter().enumerate() {
            if f.at <= stop {
                self.q.schedule(f.at, Ev::Fault { index: i as u32 });
            }
        }
        // Progress for long runs: simulated time done, reported every PROGRESS_EVENTS events.
        let (mut reported, mut countdown) = (SimTime::ZERO, super::PROGRESS_EVENTS);
        let mut previous = SimTime::ZERO;
        while let Some((now, ev)) = self.q.pop() {
            // Per event: a debug check (as an `assert!` it cost 0.4% of W1's instructions).
            debug_assert!(now >= previous, "time went back from {previous:?} to {now:?}");
            previous = now;
            if now >= horizon && (self.alive == 0 || now > stop) {
                break;
            }
            self.handle(now, ev);
            countdown -= 1;
            if countdown == 0 {
                countdown = super::PROGRESS_EVENTS;
                let t = now.min(horizon);
                super::add_simulated_ns(t.saturating_since(reported).as_nanos());
                reported = t;
            }
        }
        super::add_simulated_ns(horizon.saturating_since(reported).as_nanos());
        self.check_invariants();
        if let Some(since) = self.split_since.take() {
            self.metrics.split_brain_ns += self.metrics.clip(since, horizon.saturating_since(since));
        }
        if let Some(since) = self.maint_since.take() {
            self.metrics.maintenance_ns += self.metrics.clip(since, horizon.saturating_since(since));
        }
        self.metrics.events = self.q.scheduled_total();
        self.metrics.settle_latency();
        self.metrics
    }

    fn handle(&mut self, now: SimTime, ev: Ev) {
        match ev {
            Ev::Arrival => self.on_arrival(now),
            Ev::Connect { slot, tag } => {
                if self.live(slot, tag) {
                    self.on_connect(now, slot);
                }
            }
            Ev::ConnectFail { slot, tag, refused } => {
                if self.live(slot, tag) {
                    self.on_connect_fail(now, slot, refused);
                }
            }
            Ev::Redispatch { slot, tag } => {
                if self.live(slot, tag) {
                    self.on_redispatch(now, slot);
                }
            }
            Ev::Retry { slot, tag } => {
                if self.live(slot, tag) {
                    let s = self.reqs[slot as usize].server;
                    self.dispatch(now, slot, s);
                }
            }
            Ev::WebDone { slot, tag } => {
                if self.live(slot, tag) {
                    self.reqs[slot as usize].web_done_at = SimTime::MAX;
                    self.next_step(now, slot);
                }
            }
            Ev::StorageBack { slot, tag } => {
                if self.live(slot, tag) {
                    self.next_step(now, slot);
                }
            }
            Ev::AtStorage { slot, tag } => {
                if self.live(slot, tag) {
                    self.at_storage(now, slot);
                }
            }
            Ev::StorageDone { node, epoch, slot, tag } => self.on_storage_done(now, node, epoch, slot, tag),
            Ev::StorageFail { slot, tag } => {
                if self.live(slot, tag) {
                    self.storage_failed(now, slot);
                }
            }
            Ev::Response { slot, tag } => {
                if self.live(slot, tag) {
                    self.complete(now, slot);
                }
            }
            Ev::TimeoutSweep => self.on_sweep(now),
            Ev::QueueTimer => {
                self.queue_timer = None;
                self.backend.handle_timeout(now);
                self.pump(now);
            }
            Ev::CheckTimer { server } => self.on_check_timer(now, server as usize),
            Ev::ProbeConnected { server, seq } => self.on_probe_connected(now, server as usize, seq),
            Ev::ProbeResult { server, seq, passed } => self.on_probe_result(now, server as usize, seq, passed),
            Ev::Fault { index } => {
                self.on_fault(now, index as usize);
                self.check_invariants();
            }
            Ev::Scrape => self.on_scrape(now),
            Ev::AlertTimer => {
                if self.alert_timer == now {
                    self.on_alert_timer(now);
                }
            }
            Ev::FailoverTimer => {
                if self.failover_timer == Some(now) {
                    self.on_failover_timer(now);
                }
            }
            Ev::FenceDone { node } => self.on_fence_done(now, node as usize),
            Ev::PromoteDone { node } => self.on_promote_done(now, node as usize),
            Ev::Maintenance { roll, pos, step } => self.on_maintenance(now, roll, pos as usize, step),
            Ev::Capacity { step } => self.on_capacity(now, step),
        }
    }

    /// The request-level invariants, checked after every fault and at the end of the run (a
    /// scan of the slab, so never on the per-request path):
    /// - `alive` counts the slots in use, and every slot is in use or free;
    /// - lb1's connection count per server is the number of requests it has open there;
    /// - a web server's busy workers are the requests holding one (active or frozen), and
    ///   no server has more busy workers or queued requests than its limits;
    /// - requests are conserved: arrivals = successes + failures + alive and not recorded.
    fn check_invariants(&self) {
        let (mut alive, mut unrecorded) = (0, 0u64);
        let mut lb_open = vec![0u32; self.web.len()];
        let mut holding = vec![0u32; self.web.len()];
        for r in self.reqs.iter().filter(|r| r.phase != Phase::Free) {
            alive += 1;
            unrecorded += u64::from(!r.recorded);
            if r.lb_open {
                lb_open[r.server as usize] += 1;
            }
            if matches!(r.phase, Phase::WebActive | Phase::Frozen) {
                holding[r.server as usize] += 1;
            }
        }
        assert_eq!(alive, self.alive, "requests alive");
        assert_eq!(self.reqs.len() - self.free.len(), self.alive, "slots in use");
        for (s, srv) in self.web.iter().enumerate() {
            assert_eq!(self.backend.served(s), lb_open[s], "lb1's connections to web{}", s + 1);
            assert_eq!(srv.busy, holding[s], "busy workers of web{}", s + 1);
        }
        for (i, srv) in self.web.iter().chain(&self.store).enumerate() {
            assert!(
                srv.busy <= srv.workers && srv.queued <= srv.queue_max,
                "server {i} over its limits"
            );
        }
        let m = &self.metrics;
        assert_eq!(
            m.arrivals_all,
            m.ok_all + m.failed_all + unrecorded,
            "every arrival succeeds, fails or is still in flight"
        );
    }

    #[inline]
    fn live(&self, slot: u32, tag: u32) -> bool {
        let r = &self.reqs[slot as usize];
        r.tag == tag && r.phase != Phase::Free
    }

    #[inline]
    fn bump(&mut self, slot: u32) -> u32 {
        let r = &mut self.reqs[slot as usize];
        r.tag = r.tag.wrapping_add(1);
        r.tag
    }

    fn alloc(&mut self, now: SimTime) -> u32 {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                assert!(
                    self.reqs.len() < REQUESTS_ALIVE_MAX,
                    "requests alive exceed {REQUESTS_ALIVE_MAX}"
                );
                self.reqs.push(Req::EMPTY);
                (self.reqs.len() - 1) as u32
            }
        };
        let r = &mut self.reqs[slot as usize];
        debug_assert_eq!(r.phase, Phase::Free);
        debug_assert!(!r.in_sweep);
        let tag = r.tag.wrapping_add(1);
        *r = Req {
            tag,
            phase: Phase::AtLb,
            arrived: now,
            reads_left: self.m.storage_reads,
            ..Req::EMPTY
        };
        self.alive += 1;
        slot
    }

    #[inline(always)]
    fn release(&mut self, slot: u32) {
        let r = &mut self.reqs[slot as usize];
        assert!(r.phase != Phase::Free, "double free of request slot {slot}");
        assert!(!r.lb_open, "request freed while lb1 still counts its connection");
        r.phase = Phase::Free;
        r.tag = r.tag.wrapping_add(1);
        if let Some((prev, next)) = r.sweep_mark_out() {
            self.sweep_splice(slot, prev, next);
        }
        self.free.push(slot);
        self.alive -= 1;
    }
}
