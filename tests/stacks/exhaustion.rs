//! Running out of stacks: 100,000 suspended coroutines, the live-stack limit, address space.

use super::*;

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

    assert_eq!(gust::runner::runners(&io_loop).len(), N as usize);
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
    assert!(gust::runner::runners(&io_loop).is_empty());
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
    let generator = gust::generator::Generator::<(), (), ()>::new(|_y| Ok(()));
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
    const NAME: &str = "exhaustion::running_out_of_address_space_is_a_typed_error";
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

// New: regions of one stack size no longer used are given back when
// another size runs out of address space: after a burst of 64 KiB stacks
// filled the address space, a default-size coroutine still gets a stack.
#[test]
fn another_size_reclaims_unused_regions_when_out_of_address_space() {
    const NAME: &str = "exhaustion::another_size_reclaims_unused_regions_when_out_of_address_space";
    if is_child(NAME) {
        let vm_size = status_kib("VmSize") as u64 * 1024;
        let rlimit = libc::rlimit {
            rlim_cur: (vm_size + (200 << 20)) as libc::rlim_t,
            rlim_max: libc::RLIM_INFINITY,
        };
        // SAFETY: setrlimit with a valid struct.
        let rc = unsafe { libc::setrlimit(libc::RLIMIT_AS, &rlimit) };
        assert_eq!(rc, 0, "setrlimit: {}", std::io::Error::last_os_error());

        let io_loop = IOLoop::new();
        let gate: Future<()> = Future::new();
        let mut burst = Vec::new();
        loop {
            let g = gate.clone();
            let f = gen_::Builder::new()
                .stack_size(64 << 10)
                .spawn(move |co| co.yield_(&g));
            if f.done() {
                let error = f.take_result().unwrap_err();
                assert_eq!(error.kind(), ErrorKind::StackExhausted, "{error}");
                break;
            }
            burst.push(f);
            assert!(
                burst.len() < 1_000_000,
                "RLIMIT_AS never stopped stack allocation"
            );
        }
        gate.set_result(()).unwrap();
        io_loop.run_until_idle().unwrap();
        assert!(burst.iter().all(|f| f.take_result().is_ok()));
        println!("{} small stacks pooled: {:?}", burst.len(), stack_stats());
        let default: Future<u32> = gen_::coroutine(|co| {
            co.yield_(gen_::moment)?;
            Ok(7)
        });
        assert!(!default.done(), "{:?}", default.exception());
        io_loop.run_until_idle().unwrap();
        assert_eq!(default.take_result().unwrap(), 7);
        println!("{CHILD_DONE}");
        return;
    }
    let output = run_child(NAME, &[]);
    assert!(output.status.success(), "child failed: {}", output.status);
    assert!(String::from_utf8_lossy(&output.stdout).contains(CHILD_DONE));
}
