//! Legacy interface in decorated coroutines: GenCoroutineTest (4.5) and
//! GenCoroutineSequenceHandler

use super::*;

// Ports GenCoroutineTest.test_async_gen_return: `yield
// gen.Task(self.io_loop.add_callback)`, then return a value.
#[test]
fn test_async_gen_return() {
    let result = try_gen_test(|co| {
        let f = gen_::coroutine(|co| {
            co.yield_(gen_::legacy::Task(|cb: TaskCallback<()>| {
                IOLoop::current().add_callback(move || cb.call(()))
            }))?;
            Ok(42)
        });
        co.yield_(f)
    })
    .unwrap();
    assert_eq!(result, 42);
}

// Ports GenCoroutineTest.test_async_raise: an error after a Task.
#[test]
fn test_async_raise() {
    try_gen_test(|co| {
        let future = gen_::coroutine::<(), _>(|co| {
            co.yield_(gen_::legacy::Task(|cb: TaskCallback<()>| {
                IOLoop::current().add_callback(move || cb.call(()))
            }))?;
            Err(ZeroDivisionError.into())
        });
        let err = co.yield_(future).unwrap_err();
        assert!(err.is::<ZeroDivisionError>());
        Ok(())
    })
    .unwrap();
}

// Ports GenCoroutineTest.test_pass_callback: a coroutine's result handed
// to a Task's callback.
#[test]
fn test_pass_callback() {
    let result = try_gen_test(|co| {
        co.yield_(gen_::legacy::Task(|callback: TaskCallback<i32>| {
            let f = gen_::coroutine(|_co| Ok(42));
            f.add_done_callback(move |done| callback.call(done.take_result().unwrap()));
        }))
    })
    .unwrap();
    assert_eq!(result, 42);
}

// Ports GenWebTest.test_coroutine_sequence_handler (4.5's
// GenCoroutineSequenceHandler): Callback/Wait in a coroutine, reusing a key
// once its result was consumed.
#[test]
fn test_coroutine_sequence() {
    let body = try_gen_test(|co| {
        let io_loop = IOLoop::current();
        let mut out = String::new();
        let cb = co.yield_(Callback::new("k1"))?;
        io_loop.add_callback(move || cb.call());
        co.yield_(Wait::<()>::new("k1"))?;
        out.push('1');
        let cb = co.yield_(Callback::new("k2"))?;
        io_loop.add_callback(move || cb.call());
        co.yield_(Wait::<()>::new("k2"))?;
        out.push('2');
        // reuse an old key
        let cb = co.yield_(Callback::new("k1"))?;
        io_loop.add_callback(move || cb.call());
        co.yield_(Wait::<()>::new("k1"))?;
        out.push('3');
        Ok(out)
    })
    .unwrap();
    assert_eq!(body, "123");
}

// Ports 4.5's LeakedCallbackError for a decorated coroutine: the
// coroutine's future fails with it (Tornado raised it out of the Runner).
#[test]
fn test_leaked_callback_in_coroutine() {
    let err = try_gen_test(|co| {
        co.yield_(gen_::coroutine(|co| {
            co.yield_(Callback::new("k1"))?;
            Ok(())
        }))
    })
    .unwrap_err();
    assert!(err.is::<LeakedCallbackError>(), "{err}");
    assert_eq!(err.to_string(), "finished without waiting for callbacks {'k1'}");
}

// Ports the 4.5 Runner's `had_exception` rule (gen.py Runner.run sets it
// whenever `future.result()` raises, for futures and YieldPoints alike):
// once an error was delivered at a yield, callbacks left pending are not
// reported as leaked.
#[test]
fn test_leaked_callback_skipped_after_exception() {
    // An error from a YieldPoint.
    try_gen_test(|co| {
        co.yield_(Callback::new("k1"))?;
        assert!(co.yield_(Wait::<()>::new("nope")).is_err());
        Ok(())
    })
    .unwrap();
    // An error from a future.
    try_gen_test(|co| {
        co.yield_(Callback::new("k1"))?;
        assert!(co.yield_(async_exception::<()>(ZeroDivisionError)).is_err());
        Ok(())
    })
    .unwrap();
}

// gust-specific (a deliberate difference from Tornado 4, whose callbacks
// resumed the coroutine synchronously): a ResultCallback called from a
// loop callback wakes the waiting coroutine, which resumes in the next
// iteration.
#[test]
fn test_result_callback_resumes_next_iteration() {
    let io_loop = IOLoop::new();
    let slot: Rc<RefCell<Option<ResultCallback>>> = Rc::new(RefCell::new(None));
    let s = slot.clone();
    let f = gen_::coroutine(move |co| {
        *s.borrow_mut() = Some(co.yield_(Callback::new("k"))?);
        co.yield_(Wait::<i32>::new("k"))
    });
    assert!(!f.done());
    let runners = gust::runner::runners(&io_loop);
    assert_eq!(runners.len(), 1);
    assert_eq!(
        runners[0].state,
        RunnerState::Parked(WaitingOn::Driven { kind: "YieldPoint" })
    );

    let callback = slot.borrow_mut().take().unwrap();
    assert_eq!(callback.key(), &"k".into());
    let done_inside = Rc::new(Cell::new(None));
    let (d, g) = (done_inside.clone(), f.clone());
    io_loop.add_callback(move || {
        callback.call_with(5);
        d.set(Some(g.done()));
    });
    step(&io_loop);
    assert_eq!(done_inside.get(), Some(false), "not resumed inside the callback");
    assert_eq!(
        gust::runner::runners(&io_loop)[0].state,
        RunnerState::Scheduled(WaitingOn::Driven { kind: "YieldPoint" })
    );
    step(&io_loop);
    assert!(f.done());
    assert_eq!(f.take_result().unwrap(), 5);
}
