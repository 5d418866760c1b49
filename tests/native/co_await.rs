//! Co::await_: a Rust future on the coroutine's own stack

use super::*;

// The future may borrow the coroutine's locals, mutably too; the result
// arrives where the coroutine awaits it.
#[test]
fn test_co_await_borrows_a_local() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let pending: Future<u32> = Future::new();
    let p = pending.clone();
    let f = gen_::coroutine(move |co| {
        let mut local = vec![1u32, 2];
        let sum = co.await_(async {
            let extra = p.await?;
            local.push(extra);
            Ok::<_, Error>(local.iter().sum::<u32>())
        })?;
        local.push(sum);
        Ok(local)
    });
    assert!(!f.done());
    assert_eq!(
        gust::runner::task_count(&io_loop),
        0,
        "no task: polled on the coroutine's stack"
    );
    pending.set_result(3).unwrap();
    io_loop.run_until_idle().unwrap();
    assert_eq!(f.take_result().unwrap(), vec![1, 2, 3, 6]);
}

// Co::await_ of a gust future: a done one continues at once (no switch, no
// iteration, like `co.yield_`); a pending one resumes two iterations after
// it is resolved (the waker schedules a signal, the signal resumes the
// coroutine), one more than `co.yield_` of the same future; an error
// arrives as `Err` at the await_.
#[test]
fn test_co_await_of_gust_futures() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let ready = gen_::coroutine(|co| co.await_(Future::ready(5)));
    assert_eq!(ready.take_result().unwrap(), 5);

    let (a, b) = (Future::<u32>::new(), Future::<u32>::new());
    let (a2, b2) = (a.clone(), b.clone());
    let by_await = gen_::coroutine(move |co| co.await_(a2));
    let by_yield = gen_::coroutine(move |co| co.yield_(b2));
    a.set_result(1).unwrap();
    b.set_result(2).unwrap();
    assert!(!by_await.done() && !by_yield.done(), "never resumed re-entrantly");
    step(&io_loop);
    assert!(by_yield.done());
    assert!(!by_await.done());
    step(&io_loop);
    assert_eq!(by_await.take_result().unwrap(), 1);
    assert_eq!(by_yield.take_result().unwrap(), 2);

    let failed: Future<u32> = Future::new();
    let f2 = failed.clone();
    let caught = gen_::coroutine(move |co| match co.await_(f2) {
        Err(e) if e.is::<ZeroDivisionError>() => Ok("caught"),
        other => other.map(|_| "no error"),
    });
    failed.set_exception(ZeroDivisionError).unwrap();
    io_loop.run_until_idle().unwrap();
    assert_eq!(caught.take_result().unwrap(), "caught");
}

// Co::await_ of an async block that awaits a timer, and of a native
// coroutine that awaits a decorated one.
#[test]
fn test_co_await_async_block_with_timer() {
    let (value, waited) = try_gen_test(|co| {
        let io_loop = IOLoop::current();
        let start = io_loop.time();
        let value = co.await_(async {
            gen_::sleep(Duration::from_millis(50)).await?;
            let x = after_moment(6).await?;
            Ok::<_, Error>(x * 7)
        })?;
        Ok((value, io_loop.time() - start))
    })
    .unwrap();
    assert_eq!(value, 42);
    assert_eq!(waited, Duration::from_millis(50));
}

// A panic inside the future given to Co::await_ unwinds the coroutine: its
// future fails with the coroutine's PanicError.
#[test]
fn test_co_await_panic_fails_the_coroutine() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let log = new_log();
    let l = log.clone();
    let f: Future<()> = gen_::Builder::new().name("awaiter").spawn(move |co| {
        let _guard = Guard::new(&l, "awaiter");
        co.await_(async {
            yield_now().await;
            explode("await_ boom");
        })
    });
    io_loop.run_until_idle().unwrap();
    let error = f.take_result().unwrap_err();
    assert_eq!(panic_message(&error), "await_ boom");
    assert_eq!(
        error.downcast_ref::<PanicError>().unwrap().coroutine.as_deref(),
        Some("awaiter")
    );
    assert_eq!(*log.borrow(), vec!["awaiter"]);
}

// Closing the loop unwinds a coroutine suspended in Co::await_: its
// destructors run and its future fails with LoopClosedError, as for a
// coroutine suspended in `co.yield_`.
#[test]
fn test_close_unwinds_coroutine_in_await() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let log = new_log();
    let never: Future<i32> = Future::new();
    let (l, n) = (log.clone(), never.clone());
    let f = gen_::coroutine(move |co| {
        let _guard = Guard::new(&l, "awaiting");
        co.await_(n)
    });
    assert!(!f.done());
    io_loop.close().unwrap();
    assert_eq!(*log.borrow(), vec!["awaiting"]);
    assert!(f.take_result().unwrap_err().is::<LoopClosedError>());
}

// gust's contract: closing or dropping the IOLoop unwinds every suspended
// coroutine (their destructors run); nothing leaks. Dropping the last
// handle must do for a coroutine suspended in Co::await_ what it does for
// one suspended in co.yield_ (checked first, as the control).
#[test]
fn test_drop_loop_unwinds_coroutine_in_await() {
    let log = new_log();
    let never: Future<i32> = Future::new();

    let io_loop = IOLoop::with_clock(ManualClock::new());
    let (l, n) = (log.clone(), never.clone());
    let by_yield = gen_::coroutine(move |co| {
        let _guard = Guard::new(&l, "in yield_");
        co.yield_(n)
    });
    drop(io_loop);
    assert_eq!(*log.borrow(), vec!["in yield_"]);
    assert!(by_yield.take_result().unwrap_err().is::<LoopClosedError>());

    let io_loop = IOLoop::with_clock(ManualClock::new());
    let weak = io_loop.downgrade();
    let (l, n) = (log.clone(), never.clone());
    let by_await = gen_::coroutine(move |co| {
        let _guard = Guard::new(&l, "in await_");
        co.await_(n)
    });
    drop(io_loop);
    let leaked = weak.upgrade();
    assert!(
        leaked.is_none(),
        "the loop outlived its last handle: the coroutine suspended in await_ keeps it alive"
    );
    assert_eq!(*log.borrow(), vec!["in yield_", "in await_"]);
    assert!(by_await.take_result().unwrap_err().is::<LoopClosedError>());
}
