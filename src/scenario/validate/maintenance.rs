//! `[maintenance]`: the planned rolling maintenance of the web servers and balancers.

use super::checks::{bad, duration};
use super::{Checked, Draft, Invalid};
use crate::scenario::{MaintTarget, MaintenanceModel, Mode, Scenario};
use crate::units::SimDuration;

/// `[maintenance]`: durations that SimTime holds, a window start within the day, web servers
/// that exist (each once), and a roll that fits within the cadence. By default every web
/// server in order, then the balancers (the VRRP backup lb2 before lb1).
pub(super) fn maintenance_model(
    spec: &Scenario,
    web_count: u32,
    balancers: usize,
) -> Result<Option<MaintenanceModel>, Invalid> {
    let mt = &spec.maintenance;
    if !mt.enabled {
        return Ok(None);
    }
    if spec.mode == Mode::Requests {
        return bad(
            "maintenance.enabled",
            "planned maintenance is modelled in availability mode only (mode = \"availability\"); request mode does not run it yet",
        );
    }
    let nonzero = |key: &str, text: &str| -> Result<SimDuration, Invalid> {
        let d = duration(&format!("maintenance.{key}"), text)?;
        if d == SimDuration::ZERO {
            return bad(
                format!("maintenance.{key}"),
                format!("{text:?} is not valid; expected a duration > 0"),
            );
        }
        Ok(d)
    };
    let every = nonzero("every", &mt.every)?;
    let duration_per_server = nonzero("duration_per_server", &mt.duration_per_server)?;
    let drain = duration("maintenance.drain", &mt.drain)?;
    let wait_between_servers = duration("maintenance.wait_between_servers", &mt.wait_between_servers)?;
    let h = mt.window_start_h;
    if !(h.is_finite() && (0.0..24.0).contains(&h)) {
        return bad(
            "maintenance.window_start_h",
            format!("{h} is not valid; expected hours after midnight in 0..24"),
        );
    }
    let window_start = SimDuration::from_nanos((h * 3600e9).round() as u64);
    // Storage nodes of their own, in a pair with failover (storage on the web servers is
    // patched with its server).
    let stores = if spec.storage.colocated || spec.storage.count < 2 {
        0
    } else {
        spec.storage.count as usize
    };
    let order: Vec<MaintTarget> = if mt.order.is_empty() {
        let web = (0..web_count as usize).map(MaintTarget::Web);
        let store = (0..stores).map(MaintTarget::Storage);
        web.chain(store)
            .chain((0..balancers).rev().map(MaintTarget::Balancer))
            .collect()
    } else {
        let mut order = Vec::new();
        for (n, name) in mt.order.iter().enumerate() {
            let key = format!("maintenance.order[{n}]");
            let number = |prefix: &str, n: usize| {
                name.strip_prefix(prefix)
                    .and_then(|d| d.parse::<usize>().ok())
                    .filter(|&d| (1..=n).contains(&d))
                    .map(|d| d - 1)
            };
            let i = number("web", web_count as usize)
                .map(MaintTarget::Web)
                .or_else(|| number("store", stores).map(MaintTarget::Storage))
                .or_else(|| number("lb", balancers).map(MaintTarget::Balancer));
            let Some(i) = i else {
                let lbs = match balancers {
                    0 => String::new(),
                    1 => ", lb1".to_string(),
                    _ => ", lb1, lb2".to_string(),
                };
                let store = if stores > 0 {
                    format!(", store1..store{stores}")
                } else {
                    String::new()
                };
                return bad(
                    key,
                    format!(
                        "{name:?} is not a server that can be patched; expected one of web1..web{web_count}{store}{lbs}"
                    ),
                );
            };
            if order.contains(&i) {
                return bad(key, format!("{name:?} is listed twice"));
            }
            order.push(i);
        }
        order
    };
    // One server's turn, and the whole roll, must end before the next window opens.
    let turn = drain
        .as_nanos()
        .checked_add(duration_per_server.as_nanos())
        .and_then(|t| t.checked_add(wait_between_servers.as_nanos()));
    let roll = turn.and_then(|t| t.checked_mul(order.len() as u64));
    match roll {
        Some(r) if r < every.as_nanos() => {}
        _ => {
            return bad(
                "maintenance.every",
                format!(
                    "{:?} is too short for a roll over {} server(s) of drain + duration_per_server + wait_between_servers each; expected a longer cadence",
                    mt.every,
                    order.len()
                ),
            );
        }
    }
    Ok(Some(MaintenanceModel {
        every,
        window_start,
        duration_per_server,
        drain,
        wait_between_servers,
        order,
    }))
}

/// The section: needs `web.count` and how many balancers there are to patch.
pub(super) fn section(spec: &Scenario, d: &mut Draft) -> Checked {
    let (Some(web_count), Some(advert)) = (d.web_count, &d.lb_pair_advert_cs) else {
        return Ok(());
    };
    let balancers = if !spec.reliability.lb.fails {
        0 // a balancer that cannot fail is how a baseline says there is none
    } else if advert.is_some() {
        2
    } else {
        1
    };
    d.maintenance = Some(maintenance_model(spec, web_count, balancers)?);
    Ok(())
}
