//! The Runner: what drives suspended coroutines (Tornado's `gen.Runner`).
//!
//! Tornado's Runner holds a generator and the future it last yielded; when
//! that future is done it sends the result back in (`gen.send(value)`) and
//! looks at what the generator yields next. gust's Runner does the same for
//! coroutines on their own stacks, with the roles split so that nothing is
//! type-erased on the hot path:
//!
//! * inside the coroutine, [`Co::yield_`](crate::Co::yield_) looks at what
//!   was yielded. A done future's result is read at once, with no switch
//!   and no loop hop (Tornado's `handle_yield` returning True). Otherwise it
//!   registers this runner as a waiter on the future and suspends;
//! * outside, the runner keeps every suspended coroutine in a slab owned by
//!   the loop (an [`Extension`]). When a waited-for future finishes, the
//!   runner is woken with a handle to it and schedules a resume for the
//!   next loop iteration; the resumed coroutine reads the result itself.
//!
//! So a coroutine is always resumed from a fresh loop callback, never
//! re-entrantly and never by recursion, however deep its callers nest.
//!
//! A coroutine's state is visible: [`runners`] lists the suspended
//! coroutines of a loop and what each waits on; a test can resolve that
//! future by hand, run one loop iteration, and look again.
//!
//! When the loop closes, every suspended coroutine is closed: its stack
//! unwinds from its `yield_`, running destructors, and its future fails
//! with [`LoopClosedError`]. A coroutine waiting on a future that is dropped
//! without a result (so nothing can ever resume it) is closed the same way,
//! and its future fails with [`AbandonedError`].

use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::rc::{Rc, Weak};
use std::time::Instant;

use gust_ioloop::protocol::SlotToken;
use gust_ioloop::{Extension, IOLoop, WeakIOLoop};
use gust_yieldables::protocol::{AnyFuture, Label, Labelled, Waiter};
use gust_yieldables::{AbandonedError, Error, FutureId, LoopClosedError};
use slab::Slab;

use crate::generator::{Generator, GeneratorState};

/// The `log` target of the runner's debug trace.
pub const GEN_LOG: &str = "gust::gen";

/// What a coroutine hands out when it suspends: its slot and the wait's
/// sequence number, and what it waits on.
pub(crate) struct Park {
    pub(crate) token: SlotToken,
    pub(crate) on: WaitingOn,
}

/// What a suspended coroutine is resumed with.
pub(crate) enum Resume {
    /// The future it waited for is done; here is a handle to it.
    Woken(AnyFuture),
    /// A loop iteration has passed (`moment`).
    Moment,
    /// Unwind now.
    Close(CloseReason),
}

/// Why a coroutine is being closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CloseReason {
    LoopClosed,
    Abandoned,
}

impl CloseReason {
    pub(crate) fn error(self, name: &str) -> Error {
        match self {
            CloseReason::LoopClosed => Error::new(LoopClosedError),
            CloseReason::Abandoned => Error::new(AbandonedError {
                coroutine: Some(name.to_owned()),
            }),
        }
    }
}

pub(crate) type RunnerGen = Generator<Park, Resume, ()>;

/// What a suspended coroutine is waiting for, in words a test can match.
///
/// ```
/// use std::time::Duration;
/// use gust::gen_;
/// use gust::ioloop::{IOLoop, ManualClock};
/// use gust::runner::{RunnerState, WaitingOn, runner_of};
///
/// let clock = ManualClock::new();
/// let io_loop = IOLoop::with_clock(&clock);
/// let until = io_loop.time() + Duration::from_secs(2);
/// let napper = gen_::coroutine(|co| co.yield_(gen_::sleep(Duration::from_secs(2))));
/// let state = runner_of(&napper).unwrap().state;
/// assert_eq!(state, RunnerState::Parked(WaitingOn::Sleep { until }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitingOn {
    /// A future (identified while alive by its address), and the type of
    /// its result: one nothing more is known of (made with `Future::new`,
    /// say).
    Future {
        /// The future's id; compare with [`Future::id`](gust_yieldables::Future::id).
        id: FutureId,
        /// The type of the future's result.
        type_name: &'static str,
    },
    /// Another coroutine's result (`co.yield_(child())`).
    Coroutine {
        /// The coroutine that will resolve it.
        id: RunnerId,
    },
    /// The result of a native task (`co.yield_(native(...))`, or a future
    /// from `IOLoopExt::spawn`).
    Task {
        /// The task's id (as `gust::runner::tasks` lists it).
        id: u64,
    },
    /// A `sleep` that ends at `until` (on the loop's clock).
    Sleep {
        /// When the sleep ends.
        until: Instant,
    },
    /// A `with_timeout` that gives up at `until` (on the loop's clock).
    Timeout {
        /// When it times out.
        until: Instant,
    },
    /// A `multi` (or a yielded collection) with `pending` children not done
    /// yet. Inspection reads the count live.
    Multi {
        /// Children not done yet.
        pending: usize,
    },
    /// `WaitIterator::next` while none of its inputs is done.
    WaitIterator,
    /// One loop iteration (`moment`).
    Moment,
    /// A [`DrivenWait`](gust_yieldables::DrivenWait) that is not ready
    /// yet; `kind` is what it says it is (`"YieldPoint"` for the legacy
    /// interface's).
    Driven {
        /// The wait's [`kind`](gust_yieldables::DrivenWait::kind).
        kind: &'static str,
    },
    /// A Rust future awaited with `Co::await_`, until its waker fires.
    Native,
}

impl WaitingOn {
    /// What a coroutine parked on `future` waits on, from the future's
    /// label.
    #[inline]
    pub(crate) fn of<T: 'static>(future: &gust_yieldables::Future<T>) -> WaitingOn {
        match future.label() {
            Label::Plain => WaitingOn::Future {
                id: future.id(),
                type_name: std::any::type_name::<T>(),
            },
            Label::Coroutine(id) => WaitingOn::Coroutine { id: RunnerId(id) },
            Label::Task(id) => WaitingOn::Task { id },
            Label::Sleep(until) => WaitingOn::Sleep { until },
            Label::Timeout(until) => WaitingOn::Timeout { until },
            Label::Multi(pending) => WaitingOn::Multi { pending },
            Label::WaitIterator => WaitingOn::WaitIterator,
        }
    }
}

impl fmt::Display for WaitingOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitingOn::Future { type_name, .. } => write!(f, "a Future<{type_name}>"),
            WaitingOn::Coroutine { id } => write!(f, "coroutine {id}"),
            WaitingOn::Task { id } => write!(f, "native task {id}"),
            WaitingOn::Sleep { .. } => f.write_str("a sleep"),
            WaitingOn::Timeout { .. } => f.write_str("a with_timeout"),
            WaitingOn::Multi { pending } => write!(f, "a multi ({pending} pending)"),
            WaitingOn::WaitIterator => f.write_str("a WaitIterator"),
            WaitingOn::Moment => f.write_str("a moment"),
            WaitingOn::Driven { kind } => write!(f, "a {kind}"),
            WaitingOn::Native => f.write_str("a Rust future (Co::await_)"),
        }
    }
}

/// What a coroutine was resumed with; see [`TraceEvent`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resumption {
    /// The future it waited for has a value.
    Value,
    /// The future it waited for failed with this error (its message).
    Error(String),
    /// A loop iteration passed (`moment`).
    Moment,
    /// A driven wait's or a Rust future's signal fired.
    Woken,
    /// It is being closed (the loop closed, or what it waited for was
    /// dropped unresolved): it unwinds.
    Closing,
}

/// One step of a coroutine, as a [`Trace`] records it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceKind {
    /// It was created and started running.
    Started,
    /// It was resumed.
    Resumed(Resumption),
    /// It suspended, waiting on this (a `moment` is scheduled at once).
    Parked(WaitingOn),
    /// It finished: `None` with a result, `Some(message)` with an error.
    Finished(Option<String>),
}

/// A recorded step of a coroutine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEvent {
    /// The loop iteration it happened in ([`IOLoop::iterations`] at the
    /// time: `0` before the loop first ran).
    pub iteration: u64,
    /// The coroutine.
    pub id: RunnerId,
    /// Its name.
    pub name: String,
    /// What happened.
    pub kind: TraceKind,
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {} ({}) ", self.iteration, self.id, self.name)?;
        match &self.kind {
            TraceKind::Started => f.write_str("started"),
            TraceKind::Resumed(Resumption::Value) => f.write_str("resumed with a value"),
            TraceKind::Resumed(Resumption::Error(message)) => write!(f, "resumed with an error: {message}"),
            TraceKind::Resumed(Resumption::Moment) => f.write_str("resumed after a moment"),
            TraceKind::Resumed(Resumption::Woken) => f.write_str("resumed (woken)"),
            TraceKind::Resumed(Resumption::Closing) => f.write_str("resumed to close"),
            TraceKind::Parked(on) => write!(f, "parked on {on}"),
            TraceKind::Finished(None) => f.write_str("finished"),
            TraceKind::Finished(Some(message)) => write!(f, "finished with an error: {message}"),
        }
    }
}

/// Records what the coroutines of a loop do, step by step, while it lives.
///
/// Each [`TraceEvent`] says which coroutine started, was resumed and with
/// what, parked and on what, or finished, and in which loop iteration. The
/// Runner pays for this only while a trace is recording: otherwise it is
/// one branch per step.
///
/// ```
/// use gust::gen_;
/// use gust::ioloop::IOLoop;
/// use gust::runner::{Resumption, Trace, TraceKind};
///
/// let io_loop = IOLoop::new();
/// let trace = Trace::start(&io_loop);
/// let f = gen_::coroutine(|co| co.yield_(gen_::moment));
/// io_loop.run_once(Some(std::time::Duration::ZERO)).unwrap();
/// f.take_result().unwrap();
/// let kinds: Vec<TraceKind> = trace.take().into_iter().map(|e| e.kind).collect();
/// assert_eq!(kinds, [
///     TraceKind::Started,
///     TraceKind::Parked(gust::runner::WaitingOn::Moment),
///     TraceKind::Resumed(Resumption::Moment),
///     TraceKind::Finished(None),
/// ]);
/// ```
pub struct Trace {
    registry: Rc<Registry>,
}

impl Trace {
    /// Starts recording on `io_loop`. Several traces of one loop share the
    /// record: the first to [`take`](Trace::take) gets the events.
    pub fn start(io_loop: &IOLoop) -> Trace {
        let registry = Registry::of(io_loop);
        registry.tracers.set(registry.tracers.get() + 1);
        Trace { registry }
    }

    /// The events recorded since the trace started (or the last `take`).
    pub fn take(&self) -> Vec<TraceEvent> {
        std::mem::take(&mut *self.registry.trace.borrow_mut())
    }
}

impl Drop for Trace {
    fn drop(&mut self) {
        let tracers = self.registry.tracers.get().saturating_sub(1);
        self.registry.tracers.set(tracers);
        if tracers == 0 {
            self.registry.trace.borrow_mut().clear();
        }
    }
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Trace({} events)", self.registry.trace.borrow().len())
    }
}

/// Where a coroutine is in its life, as the runner sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunnerState {
    /// Executing now (on the stack of whoever resumed it).
    Running,
    /// Suspended, waiting.
    Parked(WaitingOn),
    /// What it waited for has happened; it resumes in the next loop
    /// iteration.
    Scheduled(WaitingOn),
}

/// Identifies a coroutine for its whole life (a per-loop serial number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunnerId(pub u64);

impl fmt::Display for RunnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A snapshot of a suspended coroutine; see [`runners`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunnerInfo {
    /// The coroutine's id.
    pub id: RunnerId,
    /// Its name (given to the builder, or the type of its body).
    pub name: String,
    /// Where it is.
    pub state: RunnerState,
    /// The id of the future it will resolve.
    pub result: FutureId,
    /// Its usable stack size in bytes.
    pub stack_size: usize,
}

/// A coroutine's name: a static string (the body's type name) or one given
/// to the builder.
#[derive(Clone)]
pub(crate) enum CoName {
    Static(&'static str),
    Shared(Rc<str>),
}

impl CoName {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            CoName::Static(s) => s,
            CoName::Shared(s) => s,
        }
    }
}

struct Slot {
    id: RunnerId,
    /// The slot and the sequence number of the current wait; wakes with
    /// another token are stale.
    token: SlotToken,
    /// `None` while the coroutine runs.
    generator: Option<Box<RunnerGen>>,
    state: RunnerState,
    fired: Option<AnyFuture>,
    close: Option<CloseReason>,
    /// The `multi` it last parked on, whose pending count inspection reads
    /// live (left behind when it parks on something else).
    multi: Option<Weak<dyn Labelled>>,
    name: CoName,
    result: FutureId,
    stack_size: usize,
}

/// The runners of one loop.
pub(crate) struct Registry {
    slots: RefCell<Slab<Slot>>,
    next_seq: Cell<u32>,
    next_id: Cell<u64>,
    closing: Cell<bool>,
    io_loop: WeakIOLoop,
    /// How many [`Trace`]s are recording.
    tracers: Cell<usize>,
    trace: RefCell<Vec<TraceEvent>>,
}

impl Registry {
    /// The registry of `io_loop`, created on first use.
    pub(crate) fn of(io_loop: &IOLoop) -> Rc<Registry> {
        io_loop.extension_or_insert_with(|| Registry {
            slots: RefCell::new(Slab::new()),
            next_seq: Cell::new(1),
            next_id: Cell::new(1),
            closing: Cell::new(false),
            io_loop: io_loop.downgrade(),
            tracers: Cell::new(0),
            trace: RefCell::new(Vec::new()),
        })
    }

    /// The loop this registry belongs to, while it exists.
    pub(crate) fn io_loop(&self) -> Option<IOLoop> {
        self.io_loop.upgrade()
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing.get()
    }

    /// Whether a [`Trace`] is recording.
    #[inline]
    pub(crate) fn tracing(&self) -> bool {
        self.tracers.get() != 0
    }

    /// Records a step of coroutine `id` (call only while [`tracing`]).
    #[cold]
    pub(crate) fn record(&self, id: RunnerId, name: &CoName, kind: TraceKind) {
        let iteration = self.io_loop.upgrade().map_or(0, |io_loop| io_loop.iterations());
        self.trace.borrow_mut().push(TraceEvent {
            iteration,
            id,
            name: name.as_str().to_owned(),
            kind,
        });
    }

    pub(crate) fn next_id(&self) -> RunnerId {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        RunnerId(id)
    }

    /// Starts a wait for the coroutine `index` (reserving its slot on its
    /// first wait); returns the slot index and the wait's token (the slot
    /// and a fresh sequence number).
    ///
    /// Fails only if the loop already has `u32::MAX` suspended coroutines.
    ///
    /// Inlined into the (generic) park: every wait but a coroutine's first
    /// takes the short path.
    #[inline]
    pub(crate) fn begin_wait(
        &self,
        index: Option<usize>,
        id: RunnerId,
        name: &CoName,
        result: FutureId,
        stack_size: usize,
    ) -> Result<(usize, SlotToken), Error> {
        let seq = self.next_seq.get();
        self.next_seq.set(seq.wrapping_add(1).max(1));
        if let Some(index) = index {
            if let Some(slot) = self.slots.borrow_mut().get_mut(index) {
                slot.token = slot.token.with_generation(seq);
                return Ok((index, slot.token));
            }
        }
        self.first_wait(seq, id, name, result, stack_size)
    }

    /// A coroutine's first wait: its slot is made.
    #[cold]
    #[inline(never)]
    fn first_wait(
        &self,
        seq: u32,
        id: RunnerId,
        name: &CoName,
        result: FutureId,
        stack_size: usize,
    ) -> Result<(usize, SlotToken), Error> {
        let mut slots = self.slots.borrow_mut();
        let entry = slots.vacant_entry();
        let index = entry.key();
        let token = SlotToken::new(index, seq)?;
        entry.insert(Slot {
            id,
            token,
            generator: None,
            state: RunnerState::Running,
            fired: None,
            close: None,
            multi: None,
            name: name.clone(),
            result,
            stack_size,
        });
        Ok((index, token))
    }

    #[inline]
    fn schedule(&self, token: SlotToken) {
        if let Some(io_loop) = self.io_loop.upgrade() {
            io_loop.add_callback_raw(resume_runner, token.to_u64());
        }
    }

    /// Runs a coroutine's first step (its synchronous start) and files it
    /// if it suspended.
    pub(crate) fn start(self: &Rc<Self>, mut generator: RunnerGen) {
        let outcome = generator.start();
        // A coroutine that finished at once never needs a box or a slot.
        if matches!(outcome, Ok(GeneratorState::Yielded(_))) {
            self.settle(Box::new(generator), outcome, None);
        }
    }

    /// Resumes the coroutine behind `token` if it is scheduled.
    fn resume(self: &Rc<Self>, token: SlotToken) {
        let index = token.index();
        let taken = {
            let mut slots = self.slots.borrow_mut();
            let Some(slot) = slots.get_mut(index) else {
                return;
            };
            if slot.token != token || !matches!(slot.state, RunnerState::Scheduled(_)) {
                return;
            }
            let Some(generator) = slot.generator.take() else {
                return;
            };
            let input = match (slot.close.take(), slot.fired.take()) {
                (Some(reason), _) => Resume::Close(reason),
                (None, Some(fired)) => Resume::Woken(fired),
                (None, None) => Resume::Moment,
            };
            log::debug!(target: GEN_LOG, "runner {} ({}): resumed", slot.id, slot.name.as_str());
            slot.state = RunnerState::Running;
            (generator, input)
        };
        let (mut generator, input) = taken;
        let outcome = generator.send(input);
        self.settle(generator, outcome, Some(index));
    }

    /// Files a coroutine after a step: parked, scheduled, or finished.
    ///
    /// `index` is the coroutine's slot, if it has one yet. Inlined: it
    /// runs after every resume, and the call cost ~20 instructions.
    #[inline(always)]
    fn settle(
        self: &Rc<Self>,
        mut generator: Box<RunnerGen>,
        mut outcome: Result<GeneratorState<Park, ()>, Error>,
        mut index: Option<usize>,
    ) {
        loop {
            let park = match outcome {
                Ok(GeneratorState::Yielded(park)) => park,
                Ok(GeneratorState::Returned(())) | Err(_) => {
                    // Finished: the generator (and its stack) is dropped
                    // outside any borrow, then its slot goes.
                    drop(generator);
                    if let Some(index) = index {
                        self.release(index);
                    }
                    return;
                }
            };
            index = Some(park.token.index());
            let mut slots = self.slots.borrow_mut();
            let Some(slot) = slots.get_mut(park.token.index()) else {
                drop(slots);
                // A slot we never made: cannot happen; close to be safe.
                outcome = generator.send(Resume::Close(CloseReason::LoopClosed));
                continue;
            };
            let close = slot.close.take().or(if self.closing.get() {
                Some(CloseReason::LoopClosed)
            } else {
                None
            });
            if let Some(reason) = close {
                drop(slots);
                outcome = generator.send(Resume::Close(reason));
                continue;
            }
            slot.token = park.token;
            let early = slot.fired.is_some();
            slot.state = match (park.on, early) {
                (WaitingOn::Moment, _) | (_, true) => RunnerState::Scheduled(park.on),
                (on, false) => RunnerState::Parked(on),
            };
            log::debug!(
                target: GEN_LOG,
                "runner {} ({}): parked on {:?}",
                slot.id,
                slot.name.as_str(),
                park.on
            );
            // The slot's generator was taken out to run it: the drop of
            // what `replace` returns is only reached if one was left there,
            // so the usual path makes no out-of-line drop call.
            if let Some(stale) = slot.generator.replace(generator) {
                drop(stale);
            }
            let scheduled = matches!(slot.state, RunnerState::Scheduled(_));
            drop(slots);
            if self.tracing() {
                self.trace_parked(park.token.index(), park.on);
            }
            if scheduled {
                self.schedule(park.token);
            }
            return;
        }
    }

    /// Records that the coroutine in slot `index` parked on `on`.
    #[cold]
    fn trace_parked(&self, index: usize, on: WaitingOn) {
        let named = self
            .slots
            .borrow()
            .get(index)
            .map(|slot| (slot.id, slot.name.clone()));
        if let Some((id, name)) = named {
            self.record(id, &name, TraceKind::Parked(on));
        }
    }

    /// Keeps a weak handle to the `multi` the coroutine in slot `index`
    /// waits on, whose pending count inspection reads live.
    #[cold]
    pub(crate) fn watch_multi(&self, index: usize, multi: Weak<dyn Labelled>) {
        if let Some(slot) = self.slots.borrow_mut().get_mut(index) {
            slot.multi = Some(multi);
        }
    }

    /// Removes a finished coroutine's slot.
    pub(crate) fn release(&self, index: usize) {
        let removed = self.slots.borrow_mut().try_remove(index);
        drop(removed);
    }

    /// Snapshots of every parked or scheduled coroutine.
    pub(crate) fn infos(&self) -> Vec<RunnerInfo> {
        self.slots
            .borrow()
            .iter()
            .map(|(_, slot)| RunnerInfo {
                id: slot.id,
                name: slot.name.as_str().to_owned(),
                state: live_state(slot),
                result: slot.result,
                stack_size: slot.stack_size,
            })
            .collect()
    }
}

/// A slot's state, with a `multi`'s pending count read now.
fn live_state(slot: &Slot) -> RunnerState {
    let live = |on: WaitingOn| match (on, slot.multi.as_ref().and_then(Weak::upgrade)) {
        (WaitingOn::Multi { .. }, Some(multi)) => match multi.label() {
            Label::Multi(pending) => WaitingOn::Multi { pending },
            _ => on,
        },
        _ => on,
    };
    match slot.state {
        RunnerState::Running => RunnerState::Running,
        RunnerState::Parked(on) => RunnerState::Parked(live(on)),
        RunnerState::Scheduled(on) => RunnerState::Scheduled(live(on)),
    }
}

impl Waiter for Registry {
    fn wake(&self, token: u64, fired: AnyFuture) {
        let token = SlotToken::from_u64(token);
        let Ok(mut slots) = self.slots.try_borrow_mut() else {
            gust_ioloop::gust_log!(target: GEN_LOG, log::Level::Error, "runner woken re-entrantly; wake dropped");
            return;
        };
        let Some(slot) = slots.get_mut(token.index()) else {
            return;
        };
        if slot.token != token {
            return;
        }
        match slot.state {
            RunnerState::Parked(on) => {
                slot.state = RunnerState::Scheduled(on);
                slot.fired = Some(fired);
                drop(slots);
                self.schedule(token);
            }
            // Woken before it finished suspending: settle() schedules it.
            RunnerState::Running => slot.fired = Some(fired),
            RunnerState::Scheduled(_) => {}
        }
    }

    fn abandon(&self, token: u64) {
        let token = SlotToken::from_u64(token);
        let Ok(mut slots) = self.slots.try_borrow_mut() else {
            return;
        };
        let Some(slot) = slots.get_mut(token.index()) else {
            return;
        };
        if slot.token != token {
            return;
        }
        log::debug!(
            target: GEN_LOG,
            "runner {} ({}): the future it waits for was dropped unresolved",
            slot.id,
            slot.name.as_str()
        );
        slot.close = Some(CloseReason::Abandoned);
        if let RunnerState::Parked(on) = slot.state {
            slot.state = RunnerState::Scheduled(on);
            drop(slots);
            self.schedule(token);
        }
    }
}

impl Extension for Registry {
    /// Closes every suspended coroutine: each unwinds from its `yield_` and
    /// its future fails with `LoopClosedError`.
    fn close(&self, _io_loop: &IOLoop) {
        self.closing.set(true);
        let mut panicked = None;
        loop {
            let batch: Vec<(usize, Box<RunnerGen>)> = {
                let mut slots = self.slots.borrow_mut();
                slots
                    .iter_mut()
                    .filter_map(|(index, slot)| {
                        slot.state = RunnerState::Running;
                        slot.generator.take().map(|generator| (index, generator))
                    })
                    .collect()
            };
            if batch.is_empty() {
                break;
            }
            for (index, generator) in batch {
                // Unwind it; the coroutine sets its own future's error. A
                // body that swallows the unwinding is asked again. A panic
                // out of it (not from a destructor on its stack, which
                // aborts) does not stop the others.
                let mut generator = Some(generator);
                let closed = catch_unwind(AssertUnwindSafe(|| {
                    if let Some(mut generator) = generator.take() {
                        let mut outcome = generator.send(Resume::Close(CloseReason::LoopClosed));
                        while let Ok(GeneratorState::Yielded(_)) = outcome {
                            outcome = generator.send(Resume::Close(CloseReason::LoopClosed));
                        }
                    }
                }));
                if let Err(payload) = closed {
                    panicked.get_or_insert(payload);
                }
                self.release(index);
            }
        }
        if let Some(payload) = panicked {
            resume_unwind(payload);
        }
    }
}

thread_local! {
    /// The registry the last resume used, with its loop's id: most resumes
    /// on a thread are for one loop, and this spares the extension lookup
    /// (about 40 instructions of a ~790-instruction `moment`, measured with
    /// callgrind; see `performance.md`, "Surface refactor").
    static LAST_REGISTRY: RefCell<(u64, std::rc::Weak<Registry>)> =
        const { RefCell::new((0, std::rc::Weak::new())) };
}

/// The registry of `io_loop`, if it has one.
fn registry_of(io_loop: &IOLoop) -> Option<Rc<Registry>> {
    let id = io_loop.id();
    let cached = LAST_REGISTRY
        .try_with(|last| {
            let last = last.borrow();
            if last.0 == id { last.1.upgrade() } else { None }
        })
        .ok()
        .flatten();
    if cached.is_some() {
        return cached;
    }
    let found = io_loop.find_extension::<Registry>()?;
    let _ = LAST_REGISTRY.try_with(|last| *last.borrow_mut() = (id, Rc::downgrade(&found)));
    Some(found)
}

/// The loop callback that resumes a runner.
fn resume_runner(io_loop: &IOLoop, token: u64) {
    if let Some(registry) = registry_of(io_loop) {
        registry.resume(SlotToken::from_u64(token));
    }
}

/// The suspended coroutines of `io_loop` and what each is waiting for.
///
/// A coroutine that finished without ever suspending never appears.
pub fn runners(io_loop: &IOLoop) -> Vec<RunnerInfo> {
    match io_loop.find_extension::<Registry>() {
        Some(registry) => registry.infos(),
        None => Vec::new(),
    }
}

/// The suspended coroutine that will resolve `future`, if any, on the
/// current loop.
pub fn runner_of<T>(future: &gust_yieldables::Future<T>) -> Option<RunnerInfo> {
    let id = future.id();
    runners(&IOLoop::current_opt()?)
        .into_iter()
        .find(|info| info.result == id)
}
