//! The customer availability report (`simpark report`): one figures struct, three renderings.
//!
//! Reads a finished results directory (`summary.json`, `months.csv` and `days.csv` or
//! `timeseries.csv`,
//! `latency.json`, `scenario.resolved.toml`), computes [`CustomerReport`] (serialised as
//! `report.json`) and renders that same struct as `report.html` (inline SVG, print CSS for A4)
//! and `report.md`, in English or Dutch, through the minijinja templates in `templates/`.
//!
//! Must never simulate, read a clock, the network or anything outside the results directory:
//! the same results and options give byte-identical files. Every date-like fact comes from the
//! results' own metadata.
//!
//! Code map: `baselines` (this park against the baselines, from a `compare.json`), `read`
//! (the results directory through the `summary` types, the one schema of
//! those files), `figures` (the `report.json` types and their assembly), `months` (monthly
//! SLA arithmetic), `rolling` (the rolling 30-day error budget over `days.csv`), `incidents`
//! (incidents and downtime by cause), `maintenance` (planned maintenance apart), `lang` (string tables, number
//! formats, the template environment), `charts` (inline SVG), `render` (the three files).

mod baselines;
mod charts;
mod figures;
mod incidents;
mod lang;
mod maintenance;
mod months;
mod read;
mod render;
mod rolling;
#[cfg(test)]
mod tests;

pub(crate) use crate::report::summary::{DayRow, MonthRow};
#[cfg(test)]
use baselines::{BaselineColumn, BaselineFigures, CauseLine};
pub(crate) use figures::*;
#[cfg(test)]
use lang::{format_number, format_percent};
#[cfg(test)]
use months::{
    MonthSet, availability_pct, breaks_sla, credit_figures, error_budget_min, month_distribution, period_row,
};
pub(crate) use render::{Rendered, render_html, render_markdown};

use serde::Serialize;
use std::path::{Path, PathBuf};

/// Version of the `report.json` layout; bump on any incompatible change.
/// 2: typed incident kinds (`cause_kind` as `IncidentCause`'s tag), service credits.
/// 3: `maintenance`; `incidents.by_cause` from `downtime_by_cause` (all replications, with
/// intervals), `incidents.mttr_min` an estimate; baselines say how maintenance was counted.
pub(crate) const REPORT_SCHEMA_VERSION: u32 = 3;
/// The longest incidents of the first replication listed one by one.
pub(crate) const INCIDENTS_LISTED_MAX: usize = 10;
/// A year as the simulator counts it (`10y` is 3650 days) [s].
const YEAR_S: f64 = 365.0 * 86_400.0;
/// A day [s].
const DAY_S: f64 = 86_400.0;

/// The report could not be made. Nothing is written when any of these happens.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The results directory does not exist: there is nothing to report on.
    #[error("{0}: no such results directory (`simpark run SCENARIO.toml` writes results/<name>/)")]
    NoDir(PathBuf),
    /// A file the report needs is not in the results directory.
    #[error("{path}: missing; {hint}")]
    Missing {
        /// The file expected.
        path: PathBuf,
        /// How to produce it.
        hint: &'static str,
    },
    /// A results file exists but could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        #[source]
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A results file is not what simpark writes (edited, truncated, another program's).
    #[error("{path}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The results were written by a simpark with another `summary.json` layout.
    #[error(
        "{path}: schema_version {found} (written by simpark {writer}); this simpark {ours} reads schema_version {expected}. Regenerate the results with this simpark: simpark run {resolved} --out {dir}"
    )]
    Schema {
        /// `summary.json`.
        path: PathBuf,
        /// Its `schema_version`.
        found: u64,
        /// The simpark version that wrote it.
        writer: String,
        /// This simpark's version.
        ours: &'static str,
        /// The `schema_version` this simpark reads.
        expected: u32,
        /// The resolved scenario to rerun (`scenario.resolved.toml`).
        resolved: String,
        /// The results directory.
        dir: String,
    },
    /// `--sla` is not a percentage strictly between 0 and 100.
    #[error("--sla {0}: an SLA is a percentage strictly between 0 and 100, e.g. 99.9")]
    Sla(f64),
    /// `--lang` names a language the report is not written in.
    #[error("--lang {0}: unknown language; the report is written in `en` (English) or `nl` (Dutch)")]
    Lang(String),
    /// `--credit-tiers` is not a list of falling thresholds with rising credits.
    #[error(
        "--credit-tiers {0}: {1}; expected `BELOW:CREDIT,...` in percent, thresholds falling and credits rising, e.g. `99.9:10,99:25` (below 99.9% 10% credit, below 99% 25%)"
    )]
    CreditTiers(String, String),
    /// `--partial-outage` names no policy.
    #[error("--partial-outage {0}: unknown policy; expected `ignore`, `weighted`, `degraded` or `statuspage`")]
    Policy(String),
    /// The policy needs minute accounting that a request-mode run does not have.
    #[error(
        "--partial-outage {0}: this is a request-mode run, whose availability is request-based (every failed request counts: `weighted`); `ignore`, `degraded` and `statuspage` need an availability run (mode = \"availability\", months.csv)"
    )]
    PolicyNeedsAvailability(&'static str),
    /// `--latency-ms` is not a threshold the results measured.
    #[error(
        "--latency-ms {0}: the results give the share of requests within {1} ms; pick one of those, or set `[slo] latency_ms = {0}` in the scenario and run it again"
    )]
    LatencyMs(f64, String),
    /// A template or chart failed: a simpark bug, not bad input.
    #[error("rendering the report: {0}")]
    Render(String),
}

/// Language of the report's fixed text, numbers and month names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    En,
    /// Dutch.
    Nl,
}

impl std::str::FromStr for Lang {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, ReportError> {
        match s {
            "en" => Ok(Lang::En),
            "nl" => Ok(Lang::Nl),
            _ => Err(ReportError::Lang(s.to_string())),
        }
    }
}

/// Which minutes count against the SLA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PartialOutagePolicy {
    /// Only minutes with the whole site down (the usual SLA wording).
    Ignore,
    /// Also minutes where a share of requests fails, counted by that share.
    Weighted,
    /// Also every minute with reduced web capacity (a web server failed or out of rotation).
    Degraded,
    /// As Statuspage and Instatus count uptime: a minute with the whole site down counts in
    /// full, a minute of partial outage (some but not all requests fail, whatever the share)
    /// counts [`STATUSPAGE_PARTIAL_WEIGHT`], degraded capacity without failures not at all.
    Statuspage,
}

/// Weight of a partial-outage minute on a status page: Instatus, "Uptime colors" (help
/// page): "A partial outage weight in this calculation is 30% the weight of a major outage
/// ... degraded performance does not affect the uptime"; Atlassian Statuspage counts the same.
pub(crate) const STATUSPAGE_PARTIAL_WEIGHT: f64 = 0.3;

impl PartialOutagePolicy {
    pub(crate) fn name(self) -> &'static str {
        match self {
            PartialOutagePolicy::Ignore => "ignore",
            PartialOutagePolicy::Weighted => "weighted",
            PartialOutagePolicy::Degraded => "degraded",
            PartialOutagePolicy::Statuspage => "statuspage",
        }
    }

    /// Minutes that count as unavailable in one month of `months.csv`.
    pub(crate) fn unavailable_min(self, m: &MonthRow) -> f64 {
        self.unavailable_of(m.downtime_min, m.partial_min, m.degraded_min, m.partial_outage_min)
    }

    /// Minutes that count as unavailable in one day of `days.csv`.
    pub(crate) fn unavailable_day_min(self, d: &DayRow) -> f64 {
        self.unavailable_of(d.downtime_min, d.partial_min, d.degraded_min, d.partial_outage_min)
    }

    /// Minutes that count as unavailable given the minutes of each kind (the columns of
    /// `months.csv` and `days.csv`).
    fn unavailable_of(self, downtime: f64, partial: f64, degraded: f64, partial_outage: f64) -> f64 {
        match self {
            PartialOutagePolicy::Ignore => downtime,
            PartialOutagePolicy::Weighted => downtime + partial,
            PartialOutagePolicy::Degraded => downtime + degraded,
            PartialOutagePolicy::Statuspage => downtime + STATUSPAGE_PARTIAL_WEIGHT * partial_outage,
        }
    }
}

impl std::str::FromStr for PartialOutagePolicy {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, ReportError> {
        match s {
            "ignore" => Ok(PartialOutagePolicy::Ignore),
            "weighted" => Ok(PartialOutagePolicy::Weighted),
            "degraded" => Ok(PartialOutagePolicy::Degraded),
            "statuspage" => Ok(PartialOutagePolicy::Statuspage),
            _ => Err(ReportError::Policy(s.to_string())),
        }
    }
}

/// What the account manager asked for.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// The customer's name on the title page; `None`: the scenario's name.
    pub customer: Option<String>,
    /// Language of the report.
    pub lang: Lang,
    /// The SLA [%], strictly between 0 and 100.
    pub sla_percent: f64,
    /// `None`: `ignore` for availability runs, `weighted` (request-based) for request runs.
    pub policy: Option<PartialOutagePolicy>,
    /// SLA service credits, thresholds falling and credits rising ([`parse_credit_tiers`]).
    pub credit_tiers: Vec<CreditTier>,
    /// Latency SLO threshold [ms] (`--latency-ms`); `None`: the scenario's `[slo] latency_ms`.
    pub latency_ms: Option<f64>,
    /// A `compare.json` to show this park against the baselines (`--baselines`).
    pub baselines: Option<PathBuf>,
}

/// One SLA service-credit tier: a month with availability below `below_pct` earns
/// `credit_pct` of the monthly fee (the deepest tier a month reaches applies).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CreditTier {
    pub(crate) below_pct: f64,
    pub(crate) credit_pct: f64,
}

/// The default tiers, as `--credit-tiers` writes them: below 99.9% 10%, below 99% 25% of the
/// monthly fee (issue 12's example; the common shape of hosting SLAs, e.g. AWS EC2's
/// 10%/30% at 99.99%/99.0%).
pub const CREDIT_TIERS_DEFAULT: &str = "99.9:10,99:25";

/// Parse `--credit-tiers` (`BELOW:CREDIT,...` in percent): thresholds strictly between 0 and
/// 100 and falling, credits in (0, 100] and rising.
pub fn parse_credit_tiers(s: &str) -> Result<Vec<CreditTier>, ReportError> {
    let bad = |why: String| ReportError::CreditTiers(s.to_string(), why);
    let mut tiers: Vec<CreditTier> = Vec::new();
    for part in s.split(',').map(str::trim) {
        let (below, credit) = part
            .split_once(':')
            .ok_or_else(|| bad(format!("`{part}` has no `:`")))?;
        let num = |x: &str| {
            x.trim()
                .trim_end_matches('%')
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
        };
        let (Some(below_pct), Some(credit_pct)) = (num(below), num(credit)) else {
            return Err(bad(format!("`{part}` is not two numbers")));
        };
        if !(below_pct > 0.0 && below_pct < 100.0) {
            return Err(bad(format!("threshold {below_pct} is not strictly between 0 and 100")));
        }
        if !(credit_pct > 0.0 && credit_pct <= 100.0) {
            return Err(bad(format!("credit {credit_pct} is not in (0, 100]")));
        }
        if let Some(prev) = tiers.last()
            && !(below_pct < prev.below_pct && credit_pct > prev.credit_pct)
        {
            return Err(bad(format!(
                "`{part}` does not go below the previous threshold with a larger credit"
            )));
        }
        tiers.push(CreditTier { below_pct, credit_pct });
    }
    Ok(tiers)
}

/// Check the options, read `dir`, compute the figures and render all three files in memory;
/// the caller writes them. Errors leave nothing behind because nothing was written.
pub fn build(dir: &Path, opts: &ReportOptions) -> Result<Rendered, ReportError> {
    if !(opts.sla_percent.is_finite() && opts.sla_percent > 0.0 && opts.sla_percent < 100.0) {
        return Err(ReportError::Sla(opts.sla_percent));
    }
    let inputs = read::Inputs::read(dir)?;
    let figures = figures::figures(&inputs, opts)?;
    let html = render_html(&figures)?;
    let markdown = render_markdown(&figures)?;
    let json = super::to_json(&figures);
    Ok(Rendered { html, markdown, json })
}
