//! Storage failover controller: which storage node clients write to, and how a dead primary is
//! replaced, as a sans-IO state machine.
//!
//! Job: model the promise "de servers voor data-opslag zijn dubbel uitgevoerd; mocht een server
//! uitvallen, dan neemt de tweede server 'ongemerkt' de taak over" the way a cluster manager
//! (Pacemaker/Corosync, keepalived notify scripts, or Patroni) runs a primary/replica database
//! group. It watches N >= 2 storage nodes (node 0 starts as primary, the others as replicas),
//! declares a node dead when no heartbeat arrived for `dead_timeout`, optionally fences
//! (STONITH) the lost primary, then promotes the lowest-numbered live replica. While no node is
//! writable (detection + fencing + promotion) [`FailoverController::primary`] is `None` and the
//! driver must make storage requests wait, retry or fail.
//!
//! Where it sits: the policy layer. This is production logic that knows nothing of the
//! simulator. It never sees a node's true state, only what the driver reports: the heartbeats it
//! received, fence results, promotion completions and repaired nodes rejoining. A partition is
//! therefore expressed by the driver simply not delivering a node's heartbeats while that node
//! stays up (and, if it was primary, writable). The driver calls
//! [`FailoverController::poll_timeout`] / [`FailoverController::handle_timeout`], carries out the
//! actions from [`FailoverController::poll_action`] and reports back.
//!
//! What it must never do: read a clock, do I/O, draw random numbers, spawn threads or iterate a
//! hash map. Time only enters through the `now` arguments; every choice (which replica, which
//! node to fence first) is by lowest node index.
//!
//! Behaviour choices (each mirrors the production tool named):
//!
//! * Detection: a node is declared dead at exactly `last_heartbeat + dead_timeout` (a heartbeat
//!   reported at that very instant, before the timeout is handled, still counts). Corosync
//!   declares the token lost after `token` ms of silence; Patroni's leader key expires `ttl`
//!   after its last renewal.
//! * Fencing on (Pacemaker `stonith-enabled=true`): a lost primary (or a node lost while being
//!   promoted) is fenced before anything is promoted, so two writable primaries can never
//!   exist. A fence that fails, or that gets no answer within `fence_timeout`
//!   (`stonith-timeout`), is retried: after `fence_retry_delay` for the first
//!   `fence_max_attempts` attempts (`stonith-max-attempts`; Pacemaker re-runs the scheduler at
//!   once after a failed action), then every `fence_recheck_interval`
//!   (`cluster-recheck-interval`). Until a fence succeeds nothing is promoted: the service stays
//!   unavailable rather than risk split brain. Heartbeats from the lost primary do not cancel
//!   fencing (Pacemaker never trusts an unclean node again without fencing it); only
//!   [`FailoverController::handle_node_rejoined`] (an operator repaired it) does.
//! * Fencing off (keepalived notify scripts, or Patroni without a watchdog): the replica is
//!   promoted as soon as the primary is declared dead. If the "dead" primary was only
//!   partitioned it is still writable: two writable nodes, which
//!   [`FailoverController::writable_nodes`] reports. When its heartbeats return the controller
//!   emits `Demote` for it (as Patroni's old leader demotes itself on seeing another leader);
//!   its data may have diverged, so it only becomes a replica again through
//!   `handle_node_rejoined` (a `pg_rewind` / re-clone). If nobody was promoted meanwhile (no
//!   live replica), the returning primary simply resumes.
//! * Quick reboot: a node repaired before it was declared dead (a reboot faster than the
//!   Corosync token timeout) rejoins the membership in one change, a blip: no fencing, no
//!   failover; a primary restarts its resource in place (Pacemaker's local recovery).
//! * Replicas: a replica that misses heartbeats is marked down (never a candidate) and becomes
//!   a replica again on its next heartbeat or rejoin. Dead replicas are not fenced
//!   (simplification: Pacemaker fences every node that leaves the membership).
//! * Data loss: with asynchronous replication the writes acknowledged in the last `lag` before
//!   the primary stopped are not on the replica; [`FailoverController::data_loss_on_failover`]
//!   reports that window for the latest promotion (zero with synchronous replication).
//! * Planned switchover (`pcs resource move`, `patronictl switchover`): the operator moves the
//!   primary role to a live replica on purpose. No detection, no fencing (the old primary is
//!   known clean: it stops taking writes and becomes a replica), and no acknowledged write is
//!   lost whatever the replication, because a controlled switchover waits for the replica to
//!   have every write before promoting it. The site only waits for the promotion.
//! * Failed takeover: a promotion can fail (DRBD refuses to promote an outdated disk, the
//!   database will not start on the standby). The node is then out until an operator repairs
//!   it (`handle_node_rejoined`); the next live replica is tried, and with none left the
//!   service stays down (stalled) until a node rejoins.

use crate::units::{SimDuration, SimTime};
use std::collections::VecDeque;

// ---------------------------------------------------------------------------------------------
// Defaults and where they come from.
// ---------------------------------------------------------------------------------------------

/// Corosync `totem.token` default (corosync.conf(5), corosync 3.x; Red Hat raised its shipped
/// value from 1 s to 3 s in RHEL 8.4): silence after which the token is declared lost [ms].
pub(crate) const COROSYNC_TOKEN_MS: u64 = 3_000;
/// Corosync `totem.token_coefficient` default (corosync.conf(5), corosync >= 2.4): added to
/// `token` for every node beyond two when a nodelist is configured [ms].
pub(crate) const COROSYNC_TOKEN_COEFFICIENT_MS: u64 = 650;
/// Corosync `totem.token_retransmits_before_loss_const` default (corosync.conf(5)).
pub(crate) const COROSYNC_TOKEN_RETRANSMITS_BEFORE_LOSS: u64 = 4;
/// Pacemaker `stonith-timeout` default (Pacemaker Explained, cluster options): how long to wait
/// for a fence action before counting it as failed.
pub(crate) const PACEMAKER_STONITH_TIMEOUT: SimDuration = SimDuration::from_secs(60);
/// Pacemaker `stonith-max-attempts` default (pacemaker-controld(7)): failed fence attempts on a
/// target that are re-attempted immediately.
pub(crate) const PACEMAKER_STONITH_MAX_ATTEMPTS: u32 = 10;
/// Pacemaker `cluster-recheck-interval` default (pacemaker-controld(7)): when the scheduler
/// runs again on its own, hence when fencing is retried after `stonith-max-attempts`.
pub(crate) const PACEMAKER_CLUSTER_RECHECK_INTERVAL: SimDuration = SimDuration::from_mins(15);
/// Patroni `ttl` default (Patroni dynamic configuration): leader-key lifetime, "the length of
/// time before initiation of the automatic failover process".
pub(crate) const PATRONI_TTL: SimDuration = SimDuration::from_secs(30);
/// Patroni `loop_wait` default (Patroni dynamic configuration): the leader renews its key once
/// per loop, so this is the heartbeat interval.
pub(crate) const PATRONI_LOOP_WAIT: SimDuration = SimDuration::from_secs(10);
/// Patroni `retry_timeout` default (Patroni dynamic configuration): DCS/PostgreSQL problems
/// shorter than this do not demote the leader. Not used by the controller (the old leader's
/// self-demotion is node-side behaviour the driver may model); a test checks the documented
/// rule `loop_wait + 2 * retry_timeout <= ttl` against it.
#[cfg(test)]
const PATRONI_RETRY_TIMEOUT: SimDuration = SimDuration::from_secs(10);
/// keepalived `advert_int` default (keepalived.conf(5)) = RFC 5798 Advertisement_Interval
/// default: 1 s = 100 centiseconds.
pub(crate) const KEEPALIVED_ADVERT_INT_CS: u16 = 100;
/// keepalived's example priority for a BACKUP instance (keepalived.conf(5) sample
/// configurations use 100); it fixes the VRRP Skew_Time and thus the detection time.
pub(crate) const KEEPALIVED_BACKUP_PRIORITY: u8 = 100;
/// ASSUMPTION (no upstream default): time for an IPMI/iLO power-off fence (`fence_ipmilan`) to
/// complete and report. Bounded above by `stonith-timeout` (60 s).
pub(crate) const ASSUMED_FENCE_DURATION: SimDuration = SimDuration::from_secs(5);
/// ASSUMPTION (no upstream default): `pg_ctl promote` on a caught-up replica of a small
/// database finishes recovery and accepts writes in about a second (pg_ctl's own wait limit,
/// `--timeout`, defaults to 60 s).
pub(crate) const ASSUMED_PROMOTION_TIME: SimDuration = SimDuration::from_secs(1);
/// ASSUMPTION (workload dependent): streaming-replication lag of an asynchronous replica on a
/// lightly loaded LAN. PostgreSQL replicates asynchronously unless `synchronous_standby_names`
/// is set, so asynchronous is the realistic default.
pub(crate) const ASSUMED_ASYNC_LAG: SimDuration = SimDuration::from_millis(100);

/// Corosync's effective token timeout for `nodes` nodes: `token + (nodes - 2) *
/// token_coefficient` (corosync.conf(5)) [ms].
pub(crate) fn corosync_token_ms(nodes: usize) -> u64 {
    assert!(nodes >= 2, "a storage group needs at least two nodes, got {nodes}");
    COROSYNC_TOKEN_MS + (nodes as u64 - 2) * COROSYNC_TOKEN_COEFFICIENT_MS
}

/// Corosync's token retransmit interval: `token / (token_retransmits_before_loss_const + 0.2)`
/// (corosync totemconfig.c, truncated to whole ms as corosync does), 714 ms for two nodes. Used
/// as the heartbeat interval of the Pacemaker profile: without traffic the token is resent at
/// this pace, and a node is lost after `token` ms without it.
pub(crate) fn corosync_token_retransmit_ms(nodes: usize) -> u64 {
    corosync_token_ms(nodes) * 10 / (COROSYNC_TOKEN_RETRANSMITS_BEFORE_LOSS * 10 + 2)
}

// ---------------------------------------------------------------------------------------------
// Configuration.
// ---------------------------------------------------------------------------------------------

/// How the primary ships writes to its replicas.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Replication {
    /// A write is acknowledged only once a replica has it: failover loses nothing (PostgreSQL
    /// `synchronous_commit=on` with `synchronous_standby_names`).
    Sync,
    /// A write is acknowledged before it reaches the replica, which trails by `lag`: failover
    /// loses the writes of that window.
    Async { lag: SimDuration },
}

/// Tunables of the failover controller. The constructors name the product each profile
/// mimics; `Default` is the two-node Pacemaker/Corosync profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FailoverConfig {
    /// How often live nodes send heartbeats. The controller only checks it against
    /// `dead_timeout`; the driver uses it to schedule heartbeats.
    pub(crate) heartbeat_interval: SimDuration,
    /// A node is declared dead when no heartbeat arrived for this long.
    pub(crate) dead_timeout: SimDuration,
    /// Fence (STONITH) a lost primary before promoting a replica.
    pub(crate) fencing: bool,
    /// How long a fence action takes; carried for the driver, which reports the result.
    pub(crate) fence_duration: SimDuration,
    /// A fence with no result after this long counts as failed.
    pub(crate) fence_timeout: SimDuration,
    /// Failed attempts on one target that are retried after `fence_retry_delay`.
    pub(crate) fence_max_attempts: u32,
    /// Wait before re-attempting a failed fence, for the first `fence_max_attempts` attempts.
    pub(crate) fence_retry_delay: SimDuration,
    /// Wait before re-attempting a failed fence once `fence_max_attempts` have failed.
    pub(crate) fence_recheck_interval: SimDuration,
    /// How long promoting a replica takes; carried for the driver, which reports completion.
    pub(crate) promotion_time: SimDuration,
    /// How writes reach the replicas.
    pub(crate) replication: Replication,
}

impl FailoverConfig {
    /// Pacemaker + Corosync 3 with fencing, managing PostgreSQL with asynchronous replication.
    pub(crate) fn pacemaker(nodes: usize) -> Self {
        FailoverConfig {
            heartbeat_interval: SimDuration::from_millis(corosync_token_retransmit_ms(nodes)),
            // Only the token timeout: Corosync then also waits up to `consensus` (default
            // 1.2 * token) to form the new membership, which is not modelled here.
            dead_timeout: SimDuration::from_millis(corosync_token_ms(nodes)),
            fencing: true, // Pacemaker `stonith-enabled` defaults to true.
            fence_duration: ASSUMED_FENCE_DURATION,
            fence_timeout: PACEMAKER_STONITH_TIMEOUT,
            fence_max_attempts: PACEMAKER_STONITH_MAX_ATTEMPTS,
            // Pacemaker aborts the transition on a failed fence and schedules it again at once.
            fence_retry_delay: SimDuration::ZERO,
            fence_recheck_interval: PACEMAKER_CLUSTER_RECHECK_INTERVAL,
            promotion_time: ASSUMED_PROMOTION_TIME,
            replication: Replication::Async { lag: ASSUMED_ASYNC_LAG },
        }
    }

    /// keepalived (VRRP) in front of a primary/replica pair, promoting by notify script: no
    /// fencing, detection after the VRRP Master_Down_Interval of a priority-100 backup with
    /// `advert_int 1` (3 * 100 cs + 60 cs = 3.60 s, see `vrrp::master_down_interval_cs`).
    pub(crate) fn keepalived() -> Self {
        let down_cs =
            crate::policy::vrrp::master_down_interval_cs(KEEPALIVED_BACKUP_PRIORITY, KEEPALIVED_ADVERT_INT_CS);
        FailoverConfig {
            heartbeat_interval: SimDuration::from_millis(u64::from(KEEPALIVED_ADVERT_INT_CS) * 10),
            dead_timeout: SimDuration::from_millis(u64::from(down_cs) * 10),
            fencing: false,
            ..Self::pacemaker(2)
        }
    }

    /// Patroni with its defaults: the leader renews its key every `loop_wait` (10 s), replicas
    /// take over when it expires after `ttl` (30 s); no STONITH. (Real Patroni also demotes an
    /// isolated leader that cannot renew its key within `retry_timeout`; that is node-side
    /// behaviour this controller does not see, so the driver must model it if wanted.)
    pub(crate) fn patroni() -> Self {
        FailoverConfig {
            heartbeat_interval: PATRONI_LOOP_WAIT,
            dead_timeout: PATRONI_TTL,
            fencing: false,
            ..Self::pacemaker(2)
        }
    }
}

impl Default for FailoverConfig {
    fn default() -> Self {
        Self::pacemaker(2)
    }
}

// ---------------------------------------------------------------------------------------------
// Outputs and observable state.
// ---------------------------------------------------------------------------------------------

/// What the controller wants the driver to do.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Power the node off; report with `handle_fence_result`.
    Fence { node: usize },
    /// Make the node the writable primary; report with `handle_promotion_done`.
    Promote { node: usize },
    /// Make the node read-only at once (it was a primary the controller had given up on).
    Demote { node: usize },
}

/// The controller's belief about one node.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Live and writable: the node clients write to.
    Primary,
    /// Live, told to promote, not writable yet.
    Promoting,
    /// Live and following the primary.
    Replica,
    /// Declared dead (or fenced, or demoted after split brain); out of service.
    Down,
}

/// One period without a writable primary, as the controller saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Outage {
    /// The primary that was lost.
    pub(crate) failed_primary: usize,
    /// Its last heartbeat: the latest instant it was known to be working.
    pub(crate) last_heartbeat: SimTime,
    /// When it was declared dead (`last_heartbeat + dead_timeout`): `primary()` is `None` from
    /// here on.
    pub(crate) detected_at: SimTime,
    /// Fence actions issued during this outage.
    pub(crate) fence_attempts: u32,
    /// When the last needed fence succeeded.
    pub(crate) fenced_at: Option<SimTime>,
    /// When the (latest) `Promote` was issued.
    pub(crate) promote_started_at: Option<SimTime>,
    /// The node that became (or was being made) primary.
    pub(crate) new_primary: Option<usize>,
    /// When a writable primary existed again.
    pub(crate) restored_at: Option<SimTime>,
    /// Acknowledged writes lost at the promotion (the async lag window; zero for sync).
    pub(crate) data_loss: SimDuration,
    /// An operator's planned switchover, not a failure.
    pub(crate) planned: bool,
    /// Promotions that failed during this outage.
    pub(crate) failed_promotions: u32,
    /// An operator repaired a node during this outage and is at the group: the promotions
    /// that follow are attended and do not fail.
    pub(crate) attended: bool,
}

#[derive(Clone, Debug)]
struct Node {
    role: Role,
    last_heartbeat: SimTime,
    /// Not proven read-only: told to promote (or started as primary) and since neither fenced,
    /// demoted nor rejoined.
    may_write: bool,
    fenced: bool,
    /// Lost while writable: may hold diverged data, so it only returns via `handle_node_rejoined`.
    needs_rejoin: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// Nothing in flight: serving if a primary exists, otherwise stalled (no live replica).
    Idle,
    Fencing {
        target: usize,
        deadline: SimTime,
        attempt: u32,
    },
    FenceBackoff {
        target: usize,
        retry_at: SimTime,
        attempts: u32,
    },
    Promoting {
        node: usize,
    },
}

/// The storage failover controller for one group of N >= 2 storage nodes.
#[derive(Clone, Debug)]
pub(crate) struct FailoverController {
    config: FailoverConfig,
    nodes: Vec<Node>,
    phase: Phase,
    actions: VecDeque<Action>,
    outage: Option<Outage>,
    last_outage: Option<Outage>,
    last_data_loss: SimDuration,
    last_now: SimTime,
    membership_blips: u32,
}

impl FailoverController {
    /// A group of `nodes` storage nodes at `now`: node 0 primary, the others replicas, all
    /// counted as having just sent a heartbeat.
    pub(crate) fn new(now: SimTime, nodes: usize, config: FailoverConfig) -> Self {
        assert!(nodes >= 2, "a storage group needs at least two nodes, got {nodes}");
        assert!(
            config.heartbeat_interval > SimDuration::ZERO && config.dead_timeout > config.heartbeat_interval,
            "dead_timeout ({}) must exceed a non-zero heartbeat_interval ({})",
            config.dead_timeout,
            config.heartbeat_interval
        );
        assert!(
            config.fence_timeout > SimDuration::ZERO,
            "fence_timeout must be positive"
        );
        let nodes = (0..nodes)
            .map(|i| Node {
                role: if i == 0 { Role::Primary } else { Role::Replica },
                last_heartbeat: now,
                may_write: i == 0,
                fenced: false,
                needs_rejoin: false,
            })
            .collect();
        let ctl = FailoverController {
            config,
            nodes,
            phase: Phase::Idle,
            actions: VecDeque::new(),
            outage: None,
            last_outage: None,
            last_data_loss: SimDuration::ZERO,
            last_now: now,
            membership_blips: 0,
        };
        ctl.check_invariants();
        ctl
    }

    pub(crate) fn config(&self) -> &FailoverConfig {
        &self.config
    }

    /// The instant to hand the controller an input observed at `now`: `now`, or its own clock
    /// if that is later (a driver that delivers heartbeats lazily stamps them on the grid,
    /// which can be ahead of the event it is handling). Inputs never go back in time.
    pub(crate) fn input_time(&self, now: SimTime) -> SimTime {
        now.max(self.last_now)
    }

    /// The heartbeat-grid point at or before `now` (every node sends one each
    /// `heartbeat_interval` from time 0), as an input time: where a driver stamps the
    /// heartbeats it delivers lazily, so a node that stops is silent from its last grid point.
    pub(crate) fn heartbeat_at_or_before(&self, now: SimTime) -> SimTime {
        let hb = self.config.heartbeat_interval.as_nanos();
        self.input_time(SimTime::from_nanos(now.as_nanos() / hb * hb))
    }

    /// The first heartbeat-grid point after `now`: when heard nodes next report.
    pub(crate) fn heartbeat_after(&self, now: SimTime) -> SimTime {
        let hb = self.config.heartbeat_interval.as_nanos();
        SimTime::from_nanos((now.as_nanos() / hb + 1) * hb)
    }

    // ----- inputs -----------------------------------------------------------------------------

    /// The driver received a heartbeat from `node` (which therefore is up and reachable).
    #[cfg(test)]
    pub(crate) fn handle_heartbeat(&mut self, now: SimTime, node: usize) {
        self.handle_heartbeats(now, &[node]);
    }

    /// Heartbeats of several nodes at the same instant. Expiry runs once, after all of them,
    /// so a driver that delivers heartbeats lazily (skipping the steady ones) never makes a
    /// live node look dead because its heartbeat was delivered second.
    pub(crate) fn handle_heartbeats(&mut self, now: SimTime, nodes: &[usize]) {
        self.enter(now);
        for &node in nodes {
            self.note_heartbeat(now, node);
        }
        self.expire(now);
        self.advance(now);
        self.check_invariants();
    }

    fn note_heartbeat(&mut self, now: SimTime, node: usize) {
        self.check_node(node);
        let fencing = self.config.fencing;
        let other_writer = self
            .nodes
            .iter()
            .enumerate()
            .any(|(i, n)| i != node && matches!(n.role, Role::Primary | Role::Promoting));
        let idle = self.phase == Phase::Idle;
        let n = &mut self.nodes[node];
        n.last_heartbeat = now;
        let mut resumed = false;
        if n.role == Role::Down && !n.fenced {
            if n.may_write {
                if fencing {
                    // An unclean node is never trusted again without fencing (or a repair).
                } else if other_writer {
                    // Split brain ends: the old primary learns of the new one and steps down.
                    n.may_write = false;
                    self.actions.push_back(Action::Demote { node });
                } else if idle {
                    // Nobody took over meanwhile: the returning primary simply resumes.
                    n.role = Role::Primary;
                    n.needs_rejoin = false;
                    resumed = true;
                }
            } else if !n.needs_rejoin {
                // A replica that had missed heartbeats is following again.
                n.role = Role::Replica;
            }
        }
        if resumed {
            self.restore(now, node);
        }
    }

    /// Time has reached `now`: declare silent nodes dead and run fence deadlines and retries.
    pub(crate) fn handle_timeout(&mut self, now: SimTime) {
        self.enter(now);
        self.expire(now);
        // A fence that times out with no retry delay is re-issued in the same call.
        loop {
            match self.phase {
                Phase::Fencing {
                    target,
                    deadline,
                    attempt,
                } if now >= deadline => self.fence_failed(now, target, attempt),
                Phase::FenceBackoff {
                    target,
                    retry_at,
                    attempts,
                } if now >= retry_at => {
                    self.issue_fence(now, target, attempts + 1);
                    break;
                }
                _ => break,
            }
        }
        self.advance(now);
        self.check_invariants();
    }

    /// The fence action on `node` finished: `ok` means the node is powered off. A result for a
    /// node that is not being fenced (a late answer after `fence_timeout`, or a node that
    /// rejoined meanwhile) is ignored, except that a late success is still taken as a success.
    pub(crate) fn handle_fence_result(&mut self, now: SimTime, node: usize, ok: bool) {
        self.enter(now);
        self.check_node(node);
        self.expire(now);
        match self.phase {
            Phase::Fencing { target, attempt, .. } if target == node => {
                if ok {
                    self.fenced(now, node);
                } else {
                    self.fence_failed(now, node, attempt);
                }
            }
            Phase::FenceBackoff { target, .. } if target == node && ok => self.fenced(now, node),
            _ => {}
        }
        self.advance(now);
        self.check_invariants();
    }

    /// The promotion of `node` finished: it is writable. A completion for a promotion that was
    /// abandoned (the node was declared dead meanwhile) is ignored; that node stays down and
    /// counts as possibly writable until fenced, demoted or rejoined.
    pub(crate) fn handle_promotion_done(&mut self, now: SimTime, node: usize) {
        self.enter(now);
        self.check_node(node);
        self.expire(now);
        if self.phase == (Phase::Promoting { node }) {
            assert_eq!(self.nodes[node].role, Role::Promoting);
            self.nodes[node].role = Role::Primary;
            self.phase = Phase::Idle;
            self.restore(now, node);
        }
        self.advance(now);
        self.check_invariants();
    }

    /// The promotion of `node` finished, with its outcome drawn here: an unplanned takeover's
    /// promotion fails with `fail_probability` (`draw` returns a uniform number in [0, 1) and
    /// is called only then); a planned switchover promotes a caught-up replica the operator is
    /// watching and always succeeds, and so does one after an operator's repair in the same
    /// outage ([`FailoverController::handle_operator_rejoin`]): the operator is at the group.
    pub(crate) fn handle_promotion_finished(
        &mut self,
        now: SimTime,
        node: usize,
        fail_probability: f64,
        draw: impl FnOnce() -> f64,
    ) {
        let watched = self.outage.as_ref().is_some_and(|o| o.planned || o.attended);
        if !watched && fail_probability > 0.0 && draw() < fail_probability {
            self.handle_promotion_failed(now, node);
        } else {
            self.handle_promotion_done(now, node);
        }
    }

    /// The promotion of `node` failed (the standby's resource would not start): the node is
    /// out of service until an operator repairs it ([`FailoverController::handle_node_rejoined`]).
    /// It never became writable, so it is no split-brain risk. The next live replica is
    /// promoted; with none left the group stalls. A failure for a promotion that was abandoned
    /// meanwhile is ignored.
    pub(crate) fn handle_promotion_failed(&mut self, now: SimTime, node: usize) {
        self.enter(now);
        self.check_node(node);
        self.expire(now);
        if self.phase == (Phase::Promoting { node }) {
            let n = &mut self.nodes[node];
            assert_eq!(n.role, Role::Promoting);
            n.role = Role::Down;
            n.may_write = false;
            n.needs_rejoin = true;
            self.phase = Phase::Idle;
            self.outage
                .as_mut()
                .expect("a promotion runs in an outage")
                .failed_promotions += 1;
        }
        self.advance(now);
        self.check_invariants();
    }

    /// The replica now trails the primary by `lag` (what `pg_stat_replication.replay_lag`
    /// reports): an unplanned promotion from here on loses the writes of that window. The
    /// driver samples the lag (the model's lag distribution) when a primary is lost; the rule
    /// "async loses the lag, sync loses nothing" stays here. Asynchronous replication only.
    pub(crate) fn handle_replication_lag(&mut self, now: SimTime, lag: SimDuration) {
        self.enter(now);
        assert!(
            matches!(self.config.replication, Replication::Async { .. }),
            "a replication lag under synchronous replication"
        );
        self.config.replication = Replication::Async { lag };
    }

    /// The operator moves the primary role to the live replica `to` on purpose (a planned
    /// switchover, see the module doc): the primary becomes a replica at once and `to` is
    /// promoted, with no detection, no fencing and no lost writes. Returns false, changing
    /// nothing, unless a primary serves, nothing is in flight and `to` is a live replica.
    pub(crate) fn handle_planned_switchover(&mut self, now: SimTime, to: usize) -> bool {
        self.enter(now);
        self.check_node(to);
        self.expire(now);
        let Some(old) = self.primary() else {
            return false;
        };
        if self.phase != Phase::Idle || self.nodes[to].role != Role::Replica {
            return false;
        }
        let n = &mut self.nodes[old];
        n.role = Role::Replica;
        n.may_write = false;
        let last_heartbeat = n.last_heartbeat;
        self.outage = Some(Outage {
            failed_primary: old,
            last_heartbeat,
            detected_at: now,
            fence_attempts: 0,
            fenced_at: None,
            promote_started_at: None,
            new_primary: None,
            restored_at: None,
            data_loss: SimDuration::ZERO,
            planned: true,
            attended: false,
            failed_promotions: 0,
        });
        self.promote(now, to, SimDuration::ZERO);
        self.check_invariants();
        true
    }

    /// Whether nothing can make the group writable again without an operator: no primary,
    /// nothing in flight, no node to fence and no live replica to promote.
    pub(crate) fn is_stalled(&self) -> bool {
        self.primary().is_none()
            && self.phase == Phase::Idle
            && self.actions.is_empty()
            && !self.nodes.iter().any(|n| n.role == Role::Replica)
            && !(self.config.fencing
                && self
                    .nodes
                    .iter()
                    .any(|n| n.role == Role::Down && n.may_write && !n.fenced))
    }

    /// A repaired node is back, as a clean replica (powered on, data re-synchronised). Cancels
    /// any fencing of it.
    ///
    /// A node that rebooted faster than `dead_timeout` was never declared dead: Corosync sees
    /// it leave and rejoin in one membership change (a blip, counted by
    /// [`FailoverController::membership_blips`]) and nothing fails over. A primary restarts its
    /// resource in place and stays primary; a replica keeps following; a node that was being
    /// promoted lost that promotion and returns as a replica, and the next promotion starts.
    pub(crate) fn handle_node_rejoined(&mut self, now: SimTime, node: usize) {
        self.rejoin(now, node);
    }

    /// An operator repaired a node and looked at the group: every node of `running` the
    /// controller holds down (one a failed promotion left out, or a replica that failed and
    /// came back between takeovers) rejoins too, in node order. During an outage the operator
    /// stays: the promotions that follow in it are attended and do not fail.
    pub(crate) fn handle_operator_rejoin(&mut self, now: SimTime, running: &[usize]) {
        if let Some(o) = self.outage.as_mut()
            && o.restored_at.is_none()
        {
            o.attended = true;
        }
        for &node in running {
            if self.nodes[node].role == Role::Down {
                self.rejoin(now, node);
            }
        }
    }

    /// `node` is back (see `handle_node_rejoined`).
    fn rejoin(&mut self, now: SimTime, node: usize) {
        self.enter(now);
        self.check_node(node);
        self.expire(now);
        match self.nodes[node].role {
            Role::Down => {
                if matches!(self.phase, Phase::Fencing { target, .. } | Phase::FenceBackoff { target, .. } if target == node)
                {
                    self.phase = Phase::Idle;
                }
                self.nodes[node] = Node {
                    role: Role::Replica,
                    last_heartbeat: now,
                    may_write: false,
                    fenced: false,
                    needs_rejoin: false,
                };
            }
            Role::Primary | Role::Replica => {
                self.membership_blips += 1;
                self.nodes[node].last_heartbeat = now;
            }
            Role::Promoting => {
                self.membership_blips += 1;
                assert_eq!(self.phase, Phase::Promoting { node });
                self.phase = Phase::Idle;
                let n = &mut self.nodes[node];
                n.role = Role::Replica;
                n.may_write = false;
                n.last_heartbeat = now;
            }
        }
        self.advance(now);
        self.check_invariants();
    }

    // ----- outputs and queries ----------------------------------------------------------------

    /// The next thing the driver must do, if any.
    pub(crate) fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When `handle_timeout` must next be called, if ever.
    pub(crate) fn poll_timeout(&self) -> Option<SimTime> {
        let deaths = self
            .nodes
            .iter()
            .filter(|n| n.role != Role::Down)
            .map(|n| n.last_heartbeat + self.config.dead_timeout);
        let phase = match self.phase {
            Phase::Fencing { deadline, .. } => Some(deadline),
            Phase::FenceBackoff { retry_at, .. } => Some(retry_at),
            Phase::Idle | Phase::Promoting { .. } => None,
        };
        deaths.chain(phase).min()
    }

    /// Nodes that rebooted and rejoined before they were declared dead (no failover).
    #[cfg(test)]
    pub(crate) fn membership_blips(&self) -> u32 {
        self.membership_blips
    }

    /// The node clients must write to: the believed, writable primary. `None` during a
    /// takeover (and while no replica is left to promote).
    pub(crate) fn primary(&self) -> Option<usize> {
        self.nodes.iter().position(|n| n.role == Role::Primary)
    }

    /// The controller's belief about `node`.
    pub(crate) fn role(&self, node: usize) -> Role {
        self.nodes[node].role
    }

    /// The last heartbeat reported for `node`.
    #[cfg(test)]
    pub(crate) fn last_heartbeat(&self, node: usize) -> SimTime {
        self.nodes[node].last_heartbeat
    }

    /// Nodes that may accept writes, ascending: the primary, plus every node that was lost
    /// while writable and has been neither fenced, demoted nor rejoined. For the split-brain
    /// oracle, which intersects this with the nodes that are truly up (a crashed node writes
    /// nothing): with fencing on at most one node is ever listed; with fencing off a
    /// partitioned old primary stays listed next to the promoted replica.
    pub(crate) fn writable_nodes(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| {
                let n = &self.nodes[i];
                n.role == Role::Primary || (n.role == Role::Down && n.may_write && !n.fenced)
            })
            .collect()
    }

    /// The split-brain oracle: more than one node accepts writes, counting only the nodes
    /// the controller lists as writable that `really_writable` says still run unfenced.
    pub(crate) fn split_brain(&self, really_writable: impl Fn(usize) -> bool) -> bool {
        self.writable_nodes()
            .into_iter()
            .filter(|&j| really_writable(j))
            .count()
            > 1
    }

    /// Whether `node` has been fenced (and not rejoined since).
    #[cfg(test)]
    pub(crate) fn is_fenced(&self, node: usize) -> bool {
        self.nodes[node].fenced
    }

    /// Since when no writable primary exists (the instant the primary was declared dead), or
    /// `None` while a primary serves. The true outage began earlier, at the failure itself,
    /// which only the driver knows; see [`Outage::last_heartbeat`] for the controller's bound.
    #[cfg(test)]
    pub(crate) fn unavailable_since(&self) -> Option<SimTime> {
        self.outage.as_ref().map(|o| o.detected_at)
    }

    /// The outage in progress, if any.
    pub(crate) fn current_outage(&self) -> Option<&Outage> {
        self.outage.as_ref()
    }

    /// The most recent finished outage, if any.
    pub(crate) fn last_outage(&self) -> Option<&Outage> {
        self.last_outage.as_ref()
    }

    /// Acknowledged writes lost at the latest promotion: the async lag window, zero with
    /// synchronous replication or before any promotion.
    pub(crate) fn data_loss_on_failover(&self) -> SimDuration {
        self.last_data_loss
    }

    // ----- internals --------------------------------------------------------------------------

    fn enter(&mut self, now: SimTime) {
        assert!(
            now >= self.last_now,
            "time went backwards: {now:?} < {:?}",
            self.last_now
        );
        self.last_now = now;
    }

    fn check_node(&self, node: usize) {
        assert!(
            node < self.nodes.len(),
            "node {node} out of range (group of {})",
            self.nodes.len()
        );
    }

    /// Declare dead every live node whose heartbeat deadline has passed, lowest index first.
    fn expire(&mut self, now: SimTime) {
        for i in 0..self.nodes.len() {
            let n = &self.nodes[i];
            if n.role == Role::Down || now < n.last_heartbeat + self.config.dead_timeout {
                continue;
            }
            let was = n.role;
            let last_heartbeat = n.last_heartbeat;
            let n = &mut self.nodes[i];
            n.role = Role::Down;
            match was {
                Role::Primary => {
                    n.needs_rejoin = true;
                    assert!(self.outage.is_none(), "a primary existed during an outage");
                    self.outage = Some(Outage {
                        failed_primary: i,
                        last_heartbeat,
                        detected_at: now,
                        fence_attempts: 0,
                        fenced_at: None,
                        promote_started_at: None,
                        new_primary: None,
                        restored_at: None,
                        data_loss: SimDuration::ZERO,
                        planned: false,
                        attended: false,
                        failed_promotions: 0,
                    });
                }
                Role::Promoting => {
                    n.needs_rejoin = true;
                    assert_eq!(self.phase, Phase::Promoting { node: i });
                    self.phase = Phase::Idle;
                }
                Role::Replica | Role::Down => {}
            }
        }
    }

    /// With nothing in flight and no primary: fence what must be fenced, else promote.
    fn advance(&mut self, now: SimTime) {
        if self.phase != Phase::Idle || self.primary().is_some() {
            return;
        }
        if self.config.fencing
            && let Some(target) = self
                .nodes
                .iter()
                .position(|n| n.role == Role::Down && n.may_write && !n.fenced)
        {
            self.issue_fence(now, target, 1);
            return;
        }
        let Some(candidate) = self.nodes.iter().position(|n| n.role == Role::Replica) else {
            return; // stalled: unavailable until a node rejoins
        };
        let loss = match self.config.replication {
            Replication::Sync => SimDuration::ZERO,
            Replication::Async { lag } => lag,
        };
        self.promote(now, candidate, loss);
    }

    /// Promote `node`, losing the acknowledged writes of `loss` (the replication lag at a
    /// failover, zero at a planned switchover).
    fn promote(&mut self, now: SimTime, node: usize, loss: SimDuration) {
        let n = &self.nodes[node];
        assert_eq!(
            n.role,
            Role::Replica,
            "promoting node {node}, which is not a live replica"
        );
        assert!(
            now < n.last_heartbeat + self.config.dead_timeout,
            "promoting node {node}, which is believed dead"
        );
        if self.config.fencing {
            assert!(
                self.writable_nodes().is_empty(),
                "fencing on, yet promoting node {node} while {:?} may still be writable",
                self.writable_nodes()
            );
        }
        let n = &mut self.nodes[node];
        n.role = Role::Promoting;
        n.may_write = true;
        self.phase = Phase::Promoting { node };
        self.last_data_loss = loss;
        let outage = self.outage.as_mut().expect("promotion outside an outage");
        outage.promote_started_at = Some(now);
        outage.new_primary = Some(node);
        outage.data_loss = loss;
        self.actions.push_back(Action::Promote { node });
    }

    fn issue_fence(&mut self, now: SimTime, target: usize, attempt: u32) {
        self.phase = Phase::Fencing {
            target,
            deadline: now + self.config.fence_timeout,
            attempt,
        };
        if let Some(o) = self.outage.as_mut() {
            o.fence_attempts += 1;
        }
        self.actions.push_back(Action::Fence { node: target });
    }

    fn fence_failed(&mut self, now: SimTime, target: usize, attempt: u32) {
        let wait = if attempt < self.config.fence_max_attempts {
            self.config.fence_retry_delay
        } else {
            self.config.fence_recheck_interval
        };
        self.phase = Phase::FenceBackoff {
            target,
            retry_at: now + wait,
            attempts: attempt,
        };
    }

    fn fenced(&mut self, now: SimTime, node: usize) {
        let n = &mut self.nodes[node];
        n.fenced = true;
        n.may_write = false;
        self.phase = Phase::Idle;
        if let Some(o) = self.outage.as_mut() {
            o.fenced_at = Some(now);
        }
    }

    fn restore(&mut self, now: SimTime, node: usize) {
        let mut outage = self.outage.take().expect("restored without an outage");
        outage.new_primary = Some(node);
        outage.restored_at = Some(now);
        self.last_outage = Some(outage);
    }

    fn check_invariants(&self) {
        let count = |role| self.nodes.iter().filter(|n| n.role == role).count();
        assert!(count(Role::Primary) <= 1, "two believed primaries: {:?}", self.nodes);
        assert!(
            count(Role::Primary) + count(Role::Promoting) <= 1,
            "a promotion alongside a primary: {:?}",
            self.nodes
        );
        assert_eq!(
            self.outage.is_some(),
            self.primary().is_none(),
            "outage bookkeeping out of step with the primary"
        );
        if self.config.fencing {
            let unsafe_writers = self.nodes.iter().filter(|n| n.may_write && !n.fenced).count();
            assert!(
                unsafe_writers <= 1,
                "fencing on, yet {unsafe_writers} nodes may be writable: {:?}",
                self.nodes
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> SimTime {
        SimTime::from_millis(v)
    }
    fn dms(v: u64) -> SimDuration {
        SimDuration::from_millis(v)
    }

    /// The grid queries both drivers stamp lazily delivered heartbeats with: on the grid, never
    /// before the controller's clock; the next point strictly after.
    #[test]
    fn heartbeat_grid_queries() {
        let cfg = FailoverConfig {
            heartbeat_interval: dms(1000),
            ..FailoverConfig::default()
        };
        let mut fo = FailoverController::new(SimTime::ZERO, 2, cfg);
        assert_eq!(fo.heartbeat_at_or_before(ms(2500)), ms(2000));
        assert_eq!(fo.heartbeat_at_or_before(ms(3000)), ms(3000));
        assert_eq!(fo.heartbeat_after(ms(3000)), ms(4000));
        assert_eq!(fo.heartbeat_after(ms(2999)), ms(3000));
        fo.handle_heartbeats(ms(2700), &[0, 1]);
        assert_eq!(fo.heartbeat_at_or_before(ms(2900)), ms(2700), "not before its clock");
        assert_eq!(fo.input_time(ms(2100)), ms(2700));
        assert_eq!(fo.input_time(ms(5000)), ms(5000));
    }

    /// What the fake park does at a scripted instant.
    #[derive(Copy, Clone, Debug)]
    enum Ev {
        /// The node's process/host dies: no heartbeats, not writable.
        Crash(usize),
        /// The node keeps running (and writing, if primary) but its heartbeats are lost.
        Partition(usize),
        Heal(usize),
        /// The node is repaired and rejoins as a replica.
        Repair(usize),
        /// The fence device starts working (true) or failing (false).
        FenceWorks(bool),
        /// The operator switches the primary role over to the node.
        Switchover(usize),
        /// Promotions start succeeding (true) or failing (false).
        PromotionWorks(bool),
        /// `Repair`, and the operator at the node brings back every running node held down
        /// (the drivers' `handle_operator_rejoin`).
        OperatorRepair(usize),
    }

    #[derive(Copy, Clone, Debug)]
    enum Done {
        Fence(usize),
        Promoted(usize),
    }

    /// A fake driver: ground truth for each node, heartbeats every interval from nodes that are
    /// up, fence/promotion completions after the configured durations, and a split-brain oracle.
    struct Park {
        ctl: FailoverController,
        cfg: FailoverConfig,
        up: Vec<bool>,
        reachable: Vec<bool>,
        writable: Vec<bool>,
        next_hb: Vec<SimTime>,
        script: VecDeque<(SimTime, Ev)>,
        pending: Vec<(SimTime, Done)>,
        fence_works: bool,
        promotion_works: bool,
        /// When false, fence results are never reported (a hung fence device).
        fence_answers: bool,
        log: Vec<(SimTime, Action)>,
        /// Ground truth: most nodes ever writable at once.
        max_truly_writable: usize,
        /// The controller-side oracle: most of `writable_nodes()` that were truly up at once.
        max_oracle_writable: usize,
    }

    impl Park {
        fn new(nodes: usize, cfg: FailoverConfig, mut script: Vec<(SimTime, Ev)>) -> Self {
            script.sort_by_key(|&(t, _)| t);
            let mut writable = vec![false; nodes];
            writable[0] = true;
            Park {
                ctl: FailoverController::new(SimTime::ZERO, nodes, cfg.clone()),
                cfg,
                up: vec![true; nodes],
                reachable: vec![true; nodes],
                writable,
                next_hb: vec![SimTime::ZERO; nodes],
                script: script.into(),
                pending: Vec::new(),
                fence_works: true,
                promotion_works: true,
                fence_answers: true,
                log: Vec::new(),
                max_truly_writable: 1,
                max_oracle_writable: 1,
            }
        }

        /// Run every event at or before `end`. At equal instants: script, then completions,
        /// then heartbeats (lowest node first), then the controller's timeout.
        fn run_until(&mut self, end: SimTime) {
            loop {
                let mut best: Option<(SimTime, u8, usize)> = None;
                let mut consider = |t: SimTime, rank: u8, idx: usize| {
                    if t <= end && best.is_none_or(|b| (t, rank) < (b.0, b.1)) {
                        best = Some((t, rank, idx));
                    }
                };
                if let Some(&(t, _)) = self.script.front() {
                    consider(t, 0, 0);
                }
                for (i, &(t, _)) in self.pending.iter().enumerate() {
                    consider(t, 1, i);
                }
                for i in 0..self.up.len() {
                    if self.up[i] {
                        consider(self.next_hb[i], 2, i);
                    }
                }
                if let Some(t) = self.ctl.poll_timeout() {
                    consider(t, 3, 0);
                }
                let Some((now, rank, idx)) = best else { break };
                match rank {
                    0 => {
                        let (_, ev) = self.script.pop_front().unwrap();
                        self.apply(now, ev);
                    }
                    1 => {
                        let (_, done) = self.pending.remove(idx);
                        match done {
                            Done::Fence(n) => {
                                let ok = self.fence_works;
                                if ok {
                                    self.up[n] = false;
                                    self.writable[n] = false;
                                }
                                self.ctl.handle_fence_result(now, n, ok);
                            }
                            Done::Promoted(n) => {
                                // The outcome is the controller's rule: a failing promotion
                                // (`PromotionWorks(false)`) fails unless it is planned.
                                let p_fail = if self.promotion_works { 0.0 } else { 1.0 };
                                self.ctl.handle_promotion_finished(now, n, p_fail, || 0.5);
                                if self.up[n] && self.ctl.primary() == Some(n) {
                                    self.writable[n] = true;
                                }
                            }
                        }
                    }
                    2 => {
                        self.next_hb[idx] = now + self.cfg.heartbeat_interval;
                        if self.reachable[idx] {
                            self.ctl.handle_heartbeat(now, idx);
                        }
                    }
                    _ => self.ctl.handle_timeout(now),
                }
                self.drain(now);
                let truly = (0..self.up.len()).filter(|&i| self.up[i] && self.writable[i]).count();
                let oracle = self.ctl.writable_nodes().into_iter().filter(|&i| self.up[i]).count();
                self.max_truly_writable = self.max_truly_writable.max(truly);
                self.max_oracle_writable = self.max_oracle_writable.max(oracle);
            }
        }

        fn apply(&mut self, now: SimTime, ev: Ev) {
            match ev {
                Ev::Crash(n) => {
                    self.up[n] = false;
                    self.writable[n] = false;
                }
                Ev::Partition(n) => self.reachable[n] = false,
                Ev::Heal(n) => self.reachable[n] = true,
                Ev::Repair(n) => {
                    self.up[n] = true;
                    self.reachable[n] = true;
                    self.writable[n] = false;
                    self.next_hb[n] = now + self.cfg.heartbeat_interval;
                    self.ctl.handle_node_rejoined(now, n);
                    // A quick reboot of the primary: it restarts its resource in place.
                    self.writable[n] = self.ctl.role(n) == Role::Primary;
                }
                Ev::FenceWorks(ok) => self.fence_works = ok,
                Ev::Switchover(to) => {
                    let old = self.ctl.primary().expect("a primary to switch from");
                    assert!(
                        self.ctl.handle_planned_switchover(now, to),
                        "switchover to {to} refused"
                    );
                    self.writable[old] = false;
                }
                Ev::PromotionWorks(ok) => self.promotion_works = ok,
                Ev::OperatorRepair(n) => {
                    self.apply(now, Ev::Repair(n));
                    let running: Vec<usize> = (0..self.up.len()).filter(|&i| self.up[i]).collect();
                    self.ctl.handle_operator_rejoin(now, &running);
                }
            }
        }

        fn drain(&mut self, now: SimTime) {
            while let Some(a) = self.ctl.poll_action() {
                self.log.push((now, a));
                match a {
                    Action::Fence { node } => {
                        if self.fence_answers {
                            self.pending.push((now + self.cfg.fence_duration, Done::Fence(node)));
                        }
                    }
                    Action::Promote { node } => {
                        self.pending.push((now + self.cfg.promotion_time, Done::Promoted(node)))
                    }
                    Action::Demote { node } => self.writable[node] = false,
                }
            }
        }
    }

    fn cfg(interval: u64, dead: u64, fencing: bool, fence: u64, promo: u64) -> FailoverConfig {
        FailoverConfig {
            heartbeat_interval: dms(interval),
            dead_timeout: dms(dead),
            fencing,
            fence_duration: dms(fence),
            promotion_time: dms(promo),
            ..FailoverConfig::default()
        }
    }

    #[test]
    fn defaults_follow_their_sources() {
        let p = FailoverConfig::default();
        assert_eq!(p.dead_timeout, dms(3000));
        assert_eq!(p.heartbeat_interval, dms(714)); // 3000 / 4.2
        assert!(p.fencing);
        assert_eq!(p.fence_timeout, SimDuration::from_secs(60));
        assert_eq!(FailoverConfig::pacemaker(3).dead_timeout, dms(3650));
        assert_eq!(FailoverConfig::pacemaker(4).dead_timeout, dms(4300));
        let k = FailoverConfig::keepalived();
        assert_eq!((k.heartbeat_interval, k.dead_timeout), (dms(1000), dms(3600)));
        assert!(!k.fencing);
        let pt = FailoverConfig::patroni();
        assert_eq!((pt.heartbeat_interval, pt.dead_timeout), (dms(10_000), dms(30_000)));
        // Patroni's documented rule holds for its defaults.
        assert!(PATRONI_LOOP_WAIT + PATRONI_RETRY_TIMEOUT.saturating_mul(2) <= PATRONI_TTL);
    }

    /// Detection happens exactly `dead_timeout` after the last heartbeat that got through.
    #[test]
    fn detection_time_is_dead_timeout_after_last_heartbeat() {
        // (interval, dead_timeout, node, crash at, expected last heartbeat) [ms]
        let cases: &[(u64, u64, usize, u64, u64)] = &[
            (1000, 3000, 0, 5500, 5000),
            (1000, 3000, 0, 5000, 4000),         // crash scripted before the 5000 heartbeat
            (714, 3000, 0, 2000, 1428),          // Pacemaker two-node profile
            (10_000, 30_000, 0, 95_000, 90_000), // Patroni
            (1000, 3600, 1, 7300, 7000),         // a replica: marked down, nothing else happens
        ];
        for &(interval, dead, node, crash, last) in cases {
            let c = cfg(interval, dead, false, 0, 500);
            let mut park = Park::new(2, c, vec![(ms(crash), Ev::Crash(node))]);
            let detect = ms(last) + dms(dead);
            park.run_until(SimTime::from_nanos(detect.as_nanos() - 1));
            assert_ne!(park.ctl.role(node), Role::Down, "case {interval}/{dead}/{crash}");
            assert_eq!(park.ctl.last_heartbeat(node), ms(last));
            park.run_until(detect);
            assert_eq!(park.ctl.role(node), Role::Down, "case {interval}/{dead}/{crash}");
            if node == 0 {
                let o = park.ctl.current_outage().unwrap();
                assert_eq!((o.last_heartbeat, o.detected_at), (ms(last), detect));
                assert_eq!(park.ctl.unavailable_since(), Some(detect));
                assert_eq!(park.ctl.primary(), None);
            } else {
                assert!(park.log.is_empty());
                assert_eq!(park.ctl.primary(), Some(0));
            }
        }
    }

    /// Fencing on: Fence at detection, Promote when the fence succeeds, writable after the
    /// promotion: takeover = dead_timeout + fence + promotion after the last heartbeat.
    /// Fencing off: Promote at detection.
    #[test]
    fn takeover_timeline_is_detection_plus_fence_plus_promotion() {
        // (fencing, fence ms, promotion ms)
        let cases: &[(bool, u64, u64)] = &[
            (true, 5000, 1000),
            (true, 0, 1000),
            (true, 12_345, 2500),
            (false, 5000, 1000),
            (false, 5000, 0),
        ];
        for &(fencing, fence, promo) in cases {
            let c = cfg(1000, 3000, fencing, fence, promo);
            let mut park = Park::new(2, c, vec![(ms(10_500), Ev::Crash(0))]);
            park.run_until(ms(100_000));
            let detect = ms(10_000 + 3000);
            let expected: Vec<(SimTime, Action)> = if fencing {
                vec![
                    (detect, Action::Fence { node: 0 }),
                    (detect + dms(fence), Action::Promote { node: 1 }),
                ]
            } else {
                vec![(detect, Action::Promote { node: 1 })]
            };
            assert_eq!(park.log, expected, "case {fencing}/{fence}/{promo}");
            let o = park.ctl.last_outage().unwrap();
            let fence_part = if fencing { dms(fence) } else { SimDuration::ZERO };
            let restored = detect + fence_part + dms(promo);
            assert_eq!(o.restored_at, Some(restored));
            assert_eq!(restored.since(o.last_heartbeat), dms(3000) + fence_part + dms(promo));
            assert_eq!(o.fenced_at.is_some(), fencing);
            assert_eq!(park.ctl.primary(), Some(1));
            assert_eq!(park.ctl.is_fenced(0), fencing);
            assert_eq!(park.max_truly_writable, 1);
        }
    }

    /// A partition (primary alive and writable, heartbeats lost): without fencing both nodes
    /// are writable and the oracle sees it; with fencing, never.
    #[test]
    fn partition_split_brain_only_without_fencing() {
        for fencing in [false, true] {
            let c = cfg(1000, 3000, fencing, 5000, 1000);
            let script = vec![(ms(10_500), Ev::Partition(0)), (ms(60_000), Ev::Heal(0))];
            let mut park = Park::new(2, c, script);
            park.run_until(ms(59_000));
            assert_eq!(park.ctl.primary(), Some(1));
            if fencing {
                assert_eq!(park.max_truly_writable, 1);
                assert_eq!(park.max_oracle_writable, 1);
                assert!(park.ctl.is_fenced(0) && !park.up[0]);
                assert_eq!(park.ctl.writable_nodes(), vec![1]);
            } else {
                assert_eq!(park.max_truly_writable, 2, "split brain must happen");
                assert_eq!(park.max_oracle_writable, 2, "and the oracle must see it");
                assert_eq!(park.ctl.writable_nodes(), vec![0, 1]);
            }
            // The partition heals: without fencing the old primary is told to step down.
            park.run_until(ms(100_000));
            assert_eq!(park.ctl.writable_nodes(), vec![1]);
            if !fencing {
                assert!(park.log.contains(&(ms(60_000), Action::Demote { node: 0 })));
                assert!(!park.writable[0]);
                // Diverged data: it stays out until rejoined through a repair.
                assert_eq!(park.ctl.role(0), Role::Down);
            }
        }
    }

    /// A planned switchover is only the promotion: no detection, no fence, no lost writes
    /// (even with async replication), the old primary a clean replica that a later failover
    /// can promote again.
    #[test]
    fn planned_switchover_is_only_the_promotion() {
        // (fencing, replication)
        let cases = [
            (true, Replication::Sync),
            (true, Replication::Async { lag: dms(250) }),
            (false, Replication::Async { lag: dms(250) }),
        ];
        for (fencing, replication) in cases {
            let c = FailoverConfig {
                replication,
                ..cfg(1000, 3000, fencing, 5000, 1000)
            };
            let script = vec![(ms(10_500), Ev::Switchover(1)), (ms(30_500), Ev::Crash(1))];
            let mut park = Park::new(2, c, script);
            park.run_until(ms(11_499));
            assert_eq!(park.ctl.primary(), None, "writes wait for the promotion");
            assert!(park.ctl.current_outage().unwrap().planned);
            park.run_until(ms(11_500));
            assert_eq!(park.log, vec![(ms(10_500), Action::Promote { node: 1 })]);
            let o = park.ctl.last_outage().unwrap().clone();
            assert!(o.planned && o.fence_attempts == 0 && o.data_loss == SimDuration::ZERO);
            assert_eq!((o.detected_at, o.restored_at), (ms(10_500), Some(ms(11_500))));
            assert_eq!(park.ctl.data_loss_on_failover(), SimDuration::ZERO);
            assert_eq!((park.ctl.primary(), park.ctl.role(0)), (Some(1), Role::Replica));
            // The new primary crashes: the old one takes over as after any failure.
            park.run_until(ms(100_000));
            assert_eq!(park.ctl.primary(), Some(0), "case {fencing}/{replication:?}");
            let lost = match replication {
                Replication::Sync => SimDuration::ZERO,
                Replication::Async { lag } => lag,
            };
            assert_eq!(park.ctl.data_loss_on_failover(), lost);
            assert!(!park.ctl.last_outage().unwrap().planned);
            assert_eq!(park.max_truly_writable, 1);
            assert_eq!(park.max_oracle_writable, 1);
        }
    }

    /// `handle_promotion_finished`: only an unplanned takeover's promotion is drawn to fail.
    #[test]
    fn planned_switchover_promotion_never_fails() {
        let c = cfg(1000, 3000, true, 5000, 1000);
        let script = vec![(ms(500), Ev::PromotionWorks(false)), (ms(10_500), Ev::Switchover(1))];
        let mut park = Park::new(2, c.clone(), script);
        park.run_until(ms(11_500));
        assert_eq!(park.ctl.primary(), Some(1), "a planned switchover is not drawn to fail");
        // An unplanned takeover's promotion, with the same draw, fails.
        let script = vec![(ms(500), Ev::PromotionWorks(false)), (ms(10_500), Ev::Crash(0))];
        let mut park = Park::new(2, c, script);
        park.run_until(ms(60_000));
        assert_eq!(park.ctl.primary(), None);
        assert_eq!(park.ctl.current_outage().map(|o| o.failed_promotions), Some(1));
    }

    /// After an operator's repair the promotion that follows is attended and does not fail,
    /// where every unattended one does; a node that rejoins by itself (a reboot, no operator)
    /// is promoted with the draw as before.
    #[test]
    fn a_promotion_after_an_operators_repair_does_not_fail() {
        for (repair, primary, failed) in [(Ev::OperatorRepair(0), Some(0), 1), (Ev::Repair(0), None, 2)] {
            let c = cfg(1000, 3000, true, 5000, 1000);
            let script = vec![
                (ms(1_000), Ev::PromotionWorks(false)),
                (ms(10_500), Ev::Crash(0)),
                (ms(100_000), repair),
            ];
            let mut park = Park::new(2, c, script);
            park.run_until(ms(60_000));
            assert_eq!(park.ctl.primary(), None, "{repair:?}: node 1's promotion failed");
            park.run_until(ms(200_000));
            assert_eq!(park.ctl.primary(), primary, "{repair:?}");
            let o = park.ctl.current_outage().or(park.ctl.last_outage()).unwrap();
            assert_eq!(o.failed_promotions, failed, "{repair:?}");
            assert_eq!(o.attended, primary.is_some(), "{repair:?}");
        }
    }

    /// A switchover needs a serving primary, nothing in flight and a live replica target.
    #[test]
    fn planned_switchover_refused_unless_a_live_replica_takes_over() {
        let c = cfg(1000, 3000, true, 5000, 1000);
        let mut park = Park::new(3, c, vec![(ms(10_500), Ev::Crash(2)), (ms(20_500), Ev::Crash(0))]);
        park.run_until(ms(15_000));
        assert!(
            !park.ctl.handle_planned_switchover(ms(15_000), 0),
            "to the primary itself"
        );
        assert!(!park.ctl.handle_planned_switchover(ms(15_000), 2), "to a dead replica");
        park.run_until(ms(24_000));
        assert_eq!(park.ctl.primary(), None);
        assert!(!park.ctl.handle_planned_switchover(ms(24_000), 1), "during a takeover");
        assert!(park.ctl.current_outage().is_some_and(|o| !o.planned));
        park.run_until(ms(100_000));
        assert_eq!(park.ctl.primary(), Some(1));
        assert!(park.log.iter().all(|(_, a)| *a != Action::Promote { node: 0 }));
    }

    /// A failed promotion: the next live replica is tried; with none the group stalls (no
    /// primary, nothing pending) until a repaired node rejoins and is promoted.
    #[test]
    fn failed_promotion_tries_the_next_replica_or_stalls_until_a_repair() {
        // (nodes, fencing, expected primary at 60 s)
        let cases: &[(usize, bool, Option<usize>)] = &[(2, true, None), (2, false, None), (3, true, Some(2))];
        for &(nodes, fencing, at_60s) in cases {
            let c = cfg(1000, 3000, fencing, 5000, 1000);
            let script = vec![
                (ms(1_000), Ev::PromotionWorks(false)),
                (ms(10_500), Ev::Crash(0)),
                (ms(30_000), Ev::PromotionWorks(true)),
                (ms(100_000), Ev::Repair(0)),
            ];
            let mut park = Park::new(nodes, c, script);
            if nodes == 3 {
                // Only the first promotion fails.
                park.script.retain(|(t, _)| *t != ms(30_000));
                park.script.push_back((ms(19_500), Ev::PromotionWorks(true)));
                park.script.make_contiguous().sort_by_key(|&(t, _)| t);
            }
            park.run_until(ms(60_000));
            assert_eq!(park.ctl.primary(), at_60s, "case {nodes}/{fencing}");
            assert_eq!(park.ctl.role(1), Role::Down, "the failed standby waits for a repair");
            assert_eq!(park.ctl.is_stalled(), at_60s.is_none());
            assert_eq!(park.ctl.poll_timeout().is_none(), at_60s.is_none() && nodes == 2);
            if at_60s.is_none() {
                assert_eq!(park.ctl.current_outage().unwrap().failed_promotions, 1);
                park.run_until(ms(200_000));
                assert_eq!(park.ctl.primary(), Some(0), "the repaired node takes over");
                let o = park.ctl.last_outage().unwrap();
                assert_eq!(o.restored_at, Some(ms(101_000)));
                assert_eq!(o.failed_promotions, 1);
            }
            assert_eq!(park.max_truly_writable, 1);
            assert_eq!(park.max_oracle_writable, 1);
        }
    }

    #[test]
    fn a_reported_lag_is_what_the_next_takeover_loses() {
        // The lag reported before the primary is lost decides the loss; a later report does
        // not change a promotion already made.
        for (lag, loss) in [(dms(0), dms(0)), (dms(37), dms(37)), (dms(4_000), dms(4_000))] {
            let c = FailoverConfig {
                replication: Replication::Async { lag: ASSUMED_ASYNC_LAG },
                ..cfg(1000, 3000, true, 5000, 1000)
            };
            let mut park = Park::new(2, c, vec![(ms(10_500), Ev::Crash(0))]);
            park.ctl.handle_replication_lag(SimTime::ZERO, lag);
            park.run_until(ms(60_000));
            park.ctl.handle_replication_lag(ms(60_000), dms(9));
            assert_eq!(park.ctl.data_loss_on_failover(), loss);
            assert_eq!(park.ctl.last_outage().unwrap().data_loss, loss);
        }
    }

    #[test]
    fn data_loss_is_the_async_lag_window() {
        let cases = [
            (Replication::Sync, SimDuration::ZERO),
            (Replication::Async { lag: dms(250) }, dms(250)),
            (Replication::Async { lag: ASSUMED_ASYNC_LAG }, dms(100)),
        ];
        for (replication, loss) in cases {
            let c = FailoverConfig {
                replication,
                ..cfg(1000, 3000, true, 5000, 1000)
            };
            let mut park = Park::new(2, c, vec![(ms(10_500), Ev::Crash(0))]);
            assert_eq!(park.ctl.data_loss_on_failover(), SimDuration::ZERO);
            park.run_until(ms(60_000));
            assert_eq!(park.ctl.data_loss_on_failover(), loss);
            assert_eq!(park.ctl.last_outage().unwrap().data_loss, loss);
        }
    }

    /// A failed fence never leads to a promotion: the group stays unavailable and the fence is
    /// retried, quickly for `fence_max_attempts` attempts, then every recheck interval; once a
    /// fence succeeds the replica is promoted.
    #[test]
    fn failed_fence_blocks_promotion_and_is_retried() {
        let c = FailoverConfig {
            fence_max_attempts: 2,
            fence_retry_delay: dms(2000),
            fence_recheck_interval: SimDuration::from_secs(60),
            ..cfg(1000, 3000, true, 5000, 1000)
        };
        // The device is repaired at 30 s, after the second attempt failed.
        let script = vec![(ms(10_500), Ev::Crash(0)), (ms(30_000), Ev::FenceWorks(true))];
        let mut park = Park::new(2, c, script);
        park.fence_works = false;
        park.run_until(ms(80_000));
        // Fence at 13 s fails at 18 s; retry at 20 s fails at 25 s (attempt 2 = max);
        // next at 25 + 60 = 85 s.
        assert_eq!(
            park.log,
            vec![
                (ms(13_000), Action::Fence { node: 0 }),
                (ms(20_000), Action::Fence { node: 0 }),
            ]
        );
        assert_eq!(park.ctl.primary(), None);
        assert_eq!(park.ctl.unavailable_since(), Some(ms(13_000)));
        assert_eq!(park.ctl.current_outage().unwrap().fence_attempts, 2);
        park.run_until(ms(200_000));
        assert_eq!(
            park.log[2..],
            [
                (ms(85_000), Action::Fence { node: 0 }),
                (ms(90_000), Action::Promote { node: 1 }),
            ]
        );
        assert_eq!(park.ctl.last_outage().unwrap().restored_at, Some(ms(91_000)));
        assert_eq!(park.ctl.primary(), Some(1));
    }

    /// A fence device that never answers: the attempt times out after `fence_timeout` and
    /// counts as failed; no promotion.
    #[test]
    fn unanswered_fence_times_out() {
        let c = FailoverConfig {
            fence_timeout: SimDuration::from_secs(60),
            fence_retry_delay: SimDuration::ZERO,
            ..cfg(1000, 3000, true, 5000, 1000)
        };
        let mut park = Park::new(2, c, vec![(ms(10_500), Ev::Crash(0))]);
        park.fence_answers = false;
        park.run_until(ms(200_000));
        let fences: Vec<SimTime> = park.log.iter().map(|&(t, _)| t).collect();
        assert_eq!(fences, vec![ms(13_000), ms(73_000), ms(133_000), ms(193_000)]);
        assert!(park.log.iter().all(|&(_, a)| a == Action::Fence { node: 0 }));
        assert_eq!(park.ctl.primary(), None);
    }

    /// The repaired old primary rejoins as a replica; a second failure, now of the promoted
    /// primary, fails over back to it (the lowest live replica).
    #[test]
    fn rejoin_as_replica_then_second_failure() {
        for fencing in [true, false] {
            let c = cfg(1000, 3000, fencing, 5000, 1000);
            let script = vec![
                (ms(10_500), Ev::Crash(0)),
                (ms(40_000), Ev::Repair(0)),
                (ms(50_500), Ev::Crash(1)),
            ];
            let mut park = Park::new(2, c, script);
            park.run_until(ms(45_000));
            assert_eq!(park.ctl.role(0), Role::Replica);
            assert_eq!(park.ctl.primary(), Some(1));
            assert!(!park.ctl.is_fenced(0));
            assert_eq!(park.ctl.writable_nodes(), vec![1]);
            park.run_until(ms(100_000));
            let f = if fencing { 5000 } else { 0 };
            let detect = ms(50_000 + 3000);
            assert_eq!(park.ctl.primary(), Some(0));
            let o = park.ctl.last_outage().unwrap();
            assert_eq!(o.failed_primary, 1);
            assert_eq!(o.detected_at, detect);
            assert_eq!(o.restored_at, Some(detect + dms(f + 1000)));
            assert_eq!(park.max_truly_writable, 1);
        }
    }

    /// Three nodes: the lowest live replica is promoted; if it dies while promoting it is
    /// fenced too and the next one is promoted.
    #[test]
    fn three_nodes_lowest_live_replica_and_death_during_promotion() {
        let c = cfg(1000, 3000, true, 5000, 4000);
        // Node 0 dies; fence 13..18 s; node 1 promoting from 18 s, dies at 19.5 s (last
        // heartbeat 19 s, declared dead at 22 s), fenced 22..27 s, node 2 promoted 27..31 s.
        let script = vec![(ms(10_500), Ev::Crash(0)), (ms(19_500), Ev::Crash(1))];
        let mut park = Park::new(3, c, script);
        park.run_until(ms(100_000));
        assert_eq!(
            park.log,
            vec![
                (ms(13_000), Action::Fence { node: 0 }),
                (ms(18_000), Action::Promote { node: 1 }),
                (ms(22_000), Action::Fence { node: 1 }),
                (ms(27_000), Action::Promote { node: 2 }),
            ]
        );
        assert_eq!(park.ctl.primary(), Some(2));
        let o = park.ctl.last_outage().unwrap();
        assert_eq!((o.failed_primary, o.restored_at), (0, Some(ms(31_000))));
        assert_eq!(o.fence_attempts, 2);
        assert_eq!(park.max_truly_writable, 1);
    }

    /// No live replica: the group stalls (unavailable) until a node comes back.
    #[test]
    fn no_replica_left_stalls_until_a_node_returns() {
        let c = cfg(1000, 3000, true, 5000, 1000);
        let script = vec![
            (ms(5_500), Ev::Crash(1)),
            (ms(10_500), Ev::Crash(0)),
            (ms(60_000), Ev::Repair(1)),
        ];
        let mut park = Park::new(2, c, script);
        park.run_until(ms(59_000));
        assert_eq!(park.log, vec![(ms(13_000), Action::Fence { node: 0 })]);
        assert_eq!(park.ctl.primary(), None);
        park.run_until(ms(100_000));
        assert_eq!(park.log[1], (ms(60_000), Action::Promote { node: 1 }));
        assert_eq!(park.ctl.primary(), Some(1));
    }

    /// Fencing off, replica gone, primary only partitioned: when it is heard again nobody has
    /// taken over, so it resumes as primary without a promotion.
    #[test]
    fn returning_primary_resumes_when_nobody_took_over() {
        let c = cfg(1000, 3000, false, 5000, 1000);
        let script = vec![
            (ms(5_500), Ev::Crash(1)),
            (ms(10_500), Ev::Partition(0)),
            (ms(20_000), Ev::Heal(0)),
        ];
        let mut park = Park::new(2, c, script);
        park.run_until(ms(30_000));
        assert!(park.log.is_empty());
        assert_eq!(park.ctl.primary(), Some(0));
        let o = park.ctl.last_outage().unwrap();
        assert_eq!((o.detected_at, o.restored_at), (ms(13_000), Some(ms(20_000))));
    }

    /// A replica that missed heartbeats (a short partition) follows again on its next one.
    #[test]
    fn partitioned_replica_returns_on_heartbeat() {
        let c = cfg(1000, 3000, true, 5000, 1000);
        let script = vec![(ms(10_500), Ev::Partition(1)), (ms(20_000), Ev::Heal(1))];
        let mut park = Park::new(2, c, script);
        park.run_until(ms(15_000));
        assert_eq!(park.ctl.role(1), Role::Down);
        park.run_until(ms(25_000));
        assert_eq!(park.ctl.role(1), Role::Replica);
        assert!(park.log.is_empty());
    }

    /// A reboot faster than the dead timeout (Corosync token): the node rejoins before it was
    /// declared dead. A membership blip, no fence, no promotion; each role keeps its job.
    #[test]
    fn quick_reboot_is_a_membership_blip_not_a_failover() {
        // (rebooting node, crash, repair, fencing): dead timeout 3 s, heartbeat every 1 s.
        let table = [
            (0, 10_500, 11_000, true),  // the primary, back within 0.5 s
            (0, 10_500, 12_900, true),  // the primary, last heartbeat 10 s, back at 12.9 < 13 s
            (0, 10_500, 12_900, false), // the same without fencing
            (1, 10_500, 11_000, true),  // a replica
        ];
        for (node, crash, repair, fencing) in table {
            let c = cfg(1000, 3000, fencing, 5000, 1000);
            let script = vec![(ms(crash), Ev::Crash(node)), (ms(repair), Ev::Repair(node))];
            let mut park = Park::new(2, c, script);
            park.run_until(ms(60_000));
            let case = (node, crash, repair, fencing);
            assert!(park.log.is_empty(), "{case:?}: {:?}", park.log);
            assert_eq!(park.ctl.primary(), Some(0), "{case:?}");
            assert_eq!(park.ctl.role(1), Role::Replica, "{case:?}");
            assert_eq!(park.ctl.membership_blips(), 1, "{case:?}");
            assert!(park.ctl.last_outage().is_none(), "{case:?}");
            assert_eq!(park.max_truly_writable, 1, "{case:?}");
        }
    }

    /// One instant later the node was declared dead: a real failover, no blip.
    #[test]
    fn reboot_slower_than_the_dead_timeout_fails_over() {
        let c = cfg(1000, 3000, true, 5000, 1000);
        // Last heartbeat 10 s, declared dead at 13 s, the instant it is back.
        let script = vec![(ms(10_500), Ev::Crash(0)), (ms(13_000), Ev::Repair(0))];
        let mut park = Park::new(2, c, script);
        park.run_until(ms(60_000));
        assert_eq!(park.ctl.membership_blips(), 0);
        let o = park.ctl.last_outage().expect("an outage");
        assert_eq!((o.failed_primary, o.detected_at), (0, ms(13_000)));
        assert!(!park.log.is_empty());
    }

    /// A node that reboots while being promoted loses the promotion and returns as a replica;
    /// the lowest live replica (itself) is promoted again at once.
    #[test]
    fn quick_reboot_during_promotion_restarts_the_promotion() {
        let c = cfg(1000, 3000, true, 5000, 4000);
        // Node 0 dies at 10.5 s: fenced 13..18 s; node 1 promoting 18..22 s reboots at
        // 19.5 s and is back at 20 s (before its 22 s deadline): promoted again 20..24 s.
        let script = vec![
            (ms(10_500), Ev::Crash(0)),
            (ms(19_500), Ev::Crash(1)),
            (ms(20_000), Ev::Repair(1)),
        ];
        let mut park = Park::new(3, c, script);
        park.run_until(ms(100_000));
        assert_eq!(
            park.log[..3],
            [
                (ms(13_000), Action::Fence { node: 0 }),
                (ms(18_000), Action::Promote { node: 1 }),
                (ms(20_000), Action::Promote { node: 1 }),
            ]
        );
        assert_eq!(park.ctl.membership_blips(), 1);
        assert_eq!(park.ctl.primary(), Some(1));
        assert_eq!(park.max_truly_writable, 1);
    }

    #[test]
    #[should_panic(expected = "time went backwards")]
    fn time_must_not_go_backwards() {
        let mut ctl = FailoverController::new(ms(10), 2, FailoverConfig::default());
        ctl.handle_timeout(ms(5));
    }
}
