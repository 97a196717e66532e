//! Confidence intervals across replications (Student's t), in f64 at the reporting edge.
//!
//! Replications are independent by construction (separate seeds), so the per-replication
//! values of a figure are i.i.d. and the t interval applies. Never used inside the engine.

use serde::{Deserialize, Serialize};

/// A figure with its 95% confidence half-width across replications.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The mean (or the single value).
    pub value: f64,
    /// Half-width of the 95% CI; `None` (JSON null) with a single replication.
    pub ci95: Option<f64>,
}

impl Estimate {
    /// Mean and 95% t-interval half-width of i.i.d. samples.
    pub fn from_samples(xs: &[f64]) -> Estimate {
        assert!(!xs.is_empty(), "an estimate needs at least one replication");
        let n = xs.len() as f64;
        // Summed in index order: the result does not depend on how replications were scheduled.
        let mean = xs.iter().sum::<f64>() / n;
        if xs.len() < 2 {
            return Estimate {
                value: mean,
                ci95: None,
            };
        }
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        Estimate {
            value: mean,
            ci95: Some(t_975(xs.len() - 1) * (var / n).sqrt()),
        }
    }

    /// Whether `x` lies inside the interval (a single replication contains only its value).
    pub fn contains(&self, x: f64) -> bool {
        (self.value - x).abs() <= self.ci95.unwrap_or(0.0)
    }
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom.
/// Exact table to 30 (Abramowitz & Stegun, table 26.10), then the Cornish-Fisher expansion
/// (A&S 26.7.5), accurate to better than 1e-4 beyond 30.
pub(crate) fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    assert!(df >= 1);
    if df <= 30 {
        return TABLE[df - 1];
    }
    let z: f64 = 1.959_963_984_540_054;
    let n = df as f64;
    let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
    z + (z3 + z) / (4.0 * n)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * n * n)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * n * n * n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles() {
        assert_eq!(t_975(1), 12.706);
        assert!((t_975(40) - 2.021).abs() < 1e-3);
        assert!((t_975(120) - 1.980).abs() < 1e-3);
        assert!((t_975(100_000) - 1.96).abs() < 1e-3);
    }

    #[test]
    fn estimate_of_known_samples() {
        let e = Estimate::from_samples(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(e.value, 2.5);
        // sd = 1.29099, se = 0.645497, t3 = 3.182
        assert!((e.ci95.unwrap() - 3.182 * 0.645_497).abs() < 1e-5);
        assert!(e.contains(4.5) && !e.contains(4.6));
        assert_eq!(Estimate::from_samples(&[7.0]).ci95, None);
    }
}
