//! How on-call learns of a failure: the Prometheus rules and the Alertmanager pipeline,
//! stepped through the real `Alerting` machine over each failure's episode.
//!
//! Without alerting of its own the scenario pages with the built-in rules (`InstanceDown` for
//! a failure that silences the target, `HighLoad` for a slowdown, `SmartWarning`) and
//! Alertmanager's defaults. With imported `[[monitoring.rules]]` or `[monitoring.alertmanager]`
//! the machine runs the scenario's rules and routing tree, as request mode does ([`Pager`]):
//! the page is the first firing notification for the failed component from any rule, its
//! resends and its resolve come from the same machine (group_wait, group_interval,
//! repeat_interval, inhibit rules, time intervals). The machine is fed what the driver knows
//! of the failed component ([`Watch`]: `up`, and load per core or the SMART warning); a rule
//! that needs another series, or whose alerts carry no `instance`, is not evaluated
//! (`model::alerts::avail_skipped`). A failure no rule pages for is never noticed.
//!
//! Each episode runs alone on a fresh machine, on the run's clock from the evaluation before
//! the failure (the machine is time-translation invariant on its evaluation grid, but for
//! time intervals). It must never: feed a series the driver does not know, or step without a
//! bound (an episode ends once the machine has [`Alerting::settled`], or
//! [`Alerting::settle_bound`] after the inputs last changed).

use super::*;
use crate::model::alerts::{AVAIL_SERIES, avail_skipped};
use crate::policy::alerting::{AlertRule, Notification, Notifier};

pub(crate) use crate::model::alerts::RAID_DEGRADED;
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

/// mdadm's degraded-array mail ([`RAID_DEGRADED`]): not a Prometheus rule, so it pages with
/// the built-in `InstanceDown`'s timing whatever the scenario's rules.
pub(crate) const RAID: Watch = Watch {
    rule: RAID_DEGRADED,
    ..INSTANCE_DOWN
};

/// The alerting machine's rules and Alertmanager configuration, as one failure's episode
/// needs them: built once per replication from the model.
pub(crate) struct Pager {
    /// Alertmanager's tree (the default one receiver, or the scenario's) and Prometheus'
    /// timings.
    cfg: AlertingConfig,
    /// Per series a [`Watch`] feeds besides `up` (in [`AVAIL_SERIES`] order): the rules that
    /// can fire on it. Built-in: the watch's own rule alone (the others could neither fire nor
    /// share its group, grouped by alertname).
    rules: [Vec<AlertRule>; AVAIL_SERIES.len()],
}

/// One rule's part of a component failure's alert episode, for "would my alerts have paged?"
/// (`report/paging.rs`): the watched target fails at `failed_ns` and is repaired at `end_ns`
/// (or the run ends there, `repaired` false); times since the start [ns]. A failure has one
/// per rule that paged for it, in the order they first paged, or one without pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Episode {
    pub(crate) target: String,
    /// The rule whose notifications these are (without pages: the built-in rule of the
    /// failure's [`Watch`]).
    pub(crate) rule: String,
    pub(crate) failed_ns: u64,
    pub(crate) end_ns: u64,
    pub(crate) repaired: bool,
    /// The rule's firing notifications for the target before the end of the run: the page
    /// and every `repeat_interval` resend.
    pub(crate) pages_ns: Vec<u64>,
    /// The resolved notification after the repair, if it came before the end of the run.
    pub(crate) resolved_ns: Option<u64>,
}

/// A page: when, and the rule whose firing notification it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) at: SimTime,
    pub(crate) rule: String,
}

/// One rule's notifications for the failed component over its episode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RulePages {
    pub(crate) rule: String,
    /// Its firing notifications: the first page and every `repeat_interval` resend (one per
    /// instant, however many routes sent it).
    pub(crate) pages: Vec<SimTime>,
    /// Its resolved notification after the repair, if one came before the end.
    pub(crate) resolved: Option<SimTime>,
}

impl Pager {
    /// The scenario's own rules and Alertmanager when it imported any (monitoring on), else
    /// the built-in ones.
    pub(crate) fn new(m: &Model) -> Pager {
        match m.monitoring.as_ref().filter(|mo| mo.imported) {
            Some(mo) => Pager::from_rules(mo.notifier.clone(), &mo.rules),
            None => Pager::builtin(),
        }
    }

    /// `rules` (those the availability mode evaluates) routed by `notifier`.
    fn from_rules(notifier: Notifier, rules: &[AlertRule]) -> Pager {
        let evaluated: Vec<&AlertRule> = rules.iter().filter(|r| avail_skipped(r).is_none()).collect();
        Pager {
            cfg: AlertingConfig {
                notifier,
                ..AlertingConfig::default()
            },
            rules: AVAIL_SERIES.map(|fed| {
                evaluated
                    .iter()
                    .filter(|r| r.expr.can_select(&[Metric::Up, fed]))
                    .map(|&r| r.clone())
                    .collect()
            }),
        }
    }

    /// The built-in rules ([`INSTANCE_DOWN`], [`HIGH_LOAD`], [`SMART_WARNING`]) and
    /// Alertmanager's defaults.
    pub(crate) fn builtin() -> Pager {
        let all = default_rules();
        let rules = AVAIL_SERIES.map(|fed| {
            let watch = [INSTANCE_DOWN, HIGH_LOAD, SMART_WARNING]
                .into_iter()
                .find(|w| w.metric == fed)
                .expect("a built-in watch per fed series");
            let rules: Vec<AlertRule> = all.iter().filter(|r| r.name == watch.rule).cloned().collect();
            assert_eq!(rules.len(), 1, "{} is a built-in rule", watch.rule);
            rules
        });
        Pager {
            cfg: AlertingConfig::default(),
            rules,
        }
    }

    fn rules(&self, watch: Watch) -> &[AlertRule] {
        let i = AVAIL_SERIES
            .iter()
            .position(|&m| m == watch.metric)
            .expect("a watch feeds a series of AVAIL_SERIES");
        &self.rules[i]
    }

    /// The page for `target`'s failure at `now`, decided by the alerting machine: Prometheus
    /// evaluates the rules every minute, Alertmanager routes and waits. `None`: no rule pages
    /// for it (none fires, or its notifications stay muted or inhibited).
    pub(crate) fn page(&self, now: SimTime, watch: Watch, target: &str) -> Option<Page> {
        let mut page = None;
        self.step(now, None, SimTime::MAX, watch, target, |n| {
            if n.status == NotificationStatus::Firing {
                page = Some(Page {
                    at: n.at,
                    rule: n.alert.clone(),
                });
            }
            page.is_some()
        });
        page
    }

    /// The whole episode of `target`'s failure at `failed`, repaired at `repaired` (`None`:
    /// still failed at `until`, the end of the run), through the same machine as
    /// [`Pager::page`]: each rule that paged for it, in the order they first paged.
    pub(crate) fn episode(
        &self,
        failed: SimTime,
        repaired: Option<SimTime>,
        until: SimTime,
        watch: Watch,
        target: &str,
    ) -> Vec<RulePages> {
        let mut out: Vec<RulePages> = Vec::new();
        self.step(failed, repaired, until, watch, target, |n| {
            let firing = n.status == NotificationStatus::Firing;
            let i = match out.iter().position(|r| r.rule == n.alert) {
                Some(i) => i,
                // A resolve of an alert that never paged (sent only in a group's company).
                None if !firing => return false,
                None => {
                    out.push(RulePages {
                        rule: n.alert.clone(),
                        pages: Vec::new(),
                        resolved: None,
                    });
                    out.len() - 1
                }
            };
            let r = &mut out[i];
            if !firing {
                r.resolved.get_or_insert(n.at);
            } else if r.pages.last() != Some(&n.at) {
                r.pages.push(n.at);
            }
            false
        });
        out
    }

    /// Step a fresh alerting machine through `watch`'s target failing at `failed` and healthy
    /// again from `repaired`, handing `on` each notification for the target from the failure
    /// on until it returns true, `until` is reached, or nothing more can come: healthy again
    /// and settled (or [`Alerting::settle_bound`] after the repair), or still failed without
    /// a page and settled (or that bound after the failure).
    fn step(
        &self,
        failed: SimTime,
        repaired: Option<SimTime>,
        until: SimTime,
        watch: Watch,
        target: &str,
        mut on: impl FnMut(&Notification) -> bool,
    ) {
        assert!(
            repaired.is_none_or(|r| failed <= r && r <= until),
            "repaired within the run"
        );
        let cfg = AlertingConfig {
            instances: vec![target.to_string()],
            ..self.cfg.clone()
        };
        let eval = cfg.evaluation_interval;
        let base = SimTime::from_nanos(failed.as_nanos() / eval.as_nanos() * eval.as_nanos());
        let mut a = Alerting::new(cfg, self.rules(watch).to_vec());
        let bound = a.settle_bound();
        let mut paged = false;
        for _ in 0..EPISODE_STEPS_MAX {
            // A fresh machine wants its first evaluation at 0: start at the grid point.
            let t = a.poll_timeout().max(base);
            if t >= until {
                return;
            }
            // The target is scraped at every evaluation.
            let bad = t >= failed && repaired.is_none_or(|r| t < r);
            let value = if bad { watch.bad } else { watch.healthy };
            if watch.metric != Metric::Up {
                a.handle_sample(t, 0, Metric::Up, 1.0);
            }
            a.handle_sample(t, 0, watch.metric, value);
            a.handle_timeout(t);
            while let Some(n) = a.poll_notification() {
                if n.labels.target == Some(0) && n.at >= failed {
                    paged |= n.status == NotificationStatus::Firing;
                    if on(&n) {
                        return;
                    }
                }
            }
            let done = match repaired {
                Some(r) if t >= r => a.settled(r, t) || t >= r + bound,
                // Still failed: once settled without a page, or past the bound, none will come.
                _ => !paged && (a.settled(failed, t) || t >= failed + bound),
            };
            if done {
                return;
            }
        }
        panic!("the alert episode of {} never ended", watch.rule);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::alerting::{GroupBy, InhibitRule, Matcher, Route, TimeInterval, promql};
    use std::collections::BTreeMap;

    fn s(secs: u64) -> SimTime {
        SimTime::from_secs(secs)
    }

    /// The built-in pager's episode of web1: its one rule's pages and resolve.
    fn episode(
        failed: SimTime,
        repaired: Option<SimTime>,
        until: SimTime,
        watch: Watch,
    ) -> (Vec<SimTime>, Option<SimTime>) {
        let runs = Pager::builtin().episode(failed, repaired, until, watch, "web1");
        assert!(runs.len() <= 1, "{runs:?}");
        runs.into_iter().next().map_or((Vec::new(), None), |r| {
            assert_eq!(r.rule, watch.rule);
            (r.pages, r.resolved)
        })
    }

    fn page_delay(now: SimTime, watch: Watch) -> SimDuration {
        let page = Pager::builtin()
            .page(now, watch, "web1")
            .expect("the built-in rules page");
        assert_eq!(page.rule, watch.rule);
        page.at.since(now)
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
        // Repaired before `for` ran out: no page.
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

    fn rule(name: &str, expr: &str, for_s: u64, severity: Option<&str>) -> AlertRule {
        AlertRule {
            name: name.into(),
            expr: promql::compile(expr).expect(expr),
            for_: SimDuration::from_secs(for_s),
            keep_firing_for: SimDuration::ZERO,
            labels: severity
                .map(|v| ("severity".to_string(), v.to_string()))
                .into_iter()
                .collect(),
        }
    }

    fn route(matcher: &str, group_wait_s: u64, mute: &[&str]) -> Route {
        Route {
            matchers: vec![Matcher::parse(matcher).unwrap()],
            group_wait: SimDuration::from_secs(group_wait_s),
            // Resolved trees carry the inherited values: the root's hourly repeat.
            repeat_interval: SimDuration::from_hours(1),
            mute_time_intervals: mute.iter().map(|m| m.to_string()).collect(),
            ..Route::default_root("oncall")
        }
    }

    /// Alertmanager with a page route (group_wait 10 s, `page_mute` time intervals) and a
    /// ticket route muted at night; the root groups by alertname and instance, repeats hourly;
    /// a firing `Down2m` inhibits tickets on its instance.
    fn notifier(page_mute: &[&str]) -> Notifier {
        let nights = TimeInterval {
            weekdays: Vec::new(),
            times: vec![(0, 8 * 60)],
        };
        Notifier {
            route: Route {
                group_by: GroupBy::Labels(vec!["alertname".into(), "instance".into()]),
                repeat_interval: SimDuration::from_hours(1),
                routes: vec![
                    route("severity=\"page\"", 10, page_mute),
                    route("severity=\"ticket\"", 30, &["nights"]),
                ],
                ..Route::default_root("ops")
            },
            inhibit_rules: vec![InhibitRule {
                source: vec![Matcher::parse("alertname=\"Down2m\"").unwrap()],
                target: vec![Matcher::parse("severity=\"ticket\"").unwrap()],
                equal: vec!["instance".into()],
            }],
            time_intervals: BTreeMap::from([("nights".to_string(), vec![nights])]),
        }
    }

    fn rules() -> Vec<AlertRule> {
        vec![
            rule("Down2m", "up == 0", 120, Some("page")),
            rule("DownTicket", "up == 0", 0, Some("ticket")),
            rule("Slow", "simpark_load_per_core > 1.5", 0, None),
            // Not evaluated: the availability driver produces no disk series.
            rule("DiskFull", "node_filesystem_avail_bytes < 1", 0, Some("page")),
        ]
    }

    #[test]
    fn a_custom_rule_and_route_page_through_the_machine() {
        let pager = Pager::from_rules(notifier(&[]), &rules());
        // Down from 00:10:30 on Monday: seen at 11:00, `for 2m` fires Down2m at 13:00, the page
        // route's group_wait 10 s pages at 13:10. DownTicket fires at 11:00 but its route is
        // muted at night, and from 13:00 Down2m inhibits it: it never pages.
        let page = pager.page(s(630), INSTANCE_DOWN, "web1");
        assert_eq!(
            page,
            Some(Page {
                at: s(790),
                rule: "Down2m".into()
            })
        );
        // Repaired at 3 h: resends every hour (repeat_interval 1h), resolved at the group's
        // tick after the 3 h evaluation (790 + 34 x 300 s).
        let runs = pager.episode(s(630), Some(s(3 * 3600)), s(100 * 3600), INSTANCE_DOWN, "web1");
        assert_eq!(
            runs,
            vec![RulePages {
                rule: "Down2m".into(),
                pages: vec![s(790), s(790 + 3600), s(790 + 2 * 3600)],
                resolved: Some(s(790 + 34 * 300)),
            }]
        );
        // A slowdown (load per core 2.0, up 1): Slow fires at the first evaluation and the
        // root route's group_wait 30 s pages.
        let slow = pager.page(s(630), HIGH_LOAD, "web1").expect("Slow pages");
        assert_eq!((slow.at, slow.rule.as_str()), (s(690), "Slow"));
        // A SMART warning: no rule watches it, so nothing pages, and the step ends without
        // running to the end of time.
        assert_eq!(pager.page(s(630), SMART_WARNING, "web1"), None);
        assert_eq!(pager.episode(s(630), None, SimTime::MAX, SMART_WARNING, "web1"), vec![]);
        // Only rules that need other series: nothing can page for a crash.
        let disk = Pager::from_rules(notifier(&[]), &rules()[3..]);
        assert_eq!(disk.page(s(630), INSTANCE_DOWN, "web1"), None);
    }

    #[test]
    fn a_muted_route_pages_when_its_time_interval_ends_on_the_runs_clock() {
        // The page route muted at night too: Down2m fires on Tuesday at 05:03:00 (failed at
        // 05:00:30) and its group ticks every 5 min from 05:03:10; the first tick after 08:00
        // pages (Tuesday 08:03:10).
        let pager = Pager::from_rules(notifier(&["nights"]), &rules());
        let failed = s(86_400 + 5 * 3600 + 30);
        let first_tick = s(86_400 + 5 * 3600 + 190);
        let page = pager
            .page(failed, INSTANCE_DOWN, "web1")
            .expect("pages after the night");
        assert_eq!(page.at, first_tick + SimDuration::from_secs(36 * 300));
        assert_eq!(page.rule, "Down2m");
    }
}
