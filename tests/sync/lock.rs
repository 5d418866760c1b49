//! `Lock`: Tornado's LockTests, and guards that outlive panics.

use std::cell::Cell;
use std::rc::Rc;

use gust::concurrent::Future;
use gust::error::PanicError;
use gust::gen_::{self, TimeoutError};
use gust::locks::{Lock, NotLockedError};
use gust::prelude::*;

use crate::{History, loop_briefly, ms, new_loop, strings, try_gen_test};

#[test]
fn test_repr() {
    let _io_loop = new_loop();
    let lock = Lock::new();
    assert_eq!(
        format!("{lock:?}"),
        "<Lock _block=<BoundedSemaphore [unlocked,value:1]>>"
    );
    let _held = lock.acquire(None);
    assert_eq!(format!("{lock:?}"), "<Lock _block=<BoundedSemaphore [locked]>>");
}

#[test]
fn test_acquire_release() {
    let _io_loop = new_loop();
    let lock = Lock::new();
    let first = lock.acquire(None);
    assert!(first.done());
    first.take_result().unwrap().forget();
    let future = lock.acquire(None);
    assert!(!future.done());
    lock.release().unwrap();
    assert!(future.done());
}

#[test]
fn test_acquire_fifo() {
    try_gen_test(|co| {
        let lock = Lock::new();
        let held = lock.acquire(None);
        assert!(held.done());
        const N: usize = 5;
        let history = History::new();
        let f = |idx: usize| {
            let (lock, history) = (lock.clone(), history.clone());
            gen_::coroutine(move |co| {
                let _guard = co.yield_(lock.acquire(None))?;
                history.push(idx);
                Ok(())
            })
        };
        let futures: Vec<Future<()>> = (0..N).map(f).collect();
        assert!(!futures.iter().any(Future::done));
        drop(held); // releases
        co.yield_(futures)?;
        assert_eq!(history.get(), strings(0..N));
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_acquire_fifo_async_with() {
    // The same with native coroutines (`async with lock:`).
    let io_loop = new_loop();
    let lock = Lock::new();
    let held = lock.acquire(None);
    assert!(held.done());
    const N: usize = 5;
    let history = History::new();
    async fn f(lock: Lock, history: History, idx: usize) -> Result<(), Error> {
        let _guard = lock.acquire(None).await?;
        history.push(idx);
        Ok(())
    }
    let futures: Vec<Future<()>> = (0..N)
        .map(|i| io_loop.spawn(f(lock.clone(), history.clone(), i)))
        .collect();
    loop_briefly(&io_loop); // the tasks start, in order, and wait
    drop(held);
    io_loop.run_sync(move || futures, None).unwrap();
    assert_eq!(history.get(), strings(0..N));
}

#[test]
fn test_acquire_timeout() {
    try_gen_test(|co| {
        let lock = Lock::new();
        let _held = lock.acquire(None);
        let err = co.yield_(lock.acquire(ms(10))).unwrap_err();
        assert!(err.is::<TimeoutError>());
        // Still locked.
        assert!(!lock.acquire(None).done());
        assert!(lock.is_locked());
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_multi_release() {
    let _io_loop = new_loop();
    let lock = Lock::new();
    assert_eq!(lock.release(), Err(NotLockedError));
    assert_eq!(NotLockedError.to_string(), "release unlocked lock");
    lock.acquire(None).take_result().unwrap().forget();
    lock.release().unwrap();
    assert_eq!(lock.release(), Err(NotLockedError));
}

// ---- beyond Tornado's tests ----

#[test]
fn a_lock_held_across_a_panicking_coroutine_is_released_by_its_guard() {
    let io_loop = new_loop();
    let lock = Lock::new();
    let panicking = {
        let lock = lock.clone();
        gen_::coroutine(move |co| -> Result<(), Error> {
            let _guard = co.yield_(lock.acquire(None))?;
            co.yield_(gen_::moment)?;
            panic!("bug while holding the lock");
        })
    };
    let next = {
        let lock = lock.clone();
        gen_::coroutine(move |co| {
            let _guard = co.yield_(lock.acquire(None))?;
            Ok("got it")
        })
    };
    assert!(lock.is_locked());
    io_loop.run_until_idle().unwrap();
    let err = panicking.take_result().unwrap_err();
    assert!(err.is::<PanicError>());
    assert_eq!(next.take_result().unwrap(), "got it");
    assert!(!lock.is_locked());
}

#[test]
fn a_lock_held_by_a_coroutine_closed_with_its_loop_is_released() {
    let lock = Lock::new();
    {
        let io_loop = new_loop();
        let lock = lock.clone();
        gen_::coroutine(move |co| {
            let _guard = co.yield_(lock.acquire(None))?;
            co.yield_(gen_::sleep(ms(1_000_000)))?;
            Ok(())
        });
        loop_briefly(&io_loop);
        io_loop.close().unwrap();
    }
    assert!(!lock.is_locked());
}

#[test]
fn a_timed_out_acquire_never_gets_the_lock_later() {
    try_gen_test(|co| {
        let lock = Lock::new();
        let held = co.yield_(lock.acquire(None))?;
        let timed = lock.acquire(ms(10));
        let patient = lock.acquire(None);
        co.yield_(gen_::sleep(ms(20)))?;
        assert!(timed.take_result().unwrap_err().is::<TimeoutError>());
        assert_eq!(lock.waiters(), 1);
        drop(held);
        let _guard = co.yield_(patient)?;
        assert!(lock.is_locked());
        Ok(())
    })
    .unwrap();
}

#[test]
fn contended_hand_off_among_many_coroutines_is_fifo_and_exclusive() {
    let io_loop = new_loop();
    let lock = Lock::new();
    let inside = Rc::new(Cell::new(false));
    let history = History::new();
    let tasks: Vec<Future<()>> = (0..100)
        .map(|i| {
            let (lock, inside, history) = (lock.clone(), inside.clone(), history.clone());
            gen_::coroutine(move |co| {
                for round in 0..3 {
                    let _guard = co.yield_(lock.acquire(None))?;
                    assert!(!inside.replace(true), "two holders at once");
                    history.push(format!("{round}:{i}"));
                    co.yield_(gen_::moment)?;
                    inside.set(false);
                }
                Ok(())
            })
        })
        .collect();
    io_loop.run_sync(move || tasks, None).unwrap();
    let expected: Vec<String> = (0..3)
        .flat_map(|r| (0..100).map(move |i| format!("{r}:{i}")))
        .collect();
    assert_eq!(history.get(), expected, "each round in arrival order");
}
