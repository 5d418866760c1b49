//! RunnerGCTest

use super::*;

// Ports RunnerGCTest.test_gc (issue #1769): a runner stays alive while it
// waits, even when the only strong reference to the awaited future is the
// coroutine's own local (the callback has a weak one).
#[test]
fn test_gc() {
    let result = try_gen_test(|co| {
        let tester = gen_::coroutine(|co| {
            let fut = Future::<i32>::new();
            let weak = fut.downgrade();
            IOLoop::current().add_callback(move || {
                weak.upgrade()
                    .expect("the coroutine keeps its local alive")
                    .set_result(123)
                    .unwrap();
            });
            co.yield_(&fut)
        });
        co.yield_(tester)
    })
    .unwrap();
    assert_eq!(result, 123);
}

// Ports RunnerGCTest.test_gc_infinite_coro (issue #2229): a suspended
// coroutine is unwound when its loop is closed, and its finaliser runs.
#[test]
fn test_gc_infinite_coro() {
    let io_loop = IOLoop::with_clock(ManualClock::autojump());
    let result: Rc<RefCell<Vec<Option<bool>>>> = Rc::new(RefCell::new(Vec::new()));
    let wfut: Rc<RefCell<Option<Future<()>>>> = Rc::new(RefCell::new(None));

    struct Finally(Rc<RefCell<Vec<Option<bool>>>>);
    impl Drop for Finally {
        fn drop(&mut self) {
            // coroutine finalizer
            self.0.borrow_mut().push(None);
        }
    }

    let (r, w) = (result.clone(), wfut.clone());
    io_loop
        .run_sync(
            move || {
                gen_::coroutine(move |co| {
                    let fut = gen_::coroutine(move |co| {
                        let _finally = Finally(r.clone());
                        loop {
                            co.yield_(gen_::sleep(Duration::from_millis(1)))?;
                            r.borrow_mut().push(Some(true));
                        }
                    });
                    *w.borrow_mut() = Some(fut);
                    co.yield_(gen_::sleep(Duration::from_millis(200)))?;
                    Ok(())
                })
            },
            None,
        )
        .unwrap();
    assert_eq!(
        gust::runner::runners(&io_loop).len(),
        1,
        "the infinite coroutine is still suspended"
    );
    io_loop.close().unwrap();
    // At least one wakeup, and the finaliser ran last.
    let result = result.borrow();
    assert!(result.len() >= 2, "{result:?}");
    assert_eq!(result.last(), Some(&None));
    let fut = wfut.borrow_mut().take().unwrap();
    assert!(fut.take_result().unwrap_err().is::<LoopClosedError>());
}

// Ports RunnerGCTest.test_multi_moment: `multi([moment, moment])`.
#[test]
fn test_multi_moment() {
    let io_loop = IOLoop::new();
    let result = io_loop
        .run_sync(
            || gen_::coroutine(|co| co.yield_(gen_::multi(vec![gen_::moment, gen_::moment]))),
            None,
        )
        .unwrap();
    assert_eq!(result, vec![(), ()]);
}

// Ports ReturnFutureTest.test_uncaught_exception_log (concurrent_test.py,
// Tornado 4.x/5.x; it tests a gen.coroutine, so it lives here): a failed
// coroutine's future dropped without anyone looking at it logs
// `Future exception was never retrieved` once.
#[test]
fn test_uncaught_exception_log() {
    let logs = LogCapture::start();
    let io_loop = IOLoop::new();
    let g = gen_::coroutine::<(), _>(|co| {
        co.yield_(gen_::moment)?;
        Err(ZeroDivisionError.into())
    });
    step(&io_loop);
    step(&io_loop);
    assert!(g.done());
    assert!(g.is_failed(), "is_failed does not count as retrieving the error");
    assert!(
        logs.app_errors().is_empty(),
        "nothing is logged while a handle exists"
    );
    drop(g);
    let logged = logs.app_errors();
    assert_eq!(
        logged,
        vec!["Future exception was never retrieved: division by zero".to_owned()]
    );
    let records = logs.records();
    let record = records
        .iter()
        .find(|r| r.message.contains("never retrieved"))
        .unwrap();
    assert_eq!(record.level, log::Level::Error);
    assert_eq!(record.target, gust::ioloop::APP_LOG);
}

// gust-specific companion of test_uncaught_exception_log: an error that was
// looked at (exception(), result, or yielded by a parent) is not logged;
// one failing before its first yield is logged like the others.
#[test]
fn test_future_exception_never_retrieved_only_when_unobserved() {
    let io_loop = IOLoop::new();
    let fail = || gen_::coroutine::<i32, _>(|_co| Err(ZeroDivisionError.into()));

    let logs = LogCapture::start();
    drop(fail());
    assert_eq!(logs.app_errors_containing("never retrieved").len(), 1);

    let logs = LogCapture::start();
    let f = fail();
    assert!(f.exception().is_some());
    drop(f);
    let f = fail();
    assert!(f.take_result().is_err());
    drop(f);
    let f = fail();
    let parent = gen_::coroutine(move |co| Ok(co.yield_(f).is_err()));
    assert!(parent.take_result().unwrap());
    drop(parent);
    // A clone dropped while another handle lives logs nothing either.
    let f = fail();
    let g = f.clone();
    drop(g);
    assert!(f.exception().is_some());
    drop(f);
    assert_eq!(logs.app_errors(), Vec::<String>::new());
    drop(io_loop);
}
