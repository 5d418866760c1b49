//! run_sync (Tornado's ioloop_test.py TestIOLoopRunSync)

use super::*;

// Ports TestIOLoopRunSync.test_sync_result / test_async_result.
#[test]
fn test_run_sync_result() {
    let io_loop = IOLoop::with_clock(ManualClock::autojump());
    assert_eq!(io_loop.run_sync(|| Future::ready(42), None).unwrap(), 42);
    let result = io_loop
        .run_sync(
            || {
                gen_::coroutine(|co| {
                    co.yield_(gen_::sleep(Duration::from_secs(60)))?;
                    Ok(42)
                })
            },
            None,
        )
        .unwrap();
    assert_eq!(result, 42);
    // Anything yieldable will do, like convert_yielded in Tornado.
    assert_eq!(
        io_loop
            .run_sync(|| vec![async_future(1), async_future(2)], None)
            .unwrap(),
        vec![1, 2]
    );
    io_loop.run_sync(|| gen_::moment, None).unwrap();
}

// Ports TestIOLoopRunSync.test_sync_exception / test_async_exception.
// run_sync hands the error back, so nothing is logged as unretrieved.
#[test]
fn test_run_sync_error() {
    let logs = LogCapture::start();
    let io_loop = IOLoop::new();
    let err = io_loop
        .run_sync(
            || gen_::coroutine::<(), _>(|_co| Err(ZeroDivisionError.into())),
            None,
        )
        .unwrap_err();
    assert!(err.is::<ZeroDivisionError>());
    let err = io_loop
        .run_sync(|| async_exception::<()>(ZeroDivisionError), None)
        .unwrap_err();
    assert!(err.is::<ZeroDivisionError>());
    // A panicking func is an error too, and the loop survives it.
    let err = io_loop
        .run_sync(|| -> Future<()> { panic!("in func") }, None)
        .unwrap_err();
    assert_eq!(err.downcast_ref::<PanicError>().unwrap().message, "in func");
    assert_eq!(io_loop.run_sync(|| Future::ready(1), None).unwrap(), 1);
    drop(io_loop);
    assert_eq!(logs.app_errors(), Vec::<String>::new());
}

// Ports TestIOLoopRunSync.test_current: the loop is current inside func.
#[test]
fn test_run_sync_current() {
    let io_loop = IOLoop::new();
    let other = IOLoop::new();
    let id = io_loop.id();
    let same = io_loop
        .run_sync(move || Future::ready(IOLoop::current().id() == id), None)
        .unwrap();
    assert!(same);
    drop(other);
}

// Ports TestIOLoopRunSync.test_timeout: `TimeoutError("Operation timed out
// after N seconds")`; the clock jumps, so nothing really waits, and the
// work's future is cancelled.
#[test]
fn test_run_sync_timeout() {
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let start = clock.now();
    let slot: Rc<RefCell<Option<Future<()>>>> = Rc::new(RefCell::new(None));
    let s = slot.clone();
    let err = io_loop
        .run_sync(
            move || {
                let f = gen_::coroutine(|co| co.yield_(gen_::sleep(Duration::from_secs(3600))));
                *s.borrow_mut() = Some(f.clone());
                f
            },
            Some(Duration::from_secs(1)),
        )
        .unwrap_err();
    assert!(err.is::<TimeoutError>(), "{err}");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.to_string(), "Operation timed out after 1 seconds");
    assert_eq!(clock.now() - start, Duration::from_secs(1));
    assert!(slot.borrow().as_ref().unwrap().cancelled());

    let err = io_loop
        .run_sync(
            || gen_::coroutine(|co| co.yield_(gen_::sleep(Duration::from_secs(3600)))),
            Some(Duration::from_millis(500)),
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "Operation timed out after 0.5 seconds");
}

// Ports Tornado 6.5's run_sync stopped from elsewhere: RuntimeError("Event
// loop stopped before Future completed.").
#[test]
fn test_run_sync_stopped_before_completion() {
    let io_loop = IOLoop::new();
    let err = io_loop
        .run_sync(
            || {
                gen_::coroutine(|co| {
                    IOLoop::current().stop();
                    co.yield_(gen_::sleep(Duration::from_secs(3600)))
                })
            },
            None,
        )
        .unwrap_err();
    assert!(err.is::<StoppedBeforeCompletionError>(), "{err}");
    assert_eq!(err.to_string(), "Event loop stopped before Future completed.");
}

// Ports run_sync's RuntimeError on a running loop (and on a closed one).
#[test]
fn test_run_sync_on_running_loop_is_an_error() {
    let io_loop = IOLoop::new();
    let out: Rc<RefCell<Option<Result<i32, Error>>>> = Rc::new(RefCell::new(None));
    let o = out.clone();
    io_loop.add_callback(move || {
        *o.borrow_mut() = Some(IOLoop::current().run_sync(|| Future::ready(1), None));
    });
    step(&io_loop);
    let err = out.borrow_mut().take().unwrap().unwrap_err();
    assert_eq!(
        err.downcast_ref::<IOLoopError>(),
        Some(&IOLoopError::AlreadyRunning)
    );

    io_loop.close().unwrap();
    let err = io_loop.run_sync(|| Future::ready(1), None).unwrap_err();
    assert_eq!(err.downcast_ref::<IOLoopError>(), Some(&IOLoopError::Closed));
}

// gust-specific (docs/differences.md, "Hop counts"): because future
// callbacks run synchronously, compositions add no loop iteration. A
// coroutine waiting on `[f]`, `with_timeout(d, f)` or `WaitIterator.next()`
// over `f` resumes exactly one iteration after `f` is resolved (Tornado 6 on
// asyncio takes two). A child coroutine waiting on `f` takes two, as in
// Tornado: the child resumes, finishes, then the parent resumes.
#[test]
fn test_hop_counts_of_compositions() {
    type Waiter = fn(Future<u32>) -> Future<u32>;
    let waiters: Vec<(&str, Waiter, u64)> = vec![
        ("plain", |f| gen_::coroutine(move |co| co.yield_(f)), 1),
        (
            "list",
            |f| gen_::coroutine(move |co| Ok(co.yield_(vec![f])?[0])),
            1,
        ),
        (
            "with_timeout",
            |f| gen_::coroutine(move |co| co.yield_(gen_::with_timeout(Duration::from_secs(60), f))),
            1,
        ),
        (
            "wait_iterator",
            |f| gen_::coroutine(move |co| co.yield_(gen_::WaitIterator::new(vec![f]).next())),
            1,
        ),
        (
            "child",
            |f| gen_::coroutine(move |co| co.yield_(gen_::coroutine(move |co| co.yield_(f)))),
            2,
        ),
    ];
    for (name, waiter, expected) in waiters {
        let io_loop = IOLoop::with_clock(ManualClock::new());
        let f: Future<u32> = Future::new();
        let result = waiter(f.clone());
        io_loop.run_iterations(3).unwrap();
        assert!(!result.done(), "{name}: resumed before the future was resolved");
        let before = io_loop.iterations();
        f.set_result(7).unwrap();
        let mut hops = 0;
        while !result.done() {
            io_loop.run_once(Some(Duration::ZERO)).unwrap();
            hops += 1;
            assert!(hops < 10, "{name}: never resumed");
        }
        assert_eq!(io_loop.iterations() - before, hops);
        assert_eq!(hops, expected, "{name}");
        assert_eq!(result.take_result().unwrap(), 7);
    }
}
