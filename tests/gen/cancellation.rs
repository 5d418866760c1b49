//! Tornado 6.6's cancellation rule: a coroutine that ends with an uncaught
//! `CancelledError` (raised by its body, or received from a cancelled
//! future it yielded) ends with its future cancelled, like an asyncio
//! Task.

use super::*;
use gust::concurrent::CancelledError;

fn assert_cancelled<T: 'static>(f: &Future<T>) {
    assert!(f.done());
    assert!(
        f.cancelled(),
        "the coroutine's future is cancelled, not just failed"
    );
    let error = f.take_result().err().expect("a cancelled future has no result");
    assert!(error.is::<CancelledError>(), "{error}");
    assert_eq!(error.kind(), ErrorKind::Cancelled);
}

// New (Tornado 6.6): a body raising CancelledError before its first yield.
#[test]
fn test_cancelled_error_before_first_yield_cancels_the_future() {
    let _io_loop = IOLoop::with_clock(ManualClock::new());
    let f: Future<()> = gen_::coroutine(|_co| Err(CancelledError.into()));
    assert_cancelled(&f);
}

// New (Tornado 6.6): the same after a yield.
#[test]
fn test_cancelled_error_after_a_yield_cancels_the_future() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let f: Future<()> = gen_::coroutine(|co| {
        co.yield_(gen_::moment)?;
        Err(CancelledError.into())
    });
    assert!(!f.done());
    io_loop.run_until_idle().unwrap();
    assert_cancelled(&f);
}

// New (Tornado 6.6): yielding a future already cancelled, not catching the
// error.
#[test]
fn test_yielding_a_cancelled_future_cancels_the_coroutine() {
    let _io_loop = IOLoop::with_clock(ManualClock::new());
    let input = Future::<i32>::new();
    assert!(input.cancel());
    let f = gen_::coroutine(move |co| co.yield_(input));
    assert_cancelled(&f);
}

// New (Tornado 6.6): a future cancelled while the coroutine waits on it.
#[test]
fn test_a_future_cancelled_while_waited_for_cancels_the_coroutine() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let input = Future::<i32>::new();
    let waited = input.clone();
    let f = gen_::coroutine(move |co| Ok(co.yield_(waited)? + 1));
    assert!(!f.done());
    assert!(input.cancel());
    io_loop.run_until_idle().unwrap();
    assert_cancelled(&f);
    // The caller of the cancelled coroutine is cancelled in turn.
    let outer = gen_::coroutine(move |co| co.yield_(f));
    assert_cancelled(&outer);
}

// A cancellation the body catches is an ordinary error handled: the
// coroutine finishes normally.
#[test]
fn test_a_caught_cancellation_does_not_cancel_the_coroutine() {
    let _io_loop = IOLoop::with_clock(ManualClock::new());
    let input = Future::<i32>::new();
    assert!(input.cancel());
    let f = gen_::coroutine(move |co| match co.yield_(input) {
        Err(e) if e.is::<CancelledError>() => Ok(-1),
        other => other,
    });
    assert!(!f.cancelled());
    assert_eq!(f.take_result().unwrap(), -1);
}

// Other errors stay errors (not cancellations).
#[test]
fn test_other_errors_do_not_cancel() {
    let _io_loop = IOLoop::with_clock(ManualClock::new());
    let f: Future<()> = gen_::coroutine(|_co| Err(KeyError.into()));
    assert!(f.done());
    assert!(!f.cancelled());
    assert!(f.take_result().unwrap_err().is::<KeyError>());
}
