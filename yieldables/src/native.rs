//! Native coroutines: Rust `async` code on the IOLoop.
//!
//! Tornado has two kinds of coroutine: decorated ones (`@gen.coroutine`,
//! generators driven by Tornado's Runner) and native ones (`async def`,
//! driven by asyncio's Task). gust's decorated coroutines are stackful
//! closures; its native coroutines are Rust `async` blocks and `async fn`s,
//! driven by the tasks in this module. The two mix freely:
//!
//! * `async` code can `.await` any gust [`Future`], including a decorated
//!   coroutine's;
//! * [`IOLoopExt::spawn`](crate::IOLoopExt::spawn) (or `spawn_callback(||
//!   native(...))`) runs an `async` block as a task on the loop and returns
//!   a gust `Future` for its output;
//! * a decorated coroutine yields an `async` block through [`native`]
//!   (`co.yield_(native(fetch()))`), which spawns it, as Tornado's
//!   `convert_yielded` wraps a native coroutine in a Task; or awaits it on
//!   its own stack with `co.await_`.
//!
//! A task's output becomes its future's result or error; an uncaught
//! [`CancelledError`](crate::CancelledError) cancels the future, as
//! asyncio's Task (and Tornado 6.6) do.
//!
//! Like Python's native coroutines, a Rust future does nothing until it is
//! awaited or spawned; a decorated coroutine starts at once. A spawned task
//! is first polled in the loop's next iteration (as asyncio's Task), and is
//! polled again only from the loop, never re-entrantly from a wake.
//!
//! A task's waker is `Send + Sync`: waking from the loop's own thread pushes
//! the task onto the loop's ready queue; waking from another thread goes
//! through the loop's thread-safe handle, which wakes a sleeping loop.
//! Repeated wakes before the task runs again are coalesced into one poll.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use gust_ioloop::protocol::{SlotOverflowError, SlotToken, ThreadMark, on_thread};
use gust_ioloop::{CallbackResult, Extension, IOLoop, LoopHandle};
use slab::Slab;

use crate::error::{Error, LoopClosedError, PanicError};
use crate::future::{Future, Label, set_task_outcome};
use crate::yieldable::{Extract, Yieldable, Yielded};

/// What a native coroutine's output means as a result: a `Result` whose
/// error converts into [`Error`], or `()` (always a success).
pub trait IntoResult {
    /// The success value.
    type Ok: 'static;
    /// The output as a result.
    fn into_result(self) -> Result<Self::Ok, Error>;
}

impl<T: 'static, E: Into<Error>> IntoResult for Result<T, E> {
    type Ok = T;
    fn into_result(self) -> Result<T, Error> {
        self.map_err(Into::into)
    }
}

impl IntoResult for () {
    type Ok = ();
    fn into_result(self) -> Result<(), Error> {
        Ok(())
    }
}

/// A Rust future (an `async` block or `async fn` call: a native coroutine)
/// made yieldable; see [`native`].
pub struct Native<F>(pub F);

/// Marks a Rust future as a native coroutine, so a decorated coroutine can
/// yield it (`co.yield_(native(fetch()))`), `multi`, `with_timeout` and
/// `WaitIterator` can take it, and `spawn_callback(|| native(...))` can
/// start it. Yielding or converting it spawns it as a task on the current
/// loop (Tornado's `convert_yielded` of a native coroutine).
///
/// Rust cannot make every `std::future::Future` yieldable directly: the
/// blanket impl would overlap with yieldable `Vec`s and tuples, which the
/// standard library could one day make futures. Hence this wrapper.
///
/// ```
/// use gust::Error;
/// use gust::gen_::{Yieldable, native};
/// use gust::ioloop::{IOLoop, IOLoopExt};
///
/// async fn answer() -> Result<u32, Error> {
///     Ok(42)
/// }
///
/// let io_loop = IOLoop::new();
/// assert_eq!(io_loop.run_sync(|| native(answer()), None).unwrap(), 42);
/// ```
pub fn native<F>(future: F) -> Native<F>
where
    F: std::future::Future + 'static,
    F::Output: IntoResult,
{
    Native(future)
}

impl<F> fmt::Debug for Native<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Native<{}>", std::any::type_name::<F>())
    }
}

impl<F> Yieldable for Native<F>
where
    F: std::future::Future + 'static,
    F::Output: IntoResult,
{
    type Output = <F::Output as IntoResult>::Ok;

    fn convert_yielded(self) -> Future<Self::Output> {
        match IOLoop::try_current() {
            Ok(io_loop) => spawn_on(&io_loop, self.0),
            // No loop to run it on (out of file descriptors).
            Err(error) => Future::failed(error),
        }
    }

    fn into_yielded(self) -> Yielded<Self::Output> {
        Yielded::Future(self.convert_yielded(), Extract::Take)
    }
}

/// `spawn_callback(|| native(async { ... }))` spawns the task; its failure
/// is logged as `Exception in callback ...`.
impl<F> CallbackResult for Native<F>
where
    F: std::future::Future + 'static,
    F::Output: IntoResult,
{
    fn finish(self, io_loop: &IOLoop, name: &'static str, then: Option<Box<dyn FnOnce()>>) {
        spawn_on(io_loop, self.0).finish(io_loop, name, then);
    }
}

/// The tasks of one loop.
#[derive(Default)]
pub(crate) struct Tasks {
    slots: RefCell<Slab<TaskSlot>>,
    next_generation: Cell<u32>,
    closing: Cell<bool>,
}

struct TaskSlot {
    generation: u32,
    /// The spawned future's type, for inspection.
    name: &'static str,
    /// `None` while it is being polled (moved out, so that polling clones
    /// no reference count).
    running: Option<Running>,
    /// Fails the task's result future (on a panic or when the loop closes).
    fail: Rc<dyn Fn(Error)>,
}

/// What polling a task needs.
struct Running {
    future: Pin<Box<dyn std::future::Future<Output = ()>>>,
    waker: Waker,
    wake: Arc<LoopWaker>,
}

impl Extension for Tasks {
    /// Drops every pending task (running its destructors); their futures
    /// fail with [`LoopClosedError`].
    ///
    /// A task whose destructor panics does not stop the others: every task
    /// is dropped and failed, then the first panic is resumed.
    fn close(&self, _io_loop: &IOLoop) {
        self.closing.set(true);
        let mut panicked = None;
        loop {
            let drained: Vec<TaskSlot> = self.slots.borrow_mut().drain().collect();
            if drained.is_empty() {
                break;
            }
            for slot in drained {
                let TaskSlot { running, fail, .. } = slot;
                let mut future = Some(running);
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| drop(future.take()))) {
                    panicked.get_or_insert(payload);
                }
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| fail(Error::new(LoopClosedError)))) {
                    panicked.get_or_insert(payload);
                }
            }
        }
        if let Some(payload) = panicked {
            std::panic::resume_unwind(payload);
        }
    }
}

/// Wakes something on a loop from any thread: a task to poll, or a
/// coroutine awaiting a Rust future on its own stack.
pub(crate) struct LoopWaker {
    loop_id: u64,
    /// The loop's thread: only there can the loop be current.
    thread: ThreadMark,
    handle: LoopHandle,
    token: u64,
    /// A poll is already scheduled: further wakes are coalesced.
    scheduled: AtomicBool,
    fire: fn(&IOLoop, u64),
}

impl LoopWaker {
    pub(crate) fn new(io_loop: &IOLoop, token: u64, fire: fn(&IOLoop, u64)) -> LoopWaker {
        LoopWaker {
            loop_id: io_loop.id(),
            thread: ThreadMark::current(),
            handle: io_loop.handle(),
            token,
            scheduled: AtomicBool::new(false),
            fire,
        }
    }

    /// Allows the next wake to schedule a poll (call before polling).
    pub(crate) fn rearm(&self) {
        // A read-modify-write, so that a wake coalesced into the previous
        // schedule is ordered before the poll that follows.
        self.scheduled.swap(false, Ordering::AcqRel);
    }

    /// Whether a poll is scheduled.
    fn is_scheduled(&self) -> bool {
        self.scheduled.load(Ordering::Acquire)
    }

    /// Marks a poll as scheduled without scheduling one (the first poll of
    /// a task is scheduled by `spawn`).
    fn mark_scheduled(&self) {
        self.scheduled.store(true, Ordering::Release);
    }
}

impl Wake for LoopWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        // On the loop's own thread (its loop is current there): straight
        // onto the ready queue, no allocation, no system call.
        if on_thread(self.thread) {
            if let Some(io_loop) = IOLoop::current_opt() {
                if io_loop.id() == self.loop_id {
                    io_loop.add_callback_raw(self.fire, self.token);
                    return;
                }
            }
        }
        // Elsewhere: through the thread-safe handle, which wakes the loop
        // (a function and a word: no allocation either). A closed loop has
        // nothing left to wake.
        let _ = self.handle.add_callback_raw(self.fire, self.token);
    }
}

/// Spawns `future` as a task on `io_loop`; it is first polled in the next
/// iteration.
pub(crate) fn spawn_on<F>(io_loop: &IOLoop, future: F) -> Future<<F::Output as IntoResult>::Ok>
where
    F: std::future::Future + 'static,
    F::Output: IntoResult,
{
    let result = Future::new();
    if io_loop.is_closed() {
        let _ = result.set_exception(LoopClosedError);
        return result;
    }
    let tasks = io_loop.extension::<Tasks>();
    if tasks.closing.get() {
        let _ = result.set_exception(LoopClosedError);
        return result;
    }
    let setter = result.clone();
    let task: Pin<Box<dyn std::future::Future<Output = ()>>> = Box::pin(async move {
        let outcome = future.await.into_result();
        let _ = set_task_outcome(&setter, outcome);
    });
    let failing = result.clone();
    let fail: Rc<dyn Fn(Error)> = Rc::new(move |error: Error| {
        if !failing.done() {
            let _ = failing.set_exception(error);
        }
    });
    let generation = tasks.next_generation.get().wrapping_add(1);
    tasks.next_generation.set(generation);
    result.set_label(Label::Task(u64::from(generation)));
    let mut slots = tasks.slots.borrow_mut();
    let entry = slots.vacant_entry();
    let token = match SlotToken::new(entry.key(), generation) {
        Ok(token) => token.to_u64(),
        Err(error) => {
            drop(slots);
            let _ = result.set_exception(error);
            return result;
        }
    };
    let wake = Arc::new(LoopWaker::new(io_loop, token, poll_task));
    wake.mark_scheduled();
    entry.insert(TaskSlot {
        generation,
        name: std::any::type_name::<F>(),
        running: Some(Running {
            future: task,
            waker: Waker::from(wake.clone()),
            wake,
        }),
        fail,
    });
    drop(slots);
    io_loop.add_callback_raw(poll_task, token);
    result
}

/// The loop callback that polls a task.
fn poll_task(io_loop: &IOLoop, token: u64) {
    let Some(tasks) = io_loop.find_extension::<Tasks>() else {
        return;
    };
    let token = SlotToken::from_u64(token);
    let (index, generation) = (token.index(), token.generation());
    let taken = match tasks.slots.borrow_mut().get_mut(index) {
        Some(slot) if slot.generation == generation => slot.running.take(),
        _ => None,
    };
    let Some(mut running) = taken else {
        return;
    };
    running.wake.rearm();
    let mut cx = Context::from_waker(&running.waker);
    match catch_unwind(AssertUnwindSafe(|| running.future.as_mut().poll(&mut cx))) {
        Ok(Poll::Pending) => {
            let mut slots = tasks.slots.borrow_mut();
            if let Some(slot) = slots.get_mut(index) {
                if slot.generation == generation && !tasks.closing.get() {
                    slot.running = Some(running);
                    return;
                }
            }
        }
        Ok(Poll::Ready(())) => {}
        Err(payload) => {
            // The slot is gone if the loop closed meanwhile (which failed
            // the task's future already).
            let fail = match tasks.slots.borrow().get(index) {
                Some(slot) if slot.generation == generation => Some(slot.fail.clone()),
                _ => None,
            };
            if let Some(fail) = fail {
                fail(Error::new(PanicError::from_panic(&*payload, None)));
            }
        }
    }
    // Finished (or its slot is gone): drop it outside any borrow.
    let removed = {
        let mut slots = tasks.slots.borrow_mut();
        match slots.get(index) {
            Some(slot) if slot.generation == generation => slots.try_remove(index),
            _ => None,
        }
    };
    drop(running);
    drop(removed);
}

/// Number of tasks spawned on `io_loop` and not finished.
pub fn task_count(io_loop: &IOLoop) -> usize {
    io_loop
        .find_extension::<Tasks>()
        .map_or(0, |tasks| tasks.slots.borrow().len())
}

/// Where a native task is, as [`tasks`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Being polled now.
    Running,
    /// Woken (or just spawned): polled in the next loop iteration.
    Scheduled,
    /// Waiting for its waker.
    Pending,
}

/// A snapshot of a native task; see [`tasks`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskInfo {
    /// The task's id on its loop (what a coroutine waiting on the task's
    /// result sees as `WaitingOn::Task { id }`).
    pub id: u64,
    /// The type of the spawned future (an `async` block's is its
    /// enclosing function's path followed by `{{closure}}`).
    pub name: &'static str,
    /// Where it is.
    pub state: TaskState,
}

/// The native tasks spawned on `io_loop` and not finished, oldest slot
/// first: the native counterpart of `gust::runner::runners`.
///
/// ```
/// use gust::ioloop::{IOLoop, IOLoopExt};
/// use gust::runner::{TaskState, tasks};
///
/// let io_loop = IOLoop::new();
/// let _result = io_loop.spawn(async { std::future::pending::<()>().await });
/// assert_eq!(tasks(&io_loop)[0].state, TaskState::Scheduled);
/// io_loop.run_once(Some(std::time::Duration::ZERO)).unwrap();
/// assert_eq!(tasks(&io_loop)[0].state, TaskState::Pending);
/// ```
pub fn tasks(io_loop: &IOLoop) -> Vec<TaskInfo> {
    let Some(tasks) = io_loop.find_extension::<Tasks>() else {
        return Vec::new();
    };
    let slots = tasks.slots.borrow();
    slots
        .iter()
        .map(|(_, slot)| TaskInfo {
            id: u64::from(slot.generation),
            name: slot.name,
            state: match &slot.running {
                None => TaskState::Running,
                Some(running) if running.wake.is_scheduled() => TaskState::Scheduled,
                Some(_) => TaskState::Pending,
            },
        })
        .collect()
}

/// A coroutine awaiting a Rust future on its own stack: its waker resolves
/// a signal future the coroutine parks on.
#[derive(Default)]
pub(crate) struct Signals {
    slots: RefCell<Slab<SignalSlot>>,
    next_generation: Cell<u32>,
}

struct SignalSlot {
    generation: u32,
    armed: Option<Future<()>>,
    woken: bool,
}

impl Extension for Signals {}

/// A registration of a coroutine awaiting a Rust future: a waker and the
/// signal futures it parks on. Removed from the loop when dropped.
///
/// For `Co::await_` in gust-engine (see [`protocol`](crate::protocol)).
pub struct NativeWait {
    /// Weak: a coroutine parked in `await_` must not keep its loop alive.
    io_loop: gust_ioloop::WeakIOLoop,
    index: usize,
    generation: u32,
    wake: Arc<LoopWaker>,
    waker: Waker,
}

impl NativeWait {
    /// Registers a new wait on `io_loop`. Fails only if the loop already
    /// has `u32::MAX` such waits.
    pub fn new(io_loop: &IOLoop) -> Result<NativeWait, SlotOverflowError> {
        let signals = io_loop.extension::<Signals>();
        let generation = signals.next_generation.get().wrapping_add(1);
        signals.next_generation.set(generation);
        let mut slots = signals.slots.borrow_mut();
        let entry = slots.vacant_entry();
        let token = SlotToken::new(entry.key(), generation)?;
        let index = entry.key();
        entry.insert(SignalSlot {
            generation,
            armed: None,
            woken: false,
        });
        let wake = Arc::new(LoopWaker::new(io_loop, token.to_u64(), fire_signal));
        let waker = Waker::from(wake.clone());
        Ok(NativeWait {
            io_loop: io_loop.downgrade(),
            index,
            generation,
            wake,
            waker,
        })
    }

    /// The waker to poll with. Call [`before_poll`](Self::before_poll)
    /// before each poll.
    pub fn waker(&self) -> &Waker {
        &self.waker
    }

    /// Lets the next wake schedule a resumption.
    pub fn before_poll(&self) {
        self.wake.rearm();
    }

    /// After a `Pending` poll: a future to park on until the waker fires,
    /// or `None` if it fired already (poll again at once). Fails with
    /// [`LoopClosedError`] if the loop is gone.
    pub fn signal(&self) -> Result<Option<Future<()>>, Error> {
        let closed = || Error::new(LoopClosedError);
        let io_loop = self.io_loop.upgrade().ok_or_else(closed)?;
        let signals = io_loop.find_extension::<Signals>().ok_or_else(closed)?;
        let mut slots = signals.slots.borrow_mut();
        let slot = slots
            .get_mut(self.index)
            .filter(|s| s.generation == self.generation)
            .ok_or_else(closed)?;
        if std::mem::take(&mut slot.woken) {
            return Ok(None);
        }
        let signal = Future::new();
        slot.armed = Some(signal.clone());
        Ok(Some(signal))
    }
}

impl Drop for NativeWait {
    fn drop(&mut self) {
        if let Some(signals) = self.io_loop.upgrade().and_then(|l| l.find_extension::<Signals>()) {
            let removed = signals.slots.borrow_mut().try_remove(self.index);
            drop(removed);
        }
    }
}

impl fmt::Debug for NativeWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NativeWait({})", self.index)
    }
}

/// The loop callback a `NativeWait`'s waker schedules.
fn fire_signal(io_loop: &IOLoop, token: u64) {
    let Some(signals) = io_loop.find_extension::<Signals>() else {
        return;
    };
    let token = SlotToken::from_u64(token);
    let (index, generation) = (token.index(), token.generation());
    let armed = {
        let mut slots = signals.slots.borrow_mut();
        let Some(slot) = slots.get_mut(index).filter(|s| s.generation == generation) else {
            return;
        };
        match slot.armed.take() {
            Some(armed) => armed,
            None => {
                slot.woken = true;
                return;
            }
        }
    };
    let _ = armed.set_result(());
}
