//! The rolling 30-day error budget over `days.csv`: on each day, how much of the budget the
//! trailing 30 days used (their burn), next to the calendar-month view. SRE practice judges
//! an SLO over a rolling window as well as per calendar month; a rolling window has no month
//! boundary to reset the budget, so an outage late in one month and early in the next counts
//! together.

use super::figures::RollingFigures;
use super::months::{est_of, quantile_sorted};
use super::{DayRow, PartialOutagePolicy};

/// Length of the rolling window [days].
pub(crate) const ROLLING_DAYS: usize = 30;

/// Rolling-window figures of `replications` replications of `days` days each, or `None` when
/// the window is shorter than one rolling window.
pub(super) fn rolling_figures(
    rows: &[DayRow],
    replications: u32,
    days: usize,
    sla_percent: f64,
    policy: PartialOutagePolicy,
) -> Option<RollingFigures> {
    if days < ROLLING_DAYS {
        return None;
    }
    let budget_min = (1.0 - sla_percent / 100.0) * (ROLLING_DAYS as f64 * 1440.0);
    assert!(budget_min > 0.0, "the SLA is below 100%");
    let mut per_day = vec![vec![0.0f64; days]; replications as usize];
    for d in rows {
        per_day[d.replication as usize][d.day as usize] += policy.unavailable_day_min(d);
    }
    let (mut over, mut mean, mut p95, mut worst) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for unavailable in &per_day {
        // Burn of the trailing window ending on each day that has 30 whole days behind it [%
        // of the budget]. The last day may be partial; it counts as a (short) day.
        let mut window: f64 = unavailable[..ROLLING_DAYS].iter().sum();
        let mut burn = vec![100.0 * window / budget_min];
        for d in ROLLING_DAYS..days {
            window += unavailable[d] - unavailable[d - ROLLING_DAYS];
            burn.push(100.0 * window.max(0.0) / budget_min);
        }
        let n = burn.len() as f64;
        over.push(100.0 * burn.iter().filter(|&&b| b > 100.0 + 1e-9).count() as f64 / n);
        mean.push(burn.iter().sum::<f64>() / n);
        burn.sort_by(f64::total_cmp);
        p95.push(quantile_sorted(&burn, 0.95));
        worst.push(*burn.last().expect("at least one window"));
    }
    Some(RollingFigures {
        window_days: ROLLING_DAYS as u32,
        budget_min,
        days_overspent_pct: est_of(&over),
        burn_pct_mean: est_of(&mean),
        burn_pct_p95: est_of(&p95),
        burn_pct_worst: est_of(&worst),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(replication: u32, day: u32, downtime_min: f64) -> DayRow {
        DayRow {
            replication,
            day,
            downtime_min,
            partial_min: 0.0,
            degraded_min: 0.0,
            partial_outage_min: 10.0,
        }
    }

    #[test]
    fn an_outage_across_a_month_boundary_counts_together() {
        // 99.9% over 30 days allows 43.2 minutes. Replication 0: 30 minutes on day 29 and on
        // day 31 (two calendar months could each stay within budget; 30 days cannot). Replication
        // 1: nothing. 60 days: 31 windows per replication, ending on days 29 to 59.
        let rows = [day(0, 29, 30.0), day(0, 31, 30.0)];
        let r = rolling_figures(&rows, 2, 60, 99.9, PartialOutagePolicy::Ignore).unwrap();
        assert!((r.budget_min - 43.2).abs() < 1e-9);
        // Windows ending on days 31..=58 hold both outages (28 of 31); the one ending on day
        // 29 and 30 holds one, and day 59's window (30..=59) holds only day 31's.
        let share0 = 100.0 * 28.0 / 31.0;
        assert!((r.days_overspent_pct.value - share0 / 2.0).abs() < 1e-9);
        let worst0 = 100.0 * 60.0 / 43.2;
        assert!((r.burn_pct_worst.value - worst0 / 2.0).abs() < 1e-9);
        assert!(r.burn_pct_worst.ci95.is_some(), "with its interval across replications");
        // A status page counts 30% of the partial-outage minutes: 10 min x 0.3 on days 29, 31.
        let sp = rolling_figures(&rows, 2, 60, 99.9, PartialOutagePolicy::Statuspage).unwrap();
        assert!((sp.burn_pct_worst.value - 100.0 * 66.0 / 43.2 / 2.0).abs() < 1e-9);
        // Shorter than one rolling window: nothing to show.
        assert!(rolling_figures(&rows, 1, 29, 99.9, PartialOutagePolicy::Ignore).is_none());
    }
}
