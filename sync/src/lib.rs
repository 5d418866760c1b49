//! Tornado's `tornado.locks` and `tornado.queues` for gust coroutines.
//!
//! [`locks`] has [`Condition`](locks::Condition), [`Event`](locks::Event),
//! [`Semaphore`](locks::Semaphore), [`BoundedSemaphore`](locks::BoundedSemaphore)
//! and [`Lock`](locks::Lock); [`queues`] has [`Queue`](queues::Queue),
//! [`PriorityQueue`](queues::PriorityQueue) and [`LifoQueue`](queues::LifoQueue).
//! They coordinate coroutines on one loop: every wait returns a gust
//! `Future`, so decorated coroutines yield it, native coroutines `.await`
//! it, and callbacks add a done callback to it.
//!
//! Most users reach them through the `gust` facade: `gust::locks`,
//! `gust::queues`.
//!
//! ```
//! use gust::gen_;
//! use gust::locks::Lock;
//! use gust::queues::Queue;
//! use gust::prelude::*;
//!
//! let io_loop = IOLoop::new();
//! let (q, lock) = (Queue::new(0), Lock::new());
//! let total = io_loop
//!     .run_sync(
//!         move || {
//!             gen_::coroutine(move |co| {
//!                 for i in 1..=3 {
//!                     co.yield_(q.put(i, None))?;
//!                 }
//!                 let _guard = co.yield_(lock.acquire(None))?;
//!                 let mut total = 0;
//!                 while !q.empty() {
//!                     total += co.yield_(q.get(None))?;
//!                 }
//!                 Ok(total)
//!             })
//!         },
//!         None,
//!     )
//!     .unwrap();
//! assert_eq!(total, 6);
//! ```
#![deny(missing_docs)]

pub mod locks;
pub mod queues;
mod timeout;
mod waiters;
