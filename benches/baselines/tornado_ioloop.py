#!/usr/bin/env python3
"""Tornado baseline for benches/ioloop.rs: the same workloads on Tornado's IOLoop.

    pip install tornado
    python3 benches/baselines/tornado_ioloop.py [FILTER...]

Prints one line per measurement, median and min over the runs (default 7,
GUST_BENCH_RUNS overrides), in microseconds per operation:

    tornado/add_callback+run    median 4.05 us/op  min 3.98 us/op  (n=1000000)

Workloads (the same as the gust bench and the tokio baseline):

- add_callback+run: 1,000,000 add_callback(cb, i) made from inside the
  running loop (Tornado then uses asyncio's call_soon; from outside it would
  use call_soon_threadsafe and write to the self-pipe each time), run to
  completion. Each callback adds its argument to a global sum.
- add_callback chained: each callback adds the next, one per iteration.
- timers: 200,000 call_later with delays in 0-50 ms from a fixed-seed
  xorshift64 (the same sequence as the Rust benches). Insert is timed; then
  the script sleeps until every timer is due and times firing them all, so
  the unavoidable 50 ms wait is left out. "wall" is the whole thing, waiting
  included.
- remove_timeout of every other timer, and firing the remaining half.
"""

import os
import sys
import time

import tornado
from tornado.ioloop import IOLoop

CALLBACKS = 1_000_000
TIMERS = 200_000
MAX_DELAY_US = 50_000
SEED = 0x9E3779B97F4A7C15
MASK = (1 << 64) - 1

RUNS = int(os.environ.get("GUST_BENCH_RUNS", "7"))
FILTERS = [a for a in sys.argv[1:] if not a.startswith("-")]

SINK = 0


def sink(i):
    global SINK
    SINK += i


def take_sink():
    global SINK
    s, SINK = SINK, 0
    return s


def expect_sum(n):
    got = take_sink()
    assert got == n * (n - 1) // 2, (got, n)


def delays(n):
    """Delays in seconds, from the shared xorshift64 (13/7/17) sequence."""
    x = SEED
    out = []
    for _ in range(n):
        x ^= (x << 13) & MASK
        x ^= x >> 7
        x ^= (x << 17) & MASK
        out.append((x % (MAX_DELAY_US + 1)) / 1e6)
    return out


def measure(name, ops, fn):
    """fn() returns the nanoseconds its ops took; warm up once, then RUNS."""
    if FILTERS and not any(f in name for f in FILTERS):
        return None
    fn()
    samples = sorted(fn() for _ in range(RUNS))
    mid = len(samples) // 2
    med = samples[mid] if len(samples) % 2 else (samples[mid - 1] + samples[mid]) / 2
    med_us = med / ops / 1e3
    min_us = samples[0] / ops / 1e3
    print(f"{name:<48} median {med_us:.3f} us/op  min {min_us:.3f} us/op  (n={ops})", flush=True)
    return med


def run_in_loop(body):
    """Runs body(io_loop) as the first callback of a new loop; body must
    arrange for the loop to stop. Returns whatever body stored in box[0]."""
    io_loop = IOLoop(make_current=False)
    box = [None]

    def main():
        box[0] = body(io_loop)

    io_loop.add_callback(main)
    io_loop.start()
    io_loop.close(all_fds=True)
    return box


def bench_add_callback_run(n):
    def body(io_loop):
        start = time.perf_counter_ns()
        add = io_loop.add_callback
        for i in range(n):
            add(sink, i)
        add(io_loop.stop)
        return start

    box = run_in_loop(body)
    took = time.perf_counter_ns() - box[0]
    expect_sum(n)
    return took


def bench_add_callback_chained(n):
    def body(io_loop):
        add = io_loop.add_callback

        def step(k):
            sink(k)
            if k > 1:
                add(step, k - 1)
            else:
                io_loop.stop()

        start = time.perf_counter_ns()
        add(step, n)
        return start

    box = run_in_loop(body)
    took = time.perf_counter_ns() - box[0]
    expect_sum(n + 1)
    return took


def insert_timers(io_loop, ds):
    call_later = io_loop.call_later
    return [call_later(d, sink, i) for i, d in enumerate(ds)]


def wait_all_due(since):
    due = since + MAX_DELAY_US * 1000 + 1_000_000
    now = time.perf_counter_ns()
    if due > now:
        time.sleep((due - now) / 1e9)


def run_until_idle(io_loop):
    """Runs the loop once over everything that is ready (everything is due)."""
    io_loop.add_callback(io_loop.stop)
    io_loop.start()


def timer_phases(ds, cancel_half):
    """Returns (insert_ns, cancel_ns, fire_ns) for one run."""
    io_loop = IOLoop(make_current=False)
    t0 = time.perf_counter_ns()
    handles = insert_timers(io_loop, ds)
    t1 = time.perf_counter_ns()
    if cancel_half:
        remove = io_loop.remove_timeout
        for h in handles[::2]:
            remove(h)
    t2 = time.perf_counter_ns()
    wait_all_due(t0)
    t3 = time.perf_counter_ns()
    # All timers are due: asyncio moves them to the ready queue and runs them
    # in one iteration; the stop callback added first runs before them but
    # only ends the loop after the iteration.
    run_until_idle(io_loop)
    t4 = time.perf_counter_ns()
    io_loop.close(all_fds=True)
    take_sink()
    return t1 - t0, t2 - t1, t4 - t3


def bench_timer_wall(ds):
    n = len(ds)
    io_loop = IOLoop(make_current=False)
    remaining = [n]

    def fire(i):
        sink(i)
        remaining[0] -= 1
        if remaining[0] == 0:
            io_loop.stop()

    start = time.perf_counter_ns()
    call_later = io_loop.call_later
    for i, d in enumerate(ds):
        call_later(d, fire, i)
    io_loop.start()
    took = time.perf_counter_ns() - start
    io_loop.close(all_fds=True)
    expect_sum(n)
    return took


def main():
    print(f"# tornado {tornado.version}, CPython {sys.version.split()[0]}, runs={RUNS}")
    n = CALLBACKS
    measure("tornado/add_callback+run", n, lambda: bench_add_callback_run(n))
    measure("tornado/add_callback chained", n, lambda: bench_add_callback_chained(n))

    nt = TIMERS
    ds = delays(nt)
    measure("tornado/timer_sys/call_later", nt, lambda: timer_phases(ds, False)[0])
    measure("tornado/timer_sys/fire_all_due", nt, lambda: timer_phases(ds, False)[2])
    measure("tornado/timer_sys/call_later+fire", nt, lambda: sum(timer_phases(ds, False)))
    wall = measure("tornado/timer_sys/wall (incl. waiting)", nt, lambda: bench_timer_wall(ds))
    if wall is not None:
        print(f"    # wall median {wall / 1e6:.1f} ms for {nt} timers due within {MAX_DELAY_US // 1000} ms")
    measure("tornado/timer_sys/remove_timeout", nt // 2, lambda: timer_phases(ds, True)[1])
    measure("tornado/timer_sys/fire_half_due (half cancelled)", nt // 2, lambda: timer_phases(ds, True)[2])
    measure("tornado/timer_sys/call_later+cancel_half+fire", nt, lambda: sum(timer_phases(ds, True)))


if __name__ == "__main__":
    main()
