//! Overload: other threads flooding a loop with callbacks.
//!
//! `cargo bench --bench overload`. For 8 and 32 threads, together sending
//! 1.6 million callbacks a second through `LoopHandle::add_callback`
//! (each callback doing about 2 µs of work, so the loop can run at most
//! about half a million a second: the backlog grows), the loop (on the
//! system clock) has a timer due 2 s after the flood starts; the timer
//! stops the flood. Printed per scenario:
//!
//! - `late`: how long after its deadline the timer ran (a loop that drains
//!   every queued callback before it runs due timers is late by however
//!   long the backlog takes);
//! - `peak RSS` (`VmHWM`) and `RSS after`: resident memory at the peak and
//!   once the backlog is drained and one more callback ran (a queue that
//!   keeps the room a burst gave it stays at the peak).
//!
//! The scenarios run in that order in one process, so `RSS after` of the
//! second includes what the first left behind, and the peak is the
//! process's. Numbers depend on the machine and its load; compare builds
//! in the same run. Without `--bench` (`cargo test --benches`) it runs a
//! 20 ms version of one scenario as a smoke test.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gust::prelude::*;
use std::hint::black_box;

/// A field of /proc/self/status in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// About 2 µs of work.
fn work() {
    let mut x = 0u64;
    for i in 0..1_000u64 {
        x = black_box(x.wrapping_mul(31).wrapping_add(i));
    }
    black_box(x);
}

/// Callbacks sent per second, all threads together.
const OFFERED_PER_SECOND: u64 = 1_600_000;

fn scenario(threads: usize, due: Duration) {
    let io_loop = IOLoop::new();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    // Each thread sends a batch, then waits for its next slot.
    const BATCH: u64 = 1_000;
    let period = Duration::from_secs_f64(BATCH as f64 * threads as f64 / OFFERED_PER_SECOND as f64);
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (handle, stop, sent) = (io_loop.handle(), stop.clone(), sent.clone());
            std::thread::spawn(move || {
                let mut count = 0u64;
                let mut next = Instant::now();
                'flood: while !stop.load(Ordering::Relaxed) {
                    for _ in 0..BATCH {
                        if handle.add_callback(work).is_err() {
                            break 'flood;
                        }
                        count += 1;
                    }
                    next += period;
                    if let Some(wait) = next.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                }
                sent.fetch_add(count, Ordering::Relaxed);
            })
        })
        .collect();
    let started = Instant::now();
    let late = Rc::new(Cell::new(Duration::ZERO));
    let (l, s) = (late.clone(), stop.clone());
    io_loop.call_later(due, move || {
        l.set(started.elapsed().saturating_sub(due));
        s.store(true, Ordering::Relaxed);
        IOLoop::current().stop();
    });
    io_loop.start().unwrap();
    for worker in workers {
        worker.join().unwrap();
    }
    let drained = Instant::now();
    io_loop.run_until_idle().unwrap();
    let drain = drained.elapsed();
    io_loop.add_callback(|| {});
    io_loop.run_until_idle().unwrap();
    println!(
        "overload/{threads} threads, timer due {:?}   late {:.3} s  sent {} callbacks  drain after {:.3} s  peak RSS {} MiB  RSS after {} MiB",
        due,
        late.get().as_secs_f64(),
        sent.load(Ordering::Relaxed),
        drain.as_secs_f64(),
        status_kib("VmHWM") / 1024,
        status_kib("VmRSS") / 1024,
    );
    io_loop.close().unwrap();
}

fn main() {
    let full = std::env::args().any(|arg| arg == "--bench");
    if full {
        scenario(8, Duration::from_secs(2));
        scenario(32, Duration::from_secs(2));
    } else {
        scenario(2, Duration::from_millis(20));
    }
}
