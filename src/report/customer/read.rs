//! Reading a results directory for the report: `summary.json` (and `latency.json`) through the
//! `report::summary` types, `months.csv` / `timeseries.csv` through their row types, and
//! `scenario.resolved.toml` through the scenario loader. Those are the files' only schema;
//! this module adds the checks a report needs (schema version, mode, complete months) and
//! errors that name the file.

use super::{DayRow, MonthRow, ReportError};
use crate::report::summary::{self, AvailSummary, Header, SCHEMA_VERSION, Summary, TimeseriesRow};
use crate::scenario::{self, Model};
use serde::de::DeserializeOwned;
use std::path::Path;

/// A results directory, read and checked.
pub(super) enum Results {
    Requests {
        summary: Summary,
        buckets: Vec<TimeseriesRow>,
    },
    Availability {
        summary: Box<AvailSummary>,
        months: Vec<MonthRow>,
        /// The days with anything to count (`days.csv`, sparse).
        days: Vec<DayRow>,
        /// The request-level latency sample (`latency.json`), when the run made one.
        latency: Option<Summary>,
    },
}

pub(super) struct Inputs {
    pub(crate) results: Results,
    pub(crate) model: Model,
}

fn read_text(path: &Path, hint: &'static str) -> Result<String, ReportError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ReportError::Missing {
            path: path.to_path_buf(),
            hint,
        }),
        Err(source) => Err(ReportError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn malformed(path: &Path, message: impl std::fmt::Display) -> ReportError {
    ReportError::Malformed {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// The header of a `summary.json`-layout file, after checking its schema version.
fn read_summary_json(dir: &Path, path: &Path, hint: &'static str) -> Result<(Header, serde_json::Value), ReportError> {
    let text = read_text(path, hint)?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| malformed(path, format!("not JSON: {e}")))?;
    let Some(found) = v.get("schema_version").and_then(serde_json::Value::as_u64) else {
        return Err(malformed(path, "no schema_version: not a simpark summary"));
    };
    if found != u64::from(SCHEMA_VERSION) {
        let writer = v
            .get("simpark_version")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("(unknown)")
            .to_string();
        return Err(ReportError::Schema {
            path: path.to_path_buf(),
            found,
            writer,
            ours: env!("CARGO_PKG_VERSION"),
            expected: SCHEMA_VERSION,
            resolved: dir.join("scenario.resolved.toml").display().to_string(),
            dir: dir.display().to_string(),
        });
    }
    let header: Header = typed(path, v.clone())?;
    Ok((header, v))
}

/// `v` as the summary type `T`, or an error naming the file and what did not fit.
fn typed<T: DeserializeOwned>(path: &Path, v: serde_json::Value) -> Result<T, ReportError> {
    serde_json::from_value(v).map_err(|e| malformed(path, e))
}

/// `months.csv`, with the same months for every replication of `summary.json`.
fn read_months(path: &Path, replications: u32) -> Result<Vec<MonthRow>, ReportError> {
    let text = read_text(path, "an availability run writes it; re-run it with this simpark")?;
    let rows = summary::parse_months_csv(&text).map_err(|e| malformed(path, e))?;
    let per_rep = |r: u32| rows.iter().filter(|m| m.replication == r).count();
    let months = per_rep(0);
    if months == 0 || (0..replications).any(|r| per_rep(r) != months) || rows.len() != months * replications as usize {
        return Err(malformed(
            path,
            format!("expected the same months for each of the {replications} replications in summary.json"),
        ));
    }
    Ok(rows)
}

impl Inputs {
    pub(super) fn read(dir: &Path) -> Result<Inputs, ReportError> {
        if !dir.is_dir() {
            return Err(ReportError::NoDir(dir.to_path_buf()));
        }
        let summary_path = dir.join("summary.json");
        let (header, v) = read_summary_json(
            dir,
            &summary_path,
            "not a simpark results directory (`simpark run SCENARIO.toml --out DIR` writes it)",
        )?;
        let resolved = dir.join("scenario.resolved.toml");
        let text = read_text(&resolved, "the report draws the park from it; `simpark run` writes it")?;
        let model = scenario::from_str(&text, &resolved.display().to_string(), &[])
            .map_err(|e| malformed(&resolved, format!("does not load as a scenario: {e}")))?;
        let results = match header.mode.as_str() {
            "requests" => {
                let ts = dir.join("timeseries.csv");
                let text = read_text(&ts, "a request-mode run writes it next to summary.json")?;
                Results::Requests {
                    summary: typed(&summary_path, v)?,
                    buckets: summary::parse_timeseries_csv(&text).map_err(|e| malformed(&ts, e))?,
                }
            }
            "availability" => {
                let months_path = dir.join("months.csv");
                let months = read_months(&months_path, header.replications)?;
                check_calendar(&months_path, &months, &model, header.replications)?;
                let days = read_days(&dir.join("days.csv"), &header)?;
                let lp = dir.join("latency.json");
                let latency = if lp.exists() {
                    let (_, v) = read_summary_json(dir, &lp, "")?;
                    Some(typed(&lp, v)?)
                } else {
                    None
                };
                Results::Availability {
                    summary: Box::new(typed(&summary_path, v)?),
                    months,
                    days,
                    latency,
                }
            }
            other => return Err(malformed(&summary_path, format!("unknown mode `{other}`"))),
        };
        Ok(Inputs { results, model })
    }
}

/// `months.csv` (at `path`) has exactly the months of the scenario's calendar, each as long,
/// for each of the `replications`.
fn check_calendar(path: &Path, months: &[MonthRow], model: &Model, replications: u32) -> Result<(), ReportError> {
    if let Some(m) = months.iter().find(|m| {
        model
            .calendar
            .months
            .get(m.month as usize)
            .is_none_or(|c| (c.minutes() - m.length_min).abs() > 1e-3)
    }) {
        return Err(malformed(
            path,
            format!(
                "month {} is {} minutes long, not a month of the scenario's calendar; regenerate the results with this simpark",
                m.month, m.length_min
            ),
        ));
    }
    let calendar = model.calendar.months.len();
    if months.len() != calendar * replications as usize {
        return Err(malformed(
            path,
            format!(
                "{} months per replication, but the scenario's calendar has {calendar} in the window; regenerate the results with this simpark",
                months.len() / replications.max(1) as usize
            ),
        ));
    }
    Ok(())
}

/// `days.csv` (at `path`), every row within the replications and days of `header`.
fn read_days(path: &Path, header: &Header) -> Result<Vec<DayRow>, ReportError> {
    let days_text = read_text(path, "an availability run writes it; re-run it with this simpark")?;
    let days = summary::parse_days_csv(&days_text).map_err(|e| malformed(path, e))?;
    let day_count = (header.horizon_s - header.warmup_s) / 86_400.0;
    if let Some(d) = days
        .iter()
        .find(|d| d.replication >= header.replications || f64::from(d.day) >= day_count.ceil())
    {
        return Err(malformed(
            path,
            format!(
                "replication {} day {}: outside the {} replications of {:.0} days in summary.json",
                d.replication,
                d.day,
                header.replications,
                day_count.ceil()
            ),
        ));
    }
    Ok(days)
}
