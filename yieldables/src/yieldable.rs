//! [`Yieldable`]: what a coroutine may yield (Tornado's `convert_yielded`
//! registry).

use crate::driven::{DrivenWait, outside_coroutine};
use crate::error::Error;
use crate::future::Future;

/// Something a coroutine can yield, and what the yield evaluates to.
///
/// Tornado decides at run time what may be yielded (`convert_yielded`, a
/// `singledispatch` function others can register types with); yielding
/// anything else raises `BadYieldError`. In gust the same registry is this
/// trait: yielding a type that does not implement it does not compile.
///
/// Built in: [`Future<T>`] (the result is moved out), `&Future<T>` for
/// `T: Clone` (the result is copied), [`moment`](crate::moment) and `()`
/// (Tornado's `yield None`), `Vec`s, `HashMap`s, `BTreeMap`s and tuples of
/// yieldables (waited for in parallel, see [`multi`](crate::multi)), and the
/// futures returned by `sleep`, `with_timeout`, `WaitIterator::next` and
/// executors.
///
/// To make your own type yieldable, implement
/// [`convert_yielded`](Yieldable::convert_yielded), as you would register a
/// conversion with Tornado:
///
/// ```
/// use gust::concurrent::Future;
/// use gust::gen_::Yieldable;
///
/// /// A deferred from some other library, say.
/// struct Deferred(Future<String>);
///
/// impl Yieldable for Deferred {
///     type Output = String;
///     fn convert_yielded(self) -> Future<String> {
///         self.0
///     }
/// }
///
/// let d = Deferred(Future::ready("hello".to_owned()));
/// assert_eq!(gust::gen_::convert_yielded(d).take_result().unwrap(), "hello");
/// ```
pub trait Yieldable: Sized {
    /// What yielding this evaluates to (on success).
    type Output: 'static;

    /// Converts into a future (Tornado's `convert_yielded`).
    fn convert_yielded(self) -> Future<Self::Output>;

    /// How a coroutine waits for this. The default converts to a future and
    /// waits for it; built-in types override it to avoid allocating (a done
    /// value continues at once) or to wait one loop iteration (`moment`).
    #[inline]
    fn into_yielded(self) -> Yielded<Self::Output> {
        Yielded::Future(self.convert_yielded(), Extract::Take)
    }
}

/// How the coroutine runner should wait for a yielded value: the result of
/// [`Yieldable::into_yielded`].
pub enum Yielded<T> {
    /// Already resolved: continue at once, with no switch and no loop hop.
    Ready(Result<T, Error>),
    /// Wait for the future (at once if it is done), then read its result.
    Future(Future<T>, Extract<T>),
    /// Resume after exactly one loop iteration with this value (Tornado's
    /// `moment`).
    Moment(T),
    /// A wait the coroutine drives itself (see [`DrivenWait`]), such as a
    /// legacy `YieldPoint`. It needs a coroutine: as a future it fails with
    /// a [`BadYieldError`](crate::BadYieldError).
    Driven(Box<dyn DrivenWait<Output = T>>),
}

/// What can be known about a yielded value without waiting, outside a
/// coroutine (where `moment` resolves at once, as inside `multi`).
pub(crate) enum Resolution<T> {
    /// Known now.
    Known(Result<T, Error>),
    /// A pending future, and how to read it once done.
    Pending(Future<T>, Extract<T>),
    /// A driven wait: only a coroutine can wait for it.
    Driven(Box<dyn DrivenWait<Output = T>>),
}

/// How to read a finished future's result.
pub enum Extract<T> {
    /// Move it out ([`Future::take_result`]).
    Take,
    /// Read it with this function (for example [`Future::result`], which
    /// copies).
    With(fn(&Future<T>) -> Result<T, Error>),
}

impl<T: 'static> Extract<T> {
    /// Reads `future`'s result this way.
    #[inline]
    pub fn read(&self, future: &Future<T>) -> Result<T, Error> {
        match self {
            Extract::Take => future.take_result(),
            Extract::With(read) => read(future),
        }
    }
}

impl<T> Clone for Extract<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Extract<T> {}

impl<T: 'static> Yielded<T> {
    /// This as a future: a done one for `Ready` and `Moment` (inside
    /// `multi`, Tornado's `moment` resolves without a hop). A driven wait
    /// cannot be a future: the result fails with
    /// [`BadYieldError`](crate::BadYieldError).
    pub fn into_future(self) -> Future<T> {
        match self.into_parts() {
            (future, Extract::Take) => future,
            (future, Extract::With(read)) => {
                let out = Future::new();
                let target = out.clone();
                future.add_done_callback(move |done| {
                    let _ = target.set(read(done));
                });
                out
            }
        }
    }

    /// This as a future and how to read it (the future itself, not a copy,
    /// for `Future`s: done or not).
    #[inline]
    pub(crate) fn into_parts(self) -> (Future<T>, Extract<T>) {
        match self {
            Yielded::Ready(result) => (Future::from_result(result), Extract::Take),
            Yielded::Moment(value) => (Future::ready(value), Extract::Take),
            Yielded::Future(future, extract) => (future, extract),
            Yielded::Driven(wait) => (outside_coroutine(&*wait), Extract::Take),
        }
    }

    /// What is known now, outside a coroutine: a done future is read.
    #[inline]
    pub(crate) fn resolve(self) -> Resolution<T> {
        match self {
            Yielded::Ready(result) => Resolution::Known(result),
            Yielded::Moment(value) => Resolution::Known(Ok(value)),
            Yielded::Future(future, extract) if future.done() => Resolution::Known(extract.read(&future)),
            Yielded::Future(future, extract) => Resolution::Pending(future, extract),
            Yielded::Driven(wait) => Resolution::Driven(wait),
        }
    }
}

/// Converts anything yieldable into a [`Future`] (Tornado's
/// `gen.convert_yielded`).
#[must_use = "converting only makes the future: yield it, await it or add a callback"]
pub fn convert_yielded<Y: Yieldable>(yielded: Y) -> Future<Y::Output> {
    yielded.convert_yielded()
}

impl<T: 'static> Yieldable for Future<T> {
    type Output = T;

    #[inline]
    fn convert_yielded(self) -> Future<T> {
        self
    }

    #[inline]
    fn into_yielded(self) -> Yielded<T> {
        Yielded::Future(self, Extract::Take)
    }
}

/// Yielding a borrowed future copies its result, leaving it for others.
impl<T: Clone + 'static> Yieldable for &Future<T> {
    type Output = T;

    fn convert_yielded(self) -> Future<T> {
        self.into_yielded().into_future()
    }

    #[inline]
    fn into_yielded(self) -> Yielded<T> {
        Yielded::Future(self.clone(), Extract::With(Future::result))
    }
}

/// A `Result` is already resolved: yielding it continues at once with its
/// value or error.
impl<T: 'static> Yieldable for Result<T, Error> {
    type Output = T;

    fn convert_yielded(self) -> Future<T> {
        Future::from_result(self)
    }

    #[inline]
    fn into_yielded(self) -> Yielded<T> {
        Yielded::Ready(self)
    }
}
