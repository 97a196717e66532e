//! Replications by precision (`--precision`): run more replications, in fixed-size batches,
//! until every requested 95% CI half-width is reached, or a cap.
//!
//! The stopping rule depends only on the figures of replications `0..n` in index order
//! (`study::unit_figures`' definitions, the ones `summary.json` reports): after the first
//! `n0` replications (the scenario's `replications`, at least 2), and after every further
//! batch of `BATCH` replications, every target is checked on the estimate over all `n` so
//! far; the run stops at the first `n` where all hold, or at the cap. Replication `r`
//! depends only on (seed, r), so the answer, and the files, are the same with any `--jobs`.
//! Never reads a clock or spawns a thread (parallelism is `sim::run_indexed`).

use super::metric_names;
use crate::scenario::Mode;
use crate::stats::Estimate;

/// Replications added per batch. Fixed, so the sequence of `n` checked never depends on
/// the figures (only where it stops does).
pub const BATCH: u32 = 10;
/// Default cap on the replications a precision run may use (`--max-replications`).
pub const REPLICATIONS_MAX_DEFAULT: u32 = 1000;

/// What a target bounds: the 95% CI half-width, absolute (in the metric's unit) or relative
/// to the estimate's magnitude.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum HalfWidth {
    Absolute(f64),
    Relative(f64),
}

/// One target: a metric (`None`: the mode's headline metrics, `HEADLINE`) and its bound.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Target {
    pub(crate) metric: Option<String>,
    pub(crate) half_width: HalfWidth,
}

/// The metrics a target without a metric name applies to: p99 latency and request
/// availability (request mode), time availability and downtime (availability mode).
pub(crate) fn headline(mode: Mode) -> &'static [&'static str] {
    match mode {
        Mode::Requests => &["latency_ms_p99", "availability_request"],
        Mode::Availability => &["availability_time", "downtime_min_per_year"],
    }
}

/// A `--precision` value that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PrecisionError {
    #[error(
        "--precision `{0}` is not valid; expected a relative half-width (0.5%), or METRIC:VALUE (latency_ms_p99:5ms, availability:0.0001, downtime_min_per_year:10%), comma-separated"
    )]
    /// The `--precision` text does not parse.
    Syntax(String),
    #[error("--precision `{text}`: no metric `{metric}` in {mode} mode; valid: availability, {valid}")]
    /// A metric the scenario's mode does not report.
    Metric {
        /// The `--precision` text.
        text: String,
        /// The unknown metric.
        metric: String,
        /// The scenario's mode.
        mode: &'static str,
        /// The metrics that mode reports.
        valid: String,
    },
    /// `--max-replications` is below the starting replications.
    #[error("--max-replications {max} is below the scenario's {start} replications")]
    Cap {
        /// `--max-replications`.
        max: u32,
        /// The scenario's `replications`.
        start: u32,
    },
    #[error("--precision needs at least 2 replications to start with (a CI); the scenario has {0}")]
    /// Fewer than 2 replications to start with.
    TooFew(u32),
}

/// Every target of a `--precision` value, checked against the mode's metric names.
#[derive(Clone, Debug, PartialEq)]
pub struct Precision {
    pub(crate) targets: Vec<Target>,
    /// Most replications the run may use.
    pub max: u32,
}

impl Precision {
    /// Parse `0.5%`, `latency_ms_p99:5ms`, `availability:0.0001` (comma-separated); a unit
    /// suffix other than `%` is the metric's own (`ms`, `min`) and is dropped. `availability`
    /// names the mode's SLO availability.
    pub fn parse(text: &str, mode: Mode, max: u32) -> Result<Precision, PrecisionError> {
        let bad = || PrecisionError::Syntax(text.to_string());
        let mut targets = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (metric, value) = match part.split_once(':') {
                Some((m, v)) => (Some(m.trim()), v.trim()),
                None => (None, part),
            };
            let (number, relative) = match value.strip_suffix('%') {
                Some(n) => (n.trim(), true),
                None => (value.trim_end_matches(|c: char| c.is_ascii_alphabetic()).trim(), false),
            };
            let x: f64 = number.parse().map_err(|_| bad())?;
            if !(x.is_finite() && x > 0.0) {
                return Err(bad());
            }
            let metric = match metric {
                None if !relative => return Err(bad()),
                None => None,
                Some("availability") => Some(
                    match mode {
                        Mode::Requests => "availability_request",
                        Mode::Availability => "availability_time",
                    }
                    .to_string(),
                ),
                Some(m) if metric_names(mode).contains(&m) => Some(m.to_string()),
                Some(m) => {
                    return Err(PrecisionError::Metric {
                        text: text.to_string(),
                        metric: m.to_string(),
                        mode: match mode {
                            Mode::Requests => "request",
                            Mode::Availability => "availability",
                        },
                        valid: metric_names(mode).join(", "),
                    });
                }
            };
            targets.push(Target {
                metric,
                half_width: if relative {
                    HalfWidth::Relative(x / 100.0)
                } else {
                    HalfWidth::Absolute(x)
                },
            });
        }
        if targets.is_empty() {
            return Err(bad());
        }
        Ok(Precision { targets, max })
    }

    /// Check the start and the cap against the scenario's replications.
    pub fn check_start(&self, start: u32) -> Result<(), PrecisionError> {
        if start < 2 {
            return Err(PrecisionError::TooFew(start));
        }
        if self.max < start {
            return Err(PrecisionError::Cap { max: self.max, start });
        }
        Ok(())
    }

    /// Whether the replications `figures` (in index order, in `metric_names(mode)` order)
    /// meet every target.
    pub fn met(&self, mode: Mode, figures: &[Vec<f64>]) -> bool {
        let names = metric_names(mode);
        let estimate = |name: &str| {
            let k = names
                .iter()
                .position(|n| *n == name)
                .expect("targets name metrics of the mode");
            let xs: Vec<f64> = figures.iter().map(|f| f[k]).collect();
            Estimate::from_samples(&xs)
        };
        self.targets.iter().all(|t| {
            let metrics: Vec<&str> = match &t.metric {
                Some(m) => vec![m.as_str()],
                None => headline(mode).to_vec(),
            };
            metrics.iter().all(|m| {
                let e = estimate(m);
                let Some(ci) = e.ci95 else { return false };
                match t.half_width {
                    HalfWidth::Absolute(h) => ci <= h,
                    HalfWidth::Relative(r) => ci <= r * e.value.abs(),
                }
            })
        })
    }

    /// The next number of replications to reach after `n` that did not meet the targets;
    /// `None` at the cap.
    fn next(&self, n: u32) -> Option<u32> {
        (n < self.max).then(|| n.saturating_add(BATCH).min(self.max))
    }

    /// The rule's one step, given the figures of replications `0..n` in index order: `None`
    /// when it stops at `n` (every target met, or the cap), else the `n` to reach next.
    /// `replicate`, `run_and_fold_precise` and `simpark merge` all step with it.
    pub fn step(&self, mode: Mode, figures: &[Vec<f64>]) -> Option<u32> {
        if self.met(mode, figures) {
            return None;
        }
        self.next(figures.len() as u32)
    }
}

/// Run replications `0..n0`, then batches, until `precision` is met or its cap: `run(r)` is
/// replication `r`, `figures` its figures; results in index order. `run_batch(a, b)` runs
/// replications `a..b` (in parallel, results in index order).
pub fn replicate<T>(
    precision: &Precision,
    mode: Mode,
    start: u32,
    run_batch: &mut dyn FnMut(u32, u32) -> Vec<T>,
    figures: &dyn Fn(&T) -> Vec<f64>,
) -> Vec<T> {
    let mut reps = run_batch(0, start);
    let mut figs: Vec<Vec<f64>> = reps.iter().map(figures).collect();
    while let Some(n) = precision.step(mode, &figs) {
        let more = run_batch(reps.len() as u32, n);
        figs.extend(more.iter().map(figures));
        reps.extend(more);
    }
    reps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_targets_and_units() {
        let p = Precision::parse("0.5%, latency_ms_p99:5ms, availability:0.0001", Mode::Requests, 100).unwrap();
        assert_eq!(p.targets.len(), 3);
        assert_eq!(p.targets[0].metric, None);
        assert_eq!(p.targets[0].half_width, HalfWidth::Relative(0.005));
        assert_eq!(p.targets[1].half_width, HalfWidth::Absolute(5.0));
        assert_eq!(p.targets[2].metric.as_deref(), Some("availability_request"));
        for bad in ["", "5", "x%", "-1%", "latency_ms_p99:", "latency_ms_p99:abc"] {
            assert!(Precision::parse(bad, Mode::Requests, 100).is_err(), "{bad}");
        }
        assert!(matches!(
            Precision::parse("latency_ms_p99:5", Mode::Availability, 100),
            Err(PrecisionError::Metric { .. })
        ));
        assert!(p.check_start(1).is_err() && p.check_start(200).is_err() && p.check_start(2).is_ok());
    }

    #[test]
    fn stops_at_the_first_batch_meeting_the_targets_or_at_the_cap() {
        // Figures alternate 1 and 3 in availability_time: the half-width shrinks as 1/sqrt(n).
        let fig = |r: u32| {
            let mut f = vec![0.0; metric_names(Mode::Availability).len()];
            f[0] = if r.is_multiple_of(2) { 1.0 } else { 3.0 };
            f
        };
        let p = Precision::parse("availability_time:0.5", Mode::Availability, 1000).unwrap();
        let mut batches = Vec::new();
        let reps = replicate(
            &p,
            Mode::Availability,
            4,
            &mut |a, b| {
                batches.push((a, b));
                (a..b).collect()
            },
            &|r| fig(*r),
        );
        // n = 4: 3.18 * 1.15 / 2 = 1.84; n = 14: 2.16 * 1.04 / 3.74 = 0.60; n = 24: 0.44.
        assert_eq!(batches, vec![(0, 4), (4, 14), (14, 24)]);
        assert_eq!(reps, (0..24).collect::<Vec<_>>());
        let capped = Precision { max: 10, ..p };
        let reps = replicate(&capped, Mode::Availability, 4, &mut |a, b| (a..b).collect(), &|r| {
            fig(*r)
        });
        assert_eq!(reps.len(), 10);
    }
}
