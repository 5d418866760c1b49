//! Seeing the log records of the current test: [`ExpectLog`],
//! [`LogCapture`], and the records behind background failures.
//!
//! # How records reach a test, whatever logger is installed
//!
//! The `log` crate has one logger per process, installed by whoever comes
//! first. gust does not need to be that logger to see its own reports:
//! every warning and error gust logs (a callback that panicked, a coroutine
//! nobody waited for that failed, `Future exception was never retrieved`)
//! is first offered to a per-thread tap that this module installs, and then
//! passed on to `log` as usual. So [`ExpectLog`], [`LogCapture`] and the
//! background-failure check of [`gen_test`](crate::gen_test) see everything
//! gust logs on the test's thread, with `env_logger` or any other logger
//! installed, or none.
//!
//! Records logged by other code (your own `log::warn!` calls) reach a test
//! only through the process's logger. [`TestLogger`] is a logger that feeds
//! the tests and forwards every record it does not consume to another
//! logger (or prints warnings and errors, which the test harness shows for
//! failing tests). Helpers install it when no logger is installed yet;
//! to keep your own logger, install `TestLogger::forwarding_to(yours)`
//! instead of yours.
//!
//! Records are per thread: each test runs on its own thread, and a loop
//! and its coroutines log on the loop's thread, so tests running in
//! parallel never see each other's records.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::sync::OnceLock;

use gust_ioloop::APP_LOG;
use gust_ioloop::protocol::{Tap, forwarding, has_tap, set_tap};
#[doc(no_inline)]
pub use log::Level;

/// One log record, as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// Its level.
    pub level: Level,
    /// Its target (`gust::application` for what Tornado logs on
    /// `tornado.application`).
    pub target: String,
    /// The formatted message.
    pub message: String,
}

impl fmt::Display for LogRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.level, self.target, self.message)
    }
}

/// What an [`ExpectLog`] matches and has seen.
struct Expectation {
    target: String,
    pattern: Pattern,
    level: Option<Level>,
    required: bool,
    matched: usize,
    /// Matching records at another level than `level`.
    wrong_level: Vec<LogRecord>,
}

enum Pattern {
    Prefix(String),
    Contains(String),
    Predicate(Box<dyn Fn(&str) -> bool>),
}

impl Pattern {
    fn matches(&self, message: &str) -> bool {
        match self {
            Pattern::Prefix(prefix) => message.starts_with(prefix.as_str()),
            Pattern::Contains(needle) => message.contains(needle.as_str()),
            Pattern::Predicate(predicate) => predicate(message),
        }
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Prefix(prefix) => write!(f, "starting with {prefix:?}"),
            Pattern::Contains(needle) => write!(f, "containing {needle:?}"),
            Pattern::Predicate(_) => f.write_str("matching a predicate"),
        }
    }
}

/// `target` is the record's target or one of its parents
/// (`gust` covers `gust::application`).
fn target_covers(target: &str, record: &str) -> bool {
    target.is_empty()
        || record == target
        || (record.len() > target.len()
            && record.starts_with(target)
            && record[target.len()..].starts_with("::"))
}

/// The test scopes open on one thread.
#[derive(Default)]
struct Scopes {
    expectations: Vec<Rc<RefCell<Expectation>>>,
    captures: Vec<Rc<RefCell<Vec<LogRecord>>>>,
    /// Background failures of the running `gen_test`s, innermost last.
    failures: Vec<Rc<RefCell<Vec<LogRecord>>>>,
}

thread_local! {
    static SCOPES: RefCell<Scopes> = RefCell::new(Scopes::default());
}

/// Offers a record to this thread's scopes; `true` if an [`ExpectLog`]
/// consumed it.
fn offer(target: &str, level: Level, message: &fmt::Arguments<'_>) -> bool {
    SCOPES
        .try_with(|scopes| {
            let scopes = scopes.borrow();
            // Formatting every debug record of a test would be slow: a
            // running test alone only wants `gust::application` errors.
            let failure = level == Level::Error && target == APP_LOG && !scopes.failures.is_empty();
            if scopes.expectations.is_empty() && scopes.captures.is_empty() && !failure {
                return false;
            }
            let record = LogRecord {
                level,
                target: target.to_owned(),
                message: message.to_string(),
            };
            for expectation in scopes.expectations.iter().rev() {
                let mut expectation = expectation.borrow_mut();
                if !target_covers(&expectation.target, target)
                    || !expectation.pattern.matches(&record.message)
                {
                    continue;
                }
                match expectation.level {
                    Some(wanted) if wanted != level => expectation.wrong_level.push(record.clone()),
                    _ => {
                        expectation.matched += 1;
                        return true;
                    }
                }
            }
            for capture in &scopes.captures {
                capture.borrow_mut().push(record.clone());
            }
            // A test capturing the log takes charge of what is in it.
            if scopes.captures.is_empty() && level == Level::Error && target == APP_LOG {
                if let Some(failures) = scopes.failures.last() {
                    failures.borrow_mut().push(record);
                }
            }
            false
        })
        .unwrap_or(false)
}

/// The tap every gust warning and error goes through on a thread with a
/// test scope open.
struct ScopeTap;

impl Tap for ScopeTap {
    fn record(&self, target: &str, level: Level, message: &fmt::Arguments<'_>) -> bool {
        offer(target, level, message)
    }
}

/// Installs the tap on this thread (once) and [`TestLogger`] in the
/// process if no logger is installed yet.
fn ensure_installed() {
    if !has_tap() {
        set_tap(Some(Rc::new(ScopeTap)));
    }
    let _ = TestLogger::install();
}

/// A logger for test processes: it feeds [`ExpectLog`] and [`LogCapture`]
/// with the records of every thread's current test, and forwards each
/// record they do not consume to another logger.
///
/// gust's helpers install it (printing warnings and errors) when they
/// start and no logger is installed. To keep a logger of your own
/// (`env_logger`, say), install it through this one:
///
/// ```
/// use gust::testing::TestLogger;
///
/// struct Quiet;
/// impl log::Log for Quiet {
///     fn enabled(&self, _: &log::Metadata<'_>) -> bool { true }
///     fn log(&self, _: &log::Record<'_>) {}
///     fn flush(&self) {}
/// }
///
/// // In a test binary, before anything logs (a `Once` in a shared setup
/// // function, say). Fails if another logger is installed already.
/// let _ = TestLogger::forwarding_to(Box::new(Quiet));
/// ```
///
/// Without it, [`ExpectLog`] and [`LogCapture`] still see every record gust
/// itself logs (see the [module docs](self)).
pub struct TestLogger {
    inner: Option<Box<dyn log::Log>>,
}

static LOGGER: OnceLock<TestLogger> = OnceLock::new();

impl TestLogger {
    /// Installs a `TestLogger` that prints the warnings and errors it does
    /// not consume (with `eprintln!`, which the test harness captures and
    /// shows for failing tests). `Ok` if it is installed now or was
    /// already.
    pub fn install() -> Result<(), InstallLoggerError> {
        if Self::is_installed() {
            return Ok(());
        }
        Self::install_with(None)
    }

    /// Installs a `TestLogger` that forwards what it does not consume to
    /// `inner` (your own logger).
    pub fn forwarding_to(inner: Box<dyn log::Log>) -> Result<(), InstallLoggerError> {
        Self::install_with(Some(inner))
    }

    /// Whether a `TestLogger` is the process's logger.
    pub fn is_installed() -> bool {
        LOGGER.get().is_some_and(|ours| {
            std::ptr::addr_eq(log::logger() as *const dyn log::Log, ours as *const TestLogger)
        })
    }

    fn install_with(inner: Option<Box<dyn log::Log>>) -> Result<(), InstallLoggerError> {
        let mut unused = Some(inner);
        let logger = LOGGER.get_or_init(|| TestLogger {
            inner: unused.take().flatten(),
        });
        if unused.is_some() {
            // Made earlier: installed, being installed by another thread,
            // or refused.
            return Err(if Self::is_installed() {
                InstallLoggerError::AlreadyInstalled
            } else {
                InstallLoggerError::OtherLogger
            });
        }
        log::set_logger(logger).map_err(|_| InstallLoggerError::OtherLogger)?;
        log::set_max_level(log::LevelFilter::Trace);
        Ok(())
    }
}

/// Why [`TestLogger`] could not be installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InstallLoggerError {
    /// Another logger is the process's logger (`log` allows one).
    #[error("another logger is installed: gust's own records still reach the tests, other records do not")]
    OtherLogger,
    /// A `TestLogger` is installed already (forwarding elsewhere, or printing).
    #[error("a TestLogger is installed already")]
    AlreadyInstalled,
}

impl log::Log for TestLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        self.inner.as_ref().is_none_or(|inner| inner.enabled(metadata)) || metadata.level() <= Level::Warn
    }

    fn log(&self, record: &log::Record<'_>) {
        // gust's own records reached the tap already.
        if !forwarding() && offer(record.target(), record.level(), record.args()) {
            return;
        }
        match &self.inner {
            Some(inner) => inner.log(record),
            None if record.level() <= Level::Warn => {
                eprintln!("[{} {}] {}", record.level(), record.target(), record.args());
            }
            None => {}
        }
    }

    fn flush(&self) {
        if let Some(inner) = &self.inner {
            inner.flush();
        }
    }
}

/// Expects a log record during its life, and keeps matching records out
/// of the log (Tornado's `ExpectLog`).
///
/// `target` is a `log` target (`gust::application`, Tornado's
/// `tornado.application`; a parent such as `gust` covers its children; an
/// empty target covers everything); `prefix` is the start of the message
/// (Tornado's regex is matched from the start of the message too; see
/// [`containing`](ExpectLog::containing) and
/// [`matching`](ExpectLog::matching) for other tests). Records that match
/// are consumed: they are not logged, and they are not background
/// failures. By default at least one must match before the `ExpectLog` is
/// dropped or [`finish`](ExpectLog::finish)ed, or the test fails with
/// `did not get expected log message`.
///
/// It sees the records of the current thread only.
///
/// ```
/// use gust::ioloop::{APP_LOG, IOLoop};
/// use gust::testing::{ExpectLog, step};
///
/// let io_loop = IOLoop::new();
/// let expected = ExpectLog::new(APP_LOG, "Exception in callback");
/// io_loop.add_callback(|| -> Result<(), std::io::Error> { Err(std::io::Error::other("boom")) });
/// step(&io_loop);
/// assert_eq!(expected.matched(), 1);
/// expected.finish().unwrap();
/// ```
#[must_use = "an ExpectLog watches only while it lives: bind it to a variable"]
pub struct ExpectLog {
    expectation: Rc<RefCell<Expectation>>,
    finished: bool,
}

impl ExpectLog {
    /// Expects a record on `target` whose message starts with `prefix`.
    pub fn new(target: &str, prefix: &str) -> ExpectLog {
        ExpectLog::with_pattern(target, Pattern::Prefix(prefix.to_owned()))
    }

    /// Expects a record on `target` whose message contains `needle`.
    pub fn containing(target: &str, needle: &str) -> ExpectLog {
        ExpectLog::with_pattern(target, Pattern::Contains(needle.to_owned()))
    }

    /// Expects a record on `target` whose message satisfies `predicate`
    /// (a regular expression of your own, say).
    pub fn matching(target: &str, predicate: impl Fn(&str) -> bool + 'static) -> ExpectLog {
        ExpectLog::with_pattern(target, Pattern::Predicate(Box::new(predicate)))
    }

    fn with_pattern(target: &str, pattern: Pattern) -> ExpectLog {
        ensure_installed();
        let expectation = Rc::new(RefCell::new(Expectation {
            target: target.to_owned(),
            pattern,
            level: None,
            required: true,
            matched: 0,
            wrong_level: Vec::new(),
        }));
        let _ = SCOPES.try_with(|scopes| scopes.borrow_mut().expectations.push(expectation.clone()));
        ExpectLog {
            expectation,
            finished: false,
        }
    }

    /// Whether a match is required (default `true`). Not required, the
    /// `ExpectLog` only keeps matching records out of the log.
    pub fn required(self, required: bool) -> ExpectLog {
        self.expectation.borrow_mut().required = required;
        self
    }

    /// Matches only records at `level` (Tornado 6.1's `level`). A matching
    /// record at another level is not consumed, and named in the failure.
    pub fn level(self, level: Level) -> ExpectLog {
        self.expectation.borrow_mut().level = Some(level);
        self
    }

    /// How many records matched so far.
    pub fn matched(&self) -> usize {
        self.expectation.borrow().matched
    }

    /// Stops watching; fails if a required record never came.
    pub fn finish(mut self) -> Result<(), MissingLogError> {
        self.finished = true;
        self.close()
    }

    fn close(&mut self) -> Result<(), MissingLogError> {
        let _ = SCOPES.try_with(|scopes| {
            scopes
                .borrow_mut()
                .expectations
                .retain(|e| !Rc::ptr_eq(e, &self.expectation));
        });
        let expectation = self.expectation.borrow();
        if expectation.required && expectation.matched == 0 {
            return Err(MissingLogError {
                target: expectation.target.clone(),
                pattern: format!("{:?}", expectation.pattern),
                level: expectation.level,
                wrong_level: expectation.wrong_level.clone(),
            });
        }
        Ok(())
    }
}

impl Drop for ExpectLog {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        if let Err(missing) = self.close() {
            if !std::thread::panicking() {
                panic!("{missing}");
            }
        }
    }
}

impl fmt::Debug for ExpectLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expectation = self.expectation.borrow();
        f.debug_struct("ExpectLog")
            .field("target", &expectation.target)
            .field("pattern", &expectation.pattern)
            .field("level", &expectation.level)
            .field("required", &expectation.required)
            .field("matched", &expectation.matched)
            .finish()
    }
}

/// A required [`ExpectLog`] saw no matching record (Tornado's
/// `Exception("did not get expected log message")`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "did not get expected log message: target {target:?}, message {pattern}{}{}",
    match level { Some(level) => format!(", level {level}"), None => String::new() },
    if wrong_level.is_empty() { String::new() } else {
        format!("; at another level: {}", wrong_level.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
    }
)]
pub struct MissingLogError {
    /// The expected target.
    pub target: String,
    /// The expected message, described.
    pub pattern: String,
    /// The expected level, if one was given.
    pub level: Option<Level>,
    /// Records that matched but at another level.
    pub wrong_level: Vec<LogRecord>,
}

/// Records the log of the current thread while it lives, for a test to
/// assert on.
///
/// Records an [`ExpectLog`] consumes are not recorded. While a capture is
/// open, errors on `gust::application` are left to the test that captures
/// them: they are not background failures of [`gen_test`](crate::gen_test).
///
/// ```
/// use gust::concurrent::Future;
/// use gust::testing::LogCapture;
///
/// let logs = LogCapture::start();
/// drop(Future::<()>::failed(gust::Error::msg("lost")));
/// assert_eq!(logs.app_errors(), ["Future exception was never retrieved: lost"]);
/// ```
#[must_use = "a LogCapture records only while it lives: bind it to a variable"]
pub struct LogCapture {
    records: Rc<RefCell<Vec<LogRecord>>>,
}

impl LogCapture {
    /// Starts recording this thread's records.
    pub fn start() -> LogCapture {
        ensure_installed();
        let records = Rc::new(RefCell::new(Vec::new()));
        let _ = SCOPES.try_with(|scopes| scopes.borrow_mut().captures.push(records.clone()));
        LogCapture { records }
    }

    /// The records so far.
    pub fn records(&self) -> Vec<LogRecord> {
        self.records.borrow().clone()
    }

    /// Takes the records so far (the capture goes on, empty).
    pub fn take(&self) -> Vec<LogRecord> {
        std::mem::take(&mut *self.records.borrow_mut())
    }

    /// The messages logged at error level on `gust::application`
    /// (Tornado's `tornado.application` logger).
    pub fn app_errors(&self) -> Vec<String> {
        self.records
            .borrow()
            .iter()
            .filter(|r| r.level == Level::Error && r.target == APP_LOG)
            .map(|r| r.message.clone())
            .collect()
    }

    /// The messages of [`app_errors`](LogCapture::app_errors) that contain
    /// `needle`.
    pub fn app_errors_containing(&self, needle: &str) -> Vec<String> {
        self.app_errors()
            .into_iter()
            .filter(|m| m.contains(needle))
            .collect()
    }
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        let _ = SCOPES.try_with(|scopes| {
            scopes
                .borrow_mut()
                .captures
                .retain(|c| !Rc::ptr_eq(c, &self.records));
        });
    }
}

impl fmt::Debug for LogCapture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LogCapture({} records)", self.records.borrow().len())
    }
}

/// Collects the background failures of a running test: errors on
/// `gust::application` that no [`ExpectLog`] consumed.
pub(crate) struct FailureScope {
    failures: Rc<RefCell<Vec<LogRecord>>>,
}

impl FailureScope {
    pub(crate) fn open() -> FailureScope {
        ensure_installed();
        let failures = Rc::new(RefCell::new(Vec::new()));
        let _ = SCOPES.try_with(|scopes| scopes.borrow_mut().failures.push(failures.clone()));
        FailureScope { failures }
    }

    /// Closes the scope: the failures it collected.
    pub(crate) fn close(self) -> Vec<LogRecord> {
        std::mem::take(&mut *self.failures.borrow_mut())
    }
}

impl Drop for FailureScope {
    fn drop(&mut self) {
        let _ = SCOPES.try_with(|scopes| {
            scopes
                .borrow_mut()
                .failures
                .retain(|f| !Rc::ptr_eq(f, &self.failures));
        });
    }
}
