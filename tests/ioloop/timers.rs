//! Timeouts

use super::*;

#[test]
fn test_timeout_with_arguments() {
    // Ports TestIOLoop.test_timeout_with_arguments. Closures carry the
    // arguments. Tornado only checks the sorted results (asyncio does not
    // order them); gust fires equal deadlines in insertion order.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let results = recorder();
    let now = io_loop.time();
    let r = results.clone();
    io_loop.add_timeout(now, move || r.borrow_mut().push(1));
    let r = results.clone();
    io_loop.add_timeout(Duration::ZERO, move || r.borrow_mut().push(2));
    let r = results.clone();
    io_loop.call_at(now, move || r.borrow_mut().push(3));
    let r = results.clone();
    io_loop.call_later(Duration::ZERO, move || r.borrow_mut().push(4));
    let l = io_loop.clone();
    io_loop.call_later(Duration::ZERO, move || l.stop());
    assert_eq!(io_loop.timer_count(), 5);
    let before = io_loop.iterations();
    start_guarded(&io_loop);
    assert_eq!(*results.borrow(), [1, 2, 3, 4]);
    assert_eq!(io_loop.iterations() - before, 1);
    assert_eq!(io_loop.timer_count(), 0);
}

#[test]
fn test_add_timeout_timedelta() {
    // Ports TestIOLoop.test_add_timeout_timedelta: a relative deadline.
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let start = io_loop.time();
    let fired_at = Rc::new(Cell::new(None));
    let (f, l) = (fired_at.clone(), io_loop.clone());
    io_loop.add_timeout(Duration::from_micros(1), move || {
        f.set(Some(l.time()));
        l.stop();
    });
    start_guarded(&io_loop);
    assert_eq!(fired_at.get(), Some(start + Duration::from_micros(1)));
}

#[test]
fn test_add_timeout_absolute_and_relative() {
    // New: add_timeout takes an Instant on the loop's clock (Tornado: a
    // number) or a Duration from now (Tornado: a timedelta), resolved when
    // the timeout is added.
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let t0 = io_loop.time();
    let order = recorder();
    let o = order.clone();
    io_loop.add_timeout(t0 + Duration::from_secs(5), move || o.borrow_mut().push("abs"));
    clock.advance(Duration::from_secs(2));
    // Relative to now (t0 + 2 s): fires at t0 + 5 s, after "abs" (added
    // first, same deadline).
    let o = order.clone();
    io_loop.add_timeout(Duration::from_secs(3), move || o.borrow_mut().push("rel"));
    let o = order.clone();
    io_loop.add_timeout(Deadline::At(t0 + Duration::from_secs(4)), move || {
        o.borrow_mut().push("deadline")
    });

    clock.set(t0 + Duration::from_secs(4) - Duration::from_nanos(1));
    step(&io_loop);
    assert!(order.borrow().is_empty());
    clock.set(t0 + Duration::from_secs(4));
    step(&io_loop);
    assert_eq!(*order.borrow(), ["deadline"]);
    clock.set(t0 + Duration::from_secs(5));
    step(&io_loop);
    assert_eq!(*order.borrow(), ["deadline", "abs", "rel"]);

    let abs: Deadline = t0.into();
    let rel: Deadline = Duration::from_secs(1).into();
    assert_eq!(abs, Deadline::At(t0));
    assert_eq!(rel.resolve(t0), t0 + Duration::from_secs(1));
}

#[test]
fn test_add_timeout_return() {
    // Ports TestIOLoop.test_add_timeout_return: the handle can be removed.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let handle = io_loop.add_timeout(io_loop.time(), move || r.set(true));
    assert!(io_loop.remove_timeout(handle));
    step(&io_loop);
    assert!(!ran.get());
}

#[test]
fn test_call_at_return() {
    // Ports TestIOLoop.test_call_at_return.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let handle = io_loop.call_at(io_loop.time(), move || r.set(true));
    assert!(io_loop.remove_timeout(handle));
    step(&io_loop);
    assert!(!ran.get());
}

#[test]
fn test_call_later_return() {
    // Ports TestIOLoop.test_call_later_return.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let handle = io_loop.call_later(Duration::ZERO, move || r.set(true));
    assert!(io_loop.remove_timeout(handle));
    step(&io_loop);
    assert!(!ran.get());
}

#[test]
fn test_equal_deadlines_fire_in_insertion_order() {
    // New: timers with equal deadlines fire in the order they were added,
    // after earlier deadlines, whatever the order of insertion.
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let t = io_loop.time() + Duration::from_secs(1);
    let order = recorder();
    for i in 0..20 {
        let o = order.clone();
        io_loop.call_at(t, move || o.borrow_mut().push(i));
    }
    let o = order.clone();
    io_loop.call_at(t + Duration::from_millis(1), move || o.borrow_mut().push(100));
    let o = order.clone();
    io_loop.call_at(t - Duration::from_millis(1), move || o.borrow_mut().push(-1));
    clock.advance(Duration::from_secs(2));
    step(&io_loop);
    let mut expected = vec![-1];
    expected.extend(0..20);
    expected.push(100);
    assert_eq!(*order.borrow(), expected);
}

#[test]
fn test_zero_delay_fires_on_next_iteration() {
    // New: call_later(0) fires in the next iteration, without the clock
    // moving at all; due timers run after the callbacks already queued.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let t0 = io_loop.time();
    let log = recorder();

    let l = log.clone();
    io_loop.call_later(Duration::ZERO, move || l.borrow_mut().push("timer"));
    let l = log.clone();
    io_loop.add_callback(move || l.borrow_mut().push("callback"));
    step(&io_loop);
    assert_eq!(*log.borrow(), ["callback", "timer"]);

    // Scheduled from a callback: not in this iteration, in the next one.
    let (l, lp) = (log.clone(), io_loop.clone());
    io_loop.add_callback(move || {
        let l2 = l.clone();
        lp.call_later(Duration::ZERO, move || l2.borrow_mut().push("later(0)"));
        let l3 = l.clone();
        lp.call_at(lp.time(), move || l3.borrow_mut().push("at(now)"));
        l.borrow_mut().push("scheduler");
    });
    step(&io_loop);
    assert_eq!(log.borrow().len(), 3);
    assert_eq!(io_loop.timer_count(), 2);
    step(&io_loop);
    assert_eq!(
        *log.borrow(),
        ["callback", "timer", "scheduler", "later(0)", "at(now)"]
    );
    assert_eq!(io_loop.time(), t0, "the manual clock never moved");
}

#[test]
fn test_timers_fire_only_when_clock_advanced() {
    // New: on a manual clock a timer fires when the clock reaches its
    // deadline, not a nanosecond earlier, however many iterations run.
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let fired = Rc::new(Cell::new(0));
    let f = fired.clone();
    io_loop.call_later(Duration::from_secs(60), move || f.set(f.get() + 1));
    io_loop.run_iterations(10).unwrap();
    assert_eq!(fired.get(), 0);
    assert_eq!(io_loop.run_until_idle().unwrap(), 0);
    clock.advance(Duration::from_secs(60) - Duration::from_nanos(1));
    step(&io_loop);
    assert_eq!(fired.get(), 0);
    assert!(!io_loop.has_ready_work());
    clock.advance(Duration::from_nanos(1));
    assert!(io_loop.has_ready_work());
    step(&io_loop);
    assert_eq!(fired.get(), 1);
    assert_eq!(io_loop.timer_count(), 0);
}

#[test]
fn test_remove_timeout_before_fire() {
    // New: removing a pending timeout drops its callback at once and it
    // never runs.
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let (guard, dropped) = drop_flag();
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let handle = io_loop.call_later(Duration::from_secs(1), move || {
        let _guard = &guard;
        r.set(true);
    });
    assert_eq!(io_loop.timer_count(), 1);
    assert!(io_loop.remove_timeout(handle));
    assert!(dropped.get(), "the callback is dropped when removed");
    assert_eq!(io_loop.timer_count(), 0);
    clock.advance(Duration::from_secs(2));
    step(&io_loop);
    assert!(!ran.get());
}

#[test]
fn test_remove_timeout_after_fire() {
    // Ports TestIOLoop.test_remove_timeout_after_fire: not an error.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let l = io_loop.clone();
    let handle = io_loop.add_timeout(io_loop.time(), move || l.stop());
    start_guarded(&io_loop);
    assert!(!io_loop.remove_timeout(handle));
    assert_eq!(io_loop.timer_count(), 0);
}

#[test]
fn test_remove_timeout_twice() {
    // New: the second removal does nothing, and a stale handle never
    // cancels a later timeout that reuses its slot.
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let first = io_loop.call_later(Duration::from_secs(1), || {});
    assert!(io_loop.remove_timeout(first));
    assert!(!io_loop.remove_timeout(first));
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let second = io_loop.call_later(Duration::from_secs(1), move || r.set(true));
    assert_ne!(first, second);
    assert!(!io_loop.remove_timeout(first), "stale handle");
    assert_eq!(io_loop.timer_count(), 1);
    clock.advance(Duration::from_secs(1));
    step(&io_loop);
    assert!(ran.get());
}

#[test]
fn test_remove_timeout_cleanup() {
    // Ports TestIOLoop.test_remove_timeout_cleanup: add and remove enough
    // timeouts to trigger the heap's compaction.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    for _ in 0..2000 {
        let handle = io_loop.add_timeout(io_loop.time() + Duration::from_secs(3600), || {});
        assert!(io_loop.remove_timeout(handle));
    }
    assert_eq!(io_loop.timer_count(), 0);
    // Tornado waits two iterations "for the GC to happen".
    let (l, flag) = (io_loop.clone(), Rc::new(Cell::new(false)));
    let f = flag.clone();
    io_loop.add_callback(move || {
        let l2 = l.clone();
        l.add_callback(move || {
            f.set(true);
            l2.stop();
        })
    });
    start_guarded(&io_loop);
    assert!(flag.get());
    assert!(!io_loop.has_ready_work());
    assert_eq!(io_loop.timer_count(), 0);
}

#[test]
fn test_remove_many_timeouts() {
    // New: lazy cancellation plus compaction keeps the right timers: add
    // 2000, remove 1500 (compaction runs on the way), the other 500 fire in
    // deadline order, and handles stay valid across the compaction.
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let t0 = io_loop.time();
    let fired = recorder();
    let handles: Vec<_> = (0..2000u32)
        .map(|i| {
            let f = fired.clone();
            io_loop.call_at(t0 + Duration::from_millis(u64::from(2000 - i)), move || {
                f.borrow_mut().push(i)
            })
        })
        .collect();
    let keep = |i: u32| i % 4 == 0;
    for (i, handle) in handles.iter().enumerate() {
        if !keep(i as u32) {
            assert!(io_loop.remove_timeout(*handle));
        }
    }
    assert_eq!(io_loop.timer_count(), 500);
    // Removed handles stay removed, kept ones stay pending.
    assert!(!io_loop.remove_timeout(handles[1]));
    let extra = io_loop.call_at(t0, || {});
    assert!(io_loop.remove_timeout(extra));

    clock.advance(Duration::from_millis(1000));
    step(&io_loop);
    // Deadlines 2000 - i <= 1000 ms: i >= 1000, latest-added first.
    let first: Vec<u32> = (1000..2000).rev().filter(|&i| keep(i)).collect();
    assert_eq!(*fired.borrow(), first);
    assert_eq!(io_loop.timer_count(), 250);
    clock.advance(Duration::from_millis(1000));
    step(&io_loop);
    let all: Vec<u32> = (0..2000).rev().filter(|&i| keep(i)).collect();
    assert_eq!(*fired.borrow(), all);
    assert_eq!(io_loop.timer_count(), 0);
    for handle in handles {
        assert!(!io_loop.remove_timeout(handle));
    }
}

#[test]
fn test_remove_timeout_from_timeout() {
    // Ports TestIOLoop.test_remove_timeout_from_timeout: t1 cancels t2 even
    // though both are already due in the same iteration.
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let now = io_loop.time();
    let calls = Rc::new(Cell::new([false, false]));
    let t2_handle = Rc::new(Cell::new(None));
    let removed = Rc::new(Cell::new(None));
    let (c, h, r, l) = (calls.clone(), t2_handle.clone(), removed.clone(), io_loop.clone());
    io_loop.add_timeout(now + Duration::from_millis(10), move || {
        c.set([true, c.get()[1]]);
        r.set(Some(l.remove_timeout(h.get().unwrap())));
    });
    let c = calls.clone();
    t2_handle.set(Some(
        io_loop.add_timeout(now + Duration::from_millis(20), move || c.set([c.get()[0], true])),
    ));
    let l = io_loop.clone();
    io_loop.add_timeout(now + Duration::from_millis(30), move || l.stop());
    clock.advance(Duration::from_millis(30));
    start_guarded(&io_loop);
    assert_eq!(calls.get(), [true, false]);
    assert_eq!(removed.get(), Some(true), "t2 was still pending");
}

#[test]
fn test_timer_added_on_closed_loop_is_dropped() {
    // New: a closed loop drops new timers at once; their handles are inert.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    io_loop.close().unwrap();
    let (guard, dropped) = drop_flag();
    let handle = io_loop.call_later(Duration::ZERO, move || drop(guard));
    assert!(dropped.get());
    assert_eq!(io_loop.timer_count(), 0);
    assert!(!io_loop.remove_timeout(handle));
}

#[test]
fn test_duration_max_never_fires_before_a_finite_timer() {
    // New: a delay of Duration::MAX (a timer "never" due) sorts after
    // every deadline the loop can represent, however far: a timer 150
    // years away fires first, and the never-due one stays pending; a loop
    // whose only timer is never due has nothing to wait for.
    const YEAR: u64 = 365 * 24 * 3600;
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let base = io_loop.time();
    let fired = recorder();
    let f = fired.clone();
    io_loop.call_later(Duration::MAX, move || f.borrow_mut().push("call_later(MAX)"));
    let f = fired.clone();
    io_loop.add_timeout(Duration::MAX, move || f.borrow_mut().push("add_timeout(MAX)"));
    let f = fired.clone();
    io_loop.call_later(Duration::from_secs(150 * YEAR), move || {
        f.borrow_mut().push("150 years")
    });
    clock.set(base + Duration::from_secs(150 * YEAR + 1));
    step(&io_loop);
    assert_eq!(*fired.borrow(), ["150 years"]);
    assert_eq!(io_loop.timer_count(), 2);
    assert!(!io_loop.has_ready_work());
    assert_eq!(
        io_loop.run_once(None),
        Err(IOLoopError::Stalled),
        "nothing will ever be due"
    );
    // A sleep of Duration::MAX never ends either.
    let slept = gust::gen_::sleep(Duration::MAX);
    clock.set(base + Duration::from_secs(400 * YEAR));
    step(&io_loop);
    assert!(!slept.done());
    assert_eq!(*fired.borrow(), ["150 years"]);
}
