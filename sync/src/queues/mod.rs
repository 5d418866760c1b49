//! Asynchronous queues for coroutines (Tornado's `tornado.queues`):
//! [`Queue`], [`PriorityQueue`], [`LifoQueue`].
//!
//! These are very similar to the queues of Python's `asyncio` package.
//! Unlike the standard library's `std::sync::mpsc`, they are not
//! thread-safe: they belong to one loop's thread, like Tornado's. To use a
//! queue from another thread, hand the work to the loop first
//! (`io_loop.handle().add_callback(...)`).
//!
//! Waiting operations (`put`, `get`, `join`) return gust
//! [`Future`](gust_yieldables::Future)s and take a `timeout`
//! ([`IntoTimeout`](crate::locks::IntoTimeout): `None`, a `Duration` from
//! now, or an `Instant` on the loop's clock). Waiters are served in the
//! order they came.

mod error;
mod iter;
mod order;
mod shared;
mod types;

pub use error::{QueueEmpty, QueueFull, TaskDoneError};
pub use iter::{Iter, Next, QueueStream};
pub use types::{LifoQueue, PriorityQueue, Queue};
