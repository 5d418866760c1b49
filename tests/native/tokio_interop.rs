//! Interop with tokio

use super::*;

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
    assert_eq!(gust::runner::task_count(&io_loop), 0);

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
