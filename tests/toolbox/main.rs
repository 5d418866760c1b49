//! Ports of Tornado's tests for the gen "toolbox": `sleep`, `moment`,
//! `with_timeout` (WithTimeoutTest), `WaitIterator` (WaitIteratorTest),
//! executors (concurrent_test.py's RunOnExecutorTest, ioloop_test.py's
//! TestIOLoopFutures) and the legacy interface of Tornado 4.5
//! (GenEngineTest / GenCoroutineTest: `engine`, `Task`, `Callback`, `Wait`,
//! `WaitAll`, `MultiYieldPoint`, `Arguments`).
//!
//! Conventions, as in `tests/gen/`: a Tornado `@gen_test` body becomes
//! [`try_gen_test`] (a coroutine driven by `run_sync` on a loop whose clock jumps to
//! the next timer, so nothing really sleeps); GenEngineTest's
//! `run_gen(f)` + `self.stop()` becomes [`run_gen`] + [`Stop`]. Tests that
//! need real threads (executors) use the system clock, short waits with a
//! timeout, and a `run_sync` timeout as a guard; they never sleep a fixed
//! time to wait for a result.

use gust::testing::{LogCapture, step, try_gen_test};
use gust_dev_support::python::{KeyError, RuntimeError, ZeroDivisionError};

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use gust::ErrorKind;
use gust::concurrent::{
    CancelledError, DummyExecutor, Executor, ExecutorShutdownError, Future, InvalidStateError, Job,
    ThreadPoolExecutor,
};
use gust::error::PanicError;
#[cfg(feature = "legacy")]
use gust::gen_::legacy::{
    Arguments, Callback, KeyReuseError, LeakedCallbackError, MultiYieldPoint, ResultCallback,
    ResultTypeError, ReturnValueIgnoredError, TaskCallback, UnknownKeyError, Wait, WaitAll,
};
use gust::gen_::{self, BadYieldError, QuietExceptions, TimeoutError, TimeoutOptions, WaitIterator};
use gust::ioloop::ManualClock;
use gust::prelude::*;
use gust::runner::{RunnerState, WaitingOn};

// ====================================================================
// Helpers
// ====================================================================

/// [`try_gen_test`] on the system clock, for tests with real threads: the
/// `run_sync` timeout (10 s) is only a guard against a hang.
fn run_real<T, F>(body: F) -> Result<T, Error>
where
    T: 'static,
    F: FnOnce(&Co) -> Result<T, Error> + 'static,
{
    gust::testing::GenTest::new()
        .real_clock()
        .timeout(Duration::from_secs(10))
        .try_run(body)
}

/// The loop's time elapsed since `start`.
fn elapsed_since(start: Instant) -> Duration {
    IOLoop::current().time() - start
}

/// Returns `value` after sleeping `delay` on the loop's clock.
fn delayed<T: 'static>(delay: Duration, value: T) -> Future<T> {
    gen_::coroutine(move |co| {
        co.yield_(gen_::sleep(delay))?;
        Ok(value)
    })
}

/// Fails with `error` after one loop iteration.
fn async_exception<T: 'static>(error: impl Into<Error> + 'static) -> Future<T> {
    gen_::coroutine(move |co| {
        co.yield_(gen_::moment)?;
        Err(error.into())
    })
}

/// Python's `threading.Event`, for the executor tests.
#[derive(Clone, Default)]
struct Event(Arc<(Mutex<bool>, Condvar)>);

impl Event {
    fn set(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }

    fn is_set(&self) -> bool {
        *self.0.0.lock().unwrap()
    }

    /// Waits until set, at most `timeout`; returns whether it was set.
    fn wait(&self, timeout: Duration) -> bool {
        let guard = self.0.0.lock().unwrap();
        let (guard, _) = self.0.1.wait_timeout_while(guard, timeout, |set| !*set).unwrap();
        *guard
    }
}

mod executors;
#[cfg(feature = "legacy")]
mod legacy_coroutine;
#[cfg(feature = "legacy")]
mod legacy_engine;
mod sleep;
mod wait_iterator;
mod with_timeout;
