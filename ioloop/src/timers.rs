//! The loop's timers: the [`TimerHeap`] and the buffer of the timers due in
//! the running iteration.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use crate::callback::{Callback, run_callback};
use crate::clock::Clock;
use crate::io_loop::IOLoop;
use crate::timer_heap::{TimeoutHandle, TimerHeap};

/// When a timer fires: at an instant, or a delay after an instant (kept
/// apart so that a delay too large for an `Instant` still sorts last).
#[derive(Clone, Copy)]
pub(crate) enum When {
    At(Instant),
    After(Instant, Duration),
}

pub(crate) struct Timers {
    heap: RefCell<TimerHeap>,
    /// The timers due in the current iteration (a reused buffer).
    due: RefCell<Vec<TimeoutHandle>>,
}

impl Timers {
    /// No timers, on a clock that reads `now`.
    pub(crate) fn new(now: Instant) -> Timers {
        Timers {
            heap: RefCell::new(TimerHeap::new(now)),
            due: RefCell::new(Vec::new()),
        }
    }

    /// Adds a timer. Past `u32::MAX` pending timers (a runaway program) the
    /// callback cannot be named: it is dropped, as on a closed loop, the
    /// error is logged, and the handle names nothing.
    #[inline]
    pub(crate) fn insert(&self, when: When, callback: Callback) -> TimeoutHandle {
        let mut heap = self.heap.borrow_mut();
        if heap.has_room() {
            let ticks = match when {
                When::At(instant) => heap.ticks(instant),
                When::After(now, delay) => heap.ticks_after(now, delay),
            };
            return heap.insert(ticks, callback);
        }
        drop(heap);
        crate::gust_log!(target: crate::APP_LOG, log::Level::Error, "add_timeout: more than {} pending timers; the callback is dropped", u32::MAX - 1);
        drop(callback);
        TimeoutHandle::dead()
    }

    /// Cancels a pending timer; whether it was pending. Its callback is
    /// dropped here, outside the borrow (its destructor may use the loop).
    #[inline]
    pub(crate) fn remove(&self, handle: TimeoutHandle) -> bool {
        let removed = self.heap.borrow_mut().remove(handle);
        removed.is_some()
    }

    /// Number of pending timers.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.heap.borrow().len()
    }

    /// The earliest pending deadline.
    #[inline]
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.borrow_mut().next_deadline()
    }

    /// The timers due now on `clock`, in deadline order (`None`, without
    /// reading the clock, when there are no timers at all). They stay in
    /// the heap until [`run_due`](Self::run_due) takes them, so that an
    /// earlier callback of the same iteration can still remove them
    /// (Tornado's `test_remove_timeout_from_timeout`).
    #[inline]
    pub(crate) fn collect_due(&self, clock: &Clock) -> Option<Vec<TimeoutHandle>> {
        if self.heap.borrow().len() == 0 {
            return None;
        }
        let mut due = std::mem::take(&mut *self.due.borrow_mut());
        due.clear();
        self.heap.borrow_mut().pop_due(clock.now(), &mut due);
        Some(due)
    }

    /// Runs the timers [`collect_due`](Self::collect_due) returned that are
    /// still pending; returns how many ran.
    #[inline]
    pub(crate) fn run_due(&self, io_loop: &IOLoop, mut due: Vec<TimeoutHandle>) -> usize {
        let mut count = 0;
        for &handle in &due {
            let callback = self.heap.borrow_mut().take_due(handle);
            if let Some(callback) = callback {
                run_callback(io_loop, callback);
                count += 1;
            }
        }
        due.clear();
        *self.due.borrow_mut() = due;
        count
    }

    /// Takes every pending callback out (the loop is closing).
    pub(crate) fn drain(&self) -> Vec<Callback> {
        self.heap.borrow_mut().drain()
    }
}
