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
//! Crashes and resource limits are tested in a child process
//! (`gust_dev_support::child`): the test binary runs itself with the test's
//! name, and the same test function plays the child. The parent checks the
//! child's exit status and output, including a marker line the child
//! prints, so a child that ran no test at all cannot pass.
//!
//! The stack pool is per thread and libtest runs each test on its own
//! thread, so counts are compared with the thread's counts at the start of
//! the test.

use std::cell::Cell;
use std::os::unix::process::ExitStatusExt;
use std::rc::Rc;

use gust::concurrent::Future;
use gust::error::{PanicError, StackExhaustedError};
use gust::prelude::*;
use gust::stacks::{
    DEFAULT_STACK_SIZE, GuardMode, MIN_STACK_SIZE, StackStats, guard_mode, set_max_live_stacks, stack_stats,
    trim_stack_pool,
};
use gust::{ErrorKind, gen_};
use gust_dev_support::child::{CHILD_DONE, is_child, run_child};

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
