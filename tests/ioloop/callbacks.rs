//! Callbacks

use super::*;

#[test]
fn test_add_callback_fifo_order() {
    // New: Tornado leaves callback order to asyncio (FIFO).
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let order = recorder();
    for i in 0..10 {
        let order = order.clone();
        io_loop.add_callback(move || order.borrow_mut().push(i));
    }
    assert_eq!(io_loop.ready_len(), 10);
    assert!(order.borrow().is_empty(), "add_callback never runs at once");
    let before = io_loop.iterations();
    step(&io_loop);
    assert_eq!(io_loop.iterations(), before + 1);
    assert_eq!(*order.borrow(), (0..10).collect::<Vec<_>>());
    assert_eq!(io_loop.ready_len(), 0);
}

#[test]
fn test_callbacks_added_during_iteration_run_in_next() {
    // New: a callback added by a callback waits for the next iteration.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let order = recorder();
    let (o, l) = (order.clone(), io_loop.clone());
    io_loop.add_callback(move || {
        o.borrow_mut().push("a");
        let o2 = o.clone();
        l.add_callback(move || o2.borrow_mut().push("c"));
    });
    let o = order.clone();
    io_loop.add_callback(move || o.borrow_mut().push("b"));

    step(&io_loop);
    assert_eq!(*order.borrow(), ["a", "b"]);
    assert_eq!(io_loop.ready_len(), 1);
    step(&io_loop);
    assert_eq!(*order.borrow(), ["a", "b", "c"]);

    // A chain of callbacks, each adding the next, costs one iteration per
    // hop.
    fn hop(io_loop: IOLoop, left: u32, seen: Recorder<u64>) {
        seen.borrow_mut().push(io_loop.iterations());
        if left > 0 {
            let next = io_loop.clone();
            io_loop.add_callback(move || hop(next, left - 1, seen));
        }
    }
    let seen = recorder();
    let (l, s) = (io_loop.clone(), seen.clone());
    io_loop.add_callback(move || hop(l, 4, s));
    let first = io_loop.iterations() + 1;
    assert_eq!(io_loop.run_until_idle().unwrap(), 5);
    assert_eq!(*seen.borrow(), (first..first + 5).collect::<Vec<_>>());
}

#[test]
fn test_add_callback_return_sequence() {
    // Ports TestIOLoop.test_add_callback_return_sequence (issue #1803).
    // What a callback returns must not make the loop re-run it or spin.
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    io_loop.add_callback(move || -> Result<(), String> {
        c.set(c.get() + 1);
        Ok(())
    });
    let c = calls.clone();
    io_loop.add_callback(move || c.set(c.get() + 1));
    let l = io_loop.clone();
    io_loop.add_timeout(Duration::from_millis(50), move || l.stop());
    let before = io_loop.iterations();
    start_guarded(&io_loop);
    assert_eq!(calls.get(), 2);
    // One iteration for the callbacks, one for the timer.
    assert_eq!(io_loop.iterations() - before, 2);
    assert_eq!(io_loop.ready_len(), 0);
}

#[test]
fn test_add_callback_wakeup() {
    // Ports TestIOLoop.test_add_callback_wakeup: add_callback from inside a
    // running loop makes the next poll return at once. On a manual clock
    // without autojump a poll with nothing ready would wait forever.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let called = Rc::new(Cell::new(false));
    let (c, l) = (called.clone(), io_loop.clone());
    io_loop.add_timeout(io_loop.time(), move || {
        let l2 = l.clone();
        l.add_callback(move || {
            c.set(true);
            l2.stop();
        });
    });
    let before = io_loop.iterations();
    start_guarded(&io_loop);
    assert!(called.get());
    assert_eq!(io_loop.iterations() - before, 2);
}

#[test]
fn test_exception_logging() {
    // Ports TestIOLoop.test_exception_logging: a panic in a callback is
    // logged as "Exception in callback" and the loop carries on.
    let logs = LogCapture::start();
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let after = Rc::new(Cell::new(false));
    // The turbofish: a closure that only panics returns `!`, which is not a
    // CallbackResult.
    io_loop.add_callback::<_, ()>(|| panic!("boom in callback"));
    let (a, l) = (after.clone(), io_loop.clone());
    io_loop.add_callback(move || {
        a.set(true);
        l.stop();
    });
    start_guarded(&io_loop);
    assert!(after.get(), "the loop survived the panic");
    let records = logs.records();
    let errors = logs.app_errors();
    assert_eq!(errors.len(), 1, "{records:?}");
    assert!(errors[0].starts_with("Exception in callback "), "{}", errors[0]);
    assert!(errors[0].ends_with(": boom in callback"), "{}", errors[0]);
    // The callback is named (Tornado's %r) by its closure type.
    assert!(errors[0].contains("test_exception_logging"), "{}", errors[0]);

    // The loop is fully usable afterwards.
    let again = Rc::new(Cell::new(false));
    let a = again.clone();
    io_loop.add_callback(move || a.set(true));
    step(&io_loop);
    assert!(again.get());
}

#[test]
fn test_spawn_callback() {
    // Ports TestIOLoop.test_spawn_callback: errors of both add_callback and
    // spawn_callback callbacks are logged without stopping anything.
    let logs = LogCapture::start();
    let io_loop = IOLoop::with_clock(ManualClock::new());
    io_loop.add_callback(panics("added"));
    io_loop.spawn_callback(panics("spawned"));
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    io_loop.spawn_callback(move || r.set(true));
    step(&io_loop);
    assert!(ran.get());
    let errors = logs.app_errors();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].starts_with("Exception in callback ") && errors[0].ends_with(": added"));
    assert!(errors[1].starts_with("Exception in callback ") && errors[1].ends_with(": spawned"));
}

#[test]
fn test_result_callback_err_is_logged() {
    // New: a callback returning Err is logged like an exception (Tornado
    // logs the failure of what a callback returns).
    let logs = LogCapture::start();
    let io_loop = IOLoop::with_clock(ManualClock::new());
    io_loop.add_callback(|| -> Result<(), String> { Err("it failed".to_owned()) });
    io_loop.add_callback(|| -> Result<(), io::Error> { Ok(()) });
    io_loop.call_later(Duration::ZERO, || -> Result<(), String> {
        Err("timer failed".to_owned())
    });
    step(&io_loop);
    let records = logs.records();
    let errors = logs.app_errors();
    assert_eq!(errors.len(), 2, "{records:?}");
    assert!(errors[0].starts_with("Exception in callback ") && errors[0].ends_with(": it failed"));
    assert!(errors[1].starts_with("Exception in callback ") && errors[1].ends_with(": timer failed"));
}

#[test]
fn test_timer_and_raw_callback_panics_are_logged() {
    // New: every kind of callback goes through the same catch-and-log path.
    let logs = LogCapture::start();
    fn raw_panics(_: &IOLoop, data: u64) {
        panic!("raw {data}");
    }
    let io_loop = IOLoop::with_clock(ManualClock::new());
    io_loop.call_later(Duration::ZERO, panics("in timer"));
    io_loop.add_callback_raw(raw_panics, 7);
    step(&io_loop);
    let errors = logs.app_errors();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().any(|e| e.ends_with(": in timer")), "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("Exception in callback") && e.ends_with(": raw 7")),
        "{errors:?}"
    );
}

#[test]
fn test_raw_callbacks() {
    // New: add_callback_raw / call_at_raw pass the loop and their data word.
    thread_local! {
        static SEEN: RefCell<Vec<(u64, u64)>> = const { RefCell::new(Vec::new()) };
    }
    fn record(io_loop: &IOLoop, data: u64) {
        SEEN.with(|s| s.borrow_mut().push((io_loop.id(), data)));
    }
    SEEN.with(|s| s.borrow_mut().clear());
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    io_loop.call_at_raw(io_loop.time() + Duration::from_secs(1), record, 2);
    io_loop.add_callback_raw(record, 1);
    let cancelled = io_loop.call_at_raw(io_loop.time(), record, 99);
    assert!(io_loop.remove_timeout(cancelled));
    step(&io_loop);
    assert_eq!(SEEN.with(|s| s.borrow().clone()), [(io_loop.id(), 1)]);
    clock.advance(Duration::from_secs(1));
    step(&io_loop);
    assert_eq!(
        SEEN.with(|s| s.borrow().clone()),
        [(io_loop.id(), 1), (io_loop.id(), 2)]
    );
}
