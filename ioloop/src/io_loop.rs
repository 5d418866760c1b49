//! The event loop: [`IOLoop`].

use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mio::event::Source;

use crate::callback::{Callback, CallbackResult, Cb, RawCallback};
use crate::clock::Clock;
use crate::current;
use crate::deadline::Deadline;
use crate::error::IOLoopError;
use crate::extension::Extension;
use crate::handle::{LoopHandle, REMOTE_BATCH, Remote};
use crate::handlers::{Events, HandlerId};
use crate::poller::Poller;
use crate::ready_queue::ReadyQueue;
use crate::timer_heap::TimeoutHandle;
use crate::timers::{Timers, When};

/// On an autojump clock, how long (real time) a loop with fd handlers
/// registered polls for I/O before it jumps the clock to the next timer:
/// data a peer has sent (or is about to send) is handled first, as it would
/// be on a real clock.
const AUTOJUMP_IO_GRACE: Duration = Duration::from_millis(1);

static NEXT_LOOP_ID: AtomicU64 = AtomicU64::new(1);

/// A single-threaded event loop: Tornado's `IOLoop`, on mio.
///
/// One iteration of the loop:
///
/// 1. polls for I/O, waiting no longer than the next timer's deadline, and
///    not at all if callbacks are ready (while callbacks keep coming it
///    looks for I/O only now and then, and not at all if no fd handler is
///    registered, to save the system call);
/// 2. moves callbacks sent from other threads to the ready queue (at most
///    1024 per iteration: a flood from other threads delays due timers and
///    I/O by one batch at most);
/// 3. runs the handlers of file descriptors that became ready;
/// 4. collects every timer that is due, in deadline order (equal deadlines
///    in the order they were added);
/// 5. runs the callbacks that are in the ready queue now, in FIFO order,
///    then the due timers (a timer removed meanwhile, even by one of these
///    callbacks, does not run). Callbacks they add run in the next
///    iteration.
///
/// `IOLoop` is a cheap, cloneable handle (`Rc`); it is neither `Send` nor
/// `Sync`. Other threads use a [`LoopHandle`].
///
/// # What closes a loop
///
/// A loop is [closed](IOLoop::close) (its suspended coroutines unwound, its
/// callbacks, timers and handlers dropped) by exactly three things:
///
/// 1. [`close`](IOLoop::close);
/// 2. dropping its last `IOLoop` handle while it is not running;
/// 3. the exit of the thread that made it: every loop a thread made and
///    did not close is closed when the thread ends (thread-local
///    destructors; for the main thread, when `main` returns).
///
/// Handles held by the loop's own callbacks, timers, fd handlers or
/// parked coroutines count as handles: a loop whose callback captured an
/// `IOLoop` clone stays open (with everything it holds) until one of the
/// above happens, even after the program dropped its own handle. Inside a
/// callback, prefer [`IOLoop::current`] (the running loop is current) or a
/// captured [`WeakIOLoop`] to a captured `IOLoop`, or close the loop
/// explicitly.
///
/// Closing unwinds each suspended coroutine's stack. A destructor that
/// panics while a stack is being unwound (by `close`, or because the
/// future a coroutine waited for was dropped) is a panic during a panic:
/// the process aborts, as for any Rust unwinding. Destructors that may
/// fail should not panic (log instead), or the coroutine should be
/// finished before the loop is closed.
///
/// ```
/// use std::time::Duration;
/// use gust::ioloop::IOLoop;
///
/// let io_loop = IOLoop::new();
/// io_loop.add_callback(|| println!("first iteration"));
/// io_loop.call_later(Duration::from_millis(1), || {
///     println!("a millisecond later");
///     IOLoop::current().stop();
/// });
/// io_loop.start().unwrap();
/// ```
#[derive(Clone)]
pub struct IOLoop {
    pub(crate) inner: Rc<Inner>,
}

/// A weak reference to an [`IOLoop`], which does not keep it open.
#[derive(Clone, Default)]
pub struct WeakIOLoop {
    inner: Weak<Inner>,
}

impl WeakIOLoop {
    /// The loop, if it still exists.
    pub fn upgrade(&self) -> Option<IOLoop> {
        self.inner.upgrade().map(IOLoop::from_inner)
    }
}

impl fmt::Debug for WeakIOLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.upgrade() {
            Some(l) => write!(f, "WeakIOLoop({l:?})"),
            None => f.write_str("WeakIOLoop(<dropped>)"),
        }
    }
}

/// The loop's state, by job: callbacks ready to run, timers, I/O (the
/// poll and the fd handlers), the way in from other threads, and the
/// extensions other crates keep here.
pub(crate) struct Inner {
    id: u64,
    ready: ReadyQueue,
    timers: Timers,
    io: Poller,
    remote: Arc<Remote>,
    clock: Clock,
    running: Cell<bool>,
    stopping: Cell<bool>,
    closed: Cell<bool>,
    /// On an autojump clock, what this iteration's poll decides about
    /// time (set by `poll_timeout`, done after the poll).
    after_poll: Cell<AfterPoll>,
    iterations: Cell<u64>,
    /// While set (real time), a loop waiting on a manual clock that does
    /// not move by itself gives up at this instant (see `protocol::
    /// start_with_idle_limit`).
    idle_deadline: Cell<Option<Instant>>,
    extensions: RefCell<Vec<(TypeId, Rc<dyn Extension>)>>,
}

/// The first panic caught while closing, resumed at the end.
#[derive(Default)]
struct Panicked(Option<Box<dyn Any + Send>>);

impl Panicked {
    /// Runs `step`, keeping its panic if it is the first.
    fn guard(&mut self, step: impl FnOnce()) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(step)) {
            self.0.get_or_insert(payload);
        }
    }

    /// Drops `items` one by one, each under [`guard`](Self::guard).
    fn drop_each<T>(&mut self, items: impl IntoIterator<Item = T>) {
        for item in items {
            self.guard(|| drop(item));
        }
    }
}

/// Why an iteration did not run: nothing could ever wake the loop.
struct Stalled;

/// What an autojump clock does once the poll returns.
#[derive(Clone, Copy)]
enum AfterPoll {
    Nothing,
    /// The poll was the grace poll (fd handlers are registered): if it
    /// found nothing, the clock jumps to this deadline.
    Jump(Instant),
    /// Work promised from other threads: the poll waited in real time, and
    /// the clock follows the real time that passed (from `clock` when the
    /// poll started at `real`), up to `cap`.
    Follow {
        real: Instant,
        clock: Instant,
        cap: Instant,
    },
}

/// Resets the running state when `start`/`run_once` returns (or unwinds).
struct Running<'a> {
    io_loop: &'a IOLoop,
    previous: Option<Weak<Inner>>,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.io_loop.inner.running.set(false);
        current::restore(self.previous.take());
    }
}

impl IOLoop {
    /// Creates a loop on the system clock and makes it the thread's current
    /// loop (Tornado 6.3's default, `make_current=True`).
    ///
    /// # Panics
    ///
    /// Panics if the operating system refuses an epoll instance or an
    /// eventfd (out of file descriptors or memory); [`IOLoop::try_new`]
    /// returns that error instead.
    pub fn new() -> IOLoop {
        IOLoop::try_with_clock(Clock::system()).unwrap_or_else(|e| panic!("cannot create an IOLoop: {e}"))
    }

    /// Like [`IOLoop::new`], returning the operating system's error instead
    /// of panicking.
    pub fn try_new() -> io::Result<IOLoop> {
        IOLoop::try_with_clock(Clock::system())
    }

    /// Creates a loop reading time from `clock` (for example a
    /// [`ManualClock`](crate::ManualClock)) and makes it current.
    ///
    /// # Panics
    ///
    /// As [`IOLoop::new`].
    pub fn with_clock(clock: impl Into<Clock>) -> IOLoop {
        IOLoop::try_with_clock(clock).unwrap_or_else(|e| panic!("cannot create an IOLoop: {e}"))
    }

    /// Like [`IOLoop::with_clock`], returning the operating system's error
    /// instead of panicking.
    pub fn try_with_clock(clock: impl Into<Clock>) -> io::Result<IOLoop> {
        let clock: Clock = clock.into();
        let (io, waker) = Poller::new()?;
        let io_loop = IOLoop {
            inner: Rc::new(Inner {
                id: NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed),
                ready: ReadyQueue::new(),
                timers: Timers::new(clock.now()),
                io,
                remote: Arc::new(Remote::new(waker, clock.as_manual().is_some())),
                clock,
                running: Cell::new(false),
                stopping: Cell::new(false),
                closed: Cell::new(false),
                after_poll: Cell::new(AfterPoll::Nothing),
                iterations: Cell::new(0),
                idle_deadline: Cell::new(None),
                extensions: RefCell::new(Vec::new()),
            }),
        };
        current::register(&io_loop.inner);
        io_loop.make_current();
        Ok(io_loop)
    }

    pub(crate) fn from_inner(inner: Rc<Inner>) -> IOLoop {
        IOLoop { inner }
    }

    /// The thread's current loop: the one running on this thread, else the
    /// one most recently created or made current and still alive, else a
    /// default loop created now and kept for the rest of the thread's life.
    ///
    /// # Panics
    ///
    /// If no loop is current and the operating system refuses a new one
    /// (out of file descriptors or memory). [`IOLoop::try_current`] returns
    /// that error instead; gust's own functions that use the current loop
    /// (`gen_::coroutine`, `sleep`, `with_timeout`, native tasks,
    /// executors) do, and fail their future with it.
    pub fn current() -> IOLoop {
        current::get_or_default().unwrap_or_else(|e| panic!("cannot create an IOLoop: {e}"))
    }

    /// Like [`IOLoop::current`], returning the operating system's error
    /// instead of panicking when a default loop has to be made and cannot.
    pub fn try_current() -> io::Result<IOLoop> {
        current::get_or_default()
    }

    /// The current loop, or `None` if there is none (Tornado's
    /// `IOLoop.current(instance=False)`); never creates one.
    pub fn current_opt() -> Option<IOLoop> {
        current::get()
    }

    /// Makes this loop the thread's current loop.
    pub fn make_current(&self) {
        current::replace(Some(&self.inner));
    }

    /// Leaves the thread without a current loop (until one is created, made
    /// current or started).
    pub fn clear_current() {
        current::replace(None);
    }

    /// A weak reference to this loop.
    pub fn downgrade(&self) -> WeakIOLoop {
        WeakIOLoop {
            inner: Rc::downgrade(&self.inner),
        }
    }

    /// A handle other threads can use to add callbacks and wake the loop.
    pub fn handle(&self) -> LoopHandle {
        LoopHandle {
            remote: self.inner.remote.clone(),
        }
    }

    /// Promises this loop that work for it is under way on another thread:
    /// [`LoopHandle::expect_work`], without making a handle first.
    pub fn expect_work(&self) -> crate::PendingWork {
        crate::PendingWork::new(self.handle())
    }

    /// The side of the loop shared with other threads.
    pub(crate) fn remote(&self) -> &Remote {
        &self.inner.remote
    }

    /// A number unique to this loop in the process.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// Whether `self` and `other` are the same loop.
    pub fn ptr_eq(&self, other: &IOLoop) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    /// The current time on the loop's clock. Deadlines given to
    /// [`add_timeout`](IOLoop::add_timeout) and
    /// [`call_at`](IOLoop::call_at) are on this scale.
    #[inline]
    pub fn time(&self) -> Instant {
        self.inner.clock.now()
    }

    /// The loop's clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Whether the loop is running (inside `start` or `run_once`).
    pub fn is_running(&self) -> bool {
        self.inner.running.get()
    }

    /// Whether the loop has been closed.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.get()
    }

    /// How many iterations the loop has run. Tests use it to count hops.
    pub fn iterations(&self) -> u64 {
        self.inner.iterations.get()
    }

    /// Number of callbacks waiting in the ready queue.
    pub fn ready_len(&self) -> usize {
        self.inner.ready.len()
    }

    /// Number of pending timers.
    pub fn timer_count(&self) -> usize {
        self.inner.timers.len()
    }

    /// Number of registered fd handlers.
    pub fn handler_count(&self) -> usize {
        self.inner.io.handler_count()
    }

    /// Room in the ready queue's buffers (tests of the release after a
    /// burst).
    #[cfg(test)]
    pub(crate) fn ready_capacity(&self) -> usize {
        self.inner.ready.capacity()
    }

    /// Room in the queue of callbacks from other threads (likewise).
    #[cfg(test)]
    pub(crate) fn remote_capacity(&self) -> usize {
        self.inner.remote.capacity()
    }

    // ----------------------------------------------------------------
    // Callbacks
    // ----------------------------------------------------------------

    /// Runs `callback` in the loop's next iteration (or in the current
    /// iteration's successor, if called from a callback). Callbacks run in
    /// the order they were added.
    ///
    /// The callback may return `()`, a `Result<(), E>` (an error is logged)
    /// or anything else implementing [`CallbackResult`], such as a
    /// coroutine's future, whose failure is then logged. A panic in the
    /// callback is caught and logged as `Exception in callback NAME: ...`;
    /// the loop carries on.
    ///
    /// On a closed loop the callback is dropped, as in Tornado.
    #[inline]
    pub fn add_callback<F, R>(&self, callback: F)
    where
        F: FnOnce() -> R + 'static,
        R: CallbackResult,
    {
        if self.inner.closed.get() {
            return;
        }
        self.inner.ready.push(Callback::Boxed(Box::new(Cb(callback))));
    }

    /// Like [`add_callback`](IOLoop::add_callback); Tornado's name for
    /// starting something the loop is responsible for ("fire and forget").
    /// If the callback returns a coroutine's future, a failure is logged.
    #[inline]
    pub fn spawn_callback<F, R>(&self, callback: F)
    where
        F: FnOnce() -> R + 'static,
        R: CallbackResult,
    {
        self.add_callback(callback)
    }

    /// Schedules `func(self, data)` for the next iteration without
    /// allocating. This is how the coroutine runner resumes a coroutine;
    /// most code wants [`add_callback`](IOLoop::add_callback).
    // Hidden: for gust's sibling crates (the runner in gust-engine, native
    // tasks in gust-yieldables) and the ioloop benchmark; see `protocol`.
    #[doc(hidden)]
    #[inline]
    pub fn add_callback_raw(&self, func: fn(&IOLoop, u64), data: u64) {
        if self.inner.closed.get() {
            return;
        }
        self.inner.ready.push(Callback::Raw(RawCallback { func, data }));
    }

    // ----------------------------------------------------------------
    // Timers
    // ----------------------------------------------------------------

    /// Runs `callback` at `deadline`: an [`Instant`] on the loop's clock
    /// (Tornado: a number) or a [`Duration`] from now (Tornado: a
    /// `timedelta`). A deadline already past runs in the next iteration.
    ///
    /// Returns a handle for [`remove_timeout`](IOLoop::remove_timeout).
    ///
    /// # The horizon
    ///
    /// A loop keeps deadlines in nanoseconds from a point a century before
    /// it was made, in 64 bits: up to about 484 years after it was made.
    /// A deadline at or past that horizon, and a delay of `Duration::MAX`
    /// (or any delay reaching it), mean *never*: the timer stays pending,
    /// after every timer with a representable deadline, and fires only if
    /// the loop's clock is moved past the horizon. A loop whose only timers
    /// are never due has no timer to wait for.
    pub fn add_timeout<F, R>(&self, deadline: impl Into<Deadline>, callback: F) -> TimeoutHandle
    where
        F: FnOnce() -> R + 'static,
        R: CallbackResult,
    {
        let when = match deadline.into() {
            Deadline::At(instant) => When::At(instant),
            Deadline::After(delay) => When::After(self.time(), delay),
        };
        self.insert_timer(when, Callback::Boxed(Box::new(Cb(callback))))
    }

    /// Runs `callback` after `delay`. `call_later(Duration::ZERO, f)` runs
    /// `f` in the next iteration, not a clock tick later;
    /// `call_later(Duration::MAX, f)` never runs `f` (see "The
    /// horizon" on [`add_timeout`](IOLoop::add_timeout)).
    pub fn call_later<F, R>(&self, delay: Duration, callback: F) -> TimeoutHandle
    where
        F: FnOnce() -> R + 'static,
        R: CallbackResult,
    {
        self.insert_timer(
            When::After(self.time(), delay),
            Callback::Boxed(Box::new(Cb(callback))),
        )
    }

    /// Runs `callback` at `when`, an instant on the loop's clock.
    pub fn call_at<F, R>(&self, when: Instant, callback: F) -> TimeoutHandle
    where
        F: FnOnce() -> R + 'static,
        R: CallbackResult,
    {
        self.insert_timer(When::At(when), Callback::Boxed(Box::new(Cb(callback))))
    }

    /// Schedules `func(self, data)` at `when` without allocating a closure.
    // Hidden: for gust's sibling crates (gust-yieldables' `sleep`); see
    // `protocol`.
    #[doc(hidden)]
    pub fn call_at_raw(&self, when: Instant, func: fn(&IOLoop, u64), data: u64) -> TimeoutHandle {
        self.insert_timer(When::At(when), Callback::Raw(RawCallback { func, data }))
    }

    fn insert_timer(&self, when: When, callback: Callback) -> TimeoutHandle {
        if self.inner.closed.get() {
            drop(callback);
            return TimeoutHandle::dead();
        }
        self.inner.timers.insert(when, callback)
    }

    /// Cancels a pending timeout. Returns whether it was still pending;
    /// removing a timeout that fired or was removed already does nothing.
    pub fn remove_timeout(&self, handle: TimeoutHandle) -> bool {
        self.inner.timers.remove(handle)
    }

    // ----------------------------------------------------------------
    // File descriptors
    // ----------------------------------------------------------------

    /// Calls `handler` with the events that occur on `source`.
    ///
    /// `events` says which of [`Events::READ`] and [`Events::WRITE`] to
    /// watch; [`Events::ERROR`] is always reported. The loop does not own
    /// the source: pass the same source to
    /// [`update_handler`](IOLoop::update_handler) and
    /// [`remove_handler`](IOLoop::remove_handler). Registering a source
    /// twice is an error (`AlreadyExists`), as Tornado's `fd added twice`.
    ///
    /// mio is edge-triggered: the handler must read or write until the
    /// operation returns `WouldBlock`, or it will not hear again about
    /// readiness it left unconsumed. See the [module docs](crate::handlers).
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use gust::ioloop::{Events, IOLoop};
    ///
    /// let io_loop = IOLoop::new();
    /// let (mut tx, rx) = std::os::unix::net::UnixStream::pair().unwrap();
    /// rx.set_nonblocking(true).unwrap();
    /// let rx = Rc::new(RefCell::new(mio::net::UnixStream::from_std(rx)));
    /// let reader = rx.clone();
    /// let id = io_loop
    ///     .add_handler(&mut *rx.borrow_mut(), Events::READ, move |_events| {
    ///         let mut buf = [0u8; 16];
    ///         // Drain until WouldBlock: the loop is edge-triggered.
    ///         while let Ok(n) = reader.borrow_mut().read(&mut buf) {
    ///             if n == 0 { break; }
    ///             assert_eq!(&buf[..n], b"hi");
    ///         }
    ///         IOLoop::current().stop();
    ///     })
    ///     .unwrap();
    /// tx.write_all(b"hi").unwrap();
    /// io_loop.start().unwrap();
    /// io_loop.remove_handler(&mut *rx.borrow_mut(), id).unwrap();
    /// ```
    pub fn add_handler<S, F>(&self, source: &mut S, events: Events, handler: F) -> io::Result<HandlerId>
    where
        S: Source + ?Sized,
        F: FnMut(Events) + 'static,
    {
        if self.inner.closed.get() {
            return Err(io::Error::other(IOLoopError::Closed));
        }
        self.inner.io.add_handler(source, events, Box::new(handler))
    }

    /// Changes which events the handler `id` of `source` hears about.
    pub fn update_handler<S>(&self, source: &mut S, id: HandlerId, events: Events) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        self.inner.io.update_handler(source, id, events)
    }

    /// Stops calling the handler `id` and deregisters `source`. Removing a
    /// handler that is not registered does nothing (as in Tornado).
    pub fn remove_handler<S>(&self, source: &mut S, id: HandlerId) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        self.inner.io.remove_handler(source, id)
    }

    // ----------------------------------------------------------------
    // Running
    // ----------------------------------------------------------------

    fn enter(&self) -> Result<Running<'_>, IOLoopError> {
        if self.inner.closed.get() {
            return Err(IOLoopError::Closed);
        }
        if self.inner.running.get() {
            return Err(IOLoopError::AlreadyRunning);
        }
        self.inner.running.set(true);
        let previous = current::replace(Some(&self.inner));
        Ok(Running {
            io_loop: self,
            previous,
        })
    }

    /// Runs the loop until [`stop`](IOLoop::stop) is called.
    ///
    /// While it runs, this loop is the thread's current loop. Calling
    /// `start` on a running loop (from one of its callbacks) returns
    /// [`IOLoopError::AlreadyRunning`]; on a closed loop,
    /// [`IOLoopError::Closed`].
    ///
    /// On a [`ManualClock`](crate::ManualClock), a loop that has nothing to
    /// run and nothing that could ever wake it (its timers wait for a clock
    /// that moves only when told to, no fd handler is registered, and no
    /// [`LoopHandle`] exists outside the loop) returns
    /// [`IOLoopError::Stalled`] instead of waiting forever.
    pub fn start(&self) -> Result<(), IOLoopError> {
        let _running = self.enter()?;
        loop {
            self.iterate(None).map_err(|Stalled| IOLoopError::Stalled)?;
            if self.inner.stopping.replace(false) {
                return Ok(());
            }
        }
    }

    /// [`start`](IOLoop::start), giving up with [`IOLoopError::Stalled`]
    /// once the loop, on a manual clock, has waited with nothing to run
    /// until `limit` of real time has passed since the call.
    pub(crate) fn start_with_idle_limit(&self, limit: Duration) -> Result<(), IOLoopError> {
        struct Reset<'a>(&'a Cell<Option<Instant>>, Option<Instant>);
        impl Drop for Reset<'_> {
            fn drop(&mut self) {
                self.0.set(self.1);
            }
        }
        let previous = self
            .inner
            .idle_deadline
            .replace(Instant::now().checked_add(limit));
        let _reset = Reset(&self.inner.idle_deadline, previous);
        self.start()
    }

    /// Asks the loop to stop after the current iteration.
    ///
    /// Called while the loop is not running, it makes the next
    /// [`start`](IOLoop::start) return after one iteration (asyncio's
    /// behaviour, which Tornado 6 inherits). Only `start` consumes a stop:
    /// stepping with [`run_once`](IOLoop::run_once) leaves it pending (and
    /// does not block while it is).
    pub fn stop(&self) {
        self.inner.stopping.set(true);
    }

    /// Runs exactly one iteration (see the type's documentation), waiting
    /// for I/O or a timer at most `max_wait` (`None`: as long as needed,
    /// which may be forever if nothing is scheduled).
    ///
    /// `run_once(Some(Duration::ZERO))` never blocks: it is how a test
    /// steps through what the loop does, one iteration at a time. With
    /// `None`, a loop that nothing could ever wake returns
    /// [`IOLoopError::Stalled`], as [`start`](IOLoop::start) does.
    ///
    /// On an autojump [`ManualClock`](crate::ManualClock) the clock moves
    /// towards the next timer only as far as the wait allows: not at all
    /// with `Some(Duration::ZERO)`, at most `d` with `Some(d)`, all the way
    /// with `None`.
    pub fn run_once(&self, max_wait: Option<Duration>) -> Result<(), IOLoopError> {
        let _running = self.enter()?;
        self.iterate(max_wait).map_err(|Stalled| IOLoopError::Stalled)
    }

    /// Runs iterations, without blocking, while callbacks are ready or
    /// timers are due; returns how many iterations ran.
    ///
    /// It never waits for I/O or for timers not yet due. Two coroutines
    /// that keep yielding `moment` to each other keep it going for ever;
    /// [`run_iterations`](IOLoop::run_iterations) bounds the count.
    pub fn run_until_idle(&self) -> Result<u64, IOLoopError> {
        let _running = self.enter()?;
        let mut count = 0;
        while self.has_ready_work() {
            // A zero wait never stalls.
            let _ = self.iterate(Some(Duration::ZERO));
            count += 1;
        }
        Ok(count)
    }

    /// Runs `n` iterations without blocking.
    pub fn run_iterations(&self, n: u64) -> Result<(), IOLoopError> {
        let _running = self.enter()?;
        for _ in 0..n {
            let _ = self.iterate(Some(Duration::ZERO));
        }
        Ok(())
    }

    /// Whether the next iteration has work without waiting: callbacks
    /// ready, a timer due, or callbacks from other threads.
    pub fn has_ready_work(&self) -> bool {
        let inner = &*self.inner;
        if !inner.ready.is_empty() || inner.remote.is_notified() {
            return true;
        }
        match inner.timers.next_deadline() {
            Some(deadline) => deadline <= inner.clock.now(),
            None => false,
        }
    }

    /// How long the next poll may wait, before `max_wait` is applied
    /// (`None`: until something happens). On an autojump clock, moves the
    /// clock (now, or after a grace poll) towards the next timer, but never
    /// further than the caller would wait (`max_wait`): a zero wait does not
    /// move time.
    fn poll_timeout(&self, max_wait: Option<Duration>) -> Option<Duration> {
        let inner = &*self.inner;
        if inner.stopping.get() || !inner.ready.is_empty() || inner.remote.is_notified() {
            return Some(Duration::ZERO);
        }
        let deadline = inner.timers.next_deadline()?;
        let now = inner.clock.now();
        if deadline <= now {
            return Some(Duration::ZERO);
        }
        match inner.clock.as_manual() {
            None => Some(deadline - now),
            Some(manual) if manual.is_autojump() => {
                // As far as the caller would wait.
                let target = match max_wait {
                    Some(max) => now.checked_add(max).map_or(deadline, |limit| deadline.min(limit)),
                    None => deadline,
                };
                if target <= now {
                    // Not allowed to wait: no jump, and the loop is not
                    // busy either (it still polls for I/O, without
                    // blocking).
                    return Some(deadline - now);
                }
                // Work promised from other threads (an executor's job, a
                // remote setter): wait for it in real time, as on a real
                // clock; the clock follows (see `iterate`).
                if inner.remote.pending_work() > 0 {
                    inner.after_poll.set(AfterPoll::Follow {
                        real: Instant::now(),
                        clock: now,
                        cap: target,
                    });
                    return Some(target - now);
                }
                // Read after the count: a callback queued before the last
                // promise was released is seen here.
                if inner.remote.is_notified() {
                    return Some(Duration::ZERO);
                }
                // With fds registered, I/O may be on its way: poll for it
                // first (briefly, in real time), and jump only if that poll
                // found nothing (see `iterate`).
                if inner.io.handler_count() > 0 {
                    inner.after_poll.set(AfterPoll::Jump(target));
                    return Some(AUTOJUMP_IO_GRACE);
                }
                manual.set(target);
                Some(Duration::ZERO)
            }
            // Manual time does not pass while we wait: only I/O or another
            // thread can wake us.
            Some(_) => None,
        }
    }

    /// Whether something other than time could wake a loop that waits:
    /// an fd handler, or a [`LoopHandle`] held outside the loop (another
    /// thread, an executor's job, a native task's waker).
    fn can_be_woken(&self) -> bool {
        self.inner.io.handler_count() > 0 || Arc::strong_count(&self.inner.remote) > 1
    }

    /// Whether the loop has work ready (it must not block), and how long
    /// its poll may wait given the caller's `max_wait`; `Err(Stalled)` if
    /// it would wait forever on a manual clock for nothing.
    fn wait_limit(&self, max_wait: Option<Duration>) -> Result<(bool, Option<Duration>), Stalled> {
        let timeout = self.poll_timeout(max_wait);
        let busy = timeout == Some(Duration::ZERO);
        if let Some(max) = max_wait {
            return Ok((busy, Some(timeout.map_or(max, |t| t.min(max)))));
        }
        if timeout.is_none() && self.inner.clock.as_manual().is_some() {
            // Nothing to run, and the clock does not move by itself. Work
            // promised from other threads will come: wait for it (neither
            // stalled nor idle meanwhile).
            if self.inner.remote.pending_work() > 0 {
                return Ok((false, None));
            }
            if !self.can_be_woken() {
                return Err(Stalled);
            }
            if let Some(deadline) = self.inner.idle_deadline.get() {
                let now = Instant::now();
                if now >= deadline {
                    return Err(Stalled);
                }
                return Ok((false, Some(deadline - now)));
            }
        }
        Ok((busy, timeout))
    }

    /// On an autojump clock, after the poll: the grace poll's jump, or
    /// following real time while work is promised.
    #[cold]
    #[inline(never)]
    fn move_time_after_poll(&self) {
        let inner = &*self.inner;
        let Some(manual) = inner.clock.as_manual() else {
            inner.after_poll.set(AfterPoll::Nothing);
            return;
        };
        match inner.after_poll.replace(AfterPoll::Nothing) {
            AfterPoll::Nothing => {}
            AfterPoll::Jump(deadline) => {
                if !inner.io.has_fired() && inner.remote.pending_work() == 0 && !inner.remote.is_notified() {
                    manual.set(deadline);
                }
            }
            AfterPoll::Follow { real, clock, cap } => {
                let followed = crate::deadline::add_saturating(clock, real.elapsed()).min(cap);
                if followed > manual.now() {
                    manual.set(followed);
                }
            }
        }
    }

    /// One iteration. See the type's documentation.
    fn iterate(&self, max_wait: Option<Duration>) -> Result<(), Stalled> {
        let inner = &*self.inner;
        let (busy, timeout) = self.wait_limit(max_wait)?;
        inner.iterations.set(inner.iterations.get() + 1);

        // Busy means the loop itself has work ready; a caller's zero
        // `max_wait` only forbids blocking, it must not skip the I/O poll.
        let polled = inner.io.should_poll(busy);
        if polled {
            inner.io.poll(timeout, &inner.remote);
        }
        if !matches!(inner.after_poll.get(), AfterPoll::Nothing) {
            self.move_time_after_poll();
        }

        if inner.remote.is_notified() {
            inner.remote.take_batch(REMOTE_BATCH, |callback| {
                inner.ready.push(callback.into_callback())
            });
        }

        if polled {
            inner.io.dispatch();
        }

        // Due timers run after the callbacks already ready, in deadline
        // order (collected now, run after them).
        let due = inner.timers.collect_due(&inner.clock);
        let mut ran = inner.ready.run(self);
        if let Some(due) = due {
            ran += inner.timers.run_due(self, due);
        }
        inner.io.ran(ran);
        Ok(())
    }

    // ----------------------------------------------------------------
    // Closing and extensions
    // ----------------------------------------------------------------

    /// Closes the loop: its extensions are told first (the coroutine runner
    /// unwinds every suspended coroutine, running their destructors), then
    /// every queued callback, timer and handler is dropped. Callbacks added
    /// afterwards are dropped; other threads' handles get
    /// [`LoopClosedError`](crate::LoopClosedError).
    ///
    /// A destructor that panics does not stop the close: every step is
    /// still taken (the loop is closed for other threads too, every
    /// coroutine, task, callback, timer and handler is dropped), and then
    /// the first such panic is resumed. (Dropping the last handle closes
    /// the loop the same way, but while the thread is already panicking
    /// it logs such a panic instead.)
    ///
    /// Closing a running loop is an error; closing twice does nothing.
    /// Dropping the last handle of a loop closes it, and so does the exit
    /// of its thread (see "What closes a loop" on [`IOLoop`]).
    pub fn close(&self) -> Result<(), IOLoopError> {
        if self.inner.running.get() {
            return Err(IOLoopError::CloseWhileRunning);
        }
        if self.inner.closed.replace(true) {
            return Ok(());
        }
        // Every step runs whatever a destructor does; the first panic is
        // resumed once everything is closed.
        let mut panicked = Panicked::default();
        // Other threads see the loop closed from now on; what they had
        // queued is dropped below.
        let remote = self.inner.remote.close();
        let extensions = std::mem::take(&mut *self.inner.extensions.borrow_mut());
        for (_, extension) in &extensions {
            panicked.guard(|| extension.close(self));
        }
        panicked.drop_each(extensions);
        // Take everything out before dropping it (destructors may call back
        // into the loop), and drop the callbacks one by one.
        let ready = self.inner.ready.take_all();
        let timers = self.inner.timers.drain();
        let handlers = self.inner.io.drain();
        panicked.drop_each(ready);
        panicked.drop_each(timers);
        panicked.drop_each(remote);
        panicked.drop_each(handlers);
        let panicked = panicked.0;
        if let Some(payload) = panicked {
            resume_unwind(payload);
        }
        Ok(())
    }

    /// The loop's extension of type `E`, created with `E::default()` on
    /// first use. See [`Extension`].
    pub fn extension<E: Extension + Default>(&self) -> Rc<E> {
        self.extension_or_insert_with(E::default)
    }

    /// The loop's extension of type `E`, created with `make` on first use.
    pub fn extension_or_insert_with<E: Extension>(&self, make: impl FnOnce() -> E) -> Rc<E> {
        if let Some(found) = self.find_extension::<E>() {
            return found;
        }
        let made = Rc::new(make());
        if !self.inner.closed.get() {
            self.inner
                .extensions
                .borrow_mut()
                .push((TypeId::of::<E>(), made.clone() as Rc<dyn Extension>));
        }
        made
    }

    /// The loop's extension of type `E`, if it has one. Found by its
    /// `TypeId`: only the match is cloned.
    pub fn find_extension<E: Extension>(&self) -> Option<Rc<E>> {
        let extensions = self.inner.extensions.borrow();
        let (_, found) = extensions.iter().find(|(id, _)| *id == TypeId::of::<E>())?;
        let any: Rc<dyn Any> = found.clone();
        any.downcast::<E>().ok()
    }
}

impl Default for IOLoop {
    fn default() -> Self {
        IOLoop::new()
    }
}

impl Drop for IOLoop {
    #[inline]
    fn drop(&mut self) {
        if Rc::strong_count(&self.inner) == 1 && !self.inner.closed.get() && !self.inner.running.get() {
            self.close_on_drop();
        }
    }
}

impl IOLoop {
    /// The last handle is being dropped: close the loop.
    #[cold]
    #[inline(never)]
    fn close_on_drop(&self) {
        if std::thread::panicking() {
            // A second panic now would abort the process.
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| self.close())) {
                crate::callback::log_panic("IOLoop::close", &*payload);
            }
        } else {
            let _ = self.close();
        }
    }
}

impl fmt::Debug for IOLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IOLoop")
            .field("id", &self.inner.id)
            .field("running", &self.inner.running.get())
            .field("closed", &self.inner.closed.get())
            .field("ready", &self.inner.ready.len())
            .field("timers", &self.inner.timers.len())
            .field("handlers", &self.inner.io.handler_count())
            .finish()
    }
}
