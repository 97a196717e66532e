//! The traffic model, once for both drivers: constant-rate Poisson, or a non-homogeneous
//! Poisson process whose rate is piecewise constant (base x hourly x weekday x every burst
//! active, bursts multiplying when they overlap).
//!
//! [`rate_at`] is the single definition of the rate; the request-level sampler
//! ([`Arrivals`]) and the availability driver's integral ([`offered_between`]) are both built on
//! it, so the two modes cannot disagree on the traffic. The non-homogeneous process is sampled
//! exactly by inversion: draw a unit-rate exponential amount of "intensity" and walk the
//! constant pieces until it is used up. No thinning, so no draws are wasted and the result
//! does not depend on a rate bound. Never reads a clock.

use super::rng::StreamRng;
use crate::scenario::{BurstModel, TrafficModel};
use crate::units::{SimDuration, SimTime};
use rand::Rng;
use rand_distr::{Distribution, Exp1};

const HOUR_NS: u64 = 3_600_000_000_000;
const WEEK_NS: u64 = 168 * HOUR_NS;
const NS_PER_S: f64 = 1e9;

/// The offered rate [req/s] in force at `t`, and the end of its constant piece (`SimTime::MAX`
/// when the rate never changes): base x hourly[hour of day] x weekday[day of week] x the
/// multiplier of every burst active at `t` (the run starts on a Monday at 00:00).
pub fn rate_at(model: &TrafficModel, t: SimTime) -> (f64, SimTime) {
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
pub fn offered_between(model: &TrafficModel, a: SimTime, b: SimTime) -> f64 {
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

/// Generates arrival instants and client keys from its own RNG stream.
pub struct Arrivals {
    model: TrafficModel,
    rng: StreamRng,
    clients: u64,
}

impl Arrivals {
    pub fn new(model: TrafficModel, rng: StreamRng) -> Self {
        let clients = match &model {
            TrafficModel::Poisson { clients, .. } | TrafficModel::Profile { clients, .. } => *clients,
        };
        Arrivals { model, rng, clients }
    }

    /// A client key for `balance source`, uniform over the client population.
    #[inline]
    pub fn client(&mut self) -> u64 {
        self.rng.random_range(0..self.clients)
    }

    /// The first arrival strictly after `t`.
    #[inline]
    pub fn next_after(&mut self, t: SimTime) -> SimTime {
        let e: f64 = Exp1.sample(&mut self.rng);
        match &self.model {
            TrafficModel::Poisson { rate_per_s, .. } => {
                // Round up so that two arrivals never share an instant by construction.
                // Capped at the end of time: a rate so low that the next arrival lies beyond
                // it means no further arrival in any run.
                let gap = ceil_ns(e * (NS_PER_S / rate_per_s)).min(u64::MAX - t.as_nanos());
                t + SimDuration::from_nanos(gap)
            }
            profile @ TrafficModel::Profile { .. } => invert(t, e, |now| {
                let (rate, end) = rate_at(profile, now);
                (rate / NS_PER_S, end)
            }),
        }
    }
}

/// `max(1, ceil(x))` for x >= 0 without a libm call (`f64::ceil` is not an instruction on
/// baseline x86-64).
#[inline]
fn ceil_ns(x: f64) -> u64 {
    let t = x as u64;
    // `as` saturates at u64::MAX for an absurdly low rate; so does the increment.
    let c = if (t as f64) < x { t.saturating_add(1) } else { t };
    c.max(1)
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

/// Spend `e` units of cumulative intensity from `t`; `piece(now)` gives the rate [1/ns] in
/// force at `now` and the end of the piece.
fn invert(mut t: SimTime, mut e: f64, piece: impl Fn(SimTime) -> (f64, SimTime)) -> SimTime {
    loop {
        let (rate, end) = piece(t);
        debug_assert!(end > t);
        let span = end.since(t).as_nanos() as f64;
        if rate > 0.0 && e <= rate * span {
            let gap = ceil_ns(e / rate);
            return t + SimDuration::from_nanos(gap.min(span as u64).max(1));
        }
        e -= rate * span;
        t = end;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn peak_rate_multiplies_overlapping_bursts() {
        use crate::scenario::{BurstModel, TrafficModel};
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

    use super::*;
    use crate::sim::rng::Seeds;

    fn count_until(model: TrafficModel, until: SimTime) -> (u64, Vec<u64>) {
        let mut a = Arrivals::new(model, Seeds::new(3, 0).stream("traffic/arrivals"));
        let mut t = SimTime::ZERO;
        let mut n = 0;
        let mut per_hour = vec![0u64; 24];
        loop {
            t = a.next_after(t);
            if t >= until {
                return (n, per_hour);
            }
            n += 1;
            per_hour[((t.as_nanos() / HOUR_NS) % 24) as usize] += 1;
        }
    }

    #[test]
    fn poisson_rate_is_respected() {
        let (n, _) = count_until(
            TrafficModel::Poisson {
                rate_per_s: 500.0,
                clients: 10,
            },
            SimTime::from_secs(2_000),
        );
        // 1e6 expected; sd 1000; allow 5 sd.
        assert!((n as f64 - 1e6).abs() < 5_000.0, "{n}");
    }

    #[test]
    fn profile_follows_hourly_weights_and_bursts() {
        let mut hourly = [1.0; 24];
        hourly[3] = 0.0;
        hourly[12] = 3.0;
        let norm = hourly.iter().sum::<f64>() / 24.0;
        let hourly = hourly.map(|h| h / norm);
        let model = TrafficModel::Profile {
            base_rate_per_s: 10.0,
            hourly,
            weekday: [1.0; 7],
            bursts: vec![BurstModel {
                start: SimTime::from_secs(30 * 3600),
                end: SimTime::from_secs(31 * 3600),
                multiplier: 4.0,
            }],
            clients: 10,
        };
        let days = 20;
        let (n, per_hour) = count_until(model, SimTime::from_secs(days * 86_400));
        assert_eq!(per_hour[3], 0, "a zero-weight hour has no arrivals");
        let expect_noon = 10.0 * 3600.0 * hourly[12] * days as f64;
        assert!(
            (per_hour[12] as f64 / expect_noon - 1.0).abs() < 0.02,
            "{} vs {expect_noon}",
            per_hour[12]
        );
        // Total: base rate over the days plus the burst's extra 3 x one hour at hour 6 (weight 1/norm).
        let expect = 10.0 * 86_400.0 * days as f64 + 3.0 * 10.0 * 3600.0 * hourly[6];
        assert!((n as f64 / expect - 1.0).abs() < 0.01, "{n} vs {expect}");
    }

    /// The sampler and the integral are one model: on a profile with hourly and weekday
    /// weights and two overlapping bursts (x2 and x3, so x6 where they overlap), the arrivals
    /// counted by the request sampler agree with `offered_between` within 5 standard
    /// deviations, over the whole run and over the overlap alone, and the integral's whole-week
    /// shortcut equals walking every piece.
    #[test]
    fn sampler_and_integral_agree_on_overlapping_bursts_weekday_and_hourly_weights() {
        let mut hourly = [1.0; 24];
        hourly[2] = 0.2;
        hourly[20] = 2.5;
        let norm = hourly.iter().sum::<f64>() / 24.0;
        let weekday = [1.2, 1.1, 1.0, 1.0, 0.9, 0.4, 0.4];
        let wnorm = weekday.iter().sum::<f64>() / 7.0;
        let h = |x: u64| SimTime::from_secs(x * 3600);
        let model = TrafficModel::Profile {
            base_rate_per_s: 1.0,
            hourly: hourly.map(|x| x / norm),
            weekday: weekday.map(|x| x / wnorm),
            bursts: vec![
                BurstModel {
                    start: h(100),
                    end: h(130) + SimDuration::from_secs(1_800),
                    multiplier: 2.0,
                },
                BurstModel {
                    start: h(120) + SimDuration::from_secs(600),
                    end: h(150),
                    multiplier: 3.0,
                },
            ],
            clients: 10,
        };
        let overlap = (
            h(120) + SimDuration::from_secs(600),
            h(130) + SimDuration::from_secs(1_800),
        );
        let (r, _) = rate_at(&model, overlap.0);
        let (quiet, _) = rate_at(&model, overlap.0 + SimDuration::from_nanos(WEEK_NS));
        assert!((r / quiet - 6.0).abs() < 1e-12, "overlapping bursts multiply");

        let until = h(24 * 22);
        let mut a = Arrivals::new(model.clone(), Seeds::new(5, 0).stream("traffic/arrivals"));
        let (mut t, mut n, mut in_overlap) = (SimTime::ZERO, 0u64, 0u64);
        loop {
            t = a.next_after(t);
            if t >= until {
                break;
            }
            n += 1;
            in_overlap += u64::from(overlap.0 <= t && t < overlap.1);
        }
        for (count, (from, to)) in [(n, (SimTime::ZERO, until)), (in_overlap, overlap)] {
            let want = offered_between(&model, from, to);
            assert!(
                (count as f64 - want).abs() < 5.0 * want.sqrt(),
                "{count} arrivals vs {want} offered"
            );
        }
        // Whole weeks at once against every piece walked.
        let (from, to) = (h(3), until);
        let mut walked = 0.0;
        let mut t = from;
        while t < to {
            let (rate, end) = rate_at(&model, t);
            let end = end.min(to);
            walked += rate * end.since(t).as_nanos() as f64 / NS_PER_S;
            t = end;
        }
        let skipped = offered_between(&model, from, to);
        assert!((skipped / walked - 1.0).abs() < 1e-12, "{skipped} vs {walked}");
    }
}
