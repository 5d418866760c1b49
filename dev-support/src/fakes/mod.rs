//! Stand-ins for what Tornado's documents take for granted: an HTTP
//! client, a request handler, a MongoDB cursor from Motor, a callback-style
//! function, a blocking function.
//!
//! The side-by-side ports of the Tornado documents (`docs/ports/*.md`, run
//! as doctests) use these so that each port stays as short as its Python
//! original. Everything here runs on the current loop and takes *loop*
//! time: on a `ManualClock::autojump()` clock it takes no real time at all.
//!
//! ```
//! use gust::{gen_, prelude::*};
//! use gust::ioloop::ManualClock;
//! use gust_dev_support::fakes::AsyncHTTPClient;
//!
//! let io_loop = IOLoop::with_clock(ManualClock::autojump());
//! let response = io_loop
//!     .run_sync(|| AsyncHTTPClient::new().fetch("http://example.com/a.json"), None)
//!     .unwrap();
//! assert_eq!(response.body, r#"{"answer": 42}"#);
//! # let _ = gen_::moment;
//! ```

mod functions;
mod httpclient;
pub mod motor;
mod web;

pub use functions::{CALLBACK_DELAY, blocking_func, blocking_func_threads, some_function};
pub use httpclient::{
    AsyncHTTPClient, FETCH_TIME, HTTPError, HTTPResponse, JSONDecodeError, do_something_with_response,
    json_decode, responses_seen,
};
pub use web::{ChunkSource, FLUSH_TIME, RequestHandler};
