//! The event loop: [`IOLoop`].

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mio::Token;
use mio::event::Source;

use crate::callback::{Callback, CallbackResult, Cb, RawCallback, log_panic, run_callback};
use crate::clock::Clock;
use crate::current;
use crate::deadline::{Deadline, add_saturating};
use crate::error::IOLoopError;
use crate::extension::Extension;
use crate::handle::{LoopHandle, Remote};
use crate::handlers::{Events, HandlerId, Handlers};
use crate::timer_heap::{TimeoutHandle, TimerHeap};

/// The mio token of the loop's waker (never a handler's: handler tokens
/// have a generation in 1..u32::MAX in their upper half).
const WAKER_TOKEN: Token = Token(usize::MAX);

/// While callbacks are ready the loop does not make a system call to look
/// for I/O on every iteration, only once this many callbacks have run since
/// it last looked (tokio's `event_interval` is 61). An idle loop always
/// polls.
const IO_POLL_INTERVAL: u32 = 64;

/// How long a loop about to block spins first, waiting for a callback
/// from another thread (only on machines with more than one CPU, and only
/// when no fd handler is registered).
const IDLE_SPIN: Duration = Duration::from_micros(2);

/// How many events one poll can return.
const EVENTS_CAPACITY: usize = 1024;

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
/// 1. polls for I/O, waiting no longer than the next timer's deadline (a
///    loop about to block with no fd handler registered first spins for up
///    to 2 µs on the flag other threads raise, since waking from epoll
///    takes longer), and
///    not at all if callbacks are ready (with callbacks ready it looks for
///    I/O only every 64 callbacks, and not at all if no fd handler is
///    registered, to save the system call);
/// 2. moves callbacks sent from other threads to the ready queue;
/// 3. runs the handlers of file descriptors that became ready;
/// 4. collects every timer that is due, in deadline order (equal deadlines
///    in the order they were added);
/// 5. runs the callbacks that are in the ready queue now, in FIFO order,
///    then the due timers (a timer removed meanwhile, even by one of these
///    callbacks, does not run). Callbacks they add run in the next
///    iteration.
///
/// `IOLoop` is a cheap, cloneable handle (`Rc`); it is neither `Send` nor
/// `Sync`. Other threads use a [`LoopHandle`]. When the last handle is
/// dropped the loop is [closed](IOLoop::close).
///
/// ```
/// use std::time::Duration;
/// use gust_ioloop::IOLoop;
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

pub(crate) struct Inner {
    id: u64,
    ready: RefCell<VecDeque<Callback>>,
    /// The callbacks of the running iteration (swapped with `ready` at its
    /// start, so callbacks added meanwhile wait for the next one).
    spare: RefCell<VecDeque<Callback>>,
    timers: RefCell<TimerHeap>,
    /// The timers due in the current iteration (a reused buffer).
    due: RefCell<Vec<TimeoutHandle>>,
    handlers: RefCell<Handlers>,
    poll: RefCell<mio::Poll>,
    events: RefCell<mio::Events>,
    fired: RefCell<Vec<(Token, Events)>>,
    registry: mio::Registry,
    remote: Arc<Remote>,
    clock: Clock,
    running: Cell<bool>,
    stopping: Cell<bool>,
    closed: Cell<bool>,
    since_poll: Cell<u32>,
    /// Autojump with handlers: this iteration's poll is the grace poll;
    /// if it finds nothing, the clock jumps to this deadline.
    grace_jump: Cell<Option<Instant>>,
    iterations: Cell<u64>,
    extensions: RefCell<Vec<Rc<dyn Extension>>>,
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
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN)?;
        let io_loop = IOLoop {
            inner: Rc::new(Inner {
                id: NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed),
                ready: RefCell::new(VecDeque::with_capacity(64)),
                spare: RefCell::new(VecDeque::with_capacity(64)),
                timers: RefCell::new(TimerHeap::new(clock.now())),
                due: RefCell::new(Vec::new()),
                handlers: RefCell::new(Handlers::default()),
                poll: RefCell::new(poll),
                events: RefCell::new(mio::Events::with_capacity(EVENTS_CAPACITY)),
                fired: RefCell::new(Vec::new()),
                registry,
                remote: Arc::new(Remote::new(waker)),
                clock,
                running: Cell::new(false),
                stopping: Cell::new(false),
                closed: Cell::new(false),
                since_poll: Cell::new(0),
                grace_jump: Cell::new(None),
                iterations: Cell::new(0),
                extensions: RefCell::new(Vec::new()),
            }),
        };
        io_loop.make_current();
        Ok(io_loop)
    }

    pub(crate) fn from_inner(inner: Rc<Inner>) -> IOLoop {
        IOLoop { inner }
    }

    /// The thread's current loop: the one running on this thread, else the
    /// one most recently created or made current and still alive, else a
    /// default loop created now and kept for the rest of the thread's life.
    pub fn current() -> IOLoop {
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
        self.inner.ready.borrow().len()
    }

    /// Number of pending timers.
    pub fn timer_count(&self) -> usize {
        self.inner.timers.borrow().len()
    }

    /// Number of registered fd handlers.
    pub fn handler_count(&self) -> usize {
        self.inner.handlers.borrow().len()
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
        self.inner
            .ready
            .borrow_mut()
            .push_back(Callback::Boxed(Box::new(Cb(callback))));
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
    #[inline]
    pub fn add_callback_raw(&self, func: fn(&IOLoop, u64), data: u64) {
        if self.inner.closed.get() {
            return;
        }
        self.inner
            .ready
            .borrow_mut()
            .push_back(Callback::Raw(RawCallback { func, data }));
    }

    // ----------------------------------------------------------------
    // Timers
    // ----------------------------------------------------------------

    /// Runs `callback` at `deadline`: an [`Instant`] on the loop's clock
    /// (Tornado: a number) or a [`Duration`] from now (Tornado: a
    /// `timedelta`). A deadline already past runs in the next iteration.
    ///
    /// Returns a handle for [`remove_timeout`](IOLoop::remove_timeout).
    pub fn add_timeout<F, R>(&self, deadline: impl Into<Deadline>, callback: F) -> TimeoutHandle
    where
        F: FnOnce() -> R + 'static,
        R: CallbackResult,
    {
        let when = deadline.into().resolve(self.time());
        self.insert_timer(when, Callback::Boxed(Box::new(Cb(callback))))
    }

    /// Runs `callback` after `delay`. `call_later(Duration::ZERO, f)` runs
    /// `f` in the next iteration, not a clock tick later.
    pub fn call_later<F, R>(&self, delay: Duration, callback: F) -> TimeoutHandle
    where
        F: FnOnce() -> R + 'static,
        R: CallbackResult,
    {
        let when = add_saturating(self.time(), delay);
        self.insert_timer(when, Callback::Boxed(Box::new(Cb(callback))))
    }

    /// Runs `callback` at `when`, an instant on the loop's clock.
    pub fn call_at<F, R>(&self, when: Instant, callback: F) -> TimeoutHandle
    where
        F: FnOnce() -> R + 'static,
        R: CallbackResult,
    {
        self.insert_timer(when, Callback::Boxed(Box::new(Cb(callback))))
    }

    /// Schedules `func(self, data)` at `when` without allocating a closure.
    pub fn call_at_raw(&self, when: Instant, func: fn(&IOLoop, u64), data: u64) -> TimeoutHandle {
        self.insert_timer(when, Callback::Raw(RawCallback { func, data }))
    }

    fn insert_timer(&self, when: Instant, callback: Callback) -> TimeoutHandle {
        if self.inner.closed.get() {
            drop(callback);
            return TimeoutHandle::dead();
        }
        self.inner.timers.borrow_mut().insert(when, callback)
    }

    /// Cancels a pending timeout. Returns whether it was still pending;
    /// removing a timeout that fired or was removed already does nothing.
    pub fn remove_timeout(&self, handle: TimeoutHandle) -> bool {
        let removed = self.inner.timers.borrow_mut().remove(handle);
        // The callback is dropped here, outside the borrow: its destructor
        // may use the loop.
        removed.is_some()
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
    /// use gust_ioloop::{Events, IOLoop};
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
        let id = self.inner.handlers.borrow_mut().insert(events, Box::new(handler));
        if let Err(e) = self
            .inner
            .registry
            .register(source, id.token(), events.interest())
        {
            let removed = self.inner.handlers.borrow_mut().remove(id);
            drop(removed);
            return Err(e);
        }
        Ok(id)
    }

    /// Changes which events the handler `id` of `source` hears about.
    pub fn update_handler<S>(&self, source: &mut S, id: HandlerId, events: Events) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        let previous = {
            let mut handlers = self.inner.handlers.borrow_mut();
            let entry = handlers
                .get_mut(id)
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such handler"))?;
            std::mem::replace(&mut entry.events, events)
        };
        let result = self
            .inner
            .registry
            .reregister(source, id.token(), events.interest());
        if result.is_err() {
            if let Some(entry) = self.inner.handlers.borrow_mut().get_mut(id) {
                entry.events = previous;
            }
        }
        result
    }

    /// Stops calling the handler `id` and deregisters `source`. Removing a
    /// handler that is not registered does nothing (as in Tornado).
    pub fn remove_handler<S>(&self, source: &mut S, id: HandlerId) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        let removed = self.inner.handlers.borrow_mut().remove(id);
        match removed {
            None => Ok(()),
            Some(entry) => {
                let result = self.inner.registry.deregister(source);
                drop(entry);
                result
            }
        }
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
    pub fn start(&self) -> Result<(), IOLoopError> {
        let _running = self.enter()?;
        loop {
            self.iterate(None);
            if self.inner.stopping.replace(false) {
                return Ok(());
            }
        }
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
    /// steps through what the loop does, one iteration at a time.
    pub fn run_once(&self, max_wait: Option<Duration>) -> Result<(), IOLoopError> {
        let _running = self.enter()?;
        self.iterate(max_wait);
        Ok(())
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
            self.iterate(Some(Duration::ZERO));
            count += 1;
        }
        Ok(count)
    }

    /// Runs `n` iterations without blocking.
    pub fn run_iterations(&self, n: u64) -> Result<(), IOLoopError> {
        let _running = self.enter()?;
        for _ in 0..n {
            self.iterate(Some(Duration::ZERO));
        }
        Ok(())
    }

    /// Whether the next iteration has work without waiting: callbacks
    /// ready, a timer due, or callbacks from other threads.
    pub fn has_ready_work(&self) -> bool {
        let inner = &*self.inner;
        if !inner.ready.borrow().is_empty() || inner.remote.is_notified() {
            return true;
        }
        match inner.timers.borrow_mut().next_deadline() {
            Some(deadline) => deadline <= inner.clock.now(),
            None => false,
        }
    }

    /// How long the next poll may wait, before `max_wait` is applied.
    fn poll_timeout(&self) -> Option<Duration> {
        let inner = &*self.inner;
        if inner.stopping.get() || !inner.ready.borrow().is_empty() || inner.remote.is_notified() {
            return Some(Duration::ZERO);
        }
        let deadline = inner.timers.borrow_mut().next_deadline()?;
        let now = inner.clock.now();
        if deadline <= now {
            return Some(Duration::ZERO);
        }
        match inner.clock.as_manual() {
            None => Some(deadline - now),
            Some(manual) if manual.is_autojump() => {
                // With fds registered, I/O may be on its way: poll for it
                // first (briefly, in real time), and jump only if that poll
                // found nothing (see `iterate`).
                if inner.handlers.borrow().len() > 0 {
                    inner.grace_jump.set(Some(deadline));
                    return Some(AUTOJUMP_IO_GRACE);
                }
                manual.set(deadline);
                Some(Duration::ZERO)
            }
            // Manual time does not pass while we wait: only I/O or another
            // thread can wake us.
            Some(_) => None,
        }
    }

    /// One iteration. See the type's documentation.
    fn iterate(&self, max_wait: Option<Duration>) {
        let inner = &*self.inner;
        inner.iterations.set(inner.iterations.get() + 1);

        let mut timeout = self.poll_timeout();
        // Busy means the loop itself has work ready; a caller's zero
        // `max_wait` only forbids blocking, it must not skip the I/O poll.
        let busy = timeout == Some(Duration::ZERO);
        if let Some(max) = max_wait {
            timeout = Some(timeout.map_or(max, |t| t.min(max)));
        }
        // With work ready, look for I/O only now and then, and never when no
        // handler is registered (the waker is a flag check away).
        let polled =
            !busy || (inner.since_poll.get() >= IO_POLL_INTERVAL && inner.handlers.borrow().len() > 0);
        if polled {
            self.poll_io(timeout);
        }
        if let Some(deadline) = inner.grace_jump.take() {
            if inner.fired.borrow().is_empty() && !inner.remote.is_notified() {
                if let Some(manual) = inner.clock.as_manual() {
                    manual.set(deadline);
                }
            }
        }

        let mut ready_count = 0usize;
        if inner.remote.is_notified() {
            let remote = inner.remote.take();
            let mut ready = inner.ready.borrow_mut();
            for callback in remote {
                ready.push_back(Callback::Boxed(callback));
            }
        }

        if polled {
            self.dispatch_io();
        }

        // Due timers run after the callbacks already ready, in deadline
        // order. They stay in the timer heap until their turn, so that an
        // earlier callback of this iteration can still remove them (Tornado's
        // test_remove_timeout_from_timeout).
        let due = if inner.timers.borrow().len() > 0 {
            let mut due = std::mem::take(&mut *inner.due.borrow_mut());
            due.clear();
            let now = inner.clock.now();
            inner.timers.borrow_mut().pop_due(now, &mut due);
            Some(due)
        } else {
            None
        };

        // Run the callbacks ready now; those they add go to the (empty)
        // queue swapped in, for the next iteration.
        std::mem::swap(&mut *inner.ready.borrow_mut(), &mut *inner.spare.borrow_mut());
        loop {
            let next = inner.spare.borrow_mut().pop_front();
            let Some(callback) = next else {
                break;
            };
            run_callback(self, callback);
            ready_count += 1;
        }
        if let Some(mut due) = due {
            for &handle in &due {
                let callback = inner.timers.borrow_mut().take_due(handle);
                if let Some(callback) = callback {
                    run_callback(self, callback);
                    ready_count += 1;
                }
            }
            due.clear();
            *inner.due.borrow_mut() = due;
        }
        inner
            .since_poll
            .set(inner.since_poll.get().saturating_add(ready_count as u32));
    }

    /// Polls mio, retrying on EINTR, and records what fired.
    fn poll_io(&self, mut timeout: Option<Duration>) {
        let inner = &*self.inner;
        inner.since_poll.set(0);
        // About to block: first spin briefly on the cross-thread flag (a
        // reply from another thread often comes within microseconds, and
        // waking from epoll costs more), then tell other threads we may
        // block, so that they write the waker.
        let blocking = timeout != Some(Duration::ZERO);
        // The spin is for loops that wait only for other threads: with fd
        // handlers registered the next event is most likely I/O, which
        // only the poll can see, so spinning would only delay it.
        let spin = inner.handlers.borrow().len() == 0;
        if blocking && ((spin && inner.remote.spin_until_notified(IDLE_SPIN)) || !inner.remote.enter_sleep())
        {
            timeout = Some(Duration::ZERO);
        }
        let started = Instant::now();
        let mut poll = inner.poll.borrow_mut();
        let mut events = inner.events.borrow_mut();
        let mut wait = timeout;
        loop {
            match poll.poll(&mut events, wait) {
                Ok(()) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    wait = timeout.map(|t| t.saturating_sub(started.elapsed()));
                }
                Err(e) => {
                    log::error!(target: crate::APP_LOG, "IOLoop poll failed: {e}");
                    events.clear();
                    break;
                }
            }
        }
        if blocking {
            inner.remote.leave_sleep();
        }
        let mut fired = inner.fired.borrow_mut();
        for event in events.iter() {
            if event.token() != WAKER_TOKEN {
                fired.push((event.token(), Events::from_mio(event)));
            }
        }
    }

    /// Runs the handlers of the events the last poll returned.
    fn dispatch_io(&self) {
        let inner = &*self.inner;
        if inner.fired.borrow().is_empty() {
            return;
        }
        let fired = std::mem::take(&mut *inner.fired.borrow_mut());
        for &(token, events) in &fired {
            let id = HandlerId::from_token(token);
            let taken = {
                let mut handlers = inner.handlers.borrow_mut();
                match handlers.get_mut(id) {
                    Some(entry) => {
                        let deliver = events & (entry.events | Events::ERROR);
                        if deliver.is_empty() {
                            None
                        } else {
                            entry.handler.take().map(|h| (h, deliver))
                        }
                    }
                    None => None,
                }
            };
            let Some((mut handler, deliver)) = taken else {
                continue;
            };
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| handler(deliver))) {
                log_panic("fd handler", &*payload);
            }
            // Put the handler back unless it removed itself meanwhile.
            let mut handler = Some(handler);
            if let Some(entry) = inner.handlers.borrow_mut().get_mut(id) {
                if entry.handler.is_none() {
                    entry.handler = handler.take();
                }
            }
            drop(handler);
        }
        // Keep the buffer's capacity.
        let mut fired = fired;
        fired.clear();
        let mut slot = inner.fired.borrow_mut();
        if slot.is_empty() {
            *slot = fired;
        }
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
    /// Closing a running loop is an error; closing twice does nothing.
    /// Dropping the last handle of a loop closes it.
    pub fn close(&self) -> Result<(), IOLoopError> {
        if self.inner.running.get() {
            return Err(IOLoopError::CloseWhileRunning);
        }
        if self.inner.closed.replace(true) {
            return Ok(());
        }
        let extensions = std::mem::take(&mut *self.inner.extensions.borrow_mut());
        for extension in &extensions {
            extension.close(self);
        }
        drop(extensions);
        // Take everything out before dropping it: destructors may call back
        // into the loop.
        let ready = std::mem::take(&mut *self.inner.ready.borrow_mut());
        let timers = self.inner.timers.borrow_mut().drain();
        let remote = self.inner.remote.close();
        let handlers = self.inner.handlers.borrow_mut().drain();
        drop(ready);
        drop(timers);
        drop(remote);
        drop(handlers);
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
                .push(made.clone() as Rc<dyn Extension>);
        }
        made
    }

    /// The loop's extension of type `E`, if it has one.
    pub fn find_extension<E: Extension>(&self) -> Option<Rc<E>> {
        let extensions = self.inner.extensions.borrow();
        extensions.iter().find_map(|ext| {
            let any: Rc<dyn Any> = ext.clone();
            any.downcast::<E>().ok()
        })
    }
}

impl Default for IOLoop {
    fn default() -> Self {
        IOLoop::new()
    }
}

impl Drop for IOLoop {
    fn drop(&mut self) {
        if Rc::strong_count(&self.inner) == 1 && !self.inner.closed.get() && !self.inner.running.get() {
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
            .field("ready", &self.inner.ready.borrow().len())
            .field("timers", &self.inner.timers.borrow().len())
            .field("handlers", &self.inner.handlers.borrow().len())
            .finish()
    }
}
