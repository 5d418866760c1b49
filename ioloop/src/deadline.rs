//! When a timer fires: an absolute instant or a delay from now.

use std::time::{Duration, Instant};

/// When a timeout should fire, as accepted by
/// [`IOLoop::add_timeout`](crate::IOLoop::add_timeout).
///
/// Tornado accepts either a number (an absolute time on the `IOLoop.time()`
/// scale) or a `datetime.timedelta` (relative to now). In Rust these are an
/// [`Instant`] on the loop's clock and a [`Duration`]; both convert into a
/// `Deadline`, so `add_timeout` takes either directly.
///
/// ```
/// use std::time::Duration;
/// use gust::ioloop::{Deadline, IOLoop};
///
/// let io_loop = IOLoop::new();
/// let absolute: Deadline = (io_loop.time() + Duration::from_secs(1)).into();
/// let relative: Deadline = Duration::from_secs(1).into();
/// assert!(matches!(absolute, Deadline::At(_)));
/// assert!(matches!(relative, Deadline::After(_)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Deadline {
    /// An absolute time on the loop's clock (Tornado: a number).
    At(Instant),
    /// A delay measured from the moment the timeout is added (Tornado: a
    /// `timedelta`).
    After(Duration),
}

impl Deadline {
    /// The absolute instant this deadline stands for, taking relative delays
    /// from `now`. A delay too large to represent saturates to a time about a
    /// century away instead of overflowing. (A loop given the `Deadline`
    /// itself does better: a delay past its horizon is never due; see
    /// [`IOLoop::add_timeout`](crate::IOLoop::add_timeout), "The horizon".)
    pub fn resolve(self, now: Instant) -> Instant {
        match self {
            Deadline::At(when) => when,
            Deadline::After(delay) => add_saturating(now, delay),
        }
    }
}

/// `now + delay`, saturating at roughly a hundred years from `now`.
pub(crate) fn add_saturating(now: Instant, delay: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(delay.min(FAR)).unwrap_or(now)
}

impl From<Instant> for Deadline {
    fn from(when: Instant) -> Self {
        Deadline::At(when)
    }
}

impl From<Duration> for Deadline {
    fn from(delay: Duration) -> Self {
        Deadline::After(delay)
    }
}
