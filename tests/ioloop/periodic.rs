//! PeriodicCallback

use super::*;

#[test]
fn test_periodic_plain() {
    // Ports TestPeriodicCallbackAsync.test_periodic_plain.
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let base = io_loop.time();
    let times = recorder();
    let (t, l) = (times.clone(), io_loop.clone());
    let pc = PeriodicCallback::new(
        move || {
            t.borrow_mut().push(l.time() - base);
            if t.borrow().len() == 3 {
                l.stop();
            }
        },
        Duration::from_millis(10),
    )
    .unwrap();
    pc.start();
    start_guarded(&io_loop);
    pc.stop();
    let ms = Duration::from_millis;
    assert_eq!(*times.borrow(), [ms(10), ms(20), ms(30)]);
}

#[test]
fn test_periodic_first_call_one_period_after_start() {
    // New (Tornado: the first call is one period after start, not at once).
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    let pc = PeriodicCallback::new(move || c.set(c.get() + 1), Duration::from_secs(10)).unwrap();
    assert_eq!(pc.period(), Duration::from_secs(10));
    pc.start();
    io_loop.run_iterations(3).unwrap();
    assert_eq!(calls.get(), 0);
    clock.advance(Duration::from_secs(10) - Duration::from_nanos(1));
    step(&io_loop);
    assert_eq!(calls.get(), 0);
    clock.advance(Duration::from_nanos(1));
    step(&io_loop);
    assert_eq!(calls.get(), 1);
    clock.advance(Duration::from_secs(10));
    step(&io_loop);
    assert_eq!(calls.get(), 2);
}

#[test]
fn test_periodic_zero_period() {
    // New (Tornado: ValueError for a non-positive callback_time).
    let err = PeriodicCallback::new(|| {}, Duration::ZERO).unwrap_err();
    assert_eq!(err, NonPositivePeriodError);
    assert_eq!(
        err.to_string(),
        "Periodic callback must have a positive callback_time"
    );
    assert!(PeriodicCallback::new(|| {}, Duration::from_nanos(1)).is_ok());
}

#[test]
fn test_periodic_stop_and_is_running() {
    // New: is_running follows start/stop; stop cancels the pending call;
    // starting twice schedules once; it can be started again.
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    let pc = PeriodicCallback::new(move || c.set(c.get() + 1), Duration::from_secs(1)).unwrap();
    assert!(!pc.is_running());
    pc.start();
    pc.start();
    assert!(pc.is_running());
    assert_eq!(io_loop.timer_count(), 1);
    clock.advance(Duration::from_secs(1));
    step(&io_loop);
    assert_eq!(calls.get(), 1);
    pc.stop();
    assert!(!pc.is_running());
    assert_eq!(io_loop.timer_count(), 0);
    clock.advance(Duration::from_secs(5));
    io_loop.run_iterations(2).unwrap();
    assert_eq!(calls.get(), 1);

    // Restarted: a fresh grid from now.
    pc.start();
    assert!(pc.is_running());
    clock.advance(Duration::from_secs(1));
    step(&io_loop);
    assert_eq!(calls.get(), 2);
    drop(pc);
    assert_eq!(io_loop.timer_count(), 0, "dropping stops it");
}

#[test]
fn test_periodic_stop_from_callback() {
    // New: a callback stops its own PeriodicCallback (Tornado's
    // `self.pc.stop()`) through the handle it is given.
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    let pc = PeriodicCallback::with_handle(
        move |pc: &PeriodicHandle| {
            c.set(c.get() + 1);
            if c.get() == 2 {
                pc.stop();
                assert!(!pc.is_running());
                let io_loop = IOLoop::current();
                io_loop.call_later(Duration::from_secs(100), || IOLoop::current().stop());
            }
        },
        Duration::from_secs(1),
    )
    .unwrap();
    pc.start();
    start_guarded(&io_loop);
    assert_eq!(calls.get(), 2);
    assert!(!pc.is_running());
    assert_eq!(io_loop.timer_count(), 0);
}

#[test]
fn test_periodic_handle_stops_and_restarts_from_elsewhere() {
    // New: a PeriodicCallback's handle (weak) stops and restarts it from
    // other code; once the PeriodicCallback is dropped the handle does
    // nothing.
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    let pc = PeriodicCallback::new(move || c.set(c.get() + 1), Duration::from_secs(1)).unwrap();
    let handle = pc.handle();
    handle.start();
    assert!(pc.is_running());
    io_loop.run_once(None).unwrap();
    assert_eq!(calls.get(), 1);
    handle.stop();
    assert!(!pc.is_running());
    assert_eq!(io_loop.timer_count(), 0);
    handle.start();
    io_loop.run_once(None).unwrap();
    assert_eq!(calls.get(), 2);
    drop(pc);
    assert!(!handle.is_running());
    handle.start();
    assert_eq!(
        io_loop.timer_count(),
        0,
        "a dropped PeriodicCallback cannot be restarted"
    );
}

#[test]
fn test_periodic_panic_keeps_schedule() {
    // New (Tornado logs the exception and schedules the next call).
    let logs = LogCapture::start();
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let base = io_loop.time();
    let times = recorder();
    let (t, l) = (times.clone(), io_loop.clone());
    let pc = PeriodicCallback::new(
        move || {
            t.borrow_mut().push(l.time() - base);
            match t.borrow().len() {
                2 => panic!("periodic boom"),
                4 => l.stop(),
                _ => {}
            }
        },
        Duration::from_secs(10),
    )
    .unwrap();
    pc.start();
    start_guarded(&io_loop);
    assert!(pc.is_running());
    let s = Duration::from_secs;
    assert_eq!(*times.borrow(), [s(10), s(20), s(30), s(40)]);
    let errors = logs.app_errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("Exception in callback ") && errors[0].ends_with(": periodic boom"));
}

#[test]
fn test_periodic_err_result_is_logged() {
    // New: a periodic callback returning Err is logged; the schedule goes
    // on.
    let logs = LogCapture::start();
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let calls = Rc::new(Cell::new(0));
    let (c, l) = (calls.clone(), io_loop.clone());
    let pc = PeriodicCallback::new(
        move || -> Result<(), String> {
            c.set(c.get() + 1);
            if c.get() == 3 {
                l.stop();
            }
            Err(format!("failure {}", c.get()))
        },
        Duration::from_secs(1),
    )
    .unwrap();
    pc.start();
    start_guarded(&io_loop);
    assert_eq!(calls.get(), 3);
    let errors = logs.app_errors();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[2].ends_with(": failure 3"));
}

/// Work still running when the callback returns (as a coroutine's future
/// is): it finishes `delay` later on the loop.
struct Pending {
    delay: Duration,
    finished: Rc<Cell<u32>>,
}

impl CallbackResult for Pending {
    fn finish(self, io_loop: &IOLoop, _name: &'static str, then: Option<Box<dyn FnOnce()>>) {
        let Pending { delay, finished } = self;
        io_loop.call_later(delay, move || {
            finished.set(finished.get() + 1);
            if let Some(then) = then {
                then();
            }
        });
    }
}

#[test]
fn test_periodic_coro() {
    // Ports TestPeriodicCallbackAsync.test_periodic_coro: a callback whose
    // work outlasts the period (25 ms of work, 10 ms period) is not called
    // again before that work finishes; the next call stays on the grid.
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let base = io_loop.time();
    let started = Rc::new(Cell::new(0u32));
    let finished = Rc::new(Cell::new(0u32));
    let overlapped = Rc::new(Cell::new(false));
    let times = recorder();
    let (st, fin, ov, t, l) = (
        started.clone(),
        finished.clone(),
        overlapped.clone(),
        times.clone(),
        io_loop.clone(),
    );
    let pc = PeriodicCallback::new(
        move || {
            if st.get() != fin.get() {
                ov.set(true);
            }
            st.set(st.get() + 1);
            t.borrow_mut().push(l.time() - base);
            if st.get() == 3 {
                let l2 = l.clone();
                l.call_later(Duration::from_millis(26), move || l2.stop());
            }
            Pending {
                delay: Duration::from_millis(25),
                finished: fin.clone(),
            }
        },
        Duration::from_millis(10),
    )
    .unwrap();
    pc.start();
    start_guarded(&io_loop);
    pc.stop();
    assert!(!overlapped.get());
    assert_eq!((started.get(), finished.get()), (3, 3));
    let ms = Duration::from_millis;
    assert_eq!(*times.borrow(), [ms(10), ms(40), ms(70)]);
}

/// Tornado's `TestPeriodicCallbackMath.simulate_calls`, run end to end: a
/// 10 s PeriodicCallback on an autojump clock, started at "1000"; each call
/// records the loop's time and then moves the clock by its duration
/// (negative: backwards), as a call that long (or an NTP step) would.
fn simulate_calls(durations: &[f64], jitter: Option<(f64, Vec<f64>)>) -> Vec<f64> {
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let base = io_loop.time();
    let times = recorder();
    let remaining = Rc::new(RefCell::new(durations.iter().copied().collect::<VecDeque<_>>()));
    let (t, r, c, l) = (times.clone(), remaining.clone(), clock.clone(), io_loop.clone());
    let mut pc = PeriodicCallback::new(
        move || {
            t.borrow_mut().push(1000.0 + (l.time() - base).as_secs_f64());
            let d = r.borrow_mut().pop_front().unwrap();
            if d >= 0.0 {
                c.advance(Duration::from_secs_f64(d));
            } else {
                c.rewind(Duration::from_secs_f64(-d));
            }
            if r.borrow().is_empty() {
                l.stop();
            }
        },
        Duration::from_secs(10),
    )
    .unwrap();
    if let Some((jitter, randoms)) = jitter {
        let mut randoms = VecDeque::from(randoms);
        pc = pc
            .with_jitter(jitter)
            .unwrap()
            .with_random(move || randoms.pop_front().unwrap_or(0.5));
    }
    pc.start();
    start_guarded(&io_loop);
    pc.stop();
    times.borrow().clone()
}

#[test]
fn test_basic() {
    // Ports TestPeriodicCallbackMath.test_basic.
    assert_eq!(
        simulate_calls(&[0.0; 5], None),
        [1010.0, 1020.0, 1030.0, 1040.0, 1050.0]
    );
}

#[test]
fn test_overrun() {
    // Ports TestPeriodicCallbackMath.test_overrun: a call that runs too long
    // skips whole periods to get back on the grid.
    let durations = [9.0, 9.0, 10.0, 11.0, 20.0, 20.0, 35.0, 35.0, 0.0, 0.0, 0.0];
    let expected = [
        1010.0, 1020.0, 1030.0, // on schedule
        1050.0, 1070.0, // delayed one cycle
        1100.0, 1130.0, // delayed two cycles
        1170.0, 1210.0, // delayed three cycles
        1220.0, 1230.0, // back on schedule
    ];
    assert_eq!(simulate_calls(&durations, None), expected);
}

#[test]
fn test_clock_backwards_periodic() {
    // Ports TestPeriodicCallbackMath.test_clock_backwards: backwards jumps
    // are ignored (the next call is one period after the last deadline).
    assert_eq!(
        simulate_calls(&[-2.0, -1.0, -3.0, -2.0, 0.0], None),
        [1010.0, 1020.0, 1030.0, 1040.0, 1050.0]
    );
    assert_eq!(
        simulate_calls(&[-100.0, 0.0, 0.0], None),
        [1010.0, 1020.0, 1030.0]
    );
}

#[test]
fn test_jitter() {
    // Ports TestPeriodicCallbackMath.test_jitter with a mocked random
    // source: jitter 0.5 scales each period by 1 + 0.5 * (r - 0.5).
    let randoms = vec![0.5, 1.0, 0.0, 0.75];
    assert_eq!(
        simulate_calls(&[0.0; 4], Some((0.5, randoms))),
        [1010.0, 1022.5, 1030.0, 1041.25]
    );
}

#[test]
fn test_jitter_must_be_finite_and_random_values_are_clamped() {
    // New: a NaN, infinite, negative or too large jitter is a typed error
    // (it would turn the period into a busy loop), and a random source's
    // values are clamped into [0, 1) (NaN counts as 0.5), so a period
    // always stays within 1 ± jitter/2 of its length.
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.1, 2.0] {
        let pc = PeriodicCallback::new(|| {}, Duration::from_secs(1)).unwrap();
        let error = pc.with_jitter(bad).expect_err("rejected");
        assert!(error.to_string().contains("jitter"), "{error}");
    }
    // 10 s periods, jitter 0.5: each period in [7.5 s, 12.5 s].
    let randoms = vec![f64::NAN, f64::INFINITY, -1.0, 7.0, f64::NEG_INFINITY];
    let times = simulate_calls(&[0.0; 5], Some((0.5, randoms)));
    let periods: Vec<f64> = std::iter::once(times[0] - 1000.0)
        .chain(times.windows(2).map(|w| w[1] - w[0]))
        .collect();
    assert_eq!(periods.len(), 5);
    for (period, expected) in periods.iter().zip([10.0, 12.5, 7.5, 12.5, 7.5]) {
        assert!((period - expected).abs() < 1e-6, "{periods:?}");
    }
}
