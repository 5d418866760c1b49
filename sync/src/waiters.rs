//! The waiters of a lock or a queue: futures in FIFO order, each with an
//! optional timer, and the rules for handing a value to one of them.
//!
//! A waiter is live while its future is pending and someone can still
//! receive its result ([`Future::has_observers`]): a suspended coroutine, a
//! native task holding the future, a done callback. A waiter whose timeout
//! fired, that was cancelled, or whose consumer is gone is dead: it is
//! skipped when its turn comes, never handed anything, and swept out of
//! the list in amortised constant time (Tornado's `_TimeoutGarbageCollector`
//! does the same every 100 timeouts; this sweeps when dead waiters may be
//! half the list, so a long list is not rebuilt every 100 timeouts).
//!
//! Nothing here runs while the owner's `RefCell` is borrowed in a way that
//! matters: callers pop a waiter, release their borrow, and only then
//! resolve it or drop it (a dropped waiter may drop user values).

use std::collections::VecDeque;

use gust_ioloop::{Deadline, IOLoop, TimeoutHandle, WeakIOLoop};
use std::rc::Weak;

use gust_yieldables::{Future, TimeoutError};

/// Timeouts to see before a sweep is considered at all.
const SWEEP_AFTER_TIMEOUTS: usize = 100;
/// A list shorter than this is never swept on growth.
const SWEEP_MIN_LEN: usize = 64;

/// A waiter's timeout on the loop that was current when it started.
pub(crate) struct Timer {
    io_loop: WeakIOLoop,
    handle: TimeoutHandle,
}

impl Timer {
    /// Calls `fire` at `deadline` on the current loop.
    pub(crate) fn start(deadline: Deadline, fire: impl FnOnce() + 'static) -> Timer {
        let io_loop = IOLoop::current();
        let handle = io_loop.add_timeout(deadline, fire);
        Timer {
            io_loop: io_loop.downgrade(),
            handle,
        }
    }

    /// The timer of a waiter that waits for `future` until `timeout`, if
    /// any: at the deadline, `expire` resolves the future unless it is done
    /// already, and `note` tells the waiter list's owner (`host`), which
    /// may sweep.
    pub(crate) fn for_waiter<T: 'static, H: 'static>(
        timeout: Option<Deadline>,
        future: &Future<T>,
        host: Weak<H>,
        expire: fn(&Future<T>),
        note: fn(&H),
    ) -> Option<Timer> {
        let deadline = timeout?;
        let waiter = future.downgrade();
        Some(Timer::start(deadline, move || {
            if let Some(future) = waiter.upgrade() {
                if !future.done() {
                    expire(&future);
                }
            }
            if let Some(host) = host.upgrade() {
                note(&host);
            }
        }))
    }

    /// Removes the timer (its waiter was served first).
    pub(crate) fn cancel(self) {
        if let Some(io_loop) = self.io_loop.upgrade() {
            io_loop.remove_timeout(self.handle);
        }
    }
}

/// Fails `future` with Tornado's `gen.TimeoutError()` of locks and queues
/// (an empty message).
pub(crate) fn time_out<T: 'static>(future: &Future<T>) {
    let _ = future.set_exception(TimeoutError::new(""));
}

/// Fails `future` with the `TimeoutError('Timeout')` of `gen.with_timeout`,
/// which Tornado's `Event.wait` uses.
pub(crate) fn time_out_as_with_timeout<T: 'static>(future: &Future<T>) {
    let _ = future.set_exception(TimeoutError::new("Timeout"));
}

/// One waiter: its future, what it carries (a putter's item), its timer.
pub(crate) struct Waiter<T, X = ()> {
    pub(crate) future: Future<T>,
    pub(crate) extra: X,
    pub(crate) timer: Option<Timer>,
}

impl<T: 'static, X> Waiter<T, X> {
    /// A waiter for `future`.
    pub(crate) fn new(future: Future<T>, extra: X, timer: Option<Timer>) -> Waiter<T, X> {
        Waiter { future, extra, timer }
    }

    /// Pending, and someone can still receive the result.
    #[inline]
    pub(crate) fn is_live(&self) -> bool {
        !self.future.done() && self.future.has_observers()
    }

    /// Removes the timer, if any: the waiter is being served.
    #[inline]
    pub(crate) fn cancel_timer(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.cancel();
        }
    }
}

/// A waiter that goes away (served, skipped, swept) takes its timer with
/// it: a dead waiter's timer would otherwise stay in the loop's heap until
/// its deadline.
impl<T, X> Drop for Waiter<T, X> {
    fn drop(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.cancel();
        }
    }
}

/// Waiters in FIFO order.
pub(crate) struct Waiters<T, X = ()> {
    queue: VecDeque<Waiter<T, X>>,
    /// Whether a waiter nobody observes is dead. True for waits that
    /// receive something (a notification, a permit, an item); false for
    /// a queue's putters, whose put happens even if nobody waits for it
    /// (Tornado's fire-and-forget `q.put(item)`).
    observed_only: bool,
    /// Timers fired since the last sweep.
    timeouts: usize,
    /// The length right after the last sweep.
    swept_len: usize,
}

impl<T: 'static, X> Default for Waiters<T, X> {
    fn default() -> Self {
        Waiters::new()
    }
}

/// Waiters removed by a sweep, to be dropped with [`drop_swept`] once the
/// owner's borrow is released (`None` in the common case).
pub(crate) type Swept<T, X> = Option<VecDeque<Waiter<T, X>>>;

/// Drops what a sweep removed. The common `None` costs a test: the drop
/// glue of the list (a loop over waiters, timers and futures) stays out
/// of the caller.
#[inline]
pub(crate) fn drop_swept<T, X>(swept: Swept<T, X>) {
    if swept.is_none() {
        std::mem::forget(swept);
    } else {
        drop_removed(swept);
    }
}

#[cold]
#[inline(never)]
fn drop_removed<T, X>(swept: Swept<T, X>) {
    drop(swept);
}

impl<T: 'static, X> Waiters<T, X> {
    /// No waiters; a waiter nobody observes is dead.
    pub(crate) const fn new() -> Waiters<T, X> {
        Waiters {
            queue: VecDeque::new(),
            observed_only: true,
            timeouts: 0,
            swept_len: 0,
        }
    }

    /// No waiters; a waiter is live until it is done, observed or not.
    pub(crate) const fn keeping_unobserved() -> Waiters<T, X> {
        Waiters {
            queue: VecDeque::new(),
            observed_only: false,
            timeouts: 0,
            swept_len: 0,
        }
    }

    /// Whether `waiter` is live by this list's rule.
    #[inline]
    pub(crate) fn is_live(&self, waiter: &Waiter<T, X>) -> bool {
        if self.observed_only {
            waiter.is_live()
        } else {
            !waiter.future.done()
        }
    }

    /// Adds a waiter at the back. When the list has doubled since the last
    /// sweep, dead waiters (consumers gone without a timeout) are swept
    /// out: returned, for the caller to drop after its borrow.
    pub(crate) fn push(&mut self, waiter: Waiter<T, X>) -> Swept<T, X> {
        self.queue.push_back(waiter);
        if self.queue.len() >= SWEEP_MIN_LEN && self.queue.len() >= 2 * self.swept_len {
            self.sweep()
        } else {
            None
        }
    }

    /// The first waiter, live or not.
    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<Waiter<T, X>> {
        self.queue.pop_front()
    }

    /// A waiter's timer fired: sweep when dead waiters may be half the list.
    pub(crate) fn note_timeout(&mut self) -> Swept<T, X> {
        self.timeouts += 1;
        if self.timeouts > SWEEP_AFTER_TIMEOUTS && 2 * self.timeouts >= self.queue.len() {
            self.sweep()
        } else {
            None
        }
    }

    /// Every waiter, live or not, leaving the list empty.
    pub(crate) fn take_all(&mut self) -> VecDeque<Waiter<T, X>> {
        self.timeouts = 0;
        // The list will likely fill up again as far: no growth sweep
        // before it doubles past that.
        self.swept_len = self.queue.len();
        std::mem::take(&mut self.queue)
    }

    /// Gives back the (emptied) buffer `take_all` returned, so the next
    /// waiters reuse its allocation.
    pub(crate) fn recycle(&mut self, mut emptied: VecDeque<Waiter<T, X>>) {
        if self.queue.is_empty() && emptied.is_empty() && emptied.capacity() > self.queue.capacity() {
            std::mem::swap(&mut self.queue, &mut emptied);
        }
    }

    /// How many waiters are live.
    pub(crate) fn live_count(&self) -> usize {
        self.queue.iter().filter(|w| self.is_live(w)).count()
    }

    /// The waiters (live or not), front first.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Waiter<T, X>> {
        self.queue.iter()
    }

    /// Keeps the live waiters, in order; returns the others.
    ///
    /// A scan comes first: a list with nothing dead (the common case on
    /// growth) is left where it is, with no buffer built or moved. Dead
    /// waiters are compacted out in place, keeping the buffer.
    fn sweep(&mut self) -> Swept<T, X> {
        self.timeouts = 0;
        let first_dead = self.queue.iter().position(|w| !self.is_live(w));
        let mut removed = None;
        if let Some(first_dead) = first_dead {
            let mut kept = first_dead;
            for i in first_dead..self.queue.len() {
                if self.is_live(&self.queue[i]) {
                    self.queue.swap(kept, i);
                    kept += 1;
                }
            }
            removed = Some(self.queue.drain(kept..).collect());
        }
        self.swept_len = self.queue.len();
        removed
    }
}

/// Resolves the future of a waiter found live ([`Waiter::is_live`]) with
/// `value`; if nobody read it while its callbacks ran and no handle is
/// left but the caller's, the value comes back as `Err`, for the next
/// waiter.
#[inline]
pub(crate) fn deliver<T: 'static>(future: &Future<T>, value: T) -> Result<(), T> {
    let _ = future.set_result(value);
    match future.take_unobserved() {
        Some(value) => Err(value),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiter(future: &Future<u32>) -> Waiter<u32> {
        Waiter::new(future.clone(), (), None)
    }

    #[test]
    fn a_waiter_is_live_while_pending_and_observed() {
        let future = Future::new();
        let w = waiter(&future);
        assert!(w.is_live());
        drop(future);
        assert!(!w.is_live(), "nobody but the list holds it");
        let future = Future::new();
        let w = waiter(&future);
        future.cancel();
        assert!(!w.is_live());
    }

    #[test]
    fn growth_sweeps_out_dead_waiters_keeping_order() {
        let mut list = Waiters::new();
        let mut kept = Vec::new();
        for i in 0..SWEEP_MIN_LEN - 1 {
            let future = Future::new();
            let swept = list.push(waiter(&future));
            assert!(swept.is_none(), "no sweep before {SWEEP_MIN_LEN}");
            if i % 2 == 0 {
                kept.push(future);
            }
        }
        let future = Future::new();
        let swept = list.push(waiter(&future));
        assert_eq!(swept.map_or(0, |s| s.len()), (SWEEP_MIN_LEN - 1) / 2);
        kept.push(future);
        assert_eq!(list.live_count(), kept.len());
        assert_eq!(list.iter().count(), kept.len());
        assert!(list.iter().zip(&kept).all(|(w, k)| w.future.ptr_eq(k)));
        // The next sweep on growth waits for the list to double.
        for _ in 0..kept.len() - 1 {
            let future = Future::new();
            assert!(list.push(waiter(&future)).is_none());
            kept.push(future);
        }
    }

    #[test]
    fn a_sweep_with_nothing_dead_keeps_every_waiter_in_place() {
        let mut list = Waiters::new();
        let mut kept = Vec::new();
        for _ in 0..SWEEP_MIN_LEN {
            let future = Future::new();
            assert!(list.push(waiter(&future)).is_none());
            kept.push(future);
        }
        // The sweep at SWEEP_MIN_LEN ran (the next is at twice as many).
        assert_eq!(list.swept_len, SWEEP_MIN_LEN);
        assert_eq!(list.iter().count(), SWEEP_MIN_LEN);
        assert!(list.iter().zip(&kept).all(|(w, k)| w.future.ptr_eq(k)));
    }

    #[test]
    fn timeouts_sweep_when_half_may_be_dead() {
        let mut list = Waiters::new();
        let mut timed_out = Vec::new();
        for _ in 0..(SWEEP_AFTER_TIMEOUTS + 1) {
            let future = Future::new();
            let _ = list.push(waiter(&future));
            timed_out.push(future);
        }
        let last = Future::new();
        let _ = list.push(waiter(&last));
        let mut swept = 0;
        for (i, future) in timed_out.iter().enumerate() {
            future.set_result(0).unwrap();
            let removed = list.note_timeout().map_or(0, |s| s.len());
            if i < SWEEP_AFTER_TIMEOUTS {
                assert_eq!(removed, 0, "no sweep before {SWEEP_AFTER_TIMEOUTS} timeouts");
            }
            swept += removed;
        }
        assert_eq!(swept, SWEEP_AFTER_TIMEOUTS + 1);
        assert_eq!(list.live_count(), 1);
        assert_eq!(list.iter().count(), 1);
    }

    #[test]
    fn deliver_returns_the_value_nobody_read() {
        let future = Future::new();
        let reader = future.clone();
        assert_eq!(deliver(&future, 1u32), Ok(()));
        assert_eq!(reader.take_result().unwrap(), 1);
        // A callback that neither keeps nor reads it: taken back after.
        let future = Future::new();
        future.add_done_callback(|_| {});
        assert!(waiter(&future).is_live());
        assert_eq!(deliver(&future, 3u32), Err(3));
        // A callback that copies it: delivered.
        let future = Future::new();
        future.add_done_callback(|f: &Future<u32>| assert_eq!(f.result().unwrap(), 4));
        assert_eq!(deliver(&future, 4u32), Ok(()));
    }
}
