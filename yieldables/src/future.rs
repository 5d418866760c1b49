//! [`Future<T>`]: a result that will be set later (Tornado's `Future`).

use std::any::{Any, type_name};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use gust_ioloop::APP_LOG;
use gust_ioloop::protocol::panic_message;

use crate::error::{CancelledError, Error, InvalidStateError};

const NOT_READY: InvalidStateError = InvalidStateError::new("Result is not ready.");
const ALREADY_DONE: InvalidStateError = InvalidStateError::new("the future is already done");
const TAKEN: InvalidStateError =
    InvalidStateError::new("the future's result was already taken by another consumer");

/// A placeholder for a result that is not available yet (Tornado's
/// `tornado.concurrent.Future`, which is asyncio's `Future`).
///
/// A `Future` is a cheap, cloneable handle: clones share one result. It is
/// single-threaded (`!Send`); results from other threads arrive through the
/// loop (see executors). The producer calls [`set_result`](Future::set_result)
/// or [`set_exception`](Future::set_exception) once; consumers yield it from
/// a coroutine, `.await` it, or register a
/// [`done callback`](Future::add_done_callback).
///
/// # One result, several consumers
///
/// A Python result can be shared by reference; a Rust value has one owner.
/// gust hands a result out the Rust way:
///
/// * **moved** to whoever consumes the future by value: yielding it
///   (`co.yield_(fut)`), awaiting it, or [`take_result`](Future::take_result).
///   A second consumer by value gets an [`InvalidStateError`] saying the
///   result was taken;
/// * **copied** for whoever borrows it, when `T: Clone`:
///   [`result`](Future::result), yielding `&fut`, or `multi` over
///   `&Future`s. Any number of borrowers can read the same result.
///
/// Errors are always shared: every consumer of a failed future gets the same
/// [`Error`]. So a result meant for several waiters is either `Clone` (and
/// waited for by reference), or an `Rc<T>`.
///
/// # Callbacks run at once
///
/// Done callbacks run synchronously inside `set_result`, and
/// `add_done_callback` on a done future runs the callback at once (Tornado
/// 4's Future, and Tornado's `future_add_done_callback`). A coroutine waiting
/// on a future is nevertheless resumed from the loop, one iteration later:
/// the runner's callback only schedules it.
///
/// A future set *inside* a done callback (a chain: `chain_future`, nested
/// `with_timeout` or `multi`, any callback that resolves another future) is
/// done at once, but its own callbacks run after the current callback
/// returns, in the order their futures were set (breadth first, as
/// asyncio's scheduled callbacks): the outermost `set_result` runs them all
/// in a loop before it returns. So when it returns every future of the
/// chain is done and every callback has run, and a chain of any length
/// needs no more stack than a chain of one.
///
/// # Unobserved errors
///
/// A future whose error nobody retrieved logs
/// `Future exception was never retrieved: ERROR` (error level, target
/// `gust::application`) when its last handle is dropped, as Tornado 4.1+
/// does. Cancellations and closed-loop errors are not logged.
///
/// ```
/// use gust::concurrent::Future;
///
/// let f = Future::new();
/// let g = f.clone();
/// f.add_done_callback(|done: &Future<i32>| println!("done: {:?}", done.result()));
/// assert!(!g.done());
/// f.set_result(42).unwrap(); // prints "done: Ok(42)"
/// assert_eq!(g.result().unwrap(), 42);
/// assert!(f.set_result(43).is_err()); // a future is set once
/// ```
pub struct Future<T> {
    inner: Rc<Inner<T>>,
}

/// A non-owning reference to a [`Future`].
pub struct WeakFuture<T> {
    inner: Weak<Inner<T>>,
}

/// Identifies a future while it is alive (its address): what a test compares
/// to see what a coroutine is waiting on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FutureId(usize);

/// Something that waits on futures by token, allocation-free: the coroutine
/// runner. See `Future::add_waiter`.
pub trait Waiter {
    /// The future registered with `token` finished; `fired` is a handle to
    /// it (so its result outlives every other handle).
    fn wake(&self, token: u64, fired: AnyFuture);
    /// The future registered with `token` was dropped without a result: it
    /// never will have one.
    fn abandon(&self, token: u64);
}

/// Takes back a result nobody read: see [`Future::add_reclaimer`].
///
/// For primitives that hand values to waiters (gust-sync's queues): an item
/// handed to a consumer that is gone before it read it goes back where it
/// came from instead of vanishing with the future.
#[doc(hidden)]
pub trait Reclaim<T> {
    /// `value` was the result of a future dropped before anyone took or
    /// copied it.
    fn reclaim(&self, value: T);
}

/// A handle to a [`Future`] of some type, as a [`Waiter`] receives it.
pub struct AnyFuture(Rc<dyn Any>);

impl AnyFuture {
    /// The future, if it is a `Future<T>`.
    pub fn downcast<T: 'static>(self) -> Option<Future<T>> {
        self.0.downcast::<Inner<T>>().ok().map(|inner| Future { inner })
    }
}

impl fmt::Debug for AnyFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnyFuture({:p})", Rc::as_ptr(&self.0))
    }
}

struct Inner<T> {
    core: RefCell<Core<T>>,
    /// What the future stands for, for inspection (see [`Label`]).
    label: Cell<PackedLabel>,
}

/// What a pending future stands for, so that a coroutine parked on it can
/// say what it waits on: a sleep until some instant, a timeout, a `multi`
/// with children still pending, another coroutine's result...
///
/// Set by whoever makes the future (`sleep`, `with_timeout`, `multi`,
/// `WaitIterator::next`, a native task, a coroutine); read by the
/// coroutine runner when a coroutine parks on the future. For the runner
/// in gust-engine (see [`protocol`](crate::protocol)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Label {
    /// Nothing more is known than its result type.
    #[default]
    Plain,
    /// The result of the coroutine with this id (a `RunnerId`'s number).
    Coroutine(u64),
    /// The result of the native task with this id.
    Task(u64),
    /// A `sleep` until this instant (on the loop's clock).
    Sleep(std::time::Instant),
    /// A `with_timeout` that times out at this instant.
    Timeout(std::time::Instant),
    /// A `multi` with this many children still pending.
    Multi(usize),
    /// `WaitIterator::next` while none of its inputs is done.
    WaitIterator,
}

/// A future's [`Label`], read through a weak handle of unknown result type
/// (the runner keeps one for a `multi`, whose count of pending children
/// changes while the coroutine waits).
pub trait Labelled {
    /// The future's label now.
    fn label(&self) -> Label;
}

impl<T> Labelled for Inner<T> {
    fn label(&self) -> Label {
        self.label.get().unpack()
    }
}

/// A [`Label`] in 12 bytes (16 with alignment) instead of the enum's 24
/// (two of its variants hold an `Instant`, whose layout leaves no room for
/// the tag): every future carries one, so this keeps a future's allocation
/// a size class smaller. Lossless: an instant is kept as its distance from
/// a fixed instant of the process (before or after it).
#[derive(Clone, Copy)]
struct PackedLabel {
    /// The id, the count, or the whole seconds of the distance.
    word: u64,
    /// Below 1e9 (with the flag bits clear): the nanoseconds of the
    /// distance of a `Sleep`'s instant; with `TIMEOUT` set, a `Timeout`'s;
    /// with `BEFORE` set, the instant is before the epoch. From 1e9: one
    /// of the `TAG_` values, a variant without an instant.
    extra: u32,
}

/// Set in `extra`: a `Timeout`, not a `Sleep`.
const TIMEOUT: u32 = 1 << 31;
/// Set in `extra`: the instant is before the epoch.
const BEFORE: u32 = 1 << 30;
/// Nanoseconds in a second: the first value of `extra` that is a tag.
const NANOS: u32 = 1_000_000_000;
const TAG_PLAIN: u32 = NANOS;
const TAG_COROUTINE: u32 = NANOS + 1;
const TAG_TASK: u32 = NANOS + 2;
const TAG_MULTI: u32 = NANOS + 3;
const TAG_WAIT_ITERATOR: u32 = NANOS + 4;

/// The instant packed labels measure from (the first one asked for).
fn label_epoch() -> std::time::Instant {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(std::time::Instant::now)
}

impl PackedLabel {
    const PLAIN: PackedLabel = PackedLabel {
        word: 0,
        extra: TAG_PLAIN,
    };

    #[inline]
    fn pack(label: Label) -> PackedLabel {
        let tagged = |extra: u32, word: u64| PackedLabel { word, extra };
        match label {
            Label::Plain => PackedLabel::PLAIN,
            Label::Coroutine(id) => tagged(TAG_COROUTINE, id),
            Label::Task(id) => tagged(TAG_TASK, id),
            Label::Multi(pending) => tagged(TAG_MULTI, pending as u64),
            Label::WaitIterator => tagged(TAG_WAIT_ITERATOR, 0),
            Label::Sleep(at) => PackedLabel::instant(at, 0),
            Label::Timeout(at) => PackedLabel::instant(at, TIMEOUT),
        }
    }

    /// An instant's label: its distance from the epoch, and `flag`.
    #[inline(never)]
    fn instant(at: std::time::Instant, flag: u32) -> PackedLabel {
        let epoch = label_epoch();
        let (distance, flag) = match at.checked_duration_since(epoch) {
            Some(distance) => (distance, flag),
            None => (epoch.duration_since(at), flag | BEFORE),
        };
        PackedLabel {
            word: distance.as_secs(),
            extra: distance.subsec_nanos() | flag,
        }
    }

    #[inline]
    fn unpack(self) -> Label {
        match self.extra {
            TAG_PLAIN => Label::Plain,
            TAG_COROUTINE => Label::Coroutine(self.word),
            TAG_TASK => Label::Task(self.word),
            TAG_MULTI => Label::Multi(usize::try_from(self.word).unwrap_or(usize::MAX)),
            TAG_WAIT_ITERATOR => Label::WaitIterator,
            extra => self.unpack_instant(extra),
        }
    }

    #[cold]
    fn unpack_instant(self, extra: u32) -> Label {
        let distance = std::time::Duration::new(self.word, extra & !(TIMEOUT | BEFORE));
        let epoch = label_epoch();
        // The instant existed when it was packed, so it can be rebuilt.
        let at = if extra & BEFORE != 0 {
            epoch.checked_sub(distance)
        } else {
            epoch.checked_add(distance)
        };
        match at {
            Some(at) if extra & TIMEOUT != 0 => Label::Timeout(at),
            Some(at) => Label::Sleep(at),
            None => Label::Plain,
        }
    }
}

struct Core<T> {
    slot: Slot<T>,
    /// Dropped by hand in `Inner`'s `Drop`, which always leaves `Empty`
    /// behind (that holds nothing): the drop glue of a `Callbacks` is an
    /// out-of-line call, paid by every future, most of which have none left
    /// when they go.
    callbacks: ManuallyDrop<Callbacks<T>>,
    /// The error (or a copy of the value) has been looked at: dropping it
    /// logs nothing, and reclaims nothing.
    retrieved: bool,
    cancelled: bool,
    /// Done, with its callbacks queued on the thread's trampoline (not run
    /// yet): callbacks added meanwhile join the queue behind them.
    queued: bool,
}

// The trampoline: the callbacks of futures set while another future's
// callbacks run wait here for the outermost `set_result` to run them (see
// "Callbacks run at once" on [`Future`]). Per thread. `STATE` is a plain
// cell (no destructor, so reading it is a single thread-local access); the
// queue itself is touched only when a future is set inside a callback.
thread_local! {
    /// 0: no future's callbacks are running on this thread; otherwise 1 +
    /// the number of futures waiting in `QUEUE`.
    static STATE: Cell<usize> = const { Cell::new(0) };
    static QUEUE: RefCell<VecDeque<Rc<dyn Queued>>> = const { RefCell::new(VecDeque::new()) };
}

/// A done future whose callbacks wait on the trampoline.
trait Queued {
    fn run_queued(self: Rc<Self>);
}

impl<T: 'static> Queued for Inner<T> {
    fn run_queued(self: Rc<Self>) {
        let future = Future { inner: self };
        future.inner.core.borrow_mut().queued = false;
        future.run_callbacks();
    }
}

/// Marks the outermost callback run on this thread as over, even if a
/// callback unwinds (what is still queued then runs with the next one).
struct Outermost;

impl Drop for Outermost {
    #[inline]
    fn drop(&mut self) {
        STATE.set(0);
    }
}

/// Runs the futures queued on the trampoline until none is left (the
/// outermost call, after its own callbacks).
#[cold]
#[inline(never)]
fn run_queued() {
    loop {
        let next = QUEUE
            .try_with(|queue| queue.borrow_mut().pop_front())
            .ok()
            .flatten();
        let Some(queued) = next else {
            STATE.set(1);
            return;
        };
        STATE.set(STATE.get() - 1);
        queued.run_queued();
    }
}

enum Slot<T> {
    Pending,
    Value(T),
    Failed(Error),
    Taken,
}

/// A done callback of a `Future<T>`.
enum Callback<T> {
    Fn(Box<dyn DoneFn<T>>),
    Wake(Weak<dyn Waiter>, u64),
    Std(Waker),
    /// Not run when the future is done: kept until it is dropped, to take
    /// back a result nobody read.
    Reclaim(Weak<dyn Reclaim<T>>),
}

trait DoneFn<T> {
    fn call(self: Box<Self>, future: &Future<T>);
    fn name(&self) -> &'static str;
}

struct DoneClosure<F>(F);

impl<T, F: FnOnce(&Future<T>)> DoneFn<T> for DoneClosure<F> {
    fn call(self: Box<Self>, future: &Future<T>) {
        (self.0)(future)
    }
    fn name(&self) -> &'static str {
        type_name::<F>()
    }
}

/// Zero, one or many callbacks, without a `Vec` for the common single one.
enum Callbacks<T> {
    Empty,
    One(Callback<T>),
    Many(Vec<Callback<T>>),
}

impl<T> Callbacks<T> {
    /// Adds a callback. The first one (the usual case: one coroutine
    /// waiting) is inlined; `Empty` holds nothing, and forgetting it spares
    /// an out-of-line call to its drop glue.
    #[inline(always)]
    fn push(&mut self, callback: Callback<T>) {
        if let Callbacks::Empty = self {
            std::mem::forget(std::mem::replace(self, Callbacks::One(callback)));
        } else {
            self.push_more(callback);
        }
    }

    /// Adds a second or later callback.
    #[inline(never)]
    fn push_more(&mut self, callback: Callback<T>) {
        match self {
            Callbacks::Empty => std::mem::forget(std::mem::replace(self, Callbacks::One(callback))),
            Callbacks::Many(all) => all.push(callback),
            Callbacks::One(_) => {
                if let Callbacks::One(first) = std::mem::replace(self, Callbacks::Empty) {
                    *self = Callbacks::Many(vec![first, callback]);
                }
            }
        }
    }

    fn for_each(self, mut f: impl FnMut(Callback<T>)) {
        match self {
            Callbacks::Empty => {}
            Callbacks::One(cb) => f(cb),
            Callbacks::Many(all) => all.into_iter().for_each(f),
        }
    }
}

impl<T> Drop for Inner<T> {
    fn drop(&mut self) {
        let core = self.core.get_mut();
        if matches!(*core.callbacks, Callbacks::Empty) && !matches!(core.slot, Slot::Failed(_)) {
            return;
        }
        // Taken out first, so that they drop (with the rest of `Inner`)
        // even if what follows unwinds.
        let callbacks = std::mem::replace(&mut *core.callbacks, Callbacks::Empty);
        if let Slot::Failed(error) = &core.slot {
            if !core.retrieved && !error.is_cancellation() {
                gust_ioloop::gust_log!(target: APP_LOG, log::Level::Error, "Future exception was never retrieved: {error}");
            }
        }
        // A pending future dropped with waiters: they will never be woken.
        // A done one whose value nobody read gives it back to its reclaimer.
        let mut unread = match (&core.slot, core.retrieved) {
            (Slot::Value(_), false) => match std::mem::replace(&mut core.slot, Slot::Taken) {
                Slot::Value(value) => Some(value),
                _ => None,
            },
            _ => None,
        };
        callbacks.for_each(|callback| match callback {
            Callback::Wake(waiter, token) => {
                if let Some(waiter) = waiter.upgrade() {
                    waiter.abandon(token);
                }
            }
            Callback::Reclaim(reclaimer) => {
                if let (Some(reclaimer), Some(value)) = (reclaimer.upgrade(), unread.take()) {
                    reclaimer.reclaim(value);
                }
            }
            _ => {}
        });
    }
}

impl<T> Clone for Future<T> {
    fn clone(&self) -> Self {
        Future {
            inner: self.inner.clone(),
        }
    }
}

impl<T> Clone for WeakFuture<T> {
    fn clone(&self) -> Self {
        WeakFuture {
            inner: self.inner.clone(),
        }
    }
}

impl<T> WeakFuture<T> {
    /// The future, if a handle to it still exists.
    pub fn upgrade(&self) -> Option<Future<T>> {
        self.inner.upgrade().map(|inner| Future { inner })
    }
}

impl<T: 'static> Default for Future<T> {
    fn default() -> Self {
        Future::new()
    }
}

impl<T: 'static> Future<T> {
    /// A pending future.
    #[inline]
    pub fn new() -> Future<T> {
        Future::with_slot(Slot::Pending)
    }

    /// A future already resolved with `value`.
    #[inline]
    pub fn ready(value: T) -> Future<T> {
        Future::with_slot(Slot::Value(value))
    }

    /// A future already failed with `error`.
    pub fn failed(error: impl Into<Error>) -> Future<T> {
        Future::with_slot(Slot::Failed(error.into()))
    }

    /// A future already resolved with `result`.
    pub fn from_result(result: Result<T, Error>) -> Future<T> {
        match result {
            Ok(value) => Future::ready(value),
            Err(error) => Future::failed(error),
        }
    }

    #[inline]
    fn with_slot(slot: Slot<T>) -> Future<T> {
        Future {
            inner: Rc::new(Inner {
                core: RefCell::new(Core {
                    slot,
                    callbacks: ManuallyDrop::new(Callbacks::Empty),
                    retrieved: false,
                    cancelled: false,
                    queued: false,
                }),
                label: Cell::new(PackedLabel::PLAIN),
            }),
        }
    }

    /// Whether the future has a result or an error (or was cancelled).
    #[inline]
    pub fn done(&self) -> bool {
        !matches!(self.inner.core.borrow().slot, Slot::Pending)
    }

    /// Whether the future was cancelled.
    pub fn cancelled(&self) -> bool {
        self.inner.core.borrow().cancelled
    }

    /// Whether the future failed (a cancelled future failed with
    /// [`CancelledError`]). Does not count as retrieving the error.
    pub fn is_failed(&self) -> bool {
        matches!(self.inner.core.borrow().slot, Slot::Failed(_))
    }

    /// Sets the result and runs the done callbacks.
    ///
    /// A future is set once: on a done future this returns an
    /// [`InvalidStateError`] (and drops `value`).
    #[inline]
    pub fn set_result(&self, value: T) -> Result<(), InvalidStateError> {
        if self.settle(Slot::Value(value), false) {
            Ok(())
        } else {
            Err(ALREADY_DONE)
        }
    }

    /// Sets an error and runs the done callbacks. As `set_result`, an error
    /// on a done future.
    pub fn set_exception(&self, error: impl Into<Error>) -> Result<(), InvalidStateError> {
        if self.settle(Slot::Failed(error.into()), false) {
            Ok(())
        } else {
            Err(ALREADY_DONE)
        }
    }

    /// Sets the result or the error.
    pub fn set(&self, result: Result<T, Error>) -> Result<(), InvalidStateError> {
        match result {
            Ok(value) => self.set_result(value),
            Err(error) => self.set_exception(error),
        }
    }

    /// Sets the result unless the future was cancelled, in which case the
    /// value is dropped silently (Tornado's
    /// `future_set_result_unless_cancelled`).
    #[inline]
    pub fn set_result_unless_cancelled(&self, value: T) -> Result<(), InvalidStateError> {
        if self.cancelled() {
            return Ok(());
        }
        self.set_result(value)
    }

    /// Sets the error unless the future was cancelled, in which case the
    /// error is logged as `Exception after Future was cancelled: ERROR`
    /// (Tornado's `future_set_exception_unless_cancelled`).
    pub fn set_exception_unless_cancelled(&self, error: impl Into<Error>) -> Result<(), InvalidStateError> {
        let error = error.into();
        if self.cancelled() {
            if !error.is_cancellation() {
                gust_ioloop::gust_log!(target: APP_LOG, log::Level::Error, "Exception after Future was cancelled: {error}");
            }
            return Ok(());
        }
        self.set_exception(error)
    }

    /// Sets the result or error unless the future was cancelled (see the
    /// two methods above).
    pub fn set_unless_cancelled(&self, result: Result<T, Error>) -> Result<(), InvalidStateError> {
        match result {
            Ok(value) => self.set_result_unless_cancelled(value),
            Err(error) => self.set_exception_unless_cancelled(error),
        }
    }

    /// Cancels a pending future: it fails with [`CancelledError`] and its
    /// callbacks run. Returns `false` (and does nothing) if it was already
    /// done. Cancelling a coroutine's future does not stop the coroutine
    /// (as in Tornado); its eventual result is dropped.
    pub fn cancel(&self) -> bool {
        self.cancel_with(Error::new(CancelledError))
    }

    /// Cancels a pending future with `error` (a [`CancelledError`]).
    fn cancel_with(&self, error: Error) -> bool {
        self.settle(Slot::Failed(error), true)
    }

    /// Fills a pending future's slot and runs its callbacks; `false` (and
    /// `slot` dropped) if it was done already. The callbacks are taken out
    /// under the same borrow.
    #[inline(always)]
    fn settle(&self, slot: Slot<T>, cancelled: bool) -> bool {
        let callbacks = {
            let mut core = self.inner.core.borrow_mut();
            if !matches!(core.slot, Slot::Pending) {
                return false;
            }
            core.slot = slot;
            core.cancelled = cancelled;
            if matches!(*core.callbacks, Callbacks::Empty) {
                return true;
            }
            std::mem::replace(&mut *core.callbacks, Callbacks::Empty)
        };
        match callbacks {
            Callbacks::One(Callback::Fn(_)) | Callbacks::Many(_) => self.run_on_trampoline(callbacks),
            // The hot path (one coroutine or task waiting): no closure, so
            // no trampoline, and no out-of-line `for_each`.
            Callbacks::One(callback) => self.run_callback(callback),
            Callbacks::Empty => {}
        }
        true
    }

    /// Runs a done future's callbacks that may resolve other futures
    /// (closures). A panicking callback is logged (`Exception in callback
    /// NAME for FUTURE: ...`) and the others still run.
    ///
    /// They go through the thread's trampoline: inside another future's
    /// callbacks they are queued, and the outermost call runs the queue in
    /// a loop, so that a chain of futures never nests on the stack. Waking
    /// a coroutine or a task only schedules it, so a future with no closure
    /// among its callbacks (the hot path: a coroutine waiting on it) skips
    /// the trampoline.
    #[inline(never)]
    fn run_on_trampoline(&self, callbacks: Callbacks<T>) {
        let state = STATE.get();
        if state != 0 {
            self.queue_on_trampoline(state, callbacks);
            return;
        }
        STATE.set(1);
        let _outermost = Outermost;
        callbacks.for_each(|callback| self.run_callback(callback));
        if STATE.get() > 1 {
            run_queued();
        }
    }

    /// Inside another future's callbacks: the callbacks go back to the
    /// future, which is queued for the outermost call (or, while the thread
    /// is exiting and its queue is gone, they run here: no chain can be
    /// that long any more).
    #[cold]
    #[inline(never)]
    fn queue_on_trampoline(&self, state: usize, callbacks: Callbacks<T>) {
        let queued =
            QUEUE.try_with(|queue| queue.borrow_mut().push_back(self.inner.clone() as Rc<dyn Queued>));
        if queued.is_ok() {
            let mut core = self.inner.core.borrow_mut();
            *core.callbacks = callbacks;
            core.queued = true;
            STATE.set(state + 1);
        } else {
            callbacks.for_each(|callback| self.run_callback(callback));
        }
    }

    /// Runs and clears the done callbacks, here and now.
    fn run_callbacks(&self) {
        let callbacks = std::mem::replace(&mut *self.inner.core.borrow_mut().callbacks, Callbacks::Empty);
        callbacks.for_each(|callback| self.run_callback(callback));
    }

    #[inline]
    fn run_callback(&self, callback: Callback<T>) {
        match callback {
            Callback::Wake(waiter, token) => {
                if let Some(waiter) = waiter.upgrade() {
                    waiter.wake(token, self.to_any());
                }
            }
            Callback::Std(waker) => waker.wake(),
            // Kept for the drop.
            Callback::Reclaim(reclaimer) => self
                .inner
                .core
                .borrow_mut()
                .callbacks
                .push(Callback::Reclaim(reclaimer)),
            Callback::Fn(f) => {
                let name = f.name();
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| f.call(self))) {
                    gust_ioloop::gust_log!(
                        target: APP_LOG, log::Level::Error,
                        "Exception in callback {name} for {self:?}: {}",
                        panic_message(&*payload)
                    );
                }
            }
        }
    }

    /// Calls `callback(&future)` when the future is done; at once if it
    /// already is (Tornado's `future_add_done_callback`).
    pub fn add_done_callback<F>(&self, callback: F)
    where
        F: FnOnce(&Future<T>) + 'static,
    {
        self.add_callback(Callback::Fn(Box::new(DoneClosure(callback))));
    }

    /// Registers a [`Waiter`]: `waiter.wake(token, ..)` when the future is
    /// done (at once if it already is), `waiter.abandon(token)` if it is
    /// dropped without a result. Allocates nothing.
    // Hidden: for the coroutine runner in gust-engine (see `protocol`).
    #[doc(hidden)]
    #[inline]
    pub fn add_waiter(&self, waiter: Weak<dyn Waiter>, token: u64) {
        self.add_callback(Callback::Wake(waiter, token));
    }

    #[inline]
    fn add_callback(&self, callback: Callback<T>) {
        {
            let mut core = self.inner.core.borrow_mut();
            if matches!(core.slot, Slot::Pending) || core.queued {
                core.callbacks.push(callback);
                return;
            }
        }
        self.run_callback(callback);
    }

    /// Number of callbacks waiting for this future.
    pub fn callback_count(&self) -> usize {
        let core = self.inner.core.borrow();
        match &*core.callbacks {
            Callbacks::Empty => 0,
            Callbacks::One(Callback::Reclaim(_)) => 0,
            Callbacks::One(_) => 1,
            Callbacks::Many(all) => all
                .iter()
                .filter(|cb| !matches!(cb, Callback::Reclaim(_)))
                .count(),
        }
    }

    /// Whether anyone but the holder of this handle can still receive the
    /// result: another handle exists, or a done callback or a live waiter
    /// (a suspended coroutine) is registered. A std `Waker` alone does not
    /// count: it only wakes someone who holds a handle.
    ///
    /// For primitives that hand a value to the first of several waiters
    /// (gust-sync's locks and queues): a waiter nobody observes any more is
    /// skipped rather than handed a permit or an item.
    #[doc(hidden)]
    pub fn has_observers(&self) -> bool {
        if Rc::strong_count(&self.inner) > 1 {
            return true;
        }
        let observes = |cb: &Callback<T>| match cb {
            Callback::Fn(_) => true,
            Callback::Wake(waiter, _) => waiter.strong_count() > 0,
            Callback::Std(_) | Callback::Reclaim(_) => false,
        };
        match &*self.inner.core.borrow().callbacks {
            Callbacks::Empty => false,
            Callbacks::One(cb) => observes(cb),
            Callbacks::Many(all) => all.iter().any(observes),
        }
    }

    /// Takes the value back if nobody can read it any more: the future is
    /// done with a value nobody took or copied, and [`has_observers`]
    /// (Future::has_observers) is false. `None` otherwise.
    #[doc(hidden)]
    pub fn take_unobserved(&self) -> Option<T> {
        if self.has_observers() {
            return None;
        }
        let mut core = self.inner.core.borrow_mut();
        if core.retrieved || !matches!(core.slot, Slot::Value(_)) {
            return None;
        }
        match std::mem::replace(&mut core.slot, Slot::Taken) {
            Slot::Value(value) => Some(value),
            other => {
                core.slot = other;
                None
            }
        }
    }

    /// Registers `reclaimer` to receive the result if the future is
    /// dropped done with a value nobody took or copied (see [`Reclaim`]).
    /// The reclaimer is held weakly and survives completion. Allocates
    /// nothing.
    #[doc(hidden)]
    pub fn add_reclaimer(&self, reclaimer: Weak<dyn Reclaim<T>>) {
        self.inner
            .core
            .borrow_mut()
            .callbacks
            .push(Callback::Reclaim(reclaimer));
    }

    /// Takes the result out (moving it), or returns the error (shared; the
    /// error stays for other consumers). See the type's documentation.
    ///
    /// Errors: [`InvalidStateError`] if the future is pending or its result
    /// was already taken.
    #[inline]
    pub fn take_result(&self) -> Result<T, Error> {
        let mut core = self.inner.core.borrow_mut();
        match std::mem::replace(&mut core.slot, Slot::Taken) {
            Slot::Value(value) => Ok(value),
            Slot::Failed(error) => {
                core.slot = Slot::Failed(error.clone());
                core.retrieved = true;
                Err(error)
            }
            Slot::Pending => {
                core.slot = Slot::Pending;
                Err(Error::new(NOT_READY))
            }
            Slot::Taken => Err(Error::new(TAKEN)),
        }
    }

    /// The error, if the future failed (marks it retrieved). `None` if it
    /// succeeded or is still pending.
    pub fn exception(&self) -> Option<Error> {
        let mut core = self.inner.core.borrow_mut();
        match &core.slot {
            Slot::Failed(error) => {
                let error = error.clone();
                core.retrieved = true;
                Some(error)
            }
            _ => None,
        }
    }

    /// A weak reference to this future.
    pub fn downgrade(&self) -> WeakFuture<T> {
        WeakFuture {
            inner: Rc::downgrade(&self.inner),
        }
    }

    /// This future as an [`AnyFuture`].
    // Hidden: for the coroutine runner in gust-engine (see `protocol`).
    #[doc(hidden)]
    pub fn to_any(&self) -> AnyFuture {
        AnyFuture(self.inner.clone() as Rc<dyn Any>)
    }

    /// What this future stands for (see [`Label`]).
    // Hidden: for the coroutine runner in gust-engine (see `protocol`).
    #[doc(hidden)]
    #[inline]
    pub fn label(&self) -> Label {
        self.inner.label.get().unpack()
    }

    /// Sets what this future stands for (see [`Label`]).
    #[doc(hidden)]
    #[inline]
    pub fn set_label(&self, label: Label) {
        self.inner.label.set(PackedLabel::pack(label));
    }

    /// A weak handle through which the label can be read later, whatever
    /// the result type.
    #[doc(hidden)]
    pub fn labelled(&self) -> Weak<dyn Labelled> {
        Rc::downgrade(&self.inner) as Weak<dyn Labelled>
    }
}

impl<T: Clone + 'static> Future<T> {
    /// A copy of the result, or the error (Tornado's `result()`).
    ///
    /// Errors: [`InvalidStateError`] if the future is pending or its result
    /// was taken by a consumer by value.
    pub fn result(&self) -> Result<T, Error> {
        let mut core = self.inner.core.borrow_mut();
        match &core.slot {
            Slot::Value(value) => {
                let value = value.clone();
                core.retrieved = true;
                Ok(value)
            }
            Slot::Failed(error) => {
                let error = error.clone();
                core.retrieved = true;
                Err(error)
            }
            Slot::Pending => Err(Error::new(NOT_READY)),
            Slot::Taken => Err(Error::new(TAKEN)),
        }
    }
}

impl<T> Future<T> {
    /// The future's identity while it is alive.
    #[inline]
    pub fn id(&self) -> FutureId {
        FutureId(Rc::as_ptr(&self.inner) as *const () as usize)
    }

    /// Whether two handles are the same future.
    pub fn ptr_eq(&self, other: &Future<T>) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    fn state_name(&self) -> &'static str {
        match self.inner.core.try_borrow() {
            Ok(core) => match core.slot {
                Slot::Pending => "pending",
                Slot::Value(_) => "finished",
                Slot::Failed(_) if core.cancelled => "cancelled",
                Slot::Failed(_) => "failed",
                Slot::Taken => "finished (result taken)",
            },
            Err(_) => "busy",
        }
    }
}

impl<T> fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<Future<{}> {:#x} {}>",
            type_name::<T>(),
            self.id().0,
            self.state_name()
        )
    }
}

impl<T> fmt::Debug for WeakFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WeakFuture<{}>", type_name::<T>())
    }
}

/// Rust `async` code can `.await` a gust future: the output is the result,
/// moved out (see "One result, several consumers"), or the error.
impl<T: 'static> std::future::Future for Future<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut core = self.inner.core.borrow_mut();
        if matches!(core.slot, Slot::Pending) {
            // Register the waker once per task: replace our previous one if
            // it is still here.
            let waker = cx.waker();
            let already = match &*core.callbacks {
                Callbacks::One(Callback::Std(w)) => w.will_wake(waker),
                Callbacks::Many(all) => all
                    .iter()
                    .any(|cb| matches!(cb, Callback::Std(w) if w.will_wake(waker))),
                _ => false,
            };
            if !already {
                core.callbacks.push(Callback::Std(waker.clone()));
            }
            return Poll::Pending;
        }
        drop(core);
        Poll::Ready(self.take_result())
    }
}

/// Copies the outcome of `a` into `b` when `a` completes, unless `b` is
/// already done (Tornado's `chain_future`). If `a` is already done, `b` is
/// set at once. The result is taken from `a`: chain from a future nobody
/// else consumes, or use [`chain_future_cloned`].
///
/// If `a` is cancelled, `b` is cancelled too (Tornado 6.6).
pub fn chain_future<T: 'static>(a: &Future<T>, b: &Future<T>) {
    let b = b.clone();
    a.add_done_callback(move |a| {
        if a.cancelled() {
            b.cancel();
        } else if !b.done() {
            let _ = b.set(a.take_result());
        }
    });
}

/// Like [`chain_future`], copying the result so `a` keeps it.
pub fn chain_future_cloned<T: Clone + 'static>(a: &Future<T>, b: &Future<T>) {
    let b = b.clone();
    a.add_done_callback(move |a| {
        if a.cancelled() {
            b.cancel();
        } else if !b.done() {
            let _ = b.set(a.result());
        }
    });
}

/// Sets the outcome of a coroutine or a task into its future, as Tornado
/// 6.6's Runner (and asyncio's Task) do: an uncaught [`CancelledError`]
/// *cancels* the future; any other outcome is set unless the future was
/// cancelled meanwhile (then a value is dropped and an error logged, see
/// [`Future::set_unless_cancelled`]).
///
/// Errors: [`InvalidStateError`] if someone else already set the future.
// Hidden: for the coroutine runner in gust-engine and native tasks; see
// `protocol`.
#[inline]
pub fn set_task_outcome<T: 'static>(
    future: &Future<T>,
    outcome: Result<T, Error>,
) -> Result<(), InvalidStateError> {
    match outcome {
        Ok(value) => future.set_result_unless_cancelled(value),
        Err(error) if error.is::<CancelledError>() => {
            if future.cancelled() || future.cancel_with(error) {
                Ok(())
            } else {
                Err(ALREADY_DONE)
            }
        }
        Err(error) => future.set_exception_unless_cancelled(error),
    }
}

/// A future resolved with `value` (Tornado's `gen.maybe_future`, for
/// values that are not futures already).
#[must_use]
pub fn maybe_future<T: 'static>(value: T) -> Future<T> {
    Future::ready(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn take_moves_and_second_take_is_invalid_state() {
        let f = Future::ready(String::from("x"));
        assert_eq!(f.take_result().unwrap(), "x");
        let err = f.take_result().unwrap_err();
        assert!(err.is::<InvalidStateError>());
        assert!(f.done());
    }

    #[test]
    fn errors_are_shared_between_consumers() {
        let f: Future<i32> = Future::failed(Error::msg("boom"));
        let a = f.take_result().unwrap_err();
        let b = f.take_result().unwrap_err();
        assert!(a.ptr_eq(&b));
    }

    #[test]
    fn callbacks_run_inline_and_after() {
        let f = Future::new();
        let order = Rc::new(RefCell::new(Vec::new()));
        let o = order.clone();
        f.add_done_callback(move |_: &Future<u8>| o.borrow_mut().push(1));
        assert!(order.borrow().is_empty());
        f.set_result(1).unwrap();
        assert_eq!(*order.borrow(), vec![1]);
        let o = order.clone();
        f.add_done_callback(move |_| o.borrow_mut().push(2));
        assert_eq!(*order.borrow(), vec![1, 2]);
    }

    #[test]
    fn panicking_callback_does_not_stop_the_others() {
        let f = Future::new();
        let ran = Rc::new(Cell::new(false));
        let r = ran.clone();
        f.add_done_callback(|_: &Future<()>| panic!("callback bug"));
        f.add_done_callback(move |_| r.set(true));
        f.set_result(()).unwrap();
        assert!(ran.get());
    }

    struct Recorder(RefCell<Vec<(u64, bool)>>);
    impl Waiter for Recorder {
        fn wake(&self, token: u64, fired: AnyFuture) {
            assert!(fired.downcast::<i32>().is_some());
            self.0.borrow_mut().push((token, true));
        }
        fn abandon(&self, token: u64) {
            self.0.borrow_mut().push((token, false));
        }
    }

    #[test]
    fn waiters_are_woken_or_told_of_abandonment() {
        let rec = Rc::new(Recorder(RefCell::new(Vec::new())));
        let weak: Weak<dyn Waiter> = Rc::downgrade(&(rec.clone() as Rc<dyn Waiter>));
        let a = Future::<i32>::new();
        a.add_waiter(weak.clone(), 1);
        a.set_result(5).unwrap();
        let b = Future::<i32>::new();
        b.add_waiter(weak, 2);
        drop(b);
        assert_eq!(*rec.0.borrow(), vec![(1, true), (2, false)]);
    }

    struct Bin(RefCell<Vec<String>>);
    impl Reclaim<String> for Bin {
        fn reclaim(&self, value: String) {
            self.0.borrow_mut().push(value);
        }
    }

    #[test]
    fn an_unread_value_goes_back_to_its_reclaimer() {
        let bin = Rc::new(Bin(RefCell::new(Vec::new())));
        let weak: Weak<dyn Reclaim<String>> = Rc::downgrade(&(bin.clone() as Rc<dyn Reclaim<String>>));
        // Dropped unread: reclaimed.
        let f = Future::new();
        f.add_reclaimer(weak.clone());
        f.set_result("a".to_owned()).unwrap();
        drop(f);
        // Taken: nothing to reclaim.
        let f = Future::new();
        f.add_reclaimer(weak.clone());
        f.set_result("b".to_owned()).unwrap();
        assert_eq!(f.take_result().unwrap(), "b");
        drop(f);
        // Copied by a reader: not reclaimed either (it would be a duplicate).
        let f = Future::new();
        f.add_reclaimer(weak.clone());
        f.set_result("c".to_owned()).unwrap();
        assert_eq!(f.result().unwrap(), "c");
        drop(f);
        // Failed: nothing to reclaim.
        let f: Future<String> = Future::new();
        f.add_reclaimer(weak);
        f.set_exception(Error::msg("no")).unwrap();
        let _ = f.exception();
        drop(f);
        assert_eq!(*bin.0.borrow(), vec!["a".to_owned()]);
    }

    #[test]
    fn observers_are_handles_callbacks_and_live_waiters_not_wakers() {
        let f = Future::<u8>::new();
        assert!(!f.has_observers());
        let g = f.clone();
        assert!(f.has_observers());
        drop(g);
        // A std waker alone observes nothing.
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut polled = f.clone();
        assert!(Pin::new(&mut polled).poll(&mut cx).is_pending());
        drop(polled);
        assert!(!f.has_observers());
        assert_eq!(f.callback_count(), 1);
        // A waiter counts while it lives.
        let rec = Rc::new(Recorder(RefCell::new(Vec::new())));
        let weak: Weak<dyn Waiter> = Rc::downgrade(&(rec.clone() as Rc<dyn Waiter>));
        f.add_waiter(weak, 7);
        assert!(f.has_observers());
        drop(rec);
        assert!(!f.has_observers());
        f.add_done_callback(|_| {});
        assert!(f.has_observers());
    }

    #[test]
    fn take_unobserved_only_when_nobody_can_read() {
        let f = Future::ready(3u8);
        let g = f.clone();
        assert_eq!(f.take_unobserved(), None);
        drop(g);
        assert_eq!(f.take_unobserved(), Some(3));
        assert_eq!(f.take_unobserved(), None);
        let f = Future::ready(4u8);
        assert_eq!(f.result().unwrap(), 4);
        assert_eq!(f.take_unobserved(), None, "a copy was read");
    }

    #[test]
    fn cancel_only_pending() {
        let f = Future::<i32>::new();
        assert!(f.cancel());
        assert!(f.cancelled());
        assert!(!f.cancel());
        assert!(f.take_result().unwrap_err().is::<CancelledError>());
        assert!(f.set_result_unless_cancelled(3).is_ok());
    }

    #[test]
    fn labels_survive_packing_whatever_their_instant() {
        use std::time::{Duration, Instant};
        const YEAR: u64 = 365 * 24 * 3600;
        let now = Instant::now();
        let mut instants = vec![now, now + Duration::from_nanos(999_999_999)];
        instants.extend(now.checked_add(Duration::from_secs(400 * YEAR)));
        instants.extend(now.checked_sub(Duration::from_secs(1)));
        // The earliest instant this platform can represent, however far.
        let mut earliest = now;
        let mut step = Duration::from_secs(u64::MAX >> 2);
        while step > Duration::ZERO {
            match earliest.checked_sub(step) {
                Some(before) => earliest = before,
                None => step /= 2,
            }
        }
        instants.push(earliest);
        let mut labels = vec![
            Label::Plain,
            Label::Coroutine(0),
            Label::Coroutine(u64::MAX),
            Label::Task(7),
            Label::Multi(0),
            Label::Multi(usize::MAX),
            Label::WaitIterator,
        ];
        for at in instants {
            labels.push(Label::Sleep(at));
            labels.push(Label::Timeout(at));
        }
        let f = Future::<()>::new();
        assert_eq!(f.label(), Label::Plain);
        for label in labels {
            f.set_label(label);
            assert_eq!(f.label(), label);
            assert_eq!(f.labelled().upgrade().unwrap().label(), label);
        }
    }

    #[test]
    fn a_label_takes_no_more_than_sixteen_bytes_of_a_future() {
        // The allocation of a `Future<()>` (its reference counts included)
        // stays within 104 bytes: a 112-byte block in glibc's malloc, where
        // an unpacked label made it 128.
        assert!(std::mem::size_of::<PackedLabel>() <= 16);
        assert!(std::mem::size_of::<Inner<()>>() + 16 <= 104);
    }
}
