//! One echo server per core: a loop on each of two threads, each with its
//! own `TCPServer` on the same port (`SO_REUSEPORT`), the kernel spreading
//! connections between them. gust's form of Tornado's `fork_processes`.
//!
//! `cargo run --example echo_threads`

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gust::gen_;
use gust::iostream::IOStream;
use gust::netutil::{BindOptions, bind_unused_port};
use gust::prelude::*;
use gust::tcpclient::TCPClient;
use gust::tcpserver::{TCPServer, spawn_loops};

fn main() -> Result<(), Error> {
    let (_probe, port) = bind_unused_port(true)?; // a free port to share
    let served = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let counts = served.clone();
    let loops = spawn_loops(2, move |task_id| {
        let counts = counts.clone();
        let server = TCPServer::new(move |stream: IOStream, _| {
            counts[task_id].fetch_add(1, Ordering::Relaxed);
            gen_::coroutine(move |co| {
                let line = co.yield_(stream.read_until(b"\n", None))?;
                co.yield_(stream.write(line))?;
                Ok(())
            })
        });
        let reuse_port = BindOptions {
            reuse_port: true,
            ..BindOptions::default()
        };
        server.listen_with(port, "127.0.0.1", reuse_port)
    })?;
    drop(_probe);

    let io_loop = IOLoop::new();
    io_loop.run_sync(
        move || {
            gen_::coroutine(move |co| {
                for i in 0..100 {
                    let stream = co.yield_(TCPClient::new().connect("127.0.0.1", port))?;
                    co.yield_(stream.write(format!("{i}\n")))?;
                    co.yield_(stream.read_until(b"\n", None))?;
                }
                Ok(())
            })
        },
        None,
    )?;
    loops.join();
    let (a, b) = (
        served[0].load(Ordering::Relaxed),
        served[1].load(Ordering::Relaxed),
    );
    println!("100 connections: loop 0 served {a}, loop 1 served {b}");
    Ok(())
}
