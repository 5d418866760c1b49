//! [`multi`]: wait for several yieldables in parallel.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::rc::Rc;

use gust_ioloop::APP_LOG;

use crate::error::{BadYieldError, Error};
use crate::future::Future;
use crate::legacy::{MultiYieldPoint, TupleMultiYieldPoint, YieldPoint, into_yield_point};
use crate::yieldable::{Extract, Yieldable, Yielded};

/// Error types that [`multi`] and
/// [`with_timeout`](crate::with_timeout) should not log (Tornado's
/// `quiet_exceptions`).
///
/// ```
/// use gust::Error;
/// use gust::gen_::{QuietExceptions, TimeoutError};
/// let quiet = QuietExceptions::of::<TimeoutError>().and::<std::io::Error>();
/// assert!(quiet.contains(&Error::new(TimeoutError::default())));
/// assert!(!quiet.contains(&Error::msg("other")));
/// ```
#[derive(Clone, Default)]
pub struct QuietExceptions {
    checks: Vec<fn(&Error) -> bool>,
}

impl QuietExceptions {
    /// No quiet types: every extra error is logged.
    pub fn none() -> QuietExceptions {
        QuietExceptions::default()
    }

    /// Errors of type `E` are quiet.
    pub fn of<E: std::error::Error + 'static>() -> QuietExceptions {
        QuietExceptions::none().and::<E>()
    }

    /// Errors of type `E` are quiet too.
    pub fn and<E: std::error::Error + 'static>(mut self) -> QuietExceptions {
        self.checks.push(|error| error.is::<E>());
        self
    }

    /// Whether `error` is of a quiet type.
    pub fn contains(&self, error: &Error) -> bool {
        self.checks.iter().any(|check| check(error))
    }

    /// Logs `error` at error level with `message`, unless it is quiet or a
    /// cancellation.
    pub(crate) fn log(&self, message: &str, error: &Error) {
        if !error.is_cancellation() && !self.contains(error) {
            log::error!(target: APP_LOG, "{message}: {error}");
        }
    }
}

impl std::fmt::Debug for QuietExceptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "QuietExceptions({} types)", self.checks.len())
    }
}

/// A collection of yieldables that [`multi`] can wait for: `Vec`s, arrays,
/// `HashMap`s and `BTreeMap`s of one yieldable type, and tuples of up to
/// twelve of any.
pub trait MultiChildren {
    /// The collection of results: same shape, same order or keys.
    type Output: 'static;

    /// Starts waiting for every child; see [`multi`].
    fn into_multi(self, quiet: QuietExceptions) -> Yielded<Self::Output>;
}

/// Runs multiple asynchronous operations in parallel (Tornado's
/// `gen.multi`).
///
/// `children` is a `Vec` (or array) or a map of yieldables, or a tuple of
/// different ones. The result has the same shape: results in input order,
/// or a map with the same keys. In a coroutine, yielding the collection
/// directly is the same: `co.yield_(vec![a, b])`.
///
/// `multi` waits for **every** child, even after one fails. If any fail,
/// the first error in input order is the result; every later error is
/// logged (`Multiple exceptions in yield list: ...`) unless its type is in
/// `quiet` (see [`multi_with`]) or it is a cancellation. The same future may
/// appear twice; borrow it (`&fut`, `T: Clone`) so both places get a copy.
/// An empty collection resolves at once to an empty one; so does a
/// collection whose children are all done (including `moment`s).
///
/// `multi` always returns a future. A collection containing a legacy
/// [`YieldPoint`](crate::YieldPoint) cannot be one (it needs a coroutine's
/// runner): yield the collection directly, or build a
/// [`MultiYieldPoint`](crate::MultiYieldPoint) (Tornado 4's `multi` returned
/// one in that case).
///
/// ```
/// use gust::concurrent::Future;
/// use gust::gen_::multi;
///
/// let a = Future::new();
/// let b = Future::ready(2);
/// let both = multi(vec![a.clone(), b]);
/// assert!(!both.done());
/// a.set_result(1).unwrap();
/// assert_eq!(both.take_result().unwrap(), vec![1, 2]);
/// ```
pub fn multi<C: MultiChildren>(children: C) -> Future<C::Output> {
    children.into_multi(QuietExceptions::none()).into_future()
}

/// [`multi`] with quiet exception types.
pub fn multi_with<C: MultiChildren>(children: C, quiet: QuietExceptions) -> Future<C::Output> {
    children.into_multi(quiet).into_future()
}

/// The same as [`multi`] (Tornado kept `multi_future` as an alias since 4.3).
pub fn multi_future<C: MultiChildren>(children: C) -> Future<C::Output> {
    multi(children)
}

/// Walks results in input order: the first error wins, later ones are
/// logged.
fn first_error<T>(
    results: impl Iterator<Item = Result<T, Error>>,
    quiet: &QuietExceptions,
    mut keep: impl FnMut(T),
) -> Result<(), Error> {
    let mut first = None;
    for result in results {
        match result {
            Ok(value) => keep(value),
            Err(error) => {
                if first.is_none() {
                    first = Some(error);
                } else {
                    quiet.log("Multiple exceptions in yield list", &error);
                }
            }
        }
    }
    first.map_or(Ok(()), Err)
}

/// Shared state of a homogeneous multi with children still pending.
struct SeqState<K, T, C> {
    keys: RefCell<Vec<K>>,
    results: RefCell<Vec<Option<Result<T, Error>>>>,
    remaining: Cell<usize>,
    out: Future<C>,
    quiet: QuietExceptions,
    assemble: fn(Vec<(K, T)>) -> C,
}

impl<K: 'static, T: 'static, C: 'static> SeqState<K, T, C> {
    fn child_done(&self, index: usize, result: Result<T, Error>) {
        self.results.borrow_mut()[index] = Some(result);
        let remaining = self.remaining.get() - 1;
        self.remaining.set(remaining);
        if remaining == 0 {
            let keys = std::mem::take(&mut *self.keys.borrow_mut());
            let results = std::mem::take(&mut *self.results.borrow_mut());
            let outcome = finish(
                keys,
                results.into_iter().map(|r| r.expect_done()),
                &self.quiet,
                self.assemble,
            );
            let _ = self.out.set(outcome);
        }
    }
}

/// A slot filled by the time the last child finishes.
trait ExpectDone<T> {
    fn expect_done(self) -> Result<T, Error>;
}

impl<T> ExpectDone<T> for Option<Result<T, Error>> {
    fn expect_done(self) -> Result<T, Error> {
        self.unwrap_or_else(|| {
            Err(Error::msg(
                "internal error: multi child finished without a result",
            ))
        })
    }
}

fn finish<K, T, C>(
    keys: Vec<K>,
    results: impl Iterator<Item = Result<T, Error>>,
    quiet: &QuietExceptions,
    assemble: fn(Vec<(K, T)>) -> C,
) -> Result<C, Error> {
    let mut pairs = Vec::with_capacity(keys.len());
    let mut keys = keys.into_iter();
    let outcome = first_error(results, quiet, |value| {
        if let Some(key) = keys.next() {
            pairs.push((key, value));
        }
    });
    outcome.map(|()| assemble(pairs))
}

/// The common algorithm for Vec and maps: children as (key, yielded) in
/// input order.
fn multi_keyed<K: 'static, T: 'static, C: 'static>(
    children: impl Iterator<Item = (K, Yielded<T>)>,
    quiet: QuietExceptions,
    assemble: fn(Vec<(K, T)>) -> C,
) -> Yielded<C> {
    let (low, _) = children.size_hint();
    let mut keys = Vec::with_capacity(low);
    let mut results: Vec<Option<Result<T, Error>>> = Vec::with_capacity(low);
    let mut pending: Vec<(usize, Future<T>, Extract<T>)> = Vec::new();
    let mut children = children.enumerate();
    while let Some((index, (key, child))) = children.next() {
        keys.push(key);
        match child {
            Yielded::YieldPoint(point) => {
                return multi_yield_point(
                    keys,
                    results,
                    pending,
                    point,
                    children.map(|(_, kc)| kc),
                    quiet,
                    assemble,
                );
            }
            Yielded::Ready(result) => results.push(Some(result)),
            Yielded::Moment(value) => results.push(Some(Ok(value))),
            Yielded::Future(future, extract) => {
                if future.done() {
                    results.push(Some(extract.read(&future)));
                } else {
                    results.push(None);
                    pending.push((index, future, extract));
                }
            }
        }
    }
    if pending.is_empty() {
        return Yielded::Ready(finish(
            keys,
            results.into_iter().map(ExpectDone::expect_done),
            &quiet,
            assemble,
        ));
    }
    let out = Future::new();
    let state = Rc::new(SeqState {
        keys: RefCell::new(keys),
        results: RefCell::new(results),
        remaining: Cell::new(pending.len()),
        out: out.clone(),
        quiet,
        assemble,
    });
    for (index, future, extract) in pending {
        let state = state.clone();
        future.add_done_callback(move |done| state.child_done(index, extract.read(done)));
    }
    Yielded::Future(out, Extract::Take)
}

/// A collection turned out to hold a `YieldPoint`: the whole multi becomes a
/// [`MultiYieldPoint`] (Tornado 4's `multi` does the same).
#[allow(clippy::too_many_arguments)]
fn multi_yield_point<K: 'static, T: 'static, C: 'static>(
    mut keys: Vec<K>,
    results: Vec<Option<Result<T, Error>>>,
    pending: Vec<(usize, Future<T>, Extract<T>)>,
    point: Box<dyn YieldPoint<Output = T>>,
    rest: impl Iterator<Item = (K, Yielded<T>)>,
    quiet: QuietExceptions,
    assemble: fn(Vec<(K, T)>) -> C,
) -> Yielded<C> {
    let current_key = keys.pop();
    let mut pending = pending.into_iter().peekable();
    let mut points: Vec<(K, Box<dyn YieldPoint<Output = T>>)> = Vec::new();
    for (index, (key, result)) in keys.into_iter().zip(results).enumerate() {
        let yielded = match result {
            Some(result) => Yielded::Ready(result),
            None => match pending.next_if(|(i, _, _)| *i == index) {
                Some((_, future, extract)) => Yielded::Future(future, extract),
                None => Yielded::Ready(Err(Error::msg("internal error: multi lost a child"))),
            },
        };
        points.push((key, into_yield_point(yielded)));
    }
    if let Some(key) = current_key {
        points.push((key, point));
    }
    for (key, yielded) in rest {
        points.push((key, into_yield_point(yielded)));
    }
    Yielded::YieldPoint(Box::new(MultiYieldPoint::from_points(points, quiet, assemble)))
}

fn values<T>(pairs: Vec<((), T)>) -> Vec<T> {
    pairs.into_iter().map(|((), value)| value).collect()
}

/// The multi of a sequence: results in input order.
fn multi_seq<Y: Yieldable>(
    children: impl Iterator<Item = Y>,
    quiet: QuietExceptions,
) -> Yielded<Vec<Y::Output>> {
    multi_keyed(children.map(|y| ((), y.into_yielded())), quiet, values)
}

impl<Y: Yieldable> MultiChildren for Vec<Y> {
    type Output = Vec<Y::Output>;

    fn into_multi(self, quiet: QuietExceptions) -> Yielded<Vec<Y::Output>> {
        multi_seq(self.into_iter(), quiet)
    }
}

impl<Y: Yieldable, const N: usize> MultiChildren for [Y; N] {
    type Output = Vec<Y::Output>;

    fn into_multi(self, quiet: QuietExceptions) -> Yielded<Vec<Y::Output>> {
        multi_seq(self.into_iter(), quiet)
    }
}

impl<K: Eq + Hash + 'static, Y: Yieldable> MultiChildren for HashMap<K, Y> {
    type Output = HashMap<K, Y::Output>;

    /// Errors are ranked in the map's iteration order (Python's dicts keep
    /// insertion order; use a `BTreeMap` for a defined order).
    fn into_multi(self, quiet: QuietExceptions) -> Yielded<Self::Output> {
        multi_keyed(
            self.into_iter().map(|(k, y)| (k, y.into_yielded())),
            quiet,
            |pairs| pairs.into_iter().collect(),
        )
    }
}

impl<K: Ord + 'static, Y: Yieldable> MultiChildren for BTreeMap<K, Y> {
    type Output = BTreeMap<K, Y::Output>;

    fn into_multi(self, quiet: QuietExceptions) -> Yielded<Self::Output> {
        multi_keyed(
            self.into_iter().map(|(k, y)| (k, y.into_yielded())),
            quiet,
            |pairs| pairs.into_iter().collect(),
        )
    }
}

macro_rules! yieldable_via_multi {
    ($($ty:ty => [$($gen:tt)*]),+ $(,)?) => {$(
        /// Yielding a collection waits for all its children in parallel;
        /// see [`multi`].
        impl<$($gen)*> Yieldable for $ty {
            type Output = <$ty as MultiChildren>::Output;

            fn convert_yielded(self) -> Future<Self::Output> {
                multi(self)
            }

            #[inline]
            fn into_yielded(self) -> Yielded<Self::Output> {
                self.into_multi(QuietExceptions::none())
            }
        }
    )+};
}

yieldable_via_multi! {
    Vec<Y> => [Y: Yieldable],
    [Y; N] => [Y: Yieldable, const N: usize],
    HashMap<K, Y> => [K: Eq + Hash + 'static, Y: Yieldable],
    BTreeMap<K, Y> => [K: Ord + 'static, Y: Yieldable],
}

/// Shared state of a tuple multi with children still pending.
struct TupleState<R, O> {
    results: R,
    remaining: Cell<usize>,
    out: Future<O>,
    quiet: QuietExceptions,
    finish: fn(&R, &QuietExceptions) -> Result<O, Error>,
}

impl<R, O: 'static> TupleState<R, O> {
    fn child_done(&self) {
        let remaining = self.remaining.get() - 1;
        self.remaining.set(remaining);
        if remaining == 0 {
            let _ = self.out.set((self.finish)(&self.results, &self.quiet));
        }
    }
}

/// Records an error: the first is kept, later ones logged.
fn record(first: &mut Option<Error>, error: Error, quiet: &QuietExceptions) {
    if first.is_none() {
        *first = Some(error);
    } else {
        quiet.log("Multiple exceptions in yield list", &error);
    }
}

macro_rules! tuple_multi {
    ($($ty:ident $var:ident $idx:tt),+) => {
        impl<$($ty: Yieldable),+> MultiChildren for ($($ty,)+) {
            type Output = ($($ty::Output,)+);

            #[allow(non_snake_case)]
            fn into_multi(self, quiet: QuietExceptions) -> Yielded<Self::Output> {
                fn finish<$($ty: 'static),+>(
                    results: &($(RefCell<Option<Result<$ty, Error>>>,)+),
                    quiet: &QuietExceptions,
                ) -> Result<($($ty,)+), Error> {
                    let mut first = None;
                    $(
                        let $var = match results.$idx.borrow_mut().take().expect_done() {
                            Ok(value) => Some(value),
                            Err(error) => {
                                record(&mut first, error, quiet);
                                None
                            }
                        };
                    )+
                    match ($($var,)+) {
                        ($(Some($var),)+) => Ok(($($var,)+)),
                        _ => Err(first.unwrap_or_else(|| Error::msg("internal error: tuple multi lost an error"))),
                    }
                }

                $( let $var = self.$idx.into_yielded(); )+
                if false $(|| matches!($var, Yielded::YieldPoint(_)))+ {
                    return Yielded::YieldPoint(Box::new(TupleMultiYieldPoint {
                        points: ($(into_yield_point($var),)+),
                        quiet,
                    }));
                }
                let mut pending = 0usize;
                $(
                    let $var = match $var {
                        Yielded::YieldPoint(_) => (Some(Err(Error::new(BadYieldError {
                            object: "a YieldPoint".to_owned(),
                        }))), None),
                        Yielded::Ready(result) => (Some(result), None),
                        Yielded::Moment(value) => (Some(Ok(value)), None),
                        Yielded::Future(future, extract) => {
                            if future.done() {
                                (Some(extract.read(&future)), None)
                            } else {
                                pending += 1;
                                (None, Some((future, extract)))
                            }
                        }
                    };
                )+
                let results = ($(RefCell::new($var.0),)+);
                if pending == 0 {
                    return Yielded::Ready(finish(&results, &quiet));
                }
                let out = Future::new();
                let state = Rc::new(TupleState {
                    results,
                    remaining: Cell::new(pending),
                    out: out.clone(),
                    quiet,
                    finish: finish::<$($ty::Output),+>,
                });
                $(
                    if let Some((future, extract)) = $var.1 {
                        let state = state.clone();
                        future.add_done_callback(move |done| {
                            *state.results.$idx.borrow_mut() = Some(extract.read(done));
                            state.child_done();
                        });
                    }
                )+
                Yielded::Future(out, Extract::Take)
            }
        }

        impl<$($ty: 'static),+> YieldPoint for TupleMultiYieldPoint<($(Box<dyn YieldPoint<Output = $ty>>,)+)> {
            type Output = ($($ty,)+);

            fn start(&mut self, runner: &crate::legacy::LegacyRunner) -> Result<(), Error> {
                $( self.points.$idx.start(runner)?; )+
                Ok(())
            }

            fn is_ready(&mut self, runner: &crate::legacy::LegacyRunner) -> Result<bool, Error> {
                $(
                    if !self.points.$idx.is_ready(runner)? {
                        return Ok(false);
                    }
                )+
                Ok(true)
            }

            #[allow(non_snake_case)]
            fn get_result(&mut self, runner: &crate::legacy::LegacyRunner) -> Result<Self::Output, Error> {
                let mut first = None;
                $(
                    let $var = match self.points.$idx.get_result(runner) {
                        Ok(value) => Some(value),
                        Err(error) => {
                            record(&mut first, error, &self.quiet);
                            None
                        }
                    };
                )+
                match ($($var,)+) {
                    ($(Some($var),)+) => Ok(($($var,)+)),
                    _ => Err(first.unwrap_or_else(|| Error::msg("internal error: tuple multi lost an error"))),
                }
            }
        }

        /// Yielding a tuple waits for all its children in parallel; see
        /// [`multi`].
        impl<$($ty: Yieldable),+> Yieldable for ($($ty,)+) {
            type Output = ($($ty::Output,)+);

            fn convert_yielded(self) -> Future<Self::Output> {
                multi(self)
            }

            #[inline]
            fn into_yielded(self) -> Yielded<Self::Output> {
                self.into_multi(QuietExceptions::none())
            }
        }
    };
}

tuple_multi!(A a 0);
tuple_multi!(A a 0, B b 1);
tuple_multi!(A a 0, B b 1, C c 2);
tuple_multi!(A a 0, B b 1, C c 2, D d 3);
tuple_multi!(A a 0, B b 1, C c 2, D d 3, E e 4);
tuple_multi!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5);
tuple_multi!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6);
tuple_multi!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7);
tuple_multi!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8);
tuple_multi!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9);
tuple_multi!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9, K k 10);
tuple_multi!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9, K k 10, L l 11);
