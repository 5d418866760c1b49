//! [`HTTPServerRequest`]: a request as the server hands it to its callback.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::headers::HTTPHeaders;
use super::start_line::RequestStartLine;
use super::url::{QueryArguments, parse_qs_bytes, split_host_and_port};

/// A single HTTP request, as an [`HTTPServer`](crate::httpserver::HTTPServer)
/// receives it (Tornado's `HTTPServerRequest`). The body is read in full
/// before the request callback runs.
///
/// ```
/// use gust::httputil::{HTTPHeaders, HTTPServerRequest};
///
/// let mut headers = HTTPHeaders::new();
/// headers.add("Host", "example.com:8080");
/// let request = HTTPServerRequest::new("GET", "/a/b?x=1&x=2", "HTTP/1.1", headers, Vec::new());
/// assert_eq!(request.path, "/a/b");
/// assert_eq!(request.query, "x=1&x=2");
/// assert_eq!(request.host_name, "example.com");
/// assert_eq!(request.get_query_argument("x").as_deref(), Some("2"));
/// assert_eq!(request.full_url(), "http://example.com:8080/a/b?x=1&x=2");
/// ```
#[derive(Debug, Clone)]
pub struct HTTPServerRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target as sent: `/path?query` (or the absolute form
    /// `http://host/path?query`).
    pub uri: String,
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// The request's headers.
    pub headers: HTTPHeaders,
    /// The body (empty if there was none).
    pub body: Vec<u8>,
    /// The client's IP address (with `xheaders`, the one the proxy
    /// reports).
    pub remote_ip: String,
    /// The peer's socket address, if known.
    pub remote_addr: Option<SocketAddr>,
    /// `http` (with `xheaders`, what the proxy reports: `http` or
    /// `https`; or the server's `protocol` option).
    pub protocol: Cow<'static, str>,
    /// The `Host` header, or the authority of an absolute-form target
    /// (`127.0.0.1` for an HTTP/1.0 request without one, as in Tornado).
    pub host: String,
    /// `host` without its port, lower case.
    pub host_name: String,
    /// The path part of the target (`/a/b`).
    pub path: String,
    /// The query part of the target, without `?`.
    pub query: String,
    /// Query and body arguments together (Tornado's `arguments`).
    pub arguments: QueryArguments,
    /// The query's arguments.
    pub query_arguments: QueryArguments,
    /// The arguments of an `application/x-www-form-urlencoded` body.
    pub body_arguments: QueryArguments,
    start_time: Instant,
}

impl HTTPServerRequest {
    /// A request, with `path`, `query`, `host` and the arguments worked out
    /// from the other fields (`remote_ip` empty, `protocol` `http`).
    pub fn new(
        method: &str,
        uri: &str,
        version: &str,
        headers: HTTPHeaders,
        body: Vec<u8>,
    ) -> HTTPServerRequest {
        let start_line = RequestStartLine {
            method: method.to_owned(),
            path: uri.to_owned(),
            version: version.to_owned(),
        };
        HTTPServerRequest::from_head(start_line, headers, body, Instant::now())
    }

    /// A request from a parsed start line.
    pub(crate) fn from_head(
        start_line: RequestStartLine,
        headers: HTTPHeaders,
        body: Vec<u8>,
        start_time: Instant,
    ) -> HTTPServerRequest {
        let RequestStartLine {
            method,
            path: uri,
            version,
        } = start_line;
        let (authority, target) = split_absolute_form(&uri);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let host = match authority {
            Some(authority) => authority.to_owned(),
            None => headers
                .get_first("Host")
                .map_or_else(|| "127.0.0.1".to_owned(), str::to_owned),
        };
        let host_name = split_host_and_port(&host).0.to_ascii_lowercase();
        let query_arguments = if query.is_empty() {
            QueryArguments::new()
        } else {
            parse_qs_bytes(query)
        };
        let body_arguments = parse_body_arguments(&headers, &body);
        let mut arguments = query_arguments.clone();
        for (name, values) in &body_arguments {
            arguments
                .entry(name.clone())
                .or_default()
                .extend(values.iter().cloned());
        }
        let path = path.to_owned();
        let query = query.to_owned();
        HTTPServerRequest {
            method,
            uri,
            version,
            headers,
            body,
            remote_ip: String::new(),
            remote_addr: None,
            protocol: Cow::Borrowed("http"),
            host,
            host_name,
            path,
            query,
            arguments,
            query_arguments,
            body_arguments,
            start_time,
        }
    }

    /// The full URL: `protocol://host/uri` (Tornado's `full_url`).
    pub fn full_url(&self) -> String {
        let (_, target) = split_absolute_form(&self.uri);
        format!("{}://{}{}", self.protocol, self.host, target)
    }

    /// How long since the request arrived (Tornado's `request_time`, while
    /// it is being handled), on the current loop's clock.
    pub fn request_time(&self) -> Duration {
        let now = gust_ioloop::IOLoop::current_opt().map_or_else(Instant::now, |l| l.time());
        now.saturating_duration_since(self.start_time)
    }

    /// The last value of the query or body argument `name`, as UTF-8
    /// (Tornado's `RequestHandler.get_argument`, lossily decoded).
    pub fn get_argument(&self, name: &str) -> Option<String> {
        last_value(&self.arguments, name)
    }

    /// The last value of the query argument `name`.
    pub fn get_query_argument(&self, name: &str) -> Option<String> {
        last_value(&self.query_arguments, name)
    }

    /// The last value of the body argument `name`.
    pub fn get_body_argument(&self, name: &str) -> Option<String> {
        last_value(&self.body_arguments, name)
    }

    /// The body as UTF-8 (lossily).
    pub fn body_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

fn last_value(args: &QueryArguments, name: &str) -> Option<String> {
    args.get(name)
        .and_then(|v| v.last())
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// For an absolute-form target (`http://host/path`), the authority and the
/// origin-form rest (`/path`); otherwise `(None, target)`.
pub(crate) fn split_absolute_form(target: &str) -> (Option<&str>, &str) {
    let bytes = target.as_bytes();
    // Compared as bytes: the target may hold non-ASCII characters, and an
    // ASCII prefix ends on a character boundary.
    let rest = if bytes.len() > 7 && bytes[..7].eq_ignore_ascii_case(b"http://") {
        &target[7..]
    } else if bytes.len() > 8 && bytes[..8].eq_ignore_ascii_case(b"https://") {
        &target[8..]
    } else {
        return (None, target);
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let path = &rest[end..];
    (Some(authority), if path.is_empty() { "/" } else { path })
}

/// The arguments of a form body (Tornado's `parse_body_arguments`, for
/// `application/x-www-form-urlencoded` only).
fn parse_body_arguments(headers: &HTTPHeaders, body: &[u8]) -> QueryArguments {
    let form = headers.get_first("Content-Type").is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
    });
    if !form || body.is_empty() {
        return QueryArguments::new();
    }
    parse_qs_bytes(&String::from_utf8_lossy(body))
}
