//! `[traffic]` (the arrival process and its daily, weekly and burst rhythm) and `[requests]`.

use super::checks::{bad, duration, factor, normalised, positive, probability};
use super::{Checked, Draft, each, refuse};
use crate::scenario::{BurstModel, MONTH_SECS, Scenario, TrafficKind, TrafficModel};
use crate::units::SimTime;

pub(super) fn traffic(spec: &Scenario, d: &mut Draft) -> Checked {
    let t = &spec.traffic;
    if t.clients == 0 {
        return refuse("traffic.clients", "must be at least 1");
    }
    d.traffic = Some(match t.kind {
        TrafficKind::Poisson => TrafficModel::Poisson {
            rate_per_s: positive("traffic.rate_per_s", t.rate_per_s)?,
            clients: t.clients,
        },
        TrafficKind::Profile => {
            let visitors = positive("traffic.visitors_per_month", t.visitors_per_month)?;
            let per_visit = positive("traffic.requests_per_visit", t.requests_per_visit)?;
            let mut bursts = Vec::new();
            each(t.bursts.iter().enumerate(), |(i, b)| {
                let k = format!("traffic.burst[{i}]");
                let start = SimTime::ZERO + duration(&format!("{k}.start"), &b.start)?;
                let len = duration(&format!("{k}.duration"), &b.duration)?;
                if len.is_zero() {
                    return bad(format!("{k}.duration"), "must be longer than zero");
                }
                let multiplier = factor(&format!("{k}.multiplier"), b.multiplier, 0.0)?;
                bursts.push(BurstModel {
                    start,
                    end: start + len,
                    multiplier,
                });
                Ok(())
            })?;
            TrafficModel::Profile {
                base_rate_per_s: visitors * per_visit / MONTH_SECS,
                hourly: normalised("traffic.hourly_weights", &t.hourly_weights)?,
                weekday: {
                    // Monday first in the file; from the day of simulation time 0 in the model.
                    let mut w: [f64; 7] = normalised("traffic.weekday_weights", &t.weekday_weights)?;
                    w.rotate_left(d.calendar.as_ref().map_or(0, |c| usize::from(c.weekday_monday0)));
                    w
                },
                bursts,
                clients: t.clients,
            }
        }
    });
    Ok(())
}

pub(super) fn requests(spec: &Scenario, d: &mut Draft) -> Checked {
    d.write_fraction = Some(probability("requests.write_fraction", spec.requests.write_fraction)?);
    Ok(())
}
