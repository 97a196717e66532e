#!/usr/bin/env bash
# Benchmark W1 roundrobin, W1 leastconn and W2 (M/M/3 through HAProxy's backend queue):
# simpark against a minimal hand-written Rust event loop and one peer simulator, interleaved,
# printing CPU-time ratios. See benches/README.md.
#
# Usage: bash benches/run.sh [N]
#   N  measured requests per run (default 1000000; the peer SimPy runs N / 10)
# Environment:
#   PAIRS             interleaved rounds; each runs every program once per workload (default 5)
#   PEER              simcore (DSLab SimCore 0.1 from crates.io, default) | simpy | none
#   CARGO_TARGET_DIR  build directory (default: the project's target/); peers build into
#                     <target>/bench-peer, <target>/bench-simcore and <target>/bench-venv
#   PYTHON            interpreter for the driver and the SimPy venv (default python3)
#
# Each program is a separate process; its CPU time (user + system, from getrusage of the
# children) over its measured requests gives CPU ns per request. A round runs simpark, the
# hand loop and the peer back to back, so load on a shared machine hits all of them alike;
# the table shows the median over rounds of each round's ratio.
set -euo pipefail

N="${1:-1000000}"
PAIRS="${PAIRS:-5}"
PEER="${PEER:-simcore}"
PYTHON="${PYTHON:-python3}"
SIMPY_VERSION="4.1.1"

for v in "$N" "$PAIRS"; do
    if ! [[ "$v" =~ ^[1-9][0-9]*$ ]]; then
        echo "run.sh: expected a positive integer, got '$v'" >&2
        echo "usage: bash benches/run.sh [N]" >&2
        exit 2
    fi
done
case "$PEER" in simcore | simpy | none) ;; *)
    echo "run.sh: PEER must be simcore, simpy or none, got '$PEER'" >&2
    exit 2
    ;;
esac

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    mkdir -p "$CARGO_TARGET_DIR"
    TARGET_DIR="$(cd "$CARGO_TARGET_DIR" && pwd)"
else
    TARGET_DIR="$ROOT/target"
fi
log() { printf '==> %s\n' "$*" >&2; }

log "building simpark (release) in $TARGET_DIR"
(cd "$ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release --quiet)
SIMPARK="$TARGET_DIR/release/simpark"

log "compiling benches/peer/rust_loop_w1.rs with rustc -O"
mkdir -p "$TARGET_DIR/bench-peer"
RUST_LOOP="$TARGET_DIR/bench-peer/rust_loop_w1"
rustc -O --edition 2021 "$BENCH_DIR/peer/rust_loop_w1.rs" -o "$RUST_LOOP"

PEER_CMD=""
case "$PEER" in
simcore)
    log "building benches/peer/simcore_w1 (simcore 0.1.0 from crates.io; the first build downloads it)"
    (cd "$BENCH_DIR/peer/simcore_w1" && CARGO_TARGET_DIR="$TARGET_DIR/bench-simcore" cargo build --release --quiet)
    PEER_CMD="$TARGET_DIR/bench-simcore/release/simcore_w1"
    ;;
simpy)
    VENV="$TARGET_DIR/bench-venv"
    if ! "$VENV/bin/python" -c "import simpy, sys; sys.exit(simpy.__version__ != '$SIMPY_VERSION')" 2>/dev/null; then
        log "creating $VENV with simpy==$SIMPY_VERSION"
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "simpy==$SIMPY_VERSION"
    fi
    PEER_CMD="$VENV/bin/python $BENCH_DIR/peer/simpy_w1.py"
    ;;
esac

CPU="$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1 || true)"
export BENCH_CONTEXT="$(date -u +%F), ${CPU:-unknown CPU}, $(nproc 2>/dev/null || echo '?') cores, $(rustc --version), simpark $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')"

"$PYTHON" - "$N" "$PAIRS" "$PEER" "$SIMPARK" "$RUST_LOOP" "$PEER_CMD" <<'EOF_PY'
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys

n, pairs, peer, simpark, loop, peer_cmd = sys.argv[1:7]
n, pairs = int(n), int(pairs)
peer_n = max(n // 10, 1) if peer == "simpy" else n

WORKLOADS = [
    ("W1 roundrobin", ["--workload", "w1", "--algorithm", "roundrobin"]),
    ("W1 leastconn", ["--workload", "w1", "--algorithm", "leastconn"]),
    ("W2 M/M/3", ["--workload", "w2", "--algorithm", "roundrobin"]),
]


def measured(out, tool):
    if tool == "simpark":
        m = re.search(r"(\d+) measured requests", out)
        resp = re.search(r"mean response ([0-9.]+) ms", out)
    else:
        m = re.search(r"requests=(\d+)", out)
        resp = re.search(r"mean_response_ms=([0-9.]+)", out)
    if not m or not resp:
        sys.exit(f"run.sh: cannot parse {tool} output: {out!r}")
    return int(m[1]), float(resp[1])


def run(tool, argv):
    """CPU ns per measured request of one child process, and its mean response [ms]."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    reqs, resp = measured(out, tool)
    print(f"  {tool:8} {' '.join(argv[-4:])}: {reqs} requests, {cpu_s:.3f} s CPU, "
          f"{cpu_s / reqs * 1e9:.0f} ns/request, mean response {resp:.2f} ms", file=sys.stderr)
    return cpu_s / reqs * 1e9, resp


rows = {name: {"simpark": [], "loop": [], "peer": [], "resp": {}} for name, _ in WORKLOADS}
for r in range(pairs):
    print(f"==> round {r + 1}/{pairs}", file=sys.stderr)
    for name, args in WORKLOADS:
        row = rows[name]
        s, row["resp"]["simpark"] = run("simpark", [simpark, "bench", "--requests", str(n)] + args)
        l, row["resp"]["loop"] = run("loop", [loop, "--requests", str(n)] + args)
        row["simpark"].append(s)
        row["loop"].append(l)
        if peer != "none":
            p, row["resp"]["peer"] = run(peer, shlex.split(peer_cmd) + ["--requests", str(peer_n)] + args)
            row["peer"].append(p)

med = statistics.median
print()
print(f"CPU time per measured request, {pairs} interleaved rounds, N = {n:,} "
      f"({os.environ.get('BENCH_CONTEXT', '')})")
print()
peer_cols = f" {peer} ns/req | {peer} / hand loop |" if peer != "none" else ""
print(f"| workload | simpark ns/req | hand loop ns/req |{peer_cols} simpark / hand loop | mean response ms (simpark, loop) |")
print("|---|---:|---:|" + ("---:|---:|" if peer != "none" else "") + "---:|---|")
for name, _ in WORKLOADS:
    row = rows[name]
    ratio = med(l / s for s, l in zip(row["simpark"], row["loop"]))
    peer_txt = ""
    if peer != "none":
        pr = med(l / p for p, l in zip(row["peer"], row["loop"]))
        peer_txt = f" {med(row['peer']):.0f} | {pr:.2f} |"
    print(f"| {name} | {med(row['simpark']):.0f} | {med(row['loop']):.0f} |{peer_txt} **{ratio:.2f}** | "
          f"{row['resp']['simpark']:.2f}, {row['resp']['loop']:.2f} |")
print()
print("A ratio is the hand loop's CPU time over the program's: 1.00 = as fast as the hand loop.")
EOF_PY
