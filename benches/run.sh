#!/usr/bin/env bash
# Benchmark W1 (Poisson 270 req/s, 3 x 1-worker FIFO servers, exp(10 ms) service, round robin):
# simpark against SimPy 4.1 and a minimal hand-written Rust event loop. See benches/README.md.
#
# Usage: bash benches/run.sh [N] [N_SIMPY]
#   N        measured requests for simpark and the Rust loop (default 1000000)
#   N_SIMPY  measured requests for SimPy (default 200000; SimPy is ~50-100x slower, so the
#            comparison is of rates, not of wall times)
# Environment:
#   CARGO_TARGET_DIR  build directory (default: the project's target/); the SimPy venv goes in
#                     <target>/bench-venv and the Rust loop binary in <target>/bench-peer/
#   PYTHON            interpreter used to create the venv (default python3)
#   SIMPARK_RUNS, RUST_LOOP_RUNS, SIMPY_RUNS   repetitions (default 5, 5, 3)
#
# Works from any directory. Needs cargo/rustc, python3 (with venv) and, the first time, access
# to PyPI for `pip install simpy==4.1.1`.
set -euo pipefail

N="${1:-1000000}"
N_SIMPY="${2:-200000}"
SIMPARK_RUNS="${SIMPARK_RUNS:-5}"
RUST_LOOP_RUNS="${RUST_LOOP_RUNS:-5}"
SIMPY_RUNS="${SIMPY_RUNS:-3}"
PYTHON="${PYTHON:-python3}"
SIMPY_VERSION="4.1.1"

for v in "$N" "$N_SIMPY" "$SIMPARK_RUNS" "$RUST_LOOP_RUNS" "$SIMPY_RUNS"; do
    if ! [[ "$v" =~ ^[1-9][0-9]*$ ]]; then
        echo "run.sh: expected a positive integer, got '$v'" >&2
        echo "usage: bash benches/run.sh [N] [N_SIMPY]" >&2
        exit 2
    fi
done

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"

# Respect CARGO_TARGET_DIR; a relative one is taken relative to the caller's directory.
if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    mkdir -p "$CARGO_TARGET_DIR"
    TARGET_DIR="$(cd "$CARGO_TARGET_DIR" && pwd)"
else
    TARGET_DIR="$ROOT/target"
fi
export CARGO_TARGET_DIR="$TARGET_DIR"

log() { printf '==> %s\n' "$*" >&2; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# (a) simpark, release build.
log "building simpark (release) in $TARGET_DIR"
(cd "$ROOT" && cargo build --release --quiet)
SIMPARK="$TARGET_DIR/release/simpark"

# The Rust loop: a single file, no cargo project.
log "compiling benches/peer/rust_loop_w1.rs with rustc -O"
mkdir -p "$TARGET_DIR/bench-peer"
RUST_LOOP="$TARGET_DIR/bench-peer/rust_loop_w1"
rustc -O --edition 2021 "$BENCH_DIR/peer/rust_loop_w1.rs" -o "$RUST_LOOP"

# (b) SimPy in a private venv; nothing installed globally.
VENV="$TARGET_DIR/bench-venv"
if ! "$VENV/bin/python" -c "import simpy, sys; sys.exit(simpy.__version__ != '$SIMPY_VERSION')" 2>/dev/null; then
    log "creating $VENV with simpy==$SIMPY_VERSION"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "simpy==$SIMPY_VERSION"
fi
VPY="$VENV/bin/python"

# (c) the runs; the machine is noisy, so several of each and the median.
log "simpark bench --requests $N, $SIMPARK_RUNS runs"
for ((i = 1; i <= SIMPARK_RUNS; i++)); do
    # Its two output lines (rate, mean response) joined into one record per run.
    "$SIMPARK" bench --requests "$N" | paste -sd ' ' - | tee -a "$WORK/simpark.txt" >&2
done

log "rust_loop_w1 --requests $N, $RUST_LOOP_RUNS runs"
for ((i = 1; i <= RUST_LOOP_RUNS; i++)); do
    "$RUST_LOOP" --requests "$N" | tee -a "$WORK/rust_loop.txt" >&2
done

log "simpy_w1.py --requests $N_SIMPY, $SIMPY_RUNS runs"
for ((i = 1; i <= SIMPY_RUNS; i++)); do
    "$VPY" "$BENCH_DIR/peer/simpy_w1.py" --requests "$N_SIMPY" | tee -a "$WORK/simpy.txt" >&2
done

# (d) the table.
CPU="$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1 || true)"
BENCH_CONTEXT="$(date -u +%F), ${CPU:-unknown CPU}, $(nproc 2>/dev/null || echo '?') cores, $(rustc --version), Python $("$VPY" -c 'import platform; print(platform.python_version())'), SimPy $SIMPY_VERSION"
export BENCH_CONTEXT

"$PYTHON" - "$WORK" <<'EOF'
import os
import re
import statistics
import sys

work = sys.argv[1]


def runs(name, parse):
    with open(os.path.join(work, name)) as f:
        return [parse(line) for line in f if line.strip()]


def simpark_line(line):
    m = re.search(
        r"(\d+) measured requests \((\d+) events\) in ([0-9.]+) s: ([0-9.]+) M requests/s.*"
        r"mean response ([0-9.]+) ms",
        line,
    )
    if not m:
        sys.exit(f"run.sh: cannot parse simpark output: {line!r}")
    return {
        "requests": int(m[1]),
        "wall_s": float(m[3]),
        "mreq_per_s": float(m[4]),
        "mean_response_ms": float(m[5]),
    }


def kv_line(line):
    kv = dict(tok.split("=", 1) for tok in line.split() if "=" in tok)
    try:
        return {
            "requests": int(kv["requests"]),
            "wall_s": float(kv["wall_s"]),
            "mreq_per_s": float(kv["mreq_per_s"]),
            "mean_response_ms": float(kv["mean_response_ms"]),
        }
    except KeyError as e:
        sys.exit(f"run.sh: missing {e} in peer output: {line!r}")


rows = [
    ("simpark (this repo)", runs("simpark.txt", simpark_line)),
    ("SimPy 4.1.1 (CPython)", runs("simpy.txt", kv_line)),
    ("minimal Rust event loop", runs("rust_loop.txt", kv_line)),
]
ref = statistics.median(r["mreq_per_s"] for r in rows[0][1])

print()
print(f"W1 round robin, one thread ({os.environ.get('BENCH_CONTEXT', '')})")
print()
print("| tool | requests | runs | median wall s | median M requests/s | mean response ms | simpark/peer rate |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, rs in rows:
    rate = statistics.median(r["mreq_per_s"] for r in rs)
    wall = statistics.median(r["wall_s"] for r in rs)
    resp = statistics.median(r["mean_response_ms"] for r in rs)
    reqs = statistics.median(r["requests"] for r in rs)
    ratio = "1.00" if rs is rows[0][1] else f"{ref / rate:.2f}"
    print(f"| {name} | {reqs:,.0f} | {len(rs)} | {wall:.3f} | {rate:.3f} | {resp:.2f} | {ratio} |")
print()
print("Mean response: E3/M/1 closed form 67.85 ms; runs are seeded, so each tool repeats its value.")
EOF
