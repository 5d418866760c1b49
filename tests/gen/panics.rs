//! Panics, spawn_callback

use super::*;

// gust-specific (contract: "Panics in a body are caught and become the
// future's error; the loop survives"), before and after the first yield.
#[test]
fn test_panic_becomes_panic_error_and_loop_survives() {
    let io_loop = IOLoop::new();
    let early = gen_::coroutine::<(), _>(|_co| panic!("early {}", 1));
    assert!(early.done());
    let err = early.take_result().unwrap_err();
    assert!(err.is::<PanicError>());
    assert_eq!(err.downcast_ref::<PanicError>().unwrap().message, "early 1");

    let late = gen_::coroutine::<(), _>(|co| {
        co.yield_(gen_::moment)?;
        panic!("late");
    });
    let after = Rc::new(Cell::new(false));
    let a = after.clone();
    io_loop.add_callback(move || a.set(true));
    step(&io_loop);
    assert!(
        after.get(),
        "callbacks after the panic in the same iteration still run"
    );
    let err = late.take_result().unwrap_err();
    assert_eq!(err.downcast_ref::<PanicError>().unwrap().message, "late");
    // The loop is still usable.
    assert_eq!(io_loop.run_sync(|| async_future(5), None).unwrap(), 5);
}

// gust-specific (Tornado logs a spawned coroutine's failure through
// `_run_callback`): `spawn_callback` of a failing coroutine logs
// `Exception in callback ...` once, and nothing is logged again when the
// future is dropped.
#[test]
fn test_spawn_callback_failure_is_logged() {
    let logs = LogCapture::start();
    let io_loop = IOLoop::new();
    io_loop.spawn_callback(|| {
        gen_::coroutine::<(), _>(|co| {
            co.yield_(gen_::moment)?;
            Err(Error::msg("spawned failure"))
        })
    });
    io_loop.spawn_callback(|| gen_::coroutine::<(), _>(|_co| Err(Error::msg("sync failure"))));
    io_loop.spawn_callback(|| gen_::coroutine(|_co| Ok(1)));
    io_loop.run_until_idle().unwrap();
    let logged = logs.app_errors();
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert!(
        logged.iter().all(|m| m.starts_with("Exception in callback ")),
        "{logged:?}"
    );
    assert!(logged.iter().any(|m| m.ends_with(": sync failure")), "{logged:?}");
    assert!(
        logged.iter().any(|m| m.ends_with(": spawned failure")),
        "{logged:?}"
    );
}
