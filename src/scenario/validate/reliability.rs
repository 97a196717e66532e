//! `[reliability]`: failure classes, disks, repair crews and the storage failover profile.

use super::budget::YEAR_NS;
use super::checks::{DURATION_LIMIT_TEXT, bad, count, dist, factor, ms, positive, probability};
use super::{Checked, Draft, Invalid};
use crate::model::dist::Dist;
use crate::policy;
use crate::policy::failover::FailoverConfig;
use crate::scenario::schema;
use crate::scenario::{
    ClassModel, Detection, DiskModel, FailoverProfile, FailureClass, FaultBudget, Reliability, ReliabilityModel,
    Scenario,
};
use crate::units::SimDuration;

pub(super) fn class(key: &str, c: &FailureClass) -> Result<ClassModel, Invalid> {
    let shares = [c.crash, c.process_death, c.hang, c.slowdown, c.link];
    if shares.iter().any(|x| !(x.is_finite() && *x >= 0.0)) || shares.iter().sum::<f64>() <= 0.0 {
        return bad(
            format!("{key}.crash"),
            "failure-mode shares (crash, process_death, hang, slowdown, link) must be >= 0 with a positive sum",
        );
    }
    if c.link > 0.0 && key != "reliability.web" {
        return bad(
            format!("{key}.link"),
            "random link failures are modelled for the lb1 <-> web server links (reliability.web.link)",
        );
    }
    if c.slowdown > 0.0 && key != "reliability.web" {
        return bad(
            format!("{key}.slowdown"),
            "random slowdowns are modelled for web servers only (reliability.web.slowdown)",
        );
    }
    factor(&format!("{key}.slowdown_factor"), c.slowdown_factor, 1.0)?;
    let total: f64 = shares.iter().sum();
    let modes = [
        shares[0] / total,
        (shares[0] + shares[1]) / total,
        (shares[0] + shares[1] + shares[2]) / total,
        (shares[0] + shares[1] + shares[2] + shares[3]) / total,
        1.0,
    ];
    let ttf = match c.afr {
        Some(afr) => {
            let afr = probability(&format!("{key}.afr"), afr)?;
            if afr == 0.0 || afr >= 1.0 {
                return bad(
                    format!("{key}.afr"),
                    format!("{afr} is not valid; expected 0 < afr < 1 (use fails = false for a perfect part)"),
                );
            }
            Dist::exponential(SimDuration::from_secs_f64(365.0 * 86_400.0 / -(1.0 - afr).ln()))
        }
        None => dist(&format!("{key}.ttf"), &c.ttf)?,
    };
    if ttf.mean_ns() <= 0.0 {
        return bad(format!("{key}.ttf"), "time to failure must have a positive mean");
    }
    Ok(ClassModel {
        fails: c.fails,
        ttf,
        modes,
        slowdown_factor: c.slowdown_factor,
        repair: dist(&format!("{key}.repair"), &c.repair)?,
    })
}

pub(super) fn reliability(r: &Reliability, storage_count: u32) -> Result<ReliabilityModel, Invalid> {
    let k = "reliability";
    let night_factor = factor(&format!("{k}.night_response_factor"), r.night_response_factor, 0.0)?;
    let coverage = probability(&format!("{k}.coverage"), r.coverage)?;
    let disk = if r.disk.raid1 { Some(disk(k, &r.disk)?) } else { None };
    let f = &r.storage_failover;
    let failover = failover(k, f, storage_count)?;
    let replication_lag = replication_lag(k, f)?;
    Ok(ReliabilityModel {
        instant: r.detection == Detection::Instant,
        crews: count(&format!("{k}.crews"), r.crews, 1, 1000)?,
        response: dist(&format!("{k}.response"), &r.response)?,
        night_factor,
        coverage,
        lb: class(&format!("{k}.lb"), &r.lb)?,
        web: class(&format!("{k}.web"), &r.web)?,
        storage: class(&format!("{k}.storage"), &r.storage)?,
        backup: class(&format!("{k}.backup"), &r.backup)?,
        disk,
        failover,
        replication_lag,
        swarm: r.swarm,
        random_in_requests: r.random_in_requests,
        promotion_fail_probability: f.promotion_fail_probability,
        budget_design: r.fault_budget == FaultBudget::Design,
    })
}

/// `[reliability.disk]` with `raid1`: the disks' failure rate, replacement, rebuild, SMART
/// warnings and batch correlation. `k` is the section's key.
fn disk(k: &str, d: &schema::Disks) -> Result<DiskModel, Invalid> {
    let afr = probability(&format!("{k}.disk.afr"), d.afr)?;
    if afr >= 1.0 {
        return bad(
            format!("{k}.disk.afr"),
            "an annual failure rate of 1 means every disk fails at once; expected < 1",
        );
    }
    let rebuild = rebuild(k, d)?;
    Ok(DiskModel {
        rate_per_ns: -(1.0 - afr).ln() / YEAR_NS,
        replace: dist(&format!("{k}.disk.replace"), &d.replace)?,
        rebuild,
        degraded_factor: factor(
            &format!("{k}.disk.degraded_hazard_factor"),
            d.degraded_hazard_factor,
            0.0,
        )?,
        smart_share: probability(&format!("{k}.disk.smart_warning_share"), d.smart_warning_share)?,
        smart_lead: dist(&format!("{k}.disk.smart_lead"), &d.smart_lead)?,
        batch_cv: {
            let key = format!("{k}.disk.batch_cv");
            if !(d.batch_cv.is_finite() && (0.0..1.0).contains(&d.batch_cv)) {
                return bad(
                    key,
                    format!(
                        "{} is not valid; expected 0 (independent) <= batch_cv < 1 (at 1 and above the AFR cannot stay the mean rate)",
                        d.batch_cv
                    ),
                );
            }
            d.batch_cv
        },
        batch_park: d.batch == schema::BatchScope::Park,
    })
}

/// A RAID-1 rebuild's duration: `disk.rebuild` as given, or the capacity over the rebuild
/// rate, within the longest duration a model takes.
fn rebuild(k: &str, d: &schema::Disks) -> Result<Dist, Invalid> {
    match &d.rebuild {
        Some(spec) => dist(&format!("{k}.disk.rebuild"), spec),
        None => {
            let cap = positive(&format!("{k}.disk.capacity_gb"), d.capacity_gb)?;
            let rate = positive(&format!("{k}.disk.rebuild_mb_per_s"), d.rebuild_mb_per_s)?;
            let secs = cap * 1000.0 / rate;
            if secs > SimDuration::MODEL_MAX.as_secs_f64() {
                return bad(
                    format!("{k}.disk.rebuild_mb_per_s"),
                    format!(
                        "a rebuild of {cap} GB at {rate} MB/s takes {secs:.3e} s; the limit for any duration is {DURATION_LIMIT_TEXT}"
                    ),
                );
            }
            Ok(Dist::Deterministic(SimDuration::from_secs_f64(secs)))
        }
    }
}

/// The storage failover of `[reliability.storage_failover]`: the profile's timings, with
/// `fencing` and `replication` as given.
fn failover(k: &str, f: &schema::StorageFailover, storage_count: u32) -> Result<FailoverConfig, Invalid> {
    let mut failover = match f.profile {
        FailoverProfile::Pacemaker => FailoverConfig::pacemaker(storage_count.max(2) as usize),
        FailoverProfile::Keepalived => FailoverConfig::keepalived(),
        FailoverProfile::Patroni => FailoverConfig::patroni(),
    };
    if let Some(fencing) = f.fencing {
        failover.fencing = fencing;
    }
    failover.replication = match f.replication {
        schema::Replication::Sync => policy::failover::Replication::Sync,
        schema::Replication::Async => policy::failover::Replication::Async {
            lag: ms(&format!("{k}.storage_failover.lag_ms"), f.lag_ms, true)?,
        },
    };
    Ok(failover)
}

/// `storage_failover.lag`, a distribution of the async replication lag (`None` when not
/// given); an error beside synchronous replication or `lag_ms`.
fn replication_lag(k: &str, f: &schema::StorageFailover) -> Result<Option<Dist>, Invalid> {
    match (&f.lag, f.replication) {
        (None, _) => Ok(None),
        (Some(_), schema::Replication::Sync) => bad(
            format!("{k}.storage_failover.lag"),
            "a replication lag needs replication = \"async\" (synchronous replication has none)",
        ),
        (Some(_), _) if f.lag_ms != schema::StorageFailover::default().lag_ms => bad(
            format!("{k}.storage_failover.lag"),
            "give either lag_ms (a fixed lag) or lag (a distribution), not both",
        ),
        (Some(d), _) => Ok(Some(dist(&format!("{k}.storage_failover.lag"), d)?)),
    }
}

/// The request-level sample of an availability run: simulated span, warm-up and replications.
/// The section: needs the storage count (the Pacemaker quorum).
pub(super) fn section(spec: &Scenario, d: &mut Draft) -> Checked {
    let Some(storage_count) = d.storage_count else {
        return Ok(());
    };
    d.reliability = Some(reliability(&spec.reliability, storage_count)?);
    Ok(())
}
