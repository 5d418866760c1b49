//! `Event`: Tornado's EventTest.

use gust::gen_::TimeoutError;
use gust::locks::Event;
use gust::prelude::*;

use crate::{loop_briefly, ms, new_loop, try_gen_test};

#[test]
fn test_repr() {
    let event = Event::new();
    assert!(format!("{event:?}").contains("clear"));
    assert!(!format!("{event:?}").contains("set"));
    event.set();
    assert!(!format!("{event:?}").contains("clear"));
    assert_eq!(format!("{event:?}"), "<Event set>");
}

#[test]
fn test_event() {
    let _io_loop = new_loop();
    let e = Event::new();
    let future_0 = e.wait(None);
    e.set();
    let future_1 = e.wait(None);
    e.clear();
    let future_2 = e.wait(None);

    assert!(future_0.done());
    assert!(future_1.done());
    assert!(!future_2.done());
}

#[test]
fn test_event_timeout() {
    try_gen_test(|co| {
        let e = Event::new();
        let err = co.yield_(e.wait(ms(10))).unwrap_err();
        assert!(err.is::<TimeoutError>());
        // Tornado's Event.wait times out through gen.with_timeout.
        assert_eq!(err.to_string(), "Timeout");
        assert_eq!(e.waiters(), 0);

        // After a timed-out waiter, normal operation works.
        let setter = e.clone();
        IOLoop::current().add_timeout(ms(10), move || setter.set());
        co.yield_(e.wait(ms(1000)))?;
        Ok(())
    })
    .unwrap();
}

#[test]
fn test_event_set_multiple() {
    let e = Event::new();
    e.set();
    e.set();
    assert!(e.is_set());
}

#[test]
fn test_event_wait_clear() {
    let _io_loop = new_loop();
    let e = Event::new();
    let f0 = e.wait(None);
    e.clear();
    let f1 = e.wait(None);
    e.set();
    assert!(f0.done());
    assert!(f1.done());
}

#[test]
fn set_wakes_waiting_coroutines_on_the_next_iteration_in_order() {
    let io_loop = new_loop();
    let e = Event::new();
    let order = crate::History::new();
    for i in 0..3 {
        let (e, order) = (e.clone(), order.clone());
        gust::gen_::coroutine(move |co| {
            co.yield_(e.wait(None))?;
            order.push(i);
            Ok(())
        });
    }
    e.set();
    assert_eq!(order.len(), 0);
    loop_briefly(&io_loop);
    assert_eq!(order.get(), ["0", "1", "2"]);
}
