//! The IOLoop methods that need futures: [`IOLoopExt`].

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::time::Duration;

use gust_ioloop::protocol::start_with_idle_limit;
use gust_ioloop::{APP_LOG, CallbackResult, IOLoop, IOLoopError};

use std::sync::Arc;

use crate::error::{Error, PanicError, StoppedBeforeCompletionError, TimeoutError};
use crate::executor::{DefaultExecutor, Executor, ThreadPoolExecutor, submit_on};
use crate::future::Future;
use crate::native::{IntoResult, spawn_on};
use crate::yieldable::Yieldable;

/// IOLoop methods that involve futures (Tornado's `IOLoop.add_future` and
/// `IOLoop.run_sync`). The loop crate knows nothing of futures; this trait
/// adds them to [`IOLoop`]. It is in `gust::prelude`.
pub trait IOLoopExt {
    /// Calls `callback(&future)` on a later loop iteration once `future` is
    /// done; always later, even if it is done already (Tornado's
    /// `add_future`). A panic in the callback is logged.
    fn add_future<T, F>(&self, future: &Future<T>, callback: F)
    where
        T: 'static,
        F: FnOnce(&Future<T>) + 'static;

    /// Starts the loop, runs `func`, and stops the loop when the yieldable
    /// it returns is done; returns its result (Tornado's `run_sync`).
    ///
    /// `func` typically starts a coroutine: `io_loop.run_sync(|| main(),
    /// None)`. It runs inside the loop, in its first iteration.
    ///
    /// With a `timeout`, a [`TimeoutError`] (`Operation timed out after N
    /// seconds`) is returned if the work is not done in time; its future is
    /// cancelled (a coroutine behind it keeps its stack until the loop is
    /// closed, as in Tornado). If the loop is stopped by someone else first,
    /// the error is [`StoppedBeforeCompletionError`]. On a running loop the
    /// error is [`IOLoopError::AlreadyRunning`].
    ///
    /// On a [`ManualClock`](gust_ioloop::ManualClock) the timeout is on the
    /// manual clock's time, and fires when something moves the clock past
    /// it. Without autojump, nothing may: so the timeout also fires when the
    /// loop has nothing to run and waits for its clock, at once if nothing
    /// else could wake it (no fd handler, no [`LoopHandle`](gust_ioloop::LoopHandle)
    /// held elsewhere), else once `timeout` of real time has passed. It
    /// never waits forever. Without a timeout, such a loop that nothing
    /// could wake fails with [`IOLoopError::Stalled`].
    fn run_sync<Y, F>(&self, func: F, timeout: Option<Duration>) -> Result<Y::Output, Error>
    where
        Y: Yieldable,
        F: FnOnce() -> Y + 'static;

    /// Runs `work` on `executor` (or on the loop's default executor, a
    /// [`ThreadPoolExecutor`] with five threads per CPU, if `None`) and
    /// returns a future for its result (Tornado's `run_in_executor`).
    fn run_in_executor<F, T>(&self, executor: Option<&dyn Executor>, work: F) -> Future<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;

    /// Sets the executor `run_in_executor(None, ...)` uses.
    fn set_default_executor(&self, executor: Arc<dyn Executor>);

    /// Runs a Rust future (a native coroutine) as a task on this loop and
    /// returns a future for its output (a `Result` output becomes the
    /// future's result or error). It is first polled in the next iteration;
    /// a panic becomes the future's [`PanicError`]; closing the loop drops
    /// it (running its destructors) and fails the future with
    /// [`LoopClosedError`](crate::LoopClosedError). See [`native`](crate::native).
    ///
    /// ```
    /// use gust::Error;
    /// use gust::concurrent::Future;
    /// use gust::ioloop::{IOLoop, IOLoopExt};
    ///
    /// let io_loop = IOLoop::new();
    /// let pending: Future<u32> = Future::new();
    /// let later = pending.clone();
    /// let task = io_loop.spawn(async move { Ok::<_, Error>(later.await? + 1) });
    /// pending.set_result(1).unwrap();
    /// assert_eq!(io_loop.run_sync(move || task, None).unwrap(), 2);
    /// ```
    fn spawn<F>(&self, future: F) -> Future<<F::Output as IntoResult>::Ok>
    where
        F: std::future::Future + 'static,
        F::Output: IntoResult;
}

impl IOLoopExt for IOLoop {
    fn spawn<F>(&self, future: F) -> Future<<F::Output as IntoResult>::Ok>
    where
        F: std::future::Future + 'static,
        F::Output: IntoResult,
    {
        spawn_on(self, future)
    }

    fn run_in_executor<F, T>(&self, executor: Option<&dyn Executor>, work: F) -> Future<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        match executor {
            Some(executor) => submit_on(self, executor, work),
            None => {
                let default = self.extension::<DefaultExecutor>();
                let executor = default
                    .executor
                    .borrow_mut()
                    .get_or_insert_with(|| Arc::new(ThreadPoolExecutor::with_default_size()))
                    .clone();
                submit_on(self, &*executor, work)
            }
        }
    }

    fn set_default_executor(&self, executor: Arc<dyn Executor>) {
        *self.extension::<DefaultExecutor>().executor.borrow_mut() = Some(executor);
    }

    fn add_future<T, F>(&self, future: &Future<T>, callback: F)
    where
        T: 'static,
        F: FnOnce(&Future<T>) + 'static,
    {
        let io_loop = self.downgrade();
        future.add_done_callback(move |done| {
            let done = done.clone();
            if let Some(io_loop) = io_loop.upgrade() {
                io_loop.add_callback(move || callback(&done));
            }
        });
    }

    fn run_sync<Y, F>(&self, func: F, timeout: Option<Duration>) -> Result<Y::Output, Error>
    where
        Y: Yieldable,
        F: FnOnce() -> Y + 'static,
    {
        if self.is_closed() {
            return Err(IOLoopError::Closed.into());
        }
        if self.is_running() {
            return Err(IOLoopError::AlreadyRunning.into());
        }
        let slot: Rc<RefCell<Option<Future<Y::Output>>>> = Rc::new(RefCell::new(None));
        let filled = slot.clone();
        let weak = self.downgrade();
        // Cleared when run_sync gives up on a stalled loop, so that the
        // work finishing later does not stop the loop's next run.
        let waiting = Rc::new(Cell::new(true));
        let still_waiting = waiting.clone();
        self.add_callback(move || {
            let future = match catch_unwind(AssertUnwindSafe(func)) {
                Ok(yielded) => yielded.convert_yielded(),
                Err(payload) => Future::failed(PanicError::from_panic(&*payload, None)),
            };
            future.add_done_callback(move |_| {
                if let Some(io_loop) = weak.upgrade().filter(|_| still_waiting.get()) {
                    let stopper = io_loop.clone();
                    io_loop.add_callback(move || stopper.stop());
                }
            });
            *filled.borrow_mut() = Some(future);
        });
        let timed_out = Rc::new(Cell::new(false));
        let timer = timeout.map(|delay| {
            let timed_out = timed_out.clone();
            let slot = slot.clone();
            let io_loop = self.downgrade();
            self.call_later(delay, move || {
                timed_out.set(true);
                let cancelled = slot.borrow().as_ref().is_some_and(Future::cancel);
                if !cancelled {
                    if let Some(io_loop) = io_loop.upgrade() {
                        io_loop.stop();
                    }
                }
            })
        });
        let ran = match timeout {
            // The timer cannot fire on a manual clock nobody moves: bound
            // the wait in real time too.
            Some(limit) if self.clock().as_manual().is_some() => start_with_idle_limit(self, limit),
            _ => self.start(),
        };
        let stalled = match ran {
            Ok(()) => false,
            Err(IOLoopError::Stalled) => true,
            Err(error) => return Err(error.into()),
        };
        if let Some(timer) = timer {
            self.remove_timeout(timer);
        }
        let future = slot.borrow_mut().take();
        match future {
            Some(future) if future.done() && !future.cancelled() => future.take_result(),
            _ if timed_out.get() => Err(timed_out_error(timeout)),
            future if stalled => {
                waiting.set(false);
                if timeout.is_none() {
                    return Err(IOLoopError::Stalled.into());
                }
                // The timeout fires: the work is cancelled, as by the timer.
                if let Some(future) = future {
                    future.cancel();
                }
                Err(timed_out_error(timeout))
            }
            _ => Err(Error::new(StoppedBeforeCompletionError)),
        }
    }
}

/// `run_sync`'s `Operation timed out after N seconds`.
fn timed_out_error(timeout: Option<Duration>) -> Error {
    Error::new(TimeoutError::new(format!(
        "Operation timed out after {} seconds",
        timeout.unwrap_or_default().as_secs_f64()
    )))
}

/// A callback that returns a future (for example one that starts a
/// coroutine, `io_loop.spawn_callback(|| my_coroutine())`) has the future's
/// failure logged as `Exception in callback NAME: ERROR`, as Tornado's
/// `_run_callback` does. Cancellations are not logged.
impl<T: 'static> CallbackResult for Future<T> {
    fn finish(self, _io_loop: &IOLoop, name: &'static str, then: Option<Box<dyn FnOnce()>>) {
        self.add_done_callback(move |done| {
            if let Some(error) = done.exception() {
                if !error.is_cancellation() {
                    gust_ioloop::gust_log!(target: APP_LOG, log::Level::Error, "Exception in callback {name}: {error}");
                }
            }
            if let Some(then) = then {
                then();
            }
        });
    }
}
