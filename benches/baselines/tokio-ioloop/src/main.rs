//! tokio baseline for gust's `benches/ioloop.rs`: the same workloads on
//! tokio's current-thread runtime, with gust's bench harness.
//!
//! ```text
//! cargo run --release -- --bench [FILTER]                         # real clock
//! cargo run --release --features paused-clock -- --bench autojump # paused clock
//! ```
//!
//! A callback is a spawned task; a timer is a spawned task that awaits
//! `tokio::time::sleep(delay)` and then does the callback's work. Every task
//! adds its index to a thread-local sum, as the gust callbacks do.
//!
//! Tasks are spawned from inside the runtime (`block_on`), so they go to the
//! local run queue. The runtime has tokio's default settings: it polls the
//! I/O and time drivers every 61 tasks while tasks are ready.
//!
//! Timers on the real clock: "call_later" is the time from the first spawn
//! until the last task has registered its sleep (a sleep is registered in
//! the timer wheel when first polled); "fire_all_due" is the time from then
//! until the last timer task has run, less the deliberate sleep until every
//! timer is due. So the two add up to all the work with none of the
//! waiting. Because tokio must run the tasks to register their timers, and
//! polls the time driver every 61 tasks, the timers with delays shorter
//! than the insert phase already fire during it: for tokio only the sum is
//! strictly comparable with gust's and Tornado's.
//!
//! Cancelling: `JoinHandle::abort` of every other task, timed until every
//! aborted task has been dropped (tokio drops an aborted task's future in
//! the scheduler, not in `abort`).

#[path = "../../../common/mod.rs"]
mod common;

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use common::{Harness, XorShift64};
use tokio::runtime::{Builder, Runtime};
use tokio::task::JoinHandle;

const CALLBACKS: u64 = 1_000_000;
const TIMERS: u64 = 200_000;
const MAX_DELAY_US: u64 = 50_000;

/// A counter the main future can wait on; the task that brings it to its
/// target records the time and wakes the main future.
struct Counter {
    count: Cell<u64>,
    target: Cell<u64>,
    reached_at: Cell<Option<Instant>>,
    waiter: RefCell<Option<Waker>>,
}

impl Counter {
    fn new() -> Counter {
        Counter {
            count: Cell::new(0),
            target: Cell::new(u64::MAX),
            reached_at: Cell::new(None),
            waiter: RefCell::new(None),
        }
    }

    /// Zero, with `target`.
    fn reset(&self, target: u64) {
        self.count.set(0);
        self.reached_at.set(None);
        self.set_target(target);
    }

    /// Changes the target, keeping the count.
    fn set_target(&self, target: u64) {
        self.target.set(target);
        if self.count.get() >= target {
            self.reached_at.set(Some(Instant::now()));
        }
    }

    fn bump(&self) {
        let count = self.count.get() + 1;
        self.count.set(count);
        if count == self.target.get() {
            self.reached_at.set(Some(Instant::now()));
            if let Some(waker) = self.waiter.borrow_mut().take() {
                waker.wake();
            }
        }
    }

    /// Waits until the count reaches its target; returns when it did.
    async fn reached(&self) -> Instant {
        poll_fn(|cx| match self.reached_at.get() {
            Some(at) => Poll::Ready(at),
            None => {
                *self.waiter.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

thread_local! {
    static SINK: Cell<u64> = const { Cell::new(0) };
    // Leaked once per thread, so tasks can hold a `&'static Counter`.
    static COUNTERS: &'static Counters = Box::leak(Box::default());
}

/// Tasks that finished (callbacks run, timers fired); timers whose sleep is
/// registered; timer tasks dropped before firing.
struct Counters {
    done: Counter,
    registered: Counter,
    cancelled: Counter,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            done: Counter::new(),
            registered: Counter::new(),
            cancelled: Counter::new(),
        }
    }
}

fn counters() -> &'static Counters {
    COUNTERS.with(|c| *c)
}

#[inline]
fn sink(x: u64) {
    SINK.with(|s| s.set(s.get().wrapping_add(x)));
}

fn take_sink() -> u64 {
    SINK.with(|s| s.replace(0))
}

fn expect_sum(n: u64) {
    assert_eq!(take_sink(), n * (n - 1) / 2, "not every task ran exactly once");
}

/// Whether this build measures on tokio's paused clock.
const PAUSED: bool = cfg!(feature = "paused-clock");

fn runtime() -> Runtime {
    runtime_with_event_interval(None)
}

/// A current-thread runtime with the time driver (no I/O driver: features
/// `rt` and `time` only), on the paused clock in a `paused-clock` build;
/// `event_interval` as `Builder::event_interval` (default 61).
fn runtime_with_event_interval(event_interval: Option<u32>) -> Runtime {
    let mut builder = Builder::new_current_thread();
    builder.enable_time();
    if let Some(interval) = event_interval {
        builder.event_interval(interval);
    }
    #[cfg(feature = "paused-clock")]
    builder.start_paused(true);
    builder.build().expect("tokio runtime")
}

fn delays(n: u64) -> Vec<Duration> {
    let mut rng = XorShift64::new();
    (0..n)
        .map(|_| Duration::from_micros(rng.next_u64() % (MAX_DELAY_US + 1)))
        .collect()
}

fn chain(n: u64) {
    tokio::spawn(async move {
        sink(n);
        counters().done.bump();
        if n > 1 {
            chain(n - 1);
        }
    });
}

/// Drop guard of a timer task: counts tasks dropped before they fired.
struct Guard {
    fired: bool,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.fired {
            counters().cancelled.bump();
        }
    }
}

/// A timer: sleeps `delay` (counting when the sleep is registered), then
/// does the callback's work.
fn spawn_timer(i: u64, delay: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut guard = Guard { fired: false };
        let mut sleep = pin!(tokio::time::sleep(delay));
        let mut first = true;
        poll_fn(|cx| {
            let poll = sleep.as_mut().poll(cx);
            if first {
                first = false;
                counters().registered.bump();
            }
            poll
        })
        .await;
        guard.fired = true;
        sink(i);
        counters().done.bump();
    })
}

/// Phases of one timer run.
struct TimerRun {
    /// First spawn until the last sleep is registered.
    insert: Duration,
    /// Aborting every other task until all aborted ones are dropped.
    cancel: Duration,
    /// Until the last timer fired, less the deliberate sleep.
    fire: Duration,
    /// Everything, less the deliberate sleep.
    total: Duration,
}

/// Spawns the timers, waits until all are registered, optionally aborts
/// every other one, then, if `sleep_until_due`, sleeps the thread
/// (deliberately) until every timer is due, and runs them.
///
/// With `sleep_until_due` the runtime polls its drivers only when it has no
/// task to run (`event_interval(u32::MAX)`), so that no timer fires while
/// the timers are being registered (which takes longer than 50 ms), as in
/// gust and Tornado, where nothing fires until the loop runs. The drivers
/// are then polled once every task has registered its sleep: the timers
/// that are due fire then, and that is counted in `fire`.
fn timer_run(delays: &[Duration], cancel_half: bool, sleep_until_due: bool) -> TimerRun {
    let n = delays.len() as u64;
    let c = counters();
    let rt = runtime_with_event_interval(sleep_until_due.then_some(u32::MAX));
    rt.block_on(async {
        c.registered.reset(n);
        c.done.reset(u64::MAX);
        let start = Instant::now();
        let handles: Vec<JoinHandle<()>> = delays
            .iter()
            .enumerate()
            .map(|(i, &d)| spawn_timer(i as u64, d))
            .collect();
        let registered = c.registered.reached().await;
        let insert = registered - start;

        let mut fired_target = n;
        let cancel_start = Instant::now();
        let mut cancel_end = cancel_start;
        if cancel_half {
            // Timers that already ran cannot be cancelled: abort the others.
            let pending: Vec<&JoinHandle<()>> =
                handles.iter().step_by(2).filter(|h| !h.is_finished()).collect();
            c.cancelled.reset(pending.len() as u64);
            for handle in &pending {
                handle.abort();
            }
            fired_target -= pending.len() as u64;
            cancel_end = c.cancelled.reached().await;
        }
        let cancel = cancel_end - cancel_start;

        c.done.set_target(fired_target);
        let sleep_start = Instant::now();
        if sleep_until_due {
            // Every deadline is at most 50 ms (+1 ms of tokio's rounding up)
            // after its registration.
            let due = registered + Duration::from_micros(MAX_DELAY_US) + Duration::from_millis(2);
            if due > sleep_start {
                std::thread::sleep(due - sleep_start);
            }
        }
        let slept = sleep_start.elapsed();
        let finished = c.done.reached().await;
        drop(handles);
        take_sink();
        TimerRun {
            insert,
            cancel,
            fire: (finished - registered).saturating_sub(cancel + slept),
            total: (finished - start).saturating_sub(slept),
        }
    })
}

fn bench_callbacks(h: &mut Harness) {
    let n = h.n(CALLBACKS);
    h.measure("tokio/spawn+run", n, || {
        runtime().block_on(async {
            counters().done.reset(n);
            let start = Instant::now();
            for i in 0..n {
                tokio::spawn(async move {
                    sink(i);
                    counters().done.bump();
                });
            }
            let took = counters().done.reached().await - start;
            expect_sum(n);
            took
        })
    });
    h.measure("tokio/spawn chained", n, || {
        runtime().block_on(async {
            counters().done.reset(n);
            let start = Instant::now();
            chain(n);
            let took = counters().done.reached().await - start;
            expect_sum(n + 1);
            took
        })
    });
}

fn bench_timers(h: &mut Harness) {
    let n = h.n(TIMERS);
    let delays = delays(n);
    h.measure("tokio/timer_sys/call_later", n, || {
        timer_run(&delays, false, true).insert
    });
    h.measure("tokio/timer_sys/fire_all_due", n, || {
        timer_run(&delays, false, true).fire
    });
    h.measure("tokio/timer_sys/call_later+fire", n, || {
        timer_run(&delays, false, true).total
    });
    let wall = h.measure("tokio/timer_sys/wall (incl. waiting)", n, || {
        timer_run(&delays, false, false).total
    });
    if let Some(wall) = wall {
        h.note(&format!(
            "wall median {:.1} ms for {n} timers due within {} ms",
            wall.median_total().as_secs_f64() * 1e3,
            MAX_DELAY_US / 1000
        ));
    }
    h.measure("tokio/timer_sys/remove_timeout", n / 2, || {
        timer_run(&delays, true, true).cancel
    });
    h.measure("tokio/timer_sys/fire_half_due (half cancelled)", n / 2, || {
        timer_run(&delays, true, true).fire
    });
    h.measure("tokio/timer_sys/call_later+cancel_half+fire", n, || {
        timer_run(&delays, true, true).total
    });
}

fn bench_paused_timers(h: &mut Harness) {
    let n = h.n(TIMERS);
    let delays = delays(n);
    h.measure("tokio/timer_autojump/call_later+run", n, || {
        timer_run(&delays, false, false).total
    });
    h.measure("tokio/timer_autojump/call_later+cancel_half+run", n, || {
        timer_run(&delays, true, false).total
    });
}

fn main() {
    let mut h = Harness::from_args();
    if PAUSED {
        // test-util makes every clock read take a mutex: measure only the
        // paused clock in this build.
        bench_paused_timers(&mut h);
    } else {
        bench_callbacks(&mut h);
        bench_timers(&mut h);
    }
}
