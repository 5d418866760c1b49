//! [`Semaphore`], [`BoundedSemaphore`] and the [`Guard`] an acquisition
//! returns. [`Lock`](super::Lock) is built on the same core.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use gust_ioloop::{APP_LOG, IOLoop};
use gust_yieldables::Future;
use thiserror::Error;

use crate::timeout::IntoTimeout;
use crate::waiters::{Timer, Waiter, Waiters, deliver, drop_swept, time_out};

/// [`BoundedSemaphore::release`] would have raised the value above its
/// initial value (Tornado's `ValueError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Error)]
#[error("Semaphore released too many times")]
pub struct TooManyReleasesError;

/// What a semaphore-like primitive is, for its bound and its messages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Semaphore,
    Bounded(usize),
    Lock,
}

/// The state shared by a semaphore's handles and guards.
pub(crate) struct Core {
    state: RefCell<State>,
    kind: Kind,
}

struct State {
    value: usize,
    waiters: Waiters<Guard>,
}

/// A release above the bound (of a bounded semaphore or a lock).
pub(crate) struct OverRelease;

impl Core {
    pub(crate) fn new(value: usize, kind: Kind) -> Rc<Core> {
        Rc::new(Core {
            state: RefCell::new(State {
                value,
                waiters: Waiters::new(),
            }),
            kind,
        })
    }

    /// Decrements the counter, at once if it is above zero; otherwise waits
    /// (FIFO) for a release.
    pub(crate) fn acquire(this: &Rc<Core>, timeout: impl IntoTimeout) -> Future<Guard> {
        {
            let mut state = this.state.borrow_mut();
            if state.value > 0 {
                state.value -= 1;
                drop(state);
                return Future::ready(Guard::new(this.clone()));
            }
        }
        let future = Future::new();
        let timer = Timer::for_waiter(
            timeout.into_timeout(),
            &future,
            Rc::downgrade(this),
            time_out,
            Core::note_timeout,
        );
        let swept = this
            .state
            .borrow_mut()
            .waiters
            .push(Waiter::new(future.clone(), (), timer));
        drop_swept(swept);
        future
    }

    /// Increments the counter and hands it to the first live waiter, if
    /// any (Tornado: `value += 1`, then a waiter takes it back).
    ///
    /// With nobody waiting this is one borrow and an increment; with a
    /// waiter, the permit goes over as a guard in one `set_result` (the
    /// counter never moves).
    pub(crate) fn release(this: &Rc<Core>) -> Result<(), OverRelease> {
        // The guard handed over, made on the first live waiter; a waiter
        // that lost its reader while being resolved gives it back.
        let mut permit: Option<Guard> = None;
        loop {
            let mut waiter = {
                let mut state = this.state.borrow_mut();
                if permit.is_none() {
                    match this.kind {
                        Kind::Bounded(bound) if state.value >= bound => return Err(OverRelease),
                        Kind::Lock if state.value >= 1 => return Err(OverRelease),
                        _ => {}
                    }
                }
                match state.waiters.pop_front() {
                    Some(waiter) => waiter,
                    None => {
                        state.value += 1;
                        drop(state);
                        if let Some(mut guard) = permit {
                            guard.disarm();
                        }
                        return Ok(());
                    }
                }
            };
            if !waiter.is_live() {
                continue;
            }
            waiter.cancel_timer();
            let guard = permit.take().unwrap_or_else(|| Guard::new(this.clone()));
            match deliver(&waiter.future, guard) {
                Ok(()) => return Ok(()),
                Err(back) => permit = Some(back),
            }
        }
    }

    fn note_timeout(&self) {
        let swept = self.state.borrow_mut().waiters.note_timeout();
        drop_swept(swept);
    }

    pub(crate) fn value(&self) -> usize {
        self.state.borrow().value
    }

    pub(crate) fn waiters(&self) -> usize {
        self.state.borrow().waiters.live_count()
    }

    /// Tornado's repr of a semaphore: `<Semaphore [unlocked,value:1]>`,
    /// `<Semaphore [locked,waiters:2]>`.
    pub(crate) fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.kind {
            Kind::Semaphore => "Semaphore",
            Kind::Bounded(_) | Kind::Lock => "BoundedSemaphore",
        };
        let Ok(state) = self.state.try_borrow() else {
            return write!(f, "<{name} (busy)>");
        };
        write!(f, "<{name} [")?;
        if state.value == 0 {
            f.write_str("locked")?;
        } else {
            write!(f, "unlocked,value:{}", state.value)?;
        }
        match state.waiters.live_count() {
            0 => {}
            n => write!(f, ",waiters:{n}")?,
        }
        f.write_str("]>")
    }

    fn kind(&self) -> Kind {
        self.kind
    }
}

/// A held semaphore (or lock): released when dropped.
///
/// This is the Rust form of Tornado's `with (yield sem.acquire()):` and
/// `async with sem:`: keep the guard in a variable for as long as you need
/// the semaphore, and it is released when the variable goes out of scope,
/// whether the scope ends normally, by `?`, or by a panic.
///
/// Bind it with `let _guard = ...`: `let _ = ...` drops it at once.
///
/// To release by hand instead (Tornado's `yield sem.acquire()` ...
/// `sem.release()`), [`forget`](Guard::forget) the guard and call
/// `release` later.
#[must_use = "the semaphore is released as soon as the guard is dropped; bind it with `let _guard = ...`"]
pub struct Guard {
    core: Option<Rc<Core>>,
}

impl Guard {
    fn new(core: Rc<Core>) -> Guard {
        Guard { core: Some(core) }
    }

    /// Keeps the semaphore acquired without releasing it on drop: someone
    /// must call `release` (as after Tornado's bare `yield sem.acquire()`).
    pub fn forget(mut self) {
        self.disarm();
    }

    fn disarm(&mut self) {
        self.core = None;
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let Some(core) = self.core.take() else {
            return;
        };
        if core.state.try_borrow_mut().is_err() {
            // Dropped while the semaphore's own state is in use (a guard
            // inside a value the semaphore is dropping): release from the
            // loop instead of re-entering.
            if let Some(io_loop) = IOLoop::current_opt() {
                io_loop.add_callback(move || release_from_guard(&core));
            } else {
                gust_ioloop::gust_log!(target: APP_LOG, log::Level::Error, "a semaphore guard was dropped with no loop to release it on");
            }
            return;
        }
        release_from_guard(&core);
    }
}

fn release_from_guard(core: &Rc<Core>) {
    if Core::release(core).is_err() {
        let message = match core.kind() {
            Kind::Lock => "release unlocked lock",
            _ => "Semaphore released too many times",
        };
        gust_ioloop::gust_log!(target: APP_LOG, log::Level::Error, "Exception in guard drop: {message}");
    }
}

impl fmt::Debug for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.core {
            Some(core) => {
                f.write_str("<Guard of ")?;
                core.describe(f)?;
                f.write_str(">")
            }
            None => f.write_str("<Guard (forgotten)>"),
        }
    }
}

/// A lock that can be acquired a fixed number of times before blocking
/// (Tornado's `tornado.locks.Semaphore`).
///
/// A semaphore manages a counter representing the number of
/// [`release`](Semaphore::release) calls minus the number of
/// [`acquire`](Semaphore::acquire) calls, plus an initial value. `acquire`
/// waits if necessary until it can return without making the counter
/// negative. A `Semaphore` is a cheap handle: clones share the counter.
///
/// Semaphores limit access to a shared resource. To allow access for two
/// workers at a time:
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use gust::gen_;
/// use gust::ioloop::ManualClock;
/// use gust::locks::Semaphore;
/// use gust::prelude::*;
///
/// // A clock that jumps to the next timer: the sleeps take no real time,
/// // and the order below does not depend on the machine's load.
/// let io_loop = IOLoop::with_clock(ManualClock::autojump());
/// let sem = Semaphore::new(2);
/// let printed = Rc::new(RefCell::new(Vec::new()));
///
/// let worker = |worker_id: u32| {
///     let (sem, printed) = (sem.clone(), printed.clone());
///     gen_::coroutine(move |co| {
///         let _guard = co.yield_(sem.acquire(None))?;
///         printed.borrow_mut().push(format!("Worker {worker_id} is working"));
///         co.yield_(gen_::sleep(std::time::Duration::from_millis(worker_id as u64 + 1)))?;
///         printed.borrow_mut().push(format!("Worker {worker_id} is done"));
///         Ok(())
///         // `_guard` is dropped here: the semaphore is released.
///     })
/// };
/// // Join all workers.
/// let workers: Vec<_> = (0..3).map(worker).collect();
/// io_loop.run_sync(move || workers, None).unwrap();
/// assert_eq!(
///     *printed.borrow(),
///     [
///         "Worker 0 is working",
///         "Worker 1 is working",
///         "Worker 0 is done",
///         "Worker 2 is working",
///         "Worker 1 is done",
///         "Worker 2 is done",
///     ]
/// );
/// ```
///
/// Workers 0 and 1 are allowed to run concurrently, but worker 2 waits
/// until the semaphore has been released once, by worker 0.
///
/// Acquiring returns a [`Guard`] that releases the semaphore when dropped:
/// the form of Tornado's `with (yield sem.acquire()):` and
/// `async with sem:`. In native code, `let _guard = sem.acquire(None).await?;`.
///
/// Waiters are served first come, first served. A waiter whose timeout
/// fired fails with [`TimeoutError`](gust_yieldables::TimeoutError) (empty
/// message, as Tornado's) and never takes a permit; a waiter whose
/// consumer is gone (its future dropped, its task abandoned) is skipped.
///
/// The initial value is a `usize`: Tornado's `ValueError('semaphore
/// initial value must be >= 0')` cannot happen.
#[derive(Clone)]
pub struct Semaphore {
    core: Rc<Core>,
}

impl Semaphore {
    /// A semaphore with counter `value`.
    pub fn new(value: usize) -> Semaphore {
        Semaphore {
            core: Core::new(value, Kind::Semaphore),
        }
    }

    /// Decrements the counter, waiting for a [`release`](Semaphore::release)
    /// if it is zero. The future fails with
    /// [`TimeoutError`](gust_yieldables::TimeoutError) after the timeout
    /// (see [`IntoTimeout`]).
    pub fn acquire(&self, timeout: impl IntoTimeout) -> Future<Guard> {
        Core::acquire(&self.core, timeout)
    }

    /// Increments the counter and wakes one waiter. A plain semaphore may
    /// be released any number of times: each release adds one to the
    /// counter.
    pub fn release(&self) {
        let _ = Core::release(&self.core);
    }

    /// The counter: how many more acquisitions succeed at once.
    pub fn value(&self) -> usize {
        self.core.value()
    }

    /// How many acquisitions are waiting.
    pub fn waiters(&self) -> usize {
        self.core.waiters()
    }
}

impl Default for Semaphore {
    /// `Semaphore::new(1)`, as Tornado's default.
    fn default() -> Self {
        Semaphore::new(1)
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.describe(f)
    }
}

/// A semaphore that prevents [`release`](BoundedSemaphore::release) being
/// called too many times (Tornado's `tornado.locks.BoundedSemaphore`).
///
/// If `release` would increment the semaphore's value past the initial
/// value, it returns [`TooManyReleasesError`]. Semaphores are mostly used
/// to guard resources with limited capacity, so a semaphore released too
/// many times is a sign of a bug.
///
/// ```
/// use gust::locks::{BoundedSemaphore, TooManyReleasesError};
///
/// let sem = BoundedSemaphore::new(1);
/// assert_eq!(sem.release(), Err(TooManyReleasesError));
/// let guard = sem.acquire(None).take_result().unwrap();
/// assert_eq!(sem.value(), 0);
/// drop(guard);
/// assert_eq!(sem.value(), 1);
/// ```
#[derive(Clone)]
pub struct BoundedSemaphore {
    core: Rc<Core>,
}

impl BoundedSemaphore {
    /// A bounded semaphore with counter (and bound) `value`.
    pub fn new(value: usize) -> BoundedSemaphore {
        BoundedSemaphore {
            core: Core::new(value, Kind::Bounded(value)),
        }
    }

    /// As [`Semaphore::acquire`].
    pub fn acquire(&self, timeout: impl IntoTimeout) -> Future<Guard> {
        Core::acquire(&self.core, timeout)
    }

    /// Increments the counter and wakes one waiter; an error if the counter
    /// would exceed its initial value.
    pub fn release(&self) -> Result<(), TooManyReleasesError> {
        Core::release(&self.core).map_err(|OverRelease| TooManyReleasesError)
    }

    /// The counter.
    pub fn value(&self) -> usize {
        self.core.value()
    }

    /// How many acquisitions are waiting.
    pub fn waiters(&self) -> usize {
        self.core.waiters()
    }
}

impl Default for BoundedSemaphore {
    /// `BoundedSemaphore::new(1)`, as Tornado's default.
    fn default() -> Self {
        BoundedSemaphore::new(1)
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.describe(f)
    }
}
