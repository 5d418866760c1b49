//! Tests of `gust::locks` and `gust::queues`: ports of Tornado's
//! `locks_test.py` and `queues_test.py`, and what those do not cover (no
//! item lost when a get times out or its consumer is gone, waiters whose
//! consumers vanished, 100,000 waiters, guards released by a panicking
//! coroutine).
//!
//! Conventions: a Tornado `@gen_test` body becomes [`try_gen_test`] (a coroutine on
//! a fresh loop whose clock jumps to the next timer, so `sleep(0.01)` takes
//! no real time); a plain `AsyncTestCase` test gets a fresh loop from
//! [`new_loop`]. Tornado's `loop_briefly()` (run the callbacks queued so
//! far) is [`loop_briefly`]: one loop iteration. Tornado's timeouts of
//! 0.01 s become 10 ms on the manual clock.

mod condition;
mod event;
mod lock;
mod queue_basic;
mod queue_join;
mod queue_lost_items;
mod semaphore;

use std::cell::RefCell;
use std::fmt::Display;
use std::rc::Rc;
use std::time::Duration;

use gust::ioloop::ManualClock;
use gust::prelude::*;

pub use gust::testing::try_gen_test;

/// A fresh loop (made current) on a clock that jumps to the next timer.
pub fn new_loop() -> IOLoop {
    IOLoop::with_clock(ManualClock::autojump())
}

/// Tornado's `loop_briefly`: runs the callbacks queued so far (one loop
/// iteration, without waiting).
pub fn loop_briefly(io_loop: &IOLoop) {
    gust::testing::step(io_loop);
}

/// `n` milliseconds (Tornado's tests say `timedelta(seconds=n / 1000)`).
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A shared list of what happened, in order.
#[derive(Clone, Default)]
pub struct History(Rc<RefCell<Vec<String>>>);

impl History {
    pub fn new() -> History {
        History::default()
    }

    pub fn push(&self, entry: impl Display) {
        self.0.borrow_mut().push(entry.to_string());
    }

    pub fn get(&self) -> Vec<String> {
        self.0.borrow().clone()
    }

    pub fn len(&self) -> usize {
        self.0.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The strings of `items`, for comparing with a [`History`].
pub fn strings<T: Display>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    items.into_iter().map(|item| item.to_string()).collect()
}
