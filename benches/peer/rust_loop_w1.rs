//! Workloads W1 and W2 as a minimal hand-written event loop: the practical speed limit for a
//! general event-driven simulation of these models on one core.
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
//! Variants, so every ratio to `simpark bench` is like for like:
//! - `--algorithm leastconn`: each arrival joins the server with the fewest requests in its
//!   system (HAProxy `balance leastconn` with one worker each; ties to the lowest index);
//! - `--workload w2`: `maxconn 1` and one shared FIFO backend queue (M/M/3): an arrival takes a
//!   free server (round robin among the free ones), else waits; a departing server takes the
//!   queue's head.
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
    let mut leastconn = false;
    let mut w2 = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--requests" => requests = args.next().and_then(|v| v.parse().ok()).expect("--requests N"),
            "--seed" => seed = args.next().and_then(|v| v.parse().ok()).expect("--seed S"),
            "--algorithm" => match args.next().as_deref() {
                Some("roundrobin") => leastconn = false,
                Some("leastconn") => leastconn = true,
                other => usage(&format!("--algorithm {other:?}")),
            },
            "--workload" => match args.next().as_deref() {
                Some("w1") => w2 = false,
                Some("w2") => w2 = true,
                other => usage(&format!("--workload {other:?}")),
            },
            other => usage(other),
        }
    }
    if w2 && leastconn {
        usage("--workload w2 runs roundrobin only");
    }
    let window_ns = (1 + (requests as f64 / RATE_PER_S).ceil() as u64) * 1_000_000_000;
    let horizon = WARMUP_NS + window_ns;
    let arrival_mean_ns = 1e9 / RATE_PER_S;

    let started = Instant::now();

    let mut arr_rng = Xoshiro256pp::seeded(seed);
    let mut svc_rng = Xoshiro256pp::seeded(seed ^ 0x5EED_5EED_5EED_5EED);
    let mut heap: BinaryHeap<Reverse<(u64, u8)>> = BinaryHeap::with_capacity(16);
    // Per server: arrival times of requests in the system (head is in service).
    // Per server: arrival times of requests in the system (head is in service). W2 keeps every
    // server's length at 0 or 1 and waits in `shared` instead.
    let mut queues: Vec<VecDeque<u64>> = (0..SERVERS).map(|_| VecDeque::with_capacity(1024)).collect();
    let mut shared: VecDeque<u64> = VecDeque::with_capacity(1024);
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
            let s = if w2 {
                // Round robin over the free servers; none free: wait in the shared queue.
                match (0..SERVERS)
                    .map(|k| (next_server + k) % SERVERS)
                    .find(|&k| queues[k].is_empty())
                {
                    Some(s) => {
                        next_server = (s + 1) % SERVERS;
                        s
                    }
                    None => {
                        shared.push_back(now);
                        continue;
                    }
                }
            } else if leastconn {
                let mut s = 0;
                for k in 1..SERVERS {
                    if queues[k].len() < queues[s].len() {
                        s = k;
                    }
                }
                s
            } else {
                let s = next_server;
                next_server = if s + 1 == SERVERS { 0 } else { s + 1 };
                s
            };
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
            if let Some(head) = shared.pop_front() {
                q.push_back(head);
            }
            if !q.is_empty() {
                heap.push(Reverse((now + svc_rng.exp_ns(SERVICE_MEAN_NS), s as u8)));
            }
        }
    }

    let wall = started.elapsed().as_secs_f64();
    let mean_ms = response_ns_sum as f64 / completed.max(1) as f64 / 1e6;
    println!(
        "tool=rust_loop workload={} algorithm={} requests={measured} completed={completed} events={events} wall_s={wall:.4} \
         mreq_per_s={:.4} mean_response_ms={mean_ms:.3} seed={seed}",
        if w2 { "w2" } else { "w1" },
        if leastconn { "leastconn" } else { "roundrobin" },
        measured as f64 / wall / 1e6
    );
}

fn usage(bad: &str) -> ! {
    eprintln!(
        "usage: rust_loop_w1 [--requests N] [--seed S] [--workload w1|w2] \
         [--algorithm roundrobin|leastconn] (bad argument {bad})"
    );
    std::process::exit(2);
}
