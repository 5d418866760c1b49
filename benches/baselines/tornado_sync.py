#!/usr/bin/env python3
"""Tornado baseline for benches/sync.rs: tornado.locks and tornado.queues.

    pip install tornado==6.6.1
    python3 benches/baselines/tornado_sync.py [FILTER...]

(benches/run_sync_baselines.sh makes a virtualenv with that version.)

Prints one line per measurement, median and min over the runs (default 7,
GUST_BENCH_RUNS overrides), in microseconds per operation:

    tornado/queue_handoff    median 9.1 us/op  min 8.9 us/op  (n=100000)

The workloads are those of benches/sync.rs, each run twice: with `async
def` coroutines ("native", compared with gust's native tasks) and with
`@gen.coroutine` ("decorated", compared with gust's decorated coroutines).
Counts are smaller than gust's, Python being slower; per-op numbers
compare.

- queue_handoff: a producer puts 0..n into Queue(maxsize=1) and a consumer
  gets them; one op is one item.
- lock_uncontended: one coroutine does `async with lock:` on a free Lock.
- lock_contended_100: 100 coroutines take turns on a Lock (`async with
  lock: pass`) while it is contended; one op is one hand-off.
- condition_notify_all_10000: 10,000 coroutines wait on a Condition,
  notify_all wakes them, each waits again; one op is one waiter woken.
- semaphore_10_tasks_10000: 10,000 new coroutines each take a
  Semaphore(10) (`async with sem:`), hold it across `await asyncio.sleep(0)`, and
  release it; one op is one task, its creation included.
"""

import asyncio
import sys

import tornado
from tornado import gen, locks, queues

from tornado_harness import bench, timed_run_sync

def queue_handoff(n):
    async def main():
        q = queues.Queue(maxsize=1)

        async def producer():
            for i in range(n):
                await q.put(i)

        async def consumer():
            total = 0
            for _ in range(n):
                total += await q.get()
            return total

        _, total = await gen.multi([producer(), consumer()])
        assert total == n * (n - 1) // 2

    return timed_run_sync(main)


def lock_uncontended(n):
    async def main():
        lock = locks.Lock()
        for _ in range(n):
            async with lock:
                pass

    return timed_run_sync(main)


def lock_contended(tasks, rounds):
    async def main():
        lock = locks.Lock()
        await lock.acquire()

        async def worker():
            for _ in range(rounds):
                async with lock:
                    pass

        workers = [asyncio.ensure_future(worker()) for _ in range(tasks)]
        await asyncio.sleep(0)  # every worker waits
        lock.release()
        await gen.multi(workers)

    return timed_run_sync(main)


def condition_notify_all(waiters, rounds):
    async def main():
        c = locks.Condition()
        woken = 0

        async def waiter():
            nonlocal woken
            for _ in range(rounds):
                await c.wait()
                woken += 1

        tasks = [asyncio.ensure_future(waiter()) for _ in range(waiters)]
        for _ in range(rounds):
            await asyncio.sleep(0)  # every waiter waits
            c.notify_all()
        await gen.multi(tasks)
        assert woken == waiters * rounds

    return timed_run_sync(main)


def semaphore_tasks(n):
    async def main():
        sem = locks.Semaphore(10)

        async def task():
            async with sem:
                await asyncio.sleep(0)

        await gen.multi([task() for _ in range(n)])

    return timed_run_sync(main)


# The same workloads with decorated coroutines (@gen.coroutine), which
# gust's decorated coroutines are compared with.


def queue_handoff_decorated(n):
    @gen.coroutine
    def main():
        q = queues.Queue(maxsize=1)

        @gen.coroutine
        def producer():
            for i in range(n):
                yield q.put(i)

        @gen.coroutine
        def consumer():
            total = 0
            for _ in range(n):
                total += yield q.get()
            return total

        _, total = yield [producer(), consumer()]
        assert total == n * (n - 1) // 2

    return timed_run_sync(main)


def lock_uncontended_decorated(n):
    @gen.coroutine
    def main():
        lock = locks.Lock()
        for _ in range(n):
            with (yield lock.acquire()):
                pass

    return timed_run_sync(main)


def lock_contended_decorated(tasks, rounds):
    @gen.coroutine
    def main():
        lock = locks.Lock()
        yield lock.acquire()

        @gen.coroutine
        def worker():
            for _ in range(rounds):
                with (yield lock.acquire()):
                    pass

        workers = [worker() for _ in range(tasks)]
        lock.release()
        yield workers

    return timed_run_sync(main)


def condition_notify_all_decorated(waiters, rounds):
    @gen.coroutine
    def main():
        c = locks.Condition()
        woken = [0]

        @gen.coroutine
        def waiter():
            for _ in range(rounds):
                yield c.wait()
                woken[0] += 1

        tasks = [waiter() for _ in range(waiters)]
        for _ in range(rounds):
            yield gen.moment  # every waiter waits
            c.notify_all()
        yield tasks
        assert woken[0] == waiters * rounds

    return timed_run_sync(main)


def semaphore_tasks_decorated(n):
    @gen.coroutine
    def main():
        sem = locks.Semaphore(10)

        @gen.coroutine
        def task():
            with (yield sem.acquire()):
                yield gen.moment

        yield [task() for _ in range(n)]

    return timed_run_sync(main)


def main():
    print(f"# tornado {tornado.version}, python {sys.version.split()[0]}", flush=True)
    n = 100_000
    bench("tornado/queue_handoff native", n, lambda: queue_handoff(n))
    bench("tornado/queue_handoff decorated", n, lambda: queue_handoff_decorated(n))
    n = 200_000
    bench("tornado/lock_uncontended native", n, lambda: lock_uncontended(n))
    bench("tornado/lock_uncontended decorated", n, lambda: lock_uncontended_decorated(n))
    tasks, rounds = 100, 1_000
    bench("tornado/lock_contended_100 native", tasks * rounds, lambda: lock_contended(tasks, rounds))
    bench("tornado/lock_contended_100 decorated", tasks * rounds, lambda: lock_contended_decorated(tasks, rounds))
    waiters, rounds = 10_000, 10
    bench("tornado/condition_notify_all_10000 native", waiters * rounds, lambda: condition_notify_all(waiters, rounds))
    bench(
        "tornado/condition_notify_all_10000 decorated",
        waiters * rounds,
        lambda: condition_notify_all_decorated(waiters, rounds),
    )
    n = 10_000
    bench("tornado/semaphore_10_tasks_10000 native", n, lambda: semaphore_tasks(n))
    bench("tornado/semaphore_10_tasks_10000 decorated", n, lambda: semaphore_tasks_decorated(n))

if __name__ == "__main__":
    main()
