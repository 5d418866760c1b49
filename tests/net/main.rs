//! Ports of Tornado's `iostream_test.py`, `tcpserver_test.py`,
//! `tcpclient_test.py` and `netutil_test.py` to gust's `IOStream`,
//! `TCPServer`, `TCPClient` and `netutil`, plus the bad-input cases
//! Tornado's suite leaves out (a peer that resets the connection, sends an
//! unbounded line, closes mid-read).
//!
//! Everything runs on loopback (127.0.0.1 and ::1), inside [`run_net`]: a
//! coroutine on a fresh loop whose clock jumps to the next timer when
//! nothing else can happen (after a short real-time poll for I/O), with a
//! 10 s loop-time limit, so that a test that would hang fails instead,
//! and timeouts take no real time. After the body, [`run_net`] checks that
//! no stream and no fd handler was left behind.

#[path = "../common/mod.rs"]
mod common;

mod errors;
mod iostream;
mod netutil;
mod tcpclient;
mod tcpserver;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use gust::concurrent::Future;
use gust::gen_;
use gust::ioloop::ManualClock;
use gust::iostream::{IOStream, StreamOptions, stream_count};
use gust::netutil::{add_accept_handler, bind_unused_port};
use gust::prelude::*;

/// Tornado's `@gen_test` for network tests: runs `body` as a coroutine on
/// a fresh autojump loop, then checks that every stream was closed and
/// every fd handler removed.
pub fn run_net<T, F>(body: F) -> Result<T, Error>
where
    T: 'static,
    F: FnOnce(&Co) -> Result<T, Error> + 'static,
{
    run_net_on(IOLoop::with_clock(ManualClock::autojump()), body)
}

/// [`run_net`] on the system clock, for tests that wait for other threads
/// (the resolver's thread pool): an autojump clock does not wait for them.
pub fn run_net_real<T, F>(body: F) -> Result<T, Error>
where
    T: 'static,
    F: FnOnce(&Co) -> Result<T, Error> + 'static,
{
    run_net_on(IOLoop::new(), body)
}

fn run_net_on<T, F>(io_loop: IOLoop, body: F) -> Result<T, Error>
where
    T: 'static,
    F: FnOnce(&Co) -> Result<T, Error> + 'static,
{
    let value = io_loop.run_sync(move || gen_::coroutine(body), Some(Duration::from_secs(10)))?;
    assert_eq!(stream_count(&io_loop), 0, "streams left open");
    assert_eq!(io_loop.handler_count(), 0, "fd handlers left registered");
    Ok(value)
}

/// Tornado's `make_iostream_pair`: a connected (server, client) pair of TCP
/// streams on loopback.
pub fn tcp_pair(co: &Co, options: StreamOptions) -> Result<(IOStream, IOStream), Error> {
    let (listener, port) = bind_unused_port(false)?;
    let accepted: Future<IOStream> = Future::new();
    let slot = accepted.clone();
    let handle = add_accept_handler(listener, move |connection, _| {
        let _ = slot.set(IOStream::with_options(connection, options).map_err(Error::from));
    })?;
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let (_client, connected) = IOStream::connecting(address, None, options)?;
    let (server, client) = co.yield_((accepted, connected))?;
    handle.remove();
    Ok((server, client))
}

/// A connected (reader, writer) pair on a Unix socket pair.
pub fn unix_pair(options: StreamOptions) -> Result<(IOStream, IOStream), Error> {
    let (a, b) = std::os::unix::net::UnixStream::pair()?;
    Ok((
        IOStream::with_options(a, options)?,
        IOStream::with_options(b, options)?,
    ))
}

/// Tornado's `PipeIOStream` pair: (reader, writer) on a pipe.
pub fn pipe_pair(options: StreamOptions) -> Result<(IOStream, IOStream), Error> {
    let (sender, receiver) = mio::unix::pipe::new()?;
    Ok((
        IOStream::with_options(receiver, options)?,
        IOStream::with_options(sender, options)?,
    ))
}

/// Connections a test server accepted, waited for one at a time (Tornado's
/// tests use a `Queue`).
#[derive(Clone, Default)]
pub struct Accepted {
    streams: Rc<RefCell<VecDeque<IOStream>>>,
    waiting: Rc<RefCell<VecDeque<Future<IOStream>>>>,
}

impl Accepted {
    /// Hands over a new connection.
    pub fn push(&self, stream: IOStream) {
        let waiter = self.waiting.borrow_mut().pop_front();
        match waiter {
            Some(waiter) => {
                let _ = waiter.set_result(stream);
            }
            None => self.streams.borrow_mut().push_back(stream),
        }
    }

    /// The next connection.
    pub fn next(&self) -> Future<IOStream> {
        match self.streams.borrow_mut().pop_front() {
            Some(stream) => Future::ready(stream),
            None => {
                let future = Future::new();
                self.waiting.borrow_mut().push_back(future.clone());
                future
            }
        }
    }
}

/// Tornado's `refusing_port`: a port on 127.0.0.1 nothing listens on (the
/// local port of a connection whose client end stays open, so that no one
/// else can bind it). Keep the returned socket until the test ends.
pub fn refusing_port() -> (std::net::TcpStream, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server_side, _) = listener.accept().unwrap();
    drop(server_side);
    drop(listener);
    let port = client.local_addr().unwrap().port();
    (client, port)
}
