//! Other threads

use super::*;

#[test]
fn test_add_callback_wakeup_other_thread() {
    // Ports TestIOLoop.test_add_callback_wakeup_other_thread: a loop with
    // nothing to do (manual clock, no timers) blocks in poll; a callback
    // from another thread wakes it at once.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let handle = io_loop.handle();
    let sent_at = Arc::new(Mutex::new(None::<Instant>));
    let worker = Rc::new(RefCell::new(None));
    let (sent, w) = (sent_at.clone(), worker.clone());
    io_loop.add_callback(move || {
        *w.borrow_mut() = Some(thread::spawn(move || {
            // Let the loop go into its poll.
            thread::sleep(Duration::from_millis(20));
            *sent.lock().unwrap() = Some(Instant::now());
            handle
                .add_callback(|| IOLoop::current().stop())
                .expect("loop open");
        }));
    });
    let before = io_loop.iterations();
    start_guarded(&io_loop);
    let returned = Instant::now();
    worker.borrow_mut().take().unwrap().join().unwrap();
    let delta = returned - sent_at.lock().unwrap().unwrap();
    // Tornado asserts < 0.1 s; without a wake the loop would return only
    // through the 10 s watchdog.
    assert!(delta < Duration::from_secs(1), "woke after {delta:?}");
    assert_eq!(io_loop.iterations() - before, 2);
}

#[test]
fn test_handle_wake() {
    // New: LoopHandle::wake interrupts a blocked poll without giving work.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let handle = io_loop.handle();
    let worker = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        handle.wake();
    });
    let before = io_loop.iterations();
    guarded(&io_loop, || io_loop.run_once(None)).unwrap();
    worker.join().unwrap();
    assert_eq!(io_loop.iterations() - before, 1);
}

#[test]
fn test_add_callback_from_signal_other_thread() {
    // Ports TestIOLoop.test_add_callback_from_signal_other_thread: a loop
    // running on another thread is stopped from this one.
    let (tx, rx) = mpsc::channel::<LoopHandle>();
    let runner = thread::spawn(move || {
        let io_loop = IOLoop::new();
        tx.send(io_loop.handle()).unwrap();
        start_guarded(&io_loop);
        io_loop.close().unwrap();
    });
    let handle = rx.recv().unwrap();
    let seen = Arc::new(Mutex::new(None));
    let s = seen.clone();
    handle
        .add_callback(move || {
            *s.lock().unwrap() = Some(thread::current().id());
            IOLoop::current().stop();
        })
        .unwrap();
    let runner_id = runner.thread().id();
    runner.join().unwrap();
    assert_eq!(*seen.lock().unwrap(), Some(runner_id), "ran on the loop's thread");
    assert!(handle.is_closed());
}

#[test]
fn test_many_threads_add_callbacks() {
    // New: callbacks from several threads all run, each thread's in the
    // order it sent them.
    const THREADS: usize = 4;
    const PER_THREAD: usize = 500;
    fn assert_send_sync<T: Send + Sync + Clone>(_: &T) {}

    let io_loop = IOLoop::with_clock(ManualClock::new());
    let handle = io_loop.handle();
    assert_send_sync(&handle);
    let seen = Arc::new(Mutex::new(vec![Vec::new(); THREADS]));
    let total = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (handle, seen, total) = (handle.clone(), seen.clone(), total.clone());
            thread::spawn(move || {
                for i in 0..PER_THREAD {
                    let (seen, total) = (seen.clone(), total.clone());
                    handle
                        .add_callback(move || {
                            seen.lock().unwrap()[t].push(i);
                            if total.fetch_add(1, Ordering::SeqCst) + 1 == THREADS * PER_THREAD {
                                IOLoop::current().stop();
                            }
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    start_guarded(&io_loop);
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(total.load(Ordering::SeqCst), THREADS * PER_THREAD);
    for per_thread in seen.lock().unwrap().iter() {
        assert_eq!(*per_thread, (0..PER_THREAD).collect::<Vec<_>>());
    }
}

#[test]
fn test_add_callback_while_closing() {
    // Ports TestIOLoop.test_add_callback_while_closing: adding callbacks
    // while another thread closes the loop never fails badly; once the
    // loop is closed every add reports LoopClosedError, and nothing that
    // was accepted leaks or runs after the loop stopped.
    let (tx, rx) = mpsc::channel::<LoopHandle>();
    let (closing_tx, closing_rx) = mpsc::channel::<()>();
    let runner = thread::spawn(move || {
        let io_loop = IOLoop::new();
        tx.send(io_loop.handle()).unwrap();
        io_loop.add_callback(|| IOLoop::current().stop());
        io_loop.start().unwrap();
        closing_tx.send(()).unwrap();
        io_loop.close().unwrap();
    });
    let handle = rx.recv().unwrap();
    closing_rx.recv().unwrap();
    let token = Arc::new(());
    let ran = Arc::new(AtomicBool::new(false));
    let mut results = Vec::new();
    for _ in 0..1000 {
        let (token, ran) = (token.clone(), ran.clone());
        results.push(handle.add_callback(move || {
            let _token = &token;
            ran.store(true, Ordering::SeqCst);
        }));
    }
    runner.join().unwrap();
    if let Some(first_err) = results.iter().position(Result::is_err) {
        assert!(
            results[first_err..].iter().all(|r| *r == Err(LoopClosedError)),
            "once closed, always closed"
        );
    }
    assert_eq!(handle.add_callback(|| {}), Err(LoopClosedError));
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(Arc::strong_count(&token), 1, "every callback was dropped");
}

#[test]
fn test_handle_add_callback_on_closed_loop() {
    // New: LoopHandle::add_callback on a closed loop returns
    // LoopClosedError and drops the callback there; callbacks queued from
    // other threads before the close are dropped unrun.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let handle = io_loop.handle();
    let token = Arc::new(());
    let t = token.clone();
    handle.add_callback(move || drop(t)).unwrap();
    assert!(io_loop.has_ready_work(), "a remote callback is pending");
    io_loop.close().unwrap();
    assert_eq!(Arc::strong_count(&token), 1, "queued remote callback dropped");
    let t = token.clone();
    assert_eq!(handle.add_callback(move || drop(t)), Err(LoopClosedError));
    assert_eq!(Arc::strong_count(&token), 1);
    assert!(handle.is_closed());
    assert_eq!(
        LoopClosedError.to_string(),
        "the IOLoop is closed; the callback was dropped"
    );
}

#[test]
fn test_init_close_race() {
    // Ports TestIOLoop.test_init_close_race (#2367): loops created and
    // closed on several threads at once.
    let workers: Vec<_> = (0..4)
        .map(|_| {
            thread::spawn(|| {
                let mut ids = Vec::new();
                for _ in 0..10 {
                    let io_loop = IOLoop::new();
                    ids.push(io_loop.id());
                    io_loop.close().unwrap();
                    assert!(io_loop.is_closed());
                    assert!(io_loop.handle().is_closed());
                }
                ids
            })
        })
        .collect();
    let mut ids: Vec<u64> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 40, "loop ids are unique");
}

#[test]
fn test_a_flood_from_other_threads_does_not_starve_due_timers() {
    // New: one iteration takes a bounded batch of the callbacks other
    // threads queued, so a due timer runs after at most one batch however
    // many are waiting; the rest follow in the next iterations, none lost,
    // in order.
    const FLOOD: usize = 100_000;
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let handle = io_loop.handle();
    let ran = Arc::new(Mutex::new(Vec::with_capacity(FLOOD)));
    let r = ran.clone();
    thread::spawn(move || {
        for i in 0..FLOOD {
            let r = r.clone();
            handle.add_callback(move || r.lock().unwrap().push(i)).unwrap();
        }
    })
    .join()
    .unwrap();
    let before_timer = Rc::new(Cell::new(None));
    let (b, r) = (before_timer.clone(), ran.clone());
    io_loop.call_later(Duration::ZERO, move || b.set(Some(r.lock().unwrap().len())));
    step(&io_loop);
    let before = before_timer
        .get()
        .expect("the due timer ran in the first iteration");
    assert!(
        before < FLOOD / 10,
        "{before} remote callbacks ran before the due timer"
    );
    assert!(io_loop.has_ready_work(), "the rest is still to run");
    io_loop.run_until_idle().unwrap();
    assert_eq!(*ran.lock().unwrap(), (0..FLOOD).collect::<Vec<_>>());
}
