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
