"""Tornado 6 baseline for benches/engine.rs: the same workloads with
decorated (@gen.coroutine) coroutines on CPython.

    python3 benches/baselines/tornado_engine.py

Prints the median over 5 runs of each measurement in ns per operation.
"""
import statistics
import time

from tornado import gen
from tornado.concurrent import Future
from tornado.ioloop import IOLoop

RUNS = 5


def measure(name, ops, fn):
    fn()  # warm up
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    median = statistics.median(samples) / ops * 1e9
    print(f"tornado/{name:<40} median {median:10.1f} ns/op  min {min(samples) / ops * 1e9:10.1f} ns/op  (n={ops})")


def yield_done(n):
    done = Future()
    done.set_result(1)

    @gen.coroutine
    def body():
        total = 0
        for _ in range(n):
            total += yield done
        return total

    return lambda: IOLoop.current().run_sync(body)


def ping_pong(n):
    @gen.coroutine
    def player(slot):
        for _ in range(n):
            mine = Future()
            theirs = slot[0]
            slot[0] = mine
            if theirs is not None:
                theirs.set_result(None)
            yield mine
        if slot[0] is not None and not slot[0].done():
            slot[0].set_result(None)
        return n

    @gen.coroutine
    def both():
        slot = [None]
        result = yield [player(slot), player(slot)]
        return result

    return lambda: IOLoop.current().run_sync(both)


def moment(n):
    @gen.coroutine
    def body():
        for _ in range(n):
            yield gen.moment

    return lambda: IOLoop.current().run_sync(body)


def create_finish(n):
    done = Future()
    done.set_result(1)

    @gen.coroutine
    def child():
        result = yield done
        return result

    def run():
        for _ in range(n):
            child().result()

    return run


def nested_child(n):
    @gen.coroutine
    def child():
        yield gen.moment

    @gen.coroutine
    def parent():
        for _ in range(n):
            yield child()

    return lambda: IOLoop.current().run_sync(parent)


def main():
    n = 200_000
    measure("yield_done_ref", n, yield_done(n))
    measure("ping_pong (per park+resume)", 2 * 50_000, ping_pong(50_000))
    measure("moment", 100_000, moment(100_000))
    measure("create_finish", 100_000, create_finish(100_000))
    measure("nested_child", 50_000, nested_child(50_000))


if __name__ == "__main__":
    main()
