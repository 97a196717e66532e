#!/usr/bin/env bash
# Produce fresh, small results with the built simpark in a temporary directory, then execute
# every notebook on them headless (nbclient) in a virtualenv from requirements.txt, failing on
# any cell error. The notebooks themselves are left untouched (outputs stay cleared).
#
#   bash notebooks/run.sh                 # builds simpark (dev profile) if SIMPARK is unset
#   SIMPARK=target/release/simpark bash notebooks/run.sh
#
# Environment: SIMPARK (binary), PYTHON (for the venv, default python3), SIMPARK_NB_VENV
# (default $CARGO_TARGET_DIR/notebooks-venv, CARGO_TARGET_DIR defaulting to target).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

target=${CARGO_TARGET_DIR:-$root/target}
if [[ -z "${SIMPARK:-}" ]]; then
    cargo build --quiet
    SIMPARK=$target/debug/simpark
fi
SIMPARK=$(cd "$(dirname "$SIMPARK")" && pwd)/$(basename "$SIMPARK")
venv=${SIMPARK_NB_VENV:-$target/notebooks-venv}
python=${PYTHON:-python3}

if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r notebooks/requirements.txt
"$venv/bin/python" -m ipykernel install --prefix "$venv" --name python3 >/dev/null

# Every command runs in a temporary directory without --out, so the notebooks read the
# results where simpark writes them by default (results/<name>/, results/<name>-availability/,
# results/sweep-<name>/).
work=$(mktemp -d "${TMPDIR:-/tmp}/simpark-notebooks.XXXXXX")
trap 'rm -rf "$work"' EXIT
results=$work/results
started=$(date +%s)

# A request-mode day of the default scenario, and an availability run of the baseline park.
(cd "$work" && "$SIMPARK" run --horizon 1d -r 3 --quiet)
(cd "$work" && "$SIMPARK" run "$root/scenarios/baseline/xpos.toml" --horizon 3y -r 20 --quiet)

# A sweep of the default park over traffic (eight points, enough for a curve) and web
# servers (with N-1 twins).
(cd "$work" && "$SIMPARK" sweep --vary traffic.visitors_per_month=100k..10M:log:8 --vary web.count=2..3 \
    --horizon 6h --warmup 30m -r 2 --quiet)

notebooks=(notebooks/latency_over_the_day.ipynb notebooks/availability.ipynb notebooks/sweep_curves.ipynb)

export SIMPARK_RESULTS=$results
"$venv/bin/python" - "${notebooks[@]}" <<'PY'
import pathlib
import sys

import nbclient
import nbformat

for path in map(pathlib.Path, sys.argv[1:]):
    book = nbformat.read(path, as_version=4)
    # Run from the notebook's own directory, as Jupyter does; a cell error raises.
    nbclient.NotebookClient(book, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    print(f"ok  {path} ({len(book.cells)} cells)")
PY
echo "notebooks: $(( $(date +%s) - started )) s"
