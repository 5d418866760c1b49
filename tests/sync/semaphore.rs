//! `Semaphore` and `BoundedSemaphore`: Tornado's SemaphoreTest,
//! SemaphoreContextManagerTest and BoundedSemaphoreTest, and guards.

use gust::concurrent::Future;
use gust::gen_::{self, TimeoutError};
use gust::locks::{BoundedSemaphore, Guard, Semaphore, TooManyReleasesError};
use gust::prelude::*;

use crate::{History, loop_briefly, ms, new_loop, try_gen_test};
use gust::testing::LogCapture;
use gust_dev_support::python::ZeroDivisionError;

#[test]
fn test_repr() {
    let _io_loop = new_loop();
    let sem = Semaphore::default();
    assert!(format!("{sem:?}").contains("Semaphore"));
    assert_eq!(format!("{sem:?}"), "<Semaphore [unlocked,value:1]>");
    let _held = sem.acquire(None);
    assert!(format!("{sem:?}").contains("locked"));
    assert!(!format!("{sem:?}").contains("waiters"));
    let _waiting = sem.acquire(None);
    assert_eq!(format!("{sem:?}"), "<Semaphore [locked,waiters:1]>");
}

#[test]
fn test_acquire() {
    let _io_loop = new_loop();
    let sem = Semaphore::default();
    let f0 = sem.acquire(None);
    assert!(f0.done());
    f0.take_result().unwrap().forget();

    // Wait for release().
    let f1 = sem.acquire(None);
    assert!(!f1.done());
    let f2 = sem.acquire(None);
    sem.release();
    assert!(f1.done());
    assert!(!f2.done());
    sem.release();
    assert!(f2.done());

    sem.release();
    // Now acquire() is instant.
    assert!(sem.acquire(None).done());
    assert_eq!(sem.waiters(), 0);
    // Keep the guards of f1 and f2 until here.
    drop((f1, f2));
}

#[test]
fn test_acquire_timeout() {
    try_gen_test(|co| {
        let sem = Semaphore::new(2);
        co.yield_(sem.acquire(None))?.forget();
        co.yield_(sem.acquire(None))?.forget();
        let acquire = sem.acquire(ms(10));
        let releaser = sem.clone();
        IOLoop::current().call_later(ms(20), move || releaser.release()); // Too late.
        co.yield_(gen_::sleep(ms(300)))?;
        let err = co.yield_(acquire).unwrap_err();
        assert!(err.is::<TimeoutError>());
        assert_eq!(err.to_string(), "", "Tornado's gen.TimeoutError()");

        // The late release went to the counter, not to the timed-out waiter.
        assert_eq!(sem.value(), 1);
        sem.acquire(None).take_result()?.forget();
        let f = sem.acquire(None);
        assert!(!f.done());
        sem.release();
        assert!(f.done());
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_acquire_timeout_preempted() {
    try_gen_test(|co| {
        let sem = Semaphore::new(1);
        co.yield_(sem.acquire(None))?.forget();
        // This fires before the wait times out.
        let releaser = sem.clone();
        IOLoop::current().call_later(ms(10), move || releaser.release());
        let acquire = sem.acquire(ms(20));
        co.yield_(gen_::sleep(ms(30)))?;
        let _guard = co.yield_(acquire)?; // No TimeoutError.
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_release_unacquired() {
    let _io_loop = new_loop();
    // Unbounded releases are allowed, and increment the semaphore's value.
    let sem = Semaphore::default();
    sem.release();
    sem.release();

    // Now the counter is 3. We can acquire three times before blocking.
    let held: Vec<_> = (0..3).map(|_| sem.acquire(None)).collect();
    assert!(held.iter().all(Future::done));
    assert!(!sem.acquire(None).done());
}

#[test]
fn test_garbage_collection() {
    // Timed-out waiters are removed.
    try_gen_test(|co| {
        let sem = Semaphore::new(0);
        let futures: Vec<Future<Guard>> = (0..101).map(|_| sem.acquire(ms(10))).collect();
        let future = sem.acquire(None);
        assert_eq!(sem.waiters(), 102);

        // Let the first 101 waiters time out.
        co.yield_(gen_::sleep(ms(20)))?;
        assert_eq!(sem.waiters(), 1);

        // Final waiter is still active.
        assert!(!future.done());
        sem.release();
        assert!(future.done());

        for future in futures {
            assert!(future.take_result().unwrap_err().is::<TimeoutError>());
        }
        Ok(())
    })
    .unwrap();
}

// ---- SemaphoreContextManagerTest: the guard ----

#[test]
fn test_context_manager() {
    try_gen_test(|co| {
        let sem = Semaphore::default();
        {
            let _guard = co.yield_(sem.acquire(None))?;
            assert_eq!(sem.value(), 0);
        }
        // Semaphore was released and can be acquired again.
        assert!(sem.acquire(None).done());
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_context_manager_async_await() {
    // The same with `async with`: a guard held across an await.
    let io_loop = new_loop();
    let sem = Semaphore::default();
    let f = {
        let sem = sem.clone();
        io_loop.spawn(async move {
            let _guard = sem.acquire(None).await?;
            assert_eq!(sem.value(), 0);
            gen_::sleep(ms(1)).await?;
            Ok::<_, Error>(())
        })
    };
    io_loop.run_sync(move || f, None).unwrap();
    // Semaphore was released and can be acquired again.
    assert!(sem.acquire(None).done());
}

#[test]
fn test_context_manager_exception() {
    let sem = Semaphore::default();
    let held = sem.clone();
    let err = try_gen_test(move |co| {
        let _guard = co.yield_(held.acquire(None))?;
        Err::<(), _>(ZeroDivisionError.into())
    })
    .unwrap_err();
    assert!(err.is::<ZeroDivisionError>());
    // Semaphore was released and can be acquired again.
    let _io_loop = new_loop();
    assert!(sem.acquire(None).done());
}

#[test]
fn test_context_manager_timeout() {
    try_gen_test(|co| {
        let sem = Semaphore::default();
        {
            let _guard = co.yield_(sem.acquire(ms(10)))?;
        }
        // Semaphore was released and can be acquired again.
        assert!(sem.acquire(None).done());
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_context_manager_timeout_error() {
    try_gen_test(|co| {
        let sem = Semaphore::new(0);
        let err = co.yield_(sem.acquire(ms(10))).unwrap_err();
        assert!(err.is::<TimeoutError>());
        // Counter is still 0.
        assert!(!sem.acquire(None).done());
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_context_manager_contended() {
    try_gen_test(|co| {
        let sem = Semaphore::default();
        let history = History::new();
        let f = |index: u32| {
            let (sem, history) = (sem.clone(), history.clone());
            gen_::coroutine(move |co| {
                let _guard = co.yield_(sem.acquire(None))?;
                history.push(format!("acquired {index}"));
                co.yield_(gen_::sleep(ms(10)))?;
                history.push(format!("release {index}"));
                Ok(())
            })
        };
        co.yield_(vec![f(0), f(1)])?;
        assert_eq!(
            history.get(),
            ["acquired 0", "release 0", "acquired 1", "release 1"]
        );
        Ok(())
    })
    .unwrap();
}

// ---- BoundedSemaphoreTest ----

#[test]
fn test_release_unacquired_bounded() {
    let _io_loop = new_loop();
    let sem = BoundedSemaphore::default();
    assert_eq!(sem.release(), Err(TooManyReleasesError));
    assert_eq!(
        TooManyReleasesError.to_string(),
        "Semaphore released too many times"
    );
    // Value is 0.
    sem.acquire(None).take_result().unwrap().forget();
    // Block on acquire().
    let future = sem.acquire(None);
    assert!(!future.done());
    sem.release().unwrap();
    assert!(future.done());
    future.take_result().unwrap().forget();
    // Value is 1.
    sem.release().unwrap();
    assert_eq!(sem.release(), Err(TooManyReleasesError));
}

// ---- beyond Tornado's tests ----

#[test]
fn a_guard_released_by_hand_then_dropped_logs_the_over_release() {
    let logs = LogCapture::start();
    let _io_loop = new_loop();
    let sem = BoundedSemaphore::new(1);
    let guard = sem.acquire(None).take_result().unwrap();
    sem.release().unwrap();
    drop(guard);
    assert_eq!(sem.value(), 1, "the bound held");
    assert_eq!(
        logs.app_errors_containing("Semaphore released too many times")
            .len(),
        1
    );
}

#[test]
fn an_abandoned_acquire_never_takes_the_permit() {
    let io_loop = new_loop();
    let sem = Semaphore::new(0);
    let abandoned = sem.acquire(None);
    let waiting = sem.acquire(None);
    drop(abandoned);
    assert_eq!(sem.waiters(), 1);
    sem.release();
    assert!(waiting.done(), "the permit skipped the abandoned waiter");
    assert_eq!(sem.value(), 0);
    drop(waiting); // the guard inside is released
    assert_eq!(sem.value(), 1);
    loop_briefly(&io_loop);
}

#[test]
fn a_permit_handed_to_a_consumer_that_vanished_comes_back() {
    let io_loop = new_loop();
    let sem = Semaphore::new(0);
    // A waiter with a callback that ignores the guard, the future dropped:
    // the guard goes back at once.
    let ignoring = sem.acquire(None);
    ignoring.add_done_callback(|_| {});
    drop(ignoring);
    let waiting = sem.acquire(None);
    sem.release();
    assert!(waiting.done(), "the permit came back and went to the next waiter");
    drop(waiting);
    assert_eq!(sem.value(), 1);
    loop_briefly(&io_loop);
}

#[test]
fn semaphore_ten_with_many_tasks_never_exceeds_ten() {
    let io_loop = new_loop();
    let sem = Semaphore::new(10);
    let running = std::rc::Rc::new(std::cell::Cell::new(0usize));
    let peak = std::rc::Rc::new(std::cell::Cell::new(0usize));
    let tasks: Vec<Future<()>> = (0..1000u64)
        .map(|i| {
            let (sem, running, peak) = (sem.clone(), running.clone(), peak.clone());
            gen_::coroutine(move |co| {
                let _guard = co.yield_(sem.acquire(None))?;
                running.set(running.get() + 1);
                peak.set(peak.get().max(running.get()));
                co.yield_(gen_::sleep(ms(i % 7)))?;
                running.set(running.get() - 1);
                Ok(())
            })
        })
        .collect();
    io_loop.run_sync(move || tasks, None).unwrap();
    assert_eq!(peak.get(), 10);
    assert_eq!(sem.value(), 10);
}
