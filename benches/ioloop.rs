//! IOLoop benchmarks: callbacks and timers.
//!
//! `cargo bench --bench ioloop [FILTER]`. The same workloads are measured on
//! Tornado and tokio by `benches/baselines/` (run all three with
//! `benches/run_ioloop_baselines.sh`); results and their meaning are in
//! `docs/performance.md`.
//!
//! Every callback does a little work (adds its index to a thread-local sum)
//! and captures its index, so each boxed closure really allocates.
//!
//! Timers: 200,000 `call_later`s with delays drawn from 0–50 ms (a
//! fixed-seed xorshift, the same sequence the baselines use). On the system
//! clock the loop must wait for them, so the cost is measured without the
//! wait: `call_later` (insert) is timed, then the bench sleeps until every
//! timer is due, then firing them all (one iteration) is timed; `wall` is
//! the whole thing, waiting included. On a `ManualClock::autojump()` clock
//! nothing waits and the timers fire one deadline at a time.

mod common;

use std::cell::Cell;
use std::time::{Duration, Instant};

use common::{Harness, XorShift64};
use gust::ioloop::{IOLoop, ManualClock, TimeoutHandle};

const CALLBACKS: u64 = 1_000_000;
const TIMERS: u64 = 200_000;
/// Delays are drawn from `0..=MAX_DELAY_US` microseconds.
const MAX_DELAY_US: u64 = 50_000;

thread_local! {
    static SINK: Cell<u64> = const { Cell::new(0) };
    static REMAINING: Cell<u64> = const { Cell::new(0) };
}

/// The work every callback does.
#[inline]
fn sink(x: u64) {
    SINK.with(|s| s.set(s.get().wrapping_add(x)));
}

fn take_sink() -> u64 {
    SINK.with(|s| s.replace(0))
}

/// A timer callback that stops the loop once every timer has fired.
fn fire_and_count(i: u64) {
    sink(i);
    let left = REMAINING.with(|r| {
        let left = r.get() - 1;
        r.set(left);
        left
    });
    if left == 0 {
        IOLoop::current().stop();
    }
}

fn expect_sum(n: u64) {
    let expected = n * (n - 1) / 2;
    assert_eq!(take_sink(), expected, "not every callback ran exactly once");
}

fn chain(n: u64) {
    sink(n);
    if n > 1 {
        IOLoop::current().add_callback(move || chain(n - 1));
    }
}

fn raw_sink(_: &IOLoop, data: u64) {
    sink(data);
}

fn raw_chain(io_loop: &IOLoop, n: u64) {
    sink(n);
    if n > 1 {
        io_loop.add_callback_raw(raw_chain, n - 1);
    }
}

fn delays(n: u64) -> Vec<Duration> {
    let mut rng = XorShift64::new();
    (0..n)
        .map(|_| Duration::from_micros(rng.next_u64() % (MAX_DELAY_US + 1)))
        .collect()
}

fn insert_timers(io_loop: &IOLoop, delays: &[Duration]) -> Vec<TimeoutHandle> {
    delays
        .iter()
        .enumerate()
        .map(|(i, &d)| io_loop.call_later(d, move || sink(i as u64)))
        .collect()
}

/// Sleeps until `since + MAX_DELAY + 1 ms`, when every timer is due.
fn wait_all_due(since: Instant) {
    let due = since + Duration::from_micros(MAX_DELAY_US) + Duration::from_millis(1);
    let now = Instant::now();
    if due > now {
        std::thread::sleep(due - now);
    }
}

fn bench_callbacks(h: &mut Harness) {
    let n = h.n(CALLBACKS);

    h.bench("ioloop/add_callback+run", n, || {
        let io_loop = IOLoop::new();
        for i in 0..n {
            io_loop.add_callback(move || sink(i));
        }
        io_loop.run_until_idle().unwrap();
        expect_sum(n);
    });
    h.measure("ioloop/add_callback (add only)", n, || {
        let io_loop = IOLoop::new();
        let start = Instant::now();
        for i in 0..n {
            io_loop.add_callback(move || sink(i));
        }
        let took = start.elapsed();
        io_loop.run_until_idle().unwrap();
        expect_sum(n);
        took
    });
    h.measure("ioloop/add_callback (run only)", n, || {
        let io_loop = IOLoop::new();
        for i in 0..n {
            io_loop.add_callback(move || sink(i));
        }
        let start = Instant::now();
        io_loop.run_until_idle().unwrap();
        let took = start.elapsed();
        expect_sum(n);
        took
    });
    h.bench("ioloop/add_callback chained", n, || {
        let io_loop = IOLoop::new();
        io_loop.add_callback(move || chain(n));
        let iterations = io_loop.run_until_idle().unwrap();
        assert_eq!(iterations, n);
        expect_sum(n + 1);
    });
    h.bench("ioloop/add_callback_raw+run", n, || {
        let io_loop = IOLoop::new();
        for i in 0..n {
            io_loop.add_callback_raw(raw_sink, i);
        }
        io_loop.run_until_idle().unwrap();
        expect_sum(n);
    });
    h.bench("ioloop/add_callback_raw chained", n, || {
        let io_loop = IOLoop::new();
        io_loop.add_callback_raw(raw_chain, n);
        io_loop.run_until_idle().unwrap();
        expect_sum(n + 1);
    });
}

fn bench_system_clock_timers(h: &mut Harness) {
    let n = h.n(TIMERS);
    let delays = delays(n);

    h.measure("ioloop/timer_sys/call_later", n, || {
        let io_loop = IOLoop::new();
        let start = Instant::now();
        let handles = insert_timers(&io_loop, &delays);
        let took = start.elapsed();
        drop(handles);
        drop(io_loop);
        take_sink();
        took
    });
    h.measure("ioloop/timer_sys/fire_all_due", n, || {
        let io_loop = IOLoop::new();
        let inserted = Instant::now();
        insert_timers(&io_loop, &delays);
        wait_all_due(inserted);
        let start = Instant::now();
        io_loop.run_until_idle().unwrap();
        let took = start.elapsed();
        assert_eq!(io_loop.timer_count(), 0);
        expect_sum(n);
        took
    });
    h.measure("ioloop/timer_sys/call_later+fire", n, || {
        let io_loop = IOLoop::new();
        let start = Instant::now();
        insert_timers(&io_loop, &delays);
        let insert = start.elapsed();
        wait_all_due(start);
        let start = Instant::now();
        io_loop.run_until_idle().unwrap();
        let fire = start.elapsed();
        expect_sum(n);
        insert + fire
    });
    let wall = h.measure("ioloop/timer_sys/wall (incl. waiting)", n, || {
        let io_loop = IOLoop::new();
        REMAINING.with(|r| r.set(n));
        let start = Instant::now();
        for (i, &d) in delays.iter().enumerate() {
            io_loop.call_later(d, move || fire_and_count(i as u64));
        }
        io_loop.start().unwrap();
        let took = start.elapsed();
        expect_sum(n);
        took
    });
    if let Some(wall) = wall {
        h.note(&format!(
            "wall median {:.1} ms for {n} timers due within {} ms",
            wall.median_total().as_secs_f64() * 1e3,
            MAX_DELAY_US / 1000
        ));
    }
    h.measure("ioloop/timer_sys/remove_timeout", n / 2, || {
        let io_loop = IOLoop::new();
        let handles = insert_timers(&io_loop, &delays);
        let start = Instant::now();
        for handle in handles.iter().step_by(2) {
            io_loop.remove_timeout(*handle);
        }
        let took = start.elapsed();
        drop(io_loop);
        take_sink();
        took
    });
    h.measure("ioloop/timer_sys/fire_half_due (half cancelled)", n / 2, || {
        let io_loop = IOLoop::new();
        let inserted = Instant::now();
        let handles = insert_timers(&io_loop, &delays);
        for handle in handles.iter().step_by(2) {
            io_loop.remove_timeout(*handle);
        }
        wait_all_due(inserted);
        let start = Instant::now();
        io_loop.run_until_idle().unwrap();
        let took = start.elapsed();
        assert_eq!(io_loop.timer_count(), 0);
        take_sink();
        took
    });
    h.measure("ioloop/timer_sys/call_later+cancel_half+fire", n, || {
        let io_loop = IOLoop::new();
        let start = Instant::now();
        let handles = insert_timers(&io_loop, &delays);
        for handle in handles.iter().step_by(2) {
            io_loop.remove_timeout(*handle);
        }
        let insert_cancel = start.elapsed();
        wait_all_due(start);
        let start = Instant::now();
        io_loop.run_until_idle().unwrap();
        let fire = start.elapsed();
        take_sink();
        insert_cancel + fire
    });
}

fn bench_manual_clock_timers(h: &mut Harness) {
    let n = h.n(TIMERS);
    let delays = delays(n);

    h.bench("ioloop/timer_autojump/call_later+run", n, || {
        let io_loop = IOLoop::with_clock(ManualClock::autojump());
        REMAINING.with(|r| r.set(n));
        for (i, &d) in delays.iter().enumerate() {
            io_loop.call_later(d, move || fire_and_count(i as u64));
        }
        io_loop.start().unwrap();
        expect_sum(n);
    });
    h.bench("ioloop/timer_autojump/call_later+cancel_half+run", n, || {
        let io_loop = IOLoop::with_clock(ManualClock::autojump());
        REMAINING.with(|r| r.set(n / 2));
        let handles: Vec<TimeoutHandle> = delays
            .iter()
            .enumerate()
            .map(|(i, &d)| io_loop.call_later(d, move || fire_and_count(i as u64)))
            .collect();
        for handle in handles.iter().step_by(2) {
            io_loop.remove_timeout(*handle);
        }
        io_loop.start().unwrap();
        assert_eq!(io_loop.timer_count(), 0);
        take_sink();
    });
}

fn main() {
    let mut h = Harness::from_args();
    bench_callbacks(&mut h);
    bench_system_clock_timers(&mut h);
    bench_manual_clock_timers(&mut h);
}
