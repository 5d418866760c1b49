//! [`PeriodicCallback`]: a callback run every period, on a fixed grid.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::callback::{CallbackResult, log_panic};
use crate::io_loop::{IOLoop, WeakIOLoop};
use crate::timer_heap::TimeoutHandle;

/// `PeriodicCallback::new` was given a zero period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("Periodic callback must have a positive callback_time")]
pub struct NonPositivePeriodError;

/// [`PeriodicCallback::with_jitter`] was given a jitter that is not a
/// finite number in `[0, 2)`: NaN or an infinity would make every period
/// zero (a busy loop), a negative one means nothing, and from 2 on a period
/// could be zero or negative.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
#[error("PeriodicCallback jitter must be a finite number in [0, 2), not {0}")]
pub struct InvalidJitterError(pub f64);

/// Runs the user's callback; calls the last argument once the work it
/// returned (if any) has finished.
type RunFn = Box<dyn FnMut(&IOLoop, &PeriodicHandle, Box<dyn FnOnce()>)>;

/// Schedules a callback to be called periodically (Tornado's
/// `PeriodicCallback`).
///
/// The first call happens one period after [`start`](Self::start). Calls
/// stay on the grid `start + k * period`: if a call overruns, whole missed
/// periods are skipped (no burst of catch-up calls); if the clock goes
/// backwards, the next call is simply one period after the previous
/// deadline. With jitter `j`, each period is multiplied by a random factor
/// in `1 ± j/2`.
///
/// If the callback returns a coroutine's future (anything implementing
/// [`CallbackResult`] that stands for work in progress), the next call is
/// scheduled only when it finishes, so calls never overlap (Tornado 6.2).
/// A panic in the callback is logged and the schedule continues.
///
/// A callback that must stop its own `PeriodicCallback` (Tornado's
/// `self.pc.stop()`) is made with [`with_handle`](Self::with_handle): it
/// receives a [`PeriodicHandle`]. Other code gets one from
/// [`handle`](Self::handle).
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use gust::ioloop::{IOLoop, ManualClock, PeriodicCallback};
///
/// let clock = ManualClock::autojump();
/// let io_loop = IOLoop::with_clock(&clock);
/// let start = io_loop.time();
/// let calls = Rc::new(Cell::new(0));
/// let seen = calls.clone();
/// let pc = PeriodicCallback::new(
///     move || {
///         seen.set(seen.get() + 1);
///         if seen.get() == 3 {
///             IOLoop::current().stop();
///         }
///     },
///     Duration::from_secs(10),
/// )
/// .unwrap();
/// pc.start();
/// io_loop.start().unwrap();
/// assert_eq!(calls.get(), 3);
/// assert_eq!(io_loop.time() - start, Duration::from_secs(30));
/// pc.stop();
/// ```
pub struct PeriodicCallback {
    state: Rc<State>,
}

struct State {
    run: RefCell<Option<RunFn>>,
    name: &'static str,
    period: Duration,
    jitter: Cell<f64>,
    random: RefCell<Box<dyn FnMut() -> f64>>,
    running: Cell<bool>,
    /// Bumped by every `start`, so that a call still in flight from before a
    /// stop/start does not schedule a second chain.
    generation: Cell<u64>,
    io_loop: RefCell<WeakIOLoop>,
    next_timeout: Cell<Option<Instant>>,
    timeout: Cell<Option<TimeoutHandle>>,
}

impl PeriodicCallback {
    /// A periodic callback calling `callback` every `period`. Not started.
    ///
    /// A zero period is an error, as in Tornado.
    pub fn new<F, R>(mut callback: F, period: Duration) -> Result<PeriodicCallback, NonPositivePeriodError>
    where
        F: FnMut() -> R + 'static,
        R: CallbackResult,
    {
        PeriodicCallback::make(std::any::type_name::<F>(), period, move |_| callback())
    }

    /// Like [`new`](Self::new), the callback receiving a handle to its own
    /// `PeriodicCallback`, with which it can stop it.
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// use gust::ioloop::{IOLoop, ManualClock, PeriodicCallback, PeriodicHandle};
    ///
    /// let clock = ManualClock::autojump();
    /// let io_loop = IOLoop::with_clock(&clock);
    /// let calls = Rc::new(Cell::new(0));
    /// let seen = calls.clone();
    /// let pc = PeriodicCallback::with_handle(
    ///     move |pc: &PeriodicHandle| {
    ///         seen.set(seen.get() + 1);
    ///         if seen.get() == 3 {
    ///             pc.stop(); // Tornado's self.pc.stop()
    ///             IOLoop::current().stop();
    ///         }
    ///     },
    ///     Duration::from_secs(1),
    /// )
    /// .unwrap();
    /// pc.start();
    /// io_loop.start().unwrap();
    /// assert_eq!(calls.get(), 3);
    /// assert!(!pc.is_running());
    /// ```
    pub fn with_handle<F, R>(
        callback: F,
        period: Duration,
    ) -> Result<PeriodicCallback, NonPositivePeriodError>
    where
        F: FnMut(&PeriodicHandle) -> R + 'static,
        R: CallbackResult,
    {
        PeriodicCallback::make(std::any::type_name::<F>(), period, callback)
    }

    fn make<F, R>(
        name: &'static str,
        period: Duration,
        mut callback: F,
    ) -> Result<PeriodicCallback, NonPositivePeriodError>
    where
        F: FnMut(&PeriodicHandle) -> R + 'static,
        R: CallbackResult,
    {
        if period.is_zero() {
            return Err(NonPositivePeriodError);
        }
        let run: RunFn = Box::new(
            move |io_loop: &IOLoop, handle: &PeriodicHandle, then: Box<dyn FnOnce()>| {
                callback(handle).finish(io_loop, name, Some(then));
            },
        );
        Ok(PeriodicCallback {
            state: Rc::new(State {
                run: RefCell::new(Some(run)),
                name,
                period,
                jitter: Cell::new(0.0),
                random: RefCell::new(Box::new(default_random())),
                running: Cell::new(false),
                generation: Cell::new(0),
                io_loop: RefCell::new(WeakIOLoop::default()),
                next_timeout: Cell::new(None),
                timeout: Cell::new(None),
            }),
        })
    }

    /// Sets the jitter: each period is multiplied by `1 + jitter * (r -
    /// 0.5)` for a random `r` in `[0, 1)`, so `0.1` means ±5%.
    ///
    /// Errors: [`InvalidJitterError`] unless `jitter` is a finite number in
    /// `[0, 2)`.
    pub fn with_jitter(self, jitter: f64) -> Result<PeriodicCallback, InvalidJitterError> {
        if !(0.0..2.0).contains(&jitter) {
            return Err(InvalidJitterError(jitter));
        }
        self.state.jitter.set(jitter);
        Ok(self)
    }

    /// Replaces the random source used for jitter (values in `[0, 1)`);
    /// tests use it as Tornado's tests patch `random.random`. Values outside
    /// `[0, 1)` are clamped into it, and NaN counts as 0.5.
    #[must_use]
    pub fn with_random(self, random: impl FnMut() -> f64 + 'static) -> PeriodicCallback {
        *self.state.random.borrow_mut() = Box::new(random);
        self
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.state.period
    }

    /// Starts the timer on the current loop; the first call is one period
    /// from now. Starting a running callback does nothing.
    ///
    /// If there is no current loop and none can be made (out of file
    /// descriptors), the error is logged and the callback stays stopped;
    /// [`try_start`](Self::try_start) returns it instead.
    pub fn start(&self) {
        if let Err(e) = start(&self.state) {
            crate::gust_log!(target: crate::APP_LOG, log::Level::Error, "PeriodicCallback {} not started: cannot create an IOLoop: {e}", self.state.name);
        }
    }

    /// Like [`start`](Self::start), returning the operating system's error
    /// if there is no current loop and none can be made.
    pub fn try_start(&self) -> std::io::Result<()> {
        start(&self.state)
    }

    /// Stops the timer. A call in progress finishes; no further call is
    /// made.
    pub fn stop(&self) {
        stop(&self.state);
    }

    /// Whether the callback is started.
    pub fn is_running(&self) -> bool {
        self.state.running.get()
    }

    /// A handle that can stop or restart this `PeriodicCallback` from
    /// elsewhere, without keeping it alive.
    pub fn handle(&self) -> PeriodicHandle {
        PeriodicHandle {
            state: Rc::downgrade(&self.state),
        }
    }
}

/// A weak handle to a [`PeriodicCallback`]: what its callback receives
/// (see [`PeriodicCallback::with_handle`]), and what
/// [`PeriodicCallback::handle`] returns. Once the `PeriodicCallback` is
/// dropped, the handle does nothing.
#[derive(Clone)]
pub struct PeriodicHandle {
    state: Weak<State>,
}

impl PeriodicHandle {
    /// Stops the `PeriodicCallback` ([`PeriodicCallback::stop`]).
    pub fn stop(&self) {
        if let Some(state) = self.state.upgrade() {
            stop(&state);
        }
    }

    /// Starts it again on the current loop ([`PeriodicCallback::start`]).
    pub fn start(&self) {
        if let Some(state) = self.state.upgrade() {
            if let Err(e) = start(&state) {
                crate::gust_log!(target: crate::APP_LOG, log::Level::Error, "PeriodicCallback {} not started: cannot create an IOLoop: {e}", state.name);
            }
        }
    }

    /// Whether it is started (false once it is dropped).
    pub fn is_running(&self) -> bool {
        self.state.upgrade().is_some_and(|state| state.running.get())
    }
}

impl fmt::Debug for PeriodicHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.state.upgrade() {
            Some(state) => f
                .debug_struct("PeriodicHandle")
                .field("callback", &state.name)
                .field("running", &state.running.get())
                .finish(),
            None => f.write_str("PeriodicHandle(<dropped>)"),
        }
    }
}

fn start(state: &Rc<State>) -> std::io::Result<()> {
    if state.running.get() {
        return Ok(());
    }
    let io_loop = IOLoop::try_current()?;
    state.running.set(true);
    state.generation.set(state.generation.get() + 1);
    *state.io_loop.borrow_mut() = io_loop.downgrade();
    state.next_timeout.set(Some(io_loop.time()));
    schedule_next(state, &io_loop);
    Ok(())
}

fn stop(state: &State) {
    state.running.set(false);
    if let Some(handle) = state.timeout.take() {
        if let Some(io_loop) = state.io_loop.borrow().upgrade() {
            io_loop.remove_timeout(handle);
        }
    }
}

impl Drop for PeriodicCallback {
    /// Dropping a periodic callback stops it.
    fn drop(&mut self) {
        self.stop();
    }
}

impl fmt::Debug for PeriodicCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeriodicCallback")
            .field("callback", &self.state.name)
            .field("period", &self.state.period)
            .field("running", &self.state.running.get())
            .finish()
    }
}

/// Tornado's `_schedule_next`.
fn schedule_next(state: &Rc<State>, io_loop: &IOLoop) {
    if !state.running.get() {
        return;
    }
    update_next(state, io_loop.time());
    let Some(next) = state.next_timeout.get() else {
        return;
    };
    let weak = Rc::downgrade(state);
    let handle = io_loop.add_timeout(next, move || run(&weak));
    state.timeout.set(Some(handle));
}

/// Tornado's `_update_next`: the next deadline on the original grid.
fn update_next(state: &State, now: Instant) {
    let mut period = state.period;
    let jitter = state.jitter.get();
    if jitter != 0.0 {
        let r = (state.random.borrow_mut())();
        // Whatever the source returns, r ends in [0, 1).
        let r = if r.is_nan() {
            0.5
        } else {
            r.clamp(0.0, 1.0 - f64::EPSILON / 2.0)
        };
        let factor = 1.0 + jitter * (r - 0.5);
        period = Duration::try_from_secs_f64(period.as_secs_f64() * factor.max(0.0)).unwrap_or(period);
    }
    let period = period.max(Duration::from_nanos(1));
    let Some(next) = state.next_timeout.get() else {
        return;
    };
    let updated = if next <= now {
        // Skip whole missed periods: floor((now - next) / period) + 1.
        let missed = (now - next).as_nanos() / period.as_nanos();
        let steps = u32::try_from(missed + 1).unwrap_or(u32::MAX);
        next.checked_add(period.saturating_mul(steps))
            .unwrap_or(now + period)
    } else {
        // The clock went backwards: one period after the last deadline.
        next.checked_add(period).unwrap_or(next)
    };
    state.next_timeout.set(Some(updated));
}

/// Tornado's `_run`.
fn run(weak: &Weak<State>) {
    let Some(state) = weak.upgrade() else {
        return;
    };
    state.timeout.set(None);
    if !state.running.get() {
        return;
    }
    let Some(io_loop) = state.io_loop.borrow().upgrade() else {
        return;
    };
    let Some(mut callback) = state.run.borrow_mut().take() else {
        return;
    };
    let generation = state.generation.get();
    let then_state = Rc::downgrade(&state);
    let then: Box<dyn FnOnce()> = Box::new(move || {
        if let Some(state) = then_state.upgrade() {
            if state.generation.get() == generation {
                if let Some(io_loop) = state.io_loop.borrow().upgrade() {
                    schedule_next(&state, &io_loop);
                }
            }
        }
    });
    let handle = PeriodicHandle { state: weak.clone() };
    let outcome = catch_unwind(AssertUnwindSafe(|| callback(&io_loop, &handle, then)));
    *state.run.borrow_mut() = Some(callback);
    if let Err(payload) = outcome {
        log_panic(state.name, &*payload);
        if state.generation.get() == generation {
            schedule_next(&state, &io_loop);
        }
    }
}

/// A small xorshift generator for jitter, seeded from the clock.
fn default_random() -> impl FnMut() -> f64 {
    let seed = Instant::now().elapsed().as_nanos() as u64
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut x = seed | 1;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}
