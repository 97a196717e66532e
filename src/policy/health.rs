//! HAProxy 2.6 active health checking of one server, as a sans-IO state machine.
//!
//! Job: decide *when* the load balancer probes a server, *how long* it waits for each probe,
//! and *when* the server is declared DOWN or UP, exactly as HAProxy 2.6.12 (Debian bookworm)
//! does it, so that the simulated detection window matches the real one to the millisecond.
//!
//! Where it sits: the policy layer. This is production logic that knows nothing of the
//! simulator: it never sees the server's true state, only what a driver reports about each
//! probe (TCP connect succeeded, a result arrived, or nothing arrived before the deadline).
//! The driver (the simulator) calls [`HealthChecker::poll_timeout`] /
//! [`HealthChecker::handle_timeout`], sends the probes returned by
//! [`HealthChecker::poll_probe`], reports [`HealthChecker::handle_connected`] and
//! [`HealthChecker::handle_probe_result`], and reads [`HealthChecker::poll_transition`].
//!
//! What it must never do: read a clock, do I/O, draw random numbers, spawn threads or iterate
//! a hash map. Time only enters through the `now` arguments. (HAProxy's `spread-checks`
//! randomisation is therefore not modelled; its default, 0, disables it.)
//!
//! The HAProxy semantics reproduced here (file/function names refer to the haproxy sources;
//! see `HAPROXY_CHECKS.md` for the full notes and the live measurements):
//!
//! * Health counter (`set_server_check_status`, src/check.c): `health` lives in
//!   `0..=rise+fall-1`; the server is UP iff `health >= rise`. A failure decrements it and, if
//!   it drops below `rise`, snaps it to 0; a pass increments it and, if it reaches `rise`,
//!   snaps it to `rise+fall-1`. Hence `fall` consecutive failures take a fully-up server DOWN,
//!   `rise` consecutive passes take a down server UP, and any opposite result in between
//!   restarts the count. A failure while already at 0 changes nothing.
//! * Transitions (`check_notify_failure` / `check_notify_success`): DOWN when health reaches
//!   0, UP when health reaches `rise`, both at the completion instant of the deciding check.
//! * Startup (`srv_settings_init`, src/server.c): servers start UP with `health = rise`, so a
//!   server that is dead at startup goes DOWN on the *first* failed check, and one pass makes
//!   it fully up (`rise+fall-1`).
//! * Interval (`srv_getinter`, src/server.c): `inter` when `health == rise+fall-1`,
//!   `downinter` when DOWN with `health == 0`, `fastinter` otherwise (each defaulting to
//!   `inter`). It is evaluated *after* the health update, and the next check starts that long
//!   after the *completion* of the previous one (`process_chk_conn`, label `update_timer`:
//!   `t->expire = now_ms + srv_getinter()`), so a check that ends by a timeout pushes the next
//!   one back by the whole timeout.
//! * Deadlines (`tcpcheck_eval_connect` and `tcpcheck_main`, src/tcpcheck.c): when a check
//!   starts, its task expires at `start + inter` (always `inter`, never fastinter/downinter);
//!   if `timeout check` is set (and `timeout connect` too), at
//!   `start + min(inter, timeout connect)` instead. Once connected and the response is awaited,
//!   `timeout check` (if set) re-arms the expiry to `response_wait_start + timeout check`, but
//!   the task is not re-queued, so an earlier re-armed expiry is only noticed when the queued
//!   wake-up fires: the modelled failure instant is `max(connect deadline, connected + timeout
//!   check)`. Expiry before the connect succeeded is an L4 timeout, after it an L7 timeout.
//! * First check (`start_checks` / `start_check_task`, src/check.c): server number `pos`
//!   (counted over all checked servers of the process) of `count` starts its first check at
//!   `max(mininter, srv_getinter()) * pos / count` ms after startup; see [`startup_offset`].

use crate::units::{SimDuration, SimTime};
use std::collections::VecDeque;

/// HAProxy's default `inter` (doc/configuration.txt, server keyword `inter`: "default 2000").
pub const DEFAULT_INTER: SimDuration = SimDuration::from_millis(2000);
/// HAProxy's default `rise` (doc/configuration.txt, server keyword `rise`: "default 2";
/// `DEF_RISETIME` in include/haproxy/defaults.h).
pub const DEFAULT_RISE: u32 = 2;
/// HAProxy's default `fall` (doc/configuration.txt, server keyword `fall`: "default 3";
/// `DEF_FALLTIME` in include/haproxy/defaults.h).
pub const DEFAULT_FALL: u32 = 3;
/// Checks whose startup interval is below this do not set the global startup spreading
/// interval (`SRV_CHK_INTER_THRES`, include/haproxy/defaults.h: 1000 ms).
pub const SRV_CHK_INTER_THRES: SimDuration = SimDuration::from_millis(1000);

const NANOS_PER_MILLI: u64 = 1_000_000;

/// The check settings of one server (server line + its backend's timeouts).
#[derive(Clone, Debug)]
pub struct CheckSpec {
    /// `inter`: period while fully up, and the whole-check timeout when `timeout check` is unset.
    pub inter: SimDuration,
    /// `fastinter`: period while transitioning (up but degraded, or down but rising).
    pub fastinter: Option<SimDuration>,
    /// `downinter`: period while fully down (health 0).
    pub downinter: Option<SimDuration>,
    /// `rise`: consecutive passes to go UP.
    pub rise: u32,
    /// `fall`: consecutive failures to go DOWN.
    pub fall: u32,
    /// The backend's `timeout check`, if set.
    pub timeout_check: Option<SimDuration>,
    /// The backend's `timeout connect` (zero means unset, as in HAProxy).
    pub timeout_connect: SimDuration,
}

impl CheckSpec {
    /// HAProxy's defaults (`check` with no other keyword) for a backend with the given
    /// `timeout connect` and no `timeout check`.
    pub fn haproxy_default(timeout_connect: SimDuration) -> Self {
        CheckSpec {
            inter: DEFAULT_INTER,
            fastinter: None,
            downinter: None,
            rise: DEFAULT_RISE,
            fall: DEFAULT_FALL,
            timeout_check: None,
            timeout_connect,
        }
    }

    fn validate(&self) {
        assert!(self.rise >= 1, "rise must be > 0 (HAProxy rejects 0)");
        assert!(self.fall >= 1, "fall must be > 0 (HAProxy rejects 0)");
        assert!(!self.inter.is_zero(), "inter must be > 0");
        assert!(self.fastinter.is_none_or(|d| !d.is_zero()), "fastinter must be > 0");
        assert!(self.downinter.is_none_or(|d| !d.is_zero()), "downinter must be > 0");
        assert!(
            self.timeout_check.is_none_or(|d| !d.is_zero()),
            "timeout check must be > 0"
        );
    }

    /// The top of the health counter: `rise + fall - 1`.
    pub fn max_health(&self) -> u32 {
        self.rise + self.fall - 1
    }

    /// `fastinter`, defaulting to `inter` (`srv_getinter`: `fastinter ? fastinter : inter`).
    pub fn effective_fastinter(&self) -> SimDuration {
        self.fastinter.unwrap_or(self.inter)
    }

    /// `downinter`, defaulting to `inter` (`srv_getinter`: `downinter ? downinter : inter`).
    pub fn effective_downinter(&self) -> SimDuration {
        self.downinter.unwrap_or(self.inter)
    }

    /// `srv_getinter()` for a given health and UP/DOWN state.
    pub fn interval_for(&self, health: u32, up: bool) -> SimDuration {
        if health == self.max_health() {
            self.inter
        } else if !up && health == 0 {
            self.effective_downinter()
        } else {
            self.effective_fastinter()
        }
    }

    /// The interval `srv_getinter()` returns at startup (health = rise, server UP): `inter`
    /// only if `fall == 1`, otherwise `fastinter`.
    pub fn startup_interval(&self) -> SimDuration {
        self.interval_for(self.rise, true)
    }

    /// How long after its start a check fails if the TCP connect never completes
    /// (`tcpcheck_eval_connect`): `inter`, or `min(inter, timeout connect)` when both
    /// `timeout check` and `timeout connect` are set.
    pub fn connect_deadline_after_start(&self) -> SimDuration {
        if self.timeout_check.is_some() && !self.timeout_connect.is_zero() {
            self.inter.min(self.timeout_connect)
        } else {
            self.inter
        }
    }
}

/// What a probe came back with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// The check passed (L4OK / L7OK).
    Passed,
    /// The TCP connect was refused (RST): HAProxy's `L4CON` "Connection refused".
    Refused,
    /// The server answered but wrongly, e.g. HTTP 500: HAProxy's `L7STS` / `L7RSP`.
    L7Error,
}

/// Why the last failed check failed (HAProxy's check status), for logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// `L4TOUT`: the TCP connect did not complete before the deadline.
    L4Timeout,
    /// `L4CON`: the TCP connect was refused.
    L4Refused,
    /// `L7TOUT`: connected, but no (complete) response before the deadline.
    L7Timeout,
    /// `L7STS` / `L7RSP`: a wrong response.
    L7Error,
}

/// A probe the checker asks its driver to send now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    /// When the check started (the instant it was due).
    pub started: SimTime,
    /// Identifies the probe in `handle_connected` / `handle_probe_result`.
    pub seq: u64,
}

/// A change of the server's state as seen by the load balancer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    Down,
    Up,
}

/// The check in flight.
#[derive(Clone, Copy, Debug)]
struct Running {
    seq: u64,
    started: SimTime,
    connected_at: Option<SimTime>,
}

/// The health checker of one server.
#[derive(Clone, Debug)]
pub struct HealthChecker {
    spec: CheckSpec,
    /// HAProxy's `check->health`, in `0..=rise+fall-1`.
    health: u32,
    /// HAProxy's server state (`next_state != SRV_ST_STOPPED`).
    up: bool,
    /// When the next check is due (meaningful only while no check runs).
    next_start: SimTime,
    running: Option<Running>,
    next_seq: u64,
    pending_probe: Option<Probe>,
    transitions: VecDeque<Transition>,
    last_failure: Option<FailureKind>,
}

/// Offset of a server's first check from startup when every checked server of the process
/// uses `spec` (`start_checks` + `start_check_task`, src/check.c): with
/// `mininter = srv_getinter()` at startup (which is `fastinter` unless `fall == 1`, since
/// health starts at `rise`), the first check of server number `server_pos` (0-based, counted
/// over all checked servers of all backends in configuration order) of `server_count` is at
/// `mininter * server_pos / server_count` milliseconds, integer division.
/// (`spread-checks` would add a random term and `max-spread-checks` a cap; both are off by
/// default and not modelled.)
pub fn startup_offset(spec: &CheckSpec, server_pos: usize, server_count: usize) -> SimDuration {
    let mininter = global_mininter(std::iter::once(spec));
    startup_offset_with_mininter(spec, mininter, server_pos, server_count)
}

/// [`startup_offset`] for a process whose checked servers have different specs, given in
/// configuration order (`specs[i]` is server number `i`, `specs.len()` is `nbcheck`).
pub fn startup_offset_mixed(specs: &[CheckSpec], server_pos: usize) -> SimDuration {
    assert!(
        server_pos < specs.len(),
        "server_pos {server_pos} out of {}",
        specs.len()
    );
    let mininter = global_mininter(specs.iter());
    startup_offset_with_mininter(&specs[server_pos], mininter, server_pos, specs.len())
}

/// `start_checks` step 1: the smallest startup `srv_getinter()` among checks whose value is
/// at least `SRV_CHK_INTER_THRES`, or none.
fn global_mininter<'a>(specs: impl Iterator<Item = &'a CheckSpec>) -> Option<SimDuration> {
    specs
        .map(CheckSpec::startup_interval)
        .filter(|d| *d >= SRV_CHK_INTER_THRES)
        .min()
}

/// `start_check_task`: `mininter = max(mininter, srv_getinter())`, then
/// `expire = now + mininter * srvpos / nbcheck` (int milliseconds).
fn startup_offset_with_mininter(
    spec: &CheckSpec,
    mininter: Option<SimDuration>,
    server_pos: usize,
    server_count: usize,
) -> SimDuration {
    assert!(
        server_count > 0 && server_pos < server_count,
        "bad position {server_pos}/{server_count}"
    );
    let own = spec.startup_interval();
    let m = mininter.map_or(own, |m| m.max(own));
    let m_ms = m.as_nanos() / NANOS_PER_MILLI; // HAProxy intervals are whole milliseconds
    SimDuration::from_millis(m_ms * server_pos as u64 / server_count as u64)
}

impl HealthChecker {
    /// A checker whose first check is due at `first_check_at` (startup + [`startup_offset`]).
    /// The server starts UP with `health = rise`, as in HAProxy.
    pub fn new(spec: CheckSpec, first_check_at: SimTime) -> Self {
        spec.validate();
        let health = spec.rise;
        HealthChecker {
            spec,
            health,
            up: true,
            next_start: first_check_at,
            running: None,
            next_seq: 0,
            pending_probe: None,
            transitions: VecDeque::new(),
            last_failure: None,
        }
    }

    pub fn spec(&self) -> &CheckSpec {
        &self.spec
    }

    /// The deadline of the running check.
    fn deadline(&self, r: &Running) -> SimTime {
        let connect_deadline = r.started + self.spec.connect_deadline_after_start();
        match (r.connected_at, self.spec.timeout_check) {
            // The re-armed expiry only counts once the queued wake-up has fired.
            (Some(c), Some(tc)) => connect_deadline.max(c + tc),
            _ => connect_deadline,
        }
    }

    /// The next instant at which the checker needs [`handle_timeout`](Self::handle_timeout):
    /// the start of the next check, or the deadline of the running one.
    pub fn poll_timeout(&self) -> SimTime {
        match &self.running {
            Some(r) => self.deadline(r),
            None => self.next_start,
        }
    }

    /// Starts the next check if it is due, or fails the running one if its deadline passed.
    /// Calling it early (or twice) does nothing.
    pub fn handle_timeout(&mut self, now: SimTime) {
        match self.running {
            None => {
                if now >= self.next_start {
                    let seq = self.next_seq;
                    self.next_seq += 1;
                    self.running = Some(Running {
                        seq,
                        started: now,
                        connected_at: None,
                    });
                    self.pending_probe = Some(Probe { started: now, seq });
                }
            }
            Some(r) => {
                if now >= self.deadline(&r) {
                    let kind = if r.connected_at.is_some() {
                        FailureKind::L7Timeout
                    } else {
                        FailureKind::L4Timeout
                    };
                    self.complete(now, Err(kind));
                }
            }
        }
    }

    /// The probe to send now, if a check just started.
    pub fn poll_probe(&mut self) -> Option<Probe> {
        self.pending_probe.take()
    }

    /// The TCP connect of probe `seq` succeeded at `now`. Stale or repeated reports are ignored.
    pub fn handle_connected(&mut self, now: SimTime, seq: u64) {
        if let Some(r) = self.running.as_mut()
            && r.seq == seq
            && r.connected_at.is_none()
        {
            assert!(now >= r.started, "connected before the probe started");
            r.connected_at = Some(now);
        }
    }

    /// Probe `seq` came back at `now`. Results of a probe that already timed out (or of any
    /// other stale probe) are ignored, as HAProxy closes the connection at the timeout.
    pub fn handle_probe_result(&mut self, now: SimTime, seq: u64, outcome: ProbeOutcome) {
        let Some(r) = self.running else { return };
        if r.seq != seq {
            return;
        }
        assert!(now >= r.started, "result before the probe started");
        let result = match outcome {
            ProbeOutcome::Passed => Ok(()),
            ProbeOutcome::Refused => Err(FailureKind::L4Refused),
            ProbeOutcome::L7Error => Err(FailureKind::L7Error),
        };
        self.complete(now, result);
    }

    /// End of the running check at `now`: `set_server_check_status` (health),
    /// `check_notify_failure` / `check_notify_success` (state), then `update_timer`.
    fn complete(&mut self, now: SimTime, result: Result<(), FailureKind>) {
        assert!(self.running.is_some(), "no check to complete");
        self.running = None;
        self.pending_probe = None;
        let max = self.spec.max_health();
        match result {
            Err(kind) => {
                self.last_failure = Some(kind);
                if self.health > 0 {
                    self.health -= 1;
                    if self.health < self.spec.rise {
                        self.health = 0;
                    }
                }
                if self.health == 0 && self.up {
                    self.up = false;
                    self.transitions.push_back(Transition::Down);
                }
            }
            Ok(()) => {
                if self.health < max {
                    self.health += 1;
                    if self.health >= self.spec.rise {
                        self.health = max;
                    }
                }
                if self.health >= self.spec.rise && !self.up {
                    self.up = true;
                    self.transitions.push_back(Transition::Up);
                }
            }
        }
        assert!(self.health <= max, "health {} above rise+fall-1 = {max}", self.health);
        assert_eq!(self.up, self.health >= self.spec.rise, "UP iff health >= rise");
        self.next_start = now + self.spec.interval_for(self.health, self.up);
    }

    /// The next state change, oldest first.
    pub fn poll_transition(&mut self) -> Option<Transition> {
        self.transitions.pop_front()
    }

    /// Whether the load balancer currently considers the server UP.
    pub fn is_up(&self) -> bool {
        self.up
    }

    /// HAProxy's `check->health`.
    pub fn health(&self) -> u32 {
        self.health
    }

    /// Whether a check is in flight.
    pub fn is_checking(&self) -> bool {
        self.running.is_some()
    }

    /// Why the last failed check failed, if any check failed yet.
    pub fn last_failure_kind(&self) -> Option<FailureKind> {
        self.last_failure
    }
}
