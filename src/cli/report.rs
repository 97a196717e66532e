//! `simpark report`: the customer availability report from a results directory, and the
//! request-level latency sample `simpark run` adds to availability runs (`latency.json`).
//!
//! Parses options, calls `simpark::report::customer` (which only reads finished results) and
//! writes `report.json`, `report.md` and `report.html` (and with `--pdf` `report.pdf`, printed
//! by headless Chromium, `pdf.rs`) atomically, only after all of them rendered. Reads the wall
//! clock for the stderr timing line only.

use anyhow::{Context, Result};
use clap::Args;
use simpark::report;
use simpark::report::customer::{self, Lang, PartialOutagePolicy, ReportOptions};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    /// Results directory written by `simpark run` (summary.json, scenario.resolved.toml, and
    /// months.csv + latency.json or timeseries.csv).
    pub(crate) results: PathBuf,
    /// Customer name printed on the report.
    #[arg(long)]
    pub(crate) customer: Option<String>,
    /// Language of the report: en (English) or nl (Dutch).
    #[arg(long, default_value = "en", value_name = "en|nl")]
    pub(crate) lang: String,
    /// The SLA, as a percentage (99.9, 99.9%) or a ratio (0.999), strictly between 0 and 100%.
    #[arg(long, default_value = "99.9", value_name = "PERCENT|RATIO", allow_negative_numbers = true, value_parser = simpark::units::availability_percent)]
    pub(crate) sla: f64,
    /// Which minutes count against the SLA: `ignore` (only full outages; the default),
    /// `weighted` (partial outages by the share of requests failing), `degraded` (every
    /// minute with reduced web capacity), `statuspage` (as Statuspage and Instatus count:
    /// full outages in full, minutes with some requests failing at 30%).
    #[arg(long, value_name = "ignore|weighted|degraded|statuspage")]
    pub(crate) partial_outage: Option<String>,
    /// SLA service credits per month, `BELOW:CREDIT,...` in percent (thresholds falling,
    /// credits rising): the report gives the chance of each tier and the expected credit.
    #[arg(long, default_value = customer::CREDIT_TIERS_DEFAULT, value_name = "BELOW:CREDIT,...")]
    pub(crate) credit_tiers: String,
    /// Latency SLO threshold [ms]: the report gives the share of requests answered within it
    /// (default: the scenario's `[slo] latency_ms`; summary.json's `latency_within` lists the
    /// thresholds measured).
    #[arg(long, value_name = "MS")]
    pub(crate) latency_ms: Option<f64>,
    /// A `compare.json` (`simpark compare`, e.g. of the baselines) to show this park against
    /// one server and a standby pair, with downtime by cause side by side.
    #[arg(long, value_name = "COMPARE.json")]
    pub(crate) baselines: Option<PathBuf>,
    /// Where to write report.html, report.md and report.json (default: the results directory).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Also write report.pdf: report.html printed on A4 with page numbers by headless
    /// Chromium (`chromium` on PATH, or the binary SIMPARK_CHROMIUM names).
    #[arg(long)]
    pub(crate) pdf: bool,
}

/// `simpark report`: exit 0, or an error (exit 2) with nothing written.
pub(crate) fn report(args: &ReportArgs) -> Result<i32> {
    let lang: Lang = args.lang.parse()?;
    let policy = args
        .partial_outage
        .as_deref()
        .map(str::parse::<PartialOutagePolicy>)
        .transpose()?;
    // Chromium is looked for first: without it, nothing is rendered or written.
    let chrome = args.pdf.then(super::pdf::find_chromium).transpose()?;
    let opts = ReportOptions {
        customer: args.customer.clone(),
        lang,
        sla_percent: args.sla,
        policy,
        credit_tiers: customer::parse_credit_tiers(&args.credit_tiers)?,
        latency_ms: args.latency_ms,
        baselines: args.baselines.clone(),
    };
    #[allow(clippy::disallowed_methods)] // wall clock for the stderr timing line only
    let started = Instant::now();
    let r = customer::build(&args.results, &opts)?;
    // The files must be one run's set (the manifest `simpark run` wrote), not a mix.
    simpark::report::outdir::verify(&args.results)?;
    let pdf = chrome.map(|c| super::pdf::print_pdf(&c, &r.html)).transpose()?;
    let out = args.out.clone().unwrap_or_else(|| args.results.clone());
    let mut files = vec![
        ("report.html", r.html.as_bytes()),
        ("report.md", r.markdown.as_bytes()),
        ("report.json", r.json.as_bytes()),
    ];
    files.extend(pdf.as_deref().map(|b| ("report.pdf", b)));
    for (name, body) in &files {
        let path = out.join(name);
        report::write_atomic(&path, body).with_context(|| format!("writing {}", path.display()))?;
    }
    let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    println!("wrote {}/ ({})", out.display(), names.join(", "));
    eprintln!(
        "{:.2} s wall, report.html {} KiB",
        started.elapsed().as_secs_f64(),
        r.html.len().div_ceil(1024)
    );
    Ok(super::exit::OK)
}
