//! Driven waits: waits a coroutine drives itself, on its own stack.
//!
//! Most things a coroutine yields are futures: the runner parks the
//! coroutine until the future is done. A *driven wait* is the other kind:
//! something that decides by itself, step by step, when the coroutine may
//! go on, using state the coroutine keeps for it. The coroutine runner
//! drives one as Tornado 4's Runner drives a `YieldPoint`:
//!
//! 1. [`start`](DrivenWait::start) once;
//! 2. [`is_ready`](DrivenWait::is_ready); while it says no, the coroutine
//!    parks until its [`Signal`] fires, then asks again;
//! 3. [`get_result`](DrivenWait::get_result) once: the value of the yield.
//!
//! An error from any step is delivered at the yield. Each step receives the
//! coroutine's [`DriveContext`]: its signal, and values the waits keep for
//! the coroutine's whole life ([`CoroutineLocal`]s, such as the pending
//! callbacks of the legacy interface).
//!
//! This is the extension point the legacy interface (Tornado 4.5's
//! `YieldPoint`s) is built on; the core knows nothing of it. A driven wait
//! needs a coroutine: converting one to a future (outside a coroutine, in
//! `multi`, `with_timeout`, a `WaitIterator`) fails with a
//! [`BadYieldError`].

use std::any::{Any, type_name};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use crate::error::{BadYieldError, Error};
use crate::future::Future;
use crate::yieldable::{Extract, Yielded};

/// A wait a coroutine drives on its own stack: the core's extension point
/// for things that are not futures (the legacy interface's `YieldPoint`s
/// are built on it).
///
/// The coroutine runner drives one as Tornado 4's Runner drives a
/// `YieldPoint`: [`start`](DrivenWait::start) once; then
/// [`is_ready`](DrivenWait::is_ready), and while it says no the coroutine
/// parks until its [`Signal`] fires and asks again; then
/// [`get_result`](DrivenWait::get_result) once, for the value of the yield.
/// An error from any step is delivered at the yield. Each step receives the
/// coroutine's [`DriveContext`]: its signal, and values the waits keep for
/// the coroutine's whole life ([`CoroutineLocal`]s). A driven wait needs a
/// coroutine: as a future (outside a coroutine, in `multi`,
/// `with_timeout`, a `WaitIterator`) it fails with a [`BadYieldError`].
///
/// To make one yieldable, implement [`Yieldable`](crate::Yieldable) with
/// `into_yielded` returning [`Yielded::Driven`]. Here one is driven by
/// hand, as the runner does:
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use gust::Error;
/// use gust::gen_::{DriveContext, DrivenWait};
///
/// /// Ready once the flag is set.
/// struct UntilSet(Rc<Cell<bool>>);
///
/// impl DrivenWait for UntilSet {
///     type Output = &'static str;
///     fn start(&mut self, _cx: &DriveContext) -> Result<(), Error> {
///         Ok(())
///     }
///     fn is_ready(&mut self, _cx: &DriveContext) -> Result<bool, Error> {
///         Ok(self.0.get())
///     }
///     fn get_result(&mut self, _cx: &DriveContext) -> Result<&'static str, Error> {
///         Ok("set")
///     }
///     fn kind(&self) -> &'static str {
///         "UntilSet"
///     }
/// }
///
/// let cx = DriveContext::new();
/// let flag = Rc::new(Cell::new(false));
/// let mut wait = UntilSet(flag.clone());
/// wait.start(&cx).unwrap();
/// assert!(!wait.is_ready(&cx).unwrap());
/// let parked_on = cx.signal().arm(); // the runner parks the coroutine on this
/// flag.set(true);
/// cx.signal().fire(); // whoever makes it ready wakes the coroutine
/// assert!(parked_on.done());
/// assert!(wait.is_ready(&cx).unwrap());
/// assert_eq!(wait.get_result(&cx).unwrap(), "set");
/// ```
pub trait DrivenWait {
    /// What the yield evaluates to.
    type Output: 'static;

    /// Called once, when the coroutine yields this.
    fn start(&mut self, cx: &DriveContext) -> Result<(), Error>;

    /// Whether the coroutine may go on. While it is not, the coroutine
    /// parks until `cx.signal()` fires, then asks again.
    fn is_ready(&mut self, cx: &DriveContext) -> Result<bool, Error>;

    /// The value of the yield; called once, after `is_ready` said yes.
    fn get_result(&mut self, cx: &DriveContext) -> Result<Self::Output, Error>;

    /// What kind of wait this is, as runner introspection shows a
    /// coroutine parked on it (`WaitingOn::Driven { kind }`), e.g.
    /// `"YieldPoint"`.
    fn kind(&self) -> &'static str;

    /// How error messages show it (Python's `repr`); the type's name unless
    /// overridden.
    fn describe(&self) -> String {
        type_name::<Self>().to_owned()
    }
}

/// Wakes a coroutine parked on a [`DrivenWait`], so it asks
/// [`is_ready`](DrivenWait::is_ready) again. One per coroutine; clones
/// share it.
#[derive(Clone, Default)]
pub struct Signal {
    armed: Rc<RefCell<Option<Future<()>>>>,
}

impl Signal {
    /// A signal nothing waits on yet.
    pub fn new() -> Signal {
        Signal::default()
    }

    /// Wakes the coroutine if it is parked on a driven wait (it resumes in
    /// the loop's next iteration); does nothing otherwise.
    pub fn fire(&self) {
        let armed = self.armed.borrow_mut().take();
        if let Some(armed) = armed {
            let _ = armed.set_result(());
        }
    }

    /// A future the next [`fire`](Signal::fire) resolves: what the runner
    /// parks the coroutine on.
    pub fn arm(&self) -> Future<()> {
        let armed = Future::new();
        *self.armed.borrow_mut() = Some(armed.clone());
        armed
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let armed = self.armed.try_borrow().map(|a| a.is_some()).unwrap_or(true);
        write!(f, "Signal(armed: {armed})")
    }
}

/// A value a coroutine keeps for the driven waits it yields, for its whole
/// life (see [`DriveContext::local`]); it hears about the coroutine's
/// errors and its end.
pub trait CoroutineLocal: Any {
    /// An error was delivered to the coroutine at a yield (of anything).
    fn error_delivered(&self) {}

    /// The coroutine's body returned successfully. An error here becomes
    /// the coroutine's result instead.
    fn finished(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// What a coroutine keeps for the driven waits it yields: its [`Signal`]
/// and its [`CoroutineLocal`] values. Made when the coroutine first yields
/// a driven wait.
#[derive(Default)]
pub struct DriveContext {
    signal: Signal,
    locals: RefCell<Vec<Rc<dyn CoroutineLocal>>>,
}

impl DriveContext {
    /// A context with a fresh signal and no locals.
    pub fn new() -> DriveContext {
        DriveContext::default()
    }

    /// The coroutine's signal.
    pub fn signal(&self) -> &Signal {
        &self.signal
    }

    /// The coroutine's local value of type `L`, made with `make` on first
    /// use.
    pub fn local<L: CoroutineLocal>(&self, make: impl FnOnce(&DriveContext) -> L) -> Rc<L> {
        if let Some(found) = self.find_local::<L>() {
            return found;
        }
        let made = Rc::new(make(self));
        self.locals.borrow_mut().push(made.clone());
        made
    }

    /// The coroutine's local value of type `L`, if it has one.
    pub fn find_local<L: CoroutineLocal>(&self) -> Option<Rc<L>> {
        self.locals.borrow().iter().find_map(|local| {
            let any: Rc<dyn Any> = local.clone();
            any.downcast::<L>().ok()
        })
    }

    /// Tells every local that an error was delivered at a yield (the
    /// runner calls this).
    pub fn error_delivered(&self) {
        let locals = self.locals.borrow().clone();
        for local in locals {
            local.error_delivered();
        }
    }

    /// Asks every local whether the coroutine may finish successfully (the
    /// runner calls this when the body returned `Ok`); the first error
    /// becomes the coroutine's result.
    pub fn finished(&self) -> Result<(), Error> {
        let locals = self.locals.borrow().clone();
        locals.iter().try_for_each(|local| local.finished())
    }
}

impl fmt::Debug for DriveContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let locals = self.locals.try_borrow().map(|l| l.len()).unwrap_or(0);
        f.debug_struct("DriveContext")
            .field("signal", &self.signal)
            .field("locals", &locals)
            .finish()
    }
}

/// The [`BadYieldError`] of a driven wait turned into a future.
pub(crate) fn outside_coroutine<T: 'static>(wait: &dyn DrivenWait<Output = T>) -> Future<T> {
    Future::failed(BadYieldError {
        object: format!(
            "{} (a {} works only when yielded from a decorated coroutine)",
            wait.describe(),
            wait.kind()
        ),
    })
}

/// A future, or a value, as a driven wait (Tornado's `YieldFuture`), for
/// collections that mix futures and driven waits.
struct FutureWait<T> {
    future: Future<T>,
    extract: Extract<T>,
    kind: &'static str,
}

impl<T: 'static> DrivenWait for FutureWait<T> {
    type Output = T;

    fn start(&mut self, cx: &DriveContext) -> Result<(), Error> {
        let signal = cx.signal().clone();
        self.future.add_done_callback(move |_| signal.fire());
        Ok(())
    }

    fn is_ready(&mut self, _cx: &DriveContext) -> Result<bool, Error> {
        Ok(self.future.done())
    }

    fn get_result(&mut self, _cx: &DriveContext) -> Result<T, Error> {
        self.extract.read(&self.future)
    }

    fn kind(&self) -> &'static str {
        self.kind
    }

    fn describe(&self) -> String {
        format!("{:?}", self.future)
    }
}

/// Any yielded value as a driven wait. `kind` names what the collection it
/// is part of waits on (its driven members' kind).
pub fn into_driven<T: 'static>(yielded: Yielded<T>, kind: &'static str) -> Box<dyn DrivenWait<Output = T>> {
    let (future, extract) = match yielded {
        Yielded::Driven(wait) => return wait,
        other => other.into_parts(),
    };
    Box::new(FutureWait {
        future,
        extract,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_signal_resolves_only_what_is_armed_and_only_once() {
        let signal = Signal::new();
        signal.fire(); // nothing armed: nothing happens
        let first = signal.arm();
        let second = signal.clone().arm(); // re-arming replaces
        signal.fire();
        assert!(!first.done());
        assert!(second.done());
        signal.fire();
        assert!(!first.done());
    }

    #[derive(Default)]
    struct Counter {
        errors: Cell<u32>,
        fail_finish: Cell<bool>,
    }
    impl CoroutineLocal for Counter {
        fn error_delivered(&self) {
            self.errors.set(self.errors.get() + 1);
        }
        fn finished(&self) -> Result<(), Error> {
            if self.fail_finish.get() {
                Err(Error::msg("not finished"))
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn locals_are_made_once_and_hear_about_errors_and_the_end() {
        let cx = DriveContext::new();
        assert!(cx.find_local::<Counter>().is_none());
        let a = cx.local(|_| Counter::default());
        let b = cx.local(|_| -> Counter { unreachable!("made once") });
        assert!(Rc::ptr_eq(&a, &b));
        cx.error_delivered();
        assert_eq!(a.errors.get(), 1);
        assert!(cx.finished().is_ok());
        a.fail_finish.set(true);
        assert_eq!(cx.finished().unwrap_err().to_string(), "not finished");
    }

    #[test]
    fn a_future_as_a_driven_wait_fires_the_signal_when_done() {
        let cx = DriveContext::new();
        let future = Future::new();
        let mut wait = into_driven(Yielded::Future(future.clone(), Extract::Take), "Test");
        assert_eq!(wait.kind(), "Test");
        wait.start(&cx).unwrap();
        let armed = cx.signal().arm();
        assert!(!wait.is_ready(&cx).unwrap());
        future.set_result(7).unwrap();
        assert!(armed.done());
        assert!(wait.is_ready(&cx).unwrap());
        assert_eq!(wait.get_result(&cx).unwrap(), 7);
    }

    #[test]
    fn a_driven_wait_outside_a_coroutine_is_a_bad_yield() {
        let wait = into_driven(Yielded::Ready(Ok(1)), "Thing");
        let error = outside_coroutine(&*wait).take_result().unwrap_err();
        assert!(error.is::<BadYieldError>());
        assert!(
            error
                .to_string()
                .ends_with("(a Thing works only when yielded from a decorated coroutine)"),
            "{error}"
        );
    }
}
