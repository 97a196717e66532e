//! Alertmanager's notification side: the routing tree (dispatch/route.go), inhibition
//! (inhibit/inhibit.go) and mute time intervals (timeinterval/timeinterval.go), over alert
//! label sets (`alertname`, the rule's labels, `instance`, `job`, `code`).
//!
//! Routing: an alert enters at the root; at each node it descends into the children in order,
//! collecting every child that matches, and stops after the first match unless that child has
//! `continue: true`; a node none of whose children match is itself the result. Children inherit
//! `receiver`, `group_by` and the timings of their parent unless they set them.
//!
//! It must never: read a clock (the caller's time is nanoseconds from a Monday 00:00 UTC, the
//! run's start), or iterate a hash map.

use crate::units::{SimDuration, SimTime};
use promql_parser::label::Matcher as PromMatcher;
use std::collections::BTreeMap;

/// An alert's labels by name.
pub(crate) type LabelSet = BTreeMap<String, String>;

/// One Alertmanager matcher (`name="v"`, `name!="v"`, `name=~"re"`, `name!~"re"`), with
/// Alertmanager's anchored regular expressions.
#[derive(Clone, Debug)]
pub(crate) struct Matcher(PromMatcher);

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl Matcher {
    /// Parse `name op value` (value quoted or not, as Alertmanager's `matchers:` allow).
    pub(crate) fn parse(text: &str) -> Result<Matcher, String> {
        let t = text.trim();
        let at = t
            .find(['=', '!'])
            .ok_or_else(|| format!("`{t}` is not a matcher such as severity=\"page\""))?;
        let (name, rest) = t.split_at(at);
        let op_len = if rest.starts_with("=~") || rest.starts_with("!~") || rest.starts_with("!=") {
            2
        } else {
            1
        };
        let (op, value) = rest.split_at(op_len);
        let value = value.trim();
        let quoted = if value.starts_with('"') {
            value.to_string()
        } else {
            format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
        };
        // The PromQL parser reads the same matcher syntax and compiles anchored regexes; a
        // metric name lets a selector of only empty-matching matchers parse.
        let name = name.trim();
        let sel = format!("simpark_matcher{{{name}{op}{quoted}}}");
        match promql_parser::parser::parse(&sel) {
            Ok(promql_parser::parser::Expr::VectorSelector(vs)) => vs
                .matchers
                .matchers
                .into_iter()
                .find(|m| m.name == name)
                .map(Matcher)
                .ok_or_else(|| format!("`{t}` is not a matcher such as severity=\"page\"")),
            _ => Err(format!("`{t}` is not a matcher such as severity=\"page\"")),
        }
    }

    /// Whether the label set matches (an absent label is the empty string).
    pub(crate) fn matches(&self, ls: &LabelSet) -> bool {
        self.0.is_match(ls.get(&self.0.name).map_or("", String::as_str))
    }
}

/// `group_by`: label names, or `['...']` (every label: one group per alert).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum GroupBy {
    Labels(Vec<String>),
    All,
}

/// A node of the routing tree, with inherited values filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub receiver: String,
    pub(crate) group_by: GroupBy,
    pub(crate) group_wait: SimDuration,
    pub(crate) group_interval: SimDuration,
    pub(crate) repeat_interval: SimDuration,
    pub(crate) matchers: Vec<Matcher>,
    pub(crate) continue_: bool,
    /// Names of `time_intervals` during which this route's notifications are muted.
    pub(crate) mute_time_intervals: Vec<String>,
    /// Names of `time_intervals` outside of which they are muted.
    pub(crate) active_time_intervals: Vec<String>,
    pub(crate) routes: Vec<Route>,
}

impl Route {
    /// Alertmanager's default root: one receiver, grouping by alert name, default timings
    /// (`group_wait` 30s, `group_interval` 5m, `repeat_interval` 4h: the configuration docs).
    pub(crate) fn default_root(receiver: &str) -> Route {
        Route {
            receiver: receiver.to_string(),
            group_by: GroupBy::Labels(vec!["alertname".into()]),
            group_wait: SimDuration::from_secs(30),
            group_interval: SimDuration::from_mins(5),
            repeat_interval: SimDuration::from_hours(4),
            matchers: Vec::new(),
            continue_: false,
            mute_time_intervals: Vec::new(),
            active_time_intervals: Vec::new(),
            routes: Vec::new(),
        }
    }

    fn matches(&self, ls: &LabelSet) -> bool {
        self.matchers.iter().all(|m| m.matches(ls))
    }

    /// The routes an alert is delivered through (dispatch/route.go `Match`), as preorder
    /// indexes of the tree together with the route.
    pub fn match_routes(&self, ls: &LabelSet) -> Vec<(usize, &Route)> {
        let mut out = Vec::new();
        self.match_at(ls, 0, &mut out);
        out
    }

    /// Returns the number of nodes in this subtree (to number the siblings in preorder).
    fn match_at<'a>(&'a self, ls: &LabelSet, id: usize, out: &mut Vec<(usize, &'a Route)>) -> bool {
        if !self.matches(ls) {
            return false;
        }
        let before = out.len();
        let mut child_id = id + 1;
        for c in &self.routes {
            let matched = c.match_at(ls, child_id, out);
            child_id += c.size();
            if matched && !c.continue_ {
                break;
            }
        }
        if out.len() == before {
            out.push((id, self));
        }
        true
    }

    /// The route with preorder index `id` (0 = this one).
    pub(crate) fn nth(&self, id: usize) -> &Route {
        if id == 0 {
            return self;
        }
        let mut base = 1;
        for c in &self.routes {
            if id < base + c.size() {
                return c.nth(id - base);
            }
            base += c.size();
        }
        panic!("no route {id}");
    }

    fn size(&self) -> usize {
        1 + self.routes.iter().map(Route::size).sum::<usize>()
    }

    /// The group key of an alert on this route: the `group_by` labels it has.
    pub(crate) fn group_key(&self, ls: &LabelSet) -> LabelSet {
        match &self.group_by {
            GroupBy::All => ls.clone(),
            GroupBy::Labels(names) => names
                .iter()
                .filter_map(|n| ls.get(n).map(|v| (n.clone(), v.clone())))
                .collect(),
        }
    }
}

/// An inhibit rule: a firing alert matching `source` mutes alerts matching `target` that have
/// the same values (or both none) for every `equal` label.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct InhibitRule {
    pub(crate) source: Vec<Matcher>,
    pub(crate) target: Vec<Matcher>,
    pub(crate) equal: Vec<String>,
}

impl InhibitRule {
    /// Whether `firing` (the source candidates) inhibit `alert` (inhibit.go `Mutes`): an
    /// alert matching both sides cannot inhibit itself.
    pub(crate) fn mutes<'a>(&self, alert: &LabelSet, mut firing: impl Iterator<Item = &'a LabelSet>) -> bool {
        if !self.target.iter().all(|m| m.matches(alert)) {
            return false;
        }
        firing.any(|src| {
            src != alert
                && self.source.iter().all(|m| m.matches(src))
                && self.equal.iter().all(|l| src.get(l) == alert.get(l))
        })
    }
}

/// A time interval of Alertmanager's `time_intervals` (UTC): weekdays and times of day.
#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct TimeInterval {
    /// Weekdays (0 = Monday), empty: every day.
    pub(crate) weekdays: Vec<u8>,
    /// Minute ranges of the day `[start, end)`, empty: the whole day.
    pub(crate) times: Vec<(u32, u32)>,
}

impl TimeInterval {
    /// Whether `now` (from a Monday 00:00 UTC) falls in any of the interval's ranges.
    pub(crate) fn contains(&self, now: SimTime) -> bool {
        let mins = now.as_nanos() / 60_000_000_000;
        let day = ((mins / 1440) % 7) as u8;
        let minute = (mins % 1440) as u32;
        (self.weekdays.is_empty() || self.weekdays.contains(&day))
            && (self.times.is_empty() || self.times.iter().any(|&(s, e)| s <= minute && minute < e))
    }
}

/// Alertmanager's configuration as the machine uses it.
#[derive(Clone, Debug, PartialEq)]
pub struct Notifier {
    pub route: Route,
    pub(crate) inhibit_rules: Vec<InhibitRule>,
    /// Named time intervals: a name covers the union of its intervals.
    pub(crate) time_intervals: BTreeMap<String, Vec<TimeInterval>>,
}

impl Default for Notifier {
    fn default() -> Self {
        Notifier {
            route: Route::default_root("oncall"),
            inhibit_rules: Vec::new(),
            time_intervals: BTreeMap::new(),
        }
    }
}

impl Notifier {
    /// Whether the route's notifications are muted at `now`.
    pub(crate) fn muted(&self, route: &Route, now: SimTime) -> bool {
        let within = |names: &[String]| {
            names.iter().any(|n| {
                self.time_intervals
                    .get(n)
                    .is_some_and(|ts| ts.iter().any(|t| t.contains(now)))
            })
        };
        within(&route.mute_time_intervals)
            || (!route.active_time_intervals.is_empty() && !within(&route.active_time_intervals))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(pairs: &[(&str, &str)]) -> LabelSet {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn route(receiver: &str, matchers: &[&str], cont: bool, routes: Vec<Route>) -> Route {
        Route {
            matchers: matchers.iter().map(|m| Matcher::parse(m).unwrap()).collect(),
            continue_: cont,
            routes,
            ..Route::default_root(receiver)
        }
    }

    #[test]
    fn routing_follows_order_and_continue() {
        let root = route(
            "default",
            &[],
            false,
            vec![
                route(
                    "pager",
                    &["severity=page"],
                    true,
                    vec![route("db-pager", &["job=~\"st.*\""], false, vec![])],
                ),
                route("tickets", &["severity=~\"page|ticket\""], false, vec![]),
                route("never", &["severity=page"], false, vec![]),
            ],
        );
        let recv = |l: &LabelSet| {
            root.match_routes(l)
                .iter()
                .map(|(_, r)| r.receiver.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(recv(&ls(&[("severity", "page")])), ["pager", "tickets"]);
        assert_eq!(
            recv(&ls(&[("severity", "page"), ("job", "store")])),
            ["db-pager", "tickets"]
        );
        assert_eq!(recv(&ls(&[("severity", "ticket")])), ["tickets"]);
        assert_eq!(recv(&ls(&[])), ["default"]);
        let ids: Vec<usize> = root
            .match_routes(&ls(&[("severity", "page")]))
            .iter()
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(ids, [1, 3]);
    }

    #[test]
    fn matchers_are_anchored_and_absent_is_empty() {
        let m = Matcher::parse("alertname=~\"Disk.*\"").unwrap();
        assert!(m.matches(&ls(&[("alertname", "DiskFull")])));
        assert!(!m.matches(&ls(&[("alertname", "HostDiskFull")])));
        let m = Matcher::parse("team!=ops").unwrap();
        assert!(m.matches(&ls(&[])));
        assert!(Matcher::parse("severity").is_err());
    }

    #[test]
    fn inhibition_needs_equal_labels_and_not_itself() {
        let r = InhibitRule {
            source: vec![Matcher::parse("alertname=InstanceDown").unwrap()],
            target: vec![Matcher::parse("severity=ticket").unwrap()],
            equal: vec!["instance".into()],
        };
        let src = ls(&[("alertname", "InstanceDown"), ("instance", "web1")]);
        let t1 = ls(&[("alertname", "HighLoad"), ("severity", "ticket"), ("instance", "web1")]);
        let t2 = ls(&[("alertname", "HighLoad"), ("severity", "ticket"), ("instance", "web2")]);
        assert!(r.mutes(&t1, [&src].into_iter()));
        assert!(!r.mutes(&t2, [&src].into_iter()));
    }

    #[test]
    fn time_intervals_count_from_monday() {
        let weekend_nights = TimeInterval {
            weekdays: vec![5, 6],
            times: vec![(0, 6 * 60)],
        };
        let at = |day: u64, h: u64| SimTime::from_secs(day * 86_400 + h * 3600);
        assert!(weekend_nights.contains(at(5, 1)));
        assert!(!weekend_nights.contains(at(5, 7)));
        assert!(!weekend_nights.contains(at(4, 1)));
        assert!(weekend_nights.contains(at(13, 5)));
    }
}
