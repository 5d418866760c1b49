//! A tiny benchmark harness shared by gust's benches (no external crate).
//!
//! Each measurement runs a closure once to warm up, then `runs` times
//! (default 7), and prints the median and the minimum in nanoseconds per
//! operation:
//!
//! ```text
//! ioloop/add_callback+run                 median 23.1 ns/op  min 22.0 ns/op  (n=1000000)
//! ```
//!
//! A bench is a `[[bench]]` target with `harness = false` whose `main`
//! builds a [`Harness`] with [`Harness::from_args`] and calls
//! [`bench`](Harness::bench) (times the whole closure) or
//! [`measure`](Harness::measure) (the closure times itself, e.g. to leave
//! out setup or an unavoidable wait).
//!
//! `cargo bench --bench NAME [FILTER]` runs in full mode (cargo passes
//! `--bench`). Run without `--bench` (as `cargo test --benches` does) the
//! harness only smoke-tests: one run, with [`Harness::n`] scaling the
//! operation counts down by 1000. `GUST_BENCH_RUNS=N` overrides the number
//! of timed runs. Arguments that do not start with `-` are filters: only
//! measurements whose name contains one of them run.
//!
//! The machine this runs on may be noisy: quote results as ratios against
//! baselines measured in the same run (see `docs/performance.md`).

// Each bench includes this module and uses only part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

pub use std::hint::black_box;

/// Times part of a measurement: wall time, or with `GUST_BENCH_CLOCK=cpu`
/// the CPU time of the calling thread (the kernel's `sum_exec_runtime`,
/// read from `/proc/thread-self/schedstat`; Linux only). On a machine
/// other jobs keep busy, wall time includes the time the bench waited for
/// a CPU; CPU time does not (it still includes what sharing caches costs),
/// so ratios taken from it move less. It counts only this thread: a
/// workload that waits for I/O or other threads looks cheaper than it is.
pub struct Stopwatch {
    wall: Instant,
    cpu: Option<u64>,
}

impl Stopwatch {
    /// Starts timing.
    pub fn start() -> Stopwatch {
        let cpu = if cpu_clock() { thread_cpu_ns() } else { None };
        Stopwatch {
            wall: Instant::now(),
            cpu,
        }
    }

    /// Time since `start`, on the chosen clock.
    pub fn elapsed(&self) -> Duration {
        match (self.cpu, thread_cpu_ns()) {
            (Some(start), Some(now)) => Duration::from_nanos(now.saturating_sub(start)),
            _ => self.wall.elapsed(),
        }
    }
}

fn cpu_clock() -> bool {
    std::env::var("GUST_BENCH_CLOCK").is_ok_and(|v| v == "cpu")
}

fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// The summary of one measurement.
#[derive(Debug, Clone)]
pub struct Stats {
    /// The measurement's name, e.g. `ioloop/add_callback+run`.
    pub name: String,
    /// Operations per run: the divisor of the per-operation numbers.
    pub ops: u64,
    /// Median over the timed runs, in ns per operation.
    pub median_ns: f64,
    /// Fastest timed run, in ns per operation.
    pub min_ns: f64,
    /// Each timed run's total duration.
    pub samples: Vec<Duration>,
}

impl Stats {
    /// The median run's total duration.
    pub fn median_total(&self) -> Duration {
        Duration::from_secs_f64(self.median_ns * self.ops as f64 / 1e9)
    }
}

/// Runs and reports measurements.
pub struct Harness {
    runs: usize,
    full: bool,
    filters: Vec<String>,
    results: Vec<Stats>,
}

impl Harness {
    /// Reads the command line (`--bench` for full mode, filters) and
    /// `GUST_BENCH_RUNS`.
    pub fn from_args() -> Harness {
        let mut full = false;
        let mut filters = Vec::new();
        for arg in std::env::args().skip(1) {
            if arg == "--bench" {
                full = true;
            } else if !arg.starts_with('-') {
                filters.push(arg);
            }
        }
        let default_runs = if full { 7 } else { 1 };
        let runs = std::env::var("GUST_BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&r| r > 0)
            .unwrap_or(default_runs);
        Harness {
            runs,
            full,
            filters,
            results: Vec::new(),
        }
    }

    /// Whether this is a full run (`--bench`) rather than a smoke test.
    pub fn is_full(&self) -> bool {
        self.full
    }

    /// `n` in full mode; `n / 1000` (at least 1) in smoke-test mode.
    pub fn n(&self, n: u64) -> u64 {
        if self.full { n } else { (n / 1000).max(1) }
    }

    /// Whether the filters select `name`.
    pub fn selects(&self, name: &str) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| name.contains(f.as_str()))
    }

    /// Times `f` as a whole, `ops` operations per call.
    pub fn bench(&mut self, name: &str, ops: u64, mut f: impl FnMut()) -> Option<Stats> {
        self.measure(name, ops, || {
            let start = Instant::now();
            f();
            start.elapsed()
        })
    }

    /// Runs `f`, which returns the time its `ops` operations took (so it
    /// can leave setup, teardown or waiting out), once to warm up and then
    /// the configured number of times; prints and returns the summary.
    /// Returns `None` if the filters skip `name`.
    pub fn measure(&mut self, name: &str, ops: u64, mut f: impl FnMut() -> Duration) -> Option<Stats> {
        if !self.selects(name) {
            return None;
        }
        black_box(f());
        let mut samples: Vec<Duration> = (0..self.runs).map(|_| f()).collect();
        samples.sort();
        let per_op = |d: Duration| d.as_nanos() as f64 / ops.max(1) as f64;
        let stats = Stats {
            name: name.to_owned(),
            ops,
            median_ns: per_op(median(&samples)),
            min_ns: per_op(samples[0]),
            samples,
        };
        println!("{}", format_line(&stats));
        self.results.push(stats.clone());
        Some(stats)
    }

    /// Prints a free-form note, indented under the results.
    pub fn note(&self, text: &str) {
        println!("    # {text}");
    }

    /// Everything measured so far.
    pub fn results(&self) -> &[Stats] {
        &self.results
    }
}

/// The median of sorted samples (the mean of the middle two for an even
/// count).
fn median(sorted: &[Duration]) -> Duration {
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2
    }
}

/// `name  median X ns/op  min Y ns/op  (n=N)`.
pub fn format_line(stats: &Stats) -> String {
    format!(
        "{:<48} median {} ns/op  min {} ns/op  (n={})",
        stats.name,
        format_ns(stats.median_ns),
        format_ns(stats.min_ns),
        stats.ops
    )
}

/// At least three significant digits (two decimals below 100).
fn format_ns(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{ns:.0}")
    } else if ns >= 100.0 {
        format!("{ns:.1}")
    } else {
        format!("{ns:.2}")
    }
}

/// A fixed-seed xorshift64 generator (Marsaglia's 13/7/17), so that every
/// implementation compared in a bench draws the same sequence.
pub struct XorShift64(u64);

impl XorShift64 {
    /// The generator every gust bench and baseline starts from.
    pub const SEED: u64 = 0x9E37_79B9_7F4A_7C15;

    /// A generator with the shared seed.
    pub fn new() -> XorShift64 {
        XorShift64(Self::SEED)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

impl Default for XorShift64 {
    fn default() -> Self {
        XorShift64::new()
    }
}

/// Runs `f` on `io_loop` to completion (`run_sync` without a timeout: a
/// pending timer would make every iteration read the clock); a failure
/// ends the bench.
pub fn run<Y: gust::gen_::Yieldable>(
    io_loop: &gust::ioloop::IOLoop,
    f: impl FnOnce() -> Y + 'static,
) -> Y::Output {
    use gust::ioloop::IOLoopExt;
    io_loop
        .run_sync(f, None)
        .unwrap_or_else(|e| panic!("bench failed: {e}"))
}

/// Pending once, waking itself first (tokio's `yield_now`, Python's
/// `await asyncio.sleep(0)`).
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await
}
