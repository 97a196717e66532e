#!/usr/bin/env python3
"""Workload W1 in SimPy 4.1, for comparison with `simpark bench`.

W1: Poisson arrivals at 270 req/s, 3 servers each with 1 worker and its own FIFO queue,
exponential service with mean 10 ms, round-robin dispatch (request i goes to server i mod 3),
no network latency. Each server is an E3/M/1 queue at utilisation 0.9, mean response
about 67.85 ms.

The run mirrors `simpark bench --requests N`: a 60 s warm-up, then a measurement window of
1 + ceil(N / 270) s. A request is measured if it arrives inside the window; the mean response
is over measured requests that finish before the horizon. The model is written the usual
SimPy way: one generator process for arrivals, one `simpy.Resource(capacity=1)` per server
and one process per request.

Variants, like for like with `simpark bench` and `rust_loop_w1.rs`: `--algorithm leastconn`
joins the server with the fewest requests in its system (ties: lowest index); `--workload w2`
is `maxconn 1` with one shared FIFO queue, i.e. one `simpy.Resource(capacity=3)` (M/M/3).

Output is a single `key=value` line, for example:
    tool=simpy requests=199952 wall_s=2.147 mreq_per_s=0.0931 mean_response_ms=68.123 ...
"""

import argparse
import math
import random
import sys
import time

import simpy

RATE_PER_S = 270.0
SERVICE_MEAN_S = 0.010
SERVERS = 3
WARMUP_S = 60.0


class Stats:
    def __init__(self, window_start, window_end):
        self.window_start = window_start
        self.window_end = window_end
        self.arrivals = 0
        self.completed = 0
        self.response_sum = 0.0


def request(env, server, service_rng, stats):
    """One request: queue for the server's single worker, get served, record the response."""
    arrived = env.now
    measured = stats.window_start <= arrived < stats.window_end
    if measured:
        stats.arrivals += 1
    with server.request() as req:
        yield req
        yield env.timeout(service_rng.expovariate(1.0 / SERVICE_MEAN_S))
    if measured:
        stats.completed += 1
        stats.response_sum += env.now - arrived


def source(env, servers, arrival_rng, service_rng, stats, leastconn):
    """Poisson arrivals; request i goes to server i mod 3 (or to the least loaded one)."""
    i = 0
    while True:
        yield env.timeout(arrival_rng.expovariate(RATE_PER_S))
        if leastconn:
            server = min(servers, key=lambda r: r.count + len(r.queue))
        else:
            server = servers[i % len(servers)]
        env.process(request(env, server, service_rng, stats))
        i += 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=1_000_000, help="measured requests (approx.)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--algorithm", choices=["roundrobin", "leastconn"], default="roundrobin")
    p.add_argument("--workload", choices=["w1", "w2"], default="w1")
    args = p.parse_args()

    window_s = 1.0 + math.ceil(args.requests / RATE_PER_S)
    horizon_s = WARMUP_S + window_s
    stats = Stats(WARMUP_S, horizon_s)

    # Build the model outside the timed region; time only the run.
    env = simpy.Environment()
    if args.workload == "w2":
        if args.algorithm != "roundrobin":
            p.error("--workload w2 runs roundrobin only")
        servers = [simpy.Resource(env, capacity=SERVERS)]
    else:
        servers = [simpy.Resource(env, capacity=1) for _ in range(SERVERS)]
    arrival_rng = random.Random(args.seed)
    service_rng = random.Random(args.seed + 1_000_003)
    env.process(source(env, servers, arrival_rng, service_rng, stats, args.algorithm == "leastconn"))

    started = time.perf_counter()
    env.run(until=horizon_s)
    wall = time.perf_counter() - started

    mean_ms = stats.response_sum / max(stats.completed, 1) * 1e3
    print(
        f"tool=simpy workload={args.workload} algorithm={args.algorithm} version={simpy.__version__} requests={stats.arrivals} "
        f"completed={stats.completed} wall_s={wall:.3f} "
        f"mreq_per_s={stats.arrivals / wall / 1e6:.4f} mean_response_ms={mean_ms:.3f} "
        f"seed={args.seed} python={sys.version.split()[0]}"
    )


if __name__ == "__main__":
    main()
