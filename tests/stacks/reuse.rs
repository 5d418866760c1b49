//! Stacks are reused across create / finish cycles.

use super::*;

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

// New: trim_stack_pool gives back the address space of every region that
// no live coroutine uses (other sizes can then have it), keeps regions
// that still hold a live stack, and the pool goes on working.
#[test]
fn trim_unmaps_regions_with_no_live_stack() {
    const SMALL: usize = 64 << 10;
    let io_loop = IOLoop::new();
    let start = stack_stats();
    assert_eq!(start, StackStats::default(), "a fresh test thread has no stacks");
    // A burst of 64 KiB coroutines (several 32 MiB regions), all finished
    // but one, plus one live default-size coroutine.
    let gate: Future<()> = Future::new();
    let burst: Vec<Future<()>> = (0..2_000)
        .map(|_| {
            let gate = gate.clone();
            gen_::Builder::new()
                .stack_size(SMALL)
                .spawn(move |co| co.yield_(&gate))
        })
        .collect();
    let keep: Future<()> = Future::new();
    let k = keep.clone();
    let survivor = gen_::Builder::new()
        .stack_size(SMALL)
        .spawn(move |co| co.yield_(&k));
    let k = keep.clone();
    let default = gen_::coroutine(move |co| co.yield_(&k));
    gate.set_result(()).unwrap();
    io_loop.run_until_idle().unwrap();
    assert!(burst.iter().all(Future::done));
    let burst_stats = stack_stats();
    assert_eq!(burst_stats.live, 2);
    assert_eq!(burst_stats.pooled, 2_000);
    assert!(burst_stats.regions >= 5, "{burst_stats:?}");

    trim_stack_pool();
    let trimmed = stack_stats();
    assert_eq!(trimmed.live, 2);
    // The survivor's region and the default stack's region are all that
    // is left; their free slots stay pooled.
    assert_eq!(trimmed.regions, 2, "{trimmed:?}");
    assert!(trimmed.reserved_bytes <= 2 * (32 << 20), "{trimmed:?}");
    assert!(trimmed.pooled < burst_stats.pooled, "{trimmed:?}");

    // Everything still works: the survivors finish, new coroutines of
    // both sizes get stacks, and a trim with nothing live gives back all.
    keep.set_result(()).unwrap();
    io_loop.run_until_idle().unwrap();
    assert!(survivor.take_result().is_ok() && default.take_result().is_ok());
    let again: Vec<Future<u8>> = (0..100)
        .map(|i| gen_::Builder::new().stack_size(SMALL).spawn(move |_co| Ok(i)))
        .collect();
    assert!(
        again
            .iter()
            .enumerate()
            .all(|(i, f)| f.take_result().unwrap() == i as u8)
    );
    assert_eq!(stack_stats().live, 0);
    trim_stack_pool();
    assert_eq!(stack_stats(), StackStats::default());
}
