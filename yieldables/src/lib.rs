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
#![forbid(unsafe_code)]

mod driven;
mod driven_multi;
mod error;
mod executor;
mod future;
mod io_loop_ext;
#[cfg(feature = "legacy")]
pub mod legacy;
mod moment;
mod multi;
mod native;
pub mod protocol;
mod quiet;
mod remote;
mod sleep;
mod wait_iterator;
mod with_timeout;
mod yieldable;

pub use driven::{CoroutineLocal, DriveContext, DrivenWait, Signal};
pub use error::{
    AbandonedError, BadYieldError, CancelledError, Error, ErrorKind, InvalidStateError, LoopClosedError,
    MessageError, PanicError, StackExhaustedError, StdErrorAdapter, StoppedBeforeCompletionError,
    TimeoutError,
};
pub use executor::{DummyExecutor, Executor, ExecutorShutdownError, Job, ThreadPoolExecutor, submit_to};
pub use future::{Future, FutureId, WeakFuture, chain_future, chain_future_cloned, maybe_future};
pub use io_loop_ext::IOLoopExt;
pub use moment::{Moment, moment};
pub use multi::{MultiChildren, multi, multi_future, multi_with};
pub use native::{IntoResult, Native, TaskInfo, TaskState, native, task_count, tasks};
pub use quiet::QuietExceptions;
pub use remote::{RemoteSetter, SendFuture, remote_future};
pub use sleep::sleep;
pub use wait_iterator::{WaitIterator, WaitResult};
pub use with_timeout::{TimeoutOptions, with_timeout, with_timeout_quiet, with_timeout_with};
pub use yieldable::{Extract, Yieldable, Yielded, convert_yielded};
