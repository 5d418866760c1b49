//! [`multi`]: wait for several yieldables in parallel.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::rc::Rc;

use crate::driven::{DrivenWait, into_driven};
use crate::driven_multi::{MultiDriven, TupleDriven};
use crate::error::Error;
use crate::future::{Future, Label};
use crate::quiet::QuietExceptions;
use crate::yieldable::{Extract, Resolution, Yieldable, Yielded};

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
/// `multi` always returns a future. A collection containing a driven wait
/// (a legacy `YieldPoint`) cannot be one, since only a coroutine can drive
/// it: the future fails with a [`BadYieldError`](crate::BadYieldError).
/// Yield such a collection directly (Tornado 4's `multi` returned a
/// `MultiYieldPoint` in that case).
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
#[must_use = "multi's future is the collection's result: yield it, await it or add a callback"]
pub fn multi<C: MultiChildren>(children: C) -> Future<C::Output> {
    children.into_multi(QuietExceptions::none()).into_future()
}

/// [`multi`] with quiet exception types.
#[must_use = "multi's future is the collection's result: yield it, await it or add a callback"]
pub fn multi_with<C: MultiChildren>(children: C, quiet: QuietExceptions) -> Future<C::Output> {
    children.into_multi(quiet).into_future()
}

/// The same as [`multi`] (Tornado kept `multi_future` as an alias since 4.3).
#[must_use = "multi's future is the collection's result: yield it, await it or add a callback"]
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
            Err(error) => quiet.keep_first(&mut first, error),
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
        self.out.set_label(Label::Multi(remaining));
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
        // Matched here rather than through `Yielded::resolve`: this loop
        // runs per child, and the direct match is what stays cheap.
        match child {
            Yielded::Ready(result) => results.push(Some(result)),
            Yielded::Moment(value) => results.push(Some(Ok(value))),
            Yielded::Future(future, extract) if future.done() => results.push(Some(extract.read(&future))),
            Yielded::Future(future, extract) => {
                results.push(None);
                pending.push((index, future, extract));
            }
            Yielded::Driven(wait) => {
                return multi_driven(
                    keys,
                    results,
                    pending,
                    wait,
                    children.map(|(_, kc)| kc),
                    quiet,
                    assemble,
                );
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
    out.set_label(Label::Multi(pending.len()));
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

/// A collection turned out to hold a driven wait: the whole collection
/// becomes one (Tornado 4's `multi` made a `MultiYieldPoint`), its other
/// members driven waits too.
#[allow(clippy::too_many_arguments)]
fn multi_driven<K: 'static, T: 'static, C: 'static>(
    mut keys: Vec<K>,
    results: Vec<Option<Result<T, Error>>>,
    pending: Vec<(usize, Future<T>, Extract<T>)>,
    wait: Box<dyn DrivenWait<Output = T>>,
    rest: impl Iterator<Item = (K, Yielded<T>)>,
    quiet: QuietExceptions,
    assemble: fn(Vec<(K, T)>) -> C,
) -> Yielded<C> {
    let kind = wait.kind();
    let current_key = keys.pop();
    let mut pending = pending.into_iter().peekable();
    let mut waits: Vec<(K, Box<dyn DrivenWait<Output = T>>)> = Vec::new();
    for (index, (key, result)) in keys.into_iter().zip(results).enumerate() {
        let yielded = match result {
            Some(result) => Yielded::Ready(result),
            None => match pending.next_if(|(i, _, _)| *i == index) {
                Some((_, future, extract)) => Yielded::Future(future, extract),
                None => Yielded::Ready(Err(Error::msg("internal error: multi lost a child"))),
            },
        };
        waits.push((key, into_driven(yielded, kind)));
    }
    if let Some(key) = current_key {
        waits.push((key, wait));
    }
    for (key, yielded) in rest {
        waits.push((key, into_driven(yielded, kind)));
    }
    Yielded::Driven(Box::new(MultiDriven::new(waits, quiet, assemble, kind)))
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
        self.out.set_label(Label::Multi(remaining));
        if remaining == 0 {
            let _ = self.out.set((self.finish)(&self.results, &self.quiet));
        }
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
                                quiet.keep_first(&mut first, error);
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
                let mut driven_kind = None;
                $(
                    if let (None, Yielded::Driven(wait)) = (driven_kind, &$var) {
                        driven_kind = Some(wait.kind());
                    }
                )+
                if let Some(kind) = driven_kind {
                    return Yielded::Driven(Box::new(TupleDriven {
                        waits: ($(into_driven($var, kind),)+),
                        quiet,
                        kind,
                    }));
                }
                let mut pending = 0usize;
                $(
                    let $var = match $var.resolve() {
                        Resolution::Known(result) => (Some(result), None),
                        Resolution::Pending(future, extract) => {
                            pending += 1;
                            (None, Some((future, extract)))
                        }
                        Resolution::Driven(wait) => (Some(Err(Error::msg(format!(
                            "internal error: {} missed by the tuple's check", wait.describe()
                        )))), None),
                    };
                )+
                let results = ($(RefCell::new($var.0),)+);
                if pending == 0 {
                    return Yielded::Ready(finish(&results, &quiet));
                }
                let out = Future::new();
                out.set_label(Label::Multi(pending));
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

/// Invokes `$m!` for every tuple arity gust supports (1 to 12): type
/// parameter, binding and index of each member.
macro_rules! for_each_tuple {
    ($m:ident) => {
        $m!(A a 0);
        $m!(A a 0, B b 1);
        $m!(A a 0, B b 1, C c 2);
        $m!(A a 0, B b 1, C c 2, D d 3);
        $m!(A a 0, B b 1, C c 2, D d 3, E e 4);
        $m!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5);
        $m!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6);
        $m!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7);
        $m!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8);
        $m!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9);
        $m!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9, K k 10);
        $m!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9, K k 10, L l 11);
    };
}
pub(crate) use for_each_tuple;

for_each_tuple!(tuple_multi);
