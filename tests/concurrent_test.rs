//! `gust::concurrent::Future` itself: ports of Tornado's
//! `tornado/test/concurrent_test.py` where they apply without sockets, and
//! the asyncio / Tornado 4 Future semantics gust follows (set once,
//! `InvalidStateError`, cancel, done callbacks, `chain_future`,
//! `add_future`), plus gust's own: results moved or copied, shared errors,
//! the error kinds.

mod common;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use gust::ErrorKind;
use gust::concurrent::{CancelledError, Future, InvalidStateError, chain_future, chain_future_cloned};
use gust::gen_;
use gust::ioloop::IOLoopError;
use gust::prelude::*;
use gust::yieldables::{
    AbandonedError, BadYieldError, LoopClosedError, MessageError, PanicError, StackExhaustedError,
    StdErrorAdapter, StoppedBeforeCompletionError, TimeoutError,
};

fn step(io_loop: &IOLoop) {
    io_loop.run_once(Some(Duration::ZERO)).unwrap();
}

// ====================================================================
// MiscFutureTest
// ====================================================================

// Ports MiscFutureTest.test_future_set_result_unless_cancelled.
#[test]
fn test_future_set_result_unless_cancelled() {
    let fut = Future::new();
    fut.set_result_unless_cancelled(42).unwrap();
    assert_eq!(fut.result().unwrap(), 42);
    assert!(!fut.cancelled());

    let fut = Future::new();
    assert!(fut.cancel());
    let is_cancelled = fut.cancelled();
    fut.set_result_unless_cancelled(42).unwrap();
    assert_eq!(fut.cancelled(), is_cancelled);
    assert!(fut.result().unwrap_err().is::<CancelledError>());
}

// Tornado's future_set_exception_unless_cancelled: on a cancelled future
// the error is logged as "Exception after Future was cancelled" instead of
// raising InvalidStateError; a cancellation error is not logged.
#[test]
fn test_future_set_exception_unless_cancelled() {
    common::clear();
    let fut = Future::<i32>::new();
    fut.set_exception_unless_cancelled(Error::msg("boom")).unwrap();
    assert_eq!(fut.exception().unwrap().to_string(), "boom");
    assert!(common::app_errors().is_empty());

    let fut = Future::<i32>::new();
    fut.cancel();
    fut.set_exception_unless_cancelled(Error::msg("boom")).unwrap();
    assert!(fut.exception().unwrap().is::<CancelledError>());
    assert_eq!(
        common::app_errors(),
        vec!["Exception after Future was cancelled: boom".to_owned()]
    );

    common::clear();
    fut.set_exception_unless_cancelled(CancelledError).unwrap();
    fut.set_unless_cancelled(Ok(1)).unwrap();
    assert!(common::app_errors().is_empty());
}

// ====================================================================
// Set once, read when done (asyncio's InvalidStateError)
// ====================================================================

// Setting a done future is an InvalidStateError, returned, not a panic;
// the first outcome stays.
#[test]
fn test_set_twice_is_invalid_state() {
    let f = Future::new();
    f.set_result(1).unwrap();
    let err = f.set_result(2).unwrap_err();
    assert_eq!(err.message, "the future is already done");
    assert!(f.set_exception(Error::msg("late")).is_err());
    assert!(f.set(Ok(3)).is_err());
    assert_eq!(f.result().unwrap(), 1);

    let g = Future::<i32>::failed(Error::msg("first"));
    assert!(g.set_result(1).is_err());
    assert!(g.set_exception(Error::msg("second")).is_err());
    assert_eq!(g.exception().unwrap().to_string(), "first");
}

// Reading a pending future is an InvalidStateError ("Result is not
// ready."); exception() of a pending future is None.
#[test]
fn test_result_before_done_is_invalid_state() {
    let f = Future::<i32>::new();
    assert!(!f.done());
    let err = f.result().unwrap_err();
    assert!(err.is::<InvalidStateError>());
    assert_eq!(err.to_string(), "Result is not ready.");
    let err = f.take_result().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidState);
    assert!(f.exception().is_none());
    // Reading did not change anything: it can still be set.
    f.set_result(5).unwrap();
    assert_eq!(f.result().unwrap(), 5);
}

// result() copies (any number of times); take_result() moves, after which
// every reader gets InvalidStateError saying it was taken.
#[test]
fn test_take_moves_result_copies() {
    let f = Future::ready(vec![1, 2, 3]);
    let g = f.clone();
    assert_eq!(f.result().unwrap(), vec![1, 2, 3]);
    assert_eq!(g.result().unwrap(), vec![1, 2, 3]);
    assert_eq!(g.take_result().unwrap(), vec![1, 2, 3]);
    assert!(f.done(), "a taken future is still done");
    let err = f.result().unwrap_err();
    assert!(err.is::<InvalidStateError>());
    assert_eq!(
        err.to_string(),
        "the future's result was already taken by another consumer"
    );
    assert!(f.take_result().unwrap_err().is::<InvalidStateError>());
    assert!(f.exception().is_none());
    assert!(format!("{f:?}").contains("finished (result taken)"), "{f:?}");
}

// Errors are shared: every consumer of a failed future, however it reads
// it, gets the same error object (Python's one exception instance).
#[test]
fn test_errors_are_shared_by_all_consumers() {
    let _io_loop = IOLoop::new();
    let original = Error::msg("boom");
    let f = Future::<String>::failed(original.clone());
    let by_result = f.result().unwrap_err();
    let by_take = f.take_result().unwrap_err();
    let by_take_again = f.take_result().unwrap_err();
    let by_exception = f.exception().unwrap();
    let g = f.clone();
    let by_borrowed_yield = gen_::coroutine(move |co| Ok(co.yield_(&g).unwrap_err()))
        .take_result()
        .unwrap();
    let g = f.clone();
    let by_value_yield = gen_::coroutine(move |co| Ok(co.yield_(g).unwrap_err()))
        .take_result()
        .unwrap();
    for e in [
        by_result,
        by_take,
        by_take_again,
        by_exception,
        by_borrowed_yield,
        by_value_yield,
    ] {
        assert!(e.ptr_eq(&original));
    }
    assert!(!Error::msg("boom").ptr_eq(&original), "equal is not the same");
}

// ====================================================================
// Cancel
// ====================================================================

// cancel() works only on a pending future: it fails with CancelledError
// and runs the callbacks. A cancelled future dropped unread logs nothing.
#[test]
fn test_cancel_only_pending() {
    common::clear();
    let f = Future::<i32>::new();
    let seen = Rc::new(Cell::new(false));
    let s = seen.clone();
    f.add_done_callback(move |f| s.set(f.cancelled()));
    assert!(f.cancel());
    assert!(seen.get());
    assert!(f.done() && f.cancelled() && f.is_failed());
    assert!(!f.cancel());
    assert!(f.set_result(1).is_err());
    let err = f.take_result().unwrap_err();
    assert!(err.is::<CancelledError>());
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(err.is_cancellation());

    let done = Future::ready(1);
    assert!(!done.cancel());
    assert!(!done.cancelled());
    assert_eq!(done.result().unwrap(), 1);
    let failed = Future::<i32>::failed(Error::msg("x"));
    assert!(!failed.cancel());
    assert!(!failed.cancelled());
    assert_eq!(failed.exception().unwrap().to_string(), "x");

    assert!(Future::<i32>::new().cancel());
    let unread = Future::<i32>::new();
    unread.cancel();
    drop(unread);
    assert!(common::app_errors().is_empty());
}

// Cancelling a coroutine's future does not stop the coroutine (Tornado);
// its eventual result is dropped silently, its eventual error is logged as
// "Exception after Future was cancelled".
#[test]
fn test_cancel_coroutine_future_does_not_stop_it() {
    common::clear();
    let io_loop = IOLoop::new();
    let finished = Rc::new(Cell::new(false));
    let fin = finished.clone();
    let f = gen_::coroutine(move |co| {
        co.yield_(gen_::moment)?;
        fin.set(true);
        Ok(1)
    });
    assert!(f.cancel());
    step(&io_loop);
    assert!(finished.get(), "the coroutine kept running");
    assert!(f.take_result().unwrap_err().is::<CancelledError>());
    assert!(common::app_errors().is_empty());

    let g = gen_::coroutine::<i32, _>(|co| {
        co.yield_(gen_::moment)?;
        Err(Error::msg("too late"))
    });
    g.cancel();
    step(&io_loop);
    assert_eq!(
        common::app_errors(),
        vec!["Exception after Future was cancelled: too late".to_owned()]
    );
}

// ====================================================================
// Done callbacks
// ====================================================================

// add_done_callback on a done future runs the callback at once (Tornado's
// future_add_done_callback); on a pending one, callbacks run inside
// set_result, in the order they were added. A callback added while they
// run (the future being done by then) runs at once.
#[test]
fn test_add_done_callback_immediately_or_in_order() {
    let order = Rc::new(RefCell::new(Vec::new()));
    let done = Future::ready(0);
    let o = order.clone();
    done.add_done_callback(move |f| o.borrow_mut().push(f.result().unwrap()));
    assert_eq!(*order.borrow(), vec![0]);

    order.borrow_mut().clear();
    let f = Future::<i32>::new();
    for i in 1..=3 {
        let o = order.clone();
        f.add_done_callback(move |f| {
            o.borrow_mut().push(i);
            if i == 2 {
                let o = o.clone();
                f.add_done_callback(move |_| o.borrow_mut().push(4));
            }
        });
    }
    assert_eq!(f.callback_count(), 3);
    assert!(order.borrow().is_empty());
    f.set_result(10).unwrap();
    assert_eq!(*order.borrow(), vec![1, 2, 4, 3]);
    assert_eq!(f.callback_count(), 0);
}

// A panicking done callback is logged ("Exception in callback NAME for
// FUTURE: MESSAGE", Tornado 4's "Exception in callback %r for %r") and the
// other callbacks still run.
#[test]
fn test_panicking_done_callback_is_logged() {
    common::clear();
    let f = Future::<i32>::new();
    let ran = Rc::new(Cell::new(0));
    let r = ran.clone();
    f.add_done_callback(|_| panic!("callback bug"));
    f.add_done_callback(move |_| r.set(r.get() + 1));
    f.set_result(1).unwrap();
    assert_eq!(ran.get(), 1);
    let logged = common::app_errors();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(logged[0].starts_with("Exception in callback "), "{}", logged[0]);
    assert!(logged[0].contains(" for <Future<i32> "), "{}", logged[0]);
    assert!(logged[0].ends_with(": callback bug"), "{}", logged[0]);

    // The same when the future is already done.
    common::clear();
    f.add_done_callback(|_| panic!("late bug"));
    assert_eq!(common::app_errors().len(), 1);
}

// ====================================================================
// chain_future (ChainFutureTest)
// ====================================================================

// Ports ChainFutureTest.test_asyncio_futures: chain a into b, set a, read
// b (from a coroutine, where Tornado awaits).
#[test]
fn test_chain_future() {
    let _io_loop = IOLoop::new();
    let fut = Future::new();
    let fut2 = Future::new();
    chain_future(&fut, &fut2);
    fut.set_result(42).unwrap();
    let result = gen_::coroutine(move |co| co.yield_(fut2)).take_result().unwrap();
    assert_eq!(result, 42);
    // chain_future takes a's result: a has none left.
    assert!(fut.result().unwrap_err().is::<InvalidStateError>());
}

// chain_future_cloned copies, so a keeps its result; errors are copied
// (shared) either way; a done a sets b at once; a b already done is left
// alone.
#[test]
fn test_chain_future_cloned_and_edge_cases() {
    let a = Future::new();
    let b = Future::new();
    chain_future_cloned(&a, &b);
    a.set_result(String::from("x")).unwrap();
    assert_eq!(b.result().unwrap(), "x");
    assert_eq!(a.result().unwrap(), "x");

    let error = Error::msg("failed");
    let a = Future::<i32>::failed(error.clone());
    let b = Future::new();
    chain_future(&a, &b);
    assert!(b.done(), "a done source sets the target at once");
    assert!(b.exception().unwrap().ptr_eq(&error));

    let a = Future::new();
    let b = Future::ready(1);
    chain_future(&a, &b);
    a.set_result(2).unwrap();
    assert_eq!(b.result().unwrap(), 1);
    assert_eq!(
        a.result().unwrap(),
        2,
        "nothing was taken for a target already done"
    );
}

// ====================================================================
// maybe_future, convert_yielded
// ====================================================================

// Tornado's gen.maybe_future: a value becomes a done future;
// convert_yielded of a future is that same future.
#[test]
fn test_maybe_future_and_convert_yielded() {
    let f = gen_::maybe_future(5);
    assert!(f.done());
    assert_eq!(f.result().unwrap(), 5);
    let g = Future::<i32>::new();
    assert!(gen_::convert_yielded(g.clone()).ptr_eq(&g));
    let from_ref = gen_::convert_yielded(&f);
    assert!(!from_ref.ptr_eq(&f), "a borrowed future converts to a copy");
    assert_eq!(from_ref.result().unwrap(), 5);
    assert_eq!(f.result().unwrap(), 5);
    let err = gen_::convert_yielded(Err::<i32, Error>(Error::msg("e")))
        .take_result()
        .unwrap_err();
    assert_eq!(err.to_string(), "e");
}

// ====================================================================
// IOLoop.add_future
// ====================================================================

// Tornado's IOLoop.add_future always runs the callback on a later
// iteration, even for a future that is already done, and never inside
// set_result.
#[test]
fn test_add_future_runs_on_a_later_iteration() {
    let io_loop = IOLoop::new();
    let ran = Rc::new(RefCell::new(Vec::new()));

    let done = Future::ready(1);
    let r = ran.clone();
    io_loop.add_future(&done, move |f| r.borrow_mut().push(f.result().unwrap()));
    assert!(ran.borrow().is_empty(), "not at once, though the future is done");
    step(&io_loop);
    assert_eq!(*ran.borrow(), vec![1]);

    let pending = Future::new();
    let r = ran.clone();
    io_loop.add_future(&pending, move |f| r.borrow_mut().push(f.result().unwrap()));
    step(&io_loop);
    assert_eq!(ran.borrow().len(), 1, "not before the future is done");
    pending.set_result(2).unwrap();
    assert_eq!(ran.borrow().len(), 1, "not inside set_result");
    let before = io_loop.iterations();
    step(&io_loop);
    assert_eq!(*ran.borrow(), vec![1, 2]);
    assert_eq!(io_loop.iterations(), before + 1);
}

// A panic in an add_future callback is logged and the loop goes on.
#[test]
fn test_add_future_callback_panic_is_logged() {
    common::clear();
    let io_loop = IOLoop::new();
    io_loop.add_future(&Future::ready(1), |_| panic!("add_future bug"));
    let later = Rc::new(Cell::new(false));
    let l = later.clone();
    io_loop.add_future(&Future::ready(2), move |_| l.set(true));
    step(&io_loop);
    assert!(later.get());
    let logged = common::app_errors();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(logged[0].starts_with("Exception in callback"), "{}", logged[0]);
    assert!(logged[0].ends_with("add_future bug"), "{}", logged[0]);
}

// ====================================================================
// ClientTestMixin, without the socket: a coroutine that capitalises or
// fails with CapError.
// ====================================================================

#[derive(Debug)]
struct CapError(String);

impl fmt::Display for CapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CapError {}

fn capitalize(request: &'static str) -> Future<String> {
    gen_::coroutine(move |co| {
        co.yield_(gen_::moment)?;
        if request == request.to_uppercase() {
            Err(CapError("already capitalized".to_owned()).into())
        } else {
            Ok(request.to_uppercase())
        }
    })
}

// Ports ClientTestMixin.test_future: add_future, then read the result.
#[test]
fn test_future() {
    let io_loop = IOLoop::new();
    let future = capitalize("hello");
    let lp = io_loop.clone();
    io_loop.add_future(&future, move |_| lp.stop());
    io_loop.start().unwrap();
    assert_eq!(future.result().unwrap(), "HELLO");
}

// Ports ClientTestMixin.test_future_error.
#[test]
fn test_future_error() {
    let io_loop = IOLoop::new();
    let future = capitalize("HELLO");
    let lp = io_loop.clone();
    io_loop.add_future(&future, move |_| lp.stop());
    io_loop.start().unwrap();
    let err = future.result().unwrap_err();
    assert!(err.is::<CapError>());
    assert!(err.to_string().contains("already capitalized"));
}

// Ports ClientTestMixin.test_generator.
#[test]
fn test_generator() {
    let io_loop = IOLoop::new();
    let result = io_loop
        .run_sync(|| gen_::coroutine(|co| co.yield_(capitalize("hello"))), None)
        .unwrap();
    assert_eq!(result, "HELLO");
}

// Ports ClientTestMixin.test_generator_error.
#[test]
fn test_generator_error() {
    let io_loop = IOLoop::new();
    let caught = io_loop
        .run_sync(
            || {
                gen_::coroutine(|co| match co.yield_(capitalize("HELLO")) {
                    Err(e) if e.is::<CapError>() => Ok(e.to_string()),
                    Err(e) => Err(e),
                    Ok(s) => Err(Error::msg(format!("expected CapError, got {s}"))),
                })
            },
            None,
        )
        .unwrap();
    assert_eq!(caught, "already capitalized");
}

// ====================================================================
// Unobserved errors
// ====================================================================

// A failed future logs `Future exception was never retrieved: ERROR` when
// its last handle is dropped, unless its error was looked at; pending and
// successful futures, and cancellations, log nothing.
#[test]
fn test_future_exception_never_retrieved() {
    common::clear();
    let f = Future::<i32>::new();
    let g = f.clone();
    f.set_exception(Error::msg("lost")).unwrap();
    drop(f);
    assert!(common::app_errors().is_empty(), "a handle is still alive");
    drop(g);
    assert_eq!(
        common::app_errors(),
        vec!["Future exception was never retrieved: lost".to_owned()]
    );

    common::clear();
    let seen = Future::<i32>::failed(Error::msg("seen"));
    assert!(seen.is_failed());
    seen.exception();
    drop(seen);
    drop(Future::<i32>::new());
    drop(Future::ready(1));
    drop(Future::<i32>::failed(CancelledError));
    drop(Future::<i32>::failed(LoopClosedError));
    drop(Future::<i32>::failed(AbandonedError { coroutine: None }));
    let read_in_callback = Future::<i32>::new();
    read_in_callback.add_done_callback(|f| assert!(f.result().is_err()));
    read_in_callback.set_exception(Error::msg("read")).unwrap();
    drop(read_in_callback);
    assert!(common::app_errors().is_empty(), "{:?}", common::app_errors());
}

// ====================================================================
// Rust's std Future: a gust Future can be polled / awaited.
// ====================================================================

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn poll<T: 'static>(f: &mut Future<T>, cx: &mut Context<'_>) -> Poll<Result<T, Error>> {
    std::future::Future::poll(std::pin::Pin::new(f), cx)
}

// Polling a pending future registers the waker, which set_result wakes;
// the output is the result, moved out.
#[test]
fn test_future_as_std_future() {
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    let mut f = Future::<String>::new();
    let setter = f.clone();
    assert!(poll(&mut f, &mut cx).is_pending());
    assert!(poll(&mut f, &mut cx).is_pending());
    assert_eq!(f.callback_count(), 1, "the same waker is registered once");
    setter.set_result("x".to_owned()).unwrap();
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    match poll(&mut f, &mut cx) {
        Poll::Ready(Ok(s)) => assert_eq!(s, "x"),
        other => panic!("expected Ready(Ok), got {other:?}"),
    }
    assert!(
        setter.result().unwrap_err().is::<InvalidStateError>(),
        "awaiting moved the result"
    );
}

// ====================================================================
// Error: kinds, downcasting, conversions
// ====================================================================

// Error::kind / is / downcast_ref for each of gust's error types, and
// which of them count as cancellations.
#[test]
fn test_error_kinds() {
    let cases: Vec<(Error, ErrorKind, bool)> = vec![
        (TimeoutError::default().into(), ErrorKind::Timeout, false),
        (CancelledError.into(), ErrorKind::Cancelled, true),
        (
            BadYieldError {
                object: "42".to_owned(),
            }
            .into(),
            ErrorKind::BadYield,
            false,
        ),
        (
            PanicError {
                message: "m".to_owned(),
                coroutine: None,
            }
            .into(),
            ErrorKind::Panic,
            false,
        ),
        (std::io::Error::other("io").into(), ErrorKind::Io, false),
        (
            StackExhaustedError {
                stack_size: 4096,
                reason: "budget".to_owned(),
                source: None,
            }
            .into(),
            ErrorKind::StackExhausted,
            false,
        ),
        (
            InvalidStateError::new("bad").into(),
            ErrorKind::InvalidState,
            false,
        ),
        (LoopClosedError.into(), ErrorKind::LoopClosed, true),
        (
            AbandonedError { coroutine: None }.into(),
            ErrorKind::Abandoned,
            true,
        ),
        (Error::msg("user"), ErrorKind::Other, false),
        (StoppedBeforeCompletionError.into(), ErrorKind::Other, false),
        (IOLoopError::AlreadyRunning.into(), ErrorKind::Other, false),
    ];
    for (error, kind, cancellation) in &cases {
        assert_eq!(error.kind(), *kind, "{error}");
        assert_eq!(error.is_cancellation(), *cancellation, "{error}");
    }
    let timeout = &cases[0].0;
    assert!(timeout.is::<TimeoutError>());
    assert!(!timeout.is::<CancelledError>());
    assert_eq!(timeout.downcast_ref::<TimeoutError>().unwrap().message, "Timeout");
    assert!(timeout.downcast_ref::<PanicError>().is_none());
    assert_eq!(cases[2].0.to_string(), "yielded unknown object 42");
    assert_eq!(cases[3].0.to_string(), "panicked: m");
    assert_eq!(
        cases[5].0.to_string(),
        "no stack for a new coroutine (4096 bytes): budget"
    );
    assert!(cases[9].0.is::<MessageError>());
    assert_eq!(cases[9].0.downcast_ref::<MessageError>().unwrap().0, "user");
    assert_eq!(
        Error::from(AbandonedError {
            coroutine: Some("w".to_owned())
        })
        .to_string(),
        "coroutine 'w' was abandoned: the future it was waiting for was dropped without a result"
    );
    assert_eq!(
        Error::from(PanicError {
            message: "m".to_owned(),
            coroutine: Some("c".to_owned())
        })
        .to_string(),
        "coroutine 'c' panicked: m"
    );
}

// `?` on std errors converts them into Error inside a coroutine body, and
// the original type stays recognisable.
#[test]
fn test_question_mark_converts_std_errors() {
    let _io_loop = IOLoop::new();
    let parsed = gen_::coroutine(|_co| {
        let n: i32 = "x".parse()?;
        Ok(n)
    });
    let err = parsed.take_result().unwrap_err();
    assert!(err.is::<std::num::ParseIntError>());
    assert_eq!(err.kind(), ErrorKind::Other);

    let read = gen_::coroutine(|_co| Ok(std::fs::read("/nonexistent/gust/concurrent_test")?));
    let err = read.take_result().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_eq!(
        err.downcast_ref::<std::io::Error>().unwrap().kind(),
        std::io::ErrorKind::NotFound
    );

    // And back: an Error is a std error through StdErrorAdapter / Box.
    let boxed: Box<dyn std::error::Error + Send + Sync> = err.clone().into();
    assert_eq!(boxed.to_string(), err.to_string());
    assert!(boxed.source().unwrap().is::<std::io::Error>());
    let adapter = StdErrorAdapter(err.clone());
    assert!(adapter.0.ptr_eq(&err));
    let back = Error::from_boxed(Box::new(std::io::Error::other("boxed")));
    assert_eq!(back.kind(), ErrorKind::Io);
}

// Tornado 6.6's chain_future: cancelling `a` cancels `b`.
#[test]
fn test_chain_future_propagates_cancellation() {
    let (a, b) = (Future::<i32>::new(), Future::<i32>::new());
    gust::concurrent::chain_future(&a, &b);
    assert!(a.cancel());
    assert!(b.cancelled());
    let (c, d) = (Future::<i32>::new(), Future::<i32>::new());
    gust::concurrent::chain_future_cloned(&c, &d);
    assert!(c.cancel());
    assert!(d.cancelled());
}
