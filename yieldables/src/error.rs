//! [`Error`]: what a failed future, coroutine or yield carries.
//!
//! Tornado's errors are exception classes; a coroutine catches them by class
//! (`except gen.TimeoutError:`). gust's [`Error`] is a shared handle to any
//! `std::error::Error`, and each kind of failure gust reports is its own
//! type ([`TimeoutError`], [`CancelledError`], [`PanicError`], ...), so the
//! Rust form of `except gen.TimeoutError` is
//! `if err.is::<TimeoutError>()` or `err.downcast_ref::<TimeoutError>()`.
//! [`Error::kind`] gives the same answer as an enum to `match` on.
//!
//! `Error` is cheap to clone (an `Arc`), so one failed future can be
//! observed by any number of waiters, as a Python exception object can.
//! Any `std::error::Error + Send + Sync + 'static` converts into it, so `?`
//! works on `io::Error`, parse errors and your own types inside a coroutine;
//! and it converts back into `Box<dyn std::error::Error>`, so `?` works on
//! it in code that returns one.

use std::any::Any;
use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use thiserror::Error;

use gust_ioloop::IOLoopError;
pub use gust_ioloop::LoopClosedError;

/// A shared, cloneable error: the exception a failed future holds.
///
/// ```
/// use gust::{Error, ErrorKind};
/// use gust::gen_::TimeoutError;
///
/// let err = Error::new(TimeoutError::new("Timeout"));
/// assert!(err.is::<TimeoutError>());
/// assert_eq!(err.kind(), ErrorKind::Timeout);
/// assert_eq!(err.to_string(), "Timeout");
///
/// // Any std error converts, so `?` works in coroutine bodies:
/// fn parse(s: &str) -> Result<i32, Error> {
///     Ok(s.parse::<i32>()?)
/// }
/// assert!(parse("x").unwrap_err().is::<std::num::ParseIntError>());
/// ```
///
/// `Error` does not implement `std::error::Error` itself (that is what
/// lets every std error convert into it), but it works where one is
/// expected, as `anyhow::Error` does: it derefs to the
/// `dyn std::error::Error + Send + Sync` it holds, and converts into
/// `Box<dyn std::error::Error>` (with or without `+ Send + Sync`), so `?`
/// works in a `main` returning one:
///
/// ```
/// use gust::Error;
///
/// fn describe(err: &dyn std::error::Error) -> String {
///     format!("failed: {err}")
/// }
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let err = Error::msg("boom");
///     assert_eq!(describe(&*err), "failed: boom");
///     let outcome: Result<(), Error> = Ok(());
///     outcome?;
///     Ok(())
/// }
/// # main().unwrap();
/// ```
///
/// For a value that implements the trait, wrap it in a
/// [`StdErrorAdapter`].
#[derive(Clone)]
pub struct Error {
    inner: Arc<dyn StdError + Send + Sync + 'static>,
}

impl Error {
    /// Wraps `error`.
    ///
    /// A [`StdErrorAdapter`] is unwrapped rather than wrapped again, so an
    /// `Error` that went out as a `std::error::Error` comes back as the
    /// same error object.
    pub fn new<E: StdError + Send + Sync + 'static>(error: E) -> Error {
        if let Some(StdErrorAdapter(inner)) = (&error as &dyn Any).downcast_ref::<StdErrorAdapter>() {
            return inner.clone();
        }
        Error {
            inner: Arc::new(error),
        }
    }

    /// An error that is just a message (a [`MessageError`]).
    pub fn msg(message: impl fmt::Display) -> Error {
        Error::new(MessageError(message.to_string()))
    }

    /// Wraps an already boxed error (unwrapping a boxed
    /// [`StdErrorAdapter`], as [`Error::new`] does).
    pub fn from_boxed(error: Box<dyn StdError + Send + Sync + 'static>) -> Error {
        match error.downcast::<StdErrorAdapter>() {
            Ok(adapter) => adapter.0,
            Err(error) => Error {
                inner: Arc::from(error),
            },
        }
    }

    /// Whether the error is an `E` (Python's `isinstance(e, E)`).
    pub fn is<E: StdError + 'static>(&self) -> bool {
        self.inner.is::<E>()
    }

    /// The error as an `E`, if it is one.
    pub fn downcast_ref<E: StdError + 'static>(&self) -> Option<&E> {
        self.inner.downcast_ref::<E>()
    }

    /// The wrapped error.
    pub fn as_std(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.inner
    }

    /// Whether `self` and `other` are the same error object (one failure
    /// seen through two handles), not merely equal.
    pub fn ptr_eq(&self, other: &Error) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Which of gust's kinds of failure this is.
    pub fn kind(&self) -> ErrorKind {
        if self.is::<TimeoutError>() {
            ErrorKind::Timeout
        } else if self.is::<CancelledError>() {
            ErrorKind::Cancelled
        } else if self.is::<BadYieldError>() {
            ErrorKind::BadYield
        } else if self.is::<PanicError>() {
            ErrorKind::Panic
        } else if self.is::<std::io::Error>() {
            ErrorKind::Io
        } else if self.is::<StackExhaustedError>() {
            ErrorKind::StackExhausted
        } else if self.is::<InvalidStateError>() {
            ErrorKind::InvalidState
        } else if self.is::<LoopClosedError>()
            || self.downcast_ref::<IOLoopError>() == Some(&IOLoopError::Closed)
        {
            ErrorKind::LoopClosed
        } else if self.is::<AbandonedError>() {
            ErrorKind::Abandoned
        } else {
            ErrorKind::Other
        }
    }

    /// Whether this error means the work was stopped rather than failed:
    /// a cancellation, a closed loop, or an abandoned coroutine. Such errors
    /// are not logged by `Future exception was never retrieved`, by loop
    /// callbacks or by `with_timeout` (as Tornado never logs
    /// `CancelledError`).
    pub fn is_cancellation(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::Cancelled | ErrorKind::LoopClosed | ErrorKind::Abandoned
        )
    }
}

impl<E: StdError + Send + Sync + 'static> From<E> for Error {
    fn from(error: E) -> Error {
        Error::new(error)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.inner, f)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.inner, f)
    }
}

// Interoperating with `std::error::Error`.
//
// `Error` cannot implement `std::error::Error` itself: the blanket
// `From<E: std::error::Error>` that lets `?` convert every error into it
// would then overlap with `From<Error> for Error`. So, as `anyhow::Error`
// does, it derefs to the error it holds (for `&dyn std::error::Error`), and
// converts into a boxed std error through `StdErrorAdapter` (for `?` in a
// function returning `Box<dyn std::error::Error>`).

impl Deref for Error {
    type Target = dyn StdError + Send + Sync + 'static;

    fn deref(&self) -> &Self::Target {
        self.as_std()
    }
}

impl AsRef<dyn StdError + Send + Sync + 'static> for Error {
    fn as_ref(&self) -> &(dyn StdError + Send + Sync + 'static) {
        self.as_std()
    }
}

impl AsRef<dyn StdError + 'static> for Error {
    fn as_ref(&self) -> &(dyn StdError + 'static) {
        self.as_std()
    }
}

/// An [`Error`](struct@Error) as a value that implements
/// `std::error::Error`, for code that wants one by value (a generic
/// `E: std::error::Error`, a `Box<dyn std::error::Error>`).
///
/// It is transparent: its `Display`, `Debug` and `source()` are those of
/// the error inside, so a report prints the chain once. A boxed `Error`
/// (`Box<dyn std::error::Error>` from `?` or `.into()`) holds one; downcast
/// the box to `StdErrorAdapter` to get the `Error` back, or give the box to
/// [`Error::from_boxed`], which unwraps it.
///
/// ```
/// use gust::Error;
/// use gust::error::StdErrorAdapter;
///
/// fn read_config() -> Result<String, Error> {
///     Err(Error::msg("no config"))
/// }
///
/// fn main_like() -> Result<(), Box<dyn std::error::Error>> {
///     read_config()?; // a gust::Error converts with `?`
///     Ok(())
/// }
///
/// let boxed = main_like().unwrap_err();
/// assert_eq!(boxed.to_string(), "no config");
/// let err: &Error = &boxed.downcast_ref::<StdErrorAdapter>().unwrap().0;
/// assert_eq!(err.to_string(), "no config");
/// ```
#[derive(Clone)]
pub struct StdErrorAdapter(pub Error);

impl fmt::Display for StdErrorAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for StdErrorAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl StdError for StdErrorAdapter {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.as_std().source()
    }
}

impl From<Error> for Box<dyn StdError + Send + Sync + 'static> {
    fn from(error: Error) -> Self {
        Box::new(StdErrorAdapter(error))
    }
}

impl From<Error> for Box<dyn StdError + 'static> {
    fn from(error: Error) -> Self {
        Box::new(StdErrorAdapter(error))
    }
}

/// gust's kinds of failure, for `match`. See [`Error::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`TimeoutError`].
    Timeout,
    /// [`CancelledError`].
    Cancelled,
    /// [`BadYieldError`].
    BadYield,
    /// [`PanicError`]: a coroutine or callback panicked.
    Panic,
    /// `std::io::Error`.
    Io,
    /// [`StackExhaustedError`]: no stack could be had for a coroutine.
    StackExhausted,
    /// [`InvalidStateError`]: misuse of a future.
    InvalidState,
    /// [`LoopClosedError`] (or `IOLoopError::Closed`): the loop closed
    /// before the work finished.
    LoopClosed,
    /// [`AbandonedError`]: a coroutine waited on a future nobody can finish.
    Abandoned,
    /// Anything else: a user error.
    Other,
}

/// An operation did not finish in time (Tornado's `TimeoutError`).
///
/// `with_timeout` uses the message `Timeout`; `run_sync` uses
/// `Operation timed out after N seconds`; locks and queues use an empty
/// message, as in Tornado.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct TimeoutError {
    /// The message.
    pub message: Cow<'static, str>,
}

impl TimeoutError {
    /// A timeout with this message.
    pub fn new(message: impl Into<Cow<'static, str>>) -> TimeoutError {
        TimeoutError {
            message: message.into(),
        }
    }
}

impl Default for TimeoutError {
    /// `Timeout`, the message of `with_timeout`.
    fn default() -> Self {
        TimeoutError::new("Timeout")
    }
}

/// The future was cancelled (asyncio's `CancelledError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Error)]
#[error("the future was cancelled")]
pub struct CancelledError;

/// Something that cannot be waited for was yielded (Tornado's
/// `BadYieldError`, `yielded unknown object %r`).
///
/// Most such mistakes are compile errors in gust (a type that is not
/// [`Yieldable`](crate::Yieldable) cannot be yielded); this error remains
/// for conversions that can only fail at run time.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("yielded unknown object {object}")]
pub struct BadYieldError {
    /// A description of what was yielded.
    pub object: String,
}

/// A coroutine body, a callback or a blocking function panicked; the panic
/// was caught and turned into this error.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}", match .coroutine {
    Some(name) => format!("coroutine '{name}' panicked: {}", .message),
    None => format!("panicked: {}", .message),
})]
pub struct PanicError {
    /// The panic's message.
    pub message: String,
    /// The coroutine's name, if it had one.
    pub coroutine: Option<String>,
}

impl PanicError {
    /// The error for a caught panic: the payload's message (a `&str` or a
    /// `String`; anything else is `Box<dyn Any>`), and the name of the
    /// coroutine that panicked, if it was one.
    ///
    /// ```
    /// use gust::error::PanicError;
    /// let payload = std::panic::catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
    /// let error = PanicError::from_panic(&*payload, Some("worker".to_owned()));
    /// assert_eq!(error.to_string(), "coroutine 'worker' panicked: boom 1");
    /// ```
    pub fn from_panic(payload: &(dyn std::any::Any + Send), coroutine: Option<String>) -> PanicError {
        PanicError {
            message: gust_ioloop::protocol::panic_message(payload),
            coroutine,
        }
    }
}

/// No stack could be allocated for a new coroutine: the coroutine never ran
/// and its future holds this error.
///
/// When a system call failed (`mmap`, `madvise`, `mprotect`), its
/// `io::Error` is the error's [`source`](std::error::Error::source) (as an
/// `Arc<io::Error>`, so that the error stays `Clone`), and not repeated in
/// its message.
#[derive(Debug, Clone, Error)]
#[error("no stack for a new coroutine ({stack_size} bytes): {reason}")]
pub struct StackExhaustedError {
    /// The stack size asked for.
    pub stack_size: usize,
    /// Why: the call that failed, or the budget or limit that ran out.
    pub reason: String,
    /// The operating system's error, if a system call failed.
    #[source]
    pub source: Option<Arc<std::io::Error>>,
}

/// A future was used in a way its state does not allow: set twice, read
/// before it is done, its result taken twice (asyncio's
/// `InvalidStateError`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct InvalidStateError {
    /// What was wrong.
    pub message: Cow<'static, str>,
}

impl InvalidStateError {
    /// An invalid-state error with this message.
    pub const fn new(message: &'static str) -> InvalidStateError {
        InvalidStateError {
            message: Cow::Borrowed(message),
        }
    }
}

/// A coroutine was unwound because the future it was waiting for was
/// dropped without a result: nothing could ever resume it. Its own future
/// holds this error. (Python would keep such a coroutine until the garbage
/// collector found the cycle; asyncio logs `Task was destroyed but it is
/// pending!`.)
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}", match .coroutine {
    Some(name) => format!("coroutine '{name}' was abandoned: the future it was waiting for was dropped without a result"),
    None => "coroutine was abandoned: the future it was waiting for was dropped without a result".to_owned(),
})]
pub struct AbandonedError {
    /// The coroutine's name, if it had one.
    pub coroutine: Option<String>,
}

/// An error that is only a message; see [`Error::msg`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct MessageError(pub String);

/// The loop was stopped before the future given to `run_sync` finished
/// (Tornado 6.5's `RuntimeError('Event loop stopped before Future
/// completed.')`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Error)]
#[error("Event loop stopped before Future completed.")]
pub struct StoppedBeforeCompletionError;
