//! [`coroutine`]: run a closure as a coroutine on its own stack
//! (Tornado's `@gen.coroutine`).

use std::any::type_name;
use std::borrow::Cow;
use std::cell::{Cell, OnceCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use gust_ioloop::IOLoop;
use gust_yieldables::protocol::{AnyFuture, Label, NativeWait, Waiter, set_task_outcome};
use gust_yieldables::{
    DriveContext, DrivenWait, Error, Extract, Future, FutureId, IntoResult, InvalidStateError,
    LoopClosedError, PanicError, WaitIterator, Yieldable, Yielded,
};

use crate::generator::{GeneratorExit, Yielder, close_unwind, is_close_unwind};
use crate::runner::{
    CloseReason, CoName, GEN_LOG, Park, Registry, Resume, Resumption, RunnerGen, RunnerId, TraceKind,
    WaitingOn,
};
use crate::stack_pool::{PooledStack, default_stack_size};

/// The handle a coroutine's body receives: what it yields with.
///
/// `co.yield_(x)` is Tornado's `yield x`. Because the coroutine has a real
/// stack, any plain function handed `&Co` can yield too:
///
/// ```
/// use gust::gen_::{Co, coroutine};
/// use gust::Error;
/// use gust::concurrent::Future;
///
/// fn helper(co: &Co, f: Future<i32>) -> Result<i32, Error> {
///     Ok(co.yield_(f)? * 2) // no async colouring needed
/// }
///
/// let f = Future::new();
/// let g = f.clone();
/// let result = coroutine(move |co| helper(co, g));
/// f.set_result(21).unwrap();
/// # let io_loop = gust::ioloop::IOLoop::current();
/// io_loop.run_once(Some(std::time::Duration::ZERO)).unwrap();
/// assert_eq!(result.take_result().unwrap(), 42);
/// ```
pub struct Co<'a> {
    yielder: &'a Yielder<'a, Park, Resume>,
    registry: Rc<Registry>,
    waiter: Weak<dyn Waiter>,
    index: Cell<Option<usize>>,
    id: RunnerId,
    name: CoName,
    result: FutureId,
    stack_size: usize,
    /// Set once the coroutine is being closed: yielding is then refused.
    closing: Cell<Option<CloseReason>>,
    /// The signal and locals of the driven waits it yields, made when it
    /// first yields one (boxed: most coroutines never do).
    drive: OnceCell<Box<DriveContext>>,
}

impl<'a> Co<'a> {
    /// Waits for `yielded` without blocking the loop, and evaluates to its
    /// result (Tornado's `result = yield yielded`).
    ///
    /// * A done future (or a `Result`, or a collection of done futures)
    ///   continues at once: no switch, no loop iteration.
    /// * A pending future suspends the coroutine; it resumes from a loop
    ///   callback one iteration after the future is done.
    /// * `gen_::moment` (or `()`) resumes after exactly one loop iteration.
    /// * A collection (`Vec`, map, tuple) waits for all its members in
    ///   parallel ([`multi`](gust_yieldables::multi)).
    ///
    /// A failure arrives here as `Err`: handle it, replace it, or pass it
    /// on with `?`.
    #[inline]
    pub fn yield_<Y: Yieldable>(&self, yielded: Y) -> Result<Y::Output, Error> {
        let result = match yielded.into_yielded() {
            Yielded::Ready(result) => result,
            Yielded::Future(future, extract) => {
                if future.done() {
                    extract.read(&future)
                } else {
                    self.wait(future, extract)
                }
            }
            Yielded::Moment(value) => self.suspend(WaitingOn::Moment, None::<Future<()>>).map(|_| value),
            Yielded::Driven(wait) => self.drive(wait),
        };
        if result.is_err() {
            self.error_delivered();
        }
        result
    }

    /// An error was delivered at a yield: the coroutine's locals are told
    /// (the legacy interface then does not report pending callbacks as
    /// leaked, as Tornado 4's Runner).
    #[cold]
    fn error_delivered(&self) {
        if let Some(cx) = self.drive.get() {
            cx.error_delivered();
        }
    }

    /// Drives a [`DrivenWait`] (Tornado 4's `start_yield_point` and
    /// `is_ready` loop): start it, then park on the coroutine's signal
    /// until it is ready.
    #[cold]
    fn drive<T: 'static>(&self, mut wait: Box<dyn DrivenWait<Output = T>>) -> Result<T, Error> {
        let cx = self.drive.get_or_init(Box::default);
        wait.start(cx)?;
        loop {
            if wait.is_ready(cx)? {
                return wait.get_result(cx);
            }
            let signal = cx.signal().arm();
            self.suspend(WaitingOn::Driven { kind: wait.kind() }, Some(signal))?;
            self.trace_resumed(Resumption::Woken);
        }
    }

    /// Awaits a Rust future (a native coroutine) on this coroutine's own
    /// stack, without spawning a task: it is polled here, and while it is
    /// pending the coroutine parks until its waker fires. The future may
    /// borrow from the coroutine's stack.
    ///
    /// A `Result` output becomes the value or the error, as with
    /// [`yield_`](Co::yield_).
    ///
    /// ```
    /// use gust::gen_::coroutine;
    /// use gust::Error;
    /// use gust::concurrent::Future;
    ///
    /// let f: Future<u32> = Future::new();
    /// let g = f.clone();
    /// let doubled = coroutine(move |co| {
    ///     let local = 2;
    ///     co.await_(async { Ok::<_, Error>(g.await? * local) }) // borrows `local`
    /// });
    /// f.set_result(21).unwrap();
    /// gust::ioloop::IOLoop::current().run_until_idle().unwrap();
    /// assert_eq!(doubled.take_result().unwrap(), 42);
    /// ```
    pub fn await_<F>(&self, future: F) -> Result<<F::Output as IntoResult>::Ok, Error>
    where
        F: std::future::Future,
        F::Output: IntoResult,
    {
        // No strong loop handle may live across the suspensions below: the
        // loop owns this coroutine, and would never be dropped.
        let wait = match self.registry.io_loop() {
            Some(io_loop) => NativeWait::new(&io_loop)?,
            None => return Err(Error::new(LoopClosedError)),
        };
        let mut future = std::pin::pin!(future);
        loop {
            wait.before_poll();
            let mut cx = Context::from_waker(wait.waker());
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output.into_result();
            }
            if let Some(signal) = wait.signal()? {
                self.suspend(WaitingOn::Native, Some(signal))?;
                self.trace_resumed(Resumption::Woken);
            }
        }
    }

    /// Parks on a pending future until it is done.
    fn wait<T: 'static>(&self, future: Future<T>, extract: Extract<T>) -> Result<T, Error> {
        let on = WaitingOn::of(&future);
        match self.suspend(on, Some(future)) {
            Ok(Some(fired)) => match fired.downcast::<T>() {
                Some(done) => {
                    let result = extract.read(&done);
                    if self.registry.tracing() {
                        self.trace_result(&result);
                    }
                    result
                }
                None => Err(Error::new(InvalidStateError::new(
                    "runner woken by the wrong future",
                ))),
            },
            Ok(None) => Err(Error::new(InvalidStateError::new(
                "runner resumed without its future",
            ))),
            Err(error) => Err(error),
        }
    }

    /// Records what a resumed coroutine was woken with, if a trace is
    /// recording.
    #[inline]
    fn trace_resumed(&self, with: Resumption) {
        if self.registry.tracing() {
            self.registry
                .record(self.id, &self.name, TraceKind::Resumed(with));
        }
    }

    #[cold]
    fn trace_result<T>(&self, result: &Result<T, Error>) {
        let with = match result {
            Ok(_) => Resumption::Value,
            Err(error) => Resumption::Error(error.to_string()),
        };
        self.registry
            .record(self.id, &self.name, TraceKind::Resumed(with));
    }

    /// Suspends until woken. With a future, registers as its waiter first
    /// and drops the handle: a parked coroutine holds no strong reference to
    /// what it waits for, so a future dropped unresolved is noticed
    /// (`Waiter::abandon`) instead of keeping the coroutine forever.
    #[inline]
    fn suspend<T: 'static>(
        &self,
        on: WaitingOn,
        future: Option<Future<T>>,
    ) -> Result<Option<AnyFuture>, Error> {
        if self.closing.get().is_some() {
            // Yielding while being closed (from a destructor, say): Python's
            // "generator ignored GeneratorExit". Refuse rather than suspend.
            return Err(Error::new(GeneratorExit));
        }
        if self.registry.is_closing() {
            self.closing.set(Some(CloseReason::LoopClosed));
            close_unwind();
        }
        let (index, token) = self.registry.begin_wait(
            self.index.get(),
            self.id,
            &self.name,
            self.result,
            self.stack_size,
        )?;
        self.index.set(Some(index));
        if let Some(future) = future {
            if let WaitingOn::Multi { .. } = on {
                // Its pending count changes while the coroutine waits:
                // inspection reads it through a weak handle.
                self.registry.watch_multi(index, future.labelled());
            }
            future.add_waiter(self.waiter.clone(), token.to_u64());
            drop(future);
        }
        log::debug!(target: GEN_LOG, "runner {} ({}): yielded {:?}", self.id, self.name.as_str(), on);
        match self.yielder.yield_(Park { token, on }) {
            Ok(Resume::Woken(fired)) => Ok(Some(fired)),
            Ok(Resume::Moment) => {
                self.trace_resumed(Resumption::Moment);
                Ok(None)
            }
            Ok(Resume::Close(reason)) => {
                self.closing.set(Some(reason));
                self.trace_resumed(Resumption::Closing);
                close_unwind()
            }
            Err(error) => Err(error),
        }
    }

    /// Iterates a [`WaitIterator`] from this coroutine: each item is the
    /// input's index (or key) and its result, in the order the inputs
    /// finish. Errors do not end the iteration.
    ///
    /// ```
    /// use gust::concurrent::Future;
    /// use gust::gen_::{WaitIterator, coroutine};
    ///
    /// let (a, b) = (Future::new(), Future::new());
    /// let wait_iterator = WaitIterator::new(vec![a.clone(), b.clone()]);
    /// let order = coroutine(move |co| {
    ///     Ok(co.wait_iter(&wait_iterator).map(|(i, r)| (i, r.is_ok())).collect::<Vec<_>>())
    /// });
    /// b.set_exception(gust::Error::msg("b failed")).unwrap();
    /// a.set_result(1).unwrap();
    /// gust::ioloop::IOLoop::current().run_until_idle().unwrap();
    /// assert_eq!(order.take_result().unwrap(), vec![(1, false), (0, true)]);
    /// ```
    pub fn wait_iter<'c, K: Clone + 'static, T: 'static>(
        &'c self,
        wait_iterator: &'c WaitIterator<K, T>,
    ) -> WaitIter<'c, 'a, K, T> {
        WaitIter {
            co: self,
            wait_iterator,
        }
    }

    /// This coroutine's id.
    pub fn id(&self) -> RunnerId {
        self.id
    }

    /// This coroutine's name.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// The usable size of this coroutine's stack, in bytes.
    pub fn stack_size(&self) -> usize {
        self.stack_size
    }
}

/// The iterator [`Co::wait_iter`] returns.
pub struct WaitIter<'c, 'a, K, T> {
    co: &'c Co<'a>,
    wait_iterator: &'c WaitIterator<K, T>,
}

impl<K: Clone + 'static, T: 'static> Iterator for WaitIter<'_, '_, K, T> {
    type Item = (K, Result<T, Error>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.wait_iterator.done() {
            return None;
        }
        let result = match self.wait_iterator.try_next() {
            Some(ready) => ready,
            None => self.co.yield_(self.wait_iterator.next()),
        };
        let index = self.wait_iterator.current_index()?;
        Some((index, result))
    }
}

/// Options for a coroutine: a name (for logs, errors and the overflow
/// message) and a stack size.
///
/// ```
/// use gust::gen_::Builder;
/// let f = Builder::new().name("small").stack_size(32 * 1024).spawn(|co| Ok(co.stack_size()));
/// assert!(f.take_result().unwrap() >= 32 * 1024);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    name: Option<Cow<'static, str>>,
    stack_size: Option<usize>,
}

impl Builder {
    /// Default options: the body's type as the name, the default stack size.
    #[must_use]
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the coroutine.
    #[must_use]
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// Sets the usable stack size in bytes (rounded up to whole pages, at
    /// least [`MIN_STACK_SIZE`](crate::MIN_STACK_SIZE)).
    #[must_use]
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = Some(bytes);
        self
    }

    /// Runs `body` as a coroutine now; see [`coroutine`].
    pub fn spawn<T, F>(self, body: F) -> Future<T>
    where
        T: 'static,
        F: FnOnce(&Co) -> Result<T, Error> + 'static,
    {
        let result = Future::new();
        let io_loop = match IOLoop::try_current() {
            Ok(io_loop) => io_loop,
            // No loop to run on (out of file descriptors): the I/O error.
            Err(error) => {
                let _ = result.set_exception(error);
                return result;
            }
        };
        if io_loop.is_closed() {
            let _ = result.set_exception(LoopClosedError);
            return result;
        }
        let name = match self.name {
            Some(Cow::Borrowed(name)) => CoName::Static(name),
            Some(Cow::Owned(name)) => CoName::Shared(Rc::from(name)),
            None => CoName::Static(type_name::<F>()),
        };
        let stack = match PooledStack::new(self.stack_size.unwrap_or_else(default_stack_size), name.as_str())
        {
            Ok(stack) => stack,
            Err(error) => {
                log::debug!(target: GEN_LOG, "coroutine {}: {error}", name.as_str());
                let _ = result.set_exception(error);
                return result;
            }
        };
        let stack_size = stack.usable_size();
        let registry = Registry::of(&io_loop);
        let waiter: Weak<dyn Waiter> = Rc::downgrade(&registry) as Weak<dyn Waiter>;
        let id = registry.next_id();
        result.set_label(Label::Coroutine(id.0));
        if registry.tracing() {
            registry.record(id, &name, TraceKind::Started);
        }
        let setter = result.clone();
        let result_id = result.id();
        let owner = registry.clone();
        let generator = RunnerGen::on_stack(stack, move |yielder| {
            let co = Co {
                yielder,
                registry: owner,
                waiter,
                index: Cell::new(None),
                id,
                name,
                result: result_id,
                stack_size,
                closing: Cell::new(None),
                drive: OnceCell::new(),
            };
            log::debug!(target: GEN_LOG, "runner {} ({}): started", co.id, co.name.as_str());
            let outcome = match catch_unwind(AssertUnwindSafe(|| body(&co))) {
                Ok(outcome) => outcome,
                Err(payload) if is_close_unwind(&*payload) => {
                    let reason = co.closing.get().unwrap_or(CloseReason::LoopClosed);
                    Err(reason.error(co.name.as_str()))
                }
                Err(payload) => Err(Error::new(PanicError::from_panic(
                    &*payload,
                    Some(co.name.as_str().to_owned()),
                ))),
            };
            // The coroutine's locals may object to a clean finish (Tornado
            // 4: legacy callbacks never waited for are an error).
            let outcome = match (outcome, co.drive.get()) {
                (Ok(value), Some(cx)) => cx.finished().map(|()| value),
                (outcome, _) => outcome,
            };
            log::debug!(
                target: GEN_LOG,
                "runner {} ({}): finished{}",
                co.id,
                co.name.as_str(),
                if outcome.is_ok() { "" } else { " with an error" }
            );
            if co.registry.tracing() {
                let error = outcome.as_ref().err().map(ToString::to_string);
                co.registry.record(co.id, &co.name, TraceKind::Finished(error));
            }
            if let Err(misuse) = set_task_outcome(&setter, outcome) {
                gust_ioloop::gust_log!(
                    target: gust_ioloop::APP_LOG, log::Level::Error,
                    "coroutine {} ({}) finished, but its future had already been set by someone else: {misuse}",
                    co.id,
                    co.name.as_str()
                );
            }
            Ok(())
        });
        registry.start(generator);
        result
    }
}

/// Runs `body` as a coroutine, on its own stack, starting now (Tornado's
/// `@gen.coroutine`, called).
///
/// The body runs at once, until it yields something not yet done; then
/// `coroutine` returns the coroutine's [`Future`], and the loop resumes the
/// body when what it waits for is done. If it never waits, the returned
/// future is already done.
///
/// Whatever the body returns or fails with goes into that future: errors,
/// even before the first yield, and panics (as a
/// [`PanicError`](gust_yieldables::PanicError)) are never raised to the
/// caller. An uncaught [`CancelledError`](gust_yieldables::CancelledError)
/// (returned by the body, or received from a cancelled future it yielded)
/// *cancels* the future instead, as in Tornado 6.6. So look at the future:
/// yield it from another coroutine, give it
/// to `run_sync`, or start the coroutine with `spawn_callback`, which logs
/// its failure. A failed future nobody looked at logs `Future exception was
/// never retrieved` when dropped.
///
/// # Closing and abandonment
///
/// A coroutine suspended when its loop closes, or waiting on a future that
/// is dropped unresolved, is unwound from its `yield_`: every destructor on
/// its stack runs, and its future fails with `LoopClosedError` or
/// [`AbandonedError`](gust_yieldables::AbandonedError). That unwinding is a
/// Rust unwind, so a destructor that panics during it aborts the process
/// (a panic while panicking). Destructors of a coroutine's locals should
/// report failures without panicking (log them, or check
/// `std::thread::panicking()`); work that may fail on the way out belongs
/// in the body, before the last yield, not in a destructor.
///
/// ```
/// use gust::gen_::coroutine;
/// use gust::Error;
/// use gust::concurrent::Future;
///
/// let f = coroutine(|_co| Ok(1 + 1));
/// assert!(f.done()); // it never waited
/// assert_eq!(f.take_result().unwrap(), 2);
///
/// let g: Future<()> = coroutine(|_co| Err(Error::msg("boom")));
/// assert_eq!(g.take_result().unwrap_err().to_string(), "boom");
/// ```
pub fn coroutine<T, F>(body: F) -> Future<T>
where
    T: 'static,
    F: FnOnce(&Co) -> Result<T, Error> + 'static,
{
    Builder::new().spawn(body)
}
