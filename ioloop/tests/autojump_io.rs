//! On an autojump clock, a loop with fd handlers registered handles I/O
//! that is already there before it jumps the clock to the next timer.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::rc::Rc;
use std::time::Duration;

use gust_ioloop::{Events, IOLoop, ManualClock};
use mio::net::UnixStream;

#[test]
fn io_already_sent_is_handled_before_the_clock_jumps() {
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let start = io_loop.time();
    let (mut tx, rx) = UnixStream::pair().unwrap();
    let rx = Rc::new(RefCell::new(rx));
    let order = Rc::new(RefCell::new(Vec::new()));

    let (reader, log, l) = (rx.clone(), order.clone(), io_loop.clone());
    let id = io_loop
        .add_handler(&mut *rx.borrow_mut(), Events::READ, move |_| {
            let mut buf = [0u8; 16];
            while let Ok(n) = reader.borrow_mut().read(&mut buf) {
                if n == 0 {
                    break;
                }
                // What a stream does with data: resolve a future, whose
                // waiter resumes in the next iteration.
                let elapsed = l.time() - start;
                log.borrow_mut().push(format!("read at {}s", elapsed.as_secs()));
                let log = log.clone();
                l.add_callback(move || log.borrow_mut().push("delivered".to_owned()));
            }
        })
        .unwrap();
    let log = order.clone();
    io_loop.call_later(Duration::from_secs(60), move || {
        log.borrow_mut().push("timeout".to_owned());
        IOLoop::current().stop();
    });
    tx.write_all(b"ping").unwrap();
    io_loop.start().unwrap();
    assert_eq!(*order.borrow(), vec!["read at 0s", "delivered", "timeout"]);
    assert_eq!(io_loop.time() - start, Duration::from_secs(60));
    io_loop.remove_handler(&mut *rx.borrow_mut(), id).unwrap();
}

#[test]
fn without_io_the_clock_still_jumps_after_one_quiet_poll() {
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let start = io_loop.time();
    let (_tx, mut rx) = UnixStream::pair().unwrap();
    let id = io_loop.add_handler(&mut rx, Events::READ, |_| {}).unwrap();
    io_loop.call_later(Duration::from_secs(3600), || IOLoop::current().stop());
    let before = std::time::Instant::now();
    io_loop.start().unwrap();
    assert_eq!(io_loop.time() - start, Duration::from_secs(3600));
    // One grace poll of about a millisecond, not an hour.
    assert!(before.elapsed() < Duration::from_secs(5));
    io_loop.remove_handler(&mut rx, id).unwrap();
}
