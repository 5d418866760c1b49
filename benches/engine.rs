//! Coroutine engine benchmarks: the cost of a yield, a park and resume, a
//! `moment`, and a coroutine's whole life.
//!
//! `cargo bench --bench engine [FILTER]`. The same workloads are measured on
//! Tornado 6 by `benches/baselines/tornado_engine.py` (run both with
//! `benches/run_engine_baselines.sh`); results are in `docs/performance.md`.
//!
//! - `yield_done_ref`: a coroutine yields `&fut` of one done future (a copy
//!   of its result): no switch, no loop iteration.
//! - `yield_done_owned`: it yields a fresh `Future::ready(i)` (the future's
//!   allocation included), moving the result out.
//! - `ping_pong`: two coroutines hand the turn to each other through
//!   futures: each op is one park, one resolution, one resume through the
//!   loop (one loop iteration each).
//! - `moment`: one coroutine yields `gen_::moment` (one loop iteration);
//!   `moment, a timer pending`: the same while the loop has a timer, so
//!   every iteration reads the clock.
//! - `create_finish`: create, run and finish a coroutine that yields one
//!   done future (pooled stack; the result future included).
//! - `nested_child`: a parent yields a child coroutine that yields
//!   `moment` once (Tornado's "decorated parent `yield child()`").

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use common::{Harness, black_box};
use gust::concurrent::Future;
use gust::gen_;
use gust::prelude::*;

/// Runs `f` to completion. No `run_sync` timeout: a pending timer makes
/// every loop iteration read the clock (see `moment, a timer pending`).
fn run<T: 'static>(io_loop: &IOLoop, f: impl FnOnce() -> Future<T> + 'static) -> T {
    io_loop
        .run_sync(f, None)
        .unwrap_or_else(|e| panic!("bench failed: {e}"))
}

fn bench_yields(h: &mut Harness, io_loop: &IOLoop) {
    let n = h.n(10_000_000);
    h.bench("engine/yield_done_ref", n, || {
        let sum = run(io_loop, move || {
            gen_::coroutine(move |co| {
                let done = Future::ready(1u64);
                let mut sum = 0u64;
                for _ in 0..n {
                    sum += co.yield_(&done)?;
                }
                Ok(sum)
            })
        });
        assert_eq!(black_box(sum), n);
    });
    h.bench("engine/yield_done_owned", n, || {
        let sum = run(io_loop, move || {
            gen_::coroutine(move |co| {
                let mut sum = 0u64;
                for i in 0..n {
                    sum += co.yield_(Future::ready(i & 1))?;
                }
                Ok(sum)
            })
        });
        assert_eq!(black_box(sum), n / 2);
    });
}

/// Two coroutines handing the turn to each other through futures.
fn ping_pong(rounds: u64) -> Future<Vec<u64>> {
    let slot: Rc<RefCell<Option<Future<()>>>> = Rc::new(RefCell::new(None));
    let player = move |slot: Rc<RefCell<Option<Future<()>>>>| {
        gen_::coroutine(move |co| {
            for _ in 0..rounds {
                let mine = Future::new();
                let theirs = slot.borrow_mut().replace(mine.clone());
                if let Some(theirs) = theirs {
                    theirs.set_result(())?;
                }
                co.yield_(mine)?;
            }
            // Release the other player's last wait.
            if let Some(theirs) = slot.borrow_mut().take() {
                let _ = theirs.set_result(());
            }
            Ok(rounds)
        })
    };
    gen_::multi(vec![player(slot.clone()), player(slot)])
}

fn bench_switches(h: &mut Harness, io_loop: &IOLoop) {
    let n = h.n(2_000_000);
    h.bench("engine/ping_pong (per park+resume)", 2 * n, || {
        let done = run(io_loop, move || ping_pong(n));
        assert_eq!(done, vec![n, n]);
    });
    h.bench("engine/moment", n, || {
        run(io_loop, move || {
            gen_::coroutine(move |co| {
                for _ in 0..n {
                    co.yield_(gen_::moment)?;
                }
                Ok(())
            })
        });
    });
    h.bench("engine/moment, a timer pending", n, || {
        let timer = io_loop.call_later(Duration::from_secs(3600), || ());
        run(io_loop, move || {
            gen_::coroutine(move |co| {
                for _ in 0..n {
                    co.yield_(gen_::moment)?;
                }
                Ok(())
            })
        });
        io_loop.remove_timeout(timer);
    });
}

fn bench_lifecycle(h: &mut Harness, io_loop: &IOLoop) {
    let n = h.n(2_000_000);
    h.bench("engine/create_finish", n, || {
        let done = Future::ready(1u64);
        let mut sum = 0;
        for _ in 0..n {
            let d = done.clone();
            let f = gen_::coroutine(move |co| co.yield_(&d));
            sum += f.take_result().unwrap();
        }
        assert_eq!(black_box(sum), n);
    });
    let n = h.n(500_000);
    h.bench(
        "engine/nested_child (parent yields child; child yields moment)",
        n,
        || {
            run(io_loop, move || {
                gen_::coroutine(move |co| {
                    for _ in 0..n {
                        co.yield_(gen_::coroutine(|co| co.yield_(gen_::moment)))?;
                    }
                    Ok(())
                })
            });
        },
    );
}

fn main() {
    let mut h = Harness::from_args();
    let io_loop = IOLoop::new();
    bench_yields(&mut h, &io_loop);
    bench_switches(&mut h, &io_loop);
    bench_lifecycle(&mut h, &io_loop);
}
