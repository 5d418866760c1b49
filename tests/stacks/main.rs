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
//! binary runs itself (`--exact NAME --nocapture`, NAME being the test's
//! path in this binary, e.g. `overflow::...`) with [`CHILD_ENV`] set
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

use gust::concurrent::Future;
use gust::error::{PanicError, StackExhaustedError};
use gust::prelude::*;
use gust::stacks::{
    DEFAULT_STACK_SIZE, GuardMode, MIN_STACK_SIZE, StackStats, guard_mode, set_max_live_stacks, stack_stats,
};
use gust::{ErrorKind, gen_};

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

mod exhaustion;
mod overflow;
mod reuse;
