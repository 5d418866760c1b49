//! GenBasicTest, continued: `multi` of lists, maps and tuples of futures.

use super::*;

// Ports GenBasicTest.test_multi.
#[test]
fn test_multi() {
    let results = try_gen_test(|co| co.yield_(vec![add_one_async(1), add_one_async(2)])).unwrap();
    assert_eq!(results, vec![2, 3]);
}

// Ports GenBasicTest.test_multi_dict.
#[test]
fn test_multi_dict() {
    let results = try_gen_test(|co| {
        co.yield_(HashMap::from([
            ("foo", add_one_async(1)),
            ("bar", add_one_async(2)),
        ]))
    })
    .unwrap();
    assert_eq!(results, HashMap::from([("foo", 2), ("bar", 3)]));
}

// Ports GenBasicTest.test_multi_delayed: children finish at different
// times (v2 first), results are in input order.
#[test]
fn test_multi_delayed() {
    let io_loop = IOLoop::new();
    let v1 = delay(3, "v1");
    let v2 = delay(1, "v2");
    let (w1, w2) = (v1.clone(), v2.clone());
    let responses = gen_::multi_future(vec![v1, v2]);
    step(&io_loop);
    assert!(w2.done() && !w1.done() && !responses.done());
    step(&io_loop);
    assert!(!responses.done());
    step(&io_loop);
    assert!(w1.done() && responses.done());
    assert_eq!(responses.take_result().unwrap(), vec!["v1", "v2"]);
}

// Ports GenBasicTest.test_multi_dict_delayed.
#[test]
fn test_multi_dict_delayed() {
    let responses = try_gen_test(|co| {
        co.yield_(gen_::multi_future(BTreeMap::from([
            ("foo", delay(3, "v1")),
            ("bar", delay(1, "v2")),
        ])))
    })
    .unwrap();
    assert_eq!(responses, BTreeMap::from([("foo", "v1"), ("bar", "v2")]));
}

// Ports GenBasicTest.test_multi_performance: `yield [gen.moment] * 2000`
// is immediate (moments inside a list resolve without a hop), so rather
// than timing it we count iterations: none.
#[test]
fn test_multi_performance() {
    let io_loop = IOLoop::new();
    let before = io_loop.iterations();
    let f = gen_::coroutine(|co| Ok(co.yield_(vec![gen_::moment; 2000])?.len()));
    assert!(f.done());
    assert_eq!(io_loop.iterations(), before);
    assert_eq!(f.take_result().unwrap(), 2000);
}

// Ports GenBasicTest.test_multi_empty: empty lists and maps keep their type.
#[test]
fn test_multi_empty() {
    let io_loop = IOLoop::new();
    let f = gen_::coroutine(|co| {
        let x = co.yield_(Vec::<Future<i32>>::new())?;
        let y = co.yield_(HashMap::<String, Future<i32>>::new())?;
        let z = co.yield_(BTreeMap::<u8, Future<i32>>::new())?;
        Ok((x, y, z))
    });
    assert!(f.done(), "an empty multi is already resolved");
    let (x, y, z) = f.take_result().unwrap();
    assert_eq!(x, Vec::<i32>::new());
    assert_eq!(y, HashMap::new());
    assert_eq!(z, BTreeMap::new());
    assert_eq!(io_loop.iterations(), 0);
}

// Ports GenBasicTest.test_future.
#[test]
fn test_future() {
    assert_eq!(try_gen_test(|co| co.yield_(async_future(1))).unwrap(), 1);
}

// Ports GenBasicTest.test_multi_future.
#[test]
fn test_multi_future() {
    let results = try_gen_test(|co| co.yield_(vec![async_future(1), async_future(2)])).unwrap();
    assert_eq!(results, vec![1, 2]);
}

// Ports GenBasicTest.test_multi_future_duplicate: a future listed twice is
// borrowed (`&f`), so both places get a copy of its result.
#[test]
fn test_multi_future_duplicate() {
    let results = try_gen_test(|co| {
        let f = async_future(2);
        let f1 = async_future(1);
        let f3 = async_future(3);
        co.yield_(vec![&f1, &f, &f3, &f])
    })
    .unwrap();
    assert_eq!(results, vec![1, 2, 3, 2]);
}

// gust-specific (the other side of test_multi_future_duplicate): listing
// the same future twice BY VALUE moves its result to the first place, so
// the second place finds it taken and the multi fails with
// InvalidStateError.
#[test]
fn test_multi_future_duplicate_by_value_is_invalid_state() {
    let err = try_gen_test(|co| {
        let f = async_future(2);
        co.yield_(vec![async_future(1), f.clone(), async_future(3), f])
    })
    .unwrap_err();
    assert!(err.is::<InvalidStateError>(), "{err}");
    assert_eq!(err.kind(), ErrorKind::InvalidState);
}

// Ports GenBasicTest.test_multi_dict_future.
#[test]
fn test_multi_dict_future() {
    let results = try_gen_test(|co| {
        co.yield_(HashMap::from([
            ("foo", async_future(1)),
            ("bar", async_future(2)),
        ]))
    })
    .unwrap();
    assert_eq!(results, HashMap::from([("foo", 1), ("bar", 2)]));
}

// Ports GenBasicTest.test_multi_exceptions (`gen.Multi(...)` is
// `gen_::multi`, `quiet_exceptions=` is `gen_::multi_with`).
#[test]
fn test_multi_exceptions() {
    let logs = LogCapture::start();
    let err = try_gen_test(|co| {
        co.yield_(gen_::multi(vec![
            async_exception::<i32>(RuntimeError("error 1")),
            async_exception(RuntimeError("error 2")),
        ]))
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "error 1");
    assert!(err.is::<RuntimeError>());
    assert_eq!(
        logs.app_errors_containing("Multiple exceptions in yield list"),
        vec!["Multiple exceptions in yield list: error 2".to_owned()]
    );

    // With only one exception, no error is logged.
    let logs = LogCapture::start();
    let err = try_gen_test(|co| {
        co.yield_(gen_::multi(vec![
            async_exception::<i32>(RuntimeError("error 1")),
            async_future(2),
        ]))
    })
    .unwrap_err();
    assert!(err.is::<RuntimeError>());
    assert_eq!(logs.app_errors(), Vec::<String>::new());

    // Exception logging may be explicitly quieted.
    let logs = LogCapture::start();
    let err = try_gen_test(|co| {
        co.yield_(gen_::multi_with(
            vec![
                async_exception::<i32>(RuntimeError("error 1")),
                async_exception(RuntimeError("error 2")),
            ],
            QuietExceptions::of::<RuntimeError>(),
        ))
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "error 1");
    assert_eq!(logs.app_errors(), Vec::<String>::new());
}

// Ports GenBasicTest.test_multi_future_exceptions: the same, yielding the
// list directly.
#[test]
fn test_multi_future_exceptions() {
    let logs = LogCapture::start();
    let err = try_gen_test(|co| {
        co.yield_(vec![
            async_exception::<i32>(RuntimeError("error 1")),
            async_exception(RuntimeError("error 2")),
        ])
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "error 1");
    assert_eq!(
        logs.app_errors_containing("Multiple exceptions in yield list"),
        vec!["Multiple exceptions in yield list: error 2".to_owned()]
    );

    // With only one exception, no error is logged.
    let logs = LogCapture::start();
    let err = try_gen_test(|co| {
        co.yield_(vec![
            async_exception::<i32>(RuntimeError("error 1")),
            async_future(2),
        ])
    })
    .unwrap_err();
    assert!(err.is::<RuntimeError>());
    assert_eq!(logs.app_errors(), Vec::<String>::new());

    // Exception logging may be explicitly quieted.
    let logs = LogCapture::start();
    let err = try_gen_test(|co| {
        co.yield_(gen_::multi_with(
            vec![
                async_exception::<i32>(RuntimeError("error 1")),
                async_exception(RuntimeError("error 2")),
            ],
            QuietExceptions::of::<RuntimeError>(),
        ))
    })
    .unwrap_err();
    assert!(err.is::<RuntimeError>());
    assert_eq!(logs.app_errors(), Vec::<String>::new());
}

// gust-specific (Tornado's multi, its issue #1546): multi waits for every
// child even after one failed, and the first error IN INPUT ORDER wins,
// even if a later child failed first; the other is logged.
#[test]
fn test_multi_first_error_in_input_order_after_all_finish() {
    let logs = LogCapture::start();
    let _io_loop = IOLoop::new();
    let (a, b, c) = (Future::<i32>::new(), Future::<i32>::new(), Future::<i32>::new());
    let m = gen_::multi(vec![a.clone(), b.clone(), c.clone()]);
    b.set_exception(RuntimeError("error 2")).unwrap();
    assert!(!m.done(), "multi waits for all children");
    a.set_exception(RuntimeError("error 1")).unwrap();
    assert!(!m.done(), "multi waits for all children");
    c.set_result(3).unwrap();
    assert!(m.done());
    assert_eq!(m.take_result().unwrap_err().to_string(), "error 1");
    assert_eq!(
        logs.app_errors_containing("Multiple exceptions"),
        vec!["Multiple exceptions in yield list: error 2".to_owned()]
    );
}

// gust-specific: a tuple is a multi of different types (Tornado's lists
// hold anything); its result is a tuple in the same order.
#[test]
fn test_multi_tuple() {
    let (n, s, unit) =
        try_gen_test(|co| co.yield_((async_future(1), async_future("two".to_owned()), gen_::moment)))
            .unwrap();
    assert_eq!((n, s.as_str(), unit), (1, "two", ()));
}

// gust-specific: a tuple multi reports errors like a list: the first in
// input order wins, the others are logged.
#[test]
fn test_multi_tuple_exceptions() {
    let logs = LogCapture::start();
    let err = try_gen_test(|co| {
        co.yield_((
            async_exception::<i32>(RuntimeError("error 1")),
            async_future("fine"),
            async_exception::<String>(KeyError),
        ))
    })
    .unwrap_err();
    assert!(err.is::<RuntimeError>(), "{err}");
    assert_eq!(
        logs.app_errors(),
        vec!["Multiple exceptions in yield list: KeyError".to_owned()]
    );
}
