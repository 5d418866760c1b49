//! The driven-wait extension point (`DrivenWait`, `DriveContext`,
//! `CoroutineLocal`): what the legacy interface is built on, tested without
//! it (these tests run with and without the `legacy` feature).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use gust::concurrent::Future;
use gust::gen_::{self, BadYieldError, CoroutineLocal, DriveContext, DrivenWait, Signal, Yieldable, Yielded};
use gust::prelude::*;
use gust::runner::{RunnerState, WaitingOn};
use gust::testing::step;

/// What a test sees of a [`Gate`]: how often each step ran, and the signal
/// to fire once the gate is opened.
#[derive(Default)]
struct Probe {
    open: Cell<bool>,
    starts: Cell<u32>,
    checks: Cell<u32>,
    signal: RefCell<Option<Signal>>,
    fail_in: Cell<Option<&'static str>>,
}

impl Probe {
    /// Opens the gate and wakes the coroutine parked on it.
    fn open(&self) {
        self.open.set(true);
        if let Some(signal) = self.signal.borrow().as_ref() {
            signal.fire();
        }
    }

    fn fail(&self, step: &'static str) -> Result<(), Error> {
        if self.fail_in.get() == Some(step) {
            Err(Error::msg(format!("{step} failed")))
        } else {
            Ok(())
        }
    }
}

/// A driven wait that is ready once its probe is opened.
struct Gate(Rc<Probe>);

impl DrivenWait for Gate {
    type Output = u32;

    fn start(&mut self, cx: &DriveContext) -> Result<(), Error> {
        self.0.starts.set(self.0.starts.get() + 1);
        *self.0.signal.borrow_mut() = Some(cx.signal().clone());
        self.0.fail("start")
    }

    fn is_ready(&mut self, _cx: &DriveContext) -> Result<bool, Error> {
        self.0.checks.set(self.0.checks.get() + 1);
        self.0.fail("is_ready")?;
        Ok(self.0.open.get())
    }

    fn get_result(&mut self, _cx: &DriveContext) -> Result<u32, Error> {
        self.0.fail("get_result")?;
        Ok(self.0.checks.get())
    }

    fn kind(&self) -> &'static str {
        "Gate"
    }

    fn describe(&self) -> String {
        "Gate(test)".to_owned()
    }
}

impl Yieldable for Gate {
    type Output = u32;

    fn convert_yielded(self) -> Future<u32> {
        Yielded::Driven(Box::new(self)).into_future()
    }

    fn into_yielded(self) -> Yielded<u32> {
        Yielded::Driven(Box::new(self))
    }
}

#[test]
fn a_driven_wait_parks_until_its_signal_fires_then_resumes_one_iteration_later() {
    let io_loop = IOLoop::new();
    let probe = Rc::new(Probe::default());
    let gate = Gate(probe.clone());
    let f = gen_::coroutine(move |co| co.yield_(gate));
    assert!(!f.done());
    assert_eq!((probe.starts.get(), probe.checks.get()), (1, 1));
    let runners = gust::runner::runners(&io_loop);
    assert_eq!(
        runners[0].state,
        RunnerState::Parked(WaitingOn::Driven { kind: "Gate" })
    );

    // Nothing fired: stepping the loop does not resume it.
    step(&io_loop);
    assert_eq!(probe.checks.get(), 1);

    probe.open();
    assert_eq!(
        gust::runner::runners(&io_loop)[0].state,
        RunnerState::Scheduled(WaitingOn::Driven { kind: "Gate" })
    );
    step(&io_loop);
    assert!(f.done());
    assert_eq!(f.take_result().unwrap(), 2, "started once, asked twice");
    assert_eq!(probe.starts.get(), 1);
}

#[test]
fn a_signal_without_readiness_parks_the_coroutine_again() {
    let io_loop = IOLoop::new();
    let probe = Rc::new(Probe::default());
    let gate = Gate(probe.clone());
    let f = gen_::coroutine(move |co| co.yield_(gate));
    probe.signal.borrow().as_ref().unwrap().fire(); // woken, not open
    step(&io_loop);
    assert!(!f.done());
    assert_eq!(probe.checks.get(), 2);
    probe.open();
    step(&io_loop);
    assert_eq!(f.take_result().unwrap(), 3);
}

#[test]
fn an_error_from_any_step_is_delivered_at_the_yield() {
    for step_name in ["start", "is_ready", "get_result"] {
        let io_loop = IOLoop::new();
        let probe = Rc::new(Probe::default());
        probe.fail_in.set(Some(step_name));
        probe.open.set(true);
        let gate = Gate(probe.clone());
        let f = gen_::coroutine(move |co| {
            let error = co.yield_(gate).unwrap_err();
            Ok(error.to_string())
        });
        io_loop.run_until_idle().unwrap();
        assert_eq!(f.take_result().unwrap(), format!("{step_name} failed"));
    }
}

/// A coroutine local that records what it heard.
#[derive(Default)]
struct Journal {
    errors: Cell<u32>,
    object_to_finish: Cell<bool>,
}

impl CoroutineLocal for Journal {
    fn error_delivered(&self) {
        self.errors.set(self.errors.get() + 1);
    }

    fn finished(&self) -> Result<(), Error> {
        if self.object_to_finish.get() {
            Err(Error::msg("the journal objects"))
        } else {
            Ok(())
        }
    }
}

/// A driven wait that is ready at once and hands out the coroutine's
/// [`Journal`].
struct OpenJournal;

impl DrivenWait for OpenJournal {
    type Output = Rc<Journal>;

    fn start(&mut self, _cx: &DriveContext) -> Result<(), Error> {
        Ok(())
    }
    fn is_ready(&mut self, _cx: &DriveContext) -> Result<bool, Error> {
        Ok(true)
    }
    fn get_result(&mut self, cx: &DriveContext) -> Result<Rc<Journal>, Error> {
        Ok(cx.local(|_| Journal::default()))
    }
    fn kind(&self) -> &'static str {
        "OpenJournal"
    }
}

impl Yieldable for OpenJournal {
    type Output = Rc<Journal>;
    fn convert_yielded(self) -> Future<Rc<Journal>> {
        Yielded::Driven(Box::new(self)).into_future()
    }
    fn into_yielded(self) -> Yielded<Rc<Journal>> {
        Yielded::Driven(Box::new(self))
    }
}

#[test]
fn coroutine_locals_hear_of_errors_and_may_object_to_a_clean_finish() {
    let io_loop = IOLoop::new();
    let seen = Rc::new(RefCell::new(None));
    let keep = seen.clone();
    let f = gen_::coroutine(move |co| {
        let journal = co.yield_(OpenJournal)?;
        let again = co.yield_(OpenJournal)?;
        assert!(Rc::ptr_eq(&journal, &again), "one local per coroutine");
        // Errors from anything yielded reach the locals.
        let _ = co.yield_(Future::<()>::failed(Error::msg("one")));
        let _ = co.yield_(Err::<(), _>(Error::msg("two")));
        *keep.borrow_mut() = Some(journal.clone());
        journal.object_to_finish.set(true);
        Ok(1)
    });
    io_loop.run_until_idle().unwrap();
    assert_eq!(f.take_result().unwrap_err().to_string(), "the journal objects");
    assert_eq!(seen.borrow().as_ref().unwrap().errors.get(), 2);

    // A body that fails keeps its own error.
    let f: Future<()> = gen_::coroutine(|co| {
        co.yield_(OpenJournal)?.object_to_finish.set(true);
        Err(Error::msg("the body's"))
    });
    assert_eq!(f.take_result().unwrap_err().to_string(), "the body's");
}

#[test]
fn a_collection_with_a_driven_member_is_driven_whole() {
    let io_loop = IOLoop::new();
    let probe = Rc::new(Probe::default());
    let pending: Future<u32> = Future::new();
    let (gate, input) = (Gate(probe.clone()), pending.clone());
    let f = gen_::coroutine(move |co| co.yield_((input, gate, Future::ready(7u32))));
    assert_eq!(
        gust::runner::runners(&io_loop)[0].state,
        RunnerState::Parked(WaitingOn::Driven { kind: "Gate" }),
        "the tuple waits as its driven member's kind"
    );
    probe.open.set(true); // ready, but nobody fired the signal...
    pending.set_result(1).unwrap(); // ...the pending future's completion does
    step(&io_loop);
    // Readiness is asked in input order, stopping at the first member not
    // ready: the gate was asked only once, after the future was done.
    assert_eq!(f.take_result().unwrap(), (1, 1, 7));

    // A Vec: the first error in input order wins.
    let probe = Rc::new(Probe::default());
    probe.open.set(true);
    let gates = vec![Gate(probe.clone()), Gate(probe.clone())];
    let f = gen_::coroutine(move |co| co.yield_(gates));
    assert_eq!(f.take_result().unwrap(), vec![2, 2]);
}

#[test]
fn a_driven_wait_as_a_future_is_a_bad_yield_naming_its_kind() {
    let _io_loop = IOLoop::new();
    let probe = Rc::new(Probe::default());
    let check = |error: Error| {
        assert!(error.is::<BadYieldError>(), "{error}");
        assert!(
            error
                .to_string()
                .contains("(a Gate works only when yielded from a decorated coroutine)"),
            "{error}"
        );
        error.to_string()
    };
    let message = check(
        gen_::convert_yielded(Gate(probe.clone()))
            .take_result()
            .unwrap_err(),
    );
    assert!(
        message.starts_with("yielded unknown object Gate(test)"),
        "{message}"
    );
    check(gen_::multi(vec![Gate(probe.clone())]).take_result().unwrap_err());
    check(
        gen_::with_timeout(Duration::from_secs(1), Gate(probe.clone()))
            .take_result()
            .unwrap_err(),
    );
    assert_eq!(probe.starts.get(), 0, "never started outside a coroutine");
}
