//! [`Router`]: request callbacks chosen by method and path.

use std::fmt;

use super::handler::RequestCallback;
use super::response::ResponseWriter;
use crate::httputil::HTTPServerRequest;

/// Chooses a request callback by method and path, in the manner of
/// Tornado's `Application` with `RequestHandler` subclasses defining
/// `get` and `post`: a tiny router, not a web framework.
///
/// A path is matched exactly, or, ending in `*`, as a prefix
/// (`/static/*`). Routes are tried in the order they were added. A path no
/// route matches is answered 404; a path matched without a callback for
/// the method is answered 405 with an `Allow` header.
///
/// ```
/// use gust::httpclient::{AsyncHTTPClient, HTTPRequest};
/// use gust::httpserver::{HTTPServer, ResponseWriter, Router};
/// use gust::httputil::HTTPServerRequest;
/// use gust::ioloop::IOLoop;
/// use gust::ioloop::IOLoopExt;
///
/// let io_loop = IOLoop::new();
/// let router = Router::new()
///     .get("/", |_req: HTTPServerRequest, resp: ResponseWriter| resp.write("home"))
///     .post("/echo", |req: HTTPServerRequest, resp: ResponseWriter| resp.write(&req.body));
/// let server = HTTPServer::new(router);
/// server.listen(0, "127.0.0.1").unwrap();
/// let base = format!("http://127.0.0.1:{}", server.local_addrs()[0].port());
///
/// let client = AsyncHTTPClient::new();
/// let (c, b) = (client.clone(), base.clone());
/// let home = io_loop.run_sync(move || c.fetch(format!("{b}/")), None).unwrap();
/// assert_eq!(home.body, b"home");
/// let (c, b) = (client.clone(), base.clone());
/// let echo = io_loop
///     .run_sync(move || c.fetch(HTTPRequest::new(format!("{b}/echo")).method("POST").body("hi")), None)
///     .unwrap();
/// assert_eq!(echo.body, b"hi");
/// let missing = io_loop.run_sync(move || client.fetch_with(format!("{base}/nope"), false), None).unwrap();
/// assert_eq!(missing.code, 404);
/// ```
#[derive(Default)]
pub struct Router {
    routes: Vec<Route>,
}

struct Route {
    path: String,
    prefix: bool,
    handlers: Vec<(String, Box<dyn RequestCallback>)>,
}

impl Router {
    /// A router with no routes (everything is 404).
    pub fn new() -> Router {
        Router::default()
    }

    /// Routes `method` requests for `path` to `callback`.
    pub fn route(mut self, method: &str, path: &str, callback: impl RequestCallback) -> Router {
        let (path, prefix) = match path.strip_suffix('*') {
            Some(p) => (p.to_owned(), true),
            None => (path.to_owned(), false),
        };
        let index = match self
            .routes
            .iter()
            .position(|r| r.path == path && r.prefix == prefix)
        {
            Some(i) => i,
            None => {
                self.routes.push(Route {
                    path,
                    prefix,
                    handlers: Vec::new(),
                });
                self.routes.len() - 1
            }
        };
        self.routes[index]
            .handlers
            .push((method.to_ascii_uppercase(), Box::new(callback)));
        self
    }

    /// Routes GET requests (Tornado's `RequestHandler.get`).
    pub fn get(self, path: &str, callback: impl RequestCallback) -> Router {
        self.route("GET", path, callback)
    }

    /// Routes POST requests.
    pub fn post(self, path: &str, callback: impl RequestCallback) -> Router {
        self.route("POST", path, callback)
    }

    /// Routes PUT requests.
    pub fn put(self, path: &str, callback: impl RequestCallback) -> Router {
        self.route("PUT", path, callback)
    }

    /// Routes DELETE requests.
    pub fn delete(self, path: &str, callback: impl RequestCallback) -> Router {
        self.route("DELETE", path, callback)
    }
}

impl RequestCallback for Router {
    fn handle(&self, request: HTTPServerRequest, response: ResponseWriter) {
        let route = self.routes.iter().find(|r| {
            if r.prefix {
                request.path.starts_with(&r.path)
            } else {
                request.path == r.path
            }
        });
        let Some(route) = route else {
            drop(response.send_error(404));
            return;
        };
        match route.handlers.iter().find(|(m, _)| *m == request.method) {
            Some((_, callback)) => callback.handle(request, response),
            None => {
                let allow: Vec<&str> = route.handlers.iter().map(|(m, _)| m.as_str()).collect();
                drop(response.send_error_with(405, Some(("Allow", allow.join(", ")))));
            }
        }
    }
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for route in &self.routes {
            for (method, _) in &route.handlers {
                list.entry(&format_args!(
                    "{method} {}{}",
                    route.path,
                    if route.prefix { "*" } else { "" }
                ));
            }
        }
        list.finish()
    }
}
