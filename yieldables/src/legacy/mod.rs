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
//! Tornado, behind the cargo feature `legacy` (on by default). A
//! `YieldPoint` works only in a decorated coroutine (it talks to the
//! coroutine's runner, through a [`LegacyRunner`]); converting one to a
//! future fails with [`BadYieldError`](crate::BadYieldError).
//!
//! The core knows nothing of this module: a `YieldPoint` is yielded as a
//! [driven wait](crate::DrivenWait), and the runner state it talks to is a
//! [coroutine local](crate::CoroutineLocal) of the coroutine that yields
//! it.

mod arguments;
mod keys;
mod multi_yield_point;
mod points;
mod runner;
mod task;
mod yield_point;

pub use arguments::Arguments;
pub use keys::{
    Key, KeyReuseError, LeakedCallbackError, ResultTypeError, ReturnValueIgnoredError, UnknownKeyError,
};
pub use multi_yield_point::MultiYieldPoint;
pub use points::{Callback, Wait, WaitAll};
pub use runner::{LegacyRunner, ResultCallback};
pub use task::{Task, TaskCallback};
pub use yield_point::YieldPoint;
