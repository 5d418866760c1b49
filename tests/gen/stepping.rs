//! Stepping through the Runner by hand

use super::*;

// gust-specific: start a coroutine waiting on `f`, see it parked on `f`,
// resolve `f`, see it scheduled, run one iteration, see the next step.
#[test]
fn test_step_through_runner() {
    let io_loop = IOLoop::new();
    let f: Future<i32> = Future::new();
    let coro = {
        let f = f.clone();
        gen_::Builder::new().name("stepper").spawn(move |co| {
            let a = co.yield_(f)?;
            co.yield_(gen_::moment)?;
            Ok(a * 2)
        })
    };
    let infos = gust::runner::runners(&io_loop);
    assert_eq!(infos.len(), 1);
    let info = &infos[0];
    assert_eq!(info.name, "stepper");
    assert_eq!(info.result, coro.id());
    let waiting = WaitingOn::Future {
        id: f.id(),
        type_name: std::any::type_name::<i32>(),
    };
    assert_eq!(info.state, RunnerState::Parked(waiting));
    assert!(matches!(info.state, RunnerState::Parked(WaitingOn::Future { id, .. }) if id == f.id()));
    assert_eq!(gust::runner::runner_of(&coro).map(|i| i.id), Some(info.id));
    assert_eq!(io_loop.ready_len(), 0);

    f.set_result(21).unwrap();
    assert_eq!(
        gust::runner::runners(&io_loop)[0].state,
        RunnerState::Scheduled(waiting)
    );
    assert_eq!(io_loop.ready_len(), 1);
    assert!(!coro.done());

    step(&io_loop);
    assert_eq!(
        gust::runner::runners(&io_loop)[0].state,
        RunnerState::Scheduled(WaitingOn::Moment)
    );
    assert!(!coro.done());

    step(&io_loop);
    assert!(gust::runner::runners(&io_loop).is_empty());
    assert!(gust::runner::runner_of(&coro).is_none());
    assert_eq!(coro.take_result().unwrap(), 42);
}

// gust-specific: names given to the Builder appear in runners() and in the
// PanicError of a panicking body; unnamed coroutines are named after the
// body's type; ids and stack sizes are reported.
#[test]
fn test_builder_name_in_runners_and_panic_error() {
    let io_loop = IOLoop::new();
    let f: Future<()> = Future::new();
    let seen = Rc::new(RefCell::new(None));
    let coro = {
        let (f, seen) = (f.clone(), seen.clone());
        gen_::Builder::new()
            .name("x")
            .stack_size(64 * 1024)
            .spawn(move |co| -> Result<(), Error> {
                *seen.borrow_mut() = Some((co.id(), co.name().to_owned(), co.stack_size()));
                co.yield_(f)?;
                panic!("boom");
            })
    };
    let unnamed = gen_::coroutine(|co| co.yield_(gen_::moment));
    let infos = gust::runner::runners(&io_loop);
    assert_eq!(infos.len(), 2);
    let named = infos.iter().find(|i| i.result == coro.id()).unwrap();
    assert_eq!(named.name, "x");
    assert!(named.stack_size >= 64 * 1024);
    let (id, name, stack_size) = seen.borrow().clone().unwrap();
    assert_eq!((id, name.as_str(), stack_size), (named.id, "x", named.stack_size));
    let other = infos.iter().find(|i| i.result == unnamed.id()).unwrap();
    assert!(
        other
            .name
            .contains("stepping::test_builder_name_in_runners_and_panic_error"),
        "{}",
        other.name
    );
    assert_ne!(other.id, named.id);

    f.set_result(()).unwrap();
    step(&io_loop);
    let err = coro.take_result().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panic);
    assert_eq!(err.to_string(), "coroutine 'x' panicked: boom");
    let panic = err.downcast_ref::<PanicError>().unwrap();
    assert_eq!(panic.coroutine.as_deref(), Some("x"));
    assert_eq!(panic.message, "boom");
    unnamed.take_result().unwrap();
}
