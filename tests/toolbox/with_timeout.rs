//! WithTimeoutTest

use super::*;

// Ports WithTimeoutTest.test_timeout: TimeoutError("Timeout") at the
// relative deadline.
#[test]
fn test_timeout() {
    try_gen_test(|co| {
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
    try_gen_test(|co| {
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
    try_gen_test(|co| {
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
    try_gen_test(|co| {
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
    let logs = LogCapture::start();
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let input = Future::<i32>::new();
    let limited = gen_::with_timeout(Duration::from_secs(1), input.clone());
    clock.advance(Duration::from_secs(1));
    step(&io_loop);
    assert!(limited.take_result().unwrap_err().is::<TimeoutError>());
    assert!(logs.app_errors().is_empty(), "the timeout itself is not logged");

    input.set_exception(ZeroDivisionError).unwrap();
    let logged = logs.app_errors_containing("after timeout");
    assert_eq!(logged.len(), 1, "{:?}", logs.app_errors());
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
    assert_eq!(logs.app_errors().len(), 1, "{:?}", logs.app_errors());
}

// Ports with_timeout's `quiet_exceptions`: quiet types are not logged,
// others still are.
#[test]
fn test_timeout_quiet_exceptions() {
    let logs = LogCapture::start();
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
    assert!(logs.app_errors().is_empty(), "{:?}", logs.app_errors());
    loud_input.set_exception(ZeroDivisionError).unwrap();
    assert_eq!(logs.app_errors_containing("after timeout").len(), 1);
    drop((quiet_input, loud_input));
    assert_eq!(logs.app_errors().len(), 1, "{:?}", logs.app_errors());
}

// Ports with_timeout's 6.0.3 rule (CancelledError is always quiet) and
// "a successful late completion is silent".
#[test]
fn test_timeout_late_cancellation_and_success_are_silent() {
    let logs = LogCapture::start();
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
    assert!(logs.app_errors().is_empty(), "{:?}", logs.app_errors());
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
    try_gen_test(|co| {
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
    try_gen_test(|co| {
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
    try_gen_test(|co| {
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
