//! The thread's current loop (Tornado's `IOLoop.current()`).
//!
//! The slot holds a weak reference, so making a loop current does not keep
//! it alive: dropping the last handle of a loop still closes it. A loop that
//! `IOLoop::current()` had to create itself (because no loop was current) is
//! kept in a second, strong slot for the rest of the thread's life, as
//! Tornado keeps its implicit loop.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use crate::io_loop::{IOLoop, Inner};

thread_local! {
    static CURRENT: RefCell<Option<Weak<Inner>>> = const { RefCell::new(None) };
    static DEFAULT: RefCell<Option<IOLoop>> = const { RefCell::new(None) };
}

/// Makes `inner` current and returns what was current before.
pub(crate) fn replace(inner: Option<&Rc<Inner>>) -> Option<Weak<Inner>> {
    CURRENT
        .try_with(|slot| slot.replace(inner.map(Rc::downgrade)))
        .ok()
        .flatten()
}

/// Restores a previously current loop.
pub(crate) fn restore(previous: Option<Weak<Inner>>) {
    let _ = CURRENT.try_with(|slot| *slot.borrow_mut() = previous);
}

/// The current loop, if one is current and alive.
pub(crate) fn get() -> Option<IOLoop> {
    CURRENT
        .try_with(|slot| slot.borrow().as_ref().and_then(Weak::upgrade))
        .ok()
        .flatten()
        .map(IOLoop::from_inner)
}

/// The current loop, creating the thread's default loop if none is current.
pub(crate) fn get_or_default() -> IOLoop {
    if let Some(io_loop) = get() {
        return io_loop;
    }
    let made = DEFAULT.try_with(|default| {
        let mut default = default.borrow_mut();
        if let Some(io_loop) = default.as_ref().filter(|l| !l.is_closed()) {
            return io_loop.clone();
        }
        let io_loop = IOLoop::new();
        *default = Some(io_loop.clone());
        io_loop
    });
    // Thread-local storage is being torn down: hand out an unregistered
    // loop rather than panic.
    let io_loop = made.unwrap_or_else(|_| IOLoop::new());
    replace(Some(&io_loop.inner));
    io_loop
}
