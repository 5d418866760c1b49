//! State other crates attach to a loop.
//!
//! The loop knows nothing of futures or coroutines, yet the coroutine runner
//! must live and die with the loop: suspended coroutines are unwound when
//! the loop closes. An [`Extension`] is a value stored in the loop, found by
//! its type, and told when the loop closes.

use std::any::Any;

use crate::io_loop::IOLoop;

/// A value another crate stores in an [`IOLoop`], one per type.
///
/// ```
/// use std::cell::Cell;
/// use gust::ioloop::{Extension, IOLoop};
///
/// #[derive(Default)]
/// struct Counter(Cell<u32>);
/// impl Extension for Counter {}
///
/// let io_loop = IOLoop::new();
/// io_loop.extension::<Counter>().0.set(7);
/// assert_eq!(io_loop.extension::<Counter>().0.get(), 7);
/// ```
pub trait Extension: Any {
    /// Called once when the loop closes (or its last handle is dropped),
    /// before its queued callbacks, timers and handlers are dropped. The
    /// loop is already marked closed: callbacks added now are dropped.
    fn close(&self, io_loop: &IOLoop) {
        let _ = io_loop;
    }
}
