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
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use gust::ioloop::{
    CallbackResult, Deadline, Events, Extension, HandlerId, IOLoop, IOLoopError, LoopClosedError, LoopHandle,
    ManualClock, NonPositivePeriodError, PeriodicCallback, PeriodicHandle,
};
use gust::testing::{LogCapture, step};
use mio::net::{TcpListener, UnixStream};
use mio::unix::SourceFd;

// ====================================================================
// Helpers
// ====================================================================

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

mod callbacks;
mod clock;
mod closing;
mod current;
mod handlers;
mod periodic;
mod stall;
mod threads;
mod timers;
