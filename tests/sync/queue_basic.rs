//! `Queue`: Tornado's QueueBasicTest, QueueGetTest, QueuePutTest and
//! ProducerConsumerTest, and iteration.

use gust::concurrent::Future;
use gust::gen_::{self, TimeoutError};
use gust::prelude::*;
use gust::queues::{Queue, QueueEmpty, QueueFull};

use crate::{History, loop_briefly, ms, new_loop, strings, try_gen_test};

// ---- QueueBasicTest ----

#[test]
fn test_repr_and_str() {
    let _io_loop = new_loop();
    let q: Queue<Option<()>> = Queue::new(1);
    let repr = format!("{q:?}");
    let str = format!("{q}");
    assert!(repr.contains(" at 0x"), "{repr}");
    assert!(!str.contains(" at 0x"), "{str}");
    let _get = q.get(None);

    for q_str in [format!("{q:?}"), format!("{q}")] {
        assert!(q_str.starts_with("<Queue"));
        assert!(q_str.contains("maxsize=1"));
        assert!(q_str.contains("getters[1]"));
        assert!(!q_str.contains("putters"));
        assert!(!q_str.contains("tasks"));
    }

    drop(q.put(None, None));
    drop(q.put(None, None));
    // Now the queue is full, this putter blocks.
    let _put = q.put(None, None);

    for q_str in [format!("{q:?}"), format!("{q}")] {
        assert!(!q_str.contains("getters"));
        assert!(q_str.contains("putters[1]"));
        assert!(q_str.contains("tasks=2"));
    }
    assert_eq!(
        format!("{q}"),
        "<Queue maxsize=1 queue=deque([None]) putters[1] tasks=2>"
    );
}

#[test]
fn test_order() {
    let q = Queue::new(0);
    for i in [1, 3, 2] {
        q.put_nowait(i).unwrap();
    }
    let items: Vec<i32> = (0..3).map(|_| q.get_nowait().unwrap()).collect();
    assert_eq!(items, [1, 3, 2]);
}

#[test]
fn test_maxsize() {
    try_gen_test(|co| {
        let q = Queue::new(2);
        assert!(q.empty());
        assert!(!q.full());
        assert_eq!(q.maxsize(), 2);
        assert!(q.put(0, None).done());
        assert!(q.put(1, None).done());
        assert!(!q.empty());
        assert!(q.full());
        let put2 = q.put(2, None);
        assert!(!put2.done());
        assert_eq!(co.yield_(q.get(None))?, 0); // Make room.
        assert!(put2.done());
        assert!(!q.empty());
        assert!(q.full());
        Ok(())
    })
    .unwrap();
}

// ---- QueueGetTest ----

#[test]
fn test_blocking_get() {
    try_gen_test(|co| {
        let q = Queue::new(0);
        q.put_nowait(0).unwrap();
        assert_eq!(co.yield_(q.get(None))?, 0);
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_nonblocking_get() {
    let q = Queue::new(0);
    q.put_nowait(0).unwrap();
    assert_eq!(q.get_nowait(), Ok(0));
}

#[test]
fn test_nonblocking_get_exception() {
    let q: Queue<i32> = Queue::new(0);
    assert_eq!(q.get_nowait(), Err(QueueEmpty));
}

#[test]
fn test_get_with_putters() {
    try_gen_test(|co| {
        let q = Queue::new(1);
        q.put_nowait(0).unwrap();
        let put = q.put(1, None);
        assert_eq!(co.yield_(q.get(None))?, 0);
        co.yield_(put)?;
        assert_eq!(q.get_nowait(), Ok(1));
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_blocking_get_wait() {
    try_gen_test(|co| {
        let q = Queue::new(0);
        drop(q.put(0, None));
        let io_loop = IOLoop::current();
        let (q1, q2) = (q.clone(), q.clone());
        io_loop.call_later(ms(10), move || q1.put_nowait(1).map_err(|_| "full"));
        io_loop.call_later(ms(20), move || q2.put_nowait(2).map_err(|_| "full"));
        assert_eq!(co.yield_(q.get(ms(1000)))?, 0);
        assert_eq!(co.yield_(q.get(ms(1000)))?, 1);
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_get_timeout() {
    try_gen_test(|co| {
        let q = Queue::new(0);
        let get_timeout = q.get(ms(10));
        let get = q.get(None);
        let err = co.yield_(get_timeout).unwrap_err();
        assert!(err.is::<TimeoutError>());
        assert_eq!(err.to_string(), "");

        q.put_nowait(0).unwrap();
        assert_eq!(co.yield_(get)?, 0);
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_get_timeout_preempted() {
    try_gen_test(|co| {
        let q = Queue::new(0);
        let get = q.get(ms(10));
        drop(q.put(0, None));
        co.yield_(gen_::sleep(ms(20)))?;
        assert_eq!(co.yield_(get)?, 0);
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_get_clears_timed_out_putters() {
    try_gen_test(|co| {
        let q = Queue::new(1);
        // First putter succeeds, remainder block.
        let putters: Vec<Future<()>> = (0..10).map(|i| q.put(i, ms(10))).collect();
        let put = q.put(10, None);
        assert_eq!(q.putters(), 10);
        co.yield_(gen_::sleep(ms(20)))?;
        // Tornado keeps the timed-out putters until a get or put; gust
        // removes them when they time out.
        assert_eq!(q.putters(), 1);
        assert!(!put.done()); // Final waiter is still active.
        drop(q.put(11, None));
        assert_eq!(co.yield_(q.get(None))?, 0);
        assert_eq!(q.putters(), 1);
        for putter in &putters[1..] {
            assert!(putter.take_result().unwrap_err().is::<TimeoutError>());
        }
        // 1..=9 were never put.
        assert_eq!(q.get_nowait(), Ok(10));
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_get_clears_timed_out_getters() {
    try_gen_test(|co| {
        let q: Queue<i32> = Queue::new(0);
        let getters: Vec<Future<i32>> = (0..10).map(|_| q.get(ms(10))).collect();
        let get = q.get(None);
        assert_eq!(q.getters(), 11);
        co.yield_(gen_::sleep(ms(20)))?;
        assert_eq!(q.getters(), 1);
        assert!(!get.done()); // Final waiter is still active.
        let _second = q.get(None);
        assert_eq!(q.getters(), 2);
        for getter in getters {
            assert!(getter.take_result().unwrap_err().is::<TimeoutError>());
        }
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_async_for() {
    let io_loop = new_loop();
    let q = Queue::new(0);
    for i in 0..5 {
        drop(q.put(i, None));
    }
    let mut stream = q.stream();
    let results = io_loop.spawn(async move {
        let mut results = Vec::new();
        while let Some(i) = stream.next().await {
            results.push(i);
            if i == 4 {
                return Ok::<_, Error>(results);
            }
        }
        Ok(results)
    });
    assert_eq!(io_loop.run_sync(move || results, None).unwrap(), [0, 1, 2, 3, 4]);
}

#[test]
fn for_item_in_iter_from_a_decorated_coroutine() {
    try_gen_test(|co| {
        let q = Queue::new(0);
        let producer = {
            let q = q.clone();
            gen_::coroutine(move |co| {
                for i in 0..5 {
                    co.yield_(gen_::sleep(ms(1)))?;
                    co.yield_(q.put(i, None))?;
                }
                Ok(())
            })
        };
        let mut results = Vec::new();
        for i in q.iter(co) {
            results.push(i);
            if i == 4 {
                break;
            }
        }
        co.yield_(producer)?;
        assert_eq!(results, [0, 1, 2, 3, 4]);
        Ok(())
    })
    .unwrap();
}

// ---- QueuePutTest ----

#[test]
fn test_blocking_put() {
    try_gen_test(|co| {
        let q = Queue::new(0);
        co.yield_(q.put(0, None))?;
        assert_eq!(q.get_nowait(), Ok(0));
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_nonblocking_put_exception() {
    let _io_loop = new_loop();
    let q = Queue::new(1);
    drop(q.put(0, None));
    let full = q.put_nowait(1).unwrap_err();
    assert_eq!(full.into_inner(), 1);
    assert!(matches!(q.put_nowait(2), Err(QueueFull(2))));
}

#[test]
fn test_put_with_getters() {
    try_gen_test(|co| {
        let q = Queue::new(0);
        let get0 = q.get(None);
        let get1 = q.get(None);
        co.yield_(q.put(0, None))?;
        assert_eq!(co.yield_(get0)?, 0);
        co.yield_(q.put(1, None))?;
        assert_eq!(co.yield_(get1)?, 1);
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_nonblocking_put_with_getters() {
    try_gen_test(|co| {
        let q = Queue::new(0);
        let get0 = q.get(None);
        let get1 = q.get(None);
        q.put_nowait(0).unwrap();
        // put_nowait does *not* immediately unblock getters' coroutines.
        co.yield_(gen_::moment)?;
        assert_eq!(co.yield_(get0)?, 0);
        q.put_nowait(1).unwrap();
        co.yield_(gen_::moment)?;
        assert_eq!(co.yield_(get1)?, 1);
        Ok(())
    })
    .unwrap();
}

#[test]
fn put_nowait_resumes_a_waiting_coroutine_on_the_next_iteration() {
    let io_loop = new_loop();
    let q = Queue::new(0);
    let history = History::new();
    let consumer = {
        let (q, history) = (q.clone(), history.clone());
        gen_::coroutine(move |co| {
            let item = co.yield_(q.get(None))?;
            history.push(item);
            Ok(())
        })
    };
    q.put_nowait(7).unwrap();
    assert_eq!(q.qsize(), 0, "handed straight to the getter");
    assert_eq!(history.len(), 0);
    loop_briefly(&io_loop);
    assert_eq!(history.get(), ["7"]);
    assert!(consumer.done());
}

#[test]
fn test_blocking_put_wait() {
    try_gen_test(|co| {
        let q = Queue::new(1);
        q.put_nowait(0).unwrap();
        let io_loop = IOLoop::current();
        for delay in [10, 20] {
            let q = q.clone();
            // `get_and_discard`: the get's future is dropped; it is done
            // already (the queue is full), so nothing waits.
            io_loop.call_later(ms(delay), move || drop(q.get(None)));
        }
        let futures = vec![q.put(0, None), q.put(1, None)];
        assert!(!futures.iter().any(Future::done));
        co.yield_(futures)?;
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_put_timeout() {
    try_gen_test(|co| {
        let q = Queue::new(1);
        q.put_nowait(0).unwrap(); // Now it's full.
        let put_timeout = q.put(1, ms(10));
        let put = q.put(2, None);
        let err = co.yield_(put_timeout).unwrap_err();
        assert!(err.is::<TimeoutError>());

        assert_eq!(q.get_nowait(), Ok(0));
        // 1 was never put in the queue.
        assert_eq!(co.yield_(q.get(None))?, 2);

        // Final get() unblocked this putter.
        co.yield_(put)?;
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_put_timeout_preempted() {
    try_gen_test(|co| {
        let q = Queue::new(1);
        q.put_nowait(0).unwrap();
        let put = q.put(1, ms(10));
        drop(q.get(None));
        co.yield_(gen_::sleep(ms(20)))?;
        co.yield_(put)?; // No TimeoutError.
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_put_clears_timed_out_putters() {
    try_gen_test(|co| {
        let q = Queue::new(1);
        // First putter succeeds, remainder block.
        let putters: Vec<Future<()>> = (0..10).map(|i| q.put(i, ms(10))).collect();
        let put = q.put(10, None);
        assert_eq!(q.putters(), 10);
        co.yield_(gen_::sleep(ms(20)))?;
        assert_eq!(q.putters(), 1);
        assert!(!put.done()); // Final waiter is still active.
        drop(q.put(11, None));
        assert_eq!(q.putters(), 2);
        for putter in &putters[1..] {
            assert!(putter.take_result().unwrap_err().is::<TimeoutError>());
        }
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_put_clears_timed_out_getters() {
    try_gen_test(|co| {
        let q = Queue::new(0);
        let getters: Vec<Future<i32>> = (0..10).map(|_| q.get(ms(10))).collect();
        let get = q.get(None);
        let _other = q.get(None);
        assert_eq!(q.getters(), 12);
        co.yield_(gen_::sleep(ms(20)))?;
        assert_eq!(q.getters(), 2);
        assert!(!get.done()); // Final waiters still active.
        drop(q.put(0, None));
        assert_eq!(q.getters(), 1);
        assert_eq!(co.yield_(get)?, 0);
        for getter in getters {
            assert!(getter.take_result().unwrap_err().is::<TimeoutError>());
        }
        Ok(())
    })
    .unwrap();
}

// ---- ProducerConsumerTest ----

#[test]
fn test_producer_consumer() {
    try_gen_test(|co| {
        let q = Queue::new(3);
        let history = History::new();

        // We don't yield between get() and task_done(), so get() must wait
        // for the next tick. Otherwise we'd immediately call task_done and
        // unblock join() before q.put() resumes, and we'd only process the
        // first four items.
        let _consumer = {
            let (q, history) = (q.clone(), history.clone());
            gen_::coroutine(move |co| -> Result<(), Error> {
                loop {
                    history.push(co.yield_(q.get(None))?);
                    q.task_done()?;
                }
            })
        };
        let producer = {
            let q = q.clone();
            gen_::coroutine(move |co| {
                for item in 0..10 {
                    co.yield_(q.put(item, None))?;
                }
                Ok(())
            })
        };
        co.yield_(producer)?;
        co.yield_(q.join(None))?;
        assert_eq!(history.get(), strings(0..10));
        Ok(())
    })
    .unwrap();
}
