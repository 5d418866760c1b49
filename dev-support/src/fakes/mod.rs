//! Stand-ins for what Tornado's documents take for granted: the
//! `http://example.com` they fetch from (a real gust `HTTPServer` on
//! 127.0.0.1, [`ExampleServer`]), a MongoDB cursor from Motor, a source of
//! chunks, a template, a callback-style function, a blocking function.
//!
//! The side-by-side ports of the Tornado documents (`docs/ports/*.md`, run
//! as doctests) use these so that each port stays as short as its Python
//! original. Everything here runs on the current loop and takes *loop*
//! time: on a `ManualClock::autojump()` clock it takes no real time at all.
//!
//! What gust has is not faked: the ports fetch with the real
//! `AsyncHTTPClient` from a real `HTTPServer`, and their handlers answer
//! through a real `ResponseWriter`. What is left here has no counterpart in
//! gust: Motor (a MongoDB driver, [`motor`]), Tornado's templates
//! ([`render`]), and the functions the documents leave undefined
//! (`fetch_next_chunk`, `some_function`, `blocking_func`,
//! `do_something_with_response`).
//!
//! ```
//! use gust::httpclient::AsyncHTTPClient;
//! use gust::ioloop::ManualClock;
//! use gust::prelude::*;
//! use gust_dev_support::fakes::{ExampleServer, example_url, json_decode};
//!
//! let io_loop = IOLoop::with_clock(ManualClock::autojump());
//! let _example = ExampleServer::start();
//! let response = io_loop
//!     .run_sync(|| AsyncHTTPClient::new().fetch(example_url("/a.json")), None)
//!     .unwrap();
//! assert_eq!(json_decode(&response.body).unwrap()["answer"], 42);
//! ```

mod chunks;
mod example_server;
mod functions;
pub mod motor;
mod web;

pub use chunks::ChunkSource;
pub use example_server::{ExampleServer, FETCH_TIME, Received, example_url};
pub use functions::{CALLBACK_DELAY, blocking_func, blocking_func_threads, some_function};
pub use web::{JSONDecodeError, do_something_with_response, json_decode, render, responses_seen};
