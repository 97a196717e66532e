//! `[slo]` and the `[[expect]]` blocks `simpark check` evaluates: bounds that are numbers the
//! scenario's mode produces, and never vacuous (a bound on something that cannot happen).

use super::checks::{bad, positive, probability, shown};
use super::{Checked, Draft, Invalid, each};
use crate::scenario::{Expect, FaultKind, Mode, Scenario};

pub(super) fn slo(spec: &Scenario, _: &mut Draft) -> Checked {
    let latency = spec
        .slo
        .latency_ms_p99_max
        .map(|v| positive("slo.latency_ms_p99_max", v));
    let availability = spec
        .slo
        .availability_min
        .map(|v| probability("slo.availability_min", v));
    let threshold = spec.slo.latency_ms.map(|v| positive("slo.latency_ms", v));
    each([latency, availability, threshold].into_iter().flatten(), |r| {
        r.map(|_| ())
    })
}

pub(super) fn expects(spec: &Scenario, _: &mut Draft) -> Checked {
    each(spec.expects.iter().enumerate(), |(i, e)| {
        let k = format!("expect[{i}]");
        produced(spec, &k, e)?;
        alert(spec, &k, e)?;
        crate::scenario::monitoring::paging_expect(spec, i, e)?;
        bounds(&k, e)?;
        vacuous(spec, &k, e)
    })
}

/// Every bound is one the scenario's mode produces.
fn produced(spec: &Scenario, k: &str, e: &Expect) -> Result<(), Invalid> {
    let requests_only = [
        ("latency_ms_p99_max", e.latency_ms_p99_max.is_some()),
        ("failed_requests_max", e.failed_requests_max.is_some()),
        ("detect_ms_max", e.detect_ms_max.is_some()),
        ("alert_within_ms", e.alert_within_ms.is_some()),
    ];
    let availability_only = [
        ("availability_time_min", e.availability_time_min.is_some()),
        ("data_loss_max", e.data_loss_max.is_some()),
        ("lb_takeover_ms_max", e.lb_takeover_ms_max.is_some()),
        ("raid_array_losses_max", e.raid_array_losses_max.is_some()),
        ("restores_min", e.restores_min.is_some()),
        ("rpo_h_max", e.rpo_h_max.is_some()),
        ("rto_h_max", e.rto_h_max.is_some()),
    ];
    let (wrong, mode_name) = match spec.mode {
        Mode::Requests => (availability_only.iter().find(|x| x.1), "requests"),
        Mode::Availability => (requests_only.iter().find(|x| x.1), "availability"),
    };
    match wrong {
        Some((key, _)) => bad(
            format!("{k}.{key}"),
            format!("this scenario runs in {mode_name} mode, which does not produce `{key}`"),
        ),
        None => Ok(()),
    }
}

/// `alert_fired` names a rule that exists and can fire; `alert_within_ms` goes with it.
fn alert(spec: &Scenario, k: &str, e: &Expect) -> Result<(), Invalid> {
    if e.alert_within_ms.is_some() && e.alert_fired.is_none() {
        return bad(
            format!("{k}.alert_within_ms"),
            "alert_within_ms needs alert_fired = \"<rule>\"",
        );
    }
    if let Some(w) = e.alert_within_ms
        && !(w.is_finite() && w >= 0.0)
    {
        return bad(
            format!("{k}.alert_within_ms"),
            format!("{w} is not valid; expected a time >= 0 [ms]"),
        );
    }
    if e.alert_fired.is_some() && spec.mode == Mode::Requests && !spec.monitoring.enabled {
        return bad(
            format!("{k}.alert_fired"),
            "monitoring is disabled ([monitoring] enabled = false), so no alert can fire",
        );
    }
    if let Some(rule) = &e.alert_fired {
        let known: Vec<String> = match spec.mode {
            Mode::Requests if !spec.monitoring.rules.is_empty() => {
                spec.monitoring.rules.iter().map(|r| r.alert.clone()).collect()
            }
            Mode::Requests => crate::policy::alerting::default_rules()
                .iter()
                .map(|r| r.name.clone())
                .collect(),
            Mode::Availability => match crate::scenario::monitoring::avail_rules(&spec.monitoring) {
                // The scenario's own rules it evaluates, and mdadm's degraded-array mail.
                Some(rules) => {
                    let mut known = crate::scenario::monitoring::evaluated_or_refuse(&rules, Some(rule), || {
                        format!("{k}.alert_fired")
                    })?;
                    known.push(crate::model::alerts::RAID_DEGRADED.to_string());
                    known
                }
                None => crate::model::alerts::ALERTS.iter().map(|a| a.to_string()).collect(),
            },
        };
        if !known.contains(rule) {
            return bad(
                format!("{k}.alert_fired"),
                format!("no alert rule `{rule}`; the rules are {}", known.join(", ")),
            );
        }
    }
    Ok(())
}

/// Ratios are probabilities; maxima are finite and >= 0.
fn bounds(k: &str, e: &Expect) -> Result<(), Invalid> {
    for (key, v) in [
        ("availability_request_min", e.availability_request_min),
        ("availability_time_min", e.availability_time_min),
    ] {
        if let Some(v) = v {
            probability(&format!("{k}.{key}"), v)?;
        }
    }
    for (key, v) in [
        ("latency_ms_p99_max", e.latency_ms_p99_max),
        ("detect_ms_max", e.detect_ms_max),
        ("failover_ms_max", e.failover_ms_max),
        ("data_loss_max", e.data_loss_max),
        ("lb_takeover_ms_max", e.lb_takeover_ms_max),
        ("rpo_h_max", e.rpo_h_max),
        ("rto_h_max", e.rto_h_max),
        ("lost_writes_ms_max", e.lost_writes_ms_max),
        ("replication_lag_ms_max", e.replication_lag_ms_max),
    ] {
        if let Some(v) = v
            && !(v.is_finite() && v >= 0.0)
        {
            return bad(
                format!("{k}.{key}"),
                format!("{} is not valid; expected a finite bound >= 0", shown(v)),
            );
        }
    }
    Ok(())
}

/// A bound on something the scenario never produces would pass vacuously: refuse it.
fn vacuous(spec: &Scenario, k: &str, e: &Expect) -> Result<(), Invalid> {
    if e.lb_takeover_ms_max.is_some() && !spec.balancer.pair {
        return bad(
            format!("{k}.lb_takeover_ms_max"),
            "balancer.pair is false: with one balancer there is no takeover (set balancer.pair = true)",
        );
    }
    for (key, given) in [
        ("lost_writes_ms_max", e.lost_writes_ms_max.is_some()),
        ("replication_lag_ms_max", e.replication_lag_ms_max.is_some()),
    ] {
        if given && spec.storage.count < 2 {
            return bad(
                format!("{k}.{key}"),
                "storage.count is 1: with no standby there is no failover to lose writes at",
            );
        }
    }
    if e.raid_array_losses_max.is_some() && !spec.reliability.disk.raid1 {
        return bad(
            format!("{k}.raid_array_losses_max"),
            "reliability.disk.raid1 is false: there are no mirrors to lose",
        );
    }
    for (key, given) in [
        ("restores_min", e.restores_min.is_some()),
        ("rpo_h_max", e.rpo_h_max.is_some()),
        ("rto_h_max", e.rto_h_max.is_some()),
    ] {
        if given && !(spec.backup.enabled && spec.backup.human_errors_per_year > 0.0) {
            return bad(
                format!("{k}.{key}"),
                "no restores happen: needs backup.enabled = true and backup.human_errors_per_year > 0",
            );
        }
    }
    if e.detect_ms_max.is_some()
        && spec
            .faults
            .iter()
            .all(|f| f.kind == FaultKind::Recover || f.kind == FaultKind::Slow)
    {
        return bad(format!("{k}.detect_ms_max"), "there is no scripted failure to detect");
    }
    Ok(())
}
