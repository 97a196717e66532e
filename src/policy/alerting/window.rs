//! A series' samples and the range windows its rules read, kept up to date as time moves.
//!
//! Job: make a range selector cost O(1) per evaluation, whatever the window's length. The
//! samples sit in one buffer (oldest first, numbered from the series' first sample); each
//! window a rule reads over this series keeps the numbers `[lo, hi)` of the samples in it,
//! Neumaier-compensated running sums of x, y, xy and x² (x in seconds from the window's
//! `origin`: the least-squares line's inputs), the same sums as exact integers over its
//! whole-second integer samples, the number of neighbours where the value drops (counter
//! resets), and queues of the candidates for its least and most value (a sliding-window
//! minimum: each sample enters and leaves once). `advance(ts)` moves every window to the one
//! ending at `ts`: samples enter at `hi`, leave at `lo`, each added or subtracted once.
//!
//! Invariants, after `advance(ts)`: a window holds exactly the samples with `t <= ts` inside
//! it (`(ts - w, ts]`, or `[ts - w, ts]` with closed windows); its float sums are over those
//! of them whose value is finite (the others are counted in `nonfinite`, and a window holding
//! one is regressed from its samples, so NaN and infinities behave as in PromQL); `drops`
//! counts exactly the drops between its samples. Times passed to `advance` and `push` never
//! go back. A window is rebuilt from its samples (sums recomputed, origin moved to its first
//! sample) once more samples have left it since the last rebuild than it holds: each sample
//! is summed at most three times, and rounding from subtractions cannot pile up.
//!
//! When every sample of a window has an integer value and a whole-second time, the line has
//! the very bits of promql's `linearRegression` (its Kahan sums are exact then, and so are
//! ours); otherwise it is the same up to rounding (promql's sums are taken afresh, relative
//! to the evaluation instant): the tests `whole_samples_give_promqls_bits` and
//! `running_sums_match_the_direct_regression`.

use super::expr::{kahan_inc, linear_regression, promql_line};
use crate::units::{SimDuration, SimTime};
use std::collections::VecDeque;

/// Compensated running sums of one window.
#[derive(Copy, Clone, Debug, Default)]
struct Sums {
    /// (sum, compensation) of x, y, xy, x².
    x: (f64, f64),
    y: (f64, f64),
    xy: (f64, f64),
    x2: (f64, f64),
}

impl Sums {
    /// Add (`sign` 1) or subtract (`sign` -1) the sample `(x, y)`.
    fn add(&mut self, x: f64, y: f64, sign: f64) {
        self.x = kahan_inc(sign * x, self.x.0, self.x.1);
        self.y = kahan_inc(sign * y, self.y.0, self.y.1);
        self.xy = kahan_inc(sign * (x * y), self.xy.0, self.xy.1);
        self.x2 = kahan_inc(sign * (x * x), self.x2.0, self.x2.1);
    }
}

/// Exact integer sums of one window, over its samples taken on a whole second with an
/// integer value (`t` in seconds): when every sample is such, promql's Kahan sums are exact
/// too (below 2^53), and these give their very bits.
#[derive(Copy, Clone, Debug, Default)]
struct Exact {
    /// Samples in the window that are not such (or not finite).
    others: u64,
    t: i128,
    y: i128,
    ty: i128,
    t2: i128,
    /// Sum of |y|: with the window's largest |x|, it bounds every partial sum of x·y.
    y_abs: i128,
}

/// 2^53: integers up to it are exact in f64.
const EXACT_MAX: i128 = 1 << 53;

impl Exact {
    /// Add (`sign` 1) or subtract (-1) a sample.
    fn add(&mut self, t: SimTime, v: f64, sign: i128) {
        let whole = t.as_nanos().is_multiple_of(1_000_000_000) && v.fract() == 0.0 && v.abs() <= EXACT_MAX as f64;
        if !whole {
            self.others = self.others.checked_add_signed(sign as i64).expect("counted once");
            return;
        }
        let (t, y) = (i128::from(t.as_nanos() / 1_000_000_000), v as i128);
        self.t += sign * t;
        self.y += sign * y;
        self.ty += sign * t * y;
        self.t2 += sign * t * t;
        self.y_abs += sign * y.abs();
    }

    /// promql's sums of x, y, xy and x² (x = t - `at`, seconds), if every sample is whole,
    /// `at` is on a whole second, and every partial sum stays below 2^53 (so each is exact
    /// in f64, as promql's are). `span`: the window's largest |x|.
    fn sums(&self, n: i128, at: SimTime, span: i128) -> Option<[f64; 4]> {
        if self.others > 0 || !at.as_nanos().is_multiple_of(1_000_000_000) {
            return None;
        }
        let a = i128::from(at.as_nanos() / 1_000_000_000);
        let sx = self.t - n * a;
        let sxy = self.ty - a * self.y;
        let sx2 = self.t2 - 2 * a * self.t + n * a * a;
        let fits = n * span < EXACT_MAX && self.y_abs < EXACT_MAX && self.y_abs * span < EXACT_MAX && sx2 < EXACT_MAX;
        fits.then_some([sx as f64, self.y as f64, sxy as f64, sx2 as f64])
    }
}

/// One range window over a series.
#[derive(Clone, Debug)]
struct Window {
    width: SimDuration,
    /// Sample numbers in the window: `lo..hi`.
    lo: u64,
    hi: u64,
    /// x of a sample is `(t - origin)` in seconds; the sums take `v - base` for its value
    /// (the first finite value at the last rebuild: the sums stay small, so does rounding).
    origin: SimTime,
    base: f64,
    sums: Sums,
    exact: Exact,
    /// Samples in the window whose value is not finite (left out of `sums`).
    nonfinite: u64,
    /// Neighbours in the window where the value drops (`v[n] < v[n - 1]`: a counter reset).
    drops: u64,
    /// Numbers of the samples that are the smallest (largest) non-NaN value from them to
    /// `hi`, the first of equals: increasing (decreasing) values, the window's least (most)
    /// at the front.
    least: VecDeque<u64>,
    most: VecDeque<u64>,
    /// Samples that left the window since the last rebuild.
    left: u64,
}

/// A series' samples, oldest first, and its windows.
#[derive(Clone, Debug)]
pub(super) struct History {
    /// Kept samples are `buf[start..]`; `buf[i]` is sample number `first + i`.
    buf: Vec<(SimTime, f64)>,
    start: usize,
    first: u64,
    /// Number of the newest sample whose value differs from the one before it (`!=`, so a
    /// NaN always differs); 0 when none does.
    changed: u64,
    windows: Vec<Window>,
}

impl History {
    /// An empty series whose rules read the range windows `widths`.
    pub(super) fn new(widths: &[SimDuration]) -> Self {
        let windows = widths
            .iter()
            .map(|&width| Window {
                width,
                lo: 0,
                hi: 0,
                origin: SimTime::ZERO,
                base: 0.0,
                sums: Sums::default(),
                exact: Exact::default(),
                nonfinite: 0,
                drops: 0,
                least: VecDeque::new(),
                most: VecDeque::new(),
                left: 0,
            })
            .collect();
        History {
            buf: Vec::new(),
            start: 0,
            first: 0,
            changed: 0,
            windows,
        }
    }

    /// Every kept sample, oldest first.
    pub(super) fn samples(&self) -> &[(SimTime, f64)] {
        &self.buf[self.start..]
    }

    /// Number one past the newest sample.
    fn end(&self) -> u64 {
        self.first + self.buf.len() as u64
    }

    fn at(&self, n: u64) -> (SimTime, f64) {
        self.buf[(n - self.first) as usize]
    }

    /// Append a sample taken at `t` (not before the newest).
    pub(super) fn push(&mut self, t: SimTime, v: f64) {
        if let Some(&(last_t, last_v)) = self.buf.last() {
            assert!(t >= last_t, "sample out of order: {t:?} < {last_t:?}");
            if v != last_v {
                self.changed = self.end();
            }
        }
        self.buf.push((t, v));
    }

    /// Drop the oldest samples taken more than `retention` before `now`, always keeping the
    /// newest. Windows still holding a dropped sample let it go first (no later evaluation,
    /// at `now` or after, can have it in a window no longer than `retention`).
    pub(super) fn forget(&mut self, now: SimTime, retention: SimDuration) {
        while self.buf.len() - self.start > 1 && now.saturating_since(self.buf[self.start].0) > retention {
            let n = self.first + self.start as u64;
            let (t, v) = self.buf[self.start];
            let next = self.buf.get(self.start + 1).map(|p| p.1);
            for w in &mut self.windows {
                assert!(w.width <= retention, "window {:?} longer than the retention", w.width);
                if w.lo == n {
                    if w.hi > n {
                        w.drops -= u64::from(n + 1 < w.hi && next.is_some_and(|next| next < v));
                        w.remove(n, t, v);
                    }
                    w.lo += 1;
                    w.hi = w.hi.max(w.lo);
                    w.left += 1;
                }
            }
            self.start += 1;
        }
        if self.start >= 64 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.first += self.start as u64;
            self.start = 0;
        }
    }

    /// Move every window to the one ending at `ts` (`closed`: `[ts - w, ts]`, else
    /// `(ts - w, ts]`).
    pub(super) fn advance(&mut self, ts: SimTime, closed: bool) {
        let (buf, first) = (&self.buf, self.first);
        let at = |n: u64| buf[(n - first) as usize];
        let end = first + buf.len() as u64;
        for w in &mut self.windows {
            while w.hi < end && at(w.hi).0 <= ts {
                let (t, v) = at(w.hi);
                w.drops += u64::from(w.hi > w.lo && v < at(w.hi - 1).1);
                w.add(t, v);
                w.extremes(v, at);
                w.hi += 1;
            }
            while w.lo < w.hi && !inside(at(w.lo).0, ts, w.width, closed) {
                let (t, v) = at(w.lo);
                w.drops -= u64::from(w.lo + 1 < w.hi && at(w.lo + 1).1 < v);
                w.remove(w.lo, t, v);
                w.lo += 1;
                w.left += 1;
            }
            if w.left > w.hi - w.lo {
                w.rebuild(at);
            }
        }
    }

    fn window(&self, width: SimDuration) -> &Window {
        self.windows
            .iter()
            .find(|w| w.width == width)
            .expect("every range a rule reads has a window (Alerting::new)")
    }

    /// Whether the value drops anywhere in the window of `width` (a counter reset: promql's
    /// `rate` and `increase` add the value before it back; without one they need only the
    /// window's ends).
    pub(super) fn drops(&self, width: SimDuration) -> bool {
        self.window(width).drops > 0
    }

    /// promql's `min_over_time` (`least`) or `max_over_time` of the window of `width` (at
    /// least one sample): the first smallest (largest) value that is not NaN; NaN if all are.
    pub(super) fn extreme(&self, width: SimDuration, least: bool) -> f64 {
        let w = self.window(width);
        assert!(w.hi > w.lo, "an extreme needs a sample");
        let q = if least { &w.least } else { &w.most };
        q.front().map_or(f64::NAN, |&n| self.at(n).1)
    }

    /// The samples in the window of `width` as of the last `advance`, oldest first.
    pub(super) fn points(&self, width: SimDuration) -> &[(SimTime, f64)] {
        let w = self.window(width);
        &self.buf[(w.lo - self.first) as usize..(w.hi - self.first) as usize]
    }

    /// promql `linearRegression` over the window of `width` (at least two samples): slope
    /// [per s] and the intercept at `intercept_time`, from the running sums.
    pub(super) fn regression(&self, width: SimDuration, intercept_time: SimTime) -> (f64, f64) {
        let w = self.window(width);
        assert!(w.hi - w.lo >= 2, "a regression needs two samples");
        if w.nonfinite > 0 {
            return linear_regression(self.points(width), intercept_time);
        }
        let init_y = self.at(w.lo).1;
        let const_y = if self.changed < w.hi {
            self.changed <= w.lo
        } else {
            self.points(width).iter().all(|&(_, y)| y == init_y)
        };
        if const_y {
            return (0.0, init_y);
        }
        let n = (w.hi - w.lo) as f64;
        let span = [w.lo, w.hi - 1].map(|i| seconds(self.at(i).0, intercept_time).abs().ceil() as i128);
        if let Some(sums) = w
            .exact
            .sums((w.hi - w.lo) as i128, intercept_time, span[0].max(span[1]))
        {
            // promql's own arithmetic on its own (exact) sums: the same bits.
            return promql_line(n, sums);
        }
        let s = &w.sums;
        let (sx, sy) = (s.x.0 + s.x.1, s.y.0 + s.y.1);
        let (slope, _) = promql_line(n, [sx, sy, s.xy.0 + s.xy.1, s.x2.0 + s.x2.1]);
        // x from the origin and y less `base` instead of promql's x from the intercept.
        let shift = seconds(intercept_time, w.origin);
        (slope, w.base + sy / n - slope * (sx / n - shift))
    }

    /// The mean of the window of `width` (at least one sample), from the running sums: for
    /// integer values the exact sum, so the plain sum's mean.
    pub(super) fn mean(&self, width: SimDuration) -> f64 {
        let w = self.window(width);
        assert!(w.hi > w.lo, "a mean needs a sample");
        let n = (w.hi - w.lo) as f64;
        if w.nonfinite > 0 {
            return self.points(width).iter().map(|p| p.1).sum::<f64>() / n;
        }
        if w.exact.others == 0 && w.exact.y_abs < EXACT_MAX {
            // Integers: the exact sum, as a plain sum of them is.
            return w.exact.y as f64 / n;
        }
        w.base + (w.sums.y.0 + w.sums.y.1) / n
    }
}

impl Window {
    /// Recompute the sums from the samples `lo..hi` (`at(n)` is sample `n`), x from the first.
    fn rebuild(&mut self, at: impl Fn(u64) -> (SimTime, f64)) {
        self.origin = if self.lo < self.hi {
            at(self.lo).0
        } else {
            SimTime::ZERO
        };
        self.base = (self.lo..self.hi)
            .map(|n| at(n).1)
            .find(|v| v.is_finite())
            .unwrap_or(0.0);
        self.sums = Sums::default();
        self.exact = Exact::default();
        self.nonfinite = 0;
        self.left = 0;
        for n in self.lo..self.hi {
            let (t, v) = at(n);
            self.count(t, v, 1.0);
        }
    }

    /// Sample `(t, v)` enters at `hi` (the caller moves `hi`).
    fn add(&mut self, t: SimTime, v: f64) {
        if self.hi == self.lo {
            self.origin = t;
            self.base = if v.is_finite() { v } else { 0.0 };
            self.sums = Sums::default();
            self.exact = Exact::default();
        }
        self.count(t, v, 1.0);
    }

    /// Sample `hi` (its value `v`) enters the queues of least and most values (the caller
    /// moves `hi`; `at(n)` is sample `n`).
    fn extremes(&mut self, v: f64, at: impl Fn(u64) -> (SimTime, f64)) {
        if v.is_nan() {
            return;
        }
        while self.least.back().is_some_and(|&n| at(n).1 > v) {
            self.least.pop_back();
        }
        self.least.push_back(self.hi);
        while self.most.back().is_some_and(|&n| at(n).1 < v) {
            self.most.pop_back();
        }
        self.most.push_back(self.hi);
    }

    /// Sample `n` = `(t, v)` leaves at `lo` (the caller moves `lo`).
    fn remove(&mut self, n: u64, t: SimTime, v: f64) {
        debug_assert_eq!(n, self.lo);
        if self.least.front() == Some(&n) {
            self.least.pop_front();
        }
        if self.most.front() == Some(&n) {
            self.most.pop_front();
        }
        self.count(t, v, -1.0);
    }

    /// Add (`sign` 1) or subtract (-1) a sample: to the sums if finite, else to `nonfinite`.
    fn count(&mut self, t: SimTime, v: f64, sign: f64) {
        self.exact.add(t, v, sign as i128);
        if v.is_finite() {
            self.sums.add(seconds(t, self.origin), v - self.base, sign);
        } else if sign > 0.0 {
            self.nonfinite += 1;
        } else {
            self.nonfinite -= 1;
        }
    }
}

/// `t - origin` in seconds (either may be the later).
fn seconds(t: SimTime, origin: SimTime) -> f64 {
    (t.as_nanos() as f64 - origin.as_nanos() as f64) / 1e9
}

/// Whether a sample taken at `t` is in the window of `width` ending at `ts`.
pub(super) fn inside(t: SimTime, ts: SimTime, width: SimDuration, closed: bool) -> bool {
    t <= ts
        && if closed {
            ts.since(t) <= width
        } else {
            ts.since(t) < width
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The least-squares line by the two-pass formula (means first, then centred sums): the
    /// most accurate in f64, the reference for both sums. Slope, and intercept at `ts`.
    fn two_pass(points: &[(SimTime, f64)], ts: SimTime) -> (f64, f64) {
        let n = points.len() as f64;
        let x: Vec<f64> = points.iter().map(|p| seconds(p.0, ts)).collect();
        let x_mean = x.iter().sum::<f64>() / n;
        let y_mean = points.iter().map(|p| p.1).sum::<f64>() / n;
        let y_mean = y_mean + points.iter().map(|p| p.1 - y_mean).sum::<f64>() / n;
        let sxy: f64 = x.iter().zip(points).map(|(x, p)| (x - x_mean) * (p.1 - y_mean)).sum();
        let sxx: f64 = x.iter().map(|x| (x - x_mean) * (x - x_mean)).sum();
        let slope = sxy / sxx;
        (slope, y_mean - slope * x_mean)
    }

    /// Random series (trends, steps, flat stretches, noise, now and then a NaN or an
    /// infinity), sampled at irregular instants and evaluated at others, against the direct
    /// regression over the same points (promql's `linearRegression`) and the two-pass line.
    /// The windows' bounds must be exact; the line within rounding of promql's, and nearer
    /// the two-pass line than promql's.
    #[test]
    fn running_sums_match_the_direct_regression() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let widths = [SimDuration::from_mins(5), SimDuration::from_hours(6)];
        let mut worst = (0.0f64, 0.0f64);
        for case in 0..40 {
            let closed = case % 2 == 0;
            let mut h = History::new(&widths);
            let retention = widths[1];
            let (mut t, mut y) = (SimTime::from_secs(rng.random_range(0..100)), 1e11);
            let mut eval = t;
            let mut checked = 0;
            for step in 0..3000 {
                t += SimDuration::from_millis(rng.random_range(1_000..120_000));
                y = match rng.random_range(0..100) {
                    0 => f64::NAN,
                    1 => f64::INFINITY,
                    2..=30 => y,
                    31..=35 => 1e11 + rng.random_range(-1e9..1e9),
                    _ if y.is_finite() => y - 3e5 + rng.random_range(-1e4..1e4),
                    _ => 5e10,
                };
                h.push(t, y);
                h.forget(t, retention);
                while eval + SimDuration::from_secs(60) <= t {
                    eval += SimDuration::from_secs(60);
                    h.advance(eval, closed);
                    for &wd in &widths {
                        let direct: Vec<_> = h
                            .samples()
                            .iter()
                            .copied()
                            .filter(|&(at, _)| inside(at, eval, wd, closed))
                            .collect();
                        let bits = |p: &[(SimTime, f64)]| p.iter().map(|&(t, v)| (t, v.to_bits())).collect::<Vec<_>>();
                        assert_eq!(bits(h.points(wd)), bits(&direct), "case {case} step {step}");
                        let drops = direct.windows(2).filter(|p| p[1].1 < p[0].1).count() as u64;
                        assert_eq!(h.window(wd).drops, drops, "case {case} step {step}");
                        if !direct.is_empty() {
                            // promql's funcMinOverTime / funcMaxOverTime.
                            let (mut least, mut most) = (direct[0].1, direct[0].1);
                            for &(_, v) in &direct {
                                if v < least || least.is_nan() {
                                    least = v;
                                }
                                if v > most || most.is_nan() {
                                    most = v;
                                }
                            }
                            let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
                            assert!(same(h.extreme(wd, true), least), "case {case} step {step}: min");
                            assert!(same(h.extreme(wd, false), most), "case {case} step {step}: max");
                        }
                        if direct.len() < 2 {
                            continue;
                        }
                        let promql = linear_regression(&direct, eval);
                        let ours = h.regression(wd, eval);
                        let exact = two_pass(&direct, eval);
                        // A change of the line by `scale * e` over the window (slope) or at
                        // `eval` (intercept), relative to the largest value.
                        let scale = direct.iter().map(|p| p.1.abs()).fold(0.0, f64::max);
                        let slope_tol = |e: f64| scale * e / wd.as_secs_f64();
                        let close =
                            |a: f64, b: f64, tol: f64| a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol;
                        let at = format!(
                            "case {case} step {step} {wd:?}: ours {ours:?} promql {promql:?} two-pass {exact:?}"
                        );
                        assert!(
                            close(ours.0, promql.0, slope_tol(1e-10)) && close(ours.1, promql.1, scale * 1e-12),
                            "{at}"
                        );
                        if ours.0.is_finite() && promql.0.is_finite() && ours.0 != 0.0 {
                            assert!(
                                close(ours.0, exact.0, slope_tol(1e-12)) && close(ours.1, exact.1, scale * 1e-12),
                                "{at}"
                            );
                            let err = |s: f64| (s - exact.0).abs() * wd.as_secs_f64() / scale;
                            worst = (worst.0.max(err(ours.0)), worst.1.max(err(promql.0)));
                        }
                        let m0 = direct.iter().map(|p| p.1).sum::<f64>() / direct.len() as f64;
                        let m1 = h.mean(wd);
                        assert!(m0 == m1 || (m0.is_nan() && m1.is_nan()) || (m0 - m1).abs() <= scale * 1e-12);
                        checked += 1;
                    }
                }
            }
            assert!(checked > 1000, "case {case}: {checked} checks");
        }
        // Over all cases the running sums are the nearer to the two-pass line (this seed:
        // 5e-14 of the scale over the window, promql's own sums 3e-11).
        assert!(worst.0 * 100.0 <= worst.1, "ours {:e}, promql {:e}", worst.0, worst.1);
    }

    /// Integer values sampled on whole seconds (counters, byte counts, the promtool oracle's
    /// series): the line has promql's very bits, so an alert on the edge (`predict_linear`
    /// exactly 0) decides as Prometheus does. The disk of the promtool test reaches
    /// predicted 0 exactly at 2h; then random integer series, windows and instants.
    #[test]
    fn whole_samples_give_promqls_bits() {
        let w = SimDuration::from_mins(30);
        let mut h = History::new(&[w]);
        let ts = SimTime::from_secs(7200);
        for m in 0..=120u64 {
            let v = (60e9 - 1e9 * (m as f64 - 60.0).max(0.0) * 0.5).max(1e9);
            h.push(SimTime::from_secs(60 * m), v);
            h.forget(SimTime::from_secs(60 * m), w);
            h.advance(SimTime::from_secs(60 * m), true);
        }
        let (slope, intercept) = h.regression(w, ts);
        assert_eq!((slope, intercept), linear_regression(h.points(w), ts));
        assert_eq!(
            slope * 3600.0 + intercept,
            0.0,
            "exactly full in an hour, as promql computes"
        );

        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut exact = 0;
        for case in 0..20 {
            let width = SimDuration::from_secs(rng.random_range(60..20_000));
            let mut h = History::new(&[width]);
            let (mut t, mut y) = (SimTime::from_secs(rng.random_range(0..1000)), 0.0);
            for _ in 0..2000 {
                t += SimDuration::from_secs(rng.random_range(1..90));
                y = match rng.random_range(0..10) {
                    0 => rng.random_range(-1e6..1e6f64).round(),
                    1 => y,
                    _ => y + rng.random_range(0..5000) as f64,
                };
                h.push(t, y);
                h.forget(t, width);
                h.advance(t, case % 2 == 0);
                if h.points(width).len() >= 2 {
                    let direct = linear_regression(h.points(width), t);
                    let ours = h.regression(width, t);
                    assert_eq!(ours.0.to_bits(), direct.0.to_bits(), "case {case} at {t:?}");
                    assert_eq!(ours.1.to_bits(), direct.1.to_bits(), "case {case} at {t:?}");
                    let sum: f64 = h.points(width).iter().map(|p| p.1).sum();
                    assert_eq!(h.mean(width), sum / h.points(width).len() as f64);
                    exact += 1;
                }
            }
        }
        assert!(exact > 30_000, "{exact} comparisons");
    }

    /// A flat window gives promql's exact answer (slope 0, the value), also when it follows
    /// a change.
    #[test]
    fn a_flat_window_is_exactly_flat() {
        let w = SimDuration::from_mins(10);
        let mut h = History::new(&[w]);
        for m in 0..30u64 {
            let v = if m < 12 { m as f64 * 0.1 } else { 0.3 };
            h.push(SimTime::from_secs(60 * m), v);
            h.forget(SimTime::from_secs(60 * m), w);
            h.advance(SimTime::from_secs(60 * m), false);
        }
        assert_eq!(h.regression(w, SimTime::from_secs(60 * 29)), (0.0, 0.3));
    }
}
