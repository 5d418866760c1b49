//! The ready queue: callbacks to run in the loop's next iteration, in the
//! order they were added.

use std::cell::RefCell;
use std::collections::VecDeque;

use crate::callback::{Callback, run_callback};
use crate::handle::KEEP_CAPACITY;
use crate::io_loop::IOLoop;

/// Room each buffer starts with (and keeps after a burst).
const INITIAL_CAPACITY: usize = 64;

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
            ready: RefCell::new(VecDeque::with_capacity(INITIAL_CAPACITY)),
            running: RefCell::new(VecDeque::with_capacity(INITIAL_CAPACITY)),
        }
    }

    /// Queues `callback` for the next iteration.
    #[inline]
    pub(crate) fn push(&self, callback: Callback) {
        self.ready.borrow_mut().push_back(callback);
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
    ///
    /// A queue grown by a burst gives its memory back once an iteration
    /// uses only a small part of it.
    #[inline]
    pub(crate) fn run(&self, io_loop: &IOLoop) -> usize {
        std::mem::swap(&mut *self.ready.borrow_mut(), &mut *self.running.borrow_mut());
        let mut count = 0;
        loop {
            let next = self.running.borrow_mut().pop_front();
            let Some(callback) = next else {
                break;
            };
            run_callback(io_loop, callback);
            count += 1;
        }
        let mut running = self.running.borrow_mut();
        if running.capacity() > KEEP_CAPACITY && count < running.capacity() / 4 {
            running.shrink_to(count.max(INITIAL_CAPACITY));
        }
        count
    }

    /// Room in both buffers (for tests of the release after a burst).
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.ready.borrow().capacity() + self.running.borrow().capacity()
    }

    /// Takes every queued callback out (the loop is closing); the caller
    /// drops them outside any borrow.
    pub(crate) fn take_all(&self) -> VecDeque<Callback> {
        std::mem::take(&mut *self.ready.borrow_mut())
    }
}

#[cfg(test)]
mod tests {
    use crate::{IOLoop, ManualClock};

    #[test]
    fn a_burst_gives_its_memory_back() {
        let io_loop = IOLoop::with_clock(ManualClock::new());
        for _ in 0..100_000 {
            io_loop.add_callback(|| {});
        }
        assert!(io_loop.ready_capacity() >= 100_000);
        io_loop.run_until_idle().unwrap();
        io_loop.add_callback(|| {});
        io_loop.run_until_idle().unwrap();
        io_loop.add_callback(|| {});
        io_loop.run_until_idle().unwrap();
        assert!(
            io_loop.ready_capacity() <= 4 * super::KEEP_CAPACITY,
            "{} slots kept after the burst",
            io_loop.ready_capacity()
        );
    }

    #[test]
    fn a_burst_from_other_threads_gives_its_memory_back() {
        let io_loop = IOLoop::with_clock(ManualClock::new());
        let handle = io_loop.handle();
        std::thread::spawn(move || {
            for _ in 0..100_000 {
                handle.add_callback(|| {}).unwrap();
            }
        })
        .join()
        .unwrap();
        assert!(io_loop.remote_capacity() >= 100_000);
        let iterations = io_loop.run_until_idle().unwrap();
        assert!(
            iterations as usize >= 100_000 / crate::handle::REMOTE_BATCH,
            "{iterations}"
        );
        assert_eq!(io_loop.remote_capacity(), 0);
        assert!(io_loop.ready_capacity() <= 4 * super::KEEP_CAPACITY);
    }
}
