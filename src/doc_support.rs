//! **Documentation stand-ins, not API.**
//!
//! The side-by-side ports of the Tornado documents (`docs/ports/*.md`, run
//! as doctests) need the things those documents take for granted: an HTTP
//! client, a request handler, a MongoDB cursor from Motor, a callback-style
//! function, a blocking function. This module holds small fakes of them,
//! so that each port stays as short as its Python original. Everything
//! here runs on the current [`IOLoop`](crate::ioloop::IOLoop) and takes *loop* time (use a loop on
//! a `ManualClock::autojump()` clock and it takes no real time at all).
//!
//! Nothing here is part of gust's interface; it may change at any time.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::rc::Rc;
use std::sync::Mutex;
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use crate::gen_;
use crate::prelude::*;

// --------------------------------------------------------------------
// Python's `x / y`
// --------------------------------------------------------------------

/// Python's `ZeroDivisionError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZeroDivisionError;

impl fmt::Display for ZeroDivisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("division by zero")
    }
}

impl std::error::Error for ZeroDivisionError {}

/// Python's `x / y`: fails with [`ZeroDivisionError`] when `y` is zero.
pub fn python_div(x: f64, y: f64) -> Result<f64, Error> {
    if y == 0.0 {
        Err(Error::new(ZeroDivisionError))
    } else {
        Ok(x / y)
    }
}

// --------------------------------------------------------------------
// A fake `tornado.httpclient`
// --------------------------------------------------------------------

/// How long a fetch takes unless its URL says otherwise (`?delay=N`).
pub const FETCH_TIME: Duration = Duration::from_secs(1);

/// A fake HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HTTPResponse {
    /// The URL fetched.
    pub url: String,
    /// The status code: 200, or 404 for a URL whose path contains
    /// `/missing`.
    pub code: u16,
    /// The body: `{"answer": 42}` for a URL ending in `.json`, else
    /// `body of URL`.
    pub body: String,
}

/// Tornado's `HTTPError` (raised by `fetch` for a status of 400 or more).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HTTPError {
    /// The status code.
    pub code: u16,
    /// The URL fetched.
    pub url: String,
}

impl fmt::Display for HTTPError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}: Not Found ({})", self.code, self.url)
    }
}

impl std::error::Error for HTTPError {}

thread_local! {
    static REQUESTS: RefCell<Vec<(String, Instant)>> = const { RefCell::new(Vec::new()) };
    static SEEN: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// A fake `AsyncHTTPClient`: no network, each fetch sleeps on the current
/// loop ([`FETCH_TIME`], or `N` seconds for a URL with `delay=N` in its
/// query) and then answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncHTTPClient;

impl AsyncHTTPClient {
    /// The client (Tornado's `AsyncHTTPClient()`).
    pub fn new() -> AsyncHTTPClient {
        AsyncHTTPClient
    }

    /// Fetches `url`: a coroutine whose future resolves to the response, or
    /// fails with [`HTTPError`] for a 404. The request starts at once (it
    /// is recorded in [`AsyncHTTPClient::requests`]).
    pub fn fetch(&self, url: &str) -> Future<HTTPResponse> {
        let url = url.to_owned();
        REQUESTS.with(|r| r.borrow_mut().push((url.clone(), IOLoop::current().time())));
        gen_::coroutine(move |co| {
            co.yield_(gen_::sleep(latency(&url)))?;
            let response = respond(&url);
            if response.code >= 400 {
                return Err(Error::new(HTTPError {
                    code: response.code,
                    url,
                }));
            }
            Ok(response)
        })
    }

    /// Tornado 4's `fetch(url, callback=callback)`: calls `callback` with
    /// the response (even a 404 one) from the loop when it arrives.
    pub fn fetch_with_callback(&self, url: &str, callback: impl FnOnce(HTTPResponse) + 'static) {
        let url = url.to_owned();
        REQUESTS.with(|r| r.borrow_mut().push((url.clone(), IOLoop::current().time())));
        let delay = latency(&url);
        IOLoop::current().call_later(delay, move || callback(respond(&url)));
    }

    /// Every request started on this thread so far: its URL and the loop
    /// time it started at.
    pub fn requests() -> Vec<(String, Instant)> {
        REQUESTS.with(|r| r.borrow().clone())
    }
}

fn latency(url: &str) -> Duration {
    url.split_once('?')
        .and_then(|(_, query)| query.split('&').find_map(|kv| kv.strip_prefix("delay=")))
        .and_then(|secs| secs.parse::<f64>().ok())
        .map_or(FETCH_TIME, Duration::from_secs_f64)
}

fn respond(url: &str) -> HTTPResponse {
    let path = url.split('?').next().unwrap_or(url);
    let code = if path.contains("/missing") { 404 } else { 200 };
    let body = if path.ends_with(".json") {
        r#"{"answer": 42}"#.to_owned()
    } else {
        format!("body of {url}")
    };
    HTTPResponse {
        url: url.to_owned(),
        code,
        body,
    }
}

/// The error [`json_decode`] fails with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JSONDecodeError(pub String);

impl fmt::Display for JSONDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot decode JSON: {}", self.0)
    }
}

impl std::error::Error for JSONDecodeError {}

/// Tornado's `json_decode`, for flat objects of integers only
/// (`{"answer": 42}`): enough for the ports.
pub fn json_decode(body: &str) -> Result<BTreeMap<String, i64>, Error> {
    let bad = || Error::new(JSONDecodeError(body.to_owned()));
    let inner = body
        .trim()
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .ok_or_else(bad)?;
    let mut object = BTreeMap::new();
    for member in inner.split(',').filter(|m| !m.trim().is_empty()) {
        let (key, value) = member.split_once(':').ok_or_else(bad)?;
        let key = key
            .trim()
            .strip_prefix('"')
            .and_then(|k| k.strip_suffix('"'))
            .ok_or_else(bad)?;
        let value = value.trim().parse::<i64>().map_err(|_| bad())?;
        object.insert(key.to_owned(), value);
    }
    Ok(object)
}

/// The docs' `do_something_with_response(response)`: remembers the body
/// (see [`responses_seen`]).
pub fn do_something_with_response(response: &HTTPResponse) {
    SEEN.with(|s| s.borrow_mut().push(response.body.clone()));
}

/// The bodies [`do_something_with_response`] was given on this thread.
pub fn responses_seen() -> Vec<String> {
    SEEN.with(|s| s.borrow().clone())
}

// --------------------------------------------------------------------
// A fake `tornado.web.RequestHandler`
// --------------------------------------------------------------------

/// How long [`RequestHandler::flush`] takes.
pub const FLUSH_TIME: Duration = Duration::from_secs(1);

/// A fake `RequestHandler`: records what is written, flushed and
/// rendered. A cheap handle (clones share one request), so coroutines can
/// own one. Port a handler class as a struct around it that derefs to it:
/// then `self.render(...)` reads as in Python.
#[derive(Clone, Default)]
pub struct RequestHandler {
    state: Rc<HandlerState>,
}

#[derive(Default)]
struct HandlerState {
    buffer: RefCell<Vec<String>>,
    flushed: RefCell<Vec<String>>,
    flushes: Cell<usize>,
    rendered: RefCell<Option<String>>,
    finished: Future<()>,
}

impl RequestHandler {
    /// A handler for one request.
    pub fn new() -> RequestHandler {
        RequestHandler::default()
    }

    /// Buffers `chunk` for the response.
    pub fn write(&self, chunk: impl Into<String>) {
        self.state.buffer.borrow_mut().push(chunk.into());
    }

    /// Sends the buffered output to the client: a coroutine that takes
    /// [`FLUSH_TIME`] of loop time.
    pub fn flush(&self) -> Future<()> {
        let state = self.state.clone();
        let chunks: Vec<String> = std::mem::take(&mut *state.buffer.borrow_mut());
        gen_::coroutine(move |co| {
            co.yield_(gen_::sleep(FLUSH_TIME))?;
            state.flushed.borrow_mut().extend(chunks);
            state.flushes.set(state.flushes.get() + 1);
            Ok(())
        })
    }

    /// Renders `template_name` and finishes the request.
    pub fn render(&self, template_name: &str) {
        *self.state.rendered.borrow_mut() = Some(template_name.to_owned());
        self.finish();
    }

    /// Finishes the request (once).
    pub fn finish(&self) {
        if !self.state.finished.done() {
            let _ = self.state.finished.set_result(());
        }
    }

    /// A future resolved when the request is finished.
    pub fn finished(&self) -> Future<()> {
        self.state.finished.clone()
    }

    /// Whether the request is finished.
    pub fn is_finished(&self) -> bool {
        self.state.finished.done()
    }

    /// The template rendered, if any.
    pub fn rendered(&self) -> Option<String> {
        self.state.rendered.borrow().clone()
    }

    /// The chunks flushed to the client so far.
    pub fn flushed(&self) -> Vec<String> {
        self.state.flushed.borrow().clone()
    }

    /// How many flushes have completed.
    pub fn flushes(&self) -> usize {
        self.state.flushes.get()
    }
}

/// Where the docs' `self.fetch_next_chunk()` gets its chunks: each fetch
/// takes [`FETCH_TIME`] of loop time; after the last chunk it gives `None`.
#[derive(Clone)]
pub struct ChunkSource {
    chunks: Rc<RefCell<VecDeque<String>>>,
    fetches: Rc<Cell<usize>>,
}

impl ChunkSource {
    /// A source of these chunks.
    pub fn new(chunks: &[&str]) -> ChunkSource {
        ChunkSource {
            chunks: Rc::new(RefCell::new(chunks.iter().map(|c| (*c).to_owned()).collect())),
            fetches: Rc::new(Cell::new(0)),
        }
    }

    /// The next chunk, as a decorated coroutine (it starts at once).
    pub fn fetch_next_chunk(&self) -> Future<Option<String>> {
        let source = self.clone();
        source.fetches.set(source.fetches.get() + 1);
        gen_::coroutine(move |co| {
            co.yield_(gen_::sleep(FETCH_TIME))?;
            Ok(source.chunks.borrow_mut().pop_front())
        })
    }

    /// The next chunk, as a native coroutine (it does nothing until
    /// awaited or spawned).
    pub fn fetch_next_chunk_native(
        &self,
    ) -> impl std::future::Future<Output = Result<Option<String>, Error>> + use<> {
        let source = self.clone();
        async move {
            source.fetches.set(source.fetches.get() + 1);
            gen_::sleep(FETCH_TIME).await?;
            let chunk = source.chunks.borrow_mut().pop_front();
            Ok(chunk)
        }
    }

    /// How many fetches have started.
    pub fn fetches(&self) -> usize {
        self.fetches.get()
    }
}

// --------------------------------------------------------------------
// A fake Motor (MongoDB) client
// --------------------------------------------------------------------

/// A fake of the `motor` package: a client whose `test` database has a
/// `collection` of [`motor::DOCUMENTS`] documents, served in batches of
/// [`motor::BATCH_SIZE`], each batch a round trip of
/// [`motor::ROUND_TRIP`] of loop time.
pub mod motor {
    use super::*;

    /// Documents in the fake collection.
    pub const DOCUMENTS: usize = 5;
    /// Documents per round trip.
    pub const BATCH_SIZE: usize = 2;
    /// How long a round trip to the server takes.
    pub const ROUND_TRIP: Duration = Duration::from_millis(10);

    /// A document: `{"_id": id, "name": ...}`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Document {
        /// `_id`.
        pub id: u32,
        /// `name`.
        pub name: String,
    }

    /// `motor.MotorClient()`.
    pub struct MotorClient {
        /// The `test` database (Python: `client.test`).
        pub test: Database,
    }

    impl MotorClient {
        /// A client connected to the fake server.
        #[allow(clippy::new_without_default)]
        pub fn new() -> MotorClient {
            let docs = (1..=DOCUMENTS as u32)
                .map(|id| Document {
                    id,
                    name: format!("doc {id}"),
                })
                .collect();
            MotorClient {
                test: Database {
                    collection: Collection {
                        docs: Rc::new(docs),
                        round_trips: Rc::new(Cell::new(0)),
                    },
                },
            }
        }
    }

    /// A database.
    #[derive(Clone)]
    pub struct Database {
        /// The collection named `collection` (Python: `db.collection`).
        pub collection: Collection,
    }

    /// A collection.
    #[derive(Clone)]
    pub struct Collection {
        docs: Rc<Vec<Document>>,
        round_trips: Rc<Cell<usize>>,
    }

    impl Collection {
        /// A cursor over every document (`collection.find()`).
        pub fn find(&self) -> Cursor {
            Cursor {
                collection: self.clone(),
                state: Rc::new(RefCell::new(CursorState {
                    buffer: VecDeque::new(),
                    next_index: 0,
                })),
            }
        }

        /// Round trips made to the server so far.
        pub fn round_trips(&self) -> usize {
            self.round_trips.get()
        }
    }

    struct CursorState {
        buffer: VecDeque<Document>,
        next_index: usize,
    }

    /// A cursor, as Motor's `MotorCursor`.
    #[derive(Clone)]
    pub struct Cursor {
        collection: Collection,
        state: Rc<RefCell<CursorState>>,
    }

    impl Cursor {
        /// Motor's `fetch_next`: a future resolving to whether a document
        /// is available. Already done (`true`) while the current batch
        /// lasts; otherwise a round trip fetches the next batch.
        pub fn fetch_next(&self) -> Future<bool> {
            if !self.state.borrow().buffer.is_empty() {
                return Future::ready(true);
            }
            let cursor = self.clone();
            gen_::coroutine(move |co| {
                co.yield_(gen_::sleep(ROUND_TRIP))?;
                let collection = &cursor.collection;
                collection.round_trips.set(collection.round_trips.get() + 1);
                let mut state = cursor.state.borrow_mut();
                let start = state.next_index.min(collection.docs.len());
                let end = (start + BATCH_SIZE).min(collection.docs.len());
                state.buffer.extend(collection.docs[start..end].iter().cloned());
                state.next_index = end;
                Ok(!state.buffer.is_empty())
            })
        }

        /// Motor's `next_object()`: the next document of the batch.
        pub fn next_object(&self) -> Option<Document> {
            self.state.borrow_mut().buffer.pop_front()
        }
    }
}

// --------------------------------------------------------------------
// Callback-style and blocking functions
// --------------------------------------------------------------------

/// How long [`some_function`] takes before calling back.
pub const CALLBACK_DELAY: Duration = Duration::from_secs(1);

/// The docs' `some_function(other_args, callback=callback)`: a
/// callback-style API that calls `callback(other_args * 2)` from the loop,
/// [`CALLBACK_DELAY`] later.
pub fn some_function(other_args: i32, callback: impl FnOnce(i32) + 'static) {
    IOLoop::current().call_later(CALLBACK_DELAY, move || callback(other_args * 2));
}

static BLOCKING_THREADS: Mutex<Vec<ThreadId>> = Mutex::new(Vec::new());

/// The docs' `blocking_func(args)`: blocks its thread for 20 ms of real
/// time, then returns `args * 2`. Records the thread it ran on (see
/// [`blocking_func_threads`]).
pub fn blocking_func(args: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(20));
    if let Ok(mut threads) = BLOCKING_THREADS.lock() {
        threads.push(std::thread::current().id());
    }
    args * 2
}

/// The threads [`blocking_func`] has run on, in this process.
pub fn blocking_func_threads() -> Vec<ThreadId> {
    BLOCKING_THREADS.lock().map(|t| t.clone()).unwrap_or_default()
}

// --------------------------------------------------------------------
// Capturing the log
// --------------------------------------------------------------------

/// Captures `log` records on the current thread, so a port can show what
/// Tornado would log (`Exception in callback ...`).
pub mod logs {
    use std::cell::RefCell;
    use std::sync::Once;

    thread_local! {
        static RECORDS: RefCell<Vec<(log::Level, String, String)>> = const { RefCell::new(Vec::new()) };
    }

    struct ThreadLogger;

    impl log::Log for ThreadLogger {
        fn enabled(&self, _metadata: &log::Metadata<'_>) -> bool {
            true
        }

        fn log(&self, record: &log::Record<'_>) {
            let captured = (
                record.level(),
                record.target().to_owned(),
                record.args().to_string(),
            );
            let _ = RECORDS.try_with(|r| r.borrow_mut().push(captured));
        }

        fn flush(&self) {}
    }

    static LOGGER: ThreadLogger = ThreadLogger;
    static INSTALL: Once = Once::new();

    /// Starts capturing (installs the logger once; forgets this thread's
    /// earlier records). If another logger is installed already, nothing is
    /// captured.
    pub fn capture() {
        INSTALL.call_once(|| {
            if log::set_logger(&LOGGER).is_ok() {
                log::set_max_level(log::LevelFilter::Debug);
            }
        });
        RECORDS.with(|r| r.borrow_mut().clear());
    }

    /// Messages logged at error level on `gust::application` (Tornado's
    /// `tornado.application` logger) on this thread since [`capture`].
    pub fn app_errors() -> Vec<String> {
        RECORDS.with(|r| {
            r.borrow()
                .iter()
                .filter(|(level, target, _)| *level == log::Level::Error && target == crate::ioloop::APP_LOG)
                .map(|(_, _, message)| message.clone())
                .collect()
        })
    }
}
