//! Start semantics: native coroutines do nothing until awaited or spawned

use super::*;

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
    assert_eq!(gust::runner::task_count(&io_loop), 0);
    assert_eq!(io_loop.ready_len(), 0);

    // convert_yielded spawns it (Tornado: "convert_yielded() starts the
    // native coroutine in the background"), for the next iteration.
    let spawned = gen_::convert_yielded(marked);
    assert!(!native_ran.get());
    assert!(!spawned.done());
    assert_eq!(gust::runner::task_count(&io_loop), 1);
    let before = io_loop.iterations();
    step(&io_loop);
    assert!(native_ran.get());
    assert_eq!(io_loop.iterations() - before, 1);
    assert!(spawned.done());
    assert_eq!(gust::runner::task_count(&io_loop), 0);

    // A native coroutine never awaited nor spawned never runs (and, unlike
    // Python's "coroutine was never awaited" warning, nothing is logged:
    // Rust warns at compile time, futures are #[must_use]).
    let logs = LogCapture::start();
    let never_ran = Rc::new(Cell::new(false));
    let n = never_ran.clone();
    drop(gen_::native(async move { n.set(true) }));
    assert_eq!(io_loop.run_until_idle().unwrap(), 0);
    assert!(!never_ran.get());
    assert!(logs.records().is_empty());
}

// `spawn` only enqueues: the first poll is in the next iteration, in FIFO
// order with callbacks added around it.
#[test]
fn test_spawn_first_polls_on_next_iteration() {
    let polled_after = try_gen_test(|co| {
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
