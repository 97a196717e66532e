//! The traffic model, once for both drivers: constant-rate Poisson, or a non-homogeneous
//! Poisson process whose rate is piecewise constant (base x hourly x weekday x every burst
//! active, bursts multiplying when they overlap).
//!
//! [`rate_at`] is the single definition of the rate; the request-level sampler
//! (`sim::traffic::Arrivals`) and the availability driver's integral ([`offered_between`]) are
//! both built on it, so the two modes cannot disagree on the traffic. Pure functions of the
//! checked model: no RNG, never reads a clock.

use crate::units::{SimDuration, SimTime};

/// The arrival process.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // built once per run; boxing would only add a pointer chase
pub enum TrafficModel {
    /// Constant rate [req/s].
    Poisson {
        /// Arrival rate [req/s].
        rate_per_s: f64,
        /// Distinct client addresses (`balance source` hashes them).
        clients: u64,
    },
    /// Piecewise-constant rate: base x hourly[h] x weekday[d] x bursts.
    Profile {
        /// Mean rate over a week [req/s].
        base_rate_per_s: f64,
        /// Normalised to mean 1.
        hourly: [f64; 24],
        /// Normalised to mean 1, from the day of simulation time 0 (`start`'s weekday; the
        /// scenario's `weekday_weights` are Monday first).
        weekday: [f64; 7],
        /// Bursts multiplying the rate in their window.
        bursts: Vec<BurstModel>,
        /// Distinct client addresses (`balance source` hashes them).
        clients: u64,
    },
}

#[derive(Clone, Debug)]
/// A window in which the arrival rate is multiplied.
pub struct BurstModel {
    pub(crate) start: SimTime,
    pub(crate) end: SimTime,
    pub(crate) multiplier: f64,
}

pub(crate) const HOUR_NS: u64 = 3_600_000_000_000;
pub(crate) const WEEK_NS: u64 = 168 * HOUR_NS;
pub(crate) const NS_PER_S: f64 = 1e9;

/// The offered rate [req/s] in force at `t`, and the end of its constant piece (`SimTime::MAX`
/// when the rate never changes): base x hourly[hour of day] x weekday[day of week] x the
/// multiplier of every burst active at `t` (`weekday[0]` is the day of simulation time 0).
pub(crate) fn rate_at(model: &TrafficModel, t: SimTime) -> (f64, SimTime) {
    match model {
        TrafficModel::Poisson { rate_per_s, .. } => (*rate_per_s, SimTime::MAX),
        TrafficModel::Profile {
            base_rate_per_s,
            hourly,
            weekday,
            bursts,
            ..
        } => {
            let h = t.as_nanos() / HOUR_NS;
            let rate = base_rate_per_s * hourly[(h % 24) as usize] * weekday[((h / 24) % 7) as usize];
            let next_hour = SimTime::from_nanos((h + 1).saturating_mul(HOUR_NS));
            let (mult, next_edge) = burst_factor(bursts, t);
            (rate * mult, next_hour.min(next_edge))
        }
    }
}

/// The highest rate [req/s] offered in `[0, end)`: the maximum of [`rate_at`] over its
/// pieces. The profile repeats weekly, so the walk stops one week past the last burst's end
/// (or at `end`): cost at most the hours up to there.
pub fn peak_rate_per_s(model: &TrafficModel, end: SimTime) -> f64 {
    let last_burst = match model {
        TrafficModel::Poisson { rate_per_s, .. } => return *rate_per_s,
        TrafficModel::Profile { bursts, .. } => bursts.iter().map(|b| b.end).max().unwrap_or(SimTime::ZERO),
    };
    let stop = end.min(last_burst.saturating_add(SimDuration::from_nanos(WEEK_NS)));
    let (mut peak, mut t) = (0.0_f64, SimTime::ZERO);
    while t < stop {
        let (rate, next) = rate_at(model, t);
        assert!(next > t, "pieces advance");
        peak = peak.max(rate);
        t = next;
    }
    peak
}

/// Requests offered in `[a, b)`: the integral of [`rate_at`], piece by piece. Whole weeks
/// without a burst are added at once (the profile repeats weekly), so the cost does not grow
/// with the length of a quiet span.
pub(crate) fn offered_between(model: &TrafficModel, a: SimTime, b: SimTime) -> f64 {
    if b <= a {
        return 0.0;
    }
    let bursts: &[BurstModel] = match model {
        TrafficModel::Poisson { rate_per_s, .. } => return rate_per_s * b.since(a).as_nanos() as f64 / NS_PER_S,
        TrafficModel::Profile { bursts, .. } => bursts,
    };
    let mut week_total: Option<f64> = None;
    let mut sum = 0.0;
    let mut t = a;
    while t < b {
        let ns = t.as_nanos();
        if ns.is_multiple_of(WEEK_NS) && b.as_nanos() - ns >= WEEK_NS {
            let end = SimTime::from_nanos(ns + WEEK_NS);
            if !bursts.iter().any(|x| x.start < end && t < x.end) {
                let week = *week_total.get_or_insert_with(|| quiet_week(model));
                sum += week;
                t = end;
                continue;
            }
        }
        let (rate, end) = rate_at(model, t);
        let end = end.min(b);
        debug_assert!(end > t, "pieces advance");
        sum += rate * end.since(t).as_nanos() as f64 / NS_PER_S;
        t = end;
    }
    sum
}

/// Requests offered over one week of the profile without its bursts.
fn quiet_week(model: &TrafficModel) -> f64 {
    let TrafficModel::Profile {
        base_rate_per_s,
        hourly,
        weekday,
        clients,
        ..
    } = model
    else {
        unreachable!("constant traffic is integrated directly")
    };
    let quiet = TrafficModel::Profile {
        base_rate_per_s: *base_rate_per_s,
        hourly: *hourly,
        weekday: *weekday,
        bursts: Vec::new(),
        clients: *clients,
    };
    let (mut t, week_end, mut sum) = (SimTime::ZERO, SimTime::from_nanos(WEEK_NS), 0.0);
    while t < week_end {
        let (rate, end) = rate_at(&quiet, t);
        let end = end.min(week_end);
        sum += rate * end.since(t).as_nanos() as f64 / NS_PER_S;
        t = end;
    }
    sum
}

/// Multiplier of the bursts active at `t`, and the next instant any burst starts or ends.
fn burst_factor(bursts: &[BurstModel], t: SimTime) -> (f64, SimTime) {
    let mut mult = 1.0;
    let mut next = SimTime::MAX;
    for b in bursts {
        if b.start <= t && t < b.end {
            mult *= b.multiplier;
            next = next.min(b.end);
        } else if t < b.start {
            next = next.min(b.start);
        }
    }
    (mult, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_rate_multiplies_overlapping_bursts() {
        let h = |n: u64| SimTime::from_nanos(n * HOUR_NS);
        let mut hourly = [1.0; 24];
        hourly[20] = 2.0;
        let burst = |start, end, multiplier| BurstModel { start, end, multiplier };
        let model = TrafficModel::Profile {
            base_rate_per_s: 10.0,
            hourly,
            weekday: [1.0; 7],
            bursts: vec![burst(h(30), h(50), 3.0), burst(h(40), h(45), 2.0)],
            clients: 1,
        };
        // Hour 44 (20:00 on day 2) lies in both bursts: 10 x 2 x 3 x 2.
        assert_eq!(peak_rate_per_s(&model, h(24 * 14)), 120.0);
        // Cut before the bursts: only the evening peak.
        assert_eq!(peak_rate_per_s(&model, h(24)), 20.0);
    }
}
