//! What a gust coroutine may yield: [`Future`], [`Error`], the
//! [`Yieldable`] trait (Tornado's `convert_yielded`), [`moment`],
//! [`multi`], [`sleep`], and the future-aware IOLoop methods
//! ([`IOLoopExt`]).
//!
//! This crate has no coroutines in it: everything here works with plain
//! callbacks and the loop, and the coroutine engine (`gust-engine`) builds
//! on it. Most users reach these items through the `gust` facade:
//! `gust::concurrent::Future`, `gust::gen_::multi`, `gust::Error`.
#![deny(missing_docs)]

mod error;
mod executor;
mod future;
mod io_loop_ext;
mod legacy;
mod moment;
mod multi;
mod native;
mod remote;
mod sleep;
mod wait_iterator;
mod with_timeout;
mod yieldable;

pub use error::{
    AbandonedError, BadYieldError, CancelledError, Error, ErrorKind, InvalidStateError, LoopClosedError,
    MessageError, PanicError, StackExhaustedError, StdErrorAdapter, StoppedBeforeCompletionError,
    TimeoutError,
};
pub use executor::{DummyExecutor, Executor, ExecutorShutdownError, Job, ThreadPoolExecutor, submit_to};
#[doc(hidden)]
pub use future::Reclaim;
pub use future::{
    AnyFuture, Future, FutureId, Waiter, WeakFuture, chain_future, chain_future_cloned, maybe_future,
};
pub use io_loop_ext::IOLoopExt;
pub use legacy::{
    Arguments, Callback, Key, KeyReuseError, LeakedCallbackError, LegacyRunner, MultiYieldPoint,
    ResultCallback, ResultTypeError, ReturnValueIgnoredError, Task, TaskCallback, UnknownKeyError, Wait,
    WaitAll, YieldPoint,
};
pub use moment::{Moment, moment};
pub use multi::{MultiChildren, QuietExceptions, multi, multi_future, multi_with};
pub use native::{IntoResult, Native, NativeWait, native, task_count};
pub use remote::{RemoteSetter, SendFuture, remote_future};
pub use sleep::sleep;
pub use wait_iterator::{WaitIterator, WaitResult};
pub use with_timeout::{TimeoutOptions, with_timeout, with_timeout_quiet, with_timeout_with};
pub use yieldable::{Extract, Yieldable, Yielded, convert_yielded};
