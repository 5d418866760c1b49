//! Integration tests of the event loop, `gust::ioloop`.
//!
//! Ported from Tornado's `tornado/test/ioloop_test.py` wherever a case
//! applies (each such test names its original in a comment), plus the cases
//! Tornado's suite leaves to asyncio: callback and timer ordering counted in
//! loop iterations, lazy timer cancellation, handler generations, the manual
//! clock, and `PeriodicCallback`'s schedule run end to end on that clock.
//!
//! Nothing here sleeps to wait for a timer: timers run on a `ManualClock`.
//! Real threads and real sockets are used where waking a loop blocked in
//! `poll` is the point. A loop that could hang if the code under test were
//! wrong runs under a [`Watchdog`], which stops it through a socket (not
//! through the loop's waker, which may be what is being tested) and fails
//! the test.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use gust::ioloop::{
    APP_LOG, CallbackResult, Deadline, Events, Extension, HandlerId, IOLoop, IOLoopError, LoopClosedError,
    LoopHandle, ManualClock, NonPositivePeriodError, PeriodicCallback,
};
use mio::net::{TcpListener, UnixStream};
use mio::unix::SourceFd;

// ====================================================================
// Helpers
// ====================================================================

/// Runs one loop iteration without waiting.
fn step(io_loop: &IOLoop) {
    io_loop.run_once(Some(Duration::ZERO)).unwrap();
}

/// A callback that panics with `message`. (A bare `|| panic!()` closure
/// returns `!`, which is not a `CallbackResult`.)
fn panics(message: &'static str) -> impl FnOnce() + 'static {
    move || panic!("{message}")
}

/// A shared list the callbacks of a test append to.
type Recorder<T> = Rc<RefCell<Vec<T>>>;

fn recorder<T>() -> Recorder<T> {
    Rc::new(RefCell::new(Vec::new()))
}

/// Sets its flag when dropped: tells whether the loop dropped a callback.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

fn drop_flag() -> (DropFlag, Rc<Cell<bool>>) {
    let flag = Rc::new(Cell::new(false));
    (DropFlag(flag.clone()), flag)
}

/// Reads everything available (the loop is edge-triggered).
fn drain(stream: &mut UnixStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("read failed: {e}"),
        }
    }
    out
}

/// The slab index inside a `HandlerId` (its fields are private; its Debug
/// output shows them). Used only to check a test's precondition.
fn slot_of(id: HandlerId) -> String {
    let text = format!("{id:?}");
    let start = text.find("index: ").expect("HandlerId debug shows index") + "index: ".len();
    text[start..].chars().take_while(char::is_ascii_digit).collect()
}

const WATCHDOG_LIMIT: Duration = Duration::from_secs(10);

/// Stops a loop that failed to stop by itself, so that a broken loop fails
/// a test instead of hanging it. It wakes the loop through a socket pair
/// (plain I/O readiness), never through the loop's waker.
struct Watchdog {
    io_loop: IOLoop,
    source: UnixStream,
    id: HandlerId,
    fired: Rc<Cell<bool>>,
    cancel: Option<mpsc::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Watchdog {
    fn arm(io_loop: &IOLoop, limit: Duration) -> Watchdog {
        let (mut source, mut alarm) = UnixStream::pair().unwrap();
        let fired = Rc::new(Cell::new(false));
        let flag = fired.clone();
        let weak = io_loop.downgrade();
        let id = io_loop
            .add_handler(&mut source, Events::READ, move |_| {
                flag.set(true);
                if let Some(io_loop) = weak.upgrade() {
                    io_loop.stop();
                }
            })
            .unwrap();
        let (cancel, cancelled) = mpsc::channel::<()>();
        let thread = thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = cancelled.recv_timeout(limit) {
                let _ = alarm.write_all(b"!");
                // Keep the socket open until cancelled.
                let _ = cancelled.recv();
            }
        });
        Watchdog {
            io_loop: io_loop.clone(),
            source,
            id,
            fired,
            cancel: Some(cancel),
            thread: Some(thread),
        }
    }

    /// Stops the watchdog; returns whether it had to stop the loop.
    fn disarm(mut self) -> bool {
        self.shutdown();
        self.fired.get()
    }

    fn shutdown(&mut self) {
        drop(self.cancel.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
            let _ = self.io_loop.remove_handler(&mut self.source, self.id);
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Runs `run` (which runs `io_loop`) under a watchdog and fails the test if
/// the watchdog had to stop the loop.
fn guarded<T>(io_loop: &IOLoop, run: impl FnOnce() -> T) -> T {
    let dog = Watchdog::arm(io_loop, WATCHDOG_LIMIT);
    let result = run();
    assert!(
        !dog.disarm(),
        "the loop did not return by itself within {WATCHDOG_LIMIT:?}"
    );
    result
}

/// `io_loop.start()`, failing the test instead of hanging.
fn start_guarded(io_loop: &IOLoop) {
    guarded(io_loop, || io_loop.start()).unwrap();
}

// --------------------------------------------------------------------
// Log capture
// --------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Captured {
    level: log::Level,
    target: String,
    message: String,
}

/// Stores records in a thread-local list: the loop logs on the thread it
/// runs on, which is the test's own thread, so parallel tests do not see
/// each other's records.
struct CaptureLogger;

thread_local! {
    static CAPTURED: RefCell<Vec<Captured>> = const { RefCell::new(Vec::new()) };
}

impl log::Log for CaptureLogger {
    fn enabled(&self, _metadata: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let captured = Captured {
            level: record.level(),
            target: record.target().to_owned(),
            message: record.args().to_string(),
        };
        let _ = CAPTURED.try_with(|records| records.borrow_mut().push(captured));
    }

    fn flush(&self) {}
}

static LOGGER: CaptureLogger = CaptureLogger;
static LOGGER_INIT: Once = Once::new();

/// Installs the capturing logger (once per process) and clears this
/// thread's records.
fn capture_logs() {
    LOGGER_INIT.call_once(|| {
        log::set_logger(&LOGGER).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
    });
    CAPTURED.with(|records| records.borrow_mut().clear());
}

/// Takes this thread's records.
fn take_logs() -> Vec<Captured> {
    CAPTURED.with(|records| std::mem::take(&mut *records.borrow_mut()))
}

/// The messages logged at error level under Tornado's application logger.
fn app_errors(logs: &[Captured]) -> Vec<String> {
    logs.iter()
        .filter(|r| r.level == log::Level::Error && r.target == APP_LOG)
        .map(|r| r.message.clone())
        .collect()
}

// ====================================================================
// Callbacks
// ====================================================================

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
    capture_logs();
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
    let logs = take_logs();
    let errors = app_errors(&logs);
    assert_eq!(errors.len(), 1, "{logs:?}");
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
    capture_logs();
    let io_loop = IOLoop::with_clock(ManualClock::new());
    io_loop.add_callback(panics("added"));
    io_loop.spawn_callback(panics("spawned"));
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    io_loop.spawn_callback(move || r.set(true));
    step(&io_loop);
    assert!(ran.get());
    let errors = app_errors(&take_logs());
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].starts_with("Exception in callback ") && errors[0].ends_with(": added"));
    assert!(errors[1].starts_with("Exception in callback ") && errors[1].ends_with(": spawned"));
}

#[test]
fn test_result_callback_err_is_logged() {
    // New: a callback returning Err is logged like an exception (Tornado
    // logs the failure of what a callback returns).
    capture_logs();
    let io_loop = IOLoop::with_clock(ManualClock::new());
    io_loop.add_callback(|| -> Result<(), String> { Err("it failed".to_owned()) });
    io_loop.add_callback(|| -> Result<(), io::Error> { Ok(()) });
    io_loop.call_later(Duration::ZERO, || -> Result<(), String> {
        Err("timer failed".to_owned())
    });
    step(&io_loop);
    let logs = take_logs();
    let errors = app_errors(&logs);
    assert_eq!(errors.len(), 2, "{logs:?}");
    assert!(errors[0].starts_with("Exception in callback ") && errors[0].ends_with(": it failed"));
    assert!(errors[1].starts_with("Exception in callback ") && errors[1].ends_with(": timer failed"));
}

#[test]
fn test_timer_and_raw_callback_panics_are_logged() {
    // New: every kind of callback goes through the same catch-and-log path.
    capture_logs();
    fn raw_panics(_: &IOLoop, data: u64) {
        panic!("raw {data}");
    }
    let io_loop = IOLoop::with_clock(ManualClock::new());
    io_loop.call_later(Duration::ZERO, panics("in timer"));
    io_loop.add_callback_raw(raw_panics, 7);
    step(&io_loop);
    let errors = app_errors(&take_logs());
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

// ====================================================================
// Timeouts
// ====================================================================

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

// ====================================================================
// Starting, stopping, closing
// ====================================================================

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

// ====================================================================
// File-descriptor handlers
// ====================================================================

/// A registered socket pair: the loop watches `rx`; the test writes `tx`.
struct Pair {
    rx: Rc<RefCell<UnixStream>>,
    tx: UnixStream,
}

fn pair() -> Pair {
    let (rx, tx) = UnixStream::pair().unwrap();
    Pair {
        rx: Rc::new(RefCell::new(rx)),
        tx,
    }
}

/// Adds a handler on `pair.rx` that drains it and records the events and
/// bytes it saw.
fn recording_handler(
    io_loop: &IOLoop,
    pair: &Pair,
    events: Events,
) -> (HandlerId, Recorder<Events>, Recorder<u8>) {
    let seen = recorder();
    let data = recorder();
    let (s, d, rx) = (seen.clone(), data.clone(), pair.rx.clone());
    let id = io_loop
        .add_handler(&mut *pair.rx.borrow_mut(), events, move |ev| {
            s.borrow_mut().push(ev);
            if ev.contains(Events::READ) {
                d.borrow_mut().extend(drain(&mut rx.borrow_mut()));
            }
        })
        .unwrap();
    (id, seen, data)
}

#[test]
fn test_add_handler_read_fires() {
    // New: a READ handler hears of data, once per edge.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let (_id, seen, data) = recording_handler(&io_loop, &p, Events::READ);
    assert_eq!(io_loop.handler_count(), 1);
    step(&io_loop);
    assert!(seen.borrow().is_empty(), "nothing to read yet");

    p.tx.write_all(b"hello").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::READ]);
    assert_eq!(*data.borrow(), b"hello");

    p.tx.write_all(b" again").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::READ, Events::READ]);
    assert_eq!(*data.borrow(), b"hello again");
}

#[test]
fn test_run_once_without_waiting_polls_io() {
    // New: stepping with run_once(Some(ZERO)) on an idle loop still looks
    // for I/O (without blocking), as does run_until_idle.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let (_id, seen, data) = recording_handler(&io_loop, &p, Events::READ);
    p.tx.write_all(b"x").unwrap();
    step(&io_loop);
    assert_eq!(*seen.borrow(), [Events::READ]);
    assert_eq!(*data.borrow(), b"x");
    p.tx.write_all(b"y").unwrap();
    io_loop.run_iterations(1).unwrap();
    assert_eq!(*data.borrow(), b"xy");
}

#[test]
fn test_read_while_writeable() {
    // Ports TestIOLoop.test_read_while_writeable: a READ handler on a
    // writable socket gets READ only, never WRITE.
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let (client, server) = UnixStream::pair().unwrap();
    let client = Rc::new(RefCell::new(client));
    let events = recorder();
    let (e, c, l) = (events.clone(), client.clone(), io_loop.clone());
    let id = io_loop
        .add_handler(&mut *client.borrow_mut(), Events::READ, move |ev| {
            e.borrow_mut().push(ev);
            drain(&mut c.borrow_mut());
            l.stop();
        })
        .unwrap();
    // The timer borrows the server socket: dropping it would hang up.
    let server = Rc::new(RefCell::new(server));
    let s = server.clone();
    io_loop.add_timeout(io_loop.time() + Duration::from_millis(10), move || {
        s.borrow_mut().write_all(b"asdf").unwrap();
    });
    start_guarded(&io_loop);
    assert_eq!(*events.borrow(), [Events::READ]);
    io_loop.remove_handler(&mut *client.borrow_mut(), id).unwrap();
}

#[test]
fn test_update_handler_to_write() {
    // New: update_handler switches what the handler hears about.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let p = pair();
    let (id, seen, _data) = recording_handler(&io_loop, &p, Events::READ);
    step(&io_loop);
    assert!(seen.borrow().is_empty(), "writable, but WRITE not asked for");
    io_loop
        .update_handler(&mut *p.rx.borrow_mut(), id, Events::WRITE)
        .unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::WRITE]);
}

#[test]
fn test_update_handler_to_none_and_back() {
    // New: Events::NONE deregisters the source; asking again reports what
    // became ready meanwhile.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let (id, seen, data) = recording_handler(&io_loop, &p, Events::READ);
    io_loop
        .update_handler(&mut *p.rx.borrow_mut(), id, Events::NONE)
        .unwrap();
    assert_eq!(io_loop.handler_count(), 1);
    p.tx.write_all(b"quiet").unwrap();
    io_loop.run_iterations(3).unwrap();
    assert!(seen.borrow().is_empty());
    io_loop
        .update_handler(&mut *p.rx.borrow_mut(), id, Events::READ)
        .unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::READ]);
    assert_eq!(*data.borrow(), b"quiet");
}

#[test]
fn test_remove_handler_stops_delivery() {
    // New: after remove_handler the handler is dropped and hears nothing.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let (guard, dropped) = drop_flag();
    let calls = Rc::new(Cell::new(0));
    let (c, rx) = (calls.clone(), p.rx.clone());
    let id = io_loop
        .add_handler(&mut *p.rx.borrow_mut(), Events::READ, move |_| {
            let _guard = &guard;
            c.set(c.get() + 1);
            drain(&mut rx.borrow_mut());
        })
        .unwrap();
    p.tx.write_all(b"1").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(calls.get(), 1);

    io_loop.remove_handler(&mut *p.rx.borrow_mut(), id).unwrap();
    assert!(dropped.get());
    assert_eq!(io_loop.handler_count(), 0);
    p.tx.write_all(b"2").unwrap();
    io_loop.run_iterations(3).unwrap();
    assert_eq!(calls.get(), 1);
    // Removing again is a no-op.
    io_loop.remove_handler(&mut *p.rx.borrow_mut(), id).unwrap();
    // The same source can be registered again.
    let (_id2, seen, data) = recording_handler(&io_loop, &p, Events::READ);
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::READ]);
    assert_eq!(*data.borrow(), b"2");
}

#[test]
fn test_multiple_add() {
    // Ports TestIOLoop.test_multiple_add: adding the same source twice fails
    // and leaves the first registration working.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let (_id, seen, _data) = recording_handler(&io_loop, &p, Events::READ);
    let (guard, dropped) = drop_flag();
    let err = io_loop
        .add_handler(&mut *p.rx.borrow_mut(), Events::READ, move |_| {
            let _guard = &guard;
            panic!("the second handler must never run");
        })
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    assert!(dropped.get(), "the rejected handler is dropped");
    assert_eq!(io_loop.handler_count(), 1);
    p.tx.write_all(b"z").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::READ]);
}

#[test]
fn test_mixed_fd_fileobj() {
    // Ports TestIOLoop.test_mixed_fd_fileobj: the same fd through another
    // source object (a raw fd) is still a duplicate; removing through the
    // raw fd deregisters it.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let (id, seen, _data) = recording_handler(&io_loop, &p, Events::READ);
    let fd = p.rx.borrow().as_raw_fd();
    assert!(
        io_loop
            .add_handler(&mut SourceFd(&fd), Events::READ, |_| {})
            .is_err()
    );
    assert_eq!(io_loop.handler_count(), 1);
    io_loop.remove_handler(&mut SourceFd(&fd), id).unwrap();
    assert_eq!(io_loop.handler_count(), 0);
    p.tx.write_all(b"z").unwrap();
    io_loop.run_iterations(2).unwrap();
    assert!(seen.borrow().is_empty());
}

#[test]
fn test_remove_without_add() {
    // Ports TestIOLoop.test_remove_without_add: removing a handler that is
    // not registered is a no-op, even when the source itself has another,
    // live registration (a stale id must not deregister it).
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let (stale, _seen, _data) = recording_handler(&io_loop, &p, Events::READ);
    io_loop.remove_handler(&mut *p.rx.borrow_mut(), stale).unwrap();
    let never_added = pair();
    io_loop
        .remove_handler(&mut *never_added.rx.borrow_mut(), stale)
        .unwrap();

    let (live, seen, data) = recording_handler(&io_loop, &p, Events::READ);
    assert_ne!(live, stale);
    io_loop.remove_handler(&mut *p.rx.borrow_mut(), stale).unwrap();
    let err = io_loop
        .update_handler(&mut *p.rx.borrow_mut(), stale, Events::WRITE)
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert_eq!(io_loop.handler_count(), 1);
    p.tx.write_all(b"live").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::READ]);
    assert_eq!(*data.borrow(), b"live");
}

#[test]
fn test_remove_handler_from_handler() {
    // Ports TestIOLoop.test_remove_handler_from_handler: two sockets ready
    // in the same poll; whichever handler runs first removes the other,
    // whose pending event is then dropped.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let (client, server) = UnixStream::pair().unwrap();
    let socks = [Rc::new(RefCell::new(client)), Rc::new(RefCell::new(server))];
    socks[0].borrow_mut().write_all(b"abc").unwrap();
    socks[1].borrow_mut().write_all(b"abc").unwrap();
    let ids: Rc<[Cell<Option<HandlerId>>; 2]> = Rc::new([Cell::new(None), Cell::new(None)]);
    let chunks = recorder();
    for me in 0..2 {
        let other = 1 - me;
        let (socks2, ids2, chunks2, l) = (socks.clone(), ids.clone(), chunks.clone(), io_loop.clone());
        let id = io_loop
            .add_handler(&mut *socks[me].borrow_mut(), Events::READ, move |_| {
                chunks2.borrow_mut().push(drain(&mut socks2[me].borrow_mut()));
                let other_id = ids2[other].get().unwrap();
                l.remove_handler(&mut *socks2[other].borrow_mut(), other_id)
                    .unwrap();
            })
            .unwrap();
        ids[me].set(Some(id));
    }
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    io_loop.run_iterations(3).unwrap();
    assert_eq!(*chunks.borrow(), [b"abc".to_vec()]);
    assert_eq!(io_loop.handler_count(), 1);
}

#[test]
fn test_handler_removes_itself() {
    // New: a handler may remove itself while it runs; it is dropped right
    // after the call and never called again.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let my_id = Rc::new(Cell::new(None::<HandlerId>));
    let calls = Rc::new(Cell::new(0));
    let (guard, dropped) = drop_flag();
    let (c, rx, me, l) = (calls.clone(), p.rx.clone(), my_id.clone(), io_loop.clone());
    let id = io_loop
        .add_handler(&mut *p.rx.borrow_mut(), Events::READ, move |_| {
            let _guard = &guard;
            c.set(c.get() + 1);
            drain(&mut rx.borrow_mut());
            l.remove_handler(&mut *rx.borrow_mut(), me.get().unwrap())
                .unwrap();
        })
        .unwrap();
    my_id.set(Some(id));
    p.tx.write_all(b"1").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(calls.get(), 1);
    assert!(dropped.get(), "dropped once its call returned");
    assert_eq!(io_loop.handler_count(), 0);
    p.tx.write_all(b"2").unwrap();
    io_loop.run_iterations(3).unwrap();
    assert_eq!(calls.get(), 1);
}

#[test]
fn test_handler_updates_itself() {
    // New: a handler may change its own events while it runs.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let my_id = Rc::new(Cell::new(None::<HandlerId>));
    let seen = recorder();
    let (s, rx, me, l) = (seen.clone(), p.rx.clone(), my_id.clone(), io_loop.clone());
    let id = io_loop
        .add_handler(&mut *p.rx.borrow_mut(), Events::READ, move |ev| {
            s.borrow_mut().push(ev);
            drain(&mut rx.borrow_mut());
            if ev.contains(Events::READ) {
                l.update_handler(&mut *rx.borrow_mut(), me.get().unwrap(), Events::WRITE)
                    .unwrap();
            }
        })
        .unwrap();
    my_id.set(Some(id));
    p.tx.write_all(b"1").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::READ, Events::WRITE]);
}

#[test]
fn test_stale_event_never_reaches_reused_slot() {
    // New: two sockets are ready in one poll. The first handler to run
    // removes the other and registers a third socket, which gets the freed
    // slot. The removed handler's event, still in the batch, must not reach
    // the new handler (the third socket has nothing to read).
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut a = pair();
    let mut b = pair();
    let mut c = pair();
    a.tx.write_all(b"a").unwrap();
    b.tx.write_all(b"b").unwrap();

    let rxs = Rc::new([a.rx.clone(), b.rx.clone()]);
    let ids: Rc<[Cell<Option<HandlerId>>; 2]> = Rc::new([Cell::new(None), Cell::new(None)]);
    let new_id = Rc::new(Cell::new(None::<HandlerId>));
    let removed_id = Rc::new(Cell::new(None::<HandlerId>));
    let ran = recorder();
    let new_calls = recorder();
    for me in 0..2 {
        let other = 1 - me;
        let (rxs2, ids2, l, ran2) = (rxs.clone(), ids.clone(), io_loop.clone(), ran.clone());
        let (c_rx, new_id2, removed2, calls2) = (
            c.rx.clone(),
            new_id.clone(),
            removed_id.clone(),
            new_calls.clone(),
        );
        let source = rxs[me].clone();
        let id = io_loop
            .add_handler(&mut *source.borrow_mut(), Events::READ, move |_| {
                ran2.borrow_mut().push(me);
                drain(&mut rxs2[me].borrow_mut());
                if removed2.get().is_some() {
                    return;
                }
                let other_id = ids2[other].get().unwrap();
                l.remove_handler(&mut *rxs2[other].borrow_mut(), other_id)
                    .unwrap();
                removed2.set(Some(other_id));
                let calls3 = calls2.clone();
                let id = l
                    .add_handler(&mut *c_rx.borrow_mut(), Events::READ, move |ev| {
                        calls3.borrow_mut().push(ev)
                    })
                    .unwrap();
                new_id2.set(Some(id));
            })
            .unwrap();
        ids[me].set(Some(id));
    }
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(ran.borrow().len(), 1, "only the first handler ran");
    let (removed, fresh) = (removed_id.get().unwrap(), new_id.get().unwrap());
    assert_eq!(slot_of(removed), slot_of(fresh), "precondition: slot reused");
    assert_ne!(removed, fresh);
    assert!(
        new_calls.borrow().is_empty(),
        "a stale event reached the new handler: {:?}",
        new_calls.borrow()
    );

    // The new handler hears its own events.
    c.tx.write_all(b"c").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*new_calls.borrow(), [Events::READ]);
}

#[test]
fn test_handler_callback_file_object() {
    // Ports TestIOLoop.test_handler_callback_file_object on TCP: a listener
    // handler accepts connections; remove and re-add the same socket.
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = Rc::new(RefCell::new(listener));
    let accepted = Rc::new(Cell::new(0));
    let make_handler = || {
        let (lst, acc, l) = (listener.clone(), accepted.clone(), io_loop.clone());
        move |ev: Events| {
            assert!(ev.contains(Events::READ));
            loop {
                match lst.borrow().accept() {
                    Ok(_) => acc.set(acc.get() + 1),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("accept: {e}"),
                }
            }
            l.stop();
        }
    };
    let first = io_loop
        .add_handler(&mut *listener.borrow_mut(), Events::READ, make_handler())
        .unwrap();
    let _client1 = std::net::TcpStream::connect(addr).unwrap();
    start_guarded(&io_loop);
    assert_eq!(accepted.get(), 1);

    io_loop
        .remove_handler(&mut *listener.borrow_mut(), first)
        .unwrap();
    let second = io_loop
        .add_handler(&mut *listener.borrow_mut(), Events::READ, make_handler())
        .unwrap();
    assert_ne!(first, second);
    let _client2 = std::net::TcpStream::connect(addr).unwrap();
    start_guarded(&io_loop);
    assert_eq!(accepted.get(), 2);
    io_loop
        .remove_handler(&mut *listener.borrow_mut(), second)
        .unwrap();
}

#[test]
fn test_handler_panic_is_logged_and_handler_kept() {
    // New: a panicking fd handler is logged like a callback and stays
    // registered.
    capture_logs();
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let calls = Rc::new(Cell::new(0));
    let (c, rx) = (calls.clone(), p.rx.clone());
    io_loop
        .add_handler(&mut *p.rx.borrow_mut(), Events::READ, move |_| {
            c.set(c.get() + 1);
            drain(&mut rx.borrow_mut());
            if c.get() == 1 {
                panic!("handler boom");
            }
        })
        .unwrap();
    p.tx.write_all(b"1").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    let errors = app_errors(&take_logs());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("Exception in callback ") && errors[0].ends_with(": handler boom"));
    assert_eq!(io_loop.handler_count(), 1);
    p.tx.write_all(b"2").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(calls.get(), 2);
}

#[test]
fn test_error_is_always_reported() {
    // New (Tornado: ERROR is always watched): a peer hang-up reaches a
    // WRITE-only handler as ERROR, without READ, which it did not ask for.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let p = pair();
    let (id, seen, _data) = recording_handler(&io_loop, &p, Events::WRITE);
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::WRITE]);
    drop(p.tx);
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    let last = *seen.borrow().last().unwrap();
    assert_eq!(seen.borrow().len(), 2);
    assert!(last.contains(Events::ERROR), "{last:?}");
    assert!(!last.contains(Events::READ), "{last:?}");

    // A READ handler sees the hang-up as READ (end of file) and ERROR.
    let io_loop2 = IOLoop::with_clock(ManualClock::new());
    let q = pair();
    let (_id2, seen2, _data2) = recording_handler(&io_loop2, &q, Events::READ);
    drop(q.tx);
    io_loop2.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen2.borrow(), [Events::READ | Events::ERROR]);
    io_loop.remove_handler(&mut *p.rx.borrow_mut(), id).unwrap();
}

#[test]
fn test_add_handler_on_closed_loop_fails() {
    // New: a closed loop refuses handlers.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    io_loop.close().unwrap();
    let p = pair();
    let (guard, dropped) = drop_flag();
    let result = io_loop.add_handler(&mut *p.rx.borrow_mut(), Events::READ, move |_| {
        let _guard = &guard;
    });
    assert!(result.is_err());
    assert!(dropped.get());
    assert_eq!(io_loop.handler_count(), 0);
}

// ====================================================================
// Other threads
// ====================================================================

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

// ====================================================================
// Manual clock
// ====================================================================

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

// ====================================================================
// PeriodicCallback
// ====================================================================

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
    // New: a callback may stop its own PeriodicCallback.
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let slot: Rc<RefCell<Option<PeriodicCallback>>> = Rc::new(RefCell::new(None));
    let calls = Rc::new(Cell::new(0));
    let (c, s, l) = (calls.clone(), slot.clone(), io_loop.clone());
    let pc = PeriodicCallback::new(
        move || {
            c.set(c.get() + 1);
            if c.get() == 2 {
                s.borrow().as_ref().unwrap().stop();
                let l2 = l.clone();
                l.call_later(Duration::from_secs(100), move || l2.stop());
            }
        },
        Duration::from_secs(1),
    )
    .unwrap();
    pc.start();
    *slot.borrow_mut() = Some(pc);
    start_guarded(&io_loop);
    assert_eq!(calls.get(), 2);
    assert!(!slot.borrow().as_ref().unwrap().is_running());
    assert_eq!(io_loop.timer_count(), 0);
}

#[test]
fn test_periodic_panic_keeps_schedule() {
    // New (Tornado logs the exception and schedules the next call).
    capture_logs();
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
    let errors = app_errors(&take_logs());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("Exception in callback ") && errors[0].ends_with(": periodic boom"));
}

#[test]
fn test_periodic_err_result_is_logged() {
    // New: a periodic callback returning Err is logged; the schedule goes
    // on.
    capture_logs();
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
    let errors = app_errors(&take_logs());
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

// ====================================================================
// IOLoop::current()
// ====================================================================

/// Runs `f` on a fresh thread, whose current-loop slots are pristine.
fn on_fresh_thread(f: impl FnOnce() + Send + 'static) {
    thread::spawn(f).join().unwrap();
}

#[test]
fn test_default_current() {
    // Ports TestIOLoopCurrent.test_default_current / test_force_current: a
    // new loop is made current. (Unlike Tornado 5's test, a second new
    // loop becomes current too: gust follows 6.3's make_current=True.)
    on_fresh_thread(|| {
        assert!(IOLoop::current_opt().is_none());
        let first = IOLoop::new();
        assert!(IOLoop::current().ptr_eq(&first));
        let second = IOLoop::with_clock(ManualClock::new());
        assert!(IOLoop::current().ptr_eq(&second));
        first.make_current();
        assert!(IOLoop::current_opt().unwrap().ptr_eq(&first));
    });
}

#[test]
fn test_current() {
    // Ports TestIOLoopCurrent.test_current (and TestIOLoopRunSync's): the
    // running loop is current inside its callbacks, even when another loop
    // was made current since; the previous current loop comes back after.
    on_fresh_thread(|| {
        let io_loop = IOLoop::with_clock(ManualClock::new());
        let other = IOLoop::with_clock(ManualClock::new());
        let inside = Rc::new(RefCell::new(None));
        let (i, l) = (inside.clone(), io_loop.clone());
        io_loop.add_callback(move || {
            *i.borrow_mut() = Some(IOLoop::current());
            l.stop();
        });
        start_guarded(&io_loop);
        assert!(inside.borrow().as_ref().unwrap().ptr_eq(&io_loop));
        assert!(IOLoop::current().ptr_eq(&other));
    });
}

#[test]
fn test_non_current() {
    // Ports TestIOLoopCurrent.test_non_current: a loop that is not current
    // becomes current while it runs and stops being current after, again
    // and again.
    on_fresh_thread(|| {
        let io_loop = IOLoop::with_clock(ManualClock::new());
        IOLoop::clear_current();
        assert!(IOLoop::current_opt().is_none());
        for _ in 0..3 {
            let inside = Rc::new(RefCell::new(None));
            let (i, l) = (inside.clone(), io_loop.clone());
            io_loop.add_callback(move || {
                *i.borrow_mut() = IOLoop::current_opt();
                l.stop();
            });
            start_guarded(&io_loop);
            assert!(inside.borrow().as_ref().unwrap().ptr_eq(&io_loop));
            assert!(IOLoop::current_opt().is_none());
        }
    });
}

#[test]
fn test_dropped_loop_is_not_current() {
    // New: the current slot does not keep a loop alive, and a dropped loop
    // is never handed out; current() then makes a fresh default loop.
    on_fresh_thread(|| {
        let io_loop = IOLoop::new();
        let id = io_loop.id();
        let handle = io_loop.handle();
        drop(io_loop);
        assert!(handle.is_closed(), "current did not keep it alive");
        assert!(IOLoop::current_opt().is_none());
        let fresh = IOLoop::current();
        assert_ne!(fresh.id(), id);
        assert!(!fresh.is_closed());
        // The default loop is kept: the same one comes back.
        drop(fresh);
        let again = IOLoop::current();
        assert!(!again.is_closed());
        assert!(IOLoop::current().ptr_eq(&again));
    });
}

#[test]
fn test_clear_without_current() {
    // Ports TestIOLoopCurrentAsync.test_clear_without_current: clearing on
    // a thread that never had a loop is a no-op.
    on_fresh_thread(|| {
        IOLoop::clear_current();
        assert!(IOLoop::current_opt().is_none());
    });
}

#[test]
fn test_nested_loops_restore_current() {
    // New: running a second loop from a callback of the first makes it
    // current for its run only.
    on_fresh_thread(|| {
        let outer = IOLoop::with_clock(ManualClock::new());
        let inner = IOLoop::with_clock(ManualClock::new());
        let seen = recorder();
        let (s, o, i) = (seen.clone(), outer.clone(), inner.clone());
        outer.add_callback(move || {
            s.borrow_mut().push(IOLoop::current().ptr_eq(&o));
            let s2 = s.clone();
            let i2 = i.clone();
            i.add_callback(move || s2.borrow_mut().push(IOLoop::current().ptr_eq(&i2)));
            i.run_until_idle().unwrap();
            s.borrow_mut().push(IOLoop::current().ptr_eq(&o));
            o.stop();
        });
        start_guarded(&outer);
        assert_eq!(*seen.borrow(), [true, true, true]);
    });
}
