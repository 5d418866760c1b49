//! Native coroutines (Rust `async`) mixed with decorated ones
//! (`gen_::coroutine`): ports of the mixed cases of Tornado's
//! `tornado/test/gen_test.py` (`GenCoroutineTest`, 6.x, plus
//! `test_async_await_mixed_multi_native_yieldpoint` from 4.5),
//! `tornado/test/ioloop_test.py` (`test_native_coroutine`,
//! `test_exception_logging_native_coro`, `test_spawn_callback`) and
//! `tornado/test/testing_test.py` (`test_native_coroutine`,
//! `test_native_coroutine_timeout`); then what gust adds: start semantics and
//! hop counts, tasks (`IOLoopExt::spawn`, `gen_::native`, `gust::runner::task_count`),
//! `Co::await_`, the task waker, and interop with tokio.
//!
//! Conventions as in `tests/gen/`: [`try_gen_test`] is Tornado's `@gen_test` (a
//! decorated body on a loop whose clock jumps to the next timer), and
//! [`run_native`] is `@gen_test` around an `async def` body. `async def f()`
//! becomes `async fn f() -> Result<T, Error>`; `await x` becomes
//! `x.await?`; Tornado's `asyncio.sleep(0)` becomes [`yield_now`].

use gust::testing::{LogCapture, step, try_gen_test};
use gust_dev_support::python::ZeroDivisionError;
use gust_dev_support::{Guard, new_log};

use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use gust::concurrent::{Future, RemoteSetter, SendFuture, remote_future};
use gust::error::PanicError;
use gust::gen_::{self, BadYieldError, IntoResult, TimeoutError};
use gust::ioloop::{LoopClosedError, ManualClock};
use gust::prelude::*;

// --------------------------------------------------------------------
// Helpers
// --------------------------------------------------------------------

/// Tornado's `@gen_test` around an `async def` body: the future is spawned
/// as a task on a fresh loop (autojump clock) and run to completion.
fn run_native<F>(future: F) -> Result<<F::Output as IntoResult>::Ok, Error>
where
    F: std::future::Future + 'static,
    F::Output: IntoResult,
{
    let io_loop = IOLoop::with_clock(ManualClock::autojump());
    io_loop.run_sync(move || gen_::native(future), Some(Duration::from_secs(5)))
}

/// Python's `await asyncio.sleep(0)`: pending once (waking itself), so the
/// task gives the loop exactly one iteration.
struct YieldNow(bool);

impl std::future::Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn yield_now() -> YieldNow {
    YieldNow(false)
}

/// Panics with `message` (a function returning `()`, so an `async` block
/// calling it still has a type).
fn explode(message: &str) {
    panic!("{message}")
}

/// A decorated coroutine: one `moment`, then `value`.
fn after_moment<T: 'static>(value: T) -> Future<T> {
    gen_::coroutine(move |co| {
        co.yield_(gen_::moment)?;
        Ok(value)
    })
}

/// Tornado's `async def divide(x, y): return x / y`.
async fn divide(x: i32, y: i32) -> Result<i32, Error> {
    x.checked_div(y).ok_or_else(|| ZeroDivisionError.into())
}

fn panic_message(error: &Error) -> String {
    error
        .downcast_ref::<PanicError>()
        .map(|p| p.message.clone())
        .unwrap_or_else(|| panic!("not a PanicError: {error}"))
}

/// Records its polls and stashes the last waker; ready once `done` is set.
struct Recorder {
    polls: Rc<Cell<u32>>,
    waker: Rc<RefCell<Option<Waker>>>,
    done: Rc<Cell<bool>>,
}

impl std::future::Future for Recorder {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.set(self.polls.get() + 1);
        *self.waker.borrow_mut() = Some(cx.waker().clone());
        if self.done.get() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

mod co_await;
mod mixed;
mod run_sync;
mod start;
mod tasks;
mod tokio_interop;
mod waker;
