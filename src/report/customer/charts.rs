//! The report's charts as inline SVG: availability (or one month's distribution) against the
//! SLA, unavailable minutes against the error budget, response-time percentiles, and the park's
//! topology drawn by hand (no Graphviz, no assets).

use super::figures::{CustomerReport, PeriodRow, TopoNode, TopologyFigures};
use super::lang::{Strings, format_number, format_percent};
use super::{Lang, ReportError};
use crate::report::plot::{self, Bar, ChartOptions, LineChart, Point, Reference, Series};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Inline SVG: plotters' document without its XML prolog, scaled to the page by CSS.
fn inline(svg: String) -> String {
    match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => svg,
    }
}

/// A string of the table; a missing key is a bug the string-table tests catch.
fn text(s: &Strings, k: &str) -> String {
    s.text
        .get(k)
        .cloned()
        .unwrap_or_else(|| panic!("string `{k}` in the table"))
}

fn render_error(e: plot::PlotError) -> ReportError {
    ReportError::Render(e.to_string())
}

/// The report's look for every chart.
fn options(lang: Lang, y_range: Option<(f64, f64)>, one_colour: bool) -> ChartOptions {
    ChartOptions {
        y_range,
        decimal_comma: lang == Lang::Nl,
        tidy_ticks: true,
        light_lines_max: Some(1),
        one_colour,
        legend_lower_left: true,
        ..ChartOptions::default()
    }
}

/// Every chart of the report, by the name the HTML template uses.
pub(super) fn charts(r: &CustomerReport, s: &Strings) -> Result<BTreeMap<&'static str, String>, ReportError> {
    let mut out = BTreeMap::new();
    out.insert("availability", inline(availability_chart(r, s)?));
    out.insert("downtime", inline(downtime_chart(r, s)?));
    if let Some(svg) = latency_chart(r, s)? {
        out.insert("latency", inline(svg));
    }
    out.insert("topology", topology_svg(&r.topology, s));
    Ok(out)
}

/// Availability per month (or day) against the SLA, y axis from just below the lowest band or
/// the SLA to just above 100%; for an availability run, one month's distribution instead.
fn availability_chart(r: &CustomerReport, s: &Strings) -> Result<String, ReportError> {
    let t = |k: &str| text(s, k);
    let a = &r.availability;
    if let Some(d) = &a.month_distribution {
        // Months are statistically alike: one month's distribution, not a mean per month.
        let bars: Vec<Bar> = d
            .buckets
            .iter()
            .map(|b| Bar {
                label: t(&format!("bucket_{}", b.kind)),
                value: b.share_pct.value,
                ci95: b.share_pct.ci95,
            })
            .collect();
        return plot::bar_chart_with(
            &t("chart_distribution_title"),
            &t("y_share_months"),
            &bars,
            None,
            &options(r.lang, Some((0.0, 100.0)), true),
        )
        .map_err(render_error);
    }
    let lowest = a
        .series
        .iter()
        .map(|p| p.availability_pct.value - p.availability_pct.ci95.unwrap_or(0.0))
        .fold(r.sla.sla_percent, f64::min);
    let pad = (100.0 - lowest).max(0.01) * 0.15;
    let (unit, title, label) = match a.series_unit {
        "months" => ("x_months", "chart_availability_title", "chart_mean_ci"),
        "days" => ("x_days", "chart_availability_title_request", "chart_pooled"),
        _ => ("x_hours", "chart_availability_title_request", "chart_pooled"),
    };
    let sla_label = t("chart_sla").replace("{sla}", &format_percent(r.sla.sla_percent, 2, r.lang));
    plot::line_chart_with(
        &LineChart {
            title: t(title),
            x_label: t(unit),
            y_label: t("y_availability"),
            log_x: false,
            log_y: false,
        },
        &[Series {
            label: t(label),
            points: a
                .series
                .iter()
                .map(|p| Point {
                    x: f64::from(p.period),
                    y: p.availability_pct.value,
                    ci95: p.availability_pct.ci95,
                })
                .collect(),
        }],
        &[Reference {
            label: sla_label,
            y: r.sla.sla_percent,
        }],
        &options(r.lang, Some((lowest - pad, 100.0 + pad * 0.25)), false),
    )
    .map_err(render_error)
}

/// Unavailable minutes per month of the year (or the window) against the error budget.
fn downtime_chart(r: &CustomerReport, s: &Strings) -> Result<String, ReportError> {
    let t = |k: &str| text(s, k);
    let a = &r.availability;
    let rows: Vec<&PeriodRow> = if a.rows.is_empty() {
        vec![&a.overall]
    } else {
        a.rows.iter().collect()
    };
    let bars: Vec<Bar> = rows
        .iter()
        .map(|p| Bar {
            label: match p.month_of_year {
                Some(k) => s.months_short[k as usize].clone(),
                None => t("window"),
            },
            value: p.unavailable_min.value,
            ci95: p.unavailable_min.ci95,
        })
        .collect();
    let budget_label = t("chart_budget").replace("{min}", &format_number(r.sla.error_budget_min, 1, r.lang));
    plot::bar_chart_with(
        &t("chart_downtime_title"),
        &t("y_minutes"),
        &bars,
        Some(&Reference {
            label: budget_label,
            y: r.sla.error_budget_min,
        }),
        &options(r.lang, None, true),
    )
    .map_err(render_error)
}

/// Response-time percentiles with their intervals, when the results have them.
fn latency_chart(r: &CustomerReport, s: &Strings) -> Result<Option<String>, ReportError> {
    let l = &r.latency;
    let (Some(p50), Some(p95), Some(p99), Some(p999)) = (l.p50_ms, l.p95_ms, l.p99_ms, l.p999_ms) else {
        return Ok(None);
    };
    let bars: Vec<Bar> = [("p50", p50), ("p95", p95), ("p99", p99), ("p99.9", p999)]
        .into_iter()
        .map(|(label, e)| Bar {
            label: if r.lang == Lang::Nl {
                label.replace('.', ",")
            } else {
                label.into()
            },
            value: e.value,
            ci95: e.ci95,
        })
        .collect();
    let svg = plot::bar_chart_with(
        &text(s, "chart_latency_title"),
        &text(s, "y_ms"),
        &bars,
        None,
        &options(r.lang, None, false),
    )
    .map_err(render_error)?;
    Ok(Some(svg))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Width of the topology drawing [px].
const TOPO_W: f64 = 760.0;
/// A node's box [px].
const BOX_W: f64 = 118.0;
const BOX_H: f64 = 46.0;
/// Vertical distance between the nodes of a column [px].
const STEP_Y: f64 = 62.0;
/// Margin above the first row (and below the last) [px].
const TOP: f64 = 14.0;

/// The park as columns, left to right: visitors, balancers, web servers, storage, backup;
/// arrows for the links. Plain SVG with the page's sans-serif font: no Graphviz, no assets.
pub(super) fn topology_svg(topo: &TopologyFigures, s: &Strings) -> String {
    let t = |k: &str| s.text.get(k).cloned().unwrap_or_default();
    let (pos, h) = topology_layout(topo);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="topology" width="{TOPO_W}" height="{h}" viewBox="0 0 {TOPO_W} {h}" role="img" aria-label="{}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs><rect width="{TOPO_W}" height="{h}" fill="#fff"/>"##,
        xml_escape(&t("topology_title"))
    );
    for [a, b] in &topo.links {
        let (Some(&(x1, y1)), Some(&(x2, y2))) = (pos.get(a.as_str()), pos.get(b.as_str())) else {
            continue;
        };
        let _ = write!(
            svg,
            r##"<line x1="{:.1}" y1="{y1:.1}" x2="{:.1}" y2="{y2:.1}" stroke="#777" stroke-width="1.3" marker-end="url(#arrow)"/>"##,
            x1 + BOX_W / 2.0,
            x2 - BOX_W / 2.0 - 2.0
        );
    }
    for n in &topo.nodes {
        let Some(&(x, y)) = pos.get(n.name.as_str()) else {
            continue;
        };
        node_svg(&mut svg, n, (x, y), s);
    }
    svg.push_str("</svg>");
    svg
}

/// Where each node's centre sits (one column per tier that has nodes, each column centred
/// vertically), and the drawing's height [px].
fn topology_layout(topo: &TopologyFigures) -> (BTreeMap<&str, (f64, f64)>, f64) {
    let tiers = ["clients", "balancer", "web", "storage", "backup"];
    let columns: Vec<Vec<&TopoNode>> = tiers
        .iter()
        .map(|tier| topo.nodes.iter().filter(|n| n.tier == *tier).collect())
        .filter(|c: &Vec<&TopoNode>| !c.is_empty())
        .collect();
    let rows = columns.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let h = TOP * 2.0 + rows as f64 * STEP_Y;
    let col_w = TOPO_W / columns.len().max(1) as f64;
    let mut pos: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for (c, col) in columns.iter().enumerate() {
        let x = col_w * (c as f64 + 0.5);
        let y0 = TOP + (rows - col.len()) as f64 * STEP_Y / 2.0 + STEP_Y / 2.0;
        for (i, n) in col.iter().enumerate() {
            pos.insert(&n.name, (x, y0 + i as f64 * STEP_Y));
        }
    }
    (pos, h)
}

/// One node centred at (`x`, `y`): an ellipse for the visitors, else a box in its tier's
/// colours, with its name and role.
fn node_svg(svg: &mut String, n: &TopoNode, (x, y): (f64, f64), s: &Strings) {
    let t = |k: &str| s.text.get(k).cloned().unwrap_or_default();
    let (fill, stroke, role) = match n.tier {
        "clients" => ("#f2f2f2", "#888", t("role_clients")),
        "balancer" => ("#e3effa", "#0072b2", t("role_balancer")),
        "web" => ("#e6f5ef", "#009e73", t("role_web")),
        "storage" if n.primary => ("#fdf0e6", "#d55e00", t("role_storage_primary")),
        "storage" => ("#fdf0e6", "#d55e00", t("role_storage_replica")),
        _ => ("#f6eef4", "#cc79a7", t("role_backup")),
    };
    let (left, top) = (x - BOX_W / 2.0, y - BOX_H / 2.0);
    if n.tier == "clients" {
        let _ = write!(
            svg,
            r#"<ellipse cx="{x:.1}" cy="{y:.1}" rx="{:.1}" ry="{:.1}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>"#,
            BOX_W / 2.0,
            BOX_H / 2.0
        );
    } else {
        let _ = write!(
            svg,
            r#"<rect x="{left:.1}" y="{top:.1}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>"#
        );
    }
    let label = if n.tier == "clients" {
        t("clients")
    } else {
        n.name.clone()
    };
    let _ = write!(
        svg,
        r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-family="sans-serif" font-size="14" font-weight="bold" fill="#222">{}</text><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-family="sans-serif" font-size="11" fill="#444">{}</text>"##,
        y - 3.0,
        xml_escape(&label),
        y + 13.0,
        xml_escape(&role)
    );
}
