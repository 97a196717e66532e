//! Incidents of an availability run: the figures over all replications (rate, MTTR with its
//! interval, downtime and failed requests by cause from `summary.json`'s
//! `downtime_by_cause`) and the longest incidents of the first replication's log one by one.
//! Causes are the simulator's typed [`Cause`] and [`IncidentCause`]; the string tables word
//! them per language.

use super::figures::{CauseFigures, IncidentFigures, IncidentRow};
use super::months::scale;
use super::{DAY_S, INCIDENTS_LISTED_MAX, YEAR_S};
use crate::report::summary::AvailSummary;
use crate::sim::avail::{Cause, Incident, IncidentCause};

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

/// Downtime and failed requests by cause over all replications, from `downtime_by_cause`
/// (means per year with their 95% intervals), leaving out the causes that cost nothing.
pub(super) fn cause_figures(s: &AvailSummary) -> Vec<CauseFigures> {
    s.metrics
        .downtime_by_cause
        .iter()
        .filter(|c| c.downtime_min_per_year.value > 0.0 || c.failed_requests_per_year.value > 0.0)
        .map(|c| CauseFigures {
            cause: c.cause.name(),
            downtime_min_per_year: c.downtime_min_per_year,
            failed_requests_per_year: c.failed_requests_per_year,
        })
        .collect()
}

/// The incident figures over all replications, and the longest incidents of the first
/// replication after warm-up.
pub(super) fn incident_figures(s: &AvailSummary, window_s: f64) -> IncidentFigures {
    let warmup_h = s.header.warmup_s / 3600.0;
    let log: Vec<&Incident> = s.incidents.iter().filter(|i| i.end_h > warmup_h).collect();
    let log_years = window_s / YEAR_S;
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
    IncidentFigures {
        per_year: m.incidents_per_year,
        log_years,
        log_total: log.len() as u64,
        mtbf_h: (m.incidents_per_year.value > 0.0).then(|| YEAR_S / 3600.0 / m.incidents_per_year.value),
        mttr_min: m.incident_min_mean,
        detect_s_mean: m.detect_ms_mean.map(|e| scale(e, 1e-3)),
        page_min_mean: m.page_delay_min_mean,
        ack_min_mean: m.ack_min_mean,
        repair_min_mean: m.repair_min_mean,
        pages_per_year: m.pages_per_year,
        by_cause: cause_figures(s),
        longest,
    }
}
