"""The timing harness the Tornado baselines share (what benches/common
does for gust's benches): each measurement runs once to warm up, then
GUST_BENCH_RUNS times (default 7), and prints the median and the minimum
in microseconds per operation. Arguments not starting with "-" are filters.
"""

import os
import sys
import time

from tornado.ioloop import IOLoop

RUNS = int(os.environ.get("GUST_BENCH_RUNS", "7"))
FILTERS = [a for a in sys.argv[1:] if not a.startswith("-")]


def report(name, ops, samples):
    samples = sorted(samples)
    mid = len(samples) // 2
    median = samples[mid] if len(samples) % 2 else (samples[mid - 1] + samples[mid]) / 2
    per = lambda s: s / ops * 1e6
    print(f"{name:<48} median {per(median):.3f} us/op  min {per(samples[0]):.3f} us/op  (n={ops})", flush=True)


def bench(name, ops, body):
    """body() runs the workload once and returns its duration in seconds."""
    if FILTERS and not any(f in name for f in FILTERS):
        return
    body()  # warm-up
    report(name, ops, [body() for _ in range(RUNS)])


def timed_run_sync(make):
    loop = IOLoop(make_current=False)
    try:
        start = time.perf_counter()
        loop.run_sync(make)
        return time.perf_counter() - start
    finally:
        loop.close()

