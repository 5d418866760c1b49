//! Ports of Tornado's `tornado/test/gen_test.py` (master, and the 4.5
//! branch for the cases master dropped) to gust's `gen_::coroutine`, plus
//! tests of what a stackful engine adds: hop counts, nesting depth,
//! stepping through the Runner, unwinding on close.
//!
//! Conventions: a Tornado `@gen_test` body becomes [`run`] (a coroutine
//! driven by `run_sync` on a loop whose clock jumps to the next timer, so
//! nothing really sleeps); `raise gen.Return(x)` and `return x` are both
//! `Ok(x)`; `1 / 0` is `Err(ZeroDivisionError.into())`.

mod common;

use common::{Guard, KeyError, RuntimeError, ZeroDivisionError, new_log, run};

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::rc::{Rc, Weak};
use std::time::Duration;

use gust::ErrorKind;
use gust::concurrent::InvalidStateError;
use gust::gen_::{self, QuietExceptions, RunnerState, WaitingOn};
use gust::ioloop::{IOLoopError, ManualClock};
use gust::prelude::*;
use gust::yieldables::{
    AbandonedError, LoopClosedError, PanicError, StoppedBeforeCompletionError, TimeoutError,
};

// --------------------------------------------------------------------
// Helpers (GenBasicTest's delay / async_future / async_exception /
// add_one_async, and the exception classes the Python tests raise)
// --------------------------------------------------------------------

#[derive(Debug)]
struct LeakedException(u32);

impl fmt::Display for LeakedException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for LeakedException {}

/// Returns `arg` after `iterations` loop iterations.
fn delay<T: 'static>(iterations: usize, arg: T) -> Future<T> {
    gen_::coroutine(move |co| {
        for _ in 0..iterations {
            co.yield_(gen_::moment)?;
        }
        Ok(arg)
    })
}

/// Returns `result` after one loop iteration.
fn async_future<T: 'static>(result: T) -> Future<T> {
    gen_::coroutine(move |co| {
        co.yield_(gen_::moment)?;
        Ok(result)
    })
}

/// Fails with `error` after one loop iteration.
fn async_exception<T: 'static>(error: impl Into<Error> + 'static) -> Future<T> {
    gen_::coroutine(move |co| {
        co.yield_(gen_::moment)?;
        Err(error.into())
    })
}

fn add_one_async(x: i32) -> Future<i32> {
    gen_::coroutine(move |co| {
        co.yield_(gen_::moment)?;
        Ok(x + 1)
    })
}

fn step(io_loop: &IOLoop) {
    io_loop.run_once(Some(Duration::ZERO)).unwrap();
}

// ====================================================================
// GenBasicTest
// ====================================================================

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

// Ports GenBasicTest.test_multi.
#[test]
fn test_multi() {
    let results = run(|co| co.yield_(vec![add_one_async(1), add_one_async(2)])).unwrap();
    assert_eq!(results, vec![2, 3]);
}

// Ports GenBasicTest.test_multi_dict.
#[test]
fn test_multi_dict() {
    let results = run(|co| {
        co.yield_(HashMap::from([
            ("foo", add_one_async(1)),
            ("bar", add_one_async(2)),
        ]))
    })
    .unwrap();
    assert_eq!(results, HashMap::from([("foo", 2), ("bar", 3)]));
}

// Ports GenBasicTest.test_multi_delayed: children finish at different
// times (v2 first), results are in input order.
#[test]
fn test_multi_delayed() {
    let io_loop = IOLoop::new();
    let v1 = delay(3, "v1");
    let v2 = delay(1, "v2");
    let (w1, w2) = (v1.clone(), v2.clone());
    let responses = gen_::multi_future(vec![v1, v2]);
    step(&io_loop);
    assert!(w2.done() && !w1.done() && !responses.done());
    step(&io_loop);
    assert!(!responses.done());
    step(&io_loop);
    assert!(w1.done() && responses.done());
    assert_eq!(responses.take_result().unwrap(), vec!["v1", "v2"]);
}

// Ports GenBasicTest.test_multi_dict_delayed.
#[test]
fn test_multi_dict_delayed() {
    let responses = run(|co| {
        co.yield_(gen_::multi_future(BTreeMap::from([
            ("foo", delay(3, "v1")),
            ("bar", delay(1, "v2")),
        ])))
    })
    .unwrap();
    assert_eq!(responses, BTreeMap::from([("foo", "v1"), ("bar", "v2")]));
}

// Ports GenBasicTest.test_multi_performance: `yield [gen.moment] * 2000`
// is immediate (moments inside a list resolve without a hop), so rather
// than timing it we count iterations: none.
#[test]
fn test_multi_performance() {
    let io_loop = IOLoop::new();
    let before = io_loop.iterations();
    let f = gen_::coroutine(|co| Ok(co.yield_(vec![gen_::moment; 2000])?.len()));
    assert!(f.done());
    assert_eq!(io_loop.iterations(), before);
    assert_eq!(f.take_result().unwrap(), 2000);
}

// Ports GenBasicTest.test_multi_empty: empty lists and maps keep their type.
#[test]
fn test_multi_empty() {
    let io_loop = IOLoop::new();
    let f = gen_::coroutine(|co| {
        let x = co.yield_(Vec::<Future<i32>>::new())?;
        let y = co.yield_(HashMap::<String, Future<i32>>::new())?;
        let z = co.yield_(BTreeMap::<u8, Future<i32>>::new())?;
        Ok((x, y, z))
    });
    assert!(f.done(), "an empty multi is already resolved");
    let (x, y, z) = f.take_result().unwrap();
    assert_eq!(x, Vec::<i32>::new());
    assert_eq!(y, HashMap::new());
    assert_eq!(z, BTreeMap::new());
    assert_eq!(io_loop.iterations(), 0);
}

// Ports GenBasicTest.test_future.
#[test]
fn test_future() {
    assert_eq!(run(|co| co.yield_(async_future(1))).unwrap(), 1);
}

// Ports GenBasicTest.test_multi_future.
#[test]
fn test_multi_future() {
    let results = run(|co| co.yield_(vec![async_future(1), async_future(2)])).unwrap();
    assert_eq!(results, vec![1, 2]);
}

// Ports GenBasicTest.test_multi_future_duplicate: a future listed twice is
// borrowed (`&f`), so both places get a copy of its result.
#[test]
fn test_multi_future_duplicate() {
    let results = run(|co| {
        let f = async_future(2);
        let f1 = async_future(1);
        let f3 = async_future(3);
        co.yield_(vec![&f1, &f, &f3, &f])
    })
    .unwrap();
    assert_eq!(results, vec![1, 2, 3, 2]);
}

// gust-specific (the other side of test_multi_future_duplicate): listing
// the same future twice BY VALUE moves its result to the first place, so
// the second place finds it taken and the multi fails with
// InvalidStateError.
#[test]
fn test_multi_future_duplicate_by_value_is_invalid_state() {
    let err = run(|co| {
        let f = async_future(2);
        co.yield_(vec![async_future(1), f.clone(), async_future(3), f])
    })
    .unwrap_err();
    assert!(err.is::<InvalidStateError>(), "{err}");
    assert_eq!(err.kind(), ErrorKind::InvalidState);
}

// Ports GenBasicTest.test_multi_dict_future.
#[test]
fn test_multi_dict_future() {
    let results = run(|co| {
        co.yield_(HashMap::from([
            ("foo", async_future(1)),
            ("bar", async_future(2)),
        ]))
    })
    .unwrap();
    assert_eq!(results, HashMap::from([("foo", 1), ("bar", 2)]));
}

// Ports GenBasicTest.test_multi_exceptions (`gen.Multi(...)` is
// `gen_::multi`, `quiet_exceptions=` is `gen_::multi_with`).
#[test]
fn test_multi_exceptions() {
    common::clear();
    let err = run(|co| {
        co.yield_(gen_::multi(vec![
            async_exception::<i32>(RuntimeError("error 1")),
            async_exception(RuntimeError("error 2")),
        ]))
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "error 1");
    assert!(err.is::<RuntimeError>());
    assert_eq!(
        common::app_errors_containing("Multiple exceptions in yield list"),
        vec!["Multiple exceptions in yield list: error 2".to_owned()]
    );

    // With only one exception, no error is logged.
    common::clear();
    let err = run(|co| {
        co.yield_(gen_::multi(vec![
            async_exception::<i32>(RuntimeError("error 1")),
            async_future(2),
        ]))
    })
    .unwrap_err();
    assert!(err.is::<RuntimeError>());
    assert_eq!(common::app_errors(), Vec::<String>::new());

    // Exception logging may be explicitly quieted.
    common::clear();
    let err = run(|co| {
        co.yield_(gen_::multi_with(
            vec![
                async_exception::<i32>(RuntimeError("error 1")),
                async_exception(RuntimeError("error 2")),
            ],
            QuietExceptions::of::<RuntimeError>(),
        ))
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "error 1");
    assert_eq!(common::app_errors(), Vec::<String>::new());
}

// Ports GenBasicTest.test_multi_future_exceptions: the same, yielding the
// list directly.
#[test]
fn test_multi_future_exceptions() {
    common::clear();
    let err = run(|co| {
        co.yield_(vec![
            async_exception::<i32>(RuntimeError("error 1")),
            async_exception(RuntimeError("error 2")),
        ])
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "error 1");
    assert_eq!(
        common::app_errors_containing("Multiple exceptions in yield list"),
        vec!["Multiple exceptions in yield list: error 2".to_owned()]
    );

    // With only one exception, no error is logged.
    common::clear();
    let err = run(|co| {
        co.yield_(vec![
            async_exception::<i32>(RuntimeError("error 1")),
            async_future(2),
        ])
    })
    .unwrap_err();
    assert!(err.is::<RuntimeError>());
    assert_eq!(common::app_errors(), Vec::<String>::new());

    // Exception logging may be explicitly quieted.
    common::clear();
    let err = run(|co| {
        co.yield_(gen_::multi_with(
            vec![
                async_exception::<i32>(RuntimeError("error 1")),
                async_exception(RuntimeError("error 2")),
            ],
            QuietExceptions::of::<RuntimeError>(),
        ))
    })
    .unwrap_err();
    assert!(err.is::<RuntimeError>());
    assert_eq!(common::app_errors(), Vec::<String>::new());
}

// gust-specific (reference §1.1 multi, issue #1546): multi waits for every
// child even after one failed, and the first error IN INPUT ORDER wins,
// even if a later child failed first; the other is logged.
#[test]
fn test_multi_first_error_in_input_order_after_all_finish() {
    common::clear();
    let _io_loop = IOLoop::new();
    let (a, b, c) = (Future::<i32>::new(), Future::<i32>::new(), Future::<i32>::new());
    let m = gen_::multi(vec![a.clone(), b.clone(), c.clone()]);
    b.set_exception(RuntimeError("error 2")).unwrap();
    assert!(!m.done(), "multi waits for all children");
    a.set_exception(RuntimeError("error 1")).unwrap();
    assert!(!m.done(), "multi waits for all children");
    c.set_result(3).unwrap();
    assert!(m.done());
    assert_eq!(m.take_result().unwrap_err().to_string(), "error 1");
    assert_eq!(
        common::app_errors_containing("Multiple exceptions"),
        vec!["Multiple exceptions in yield list: error 2".to_owned()]
    );
}

// gust-specific: a tuple is a multi of different types (Tornado's lists
// hold anything); its result is a tuple in the same order.
#[test]
fn test_multi_tuple() {
    let (n, s, unit) =
        run(|co| co.yield_((async_future(1), async_future("two".to_owned()), gen_::moment))).unwrap();
    assert_eq!((n, s.as_str(), unit), (1, "two", ()));
}

// gust-specific: a tuple multi reports errors like a list: the first in
// input order wins, the others are logged.
#[test]
fn test_multi_tuple_exceptions() {
    common::clear();
    let err = run(|co| {
        co.yield_((
            async_exception::<i32>(RuntimeError("error 1")),
            async_future("fine"),
            async_exception::<String>(KeyError),
        ))
    })
    .unwrap_err();
    assert!(err.is::<RuntimeError>(), "{err}");
    assert_eq!(
        common::app_errors(),
        vec!["Multiple exceptions in yield list: KeyError".to_owned()]
    );
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
    let (s, v) = run(|co| {
        co.yield_(gen_::coroutine(|co| {
            co.yield_(gen_::moment)?;
            Ok((String::from("one"), vec![2, 3]))
        }))
    })
    .unwrap();
    assert_eq!((s.as_str(), v), ("one", vec![2, 3]));
}

// ====================================================================
// GenCoroutineTest
// ====================================================================

// Ports GenCoroutineTest.test_sync_gen_return: a coroutine that never
// waits is finished when the call returns (`f().done()`), without a loop
// iteration and without ever being filed as a runner.
#[test]
fn test_sync_gen_return() {
    let io_loop = IOLoop::new();
    let before = io_loop.iterations();
    let f = gen_::coroutine(|_co| Ok(42));
    assert!(f.done());
    assert!(gen_::runners(&io_loop).is_empty());
    // Yielding it from another coroutine continues at once, too.
    let g = gen_::coroutine(move |co| co.yield_(f));
    assert!(g.done());
    assert_eq!(g.take_result().unwrap(), 42);
    assert_eq!(io_loop.iterations(), before);
}

// Ports GenCoroutineTest.test_async_gen_return.
#[test]
fn test_async_gen_return() {
    let result = run(|co| {
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
    assert_eq!(run(|co| co.yield_(gen_::coroutine(|_co| Ok(42)))).unwrap(), 42);
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
    assert!(gen_::runners(&io_loop).is_empty());
}

// Ports GenCoroutineTest.test_sync_return_no_value.
#[test]
fn test_sync_return_no_value() {
    let result: () = run(|co| co.yield_(gen_::coroutine(|_co| Ok(())))).unwrap();
    assert_eq!(result, ());
}

// Ports GenCoroutineTest.test_async_return_no_value.
#[test]
fn test_async_return_no_value() {
    let result: () = run(|co| {
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
        let err = run(move |co| -> Result<(), Error> {
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
        let result = run(move |co| match co.yield_(f1(wait_first)) {
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
    run(move |co| {
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

// Ports the reference's measurement (tornado-semantics.md §1.1 sleep):
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
    let (e1, e2) = run(|co| {
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

// ====================================================================
// RunnerGCTest
// ====================================================================

// Ports RunnerGCTest.test_gc (issue #1769): a runner stays alive while it
// waits, even when the only strong reference to the awaited future is the
// coroutine's own local (the callback has a weak one).
#[test]
fn test_gc() {
    let result = run(|co| {
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
        gen_::runners(&io_loop).len(),
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
    common::clear();
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
        common::app_errors().is_empty(),
        "nothing is logged while a handle exists"
    );
    drop(g);
    let logged = common::app_errors();
    assert_eq!(
        logged,
        vec!["Future exception was never retrieved: division by zero".to_owned()]
    );
    let records = common::capture();
    let record = records
        .iter()
        .find(|(_, _, m)| m.contains("never retrieved"))
        .unwrap();
    assert_eq!(record.0, common::Level::Error);
    assert_eq!(record.1, common::APP_LOG);
}

// gust-specific companion of test_uncaught_exception_log: an error that was
// looked at (exception(), result, or yielded by a parent) is not logged;
// one failing before its first yield is logged like the others.
#[test]
fn test_future_exception_never_retrieved_only_when_unobserved() {
    let io_loop = IOLoop::new();
    let fail = || gen_::coroutine::<i32, _>(|_co| Err(ZeroDivisionError.into()));

    common::clear();
    drop(fail());
    assert_eq!(common::app_errors_containing("never retrieved").len(), 1);

    common::clear();
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
    assert_eq!(common::app_errors(), Vec::<String>::new());
    drop(io_loop);
}

// ====================================================================
// Hop counts (reference §2.3, §2.4, §2.9)
// ====================================================================

// gust-specific: a pending future resolved by a loop callback resumes its
// waiter exactly one iteration later (never inside set_result).
#[test]
fn test_pending_future_resumes_one_iteration_after_resolution() {
    let io_loop = IOLoop::new();
    let f = Future::new();
    let waiter = {
        let f = f.clone();
        gen_::coroutine(move |co| co.yield_(f))
    };
    let resolved_at = Rc::new(Cell::new(0));
    let (setter, at, lp) = (f.clone(), resolved_at.clone(), io_loop.clone());
    io_loop.add_callback(move || {
        setter.set_result(7).unwrap();
        at.set(lp.iterations());
    });
    step(&io_loop);
    assert_eq!(resolved_at.get(), io_loop.iterations());
    assert!(f.done());
    assert!(
        !waiter.done(),
        "the waiter is scheduled, not resumed inside set_result"
    );
    step(&io_loop);
    assert!(waiter.done());
    assert_eq!(io_loop.iterations(), resolved_at.get() + 1);
    assert_eq!(waiter.take_result().unwrap(), 7);
}

// gust-specific: yielding done futures never costs an iteration, however
// many; moment costs exactly one each.
#[test]
fn test_done_future_costs_no_iteration_and_moment_one() {
    let io_loop = IOLoop::new();
    let f = gen_::coroutine(|co| {
        let done = Future::ready(1u64);
        let mut sum = 0;
        for _ in 0..100_000 {
            sum += co.yield_(&done)?;
        }
        Ok(sum)
    });
    assert!(f.done());
    assert_eq!(f.take_result().unwrap(), 100_000);
    assert_eq!(io_loop.iterations(), 0);

    let g = gen_::coroutine(|co| {
        for _ in 0..3 {
            co.yield_(gen_::moment)?;
        }
        Ok(())
    });
    let mut hops = 0;
    while !g.done() {
        step(&io_loop);
        hops += 1;
    }
    assert_eq!(hops, 3);
}

// gust-specific (reference §1.1 sleep): sleep(0) costs two iterations, the
// timer firing in the first and the waiter resuming in the second.
#[test]
fn test_sleep_zero_costs_two_iterations() {
    let io_loop = IOLoop::new();
    let f = gen_::coroutine(|co| {
        co.yield_(gen_::sleep(Duration::ZERO))?;
        Ok(())
    });
    assert!(!f.done());
    step(&io_loop);
    assert!(!f.done());
    assert!(matches!(
        gen_::runners(&io_loop)[0].state,
        RunnerState::Scheduled(_)
    ));
    step(&io_loop);
    assert!(f.done());
}

/// Each level yields a child coroutine; the deepest yields a moment. Some
/// levels, once resumed, count how many runners are running at once.
fn nested(depth: u32, max_running: Rc<Cell<usize>>) -> Future<u32> {
    gen_::coroutine(move |co| {
        let value = if depth == 0 {
            co.yield_(gen_::moment)?;
            0
        } else {
            co.yield_(nested(depth - 1, max_running.clone()))? + 1
        };
        if depth % 1000 == 0 {
            let running = gen_::runners(&IOLoop::current())
                .iter()
                .filter(|info| info.state == RunnerState::Running)
                .count();
            max_running.set(max_running.get().max(running));
        }
        Ok(value)
    })
}

// gust-specific (reference §2.3 "no deep recursion"): 10,000 nested
// coroutines, each waiting on its child. Each level resumes from its own
// loop iteration (one hop per level) and never inside its child's
// completion, so only one coroutine is ever running and nothing recurses.
#[test]
fn test_nested_coroutines_10000_deep() {
    const DEPTH: u32 = 10_000;
    let io_loop = IOLoop::new();
    let max_running = Rc::new(Cell::new(0));
    let top = nested(DEPTH, max_running.clone());
    assert_eq!(gen_::runners(&io_loop).len(), DEPTH as usize + 1);
    let before = io_loop.iterations();
    while !top.done() {
        step(&io_loop);
    }
    assert_eq!(io_loop.iterations() - before, u64::from(DEPTH) + 1);
    assert_eq!(top.take_result().unwrap(), DEPTH);
    assert_eq!(max_running.get(), 1);
    assert!(gen_::runners(&io_loop).is_empty());
}

// ====================================================================
// Stepping through the Runner by hand
// ====================================================================

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
    let infos = gen_::runners(&io_loop);
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
    assert_eq!(gen_::runner_of(&coro).map(|i| i.id), Some(info.id));
    assert_eq!(io_loop.ready_len(), 0);

    f.set_result(21).unwrap();
    assert_eq!(gen_::runners(&io_loop)[0].state, RunnerState::Scheduled(waiting));
    assert_eq!(io_loop.ready_len(), 1);
    assert!(!coro.done());

    step(&io_loop);
    assert_eq!(
        gen_::runners(&io_loop)[0].state,
        RunnerState::Scheduled(WaitingOn::Moment)
    );
    assert!(!coro.done());

    step(&io_loop);
    assert!(gen_::runners(&io_loop).is_empty());
    assert!(gen_::runner_of(&coro).is_none());
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
    let infos = gen_::runners(&io_loop);
    assert_eq!(infos.len(), 2);
    let named = infos.iter().find(|i| i.result == coro.id()).unwrap();
    assert_eq!(named.name, "x");
    assert!(named.stack_size >= 64 * 1024);
    let (id, name, stack_size) = seen.borrow().clone().unwrap();
    assert_eq!((id, name.as_str(), stack_size), (named.id, "x", named.stack_size));
    let other = infos.iter().find(|i| i.result == unnamed.id()).unwrap();
    assert!(other.name.contains("gen_test"), "{}", other.name);
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

// ====================================================================
// Panics, spawn_callback
// ====================================================================

// gust-specific (contract: "Panics in a body are caught and become the
// future's error; the loop survives"), before and after the first yield.
#[test]
fn test_panic_becomes_panic_error_and_loop_survives() {
    let io_loop = IOLoop::new();
    let early = gen_::coroutine::<(), _>(|_co| panic!("early {}", 1));
    assert!(early.done());
    let err = early.take_result().unwrap_err();
    assert!(err.is::<PanicError>());
    assert_eq!(err.downcast_ref::<PanicError>().unwrap().message, "early 1");

    let late = gen_::coroutine::<(), _>(|co| {
        co.yield_(gen_::moment)?;
        panic!("late");
    });
    let after = Rc::new(Cell::new(false));
    let a = after.clone();
    io_loop.add_callback(move || a.set(true));
    step(&io_loop);
    assert!(
        after.get(),
        "callbacks after the panic in the same iteration still run"
    );
    let err = late.take_result().unwrap_err();
    assert_eq!(err.downcast_ref::<PanicError>().unwrap().message, "late");
    // The loop is still usable.
    assert_eq!(io_loop.run_sync(|| async_future(5), None).unwrap(), 5);
}

// gust-specific (Tornado logs a spawned coroutine's failure through
// `_run_callback`): `spawn_callback` of a failing coroutine logs
// `Exception in callback ...` once, and nothing is logged again when the
// future is dropped.
#[test]
fn test_spawn_callback_failure_is_logged() {
    common::clear();
    let io_loop = IOLoop::new();
    io_loop.spawn_callback(|| {
        gen_::coroutine::<(), _>(|co| {
            co.yield_(gen_::moment)?;
            Err(Error::msg("spawned failure"))
        })
    });
    io_loop.spawn_callback(|| gen_::coroutine::<(), _>(|_co| Err(Error::msg("sync failure"))));
    io_loop.spawn_callback(|| gen_::coroutine(|_co| Ok(1)));
    io_loop.run_until_idle().unwrap();
    let logged = common::app_errors();
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert!(
        logged.iter().all(|m| m.starts_with("Exception in callback ")),
        "{logged:?}"
    );
    assert!(logged.iter().any(|m| m.ends_with(": sync failure")), "{logged:?}");
    assert!(
        logged.iter().any(|m| m.ends_with(": spawned failure")),
        "{logged:?}"
    );
}

// ====================================================================
// Closing, dropping, abandoning suspended coroutines
// ====================================================================

// gust-specific (contract: closing the loop unwinds every suspended
// coroutine): destructors on the coroutine stacks run, futures fail with
// LoopClosedError, nothing is logged.
#[test]
fn test_close_unwinds_suspended_coroutines() {
    common::clear();
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
    assert_eq!(gen_::runners(&io_loop).len(), 4);
    assert!(log.borrow().is_empty());

    io_loop.close().unwrap();
    let mut ran = log.borrow().clone();
    ran.sort_unstable();
    assert_eq!(ran, vec!["child", "parent", "parked", "scheduled"]);
    for f in [parked, scheduled] {
        assert!(f.take_result().unwrap_err().is::<LoopClosedError>());
    }
    assert_eq!(parent.take_result().unwrap_err().kind(), ErrorKind::LoopClosed);
    assert!(gen_::runners(&io_loop).is_empty());
    assert_eq!(common::app_errors(), Vec::<String>::new());
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
    common::clear();
    let io_loop = IOLoop::new();
    let log = new_log();
    let f: Future<i32> = Future::new();
    let (l, g) = (log.clone(), f.clone());
    let coro = gen_::Builder::new().name("waiter").spawn(move |co| {
        let _guard = Guard::new(&l, "guard");
        co.yield_(g)
    });
    assert!(matches!(gen_::runners(&io_loop)[0].state, RunnerState::Parked(_)));
    drop(f);
    assert!(matches!(
        gen_::runners(&io_loop)[0].state,
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
    assert!(gen_::runners(&io_loop).is_empty());
    assert_eq!(common::app_errors(), Vec::<String>::new());
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
    assert!(gen_::runners(&io_loop).is_empty());
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
    assert!(second.unwrap_err().is::<gen_::GeneratorExit>());
    assert!(f.take_result().unwrap_err().is::<LoopClosedError>());
    drop(never);
}

// ====================================================================
// Moving and copying results
// ====================================================================

// gust-specific (the Future doc: results are moved to a consumer by value
// and copied for `&future`): a borrowed yield leaves the result, a yield
// by value takes it, and a later reader gets InvalidStateError.
#[test]
fn test_yield_by_value_moves_result_by_reference_copies() {
    let _io_loop = IOLoop::new();
    let f = Future::ready(String::from("x"));
    let g = f.clone();
    let out = gen_::coroutine(move |co| {
        let a = co.yield_(&g)?;
        let b = co.yield_(&g)?;
        let c = co.yield_(g.clone())?;
        let d = co.yield_(&g).map_err(|e| e.is::<InvalidStateError>());
        Ok((a, b, c, d))
    });
    let (a, b, c, d) = out.take_result().unwrap();
    assert_eq!((a.as_str(), b.as_str(), c.as_str()), ("x", "x", "x"));
    assert_eq!(d, Err(true));
    assert!(f.result().unwrap_err().is::<InvalidStateError>());
}

// gust-specific (DESIGN: "any plain function that is handed the coroutine
// handle can yield"): a helper function yields on the caller's stack.
#[test]
fn test_helper_function_can_yield() {
    fn twice(co: &Co, f: Future<i32>) -> Result<i32, Error> {
        Ok(co.yield_(f)? * 2)
    }
    let v = run(|co| twice(co, async_future(21))).unwrap();
    assert_eq!(v, 42);
}

// gust-specific (Tornado's convert_yielded registry): a user type becomes
// yieldable by implementing the trait.
#[test]
fn test_custom_yieldable() {
    struct Deferred(Future<i32>);
    impl gen_::Yieldable for Deferred {
        type Output = i32;
        fn convert_yielded(self) -> Future<i32> {
            self.0
        }
    }
    let v = run(|co| co.yield_(Deferred(async_future(7)))).unwrap();
    assert_eq!(v, 7);
}

// ====================================================================
// run_sync (Tornado's ioloop_test.py TestIOLoopRunSync)
// ====================================================================

// Ports TestIOLoopRunSync.test_sync_result / test_async_result.
#[test]
fn test_run_sync_result() {
    let io_loop = IOLoop::with_clock(ManualClock::autojump());
    assert_eq!(io_loop.run_sync(|| Future::ready(42), None).unwrap(), 42);
    let result = io_loop
        .run_sync(
            || {
                gen_::coroutine(|co| {
                    co.yield_(gen_::sleep(Duration::from_secs(60)))?;
                    Ok(42)
                })
            },
            None,
        )
        .unwrap();
    assert_eq!(result, 42);
    // Anything yieldable will do, like convert_yielded in Tornado.
    assert_eq!(
        io_loop
            .run_sync(|| vec![async_future(1), async_future(2)], None)
            .unwrap(),
        vec![1, 2]
    );
    io_loop.run_sync(|| gen_::moment, None).unwrap();
}

// Ports TestIOLoopRunSync.test_sync_exception / test_async_exception.
// run_sync hands the error back, so nothing is logged as unretrieved.
#[test]
fn test_run_sync_error() {
    common::clear();
    let io_loop = IOLoop::new();
    let err = io_loop
        .run_sync(
            || gen_::coroutine::<(), _>(|_co| Err(ZeroDivisionError.into())),
            None,
        )
        .unwrap_err();
    assert!(err.is::<ZeroDivisionError>());
    let err = io_loop
        .run_sync(|| async_exception::<()>(ZeroDivisionError), None)
        .unwrap_err();
    assert!(err.is::<ZeroDivisionError>());
    // A panicking func is an error too, and the loop survives it.
    let err = io_loop
        .run_sync(|| -> Future<()> { panic!("in func") }, None)
        .unwrap_err();
    assert_eq!(err.downcast_ref::<PanicError>().unwrap().message, "in func");
    assert_eq!(io_loop.run_sync(|| Future::ready(1), None).unwrap(), 1);
    drop(io_loop);
    assert_eq!(common::app_errors(), Vec::<String>::new());
}

// Ports TestIOLoopRunSync.test_current: the loop is current inside func.
#[test]
fn test_run_sync_current() {
    let io_loop = IOLoop::new();
    let other = IOLoop::new();
    let id = io_loop.id();
    let same = io_loop
        .run_sync(move || Future::ready(IOLoop::current().id() == id), None)
        .unwrap();
    assert!(same);
    drop(other);
}

// Ports TestIOLoopRunSync.test_timeout: `TimeoutError("Operation timed out
// after N seconds")`; the clock jumps, so nothing really waits, and the
// work's future is cancelled.
#[test]
fn test_run_sync_timeout() {
    let clock = ManualClock::autojump();
    let io_loop = IOLoop::with_clock(&clock);
    let start = clock.now();
    let slot: Rc<RefCell<Option<Future<()>>>> = Rc::new(RefCell::new(None));
    let s = slot.clone();
    let err = io_loop
        .run_sync(
            move || {
                let f = gen_::coroutine(|co| co.yield_(gen_::sleep(Duration::from_secs(3600))));
                *s.borrow_mut() = Some(f.clone());
                f
            },
            Some(Duration::from_secs(1)),
        )
        .unwrap_err();
    assert!(err.is::<TimeoutError>(), "{err}");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.to_string(), "Operation timed out after 1 seconds");
    assert_eq!(clock.now() - start, Duration::from_secs(1));
    assert!(slot.borrow().as_ref().unwrap().cancelled());

    let err = io_loop
        .run_sync(
            || gen_::coroutine(|co| co.yield_(gen_::sleep(Duration::from_secs(3600)))),
            Some(Duration::from_millis(500)),
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "Operation timed out after 0.5 seconds");
}

// Ports Tornado 6.5's run_sync stopped from elsewhere: RuntimeError("Event
// loop stopped before Future completed.").
#[test]
fn test_run_sync_stopped_before_completion() {
    let io_loop = IOLoop::new();
    let err = io_loop
        .run_sync(
            || {
                gen_::coroutine(|co| {
                    IOLoop::current().stop();
                    co.yield_(gen_::sleep(Duration::from_secs(3600)))
                })
            },
            None,
        )
        .unwrap_err();
    assert!(err.is::<StoppedBeforeCompletionError>(), "{err}");
    assert_eq!(err.to_string(), "Event loop stopped before Future completed.");
}

// Ports run_sync's RuntimeError on a running loop (and on a closed one).
#[test]
fn test_run_sync_on_running_loop_is_an_error() {
    let io_loop = IOLoop::new();
    let out: Rc<RefCell<Option<Result<i32, Error>>>> = Rc::new(RefCell::new(None));
    let o = out.clone();
    io_loop.add_callback(move || {
        *o.borrow_mut() = Some(IOLoop::current().run_sync(|| Future::ready(1), None));
    });
    step(&io_loop);
    let err = out.borrow_mut().take().unwrap().unwrap_err();
    assert_eq!(
        err.downcast_ref::<IOLoopError>(),
        Some(&IOLoopError::AlreadyRunning)
    );

    io_loop.close().unwrap();
    let err = io_loop.run_sync(|| Future::ready(1), None).unwrap_err();
    assert_eq!(err.downcast_ref::<IOLoopError>(), Some(&IOLoopError::Closed));
}

// gust-specific (docs/differences.md, "Hop counts"): because future
// callbacks run synchronously, compositions add no loop iteration. A
// coroutine waiting on `[f]`, `with_timeout(d, f)` or `WaitIterator.next()`
// over `f` resumes exactly one iteration after `f` is resolved (Tornado 6 on
// asyncio takes two). A child coroutine waiting on `f` takes two, as in
// Tornado: the child resumes, finishes, then the parent resumes.
#[test]
fn test_hop_counts_of_compositions() {
    type Waiter = fn(Future<u32>) -> Future<u32>;
    let waiters: Vec<(&str, Waiter, u64)> = vec![
        ("plain", |f| gen_::coroutine(move |co| co.yield_(f)), 1),
        (
            "list",
            |f| gen_::coroutine(move |co| Ok(co.yield_(vec![f])?[0])),
            1,
        ),
        (
            "with_timeout",
            |f| gen_::coroutine(move |co| co.yield_(gen_::with_timeout(Duration::from_secs(60), f))),
            1,
        ),
        (
            "wait_iterator",
            |f| gen_::coroutine(move |co| co.yield_(gen_::WaitIterator::new(vec![f]).next())),
            1,
        ),
        (
            "child",
            |f| gen_::coroutine(move |co| co.yield_(gen_::coroutine(move |co| co.yield_(f)))),
            2,
        ),
    ];
    for (name, waiter, expected) in waiters {
        let io_loop = IOLoop::with_clock(ManualClock::new());
        let f: Future<u32> = Future::new();
        let result = waiter(f.clone());
        io_loop.run_iterations(3).unwrap();
        assert!(!result.done(), "{name}: resumed before the future was resolved");
        let before = io_loop.iterations();
        f.set_result(7).unwrap();
        let mut hops = 0;
        while !result.done() {
            io_loop.run_once(Some(Duration::ZERO)).unwrap();
            hops += 1;
            assert!(hops < 10, "{name}: never resumed");
        }
        assert_eq!(io_loop.iterations() - before, hops);
        assert_eq!(hops, expected, "{name}");
        assert_eq!(result.take_result().unwrap(), 7);
    }
}
