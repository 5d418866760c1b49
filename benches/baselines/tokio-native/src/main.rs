//! tokio baseline for gust's `benches/native.rs`: the same workloads on
//! tokio's current-thread runtime, with gust's bench harness.
//!
//! ```text
//! cargo run --release -- --bench [FILTER]
//! ```
//!
//! The runtime is `Builder::new_current_thread()` with tokio's defaults and
//! no drivers enabled (none of these workloads needs a timer or I/O; with
//! no I/O driver the runtime parks on a condition variable when idle).
//! Tasks that share `Rc`s run on a `LocalSet` (`spawn_local`); trivial
//! tasks are measured with both `spawn` and `spawn_local`.
//!
//! - `await_ready`: gust awaits a fresh, already resolved `Future`; the
//!   closest tokio thing is a fresh `oneshot` whose value was already sent
//!   (one allocation, no suspension).
//! - `spawn_to_completion`: spawn 100,000 trivial tasks from inside the
//!   runtime, run until all have finished (each bumps a counter; the last
//!   one wakes the main future). JoinHandles are dropped at once.
//! - `yield_now`: `tokio::task::yield_now().await` in a loop.
//! - `ping_pong`: two `spawn_local` tasks hand the turn to each other through
//!   fresh `oneshot` channels (gust: fresh futures): one op is a round trip.
//! - `cross_thread_wake`: as in gust: a task and a spinning thread; the
//!   thread calls the task's waker, which wakes the parked runtime.

#[path = "../../../common/mod.rs"]
mod common;

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Poll, Waker};
use std::time::Instant;

use common::{black_box, Harness};
use tokio::runtime::{Builder, Runtime};
use tokio::sync::oneshot;
use tokio::task::LocalSet;

fn runtime() -> Runtime {
    Builder::new_current_thread().build().unwrap()
}

// Finished trivial tasks, and the main future waiting for the last one.
thread_local! {
    static DONE: Cell<u64> = const { Cell::new(0) };
    static WAITER: RefCell<Option<Waker>> = const { RefCell::new(None) };
}

fn bench_await_ready(h: &mut Harness, rt: &Runtime) {
    let n = h.n(10_000_000);
    h.bench("native/await_ready", n, || {
        let sum = rt.block_on(async move {
            let mut sum = 0u64;
            for i in 0..n {
                let (tx, rx) = oneshot::channel();
                let _ = tx.send(i & 1);
                sum += rx.await.unwrap();
            }
            sum
        });
        assert_eq!(black_box(sum), n / 2);
    });
}

/// Waits until `DONE` reaches `target` (the last task wakes us).
async fn all_done(target: u64) {
    poll_fn(|cx| {
        if DONE.with(Cell::get) >= target {
            Poll::Ready(())
        } else {
            WAITER.with(|w| *w.borrow_mut() = Some(cx.waker().clone()));
            Poll::Pending
        }
    })
    .await
}

fn task_done(target: u64) {
    let done = DONE.with(|d| {
        d.set(d.get() + 1);
        d.get()
    });
    if done == target {
        if let Some(w) = WAITER.with(|w| w.borrow_mut().take()) {
            w.wake();
        }
    }
}

fn bench_spawn(h: &mut Harness, rt: &Runtime) {
    let n = h.n(100_000);
    h.bench("native/spawn_to_completion", n, || {
        DONE.with(|d| d.set(0));
        rt.block_on(async move {
            for _ in 0..n {
                drop(tokio::spawn(async move { task_done(n) }));
            }
            all_done(n).await;
        });
    });
    h.bench("native/spawn_to_completion (spawn_local)", n, || {
        DONE.with(|d| d.set(0));
        let local = LocalSet::new();
        local.block_on(rt, async move {
            for _ in 0..n {
                drop(tokio::task::spawn_local(async move { task_done(n) }));
            }
            all_done(n).await;
        });
    });
    let n = h.n(10_000_000);
    h.bench("native/yield_now", n, || {
        rt.block_on(async move {
            for _ in 0..n {
                tokio::task::yield_now().await;
            }
        });
    });
}

type Slot = Rc<RefCell<Option<oneshot::Sender<()>>>>;

async fn player(slot: Slot, rounds: u64) -> u64 {
    for _ in 0..rounds {
        let (mine, wait) = oneshot::channel();
        let theirs = slot.borrow_mut().replace(mine);
        if let Some(theirs) = theirs {
            let _ = theirs.send(());
        }
        let _ = wait.await;
    }
    if let Some(theirs) = slot.borrow_mut().take() {
        let _ = theirs.send(());
    }
    rounds
}

fn bench_ping_pong(h: &mut Harness, rt: &Runtime) {
    let n = h.n(1_000_000);
    h.bench("native/ping_pong native<->native (round trip)", n, || {
        let local = LocalSet::new();
        let done = local.block_on(rt, async move {
            let slot: Slot = Rc::new(RefCell::new(None));
            let a = tokio::task::spawn_local(player(slot.clone(), n));
            let b = tokio::task::spawn_local(player(slot, n));
            (a.await.unwrap(), b.await.unwrap())
        });
        assert_eq!(done, (n, n));
    });
}

fn bench_cross_thread(h: &mut Harness, rt: &Runtime) {
    let n = h.n(200_000);
    h.measure("native/cross_thread_wake (round trip)", n, || {
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
        let task = poll_fn(move |cx| {
            if let Some(sender) = sender.take() {
                sender.send(cx.waker().clone()).unwrap();
            }
            let now = p.load(Ordering::Acquire);
            if now % 2 == 1 {
                return Poll::Pending;
            }
            if rounds == n {
                return Poll::Ready(());
            }
            rounds += 1;
            p.store(now + 1, Ordering::Release);
            Poll::Pending
        });
        let start = Instant::now();
        // Spawned, so the waker is a task's waker (as in gust), not
        // block_on's.
        rt.block_on(async move { tokio::spawn(task).await.unwrap() });
        let elapsed = start.elapsed();
        stop.store(true, Ordering::Release);
        thread.join().unwrap();
        assert_eq!(ping.load(Ordering::Acquire), 2 * n);
        elapsed
    });
}

fn main() {
    let mut h = Harness::from_args();
    let rt = runtime();
    bench_await_ready(&mut h, &rt);
    bench_spawn(&mut h, &rt);
    bench_ping_pong(&mut h, &rt);
    bench_cross_thread(&mut h, &rt);
}
