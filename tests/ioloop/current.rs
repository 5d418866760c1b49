//! IOLoop::current()

use super::*;

/// Runs `f` on a fresh thread, whose current-loop slots are pristine.
fn on_fresh_thread(f: impl FnOnce() + Send + 'static) {
    thread::spawn(f).join().unwrap();
}

#[test]
fn test_default_current() {
    // Ports TestIOLoopCurrent.test_default_current / test_force_current: a
    // new loop is made current. (Unlike Tornado 5's test, a second new
    // loop becomes current too: gust follows 6.3's make_current=True.)
    on_fresh_thread(|| {
        assert!(IOLoop::current_opt().is_none());
        let first = IOLoop::new();
        assert!(IOLoop::current().ptr_eq(&first));
        let second = IOLoop::with_clock(ManualClock::new());
        assert!(IOLoop::current().ptr_eq(&second));
        first.make_current();
        assert!(IOLoop::current_opt().unwrap().ptr_eq(&first));
    });
}

#[test]
fn test_current() {
    // Ports TestIOLoopCurrent.test_current (and TestIOLoopRunSync's): the
    // running loop is current inside its callbacks, even when another loop
    // was made current since; the previous current loop comes back after.
    on_fresh_thread(|| {
        let io_loop = IOLoop::with_clock(ManualClock::new());
        let other = IOLoop::with_clock(ManualClock::new());
        let inside = Rc::new(RefCell::new(None));
        let (i, l) = (inside.clone(), io_loop.clone());
        io_loop.add_callback(move || {
            *i.borrow_mut() = Some(IOLoop::current());
            l.stop();
        });
        start_guarded(&io_loop);
        assert!(inside.borrow().as_ref().unwrap().ptr_eq(&io_loop));
        assert!(IOLoop::current().ptr_eq(&other));
    });
}

#[test]
fn test_non_current() {
    // Ports TestIOLoopCurrent.test_non_current: a loop that is not current
    // becomes current while it runs and stops being current after, again
    // and again.
    on_fresh_thread(|| {
        let io_loop = IOLoop::with_clock(ManualClock::new());
        IOLoop::clear_current();
        assert!(IOLoop::current_opt().is_none());
        for _ in 0..3 {
            let inside = Rc::new(RefCell::new(None));
            let (i, l) = (inside.clone(), io_loop.clone());
            io_loop.add_callback(move || {
                *i.borrow_mut() = IOLoop::current_opt();
                l.stop();
            });
            start_guarded(&io_loop);
            assert!(inside.borrow().as_ref().unwrap().ptr_eq(&io_loop));
            assert!(IOLoop::current_opt().is_none());
        }
    });
}

#[test]
fn test_dropped_loop_is_not_current() {
    // New: the current slot does not keep a loop alive, and a dropped loop
    // is never handed out; current() then makes a fresh default loop.
    on_fresh_thread(|| {
        let io_loop = IOLoop::new();
        let id = io_loop.id();
        let handle = io_loop.handle();
        drop(io_loop);
        assert!(handle.is_closed(), "current did not keep it alive");
        assert!(IOLoop::current_opt().is_none());
        let fresh = IOLoop::current();
        assert_ne!(fresh.id(), id);
        assert!(!fresh.is_closed());
        // The default loop is kept: the same one comes back.
        drop(fresh);
        let again = IOLoop::current();
        assert!(!again.is_closed());
        assert!(IOLoop::current().ptr_eq(&again));
    });
}

#[test]
fn test_clear_without_current() {
    // Ports TestIOLoopCurrentAsync.test_clear_without_current: clearing on
    // a thread that never had a loop is a no-op.
    on_fresh_thread(|| {
        IOLoop::clear_current();
        assert!(IOLoop::current_opt().is_none());
    });
}

#[test]
fn test_nested_loops_restore_current() {
    // New: running a second loop from a callback of the first makes it
    // current for its run only.
    on_fresh_thread(|| {
        let outer = IOLoop::with_clock(ManualClock::new());
        let inner = IOLoop::with_clock(ManualClock::new());
        let seen = recorder();
        let (s, o, i) = (seen.clone(), outer.clone(), inner.clone());
        outer.add_callback(move || {
            s.borrow_mut().push(IOLoop::current().ptr_eq(&o));
            let s2 = s.clone();
            let i2 = i.clone();
            i.add_callback(move || s2.borrow_mut().push(IOLoop::current().ptr_eq(&i2)));
            i.run_until_idle().unwrap();
            s.borrow_mut().push(IOLoop::current().ptr_eq(&o));
            o.stop();
        });
        start_guarded(&outer);
        assert_eq!(*seen.borrow(), [true, true, true]);
    });
}
