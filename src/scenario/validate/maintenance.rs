//! `[maintenance]`: the planned rolling maintenance of the web servers and balancers.

use super::checks::{bad, duration};
use super::{Checked, Draft, Invalid};
use crate::scenario::{MaintTarget, MaintWindow, MaintenanceKind, MaintenanceModel, Mode, Scenario};
use crate::units::SimDuration;

/// The server `name` names, among `web_count` web servers, `stores` storage nodes of their own
/// and `balancers` balancers that can be patched in this mode.
fn target(
    spec: &Scenario,
    key: &str,
    name: &str,
    (web_count, stores, balancers): (usize, usize, usize),
) -> Result<MaintTarget, Invalid> {
    let number = |prefix: &str, n: usize| {
        name.strip_prefix(prefix)
            .and_then(|d| d.parse::<usize>().ok())
            .filter(|&d| (1..=n).contains(&d))
            .map(|d| d - 1)
    };
    if let Some(t) = number("web", web_count)
        .map(MaintTarget::Web)
        .or_else(|| number("store", stores).map(MaintTarget::Storage))
        .or_else(|| number("lb", balancers).map(MaintTarget::Balancer))
    {
        return Ok(t);
    }
    if spec.mode == Mode::Requests && number("lb", 2).is_some() {
        return bad(
            key,
            format!(
                "{name:?}: request mode simulates lb1 alone and not a VRRP handover; patch balancers in availability mode (mode = \"availability\")"
            ),
        );
    }
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
    bad(
        key,
        format!("{name:?} is not a server that can be patched; expected one of web1..web{web_count}{store}{lbs}"),
    )
}

/// The scripted windows: a time within the run, servers that exist (each once) and suit the
/// window's kind, a duration > 0.
fn windows(
    spec: &Scenario,
    servers: (usize, usize, usize),
    default_duration: SimDuration,
) -> Result<Vec<MaintWindow>, Invalid> {
    let horizon = duration("horizon", &spec.horizon)?;
    let mut out = Vec::new();
    for (n, w) in spec.maintenance.windows.iter().enumerate() {
        let k = format!("maintenance.window[{n}]");
        let at = duration(&format!("{k}.at"), &w.at)?;
        if at >= horizon {
            return bad(
                format!("{k}.at"),
                format!(
                    "{:?} is not within the run; expected a time before the horizon ({:?})",
                    w.at, spec.horizon
                ),
            );
        }
        if w.targets.is_empty() {
            return bad(format!("{k}.targets"), "no servers; expected e.g. [\"web1\", \"web2\"]");
        }
        let mut order = Vec::new();
        for (i, name) in w.targets.iter().enumerate() {
            let key = format!("{k}.targets[{i}]");
            let t = target(spec, &key, name, servers)?;
            let fits = match w.kind {
                MaintenanceKind::StorageSwitchover => matches!(t, MaintTarget::Storage(_)),
                MaintenanceKind::LbHandover => matches!(t, MaintTarget::Balancer(_)),
                MaintenanceKind::Deploy => matches!(t, MaintTarget::Web(_)),
                MaintenanceKind::Kernel | MaintenanceKind::Hardware => true,
            };
            if !fits {
                let want = match w.kind {
                    MaintenanceKind::StorageSwitchover => "storage nodes of a pair (store1, store2, ...)",
                    MaintenanceKind::LbHandover => "balancers (lb1, lb2)",
                    _ => "web servers (web1, web2, ...)",
                };
                return bad(
                    key,
                    format!("{name:?} does not suit kind = {:?}, which applies to {want}", w.kind),
                );
            }
            if order.contains(&t) {
                return bad(key, format!("{name:?} is listed twice"));
            }
            order.push(t);
        }
        let duration_per_server = match &w.duration {
            None => default_duration,
            Some(text) => {
                let d = duration(&format!("{k}.duration"), text)?;
                if d == SimDuration::ZERO {
                    return bad(
                        format!("{k}.duration"),
                        format!("{text:?} is not valid; expected a duration > 0"),
                    );
                }
                d
            }
        };
        out.push(MaintWindow {
            at,
            kind: w.kind,
            order,
            duration_per_server,
        });
    }
    Ok(out)
}

/// `[maintenance]`: durations that SimTime holds, a window start within the day, web servers
/// that exist (each once), and a roll that fits within the cadence. By default every web
/// server in order, then the balancers (the VRRP backup lb2 before lb1).
pub(super) fn maintenance_model(
    spec: &Scenario,
    web_count: u32,
    balancers: usize,
) -> Result<Option<MaintenanceModel>, Invalid> {
    let mt = &spec.maintenance;
    if mt.is_off() {
        return Ok(None);
    }
    // Request mode simulates lb1 alone (no VRRP pair): its balancer is not patched.
    let balancers = if spec.mode == Mode::Requests { 0 } else { balancers };
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
            let i = target(spec, &key, name, (web_count as usize, stores, balancers))?;
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
        _ if !mt.enabled => {}
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
    let windows = windows(spec, (web_count as usize, stores, balancers), duration_per_server)?;
    Ok(Some(MaintenanceModel {
        cadence: mt.enabled,
        every,
        window_start,
        duration_per_server,
        drain,
        wait_between_servers,
        order,
        windows,
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
