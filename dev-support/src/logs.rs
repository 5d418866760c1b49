//! Captures `log` records on the current thread.
//!
//! The logger keeps records per thread: each test runs on its own thread,
//! and a loop and the coroutines it drives log on the thread that runs the
//! loop, so tests running in parallel never see each other's records. The
//! logger is installed once per process, by the first [`capture`].
//!
//! ```
//! use gust::ioloop::IOLoop;
//! use gust_dev_support::logs;
//!
//! logs::capture();
//! let io_loop = IOLoop::new();
//! io_loop.add_callback(|| -> Result<(), std::io::Error> { Err(std::io::Error::other("boom")) });
//! gust_dev_support::step(&io_loop);
//! assert_eq!(logs::app_errors_containing("boom").len(), 1);
//! ```

use std::cell::RefCell;
use std::sync::Once;

#[doc(no_inline)]
pub use log::Level;

/// One captured record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its level.
    pub level: Level,
    /// Its target (`gust::application` for what Tornado logs on
    /// `tornado.application`).
    pub target: String,
    /// The formatted message.
    pub message: String,
}

thread_local! {
    static RECORDS: RefCell<Vec<Record>> = const { RefCell::new(Vec::new()) };
}

struct ThreadLogger;

impl log::Log for ThreadLogger {
    fn enabled(&self, _metadata: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let captured = Record {
            level: record.level(),
            target: record.target().to_owned(),
            message: record.args().to_string(),
        };
        // During thread teardown the list may be gone: drop the record.
        let _ = RECORDS.try_with(|records| records.borrow_mut().push(captured));
    }

    fn flush(&self) {}
}

static LOGGER: ThreadLogger = ThreadLogger;
static INSTALL: Once = Once::new();

/// Starts capturing on this thread: installs the logger (once per
/// process) and forgets this thread's earlier records.
///
/// # Panics
///
/// If another logger is installed in this process: nothing could be
/// captured, and a test checking the log would pass or fail for the wrong
/// reason.
pub fn capture() {
    INSTALL.call_once(|| {
        log::set_logger(&LOGGER).expect("logs::capture needs its own logger; another one is installed");
        log::set_max_level(log::LevelFilter::Trace);
    });
    RECORDS.with(|records| records.borrow_mut().clear());
}

/// The records logged on this thread since [`capture`].
pub fn records() -> Vec<Record> {
    RECORDS.with(|records| records.borrow().clone())
}

/// Takes the records logged on this thread since [`capture`] (or the
/// last `take`).
pub fn take() -> Vec<Record> {
    RECORDS.with(|records| std::mem::take(&mut *records.borrow_mut()))
}

/// The messages logged at error level on `gust::application` (Tornado's
/// `tornado.application` logger) on this thread since [`capture`].
pub fn app_errors() -> Vec<String> {
    records()
        .into_iter()
        .filter(|r| r.level == Level::Error && r.target == gust::ioloop::APP_LOG)
        .map(|r| r.message)
        .collect()
}

/// The messages of [`app_errors`] that contain `needle`.
pub fn app_errors_containing(needle: &str) -> Vec<String> {
    app_errors().into_iter().filter(|m| m.contains(needle)).collect()
}
