//! What a request callback is, and what it may return.

use std::panic::{AssertUnwindSafe, catch_unwind};

use gust_ioloop::protocol::panic_message;
use gust_yieldables::{Error, Future, IntoResult, Native, PanicError, Yieldable};

use super::response::ResponseWriter;
use crate::httputil::HTTPServerRequest;

/// What a request callback may return: `()`, a `Result<(), E>`, or work
/// still running — a coroutine's [`Future`], or a native coroutine
/// wrapped in [`native`](gust_yieldables::native).
///
/// When that work is over, the server finishes the response if the
/// callback did not (Tornado's `RequestHandler` does the same after its
/// method returns); if it failed, the server logs `Uncaught exception
/// METHOD URI (IP): ERROR` on `gust::application` and answers 500, or
/// closes the connection if the response had already started.
pub trait HandlerResult: 'static {
    /// Calls `done` with the outcome once the work is over (at once for
    /// plain values).
    fn when_done<D: FnOnce(Result<(), Error>) + 'static>(self, done: D);
}

impl HandlerResult for () {
    fn when_done<D: FnOnce(Result<(), Error>) + 'static>(self, done: D) {
        done(Ok(()));
    }
}

impl<E: Into<Error> + 'static> HandlerResult for Result<(), E> {
    fn when_done<D: FnOnce(Result<(), Error>) + 'static>(self, done: D) {
        done(self.map_err(Into::into));
    }
}

impl<T: 'static> HandlerResult for Future<T> {
    fn when_done<D: FnOnce(Result<(), Error>) + 'static>(self, done: D) {
        if self.done() {
            return done(self.exception().map_or(Ok(()), Err));
        }
        self.add_done_callback(move |f| done(f.exception().map_or(Ok(()), Err)));
    }
}

impl<F> HandlerResult for Native<F>
where
    F: std::future::Future + 'static,
    F::Output: IntoResult,
{
    fn when_done<D: FnOnce(Result<(), Error>) + 'static>(self, done: D) {
        self.convert_yielded().when_done(done);
    }
}

/// A request callback: the function an [`HTTPServer`](super::HTTPServer)
/// calls with each request and the [`ResponseWriter`] to answer it
/// through. Any `Fn(HTTPServerRequest, ResponseWriter) -> R` with `R:`
/// [`HandlerResult`] is one, and so is a [`Router`](super::Router).
pub trait RequestCallback: 'static {
    /// Handles one request.
    fn handle(&self, request: HTTPServerRequest, response: ResponseWriter);
}

impl<F, R> RequestCallback for F
where
    F: Fn(HTTPServerRequest, ResponseWriter) -> R + 'static,
    R: HandlerResult,
{
    fn handle(&self, request: HTTPServerRequest, response: ResponseWriter) {
        let summary = Summary::of(&request);
        let writer = response.clone();
        let done = move |outcome| writer.handler_done(outcome, &summary);
        match catch_unwind(AssertUnwindSafe(|| self(request, response))) {
            Ok(result) => result.when_done(done),
            Err(payload) => done(Err(Error::new(PanicError {
                message: panic_message(&*payload),
                coroutine: None,
            }))),
        }
    }
}

/// `METHOD URI (IP)` for the log line of a failed request, kept on the
/// stack (truncated past 200 bytes): building it must not cost an
/// allocation per request when nothing fails.
#[derive(Clone, Copy)]
struct Summary {
    buf: [u8; 200],
    len: usize,
}

impl Summary {
    fn of(request: &HTTPServerRequest) -> Summary {
        let mut summary = Summary {
            buf: [0; 200],
            len: 0,
        };
        for part in [
            request.method.as_str(),
            " ",
            request.uri.as_str(),
            " (",
            request.remote_ip.as_str(),
            ")",
        ] {
            summary.push(part);
        }
        summary
    }

    fn push(&mut self, s: &str) {
        let room = self.buf.len() - self.len;
        let mut n = s.len().min(room);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// Read only when a failure is logged.
impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
