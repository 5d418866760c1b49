//! gust's sockets on coroutines: Tornado's `tornado.iostream`,
//! `tornado.tcpserver`, `tornado.tcpclient` and `tornado.netutil`.
//!
//! Like Tornado's, every operation returns a [`Future`](gust_yieldables::Future):
//! a decorated coroutine yields it (`co.yield_(stream.read_until(b"\r\n",
//! None))?`), native `async` code awaits it, and plain callbacks use
//! `add_done_callback`. Nothing here needs the coroutine engine.
//!
//! * [`iostream`] has [`IOStream`](iostream::IOStream), buffered reads and
//!   writes on a TCP or Unix socket or a pipe.
//! * [`tcpserver`] has [`TCPServer`](tcpserver::TCPServer), and
//!   [`spawn_loops`](tcpserver::spawn_loops) for one loop per core.
//! * [`tcpclient`] has [`TCPClient`](tcpclient::TCPClient), connecting with a
//!   resolver, IPv4/IPv6 fallback and a timeout.
//! * [`netutil`] has [`bind_sockets`](netutil::bind_sockets),
//!   [`add_accept_handler`](netutil::add_accept_handler), resolvers.
//!
//! # Logging
//!
//! What Tornado logs on `tornado.general` (a read that cannot be satisfied,
//! read and write errors) is logged with the [`log`] crate under the
//! target [`GEN_LOG`]; a failing connection handler is logged under
//! `gust::application`, as the loop logs failing callbacks.
#![deny(missing_docs)]

pub mod iostream;
pub mod netutil;
pub mod tcpclient;
pub mod tcpserver;

/// The `log` target of the stream messages Tornado logs on
/// `tornado.general` (`Unsatisfiable read, closing connection`, `error on
/// read`, `Write error on ...`, `Reached maximum read buffer size`).
pub const GEN_LOG: &str = "gust::general";
