//! [`Generator`]: a Python generator, in Rust, on its own stack.
//!
//! A Python generator is a function that can stop in the middle (`yield`),
//! hand a value out, and later be resumed with a value sent in
//! (`gen.send(x)`), an exception thrown in (`gen.throw(e)`), or a request to
//! stop (`gen.close()`, which raises `GeneratorExit` at the `yield` so that
//! `finally` blocks run). Tornado's coroutines are generators driven by a
//! Runner; gust's are [`Generator`]s driven by gust's Runner.
//!
//! Here the generator's body is an ordinary Rust closure running on its own
//! stack (a corosensei coroutine on a pooled stack). It receives a
//! [`Yielder`], and `yielder.yield_(value)` plays the part of Python's
//! `yield value` expression: it suspends the body and evaluates to what the
//! next [`send`](Generator::send) brings, or to the error a
//! [`throw`](Generator::throw) brings.
//!
//! This layer knows nothing of futures or loops. It is what a test uses to
//! step through a runner by hand, as the "simplified inner loop" of the
//! Tornado docs does:
//!
//! ```
//! use gust::generator::{Generator, GeneratorState};
//!
//! // def body(): x = yield 1; y = yield x + 1; return x + y
//! let mut generator = Generator::new(|y| {
//!     let x: i32 = y.yield_(1)?;
//!     let z: i32 = y.yield_(x + 1)?;
//!     Ok(x + z)
//! })
//! .unwrap();
//! assert_eq!(generator.start().unwrap(), GeneratorState::Yielded(1));
//! assert_eq!(generator.send(10).unwrap(), GeneratorState::Yielded(11));
//! assert_eq!(generator.send(5).unwrap(), GeneratorState::Returned(15));
//! assert!(generator.send(0).is_err()); // finished: a typed error, not a panic
//! ```

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use corosensei::{Coroutine, CoroutineResult};
use gust_yieldables::{Error, InvalidStateError, PanicError, StackExhaustedError};
use thiserror::Error as ThisError;

use crate::stack_pool::{PooledStack, UNNAMED, default_stack_size};

/// What a generator did when resumed: yielded a value (and is suspended),
/// or returned (and is finished).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GeneratorState<Y, R> {
    /// The body reached `yield_` with this value (Python: the value of
    /// `send`).
    Yielded(Y),
    /// The body returned this value (Python: `StopIteration.value`).
    Returned(R),
}

/// The generator was closed ([`Generator::close`], or dropped while
/// suspended): Python's `GeneratorExit`. Returned by `send`/`throw` when the
/// body finished by being closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ThisError)]
#[error("the generator was closed")]
pub struct GeneratorExit;

/// The generator has finished; it cannot be resumed (Python raises
/// `StopIteration` again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ThisError)]
#[error("the generator has already finished")]
pub struct GeneratorFinishedError;

/// What the generator's stack receives on each resume.
enum Input<S> {
    Start,
    Send(S),
    Throw(Error),
    Close,
}

/// How the body ended.
enum Outcome<R> {
    Returned(Result<R, Error>),
    Closed,
}

/// The unwinding payload `yield_` raises to close a generator. Not a panic:
/// `resume_unwind` does not run the panic hook.
struct CloseUnwind;

/// Unwinds the current generator's stack as `close` does.
pub(crate) fn close_unwind() -> ! {
    resume_unwind(Box::new(CloseUnwind))
}

/// Whether a caught unwinding payload is a close request.
pub(crate) fn is_close_unwind(payload: &(dyn std::any::Any + Send)) -> bool {
    payload.is::<CloseUnwind>()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    NotStarted,
    Suspended,
    Running,
    Finished,
}

/// The suspension handle a generator's body receives: Python's `yield`.
///
/// It borrows the generator's stack (`'a`), so it cannot outlive the body
/// it was handed to.
pub struct Yielder<'a, Y, S> {
    inner: &'a corosensei::Yielder<Input<S>, Y>,
}

impl<Y, S> Yielder<'_, Y, S> {
    /// Suspends the body, handing `value` to whoever resumed it. Returns the
    /// value of the next [`send`](Generator::send), or the error of the next
    /// [`throw`](Generator::throw).
    ///
    /// If the generator is [closed](Generator::close) while suspended here,
    /// this does not return: the body's stack unwinds from this point, so
    /// every destructor on it runs (Python's `GeneratorExit`).
    #[inline]
    pub fn yield_(&self, value: Y) -> Result<S, Error> {
        match self.inner.suspend(value) {
            Input::Send(sent) => Ok(sent),
            Input::Throw(error) => Err(error),
            Input::Close => resume_unwind(Box::new(CloseUnwind)),
            Input::Start => Err(Error::new(InvalidStateError::new("generator started twice"))),
        }
    }
}

/// A Python-style generator whose body runs on its own stack.
///
/// `Y` is what the body yields, `S` what `send` sends in, `R` what it
/// returns. The source of `engine/src/generator.rs` explains the model.
///
/// Dropping a suspended generator closes it: its stack is unwound and
/// every destructor on it runs.
pub struct Generator<Y: 'static, S: 'static, R: 'static> {
    /// `None` only after a body that refused to close was leaked.
    coroutine: Option<Coroutine<Input<S>, Y, Outcome<R>, PooledStack>>,
    phase: Phase,
    stack_size: usize,
}

impl<Y: 'static, S: 'static, R: 'static> Generator<Y, S, R> {
    /// A generator running `body` on a stack of the default size.
    ///
    /// Fails with [`StackExhaustedError`] if no stack can be had.
    pub fn new<F>(body: F) -> Result<Self, StackExhaustedError>
    where
        F: FnOnce(&Yielder<Y, S>) -> Result<R, Error> + 'static,
    {
        Generator::with_stack_size(default_stack_size(), body)
    }

    /// A generator running `body` on a stack of at least `stack_size`
    /// usable bytes.
    pub fn with_stack_size<F>(stack_size: usize, body: F) -> Result<Self, StackExhaustedError>
    where
        F: FnOnce(&Yielder<Y, S>) -> Result<R, Error> + 'static,
    {
        let stack = PooledStack::new(stack_size, UNNAMED)?;
        Ok(Generator::on_stack(stack, body))
    }

    /// A generator running `body` on `stack`.
    pub(crate) fn on_stack<F>(stack: PooledStack, body: F) -> Self
    where
        F: FnOnce(&Yielder<Y, S>) -> Result<R, Error> + 'static,
    {
        let stack_size = stack.usable_size();
        let coroutine =
            Coroutine::with_stack(stack, move |yielder: &corosensei::Yielder<Input<S>, Y>, input| {
                let yielder = Yielder { inner: yielder };
                match input {
                    Input::Start | Input::Send(_) => {}
                    Input::Throw(error) => return Outcome::Returned(Err(error)),
                    Input::Close => return Outcome::Closed,
                }
                match catch_unwind(AssertUnwindSafe(|| body(&yielder))) {
                    Ok(result) => Outcome::Returned(result),
                    Err(payload) if payload.is::<CloseUnwind>() => Outcome::Closed,
                    Err(payload) => {
                        Outcome::Returned(Err(Error::new(PanicError::from_panic(&*payload, None))))
                    }
                }
            });
        Generator {
            coroutine: Some(coroutine),
            phase: Phase::NotStarted,
            stack_size,
        }
    }

    /// Whether the body has not run yet.
    pub fn is_new(&self) -> bool {
        self.phase == Phase::NotStarted
    }

    /// Whether the body is suspended in `yield_`.
    pub fn is_suspended(&self) -> bool {
        self.phase == Phase::Suspended
    }

    /// Whether the body has finished (returned, failed, panicked or was
    /// closed).
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    /// The usable size of the generator's stack, in bytes.
    pub fn stack_size(&self) -> usize {
        self.stack_size
    }

    #[inline]
    fn resume(&mut self, input: Input<S>) -> Result<GeneratorState<Y, R>, Error> {
        if self.phase == Phase::Finished {
            return Err(Error::new(GeneratorFinishedError));
        }
        let Some(coroutine) = self.coroutine.as_mut() else {
            return Err(Error::new(GeneratorFinishedError));
        };
        self.phase = Phase::Running;
        match coroutine.resume(input) {
            CoroutineResult::Yield(value) => {
                self.phase = Phase::Suspended;
                Ok(GeneratorState::Yielded(value))
            }
            CoroutineResult::Return(Outcome::Returned(result)) => {
                self.phase = Phase::Finished;
                result.map(GeneratorState::Returned)
            }
            CoroutineResult::Return(Outcome::Closed) => {
                self.phase = Phase::Finished;
                Err(Error::new(GeneratorExit))
            }
        }
    }

    /// Runs the body from its beginning to its first `yield_` (Python's
    /// first `next(gen)`).
    ///
    /// Errors: whatever the body returned or panicked with (a panic becomes
    /// a [`PanicError`]); [`InvalidStateError`] if already started.
    pub fn start(&mut self) -> Result<GeneratorState<Y, R>, Error> {
        if self.phase != Phase::NotStarted {
            return Err(Error::new(InvalidStateError::new(
                "the generator has already started",
            )));
        }
        self.resume(Input::Start)
    }

    /// Resumes the body: the pending `yield_` returns `Ok(value)` (Python's
    /// `gen.send(value)`).
    ///
    /// Errors: whatever the body returned or panicked with;
    /// [`GeneratorFinishedError`] if it has finished; [`InvalidStateError`]
    /// if it has not started (Python: "can't send non-None value to a
    /// just-started generator").
    pub fn send(&mut self, value: S) -> Result<GeneratorState<Y, R>, Error> {
        if self.phase == Phase::NotStarted {
            return Err(Error::new(InvalidStateError::new(
                "can't send a value to a just-started generator; call start() first",
            )));
        }
        self.resume(Input::Send(value))
    }

    /// Resumes the body with an error: the pending `yield_` returns
    /// `Err(error)`, which the body may handle or propagate (Python's
    /// `gen.throw(e)`). Thrown into a generator that has not started, the
    /// error finishes it at once, without running the body.
    pub fn throw(&mut self, error: impl Into<Error>) -> Result<GeneratorState<Y, R>, Error> {
        self.resume(Input::Throw(error.into()))
    }

    /// Closes the generator (Python's `gen.close()`): if it is suspended,
    /// its stack unwinds from the pending `yield_`, running every
    /// destructor on it. Closing a finished generator does nothing.
    ///
    /// A body may catch the unwinding (with `catch_unwind`) and yield again;
    /// it is then asked again, a few times. If it still yields, `close`
    /// gives up with [`GeneratorIgnoredExitError`] (Python's
    /// `RuntimeError: generator ignored GeneratorExit`) and the generator
    /// stays suspended.
    pub fn close(&mut self) -> Result<(), Error> {
        for _ in 0..CLOSE_ATTEMPTS {
            if self.phase == Phase::Finished {
                return Ok(());
            }
            match self.resume(Input::Close) {
                Ok(GeneratorState::Yielded(_)) => continue,
                Ok(GeneratorState::Returned(_)) | Err(_) => return Ok(()),
            }
        }
        Err(Error::new(GeneratorIgnoredExitError))
    }
}

/// How many times `close` asks a body that keeps yielding.
const CLOSE_ATTEMPTS: usize = 16;

/// A generator kept yielding after being asked to close (Python's
/// `RuntimeError: generator ignored GeneratorExit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ThisError)]
#[error("generator ignored GeneratorExit")]
pub struct GeneratorIgnoredExitError;

impl<Y: 'static, S: 'static, R: 'static> Drop for Generator<Y, S, R> {
    /// Closes a suspended generator. If its body refuses to finish (see
    /// [`Generator::close`]), its stack cannot be unwound nor reused: the
    /// stack and whatever its frames own are leaked, and an error is
    /// logged.
    fn drop(&mut self) {
        if self.phase == Phase::Suspended && self.close().is_err() {
            gust_ioloop::gust_log!(
                target: gust_ioloop::APP_LOG, log::Level::Error,
                "generator ignored GeneratorExit; leaking its stack ({} bytes)",
                self.stack_size
            );
            std::mem::forget(self.coroutine.take());
        }
    }
}

impl<Y: 'static, S: 'static, R: 'static> std::fmt::Debug for Generator<Y, S, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator")
            .field("phase", &self.phase)
            .field("stack_size", &self.stack_size)
            .finish()
    }
}
