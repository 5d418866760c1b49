//! What an idle or lightly loaded process costs in CPU time.
//!
//! `cargo bench --bench idle`. Each scenario runs for 10 s of real time
//! and prints the CPU time the process used meanwhile (all its threads:
//! the sum of `/proc/self/task/*/schedstat`), as a percentage of one core:
//!
//! - `idle loop`: a loop on the system clock with nothing to do but one
//!   timer 10 s away;
//! - `idle pool`: a `ThreadPoolExecutor` with 4 workers that each ran a
//!   job, then nothing for 10 s (the loop waits on a timer meanwhile);
//! - `one job per ms`: a coroutine submitting one trivial job to a pool
//!   every millisecond and waiting for it (the workers' spin before they
//!   sleep is what this measures);
//! - `back to back`: the same with no pause between jobs (for the round
//!   trip the spin is there for: jobs per second, and CPU).
//!
//! CPU time is the process's own, so other load on the machine does not
//! count (it may only delay wake-ups). Arguments not starting with `-`
//! select scenarios by name; `GUST_IDLE_SECONDS` changes the 10 s. Without
//! `--bench` each scenario runs for 50 ms (a smoke test).

use std::time::{Duration, Instant};

use gust::concurrent::ThreadPoolExecutor;
use gust::gen_;
use gust::prelude::*;

/// CPU time used so far by every live thread of this process.
fn process_cpu() -> Duration {
    let mut total = 0u64;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
            total += stat
                .split_whitespace()
                .next()
                .and_then(|ns| ns.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_nanos(total)
}

fn report(name: &str, real: Duration, cpu: Duration, extra: &str) {
    println!(
        "idle/{name:<16} {:>6.2} s real  {:>8.1} ms CPU  {:>6.3} % of a core{extra}",
        real.as_secs_f64(),
        cpu.as_secs_f64() * 1e3,
        100.0 * cpu.as_secs_f64() / real.as_secs_f64()
    );
}

fn idle_loop(span: Duration) {
    let io_loop = IOLoop::new();
    io_loop.call_later(span, || IOLoop::current().stop());
    let (cpu, real) = (process_cpu(), Instant::now());
    io_loop.start().unwrap();
    report("idle loop", real.elapsed(), process_cpu() - cpu, "");
}

fn idle_pool(span: Duration) {
    let io_loop = IOLoop::new();
    let pool = ThreadPoolExecutor::new(4);
    // Start the four workers: four jobs at once.
    let p = pool.clone();
    io_loop
        .run_sync(
            move || {
                let jobs: Vec<_> = (0..4)
                    .map(|_| p.submit(|| std::thread::sleep(Duration::from_millis(5))))
                    .collect();
                jobs
            },
            None,
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(10));
    io_loop.call_later(span, || IOLoop::current().stop());
    let (cpu, real) = (process_cpu(), Instant::now());
    io_loop.start().unwrap();
    report("idle pool", real.elapsed(), process_cpu() - cpu, "");
    pool.shutdown(true, false);
}

fn jobs(name: &str, span: Duration, pause: Option<Duration>) {
    let io_loop = IOLoop::new();
    let pool = ThreadPoolExecutor::new(4);
    let (cpu, real) = (process_cpu(), Instant::now());
    let done = io_loop
        .run_sync(
            move || {
                gen_::coroutine(move |co| {
                    let start = Instant::now();
                    let mut done = 0u64;
                    while start.elapsed() < span {
                        co.yield_(pool.submit(|| std::hint::black_box(1u64)))?;
                        done += 1;
                        if let Some(pause) = pause {
                            co.yield_(gen_::sleep(pause))?;
                        }
                    }
                    pool.shutdown(true, false);
                    Ok(done)
                })
            },
            None,
        )
        .unwrap();
    let real = real.elapsed();
    let rate = done as f64 / real.as_secs_f64();
    report(
        name,
        real,
        process_cpu() - cpu,
        &format!("  ({done} jobs, {rate:.0} jobs/s)"),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|arg| arg == "--bench");
    let filters: Vec<&String> = args.iter().filter(|arg| !arg.starts_with('-')).collect();
    let run = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    // GUST_IDLE_SECONDS shortens (or lengthens) each scenario.
    let seconds = std::env::var("GUST_IDLE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10.0);
    let span = if full {
        Duration::from_secs_f64(seconds)
    } else {
        Duration::from_millis(50)
    };
    if run("idle loop") {
        idle_loop(span);
    }
    if run("idle pool") {
        idle_pool(span);
    }
    if run("one job per ms") {
        jobs("one job per ms", span, Some(Duration::from_millis(1)));
    }
    if run("back to back") {
        jobs("back to back", span, None);
    }
}
