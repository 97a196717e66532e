//! Workload W1 as a minimal hand-written event loop: the practical speed limit for a
//! general event-driven simulation of this model on one core.
//!
//! Standalone, no dependencies: `rustc -O --edition 2021 rust_loop_w1.rs -o rust_loop_w1`.
//!
//! Same model and counting as `simpark bench --requests N`: Poisson arrivals at 270 req/s,
//! 3 servers with 1 worker and a FIFO queue each, exponential service with mean 10 ms,
//! round robin (request i to server i mod 3), 60 s warm-up, then a measurement window of
//! 1 + ceil(N / 270) s; a request is measured if it arrives in the window and its response
//! counts if it finishes before the horizon. Integer nanosecond clock, a binary-heap event
//! list, xoshiro256++ random numbers. Nothing else: no model configuration, no metrics beyond
//! the mean, no fault handling, which is what makes it an upper bound rather than a peer.
//!
//! Output: one `key=value` line, like `benches/peer/simpy_w1.py`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Instant;

const RATE_PER_S: f64 = 270.0;
const SERVICE_MEAN_NS: f64 = 10e6;
const SERVERS: usize = 3;
const WARMUP_NS: u64 = 60_000_000_000;

struct Xoshiro256pp([u64; 4]);

impl Xoshiro256pp {
    fn seeded(seed: u64) -> Self {
        let mut z = seed;
        let mut s = [0u64; 4];
        for w in &mut s {
            // SplitMix64 to fill the state.
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            *w = x ^ (x >> 31);
        }
        Self(s)
    }

    #[inline]
    fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let out = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }

    /// Exponential with the given mean, in whole nanoseconds (rounded up, at least 1).
    #[inline]
    fn exp_ns(&mut self, mean_ns: f64) -> u64 {
        // u in (0, 1]: 53 random bits, shifted away from zero.
        let u = ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64);
        ((-u.ln() * mean_ns).ceil() as u64).max(1)
    }
}

/// Event kind in the low bits of the heap key: 0..SERVERS = departure at that server,
/// SERVERS = next arrival. Key = (time_ns, kind), min-first.
const ARRIVAL: u8 = SERVERS as u8;

fn main() {
    let mut requests: u64 = 1_000_000;
    let mut seed: u64 = 1;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--requests" => requests = args.next().and_then(|v| v.parse().ok()).expect("--requests N"),
            "--seed" => seed = args.next().and_then(|v| v.parse().ok()).expect("--seed S"),
            other => {
                eprintln!("usage: rust_loop_w1 [--requests N] [--seed S] (unknown argument {other})");
                std::process::exit(2);
            }
        }
    }
    let window_ns = (1 + (requests as f64 / RATE_PER_S).ceil() as u64) * 1_000_000_000;
    let horizon = WARMUP_NS + window_ns;
    let arrival_mean_ns = 1e9 / RATE_PER_S;

    let started = Instant::now();

    let mut arr_rng = Xoshiro256pp::seeded(seed);
    let mut svc_rng = Xoshiro256pp::seeded(seed ^ 0x5EED_5EED_5EED_5EED);
    let mut heap: BinaryHeap<Reverse<(u64, u8)>> = BinaryHeap::with_capacity(16);
    // Per server: arrival times of requests in the system (head is in service).
    let mut queues: Vec<VecDeque<u64>> = (0..SERVERS).map(|_| VecDeque::with_capacity(1024)).collect();
    let mut next_server = 0usize;
    let (mut measured, mut completed, mut response_ns_sum, mut events) = (0u64, 0u64, 0u128, 0u64);

    heap.push(Reverse((arr_rng.exp_ns(arrival_mean_ns), ARRIVAL)));
    while let Some(Reverse((now, kind))) = heap.pop() {
        if now >= horizon {
            break;
        }
        events += 1;
        if kind == ARRIVAL {
            heap.push(Reverse((now + arr_rng.exp_ns(arrival_mean_ns), ARRIVAL)));
            if now >= WARMUP_NS {
                measured += 1;
            }
            let s = next_server;
            next_server = if s + 1 == SERVERS { 0 } else { s + 1 };
            let q = &mut queues[s];
            q.push_back(now);
            if q.len() == 1 {
                heap.push(Reverse((now + svc_rng.exp_ns(SERVICE_MEAN_NS), s as u8)));
            }
        } else {
            let s = kind as usize;
            let q = &mut queues[s];
            let arrived = q.pop_front().expect("departure from an empty server");
            if arrived >= WARMUP_NS {
                completed += 1;
                response_ns_sum += u128::from(now - arrived);
            }
            if !q.is_empty() {
                heap.push(Reverse((now + svc_rng.exp_ns(SERVICE_MEAN_NS), s as u8)));
            }
        }
    }

    let wall = started.elapsed().as_secs_f64();
    let mean_ms = response_ns_sum as f64 / completed.max(1) as f64 / 1e6;
    println!(
        "tool=rust_loop requests={measured} completed={completed} events={events} wall_s={wall:.4} \
         mreq_per_s={:.4} mean_response_ms={mean_ms:.3} seed={seed}",
        measured as f64 / wall / 1e6
    );
}
