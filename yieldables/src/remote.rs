//! Crossing threads: results from other threads into a loop's futures
//! ([`remote_future`]), and a loop's futures out to other threads
//! ([`Future::into_send`]).
//!
//! A [`Future`] belongs to its loop's thread (it is `!Send`). Work done
//! elsewhere (an executor's thread, another runtime such as tokio) hands its
//! result to a [`RemoteSetter`], which is `Send`: the result travels through
//! the loop's thread-safe [`LoopHandle`](gust_ioloop::LoopHandle) and is set
//! on the loop's thread. The other way, [`Future::into_send`] gives a
//! [`SendFuture`] that any thread can `.await` (or block on).

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};

use gust_ioloop::protocol::{lock, wait};
use gust_ioloop::{Extension, IOLoop, PendingWork};
use slab::Slab;

use crate::error::{Error, LoopClosedError};
use crate::future::Future;

/// Futures waiting for results from other threads, owned by the loop.
#[derive(Default)]
struct Deliveries {
    slots: RefCell<Slab<Box<dyn std::any::Any>>>,
}

impl Extension for Deliveries {}

/// A future on `io_loop` and a `Send` handle that resolves it from any
/// thread.
///
/// ```
/// use gust::concurrent::remote_future;
/// use gust::ioloop::{IOLoop, IOLoopExt};
///
/// let io_loop = IOLoop::new();
/// let (future, setter) = remote_future::<u64>(&io_loop);
/// std::thread::spawn(move || setter.set(Ok(6 * 7)));
/// assert_eq!(io_loop.run_sync(move || future, None).unwrap(), 42);
/// ```
///
/// If the setter is dropped without being used, the future is dropped by
/// the loop unresolved (a coroutine waiting on it is then abandoned).
#[must_use = "the future and the setter work as a pair: keep the future and send the setter"]
pub fn remote_future<T: Send + 'static>(io_loop: &IOLoop) -> (Future<T>, RemoteSetter<T>) {
    let future = Future::new();
    let deliveries = io_loop.extension::<Deliveries>();
    let key = deliveries.slots.borrow_mut().insert(Box::new(future.clone()));
    let setter = RemoteSetter {
        pending: Some(io_loop.expect_work()),
        loop_id: io_loop.id(),
        key,
        marker: PhantomData,
    };
    (future, setter)
}

/// Resolves a loop's future from any thread; see [`remote_future`].
///
/// Until it sets the future (or is dropped), the setter is work promised
/// to the loop (see [`LoopHandle::expect_work`](gust_ioloop::LoopHandle::expect_work)):
/// a loop on an autojump [`ManualClock`](gust_ioloop::ManualClock) waits
/// for it in real time instead of jumping its clock past it.
pub struct RemoteSetter<T> {
    /// The promise to the loop, released once the outcome has been
    /// delivered on the loop's thread.
    pending: Option<PendingWork>,
    loop_id: u64,
    key: usize,
    marker: PhantomData<fn(T)>,
}

impl<T: Send + 'static> RemoteSetter<T> {
    /// Sends the outcome to the loop; the future is set in the loop's next
    /// iteration. Returns `false` if the loop is closed (the outcome is
    /// dropped).
    pub fn set(mut self, outcome: Result<T, Error>) -> bool {
        let Some(pending) = self.pending.take() else {
            return false;
        };
        let (loop_id, key) = (self.loop_id, self.key);
        pending
            .add_callback(move || deliver::<T>(loop_id, key, Some(outcome)))
            .is_ok()
    }

    /// Sends a result.
    pub fn set_result(self, value: T) -> bool {
        self.set(Ok(value))
    }

    /// Sends an error.
    pub fn set_exception(self, error: impl Into<Error>) -> bool {
        self.set(Err(error.into()))
    }
}

impl<T> Drop for RemoteSetter<T> {
    fn drop(&mut self) {
        // Unused: tell the loop to let go of the future.
        if let Some(pending) = self.pending.take() {
            let (loop_id, key) = (self.loop_id, self.key);
            let _ = pending.add_callback(move || forget(loop_id, key));
        }
    }
}

impl<T> fmt::Debug for RemoteSetter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RemoteSetter(loop {}, slot {})", self.loop_id, self.key)
    }
}

/// On the loop's thread: hands an outcome to its future.
fn deliver<T: 'static>(loop_id: u64, key: usize, outcome: Option<Result<T, Error>>) {
    let Some(io_loop) = IOLoop::current_opt().filter(|l| l.id() == loop_id) else {
        return;
    };
    let Some(deliveries) = io_loop.find_extension::<Deliveries>() else {
        return;
    };
    let slot = deliveries.slots.borrow_mut().try_remove(key);
    if let (Some(future), Some(outcome)) = (slot.and_then(|any| any.downcast::<Future<T>>().ok()), outcome) {
        let _ = future.set_unless_cancelled(outcome);
    }
}

fn forget(loop_id: u64, key: usize) {
    deliver::<()>(loop_id, key, None);
}

/// A loop's future, readable from any thread: see [`Future::into_send`].
///
/// It implements `std::future::Future` and is `Send`, so another runtime
/// (tokio, async-std, a plain thread with [`wait`](SendFuture::wait)) can
/// wait for it.
pub struct SendFuture<T> {
    shared: Arc<SendShared<T>>,
}

struct SendShared<T> {
    state: Mutex<SendState<T>>,
    ready: Condvar,
}

struct SendState<T> {
    outcome: Option<Result<T, Error>>,
    waker: Option<Waker>,
    taken: bool,
}

impl<T> SendShared<T> {
    fn complete(&self, outcome: Result<T, Error>) {
        let waker = {
            let mut state = lock(&self.state);
            if state.outcome.is_some() || state.taken {
                return;
            }
            state.outcome = Some(outcome);
            state.waker.take()
        };
        self.ready.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Feeds a loop future's outcome to its `SendFuture`; if dropped unfired
/// (the future was dropped unresolved, or its loop closed), reports that.
struct Feed<T> {
    shared: Arc<SendShared<T>>,
    fired: bool,
}

impl<T> Drop for Feed<T> {
    fn drop(&mut self) {
        if !self.fired {
            self.shared.complete(Err(Error::new(LoopClosedError)));
        }
    }
}

impl<T: Send + 'static> Future<T> {
    /// A `Send` handle to this future's outcome, for other threads and
    /// other runtimes. The result is moved out of this future when it is
    /// done (see "One result, several consumers" on [`Future`]). If the
    /// future is dropped without a result (for example because its loop
    /// closed), the `SendFuture` fails with [`LoopClosedError`].
    ///
    /// ```
    /// use gust::ioloop::IOLoop;
    /// use gust::concurrent::Future;
    ///
    /// let io_loop = IOLoop::new();
    /// let f: Future<String> = Future::new();
    /// let remote = f.clone().into_send();
    /// let reader = std::thread::spawn(move || remote.wait());
    /// f.set_result("hi".to_owned()).unwrap();
    /// assert_eq!(reader.join().unwrap().unwrap(), "hi");
    /// ```
    pub fn into_send(self) -> SendFuture<T> {
        let shared = Arc::new(SendShared {
            state: Mutex::new(SendState {
                outcome: None,
                waker: None,
                taken: false,
            }),
            ready: Condvar::new(),
        });
        let mut feed = Feed {
            shared: shared.clone(),
            fired: false,
        };
        self.add_done_callback(move |done| {
            feed.fired = true;
            feed.shared.complete(done.take_result());
        });
        SendFuture { shared }
    }
}

impl<T> SendFuture<T> {
    /// Blocks the calling thread until the outcome arrives. Never call this
    /// on the loop's own thread: the loop could not run to produce it.
    pub fn wait(self) -> Result<T, Error> {
        let mut state = lock(&self.shared.state);
        loop {
            if let Some(outcome) = state.outcome.take() {
                state.taken = true;
                return outcome;
            }
            state = wait(&self.shared.ready, state);
        }
    }
}

impl<T> std::future::Future for SendFuture<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = lock(&self.shared.state);
        match state.outcome.take() {
            Some(outcome) => {
                state.taken = true;
                Poll::Ready(outcome)
            }
            None => {
                if !state.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    state.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

impl<T> fmt::Debug for SendFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendFuture")
    }
}
