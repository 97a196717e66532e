//! VRRP version 3 (RFC 5798) for one router of a load-balancer pair, as a sans-IO state machine.
//!
//! Job: decide when this router owns the virtual IP address (Master) and when it stands by
//! (Backup), following the state machine of RFC 5798 section 6.4 to the centisecond, so that
//! the simulated takeover after a load-balancer failure takes exactly as long as real VRRP
//! (keepalived) takes. Preemption delay follows keepalived's `preempt_delay`, which RFC 5798
//! does not define.
//!
//! Where it sits: the policy layer. This is production logic that knows nothing of the
//! simulator: it sees only the advertisements a driver delivers to it and the instants at which
//! the driver calls it. The driver calls [`VrrpRouter::handle_startup`] /
//! [`VrrpRouter::handle_shutdown`], delivers every advertisement from the *other* routers of the
//! virtual router with [`VrrpRouter::handle_advertisement`], calls
//! [`VrrpRouter::handle_timeout`] at [`VrrpRouter::poll_timeout`], and carries out
//! [`VrrpRouter::poll_action`]: multicast the advertisement, move the virtual address. A crashed
//! router is simply no longer driven.
//!
//! What it must never do: read a clock, do I/O, draw random numbers, spawn threads or iterate a
//! hash map. Time only enters through the `now` arguments.
//!
//! Timers are computed in integer centiseconds, the unit in which RFC 5798 defines them
//! (section 5.2.7: the Max Adver Int field is a 12-bit count of centiseconds; section 6.1:
//! `Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256` and `Master_Down_Interval =
//! (3 * Master_Adver_Interval) + Skew_Time`, both "in centiseconds"), with the division
//! truncating. For priority 100 and the default 100 cs interval: Skew_Time = 156 * 100 / 256 =
//! 15600 / 256 = 60 cs (60.94 truncated), Master_Down_Interval = 300 + 60 = 360 cs = 3.60 s.
//!
//! Simplifications: no Accept_Mode, no address lists or checksums (the driver delivers only
//! adverts of this virtual router), no gratuitous ARP / unsolicited NA (the driver moves the
//! address on `BecameMaster`), and the advertisement's IP TTL/hop-limit check is left to the
//! driver.

use crate::units::{SimDuration, SimTime};
use std::collections::VecDeque;

/// RFC 5798 section 5.2.4: priority of the router that owns the virtual address; it becomes
/// Master at once on startup.
pub(crate) const PRIORITY_OWNER: u8 = 255;
/// RFC 5798 section 5.2.4: priority 0 in an advertisement means the Master is resigning.
pub(crate) const PRIORITY_RESIGN: u8 = 0;
/// RFC 5798 section 6.1 (`Advertisement_Interval`, default 100 centiseconds = 1 s), also
/// keepalived's `advert_int 1` default.
pub(crate) const DEFAULT_ADVERT_INTERVAL_CS: u16 = 100;
/// RFC 5798 section 5.2.7: Max Adver Int is a 12-bit field [cs].
pub(crate) const MAX_ADVERT_INTERVAL_CS: u16 = 4095;
/// keepalived's `preempt_delay` upper bound (keepalived.conf(5): "Range: 0 (default) to 1000"
/// seconds). keepalived's default, 0, disables the delay.
pub(crate) const KEEPALIVED_MAX_PREEMPT_DELAY: SimDuration = SimDuration::from_secs(1000);

/// A number of centiseconds as a simulated duration (1 cs = 10 ms).
pub(crate) fn centis(cs: u32) -> SimDuration {
    SimDuration::from_millis(u64::from(cs) * 10)
}

/// RFC 5798 section 6.1: `Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256` [cs],
/// integer division.
pub(crate) fn skew_time_cs(priority: u8, master_adver_interval_cs: u16) -> u32 {
    (256 - u32::from(priority)) * u32::from(master_adver_interval_cs) / 256
}

/// RFC 5798 section 6.1: `Master_Down_Interval = (3 * Master_Adver_Interval) + Skew_Time` [cs].
pub(crate) fn master_down_interval_cs(priority: u8, master_adver_interval_cs: u16) -> u32 {
    3 * u32::from(master_adver_interval_cs) + skew_time_cs(priority, master_adver_interval_cs)
}

/// Tunables of one VRRP router.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VrrpConfig {
    /// 1..=255; 255 means this router owns the virtual address.
    pub(crate) priority: u8,
    /// How often this router advertises when Master [cs], 1..=4095.
    pub(crate) advert_interval_cs: u16,
    /// RFC 5798 `Preempt_Mode`: a higher-priority Backup takes over from a lower-priority
    /// Master (default true, RFC 5798 section 6.1; keepalived's `nopreempt` turns it off).
    pub(crate) preempt: bool,
    /// keepalived's `preempt_delay` (not in RFC 5798): after first seeing a lower-priority
    /// Master, keep accepting its advertisements for this long before preempting. `None`
    /// (keepalived's default 0) preempts at once.
    pub(crate) preempt_delay: Option<SimDuration>,
    /// This router's primary IP address (IPv4 as u32), which breaks priority ties.
    pub(crate) address: u32,
}

/// keepalived's `vrrp_script` as a tracking instance runs it (keepalived.conf(5)): every
/// `interval` on a grid from t = 0, failed after `fall` failing runs, passing again after
/// `rise`; while failed the instance is in FAULT (`drop` 0: it resigns the address) or
/// advertises its priority lowered by `drop` (`|weight|`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TrackScript {
    pub(crate) interval: SimDuration,
    pub(crate) fall: u32,
    pub(crate) rise: u32,
    pub(crate) drop: u8,
}

impl TrackScript {
    /// When the script counts as failed, for a check target that breaks at `now`, with the
    /// script's runs on the grid `phase + k * interval`: the first failing run is the next on
    /// the grid after `now`, then `fall - 1` more. keepalived times its scripts from its own
    /// start and its advertisements from becoming master, so a driver that does not know the
    /// two timers' offset draws `phase` uniformly in `[0, interval)` (the live test
    /// `live_keepalived_moves_the_address_within_simparks_window` found them unaligned).
    pub(crate) fn detected_at(&self, now: SimTime, phase: SimDuration) -> SimTime {
        self.run_after(now, phase, self.fall)
    }

    /// When the script passes again, for a target repaired at `now`: its `rise`-th run after
    /// `now` on the grid `phase + k * interval`.
    pub(crate) fn passes_at(&self, now: SimTime, phase: SimDuration) -> SimTime {
        self.run_after(now, phase, self.rise)
    }

    /// The `n`-th run (`n >= 1`) strictly after `now` on the grid `phase + k * interval`.
    fn run_after(&self, now: SimTime, phase: SimDuration, n: u32) -> SimTime {
        let i = self.interval.as_nanos();
        let p = phase.as_nanos();
        assert!(p < i && n >= 1, "the phase lies within one interval; runs count from 1");
        let first = if now.as_nanos() < p {
            p
        } else {
            ((now.as_nanos() - p) / i + 1) * i + p
        };
        SimTime::from_nanos(first + u64::from(n - 1) * i)
    }

    /// The priority `config`'s router advertises while the script fails; `None` in FAULT
    /// (weight 0: it stops advertising and resigns).
    pub(crate) fn failing_priority(&self, config: &VrrpConfig) -> Option<u8> {
        (self.drop > 0).then(|| config.priority.saturating_sub(self.drop).max(1))
    }
}

impl VrrpConfig {
    /// A router with the RFC defaults: advertisement every 100 cs, preemption on, no delay.
    pub(crate) fn new(priority: u8, address: u32) -> Self {
        VrrpConfig {
            priority,
            advert_interval_cs: DEFAULT_ADVERT_INTERVAL_CS,
            preempt: true,
            preempt_delay: None,
            address,
        }
    }
}

/// RFC 5798 section 6.4 states.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum State {
    Initialize,
    Backup,
    Master,
}

/// What the router wants the driver to do.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Multicast an advertisement to the other routers (priority 0 = resigning).
    SendAdvertisement { priority: u8, adver_interval_cs: u16 },
    /// This router now owns the virtual address (send gratuitous ARP, accept traffic).
    BecameMaster,
    /// This router gave up the virtual address to a better Master.
    BecameBackup,
}

/// One VRRPv3 router of a virtual router.
#[derive(Clone, Debug)]
pub(crate) struct VrrpRouter {
    config: VrrpConfig,
    state: State,
    /// RFC 5798 `Master_Adver_Interval`: the interval the current Master advertises at [cs].
    master_adver_interval_cs: u16,
    master_down_timer: Option<SimTime>,
    adver_timer: Option<SimTime>,
    /// keepalived's `preempt_time`: until when lower-priority adverts are still accepted.
    preempt_deadline: Option<SimTime>,
    actions: VecDeque<Action>,
    last_now: SimTime,
}

impl VrrpRouter {
    pub(crate) fn new(config: VrrpConfig) -> Self {
        assert!(
            config.priority != PRIORITY_RESIGN,
            "priority 0 is reserved for a resigning Master (RFC 5798 5.2.4)"
        );
        assert!(
            (1..=MAX_ADVERT_INTERVAL_CS).contains(&config.advert_interval_cs),
            "advert interval {} cs outside 1..={MAX_ADVERT_INTERVAL_CS}",
            config.advert_interval_cs
        );
        if let Some(d) = config.preempt_delay {
            assert!(
                d <= KEEPALIVED_MAX_PREEMPT_DELAY,
                "preempt_delay {d} beyond keepalived's 1000 s"
            );
        }
        VrrpRouter {
            master_adver_interval_cs: config.advert_interval_cs,
            config,
            state: State::Initialize,
            master_down_timer: None,
            adver_timer: None,
            preempt_deadline: None,
            actions: VecDeque::new(),
            last_now: SimTime::ZERO,
        }
    }

    /// The router's configuration.
    pub(crate) fn config(&self) -> &VrrpConfig {
        &self.config
    }

    #[cfg(test)]
    pub(crate) fn state(&self) -> State {
        self.state
    }

    /// This router's current `Skew_Time` [cs].
    pub(crate) fn skew_time_cs(&self) -> u32 {
        skew_time_cs(self.config.priority, self.master_adver_interval_cs)
    }

    /// This router's current `Master_Down_Interval` [cs].
    pub(crate) fn master_down_interval_cs(&self) -> u32 {
        master_down_interval_cs(self.config.priority, self.master_adver_interval_cs)
    }

    // ----- inputs -----------------------------------------------------------------------------

    /// RFC 5798 6.4.1: the Startup event. The address owner becomes Master at once; any other
    /// router waits as Backup for one Master_Down_Interval.
    pub(crate) fn handle_startup(&mut self, now: SimTime) {
        self.enter(now);
        assert_eq!(self.state, State::Initialize, "startup while running");
        self.preempt_deadline = None;
        if self.config.priority == PRIORITY_OWNER {
            self.become_master(now);
        } else {
            self.master_adver_interval_cs = self.config.advert_interval_cs;
            self.master_down_timer = Some(now + centis(self.master_down_interval_cs()));
            self.state = State::Backup;
            self.actions.push_back(Action::BecameBackup);
        }
    }

    /// RFC 5798 6.4.2/6.4.3: the Shutdown event. A Master resigns with a priority-0
    /// advertisement so that a Backup takes over after only Skew_Time.
    #[cfg(test)]
    pub(crate) fn handle_shutdown(&mut self, now: SimTime) {
        self.enter(now);
        match self.state {
            State::Initialize => {}
            State::Backup => self.master_down_timer = None,
            State::Master => {
                self.adver_timer = None;
                self.send(PRIORITY_RESIGN);
            }
        }
        self.state = State::Initialize;
    }

    /// An advertisement of this virtual router from another router arrived.
    pub(crate) fn handle_advertisement(
        &mut self,
        now: SimTime,
        from_priority: u8,
        from_addr: u32,
        adver_interval_cs: u16,
    ) {
        self.enter(now);
        assert_ne!(
            from_addr, self.config.address,
            "the driver delivered this router's own advertisement"
        );
        assert!(
            (1..=MAX_ADVERT_INTERVAL_CS).contains(&adver_interval_cs),
            "advert interval {adver_interval_cs} cs outside 1..={MAX_ADVERT_INTERVAL_CS}"
        );
        let local = self.config.priority;
        match self.state {
            State::Initialize => {} // not participating
            State::Backup => {
                if from_priority == PRIORITY_RESIGN {
                    // The Master resigned: take over after Skew_Time only.
                    self.master_down_timer = Some(now + centis(self.skew_time_cs()));
                } else if self.accepts_as_backup(now, from_priority) {
                    self.master_adver_interval_cs = adver_interval_cs;
                    self.master_down_timer = Some(now + centis(self.master_down_interval_cs()));
                } // else: preempting; discard, and the Master_Down_Timer runs out.
            }
            State::Master => {
                if from_priority == PRIORITY_RESIGN {
                    // Another Master resigned: assert ourselves at once.
                    self.send(local);
                    self.adver_timer = Some(now + centis(self.config.advert_interval_cs.into()));
                } else if from_priority > local || (from_priority == local && from_addr > self.config.address) {
                    self.adver_timer = None;
                    self.master_adver_interval_cs = adver_interval_cs;
                    self.master_down_timer = Some(now + centis(self.master_down_interval_cs()));
                    self.state = State::Backup;
                    self.actions.push_back(Action::BecameBackup);
                } // else: a lower (or tie-losing) router; discard.
            }
        }
    }

    /// Time has reached `now`: fire the Master_Down_Timer (Backup) or the Adver_Timer (Master).
    pub(crate) fn handle_timeout(&mut self, now: SimTime) {
        self.enter(now);
        match self.state {
            State::Initialize => {}
            State::Backup => {
                if self.master_down_timer.is_some_and(|t| now >= t) {
                    self.master_down_timer = None;
                    self.become_master(now);
                }
            }
            State::Master => {
                if self.adver_timer.is_some_and(|t| now >= t) {
                    self.send(self.config.priority);
                    self.adver_timer = Some(now + centis(self.config.advert_interval_cs.into()));
                }
            }
        }
    }

    // ----- outputs ----------------------------------------------------------------------------

    pub(crate) fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When `handle_timeout` must next be called, if ever.
    pub(crate) fn poll_timeout(&self) -> Option<SimTime> {
        match self.state {
            State::Initialize => None,
            State::Backup => self.master_down_timer,
            State::Master => self.adver_timer,
        }
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

    /// RFC 5798 6.4.2: a Backup accepts a (non-zero) advertisement, resetting its
    /// Master_Down_Timer, if Preempt_Mode is off or the sender's priority is at least its own.
    /// keepalived's `preempt_delay` adds: a lower-priority advertisement is also accepted
    /// until `preempt_delay` after the first one seen (keepalived vrrp.c, `vrrp_state_backup`:
    /// `preempt_time` is armed on the first lower-priority advert and cleared by an advert of
    /// equal or higher priority).
    fn accepts_as_backup(&mut self, now: SimTime, from_priority: u8) -> bool {
        let local = self.config.priority;
        let delayed = match self.config.preempt_delay {
            Some(delay) if from_priority < local => {
                let deadline = *self.preempt_deadline.get_or_insert(now + delay);
                now < deadline
            }
            Some(_) => {
                self.preempt_deadline = None;
                false
            }
            None => false,
        };
        !self.config.preempt || from_priority >= local || delayed
    }

    fn become_master(&mut self, now: SimTime) {
        self.send(self.config.priority);
        self.adver_timer = Some(now + centis(self.config.advert_interval_cs.into()));
        self.state = State::Master;
        self.actions.push_back(Action::BecameMaster);
    }

    fn send(&mut self, priority: u8) {
        self.actions.push_back(Action::SendAdvertisement {
            priority,
            adver_interval_cs: self.config.advert_interval_cs,
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_tracked_script_fails_on_its_grid_and_lowers_or_resigns() {
        let t = TrackScript {
            interval: SimDuration::from_secs(2),
            fall: 3,
            rise: 2,
            drop: 0,
        };
        // Broken at 5.5 s: failing runs at 6, 8, 10 s.
        let zero = SimDuration::ZERO;
        assert_eq!(
            t.detected_at(SimTime::from_nanos(5_500_000_000), zero),
            SimTime::from_secs(10)
        );
        // Broken exactly on a run: that run still passed; 8, 10, 12 s.
        assert_eq!(t.detected_at(SimTime::from_secs(6), zero), SimTime::from_secs(12));
        // Runs at 0.5 s + 2k: broken at 4.5 s (on a run) fails at 6.5, 8.5, 10.5 s; just
        // before it, at 4.5, 6.5, 8.5 s; before the first run, at 0.5, 2.5, 4.5 s.
        let half = SimDuration::from_millis(500);
        let at = |ms: u64| SimTime::from_millis(ms);
        assert_eq!(t.detected_at(at(4_500), half), at(10_500));
        assert_eq!(t.detected_at(at(4_499), half), at(8_500));
        assert_eq!(t.detected_at(at(100), half), at(4_500));
        assert_eq!(t.passes_at(at(5_500), half), at(8_500), "rise 2: 6.5, 8.5 s");
        let cfg = VrrpConfig::new(200, 1);
        assert_eq!(t.failing_priority(&cfg), None, "weight 0: FAULT");
        assert_eq!(TrackScript { drop: 50, ..t.clone() }.failing_priority(&cfg), Some(150));
        assert_eq!(TrackScript { drop: 250, ..t }.failing_priority(&cfg), Some(1));
    }

    use super::*;

    fn ms(v: u64) -> SimTime {
        SimTime::from_millis(v)
    }

    #[derive(Copy, Clone, Debug)]
    enum Cmd {
        Start(usize),
        /// The router dies silently: no more adverts, nothing delivered to it.
        Crash(usize),
        /// Graceful stop: a Master resigns with priority 0.
        Shutdown(usize),
    }

    /// A tiny LAN: every advertisement reaches every other running router `delay` later.
    struct Lan {
        configs: Vec<VrrpConfig>,
        routers: Vec<VrrpRouter>,
        running: Vec<bool>,
        delay: SimDuration,
        /// (arrival, to, priority, from address, interval)
        in_flight: Vec<(SimTime, usize, u8, u32, u16)>,
        script: VecDeque<(SimTime, Cmd)>,
        log: Vec<(SimTime, usize, Action)>,
        /// Last advertisement delivered to each router.
        last_rx: Vec<Option<SimTime>>,
    }

    impl Lan {
        fn new(configs: Vec<VrrpConfig>, delay_ms: u64, mut script: Vec<(SimTime, Cmd)>) -> Self {
            script.sort_by_key(|&(t, _)| t);
            let n = configs.len();
            Lan {
                routers: configs.iter().cloned().map(VrrpRouter::new).collect(),
                configs,
                running: vec![false; n],
                delay: SimDuration::from_millis(delay_ms),
                in_flight: Vec::new(),
                script: script.into(),
                log: Vec::new(),
                last_rx: vec![None; n],
            }
        }

        /// At equal instants: script, then deliveries, then timeouts (lowest router first).
        fn run_until(&mut self, end: SimTime) {
            loop {
                let mut best: Option<(SimTime, u8, usize)> = None;
                let mut consider = |t: SimTime, rank: u8, idx: usize| {
                    if t <= end && best.is_none_or(|b| (t, rank, idx) < b) {
                        best = Some((t, rank, idx));
                    }
                };
                if let Some(&(t, _)) = self.script.front() {
                    consider(t, 0, 0);
                }
                for (i, m) in self.in_flight.iter().enumerate() {
                    consider(m.0, 1, i);
                }
                for (i, r) in self.routers.iter().enumerate() {
                    if self.running[i]
                        && let Some(t) = r.poll_timeout()
                    {
                        consider(t, 2, i);
                    }
                }
                let Some((now, rank, idx)) = best else { break };
                let actor = match rank {
                    0 => {
                        let (_, cmd) = self.script.pop_front().unwrap();
                        match cmd {
                            Cmd::Start(i) => {
                                self.routers[i] = VrrpRouter::new(self.configs[i].clone());
                                self.running[i] = true;
                                self.routers[i].handle_startup(now);
                                i
                            }
                            Cmd::Crash(i) => {
                                self.running[i] = false;
                                i
                            }
                            Cmd::Shutdown(i) => {
                                self.routers[i].handle_shutdown(now);
                                self.running[i] = false;
                                i
                            }
                        }
                    }
                    1 => {
                        let (_, to, prio, addr, int) = self.in_flight.remove(idx);
                        if self.running[to] {
                            self.last_rx[to] = Some(now);
                            self.routers[to].handle_advertisement(now, prio, addr, int);
                        }
                        to
                    }
                    _ => {
                        self.routers[idx].handle_timeout(now);
                        idx
                    }
                };
                while let Some(a) = self.routers[actor].poll_action() {
                    self.log.push((now, actor, a));
                    if let Action::SendAdvertisement {
                        priority,
                        adver_interval_cs,
                    } = a
                    {
                        let from = self.configs[actor].address;
                        for to in 0..self.routers.len() {
                            if to != actor {
                                self.in_flight
                                    .push((now + self.delay, to, priority, from, adver_interval_cs));
                            }
                        }
                    }
                }
            }
        }

        fn became_master(&self, router: usize) -> Vec<SimTime> {
            self.log
                .iter()
                .filter(|&&(_, r, a)| r == router && a == Action::BecameMaster)
                .map(|&(t, _, _)| t)
                .collect()
        }
    }

    #[test]
    fn timers_follow_rfc5798_integer_arithmetic() {
        // (priority, Master_Adver_Interval cs, Skew_Time cs, Master_Down_Interval cs)
        let cases: &[(u8, u16, u32, u32)] = &[
            (100, 100, 60, 360), // 156*100/256 = 15600/256 = 60.94 -> 60
            (200, 100, 21, 321), // 56*100/256 = 21.88 -> 21
            (254, 100, 0, 300),  // 2*100/256 = 0.78 -> 0
            (255, 100, 0, 300),
            (1, 100, 99, 399),        // 255*100/256 = 99.6 -> 99
            (150, 50, 20, 170),       // 106*50/256 = 20.7 -> 20
            (100, 4095, 2495, 14780), // 156*4095/256 = 2495.4 -> 2495
        ];
        for &(prio, int, skew, down) in cases {
            assert_eq!(skew_time_cs(prio, int), skew, "skew {prio}/{int}");
            assert_eq!(master_down_interval_cs(prio, int), down, "down {prio}/{int}");
        }
        assert_eq!(centis(360), SimDuration::from_millis(3600));
    }

    /// The Master dies silently: the Backup becomes Master exactly Master_Down_Interval after
    /// the last advertisement it received.
    #[test]
    fn backup_takes_over_master_down_interval_after_last_advert() {
        // (backup priority, advert interval cs, delay ms, expected takeover ms)
        // Master priority 200 (Master_Down_Interval 321 cs) wins the startup race at 3210 ms
        // and advertises every interval; it crashes at 10_500 ms.
        let cases: &[(u8, u16, u64, u64)] = &[
            // Adverts sent 3.21, 4.21 .. 10.21 s, last received 10.22 s; + 3.60 s = 13.82 s.
            (100, 100, 10, 13_820),
            // Priority 50: skew 206*100/256 = 80 cs -> 3.80 s after 10.22 s.
            (50, 100, 10, 14_020),
            // Zero delay: last received 10.21 s; + 3.60 s.
            (100, 100, 0, 13_810),
            // Interval 50 cs: master down 3*50 + 2800/256 = 160 cs -> adverts 1.60, 2.10, ..
            // 10.10 s, received 10.11 s; backup (150 + 7800/256 = 180 cs) takes over 11.91 s.
            (100, 50, 10, 11_910),
        ];
        for &(prio_b, int, delay, expected) in cases {
            let a = VrrpConfig {
                advert_interval_cs: int,
                ..VrrpConfig::new(200, 0x0a00_0001)
            };
            let b = VrrpConfig {
                advert_interval_cs: int,
                ..VrrpConfig::new(prio_b, 0x0a00_0002)
            };
            let script = vec![
                (ms(0), Cmd::Start(0)),
                (ms(0), Cmd::Start(1)),
                (ms(10_500), Cmd::Crash(0)),
            ];
            let mut lan = Lan::new(vec![a, b], delay, script);
            lan.run_until(ms(10_600));
            assert_eq!(lan.routers[1].state(), State::Backup);
            let last_rx = lan.last_rx[1].unwrap();
            lan.run_until(ms(30_000));
            let down = centis(master_down_interval_cs(prio_b, int));
            assert_eq!(lan.became_master(1), vec![last_rx + down], "case {prio_b}/{int}");
            assert_eq!(lan.became_master(1), vec![ms(expected)], "case {prio_b}/{int}");
            assert_eq!(lan.routers[1].state(), State::Master);
        }
    }

    /// A graceful shutdown sends priority 0: the Backup takes over after Skew_Time only.
    #[test]
    fn graceful_shutdown_takes_over_after_skew_time() {
        let script = vec![
            (ms(0), Cmd::Start(0)),
            (ms(0), Cmd::Start(1)),
            (ms(10_500), Cmd::Shutdown(0)),
        ];
        let a = VrrpConfig::new(200, 1);
        let b = VrrpConfig::new(100, 2);
        let mut lan = Lan::new(vec![a, b], 10, script);
        lan.run_until(ms(30_000));
        assert!(lan.log.contains(&(
            ms(10_500),
            0,
            Action::SendAdvertisement {
                priority: 0,
                adver_interval_cs: 100
            }
        )));
        assert_eq!(lan.routers[0].state(), State::Initialize);
        // Resignation received at 10.51 s, Skew_Time(100) = 60 cs.
        assert_eq!(lan.became_master(1), vec![ms(10_510 + 600)]);
    }

    /// The higher-priority router returns: with preemption it takes over one of its own
    /// Master_Down_Intervals after starting; without, it stays Backup; with keepalived's
    /// preempt_delay it waits that long after the first lower-priority advert.
    #[test]
    fn preemption_when_higher_priority_router_returns() {
        // (preempt, preempt_delay s, expected Master instants of router 0 after its restart)
        let cases: &[(bool, Option<u64>, &[u64])] = &[
            // Restart at 20 s as Backup, timer 321 cs; B's lower adverts are discarded.
            (true, None, &[23_210]),
            (false, None, &[]),
            // B (Master since 13.82 s) adverts arrive at 20.83, 21.83, ...: the first arms the
            // delay until 25.83 s; 20.83 .. 24.83 are accepted, 25.83 is not: 24.83 + 3.21.
            (true, Some(5), &[28_040]),
        ];
        for &(preempt, delay, expected) in cases {
            let a = VrrpConfig {
                preempt,
                preempt_delay: delay.map(SimDuration::from_secs),
                ..VrrpConfig::new(200, 1)
            };
            let b = VrrpConfig::new(100, 2);
            let script = vec![
                (ms(0), Cmd::Start(0)),
                (ms(0), Cmd::Start(1)),
                (ms(10_500), Cmd::Crash(0)),
                (ms(20_000), Cmd::Start(0)),
            ];
            let mut lan = Lan::new(vec![a, b], 10, script);
            lan.run_until(ms(60_000));
            let after: Vec<SimTime> = lan.became_master(0).into_iter().filter(|&t| t >= ms(20_000)).collect();
            let expected: Vec<SimTime> = expected.iter().map(|&v| ms(v)).collect();
            assert_eq!(after, expected, "case {preempt}/{delay:?}");
            assert_eq!(lan.became_master(1), vec![ms(13_820)]);
            let (a_state, b_state) = if expected.is_empty() {
                (State::Backup, State::Master)
            } else {
                (State::Master, State::Backup)
            };
            assert_eq!(lan.routers[0].state(), a_state);
            assert_eq!(lan.routers[1].state(), b_state);
            if let Some(&t) = expected.first() {
                // B steps down when A's first advert reaches it.
                assert!(
                    lan.log
                        .contains(&(t + SimDuration::from_millis(10), 1, Action::BecameBackup))
                );
            }
        }
    }

    /// Equal priorities: when both become Master at once, the higher primary address wins
    /// (RFC 5798 6.4.3). A Backup does not compare addresses: a router that starts while an
    /// equal-priority Master already runs stays Backup, whatever its address.
    #[test]
    fn equal_priority_tie_broken_by_higher_address() {
        // (start of router 1 [ms], expected final Master)
        let cases: &[(u64, usize)] = &[(0, 1), (1_000, 0)];
        for &(start_b, winner) in cases {
            let a = VrrpConfig::new(100, 0x0a00_0001);
            let b = VrrpConfig::new(100, 0x0a00_0002);
            let script = vec![(ms(0), Cmd::Start(0)), (ms(start_b), Cmd::Start(1))];
            let mut lan = Lan::new(vec![a, b], 10, script);
            lan.run_until(ms(30_000));
            assert_eq!(lan.routers[winner].state(), State::Master, "start {start_b}");
            assert_eq!(lan.routers[1 - winner].state(), State::Backup, "start {start_b}");
            if start_b == 0 {
                // Both became Master at 3.60 s; the lower address stepped down at 3.61 s.
                assert_eq!(lan.became_master(0), vec![ms(3_600)]);
                assert_eq!(lan.became_master(1), vec![ms(3_600)]);
                assert!(lan.log.contains(&(ms(3_610), 0, Action::BecameBackup)));
            }
        }
    }

    #[test]
    fn address_owner_is_master_at_once() {
        let mut r = VrrpRouter::new(VrrpConfig::new(PRIORITY_OWNER, 1));
        r.handle_startup(ms(5));
        assert_eq!(r.state(), State::Master);
        assert_eq!(
            r.poll_action(),
            Some(Action::SendAdvertisement {
                priority: 255,
                adver_interval_cs: 100
            })
        );
        assert_eq!(r.poll_action(), Some(Action::BecameMaster));
        assert_eq!(r.poll_timeout(), Some(ms(1_005)));
    }

    /// A Master hearing another router resign re-advertises at once.
    #[test]
    fn master_answers_a_resignation_immediately() {
        let mut r = VrrpRouter::new(VrrpConfig::new(PRIORITY_OWNER, 1));
        r.handle_startup(ms(0));
        while r.poll_action().is_some() {}
        r.handle_advertisement(ms(400), PRIORITY_RESIGN, 2, 100);
        assert_eq!(
            r.poll_action(),
            Some(Action::SendAdvertisement {
                priority: 255,
                adver_interval_cs: 100
            })
        );
        assert_eq!(r.poll_timeout(), Some(ms(1_400)));
    }

    #[test]
    #[should_panic(expected = "priority 0 is reserved")]
    fn priority_zero_is_rejected() {
        VrrpRouter::new(VrrpConfig::new(0, 1));
    }
}
