//! `[balancer]`: HAProxy's algorithm, servers (weights, ids, backup, disabled), timeouts,
//! health checks (`[balancer.check]`, per server `[balancer.check.servers.webK]`) and the
//! VRRP pair.

use super::checks::{bad, count, ms};
use super::{Checked, Draft, Invalid, Refusals, each, refuse};
use crate::model::uri::{URI_COUNT_MAX, UriPopulation};
use crate::policy;
use crate::policy::balancer::{Algorithm, BackendSpec, ServerSpec, UriHash};
use crate::policy::health::CheckSpec;
use crate::scenario::{
    AlgorithmName, Balancer, Check, CheckOverride, Mode, ObserveName, OnErrorName, Scenario, TrafficModel,
};
use crate::units::SimDuration;

/// The backend HAProxy would build from `[balancer]`; needs `web.count` (and, in availability
/// mode, the traffic's clients).
pub(super) fn backend(spec: &Scenario, d: &mut Draft) -> Checked {
    let b = &spec.balancer;
    let algorithm = match b.algorithm {
        AlgorithmName::Roundrobin => Algorithm::RoundRobin,
        AlgorithmName::StaticRr => Algorithm::StaticRr,
        AlgorithmName::Leastconn => Algorithm::LeastConn,
        AlgorithmName::First => Algorithm::First,
        AlgorithmName::Source => Algorithm::Source,
        AlgorithmName::Uri => Algorithm::Uri(UriHash {
            whole: b.uri_whole,
            len: b.uri_len,
            depth: b.uri_depth,
        }),
        AlgorithmName::Random => Algorithm::Random {
            draws: count("balancer.draws", b.draws, 1, 100)?,
        },
    };
    let timeout_connect = ms("balancer.timeout_connect_ms", b.timeout_connect_ms, false)?;
    let timeout_queue = if b.timeout_queue_ms == 0.0 {
        timeout_connect
    } else {
        ms("balancer.timeout_queue_ms", b.timeout_queue_ms, false)?
    };
    d.timeout_server = Some(ms("balancer.timeout_server_ms", b.timeout_server_ms, false)?);
    let retries = count("balancer.retries", b.retries, 0, 100)?;
    // The URIs requests carry, hashed as this backend hashes them (`balance uri` only; the
    // keys are checked whatever the algorithm).
    let r = &spec.requests;
    let uri_count = count("requests.uri_count", r.uri_count, 1, URI_COUNT_MAX)?;
    if !(r.uri_zipf_s.is_finite() && (0.0..=10.0).contains(&r.uri_zipf_s)) {
        return refuse(
            "requests.uri_zipf_s",
            format!("{} is not valid; expected 0 (every URI alike) to 10", r.uri_zipf_s),
        );
    }
    let uris = match algorithm {
        Algorithm::Uri(hash) => Some(UriPopulation::new(uri_count, r.uri_zipf_s, |u| hash.hash(u))),
        _ => None,
    };
    let Some(web_count) = d.web_count else { return Ok(()) };
    let backend = BackendSpec {
        algorithm,
        servers: servers(spec.mode, b, web_count)?,
        timeout_queue,
        queue_max: b.queue_max as usize,
        retries,
        redispatch: (b.redispatch != 0).then_some(b.redispatch),
        allbackup: b.allbackup,
        timeout_connect,
    };
    if spec.mode == Mode::Availability
        && let Some(traffic) = &d.traffic
    {
        // The availability mode routes by the balancer's steady-state shares: ask it whether
        // this configuration has them.
        let clients = match traffic {
            TrafficModel::Poisson { clients, .. } | TrafficModel::Profile { clients, .. } => *clients,
        };
        let keys = uris.as_ref().map_or(&[][..], |u| &u.keys[..]);
        if let Err(e) = policy::balancer::Backend::new(backend.clone()).routing_shares(clients, keys) {
            return refuse("balancer.algorithm", format!("in availability mode: {e}"));
        }
    }
    d.backend = Some(backend);
    d.uris = Some(uris);
    Ok(())
}

/// The web servers as the balancer sees them: weight, backup, id, disabled, slowstart.
fn servers(mode: Mode, b: &Balancer, web_count: u32) -> Result<Vec<ServerSpec>, Invalid> {
    if !b.weights.is_empty() && b.weights.len() != web_count as usize {
        return bad(
            "balancer.weights",
            format!("has {} entries; web.count is {}", b.weights.len(), web_count),
        );
    }
    for (i, wt) in b.weights.iter().enumerate() {
        // HAProxy: "weight <weight>: ... between 0 and 256".
        count(&format!("balancer.weights[{i}]"), *wt, 0, 256)?;
    }
    if b.backup_servers >= web_count {
        return bad(
            "balancer.backup_servers",
            format!(
                "{} leaves no active server among {} web servers",
                b.backup_servers, web_count
            ),
        );
    }
    let active = web_count - b.backup_servers;
    let slowstart_of = |key: &str, v: f64| {
        if v == 0.0 {
            Ok(SimDuration::ZERO)
        } else {
            ms(key, v, false)
        }
    };
    let slowstart = slowstart_of("balancer.slowstart_ms", b.slowstart_ms)?;
    per_server("balancer.maxconns", b.maxconns.len(), web_count)?;
    per_server("balancer.slowstarts_ms", b.slowstarts_ms.len(), web_count)?;
    let slowstarts = b
        .slowstarts_ms
        .iter()
        .enumerate()
        .map(|(i, &v)| slowstart_of(&format!("balancer.slowstarts_ms[{i}]"), v))
        .collect::<Result<Vec<_>, _>>()?;
    if !b.ids.is_empty() && b.ids.len() != web_count as usize {
        return bad(
            "balancer.ids",
            format!(
                "has {} entries; web.count is {} (or leave it empty for 1, 2, ...)",
                b.ids.len(),
                web_count
            ),
        );
    }
    for (i, id) in b.ids.iter().enumerate() {
        count(&format!("balancer.ids[{i}]"), *id, 1, i32::MAX as u32)?;
        if b.ids[..i].contains(id) {
            return bad(
                format!("balancer.ids[{i}]"),
                format!("id {id} is used twice; ids must be unique"),
            );
        }
    }
    let disabled = disabled(mode, b, web_count)?;
    Ok((0..web_count)
        .map(|i| ServerSpec {
            weight: b.weights.get(i as usize).copied().unwrap_or(1),
            maxconn: b.maxconns.get(i as usize).copied().unwrap_or(b.maxconn),
            backup: i >= active,
            id: b.ids.get(i as usize).copied(),
            disabled: disabled[i as usize],
            slowstart: slowstarts.get(i as usize).copied().unwrap_or(slowstart),
        })
        .collect())
}

/// A per-server list (`key`) has one entry per web server, or none.
fn per_server(key: &str, len: usize, web_count: u32) -> Result<(), Invalid> {
    if len == 0 || len == web_count as usize {
        return Ok(());
    }
    bad(
        key,
        format!("has {len} entries; web.count is {web_count} (or leave it empty for the one value on every server)"),
    )
}

/// `balancer.disabled`: web servers that exist, each once; request mode only.
fn disabled(mode: Mode, b: &Balancer, web_count: u32) -> Result<Vec<bool>, Invalid> {
    let mut disabled = vec![false; web_count as usize];
    for (i, name) in b.disabled.iter().enumerate() {
        let key = format!("balancer.disabled[{i}]");
        let n = name
            .strip_prefix("web")
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| (1..=web_count).contains(n));
        let Some(n) = n else {
            return bad(
                key,
                format!("`{name}` is not a web server; valid: web1 ..= web{web_count}"),
            );
        };
        if std::mem::replace(&mut disabled[n as usize - 1], true) {
            return bad(key, format!("`{name}` is listed twice"));
        }
    }
    if mode == Mode::Availability && !b.disabled.is_empty() {
        return bad(
            "balancer.disabled",
            "is modelled in the request mode only (the availability mode routes to every server it sees UP)",
        );
    }
    Ok(disabled)
}

/// `[balancer.check]`: health checks and `observe layer4`, one resolved setting per web
/// server (`[balancer.check]` with the server's `[balancer.check.servers.webK]` on top).
pub(super) fn check(spec: &Scenario, d: &mut Draft) -> Checked {
    let c = &spec.balancer.check;
    let (Some(timeout_connect), Some(web_count)) = (d.backend.as_ref().map(|b| b.timeout_connect), d.web_count) else {
        return Ok(());
    };
    each(c.servers.keys(), |name| match web_index(name, web_count) {
        Some(_) => Ok(()),
        None => bad(
            format!("balancer.check.servers.{name}"),
            format!("`{name}` is not a web server; valid: web1 ..= web{web_count}"),
        ),
    })?;
    let any_checked = (0..web_count).any(|i| c.of_server(&web_name(i)).enabled);
    let timeout_check = if any_checked && c.timeout_check_ms != 0.0 {
        Some(ms("balancer.check.timeout_check_ms", c.timeout_check_ms, false)?)
    } else {
        None
    };
    let mut refused: Vec<Invalid> = Vec::new();
    let mut checks = Vec::with_capacity(web_count as usize);
    let mut observes = Vec::with_capacity(web_count as usize);
    for i in 0..web_count {
        match server_check(spec.mode, c, &web_name(i), timeout_connect, timeout_check) {
            Ok((check, observe)) => {
                checks.push(check);
                observes.push(observe);
            }
            // Servers without overrides share their refusals: each is reported once.
            Err(e) if !refused.contains(&e) => refused.push(e),
            Err(_) => {}
        }
    }
    if !refused.is_empty() {
        return Err(Refusals(refused));
    }
    d.check = Some(checks);
    d.observe = Some(observes);
    Ok(())
}

/// The scenario's name of web server `i` (0-based): `web1`, ...
fn web_name(i: u32) -> String {
    format!("web{}", i + 1)
}

/// The 0-based index of web server `name` (`web1` ..= `web{web_count}`).
fn web_index(name: &str, web_count: u32) -> Option<u32> {
    name.strip_prefix("web")
        .filter(|n| !n.starts_with('0') && !n.starts_with('+'))
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=web_count).contains(n))
        .map(|n| n - 1)
}

/// Web server `name`'s health check and `observe`: `None` without checks. Each value is
/// checked under the key that set it, the server's override or `[balancer.check]`.
fn server_check(
    mode: Mode,
    c: &Check,
    name: &str,
    timeout_connect: SimDuration,
    timeout_check: Option<SimDuration>,
) -> Result<(Option<CheckSpec>, Option<policy::health::Observe>), Invalid> {
    let o = c.servers.get(name);
    let key = |field: &str, overridden: bool| {
        if overridden {
            format!("balancer.check.servers.{name}.{field}")
        } else {
            format!("balancer.check.{field}")
        }
    };
    let set = |f: fn(&CheckOverride) -> bool| o.is_some_and(f);
    let s = c.of_server(name);
    let check = if s.enabled {
        let optional_ms = |field: &str, overridden: bool, v: f64| {
            (v != 0.0).then(|| ms(&key(field, overridden), v, false)).transpose()
        };
        Some(CheckSpec {
            inter: ms(&key("inter_ms", set(|o| o.inter_ms.is_some())), s.inter_ms, false)?,
            fastinter: optional_ms("fastinter_ms", set(|o| o.fastinter_ms.is_some()), s.fastinter_ms)?,
            downinter: optional_ms("downinter_ms", set(|o| o.downinter_ms.is_some()), s.downinter_ms)?,
            rise: count(&key("rise", set(|o| o.rise.is_some())), s.rise, 1, 1000)?,
            fall: count(&key("fall", set(|o| o.fall.is_some())), s.fall, 1, 1000)?,
            timeout_check,
            timeout_connect,
        })
    } else {
        None
    };
    let observe_key = key("observe", set(|o| o.observe.is_some()));
    let observe = match s.observe {
        ObserveName::None => None,
        ObserveName::Layer4 if check.is_none() => {
            let enabled_key = key("enabled", set(|o| o.enabled.is_some()));
            return bad(
                observe_key,
                if enabled_key == "balancer.check.enabled" && o.is_none_or(|o| o.observe.is_none()) {
                    "needs health checks (balancer.check.enabled = true)".to_string()
                } else {
                    format!(
                        "needs health checks, but {name} is not checked (`{enabled_key}` = false): HAProxy ignores `observe` without `check`; set `balancer.check.servers.{name}.observe = \"none\"`"
                    )
                },
            );
        }
        ObserveName::Layer4 if mode == Mode::Availability => {
            return bad(
                observe_key,
                "is modelled in the request mode only (the availability mode does not see individual connections)",
            );
        }
        ObserveName::Layer4 => Some(policy::health::Observe {
            error_limit: count(
                &key("error_limit", set(|o| o.error_limit.is_some())),
                s.error_limit,
                1,
                1_000_000,
            )?,
            on_error: match s.on_error {
                OnErrorName::Fastinter => policy::health::OnError::FastInter,
                OnErrorName::FailCheck => policy::health::OnError::FailCheck,
                OnErrorName::SuddenDeath => policy::health::OnError::SuddenDeath,
                OnErrorName::MarkDown => policy::health::OnError::MarkDown,
            },
        }),
    };
    Ok((check, observe))
}

/// The balancer pair's VRRP keys (checked even without a pair): the advertisement
/// interval (RFC 5798's 12-bit count of centiseconds), the priorities (lb1's above lb2's)
/// and keepalived's preemption; with `balancer.pair`, the two routers' configurations.
pub(super) fn vrrp(spec: &Scenario, d: &mut Draft) -> Checked {
    let b = &spec.balancer;
    let v = b.vrrp_advert_ms;
    if !(v.is_finite() && (10.0..=40_950.0).contains(&v) && (v / 10.0).fract() == 0.0) {
        return refuse(
            "balancer.vrrp_advert_ms",
            format!("{v} is not valid; expected a multiple of 10 in 10..=40950 (RFC 5798 centiseconds)"),
        );
    }
    if !(1..=255).contains(&b.vrrp_priority_lb1) {
        return refuse(
            "balancer.vrrp_priority_lb1",
            format!("{} is not valid; expected 1..=255", b.vrrp_priority_lb1),
        );
    }
    if !(1..b.vrrp_priority_lb1).contains(&b.vrrp_priority_lb2) {
        return refuse(
            "balancer.vrrp_priority_lb2",
            format!(
                "{} is not valid; expected 1..={} (below balancer.vrrp_priority_lb1, {}: lb1 is the preferred master)",
                b.vrrp_priority_lb2,
                b.vrrp_priority_lb1 - 1,
                b.vrrp_priority_lb1
            ),
        );
    }
    let delay = b.vrrp_preempt_delay_ms;
    if !(delay.is_finite() && (0.0..=1_000_000.0).contains(&delay)) {
        return refuse(
            "balancer.vrrp_preempt_delay_ms",
            format!("{delay} is not valid; expected 0..=1000000 ms (keepalived's preempt_delay, 0-1000 s)"),
        );
    }
    d.lb_track = Some(track(&b.vrrp_track)?);
    d.lb_pair = Some(b.pair.then(|| {
        let router = |priority: u32, address: u32| {
            let mut cfg = policy::vrrp::VrrpConfig::new(priority as u8, address);
            cfg.advert_interval_cs = (v / 10.0) as u16;
            cfg.preempt = b.vrrp_preempt;
            cfg.preempt_delay = (delay > 0.0).then(|| SimDuration::from_nanos((delay * 1e6).round() as u64));
            cfg
        };
        [router(b.vrrp_priority_lb1, 1), router(b.vrrp_priority_lb2, 2)]
    }));
    Ok(())
}

/// `balancer.vrrp_track`: a positive whole-millisecond interval up to an hour, `fall` and
/// `rise` 1..=255, `weight` -253..=253 (keepalived's ranges).
fn track(t: &crate::scenario::VrrpTrack) -> Result<crate::scenario::LbTrack, Invalid> {
    let ms = t.interval_ms;
    if !(ms.is_finite() && (1.0..=3_600_000.0).contains(&ms) && ms.fract() == 0.0) {
        return Err((
            "balancer.vrrp_track.interval_ms".into(),
            format!("{ms} is not valid; expected whole milliseconds in 1..=3600000"),
        ));
    }
    for (key, v) in [("fall", t.fall), ("rise", t.rise)] {
        if !(1..=255).contains(&v) {
            return Err((
                format!("balancer.vrrp_track.{key}"),
                format!("{v} is not valid; expected 1..=255 (keepalived's range)"),
            ));
        }
    }
    if !(-253..=253).contains(&t.weight) {
        return Err((
            "balancer.vrrp_track.weight".into(),
            format!(
                "{} is not valid; expected -253..=253 (keepalived's range; 0 = FAULT on failure)",
                t.weight
            ),
        ));
    }
    Ok(crate::scenario::LbTrack {
        detects: t.detects,
        script: policy::vrrp::TrackScript {
            interval: SimDuration::from_nanos(ms as u64 * 1_000_000),
            fall: t.fall,
            rise: t.rise,
            drop: t.weight.unsigned_abs() as u8,
        },
    })
}
