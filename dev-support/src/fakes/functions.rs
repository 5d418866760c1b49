//! The documents' callback-style and blocking functions.

use std::sync::Mutex;
use std::thread::ThreadId;
use std::time::Duration;

use gust::ioloop::IOLoop;

/// How long [`some_function`] takes before calling back.
pub const CALLBACK_DELAY: Duration = Duration::from_secs(1);

/// The docs' `some_function(other_args, callback=callback)`: a
/// callback-style API that calls `callback(other_args * 2)` from the loop,
/// [`CALLBACK_DELAY`] later.
pub fn some_function(other_args: i32, callback: impl FnOnce(i32) + 'static) {
    IOLoop::current().call_later(CALLBACK_DELAY, move || callback(other_args * 2));
}

static BLOCKING_THREADS: Mutex<Vec<ThreadId>> = Mutex::new(Vec::new());

/// The docs' `blocking_func(args)`: blocks its thread for 20 ms of real
/// time, then returns `args * 2`. Records the thread it ran on (see
/// [`blocking_func_threads`]).
pub fn blocking_func(args: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(20));
    if let Ok(mut threads) = BLOCKING_THREADS.lock() {
        threads.push(std::thread::current().id());
    }
    args * 2
}

/// The threads [`blocking_func`] has run on, in this process.
pub fn blocking_func_threads() -> Vec<ThreadId> {
    BLOCKING_THREADS.lock().map(|t| t.clone()).unwrap_or_default()
}
