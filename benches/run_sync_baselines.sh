#!/usr/bin/env bash
# Runs the locks-and-queues bench and its Tornado baseline one after the
# other, in the same run on the same machine, and prints a summary table:
#
#   1. gust (decorated and native) and tokio::sync on gust's loop:
#      cargo bench --bench sync
#   2. Tornado 6.6.1: benches/baselines/tornado_sync.py, in a virtualenv this
#      script creates (pip install tornado==6.6.1) if it is missing
#
# Usage: benches/run_sync_baselines.sh [--skip-tornado]
# Environment: GUST_BENCH_RUNS (timed runs per measurement, default 7),
# PYTHON (the interpreter the virtualenv is made from, default python3),
# TORNADO_VENV (default: target/tornado-6.6.1-venv). The raw output of each
# part is kept in $OUT_DIR (default: a new temporary directory).
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TORNADO_VENV=${TORNADO_VENV:-${CARGO_TARGET_DIR:-target}/tornado-6.6.1-venv}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t gust-sync-bench.XXXXXX)}
mkdir -p "$OUT_DIR"
skip_tornado=false
for arg in "$@"; do
    case "$arg" in
        --skip-tornado) skip_tornado=true ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

{
    echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "rustc:   $(rustc -V)"
    echo "runs:    ${GUST_BENCH_RUNS:-7} per measurement (median and min reported)"
} | tee "$OUT_DIR/machine.txt"

echo
echo "== gust and tokio::sync: cargo bench --bench sync"
cargo bench --bench sync | tee "$OUT_DIR/gust.txt"

: >"$OUT_DIR/tornado.txt"
if ! $skip_tornado; then
    if [ ! -x "$TORNADO_VENV/bin/python" ]; then
        echo
        echo "== making $TORNADO_VENV (tornado==6.6.1)"
        "$PYTHON" -m venv "$TORNADO_VENV"
        "$TORNADO_VENV/bin/python" -m pip install --quiet 'tornado==6.6.1'
    fi
    echo
    echo "== Tornado: $TORNADO_VENV/bin/python benches/baselines/tornado_sync.py"
    "$TORNADO_VENV/bin/python" benches/baselines/tornado_sync.py | tee "$OUT_DIR/tornado.txt"
fi

echo
echo "== Summary (medians; a ratio is how many times faster gust is)"
"$PYTHON" - "$OUT_DIR" <<'PY'
import re
import sys
from pathlib import Path

out = Path(sys.argv[1])
LINE = re.compile(r"^(\S+(?: \S+)*?)\s+median ([\d.]+) (ns|us|µs)/op\s+min ([\d.]+)")


def parse(name):
    found = {}
    for line in (out / name).read_text().splitlines():
        m = LINE.match(line)
        if m:
            key, median, unit = m.group(1), float(m.group(2)), m.group(3)
            found[key.split("/", 1)[1]] = median * (1000.0 if unit in ("us", "µs") else 1.0)
    return found  # ns/op


ours, tornado = parse("gust.txt"), parse("tornado.txt")
rows = [
    "queue_handoff",
    "lock_uncontended",
    "lock_contended_100",
    "condition_notify_all_10000",
    "semaphore_10_tasks_10000",
]


def fmt(v):
    return "–" if v is None else (f"{v:,.0f}" if v >= 100 else f"{v:.1f}")


def ratio(base, g):
    if base is None or g is None:
        return "–"
    r = base / g
    return f"{r:,.0f}×" if r >= 10 else f"{r:.2f}×"


print("| operation | gust ns/op | Tornado decorated ns/op | ratio | gust native ns/op | Tornado native ns/op | ratio | tokio::sync ns/op | gust native vs tokio::sync |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for op in rows:
    g, gn, tk = ours.get(op + " gust"), ours.get(op + " gust native"), ours.get(op + " tokio::sync")
    td, tn = tornado.get(op + " decorated"), tornado.get(op + " native")
    print(
        f"| {op} | {fmt(g)} | {fmt(td)} | {ratio(td, g)} | {fmt(gn)} | {fmt(tn)} | {ratio(tn, gn)} "
        f"| {fmt(tk)} | {ratio(tk, gn)} |"
    )
PY
echo
echo "raw output: $OUT_DIR"
