//! Sockets on loopback: gust's IOStream, TCPServer and TCPClient against
//! the same workloads in tokio (benches/baselines/tokio-net) and Tornado
//! (benches/baselines/tornado_net.py); `benches/run_net_baselines.sh` runs
//! all three and prints the ratios.
//!
//! Every workload runs client and server as coroutines on one loop, on one
//! thread:
//!
//! - ping_pong_64B: a client writes 64 bytes and reads the 64-byte echo,
//!   on one connection; one op is a round trip.
//! - bulk_256MiB: the client writes 256 MiB in 64 KiB writes; the server
//!   reads it with `read_into` into one 64 KiB buffer and answers one byte
//!   at the end. One op is a MiB (the summary script prints MiB/s).
//! - conns_1000_x10: 1,000 connections are opened first; then 1,000 client
//!   coroutines do 10 round trips of 64 bytes each, all at once. One op is
//!   a round trip (the opening is not timed).
//! - open_10000: 10,000 connections held open at the same time: a child
//!   process opens them (blocking connects) and holds them; the server
//!   accepts each as an `IOStream`. One op is a connection, timed from the
//!   go signal to the last accept. Both ends of 10,000 connections need
//!   more than 20,000 descriptors, this machine's hard limit, hence the
//!   child; the soft limit is raised to the hard one (setrlimit through
//!   the `rlimit` crate, `ulimit -n` in a shell).
//!
//! `cargo bench --bench net [FILTER]`; `GUST_BENCH_RUNS=N` sets the runs;
//! `GUST_BENCH_CLOCK=cpu` times the loop thread's CPU time instead of wall
//! time (see `common::Stopwatch`; not for open_10000, whose other end is
//! another process).
//! `cargo bench --bench net -- --only-ping-pong N` runs N round trips once
//! and nothing else (for `strace -c`); `--only-conns N [ROUNDS]` runs N
//! connections × 10 (or ROUNDS) round trips once, `--only-bulk MIB` one bulk transfer (for
//! `valgrind --tool=callgrind` and `perf`).

#[path = "common/mod.rs"]
mod common;

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use common::{Harness, Stopwatch};
use gust::concurrent::Future;
use gust::gen_;
use gust::iostream::IOStream;
use gust::netutil::BindOptions;
use gust::prelude::*;
use gust::tcpserver::TCPServer;

const MSG: usize = 64;

/// Echoes 64-byte messages until the client closes.
fn echo_server(backlog: i32) -> (TCPServer, SocketAddr) {
    let server = TCPServer::new(|stream: IOStream, _| {
        gen_::coroutine(move |co| {
            while let Ok(message) = co.yield_(stream.read_bytes(MSG, false)) {
                co.yield_(stream.write(message))?;
            }
            Ok(())
        })
    });
    let options = BindOptions {
        backlog,
        ..BindOptions::default()
    };
    server.listen_with(0, "127.0.0.1", options).expect("listen");
    let address = server.local_addrs()[0];
    (server, address)
}

fn round_trip(co: &Co, stream: &IOStream, message: &Rc<[u8]>) -> Result<(), Error> {
    co.yield_(stream.write(message.clone()))?;
    let back = co.yield_(stream.read_bytes(MSG, false))?;
    debug_assert_eq!(back.len(), MSG);
    Ok(())
}

fn ping_pong(n: u64) -> Duration {
    let io_loop = IOLoop::new();
    io_loop
        .run_sync(
            move || {
                gen_::coroutine(move |co| {
                    let (server, address) = echo_server(128);
                    let stream = co.yield_(IOStream::connect(address))?;
                    let message: Rc<[u8]> = vec![7u8; MSG].into();
                    round_trip(co, &stream, &message)?;
                    let start = Stopwatch::start();
                    for _ in 0..n {
                        round_trip(co, &stream, &message)?;
                    }
                    let elapsed = start.elapsed();
                    server.stop();
                    Ok(elapsed)
                })
            },
            None,
        )
        .unwrap()
}

fn bulk(mib: u64) -> Duration {
    const CHUNK: usize = 64 * 1024;
    let total = mib as usize * 1024 * 1024;
    let io_loop = IOLoop::new();
    io_loop
        .run_sync(
            move || {
                gen_::coroutine(move |co| {
                    let server = TCPServer::new(move |stream: IOStream, _| {
                        gen_::coroutine(move |co| {
                            let mut buf = vec![0u8; CHUNK];
                            let mut received = 0;
                            while received < total {
                                let (back, n) = co.yield_(stream.read_into(buf, true))?;
                                buf = back;
                                received += n;
                            }
                            co.yield_(stream.write(b"!"))?;
                            Ok(())
                        })
                    });
                    server.listen(0, "127.0.0.1")?;
                    let stream = co.yield_(IOStream::connect(server.local_addrs()[0]))?;
                    let chunk: Rc<[u8]> = vec![1u8; CHUNK].into();
                    let start = Stopwatch::start();
                    for _ in 0..total / CHUNK {
                        co.yield_(stream.write(chunk.clone()))?;
                    }
                    co.yield_(stream.read_bytes(1, false))?;
                    let elapsed = start.elapsed();
                    server.stop();
                    Ok(elapsed)
                })
            },
            None,
        )
        .unwrap()
}

fn many_connections(conns: usize, rounds: usize) -> Duration {
    let io_loop = IOLoop::new();
    io_loop
        .run_sync(
            move || {
                gen_::coroutine(move |co| {
                    let (server, address) = echo_server(4096);
                    let connects: Vec<Future<IOStream>> =
                        (0..conns).map(|_| IOStream::connect(address)).collect();
                    let streams = co.yield_(connects)?;
                    let message: Rc<[u8]> = vec![7u8; MSG].into();
                    let start = Stopwatch::start();
                    let clients: Vec<Future<()>> = streams
                        .into_iter()
                        .map(|stream| {
                            let message = message.clone();
                            gen_::coroutine(move |co| {
                                for _ in 0..rounds {
                                    round_trip(co, &stream, &message)?;
                                }
                                Ok(())
                            })
                        })
                        .collect();
                    co.yield_(clients)?;
                    let elapsed = start.elapsed();
                    server.stop();
                    Ok(elapsed)
                })
            },
            None,
        )
        .unwrap()
}

/// The client side of `open_10000`, in a child process (the two ends of
/// 10,000 connections need more descriptors than one process may have
/// here: the hard limit is 20,000). Reads `go` on stdin, opens the
/// connections with blocking sockets, prints `done`, holds them until
/// stdin closes.
fn connect_clients(port: u16, conns: usize) {
    use std::io::{BufRead, Write};
    let mut line = String::new();
    let stdin = std::io::stdin();
    stdin.lock().read_line(&mut line).unwrap();
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let held: Vec<std::net::TcpStream> = (0..conns)
        .map(|_| std::net::TcpStream::connect(address).expect("connect"))
        .collect();
    println!("done {}", held.len());
    std::io::stdout().flush().unwrap();
    let _ = stdin.lock().read_line(&mut line);
}

/// `open_10000`: the server here accepts `conns` connections that a child
/// process opens and holds; the time is from the go signal until all are
/// accepted (each an `IOStream` registered with the loop).
fn open_connections(conns: usize) -> Duration {
    use std::io::{BufRead, Write};
    use std::process::{Command, Stdio};
    let io_loop = IOLoop::new();
    let held: Rc<RefCell<Vec<IOStream>>> = Rc::default();
    let keep = held.clone();
    let server = TCPServer::new(move |stream: IOStream, _| keep.borrow_mut().push(stream));
    let options = BindOptions {
        backlog: 4096,
        ..BindOptions::default()
    };
    server.listen_with(0, "127.0.0.1", options).unwrap();
    let port = server.local_addrs()[0].port();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--connect-clients", &port.to_string(), &conns.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the client process");
    let mut to_child = child.stdin.take().unwrap();
    let start = std::time::Instant::now();
    writeln!(to_child, "go").unwrap();
    while held.borrow().len() < conns {
        io_loop.run_once(Some(Duration::from_millis(100))).unwrap();
    }
    let elapsed = start.elapsed();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), format!("done {conns}"));
    assert_eq!(gust::iostream::stream_count(&io_loop), conns);
    drop(to_child);
    child.wait().unwrap();
    server.stop();
    held.borrow_mut().clear();
    elapsed
}

fn raise_fd_limit() {
    if let Ok((soft, hard)) = rlimit::Resource::NOFILE.get() {
        if soft < hard {
            let _ = rlimit::Resource::NOFILE.set(hard, hard);
        }
    }
}

fn main() {
    raise_fd_limit();
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--connect-clients") {
        connect_clients(args[i + 1].parse().unwrap(), args[i + 2].parse().unwrap());
        return;
    }
    // One workload once, for strace, callgrind or perf.
    let only = |flag: &str, defaults: [u64; 2]| -> Option<[u64; 2]> {
        let i = args.iter().position(|a| a == flag)?;
        let mut values = defaults;
        for (value, arg) in values.iter_mut().zip(&args[i + 1..]) {
            match arg.parse() {
                Ok(v) => *value = v,
                Err(_) => break,
            }
        }
        Some(values)
    };
    if let Some([n, _]) = only("--only-ping-pong", [100_000, 0]) {
        println!("ping_pong: {n} round trips in {:?}", ping_pong(n));
    } else if let Some([conns, rounds]) = only("--only-conns", [1000, 10]) {
        let elapsed = many_connections(conns as usize, rounds as usize);
        println!("conns: {conns} connections x {rounds} round trips in {elapsed:?}");
    } else if let Some([mib, _]) = only("--only-bulk", [256, 0]) {
        println!("bulk: {mib} MiB in {:?}", bulk(mib));
    } else {
        run_all();
    }
}

fn run_all() {
    let mut h = Harness::from_args();
    let n = h.n(200_000);
    h.measure("net/ping_pong_64B (round trip)", n, || ping_pong(n));
    let mib = if h.is_full() { 256 } else { 4 };
    h.measure("net/bulk_256MiB (MiB)", mib, || bulk(mib));
    let conns = if h.is_full() { 1000 } else { 10 };
    h.measure("net/conns_1000_x10 (round trip)", (conns * 10) as u64, || {
        many_connections(conns, 10)
    });
    let open = if h.is_full() { 10_000 } else { 100 };
    h.measure("net/open_10000 (connection)", open as u64, || {
        open_connections(open)
    });
}
