//! Ports of Tornado's tests for the gen "toolbox": `sleep`, `moment`,
//! `with_timeout` (WithTimeoutTest), `WaitIterator` (WaitIteratorTest),
//! executors (concurrent_test.py's RunOnExecutorTest, ioloop_test.py's
//! TestIOLoopFutures) and the legacy interface of Tornado 4.5
//! (GenEngineTest / GenCoroutineTest: `engine`, `Task`, `Callback`, `Wait`,
//! `WaitAll`, `MultiYieldPoint`, `Arguments`).
//!
//! Conventions, as in `gen_test.rs`: a Tornado `@gen_test` body becomes
//! [`run`] (a coroutine driven by `run_sync` on a loop whose clock jumps to
//! the next timer, so nothing really sleeps); GenEngineTest's
//! `run_gen(f)` + `self.stop()` becomes [`run_gen`] + [`Stop`]. Tests that
//! need real threads (executors) use the system clock, short waits with a
//! timeout, and a `run_sync` timeout as a guard; they never sleep a fixed
//! time to wait for a result.

mod common;

use common::{KeyError, RuntimeError, ZeroDivisionError, run};

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use gust::ErrorKind;
use gust::concurrent::{
    CancelledError, DummyExecutor, Executor, ExecutorShutdownError, InvalidStateError, Job,
    ThreadPoolExecutor,
};
use gust::gen_::{
    self, Arguments, BadYieldError, Callback, KeyReuseError, LeakedCallbackError, MultiYieldPoint,
    PanicError, QuietExceptions, ResultCallback, ResultTypeError, ReturnValueIgnoredError, RunnerState,
    TaskCallback, TimeoutError, TimeoutOptions, UnknownKeyError, Wait, WaitAll, WaitIterator, WaitingOn,
};
use gust::ioloop::ManualClock;
use gust::prelude::*;

// ====================================================================
// Helpers
// ====================================================================

/// [`run`] on the system clock, for tests with real threads: the
/// `run_sync` timeout (10 s) is only a guard against a hang.
fn run_real<T, F>(body: F) -> Result<T, Error>
where
    T: 'static,
    F: FnOnce(&Co) -> Result<T, Error> + 'static,
{
    let io_loop = IOLoop::new();
    io_loop.run_sync(move || gen_::coroutine(body), Some(Duration::from_secs(10)))
}

fn step(io_loop: &IOLoop) {
    io_loop.run_once(Some(Duration::ZERO)).unwrap();
}

/// The loop's time elapsed since `start`.
fn elapsed_since(start: Instant) -> Duration {
    IOLoop::current().time() - start
}

/// Returns `value` after sleeping `delay` on the loop's clock.
fn delayed<T: 'static>(delay: Duration, value: T) -> Future<T> {
    gen_::coroutine(move |co| {
        co.yield_(gen_::sleep(delay))?;
        Ok(value)
    })
}

/// Fails with `error` after one loop iteration.
fn async_exception<T: 'static>(error: impl Into<Error> + 'static) -> Future<T> {
    gen_::coroutine(move |co| {
        co.yield_(gen_::moment)?;
        Err(error.into())
    })
}

/// Python's `threading.Event`, for the executor tests.
#[derive(Clone, Default)]
struct Event(Arc<(Mutex<bool>, Condvar)>);

impl Event {
    fn set(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }

    fn is_set(&self) -> bool {
        *self.0.0.lock().unwrap()
    }

    /// Waits until set, at most `timeout`; returns whether it was set.
    fn wait(&self, timeout: Duration) -> bool {
        let guard = self.0.0.lock().unwrap();
        let (guard, _) = self.0.1.wait_timeout_while(guard, timeout, |set| !*set).unwrap();
        *guard
    }
}

// ====================================================================
// sleep and moment
// ====================================================================

// Ports GenCoroutineTest.test_sleep, with durations checked on the
// manual clock: sequential sleeps add up, parallel ones overlap.
#[test]
fn test_sleep() {
    run(|co| {
        let start = IOLoop::current().time();
        co.yield_(gen_::sleep(Duration::from_millis(10)))?;
        assert_eq!(elapsed_since(start), Duration::from_millis(10));
        co.yield_(gen_::sleep(Duration::from_millis(250)))?;
        assert_eq!(elapsed_since(start), Duration::from_millis(260));

        let start = IOLoop::current().time();
        co.yield_(vec![
            gen_::sleep(Duration::from_millis(250)),
            gen_::sleep(Duration::from_millis(10)),
        ])?;
        assert_eq!(elapsed_since(start), Duration::from_millis(250));
        Ok(())
    })
    .unwrap();
}

// Ports gen.sleep's documented rule ("the timer starts when sleep is
// called"): a sleep started before other work ends on its own schedule.
#[test]
fn test_sleep_timer_starts_when_called() {
    run(|co| {
        let start = IOLoop::current().time();
        let next = gen_::sleep(Duration::from_secs(3));
        co.yield_(gen_::sleep(Duration::from_secs(1)))?;
        co.yield_(next)?;
        assert_eq!(elapsed_since(start), Duration::from_secs(3));
        Ok(())
    })
    .unwrap();
}

// gust-specific: stepping a sleep on a clock moved by hand. The future is
// resolved by the timer in the iteration where the deadline is reached; the
// coroutine resumes in the next one.
#[test]
fn test_sleep_stepwise_on_manual_clock() {
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let f = gen_::coroutine(|co| co.yield_(gen_::sleep(Duration::from_millis(250))));
    assert_eq!(io_loop.timer_count(), 1);
    step(&io_loop);
    assert!(!f.done());
    clock.advance(Duration::from_millis(249));
    step(&io_loop);
    assert!(!f.done(), "not before the deadline");
    clock.advance(Duration::from_millis(1));
    step(&io_loop);
    assert!(!f.done(), "the timer fired; the coroutine resumes next iteration");
    assert_eq!(io_loop.timer_count(), 0);
    step(&io_loop);
    assert!(f.done());
    f.take_result().unwrap();
}

// Ports gen.sleep's documented cancellation behaviour: cancelling the
// future does not remove the timer, which then does nothing.
#[test]
fn test_sleep_cancelled() {
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let s = gen_::sleep(Duration::from_secs(1));
    assert!(s.cancel());
    assert_eq!(io_loop.timer_count(), 1, "the timer stays");
    clock.advance(Duration::from_secs(1));
    step(&io_loop);
    assert_eq!(io_loop.timer_count(), 0);
    assert!(s.cancelled());
    assert!(s.take_result().unwrap_err().is::<CancelledError>());
}

// Ports the reference's verified claim (§1.1 multi): `yield [gen.moment]*2`
// completes inline, with no loop iteration, whereas a bare moment parks.
#[test]
fn test_moment_in_list_resolves_without_a_hop() {
    let io_loop = IOLoop::new();
    let f = gen_::coroutine(|co| co.yield_(vec![gen_::moment, gen_::moment]));
    assert!(f.done(), "a list of moments resolves inline");
    assert_eq!(io_loop.iterations(), 0);
    assert_eq!(f.take_result().unwrap(), vec![(), ()]);

    let g = gen_::coroutine(|co| co.yield_((gen_::moment, (), gen_::moment)));
    assert!(g.done());
    assert_eq!(g.take_result().unwrap(), ((), (), ()));

    // `yield [gen.moment]*2000` does not take 2000 hops.
    let h = gen_::coroutine(|co| co.yield_(vec![gen_::moment; 2000]));
    assert!(h.done());
    assert_eq!(h.take_result().unwrap().len(), 2000);
    assert_eq!(io_loop.iterations(), 0);

    let bare = gen_::coroutine(|co| co.yield_(gen_::moment));
    assert!(!bare.done(), "a bare moment costs one iteration");
    step(&io_loop);
    assert!(bare.done());
}

// Ports RunnerGCTest.test_multi_moment: gen.multi([moment, moment]) gives
// [None, None]; here `[(), ()]`, and at once.
#[test]
fn test_multi_moment() {
    let io_loop = IOLoop::new();
    let f = gen_::multi(vec![gen_::moment, gen_::moment]);
    assert!(f.done());
    assert_eq!(f.take_result().unwrap(), vec![(), ()]);
    let result = io_loop
        .run_sync(
            || gen_::coroutine(|co| co.yield_(gen_::multi(vec![gen_::moment, gen_::moment]))),
            None,
        )
        .unwrap();
    assert_eq!(result, vec![(), ()]);
}

// ====================================================================
// WithTimeoutTest
// ====================================================================

// Ports WithTimeoutTest.test_timeout: TimeoutError("Timeout") at the
// relative deadline.
#[test]
fn test_timeout() {
    run(|co| {
        let start = IOLoop::current().time();
        let err = co
            .yield_(gen_::with_timeout(
                Duration::from_millis(100),
                Future::<()>::new(),
            ))
            .unwrap_err();
        assert!(err.is::<TimeoutError>(), "{err}");
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert_eq!(err.to_string(), "Timeout");
        assert_eq!(elapsed_since(start), Duration::from_millis(100));
        Ok(())
    })
    .unwrap();
}

// Ports WithTimeoutTest.test_completes_before_timeout: the result comes
// through and the timeout's timer is removed.
#[test]
fn test_completes_before_timeout() {
    run(|co| {
        let io_loop = IOLoop::current();
        let start = io_loop.time();
        let future = Future::new();
        let setter = future.clone();
        io_loop.add_timeout(Duration::from_millis(100), move || {
            setter.set_result("asdf").unwrap();
        });
        let timers_before = io_loop.timer_count();
        let limited = gen_::with_timeout(Duration::from_secs(3600), future);
        assert_eq!(io_loop.timer_count(), timers_before + 1);
        assert_eq!(co.yield_(limited)?, "asdf");
        assert_eq!(elapsed_since(start), Duration::from_millis(100));
        assert_eq!(
            io_loop.timer_count(),
            timers_before - 1,
            "both the setter's timer and with_timeout's timer are gone"
        );
        Ok(())
    })
    .unwrap();
}

// Ports WithTimeoutTest.test_fails_before_timeout: the input's error comes
// through unchanged.
#[test]
fn test_fails_before_timeout() {
    run(|co| {
        let future = Future::<String>::new();
        let setter = future.clone();
        IOLoop::current().add_timeout(Duration::from_millis(100), move || {
            setter.set_exception(ZeroDivisionError).unwrap();
        });
        let err = co
            .yield_(gen_::with_timeout(Duration::from_secs(3600), future))
            .unwrap_err();
        assert!(err.is::<ZeroDivisionError>(), "{err}");
        Ok(())
    })
    .unwrap();
}

// Ports WithTimeoutTest.test_already_resolved: a done input gives a done
// result at once, and no timer is left behind.
#[test]
fn test_already_resolved() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let future = Future::ready("asdf");
    let limited = gen_::with_timeout(Duration::from_secs(3600), future);
    assert!(limited.done());
    assert_eq!(io_loop.timer_count(), 0);
    assert_eq!(limited.take_result().unwrap(), "asdf");

    // By reference: the result is copied, the input keeps it.
    let shared = Future::ready(7);
    let limited = gen_::with_timeout(Duration::from_secs(3600), &shared);
    assert!(limited.done());
    assert_eq!(io_loop.timer_count(), 0);
    assert_eq!(limited.take_result().unwrap(), 7);
    assert_eq!(shared.result().unwrap(), 7);

    // An already-failed input, and a moment, likewise.
    let failed = gen_::with_timeout(Duration::from_secs(1), Future::<i32>::failed(KeyError));
    assert!(failed.take_result().unwrap_err().is::<KeyError>());
    let moment = gen_::with_timeout(Duration::from_secs(1), gen_::moment);
    assert!(moment.done());
    assert_eq!(io_loop.timer_count(), 0);
    assert_eq!(io_loop.iterations(), 0);
}

// Ports with_timeout's deadline forms (WithTimeoutTest's timedelta vs
// `self.io_loop.time()` deadlines): an `Instant` is absolute on the loop's
// clock, a `Duration` relative to now; a deadline already reached fires in
// the next iteration.
#[test]
fn test_timeout_absolute_and_relative_deadlines() {
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let input = Future::<i32>::new();

    let absolute = gen_::with_timeout(io_loop.time() + Duration::from_secs(2), &input);
    clock.advance(Duration::from_secs(1));
    let relative = gen_::with_timeout(Duration::from_secs(2), &input); // due at +3 s
    let now = gen_::with_timeout(io_loop.time(), &input);
    assert_eq!(io_loop.timer_count(), 3);

    step(&io_loop);
    assert!(now.take_result().unwrap_err().is::<TimeoutError>());
    assert!(!absolute.done() && !relative.done());

    clock.advance(Duration::from_secs(1)); // +2 s
    step(&io_loop);
    assert!(absolute.take_result().unwrap_err().is::<TimeoutError>());
    assert!(!relative.done(), "the relative deadline counts from the call");

    clock.advance(Duration::from_secs(1)); // +3 s
    step(&io_loop);
    assert!(relative.take_result().unwrap_err().is::<TimeoutError>());
    assert_eq!(io_loop.timer_count(), 0);
    assert!(!input.done());
}

// Ports with_timeout's contract "the input is never cancelled, so it can be
// re-waited" (gen.py docstring; asyncio.wait_for differs).
#[test]
fn test_timeout_does_not_cancel_input() {
    run(|co| {
        let io_loop = IOLoop::current();
        let input = Future::<i32>::new();
        let err = co
            .yield_(gen_::with_timeout(Duration::from_secs(1), &input))
            .unwrap_err();
        assert!(err.is::<TimeoutError>());
        assert!(!input.done(), "still pending");
        assert!(!input.cancelled());

        let setter = input.clone();
        io_loop.add_timeout(Duration::from_secs(1), move || setter.set_result(5).unwrap());
        assert_eq!(co.yield_(&input)?, 5);
        // Re-waitable, with or without a timeout.
        assert_eq!(co.yield_(gen_::with_timeout(Duration::from_secs(1), &input))?, 5);
        assert_eq!(co.yield_(&input)?, 5);
        assert_eq!(input.result().unwrap(), 5);
        Ok(())
    })
    .unwrap();
}

// Ports with_timeout's late-failure logging: a failure after the timeout
// is logged as "Exception in Future %r after timeout", once; the error then
// counts as retrieved (no "never retrieved" when the input is dropped).
#[test]
fn test_timeout_late_failure_is_logged() {
    common::clear();
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let input = Future::<i32>::new();
    let limited = gen_::with_timeout(Duration::from_secs(1), input.clone());
    clock.advance(Duration::from_secs(1));
    step(&io_loop);
    assert!(limited.take_result().unwrap_err().is::<TimeoutError>());
    assert!(
        common::app_errors().is_empty(),
        "the timeout itself is not logged"
    );

    input.set_exception(ZeroDivisionError).unwrap();
    let logged = common::app_errors_containing("after timeout");
    assert_eq!(logged.len(), 1, "{:?}", common::app_errors());
    assert!(
        logged[0].starts_with("Exception in Future <Future<i32>"),
        "{}",
        logged[0]
    );
    assert!(
        logged[0].ends_with("after timeout: division by zero"),
        "{}",
        logged[0]
    );
    drop(input);
    drop(limited);
    assert_eq!(common::app_errors().len(), 1, "{:?}", common::app_errors());
}

// Ports with_timeout's `quiet_exceptions`: quiet types are not logged,
// others still are.
#[test]
fn test_timeout_quiet_exceptions() {
    common::clear();
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let quiet_input = Future::<i32>::new();
    let loud_input = Future::<i32>::new();
    let a = gen_::with_timeout_quiet(
        Duration::from_secs(1),
        quiet_input.clone(),
        QuietExceptions::of::<ZeroDivisionError>(),
    );
    let b = gen_::with_timeout_quiet(
        Duration::from_secs(1),
        loud_input.clone(),
        QuietExceptions::of::<KeyError>(),
    );
    clock.advance(Duration::from_secs(1));
    step(&io_loop);
    assert!(a.take_result().unwrap_err().is::<TimeoutError>());
    assert!(b.take_result().unwrap_err().is::<TimeoutError>());

    quiet_input.set_exception(ZeroDivisionError).unwrap();
    assert!(common::app_errors().is_empty(), "{:?}", common::app_errors());
    loud_input.set_exception(ZeroDivisionError).unwrap();
    assert_eq!(common::app_errors_containing("after timeout").len(), 1);
    drop((quiet_input, loud_input));
    assert_eq!(common::app_errors().len(), 1, "{:?}", common::app_errors());
}

// Ports with_timeout's 6.0.3 rule (CancelledError is always quiet) and
// "a successful late completion is silent".
#[test]
fn test_timeout_late_cancellation_and_success_are_silent() {
    common::clear();
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let cancelled = Future::<i32>::new();
    let succeeded = Future::<i32>::new();
    let a = gen_::with_timeout(Duration::from_secs(1), cancelled.clone());
    let b = gen_::with_timeout(Duration::from_secs(1), &succeeded);
    clock.advance(Duration::from_secs(1));
    step(&io_loop);
    assert!(a.take_result().unwrap_err().is::<TimeoutError>());
    assert!(b.take_result().unwrap_err().is::<TimeoutError>());
    assert!(cancelled.cancel());
    succeeded.set_result(3).unwrap();
    assert_eq!(succeeded.result().unwrap(), 3);
    drop((cancelled, succeeded));
    assert!(common::app_errors().is_empty(), "{:?}", common::app_errors());
}

// Ports with_timeout's chaining of a cancelled input (Tornado 6.6's
// chain_future): the result is cancelled at once and the timer goes.
#[test]
fn test_timeout_input_cancelled_before_timeout() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let input = Future::<i32>::new();
    let limited = gen_::with_timeout(Duration::from_secs(1), input.clone());
    assert!(input.cancel());
    assert!(limited.done());
    assert!(limited.cancelled());
    let err = limited.take_result().unwrap_err();
    assert!(err.is::<CancelledError>(), "{err}");
    assert!(err.is_cancellation());
    assert_eq!(io_loop.timer_count(), 0);
}

// Ports Tornado 6.6's `with_timeout(..., message=...)`: a custom message,
// used only when the timeout fires.
#[test]
fn test_timeout_custom_message() {
    run(|co| {
        let options = || TimeoutOptions {
            message: Some("took too long".into()),
            ..TimeoutOptions::default()
        };
        let err = co
            .yield_(gen_::with_timeout_with(
                Duration::from_millis(5),
                Future::<()>::new(),
                options(),
            ))
            .unwrap_err();
        assert!(err.is::<TimeoutError>());
        assert_eq!(err.to_string(), "took too long");
        assert_eq!(
            err.downcast_ref::<TimeoutError>().unwrap().message,
            "took too long"
        );
        // Not used when the input wins.
        let v = co.yield_(gen_::with_timeout_with(
            Duration::from_secs(1),
            delayed(Duration::from_millis(5), 1),
            options(),
        ))?;
        assert_eq!(v, 1);
        Ok(())
    })
    .unwrap();
}

// Ports with_timeout's "any yieldable" (4.4) for a coroutine (cf.
// RunnerGCTest.test_gc, `with_timeout(timedelta, tester())`): a coroutine
// that finishes in time gives its result; a slow one times out and keeps
// running to completion.
#[test]
fn test_timeout_around_coroutine() {
    run(|co| {
        let fast = gen_::coroutine(|co| {
            co.yield_(gen_::sleep(Duration::from_millis(10)))?;
            Ok(7)
        });
        assert_eq!(co.yield_(gen_::with_timeout(Duration::from_secs(1), fast))?, 7);

        let finished = Rc::new(Cell::new(false));
        let flag = finished.clone();
        let slow = gen_::coroutine(move |co| {
            co.yield_(gen_::sleep(Duration::from_secs(2)))?;
            flag.set(true);
            Ok(8)
        });
        let err = co
            .yield_(gen_::with_timeout(Duration::from_secs(1), slow))
            .unwrap_err();
        assert!(err.is::<TimeoutError>());
        assert!(!finished.get());
        co.yield_(gen_::sleep(Duration::from_secs(2)))?;
        assert!(finished.get(), "the coroutine was not cancelled");
        Ok(())
    })
    .unwrap();
}

// Ports with_timeout around a list (convert_yielded makes it a multi).
#[test]
fn test_timeout_around_list() {
    run(|co| {
        let both = co.yield_(gen_::with_timeout(
            Duration::from_secs(1),
            vec![
                delayed(Duration::from_millis(20), 1),
                delayed(Duration::from_millis(10), 2),
            ],
        ))?;
        assert_eq!(both, vec![1, 2]);

        let err = co
            .yield_(gen_::with_timeout(
                Duration::from_secs(1),
                vec![
                    delayed(Duration::from_millis(20), 1),
                    delayed(Duration::from_secs(20), 2),
                ],
            ))
            .unwrap_err();
        assert!(err.is::<TimeoutError>());

        // A tuple of different types, and an all-done list (no timer).
        let timers = IOLoop::current().timer_count();
        let t = gen_::with_timeout(Duration::from_secs(1), (Future::ready(1), Future::ready("a")));
        assert!(t.done());
        assert_eq!(IOLoop::current().timer_count(), timers);
        assert_eq!(co.yield_(t)?, (1, "a"));
        Ok(())
    })
    .unwrap();
}

// ====================================================================
// WaitIteratorTest
// ====================================================================

// Ports WaitIteratorTest.test_empty_iterator (the "args and kwargs at once"
// ValueError cannot be written in Rust: `new` and `keyed` are separate).
#[test]
fn test_empty_iterator() {
    let _io_loop = IOLoop::new();
    let g = WaitIterator::new(Vec::<Future<i32>>::new());
    assert!(g.done(), "empty generator iterated");
    assert_eq!(g.current_index(), None, "bad nil current index");
    assert!(g.current_future().is_none(), "bad nil current future");
    assert_eq!(g.remaining(), 0);
}

// Ports WaitIteratorTest.test_already_done: done inputs come in argument
// order, positional and keyed; `done()` then resets the current fields.
#[test]
fn test_already_done() {
    run(|co| {
        let (f1, f2, f3) = (Future::ready(24), Future::ready(42), Future::ready(84));
        let g = WaitIterator::new(vec![&f1, &f2, &f3]);
        let mut i = 0;
        while !g.done() {
            let r = co.yield_(g.next())?;
            let (index, future, value) = match i {
                0 => (0, &f1, 24),
                1 => (1, &f2, 42),
                2 => (2, &f3, 84),
                _ => panic!("too many results"),
            };
            assert_eq!(g.current_index(), Some(index));
            assert!(g.current_future().unwrap().ptr_eq(future));
            assert_eq!(r, value);
            i += 1;
        }
        assert_eq!(i, 3);
        assert_eq!(g.current_index(), None, "bad nil current index");
        assert!(g.current_future().is_none(), "bad nil current future");

        let dg = WaitIterator::keyed(vec![("f1", &f1), ("f2", &f2)]);
        let mut seen = Vec::new();
        while !dg.done() {
            let dr = co.yield_(dg.next())?;
            match dg.current_index() {
                Some("f1") => assert!(dg.current_future().unwrap().ptr_eq(&f1) && dr == 24),
                Some("f2") => assert!(dg.current_future().unwrap().ptr_eq(&f2) && dr == 42),
                other => panic!("got bad WaitIterator index {other:?}"),
            }
            seen.push(dg.current_index().unwrap());
        }
        assert_eq!(seen, vec!["f1", "f2"]);
        assert_eq!(dg.current_index(), None);
        assert!(dg.current_future().is_none());
        Ok(())
    })
    .unwrap();
}

/// WaitIteratorTest.finish_coroutines: resolves the futures at set loop
/// iterations (3: f2, 5: f0 fails, 8: f1 then f3).
fn finish_coroutines(iteration: u32, futures: Vec<Future<i32>>) {
    match iteration {
        3 => futures[2].set_result(24).unwrap(),
        5 => futures[0].set_exception(ZeroDivisionError).unwrap(),
        8 => {
            futures[1].set_result(42).unwrap();
            futures[3].set_result(84).unwrap();
        }
        _ => {}
    }
    if iteration < 8 {
        IOLoop::current().add_callback(move || finish_coroutines(iteration + 1, futures));
    }
}

// Ports WaitIteratorTest.test_iterator: results in completion order, an
// error delivered through next() (with current_future the failed input),
// and iteration going on after it.
#[test]
fn test_iterator() {
    run(|co| {
        let futures: Vec<Future<i32>> = (0..4).map(|_| Future::new()).collect();
        finish_coroutines(0, futures.clone());
        let g = WaitIterator::new(futures.clone());
        let mut i = 0;
        let mut order = Vec::new();
        while !g.done() {
            match co.yield_(g.next()) {
                Err(error) => {
                    assert!(error.is::<ZeroDivisionError>(), "{error}");
                    assert!(
                        g.current_future().unwrap().ptr_eq(&futures[0]),
                        "exception future invalid"
                    );
                    assert_eq!(i, 1);
                }
                Ok(r) => match i {
                    0 => {
                        assert_eq!(r, 24, "iterator value incorrect");
                        assert_eq!(g.current_index(), Some(2), "wrong index");
                    }
                    2 => {
                        assert_eq!(r, 42, "iterator value incorrect");
                        assert_eq!(g.current_index(), Some(1), "wrong index");
                    }
                    3 => {
                        assert_eq!(r, 84, "iterator value incorrect");
                        assert_eq!(g.current_index(), Some(3), "wrong index");
                    }
                    _ => panic!("unexpected result {r} at {i}"),
                },
            }
            order.push(g.current_index().unwrap());
            i += 1;
        }
        assert_eq!(order, vec![2, 0, 1, 3]);
        Ok(())
    })
    .unwrap();
}

// Ports WaitIteratorTest.test_iterator_async_await with `co.wait_iter`,
// the Rust iterator over a WaitIterator. Unlike Python's `async for`,
// which stops at the first exception, errors are items and the iteration
// goes on.
#[test]
fn test_iterator_wait_iter() {
    run(|co| {
        let futures: Vec<Future<i32>> = (0..4).map(|_| Future::new()).collect();
        finish_coroutines(0, futures.clone());
        let g = WaitIterator::new(futures);
        let items: Vec<(usize, Result<i32, String>)> = co
            .wait_iter(&g)
            .map(|(i, r)| (i, r.map_err(|e| e.to_string())))
            .collect();
        assert_eq!(
            items,
            vec![
                (2, Ok(24)),
                (0, Err("division by zero".to_owned())),
                (1, Ok(42)),
                (3, Ok(84)),
            ]
        );
        assert!(g.done());
        Ok(())
    })
    .unwrap();
}

// gust-specific (the completion order of WaitIteratorTest on a clock):
// inputs finishing at different times come in that order, keyed by name,
// each as soon as it is done.
#[test]
fn test_iterator_keyed_completion_order() {
    run(|co| {
        let start = IOLoop::current().time();
        let g = WaitIterator::keyed(vec![
            ("slow".to_owned(), delayed(Duration::from_millis(30), 3)),
            ("fast".to_owned(), delayed(Duration::from_millis(10), 1)),
            ("middle".to_owned(), delayed(Duration::from_millis(20), 2)),
        ]);
        let mut seen = Vec::new();
        for (key, result) in co.wait_iter(&g) {
            seen.push((key, result?, elapsed_since(start).as_millis()));
        }
        assert_eq!(
            seen,
            vec![
                ("fast".to_owned(), 1, 10),
                ("middle".to_owned(), 2, 20),
                ("slow".to_owned(), 3, 30),
            ]
        );
        Ok(())
    })
    .unwrap();
}

// Ports WaitIterator.done()'s documented reset: current_index and
// current_future stay set until done() returns true, then are None.
#[test]
fn test_done_resets_current_fields() {
    let _io_loop = IOLoop::new();
    let (a, b) = (Future::new(), Future::new());
    let g = WaitIterator::new(vec![a.clone(), b.clone()]);
    assert_eq!(g.remaining(), 2);
    b.set_result("b").unwrap();
    assert_eq!(g.next().take_result().unwrap(), "b");
    assert_eq!(g.current_index(), Some(1));
    assert!(!g.done());
    assert_eq!(g.current_index(), Some(1), "done() == false leaves it");
    let pending = g.next();
    assert!(!pending.done());
    a.set_result("a").unwrap();
    assert!(pending.done(), "delivered into the waiting next()");
    assert_eq!(g.current_index(), Some(0));
    assert!(g.current_future().unwrap().ptr_eq(&a));
    assert_eq!(g.remaining(), 0);
    assert!(g.done());
    assert_eq!(g.current_index(), None);
    assert!(g.current_future().is_none());
    assert_eq!(pending.take_result().unwrap(), "a");
}

// Ports Tornado 6.6's duplicate-input fix (#2029): the same future passed
// twice is delivered twice, its indices in input order. Passed by
// reference, each delivery copies the result; by value, the second one
// finds it taken.
#[test]
fn test_duplicate_future() {
    run(|co| {
        let f = Future::new();
        let g = Future::new();
        let (fs, gs) = (f.clone(), g.clone());
        IOLoop::current().add_callback(move || {
            gs.set_result(2).unwrap();
            fs.set_result(1).unwrap();
        });
        let wi = WaitIterator::new(vec![&f, &g, &f]);
        let items: Vec<(usize, i32)> = co
            .wait_iter(&wi)
            .map(|(i, r)| r.map(|v| (i, v)))
            .collect::<Result<_, _>>()?;
        assert_eq!(items, vec![(1, 2), (0, 1), (2, 1)]);
        assert_eq!(f.result().unwrap(), 1);

        let h = Future::ready(5);
        let by_value = WaitIterator::new(vec![h.clone(), h.clone()]);
        assert_eq!(co.yield_(by_value.next())?, 5);
        let err = co.yield_(by_value.next()).unwrap_err();
        assert!(err.is::<InvalidStateError>(), "{err}");
        assert!(by_value.done());
        Ok(())
    })
    .unwrap();
}

// gust-specific (a deliberate improvement): next() after every result was
// handed out fails with InvalidStateError; Tornado's would never resolve.
#[test]
fn test_next_after_done_is_invalid_state() {
    let _io_loop = IOLoop::new();
    let g = WaitIterator::new(vec![Future::ready(1)]);
    assert_eq!(g.next().take_result().unwrap(), 1);
    assert!(g.done());
    let late = g.next();
    assert!(late.done());
    let err = late.take_result().unwrap_err();
    assert!(err.is::<InvalidStateError>(), "{err}");
    assert_eq!(err.kind(), ErrorKind::InvalidState);

    let empty = WaitIterator::new(Vec::<Future<()>>::new());
    assert!(empty.next().take_result().unwrap_err().is::<InvalidStateError>());
}

// Ports WaitIteratorTest.test_no_ref: only the future returned by next()
// is held, not the iterator (nor its input).
#[test]
fn test_no_ref() {
    run(|co| {
        co.yield_(gen_::with_timeout(
            Duration::from_millis(100),
            WaitIterator::new(vec![gen_::sleep(Duration::ZERO)]).next(),
        ))
    })
    .unwrap();

    // The same with several inputs nobody else holds, read one by one.
    run(|co| {
        let g = WaitIterator::new(vec![
            delayed(Duration::from_millis(20), "b"),
            delayed(Duration::from_millis(10), "a"),
        ]);
        let first = g.next();
        let second_from_a_fresh_call = {
            let r = co.yield_(first)?;
            (r, co.yield_(g.next())?)
        };
        assert_eq!(second_from_a_fresh_call, ("a", "b"));
        Ok(())
    })
    .unwrap();
}

// ====================================================================
// Executors (concurrent_test.py RunOnExecutorTest, ioloop_test.py
// TestIOLoopFutures, WithTimeoutTest's concurrent-future cases)
// ====================================================================

// Ports RunOnExecutorTest.test_no_calling: an executor's future is
// yielded directly.
#[test]
fn test_executor_future_yielded_directly() {
    let answer = run_real(|co| {
        let pool = ThreadPoolExecutor::new(1);
        co.yield_(pool.submit(|| 42))
    })
    .unwrap();
    assert_eq!(answer, 42);

    let answer = run_real(|co| {
        let pool = ThreadPoolExecutor::new(1);
        co.yield_(IOLoop::current().run_in_executor(Some(&pool), || 6 * 7))
    })
    .unwrap();
    assert_eq!(answer, 42);
}

// Ports TestIOLoopFutures.test_run_in_executor_gen: two blocking functions
// that would deadlock unless run in parallel, on the default executor.
#[test]
fn test_run_in_executor_gen() {
    let (event1, event2) = (Event::default(), Event::default());
    fn sync_func(me: Event, other: Event, name: &'static str) -> (&'static str, bool) {
        me.set();
        (name, other.wait(Duration::from_secs(5)))
    }
    let res = run_real(move |co| {
        let io_loop = IOLoop::current();
        let (a1, a2) = (event1.clone(), event2.clone());
        co.yield_(vec![
            io_loop.run_in_executor(None, move || sync_func(a1, a2, "event1")),
            io_loop.run_in_executor(None, move || sync_func(event2, event1, "event2")),
        ])
    })
    .unwrap();
    assert_eq!(res, vec![("event1", true), ("event2", true)]);
}

// gust-specific (Python's ThreadPoolExecutor._adjust_thread_count: each
// submit claims an idle worker, or starts a thread while below
// max_workers). Two submits arriving while one worker is idle must not
// both be queued for that worker: the same two co-dependent functions as
// test_run_in_executor_gen, on a fresh pool of two threads whose one
// worker is idle. Whether a faulty pool shows it depends on thread timing,
// so the scenario is repeated on 20 fresh pools.
#[test]
fn test_thread_pool_starts_a_thread_when_the_idle_one_is_claimed() {
    let rounds = run_real(|co| {
        for round in 0..20 {
            let pool = ThreadPoolExecutor::new(2);
            // One worker, then let it go idle (park on its condition
            // variable); this short sleep waits for no result.
            co.yield_(pool.submit(|| ()))?;
            thread::sleep(Duration::from_millis(5));
            let (event1, event2) = (Event::default(), Event::default());
            let (a1, a2, b1, b2) = (event1.clone(), event2.clone(), event2, event1);
            let first = pool.submit(move || {
                a1.set();
                a2.wait(Duration::from_secs(1))
            });
            let second = pool.submit(move || {
                b1.set();
                b2.wait(Duration::from_secs(1))
            });
            let res = co.yield_(vec![first, second])?;
            assert_eq!(
                res,
                vec![true, true],
                "round {round}: the two jobs did not run in parallel although max_workers = 2"
            );
        }
        Ok(20)
    })
    .unwrap();
    assert_eq!(rounds, 20);
}

// Ports TestIOLoopFutures.test_set_default_executor.
#[test]
fn test_set_default_executor() {
    struct MyExecutor {
        count: AtomicUsize,
        pool: ThreadPoolExecutor,
    }
    impl Executor for MyExecutor {
        fn execute(&self, job: Job) {
            self.count.fetch_add(1, Ordering::SeqCst);
            self.pool.execute(job);
        }
    }
    let executor = Arc::new(MyExecutor {
        count: AtomicUsize::new(0),
        pool: ThreadPoolExecutor::new(1),
    });
    let event = Event::default();
    let (e, ex) = (event.clone(), executor.clone());
    run_real(move |co| {
        let io_loop = IOLoop::current();
        io_loop.set_default_executor(ex);
        co.yield_(io_loop.run_in_executor(None, move || e.set()))
    })
    .unwrap();
    assert_eq!(executor.count.load(Ordering::SeqCst), 1);
    assert!(event.is_set());
}

// Ports TestIOLoopFutures.test_add_future_threads, and checks the thread:
// the work runs on a pool thread, the result is delivered (and callbacks
// run) on the loop's thread.
#[test]
fn test_results_arrive_on_the_loop_thread() {
    let loop_thread = thread::current().id();
    let (worker, callback_thread, add_future_thread) = run_real(move |co| {
        let pool = ThreadPoolExecutor::new(1);
        let f = pool.submit(|| thread::current().id());
        let seen = Rc::new(Cell::new(None::<ThreadId>));
        let s = seen.clone();
        f.add_done_callback(move |_| s.set(Some(thread::current().id())));
        let worker = co.yield_(&f)?;

        let g = pool.submit(|| ());
        let out = Future::new();
        let o = out.clone();
        IOLoop::current().add_future(&g, move |done| {
            assert!(done.done());
            assert!(done.take_result().is_ok());
            o.set_result(thread::current().id()).unwrap();
        });
        let add_future_thread = co.yield_(out)?;
        Ok((worker, seen.get().unwrap(), add_future_thread))
    })
    .unwrap();
    assert_ne!(worker, loop_thread, "the work ran on a pool thread");
    assert_eq!(callback_thread, loop_thread);
    assert_eq!(add_future_thread, loop_thread);
}

// gust-specific (concurrent.futures semantics): a panic in the blocking
// function becomes the future's PanicError; the pool keeps working.
#[test]
fn test_executor_panic_becomes_panic_error() {
    run_real(|co| {
        let pool = ThreadPoolExecutor::new(1);
        let err = co
            .yield_(pool.submit(|| -> i32 { panic!("boom in worker") }))
            .unwrap_err();
        assert!(err.is::<PanicError>(), "{err}");
        assert_eq!(err.kind(), ErrorKind::Panic);
        assert!(err.to_string().contains("boom in worker"), "{err}");
        assert_eq!(co.yield_(pool.submit(|| 1))?, 1, "the pool survives");
        Ok(())
    })
    .unwrap();
}

// Ports concurrent.futures' `shutdown(cancel_futures=True)` (3.9) and
// "cannot schedule new futures after shutdown": queued work and later
// submits fail with ExecutorShutdownError; running work finishes.
#[test]
fn test_executor_shutdown_cancels_queued_futures() {
    let io_loop = IOLoop::new();
    let pool = ThreadPoolExecutor::new(1);
    let (started, release) = (Event::default(), Event::default());
    let (s, r) = (started.clone(), release.clone());
    let running = pool.submit(move || {
        s.set();
        r.wait(Duration::from_secs(10))
    });
    assert!(
        started.wait(Duration::from_secs(10)),
        "the first job never started"
    );
    let queued: Vec<Future<i32>> = (0..3).map(|i| pool.submit(move || i)).collect();
    pool.shutdown(false, true);
    release.set();
    let late = pool.submit(|| 99);
    let (first, queued, late) = io_loop
        .run_sync(
            move || {
                gen_::coroutine(move |co| {
                    let first = co.yield_(running)?;
                    let queued: Vec<Result<i32, Error>> = queued.into_iter().map(|f| co.yield_(f)).collect();
                    Ok((first, queued, co.yield_(late)))
                })
            },
            Some(Duration::from_secs(10)),
        )
        .unwrap();
    assert!(first, "the running job finished normally");
    assert_eq!(queued.len(), 3);
    for outcome in queued {
        let err = outcome.unwrap_err();
        assert!(err.is::<ExecutorShutdownError>(), "{err}");
    }
    assert!(late.unwrap_err().is::<ExecutorShutdownError>());
    pool.shutdown(true, false);
}

// Ports "submit after shutdown" with shutdown(wait=True): the future fails
// through the loop, in its next iteration.
#[test]
fn test_submit_after_shutdown() {
    let io_loop = IOLoop::new();
    let pool = ThreadPoolExecutor::new(2);
    assert_eq!(
        io_loop
            .run_sync(
                || ThreadPoolExecutor::new(1).submit(|| 1),
                Some(Duration::from_secs(10))
            )
            .unwrap(),
        1
    );
    pool.shutdown(true, false);
    let f = pool.submit(|| 1);
    assert!(!f.done(), "delivered through the loop");
    step(&io_loop);
    assert!(f.take_result().unwrap_err().is::<ExecutorShutdownError>());
    let g = io_loop.run_in_executor(Some(&pool), || 2);
    let err = io_loop
        .run_sync(move || g, Some(Duration::from_secs(10)))
        .unwrap_err();
    assert!(err.is::<ExecutorShutdownError>(), "{err}");
}

// Ports test_multi_performance's spirit for executors: many concurrent
// submits all arrive, in input order.
#[test]
fn test_many_concurrent_submits() {
    let n = 2000u64;
    let results = run_real(move |co| {
        let pool = ThreadPoolExecutor::new(4);
        let futures: Vec<Future<u64>> = (0..n).map(|i| pool.submit(move || i * 2)).collect();
        co.yield_(futures)
    })
    .unwrap();
    assert_eq!(results.len(), n as usize);
    assert!(results.iter().enumerate().all(|(i, &v)| v == i as u64 * 2));
}

// Ports concurrent.DummyExecutor (Tornado's dummy_executor): the function
// runs at once, on the calling thread, but the result still arrives
// through the loop, in its next iteration.
#[test]
fn test_dummy_executor() {
    let io_loop = IOLoop::new();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let f = io_loop.run_in_executor(Some(&DummyExecutor), move || {
        r.store(true, Ordering::SeqCst);
        thread::current().id()
    });
    assert!(ran.load(Ordering::SeqCst), "ran inline");
    assert!(!f.done(), "delivered through the loop");
    step(&io_loop);
    assert!(f.done());
    assert_eq!(f.take_result().unwrap(), thread::current().id());

    let g = gust::concurrent::submit_to(&DummyExecutor, || -> u8 { panic!("dummy panic") });
    step(&io_loop);
    assert!(g.take_result().unwrap_err().is::<PanicError>());
}

// Ports WithTimeoutTest.test_timeout_concurrent_future: a deadline of
// "now" beats an executor job still running; its late success is silent.
#[test]
fn test_timeout_concurrent_future() {
    common::clear();
    run_real(|co| {
        let pool = ThreadPoolExecutor::new(1);
        let release = Event::default();
        let r = release.clone();
        let job = pool.submit(move || r.wait(Duration::from_secs(10)));
        let err = co
            .yield_(gen_::with_timeout(IOLoop::current().time(), &job))
            .unwrap_err();
        assert!(err.is::<TimeoutError>(), "{err}");
        release.set();
        assert!(co.yield_(&job)?, "the job was not cancelled");
        Ok(())
    })
    .unwrap();
    assert!(common::app_errors().is_empty(), "{:?}", common::app_errors());
}

// Ports WithTimeoutTest.test_completed_concurrent_future: an executor
// future already done when given to with_timeout: done at once, no timer.
#[test]
fn test_completed_concurrent_future() {
    run_real(|co| {
        let pool = ThreadPoolExecutor::new(1);
        let f = pool.submit(|| "dummy");
        co.yield_(&f)?; // wait for completion
        let io_loop = IOLoop::current();
        let timers = io_loop.timer_count();
        let limited = gen_::with_timeout(Duration::from_secs(3600), &f);
        assert!(limited.done());
        assert_eq!(io_loop.timer_count(), timers);
        assert_eq!(co.yield_(limited)?, "dummy");
        Ok(())
    })
    .unwrap();
}

// Ports WithTimeoutTest.test_normal_concurrent_future: an executor future
// resolving while with_timeout waits; the timer is then removed.
#[test]
fn test_normal_concurrent_future() {
    run_real(|co| {
        let pool = ThreadPoolExecutor::new(1);
        let io_loop = IOLoop::current();
        let timers = io_loop.timer_count();
        let limited = gen_::with_timeout(
            Duration::from_secs(3600),
            pool.submit(|| (1..=10).product::<u64>()),
        );
        assert_eq!(io_loop.timer_count(), timers + 1);
        assert_eq!(co.yield_(limited)?, 3_628_800);
        assert_eq!(io_loop.timer_count(), timers);
        Ok(())
    })
    .unwrap();
}

// ====================================================================
// Legacy interface: GenEngineTest (Tornado 4.5)
// ====================================================================

/// GenEngineTest's `self.stop()`.
#[derive(Clone)]
struct Stop(Future<()>);

impl Stop {
    fn stop(&self) {
        let _ = self.0.set_result(());
    }
}

/// GenEngineTest.run_gen: runs `f` (which starts an engine function) on a
/// fresh loop whose clock jumps, until it calls [`Stop::stop`]. Returns the
/// errors logged on the application log meanwhile (an engine function's
/// only error channel, as Tornado raises them into `wait()`). One that
/// never stops ends the wait after 5 virtual seconds.
fn run_gen(f: impl FnOnce(Stop) + 'static) -> Result<(), Vec<String>> {
    common::clear();
    let io_loop = IOLoop::with_clock(ManualClock::autojump());
    let stopped = Future::new();
    let stop = Stop(stopped.clone());
    let outcome = io_loop.run_sync(
        move || {
            f(stop);
            stopped
        },
        Some(Duration::from_secs(5)),
    );
    let errors = common::app_errors();
    match outcome {
        Ok(()) if errors.is_empty() => Ok(()),
        _ => Err(errors),
    }
}

/// Asserts that exactly one error was logged, by an engine function
/// (`Exception in callback NAME: ...`), and that it contains `needle`.
fn assert_engine_error(errors: &[String], needle: &str) {
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("Exception in callback "), "{}", errors[0]);
    assert!(
        errors[0].contains(needle),
        "{:?} does not contain {needle:?}",
        errors[0]
    );
}

/// GenEngineTest.delay_callback: runs `callback` after `iterations` loop
/// iterations.
fn delay_callback(iterations: u32, callback: impl FnOnce() + 'static) {
    if iterations == 0 {
        callback();
    } else {
        IOLoop::current().add_callback(move || delay_callback(iterations - 1, callback));
    }
}

// Ports GenEngineTest.test_no_yield.
#[test]
fn test_no_yield() {
    run_gen(|stop| {
        gen_::engine(move |_co| {
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_inline_cb. In gust the engine function runs to
// the end inside the call (Tornado 4.5 deferred the first YieldPoint by one
// iteration).
#[test]
fn test_inline_cb() {
    let io_loop = IOLoop::new();
    let finished = Rc::new(Cell::new(false));
    let flag = finished.clone();
    gen_::engine(move |co| {
        (co.yield_(Callback::new("k1"))?).call();
        let () = co.yield_(Wait::<()>::new("k1"))?; // `res is None`
        flag.set(true);
        Ok(())
    });
    assert!(finished.get());
    assert_eq!(io_loop.iterations(), 0);

    run_gen(|stop| {
        gen_::engine(move |co| {
            (co.yield_(Callback::new("k1"))?).call();
            co.yield_(Wait::<()>::new("k1"))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_ioloop_cb.
#[test]
fn test_ioloop_cb() {
    run_gen(|stop| {
        gen_::engine(move |co| {
            let cb = co.yield_(Callback::new("k1"))?;
            IOLoop::current().add_callback(move || cb.call());
            co.yield_(Wait::<()>::new("k1"))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_exception_phase1: the failure is logged.
#[test]
fn test_exception_phase1() {
    let errors = run_gen(|_stop| gen_::engine::<(), _>(|_co| Err(ZeroDivisionError.into()))).unwrap_err();
    assert_engine_error(&errors, ": division by zero");
}

// Ports GenEngineTest.test_exception_phase2.
#[test]
fn test_exception_phase2() {
    let errors = run_gen(|_stop| {
        gen_::engine::<(), _>(|co| {
            let cb = co.yield_(Callback::new("k1"))?;
            IOLoop::current().add_callback(move || cb.call());
            co.yield_(Wait::<()>::new("k1"))?;
            Err(ZeroDivisionError.into())
        })
    })
    .unwrap_err();
    assert_engine_error(&errors, ": division by zero");
}

// Ports GenEngineTest.test_exception_in_task_phase1: the function given to
// Task fails (in Rust: panics) before calling back; the yield fails.
#[test]
fn test_exception_in_task_phase1() {
    run_gen(|stop| {
        gen_::engine(move |co| {
            let outcome = co.yield_(gen_::Task(|_callback: TaskCallback<()>| {
                panic!("division by zero")
            }));
            let err = outcome.expect_err("did not get expected exception");
            assert!(err.is::<PanicError>(), "{err}");
            assert!(err.to_string().contains("division by zero"));
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_with_arg.
#[test]
fn test_with_arg() {
    run_gen(|stop| {
        gen_::engine(move |co| {
            (co.yield_(Callback::new("k1"))?).call_with(42);
            let res = co.yield_(Wait::<i32>::new("k1"))?;
            assert_eq!(res, 42);
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_with_arg_tuple: a tuple value (keys are strings
// or integers in gust, so the tuple key (1, 2) is an integer here).
#[test]
fn test_with_arg_tuple() {
    run_gen(|stop| {
        gen_::engine(move |co| {
            (co.yield_(Callback::new(12))?).call_with((3, 4));
            let res = co.yield_(Wait::<(i32, i32)>::new(12))?;
            assert_eq!(res, (3, 4));
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_key_reuse.
#[test]
fn test_key_reuse() {
    let errors = run_gen(|stop| {
        gen_::engine(move |co| {
            co.yield_(Callback::new("k1"))?;
            co.yield_(Callback::new("k1"))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap_err();
    assert_engine_error(&errors, ": key 'k1' is already pending");

    // The error type, caught in the coroutine, and an integer key.
    run(|co| {
        co.yield_(Callback::new(7))?;
        let err = co.yield_(Callback::new(7)).unwrap_err();
        assert_eq!(err.downcast_ref::<KeyReuseError>().unwrap().key, 7.into());
        assert_eq!(err.to_string(), "key 7 is already pending");
        Ok(())
    })
    .unwrap();
}

// Ports GenEngineTest.test_key_mismatch.
#[test]
fn test_key_mismatch() {
    let errors = run_gen(|stop| {
        gen_::engine(move |co| {
            co.yield_(Callback::new("k1"))?;
            co.yield_(Wait::<()>::new("k2"))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap_err();
    assert_engine_error(&errors, ": key 'k2' is not pending");
}

// Ports GenEngineTest.test_leaked_callback.
#[test]
fn test_leaked_callback() {
    let errors = run_gen(|stop| {
        gen_::engine(move |co| {
            co.yield_(Callback::new("k1"))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap_err();
    assert_engine_error(&errors, ": finished without waiting for callbacks {'k1'}");
}

// Ports GenEngineTest.test_leaked_callback_tuple: in gust, with an integer
// key and with a tuple of Callbacks (a tuple multi of YieldPoints).
#[test]
fn test_leaked_callback_tuple() {
    let errors = run_gen(|stop| {
        gen_::engine(move |co| {
            co.yield_(Callback::new(1))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap_err();
    assert_engine_error(&errors, ": finished without waiting for callbacks {1}");

    let err = run(|co| {
        let (_a, _b) = co.yield_((Callback::new("k1"), Callback::new("k2")))?;
        Ok(())
    })
    .unwrap_err();
    assert!(err.is::<LeakedCallbackError>(), "{err}");
    assert_eq!(
        err.to_string(),
        "finished without waiting for callbacks {'k1', 'k2'}"
    );
}

// Ports GenEngineTest.test_parallel_callback.
#[test]
fn test_parallel_callback() {
    run_gen(|stop| {
        gen_::engine(move |co| {
            let io_loop = IOLoop::current();
            for k in 0..3 {
                let cb = co.yield_(Callback::new(k))?;
                io_loop.add_callback(move || cb.call());
            }
            co.yield_(Wait::<()>::new(1))?;
            let cb = co.yield_(Callback::new(3))?;
            io_loop.add_callback(move || cb.call());
            co.yield_(Wait::<()>::new(0))?;
            co.yield_(Wait::<()>::new(3))?;
            co.yield_(Wait::<()>::new(2))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_reuse: the same engine function run twice.
#[test]
fn test_reuse() {
    let f = |stop: Stop| {
        gen_::engine(move |co| {
            let cb = co.yield_(Callback::new(0))?;
            IOLoop::current().add_callback(move || cb.call());
            co.yield_(Wait::<()>::new(0))?;
            stop.stop();
            Ok(())
        })
    };
    run_gen(f).unwrap();
    run_gen(f).unwrap();
}

// Ports GenEngineTest.test_task: `yield gen.Task(self.io_loop.add_callback)`.
#[test]
fn test_task() {
    run_gen(|stop| {
        gen_::engine(move |co| {
            co.yield_(gen_::Task(|cb: TaskCallback<()>| {
                IOLoop::current().add_callback(move || cb.call(()))
            }))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_wait_all.
#[test]
fn test_wait_all() {
    run_gen(|stop| {
        gen_::engine(move |co| {
            (co.yield_(Callback::new("k1"))?).call_with("v1");
            (co.yield_(Callback::new("k2"))?).call_with("v2");
            let results = co.yield_(WaitAll::<&str>::new(["k1", "k2"]))?;
            assert_eq!(results, vec!["v1", "v2"]);
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_exception_in_yield.
#[test]
fn test_exception_in_yield() {
    run_gen(|stop| {
        gen_::engine(move |co| {
            let err = co
                .yield_(Wait::<()>::new("k1"))
                .expect_err("did not get expected exception");
            assert!(err.is::<UnknownKeyError>(), "{err}");
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_resume_after_exception_in_yield.
#[test]
fn test_resume_after_exception_in_yield() {
    run_gen(|stop| {
        gen_::engine(move |co| {
            let err = co
                .yield_(Wait::<()>::new("k1"))
                .expect_err("did not get expected exception");
            assert!(err.is::<UnknownKeyError>(), "{err}");
            (co.yield_(Callback::new("k2"))?).call_with("v2");
            assert_eq!(co.yield_(Wait::<&str>::new("k2"))?, "v2");
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_orphaned_callback: the leaked callback may still
// be called afterwards, harmlessly.
#[test]
fn test_orphaned_callback() {
    let orphan: Rc<RefCell<Option<ResultCallback>>> = Rc::new(RefCell::new(None));
    let slot = orphan.clone();
    let errors = run_gen(move |_stop| {
        gen_::engine(move |co| {
            *slot.borrow_mut() = Some(co.yield_(Callback::new(1))?);
            Ok(())
        })
    })
    .unwrap_err();
    assert_engine_error(&errors, "finished without waiting for callbacks {1}");
    let callback = orphan.borrow_mut().take().unwrap();
    callback.call();
    callback.call_with(5);
}

// Ports GenEngineTest.test_multi: a list of Waits is a MultiYieldPoint;
// also as a tuple of different types.
#[test]
fn test_multi() {
    run_gen(|stop| {
        gen_::engine(move |co| {
            (co.yield_(Callback::new("k1"))?).call_with("v1");
            (co.yield_(Callback::new("k2"))?).call_with("v2");
            let results = co.yield_(vec![Wait::<&str>::new("k1"), Wait::new("k2")])?;
            assert_eq!(results, vec!["v1", "v2"]);

            (co.yield_(Callback::new("k1"))?).call_with("v1");
            (co.yield_(Callback::new("k2"))?).call_with(2);
            let tuple = co.yield_((Wait::<&str>::new("k1"), Wait::<i32>::new("k2")))?;
            assert_eq!(tuple, ("v1", 2));
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_multi_dict (a BTreeMap of Waits).
#[test]
fn test_multi_dict() {
    run_gen(|stop| {
        gen_::engine(move |co| {
            (co.yield_(Callback::new("k1"))?).call_with("v1");
            (co.yield_(Callback::new("k2"))?).call_with("v2");
            let results = co.yield_(BTreeMap::from([
                ("foo", Wait::<&str>::new("k1")),
                ("bar", Wait::new("k2")),
            ]))?;
            assert_eq!(results, BTreeMap::from([("foo", "v1"), ("bar", "v2")]));
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

/// `gen.Task(self.delay_callback, iterations, arg=arg)`.
fn delayed_task(iterations: u32, arg: &'static str) -> Future<&'static str> {
    gen_::Task(move |cb: TaskCallback<&'static str>| delay_callback(iterations, move || cb.call(arg)))
}

// Ports GenEngineTest.test_multi_yieldpoint_delayed: `gen.Multi([Task,
// Task])`, children finishing at different times; also a list of Waits,
// which yielding makes a MultiYieldPoint.
#[test]
fn test_multi_yieldpoint_delayed() {
    run_gen(|stop| {
        gen_::engine(move |co| {
            // callbacks run at different times
            let responses = co.yield_(MultiYieldPoint::new(
                vec![delayed_task(3, "v1"), delayed_task(1, "v2")],
                QuietExceptions::none(),
            ))?;
            assert_eq!(responses, vec!["v1", "v2"]);

            let cb1 = co.yield_(Callback::new("v1"))?;
            delay_callback(3, move || cb1.call_with("v1"));
            let cb2 = co.yield_(Callback::new("v2"))?;
            delay_callback(1, move || cb2.call_with("v2"));
            let responses = co.yield_(vec![Wait::<&str>::new("v1"), Wait::new("v2")])?;
            assert_eq!(responses, vec!["v1", "v2"]);
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_multi_yieldpoint_dict_delayed: `gen.Multi(dict(
// foo=Task, bar=Task))`; also a map of Waits.
#[test]
fn test_multi_yieldpoint_dict_delayed() {
    run_gen(|stop| {
        gen_::engine(move |co| {
            let responses = co.yield_(MultiYieldPoint::from_map(
                HashMap::from([("foo", delayed_task(3, "v1")), ("bar", delayed_task(1, "v2"))]),
                QuietExceptions::none(),
            ))?;
            assert_eq!(responses, HashMap::from([("foo", "v1"), ("bar", "v2")]));

            let cb1 = co.yield_(Callback::new("v1"))?;
            delay_callback(3, move || cb1.call_with("v1"));
            let cb2 = co.yield_(Callback::new("v2"))?;
            delay_callback(1, move || cb2.call_with("v2"));
            let responses = co.yield_(BTreeMap::from([
                ("foo", Wait::<&str>::new("v1")),
                ("bar", Wait::new("v2")),
            ]))?;
            assert_eq!(responses, BTreeMap::from([("foo", "v1"), ("bar", "v2")]));
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_multi_exceptions (`gen.Multi`): the first error
// wins, later ones are logged unless quiet, a single one is not logged.
#[test]
fn test_multi_exceptions() {
    common::clear();
    run(|co| {
        let err = co
            .yield_(MultiYieldPoint::new(
                vec![
                    async_exception::<i32>(RuntimeError("error 1")),
                    async_exception::<i32>(RuntimeError("error 2")),
                ],
                QuietExceptions::none(),
            ))
            .unwrap_err();
        assert_eq!(err.to_string(), "error 1");
        assert_eq!(
            common::app_errors(),
            vec!["Multiple exceptions in yield list: error 2".to_owned()]
        );

        // With only one exception, no error is logged.
        common::clear();
        let err = co
            .yield_(MultiYieldPoint::new(
                vec![async_exception::<i32>(RuntimeError("error 1")), Future::ready(2)],
                QuietExceptions::none(),
            ))
            .unwrap_err();
        assert!(err.is::<RuntimeError>());

        // Exception logging may be explicitly quieted.
        let err = co
            .yield_(MultiYieldPoint::new(
                vec![
                    async_exception::<i32>(RuntimeError("error 1")),
                    async_exception::<i32>(RuntimeError("error 2")),
                ],
                QuietExceptions::of::<RuntimeError>(),
            ))
            .unwrap_err();
        assert!(err.is::<RuntimeError>());
        assert!(common::app_errors().is_empty(), "{:?}", common::app_errors());
        Ok(())
    })
    .unwrap();
}

// Ports GenEngineTest.test_multi_future_delayed and
// test_multi_future_dict_delayed: Tasks are futures, so multi_future works.
#[test]
fn test_multi_future_delayed() {
    let task = delayed_task;
    run_gen(move |stop| {
        gen_::engine(move |co| {
            let responses = co.yield_(gen_::multi_future(vec![task(3, "v1"), task(1, "v2")]))?;
            assert_eq!(responses, vec!["v1", "v2"]);
            let responses = co.yield_(gen_::multi_future(BTreeMap::from([
                ("foo", task(3, "v1")),
                ("bar", task(1, "v2")),
            ])))?;
            assert_eq!(responses, BTreeMap::from([("foo", "v1"), ("bar", "v2")]));
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_multi_performance: a list of 2000 Tasks.
#[test]
fn test_multi_performance() {
    let started = Instant::now();
    let n = run(|co| {
        let tasks: Vec<Future<()>> = (0..2000)
            .map(|_| gen_::Task(|cb: TaskCallback<()>| IOLoop::current().add_callback(move || cb.call(()))))
            .collect();
        Ok(co.yield_(tasks)?.len())
    })
    .unwrap();
    assert_eq!(n, 2000);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

// Ports GenEngineTest.test_multi_mixed_types: a YieldPoint (Wait) and a
// future (Task) in one collection use the YieldPoint path. (A Vec holds one
// type, so the mix is a tuple.)
#[test]
fn test_multi_mixed_types() {
    run(|co| {
        (co.yield_(Callback::new("k1"))?).call_with("v1");
        let responses = co.yield_((
            Wait::<&str>::new("k1"),
            gen_::Task(|cb: TaskCallback<&'static str>| delay_callback(3, move || cb.call("v2"))),
        ))?;
        assert_eq!(responses, ("v1", "v2"));
        Ok(())
    })
    .unwrap();
}

// Ports MultiYieldPoint's error rule (as test_multi_exceptions) for a
// tuple mixing a Wait and failing futures (the tuple YieldPoint path): the
// first error in input order wins, later ones are logged as "Multiple
// exceptions in yield list".
#[test]
fn test_multi_yieldpoint_exceptions() {
    common::clear();
    run(|co| {
        (co.yield_(Callback::new("k1"))?).call_with(1);
        let err = co
            .yield_((
                Wait::<i32>::new("k1"),
                async_exception::<i32>(RuntimeError("error 1")),
                async_exception::<i32>(RuntimeError("error 2")),
            ))
            .unwrap_err();
        assert_eq!(err.to_string(), "error 1");
        Ok(())
    })
    .unwrap();
    assert_eq!(
        common::app_errors(),
        vec!["Multiple exceptions in yield list: error 2".to_owned()]
    );
}

// Ports GenEngineTest.test_arguments: the argument adapter gives () for no
// arguments, the value for one, and Arguments for several or keywords.
#[test]
fn test_arguments() {
    run_gen(|stop| {
        gen_::engine(move |co| {
            (co.yield_(Callback::new("noargs"))?).call();
            let () = co.yield_(Wait::<()>::new("noargs"))?;
            (co.yield_(Callback::new("1arg"))?).call_with(42);
            assert_eq!(co.yield_(Wait::<i32>::new("1arg"))?, 42);

            // Through the adapter: no arguments, and exactly one.
            (co.yield_(Callback::new("adapted0"))?).call_args(Arguments::default());
            co.yield_(Wait::<()>::new("adapted0"))?;
            (co.yield_(Callback::new("adapted1"))?).call_args(Arguments::positional(vec![Box::new(42)]));
            assert_eq!(co.yield_(Wait::<i32>::new("adapted1"))?, 42);

            (co.yield_(Callback::new("kwargs"))?).call_args(Arguments {
                args: vec![],
                kwargs: vec![("value".to_owned(), Box::new(42))],
            });
            let result = co.yield_(Wait::<Arguments>::new("kwargs"))?;
            assert!(result.args.is_empty());
            assert_eq!(result.kwargs.len(), 1);
            assert_eq!(result.kwarg::<i32>("value"), Some(&42));

            (co.yield_(Callback::new("2args"))?)
                .call_args(Arguments::positional(vec![Box::new(42), Box::new(43)]));
            let result = co.yield_(Wait::<Arguments>::new("2args"))?;
            assert!(result.kwargs.is_empty());
            assert_eq!(
                (result.arg::<i32>(0), result.arg::<i32>(1)),
                (Some(&42), Some(&43))
            );

            // Task's callback takes one value; several are passed as
            // Arguments explicitly.
            let result = co.yield_(gen_::Task(|callback: TaskCallback<Arguments>| {
                callback.call(Arguments {
                    args: vec![Box::new(None::<i32>)],
                    kwargs: vec![("error".to_owned(), Box::new("foo"))],
                })
            }))?;
            assert_eq!(result.arg::<Option<i32>>(0), Some(&None));
            assert_eq!(result.kwarg::<&str>("error"), Some(&"foo"));
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// gust-specific: a Wait whose callback was called with another type fails
// with ResultTypeError (Python would not notice).
#[test]
fn test_wait_type_mismatch() {
    run(|co| {
        (co.yield_(Callback::new("k"))?).call_with(42i32);
        let err = co.yield_(Wait::<String>::new("k")).unwrap_err();
        let mismatch = err.downcast_ref::<ResultTypeError>().expect("a ResultTypeError");
        assert_eq!(mismatch.got, "i32");
        assert_eq!(mismatch.expected, std::any::type_name::<String>());
        assert!(
            err.to_string()
                .starts_with("the callback for key 'k' was called with a i32")
        );
        Ok(())
    })
    .unwrap();
}

// Ports GenEngineTest.test_sync_raise_return and test_async_raise_return:
// `raise gen.Return()` (no value) is allowed in an engine function.
#[test]
fn test_raise_return_no_value() {
    run_gen(|stop| {
        gen_::engine(move |_co| {
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
    run_gen(|stop| {
        gen_::engine(move |co| {
            co.yield_(gen_::Task(|cb: TaskCallback<()>| {
                IOLoop::current().add_callback(move || cb.call(()))
            }))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_return_value and test_return_value_tuple (and
// test_sync_raise_return_value*): an engine function may not return a value.
#[test]
fn test_return_value() {
    let errors = run_gen(|_stop| gen_::engine(|_co| Ok(42))).unwrap_err();
    assert_engine_error(&errors, ": @gen.engine functions cannot return values: 42");
    let errors = run_gen(|_stop| gen_::engine(|_co| Ok((1, 2)))).unwrap_err();
    assert_engine_error(&errors, ": @gen.engine functions cannot return values: (1, 2)");
}

// Ports GenEngineTest.test_async_raise_return_value and
// test_async_raise_return_value_tuple.
#[test]
fn test_async_return_value() {
    let errors = run_gen(|_stop| {
        gen_::engine(|co| {
            co.yield_(gen_::Task(|cb: TaskCallback<()>| {
                IOLoop::current().add_callback(move || cb.call(()))
            }))?;
            Ok((1, 2))
        })
    })
    .unwrap_err();
    assert_engine_error(&errors, ": @gen.engine functions cannot return values: (1, 2)");
    assert_eq!(
        ReturnValueIgnoredError {
            message: "@gen.engine functions cannot return values: 42".to_owned()
        }
        .to_string(),
        "@gen.engine functions cannot return values: 42"
    );
}

// gust-specific (the legacy interface with futures): converting a
// YieldPoint to a future fails with BadYieldError — convert_yielded,
// with_timeout, multi, WaitIterator and run_sync all convert.
#[test]
fn test_yield_point_as_future_is_bad_yield() {
    let io_loop = IOLoop::new();
    let err = gen_::convert_yielded(Wait::<i32>::new("k"))
        .take_result()
        .unwrap_err();
    assert!(err.is::<BadYieldError>(), "{err}");
    assert_eq!(err.kind(), ErrorKind::BadYield);
    assert!(err.to_string().starts_with("yielded unknown object "), "{err}");
    assert!(err.to_string().contains("Wait"), "{err}");

    let err = gen_::with_timeout(Duration::from_secs(1), Wait::<i32>::new("k"))
        .take_result()
        .unwrap_err();
    assert!(err.is::<BadYieldError>(), "{err}");
    assert_eq!(io_loop.timer_count(), 0);

    let err = gen_::multi(vec![Wait::<i32>::new("k")])
        .take_result()
        .unwrap_err();
    assert!(err.is::<BadYieldError>(), "{err}");

    let wi = WaitIterator::new(vec![Wait::<i32>::new("k")]);
    assert!(wi.next().take_result().unwrap_err().is::<BadYieldError>());

    let err = io_loop.run_sync(|| Callback::new("k"), None).unwrap_err();
    assert!(err.is::<BadYieldError>(), "{err}");
}

// ====================================================================
// Legacy interface in decorated coroutines: GenCoroutineTest (4.5) and
// GenCoroutineSequenceHandler
// ====================================================================

// Ports GenCoroutineTest.test_async_gen_return: `yield
// gen.Task(self.io_loop.add_callback)`, then return a value.
#[test]
fn test_async_gen_return() {
    let result = run(|co| {
        let f = gen_::coroutine(|co| {
            co.yield_(gen_::Task(|cb: TaskCallback<()>| {
                IOLoop::current().add_callback(move || cb.call(()))
            }))?;
            Ok(42)
        });
        co.yield_(f)
    })
    .unwrap();
    assert_eq!(result, 42);
}

// Ports GenCoroutineTest.test_async_raise: an error after a Task.
#[test]
fn test_async_raise() {
    run(|co| {
        let future = gen_::coroutine::<(), _>(|co| {
            co.yield_(gen_::Task(|cb: TaskCallback<()>| {
                IOLoop::current().add_callback(move || cb.call(()))
            }))?;
            Err(ZeroDivisionError.into())
        });
        let err = co.yield_(future).unwrap_err();
        assert!(err.is::<ZeroDivisionError>());
        Ok(())
    })
    .unwrap();
}

// Ports GenCoroutineTest.test_pass_callback: a coroutine's result handed
// to a Task's callback.
#[test]
fn test_pass_callback() {
    let result = run(|co| {
        co.yield_(gen_::Task(|callback: TaskCallback<i32>| {
            let f = gen_::coroutine(|_co| Ok(42));
            f.add_done_callback(move |done| callback.call(done.take_result().unwrap()));
        }))
    })
    .unwrap();
    assert_eq!(result, 42);
}

// Ports GenWebTest.test_coroutine_sequence_handler (4.5's
// GenCoroutineSequenceHandler): Callback/Wait in a coroutine, reusing a key
// once its result was consumed.
#[test]
fn test_coroutine_sequence() {
    let body = run(|co| {
        let io_loop = IOLoop::current();
        let mut out = String::new();
        let cb = co.yield_(Callback::new("k1"))?;
        io_loop.add_callback(move || cb.call());
        co.yield_(Wait::<()>::new("k1"))?;
        out.push('1');
        let cb = co.yield_(Callback::new("k2"))?;
        io_loop.add_callback(move || cb.call());
        co.yield_(Wait::<()>::new("k2"))?;
        out.push('2');
        // reuse an old key
        let cb = co.yield_(Callback::new("k1"))?;
        io_loop.add_callback(move || cb.call());
        co.yield_(Wait::<()>::new("k1"))?;
        out.push('3');
        Ok(out)
    })
    .unwrap();
    assert_eq!(body, "123");
}

// Ports 4.5's LeakedCallbackError for a decorated coroutine: the
// coroutine's future fails with it (Tornado raised it out of the Runner).
#[test]
fn test_leaked_callback_in_coroutine() {
    let err = run(|co| {
        co.yield_(gen_::coroutine(|co| {
            co.yield_(Callback::new("k1"))?;
            Ok(())
        }))
    })
    .unwrap_err();
    assert!(err.is::<LeakedCallbackError>(), "{err}");
    assert_eq!(err.to_string(), "finished without waiting for callbacks {'k1'}");
}

// Ports the 4.5 Runner's `had_exception` rule (gen.py Runner.run sets it
// whenever `future.result()` raises, for futures and YieldPoints alike):
// once an error was delivered at a yield, callbacks left pending are not
// reported as leaked.
#[test]
fn test_leaked_callback_skipped_after_exception() {
    // An error from a YieldPoint.
    run(|co| {
        co.yield_(Callback::new("k1"))?;
        assert!(co.yield_(Wait::<()>::new("nope")).is_err());
        Ok(())
    })
    .unwrap();
    // An error from a future.
    run(|co| {
        co.yield_(Callback::new("k1"))?;
        assert!(co.yield_(async_exception::<()>(ZeroDivisionError)).is_err());
        Ok(())
    })
    .unwrap();
}

// gust-specific (a deliberate difference from Tornado 4, whose callbacks
// resumed the coroutine synchronously): a ResultCallback called from a
// loop callback wakes the waiting coroutine, which resumes in the next
// iteration.
#[test]
fn test_result_callback_resumes_next_iteration() {
    let io_loop = IOLoop::new();
    let slot: Rc<RefCell<Option<ResultCallback>>> = Rc::new(RefCell::new(None));
    let s = slot.clone();
    let f = gen_::coroutine(move |co| {
        *s.borrow_mut() = Some(co.yield_(Callback::new("k"))?);
        co.yield_(Wait::<i32>::new("k"))
    });
    assert!(!f.done());
    let runners = gen_::runners(&io_loop);
    assert_eq!(runners.len(), 1);
    assert_eq!(
        runners[0].state,
        RunnerState::Parked(WaitingOn::Driven { kind: "YieldPoint" })
    );

    let callback = slot.borrow_mut().take().unwrap();
    assert_eq!(callback.key(), &"k".into());
    let done_inside = Rc::new(Cell::new(None));
    let (d, g) = (done_inside.clone(), f.clone());
    io_loop.add_callback(move || {
        callback.call_with(5);
        d.set(Some(g.done()));
    });
    step(&io_loop);
    assert_eq!(done_inside.get(), Some(false), "not resumed inside the callback");
    assert_eq!(
        gen_::runners(&io_loop)[0].state,
        RunnerState::Scheduled(WaitingOn::Driven { kind: "YieldPoint" })
    );
    step(&io_loop);
    assert!(f.done());
    assert_eq!(f.take_result().unwrap(), 5);
}
