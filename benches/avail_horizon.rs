//! Availability-mode cost per park-year, short against long horizons, next to a minimal
//! Monte-Carlo loop of the same servers' failures and repairs (the practical limit).
//!
//! `cargo bench --bench avail_horizon [-- PARK_YEARS [ROUNDS]]` runs the seed's park
//! (`scenarios/xpos.toml`, availability mode) as PARK_YEARS (default 1,000) park-years twice,
//! as replications of 10 y and as a tenth as many of 100 y, on one thread, ROUNDS times
//! (default 3) interleaved, so a shared machine slows both alike; it prints park-years per
//! second of each, their ratio, and the loop's rate. The target: 10 x 100 y within
//! 1.2x of 100 x 10 y. For instruction counts instead of wall time:
//! `valgrind --tool=callgrind <bench binary> 100 1 short` (or `long`, `loop`).
//!
//! Only this benchmark reads the wall clock; the simulator never does.

use simpark::sim::rng::Seeds;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;

fn model(horizon_y: u32, replications: u32) -> simpark::Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/xpos.toml");
    let sets = vec![
        "mode=\"availability\"".to_string(),
        format!("horizon=\"{horizon_y}y\""),
        format!("replications={replications}"),
    ];
    simpark::scenario::load(&path, &sets).unwrap_or_else(|e| panic!("{e}"))
}

/// Run the availability mode; returns (park-years, time unavailable share).
fn simpark_run(m: &simpark::Model) -> (f64, f64) {
    let reps = simpark::sim::avail::run_replications(m, 1, &|| {});
    let window: u128 = reps.iter().map(|r| u128::from(r.window_ns)).sum();
    let down: u128 = reps.iter().map(|r| u128::from(r.downtime_ns)).sum();
    (window as f64 / (365.25 * 86_400e9), down as f64 / window as f64)
}

/// The minimal loop: every failing server alternates a time to failure and a repair
/// (on-call response + repair work, unlimited crews), drawn from the scenario's own
/// distributions; the site is down while the balancer, every web server or every storage node
/// is down. No health checks, failover, backups, disks or traffic. Returns (park-years,
/// time unavailable share).
fn mc_loop(m: &simpark::Model, years: u32, runs: u32) -> (f64, f64) {
    let r = &m.reliability;
    // (class, group): group 0 = balancer, 1 = web, 2 = storage, 3 = backup (never takes the site down).
    let mut servers = vec![(&r.lb, 0usize)];
    servers.extend((0..m.web.count).map(|_| (&r.web, 1)));
    servers.extend((0..m.storage.count).map(|_| (&r.storage, 2)));
    if m.spec.backup.enabled {
        servers.push((&r.backup, 3));
    }
    let size = [1, m.web.count as usize, m.storage.count as usize, 1];
    let horizon = years as u64 * 365 * 86_400_000_000_000 + years as u64 / 4 * 86_400_000_000_000;
    let (mut down_ns, mut total_ns) = (0u128, 0u128);
    for run in 0..runs {
        let seeds = Seeds::new(m.seed, run);
        let mut rng = seeds.stream("mc");
        let mut q = BinaryHeap::new();
        for (i, (c, _)) in servers.iter().enumerate() {
            if c.fails {
                q.push(Reverse((c.ttf.sample(&mut rng).as_nanos(), i, true)));
            }
        }
        let mut down_in = [0usize; 4];
        let (mut last, mut site_down) = (0u64, false);
        while let Some(Reverse((t, i, fails))) = q.pop() {
            if t >= horizon {
                break;
            }
            if site_down {
                down_ns += u128::from(t - last);
            }
            last = t;
            let (c, g) = servers[i];
            if fails {
                down_in[g] += 1;
                let repair = r.response.sample(&mut rng) + c.repair.sample(&mut rng);
                q.push(Reverse((t + repair.as_nanos(), i, false)));
            } else {
                down_in[g] -= 1;
                q.push(Reverse((t + c.ttf.sample(&mut rng).as_nanos(), i, true)));
            }
            site_down = (0..3).any(|g| size[g] > 0 && down_in[g] == size[g]);
        }
        if site_down {
            down_ns += u128::from(horizon - last);
        }
        total_ns += u128::from(horizon);
    }
    (total_ns as f64 / (365.25 * 86_400e9), down_ns as f64 / total_ns as f64)
}

#[allow(clippy::disallowed_methods)] // a benchmark measures wall time
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t0 = std::time::Instant::now();
    let x = f();
    (x, t0.elapsed().as_secs_f64())
}

fn main() {
    // `cargo bench` passes `--bench`; take the numbers and the optional case name.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let park_years: u32 = args.first().map_or(1000, |a| a.parse().expect("PARK_YEARS"));
    let rounds: u32 = args.get(1).map_or(3, |a| a.parse().expect("ROUNDS"));
    let only = args.get(2).map(String::as_str);
    assert!(
        park_years >= 100 && park_years.is_multiple_of(100),
        "PARK_YEARS: a multiple of 100"
    );
    let short = model(10, park_years / 10);
    let long = model(100, park_years / 100);
    let mut best = [f64::INFINITY; 3];
    for round in 0..rounds {
        if only.is_none_or(|o| o == "short") {
            let ((y, u), s) = timed(|| simpark_run(&short));
            best[0] = best[0].min(s);
            println!(
                "round {round}: {} x 10 y: {y:.0} park-years in {s:.3} s, unavailable {u:.6}",
                park_years / 10
            );
        }
        if only.is_none_or(|o| o == "long") {
            let ((y, u), s) = timed(|| simpark_run(&long));
            best[1] = best[1].min(s);
            println!(
                "round {round}: {} x 100 y: {y:.0} park-years in {s:.3} s, unavailable {u:.6}",
                park_years / 100
            );
        }
        if only.is_none_or(|o| o == "loop") {
            let ((y, u), s) = timed(|| mc_loop(&short, 10, park_years / 10 * 10));
            best[2] = best[2].min(s);
            println!("round {round}: minimal loop: {y:.0} park-years in {s:.3} s, unavailable {u:.6}");
        }
    }
    let rate = |s: f64, y: f64| y / s;
    let py = park_years as f64;
    if only.is_none() {
        println!(
            "best of {rounds}: 100 x 10 y {:.0} park-years/s; 10 x 100 y {:.0} park-years/s (time ratio long/short {:.2}); minimal loop {:.0} park-years/s",
            rate(best[0], py),
            rate(best[1], py),
            best[1] / best[0],
            rate(best[2], py * 10.0),
        );
    }
}
