//! gust's sockets on coroutines: Tornado's `tornado.iostream`,
//! `tornado.tcpserver`, `tornado.tcpclient` and `tornado.netutil`.
#![deny(missing_docs)]
#![allow(dead_code)]

mod error;
mod read_buffer;
mod socket;
mod write_buffer;

mod iostream;

/// The `log` target of the stream and server messages Tornado logs on
/// `tornado.general` (`Unsatisfiable read, closing connection`, `error on
/// read`, `Write error on ...`).
pub const GEN_LOG: &str = "gust::general";
