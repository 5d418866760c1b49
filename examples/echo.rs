//! A TCP echo server and a client, both coroutines on one loop (Tornado's
//! `TCPServer` echo example and a `TCPClient` to talk to it).
//!
//! `cargo run --example echo`

use gust::gen_;
use gust::iostream::{IOStream, StreamClosedError};
use gust::prelude::*;
use gust::tcpclient::TCPClient;
use gust::tcpserver::TCPServer;

/// Echoes lines until the client closes the connection.
fn handle_stream(stream: IOStream) -> Future<()> {
    gen_::coroutine(move |co| {
        loop {
            match co.yield_(stream.read_until(b"\n", None)) {
                Ok(line) => co.yield_(stream.write(line))?,
                Err(e) if e.is::<StreamClosedError>() => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    })
}

/// Sends two lines and prints what comes back.
fn client(port: u16) -> Future<()> {
    gen_::coroutine(move |co| {
        let stream = co.yield_(TCPClient::new().connect("127.0.0.1", port))?;
        for word in ["hello", "world"] {
            co.yield_(stream.write(format!("{word}\n")))?;
            let reply = co.yield_(stream.read_until(b"\n", None))?;
            print!("echoed: {}", String::from_utf8_lossy(&reply));
        }
        Ok(())
    })
}

fn main() -> Result<(), Error> {
    let io_loop = IOLoop::new();
    let server = TCPServer::new(|stream, _address| handle_stream(stream));
    server.listen(0, "127.0.0.1")?; // port 0: any free port
    let port = server.local_addrs()[0].port();
    io_loop.run_sync(move || client(port), None)?;
    server.stop();
    Ok(())
}
