//! Legacy interface: GenEngineTest (Tornado 4.5)

use super::*;

/// GenEngineTest's `self.stop()`.
#[derive(Clone)]
struct Stop(Future<()>);

impl Stop {
    fn stop(&self) {
        let _ = self.0.set_result(());
    }
}

/// GenEngineTest.run_gen: runs `f` (which starts an engine function) on a
/// fresh loop whose clock jumps, until it calls [`Stop::stop`]. Returns the
/// errors logged on the application log meanwhile (an engine function's
/// only error channel, as Tornado raises them into `wait()`). One that
/// never stops ends the wait after 5 virtual seconds.
fn run_gen(f: impl FnOnce(Stop) + 'static) -> Result<(), Vec<String>> {
    let logs = LogCapture::start();
    let io_loop = IOLoop::with_clock(ManualClock::autojump());
    let stopped = Future::new();
    let stop = Stop(stopped.clone());
    let outcome = io_loop.run_sync(
        move || {
            f(stop);
            stopped
        },
        Some(Duration::from_secs(5)),
    );
    let errors = logs.app_errors();
    match outcome {
        Ok(()) if errors.is_empty() => Ok(()),
        _ => Err(errors),
    }
}

/// Asserts that exactly one error was logged, by an engine function
/// (`Exception in callback NAME: ...`), and that it contains `needle`.
fn assert_engine_error(errors: &[String], needle: &str) {
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("Exception in callback "), "{}", errors[0]);
    assert!(
        errors[0].contains(needle),
        "{:?} does not contain {needle:?}",
        errors[0]
    );
}

/// GenEngineTest.delay_callback: runs `callback` after `iterations` loop
/// iterations.
fn delay_callback(iterations: u32, callback: impl FnOnce() + 'static) {
    if iterations == 0 {
        callback();
    } else {
        IOLoop::current().add_callback(move || delay_callback(iterations - 1, callback));
    }
}

// Ports GenEngineTest.test_no_yield.
#[test]
fn test_no_yield() {
    run_gen(|stop| {
        gen_::legacy::engine(move |_co| {
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_inline_cb. In gust the engine function runs to
// the end inside the call (Tornado 4.5 deferred the first YieldPoint by one
// iteration).
#[test]
fn test_inline_cb() {
    let io_loop = IOLoop::new();
    let finished = Rc::new(Cell::new(false));
    let flag = finished.clone();
    gen_::legacy::engine(move |co| {
        (co.yield_(Callback::new("k1"))?).call();
        let () = co.yield_(Wait::<()>::new("k1"))?; // `res is None`
        flag.set(true);
        Ok(())
    });
    assert!(finished.get());
    assert_eq!(io_loop.iterations(), 0);

    run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            (co.yield_(Callback::new("k1"))?).call();
            co.yield_(Wait::<()>::new("k1"))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_ioloop_cb.
#[test]
fn test_ioloop_cb() {
    run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            let cb = co.yield_(Callback::new("k1"))?;
            IOLoop::current().add_callback(move || cb.call());
            co.yield_(Wait::<()>::new("k1"))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_exception_phase1: the failure is logged.
#[test]
fn test_exception_phase1() {
    let errors =
        run_gen(|_stop| gen_::legacy::engine::<(), _>(|_co| Err(ZeroDivisionError.into()))).unwrap_err();
    assert_engine_error(&errors, ": division by zero");
}

// Ports GenEngineTest.test_exception_phase2.
#[test]
fn test_exception_phase2() {
    let errors = run_gen(|_stop| {
        gen_::legacy::engine::<(), _>(|co| {
            let cb = co.yield_(Callback::new("k1"))?;
            IOLoop::current().add_callback(move || cb.call());
            co.yield_(Wait::<()>::new("k1"))?;
            Err(ZeroDivisionError.into())
        })
    })
    .unwrap_err();
    assert_engine_error(&errors, ": division by zero");
}

// Ports GenEngineTest.test_exception_in_task_phase1: the function given to
// Task fails (in Rust: panics) before calling back; the yield fails.
#[test]
fn test_exception_in_task_phase1() {
    run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            let outcome = co.yield_(gen_::legacy::Task(|_callback: TaskCallback<()>| {
                panic!("division by zero")
            }));
            let err = outcome.expect_err("did not get expected exception");
            assert!(err.is::<PanicError>(), "{err}");
            assert!(err.to_string().contains("division by zero"));
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_with_arg.
#[test]
fn test_with_arg() {
    run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            (co.yield_(Callback::new("k1"))?).call_with(42);
            let res = co.yield_(Wait::<i32>::new("k1"))?;
            assert_eq!(res, 42);
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_with_arg_tuple: a tuple value (keys are strings
// or integers in gust, so the tuple key (1, 2) is an integer here).
#[test]
fn test_with_arg_tuple() {
    run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            (co.yield_(Callback::new(12))?).call_with((3, 4));
            let res = co.yield_(Wait::<(i32, i32)>::new(12))?;
            assert_eq!(res, (3, 4));
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_key_reuse.
#[test]
fn test_key_reuse() {
    let errors = run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            co.yield_(Callback::new("k1"))?;
            co.yield_(Callback::new("k1"))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap_err();
    assert_engine_error(&errors, ": key 'k1' is already pending");

    // The error type, caught in the coroutine, and an integer key.
    try_gen_test(|co| {
        co.yield_(Callback::new(7))?;
        let err = co.yield_(Callback::new(7)).unwrap_err();
        assert_eq!(err.downcast_ref::<KeyReuseError>().unwrap().key, 7.into());
        assert_eq!(err.to_string(), "key 7 is already pending");
        Ok(())
    })
    .unwrap();
}

// Ports GenEngineTest.test_key_mismatch.
#[test]
fn test_key_mismatch() {
    let errors = run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            co.yield_(Callback::new("k1"))?;
            co.yield_(Wait::<()>::new("k2"))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap_err();
    assert_engine_error(&errors, ": key 'k2' is not pending");
}

// Ports GenEngineTest.test_leaked_callback.
#[test]
fn test_leaked_callback() {
    let errors = run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            co.yield_(Callback::new("k1"))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap_err();
    assert_engine_error(&errors, ": finished without waiting for callbacks {'k1'}");
}

// Ports GenEngineTest.test_leaked_callback_tuple: in gust, with an integer
// key and with a tuple of Callbacks (a tuple multi of YieldPoints).
#[test]
fn test_leaked_callback_tuple() {
    let errors = run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            co.yield_(Callback::new(1))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap_err();
    assert_engine_error(&errors, ": finished without waiting for callbacks {1}");

    let err = try_gen_test(|co| {
        let (_a, _b) = co.yield_((Callback::new("k1"), Callback::new("k2")))?;
        Ok(())
    })
    .unwrap_err();
    assert!(err.is::<LeakedCallbackError>(), "{err}");
    assert_eq!(
        err.to_string(),
        "finished without waiting for callbacks {'k1', 'k2'}"
    );
}

// Ports GenEngineTest.test_parallel_callback.
#[test]
fn test_parallel_callback() {
    run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            let io_loop = IOLoop::current();
            for k in 0..3 {
                let cb = co.yield_(Callback::new(k))?;
                io_loop.add_callback(move || cb.call());
            }
            co.yield_(Wait::<()>::new(1))?;
            let cb = co.yield_(Callback::new(3))?;
            io_loop.add_callback(move || cb.call());
            co.yield_(Wait::<()>::new(0))?;
            co.yield_(Wait::<()>::new(3))?;
            co.yield_(Wait::<()>::new(2))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_reuse: the same engine function run twice.
#[test]
fn test_reuse() {
    let f = |stop: Stop| {
        gen_::legacy::engine(move |co| {
            let cb = co.yield_(Callback::new(0))?;
            IOLoop::current().add_callback(move || cb.call());
            co.yield_(Wait::<()>::new(0))?;
            stop.stop();
            Ok(())
        })
    };
    run_gen(f).unwrap();
    run_gen(f).unwrap();
}

// Ports GenEngineTest.test_task: `yield gen.Task(self.io_loop.add_callback)`.
#[test]
fn test_task() {
    run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            co.yield_(gen_::legacy::Task(|cb: TaskCallback<()>| {
                IOLoop::current().add_callback(move || cb.call(()))
            }))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_wait_all.
#[test]
fn test_wait_all() {
    run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            (co.yield_(Callback::new("k1"))?).call_with("v1");
            (co.yield_(Callback::new("k2"))?).call_with("v2");
            let results = co.yield_(WaitAll::<&str>::new(["k1", "k2"]))?;
            assert_eq!(results, vec!["v1", "v2"]);
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_exception_in_yield.
#[test]
fn test_exception_in_yield() {
    run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            let err = co
                .yield_(Wait::<()>::new("k1"))
                .expect_err("did not get expected exception");
            assert!(err.is::<UnknownKeyError>(), "{err}");
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_resume_after_exception_in_yield.
#[test]
fn test_resume_after_exception_in_yield() {
    run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            let err = co
                .yield_(Wait::<()>::new("k1"))
                .expect_err("did not get expected exception");
            assert!(err.is::<UnknownKeyError>(), "{err}");
            (co.yield_(Callback::new("k2"))?).call_with("v2");
            assert_eq!(co.yield_(Wait::<&str>::new("k2"))?, "v2");
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_orphaned_callback: the leaked callback may still
// be called afterwards, harmlessly.
#[test]
fn test_orphaned_callback() {
    let orphan: Rc<RefCell<Option<ResultCallback>>> = Rc::new(RefCell::new(None));
    let slot = orphan.clone();
    let errors = run_gen(move |_stop| {
        gen_::legacy::engine(move |co| {
            *slot.borrow_mut() = Some(co.yield_(Callback::new(1))?);
            Ok(())
        })
    })
    .unwrap_err();
    assert_engine_error(&errors, "finished without waiting for callbacks {1}");
    let callback = orphan.borrow_mut().take().unwrap();
    callback.call();
    callback.call_with(5);
}

// Ports GenEngineTest.test_multi: a list of Waits is a MultiYieldPoint;
// also as a tuple of different types.
#[test]
fn test_multi() {
    run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            (co.yield_(Callback::new("k1"))?).call_with("v1");
            (co.yield_(Callback::new("k2"))?).call_with("v2");
            let results = co.yield_(vec![Wait::<&str>::new("k1"), Wait::new("k2")])?;
            assert_eq!(results, vec!["v1", "v2"]);

            (co.yield_(Callback::new("k1"))?).call_with("v1");
            (co.yield_(Callback::new("k2"))?).call_with(2);
            let tuple = co.yield_((Wait::<&str>::new("k1"), Wait::<i32>::new("k2")))?;
            assert_eq!(tuple, ("v1", 2));
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_multi_dict (a BTreeMap of Waits).
#[test]
fn test_multi_dict() {
    run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            (co.yield_(Callback::new("k1"))?).call_with("v1");
            (co.yield_(Callback::new("k2"))?).call_with("v2");
            let results = co.yield_(BTreeMap::from([
                ("foo", Wait::<&str>::new("k1")),
                ("bar", Wait::new("k2")),
            ]))?;
            assert_eq!(results, BTreeMap::from([("foo", "v1"), ("bar", "v2")]));
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

/// `gen.Task(self.delay_callback, iterations, arg=arg)`.
fn delayed_task(iterations: u32, arg: &'static str) -> Future<&'static str> {
    gen_::legacy::Task(move |cb: TaskCallback<&'static str>| delay_callback(iterations, move || cb.call(arg)))
}

// Ports GenEngineTest.test_multi_yieldpoint_delayed: `gen.Multi([Task,
// Task])`, children finishing at different times; also a list of Waits,
// which yielding makes a MultiYieldPoint.
#[test]
fn test_multi_yieldpoint_delayed() {
    run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            // callbacks run at different times
            let responses = co.yield_(MultiYieldPoint::new(
                vec![delayed_task(3, "v1"), delayed_task(1, "v2")],
                QuietExceptions::none(),
            ))?;
            assert_eq!(responses, vec!["v1", "v2"]);

            let cb1 = co.yield_(Callback::new("v1"))?;
            delay_callback(3, move || cb1.call_with("v1"));
            let cb2 = co.yield_(Callback::new("v2"))?;
            delay_callback(1, move || cb2.call_with("v2"));
            let responses = co.yield_(vec![Wait::<&str>::new("v1"), Wait::new("v2")])?;
            assert_eq!(responses, vec!["v1", "v2"]);
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_multi_yieldpoint_dict_delayed: `gen.Multi(dict(
// foo=Task, bar=Task))`; also a map of Waits.
#[test]
fn test_multi_yieldpoint_dict_delayed() {
    run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            let responses = co.yield_(MultiYieldPoint::from_map(
                HashMap::from([("foo", delayed_task(3, "v1")), ("bar", delayed_task(1, "v2"))]),
                QuietExceptions::none(),
            ))?;
            assert_eq!(responses, HashMap::from([("foo", "v1"), ("bar", "v2")]));

            let cb1 = co.yield_(Callback::new("v1"))?;
            delay_callback(3, move || cb1.call_with("v1"));
            let cb2 = co.yield_(Callback::new("v2"))?;
            delay_callback(1, move || cb2.call_with("v2"));
            let responses = co.yield_(BTreeMap::from([
                ("foo", Wait::<&str>::new("v1")),
                ("bar", Wait::new("v2")),
            ]))?;
            assert_eq!(responses, BTreeMap::from([("foo", "v1"), ("bar", "v2")]));
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_multi_exceptions (`gen.Multi`): the first error
// wins, later ones are logged unless quiet, a single one is not logged.
#[test]
fn test_multi_exceptions() {
    try_gen_test(|co| {
        let logs = LogCapture::start();
        let err = co
            .yield_(MultiYieldPoint::new(
                vec![
                    async_exception::<i32>(RuntimeError("error 1")),
                    async_exception::<i32>(RuntimeError("error 2")),
                ],
                QuietExceptions::none(),
            ))
            .unwrap_err();
        assert_eq!(err.to_string(), "error 1");
        assert_eq!(
            logs.app_errors(),
            vec!["Multiple exceptions in yield list: error 2".to_owned()]
        );

        // With only one exception, no error is logged.
        let logs = LogCapture::start();
        let err = co
            .yield_(MultiYieldPoint::new(
                vec![async_exception::<i32>(RuntimeError("error 1")), Future::ready(2)],
                QuietExceptions::none(),
            ))
            .unwrap_err();
        assert!(err.is::<RuntimeError>());

        // Exception logging may be explicitly quieted.
        let err = co
            .yield_(MultiYieldPoint::new(
                vec![
                    async_exception::<i32>(RuntimeError("error 1")),
                    async_exception::<i32>(RuntimeError("error 2")),
                ],
                QuietExceptions::of::<RuntimeError>(),
            ))
            .unwrap_err();
        assert!(err.is::<RuntimeError>());
        assert!(logs.app_errors().is_empty(), "{:?}", logs.app_errors());
        Ok(())
    })
    .unwrap();
}

// Ports GenEngineTest.test_multi_future_delayed and
// test_multi_future_dict_delayed: Tasks are futures, so multi_future works.
#[test]
fn test_multi_future_delayed() {
    let task = delayed_task;
    run_gen(move |stop| {
        gen_::legacy::engine(move |co| {
            let responses = co.yield_(gen_::multi_future(vec![task(3, "v1"), task(1, "v2")]))?;
            assert_eq!(responses, vec!["v1", "v2"]);
            let responses = co.yield_(gen_::multi_future(BTreeMap::from([
                ("foo", task(3, "v1")),
                ("bar", task(1, "v2")),
            ])))?;
            assert_eq!(responses, BTreeMap::from([("foo", "v1"), ("bar", "v2")]));
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_multi_performance: a list of 2000 Tasks.
#[test]
fn test_multi_performance() {
    let started = Instant::now();
    let n = try_gen_test(|co| {
        let tasks: Vec<Future<()>> = (0..2000)
            .map(|_| {
                gen_::legacy::Task(|cb: TaskCallback<()>| IOLoop::current().add_callback(move || cb.call(())))
            })
            .collect();
        Ok(co.yield_(tasks)?.len())
    })
    .unwrap();
    assert_eq!(n, 2000);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

// Ports GenEngineTest.test_multi_mixed_types: a YieldPoint (Wait) and a
// future (Task) in one collection use the YieldPoint path. (A Vec holds one
// type, so the mix is a tuple.)
#[test]
fn test_multi_mixed_types() {
    try_gen_test(|co| {
        (co.yield_(Callback::new("k1"))?).call_with("v1");
        let responses = co.yield_((
            Wait::<&str>::new("k1"),
            gen_::legacy::Task(|cb: TaskCallback<&'static str>| delay_callback(3, move || cb.call("v2"))),
        ))?;
        assert_eq!(responses, ("v1", "v2"));
        Ok(())
    })
    .unwrap();
}

// Ports MultiYieldPoint's error rule (as test_multi_exceptions) for a
// tuple mixing a Wait and failing futures (the tuple YieldPoint path): the
// first error in input order wins, later ones are logged as "Multiple
// exceptions in yield list".
#[test]
fn test_multi_yieldpoint_exceptions() {
    let logs = LogCapture::start();
    try_gen_test(|co| {
        (co.yield_(Callback::new("k1"))?).call_with(1);
        let err = co
            .yield_((
                Wait::<i32>::new("k1"),
                async_exception::<i32>(RuntimeError("error 1")),
                async_exception::<i32>(RuntimeError("error 2")),
            ))
            .unwrap_err();
        assert_eq!(err.to_string(), "error 1");
        Ok(())
    })
    .unwrap();
    assert_eq!(
        logs.app_errors(),
        vec!["Multiple exceptions in yield list: error 2".to_owned()]
    );
}

// Ports GenEngineTest.test_arguments: the argument adapter gives () for no
// arguments, the value for one, and Arguments for several or keywords.
#[test]
fn test_arguments() {
    run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            (co.yield_(Callback::new("noargs"))?).call();
            let () = co.yield_(Wait::<()>::new("noargs"))?;
            (co.yield_(Callback::new("1arg"))?).call_with(42);
            assert_eq!(co.yield_(Wait::<i32>::new("1arg"))?, 42);

            // Through the adapter: no arguments, and exactly one.
            (co.yield_(Callback::new("adapted0"))?).call_args(Arguments::default());
            co.yield_(Wait::<()>::new("adapted0"))?;
            (co.yield_(Callback::new("adapted1"))?).call_args(Arguments::positional(vec![Box::new(42)]));
            assert_eq!(co.yield_(Wait::<i32>::new("adapted1"))?, 42);

            (co.yield_(Callback::new("kwargs"))?).call_args(Arguments {
                args: vec![],
                kwargs: vec![("value".to_owned(), Box::new(42))],
            });
            let result = co.yield_(Wait::<Arguments>::new("kwargs"))?;
            assert!(result.args.is_empty());
            assert_eq!(result.kwargs.len(), 1);
            assert_eq!(result.kwarg::<i32>("value"), Some(&42));

            (co.yield_(Callback::new("2args"))?)
                .call_args(Arguments::positional(vec![Box::new(42), Box::new(43)]));
            let result = co.yield_(Wait::<Arguments>::new("2args"))?;
            assert!(result.kwargs.is_empty());
            assert_eq!(
                (result.arg::<i32>(0), result.arg::<i32>(1)),
                (Some(&42), Some(&43))
            );

            // Task's callback takes one value; several are passed as
            // Arguments explicitly.
            let result = co.yield_(gen_::legacy::Task(|callback: TaskCallback<Arguments>| {
                callback.call(Arguments {
                    args: vec![Box::new(None::<i32>)],
                    kwargs: vec![("error".to_owned(), Box::new("foo"))],
                })
            }))?;
            assert_eq!(result.arg::<Option<i32>>(0), Some(&None));
            assert_eq!(result.kwarg::<&str>("error"), Some(&"foo"));
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// gust-specific: a Wait whose callback was called with another type fails
// with ResultTypeError (Python would not notice).
#[test]
fn test_wait_type_mismatch() {
    try_gen_test(|co| {
        (co.yield_(Callback::new("k"))?).call_with(42i32);
        let err = co.yield_(Wait::<String>::new("k")).unwrap_err();
        let mismatch = err.downcast_ref::<ResultTypeError>().expect("a ResultTypeError");
        assert_eq!(mismatch.got, "i32");
        assert_eq!(mismatch.expected, std::any::type_name::<String>());
        assert!(
            err.to_string()
                .starts_with("the callback for key 'k' was called with a i32")
        );
        Ok(())
    })
    .unwrap();
}

// Ports GenEngineTest.test_sync_raise_return and test_async_raise_return:
// `raise gen.Return()` (no value) is allowed in an engine function.
#[test]
fn test_raise_return_no_value() {
    run_gen(|stop| {
        gen_::legacy::engine(move |_co| {
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
    run_gen(|stop| {
        gen_::legacy::engine(move |co| {
            co.yield_(gen_::legacy::Task(|cb: TaskCallback<()>| {
                IOLoop::current().add_callback(move || cb.call(()))
            }))?;
            stop.stop();
            Ok(())
        })
    })
    .unwrap();
}

// Ports GenEngineTest.test_return_value and test_return_value_tuple (and
// test_sync_raise_return_value*): an engine function may not return a value.
#[test]
fn test_return_value() {
    let errors = run_gen(|_stop| gen_::legacy::engine(|_co| Ok(42))).unwrap_err();
    assert_engine_error(&errors, ": @gen.engine functions cannot return values: 42");
    let errors = run_gen(|_stop| gen_::legacy::engine(|_co| Ok((1, 2)))).unwrap_err();
    assert_engine_error(&errors, ": @gen.engine functions cannot return values: (1, 2)");
}

// Ports GenEngineTest.test_async_raise_return_value and
// test_async_raise_return_value_tuple.
#[test]
fn test_async_return_value() {
    let errors = run_gen(|_stop| {
        gen_::legacy::engine(|co| {
            co.yield_(gen_::legacy::Task(|cb: TaskCallback<()>| {
                IOLoop::current().add_callback(move || cb.call(()))
            }))?;
            Ok((1, 2))
        })
    })
    .unwrap_err();
    assert_engine_error(&errors, ": @gen.engine functions cannot return values: (1, 2)");
    assert_eq!(
        ReturnValueIgnoredError {
            message: "@gen.engine functions cannot return values: 42".to_owned()
        }
        .to_string(),
        "@gen.engine functions cannot return values: 42"
    );
}

// gust-specific (the legacy interface with futures): converting a
// YieldPoint to a future fails with BadYieldError — convert_yielded,
// with_timeout, multi, WaitIterator and run_sync all convert.
#[test]
fn test_yield_point_as_future_is_bad_yield() {
    let io_loop = IOLoop::new();
    let err = gen_::convert_yielded(Wait::<i32>::new("k"))
        .take_result()
        .unwrap_err();
    assert!(err.is::<BadYieldError>(), "{err}");
    assert_eq!(err.kind(), ErrorKind::BadYield);
    assert!(err.to_string().starts_with("yielded unknown object "), "{err}");
    assert!(err.to_string().contains("Wait"), "{err}");

    let err = gen_::with_timeout(Duration::from_secs(1), Wait::<i32>::new("k"))
        .take_result()
        .unwrap_err();
    assert!(err.is::<BadYieldError>(), "{err}");
    assert_eq!(io_loop.timer_count(), 0);

    let err = gen_::multi(vec![Wait::<i32>::new("k")])
        .take_result()
        .unwrap_err();
    assert!(err.is::<BadYieldError>(), "{err}");

    let wi = WaitIterator::new(vec![Wait::<i32>::new("k")]);
    assert!(wi.next().take_result().unwrap_err().is::<BadYieldError>());

    let err = io_loop.run_sync(|| Callback::new("k"), None).unwrap_err();
    assert!(err.is::<BadYieldError>(), "{err}");
}
