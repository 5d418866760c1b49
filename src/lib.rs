//! gust: Tornado's coroutine machinery (`tornado.gen`, `tornado.concurrent`,
//! `tornado.ioloop`) in Rust, on stackful coroutines.
//!
//! A coroutine body is an ordinary closure running on its own stack. Where
//! Tornado writes `result = yield future`, gust writes
//! `let result = co.yield_(future)?;`. A Runner, like Tornado's
//! `gen.Runner`, takes each yielded thing, waits for it without blocking,
//! and sends the result (or the error) back into the suspended coroutine.
//!
//! ```
//! use std::time::Duration;
//! use gust::prelude::*;
//! use gust::gen_;
//!
//! fn fetch(n: u32) -> Future<u32> {
//!     gen_::coroutine(move |co| {
//!         co.yield_(gen_::sleep(Duration::from_millis(1)))?;
//!         Ok(n * 10)
//!     })
//! }
//!
//! let io_loop = IOLoop::new();
//! let total = io_loop
//!     .run_sync(
//!         || {
//!             gen_::coroutine(|co| {
//!                 // Wait for several coroutines in parallel, as `yield [a, b]`.
//!                 let results = co.yield_(vec![fetch(1), fetch(2)])?;
//!                 Ok(results.iter().sum::<u32>())
//!             })
//!         },
//!         None,
//!     )
//!     .unwrap();
//! assert_eq!(total, 30);
//! ```
//!
//! Modules follow Tornado's: [`gen_`], [`concurrent`], [`ioloop`].
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub use gust_engine as engine;
pub use gust_ioloop as ioloop;
pub use gust_yieldables as yieldables;

pub use gust_yieldables::{Error, ErrorKind};

/// Tornado's `tornado.gen`: coroutines and what they may yield.
pub mod gen_ {
    #[cfg(feature = "legacy")]
    pub use gust_engine::legacy::engine;
    pub use gust_engine::{
        Builder, Co, Generator, GeneratorExit, GeneratorFinishedError, GeneratorIgnoredExitError,
        GeneratorState, RunnerId, RunnerInfo, RunnerState, WaitIter, WaitingOn, Yielder, coroutine,
        runner_of, runners,
    };
    #[cfg(feature = "legacy")]
    pub use gust_yieldables::legacy::{
        Arguments, Callback, Key, KeyReuseError, LeakedCallbackError, LegacyRunner, MultiYieldPoint,
        ResultCallback, ResultTypeError, ReturnValueIgnoredError, Task, TaskCallback, UnknownKeyError, Wait,
        WaitAll, YieldPoint,
    };
    pub use gust_yieldables::{
        AbandonedError, BadYieldError, CoroutineLocal, DriveContext, DrivenWait, IntoResult, LoopClosedError,
        Moment, MultiChildren, Native, PanicError, QuietExceptions, Signal, StackExhaustedError,
        StoppedBeforeCompletionError, TimeoutError, TimeoutOptions, WaitIterator, WaitResult, Yieldable,
        Yielded, convert_yielded, maybe_future, moment, multi, multi_future, multi_with, native, sleep,
        task_count, with_timeout, with_timeout_quiet, with_timeout_with,
    };
}

/// Tornado's `tornado.concurrent`: futures.
pub mod concurrent {
    pub use gust_yieldables::{
        CancelledError, DummyExecutor, Executor, ExecutorShutdownError, Future, FutureId, InvalidStateError,
        Job, RemoteSetter, SendFuture, ThreadPoolExecutor, WeakFuture, chain_future, chain_future_cloned,
        remote_future, submit_to,
    };
}

/// The names most programs want: `use gust::prelude::*;`.
pub mod prelude {
    pub use gust_engine::Co;
    pub use gust_ioloop::IOLoop;
    pub use gust_yieldables::{Error, Future, IOLoopExt};
}

/// Documentation stand-ins (a fake HTTP client, request handler, Motor
/// cursor, ...) used by the side-by-side ports in `docs/ports/`. Not API.
#[doc(hidden)]
pub mod doc_support;

/// The side-by-side ports of the Tornado documents (`docs/ports/`): every
/// Rust block in them is compiled and run as a doctest.
#[cfg(doctest)]
mod docs_ports {
    #[doc = include_str!("../docs/ports/README.md")]
    struct Index;
    #[cfg(feature = "legacy")]
    #[doc = include_str!("../docs/ports/coroutines_user_guide_4x.md")]
    struct CoroutinesUserGuide4x;
    #[cfg(feature = "legacy")]
    #[doc = include_str!("../docs/ports/gen_reference.md")]
    struct GenReference;
    #[doc = include_str!("../docs/ports/coroutines_user_guide_6x.md")]
    struct CoroutinesUserGuide6x;
    #[cfg(feature = "legacy")]
    #[doc = include_str!("../docs/ports/blog_tornado_coroutine.md")]
    struct BlogTornadoCoroutine;
}
