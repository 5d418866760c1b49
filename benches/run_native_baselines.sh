#!/usr/bin/env bash
# Runs the native-coroutine bench and its baselines one after another, in
# the same run on the same machine, and prints a summary table with ratios:
#
#   1. gust:    cargo bench --bench native
#   2. tokio:   benches/baselines/tokio-native (current-thread runtime), release
#   3. Tornado: python3 benches/baselines/tornado_native.py (pip install tornado)
#
# Usage: benches/run_native_baselines.sh [--skip-tornado] [--skip-tokio]
# Environment: GUST_BENCH_RUNS (timed runs per measurement, default 7),
# PYTHON (default python3), CARGO_TARGET_DIR (honoured by both cargo builds).
# The raw output of each part is kept in $OUT_DIR (default: a new temporary
# directory), whose path is printed at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t gust-native-bench.XXXXXX)}
mkdir -p "$OUT_DIR"
skip_tornado=false
skip_tokio=false
for arg in "$@"; do
    case "$arg" in
        --skip-tornado) skip_tornado=true ;;
        --skip-tokio) skip_tokio=true ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

{
    echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r)"
    echo "rustc:   $(rustc -V)"
    echo "python:  $($PYTHON -V 2>&1)"
    echo "runs:    ${GUST_BENCH_RUNS:-7} per measurement (median and min reported)"
} | tee "$OUT_DIR/machine.txt"

echo
echo "== gust: cargo bench --bench native"
cargo bench --bench native | tee "$OUT_DIR/gust.txt"

: >"$OUT_DIR/tokio.txt"
if ! $skip_tokio; then
    manifest=benches/baselines/tokio-native/Cargo.toml
    echo
    echo "== tokio: cargo run --release --manifest-path $manifest"
    cargo build --quiet --release --manifest-path "$manifest"
    cargo run --quiet --release --manifest-path "$manifest" -- --bench | tee "$OUT_DIR/tokio.txt"
    grep -m1 -A1 '^name = "tokio"$' benches/baselines/tokio-native/Cargo.lock |
        sed -n 's/^version = "\(.*\)"/tokio:   \1/p' | tee -a "$OUT_DIR/machine.txt"
fi

: >"$OUT_DIR/tornado.txt"
if ! $skip_tornado; then
    echo
    echo "== Tornado: $PYTHON benches/baselines/tornado_native.py"
    if $PYTHON -c 'import tornado' 2>/dev/null; then
        $PYTHON benches/baselines/tornado_native.py | tee "$OUT_DIR/tornado.txt"
    else
        echo "tornado is not installed for $PYTHON (pip install tornado): skipped"
    fi
fi

echo
echo "== Summary (medians; a ratio is how many times faster gust is: >1 gust faster, <1 slower)"
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


gust, tokio, tornado = parse("gust.txt"), parse("tokio.txt"), parse("tornado.txt")
# gust operation -> (tokio name, Tornado name); None where there is no
# counterpart.
rows = [
    ("await_ready", "await_ready", "await_ready"),
    ("decorated yield_ready (comparison)", None, None),
    ("spawn_to_completion", "spawn_to_completion", "spawn_to_completion"),
    ("yield_now", "yield_now", "yield_now"),
    ("ping_pong decorated<->native (round trip)", None, "ping_pong decorated<->native (round trip)"),
    ("ping_pong decorated<->decorated (round trip)", None, None),
    ("ping_pong native<->native (round trip)",) * 3,
    ("cross_thread_wake (round trip)",) * 3,
]


def fmt_ns(v):
    return "–" if v is None else (f"{v:.0f}" if v >= 100 else f"{v:.1f}")


def fmt_us(v):
    return "–" if v is None else f"{v / 1000:.2f}"


def ratio(base, g):
    if base is None or g is None:
        return "–"
    r = base / g
    return f"{r:.1f}×" if r >= 10 else f"{r:.2f}×"


print("| operation | gust ns/op | tokio ns/op | Tornado µs/op | gust vs tokio | gust vs Tornado |")
print("|---|---:|---:|---:|---:|---:|")
for op, tk, tn in rows:
    g = gust.get(op)
    k = tokio.get(tk) if tk else None
    t = tornado.get(tn) if tn else None
    print(f"| {op} | {fmt_ns(g)} | {fmt_ns(k)} | {fmt_us(t)} | {ratio(k, g)} | {ratio(t, g)} |")
if "spawn_to_completion (spawn_local)" in tokio:
    print(f"\ntokio spawn_local (LocalSet): {fmt_ns(tokio['spawn_to_completion (spawn_local)'])} ns/op")
PY
echo
echo "raw output: $OUT_DIR"
