//! [`WaitIterator`]: results of several futures as they finish.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;

use crate::error::{Error, InvalidStateError};
use crate::future::{Future, Label};
use crate::yieldable::{Extract, Yieldable};

/// Provides the results of several futures as they finish (Tornado's
/// `gen.WaitIterator`).
///
/// Yielding a list (`co.yield_(vec![f1, f2])`) waits for all of them, and
/// if one fails the others' results are lost. A `WaitIterator` hands out
/// each result as soon as it is available, errors included, so you can
/// handle each one and go on:
///
/// ```
/// use gust::concurrent::Future;
/// use gust::gen_::WaitIterator;
///
/// let (a, b) = (Future::new(), Future::new());
/// let wait_iterator = WaitIterator::new(vec![a.clone(), b.clone()]);
/// b.set_result("second").unwrap();
/// a.set_result("first").unwrap();
/// let mut seen = Vec::new();
/// while !wait_iterator.done() {
///     let next = wait_iterator.next(); // in a coroutine: co.yield_(wait_iterator.next())
///     let result = next.take_result().unwrap();
///     seen.push((wait_iterator.current_index().unwrap(), result));
/// }
/// assert_eq!(seen, vec![(1, "second"), (0, "first")]); // completion order
/// ```
///
/// Results come in the order the futures finish; inputs already done when
/// the iterator is made come first, in argument order.
/// [`current_index`](WaitIterator::current_index) tells which input the
/// latest result came from: its position, or its key for
/// [`WaitIterator::keyed`]. [`current_future`](WaitIterator::current_future)
/// is that input. [`done`](WaitIterator::done) resets both once everything
/// is delivered. An input that fails gives a failed `next()` future, and
/// one that is cancelled a cancelled one (Tornado 6.6); either way the
/// iteration goes on. The same future may be passed twice; it is then delivered
/// twice (pass `&future` so each delivery gets a copy of the result).
///
/// In a coroutine, `co.wait_iter(iterator)` (`gust::gen_::Co::wait_iter`) turns it
/// into a Rust iterator of `(index, result)` pairs.
pub struct WaitIterator<K, T> {
    state: Rc<RefCell<State<K, T>>>,
}

struct State<K, T> {
    /// Inputs not delivered yet (finished ones included).
    undelivered: usize,
    /// Finished inputs nobody has asked for yet.
    finished: VecDeque<Finished<K, T>>,
    /// The future `next()` returned while nothing was finished.
    running: Option<Future<T>>,
    current_index: Option<K>,
    current_future: Option<Future<T>>,
}

struct Finished<K, T> {
    key: K,
    input: Future<T>,
    extract: Extract<T>,
}

impl<T: 'static> WaitIterator<usize, T> {
    /// An iterator over positional inputs: `current_index` is the position.
    pub fn new<Y, I>(inputs: I) -> WaitIterator<usize, T>
    where
        Y: Yieldable<Output = T>,
        I: IntoIterator<Item = Y>,
    {
        WaitIterator::keyed(inputs.into_iter().enumerate())
    }
}

impl<K: Clone + 'static, T: 'static> WaitIterator<K, T> {
    /// An iterator over keyed inputs (Tornado's keyword arguments):
    /// `current_index` is the key.
    pub fn keyed<Y, I>(inputs: I) -> WaitIterator<K, T>
    where
        Y: Yieldable<Output = T>,
        I: IntoIterator<Item = (K, Y)>,
    {
        let state = Rc::new(RefCell::new(State {
            undelivered: 0,
            finished: VecDeque::new(),
            running: None,
            current_index: None,
            current_future: None,
        }));
        for (key, input) in inputs {
            state.borrow_mut().undelivered += 1;
            let (future, extract) = input.into_yielded().into_parts();
            let state = state.clone();
            // Runs at once for inputs already done: they queue up in
            // argument order.
            future.add_done_callback(move |done| {
                WaitIterator::finished(
                    &state,
                    Finished {
                        key,
                        input: done.clone(),
                        extract,
                    },
                )
            });
        }
        WaitIterator { state }
    }

    /// An input finished: hand it to a waiting `next()`, or queue it.
    fn finished(state: &Rc<RefCell<State<K, T>>>, finished: Finished<K, T>) {
        let running = {
            let mut state = state.borrow_mut();
            match state.running.take() {
                Some(running) if !running.done() => running,
                _ => {
                    state.finished.push_back(finished);
                    return;
                }
            }
        };
        WaitIterator::deliver(state, finished, running);
    }

    /// Moves `finished`'s outcome into `out` and makes it current.
    ///
    /// A cancelled input gives a cancelled `out` (Tornado 6.6's
    /// `chain_future`).
    fn deliver(state: &Rc<RefCell<State<K, T>>>, finished: Finished<K, T>, out: Future<T>) {
        let Finished { key, input, extract } = finished;
        let outcome = extract.read(&input);
        let cancelled = outcome.is_err() && input.cancelled();
        {
            let mut state = state.borrow_mut();
            state.undelivered -= 1;
            state.current_index = Some(key);
            state.current_future = Some(input);
        }
        if cancelled {
            out.cancel();
        } else {
            let _ = out.set(outcome);
        }
    }

    /// Whether every result has been handed out. When it returns `true` it
    /// also resets `current_index` and `current_future`.
    pub fn done(&self) -> bool {
        let mut state = self.state.borrow_mut();
        if state.undelivered > 0 {
            return false;
        }
        state.current_index = None;
        state.current_future = None;
        true
    }

    /// A future for the next available result: a new future every call,
    /// never one of the inputs. Already resolved if a result is waiting.
    ///
    /// Called when every result has been handed out, it returns a future
    /// failed with [`InvalidStateError`] (Tornado's would never resolve).
    #[must_use = "the next result is in the returned future: yield or await it"]
    pub fn next(&self) -> Future<T> {
        let out = Future::new();
        let queued = {
            let mut state = self.state.borrow_mut();
            if state.undelivered == 0 {
                drop(state);
                let _ = out.set_exception(InvalidStateError::new("WaitIterator.next() called after done()"));
                return out;
            }
            match state.finished.pop_front() {
                Some(finished) => Some(finished),
                None => {
                    out.set_label(Label::WaitIterator);
                    state.running = Some(out.clone());
                    None
                }
            }
        };
        if let Some(finished) = queued {
            WaitIterator::deliver(&self.state, finished, out.clone());
        }
        out
    }

    /// The next result if one is already available, without making a
    /// future (what `gust::gen_::Co::wait_iter` uses);
    /// `None` if none is ready yet.
    pub fn try_next(&self) -> Option<Result<T, Error>> {
        let finished = self.state.borrow_mut().finished.pop_front()?;
        let Finished { key, input, extract } = finished;
        let outcome = extract.read(&input);
        let mut state = self.state.borrow_mut();
        state.undelivered -= 1;
        state.current_index = Some(key);
        state.current_future = Some(input);
        Some(outcome)
    }

    /// Where the latest result came from: the input's position, or its key.
    pub fn current_index(&self) -> Option<K> {
        self.state.borrow().current_index.clone()
    }

    /// The input the latest result came from.
    pub fn current_future(&self) -> Option<Future<T>> {
        self.state.borrow().current_future.clone()
    }

    /// How many results have not been handed out yet.
    pub fn remaining(&self) -> usize {
        self.state.borrow().undelivered
    }
}

impl<K, T> fmt::Debug for WaitIterator<K, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.state.try_borrow() {
            Ok(state) => f
                .debug_struct("WaitIterator")
                .field("undelivered", &state.undelivered)
                .field("finished", &state.finished.len())
                .finish(),
            Err(_) => f.write_str("WaitIterator(<busy>)"),
        }
    }
}

/// The outcome of one input, as [`WaitIterator`] delivers it.
pub type WaitResult<K, T> = (K, Result<T, Error>);
