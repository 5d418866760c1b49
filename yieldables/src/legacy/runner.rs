//! [`LegacyRunner`]: the runner state `YieldPoint`s talk to, kept as a
//! coroutine local; and [`ResultCallback`], the function `Callback(key)`
//! evaluates to.

use std::any::{Any, type_name};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use crate::driven::{CoroutineLocal, DriveContext, Signal};
use crate::error::Error;

use super::arguments::Arguments;
use super::keys::{Key, KeyReuseError, LeakedCallbackError, ResultTypeError, UnknownKeyError};

/// A callback result as stored by the runner: the value and its type.
struct Stored {
    value: Box<dyn Any>,
    type_name: &'static str,
}

/// The runner state `YieldPoint`s talk to: pending callback keys and their
/// results (the legacy half of Tornado 4's `Runner`). One per coroutine,
/// created when it first yields a `YieldPoint` (a coroutine local of its
/// [`DriveContext`]).
#[derive(Clone, Default)]
pub struct LegacyRunner {
    state: Rc<LegacyState>,
}

#[derive(Default)]
struct LegacyState {
    pending: RefCell<Vec<Key>>,
    results: RefCell<HashMap<Key, Stored>>,
    /// The coroutine's signal: fired when a result arrives, to wake it.
    signal: Signal,
    had_exception: Cell<bool>,
}

/// Tornado 4's Runner rules at the coroutine's edges: after an error was
/// delivered at a yield, callbacks left pending are not reported; finishing
/// cleanly with callbacks never waited for is a [`LeakedCallbackError`].
impl CoroutineLocal for LegacyState {
    fn error_delivered(&self) {
        self.had_exception.set(true);
    }

    fn finished(&self) -> Result<(), Error> {
        let keys = self.pending.borrow().clone();
        if keys.is_empty() || self.had_exception.get() {
            Ok(())
        } else {
            Err(Error::new(LeakedCallbackError { keys }))
        }
    }
}

impl LegacyRunner {
    /// A runner state with nothing pending, outside any coroutine (its
    /// signal wakes nobody): for driving a `YieldPoint` by hand.
    pub fn new() -> LegacyRunner {
        LegacyRunner::default()
    }

    /// The runner state of the coroutine whose context `cx` is, made on
    /// first use.
    pub(crate) fn of(cx: &DriveContext) -> LegacyRunner {
        let state = cx.local(|cx| LegacyState {
            signal: cx.signal().clone(),
            ..LegacyState::default()
        });
        LegacyRunner { state }
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
    /// `is_ready` again (in the loop's next iteration). A `YieldPoint` that
    /// becomes ready other than through a callback key calls this.
    pub fn signal(&self) {
        self.state.signal.fire();
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
