//! Manual clock

use super::*;

#[test]
fn test_autojump_runs_an_hour_instantly() {
    // New: with autojump, an hour of timers (one a minute) runs at once, in
    // order, each seeing the clock at its own deadline.
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let base = io_loop.time();
    let seen = recorder();
    for minute in (1..=60u64).rev() {
        let (s, l) = (seen.clone(), io_loop.clone());
        io_loop.call_later(Duration::from_secs(60 * minute), move || {
            s.borrow_mut().push((minute, l.time() - base));
            if minute == 60 {
                l.stop();
            }
        });
    }
    let real = Instant::now();
    start_guarded(&io_loop);
    assert!(real.elapsed() < Duration::from_secs(5));
    let expected: Vec<_> = (1..=60u64).map(|m| (m, Duration::from_secs(60 * m))).collect();
    assert_eq!(*seen.borrow(), expected);
    assert_eq!(io_loop.time() - base, Duration::from_secs(3600));
}

#[test]
fn test_autojump_not_taken_while_work_is_ready() {
    // New: autojump only moves the clock when the loop would otherwise
    // wait: ready callbacks run first, at the current time.
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let base = io_loop.time();
    let seen = recorder();
    let (s, l) = (seen.clone(), io_loop.clone());
    io_loop.call_later(Duration::from_secs(10), move || {
        s.borrow_mut().push(("timer", l.time() - base));
        l.stop();
    });
    let (s, l) = (seen.clone(), io_loop.clone());
    io_loop.add_callback(move || s.borrow_mut().push(("callback", l.time() - base)));
    start_guarded(&io_loop);
    assert_eq!(
        *seen.borrow(),
        [("callback", Duration::ZERO), ("timer", Duration::from_secs(10))]
    );
}

#[test]
fn test_clock_backwards() {
    // New: moving the clock back delays timers (deadlines are instants on
    // the loop's clock); set() moves it either way.
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let t0 = io_loop.time();
    let fired = Rc::new(Cell::new(false));
    let f = fired.clone();
    io_loop.call_later(Duration::from_secs(10), move || f.set(true));
    clock.advance(Duration::from_secs(5));
    clock.rewind(Duration::from_secs(10));
    assert_eq!(io_loop.time(), t0 - Duration::from_secs(5));
    step(&io_loop);
    clock.advance(Duration::from_secs(14));
    step(&io_loop);
    assert!(!fired.get());
    clock.advance(Duration::from_secs(1));
    step(&io_loop);
    assert!(fired.get());

    // A relative timeout is taken from the rewound time.
    clock.set(t0);
    let f = fired.clone();
    f.set(false);
    io_loop.call_later(Duration::from_secs(1), move || f.set(true));
    clock.set(t0 + Duration::from_millis(999));
    step(&io_loop);
    assert!(!fired.get());
    clock.set(t0 + Duration::from_secs(1));
    step(&io_loop);
    assert!(fired.get());
    assert_eq!(io_loop.clock().as_manual().unwrap().now(), clock.now());
}

#[test]
fn test_autojump_zero_wait_does_not_move_time() {
    // New: `run_once(Some(Duration::ZERO))` never waits, so on an autojump
    // clock it never moves time (as `run_until_idle`); a bounded wait moves
    // it at most by that bound; only an unbounded wait jumps to the timer.
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let base = io_loop.time();
    let fired = Rc::new(Cell::new(false));
    let f = fired.clone();
    io_loop.call_later(Duration::from_secs(60), move || f.set(true));
    io_loop.run_once(Some(Duration::ZERO)).unwrap();
    assert_eq!(io_loop.time(), base, "a zero wait moved the clock");
    assert!(!fired.get());
    io_loop.run_once(Some(Duration::from_secs(1))).unwrap();
    assert_eq!(io_loop.time() - base, Duration::from_secs(1));
    assert!(!fired.get());
    io_loop.run_once(None).unwrap();
    assert_eq!(io_loop.time() - base, Duration::from_secs(60));
    assert!(fired.get());
}

#[test]
fn test_rewind_saturates_at_the_earliest_instant() {
    // New: rewinding further than the clock can represent stops at the
    // earliest instant instead of leaving the clock where it was.
    let clock = ManualClock::new();
    let start = clock.now();
    clock.rewind(Duration::MAX);
    let earliest = clock.now();
    assert!(earliest < start, "the clock did not move back");
    assert!(
        earliest.checked_sub(Duration::from_nanos(1)).is_none(),
        "not the earliest instant"
    );
    // Rewinding from there does nothing more; advancing works again.
    clock.rewind(Duration::from_secs(1));
    assert_eq!(clock.now(), earliest);
    clock.advance(Duration::from_secs(1));
    assert_eq!(clock.now() - earliest, Duration::from_secs(1));
}

#[test]
fn test_autojump_waits_for_work_promised_from_another_thread() {
    // New: a promise of work (LoopHandle::expect_work) keeps an autojump
    // clock from jumping to the next timer; the loop waits in real time
    // for the worker's callback, as on a real clock.
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let base = io_loop.time();
    let seen = recorder();
    let s = seen.clone();
    io_loop.call_later(Duration::from_secs(10), move || {
        s.borrow_mut().push("timer");
        IOLoop::current().stop();
    });
    let pending = io_loop.handle().expect_work();
    assert_eq!(io_loop.handle().pending_work(), 1);
    let (tx, rx) = mpsc::channel::<&'static str>();
    let worker = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        pending
            .add_callback(move || {
                tx.send("worker").unwrap();
                IOLoop::current().stop();
            })
            .unwrap();
    });
    start_guarded(&io_loop);
    worker.join().unwrap();
    assert_eq!(rx.try_recv(), Ok("worker"));
    assert!(seen.borrow().is_empty(), "the timer did not fire first");
    let moved = io_loop.time() - base;
    assert!(
        moved < Duration::from_secs(10),
        "the clock followed real time: {moved:?}"
    );
    assert_eq!(
        io_loop.handle().pending_work(),
        0,
        "released once its callback ran"
    );
    // Nothing promised any more: the clock jumps again.
    let real = Instant::now();
    start_guarded(&io_loop);
    assert_eq!(*seen.borrow(), ["timer"]);
    assert_eq!(io_loop.time() - base, Duration::from_secs(10));
    assert!(real.elapsed() < Duration::from_secs(5));
}

#[test]
fn test_autojump_with_work_promised_moves_time_at_most_the_allowed_wait() {
    // New: `run_once(Some(d))` keeps its rule while work is promised: it
    // waits (in real time) at most `d`, and the clock moves at most `d`.
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let base = io_loop.time();
    let fired = Rc::new(Cell::new(false));
    let f = fired.clone();
    io_loop.call_later(Duration::from_secs(10), move || {
        f.set(true);
        IOLoop::current().stop();
    });
    let pending = io_loop.handle().expect_work();
    let wait = Duration::from_millis(5);
    io_loop.run_once(Some(wait)).unwrap();
    assert!(!fired.get());
    let moved = io_loop.time() - base;
    assert!(moved <= wait, "moved {moved:?}, allowed {wait:?}");
    io_loop.run_once(Some(Duration::ZERO)).unwrap();
    assert_eq!(io_loop.time() - base, moved, "a zero wait moves nothing");
    // Released (here, on the loop's thread): the next wait jumps.
    drop(pending);
    start_guarded(&io_loop);
    assert!(fired.get());
    assert_eq!(io_loop.time() - base, Duration::from_secs(10));
}

#[test]
fn test_autojump_wakes_when_the_last_promise_is_dropped_elsewhere() {
    // New: a promise dropped on another thread without a callback still
    // wakes the loop waiting for it, which then jumps (the timer is 30 s
    // away: without the wake the loop would wait for it in real time, and
    // the watchdog fails the test first).
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let base = io_loop.time();
    io_loop.call_later(Duration::from_secs(30), || IOLoop::current().stop());
    let pending = io_loop.handle().expect_work();
    let worker = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        drop(pending);
    });
    start_guarded(&io_loop);
    worker.join().unwrap();
    assert_eq!(io_loop.time() - base, Duration::from_secs(30));
}
