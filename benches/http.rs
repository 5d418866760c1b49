//! HTTP benchmark: gust's HTTPServer under wrk, and gust's AsyncHTTPClient,
//! each next to its baselines (hyper 1.x on tokio's current_thread runtime,
//! Tornado 6.6.1) in the same run.
//!
//! `cargo bench --bench http` runs, when the tools are there (the script
//! `benches/run_http_baselines.sh` installs wrk, builds the hyper baseline
//! and creates Tornado's venv, then runs this):
//!
//! 1. Server: a hello-world server loaded by `wrk -t1 -c64 -d10s`, for gust
//!    (one loop), hyper and Tornado; requests/s and wrk's own CPU time.
//! 2. Server with `reuse_port` and two gust loops: requests/s and how the
//!    connections and requests split between the loops.
//! 3. Client: 10,000 sequential keep-alive fetches, and 10,000 fetches with
//!    `max_clients` 100, against a gust hello-world server in another
//!    process: gust vs hyper's client vs Tornado's AsyncHTTPClient.
//!
//! Next to each rate: the server's CPU time per request (from
//! /proc/PID/stat over the wrk run) and the client's CPU time per fetch,
//! which a busy machine, or wrk being the limit, hides less than rates.
//!
//! Modes: `cargo bench --bench http -- server PORT SECONDS [LOOPS]` runs a
//! gust hello-world server for SECONDS (for loading it by hand).
//! Environment: GUST_HTTP_FETCHES (default 10000), GUST_HTTP_WRK_SECS
//! (default 10), GUST_HTTP_TORNADO_FETCHES (default 2000: Tornado's client
//! opens a connection per request and takes a while), TORNADO_PYTHON
//! (default target/tornado-venv/bin/python), HYPER_BIN_DIR (default
//! benches/baselines/hyper-http/target/release).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gust::gen_;
use gust::httpclient::{AsyncHTTPClient, ClientOptions};
use gust::httpserver::{HTTPServer, ResponseWriter};
use gust::httputil::HTTPServerRequest;
use gust::ioloop::IOLoop;
use gust::prelude::IOLoopExt;
use gust_net::netutil::BindOptions;
use gust_net::tcpserver::{LoopThreads, spawn_loops};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Runs a hello-world gust server on `loops` loops (threads), with
/// `reuse_port`; per loop, a count of accepted connections and requests.
fn gust_servers(port: u16, loops: usize) -> (LoopThreads, Arc<Vec<(AtomicU64, AtomicU64)>>) {
    let counts: Arc<Vec<(AtomicU64, AtomicU64)>> = Arc::new(
        (0..loops)
            .map(|_| (AtomicU64::new(0), AtomicU64::new(0)))
            .collect(),
    );
    let shared = counts.clone();
    let threads = spawn_loops(loops, move |task| {
        let counts = shared.clone();
        let server = HTTPServer::new(move |_request: HTTPServerRequest, response: ResponseWriter| {
            counts[task].1.fetch_add(1, Ordering::Relaxed);
            response.write("Hello, world");
        });
        let options = BindOptions {
            reuse_port: true,
            ..BindOptions::default()
        };
        server.listen_with(port, "127.0.0.1", options)?;
        let counts = shared.clone();
        // Count connections from the server's own counter, once a second.
        let periodic = gust::ioloop::PeriodicCallback::new(
            move || counts[task].0.store(server.accepted(), Ordering::Relaxed),
            Duration::from_millis(100),
        )
        .expect("period");
        periodic.start();
        std::mem::forget(periodic);
        Ok(())
    })
    .expect("spawn gust servers");
    (threads, counts)
}

/// Children's CPU time so far (user + system), from /proc/self/stat.
fn children_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the command name: state is field 3; cutime and cstime are
    // fields 16 and 17 of the whole line.
    let ticks = |i: usize| fields.get(i - 3).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_millis((ticks(16) + ticks(17)) * 10)
}

/// CPU time (user + system) of process `pid` so far, from
/// /proc/PID/stat (10 ms ticks).
fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line.
    let ticks = |i: usize| fields.get(i - 3).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_millis((ticks(14) + ticks(15)) * 10)
}

struct WrkResult {
    requests_per_sec: f64,
    wrk_cpu: Duration,
    wall: Duration,
    /// The server's CPU time per request: what the server costs, which a
    /// busy machine (or wrk being the limit) does not hide.
    server_cpu_per_request: Option<Duration>,
}

/// Loads the server on `port` (process `server_pid`, whose CPU time is
/// measured) with wrk.
fn wrk(port: u16, secs: usize, server_pid: u32) -> Option<WrkResult> {
    let before = children_cpu();
    let server_before = process_cpu(server_pid);
    let start = Instant::now();
    let output = Command::new("wrk")
        .args([
            "-t1",
            "-c64",
            &format!("-d{secs}s"),
            &format!("http://127.0.0.1:{port}/"),
        ])
        .output()
        .ok()?;
    let wall = start.elapsed();
    let server_cpu = process_cpu(server_pid).saturating_sub(server_before);
    let text = String::from_utf8_lossy(&output.stdout);
    let requests_per_sec = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())?;
    if text.contains("Non-2xx") || text.contains("Socket errors") {
        eprintln!("wrk reported errors:\n{text}");
    }
    let requests = requests_per_sec * wall.as_secs_f64();
    Some(WrkResult {
        requests_per_sec,
        wrk_cpu: children_cpu().saturating_sub(before),
        wall,
        server_cpu_per_request: (requests >= 1.0).then(|| server_cpu.div_f64(requests)),
    })
}

fn wait_for_port(port: u16) -> bool {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    false
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tornado_python() -> Option<PathBuf> {
    let path = std::env::var("TORNADO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("target/tornado-venv/bin/python"));
    path.exists().then_some(path)
}

fn hyper_bin(name: &str) -> Option<PathBuf> {
    let dir = std::env::var("HYPER_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("benches/baselines/hyper-http/target/release"));
    let path = dir.join(name);
    path.exists().then_some(path)
}

fn report_wrk(name: &str, result: &Option<WrkResult>, reference: Option<f64>) -> Option<f64> {
    match result {
        Some(r) => {
            let ratio = reference.map_or(String::new(), |g| {
                format!("   gust/this = {:.2}", g / r.requests_per_sec)
            });
            let server_cpu = r.server_cpu_per_request.map_or(String::new(), |cpu| {
                format!("   server CPU {:.2} µs/request", cpu.as_secs_f64() * 1e6)
            });
            println!(
                "  {name:<28} {:>10.0} req/s   wrk CPU {:.1} s of {:.1} s ({:.0}%){server_cpu}{ratio}",
                r.requests_per_sec,
                r.wrk_cpu.as_secs_f64(),
                r.wall.as_secs_f64(),
                100.0 * r.wrk_cpu.as_secs_f64() / r.wall.as_secs_f64()
            );
            Some(r.requests_per_sec)
        }
        None => {
            println!("  {name:<28} skipped");
            None
        }
    }
}

fn server_benchmarks() {
    let secs = env_usize("GUST_HTTP_WRK_SECS", 10);
    if Command::new("wrk").arg("--version").output().is_err() {
        println!(
            "server: wrk not found (apt-get install wrk, or run benches/run_http_baselines.sh): skipped"
        );
        return;
    }
    println!("server: hello world, wrk -t1 -c64 -d{secs}s (2 cores: wrk takes the other one)");
    // gust, one loop.
    let port = free_port();
    let (threads, _) = gust_servers(port, 1);
    assert!(wait_for_port(port));
    let gust = report_wrk(
        "gust HTTPServer (1 loop)",
        &wrk(port, secs, std::process::id()),
        None,
    );
    threads.join();
    // hyper.
    let hyper = hyper_bin("hyper_server").and_then(|bin| {
        let port = free_port();
        let child = Killed(
            Command::new(bin)
                .arg(port.to_string())
                .stdout(Stdio::null())
                .spawn()
                .ok()?,
        );
        wait_for_port(port)
            .then(|| wrk(port, secs, child.0.id()))
            .flatten()
            .inspect(|_| drop(child))
    });
    report_wrk("hyper 1.x (current_thread)", &hyper, gust);
    // Tornado.
    let tornado = tornado_python().and_then(|python| {
        let port = free_port();
        let child = Killed(
            Command::new(python)
                .args(["benches/baselines/tornado_http.py", "server", &port.to_string()])
                .stdout(Stdio::null())
                .spawn()
                .ok()?,
        );
        wait_for_port(port)
            .then(|| wrk(port, secs, child.0.id()))
            .flatten()
            .inspect(|_| drop(child))
    });
    report_wrk("Tornado 6.6.1 HTTPServer", &tornado, gust);
    // gust, two loops with reuse_port.
    let port = free_port();
    let (threads, counts) = gust_servers(port, 2);
    assert!(wait_for_port(port));
    let two = wrk(port, secs, std::process::id());
    std::thread::sleep(Duration::from_millis(250));
    report_wrk("gust, 2 loops, reuse_port", &two, None);
    let split: Vec<String> = counts
        .iter()
        .enumerate()
        .map(|(i, (conns, reqs))| {
            format!(
                "loop {i}: {} connections, {} requests",
                conns.load(Ordering::Relaxed),
                reqs.load(Ordering::Relaxed)
            )
        })
        .collect();
    println!("    split (incl. the readiness probe): {}", split.join("; "));
    threads.join();
}

fn gust_client(port: u16, n: usize, max_clients: usize) -> (f64, f64) {
    let io_loop = IOLoop::new();
    let url = format!("http://127.0.0.1:{port}/");
    let seq_url = url.clone();
    let start = Instant::now();
    io_loop
        .run_sync(
            move || {
                gen_::coroutine(move |co| {
                    let client = AsyncHTTPClient::new();
                    for _ in 0..n {
                        let response = co.yield_(client.fetch(seq_url.as_str()))?;
                        assert_eq!(response.body.len(), 12);
                    }
                    Ok(())
                })
            },
            None,
        )
        .expect("sequential fetches");
    let sequential = n as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    io_loop
        .run_sync(
            move || {
                let client = AsyncHTTPClient::with_options(ClientOptions {
                    max_clients,
                    ..ClientOptions::default()
                });
                let fetches: Vec<_> = (0..n).map(|_| client.fetch(url.as_str())).collect();
                gen_::multi(fetches)
            },
            None,
        )
        .expect("concurrent fetches");
    let concurrent = n as f64 / start.elapsed().as_secs_f64();
    let _ = io_loop.close();
    (sequential, concurrent)
}

/// Runs a baseline client; parses its two `= N fetches/s` lines.
fn baseline_client(mut command: Command) -> Option<(f64, f64)> {
    let output = command.stderr(Stdio::inherit()).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let rates: Vec<f64> = text
        .lines()
        .filter_map(|l| l.rsplit_once("= ")?.1.strip_suffix(" fetches/s")?.parse().ok())
        .collect();
    (rates.len() == 2).then(|| (rates[0], rates[1]))
}

fn client_benchmarks() {
    let n = env_usize("GUST_HTTP_FETCHES", 10_000);
    let n_tornado = env_usize("GUST_HTTP_TORNADO_FETCHES", 2_000);
    let max_clients = 100;
    // GUST_HTTP_CLIENT_PORT: fetch from a server already running there
    // instead (to look at the client alone).
    // Otherwise the server is this program in server mode, in a process of
    // its own, so that every client talks to it the same way (a server on
    // a thread of the client's own process answers the gust client more
    // slowly than the others: the two threads of one process end up
    // sharing a core more often).
    let external: Option<u16> = std::env::var("GUST_HTTP_CLIENT_PORT")
        .ok()
        .and_then(|p| p.parse().ok());
    let port = external.unwrap_or_else(free_port);
    let _server = match external {
        Some(_) => None,
        None => Some(Killed(
            Command::new(std::env::current_exe().expect("current exe"))
                .args(["server", &port.to_string(), "600"])
                .stdout(Stdio::null())
                .spawn()
                .expect("start the server process"),
        )),
    };
    assert!(wait_for_port(port));
    println!(
        "client: against a gust hello-world server (one loop, another process); {n} sequential keep-alive fetches, then {n} with max_clients {max_clients}"
    );
    // Each client's CPU time over both runs (2n fetches): what a fetch
    // costs the client, which the server or a busy machine does not hide.
    let per_fetch = |cpu: Duration| cpu.as_secs_f64() * 1e6 / (2 * n) as f64;
    let cpu_before = process_cpu(std::process::id());
    let (seq, conc) = gust_client(port, n, max_clients);
    let gust_cpu = per_fetch(process_cpu(std::process::id()).saturating_sub(cpu_before));
    println!(
        "  {:<28} {seq:>10.0} fetches/s sequential   {conc:>10.0} fetches/s concurrent   client CPU {gust_cpu:.2} µs/fetch",
        "gust AsyncHTTPClient"
    );
    let children_before = children_cpu();
    let hyper = hyper_bin("hyper_client").and_then(|bin| {
        let mut command = Command::new(bin);
        command.args([port.to_string(), n.to_string(), max_clients.to_string()]);
        baseline_client(command)
    });
    let hyper_cpu = per_fetch(children_cpu().saturating_sub(children_before));
    match hyper {
        Some((s, c)) => println!(
            "  {:<28} {s:>10.0} fetches/s sequential   {c:>10.0} fetches/s concurrent   client CPU {hyper_cpu:.2} µs/fetch   gust/hyper = {:.2} / {:.2}, CPU per fetch {:.2}",
            "hyper 1.x client",
            seq / s,
            conc / c,
            hyper_cpu / gust_cpu
        ),
        None => println!("  hyper client: skipped"),
    }
    let tornado = tornado_python().and_then(|python| {
        let mut command = Command::new(python);
        command.args([
            "benches/baselines/tornado_http.py",
            "client",
            &port.to_string(),
            &n_tornado.to_string(),
            &max_clients.to_string(),
        ]);
        baseline_client(command)
    });
    match tornado {
        Some((s, c)) => println!(
            "  {:<28} {s:>10.0} fetches/s sequential   {c:>10.0} fetches/s concurrent   gust/Tornado = {:.1} / {:.1} ({n_tornado} fetches)",
            "Tornado 6.6.1 AsyncHTTPClient",
            seq / s,
            conc / c
        ),
        None => println!("  Tornado client: skipped"),
    }
}

fn main() {
    // cargo bench passes `--bench`; a manual run may ask for a server.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.first().map(String::as_str) == Some("server") {
        let port: u16 = args.get(1).and_then(|p| p.parse().ok()).unwrap_or(8888);
        let secs: u64 = args.get(2).and_then(|p| p.parse().ok()).unwrap_or(30);
        let loops: usize = args.get(3).and_then(|p| p.parse().ok()).unwrap_or(1);
        let (threads, counts) = gust_servers(port, loops);
        println!("gust hello-world server on 127.0.0.1:{port}, {loops} loop(s), for {secs} s");
        std::thread::sleep(Duration::from_secs(secs));
        for (i, (conns, reqs)) in counts.iter().enumerate() {
            println!(
                "loop {i}: {} connections, {} requests",
                conns.load(Ordering::Relaxed),
                reqs.load(Ordering::Relaxed)
            );
        }
        threads.join();
        return;
    }
    if !Path::new("benches/http.rs").exists() {
        eprintln!("run from the repository root (cargo bench --bench http)");
    }
    println!("gust HTTP benchmark; the machine is shared and has 2 cores: numbers are noisy, compare ratios");
    if args.first().map(String::as_str) != Some("client") {
        server_benchmarks();
    }
    if args.first().map(String::as_str) != Some("server-only") {
        client_benchmarks();
    }
}
