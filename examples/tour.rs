//! A tour of gust: Tornado's coroutine patterns, in Rust.
//!
//! Run with `cargo run --example tour`. The tour starts an `HTTPServer` on
//! 127.0.0.1 (a free port) in this process and fetches pages from it with
//! the `AsyncHTTPClient`: real sockets, one thread, one loop. Each page
//! answers after the number of milliseconds in its query (`?ms=30`).
//!
//! Failures nobody waits for are reported through the `log` crate, so
//! `main` installs a logger (`env_logger`): it prints errors by default, and
//! with `RUST_LOG=debug` every step of the Runner too.
use std::time::{Duration, Instant};

use gust::concurrent::{Future, ThreadPoolExecutor};
use gust::gen_;
use gust::httpclient::{AsyncHTTPClient, HTTPError};
use gust::httpserver::{HTTPServer, ResponseWriter, Router};
use gust::httputil::HTTPServerRequest;
use gust::prelude::*;

/// The server's handler for `/page/*`: waits `ms` milliseconds (without
/// blocking the loop), then answers.
fn page(request: HTTPServerRequest, writer: ResponseWriter) -> Future<()> {
    let ms = request
        .get_argument("ms")
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(0);
    gen_::coroutine(move |co| {
        co.yield_(gen_::sleep(Duration::from_millis(ms)))?;
        writer.write(format!("<body of {}>", request.path));
        Ok(())
    })
}

/// Tornado: `@gen.coroutine def fetch(url): response = yield
/// AsyncHTTPClient().fetch(url); return response.body`
fn fetch(url: String) -> Future<String> {
    gen_::coroutine(move |co| {
        let response = co.yield_(AsyncHTTPClient::new().fetch(url))?;
        Ok(response.body_str().into_owned())
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

    // 0. A web server in the same process, on the same loop.
    let server = HTTPServer::new(Router::new().get("/page/*", page));
    server.listen(0, "127.0.0.1")?;
    let base = format!("http://127.0.0.1:{}", server.local_addrs()[0].port());
    println!("{} serving on {base}", elapsed());
    let url = move |path: &str| format!("{base}{path}");

    io_loop.run_sync(
        move || {
            gen_::coroutine(move |co| {
                // 1. Yield a future: the coroutine waits without blocking.
                let body = co.yield_(fetch(url("/page/a?ms=20")))?;
                println!("{} fetched one: {body}", elapsed());

                // 2. Parallelism: yield a list; results come back in order,
                //    after the slowest one (30 ms), not the sum (40 ms).
                let t0 = Instant::now();
                let bodies = co.yield_(vec![fetch(url("/page/b?ms=30")), fetch(url("/page/c?ms=10"))])?;
                let took = t0.elapsed().as_millis();
                println!(
                    "{} fetched two in parallel in {took} ms (30 + 10 in a row): {bodies:?}",
                    elapsed()
                );

                // 3. Errors arrive at the yield point, as exceptions do: a
                //    failed coroutine, and a 404 from the server.
                match co.yield_(divide(1, 0)) {
                    Ok(v) => println!("unexpected: {v}"),
                    Err(e) => println!("{} caught: {e}", elapsed()),
                }
                match co.yield_(fetch(url("/missing"))) {
                    Err(e) if e.is::<HTTPError>() => println!("{} caught: {e}", elapsed()),
                    other => println!("unexpected: {other:?}"),
                }

                // 4. Interleaving: start work, do something else, then wait.
                let next_chunk = fetch(url("/page/chunk?ms=15"));
                let other = co.yield_(fetch(url("/page/other?ms=5")))?;
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
                    fetch(url("/page/slow?ms=30")),
                    fetch(url("/missing")),
                    fetch(url("/page/fast?ms=5")),
                ]);
                for (index, result) in co.wait_iter(&wait_iterator) {
                    match result {
                        Ok(body) => println!("{} input {index} finished: {body}", elapsed()),
                        Err(e) => println!("{} input {index} failed: {e}", elapsed()),
                    }
                }

                // 8. Give up waiting after a deadline (the work is not
                //    cancelled: `&slow` keeps the fetch for later).
                let slow = fetch(url("/page/late?ms=50"));
                match co.yield_(gen_::with_timeout(Duration::from_millis(10), &slow)) {
                    Err(e) if e.is::<gen_::TimeoutError>() => println!("{} gave up: {e}", elapsed()),
                    other => println!("unexpected: {other:?}"),
                }

                // 9. A blocking function on a thread pool, yielded directly.
                let pool = ThreadPoolExecutor::new(2);
                let primes = co.yield_(pool.submit(|| (2u32..20_000).filter(|n| is_prime(*n)).count()))?;
                println!("{} a pool thread counted {primes} primes", elapsed());

                // 10. Native coroutines: Rust async code, awaiting gust futures.
                let from_async = url("/page/from-async?ms=5");
                let native = gen_::native(async move {
                    let response = AsyncHTTPClient::new().fetch(from_async).await?;
                    Ok::<_, Error>(response.body.len())
                });
                let length = co.yield_(native)?;
                println!("{} an async block fetched {length} bytes", elapsed());
                let late = co.yield_(slow)?; // item 8's fetch went on
                println!(
                    "{} the fetch given up on in 8 finished after all: {late}",
                    elapsed()
                );

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
