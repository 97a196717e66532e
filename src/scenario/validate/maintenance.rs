//! `[maintenance]`: the planned rolling maintenance of the web servers, storage nodes and
//! balancers: its cadences (`[maintenance]` itself and each `[[maintenance.cadence]]`) and
//! its scripted windows.

use super::checks::{bad, duration};
use super::{Checked, Draft, Invalid};
use crate::model::calendar::LocalClock;
use crate::scenario::schema::{Maintenance, MaintenanceCadence};
use crate::scenario::{Cadence, MaintTarget, MaintWindow, MaintenanceKind, MaintenanceModel, Mode, Scenario};
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
    if spec.mode == Mode::Requests && number("lb", 2) == Some(1) {
        return bad(
            key,
            format!(
                "{name:?}: request mode simulates lb1 alone and not a VRRP pair; patch lb2 in availability mode (mode = \"availability\")"
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

/// A window of `kind` can patch `t`.
fn fits(kind: MaintenanceKind, t: MaintTarget) -> bool {
    match kind {
        MaintenanceKind::StorageSwitchover => matches!(t, MaintTarget::Storage(_)),
        MaintenanceKind::LbHandover => matches!(t, MaintTarget::Balancer(_)),
        MaintenanceKind::Deploy => matches!(t, MaintTarget::Web(_)),
        MaintenanceKind::Kernel | MaintenanceKind::Hardware => true,
    }
}

/// Refuse `t` (named `name`, at `key`) if a window of `kind` cannot patch it.
fn suits(kind: MaintenanceKind, t: MaintTarget, key: &str, name: &str) -> Result<(), Invalid> {
    if fits(kind, t) {
        return Ok(());
    }
    let want = match kind {
        MaintenanceKind::StorageSwitchover => "storage nodes of a pair (store1, store2, ...)",
        MaintenanceKind::LbHandover => "balancers (lb1, lb2)",
        _ => "web servers (web1, web2, ...)",
    };
    bad(
        key,
        format!("{name:?} does not suit kind = {kind:?}, which applies to {want}"),
    )
}

/// The servers `names` name, in that order, each once and suiting `kind`; `key` is the list's
/// key (`maintenance.order`).
fn servers(
    spec: &Scenario,
    key: &str,
    names: &[String],
    kind: MaintenanceKind,
    servers: (usize, usize, usize),
) -> Result<Vec<MaintTarget>, Invalid> {
    let mut order = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let key = format!("{key}[{i}]");
        let t = target(spec, &key, name, servers)?;
        suits(kind, t, &key, name)?;
        if order.contains(&t) {
            return bad(key, format!("{name:?} is listed twice"));
        }
        order.push(t);
    }
    Ok(order)
}

/// Every server a window of `kind` patches by default: the web servers, the storage nodes of
/// a pair, then the balancers (the VRRP backup lb2 before lb1); a deploy only the web servers.
fn default_order(kind: MaintenanceKind, (web_count, stores, balancers): (usize, usize, usize)) -> Vec<MaintTarget> {
    let web = (0..web_count).map(MaintTarget::Web);
    let store = (0..stores).map(MaintTarget::Storage);
    let lb = (0..balancers).rev().map(MaintTarget::Balancer);
    web.chain(store).chain(lb).filter(|&t| fits(kind, t)).collect()
}

/// A cadence of `kind` has servers to patch (its default order can be empty: no storage pair,
/// no balancer that can fail).
fn some_server(key: &str, kind: MaintenanceKind, order: &[MaintTarget]) -> Result<(), Invalid> {
    if !order.is_empty() {
        return Ok(());
    }
    bad(
        key,
        format!(
            "{kind:?}: this park has no server of that kind to patch; expected kernel, deploy or hardware (web servers), storage_switchover (a storage pair) or lb_handover (balancers that can fail)"
        ),
    )
}

/// A duration > 0 at `key`.
fn nonzero(key: &str, text: &str) -> Result<SimDuration, Invalid> {
    let d = duration(key, text)?;
    if d == SimDuration::ZERO {
        return bad(key, format!("{text:?} is not valid; expected a duration > 0"));
    }
    Ok(d)
}

/// Hours after midnight at `key`, within the day.
fn hour_of_day(key: &str, h: f64) -> Result<SimDuration, Invalid> {
    if !(h.is_finite() && (0.0..24.0).contains(&h)) {
        return bad(
            key,
            format!("{h} is not valid; expected hours after local midnight in 0..24"),
        );
    }
    Ok(SimDuration::from_nanos((h * 3600e9).round() as u64))
}

/// One cadence's roll must end before its next window opens: one server's turn (drain +
/// duration_per_server + wait_between_servers) times the servers, shorter than `every`.
fn fits_cadence(
    key: &str,
    text: &str,
    every: SimDuration,
    servers: usize,
    turn: [SimDuration; 3],
) -> Result<(), Invalid> {
    let roll = turn
        .iter()
        .try_fold(0u64, |a, d| a.checked_add(d.as_nanos()))
        .and_then(|t| t.checked_mul(servers as u64));
    match roll {
        Some(r) if r < every.as_nanos() => Ok(()),
        _ => bad(
            key,
            format!(
                "{text:?} is too short for a roll over {servers} server(s) of drain + duration_per_server + wait_between_servers each; expected a longer cadence"
            ),
        ),
    }
}

/// The scripted windows: a time within the run, servers that exist (each once) and suit the
/// window's kind, a duration > 0.
fn windows(
    spec: &Scenario,
    all: (usize, usize, usize),
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
        let order = servers(spec, &format!("{k}.targets"), &w.targets, w.kind, all)?;
        let duration_per_server = match &w.duration {
            None => default_duration,
            Some(text) => nonzero(&format!("{k}.duration"), text)?,
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

/// `[maintenance]`: durations that SimTime holds, window starts within the day, servers that
/// exist (each once) and suit the cadence's kind, and for each cadence a roll that fits
/// within it. By default every server of the kind in order: the web servers, the storage
/// nodes of a pair, then the balancers (the VRRP backup lb2 before lb1).
pub(super) fn maintenance_model(
    spec: &Scenario,
    web_count: u32,
    balancers: usize,
    clock: &LocalClock,
) -> Result<Option<MaintenanceModel>, Invalid> {
    let mt = &spec.maintenance;
    if !mt.enabled && !mt.cadences.is_empty() {
        // Listed but switched off would run nothing without a word.
        return bad(
            "maintenance.cadence[0]",
            "a cadence is listed but maintenance.enabled is false, so no cadence would run; set enabled = true under [maintenance] (it switches every cadence on), or remove the [[maintenance.cadence]] entries",
        );
    }
    // Request mode simulates lb1 alone (no VRRP pair): lb1 is patched, lb2 does not exist.
    let balancers = if spec.mode == Mode::Requests {
        balancers.min(1)
    } else {
        balancers
    };
    let every = nonzero("maintenance.every", &mt.every)?;
    let duration_per_server = nonzero("maintenance.duration_per_server", &mt.duration_per_server)?;
    let drain = duration("maintenance.drain", &mt.drain)?;
    let wait_between_servers = duration("maintenance.wait_between_servers", &mt.wait_between_servers)?;
    let window_start = hour_of_day("maintenance.window_start_h", mt.window_start_h)?;
    let stores = stores_to_patch(spec);
    let all = (web_count as usize, stores, balancers);
    let order = if mt.order.is_empty() {
        default_order(mt.kind, all)
    } else {
        servers(spec, "maintenance.order", &mt.order, mt.kind, all)?
    };
    // Checked even when off: a value no run could take is refused, not silently kept.
    if mt.is_off() {
        return Ok(None);
    }
    if mt.enabled {
        some_server("maintenance.kind", mt.kind, &order)?;
    }
    let mut cadences = vec![Cadence {
        every,
        window_start,
        kind: mt.kind,
        order,
        duration_per_server,
    }];
    for (n, c) in mt.cadences.iter().enumerate() {
        cadences.push(cadence(spec, n, c, &cadences[0], all)?);
    }
    if mt.enabled {
        rolls_fit(mt, &cadences, drain, wait_between_servers)?;
    } else {
        cadences.clear();
    }
    let windows = windows(spec, all, duration_per_server)?;
    Ok(Some(MaintenanceModel {
        cadences,
        drain,
        wait_between_servers,
        windows,
        clock: clock.clone(),
    }))
}

/// Storage nodes of their own, in a pair with failover, that maintenance patches (storage
/// on the web servers is patched with its server).
fn stores_to_patch(spec: &Scenario) -> usize {
    if spec.storage.colocated || spec.storage.count < 2 {
        0
    } else {
        spec.storage.count as usize
    }
}

/// `[[maintenance.cadence]]` number `n`: its own `every` and `kind`, its targets (by default
/// every server of the kind), and the window start and duration per server of `first` (the
/// `[maintenance]` cadence) unless it gives its own.
fn cadence(
    spec: &Scenario,
    n: usize,
    c: &MaintenanceCadence,
    first: &Cadence,
    all: (usize, usize, usize),
) -> Result<Cadence, Invalid> {
    let k = format!("maintenance.cadence[{n}]");
    let every = nonzero(&format!("{k}.every"), &c.every)?;
    let window_start = match c.window_start_h {
        Some(h) => hour_of_day(&format!("{k}.window_start_h"), h)?,
        None => first.window_start,
    };
    let duration_per_server = match &c.duration_per_server {
        Some(text) => nonzero(&format!("{k}.duration_per_server"), text)?,
        None => first.duration_per_server,
    };
    let order = if c.targets.is_empty() {
        default_order(c.kind, all)
    } else {
        servers(spec, &format!("{k}.targets"), &c.targets, c.kind, all)?
    };
    some_server(&format!("{k}.kind"), c.kind, &order)?;
    Ok(Cadence {
        every,
        window_start,
        kind: c.kind,
        order,
        duration_per_server,
    })
}

/// Each cadence's roll (`[maintenance]` first, then each `[[maintenance.cadence]]`) ends
/// before its next window opens.
fn rolls_fit(
    mt: &Maintenance,
    cadences: &[Cadence],
    drain: SimDuration,
    wait_between_servers: SimDuration,
) -> Result<(), Invalid> {
    for (n, c) in cadences.iter().enumerate() {
        let (key, text) = match n {
            0 => ("maintenance.every".to_string(), &mt.every),
            _ => (
                format!("maintenance.cadence[{}].every", n - 1),
                &mt.cadences[n - 1].every,
            ),
        };
        fits_cadence(
            &key,
            text,
            c.every,
            c.order.len(),
            [drain, c.duration_per_server, wait_between_servers],
        )?;
    }
    Ok(())
}

/// The section: needs `web.count` and how many balancers there are to patch.
pub(super) fn section(spec: &Scenario, d: &mut Draft) -> Checked {
    let (Some(web_count), Some(pair), Some(calendar)) = (d.web_count, &d.lb_pair, &d.calendar) else {
        return Ok(());
    };
    let balancers = if !spec.reliability.lb.fails {
        0 // a balancer that cannot fail is how a baseline says there is none
    } else if pair.is_some() {
        2
    } else {
        1
    };
    d.maintenance = Some(maintenance_model(spec, web_count, balancers, &calendar.clock)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::units::{SimDuration, SimTime};

    const H: u64 = 3_600_000_000_000;

    /// A model with a daily kernel cadence at 03:00 and a 12-hour deploy cadence from 01:00 in
    /// `timezone`, from 20 March 2029.
    fn model(timezone: &str) -> crate::scenario::MaintenanceModel {
        let text = format!(
            "name = \"dst\"\nstart = \"2029-03-20\"\ntimezone = \"{timezone}\"\nhorizon = \"30d\"\n\
             [maintenance]\nenabled = true\nevery = \"1d\"\nwindow_start_h = 3.0\n\
             [[maintenance.cadence]]\nevery = \"12h\"\nkind = \"deploy\"\nwindow_start_h = 1.0\nduration_per_server = \"5m\"\n"
        );
        let m = crate::scenario::from_str(&text, "dst.toml", &[]).unwrap();
        m.maintenance.unwrap()
    }

    /// The windows of cadence `c` over the first `n` days, in hours of simulation time.
    fn hours(mt: &crate::scenario::MaintenanceModel, c: u32, n: usize) -> Vec<f64> {
        let first = mt.first_windows().into_iter().find(|&(_, r)| r == c).unwrap().0;
        let mut out = vec![first];
        while out.len() < n {
            out.push(mt.next_window(c, *out.last().unwrap()).unwrap());
        }
        out.iter().map(|t| t.as_nanos() as f64 / H as f64).collect()
    }

    /// 03:00 in Amsterdam stays 03:00 local across the change to summer time on 25 March 2029
    /// (day 5): the window comes an hour earlier on the scenario clock from then on, and the
    /// night of the change is 23 hours long. A 12-hour cadence is not a wall-clock rhythm: it
    /// stays 12 hours of simulation time apart. In UTC both are the plain scenario clock.
    #[test]
    fn a_daily_window_keeps_its_local_hour_across_the_march_dst_change() {
        let ams = model("Europe/Amsterdam");
        let days: Vec<f64> = hours(&ams, 0, 8).iter().map(|h| h - 3.0).collect();
        let want: Vec<f64> = (0..8)
            .map(|d| (24 * d) as f64 - if d >= 5 { 1.0 } else { 0.0 })
            .collect();
        assert_eq!(days, want);
        let deploys = hours(&ams, 1, 20);
        assert!(deploys.windows(2).all(|w| w[1] - w[0] == 12.0), "{deploys:?}");
        assert_eq!(deploys[0], 1.0);
        let utc = model("UTC");
        assert_eq!(
            hours(&utc, 0, 8),
            (0..8).map(|d| (24 * d + 3) as f64).collect::<Vec<_>>()
        );
        // The roll numbers: cadences first, in the file's order.
        assert_eq!(ams.rolls(), 2);
        assert!(ams.is_cadence(1));
        assert_eq!(ams.roll(1).duration_per_server, SimDuration::from_secs(300));
        assert_eq!(ams.roll(1).order.len(), 3, "a deploy patches the web servers");
        // next_window from a time between windows.
        let mid = SimTime::from_nanos(5 * 24 * H);
        assert_eq!(ams.next_window(0, mid), Some(SimTime::from_nanos((5 * 24 + 2) * H)));
    }
}
