//! WaitIteratorTest

use super::*;

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
    try_gen_test(|co| {
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
    try_gen_test(|co| {
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
    try_gen_test(|co| {
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
    try_gen_test(|co| {
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
    try_gen_test(|co| {
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
    try_gen_test(|co| {
        co.yield_(gen_::with_timeout(
            Duration::from_millis(100),
            WaitIterator::new(vec![gen_::sleep(Duration::ZERO)]).next(),
        ))
    })
    .unwrap();

    // The same with several inputs nobody else holds, read one by one.
    try_gen_test(|co| {
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

// New (Tornado 6.6, consistent with chain_future and with_timeout): a
// cancelled input is delivered as a cancelled `next()` future, and the
// iteration goes on.
#[test]
fn test_cancelled_input_gives_a_cancelled_next_and_iteration_goes_on() {
    let _io_loop = IOLoop::new();
    // Already cancelled when the iterator is made.
    let (a, b) = (Future::<i32>::new(), Future::ready(2));
    assert!(a.cancel());
    let g = WaitIterator::new(vec![a.clone(), b.clone()]);
    let first = g.next();
    assert!(first.cancelled(), "{first:?}");
    assert_eq!(g.current_index(), Some(0));
    let second = g.next();
    assert_eq!(second.take_result().unwrap(), 2);
    assert!(g.done());

    // Cancelled while next() waits for it.
    let (c, d) = (Future::<i32>::new(), Future::<i32>::new());
    let g = WaitIterator::new(vec![c.clone(), d.clone()]);
    let pending = g.next();
    assert!(!pending.done());
    assert!(c.cancel());
    assert!(pending.cancelled(), "{pending:?}");
    assert_eq!(g.current_index(), Some(0));
    let next = g.next();
    d.set_result(4).unwrap();
    assert_eq!(next.take_result().unwrap(), 4);
    assert!(g.done());
}
