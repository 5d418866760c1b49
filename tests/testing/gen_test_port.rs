//! Tornado's `GenTest` (testing_test.py): `@gen_test` on decorated and
//! native bodies, timeouts and `ASYNC_TEST_TIMEOUT`.

use super::*;

#[test]
fn test_sync() {
    let finished = Rc::new(Cell::new(false));
    let f = finished.clone();
    gen_test(move |_co| {
        f.set(true);
        Ok(())
    });
    assert!(finished.get());
}

#[test]
fn test_async() {
    let finished = Rc::new(Cell::new(false));
    let f = finished.clone();
    gen_test(move |co| {
        co.yield_(gen_::moment)?;
        f.set(true);
        Ok(())
    });
    assert!(finished.get());
}

// Tornado checks that the traceback blames the `yield gen.sleep(1)` line;
// gust names the stuck coroutine and what it waits on.
#[test]
fn test_timeout() {
    let error = GenTest::new()
        .timeout(Duration::from_millis(100))
        .try_run(|co| {
            co.yield_(gen_::sleep(Duration::from_secs(1)))?;
            Ok(())
        })
        .unwrap_err();
    assert!(error.is::<gen_::TimeoutError>());
    let message = error.to_string();
    assert!(
        message.starts_with("Operation timed out after 0.1 seconds; still waiting:"),
        "{message}"
    );
    assert!(
        message.contains("tests/testing/gen_test_port.rs") || message.contains("gen_test_port::test_timeout"),
        "{message}"
    );
    assert!(
        message.contains("parked on a sleep, ending in 0.9 s"),
        "{message}"
    );
}

#[test]
fn test_timeout_names_every_parked_coroutine() {
    let error = GenTest::new()
        .timeout(Duration::from_secs(1))
        .try_run(|co| {
            let stuck: Future<u8> = Future::new();
            let waiter = {
                let stuck = stuck.clone();
                gen_::Builder::new()
                    .name("waiter")
                    .spawn(move |co| co.yield_(stuck))
            };
            let napper = gen_::Builder::new()
                .name("napper")
                .spawn(|co| co.yield_(gen_::sleep(Duration::from_secs(10))));
            co.yield_((waiter, napper))?;
            drop(stuck);
            Ok(())
        })
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("(waiter): parked on a Future<u8>"), "{message}");
    assert!(
        message.contains("(napper): parked on a sleep, ending in 9 s"),
        "{message}"
    );
    assert!(message.contains("parked on a multi (2 pending)"), "{message}");
}

#[test]
fn test_no_timeout() {
    GenTest::new().timeout(Duration::from_secs(1)).run(|co| {
        co.yield_(gen_::sleep(Duration::from_millis(100)))?;
        Ok(())
    });
}

#[test]
fn test_no_timeout_real_clock() {
    let start = std::time::Instant::now();
    GenTest::new()
        .timeout(Duration::from_secs(5))
        .real_clock()
        .run(|co| {
            co.yield_(gen_::sleep(Duration::from_millis(20)))?;
            Ok(())
        });
    assert!(start.elapsed() >= Duration::from_millis(20));
}

#[test]
fn test_timeout_real_clock() {
    let error = GenTest::new()
        .timeout(Duration::from_millis(30))
        .real_clock()
        .try_run(|co| co.yield_(gen_::sleep(Duration::from_secs(30))))
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("Operation timed out after 0.03 seconds")
    );
}

// The explicit timeout wins over the environment variable.
#[test]
fn test_timeout_environment_variable() {
    if in_child("gen_test_port::test_timeout_environment_variable") {
        GenTest::new().timeout(Duration::from_millis(500)).run(|co| {
            co.yield_(gen_::sleep(Duration::from_millis(250)))?;
            Ok(())
        });
        return;
    }
    let (passed, stderr) = child(
        "gen_test_port::test_timeout_environment_variable",
        &[("GUST_TEST_TIMEOUT", "0.1")],
    );
    assert!(passed, "{stderr}");
}

// Without an explicit timeout, the environment variable's applies.
#[test]
fn test_no_timeout_environment_variable() {
    if in_child("gen_test_port::test_no_timeout_environment_variable") {
        assert_eq!(gust::testing::async_test_timeout(), Duration::from_millis(100));
        gen_test(|co| {
            co.yield_(gen_::sleep(Duration::from_secs(1)))?;
            Ok(())
        });
        return;
    }
    assert_eq!(gust::testing::async_test_timeout(), Duration::from_secs(5));
    let (passed, stderr) = child(
        "gen_test_port::test_no_timeout_environment_variable",
        &[("GUST_TEST_TIMEOUT", "0.1")],
    );
    assert!(!passed);
    assert!(
        stderr.contains("Operation timed out after 0.1 seconds; still waiting:"),
        "{stderr}"
    );
    assert!(stderr.contains("parked on a sleep, ending in 0.9 s"), "{stderr}");
}

#[test]
fn test_native_coroutine() {
    let finished = Rc::new(Cell::new(false));
    let f = finished.clone();
    gen_test_native(async move {
        f.set(true);
    });
    assert!(finished.get());
}

#[test]
fn test_native_coroutine_with_result() {
    let value = gen_test_native(async {
        gen_::sleep(Duration::from_secs(1)).await?;
        Ok::<_, Error>(7)
    });
    assert_eq!(value, 7);
}

#[test]
fn test_native_coroutine_timeout() {
    let error = GenTest::new()
        .timeout(Duration::from_millis(100))
        .try_run_native(async {
            gen_::sleep(Duration::from_secs(1)).await?;
            Ok::<_, Error>(())
        })
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("Operation timed out after 0.1 seconds"),
        "{message}"
    );
    assert!(message.contains("native task 1 ("), "{message}");
    assert!(message.contains("waiting for its waker"), "{message}");
}

// The body's own error is the test's failure, its type intact.
#[test]
fn test_body_error_is_returned() {
    let error = try_gen_test(|co| -> Result<(), Error> {
        co.yield_(gen_::moment)?;
        Err(Error::new(gen_::TimeoutError::new("Timeout")))
    })
    .unwrap_err();
    assert!(error.is::<gen_::TimeoutError>());
    assert_eq!(error.to_string(), "Timeout");
}

// A failing body fails the test: checked in a child process.
#[test]
fn test_failing_body_panics_with_its_error() {
    if in_child("gen_test_port::test_failing_body_panics_with_its_error") {
        gen_test(|co| -> Result<(), Error> {
            co.yield_(gen_::moment)?;
            Err(Error::msg("the body failed on purpose"))
        });
        return;
    }
    let (passed, stderr) = child("gen_test_port::test_failing_body_panics_with_its_error", &[]);
    assert!(!passed);
    assert!(stderr.contains("the body failed on purpose"), "{stderr}");
}

// Coroutines still suspended when the body is done are unwound when the
// test's loop closes.
#[test]
fn test_leftover_coroutines_are_closed() {
    let dropped = Rc::new(Cell::new(false));
    struct Flag(Rc<Cell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let d = dropped.clone();
    gen_test(move |_co| {
        let flag = Flag(d);
        let _leftover = gen_::coroutine(move |co| {
            let _flag = flag;
            co.yield_(gen_::sleep(Duration::from_secs(3600)))
        });
        Ok(())
    });
    assert!(dropped.get());
}

// The loop that was current before the test is current again after it.
#[test]
fn test_restores_current_loop() {
    let outer = IOLoop::new();
    outer.make_current();
    gen_test(|_co| Ok(()));
    assert!(IOLoop::current().ptr_eq(&outer));
}
