//! GenBasicTest

use super::*;

// Ports GenBasicTest.test_no_yield.
#[test]
fn test_no_yield() {
    let io_loop = IOLoop::new();
    io_loop.run_sync(|| gen_::coroutine(|_co| Ok(())), None).unwrap();
}

// Ports GenBasicTest.test_exception_phase1: an error before the first yield.
#[test]
fn test_exception_phase1() {
    let io_loop = IOLoop::new();
    let err = io_loop
        .run_sync(
            || gen_::coroutine::<(), _>(|_co| Err(ZeroDivisionError.into())),
            None,
        )
        .unwrap_err();
    assert!(err.is::<ZeroDivisionError>(), "{err}");
}

// Ports GenBasicTest.test_exception_phase2: an error after the first yield.
#[test]
fn test_exception_phase2() {
    let io_loop = IOLoop::new();
    let err = io_loop
        .run_sync(
            || {
                gen_::coroutine::<(), _>(|co| {
                    co.yield_(gen_::moment)?;
                    Err(ZeroDivisionError.into())
                })
            },
            None,
        )
        .unwrap_err();
    assert!(err.is::<ZeroDivisionError>(), "{err}");
}

// Ports GenBasicTest.test_reuse: the same coroutine function run twice.
#[test]
fn test_reuse() {
    let io_loop = IOLoop::new();
    let f = || {
        gen_::coroutine(|co| {
            co.yield_(gen_::moment)?;
            Ok(())
        })
    };
    io_loop.run_sync(f, None).unwrap();
    io_loop.run_sync(f, None).unwrap();
}

// Ports GenBasicTest.test_none: `yield None` is `co.yield_(())`, a moment.
#[test]
fn test_none() {
    let io_loop = IOLoop::new();
    let f = gen_::coroutine(|co| {
        co.yield_(())?;
        Ok(())
    });
    assert!(!f.done(), "yield () waits one iteration, like yield None");
    step(&io_loop);
    assert!(f.done());
    f.take_result().unwrap();
}

// Ports GenBasicTest.test_sync_raise_return (`raise gen.Return()`).
#[test]
fn test_sync_raise_return() {
    let io_loop = IOLoop::new();
    io_loop.run_sync(|| gen_::coroutine(|_co| Ok(())), None).unwrap();
}

// Ports GenBasicTest.test_async_raise_return.
#[test]
fn test_async_raise_return() {
    let io_loop = IOLoop::new();
    io_loop
        .run_sync(
            || {
                gen_::coroutine(|co| {
                    co.yield_(gen_::moment)?;
                    Ok(())
                })
            },
            None,
        )
        .unwrap();
}

// Ports GenBasicTest.test_sync_raise_return_value.
#[test]
fn test_sync_raise_return_value() {
    let io_loop = IOLoop::new();
    assert_eq!(
        io_loop.run_sync(|| gen_::coroutine(|_co| Ok(42)), None).unwrap(),
        42
    );
}

// Ports GenBasicTest.test_sync_raise_return_value_tuple.
#[test]
fn test_sync_raise_return_value_tuple() {
    let io_loop = IOLoop::new();
    assert_eq!(
        io_loop
            .run_sync(|| gen_::coroutine(|_co| Ok((1, 2))), None)
            .unwrap(),
        (1, 2)
    );
}

// Ports GenBasicTest.test_async_raise_return_value.
#[test]
fn test_async_raise_return_value() {
    let io_loop = IOLoop::new();
    let result = io_loop
        .run_sync(
            || {
                gen_::coroutine(|co| {
                    co.yield_(gen_::moment)?;
                    Ok(42)
                })
            },
            None,
        )
        .unwrap();
    assert_eq!(result, 42);
}

// Ports GenBasicTest.test_async_raise_return_value_tuple.
#[test]
fn test_async_raise_return_value_tuple() {
    let io_loop = IOLoop::new();
    let result = io_loop
        .run_sync(
            || {
                gen_::coroutine(|co| {
                    co.yield_(gen_::moment)?;
                    Ok((1, 2))
                })
            },
            None,
        )
        .unwrap();
    assert_eq!(result, (1, 2));
}

// Ports 4.x GenEngineTest.test_return_value. There it checks that
// `@gen.engine` refuses a return value (ReturnValueIgnoredError); gust has
// no `engine` yet, so this checks the coroutine side: the value returned
// is the future's result, moved out intact (no Clone needed), whether the
// coroutine finished at once or after waiting.
#[test]
fn test_return_value() {
    #[derive(Debug, PartialEq)]
    struct NotClone(String);
    let io_loop = IOLoop::new();
    let sync = gen_::coroutine(|_co| Ok(NotClone("42".to_owned())));
    let not_sync = gen_::coroutine(|co| {
        co.yield_(gen_::moment)?;
        Ok(NotClone("43".to_owned()))
    });
    let parent = gen_::coroutine(move |co| Ok((co.yield_(sync)?, co.yield_(not_sync)?)));
    io_loop.run_until_idle().unwrap();
    let (a, b) = parent.take_result().unwrap();
    assert_eq!((a, b), (NotClone("42".to_owned()), NotClone("43".to_owned())));
}

// Ports 4.x GenEngineTest.test_return_value_tuple (see test_return_value).
#[test]
fn test_return_value_tuple() {
    let (s, v) = try_gen_test(|co| {
        co.yield_(gen_::coroutine(|co| {
            co.yield_(gen_::moment)?;
            Ok((String::from("one"), vec![2, 3]))
        }))
    })
    .unwrap();
    assert_eq!((s.as_str(), v), ("one", vec![2, 3]));
}
