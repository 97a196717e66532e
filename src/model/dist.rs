//! Samplers for durations: service times and link latencies.
//!
//! Built from validated scenario specs (`scenario::DistSpec`); sampling never fails and
//! never allocates. Values are drawn as f64 nanoseconds and rounded to integer `SimDuration`.

use crate::units::SimDuration;
use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};

/// A duration distribution, ready to sample.
#[derive(Clone, Debug)]
pub enum Dist {
    /// Always the same duration.
    Deterministic(SimDuration),
    /// Exponential with the given mean [ns].
    Exponential { mean_ns: f64 },
    /// Log-normal with parameters of the underlying normal (on ns).
    LogNormal { mu: f64, sigma: f64 },
    /// A discrete table: `values_ns[i]` with probability proportional to its weight.
    Empirical { values_ns: Vec<f64>, cumulative: Vec<f64> },
    /// Weibull with scale [ns] and shape k.
    Weibull { scale_ns: f64, shape: f64 },
}

impl Dist {
    /// Exponential by mean.
    pub(crate) fn exponential(mean: SimDuration) -> Self {
        if mean.is_zero() {
            Dist::Deterministic(SimDuration::ZERO)
        } else {
            Dist::Exponential {
                mean_ns: mean.as_nanos() as f64,
            }
        }
    }

    /// Log-normal by mean and coefficient of variation (sd / mean): sigma^2 = ln(1 + cv^2),
    /// mu = ln(mean) - sigma^2 / 2, so that E[X] = mean exactly.
    pub(crate) fn lognormal(mean: SimDuration, cv: f64) -> Self {
        assert!(cv >= 0.0 && cv.is_finite());
        if mean.is_zero() {
            return Dist::Deterministic(SimDuration::ZERO);
        }
        let s2 = (1.0 + cv * cv).ln();
        Dist::LogNormal {
            mu: (mean.as_nanos() as f64).ln() - s2 / 2.0,
            sigma: s2.sqrt(),
        }
    }

    /// Weibull by mean and shape k: scale = mean / Gamma(1 + 1/k).
    pub(crate) fn weibull(mean: SimDuration, shape: f64) -> Self {
        assert!(shape > 0.0 && shape.is_finite());
        Dist::Weibull {
            scale_ns: mean.as_nanos() as f64 / gamma(1.0 + 1.0 / shape),
            shape,
        }
    }

    /// A weighted table of values [ns]; weights must be non-negative with a positive sum.
    pub(crate) fn empirical(values_ns: Vec<f64>, weights: &[f64]) -> Self {
        assert_eq!(values_ns.len(), weights.len());
        let total: f64 = weights.iter().sum();
        assert!(total > 0.0);
        let mut acc = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                acc += w / total;
                acc
            })
            .collect();
        Dist::Empirical { values_ns, cumulative }
    }

    /// The mean of the distribution [ns].
    pub(crate) fn mean_ns(&self) -> f64 {
        match self {
            Dist::Deterministic(d) => d.as_nanos() as f64,
            Dist::Exponential { mean_ns } => *mean_ns,
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Empirical { values_ns, cumulative } => {
                let mut prev = 0.0;
                values_ns
                    .iter()
                    .zip(cumulative)
                    .map(|(v, c)| {
                        let p = c - prev;
                        prev = *c;
                        v * p
                    })
                    .sum()
            }
            Dist::Weibull { scale_ns, shape } => scale_ns * gamma(1.0 + 1.0 / shape),
        }
    }

    /// True when every sample is zero (lets the driver skip an event).
    pub(crate) fn is_zero(&self) -> bool {
        matches!(self, Dist::Deterministic(d) if d.is_zero())
    }

    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimDuration {
        let ns = match self {
            Dist::Deterministic(d) => return *d,
            Dist::Exponential { mean_ns } => {
                let e: f64 = Exp1.sample(rng);
                mean_ns * e
            }
            Dist::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Dist::Empirical { values_ns, cumulative } => {
                let u: f64 = rng.random();
                let i = cumulative.partition_point(|c| *c <= u).min(values_ns.len() - 1);
                values_ns[i]
            }
            Dist::Weibull { scale_ns, shape } => {
                let e: f64 = Exp1.sample(rng);
                scale_ns * e.powf(1.0 / shape)
            }
        };
        // `ns >= 0`, so adding 0.5 and truncating rounds to nearest without a libm call
        // (`f64::round` is not an instruction on baseline x86-64); a draw beyond
        // `SimDuration::MODEL_MAX` (past any horizon) is clamped so that `now + d` cannot overflow.
        SimDuration::from_nanos_trunc(ns + 0.5)
    }
}

/// The gamma function for x > 0 (Lanczos approximation, g = 7, n = 9; relative error < 1e-13,
/// Numerical Recipes 3rd ed. sec. 6.1). `std` has no stable gamma.
pub(crate) fn gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma(1.0 - x));
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * a
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn sample_mean(d: &Dist, n: usize) -> f64 {
        let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        (0..n).map(|_| d.sample(&mut r).as_nanos() as f64).sum::<f64>() / n as f64
    }

    #[test]
    fn means_match_their_specification() {
        let ms = SimDuration::from_millis(10);
        for d in [Dist::exponential(ms), Dist::lognormal(ms, 1.5), Dist::Deterministic(ms)] {
            assert!((d.mean_ns() - 1e7).abs() < 1.0, "{d:?}");
            let m = sample_mean(&d, 400_000);
            assert!((m / 1e7 - 1.0).abs() < 0.02, "{d:?} sampled mean {m}");
        }
        assert!((gamma(5.0) - 24.0).abs() < 1e-9 && (gamma(0.5) - std::f64::consts::PI.sqrt()).abs() < 1e-12);
        for k in [0.7, 1.0, 2.5] {
            let w = Dist::weibull(ms, k);
            assert!((w.mean_ns() / 1e7 - 1.0).abs() < 1e-9);
            assert!((sample_mean(&w, 400_000) / 1e7 - 1.0).abs() < 0.02, "weibull {k}");
        }
        let e = Dist::empirical(vec![1e6, 3e6], &[3.0, 1.0]);
        assert!((e.mean_ns() - 1.5e6).abs() < 1e-6);
        assert!((sample_mean(&e, 200_000) / 1.5e6 - 1.0).abs() < 0.01);
    }
}
