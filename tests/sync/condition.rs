//! `Condition`: Tornado's ConditionTest, and waiters that vanish.

use std::cell::Cell;
use std::future::Future as _;
use std::rc::Rc;
use std::task::Poll;

use gust::concurrent::Future;
use gust::gen_;
use gust::locks::Condition;
use gust::prelude::*;

use crate::{History, loop_briefly, ms, new_loop, strings, try_gen_test};

/// Tornado's `record_done`: records `key` when the wait resolves `true`,
/// `timeout` when it resolves `false`.
fn record_done(history: &History, future: Future<bool>, key: impl ToString) {
    let (history, key) = (history.clone(), key.to_string());
    future.add_done_callback(move |f| {
        if f.result().unwrap() {
            history.push(key);
        } else {
            // wait() resolved to false, meaning it timed out.
            history.push("timeout");
        }
    });
}

#[test]
fn test_repr() {
    let _io_loop = new_loop();
    let c = Condition::new();
    assert!(format!("{c:?}").contains("Condition"));
    assert!(!format!("{c:?}").contains("waiters"));
    let _wait = c.wait(None);
    assert_eq!(format!("{c:?}"), "<Condition waiters[1]>");
}

#[test]
fn test_notify() {
    try_gen_test(|co| {
        let c = Condition::new();
        let notifier = c.clone();
        IOLoop::current().call_later(ms(10), move || notifier.notify(1));
        assert!(co.yield_(c.wait(None))?);
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_notify_1() {
    let io_loop = new_loop();
    let history = History::new();
    let c = Condition::new();
    record_done(&history, c.wait(None), "wait1");
    record_done(&history, c.wait(None), "wait2");
    c.notify(1);
    loop_briefly(&io_loop);
    history.push("notify1");
    c.notify(1);
    loop_briefly(&io_loop);
    history.push("notify2");
    assert_eq!(history.get(), ["wait1", "notify1", "wait2", "notify2"]);
}

#[test]
fn test_notify_n() {
    let io_loop = new_loop();
    let history = History::new();
    let c = Condition::new();
    for i in 0..6 {
        record_done(&history, c.wait(None), i);
    }
    c.notify(3);
    loop_briefly(&io_loop);
    // Callbacks execute in the order they were registered.
    assert_eq!(history.get(), strings(0..3));
    c.notify(1);
    loop_briefly(&io_loop);
    assert_eq!(history.get(), strings(0..4));
    c.notify(2);
    loop_briefly(&io_loop);
    assert_eq!(history.get(), strings(0..6));
}

#[test]
fn test_notify_all() {
    let io_loop = new_loop();
    let history = History::new();
    let c = Condition::new();
    for i in 0..4 {
        record_done(&history, c.wait(None), i);
    }
    c.notify_all();
    loop_briefly(&io_loop);
    history.push("notify_all");
    // Callbacks execute in the order they were registered.
    assert_eq!(history.get(), ["0", "1", "2", "3", "notify_all"]);
}

#[test]
fn test_wait_timeout() {
    try_gen_test(|co| {
        let c = Condition::new();
        let wait = c.wait(ms(10));
        let notifier = c.clone();
        IOLoop::current().call_later(ms(20), move || notifier.notify(1)); // Too late.
        co.yield_(gen_::sleep(ms(30)))?;
        assert!(!co.yield_(wait)?);
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_wait_timeout_preempted() {
    try_gen_test(|co| {
        let c = Condition::new();
        // This fires before the wait times out.
        let notifier = c.clone();
        IOLoop::current().call_later(ms(10), move || notifier.notify(1));
        let wait = c.wait(ms(20));
        co.yield_(gen_::sleep(ms(30)))?;
        assert!(co.yield_(wait)?, "no timeout");
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_notify_n_with_timeout() {
    // Register callbacks 0, 1, 2, and 3. Callback 1 has a timeout. Wait for
    // that timeout to expire, then do notify(2) and make sure everyone
    // runs. Verifies that a timed-out callback does not count against the
    // 'n' argument to notify().
    try_gen_test(|co| {
        let history = History::new();
        let c = Condition::new();
        record_done(&history, c.wait(None), 0);
        record_done(&history, c.wait(ms(10)), 1);
        record_done(&history, c.wait(None), 2);
        record_done(&history, c.wait(None), 3);

        // Wait for callback 1 to time out.
        co.yield_(gen_::sleep(ms(20)))?;
        assert_eq!(history.get(), ["timeout"]);

        c.notify(2);
        co.yield_(gen_::sleep(ms(10)))?;
        assert_eq!(history.get(), ["timeout", "0", "2"]);
        c.notify(1);
        co.yield_(())?;
        assert_eq!(history.get(), ["timeout", "0", "2", "3"]);
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_notify_all_with_timeout() {
    try_gen_test(|co| {
        let history = History::new();
        let c = Condition::new();
        record_done(&history, c.wait(None), 0);
        record_done(&history, c.wait(ms(10)), 1);
        record_done(&history, c.wait(None), 2);

        // Wait for callback 1 to time out.
        co.yield_(gen_::sleep(ms(20)))?;
        assert_eq!(history.get(), ["timeout"]);

        c.notify_all();
        co.yield_(())?;
        assert_eq!(history.get(), ["timeout", "0", "2"]);
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_nested_notify() {
    // Ensure no notifications lost, even if notify() is reentered by a
    // waiter calling notify().
    try_gen_test(|co| {
        let c = Condition::new();
        // Three waiters.
        let futures: Vec<Future<bool>> = (0..3).map(|_| c.wait(None)).collect();
        // First and second futures resolved. Second future reenters
        // notify(), resolving third future.
        let again = c.clone();
        futures[1].add_done_callback(move |_| again.notify(1));
        c.notify(2);
        co.yield_(())?;
        assert!(futures.iter().all(Future::done));
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_garbage_collection() {
    // Timed-out waiters are removed from the condition.
    try_gen_test(|co| {
        let c = Condition::new();
        let timed: Vec<Future<bool>> = (0..101).map(|_| c.wait(ms(10))).collect();
        let future = c.wait(None);
        assert_eq!(c.waiters(), 102);

        // Let the first 101 waiters time out.
        co.yield_(gen_::sleep(ms(20)))?;
        assert_eq!(c.waiters(), 1);
        assert!(timed.iter().all(|f| !f.result().unwrap()));

        // Final waiter is still active.
        assert!(!future.done());
        c.notify(1);
        assert!(future.done());
        Ok(())
    })
    .unwrap();
}

// ---- beyond Tornado's tests ----

#[test]
fn a_waiting_coroutine_resumes_one_iteration_after_notify() {
    let io_loop = new_loop();
    let c = Condition::new();
    let resumed = Rc::new(Cell::new(false));
    let waiter = {
        let (c, resumed) = (c.clone(), resumed.clone());
        gen_::coroutine(move |co| {
            let notified = co.yield_(c.wait(None))?;
            resumed.set(true);
            Ok(notified)
        })
    };
    c.notify(1);
    assert!(!resumed.get(), "notification is received on the next iteration");
    loop_briefly(&io_loop);
    assert!(resumed.get());
    assert!(waiter.take_result().unwrap());
}

#[test]
fn a_waiter_whose_future_was_dropped_does_not_consume_a_notification() {
    let io_loop = new_loop();
    let c = Condition::new();
    let abandoned = c.wait(None);
    let kept = c.wait(None);
    drop(abandoned); // nobody can ever see this one
    assert_eq!(c.waiters(), 1);
    c.notify(1);
    assert!(kept.result().unwrap(), "the live waiter got the notification");
    loop_briefly(&io_loop);
}

#[test]
fn a_native_task_that_gave_up_its_wait_is_skipped() {
    let io_loop = new_loop();
    let c = Condition::new();
    let woken = Rc::new(Cell::new(0));
    // Polls a wait once and drops it, as `select!` drops a losing branch.
    let gave_up = {
        let c = c.clone();
        io_loop.spawn(async move {
            let mut wait = std::pin::pin!(c.wait(None));
            std::future::poll_fn(|cx| {
                assert!(wait.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
        })
    };
    let waiting = {
        let (c, woken) = (c.clone(), woken.clone());
        io_loop.spawn(async move {
            c.wait(None).await?;
            woken.set(woken.get() + 1);
            Ok::<_, Error>(())
        })
    };
    io_loop.run_until_idle().unwrap();
    assert!(gave_up.done());
    assert_eq!(c.waiters(), 1, "the abandoned wait is not counted");
    c.notify(1);
    io_loop.run_until_idle().unwrap();
    assert_eq!(
        woken.get(),
        1,
        "the one notification reached the task still waiting"
    );
    assert!(waiting.done());
}

#[test]
fn a_hundred_thousand_waiters() {
    const N: usize = 100_000;
    let io_loop = new_loop();
    let c = Condition::new();
    let woken = Rc::new(Cell::new(0usize));
    for _ in 0..N {
        let (c, woken) = (c.clone(), woken.clone());
        io_loop.spawn(async move {
            if c.wait(None).await? {
                woken.set(woken.get() + 1);
            }
            Ok::<_, Error>(())
        });
    }
    loop_briefly(&io_loop); // every task starts and waits
    assert_eq!(c.waiters(), N);
    c.notify(N / 2);
    io_loop.run_until_idle().unwrap();
    assert_eq!(woken.get(), N / 2);
    c.notify_all();
    io_loop.run_until_idle().unwrap();
    assert_eq!(woken.get(), N);
    assert_eq!(c.waiters(), 0);
    assert_eq!(gust::runner::task_count(&io_loop), 0);
}

#[test]
fn many_sequential_timed_waits_time_out_and_leave_no_waiter() {
    // Tornado's `while True: yield condition.wait(short_timeout)`: each
    // wait resolves false, and none of them stays a waiter.
    try_gen_test(|co| {
        let c = Condition::new();
        for i in 0..10_000 {
            assert!(!co.yield_(c.wait(std::time::Duration::from_micros(10)))?);
            assert_eq!(c.waiters(), 0, "after wait {i}");
        }
        Ok(())
    })
    .unwrap();
}

#[test]
fn a_skipped_waiter_takes_its_timer_with_it() {
    let io_loop = new_loop();
    let c = Condition::new();
    let abandoned = c.wait(ms(1000));
    let served = c.wait(ms(1000));
    assert_eq!(io_loop.timer_count(), 2);
    drop(abandoned);
    c.notify(1); // skips the abandoned waiter, serves the other
    assert!(served.result().unwrap());
    assert_eq!(io_loop.timer_count(), 0, "neither timer is left behind");
}
