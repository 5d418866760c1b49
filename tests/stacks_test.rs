//! Integration tests of coroutine stacks: the pooled allocator with guard
//! pages, typed errors on exhaustion, the overflow message, and reuse.
//!
//! These prove the "Stacks" section of the design: 100,000 suspended
//! coroutines fit on the default `vm.max_map_count` (65530) because stacks
//! cost no VMA each; running out of stacks is a [`StackExhaustedError`] in
//! the coroutine's future, never a panic; overflowing a coroutine stack
//! aborts with a message naming the coroutine, while faults that are not
//! ours still reach Rust's own handler.
//!
//! Crashes and resource limits are tested in a child process: the test
//! binary runs itself (`--exact NAME --nocapture`) with [`CHILD_ENV`] set
//! to the test's name, and the same test function, seeing that variable,
//! plays the child. The parent checks the child's exit status and output,
//! including a marker line the child prints, so a child that ran no test at
//! all cannot pass.
//!
//! The stack pool is per thread and libtest runs each test on its own
//! thread, so counts are compared with the thread's counts at the start of
//! the test.

use std::cell::Cell;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output};
use std::rc::Rc;

use gust::ErrorKind;
use gust::engine::{
    DEFAULT_STACK_SIZE, GuardMode, MIN_STACK_SIZE, StackStats, guard_mode, set_max_live_stacks, stack_stats,
};
use gust::gen_;
use gust::prelude::*;
use gust::yieldables::{PanicError, StackExhaustedError};

/// Set in a child process to the name of the test it runs.
const CHILD_ENV: &str = "GUST_STACKS_TEST_CHILD";

/// Printed by a child when its part of the test ran to the end.
const CHILD_DONE: &str = "GUST-CHILD-DONE";

/// Whether this process is the child of the test `name`.
fn is_child(name: &str) -> bool {
    std::env::var(CHILD_ENV).as_deref() == Ok(name)
}

/// Runs the test `name` of this binary in a child process, which sees
/// [`CHILD_ENV`] set and so plays the child's part.
fn run_child(name: &str, envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(std::env::current_exe().expect("the test binary's path"));
    command
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, name)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LOG");
    for (key, value) in envs {
        command.env(key, value);
    }
    let output = command.output().expect("run the test binary as a child");
    eprintln!(
        "child {name}: {}\n--- child stdout ---\n{}--- child stderr ---\n{}--- end of child output ---",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// No core files from children that crash on purpose.
fn no_core_dumps() {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit with a valid struct; lowering a limit is always allowed.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &zero);
    }
}

/// The number of memory mappings (VMAs) of this process.
fn vma_count() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .expect("read /proc/self/maps")
        .lines()
        .count()
}

/// A field of /proc/self/status in KiB (e.g. `VmSize`).
fn status_kib(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

fn max_map_count() -> usize {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(65530)
}

/// What a coroutine of the 100,000 waits on.
enum Wait {
    /// Its own pending future.
    Own(Future<u64>),
    /// The shared gate, by reference.
    Gate,
    /// One loop iteration.
    Moment,
}

/// 100,000 coroutines suspended at once, a third each on its own future,
/// on a shared future and on `moment`, with 16 KiB stacks. Takes about 2 s
/// and, in a debug build (where a suspended coroutine's frames cover 2–3
/// pages), about 1 GiB of RSS at the peak; 0.43 GiB optimized.
#[test]
fn hundred_thousand_suspended_coroutines_fit_in_the_default_map_count() {
    const N: u64 = 100_000;
    let io_loop = IOLoop::new();
    let stats0 = stack_stats();
    let maps0 = vma_count();
    if guard_mode() == GuardMode::Mprotect {
        // An old kernel (< 6.13): two VMAs per stack, so 100,000 cannot fit
        // in 65530 maps. Then the promise is a typed error before the limit.
        let mut made = Vec::new();
        let error = loop {
            let f: Future<()> = gen_::Builder::new()
                .stack_size(MIN_STACK_SIZE)
                .spawn(|co| co.yield_(gen_::moment));
            if f.done() {
                break f.take_result().unwrap_err();
            }
            made.push(f);
            // Each such stack costs two maps: the budget must run out first.
            assert!(
                made.len() < max_map_count() / 2,
                "no typed error before the map limit"
            );
        };
        assert_eq!(error.kind(), ErrorKind::StackExhausted, "{error}");
        assert!(vma_count() < max_map_count());
        return;
    }
    assert_eq!(guard_mode(), GuardMode::GuardInstall);

    let gate: Future<u64> = Future::new();
    let mut waits = Vec::with_capacity(N as usize);
    let mut results = Vec::with_capacity(N as usize);
    for i in 0..N {
        let wait = match i % 3 {
            0 => Wait::Own(Future::new()),
            1 => Wait::Gate,
            _ => Wait::Moment,
        };
        let builder = gen_::Builder::new().stack_size(16 * 1024);
        let result: Future<u64> = match &wait {
            Wait::Own(f) => {
                let f = f.clone();
                builder.spawn(move |co| Ok(co.yield_(f)? * 2))
            }
            Wait::Gate => {
                let gate = gate.clone();
                builder.spawn(move |co| Ok(co.yield_(&gate)? + i))
            }
            Wait::Moment => builder.spawn(move |co| {
                co.yield_(gen_::moment)?;
                Ok(i)
            }),
        };
        assert!(
            !result.done(),
            "coroutine {i} did not suspend: {:?}",
            result.exception()
        );
        waits.push(wait);
        results.push(result);
    }

    assert_eq!(gen_::runners(&io_loop).len(), N as usize);
    let stats = stack_stats();
    assert_eq!(stats.live - stats0.live, N as usize, "{stats:?}");
    let maps = vma_count();
    eprintln!(
        "{N} suspended coroutines: {} VMAs before, {maps} after ({} regions, vm.max_map_count {})",
        maps0,
        stats.regions,
        max_map_count()
    );
    assert!(
        maps < maps0 + 1_000,
        "{N} suspended coroutines added {} VMAs (from {maps0} to {maps}); the design promises ~1 per 32 MiB region",
        maps.saturating_sub(maps0)
    );

    // Resume them all.
    for (i, wait) in waits.iter().enumerate() {
        if let Wait::Own(f) = wait {
            f.set_result(i as u64 + 7).unwrap();
        }
    }
    gate.set_result(1_000_000).unwrap();
    io_loop.run_until_idle().unwrap();

    for (i, result) in results.iter().enumerate() {
        let i = i as u64;
        let expected = match i % 3 {
            0 => (i + 7) * 2,
            1 => 1_000_000 + i,
            _ => i,
        };
        assert!(result.done(), "coroutine {i} is still suspended");
        assert_eq!(result.take_result().unwrap(), expected, "coroutine {i}");
    }
    assert!(gen_::runners(&io_loop).is_empty());
    let after = stack_stats();
    assert_eq!(after.live, stats0.live, "{after:?}");
    assert_eq!(after.pooled - stats0.pooled, N as usize, "{after:?}");
    assert_eq!(after.regions, stats.regions, "finishing must not map regions");
}

#[test]
fn the_live_stack_limit_fails_the_next_coroutine_with_a_typed_error() {
    const LIMIT: usize = 50;
    let io_loop = IOLoop::new();
    let base = stack_stats().live;
    set_max_live_stacks(Some(base + LIMIT));

    let first_gate: Future<u32> = Future::new();
    let second_gate: Future<u32> = Future::new();
    let mut waiting = Vec::new();
    for i in 0..LIMIT as u32 {
        let gate = if i < 20 {
            first_gate.clone()
        } else {
            second_gate.clone()
        };
        waiting.push(gen_::coroutine(move |co| Ok(co.yield_(&gate)? + i)));
    }
    assert!(waiting.iter().all(|f| !f.done()));
    assert_eq!(stack_stats().live, base + LIMIT);

    // The (LIMIT+1)th: no panic, a failed future, and the body never runs.
    let ran = Rc::new(Cell::new(false));
    let ran2 = ran.clone();
    let refused: Future<u32> = gen_::Builder::new().name("one-too-many").spawn(move |_co| {
        ran2.set(true);
        Ok(0)
    });
    assert!(refused.done());
    assert!(!ran.get(), "the refused coroutine's body ran");
    let error = refused.take_result().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::StackExhausted, "{error}");
    let exhausted = error
        .downcast_ref::<StackExhaustedError>()
        .expect("a StackExhaustedError");
    assert!(exhausted.stack_size >= DEFAULT_STACK_SIZE, "{exhausted:?}");
    assert!(
        exhausted.reason.contains("set_max_live_stacks"),
        "the reason should name the limit: {}",
        exhausted.reason
    );
    assert!(
        error.to_string().starts_with("no stack for a new coroutine"),
        "{error}"
    );
    assert_eq!(
        stack_stats().live,
        base + LIMIT,
        "a refused coroutine holds no stack"
    );

    // Generator::new is refused the same way.
    let generator = gen_::Generator::<(), (), ()>::new(|_y| Ok(()));
    assert!(generator.is_err());

    // Release 20 (the first gate); 20 new coroutines fit, and not 21.
    first_gate.set_result(100).unwrap();
    io_loop.run_until_idle().unwrap();
    for (i, f) in waiting.iter().enumerate().take(20) {
        assert_eq!(f.take_result().unwrap(), 100 + i as u32);
    }
    assert_eq!(stack_stats().live, base + LIMIT - 20);
    let mut again = Vec::new();
    for i in 0..20u32 {
        let gate = second_gate.clone();
        let f: Future<u32> = gen_::coroutine(move |co| Ok(co.yield_(&gate)? * i));
        assert!(!f.done(), "creation after release failed: {:?}", f.exception());
        again.push(f);
    }
    let refused: Future<u32> = gen_::coroutine(|_co| Ok(0));
    assert_eq!(
        refused.take_result().unwrap_err().kind(),
        ErrorKind::StackExhausted
    );

    // Lifting the limit lets more in.
    set_max_live_stacks(None);
    let extra: Future<u32> = gen_::coroutine(|co| co.yield_(gen_::moment).map(|()| 5));
    assert!(!extra.done());

    second_gate.set_result(3).unwrap();
    io_loop.run_until_idle().unwrap();
    for (i, f) in waiting.iter().enumerate().skip(20) {
        assert_eq!(f.take_result().unwrap(), 3 + i as u32);
    }
    for (i, f) in again.iter().enumerate() {
        assert_eq!(f.take_result().unwrap(), 3 * i as u32);
    }
    assert_eq!(extra.take_result().unwrap(), 5);
    assert_eq!(stack_stats().live, base);
}

#[test]
fn running_out_of_address_space_is_a_typed_error() {
    const NAME: &str = "running_out_of_address_space_is_a_typed_error";
    if is_child(NAME) {
        // Room for a few 32 MiB stack regions above what is mapped now.
        let vm_size = status_kib("VmSize") as u64 * 1024;
        let limit = vm_size + (200 << 20);
        let rlimit = libc::rlimit {
            rlim_cur: limit as libc::rlim_t,
            rlim_max: libc::RLIM_INFINITY,
        };
        // SAFETY: setrlimit with a valid struct.
        let rc = unsafe { libc::setrlimit(libc::RLIMIT_AS, &rlimit) };
        assert_eq!(rc, 0, "setrlimit: {}", std::io::Error::last_os_error());

        let io_loop = IOLoop::new();
        let gate: Future<usize> = Future::new();
        let mut made = Vec::new();
        let error = loop {
            let g = gate.clone();
            let n = made.len();
            let f: Future<usize> = gen_::coroutine(move |co| Ok(co.yield_(&g)? + n));
            if f.done() {
                break f.take_result().unwrap_err();
            }
            made.push(f);
            assert!(made.len() < 1_000_000, "RLIMIT_AS never stopped stack allocation");
        };
        println!("created {} coroutines, then: {error}", made.len());
        assert_eq!(error.kind(), ErrorKind::StackExhausted, "{error}");
        let exhausted = error.downcast_ref::<StackExhaustedError>().unwrap();
        assert!(exhausted.reason.contains("mmap"), "{exhausted:?}");
        assert!(!made.is_empty());

        // Everything created before still works...
        gate.set_result(1).unwrap();
        io_loop.run_until_idle().unwrap();
        for (n, f) in made.iter().enumerate() {
            assert_eq!(f.take_result().unwrap(), n + 1);
        }
        // ...and with stacks back in the pool, creation works again.
        let again: Future<u32> = gen_::coroutine(|co| {
            co.yield_(gen_::moment)?;
            Ok(9)
        });
        assert!(!again.done(), "{:?}", again.exception());
        io_loop.run_until_idle().unwrap();
        assert_eq!(again.take_result().unwrap(), 9);
        println!("{CHILD_DONE}");
        return;
    }
    let output = run_child(NAME, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child failed: {}", output.status);
    assert!(stdout.contains(CHILD_DONE), "the child did not run to the end");
    assert!(stdout.contains("no stack for a new coroutine"), "{stdout}");
}

/// Recurses without bound, 1 KiB of stack per call; not optimizable into
/// a loop (each frame's buffer is used after the call returns).
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let buf = std::hint::black_box([depth as u8; 1024]);
    if std::hint::black_box(true) {
        recurse(depth + 1) + u64::from(buf[depth as usize % 1024])
    } else {
        0
    }
}

#[test]
fn coroutine_stack_overflow_aborts_with_a_clear_message() {
    const NAME: &str = "coroutine_stack_overflow_aborts_with_a_clear_message";
    if is_child(NAME) {
        no_core_dumps();
        let _io_loop = IOLoop::new();
        let f: Future<u64> = gen_::Builder::new().name("deep-recursion").spawn(|co| {
            println!("stack_size={}", co.stack_size());
            Ok(recurse(0))
        });
        // Not reached: the coroutine overflows on its first step.
        println!("{CHILD_DONE} {:?}", f.done());
        return;
    }
    let output = run_child(NAME, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.signal(),
        Some(libc::SIGABRT),
        "the child should abort (SIGABRT), not die silently: {}",
        output.status
    );
    assert!(!stdout.contains(CHILD_DONE));
    // libtest prints `test NAME ... ` without a newline before it.
    let stack_size: usize = stdout
        .split("stack_size=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the child printed its stack size")
        .parse()
        .unwrap();
    assert!(stack_size >= DEFAULT_STACK_SIZE);
    assert!(
        stderr.contains("stack overflow in coroutine 'deep-recursion'"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("stack size {stack_size} bytes")),
        "the message should give the stack size {stack_size}: {stderr}"
    );
}

/// Recurses without bound with frames four times the guard page: only
/// stack probes make such a frame touch the guard page rather than jump
/// over it into the neighbouring slot.
#[inline(never)]
fn recurse_big(depth: u64) -> u64 {
    let buf = std::hint::black_box([depth as u8; 16 * 1024]);
    if std::hint::black_box(true) {
        recurse_big(depth + 1) + u64::from(buf[depth as usize % 1024])
    } else {
        0
    }
}

#[test]
fn frames_larger_than_the_guard_page_do_not_reach_the_neighbouring_stack() {
    const NAME: &str = "frames_larger_than_the_guard_page_do_not_reach_the_neighbouring_stack";
    if is_child(NAME) {
        no_core_dumps();
        let _io_loop = IOLoop::new();
        // Fresh slots are handed out upwards, so the neighbour's stack lies
        // just below the guard page of the one that overflows.
        let neighbour: Future<()> = gen_::Builder::new()
            .name("neighbour")
            .stack_size(64 * 1024)
            .spawn(|co| co.yield_(gen_::moment));
        assert!(!neighbour.done());
        let f: Future<u64> = gen_::Builder::new()
            .name("big-frames")
            .stack_size(64 * 1024)
            .spawn(|_co| Ok(recurse_big(0)));
        println!("{CHILD_DONE} {:?}", f.done());
        return;
    }
    let output = run_child(NAME, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.signal(), Some(libc::SIGABRT), "{}", output.status);
    assert!(!stdout.contains(CHILD_DONE));
    assert!(
        stderr.contains("stack overflow in coroutine 'big-frames'"),
        "{stderr}"
    );
    assert!(!stderr.contains("'neighbour'"), "{stderr}");
}

#[test]
fn thread_stack_overflow_still_reaches_rusts_handler() {
    const NAME: &str = "thread_stack_overflow_still_reaches_rusts_handler";
    if is_child(NAME) {
        no_core_dumps();
        // Install gust's handler first (it is installed with the first stack).
        let _io_loop = IOLoop::new();
        let f: Future<u32> = gen_::coroutine(|_co| Ok(1));
        assert_eq!(f.take_result().unwrap(), 1);
        println!("handler installed");
        let thread = std::thread::Builder::new()
            .name("plain-thread".into())
            .stack_size(256 * 1024)
            .spawn(|| recurse(0))
            .unwrap();
        let _ = thread.join();
        println!("{CHILD_DONE}");
        return;
    }
    let output = run_child(NAME, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("handler installed"), "{stdout}");
    assert!(!stdout.contains(CHILD_DONE));
    assert_eq!(
        output.status.signal(),
        Some(libc::SIGABRT),
        "Rust's handler aborts after its message: {}",
        output.status
    );
    // Rust's message: `thread 'plain-thread' (TID) has overflowed its stack`.
    let message = stderr
        .lines()
        .find(|line| line.contains("has overflowed its stack"))
        .unwrap_or_else(|| panic!("no Rust overflow message: {stderr}"));
    assert!(message.contains("'plain-thread'"), "{message}");
    assert!(!stderr.contains("gust: stack overflow"), "{stderr}");
}

#[test]
fn a_panic_with_full_backtrace_fits_in_the_default_stack() {
    const NAME: &str = "a_panic_with_full_backtrace_fits_in_the_default_stack";
    if is_child(NAME) {
        no_core_dumps();
        assert_eq!(std::env::var("RUST_BACKTRACE").as_deref(), Ok("full"));
        let io_loop = IOLoop::new();
        // Panics on its first step, in the caller's turn...
        let early: Future<()> = gen_::Builder::new()
            .name("panics-early")
            .spawn(|_co| panic!("early boom"));
        // ...and after a suspension, resumed from the loop.
        let late: Future<()> = gen_::Builder::new().name("panics-late").spawn(|co| {
            co.yield_(gen_::moment)?;
            let depth = recurse_a_little(20);
            panic!("late boom at depth {depth}")
        });
        io_loop.run_until_idle().unwrap();
        for (f, name, message) in [
            (early, "panics-early", "early boom"),
            (late, "panics-late", "late boom at depth 20"),
        ] {
            let error = f.take_result().unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Panic, "{error}");
            let panic = error.downcast_ref::<PanicError>().unwrap();
            assert_eq!(panic.message, message);
            assert_eq!(panic.coroutine.as_deref(), Some(name));
        }
        println!("{CHILD_DONE}");
        return;
    }
    let output = run_child(NAME, &[("RUST_BACKTRACE", "full")]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("gust: stack overflow"),
        "printing a full backtrace overflowed the default coroutine stack"
    );
    assert!(output.status.success(), "child failed: {}", output.status);
    assert!(stdout.contains(CHILD_DONE));
    // The panic hook did print full backtraces from the coroutine stacks.
    assert!(stderr.contains("early boom"), "{stderr}");
    assert!(stderr.contains("stack backtrace:"), "{stderr}");
}

/// A few real frames below the panic, so the backtrace has work to do.
#[inline(never)]
fn recurse_a_little(depth: u32) -> u32 {
    if depth == 0 {
        0
    } else {
        std::hint::black_box(recurse_a_little(depth - 1)) + 1
    }
}

#[test]
fn stacks_are_reused_across_create_finish_cycles() {
    const CYCLES: usize = 200;
    let io_loop = IOLoop::new();
    let start = stack_stats();
    let run_cycle = |n: usize, stack_size: usize| {
        let gate: Future<usize> = Future::new();
        let futures: Vec<Future<usize>> = (0..n)
            .map(|i| {
                let gate = gate.clone();
                gen_::Builder::new()
                    .stack_size(stack_size)
                    .spawn(move |co| Ok(co.yield_(&gate)? + i))
            })
            .collect();
        assert_eq!(stack_stats().live, start.live + n);
        gate.set_result(1).unwrap();
        io_loop.run_until_idle().unwrap();
        for (i, f) in futures.iter().enumerate() {
            assert_eq!(f.take_result().unwrap(), i + 1);
        }
        assert_eq!(stack_stats().live, start.live);
    };

    // Peak concurrency first, then many smaller cycles.
    run_cycle(500, DEFAULT_STACK_SIZE);
    let after_peak = stack_stats();
    assert_eq!(after_peak.pooled, start.pooled + 500, "{after_peak:?}");
    for cycle in 0..CYCLES {
        run_cycle(100 + cycle % 400, DEFAULT_STACK_SIZE);
    }
    let after = stack_stats();
    assert_eq!(
        StackStats {
            live: after.live,
            pooled: after.pooled,
            regions: after.regions,
            reserved_bytes: after.reserved_bytes,
        },
        after_peak,
        "{CYCLES} cycles at or below the peak must only reuse stacks"
    );
    // 500 default stacks need a few 32 MiB regions, not one per cycle.
    assert!(after.regions - start.regions <= 3, "{after:?}");

    // Another size class: its own slots, also reused.
    for _ in 0..50 {
        run_cycle(300, MIN_STACK_SIZE);
    }
    let small = stack_stats();
    assert_eq!(small.pooled, after.pooled + 300, "{small:?}");
    assert_eq!(small.regions, after.regions + 1, "{small:?}");

    // Within one cycle, a finished coroutine's stack is taken by the next.
    for _ in 0..10_000 {
        let f: Future<u32> = gen_::coroutine(|_co| Ok(1));
        assert_eq!(f.take_result().unwrap(), 1);
    }
    assert_eq!(stack_stats(), small);
}
