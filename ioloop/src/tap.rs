//! A per-thread tap on the records gust logs, whatever logger the process
//! installed.
//!
//! `log` has one global logger per process, chosen by whoever installs
//! first. A test harness that must see the failures gust reports (a
//! callback that panicked, a coroutine nobody waited for that failed)
//! cannot count on being that logger. So every warning and error gust logs
//! goes through [`emit`]: it offers the record to this thread's [`Tap`]
//! first (gust's test harness installs one), and then, unless the tap
//! consumed it, to `log` as usual. Records the tap saw and passed on are
//! marked for the duration of that call ([`forwarding`]), so that a global
//! logger which also feeds the tap does not count them twice.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

/// Sees the records gust logs on one thread before `log` does.
pub trait Tap {
    /// A record gust is about to log. Returns `true` to consume it (it is
    /// then not passed to `log`: an expected record, in a test).
    fn record(&self, target: &str, level: log::Level, message: &fmt::Arguments<'_>) -> bool;
}

thread_local! {
    static TAP: RefCell<Option<Rc<dyn Tap>>> = const { RefCell::new(None) };
    static FORWARDING: Cell<bool> = const { Cell::new(false) };
}

/// Installs `tap` on this thread (replacing any other); `None` removes it.
/// Returns the previous one.
pub fn set_tap(tap: Option<Rc<dyn Tap>>) -> Option<Rc<dyn Tap>> {
    TAP.try_with(|slot| std::mem::replace(&mut *slot.borrow_mut(), tap))
        .ok()
        .flatten()
}

/// Whether this thread's tap is set.
pub fn has_tap() -> bool {
    TAP.try_with(|slot| slot.borrow().is_some()).unwrap_or(false)
}

/// Whether the record being logged on this thread right now was already
/// offered to the thread's tap.
pub fn forwarding() -> bool {
    FORWARDING.try_with(Cell::get).unwrap_or(false)
}

/// Logs a record: through this thread's tap, then (unless consumed) `log`.
/// See [`gust_log!`](crate::gust_log).
#[cold]
pub fn emit(target: &str, level: log::Level, message: fmt::Arguments<'_>) {
    let tap = TAP.try_with(|slot| slot.borrow().clone()).ok().flatten();
    let Some(tap) = tap else {
        log::log!(target: target, level, "{message}");
        return;
    };
    if tap.record(target, level, &message) {
        return;
    }
    let _ = FORWARDING.try_with(|f| f.set(true));
    log::log!(target: target, level, "{message}");
    let _ = FORWARDING.try_with(|f| f.set(false));
}

/// `log::log!` for gust's own warnings and errors: the record goes through
/// this thread's [`Tap`] first (see the `protocol` module).
///
/// ```
/// gust_ioloop::gust_log!(target: gust_ioloop::APP_LOG, log::Level::Error, "Exception in callback {}: {}", "f", "boom");
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! gust_log {
    (target: $target:expr, $level:expr, $($arg:tt)+) => {
        $crate::protocol::emit($target, $level, ::core::format_args!($($arg)+))
    };
}
