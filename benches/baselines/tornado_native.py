#!/usr/bin/env python3
"""Tornado baseline for benches/native.rs: Tornado 6 native coroutines.

    pip install tornado
    python3 benches/baselines/tornado_native.py [FILTER...]

Prints one line per measurement, median and min over the runs (default 7,
GUST_BENCH_RUNS overrides), in microseconds per operation:

    tornado/await_ready    median 0.31 us/op  min 0.30 us/op  (n=1000000)

Workloads (the same as the gust bench and the tokio baseline; counts are
smaller, Python being slower, and the per-op numbers are comparable):

- await_ready: an `async def` awaits a fresh Future whose result is already
  set (no suspension).
- spawn_to_completion: a callback starts 100,000 trivial native coroutines
  with `gen.convert_yielded` (an asyncio Task each, Tornado's way of
  spawning a native coroutine, as `spawn_callback` does), then the loop runs
  until the last one has finished.
- yield_now: `await asyncio.sleep(0)` in a loop (one loop iteration each).
- ping_pong decorated<->native: a `@gen.coroutine` and an `async def` hand
  the turn to each other through fresh Futures; one op is a round trip.
- ping_pong native<->native: the same between two `async def`s.
- cross_thread_wake: a round trip between a native coroutine and another
  thread: the coroutine sets a threading.Event and awaits a Future; the
  thread waits for the event and resolves the Future with
  `IOLoop.add_callback` (Tornado's thread-safe entry point), which wakes the
  loop.
"""

import asyncio
import sys
import threading
import time

import tornado
from tornado import gen
from tornado.concurrent import Future
from tornado.ioloop import IOLoop

from tornado_harness import bench, timed_run_sync

def await_ready(n):
    async def main():
        total = 0
        for i in range(n):
            f = Future()
            f.set_result(i & 1)
            total += await f
        assert total == n // 2

    return timed_run_sync(main)


def spawn_to_completion(n):
    async def main():
        done = Future()
        count = [0]

        async def trivial():
            count[0] += 1
            if count[0] == n:
                done.set_result(None)

        def spawner():
            for _ in range(n):
                gen.convert_yielded(trivial())

        IOLoop.current().add_callback(spawner)
        await done

    return timed_run_sync(main)


def yield_now(n):
    async def main():
        for _ in range(n):
            await asyncio.sleep(0)

    return timed_run_sync(main)


def pass_turn(slot):
    mine = Future()
    theirs, slot[0] = slot[0], mine
    if theirs is not None:
        theirs.set_result(None)
    return mine


def finish_turns(slot):
    theirs, slot[0] = slot[0], None
    if theirs is not None:
        theirs.set_result(None)


@gen.coroutine
def decorated_player(slot, rounds):
    for _ in range(rounds):
        yield pass_turn(slot)
    finish_turns(slot)
    return rounds


async def native_player(slot, rounds):
    for _ in range(rounds):
        await pass_turn(slot)
    finish_turns(slot)
    return rounds


def ping_pong_mixed(n):
    async def main():
        slot = [None]
        done = await gen.multi([decorated_player(slot, n), native_player(slot, n)])
        assert done == [n, n]

    return timed_run_sync(main)


def ping_pong_native(n):
    async def main():
        slot = [None]
        done = await gen.multi([native_player(slot, n), native_player(slot, n)])
        assert done == [n, n]

    return timed_run_sync(main)


def cross_thread_wake(n):
    ping = threading.Event()
    holder = [None]
    stop = [False]

    def other_thread(io_loop):
        while True:
            ping.wait()
            ping.clear()
            if stop[0]:
                return
            io_loop.add_callback(holder[0].set_result, None)

    async def main():
        thread = threading.Thread(target=other_thread, args=(IOLoop.current(),))
        thread.start()
        start = time.perf_counter()
        for _ in range(n):
            holder[0] = Future()
            ping.set()
            await holder[0]
        elapsed = time.perf_counter() - start
        stop[0] = True
        ping.set()
        thread.join()
        return elapsed

    loop = IOLoop(make_current=False)
    try:
        return loop.run_sync(main)
    finally:
        loop.close()


def main():
    print(f"# tornado {tornado.version}, python {sys.version.split()[0]}", flush=True)
    bench("tornado/await_ready", 1_000_000, lambda: await_ready(1_000_000))
    bench("tornado/spawn_to_completion", 100_000, lambda: spawn_to_completion(100_000))
    bench("tornado/yield_now", 1_000_000, lambda: yield_now(1_000_000))
    bench(
        "tornado/ping_pong decorated<->native (round trip)",
        100_000,
        lambda: ping_pong_mixed(100_000),
    )
    bench("tornado/ping_pong native<->native (round trip)", 200_000, lambda: ping_pong_native(200_000))
    bench("tornado/cross_thread_wake (round trip)", 20_000, lambda: cross_thread_wake(20_000))


if __name__ == "__main__":
    main()
