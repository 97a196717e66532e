//! The incident log of an availability run, by cause: counts and durations per cause, and the
//! longest incidents one by one. Causes are the simulator's typed [`IncidentCause`]; the
//! string tables word them per language.

use super::figures::{CauseRow, IncidentFigures, IncidentRow};
use super::months::scale;
use super::{DAY_S, INCIDENTS_LISTED_MAX, YEAR_S};
use crate::report::summary::AvailSummary;
use crate::sim::avail::{Cause, Incident, IncidentCause};
use std::collections::BTreeMap;

/// The report's kind of an incident (the key of its sentence, `cause_<kind>`), the servers it
/// names, and whether the whole site was down. Planned maintenance is its own kind, whatever
/// state it put the park in.
pub(super) fn classify(i: &Incident) -> (&'static str, String, bool) {
    let servers = match &i.cause {
        IncidentCause::UndetectedFailure { servers } => servers.join(", "),
        _ => String::new(),
    };
    let kind = if i.cause_class == Cause::Maintenance {
        "maintenance"
    } else {
        i.cause.kind()
    };
    (kind, servers, i.cause.full_outage())
}

/// Incidents of the first replication after warm-up, grouped by cause, and the longest.
pub(super) fn incident_figures(s: &AvailSummary, window_s: f64) -> IncidentFigures {
    let warmup_h = s.header.warmup_s / 3600.0;
    let log: Vec<&Incident> = s.incidents.iter().filter(|i| i.end_h > warmup_h).collect();
    let log_years = window_s / YEAR_S;
    let mut groups: BTreeMap<&'static str, (bool, Vec<f64>)> = BTreeMap::new();
    for i in &log {
        let (kind, _, full) = classify(i);
        groups
            .entry(kind)
            .or_insert((full, Vec::new()))
            .1
            .push((i.end_h - i.start_h) * 60.0);
    }
    let mut by_cause: Vec<CauseRow> = groups
        .into_iter()
        .map(|(kind, (full, d))| CauseRow {
            cause_kind: kind,
            full_outage: full,
            count: d.len() as u64,
            per_year: d.len() as f64 / log_years,
            duration_min_mean: d.iter().sum::<f64>() / d.len() as f64,
            duration_min_max: d.iter().copied().fold(0.0, f64::max),
        })
        .collect();
    by_cause.sort_by(|a, b| b.count.cmp(&a.count).then(a.cause_kind.cmp(b.cause_kind)));
    let mut longest: Vec<&Incident> = log.clone();
    longest.sort_by(|a, b| {
        (b.end_h - b.start_h)
            .total_cmp(&(a.end_h - a.start_h))
            .then(a.start_h.total_cmp(&b.start_h))
    });
    let longest = longest
        .into_iter()
        .take(INCIDENTS_LISTED_MAX)
        .map(|i| {
            let (kind, servers, full) = classify(i);
            let day0 = ((i.start_h - warmup_h).max(0.0) * 3600.0 / DAY_S).floor() as u32;
            IncidentRow {
                year: day0 / 365 + 1,
                day: day0 % 365 + 1,
                duration_min: (i.end_h - i.start_h) * 60.0,
                cause_kind: kind,
                servers,
                full_outage: full,
                failed_requests: i.failed_requests,
            }
        })
        .collect();
    let m = &s.metrics;
    let durations_min: Vec<f64> = log.iter().map(|i| (i.end_h - i.start_h) * 60.0).collect();
    IncidentFigures {
        per_year: m.incidents_per_year,
        log_years,
        log_total: log.len() as u64,
        maintenance_modelled: m.maintenance_windows_per_year.value > 0.0,
        mtbf_h: (m.incidents_per_year.value > 0.0).then(|| YEAR_S / 3600.0 / m.incidents_per_year.value),
        mttr_min: (!durations_min.is_empty()).then(|| durations_min.iter().sum::<f64>() / durations_min.len() as f64),
        detect_s_mean: m.detect_ms_mean.map(|e| scale(e, 1e-3)),
        page_min_mean: m.page_delay_min_mean,
        ack_min_mean: m.ack_min_mean,
        repair_min_mean: m.repair_min_mean,
        pages_per_year: m.pages_per_year,
        by_cause,
        longest,
    }
}
