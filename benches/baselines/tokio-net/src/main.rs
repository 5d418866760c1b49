//! tokio baseline for gust's `benches/net.rs`: the same four loopback
//! workloads on a current-thread runtime, client and server tasks on the
//! one thread (`spawn_local` on a `LocalSet`).
//!
//! `cargo run --release -- --bench [FILTER]`; `GUST_BENCH_RUNS=N` sets the
//! number of timed runs (default 7). `-- --only-ping-pong N` runs N round
//! trips once (for `strace -c`), `--only-conns N [ROUNDS]` N connections
//! × 10 (or ROUNDS) round trips, `--only-bulk MIB` one bulk transfer. Output lines have the gust harness's
//! format: `tokio/NAME  median X ns/op  min Y ns/op  (n=N)`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Wall time, or with `GUST_BENCH_CLOCK=cpu` this thread's CPU time (as
/// gust's `benches/common/mod.rs`, `Stopwatch`).
struct Stopwatch {
    wall: Instant,
    cpu: Option<u64>,
}

impl Stopwatch {
    fn start() -> Stopwatch {
        let cpu = if std::env::var("GUST_BENCH_CLOCK").is_ok_and(|v| v == "cpu") { thread_cpu_ns() } else { None };
        Stopwatch { wall: Instant::now(), cpu }
    }

    fn elapsed(&self) -> Duration {
        match (self.cpu, thread_cpu_ns()) {
            (Some(start), Some(now)) => Duration::from_nanos(now.saturating_sub(start)),
            _ => self.wall.elapsed(),
        }
    }
}

fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::LocalSet;

const MSG: usize = 64;

async fn echo_server(backlog: u32) -> SocketAddr {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(backlog).unwrap();
    let address = listener.local_addr().unwrap();
    tokio::task::spawn_local(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            tokio::task::spawn_local(async move {
                let mut buf = [0u8; MSG];
                while stream.read_exact(&mut buf).await.is_ok() {
                    if stream.write_all(&buf).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    address
}

async fn round_trip(stream: &mut TcpStream, message: &[u8; MSG]) {
    stream.write_all(message).await.unwrap();
    let mut back = [0u8; MSG];
    stream.read_exact(&mut back).await.unwrap();
}

fn run<F: std::future::Future<Output = Duration>>(f: F) -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    LocalSet::new().block_on(&rt, f)
}

fn ping_pong(n: u64) -> Duration {
    run(async move {
        let address = echo_server(128).await;
        let mut stream = TcpStream::connect(address).await.unwrap();
        let message = [7u8; MSG];
        round_trip(&mut stream, &message).await;
        let start = Stopwatch::start();
        for _ in 0..n {
            round_trip(&mut stream, &message).await;
        }
        start.elapsed()
    })
}

fn bulk(mib: u64) -> Duration {
    const CHUNK: usize = 64 * 1024;
    let total = mib as usize * 1024 * 1024;
    run(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::task::spawn_local(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; CHUNK];
            let mut received = 0;
            while received < total {
                let n = stream.read(&mut buf).await.unwrap();
                assert!(n > 0);
                received += n;
            }
            stream.write_all(b"!").await.unwrap();
        });
        let mut stream = TcpStream::connect(address).await.unwrap();
        let chunk = vec![1u8; CHUNK];
        let start = Stopwatch::start();
        for _ in 0..total / CHUNK {
            stream.write_all(&chunk).await.unwrap();
        }
        let mut ack = [0u8; 1];
        stream.read_exact(&mut ack).await.unwrap();
        start.elapsed()
    })
}

fn many_connections(conns: usize, rounds: usize) -> Duration {
    run(async move {
        let address = echo_server(4096).await;
        let mut connecting = Vec::with_capacity(conns);
        for _ in 0..conns {
            connecting.push(tokio::task::spawn_local(TcpStream::connect(address)));
        }
        let mut streams = Vec::with_capacity(conns);
        for c in connecting {
            streams.push(c.await.unwrap().unwrap());
        }
        let start = Stopwatch::start();
        let clients: Vec<_> = streams
            .into_iter()
            .map(|mut stream| {
                tokio::task::spawn_local(async move {
                    let message = [7u8; MSG];
                    for _ in 0..rounds {
                        round_trip(&mut stream, &message).await;
                    }
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
        start.elapsed()
    })
}

/// The client side of `open_10000`, in a child process (see gust's
/// benches/net.rs): reads `go`, opens the connections with blocking
/// sockets, prints `done N`, holds them until stdin closes.
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

fn open_connections(conns: usize) -> Duration {
    use std::io::{BufRead, Write};
    use std::process::{Command, Stdio};
    run(async move {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(4096).unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--connect-clients", &port.to_string(), &conns.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut to_child = child.stdin.take().unwrap();
        let start = Instant::now();
        writeln!(to_child, "go").unwrap();
        let mut held = Vec::with_capacity(conns);
        while held.len() < conns {
            let (stream, _) = listener.accept().await.unwrap();
            held.push(stream);
        }
        let elapsed = start.elapsed();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), format!("done {conns}"));
        drop(to_child);
        child.wait().unwrap();
        drop(held);
        elapsed
    })
}

fn raise_fd_limit() {
    if let Ok((soft, hard)) = rlimit::Resource::NOFILE.get() {
        if soft < hard {
            let _ = rlimit::Resource::NOFILE.set(hard, hard);
        }
    }
}

struct Harness {
    runs: usize,
    full: bool,
    filters: Vec<String>,
}

impl Harness {
    fn measure(&self, name: &str, ops: u64, mut f: impl FnMut() -> Duration) {
        if !self.filters.is_empty() && !self.filters.iter().any(|x| name.contains(x.as_str())) {
            return;
        }
        f();
        let mut samples: Vec<Duration> = (0..self.runs).map(|_| f()).collect();
        samples.sort();
        let mid = samples.len() / 2;
        let median = if samples.len() % 2 == 1 { samples[mid] } else { (samples[mid - 1] + samples[mid]) / 2 };
        let per = |d: Duration| d.as_nanos() as f64 / ops as f64;
        println!(
            "{:<48} median {:.1} ns/op  min {:.1} ns/op  (n={})",
            format!("tokio/{name}"),
            per(median),
            per(samples[0]),
            ops
        );
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
        run_all(&args);
    }
}

fn run_all(args: &[String]) {
    let full = args.iter().any(|a| a == "--bench");
    let h = Harness {
        runs: std::env::var("GUST_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(if full { 7 } else { 1 }),
        full,
        filters: args.iter().skip(1).filter(|a| !a.starts_with('-')).cloned().collect(),
    };
    let n = if h.full { 200_000 } else { 200 };
    h.measure("ping_pong_64B (round trip)", n, || ping_pong(n));
    let mib = if h.full { 256 } else { 4 };
    h.measure("bulk_256MiB (MiB)", mib, || bulk(mib));
    let conns = if h.full { 1000 } else { 10 };
    h.measure("conns_1000_x10 (round trip)", (conns * 10) as u64, || many_connections(conns, 10));
    let open = if h.full { 10_000 } else { 100 };
    h.measure("open_10000 (connection)", open as u64, || open_connections(open));
}
