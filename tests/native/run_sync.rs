//! IOLoopTest / testing_test: run_sync, spawn_callback with native code

use super::*;

// Ports TestIOLoopRunSync.test_native_coroutine.
#[test]
fn test_run_sync_native_coroutine() {
    fn f1() -> Future<()> {
        gen_::coroutine(|co| co.yield_(gen_::moment))
    }

    async fn f2() -> Result<(), Error> {
        f1().await
    }

    let io_loop = IOLoop::new();
    io_loop
        .run_sync(|| gen_::native(f2()), Some(Duration::from_secs(5)))
        .unwrap();
    // run_sync(lambda: divide(1, 0)) from the guide: the error comes back.
    let error = io_loop.run_sync(|| gen_::native(divide(1, 0)), None).unwrap_err();
    assert!(error.is::<ZeroDivisionError>());
}

// Ports AsyncTestCaseTest/GenTest.test_native_coroutine_timeout
// (testing_test.py): a native body exceeding run_sync's timeout.
#[test]
fn test_run_sync_native_coroutine_timeout() {
    let io_loop = IOLoop::with_clock(ManualClock::autojump());
    let error = io_loop
        .run_sync(
            || gen_::native(async { gen_::sleep(Duration::from_secs(1)).await }),
            Some(Duration::from_millis(100)),
        )
        .unwrap_err();
    assert!(error.is::<TimeoutError>(), "{error}");
    assert_eq!(error.to_string(), "Operation timed out after 0.1 seconds");
}

// Ports TestIOLoop.test_exception_logging_native_coro: an async callback's
// failure is logged by the loop ("Exception in callback"), in the iteration
// the task fails in (the callback spawns it in the first iteration, the
// task's first poll fails in the second).
#[test]
fn test_exception_logging_native_coro() {
    let logs = LogCapture::start();
    let io_loop = IOLoop::with_clock(ManualClock::new());
    io_loop.add_callback(|| gen_::native(async { Err::<(), Error>(ZeroDivisionError.into()) }));
    step(&io_loop);
    assert!(logs.app_errors().is_empty(), "not polled yet");
    step(&io_loop);
    let errors = logs.app_errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("Exception in callback "), "{}", errors[0]);
    assert!(errors[0].ends_with(": division by zero"), "{}", errors[0]);
    assert_eq!(io_loop.run_until_idle().unwrap(), 0);
}

// Ports TestIOLoop.test_spawn_callback with native coroutines, and the
// guide's `IOLoop.current().spawn_callback(divide, 1, 0)`: spawn_callback
// is "required for functions using async def" in Tornado; in gust the
// callback returns `gen_::native(...)`. Failures and panics are logged, the
// loop carries on.
#[test]
fn test_spawn_callback_native() {
    let logs = LogCapture::start();
    let io_loop = IOLoop::with_clock(ManualClock::new());
    io_loop.spawn_callback(|| gen_::native(divide(1, 0)));
    io_loop.spawn_callback(|| {
        gen_::native(async {
            yield_now().await;
            explode("spawned boom");
        })
    });
    let ok = Rc::new(Cell::new(0));
    let o = ok.clone();
    io_loop.spawn_callback(move || {
        gen_::native(async move {
            o.set(divide(84, 2).await?);
            Ok::<(), Error>(())
        })
    });
    io_loop.run_until_idle().unwrap();
    assert_eq!(ok.get(), 42);
    let errors = logs.app_errors_containing("Exception in callback ");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].ends_with(": division by zero"), "{}", errors[0]);
    assert!(errors[1].ends_with(": spawned boom"), "{}", errors[1]);
    assert_eq!(gust::runner::task_count(&io_loop), 0);
}
