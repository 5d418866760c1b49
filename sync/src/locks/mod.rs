//! Synchronization primitives for coroutines (Tornado's `tornado.locks`):
//! [`Condition`], [`Event`], [`Semaphore`], [`BoundedSemaphore`] and
//! [`Lock`].
//!
//! They belong to one loop's thread and are not thread-safe (`!Send`), like
//! Tornado's: nothing in them needs an atomic. To use them from another
//! thread, hand the work to the loop first
//! (`io_loop.handle().add_callback(...)`).
//!
//! Every wait returns a gust [`Future`](gust_yieldables::Future), so it can
//! be yielded from a decorated coroutine (`co.yield_(lock.acquire(None))`),
//! awaited from native code (`lock.acquire(None).await`), or given a done
//! callback. Every wait takes a `timeout` ([`IntoTimeout`]: `None`, a
//! `Duration` from now, or an `Instant` on the loop's clock).
//!
//! Waiters are served in the order they started waiting. A waiter whose
//! timeout fired is removed at once: it is never woken later and never
//! consumes a notification or a permit. So is a waiter whose consumer is
//! gone (a native task dropped while waiting, a future nobody holds): it is
//! skipped when its turn comes.
//!
//! Acquiring a [`Semaphore`] or a [`Lock`] gives a [`Guard`] that releases
//! it when dropped, even if the coroutine holding it panics or is closed.

mod condition;
mod event;
mod lock;
mod semaphore;

pub use crate::timeout::IntoTimeout;
pub use condition::Condition;
pub use event::Event;
pub use lock::{Lock, NotLockedError};
pub use semaphore::{BoundedSemaphore, Guard, Semaphore, TooManyReleasesError};
