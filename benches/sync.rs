//! Locks and queues: `gust::locks` and `gust::queues` against `tokio::sync`
//! driven by the same loop, and (in `benches/run_sync_baselines.sh`)
//! Tornado 6.6.1's `tornado.locks` and `tornado.queues`.
//!
//! `cargo bench --bench sync [FILTER]`. Each workload runs three ways:
//! from decorated coroutines (`gust`), from native tasks on gust's loop
//! with gust's primitives (`gust native`), and from native tasks on gust's
//! loop with `tokio::sync`'s (`tokio::sync`), so the last two differ only
//! in the primitive. The Tornado script runs the same workloads with
//! `async def` coroutines.
//!
//! - `queue_handoff`: a producer puts 0..n into a `Queue(1)` and a consumer
//!   gets them (tokio: `mpsc::channel(1)`); one op is one item.
//! - `lock_uncontended`: one coroutine acquires and releases a free lock
//!   (tokio: `Mutex::lock`); one op is an acquire and a release.
//! - `lock_contended_100`: 100 coroutines take turns on a lock: each
//!   acquire waits for the previous holder's release (FIFO); one op is
//!   one hand-off (release, wake, resume, acquire).
//! - `condition_notify_all_10000`: 10,000 coroutines wait on a condition
//!   (tokio: `Notify::notified`), `notify_all` (`notify_waiters`) wakes
//!   them, each waits again; one op is one waiter woken and resumed.
//! - `semaphore_10_tasks_10000`: 10,000 new coroutines (tasks) each take a
//!   `Semaphore(10)` permit, hold it across one loop iteration, and release
//!   it; one op is one task, its creation included.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use common::{Harness, black_box, run, yield_now};
use gust::concurrent::Future;
use gust::gen_;
use gust::locks::{Condition, Lock, Semaphore};
use gust::prelude::*;
use gust::queues::Queue;

fn bench_queue(h: &mut Harness, io_loop: &IOLoop) {
    let n = h.n(1_000_000);
    h.bench("sync/queue_handoff gust", n, || {
        let got = run(io_loop, move || {
            let q = Queue::new(1);
            let producer = {
                let q = q.clone();
                gen_::coroutine(move |co| {
                    for i in 0..n {
                        co.yield_(q.put(i, None))?;
                    }
                    Ok(0)
                })
            };
            let consumer = gen_::coroutine(move |co| {
                let mut sum = 0u64;
                for _ in 0..n {
                    sum += co.yield_(q.get(None))?;
                }
                Ok(sum)
            });
            vec![producer, consumer]
        });
        assert_eq!(black_box(got[1]), n * (n - 1) / 2);
    });
    h.bench("sync/queue_handoff gust native", n, || {
        let q = Queue::new(1);
        let producer = {
            let q = q.clone();
            io_loop.spawn(async move {
                for i in 0..n {
                    q.put(i, None).await?;
                }
                Ok::<_, Error>(0)
            })
        };
        let consumer = io_loop.spawn(async move {
            let mut sum = 0u64;
            for _ in 0..n {
                sum += q.get(None).await?;
            }
            Ok::<_, Error>(sum)
        });
        let got = run(io_loop, move || vec![producer, consumer]);
        assert_eq!(black_box(got[1]), n * (n - 1) / 2);
    });
    h.bench("sync/queue_handoff tokio::sync", n, || {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(1);
        let producer = io_loop.spawn(async move {
            for i in 0..n {
                tx.send(i).await.map_err(|_| Error::msg("closed"))?;
            }
            Ok::<_, Error>(0)
        });
        let consumer = io_loop.spawn(async move {
            let mut sum = 0u64;
            for _ in 0..n {
                sum += rx.recv().await.ok_or_else(|| Error::msg("closed"))?;
            }
            Ok::<_, Error>(sum)
        });
        let got = run(io_loop, move || vec![producer, consumer]);
        assert_eq!(black_box(got[1]), n * (n - 1) / 2);
    });
}

fn bench_lock_uncontended(h: &mut Harness, io_loop: &IOLoop) {
    let n = h.n(10_000_000);
    h.bench("sync/lock_uncontended gust", n, || {
        let lock = Lock::new();
        run(io_loop, move || {
            gen_::coroutine(move |co| {
                for _ in 0..n {
                    let guard = co.yield_(lock.acquire(None))?;
                    drop(black_box(guard));
                }
                Ok(())
            })
        });
    });
    h.bench("sync/lock_uncontended gust native", n, || {
        let lock = Lock::new();
        let task = io_loop.spawn(async move {
            for _ in 0..n {
                let guard = lock.acquire(None).await?;
                drop(black_box(guard));
            }
            Ok::<_, Error>(())
        });
        run(io_loop, move || task);
    });
    h.bench("sync/lock_uncontended tokio::sync", n, || {
        let lock = tokio::sync::Mutex::new(());
        let task = io_loop.spawn(async move {
            for _ in 0..n {
                let guard = lock.lock().await;
                drop(black_box(guard));
            }
        });
        run(io_loop, move || task);
    });
}

fn bench_lock_contended(h: &mut Harness, io_loop: &IOLoop) {
    const TASKS: u64 = 100;
    let rounds = h.n(20_000).max(2);
    let n = TASKS * rounds;
    h.bench("sync/lock_contended_100 gust", n, || {
        let lock = Lock::new();
        let held = lock.acquire(None).take_result().unwrap();
        let tasks: Vec<Future<()>> = (0..TASKS)
            .map(|_| {
                let lock = lock.clone();
                gen_::coroutine(move |co| {
                    for _ in 0..rounds {
                        let guard = co.yield_(lock.acquire(None))?;
                        drop(guard);
                    }
                    Ok(())
                })
            })
            .collect();
        drop(held); // the first hand-off
        run(io_loop, move || tasks);
    });
    h.bench("sync/lock_contended_100 gust native", n, || {
        let lock = Lock::new();
        let held = lock.acquire(None).take_result().unwrap();
        let tasks: Vec<Future<()>> = (0..TASKS)
            .map(|_| {
                let lock = lock.clone();
                io_loop.spawn(async move {
                    for _ in 0..rounds {
                        let guard = lock.acquire(None).await?;
                        drop(guard);
                    }
                    Ok::<_, Error>(())
                })
            })
            .collect();
        io_loop.run_until_idle().unwrap(); // every task waits
        drop(held);
        run(io_loop, move || tasks);
    });
    h.bench("sync/lock_contended_100 tokio::sync", n, || {
        let lock = std::sync::Arc::new(tokio::sync::Mutex::new(()));
        let held = lock.clone().try_lock_owned().unwrap();
        let tasks: Vec<Future<()>> = (0..TASKS)
            .map(|_| {
                let lock = lock.clone();
                io_loop.spawn(async move {
                    for _ in 0..rounds {
                        let guard = lock.lock().await;
                        drop(guard);
                    }
                })
            })
            .collect();
        io_loop.run_until_idle().unwrap();
        drop(held);
        run(io_loop, move || tasks);
    });
}

fn bench_condition(h: &mut Harness, io_loop: &IOLoop) {
    const WAITERS: u64 = 10_000;
    let rounds = h.n(100).max(2);
    let n = WAITERS * rounds;
    h.bench("sync/condition_notify_all_10000 gust", n, || {
        let c = Condition::new();
        let woken = Rc::new(Cell::new(0u64));
        for _ in 0..WAITERS {
            let (c, woken) = (c.clone(), woken.clone());
            drop(gen_::coroutine(move |co| {
                for _ in 0..rounds {
                    co.yield_(c.wait(None))?;
                    woken.set(woken.get() + 1);
                }
                Ok(())
            }));
        }
        for _ in 0..rounds {
            c.notify_all();
            io_loop.run_until_idle().unwrap();
        }
        assert_eq!(woken.get(), n);
    });
    h.bench(
        "sync/condition_notify_all_10000 plain futures (engine floor)",
        n,
        || {
            // The same park/wake/resume of 10,000 decorated coroutines through
            // bare futures in a Vec: what the engine costs without a Condition.
            let waiting: Rc<std::cell::RefCell<Vec<Future<()>>>> = Rc::default();
            let woken = Rc::new(Cell::new(0u64));
            for _ in 0..WAITERS {
                let (waiting, woken) = (waiting.clone(), woken.clone());
                drop(gen_::coroutine(move |co| {
                    for _ in 0..rounds {
                        let f = Future::new();
                        waiting.borrow_mut().push(f.clone());
                        co.yield_(f)?;
                        woken.set(woken.get() + 1);
                    }
                    Ok(())
                }));
            }
            for _ in 0..rounds {
                let all = std::mem::take(&mut *waiting.borrow_mut());
                for f in all {
                    let _ = f.set_result(());
                }
                io_loop.run_until_idle().unwrap();
            }
            assert_eq!(woken.get(), n);
        },
    );
    h.bench("sync/condition_notify_all_10000 gust native", n, || {
        let c = Condition::new();
        let woken = Rc::new(Cell::new(0u64));
        for _ in 0..WAITERS {
            let (c, woken) = (c.clone(), woken.clone());
            drop(io_loop.spawn(async move {
                for _ in 0..rounds {
                    c.wait(None).await?;
                    woken.set(woken.get() + 1);
                }
                Ok::<_, Error>(())
            }));
        }
        io_loop.run_until_idle().unwrap();
        for _ in 0..rounds {
            c.notify_all();
            io_loop.run_until_idle().unwrap();
        }
        assert_eq!(woken.get(), n);
    });
    h.bench("sync/condition_notify_all_10000 tokio::sync", n, || {
        let notify = Rc::new(tokio::sync::Notify::new());
        let woken = Rc::new(Cell::new(0u64));
        for _ in 0..WAITERS {
            let (notify, woken) = (notify.clone(), woken.clone());
            drop(io_loop.spawn(async move {
                for _ in 0..rounds {
                    notify.notified().await;
                    woken.set(woken.get() + 1);
                }
            }));
        }
        io_loop.run_until_idle().unwrap();
        for _ in 0..rounds {
            notify.notify_waiters();
            io_loop.run_until_idle().unwrap();
        }
        assert_eq!(woken.get(), n);
    });
}

fn bench_semaphore(h: &mut Harness, io_loop: &IOLoop) {
    let n = h.n(10_000).max(20);
    h.bench("sync/semaphore_10_tasks_10000 gust", n, || {
        let sem = Semaphore::new(10);
        let tasks: Vec<Future<()>> = (0..n)
            .map(|_| {
                let sem = sem.clone();
                gen_::coroutine(move |co| {
                    let _guard = co.yield_(sem.acquire(None))?;
                    co.yield_(gen_::moment)?;
                    Ok(())
                })
            })
            .collect();
        run(io_loop, move || tasks);
        assert_eq!(sem.value(), 10);
    });
    h.bench(
        "sync/semaphore_10_tasks_10000 moment only (engine floor)",
        n,
        || {
            // The coroutines alone: created, one moment, finished; no semaphore.
            let tasks: Vec<Future<()>> = (0..n)
                .map(|_| {
                    gen_::coroutine(move |co| {
                        co.yield_(gen_::moment)?;
                        Ok(())
                    })
                })
                .collect();
            run(io_loop, move || tasks);
        },
    );
    h.bench("sync/semaphore_10_tasks_10000 gust native", n, || {
        let sem = Semaphore::new(10);
        let tasks: Vec<Future<()>> = (0..n)
            .map(|_| {
                let sem = sem.clone();
                io_loop.spawn(async move {
                    let _guard = sem.acquire(None).await?;
                    yield_now().await;
                    Ok::<_, Error>(())
                })
            })
            .collect();
        run(io_loop, move || tasks);
        assert_eq!(sem.value(), 10);
    });
    h.bench("sync/semaphore_10_tasks_10000 tokio::sync", n, || {
        let sem = Rc::new(tokio::sync::Semaphore::new(10));
        let tasks: Vec<Future<()>> = (0..n)
            .map(|_| {
                let sem = sem.clone();
                io_loop.spawn(async move {
                    let _permit = sem.acquire().await.map_err(|_| Error::msg("closed"))?;
                    yield_now().await;
                    Ok::<_, Error>(())
                })
            })
            .collect();
        run(io_loop, move || tasks);
        assert_eq!(sem.available_permits(), 10);
    });
}

fn main() {
    let mut h = Harness::from_args();
    let io_loop = IOLoop::new();
    bench_queue(&mut h, &io_loop);
    bench_lock_uncontended(&mut h, &io_loop);
    bench_lock_contended(&mut h, &io_loop);
    bench_condition(&mut h, &io_loop);
    bench_semaphore(&mut h, &io_loop);
}
