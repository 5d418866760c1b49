//! File-descriptor handlers

use super::*;

/// A registered socket pair: the loop watches `rx`; the test writes `tx`.
struct Pair {
    rx: Rc<RefCell<UnixStream>>,
    tx: UnixStream,
}

fn pair() -> Pair {
    let (rx, tx) = UnixStream::pair().unwrap();
    Pair {
        rx: Rc::new(RefCell::new(rx)),
        tx,
    }
}

/// Adds a handler on `pair.rx` that drains it and records the events and
/// bytes it saw.
fn recording_handler(
    io_loop: &IOLoop,
    pair: &Pair,
    events: Events,
) -> (HandlerId, Recorder<Events>, Recorder<u8>) {
    let seen = recorder();
    let data = recorder();
    let (s, d, rx) = (seen.clone(), data.clone(), pair.rx.clone());
    let id = io_loop
        .add_handler(&mut *pair.rx.borrow_mut(), events, move |ev| {
            s.borrow_mut().push(ev);
            if ev.contains(Events::READ) {
                d.borrow_mut().extend(drain(&mut rx.borrow_mut()));
            }
        })
        .unwrap();
    (id, seen, data)
}

#[test]
fn test_add_handler_read_fires() {
    // New: a READ handler hears of data, once per edge.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let (_id, seen, data) = recording_handler(&io_loop, &p, Events::READ);
    assert_eq!(io_loop.handler_count(), 1);
    step(&io_loop);
    assert!(seen.borrow().is_empty(), "nothing to read yet");

    p.tx.write_all(b"hello").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::READ]);
    assert_eq!(*data.borrow(), b"hello");

    p.tx.write_all(b" again").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::READ, Events::READ]);
    assert_eq!(*data.borrow(), b"hello again");
}

#[test]
fn test_run_once_without_waiting_polls_io() {
    // New: stepping with run_once(Some(ZERO)) on an idle loop still looks
    // for I/O (without blocking), as does run_until_idle.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let (_id, seen, data) = recording_handler(&io_loop, &p, Events::READ);
    p.tx.write_all(b"x").unwrap();
    step(&io_loop);
    assert_eq!(*seen.borrow(), [Events::READ]);
    assert_eq!(*data.borrow(), b"x");
    p.tx.write_all(b"y").unwrap();
    io_loop.run_iterations(1).unwrap();
    assert_eq!(*data.borrow(), b"xy");
}

#[test]
fn test_read_while_writeable() {
    // Ports TestIOLoop.test_read_while_writeable: a READ handler on a
    // writable socket gets READ only, never WRITE.
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let (client, server) = UnixStream::pair().unwrap();
    let client = Rc::new(RefCell::new(client));
    let events = recorder();
    let (e, c, l) = (events.clone(), client.clone(), io_loop.clone());
    let id = io_loop
        .add_handler(&mut *client.borrow_mut(), Events::READ, move |ev| {
            e.borrow_mut().push(ev);
            drain(&mut c.borrow_mut());
            l.stop();
        })
        .unwrap();
    // The timer borrows the server socket: dropping it would hang up.
    let server = Rc::new(RefCell::new(server));
    let s = server.clone();
    io_loop.add_timeout(io_loop.time() + Duration::from_millis(10), move || {
        s.borrow_mut().write_all(b"asdf").unwrap();
    });
    start_guarded(&io_loop);
    assert_eq!(*events.borrow(), [Events::READ]);
    io_loop.remove_handler(&mut *client.borrow_mut(), id).unwrap();
}

#[test]
fn test_update_handler_to_write() {
    // New: update_handler switches what the handler hears about.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let p = pair();
    let (id, seen, _data) = recording_handler(&io_loop, &p, Events::READ);
    step(&io_loop);
    assert!(seen.borrow().is_empty(), "writable, but WRITE not asked for");
    io_loop
        .update_handler(&mut *p.rx.borrow_mut(), id, Events::WRITE)
        .unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::WRITE]);
}

#[test]
fn test_update_handler_to_none_and_back() {
    // New: Events::NONE deregisters the source; asking again reports what
    // became ready meanwhile.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let (id, seen, data) = recording_handler(&io_loop, &p, Events::READ);
    io_loop
        .update_handler(&mut *p.rx.borrow_mut(), id, Events::NONE)
        .unwrap();
    assert_eq!(io_loop.handler_count(), 1);
    p.tx.write_all(b"quiet").unwrap();
    io_loop.run_iterations(3).unwrap();
    assert!(seen.borrow().is_empty());
    io_loop
        .update_handler(&mut *p.rx.borrow_mut(), id, Events::READ)
        .unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::READ]);
    assert_eq!(*data.borrow(), b"quiet");
}

#[test]
fn test_remove_handler_stops_delivery() {
    // New: after remove_handler the handler is dropped and hears nothing.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let (guard, dropped) = drop_flag();
    let calls = Rc::new(Cell::new(0));
    let (c, rx) = (calls.clone(), p.rx.clone());
    let id = io_loop
        .add_handler(&mut *p.rx.borrow_mut(), Events::READ, move |_| {
            let _guard = &guard;
            c.set(c.get() + 1);
            drain(&mut rx.borrow_mut());
        })
        .unwrap();
    p.tx.write_all(b"1").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(calls.get(), 1);

    io_loop.remove_handler(&mut *p.rx.borrow_mut(), id).unwrap();
    assert!(dropped.get());
    assert_eq!(io_loop.handler_count(), 0);
    p.tx.write_all(b"2").unwrap();
    io_loop.run_iterations(3).unwrap();
    assert_eq!(calls.get(), 1);
    // Removing again is a no-op.
    io_loop.remove_handler(&mut *p.rx.borrow_mut(), id).unwrap();
    // The same source can be registered again.
    let (_id2, seen, data) = recording_handler(&io_loop, &p, Events::READ);
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::READ]);
    assert_eq!(*data.borrow(), b"2");
}

#[test]
fn test_multiple_add() {
    // Ports TestIOLoop.test_multiple_add: adding the same source twice fails
    // and leaves the first registration working.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let (_id, seen, _data) = recording_handler(&io_loop, &p, Events::READ);
    let (guard, dropped) = drop_flag();
    let err = io_loop
        .add_handler(&mut *p.rx.borrow_mut(), Events::READ, move |_| {
            let _guard = &guard;
            panic!("the second handler must never run");
        })
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    assert!(dropped.get(), "the rejected handler is dropped");
    assert_eq!(io_loop.handler_count(), 1);
    p.tx.write_all(b"z").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::READ]);
}

#[test]
fn test_mixed_fd_fileobj() {
    // Ports TestIOLoop.test_mixed_fd_fileobj: the same fd through another
    // source object (a raw fd) is still a duplicate; removing through the
    // raw fd deregisters it.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let (id, seen, _data) = recording_handler(&io_loop, &p, Events::READ);
    let fd = p.rx.borrow().as_raw_fd();
    assert!(
        io_loop
            .add_handler(&mut SourceFd(&fd), Events::READ, |_| {})
            .is_err()
    );
    assert_eq!(io_loop.handler_count(), 1);
    io_loop.remove_handler(&mut SourceFd(&fd), id).unwrap();
    assert_eq!(io_loop.handler_count(), 0);
    p.tx.write_all(b"z").unwrap();
    io_loop.run_iterations(2).unwrap();
    assert!(seen.borrow().is_empty());
}

#[test]
fn test_remove_without_add() {
    // Ports TestIOLoop.test_remove_without_add: removing a handler that is
    // not registered is a no-op, even when the source itself has another,
    // live registration (a stale id must not deregister it).
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let (stale, _seen, _data) = recording_handler(&io_loop, &p, Events::READ);
    io_loop.remove_handler(&mut *p.rx.borrow_mut(), stale).unwrap();
    let never_added = pair();
    io_loop
        .remove_handler(&mut *never_added.rx.borrow_mut(), stale)
        .unwrap();

    let (live, seen, data) = recording_handler(&io_loop, &p, Events::READ);
    assert_ne!(live, stale);
    io_loop.remove_handler(&mut *p.rx.borrow_mut(), stale).unwrap();
    let err = io_loop
        .update_handler(&mut *p.rx.borrow_mut(), stale, Events::WRITE)
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert_eq!(io_loop.handler_count(), 1);
    p.tx.write_all(b"live").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::READ]);
    assert_eq!(*data.borrow(), b"live");
}

#[test]
fn test_remove_handler_from_handler() {
    // Ports TestIOLoop.test_remove_handler_from_handler: two sockets ready
    // in the same poll; whichever handler runs first removes the other,
    // whose pending event is then dropped.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let (client, server) = UnixStream::pair().unwrap();
    let socks = [Rc::new(RefCell::new(client)), Rc::new(RefCell::new(server))];
    socks[0].borrow_mut().write_all(b"abc").unwrap();
    socks[1].borrow_mut().write_all(b"abc").unwrap();
    let ids: Rc<[Cell<Option<HandlerId>>; 2]> = Rc::new([Cell::new(None), Cell::new(None)]);
    let chunks = recorder();
    for me in 0..2 {
        let other = 1 - me;
        let (socks2, ids2, chunks2, l) = (socks.clone(), ids.clone(), chunks.clone(), io_loop.clone());
        let id = io_loop
            .add_handler(&mut *socks[me].borrow_mut(), Events::READ, move |_| {
                chunks2.borrow_mut().push(drain(&mut socks2[me].borrow_mut()));
                let other_id = ids2[other].get().unwrap();
                l.remove_handler(&mut *socks2[other].borrow_mut(), other_id)
                    .unwrap();
            })
            .unwrap();
        ids[me].set(Some(id));
    }
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    io_loop.run_iterations(3).unwrap();
    assert_eq!(*chunks.borrow(), [b"abc".to_vec()]);
    assert_eq!(io_loop.handler_count(), 1);
}

#[test]
fn test_handler_removes_itself() {
    // New: a handler may remove itself while it runs; it is dropped right
    // after the call and never called again.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let my_id = Rc::new(Cell::new(None::<HandlerId>));
    let calls = Rc::new(Cell::new(0));
    let (guard, dropped) = drop_flag();
    let (c, rx, me, l) = (calls.clone(), p.rx.clone(), my_id.clone(), io_loop.clone());
    let id = io_loop
        .add_handler(&mut *p.rx.borrow_mut(), Events::READ, move |_| {
            let _guard = &guard;
            c.set(c.get() + 1);
            drain(&mut rx.borrow_mut());
            l.remove_handler(&mut *rx.borrow_mut(), me.get().unwrap())
                .unwrap();
        })
        .unwrap();
    my_id.set(Some(id));
    p.tx.write_all(b"1").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(calls.get(), 1);
    assert!(dropped.get(), "dropped once its call returned");
    assert_eq!(io_loop.handler_count(), 0);
    p.tx.write_all(b"2").unwrap();
    io_loop.run_iterations(3).unwrap();
    assert_eq!(calls.get(), 1);
}

#[test]
fn test_handler_updates_itself() {
    // New: a handler may change its own events while it runs.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let my_id = Rc::new(Cell::new(None::<HandlerId>));
    let seen = recorder();
    let (s, rx, me, l) = (seen.clone(), p.rx.clone(), my_id.clone(), io_loop.clone());
    let id = io_loop
        .add_handler(&mut *p.rx.borrow_mut(), Events::READ, move |ev| {
            s.borrow_mut().push(ev);
            drain(&mut rx.borrow_mut());
            if ev.contains(Events::READ) {
                l.update_handler(&mut *rx.borrow_mut(), me.get().unwrap(), Events::WRITE)
                    .unwrap();
            }
        })
        .unwrap();
    my_id.set(Some(id));
    p.tx.write_all(b"1").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::READ, Events::WRITE]);
}

#[test]
fn test_stale_event_never_reaches_reused_slot() {
    // New: two sockets are ready in one poll. The first handler to run
    // removes the other and registers a third socket, which gets the freed
    // slot. The removed handler's event, still in the batch, must not reach
    // the new handler (the third socket has nothing to read).
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut a = pair();
    let mut b = pair();
    let mut c = pair();
    a.tx.write_all(b"a").unwrap();
    b.tx.write_all(b"b").unwrap();

    let rxs = Rc::new([a.rx.clone(), b.rx.clone()]);
    let ids: Rc<[Cell<Option<HandlerId>>; 2]> = Rc::new([Cell::new(None), Cell::new(None)]);
    let new_id = Rc::new(Cell::new(None::<HandlerId>));
    let removed_id = Rc::new(Cell::new(None::<HandlerId>));
    let ran = recorder();
    let new_calls = recorder();
    for me in 0..2 {
        let other = 1 - me;
        let (rxs2, ids2, l, ran2) = (rxs.clone(), ids.clone(), io_loop.clone(), ran.clone());
        let (c_rx, new_id2, removed2, calls2) = (
            c.rx.clone(),
            new_id.clone(),
            removed_id.clone(),
            new_calls.clone(),
        );
        let source = rxs[me].clone();
        let id = io_loop
            .add_handler(&mut *source.borrow_mut(), Events::READ, move |_| {
                ran2.borrow_mut().push(me);
                drain(&mut rxs2[me].borrow_mut());
                if removed2.get().is_some() {
                    return;
                }
                let other_id = ids2[other].get().unwrap();
                l.remove_handler(&mut *rxs2[other].borrow_mut(), other_id)
                    .unwrap();
                removed2.set(Some(other_id));
                let calls3 = calls2.clone();
                let id = l
                    .add_handler(&mut *c_rx.borrow_mut(), Events::READ, move |ev| {
                        calls3.borrow_mut().push(ev)
                    })
                    .unwrap();
                new_id2.set(Some(id));
            })
            .unwrap();
        ids[me].set(Some(id));
    }
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(ran.borrow().len(), 1, "only the first handler ran");
    let (removed, fresh) = (removed_id.get().unwrap(), new_id.get().unwrap());
    assert_eq!(slot_of(removed), slot_of(fresh), "precondition: slot reused");
    assert_ne!(removed, fresh);
    assert!(
        new_calls.borrow().is_empty(),
        "a stale event reached the new handler: {:?}",
        new_calls.borrow()
    );

    // The new handler hears its own events.
    c.tx.write_all(b"c").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*new_calls.borrow(), [Events::READ]);
}

#[test]
fn test_handler_callback_file_object() {
    // Ports TestIOLoop.test_handler_callback_file_object on TCP: a listener
    // handler accepts connections; remove and re-add the same socket.
    let clock = ManualClock::new();
    let io_loop = IOLoop::with_clock(&clock);
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = Rc::new(RefCell::new(listener));
    let accepted = Rc::new(Cell::new(0));
    let make_handler = || {
        let (lst, acc, l) = (listener.clone(), accepted.clone(), io_loop.clone());
        move |ev: Events| {
            assert!(ev.contains(Events::READ));
            loop {
                match lst.borrow().accept() {
                    Ok(_) => acc.set(acc.get() + 1),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("accept: {e}"),
                }
            }
            l.stop();
        }
    };
    let first = io_loop
        .add_handler(&mut *listener.borrow_mut(), Events::READ, make_handler())
        .unwrap();
    let _client1 = std::net::TcpStream::connect(addr).unwrap();
    start_guarded(&io_loop);
    assert_eq!(accepted.get(), 1);

    io_loop
        .remove_handler(&mut *listener.borrow_mut(), first)
        .unwrap();
    let second = io_loop
        .add_handler(&mut *listener.borrow_mut(), Events::READ, make_handler())
        .unwrap();
    assert_ne!(first, second);
    let _client2 = std::net::TcpStream::connect(addr).unwrap();
    start_guarded(&io_loop);
    assert_eq!(accepted.get(), 2);
    io_loop
        .remove_handler(&mut *listener.borrow_mut(), second)
        .unwrap();
}

#[test]
fn test_handler_panic_is_logged_and_handler_kept() {
    // New: a panicking fd handler is logged like a callback and stays
    // registered.
    let logs = LogCapture::start();
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let mut p = pair();
    let calls = Rc::new(Cell::new(0));
    let (c, rx) = (calls.clone(), p.rx.clone());
    io_loop
        .add_handler(&mut *p.rx.borrow_mut(), Events::READ, move |_| {
            c.set(c.get() + 1);
            drain(&mut rx.borrow_mut());
            if c.get() == 1 {
                panic!("handler boom");
            }
        })
        .unwrap();
    p.tx.write_all(b"1").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    let errors = logs.app_errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("Exception in callback ") && errors[0].ends_with(": handler boom"));
    assert_eq!(io_loop.handler_count(), 1);
    p.tx.write_all(b"2").unwrap();
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(calls.get(), 2);
}

#[test]
fn test_error_is_always_reported() {
    // New (Tornado: ERROR is always watched): a peer hang-up reaches a
    // WRITE-only handler as ERROR, without READ, which it did not ask for.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let p = pair();
    let (id, seen, _data) = recording_handler(&io_loop, &p, Events::WRITE);
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen.borrow(), [Events::WRITE]);
    drop(p.tx);
    io_loop.run_once(Some(Duration::from_secs(5))).unwrap();
    let last = *seen.borrow().last().unwrap();
    assert_eq!(seen.borrow().len(), 2);
    assert!(last.contains(Events::ERROR), "{last:?}");
    assert!(!last.contains(Events::READ), "{last:?}");

    // A READ handler sees the hang-up as READ (end of file) and ERROR.
    let io_loop2 = IOLoop::with_clock(ManualClock::new());
    let q = pair();
    let (_id2, seen2, _data2) = recording_handler(&io_loop2, &q, Events::READ);
    drop(q.tx);
    io_loop2.run_once(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(*seen2.borrow(), [Events::READ | Events::ERROR]);
    io_loop.remove_handler(&mut *p.rx.borrow_mut(), id).unwrap();
}

#[test]
fn test_add_handler_on_closed_loop_fails() {
    // New: a closed loop refuses handlers.
    let io_loop = IOLoop::with_clock(ManualClock::new());
    io_loop.close().unwrap();
    let p = pair();
    let (guard, dropped) = drop_flag();
    let result = io_loop.add_handler(&mut *p.rx.borrow_mut(), Events::READ, move |_| {
        let _guard = &guard;
    });
    assert!(result.is_err());
    assert!(dropped.get());
    assert_eq!(io_loop.handler_count(), 0);
}
