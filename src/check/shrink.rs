//! Minimise a failing scenario (`simpark shrink`): fewer replications, delta debugging over
//! the `[[fault]]` list, a shorter horizon, lower traffic, keeping only candidates that still
//! fail.
//!
//! The algorithm is generic over a "still fails?" predicate on whole scenarios, so it is
//! tested here on synthetic predicates without simulating; the CLI supplies the predicate that
//! runs a candidate and asks whether the same expectation (`expect[i].key`) still fails. This
//! module never simulates, prints or writes files itself, and every loop is bounded.

use super::expect::CheckResult;
use crate::scenario::{FaultKind, MONTH_SECS, Scenario, TrafficKind};
use crate::units::{SimDuration, parse_duration};
use std::collections::BTreeMap;

/// Halvings tried per dimension (horizon, traffic, replications): 2^-20 is far below anything
/// a failing scenario needs, and it bounds the runs a shrink can cost.
pub(crate) const HALVINGS_MAX: u32 = 20;

/// A scenario that cannot be shrunk.
#[derive(Debug, thiserror::Error)]
pub enum ShrinkError {
    /// A duration in the scenario does not parse (the scenario was not validated first).
    #[error("key `{key}`: {message}")]
    Duration {
        /// The dotted scenario key.
        key: String,
        /// Why its value does not parse.
        message: String,
    },
}

/// Zeller and Hildebrandt's ddmin ("Simplifying and Isolating Failure-Inducing Input", TSE
/// 2002): a 1-minimal subset of `items` for which `fails` still holds, in the original order.
/// Precondition: `fails(items)` holds. Each distinct subset is tested at most once; the empty
/// subset is tried first (a failure that needs none of the items).
pub(crate) fn ddmin<T: Clone>(items: &[T], fails: &mut dyn FnMut(&[T]) -> bool) -> Vec<T> {
    let mut seen: BTreeMap<Vec<usize>, bool> = BTreeMap::new();
    let mut test = |ix: &[usize]| -> bool {
        if let Some(&r) = seen.get(ix) {
            return r;
        }
        let subset: Vec<T> = ix.iter().map(|&i| items[i].clone()).collect();
        let r = fails(&subset);
        seen.insert(ix.to_vec(), r);
        r
    };
    let pick = |ix: &[usize]| ix.iter().map(|&i| items[i].clone()).collect::<Vec<T>>();
    let mut c: Vec<usize> = (0..items.len()).collect();
    if c.is_empty() || test(&[]) {
        return Vec::new();
    }
    let mut n = 2usize;
    // Each round either shrinks `c` or raises `n` towards `c.len()`: at most |items|^2 rounds.
    while c.len() >= 2 {
        let chunks = split(&c, n);
        if let Some(chunk) = chunks.iter().find(|ch| test(ch)) {
            c = chunk.clone();
            n = 2;
            continue;
        }
        let complement = (0..chunks.len()).find_map(|k| {
            let rest: Vec<usize> = chunks
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != k)
                .flat_map(|(_, ch)| ch.iter().copied())
                .collect();
            test(&rest).then_some(rest)
        });
        if let Some(rest) = complement {
            c = rest;
            n = (n - 1).max(2);
            continue;
        }
        if n >= c.len() {
            break;
        }
        n = (2 * n).min(c.len());
    }
    pick(&c)
}

/// `c` in `n` contiguous chunks of near-equal size.
fn split(c: &[usize], n: usize) -> Vec<Vec<usize>> {
    let n = n.min(c.len()).max(1);
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for k in 0..n {
        let end = start + (c.len() - start) / (n - k);
        out.push(c[start..end].to_vec());
        start = end;
    }
    out
}

/// Whether a candidate's checks fail the way `original` did: the same `expect[i].key` fails,
/// and a finite measurement stays finite (a horizon cut before lb1 could notice a failure
/// makes `detect_ms_max` infinite: that is a different failure, not a smaller one).
pub fn same_failure(original: &CheckResult, candidate: &[CheckResult]) -> bool {
    candidate
        .iter()
        .any(|r| r.name == original.name && !r.passed && (r.value.is_finite() || !original.value.is_finite()))
}

/// What shrinking did.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The minimal scenario found.
    pub spec: Scenario,
    /// Scripted faults before shrinking.
    pub faults_before: usize,
    /// Scripted faults after shrinking.
    pub faults_after: usize,
    /// `horizon` before shrinking, as written in the scenario.
    pub horizon_before: String,
    /// `horizon` after shrinking.
    pub horizon_after: String,
    /// `replications` before shrinking.
    pub replications_before: u32,
    /// `replications` after shrinking.
    pub replications_after: u32,
    /// Traffic after / before (1 when unchanged).
    pub traffic_scale: f64,
    /// Candidates tested (calls of the predicate).
    pub runs: u64,
    /// One line per thing removed or reduced, for the output file's header.
    pub removed: Vec<String>,
}

/// Shrink `spec`, which must fail (`still_fails(spec)` holds; it is not tested again): halve
/// `replications`, ddmin the faults, halve the horizon while every remaining fault and the
/// warm-up stay inside it, then halve the traffic. Every accepted step keeps `still_fails`.
pub fn shrink(spec: &Scenario, still_fails: &mut dyn FnMut(&Scenario) -> bool) -> Result<Shrunk, ShrinkError> {
    let mut runs = 0u64;
    let mut fails = |s: &Scenario| {
        runs += 1;
        still_fails(s)
    };
    let mut best = spec.clone();
    let mut removed = Vec::new();
    // Replications first: every later candidate runs faster.
    shrink_replications(&mut best, &mut fails);
    if best.replications != spec.replications {
        removed.push(format!("replications {} -> {}", spec.replications, best.replications));
    }
    shrink_faults(&mut best, &mut fails, &mut removed);
    let horizon = shrink_horizon(&mut best, &mut fails)?;
    if best.horizon != spec.horizon {
        removed.push(format!("horizon {} -> {}", spec.horizon, best.horizon));
    }
    let traffic_scale = shrink_traffic(&mut best, horizon, &mut fails)?;
    if traffic_scale < 1.0 {
        removed.push(traffic_removed(spec, &best, traffic_scale));
    }
    Ok(Shrunk {
        faults_before: spec.faults.len(),
        faults_after: best.faults.len(),
        horizon_before: spec.horizon.clone(),
        horizon_after: best.horizon.clone(),
        replications_before: spec.replications,
        replications_after: best.replications,
        traffic_scale,
        runs,
        removed,
        spec: best,
    })
}

/// Halve `best.replications` while the scenario still fails.
fn shrink_replications(best: &mut Scenario, fails: &mut dyn FnMut(&Scenario) -> bool) {
    for _ in 0..HALVINGS_MAX {
        if best.replications <= 1 {
            break;
        }
        let mut cand = best.clone();
        cand.replications = best.replications / 2;
        if !fails(&cand) {
            break;
        }
        *best = cand;
    }
}

/// Faults: ddmin over `best.faults`, in file order; one `removed` line per fault dropped.
fn shrink_faults(best: &mut Scenario, fails: &mut dyn FnMut(&Scenario) -> bool, removed: &mut Vec<String>) {
    let indexed: Vec<usize> = (0..best.faults.len()).collect();
    let keep = ddmin(&indexed, &mut |ix: &[usize]| {
        let mut cand = best.clone();
        cand.faults = ix.iter().map(|&i| best.faults[i].clone()).collect();
        fails(&cand)
    });
    for (i, f) in best.faults.iter().enumerate() {
        if !keep.contains(&i) {
            removed.push(format!("fault[{i}] ({} {} at {})", f.target, kind_name(f.kind), f.at));
        }
    }
    best.faults = keep.iter().map(|&i| best.faults[i].clone()).collect();
}

/// The duration at scenario key `key`, or why it does not parse.
fn duration(key: &str, text: &str) -> Result<SimDuration, ShrinkError> {
    parse_duration(text).map_err(|message| ShrinkError::Duration {
        key: key.to_string(),
        message,
    })
}

/// Horizon: halve while the warm-up and every remaining fault stay strictly inside and the
/// scenario still fails. Returns the horizon reached.
fn shrink_horizon(best: &mut Scenario, fails: &mut dyn FnMut(&Scenario) -> bool) -> Result<SimDuration, ShrinkError> {
    let mut floor = duration("warmup", &best.warmup)?;
    for (i, f) in best.faults.iter().enumerate() {
        floor = floor.max(duration(&format!("fault[{i}].at"), &f.at)?);
    }
    let mut horizon = duration("horizon", &best.horizon)?;
    for _ in 0..HALVINGS_MAX {
        let half = SimDuration::from_nanos(horizon.as_nanos() / 2);
        if half <= floor {
            break;
        }
        let mut cand = best.clone();
        cand.horizon = duration_text(half);
        if !fails(&cand) {
            break;
        }
        *best = cand;
        horizon = half;
    }
    Ok(horizon)
}

/// Traffic: halve the offered rate while at least one request is still expected in the
/// measured window (below that, lower traffic changes nothing but the random draws) and the
/// scenario still fails. Returns the scale reached (after / before).
fn shrink_traffic(
    best: &mut Scenario,
    horizon: SimDuration,
    fails: &mut dyn FnMut(&Scenario) -> bool,
) -> Result<f64, ShrinkError> {
    let window_s = horizon.as_secs_f64() - duration("warmup", &best.warmup)?.as_secs_f64();
    let mut traffic_scale = 1.0;
    for _ in 0..HALVINGS_MAX {
        let rate_per_s = match best.traffic.kind {
            TrafficKind::Poisson => best.traffic.rate_per_s,
            TrafficKind::Profile => best.traffic.visitors_per_month * best.traffic.requests_per_visit / MONTH_SECS,
        };
        if rate_per_s / 2.0 * window_s < 1.0 {
            break;
        }
        let mut cand = best.clone();
        match cand.traffic.kind {
            TrafficKind::Poisson => cand.traffic.rate_per_s /= 2.0,
            TrafficKind::Profile => cand.traffic.visitors_per_month /= 2.0,
        }
        if !fails(&cand) {
            break;
        }
        *best = cand;
        traffic_scale /= 2.0;
    }
    Ok(traffic_scale)
}

/// The `removed` line for traffic scaled by `traffic_scale` from `spec` to `best`.
fn traffic_removed(spec: &Scenario, best: &Scenario, traffic_scale: f64) -> String {
    match best.traffic.kind {
        TrafficKind::Poisson => format!(
            "traffic x1/{}: rate_per_s {} -> {}",
            1.0 / traffic_scale,
            spec.traffic.rate_per_s,
            best.traffic.rate_per_s
        ),
        TrafficKind::Profile => format!(
            "traffic x1/{}: visitors_per_month {} -> {}",
            1.0 / traffic_scale,
            spec.traffic.visitors_per_month,
            best.traffic.visitors_per_month
        ),
    }
}

/// A fault kind as the scenario file spells it.
fn kind_name(k: FaultKind) -> &'static str {
    match k {
        FaultKind::Crash => "crash",
        FaultKind::ProcessDeath => "process_death",
        FaultKind::Hang => "hang",
        FaultKind::Slow => "slow",
        FaultKind::Recover => "recover",
        FaultKind::Partition => "partition",
        FaultKind::Heal => "heal",
        FaultKind::DiskFill => "disk_fill",
    }
}

/// A duration in the largest unit that states it exactly (`8h`, `90m`, `1500ms`), in the
/// syntax `parse_duration` reads.
pub(crate) fn duration_text(d: SimDuration) -> String {
    const UNITS: [(&str, u64); 8] = [
        ("y", 365 * 86_400_000_000_000),
        ("d", 86_400_000_000_000),
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
    ];
    let ns = d.as_nanos();
    let (unit, per) = UNITS
        .iter()
        .find(|(_, per)| ns.is_multiple_of(*per))
        .expect("every duration is whole nanoseconds");
    format!("{}{unit}", ns / per)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Fault;

    #[test]
    fn ddmin_finds_exactly_the_two_needed_items() {
        let items: Vec<u32> = (0..10).collect();
        let mut calls = 0;
        let out = ddmin(&items, &mut |s: &[u32]| {
            calls += 1;
            s.contains(&3) && s.contains(&7)
        });
        assert_eq!(out, [3, 7]);
        // ddmin's worst case is quadratic; here it must stay well below testing every subset.
        assert!(calls < 40, "{calls} tests");
    }

    #[test]
    fn ddmin_single_cause_empty_cause_and_order() {
        let items: Vec<u32> = (0..9).collect();
        assert_eq!(ddmin(&items, &mut |s: &[u32]| s.contains(&8)), [8]);
        assert_eq!(ddmin(&items, &mut |_: &[u32]| true), Vec::<u32>::new());
        assert_eq!(ddmin(&[] as &[u32], &mut |_: &[u32]| true), Vec::<u32>::new());
        // Three needed items scattered: the result is 1-minimal and keeps the original order.
        let out = ddmin(&items, &mut |s: &[u32]| [1, 4, 6].iter().all(|x| s.contains(x)));
        assert_eq!(out, [1, 4, 6]);
    }

    #[test]
    fn ddmin_result_is_one_minimal_for_an_interaction() {
        // Fails with any two of {2, 5, 8}: a 1-minimal answer is some pair of them.
        let items: Vec<u32> = (0..10).collect();
        let mut pred = |s: &[u32]| [2, 5, 8].iter().filter(|x| s.contains(x)).count() >= 2;
        let out = ddmin(&items, &mut pred);
        assert_eq!(out.len(), 2);
        assert!(pred(&out));
        for i in 0..out.len() {
            let mut less = out.clone();
            less.remove(i);
            assert!(!pred(&less));
        }
    }

    #[test]
    fn split_covers_in_order() {
        let c: Vec<usize> = (0..7).collect();
        let parts = split(&c, 3);
        assert_eq!(parts, vec![vec![0, 1], vec![2, 3], vec![4, 5, 6]]);
        assert_eq!(split(&c, 10).len(), 7);
    }

    fn fault(at: &str, target: &str, kind: FaultKind) -> Fault {
        Fault {
            at: at.into(),
            target: target.into(),
            kind,
            factor: None,
            peer: None,
            direction: None,
        }
    }

    #[test]
    fn shrink_keeps_the_cause_and_cuts_horizon_traffic_and_replications() {
        let mut spec = Scenario {
            replications: 8,
            horizon: "64h".into(),
            warmup: "1h".into(),
            ..Scenario::default()
        };
        spec.traffic.visitors_per_month = 3_000_000.0;
        spec.faults = vec![
            fault("2h", "web1", FaultKind::ProcessDeath),
            fault("3h", "web1", FaultKind::Recover),
            fault("5h", "web2", FaultKind::Hang),
            fault("6h", "web2", FaultKind::Recover),
            fault("7h", "web3", FaultKind::Crash),
        ];
        // Synthetic: the failure needs web2's hang, 10 h of horizon, 100k visitors and 2
        // replications.
        let mut pred = |s: &Scenario| {
            s.faults.iter().any(|f| f.target == "web2" && f.kind == FaultKind::Hang)
                && parse_duration(&s.horizon).unwrap() >= parse_duration("10h").unwrap()
                && s.traffic.visitors_per_month >= 100_000.0
                && s.replications >= 2
        };
        assert!(pred(&spec));
        let out = shrink(&spec, &mut pred).unwrap();
        assert_eq!(out.spec.faults.len(), 1);
        assert_eq!(out.spec.faults[0].target, "web2");
        assert_eq!((out.faults_before, out.faults_after), (5, 1));
        // 64 -> 32 -> 16 ok, 8 fails the predicate.
        assert_eq!(out.horizon_after, "16h");
        // 3M -> ... -> 187.5k ok; 93.75k is below the need.
        assert_eq!(out.spec.traffic.visitors_per_month, 187_500.0);
        assert_eq!(out.traffic_scale, 1.0 / 16.0);
        assert_eq!(out.replications_after, 2);
        assert!(
            out.removed
                .iter()
                .any(|r| r.contains("fault[0] (web1 process_death at 2h)"))
        );
        assert!(out.runs > 5);
    }

    #[test]
    fn the_horizon_never_cuts_a_remaining_fault_or_the_warmup() {
        let mut spec = Scenario {
            replications: 1,
            horizon: "16h".into(),
            warmup: "1h".into(),
            ..Scenario::default()
        };
        spec.faults = vec![fault("13h", "web2", FaultKind::Crash)];
        let mut tried = Vec::new();
        let out = shrink(&spec, &mut |s: &Scenario| {
            tried.push(s.horizon.clone());
            !s.faults.is_empty()
        })
        .unwrap();
        assert_eq!(out.horizon_after, "16h");
        assert!(!tried.contains(&"8h".to_string()), "{tried:?}");
    }

    #[test]
    fn traffic_stops_halving_at_one_expected_request() {
        let mut spec = Scenario {
            replications: 1,
            horizon: "10m".into(),
            warmup: "1m".into(),
            ..Scenario::default()
        };
        spec.traffic.kind = TrafficKind::Poisson;
        spec.traffic.rate_per_s = 1.0;
        let out = shrink(&spec, &mut |_: &Scenario| true).unwrap();
        // The horizon goes first: 10m -> 5m -> 150s -> 75s (37.5s would cut the warm-up).
        assert_eq!(out.horizon_after, "75s");
        let expected = out.spec.traffic.rate_per_s * 15.0;
        assert!((1.0..2.0).contains(&expected), "{expected} requests expected");
        assert_eq!(out.traffic_scale, 1.0 / 8.0);
    }

    #[test]
    fn same_failure_wants_the_same_key_and_a_finite_value() {
        let r = |name: &str, value: f64, passed: bool| CheckResult {
            name: name.into(),
            measured: value.to_string(),
            bound: "<= 1".into(),
            value,
            passed,
        };
        let orig = r("expect[0].detect_ms_max", 11_000.0, false);
        assert!(same_failure(&orig, &[r("expect[0].detect_ms_max", 12_000.0, false)]));
        assert!(!same_failure(&orig, &[r("expect[0].detect_ms_max", 100.0, true)]));
        assert!(!same_failure(&orig, &[r("expect[0].latency_ms_p99_max", 9.0, false)]));
        assert!(!same_failure(
            &orig,
            &[r("expect[0].detect_ms_max", f64::INFINITY, false)]
        ));
    }

    #[test]
    fn durations_print_in_the_largest_exact_unit() {
        for (text, want) in [
            ("16h", "16h"),
            ("90m", "90m"),
            ("1.5s", "1500ms"),
            ("10y", "10y"),
            ("36h", "36h"),
        ] {
            assert_eq!(duration_text(parse_duration(text).unwrap()), want);
        }
        assert_eq!(duration_text(SimDuration::from_nanos(8 * 3_600_000_000_000)), "8h");
    }
}
