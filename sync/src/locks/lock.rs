//! [`Lock`]: mutual exclusion for coroutines.

use std::fmt;
use std::rc::Rc;

use gust_yieldables::Future;
use thiserror::Error;

use super::semaphore::{Core, Guard, Kind, OverRelease};
use crate::timeout::IntoTimeout;

/// [`Lock::release`] on a lock that is not locked (Tornado's
/// `RuntimeError('release unlocked lock')`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Error)]
#[error("release unlocked lock")]
pub struct NotLockedError;

/// A lock for coroutines (Tornado's `tornado.locks.Lock`).
///
/// A `Lock` begins unlocked, and [`acquire`](Lock::acquire) locks it
/// immediately. While it is locked, a coroutine that yields `acquire`
/// waits until another coroutine releases it. Waiters get the lock in the
/// order they asked for it. A `Lock` is a cheap handle: clones are the
/// same lock.
///
/// `acquire` resolves to a [`Guard`] that releases the lock when dropped:
/// the Rust form of both `with (yield lock.acquire()):` and
/// `async with lock:`.
///
/// ```
/// use gust::gen_;
/// use gust::locks::Lock;
/// use gust::prelude::*;
///
/// let lock = Lock::new();
///
/// // A decorated coroutine:
/// let f = {
///     let lock = lock.clone();
///     gen_::coroutine(move |co| {
///         let _guard = co.yield_(lock.acquire(None))?;
///         // Do something holding the lock.
///         Ok(())
///         // Now the lock is released.
///     })
/// };
///
/// // A native coroutine:
/// async fn f2(lock: Lock) -> Result<(), Error> {
///     let _guard = lock.acquire(None).await?;
///     // Do something holding the lock.
///     Ok(())
/// }
///
/// let io_loop = IOLoop::current();
/// io_loop.run_sync(move || f, None).unwrap();
/// let g = io_loop.spawn(f2(lock.clone()));
/// io_loop.run_sync(move || g, None).unwrap();
/// ```
///
/// Releasing an unlocked lock is a [`NotLockedError`].
///
/// Forgetting `acquire` (Tornado's `with (yield lock):`, a `BadYieldError`)
/// does not compile: a `Lock` is not yieldable.
///
/// ```compile_fail
/// use gust::gen_;
/// use gust::locks::Lock;
///
/// let lock = Lock::new();
/// let _f = gen_::coroutine(move |co| {
///     let _guard = co.yield_(lock.clone())?;
///     Ok(())
/// });
/// ```
#[derive(Clone)]
pub struct Lock {
    core: Rc<Core>,
}

impl Lock {
    /// An unlocked lock.
    pub fn new() -> Lock {
        Lock {
            core: Core::new(1, Kind::Lock),
        }
    }

    /// Locks it, waiting for a release if it is locked. The future fails
    /// with [`TimeoutError`](gust_yieldables::TimeoutError) (empty message,
    /// as Tornado's) after the timeout (see [`IntoTimeout`]).
    pub fn acquire(&self, timeout: impl IntoTimeout) -> Future<Guard> {
        Core::acquire(&self.core, timeout)
    }

    /// Unlocks it: the first coroutine in line waiting for `acquire` gets
    /// the lock. Usually a [`Guard`] does this; call it by hand after
    /// [`Guard::forget`].
    pub fn release(&self) -> Result<(), NotLockedError> {
        Core::release(&self.core).map_err(|OverRelease| NotLockedError)
    }

    /// Whether the lock is held.
    pub fn is_locked(&self) -> bool {
        self.core.value() == 0
    }

    /// How many acquisitions are waiting.
    pub fn waiters(&self) -> usize {
        self.core.waiters()
    }
}

impl Default for Lock {
    fn default() -> Self {
        Lock::new()
    }
}

/// Tornado's repr: `<Lock _block=<BoundedSemaphore [unlocked,value:1]>>`.
impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<Lock _block=")?;
        self.core.describe(f)?;
        f.write_str(">")
    }
}
