//! [`IntoTimeout`]: what a `timeout` argument accepts.

use std::time::{Duration, Instant};

use gust_ioloop::Deadline;

/// What the `timeout` argument of a wait accepts (Tornado's
/// `timeout=None`, a number, or a `timedelta`): `None` waits for ever, a
/// [`Duration`] is measured from now, an [`Instant`] is a time on the
/// loop's clock, and a [`Deadline`] is either.
///
/// ```
/// use std::time::Duration;
/// use gust::locks::Condition;
/// use gust::prelude::*;
///
/// let io_loop = IOLoop::new();
/// let condition = Condition::new();
/// let forever = condition.wait(None);
/// let relative = condition.wait(Duration::from_secs(1));
/// let absolute = condition.wait(io_loop.time() + Duration::from_secs(1));
/// # drop((forever, relative, absolute));
/// ```
///
/// A zero `Duration` (or an `Instant` already past) times out at the loop's
/// next look at its timers. (In Tornado, `timeout=0` and `timedelta(0)` are
/// false and mean no timeout at all.)
pub trait IntoTimeout {
    /// The deadline, or `None` for no timeout.
    fn into_timeout(self) -> Option<Deadline>;
}

impl IntoTimeout for Option<Deadline> {
    #[inline]
    fn into_timeout(self) -> Option<Deadline> {
        self
    }
}

impl IntoTimeout for Deadline {
    #[inline]
    fn into_timeout(self) -> Option<Deadline> {
        Some(self)
    }
}

impl IntoTimeout for Duration {
    #[inline]
    fn into_timeout(self) -> Option<Deadline> {
        Some(Deadline::After(self))
    }
}

impl IntoTimeout for Instant {
    #[inline]
    fn into_timeout(self) -> Option<Deadline> {
        Some(Deadline::At(self))
    }
}
