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
//! use gust::{gen_, prelude::*};
//! use gust::concurrent::Future;
//!
//! fn fetch(n: u32) -> Future<u32> {
//!     gen_::coroutine(move |co| {
//!         co.yield_(gen_::sleep(Duration::from_millis(1)))?; // yield gen.sleep(0.001)
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
//! # Modules
//!
//! The modules are Tornado's, under Tornado's names:
//!
//! - [`gen_`]: Tornado's `tornado.gen` (`gen` is a reserved word in Rust
//!   2024, so the module is spelled `gen_`, as `co.yield_` spells `yield`):
//!   [`gen_::coroutine`], what a coroutine may yield ([`gen_::sleep`],
//!   [`gen_::multi`], [`gen_::with_timeout`], [`gen_::WaitIterator`], ...)
//!   and the [`gen_::Yieldable`] trait that makes a type yieldable.
//!   Tornado 4.5's removed interface (`gen.engine`, `gen.Task`,
//!   `gen.Callback`, ...) is in `gen_::legacy`, behind the default-on cargo
//!   feature `legacy`.
//! - [`concurrent`]: Tornado's `tornado.concurrent`: [`concurrent::Future`],
//!   executors, and futures that cross threads.
//! - [`ioloop`]: Tornado's `tornado.ioloop`: [`ioloop::IOLoop`], timers,
//!   file-descriptor handlers, [`ioloop::PeriodicCallback`], and the
//!   [`ioloop::ManualClock`] for tests.
//!
//! What Tornado has no module for: [`Error`] and [`ErrorKind`] at the root
//! and gust's own error types in [`error`]; [`runner`], to see what every
//! coroutine of a loop is waiting on; [`generator`], Python's generator
//! protocol (send, throw, close) on which the Runner is built; [`stacks`],
//! the coroutine stack settings; and the [`prelude`]. [`testing`] (cargo
//! feature `testing`, on by default) is Tornado's `tornado.testing`:
//! `gen_test`, `ExpectLog`, stepping the Runner, an HTTP test server.
//!
//! # Logging
//!
//! Failures nobody waits for (a callback that panics, a coroutine started
//! with `spawn_callback` that fails, a future whose error is never looked
//! at) are reported through the [`log`](https://docs.rs/log) crate at error
//! level, under the target [`ioloop::APP_LOG`], with Tornado's messages.
//! Install a logger (`env_logger`, for example) to see them.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
compile_error!(
    "gust supports 64-bit Linux only for now: its coroutine stacks use Linux's mmap, madvise and \
     signal handling, and 64-bit address space for the stack pool"
);

#[doc(inline)]
pub use gust_yieldables::{Error, ErrorKind};

pub mod error {
    //! gust's own error types: the failures Tornado reports as a plain
    //! `RuntimeError` or that only a stackful engine has.
    //!
    //! Every failure ends up in an [`Error`](crate::Error), and each kind
    //! is its own type, so `err.is::<PanicError>()` is the Rust form of
    //! `except SomeError`. The errors of Tornado's own modules live in
    //! those modules: [`TimeoutError`](crate::gen_::TimeoutError) and
    //! [`BadYieldError`](crate::gen_::BadYieldError) in `gen_`,
    //! [`CancelledError`](crate::concurrent::CancelledError) and
    //! [`InvalidStateError`](crate::concurrent::InvalidStateError) in
    //! `concurrent`, [`LoopClosedError`](crate::ioloop::LoopClosedError) and
    //! [`IOLoopError`](crate::ioloop::IOLoopError) in `ioloop`.

    #[doc(inline)]
    pub use gust_yieldables::{
        AbandonedError, MessageError, PanicError, StackExhaustedError, StdErrorAdapter,
        StoppedBeforeCompletionError,
    };
}

pub mod gen_ {
    //! Tornado's `tornado.gen`: decorated coroutines and what they may
    //! yield.
    //!
    //! A decorated coroutine ([`coroutine`], Tornado's `@gen.coroutine`)
    //! starts at once, runs on its own stack until it yields something not
    //! yet done, and returns a [`Future`](crate::concurrent::Future) of its
    //! result. Inside, [`Co::yield_`] accepts anything [`Yieldable`]:
    //! futures, [`moment`], `()`, [`sleep`], [`with_timeout`],
    //! [`WaitIterator::next`], `Vec`s, maps and tuples of yieldables
    //! (waited for in parallel, as [`multi`]) and Rust futures through
    //! [`native`].
    //!
    //! ```
    //! use std::time::Duration;
    //! use gust::{gen_, prelude::*};
    //!
    //! let io_loop = IOLoop::new();
    //! let answer = io_loop.run_sync(
    //!     || {
    //!         gen_::coroutine(|co| {
    //!             co.yield_(gen_::sleep(Duration::from_millis(1)))?;
    //!             co.yield_(gen_::moment)?; // one loop iteration
    //!             Ok(42)
    //!         })
    //!     },
    //!     None,
    //! );
    //! assert_eq!(answer.unwrap(), 42);
    //! ```

    #[doc(inline)]
    pub use gust_engine::{Builder, Co, WaitIter, coroutine};
    #[doc(inline)]
    pub use gust_yieldables::{
        BadYieldError, CoroutineLocal, DriveContext, DrivenWait, Extract, IntoResult, Moment, MultiChildren,
        Native, QuietExceptions, Signal, TimeoutError, TimeoutOptions, WaitIterator, WaitResult, Yieldable,
        Yielded, convert_yielded, maybe_future, moment, multi, multi_future, multi_with, native, sleep,
        with_timeout, with_timeout_quiet, with_timeout_with,
    };

    /// Tornado 4.5's interface that Tornado 5 and 6 removed: `gen.engine`,
    /// `gen.Task`, `gen.Callback` / `gen.Wait` / `gen.WaitAll`, and the
    /// `YieldPoint`s they are built on.
    ///
    /// Behind the cargo feature `legacy`, on by default. New code wants
    /// [`coroutine`] and futures instead.
    #[cfg(feature = "legacy")]
    pub mod legacy {
        #[doc(inline)]
        pub use gust_engine::legacy::engine;
        #[doc(inline)]
        pub use gust_yieldables::legacy::{
            Arguments, Callback, Key, KeyReuseError, LeakedCallbackError, LegacyRunner, MultiYieldPoint,
            ResultCallback, ResultTypeError, ReturnValueIgnoredError, Task, TaskCallback, UnknownKeyError,
            Wait, WaitAll, YieldPoint,
        };
    }
}

pub mod concurrent {
    //! Tornado's `tornado.concurrent`: the [`Future`], executors that run
    //! blocking functions on other threads, and futures that cross threads.
    //!
    //! ```
    //! use gust::concurrent::{Future, chain_future};
    //!
    //! let (a, b) = (Future::new(), Future::new());
    //! chain_future(&a, &b);
    //! a.set_result(7).unwrap();
    //! assert_eq!(b.take_result().unwrap(), 7);
    //! ```

    #[doc(inline)]
    pub use gust_yieldables::{
        CancelledError, DummyExecutor, Executor, ExecutorShutdownError, Future, FutureId, InvalidStateError,
        Job, RemoteSetter, SendFuture, ThreadPoolExecutor, WeakFuture, chain_future, chain_future_cloned,
        remote_future, submit_to,
    };
}

pub mod ioloop {
    //! Tornado's `tornado.ioloop`: the event loop.
    //!
    //! An [`IOLoop`] runs callbacks, timers and file-descriptor handlers on
    //! one thread; [`IOLoopExt`] adds what needs futures and coroutines
    //! (`run_sync`, `add_future`, `spawn_callback`, `run_in_executor`).
    //! Other threads reach a loop through a [`LoopHandle`]. For tests, a
    //! loop can run on a [`ManualClock`] and be stepped one iteration at a
    //! time with [`IOLoop::run_once`].
    //!
    //! [`add_handler`](IOLoop::add_handler) takes [`mio`] event sources,
    //! so the `mio` gust is built on is re-exported here.
    //!
    //! ```
    //! use std::time::Duration;
    //! use gust::ioloop::{IOLoop, ManualClock};
    //!
    //! let clock = ManualClock::autojump();
    //! let io_loop = IOLoop::with_clock(&clock);
    //! io_loop.call_later(Duration::from_secs(3600), || IOLoop::current().stop());
    //! io_loop.start().unwrap(); // an hour passes instantly on the manual clock
    //! ```

    #[doc(inline)]
    pub use gust_ioloop::{
        APP_LOG, CallbackResult, Clock, Deadline, Events, Extension, HandlerId, IOLoop, IOLoopError,
        InvalidJitterError, LoopClosedError, LoopHandle, ManualClock, NonPositivePeriodError, PendingWork,
        PeriodicCallback, PeriodicHandle, TimeoutHandle, WeakIOLoop,
    };
    #[doc(inline)]
    pub use gust_yieldables::IOLoopExt;
    /// The `mio` crate, whose event sources [`IOLoop::add_handler`] takes.
    pub use mio;
}

pub mod runner {
    //! What the coroutines of a loop are doing: Tornado's `gen.Runner`
    //! made observable.
    //!
    //! [`runners`] lists every suspended decorated coroutine of a loop with
    //! its [`RunnerState`] (what it waits on, in words a test can match:
    //! [`WaitingOn`]), whether it is scheduled to resume; [`runner_of`]
    //! finds the one behind a coroutine's future; [`tasks`] lists the
    //! loop's native tasks. A [`Trace`] records every step: which coroutine
    //! started, resumed with what, parked on what, finished. A test can start a
    //! coroutine, see what it waits on, resolve that by hand, run one loop
    //! iteration and watch the next step.
    //!
    //! ```
    //! use gust::{gen_, prelude::*};
    //! use gust::concurrent::Future;
    //! use gust::runner::{RunnerState, WaitingOn};
    //!
    //! let io_loop = IOLoop::new();
    //! let f: Future<u32> = Future::new();
    //! let coro = gen_::coroutine({
    //!     let f = f.clone();
    //!     move |co| co.yield_(f)
    //! });
    //! let info = gust::runner::runner_of(&coro).unwrap();
    //! assert!(matches!(info.state, RunnerState::Parked(WaitingOn::Future { .. })));
    //! f.set_result(5).unwrap();
    //! io_loop.run_once(None).unwrap();
    //! assert_eq!(coro.take_result().unwrap(), 5);
    //! ```
    //!
    //! Each Runner step is also logged at debug level under [`GEN_LOG`].

    #[doc(inline)]
    pub use gust_engine::{
        GEN_LOG, Resumption, RunnerId, RunnerInfo, RunnerState, Trace, TraceEvent, TraceKind, WaitingOn,
        runner_of, runners,
    };
    #[doc(inline)]
    pub use gust_yieldables::{TaskInfo, TaskState, task_count, tasks};
}

pub mod generator {
    //! Python's generator protocol over a closure on its own stack: the
    //! layer the Runner is built on.
    //!
    //! A [`Generator`] runs its body until the body yields through its
    //! [`Yielder`]; `send` resumes it with a value, `throw` resumes it
    //! with an error, `close` unwinds it ([`GeneratorExit`]).
    //!
    //! ```
    //! use gust::generator::{Generator, GeneratorState};
    //!
    //! let mut counter: Generator<u32, u32, u32> = Generator::new(|y| {
    //!     let a = y.yield_(1)?;
    //!     let b = y.yield_(a + 1)?;
    //!     Ok(a + b)
    //! })
    //! .unwrap();
    //! assert_eq!(counter.start().unwrap(), GeneratorState::Yielded(1));
    //! assert_eq!(counter.send(10).unwrap(), GeneratorState::Yielded(11));
    //! assert_eq!(counter.send(5).unwrap(), GeneratorState::Returned(15));
    //! ```

    #[doc(inline)]
    pub use gust_engine::{
        Generator, GeneratorExit, GeneratorFinishedError, GeneratorIgnoredExitError, GeneratorState, Yielder,
    };
}

pub mod stacks {
    //! Coroutine stacks: their size, the pool they come from, and its
    //! statistics.
    //!
    //! Every coroutine runs on a stack from a per-thread pool: fixed-size
    //! slots with a guard page each, reused last-in first-out. When none
    //! can be had, the coroutine's future fails with a
    //! [`StackExhaustedError`](crate::error::StackExhaustedError); a
    //! coroutine that overflows its stack aborts the process with a message
    //! naming it.
    //!
    //! ```
    //! use gust::stacks;
    //!
    //! assert!(stacks::default_stack_size() >= stacks::MIN_STACK_SIZE);
    //! let stats = stacks::stack_stats();
    //! println!("{} stacks in use, {} pooled", stats.live, stats.pooled);
    //! ```

    #[doc(inline)]
    pub use gust_engine::{
        DEFAULT_STACK_SIZE, GuardMode, MIN_STACK_SIZE, StackStats, default_stack_size, guard_mode,
        set_default_stack_size, set_max_live_stacks, stack_stats, trim_stack_pool,
    };
}

pub mod prelude {
    //! The names most programs want: `use gust::prelude::*;`.
    //!
    //! [`IOLoop`] and its future-aware methods ([`IOLoopExt`]), the
    //! coroutine handle [`Co`], and [`Error`]. Not `Future`:
    //! a glob import of a type named `Future` would shadow
    //! `std::future::Future` in the 2024 prelude; import
    //! `gust::concurrent::Future` by name.

    #[doc(no_inline)]
    pub use crate::Error;
    #[doc(no_inline)]
    pub use crate::gen_::Co;
    #[doc(no_inline)]
    pub use crate::ioloop::{IOLoop, IOLoopExt};
}

/// Checks, as doctests, what must not compile.
///
/// A `Future` (like the `IOLoop` and a coroutine's `Co`) belongs to the
/// thread of its loop:
///
/// ```compile_fail,E0277
/// fn assert_send<T: Send>() {}
/// assert_send::<gust::concurrent::Future<u32>>();
/// ```
///
/// ```compile_fail,E0277
/// fn assert_send<T: Send>() {}
/// assert_send::<gust::ioloop::IOLoop>();
/// ```
///
/// ```compile_fail,E0277
/// fn assert_send<T: Send>() {}
/// assert_send::<gust::gen_::Co<'static>>();
/// ```
///
/// The thread-crossing types are `Send`, so the checks above fail for the
/// reason they name:
///
/// ```
/// fn assert_send<T: Send>() {}
/// assert_send::<gust::concurrent::SendFuture<u32>>();
/// assert_send::<gust::concurrent::RemoteSetter<u32>>();
/// assert_send::<gust::ioloop::LoopHandle>();
/// ```
///
/// Yielding something that is not [`Yieldable`](crate::gen_::Yieldable) does
/// not compile (Tornado raises `BadYieldError` at run time):
///
/// ```compile_fail,E0277
/// use gust::gen_;
///
/// struct NotYieldable;
/// let _ = gen_::coroutine(|co| {
///     co.yield_(NotYieldable)?;
///     Ok(())
/// });
/// ```
///
/// while the same coroutine yielding a yieldable does:
///
/// ```
/// use gust::gen_;
///
/// let _ = gust::ioloop::IOLoop::new();
/// let _ = gen_::coroutine(|co| {
///     co.yield_(gen_::moment)?;
///     Ok(())
/// });
/// ```
#[cfg(doctest)]
pub struct CompileFail;

/// The README, `docs/native.md` and the side-by-side ports of the Tornado
/// documents (`docs/ports/`): every Rust block in them is compiled and run
/// as a doctest.
#[cfg(doctest)]
mod docs_ports {
    #[doc = include_str!("../README.md")]
    struct Readme;
    #[doc = include_str!("../docs/native.md")]
    struct NativeCoroutines;
    #[doc = include_str!("../docs/ports/README.md")]
    struct Index;
    #[cfg(all(feature = "legacy", feature = "testing"))]
    #[doc = include_str!("../docs/ports/coroutines_user_guide_4x.md")]
    struct CoroutinesUserGuide4x;
    #[cfg(all(feature = "legacy", feature = "testing"))]
    #[doc = include_str!("../docs/ports/gen_reference.md")]
    struct GenReference;
    #[cfg(feature = "testing")]
    #[doc = include_str!("../docs/ports/coroutines_user_guide_6x.md")]
    struct CoroutinesUserGuide6x;
    #[cfg(feature = "testing")]
    #[doc = include_str!("../docs/testing.md")]
    struct Testing;
    #[cfg(all(feature = "legacy", feature = "testing"))]
    #[doc = include_str!("../docs/ports/blog_tornado_coroutine.md")]
    struct BlogTornadoCoroutine;
}

pub mod iostream {
    //! Tornado's `tornado.iostream`: [`IOStream`], buffered non-blocking
    //! reads and writes on a socket or pipe, each returning a
    //! [`Future`](crate::concurrent::Future).
    //!
    //! ```
    //! use gust::iostream::IOStream;
    //! use gust::netutil::bind_unused_port;
    //! use gust::{gen_, prelude::*};
    //!
    //! let io_loop = IOLoop::new();
    //! let (listener, port) = bind_unused_port(false).unwrap();
    //! let line = io_loop.run_sync(move || gen_::coroutine(move |co| {
    //!     let client = co.yield_(IOStream::connect(([127, 0, 0, 1], port).into()))?;
    //!     let (server_side, _) = listener.accept()?;
    //!     let server = IOStream::new(gust::ioloop::mio::net::TcpStream::from_std(server_side))?;
    //!     co.yield_(client.write(b"hello\r\n"))?;
    //!     co.yield_(server.read_until(b"\r\n", None))
    //! }), None).unwrap();
    //! assert_eq!(line, b"hello\r\n");
    //! ```

    #[doc(inline)]
    pub use gust_net::iostream::{
        AlreadyReadingError, IOStream, StreamBufferFullError, StreamClosedError, StreamOptions, StreamSocket,
        UnsatisfiableReadError, stream_count,
    };
}

pub mod tcpserver {
    //! Tornado's `tornado.tcpserver`: [`TCPServer`], which hands each
    //! accepted connection to a function as an
    //! [`IOStream`](crate::iostream::IOStream), and [`spawn_loops`] to run
    //! one loop per core on a shared port (Tornado's `fork_processes`, with
    //! threads).

    #[doc(inline)]
    pub use gust_net::tcpserver::{LoopThreads, TCPServer, spawn_loops};
}

pub mod tcpclient {
    //! Tornado's `tornado.tcpclient`: [`TCPClient`], which resolves a host
    //! and connects to it (trying both address families as Tornado's
    //! connector does), giving an [`IOStream`](crate::iostream::IOStream).

    #[doc(inline)]
    pub use gust_net::tcpclient::{ConnectOptions, INITIAL_CONNECT_TIMEOUT, TCPClient};
}

pub mod netutil {
    //! Tornado's `tornado.netutil`: listening sockets ([`bind_sockets`],
    //! [`bind_unused_port`]), accept handlers on the loop
    //! ([`add_accept_handler`]) and resolvers ([`Resolver`]).

    #[doc(inline)]
    pub use gust_net::GEN_LOG;
    #[doc(inline)]
    pub use gust_net::netutil::{
        AcceptHandle, AddressFamily, BindOptions, DEFAULT_BACKLOG, DefaultExecutorResolver, OverrideResolver,
        Resolver, add_accept_handler, bind_sockets, bind_unused_port, is_valid_ip,
    };
}

/// The port of Tornado's TCP echo example (`docs/ports/echo.md`): its Rust
/// blocks are compiled and run as doctests.
#[cfg(doctest)]
mod docs_ports_net {
    #[doc = include_str!("../docs/ports/echo.md")]
    struct Echo;
}

/// Tornado's `tornado.locks`: synchronization primitives for coroutines
/// (`Condition`, `Event`, `Semaphore`, `BoundedSemaphore`, `Lock`).
pub mod locks {
    #[doc(inline)]
    pub use gust_sync::locks::{
        BoundedSemaphore, Condition, Event, Guard, IntoTimeout, Lock, NotLockedError, Semaphore,
        TooManyReleasesError,
    };
}

/// Tornado's `tornado.queues`: asynchronous queues for coroutines
/// (`Queue`, `PriorityQueue`, `LifoQueue`).
pub mod queues {
    #[doc(inline)]
    pub use gust_sync::queues::{
        Iter, LifoQueue, Next, PriorityQueue, Queue, QueueEmpty, QueueFull, QueueStream, TaskDoneError,
    };
}

pub mod httputil {
    //! Tornado's `tornado.httputil`: [`HTTPHeaders`] (case-insensitive,
    //! multi-valued, in order), [`HTTPServerRequest`], start lines, URL and
    //! query helpers. gust speaks HTTP/1.1 over plain TCP: TLS is not
    //! supported yet.

    #[doc(inline)]
    pub use gust_http::httputil::{
        HTTPHeaders, HTTPInputError, HTTPOutputError, HTTPServerRequest, QueryArguments, RequestStartLine,
        ResponseStartLine, SplitUrl, format_timestamp, normalize_header, parse_qs_bytes,
        parse_request_start_line, parse_response_start_line, reason_phrase, split_host_and_port, url_concat,
        url_escape, url_join, url_unescape,
    };
}

pub mod httpclient {
    //! Tornado's `tornado.httpclient`: [`AsyncHTTPClient`] (one per loop,
    //! with a `max_clients` queue and keep-alive connections), the blocking
    //! [`HTTPClient`], [`HTTPRequest`], [`HTTPResponse`] and
    //! [`HTTPClientError`] (alias [`HTTPError`]).

    #[doc(inline)]
    pub use gust_http::httpclient::{
        AsyncHTTPClient, ClientErrorKind, ClientOptions, HTTPClient, HTTPClientError, HTTPError, HTTPRequest,
        HTTPResponse, HeaderCallback, StreamingCallback,
    };
}

#[cfg(feature = "testing")]
pub mod testing {
    //! Tornado's `tornado.testing`: [`gen_test`] runs a test body as a
    //! coroutine on a fresh loop with a timeout and fails the test on
    //! background failures; [`ExpectLog`] expects (and quiets) a log
    //! record; [`TestLoop`], [`step`] and [`step_until`] step the Runner one
    //! loop iteration at a time and show what it did; [`HTTPTestServer`]
    //! is `AsyncHTTPTestCase`'s server and client on an unused port.
    //!
    //! Behind the cargo feature `testing`, on by default.
    //!
    //! ```
    //! use std::time::Duration;
    //! use gust::gen_;
    //! use gust::testing::gen_test;
    //!
    //! let slept = gen_test(|co| {
    //!     co.yield_(gen_::sleep(Duration::from_secs(3)))?; // no real waiting
    //!     Ok("done")
    //! });
    //! assert_eq!(slept, "done");
    //! ```

    #[doc(inline)]
    pub use gust_testing::{
        BackgroundFailureError, ExpectLog, GenTest, HTTPTestServer, InstallLoggerError, LeftRegisteredError,
        LogCapture, LogRecord, MissingLogError, Pending, Step, StepLimitError, TIMEOUT_ENV, TestLogger,
        TestLoop, add_cleanup, async_test_timeout, bind_unused_port, describe_pending, gen_test,
        gen_test_native, pending, step, step_until, try_gen_test,
    };
}

pub mod httpserver {
    //! Tornado's `tornado.httpserver`: [`HTTPServer`], the
    //! [`ResponseWriter`] a request callback answers through, and a small
    //! [`Router`] by method and path (a full web framework is not the goal).

    #[doc(inline)]
    pub use gust_http::httpserver::{
        HTTPServer, HTTPServerOptions, HandlerResult, RequestCallback, ResponseWriter, Router,
    };
}
