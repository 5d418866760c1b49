#!/usr/bin/env bash
# Runs the IOLoop bench and its baselines one after another, in the same
# run on the same machine, and prints a summary table with ratios:
#
#   1. gust:    cargo bench --bench ioloop
#   2. Tornado: python3 benches/baselines/tornado_ioloop.py (pip install tornado)
#   3. tokio:   benches/baselines/tokio-ioloop, release, on the real clock,
#               then again with --features paused-clock
#
# Usage: benches/run_ioloop_baselines.sh [--skip-tornado] [--skip-tokio]
# Environment: GUST_BENCH_RUNS (timed runs per measurement, default 7),
# PYTHON (default python3), CARGO_TARGET_DIR (honoured by both cargo builds).
# The raw output of each part is kept in $OUT_DIR (default: a new temporary
# directory), whose path is printed at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t gust-ioloop-bench.XXXXXX)}
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
echo "== gust: cargo bench --bench ioloop"
cargo bench --bench ioloop | tee "$OUT_DIR/gust.txt"

: >"$OUT_DIR/tornado.txt"
if ! $skip_tornado; then
    echo
    echo "== Tornado: $PYTHON benches/baselines/tornado_ioloop.py"
    if $PYTHON -c 'import tornado' 2>/dev/null; then
        $PYTHON benches/baselines/tornado_ioloop.py | tee "$OUT_DIR/tornado.txt"
    else
        echo "tornado is not installed for $PYTHON (pip install tornado): skipped"
    fi
fi

: >"$OUT_DIR/tokio.txt"
if ! $skip_tokio; then
    manifest=benches/baselines/tokio-ioloop/Cargo.toml
    echo
    echo "== tokio: cargo run --release --manifest-path $manifest"
    cargo build --quiet --release --manifest-path "$manifest"
    cargo run --quiet --release --manifest-path "$manifest" -- --bench | tee "$OUT_DIR/tokio.txt"
    echo "== tokio, paused clock: --features paused-clock"
    cargo build --quiet --release --manifest-path "$manifest" --features paused-clock
    cargo run --quiet --release --manifest-path "$manifest" --features paused-clock -- --bench |
        tee -a "$OUT_DIR/tokio.txt"
    grep -m1 -A1 '^name = "tokio"$' benches/baselines/tokio-ioloop/Cargo.lock |
        sed -n 's/^version = "\(.*\)"/tokio:   \1/p' | tee -a "$OUT_DIR/machine.txt"
fi

echo
echo "== Summary (medians; a ratio is how many times faster gust is: >1 gust faster, <1 slower)"
"$PYTHON" - "$OUT_DIR" <<'EOF'
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


gust, tornado, tokio = parse("gust.txt"), parse("tornado.txt"), parse("tokio.txt")
# gust operation -> (Tornado name, tokio name); None where there is no
# counterpart.
rows = [
    ("add_callback+run", "add_callback+run", "spawn+run"),
    ("add_callback (add only)", None, None),
    ("add_callback (run only)", None, None),
    ("add_callback chained", "add_callback chained", "spawn chained"),
    ("add_callback_raw+run", None, None),
    ("add_callback_raw chained", None, None),
    ("timer_sys/call_later", "timer_sys/call_later", "timer_sys/call_later"),
    ("timer_sys/fire_all_due", "timer_sys/fire_all_due", "timer_sys/fire_all_due"),
    ("timer_sys/call_later+fire", "timer_sys/call_later+fire", "timer_sys/call_later+fire"),
    ("timer_sys/wall (incl. waiting)", "timer_sys/wall (incl. waiting)", "timer_sys/wall (incl. waiting)"),
    ("timer_sys/remove_timeout", "timer_sys/remove_timeout", "timer_sys/remove_timeout"),
    ("timer_sys/fire_half_due (half cancelled)",) * 3,
    ("timer_sys/call_later+cancel_half+fire",) * 3,
    ("timer_autojump/call_later+run", None, "timer_autojump/call_later+run"),
    ("timer_autojump/call_later+cancel_half+run", None, "timer_autojump/call_later+cancel_half+run"),
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


print("| operation | gust ns/op | Tornado µs/op | tokio ns/op | gust vs Tornado | gust vs tokio |")
print("|---|---:|---:|---:|---:|---:|")
for op, tn, tk in rows:
    g = gust.get(op)
    t = tornado.get(tn) if tn else None
    k = tokio.get(tk) if tk else None
    print(f"| {op} | {fmt_ns(g)} | {fmt_us(t)} | {fmt_ns(k)} | {ratio(t, g)} | {ratio(k, g)} |")
EOF
echo
echo "raw output: $OUT_DIR"
