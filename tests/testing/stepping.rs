//! Stepping the Runner: the trace, what a parked coroutine waits on, and
//! resolving or failing its future by hand.

use super::*;
use gust::runner::{TaskState, runner_of};
use gust::testing::step_until;

fn named<T: 'static>(name: &'static str, body: impl FnOnce(&Co) -> Result<T, Error> + 'static) -> Future<T> {
    gen_::Builder::new().name(name).spawn(body)
}

fn yield_moments(n: usize) -> impl FnOnce(&Co) -> Result<(), Error> {
    move |co| {
        for _ in 0..n {
            co.yield_(gen_::moment)?;
        }
        Ok(())
    }
}

// Two coroutines yielding `moment` alternate: a b a b a b, one of each
// per iteration.
#[test]
fn test_moment_interleaving_trace() {
    let t = TestLoop::new();
    let a = named("a", yield_moments(3));
    let b = named("b", yield_moments(3));
    let mut order = String::new();
    for iteration in 1..=3 {
        let step = t.step();
        assert_eq!(step.iteration, iteration);
        assert_eq!(step.resumed().len(), 2, "one of each per iteration: {step}");
        for (name, with) in step.resumed() {
            assert_eq!(with, &Resumption::Moment);
            order.push_str(name);
        }
    }
    assert_eq!(order, "ababab");
    assert!(a.done() && b.done());
}

#[test]
fn test_trace_names_each_step() {
    let t = TestLoop::new();
    let gate: Future<u32> = Future::new();
    let g = gate.clone();
    let worker = named("worker", move |co| {
        let n = co.yield_(g)?;
        co.yield_(gen_::moment)?;
        Ok(n + 1)
    });
    // What happened before the first step is in its events.
    let first = t.step();
    assert_eq!(
        first.parked(),
        [(
            "worker",
            WaitingOn::Future {
                id: gate.id(),
                type_name: "u32"
            }
        )]
    );
    assert!(first.resumed().is_empty(), "{first}");
    gate.set_result(41).unwrap();
    assert!(matches!(
        t.state_of(&worker),
        Some(RunnerState::Scheduled(WaitingOn::Future { .. }))
    ));
    let step = t.step();
    assert_eq!(step.resumed(), [("worker", &Resumption::Value)]);
    assert_eq!(step.parked(), [("worker", WaitingOn::Moment)]);
    let step = t.step();
    assert_eq!(step.resumed(), [("worker", &Resumption::Moment)]);
    assert_eq!(step.finished(), [("worker", None)]);
    assert_eq!(worker.take_result().unwrap(), 42);
    assert!(step.to_string().contains("(worker) finished"), "{step}");
}

#[test]
fn test_trace_records_start_and_park_before_the_first_step() {
    let t = TestLoop::new();
    let pending: Future<()> = Future::new();
    let p = pending.clone();
    let _waiter = named("waiter", move |co| co.yield_(p));
    let step = t.step();
    let kinds: Vec<&TraceKind> = step.events.iter().map(|e| &e.kind).collect();
    assert!(
        matches!(
            kinds[..],
            [TraceKind::Started, TraceKind::Parked(WaitingOn::Future { .. })]
        ),
        "{step}"
    );
    assert_eq!(step.events[0].iteration, 0);
    pending.cancel();
    t.step();
}

// A test fails a parked future by hand and watches the coroutine take the
// error at its next step.
#[test]
fn test_fail_parked_future_by_hand() {
    let t = TestLoop::new();
    let request: Future<String> = Future::new();
    let r = request.clone();
    let caller = named("caller", move |co| match co.yield_(r) {
        Ok(body) => Ok(body),
        Err(error) => Ok(format!("recovered from {error}")),
    });
    assert_eq!(
        t.waiting_on(&caller),
        Some(WaitingOn::Future {
            id: request.id(),
            type_name: std::any::type_name::<String>()
        })
    );
    request.set_exception(Error::msg("503")).unwrap();
    let step = t.step();
    assert_eq!(step.resumed(), [("caller", &Resumption::Error("503".to_owned()))]);
    assert_eq!(caller.take_result().unwrap(), "recovered from 503");
}

#[test]
fn test_waiting_on_words() {
    let t = TestLoop::new();
    let now = t.time();
    let sleeper = named("sleeper", |co| co.yield_(gen_::sleep(Duration::from_secs(2))));
    assert_eq!(
        t.waiting_on(&sleeper),
        Some(WaitingOn::Sleep {
            until: now + Duration::from_secs(2)
        })
    );

    let slow: Future<u8> = Future::new();
    let s = slow.clone();
    let limited = named("limited", move |co| {
        co.yield_(gen_::with_timeout(Duration::from_secs(5), s))
    });
    assert_eq!(
        t.waiting_on(&limited),
        Some(WaitingOn::Timeout {
            until: now + Duration::from_secs(5)
        })
    );

    let (x, y) = (Future::<u8>::new(), Future::<u8>::new());
    let (x2, y2) = (x.clone(), y.clone());
    let gatherer = named("gatherer", move |co| co.yield_(vec![x2, y2]));
    assert_eq!(t.waiting_on(&gatherer), Some(WaitingOn::Multi { pending: 2 }));
    x.set_result(1).unwrap();
    // Read live while it waits.
    assert_eq!(t.waiting_on(&gatherer), Some(WaitingOn::Multi { pending: 1 }));

    let (p, q) = (Future::<u8>::new(), Future::<u8>::new());
    let iterator = gen_::WaitIterator::new(vec![p.clone(), q.clone()]);
    let iterating = named("iterating", move |co| Ok(co.wait_iter(&iterator).count()));
    assert_eq!(t.waiting_on(&iterating), Some(WaitingOn::WaitIterator));

    let child = named("child", yield_moments(5));
    let child_id = runner_of(&child).unwrap().id;
    let parent = named("parent", move |co| co.yield_(child));
    assert_eq!(t.waiting_on(&parent), Some(WaitingOn::Coroutine { id: child_id }));

    let task_waiter = named("task_waiter", |co| {
        co.yield_(gen_::native(async { Ok::<_, Error>(1) }))
    });
    assert!(matches!(t.waiting_on(&task_waiter), Some(WaitingOn::Task { .. })));

    let gate: Future<u8> = Future::new();
    let g = gate.clone();
    let awaiting = named("awaiting", move |co| co.await_(g));
    assert_eq!(t.waiting_on(&awaiting), Some(WaitingOn::Native));

    let momentary = named("momentary", yield_moments(1));
    assert_eq!(
        t.state_of(&momentary),
        Some(RunnerState::Scheduled(WaitingOn::Moment))
    );

    // Everything is listed, with native tasks, in words.
    let lines = gust::testing::describe_pending(&t);
    let text = lines.join("\n");
    assert!(
        text.contains("(sleeper): parked on a sleep, ending in 2 s"),
        "{text}"
    );
    assert!(
        text.contains("(limited): parked on a with_timeout, timing out in 5 s"),
        "{text}"
    );
    assert!(
        text.contains("(gatherer): parked on a multi (1 pending)"),
        "{text}"
    );
    assert!(text.contains("(iterating): parked on a WaitIterator"), "{text}");
    assert!(
        text.contains(&format!("(parent): parked on coroutine {child_id}")),
        "{text}"
    );
    assert!(
        text.contains("(awaiting): parked on a Rust future (Co::await_)"),
        "{text}"
    );
    assert!(
        text.contains("(momentary): resuming next iteration from a moment"),
        "{text}"
    );
    assert!(text.contains("native task 1 ("), "{text}");

    // Let everything finish.
    t.advance(Duration::from_secs(5));
    y.set_result(2).unwrap();
    p.set_result(3).unwrap();
    q.set_result(4).unwrap();
    gate.set_result(5).unwrap();
    slow.set_result(6).unwrap();
    t.step_until(20, || t.pending().is_empty()).unwrap();
    assert_eq!(limited.take_result().unwrap(), 6);
    assert_eq!(gatherer.take_result().unwrap(), vec![1, 2]);
    assert_eq!(iterating.take_result().unwrap(), 2);
    assert_eq!(task_waiter.take_result().unwrap(), 1);
}

// Native tasks appear in the same inspection.
#[test]
fn test_native_tasks_are_pending() {
    let t = TestLoop::new();
    let gate: Future<u8> = Future::new();
    let g = gate.clone();
    let task = t.spawn(g);
    let state = |t: &TestLoop| match &t.pending()[..] {
        [Pending::Task(info)] => info.state,
        other => panic!("{other:?}"),
    };
    assert_eq!(state(&t), TaskState::Scheduled);
    t.step();
    assert_eq!(state(&t), TaskState::Pending);
    gate.set_result(9).unwrap();
    assert_eq!(state(&t), TaskState::Scheduled);
    t.step();
    assert!(t.pending().is_empty());
    assert_eq!(task.take_result().unwrap(), 9);
}

#[test]
fn test_step_until_limit() {
    let io_loop = IOLoop::new();
    let never: Future<()> = Future::new();
    let error = step_until(&io_loop, 3, || never.done()).unwrap_err();
    assert_eq!(error.max_steps, 3);
    assert_eq!(io_loop.iterations(), 3);
    let t = TestLoop::new();
    let f = named("three", yield_moments(3));
    assert_eq!(t.step_until(10, || f.done()).unwrap().len(), 3);
}
