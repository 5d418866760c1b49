//! Testing coroutines and the loop (Tornado's `tornado.testing`), and
//! stepping through the Runner one loop iteration at a time.
//!
//! - [`gen_test`] (and [`gen_test_native`], [`GenTest`]): a test body as a
//!   coroutine on a fresh loop, with a timeout, failing the test on
//!   background failures.
//! - [`ExpectLog`] and [`LogCapture`]: the log records of the current
//!   test, whatever logger is installed.
//! - [`TestLoop`], [`step`], [`step_until`]: a loop stepped by hand on a
//!   manual clock, and what the Runner did in each iteration
//!   ([`Step`], from a [`Trace`](gust_engine::Trace)); [`pending`] and
//!   [`describe_pending`]: every suspended coroutine and native task, and
//!   what it waits on.
//! - [`HTTPTestServer`] and [`bind_unused_port`]: a server on an unused
//!   port and a client for it (Tornado's `AsyncHTTPTestCase`).
//!
//! ```
//! use std::time::Duration;
//! use gust::gen_;
//! use gust::ioloop::{APP_LOG, IOLoopExt};
//! use gust::testing::{ExpectLog, gen_test};
//!
//! gen_test(|co| {
//!     let _expected = ExpectLog::new(APP_LOG, "Exception in callback");
//!     gust::ioloop::IOLoop::current().spawn_callback(|| gen_::coroutine(|_co| -> Result<(), gust::Error> {
//!         Err(gust::Error::msg("meant to fail"))
//!     }));
//!     co.yield_(gen_::sleep(Duration::from_secs(1)))?;
//!     Ok(())
//! });
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod gen_test;
mod http;
mod inspect;
pub mod logs;
mod stepping;

pub use gen_test::{
    BackgroundFailureError, GenTest, TIMEOUT_ENV, add_cleanup, async_test_timeout, gen_test, gen_test_native,
    try_gen_test,
};
pub use http::{HTTPTestServer, LeftRegisteredError};
pub use inspect::{Pending, describe_pending, pending};
pub use logs::{ExpectLog, InstallLoggerError, LogCapture, LogRecord, MissingLogError, TestLogger};
pub use stepping::{Step, StepLimitError, TestLoop, step, step_until};

/// Binds a listening socket to a free port on 127.0.0.1 and returns it
/// with its port (Tornado's `tornado.testing.bind_unused_port`; the same
/// function as `gust::netutil::bind_unused_port`).
pub use gust_net::netutil::bind_unused_port;
