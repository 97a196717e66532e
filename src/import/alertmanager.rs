//! `alertmanager.yml` into `[monitoring.alertmanager]`: the routing tree (`receiver`,
//! `group_by`, `group_wait`, `group_interval`, `repeat_interval`, `matchers` and the older
//! `match`/`match_re`, `continue`, `mute_time_intervals`, `active_time_intervals`, `routes`),
//! `inhibit_rules` (matchers or `*_match[_re]`, `equal`) and `time_intervals` (weekdays and
//! times in UTC). Receivers' integrations, templates, `global` and time-interval fields simpark
//! cannot place on its clock (`days_of_month`, `months`, `years`, a `location`) are warnings
//! naming `file:line`; a matcher or duration Alertmanager would refuse is an error.
//!
//! It must never: drop a route, a matcher or an interval without a warning.

use super::{ImportError, Warning};
use crate::scenario::schema::{
    AlertmanagerSpec, InhibitRuleSpec, NamedTimeIntervalSpec, RouteSpec, TimeIntervalSpec, TimeRangeSpec,
};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct File {
    route: Spanned<Route>,
    #[serde(default)]
    inhibit_rules: Vec<Spanned<Inhibit>>,
    #[serde(default)]
    time_intervals: Vec<Spanned<Named>>,
    /// The older name of `time_intervals`.
    #[serde(default)]
    mute_time_intervals: Vec<Spanned<Named>>,
    #[serde(flatten)]
    other: BTreeMap<String, IgnoredAny>,
}

#[derive(Deserialize)]
struct Route {
    receiver: Option<String>,
    group_by: Option<Vec<String>>,
    group_wait: Option<String>,
    group_interval: Option<String>,
    repeat_interval: Option<String>,
    #[serde(default)]
    matchers: Vec<String>,
    #[serde(rename = "match", default)]
    match_eq: BTreeMap<String, String>,
    #[serde(default)]
    match_re: BTreeMap<String, String>,
    #[serde(rename = "continue", default)]
    continue_: bool,
    #[serde(default)]
    mute_time_intervals: Vec<String>,
    #[serde(default)]
    active_time_intervals: Vec<String>,
    #[serde(default)]
    routes: Vec<Spanned<Route>>,
    #[serde(flatten)]
    other: BTreeMap<String, IgnoredAny>,
}

#[derive(Deserialize)]
struct Inhibit {
    #[serde(default)]
    source_matchers: Vec<String>,
    #[serde(default)]
    target_matchers: Vec<String>,
    #[serde(default)]
    source_match: BTreeMap<String, String>,
    #[serde(default)]
    source_match_re: BTreeMap<String, String>,
    #[serde(default)]
    target_match: BTreeMap<String, String>,
    #[serde(default)]
    target_match_re: BTreeMap<String, String>,
    #[serde(default)]
    equal: Vec<String>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
    #[serde(default)]
    time_intervals: Vec<Interval>,
}

#[derive(Deserialize)]
struct Interval {
    #[serde(default)]
    weekdays: Vec<String>,
    #[serde(default)]
    times: Vec<TimeRangeSpec>,
    #[serde(flatten)]
    other: BTreeMap<String, IgnoredAny>,
}

/// Older `match: {k: v}` / `match_re: {k: re}` as matchers.
fn matchers(list: &[String], eq: &BTreeMap<String, String>, re: &BTreeMap<String, String>) -> Vec<String> {
    let quote = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
    let mut out = list.to_vec();
    out.extend(eq.iter().map(|(k, v)| format!("{k}=\"{}\"", quote(v))));
    out.extend(re.iter().map(|(k, v)| format!("{k}=~\"{}\"", quote(v))));
    out
}

/// The modelled parts of an `alertmanager.yml`, and a warning for each part that is not.
pub fn import(text: &str, file: &str) -> Result<(AlertmanagerSpec, Vec<Warning>), ImportError> {
    let parsed: File = serde_saphyr::from_str(text).map_err(|e| ImportError::File {
        file: file.to_string(),
        message: format!("not an Alertmanager configuration: {e}"),
    })?;
    let mut warnings = Vec::new();
    top_level_warnings(&parsed, text, file, &mut warnings);
    let route = convert(&parsed.route, file, &mut warnings);
    let inhibit_rules = parsed.inhibit_rules.iter().map(|r| inhibit_rule(&r.value)).collect();
    let time_intervals = parsed
        .time_intervals
        .iter()
        .chain(&parsed.mute_time_intervals)
        .map(|named| time_interval(named, file, &mut warnings))
        .collect();
    Ok((
        AlertmanagerSpec {
            route,
            inhibit_rules,
            time_intervals,
            source: file.to_string(),
        },
        warnings,
    ))
}

/// A warning at `file:line`.
fn warning(file: &str, line: u64, message: String) -> Warning {
    Warning {
        file: file.to_string(),
        line: line as usize,
        message,
    }
}

/// Warn for each top-level key simpark does not read (`receivers`, `templates`, `global`, ...).
fn top_level_warnings(parsed: &File, text: &str, file: &str, warnings: &mut Vec<Warning>) {
    // The line of a top-level key (serde keeps no position for the keys it ignores).
    let top_line = |key: &str| {
        text.lines()
            .position(|l| l.starts_with(&format!("{key}:")))
            .map_or(1, |i| i as u64 + 1)
    };
    for key in parsed.other.keys() {
        let why = match key.as_str() {
            "receivers" => "receivers' integrations are not modelled: a notification to any receiver is a page",
            "templates" => "notification templates are not modelled",
            "global" => "global settings (resolve_timeout, SMTP, ...) are not modelled",
            _ => "not modelled; ignored",
        };
        warnings.push(warning(file, top_line(key), format!("`{key}`: {why}")));
    }
}

/// A route and its children, warning for the keys of each that simpark does not read.
fn convert(r: &Spanned<Route>, file: &str, warnings: &mut Vec<Warning>) -> RouteSpec {
    let line = r.referenced.line();
    let v = &r.value;
    for key in v.other.keys() {
        warnings.push(warning(file, line, format!("route: `{key}` is not modelled; ignored")));
    }
    RouteSpec {
        receiver: v.receiver.clone(),
        group_by: v.group_by.clone(),
        group_wait: v.group_wait.clone(),
        group_interval: v.group_interval.clone(),
        repeat_interval: v.repeat_interval.clone(),
        matchers: matchers(&v.matchers, &v.match_eq, &v.match_re),
        continue_: v.continue_,
        mute_time_intervals: v.mute_time_intervals.clone(),
        active_time_intervals: v.active_time_intervals.clone(),
        routes: v.routes.iter().map(|c| convert(c, file, warnings)).collect(),
    }
}

/// An inhibit rule, its older `*_match[_re]` maps as matchers.
fn inhibit_rule(v: &Inhibit) -> InhibitRuleSpec {
    InhibitRuleSpec {
        source_matchers: matchers(&v.source_matchers, &v.source_match, &v.source_match_re),
        target_matchers: matchers(&v.target_matchers, &v.target_match, &v.target_match_re),
        equal: v.equal.clone(),
    }
}

/// A named time interval; each of its intervals with a field simpark cannot place on its
/// clock is left out, with a warning.
fn time_interval(named: &Spanned<Named>, file: &str, warnings: &mut Vec<Warning>) -> NamedTimeIntervalSpec {
    let line = named.referenced.line();
    let mut list = Vec::new();
    for t in &named.value.time_intervals {
        if !t.other.is_empty() {
            let keys: Vec<&str> = t.other.keys().map(String::as_str).collect();
            warnings.push(warning(
                file,
                line,
                format!(
                    "time interval `{}`: {} not modelled (simpark's clock has weekdays and times of day in UTC only); this interval is left out",
                    named.value.name,
                    keys.join(", ")
                ),
            ));
            continue;
        }
        list.push(TimeIntervalSpec {
            weekdays: t.weekdays.clone(),
            times: t.times.clone(),
        });
    }
    NamedTimeIntervalSpec {
        name: named.value.name.clone(),
        time_intervals: list,
    }
}
