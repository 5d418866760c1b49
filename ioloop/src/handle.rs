//! The one way into a loop from other threads: [`LoopHandle`].
//!
//! Callbacks from other threads go into a mutex-protected queue and one
//! `mio::Waker` interrupts the loop's poll. Wakes are coalesced: a flag
//! records that a wake is already on its way, so a burst of callbacks costs
//! one system call, not one each.
//!
//! The loop takes at most [`REMOTE_BATCH`] of them per iteration, so that
//! a flood from other threads cannot keep due timers and I/O waiting for
//! more than one batch; after a burst the queue gives its memory back.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::callback::{Callback, CallbackFn, Cb, RawCallback};
use crate::error::LoopClosedError;
use crate::sync::{lock, spin_until};

/// A callback sent from another thread: a closure, or a function and a
/// word (which allocates nothing: how wakers of tasks and coroutines reach
/// their loop).
pub(crate) enum RemoteCallback {
    Boxed(Box<dyn CallbackFn + Send>),
    Raw(RawCallback),
}

impl RemoteCallback {
    /// As the ready queue stores it.
    #[inline]
    pub(crate) fn into_callback(self) -> Callback {
        match self {
            RemoteCallback::Boxed(callback) => Callback::Boxed(callback),
            RemoteCallback::Raw(raw) => Callback::Raw(raw),
        }
    }
}

/// The most callbacks from other threads one loop iteration takes: past
/// this, due timers and I/O run before the rest (in the next iterations).
pub(crate) const REMOTE_BATCH: usize = 1024;

/// An empty queue with more room than this gives it back.
pub(crate) const KEEP_CAPACITY: usize = 1024;

/// State shared between a loop and its handles.
pub(crate) struct Remote {
    queue: Mutex<VecDeque<RemoteCallback>>,
    /// How many [`PendingWork`] guards are alive: work other threads have
    /// promised to this loop. On a cache line of its own.
    pending: Counter,
    /// Whether the loop's clock is manual: only then does its loop wait
    /// for the last promise to be released (a real clock's loop does not
    /// care), so only then does releasing it wake the loop.
    wake_on_release: bool,
    /// The flags the loop reads while it spins before sleeping, on a cache
    /// line of their own: a sender filling the queue does not disturb the
    /// spinning loop until it sets `notified`.
    flags: Flags,
    waker: mio::Waker,
}

#[repr(align(128))]
struct Counter(AtomicUsize);

#[repr(align(128))]
struct Flags {
    /// A wake is pending (set by senders, cleared by the loop before it
    /// drains the queue).
    notified: AtomicBool,
    /// The loop is in (or about to enter) a blocking poll: only then does a
    /// sender need to write to the waker.
    sleeping: AtomicBool,
    closed: AtomicBool,
}

impl Remote {
    /// The remote side of a loop; `manual_clock` as
    /// `wake_on_release`.
    pub(crate) fn new(waker: mio::Waker, manual_clock: bool) -> Remote {
        Remote {
            queue: Mutex::new(VecDeque::new()),
            pending: Counter(AtomicUsize::new(0)),
            wake_on_release: manual_clock,
            flags: Flags {
                notified: AtomicBool::new(false),
                sleeping: AtomicBool::new(false),
                closed: AtomicBool::new(false),
            },
            waker,
        }
    }

    fn push(&self, callback: RemoteCallback) -> Result<(), LoopClosedError> {
        {
            let mut queue = lock(&self.queue);
            // Checked under the lock: close() sets the flag and then drains
            // under the same lock, so nothing is left behind in the queue.
            if self.flags.closed.load(Ordering::Acquire) {
                drop(queue);
                drop(callback);
                return Err(LoopClosedError);
            }
            queue.push_back(callback);
        }
        self.wake();
        Ok(())
    }

    /// Interrupts the loop's poll unless a wake is already pending. A loop
    /// that is not blocked in its poll sees the flag before it next blocks,
    /// so no system call is made then.
    pub(crate) fn wake(&self) {
        // SeqCst pairs with `enter_sleep`: either the loop sees `notified`
        // before blocking, or this sees `sleeping` and writes the waker.
        if !self.flags.notified.swap(true, Ordering::SeqCst) && self.flags.sleeping.load(Ordering::SeqCst) {
            // A failed wake (eventfd full) still leaves the loop readable.
            let _ = self.waker.wake();
        }
    }

    /// Spins for up to `limit` while no callback from another thread is
    /// pending; returns whether one arrived. Does nothing on a machine with
    /// one CPU (the sender could not run meanwhile).
    pub(crate) fn spin_until_notified(&self, limit: std::time::Duration) -> bool {
        spin_until(limit, || self.flags.notified.load(Ordering::Acquire))
    }

    /// The loop is about to block in its poll; returns `false` if a wake
    /// is already pending (then it must not block).
    pub(crate) fn enter_sleep(&self) -> bool {
        self.flags.sleeping.store(true, Ordering::SeqCst);
        if self.flags.notified.load(Ordering::SeqCst) {
            self.flags.sleeping.store(false, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// The loop's poll returned.
    pub(crate) fn leave_sleep(&self) {
        self.flags.sleeping.store(false, Ordering::SeqCst);
    }

    /// Whether a wake (and possibly callbacks) are pending. A relaxed hint.
    #[inline]
    pub(crate) fn is_notified(&self) -> bool {
        self.flags.notified.load(Ordering::Acquire)
    }

    /// Clears the wake flag and hands the first `limit` queued callbacks
    /// (or all, if fewer) to `take`, in order, one by one. If more remain, the flag is
    /// set again, so that the loop does not block before taking them.
    pub(crate) fn take_batch(&self, limit: usize, mut take: impl FnMut(RemoteCallback)) {
        self.flags.notified.store(false, Ordering::Release);
        let mut queue = lock(&self.queue);
        for _ in 0..limit {
            match queue.pop_front() {
                Some(callback) => take(callback),
                None => break,
            }
        }
        if !queue.is_empty() {
            self.flags.notified.store(true, Ordering::Release);
        } else if queue.capacity() > KEEP_CAPACITY {
            // A burst is over: give its memory back.
            *queue = VecDeque::new();
        }
    }

    /// Marks the loop closed and returns what was still queued.
    pub(crate) fn close(&self) -> VecDeque<RemoteCallback> {
        let mut queue = lock(&self.queue);
        self.flags.closed.store(true, Ordering::Release);
        std::mem::take(&mut *queue)
    }

    /// Room in the queue (for tests of the release after a burst).
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        lock(&self.queue).capacity()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.flags.closed.load(Ordering::Acquire)
    }

    /// How many promises of work are outstanding. Acquire: a loop that
    /// reads zero then sees the callbacks queued before the last release.
    #[inline]
    pub(crate) fn pending_work(&self) -> usize {
        self.pending.0.load(Ordering::Acquire)
    }

    /// Releases one promise. Release: what the releasing thread queued for
    /// the loop is visible to a loop that reads the count as zero. Off the
    /// loop's thread, releasing the last promise wakes a loop on a manual
    /// clock (the loop itself looks again before it next waits).
    pub(crate) fn release_work(&self, on_loop: bool) {
        if self.pending.0.fetch_sub(1, Ordering::AcqRel) == 1 && self.wake_on_release && !on_loop {
            self.wake();
        }
    }
}

/// A `Send + Sync` handle to an [`IOLoop`](crate::IOLoop), for other
/// threads.
///
/// [`add_callback`](LoopHandle::add_callback) is the only thread-safe way
/// to reach a loop, as `IOLoop.add_callback` is the only thread-safe method
/// in Tornado: everything else is done by a callback that runs on the loop's
/// own thread.
///
/// ```
/// use std::time::Duration;
/// use gust::ioloop::IOLoop;
///
/// let io_loop = IOLoop::new();
/// let handle = io_loop.handle();
/// let worker = std::thread::spawn(move || {
///     handle
///         .add_callback(|| IOLoop::current().stop())
///         .expect("loop still open");
/// });
/// io_loop.start().unwrap(); // returns once the other thread's callback ran
/// worker.join().unwrap();
/// ```
#[derive(Clone)]
pub struct LoopHandle {
    pub(crate) remote: Arc<Remote>,
}

impl LoopHandle {
    /// Runs `callback` on the loop's thread, in the loop's next iteration,
    /// waking the loop if it is waiting.
    ///
    /// Returns [`LoopClosedError`] (and drops the callback here) if the loop
    /// has been closed.
    pub fn add_callback<F>(&self, callback: F) -> Result<(), LoopClosedError>
    where
        F: FnOnce() + Send + 'static,
    {
        self.remote.push(RemoteCallback::Boxed(Box::new(Cb(callback))))
    }

    /// Runs `func(io_loop, data)` on the loop's thread in its next
    /// iteration, allocating nothing; as
    /// [`add_callback`](LoopHandle::add_callback) otherwise. This is how
    /// the wakers of native tasks and awaiting coroutines reach their loop
    /// from other threads; most code wants `add_callback`.
    // Hidden: for gust's sibling crates (gust-yieldables' wakers); see
    // `protocol`.
    #[doc(hidden)]
    #[inline]
    pub fn add_callback_raw(&self, func: fn(&crate::IOLoop, u64), data: u64) -> Result<(), LoopClosedError> {
        self.remote.push(RemoteCallback::Raw(RawCallback { func, data }))
    }

    /// Wakes the loop without giving it work (it runs one iteration).
    pub fn wake(&self) {
        self.remote.wake();
    }

    /// Whether the loop behind this handle has been closed.
    pub fn is_closed(&self) -> bool {
        self.remote.is_closed()
    }

    /// Promises the loop that work for it is under way elsewhere (another
    /// thread, another runtime) until the returned guard is dropped.
    ///
    /// A real clock's loop does not care. A loop on an autojump
    /// [`ManualClock`](crate::ManualClock) does not jump its clock to the
    /// next timer while a promise is outstanding: it waits in real time,
    /// its clock following real time, as a loop on the system clock would;
    /// once the last promise is released, it jumps again. A loop on a
    /// manual clock without autojump waits for the promised work instead of
    /// reporting [`IOLoopError::Stalled`](crate::IOLoopError::Stalled).
    ///
    /// gust's own cross-thread paths (executor jobs, `run_in_executor`,
    /// `remote_future`'s setter, the default resolver) hold one for as
    /// long as their work is under way. Hold one yourself when the loop
    /// waits for something it cannot see: a Rust future woken from another
    /// thread, a channel some thread will answer through a `LoopHandle`.
    /// Finish with [`PendingWork::add_callback`], which queues the result
    /// before it releases the promise.
    ///
    /// ```
    /// use std::time::Duration;
    /// use gust::ioloop::{IOLoop, ManualClock};
    ///
    /// let io_loop = IOLoop::with_clock(ManualClock::autojump());
    /// // Without the promise, the loop would jump to this timer at once.
    /// io_loop.call_later(Duration::from_secs(10), || IOLoop::current().stop());
    /// let pending = io_loop.handle().expect_work();
    /// let worker = std::thread::spawn(move || {
    ///     std::thread::sleep(Duration::from_millis(5));
    ///     pending.add_callback(|| IOLoop::current().stop()).unwrap();
    /// });
    /// let started = io_loop.time();
    /// io_loop.start().unwrap(); // stopped by the worker, not by the timer
    /// assert!(io_loop.time() - started < Duration::from_secs(10));
    /// worker.join().unwrap();
    /// ```
    pub fn expect_work(&self) -> PendingWork {
        PendingWork::new(self.clone())
    }

    /// How many [`PendingWork`] promises to the loop are outstanding.
    pub fn pending_work(&self) -> usize {
        self.remote.pending_work()
    }
}

/// A promise that work for a loop is under way on another thread: see
/// [`LoopHandle::expect_work`]. Dropping it (on any thread) releases the
/// promise; releasing the last one wakes a loop on a manual clock, so that
/// it looks again at what it waits for.
#[must_use = "the promise is released when the guard is dropped"]
pub struct PendingWork {
    handle: LoopHandle,
    /// The promise went to the loop with its last callback (see
    /// [`add_callback`](PendingWork::add_callback)): the loop releases it.
    handed_over: bool,
}

impl PendingWork {
    /// Counts a promise on `handle`'s loop.
    pub(crate) fn new(handle: LoopHandle) -> PendingWork {
        handle.remote.pending.0.fetch_add(1, Ordering::Relaxed);
        PendingWork {
            handle,
            handed_over: false,
        }
    }

    /// Runs `callback` on the loop's thread in its next iteration, as
    /// [`LoopHandle::add_callback`] does, and releases the promise once
    /// the callback has run (or panicked). The loop never sees the promise
    /// released before the callback is queued. If the loop is closed, the
    /// callback is dropped and the promise released at once.
    pub fn add_callback<F>(mut self, callback: F) -> Result<(), LoopClosedError>
    where
        F: FnOnce() + Send + 'static,
    {
        // The callback carries the promise; the loop releases it through
        // its own reference to the shared side (no reference count moves
        // between the threads). A closed loop took nothing: this guard's
        // drop releases the promise then.
        let pushed = self
            .handle
            .remote
            .push(RemoteCallback::Boxed(Box::new(Kept(Cb(callback)))));
        self.handed_over = pushed.is_ok();
        pushed
    }

    /// The handle of the loop the work is promised to.
    pub fn handle(&self) -> &LoopHandle {
        &self.handle
    }
}

/// A callback that releases a promise once it has run. Dropped unrun only
/// when its loop closes: the count of a closed loop no longer matters.
struct Kept<F>(Cb<F>);

impl<F: FnOnce() + 'static> CallbackFn for Kept<F> {
    fn call(self: Box<Self>, io_loop: &crate::IOLoop) {
        /// Releases the promise even if the callback unwinds.
        struct Release<'a>(&'a Remote);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.release_work(true);
            }
        }
        let _release = Release(io_loop.remote());
        self.0.run(io_loop);
    }
}

impl Drop for PendingWork {
    fn drop(&mut self) {
        if !self.handed_over {
            self.handle.remote.release_work(false);
        }
    }
}

impl fmt::Debug for PendingWork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingWork")
            .field("closed", &self.handle.is_closed())
            .finish()
    }
}

impl fmt::Debug for LoopHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopHandle")
            .field("closed", &self.is_closed())
            .field("pending_work", &self.pending_work())
            .finish()
    }
}
