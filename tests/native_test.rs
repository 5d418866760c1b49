//! Native coroutines (Rust `async`) mixed with decorated ones
//! (`gen_::coroutine`): ports of the mixed cases of Tornado's
//! `tornado/test/gen_test.py` (`GenCoroutineTest`, 6.x, plus
//! `test_async_await_mixed_multi_native_yieldpoint` from 4.5),
//! `tornado/test/ioloop_test.py` (`test_native_coroutine`,
//! `test_exception_logging_native_coro`, `test_spawn_callback`) and
//! `tornado/test/testing_test.py` (`test_native_coroutine`,
//! `test_native_coroutine_timeout`); then what gust adds: start semantics and
//! hop counts, tasks (`IOLoopExt::spawn`, `gen_::native`, `gen_::task_count`),
//! `Co::await_`, the task waker, and interop with tokio.
//!
//! Conventions as in `gen_test.rs`: [`run`] is Tornado's `@gen_test` (a
//! decorated body on a loop whose clock jumps to the next timer), and
//! [`run_native`] is `@gen_test` around an `async def` body. `async def f()`
//! becomes `async fn f() -> Result<T, Error>`; `await x` becomes
//! `x.await?`; Tornado's `asyncio.sleep(0)` becomes [`yield_now`].

mod common;

use common::{Guard, ZeroDivisionError, new_log, run};

use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use gust::concurrent::{RemoteSetter, SendFuture, remote_future};
use gust::gen_::{self, IntoResult, LoopClosedError, PanicError, TimeoutError};
use gust::ioloop::ManualClock;
use gust::prelude::*;

// --------------------------------------------------------------------
// Helpers
// --------------------------------------------------------------------

/// Tornado's `@gen_test` around an `async def` body: the future is spawned
/// as a task on a fresh loop (autojump clock) and run to completion.
fn run_native<F>(future: F) -> Result<<F::Output as IntoResult>::Ok, Error>
where
    F: std::future::Future + 'static,
    F::Output: IntoResult,
{
    let io_loop = IOLoop::with_clock(ManualClock::autojump());
    io_loop.run_sync(move || gen_::native(future), Some(Duration::from_secs(5)))
}

fn step(io_loop: &IOLoop) {
    io_loop.run_once(Some(Duration::ZERO)).unwrap();
}

/// Python's `await asyncio.sleep(0)`: pending once (waking itself), so the
/// task gives the loop exactly one iteration.
struct YieldNow(bool);

impl std::future::Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn yield_now() -> YieldNow {
    YieldNow(false)
}

/// Panics with `message` (a function returning `()`, so an `async` block
/// calling it still has a type).
fn explode(message: &str) {
    panic!("{message}")
}

/// A decorated coroutine: one `moment`, then `value`.
fn after_moment<T: 'static>(value: T) -> Future<T> {
    gen_::coroutine(move |co| {
        co.yield_(gen_::moment)?;
        Ok(value)
    })
}

/// Tornado's `async def divide(x, y): return x / y`.
async fn divide(x: i32, y: i32) -> Result<i32, Error> {
    x.checked_div(y).ok_or_else(|| ZeroDivisionError.into())
}

fn panic_message(error: &Error) -> String {
    error
        .downcast_ref::<PanicError>()
        .map(|p| p.message.clone())
        .unwrap_or_else(|| panic!("not a PanicError: {error}"))
}

// ====================================================================
// GenCoroutineTest: native and decorated coroutines together
// ====================================================================

// Ports GenCoroutineTest.test_async_await: an async function can await a
// decorated coroutine, and a decorated coroutine (the test body) can yield
// an async function.
#[test]
fn test_async_await() {
    fn f1() -> Future<i32> {
        gen_::coroutine(|co| {
            co.yield_(gen_::moment)?;
            Ok(42) // raise gen.Return(42)
        })
    }

    async fn f2() -> Result<i32, Error> {
        let result = f1().await?;
        Ok(result)
    }

    let result = run(|co| co.yield_(gen_::native(f2()))).unwrap();
    assert_eq!(result, 42);
}

// The same, from the other side: the test body is native and awaits a
// decorated coroutine that yields a native one.
#[test]
fn test_native_awaits_decorated_that_yields_native() {
    async fn leaf() -> Result<i32, Error> {
        yield_now().await;
        Ok(20)
    }

    fn middle() -> Future<i32> {
        gen_::coroutine(|co| Ok(co.yield_(gen_::native(leaf()))? + 1))
    }

    let result = run_native(async { Ok::<_, Error>(middle().await? * 2) }).unwrap();
    assert_eq!(result, 42);
}

// Ports GenCoroutineTest.test_asyncio_sleep_zero: `await asyncio.sleep(0)`
// in a native coroutine yielded by a decorated one.
#[test]
fn test_asyncio_sleep_zero() {
    async fn f() -> Result<i32, Error> {
        yield_now().await;
        Ok(42)
    }

    let result = run(|co| co.yield_(gen_::native(f()))).unwrap();
    assert_eq!(result, 42);
}

// Hop counts of the native ways to let the loop run: `yield_now` (Python's
// `asyncio.sleep(0)`) costs exactly one iteration, `gen_::sleep(0)` two (the
// timer fires in the next iteration, the task is polled in the one after,
// as in Tornado), and awaiting `convert_yielded(moment)` none: outside a
// decorated coroutine's runner, `moment` is just a done future.
#[test]
fn test_native_sleep_zero_hop_counts() {
    let hops = run_native(async {
        let io_loop = IOLoop::current();
        let mut hops = Vec::new();
        for _ in 0..3 {
            let start = io_loop.iterations();
            yield_now().await;
            hops.push(io_loop.iterations() - start);
        }
        let start = io_loop.iterations();
        gen_::sleep(Duration::ZERO).await?;
        hops.push(io_loop.iterations() - start);
        let start = io_loop.iterations();
        gen_::convert_yielded(gen_::moment).await?;
        hops.push(io_loop.iterations() - start);
        Ok::<_, Error>(hops)
    })
    .unwrap();
    assert_eq!(hops, vec![1, 1, 1, 2, 0]);
}

// Tornado's test_moment, mixed: a decorated coroutine yielding `moment` and
// a native one awaiting `yield_now` each cost one iteration per turn, so
// they take turns, after the decorated one's head start: it ran its first
// step when called, the native one starts when the tuple is yielded (its
// first poll is in the next iteration). Tornado gives the same string.
#[test]
fn test_moment_and_yield_now_alternate() {
    let calls = Rc::new(RefCell::new(String::new()));
    let c = calls.clone();
    run(move |co| {
        let c1 = c.clone();
        let a = gen_::coroutine(move |co| {
            for _ in 0..5 {
                c1.borrow_mut().push('a');
                co.yield_(gen_::moment)?;
            }
            Ok(())
        });
        let c2 = c.clone();
        let b = gen_::native(async move {
            for _ in 0..5 {
                c2.borrow_mut().push('b');
                yield_now().await;
            }
        });
        co.yield_((a, b))?;
        Ok(())
    })
    .unwrap();
    assert_eq!(*calls.borrow(), "aababababb");
}

// Ports GenCoroutineTest.test_async_await_mixed_multi_native_future:
// `yield [f2(), f3()]` with a native and a decorated child. A Rust `Vec`
// has one element type, so the natural port is a tuple; a `Vec` works once
// the native child is converted to a `Future`.
#[test]
fn test_async_await_mixed_multi_native_future() {
    fn f1() -> Future<()> {
        gen_::coroutine(|co| co.yield_(gen_::moment))
    }

    async fn f2() -> Result<i32, Error> {
        f1().await?;
        Ok(42)
    }

    fn f3() -> Future<i32> {
        gen_::coroutine(|co| {
            co.yield_(gen_::moment)?;
            Ok(43)
        })
    }

    let results = run(|co| co.yield_((gen_::native(f2()), f3()))).unwrap();
    assert_eq!(results, (42, 43));

    let results = run(|co| co.yield_(vec![gen_::convert_yielded(gen_::native(f2())), f3()])).unwrap();
    assert_eq!(results, vec![42, 43]);

    // Children of one `async fn` have one type: a plain Vec of them.
    let results = run(|co| co.yield_(vec![gen_::native(f2()), gen_::native(f2())])).unwrap();
    assert_eq!(results, vec![42, 42]);
}

// The guide's "use tornado.gen.multi to do this in native coroutines":
// native code cannot yield a list; it awaits `gen_::multi`.
#[test]
fn test_multi_awaited_from_native_code() {
    async fn child(n: i32) -> Result<i32, Error> {
        yield_now().await;
        Ok(n)
    }

    let results = run_native(async {
        let (a, b) = gen_::multi((gen_::native(child(1)), after_moment(2))).await?;
        let list = gen_::multi(vec![after_moment(3), after_moment(4)]).await?;
        let natives = gen_::multi(vec![gen_::native(child(5)), gen_::native(child(6))]).await?;
        Ok::<_, Error>((a, b, list, natives))
    })
    .unwrap();
    assert_eq!(results, (1, 2, vec![3, 4], vec![5, 6]));
}

// multi's error rules hold for native children too: the first error in
// input order wins once every child is done; later ones are logged.
#[test]
fn test_multi_native_children_errors() {
    async fn fail(message: &'static str, yields: usize) -> Result<i32, Error> {
        for _ in 0..yields {
            yield_now().await;
        }
        Err(Error::msg(message))
    }

    common::clear();
    let error = run_native(async {
        // "first" finishes last, yet is the error reported.
        gen_::multi(vec![
            gen_::native(fail("first", 3)),
            gen_::native(fail("second", 0)),
        ])
        .await
    })
    .unwrap_err();
    assert_eq!(error.to_string(), "first");
    assert_eq!(
        common::app_errors(),
        vec!["Multiple exceptions in yield list: second".to_owned()]
    );
}

// Ports GenCoroutineTest.test_async_await_mixed_multi_native_yieldpoint
// (Tornado 4.5): a list mixing a native coroutine and a legacy `gen.Wait`,
// yielded by a decorated coroutine, gives [42, 43].
#[cfg(feature = "legacy")]
#[test]
fn test_async_await_mixed_multi_native_yieldpoint() {
    async fn f1() -> Result<i32, Error> {
        // await gen.Task(self.io_loop.add_callback)
        gen_::Task(|cb: gen_::TaskCallback<()>| IOLoop::current().add_callback(move || cb.call(()))).await?;
        Ok(42)
    }

    fn f2(callback: gen_::ResultCallback) -> Future<()> {
        gen_::coroutine(move |co| {
            co.yield_(gen_::Task(|cb: gen_::TaskCallback<()>| {
                IOLoop::current().add_callback(move || cb.call(()))
            }))?;
            callback.call_with(43); // raise gen.Return(43) into callback=
            Ok(())
        })
    }

    let results = run(|co| {
        let callback = co.yield_(gen_::Callback::new("cb"))?;
        let f = f2(callback);
        let results = co.yield_((gen_::native(f1()), gen_::Wait::<i32>::new("cb")))?;
        co.yield_(f)?;
        Ok(results)
    })
    .unwrap();
    assert_eq!(results, (42, 43));
}

// ... and what gust does with a YieldPoint in native code: a YieldPoint
// talks to a decorated coroutine's runner, which native code does not have,
// so converting one (alone or in a list) fails with BadYieldError (Tornado
// 6 removed YieldPoints; Tornado 4.5's `convert_yielded` of one raised
// BadYieldError too).
#[cfg(feature = "legacy")]
#[test]
fn test_yieldpoint_in_native_code_is_bad_yield() {
    use gust::gen_::BadYieldError;
    async fn f1() -> Result<i32, Error> {
        yield_now().await;
        Ok(42)
    }

    let error = run_native(async { gen_::multi((gen_::native(f1()), gen_::Wait::<i32>::new("cb"))).await })
        .unwrap_err();
    assert!(error.is::<BadYieldError>(), "{error}");
    assert!(error.to_string().contains("YieldPoint"), "{error}");

    let error = run_native(async { gen_::convert_yielded(gen_::Wait::<i32>::new("k")).await }).unwrap_err();
    assert!(error.is::<BadYieldError>(), "{error}");
    let error = run_native(async { gen_::convert_yielded(gen_::Callback::new("k")).await }).unwrap_err();
    assert!(error.is::<BadYieldError>(), "{error}");
    // with_timeout of a YieldPoint: the same.
    let error =
        run_native(async { gen_::with_timeout(Duration::from_secs(1), gen_::Wait::<i32>::new("k")).await })
            .unwrap_err();
    assert!(error.is::<BadYieldError>(), "{error}");
}

// Ports GenCoroutineTest.test_async_with_timeout: with_timeout around a
// native coroutine.
#[test]
fn test_async_with_timeout() {
    async fn f1() -> Result<i32, Error> {
        Ok(42)
    }

    let result =
        run(|co| co.yield_(gen_::with_timeout(Duration::from_secs(3600), gen_::native(f1())))).unwrap();
    assert_eq!(result, 42);
}

// with_timeout around a native coroutine that never finishes, from both
// kinds of coroutine: TimeoutError, and the native task keeps running (it
// is not cancelled) until the loop is closed.
#[test]
fn test_native_with_timeout_expires() {
    async fn never() -> Result<i32, Error> {
        Future::<i32>::new().await
    }

    let error =
        run(|co| co.yield_(gen_::with_timeout(Duration::from_secs(1), gen_::native(never())))).unwrap_err();
    assert!(error.is::<TimeoutError>(), "{error}");
    assert_eq!(error.to_string(), "Timeout");

    let io_loop = IOLoop::with_clock(ManualClock::autojump());
    let error = io_loop
        .run_sync(
            || {
                gen_::native(async {
                    gen_::with_timeout(Duration::from_secs(1), gen_::native(never())).await
                })
            },
            Some(Duration::from_secs(5)),
        )
        .unwrap_err();
    assert!(error.is::<TimeoutError>(), "{error}");
    assert_eq!(gen_::task_count(&io_loop), 1, "the timed-out task is still there");
    io_loop.close().unwrap();
    assert_eq!(gen_::task_count(&io_loop), 0);
}

// Ports GenCoroutineTest.test_async_return and test_async_gen_return
// (`return 42` and `raise gen.Return(42)` after a yield are the same in
// Rust), awaited from native code, and their native counterpart.
#[test]
fn test_async_return() {
    fn f() -> Future<i32> {
        gen_::coroutine(|co| {
            co.yield_(gen_::moment)?;
            Ok(42)
        })
    }
    assert_eq!(run_native(async { f().await }).unwrap(), 42);

    async fn g() -> Result<i32, Error> {
        yield_now().await;
        Ok(42)
    }
    assert_eq!(run(|co| co.yield_(gen_::native(g()))).unwrap(), 42);
    assert_eq!(run_native(g()).unwrap(), 42);
}

// Ports GenCoroutineTest.test_async_early_return: a coroutine that returns
// before reaching its yield. The decorated one is done when the call
// returns; the native one has not even started until it is spawned and
// polled, one iteration later.
#[test]
fn test_async_early_return() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let early = Rc::new(Cell::new(true));

    let e = early.clone();
    let decorated: Future<i32> = gen_::coroutine(move |co| {
        if e.get() {
            return Ok(42);
        }
        co.yield_(gen_::moment)?;
        Ok(0)
    });
    assert!(decorated.done());
    assert_eq!(decorated.take_result().unwrap(), 42);

    let e = early.clone();
    let native = io_loop.spawn(async move {
        if e.get() {
            return Ok::<_, Error>(42);
        }
        yield_now().await;
        Ok(0)
    });
    assert!(!native.done());
    step(&io_loop);
    assert_eq!(native.take_result().unwrap(), 42);
}

// Errors cross both ways: a failing decorated coroutine fails the native
// code's `.await?`, and a failing native coroutine arrives at the decorated
// coroutine's yield, where it can be caught (test_replace_yieldpoint_exception,
// mixed).
#[test]
fn test_errors_cross_between_native_and_decorated() {
    fn decorated_fails() -> Future<i32> {
        gen_::coroutine(|co| {
            co.yield_(gen_::moment)?;
            Err(ZeroDivisionError.into())
        })
    }

    let error = run_native(async {
        let value = decorated_fails().await?;
        Ok::<_, Error>(value + 1)
    })
    .unwrap_err();
    assert!(error.is::<ZeroDivisionError>());

    let replaced = run(|co| match co.yield_(gen_::native(divide(1, 0))) {
        Err(e) if e.is::<ZeroDivisionError>() => Ok("caught"),
        Err(e) => Err(e),
        Ok(_) => Ok("no error"),
    })
    .unwrap();
    assert_eq!(replaced, "caught");
    assert_eq!(run(|co| co.yield_(gen_::native(divide(84, 2)))).unwrap(), 42);
}

// The guide: decorated coroutines can yield `executor.submit(...)`
// directly, native ones use `IOLoop.run_in_executor`. In gust both return a
// gust Future, so both kinds of coroutine can use either.
#[test]
fn test_executor_results_in_native_code() {
    // A real clock: results from other threads are waited for (an autojump
    // clock would jump straight to run_sync's timeout while the loop waits
    // for the worker thread).
    let io_loop = IOLoop::new();
    let pool = gust::concurrent::ThreadPoolExecutor::new(2);
    let (a, b) = io_loop
        .run_sync(
            move || {
                gen_::native(async move {
                    // submit() delivers to the current loop: call it on the loop.
                    let a = pool.submit(|| (1..=10).sum::<u32>()).await?;
                    let b = IOLoop::current().run_in_executor(None, || 6 * 7).await?;
                    Ok::<_, Error>((a, b))
                })
            },
            Some(Duration::from_secs(10)),
        )
        .unwrap();
    assert_eq!((a, b), (55, 42));
    let c = io_loop
        .run_sync(
            || gen_::coroutine(|co| co.yield_(IOLoop::current().run_in_executor(None, || "decorated"))),
            Some(Duration::from_secs(10)),
        )
        .unwrap();
    assert_eq!(c, "decorated");
}

// Tornado's `async for result in gen.WaitIterator(...)`: native code awaits
// `next()` until `done()`; results in completion order, with their indexes.
#[test]
fn test_wait_iterator_in_native_code() {
    let order = run_native(async {
        let wait_iterator = gen_::WaitIterator::new(vec![
            gen_::convert_yielded(gen_::native(async {
                for _ in 0..3 {
                    yield_now().await;
                }
                Ok::<_, Error>("slow")
            })),
            after_moment("fast"),
            Future::ready("done"),
        ]);
        let mut order = Vec::new();
        while !wait_iterator.done() {
            let result = wait_iterator.next().await?;
            order.push((wait_iterator.current_index().unwrap(), result));
        }
        Ok::<_, Error>(order)
    })
    .unwrap();
    assert_eq!(order, vec![(2, "done"), (1, "fast"), (0, "slow")]);
}

// ====================================================================
// IOLoopTest / testing_test: run_sync, spawn_callback with native code
// ====================================================================

// Ports TestIOLoopRunSync.test_native_coroutine.
#[test]
fn test_run_sync_native_coroutine() {
    fn f1() -> Future<()> {
        gen_::coroutine(|co| co.yield_(gen_::moment))
    }

    async fn f2() -> Result<(), Error> {
        f1().await
    }

    let io_loop = IOLoop::new();
    io_loop
        .run_sync(|| gen_::native(f2()), Some(Duration::from_secs(5)))
        .unwrap();
    // run_sync(lambda: divide(1, 0)) from the guide: the error comes back.
    let error = io_loop.run_sync(|| gen_::native(divide(1, 0)), None).unwrap_err();
    assert!(error.is::<ZeroDivisionError>());
}

// Ports AsyncTestCaseTest/GenTest.test_native_coroutine_timeout
// (testing_test.py): a native body exceeding run_sync's timeout.
#[test]
fn test_run_sync_native_coroutine_timeout() {
    let io_loop = IOLoop::with_clock(ManualClock::autojump());
    let error = io_loop
        .run_sync(
            || gen_::native(async { gen_::sleep(Duration::from_secs(1)).await }),
            Some(Duration::from_millis(100)),
        )
        .unwrap_err();
    assert!(error.is::<TimeoutError>(), "{error}");
    assert_eq!(error.to_string(), "Operation timed out after 0.1 seconds");
}

// Ports TestIOLoop.test_exception_logging_native_coro: an async callback's
// failure is logged by the loop ("Exception in callback"), in the iteration
// the task fails in (the callback spawns it in the first iteration, the
// task's first poll fails in the second).
#[test]
fn test_exception_logging_native_coro() {
    common::clear();
    let io_loop = IOLoop::with_clock(ManualClock::new());
    io_loop.add_callback(|| gen_::native(async { Err::<(), Error>(ZeroDivisionError.into()) }));
    step(&io_loop);
    assert!(common::app_errors().is_empty(), "not polled yet");
    step(&io_loop);
    let errors = common::app_errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("Exception in callback "), "{}", errors[0]);
    assert!(errors[0].ends_with(": division by zero"), "{}", errors[0]);
    assert_eq!(io_loop.run_until_idle().unwrap(), 0);
}

// Ports TestIOLoop.test_spawn_callback with native coroutines, and the
// guide's `IOLoop.current().spawn_callback(divide, 1, 0)`: spawn_callback
// is "required for functions using async def" in Tornado; in gust the
// callback returns `gen_::native(...)`. Failures and panics are logged, the
// loop carries on.
#[test]
fn test_spawn_callback_native() {
    common::clear();
    let io_loop = IOLoop::with_clock(ManualClock::new());
    io_loop.spawn_callback(|| gen_::native(divide(1, 0)));
    io_loop.spawn_callback(|| {
        gen_::native(async {
            yield_now().await;
            explode("spawned boom");
        })
    });
    let ok = Rc::new(Cell::new(0));
    let o = ok.clone();
    io_loop.spawn_callback(move || {
        gen_::native(async move {
            o.set(divide(84, 2).await?);
            Ok::<(), Error>(())
        })
    });
    io_loop.run_until_idle().unwrap();
    assert_eq!(ok.get(), 42);
    let errors = common::app_errors_containing("Exception in callback ");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].ends_with(": division by zero"), "{}", errors[0]);
    assert!(errors[1].ends_with(": spawned boom"), "{}", errors[1]);
    assert_eq!(gen_::task_count(&io_loop), 0);
}

// ====================================================================
// Start semantics: native coroutines do nothing until awaited or spawned
// ====================================================================

// The guide: native coroutines "do not run at all unless you await or
// yield them. Decorated coroutines can start running 'in the background' as
// soon as they are called."
#[test]
fn test_native_does_nothing_until_spawned_decorated_runs_at_once() {
    let io_loop = IOLoop::with_clock(ManualClock::new());

    let decorated_ran = Rc::new(Cell::new(false));
    let d = decorated_ran.clone();
    let decorated = gen_::coroutine(move |_co| {
        d.set(true);
        Ok(())
    });
    assert!(decorated_ran.get(), "a decorated coroutine runs when called");
    assert!(decorated.done());

    let native_ran = Rc::new(Cell::new(false));
    let n = native_ran.clone();
    let native = async move {
        n.set(true);
    };
    assert!(!native_ran.get(), "creating an async block runs nothing");
    let marked = gen_::native(native);
    assert!(!native_ran.get(), "gen_::native only marks it");
    assert_eq!(gen_::task_count(&io_loop), 0);
    assert_eq!(io_loop.ready_len(), 0);

    // convert_yielded spawns it (Tornado: "convert_yielded() starts the
    // native coroutine in the background"), for the next iteration.
    let spawned = gen_::convert_yielded(marked);
    assert!(!native_ran.get());
    assert!(!spawned.done());
    assert_eq!(gen_::task_count(&io_loop), 1);
    let before = io_loop.iterations();
    step(&io_loop);
    assert!(native_ran.get());
    assert_eq!(io_loop.iterations() - before, 1);
    assert!(spawned.done());
    assert_eq!(gen_::task_count(&io_loop), 0);

    // A native coroutine never awaited nor spawned never runs (and, unlike
    // Python's "coroutine was never awaited" warning, nothing is logged:
    // Rust warns at compile time, futures are #[must_use]).
    common::clear();
    let never_ran = Rc::new(Cell::new(false));
    let n = never_ran.clone();
    drop(gen_::native(async move { n.set(true) }));
    assert_eq!(io_loop.run_until_idle().unwrap(), 0);
    assert!(!never_ran.get());
    assert!(common::capture().is_empty());
}

// `spawn` only enqueues: the first poll is in the next iteration, in FIFO
// order with callbacks added around it.
#[test]
fn test_spawn_first_polls_on_next_iteration() {
    let polled_after = run(|co| {
        let io_loop = IOLoop::current();
        let spawned_at = io_loop.iterations();
        let polled_at = Rc::new(Cell::new(0));
        let p = polled_at.clone();
        let task = io_loop.spawn(async move { p.set(IOLoop::current().iterations()) });
        assert_eq!(polled_at.get(), 0);
        co.yield_(task)?;
        Ok(polled_at.get() - spawned_at)
    })
    .unwrap();
    assert_eq!(polled_after, 1);

    let io_loop = IOLoop::with_clock(ManualClock::new());
    let order = Rc::new(RefCell::new(Vec::new()));
    let o = order.clone();
    io_loop.add_callback(move || o.borrow_mut().push("callback 1"));
    let o = order.clone();
    let _task = io_loop.spawn(async move { o.borrow_mut().push("task") });
    let o = order.clone();
    io_loop.add_callback(move || o.borrow_mut().push("callback 2"));
    assert!(order.borrow().is_empty());
    step(&io_loop);
    assert_eq!(*order.borrow(), vec!["callback 1", "task", "callback 2"]);
}

// The guide's "Interleaving" pattern: `convert_yielded(self.fetch_next_chunk())`
// starts the next native fetch in the background while the previous chunk
// is flushed. Without converting, the native fetch only starts when it is
// yielded, and nothing overlaps.
#[test]
fn test_interleaving_pattern() {
    async fn fetch_next_chunk(chunks: Rc<RefCell<Vec<&'static str>>>) -> Result<Option<&'static str>, Error> {
        gen_::sleep(Duration::from_millis(10)).await?;
        Ok(chunks.borrow_mut().pop())
    }

    fn get(background: bool) -> (Vec<&'static str>, Duration) {
        let io_loop = IOLoop::with_clock(ManualClock::autojump());
        let start = io_loop.time();
        let written = io_loop
            .run_sync(
                move || {
                    gen_::coroutine(move |co| {
                        let chunks = Rc::new(RefCell::new(vec!["c3", "c2", "c1"]));
                        let mut written = Vec::new();
                        let fetch = || gen_::native(fetch_next_chunk(chunks.clone()));
                        if background {
                            let mut fetch_future = gen_::convert_yielded(fetch());
                            while let Some(chunk) = co.yield_(fetch_future)? {
                                fetch_future = gen_::convert_yielded(fetch());
                                written.push(chunk);
                                co.yield_(gen_::sleep(Duration::from_millis(10)))?;
                                // self.flush()
                            }
                        } else {
                            let mut fetch_native = fetch();
                            while let Some(chunk) = co.yield_(fetch_native)? {
                                fetch_native = fetch(); // not started yet
                                written.push(chunk);
                                co.yield_(gen_::sleep(Duration::from_millis(10)))?;
                            }
                        }
                        Ok(written)
                    })
                },
                Some(Duration::from_secs(5)),
            )
            .unwrap();
        (written, io_loop.time() - start)
    }

    assert_eq!(get(true), (vec!["c1", "c2", "c3"], Duration::from_millis(40)));
    assert_eq!(get(false), (vec!["c1", "c2", "c3"], Duration::from_millis(70)));
}

// ====================================================================
// Tasks: panics, closing, task_count
// ====================================================================

// A panic in a spawned future becomes a PanicError in its future; the loop
// and the other tasks carry on; the panicking task's locals are dropped.
#[test]
fn test_panic_in_task_becomes_panic_error() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let log = new_log();

    let first = io_loop.spawn(async {
        explode("task boom");
        Ok::<i32, Error>(1)
    });
    let l = log.clone();
    let later = io_loop.spawn(async move {
        let _guard = Guard::new(&l, "later");
        yield_now().await;
        explode("boom after a yield");
        Ok::<i32, Error>(2)
    });
    let fine = io_loop.spawn(async {
        yield_now().await;
        Ok::<i32, Error>(3)
    });
    assert_eq!(gen_::task_count(&io_loop), 3);
    io_loop.run_until_idle().unwrap();

    let error = first.take_result().unwrap_err();
    assert!(error.is::<PanicError>());
    assert_eq!(panic_message(&error), "task boom");
    assert!(error.downcast_ref::<PanicError>().unwrap().coroutine.is_none());
    let error = later.take_result().unwrap_err();
    assert_eq!(panic_message(&error), "boom after a yield");
    assert_eq!(*log.borrow(), vec!["later"]);
    assert_eq!(fine.take_result().unwrap(), 3);
    assert_eq!(gen_::task_count(&io_loop), 0);

    // The loop is fully usable afterwards.
    assert_eq!(
        io_loop.run_sync(|| gen_::native(divide(84, 2)), None).unwrap(),
        42
    );
}

// A panic in a decorated coroutine awaited from native code arrives as the
// decorated coroutine's PanicError (naming the coroutine).
#[test]
fn test_panic_in_decorated_awaited_from_native() {
    let error = run_native(async {
        gen_::Builder::new()
            .name("exploder")
            .spawn(|co| {
                co.yield_(gen_::moment)?;
                explode("decorated boom");
                Ok(1)
            })
            .await
    })
    .unwrap_err();
    assert_eq!(panic_message(&error), "decorated boom");
    assert_eq!(
        error.downcast_ref::<PanicError>().unwrap().coroutine.as_deref(),
        Some("exploder")
    );
}

// Closing the loop drops every pending task (its destructors run: Python's
// `finally`), spawned-but-never-polled ones included, and fails their
// futures with LoopClosedError. Spawning on a closed loop fails at once.
#[test]
fn test_close_drops_pending_tasks() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let log = new_log();
    let never: Future<()> = Future::new();

    let (l, n) = (log.clone(), never.clone());
    let parked = io_loop.spawn(async move {
        let _guard = Guard::new(&l, "parked");
        n.await
    });
    step(&io_loop);
    let guard = Guard::new(&log, "unpolled");
    let unpolled = io_loop.spawn(async move {
        let _guard = guard;
    });
    assert_eq!(gen_::task_count(&io_loop), 2);
    assert!(log.borrow().is_empty());

    io_loop.close().unwrap();
    let mut dropped = log.borrow().clone();
    dropped.sort();
    assert_eq!(dropped, vec!["parked", "unpolled"]);
    assert!(parked.take_result().unwrap_err().is::<LoopClosedError>());
    assert!(unpolled.take_result().unwrap_err().is::<LoopClosedError>());
    assert_eq!(gen_::task_count(&io_loop), 0);

    let late = io_loop.spawn(async { Ok::<_, Error>(1) });
    assert!(late.take_result().unwrap_err().is::<LoopClosedError>());
    // The future the parked task waited for is untouched.
    assert!(!never.done());
}

// Dropping the last handle of the loop closes it: the same.
#[test]
fn test_drop_loop_drops_pending_tasks() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let log = new_log();
    let never: Future<()> = Future::new();
    let (l, n) = (log.clone(), never.clone());
    let parked = io_loop.spawn(async move {
        let _guard = Guard::new(&l, "parked");
        n.await
    });
    step(&io_loop);
    assert!(log.borrow().is_empty());
    drop(io_loop);
    assert_eq!(*log.borrow(), vec!["parked"]);
    assert!(parked.take_result().unwrap_err().is::<LoopClosedError>());
}

// A task's destructor that spawns while the loop closes gets a failed
// future, not a task that outlives the loop.
#[test]
fn test_spawn_from_destructor_while_closing() {
    struct SpawnOnDrop(Rc<RefCell<Option<Future<i32>>>>);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let spawned = IOLoop::current().spawn(async { Ok::<_, Error>(1) });
            *self.0.borrow_mut() = Some(spawned);
        }
    }

    let io_loop = IOLoop::with_clock(ManualClock::new());
    let slot = Rc::new(RefCell::new(None));
    let on_drop = SpawnOnDrop(slot.clone());
    let _task = io_loop.spawn(async move {
        let _on_drop = on_drop;
        Future::<()>::new().await
    });
    step(&io_loop);
    io_loop.close().unwrap();
    let spawned = slot.borrow_mut().take().expect("the destructor ran");
    assert!(spawned.take_result().unwrap_err().is::<LoopClosedError>());
    assert_eq!(gen_::task_count(&io_loop), 0);
}

// Cancelling a task's future does not stop the task (as for a decorated
// coroutine's future); its eventual result is dropped silently.
#[test]
fn test_cancelling_task_future_does_not_stop_it() {
    common::clear();
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let steps = Rc::new(Cell::new(0));
    let s = steps.clone();
    let task = io_loop.spawn(async move {
        for _ in 0..3 {
            s.set(s.get() + 1);
            yield_now().await;
        }
        Err::<(), Error>(Error::msg("finished after cancel"))
    });
    step(&io_loop);
    assert!(task.cancel());
    assert!(task.cancelled());
    io_loop.run_until_idle().unwrap();
    assert_eq!(steps.get(), 3, "the task ran to its end");
    assert_eq!(gen_::task_count(&io_loop), 0);
    // Its late error is reported as Tornado's
    // future_set_exception_unless_cancelled does.
    assert_eq!(
        common::app_errors(),
        vec!["Exception after Future was cancelled: finished after cancel".to_owned()]
    );
}

// Wakes for a closed loop are ignored, from its thread or another one.
#[test]
fn test_wake_after_close_is_ignored() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let (polls, waker, done) = (
        Rc::new(Cell::new(0)),
        Rc::new(RefCell::new(None)),
        Rc::new(Cell::new(false)),
    );
    let task = io_loop.spawn(Recorder {
        polls: polls.clone(),
        waker: waker.clone(),
        done,
    });
    step(&io_loop);
    let w: Waker = waker.borrow().clone().unwrap();
    io_loop.close().unwrap();
    assert!(task.take_result().unwrap_err().is::<LoopClosedError>());
    w.wake_by_ref();
    let remote = w.clone();
    thread::spawn(move || remote.wake()).join().unwrap();
    assert_eq!(polls.get(), 1);
    assert_eq!(io_loop.ready_len(), 0);
}

#[test]
fn test_task_count() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    assert_eq!(gen_::task_count(&io_loop), 0);
    let gate: Future<u32> = Future::new();
    let tasks: Vec<Future<u32>> = (0..10)
        .map(|i| {
            let gate = gate.clone();
            io_loop.spawn(async move {
                let g = if i % 2 == 0 {
                    gen_::convert_yielded(&gate).await?
                } else {
                    i
                };
                Ok::<_, Error>(g + i)
            })
        })
        .collect();
    assert_eq!(gen_::task_count(&io_loop), 10);
    io_loop.run_until_idle().unwrap();
    assert_eq!(gen_::task_count(&io_loop), 5, "the odd ones finished");
    gate.set_result(100).unwrap();
    io_loop.run_until_idle().unwrap();
    assert_eq!(gen_::task_count(&io_loop), 0);
    let results: Vec<u32> = tasks.iter().map(|t| t.take_result().unwrap()).collect();
    assert_eq!(results, vec![100, 2, 102, 6, 104, 10, 106, 14, 108, 18]);
}

// ====================================================================
// Co::await_: a Rust future on the coroutine's own stack
// ====================================================================

// The future may borrow the coroutine's locals, mutably too; the result
// arrives where the coroutine awaits it.
#[test]
fn test_co_await_borrows_a_local() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let pending: Future<u32> = Future::new();
    let p = pending.clone();
    let f = gen_::coroutine(move |co| {
        let mut local = vec![1u32, 2];
        let sum = co.await_(async {
            let extra = p.await?;
            local.push(extra);
            Ok::<_, Error>(local.iter().sum::<u32>())
        })?;
        local.push(sum);
        Ok(local)
    });
    assert!(!f.done());
    assert_eq!(
        gen_::task_count(&io_loop),
        0,
        "no task: polled on the coroutine's stack"
    );
    pending.set_result(3).unwrap();
    io_loop.run_until_idle().unwrap();
    assert_eq!(f.take_result().unwrap(), vec![1, 2, 3, 6]);
}

// Co::await_ of a gust future: a done one continues at once (no switch, no
// iteration, like `co.yield_`); a pending one resumes two iterations after
// it is resolved (the waker schedules a signal, the signal resumes the
// coroutine), one more than `co.yield_` of the same future; an error
// arrives as `Err` at the await_.
#[test]
fn test_co_await_of_gust_futures() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let ready = gen_::coroutine(|co| co.await_(Future::ready(5)));
    assert_eq!(ready.take_result().unwrap(), 5);

    let (a, b) = (Future::<u32>::new(), Future::<u32>::new());
    let (a2, b2) = (a.clone(), b.clone());
    let by_await = gen_::coroutine(move |co| co.await_(a2));
    let by_yield = gen_::coroutine(move |co| co.yield_(b2));
    a.set_result(1).unwrap();
    b.set_result(2).unwrap();
    assert!(!by_await.done() && !by_yield.done(), "never resumed re-entrantly");
    step(&io_loop);
    assert!(by_yield.done());
    assert!(!by_await.done());
    step(&io_loop);
    assert_eq!(by_await.take_result().unwrap(), 1);
    assert_eq!(by_yield.take_result().unwrap(), 2);

    let failed: Future<u32> = Future::new();
    let f2 = failed.clone();
    let caught = gen_::coroutine(move |co| match co.await_(f2) {
        Err(e) if e.is::<ZeroDivisionError>() => Ok("caught"),
        other => other.map(|_| "no error"),
    });
    failed.set_exception(ZeroDivisionError).unwrap();
    io_loop.run_until_idle().unwrap();
    assert_eq!(caught.take_result().unwrap(), "caught");
}

// Co::await_ of an async block that awaits a timer, and of a native
// coroutine that awaits a decorated one.
#[test]
fn test_co_await_async_block_with_timer() {
    let (value, waited) = run(|co| {
        let io_loop = IOLoop::current();
        let start = io_loop.time();
        let value = co.await_(async {
            gen_::sleep(Duration::from_millis(50)).await?;
            let x = after_moment(6).await?;
            Ok::<_, Error>(x * 7)
        })?;
        Ok((value, io_loop.time() - start))
    })
    .unwrap();
    assert_eq!(value, 42);
    assert_eq!(waited, Duration::from_millis(50));
}

// A panic inside the future given to Co::await_ unwinds the coroutine: its
// future fails with the coroutine's PanicError.
#[test]
fn test_co_await_panic_fails_the_coroutine() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let log = new_log();
    let l = log.clone();
    let f: Future<()> = gen_::Builder::new().name("awaiter").spawn(move |co| {
        let _guard = Guard::new(&l, "awaiter");
        co.await_(async {
            yield_now().await;
            explode("await_ boom");
        })
    });
    io_loop.run_until_idle().unwrap();
    let error = f.take_result().unwrap_err();
    assert_eq!(panic_message(&error), "await_ boom");
    assert_eq!(
        error.downcast_ref::<PanicError>().unwrap().coroutine.as_deref(),
        Some("awaiter")
    );
    assert_eq!(*log.borrow(), vec!["awaiter"]);
}

// Closing the loop unwinds a coroutine suspended in Co::await_: its
// destructors run and its future fails with LoopClosedError, as for a
// coroutine suspended in `co.yield_`.
#[test]
fn test_close_unwinds_coroutine_in_await() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let log = new_log();
    let never: Future<i32> = Future::new();
    let (l, n) = (log.clone(), never.clone());
    let f = gen_::coroutine(move |co| {
        let _guard = Guard::new(&l, "awaiting");
        co.await_(n)
    });
    assert!(!f.done());
    io_loop.close().unwrap();
    assert_eq!(*log.borrow(), vec!["awaiting"]);
    assert!(f.take_result().unwrap_err().is::<LoopClosedError>());
}

// DESIGN.md: "Closing or dropping the IOLoop unwinds every suspended
// coroutine (their destructors run); nothing leaks." Dropping the last
// handle must do for a coroutine suspended in Co::await_ what it does for
// one suspended in co.yield_ (checked first, as the control).
#[test]
fn test_drop_loop_unwinds_coroutine_in_await() {
    let log = new_log();
    let never: Future<i32> = Future::new();

    let io_loop = IOLoop::with_clock(ManualClock::new());
    let (l, n) = (log.clone(), never.clone());
    let by_yield = gen_::coroutine(move |co| {
        let _guard = Guard::new(&l, "in yield_");
        co.yield_(n)
    });
    drop(io_loop);
    assert_eq!(*log.borrow(), vec!["in yield_"]);
    assert!(by_yield.take_result().unwrap_err().is::<LoopClosedError>());

    let io_loop = IOLoop::with_clock(ManualClock::new());
    let weak = io_loop.downgrade();
    let (l, n) = (log.clone(), never.clone());
    let by_await = gen_::coroutine(move |co| {
        let _guard = Guard::new(&l, "in await_");
        co.await_(n)
    });
    drop(io_loop);
    let leaked = weak.upgrade();
    assert!(
        leaked.is_none(),
        "the loop outlived its last handle: the coroutine suspended in await_ keeps it alive"
    );
    assert_eq!(*log.borrow(), vec!["in yield_", "in await_"]);
    assert!(by_await.take_result().unwrap_err().is::<LoopClosedError>());
}

// ====================================================================
// The task waker
// ====================================================================

/// Records its polls and stashes the last waker; ready once `done` is set.
struct Recorder {
    polls: Rc<Cell<u32>>,
    waker: Rc<RefCell<Option<Waker>>>,
    done: Rc<Cell<bool>>,
}

impl std::future::Future for Recorder {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.set(self.polls.get() + 1);
        *self.waker.borrow_mut() = Some(cx.waker().clone());
        if self.done.get() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

// Many wakes before the next poll are coalesced into one poll: from the
// loop's thread, from another thread, through clones, by value.
#[test]
fn test_wakes_are_coalesced() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let (polls, waker, done) = (
        Rc::new(Cell::new(0)),
        Rc::new(RefCell::new(None)),
        Rc::new(Cell::new(false)),
    );
    let task = io_loop.spawn(Recorder {
        polls: polls.clone(),
        waker: waker.clone(),
        done: done.clone(),
    });
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls.get(), 1);
    let w: Waker = waker.borrow().clone().unwrap();

    for _ in 0..100 {
        w.wake_by_ref();
    }
    assert_eq!(io_loop.ready_len(), 1, "one poll scheduled");
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls.get(), 2, "exactly one extra poll");

    for _ in 0..50 {
        let clone = w.clone();
        clone.wake_by_ref(); // through a clone
        clone.wake(); // by value
        w.wake_by_ref();
    }
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls.get(), 3);

    let remote = w.clone();
    thread::spawn(move || {
        for _ in 0..100 {
            remote.wake_by_ref();
        }
    })
    .join()
    .unwrap();
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls.get(), 4, "100 wakes from another thread: one poll");

    // Without a wake, no poll.
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls.get(), 4);

    done.set(true);
    w.wake();
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls.get(), 5);
    assert!(task.done());
    assert_eq!(gen_::task_count(&io_loop), 0);
    // A wake after the task finished is harmless.
    let stale = waker.borrow().clone().unwrap();
    stale.wake();
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls.get(), 5);
}

/// Wakes itself in every poll (twice), records the poll depth and the
/// iteration of each poll; ready after `limit` polls.
struct SelfWaking {
    depth: Rc<Cell<u32>>,
    max_depth: Rc<Cell<u32>>,
    iterations: Rc<RefCell<Vec<u64>>>,
    limit: usize,
}

impl std::future::Future for SelfWaking {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.depth.set(self.depth.get() + 1);
        self.max_depth.set(self.max_depth.get().max(self.depth.get()));
        self.iterations.borrow_mut().push(IOLoop::current().iterations());
        let result = if self.iterations.borrow().len() >= self.limit {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            let clone = cx.waker().clone();
            clone.wake_by_ref();
            clone.wake();
            Poll::Pending
        };
        self.depth.set(self.depth.get() - 1);
        result
    }
}

// A wake never polls re-entrantly: waking inside poll schedules the next
// poll for the next iteration (poll depth stays 1; one poll per iteration).
#[test]
fn test_wake_inside_poll_is_not_reentrant() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let (depth, max_depth, iterations) = (
        Rc::new(Cell::new(0)),
        Rc::new(Cell::new(0)),
        Rc::new(RefCell::new(Vec::new())),
    );
    let task = io_loop.spawn(SelfWaking {
        depth: depth.clone(),
        max_depth: max_depth.clone(),
        iterations: iterations.clone(),
        limit: 5,
    });
    io_loop.run_until_idle().unwrap();
    assert!(task.done());
    assert_eq!(max_depth.get(), 1);
    let seen = iterations.borrow().clone();
    assert_eq!(seen.len(), 5);
    assert!(seen.windows(2).all(|w| w[1] == w[0] + 1), "{seen:?}");
}

// Waking task A from inside task B's poll does not poll A there either.
#[test]
fn test_wake_of_another_task_inside_poll_is_deferred() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let (polls_a, waker_a, done_a) = (
        Rc::new(Cell::new(0)),
        Rc::new(RefCell::new(None)),
        Rc::new(Cell::new(false)),
    );
    let a = io_loop.spawn(Recorder {
        polls: polls_a.clone(),
        waker: waker_a.clone(),
        done: done_a.clone(),
    });
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls_a.get(), 1);

    let seen_during_wake = Rc::new(Cell::new(u32::MAX));
    let (p, w, d, s) = (
        polls_a.clone(),
        waker_a.clone(),
        done_a.clone(),
        seen_during_wake.clone(),
    );
    let b = io_loop.spawn(async move {
        d.set(true);
        let waker: Waker = w.borrow().clone().unwrap();
        waker.wake();
        s.set(p.get());
    });
    step(&io_loop); // polls B, which wakes A
    assert_eq!(seen_during_wake.get(), 1, "A was not polled inside B's poll");
    assert!(b.done());
    assert!(!a.done());
    step(&io_loop);
    assert!(a.done());
    assert_eq!(polls_a.get(), 2);
}

/// Hands its first waker to another thread and is ready once `flag` is
/// set.
struct Handoff {
    to_thread: Option<mpsc::Sender<Waker>>,
    flag: Arc<AtomicBool>,
}

impl std::future::Future for Handoff {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.flag.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        if let Some(sender) = self.to_thread.take() {
            sender.send(cx.waker().clone()).unwrap();
        }
        Poll::Pending
    }
}

// A wake from another thread wakes a loop sleeping in its poll (no timers,
// nothing ready: without the wake it would sleep until the guard timeout).
#[test]
fn test_wake_from_another_thread_wakes_sleeping_loop() {
    let io_loop = IOLoop::new();
    let (sender, receiver) = mpsc::channel::<Waker>();
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    let waker_thread = thread::spawn(move || {
        let waker = receiver.recv().unwrap();
        // Let the loop go to sleep in its poll first.
        thread::sleep(Duration::from_millis(20));
        f.store(true, Ordering::Release);
        waker.wake();
    });
    let started = Instant::now();
    let result = io_loop.run_sync(
        move || {
            gen_::native(Handoff {
                to_thread: Some(sender),
                flag,
            })
        },
        Some(Duration::from_secs(10)),
    );
    waker_thread.join().unwrap();
    result.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}

// The waker works from many threads at once: every wake after the last
// state change is seen (the task is polled until it sees all of them).
#[test]
fn test_concurrent_wakes_from_many_threads() {
    const THREADS: u64 = 4;
    const WAKES: u64 = 2_000;
    let counter = Arc::new(AtomicU64::new(0));
    let mut senders = Vec::new();
    let mut threads = Vec::new();
    for _ in 0..THREADS {
        let (sender, receiver) = mpsc::channel::<Waker>();
        senders.push(sender);
        let counter = counter.clone();
        threads.push(thread::spawn(move || {
            // The waker exists once the task is first polled.
            let Ok(waker) = receiver.recv() else { return };
            for _ in 0..WAKES {
                counter.fetch_add(1, Ordering::SeqCst);
                waker.wake_by_ref();
            }
        }));
    }
    let polls = Rc::new(Cell::new(0u64));
    let (c, p) = (counter.clone(), polls.clone());
    let task = std::future::poll_fn(move |cx| {
        p.set(p.get() + 1);
        for sender in senders.drain(..) {
            sender.send(cx.waker().clone()).unwrap();
        }
        if c.load(Ordering::SeqCst) == THREADS * WAKES {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    });
    let io_loop = IOLoop::new();
    let result = io_loop.run_sync(move || gen_::native(task), Some(Duration::from_secs(20)));
    for handle in threads {
        handle.join().unwrap();
    }
    result.unwrap();
    assert!(polls.get() >= 2, "{}", polls.get());
    assert!(polls.get() <= THREADS * WAKES + 1, "{}", polls.get());
}

/// Compile-time checks: what crosses threads is `Send` (and `Sync` where
/// it is shared).
fn assert_send_sync<T: Send + Sync>(_: &T) {}
fn assert_send<T: Send>(_: &T) {}

#[test]
fn test_waker_and_bridges_are_send_sync() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let (polls, stash) = (Rc::new(Cell::new(0)), Rc::new(RefCell::new(None)));
    let _task = io_loop.spawn(Recorder {
        polls: polls.clone(),
        waker: stash.clone(),
        done: Rc::new(Cell::new(false)),
    });
    step(&io_loop);
    let waker: Waker = stash.borrow().clone().unwrap();
    assert_send_sync(&waker);
    let (future, setter): (Future<String>, RemoteSetter<String>) = remote_future(&io_loop);
    assert_send(&setter);
    let send: SendFuture<String> = Future::<String>::new().into_send();
    assert_send(&send);
    assert_send_sync(&Error::msg("errors cross threads"));
    // And used from another thread, the waker schedules exactly one poll.
    thread::spawn(move || {
        assert_send_sync(&waker);
        waker.wake_by_ref();
        waker.wake();
        setter.set_result("from a thread".to_owned());
    })
    .join()
    .unwrap();
    assert_eq!(polls.get(), 1);
    io_loop.run_until_idle().unwrap();
    assert_eq!(polls.get(), 2);
    assert_eq!(future.take_result().unwrap(), "from a thread");
}

// A stress test of coalescing across threads: a thread wakes the task
// after each change of a shared counter, without waiting for the task; the
// task finishes when it sees the last value. A wake that is coalesced into
// a poll already scheduled must be seen by that poll (a lost wake-up would
// leave the task pending for ever: the guard timeout fails the trial).
#[test]
fn test_cross_thread_wake_is_never_lost() {
    const TRIALS: u64 = 300;
    const WAKES: u64 = 200;
    let io_loop = IOLoop::new();
    for trial in 0..TRIALS {
        let counter = Arc::new(AtomicU64::new(0));
        let (sender, receiver) = mpsc::channel::<Waker>();
        let c = counter.clone();
        let mut sender = Some(sender);
        let task = std::future::poll_fn(move |cx| {
            if let Some(sender) = sender.take() {
                sender.send(cx.waker().clone()).unwrap();
            }
            if c.load(Ordering::SeqCst) == WAKES {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        });
        let waker_thread = thread::spawn(move || {
            let waker = receiver.recv().unwrap();
            for _ in 0..WAKES {
                counter.fetch_add(1, Ordering::SeqCst);
                waker.wake_by_ref();
            }
        });
        let result = io_loop.run_sync(move || gen_::native(task), Some(Duration::from_secs(5)));
        waker_thread.join().unwrap();
        if let Err(error) = result {
            panic!("trial {trial}: the last wake-up was lost: {error}");
        }
    }
}

// ====================================================================
// Interop with tokio
// ====================================================================

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

// (a) A gust future awaited from a tokio runtime on another thread, via
// `Future::into_send`; the tokio task sends its answer back into the loop
// through a `RemoteSetter`.
#[test]
fn test_tokio_awaits_gust_future_via_into_send() {
    let rt = tokio_runtime();
    let io_loop = IOLoop::new();
    let loop_thread = thread::current().id();
    let (answer, setter) = remote_future::<(i32, thread::ThreadId)>(&io_loop);
    let handle = rt.handle().clone();
    let (value, tokio_thread) = io_loop
        .run_sync(
            move || {
                gen_::coroutine(move |co| {
                    let slow = gen_::coroutine(|co| {
                        co.yield_(gen_::sleep(Duration::from_millis(5)))?;
                        Ok(41)
                    });
                    let remote: SendFuture<i32> = slow.into_send();
                    handle.spawn(async move {
                        let outcome = remote.await;
                        setter.set(outcome.map(|v| (v + 1, thread::current().id())));
                    });
                    co.yield_(answer)
                })
            },
            Some(Duration::from_secs(10)),
        )
        .unwrap();
    assert_eq!(value, 42);
    assert_ne!(tokio_thread, loop_thread);

    // A failure crosses too, and a future dropped unresolved (here: by
    // closing its loop) reports LoopClosedError instead of hanging.
    let failing: Future<i32> = Future::new();
    let remote = failing.clone().into_send();
    failing.set_exception(ZeroDivisionError).unwrap();
    let error = rt.block_on(remote).unwrap_err();
    assert!(error.is::<ZeroDivisionError>());

    let io_loop = IOLoop::new();
    let orphan = io_loop.spawn(async { Future::<i32>::new().await });
    let remote = orphan.into_send();
    let waiter = rt.spawn(remote);
    io_loop.close().unwrap();
    let error = rt.block_on(waiter).unwrap().unwrap_err();
    assert!(error.is::<LoopClosedError>(), "{error}");
}

// (b) A tokio-side result delivered into the IOLoop through the thread-safe
// handle: `remote_future` + `RemoteSetter::set_result` from a tokio task
// that used tokio's own timer. Awaited by native code on the loop.
#[test]
fn test_tokio_task_delivers_into_ioloop_via_remote_future() {
    let rt = tokio_runtime();
    let io_loop = IOLoop::new();
    let (future, setter) = remote_future::<u64>(&io_loop);
    rt.spawn(async move {
        tokio::time::sleep(Duration::from_millis(5)).await;
        setter.set_result(7);
    });
    let (failing, failer) = remote_future::<u64>(&io_loop);
    rt.spawn(async move {
        failer.set_exception(Error::msg("tokio side failed"));
    });
    let (value, error) = io_loop
        .run_sync(
            move || {
                gen_::native(async move {
                    let value = future.await?;
                    let error = failing.await.unwrap_err();
                    Ok::<_, Error>((value * 6, error.to_string()))
                })
            },
            Some(Duration::from_secs(10)),
        )
        .unwrap();
    assert_eq!(value, 42);
    assert_eq!(error, "tokio side failed");
}

// (c) A future that needs tokio's reactor (its timer or its sockets) does
// not run on the IOLoop: polling it outside a tokio runtime panics ("there
// is no reactor running"). Spawned on the IOLoop, that panic is caught: the
// task's gust future fails with PanicError and the loop carries on. The
// fix is to run it on tokio and await its JoinHandle on the loop.
#[test]
fn test_tokio_reactor_future_on_ioloop_is_panic_error() {
    let io_loop = IOLoop::with_clock(ManualClock::new());
    let on_ioloop = io_loop.spawn(async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok::<_, Error>(())
    });
    io_loop.run_until_idle().unwrap();
    let error = on_ioloop.take_result().unwrap_err();
    assert!(error.is::<PanicError>(), "{error}");
    assert!(
        panic_message(&error).contains("there is no reactor running"),
        "{error}"
    );
    assert_eq!(gen_::task_count(&io_loop), 0);

    // The same inside a decorated coroutine's Co::await_: the coroutine fails.
    let in_coroutine =
        gen_::coroutine(|co| co.await_(async { tokio::time::sleep(Duration::from_millis(1)).await }));
    let error = in_coroutine.take_result().unwrap_err();
    assert!(
        panic_message(&error).contains("there is no reactor running"),
        "{error}"
    );

    // The way that works: run it on tokio, await the JoinHandle (a plain
    // `Send` future woken from tokio's threads) on the IOLoop.
    drop(io_loop);
    let rt = tokio_runtime();
    let handle = rt.handle().clone();
    let io_loop = IOLoop::new();
    let slept = io_loop
        .run_sync(
            move || {
                gen_::native(async move {
                    let started = Instant::now();
                    // Even creating a tokio Sleep needs the runtime: build
                    // it inside the spawned future, on tokio's side.
                    handle
                        .spawn(async { tokio::time::sleep(Duration::from_millis(5)).await })
                        .await
                        .map_err(|e| Error::msg(e.to_string()))?;
                    Ok::<_, Error>(started.elapsed())
                })
            },
            Some(Duration::from_secs(10)),
        )
        .unwrap();
    assert!(slept >= Duration::from_millis(5));
}

// tokio's runtime-independent pieces (tokio::sync) work on the IOLoop: a
// ping-pong between a gust task and a tokio task over tokio mpsc channels,
// every message a cross-thread wake one way or the other.
#[test]
fn test_tokio_sync_channels_ping_pong_with_ioloop() {
    const ROUNDS: u32 = 500;
    let rt = tokio_runtime();
    let (to_tokio, mut tokio_rx) = tokio::sync::mpsc::channel::<u32>(1);
    let (to_gust, mut gust_rx) = tokio::sync::mpsc::channel::<u32>(1);
    rt.spawn(async move {
        while let Some(n) = tokio_rx.recv().await {
            if to_gust.send(n + 1).await.is_err() {
                break;
            }
        }
    });
    let io_loop = IOLoop::new();
    let last = io_loop
        .run_sync(
            move || {
                gen_::native(async move {
                    let mut n = 0;
                    for _ in 0..ROUNDS {
                        to_tokio.send(n).await.map_err(|e| Error::msg(e.to_string()))?;
                        n = gust_rx
                            .recv()
                            .await
                            .ok_or_else(|| Error::msg("tokio side closed"))?;
                    }
                    Ok::<_, Error>(n)
                })
            },
            Some(Duration::from_secs(20)),
        )
        .unwrap();
    assert_eq!(last, ROUNDS);
}
