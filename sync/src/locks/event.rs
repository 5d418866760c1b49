//! [`Event`]: block until a flag is set.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use gust_yieldables::Future;

use crate::timeout::IntoTimeout;
use crate::waiters::{Timer, Waiter, Waiters, drop_swept, time_out_as_with_timeout};

/// An event blocks coroutines until its internal flag is set to true
/// (Tornado's `tornado.locks.Event`; similar to `threading.Event`).
///
/// A coroutine can wait for an event to be set. Once it is set, waiting
/// does not block until the event has been cleared. An `Event` is a cheap
/// handle: clones share the flag.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use gust::gen_;
/// use gust::locks::Event;
/// use gust::prelude::*;
///
/// let io_loop = IOLoop::new();
/// let event = Event::new();
/// let printed = Rc::new(RefCell::new(Vec::new()));
///
/// let waiter = {
///     let (event, printed) = (event.clone(), printed.clone());
///     gen_::coroutine(move |co| {
///         printed.borrow_mut().push("Waiting for event");
///         co.yield_(event.wait(None))?;
///         printed.borrow_mut().push("Not waiting this time");
///         co.yield_(event.wait(None))?;
///         printed.borrow_mut().push("Done");
///         Ok(())
///     })
/// };
/// let setter = {
///     let (event, printed) = (event.clone(), printed.clone());
///     gen_::coroutine(move |_co| {
///         printed.borrow_mut().push("About to set the event");
///         event.set();
///         Ok(())
///     })
/// };
/// io_loop.run_sync(move || vec![waiter, setter], None).unwrap();
/// assert_eq!(
///     *printed.borrow(),
///     ["Waiting for event", "About to set the event", "Not waiting this time", "Done"]
/// );
/// ```
#[derive(Clone, Default)]
pub struct Event {
    inner: Rc<Inner>,
}

#[derive(Default)]
struct Inner {
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    value: bool,
    waiters: Waiters<()>,
}

impl Event {
    /// An event whose flag is clear.
    pub fn new() -> Event {
        Event::default()
    }

    /// Whether the internal flag is true.
    pub fn is_set(&self) -> bool {
        self.inner.state.borrow().value
    }

    /// Sets the internal flag to true. All waiters are awakened (each
    /// resumes on the loop's next iteration). Waiting once the flag is set
    /// does not block. Setting a set event does nothing.
    pub fn set(&self) {
        let waiters = {
            let mut state = self.inner.state.borrow_mut();
            if state.value {
                return;
            }
            state.value = true;
            state.waiters.take_all()
        };
        let mut waiters = waiters;
        for mut waiter in waiters.drain(..) {
            if !waiter.future.done() {
                waiter.cancel_timer();
                let _ = waiter.future.set_result(());
            }
        }
        self.inner.state.borrow_mut().waiters.recycle(waiters);
    }

    /// Resets the internal flag to false: waiting blocks until
    /// [`set`](Event::set) is called.
    pub fn clear(&self) {
        self.inner.state.borrow_mut().value = false;
    }

    /// Blocks until the internal flag is true.
    ///
    /// Returns a future, done at once if the flag is set, which fails with
    /// [`TimeoutError`](gust_yieldables::TimeoutError) (`Timeout`, the
    /// message of `with_timeout`, which Tornado uses here) after the
    /// timeout (see [`IntoTimeout`]).
    pub fn wait(&self, timeout: impl IntoTimeout) -> Future<()> {
        if self.is_set() {
            return Future::ready(());
        }
        let future = Future::new();
        let timer = Timer::for_waiter(
            timeout.into_timeout(),
            &future,
            Rc::downgrade(&self.inner),
            time_out_as_with_timeout,
            Inner::note_timeout,
        );
        let swept = self
            .inner
            .state
            .borrow_mut()
            .waiters
            .push(Waiter::new(future.clone(), (), timer));
        drop_swept(swept);
        future
    }

    /// How many waiters are waiting (timed-out and abandoned ones are not
    /// counted).
    pub fn waiters(&self) -> usize {
        self.inner.state.borrow().waiters.live_count()
    }
}

impl Inner {
    fn note_timeout(&self) {
        let swept = self.state.borrow_mut().waiters.note_timeout();
        drop_swept(swept);
    }
}

/// Tornado's repr: `<Event set>` or `<Event clear>`.
impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.state.try_borrow() {
            Ok(state) => write!(f, "<Event {}>", if state.value { "set" } else { "clear" }),
            Err(_) => f.write_str("<Event (busy)>"),
        }
    }
}
