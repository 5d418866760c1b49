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

pub use gust_engine as engine;
pub use gust_ioloop as ioloop;
pub use gust_yieldables as yieldables;

pub use gust_yieldables::{Error, ErrorKind};

/// Tornado's `tornado.gen`: coroutines and what they may yield.
pub mod gen_ {
    pub use gust_engine::{
        Builder, Co, Generator, GeneratorExit, GeneratorFinishedError, GeneratorIgnoredExitError,
        GeneratorState, RunnerId, RunnerInfo, RunnerState, WaitIter, WaitingOn, Yielder, coroutine, engine,
        runner_of, runners,
    };
    pub use gust_yieldables::{
        AbandonedError, Arguments, BadYieldError, Callback, IntoResult, Key, KeyReuseError,
        LeakedCallbackError, LegacyRunner, LoopClosedError, Moment, MultiChildren, MultiYieldPoint, Native,
        PanicError, QuietExceptions, ResultCallback, ResultTypeError, ReturnValueIgnoredError,
        StackExhaustedError, StoppedBeforeCompletionError, Task, TaskCallback, TimeoutError, TimeoutOptions,
        UnknownKeyError, Wait, WaitAll, WaitIterator, WaitResult, YieldPoint, Yieldable, Yielded,
        convert_yielded, maybe_future, moment, multi, multi_future, multi_with, native, sleep, task_count,
        with_timeout, with_timeout_quiet, with_timeout_with,
    };
}

/// Tornado's `tornado.concurrent`: futures.
pub mod concurrent {
    pub use gust_yieldables::{
        AnyFuture, CancelledError, DummyExecutor, Executor, ExecutorShutdownError, Future, FutureId,
        InvalidStateError, Job, RemoteSetter, SendFuture, ThreadPoolExecutor, WeakFuture, chain_future,
        chain_future_cloned, remote_future, submit_to,
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
    #[doc = include_str!("../docs/ports/coroutines_user_guide_4x.md")]
    struct CoroutinesUserGuide4x;
    #[doc = include_str!("../docs/ports/gen_reference.md")]
    struct GenReference;
    #[doc = include_str!("../docs/ports/coroutines_user_guide_6x.md")]
    struct CoroutinesUserGuide6x;
    #[doc = include_str!("../docs/ports/blog_tornado_coroutine.md")]
    struct BlogTornadoCoroutine;
}

// --------------------------------------------------------------------
// Sockets (crate `net/`, gust-net). Appended as one block so that it can
// be moved as a whole.
// --------------------------------------------------------------------

/// Tornado's `tornado.iostream`: [`IOStream`](iostream::IOStream),
/// buffered non-blocking reads and writes that return futures.
pub mod iostream {
    pub use gust_net::iostream::*;
}

/// Tornado's `tornado.tcpserver`: [`TCPServer`](tcpserver::TCPServer),
/// and [`spawn_loops`](tcpserver::spawn_loops) to run one loop per core.
pub mod tcpserver {
    pub use gust_net::tcpserver::*;
}

/// Tornado's `tornado.tcpclient`: [`TCPClient`](tcpclient::TCPClient).
pub mod tcpclient {
    pub use gust_net::tcpclient::*;
}

/// Tornado's `tornado.netutil`: listening sockets, accept handlers,
/// resolvers.
pub mod netutil {
    pub use gust_net::GEN_LOG;
    pub use gust_net::netutil::*;
}

/// The port of Tornado's TCP echo example (`docs/ports/echo.md`): its Rust
/// blocks are compiled and run as doctests.
#[cfg(doctest)]
mod docs_ports_net {
    #[doc = include_str!("../docs/ports/echo.md")]
    struct Echo;
}

// --------------------------------------------------------------------
// HTTP (crate `http/`, gust-http). Appended as one block so that it can
// be moved as a whole.
// --------------------------------------------------------------------

/// Tornado's `tornado.httputil`: [`HTTPHeaders`](httputil::HTTPHeaders),
/// [`HTTPServerRequest`](httputil::HTTPServerRequest), start lines, URL and
/// query helpers. HTTP/1.1 over plain TCP: TLS is not supported yet.
pub mod httputil {
    pub use gust_http::httputil::*;
}

/// Tornado's `tornado.httpclient`:
/// [`AsyncHTTPClient`](httpclient::AsyncHTTPClient) (one per loop), the
/// blocking [`HTTPClient`](httpclient::HTTPClient),
/// [`HTTPRequest`](httpclient::HTTPRequest),
/// [`HTTPResponse`](httpclient::HTTPResponse),
/// [`HTTPClientError`](httpclient::HTTPClientError) (`HTTPError`).
pub mod httpclient {
    pub use gust_http::httpclient::*;
}

/// Tornado's `tornado.httpserver`: [`HTTPServer`](httpserver::HTTPServer),
/// the [`ResponseWriter`](httpserver::ResponseWriter) a request callback
/// answers through, and a small [`Router`](httpserver::Router).
pub mod httpserver {
    pub use gust_http::httpserver::*;
}
