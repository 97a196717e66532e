//! The world model and its driver: requests flowing clients -> lb1 -> web -> storage.
//!
//! One `World` is one replication. It owns the event queue, the servers' runtime state and the
//! policy state machines (the HAProxy backend and one health checker per web server), feeds
//! them inputs with `handle_*` and acts on what they `poll_*`. Policy code decides; this file
//! only moves requests and time. It must never read a clock, spawn a thread, or iterate a
//! hash map: a replication is a pure function of (model, seeds).
//!
//! Request life: arrive at lb1 -> balancer decides (dispatch / queue / reject) -> connect to
//! the web server (refused, timed out, or accepted) -> web queue -> CPU -> sequential storage
//! calls to the storage primary (the web worker is held meanwhile) -> response to lb1.
//! `timeout server` runs from acceptance; a request it expires is failed (504) and the web
//! worker finishes it without a client (as PHP does with `ignore_user_abort`).

use super::dist::Dist;
use super::engine::EventQueue;
use super::metrics::{ALERTS_MAX, FailReason, RepMetrics, StateChange};
use super::rng::{Seeds, StreamRng};
use super::traffic::Arrivals;
use crate::policy::alerting::{Alerting, AlertingConfig, Metric, NotificationStatus, default_rules};
use crate::policy::balancer::{Algorithm, Backend, ConnectFailure, Decision, RejectReason, RetryDecision};
use crate::policy::failover::{Action as FoAction, FailoverController, Role};
use crate::policy::health::{HealthChecker, ProbeOutcome, Transition};
use crate::scenario::{FaultKind, Model};
use crate::sim::topology::NodeKind;
use crate::units::{SimDuration, SimTime};
use rand::Rng;
use std::collections::VecDeque;

/// Bound on requests alive at once in one replication; beyond it the model is hopelessly
/// overloaded (every queue has its own bound, so reaching this is a bug).
pub const REQUESTS_ALIVE_MAX: usize = 1 << 24;

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
pub const STORAGE_CALL_TIMEOUT: SimDuration = SimDuration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Up,
    /// Host gone: connections and checks time out.
    Crashed,
    /// Process dead: connections refused at once.
    Dead,
    /// Stalled (SIGSTOP, an application that stops answering): connections are accepted into
    /// the accept queue, nothing progresses; work in hand resumes where it stopped on repair.
    Hung,
}

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
    /// Bumped when the slot is reused; timeout-sweep entries carry it.
    incarnation: u32,
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
}

impl Req {
    const EMPTY: Req = Req {
        phase: Phase::Free,
        tag: 0,
        incarnation: 0,
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
    };
}

/// A server's runtime state (web or storage).
struct Server {
    status: Status,
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
            status: Status::Up,
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

    fn reset(&mut self, status: Status) {
        self.status = status;
        self.factor = 1.0;
        self.epoch = self.epoch.wrapping_add(1);
        self.busy = 0;
        self.queue.clear();
        self.queued = 0;
    }
}

#[derive(Clone, Copy, Debug)]
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
}

/// Per-link and per-purpose RNG streams (named, so adding one never shifts another).
struct Streams {
    lb: StreamRng,
    mix: StreamRng,
    client_net: StreamRng,
    lb_web_net: Vec<StreamRng>,
    web_store_net: Vec<StreamRng>,
    check_net: Vec<StreamRng>,
}

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
    checkers: Vec<HealthChecker>,
    check_timer: Vec<SimTime>,
    /// Per web server: the health check waiting on a stalled process (answered on resume).
    hung_probe: Vec<Option<u32>>,
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
    /// 24/7 monitoring: targets are web1..N then store1..M.
    alerting: Option<Alerting>,
    alert_timer: SimTime,
    /// Extra disk use from `disk_fill` faults per storage node: (bytes so far, since, bytes/ns).
    disk_fill: Vec<(f64, SimTime, f64)>,
    /// Directed network cuts (from, to) in topology node indices; few at once.
    cuts: Vec<(usize, usize)>,
    lb_node: usize,
    web_node: Vec<usize>,
    store_node: Vec<usize>,
    sweep: VecDeque<(SimTime, u32, u32)>,
    sweep_scheduled: bool,
    queue_timer: Option<SimTime>,
    rng: Streams,
    lb_web_zero: bool,
    web_store_zero: bool,
    client_zero: bool,
    source_hash: bool,
    pub metrics: RepMetrics,
}

impl<'m> World<'m> {
    pub fn new(m: &'m Model, replication: u32) -> Self {
        let seeds = Seeds::new(m.seed, replication);
        let web_n = m.web.count as usize;
        let store_n = m.storage.count as usize;
        let web = (0..web_n)
            .map(|i| {
                Server::new(
                    m.web.workers,
                    m.web.queue_max,
                    seeds.stream(&format!("web{}/service", i + 1)),
                )
            })
            .collect();
        let store = (0..store_n)
            .map(|j| {
                Server::new(
                    m.storage.workers,
                    m.storage.queue_max,
                    seeds.stream(&format!("store{}/service", j + 1)),
                )
            })
            .collect();
        let checkers: Vec<HealthChecker> = match &m.check {
            Some(spec) => (0..web_n)
                .map(|i| {
                    let offset = crate::policy::health::startup_offset(spec, i, web_n);
                    let c = HealthChecker::new(spec.clone(), SimTime::ZERO + offset);
                    match m.observe {
                        Some(o) => c.with_observe(o),
                        None => c,
                    }
                })
                .collect(),
            None => Vec::new(),
        };
        let rng = Streams {
            lb: seeds.stream("lb1/balance"),
            mix: seeds.stream("traffic/mix"),
            client_net: seeds.stream("net/clients-lb1"),
            lb_web_net: (0..web_n)
                .map(|i| seeds.stream(&format!("net/lb1-web{}", i + 1)))
                .collect(),
            web_store_net: (0..web_n)
                .map(|i| seeds.stream(&format!("net/web{}-storage", i + 1)))
                .collect(),
            check_net: (0..web_n)
                .map(|i| seeds.stream(&format!("net/lb1-web{}/check", i + 1)))
                .collect(),
        };
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
            std::borrow::Cow::Owned(random_faults(m, replication))
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
            check_timer: vec![SimTime::MAX; checkers.len()],
            hung_probe: vec![None; checkers.len()],
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
            alerting: m
                .monitoring
                .as_ref()
                .map(|_| Alerting::new(AlertingConfig::default(), default_rules())),
            alert_timer: SimTime::MAX,
            disk_fill: vec![(0.0, SimTime::ZERO, 0.0); store_n],
            cuts: Vec::new(),
            lb_node: m.topology.node_by_name("lb1").expect("every park has lb1"),
            web_node: (0..web_n)
                .map(|i| m.topology.node_by_name(&format!("web{}", i + 1)).expect("web node"))
                .collect(),
            store_node: (0..store_n)
                .map(|j| {
                    m.topology
                        .node_by_name(&format!("store{}", j + 1))
                        .expect("storage node")
                })
                .collect(),
            sweep: VecDeque::new(),
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
        for s in 0..self.checkers.len() {
            self.arm_check(s);
        }
        if let Some(a) = &self.alerting {
            let t = a.config().scrape_interval;
            self.q.schedule(SimTime::ZERO + t, Ev::Scrape);
            self.alert_timer = a.poll_timeout();
            self.q.schedule(self.alert_timer, Ev::AlertTimer);
        }
        for (i, f) in self.faults.iter().enumerate() {
            if f.at <= stop {
                self.q.schedule(f.at, Ev::Fault { index: i as u32 });
            }
        }
        // Progress for long runs: simulated time done, reported every PROGRESS_EVENTS events.
        let (mut reported, mut countdown) = (SimTime::ZERO, super::PROGRESS_EVENTS);
        while let Some((now, ev)) = self.q.pop() {
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
        if let Some(since) = self.split_since.take() {
            self.metrics.split_brain_ns += self.metrics.clip(since, horizon.saturating_since(since));
        }
        self.metrics.events = self.q.scheduled_total();
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
            Ev::ProbeConnected { server, seq } => {
                self.checkers[server as usize].handle_connected(now, u64::from(seq));
                self.after_check(now, server as usize);
            }
            Ev::ProbeResult { server, seq, passed } => {
                let outcome = if passed {
                    ProbeOutcome::Passed
                } else {
                    ProbeOutcome::Refused
                };
                self.checkers[server as usize].handle_probe_result(now, u64::from(seq), outcome);
                self.after_check(now, server as usize);
            }
            Ev::Fault { index } => self.on_fault(now, index as usize),
            Ev::Scrape => self.on_scrape(now),
            Ev::AlertTimer => {
                if self.alert_timer == now {
                    let a = self.alerting.as_mut().expect("timer implies monitoring");
                    a.handle_timeout(now);
                    while let Some(n) = a.poll_notification() {
                        if n.status == NotificationStatus::Firing && self.metrics.alerts.len() < ALERTS_MAX {
                            let web_n = self.web.len();
                            let target = if n.target < web_n {
                                format!("web{}", n.target + 1)
                            } else {
                                format!("store{}", n.target - web_n + 1)
                            };
                            self.metrics.alerts.push(super::metrics::AlertRecord {
                                at_ms: now.as_millis_f64(),
                                alert: n.alert.clone(),
                                target,
                            });
                        }
                    }
                    self.alert_timer = a.poll_timeout();
                    if self.alert_timer < SimTime::ZERO + self.m.horizon {
                        self.q.schedule(self.alert_timer, Ev::AlertTimer);
                    }
                }
            }
            Ev::FailoverTimer => {
                if self.failover_timer == Some(now) {
                    self.failover_timer = None;
                    self.failover_sync(now);
                    let t = now.max(self.failover.as_ref().expect("timer implies controller").last_now());
                    self.failover.as_mut().expect("controller").handle_timeout(t);
                    self.failover_act(now);
                }
            }
            Ev::FenceDone { node } => {
                let j = node as usize;
                // STONITH powers the node off, whatever it was doing.
                if self.store[j].status != Status::Crashed {
                    self.storage_fault(now, j, FaultKind::Crash, 1.0);
                }
                self.fenced[j] = true;
                self.failover_sync(now);
                let t = now.max(self.failover.as_ref().expect("controller").last_now());
                self.failover
                    .as_mut()
                    .expect("controller")
                    .handle_fence_result(t, j, true);
                self.failover_act(now);
            }
            Ev::PromoteDone { node } => {
                self.failover_sync(now);
                let fo = self.failover.as_mut().expect("controller");
                let t = now.max(fo.last_now());
                fo.handle_promotion_done(t, node as usize);
                self.failover_act(now);
            }
        }
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
        let (tag, incarnation) = (r.tag.wrapping_add(1), r.incarnation.wrapping_add(1));
        *r = Req {
            tag,
            incarnation,
            phase: Phase::AtLb,
            arrived: now,
            reads_left: self.m.storage_reads,
            ..Req::EMPTY
        };
        self.alive += 1;
        slot
    }

    fn release(&mut self, slot: u32) {
        let r = &mut self.reqs[slot as usize];
        assert!(r.phase != Phase::Free, "double free of request slot {slot}");
        assert!(!r.lb_open, "request freed while lb1 still counts its connection");
        r.phase = Phase::Free;
        r.tag = r.tag.wrapping_add(1);
        self.free.push(slot);
        self.alive -= 1;
    }

    // ---- balancer -------------------------------------------------------------------------

    fn on_arrival(&mut self, now: SimTime) {
        let next = self.arrivals.next_after(now);
        if next < SimTime::ZERO + self.m.horizon {
            self.q.schedule_lane(next, Ev::Arrival);
        }
        let slot = self.alloc(now);
        let hash = if self.source_hash { self.arrivals.client() } else { 0 };
        let write = self.m.write_fraction > 0.0 && self.rng.mix.random_bool(self.m.write_fraction);
        let bucket = self.metrics.record_arrival(now);
        {
            let r = &mut self.reqs[slot as usize];
            r.hash = hash;
            r.write_left = write;
            r.bucket = bucket;
        }
        match self
            .backend
            .handle_request(now, u64::from(slot), hash, &mut self.rng.lb)
        {
            Decision::Dispatch(s) => self.dispatch(now, slot, s as u32),
            Decision::Queued => {
                self.reqs[slot as usize].phase = Phase::LbQueued;
                self.arm_queue_timer();
            }
            Decision::Rejected(why) => self.fail(now, slot, reject_reason(why)),
        }
    }

    /// Act on what the backend decided for queued requests.
    fn pump(&mut self, now: SimTime) {
        while let Some((req, s)) = self.backend.poll_dispatch() {
            let slot = req as u32;
            assert_eq!(
                self.reqs[slot as usize].phase,
                Phase::LbQueued,
                "backend dispatched a request that is not queued"
            );
            self.dispatch(now, slot, s as u32);
        }
        while let Some((req, why)) = self.backend.poll_rejected() {
            let slot = req as u32;
            assert_eq!(
                self.reqs[slot as usize].phase,
                Phase::LbQueued,
                "backend rejected a request that is not queued"
            );
            self.fail(now, slot, reject_reason(why));
        }
        self.arm_queue_timer();
    }

    fn arm_queue_timer(&mut self) {
        if let Some(t) = self.backend.poll_timeout()
            && self.queue_timer.is_none_or(|q| t < q)
        {
            self.queue_timer = Some(t);
            self.q.schedule(t.max(self.q.now()), Ev::QueueTimer);
        }
    }

    /// Open a connection from lb1 to web server `s`.
    fn dispatch(&mut self, now: SimTime, slot: u32, s: u32) {
        let tag = self.bump(slot);
        let in_window = self.metrics.in_window(self.reqs[slot as usize].arrived);
        let r = &mut self.reqs[slot as usize];
        r.server = s;
        r.attempt += 1;
        r.lb_open = true;
        r.phase = Phase::Connecting;
        let si = s as usize;
        if in_window {
            self.metrics.web_requests[si] += 1;
            if !self.backend.is_up(si) {
                self.metrics.web_requests_while_down[si] += 1;
            }
        }
        let lat = if self.lb_web_zero {
            SimDuration::ZERO
        } else {
            self.m.topology.lb_web_latency(si).sample(&mut self.rng.lb_web_net[si])
        };
        match self.web_seen(si) {
            Status::Crashed => self.q.schedule(
                now + self.m.backend.timeout_connect,
                Ev::ConnectFail {
                    slot,
                    tag,
                    refused: false,
                },
            ),
            Status::Dead => self.q.schedule(
                now + lat + lat,
                Ev::ConnectFail {
                    slot,
                    tag,
                    refused: true,
                },
            ),
            Status::Up | Status::Hung => {
                if lat.is_zero() {
                    self.on_connect(now, slot);
                } else {
                    self.q.schedule(now + lat, Ev::Connect { slot, tag });
                }
            }
        }
    }

    fn on_connect_fail(&mut self, now: SimTime, slot: u32, refused: bool) {
        let r = self.reqs[slot as usize];
        self.observe_traffic(now, r.server as usize, false);
        let cause = if refused {
            ConnectFailure::Refused
        } else {
            ConnectFailure::Timeout
        };
        let decision = self.backend.handle_connect_failure_with(
            now,
            u64::from(slot),
            r.server as usize,
            r.attempt,
            r.hash,
            cause,
            &mut self.rng.lb,
        );
        if !matches!(decision, RetryDecision::Fail(_)) && self.metrics.in_window(r.arrived) {
            self.metrics.retries += 1;
            if !matches!(decision, RetryDecision::Retry { server, .. } if server as u32 == r.server) {
                self.metrics.redispatches += 1;
            }
        }
        match decision {
            // The backend holds a slot on `server` for this request.
            RetryDecision::Retry { server, after } => {
                if after.is_zero() {
                    self.dispatch(now, slot, server as u32);
                } else {
                    let tag = self.bump(slot);
                    self.reqs[slot as usize].server = server as u32;
                    self.q.schedule(now + after, Ev::Retry { slot, tag });
                }
            }
            RetryDecision::Redispatch { after } => {
                let tag = self.bump(slot);
                let rr = &mut self.reqs[slot as usize];
                rr.lb_open = false;
                rr.phase = Phase::Connecting;
                self.q.schedule(now + after, Ev::Redispatch { slot, tag });
            }
            RetryDecision::Queued => {
                let rr = &mut self.reqs[slot as usize];
                rr.lb_open = false;
                rr.phase = Phase::LbQueued;
            }
            RetryDecision::Fail(why) => {
                self.reqs[slot as usize].lb_open = false;
                self.fail(now, slot, reject_reason(why));
            }
        }
        self.pump(now);
    }

    /// The turn-around before a redispatch is over: run the algorithm again.
    fn on_redispatch(&mut self, now: SimTime, slot: u32) {
        let r = self.reqs[slot as usize];
        match self
            .backend
            .handle_redispatch(now, u64::from(slot), r.server as usize, r.hash, &mut self.rng.lb)
        {
            Decision::Dispatch(s) => self.dispatch(now, slot, s as u32),
            Decision::Queued => {
                self.reqs[slot as usize].phase = Phase::LbQueued;
                self.arm_queue_timer();
            }
            Decision::Rejected(why) => self.fail(now, slot, reject_reason(why)),
        }
    }

    // ---- web tier -------------------------------------------------------------------------

    fn on_connect(&mut self, now: SimTime, slot: u32) {
        let s = self.reqs[slot as usize].server as usize;
        match self.web_seen(s) {
            // The host died or the process was killed while the SYN was in flight.
            Status::Crashed => {
                let tag = self.bump(slot);
                self.q.schedule(
                    now + self.m.backend.timeout_connect,
                    Ev::ConnectFail {
                        slot,
                        tag,
                        refused: false,
                    },
                );
                return;
            }
            Status::Dead => {
                let tag = self.bump(slot);
                self.q.schedule(
                    now,
                    Ev::ConnectFail {
                        slot,
                        tag,
                        refused: true,
                    },
                );
                return;
            }
            Status::Up | Status::Hung => {}
        }
        self.observe_traffic(now, s, true);
        // Accepted: `timeout server` starts.
        let deadline = now + self.m.timeout_server;
        {
            let r = &mut self.reqs[slot as usize];
            r.deadline = deadline;
            self.sweep.push_back((deadline, slot, r.incarnation));
        }
        if !self.sweep_scheduled {
            self.sweep_scheduled = true;
            self.q.schedule(deadline, Ev::TimeoutSweep);
        }
        let srv = &mut self.web[s];
        // A stalled server's connections wait in its accept queue (`WebQueued`).
        if srv.busy < srv.workers && srv.status != Status::Hung {
            self.start_web(now, slot);
        } else if srv.queued < srv.queue_max {
            let tag = self.reqs[slot as usize].tag;
            srv.queue.push_back((slot, tag));
            srv.queued += 1;
            self.reqs[slot as usize].phase = Phase::WebQueued;
        } else {
            self.fail(now, slot, FailReason::WebQueueFull);
        }
    }

    fn start_web(&mut self, now: SimTime, slot: u32) {
        let s = self.reqs[slot as usize].server as usize;
        let srv = &mut self.web[s];
        debug_assert!(srv.busy < srv.workers);
        srv.busy += 1;
        let mut d = self.m.web.service.sample(&mut srv.service);
        if srv.factor != 1.0 {
            d = d.mul_f64(srv.factor);
        }
        self.metrics.web_busy_ns[s] += self.metrics.clip(now, d);
        self.web[s].cpu_ns += d.as_nanos();
        let tag = self.bump(slot);
        self.reqs[slot as usize].phase = Phase::WebActive;
        self.reqs[slot as usize].web_done_at = now + d;
        self.q.schedule(now + d, Ev::WebDone { slot, tag });
    }

    /// After the CPU phase or a storage reply: the next storage call, or the response.
    fn next_step(&mut self, now: SimTime, slot: u32) {
        if self.freeze_if_hung(slot, SimDuration::ZERO) {
            return;
        }
        let r = &mut self.reqs[slot as usize];
        if !r.recorded && (r.reads_left > 0 || r.write_left) {
            if r.reads_left > 0 {
                r.reads_left -= 1;
                r.call_is_write = false;
            } else {
                r.write_left = false;
                r.call_is_write = true;
            }
            let s = r.server as usize;
            let Some(p) = self.primary else {
                // A takeover is in progress: the call waits for the new primary.
                self.at_storage(now, slot);
                return;
            };
            let lat = if self.web_store_zero {
                SimDuration::ZERO
            } else {
                self.m
                    .topology
                    .web_storage_latency(s, p)
                    .expect("validated: every web server reaches the primary")
                    .sample(&mut self.rng.web_store_net[s])
            };
            if lat.is_zero() {
                self.at_storage(now, slot);
            } else {
                let tag = self.bump(slot);
                self.q.schedule(now + lat, Ev::AtStorage { slot, tag });
            }
            return;
        }
        self.finish_web(now, slot);
    }

    /// The web worker is done with the request: free it and send the response.
    fn finish_web(&mut self, now: SimTime, slot: u32) {
        let s = self.reqs[slot as usize].server as usize;
        let srv = &mut self.web[s];
        assert!(srv.busy > 0, "web{} worker count underflow", s + 1);
        srv.busy -= 1;
        self.start_next_web(now, s);
        if self.reqs[slot as usize].recorded {
            // Abandoned after `timeout server`: nobody waits for the answer.
            self.release(slot);
            return;
        }
        // Checked first: no cut at all is the hot path's only case.
        if !self.cuts.is_empty() && self.cut(self.web_node[s], self.lb_node) {
            // The response is dropped by a partition: lb1 waits for `timeout server`.
            self.bump(slot);
            self.reqs[slot as usize].phase = Phase::Lost;
            return;
        }
        let lat = if self.lb_web_zero {
            SimDuration::ZERO
        } else {
            self.m.topology.lb_web_latency(s).sample(&mut self.rng.lb_web_net[s])
        };
        if lat.is_zero() {
            self.complete(now, slot);
        } else {
            let tag = self.bump(slot);
            self.reqs[slot as usize].phase = Phase::ToLb;
            self.q.schedule(now + lat, Ev::Response { slot, tag });
        }
    }

    fn start_next_web(&mut self, now: SimTime, s: usize) {
        while self.web[s].busy < self.web[s].workers && self.web[s].status != Status::Hung {
            let Some((next, tag)) = self.web[s].queue.pop_front() else {
                return;
            };
            let r = &self.reqs[next as usize];
            if r.tag == tag && r.phase == Phase::WebQueued && r.server as usize == s {
                self.web[s].queued -= 1;
                self.start_web(now, next);
            }
        }
    }

    /// The response reached lb1: success.
    fn complete(&mut self, now: SimTime, slot: u32) {
        let r = self.reqs[slot as usize];
        self.reqs[slot as usize].lb_open = false;
        self.backend.handle_done(now, r.server as usize);
        let mut latency = now.since(r.arrived);
        if !self.client_zero {
            let d = self.m.topology.client_latency();
            latency += d.sample(&mut self.rng.client_net) + d.sample(&mut self.rng.client_net);
        }
        self.metrics.record_ok(r.bucket, r.arrived, latency);
        self.release(slot);
        self.pump(now);
    }

    /// Record a failure. Cleans up whatever the request holds at lb1 and on a web server.
    fn fail(&mut self, now: SimTime, slot: u32, why: FailReason) {
        let r = self.reqs[slot as usize];
        debug_assert!(!r.recorded);
        self.metrics.record_failure(r.bucket, r.arrived, why);
        if r.lb_open {
            self.reqs[slot as usize].lb_open = false;
            self.backend.handle_done(now, r.server as usize);
        }
        match r.phase {
            Phase::WebActive | Phase::Frozen => {
                // The worker finishes it without a client; the slot is freed then.
                self.reqs[slot as usize].recorded = true;
            }
            Phase::WebQueued => {
                // Its queue entry goes stale with the slot and is skipped when popped.
                self.web[r.server as usize].queued -= 1;
                self.release(slot);
            }
            _ => self.release(slot),
        }
        self.pump(now);
    }

    /// Fail every request whose `timeout server` expired; re-arm for the next one still
    /// waiting. Entries of requests that already finished are dropped whatever their
    /// deadline, so the sweep wakes about once per `timeout server`, not once per request.
    fn on_sweep(&mut self, now: SimTime) {
        self.sweep_scheduled = false;
        while let Some(&(deadline, slot, inc)) = self.sweep.front() {
            let r = self.reqs[slot as usize];
            let waiting = matches!(
                r.phase,
                Phase::WebQueued | Phase::WebActive | Phase::Lost | Phase::Frozen
            );
            let live = r.incarnation == inc && r.deadline == deadline && waiting && !r.recorded;
            if live && deadline > now {
                self.sweep_scheduled = true;
                self.q.schedule(deadline, Ev::TimeoutSweep);
                return;
            }
            self.sweep.pop_front();
            if live {
                self.fail(now, slot, FailReason::ServerTimeout);
            }
        }
    }

    // ---- storage tier -----------------------------------------------------------------------

    fn at_storage(&mut self, now: SimTime, slot: u32) {
        let tag = self.bump(slot);
        let Some(p) = self.primary else {
            // No writable primary (a takeover): wait for one, up to the client's timeout.
            self.storage_waiting.push((slot, tag));
            self.q
                .schedule(now + STORAGE_CALL_TIMEOUT, Ev::StorageFail { slot, tag });
            return;
        };
        let s = self.reqs[slot as usize].server as usize;
        // Checked first: no cut at all is the hot path's only case.
        if !self.cuts.is_empty()
            && (self.cut(self.web_node[s], self.store_node[p]) || self.cut(self.store_node[p], self.web_node[s]))
        {
            // Partitioned from the primary: the connection times out.
            self.q
                .schedule(now + STORAGE_CALL_TIMEOUT, Ev::StorageFail { slot, tag });
            return;
        }
        if self.reqs[slot as usize].call_is_write && self.disk_full(now, p) {
            // ENOSPC: the database refuses the write at once.
            self.q.schedule(now, Ev::StorageFail { slot, tag });
            return;
        }
        let node = &mut self.store[p];
        match node.status {
            Status::Crashed | Status::Hung => self
                .q
                .schedule(now + STORAGE_CALL_TIMEOUT, Ev::StorageFail { slot, tag }),
            Status::Dead => self.q.schedule(now, Ev::StorageFail { slot, tag }),
            Status::Up if node.busy < node.workers => {
                self.storage_join(p, slot);
                self.start_storage(now, p, slot);
            }
            Status::Up if node.queued < node.queue_max => {
                node.queue.push_back((slot, tag));
                node.queued += 1;
                self.storage_join(p, slot);
            }
            Status::Up => self.q.schedule(now, Ev::StorageFail { slot, tag }),
        }
    }

    fn storage_join(&mut self, p: usize, slot: u32) {
        let r = &mut self.reqs[slot as usize];
        r.store = p as u32;
        r.in_store_service = false;
    }

    fn storage_leave(&mut self, p: usize, slot: u32) {
        let r = &mut self.reqs[slot as usize];
        assert_eq!(r.store, p as u32, "request left a storage node it was not at");
        r.store = u32::MAX;
    }

    /// Requests alive at a server, in slot order (deterministic). Faults are rare, so a scan
    /// of the slab here is cheaper than keeping member lists on the hot path.
    fn members(&self, is_member: impl Fn(&Req) -> bool) -> Vec<u32> {
        (0..self.reqs.len() as u32)
            .filter(|&i| {
                let r = &self.reqs[i as usize];
                r.phase != Phase::Free && is_member(r)
            })
            .collect()
    }

    fn start_storage(&mut self, now: SimTime, p: usize, slot: u32) {
        let write = self.reqs[slot as usize].call_is_write;
        self.reqs[slot as usize].in_store_service = true;
        let node = &mut self.store[p];
        node.busy += 1;
        let dist = if write {
            &self.m.storage_write
        } else {
            &self.m.storage.service
        };
        let mut d = dist.sample(&mut node.service);
        if node.factor != 1.0 {
            d = d.mul_f64(node.factor);
        }
        self.metrics.storage_busy_ns[p] += self.metrics.clip(now, d);
        node.cpu_ns += d.as_nanos();
        let tag = self.reqs[slot as usize].tag;
        self.q.schedule(
            now + d,
            Ev::StorageDone {
                node: p as u32,
                epoch: node.epoch,
                slot,
                tag,
            },
        );
    }

    fn on_storage_done(&mut self, now: SimTime, p: u32, epoch: u32, slot: u32, tag: u32) {
        let p = p as usize;
        if self.store[p].epoch != epoch {
            return; // the node failed since: its workers were reset
        }
        assert!(self.store[p].busy > 0, "store{} worker count underflow", p + 1);
        self.store[p].busy -= 1;
        let live = self.live(slot, tag);
        if live {
            self.storage_leave(p, slot);
        }
        while self.store[p].busy < self.store[p].workers {
            let Some((next, g)) = self.store[p].queue.pop_front() else {
                break;
            };
            if self.reqs[next as usize].tag == g && self.reqs[next as usize].store == p as u32 {
                self.store[p].queued -= 1;
                self.start_storage(now, p, next);
            }
        }
        if !live {
            return;
        }
        let s = self.reqs[slot as usize].server as usize;
        // Checked first: no cut at all is the hot path's only case.
        if !self.cuts.is_empty() && self.cut(self.store_node[p], self.web_node[s]) {
            // The reply is dropped by a partition: the client times out.
            let tag = self.bump(slot);
            self.q
                .schedule(now + STORAGE_CALL_TIMEOUT, Ev::StorageFail { slot, tag });
            return;
        }
        let lat = if self.web_store_zero {
            SimDuration::ZERO
        } else {
            self.m
                .topology
                .web_storage_latency(s, p)
                .expect("validated link")
                .sample(&mut self.rng.web_store_net[s])
        };
        if lat.is_zero() {
            self.next_step(now, slot);
        } else {
            let tag = self.bump(slot);
            self.q.schedule(now + lat, Ev::StorageBack { slot, tag });
        }
    }

    /// The storage call failed: the web application answers 500 at once.
    fn storage_failed(&mut self, now: SimTime, slot: u32) {
        if !self.reqs[slot as usize].recorded {
            let r = self.reqs[slot as usize];
            self.metrics
                .record_failure(r.bucket, r.arrived, FailReason::StorageError);
            self.reqs[slot as usize].recorded = true;
            self.reqs[slot as usize].lb_open = false;
            self.backend.handle_done(now, r.server as usize);
        }
        // A stalled web server holds the worker until it resumes.
        if !self.freeze_if_hung(slot, SimDuration::ZERO) {
            self.finish_web(now, slot);
        }
        self.pump(now);
    }

    /// If the request's web server is stalled, park the request (`Frozen`) with `left` of CPU
    /// time to run when it resumes, and say so.
    fn freeze_if_hung(&mut self, slot: u32, left: SimDuration) -> bool {
        let s = self.reqs[slot as usize].server as usize;
        if self.web[s].status != Status::Hung {
            return false;
        }
        self.bump(slot);
        let r = &mut self.reqs[slot as usize];
        assert!(
            matches!(r.phase, Phase::WebActive),
            "only a request holding a worker freezes"
        );
        r.phase = Phase::Frozen;
        r.frozen_left = left;
        r.web_done_at = SimTime::MAX;
        true
    }

    /// web `s` stalls: requests in their CPU phase freeze with the time they still need;
    /// those in a storage call freeze when the answer comes back; queued ones wait.
    fn web_stall(&mut self, now: SimTime, s: usize) {
        self.web[s].status = Status::Hung;
        for slot in
            self.members(|r| r.server as usize == s && r.phase == Phase::WebActive && r.web_done_at != SimTime::MAX)
        {
            let left = self.reqs[slot as usize].web_done_at.since(now);
            let frozen = self.freeze_if_hung(slot, left);
            assert!(frozen, "web{} is stalled", s + 1);
        }
    }

    /// web `s` resumes after a stall: frozen requests carry on where they stopped (those whose
    /// `timeout server` expired meanwhile only free their worker), queued ones get workers,
    /// and a health check waiting on the stalled process gets its answer.
    fn web_resume(&mut self, now: SimTime, s: usize) {
        assert_eq!(self.web[s].status, Status::Hung);
        self.web[s].status = Status::Up;
        for slot in self.members(|r| r.server as usize == s && r.phase == Phase::Frozen) {
            let tag = self.bump(slot);
            let r = &mut self.reqs[slot as usize];
            r.phase = Phase::WebActive;
            r.web_done_at = now + r.frozen_left;
            self.q.schedule(r.web_done_at, Ev::WebDone { slot, tag });
        }
        self.start_next_web(now, s);
        if let Some(seq) = self.hung_probe[s].take() {
            let d = self.m.topology.lb_web_latency(s);
            let back = d.sample(&mut self.rng.check_net[s]);
            self.q.schedule(
                now + back,
                Ev::ProbeResult {
                    server: s as u32,
                    seq,
                    passed: true,
                },
            );
        }
    }

    // ---- health checks --------------------------------------------------------------------

    fn arm_check(&mut self, s: usize) {
        let t = self.checkers[s].poll_timeout();
        if t != self.check_timer[s] {
            self.check_timer[s] = t;
            self.q
                .schedule(t.max(self.q.now()), Ev::CheckTimer { server: s as u32 });
        }
    }

    fn on_check_timer(&mut self, now: SimTime, s: usize) {
        if self.check_timer[s] != now {
            return; // superseded
        }
        self.check_timer[s] = SimTime::MAX;
        self.checkers[s].handle_timeout(now);
        self.after_check(now, s);
    }

    /// Send any probe the checker wants, apply transitions, re-arm its timer.
    /// `observe layer4`: lb1's health checker of web `s` hears how a real connection went
    /// (the checker ignores it unless observing); a resulting DOWN reaches the balancer.
    fn observe_traffic(&mut self, now: SimTime, s: usize, ok: bool) {
        if self.m.observe.is_none() {
            return;
        }
        self.checkers[s].handle_traffic_result(now, ok);
        self.after_check(now, s);
    }

    fn after_check(&mut self, now: SimTime, s: usize) {
        while let Some(probe) = self.checkers[s].poll_probe() {
            let seq = probe.seq as u32;
            let d = self.m.topology.lb_web_latency(s);
            let rtt = d.sample(&mut self.rng.check_net[s]) + d.sample(&mut self.rng.check_net[s]);
            let server = s as u32;
            match self.web_seen(s) {
                Status::Up => self.q.schedule(
                    now + rtt,
                    Ev::ProbeResult {
                        server,
                        seq,
                        passed: true,
                    },
                ),
                Status::Dead => self.q.schedule(
                    now + rtt,
                    Ev::ProbeResult {
                        server,
                        seq,
                        passed: false,
                    },
                ),
                Status::Hung => {
                    self.hung_probe[s] = Some(seq);
                    self.q.schedule(now + rtt, Ev::ProbeConnected { server, seq });
                }
                Status::Crashed => {}
            }
        }
        while let Some(t) = self.checkers[s].poll_transition() {
            let up = matches!(t, Transition::Up);
            self.backend.handle_server_state(now, s, up);
            self.metrics.state_changes.push(StateChange {
                at_ms: now.as_millis_f64(),
                server: format!("web{}", s + 1),
                up,
            });
        }
        self.arm_check(s);
        self.pump(now);
    }

    // ---- faults ---------------------------------------------------------------------------

    fn on_fault(&mut self, now: SimTime, index: usize) {
        let f = self.faults[index].clone();
        let (kind, factor, node) = (f.kind, f.factor, f.node);
        if let Some(peer) = f.peer {
            self.failover_sync(now);
            let was_heard: Vec<bool> = (0..self.store.len()).map(|j| self.heard(j)).collect();
            if kind == FaultKind::Partition {
                self.cuts.push((node, peer));
                if !f.one_way {
                    self.cuts.push((peer, node));
                }
            } else {
                self.cuts
                    .retain(|&(a, b)| !((a, b) == (node, peer) || (a, b) == (peer, node)));
            }
            self.cuts.sort_unstable();
            self.cuts.dedup();
            // Who is heard changed: the next heartbeat round tells the controller.
            self.failover_wake_at_next_heartbeat(now);
            for (j, &heard) in was_heard.iter().enumerate() {
                if heard && !self.heard(j) && self.primary == Some(j) {
                    self.primary_lost_at.get_or_insert(now);
                }
            }
            self.failover_act(now);
            return;
        }
        match self.m.topology.kind(node) {
            NodeKind::Web(s) => self.web_fault(now, s, kind, factor),
            NodeKind::Storage(p) if kind == FaultKind::DiskFill => {
                let used = self.disk_fill[p].0 + self.disk_fill[p].2 * now.since(self.disk_fill[p].1).as_nanos() as f64;
                self.disk_fill[p] = (used, now, factor * 1e9 / 3_600e9);
            }
            NodeKind::Storage(p) if kind == FaultKind::Recover && self.disk_fill[p].2 > 0.0 => {
                // On-call cleans up the disk.
                self.disk_fill[p] = (0.0, now, 0.0);
            }
            NodeKind::Storage(p) => {
                self.failover_sync(now);
                let stops = kind != FaultKind::Slow && kind != FaultKind::Recover;
                if stops && self.primary == Some(p) {
                    self.primary_lost_at.get_or_insert(now);
                }
                self.storage_fault(now, p, kind, factor);
                if kind == FaultKind::Recover {
                    self.storage_repaired(now, p);
                    self.failover_wake_at_next_heartbeat(now);
                }
                self.failover_act(now);
            }
            other => unreachable!("validated: faults target servers, not {other:?}"),
        }
    }

    // ---- monitoring -------------------------------------------------------------------------

    /// Disk in use on storage node `p` at `now` [bytes].
    fn disk_used(&self, now: SimTime, p: usize) -> f64 {
        let mo = self.m.monitoring.as_ref().expect("monitoring on");
        let (bytes, since, rate) = self.disk_fill[p];
        mo.data_bytes
            + mo.growth_bytes_per_ns * now.as_nanos() as f64
            + bytes
            + rate * now.since(since).as_nanos() as f64
    }

    /// Prometheus scrapes every server (node_exporter plus a blackbox HTTP probe for `up`):
    /// a server that does not serve reports `up` = 0 and nothing else.
    fn on_scrape(&mut self, now: SimTime) {
        let Some(mo) = self.m.monitoring.as_ref() else { return };
        let interval = self.alerting.as_ref().expect("monitoring").config().scrape_interval;
        if now + interval < SimTime::ZERO + self.m.horizon {
            self.q.schedule(now + interval, Ev::Scrape);
        }
        let web_n = self.web.len();
        let cores = f64::from(mo.cores);
        let mut samples: Vec<(usize, Metric, f64)> = Vec::new();
        for (i, srv) in self.web.iter_mut().chain(self.store.iter_mut()).enumerate() {
            let up = srv.status == Status::Up;
            samples.push((i, Metric::Up, if up { 1.0 } else { 0.0 }));
            let cpu = (srv.cpu_ns - srv.cpu_ns_scraped) as f64 / interval.as_nanos() as f64;
            srv.cpu_ns_scraped = srv.cpu_ns;
            if !up {
                continue;
            }
            let load = (cpu + f64::from(srv.queued)) / cores;
            samples.push((i, Metric::LoadPerCore, load));
            let mem = mo.memory_base_percent + mo.memory_per_worker_percent * f64::from(srv.busy);
            samples.push((i, Metric::MemoryUsedPercent, mem.min(100.0)));
        }
        for p in 0..self.store.len() {
            if self.store[p].status != Status::Up {
                continue;
            }
            let used = self.disk_used(now, p).min(mo.disk_capacity_bytes);
            samples.push((
                web_n + p,
                Metric::DiskUsedPercent,
                100.0 * used / mo.disk_capacity_bytes,
            ));
            samples.push((web_n + p, Metric::DiskFreeBytes, mo.disk_capacity_bytes - used));
        }
        let a = self.alerting.as_mut().expect("monitoring");
        for (target, metric, value) in samples {
            a.handle_sample(now, target, metric, value);
        }
    }

    /// Storage node `p`'s disk is full: writes fail.
    fn disk_full(&self, now: SimTime, p: usize) -> bool {
        self.m
            .monitoring
            .as_ref()
            .is_some_and(|mo| self.disk_used(now, p) >= mo.disk_capacity_bytes)
    }

    // ---- network partitions and storage failover -------------------------------------------

    #[inline]
    fn cut(&self, from: usize, to: usize) -> bool {
        !self.cuts.is_empty() && self.cuts.contains(&(from, to))
    }

    /// Web server `s` as lb1 sees it: a partition either way breaks TCP like a dead host.
    #[inline]
    fn web_seen(&self, s: usize) -> Status {
        if !self.cuts.is_empty()
            && (self.cut(self.lb_node, self.web_node[s]) || self.cut(self.web_node[s], self.lb_node))
        {
            Status::Crashed
        } else {
            self.web[s].status
        }
    }

    /// Storage node `j`'s heartbeats reach the cluster: it runs, is not fenced, and some other
    /// storage node hears it.
    fn heard(&self, j: usize) -> bool {
        self.store[j].status == Status::Up
            && !self.fenced[j]
            && (0..self.store.len()).any(|k| k != j && !self.cut(self.store_node[j], self.store_node[k]))
    }

    /// Deliver, lazily, the heartbeats the controller has received up to `now`: every node it
    /// hears sent one at the last heartbeat-grid point. Call before anything changes who is
    /// heard, so a node that stops is silent from its last grid point on.
    fn failover_sync(&mut self, now: SimTime) {
        let heard: Vec<usize> = (0..self.store.len()).filter(|&j| self.heard(j)).collect();
        let Some(fo) = self.failover.as_mut() else { return };
        let hb = fo.config().heartbeat_interval.as_nanos();
        let grid = SimTime::from_nanos(now.as_nanos() / hb * hb).max(fo.last_now());
        fo.handle_heartbeats(grid, &heard);
    }

    /// Run the controller at the next heartbeat-grid point after `now`.
    fn failover_wake_at_next_heartbeat(&mut self, now: SimTime) {
        let Some(fo) = self.failover.as_ref() else { return };
        let hb = fo.config().heartbeat_interval.as_nanos();
        let t = SimTime::from_nanos((now.as_nanos() / hb + 1) * hb);
        if self.failover_timer.is_none_or(|x| t < x) {
            self.failover_timer = Some(t);
            self.q.schedule(t, Ev::FailoverTimer);
        }
    }

    /// A repaired storage node rejoins the group (after a re-clone, as a replica).
    fn storage_repaired(&mut self, now: SimTime, j: usize) {
        self.fenced[j] = false;
        if let Some(fo) = self.failover.as_mut() {
            let t = now.max(fo.last_now());
            fo.handle_node_rejoined(t, j);
        }
    }

    /// Carry out the controller's actions, follow its primary, check the split-brain oracle
    /// and re-arm its timer.
    fn failover_act(&mut self, now: SimTime) {
        let heard: Vec<bool> = (0..self.store.len()).map(|j| self.heard(j)).collect();
        let Some(fo) = self.failover.as_mut() else { return };
        let cfg = fo.config().clone();
        while let Some(a) = fo.poll_action() {
            match a {
                FoAction::Fence { node } => self
                    .q
                    .schedule(now + cfg.fence_duration, Ev::FenceDone { node: node as u32 }),
                FoAction::Promote { node } => self
                    .q
                    .schedule(now + cfg.promotion_time, Ev::PromoteDone { node: node as u32 }),
                // The controller no longer lists a demoted node as writable.
                FoAction::Demote { .. } => {}
            }
        }
        let primary = fo.primary();
        // Oracle: at most one node that really runs accepts writes.
        let writable = fo
            .writable_nodes()
            .into_iter()
            .filter(|&j| matches!(self.store[j].status, Status::Up | Status::Hung) && !self.fenced[j])
            .count();
        let lost = fo.data_loss_on_failover();
        // Heartbeats are delivered lazily, so the controller's liveness deadlines only matter
        // while some node it still counts as alive is silent, or nothing is writable.
        let unsettled = (0..heard.len()).any(|j| !heard[j] && fo.role(j) != Role::Down) || primary.is_none();
        let timer = fo.poll_timeout().filter(|_| unsettled);
        if primary != self.primary {
            self.primary = primary;
            if primary.is_some() {
                if let Some(lost_at) = self.primary_lost_at.take()
                    && self.metrics.in_window(lost_at)
                {
                    self.metrics.takeover_ms.push(now.since(lost_at).as_millis_f64());
                    self.metrics.failover_lost_writes_ns += lost.as_nanos();
                }
                for (slot, tag) in std::mem::take(&mut self.storage_waiting) {
                    if self.live(slot, tag) {
                        self.at_storage(now, slot);
                    }
                }
            }
        }
        match (writable > 1, self.split_since) {
            (true, None) => self.split_since = Some(now),
            (false, Some(since)) => {
                self.metrics.split_brain_ns += self.metrics.clip(since, now.since(since));
                self.split_since = None;
            }
            _ => {}
        }
        if let Some(t) = timer
            && self.failover_timer.is_none_or(|x| x != t.max(now))
        {
            let t = t.max(now);
            self.failover_timer = Some(t);
            self.q.schedule(t, Ev::FailoverTimer);
        }
    }

    fn web_fault(&mut self, now: SimTime, s: usize, kind: FaultKind, factor: f64) {
        let status = match kind {
            FaultKind::Slow => {
                self.web[s].factor = factor;
                return;
            }
            FaultKind::Crash => Status::Crashed,
            FaultKind::ProcessDeath => Status::Dead,
            FaultKind::Hang => Status::Hung,
            FaultKind::Recover => Status::Up,
            FaultKind::Partition | FaultKind::Heal | FaultKind::DiskFill => {
                unreachable!("network and disk faults are handled in on_fault")
            }
        };
        if status == Status::Up && self.web[s].status == Status::Up {
            self.web[s].factor = 1.0;
            return;
        }
        match (self.web[s].status, status) {
            (Status::Hung, Status::Hung) => return,
            (Status::Up, Status::Hung) => {
                self.web_stall(now, s);
                return;
            }
            (Status::Hung, Status::Up) => {
                self.web_resume(now, s);
                self.pump(now);
                return;
            }
            _ => {}
        }
        self.hung_probe[s] = None;
        let members = self.members(|r| {
            r.server as usize == s && matches!(r.phase, Phase::WebQueued | Phase::WebActive | Phase::Frozen)
        });
        self.web[s].reset(status);
        for slot in members {
            self.bump(slot);
            let r = &mut self.reqs[slot as usize];
            if r.store != u32::MAX {
                // Its storage call is orphaned; the storage node releases the worker by epoch.
                let p = r.store as usize;
                self.storage_leave_orphan(p, slot);
            }
            let r = self.reqs[slot as usize];
            if r.recorded {
                self.release(slot);
            } else if status == Status::Dead || status == Status::Up {
                // A killed or restarted process resets its connections: lb1 sees it at once.
                self.reqs[slot as usize].phase = Phase::Lost;
                self.fail(now, slot, FailReason::ConnectionReset);
            } else {
                self.reqs[slot as usize].phase = Phase::Lost;
            }
        }
        self.pump(now);
    }

    /// Drop `slot` from storage node `p`'s bookkeeping when its web request died.
    fn storage_leave_orphan(&mut self, p: usize, slot: u32) {
        let queued = !self.reqs[slot as usize].in_store_service;
        self.storage_leave(p, slot);
        if queued {
            // Its queue entry is now stale (tag bumped) and will be skipped.
            self.store[p].queued -= 1;
        }
        // In service: the worker is released by its StorageDone (same epoch).
    }

    fn storage_fault(&mut self, now: SimTime, p: usize, kind: FaultKind, factor: f64) {
        let status = match kind {
            FaultKind::Slow => {
                self.store[p].factor = factor;
                return;
            }
            FaultKind::Crash => Status::Crashed,
            FaultKind::ProcessDeath => Status::Dead,
            FaultKind::Hang => Status::Hung,
            FaultKind::Recover => Status::Up,
            FaultKind::Partition | FaultKind::Heal | FaultKind::DiskFill => {
                unreachable!("network and disk faults are handled in on_fault")
            }
        };
        if status == Status::Up && self.store[p].status == Status::Up {
            self.store[p].factor = 1.0;
            return;
        }
        let members = self.members(|r| r.store as usize == p);
        self.store[p].reset(status);
        let delay = match status {
            Status::Crashed | Status::Hung => STORAGE_CALL_TIMEOUT,
            Status::Dead | Status::Up => SimDuration::ZERO,
        };
        for slot in members {
            let tag = self.bump(slot);
            let r = &mut self.reqs[slot as usize];
            r.store = u32::MAX;
            self.q.schedule(now + delay, Ev::StorageFail { slot, tag });
        }
    }
}

/// The scenario's scripted faults plus the web and storage failures and repairs that the
/// availability mode draws for this replication (same seed: the same timeline), in time order.
fn random_faults(m: &Model, replication: u32) -> Vec<crate::scenario::ScriptedFault> {
    let log = super::avail::AvailWorld::new(m, replication).run().fault_log;
    let mut faults = m.faults.clone();
    for f in log {
        let at =
            SimTime::ZERO + crate::units::parse_duration(&f.at).expect("the availability mode writes `<n>ns` times");
        let node = m
            .topology
            .node_by_name(&f.target)
            .expect("logged faults name real nodes");
        faults.push(crate::scenario::ScriptedFault {
            at,
            node,
            kind: f.kind,
            factor: f.factor.unwrap_or(1.0),
            peer: f
                .peer
                .as_deref()
                .map(|p| m.topology.node_by_name(p).expect("logged peers name real nodes")),
            one_way: f.direction == Some(crate::scenario::schema::Direction::OneWay),
        });
    }
    // Stable: scripted faults first among faults at the same instant.
    faults.sort_by_key(|f| f.at);
    faults
}

fn reject_reason(r: RejectReason) -> FailReason {
    match r {
        RejectReason::NoServer => FailReason::NoServer,
        RejectReason::QueueFull => FailReason::QueueFull,
        RejectReason::QueueTimeout => FailReason::QueueTimeout,
        RejectReason::RetriesExhausted => FailReason::RetriesExhausted,
    }
}
