//! Memory per suspended coroutine, and the time to create and resume them.
//!
//! `cargo bench --bench engine_memory [FILTER]`
//!
//! Each configuration runs in a fresh child process (this binary, re-run
//! with `--child`), so that no run profits from pages or stacks an earlier
//! one left behind. A child creates N coroutines, each parked on its own
//! pending `Future<u64>` (`wait=future`) or on `gen_::moment`
//! (`wait=moment`), reads `VmRSS` and `VmPTE` from `/proc/self/status`
//! before and after, then resolves the futures and runs the loop until
//! idle, checking every result.
//!
//! Reported per coroutine:
//!
//! * `RSS`: growth of `VmRSS`, in KiB, split into `stack` (the resident
//!   pages of the mappings that hold coroutine stacks, from
//!   `/proc/self/smaps`) and `rest` (heap: futures, the runner's slab);
//! * `PTE`: growth of `VmPTE` (page tables, not part of RSS), in bytes;
//! * `heap`: live bytes and allocations requested from the allocator
//!   (counted by a wrapping global allocator), and the allocation sizes
//!   that occur about once per coroutine or more;
//! * `touched`: how many pages each stack has resident, from `mincore`
//!   over the stack mappings (runs of resident pages: a stack touches a
//!   contiguous run below its header);
//! * `create` and `resume`: wall time per coroutine.
//!
//! The harness's own vectors (the futures and result handles it keeps) are
//! allocated and touched before the first reading, so they are not counted.
//! The input futures of `wait=future` are counted: they are what the
//! coroutines wait on.
//!
//! Configurations: the default stack size and 16 KiB, 100,000 and
//! 1,000,000 coroutines, both waits. Without `--bench` (as `cargo test
//! --benches` runs it) the counts are divided by 1000: a smoke test.
//!
//! In full mode, if `python3` can import tornado, the Tornado baseline
//! `benches/baselines/tornado_memory.py` runs afterwards for comparison
//! (`GUST_BENCH_NO_TORNADO=1` skips it).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use gust::concurrent::Future;
use gust::gen_;
use gust::prelude::*;
use gust::stacks::{DEFAULT_STACK_SIZE, guard_mode, stack_stats};

// ---------------------------------------------------------------------------
// A counting allocator.

/// Allocation sizes are counted exactly in 16-byte steps up to this size.
const HIST_MAX: usize = 2048;
const HIST_BUCKETS: usize = HIST_MAX / 16 + 1;

struct Counting;

static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);
static LIVE_ALLOCS: AtomicI64 = AtomicI64::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicI64 = AtomicI64::new(0);
/// Live allocations by requested size, rounded up to 16 bytes (the last
/// bucket: larger).
static BY_SIZE: [AtomicI64; HIST_BUCKETS] = [ZERO; HIST_BUCKETS];

fn bucket(size: usize) -> usize {
    size.div_ceil(16).min(HIST_BUCKETS - 1)
}

fn count(size: usize, sign: i64) {
    LIVE_BYTES.fetch_add(sign * size as i64, Ordering::Relaxed);
    LIVE_ALLOCS.fetch_add(sign, Ordering::Relaxed);
    BY_SIZE[bucket(size)].fetch_add(sign, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counters are only statistics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size(), 1);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size(), 1);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(layout.size(), -1);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(layout.size(), -1);
            count(new_size, 1);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Clone)]
struct HeapSnapshot {
    bytes: i64,
    allocs: i64,
    by_size: Vec<i64>,
}

fn heap_snapshot() -> HeapSnapshot {
    HeapSnapshot {
        bytes: LIVE_BYTES.load(Ordering::Relaxed),
        allocs: LIVE_ALLOCS.load(Ordering::Relaxed),
        by_size: BY_SIZE.iter().map(|c| c.load(Ordering::Relaxed)).collect(),
    }
}

// ---------------------------------------------------------------------------
// /proc readings.

/// A field of /proc/self/status in KiB.
fn status_kib(field: &str) -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn vma_count() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// The mappings of this process: (start, end, Rss in KiB).
fn smaps() -> Vec<(usize, usize, u64)> {
    let text = std::fs::read_to_string("/proc/self/smaps").expect("read /proc/self/smaps");
    let mut out: Vec<(usize, usize, u64)> = Vec::new();
    for line in text.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((a, b)) = first.split_once('-') {
            if let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)) {
                out.push((a, b, 0));
                continue;
            }
        }
        if let Some(rest) = line.strip_prefix("Rss:") {
            if let Some(last) = out.last_mut() {
                last.2 = rest.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
            }
        }
    }
    out
}

/// The mappings that contain one of `addrs` (sorted).
fn mappings_holding(addrs: &[usize]) -> Vec<(usize, usize, u64)> {
    smaps()
        .into_iter()
        .filter(|&(start, end, _)| {
            let i = addrs.partition_point(|&a| a < start);
            i < addrs.len() && addrs[i] < end
        })
        .collect()
}

/// Lengths of the runs of resident pages in `[start, end)`, as a
/// histogram: run length in pages -> number of runs.
fn resident_runs(start: usize, end: usize, histogram: &mut BTreeMap<usize, usize>) {
    let page = 4096;
    let chunk = 32 << 20;
    let mut vec = vec![0u8; chunk / page];
    let mut run = 0usize;
    let mut at = start;
    while at < end {
        let len = chunk.min(end - at);
        let pages = len / page;
        // SAFETY: `at..at+len` lies inside a mapping of this process (read
        // from smaps, not unmapped since: nothing runs concurrently), and
        // `vec` has a byte per page.
        let rc = unsafe { libc::mincore(at as *mut libc::c_void, len, vec.as_mut_ptr()) };
        if rc != 0 {
            eprintln!("mincore failed: {}", std::io::Error::last_os_error());
            return;
        }
        for &resident in &vec[..pages] {
            if resident & 1 != 0 {
                run += 1;
            } else if run > 0 {
                *histogram.entry(run).or_default() += 1;
                run = 0;
            }
        }
        at += len;
    }
    if run > 0 {
        *histogram.entry(run).or_default() += 1;
    }
}

// ---------------------------------------------------------------------------
// One measurement (in a child process).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    Future,
    Moment,
}

#[derive(Clone, Copy, Debug)]
struct Config {
    stack: usize,
    wait: Wait,
    n: usize,
}

impl Config {
    fn name(&self) -> String {
        let stack = if self.stack == DEFAULT_STACK_SIZE {
            format!("default({}K)", self.stack / 1024)
        } else {
            format!("{}K", self.stack / 1024)
        };
        let wait = match self.wait {
            Wait::Future => "future",
            Wait::Moment => "moment",
        };
        format!("stack={stack} wait={wait} n={}", self.n)
    }

    fn args(&self) -> Vec<String> {
        vec![
            "--child".to_owned(),
            self.stack.to_string(),
            format!("{:?}", self.wait).to_lowercase(),
            self.n.to_string(),
        ]
    }

    fn parse(args: &[String]) -> Config {
        Config {
            stack: args[0].parse().expect("stack size"),
            wait: if args[1] == "moment" {
                Wait::Moment
            } else {
                Wait::Future
            },
            n: args[2].parse().expect("count"),
        }
    }
}

thread_local! {
    /// The address of a local on the stack of the coroutine that ran last.
    static STACK_ADDR: Cell<usize> = const { Cell::new(0) };
}

#[inline(never)]
fn note_stack_address() {
    let marker = 0u8;
    STACK_ADDR.with(|a| a.set(std::hint::black_box(&marker as *const u8 as usize)));
}

/// A Vec with room for `n` elements whose pages are already resident, so
/// that filling it does not count as coroutine memory.
fn touched_vec<T>(n: usize) -> Vec<T> {
    let mut v = Vec::with_capacity(n);
    let spare = v.spare_capacity_mut();
    // SAFETY: writing zero bytes over uninitialised capacity we own; the
    // length stays 0.
    unsafe { std::ptr::write_bytes(spare.as_mut_ptr(), 0, spare.len()) };
    v
}

fn spawn(config: &Config, index: usize, input: Option<Future<u64>>) -> Future<u64> {
    let builder = gen_::Builder::new().stack_size(config.stack);
    let i = index as u64;
    match input {
        Some(f) => builder.spawn(move |co| {
            note_stack_address();
            Ok(co.yield_(f)? + i)
        }),
        None => builder.spawn(move |co| {
            note_stack_address();
            co.yield_(gen_::moment)?;
            Ok(i)
        }),
    }
}

fn child(config: Config) {
    let n = config.n;
    let io_loop = IOLoop::new();
    // Warm up: the signal handler, the loop's runner registry, the size
    // class, /proc readers.
    {
        let f = spawn(&config, 0, None);
        io_loop.run_until_idle().unwrap();
        f.take_result().unwrap();
        let _ = (status_kib("VmRSS"), vma_count(), heap_snapshot());
    }
    let mut inputs: Vec<Future<u64>> = touched_vec(if config.wait == Wait::Future { n } else { 0 });
    let mut results: Vec<Future<u64>> = touched_vec(n);
    let mut addrs: Vec<usize> = touched_vec(n);
    let maps0 = vma_count();
    let stats0 = stack_stats();
    let heap0 = heap_snapshot();
    let rss0 = status_kib("VmRSS");
    let pte0 = status_kib("VmPTE");

    let start = Instant::now();
    for i in 0..n {
        let input = match config.wait {
            Wait::Future => {
                let f = Future::new();
                inputs.push(f.clone());
                Some(f)
            }
            Wait::Moment => None,
        };
        let result = spawn(&config, i, input);
        addrs.push(STACK_ADDR.with(Cell::get));
        results.push(result);
    }
    let create = start.elapsed();

    let rss1 = status_kib("VmRSS");
    let pte1 = status_kib("VmPTE");
    let heap1 = heap_snapshot();
    let stats1 = stack_stats();
    let maps1 = vma_count();
    let suspended = gust::runner::runners(&io_loop).len();
    assert_eq!(suspended, n, "every coroutine should be suspended");
    assert_eq!(stats1.live - stats0.live, n);

    // Where the resident pages are.
    addrs.sort_unstable();
    let stack_maps = mappings_holding(&addrs);
    let stack_rss_kib: u64 = stack_maps.iter().map(|m| m.2).sum();
    let mut runs = BTreeMap::new();
    for &(start, end, _) in &stack_maps {
        resident_runs(start, end, &mut runs);
    }

    let start = Instant::now();
    for (i, f) in inputs.iter().enumerate() {
        f.set_result(i as u64).unwrap();
    }
    io_loop.run_until_idle().unwrap();
    let resume = start.elapsed();
    for (i, f) in results.iter().enumerate() {
        let expected = match config.wait {
            Wait::Future => 2 * i as u64,
            Wait::Moment => i as u64,
        };
        assert_eq!(f.take_result().unwrap(), expected);
    }
    assert_eq!(stack_stats().live, stats0.live);
    drop(results);
    drop(inputs);
    // What stays resident once every coroutine has finished: the pooled
    // stacks keep their touched pages.
    let rss_retained = status_kib("VmRSS");

    // Again, on the stacks the first round left in the pool (their guard
    // pages installed, their top pages resident).
    let mut inputs: Vec<Future<u64>> = touched_vec(if config.wait == Wait::Future { n } else { 0 });
    let mut results: Vec<Future<u64>> = touched_vec(n);
    let regions_before = stack_stats().regions;
    let start = Instant::now();
    for i in 0..n {
        let input = match config.wait {
            Wait::Future => {
                let f = Future::new();
                inputs.push(f.clone());
                Some(f)
            }
            Wait::Moment => None,
        };
        results.push(spawn(&config, i, input));
    }
    let create_pooled = start.elapsed();
    assert_eq!(
        stack_stats().regions,
        regions_before,
        "the second round reuses stacks"
    );
    let start = Instant::now();
    for (i, f) in inputs.iter().enumerate() {
        f.set_result(i as u64).unwrap();
    }
    io_loop.run_until_idle().unwrap();
    let resume_pooled = start.elapsed();
    assert!(results.iter().all(|f| f.take_result().is_ok()));

    let per = |x: f64| x / n as f64;
    let rss_kib = per((rss1 - rss0) as f64);
    let stack_kib = per(stack_rss_kib as f64);
    let sizes: Vec<String> = heap1
        .by_size
        .iter()
        .zip(&heap0.by_size)
        .enumerate()
        .filter_map(|(b, (after, before))| {
            let count = per((after - before) as f64);
            (count >= 0.5).then(|| {
                let size = if b == HIST_BUCKETS - 1 {
                    format!(">{HIST_MAX}")
                } else {
                    format!("{}", b * 16)
                };
                format!("{count:.2}x{size}B")
            })
        })
        .collect();
    let runs: Vec<String> = runs
        .iter()
        .map(|(len, count)| format!("{len}p:{count}"))
        .collect();
    println!(
        "RESULT {} | rss_kib={:.3} stack_kib={:.3} rest_kib={:.3} pte_b={:.1} heap_b={:.1} allocs={:.2} \
         create_ns={:.0} resume_ns={:.0} create_pooled_ns={:.0} resume_pooled_ns={:.0} retained_kib={:.3} vmas={}->{} regions={} reserved_gib={:.1} | sizes {} | runs {}",
        config.name(),
        rss_kib,
        stack_kib,
        rss_kib - stack_kib,
        per((pte1 - pte0) as f64 * 1024.0),
        per((heap1.bytes - heap0.bytes) as f64),
        per((heap1.allocs - heap0.allocs) as f64),
        per(create.as_nanos() as f64),
        per(resume.as_nanos() as f64),
        per(create_pooled.as_nanos() as f64),
        per(resume_pooled.as_nanos() as f64),
        per((rss_retained - rss0) as f64),
        maps0,
        maps1,
        stats1.regions,
        stats1.reserved_bytes as f64 / f64::from(1u32 << 30),
        sizes.join(" "),
        runs.join(" "),
    );
    // Leave at once: dropping a million of everything is not measured.
    std::process::exit(0);
}

// ---------------------------------------------------------------------------
// The parent: runs each configuration in a child and prints a table.

struct Row {
    name: String,
    fields: BTreeMap<String, String>,
    sizes: String,
    runs: String,
}

fn parse_result(line: &str) -> Option<Row> {
    let rest = line.strip_prefix("RESULT ")?;
    let mut parts = rest.split(" | ");
    let name = parts.next()?.to_owned();
    let fields = parts
        .next()?
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let sizes = parts.next().unwrap_or("").trim_start_matches("sizes ").to_owned();
    let runs = parts.next().unwrap_or("").trim_start_matches("runs ").to_owned();
    Some(Row {
        name,
        fields,
        sizes,
        runs,
    })
}

/// The first run's row, with each time replaced by the median over `runs`.
fn median_times(mut runs: Vec<Row>) -> Row {
    let times = ["create_ns", "resume_ns", "create_pooled_ns", "resume_pooled_ns"];
    let medians: Vec<(String, String)> = times
        .iter()
        .map(|&key| {
            let mut values: Vec<f64> = runs
                .iter()
                .filter_map(|row| row.fields.get(key)?.parse().ok())
                .collect();
            values.sort_by(f64::total_cmp);
            let median = values.get(values.len() / 2).copied().unwrap_or(f64::NAN);
            (key.to_owned(), format!("{median:.0}"))
        })
        .collect();
    let mut row = runs.swap_remove(0);
    row.fields.extend(medians);
    row
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "--child") {
        child(Config::parse(&args[at + 1..]));
        return;
    }
    let full = args.iter().any(|a| a == "--bench");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let scale = if full { 1 } else { 1000 };
    let repeat = std::env::var("GUST_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&r| r > 0)
        .unwrap_or(if full { 3 } else { 1 });

    println!(
        "engine_memory: guard mode {:?}, page size 4096, default stack {} KiB{}",
        guard_mode(),
        DEFAULT_STACK_SIZE / 1024,
        if full { "" } else { " (smoke test: counts / 1000)" }
    );
    println!(
        "each configuration runs {repeat} times in a fresh process; times are medians, memory from the first run"
    );
    let mut rows = Vec::new();
    for n in [100_000, 1_000_000] {
        for stack in [DEFAULT_STACK_SIZE, 16 * 1024] {
            for wait in [Wait::Future, Wait::Moment] {
                let config = Config {
                    stack,
                    wait,
                    n: n / scale,
                };
                let name = config.name();
                if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
                    continue;
                }
                let started = Instant::now();
                let mut runs = Vec::new();
                for _ in 0..repeat {
                    let output = Command::new(std::env::current_exe().expect("own path"))
                        .args(config.args())
                        .output()
                        .expect("run a child");
                    let stdout = String::from_utf8_lossy(&output.stdout);
                    let Some(row) = stdout.lines().find_map(parse_result) else {
                        eprintln!(
                            "{name}: the child failed ({}):\n{}{}",
                            output.status,
                            stdout,
                            String::from_utf8_lossy(&output.stderr)
                        );
                        std::process::exit(1);
                    };
                    runs.push(row);
                }
                let row = median_times(runs);
                let f = |k: &str| row.fields.get(k).map(String::as_str).unwrap_or("?");
                println!(
                    "{:<40} RSS {:>6} KiB/co (stack {} + rest {})  PTE {:>5} B/co  heap {} B in {} allocs/co  \
                     create {} ns/co  resume {} ns/co  \
                     pooled: create {} ns/co  resume {} ns/co  retained {} KiB/co  VMAs {}  regions {}  ({:.1?})",
                    name,
                    f("rss_kib"),
                    f("stack_kib"),
                    f("rest_kib"),
                    f("pte_b"),
                    f("heap_b"),
                    f("allocs"),
                    f("create_ns"),
                    f("resume_ns"),
                    f("create_pooled_ns"),
                    f("resume_pooled_ns"),
                    f("retained_kib"),
                    f("vmas"),
                    f("regions"),
                    started.elapsed(),
                );
                println!("    # live allocations per coroutine by size: {}", row.sizes);
                println!("    # resident pages per stack (run length: count): {}", row.runs);
                rows.push(row);
            }
        }
    }

    if !rows.is_empty() {
        println!();
        println!(
            "| coroutines | stack | parked on | RSS KiB/co | of which stack | page tables B/co | heap B/co | create ns/co (fresh / pooled) | resume ns/co (fresh / pooled) | RSS kept after all finished KiB/co |"
        );
        println!("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|");
        for row in &rows {
            let f = |k: &str| row.fields.get(k).map(String::as_str).unwrap_or("?");
            let mut words = row.name.split_whitespace();
            let stack = words.next().unwrap_or("").trim_start_matches("stack=");
            let wait = words.next().unwrap_or("").trim_start_matches("wait=");
            let n = words.next().unwrap_or("").trim_start_matches("n=");
            println!(
                "| {n} | {stack} | {wait} | {} | {} | {} | {} | {} / {} | {} / {} | {} |",
                f("rss_kib"),
                f("stack_kib"),
                f("pte_b"),
                f("heap_b"),
                f("create_ns"),
                f("create_pooled_ns"),
                f("resume_ns"),
                f("resume_pooled_ns"),
                f("retained_kib"),
            );
        }
    }

    if full && std::env::var_os("GUST_BENCH_NO_TORNADO").is_none() {
        tornado_baseline();
    }
}

/// Runs the Tornado baseline if python3 has tornado.
fn tornado_baseline() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/baselines/tornado_memory.py");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let has_tornado = Command::new(&python)
        .args(["-c", "import tornado"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    println!();
    if !has_tornado {
        println!("tornado baseline skipped: {python} cannot import tornado (pip install tornado)");
        return;
    }
    for n in ["100000", "1000000"] {
        for wait in ["future", "moment"] {
            match Command::new(&python).args([script, n, wait]).output() {
                Ok(output) if output.status.success() => {
                    print!("{}", String::from_utf8_lossy(&output.stdout));
                }
                Ok(output) => println!(
                    "tornado baseline n={n} wait={wait} failed ({}): {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr)
                ),
                Err(e) => println!("tornado baseline: cannot run {python}: {e}"),
            }
        }
    }
}
