//! The `Generator` layer (`gust::gen_::Generator`): Python's generator
//! protocol (`send`, `throw`, `close`, `StopIteration`, `GeneratorExit`)
//! over a closure running on its own stack, and a port of the Tornado
//! docs' "simplified inner loop of tornado.gen.Runner" built on it.

mod common;

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use gust::ErrorKind;
use gust::concurrent::InvalidStateError;
use gust::gen_::{Generator, GeneratorExit, GeneratorFinishedError, GeneratorState, Yielder};
use gust::prelude::*;
use gust::yieldables::PanicError;

/// Records its name in a shared list when dropped (Python's `finally`).
struct Guard(Rc<RefCell<Vec<&'static str>>>, &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.borrow_mut().push(self.1);
    }
}

fn new_log() -> Rc<RefCell<Vec<&'static str>>> {
    Rc::new(RefCell::new(Vec::new()))
}

type Gen = Generator<i32, i32, i32>;

// `def body(): x = yield 1; y = yield x + 1; return x + y`: start, send,
// send, each step returning Yielded until the body returns.
#[test]
fn test_send_yields_then_returns() {
    let mut generator: Gen = Generator::new(|y| {
        let x = y.yield_(1)?;
        let z = y.yield_(x + 1)?;
        Ok(x + z)
    })
    .unwrap();
    assert!(generator.is_new());
    assert_eq!(generator.start().unwrap(), GeneratorState::Yielded(1));
    assert!(generator.is_suspended());
    assert_eq!(generator.send(10).unwrap(), GeneratorState::Yielded(11));
    assert_eq!(generator.send(5).unwrap(), GeneratorState::Returned(15));
    assert!(generator.is_finished());
}

// A body that returns without yielding finishes in start (Python: the
// first next() raises StopIteration).
#[test]
fn test_body_without_yield_returns_from_start() {
    let mut generator: Gen = Generator::new(|_y| Ok(7)).unwrap();
    assert_eq!(generator.start().unwrap(), GeneratorState::Returned(7));
    assert!(generator.is_finished());
}

// Resuming a finished generator is a typed error, not a panic (Python
// raises StopIteration again); starting twice is an InvalidStateError.
#[test]
fn test_resume_finished_generator_is_generator_finished_error() {
    let mut generator: Gen = Generator::new(|y| y.yield_(0)).unwrap();
    generator.start().unwrap();
    assert_eq!(generator.send(3).unwrap(), GeneratorState::Returned(3));
    let err = generator.send(4).unwrap_err();
    assert!(err.is::<GeneratorFinishedError>(), "{err}");
    assert_eq!(err.to_string(), "the generator has already finished");
    let err = generator.throw(Error::msg("late")).unwrap_err();
    assert!(err.is::<GeneratorFinishedError>(), "{err}");
    let err = generator.start().unwrap_err();
    assert!(err.is::<InvalidStateError>(), "{err}");
    assert_eq!(err.kind(), ErrorKind::InvalidState);
}

// Python: "can't send non-None value to a just-started generator": send
// before start is an InvalidStateError and the body does not run; the
// generator can still be started afterwards.
#[test]
fn test_send_before_start_is_invalid_state() {
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let mut generator: Gen = Generator::new(move |y| {
        r.set(true);
        y.yield_(1)
    })
    .unwrap();
    let err = generator.send(1).unwrap_err();
    assert!(err.is::<InvalidStateError>(), "{err}");
    assert!(!ran.get());
    assert!(generator.is_new());
    assert_eq!(generator.start().unwrap(), GeneratorState::Yielded(1));
    assert!(ran.get());
}

// gen.throw(e): the error arrives at the pending yield; the body may catch
// it and carry on, or let it propagate, which finishes the generator with
// that very error.
#[test]
fn test_throw_delivers_error_at_the_yield() {
    let mut generator: Gen = Generator::new(|y| {
        let first = match y.yield_(1) {
            Ok(v) => v,
            Err(e) if e.to_string() == "caught" => -1,
            Err(e) => return Err(e),
        };
        let second = y.yield_(first)?;
        Ok(second)
    })
    .unwrap();
    generator.start().unwrap();
    assert_eq!(
        generator.throw(Error::msg("caught")).unwrap(),
        GeneratorState::Yielded(-1)
    );
    let thrown = Error::msg("propagated");
    let err = generator.throw(thrown.clone()).unwrap_err();
    assert!(err.ptr_eq(&thrown), "the body's `?` hands back the same error");
    assert!(generator.is_finished());
}

// Python: throwing into a just-created generator raises at once without
// running the body, and the generator is finished.
#[test]
fn test_throw_into_new_generator_finishes_it() {
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let mut generator: Gen = Generator::new(move |y| {
        r.set(true);
        y.yield_(1)
    })
    .unwrap();
    let thrown = Error::msg("early");
    let err = generator.throw(thrown.clone()).unwrap_err();
    assert!(err.ptr_eq(&thrown));
    assert!(!ran.get());
    assert!(generator.is_finished());
    assert!(generator.send(1).unwrap_err().is::<GeneratorFinishedError>());
}

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
        let _outer = Guard(l.clone(), "outer");
        fn helper(y: &Yielder<i32, i32>, l: &Rc<RefCell<Vec<&'static str>>>) -> Result<i32, Error> {
            let _inner = Guard(l.clone(), "inner");
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
        let _guard = Guard(l, "guard");
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
    let (guard, r) = (Guard(log.clone(), "captured"), ran.clone());
    let generator: Gen = Generator::new(move |y| {
        let _guard = guard;
        r.set(true);
        y.yield_(1)
    })
    .unwrap();
    drop(generator);
    assert!(!ran.get());
    assert_eq!(*log.borrow(), vec!["captured"]);

    let (guard, r) = (Guard(log.clone(), "closed"), ran.clone());
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
        let _guard = Guard(l, "guard");
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
        let _guard = Guard(l, "guard");
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
    common::install();
    common::clear();
    let mut generator: Gen = Generator::new(|y| {
        loop {
            let _ = catch_unwind(AssertUnwindSafe(|| y.yield_(0)));
        }
    })
    .unwrap();
    assert_eq!(generator.start().unwrap(), GeneratorState::Yielded(0));
    let err = generator.close().unwrap_err();
    assert!(err.is::<gust::gen_::GeneratorIgnoredExitError>());
    assert_eq!(err.to_string(), "generator ignored GeneratorExit");
    assert!(generator.is_suspended());
    drop(generator);
    assert_eq!(
        common::app_errors_containing("generator ignored GeneratorExit").len(),
        1
    );
}

// GeneratorExit and GeneratorFinishedError are ordinary errors a caller can
// match on.
#[test]
fn test_generator_errors_are_typed() {
    let exit = Error::new(GeneratorExit);
    assert!(exit.is::<GeneratorExit>());
    assert_eq!(exit.to_string(), "the generator was closed");
    assert_eq!(exit.kind(), ErrorKind::Other);
    let finished = Error::new(GeneratorFinishedError);
    assert!(finished.downcast_ref::<GeneratorFinishedError>().is_some());
    assert!(!finished.is::<GeneratorExit>());
}

// The stack size asked for is a minimum.
#[test]
fn test_stack_size() {
    let mut generator: Generator<usize, (), ()> = Generator::with_stack_size(200 * 1024, |y| {
        // Use a good part of it.
        let buf = [7u8; 100 * 1024];
        y.yield_(std::hint::black_box(&buf).iter().map(|&b| b as usize).sum())?;
        Ok(())
    })
    .unwrap();
    assert!(generator.stack_size() >= 200 * 1024);
    assert_eq!(
        generator.start().unwrap(),
        GeneratorState::Yielded(7 * 100 * 1024)
    );
    assert_eq!(generator.send(()).unwrap(), GeneratorState::Returned(()));
}

// ====================================================================
// The docs' "simplified inner loop of tornado.gen.Runner":
//
//     def run(self):
//         # send(x) makes the current yield return x.
//         # It returns when the next yield is reached
//         future = self.gen.send(self.next)
//         def callback(f):
//             self.next = f.result()
//             self.run()
//         future.add_done_callback(callback)
// ====================================================================

struct SimpleRunner {
    generator: RefCell<Generator<Future<i32>, i32, i32>>,
    result: Future<i32>,
    steps: Cell<u32>,
}

impl SimpleRunner {
    fn start(generator: Generator<Future<i32>, i32, i32>) -> Rc<SimpleRunner> {
        let runner = Rc::new(SimpleRunner {
            generator: RefCell::new(generator),
            result: Future::new(),
            steps: Cell::new(0),
        });
        let state = runner.generator.borrow_mut().start();
        SimpleRunner::handle(&runner, state);
        runner
    }

    fn run(self: &Rc<Self>, next: Result<i32, Error>) {
        // send(x) makes the current yield return x (throw: raise x there).
        // It returns when the next yield is reached.
        let state = match next {
            Ok(value) => self.generator.borrow_mut().send(value),
            Err(error) => self.generator.borrow_mut().throw(error),
        };
        SimpleRunner::handle(self, state);
    }

    fn handle(runner: &Rc<SimpleRunner>, state: Result<GeneratorState<Future<i32>, i32>, Error>) {
        runner.steps.set(runner.steps.get() + 1);
        match state {
            Ok(GeneratorState::Yielded(future)) => {
                let runner = runner.clone();
                future.add_done_callback(move |f| runner.run(f.result()));
            }
            Ok(GeneratorState::Returned(value)) => runner.result.set_result(value).unwrap(),
            Err(error) => runner.result.set_exception(error).unwrap(),
        }
    }
}

// Ports the docs' simplified Runner: the generator yields futures, the
// runner sends their results back in. A done future's callback runs at once
// (the Tornado 4 behaviour the sketch relies on), a pending one's when it is
// resolved; an error is thrown in at the yield.
#[test]
fn test_simplified_runner_inner_loop() {
    let a = Future::new();
    let b = Future::ready(2);
    let c = Future::new();
    let (ga, gb, gc) = (a.clone(), b.clone(), c.clone());
    let generator = Generator::new(move |y: &Yielder<Future<i32>, i32>| {
        let x = y.yield_(ga)?;
        let z = y.yield_(gb)?;
        let w = match y.yield_(gc) {
            Ok(v) => v,
            Err(e) if e.to_string() == "c failed" => 100,
            Err(e) => return Err(e),
        };
        Ok(x + z + w)
    })
    .unwrap();
    let runner = SimpleRunner::start(generator);
    assert!(!runner.result.done());
    assert_eq!(runner.steps.get(), 1);

    // Resolving `a` runs the generator on inside set_result, through the
    // already-done `b`, up to the pending `c`.
    a.set_result(1).unwrap();
    assert_eq!(runner.steps.get(), 3);
    assert!(!runner.result.done());

    c.set_exception(Error::msg("c failed")).unwrap();
    assert_eq!(runner.steps.get(), 4);
    assert_eq!(runner.result.result().unwrap(), 103);
    assert!(runner.generator.borrow().is_finished());
}

// The same runner reports a generator's uncaught error in its result.
#[test]
fn test_simplified_runner_propagates_errors() {
    let a = Future::new();
    let ga = a.clone();
    let generator = Generator::new(move |y: &Yielder<Future<i32>, i32>| {
        let x = y.yield_(ga)?;
        Ok(x)
    })
    .unwrap();
    let runner = SimpleRunner::start(generator);
    let error = Error::msg("a failed");
    a.set_exception(error.clone()).unwrap();
    let got = runner.result.result().unwrap_err();
    assert!(got.ptr_eq(&error));
}
