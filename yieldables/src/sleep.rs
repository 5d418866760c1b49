//! [`sleep`]: a future resolved by a loop timer.

use std::time::Duration;

use gust_ioloop::IOLoop;

use crate::future::{Future, Label};

/// A future that resolves after `duration` (Tornado's `gen.sleep`): the
/// non-blocking analogue of `std::thread::sleep`, which must not be used in
/// coroutines because it blocks the loop.
///
/// The timer is started on the current loop when `sleep` is called (so
/// `let next = sleep(60s); work(); co.yield_(next)` runs every 60 seconds
/// regardless of how long the work took); calling it without yielding the
/// future does nothing useful.
///
/// If there is no current loop and none can be made (out of file
/// descriptors), the future fails with that I/O error.
///
/// `sleep(Duration::ZERO)` costs two loop iterations (the timer fires in the
/// next one, and the waiting coroutine resumes in the one after), as in
/// Tornado; `moment` costs one.
#[must_use = "sleep does not block: yield or await the future it returns"]
pub fn sleep(duration: Duration) -> Future<()> {
    let io_loop = match IOLoop::try_current() {
        Ok(io_loop) => io_loop,
        Err(error) => return Future::failed(error),
    };
    let future = Future::new();
    let setter = future.clone();
    let until = io_loop.time().checked_add(duration);
    if let Some(until) = until {
        future.set_label(Label::Sleep(until));
    }
    io_loop.call_later(duration, move || {
        let _ = setter.set_result_unless_cancelled(());
    });
    future
}
