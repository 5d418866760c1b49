//! No item is lost or duplicated when a get or put times out or its
//! consumer goes away, at any point of the hand-off.

use std::future::Future as _;
use std::pin::pin;
use std::task::Poll;

use gust::concurrent::Future;
use gust::gen_::{self, TimeoutError};
use gust::prelude::*;
use gust::queues::{LifoQueue, Queue};

use crate::{loop_briefly, ms, new_loop, try_gen_test};

#[test]
fn a_get_that_timed_out_never_takes_an_item() {
    try_gen_test(|co| {
        let q = Queue::new(0);
        let timed = q.get(ms(10));
        co.yield_(gen_::sleep(ms(20)))?;
        assert!(timed.take_result().unwrap_err().is::<TimeoutError>());
        q.put_nowait("item").unwrap();
        assert_eq!(q.qsize(), 1, "the item stayed in the queue");
        assert_eq!(co.yield_(q.get(None))?, "item");
        Ok(())
    })
    .unwrap();
}

#[test]
fn a_get_wrapped_in_with_timeout_that_gave_up_does_not_swallow_the_next_item() {
    // What a hand-written consumer does: `with_timeout(t, q.get())` in a
    // loop. The inner get stays in the queue after the timeout; the
    // next item must not vanish into it.
    try_gen_test(|co| {
        let q = Queue::new(0);
        let err = co.yield_(gen_::with_timeout(ms(10), q.get(None))).unwrap_err();
        assert!(err.is::<TimeoutError>());
        q.put_nowait(1).unwrap();
        assert_eq!(q.qsize(), 1, "nobody could read it: it came back");
        assert_eq!(co.yield_(gen_::with_timeout(ms(10), q.get(None)))?, 1);
        // And with a live getter behind the stale one, the item goes on to it.
        let _ = co.yield_(gen_::with_timeout(ms(10), q.get(None)));
        let live = q.get(None);
        q.put_nowait(2).unwrap();
        assert_eq!(co.yield_(live)?, 2);
        assert!(q.empty());
        Ok(())
    })
    .unwrap();
}

#[test]
fn a_getter_dropped_before_the_put_is_skipped() {
    let _io_loop = new_loop();
    let q = Queue::new(0);
    let dropped = q.get(None);
    let kept = q.get(None);
    drop(dropped);
    assert_eq!(q.getters(), 1);
    q.put_nowait(1).unwrap();
    assert_eq!(kept.take_result().unwrap(), 1);
}

#[test]
fn a_native_get_abandoned_by_select_is_skipped() {
    let io_loop = new_loop();
    let q: Queue<u32> = Queue::new(0);
    let gave_up = {
        let q = q.clone();
        io_loop.spawn(async move {
            let mut get = pin!(q.get(None));
            std::future::poll_fn(|cx| {
                assert!(get.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
        })
    };
    io_loop.run_until_idle().unwrap();
    assert!(gave_up.done());
    q.put_nowait(5).unwrap();
    assert_eq!(
        q.get_nowait(),
        Ok(5),
        "the item was not handed to the abandoned get"
    );
}

#[test]
fn an_item_handed_to_a_native_task_dropped_before_reading_it_comes_back() {
    let q = Queue::new(0);
    {
        let io_loop = new_loop();
        let q2 = q.clone();
        let _task = io_loop.spawn(async move { q2.get(None).await });
        loop_briefly(&io_loop); // the task waits
        assert_eq!(q.getters(), 1);
        q.put_nowait("handed").unwrap();
        assert_eq!(q.qsize(), 0, "handed to the task");
        // The loop closes before the task runs again: the task is dropped
        // with the item unread in its future.
        io_loop.close().unwrap();
    }
    assert_eq!(q.get_nowait(), Ok("handed"));
    assert_eq!(q.unfinished_tasks(), 1, "still one task, not two");
}

#[test]
fn an_item_handed_to_a_coroutine_closed_before_it_resumed_comes_back() {
    let q = Queue::new(0);
    {
        let io_loop = new_loop();
        let q2 = q.clone();
        let _consumer = gen_::coroutine(move |co| {
            let item = co.yield_(q2.get(None))?;
            Ok(item)
        });
        q.put_nowait(String::from("handed")).unwrap();
        assert!(q.empty());
        // Closed before the iteration that would resume it.
        io_loop.close().unwrap();
    }
    assert_eq!(q.get_nowait().unwrap(), "handed");
}

#[test]
fn a_coroutine_closed_while_waiting_leaves_no_getter_behind() {
    let q = Queue::new(0);
    {
        let io_loop = new_loop();
        let q2 = q.clone();
        let _consumer = gen_::coroutine(move |co| co.yield_(q2.get(None)));
        io_loop.close().unwrap();
    }
    let _io_loop = new_loop();
    q.put_nowait(3).unwrap();
    assert_eq!(q.get_nowait(), Ok(3));
}

#[test]
fn a_returned_item_keeps_its_place_at_the_front() {
    let _io_loop = new_loop();
    let q = Queue::new(0);
    let unread = q.get(None);
    let observer = unread.clone();
    q.put_nowait(1).unwrap(); // handed to `unread`
    q.put_nowait(2).unwrap();
    q.put_nowait(3).unwrap();
    drop(unread);
    drop(observer); // nobody read 1
    let items: Vec<i32> = std::iter::from_fn(|| q.get_nowait().ok()).collect();
    assert_eq!(items, [1, 2, 3]);

    // A LIFO queue puts it back on top (it was the newest when taken).
    let q = LifoQueue::new(0);
    let unread = q.get(None);
    let observer = unread.clone();
    q.put_nowait(1).unwrap();
    q.put_nowait(2).unwrap();
    drop((unread, observer));
    let items: Vec<i32> = std::iter::from_fn(|| q.get_nowait().ok()).collect();
    assert_eq!(items, [1, 2]);
}

#[test]
fn a_returned_item_goes_to_the_next_getter() {
    let io_loop = new_loop();
    let q = Queue::new(0);
    let unread = q.get(None);
    let observer = unread.clone();
    let next = q.get(None);
    q.put_nowait("x").unwrap();
    assert!(unread.done());
    assert!(!next.done());
    drop((unread, observer));
    assert_eq!(next.take_result().unwrap(), "x");
    assert!(q.empty());
    loop_briefly(&io_loop);
}

#[test]
fn a_copied_item_is_not_returned() {
    let _io_loop = new_loop();
    let q = Queue::new(0);
    let get = q.get(None);
    let reader = get.clone();
    q.put_nowait(9).unwrap();
    assert_eq!(reader.result().unwrap(), 9); // read by copy
    drop((get, reader));
    assert!(q.empty(), "read once, so not given back (no duplicate)");
}

#[test]
fn a_dropped_stream_returns_its_unread_item() {
    let io_loop = new_loop();
    let q = Queue::new(0);
    let stream_task = {
        let mut stream = q.stream();
        io_loop.spawn(async move {
            let first = stream.next().await;
            // Start waiting for a second item, then give up on the stream.
            let mut next = pin!(stream.next());
            std::future::poll_fn(|cx| {
                assert!(next.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
            Ok::<_, Error>(first)
        })
    };
    q.put_nowait(1).unwrap();
    io_loop.run_until_idle().unwrap();
    assert_eq!(stream_task.take_result().unwrap(), Some(1));
    assert_eq!(q.getters(), 0, "the dropped stream's get is not counted");
    q.put_nowait(2).unwrap();
    assert_eq!(q.get_nowait(), Ok(2));
}

#[test]
fn a_stream_next_dropped_midway_loses_nothing() {
    let io_loop = new_loop();
    let q = Queue::new(0);
    let mut stream = q.stream();
    let q2 = q.clone();
    let task = io_loop.spawn(async move {
        {
            // Poll once and drop the `next` future: the wait stays in the
            // stream.
            let mut next = pin!(stream.next());
            std::future::poll_fn(|cx| {
                assert!(next.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
        }
        q2.put_nowait(7).unwrap();
        Ok::<_, Error>(stream.next().await)
    });
    io_loop.run_until_idle().unwrap();
    assert_eq!(task.take_result().unwrap(), Some(7));
    assert!(q.empty());
}

#[test]
fn a_put_whose_future_was_dropped_still_puts() {
    // Tornado's fire-and-forget `q.put(item)`: nobody waits for the put,
    // but it happens when there is room.
    let _io_loop = new_loop();
    let q = Queue::new(1);
    q.put_nowait(0).unwrap();
    drop(q.put(1, None));
    let kept = q.put(2, None);
    assert_eq!(q.putters(), 2);
    assert_eq!(q.get_nowait(), Ok(0));
    assert!(!kept.done());
    assert_eq!(q.get_nowait(), Ok(1));
    assert!(kept.done());
    assert_eq!(q.get_nowait(), Ok(2));
    assert!(q.empty());
    assert_eq!(q.unfinished_tasks(), 3);
}

#[test]
fn a_put_that_timed_out_never_puts_later() {
    try_gen_test(|co| {
        let q = Queue::new(1);
        q.put_nowait(0).unwrap();
        let timed = q.put(1, ms(10));
        co.yield_(gen_::sleep(ms(20)))?;
        assert!(timed.take_result().unwrap_err().is::<TimeoutError>());
        assert_eq!(q.get_nowait(), Ok(0));
        assert!(q.empty());
        Ok(())
    })
    .unwrap();
}

#[test]
fn many_consumers_with_timeouts_lose_and_duplicate_nothing() {
    // Consumers that keep giving up (short timeouts) against a slow
    // producer: every item is received exactly once.
    try_gen_test(|co| {
        let q = Queue::new(0);
        let received = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let consumers: Vec<Future<()>> = (0..5u64)
            .map(|c| {
                let (q, received) = (q.clone(), received.clone());
                gen_::coroutine(move |co| {
                    let mut misses = 0;
                    while misses < 50 {
                        let attempt = if c % 2 == 0 {
                            co.yield_(q.get(ms(3 + c)))
                        } else {
                            co.yield_(gen_::with_timeout(ms(3 + c), q.get(None)))
                        };
                        match attempt {
                            Ok(item) => received.borrow_mut().push(item),
                            Err(e) if e.is::<TimeoutError>() => misses += 1,
                            Err(e) => return Err(e),
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for item in 0..200u64 {
            q.put_nowait(item).unwrap();
            co.yield_(gen_::sleep(ms(item % 5)))?;
        }
        co.yield_(consumers)?;
        let mut all = received.borrow().clone();
        all.extend(std::iter::from_fn(|| q.get_nowait().ok()));
        all.sort();
        assert_eq!(all, (0..200).collect::<Vec<_>>());
        Ok(())
    })
    .unwrap();
}
