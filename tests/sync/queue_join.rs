//! `task_done` and `join` for every queue type (Tornado's QueueJoinTest,
//! PriorityQueueJoinTest, LifoQueueJoinTest), and the orders.

use std::cell::Cell;
use std::rc::Rc;

use gust::gen_::{self, TimeoutError};
use gust::prelude::*;
use gust::queues::{LifoQueue, PriorityQueue, Queue, TaskDoneError};

use crate::{ms, try_gen_test};

macro_rules! join_tests {
    ($module:ident, $queue:ident) => {
        mod $module {
            use super::*;

            #[test]
            fn test_task_done_underflow() {
                let q: $queue<i32> = $queue::new(0);
                assert_eq!(q.task_done(), Err(TaskDoneError));
                assert_eq!(
                    TaskDoneError.to_string(),
                    "task_done() called too many times"
                );
            }

            #[test]
            fn test_task_done() {
                try_gen_test(|co| {
                    let q = $queue::new(0);
                    for i in 0..100u64 {
                        q.put_nowait(i).unwrap();
                    }
                    let accumulator = Rc::new(Cell::new(0));
                    let worker = || {
                        let (q, accumulator) = (q.clone(), accumulator.clone());
                        gen_::coroutine(move |co| -> Result<(), Error> {
                            loop {
                                let item = co.yield_(q.get(None))?;
                                accumulator.set(accumulator.get() + item);
                                q.task_done()?;
                                // Tornado sleeps `random() * 0.01`.
                                co.yield_(gen_::sleep(ms(item * 7 % 10)))?;
                            }
                        })
                    };
                    // Two coroutines share work.
                    let _a = worker();
                    let _b = worker();
                    co.yield_(q.join(None))?;
                    assert_eq!(accumulator.get(), (0..100).sum::<u64>());
                    Ok(())
                })
                .unwrap();
            }

            #[test]
            fn test_task_done_delay() {
                // Verify it is task_done(), not get(), that unblocks join().
                try_gen_test(|co| {
                    let q = $queue::new(0);
                    q.put_nowait(0).unwrap();
                    let join = q.join(None);
                    assert!(!join.done());
                    co.yield_(q.get(None))?;
                    assert!(!join.done());
                    co.yield_(gen_::moment)?;
                    assert!(!join.done());
                    q.task_done()?;
                    assert!(join.done());
                    Ok(())
                })
                .unwrap();
            }

            #[test]
            fn test_join_empty_queue() {
                try_gen_test(|co| {
                    let q: $queue<i32> = $queue::new(0);
                    co.yield_(q.join(None))?;
                    co.yield_(q.join(None))?;
                    Ok(())
                })
                .unwrap();
            }

            #[test]
            fn test_join_timeout() {
                try_gen_test(|co| {
                    let q = $queue::new(0);
                    drop(q.put(0, None));
                    let err = co.yield_(q.join(ms(10))).unwrap_err();
                    assert!(err.is::<TimeoutError>());
                    assert_eq!(err.to_string(), "Timeout", "join waits on an Event");
                    Ok(())
                })
                .unwrap();
            }
        }
    };
}

join_tests!(fifo, Queue);
join_tests!(priority, PriorityQueue);
join_tests!(lifo, LifoQueue);

#[test]
fn priority_test_order() {
    try_gen_test(|co| {
        let q = PriorityQueue::new(2);
        q.put_nowait((1, "a")).unwrap();
        q.put_nowait((0, "b")).unwrap();
        assert!(q.full());
        drop(q.put((3, "c"), None));
        drop(q.put((2, "d"), None));
        assert_eq!(q.get_nowait(), Ok((0, "b")));
        assert_eq!(co.yield_(q.get(None))?, (1, "a"));
        assert_eq!(q.get_nowait(), Ok((2, "d")));
        assert_eq!(co.yield_(q.get(None))?, (3, "c"));
        assert!(q.empty());
        Ok(())
    })
    .unwrap();
}

#[test]
fn lifo_test_order() {
    try_gen_test(|co| {
        let q = LifoQueue::new(2);
        q.put_nowait(1).unwrap();
        q.put_nowait(0).unwrap();
        assert!(q.full());
        drop(q.put(3, None));
        drop(q.put(2, None));
        assert_eq!(q.get_nowait(), Ok(3));
        assert_eq!(co.yield_(q.get(None))?, 2);
        assert_eq!(q.get_nowait(), Ok(0));
        assert_eq!(co.yield_(q.get(None))?, 1);
        assert!(q.empty());
        Ok(())
    })
    .unwrap();
}

#[test]
fn reprs_of_priority_and_lifo_queues() {
    let q = PriorityQueue::new(0);
    for i in [3, 1, 2] {
        q.put_nowait(i).unwrap();
    }
    assert_eq!(
        format!("{q}"),
        "<PriorityQueue maxsize=0 queue=[1, 2, 3] tasks=3>"
    );
    let q = LifoQueue::new(5);
    for i in [3, 1, 2] {
        q.put_nowait(i).unwrap();
    }
    assert_eq!(format!("{q}"), "<LifoQueue maxsize=5 queue=[3, 1, 2] tasks=3>");
}
