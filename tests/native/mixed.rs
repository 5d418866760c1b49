//! GenCoroutineTest: native and decorated coroutines together

use super::*;

// Ports GenCoroutineTest.test_async_await: an async function can await a
// decorated coroutine, and a decorated coroutine (the test body) can yield
// an async function.
#[test]
fn test_async_await() {
    fn f1() -> Future<i32> {
        gen_::coroutine(|co| {
            co.yield_(gen_::moment)?;
            Ok(42) // raise gen.Return(42)
        })
    }

    async fn f2() -> Result<i32, Error> {
        let result = f1().await?;
        Ok(result)
    }

    let result = try_gen_test(|co| co.yield_(gen_::native(f2()))).unwrap();
    assert_eq!(result, 42);
}

// The same, from the other side: the test body is native and awaits a
// decorated coroutine that yields a native one.
#[test]
fn test_native_awaits_decorated_that_yields_native() {
    async fn leaf() -> Result<i32, Error> {
        yield_now().await;
        Ok(20)
    }

    fn middle() -> Future<i32> {
        gen_::coroutine(|co| Ok(co.yield_(gen_::native(leaf()))? + 1))
    }

    let result = run_native(async { Ok::<_, Error>(middle().await? * 2) }).unwrap();
    assert_eq!(result, 42);
}

// Ports GenCoroutineTest.test_asyncio_sleep_zero: `await asyncio.sleep(0)`
// in a native coroutine yielded by a decorated one.
#[test]
fn test_asyncio_sleep_zero() {
    async fn f() -> Result<i32, Error> {
        yield_now().await;
        Ok(42)
    }

    let result = try_gen_test(|co| co.yield_(gen_::native(f()))).unwrap();
    assert_eq!(result, 42);
}

// Hop counts of the native ways to let the loop run: `yield_now` (Python's
// `asyncio.sleep(0)`) costs exactly one iteration, `gen_::sleep(0)` two (the
// timer fires in the next iteration, the task is polled in the one after,
// as in Tornado), and awaiting `convert_yielded(moment)` none: outside a
// decorated coroutine's runner, `moment` is just a done future.
#[test]
fn test_native_sleep_zero_hop_counts() {
    let hops = run_native(async {
        let io_loop = IOLoop::current();
        let mut hops = Vec::new();
        for _ in 0..3 {
            let start = io_loop.iterations();
            yield_now().await;
            hops.push(io_loop.iterations() - start);
        }
        let start = io_loop.iterations();
        gen_::sleep(Duration::ZERO).await?;
        hops.push(io_loop.iterations() - start);
        let start = io_loop.iterations();
        gen_::convert_yielded(gen_::moment).await?;
        hops.push(io_loop.iterations() - start);
        Ok::<_, Error>(hops)
    })
    .unwrap();
    assert_eq!(hops, vec![1, 1, 1, 2, 0]);
}

// Tornado's test_moment, mixed: a decorated coroutine yielding `moment` and
// a native one awaiting `yield_now` each cost one iteration per turn, so
// they take turns, after the decorated one's head start: it ran its first
// step when called, the native one starts when the tuple is yielded (its
// first poll is in the next iteration). Tornado gives the same string.
#[test]
fn test_moment_and_yield_now_alternate() {
    let calls = Rc::new(RefCell::new(String::new()));
    let c = calls.clone();
    try_gen_test(move |co| {
        let c1 = c.clone();
        let a = gen_::coroutine(move |co| {
            for _ in 0..5 {
                c1.borrow_mut().push('a');
                co.yield_(gen_::moment)?;
            }
            Ok(())
        });
        let c2 = c.clone();
        let b = gen_::native(async move {
            for _ in 0..5 {
                c2.borrow_mut().push('b');
                yield_now().await;
            }
        });
        co.yield_((a, b))?;
        Ok(())
    })
    .unwrap();
    assert_eq!(*calls.borrow(), "aababababb");
}

// Ports GenCoroutineTest.test_async_await_mixed_multi_native_future:
// `yield [f2(), f3()]` with a native and a decorated child. A Rust `Vec`
// has one element type, so the natural port is a tuple; a `Vec` works once
// the native child is converted to a `Future`.
#[test]
fn test_async_await_mixed_multi_native_future() {
    fn f1() -> Future<()> {
        gen_::coroutine(|co| co.yield_(gen_::moment))
    }

    async fn f2() -> Result<i32, Error> {
        f1().await?;
        Ok(42)
    }

    fn f3() -> Future<i32> {
        gen_::coroutine(|co| {
            co.yield_(gen_::moment)?;
            Ok(43)
        })
    }

    let results = try_gen_test(|co| co.yield_((gen_::native(f2()), f3()))).unwrap();
    assert_eq!(results, (42, 43));

    let results =
        try_gen_test(|co| co.yield_(vec![gen_::convert_yielded(gen_::native(f2())), f3()])).unwrap();
    assert_eq!(results, vec![42, 43]);

    // Children of one `async fn` have one type: a plain Vec of them.
    let results = try_gen_test(|co| co.yield_(vec![gen_::native(f2()), gen_::native(f2())])).unwrap();
    assert_eq!(results, vec![42, 42]);
}

// The guide's "use tornado.gen.multi to do this in native coroutines":
// native code cannot yield a list; it awaits `gen_::multi`.
#[test]
fn test_multi_awaited_from_native_code() {
    async fn child(n: i32) -> Result<i32, Error> {
        yield_now().await;
        Ok(n)
    }

    let results = run_native(async {
        let (a, b) = gen_::multi((gen_::native(child(1)), after_moment(2))).await?;
        let list = gen_::multi(vec![after_moment(3), after_moment(4)]).await?;
        let natives = gen_::multi(vec![gen_::native(child(5)), gen_::native(child(6))]).await?;
        Ok::<_, Error>((a, b, list, natives))
    })
    .unwrap();
    assert_eq!(results, (1, 2, vec![3, 4], vec![5, 6]));
}

// multi's error rules hold for native children too: the first error in
// input order wins once every child is done; later ones are logged.
#[test]
fn test_multi_native_children_errors() {
    async fn fail(message: &'static str, yields: usize) -> Result<i32, Error> {
        for _ in 0..yields {
            yield_now().await;
        }
        Err(Error::msg(message))
    }

    let logs = LogCapture::start();
    let error = run_native(async {
        // "first" finishes last, yet is the error reported.
        gen_::multi(vec![
            gen_::native(fail("first", 3)),
            gen_::native(fail("second", 0)),
        ])
        .await
    })
    .unwrap_err();
    assert_eq!(error.to_string(), "first");
    assert_eq!(
        logs.app_errors(),
        vec!["Multiple exceptions in yield list: second".to_owned()]
    );
}

// Ports GenCoroutineTest.test_async_await_mixed_multi_native_yieldpoint
// (Tornado 4.5): a list mixing a native coroutine and a legacy `gen.Wait`,
// yielded by a decorated coroutine, gives [42, 43].
#[test]
#[cfg(feature = "legacy")]
fn test_async_await_mixed_multi_native_yieldpoint() {
    async fn f1() -> Result<i32, Error> {
        // await gen.Task(self.io_loop.add_callback)
        gen_::legacy::Task(|cb: gen_::legacy::TaskCallback<()>| {
            IOLoop::current().add_callback(move || cb.call(()))
        })
        .await?;
        Ok(42)
    }

    fn f2(callback: gen_::legacy::ResultCallback) -> Future<()> {
        gen_::coroutine(move |co| {
            co.yield_(gen_::legacy::Task(|cb: gen_::legacy::TaskCallback<()>| {
                IOLoop::current().add_callback(move || cb.call(()))
            }))?;
            callback.call_with(43); // raise gen.Return(43) into callback=
            Ok(())
        })
    }

    let results = try_gen_test(|co| {
        let callback = co.yield_(gen_::legacy::Callback::new("cb"))?;
        let f = f2(callback);
        let results = co.yield_((gen_::native(f1()), gen_::legacy::Wait::<i32>::new("cb")))?;
        co.yield_(f)?;
        Ok(results)
    })
    .unwrap();
    assert_eq!(results, (42, 43));
}

// ... and what gust does with a YieldPoint in native code: a YieldPoint
// talks to a decorated coroutine's runner, which native code does not have,
// so converting one (alone or in a list) fails with BadYieldError (Tornado
// 6 removed YieldPoints; Tornado 4.5's `convert_yielded` of one raised
// BadYieldError too).
#[test]
#[cfg(feature = "legacy")]
fn test_yieldpoint_in_native_code_is_bad_yield() {
    async fn f1() -> Result<i32, Error> {
        yield_now().await;
        Ok(42)
    }

    let error =
        run_native(async { gen_::multi((gen_::native(f1()), gen_::legacy::Wait::<i32>::new("cb"))).await })
            .unwrap_err();
    assert!(error.is::<BadYieldError>(), "{error}");
    assert!(error.to_string().contains("YieldPoint"), "{error}");

    let error =
        run_native(async { gen_::convert_yielded(gen_::legacy::Wait::<i32>::new("k")).await }).unwrap_err();
    assert!(error.is::<BadYieldError>(), "{error}");
    let error =
        run_native(async { gen_::convert_yielded(gen_::legacy::Callback::new("k")).await }).unwrap_err();
    assert!(error.is::<BadYieldError>(), "{error}");
    // with_timeout of a YieldPoint: the same.
    let error = run_native(async {
        gen_::with_timeout(Duration::from_secs(1), gen_::legacy::Wait::<i32>::new("k")).await
    })
    .unwrap_err();
    assert!(error.is::<BadYieldError>(), "{error}");
}

// Ports GenCoroutineTest.test_async_with_timeout: with_timeout around a
// native coroutine.
#[test]
fn test_async_with_timeout() {
    async fn f1() -> Result<i32, Error> {
        Ok(42)
    }

    let result =
        try_gen_test(|co| co.yield_(gen_::with_timeout(Duration::from_secs(3600), gen_::native(f1()))))
            .unwrap();
    assert_eq!(result, 42);
}

// with_timeout around a native coroutine that never finishes, from both
// kinds of coroutine: TimeoutError, and the native task keeps running (it
// is not cancelled) until the loop is closed.
#[test]
fn test_native_with_timeout_expires() {
    async fn never() -> Result<i32, Error> {
        Future::<i32>::new().await
    }

    let error =
        try_gen_test(|co| co.yield_(gen_::with_timeout(Duration::from_secs(1), gen_::native(never()))))
            .unwrap_err();
    assert!(error.is::<TimeoutError>(), "{error}");
    assert_eq!(error.to_string(), "Timeout");

    let io_loop = IOLoop::with_clock(ManualClock::autojump());
    let error = io_loop
        .run_sync(
            || {
                gen_::native(async {
                    gen_::with_timeout(Duration::from_secs(1), gen_::native(never())).await
                })
            },
            Some(Duration::from_secs(5)),
        )
        .unwrap_err();
    assert!(error.is::<TimeoutError>(), "{error}");
    assert_eq!(
        gust::runner::task_count(&io_loop),
        1,
        "the timed-out task is still there"
    );
    io_loop.close().unwrap();
    assert_eq!(gust::runner::task_count(&io_loop), 0);
}

// Ports GenCoroutineTest.test_async_return and test_async_gen_return
// (`return 42` and `raise gen.Return(42)` after a yield are the same in
// Rust), awaited from native code, and their native counterpart.
#[test]
fn test_async_return() {
    fn f() -> Future<i32> {
        gen_::coroutine(|co| {
            co.yield_(gen_::moment)?;
            Ok(42)
        })
    }
    assert_eq!(run_native(async { f().await }).unwrap(), 42);

    async fn g() -> Result<i32, Error> {
        yield_now().await;
        Ok(42)
    }
    assert_eq!(try_gen_test(|co| co.yield_(gen_::native(g()))).unwrap(), 42);
    assert_eq!(run_native(g()).unwrap(), 42);
}

// Ports GenCoroutineTest.test_async_early_return: a coroutine that returns
// before reaching its yield. The decorated one is done when the call
// returns; the native one has not even started until it is spawned and
// polled, one iteration later.
#[test]
fn test_async_early_return() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let early = Rc::new(Cell::new(true));

    let e = early.clone();
    let decorated: Future<i32> = gen_::coroutine(move |co| {
        if e.get() {
            return Ok(42);
        }
        co.yield_(gen_::moment)?;
        Ok(0)
    });
    assert!(decorated.done());
    assert_eq!(decorated.take_result().unwrap(), 42);

    let e = early.clone();
    let native = io_loop.spawn(async move {
        if e.get() {
            return Ok::<_, Error>(42);
        }
        yield_now().await;
        Ok(0)
    });
    assert!(!native.done());
    step(&io_loop);
    assert_eq!(native.take_result().unwrap(), 42);
}

// Errors cross both ways: a failing decorated coroutine fails the native
// code's `.await?`, and a failing native coroutine arrives at the decorated
// coroutine's yield, where it can be caught (test_replace_yieldpoint_exception,
// mixed).
#[test]
fn test_errors_cross_between_native_and_decorated() {
    fn decorated_fails() -> Future<i32> {
        gen_::coroutine(|co| {
            co.yield_(gen_::moment)?;
            Err(ZeroDivisionError.into())
        })
    }

    let error = run_native(async {
        let value = decorated_fails().await?;
        Ok::<_, Error>(value + 1)
    })
    .unwrap_err();
    assert!(error.is::<ZeroDivisionError>());

    let replaced = try_gen_test(|co| match co.yield_(gen_::native(divide(1, 0))) {
        Err(e) if e.is::<ZeroDivisionError>() => Ok("caught"),
        Err(e) => Err(e),
        Ok(_) => Ok("no error"),
    })
    .unwrap();
    assert_eq!(replaced, "caught");
    assert_eq!(
        try_gen_test(|co| co.yield_(gen_::native(divide(84, 2)))).unwrap(),
        42
    );
}

// The guide: decorated coroutines can yield `executor.submit(...)`
// directly, native ones use `IOLoop.run_in_executor`. In gust both return a
// gust Future, so both kinds of coroutine can use either.
#[test]
fn test_executor_results_in_native_code() {
    // A real clock: results from other threads are waited for (an autojump
    // clock would jump straight to run_sync's timeout while the loop waits
    // for the worker thread).
    let io_loop = IOLoop::new();
    let pool = gust::concurrent::ThreadPoolExecutor::new(2);
    let (a, b) = io_loop
        .run_sync(
            move || {
                gen_::native(async move {
                    // submit() delivers to the current loop: call it on the loop.
                    let a = pool.submit(|| (1..=10).sum::<u32>()).await?;
                    let b = IOLoop::current().run_in_executor(None, || 6 * 7).await?;
                    Ok::<_, Error>((a, b))
                })
            },
            Some(Duration::from_secs(10)),
        )
        .unwrap();
    assert_eq!((a, b), (55, 42));
    let c = io_loop
        .run_sync(
            || gen_::coroutine(|co| co.yield_(IOLoop::current().run_in_executor(None, || "decorated"))),
            Some(Duration::from_secs(10)),
        )
        .unwrap();
    assert_eq!(c, "decorated");
}

// Tornado's `async for result in gen.WaitIterator(...)`: native code awaits
// `next()` until `done()`; results in completion order, with their indexes.
#[test]
fn test_wait_iterator_in_native_code() {
    let order = run_native(async {
        let wait_iterator = gen_::WaitIterator::new(vec![
            gen_::convert_yielded(gen_::native(async {
                for _ in 0..3 {
                    yield_now().await;
                }
                Ok::<_, Error>("slow")
            })),
            after_moment("fast"),
            Future::ready("done"),
        ]);
        let mut order = Vec::new();
        while !wait_iterator.done() {
            let result = wait_iterator.next().await?;
            order.push((wait_iterator.current_index().unwrap(), result));
        }
        Ok::<_, Error>(order)
    })
    .unwrap();
    assert_eq!(order, vec![(2, "done"), (1, "fast"), (0, "slow")]);
}
