//! Monthly SLA arithmetic over `months.csv`: availability and error budget of a period, the
//! months of the window, the chance of breaking the SLA, the distribution of one month.

use super::figures::{CreditFigures, CreditRow, MonthBucket, MonthDistribution, PeriodRow};
use super::{CreditTier, MonthRow, PartialOutagePolicy};
use crate::scenario::MONTH_SECS;
use crate::stats::Estimate;

/// Availability [%] of a period with `unavailable_min` of its `period_min` minutes down.
pub(crate) fn availability_pct(unavailable_min: f64, period_min: f64) -> f64 {
    assert!(period_min > 0.0, "a period has minutes");
    (100.0 * (1.0 - unavailable_min / period_min)).clamp(0.0, 100.0)
}

/// Minutes a period may be unavailable under the SLA: (1 - SLA) x minutes in the period.
pub(crate) fn error_budget_min(sla_percent: f64, period_min: f64) -> f64 {
    (1.0 - sla_percent / 100.0) * period_min
}

/// Whether a period breaks the SLA: its availability is below the SLA.
pub(crate) fn breaks_sla(unavailable_min: f64, period_min: f64, sla_percent: f64) -> bool {
    unavailable_min > error_budget_min(sla_percent, period_min)
}

pub(super) fn scale(e: Estimate, k: f64) -> Estimate {
    Estimate {
        value: e.value * k,
        ci95: e.ci95.map(|c| c * k),
    }
}

pub(super) fn est_of(xs: &[f64]) -> Estimate {
    Estimate::from_samples(xs)
}

/// Whole months per replication that the monthly figures use, and each one's length [min]:
/// whole months of 30.44 days; a window shorter than a month is its own period.
pub(super) fn months_used(window_s: f64) -> (usize, f64) {
    let whole = (window_s / MONTH_SECS + 1e-9).floor() as usize;
    if whole >= 1 {
        (whole, MONTH_SECS / 60.0)
    } else {
        (1, window_s / 60.0)
    }
}

/// Availability, unavailable minutes, budget left and the chance of breaking the SLA over the
/// months `pick` selects, per replication, as estimates across replications.
pub(crate) fn period_row(
    months: &[MonthRow],
    replications: u32,
    used: usize,
    period_min: f64,
    sla_percent: f64,
    policy: PartialOutagePolicy,
    month_of_year: Option<u32>,
) -> PeriodRow {
    let pick = |m: u32| (m as usize) < used && month_of_year.is_none_or(|k| m % 12 == k);
    let (mut avail, mut down, mut breach) = (Vec::new(), Vec::new(), Vec::new());
    let mut periods = 0;
    for r in 0..replications {
        let mine: Vec<f64> = months
            .iter()
            .filter(|m| m.replication == r && pick(m.month))
            .map(|m| policy.unavailable_min(m))
            .collect();
        assert!(!mine.is_empty(), "every replication has the picked months");
        periods = mine.len();
        let n = mine.len() as f64;
        avail.push(mine.iter().map(|&u| availability_pct(u, period_min)).sum::<f64>() / n);
        down.push(mine.iter().sum::<f64>() / n);
        breach.push(mine.iter().filter(|&&u| breaks_sla(u, period_min, sla_percent)).count() as f64 / n);
    }
    let unavailable = est_of(&down);
    let budget = error_budget_min(sla_percent, period_min);
    PeriodRow {
        month_of_year,
        periods_per_replication: periods as u32,
        period_min,
        availability_pct: est_of(&avail),
        unavailable_min: unavailable,
        budget_remaining_min: Estimate {
            value: budget - unavailable.value,
            ci95: unavailable.ci95,
        },
        breach_probability: Some(est_of(&breach)),
    }
}

/// Upper ends of the month buckets as fractions of the error budget (`over` is the rest):
/// no unavailability at all, up to a quarter, a half and all of the budget.
const MONTH_BUCKETS: [(&str, f64); 4] = [("none", 0.0), ("quarter", 0.25), ("half", 0.5), ("budget", 1.0)];

/// Nearest-rank quantile of sorted values.
pub(super) fn quantile_sorted(xs: &[f64], q: f64) -> f64 {
    assert!(
        !xs.is_empty() && (0.0..=1.0).contains(&q),
        "quantile {q} of {} values",
        xs.len()
    );
    let rank = ((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len());
    xs[rank - 1]
}

/// The month distribution of the first `used` months of each replication.
pub(crate) fn month_distribution(
    months: &[MonthRow],
    replications: u32,
    used: usize,
    period_min: f64,
    sla_percent: f64,
    policy: PartialOutagePolicy,
) -> Option<MonthDistribution> {
    let in_window: Vec<&MonthRow> = months.iter().filter(|m| (m.month as usize) < used).collect();
    if in_window.is_empty() {
        return None;
    }
    let budget = error_budget_min(sla_percent, period_min);
    let bucket_of = |unavailable: f64| {
        MONTH_BUCKETS
            .iter()
            .position(|(_, frac)| unavailable <= frac * budget)
            .unwrap_or(MONTH_BUCKETS.len())
    };
    let kinds = MONTH_BUCKETS.len() + 1;
    let mut counts = vec![vec![0u64; kinds]; replications as usize];
    for m in &in_window {
        counts[m.replication as usize][bucket_of(policy.unavailable_min(m))] += 1;
    }
    let buckets = (0..kinds)
        .map(|k| {
            let shares: Vec<f64> = counts
                .iter()
                .map(|c| 100.0 * c[k] as f64 / c.iter().sum::<u64>().max(1) as f64)
                .collect();
            MonthBucket {
                kind: MONTH_BUCKETS.get(k).map_or("over", |b| b.0),
                share_pct: est_of(&shares),
            }
        })
        .collect();
    let mut avail: Vec<f64> = in_window
        .iter()
        .map(|m| availability_pct(policy.unavailable_min(m), period_min))
        .collect();
    avail.sort_by(f64::total_cmp);
    Some(MonthDistribution {
        buckets,
        availability_pct_p5: quantile_sorted(&avail, 0.05),
        availability_pct_p50: quantile_sorted(&avail, 0.5),
        availability_pct_p95: quantile_sorted(&avail, 0.95),
    })
}

/// The tier a month with availability `avail_pct` falls in (the one with the largest credit
/// among those it is below), if any. `tiers` are checked: thresholds falling, credits rising.
pub(super) fn credit_tier(avail_pct: f64, tiers: &[CreditTier]) -> Option<usize> {
    (0..tiers.len()).rev().find(|&k| avail_pct < tiers[k].below_pct)
}

/// SLA credits over the first `used` months of each replication: the chance that a month
/// falls in each tier, and the expected credit of a month [% of the monthly fee], as
/// estimates across replications.
pub(crate) fn credit_figures(
    months: &[MonthRow],
    replications: u32,
    used: usize,
    period_min: f64,
    policy: PartialOutagePolicy,
    tiers: &[CreditTier],
) -> CreditFigures {
    assert!(!tiers.is_empty(), "options carry at least one credit tier");
    let mut shares = vec![Vec::new(); tiers.len()];
    let mut expected = Vec::new();
    for r in 0..replications {
        let mine: Vec<Option<usize>> = months
            .iter()
            .filter(|m| m.replication == r && (m.month as usize) < used)
            .map(|m| credit_tier(availability_pct(policy.unavailable_min(m), period_min), tiers))
            .collect();
        assert!(!mine.is_empty(), "every replication has the months used");
        let n = mine.len() as f64;
        for (k, share) in shares.iter_mut().enumerate() {
            share.push(100.0 * mine.iter().filter(|t| **t == Some(k)).count() as f64 / n);
        }
        expected.push(mine.iter().map(|t| t.map_or(0.0, |k| tiers[k].credit_pct)).sum::<f64>() / n);
    }
    CreditFigures {
        tiers: tiers
            .iter()
            .zip(&shares)
            .map(|(t, share)| CreditRow {
                below_pct: t.below_pct,
                credit_pct: t.credit_pct,
                month_share_pct: est_of(share),
            })
            .collect(),
        expected_credit_pct: est_of(&expected),
    }
}
