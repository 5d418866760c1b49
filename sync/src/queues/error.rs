//! The errors of queue operations.

use std::fmt;

use thiserror::Error;

/// [`get_nowait`](super::Queue::get_nowait) found no item (Tornado's
/// `QueueEmpty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Error)]
#[error("QueueEmpty")]
pub struct QueueEmpty;

/// [`put_nowait`](super::Queue::put_nowait) found the queue at its maximum
/// size (Tornado's `QueueFull`). The item that was not put is inside:
/// nothing is lost.
///
/// ```
/// use gust::queues::{Queue, QueueFull};
///
/// let q = Queue::new(1);
/// q.put_nowait("first").unwrap();
/// let full: QueueFull<&str> = q.put_nowait("second").unwrap_err();
/// assert_eq!(full.into_inner(), "second");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Error)]
#[error("QueueFull")]
pub struct QueueFull<T>(pub T);

impl<T> QueueFull<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueFull(..)")
    }
}

/// [`task_done`](super::Queue::task_done) was called more times than items
/// were put (Tornado's `ValueError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Error)]
#[error("task_done() called too many times")]
pub struct TaskDoneError;
