//! Helpers: servers on loopback, raw connections, a bounded run.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use gust::Error;
use gust::gen_;
use gust::httpserver::{HTTPServer, HTTPServerOptions, RequestCallback};
use gust::ioloop::{IOLoop, ManualClock};
use gust::prelude::*;
use gust_net::iostream::IOStream;

/// Runs `body` as a coroutine on `io_loop`, failing after 60 s of loop
/// time.
pub fn run_on<T, F>(io_loop: &IOLoop, body: F) -> Result<T, Error>
where
    T: 'static,
    F: FnOnce(&Co) -> Result<T, Error> + 'static,
{
    io_loop.run_sync(move || gen_::coroutine(body), Some(Duration::from_secs(60)))
}

/// A loop on the real clock.
pub fn real_loop() -> IOLoop {
    IOLoop::new()
}

/// A loop whose clock jumps to the next timer when nothing else happens
/// (for timeout tests: no real waiting).
pub fn autojump_loop() -> IOLoop {
    IOLoop::with_clock(ManualClock::autojump())
}

/// A server on 127.0.0.1, a free port, on the current loop.
pub fn serve(callback: impl RequestCallback) -> (HTTPServer, String) {
    serve_with(callback, HTTPServerOptions::default())
}

/// [`serve`] with options.
pub fn serve_with(callback: impl RequestCallback, options: HTTPServerOptions) -> (HTTPServer, String) {
    let server = HTTPServer::with_options(callback, options);
    server.listen(0, "127.0.0.1").unwrap();
    let base = format!("http://127.0.0.1:{}", server.local_addrs()[0].port());
    (server, base)
}

/// The port of a base URL.
pub fn port_of(base: &str) -> u16 {
    base.rsplit(':').next().unwrap().parse().unwrap()
}

pub fn addr(base: &str) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port_of(base)))
}

/// Connects a raw stream to the server of `base`.
pub fn connect(co: &Co, base: &str) -> Result<IOStream, Error> {
    co.yield_(IOStream::connect(addr(base)))
}

/// Writes `data` and reads until the server closes the connection.
// `write` takes an owned ('static) buffer: the copy is needed.
#[allow(clippy::unnecessary_to_owned)]
pub fn exchange(co: &Co, base: &str, data: &[u8]) -> Result<String, Error> {
    let stream = connect(co, base)?;
    co.yield_(stream.write(data.to_vec()))?;
    let reply = co.yield_(stream.read_until_close())?;
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

/// A response read from a raw stream.
#[derive(Debug)]
pub struct RawResponse {
    pub head: String,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn status(&self) -> u16 {
        self.head[9..12].parse().unwrap()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

/// Reads one response (Content-Length, chunked, or no body) from `stream`,
/// as the raw chunked bytes when `raw_chunks`.
pub fn read_response(co: &Co, stream: &IOStream) -> Result<RawResponse, Error> {
    let head = co.yield_(stream.read_until(b"\r\n\r\n", Some(65_536)))?;
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut response = RawResponse {
        head,
        body: Vec::new(),
    };
    if let Some(length) = response.header("Content-Length") {
        let n: usize = length.parse().unwrap();
        if n > 0 {
            response.body = co.yield_(stream.read_bytes(n, false))?;
        }
    } else if response.header("Transfer-Encoding").is_some() {
        loop {
            let line = co.yield_(stream.read_until(b"\r\n", Some(64)))?;
            let size = usize::from_str_radix(std::str::from_utf8(&line).unwrap().trim(), 16).unwrap();
            let data = co.yield_(stream.read_bytes(size + 2, false))?;
            if size == 0 {
                break;
            }
            response.body.extend_from_slice(&data[..size]);
        }
    }
    Ok(response)
}
