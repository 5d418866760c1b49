//! Background failures fail the test (Tornado's AsyncTestCase
//! `_handle_exception`): callbacks, `spawn_callback` coroutines,
//! `PeriodicCallback`s, native tasks; unless an `ExpectLog` expects them.

use super::*;

fn background_failure(error: Error) -> BackgroundFailureError {
    error
        .downcast_ref::<BackgroundFailureError>()
        .unwrap_or_else(|| panic!("not a background failure: {error}"))
        .clone()
}

// Tornado 4's test_exception_in_callback: `add_callback(lambda: 1 / 0)`.
#[test]
fn test_exception_in_callback() {
    let error = try_gen_test(|co| {
        IOLoop::current().add_callback(|| -> () { panic!("division by zero") });
        co.yield_(gen_::moment)?;
        co.yield_(gen_::moment)?;
        Ok(())
    })
    .unwrap_err();
    let failure = background_failure(error);
    assert_eq!(failure.failures.len(), 1);
    let message = &failure.failures[0].message;
    assert!(message.starts_with("Exception in callback "), "{message}");
    assert!(message.ends_with(": division by zero"), "{message}");
}

fn failing_worker() -> Future<()> {
    gen_::Builder::new().name("failing_worker").spawn(|co| {
        co.yield_(gen_::sleep(Duration::from_millis(10)))?;
        Err(Error::msg("worker lost its connection"))
    })
}

#[test]
fn test_spawn_callback_coroutine_error() {
    let error = try_gen_test(|co| {
        IOLoop::current().spawn_callback(failing_worker);
        co.yield_(gen_::sleep(Duration::from_secs(1)))?;
        Ok(())
    })
    .unwrap_err();
    let failure = background_failure(error);
    let message = &failure.failures[0].message;
    assert!(message.contains("failing_worker"), "{message}");
    assert!(message.ends_with("worker lost its connection"), "{message}");
}

#[test]
fn test_spawn_callback_coroutine_panic_names_the_coroutine() {
    let error = try_gen_test(|co| {
        IOLoop::current().spawn_callback(|| {
            gen_::Builder::new()
                .name("panicky")
                .spawn(|co| -> Result<(), Error> {
                    co.yield_(gen_::moment)?;
                    panic!("invariant broken")
                })
        });
        co.yield_(gen_::sleep(Duration::from_secs(1)))?;
        Ok(())
    })
    .unwrap_err();
    let message = &background_failure(error).failures[0].message;
    assert!(
        message.ends_with("coroutine 'panicky' panicked: invariant broken"),
        "{message}"
    );
}

#[test]
fn test_periodic_callback_error() {
    let error = try_gen_test(|co| {
        let calls = Rc::new(Cell::new(0));
        let c = calls.clone();
        let periodic = PeriodicCallback::new(
            move || -> Result<(), std::io::Error> {
                c.set(c.get() + 1);
                Err(std::io::Error::other("tick failed"))
            },
            Duration::from_secs(1),
        )?;
        periodic.start();
        co.yield_(gen_::sleep(Duration::from_millis(2500)))?;
        periodic.stop();
        assert_eq!(calls.get(), 2);
        Ok(())
    })
    .unwrap_err();
    let failure = background_failure(error);
    // Every failure is listed (Tornado logs the second and later as
    // "multiple unhandled exceptions in test").
    assert_eq!(failure.failures.len(), 2);
    assert!(
        failure
            .failures
            .iter()
            .all(|r| r.message.ends_with(": tick failed"))
    );
    assert!(
        failure
            .to_string()
            .starts_with("2 background failures in the test")
    );
}

#[test]
fn test_native_task_panic() {
    let error = try_gen_test(|co| {
        IOLoop::current().spawn_callback(|| {
            gen_::native(async {
                gen_::sleep(Duration::from_millis(1)).await?;
                panic!("task gave up");
                #[allow(unreachable_code)]
                Ok::<(), Error>(())
            })
        });
        co.yield_(gen_::sleep(Duration::from_secs(1)))?;
        Ok(())
    })
    .unwrap_err();
    let message = &background_failure(error).failures[0].message;
    assert!(message.ends_with("panicked: task gave up"), "{message}");
}

#[test]
fn test_unretrieved_future_error() {
    let error = try_gen_test(|_co| {
        drop(Future::<()>::failed(Error::msg("nobody looked")));
        Ok(())
    })
    .unwrap_err();
    assert_eq!(
        background_failure(error).failures[0].message,
        "Future exception was never retrieved: nobody looked"
    );
}

#[test]
fn test_expected_failure_passes() {
    gen_test(|co| {
        let expected = ExpectLog::new(APP_LOG, "Exception in callback");
        IOLoop::current().spawn_callback(failing_worker);
        co.yield_(gen_::sleep(Duration::from_secs(1)))?;
        assert_eq!(expected.matched(), 1);
        Ok(())
    });
}

// A background failure fails a test whose body passed: checked in a child
// process, for the message a developer reads.
#[test]
fn test_background_failure_fails_the_test() {
    if in_child("background::test_background_failure_fails_the_test") {
        gen_test(|co| {
            IOLoop::current().spawn_callback(failing_worker);
            co.yield_(gen_::sleep(Duration::from_secs(1)))?;
            Ok(())
        });
        return;
    }
    let (passed, stderr) = child("background::test_background_failure_fails_the_test", &[]);
    assert!(!passed);
    assert!(
        stderr.contains("1 background failure in the test (wrap what is meant to fail in an ExpectLog):"),
        "{stderr}"
    );
    assert!(stderr.contains("worker lost its connection"), "{stderr}");
    assert!(stderr.contains("failing_worker"), "{stderr}");
}

// A TestLoop checks the same when finished.
#[test]
fn test_test_loop_reports_background_failures() {
    let t = TestLoop::new();
    t.add_callback(|| -> Result<(), std::io::Error> { Err(std::io::Error::other("late")) });
    t.step();
    let error = t.finish().unwrap_err();
    assert_eq!(
        background_failure(error).failures[0].message.rsplit(": ").next(),
        Some("late")
    );
}
