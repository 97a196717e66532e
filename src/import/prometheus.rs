//! Prometheus rule files (`groups:` / `rules:` YAML) into `[[monitoring.rules]]`.
//!
//! Each alerting rule whose `expr` simpark can evaluate (the PromQL subset of
//! `policy::alerting::promql`, over the series simpark produces) becomes an
//! [`AlertRuleSpec`] carrying its `file:line`; every other rule, recording rule or setting that
//! changes evaluation is a [`Warning`] naming `file:line` and why. The YAML is read with
//! `serde-saphyr` (`serde_yaml` is deprecated), keeping each rule's line.
//!
//! It must never: import a rule it would evaluate differently, or drop one without a warning.

use super::{ImportError, Warning};
use crate::policy::alerting::promql;
use crate::scenario::schema::AlertRuleSpec;
use crate::units::parse_duration;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct File {
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    name: Spanned<String>,
    interval: Option<String>,
    limit: Option<u64>,
    query_offset: Option<String>,
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
struct Rule {
    alert: Option<Spanned<String>>,
    record: Option<Spanned<String>>,
    expr: Spanned<String>,
    #[serde(rename = "for")]
    for_: Option<String>,
    keep_firing_for: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// The evaluation interval simpark uses (Prometheus' default `evaluation_interval`).
const EVALUATION_INTERVAL: &str = "1m";

/// The alerting rules of one rule file, and a warning for everything not imported.
pub fn import(text: &str, file: &str) -> Result<(Vec<AlertRuleSpec>, Vec<Warning>), ImportError> {
    let parsed: File = serde_saphyr::from_str(text).map_err(|e| ImportError::File {
        file: file.to_string(),
        message: format!("not a Prometheus rule file: {e}"),
    })?;
    let mut rules: Vec<AlertRuleSpec> = Vec::new();
    let mut warnings = Vec::new();
    let mut annotated = None;
    for g in &parsed.groups {
        group_warnings(g, file, &mut warnings);
        for r in &g.rules {
            let Some((line, spec)) = alert_rule(r, &rules, file, &mut warnings) else {
                continue;
            };
            if !r.annotations.is_empty() {
                annotated.get_or_insert(line);
            }
            rules.push(spec);
        }
    }
    if let Some(line) = annotated {
        warnings.push(warning(
            file,
            line,
            "annotations (here and in later rules) are not modelled: they only word the notification".into(),
        ));
    }
    Ok((rules, warnings))
}

/// A warning at `file:line`.
fn warning(file: &str, line: u64, message: String) -> Warning {
    Warning {
        file: file.to_string(),
        line: line as usize,
        message,
    }
}

/// Warn for the group settings that change evaluation: an `interval` other than simpark's,
/// `limit`, `query_offset`.
fn group_warnings(g: &Group, file: &str, warnings: &mut Vec<Warning>) {
    let gline = g.name.referenced.line();
    if let Some(iv) = &g.interval
        && parse_duration(iv) != parse_duration(EVALUATION_INTERVAL)
    {
        warnings.push(warning(
            file,
            gline,
            format!(
                "group `{}`: `interval: {iv}` is not modelled; simpark evaluates every rule every {EVALUATION_INTERVAL}",
                g.name.value
            ),
        ));
    }
    if g.limit.is_some_and(|l| l > 0) {
        warnings.push(warning(
            file,
            gline,
            format!("group `{}`: `limit` is not modelled; ignored", g.name.value),
        ));
    }
    if g.query_offset.is_some() {
        warnings.push(warning(
            file,
            gline,
            format!("group `{}`: `query_offset` is not modelled; ignored", g.name.value),
        ));
    }
}

/// Rule `r` as imported, with its line, or `None` and a warning saying why not (a recording
/// rule, or one [`refusal`] names). `rules` are those imported before it.
fn alert_rule(
    r: &Rule,
    rules: &[AlertRuleSpec],
    file: &str,
    warnings: &mut Vec<Warning>,
) -> Option<(u64, AlertRuleSpec)> {
    let Some(alert) = &r.alert else {
        let line = r
            .record
            .as_ref()
            .map_or(r.expr.referenced.line(), |n| n.referenced.line());
        let name = r.record.as_ref().map_or("?", |n| n.value.as_str());
        warnings.push(warning(
            file,
            line,
            format!("recording rule `{name}` is not imported: simpark evaluates alerting rules only"),
        ));
        return None;
    };
    let (name, line) = (alert.value.clone(), alert.referenced.line());
    if let Some(why) = refusal(r, &name, rules) {
        warnings.push(warning(file, line, format!("alert `{name}` is not imported: {why}")));
        return None;
    }
    if let Some((k, _)) = r.labels.iter().find(|(_, v)| v.contains("{{")) {
        warnings.push(warning(
            file,
            line,
            format!("alert `{name}`: label `{k}` is a template; simpark keeps its text as written"),
        ));
    }
    let spec = AlertRuleSpec {
        alert: name,
        expr: r.expr.value.trim().to_string(),
        for_: r.for_.clone(),
        keep_firing_for: r.keep_firing_for.clone(),
        labels: r.labels.clone(),
        source: format!("{file}:{line}"),
    };
    Some((line, spec))
}

/// Why alerting rule `r` (named `name`) cannot be imported after `rules`: an `expr` simpark
/// cannot evaluate, a `for` / `keep_firing_for` that is not a duration, or a name taken.
fn refusal(r: &Rule, name: &str, rules: &[AlertRuleSpec]) -> Option<String> {
    if let Err(why) = promql::compile(&r.expr.value) {
        return Some(why);
    }
    if let Some(d) = [&r.for_, &r.keep_firing_for]
        .into_iter()
        .flatten()
        .find(|d| parse_duration(d).is_err())
    {
        return Some(format!("`{d}` is not a duration"));
    }
    if rules.iter().any(|o| o.alert == name) {
        return Some("an alert of that name is imported already (simpark groups alerts by rule)".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"groups:
  - name: node
    interval: 30s
    rules:
      - alert: InstanceDown
        expr: up == 0
        for: 5m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.instance }} down"
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: MemoryLow
        expr: node_memory_MemAvailable_bytes < 1e8
      - alert: ErrorBudgetBurn
        expr: |
          sum(rate(haproxy_backend_http_responses_total{code="5xx"}[5m]))
            / sum(rate(haproxy_backend_http_requests_total[5m])) > 14.4 * 0.001
        keep_firing_for: 10m
"#;

    #[test]
    fn rules_imported_with_their_lines_and_the_rest_listed() {
        let (rules, warnings) = import(FILE, "rules.yml").unwrap();
        let names: Vec<&str> = rules.iter().map(|r| r.alert.as_str()).collect();
        assert_eq!(names, ["InstanceDown", "ErrorBudgetBurn"]);
        assert_eq!(rules[0].source, "rules.yml:5");
        assert_eq!(rules[0].for_.as_deref(), Some("5m"));
        assert_eq!(rules[0].labels["severity"], "page");
        assert_eq!(rules[1].keep_firing_for.as_deref(), Some("10m"));
        let lines: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
        assert!(
            lines[0].starts_with("rules.yml:2: group `node`: `interval: 30s`"),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("rules.yml:12: recording rule `job:up:sum`"),
            "{lines:?}"
        );
        assert!(
            lines[2].starts_with("rules.yml:14: alert `MemoryLow` is not imported: simpark produces no series"),
            "{lines:?}"
        );
        assert!(lines[3].starts_with("rules.yml:5: annotations"), "{lines:?}");
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn not_a_rule_file_is_an_error() {
        let e = import("groups: 3\n", "bad.yml").unwrap_err().to_string();
        assert!(e.starts_with("bad.yml: not a Prometheus rule file"), "{e}");
    }
}
