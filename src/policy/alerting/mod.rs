//! 24/7 monitoring: Prometheus-style alerting rules and Alertmanager-style notification.
//!
//! Seed requirement: all important figures (workload, memory and disk usage) are measured, and
//! if a server threatens to fail, the system administrators are told at once, 24 hours a day,
//! 7 days a week.
//!
//! Where this sits: the policy layer. Production logic as a sans-IO state machine: the caller
//! is the scraper (it hands samples through `handle_sample`, including `up` = 0 when a scrape
//! fails), asks `poll_timeout()` for the next rule evaluation or notification flush, calls
//! `handle_timeout(now)`, and drains `poll_notification()`. It knows nothing of the simulator.
//!
//! It must never: read a clock (time only arrives as `now` arguments), do I/O, spawn threads,
//! draw random numbers, or iterate a `HashMap` (only `BTreeMap` / `Vec`: deterministic order).
//!
//! # Semantics reproduced
//! **Prometheus rules** (rules/alerting.go, `AlertingRule.Eval`): at each evaluation instant
//! `ts`, a series for which the condition holds and that has no active alert gets a *pending*
//! alert with `active_at = ts`; a pending alert becomes *firing* at the first evaluation with
//! `ts - active_at >= for` (so with `for: 0` it fires at the evaluation that first sees the
//! condition). When the condition no longer holds, a pending alert is dropped (so a flapping
//! condition restarts its `for` clock), and a firing alert is resolved — unless
//! `keep_firing_for` is set, in which case it stays firing until `keep_firing_for` has passed
//! since the first evaluation that found the condition false.
//! Expressions are the PromQL subset of `expr.rs` (compiled from text by `promql.rs`):
//! instant selectors take the newest sample in `(ts - lookback_delta, ts]` (left-open since
//! Prometheus 3.0; `closed_windows` gives 2.x's `[ts - w, ts]`) that is not hidden by a
//! staleness marker; a failed scrape (`up` = 0) marks the target's other series stale, as
//! Prometheus does on scrape failure. Range selectors `m[w]` take the samples in `(ts - w, ts]`.
//! Every alert is identified by its rule and its series labels ([`Labels`]).
//!
//! **Alertmanager** (dispatch/dispatch.go, notify/notify.go `DedupStage.needsUpdate`): each
//! alert is routed through the tree of `route.rs` (default: one receiver, `group_by:
//! ['alertname']`) into the group of every matching route and its `group_by` labels, with
//! the route's timings. A new group waits
//! `group_wait` before its first flush, then flushes every `group_interval`. A flush notifies
//! when there are firing alerts not in the last notification, when everything has resolved
//! after a notification with firing alerts, when (with `send_resolved`) there are newly
//! resolved alerts, or when `repeat_interval` has passed since the last notification.
//! Resolved alerts leave the group after a flush; an empty group is deleted. A notification
//! carries every alert of the group, emitted here as one [`Notification`] per alert. Alerts
//! an inhibit rule mutes (a firing source alert) are left out of the flush; a route muted by a
//! time interval sends nothing and keeps its notification log.
//!
//! # Simplifications
//! - Prometheus sends alerts to Alertmanager instantly at the evaluation (no 1 m resend delay,
//!   no network latency); at an instant with both an evaluation and a flush, the evaluation
//!   runs first.
//! - Evaluations are aligned on multiples of `evaluation_interval` from time 0 (Prometheus
//!   offsets each rule group by a hash of its name).
//! - Repeat: real Alertmanager notifies when the last notification is *strictly* older than
//!   `now - repeat_interval`; with zero processing latency every tick would tie, and in a real
//!   deployment each flush finishes after its log entry so the drift breaks the tie in favour
//!   of repeating. We therefore use `<=`: with a 5 m interval and 4 h repeat, the repeat
//!   comes exactly 4 h after the previous notification.
//! - No silences and no notification-log retention limit; receivers are names (a notification
//!   to any receiver is a page).

mod expr;
pub mod promql;
pub(crate) mod route;
mod window;

pub use expr::{AggOp, BinOp, Expr, Grouping, LabelName, Labels, Metric, RangeFn};
pub(crate) use route::{GroupBy, InhibitRule, LabelSet, Matcher, Notifier, Route, TimeInterval};

use crate::units::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A Prometheus alerting rule.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRule {
    /// The alert name (`alertname`), also the Alertmanager group key.
    pub name: String,
    /// The rule's parsed PromQL expression.
    pub expr: Expr,
    /// `for:` the condition must hold this long before the alert fires.
    pub for_: SimDuration,
    /// `keep_firing_for:` keep firing this long after the condition stops (0 = off).
    pub keep_firing_for: SimDuration,
    /// The rule's `labels:` (e.g. `severity`), added to every alert it raises.
    pub labels: BTreeMap<String, String>,
}

impl AlertRule {
    /// `up == 0` for 5m: the `InstanceDown` example of Prometheus' alerting-rules
    /// documentation ("Alert for any instance that is unreachable for >5 minutes").
    pub(crate) fn instance_down() -> Self {
        AlertRule {
            name: "InstanceDown".into(),
            expr: Expr::Binary {
                op: BinOp::Eq,
                lhs: Box::new(Expr::Select(vec![Metric::Up])),
                rhs: Box::new(Expr::Number(0.0)),
                return_bool: false,
                matching: None,
            },
            for_: SimDuration::from_mins(5),
            keep_firing_for: SimDuration::ZERO,
            labels: BTreeMap::new(),
        }
    }

    /// `metric > threshold` for `for_`.
    pub(crate) fn above(name: &str, metric: Metric, threshold: f64, for_: SimDuration) -> Self {
        AlertRule {
            name: name.into(),
            expr: Expr::Binary {
                op: BinOp::Gt,
                lhs: Box::new(Expr::Select(vec![metric])),
                rhs: Box::new(Expr::Number(threshold)),
                return_bool: false,
                matching: None,
            },
            for_,
            keep_firing_for: SimDuration::ZERO,
            labels: BTreeMap::new(),
        }
    }

    /// `predict_linear(disk_free[window], horizon) < 0` for `for_`: the disk will be full
    /// within `horizon` if the trend over `window` continues.
    pub(crate) fn disk_will_fill(window: SimDuration, horizon: SimDuration, for_: SimDuration) -> Self {
        AlertRule {
            name: "DiskWillFillSoon".into(),
            expr: Expr::Binary {
                op: BinOp::Lt,
                lhs: Box::new(Expr::Range {
                    func: RangeFn::PredictLinear(horizon.as_secs_f64()),
                    metrics: vec![Metric::DiskFreeBytes],
                    window,
                }),
                rhs: Box::new(Expr::Number(0.0)),
                return_bool: false,
                matching: None,
            },
            for_,
            keep_firing_for: SimDuration::ZERO,
            labels: BTreeMap::new(),
        }
    }

    /// `smart_warning > 0`: a boolean signal from the disk's SMART self-monitoring.
    pub(crate) fn smart_warning() -> Self {
        // for: 0 (model choice): a SMART warning does not flap; page at once.
        AlertRule::above("SmartWarning", Metric::SmartWarning, 0.0, SimDuration::ZERO)
    }
}

/// The park's rule set. Thresholds and `for` durations other than `InstanceDown` are model
/// choices (typical operator values), not taken from a source.
pub(crate) fn default_rules() -> Vec<AlertRule> {
    vec![
        AlertRule::instance_down(),
        AlertRule::above("HighLoad", Metric::LoadPerCore, 1.0, SimDuration::from_mins(10)),
        AlertRule::above("HighMemory", Metric::MemoryUsedPercent, 90.0, SimDuration::from_mins(5)),
        AlertRule::above(
            "DiskAlmostFull",
            Metric::DiskUsedPercent,
            90.0,
            SimDuration::from_mins(5),
        ),
        // predict_linear(disk_free[6h], 4*3600) < 0: the brief's predictive rule.
        AlertRule::disk_will_fill(
            SimDuration::from_hours(6),
            SimDuration::from_hours(4),
            SimDuration::from_mins(5),
        ),
        AlertRule::smart_warning(),
    ]
}

/// Timing configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertingConfig {
    /// Prometheus `global.evaluation_interval`, default 1m (Prometheus configuration docs).
    pub evaluation_interval: SimDuration,
    /// Prometheus `global.scrape_interval`, default 1m (Prometheus configuration docs). Not
    /// used here (the caller scrapes); kept so the caller reads one config.
    pub scrape_interval: SimDuration,
    /// Prometheus `--query.lookback-delta`, default 5m (Prometheus command-line docs).
    pub lookback_delta: SimDuration,
    /// Alertmanager: routing tree (with `group_wait` 30s, `group_interval` 5m and
    /// `repeat_interval` 4h by default), inhibit rules, time intervals.
    pub notifier: Notifier,
    /// The `instance` label of each target, by index (default `target<i>`).
    pub instances: Vec<String>,
    /// Receiver `send_resolved`; true is the Alertmanager default for webhook and PagerDuty
    /// receivers (false for e-mail).
    pub send_resolved: bool,
    /// Range and lookback windows closed on the left, `[ts - w, ts]`, as in Prometheus 2.x
    /// (Debian 12 ships 2.42); false: `(ts - w, ts]`, Prometheus 3.0 and later.
    pub closed_windows: bool,
}

impl Default for AlertingConfig {
    fn default() -> Self {
        AlertingConfig {
            evaluation_interval: SimDuration::from_mins(1),
            scrape_interval: SimDuration::from_mins(1),
            lookback_delta: SimDuration::from_mins(5),
            notifier: Notifier::default(),
            instances: Vec::new(),
            send_resolved: true,
            closed_windows: false,
        }
    }
}

/// State of one alert (rule × target).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum AlertState {
    Pending,
    Firing,
}

/// A state change, for the alert log.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum StateChange {
    /// Inactive → pending.
    Pending,
    /// Pending → firing.
    Firing,
    /// Pending → inactive (the condition stopped before `for` elapsed).
    PendingCancelled,
    /// Firing → inactive.
    Resolved,
}

/// One entry of the alert log.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AlertEvent {
    pub(crate) at: SimTime,
    pub(crate) rule: String,
    pub(crate) labels: Labels,
    pub(crate) change: StateChange,
}

/// Firing or resolved, as in a notification.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum NotificationStatus {
    Firing,
    Resolved,
}

/// One alert in a notification to the system administrators.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    pub(crate) at: SimTime,
    pub(crate) alert: String,
    /// The alert's series labels (`target` is `None` for an aggregate over the park).
    pub(crate) labels: Labels,
    pub(crate) status: NotificationStatus,
    /// The receiver of the route that delivered it.
    pub(crate) receiver: String,
}

#[derive(Clone, Debug)]
struct Series {
    /// The samples, and the windows the rules' range selectors read.
    samples: window::History,
    /// Staleness marker: samples at or before this instant are hidden from instant selectors.
    stale_at: Option<SimTime>,
}

#[derive(Clone, Debug)]
struct Active {
    state: AlertState,
    active_at: SimTime,
    keep_firing_since: Option<SimTime>,
}

/// An alert: (rule index, its labels).
type AlertKey = (usize, Labels);

/// An Alertmanager aggregation group: (route, preorder index, and the `group_by` labels).
type GroupKey = (usize, LabelSet);

#[derive(Clone, Debug)]
struct Group {
    /// alert → resolved?
    alerts: BTreeMap<AlertKey, bool>,
    next_flush: SimTime,
}

/// Alertmanager notification-log entry for a group.
#[derive(Clone, Debug)]
struct LogEntry {
    at: SimTime,
    firing: BTreeSet<AlertKey>,
    resolved: BTreeSet<AlertKey>,
}

/// Rule evaluation plus notification.
#[derive(Clone, Debug)]
pub struct Alerting {
    cfg: AlertingConfig,
    rules: Vec<AlertRule>,
    /// How much history the rules need.
    retention: SimDuration,
    /// Every (metric, window) a rule's range selector reads, each once.
    ranges: Vec<(Metric, SimDuration)>,
    /// By (metric, target).
    series: BTreeMap<(Metric, usize), Series>,
    next_eval: SimTime,
    /// (rule index, alert labels) → active alert.
    active: BTreeMap<(usize, Labels), Active>,
    /// Alertmanager aggregation groups.
    groups: BTreeMap<GroupKey, Group>,
    nflog: BTreeMap<GroupKey, LogEntry>,
    notifications: VecDeque<Notification>,
    log: Vec<AlertEvent>,
}

impl Alerting {
    /// Rules evaluated every `cfg.evaluation_interval`, notifications routed by `cfg`.
    pub fn new(cfg: AlertingConfig, rules: Vec<AlertRule>) -> Self {
        assert!(!cfg.evaluation_interval.is_zero(), "evaluation_interval 0");
        assert!(!cfg.notifier.route.group_interval.is_zero(), "group_interval 0");
        let mut names = BTreeSet::new();
        let mut retention = cfg.lookback_delta;
        let mut ranges = Vec::new();
        for r in &rules {
            assert!(names.insert(r.name.clone()), "duplicate rule name {}", r.name);
            assert!(!r.expr.is_scalar(), "rule {} is a number, not a vector", r.name);
            retention = retention.max(r.expr.window_max());
            r.expr.ranges(&mut ranges);
        }
        ranges.sort_by_key(|&(m, w)| (m, w));
        ranges.dedup();
        Alerting {
            cfg,
            rules,
            retention,
            ranges,
            series: BTreeMap::new(),
            next_eval: SimTime::ZERO,
            active: BTreeMap::new(),
            groups: BTreeMap::new(),
            nflog: BTreeMap::new(),
            notifications: VecDeque::new(),
            log: Vec::new(),
        }
    }

    pub(crate) fn config(&self) -> &AlertingConfig {
        &self.cfg
    }

    /// A scraped sample. `Up` = 0 also marks the target's other series stale.
    pub fn handle_sample(&mut self, now: SimTime, target: usize, metric: Metric, value: f64) {
        let ranges = &self.ranges;
        let s = self.series.entry((metric, target)).or_insert_with(|| {
            let widths: Vec<SimDuration> = ranges.iter().filter(|r| r.0 == metric).map(|r| r.1).collect();
            Series {
                samples: window::History::new(&widths),
                stale_at: None,
            }
        });
        s.samples.push(now, value);
        // Keep everything newer than the longest window, plus the newest sample.
        s.samples.forget(now, self.retention);
        if metric == Metric::Up && value == 0.0 {
            for m in Metric::ALL.into_iter().filter(|&m| m != Metric::Up) {
                if let Some(other) = self.series.get_mut(&(m, target)) {
                    other.stale_at = Some(now);
                }
            }
        }
    }

    /// The next evaluation or notification flush.
    pub fn poll_timeout(&self) -> SimTime {
        let flush = self.groups.values().map(|g| g.next_flush).min();
        flush.map_or(self.next_eval, |f| f.min(self.next_eval))
    }

    /// Evaluate the rules if an evaluation is due, then flush the groups that are due.
    pub fn handle_timeout(&mut self, now: SimTime) {
        if self.next_eval <= now {
            self.evaluate(now);
            let iv = self.cfg.evaluation_interval.as_nanos();
            let k = now.as_nanos() / iv + 1;
            self.next_eval = SimTime::from_nanos(k * iv);
        }
        let due: Vec<GroupKey> = self
            .groups
            .iter()
            .filter(|(_, g)| g.next_flush <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for r in due {
            self.flush(r, now);
        }
    }

    /// The next notification to send, if any (in the order they became due).
    pub fn poll_notification(&mut self) -> Option<Notification> {
        self.notifications.pop_front()
    }

    /// Whether nothing will ever happen again while the inputs stay as they have been since
    /// `since`: no alert is pending or firing, no Alertmanager group waits, and at `now` every
    /// window holds only samples from `since` on (so every later evaluation gives the same
    /// empty result).
    pub(crate) fn settled(&self, since: SimTime, now: SimTime) -> bool {
        self.active.is_empty() && self.groups.is_empty() && now >= since + self.retention + self.cfg.evaluation_interval
    }

    /// How long after its inputs stop changing the machine has sent every notification they
    /// will give, repeats apart: one evaluation after the longest window (or the lookback)
    /// has filled, the longest `for` and `keep_firing_for`, then the longest route's
    /// `group_wait` and `group_interval`, plus a week when a route is muted or active by time
    /// of week (time intervals repeat weekly). An alert that an inhibit rule mutes for as
    /// long as its source keeps firing may stay unsent for good.
    pub(crate) fn settle_bound(&self) -> SimDuration {
        fn delivery(r: &Route) -> SimDuration {
            r.routes
                .iter()
                .map(delivery)
                .fold(r.group_wait + r.group_interval, SimDuration::max)
        }
        let rules = self
            .rules
            .iter()
            .map(|r| r.for_ + r.keep_firing_for)
            .fold(SimDuration::ZERO, SimDuration::max);
        let notifier = &self.cfg.notifier;
        let week = if notifier.time_intervals.is_empty() {
            SimDuration::ZERO
        } else {
            SimDuration::from_hours(7 * 24)
        };
        self.retention + self.cfg.evaluation_interval + rules + delivery(&notifier.route) + week
    }

    /// All state changes so far.
    pub(crate) fn log(&self) -> &[AlertEvent] {
        &self.log
    }

    /// The firing alerts: (rule name, rule index, labels), in rule order.
    pub fn firing(&self) -> impl Iterator<Item = (&str, usize, Labels)> + '_ {
        self.active
            .iter()
            .filter(|(_, a)| a.state == AlertState::Firing)
            .map(|(&(ri, l), _)| (self.rules[ri].name.as_str(), ri, l))
    }

    /// Current state of rule `rule` (by name) for the alert with `labels`, if active.
    #[cfg(test)]
    pub(crate) fn state(&self, rule: &str, labels: Labels) -> Option<AlertState> {
        let ri = self.rules.iter().position(|r| r.name == rule)?;
        self.active.get(&(ri, labels)).map(|a| a.state)
    }

    /// Evaluate rule `ri`: the labels of every element of its result.
    fn query(&self, ri: usize, ts: SimTime) -> BTreeSet<Labels> {
        let cx = expr::Ctx {
            series: &self.series,
            ts,
            lookback: self.cfg.lookback_delta,
            closed: self.cfg.closed_windows,
        };
        match self.rules[ri].expr.eval(&cx) {
            expr::Value::Vector(v) => v.into_keys().collect(),
            expr::Value::Scalar(_) => unreachable!("rules are vectors (checked in new)"),
        }
    }

    fn evaluate(&mut self, ts: SimTime) {
        for same_metric in self.ranges.chunk_by(|a, b| a.0 == b.0) {
            let m = same_metric[0].0;
            for (_, s) in self.series.range_mut((m, 0)..=(m, usize::MAX)) {
                s.samples.advance(ts, self.cfg.closed_windows);
            }
        }
        for ri in 0..self.rules.len() {
            let results = self.query(ri, ts);
            let (for_, keep_firing_for) = (self.rules[ri].for_, self.rules[ri].keep_firing_for);
            for &labels in &results {
                if let std::collections::btree_map::Entry::Vacant(e) = self.active.entry((ri, labels)) {
                    e.insert(Active {
                        state: AlertState::Pending,
                        active_at: ts,
                        keep_firing_since: None,
                    });
                    self.push_log(ts, ri, labels, StateChange::Pending);
                }
            }
            let keys: Vec<Labels> = self
                .active
                .range((ri, Labels::default())..)
                .take_while(|((r, _), _)| *r == ri)
                .map(|(&(_, l), _)| l)
                .collect();
            for labels in keys {
                let a = self.active.get_mut(&(ri, labels)).expect("key listed");
                if !results.contains(&labels) {
                    let mut keep_firing = false;
                    if a.state == AlertState::Firing && !keep_firing_for.is_zero() {
                        let since = *a.keep_firing_since.get_or_insert(ts);
                        keep_firing = ts.since(since) < keep_firing_for;
                    }
                    if !keep_firing {
                        let was = a.state;
                        self.active.remove(&(ri, labels));
                        match was {
                            AlertState::Pending => self.push_log(ts, ri, labels, StateChange::PendingCancelled),
                            AlertState::Firing => {
                                self.push_log(ts, ri, labels, StateChange::Resolved);
                                self.am_receive(ri, labels, true, ts);
                            }
                        }
                    }
                    continue;
                }
                a.keep_firing_since = None;
                if a.state == AlertState::Pending && ts.since(a.active_at) >= for_ {
                    a.state = AlertState::Firing;
                    self.push_log(ts, ri, labels, StateChange::Firing);
                    self.am_receive(ri, labels, false, ts);
                }
            }
        }
    }

    fn push_log(&mut self, at: SimTime, ri: usize, labels: Labels, change: StateChange) {
        self.log.push(AlertEvent {
            at,
            rule: self.rules[ri].name.clone(),
            labels,
            change,
        });
    }

    /// The label set Alertmanager sees: the series' labels, the rule's, `alertname`.
    pub(crate) fn alert_labels(&self, ri: usize, l: Labels) -> LabelSet {
        let mut ls = LabelSet::new();
        if let Some(t) = l.target {
            let name = self
                .cfg
                .instances
                .get(t)
                .cloned()
                .unwrap_or_else(|| format!("target{t}"));
            ls.insert("instance".into(), name);
        }
        if let Some(j) = l.job {
            ls.insert("job".into(), j.into());
        }
        if let Some(c) = l.code {
            ls.insert("code".into(), c.into());
        }
        let rule = &self.rules[ri];
        ls.extend(rule.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        ls.insert("alertname".into(), rule.name.clone());
        ls
    }

    /// Alertmanager receives an alert (firing, or resolved): into the group of every route
    /// it matches.
    fn am_receive(&mut self, ri: usize, labels: Labels, resolved: bool, now: SimTime) {
        let ls = self.alert_labels(ri, labels);
        for (rid, route) in self.cfg.notifier.route.match_routes(&ls) {
            let key = (rid, route.group_key(&ls));
            if resolved {
                if let Some(g) = self.groups.get_mut(&key)
                    && let Some(r) = g.alerts.get_mut(&(ri, labels))
                {
                    *r = true;
                }
                continue;
            }
            let g = self.groups.entry(key).or_insert_with(|| Group {
                alerts: BTreeMap::new(),
                next_flush: now + route.group_wait,
            });
            g.alerts.insert((ri, labels), false);
        }
    }

    /// Whether an inhibit rule mutes the alert, given the alerts firing now.
    fn inhibited(&self, alert: &LabelSet) -> bool {
        let rules = &self.cfg.notifier.inhibit_rules;
        if rules.is_empty() {
            return false;
        }
        let firing: Vec<LabelSet> = self.firing().map(|(_, ri, l)| self.alert_labels(ri, l)).collect();
        rules.iter().any(|r| r.mutes(alert, firing.iter()))
    }

    fn flush(&mut self, key: GroupKey, now: SimTime) {
        let route = self.cfg.notifier.route.nth(key.0).clone();
        let g = self.groups.get(&key).expect("flushing a live group");
        assert!(g.next_flush <= now);
        let firing: BTreeSet<AlertKey> = g
            .alerts
            .iter()
            .filter(|&(&(ri, l), &r)| !r && !self.inhibited(&self.alert_labels(ri, l)))
            .map(|(&k, _)| k)
            .collect();
        let resolved: BTreeSet<AlertKey> = g.alerts.iter().filter(|(_, r)| **r).map(|(&k, _)| k).collect();
        let send_resolved = self.cfg.send_resolved;
        let notify = if self.cfg.notifier.muted(&route, now) || (firing.is_empty() && resolved.is_empty()) {
            // A muted route, or only inhibited alerts: the pipeline stops, the log is untouched.
            false
        } else {
            match self.nflog.get(&key) {
                None => !firing.is_empty(),
                Some(e) => {
                    if !firing.is_subset(&e.firing) {
                        true
                    } else if firing.is_empty() {
                        !e.firing.is_empty()
                    } else if send_resolved && !resolved.is_subset(&e.resolved) {
                        true
                    } else {
                        e.at + route.repeat_interval <= now
                    }
                }
            }
        };
        if notify {
            let sent = firing.iter().chain(resolved.iter().filter(|_| send_resolved));
            for &(ri, labels) in sent {
                let res = resolved.contains(&(ri, labels));
                self.notifications.push_back(Notification {
                    at: now,
                    alert: self.rules[ri].name.clone(),
                    labels,
                    status: if res {
                        NotificationStatus::Resolved
                    } else {
                        NotificationStatus::Firing
                    },
                    receiver: route.receiver.clone(),
                });
            }
            self.nflog.insert(
                key.clone(),
                LogEntry {
                    at: now,
                    firing,
                    resolved,
                },
            );
        }
        let g = self.groups.get_mut(&key).expect("live group");
        g.alerts.retain(|_, resolved| !*resolved);
        if g.alerts.is_empty() {
            self.groups.remove(&key);
        } else {
            g.next_flush = now + route.group_interval;
        }
    }
}

/// Prometheus `predict_linear`: least-squares line through `points` (x in seconds relative to
/// `ts`), value at `ts + horizon`. `None` with fewer than 2 points (as PromQL).
#[cfg(test)]
pub(crate) fn predict_linear(points: &[(SimTime, f64)], ts: SimTime, horizon: SimDuration) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let (slope, intercept) = expr::linear_regression(points, ts);
    Some(slope * horizon.as_secs_f64() + intercept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> SimTime {
        SimTime::from_secs(s)
    }

    /// Drive `a` until `end` (exclusive): samples from `scrape(t)` every 60 s at offset 30 s,
    /// timers as requested. Returns the notifications.
    fn drive(
        a: &mut Alerting,
        end: SimTime,
        mut scrape: impl FnMut(SimTime) -> Vec<(usize, Metric, f64)>,
    ) -> Vec<Notification> {
        let mut next_scrape = secs(30);
        let mut out = Vec::new();
        loop {
            let timer = a.poll_timeout();
            let t = timer.min(next_scrape);
            if t >= end {
                break;
            }
            if t == next_scrape {
                for (target, m, v) in scrape(t) {
                    a.handle_sample(t, target, m, v);
                }
                next_scrape += SimDuration::from_secs(60);
            }
            if t == timer {
                a.handle_timeout(t);
            }
            while let Some(n) = a.poll_notification() {
                out.push(n);
            }
        }
        out
    }

    fn down_between(from: u64, to: u64) -> impl FnMut(SimTime) -> Vec<(usize, Metric, f64)> {
        move |t| {
            let s = t.as_nanos() / 1_000_000_000;
            let up = if s >= from && s < to { 0.0 } else { 1.0 };
            vec![(0, Metric::Up, up)]
        }
    }

    fn changes(a: &Alerting) -> Vec<(u64, StateChange)> {
        a.log()
            .iter()
            .map(|e| (e.at.as_nanos() / 1_000_000_000, e.change))
            .collect()
    }

    #[test]
    fn pending_then_firing_after_for() {
        let mut a = Alerting::new(AlertingConfig::default(), vec![AlertRule::instance_down()]);
        // Down from the scrape at 630 s (10m30s): first evaluation seeing it is 660 s (11m);
        // for: 5m, evaluation every 1m: firing at 960 s (16m).
        drive(&mut a, secs(1200), down_between(630, 100_000));
        assert_eq!(
            changes(&a),
            vec![(660, StateChange::Pending), (960, StateChange::Firing)]
        );
        assert_eq!(
            a.state("InstanceDown", Labels::of(0, Metric::Up)),
            Some(AlertState::Firing)
        );
    }

    #[test]
    fn flapping_condition_resets_pending() {
        let mut a = Alerting::new(AlertingConfig::default(), vec![AlertRule::instance_down()]);
        // Down 630..810 (seen at 660, 720, 780), up at 810 (eval 840 false), down again from
        // 870 (eval 900): pending restarts at 900, fires at 1200, not at 960.
        drive(&mut a, secs(1300), |t| {
            let s = t.as_nanos() / 1_000_000_000;
            let up = if (630..810).contains(&s) || s >= 870 { 0.0 } else { 1.0 };
            vec![(0, Metric::Up, up)]
        });
        assert_eq!(
            changes(&a),
            vec![
                (660, StateChange::Pending),
                (840, StateChange::PendingCancelled),
                (900, StateChange::Pending),
                (1200, StateChange::Firing),
            ]
        );
    }

    #[test]
    fn group_wait_delays_first_notification_and_resolve_is_sent() {
        let mut a = Alerting::new(AlertingConfig::default(), vec![AlertRule::instance_down()]);
        // Firing at 960; group_wait 30s → first notification at 990.
        // Back up from the scrape at 1230: eval 1260 resolves; next group tick 990+300=1290.
        let n = drive(&mut a, secs(2000), down_between(630, 1230));
        assert_eq!(
            n,
            vec![
                Notification {
                    at: secs(990),
                    alert: "InstanceDown".into(),
                    labels: Labels::of(0, Metric::Up),
                    status: NotificationStatus::Firing,
                    receiver: "oncall".into(),
                },
                Notification {
                    at: secs(1290),
                    alert: "InstanceDown".into(),
                    labels: Labels::of(0, Metric::Up),
                    status: NotificationStatus::Resolved,
                    receiver: "oncall".into(),
                },
            ]
        );
        assert_eq!(changes(&a).last(), Some(&(1260, StateChange::Resolved)));
        assert_eq!(a.poll_timeout(), secs(2040), "group gone: only evaluations");
    }

    #[test]
    fn repeat_interval_resends() {
        let mut a = Alerting::new(AlertingConfig::default(), vec![AlertRule::instance_down()]);
        let n = drive(&mut a, secs(9 * 3600), down_between(630, u64::MAX));
        let at: Vec<SimTime> = n.iter().map(|n| n.at).collect();
        // 990 s, then every 4 h (48 group intervals of 5 min).
        assert_eq!(at, vec![secs(990), secs(990 + 4 * 3600), secs(990 + 8 * 3600)]);
    }

    #[test]
    fn alerts_grouped_by_name() {
        let mut a = Alerting::new(AlertingConfig::default(), vec![AlertRule::instance_down()]);
        // Targets 0 and 1 go down together; target 2 five minutes later.
        let n = drive(&mut a, secs(1700), |t| {
            let s = t.as_nanos() / 1_000_000_000;
            vec![
                (0, Metric::Up, if s >= 630 { 0.0 } else { 1.0 }),
                (1, Metric::Up, if s >= 630 { 0.0 } else { 1.0 }),
                (2, Metric::Up, if s >= 930 { 0.0 } else { 1.0 }),
            ]
        });
        let got: Vec<(u64, usize)> = n
            .iter()
            .map(|n| (n.at.as_nanos() / 1_000_000_000, n.labels.target.expect("per target")))
            .collect();
        // Target 2 fires at 1260; it is sent with the whole group at the next tick 1290.
        assert_eq!(got, vec![(990, 0), (990, 1), (1290, 0), (1290, 1), (1290, 2)]);
    }

    #[test]
    fn keep_firing_for_holds_the_alert() {
        let mut rule = AlertRule::instance_down();
        rule.keep_firing_for = SimDuration::from_mins(3);
        let mut a = Alerting::new(AlertingConfig::default(), vec![rule]);
        // Firing at 960, up again from 1230: first false eval 1260; resolved once
        // 3 min have passed since then: at 1440.
        drive(&mut a, secs(1600), down_between(630, 1230));
        assert_eq!(changes(&a).last(), Some(&(1440, StateChange::Resolved)));
    }

    #[test]
    fn failed_scrape_makes_other_series_stale() {
        let rule = AlertRule::above("HighMemory", Metric::MemoryUsedPercent, 90.0, SimDuration::ZERO);
        let mut a = Alerting::new(AlertingConfig::default(), vec![rule]);
        drive(&mut a, secs(400), |t| {
            let s = t.as_nanos() / 1_000_000_000;
            if s < 200 {
                vec![(0, Metric::Up, 1.0), (0, Metric::MemoryUsedPercent, 95.0)]
            } else {
                vec![(0, Metric::Up, 0.0)]
            }
        });
        // Firing at 60 (first evaluation after the first scrape at 30); the scrape at 210
        // fails, so the evaluation at 240 sees no memory sample: resolved.
        assert_eq!(
            changes(&a),
            vec![
                (60, StateChange::Pending),
                (60, StateChange::Firing),
                (240, StateChange::Resolved)
            ]
        );
    }

    #[test]
    fn predict_linear_fires_before_disk_is_full() {
        let rule = AlertRule::disk_will_fill(
            SimDuration::from_hours(6),
            SimDuration::from_hours(4),
            SimDuration::ZERO,
        );
        let mut a = Alerting::new(AlertingConfig::default(), vec![rule]);
        // 100 GB free, filling linearly to 0 at 24 h.
        let full_at = 24.0 * 3600.0;
        let free = move |t: SimTime| 100e9 * (1.0 - t.as_secs_f64() / full_at);
        drive(&mut a, secs(24 * 3600), |t| vec![(0, Metric::DiskFreeBytes, free(t))]);
        let fired = a
            .log()
            .iter()
            .find(|e| e.change == StateChange::Firing)
            .expect("must fire")
            .at;
        // Predicted to be full within 4 h from about 20 h on.
        assert!(
            fired >= secs(20 * 3600 - 60) && fired <= secs(20 * 3600 + 60),
            "{fired:?}"
        );
        assert!(fired < secs(24 * 3600));
    }

    #[test]
    fn predict_linear_never_fires_for_flat_disk() {
        let mut a = Alerting::new(AlertingConfig::default(), default_rules());
        let n = drive(&mut a, secs(48 * 3600), |_| {
            vec![
                (0, Metric::Up, 1.0),
                (0, Metric::DiskFreeBytes, 1e9),
                (0, Metric::DiskUsedPercent, 50.0),
            ]
        });
        assert!(n.is_empty());
        assert!(a.log().is_empty());
    }

    #[test]
    fn regression_matches_hand_computation() {
        // Points (−2 s, 1), (−1 s, 3), (0 s, 5): slope 2/s, intercept 5 at ts.
        let ts = secs(10);
        let pts = [(secs(8), 1.0), (secs(9), 3.0), (secs(10), 5.0)];
        assert_eq!(expr::linear_regression(&pts, ts), (2.0, 5.0));
        assert_eq!(predict_linear(&pts, ts, SimDuration::from_secs(3)), Some(11.0));
        assert_eq!(predict_linear(&pts[..1], ts, SimDuration::from_secs(3)), None);
    }
}
