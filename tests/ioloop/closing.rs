//! Starting, stopping, closing

use super::*;

#[test]
fn test_stop_before_start() {
    // New (Tornado 6 inherits asyncio's rule): stop() before start() makes
    // the next start return after exactly one iteration, which still runs
    // the ready callbacks; the start after that runs normally.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let ran = Rc::new(Cell::new(0));
    let r = ran.clone();
    io_loop.add_callback(move || r.set(r.get() + 1));
    io_loop.stop();
    io_loop.stop();
    let before = io_loop.iterations();
    start_guarded(&io_loop);
    assert_eq!(io_loop.iterations() - before, 1);
    assert_eq!(ran.get(), 1);

    // Nothing at all to do: still exactly one iteration, no blocking.
    io_loop.stop();
    let before = io_loop.iterations();
    start_guarded(&io_loop);
    assert_eq!(io_loop.iterations() - before, 1);

    // The stop was used up: this start runs until its own stop.
    let (l, r) = (io_loop.clone(), ran.clone());
    io_loop.add_callback(move || {
        let l2 = l.clone();
        l.add_callback(move || {
            r.set(r.get() + 1);
            l2.stop();
        });
    });
    let before = io_loop.iterations();
    start_guarded(&io_loop);
    assert_eq!(io_loop.iterations() - before, 2);
    assert_eq!(ran.get(), 2);
}

#[test]
fn test_stop_from_callback() {
    // New: stop() from a callback finishes the current iteration (later
    // callbacks already queued still run) and start returns; what they
    // scheduled waits for the next start.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let order = recorder();
    let (o, l) = (order.clone(), io_loop.clone());
    io_loop.add_callback(move || {
        o.borrow_mut().push("stop");
        l.stop();
    });
    let (o, l) = (order.clone(), io_loop.clone());
    io_loop.add_callback(move || {
        o.borrow_mut().push("same iteration");
        let o2 = o.clone();
        l.add_callback(move || o2.borrow_mut().push("next start"));
    });
    assert!(!io_loop.is_running());
    start_guarded(&io_loop);
    assert!(!io_loop.is_running());
    assert_eq!(*order.borrow(), ["stop", "same iteration"]);
    assert_eq!(io_loop.ready_len(), 1);
    let l = io_loop.clone();
    io_loop.add_callback(move || l.stop());
    start_guarded(&io_loop);
    assert_eq!(*order.borrow(), ["stop", "same iteration", "next start"]);
}

#[test]
fn test_reentrant() {
    // Ports TestIOLoop.test_reentrant: starting a running loop is an error,
    // not a deadlock; so are the other ways of running it.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let results = recorder();
    let (r, l) = (results.clone(), io_loop.clone());
    io_loop.add_callback(move || {
        assert!(l.is_running());
        r.borrow_mut().push(l.start());
        r.borrow_mut().push(l.run_once(Some(Duration::ZERO)));
        r.borrow_mut().push(l.run_until_idle().map(|_| ()));
        r.borrow_mut().push(l.run_iterations(1));
        l.stop();
    });
    start_guarded(&io_loop);
    assert_eq!(*results.borrow(), [Err(IOLoopError::AlreadyRunning); 4]);
    assert_eq!(
        IOLoopError::AlreadyRunning.to_string(),
        "IOLoop is already running"
    );
}

#[test]
fn test_close_while_running_is_an_error() {
    // New: close() from inside the running loop fails and changes nothing.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let result = Rc::new(Cell::new(None));
    let (r, l) = (result.clone(), io_loop.clone());
    io_loop.add_callback(move || {
        r.set(Some(l.close()));
        l.stop();
    });
    let later = Rc::new(Cell::new(false));
    let (lt, l) = (later.clone(), io_loop.clone());
    io_loop.add_callback(move || l.add_callback(move || lt.set(true)));
    start_guarded(&io_loop);
    assert_eq!(result.get(), Some(Err(IOLoopError::CloseWhileRunning)));
    assert!(!io_loop.is_closed());
    step(&io_loop);
    assert!(later.get(), "the loop still works");
    assert_eq!(io_loop.close(), Ok(()));
}

#[test]
fn test_closed_loop_drops_callbacks() {
    // New (Tornado drops callbacks added to a closed loop silently): the
    // callback is dropped at once and never runs.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let (queued, queued_dropped) = drop_flag();
    io_loop.add_callback(move || drop(queued));
    io_loop.close().unwrap();
    assert!(queued_dropped.get(), "close drops queued callbacks");
    assert!(io_loop.is_closed());
    let (guard, dropped) = drop_flag();
    io_loop.add_callback(move || drop(guard));
    assert!(dropped.get());
    io_loop.spawn_callback(|| {});
    fn never(_: &IOLoop, _: u64) {
        panic!("must not run");
    }
    io_loop.add_callback_raw(never, 0);
    assert_eq!(io_loop.ready_len(), 0);
}

#[test]
fn test_run_after_close() {
    // New: a closed loop cannot run again; closing twice is fine.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    assert_eq!(io_loop.close(), Ok(()));
    assert_eq!(io_loop.close(), Ok(()));
    assert_eq!(io_loop.start(), Err(IOLoopError::Closed));
    assert_eq!(io_loop.run_once(Some(Duration::ZERO)), Err(IOLoopError::Closed));
    assert_eq!(io_loop.run_until_idle(), Err(IOLoopError::Closed));
    assert_eq!(io_loop.run_iterations(3), Err(IOLoopError::Closed));
    assert!(!io_loop.is_running());
}

#[test]
fn test_close_drops_everything_pending() {
    // Ports TestIOLoop.test_close_file_object in spirit: the loop does not
    // own fds, but close drops every callback, timer and handler it holds,
    // and their destructors may use the loop.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let (cb, cb_dropped) = drop_flag();
    let (timer, timer_dropped) = drop_flag();
    let (handler, handler_dropped) = drop_flag();
    io_loop.add_callback(move || drop(cb));
    io_loop.call_later(Duration::from_secs(1), move || drop(timer));
    let (mut a, _b) = UnixStream::pair().unwrap();
    io_loop
        .add_handler(&mut a, Events::READ, move |_| {
            let _keep = &handler;
        })
        .unwrap();

    /// Adds a callback to the loop from its destructor.
    struct Reentrant(IOLoop, Rc<Cell<bool>>);
    impl Drop for Reentrant {
        fn drop(&mut self) {
            self.0.add_callback(|| {});
            self.0.call_later(Duration::ZERO, || {});
            self.1.set(true);
        }
    }
    let reentered = Rc::new(Cell::new(false));
    let re = Reentrant(io_loop.clone(), reentered.clone());
    io_loop.add_callback(move || drop(re));

    io_loop.close().unwrap();
    assert!(cb_dropped.get() && timer_dropped.get() && handler_dropped.get());
    assert!(reentered.get());
    assert_eq!(io_loop.ready_len(), 0);
    assert_eq!(io_loop.timer_count(), 0);
    assert_eq!(io_loop.handler_count(), 0);
}

#[test]
fn test_drop_last_handle_closes_loop() {
    // New: dropping the last IOLoop handle closes the loop.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let handle = io_loop.handle();
    let weak = io_loop.downgrade();
    let (guard, dropped) = drop_flag();
    io_loop.call_later(Duration::from_secs(1), move || drop(guard));
    let clone = io_loop.clone();
    drop(io_loop);
    assert!(!handle.is_closed(), "a clone still holds it");
    drop(clone);
    assert!(handle.is_closed());
    assert!(dropped.get());
    assert!(weak.upgrade().is_none());
    assert_eq!(handle.add_callback(|| {}), Err(LoopClosedError));
}

#[test]
fn test_run_until_idle_and_run_iterations() {
    // New: run_until_idle stops when nothing is ready or due (it never
    // waits); run_iterations runs exactly n.
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let count = Rc::new(Cell::new(0));
    let (c, l) = (count.clone(), io_loop.clone());
    io_loop.add_callback(move || {
        c.set(c.get() + 1);
        let c2 = c.clone();
        l.add_callback(move || c2.set(c2.get() + 1));
    });
    let c = count.clone();
    io_loop.call_later(Duration::from_secs(5), move || c.set(c.get() + 10));
    assert_eq!(io_loop.run_until_idle().unwrap(), 2);
    assert_eq!(count.get(), 2);
    assert_eq!(io_loop.run_until_idle().unwrap(), 0);
    clock.advance(Duration::from_secs(5));
    assert_eq!(io_loop.run_until_idle().unwrap(), 1);
    assert_eq!(count.get(), 12);

    let before = io_loop.iterations();
    io_loop.run_iterations(7).unwrap();
    assert_eq!(io_loop.iterations() - before, 7);
}

#[test]
fn test_extension_closed_before_callbacks_are_dropped() {
    // New: extensions (the coroutine runner's state) are told of the close
    // first, with the loop already closed but its queues still intact.
    #[derive(Default)]
    struct Probe {
        closes: Cell<u32>,
        ready_seen: Cell<usize>,
        accepted_after: Cell<usize>,
    }
    impl Extension for Probe {
        fn close(&self, io_loop: &IOLoop) {
            self.closes.set(self.closes.get() + 1);
            self.ready_seen.set(io_loop.ready_len());
            io_loop.add_callback(|| {});
            self.accepted_after
                .set(io_loop.ready_len() - self.ready_seen.get());
            assert!(io_loop.is_closed());
        }
    }
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let probe = io_loop.extension::<Probe>();
    assert!(Rc::ptr_eq(&probe, &io_loop.extension::<Probe>()));
    io_loop.add_callback(|| {});
    io_loop.close().unwrap();
    io_loop.close().unwrap();
    assert_eq!(probe.closes.get(), 1);
    assert_eq!(probe.ready_seen.get(), 1);
    assert_eq!(probe.accepted_after.get(), 0);
    assert!(io_loop.find_extension::<Probe>().is_none());
}

/// Sets its flag (shared across threads) when dropped.
struct SendDropFlag(Arc<AtomicBool>);

impl Drop for SendDropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn test_loop_kept_alive_by_its_own_callbacks_closes_when_its_thread_exits() {
    // New: a loop that its own callback, timer and fd handler hold (each
    // captures an IOLoop handle, so dropping the program's handle cannot
    // close it) is closed when the thread it was made on exits: what it
    // holds is dropped, and other threads' handles see it closed.
    let (callback, timer, handler) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (c, t, h) = (callback.clone(), timer.clone(), handler.clone());
    let handle = thread::spawn(move || {
        let io_loop = IOLoop::with_clock(ManualClock::new());
        let (l, flag) = (io_loop.clone(), SendDropFlag(c));
        io_loop.add_callback(move || drop((l, flag)));
        let (l, flag) = (io_loop.clone(), SendDropFlag(t));
        io_loop.call_later(Duration::from_secs(3600), move || drop((l, flag)));
        let (mut a, b) = UnixStream::pair().unwrap();
        let (l, flag) = (io_loop.clone(), SendDropFlag(h));
        io_loop
            .add_handler(&mut a, Events::READ, move |_| {
                let _keep = (&l, &flag, &b);
            })
            .unwrap();
        let handle = io_loop.handle();
        drop(io_loop);
        assert!(
            !handle.is_closed(),
            "its own callbacks keep it open while the thread lives"
        );
        handle
    })
    .join()
    .unwrap();
    assert!(handle.is_closed(), "closed when its thread exited");
    assert_eq!(handle.add_callback(|| {}), Err(LoopClosedError));
    assert!(callback.load(Ordering::SeqCst), "the callback was dropped");
    assert!(timer.load(Ordering::SeqCst), "the timer was dropped");
    assert!(handler.load(Ordering::SeqCst), "the handler was dropped");
}
