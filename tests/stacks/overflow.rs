//! Stack overflow: a clear message for coroutines, Rust's own for threads, panics with backtraces.

use super::*;

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
    const NAME: &str = "overflow::coroutine_stack_overflow_aborts_with_a_clear_message";
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
    const NAME: &str = "overflow::frames_larger_than_the_guard_page_do_not_reach_the_neighbouring_stack";
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
    const NAME: &str = "overflow::thread_stack_overflow_still_reaches_rusts_handler";
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
    const NAME: &str = "overflow::a_panic_with_full_backtrace_fits_in_the_default_stack";
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
