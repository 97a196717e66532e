//! The queueing core against closed forms (formulas and sources in src/check/analytic.rs).
//! A failure prints the replay command for the same figures.

use crate::{model, summarise};
use simpark::check::analytic::{ekm1_mean_response_s, mmc_mean_response_s};
use simpark::stats::Estimate;

fn assert_contains(what: &str, e: &Estimate, exact_ms: f64, replay: &str) {
    assert!(
        e.contains(exact_ms),
        "{what}: simulated {:.3} ± {:.3} ms does not contain the closed form {exact_ms:.3} ms\nreplay: {replay}",
        e.value,
        e.ci95.unwrap_or(0.0)
    );
}

/// W1: round robin over 3 single-worker servers turns Poisson(270/s) into Erlang-3
/// inter-arrivals at each server: three E3/M/1 queues at rho = 0.9.
#[test]
fn w1_roundrobin_is_e3_m_1() {
    let m = model("scenarios/bench/w1_roundrobin.toml", &[]);
    let s = summarise(&m);
    let exact_ms = 1000.0 * ekm1_mean_response_s(3, 90.0, 100.0);
    assert_contains(
        "W1 roundrobin mean response",
        &s.metrics.latency_ms_mean,
        exact_ms,
        "simpark run scenarios/bench/w1_roundrobin.toml",
    );
    for w in &s.web {
        assert!(
            w.utilisation.contains(0.9),
            "{} utilisation {:?}",
            w.name,
            w.utilisation
        );
    }
    assert_eq!(s.metrics.requests_failed_total, 0);
}

/// W1 with `balance leastconn` is join-the-shortest-queue. JSQ has no closed form for three
/// servers, but it is bounded: it can never beat the pooled M/M/3 queue and it beats the
/// blind Erlang-3 split. Both bounds must hold outside the CI.
#[test]
fn w1_leastconn_lies_between_pooled_and_round_robin() {
    let m = model(
        "scenarios/bench/w1_roundrobin.toml",
        &["balancer.algorithm=\"leastconn\""],
    );
    let s = summarise(&m);
    let e = &s.metrics.latency_ms_mean;
    let ci = e.ci95.unwrap();
    let pooled = 1000.0 * mmc_mean_response_s(270.0, 100.0, 3);
    let split = 1000.0 * ekm1_mean_response_s(3, 90.0, 100.0);
    assert!(
        e.value - ci > pooled && e.value + ci < split,
        "leastconn {:.3} ± {ci:.3} not in ({pooled:.3}, {split:.3})",
        e.value
    );
}

/// W2: `maxconn 1` per server + the backend queue = one shared FIFO: M/M/3 (Erlang C). The
/// algorithm does not matter once every request waits in the one queue.
#[test]
fn w2_shared_queue_is_m_m_3() {
    let exact_ms = 1000.0 * mmc_mean_response_s(270.0, 100.0, 3);
    for algo in ["roundrobin", "leastconn"] {
        let set = format!("balancer.algorithm=\"{algo}\"");
        let m = model("scenarios/bench/w2_shared_queue.toml", &[&set]);
        let s = summarise(&m);
        assert_contains(
            &format!("W2 {algo} mean response"),
            &s.metrics.latency_ms_mean,
            exact_ms,
            &format!("simpark run scenarios/bench/w2_shared_queue.toml --set '{set}'"),
        );
    }
}
