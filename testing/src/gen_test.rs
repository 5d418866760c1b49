//! [`gen_test`]: run a test body as a coroutine on a fresh loop (Tornado's
//! `@gen_test`).

use std::cell::RefCell;
use std::fmt;
use std::time::Duration;

use gust_engine::{Co, coroutine};
use gust_ioloop::{IOLoop, ManualClock};
use gust_yieldables::{Error, Future, IOLoopExt, IntoResult, TimeoutError, native};

use crate::inspect::describe_pending;
use crate::logs::{FailureScope, LogRecord};

/// The environment variable that sets the default timeout of a test, in
/// seconds (Tornado's `ASYNC_TEST_TIMEOUT`).
pub const TIMEOUT_ENV: &str = "GUST_TEST_TIMEOUT";

/// The default timeout of a test: [`TIMEOUT_ENV`] if it holds a number of
/// seconds, else 5 seconds (Tornado's `get_async_test_timeout`).
pub fn async_test_timeout() -> Duration {
    std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|value| value.trim().parse::<f64>().ok())
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .unwrap_or(Duration::from_secs(5))
}

/// Runs `body` as a coroutine on a fresh loop and returns its result;
/// panics, failing the test, if the body fails, times out, or anything
/// failed in the background (Tornado's `@gen_test`).
///
/// The loop runs on a [`ManualClock`] that jumps to the next timer
/// whenever the loop would wait, so sleeps take no real time and a stuck
/// test fails at once; [`GenTest::real_clock`] runs it on the real clock.
/// The timeout, on the loop's clock, is 5 seconds, or [`TIMEOUT_ENV`], or
/// [`GenTest::timeout`]. A timed-out test fails with a message naming
/// every coroutine and native task still waiting, and on what.
///
/// A *background failure* is an error on `gust::application` that
/// nobody expected: a coroutine started with `spawn_callback` that failed
/// or panicked, a loop callback or `PeriodicCallback` that failed or
/// panicked, a failed future nobody looked at, a native task's panic.
/// Each fails the test at its end, with its message (Tornado's
/// `AsyncTestCase` fails the test on an exception in a callback). Wrap
/// what is meant to fail in an [`ExpectLog`](crate::ExpectLog).
///
/// When the body is done, fixtures such as
/// [`HTTPTestServer`](crate::HTTPTestServer) are closed, then the loop:
/// coroutines still suspended unwind.
///
/// ```
/// use std::time::Duration;
/// use gust::gen_;
/// use gust::testing::gen_test;
///
/// // In a `#[test] fn`:
/// gen_test(|co| {
///     co.yield_(gen_::sleep(Duration::from_secs(3)))?; // takes no real time
///     Ok(())
/// });
/// ```
#[track_caller]
pub fn gen_test<T, F>(body: F) -> T
where
    T: 'static,
    F: FnOnce(&Co) -> Result<T, Error> + 'static,
{
    GenTest::new().run(body)
}

/// [`gen_test`] with a native body: an `async` block or an `async fn`'s
/// future (Tornado's `@gen_test` on an `async def`).
///
/// ```
/// use std::time::Duration;
/// use gust::gen_;
/// use gust::testing::gen_test_native;
///
/// let answer = gen_test_native(async {
///     gen_::sleep(Duration::from_secs(1)).await?;
///     Ok::<_, gust::Error>(42)
/// });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn gen_test_native<F>(body: F) -> <F::Output as IntoResult>::Ok
where
    F: std::future::Future + 'static,
    F::Output: IntoResult,
{
    GenTest::new().run_native(body)
}

/// [`gen_test`], returning the outcome instead of panicking: the body's
/// result or error, a [`TimeoutError`] naming what was still waiting, or
/// a [`BackgroundFailureError`].
///
/// ```
/// use gust::testing::try_gen_test;
///
/// let error = try_gen_test(|_co| -> Result<(), gust::Error> { Err(gust::Error::msg("no")) }).unwrap_err();
/// assert_eq!(error.to_string(), "no");
/// ```
pub fn try_gen_test<T, F>(body: F) -> Result<T, Error>
where
    T: 'static,
    F: FnOnce(&Co) -> Result<T, Error> + 'static,
{
    GenTest::new().try_run(body)
}

/// Options for [`gen_test`]: a timeout, and the clock.
///
/// ```
/// use std::time::Duration;
/// use gust::gen_;
/// use gust::testing::GenTest;
///
/// let waited = GenTest::new()
///     .timeout(Duration::from_secs(1))
///     .real_clock()
///     .run(|co| {
///         co.yield_(gen_::sleep(Duration::from_millis(5)))?; // really waits
///         Ok(5)
///     });
/// assert_eq!(waited, 5);
/// ```
#[derive(Debug, Clone, Default)]
pub struct GenTest {
    timeout: Option<Duration>,
    real_clock: bool,
}

impl GenTest {
    /// Default options: [`async_test_timeout`], the autojump clock.
    pub fn new() -> GenTest {
        GenTest::default()
    }

    /// Fails the test after `timeout` on the loop's clock (Tornado's
    /// `@gen_test(timeout=...)`; it wins over [`TIMEOUT_ENV`]).
    pub fn timeout(mut self, timeout: Duration) -> GenTest {
        self.timeout = Some(timeout);
        self
    }

    /// Runs on the real clock: sleeps really wait, and the timeout is in
    /// real time.
    pub fn real_clock(mut self) -> GenTest {
        self.real_clock = true;
        self
    }

    /// Runs a decorated body; see [`gen_test`].
    #[track_caller]
    pub fn run<T, F>(self, body: F) -> T
    where
        T: 'static,
        F: FnOnce(&Co) -> Result<T, Error> + 'static,
    {
        self.try_run(body).unwrap_or_else(|error| panic!("{error}"))
    }

    /// Runs a native body; see [`gen_test_native`].
    #[track_caller]
    pub fn run_native<F>(self, body: F) -> <F::Output as IntoResult>::Ok
    where
        F: std::future::Future + 'static,
        F::Output: IntoResult,
    {
        self.try_run_native(body)
            .unwrap_or_else(|error| panic!("{error}"))
    }

    /// Runs a decorated body; see [`try_gen_test`].
    pub fn try_run<T, F>(self, body: F) -> Result<T, Error>
    where
        T: 'static,
        F: FnOnce(&Co) -> Result<T, Error> + 'static,
    {
        self.drive(move || coroutine(body))
    }

    /// Runs a native body, returning the outcome (see [`try_gen_test`]).
    pub fn try_run_native<F>(self, body: F) -> Result<<F::Output as IntoResult>::Ok, Error>
    where
        F: std::future::Future + 'static,
        F::Output: IntoResult,
    {
        self.drive(move || native(body))
    }

    fn drive<Y: gust_yieldables::Yieldable + 'static>(
        self,
        start: impl FnOnce() -> Y + 'static,
    ) -> Result<Y::Output, Error> {
        let timeout = self.timeout.unwrap_or_else(async_test_timeout);
        let previous = IOLoop::current_opt();
        let io_loop = if self.real_clock {
            IOLoop::new()
        } else {
            IOLoop::with_clock(ManualClock::autojump())
        };
        io_loop.make_current();
        let scope = FailureScope::open();
        let cleanups = Cleanups::open();
        let outcome = io_loop.run_sync(start, Some(timeout));
        let outcome = match outcome {
            Err(error) if is_run_sync_timeout(&error) => Err(timed_out(&io_loop, timeout)),
            outcome => outcome,
        };
        let cleaned = cleanups.run(&io_loop, timeout);
        let _ = io_loop.close();
        match previous {
            Some(previous) => previous.make_current(),
            None => IOLoop::clear_current(),
        }
        let failures = scope.close();
        let outcome = outcome.and_then(|value| cleaned.map(|()| value));
        match outcome {
            Ok(_) if !failures.is_empty() => Err(Error::new(BackgroundFailureError { failures })),
            Err(error) if !failures.is_empty() => {
                // The body's error is the test's failure (its type intact);
                // the others are reported beside it.
                eprintln!("{}", BackgroundFailureError { failures });
                Err(error)
            }
            outcome => outcome,
        }
    }
}

/// `run_sync`'s own timeout, not a `TimeoutError` the body returned.
fn is_run_sync_timeout(error: &Error) -> bool {
    error
        .downcast_ref::<TimeoutError>()
        .is_some_and(|timeout| timeout.message.starts_with("Operation timed out after"))
}

/// The timeout of a test, naming everything still waiting.
fn timed_out(io_loop: &IOLoop, timeout: Duration) -> Error {
    let mut message = format!("Operation timed out after {} seconds", timeout.as_secs_f64());
    let waiting = describe_pending(io_loop);
    if waiting.is_empty() {
        message.push_str("; nothing was waiting");
    } else {
        message.push_str("; still waiting:");
        for line in waiting {
            message.push_str("\n  ");
            message.push_str(&line);
        }
    }
    let promised = io_loop.handle().pending_work();
    if promised > 0 {
        let jobs = if promised == 1 { "job" } else { "jobs" };
        message.push_str(&format!(
            "\n  {promised} {jobs} on other threads not delivered yet (executor jobs, remote setters, PendingWork)"
        ));
    }
    Error::new(TimeoutError::new(message))
}

/// Errors on `gust::application` that no [`ExpectLog`](crate::ExpectLog)
/// consumed, during a test that otherwise passed (Tornado's
/// `AsyncTestCase` fails a test on an exception in a callback).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct BackgroundFailureError {
    /// The records, in order.
    pub failures: Vec<LogRecord>,
}

impl fmt::Display for BackgroundFailureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.failures.len();
        write!(
            f,
            "{count} background failure{} in the test (wrap what is meant to fail in an ExpectLog):",
            if count == 1 { "" } else { "s" }
        )?;
        for record in &self.failures {
            write!(f, "\n  {}", record.message)?;
        }
        Ok(())
    }
}

type Cleanup = Box<dyn FnOnce() -> Future<()>>;

thread_local! {
    /// The cleanups of the running tests, innermost last.
    static CLEANUPS: RefCell<Vec<Vec<Cleanup>>> = const { RefCell::new(Vec::new()) };
}

/// Registers `cleanup` to run when the current [`gen_test`] body is done
/// (Tornado's `addCleanup`): a function giving a future the test waits
/// for before it closes its loop. Returns `false` (and drops `cleanup`)
/// outside a `gen_test`.
pub fn add_cleanup(cleanup: impl FnOnce() -> Future<()> + 'static) -> bool {
    CLEANUPS
        .try_with(|all| match all.borrow_mut().last_mut() {
            Some(current) => {
                current.push(Box::new(cleanup));
                true
            }
            None => false,
        })
        .unwrap_or(false)
}

/// The cleanups of one test.
struct Cleanups;

impl Cleanups {
    fn open() -> Cleanups {
        let _ = CLEANUPS.try_with(|all| all.borrow_mut().push(Vec::new()));
        Cleanups
    }

    /// Runs them, last registered first; the first failure.
    fn run(self, io_loop: &IOLoop, timeout: Duration) -> Result<(), Error> {
        let mut result = Ok(());
        loop {
            let next = CLEANUPS
                .try_with(|all| all.borrow_mut().last_mut().and_then(Vec::pop))
                .ok()
                .flatten();
            let Some(cleanup) = next else {
                break;
            };
            if let Err(error) = io_loop.run_sync(cleanup, Some(timeout)) {
                if result.is_ok() {
                    result = Err(error);
                }
            }
        }
        result
    }
}

impl Drop for Cleanups {
    fn drop(&mut self) {
        let _ = CLEANUPS.try_with(|all| all.borrow_mut().pop());
    }
}
