//! What gust's sibling crates (`gust-yieldables`, `gust-engine`, and the
//! crates built on them) need from the loop and most programs do not.
//!
//! The `gust` facade does not re-export this module. Besides these items,
//! three methods are meant for the same users and hidden from the docs:
//! `IOLoop::add_callback_raw`, `IOLoop::call_at_raw` and
//! `LoopHandle::add_callback_raw`, which schedule a [`RawCallback`]
//! without allocating (the coroutine runner resumes coroutines with them,
//! and wakers reach their loop from other threads with the last one).
//!
//! Every warning and error gust logs goes through [`emit`] (the
//! `gust_log!` macro), which offers it to this thread's [`Tap`] first: how
//! `gust::testing` sees gust's reports whatever logger is installed.

pub use crate::callback::{RawCallback, panic_message};
pub use crate::sync::{lock, spin_until, wait};
pub use crate::tap::{Tap, emit, forwarding, has_tap, set_tap};
pub use crate::thread_mark::{ThreadMark, on_thread};
pub use crate::token::{SlotOverflowError, SlotToken};

use std::time::Duration;

use crate::error::IOLoopError;
use crate::io_loop::IOLoop;

/// [`IOLoop::start`], bounded in real time while the loop waits on a
/// [`ManualClock`](crate::ManualClock): once `limit` of real time has
/// passed since the call, a loop that has nothing to run and waits for its
/// manual clock (which does not move by itself) returns
/// [`IOLoopError::Stalled`] instead of waiting on. Work from other threads
/// or I/O that arrives sooner runs as usual; while work is promised to the
/// loop ([`LoopHandle::expect_work`](crate::LoopHandle::expect_work)) it
/// is waited for, past the limit.
///
/// This is how `run_sync`'s timeout fires on a manual clock without
/// autojump, where its timer can only fire if something moves the clock.
pub fn start_with_idle_limit(io_loop: &IOLoop, limit: Duration) -> Result<(), IOLoopError> {
    io_loop.start_with_idle_limit(limit)
}
