//! chain_future (ChainFutureTest)

use super::*;

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
