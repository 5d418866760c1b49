//! Executors: run blocking functions on other threads, and get their
//! results as futures on the loop (Tornado's `ThreadPoolExecutor` and
//! `IOLoop.run_in_executor`).

use std::collections::VecDeque;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gust_ioloop::protocol::{lock, spin_until, wait};
use gust_ioloop::{Extension, IOLoop};
use thiserror::Error as ThisError;

use crate::error::{Error, PanicError};
use crate::future::Future;
use crate::remote::remote_future;

/// The executor was shut down before the job ran (Python's
/// `RuntimeError('cannot schedule new futures after shutdown')`, or a
/// queued future cancelled by `shutdown(cancel_futures=True)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ThisError)]
#[error("the executor was shut down before the job ran")]
pub struct ExecutorShutdownError;

/// A unit of work handed to an [`Executor`]. Running it computes the
/// result; cancelling it (or dropping it unrun) gives its future an
/// [`ExecutorShutdownError`].
pub struct Job {
    work: Option<Box<dyn FnOnce(bool) + Send>>,
}

impl Job {
    fn new(work: impl FnOnce(bool) + Send + 'static) -> Job {
        Job {
            work: Some(Box::new(work)),
        }
    }

    /// Runs the job on the calling thread.
    pub fn run(mut self) {
        if let Some(work) = self.work.take() {
            work(true);
        }
    }

    /// Gives up on the job: its future fails with
    /// [`ExecutorShutdownError`].
    pub fn cancel(mut self) {
        if let Some(work) = self.work.take() {
            work(false);
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        if let Some(work) = self.work.take() {
            work(false);
        }
    }
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Job")
    }
}

/// Something that runs [`Job`]s, usually on other threads (Python's
/// `concurrent.futures.Executor`).
pub trait Executor: Send + Sync {
    /// Runs `job` some time, somewhere. An executor that cannot run it
    /// cancels it (or drops it).
    fn execute(&self, job: Job);
}

/// Submits `work` to `executor`; the returned future (on the current loop)
/// gets its result. A panic in `work` becomes a [`PanicError`].
pub fn submit_to<E, F, T>(executor: &E, work: F) -> Future<T>
where
    E: Executor + ?Sized,
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match IOLoop::try_current() {
        Ok(io_loop) => submit_on(&io_loop, executor, work),
        // No loop to deliver the result to (out of file descriptors).
        Err(error) => Future::failed(error),
    }
}

/// Like [`submit_to`], delivering the result on `io_loop`.
pub(crate) fn submit_on<E, F, T>(io_loop: &IOLoop, executor: &E, work: F) -> Future<T>
where
    E: Executor + ?Sized,
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (future, setter) = remote_future(io_loop);
    executor.execute(Job::new(move |run| {
        let outcome: Result<T, Error> = if run {
            catch_unwind(AssertUnwindSafe(work))
                .map_err(|payload| Error::new(PanicError::from_panic(&*payload, None)))
        } else {
            Err(Error::new(ExecutorShutdownError))
        };
        // Back to the loop's thread; if the loop is gone, so is the future.
        setter.set(outcome);
    }));
    future
}

/// A pool of threads running blocking functions (Python's
/// `concurrent.futures.ThreadPoolExecutor`).
///
/// [`submit`](ThreadPoolExecutor::submit) returns a future on the current
/// loop, which a coroutine can yield directly, as Tornado's decorated
/// coroutines yield `executor.submit(...)`:
///
/// ```
/// use gust::concurrent::ThreadPoolExecutor;
/// use gust::ioloop::{IOLoop, IOLoopExt};
///
/// let io_loop = IOLoop::new();
/// let pool = ThreadPoolExecutor::new(4);
/// let answer = io_loop
///     .run_sync(move || pool.submit(|| (1..=10).sum::<u32>()), None)
///     .unwrap();
/// assert_eq!(answer, 55);
/// ```
///
/// The result type must be `Send` (it crosses threads); the future is not.
/// Threads are started as work arrives, up to `max_workers`. Dropping the
/// last handle lets queued work finish, then the threads exit.
pub struct ThreadPoolExecutor {
    shared: Arc<Pool>,
}

impl Clone for ThreadPoolExecutor {
    fn clone(&self) -> Self {
        self.shared.handles.fetch_add(1, Ordering::AcqRel);
        ThreadPoolExecutor {
            shared: self.shared.clone(),
        }
    }
}

struct Pool {
    max_workers: usize,
    state: Mutex<PoolState>,
    work_ready: Condvar,
    threads: Mutex<Vec<JoinHandle<()>>>,
    handles: AtomicUsize,
    /// Jobs queued, readable without the lock (for workers spinning).
    queued: AtomicUsize,
    /// When the last job was queued, in nanoseconds since `epoch` (for
    /// workers deciding whether spinning would have caught it).
    last_queued: AtomicU64,
    epoch: Instant,
}

impl Pool {
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// How long an idle worker looks for new work before it sleeps: a
/// coroutine that submits one job after another gets its next one to a
/// worker without a thread wake-up (only on machines with more than one
/// CPU). Adaptive: see [`SpinPolicy`].
const WORKER_SPIN: Duration = Duration::from_micros(20);

/// A job that arrives sooner than this after a worker went idle would have
/// been worth spinning for (a spin that catches it saves a thread wake-up,
/// tens of microseconds on a busy machine): the worker spins again.
const SPIN_WORTHWHILE: Duration = Duration::from_micros(200);

/// Spins in a row that found nothing before a worker stops spinning.
const SPIN_FAILURES: u8 = 3;

/// Whether an idle worker spins before it sleeps.
///
/// Spinning pays when the next job comes within the spin (a coroutine
/// submitting jobs one after another), and only costs CPU when jobs are
/// further apart (one a millisecond: a 20 µs spin per job adds a fifth to
/// the process's CPU time). So a worker stops spinning after a few spins in
/// a row found nothing, and starts again once a job arrives soon after it
/// went idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SpinPolicy {
    failures: u8,
}

impl SpinPolicy {
    pub(crate) fn new() -> SpinPolicy {
        SpinPolicy { failures: 0 }
    }

    /// Whether to spin before sleeping this time.
    pub(crate) fn should_spin(&self) -> bool {
        self.failures < SPIN_FAILURES
    }

    /// A spin ended: it found work, or not.
    pub(crate) fn spun(&mut self, found_work: bool) {
        self.failures = if found_work {
            0
        } else {
            self.failures.saturating_add(1)
        };
    }

    /// The worker slept, and a job arrived `idle` after it went idle.
    pub(crate) fn arrived_after(&mut self, idle: Duration) {
        if idle < SPIN_WORTHWHILE {
            self.failures = 0;
        }
    }
}

struct PoolState {
    jobs: VecDeque<Job>,
    idle: usize,
    workers: usize,
    shutdown: bool,
}

impl ThreadPoolExecutor {
    /// A pool of at most `max_workers` threads (at least one).
    pub fn new(max_workers: usize) -> ThreadPoolExecutor {
        ThreadPoolExecutor {
            shared: Arc::new(Pool {
                max_workers: max_workers.max(1),
                state: Mutex::new(PoolState {
                    jobs: VecDeque::new(),
                    idle: 0,
                    workers: 0,
                    shutdown: false,
                }),
                work_ready: Condvar::new(),
                threads: Mutex::new(Vec::new()),
                handles: AtomicUsize::new(1),
                queued: AtomicUsize::new(0),
                last_queued: AtomicU64::new(0),
                epoch: Instant::now(),
            }),
        }
    }

    /// The pool Tornado's `run_in_executor(None, ...)` would use: five
    /// threads per CPU.
    pub fn with_default_size() -> ThreadPoolExecutor {
        let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        ThreadPoolExecutor::new(cpus * 5)
    }

    /// Runs `work` on a pool thread; its result arrives in the returned
    /// future on the current loop. A panic in `work` becomes a
    /// [`PanicError`]; after [`shutdown`](Self::shutdown) the future fails
    /// with [`ExecutorShutdownError`].
    pub fn submit<F, T>(&self, work: F) -> Future<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        submit_to(self, work)
    }

    /// Stops accepting work. Queued jobs still run, unless `cancel_futures`
    /// is set, in which case their futures fail with
    /// [`ExecutorShutdownError`]. With `wait`, blocks until every thread has
    /// exited (do not wait from the loop's thread for work that needs the
    /// loop).
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let cancelled: Vec<Job> = {
            let mut state = lock(&self.shared.state);
            state.shutdown = true;
            if cancel_futures {
                self.shared.queued.store(0, Ordering::Release);
                state.jobs.drain(..).collect()
            } else {
                Vec::new()
            }
        };
        self.shared.work_ready.notify_all();
        for job in cancelled {
            job.cancel();
        }
        if wait {
            let threads = std::mem::take(&mut *lock(&self.shared.threads));
            for thread in threads {
                let _ = thread.join();
            }
        }
    }

    /// The maximum number of threads.
    pub fn max_workers(&self) -> usize {
        self.shared.max_workers
    }

    fn spawn_worker(&self) {
        let shared = self.shared.clone();
        let index = {
            let threads = lock(&self.shared.threads);
            threads.len()
        };
        let spawned = std::thread::Builder::new()
            .name(format!("gust-executor-{index}"))
            .spawn(move || worker(shared));
        match spawned {
            Ok(handle) => lock(&self.shared.threads).push(handle),
            Err(_) => {
                // No thread: the queued job waits for an existing worker,
                // or is cancelled below if there is none.
                let orphans: Vec<Job> = {
                    let mut state = lock(&self.shared.state);
                    state.workers -= 1;
                    if state.workers == 0 {
                        self.shared.queued.store(0, Ordering::Release);
                        state.jobs.drain(..).collect()
                    } else {
                        Vec::new()
                    }
                };
                for job in orphans {
                    job.cancel();
                }
            }
        }
    }
}

impl Executor for ThreadPoolExecutor {
    fn execute(&self, job: Job) {
        let spawn = {
            let mut state = lock(&self.shared.state);
            if state.shutdown {
                drop(state);
                job.cancel();
                return;
            }
            state.jobs.push_back(job);
            self.shared.queued.store(state.jobs.len(), Ordering::Release);
            self.shared
                .last_queued
                .store(self.shared.now(), Ordering::Relaxed);
            // Every queued job needs a worker of its own: start one unless
            // enough are idle (Python's _adjust_thread_count claims an idle
            // worker per submit).
            if state.jobs.len() > state.idle && state.workers < self.shared.max_workers {
                state.workers += 1;
                true
            } else {
                false
            }
        };
        if spawn {
            self.spawn_worker();
        } else {
            self.shared.work_ready.notify_one();
        }
    }
}

fn worker(pool: Arc<Pool>) {
    let mut policy = SpinPolicy::new();
    loop {
        let job = {
            let mut state = lock(&pool.state);
            loop {
                if let Some(job) = state.jobs.pop_front() {
                    pool.queued.store(state.jobs.len(), Ordering::Release);
                    break Some(job);
                }
                if state.shutdown {
                    break None;
                }
                state.idle += 1;
                drop(state);
                let idle_since = pool.now();
                // Look for work a little while before sleeping (only where
                // another CPU can bring some meanwhile, and only while
                // that has been worth it).
                if policy.should_spin() {
                    let found = spin_until(WORKER_SPIN, || pool.queued.load(Ordering::Acquire) != 0);
                    policy.spun(found);
                }
                state = lock(&pool.state);
                if state.jobs.is_empty() && !state.shutdown {
                    state = wait(&pool.work_ready, state);
                    if !state.jobs.is_empty() {
                        let arrived = pool.last_queued.load(Ordering::Relaxed);
                        policy.arrived_after(Duration::from_nanos(arrived.saturating_sub(idle_since)));
                    }
                }
                state.idle -= 1;
            }
        };
        match job {
            Some(job) => job.run(),
            None => return,
        }
    }
}

impl Drop for ThreadPoolExecutor {
    fn drop(&mut self) {
        // The last user handle (worker threads hold the pool too): let
        // queued work finish, then stop.
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shutdown(false, false);
        }
    }
}

impl fmt::Debug for ThreadPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.shared.state);
        f.debug_struct("ThreadPoolExecutor")
            .field("max_workers", &self.shared.max_workers)
            .field("workers", &state.workers)
            .field("queued", &state.jobs.len())
            .field("shutdown", &state.shutdown)
            .finish()
    }
}

/// Runs jobs at once on the calling thread (Tornado's
/// `concurrent.dummy_executor`). The result still arrives through the
/// loop, in its next iteration.
#[derive(Debug, Clone, Copy, Default)]
pub struct DummyExecutor;

impl Executor for DummyExecutor {
    fn execute(&self, job: Job) {
        job.run();
    }
}

/// The loop's default executor for `run_in_executor(None, ...)`.
#[derive(Default)]
pub(crate) struct DefaultExecutor {
    pub(crate) executor: std::cell::RefCell<Option<Arc<dyn Executor>>>,
}

impl Extension for DefaultExecutor {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spinning_stops_after_failures_and_resumes_when_work_comes_soon() {
        let mut policy = SpinPolicy::new();
        assert!(policy.should_spin(), "a new worker spins");
        policy.spun(false);
        policy.spun(true);
        assert!(policy.should_spin(), "a spin that found work resets the count");
        // Jobs a millisecond apart: every spin finds nothing, and after a
        // few the worker stops spinning; late jobs change nothing.
        for _ in 0..SPIN_FAILURES {
            assert!(policy.should_spin());
            policy.spun(false);
        }
        assert!(!policy.should_spin());
        policy.arrived_after(Duration::from_millis(1));
        assert!(!policy.should_spin());
        // Jobs one after another again: one soon after going idle.
        policy.arrived_after(Duration::from_micros(30));
        assert!(policy.should_spin());
    }
}
