//! The request-level traffic sampler: arrival instants and client keys drawn from a named RNG
//! stream, following the one traffic model in `model::traffic`.
//!
//! The non-homogeneous process is sampled exactly by inversion: draw a unit-rate exponential
//! amount of "intensity" and walk the constant pieces of [`rate_at`] until it is used up. No
//! thinning, so no draws are wasted and the result does not depend on a rate bound. Never
//! reads a clock.

use crate::model::traffic::{NS_PER_S, rate_at};

use super::rng::StreamRng;
use crate::scenario::TrafficModel;
use crate::units::{SimDuration, SimTime};
use rand::Rng;
use rand_distr::{Distribution, Exp1};

/// Generates arrival instants and client keys from its own RNG stream.
pub(crate) struct Arrivals {
    model: TrafficModel,
    rng: StreamRng,
    clients: u64,
    /// `NS_PER_S / rate_per_s` of a Poisson model, divided once (the same value, so the same
    /// gaps, as dividing per arrival); unused by a profile.
    mean_gap_ns: f64,
}

impl Arrivals {
    pub(crate) fn new(model: TrafficModel, rng: StreamRng) -> Self {
        let clients = match &model {
            TrafficModel::Poisson { clients, .. } | TrafficModel::Profile { clients, .. } => *clients,
        };
        let mean_gap_ns = match &model {
            TrafficModel::Poisson { rate_per_s, .. } => NS_PER_S / rate_per_s,
            TrafficModel::Profile { .. } => f64::NAN,
        };
        Arrivals {
            model,
            rng,
            clients,
            mean_gap_ns,
        }
    }

    /// A client key for `balance source`, uniform over the client population.
    #[inline]
    pub(crate) fn client(&mut self) -> u64 {
        self.rng.random_range(0..self.clients)
    }

    /// The first arrival strictly after `t`.
    #[inline]
    pub(crate) fn next_after(&mut self, t: SimTime) -> SimTime {
        let e: f64 = Exp1.sample(&mut self.rng);
        match &self.model {
            TrafficModel::Poisson { .. } => {
                // Round up so that two arrivals never share an instant by construction.
                // Capped at the end of time: a rate so low that the next arrival lies beyond
                // it means no further arrival in any run.
                let gap = ceil_ns(e * self.mean_gap_ns).min(u64::MAX - t.as_nanos());
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
    // Below 2^62 the signed conversions give what the unsigned ones give, each in one
    // instruction on x86-64 (the unsigned ones are sequences).
    const SIGNED_EXACT: f64 = (1u64 << 62) as f64;
    if x < SIGNED_EXACT {
        let t = x as i64;
        let c = if (t as f64) < x { t + 1 } else { t };
        return c.max(1) as u64;
    }
    let t = x as u64;
    // `as` saturates at u64::MAX for an absurdly low rate; so does the increment.
    let c = if (t as f64) < x { t.saturating_add(1) } else { t };
    c.max(1)
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
    use super::*;
    use crate::model::traffic::{HOUR_NS, WEEK_NS, offered_between};
    use crate::scenario::BurstModel;
    use crate::sim::rng::Seeds;

    #[test]
    fn ceil_is_the_unsigned_formula() {
        let unsigned = |x: f64| {
            let t = x as u64;
            let c = if (t as f64) < x { t.saturating_add(1) } else { t };
            c.max(1)
        };
        for x in crate::units::tests::edge_floats() {
            assert_eq!(ceil_ns(x), unsigned(x), "{x}");
        }
    }

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
