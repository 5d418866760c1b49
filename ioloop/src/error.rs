//! Errors the event loop itself reports.

use thiserror::Error;

/// Misuse of an [`IOLoop`](crate::IOLoop): the loop is in the wrong state for
/// what was asked of it.
///
/// Tornado raises `RuntimeError` in the same situations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum IOLoopError {
    /// `start`, `run_once` or `run_sync` was called while the loop is already
    /// running (for example from inside one of its own callbacks).
    #[error("IOLoop is already running")]
    AlreadyRunning,
    /// The loop has been closed; it cannot run again.
    #[error("IOLoop is closed")]
    Closed,
    /// `close` was called while the loop is running; stop it first.
    #[error("cannot close a running IOLoop; stop it first")]
    CloseWhileRunning,
    /// The loop would wait forever: it has nothing to run, its timers wait
    /// for a [`ManualClock`](crate::ManualClock) that moves only when told
    /// to, and nothing else (an fd handler, a [`LoopHandle`](crate::LoopHandle)
    /// held elsewhere) could wake it. Advance the clock from a callback, or
    /// use [`ManualClock::autojump`](crate::ManualClock::autojump).
    #[error(
        "the IOLoop would wait forever: its ManualClock moves only when told to and nothing else can wake it; \
         advance the clock from a callback, or use ManualClock::autojump()"
    )]
    Stalled,
}

/// The loop that should receive a callback has been closed (or dropped), so
/// the callback was dropped without running.
///
/// Returned by [`LoopHandle::add_callback`](crate::LoopHandle::add_callback),
/// where silently losing work from another thread would hide bugs. (Tornado
/// drops such callbacks silently.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the IOLoop is closed; the callback was dropped")]
pub struct LoopClosedError;
