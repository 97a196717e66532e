//! `[monitoring]` alerting rules and Alertmanager, validated: each `[[monitoring.rules]]` entry
//! compiled into the alerting machine's rule (`policy::alerting::promql`), or refused naming
//! its key, its `source` (the rule file's line when imported) and why simpark cannot evaluate
//! it; `[monitoring.alertmanager]` resolved into the machine's routing tree (inherited values
//! filled in), inhibit rules and time intervals; for `[[expect]]`, which of the rules the
//! availability mode evaluates (`model::alerts::avail_skipped`).
//!
//! It must never: accept a rule it would evaluate differently from Prometheus.

use super::schema::{Detection, Expect, Mode, Monitoring, RouteSpec, Scenario, TimeIntervalSpec};
use super::validate::Invalid;
use crate::model::alerts::{PAGING_RULES, avail_series_names, avail_skipped};
use crate::policy::alerting::{
    AlertRule, GroupBy, InhibitRule, Matcher, Notifier, Route, TimeInterval, default_rules, promql,
};
use crate::units::{SimDuration, parse_duration};
use std::collections::BTreeMap;

/// The rules the alerting machine evaluates: the scenario's, or the built-in ones. Both modes
/// run them (availability mode those it can feed, `model::alerts::avail_skipped`).
pub(super) fn rules(mo: &Monitoring) -> Result<Vec<AlertRule>, Invalid> {
    if mo.rules.is_empty() {
        return Ok(default_rules());
    }
    let mut out: Vec<AlertRule> = Vec::with_capacity(mo.rules.len());
    for (i, r) in mo.rules.iter().enumerate() {
        let key = |field: &str| format!("monitoring.rules[{i}].{field}");
        let from = if r.source.is_empty() {
            String::new()
        } else {
            format!(" ({})", r.source)
        };
        if r.alert.is_empty() {
            return Err((key("alert"), format!("an alert needs a name{from}")));
        }
        if out.iter().any(|o| o.name == r.alert) {
            return Err((
                key("alert"),
                format!(
                    "`{}` is named twice{from}; simpark groups alerts by rule, so each alert name must be unique",
                    r.alert
                ),
            ));
        }
        let expr = promql::compile(&r.expr).map_err(|e| (key("expr"), format!("`{}`{from}: {e}", r.expr)))?;
        let dur = |field: &str, v: &Option<String>| -> Result<SimDuration, Invalid> {
            match v {
                None => Ok(SimDuration::ZERO),
                Some(text) => parse_duration(text).map_err(|e| (key(field), format!("{e}{from}"))),
            }
        };
        out.push(AlertRule {
            name: r.alert.clone(),
            expr,
            for_: dur("for", &r.for_)?,
            keep_firing_for: dur("keep_firing_for", &r.keep_firing_for)?,
            labels: r.labels.clone(),
        });
    }
    Ok(out)
}

/// Alertmanager as the alerting machine uses it: the scenario's routing tree, inhibit rules
/// and time intervals, or the default single receiver.
pub(super) fn notifier(mo: &Monitoring) -> Result<Notifier, Invalid> {
    let Some(am) = &mo.alertmanager else {
        return Ok(Notifier::default());
    };
    let from = if am.source.is_empty() {
        String::new()
    } else {
        format!(" ({})", am.source)
    };
    let mut time_intervals = BTreeMap::new();
    for (i, named) in am.time_intervals.iter().enumerate() {
        let key = format!("monitoring.alertmanager.time_intervals[{i}]");
        let mut list = Vec::new();
        for (j, t) in named.time_intervals.iter().enumerate() {
            let key = format!("{key}.time_intervals[{j}]");
            list.push(time_interval(t).map_err(|e| (key, format!("{e}{from}")))?);
        }
        time_intervals.insert(named.name.clone(), list);
    }
    let root = Route::default_root("oncall");
    let route = route(
        &am.route,
        &root,
        "monitoring.alertmanager.route",
        &time_intervals,
        &from,
    )?;
    let mut inhibit_rules = Vec::new();
    for (i, r) in am.inhibit_rules.iter().enumerate() {
        let key = format!("monitoring.alertmanager.inhibit_rules[{i}]");
        let ms = |field: &str, list: &[String]| -> Result<Vec<Matcher>, Invalid> {
            list.iter()
                .map(|m| Matcher::parse(m).map_err(|e| (format!("{key}.{field}"), format!("{e}{from}"))))
                .collect()
        };
        inhibit_rules.push(InhibitRule {
            source: ms("source_matchers", &r.source_matchers)?,
            target: ms("target_matchers", &r.target_matchers)?,
            equal: r.equal.clone(),
        });
    }
    Ok(Notifier {
        route,
        inhibit_rules,
        time_intervals,
    })
}

/// One route, its unset values inherited from `parent`.
fn route(
    spec: &RouteSpec,
    parent: &Route,
    key: &str,
    intervals: &BTreeMap<String, Vec<TimeInterval>>,
    from: &str,
) -> Result<Route, Invalid> {
    let dur = |field: &str, v: &Option<String>, inherited: SimDuration| -> Result<SimDuration, Invalid> {
        match v {
            None => Ok(inherited),
            Some(text) => match parse_duration(text) {
                Ok(d) if !d.is_zero() || field == "group_wait" => Ok(d),
                Ok(_) => Err((format!("{key}.{field}"), format!("must be longer than zero{from}"))),
                Err(e) => Err((format!("{key}.{field}"), format!("{e}{from}"))),
            },
        }
    };
    let matchers = spec
        .matchers
        .iter()
        .map(|m| Matcher::parse(m).map_err(|e| (format!("{key}.matchers"), format!("{e}{from}"))))
        .collect::<Result<Vec<_>, _>>()?;
    for name in spec.mute_time_intervals.iter().chain(&spec.active_time_intervals) {
        if !intervals.contains_key(name) {
            return Err((
                format!("{key}.mute_time_intervals"),
                format!("no time interval `{name}` in monitoring.alertmanager.time_intervals{from}"),
            ));
        }
    }
    let mut r = Route {
        receiver: spec.receiver.clone().unwrap_or_else(|| parent.receiver.clone()),
        group_by: match &spec.group_by {
            None => parent.group_by.clone(),
            Some(l) if l.iter().any(|x| x == "...") => GroupBy::All,
            Some(l) => GroupBy::Labels(l.clone()),
        },
        group_wait: dur("group_wait", &spec.group_wait, parent.group_wait)?,
        group_interval: dur("group_interval", &spec.group_interval, parent.group_interval)?,
        repeat_interval: dur("repeat_interval", &spec.repeat_interval, parent.repeat_interval)?,
        matchers,
        continue_: spec.continue_,
        mute_time_intervals: spec.mute_time_intervals.clone(),
        active_time_intervals: spec.active_time_intervals.clone(),
        routes: Vec::new(),
    };
    for (i, c) in spec.routes.iter().enumerate() {
        let child = route(c, &r, &format!("{key}.routes[{i}]"), intervals, from)?;
        r.routes.push(child);
    }
    Ok(r)
}

/// Alertmanager's weekday names, Monday first (the run starts on a Monday).
const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn time_interval(t: &TimeIntervalSpec) -> Result<TimeInterval, String> {
    let day = |name: &str| {
        WEEKDAYS
            .iter()
            .position(|d| d.eq_ignore_ascii_case(name.trim()))
            .map(|i| i as u8)
            .ok_or_else(|| format!("`{name}` is not a weekday; use {}", WEEKDAYS.join(", ")))
    };
    let mut weekdays = Vec::new();
    for w in &t.weekdays {
        let (a, b) = w.split_once(':').unwrap_or((w, w));
        let (a, b) = (day(a)?, day(b)?);
        if a > b {
            return Err(format!("`{w}`: the range must run forward (monday:friday)"));
        }
        weekdays.extend(a..=b);
    }
    let minute = |text: &str| -> Result<u32, String> {
        let bad = || format!("`{text}` is not a time HH:MM in 00:00..=24:00");
        let (h, m) = text.split_once(':').ok_or_else(bad)?;
        let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if m >= 60 || h * 60 + m > 1440 {
            return Err(bad());
        }
        Ok(h * 60 + m)
    };
    let mut times = Vec::new();
    for r in &t.times {
        let (s, e) = (minute(&r.start_time)?, minute(&r.end_time)?);
        if s >= e {
            return Err(format!(
                "{}..{} is empty; end_time must be after start_time",
                r.start_time, r.end_time
            ));
        }
        times.push((s, e));
    }
    Ok(TimeInterval { weekdays, times })
}

/// The alert rules the availability mode pages with when the scenario has its own (rules or
/// an Alertmanager tree, monitoring on), in file order, each with why the mode does not
/// evaluate it (`model::alerts::avail_skipped`; `None`: it does). A rule that does not compile
/// is left out (`[monitoring]` refuses it). `None`: the built-in rules.
pub(super) fn avail_rules(mo: &Monitoring) -> Option<Vec<(String, Option<String>)>> {
    if !mo.enabled || (mo.rules.is_empty() && mo.alertmanager.is_none()) {
        return None;
    }
    let rules: Vec<AlertRule> = if mo.rules.is_empty() {
        default_rules()
    } else {
        mo.rules
            .iter()
            .filter_map(|r| {
                let expr = promql::compile(&r.expr).ok()?;
                Some(AlertRule {
                    name: r.alert.clone(),
                    expr,
                    for_: SimDuration::ZERO,
                    keep_firing_for: SimDuration::ZERO,
                    labels: BTreeMap::new(),
                })
            })
            .collect()
    };
    Some(rules.into_iter().map(|r| (r.name.clone(), avail_skipped(&r))).collect())
}

/// The names of the `rules` (from [`avail_rules`]) the availability mode evaluates, or the
/// refusal (at `key()`) of `named` if it is one the mode skips: naming it and why.
pub(super) fn evaluated_or_refuse(
    rules: &[(String, Option<String>)],
    named: Option<&str>,
    key: impl Fn() -> String,
) -> Result<Vec<String>, Invalid> {
    let evaluated: Vec<String> = rules
        .iter()
        .filter(|(_, skip)| skip.is_none())
        .map(|(n, _)| n.clone())
        .collect();
    if let Some((name, Some(why))) = rules.iter().find(|(n, _)| Some(n.as_str()) == named) {
        return Err((
            key(),
            format!(
                "`{name}` is not evaluated in availability mode: {why} (it feeds each failure's alerts {} only); the rules it evaluates are {}",
                avail_series_names(),
                if evaluated.is_empty() {
                    "none".to_string()
                } else {
                    evaluated.join(", ")
                }
            ),
        ));
    }
    Ok(evaluated)
}

/// The paging keys of `expect[i]` (`alert_rule`, `alert_recall_min`, `alert_precision_min`,
/// `alert_detect_ms_max`, `alert_pages_per_week_max`): request mode with monitoring on, or
/// availability mode with its alert pipeline (`reliability.detection` not `instant`); a rule the run
/// pages with; shares in 0..=1 and non-negative bounds.
pub(super) fn paging_expect(spec: &Scenario, i: usize, e: &Expect) -> Result<(), Invalid> {
    let k = |key: &str| format!("expect[{i}].{key}");
    let keys = [
        ("alert_rule", e.alert_rule.is_some()),
        ("alert_recall_min", e.alert_recall_min.is_some()),
        ("alert_precision_min", e.alert_precision_min.is_some()),
        ("alert_detect_ms_max", e.alert_detect_ms_max.is_some()),
        ("alert_pages_per_week_max", e.alert_pages_per_week_max.is_some()),
    ];
    let Some((first, _)) = keys.iter().find(|x| x.1) else {
        return Ok(());
    };
    let known: Vec<String> = match spec.mode {
        Mode::Requests if !spec.monitoring.enabled => {
            return Err((
                k(first),
                "the paging keys judge request-mode runs with monitoring on ([monitoring] enabled = true)".into(),
            ));
        }
        Mode::Availability if spec.reliability.detection == Detection::Instant => {
            return Err((
                k(first),
                "reliability.detection = \"instant\" detects failures at once: no alert rule runs, so nothing pages (remove the paging keys, or use detection = \"monitoring\")".into(),
            ));
        }
        Mode::Requests if !spec.monitoring.rules.is_empty() => {
            spec.monitoring.rules.iter().map(|r| r.alert.clone()).collect()
        }
        Mode::Requests => default_rules().into_iter().map(|r| r.name).collect(),
        Mode::Availability => match avail_rules(&spec.monitoring) {
            Some(rules) => evaluated_or_refuse(&rules, e.alert_rule.as_deref(), || k("alert_rule"))?,
            None => PAGING_RULES.iter().map(|r| r.to_string()).collect(),
        },
    };
    if let Some(rule) = &e.alert_rule
        && !known.contains(rule)
    {
        let builtin = default_rules().into_iter().find(|r| &r.name == rule);
        let why = match builtin.map(|r| avail_skipped(&r)) {
            Some(Some(why)) if spec.mode == Mode::Availability => {
                format!(
                    " (not evaluated in availability mode: {why}; it feeds each failure's alerts {} only)",
                    avail_series_names()
                )
            }
            Some(None) if spec.mode == Mode::Availability => {
                " (in availability mode it pages for SMART warnings, which are not component failures)".into()
            }
            _ => String::new(),
        };
        return Err((
            k("alert_rule"),
            format!("no alert rule `{rule}`{why}; the rules are {}", known.join(", ")),
        ));
    }
    for (key, v, share) in [
        ("alert_recall_min", e.alert_recall_min, true),
        ("alert_precision_min", e.alert_precision_min, true),
        ("alert_detect_ms_max", e.alert_detect_ms_max, false),
        ("alert_pages_per_week_max", e.alert_pages_per_week_max, false),
    ] {
        if let Some(v) = v
            && !(v.is_finite() && v >= 0.0 && (!share || v <= 1.0))
        {
            let valid = if share { "a share in 0..=1" } else { "a number >= 0" };
            return Err((k(key), format!("{v} is not valid; expected {valid}")));
        }
    }
    Ok(())
}
