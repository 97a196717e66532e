//! Rendering one [`CustomerReport`] as `report.html` (inline SVG, print CSS for A4) and
//! `report.md` through the minijinja templates in `templates/`.

use super::charts::charts;
use super::lang::{Strings, environment, strings};
use super::{CustomerReport, ReportError};
use minijinja::context;
use minijinja::value::{Serde, Value};

const HTML_TEMPLATE: &str = include_str!("../templates/report.html.j2");
const MD_TEMPLATE: &str = include_str!("../templates/report.md.j2");

/// The three files of a report, rendered from one [`CustomerReport`].
#[derive(Debug)]
pub struct Rendered {
    /// `report.html`.
    pub html: String,
    /// `report.md`.
    pub markdown: String,
    /// `report.json`: the figures as JSON.
    pub json: String,
}

fn render_with(
    r: &CustomerReport,
    s: &Strings,
    name: &'static str,
    text: &'static str,
    charts: Value,
) -> Result<String, ReportError> {
    let env = environment(r.lang, text, name)?;
    let tmpl = env
        .get_template(name)
        .map_err(|e| ReportError::Render(format!("{name}: {e:#}")))?;
    tmpl.render(context! {
        r => Value::from(Serde(r)),
        t => Value::from(Serde(&s.text)),
        months => Value::from(Serde(&s.months)),
        months_short => Value::from(Serde(&s.months_short)),
        charts => charts,
    })
    .map_err(|e| ReportError::Render(format!("{name}: {e:#}")))
}

/// `report.html`: self-contained (inline SVG and CSS), A4 print layout.
pub(crate) fn render_html(r: &CustomerReport) -> Result<String, ReportError> {
    let s = strings(r.lang);
    let charts = charts(r, &s)?;
    render_with(r, &s, "report.html.j2", HTML_TEMPLATE, Value::from(Serde(&charts)))
}

/// `report.md`: the same sections and tables for e-mail, without charts.
pub(crate) fn render_markdown(r: &CustomerReport) -> Result<String, ReportError> {
    let s = strings(r.lang);
    render_with(r, &s, "report.md.j2", MD_TEMPLATE, Value::from(()))
}
