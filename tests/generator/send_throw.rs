//! Starting, sending into and throwing into a generator; its errors and stack size.

use super::*;

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
