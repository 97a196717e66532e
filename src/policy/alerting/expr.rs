//! The PromQL subset the alerting machine evaluates, over the series simpark produces.
//!
//! Job: one typed expression tree ([`Expr`]) for built-in and imported rules, and its
//! evaluation at an instant over the machine's sample store, with Prometheus' semantics:
//! instant selectors with lookback and staleness, range selectors, `rate`/`increase`/`delta`
//! with promql's extrapolation (`extrapolatedRate`), `deriv` and `predict_linear` (least
//! squares from the running sums of `window.rs`; `linear_regression`, promql's own
//! Kahan-summed one, where a window holds NaN or an infinity), `*_over_time`, arithmetic and
//! comparisons (filtering or `bool`), `and`/`or`/`unless`, `on`/`ignoring` one-to-one
//! matching and `sum/min/max/avg/count [by|without]`.
//! What is outside the subset is refused when the rule is compiled (`promql.rs`), never here.
//! Queries on a compiled expression say what it reads (`series`), whether it can give anything
//! from a subset of the series (`can_select`) and whether its alerts keep `instance`
//! (`keeps_instance`): how the availability mode decides which rules it can feed.
//!
//! Series carry three labels: `instance` (the target), `job` and `code` (HTTP class of
//! HAProxy's response counter); [`Metric`] lists every series simpark produces.
//!
//! It must never: read a clock, allocate per request (evaluation runs once per
//! `evaluation_interval`), or iterate a hash map.

use super::Series;
use super::window::{self, History};
use crate::units::{SimDuration, SimTime};
use std::collections::BTreeMap;

/// What a sample measures. The caller's scraper produces these per target.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// 1 if the last scrape succeeded, 0 if it failed (Prometheus' synthetic `up`).
    Up,
    /// 1-minute load average divided by the number of cores [-].
    LoadPerCore,
    /// 1-minute load average [-] (node_exporter `node_load1`).
    Load1,
    /// Memory in use [%].
    MemoryUsedPercent,
    /// Disk space in use [%].
    DiskUsedPercent,
    /// Free disk space [bytes] (node_exporter `node_filesystem_avail_bytes`).
    DiskFreeBytes,
    /// Disk size [bytes] (node_exporter `node_filesystem_size_bytes`).
    DiskSizeBytes,
    /// SMART health warning (1 = warning, 0 = healthy).
    SmartWarning,
    /// Requests the balancer received, a counter (HAProxy exporter).
    HttpRequests,
    /// Responses with a 2xx status, a counter (`code="2xx"`).
    HttpResponses2xx,
    /// Responses with a 5xx status, a counter (`code="5xx"`).
    HttpResponses5xx,
}

impl Metric {
    pub(crate) const ALL: [Metric; 11] = [
        Metric::Up,
        Metric::LoadPerCore,
        Metric::Load1,
        Metric::MemoryUsedPercent,
        Metric::DiskUsedPercent,
        Metric::DiskFreeBytes,
        Metric::DiskSizeBytes,
        Metric::SmartWarning,
        Metric::HttpRequests,
        Metric::HttpResponses2xx,
        Metric::HttpResponses5xx,
    ];

    /// The series name in PromQL.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Up => "up",
            Metric::LoadPerCore => "simpark_load_per_core",
            Metric::Load1 => "node_load1",
            Metric::MemoryUsedPercent => "simpark_memory_used_percent",
            Metric::DiskUsedPercent => "simpark_disk_used_percent",
            Metric::DiskFreeBytes => "node_filesystem_avail_bytes",
            Metric::DiskSizeBytes => "node_filesystem_size_bytes",
            Metric::SmartWarning => "simpark_smart_warning",
            Metric::HttpRequests => "haproxy_backend_http_requests_total",
            Metric::HttpResponses2xx | Metric::HttpResponses5xx => "haproxy_backend_http_responses_total",
        }
    }

    /// The `job` label: node_exporter on the servers, the HAProxy exporter on lb1.
    pub fn job(self) -> &'static str {
        match self {
            Metric::HttpRequests | Metric::HttpResponses2xx | Metric::HttpResponses5xx => "haproxy",
            _ => "node",
        }
    }

    /// The `code` label of HAProxy's response counter.
    pub fn code(self) -> Option<&'static str> {
        match self {
            Metric::HttpResponses2xx => Some("2xx"),
            Metric::HttpResponses5xx => Some("5xx"),
            _ => None,
        }
    }
}

/// A label name simpark's series can carry.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LabelName {
    /// `instance`: the scrape target.
    Instance,
    /// `job`: the exporter.
    Job,
    /// `code`: the HTTP status class of a request counter.
    Code,
}

/// The labels of a series or of an expression's result element (without `__name__`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Labels {
    /// `instance`: the caller's target index.
    pub target: Option<usize>,
    /// `job`: the exporter, when set.
    pub job: Option<&'static str>,
    /// `code`: the HTTP status class, when set.
    pub code: Option<&'static str>,
}

impl Labels {
    /// The labels of `metric` scraped from `target`.
    pub(crate) fn of(target: usize, metric: Metric) -> Labels {
        Labels {
            target: Some(target),
            job: Some(metric.job()),
            code: metric.code(),
        }
    }

    /// Keep only `names` (`keep`), or drop them.
    fn project(self, names: &[LabelName], keep: bool) -> Labels {
        let has = |n| names.contains(&n) == keep;
        Labels {
            target: self.target.filter(|_| has(LabelName::Instance)),
            job: self.job.filter(|_| has(LabelName::Job)),
            code: self.code.filter(|_| has(LabelName::Code)),
        }
    }
}

/// Label grouping of `by (...)`/`without (...)` or matching of `on (...)`/`ignoring (...)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Grouping {
    /// `by`/`on` (true) or `without`/`ignoring` (false).
    pub(crate) keep: bool,
    pub(crate) labels: Vec<LabelName>,
}

/// A function over a range of samples.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum RangeFn {
    /// PromQL `rate(m[w])`.
    Rate,
    /// PromQL `increase(m[w])`.
    Increase,
    /// PromQL `delta(m[w])`.
    Delta,
    /// PromQL `deriv(m[w])`.
    Deriv,
    /// PromQL `avg_over_time(m[w])`.
    AvgOverTime,
    /// PromQL `min_over_time(m[w])`.
    MinOverTime,
    /// PromQL `max_over_time(m[w])`.
    MaxOverTime,
    /// `predict_linear(m[w], horizon)`, horizon [s].
    PredictLinear(f64),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
/// A PromQL binary operator.
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `and`
    And,
    /// `or`
    Or,
    /// `unless`
    Unless,
}

impl BinOp {
    fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Gt | BinOp::Ge | BinOp::Lt | BinOp::Le
        )
    }

    fn is_set(self) -> bool {
        matches!(self, BinOp::And | BinOp::Or | BinOp::Unless)
    }

    /// Arithmetic value, or for a comparison whether it holds (1/0).
    fn apply(self, a: f64, b: f64) -> f64 {
        let t = |c: bool| if c { 1.0 } else { 0.0 };
        match self {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mul => a * b,
            BinOp::Div => a / b,
            BinOp::Eq => t(a == b),
            BinOp::Ne => t(a != b),
            BinOp::Gt => t(a > b),
            BinOp::Ge => t(a >= b),
            BinOp::Lt => t(a < b),
            BinOp::Le => t(a <= b),
            BinOp::And | BinOp::Or | BinOp::Unless => unreachable!("set operators act on label sets"),
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
/// A PromQL aggregation operator.
pub enum AggOp {
    /// `sum`
    Sum,
    /// `min`
    Min,
    /// `max`
    Max,
    /// `avg`
    Avg,
    /// `count`
    Count,
}

/// An alerting rule's expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number literal.
    Number(f64),
    /// Instant selector: the series of these metrics (one name, label matchers applied).
    Select(Vec<Metric>),
    /// A function over the range selector `metrics[window]`.
    Range {
        /// The function applied to each series' samples.
        func: RangeFn,
        /// The selected metrics.
        metrics: Vec<Metric>,
        /// The range `w`.
        window: SimDuration,
    },
    /// Unary minus.
    Neg(Box<Expr>),
    /// `lhs op rhs`.
    Binary {
        /// The operator.
        op: BinOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
        /// The `bool` modifier of a comparison.
        return_bool: bool,
        /// `on(...)` / `ignoring(...)` vector matching; `None`: all labels.
        matching: Option<Grouping>,
    },
    /// `op by/without (...) (expr)`.
    Aggregate {
        /// The aggregation.
        op: AggOp,
        /// `by(...)` / `without(...)`; `None`: over everything.
        grouping: Option<Grouping>,
        /// The aggregated expression.
        expr: Box<Expr>,
    },
}

/// A value during evaluation.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Value {
    Scalar(f64),
    Vector(BTreeMap<Labels, f64>),
}

/// What an evaluation reads: the sample store at instant `ts`.
pub(super) struct Ctx<'a> {
    /// By (metric, target): a selector reads its metrics' ranges.
    pub(crate) series: &'a BTreeMap<(Metric, usize), Series>,
    pub(crate) ts: SimTime,
    pub(crate) lookback: SimDuration,
    /// Prometheus 2.x windows `[ts - w, ts]` (true) or 3.x `(ts - w, ts]` (false).
    pub(crate) closed: bool,
}

impl<'a> Ctx<'a> {
    /// The series of `metrics`, by metric then target.
    fn of(&self, metrics: &'a [Metric]) -> impl Iterator<Item = (&'a (Metric, usize), &'a Series)> + use<'a> {
        let series = self.series;
        metrics
            .iter()
            .flat_map(move |&m| series.range((m, 0)..=(m, usize::MAX)))
    }

    /// Instant selector: the newest sample in the lookback window not hidden by staleness.
    fn instant(&self, s: &Series) -> Option<f64> {
        let &(t, v) = s.samples.samples().iter().rev().find(|&&(t, _)| t <= self.ts)?;
        let stale = s.stale_at.is_some_and(|st| t <= st && st <= self.ts);
        (window::inside(t, self.ts, self.lookback, self.closed) && !stale).then_some(v)
    }
}

impl Expr {
    /// Whether the expression is a scalar (numbers only).
    pub(crate) fn is_scalar(&self) -> bool {
        match self {
            Expr::Number(_) => true,
            Expr::Neg(e) => e.is_scalar(),
            Expr::Binary { lhs, rhs, .. } => lhs.is_scalar() && rhs.is_scalar(),
            _ => false,
        }
    }

    /// The longest range a selector of this expression reads.
    pub(crate) fn window_max(&self) -> SimDuration {
        match self {
            Expr::Range { window, .. } => *window,
            Expr::Neg(e) | Expr::Aggregate { expr: e, .. } => e.window_max(),
            Expr::Binary { lhs, rhs, .. } => lhs.window_max().max(rhs.window_max()),
            Expr::Number(_) | Expr::Select(_) => SimDuration::ZERO,
        }
    }

    /// Every (metric, window) a range selector of the expression reads.
    pub(crate) fn ranges(&self, out: &mut Vec<(Metric, SimDuration)>) {
        match self {
            Expr::Number(_) | Expr::Select(_) => {}
            Expr::Range { metrics, window, .. } => out.extend(metrics.iter().map(|&m| (m, *window))),
            Expr::Neg(e) | Expr::Aggregate { expr: e, .. } => e.ranges(out),
            Expr::Binary { lhs, rhs, .. } => {
                lhs.ranges(out);
                rhs.ranges(out);
            }
        }
    }

    /// Every series a selector of the expression reads, in [`Metric::ALL`] order, each once.
    pub(crate) fn series(&self) -> Vec<Metric> {
        fn walk(e: &Expr, out: &mut Vec<Metric>) {
            match e {
                Expr::Number(_) => {}
                Expr::Select(ms) | Expr::Range { metrics: ms, .. } => out.extend(ms),
                Expr::Neg(e) | Expr::Aggregate { expr: e, .. } => walk(e, out),
                Expr::Binary { lhs, rhs, .. } => {
                    walk(lhs, out);
                    walk(rhs, out);
                }
            }
        }
        let mut read = Vec::new();
        walk(self, &mut read);
        Metric::ALL.into_iter().filter(|m| read.contains(m)).collect()
    }

    /// Whether the expression can give any element when only the series `have` are scraped:
    /// a selector needs one of its metrics, `or` either side, `unless` its left side (an
    /// empty right side filters nothing), every other operator both sides (a number always).
    pub(crate) fn can_select(&self, have: &[Metric]) -> bool {
        match self {
            Expr::Number(_) => true,
            Expr::Select(ms) | Expr::Range { metrics: ms, .. } => ms.iter().any(|m| have.contains(m)),
            Expr::Neg(e) | Expr::Aggregate { expr: e, .. } => e.can_select(have),
            Expr::Binary { op, lhs, rhs, .. } => match op {
                BinOp::Or => lhs.can_select(have) || rhs.can_select(have),
                BinOp::Unless => lhs.can_select(have),
                _ => lhs.can_select(have) && rhs.can_select(have),
            },
        }
    }

    /// Whether every element of the result carries the `instance` label of the series it
    /// came from: false once an aggregation (without `by (instance)`) or a one-to-one
    /// matching (`on (...)` without `instance`, `ignoring (instance)`) drops it.
    pub(crate) fn keeps_instance(&self) -> bool {
        let kept = |g: &Grouping| g.keep == g.labels.contains(&LabelName::Instance);
        match self {
            Expr::Number(_) | Expr::Select(_) | Expr::Range { .. } => true,
            Expr::Neg(e) => e.keeps_instance(),
            Expr::Aggregate { grouping, expr, .. } => grouping.as_ref().is_some_and(kept) && expr.keeps_instance(),
            Expr::Binary {
                op, lhs, rhs, matching, ..
            } => match op {
                // The left side's elements, whole.
                BinOp::And | BinOp::Unless => lhs.keeps_instance(),
                BinOp::Or => lhs.keeps_instance() && rhs.keeps_instance(),
                // Between two vectors the result takes the matching labels (all without
                // `on`/`ignoring`); a number takes nothing away.
                _ => lhs.keeps_instance() && rhs.keeps_instance() && matching.as_ref().is_none_or(kept),
            },
        }
    }

    pub(super) fn eval(&self, cx: &Ctx) -> Value {
        match self {
            Expr::Number(x) => Value::Scalar(*x),
            Expr::Select(metrics) => Value::Vector(
                cx.of(metrics)
                    .filter_map(|(&(m, t), s)| cx.instant(s).map(|v| (Labels::of(t, m), v)))
                    .collect(),
            ),
            Expr::Range { func, metrics, window } => Value::Vector(
                cx.of(metrics)
                    .filter_map(|(&(m, t), s)| {
                        range_fn(*func, &s.samples, cx.ts, *window).map(|v| (Labels::of(t, m), v))
                    })
                    .collect(),
            ),
            Expr::Neg(e) => match e.eval(cx) {
                Value::Scalar(x) => Value::Scalar(-x),
                Value::Vector(v) => Value::Vector(v.into_iter().map(|(l, x)| (l, -x)).collect()),
            },
            Expr::Binary {
                op,
                lhs,
                rhs,
                return_bool,
                matching,
            } => binary(*op, lhs.eval(cx), rhs.eval(cx), *return_bool, matching.as_ref()),
            Expr::Aggregate { op, grouping, expr } => {
                let Value::Vector(v) = expr.eval(cx) else {
                    unreachable!("compiled: aggregations take vectors")
                };
                Value::Vector(aggregate(*op, grouping.as_ref(), v))
            }
        }
    }
}

fn binary(op: BinOp, lhs: Value, rhs: Value, return_bool: bool, matching: Option<&Grouping>) -> Value {
    let filter = op.is_comparison() && !return_bool;
    match (lhs, rhs) {
        (Value::Scalar(a), Value::Scalar(b)) => Value::Scalar(op.apply(a, b)),
        (Value::Vector(v), Value::Scalar(b)) => Value::Vector(
            v.into_iter()
                .filter_map(|(l, a)| {
                    let r = op.apply(a, b);
                    if filter {
                        (r == 1.0).then_some((l, a))
                    } else {
                        Some((l, r))
                    }
                })
                .collect(),
        ),
        (Value::Scalar(a), Value::Vector(v)) => Value::Vector(
            v.into_iter()
                .filter_map(|(l, b)| {
                    let r = op.apply(a, b);
                    // promql keeps the vector's value when the scalar is on the left.
                    if filter {
                        (r == 1.0).then_some((l, b))
                    } else {
                        Some((l, r))
                    }
                })
                .collect(),
        ),
        (Value::Vector(a), Value::Vector(b)) => {
            let key = |l: Labels| match matching {
                Some(g) => l.project(&g.labels, g.keep),
                None => l,
            };
            let rhs: BTreeMap<Labels, f64> = b.iter().map(|(&l, &x)| (key(l), x)).collect();
            let mut out = BTreeMap::new();
            match op {
                BinOp::And => out.extend(a.into_iter().filter(|(l, _)| rhs.contains_key(&key(*l)))),
                BinOp::Unless => out.extend(a.into_iter().filter(|(l, _)| !rhs.contains_key(&key(*l)))),
                BinOp::Or => {
                    let left: Vec<Labels> = a.keys().map(|&l| key(l)).collect();
                    out.extend(a);
                    out.extend(b.into_iter().filter(|(l, _)| !left.contains(&key(*l))));
                }
                _ => {
                    debug_assert!(!op.is_set());
                    for (l, x) in a {
                        let k = key(l);
                        let Some(&y) = rhs.get(&k) else { continue };
                        let r = op.apply(x, y);
                        // One-to-one matching: the result carries the matching labels.
                        if !filter {
                            out.insert(k, r);
                        } else if r == 1.0 {
                            out.insert(k, x);
                        }
                    }
                }
            }
            Value::Vector(out)
        }
    }
}

fn aggregate(op: AggOp, grouping: Option<&Grouping>, v: BTreeMap<Labels, f64>) -> BTreeMap<Labels, f64> {
    // group key -> (sum, min, max, count)
    let mut groups: BTreeMap<Labels, (f64, f64, f64, f64)> = BTreeMap::new();
    for (l, x) in v {
        let k = match grouping {
            Some(g) => l.project(&g.labels, g.keep),
            None => Labels::default(),
        };
        let e = groups.entry(k).or_insert((0.0, f64::INFINITY, f64::NEG_INFINITY, 0.0));
        e.0 += x;
        e.1 = e.1.min(x);
        e.2 = e.2.max(x);
        e.3 += 1.0;
    }
    groups
        .into_iter()
        .map(|(k, (sum, min, max, n))| {
            let v = match op {
                AggOp::Sum => sum,
                AggOp::Min => min,
                AggOp::Max => max,
                AggOp::Avg => sum / n,
                AggOp::Count => n,
            };
            (k, v)
        })
        .collect()
}

/// A range function over the samples of `h` in its window of `window` ending at `ts` (the
/// window advanced to `ts`): sums, means and extremes kept by the window.
fn range_fn(func: RangeFn, h: &History, ts: SimTime, window: SimDuration) -> Option<f64> {
    let points = h.points(window);
    points.first()?;
    match func {
        RangeFn::Rate | RangeFn::Increase | RangeFn::Delta => {
            let counter = func != RangeFn::Delta;
            extrapolated_rate(
                points,
                ts,
                window,
                counter,
                func == RangeFn::Rate,
                counter && h.drops(window),
            )
        }
        RangeFn::Deriv => (points.len() >= 2).then(|| h.regression(window, points[0].0).0),
        RangeFn::PredictLinear(horizon) => (points.len() >= 2).then(|| {
            let (slope, intercept) = h.regression(window, ts);
            slope * horizon + intercept
        }),
        RangeFn::AvgOverTime => Some(h.mean(window)),
        RangeFn::MinOverTime => Some(h.extreme(window, true)),
        RangeFn::MaxOverTime => Some(h.extreme(window, false)),
    }
}

/// promql `extrapolatedRate` (functions.go): the difference over the window (counter resets
/// added back), extrapolated to the window's edges when the first/last sample is within 1.1
/// average intervals of them (else by half an interval), never below a counter's zero point.
/// Times in milliseconds, as Prometheus keeps them.
fn extrapolated_rate(
    points: &[(SimTime, f64)],
    ts: SimTime,
    window: SimDuration,
    is_counter: bool,
    is_rate: bool,
    resets: bool,
) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let ms = |t: SimTime| (t.as_nanos() / 1_000_000) as i64;
    let range_end = ms(ts);
    let range_start = range_end - (window.as_nanos() / 1_000_000) as i64;
    let (t0, v0) = points[0];
    let (tn, vn) = points[points.len() - 1];
    let mut result = vn - v0;
    // Without a drop (`resets` false) the loop below adds nothing: the first value is
    // compared with 0, and adding 0 to `vn - v0` (never -0) changes no bit.
    if resets {
        let mut last = 0.0;
        for &(_, v) in points {
            if v < last {
                result += last;
            }
            last = v;
        }
    }
    let mut to_start = (ms(t0) - range_start) as f64 / 1000.0;
    let to_end = (range_end - ms(tn)) as f64 / 1000.0;
    let sampled = (ms(tn) - ms(t0)) as f64 / 1000.0;
    let avg_between = sampled / (points.len() - 1) as f64;
    if is_counter && result > 0.0 && v0 >= 0.0 {
        let to_zero = sampled * (v0 / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = avg_between * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold {
        to_start
    } else {
        avg_between / 2.0
    };
    interval += if to_end < threshold { to_end } else { avg_between / 2.0 };
    result *= interval / sampled;
    if is_rate {
        result /= window.as_secs_f64();
    }
    Some(result)
}

/// Neumaier-compensated summation step (promql `kahanSumInc`).
pub(super) fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

/// promql `linearRegression`: slope [per s] and the intercept at `intercept_time`.
pub(super) fn linear_regression(points: &[(SimTime, f64)], intercept_time: SimTime) -> (f64, f64) {
    let (mut n, mut sx, mut cx, mut sy, mut cy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut sxy, mut cxy, mut sx2, mut cx2) = (0.0, 0.0, 0.0, 0.0);
    let init_y = points[0].1;
    let mut const_y = true;
    for (i, &(t, y)) in points.iter().enumerate() {
        if const_y && i > 0 && y != init_y {
            const_y = false;
        }
        n += 1.0;
        let x = (t.as_nanos() as f64 - intercept_time.as_nanos() as f64) / 1e9;
        (sx, cx) = kahan_inc(x, sx, cx);
        (sy, cy) = kahan_inc(y, sy, cy);
        (sxy, cxy) = kahan_inc(x * y, sxy, cxy);
        (sx2, cx2) = kahan_inc(x * x, sx2, cx2);
    }
    if const_y {
        if init_y.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init_y);
    }
    promql_line(n, [sx + cx, sy + cy, sxy + cxy, sx2 + cx2])
}

/// The end of promql's `linearRegression`: slope and intercept from `n` points' sums of x,
/// y, xy and x² (x relative to the intercept's instant).
pub(super) fn promql_line(n: f64, [sx, sy, sxy, sx2]: [f64; 4]) -> (f64, f64) {
    let cov_xy = sxy - sx * sy / n;
    let var_x = sx2 - sx * sx / n;
    let slope = cov_xy / var_x;
    (slope, sy / n - slope * sx / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> SimTime {
        SimTime::from_secs(s)
    }

    /// Where the value never drops, `rate`, `increase` and `delta` from the window's ends
    /// (`resets` false) have the very bits of the full scan: random counters (some starting
    /// below 0, some with resets, NaN now and then), every window of up to 40 samples.
    #[test]
    fn rates_without_a_drop_need_no_scan() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let (mut same, mut scanned) = (0, 0);
        for _ in 0..200 {
            let mut v: f64 = rng.random_range(-50.0..50.0);
            let pts: Vec<(SimTime, f64)> = (0..60u64)
                .map(|i| {
                    v = match rng.random_range(0..40) {
                        0 => rng.random_range(0.0..10.0),
                        1 => f64::NAN,
                        _ if v.is_nan() => 3.0,
                        _ => v + rng.random_range(0.0..7.5),
                    };
                    (secs(15 * i + rng.random_range(0..5)), v)
                })
                .collect();
            for lo in 0..pts.len() {
                for hi in lo + 2..pts.len().min(lo + 40) {
                    let w = &pts[lo..hi];
                    let drops = w.windows(2).any(|p| p[1].1 < p[0].1);
                    let ts = w[w.len() - 1].0 + SimDuration::from_secs(7);
                    let width = SimDuration::from_secs(15 * 40);
                    for (counter, rate) in [(true, true), (true, false), (false, false)] {
                        let full = extrapolated_rate(w, ts, width, counter, rate, counter);
                        let ends = extrapolated_rate(w, ts, width, counter, rate, counter && drops);
                        assert_eq!(full.map(f64::to_bits), ends.map(f64::to_bits), "{w:?}");
                    }
                    if drops { scanned += 1 } else { same += 1 }
                }
            }
        }
        assert!(
            same > 10_000 && scanned > 10_000,
            "{same} windows without a drop, {scanned} with"
        );
    }

    #[test]
    fn rate_extrapolates_like_promql() {
        // A counter growing 60 per minute, sampled every 60 s from 0 s; rate(x[5m]) at 600 s.
        // Closed window [300, 600]: 6 samples, sampled 300 s, no extrapolation: 1/s.
        let pts: Vec<(SimTime, f64)> = (5..=10).map(|i| (secs(60 * i), 60.0 * i as f64)).collect();
        let r = extrapolated_rate(&pts, secs(600), SimDuration::from_mins(5), true, true, true);
        assert_eq!(r, Some(1.0));
        // Open window (300, 600]: 5 samples, sampled 240 s, extended to the start by 60 s.
        let r = extrapolated_rate(&pts[1..], secs(600), SimDuration::from_mins(5), true, true, true);
        assert_eq!(r, Some(1.0));
        // A counter reset (100 -> 5) is added back.
        let pts = [(secs(0), 90.0), (secs(60), 100.0), (secs(120), 5.0)];
        let inc = extrapolated_rate(&pts, secs(120), SimDuration::from_secs(120), true, false, true);
        // Increase 15 over 120 s sampled; the zero point (90/15*120 s before) is far: no clamp.
        assert_eq!(inc, Some(15.0));
    }

    #[test]
    fn set_operators_and_matching() {
        let l = |t| Labels::of(t, Metric::Up);
        let a: BTreeMap<Labels, f64> = [(l(0), 1.0), (l(1), 2.0)].into();
        let b: BTreeMap<Labels, f64> = [(l(1), 5.0), (l(2), 6.0)].into();
        let and = binary(
            BinOp::And,
            Value::Vector(a.clone()),
            Value::Vector(b.clone()),
            false,
            None,
        );
        assert_eq!(and, Value::Vector([(l(1), 2.0)].into()));
        let or = binary(
            BinOp::Or,
            Value::Vector(a.clone()),
            Value::Vector(b.clone()),
            false,
            None,
        );
        assert_eq!(or, Value::Vector([(l(0), 1.0), (l(1), 2.0), (l(2), 6.0)].into()));
        let div = binary(BinOp::Div, Value::Vector(a), Value::Vector(b), false, None);
        assert_eq!(div, Value::Vector([(l(1), 0.4)].into()));
        let sum = aggregate(AggOp::Sum, None, [(l(0), 1.0), (l(1), 2.0)].into());
        assert_eq!(sum, [(Labels::default(), 3.0)].into());
    }
}
