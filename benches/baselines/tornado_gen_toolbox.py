#!/usr/bin/env python3
"""Tornado baseline for benches/gen_toolbox.rs: the same workloads on Tornado.

    pip install tornado
    python3 benches/baselines/tornado_gen_toolbox.py [FILTER...]

Prints one line per measurement, median and min over the runs (default 7,
GUST_BENCH_RUNS overrides; one warm-up run first), in microseconds per
child / item / call:

    tornado/multi done futures (excl. creation)  median 1.09 us/op  min ...

Workloads (N = 100,000 unless said otherwise), as in the Rust bench, all
inside a running IOLoop with decorated coroutines (@gen.coroutine):

- multi done futures (excl. creation): gen.multi over N futures already
  resolved, and .result(); making the futures is left out.
- multi done futures (incl. creation): the same, making the N futures
  (Future() + set_result) inside the timing.
- multi sleeping coroutines: run_sync of a coroutine that yields a list of
  N coroutines, each of which yields gen.sleep(0) then returns its index.
- wait_iterator reverse order: a WaitIterator over N pending futures; a
  loop callback resolves them from last to first while the coroutine waits
  on next(); the coroutine reads all N. Making the futures is left out.
- executor round trip: 20,000 sequential `yield executor.submit(f, i)` on a
  one-thread concurrent.futures.ThreadPoolExecutor.
- with_timeout done future: 100,000 gen.with_timeout(timedelta(hours=1),
  done) and .result().
"""

import concurrent.futures
import datetime
import os
import sys
import time

import tornado
from tornado import gen
from tornado.concurrent import Future
from tornado.ioloop import IOLoop

CHILDREN = 100_000
ROUND_TRIPS = 20_000
WITH_TIMEOUT_CALLS = 100_000

RUNS = int(os.environ.get("GUST_BENCH_RUNS", "7"))
FILTERS = [a for a in sys.argv[1:] if not a.startswith("-")]


def median(sorted_samples):
    mid = len(sorted_samples) // 2
    if len(sorted_samples) % 2:
        return sorted_samples[mid]
    return (sorted_samples[mid - 1] + sorted_samples[mid]) / 2


def measure(name, ops, f):
    """Runs f (which returns the seconds its ops took) once to warm up,
    then RUNS times; prints median and min per operation."""
    if FILTERS and not any(x in name for x in FILTERS):
        return
    f()
    samples = sorted(f() for _ in range(RUNS))
    per_op = lambda s: s / ops * 1e6  # noqa: E731
    print(
        f"tornado/{name:<40} median {per_op(median(samples)):.3f} us/op  "
        f"min {per_op(samples[0]):.3f} us/op  (n={ops})",
        flush=True,
    )


def done_future(value):
    f = Future()
    f.set_result(value)
    return f


def multi_done(loop, n, include_creation):
    @gen.coroutine
    def body():
        if include_creation:
            start = time.perf_counter()
            futures = [done_future(i) for i in range(n)]
        else:
            futures = [done_future(i) for i in range(n)]
            start = time.perf_counter()
        results = gen.multi(futures).result()
        took = time.perf_counter() - start
        assert len(results) == n
        return took

    return loop.run_sync(body)


def multi_sleeping(loop, n):
    @gen.coroutine
    def child(i):
        yield gen.sleep(0)
        return i

    @gen.coroutine
    def parent():
        results = yield [child(i) for i in range(n)]
        return results

    start = time.perf_counter()
    results = loop.run_sync(parent)
    took = time.perf_counter() - start
    assert len(results) == n and results[-1] == n - 1
    return took


def wait_iterator(loop, n):
    futures = []

    @gen.coroutine
    def body():
        futures.extend(Future() for _ in range(n))
        start = time.perf_counter()
        wi = gen.WaitIterator(*futures)

        def resolve():
            for i in range(n - 1, -1, -1):
                futures[i].set_result(i)

        IOLoop.current().add_callback(resolve)
        total = count = 0
        while not wi.done():
            total += yield wi.next()
            count += 1
        took = time.perf_counter() - start
        assert (total, count) == (n * (n - 1) // 2, n)
        return took

    return loop.run_sync(body)


def executor_round_trips(loop, executor, n):
    def ident(i):
        return i

    @gen.coroutine
    def body():
        total = 0
        for i in range(n):
            total += yield executor.submit(ident, i)
        return total

    start = time.perf_counter()
    total = loop.run_sync(body)
    took = time.perf_counter() - start
    assert total == n * (n - 1) // 2
    return took


def with_timeout_done(loop, n):
    @gen.coroutine
    def body():
        done = done_future(7)
        delta = datetime.timedelta(hours=1)
        start = time.perf_counter()
        total = 0
        for _ in range(n):
            total += gen.with_timeout(delta, done).result()
        took = time.perf_counter() - start
        assert total == 7 * n
        return took

    return loop.run_sync(body)


def main():
    print(
        f"# tornado {tornado.version}, python {sys.version.split()[0]}, "
        f"{RUNS} runs per measurement",
        flush=True,
    )
    loop = IOLoop()
    n = CHILDREN
    measure("multi done futures (excl. creation)", n, lambda: multi_done(loop, n, False))
    measure("multi done futures (incl. creation)", n, lambda: multi_done(loop, n, True))
    measure("multi sleeping coroutines", n, lambda: multi_sleeping(loop, n))
    measure("wait_iterator reverse order", n, lambda: wait_iterator(loop, n))
    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        measure(
            "executor round trip",
            ROUND_TRIPS,
            lambda: executor_round_trips(loop, executor, ROUND_TRIPS),
        )
    measure(
        "with_timeout done future",
        WITH_TIMEOUT_CALLS,
        lambda: with_timeout_done(loop, WITH_TIMEOUT_CALLS),
    )
    loop.close()


if __name__ == "__main__":
    main()
