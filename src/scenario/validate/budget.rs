//! What a run will cost (requests, random events, transfer times), checked against the limits
//! that keep a run bounded, after every value is valid.

use super::checks::{DURATION_LIMIT_TEXT, bad, shown};
use super::{Checked, Draft, Invalid};
use crate::scenario::{BackupModel, Mode, ReliabilityModel, Scenario, TrafficModel};
use crate::units::SimDuration;

pub(super) const YEAR_NS: f64 = 365.0 * 86_400e9;

/// The most requests plus storage reads one replication may be expected to simulate (mean
/// rate x horizon, bursts included, x (1 + storage_reads)): several minutes of one core at the
/// bench speed. Beyond it a run is a hang, not a
/// study; shorten `horizon` or lower the traffic.
pub(crate) const REQUESTS_PER_REPLICATION_MAX: f64 = 1e9;
/// The lowest mean arrival rate [req/s] (one request in about three years): below it the
/// arrival sampler would look for the next request beyond the ~584 years `SimTime` holds.
pub(crate) const RATE_MIN_PER_S: f64 = 1e-8;
/// The most random failures of one component class, or human errors, one replication may be
/// expected to draw: beyond it the event queue runs away.
pub(crate) const RANDOM_EVENTS_PER_REPLICATION_MAX: f64 = 1e6;

/// Requests plus storage reads one request-level replication is expected to simulate: the
/// mean rate over `horizon` (bursts included) times `1 + storage_reads`.
pub(crate) fn expected_work(traffic: &TrafficModel, horizon: SimDuration, storage_reads: u32) -> f64 {
    let horizon_s = horizon.as_secs_f64();
    let (rate, bursts) = match traffic {
        TrafficModel::Poisson { rate_per_s, .. } => (*rate_per_s, &[][..]),
        TrafficModel::Profile {
            base_rate_per_s,
            bursts,
            ..
        } => (*base_rate_per_s, &bursts[..]),
    };
    let burst_extra: f64 = bursts
        .iter()
        .map(|b| (b.multiplier - 1.0).max(0.0) * b.end.saturating_since(b.start).as_secs_f64().min(horizon_s))
        .sum();
    rate * (horizon_s + burst_extra) * (1.0 + f64::from(storage_reads))
}

/// What the run will cost, checked against the limits above (after every value is valid).
pub(super) fn budget(
    spec: &Scenario,
    horizon: SimDuration,
    traffic: &TrafficModel,
    r: &ReliabilityModel,
    backup: Option<&BackupModel>,
    web_count: u32,
    storage_count: u32,
) -> Result<(), Invalid> {
    let (rate_key, mean_rate) = match traffic {
        TrafficModel::Poisson { rate_per_s, .. } => ("traffic.rate_per_s", *rate_per_s),
        TrafficModel::Profile { base_rate_per_s, .. } => ("traffic.visitors_per_month", *base_rate_per_s),
    };
    if mean_rate < RATE_MIN_PER_S {
        return bad(
            rate_key,
            format!(
                "(with the other traffic keys) gives a mean rate of {mean_rate:e} req/s, below the floor {RATE_MIN_PER_S:e} req/s (one request in about three years)"
            ),
        );
    }
    if spec.mode == Mode::Requests {
        let expected = expected_work(traffic, horizon, spec.requests.storage_reads);
        if expected > REQUESTS_PER_REPLICATION_MAX {
            // The traffic alone, or the reads each request makes, is what is too much.
            let key = if expected_work(traffic, horizon, 0) > REQUESTS_PER_REPLICATION_MAX {
                rate_key
            } else {
                "requests.storage_reads"
            };
            return bad(
                key,
                format!(
                    "(with the traffic keys) gives about {expected:.3e} requests and storage reads per replication ({mean_rate:.4e} req/s x {} reads over {horizon}); the ceiling is {REQUESTS_PER_REPLICATION_MAX:e}: shorten the horizon, lower the traffic or use mode = \"availability\"",
                    spec.requests.storage_reads
                ),
            );
        }
    }
    let horizon_ns = horizon.as_nanos() as f64;
    let classes = [
        ("reliability.lb", &r.lb, 2.0),
        ("reliability.web", &r.web, f64::from(web_count)),
        ("reliability.storage", &r.storage, f64::from(storage_count)),
        ("reliability.backup", &r.backup, 1.0),
    ];
    for (key, c, n) in classes {
        let expected = n * horizon_ns / c.ttf.mean_ns();
        if c.fails && expected > RANDOM_EVENTS_PER_REPLICATION_MAX {
            return bad(
                format!("{key}.ttf"),
                format!(
                    "about {expected:.3e} failures per replication over {horizon}; the ceiling is {RANDOM_EVENTS_PER_REPLICATION_MAX:e}: a longer time to failure or a shorter horizon"
                ),
            );
        }
    }
    if let Some(b) = backup {
        let expected = b.human_error_rate_per_ns * horizon_ns;
        if expected > RANDOM_EVENTS_PER_REPLICATION_MAX {
            return bad(
                "backup.human_errors_per_year",
                format!(
                    "about {expected:.3e} human errors per replication over {horizon}; the ceiling is {RANDOM_EVENTS_PER_REPLICATION_MAX:e}"
                ),
            );
        }
        let transfer_s = b.data_bytes / b.config.bandwidth_bytes_per_s;
        if transfer_s > SimDuration::MODEL_MAX.as_secs_f64() {
            return bad(
                "backup.bandwidth_mb_per_s",
                format!(
                    "{} MB/s would take {transfer_s:.3e} s to copy backup.data_gb = {}; the limit for any duration is {DURATION_LIMIT_TEXT}",
                    shown(spec.backup.bandwidth_mb_per_s),
                    shown(spec.backup.data_gb)
                ),
            );
        }
    }
    Ok(())
}

/// The section: once every value it reads is valid.
pub(super) fn section(spec: &Scenario, d: &mut Draft) -> Checked {
    let (Some(horizon), Some(traffic), Some(r), Some(backup), Some(web_count), Some(storage_count)) = (
        d.horizon,
        &d.traffic,
        &d.reliability,
        &d.backup,
        d.web_count,
        d.storage_count,
    ) else {
        return Ok(());
    };
    budget(spec, horizon, traffic, r, backup.as_ref(), web_count, storage_count)?;
    Ok(())
}
