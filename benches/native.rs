//! Native coroutine benchmarks: Rust `async` code on the IOLoop.
//!
//! `cargo bench --bench native [FILTER]`. The same workloads run on tokio's
//! current-thread runtime (`benches/baselines/tokio-native`, a crate outside
//! the workspace) and on Tornado 6 native coroutines
//! (`benches/baselines/tornado_native.py`); `benches/run_native_baselines.sh`
//! runs all three and prints the table that is in `docs/performance.md`.
//!
//! - `await_ready`: one task awaits a fresh `Future::ready(i)` in a loop
//!   (the future's allocation included): no suspension. `decorated
//!   yield_ready` is the same in a decorated coroutine (no baseline).
//! - `spawn_to_completion`: a loop callback spawns 100,000 trivial tasks
//!   (`async {}`), then the loop runs until idle: spawn, first poll,
//!   completion and the result future, per task.
//! - `yield_now`: one task returns `Pending` after waking itself (Python's
//!   `await asyncio.sleep(0)`): one loop iteration per op.
//! - `ping_pong decorated<->native`: a decorated coroutine and a native task
//!   hand the turn to each other through fresh futures; one op is a round
//!   trip (two parks, two resolutions, two resumptions).
//! - `ping_pong native<->native`: the same between two native tasks;
//!   `decorated<->decorated` between two decorated coroutines (for the
//!   guide's "native coroutines are generally faster"; no baseline).
//! - `cross_thread_wake`: a round trip between a task and a spinning thread:
//!   the task publishes a ping and returns `Pending`; the thread sees it and
//!   calls the task's waker, which goes through the loop's thread-safe
//!   handle and wakes the loop (usually asleep in epoll by then).

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::task::{Poll, Waker};
use std::time::Instant;

use common::{Harness, black_box, run, yield_now};
use gust::concurrent::Future;
use gust::gen_;
use gust::prelude::*;

fn bench_await_ready(h: &mut Harness, io_loop: &IOLoop) {
    let n = h.n(10_000_000);
    h.bench("native/await_ready", n, || {
        let sum = run(io_loop, move || {
            gen_::native(async move {
                let mut sum = 0u64;
                for i in 0..n {
                    sum += Future::ready(i & 1).await?;
                }
                Ok::<_, Error>(sum)
            })
        });
        assert_eq!(black_box(sum), n / 2);
    });
    h.bench("native/decorated yield_ready (comparison)", n, || {
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

fn bench_spawn(h: &mut Harness, io_loop: &IOLoop) {
    let n = h.n(100_000);
    h.bench("native/spawn_to_completion", n, || {
        let finished = Rc::new(Cell::new(0u64));
        let f = finished.clone();
        let spawner = io_loop.clone();
        io_loop.add_callback(move || {
            for _ in 0..n {
                let f = f.clone();
                // The result future is dropped at once, as with a
                // fire-and-forget spawn.
                drop(spawner.spawn(async move { f.set(f.get() + 1) }));
            }
        });
        io_loop.run_until_idle().unwrap();
        assert_eq!(finished.get(), n);
        assert_eq!(gust::runner::task_count(io_loop), 0);
    });
    let n = h.n(10_000_000);
    h.bench("native/yield_now", n, || {
        run(io_loop, move || {
            gen_::native(async move {
                for _ in 0..n {
                    yield_now().await;
                }
            })
        });
    });
}

type Slot = Rc<RefCell<Option<Future<()>>>>;

/// Takes the turn: publish a fresh future for the other side to resolve,
/// resolve the other side's, and return ours to wait on.
fn pass_turn(slot: &Slot) -> Future<()> {
    let mine = Future::new();
    let theirs = slot.borrow_mut().replace(mine.clone());
    if let Some(theirs) = theirs {
        let _ = theirs.set_result(());
    }
    mine
}

/// Releases the other side's last wait.
fn finish_turns(slot: &Slot) {
    if let Some(theirs) = slot.borrow_mut().take() {
        let _ = theirs.set_result(());
    }
}

fn decorated_player(slot: Slot, rounds: u64) -> Future<u64> {
    gen_::coroutine(move |co| {
        for _ in 0..rounds {
            co.yield_(pass_turn(&slot))?;
        }
        finish_turns(&slot);
        Ok(rounds)
    })
}

async fn native_player(slot: Slot, rounds: u64) -> Result<u64, Error> {
    for _ in 0..rounds {
        pass_turn(&slot).await?;
    }
    finish_turns(&slot);
    Ok(rounds)
}

fn bench_ping_pong(h: &mut Harness, io_loop: &IOLoop) {
    let n = h.n(1_000_000);
    h.bench("native/ping_pong decorated<->native (round trip)", n, || {
        let done = run(io_loop, move || {
            let slot: Slot = Rc::new(RefCell::new(None));
            gen_::multi((
                decorated_player(slot.clone(), n),
                gen_::native(native_player(slot, n)),
            ))
        });
        assert_eq!(done, (n, n));
    });
    h.bench("native/ping_pong decorated<->decorated (round trip)", n, || {
        let done = run(io_loop, move || {
            let slot: Slot = Rc::new(RefCell::new(None));
            gen_::multi(vec![decorated_player(slot.clone(), n), decorated_player(slot, n)])
        });
        assert_eq!(done, vec![n, n]);
    });
    h.bench("native/ping_pong native<->native (round trip)", n, || {
        let done = run(io_loop, move || {
            let slot: Slot = Rc::new(RefCell::new(None));
            gen_::multi(vec![
                gen_::native(native_player(slot.clone(), n)),
                gen_::native(native_player(slot, n)),
            ])
        });
        assert_eq!(done, vec![n, n]);
    });
}

fn bench_cross_thread(h: &mut Harness, io_loop: &IOLoop) {
    let n = h.n(200_000);
    h.measure("native/cross_thread_wake (round trip)", n, || {
        // `ping` is odd while the task waits for the thread, even after the
        // thread answered.
        let ping = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (sender, receiver) = mpsc::channel::<Waker>();
        let (p, s) = (ping.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let waker = receiver.recv().unwrap();
            let mut answered = 0;
            while !s.load(Ordering::Acquire) {
                let now = p.load(Ordering::Acquire);
                if now % 2 == 1 && now != answered {
                    answered = now + 1;
                    p.store(answered, Ordering::Release);
                    waker.wake_by_ref();
                } else {
                    std::hint::spin_loop();
                }
            }
        });
        let mut sender = Some(sender);
        let mut rounds = 0u64;
        let p = ping.clone();
        let task = std::future::poll_fn(move |cx| {
            if let Some(sender) = sender.take() {
                sender.send(cx.waker().clone()).unwrap();
            }
            let now = p.load(Ordering::Acquire);
            if now % 2 == 1 {
                return Poll::Pending; // not answered yet (spurious poll)
            }
            if rounds == n {
                return Poll::Ready(());
            }
            rounds += 1;
            p.store(now + 1, Ordering::Release);
            Poll::Pending
        });
        let start = Instant::now();
        run(io_loop, move || gen_::native(task));
        let elapsed = start.elapsed();
        stop.store(true, Ordering::Release);
        thread.join().unwrap();
        assert_eq!(ping.load(Ordering::Acquire), 2 * n);
        elapsed
    });
}

fn main() {
    let mut h = Harness::from_args();
    let io_loop = IOLoop::new();
    bench_await_ready(&mut h, &io_loop);
    bench_spawn(&mut h, &io_loop);
    bench_ping_pong(&mut h, &io_loop);
    bench_cross_thread(&mut h, &io_loop);
}
