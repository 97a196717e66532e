//! How on-call learns of a failure: the Prometheus rules and the Alertmanager pipeline,
//! stepped through the real `Alerting` machines on a local clock.

use super::*;

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
            if n.status == NotificationStatus::Firing && n.labels.target == Some(0) && n.alert == watch.rule {
                return n.at.since(local_event);
            }
        }
    }
    panic!("the alert pipeline never paged for {}", watch.rule);
}
