//! `simpark report`: the customer availability report from a results directory, and the
//! request-level latency sample `simpark run` adds to availability runs (`latency.json`).
//!
//! Parses options, calls `simpark::report::customer` (which only reads finished results) and
//! writes `report.json`, `report.md` and `report.html` (and with `--pdf` `report.pdf`, printed
//! by headless Chromium, `pdf.rs`) atomically, only after all of them rendered. Reads the wall
//! clock for the stderr timing line only.

use anyhow::{Context, Result};
use clap::Args;
use simpark::report::customer::{self, Lang, PartialOutagePolicy, ReportOptions};
use simpark::report::{self, summary};
use simpark::scenario::{self, Model};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Results directory written by `simpark run` (summary.json, scenario.resolved.toml, and
    /// months.csv + latency.json or timeseries.csv).
    pub results: PathBuf,
    /// Customer name printed on the report.
    #[arg(long)]
    pub customer: Option<String>,
    /// Language of the report: en (English) or nl (Dutch).
    #[arg(long, default_value = "en", value_name = "en|nl")]
    pub lang: String,
    /// The SLA, as a percentage (99.9, 99.9%) or a ratio (0.999), strictly between 0 and 100%.
    #[arg(long, default_value = "99.9", value_name = "PERCENT|RATIO", allow_negative_numbers = true, value_parser = super::availability_percent)]
    pub sla: f64,
    /// Which minutes count against the SLA: `ignore` (only full outages; the default),
    /// `weighted` (partial outages by the share of requests failing), `degraded` (every
    /// minute with reduced web capacity).
    #[arg(long, value_name = "ignore|weighted|degraded")]
    pub partial_outage: Option<String>,
    /// SLA service credits per month, `BELOW:CREDIT,...` in percent (thresholds falling,
    /// credits rising): the report gives the chance of each tier and the expected credit.
    #[arg(long, default_value = customer::CREDIT_TIERS_DEFAULT, value_name = "BELOW:CREDIT,...")]
    pub credit_tiers: String,
    /// Where to write report.html, report.md and report.json (default: the results directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write report.pdf: report.html printed on A4 with page numbers by headless
    /// Chromium (`chromium` on PATH, or the binary SIMPARK_CHROMIUM names).
    #[arg(long)]
    pub pdf: bool,
}

/// `simpark report`: exit 0, or an error (exit 2) with nothing written.
pub fn report(args: &ReportArgs) -> Result<i32> {
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

/// The same park as `model` in request mode with every server up (no scripted faults, no
/// expectations), over a short horizon: the response times an availability run cannot give.
pub fn latency_sample_model(model: &Model) -> Result<Model> {
    scenario::validate(scenario::latency_sample_spec(&model.spec)).map_err(|(key, message)| {
        anyhow::anyhow!(
            "the request-level latency sample of `{}` is invalid: {key}: {message}",
            model.spec.name
        )
    })
}

/// Run the latency sample and summarise it (`latency.json`, the `summary.json` layout).
pub fn latency_sample(model: &Model, jobs: usize) -> Result<summary::Summary> {
    let m = latency_sample_model(model)?;
    let reps = simpark::sim::run_replications(&m, jobs, &|| {});
    Ok(summary::summarise(&m, &reps))
}
