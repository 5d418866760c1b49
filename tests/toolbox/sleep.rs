//! sleep and moment

use super::*;

// Ports GenCoroutineTest.test_sleep, with durations checked on the
// manual clock: sequential sleeps add up, parallel ones overlap.
#[test]
fn test_sleep() {
    try_gen_test(|co| {
        let start = IOLoop::current().time();
        co.yield_(gen_::sleep(Duration::from_millis(10)))?;
        assert_eq!(elapsed_since(start), Duration::from_millis(10));
        co.yield_(gen_::sleep(Duration::from_millis(250)))?;
        assert_eq!(elapsed_since(start), Duration::from_millis(260));

        let start = IOLoop::current().time();
        co.yield_(vec![
            gen_::sleep(Duration::from_millis(250)),
            gen_::sleep(Duration::from_millis(10)),
        ])?;
        assert_eq!(elapsed_since(start), Duration::from_millis(250));
        Ok(())
    })
    .unwrap();
}

// Ports gen.sleep's documented rule ("the timer starts when sleep is
// called"): a sleep started before other work ends on its own schedule.
#[test]
fn test_sleep_timer_starts_when_called() {
    try_gen_test(|co| {
        let start = IOLoop::current().time();
        let next = gen_::sleep(Duration::from_secs(3));
        co.yield_(gen_::sleep(Duration::from_secs(1)))?;
        co.yield_(next)?;
        assert_eq!(elapsed_since(start), Duration::from_secs(3));
        Ok(())
    })
    .unwrap();
}

// gust-specific: stepping a sleep on a clock moved by hand. The future is
// resolved by the timer in the iteration where the deadline is reached; the
// coroutine resumes in the next one.
#[test]
fn test_sleep_stepwise_on_manual_clock() {
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let f = gen_::coroutine(|co| co.yield_(gen_::sleep(Duration::from_millis(250))));
    assert_eq!(io_loop.timer_count(), 1);
    step(&io_loop);
    assert!(!f.done());
    clock.advance(Duration::from_millis(249));
    step(&io_loop);
    assert!(!f.done(), "not before the deadline");
    clock.advance(Duration::from_millis(1));
    step(&io_loop);
    assert!(!f.done(), "the timer fired; the coroutine resumes next iteration");
    assert_eq!(io_loop.timer_count(), 0);
    step(&io_loop);
    assert!(f.done());
    f.take_result().unwrap();
}

// Ports gen.sleep's documented cancellation behaviour: cancelling the
// future does not remove the timer, which then does nothing.
#[test]
fn test_sleep_cancelled() {
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let s = gen_::sleep(Duration::from_secs(1));
    assert!(s.cancel());
    assert_eq!(io_loop.timer_count(), 1, "the timer stays");
    clock.advance(Duration::from_secs(1));
    step(&io_loop);
    assert_eq!(io_loop.timer_count(), 0);
    assert!(s.cancelled());
    assert!(s.take_result().unwrap_err().is::<CancelledError>());
}

// Ports a verified claim about Tornado's multi: `yield [gen.moment]*2`
// completes inline, with no loop iteration, whereas a bare moment parks.
#[test]
fn test_moment_in_list_resolves_without_a_hop() {
    let io_loop = IOLoop::new();
    let f = gen_::coroutine(|co| co.yield_(vec![gen_::moment, gen_::moment]));
    assert!(f.done(), "a list of moments resolves inline");
    assert_eq!(io_loop.iterations(), 0);
    assert_eq!(f.take_result().unwrap(), vec![(), ()]);

    let g = gen_::coroutine(|co| co.yield_((gen_::moment, (), gen_::moment)));
    assert!(g.done());
    assert_eq!(g.take_result().unwrap(), ((), (), ()));

    // `yield [gen.moment]*2000` does not take 2000 hops.
    let h = gen_::coroutine(|co| co.yield_(vec![gen_::moment; 2000]));
    assert!(h.done());
    assert_eq!(h.take_result().unwrap().len(), 2000);
    assert_eq!(io_loop.iterations(), 0);

    let bare = gen_::coroutine(|co| co.yield_(gen_::moment));
    assert!(!bare.done(), "a bare moment costs one iteration");
    step(&io_loop);
    assert!(bare.done());
}

// Ports RunnerGCTest.test_multi_moment: gen.multi([moment, moment]) gives
// [None, None]; here `[(), ()]`, and at once.
#[test]
fn test_multi_moment() {
    let io_loop = IOLoop::new();
    let f = gen_::multi(vec![gen_::moment, gen_::moment]);
    assert!(f.done());
    assert_eq!(f.take_result().unwrap(), vec![(), ()]);
    let result = io_loop
        .run_sync(
            || gen_::coroutine(|co| co.yield_(gen_::multi(vec![gen_::moment, gen_::moment]))),
            None,
        )
        .unwrap();
    assert_eq!(result, vec![(), ()]);
}
