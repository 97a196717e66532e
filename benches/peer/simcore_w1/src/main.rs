//! Workloads W1 and W2 on DSLab SimCore 0.1, written the usual SimCore way: one component
//! (the park) receives its own `Arrival` and `Departure` events through `emit_self`, with
//! SimCore's f64-second clock and its seeded generator (`ctx.rand()`).
//!
//! Same model and counting as `simpark bench` and `rust_loop_w1.rs` (see benches/README.md):
//! Poisson 270 req/s, 3 single-worker servers, Exp(10 ms) service, 60 s warm-up, a window of
//! 1 + ceil(N / 270) s. `--algorithm leastconn` joins the shortest queue (ties: lowest index);
//! `--workload w2` is `maxconn 1` with one shared FIFO queue (M/M/3).
//!
//! Output: one `key=value` line, like the other peers.

use serde::Serialize;
use simcore::{cast, Event, EventHandler, Simulation, SimulationContext};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Instant;

const RATE_PER_S: f64 = 270.0;
const SERVICE_MEAN_S: f64 = 0.010;
const SERVERS: usize = 3;
const WARMUP_S: f64 = 60.0;

#[derive(Clone, Serialize)]
struct Arrival {}

#[derive(Clone, Serialize)]
struct Departure {
    server: usize,
}

struct Park {
    ctx: SimulationContext,
    leastconn: bool,
    w2: bool,
    /// Per server: arrival times of the requests in its system (head is in service).
    queues: Vec<VecDeque<f64>>,
    shared: VecDeque<f64>,
    next_server: usize,
    measured: u64,
    completed: u64,
    response_s_sum: f64,
}

impl Park {
    fn exp(&self, mean_s: f64) -> f64 {
        // rand() is in [0, 1): 1 - u is in (0, 1].
        -(1.0 - self.ctx.rand()).ln() * mean_s
    }

    fn on_arrival(&mut self) {
        let now = self.ctx.time();
        self.ctx.emit_self(Arrival {}, self.exp(1.0 / RATE_PER_S));
        if now >= WARMUP_S {
            self.measured += 1;
        }
        let s = if self.w2 {
            match (0..SERVERS)
                .map(|k| (self.next_server + k) % SERVERS)
                .find(|&k| self.queues[k].is_empty())
            {
                Some(s) => {
                    self.next_server = (s + 1) % SERVERS;
                    s
                }
                None => {
                    self.shared.push_back(now);
                    return;
                }
            }
        } else if self.leastconn {
            let mut s = 0;
            for k in 1..SERVERS {
                if self.queues[k].len() < self.queues[s].len() {
                    s = k;
                }
            }
            s
        } else {
            let s = self.next_server;
            self.next_server = (s + 1) % SERVERS;
            s
        };
        self.queues[s].push_back(now);
        if self.queues[s].len() == 1 {
            self.ctx.emit_self(Departure { server: s }, self.exp(SERVICE_MEAN_S));
        }
    }

    fn on_departure(&mut self, s: usize) {
        let now = self.ctx.time();
        let arrived = self.queues[s].pop_front().expect("departure from an empty server");
        if arrived >= WARMUP_S {
            self.completed += 1;
            self.response_s_sum += now - arrived;
        }
        if let Some(head) = self.shared.pop_front() {
            self.queues[s].push_back(head);
        }
        if !self.queues[s].is_empty() {
            self.ctx.emit_self(Departure { server: s }, self.exp(SERVICE_MEAN_S));
        }
    }
}

impl EventHandler for Park {
    fn on(&mut self, event: Event) {
        cast!(match event.data {
            Arrival {} => {
                self.on_arrival()
            }
            Departure { server } => {
                self.on_departure(server)
            }
        })
    }
}

fn usage(bad: &str) -> ! {
    eprintln!("usage: simcore_w1 [--requests N] [--seed S] [--workload w1|w2] [--algorithm roundrobin|leastconn] (bad argument {bad})");
    std::process::exit(2);
}

fn main() {
    let mut requests: u64 = 1_000_000;
    let mut seed: u64 = 1;
    let (mut leastconn, mut w2) = (false, false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--requests" => {
                requests = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage("--requests"))
            }
            "--seed" => {
                seed = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage("--seed"))
            }
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
    let horizon_s = WARMUP_S + 1.0 + (requests as f64 / RATE_PER_S).ceil();

    let mut sim = Simulation::new(seed);
    let park = Rc::new(RefCell::new(Park {
        ctx: sim.create_context("park"),
        leastconn,
        w2,
        queues: (0..SERVERS).map(|_| VecDeque::with_capacity(1024)).collect(),
        shared: VecDeque::with_capacity(1024),
        next_server: 0,
        measured: 0,
        completed: 0,
        response_s_sum: 0.0,
    }));
    sim.add_handler("park", park.clone());
    {
        let p = park.borrow();
        p.ctx.emit_self(Arrival {}, p.exp(1.0 / RATE_PER_S));
    }

    let started = Instant::now();
    sim.step_until_time(horizon_s);
    let wall = started.elapsed().as_secs_f64();

    let p = park.borrow();
    println!(
        "tool=simcore workload={} algorithm={} requests={} completed={} events={} wall_s={wall:.4} mreq_per_s={:.4} mean_response_ms={:.3} seed={seed}",
        if w2 { "w2" } else { "w1" },
        if leastconn { "leastconn" } else { "roundrobin" },
        p.measured,
        p.completed,
        sim.event_count(),
        p.measured as f64 / wall / 1e6,
        p.response_s_sum / p.completed.max(1) as f64 * 1e3,
    );
}
