//! No silent hang on a manual clock: a loop on `ManualClock::new()` (no
//! autojump) whose only pending work is timers cannot make progress by
//! itself. `start`, `run_once(None)` and `run_sync` then return a typed
//! error (or `run_sync`'s timeout fires) instead of blocking forever.

use std::cell::Cell;
use std::rc::Rc;
use std::thread;
use std::time::{Duration, Instant};

use gust::concurrent::{Future, ThreadPoolExecutor};
use gust::gen_::{self, TimeoutError};
use gust::ioloop::{IOLoopError, ManualClock};
use gust::prelude::*;

/// How long the tests give `run_sync`; far longer than any of them should
/// take, so that "it returned well before" means "it did not wait for it".
const LONG: Duration = Duration::from_secs(60);

fn is_stalled(error: &Error) -> bool {
    error.downcast_ref::<IOLoopError>() == Some(&IOLoopError::Stalled)
}

#[test]
fn run_sync_timeout_fires_at_once_when_only_manual_timers_are_pending() {
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let started = Instant::now();
    let error = io_loop
        .run_sync(|| gen_::sleep(Duration::from_secs(3600)), Some(LONG))
        .unwrap_err();
    assert!(error.is::<TimeoutError>(), "{error}");
    assert_eq!(error.to_string(), "Operation timed out after 60 seconds");
    assert!(
        started.elapsed() < LONG / 2,
        "it must not wait for the real-time limit: nothing could wake the loop"
    );
    assert_eq!(clock.now(), io_loop.time(), "the manual clock did not move");
}

#[test]
fn run_sync_without_timeout_fails_with_a_typed_error_saying_what_to_do() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let error = io_loop
        .run_sync(|| gen_::sleep(Duration::from_secs(1)), None)
        .unwrap_err();
    assert!(is_stalled(&error), "{error}");
    let message = error.to_string();
    assert!(message.contains("ManualClock::autojump()"), "{message}");
    assert!(message.contains("advance the clock"), "{message}");
}

#[test]
fn the_work_of_a_stalled_run_sync_is_cancelled_and_the_loop_stays_usable() {
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let resumed = Rc::new(Cell::new(None));
    let seen = resumed.clone();
    let error = io_loop
        .run_sync(
            move || {
                gen_::coroutine(move |co| {
                    let outcome = co.yield_(gen_::sleep(Duration::from_secs(10)));
                    seen.set(Some(outcome.is_ok()));
                    outcome
                })
            },
            Some(LONG),
        )
        .unwrap_err();
    assert!(error.is::<TimeoutError>(), "{error}");
    // The loop is not stopped by leftovers of the stalled run: it runs the
    // next one to its end.
    clock.advance(Duration::from_secs(10));
    assert_eq!(io_loop.run_sync(|| Future::ready(5), None).unwrap(), 5);
    assert_eq!(
        resumed.get(),
        Some(true),
        "cancelling the future does not stop its coroutine, which resumes once the clock moves"
    );
}

#[test]
fn start_and_run_once_fail_instead_of_blocking_forever() {
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let fired = Rc::new(Cell::new(false));
    let f = fired.clone();
    io_loop.call_later(Duration::from_secs(5), move || {
        f.set(true);
        IOLoop::current().stop();
    });
    assert_eq!(io_loop.start(), Err(IOLoopError::Stalled));
    assert_eq!(io_loop.run_once(None), Err(IOLoopError::Stalled));
    assert_eq!(io_loop.iterations(), 0, "a stalled loop runs no iteration");
    // Stepping without blocking is always fine, and moving the clock is
    // what the loop was waiting for.
    io_loop.run_once(Some(Duration::ZERO)).unwrap();
    assert!(!fired.get());
    clock.advance(Duration::from_secs(5));
    io_loop.start().unwrap();
    assert!(fired.get());
    // With nothing pending at all, the same.
    assert_eq!(io_loop.start(), Err(IOLoopError::Stalled));
}

#[test]
fn a_loop_another_thread_can_wake_still_waits_for_it() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    io_loop.call_later(Duration::from_secs(3600), || {});
    let handle = io_loop.handle();
    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        handle
            .add_callback(|| IOLoop::current().stop())
            .expect("the loop is open");
    });
    io_loop.start().unwrap();
    sender.join().unwrap();
}

#[test]
fn run_sync_on_a_manual_clock_still_gets_results_from_other_threads() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let pool = ThreadPoolExecutor::new(1);
    let answer = io_loop
        .run_sync(
            move || {
                pool.submit(|| {
                    thread::sleep(Duration::from_millis(20));
                    42
                })
            },
            Some(LONG),
        )
        .unwrap();
    assert_eq!(answer, 42);
}

#[test]
fn run_sync_timeout_is_bounded_in_real_time_when_a_wake_could_come() {
    // A native task's waker holds a handle to the loop, so the loop cannot
    // prove that nothing will wake it: run_sync waits, but no longer than
    // its timeout in real time.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let limit = Duration::from_millis(50);
    let started = Instant::now();
    let error = io_loop
        .run_sync(
            || {
                gen_::native(async {
                    gen_::sleep(Duration::from_secs(3600)).await?;
                    Ok::<_, Error>(())
                })
            },
            Some(limit),
        )
        .unwrap_err();
    assert!(error.is::<TimeoutError>(), "{error}");
    assert!(started.elapsed() >= limit, "it waited for the limit");
}

#[test]
fn the_manual_timeout_still_fires_when_a_callback_moves_the_clock() {
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let mover = clock.clone();
    let error = io_loop
        .run_sync(
            move || {
                let io_loop = IOLoop::current();
                io_loop.add_callback(move || mover.advance(Duration::from_secs(2)));
                gen_::sleep(Duration::from_secs(10))
            },
            Some(Duration::from_secs(1)),
        )
        .unwrap_err();
    assert!(error.is::<TimeoutError>(), "{error}");
    assert_eq!(error.to_string(), "Operation timed out after 1 seconds");
}

#[test]
fn run_sync_waits_for_promised_work_past_its_real_time_bound() {
    // The timeout is on the manual clock, which nobody moves; the
    // real-time bound only keeps a loop from waiting for nothing. A job
    // under way on another thread is work promised to the loop: the loop
    // waits for it (not stalled), however short the bound.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let pool = ThreadPoolExecutor::new(1);
    let answer = io_loop
        .run_sync(
            move || {
                pool.submit(|| {
                    thread::sleep(Duration::from_millis(20));
                    42
                })
            },
            Some(Duration::from_millis(1)),
        )
        .unwrap();
    assert_eq!(answer, 42);
}

#[test]
fn a_loop_stalls_once_the_promised_work_is_given_up() {
    // A promise dropped on another thread without a callback: the loop,
    // woken, sees nothing left that could wake it, and reports the stall.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    io_loop.call_later(Duration::from_secs(3600), || {});
    let pending = io_loop.handle().expect_work();
    let started = Instant::now();
    let worker = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        drop(pending);
    });
    assert_eq!(io_loop.start(), Err(IOLoopError::Stalled));
    assert!(
        started.elapsed() >= Duration::from_millis(20),
        "it waited for the promise"
    );
    worker.join().unwrap();
}
