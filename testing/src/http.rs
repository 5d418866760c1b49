//! [`HTTPTestServer`]: the test's HTTP server on an unused port, and a
//! client to fetch from it (Tornado's `AsyncHTTPTestCase`).

use std::fmt;
use std::io;

use gust_engine::coroutine;
use gust_http::httpclient::{AsyncHTTPClient, ClientOptions, HTTPRequest, HTTPResponse};
use gust_http::httpserver::{HTTPServer, HTTPServerOptions, RequestCallback};
use gust_ioloop::IOLoop;
use gust_net::netutil::bind_unused_port;
use gust_yieldables::{Error, Future, moment};

use crate::gen_test::add_cleanup;

/// How many loop iterations [`HTTPTestServer::close`] gives connections to
/// go away.
const CLOSE_ITERATIONS: usize = 1000;

/// An [`HTTPServer`] on 127.0.0.1 and an unused port, with a client of its
/// own (Tornado's `AsyncHTTPTestCase`: `get_app`, `fetch`, `get_url`,
/// `get_http_port`, and its `tearDown`).
///
/// Started inside a [`gen_test`](crate::gen_test), it is closed when the
/// test body is done: the server stops listening, its connections and the
/// client are closed, and the test fails if anything is still registered
/// on the loop. Elsewhere, yield [`close`](HTTPTestServer::close).
///
/// ```
/// use gust::httpserver::ResponseWriter;
/// use gust::httputil::HTTPServerRequest;
/// use gust::testing::{HTTPTestServer, gen_test};
///
/// gen_test(|co| {
///     let server = HTTPTestServer::start(|request: HTTPServerRequest, response: ResponseWriter| {
///         response.write(format!("you asked for {}", request.path));
///     })?;
///     let response = co.yield_(server.fetch("/hello"))?;
///     assert_eq!(response.code, 200);
///     assert_eq!(response.body, b"you asked for /hello");
///     Ok(())
/// }); // the server and client are closed here
/// ```
pub struct HTTPTestServer {
    server: HTTPServer,
    client: AsyncHTTPClient,
    port: u16,
    io_loop: IOLoop,
}

impl HTTPTestServer {
    /// Starts `callback`'s server on the current loop.
    pub fn start(callback: impl RequestCallback) -> io::Result<HTTPTestServer> {
        HTTPTestServer::start_with(callback, HTTPServerOptions::default())
    }

    /// [`start`](HTTPTestServer::start) with server options (Tornado's
    /// `get_httpserver_options`).
    pub fn start_with(
        callback: impl RequestCallback,
        options: HTTPServerOptions,
    ) -> io::Result<HTTPTestServer> {
        let (listener, port) = bind_unused_port(false)?;
        let server = HTTPServer::with_options(callback, options);
        server.add_sockets([listener])?;
        let fixture = HTTPTestServer {
            server,
            client: AsyncHTTPClient::with_options(ClientOptions::default()),
            port,
            io_loop: IOLoop::current(),
        };
        let closing = fixture.handles();
        add_cleanup(move || closing.close());
        Ok(fixture)
    }

    fn handles(&self) -> HTTPTestServer {
        HTTPTestServer {
            server: self.server.clone(),
            client: self.client.clone(),
            port: self.port,
            io_loop: self.io_loop.clone(),
        }
    }

    /// The server's port (Tornado's `get_http_port`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The absolute URL of `path` on the server (Tornado's `get_url`).
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Fetches `request` from the server: a path (`"/page"`) is fetched
    /// from this server, an absolute `http://` URL as it is (Tornado's
    /// `AsyncHTTPTestCase.fetch`). As Tornado's, a response that is not
    /// 2xx is a result, not an error (`raise_error=False`).
    pub fn fetch(&self, request: impl Into<HTTPRequest>) -> Future<HTTPResponse> {
        let mut request = request.into();
        let url = request.url.to_ascii_lowercase();
        if !url.starts_with("http://") && !url.starts_with("https://") {
            request.url = self.url(&request.url);
        }
        self.client.fetch_with(request, false)
    }

    /// The server.
    pub fn http_server(&self) -> &HTTPServer {
        &self.server
    }

    /// The client [`fetch`](HTTPTestServer::fetch) uses (its own, not the
    /// loop's shared one).
    pub fn http_client(&self) -> &AsyncHTTPClient {
        &self.client
    }

    /// Stops the server, closes its connections and the client, and waits
    /// (a bounded number of loop iterations) for the loop to have no file
    /// descriptor registered; fails with [`LeftRegisteredError`] if some
    /// still are (Tornado's `tearDown`).
    pub fn close(&self) -> Future<()> {
        let (server, client, io_loop) = (self.server.clone(), self.client.clone(), self.io_loop.clone());
        coroutine(move |co| {
            server.stop();
            server.close_all_connections();
            client.close();
            for _ in 0..CLOSE_ITERATIONS {
                if io_loop.handler_count() == 0 {
                    return Ok(());
                }
                co.yield_(moment)?;
            }
            Err(Error::new(LeftRegisteredError {
                handlers: io_loop.handler_count(),
                connections: server.connection_count(),
            }))
        })
    }
}

impl fmt::Debug for HTTPTestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HTTPTestServer")
            .field("port", &self.port)
            .finish()
    }
}

/// The test's HTTP server was closed, but the loop still has file
/// descriptors registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "after closing the test's HTTP server and client, {handlers} file descriptor handler(s) are still registered on the loop ({connections} server connection(s) open)"
)]
pub struct LeftRegisteredError {
    /// Handlers still registered.
    pub handlers: usize,
    /// Server connections still open.
    pub connections: usize,
}
