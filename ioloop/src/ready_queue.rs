//! The ready queue: callbacks to run in the loop's next iteration, in the
//! order they were added.

use std::cell::RefCell;
use std::collections::VecDeque;

use crate::callback::{Callback, run_callback};
use crate::io_loop::IOLoop;

/// Callbacks waiting for the next iteration, and the ones the running
/// iteration is working through.
pub(crate) struct ReadyQueue {
    ready: RefCell<VecDeque<Callback>>,
    /// The callbacks of the running iteration (swapped with `ready` at its
    /// start, so callbacks added meanwhile wait for the next one).
    running: RefCell<VecDeque<Callback>>,
}

impl ReadyQueue {
    pub(crate) fn new() -> ReadyQueue {
        ReadyQueue {
            ready: RefCell::new(VecDeque::with_capacity(64)),
            running: RefCell::new(VecDeque::with_capacity(64)),
        }
    }

    /// Queues `callback` for the next iteration.
    #[inline]
    pub(crate) fn push(&self, callback: Callback) {
        self.ready.borrow_mut().push_back(callback);
    }

    /// Queues several callbacks, in order.
    pub(crate) fn extend(&self, callbacks: impl IntoIterator<Item = Callback>) {
        self.ready.borrow_mut().extend(callbacks);
    }

    /// How many callbacks wait for the next iteration.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.ready.borrow().len()
    }

    /// Whether no callback waits.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.ready.borrow().is_empty()
    }

    /// Runs the callbacks queued before this call, in FIFO order; those
    /// they add wait for the next iteration. Returns how many ran.
    #[inline]
    pub(crate) fn run(&self, io_loop: &IOLoop) -> usize {
        std::mem::swap(&mut *self.ready.borrow_mut(), &mut *self.running.borrow_mut());
        let mut count = 0;
        loop {
            let next = self.running.borrow_mut().pop_front();
            let Some(callback) = next else {
                return count;
            };
            run_callback(io_loop, callback);
            count += 1;
        }
    }

    /// Takes every queued callback out (the loop is closing); the caller
    /// drops them outside any borrow.
    pub(crate) fn take_all(&self) -> VecDeque<Callback> {
        std::mem::take(&mut *self.ready.borrow_mut())
    }
}
