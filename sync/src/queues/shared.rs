//! The state behind every queue type, and Tornado's algorithm on it.
//!
//! Hand-offs follow Tornado: `put_nowait` with getters waiting gives the
//! item to the first getter (the queue was empty), `get_nowait` with
//! putters waiting moves the first putter's item in and resolves it.
//! What gust adds is that no item is lost on the way:
//!
//! * a getter nobody waits on any more (timed out, cancelled, its consumer
//!   gone) is skipped and never handed an item;
//! * a getter handed an item that nobody read when its last handle is
//!   dropped (a consumer that vanished between the hand-off and reading
//!   it: a dropped native task, a `with_timeout` that already gave up, a
//!   coroutine closed with its loop) gives the item back: it returns to
//!   the front of the queue (where it was taken from) and goes to the next
//!   getter. This is the future's reclaimer ([`Reclaim`]).

use std::cell::RefCell;
use std::fmt;
use std::rc::{Rc, Weak};

use gust_ioloop::{APP_LOG, IOLoop};
use gust_yieldables::Future;
use gust_yieldables::protocol::Reclaim;

use super::error::{QueueEmpty, QueueFull, TaskDoneError};
use super::order::Order;
use crate::locks::Event;
use crate::timeout::IntoTimeout;
use crate::waiters::{Timer, Waiter, Waiters, deliver, drop_swept, time_out};

pub(crate) struct Shared<T: 'static, S> {
    state: RefCell<State<T, S>>,
    /// Set while every item put has been matched by a `task_done`.
    finished: Event,
    maxsize: usize,
    me: Weak<Shared<T, S>>,
}

struct State<T: 'static, S> {
    items: S,
    getters: Waiters<T>,
    /// Each with the item it puts (taken when it is served).
    putters: Waiters<(), Option<T>>,
    unfinished: usize,
}

/// What a queue iterator needs of a queue, whatever its order.
pub(crate) trait Source<T> {
    /// `get(None)`.
    fn next_item(&self) -> Future<T>;
}

impl<T: 'static, S: Order<T>> Shared<T, S> {
    pub(crate) fn new(maxsize: usize) -> Rc<Self> {
        let finished = Event::new();
        finished.set();
        Rc::new_cyclic(|me| Shared {
            state: RefCell::new(State {
                items: S::new(),
                getters: Waiters::new(),
                putters: Waiters::keeping_unobserved(),
                unfinished: 0,
            }),
            finished,
            maxsize,
            me: me.clone(),
        })
    }

    pub(crate) fn maxsize(&self) -> usize {
        self.maxsize
    }

    pub(crate) fn qsize(&self) -> usize {
        self.state.borrow().items.len()
    }

    pub(crate) fn full(&self) -> bool {
        self.maxsize != 0 && self.qsize() >= self.maxsize
    }

    pub(crate) fn put_nowait(&self, item: T) -> Result<(), QueueFull<T>> {
        {
            let mut state = self.state.borrow_mut();
            // Getters wait only on an empty queue, so a full queue has none.
            if self.maxsize != 0 && state.items.len() >= self.maxsize {
                return Err(QueueFull(item));
            }
            state.unfinished += 1;
            state.items.push(item);
        }
        self.finished.clear();
        self.feed_getters();
        Ok(())
    }

    pub(crate) fn put(&self, item: T, timeout: impl IntoTimeout) -> Future<()> {
        let item = match self.put_nowait(item) {
            Ok(()) => return Future::ready(()),
            Err(QueueFull(item)) => item,
        };
        let future = Future::new();
        let timer = Timer::for_waiter(
            timeout.into_timeout(),
            &future,
            self.me.clone(),
            time_out,
            Self::note_putter_timeout,
        );
        let swept = self
            .state
            .borrow_mut()
            .putters
            .push(Waiter::new(future.clone(), Some(item), timer));
        drop_swept(swept);
        future
    }

    pub(crate) fn get_nowait(&self) -> Result<T, QueueEmpty> {
        loop {
            let mut state = self.state.borrow_mut();
            let Some(putter) = state.putters.pop_front() else {
                return state.items.pop().ok_or(QueueEmpty);
            };
            if putter.future.done() {
                // Timed out (or cancelled): its item was never put. Dropped
                // outside the borrow.
                drop(state);
                drop(putter);
                continue;
            }
            // Putters wait only on a full queue: their item goes in as the
            // first item comes out (Tornado's get_nowait).
            let mut putter = putter;
            if let Some(put_item) = putter.extra.take() {
                state.unfinished += 1;
                state.items.push(put_item);
            }
            let item = state.items.pop();
            drop(state);
            self.finished.clear();
            putter.cancel_timer();
            let _ = putter.future.set_result(());
            return item.ok_or(QueueEmpty);
        }
    }

    pub(crate) fn get(&self, timeout: impl IntoTimeout) -> Future<T> {
        if let Ok(item) = self.get_nowait() {
            return Future::ready(item);
        }
        let future = Future::new();
        let timer = Timer::for_waiter(
            timeout.into_timeout(),
            &future,
            self.me.clone(),
            time_out,
            Self::note_getter_timeout,
        );
        let swept = self
            .state
            .borrow_mut()
            .getters
            .push(Waiter::new(future.clone(), (), timer));
        drop_swept(swept);
        future
    }

    fn note_putter_timeout(&self) {
        let swept = self.state.borrow_mut().putters.note_timeout();
        drop_swept(swept);
    }

    fn note_getter_timeout(&self) {
        let swept = self.state.borrow_mut().getters.note_timeout();
        drop_swept(swept);
    }

    pub(crate) fn task_done(&self) -> Result<(), TaskDoneError> {
        let all_done = {
            let mut state = self.state.borrow_mut();
            if state.unfinished == 0 {
                return Err(TaskDoneError);
            }
            state.unfinished -= 1;
            state.unfinished == 0
        };
        if all_done {
            self.finished.set();
        }
        Ok(())
    }

    pub(crate) fn join(&self, timeout: impl IntoTimeout) -> Future<()> {
        self.finished.wait(timeout)
    }

    pub(crate) fn unfinished_tasks(&self) -> usize {
        self.state.borrow().unfinished
    }

    pub(crate) fn getters(&self) -> usize {
        self.state.borrow().getters.live_count()
    }

    pub(crate) fn putters(&self) -> usize {
        self.state.borrow().putters.live_count()
    }

    /// Gives items to live getters while there are both.
    fn feed_getters(&self) {
        loop {
            let (mut getter, item) = {
                let mut state = self.state.borrow_mut();
                if state.items.len() == 0 {
                    return;
                }
                let Some(getter) = state.getters.pop_front() else {
                    return;
                };
                if !getter.is_live() {
                    drop(state);
                    drop(getter);
                    continue;
                }
                match state.items.pop() {
                    Some(item) => (getter, item),
                    None => return,
                }
            };
            getter.cancel_timer();
            getter.future.add_reclaimer(self.me.clone());
            if let Err(item) = deliver(&getter.future, item) {
                self.state.borrow_mut().items.give_back(item);
            }
        }
    }

    /// Tornado's `_format`: `maxsize=N queue=... getters[N] putters[N]
    /// tasks=N`.
    pub(crate) fn format(&self, f: &mut fmt::Formatter<'_>, name: &str, with_address: bool) -> fmt::Result
    where
        T: fmt::Debug,
    {
        write!(f, "<{name}")?;
        if with_address {
            write!(f, " at {:p}", self as *const Self)?;
        }
        write!(f, " maxsize={}", self.maxsize)?;
        let Ok(state) = self.state.try_borrow() else {
            return f.write_str(" (busy)>");
        };
        if state.items.len() > 0 {
            f.write_str(" queue=")?;
            state.items.fmt_items(f)?;
        }
        match state.getters.live_count() {
            0 => {}
            n => write!(f, " getters[{n}]")?,
        }
        match state.putters.live_count() {
            0 => {}
            n => write!(f, " putters[{n}]")?,
        }
        if state.unfinished > 0 {
            write!(f, " tasks={}", state.unfinished)?;
        }
        f.write_str(">")
    }
}

/// An item handed to a getter whose future was dropped unread comes back.
impl<T: 'static, S: Order<T>> Reclaim<T> for Shared<T, S> {
    fn reclaim(&self, item: T) {
        let Ok(mut state) = self.state.try_borrow_mut() else {
            // Dropped while the queue's own state is in use (from inside a
            // value the queue is dropping): come back from the loop.
            let me = self.me.clone();
            match IOLoop::current_opt() {
                Some(io_loop) => io_loop.add_callback(move || {
                    if let Some(me) = me.upgrade() {
                        me.reclaim(item);
                    }
                }),
                None => {
                    gust_ioloop::gust_log!(target: APP_LOG, log::Level::Error, "a queue item came back with no loop to return it on")
                }
            }
            return;
        };
        state.items.give_back(item);
        drop(state);
        self.feed_getters();
    }
}

impl<T: 'static, S: Order<T>> Source<T> for Shared<T, S> {
    fn next_item(&self) -> Future<T> {
        self.get(None)
    }
}
