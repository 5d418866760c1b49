//! The legacy interface: Tornado 4.5's `YieldPoint`s (`Callback`, `Wait`,
//! `WaitAll`, `MultiYieldPoint`), `Task` and `Arguments`.
//!
//! Before Tornado 3.0 coroutines yielded `YieldPoint`s instead of futures.
//! A `Callback(key)` yields a function to hand to callback-style code; a
//! later `Wait(key)` waits until that function has been called and
//! evaluates to what it was called with:
//!
//! ```python
//! @gen.engine
//! def f():
//!     some_function(callback=(yield gen.Callback("key")))
//!     result = yield gen.Wait("key")
//! ```
//!
//! Tornado 6 removed these; they are here for code ported from older
//! Tornado. A `YieldPoint` works only in a decorated coroutine (it talks to
//! the coroutine's runner, through a [`LegacyRunner`]); converting one to a
//! future fails with [`BadYieldError`].

use std::any::{Any, type_name};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use gust_ioloop::{APP_LOG, panic_message};
use thiserror::Error as ThisError;

use crate::error::{BadYieldError, Error, PanicError};
use crate::future::Future;
use crate::multi::QuietExceptions;
use crate::yieldable::{Extract, Yieldable, Yielded};

/// What matches a [`Callback`] to its [`Wait`]: a string or an integer.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A string key, as `gen.Callback("k")`.
    Str(Cow<'static, str>),
    /// An integer key, as `gen.Callback(1)`.
    Int(i64),
}

impl fmt::Debug for Key {
    /// Python's `repr`: `'k'` or `1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Str(s) => write!(f, "'{s}'"),
            Key::Int(i) => write!(f, "{i}"),
        }
    }
}

impl From<&'static str> for Key {
    fn from(s: &'static str) -> Key {
        Key::Str(Cow::Borrowed(s))
    }
}
impl From<String> for Key {
    fn from(s: String) -> Key {
        Key::Str(Cow::Owned(s))
    }
}
impl From<i64> for Key {
    fn from(i: i64) -> Key {
        Key::Int(i)
    }
}
impl From<i32> for Key {
    fn from(i: i32) -> Key {
        Key::Int(i as i64)
    }
}
impl From<usize> for Key {
    fn from(i: usize) -> Key {
        Key::Int(i as i64)
    }
}

/// `Callback(key)` was yielded while a callback with that key is still
/// pending (Tornado's `KeyReuseError`).
#[derive(Debug, Clone, PartialEq, Eq, ThisError)]
#[error("key {key:?} is already pending")]
pub struct KeyReuseError {
    /// The key.
    pub key: Key,
}

/// `Wait(key)` was yielded for a key no `Callback` registered (Tornado's
/// `UnknownKeyError`).
#[derive(Debug, Clone, PartialEq, Eq, ThisError)]
#[error("key {key:?} is not pending")]
pub struct UnknownKeyError {
    /// The key.
    pub key: Key,
}

/// A coroutine finished normally while callbacks it created were never
/// waited for (Tornado's `LeakedCallbackError`).
#[derive(Debug, Clone, PartialEq, Eq, ThisError)]
#[error("finished without waiting for callbacks {}", format_keys(.keys))]
pub struct LeakedCallbackError {
    /// The keys never waited for.
    pub keys: Vec<Key>,
}

fn format_keys(keys: &[Key]) -> String {
    let inner: Vec<String> = keys.iter().map(|k| format!("{k:?}")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// A value was returned where none may be (Tornado's
/// `ReturnValueIgnoredError`, raised by `@gen.engine`).
#[derive(Debug, Clone, PartialEq, Eq, ThisError)]
#[error("{message}")]
pub struct ReturnValueIgnoredError {
    /// The message, e.g. `@gen.engine functions cannot return values: 42`.
    pub message: String,
}

/// A `Wait` asked for a result of one type and the callback was called
/// with another (Python would not notice; Rust must).
#[derive(Debug, Clone, PartialEq, Eq, ThisError)]
#[error("the callback for key {key:?} was called with a {got}, but the Wait expects a {expected}")]
pub struct ResultTypeError {
    /// The key.
    pub key: Key,
    /// The type the `Wait` wanted.
    pub expected: &'static str,
    /// The type the callback was called with.
    pub got: &'static str,
}

/// The arguments of a callback called with several values (Tornado's
/// `gen.Arguments` namedtuple: `args` and `kwargs`).
#[derive(Default)]
pub struct Arguments {
    /// The positional arguments.
    pub args: Vec<Box<dyn Any>>,
    /// The keyword arguments, in order.
    pub kwargs: Vec<(String, Box<dyn Any>)>,
}

impl Arguments {
    /// Positional arguments only.
    pub fn positional(args: Vec<Box<dyn Any>>) -> Arguments {
        Arguments {
            args,
            kwargs: Vec::new(),
        }
    }

    /// The positional argument `index`, if it is a `T`.
    pub fn arg<T: 'static>(&self, index: usize) -> Option<&T> {
        self.args.get(index)?.downcast_ref()
    }

    /// The keyword argument `name`, if present and a `T`.
    pub fn kwarg<T: 'static>(&self, name: &str) -> Option<&T> {
        self.kwargs.iter().find(|(n, _)| n == name)?.1.downcast_ref()
    }
}

impl fmt::Debug for Arguments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&String> = self.kwargs.iter().map(|(n, _)| n).collect();
        write!(
            f,
            "Arguments(args=<{} values>, kwargs={names:?})",
            self.args.len()
        )
    }
}

/// A callback result as stored by the runner: the value and its type.
struct Stored {
    value: Box<dyn Any>,
    type_name: &'static str,
}

/// The runner state `YieldPoint`s talk to: pending callback keys and their
/// results (the legacy half of Tornado 4's `Runner`). One per coroutine,
/// created when it first yields a `YieldPoint`.
#[derive(Clone, Default)]
pub struct LegacyRunner {
    state: Rc<LegacyState>,
}

#[derive(Default)]
struct LegacyState {
    pending: RefCell<Vec<Key>>,
    results: RefCell<HashMap<Key, Stored>>,
    /// Resolved when a result arrives, to wake the coroutine.
    signal: RefCell<Option<Future<()>>>,
    had_exception: Cell<bool>,
}

impl LegacyRunner {
    /// A runner state with nothing pending.
    pub fn new() -> LegacyRunner {
        LegacyRunner::default()
    }

    /// Adds `key` to the pending callbacks (Tornado's
    /// `Runner.register_callback`). [`KeyReuseError`] if it is pending.
    pub fn register_callback(&self, key: Key) -> Result<(), Error> {
        let mut pending = self.state.pending.borrow_mut();
        if pending.contains(&key) {
            return Err(Error::new(KeyReuseError { key }));
        }
        pending.push(key);
        Ok(())
    }

    /// Whether a result is available for `key`. [`UnknownKeyError`] if the
    /// key is not pending.
    pub fn is_ready(&self, key: &Key) -> Result<bool, Error> {
        if !self.state.pending.borrow().contains(key) {
            return Err(Error::new(UnknownKeyError { key: key.clone() }));
        }
        Ok(self.state.results.borrow().contains_key(key))
    }

    /// Stores the result for `key` and wakes the coroutine if it waits.
    pub fn set_result<T: 'static>(&self, key: Key, value: T) {
        self.set_boxed(key, Box::new(value), type_name::<T>());
    }

    fn set_boxed(&self, key: Key, value: Box<dyn Any>, type_name: &'static str) {
        self.state
            .results
            .borrow_mut()
            .insert(key, Stored { value, type_name });
        self.signal();
    }

    /// Wakes the coroutine if it waits on a `YieldPoint`, so it checks
    /// `is_ready` again.
    pub fn signal(&self) {
        let signal = self.state.signal.borrow_mut().take();
        if let Some(signal) = signal {
            let _ = signal.set_result(());
        }
    }

    /// A future resolved at the next [`signal`](Self::signal); the
    /// coroutine parks on it while its `YieldPoint` is not ready.
    pub fn arm_signal(&self) -> Future<()> {
        let signal = Future::new();
        *self.state.signal.borrow_mut() = Some(signal.clone());
        signal
    }

    /// Takes the result for `key` and unregisters the key. The result must
    /// be a `T`.
    pub fn pop_result<T: 'static>(&self, key: &Key) -> Result<T, Error> {
        let stored = self.state.results.borrow_mut().remove(key);
        self.state.pending.borrow_mut().retain(|k| k != key);
        let Some(stored) = stored else {
            return Err(Error::new(UnknownKeyError { key: key.clone() }));
        };
        match stored.value.downcast::<T>() {
            Ok(value) => Ok(*value),
            Err(_) => Err(Error::new(ResultTypeError {
                key: key.clone(),
                expected: type_name::<T>(),
                got: stored.type_name,
            })),
        }
    }

    /// The function a `Callback(key)` evaluates to: calling it stores its
    /// argument as the result for `key`.
    pub fn result_callback(&self, key: Key) -> ResultCallback {
        ResultCallback {
            runner: self.clone(),
            key,
        }
    }

    /// The keys registered and not yet waited for.
    pub fn pending_keys(&self) -> Vec<Key> {
        self.state.pending.borrow().clone()
    }

    /// Records that an error was delivered to the coroutine (then a
    /// callback left pending is not reported as leaked).
    pub fn note_exception(&self) {
        self.state.had_exception.set(true);
    }

    /// The [`LeakedCallbackError`] to report when the coroutine finished
    /// normally, if callbacks are still pending and no error was delivered.
    pub fn leaked(&self) -> Option<Error> {
        let keys = self.pending_keys();
        if keys.is_empty() || self.state.had_exception.get() {
            None
        } else {
            Some(Error::new(LeakedCallbackError { keys }))
        }
    }
}

impl fmt::Debug for LegacyRunner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LegacyRunner")
            .field("pending", &self.pending_keys())
            .finish()
    }
}

/// The function `yield Callback(key)` evaluates to (Tornado's
/// `Runner.result_callback`, with its argument adapter).
///
/// Called with no value the result is `()` (Python: `None`); with one value
/// that value; with several, an [`Arguments`].
#[derive(Clone, Debug)]
pub struct ResultCallback {
    runner: LegacyRunner,
    key: Key,
}

impl ResultCallback {
    /// Calls back with no value: the `Wait` gets `()`.
    pub fn call(&self) {
        self.runner.set_result(self.key.clone(), ());
    }

    /// Calls back with one value: the `Wait` gets it.
    pub fn call_with<T: 'static>(&self, value: T) {
        self.runner.set_result(self.key.clone(), value);
    }

    /// Calls back with arguments, adapted as Tornado's
    /// `_argument_adapter`: one positional argument and no keywords gives
    /// that value, none gives `()`, anything else the [`Arguments`].
    pub fn call_args(&self, mut args: Arguments) {
        if args.kwargs.is_empty() && args.args.len() <= 1 {
            match args.args.pop() {
                None => self.call(),
                // A boxed value keeps its own type for the Wait.
                Some(value) => self.runner.set_boxed(self.key.clone(), value, "value"),
            }
        } else {
            self.runner.set_result(self.key.clone(), args);
        }
    }

    /// The key.
    pub fn key(&self) -> &Key {
        &self.key
    }
}

/// Something a decorated coroutine may yield that talks to its runner
/// (Tornado's `YieldPoint`).
///
/// The runner calls [`start`](YieldPoint::start) once, then
/// [`is_ready`](YieldPoint::is_ready) (maybe several times), then
/// [`get_result`](YieldPoint::get_result) once, after `is_ready` returned
/// true. An error from any of them is delivered at the yield.
pub trait YieldPoint {
    /// What the yield evaluates to.
    type Output: 'static;

    /// Called by the runner after the coroutine has yielded this.
    fn start(&mut self, runner: &LegacyRunner) -> Result<(), Error>;

    /// Whether the coroutine can be resumed.
    fn is_ready(&mut self, runner: &LegacyRunner) -> Result<bool, Error>;

    /// The value of the yield.
    fn get_result(&mut self, runner: &LegacyRunner) -> Result<Self::Output, Error>;

    /// How error messages show it (Python's `repr`); the type's name unless
    /// overridden.
    fn describe(&self) -> String {
        type_name::<Self>().to_owned()
    }
}

fn bad_yield<T: 'static>(what: String) -> Future<T> {
    Future::failed(BadYieldError {
        object: format!("{what} (a YieldPoint works only when yielded from a decorated coroutine)"),
    })
}

/// Every `YieldPoint` is yieldable: it is handed to the coroutine's
/// runner. It cannot be converted to a future (there is no runner outside a
/// decorated coroutine): that gives a [`BadYieldError`].
impl<P: YieldPoint + 'static> Yieldable for P {
    type Output = P::Output;

    fn convert_yielded(self) -> Future<Self::Output> {
        bad_yield(self.describe())
    }

    fn into_yielded(self) -> Yielded<Self::Output> {
        Yielded::YieldPoint(Box::new(self))
    }
}

/// Registers `key` and evaluates to the [`ResultCallback`] to hand to
/// callback-style code (Tornado's `gen.Callback`).
#[derive(Debug, Clone)]
pub struct Callback {
    key: Key,
}

impl Callback {
    /// A callback for `key`.
    pub fn new(key: impl Into<Key>) -> Callback {
        Callback { key: key.into() }
    }
}

impl YieldPoint for Callback {
    type Output = ResultCallback;

    fn start(&mut self, runner: &LegacyRunner) -> Result<(), Error> {
        runner.register_callback(self.key.clone())
    }

    fn is_ready(&mut self, _runner: &LegacyRunner) -> Result<bool, Error> {
        Ok(true)
    }

    fn get_result(&mut self, runner: &LegacyRunner) -> Result<ResultCallback, Error> {
        Ok(runner.result_callback(self.key.clone()))
    }

    fn describe(&self) -> String {
        format!("Callback({:?})", self.key)
    }
}

/// Waits until the callback for `key` is called and evaluates to its
/// argument, which must be a `T` (Tornado's `gen.Wait`).
pub struct Wait<T> {
    key: Key,
    marker: std::marker::PhantomData<fn() -> T>,
}

impl<T> Wait<T> {
    /// A wait for `key`.
    pub fn new(key: impl Into<Key>) -> Wait<T> {
        Wait {
            key: key.into(),
            marker: std::marker::PhantomData,
        }
    }
}

impl<T> fmt::Debug for Wait<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Wait({:?})", self.key)
    }
}

impl<T: 'static> YieldPoint for Wait<T> {
    type Output = T;

    fn start(&mut self, _runner: &LegacyRunner) -> Result<(), Error> {
        Ok(())
    }

    fn is_ready(&mut self, runner: &LegacyRunner) -> Result<bool, Error> {
        runner.is_ready(&self.key)
    }

    fn get_result(&mut self, runner: &LegacyRunner) -> Result<T, Error> {
        runner.pop_result(&self.key)
    }

    fn describe(&self) -> String {
        format!("{self:?}")
    }
}

/// Waits for the callbacks of several keys and evaluates to their results
/// in key order (Tornado's `gen.WaitAll`; the same as yielding a list of
/// `Wait`s).
pub struct WaitAll<T> {
    keys: Vec<Key>,
    marker: std::marker::PhantomData<fn() -> T>,
}

impl<T> WaitAll<T> {
    /// A wait for all of `keys`.
    pub fn new<K: Into<Key>>(keys: impl IntoIterator<Item = K>) -> WaitAll<T> {
        WaitAll {
            keys: keys.into_iter().map(Into::into).collect(),
            marker: std::marker::PhantomData,
        }
    }
}

impl<T> fmt::Debug for WaitAll<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WaitAll({:?})", self.keys)
    }
}

impl<T: 'static> YieldPoint for WaitAll<T> {
    type Output = Vec<T>;

    fn start(&mut self, _runner: &LegacyRunner) -> Result<(), Error> {
        Ok(())
    }

    fn is_ready(&mut self, runner: &LegacyRunner) -> Result<bool, Error> {
        for key in &self.keys {
            if !runner.is_ready(key)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn get_result(&mut self, runner: &LegacyRunner) -> Result<Vec<T>, Error> {
        self.keys.iter().map(|key| runner.pop_result(key)).collect()
    }

    fn describe(&self) -> String {
        format!("{self:?}")
    }
}

/// A future, or a value, as a `YieldPoint` (Tornado's `YieldFuture`), for
/// lists that mix futures and `YieldPoint`s.
struct YieldFuture<T> {
    future: Future<T>,
    extract: Extract<T>,
}

impl<T: 'static> YieldPoint for YieldFuture<T> {
    type Output = T;

    fn start(&mut self, runner: &LegacyRunner) -> Result<(), Error> {
        let runner = runner.clone();
        self.future.add_done_callback(move |_| runner.signal());
        Ok(())
    }

    fn is_ready(&mut self, _runner: &LegacyRunner) -> Result<bool, Error> {
        Ok(self.future.done())
    }

    fn get_result(&mut self, _runner: &LegacyRunner) -> Result<T, Error> {
        self.extract.read(&self.future)
    }
}

/// Any yielded value as a boxed `YieldPoint`.
pub(crate) fn into_yield_point<T: 'static>(yielded: Yielded<T>) -> Box<dyn YieldPoint<Output = T>> {
    match yielded {
        Yielded::YieldPoint(point) => point,
        Yielded::Future(future, extract) => Box::new(YieldFuture { future, extract }),
        Yielded::Ready(result) => Box::new(YieldFuture {
            future: Future::from_result(result),
            extract: Extract::Take,
        }),
        Yielded::Moment(value) => Box::new(YieldFuture {
            future: Future::ready(value),
            extract: Extract::Take,
        }),
    }
}

/// Runs several yieldables, at least one a `YieldPoint`, in parallel
/// (Tornado's `MultiYieldPoint`). Yielding a `Vec`, map or tuple that
/// contains a `YieldPoint` makes one; results and errors are as for
/// [`multi`](crate::multi).
pub struct MultiYieldPoint<K, T, C> {
    children: Vec<(K, Box<dyn YieldPoint<Output = T>>)>,
    ready: Vec<bool>,
    quiet: QuietExceptions,
    assemble: fn(Vec<(K, T)>) -> C,
}

impl<K: 'static, T: 'static, C: 'static> MultiYieldPoint<K, T, C> {
    pub(crate) fn from_points(
        children: Vec<(K, Box<dyn YieldPoint<Output = T>>)>,
        quiet: QuietExceptions,
        assemble: fn(Vec<(K, T)>) -> C,
    ) -> Self {
        let ready = vec![false; children.len()];
        MultiYieldPoint {
            children,
            ready,
            quiet,
            assemble,
        }
    }
}

impl<T: 'static> MultiYieldPoint<(), T, Vec<T>> {
    /// Tornado's `MultiYieldPoint(children, quiet_exceptions)` over a list:
    /// children may be `YieldPoint`s, futures, or anything yieldable; the
    /// result is their results in order. (Yielding a `Vec` that contains a
    /// `YieldPoint` makes one of these without quiet exceptions.)
    ///
    /// ```
    /// use gust::gen_::QuietExceptions;
    /// use gust::gen_::legacy::{MultiYieldPoint, Wait};
    /// let both = MultiYieldPoint::new(vec![Wait::<i32>::new("a"), Wait::new("b")], QuietExceptions::none());
    /// # drop(both);
    /// ```
    pub fn new<Y: Yieldable<Output = T>>(
        children: impl IntoIterator<Item = Y>,
        quiet: QuietExceptions,
    ) -> Self {
        let children = children
            .into_iter()
            .map(|child| ((), into_yield_point(child.into_yielded())))
            .collect();
        MultiYieldPoint::from_points(children, quiet, |pairs| {
            pairs.into_iter().map(|((), v)| v).collect()
        })
    }
}

impl<K: Eq + std::hash::Hash + 'static, T: 'static> MultiYieldPoint<K, T, HashMap<K, T>> {
    /// Tornado's `MultiYieldPoint(dict, quiet_exceptions)`: the result has
    /// the same keys.
    pub fn from_map<Y: Yieldable<Output = T>>(children: HashMap<K, Y>, quiet: QuietExceptions) -> Self {
        let children = children
            .into_iter()
            .map(|(key, child)| (key, into_yield_point(child.into_yielded())))
            .collect();
        MultiYieldPoint::from_points(children, quiet, |pairs| pairs.into_iter().collect())
    }
}

impl<K, T, C> fmt::Debug for MultiYieldPoint<K, T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MultiYieldPoint({} children)", self.children.len())
    }
}

impl<K: 'static, T: 'static, C: 'static> YieldPoint for MultiYieldPoint<K, T, C> {
    type Output = C;

    fn start(&mut self, runner: &LegacyRunner) -> Result<(), Error> {
        for (_, child) in &mut self.children {
            child.start(runner)?;
        }
        Ok(())
    }

    fn is_ready(&mut self, runner: &LegacyRunner) -> Result<bool, Error> {
        for (index, (_, child)) in self.children.iter_mut().enumerate() {
            if !self.ready[index] {
                if child.is_ready(runner)? {
                    self.ready[index] = true;
                } else {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    fn get_result(&mut self, runner: &LegacyRunner) -> Result<C, Error> {
        let mut first = None;
        let mut pairs = Vec::with_capacity(self.children.len());
        for (key, mut child) in std::mem::take(&mut self.children) {
            match child.get_result(runner) {
                Ok(value) => pairs.push((key, value)),
                Err(error) => {
                    if first.is_none() {
                        first = Some(error);
                    } else {
                        self.quiet.log("Multiple exceptions in yield list", &error);
                    }
                }
            }
        }
        match first {
            Some(error) => Err(error),
            None => Ok((self.assemble)(pairs)),
        }
    }
}

/// A tuple containing a `YieldPoint`, as a `YieldPoint` (its impls are
/// generated with the tuple `multi` impls).
pub(crate) struct TupleMultiYieldPoint<P> {
    pub(crate) points: P,
    pub(crate) quiet: QuietExceptions,
}

/// The callback a [`Task`] hands to callback-style code: calling it
/// resolves the task's future (the first call wins).
pub struct TaskCallback<T> {
    future: Future<T>,
}

impl<T> Clone for TaskCallback<T> {
    fn clone(&self) -> Self {
        TaskCallback {
            future: self.future.clone(),
        }
    }
}

impl<T: 'static> TaskCallback<T> {
    /// Resolves the task with `value`; ignored if it is already resolved.
    pub fn call(&self, value: T) {
        if !self.future.done() {
            let _ = self.future.set_result(value);
        }
    }
}

impl<T> fmt::Debug for TaskCallback<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskCallback({:?})", self.future)
    }
}

/// Adapts a callback-based function for use in coroutines (Tornado's
/// `gen.Task`): runs `func` with a [`TaskCallback`], and returns a future
/// that the callback resolves.
///
/// Tornado passes the callback as a `callback=` keyword argument; in Rust
/// the closure receives it and passes it on. If `func` panics before the
/// callback is called, the future fails with a [`PanicError`]; a panic after
/// that is logged.
///
/// ```
/// use gust::concurrent::Future;
/// use gust::gen_::legacy::{Task, TaskCallback};
///
/// // Some callback-style API:
/// fn add_later(a: i32, b: i32, callback: impl FnOnce(i32)) {
///     callback(a + b)
/// }
///
/// let sum: Future<i32> = Task(|cb: TaskCallback<i32>| add_later(2, 3, move |v| cb.call(v)));
/// assert_eq!(sum.take_result().unwrap(), 5);
/// ```
#[allow(non_snake_case)]
pub fn Task<T: 'static, F: FnOnce(TaskCallback<T>)>(func: F) -> Future<T> {
    let future = Future::new();
    let callback = TaskCallback {
        future: future.clone(),
    };
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| func(callback))) {
        let error = Error::new(PanicError {
            message: panic_message(&*payload),
            coroutine: None,
        });
        if future.done() {
            log::error!(target: APP_LOG, "Exception in callback {}: {error}", type_name::<F>());
        } else {
            let _ = future.set_exception(error);
        }
    }
    future
}
