//! `[web]` and `[storage]`: the server tiers (count, workers, queue, service times).

use super::checks::{count, dist, probability};
use super::{Checked, Draft, refuse};
use crate::scenario::Mode;
use crate::scenario::{STORAGE_NODES_MAX, Scenario, TierModel, WEB_SERVERS_MAX, WORKERS_MAX};

pub(super) fn web(spec: &Scenario, d: &mut Draft) -> Checked {
    let w = &spec.web;
    d.web_count = Some(count("web.count", w.count, 1, WEB_SERVERS_MAX)?);
    d.web = Some(TierModel {
        count: w.count,
        workers: count("web.workers", w.workers, 1, WORKERS_MAX)?,
        queue_max: count("web.queue_max", w.queue_max, 0, u32::MAX)?,
        service: dist("web.service", &w.service)?,
    });
    Ok(())
}

/// Storage is needed (count >= 1) when requests read or write it.
pub(super) fn storage(spec: &Scenario, d: &mut Draft) -> Checked {
    let s = &spec.storage;
    let needs_storage = needs_storage(spec);
    d.storage_count = Some(count(
        "storage.count",
        s.count,
        if needs_storage { 1 } else { 0 },
        STORAGE_NODES_MAX,
    )?);
    d.storage = Some(TierModel {
        count: s.count,
        workers: count("storage.workers", s.workers, 1, WORKERS_MAX)?,
        queue_max: s.queue_max,
        service: dist("storage.read", &s.read)?,
    });
    d.storage_write = Some(dist("storage.write", &s.write)?);
    Ok(())
}

/// Whether requests use the storage tier.
pub(super) fn needs_storage(spec: &Scenario) -> bool {
    spec.requests.storage_reads > 0 || spec.requests.write_fraction > 0.0
}

/// A standby pair's storage: colocated nodes (one per web server, availability mode) and the
/// chance a takeover fails.
pub(super) fn standby_storage(spec: &Scenario, _: &mut Draft) -> Checked {
    let key = "reliability.storage_failover.promotion_fail_probability";
    probability(key, spec.reliability.storage_failover.promotion_fail_probability)?;
    if !spec.storage.colocated {
        return Ok(());
    }
    if spec.mode == Mode::Requests {
        return refuse(
            "storage.colocated",
            "storage on the web servers is modelled in availability mode only (mode = \"availability\"); set it to false in request mode",
        );
    }
    if spec.storage.count != spec.web.count || spec.storage.count < 2 {
        return refuse(
            "storage.colocated",
            format!(
                "needs one storage node per web server and at least two (a standby pair); storage.count is {} and web.count is {}",
                spec.storage.count, spec.web.count
            ),
        );
    }
    Ok(())
}
