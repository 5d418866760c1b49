//! Tasks: panics, closing, task_count

use super::*;

// A panic in a spawned future becomes a PanicError in its future; the loop
// and the other tasks carry on; the panicking task's locals are dropped.
#[test]
fn test_panic_in_task_becomes_panic_error() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let log = new_log();

    let first = io_loop.spawn(async {
        explode("task boom");
        Ok::<i32, Error>(1)
    });
    let l = log.clone();
    let later = io_loop.spawn(async move {
        let _guard = Guard::new(&l, "later");
        yield_now().await;
        explode("boom after a yield");
        Ok::<i32, Error>(2)
    });
    let fine = io_loop.spawn(async {
        yield_now().await;
        Ok::<i32, Error>(3)
    });
    assert_eq!(gust::runner::task_count(&io_loop), 3);
    io_loop.run_until_idle().unwrap();

    let error = first.take_result().unwrap_err();
    assert!(error.is::<PanicError>());
    assert_eq!(panic_message(&error), "task boom");
    assert!(error.downcast_ref::<PanicError>().unwrap().coroutine.is_none());
    let error = later.take_result().unwrap_err();
    assert_eq!(panic_message(&error), "boom after a yield");
    assert_eq!(*log.borrow(), vec!["later"]);
    assert_eq!(fine.take_result().unwrap(), 3);
    assert_eq!(gust::runner::task_count(&io_loop), 0);

    // The loop is fully usable afterwards.
    assert_eq!(
        io_loop.run_sync(|| gen_::native(divide(84, 2)), None).unwrap(),
        42
    );
}

// A panic in a decorated coroutine awaited from native code arrives as the
// decorated coroutine's PanicError (naming the coroutine).
#[test]
fn test_panic_in_decorated_awaited_from_native() {
    let error = run_native(async {
        gen_::Builder::new()
            .name("exploder")
            .spawn(|co| {
                co.yield_(gen_::moment)?;
                explode("decorated boom");
                Ok(1)
            })
            .await
    })
    .unwrap_err();
    assert_eq!(panic_message(&error), "decorated boom");
    assert_eq!(
        error.downcast_ref::<PanicError>().unwrap().coroutine.as_deref(),
        Some("exploder")
    );
}

// Closing the loop drops every pending task (its destructors run: Python's
// `finally`), spawned-but-never-polled ones included, and fails their
// futures with LoopClosedError. Spawning on a closed loop fails at once.
#[test]
fn test_close_drops_pending_tasks() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let log = new_log();
    let never: Future<()> = Future::new();

    let (l, n) = (log.clone(), never.clone());
    let parked = io_loop.spawn(async move {
        let _guard = Guard::new(&l, "parked");
        n.await
    });
    step(&io_loop);
    let guard = Guard::new(&log, "unpolled");
    let unpolled = io_loop.spawn(async move {
        let _guard = guard;
    });
    assert_eq!(gust::runner::task_count(&io_loop), 2);
    assert!(log.borrow().is_empty());

    io_loop.close().unwrap();
    let mut dropped = log.borrow().clone();
    dropped.sort();
    assert_eq!(dropped, vec!["parked", "unpolled"]);
    assert!(parked.take_result().unwrap_err().is::<LoopClosedError>());
    assert!(unpolled.take_result().unwrap_err().is::<LoopClosedError>());
    assert_eq!(gust::runner::task_count(&io_loop), 0);

    let late = io_loop.spawn(async { Ok::<_, Error>(1) });
    assert!(late.take_result().unwrap_err().is::<LoopClosedError>());
    // The future the parked task waited for is untouched.
    assert!(!never.done());
}

// Dropping the last handle of the loop closes it: the same.
#[test]
fn test_drop_loop_drops_pending_tasks() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let log = new_log();
    let never: Future<()> = Future::new();
    let (l, n) = (log.clone(), never.clone());
    let parked = io_loop.spawn(async move {
        let _guard = Guard::new(&l, "parked");
        n.await
    });
    step(&io_loop);
    assert!(log.borrow().is_empty());
    drop(io_loop);
    assert_eq!(*log.borrow(), vec!["parked"]);
    assert!(parked.take_result().unwrap_err().is::<LoopClosedError>());
}

// A task's destructor that spawns while the loop closes gets a failed
// future, not a task that outlives the loop.
#[test]
fn test_spawn_from_destructor_while_closing() {
    struct SpawnOnDrop(Rc<RefCell<Option<Future<i32>>>>);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let spawned = IOLoop::current().spawn(async { Ok::<_, Error>(1) });
            *self.0.borrow_mut() = Some(spawned);
        }
    }

    let io_loop = IOLoop::with_clock(ManualClock::new());
    let slot = Rc::new(RefCell::new(None));
    let on_drop = SpawnOnDrop(slot.clone());
    let _task = io_loop.spawn(async move {
        let _on_drop = on_drop;
        Future::<()>::new().await
    });
    step(&io_loop);
    io_loop.close().unwrap();
    let spawned = slot.borrow_mut().take().expect("the destructor ran");
    assert!(spawned.take_result().unwrap_err().is::<LoopClosedError>());
    assert_eq!(gust::runner::task_count(&io_loop), 0);
}

// Cancelling a task's future does not stop the task (as for a decorated
// coroutine's future); its eventual result is dropped silently.
#[test]
fn test_cancelling_task_future_does_not_stop_it() {
    let logs = LogCapture::start();
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let steps = Rc::new(Cell::new(0));
    let s = steps.clone();
    let task = io_loop.spawn(async move {
        for _ in 0..3 {
            s.set(s.get() + 1);
            yield_now().await;
        }
        Err::<(), Error>(Error::msg("finished after cancel"))
    });
    step(&io_loop);
    assert!(task.cancel());
    assert!(task.cancelled());
    io_loop.run_until_idle().unwrap();
    assert_eq!(steps.get(), 3, "the task ran to its end");
    assert_eq!(gust::runner::task_count(&io_loop), 0);
    // Its late error is reported as Tornado's
    // future_set_exception_unless_cancelled does.
    assert_eq!(
        logs.app_errors(),
        vec!["Exception after Future was cancelled: finished after cancel".to_owned()]
    );
}

// Wakes for a closed loop are ignored, from its thread or another one.
#[test]
fn test_wake_after_close_is_ignored() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let (polls, waker, done) = (
        Rc::new(Cell::new(0)),
        Rc::new(RefCell::new(None)),
        Rc::new(Cell::new(false)),
    );
    let task = io_loop.spawn(Recorder {
        polls: polls.clone(),
        waker: waker.clone(),
        done,
    });
    step(&io_loop);
    let w: Waker = waker.borrow().clone().unwrap();
    io_loop.close().unwrap();
    assert!(task.take_result().unwrap_err().is::<LoopClosedError>());
    w.wake_by_ref();
    let remote = w.clone();
    thread::spawn(move || remote.wake()).join().unwrap();
    assert_eq!(polls.get(), 1);
    assert_eq!(io_loop.ready_len(), 0);
}

#[test]
fn test_task_count() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    assert_eq!(gust::runner::task_count(&io_loop), 0);
    let gate: Future<u32> = Future::new();
    let tasks: Vec<Future<u32>> = (0..10)
        .map(|i| {
            let gate = gate.clone();
            io_loop.spawn(async move {
                let g = if i % 2 == 0 {
                    gen_::convert_yielded(&gate).await?
                } else {
                    i
                };
                Ok::<_, Error>(g + i)
            })
        })
        .collect();
    assert_eq!(gust::runner::task_count(&io_loop), 10);
    io_loop.run_until_idle().unwrap();
    assert_eq!(gust::runner::task_count(&io_loop), 5, "the odd ones finished");
    gate.set_result(100).unwrap();
    io_loop.run_until_idle().unwrap();
    assert_eq!(gust::runner::task_count(&io_loop), 0);
    let results: Vec<u32> = tasks.iter().map(|t| t.take_result().unwrap()).collect();
    assert_eq!(results, vec![100, 2, 102, 6, 104, 10, 106, 14, 108, 18]);
}

// New (Tornado 6.6, as asyncio's Task): a task whose future ends with an
// uncaught CancelledError (raised, or from awaiting a cancelled future)
// ends with its future cancelled.
#[test]
fn test_uncaught_cancellation_cancels_the_task_future() {
    use gust::concurrent::CancelledError;
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let raised = io_loop.spawn(async { Err::<i32, Error>(CancelledError.into()) });
    let input = Future::<i32>::new();
    let waited = input.clone();
    let awaited = io_loop.spawn(async move { Ok::<i32, Error>(waited.await? + 1) });
    let caught_input = Future::<i32>::new();
    let c = caught_input.clone();
    let caught = io_loop.spawn(async move {
        match c.await {
            Err(e) if e.is::<CancelledError>() => Ok::<i32, Error>(-1),
            other => other,
        }
    });
    io_loop.run_until_idle().unwrap();
    assert!(input.cancel());
    assert!(caught_input.cancel());
    io_loop.run_until_idle().unwrap();
    for f in [&raised, &awaited] {
        assert!(f.cancelled(), "{f:?}");
        assert!(f.take_result().unwrap_err().is::<CancelledError>());
    }
    assert!(!caught.cancelled());
    assert_eq!(caught.take_result().unwrap(), -1);
}

/// Panics when dropped (unless already unwinding).
struct PanicsOnDrop(&'static str);

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("{}", self.0);
        }
    }
}

// New: close() finishes every step whatever a destructor does: a task
// whose destructor panics does not stop the other tasks, the parked
// coroutines, the timers and the other threads' handles from being closed;
// the panic is resumed once everything is closed, and a second close()
// does nothing.
#[test]
fn test_close_survives_a_panicking_task_destructor() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let handle = io_loop.handle();
    let log = new_log();
    let bomb = io_loop.spawn(async {
        let _bomb = PanicsOnDrop("task destructor boom");
        std::future::pending::<()>().await;
        Ok::<(), Error>(())
    });
    let l = log.clone();
    let other = io_loop.spawn(async move {
        let _guard = Guard::new(&l, "other task");
        std::future::pending::<()>().await;
        Ok::<(), Error>(())
    });
    let (l, gate) = (log.clone(), Future::<()>::new());
    let waited = gate.clone();
    let parked = gen_::coroutine(move |co| {
        let _guard = Guard::new(&l, "parked coroutine");
        co.yield_(waited)
    });
    let timer = Guard::new(&log, "timer");
    io_loop.call_later(Duration::from_secs(60), move || drop(timer));
    let callback = Guard::new(&log, "callback");
    io_loop.run_until_idle().unwrap();
    io_loop.add_callback(move || drop(callback));

    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| io_loop.close()));
    let payload = outcome.expect_err("the destructor's panic is reported");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("task destructor boom")
    );
    assert!(io_loop.is_closed());
    assert!(handle.is_closed());
    assert_eq!(handle.add_callback(|| {}), Err(LoopClosedError));
    assert_eq!(io_loop.timer_count(), 0);
    assert_eq!(gust::runner::task_count(&io_loop), 0);
    let mut dropped = log.borrow().clone();
    dropped.sort();
    assert_eq!(dropped, ["callback", "other task", "parked coroutine", "timer"]);
    for f in [&bomb, &other, &parked] {
        assert!(f.take_result().unwrap_err().is::<LoopClosedError>(), "{f:?}");
    }
    assert_eq!(io_loop.close(), Ok(()));
    drop(gate);
}
