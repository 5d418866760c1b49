//! Shared helpers for the integration tests: a log capture.
//!
//! The logger keeps records per thread (a `thread_local` list): each test
//! runs on its own thread, and the loop and the coroutines it drives log on
//! the thread the test runs on, so tests running in parallel never see each
//! other's records. It is installed once per test binary.
#![allow(dead_code)]

use std::cell::RefCell;
use std::sync::Once;

pub use log::Level;

/// Tornado's `app_log`: where gust logs what Tornado logs on
/// `tornado.application`.
pub const APP_LOG: &str = "gust::application";

/// One captured record: level, target, message.
pub type Record = (Level, String, String);

struct ThreadLogger;

thread_local! {
    static RECORDS: RefCell<Vec<Record>> = const { RefCell::new(Vec::new()) };
}

impl log::Log for ThreadLogger {
    fn enabled(&self, _metadata: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let captured = (
            record.level(),
            record.target().to_owned(),
            record.args().to_string(),
        );
        // During thread teardown the list may be gone: drop the record.
        let _ = RECORDS.try_with(|records| records.borrow_mut().push(captured));
    }

    fn flush(&self) {}
}

static LOGGER: ThreadLogger = ThreadLogger;
static INIT: Once = Once::new();

/// Installs the logger (once per process).
pub fn install() {
    INIT.call_once(|| {
        log::set_logger(&LOGGER).expect("another logger is installed in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// The records logged on this thread since the last [`clear`].
pub fn capture() -> Vec<Record> {
    install();
    RECORDS.with(|records| records.borrow().clone())
}

/// Forgets this thread's records (and installs the logger if needed).
pub fn clear() {
    install();
    RECORDS.with(|records| records.borrow_mut().clear());
}

/// The messages logged at error level on [`APP_LOG`] since the last
/// [`clear`].
pub fn app_errors() -> Vec<String> {
    capture()
        .into_iter()
        .filter(|(level, target, _)| *level == Level::Error && target == APP_LOG)
        .map(|(_, _, message)| message)
        .collect()
}

/// The error-level messages on [`APP_LOG`] that contain `needle`.
pub fn app_errors_containing(needle: &str) -> Vec<String> {
    app_errors().into_iter().filter(|m| m.contains(needle)).collect()
}

// ------------------------------------------------------------------
// Helpers shared by the ported gen / toolbox / native tests.
// ------------------------------------------------------------------

use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use gust::gen_;
use gust::ioloop::ManualClock;
use gust::prelude::*;

/// Python's exception classes that Tornado's tests raise, as error types.
macro_rules! python_error {
    ($(#[$doc:meta])* $name:ident => $message:expr_2021) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name;

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($message)
            }
        }

        impl std::error::Error for $name {}
    };
}

python_error!(
    /// Python's `ZeroDivisionError` (`1 / 0`).
    ZeroDivisionError => "division by zero"
);
python_error!(
    /// Python's `KeyError`.
    KeyError => "KeyError"
);

/// Python's `RuntimeError(message)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeError(pub &'static str);

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for RuntimeError {}

/// Tornado's `@gen_test`: runs `body` as a coroutine on a fresh loop until
/// it finishes, with a 5 second timeout. The loop's clock jumps to the next
/// timer whenever the loop would wait, so sleeping takes no real time and a
/// hung test fails with a `TimeoutError` instead of hanging.
pub fn run<T, F>(body: F) -> Result<T, Error>
where
    T: 'static,
    F: FnOnce(&Co) -> Result<T, Error> + 'static,
{
    let io_loop = IOLoop::with_clock(ManualClock::autojump());
    io_loop.run_sync(move || gen_::coroutine(body), Some(Duration::from_secs(5)))
}

/// Records its name in a shared list when dropped: a destructor on a
/// coroutine's stack (Python's `finally`).
pub struct Guard {
    log: Rc<RefCell<Vec<&'static str>>>,
    name: &'static str,
}

impl Guard {
    /// A guard that appends `name` to `log` when dropped.
    pub fn new(log: &Rc<RefCell<Vec<&'static str>>>, name: &'static str) -> Guard {
        Guard {
            log: log.clone(),
            name,
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.log.borrow_mut().push(self.name);
    }
}

/// A list for [`Guard`]s to record into.
pub fn new_log() -> Rc<RefCell<Vec<&'static str>>> {
    Rc::new(RefCell::new(Vec::new()))
}
