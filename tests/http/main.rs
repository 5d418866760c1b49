//! HTTP tests: Tornado's httputil_test, httpserver_test, httpclient_test
//! and simple_httpclient_test cases that apply, and gust's own for the
//! RFC 9112 points, bad input, keep-alive and the fuzz findings. Every
//! test runs on loopback, bounded in time.

mod bad_input_test;
mod client_test;
mod httputil_test;
mod server_test;
mod support;
