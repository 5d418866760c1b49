//! Callback keys, and the errors of the legacy interface.

use std::borrow::Cow;
use std::fmt;

use thiserror::Error as ThisError;

/// What matches a [`Callback`](super::Callback) to its [`Wait`](super::Wait): a string or an integer.
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
        Key::Int(i64::from(i))
    }
}
/// An index as a key (indices beyond `i64::MAX` saturate).
impl From<usize> for Key {
    fn from(i: usize) -> Key {
        Key::Int(i64::try_from(i).unwrap_or(i64::MAX))
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
