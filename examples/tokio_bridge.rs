//! Bridging gust's IOLoop and a tokio runtime.
//!
//! Run with `cargo run --example tokio_bridge`.
//!
//! gust's native coroutines are Rust `async` blocks run as tasks on the
//! IOLoop; tokio runs its own tasks on its own threads. The two meet in
//! three ways, each shown below:
//!
//! 1. **gust → tokio.** A gust [`Future`](gust::concurrent::Future) belongs to the loop's thread
//!    (`!Send`). [`Future::into_send`](gust::concurrent::Future::into_send) turns it into a
//!    [`SendFuture`](gust::concurrent::SendFuture): `Send`, a plain
//!    `std::future::Future` that a tokio task can `.await` (or `select!`
//!    on) from any thread.
//! 2. **tokio → gust.** [`remote_future`] gives a gust future on the loop
//!    and a `Send` [`RemoteSetter`](gust::concurrent::RemoteSetter); a tokio
//!    task calls `set_result` (or `set_exception`) and the result travels
//!    through the loop's thread-safe handle, waking the loop if it sleeps.
//! 3. **What does not work.** A future that needs tokio's *reactor* — its
//!    timer (`tokio::time::sleep`, `timeout`, `interval`) or its I/O
//!    (`tokio::net` sockets, `tokio::process`, `tokio::fs` which needs its
//!    blocking pool) — does not run on the IOLoop: the IOLoop has no tokio
//!    driver, so polling it (even creating a `Sleep`) outside a tokio
//!    runtime panics with "there is no reactor running, must be called from
//!    the context of a Tokio 1.x runtime". Spawned on the IOLoop, that panic
//!    is caught and becomes a `PanicError` in the task's gust future (the
//!    loop carries on). Run such futures on tokio (`handle.spawn(...)`) and
//!    await the `JoinHandle` on the IOLoop instead: a `JoinHandle` is a
//!    plain `Send` future whose waker is called from tokio's threads, which
//!    gust's task waker supports.
//!
//! Runtime-independent futures — `tokio::sync` channels, `Notify`,
//! `oneshot`, and any future that only uses its `Waker` — work on the IOLoop
//! unchanged.
use std::time::{Duration, Instant};

use gust::concurrent::remote_future;
use gust::error::PanicError;
use gust::gen_;
use gust::prelude::*;

fn main() -> Result<(), Error> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::msg(format!("cannot start tokio: {e}")))?;
    let tokio = rt.handle().clone();
    let io_loop = IOLoop::new();
    let started = Instant::now();
    let elapsed = move || format!("{:>4} ms", started.elapsed().as_millis());

    // 1. gust -> tokio: a decorated coroutine's future, awaited by a tokio
    //    task on another thread; the answer comes back through a
    //    RemoteSetter.
    let (answer, setter) = remote_future::<String>(&io_loop);
    let t = tokio.clone();
    let reply = io_loop.run_sync(
        move || {
            gen_::coroutine(move |co| {
                let computed = gen_::coroutine(|co| {
                    co.yield_(gen_::sleep(Duration::from_millis(20)))?;
                    Ok(41)
                });
                let remote = computed.into_send(); // Send: may go to tokio
                t.spawn(async move {
                    let outcome = tokio::select! {
                        outcome = remote => outcome,
                        _ = tokio::time::sleep(Duration::from_secs(5)) => Err(Error::msg("gust took too long")),
                    };
                    let thread = std::thread::current();
                    setter.set(outcome.map(|v| format!("{} (from tokio thread {:?})", v + 1, thread.name())));
                });
                co.yield_(answer)
            })
        },
        Some(Duration::from_secs(10)),
    )?;
    println!("{} 1. gust future awaited on tokio: {reply}", elapsed());

    // 2. tokio -> gust: a tokio task uses tokio's timer, then delivers its
    //    result into the IOLoop, where native (async) gust code awaits it.
    let (delivered, setter) = remote_future::<u64>(&io_loop);
    tokio.spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        setter.set_result(7);
    });
    let value = io_loop.run_sync(
        move || gen_::native(async move { Ok::<_, Error>(delivered.await? * 6) }),
        Some(Duration::from_secs(10)),
    )?;
    println!("{} 2. tokio result delivered into the IOLoop: {value}", elapsed());

    // 3. A future needing tokio's reactor, spawned on the IOLoop: a
    //    PanicError in its gust future, not a crash. (The default panic
    //    hook would print the panic; keep the output tidy.)
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let on_ioloop = io_loop.spawn(async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok::<_, Error>(())
    });
    let outcome = io_loop.run_sync(move || on_ioloop, Some(Duration::from_secs(10)));
    std::panic::set_hook(previous_hook);
    match outcome {
        Err(error) if error.is::<PanicError>() => {
            println!("{} 3. tokio::time::sleep on the IOLoop fails: {error}", elapsed())
        }
        other => return Err(Error::msg(format!("expected a PanicError, got {other:?}"))),
    }

    //    The way that works: run it on tokio, await its JoinHandle here.
    let t = tokio.clone();
    let slept = io_loop.run_sync(
        move || {
            gen_::native(async move {
                let started = Instant::now();
                t.spawn(async { tokio::time::sleep(Duration::from_millis(20)).await })
                    .await
                    .map_err(|e| Error::msg(e.to_string()))?;
                Ok::<_, Error>(started.elapsed())
            })
        },
        Some(Duration::from_secs(10)),
    )?;
    println!(
        "{}    ... run on tokio and awaited on the IOLoop: slept {} ms",
        elapsed(),
        slept.as_millis()
    );

    // tokio::sync works on the IOLoop as it is: a oneshot sent from tokio.
    let (sender, receiver) = tokio::sync::oneshot::channel::<&'static str>();
    tokio.spawn(async move {
        let _ = sender.send("hello from a tokio task");
    });
    let message = io_loop.run_sync(
        move || gen_::native(async move { receiver.await.map_err(|e| Error::msg(e.to_string())) }),
        Some(Duration::from_secs(10)),
    )?;
    println!(
        "{}    tokio::sync::oneshot awaited on the IOLoop: {message}",
        elapsed()
    );
    Ok(())
}
