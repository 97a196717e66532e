//! How on-call learns of a failure: the Prometheus rules and the Alertmanager pipeline,
//! stepped through the real `Alerting` machines on a local clock.

use super::*;
use crate::policy::alerting::StateChange;

pub(crate) use crate::model::alerts::{ALERTS, RAID_DEGRADED};

/// What an alert watches: the Prometheus rule's name, its metric, and the sample values
/// before and after the event.
#[derive(Clone, Copy)]
pub(crate) struct Watch {
    pub(crate) rule: &'static str,
    pub(crate) metric: Metric,
    pub(crate) healthy: f64,
    pub(crate) bad: f64,
}

/// `up == 0 for 5m` (the Prometheus documentation's example rule).
pub(crate) const INSTANCE_DOWN: Watch = Watch {
    rule: "InstanceDown",
    metric: Metric::Up,
    healthy: 1.0,
    bad: 0.0,
};
/// `load per core > 1 for 10m`: how on-call learns of a slowed server (an assumption: its
/// CPU demand rises with the slowdown).
pub(crate) const HIGH_LOAD: Watch = Watch {
    rule: "HighLoad",
    metric: Metric::LoadPerCore,
    healthy: 0.3,
    bad: 2.0,
};
/// A SMART health warning (`for: 0`).
pub(crate) const SMART_WARNING: Watch = Watch {
    rule: "SmartWarning",
    metric: Metric::SmartWarning,
    healthy: 0.0,
    bad: 1.0,
};

/// Delay from an event at `now` to the on-call page, decided by the alerting machines:
/// Prometheus evaluates the rule every minute and Alertmanager waits `group_wait`. The
/// machines are time-translation invariant on their evaluation grid, so one episode is run on a
/// local clock aligned to the grid point before the event.
pub(crate) fn page_delay(now: SimTime, watch: Watch) -> SimDuration {
    let mut paged = None;
    step(now, None, SimTime::MAX, watch, |at, status| {
        if status == NotificationStatus::Firing {
            paged = Some(at);
        }
        paged.is_some()
    });
    paged.expect("the episode stops at the page").since(now)
}

/// One component failure's alert episode, for "would my alerts have paged?"
/// (`report/paging.rs`): the watched target fails at `failed_ns` and is repaired at `end_ns`
/// (or the run ends there, `repaired` false); times since the start [ns].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Episode {
    pub(crate) target: String,
    /// The rule that watches it ([`Watch::rule`]).
    pub(crate) rule: String,
    pub(crate) failed_ns: u64,
    pub(crate) end_ns: u64,
    pub(crate) repaired: bool,
    /// The rule's firing notifications for the target before the end of the run: the page
    /// (`page_delay` after the failure) and every `repeat_interval` resend.
    pub(crate) pages_ns: Vec<u64>,
    /// The resolved notification after the repair, if it came before the end of the run.
    pub(crate) resolved_ns: Option<u64>,
}

/// The whole episode of a failure at `failed`, repaired at `repaired` (`None`: still failed
/// at `until`, the end of the run), through the same machines and local clock as
/// [`page_delay`]: run until the alert has resolved (or never fired) after the repair, or
/// until `until`.
pub(crate) fn episode(
    failed: SimTime,
    repaired: Option<SimTime>,
    until: SimTime,
    watch: Watch,
) -> (Vec<SimTime>, Option<SimTime>) {
    assert!(
        repaired.is_none_or(|r| failed <= r && r <= until),
        "repaired within the run"
    );
    let (mut pages, mut resolved) = (Vec::new(), None);
    step(failed, repaired, until, watch, |at, status| {
        match status {
            NotificationStatus::Firing => pages.push(at),
            NotificationStatus::Resolved => resolved = Some(at),
        }
        resolved.is_some()
    });
    (pages, resolved)
}

/// Step a fresh alerting machine through `watch`'s target failing at `failed` and healthy
/// again from `repaired`, handing `on` each of the rule's notifications for the target
/// (global instant, status) until it returns true, `until` is reached, or (after the repair)
/// the alert is inactive without having paged.
fn step(
    failed: SimTime,
    repaired: Option<SimTime>,
    until: SimTime,
    watch: Watch,
    mut on: impl FnMut(SimTime, NotificationStatus) -> bool,
) {
    let cfg = AlertingConfig::default();
    let eval = cfg.evaluation_interval;
    let base = SimTime::from_nanos(failed.as_nanos() / eval.as_nanos() * eval.as_nanos());
    let local = |t: SimTime| SimTime::ZERO + t.since(base);
    let (event, repair, end) = (local(failed), repaired.map(local), local(until));
    // The watched rule alone: the park's other rules watch series this episode never feeds,
    // so they could neither fire nor share its Alertmanager group (grouped by alertname).
    let rules: Vec<_> = default_rules().into_iter().filter(|r| r.name == watch.rule).collect();
    assert_eq!(rules.len(), 1, "{} is a built-in rule", watch.rule);
    let mut a = Alerting::new(cfg, rules);
    let mut paged = false;
    for _ in 0..EPISODE_STEPS_MAX {
        let t = a.poll_timeout();
        if t >= end {
            return;
        }
        // The target is scraped at every evaluation.
        let bad = t >= event && repair.is_none_or(|r| t < r);
        let value = if bad { watch.bad } else { watch.healthy };
        if watch.metric != Metric::Up {
            a.handle_sample(t, 0, Metric::Up, 1.0);
        }
        a.handle_sample(t, 0, watch.metric, value);
        a.handle_timeout(t);
        while let Some(n) = a.poll_notification() {
            if n.labels.target == Some(0) && n.alert == watch.rule {
                paged |= n.status == NotificationStatus::Firing;
                if on(base + n.at.since(SimTime::ZERO), n.status) {
                    return;
                }
            }
        }
        // Repaired before it paged: once the alert is inactive nothing more will be sent.
        if !paged && repair.is_some_and(|r| t >= r) {
            let last = a.log().iter().rev().find(|e| e.rule == watch.rule).map(|e| e.change);
            if !matches!(last, Some(StateChange::Pending | StateChange::Firing)) {
                return;
            }
        }
    }
    panic!("the alert episode of {} never ended", watch.rule);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> SimTime {
        SimTime::from_secs(secs)
    }

    #[test]
    fn an_episode_pages_repeats_and_resolves_through_the_machines() {
        // Down from 10:30: the evaluation at 11:00 sees up == 0, `for 5m` fires at 16:00,
        // group_wait pages at 16:30 (page_delay 6 min). Repaired at 9 h: the evaluation at
        // 9 h resolves, and the group's 5 min ticks (16:30 + k x 5 min) send it at 9:01:30.
        let (pages, resolved) = episode(s(630), Some(s(9 * 3600)), s(100 * 3600), INSTANCE_DOWN);
        assert_eq!(page_delay(s(630), INSTANCE_DOWN), SimDuration::from_secs(360));
        // repeat_interval 4h resends while it is down.
        assert_eq!(pages, vec![s(990), s(990 + 4 * 3600), s(990 + 8 * 3600)]);
        assert_eq!(resolved, Some(s(9 * 3600 + 90)));
        // The run ends first: the page, no resolve.
        assert_eq!(episode(s(630), None, s(2000), INSTANCE_DOWN), (vec![s(990)], None));
        // Repaired before `for` ran out: no page, and the episode stops at once.
        assert_eq!(
            episode(s(630), Some(s(700)), s(100 * 3600), INSTANCE_DOWN),
            (vec![], None)
        );
    }

    #[test]
    fn a_slowdown_pages_with_high_load_after_its_ten_minutes() {
        // load per core 2.0 from 0:30: seen at 1:00, `for 10m` fires at 11:00, paged at 11:30.
        let (pages, resolved) = episode(s(30), Some(s(3600)), s(10 * 3600), HIGH_LOAD);
        assert_eq!(pages, vec![s(690)]);
        assert_eq!(pages[0], s(30) + page_delay(s(30), HIGH_LOAD));
        // Healthy from 1 h: resolved at the 1 h evaluation, sent at the tick 11:30 + 10 x 5 min.
        assert_eq!(resolved, Some(s(690 + 3000)));
    }
}
