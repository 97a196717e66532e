//! Scripted faults end to end: lb1's health checks take a failed web server out of rotation,
//! no request goes to a server marked DOWN, and failures are counted by reason.

use crate::{model, summarise};

const FAULT_AT_MS: f64 = 13.0 * 3_600_000.0;
const RECOVER_AT_MS: f64 = 14.0 * 3_600_000.0;

/// (DOWN delay, UP delay) after the fault and the repair, per replication, for web2.
fn windows(s: &simpark::report::summary::Summary) -> Vec<(f64, f64)> {
    (0..s.header.replications)
        .map(|rep| {
            let ev: Vec<_> = s
                .health_events
                .iter()
                .filter(|e| e.replication == rep && e.server == "web2")
                .collect();
            assert_eq!(ev.len(), 2, "one DOWN and one UP per replication: {ev:?}");
            assert_eq!((ev[0].state, ev[1].state), ("DOWN", "UP"));
            (ev[0].at_ms - FAULT_AT_MS, ev[1].at_ms - RECOVER_AT_MS)
        })
        .collect()
}

fn common(kind: &str) -> simpark::report::summary::Summary {
    let m = model(&format!("scenarios/faults/web2_{kind}.toml"), &[]);
    let s = summarise(&m);
    for w in &s.web {
        assert_eq!(
            w.requests_while_down_total,
            Some(0),
            "{} got requests while marked DOWN",
            w.name
        );
    }
    // Health checks: inter 2000 ms, rise 2, fall 3; lb1-web RTT 0.2 ms. Whatever the phase of
    // the fault within the check period (< inter), the repaired server is UP after `rise`
    // passing checks: within (rise - 1) x inter + phase + RTT.
    for (_, up) in windows(&s) {
        assert!(up > 0.0 && up <= 2.0 * 2000.0 + 1.0, "UP {up} ms after repair");
    }
    s
}

#[test]
fn refused_connections_are_detected_after_fall_checks_and_retried() {
    let s = common("process_death");
    for (down, _) in windows(&s) {
        // Each check fails at once (RST after one RTT): DOWN on the 3rd failed check, i.e.
        // phase + 2 x inter (+ RTT), with phase in (0, inter].
        assert!(
            down > 2.0 * 2000.0 && down <= 3.0 * 2000.0 + 1.0,
            "DOWN {down} ms after the fault"
        );
    }
    // Refused connections are retried on another server (option redispatch), so visitors
    // notice nothing but a small delay.
    assert!(s.metrics.retries_per_kreq.value > 0.0);
    assert_eq!(s.failures_by_reason["retries_exhausted"], 0);
}

#[test]
fn crashed_host_is_detected_after_check_timeouts() {
    let s = common("crash");
    for (down, _) in windows(&s) {
        // A dead host: each check times out after `inter` (no `timeout check` set), and the
        // next one starts `inter` after that: phase + 3 x inter + 2 x inter.
        assert!(
            down > 4.0 * 2000.0 + 2000.0 && down <= 5.0 * 2000.0 + 2000.0 + 1.0,
            "DOWN {down} ms after the fault"
        );
    }
    assert!(
        s.metrics.retries_per_kreq.value > 0.0,
        "connect timeouts to web2 must be retried"
    );
}

#[test]
fn hung_application_costs_requests_until_detected() {
    let s = common("hang");
    assert!(
        s.failures_by_reason["server_timeout"] > 0,
        "requests sent to the hung web2 time out (504)"
    );
    assert!(s.metrics.success_ratio.value < 1.0);
}

/// HAProxy 2.6 (checked against the live 2.6.12, docs/haproxy-checks.md): with the first check
/// after the failure starting at c1, a refused port is DOWN at c1 + (fall-1) x fastinter +
/// fall x RTT (each check fails one round trip after it starts, and the next starts one
/// interval after the previous ended), a dead host or hung application at
/// c1 + fall x inter + (fall-1) x fastinter (each check times out after `inter`).
/// The three scenarios share the seed and timeline, so c1 is the same and the difference is
/// exact: (3 x 2000 + 2 x 2000) - (2 x 2000 + 3 x 0.2) = 5999.4 ms.
#[test]
fn detection_windows_differ_exactly_by_failure_mode() {
    let down = |kind: &str| {
        let m = model(&format!("scenarios/faults/web2_{kind}.toml"), &["replications=2"]);
        let s = summarise(&m);
        windows(&s)[0].0
    };
    let (refused, crash, hang) = (down("process_death"), down("crash"), down("hang"));
    assert!(
        (crash - refused - 5999.4).abs() < 1e-6,
        "crash {crash} refused {refused}"
    );
    assert!((hang - crash).abs() < 1e-6, "hang {hang} crash {crash}");
}

/// scenarios/regressions/all_web_down_rejects_at_arrival.toml: a request rejected on arrival
/// (no server UP) was freed twice. Now the rejections are counted and the run completes.
#[test]
fn regression_all_web_down_rejects_at_arrival() {
    let m = model("scenarios/regressions/all_web_down_rejects_at_arrival.toml", &[]);
    let s = summarise(&m);
    assert!(
        s.failures_by_reason["no_server"] > 0,
        "arrivals while every server is DOWN get a 503"
    );
    assert!(s.metrics.success_ratio.value < 1.0);
}
