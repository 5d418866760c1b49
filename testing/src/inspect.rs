//! What a loop's coroutines and native tasks are waiting on, in words.

use std::fmt;
use std::time::Instant;

use gust_engine::{RunnerInfo, RunnerState, WaitingOn, runners};
use gust_ioloop::IOLoop;
use gust_yieldables::{TaskInfo, TaskState, tasks};

/// Something on a loop that has not finished: a decorated coroutine
/// (suspended) or a native task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// A suspended decorated coroutine.
    Coroutine(RunnerInfo),
    /// A native task.
    Task(TaskInfo),
}

/// Every suspended coroutine and unfinished native task of `io_loop`,
/// coroutines first (both in slot order).
///
/// ```
/// use std::time::Duration;
/// use gust::gen_;
/// use gust::ioloop::{IOLoop, ManualClock};
/// use gust::testing::{Pending, pending};
///
/// let io_loop = IOLoop::with_clock(ManualClock::new());
/// let _napper = gust::gen_::Builder::new()
///     .name("napper")
///     .spawn(|co| co.yield_(gen_::sleep(Duration::from_secs(3))));
/// let all = pending(&io_loop);
/// assert!(matches!(&all[..], [Pending::Coroutine(info)] if info.name == "napper"));
/// ```
pub fn pending(io_loop: &IOLoop) -> Vec<Pending> {
    let mut all: Vec<Pending> = runners(io_loop).into_iter().map(Pending::Coroutine).collect();
    all.extend(tasks(io_loop).into_iter().map(Pending::Task));
    all
}

/// [`pending`] as lines of text, one per coroutine or task, with times
/// relative to the loop's clock: what a timed-out test prints.
///
/// ```
/// use std::time::Duration;
/// use gust::gen_;
/// use gust::ioloop::{IOLoop, ManualClock};
///
/// let io_loop = IOLoop::with_clock(ManualClock::new());
/// let _napper = gen_::Builder::new()
///     .name("napper")
///     .spawn(|co| co.yield_(gen_::sleep(Duration::from_secs(3))));
/// assert_eq!(
///     gust::testing::describe_pending(&io_loop),
///     ["coroutine #1 (napper): parked on a sleep, ending in 3 s"],
/// );
/// ```
pub fn describe_pending(io_loop: &IOLoop) -> Vec<String> {
    let now = io_loop.time();
    pending(io_loop)
        .iter()
        .map(|p| Described { pending: p, now }.to_string())
        .collect()
}

struct Described<'a> {
    pending: &'a Pending,
    now: Instant,
}

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pending {
            Pending::Coroutine(info) => {
                write!(f, "coroutine {} ({}): ", info.id, info.name)?;
                let (word, on) = match info.state {
                    RunnerState::Running => return f.write_str("running"),
                    RunnerState::Parked(on) => ("parked on", on),
                    RunnerState::Scheduled(on) => ("resuming next iteration from", on),
                };
                write!(f, "{word} {}", WaitingOnAt { on, now: self.now })
            }
            Pending::Task(task) => {
                let state = match task.state {
                    TaskState::Running => "running",
                    TaskState::Scheduled => "polled next iteration",
                    TaskState::Pending => "waiting for its waker",
                };
                write!(f, "native task {} ({}): {state}", task.id, task.name)
            }
        }
    }
}

/// A [`WaitingOn`] with its instants said relative to `now`.
struct WaitingOnAt {
    on: WaitingOn,
    now: Instant,
}

impl fmt::Display for WaitingOnAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let relative = |until: Instant| match until.checked_duration_since(self.now) {
            Some(left) => format!("in {} s", left.as_secs_f64()),
            None => "now".to_owned(),
        };
        match self.on {
            WaitingOn::Sleep { until } => write!(f, "a sleep, ending {}", relative(until)),
            WaitingOn::Timeout { until } => write!(f, "a with_timeout, timing out {}", relative(until)),
            on => write!(f, "{on}"),
        }
    }
}
