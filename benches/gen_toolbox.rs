//! Benchmarks of the gen toolbox: `multi`, `WaitIterator`, executors and
//! `with_timeout`.
//!
//! `cargo bench --bench gen_toolbox [FILTER]`. The same workloads are
//! measured on Tornado by `benches/baselines/tornado_gen_toolbox.py`;
//! results and their meaning are in `docs/performance.md` ("gen toolbox").
//!
//! Workloads (N = 100,000 unless said otherwise):
//!
//! - `multi done futures (excl. creation)`: `gen_::multi` over N futures
//!   that are already done, moved in (so it includes dropping them), and
//!   reading its result; making the futures is left out.
//! - `multi done futures (by reference)`: the same over `&Future`s (the
//!   results are copied and the futures stay alive, as in Python, so
//!   nothing is freed inside the timing).
//! - `multi done futures (incl. creation)`: the same, making the N
//!   `Future::ready(i)` inside the timing.
//! - `multi sleeping coroutines`: `run_sync` of a coroutine that yields a
//!   list of N coroutines, each of which yields `sleep(0)` then returns its
//!   index (system clock: `sleep(0)` costs two loop iterations and no real
//!   time). Creating the coroutines is included.
//! - `wait_iterator reverse order`: a `WaitIterator` over N pending
//!   futures; a loop callback resolves them from last to first while the
//!   coroutine waits on `next()`; the coroutine reads all N. Making the
//!   futures is left out; making the iterator is included. The
//!   `(co.wait_iter)` variant reads them with the Rust iterator, which
//!   takes results already finished without making a future for each.
//! - `executor round trip`: 20,000 sequential `co.yield_(pool.submit(f))`
//!   on a one-thread `ThreadPoolExecutor`: submit, wait for the result on
//!   the loop, next.
//! - `with_timeout done future`: 100,000 `with_timeout(1 h, &done)` on a
//!   future already done, and reading the result.
//!
//! All numbers are per child / item / call, in ns.

mod common;

use std::time::{Duration, Instant};

use common::{Harness, black_box};
use gust::concurrent::{Future, ThreadPoolExecutor};
use gust::gen_::{self, WaitIterator};
use gust::prelude::*;

const CHILDREN: u64 = 100_000;
const ROUND_TRIPS: u64 = 20_000;
const WITH_TIMEOUT_CALLS: u64 = 100_000;

fn bench_multi_done(h: &mut Harness, n: u64) {
    let _io_loop = IOLoop::new();
    h.measure("gen_toolbox/multi done futures (excl. creation)", n, || {
        let futures: Vec<Future<u64>> = (0..n).map(Future::ready).collect();
        let start = Instant::now();
        let results = gen_::multi(futures).take_result().unwrap();
        let took = start.elapsed();
        assert_eq!(results.len() as u64, n);
        black_box(results);
        took
    });
    h.measure("gen_toolbox/multi done futures (by reference)", n, || {
        let futures: Vec<Future<u64>> = (0..n).map(Future::ready).collect();
        let borrowed: Vec<&Future<u64>> = futures.iter().collect();
        let start = Instant::now();
        let results = gen_::multi(borrowed).take_result().unwrap();
        let took = start.elapsed();
        assert_eq!(results.len() as u64, n);
        black_box(results);
        took
    });
    h.measure("gen_toolbox/multi done futures (incl. creation)", n, || {
        let start = Instant::now();
        let futures: Vec<Future<u64>> = (0..n).map(Future::ready).collect();
        let results = gen_::multi(futures).take_result().unwrap();
        let took = start.elapsed();
        assert_eq!(results.len() as u64, n);
        black_box(results);
        took
    });
}

fn bench_multi_sleeping(h: &mut Harness, n: u64) {
    let io_loop = IOLoop::new();
    h.measure("gen_toolbox/multi sleeping coroutines", n, || {
        let start = Instant::now();
        let results = io_loop
            .run_sync(
                move || {
                    gen_::coroutine(move |co| {
                        let children: Vec<Future<u64>> = (0..n)
                            .map(|i| {
                                gen_::coroutine(move |co| {
                                    co.yield_(gen_::sleep(Duration::ZERO))?;
                                    Ok(i)
                                })
                            })
                            .collect();
                        co.yield_(children)
                    })
                },
                None,
            )
            .unwrap();
        let took = start.elapsed();
        assert_eq!(results.len() as u64, n);
        assert_eq!(results[n as usize - 1], n - 1);
        took
    });
}

fn bench_wait_iterator(h: &mut Harness, n: u64) {
    let io_loop = IOLoop::new();
    h.measure("gen_toolbox/wait_iterator reverse order", n, || {
        let futures: Vec<Future<u64>> = (0..n).map(|_| Future::new()).collect();
        let start = Instant::now();
        let (sum, count) = io_loop
            .run_sync(
                move || {
                    gen_::coroutine(move |co| {
                        let wait_iterator = WaitIterator::new(futures.iter().cloned());
                        IOLoop::current().add_callback(move || {
                            for (i, f) in futures.iter().enumerate().rev() {
                                f.set_result(i as u64).unwrap();
                            }
                        });
                        let (mut sum, mut count, mut expected) = (0u64, 0u64, n);
                        while !wait_iterator.done() {
                            sum += co.yield_(wait_iterator.next())?;
                            expected -= 1;
                            debug_assert_eq!(wait_iterator.current_index(), Some(expected as usize));
                            count += 1;
                        }
                        Ok((sum, count))
                    })
                },
                None,
            )
            .unwrap();
        let took = start.elapsed();
        assert_eq!((sum, count), (n * (n - 1) / 2, n));
        took
    });
    h.measure(
        "gen_toolbox/wait_iterator reverse order (co.wait_iter)",
        n,
        || {
            let futures: Vec<Future<u64>> = (0..n).map(|_| Future::new()).collect();
            let start = Instant::now();
            let (sum, count) = io_loop
                .run_sync(
                    move || {
                        gen_::coroutine(move |co| {
                            let wait_iterator = WaitIterator::new(futures.iter().cloned());
                            IOLoop::current().add_callback(move || {
                                for (i, f) in futures.iter().enumerate().rev() {
                                    f.set_result(i as u64).unwrap();
                                }
                            });
                            let (mut sum, mut count) = (0u64, 0u64);
                            for (_index, result) in co.wait_iter(&wait_iterator) {
                                sum += result?;
                                count += 1;
                            }
                            Ok((sum, count))
                        })
                    },
                    None,
                )
                .unwrap();
            let took = start.elapsed();
            assert_eq!((sum, count), (n * (n - 1) / 2, n));
            took
        },
    );
}

fn bench_executor(h: &mut Harness, n: u64) {
    let io_loop = IOLoop::new();
    let pool = ThreadPoolExecutor::new(1);
    h.measure("gen_toolbox/executor round trip", n, || {
        let pool = pool.clone();
        let start = Instant::now();
        let sum = io_loop
            .run_sync(
                move || {
                    gen_::coroutine(move |co| {
                        let mut sum = 0u64;
                        for i in 0..n {
                            sum += co.yield_(pool.submit(move || i))?;
                        }
                        Ok(sum)
                    })
                },
                None,
            )
            .unwrap();
        let took = start.elapsed();
        assert_eq!(sum, n * (n - 1) / 2);
        took
    });
    if let Some(stats) = h
        .results()
        .last()
        .filter(|s| s.name.ends_with("executor round trip"))
    {
        let us = stats.median_ns / 1000.0;
        h.note(&format!("= {us:.2} us per round trip (median)"));
    }
}

fn bench_with_timeout(h: &mut Harness, n: u64) {
    let io_loop = IOLoop::new();
    let done = Future::ready(7u64);
    h.bench("gen_toolbox/with_timeout done future", n, || {
        let mut sum = 0;
        for _ in 0..n {
            sum += gen_::with_timeout(Duration::from_secs(3600), &done)
                .take_result()
                .unwrap();
        }
        assert_eq!(sum, 7 * n);
        assert_eq!(io_loop.timer_count(), 0);
    });
}

fn main() {
    let mut h = Harness::from_args();
    let children = h.n(CHILDREN);
    let round_trips = h.n(ROUND_TRIPS);
    let calls = h.n(WITH_TIMEOUT_CALLS);
    bench_multi_done(&mut h, children);
    bench_multi_sleeping(&mut h, children);
    bench_wait_iterator(&mut h, children);
    bench_executor(&mut h, round_trips);
    bench_with_timeout(&mut h, calls);
}
