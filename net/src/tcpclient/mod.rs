//! [`TCPClient`]: a non-blocking TCP connection factory (Tornado's
//! `tornado.tcpclient`).

mod connector;

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::rc::Rc;

use gust_ioloop::{Deadline, IOLoop};
use gust_yieldables::{Future, with_timeout};

use crate::iostream::{IOStream, StreamOptions};
use crate::netutil::{AddressFamily, DefaultExecutorResolver, Resolver};

pub use connector::INITIAL_CONNECT_TIMEOUT;
use connector::{ConnectFn, Connector};

/// Options of [`TCPClient::connect_with`] (Tornado's keyword arguments of
/// `connect`).
///
/// ```
/// use std::time::Duration;
/// use gust::tcpclient::ConnectOptions;
///
/// let options = ConnectOptions {
///     timeout: Some(Duration::from_secs(5).into()),
///     ..ConnectOptions::default()
/// };
/// assert!(options.source_ip.is_none());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnectOptions {
    /// Only addresses of this family (default: any).
    pub family: AddressFamily,
    /// Give up, with a `TimeoutError`, if resolving and connecting are not
    /// done by then: a delay from now or an instant on the loop's clock.
    pub timeout: Option<Deadline>,
    /// Bind to this local address before connecting.
    pub source_ip: Option<IpAddr>,
    /// Bind to this local port before connecting (with no `source_ip`, on
    /// the loopback address of the family being tried, as Tornado does).
    pub source_port: Option<u16>,
    /// Buffer limits of the stream.
    pub stream: StreamOptions,
}

/// A non-blocking TCP connection factory (Tornado's `TCPClient`).
///
/// [`connect`](TCPClient::connect) resolves the host with the client's
/// [`Resolver`] (by default [`DefaultExecutorResolver`]: `getaddrinfo` on
/// the loop's thread pool, IP literals at once) and connects to its
/// addresses as Tornado does ("Happy Eyeballs"): the first address family
/// is tried first; the other family starts when that attempt fails, or
/// after [`INITIAL_CONNECT_TIMEOUT`] (0.3 s) if it is still pending; the
/// first connection wins and the others are closed.
///
/// ```
/// use gust::ioloop::IOLoop;
/// use gust::iostream::IOStream;
/// use gust::tcpclient::TCPClient;
/// use gust::tcpserver::TCPServer;
/// use gust::ioloop::IOLoopExt;
///
/// let io_loop = IOLoop::new();
/// let server = TCPServer::new(|stream: IOStream, _| {
///     stream.write(b"welcome");
/// });
/// server.listen(0, "127.0.0.1").unwrap();
/// let port = server.local_addrs()[0].port();
///
/// let stream = io_loop
///     .run_sync(move || TCPClient::new().connect("127.0.0.1", port), None)
///     .unwrap();
/// let greeting = io_loop.run_sync(move || stream.read_bytes(7, false), None).unwrap();
/// assert_eq!(greeting, b"welcome");
/// ```
#[derive(Clone)]
pub struct TCPClient {
    resolver: Rc<dyn Resolver>,
}

impl Default for TCPClient {
    fn default() -> Self {
        TCPClient::new()
    }
}

impl TCPClient {
    /// A client with the default resolver.
    pub fn new() -> TCPClient {
        TCPClient {
            resolver: Rc::new(DefaultExecutorResolver),
        }
    }

    /// A client resolving names with `resolver` (Tornado's
    /// `TCPClient(resolver=...)`).
    pub fn with_resolver(resolver: Rc<dyn Resolver>) -> TCPClient {
        TCPClient { resolver }
    }

    /// Closes the client's resolver (Tornado's `close`).
    pub fn close(&self) {
        self.resolver.close();
    }

    /// Connects to `port` on `host` (a name or an IP address); the future
    /// gives the connected [`IOStream`] (Tornado's `connect`).
    ///
    /// Errors: the resolver's error; a refused connection is a
    /// [`StreamClosedError`](crate::iostream::StreamClosedError) whose
    /// `real_error` is an `io::Error` of kind `ConnectionRefused` (the last
    /// attempt's error when every address failed).
    pub fn connect(&self, host: &str, port: u16) -> Future<IOStream> {
        self.connect_with(host, port, ConnectOptions::default())
    }

    /// [`connect`](Self::connect) with [`ConnectOptions`]: address family,
    /// timeout (a `TimeoutError` if resolving and connecting take longer),
    /// source address, buffer limits.
    pub fn connect_with(&self, host: &str, port: u16, options: ConnectOptions) -> Future<IOStream> {
        let io_loop = match IOLoop::try_current() {
            Ok(io_loop) => io_loop,
            Err(error) => return Future::failed(error),
        };
        let deadline = options.timeout.map(|t| t.resolve(io_loop.time()));
        let resolving = self.resolver.resolve(host, port, options.family);
        let resolving = match deadline {
            Some(deadline) => with_timeout(deadline, resolving),
            None => resolving,
        };
        let result = Future::new();
        let out = result.clone();
        resolving.add_done_callback(move |resolved| {
            let addrinfo = match resolved.take_result() {
                Ok(addrinfo) if addrinfo.is_empty() => {
                    let _ = result.set_exception(io::Error::new(
                        io::ErrorKind::NotFound,
                        "no address to connect to",
                    ));
                    return;
                }
                Ok(addrinfo) => addrinfo,
                Err(e) => {
                    let _ = result.set_exception(e);
                    return;
                }
            };
            let connect: ConnectFn<SocketAddr, IOStream> = Box::new(move |family, address| {
                IOStream::connecting(address, source(&options, family), options.stream)
            });
            let connector = Connector::new(addrinfo, connect);
            let raced = connector.start(INITIAL_CONNECT_TIMEOUT, deadline);
            raced.add_done_callback(move |raced| match raced.take_result() {
                Ok((_, _, stream)) if result.cancelled() => stream.close(),
                Ok((_, _, stream)) => {
                    let _ = result.set_result(stream);
                }
                Err(e) => {
                    let _ = result.set_exception_unless_cancelled(e);
                }
            });
        });
        out
    }
}

/// The local address to bind before connecting, from the options (Tornado's
/// `_create_stream`).
fn source(options: &ConnectOptions, family: AddressFamily) -> Option<SocketAddr> {
    let port = options.source_port.unwrap_or(0);
    match options.source_ip {
        Some(ip) => Some(SocketAddr::new(ip, port)),
        None if port != 0 => Some(match family {
            AddressFamily::Inet6 => SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
            _ => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
        }),
        None => None,
    }
}

impl fmt::Debug for TCPClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TCPClient")
    }
}
