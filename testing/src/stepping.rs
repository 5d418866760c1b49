//! Stepping a loop one iteration at a time, and reading what the Runner
//! did in each.

use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::time::{Duration, Instant};

use gust_engine::{Resumption, RunnerState, Trace, TraceEvent, TraceKind, WaitingOn, runner_of};
use gust_ioloop::{IOLoop, ManualClock};
use gust_yieldables::{Error, Future};

use crate::gen_test::BackgroundFailureError;
use crate::inspect::{Pending, pending};
use crate::logs::FailureScope;

/// Runs one iteration of `io_loop` without waiting for I/O or timers
/// (`io_loop.run_once(Some(Duration::ZERO))`).
///
/// # Panics
///
/// If the loop cannot run (it is closed, or running already): a test that
/// steps a loop it cannot step is wrong.
pub fn step(io_loop: &IOLoop) {
    if let Err(error) = io_loop.run_once(Some(Duration::ZERO)) {
        panic!("step: the loop cannot run an iteration: {error}");
    }
}

/// Steps `io_loop` until `done()` holds, at most `max_steps` iterations;
/// `done` is checked before each. Returns how many iterations ran.
///
/// ```
/// use gust::concurrent::Future;
/// use gust::gen_;
/// use gust::ioloop::IOLoop;
/// use gust::testing::step_until;
///
/// let io_loop = IOLoop::new();
/// let f: Future<u32> = gen_::coroutine(|co| {
///     for _ in 0..3 {
///         co.yield_(gen_::moment)?;
///     }
///     Ok(3)
/// });
/// assert_eq!(step_until(&io_loop, 10, || f.done()).unwrap(), 3);
/// ```
pub fn step_until(
    io_loop: &IOLoop,
    max_steps: usize,
    mut done: impl FnMut() -> bool,
) -> Result<usize, StepLimitError> {
    for steps in 0..=max_steps {
        if done() {
            return Ok(steps);
        }
        if steps < max_steps {
            step(io_loop);
        }
    }
    Err(StepLimitError { max_steps })
}

/// [`step_until`]'s condition still did not hold after its last step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the condition did not hold after {max_steps} loop iterations")]
pub struct StepLimitError {
    /// The limit that was reached.
    pub max_steps: usize,
}

/// What the Runner did in one loop iteration, as [`TestLoop::step`]
/// returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The iteration's number ([`IOLoop::iterations`] after it).
    pub iteration: u64,
    /// Every coroutine step recorded in it, in order (and any recorded
    /// between the previous step and this one).
    pub events: Vec<TraceEvent>,
}

impl Step {
    /// The coroutines resumed, by name, with what.
    pub fn resumed(&self) -> Vec<(&str, &Resumption)> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                TraceKind::Resumed(with) => Some((e.name.as_str(), with)),
                _ => None,
            })
            .collect()
    }

    /// The coroutines that parked, by name, and on what.
    pub fn parked(&self) -> Vec<(&str, WaitingOn)> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                TraceKind::Parked(on) => Some((e.name.as_str(), *on)),
                _ => None,
            })
            .collect()
    }

    /// The coroutines that finished, by name, with their error's message if
    /// they failed.
    pub fn finished(&self) -> Vec<(&str, Option<&str>)> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                TraceKind::Finished(error) => Some((e.name.as_str(), error.as_deref())),
                _ => None,
            })
            .collect()
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "iteration {}:", self.iteration)?;
        for event in &self.events {
            write!(f, "\n  {event}")?;
        }
        Ok(())
    }
}

/// A loop for stepping tests: a [`ManualClock`] that moves only when told
/// (no autojump), a [`Trace`] recording every Runner step, and the
/// background-failure check of [`gen_test`](crate::gen_test) when it is
/// finished or dropped. It dereferences to its [`IOLoop`], and is the
/// thread's current loop while it lives.
///
/// ```
/// use std::time::Duration;
/// use gust::gen_;
/// use gust::runner::{Resumption, WaitingOn};
/// use gust::testing::TestLoop;
///
/// let t = TestLoop::new();
/// let napper = gen_::Builder::new().name("napper").spawn(|co| {
///     co.yield_(gen_::sleep(Duration::from_secs(1)))?;
///     Ok("rested")
/// });
/// assert_eq!(t.waiting_on(&napper), Some(WaitingOn::Sleep { until: t.time() + Duration::from_secs(1) }));
/// t.advance(Duration::from_secs(1));
/// t.step(); // the timer fires
/// let step = t.step(); // the coroutine resumes and finishes
/// assert_eq!(step.resumed(), [("napper", &Resumption::Value)]);
/// assert_eq!(step.finished(), [("napper", None)]);
/// assert_eq!(napper.take_result().unwrap(), "rested");
/// t.finish().unwrap();
/// ```
pub struct TestLoop {
    io_loop: IOLoop,
    clock: ManualClock,
    trace: Trace,
    scope: RefCell<Option<FailureScope>>,
}

impl TestLoop {
    /// A fresh loop on a manual clock, made the thread's current loop.
    pub fn new() -> TestLoop {
        let clock = ManualClock::new();
        let io_loop = IOLoop::with_clock(&clock);
        io_loop.make_current();
        let trace = Trace::start(&io_loop);
        TestLoop {
            io_loop,
            clock,
            trace,
            scope: RefCell::new(Some(FailureScope::open())),
        }
    }

    /// The loop.
    pub fn io_loop(&self) -> &IOLoop {
        &self.io_loop
    }

    /// The loop's clock.
    pub fn clock(&self) -> &ManualClock {
        &self.clock
    }

    /// The loop's time.
    pub fn time(&self) -> Instant {
        self.io_loop.time()
    }

    /// Moves the clock forward (timers then due fire in the next step).
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Runs one loop iteration; what the Runner did in it.
    pub fn step(&self) -> Step {
        step(&self.io_loop);
        Step {
            iteration: self.io_loop.iterations(),
            events: self.trace.take(),
        }
    }

    /// Takes the Runner steps recorded since the last [`step`](TestLoop::step)
    /// (what coroutines did when they started, say): they would otherwise
    /// be part of the next step's events.
    pub fn events(&self) -> Vec<TraceEvent> {
        self.trace.take()
    }

    /// Steps until `done()` holds (checked before each step), at most
    /// `max_steps` iterations; the steps taken.
    pub fn step_until(
        &self,
        max_steps: usize,
        mut done: impl FnMut() -> bool,
    ) -> Result<Vec<Step>, StepLimitError> {
        let mut steps = Vec::new();
        for count in 0..=max_steps {
            if done() {
                return Ok(steps);
            }
            if count < max_steps {
                steps.push(self.step());
            }
        }
        Err(StepLimitError { max_steps })
    }

    /// The state of the coroutine that will resolve `future`, if it is
    /// suspended.
    pub fn state_of<T>(&self, future: &Future<T>) -> Option<RunnerState> {
        runner_of(future).map(|info| info.state)
    }

    /// What the coroutine that will resolve `future` waits on (parked or
    /// scheduled to resume), if it is suspended.
    pub fn waiting_on<T>(&self, future: &Future<T>) -> Option<WaitingOn> {
        match self.state_of(future)? {
            RunnerState::Parked(on) | RunnerState::Scheduled(on) => Some(on),
            RunnerState::Running => None,
        }
    }

    /// Every suspended coroutine and unfinished native task.
    pub fn pending(&self) -> Vec<Pending> {
        pending(&self.io_loop)
    }

    /// Closes the loop (suspended coroutines unwind) and fails if anything
    /// failed in the background (see [`gen_test`](crate::gen_test)).
    pub fn finish(self) -> Result<(), Error> {
        self.finish_ref()
    }

    fn finish_ref(&self) -> Result<(), Error> {
        let Some(scope) = self.scope.borrow_mut().take() else {
            return Ok(());
        };
        let _ = self.io_loop.close();
        let failures = scope.close();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(Error::new(BackgroundFailureError { failures }))
        }
    }
}

impl Default for TestLoop {
    fn default() -> Self {
        TestLoop::new()
    }
}

impl Deref for TestLoop {
    type Target = IOLoop;

    fn deref(&self) -> &IOLoop {
        &self.io_loop
    }
}

impl Drop for TestLoop {
    fn drop(&mut self) {
        if let Err(error) = self.finish_ref() {
            if !std::thread::panicking() {
                panic!("{error}");
            }
        }
    }
}

impl fmt::Debug for TestLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestLoop")
            .field("iterations", &self.io_loop.iterations())
            .field("pending", &self.pending().len())
            .finish()
    }
}
