//! HTTP/1.1 for gust, on [`IOStream`](gust_net::iostream::IOStream):
//! Tornado's `tornado.httputil`, `tornado.httpclient` (with
//! `simple_httpclient`'s behaviour) and `tornado.httpserver`.
//!
//! * [`httputil`] has [`HTTPHeaders`](httputil::HTTPHeaders),
//!   [`HTTPServerRequest`](httputil::HTTPServerRequest), start lines, URL
//!   helpers, the input and output errors.
//! * [`httpclient`] has [`AsyncHTTPClient`](httpclient::AsyncHTTPClient)
//!   (one per loop, `fetch` returns a future), the blocking
//!   [`HTTPClient`](httpclient::HTTPClient), [`HTTPRequest`](httpclient::HTTPRequest),
//!   [`HTTPResponse`](httpclient::HTTPResponse),
//!   [`HTTPClientError`](httpclient::HTTPClientError).
//! * [`httpserver`] has [`HTTPServer`](httpserver::HTTPServer), the
//!   [`ResponseWriter`](httpserver::ResponseWriter) a request callback
//!   answers through, and a small [`Router`](httpserver::Router).
//! * [`http1connection`] has the HTTP/1.x message parser both use (heads with
//!   `httparse`, body framing, chunked coding), public for tests and
//!   fuzzing.
//!
//! Plain HTTP only: TLS (`https://`) is not supported yet; a fetch of an
//! `https` URL fails with an [`HTTPClientError`](httpclient::HTTPClientError).
//!
//! Nothing here needs the coroutine engine: every operation returns a
//! [`Future`](gust_yieldables::Future), which a decorated coroutine yields
//! and native `async` code awaits.
//!
//! # Logging
//!
//! As in Tornado, a malformed request is logged at info level on
//! `gust::general` (`Malformed HTTP message from 127.0.0.1: ...`), and a
//! request callback's failure at error level on `gust::application`
//! (`Uncaught exception GET / (127.0.0.1): ...`).
#![deny(missing_docs)]

pub mod http1connection;
pub mod httpclient;
pub mod httpserver;
pub mod httputil;

mod inbuf;
