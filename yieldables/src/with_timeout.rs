//! [`with_timeout`]: give up waiting after a deadline.

use std::borrow::Cow;

use gust_ioloop::{APP_LOG, Deadline, IOLoop};

use crate::driven::outside_coroutine;
use crate::error::TimeoutError;
use crate::future::{Future, Label};
use crate::quiet::QuietExceptions;
use crate::yieldable::{Resolution, Yieldable};

/// Options for [`with_timeout_with`]: quiet exception types and the
/// timeout's message (Tornado 6.6's `message=`).
#[derive(Debug, Clone, Default)]
pub struct TimeoutOptions {
    /// Failures of the wrapped work after the timeout with these types are
    /// not logged.
    pub quiet: QuietExceptions,
    /// The [`TimeoutError`]'s message (default `Timeout`).
    pub message: Option<Cow<'static, str>>,
}

/// Wraps a yieldable in a timeout (Tornado's `gen.with_timeout`).
///
/// The returned future has the input's result if the input finishes before
/// `deadline`, and fails with [`TimeoutError`] (`Timeout`) otherwise.
/// `deadline` is an [`Instant`](std::time::Instant) on the loop's clock
/// (Tornado: a number) or a [`Duration`](std::time::Duration) from now
/// (Tornado: a `timedelta`).
///
/// The input is never cancelled: it keeps running, and can be waited for
/// again (borrow it, `with_timeout(d, &fut)`, to keep its result for later).
/// If it fails after the timeout, its error is logged as
/// `Exception in Future ... after timeout` unless the error is a
/// cancellation or of a type in `quiet` (see [`with_timeout_with`]); a late
/// success is silent. An input that is already done gives a done result at
/// once, and no timer stays behind.
///
/// ```
/// use std::time::Duration;
/// use gust::ioloop::{IOLoop, ManualClock};
/// use gust::concurrent::Future;
/// use gust::gen_::{TimeoutError, with_timeout};
///
/// let clock = ManualClock::new();
/// let io_loop = IOLoop::with_clock(&clock);
/// let slow: Future<i32> = Future::new();
/// let limited = with_timeout(Duration::from_secs(1), &slow);
/// clock.advance(Duration::from_secs(1));
/// io_loop.run_once(Some(Duration::ZERO)).unwrap();
/// assert!(limited.take_result().unwrap_err().is::<TimeoutError>());
/// slow.set_result(5).unwrap(); // still usable
/// assert_eq!(slow.result().unwrap(), 5);
/// ```
#[must_use = "the timeout applies only to whoever waits for the returned future"]
pub fn with_timeout<Y: Yieldable>(deadline: impl Into<Deadline>, yielded: Y) -> Future<Y::Output> {
    with_timeout_with(deadline, yielded, TimeoutOptions::default())
}

/// [`with_timeout`] with quiet exception types (Tornado's
/// `quiet_exceptions`).
#[must_use = "the timeout applies only to whoever waits for the returned future"]
pub fn with_timeout_quiet<Y: Yieldable>(
    deadline: impl Into<Deadline>,
    yielded: Y,
    quiet: QuietExceptions,
) -> Future<Y::Output> {
    with_timeout_with(deadline, yielded, TimeoutOptions { quiet, message: None })
}

/// [`with_timeout`] with [`TimeoutOptions`].
#[must_use = "the timeout applies only to whoever waits for the returned future"]
pub fn with_timeout_with<Y: Yieldable>(
    deadline: impl Into<Deadline>,
    yielded: Y,
    options: TimeoutOptions,
) -> Future<Y::Output> {
    let (input, extract) = match yielded.into_yielded().resolve() {
        Resolution::Known(result) => return Future::from_result(result),
        Resolution::Driven(wait) => return outside_coroutine(&*wait),
        Resolution::Pending(future, extract) => (future, extract),
    };
    let io_loop = match IOLoop::try_current() {
        Ok(io_loop) => io_loop,
        // No loop for the timer (out of file descriptors): the I/O error.
        Err(error) => return Future::failed(error),
    };
    let result = Future::new();
    let deadline = deadline.into();
    result.set_label(Label::Timeout(deadline.resolve(io_loop.time())));

    let on_timeout = {
        let result = result.clone();
        let input = input.downgrade();
        let TimeoutOptions { quiet, message } = options;
        move || {
            if !result.done() {
                let message = message.unwrap_or(Cow::Borrowed("Timeout"));
                let _ = result.set_exception(TimeoutError::new(message));
            }
            // The input keeps running; report it if it fails later.
            if let Some(input) = input.upgrade() {
                input.add_done_callback(move |late| {
                    if let Some(error) = late.exception() {
                        if !error.is_cancellation() && !quiet.contains(&error) {
                            gust_ioloop::gust_log!(target: APP_LOG, log::Level::Error, "Exception in Future {late:?} after timeout: {error}");
                        }
                    }
                });
            }
        }
    };
    let timer = io_loop.add_timeout(deadline, on_timeout);

    let chained = result.clone();
    let timer_loop = io_loop.downgrade();
    input.add_done_callback(move |done| {
        if done.cancelled() {
            // Tornado 6.6's chain_future: a cancelled input cancels the result.
            chained.cancel();
        } else if !chained.done() {
            let _ = chained.set(extract.read(done));
        }
        if let Some(io_loop) = timer_loop.upgrade() {
            io_loop.remove_timeout(timer);
        }
    });
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use gust_ioloop::ManualClock;
    use std::time::Duration;

    #[test]
    fn done_input_resolves_at_once_without_timer() {
        let io_loop = IOLoop::with_clock(ManualClock::new());
        let f = with_timeout(Duration::from_secs(1), Future::ready(3));
        assert_eq!(f.take_result().unwrap(), 3);
        assert_eq!(io_loop.timer_count(), 0);
    }

    #[test]
    fn input_finishing_first_removes_the_timer() {
        let io_loop = IOLoop::with_clock(ManualClock::new());
        let input = Future::new();
        let f = with_timeout(Duration::from_secs(1), input.clone());
        assert_eq!(io_loop.timer_count(), 1);
        input.set_result("x").unwrap();
        assert_eq!(f.take_result().unwrap(), "x");
        assert_eq!(io_loop.timer_count(), 0);
    }
}
