//! [`HTTPRequest`]: what to fetch, and how.

use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use crate::httputil::HTTPHeaders;

/// A function called with each line of a response head.
pub type HeaderCallback = Rc<dyn Fn(&str)>;

/// A function called with each piece of a response body.
pub type StreamingCallback = Rc<dyn Fn(&[u8])>;

/// An HTTP request for [`AsyncHTTPClient::fetch`](super::AsyncHTTPClient::fetch)
/// (Tornado's `HTTPRequest`), with Tornado's defaults: GET, 20 s connect
/// and request timeouts, redirects followed up to 5 times.
///
/// Fields are public; the builder methods set them one at a time:
///
/// ```
/// use std::time::Duration;
/// use gust::httpclient::HTTPRequest;
///
/// let request = HTTPRequest::new("http://example.com/upload")
///     .method("POST")
///     .header("Content-Type", "application/json")
///     .body(r#"{"a": 1}"#)
///     .request_timeout(Duration::from_secs(5));
/// assert_eq!(request.method, "POST");
/// assert_eq!(request.connect_timeout, Some(Duration::from_secs(20)));
/// assert_eq!(request.max_redirects, 5);
/// // A URL converts into a GET request.
/// let get: HTTPRequest = "http://example.com/".into();
/// assert_eq!(get.method, "GET");
/// ```
#[derive(Clone)]
pub struct HTTPRequest {
    /// The URL (`http://host[:port]/path?query`).
    pub url: String,
    /// The method (default `GET`).
    pub method: String,
    /// Headers to send; the client adds Host, Content-Length, User-Agent,
    /// and Connection as needed.
    pub headers: HTTPHeaders,
    /// The body. Must be set for POST, PUT and PATCH, and must not be for
    /// other methods, unless `allow_nonstandard_methods` (Tornado's check).
    pub body: Option<Vec<u8>>,
    /// Basic authentication user name.
    pub auth_username: Option<String>,
    /// Basic authentication password.
    pub auth_password: Option<String>,
    /// How long resolving and connecting may take (default 20 s; `None`:
    /// no limit). Fails with `Timeout while connecting`.
    pub connect_timeout: Option<Duration>,
    /// How long the whole request may take, from its start (default 20 s;
    /// `None`: no limit). Fails with `Timeout during request`.
    pub request_timeout: Option<Duration>,
    /// Follow redirects (301, 302, 303, 307, 308) (default true).
    pub follow_redirects: bool,
    /// The most redirects to follow (default 5); past it, the redirect
    /// response is the answer.
    pub max_redirects: u32,
    /// The User-Agent header (default `gust/0.1`).
    pub user_agent: Option<String>,
    /// Called with each line of the response head as received
    /// (`HTTP/1.1 200 OK\r\n`, each `Name: value\r\n`, then `\r\n`).
    pub header_callback: Option<HeaderCallback>,
    /// Called with each piece of the body as it arrives, instead of
    /// collecting it into `HTTPResponse::body` (which is then empty).
    pub streaming_callback: Option<StreamingCallback>,
    /// Allow any method, and a body with any method.
    pub allow_nonstandard_methods: bool,
    /// Send `Expect: 100-continue` and wait for the server's `100
    /// Continue` before sending the body.
    pub expect_100_continue: bool,
}

impl HTTPRequest {
    /// A GET request for `url`, with Tornado's defaults.
    pub fn new(url: impl Into<String>) -> HTTPRequest {
        HTTPRequest {
            url: url.into(),
            method: "GET".to_owned(),
            headers: HTTPHeaders::new(),
            body: None,
            auth_username: None,
            auth_password: None,
            connect_timeout: Some(Duration::from_secs(20)),
            request_timeout: Some(Duration::from_secs(20)),
            follow_redirects: true,
            max_redirects: 5,
            user_agent: None,
            header_callback: None,
            streaming_callback: None,
            allow_nonstandard_methods: false,
            expect_100_continue: false,
        }
    }

    /// Sets the method.
    pub fn method(mut self, method: &str) -> HTTPRequest {
        self.method = method.to_owned();
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> HTTPRequest {
        self.headers.add(name, value);
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl AsRef<[u8]>) -> HTTPRequest {
        self.body = Some(body.as_ref().to_vec());
        self
    }

    /// Sets the connect timeout (`None`: no limit).
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> HTTPRequest {
        self.connect_timeout = timeout.into();
        self
    }

    /// Sets the request timeout (`None`: no limit).
    pub fn request_timeout(mut self, timeout: impl Into<Option<Duration>>) -> HTTPRequest {
        self.request_timeout = timeout.into();
        self
    }

    /// Whether to follow redirects.
    pub fn follow_redirects(mut self, follow: bool) -> HTTPRequest {
        self.follow_redirects = follow;
        self
    }

    /// The most redirects to follow.
    pub fn max_redirects(mut self, max: u32) -> HTTPRequest {
        self.max_redirects = max;
        self
    }

    /// Sets the User-Agent.
    pub fn user_agent(mut self, user_agent: &str) -> HTTPRequest {
        self.user_agent = Some(user_agent.to_owned());
        self
    }

    /// Sets Basic authentication.
    pub fn auth(mut self, username: &str, password: &str) -> HTTPRequest {
        self.auth_username = Some(username.to_owned());
        self.auth_password = Some(password.to_owned());
        self
    }

    /// Sets the header callback.
    pub fn header_callback(mut self, callback: impl Fn(&str) + 'static) -> HTTPRequest {
        self.header_callback = Some(Rc::new(callback));
        self
    }

    /// Sets the streaming callback.
    pub fn streaming_callback(mut self, callback: impl Fn(&[u8]) + 'static) -> HTTPRequest {
        self.streaming_callback = Some(Rc::new(callback));
        self
    }

    /// Allows any method with or without a body.
    pub fn allow_nonstandard_methods(mut self, allow: bool) -> HTTPRequest {
        self.allow_nonstandard_methods = allow;
        self
    }

    /// Waits for `100 Continue` before sending the body.
    pub fn expect_100_continue(mut self, expect: bool) -> HTTPRequest {
        self.expect_100_continue = expect;
        self
    }
}

impl From<&str> for HTTPRequest {
    fn from(url: &str) -> HTTPRequest {
        HTTPRequest::new(url)
    }
}

impl From<String> for HTTPRequest {
    fn from(url: String) -> HTTPRequest {
        HTTPRequest::new(url)
    }
}

impl From<&String> for HTTPRequest {
    fn from(url: &String) -> HTTPRequest {
        HTTPRequest::new(url.as_str())
    }
}

impl fmt::Debug for HTTPRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HTTPRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field("body", &self.body.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}
