//! Closing a generator (Python's `gen.close()`), dropping it, and bodies that panic or refuse to stop.

use super::*;

// gen.close(): the suspended body unwinds from its yield, so the
// destructors on its stack run, innermost first (Python's GeneratorExit
// running `finally` blocks). Closing again does nothing.
#[test]
fn test_close_runs_destructors_on_the_stack() {
    let log = new_log();
    let l = log.clone();
    let after_yield = Rc::new(Cell::new(false));
    let a = after_yield.clone();
    let mut generator: Gen = Generator::new(move |y| {
        let _outer = Guard::new(&l, "outer");
        fn helper(y: &Yielder<i32, i32>, l: &Rc<RefCell<Vec<&'static str>>>) -> Result<i32, Error> {
            let _inner = Guard::new(l, "inner");
            y.yield_(1)
        }
        let v = helper(y, &l)?;
        a.set(true);
        Ok(v)
    })
    .unwrap();
    generator.start().unwrap();
    assert!(log.borrow().is_empty());
    generator.close().unwrap();
    assert_eq!(*log.borrow(), vec!["inner", "outer"]);
    assert!(!after_yield.get(), "code after the yield does not run");
    assert!(generator.is_finished());
    generator.close().unwrap();
    assert_eq!(log.borrow().len(), 2);
    assert!(generator.send(0).unwrap_err().is::<GeneratorFinishedError>());
}

// Dropping a suspended generator closes it (Python: a generator collected
// while suspended is closed): destructors run.
#[test]
fn test_drop_suspended_generator_runs_destructors() {
    let log = new_log();
    let l = log.clone();
    let mut generator: Gen = Generator::new(move |y| {
        let _guard = Guard::new(&l, "guard");
        y.yield_(1)?;
        y.yield_(2)
    })
    .unwrap();
    generator.start().unwrap();
    drop(generator);
    assert_eq!(*log.borrow(), vec!["guard"]);
}

// A generator dropped or closed before it started never runs its body, but
// what the body captured is still dropped (nothing leaks).
#[test]
fn test_unstarted_generator_drops_its_captures() {
    let log = new_log();
    let ran = Rc::new(Cell::new(false));
    let (guard, r) = (Guard::new(&log, "captured"), ran.clone());
    let generator: Gen = Generator::new(move |y| {
        let _guard = guard;
        r.set(true);
        y.yield_(1)
    })
    .unwrap();
    drop(generator);
    assert!(!ran.get());
    assert_eq!(*log.borrow(), vec!["captured"]);

    let (guard, r) = (Guard::new(&log, "closed"), ran.clone());
    let mut generator: Gen = Generator::new(move |y| {
        let _guard = guard;
        r.set(true);
        y.yield_(1)
    })
    .unwrap();
    generator.close().unwrap();
    assert!(generator.is_finished());
    assert!(!ran.get());
    assert_eq!(*log.borrow(), vec!["captured", "closed"]);
}

// A panicking body is reported as PanicError (from start or from send) and
// the generator is finished; the caller's thread is not unwound.
#[test]
fn test_panicking_body_is_panic_error() {
    let mut early: Gen = Generator::new(|_y| panic!("before yield")).unwrap();
    let err = early.start().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panic);
    let panic = err.downcast_ref::<PanicError>().unwrap();
    assert_eq!(panic.message, "before yield");
    assert_eq!(panic.coroutine, None);
    assert_eq!(err.to_string(), "panicked: before yield");
    assert!(early.is_finished());

    let log = new_log();
    let l = log.clone();
    let mut late: Gen = Generator::new(move |y| {
        let _guard = Guard::new(&l, "guard");
        let v = y.yield_(1)?;
        panic!("after yield {v}");
    })
    .unwrap();
    late.start().unwrap();
    let err = late.send(9).unwrap_err();
    assert_eq!(err.downcast_ref::<PanicError>().unwrap().message, "after yield 9");
    assert_eq!(
        *log.borrow(),
        vec!["guard"],
        "the panic unwound the generator's stack"
    );
    assert!(late.is_finished());
    assert!(late.send(0).unwrap_err().is::<GeneratorFinishedError>());
}

// A body that catches the close and yields again is asked to close again,
// until it finishes.
#[test]
fn test_close_asks_again_until_the_body_finishes() {
    let caught = Rc::new(Cell::new(0));
    let c = caught.clone();
    let log = new_log();
    let l = log.clone();
    let mut generator: Gen = Generator::new(move |y| {
        let _guard = Guard::new(&l, "guard");
        for i in 0..3 {
            if catch_unwind(AssertUnwindSafe(|| y.yield_(i))).is_err() {
                c.set(c.get() + 1);
            }
        }
        Ok(99)
    })
    .unwrap();
    assert_eq!(generator.start().unwrap(), GeneratorState::Yielded(0));
    generator.close().unwrap();
    assert_eq!(caught.get(), 3);
    assert!(generator.is_finished());
    assert_eq!(*log.borrow(), vec!["guard"]);
}

// Python: a generator that yields again after GeneratorExit makes close()
// raise RuntimeError("generator ignored GeneratorExit"). gust gives up after
// a few attempts with GeneratorIgnoredExitError; dropping it then leaks its
// stack (it cannot be unwound) and logs the fact.
#[test]
fn test_close_gives_up_on_a_body_that_never_stops_yielding() {
    let logs = LogCapture::start();
    let mut generator: Gen = Generator::new(|y| {
        loop {
            let _ = catch_unwind(AssertUnwindSafe(|| y.yield_(0)));
        }
    })
    .unwrap();
    assert_eq!(generator.start().unwrap(), GeneratorState::Yielded(0));
    let err = generator.close().unwrap_err();
    assert!(err.is::<gust::generator::GeneratorIgnoredExitError>());
    assert_eq!(err.to_string(), "generator ignored GeneratorExit");
    assert!(generator.is_suspended());
    drop(generator);
    assert_eq!(
        logs.app_errors_containing("generator ignored GeneratorExit")
            .len(),
        1
    );
}
