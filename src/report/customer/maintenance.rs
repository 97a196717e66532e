//! Planned maintenance in the report, apart from unplanned downtime, and whether the
//! customer's contract counts it (`maintenance.contract`, `--maintenance count|exclude`).
//!
//! Every figure is `summary.json`'s, over all replications with its 95% interval: in
//! availability runs the downtime charged to the `maintenance` cause (`downtime_by_cause`) and
//! `downtime_min_per_year_unplanned`; in request runs the `maintenance` object. Pure: reads
//! the summary types only.

use super::months::scale;
use crate::report::summary::{AvailSummary, Summary};
use crate::scenario::MaintenanceContract;
use crate::sim::avail::Cause;
use crate::stats::Estimate;
use serde::Serialize;

/// Planned maintenance of a run (`null` in `report.json` when the run had none).
#[derive(Debug, Serialize)]
pub(crate) struct MaintenanceFigures {
    /// `count`: its minutes are in the availability and downtime figures; `exclude`: they
    /// are left out of them and shown here only.
    pub(crate) contract: MaintenanceContract,
    /// Availability runs: the whole site down for planned maintenance [min/year], the
    /// requests that failed during it [per year], the windows opened [per year], and the
    /// downtime of every other cause [min/year].
    pub(crate) downtime_min_per_year: Option<Estimate>,
    pub(crate) failed_requests_per_year: Option<Estimate>,
    pub(crate) windows_per_year: Option<Estimate>,
    pub(crate) downtime_min_per_year_unplanned: Option<Estimate>,
    /// Request runs: minutes some server was out for maintenance per replication, the windows
    /// and the requests that arrived meanwhile (and failed) summed over replications, and the
    /// share of the requests outside maintenance that succeeded [%].
    pub(crate) server_out_min: Option<Estimate>,
    pub(crate) windows_total: Option<u64>,
    pub(crate) requests_total: Option<u64>,
    pub(crate) requests_failed_total: Option<u64>,
    pub(crate) success_pct_outside: Option<Estimate>,
}

impl MaintenanceFigures {
    fn empty(contract: MaintenanceContract) -> MaintenanceFigures {
        MaintenanceFigures {
            contract,
            downtime_min_per_year: None,
            failed_requests_per_year: None,
            windows_per_year: None,
            downtime_min_per_year_unplanned: None,
            server_out_min: None,
            windows_total: None,
            requests_total: None,
            requests_failed_total: None,
            success_pct_outside: None,
        }
    }
}

/// An availability run's maintenance; `None` when no window opened and no minute or request
/// was charged to maintenance (the scenario has no `[maintenance]`).
pub(super) fn of_availability(s: &AvailSummary) -> Option<MaintenanceFigures> {
    let m = &s.metrics;
    let c = m.downtime_by_cause.iter().find(|c| c.cause == Cause::Maintenance)?;
    let modelled = m.maintenance_windows_per_year.value > 0.0
        || c.downtime_min_per_year.value > 0.0
        || c.failed_requests_per_year.value > 0.0;
    modelled.then(|| MaintenanceFigures {
        downtime_min_per_year: Some(c.downtime_min_per_year),
        failed_requests_per_year: Some(c.failed_requests_per_year),
        windows_per_year: Some(m.maintenance_windows_per_year),
        downtime_min_per_year_unplanned: Some(m.downtime_min_per_year_unplanned),
        ..MaintenanceFigures::empty(s.maintenance)
    })
}

/// A request run's maintenance (its summary's `maintenance` object).
pub(super) fn of_requests(s: &Summary) -> Option<MaintenanceFigures> {
    let mt = s.metrics.maintenance.as_ref()?;
    Some(MaintenanceFigures {
        server_out_min: Some(mt.minutes),
        windows_total: Some(mt.windows_total),
        requests_total: Some(mt.requests_total),
        requests_failed_total: Some(mt.requests_failed_total),
        success_pct_outside: Some(scale(mt.success_ratio_outside, 100.0)),
        ..MaintenanceFigures::empty(mt.contract)
    })
}
