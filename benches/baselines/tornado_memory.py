#!/usr/bin/env python3
"""Tornado baseline for benches/engine_memory.rs: memory per suspended coroutine.

    pip install tornado
    python3 benches/baselines/tornado_memory.py [N] [future|moment]

Inside a running IOLoop, creates N (default 100,000) ``@gen.coroutine``
coroutines, each parked on its own pending ``Future`` (``future``, the
default) or on ``gen.moment`` (``moment``), and reads VmRSS and VmPTE from
/proc/self/status before and after. Then it resolves the futures, waits for
every coroutine and checks every result. The lists that hold the futures
are allocated before the first reading, as in the gust bench, so only the
coroutines, their futures and Tornado's bookkeeping are counted.

Prints one line:

    tornado wait=future n=100000  RSS 2.35 KiB/co  PTE 10.2 B/co  create 2500 ns/co  resume 4000 ns/co  (...)
"""

import gc
import platform
import sys
import time

import tornado
from tornado import gen
from tornado.concurrent import Future
from tornado.ioloop import IOLoop


def status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


@gen.coroutine
def on_future(future, i):
    value = yield future
    return value + i


@gen.coroutine
def on_moment(i):
    yield gen.moment
    return i


async def measure(n, wait):
    # Warm up: the runner's code paths, the loop's queues.
    f = Future()
    c = on_future(f, 0)
    f.set_result(0)
    await c
    await on_moment(0)

    inputs = [None] * n if wait == "future" else []
    results = [None] * n
    gc.collect()
    rss0, pte0 = status_kib("VmRSS"), status_kib("VmPTE")

    start = time.perf_counter()
    if wait == "future":
        for i in range(n):
            f = Future()
            inputs[i] = f
            results[i] = on_future(f, i)
    else:
        for i in range(n):
            results[i] = on_moment(i)
    create = time.perf_counter() - start

    rss1, pte1 = status_kib("VmRSS"), status_kib("VmPTE")
    assert not any(r.done() for r in results), "every coroutine should be suspended"

    start = time.perf_counter()
    for i, f in enumerate(inputs):
        f.set_result(i)
    for r in results:
        if not r.done():
            await r
    resume = time.perf_counter() - start

    for i, r in enumerate(results):
        expected = 2 * i if wait == "future" else i
        assert r.result() == expected, (i, r.result())

    print(
        f"tornado wait={wait} n={n}  RSS {(rss1 - rss0) / n:.3f} KiB/co  "
        f"PTE {(pte1 - pte0) * 1024 / n:.1f} B/co  "
        f"create {create / n * 1e9:.0f} ns/co  resume {resume / n * 1e9:.0f} ns/co  "
        f"(Tornado {tornado.version}, {platform.python_implementation()} {platform.python_version()})",
        flush=True,
    )


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    wait = sys.argv[2] if len(sys.argv) > 2 else "future"
    if wait not in ("future", "moment"):
        sys.exit(f"unknown wait {wait!r}: use future or moment")
    IOLoop.current().run_sync(lambda: measure(n, wait))


if __name__ == "__main__":
    main()
