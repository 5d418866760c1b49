#!/usr/bin/env bash
# Runs the HTTP benchmark with its baselines in one run (benches/http.rs):
#
#   * installs wrk (Debian package) if missing,
#   * builds the hyper 1.x baseline (benches/baselines/hyper-http, release),
#   * creates a venv with Tornado 6.6.1 (target/tornado-venv) if missing,
#   * runs `cargo bench --bench http`, which loads each hello-world server
#     (gust, hyper on tokio current_thread, Tornado) with
#     `wrk -t1 -c64 -d10s`, then gust with reuse_port on two loops, then
#     the clients (gust, hyper, Tornado) against a gust server.
#
# Usage: benches/run_http_baselines.sh [--skip-tornado] [--skip-hyper]
# Environment: GUST_HTTP_WRK_SECS, GUST_HTTP_FETCHES,
# GUST_HTTP_TORNADO_FETCHES (see benches/http.rs). Output is also kept in
# $OUT_DIR (default: a new temporary directory).
set -euo pipefail

cd "$(dirname "$0")/.."
OUT_DIR=${OUT_DIR:-$(mktemp -d -t gust-http-bench.XXXXXX)}
mkdir -p "$OUT_DIR"
skip_tornado=false
skip_hyper=false
for arg in "$@"; do
    case "$arg" in
        --skip-tornado) skip_tornado=true ;;
        --skip-hyper) skip_hyper=true ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

if ! command -v wrk > /dev/null; then
    echo "== installing wrk"
    if [ "$(id -u)" = 0 ]; then
        apt-get update -q > /dev/null && apt-get install -y -q wrk > /dev/null
    else
        sudo apt-get update -q > /dev/null && sudo apt-get install -y -q wrk > /dev/null
    fi
fi

if $skip_hyper; then
    export HYPER_BIN_DIR=/nonexistent
else
    echo "== building the hyper baseline"
    (cd benches/baselines/hyper-http && cargo build --release -q)
fi

if $skip_tornado; then
    export TORNADO_PYTHON=/nonexistent
elif [ ! -x target/tornado-venv/bin/python ]; then
    echo "== creating target/tornado-venv with tornado==6.6.1"
    python3 -m venv target/tornado-venv
    target/tornado-venv/bin/pip install -q tornado==6.6.1
fi

{
    echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r)"
    echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
    echo "rustc:   $(rustc -V)"
    echo "wrk:     $(wrk -v 2>&1 | head -1)"
} | tee "$OUT_DIR/machine.txt"
echo
cargo bench --bench http | tee "$OUT_DIR/http.txt"
echo
echo "output kept in $OUT_DIR"
