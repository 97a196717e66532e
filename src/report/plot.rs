//! SVG charts for reports, sweeps and comparisons, drawn with plotters.
//!
//! Text is laid out with a bundled font (Liberation Sans, SIL OFL 1.1, `assets/fonts/`), so
//! charts look the same on every machine and need no system fonts; the same inputs give
//! byte-identical SVG. Only draws figures handed to it; never reads results or simulates.

use plotters::coord::ranged1d::{SegmentedCoord, ValueFormatter};
use plotters::coord::types::{RangedCoordf64, RangedCoordusize};
use plotters::prelude::*;
use std::sync::Once;

/// Chart size [px]; A4-friendly at 96 dpi.
pub(crate) const WIDTH_PX: u32 = 760;
pub(crate) const HEIGHT_PX: u32 = 380;
/// Font family name the bundled font is registered under.
const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/LiberationSans-Regular.ttf");

/// Colours for series, in order (Okabe–Ito, readable for colour-blind readers).
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// A chart could not be drawn (in practice: inputs with no finite value).
#[derive(Debug, thiserror::Error)]
#[error("chart `{title}`: {reason}")]
pub struct PlotError {
    pub(crate) title: String,
    pub(crate) reason: String,
}

/// One point of a line: x, y and the half-width of y's 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Point {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) ci95: Option<f64>,
}

/// A named line with its confidence band.
#[derive(Clone, Debug)]
pub(crate) struct Series {
    pub(crate) label: String,
    pub(crate) points: Vec<Point>,
}

/// A horizontal reference line (an SLO target, an SLA).
#[derive(Clone, Debug)]
pub(crate) struct Reference {
    pub(crate) label: String,
    pub(crate) y: f64,
}

/// Axes and titles of a line chart.
#[derive(Clone, Debug, Default)]
pub(crate) struct LineChart {
    pub(crate) title: String,
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    pub(crate) log_x: bool,
    pub(crate) log_y: bool,
}

/// Options that leave the chart's data alone: where the y axis runs, how ticks are written,
/// the grid and the legend. The default is exactly what `line_chart` and `bar_chart` draw.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChartOptions {
    /// Fixed y range (low, high) instead of one fitted to the data and padded to zero: for
    /// figures such as availability that live just below 100%. The caller makes it cover the
    /// data and bands.
    pub(crate) y_range: Option<(f64, f64)>,
    /// Write tick labels with a decimal comma (Dutch: "99,95").
    pub(crate) decimal_comma: bool,
    /// Write whole-number ticks without decimals ("20", not "20.0").
    pub(crate) tidy_ticks: bool,
    /// At most this many light grid lines between two labelled ones (plotters draws ten).
    pub(crate) light_lines_max: Option<usize>,
    /// Bar charts: every bar in the first palette colour (bars of one quantity, e.g. months).
    pub(crate) one_colour: bool,
    /// Line charts: the legend in the lower left corner instead of the upper left (for data
    /// near the top, such as availability).
    pub(crate) legend_lower_left: bool,
    /// Line charts: a categorical x axis. Category `i` (0-based) sits at x = i + 1 and its
    /// tick is labelled with its name; the x values of the points must be those positions.
    pub(crate) x_categories: Vec<String>,
    /// Line charts: x tick labels with k/M/G suffixes (`1M`, not `1000000`).
    pub(crate) x_si: bool,
    /// Line charts: y is a ratio written as a percentage on the ticks (`99.9%`).
    pub(crate) y_percent: bool,
}

impl ChartOptions {
    fn formats_ticks(&self) -> bool {
        self.decimal_comma || self.tidy_ticks || self.x_si || self.y_percent || !self.x_categories.is_empty()
    }

    /// An x tick label.
    fn x_tick(&self, v: f64) -> String {
        if !self.x_categories.is_empty() {
            let i = v.round();
            return if (v - i).abs() < 1e-9 && i >= 1.0 {
                self.x_categories.get(i as usize - 1).cloned().unwrap_or_default()
            } else {
                String::new()
            };
        }
        if self.x_si {
            let s = super::si(v, 3);
            return if self.decimal_comma { s.replace('.', ",") } else { s };
        }
        tick_label(v, self)
    }

    /// A y tick label.
    fn y_tick(&self, v: f64) -> String {
        if self.y_percent {
            // Enough decimals to tell 99.9% from 99.95%, trailing zeros dropped.
            let mut s = format!("{:.4}", v * 100.0);
            s = s.trim_end_matches('0').trim_end_matches('.').to_string();
            let s = format!("{s}%");
            return if self.decimal_comma { s.replace('.', ",") } else { s };
        }
        tick_label(v, self)
    }
}

/// A tick label as plotters writes it, whole numbers without decimals when `tidy`, and with a
/// decimal comma when asked.
fn tick_label(v: f64, opts: &ChartOptions) -> String {
    let s = if opts.tidy_ticks && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        <plotters::coord::types::RangedCoordf64 as ValueFormatter<f64>>::format(&v)
    };
    if opts.decimal_comma { s.replace('.', ",") } else { s }
}

/// One bar with its 95% confidence interval.
#[derive(Clone, Debug)]
pub(crate) struct Bar {
    pub(crate) label: String,
    pub(crate) value: f64,
    pub(crate) ci95: Option<f64>,
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let parsed = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok();
        assert!(parsed, "the bundled font parses");
    });
}

fn err(title: &str, e: impl std::fmt::Display) -> PlotError {
    PlotError {
        title: title.to_string(),
        reason: e.to_string(),
    }
}

/// Range of finite values, padded; `log` ranges stay positive.
fn span(values: impl Iterator<Item = f64>, log: bool, pad_zero: bool) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return None;
    }
    if log {
        return Some(if lo == hi {
            (lo / 2.0, hi * 2.0)
        } else {
            (lo / 1.1, hi * 1.1)
        });
    }
    if pad_zero && lo > 0.0 {
        lo = 0.0;
    }
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else {
        hi.abs().max(1.0) * 0.1
    };
    Some((lo - if pad_zero && lo == 0.0 { 0.0 } else { pad }, hi + pad))
}

/// A line chart of `series` with shaded 95% bands and dashed `references`, as SVG text.
#[cfg(test)]
pub(crate) fn line_chart(spec: &LineChart, series: &[Series], references: &[Reference]) -> Result<String, PlotError> {
    line_chart_with(spec, series, references, &ChartOptions::default())
}

/// `line_chart` with a fixed y range and/or decimal-comma ticks.
pub(crate) fn line_chart_with(
    spec: &LineChart,
    series: &[Series],
    references: &[Reference],
    opts: &ChartOptions,
) -> Result<String, PlotError> {
    register_font();
    let [(x0, x1), (y0, y1)] = line_ranges(spec, series, references, opts)?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH_PX, HEIGHT_PX)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&spec.title, e))?;
        let mut b = ChartBuilder::on(&root);
        b.caption(&spec.title, (FONT, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64);
        let lines = Lines {
            spec,
            series,
            references,
            opts,
            x: (x0, x1),
            y0,
        };
        // The four axis combinations are distinct types in plotters, hence the macro.
        macro_rules! draw {
            ($xr:expr, $yr:expr) => {
                lines.draw(&mut b.build_cartesian_2d($xr, $yr).map_err(|e| err(&spec.title, e))?)?
            };
        }
        match (spec.log_x, spec.log_y) {
            (false, false) => draw!(x0..x1, y0..y1),
            (true, false) => draw!((x0..x1).log_scale(), y0..y1),
            (false, true) => draw!(x0..x1, (y0..y1).log_scale()),
            (true, true) => draw!((x0..x1).log_scale(), (y0..y1).log_scale()),
        }
        root.present().map_err(|e| err(&spec.title, e))?;
    }
    Ok(svg)
}

/// The x and y ranges (low, high) of a line chart: fitted to the points, their bands and the
/// references, unless the options fix them (categories on x, `y_range` on y).
fn line_ranges(
    spec: &LineChart,
    series: &[Series],
    references: &[Reference],
    opts: &ChartOptions,
) -> Result<[(f64, f64); 2], PlotError> {
    let all = || series.iter().flat_map(|s| s.points.iter());
    let (x0, x1) = span(all().map(|p| p.x), spec.log_x, false).ok_or_else(|| err(&spec.title, "no finite x"))?;
    // A categorical axis: half a category of room either side of the first and last.
    let (x0, x1) = if opts.x_categories.is_empty() {
        (x0, x1)
    } else {
        (0.5, opts.x_categories.len() as f64 + 0.5)
    };
    let ys = all()
        .flat_map(|p| {
            let c = p.ci95.unwrap_or(0.0);
            [p.y - c, p.y + c]
        })
        .chain(references.iter().map(|r| r.y));
    let (y0, y1) = span(ys, spec.log_y, !spec.log_y).ok_or_else(|| err(&spec.title, "no finite y"))?;
    let (y0, y1) = match opts.y_range {
        Some((lo, hi)) if lo.is_finite() && hi.is_finite() && lo < hi => (lo, hi),
        Some(r) => return Err(err(&spec.title, format!("bad y range {r:?}"))),
        None => (y0, y1),
    };
    Ok([(x0, x1), (y0, y1)])
}

/// What a line chart draws on its axes, whichever scale they have.
struct Lines<'a> {
    spec: &'a LineChart,
    series: &'a [Series],
    references: &'a [Reference],
    opts: &'a ChartOptions,
    /// The x range, which the references span.
    x: (f64, f64),
    /// The bottom of the y range, where a log-scale band stops.
    y0: f64,
}

/// A line chart's plotting area on a linear or logarithmic x and y axis.
type LineArea<'c, 'b, X, Y> = ChartContext<'c, SVGBackend<'b>, Cartesian2d<X, Y>>;

impl Lines<'_> {
    /// Draw the mesh, every series with its band, the references and the legend.
    fn draw<'c, 'b: 'c, X, Y>(&self, chart: &mut LineArea<'c, 'b, X, Y>) -> Result<(), PlotError>
    where
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        self.draw_mesh(chart)?;
        for (i, s) in self.series.iter().enumerate() {
            self.draw_series(chart, s, PALETTE[i % PALETTE.len()])?;
        }
        self.draw_references(chart)?;
        self.draw_legend(chart)
    }

    /// The axes, their labels and ticks, and the grid.
    fn draw_mesh<X, Y>(&self, chart: &mut LineArea<'_, '_, X, Y>) -> Result<(), PlotError>
    where
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let (spec, opts) = (self.spec, self.opts);
        let fx = |v: &f64| opts.x_tick(*v);
        let fy = |v: &f64| opts.y_tick(*v);
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(&spec.x_label)
            .y_desc(&spec.y_label)
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 13))
            .light_line_style(RGBColor(235, 235, 235));
        if opts.formats_ticks() {
            mesh.x_label_formatter(&fx).y_label_formatter(&fy);
        }
        if !opts.x_categories.is_empty() {
            mesh.x_labels(opts.x_categories.len() + 1);
        }
        if let Some(k) = opts.light_lines_max {
            mesh.max_light_lines(k);
        }
        mesh.draw().map_err(|e| err(&spec.title, e))
    }

    /// One series: its shaded 95% band (with two or more points and a CI), its line (with a
    /// legend entry) and a dot per point.
    fn draw_series<X, Y>(
        &self,
        chart: &mut LineArea<'_, '_, X, Y>,
        s: &Series,
        colour: RGBColor,
    ) -> Result<(), PlotError>
    where
        X: Ranged<ValueType = f64>,
        Y: Ranged<ValueType = f64>,
    {
        let spec = self.spec;
        let pts: Vec<&Point> = s
            .points
            .iter()
            .filter(|p| p.x.is_finite() && p.y.is_finite() && (!spec.log_x || p.x > 0.0))
            .collect();
        if pts.iter().any(|p| p.ci95.is_some()) && pts.len() > 1 {
            let floor = if spec.log_y { self.y0 } else { f64::NEG_INFINITY };
            let upper = pts.iter().map(|p| (p.x, p.y + p.ci95.unwrap_or(0.0)));
            let lower = pts
                .iter()
                .rev()
                .map(|p| (p.x, (p.y - p.ci95.unwrap_or(0.0)).max(floor)));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    upper.chain(lower).collect::<Vec<_>>(),
                    colour.mix(0.18).filled(),
                )))
                .map_err(|e| err(&spec.title, e))?;
        }
        chart
            .draw_series(LineSeries::new(pts.iter().map(|p| (p.x, p.y)), colour.stroke_width(2)))
            .map_err(|e| err(&spec.title, e))?
            .label(s.label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)));
        chart
            .draw_series(pts.iter().map(|p| Circle::new((p.x, p.y), 3, colour.filled())))
            .map_err(|e| err(&spec.title, e))?;
        Ok(())
    }

    /// The references: dashed red lines across the chart, each with a legend entry.
    fn draw_references<X, Y>(&self, chart: &mut LineArea<'_, '_, X, Y>) -> Result<(), PlotError>
    where
        X: Ranged<ValueType = f64>,
        Y: Ranged<ValueType = f64>,
    {
        let (x0, x1) = self.x;
        for r in self.references {
            let style = RGBColor(180, 0, 0).stroke_width(1);
            chart
                .draw_series(DashedLineSeries::new([(x0, r.y), (x1, r.y)], 6, 4, style))
                .map_err(|e| err(&self.spec.title, e))?
                .label(r.label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
        }
        Ok(())
    }

    /// The legend, when there is more than one line or a named one.
    fn draw_legend<'c, 'b: 'c, X, Y>(&self, chart: &mut LineArea<'c, 'b, X, Y>) -> Result<(), PlotError>
    where
        X: Ranged<ValueType = f64>,
        Y: Ranged<ValueType = f64>,
    {
        let series = self.series;
        if series.len() + self.references.len() > 1 || series.iter().any(|s| !s.label.is_empty()) {
            chart
                .configure_series_labels()
                .label_font((FONT, 12))
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(200, 200, 200))
                .position(if self.opts.legend_lower_left {
                    SeriesLabelPosition::LowerLeft
                } else {
                    SeriesLabelPosition::UpperLeft
                })
                .draw()
                .map_err(|e| err(&self.spec.title, e))?;
        }
        Ok(())
    }
}

/// A bar chart with 95% error bars and an optional dashed reference line, as SVG text.
pub(crate) fn bar_chart(
    title: &str,
    y_label: &str,
    bars: &[Bar],
    reference: Option<&Reference>,
) -> Result<String, PlotError> {
    bar_chart_with(title, y_label, bars, reference, &ChartOptions::default())
}

/// `bar_chart` with [`ChartOptions`]; `y_range` and `legend_lower_left` do not apply (bars
/// start at zero; the reference's legend sits upper right).
pub(crate) fn bar_chart_with(
    title: &str,
    y_label: &str,
    bars: &[Bar],
    reference: Option<&Reference>,
    opts: &ChartOptions,
) -> Result<String, PlotError> {
    register_font();
    if bars.is_empty() {
        return Err(err(title, "no bars"));
    }
    let tops = bars
        .iter()
        .map(|b| b.value + b.ci95.unwrap_or(0.0))
        .chain(reference.map(|r| r.y));
    let (_, y1) = span(tops.chain(std::iter::once(0.0)), false, true).ok_or_else(|| err(title, "no finite value"))?;
    let y1 = if y1 > 0.0 { y1 } else { 1.0 };
    let n = bars.len();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH_PX, HEIGHT_PX)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(title, e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(if n > 6 { 70 } else { 40 })
            .y_label_area_size(64)
            // plotters' integer ranges include their end: 0..n-1 is n segments, one per bar.
            .build_cartesian_2d((0..n - 1).into_segmented(), 0.0..y1)
            .map_err(|e| err(title, e))?;
        draw_bar_mesh(&mut chart, title, y_label, bars, opts)?;
        draw_bars(&mut chart, title, bars, opts)?;
        if let Some(r) = reference {
            draw_bar_reference(&mut chart, title, r, n)?;
        }
        root.present().map_err(|e| err(title, e))?;
    }
    Ok(svg)
}

/// A bar chart's plotting area: one segment per bar on x, the value on y.
type BarArea<'c, 'b> = ChartContext<'c, SVGBackend<'b>, Cartesian2d<SegmentedCoord<RangedCoordusize>, RangedCoordf64>>;

/// A bar chart's axes: each bar's label under it, the y ticks and the grid.
fn draw_bar_mesh(
    chart: &mut BarArea<'_, '_>,
    title: &str,
    y_label: &str,
    bars: &[Bar],
    opts: &ChartOptions,
) -> Result<(), PlotError> {
    let fmt_y = |v: &f64| tick_label(*v, opts);
    let fmt_x = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) => bars.get(*i).map(|b| b.label.clone()).unwrap_or_default(),
        _ => String::new(),
    };
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .y_desc(y_label)
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 13))
        .light_line_style(RGBColor(235, 235, 235))
        .x_labels(bars.len())
        .x_label_formatter(&fmt_x);
    if opts.formats_ticks() {
        mesh.y_label_formatter(&fmt_y);
    }
    if let Some(k) = opts.light_lines_max {
        mesh.max_light_lines(k);
    }
    mesh.draw().map_err(|e| err(title, e))
}

/// The bars (negative values drawn as zero), then the error bars of those with a CI.
fn draw_bars(chart: &mut BarArea<'_, '_>, title: &str, bars: &[Bar], opts: &ChartOptions) -> Result<(), PlotError> {
    chart
        .draw_series(bars.iter().enumerate().map(|(i, b)| {
            let colour = PALETTE[if opts.one_colour { 0 } else { i % PALETTE.len() }];
            let mut r = Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), b.value.max(0.0)),
                ],
                colour.mix(0.8).filled(),
            );
            r.set_margin(0, 0, 12, 12);
            r
        }))
        .map_err(|e| err(title, e))?;
    chart
        .draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
            let c = b.ci95?;
            Some(ErrorBar::new_vertical(
                SegmentValue::CenterOf(i),
                (b.value - c).max(0.0),
                b.value,
                b.value + c,
                BLACK.stroke_width(1),
                8,
            ))
        }))
        .map_err(|e| err(title, e))?;
    Ok(())
}

/// The reference: a dashed red line across the `n` bars, with its legend upper right.
fn draw_bar_reference<'c, 'b: 'c>(
    chart: &mut BarArea<'c, 'b>,
    title: &str,
    r: &Reference,
    n: usize,
) -> Result<(), PlotError> {
    let style = RGBColor(180, 0, 0).stroke_width(1);
    chart
        .draw_series(DashedLineSeries::new(
            [(SegmentValue::Exact(0), r.y), (SegmentValue::Exact(n), r.y)],
            6,
            4,
            style,
        ))
        .map_err(|e| err(title, e))?
        .label(r.label.clone())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
    chart
        .configure_series_labels()
        .label_font((FONT, 12))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| err(title, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(label: &str, k: f64) -> Series {
        Series {
            label: label.into(),
            points: (1..=6)
                .map(|i| Point {
                    x: 10f64.powi(i),
                    y: k * f64::from(i),
                    ci95: Some(0.5),
                })
                .collect(),
        }
    }

    #[test]
    fn line_chart_draws_every_series_band_and_reference() {
        let spec = LineChart {
            title: "p99 vs traffic".into(),
            x_label: "visitors/month".into(),
            y_label: "latency_ms_p99".into(),
            log_x: true,
            log_y: false,
        };
        let svg = line_chart(
            &spec,
            &[line("web=2", 2.0), line("web=3", 1.0)],
            &[Reference {
                label: "SLO".into(),
                y: 9.0,
            }],
        )
        .unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(svg.contains("web=2") && svg.contains("web=3") && svg.contains("SLO"));
        assert_eq!(svg.matches("<polygon").count(), 2, "one CI band per series");
        // Same input, same bytes.
        let again = line_chart(
            &spec,
            &[line("web=2", 2.0), line("web=3", 1.0)],
            &[Reference {
                label: "SLO".into(),
                y: 9.0,
            }],
        )
        .unwrap();
        assert_eq!(svg, again);
    }

    #[test]
    fn bar_chart_labels_each_bar() {
        let bars = [
            Bar {
                label: "single".into(),
                value: 320.0,
                ci95: Some(19.0),
            },
            Bar {
                label: "park".into(),
                value: 160.0,
                ci95: None,
            },
        ];
        let svg = bar_chart("downtime", "min/year", &bars, None).unwrap();
        assert!(svg.contains("single") && svg.contains("park"));
        assert!(svg.matches("<rect").count() >= 3, "background + two bars");
    }

    #[test]
    fn category_axis_si_ticks_and_percent_ticks() {
        let texts = |svg: &str| -> Vec<String> {
            svg.split("</text>")
                .filter_map(|t| t.rsplit_once('>').map(|(_, x)| x.trim().to_string()))
                .collect()
        };
        let categories = ["roundrobin", "leastconn", "source"];
        let s = Series {
            label: String::new(),
            points: (1..=3)
                .map(|i| Point {
                    x: f64::from(i),
                    y: 0.999 + f64::from(i) * 0.0002,
                    ci95: None,
                })
                .collect(),
        };
        let opts = ChartOptions {
            x_categories: categories.iter().map(|c| c.to_string()).collect(),
            y_percent: true,
            y_range: Some((0.9985, 1.0)),
            ..ChartOptions::default()
        };
        let svg = line_chart_with(&LineChart::default(), std::slice::from_ref(&s), &[], &opts).unwrap();
        let t = texts(&svg);
        for c in categories {
            assert!(t.iter().any(|x| x == c), "no tick `{c}`: {t:?}");
        }
        assert!(!t.iter().any(|x| x == "1.0" || x == "2.5"), "numeric x ticks: {t:?}");
        assert!(t.iter().any(|x| x == "99.9%"), "percent y ticks: {t:?}");
        let traffic = Series {
            label: String::new(),
            points: [100e3, 1e6, 3e6]
                .iter()
                .map(|&x| Point { x, y: 50.0, ci95: None })
                .collect(),
        };
        let opts = ChartOptions {
            x_si: true,
            ..ChartOptions::default()
        };
        let t = texts(&line_chart_with(&LineChart::default(), &[traffic], &[], &opts).unwrap());
        assert!(t.iter().any(|x| x.ends_with('M')), "SI x ticks: {t:?}");
        assert!(!t.iter().any(|x| x.contains("000000")), "raw x ticks: {t:?}");
    }

    #[test]
    fn options_fix_the_y_range_and_write_dutch_ticks() {
        let s = Series {
            label: "availability".into(),
            points: (1..=12)
                .map(|m| Point {
                    x: f64::from(m),
                    y: 99.95 + f64::from(m % 2) * 0.03,
                    ci95: Some(0.01),
                })
                .collect(),
        };
        let opts = ChartOptions {
            y_range: Some((99.9, 100.0)),
            decimal_comma: true,
            tidy_ticks: true,
            ..ChartOptions::default()
        };
        // The text of every <text> element.
        let texts = |svg: &str| -> Vec<String> {
            svg.split("</text>")
                .filter_map(|t| t.rsplit_once('>').map(|(_, x)| x.trim().to_string()))
                .collect()
        };
        let svg = line_chart_with(&LineChart::default(), std::slice::from_ref(&s), &[], &opts).unwrap();
        let ticks = texts(&svg);
        assert!(
            ticks.contains(&"99,95".into()) && ticks.contains(&"100".into()),
            "{ticks:?}"
        );
        assert!(
            !ticks.contains(&"0".into()),
            "the y axis does not start at zero: {ticks:?}"
        );
        let plain = texts(&line_chart(&LineChart::default(), &[s], &[]).unwrap());
        assert!(plain.contains(&"0.0".into()), "the default starts at zero: {plain:?}");
        let bad = ChartOptions {
            y_range: Some((1.0, 1.0)),
            ..ChartOptions::default()
        };
        assert!(line_chart_with(&LineChart::default(), &[], &[], &bad).is_err());
        assert_eq!(tick_label(20.0, &opts), "20");
        assert_eq!(tick_label(99.5, &opts), "99,5");
    }

    #[test]
    fn no_finite_values_is_an_error_not_a_panic() {
        let s = Series {
            label: "x".into(),
            points: vec![Point {
                x: f64::NAN,
                y: 1.0,
                ci95: None,
            }],
        };
        assert!(line_chart(&LineChart::default(), &[s], &[]).is_err());
        assert!(bar_chart("t", "y", &[], None).is_err());
    }
}
