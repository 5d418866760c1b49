//! A tour of gust: Tornado's coroutine patterns, in Rust.
//!
//! Run with `cargo run --example tour`. Failures nobody waits for are
//! reported through the `log` crate, so `main` installs a logger
//! (`env_logger`): it prints errors by default, and with `RUST_LOG=debug`
//! every step of the Runner too. Every "fetch" here is simulated with
//! `gen_::sleep`.
use std::time::{Duration, Instant};

use gust::concurrent::{Future, ThreadPoolExecutor};
use gust::gen_;
use gust::prelude::*;

/// Tornado: `@gen.coroutine def fetch(url): yield gen.sleep(...); return body`
fn fetch(url: &'static str, millis: u64) -> Future<String> {
    gen_::coroutine(move |co| {
        co.yield_(gen_::sleep(Duration::from_millis(millis)))?;
        Ok(format!("<body of {url}>"))
    })
}

fn is_prime(n: u32) -> bool {
    (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
}

/// Tornado: `def divide(x, y): return x / y`, as a coroutine that fails.
fn divide(x: i32, y: i32) -> Future<i32> {
    gen_::coroutine(move |_co| x.checked_div(y).ok_or_else(|| Error::msg("division by zero")))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Without a logger, failures in the background (item 11) are not seen.
    env_logger::init();
    let io_loop = IOLoop::new();
    let started = Instant::now();
    let elapsed = move || format!("{:>4} ms", started.elapsed().as_millis());

    io_loop.run_sync(
        move || {
            gen_::coroutine(move |co| {
                // 1. Yield a future: the coroutine waits without blocking.
                let body = co.yield_(fetch("http://example.com/a", 20))?;
                println!("{} fetched one: {body}", elapsed());

                // 2. Parallelism: yield a list; results come back in order.
                let bodies = co.yield_(vec![fetch("/b", 30), fetch("/c", 10)])?;
                println!("{} fetched two in parallel: {bodies:?}", elapsed());

                // 3. Errors arrive at the yield point, as exceptions do.
                match co.yield_(divide(1, 0)) {
                    Ok(v) => println!("unexpected: {v}"),
                    Err(e) => println!("{} caught: {e}", elapsed()),
                }

                // 4. Interleaving: start work, do something else, then wait.
                let next_chunk = fetch("/chunk", 15);
                let other = co.yield_(fetch("/other", 5))?;
                let chunk = co.yield_(next_chunk)?;
                println!("{} interleaved: {other} then {chunk}", elapsed());

                // 5. Running in the background: a loop started with
                //    spawn_callback that sleeps between runs.
                IOLoop::current().spawn_callback(move || {
                    gen_::coroutine(move |co| {
                        for tick in 1..=3 {
                            let nxt = gen_::sleep(Duration::from_millis(10)); // start the clock
                            println!("{} background tick {tick}", elapsed());
                            co.yield_(nxt)?; // wait for the timer to run out
                        }
                        Ok(())
                    })
                });
                co.yield_(gen_::sleep(Duration::from_millis(40)))?;

                // 6. `moment` lets other coroutines run for one iteration.
                co.yield_(gen_::moment)?;

                // 7. Results as they finish, errors included: WaitIterator.
                let wait_iterator = gen_::WaitIterator::new(vec![
                    fetch("/slow", 30),
                    gen_::coroutine(|_co| Err(Error::msg("404 on /missing"))),
                    fetch("/fast", 5),
                ]);
                for (index, result) in co.wait_iter(&wait_iterator) {
                    match result {
                        Ok(body) => println!("{} input {index} finished: {body}", elapsed()),
                        Err(e) => println!("{} input {index} failed: {e}", elapsed()),
                    }
                }

                // 8. Give up waiting after a deadline (the work is not cancelled).
                match co.yield_(gen_::with_timeout(
                    Duration::from_millis(10),
                    fetch("/hang", 1000),
                )) {
                    Err(e) if e.is::<gen_::TimeoutError>() => println!("{} gave up: {e}", elapsed()),
                    other => println!("unexpected: {other:?}"),
                }

                // 9. A blocking function on a thread pool, yielded directly.
                let pool = ThreadPoolExecutor::new(2);
                let primes = co.yield_(pool.submit(|| (2u32..20_000).filter(|n| is_prime(*n)).count()))?;
                println!("{} a pool thread counted {primes} primes", elapsed());

                // 10. Native coroutines: Rust async code, awaiting gust futures.
                let native = gen_::native(async {
                    let body = fetch("/from-async", 5).await?;
                    Ok::<_, Error>(body.len())
                });
                let length = co.yield_(native)?;
                println!("{} an async block fetched {length} bytes", elapsed());

                // 11. A failure nobody waits for: a coroutine started with
                //     spawn_callback has no caller to hand its error to, so
                //     the loop logs it ("Exception in callback ...", on the
                //     `gust::application` target): the logger shows it.
                IOLoop::current().spawn_callback(|| {
                    gen_::coroutine::<(), _>(|co| {
                        co.yield_(gen_::moment)?;
                        Err(Error::msg("a background job failed and nobody was waiting"))
                    })
                });
                co.yield_(gen_::sleep(Duration::from_millis(1)))?;
                println!("{} a background failure was logged (see stderr)", elapsed());

                println!("{} done", elapsed());
                Ok(())
            })
        },
        Some(Duration::from_secs(5)),
    )?;
    Ok(())
}
