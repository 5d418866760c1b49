//! A non-blocking HTTP client (Tornado's `tornado.httpclient` with
//! `simple_httpclient`'s behaviour): [`AsyncHTTPClient`], the blocking
//! [`HTTPClient`], [`HTTPRequest`], [`HTTPResponse`] and
//! [`HTTPClientError`].
//!
//! ```
//! use gust::gen_::coroutine;
//! use gust::httpclient::{AsyncHTTPClient, HTTPClientError};
//! use gust::httpserver::{HTTPServer, ResponseWriter};
//! use gust::httputil::HTTPServerRequest;
//! use gust::ioloop::IOLoop;
//! use gust::ioloop::IOLoopExt;
//!
//! let io_loop = IOLoop::new();
//! let server = HTTPServer::new(|request: HTTPServerRequest, response: ResponseWriter| {
//!     if request.path == "/missing" {
//!         response.set_status(404);
//!     }
//!     response.write("body");
//! });
//! server.listen(0, "127.0.0.1").unwrap();
//! let base = format!("http://127.0.0.1:{}", server.local_addrs()[0].port());
//!
//! let (ok, missing) = io_loop
//!     .run_sync(
//!         move || {
//!             coroutine(move |co| {
//!                 let client = AsyncHTTPClient::new();
//!                 let ok = co.yield_(client.fetch(format!("{base}/")))?;
//!                 // A 404 fails the fetch with an HTTPClientError.
//!                 let missing = co.yield_(client.fetch(format!("{base}/missing"))).unwrap_err();
//!                 Ok((ok.body, missing.downcast_ref::<HTTPClientError>().unwrap().code))
//!             })
//!         },
//!         None,
//!     )
//!     .unwrap();
//! assert_eq!(ok, b"body");
//! assert_eq!(missing, 404);
//! ```

mod error;
mod fetch;
mod request;
mod response;

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gust_ioloop::{Extension, IOLoop, TimeoutHandle, WeakIOLoop};
use gust_net::iostream::IOStream;
use gust_net::netutil::{DefaultExecutorResolver, Resolver};
use gust_net::tcpclient::TCPClient;
use gust_yieldables::{Error, Future, IOLoopExt};

pub use error::{ClientErrorKind, HTTPClientError, HTTPError};
pub use request::{HTTPRequest, HeaderCallback, StreamingCallback};
pub use response::HTTPResponse;

/// Settings of an [`AsyncHTTPClient`] (Tornado's `SimpleAsyncHTTPClient`
/// arguments).
///
/// ```
/// use gust::httpclient::ClientOptions;
///
/// let options = ClientOptions { max_clients: 100, ..ClientOptions::default() };
/// assert_eq!(options.max_header_size, 65_536);
/// ```
#[derive(Clone)]
pub struct ClientOptions {
    /// How many requests may run at once (default 10); more wait in a
    /// FIFO queue.
    pub max_clients: usize,
    /// The most data a connection buffers (default 100 MiB).
    pub max_buffer_size: usize,
    /// The largest response head (default 64 KiB).
    pub max_header_size: usize,
    /// The largest response body (default 100 MiB).
    pub max_body_size: u64,
    /// How many idle keep-alive connections are kept per host and port
    /// (default: `max_clients`; 0 turns keep-alive off).
    pub max_idle_per_host: Option<usize>,
    /// How names are resolved (default: `getaddrinfo` on the loop's thread
    /// pool).
    pub resolver: Option<Rc<dyn Resolver>>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            max_clients: 10,
            max_buffer_size: 104_857_600,
            max_header_size: 65_536,
            max_body_size: 104_857_600,
            max_idle_per_host: None,
            resolver: None,
        }
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("max_clients", &self.max_clients)
            .field("max_buffer_size", &self.max_buffer_size)
            .field("max_header_size", &self.max_header_size)
            .field("max_body_size", &self.max_body_size)
            .field("max_idle_per_host", &self.max_idle_per_host)
            .finish_non_exhaustive()
    }
}

/// A non-blocking HTTP client (Tornado's `AsyncHTTPClient`).
///
/// [`AsyncHTTPClient::new`] gives the loop's shared client (one per loop,
/// as Tornado's instance cache does); [`AsyncHTTPClient::with_options`]
/// makes a separate one (Tornado's `force_instance=True`).
///
/// At most `max_clients` requests run at once; others wait in a FIFO queue
/// and fail with `Timeout in request queue` (599) if they wait longer than
/// their connect or request timeout. Unlike Tornado's simple client, which
/// opens a connection per request, connections are kept alive and reused
/// per host and port. Plain HTTP only: TLS is not supported yet.
#[derive(Clone)]
pub struct AsyncHTTPClient {
    inner: Rc<ClientInner>,
}

pub(crate) struct ClientInner {
    options: ClientOptions,
    max_idle: usize,
    tcp: TCPClient,
    io_loop: WeakIOLoop,
    /// Requests waiting for a slot, in order, by increasing id (a timed
    /// out one leaves `None` behind).
    queue: RefCell<VecDeque<(u64, Option<Waiting>)>>,
    /// How many entries of `queue` are still waiting.
    queued: Cell<usize>,
    active: Cell<usize>,
    next_id: Cell<u64>,
    pool: RefCell<HashMap<PoolKey, Vec<IOStream>>>,
    closed: Cell<bool>,
}

pub(crate) type FinalCallback = Box<dyn FnOnce(HTTPResponse)>;

/// Where an idle connection goes: lower-case host and port (the host
/// shared, so that a fetch and the pool hold it without copies).
pub(crate) type PoolKey = (Rc<str>, u16);

struct Waiting {
    request: HTTPRequest,
    callback: FinalCallback,
    timeout: Option<TimeoutHandle>,
    queued_at: Instant,
}

/// The loop's shared client.
#[derive(Default)]
struct SharedClient(RefCell<Option<AsyncHTTPClient>>);

impl Extension for SharedClient {
    fn close(&self, _io_loop: &IOLoop) {
        if let Some(client) = self.0.borrow_mut().take() {
            client.inner.close_pool();
        }
    }
}

impl Default for AsyncHTTPClient {
    fn default() -> Self {
        AsyncHTTPClient::new()
    }
}

impl AsyncHTTPClient {
    /// The current loop's shared client, created with default options the
    /// first time (Tornado's `AsyncHTTPClient()`).
    pub fn new() -> AsyncHTTPClient {
        let io_loop = IOLoop::current();
        let shared = io_loop.extension::<SharedClient>();
        let mut slot = shared.0.borrow_mut();
        match &*slot {
            Some(client) if !client.inner.closed.get() => client.clone(),
            _ => {
                let client = AsyncHTTPClient::with_options(ClientOptions::default());
                *slot = Some(client.clone());
                client
            }
        }
    }

    /// A client of its own on the current loop (Tornado's
    /// `AsyncHTTPClient(force_instance=True, ...)`).
    pub fn with_options(options: ClientOptions) -> AsyncHTTPClient {
        let resolver = options
            .resolver
            .clone()
            .unwrap_or_else(|| Rc::new(DefaultExecutorResolver));
        let max_idle = options.max_idle_per_host.unwrap_or(options.max_clients);
        AsyncHTTPClient {
            inner: Rc::new(ClientInner {
                max_idle,
                tcp: TCPClient::with_resolver(resolver),
                io_loop: IOLoop::current().downgrade(),
                queue: RefCell::new(VecDeque::new()),
                queued: Cell::new(0),
                active: Cell::new(0),
                next_id: Cell::new(0),
                pool: RefCell::new(HashMap::new()),
                closed: Cell::new(false),
                options,
            }),
        }
    }

    /// Fetches `request` (a URL or an [`HTTPRequest`]); the future gives
    /// the [`HTTPResponse`], or fails with an [`HTTPClientError`] for a
    /// response that is not 2xx, a timeout, or a failed connection
    /// (Tornado's `fetch(request)` with `raise_error=True`).
    pub fn fetch(&self, request: impl Into<HTTPRequest>) -> Future<HTTPResponse> {
        self.fetch_with(request, true)
    }

    /// [`fetch`](Self::fetch), choosing whether a response that is not 2xx
    /// fails the future (`raise_error`). With `false`, such a response is
    /// the future's result, its `error` set; a request that got no
    /// response at all is a 599 response.
    pub fn fetch_with(&self, request: impl Into<HTTPRequest>, raise_error: bool) -> Future<HTTPResponse> {
        let request = request.into();
        let result = Future::new();
        if self.inner.closed.get() {
            let error = HTTPClientError::other(
                ClientErrorKind::InvalidRequest,
                "fetch() called on closed AsyncHTTPClient".to_owned(),
                None,
            );
            let _ = result.set_exception(error);
            return result;
        }
        let out = result.clone();
        let callback: FinalCallback = Box::new(move |response: HTTPResponse| {
            if raise_error && response.error.is_some() {
                let _ = result.set_exception_unless_cancelled(response.into_error());
            } else {
                let _ = result.set_result_unless_cancelled(response);
            }
        });
        ClientInner::fetch_impl(&self.inner, request, callback);
        out
    }

    /// Closes the client: idle connections are closed, later fetches fail.
    /// Closing the loop's shared client makes [`new`](Self::new) create a
    /// fresh one (Tornado's `close`).
    pub fn close(&self) {
        self.inner.closed.set(true);
        self.inner.close_pool();
        self.inner.tcp.close();
    }

    /// How many requests are running.
    pub fn active_count(&self) -> usize {
        self.inner.active.get()
    }

    /// How many requests wait in the queue.
    pub fn queued_count(&self) -> usize {
        self.inner.queued.get()
    }

    /// How many idle keep-alive connections are kept.
    pub fn idle_connection_count(&self) -> usize {
        self.inner.pool.borrow().values().map(Vec::len).sum()
    }

    /// Whether both are the same client.
    pub fn ptr_eq(&self, other: &AsyncHTTPClient) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

impl fmt::Debug for AsyncHTTPClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncHTTPClient")
            .field("active", &self.active_count())
            .field("queued", &self.queued_count())
            .field("idle_connections", &self.idle_connection_count())
            .finish()
    }
}

impl ClientInner {
    /// Queues a request (Tornado's `fetch_impl`).
    pub(crate) fn fetch_impl(this: &Rc<ClientInner>, request: HTTPRequest, callback: FinalCallback) {
        let Some(io_loop) = this.io_loop.upgrade() else {
            callback(HTTPResponse::failed(
                HTTPClientError::other(
                    ClientErrorKind::InvalidRequest,
                    "the loop is closed".to_owned(),
                    None,
                ),
                &request.url,
            ));
            return;
        };
        let id = this.next_id.get();
        this.next_id.set(id + 1);
        let mut timeout = None;
        if this.active.get() >= this.options.max_clients {
            let limit = match (request.connect_timeout, request.request_timeout) {
                (Some(c), Some(r)) => Some(c.min(r)),
                (c, r) => c.or(r),
            };
            if let Some(limit) = limit.filter(|l| !l.is_zero()) {
                let weak = Rc::downgrade(this);
                timeout = Some(io_loop.call_later(limit, move || {
                    if let Some(inner) = weak.upgrade() {
                        inner.on_queue_timeout(id);
                    }
                }));
            }
        }
        let queued_at = io_loop.time();
        this.queue.borrow_mut().push_back((
            id,
            Some(Waiting {
                request,
                callback,
                timeout,
                queued_at,
            }),
        ));
        this.queued.set(this.queued.get() + 1);
        ClientInner::process_queue(this);
        let queued = this.queued.get();
        if queued > 0 {
            log::debug!(
                target: gust_net::GEN_LOG,
                "max_clients limit reached, request queued. {} active, {queued} queued requests.",
                this.active.get()
            );
        }
    }

    fn process_queue(this: &Rc<ClientInner>) {
        loop {
            if this.active.get() >= this.options.max_clients {
                return;
            }
            let Some((_, entry)) = this.queue.borrow_mut().pop_front() else {
                return;
            };
            let Some(waiting) = entry else {
                continue;
            };
            this.queued.set(this.queued.get() - 1);
            if let (Some(handle), Some(io_loop)) = (waiting.timeout, this.io_loop.upgrade()) {
                io_loop.remove_timeout(handle);
            }
            this.active.set(this.active.get() + 1);
            fetch::Fetch::start(this.clone(), waiting.request, waiting.callback);
        }
    }

    /// A fetch is over: its slot goes to the next in the queue.
    pub(crate) fn release(this: &Rc<ClientInner>) {
        this.active.set(this.active.get().saturating_sub(1));
        ClientInner::process_queue(this);
    }

    fn on_queue_timeout(&self, id: u64) {
        let waiting = {
            let mut queue = self.queue.borrow_mut();
            let Ok(index) = queue.binary_search_by_key(&id, |(q, _)| *q) else {
                return;
            };
            let Some(waiting) = queue[index].1.take() else {
                return;
            };
            // Drop the empty entries at the ends.
            while queue.front().is_some_and(|(_, w)| w.is_none()) {
                queue.pop_front();
            }
            while queue.back().is_some_and(|(_, w)| w.is_none()) {
                queue.pop_back();
            }
            waiting
        };
        self.queued.set(self.queued.get() - 1);
        let mut response = HTTPResponse::failed(
            HTTPClientError::timeout("Timeout in request queue"),
            &waiting.request.url,
        );
        if let Some(io_loop) = self.io_loop.upgrade() {
            response.request_time = io_loop.time().saturating_duration_since(waiting.queued_at);
            let callback = waiting.callback;
            io_loop.add_callback(move || callback(response));
        }
    }

    /// An idle connection to `key`, if one is open.
    pub(crate) fn take_connection(&self, key: &PoolKey) -> Option<IOStream> {
        let mut pool = self.pool.borrow_mut();
        let idle = pool.get_mut(key)?;
        while let Some(stream) = idle.pop() {
            stream.clear_close_callback();
            if !stream.closed() && stream.read_buffer_size() == 0 {
                return Some(stream);
            }
            stream.close();
        }
        None
    }

    /// Keeps `stream` for the next request to `key`.
    pub(crate) fn put_connection(this: &Rc<ClientInner>, key: PoolKey, stream: IOStream) {
        if this.closed.get() || this.max_idle == 0 || stream.closed() {
            stream.close();
            return;
        }
        let weak = Rc::downgrade(this);
        let watched = stream.clone();
        let watched_key = key.clone();
        let mut pool = this.pool.borrow_mut();
        let idle = pool.entry(key).or_default();
        if idle.len() >= this.max_idle {
            let oldest = idle.remove(0);
            oldest.clear_close_callback();
            oldest.close();
        }
        idle.push(stream.clone());
        drop(pool);
        // Forget the connection if the server closes it while idle.
        stream.set_close_callback(move || {
            if let Some(inner) = weak.upgrade() {
                if let Some(idle) = inner.pool.borrow_mut().get_mut(&watched_key) {
                    idle.retain(|s| !s.ptr_eq(&watched));
                }
            }
        });
    }

    fn close_pool(&self) {
        let pool = std::mem::take(&mut *self.pool.borrow_mut());
        for stream in pool.into_values().flatten() {
            stream.clear_close_callback();
            stream.close();
        }
    }
}

/// A blocking HTTP client (Tornado's `HTTPClient`): each
/// [`fetch`](HTTPClient::fetch) runs a loop of its own until the response
/// arrives. For scripts and tests; a program running an IOLoop uses
/// [`AsyncHTTPClient`] instead (calling `fetch` from inside a running
/// loop's callback fails: that loop is running).
///
/// ```
/// use gust::httpclient::HTTPClient;
/// use gust::httpserver::{HTTPServer, ResponseWriter};
/// use gust::httputil::HTTPServerRequest;
///
/// // A server on a thread of its own, for the example.
/// let (tx, rx) = std::sync::mpsc::channel();
/// std::thread::spawn(move || {
///     let io_loop = gust::ioloop::IOLoop::new();
///     let server = HTTPServer::new(|_req: HTTPServerRequest, resp: ResponseWriter| resp.write("pong"));
///     server.listen(0, "127.0.0.1").unwrap();
///     tx.send(server.local_addrs()[0].port()).unwrap();
///     io_loop.start().unwrap();
/// });
/// let port = rx.recv().unwrap();
///
/// let client = HTTPClient::new();
/// let response = client.fetch(format!("http://127.0.0.1:{port}/ping")).unwrap();
/// assert_eq!(response.body, b"pong");
/// ```
pub struct HTTPClient {
    io_loop: IOLoop,
    client: Rc<RefCell<Option<AsyncHTTPClient>>>,
    options: ClientOptions,
}

impl Default for HTTPClient {
    fn default() -> Self {
        HTTPClient::new()
    }
}

impl HTTPClient {
    /// A blocking client with default options.
    pub fn new() -> HTTPClient {
        HTTPClient::with_options(ClientOptions::default())
    }

    /// A blocking client with these options. Creating it does not change
    /// the thread's current loop.
    pub fn with_options(options: ClientOptions) -> HTTPClient {
        let previous = IOLoop::current_opt();
        let io_loop = IOLoop::new();
        match previous {
            Some(previous) => previous.make_current(),
            None => IOLoop::clear_current(),
        }
        HTTPClient {
            io_loop,
            client: Rc::new(RefCell::new(None)),
            options,
        }
    }

    /// Fetches `request`, blocking until the response; errors as
    /// [`AsyncHTTPClient::fetch`]'s.
    pub fn fetch(&self, request: impl Into<HTTPRequest>) -> Result<HTTPResponse, Error> {
        self.fetch_with(request, true)
    }

    /// [`fetch`](Self::fetch) with `raise_error`.
    pub fn fetch_with(
        &self,
        request: impl Into<HTTPRequest>,
        raise_error: bool,
    ) -> Result<HTTPResponse, Error> {
        let request = request.into();
        let slot = self.client.clone();
        let options = self.options.clone();
        self.io_loop.run_sync(
            move || {
                let client = slot
                    .borrow_mut()
                    .get_or_insert_with(|| AsyncHTTPClient::with_options(options))
                    .clone();
                client.fetch_with(request, raise_error)
            },
            None,
        )
    }

    /// Closes the client and its loop (also done when it is dropped).
    pub fn close(&self) {
        if let Some(client) = self.client.borrow_mut().take() {
            client.close();
        }
        let _ = self.io_loop.close();
    }
}

impl Drop for HTTPClient {
    fn drop(&mut self) {
        self.close();
    }
}

impl fmt::Debug for HTTPClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HTTPClient")
    }
}

/// How long since `start` on the loop's clock.
pub(crate) fn elapsed(io_loop: &WeakIOLoop, start: Instant) -> Duration {
    io_loop
        .upgrade()
        .map_or(Duration::ZERO, |l| l.time().saturating_duration_since(start))
}
