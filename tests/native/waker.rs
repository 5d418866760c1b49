//! The task waker

use super::*;

// Many wakes before the next poll are coalesced into one poll: from the
// loop's thread, from another thread, through clones, by value.
#[test]
fn test_wakes_are_coalesced() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let (polls, waker, done) = (
        Rc::new(Cell::new(0)),
        Rc::new(RefCell::new(None)),
        Rc::new(Cell::new(false)),
    );
    let task = io_loop.spawn(Recorder {
        polls: polls.clone(),
        waker: waker.clone(),
        done: done.clone(),
    });
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls.get(), 1);
    let w: Waker = waker.borrow().clone().unwrap();

    for _ in 0..100 {
        w.wake_by_ref();
    }
    assert_eq!(io_loop.ready_len(), 1, "one poll scheduled");
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls.get(), 2, "exactly one extra poll");

    for _ in 0..50 {
        let clone = w.clone();
        clone.wake_by_ref(); // through a clone
        clone.wake(); // by value
        w.wake_by_ref();
    }
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls.get(), 3);

    let remote = w.clone();
    thread::spawn(move || {
        for _ in 0..100 {
            remote.wake_by_ref();
        }
    })
    .join()
    .unwrap();
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls.get(), 4, "100 wakes from another thread: one poll");

    // Without a wake, no poll.
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls.get(), 4);

    done.set(true);
    w.wake();
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls.get(), 5);
    assert!(task.done());
    assert_eq!(gust::runner::task_count(&io_loop), 0);
    // A wake after the task finished is harmless.
    let stale = waker.borrow().clone().unwrap();
    stale.wake();
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls.get(), 5);
}

/// Wakes itself in every poll (twice), records the poll depth and the
/// iteration of each poll; ready after `limit` polls.
struct SelfWaking {
    depth: Rc<Cell<u32>>,
    max_depth: Rc<Cell<u32>>,
    iterations: Rc<RefCell<Vec<u64>>>,
    limit: usize,
}

impl std::future::Future for SelfWaking {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.depth.set(self.depth.get() + 1);
        self.max_depth.set(self.max_depth.get().max(self.depth.get()));
        self.iterations.borrow_mut().push(IOLoop::current().iterations());
        let result = if self.iterations.borrow().len() >= self.limit {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            let clone = cx.waker().clone();
            clone.wake_by_ref();
            clone.wake();
            Poll::Pending
        };
        self.depth.set(self.depth.get() - 1);
        result
    }
}

// A wake never polls re-entrantly: waking inside poll schedules the next
// poll for the next iteration (poll depth stays 1; one poll per iteration).
#[test]
fn test_wake_inside_poll_is_not_reentrant() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let (depth, max_depth, iterations) = (
        Rc::new(Cell::new(0)),
        Rc::new(Cell::new(0)),
        Rc::new(RefCell::new(Vec::new())),
    );
    let task = io_loop.spawn(SelfWaking {
        depth: depth.clone(),
        max_depth: max_depth.clone(),
        iterations: iterations.clone(),
        limit: 5,
    });
    io_loop.run_until_idle().unwrap();
    assert!(task.done());
    assert_eq!(max_depth.get(), 1);
    let seen = iterations.borrow().clone();
    assert_eq!(seen.len(), 5);
    assert!(seen.windows(2).all(|w| w[1] == w[0] + 1), "{seen:?}");
}

// Waking task A from inside task B's poll does not poll A there either.
#[test]
fn test_wake_of_another_task_inside_poll_is_deferred() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let (polls_a, waker_a, done_a) = (
        Rc::new(Cell::new(0)),
        Rc::new(RefCell::new(None)),
        Rc::new(Cell::new(false)),
    );
    let a = io_loop.spawn(Recorder {
        polls: polls_a.clone(),
        waker: waker_a.clone(),
        done: done_a.clone(),
    });
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls_a.get(), 1);

    let seen_during_wake = Rc::new(Cell::new(u32::MAX));
    let (p, w, d, s) = (
        polls_a.clone(),
        waker_a.clone(),
        done_a.clone(),
        seen_during_wake.clone(),
    );
    let b = io_loop.spawn(async move {
        d.set(true);
        let waker: Waker = w.borrow().clone().unwrap();
        waker.wake();
        s.set(p.get());
    });
    step(&io_loop); // polls B, which wakes A
    assert_eq!(seen_during_wake.get(), 1, "A was not polled inside B's poll");
    assert!(b.done());
    assert!(!a.done());
    step(&io_loop);
    assert!(a.done());
    assert_eq!(polls_a.get(), 2);
}

/// Hands its first waker to another thread and is ready once `flag` is
/// set.
struct Handoff {
    to_thread: Option<mpsc::Sender<Waker>>,
    flag: Arc<AtomicBool>,
}

impl std::future::Future for Handoff {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.flag.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        if let Some(sender) = self.to_thread.take() {
            sender.send(cx.waker().clone()).unwrap();
        }
        Poll::Pending
    }
}

// A wake from another thread wakes a loop sleeping in its poll (no timers,
// nothing ready: without the wake it would sleep until the guard timeout).
#[test]
fn test_wake_from_another_thread_wakes_sleeping_loop() {
    let io_loop = IOLoop::new();
    let (sender, receiver) = mpsc::channel::<Waker>();
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    let waker_thread = thread::spawn(move || {
        let waker = receiver.recv().unwrap();
        // Let the loop go to sleep in its poll first.
        thread::sleep(Duration::from_millis(20));
        f.store(true, Ordering::Release);
        waker.wake();
    });
    let started = Instant::now();
    let result = io_loop.run_sync(
        move || {
            gen_::native(Handoff {
                to_thread: Some(sender),
                flag,
            })
        },
        Some(Duration::from_secs(10)),
    );
    waker_thread.join().unwrap();
    result.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}

// The waker works from many threads at once: every wake after the last
// state change is seen (the task is polled until it sees all of them).
#[test]
fn test_concurrent_wakes_from_many_threads() {
    const THREADS: u64 = 4;
    const WAKES: u64 = 2_000;
    let counter = Arc::new(AtomicU64::new(0));
    let mut senders = Vec::new();
    let mut threads = Vec::new();
    for _ in 0..THREADS {
        let (sender, receiver) = mpsc::channel::<Waker>();
        senders.push(sender);
        let counter = counter.clone();
        threads.push(thread::spawn(move || {
            // The waker exists once the task is first polled.
            let Ok(waker) = receiver.recv() else { return };
            for _ in 0..WAKES {
                counter.fetch_add(1, Ordering::SeqCst);
                waker.wake_by_ref();
            }
        }));
    }
    let polls = Rc::new(Cell::new(0u64));
    let (c, p) = (counter.clone(), polls.clone());
    let task = std::future::poll_fn(move |cx| {
        p.set(p.get() + 1);
        for sender in senders.drain(..) {
            sender.send(cx.waker().clone()).unwrap();
        }
        if c.load(Ordering::SeqCst) == THREADS * WAKES {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    });
    let io_loop = IOLoop::new();
    let result = io_loop.run_sync(move || gen_::native(task), Some(Duration::from_secs(20)));
    for handle in threads {
        handle.join().unwrap();
    }
    result.unwrap();
    assert!(polls.get() >= 2, "{}", polls.get());
    assert!(polls.get() <= THREADS * WAKES + 1, "{}", polls.get());
}

/// Compile-time checks: what crosses threads is `Send` (and `Sync` where
/// it is shared).
fn assert_send_sync<T: Send + Sync>(_: &T) {}
fn assert_send<T: Send>(_: &T) {}

#[test]
fn test_waker_and_bridges_are_send_sync() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let (polls, stash) = (Rc::new(Cell::new(0)), Rc::new(RefCell::new(None)));
    let _task = io_loop.spawn(Recorder {
        polls: polls.clone(),
        waker: stash.clone(),
        done: Rc::new(Cell::new(false)),
    });
    step(&io_loop);
    let waker: Waker = stash.borrow().clone().unwrap();
    assert_send_sync(&waker);
    let (future, setter): (Future<String>, RemoteSetter<String>) = remote_future(&io_loop);
    assert_send(&setter);
    let send: SendFuture<String> = Future::<String>::new().into_send();
    assert_send(&send);
    assert_send_sync(&Error::msg("errors cross threads"));
    // And used from another thread, the waker schedules exactly one poll.
    thread::spawn(move || {
        assert_send_sync(&waker);
        waker.wake_by_ref();
        waker.wake();
        setter.set_result("from a thread".to_owned());
    })
    .join()
    .unwrap();
    assert_eq!(polls.get(), 1);
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls.get(), 2);
    assert_eq!(future.take_result().unwrap(), "from a thread");
}

// A stress test of coalescing across threads: a thread wakes the task
// after each change of a shared counter, without waiting for the task; the
// task finishes when it sees the last value. A wake that is coalesced into
// a poll already scheduled must be seen by that poll (a lost wake-up would
// leave the task pending for ever: the guard timeout fails the trial).
#[test]
fn test_cross_thread_wake_is_never_lost() {
    const TRIALS: u64 = 300;
    const WAKES: u64 = 200;
    let io_loop = IOLoop::new();
    for trial in 0..TRIALS {
        let counter = Arc::new(AtomicU64::new(0));
        let (sender, receiver) = mpsc::channel::<Waker>();
        let c = counter.clone();
        let mut sender = Some(sender);
        let task = std::future::poll_fn(move |cx| {
            if let Some(sender) = sender.take() {
                sender.send(cx.waker().clone()).unwrap();
            }
            if c.load(Ordering::SeqCst) == WAKES {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        });
        let waker_thread = thread::spawn(move || {
            let waker = receiver.recv().unwrap();
            for _ in 0..WAKES {
                counter.fetch_add(1, Ordering::SeqCst);
                waker.wake_by_ref();
            }
        });
        let result = io_loop.run_sync(move || gen_::native(task), Some(Duration::from_secs(5)));
        waker_thread.join().unwrap();
        if let Err(error) = result {
            panic!("trial {trial}: the last wake-up was lost: {error}");
        }
    }
}
