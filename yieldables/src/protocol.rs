//! What the coroutine engine (`gust-engine`) needs from this crate, and
//! most programs do not: the boundary between the two crates (and what
//! gust-sync needs of `Future`).
//!
//! * [`Waiter`] and [`AnyFuture`]: a parked coroutine waits on a future as
//!   a *waiter* (a token in the future's callback list, no closure), and is
//!   handed the finished future back as an `AnyFuture`. Two `Future`
//!   methods belong here too and are hidden from the docs:
//!   `Future::add_waiter(waiter, token)` and `Future::to_any()`.
//! * [`NativeWait`]: the waker and signal futures a coroutine parks on
//!   while it awaits a Rust future on its own stack (`Co::await_`).
//! * [`Label`]: what a pending future stands for (a sleep, a timeout, a
//!   `multi`...), set by whoever makes it and read by the runner when a
//!   coroutine parks on it; two hidden `Future` methods go with it:
//!   `label` and `set_label` (and `labelled`, a weak handle to read it
//!   later).
//! * [`Reclaim`], for gust-sync's queues: an item handed to a waiter whose
//!   consumer is gone before it read it goes back to the queue. Three
//!   hidden `Future` methods go with it: `add_reclaimer`, `has_observers`
//!   and `take_unobserved`.
//!
//! * [`set_task_outcome`]: how a coroutine or a task sets its result
//!   future (an uncaught `CancelledError` cancels it, Tornado 6.6).
//!
//! Everything else the engine uses is public API: [`Yielded`](crate::Yielded)
//! (how to wait for a yielded value), [`DriveContext`](crate::DriveContext)
//! and [`Signal`](crate::Signal) (driving a [`DrivenWait`](crate::DrivenWait)),
//! and the error types. The `gust` facade does not re-export this module.

pub use crate::future::{AnyFuture, Label, Labelled, Reclaim, Waiter, set_task_outcome};
pub use crate::native::NativeWait;
