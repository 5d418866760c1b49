//! Hop counts: loop iterations between an event and the resumed coroutine
//! (see the hop table in docs/differences.md)

use super::*;

// gust-specific: a pending future resolved by a loop callback resumes its
// waiter exactly one iteration later (never inside set_result).
#[test]
fn test_pending_future_resumes_one_iteration_after_resolution() {
    let io_loop = IOLoop::new();
    let f = Future::new();
    let waiter = {
        let f = f.clone();
        gen_::coroutine(move |co| co.yield_(f))
    };
    let resolved_at = Rc::new(Cell::new(0));
    let (setter, at, lp) = (f.clone(), resolved_at.clone(), io_loop.clone());
    io_loop.add_callback(move || {
        setter.set_result(7).unwrap();
        at.set(lp.iterations());
    });
    step(&io_loop);
    assert_eq!(resolved_at.get(), io_loop.iterations());
    assert!(f.done());
    assert!(
        !waiter.done(),
        "the waiter is scheduled, not resumed inside set_result"
    );
    step(&io_loop);
    assert!(waiter.done());
    assert_eq!(io_loop.iterations(), resolved_at.get() + 1);
    assert_eq!(waiter.take_result().unwrap(), 7);
}

// gust-specific: yielding done futures never costs an iteration, however
// many; moment costs exactly one each.
#[test]
fn test_done_future_costs_no_iteration_and_moment_one() {
    let io_loop = IOLoop::new();
    let f = gen_::coroutine(|co| {
        let done = Future::ready(1u64);
        let mut sum = 0;
        for _ in 0..100_000 {
            sum += co.yield_(&done)?;
        }
        Ok(sum)
    });
    assert!(f.done());
    assert_eq!(f.take_result().unwrap(), 100_000);
    assert_eq!(io_loop.iterations(), 0);

    let g = gen_::coroutine(|co| {
        for _ in 0..3 {
            co.yield_(gen_::moment)?;
        }
        Ok(())
    });
    let mut hops = 0;
    while !g.done() {
        step(&io_loop);
        hops += 1;
    }
    assert_eq!(hops, 3);
}

// gust-specific (as Tornado 6 on asyncio): sleep(0) costs two iterations, the
// timer firing in the first and the waiter resuming in the second.
#[test]
fn test_sleep_zero_costs_two_iterations() {
    let io_loop = IOLoop::new();
    let f = gen_::coroutine(|co| {
        co.yield_(gen_::sleep(Duration::ZERO))?;
        Ok(())
    });
    assert!(!f.done());
    step(&io_loop);
    assert!(!f.done());
    assert!(matches!(
        gust::runner::runners(&io_loop)[0].state,
        RunnerState::Scheduled(_)
    ));
    step(&io_loop);
    assert!(f.done());
}

/// Each level yields a child coroutine; the deepest yields a moment. Some
/// levels, once resumed, count how many runners are running at once.
fn nested(depth: u32, max_running: Rc<Cell<usize>>) -> Future<u32> {
    gen_::coroutine(move |co| {
        let value = if depth == 0 {
            co.yield_(gen_::moment)?;
            0
        } else {
            co.yield_(nested(depth - 1, max_running.clone()))? + 1
        };
        if depth % 1000 == 0 {
            let running = gust::runner::runners(&IOLoop::current())
                .iter()
                .filter(|info| info.state == RunnerState::Running)
                .count();
            max_running.set(max_running.get().max(running));
        }
        Ok(value)
    })
}

// gust-specific (Tornado's Runner never recurses either): 10,000 nested
// coroutines, each waiting on its child. Each level resumes from its own
// loop iteration (one hop per level) and never inside its child's
// completion, so only one coroutine is ever running and nothing recurses.
#[test]
fn test_nested_coroutines_10000_deep() {
    const DEPTH: u32 = 10_000;
    let io_loop = IOLoop::new();
    let max_running = Rc::new(Cell::new(0));
    let top = nested(DEPTH, max_running.clone());
    assert_eq!(gust::runner::runners(&io_loop).len(), DEPTH as usize + 1);
    let before = io_loop.iterations();
    while !top.done() {
        step(&io_loop);
    }
    assert_eq!(io_loop.iterations() - before, u64::from(DEPTH) + 1);
    assert_eq!(top.take_result().unwrap(), DEPTH);
    assert_eq!(max_running.get(), 1);
    assert!(gust::runner::runners(&io_loop).is_empty());
}
