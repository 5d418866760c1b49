//! What a `gen_test` on its default autojump clock waits for before it
//! jumps: work promised from other threads (executor jobs, a
//! `RemoteSetter` handed to a thread). Tornado's `gen_test` runs on the
//! real clock, where these tests would pass as well; on a clock that
//! jumped while a thread worked, the `with_timeout` would fire at once.

use super::*;

use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Instant;

use gust::concurrent::{ExecutorShutdownError, ThreadPoolExecutor, remote_future, submit_to};
use gust::error::PanicError;
use gust::gen_::TimeoutError;

/// How long a job on another thread works.
const JOB: Duration = Duration::from_millis(20);

/// The timeout a job must beat: far longer, on the loop's clock.
const TEN_SECONDS: Duration = Duration::from_secs(10);

fn slow_answer() -> u32 {
    thread::sleep(JOB);
    42
}

/// A flag one thread waits for (at most five seconds, so that nothing
/// hangs) and another sets.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }

    fn wait(&self) -> bool {
        let guard = self.0.0.lock().unwrap();
        let (guard, _) = self
            .0
            .1
            .wait_timeout_while(guard, Duration::from_secs(5), |open| !*open)
            .unwrap();
        *guard
    }
}

/// [`gen_test`] with a timeout of two hours on the loop's clock, so that
/// [`assert_jumps_again`]'s hour fits in it.
fn run(body: impl FnOnce(&Co) -> Result<(), Error> + 'static) {
    GenTest::new().timeout(Duration::from_secs(7200)).run(body)
}

/// After the promised work is over, the clock jumps again: an hour's
/// sleep takes no real time, and nothing is left promised.
fn assert_jumps_again(co: &Co) -> Result<(), Error> {
    let io_loop = IOLoop::current();
    assert_eq!(io_loop.handle().pending_work(), 0, "every promise was released");
    let started = Instant::now();
    let before = io_loop.time();
    co.yield_(gen_::sleep(Duration::from_secs(3600)))?;
    assert!(io_loop.time() - before >= Duration::from_secs(3600));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the hour passed on the clock, not in real time"
    );
    Ok(())
}

#[test]
fn run_in_executor_is_waited_for() {
    run(|co| {
        let job = IOLoop::current().run_in_executor(None, slow_answer);
        assert_eq!(co.yield_(gen_::with_timeout(TEN_SECONDS, job))?, 42);
        assert_jumps_again(co)
    });
}

#[test]
fn submit_to_a_thread_pool_is_waited_for() {
    run(|co| {
        let pool = ThreadPoolExecutor::new(2);
        let job = submit_to(&pool, slow_answer);
        assert_eq!(co.yield_(gen_::with_timeout(TEN_SECONDS, job))?, 42);
        assert_jumps_again(co)
    });
}

#[test]
fn a_remote_future_set_from_a_thread_is_waited_for() {
    run(|co| {
        let (future, setter) = remote_future::<u32>(&IOLoop::current());
        let worker = thread::spawn(move || {
            setter.set_result(slow_answer());
        });
        assert_eq!(co.yield_(gen_::with_timeout(TEN_SECONDS, future))?, 42);
        worker.join().unwrap();
        assert_jumps_again(co)
    });
}

#[test]
fn a_remote_setter_dropped_on_its_thread_releases_the_promise() {
    run(|co| {
        let (future, setter) = remote_future::<u32>(&IOLoop::current());
        assert_eq!(IOLoop::current().handle().pending_work(), 1);
        thread::spawn(move || drop(setter)).join().unwrap();
        // The loop lets go of the future (on its thread), and then of the
        // promise: within a few iterations.
        for _ in 0..3 {
            co.yield_(gen_::moment)?;
        }
        assert!(!future.done());
        assert_jumps_again(co)
    });
}

#[test]
fn the_timeout_still_fires_in_real_time_when_the_job_takes_longer() {
    // While a job is under way the clock follows real time, as a real
    // clock would: a timeout shorter than the job fires.
    let gate = Gate::default();
    let opened = gate.clone();
    run(move |co| {
        let io_loop = IOLoop::current();
        let job = io_loop.run_in_executor(None, move || gate.wait());
        let started = Instant::now();
        let error = co
            .yield_(gen_::with_timeout(Duration::from_millis(30), job.clone()))
            .unwrap_err();
        assert!(error.is::<TimeoutError>(), "{error}");
        assert!(
            started.elapsed() >= Duration::from_millis(30),
            "it waited in real time"
        );
        opened.open();
        assert!(co.yield_(job)?, "the job ran to its end");
        assert_jumps_again(co)
    });
}

#[test]
fn a_job_that_panics_releases_its_promise() {
    run(|co| {
        let job = IOLoop::current().run_in_executor(None, || -> u32 {
            thread::sleep(JOB);
            panic!("job failed")
        });
        let error = co.yield_(gen_::with_timeout(TEN_SECONDS, job)).unwrap_err();
        assert!(error.is::<PanicError>(), "{error}");
        assert_jumps_again(co)
    });
}

#[test]
fn a_job_cancelled_by_shutdown_releases_its_promise() {
    let gate = Gate::default();
    let opened = gate.clone();
    run(move |co| {
        let pool = ThreadPoolExecutor::new(1);
        let started = Gate::default();
        let has_started = started.clone();
        let running = pool.submit(move || {
            started.open();
            gate.wait()
        });
        // Blocks the loop's thread briefly: the job is on its worker, so
        // the next one stays queued.
        assert!(has_started.wait());
        let queued = pool.submit(|| 1);
        assert_eq!(IOLoop::current().handle().pending_work(), 2);
        pool.shutdown(false, true);
        let error = co.yield_(queued).unwrap_err();
        assert!(error.is::<ExecutorShutdownError>(), "{error}");
        opened.open();
        assert!(co.yield_(gen_::with_timeout(TEN_SECONDS, running))?);
        assert_jumps_again(co)
    });
}

#[test]
fn a_test_timeout_names_the_work_still_promised() {
    // The test's own timeout fires (in real time: the clock follows it
    // while the job works) and says what it was still waiting for.
    let gate = Gate::default();
    let opened = gate.clone();
    let error = GenTest::new()
        .timeout(Duration::from_millis(50))
        .try_run(move |co| {
            co.yield_(IOLoop::current().run_in_executor(None, move || gate.wait()))?;
            Ok(())
        })
        .unwrap_err();
    opened.open();
    let message = error.to_string();
    assert!(
        message.starts_with("Operation timed out after 0.05 seconds"),
        "{message}"
    );
    assert!(
        message.contains("\n  1 job on other threads not delivered yet"),
        "{message}"
    );
}
