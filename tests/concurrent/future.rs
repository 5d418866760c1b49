//! MiscFutureTest

use super::*;

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
    let logs = LogCapture::start();
    let fut = Future::<i32>::new();
    fut.set_exception_unless_cancelled(Error::msg("boom")).unwrap();
    assert_eq!(fut.exception().unwrap().to_string(), "boom");
    assert!(logs.app_errors().is_empty());

    let fut = Future::<i32>::new();
    fut.cancel();
    fut.set_exception_unless_cancelled(Error::msg("boom")).unwrap();
    assert!(fut.exception().unwrap().is::<CancelledError>());
    assert_eq!(
        logs.app_errors(),
        vec!["Exception after Future was cancelled: boom".to_owned()]
    );

    let logs = LogCapture::start();
    fut.set_exception_unless_cancelled(CancelledError).unwrap();
    fut.set_unless_cancelled(Ok(1)).unwrap();
    assert!(logs.app_errors().is_empty());
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
    let logs = LogCapture::start();
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
    assert!(logs.app_errors().is_empty());
}

// Cancelling a coroutine's future does not stop the coroutine (Tornado);
// its eventual result is dropped silently, its eventual error is logged as
// "Exception after Future was cancelled".
#[test]
fn test_cancel_coroutine_future_does_not_stop_it() {
    let logs = LogCapture::start();
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
    assert!(logs.app_errors().is_empty());

    let g = gen_::coroutine::<i32, _>(|co| {
        co.yield_(gen_::moment)?;
        Err(Error::msg("too late"))
    });
    g.cancel();
    step(&io_loop);
    assert_eq!(
        logs.app_errors(),
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
    let logs = LogCapture::start();
    let f = Future::<i32>::new();
    let ran = Rc::new(Cell::new(0));
    let r = ran.clone();
    f.add_done_callback(|_| panic!("callback bug"));
    f.add_done_callback(move |_| r.set(r.get() + 1));
    f.set_result(1).unwrap();
    assert_eq!(ran.get(), 1);
    let logged = logs.app_errors();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(logged[0].starts_with("Exception in callback "), "{}", logged[0]);
    assert!(logged[0].contains(" for <Future<i32> "), "{}", logged[0]);
    assert!(logged[0].ends_with(": callback bug"), "{}", logged[0]);

    // The same when the future is already done.
    let logs = LogCapture::start();
    f.add_done_callback(|_| panic!("late bug"));
    assert_eq!(logs.app_errors().len(), 1);
}

/// Compiles only for a type that is not `Send`: for a `Send` type both
/// impls apply and `<T as NotSend<_>>::check` is ambiguous (the stable
/// form of the `compile_fail` doctests in the facade, which cannot check
/// the error they fail with on stable).
trait NotSend<A> {
    fn check() {}
}
impl<T: ?Sized> NotSend<()> for T {}
impl<T: ?Sized + Send> NotSend<u8> for T {}

// A Future, the IOLoop and a coroutine's Co belong to the loop's thread;
// the types built to cross threads are Send.
#[test]
fn test_loop_types_are_not_send() {
    <Future<u32> as NotSend<_>>::check();
    <IOLoop as NotSend<_>>::check();
    <Co<'static> as NotSend<_>>::check();
    fn assert_send<T: Send>() {}
    assert_send::<gust::concurrent::SendFuture<u32>>();
    assert_send::<gust::concurrent::RemoteSetter<u32>>();
    assert_send::<gust::ioloop::LoopHandle>();
}
