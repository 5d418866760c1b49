//! Closing, dropping, abandoning suspended coroutines

use super::*;

// gust-specific (contract: closing the loop unwinds every suspended
// coroutine): destructors on the coroutine stacks run, futures fail with
// LoopClosedError, nothing is logged.
#[test]
fn test_close_unwinds_suspended_coroutines() {
    let logs = LogCapture::start();
    let io_loop = IOLoop::new();
    let log = new_log();
    let never: Future<i32> = Future::new();
    let (l, n) = (log.clone(), never.clone());
    let parked = gen_::coroutine(move |co| {
        let _guard = Guard::new(&l, "parked");
        co.yield_(n)
    });
    let l = log.clone();
    let child = gen_::coroutine(move |co| {
        let _guard = Guard::new(&l, "child");
        co.yield_(gen_::sleep(Duration::from_secs(3600)))
    });
    let l = log.clone();
    let parent = gen_::coroutine(move |co| {
        let _guard = Guard::new(&l, "parent");
        co.yield_(child)
    });
    let l = log.clone();
    let ready = Future::new();
    let r = ready.clone();
    let scheduled = gen_::coroutine(move |co| {
        let _guard = Guard::new(&l, "scheduled");
        co.yield_(r)
    });
    ready.set_result(1).unwrap();
    assert_eq!(gust::runner::runners(&io_loop).len(), 4);
    assert!(log.borrow().is_empty());

    io_loop.close().unwrap();
    let mut ran = log.borrow().clone();
    ran.sort_unstable();
    assert_eq!(ran, vec!["child", "parent", "parked", "scheduled"]);
    for f in [parked, scheduled] {
        assert!(f.take_result().unwrap_err().is::<LoopClosedError>());
    }
    assert_eq!(parent.take_result().unwrap_err().kind(), ErrorKind::LoopClosed);
    assert!(gust::runner::runners(&io_loop).is_empty());
    assert_eq!(logs.app_errors(), Vec::<String>::new());
    drop(never);
}

// gust-specific: dropping the last handle of the loop closes it, with the
// same unwinding.
#[test]
fn test_drop_loop_unwinds_suspended_coroutines() {
    let io_loop = IOLoop::new();
    let log = new_log();
    let l = log.clone();
    let f = gen_::coroutine(move |co| {
        let _guard = Guard::new(&l, "guard");
        co.yield_(gen_::sleep(Duration::from_secs(3600)))?;
        Ok(1)
    });
    assert!(!f.done());
    drop(io_loop);
    assert_eq!(*log.borrow(), vec!["guard"]);
    assert!(f.take_result().unwrap_err().is::<LoopClosedError>());
}

// gust-specific: a coroutine waiting on a future that is dropped without a
// result is unwound (destructors run) and fails with AbandonedError, on
// the next iteration.
#[test]
fn test_abandoned_wait() {
    let logs = LogCapture::start();
    let io_loop = IOLoop::new();
    let log = new_log();
    let f: Future<i32> = Future::new();
    let (l, g) = (log.clone(), f.clone());
    let coro = gen_::Builder::new().name("waiter").spawn(move |co| {
        let _guard = Guard::new(&l, "guard");
        co.yield_(g)
    });
    assert!(matches!(
        gust::runner::runners(&io_loop)[0].state,
        RunnerState::Parked(_)
    ));
    drop(f);
    assert!(matches!(
        gust::runner::runners(&io_loop)[0].state,
        RunnerState::Scheduled(_)
    ));
    assert!(log.borrow().is_empty());
    step(&io_loop);
    assert_eq!(*log.borrow(), vec!["guard"]);
    let err = coro.take_result().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Abandoned);
    assert_eq!(
        err.downcast_ref::<AbandonedError>().unwrap().coroutine.as_deref(),
        Some("waiter")
    );
    assert!(gust::runner::runners(&io_loop).is_empty());
    assert_eq!(logs.app_errors(), Vec::<String>::new());
}

// gust-specific: a coroutine that yields a future only it holds abandons it
// at once: the wait can never end, so it is unwound before the call
// returns.
#[test]
fn test_abandoned_wait_on_own_future() {
    let io_loop = IOLoop::new();
    let log = new_log();
    let l = log.clone();
    let coro = gen_::coroutine(move |co| {
        let _guard = Guard::new(&l, "guard");
        co.yield_(Future::<i32>::new())
    });
    assert_eq!(*log.borrow(), vec!["guard"]);
    assert!(coro.take_result().unwrap_err().is::<AbandonedError>());
    assert!(gust::runner::runners(&io_loop).is_empty());
}

// gust-specific (Python: "generator ignored GeneratorExit"): a body that
// catches the unwinding of a close cannot wait again; its yield fails with
// GeneratorExit at once.
#[test]
fn test_yield_while_closing_is_refused() {
    let io_loop = IOLoop::new();
    let second: Rc<RefCell<Option<Result<(), Error>>>> = Rc::new(RefCell::new(None));
    let s = second.clone();
    let never: Future<i32> = Future::new();
    let n = never.clone();
    let f = gen_::coroutine(move |co| {
        let caught = catch_unwind(AssertUnwindSafe(|| co.yield_(n.clone())));
        match caught {
            Ok(_) => Ok(()),
            Err(payload) => {
                *s.borrow_mut() = Some(co.yield_(gen_::moment));
                resume_unwind(payload)
            }
        }
    });
    io_loop.close().unwrap();
    let second = second.borrow_mut().take().expect("the body caught the close");
    assert!(second.unwrap_err().is::<gust::generator::GeneratorExit>());
    assert!(f.take_result().unwrap_err().is::<LoopClosedError>());
    drop(never);
}

// New: a coroutine parked on a loop that only its own timers keep alive
// is unwound (its destructors run, its future fails with LoopClosedError)
// when the loop's thread exits.
#[test]
fn test_parked_coroutine_unwound_when_its_loops_thread_exits() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    struct Flag(Arc<AtomicBool>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let (unwound, failed) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let (u, f) = (unwound.clone(), failed.clone());
    std::thread::spawn(move || {
        let io_loop = IOLoop::with_clock(ManualClock::new());
        let gate = Future::<()>::new();
        let waited = gate.clone();
        let result = gen_::coroutine(move |co| {
            let _flag = Flag(u);
            co.yield_(waited)
        });
        let flag = Flag(f);
        result.add_done_callback(move |r| {
            if r.exception().is_some_and(|e| e.is::<LoopClosedError>()) {
                drop(flag);
            } else {
                std::mem::forget(flag);
            }
        });
        // The timer holds the loop and the gate: nothing is ever dropped
        // while the thread lives.
        let l = io_loop.clone();
        io_loop.call_later(Duration::from_secs(3600), move || drop((l, gate)));
    })
    .join()
    .unwrap();
    assert!(
        unwound.load(Ordering::SeqCst),
        "the coroutine's stack was unwound"
    );
    assert!(
        failed.load(Ordering::SeqCst),
        "its future failed with LoopClosedError"
    );
}
