//! A fake `tornado.httpclient`: no network, each fetch takes loop time.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use gust::concurrent::Future;
use gust::gen_;
use gust::prelude::*;

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
