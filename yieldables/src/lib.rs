//! What a gust coroutine may yield: [`Future`], [`Error`], the
//! [`Yieldable`] trait (Tornado's `convert_yielded`), [`moment`],
//! [`multi`], [`sleep`], and the future-aware IOLoop methods
//! ([`IOLoopExt`]).
//!
//! This crate has no coroutines in it: everything here works with plain
//! callbacks and the loop, and the coroutine engine (`gust-engine`) builds
//! on it. Most users reach these items through the `gust` facade:
//! `gust::concurrent::Future`, `gust::gen::multi`, `gust::Error`.
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
pub use executor::{submit_to, DummyExecutor, Executor, ExecutorShutdownError, Job, ThreadPoolExecutor};
pub use future::{
    chain_future, chain_future_cloned, maybe_future, AnyFuture, Future, FutureId, Waiter, WeakFuture,
};
pub use io_loop_ext::IOLoopExt;
pub use legacy::{
    Arguments, Callback, Key, KeyReuseError, LeakedCallbackError, LegacyRunner, MultiYieldPoint,
    ResultCallback, ResultTypeError, ReturnValueIgnoredError, Task, TaskCallback, UnknownKeyError, Wait,
    WaitAll, YieldPoint,
};
pub use moment::{moment, Moment};
pub use multi::{multi, multi_future, multi_with, MultiChildren, QuietExceptions};
pub use native::{native, task_count, IntoResult, Native, NativeWait};
pub use remote::{remote_future, RemoteSetter, SendFuture};
pub use sleep::sleep;
pub use wait_iterator::{WaitIterator, WaitResult};
pub use with_timeout::{with_timeout, with_timeout_quiet, with_timeout_with, TimeoutOptions};
pub use yieldable::{convert_yielded, Extract, Yieldable, Yielded};
