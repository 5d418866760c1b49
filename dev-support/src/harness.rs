//! Running and stepping a loop in a test.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use gust::gen_;
use gust::ioloop::ManualClock;
use gust::prelude::*;

/// Tornado's `@gen_test`: runs `body` as a coroutine on a fresh loop until
/// it finishes, with a 5 second timeout (on the loop's clock). The loop's clock jumps to the next
/// timer whenever the loop would wait, so sleeping takes no real time and a
/// hung test fails with a `TimeoutError` instead of hanging.
///
/// ```
/// use std::time::Duration;
/// use gust::gen_;
///
/// let slept = gust_dev_support::run(|co| {
///     co.yield_(gen_::sleep(Duration::from_secs(3)))?; // takes no real time
///     Ok("done")
/// });
/// assert_eq!(slept.unwrap(), "done");
/// ```
pub fn run<T, F>(body: F) -> Result<T, Error>
where
    T: 'static,
    F: FnOnce(&Co) -> Result<T, Error> + 'static,
{
    let io_loop = IOLoop::with_clock(ManualClock::autojump());
    io_loop.run_sync(move || gen_::coroutine(body), Some(Duration::from_secs(5)))
}

/// Runs one iteration of `io_loop` without waiting for I/O or timers.
///
/// # Panics
///
/// If the iteration fails (the loop is closed or already running).
pub fn step(io_loop: &IOLoop) {
    io_loop.run_once(Some(Duration::ZERO)).unwrap();
}

/// Records its name in a shared list when dropped: a destructor on a
/// coroutine's stack (Python's `finally`).
pub struct Guard {
    log: Rc<RefCell<Vec<&'static str>>>,
    name: &'static str,
}

impl Guard {
    /// A guard that appends `name` to `log` when dropped.
    pub fn new(log: &Rc<RefCell<Vec<&'static str>>>, name: &'static str) -> Guard {
        Guard {
            log: log.clone(),
            name,
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.log.borrow_mut().push(self.name);
    }
}

/// A list for [`Guard`]s to record into.
pub fn new_log() -> Rc<RefCell<Vec<&'static str>>> {
    Rc::new(RefCell::new(Vec::new()))
}
