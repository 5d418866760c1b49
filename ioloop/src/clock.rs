//! The loop's source of time: the system's monotonic clock, or a manual
//! clock that tests move by hand.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Where an [`IOLoop`](crate::IOLoop) reads the time.
///
/// [`IOLoop::time`](crate::IOLoop::time), every timer and every
/// [`PeriodicCallback`](crate::PeriodicCallback) go through the loop's clock.
/// The default is the system's monotonic clock ([`Instant::now`]); a
/// [`ManualClock`] lets a test set the time itself, so timers fire
/// deterministically and nothing sleeps for real.
#[derive(Clone, Default)]
pub struct Clock {
    kind: ClockKind,
}

#[derive(Clone, Default)]
enum ClockKind {
    #[default]
    System,
    Manual(ManualClock),
}

impl Clock {
    /// The system's monotonic clock.
    pub fn system() -> Clock {
        Clock {
            kind: ClockKind::System,
        }
    }

    /// The current time on this clock.
    #[inline]
    pub fn now(&self) -> Instant {
        match &self.kind {
            ClockKind::System => Instant::now(),
            ClockKind::Manual(manual) => manual.now(),
        }
    }

    /// The manual clock behind this clock, if it is one.
    pub fn as_manual(&self) -> Option<&ManualClock> {
        match &self.kind {
            ClockKind::System => None,
            ClockKind::Manual(manual) => Some(manual),
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ClockKind::System => f.write_str("Clock::System"),
            ClockKind::Manual(m) => write!(f, "Clock::Manual({m:?})"),
        }
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Self {
        Clock {
            kind: ClockKind::Manual(manual),
        }
    }
}

impl From<&ManualClock> for Clock {
    fn from(manual: &ManualClock) -> Self {
        Clock::from(manual.clone())
    }
}

/// A clock that only moves when told to: for tests.
///
/// Clones share one time. Give it to a loop with
/// [`IOLoop::with_clock`](crate::IOLoop::with_clock), then move time with
/// [`advance`](ManualClock::advance) or [`set`](ManualClock::set) (which may
/// also move it backwards, as NTP can move a wall clock).
///
/// Time on a manual clock does not pass by itself, so a loop on one never
/// sleeps waiting for a timer: a timer fires once something moves the clock
/// past it. With [`autojump`](ManualClock::autojump) enabled, a loop that
/// has nothing to do but wait for a timer jumps the clock straight to that
/// timer's deadline, so `start()` and `run_sync` run a program full of
/// `sleep(60)` in no time, in the same order as real time would. It never
/// jumps further than the loop was allowed to wait: `run_once(Some(d))`
/// moves the clock at most `d`, and `run_once(Some(Duration::ZERO))` or
/// `run_until_idle()` not at all.
/// A loop with fd handlers registered first polls for I/O, waiting up to a
/// millisecond of real time, and jumps only when that poll found nothing:
/// data already sent by a peer (a socket on loopback, a pipe) is handled
/// before a timeout that would otherwise fire first.
///
/// Nor does it jump while work is promised to the loop from other threads
/// ([`LoopHandle::expect_work`](crate::LoopHandle::expect_work): an
/// executor's job, a remote future's setter, the default resolver's lookup
/// hold such a promise until their result is delivered). Then the loop
/// waits in real time and the clock follows real time, as on the system
/// clock: a timer due before the work is done fires after that much real
/// time. Once nothing is promised, the clock jumps again. What the loop
/// cannot know about is a foreign Rust future (awaited by a native task)
/// that another thread wakes: a `std::future::Future` cannot say it is
/// pending elsewhere. Hold a [`PendingWork`](crate::PendingWork) for it,
/// or use the system clock.
///
/// Without autojump, a loop with nothing to run waits only for what could
/// still wake it: I/O on a registered handler, or work from another thread
/// (through a [`LoopHandle`](crate::LoopHandle); work promised with
/// `expect_work` is waited for however long it takes). If there is no such thing
/// either, waiting would last forever: [`IOLoop::start`](crate::IOLoop::start)
/// and `run_once(None)` return [`IOLoopError::Stalled`](crate::IOLoopError::Stalled)
/// instead, and `run_sync`'s timeout fires at once. Step such a loop with
/// `run_once(Some(Duration::ZERO))`, moving the clock between steps.
///
/// ```
/// use std::time::Duration;
/// use std::rc::Rc;
/// use std::cell::Cell;
/// use gust::ioloop::{IOLoop, ManualClock};
///
/// let clock = ManualClock::new();
/// let io_loop = IOLoop::with_clock(&clock);
/// let fired = Rc::new(Cell::new(false));
/// let f = fired.clone();
/// io_loop.call_later(Duration::from_secs(60), move || f.set(true));
///
/// io_loop.run_once(Some(Duration::ZERO)).unwrap();
/// assert!(!fired.get());
/// clock.advance(Duration::from_secs(60));
/// io_loop.run_once(Some(Duration::ZERO)).unwrap();
/// assert!(fired.get());
/// ```
#[derive(Clone)]
pub struct ManualClock {
    inner: Rc<ManualInner>,
}

struct ManualInner {
    now: Cell<Instant>,
    autojump: Cell<bool>,
}

impl ManualClock {
    /// A manual clock starting at the current system time, without autojump.
    pub fn new() -> ManualClock {
        ManualClock {
            inner: Rc::new(ManualInner {
                now: Cell::new(Instant::now()),
                autojump: Cell::new(false),
            }),
        }
    }

    /// A manual clock that jumps to the next timer's deadline whenever the
    /// loop would otherwise wait for it. See the type's documentation.
    pub fn autojump() -> ManualClock {
        let clock = ManualClock::new();
        clock.set_autojump(true);
        clock
    }

    /// The clock's current time.
    #[inline]
    pub fn now(&self) -> Instant {
        self.inner.now.get()
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.inner
            .now
            .set(crate::deadline::add_saturating(self.now(), by));
    }

    /// Moves the clock backward by `by` (as a wall clock adjusted by NTP
    /// might). Saturates at the earliest representable instant.
    pub fn rewind(&self, by: Duration) {
        let now = self.now();
        self.inner
            .now
            .set(now.checked_sub(by).unwrap_or_else(|| earliest(now, by)));
    }

    /// Sets the clock to `when`, forwards or backwards.
    pub fn set(&self, when: Instant) {
        self.inner.now.set(when);
    }

    /// Turns autojump on or off. See the type's documentation.
    pub fn set_autojump(&self, on: bool) {
        self.inner.autojump.set(on);
    }

    /// Whether autojump is on.
    pub fn is_autojump(&self) -> bool {
        self.inner.autojump.get()
    }
}

/// The earliest instant `now` can be moved back to, knowing that moving it
/// back by `too_far` underflows: a binary search on the distance (an
/// `Instant` has no public minimum).
fn earliest(now: Instant, too_far: Duration) -> Instant {
    // `now - ok` is representable, `now - bad` is not.
    let (mut ok, mut bad) = (0u128, too_far.as_nanos());
    let back = |nanos: u128| {
        let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
        // The remainder is below 10^9: it fits.
        let sub = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
        now.checked_sub(Duration::new(secs, sub))
    };
    while bad - ok > 1 {
        let mid = ok + (bad - ok) / 2;
        if back(mid).is_some() {
            ok = mid;
        } else {
            bad = mid;
        }
    }
    back(ok).unwrap_or(now)
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("now", &self.now())
            .field("autojump", &self.is_autojump())
            .finish()
    }
}
