#!/usr/bin/env bash
# Runs the socket bench and its baselines one after another, in the same
# run on the same machine, and prints a summary with ratios, the system
# calls per ping-pong round trip (strace -c) of gust and tokio, and how
# connections split between two loops sharing a port with reuse_port.
#
#   1. gust:    cargo bench --bench net
#   2. tokio:   benches/baselines/tokio-net (current-thread runtime), release
#   3. Tornado: benches/baselines/tornado_net.py with tornado==6.6.1, in a
#               venv this script creates if missing ($TORNADO_VENV, default
#               ~/.cache/gust-bench/tornado-6.6.1)
#
# Usage: benches/run_net_baselines.sh [--skip-tornado] [--skip-tokio] [--skip-strace]
# Environment: GUST_BENCH_RUNS (timed runs per measurement, default 7),
# GUST_BENCH_CLOCK=cpu (gust and tokio time the loop thread's CPU time
# instead of wall time: steadier on a busy machine; Tornado stays on wall
# time, so use it with --skip-tornado),
# PYTHON (to create the venv; default python3). The raw output is kept in
# $OUT_DIR (default: a new temporary directory), printed at the end.
#
# File descriptors: the soft limit is raised to the hard one here
# (`ulimit -n`) and by each program (setrlimit). The 10,000-connection row
# keeps the client ends in a child process, since both ends need more
# than 20,000 descriptors.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t gust-net-bench.XXXXXX)}
TORNADO_VENV=${TORNADO_VENV:-$HOME/.cache/gust-bench/tornado-6.6.1}
mkdir -p "$OUT_DIR"
skip_tornado=false
skip_tokio=false
skip_strace=false
for arg in "$@"; do
    case "$arg" in
        --skip-tornado) skip_tornado=true ;;
        --skip-tokio) skip_tokio=true ;;
        --skip-strace) skip_strace=true ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

{
    echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r)"
    echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
    echo "rustc:   $(rustc -V)"
    echo "fds:     soft $(ulimit -n), hard $(ulimit -Hn)"
    echo "runs:    ${GUST_BENCH_RUNS:-7} per measurement (median and min reported)"
} | tee "$OUT_DIR/machine.txt"

echo
echo "== gust: cargo bench --bench net"
cargo bench --bench net | tee "$OUT_DIR/gust.txt"

tokio_bin=benches/baselines/tokio-net/target/release/tokio-net-baseline
: >"$OUT_DIR/tokio.txt"
if ! $skip_tokio; then
    manifest=benches/baselines/tokio-net/Cargo.toml
    echo
    echo "== tokio: cargo run --release --manifest-path $manifest"
    cargo build --quiet --release --manifest-path "$manifest"
    "$tokio_bin" --bench | tee "$OUT_DIR/tokio.txt"
    grep -m1 -A1 '^name = "tokio"$' benches/baselines/tokio-net/Cargo.lock |
        sed -n 's/^version = "\(.*\)"/tokio:   \1/p' | tee -a "$OUT_DIR/machine.txt"
fi

: >"$OUT_DIR/tornado.txt"
if ! $skip_tornado; then
    echo
    if [ ! -x "$TORNADO_VENV/bin/python" ]; then
        echo "== creating $TORNADO_VENV with tornado==6.6.1"
        "$PYTHON" -m venv "$TORNADO_VENV"
        "$TORNADO_VENV/bin/pip" install --quiet tornado==6.6.1
    fi
    echo "== Tornado $("$TORNADO_VENV/bin/python" -c 'import tornado; print(tornado.version)'): benches/baselines/tornado_net.py"
    "$TORNADO_VENV/bin/python" benches/baselines/tornado_net.py | tee "$OUT_DIR/tornado.txt"
fi

: >"$OUT_DIR/strace.txt"
if ! $skip_strace && command -v strace >/dev/null; then
    echo
    echo "== system calls per ping-pong round trip (strace -c -f, 20,000 round trips)"
    gust_bin=$(ls -t target/release/deps/net-* | grep -v '\.d$' | head -1)
    for who in gust tokio; do
        bin=$gust_bin
        [ "$who" = tokio ] && bin=$tokio_bin
        [ -x "$bin" ] || continue
        strace -c -f -o "$OUT_DIR/strace-$who.txt" "$bin" --only-ping-pong 20000 >/dev/null
        "$PYTHON" - "$who" "$OUT_DIR/strace-$who.txt" <<'PY' | tee -a "$OUT_DIR/strace.txt"
import sys
who, path = sys.argv[1], sys.argv[2]
counts = {}
for line in open(path):
    parts = line.split()
    if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
        calls = int(parts[3])
        errors = int(parts[4]) if len(parts) == 6 else 0
        counts[parts[-1]] = (calls, errors)
io = ["epoll_wait", "sendto", "recvfrom", "read", "write", "writev", "readv", "epoll_ctl"]
per = {k: counts[k][0] / 20000 for k in io if k in counts and counts[k][0] >= 1000}
errs = {k: counts[k][1] / 20000 for k in io if k in counts and counts[k][1] >= 1000}
total = sum(per.values())
detail = ", ".join(f"{k} {v:.2f}" + (f" ({errs[k]:.2f} EAGAIN)" if k in errs else "") for k, v in per.items())
print(f"{who}: {total:.2f} per round trip: {detail}")
PY
    done
fi

echo
echo "== reuse_port: two loops on one port (cargo run --release --example echo_threads)"
cargo run --quiet --release --example echo_threads | tee "$OUT_DIR/reuse_port.txt"

echo
echo "== Summary (medians; a ratio is how many times faster gust is: >1 gust faster, <1 slower)"
"$PYTHON" - "$OUT_DIR" <<'PY'
import re
import sys
from pathlib import Path

out = Path(sys.argv[1])
LINE = re.compile(r"^\S+?/(.+?)\s+median ([\d.]+) ns/op\s+min ([\d.]+)")


def parse(name):
    found = {}
    for line in (out / name).read_text().splitlines():
        m = LINE.match(line)
        if m:
            found[m.group(1)] = float(m.group(2))
    return found


gust, tokio, tornado = parse("gust.txt"), parse("tokio.txt"), parse("tornado.txt")
rows = [
    ("ping_pong_64B (round trip)", "µs per round trip", lambda ns: ns / 1000),
    ("bulk_256MiB (MiB)", "MiB/s", lambda ns: 1e9 / ns),
    ("conns_1000_x10 (round trip)", "µs per round trip", lambda ns: ns / 1000),
    ("open_10000 (connection)", "µs per connection", lambda ns: ns / 1000),
]
print("| workload | unit | gust | tokio | Tornado | gust vs tokio | gust vs Tornado |")
print("|---|---|---:|---:|---:|---:|---:|")
for key, unit, conv in rows:
    g, k, t = gust.get(key), tokio.get(key), tornado.get(key)
    cell = lambda v: "–" if v is None else f"{conv(v):,.1f}"
    ratio = lambda base: "–" if base is None or g is None else f"{base / g:.2f}×"
    print(f"| {key} | {unit} | {cell(g)} | {cell(k)} | {cell(t)} | {ratio(k)} | {ratio(t)} |")
PY
echo
echo "raw output: $OUT_DIR"
