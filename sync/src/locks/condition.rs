//! [`Condition`]: wait until notified.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use gust_yieldables::Future;

use crate::timeout::IntoTimeout;
use crate::waiters::{Timer, Waiter, Waiters, drop_swept};

/// A condition allows one or more coroutines to wait until notified
/// (Tornado's `tornado.locks.Condition`).
///
/// Like a standard `threading.Condition`, but does not need an underlying
/// lock that is acquired and released. A `Condition` is a cheap handle:
/// clones share the same waiters.
///
/// With a `Condition`, coroutines can wait to be notified by other
/// coroutines:
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use gust::gen_;
/// use gust::locks::Condition;
/// use gust::prelude::*;
///
/// let io_loop = IOLoop::new();
/// let condition = Condition::new();
/// let printed = Rc::new(RefCell::new(Vec::new()));
///
/// let waiter = {
///     let (condition, printed) = (condition.clone(), printed.clone());
///     gen_::coroutine(move |co| {
///         printed.borrow_mut().push("I'll wait right here");
///         co.yield_(condition.wait(None))?;
///         printed.borrow_mut().push("I'm done waiting");
///         Ok(())
///     })
/// };
/// let notifier = {
///     let (condition, printed) = (condition.clone(), printed.clone());
///     gen_::coroutine(move |_co| {
///         printed.borrow_mut().push("About to notify");
///         condition.notify(1);
///         printed.borrow_mut().push("Done notifying");
///         Ok(())
///     })
/// };
/// // Wait for waiter() and notifier() in parallel.
/// io_loop.run_sync(move || vec![waiter, notifier], None).unwrap();
/// assert_eq!(
///     *printed.borrow(),
///     ["I'll wait right here", "About to notify", "Done notifying", "I'm done waiting"]
/// );
/// ```
///
/// [`wait`](Condition::wait) takes a `timeout`: `None`, an absolute
/// [`Instant`](std::time::Instant) on the loop's clock
/// (`io_loop.time() + Duration::from_secs(1)`), or a
/// [`Duration`](std::time::Duration) from now. The wait resolves to
/// `false` if there's no notification before the deadline (no error).
///
/// A waiter learns of a notification on the loop's next iteration: a
/// coroutine waiting on the condition resumes one iteration after
/// `notify` (Tornado 5.0+). A done callback added to the future returned by
/// `wait` runs inside `notify` (gust's futures run their callbacks at
/// once). Calling `notify` from such a callback is safe.
///
/// A waiter whose timeout fired, or whose future nobody holds or waits on
/// any more (a dropped native task, say), is removed: it never consumes a
/// notification.
#[derive(Clone, Default)]
pub struct Condition {
    inner: Rc<Inner>,
}

#[derive(Default)]
struct Inner {
    waiters: RefCell<Waiters<bool>>,
}

impl Condition {
    /// A condition with no waiters.
    pub fn new() -> Condition {
        Condition::default()
    }

    /// Waits for [`notify`](Condition::notify).
    ///
    /// Returns a [`Future`] that resolves `true` if the condition is
    /// notified, or `false` after the timeout (see [`IntoTimeout`]).
    pub fn wait(&self, timeout: impl IntoTimeout) -> Future<bool> {
        let future = Future::new();
        let timer = Timer::for_waiter(
            timeout.into_timeout(),
            &future,
            Rc::downgrade(&self.inner),
            |future| {
                let _ = future.set_result(false);
            },
            Inner::note_timeout,
        );
        let swept = self
            .inner
            .waiters
            .borrow_mut()
            .push(Waiter::new(future.clone(), (), timer));
        drop_swept(swept);
        future
    }

    /// Wakes `n` waiters, the longest-waiting first.
    ///
    /// Waiters that timed out, or whose consumers are gone, are skipped and
    /// do not count against `n`. The waiters are chosen first and then
    /// resolved, so a callback that calls `notify` again wakes waiters
    /// after them.
    pub fn notify(&self, n: usize) {
        if n == 1 {
            if let Some(mut waiter) = self.next_live() {
                waiter.cancel_timer();
                let _ = waiter.future.set_result(true);
            }
            return;
        }
        let mut chosen = Vec::new();
        while chosen.len() < n {
            match self.next_live() {
                Some(waiter) => chosen.push(waiter),
                None => break,
            }
        }
        for mut waiter in chosen {
            waiter.cancel_timer();
            let _ = waiter.future.set_result(true);
        }
    }

    /// Wakes all waiters (those waiting when it is called).
    pub fn notify_all(&self) {
        let mut all = self.inner.waiters.borrow_mut().take_all();
        for mut waiter in all.drain(..) {
            if waiter.is_live() {
                waiter.cancel_timer();
                let _ = waiter.future.set_result(true);
            }
        }
        self.inner.waiters.borrow_mut().recycle(all);
    }

    /// How many waiters are waiting (timed-out and abandoned ones are not
    /// counted: they are removed).
    pub fn waiters(&self) -> usize {
        self.inner.waiters.borrow().live_count()
    }

    /// The first live waiter, dead ones dropped on the way (outside the
    /// borrow).
    fn next_live(&self) -> Option<Waiter<bool>> {
        loop {
            let waiter = self.inner.waiters.borrow_mut().pop_front()?;
            if waiter.is_live() {
                return Some(waiter);
            }
        }
    }
}

impl Inner {
    fn note_timeout(&self) {
        let swept = self.waiters.borrow_mut().note_timeout();
        drop_swept(swept);
    }
}

/// Tornado's repr: `<Condition>`, or `<Condition waiters[N]>`.
impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.waiters.try_borrow().map(|w| w.live_count()) {
            Ok(0) => f.write_str("<Condition>"),
            Ok(n) => write!(f, "<Condition waiters[{n}]>"),
            Err(_) => f.write_str("<Condition (busy)>"),
        }
    }
}
