//! The thread's current loop (Tornado's `IOLoop.current()`), and the loops
//! a thread made, closed when it exits.
//!
//! The slot holds a weak reference, so making a loop current does not keep
//! it alive: dropping the last handle of a loop still closes it. A loop that
//! `IOLoop::current()` had to create itself (because no loop was current) is
//! kept in a second, strong slot for the rest of the thread's life, as
//! Tornado keeps its implicit loop.
//!
//! Every loop is also noted, weakly, in its thread's list of loops. When
//! the thread exits, each of them still open is closed: a loop is `!Send`,
//! so once its thread is gone nothing can ever run it again, and closing it
//! drops the callbacks, timers, handlers and coroutines that held handles
//! to it (which dropping a program's own last handle cannot close).

use std::cell::RefCell;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::{Rc, Weak};

use crate::io_loop::{IOLoop, Inner};

thread_local! {
    static CURRENT: RefCell<Option<Weak<Inner>>> = const { RefCell::new(None) };
    static DEFAULT: RefCell<Option<IOLoop>> = const { RefCell::new(None) };
    static LOOPS: ThreadLoops = const { ThreadLoops { loops: RefCell::new(Vec::new()) } };
}

/// The loops made on this thread (weakly), closed when it exits.
struct ThreadLoops {
    loops: RefCell<Vec<Weak<Inner>>>,
}

impl Drop for ThreadLoops {
    fn drop(&mut self) {
        // Closing one loop may drop another's last handle (and close it),
        // or even make a new loop: take the list until it stays empty.
        loop {
            let loops = std::mem::take(&mut *self.loops.borrow_mut());
            if loops.is_empty() {
                return;
            }
            for weak in loops {
                let Some(inner) = weak.upgrade() else {
                    continue;
                };
                let io_loop = IOLoop::from_inner(inner);
                if io_loop.is_closed() {
                    continue;
                }
                // A panic must not escape a thread-local's destructor (the
                // process would abort): report it and go on.
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| io_loop.close())) {
                    crate::callback::log_panic("IOLoop::close at thread exit", &*payload);
                }
            }
        }
    }
}

/// Notes a new loop in its thread's list (dropping entries of loops that
/// are gone, now and then).
pub(crate) fn register(inner: &Rc<Inner>) {
    let _ = LOOPS.try_with(|thread| {
        let mut loops = thread.loops.borrow_mut();
        if loops.len() == loops.capacity() {
            loops.retain(|weak| weak.strong_count() > 0);
        }
        loops.push(Rc::downgrade(inner));
    });
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

/// The current loop, creating the thread's default loop if none is current;
/// the operating system's error if it refuses one.
pub(crate) fn get_or_default() -> io::Result<IOLoop> {
    if let Some(io_loop) = get() {
        return Ok(io_loop);
    }
    let made = DEFAULT.try_with(|default| -> io::Result<IOLoop> {
        let mut default = default.borrow_mut();
        if let Some(io_loop) = default.as_ref().filter(|l| !l.is_closed()) {
            return Ok(io_loop.clone());
        }
        let io_loop = IOLoop::try_new()?;
        *default = Some(io_loop.clone());
        Ok(io_loop)
    });
    // Thread-local storage is being torn down: hand out an unregistered
    // loop rather than panic.
    let io_loop = match made {
        Ok(made) => made?,
        Err(_) => IOLoop::try_new()?,
    };
    replace(Some(&io_loop.inner));
    Ok(io_loop)
}
