//! [`QuietExceptions`]: error types not worth logging when they are not
//! the result.

use gust_ioloop::APP_LOG;

use crate::error::Error;

/// Error types that [`multi`](crate::multi) and
/// [`with_timeout`](crate::with_timeout) should not log (Tornado's
/// `quiet_exceptions`).
///
/// ```
/// use gust::Error;
/// use gust::gen_::{QuietExceptions, TimeoutError};
/// let quiet = QuietExceptions::of::<TimeoutError>().and::<std::io::Error>();
/// assert!(quiet.contains(&Error::new(TimeoutError::default())));
/// assert!(!quiet.contains(&Error::msg("other")));
/// ```
#[derive(Clone, Default)]
pub struct QuietExceptions {
    checks: Vec<fn(&Error) -> bool>,
}

impl QuietExceptions {
    /// No quiet types: every extra error is logged.
    pub fn none() -> QuietExceptions {
        QuietExceptions::default()
    }

    /// Errors of type `E` are quiet.
    pub fn of<E: std::error::Error + 'static>() -> QuietExceptions {
        QuietExceptions::none().and::<E>()
    }

    /// Errors of type `E` are quiet too.
    #[must_use]
    pub fn and<E: std::error::Error + 'static>(mut self) -> QuietExceptions {
        self.checks.push(|error| error.is::<E>());
        self
    }

    /// Whether `error` is of a quiet type.
    pub fn contains(&self, error: &Error) -> bool {
        self.checks.iter().any(|check| check(error))
    }

    /// Logs `error` at error level with `message`, unless it is quiet or a
    /// cancellation.
    pub(crate) fn log(&self, message: &str, error: &Error) {
        if !error.is_cancellation() && !self.contains(error) {
            gust_ioloop::gust_log!(target: APP_LOG, log::Level::Error, "{message}: {error}");
        }
    }

    /// `multi`'s error rule, one error at a time: the first is kept in
    /// `first`, every later one is logged as `Multiple exceptions in yield
    /// list` (unless quiet).
    #[inline]
    pub(crate) fn keep_first(&self, first: &mut Option<Error>, error: Error) {
        if first.is_none() {
            *first = Some(error);
        } else {
            self.log("Multiple exceptions in yield list", &error);
        }
    }
}

impl std::fmt::Debug for QuietExceptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "QuietExceptions({} types)", self.checks.len())
    }
}
