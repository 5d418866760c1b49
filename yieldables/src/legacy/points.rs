//! The `YieldPoint`s of Tornado 4.5: [`Callback`], [`Wait`], [`WaitAll`].

use std::fmt;

use crate::error::Error;

use super::keys::Key;
use super::runner::{LegacyRunner, ResultCallback};
use super::yield_point::YieldPoint;

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
