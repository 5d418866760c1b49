//! A non-blocking, single-threaded HTTP/1.1 server (Tornado's
//! `tornado.httpserver`): [`HTTPServer`], the [`ResponseWriter`] a request
//! callback answers through, and a small [`Router`].
//!
//! ```
//! use gust::httpclient::AsyncHTTPClient;
//! use gust::httpserver::{HTTPServer, ResponseWriter};
//! use gust::httputil::HTTPServerRequest;
//! use gust::ioloop::IOLoop;
//! use gust::ioloop::IOLoopExt;
//!
//! let io_loop = IOLoop::new();
//! let server = HTTPServer::new(|request: HTTPServerRequest, response: ResponseWriter| {
//!     response.write(format!("Hello, {}", request.get_argument("name").unwrap_or_default()));
//! });
//! server.listen(0, "127.0.0.1").unwrap();
//! let port = server.local_addrs()[0].port();
//!
//! let response = io_loop
//!     .run_sync(move || AsyncHTTPClient::new().fetch(format!("http://127.0.0.1:{port}/?name=gust")), None)
//!     .unwrap();
//! assert_eq!(response.code, 200);
//! assert_eq!(response.body, b"Hello, gust");
//! server.stop();
//! ```

mod connection;
mod handler;
mod response;
mod router;

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::rc::{Rc, Weak};
use std::time::Duration;

use gust_net::iostream::{IOStream, StreamOptions};
use gust_net::netutil::BindOptions;
use gust_net::tcpserver::TCPServer;
use slab::Slab;

use crate::http1connection::ServerLimits;
use connection::ServerConn;
pub use handler::{HandlerResult, RequestCallback};
pub use response::ResponseWriter;
pub use router::Router;

/// The settings of an [`HTTPServer`] (Tornado's `HTTPServer` keyword
/// arguments).
///
/// ```
/// use std::time::Duration;
/// use gust::httpserver::HTTPServerOptions;
///
/// let options = HTTPServerOptions {
///     xheaders: true,
///     body_timeout: Some(Duration::from_secs(30)),
///     ..HTTPServerOptions::default()
/// };
/// assert_eq!(options.max_header_size, 65_536);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HTTPServerOptions {
    /// Close each connection after one request.
    pub no_keep_alive: bool,
    /// Take the client's address and scheme from `X-Real-Ip` /
    /// `X-Forwarded-For` and `X-Scheme` / `X-Forwarded-Proto` (for a server
    /// behind a reverse proxy).
    pub xheaders: bool,
    /// The `protocol` of every request (default `http`).
    pub protocol: Option<String>,
    /// The largest request head (default 64 KiB); over it: 431.
    pub max_header_size: usize,
    /// The largest request body (default 100 MiB); over it: 413.
    pub max_body_size: u64,
    /// How long a connection may wait for a request head (default one
    /// hour, Tornado's default); then it is closed.
    pub idle_connection_timeout: Option<Duration>,
    /// How long a request body may take to arrive (default: no limit);
    /// then the connection is closed.
    pub body_timeout: Option<Duration>,
    /// How much is read at a time (default 64 KiB).
    pub chunk_size: usize,
    /// The most data a connection buffers (default 100 MiB).
    pub max_buffer_size: usize,
    /// Proxies to skip in `X-Forwarded-For` (with `xheaders`).
    pub trusted_downstream: Vec<String>,
}

impl Default for HTTPServerOptions {
    fn default() -> Self {
        HTTPServerOptions {
            no_keep_alive: false,
            xheaders: false,
            protocol: None,
            max_header_size: 65_536,
            max_body_size: 104_857_600,
            idle_connection_timeout: Some(Duration::from_secs(3600)),
            body_timeout: None,
            chunk_size: 65_536,
            max_buffer_size: 104_857_600,
            trusted_downstream: Vec::new(),
        }
    }
}

/// A non-blocking, single-threaded HTTP/1.1 server (Tornado's
/// `HTTPServer`).
///
/// The request callback gets each request (body read in full) and a
/// [`ResponseWriter`]; it may answer at once or start a coroutine and
/// return its future (see [`HandlerResult`]). Requests on one connection
/// are handled one at a time, in order; keep-alive is HTTP/1.1's default
/// and HTTP/1.0's on request. Malformed requests are answered 400 (413 for
/// a body over `max_body_size`, 431 for a head over `max_header_size`) and
/// logged at info level on `gust::general`; the server goes on serving its
/// other connections.
///
/// Listening works as [`TCPServer`]'s does (`listen`, or `bind` then
/// `start`, or `add_sockets`); for several cores, run one server per loop
/// with `reuse_port` (see [`gust_net::tcpserver::spawn_loops`]).
#[derive(Clone)]
pub struct HTTPServer {
    tcp: TCPServer,
    shared: Rc<ServerShared>,
}

pub(crate) struct ServerShared {
    callback: Box<dyn RequestCallback>,
    options: HTTPServerOptions,
    limits: ServerLimits,
    connections: RefCell<Slab<Weak<ServerConn>>>,
}

impl HTTPServer {
    /// A server calling `callback` for each request, with default options.
    pub fn new(callback: impl RequestCallback) -> HTTPServer {
        HTTPServer::with_options(callback, HTTPServerOptions::default())
    }

    /// A server with these options.
    pub fn with_options(callback: impl RequestCallback, options: HTTPServerOptions) -> HTTPServer {
        let limits = ServerLimits {
            max_header_size: options.max_header_size,
            max_body_size: options.max_body_size,
            no_keep_alive: options.no_keep_alive,
        };
        let stream_options = StreamOptions {
            max_buffer_size: options.max_buffer_size,
            read_chunk_size: options.chunk_size,
            ..StreamOptions::default()
        };
        let shared = Rc::new(ServerShared {
            callback: Box::new(callback),
            options,
            limits,
            connections: RefCell::new(Slab::new()),
        });
        // The accept handler keeps the server's state alive: like Tornado's,
        // a server runs while its loop runs, whether or not a handle is kept.
        let serving = shared.clone();
        let tcp = TCPServer::with_options(
            move |stream: IOStream, address: SocketAddr| ServerConn::start(serving.clone(), stream, address),
            stream_options,
        );
        HTTPServer { tcp, shared }
    }

    /// Listens on `port` of `address` (`""`: every interface; port 0: a
    /// free port, see [`local_addrs`](Self::local_addrs)).
    pub fn listen(&self, port: u16, address: &str) -> io::Result<()> {
        self.tcp.listen(port, address)
    }

    /// [`listen`](Self::listen) with [`BindOptions`] (`reuse_port`,
    /// backlog, family).
    pub fn listen_with(&self, port: u16, address: &str, options: BindOptions) -> io::Result<()> {
        self.tcp.listen_with(port, address, options)
    }

    /// Serves connections accepted on these sockets.
    pub fn add_sockets(&self, sockets: impl IntoIterator<Item = TcpListener>) -> io::Result<()> {
        self.tcp.add_sockets(sockets)
    }

    /// Binds for a later [`start`](Self::start).
    pub fn bind(&self, port: u16, address: &str) -> io::Result<()> {
        self.tcp.bind(port, address)
    }

    /// Starts serving on the sockets given to [`bind`](Self::bind).
    pub fn start(&self) -> io::Result<()> {
        self.tcp.start()
    }

    /// Stops accepting connections; open connections go on.
    pub fn stop(&self) {
        self.tcp.stop();
    }

    /// Closes every open connection (Tornado's `close_all_connections`,
    /// for a clean shutdown after [`stop`](Self::stop)). Requests being
    /// handled lose their connection.
    pub fn close_all_connections(&self) {
        let open: Vec<Rc<ServerConn>> = self
            .shared
            .connections
            .borrow()
            .iter()
            .filter_map(|(_, c)| c.upgrade())
            .collect();
        for conn in open {
            conn.close();
        }
    }

    /// How many connections are open.
    pub fn connection_count(&self) -> usize {
        self.shared.connections.borrow().len()
    }

    /// The addresses the server listens on.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.tcp.local_addrs()
    }

    /// How many connections were accepted so far.
    pub fn accepted(&self) -> u64 {
        self.tcp.accepted()
    }
}

impl fmt::Debug for HTTPServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HTTPServer")
            .field("addresses", &self.local_addrs())
            .field("connections", &self.connection_count())
            .finish()
    }
}
