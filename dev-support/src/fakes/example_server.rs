//! [`ExampleServer`]: the `http://example.com` of Tornado's documents, a
//! real gust `HTTPServer` on 127.0.0.1 that the ports fetch from with the
//! real `AsyncHTTPClient`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gust::concurrent::Future;
use gust::gen_;
use gust::httpserver::{HTTPServer, ResponseWriter};
use gust::httputil::HTTPServerRequest;
use gust::prelude::*;

/// How long the example server takes to answer a request unless its URL
/// says otherwise (`?delay=N`, in seconds).
pub const FETCH_TIME: Duration = Duration::from_secs(1);

/// A request the server received: its target (`/a?delay=2`) and the loop
/// time it arrived at.
pub type Received = (String, Instant);

thread_local! {
    static EXAMPLE_BASE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The URL of `path` on the example site this thread started last
/// ([`ExampleServer::start`]): the documents' `http://example.com/path`.
///
/// # Panics
///
/// If this thread has not started the example site.
pub fn example_url(path: &str) -> String {
    EXAMPLE_BASE.with(|base| match &*base.borrow() {
        Some(base) => format!("{base}{path}"),
        None => panic!("example_url({path:?}): start the site first (ExampleServer::start())"),
    })
}

/// An HTTP server on `127.0.0.1`, on a free port, serving on the current
/// loop until that loop is closed (or [`ExampleServer::stop`]).
///
/// [`ExampleServer::start`] serves the documents' example site: every
/// `GET` is answered after [`FETCH_TIME`] of loop time (`N` seconds for a
/// URL with `delay=N` in its query), with
///
/// - `404 Not Found` for a path containing `/missing`,
/// - `{"answer": 42}` for a path ending in `.json`,
/// - `body of TARGET` otherwise (`body of /a?delay=2`).
///
/// [`example_url`] gives the URL of a path on the site, for code that
/// has no handle to the server (Python's literal `"http://example.com"`).
///
/// On a `ManualClock::autojump()` loop the delays take no real time, and
/// the loop's clock measures them exactly.
///
/// ```
/// use gust::httpclient::AsyncHTTPClient;
/// use gust::ioloop::ManualClock;
/// use gust::prelude::*;
/// use gust_dev_support::fakes::{ExampleServer, FETCH_TIME};
///
/// let io_loop = IOLoop::with_clock(ManualClock::autojump());
/// let example = ExampleServer::start();
/// let url = example.url("/a.json");
/// let t0 = io_loop.time();
/// let response = io_loop.run_sync(move || AsyncHTTPClient::new().fetch(url), None).unwrap();
/// assert_eq!(response.body, br#"{"answer": 42}"#);
/// assert_eq!(io_loop.time() - t0, FETCH_TIME);
/// assert_eq!(example.received()[0].0, "/a.json");
/// ```
#[derive(Clone)]
pub struct ExampleServer {
    server: HTTPServer,
    base: String,
    received: Rc<RefCell<Vec<Received>>>,
}

impl ExampleServer {
    /// Serves the example site (see the type's documentation).
    ///
    /// # Panics
    ///
    /// If no port on 127.0.0.1 can be bound.
    pub fn start() -> ExampleServer {
        let received = Rc::new(RefCell::new(Vec::new()));
        let log = received.clone();
        let site = move |request: HTTPServerRequest, writer: ResponseWriter| -> Future<()> {
            log.borrow_mut()
                .push((request.uri.clone(), IOLoop::current().time()));
            let delay = request
                .get_query_argument("delay")
                .and_then(|secs| secs.parse::<f64>().ok())
                .map_or(FETCH_TIME, Duration::from_secs_f64);
            gen_::coroutine(move |co| {
                co.yield_(gen_::sleep(delay))?;
                if request.path.contains("/missing") {
                    co.yield_(writer.send_error(404))?;
                } else if request.path.ends_with(".json") {
                    writer.set_header("Content-Type", "application/json");
                    writer.write(r#"{"answer": 42}"#);
                } else {
                    writer.set_header("Content-Type", "text/plain");
                    writer.write(format!("body of {}", request.uri));
                }
                Ok(())
            })
        };
        let server = HTTPServer::new(site);
        server.listen(0, "127.0.0.1").expect("listening on 127.0.0.1");
        let base = format!("http://127.0.0.1:{}", server.local_addrs()[0].port());
        EXAMPLE_BASE.with(|b| *b.borrow_mut() = Some(base.clone()));
        ExampleServer {
            server,
            base,
            received,
        }
    }

    /// The URL of `path` (which may carry a query) on this server:
    /// `http://127.0.0.1:PORT/path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// What the site received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.received.borrow().clone()
    }

    /// Stops listening and closes the open connections.
    pub fn stop(&self) {
        self.server.stop();
        self.server.close_all_connections();
    }
}
