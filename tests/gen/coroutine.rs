//! GenCoroutineTest

use super::*;

// Ports GenCoroutineTest.test_sync_gen_return: a coroutine that never
// waits is finished when the call returns (`f().done()`), without a loop
// iteration and without ever being filed as a runner.
#[test]
fn test_sync_gen_return() {
    let io_loop = IOLoop::new();
    let before = io_loop.iterations();
    let f = gen_::coroutine(|_co| Ok(42));
    assert!(f.done());
    assert!(gust::runner::runners(&io_loop).is_empty());
    // Yielding it from another coroutine continues at once, too.
    let g = gen_::coroutine(move |co| co.yield_(f));
    assert!(g.done());
    assert_eq!(g.take_result().unwrap(), 42);
    assert_eq!(io_loop.iterations(), before);
}

// Ports GenCoroutineTest.test_async_gen_return.
#[test]
fn test_async_gen_return() {
    let result = try_gen_test(|co| {
        co.yield_(gen_::coroutine(|co| {
            co.yield_(gen_::moment)?;
            Ok(42)
        }))
    })
    .unwrap();
    assert_eq!(result, 42);
}

// Ports GenCoroutineTest.test_sync_return.
#[test]
fn test_sync_return() {
    assert_eq!(
        try_gen_test(|co| co.yield_(gen_::coroutine(|_co| Ok(42)))).unwrap(),
        42
    );
}

// Ports GenCoroutineTest.test_async_return: not done at call, done one
// iteration later.
#[test]
fn test_async_return() {
    let io_loop = IOLoop::new();
    let f = gen_::coroutine(|co| {
        co.yield_(gen_::moment)?;
        Ok(42)
    });
    assert!(!f.done());
    step(&io_loop);
    assert!(f.done());
    assert_eq!(f.take_result().unwrap(), 42);
}

// Ports GenCoroutineTest.test_async_early_return: a yield exists but is
// not reached.
#[test]
fn test_async_early_return() {
    fn f(early: bool) -> Future<i32> {
        gen_::coroutine(move |co| {
            if early {
                return Ok(42);
            }
            co.yield_(gen_::moment)?;
            Ok(0)
        })
    }
    let io_loop = IOLoop::new();
    let result = f(true);
    assert!(result.done());
    assert_eq!(result.take_result().unwrap(), 42);
    assert!(gust::runner::runners(&io_loop).is_empty());
}

// Ports GenCoroutineTest.test_sync_return_no_value.
#[test]
fn test_sync_return_no_value() {
    let result: () = try_gen_test(|co| co.yield_(gen_::coroutine(|_co| Ok(())))).unwrap();
    assert_eq!(result, ());
}

// Ports GenCoroutineTest.test_async_return_no_value.
#[test]
fn test_async_return_no_value() {
    let result: () = try_gen_test(|co| {
        co.yield_(gen_::coroutine(|co| {
            co.yield_(gen_::moment)?;
            Ok(())
        }))
    })
    .unwrap();
    assert_eq!(result, ());
}

// Ports GenCoroutineTest.test_sync_raise: the error is stored in the
// future (not raised by the call) and delivered where it is yielded.
#[test]
fn test_sync_raise() {
    let io_loop = IOLoop::new();
    let future = gen_::coroutine::<i32, _>(|_co| Err(ZeroDivisionError.into()));
    assert!(future.done());
    assert!(future.is_failed());
    let parent = gen_::coroutine(move |co| {
        let yielded = co.yield_(future);
        Ok(yielded.map_err(|e| e.is::<ZeroDivisionError>()))
    });
    assert_eq!(parent.take_result().unwrap(), Err(true));
    assert_eq!(io_loop.iterations(), 0);
}

// Ports GenCoroutineTest.test_async_raise.
#[test]
fn test_async_raise() {
    let io_loop = IOLoop::new();
    let future = gen_::coroutine::<i32, _>(|co| {
        co.yield_(gen_::moment)?;
        Err(ZeroDivisionError.into())
    });
    assert!(!future.done());
    let parent = gen_::coroutine(move |co| {
        let yielded = co.yield_(future);
        Ok(yielded.map_err(|e| e.is::<ZeroDivisionError>()))
    });
    io_loop.run_until_idle().unwrap();
    assert_eq!(parent.take_result().unwrap(), Err(true));
}

// Ports GenCoroutineTest.test_replace_yieldpoint_exception: the parent
// catches the child's error and fails with another one (both with a child
// failing before and after its first yield).
#[test]
fn test_replace_yieldpoint_exception() {
    fn f1(wait_first: bool) -> Future<()> {
        gen_::coroutine(move |co| {
            if wait_first {
                co.yield_(gen_::moment)?;
            }
            Err(ZeroDivisionError.into())
        })
    }
    for wait_first in [false, true] {
        let err = try_gen_test(move |co| -> Result<(), Error> {
            match co.yield_(f1(wait_first)) {
                Err(e) if e.is::<ZeroDivisionError>() => Err(KeyError.into()),
                other => other,
            }
        })
        .unwrap_err();
        assert!(err.is::<KeyError>(), "{err}");
    }
}

// Ports GenCoroutineTest.test_swallow_yieldpoint_exception: the parent
// catches the child's error and returns normally.
#[test]
fn test_swallow_yieldpoint_exception() {
    fn f1(wait_first: bool) -> Future<i32> {
        gen_::coroutine(move |co| {
            if wait_first {
                co.yield_(gen_::moment)?;
            }
            Err(ZeroDivisionError.into())
        })
    }
    for wait_first in [false, true] {
        let result = try_gen_test(move |co| match co.yield_(f1(wait_first)) {
            Err(e) if e.is::<ZeroDivisionError>() => Ok(42),
            other => other,
        })
        .unwrap();
        assert_eq!(result, 42);
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Immediate,
    Moment,
    Sleep0,
}

/// test_moment's `f(name, yieldable)`: appends `name` and yields, 5 times.
fn take_turns(name: char, kind: Kind, immediate: Future<()>, calls: Rc<RefCell<String>>) -> Future<()> {
    gen_::coroutine(move |co| {
        for _ in 0..5 {
            calls.borrow_mut().push(name);
            match kind {
                Kind::Immediate => co.yield_(&immediate)?,
                Kind::Moment => co.yield_(gen_::moment)?,
                Kind::Sleep0 => co.yield_(gen_::sleep(Duration::ZERO))?,
            }
        }
        Ok(())
    })
}

fn interleaving(a: Kind, b: Kind) -> String {
    let calls = Rc::new(RefCell::new(String::new()));
    let immediate = Future::ready(());
    let c = calls.clone();
    try_gen_test(move |co| {
        co.yield_(vec![
            take_turns('a', a, immediate.clone(), c.clone()),
            take_turns('b', b, immediate, c),
        ])
    })
    .unwrap();
    calls.borrow().clone()
}

// Ports GenCoroutineTest.test_moment: without moment each coroutine
// monopolises the loop; with moment they take turns.
#[test]
fn test_moment() {
    assert_eq!(interleaving(Kind::Immediate, Kind::Immediate), "aaaaabbbbb");
    assert_eq!(interleaving(Kind::Moment, Kind::Moment), "ababababab");
    assert_eq!(interleaving(Kind::Moment, Kind::Immediate), "abbbbbaaaa");
}

// Ports a measurement of Tornado 6 on asyncio:
// `sleep(0)` costs two hops (timer, then the future's callback) and
// `moment` one, so `a:moment` vs `b:sleep(0)` gives "abaabaabbb"; both
// `sleep(0)` alternate. gust matches: due timers run after the callbacks
// already queued in the same iteration, as asyncio's.
#[test]
fn test_moment_vs_sleep_zero() {
    assert_eq!(interleaving(Kind::Moment, Kind::Sleep0), "abaabaabbb");
    assert_eq!(interleaving(Kind::Sleep0, Kind::Sleep0), "ababababab");
}

// Ports GenCoroutineTest.test_sleep (on a clock that jumps, so the
// 10 ms pass in no real time).
#[test]
fn test_sleep() {
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let start = clock.now();
    io_loop
        .run_sync(
            || {
                gen_::coroutine(|co| {
                    co.yield_(gen_::sleep(Duration::from_millis(10)))?;
                    Ok(())
                })
            },
            None,
        )
        .unwrap();
    assert_eq!(clock.now() - start, Duration::from_millis(10));
}

// Ports GenCoroutineTest.test_py3_leak_exception_context: each failure is
// its own error, with nothing chained from an earlier handled one.
#[test]
fn test_py3_leak_exception_context() {
    fn inner(iteration: u32) -> Future<()> {
        gen_::coroutine(move |_co| Err(LeakedException(iteration).into()))
    }
    let (e1, e2) = try_gen_test(|co| {
        let e1 = co.yield_(inner(1)).unwrap_err();
        let e2 = co.yield_(inner(2)).unwrap_err();
        Ok((e1, e2))
    })
    .unwrap();
    assert_eq!(e1.to_string(), "1");
    assert_eq!(e2.to_string(), "2");
    assert!(!e1.ptr_eq(&e2));
    assert!(e1.as_std().source().is_none());
    assert!(e2.as_std().source().is_none());
}

// Ports GenCoroutineTest.test_coroutine_refcounting: a coroutine's locals
// are released as soon as it finishes (no garbage collector involved).
#[test]
fn test_coroutine_refcounting() {
    struct Foo;
    let local_ref: Rc<RefCell<Weak<Foo>>> = Rc::new(RefCell::new(Weak::new()));
    let slot = local_ref.clone();
    let inner = move || {
        gen_::coroutine::<(), _>(move |co| {
            let local_var = Rc::new(Foo);
            *slot.borrow_mut() = Rc::downgrade(&local_var);
            co.yield_(gen_::coroutine(|_co| Ok(())))?;
            drop(local_var);
            Err(RuntimeError("Some error").into())
        })
    };
    let io_loop = IOLoop::new();
    io_loop
        .run_sync(
            move || {
                gen_::coroutine(move |co| {
                    if let Err(e) = co.yield_(inner()) {
                        assert!(e.is::<RuntimeError>());
                    }
                    Ok(())
                })
            },
            Some(Duration::from_secs(3)),
        )
        .unwrap();
    assert!(local_ref.borrow().upgrade().is_none());
}
