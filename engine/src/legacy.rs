//! The legacy interface's part of the engine (cargo feature `legacy`):
//! [`engine`], Tornado 4.5's `@gen.engine` decorator.
//!
//! Everything else of the legacy interface (YieldPoints, `Task`) lives in
//! `gust-yieldables`; the engine drives YieldPoints as it drives any
//! [`DrivenWait`](gust_yieldables::DrivenWait), knowing nothing of them.

use std::any::type_name;

use gust_yieldables::Error;

use crate::coroutine::Co;

/// Runs `body` as a callback-style coroutine (Tornado's legacy
/// `@gen.engine`, removed in Tornado 6).
///
/// Like [`coroutine`](crate::coroutine), but returns nothing: an engine function reports its
/// result by calling a callback it was given. Having no future, its
/// failures cannot be yielded; they are logged (`Exception in callback
/// ...`), as Tornado raises them into the surrounding stack context. An
/// engine body may not return a value other than `()`: that is logged as
/// [`ReturnValueIgnoredError`](gust_yieldables::legacy::ReturnValueIgnoredError)
/// (`@gen.engine functions cannot return values: ...`).
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use gust::gen_::legacy::engine;
///
/// let done = Rc::new(Cell::new(false));
/// let callback = { let done = done.clone(); move || done.set(true) };
/// engine(move |_co| {
///     callback();
///     Ok(())
/// });
/// assert!(done.get());
/// ```
pub fn engine<T, F>(body: F)
where
    T: std::fmt::Debug + 'static,
    F: FnOnce(&Co) -> Result<T, Error> + 'static,
{
    let name = type_name::<F>();
    let future = crate::coroutine(body);
    future.add_done_callback(move |done| {
        let error = match done.take_result() {
            Ok(value) if std::any::TypeId::of::<T>() != std::any::TypeId::of::<()>() => {
                Error::new(gust_yieldables::legacy::ReturnValueIgnoredError {
                    message: format!("@gen.engine functions cannot return values: {value:?}"),
                })
            }
            Ok(_) => return,
            Err(error) if error.is_cancellation() => return,
            Err(error) => error,
        };
        gust_ioloop::gust_log!(target: gust_ioloop::APP_LOG, log::Level::Error, "Exception in callback {name}: {error}");
    });
}
