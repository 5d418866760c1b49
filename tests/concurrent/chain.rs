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

// ====================================================================
// Callback chains of any length
// ====================================================================

/// Links `n` futures with `chain_future` and returns the first and the last.
fn long_chain(n: usize) -> (Future<u64>, Future<u64>) {
    let first = Future::new();
    let mut last = first.clone();
    for _ in 0..n {
        let next = Future::new();
        chain_future(&last, &next);
        last = next;
    }
    (first, last)
}

/// Sets the first future of a 1,000,000-link chain; every link is done
/// when `set_result` returns.
fn resolve_a_million_links() -> u64 {
    let (first, last) = long_chain(1_000_000);
    first.set_result(7).unwrap();
    assert!(
        last.done(),
        "every chained future is done when set_result returns"
    );
    last.take_result().unwrap()
}

// New: done callbacks run synchronously, yet a chain's depth does not grow
// the stack: 1,000,000 links resolve on a 256 KiB thread (a recursive
// implementation overflows after a few thousand).
#[test]
fn test_a_million_chained_futures_resolve_on_a_small_thread() {
    let value = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(resolve_a_million_links)
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(value, 7);
}

// New: the same on a coroutine's default stack.
#[test]
fn test_a_million_chained_futures_resolve_on_a_coroutine_stack() {
    let _io_loop = IOLoop::new();
    let value = gen_::coroutine(|_co| Ok(resolve_a_million_links()));
    assert_eq!(value.take_result().unwrap(), 7);
}

// New: callbacks of futures set inside a done callback run after the
// callback that set them returns (asyncio's order, breadth first), and a
// callback added meanwhile to such a future runs after the ones it already
// had.
#[test]
fn test_nested_done_callbacks_run_in_order() {
    let order = Rc::new(RefCell::new(Vec::new()));
    let (a, b, c) = (Future::new(), Future::new(), Future::new());
    let o = order.clone();
    b.add_done_callback(move |_: &Future<u8>| o.borrow_mut().push("b1"));
    let (o, b2, c2) = (order.clone(), b.clone(), c.clone());
    a.add_done_callback(move |_: &Future<u8>| {
        o.borrow_mut().push("a1");
        b2.set_result(1).unwrap();
        assert!(b2.done(), "set at once");
        let o2 = o.clone();
        b2.add_done_callback(move |_| o2.borrow_mut().push("b2"));
        c2.set_result(2).unwrap();
        o.borrow_mut().push("a1 end");
    });
    let o = order.clone();
    a.add_done_callback(move |_| o.borrow_mut().push("a2"));
    let o = order.clone();
    c.add_done_callback(move |_: &Future<u8>| o.borrow_mut().push("c1"));
    a.set_result(0).unwrap();
    assert_eq!(*order.borrow(), ["a1", "a1 end", "a2", "b1", "b2", "c1"]);
}
