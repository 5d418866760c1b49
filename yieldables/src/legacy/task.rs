//! [`Task`]: a callback-style function as a future (Tornado's `gen.Task`).

use std::any::type_name;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use gust_ioloop::APP_LOG;

use crate::error::{Error, PanicError};
use crate::future::Future;

/// The callback a [`Task`] hands to callback-style code: calling it
/// resolves the task's future (the first call wins).
pub struct TaskCallback<T> {
    future: Future<T>,
}

impl<T> Clone for TaskCallback<T> {
    fn clone(&self) -> Self {
        TaskCallback {
            future: self.future.clone(),
        }
    }
}

impl<T: 'static> TaskCallback<T> {
    /// Resolves the task with `value`; ignored if it is already resolved.
    pub fn call(&self, value: T) {
        if !self.future.done() {
            let _ = self.future.set_result(value);
        }
    }
}

impl<T> fmt::Debug for TaskCallback<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskCallback({:?})", self.future)
    }
}

/// Adapts a callback-based function for use in coroutines (Tornado's
/// `gen.Task`): runs `func` with a [`TaskCallback`], and returns a future
/// that the callback resolves.
///
/// Tornado passes the callback as a `callback=` keyword argument; in Rust
/// the closure receives it and passes it on. If `func` panics before the
/// callback is called, the future fails with a [`PanicError`]; a panic after
/// that is logged.
///
/// ```
/// use gust::concurrent::Future;
/// use gust::gen_::legacy::{Task, TaskCallback};
///
/// // Some callback-style API:
/// fn add_later(a: i32, b: i32, callback: impl FnOnce(i32)) {
///     callback(a + b)
/// }
///
/// let sum: Future<i32> = Task(|cb: TaskCallback<i32>| add_later(2, 3, move |v| cb.call(v)));
/// assert_eq!(sum.take_result().unwrap(), 5);
/// ```
#[allow(non_snake_case)]
pub fn Task<T: 'static, F: FnOnce(TaskCallback<T>)>(func: F) -> Future<T> {
    let future = Future::new();
    let callback = TaskCallback {
        future: future.clone(),
    };
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| func(callback))) {
        let error = Error::new(PanicError::from_panic(&*payload, None));
        if future.done() {
            gust_ioloop::gust_log!(target: APP_LOG, log::Level::Error, "Exception in callback {}: {error}", type_name::<F>());
        } else {
            let _ = future.set_exception(error);
        }
    }
    future
}
