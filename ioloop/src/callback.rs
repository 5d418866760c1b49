//! Callbacks as the loop stores and runs them, and what a callback may
//! return.
//!
//! Every callback the loop runs (from `add_callback`, timers, fd handlers,
//! other threads) goes through [`run_callback`], Tornado's
//! `IOLoop._run_callback`: a panic is caught and logged as
//! `Exception in callback ...` and the loop carries on; a returned value is
//! handed to its [`CallbackResult`] implementation, so a callback that
//! returns a coroutine's future has its failure logged.

use std::any::type_name;
use std::fmt::Display;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::APP_LOG;
use crate::io_loop::IOLoop;

/// A callback in the ready queue or the timer heap.
pub(crate) enum Callback {
    /// Any closure, boxed.
    Boxed(Box<dyn CallbackFn>),
    /// A function pointer and one word of data: allocates nothing.
    Raw(RawCallback),
}

/// A callback that is a plain function and one word of data.
///
/// Scheduling one with `IOLoop::add_callback_raw` allocates nothing, which
/// is what the coroutine runner uses to resume a coroutine: the data is the
/// runner's key. Most code wants [`IOLoop::add_callback`] instead.
#[derive(Clone, Copy)]
pub struct RawCallback {
    /// The function to call, with the loop running it and `data`.
    pub func: fn(&IOLoop, u64),
    /// The word handed to `func`.
    pub data: u64,
}

impl std::fmt::Debug for RawCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawCallback")
            .field("func", &(self.func as *const ()))
            .field("data", &self.data)
            .finish()
    }
}

/// A boxed closure that knows its own name (for log messages).
pub(crate) trait CallbackFn {
    /// Runs the callback, catching and logging a panic.
    fn call(self: Box<Self>, io_loop: &IOLoop);
}

/// Adapts `FnOnce() -> R` to [`CallbackFn`].
pub(crate) struct Cb<F>(pub(crate) F);

impl<F, R> CallbackFn for Cb<F>
where
    F: FnOnce() -> R + 'static,
    R: CallbackResult,
{
    #[inline]
    fn call(self: Box<Self>, io_loop: &IOLoop) {
        self.run(io_loop);
    }
}

impl<F, R> Cb<F>
where
    F: FnOnce() -> R + 'static,
    R: CallbackResult,
{
    /// Runs the callback, catching and logging a panic under its name.
    #[inline]
    pub(crate) fn run(self, io_loop: &IOLoop) {
        let name = type_name::<F>();
        match catch_unwind(AssertUnwindSafe(self.0)) {
            Ok(result) => result.finish(io_loop, name, None),
            Err(payload) => log_panic(name, &*payload),
        }
    }
}

/// What a callback may return, and what the loop does with it.
///
/// Tornado's `_run_callback` looks at a callback's return value: `None` is
/// ignored, anything yieldable is waited for so that its failure is logged.
/// gust does the same at compile time: a callback returns `()`, a
/// `Result<(), E>` (an `Err` is logged), or something that stands for work
/// still running, such as a coroutine's future (implemented in the crates
/// that define them), whose failure is logged when it finishes.
///
/// [`PeriodicCallback`](crate::PeriodicCallback) uses `then` to wait for such
/// work before scheduling the next run, so coroutine callbacks never overlap.
pub trait CallbackResult: 'static {
    /// Handles the value a callback returned. `name` names the callback for
    /// log messages. `then`, if given, must run once any work the value
    /// stands for has finished (at once for plain values).
    fn finish(self, io_loop: &IOLoop, name: &'static str, then: Option<Box<dyn FnOnce()>>);
}

impl CallbackResult for () {
    #[inline]
    fn finish(self, _io_loop: &IOLoop, _name: &'static str, then: Option<Box<dyn FnOnce()>>) {
        if let Some(then) = then {
            then();
        }
    }
}

impl<E: Display + 'static> CallbackResult for Result<(), E> {
    fn finish(self, _io_loop: &IOLoop, name: &'static str, then: Option<Box<dyn FnOnce()>>) {
        if let Err(e) = self {
            crate::gust_log!(target: APP_LOG, log::Level::Error, "Exception in callback {name}: {e}");
        }
        if let Some(then) = then {
            then();
        }
    }
}

/// Runs one callback, catching and logging a panic
/// (`Exception in callback NAME: MESSAGE`).
#[inline]
pub(crate) fn run_callback(io_loop: &IOLoop, callback: Callback) {
    match callback {
        Callback::Raw(raw) => {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| (raw.func)(io_loop, raw.data))) {
                log_panic("raw callback", &*payload);
            }
        }
        Callback::Boxed(boxed) => boxed.call(io_loop),
    }
}

/// Logs a caught panic the way Tornado logs an exception escaping a
/// callback.
pub(crate) fn log_panic(name: &str, payload: &(dyn std::any::Any + Send)) {
    crate::gust_log!(
        target: APP_LOG, log::Level::Error,
        "Exception in callback {name}: {}",
        panic_message(payload)
    );
}

/// The message of a panic payload (`&str` or `String`), or a placeholder.
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
/// assert_eq!(gust_ioloop::protocol::panic_message(&*payload), "boom 1");
/// ```
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}
