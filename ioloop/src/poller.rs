//! The loop's I/O: the mio poll, the table of fd handlers, and the events
//! the last poll returned.

use std::cell::{Cell, RefCell};
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use mio::Token;
use mio::event::Source;

use crate::callback::log_panic;
use crate::handle::Remote;
use crate::handlers::{Entry, Events, HandlerFn, HandlerId, Handlers};

/// The mio token of the loop's waker (never a handler's: handler tokens
/// have a generation in 1..u32::MAX in their upper half).
pub(crate) const WAKER_TOKEN: Token = Token(usize::MAX);

/// While callbacks are ready the loop does not make a system call to look
/// for I/O on every iteration, only once this many callbacks have run since
/// it last looked (tokio's `event_interval` is 61). An idle loop always
/// polls.
const IO_POLL_INTERVAL: u32 = 64;

/// How long a loop about to block spins first, waiting for a callback
/// from another thread (only on machines with more than one CPU).
const IDLE_SPIN: Duration = Duration::from_micros(2);

/// How many events one poll can return.
const EVENTS_CAPACITY: usize = 1024;

pub(crate) struct Poller {
    poll: RefCell<mio::Poll>,
    events: RefCell<mio::Events>,
    /// What the last poll returned, for `dispatch`.
    fired: RefCell<Vec<(Token, Events)>>,
    registry: mio::Registry,
    handlers: RefCell<Handlers>,
    /// Callbacks run since the last poll.
    since_poll: Cell<u32>,
}

impl Poller {
    /// A poller, and the waker other threads use to interrupt its poll.
    pub(crate) fn new() -> io::Result<(Poller, mio::Waker)> {
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN)?;
        let poller = Poller {
            poll: RefCell::new(poll),
            events: RefCell::new(mio::Events::with_capacity(EVENTS_CAPACITY)),
            fired: RefCell::new(Vec::new()),
            registry,
            handlers: RefCell::new(Handlers::default()),
            since_poll: Cell::new(0),
        };
        Ok((poller, waker))
    }

    /// Number of registered handlers.
    #[inline]
    pub(crate) fn handler_count(&self) -> usize {
        self.handlers.borrow().len()
    }

    pub(crate) fn add_handler<S: Source + ?Sized>(
        &self,
        source: &mut S,
        events: Events,
        handler: HandlerFn,
    ) -> io::Result<HandlerId> {
        let id = self
            .handlers
            .borrow_mut()
            .insert(events, handler)
            .map_err(io::Error::other)?;
        if let Err(e) = self.registry.register(source, id.token(), events.interest()) {
            let removed = self.handlers.borrow_mut().remove(id);
            drop(removed);
            return Err(e);
        }
        Ok(id)
    }

    pub(crate) fn update_handler<S: Source + ?Sized>(
        &self,
        source: &mut S,
        id: HandlerId,
        events: Events,
    ) -> io::Result<()> {
        let previous = {
            let mut handlers = self.handlers.borrow_mut();
            let entry = handlers
                .get_mut(id)
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such handler"))?;
            std::mem::replace(&mut entry.events, events)
        };
        let result = self.registry.reregister(source, id.token(), events.interest());
        if result.is_err() {
            if let Some(entry) = self.handlers.borrow_mut().get_mut(id) {
                entry.events = previous;
            }
        }
        result
    }

    pub(crate) fn remove_handler<S: Source + ?Sized>(&self, source: &mut S, id: HandlerId) -> io::Result<()> {
        let removed = self.handlers.borrow_mut().remove(id);
        match removed {
            None => Ok(()),
            Some(entry) => {
                let result = self.registry.deregister(source);
                drop(entry);
                result
            }
        }
    }

    /// Whether this iteration looks for I/O: always when the loop is idle
    /// (`busy` false); with work ready only now and then, and never when no
    /// handler is registered (the waker is a flag check away).
    #[inline]
    pub(crate) fn should_poll(&self, busy: bool) -> bool {
        !busy || (self.since_poll.get() >= IO_POLL_INTERVAL && self.handler_count() > 0)
    }

    /// Counts callbacks run, for [`should_poll`](Self::should_poll).
    #[inline]
    pub(crate) fn ran(&self, callbacks: usize) {
        let callbacks = u32::try_from(callbacks).unwrap_or(u32::MAX);
        self.since_poll
            .set(self.since_poll.get().saturating_add(callbacks));
    }

    /// Polls mio for at most `timeout` (`None`: until something happens),
    /// retrying on EINTR, and records what fired.
    pub(crate) fn poll(&self, mut timeout: Option<Duration>, remote: &Remote) {
        self.since_poll.set(0);
        // About to block: first spin briefly on the cross-thread flag (a
        // reply from another thread often comes within microseconds, and
        // waking from epoll costs more), then tell other threads we may
        // block, so that they write the waker.
        let blocking = timeout != Some(Duration::ZERO);
        // The spin is for loops that wait only for other threads: with fd
        // handlers registered the next event is most likely I/O, which
        // only the poll can see, so spinning would only delay it.
        let spin = self.handler_count() == 0;
        if blocking && spin && remote.spin_until_notified(IDLE_SPIN) {
            // Another thread's callback arrived while spinning. With no fd
            // handler registered, the poll could only report the waker
            // (which is written only while the loop sleeps): skip the
            // system call.
            return;
        }
        if blocking && !remote.enter_sleep() {
            // A wake is already pending: do not block (and, as above, with
            // no fd handler there is nothing to poll for).
            if spin {
                return;
            }
            timeout = Some(Duration::ZERO);
        }
        let started = Instant::now();
        let mut poll = self.poll.borrow_mut();
        let mut events = self.events.borrow_mut();
        let mut wait = timeout;
        loop {
            match poll.poll(&mut events, wait) {
                Ok(()) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    wait = timeout.map(|t| t.saturating_sub(started.elapsed()));
                }
                Err(e) => {
                    crate::gust_log!(target: crate::APP_LOG, log::Level::Error, "IOLoop poll failed: {e}");
                    events.clear();
                    break;
                }
            }
        }
        if blocking {
            remote.leave_sleep();
        }
        let mut fired = self.fired.borrow_mut();
        for event in events.iter() {
            if event.token() != WAKER_TOKEN {
                fired.push((event.token(), Events::from_mio(event)));
            }
        }
    }

    /// Whether the last poll returned events not yet dispatched.
    #[inline]
    pub(crate) fn has_fired(&self) -> bool {
        !self.fired.borrow().is_empty()
    }

    /// Runs the handlers of the events the last poll returned.
    pub(crate) fn dispatch(&self) {
        if self.fired.borrow().is_empty() {
            return;
        }
        let fired = std::mem::take(&mut *self.fired.borrow_mut());
        for &(token, events) in &fired {
            let id = HandlerId::from_token(token);
            let taken = {
                let mut handlers = self.handlers.borrow_mut();
                match handlers.get_mut(id) {
                    Some(entry) => {
                        let deliver = events & (entry.events | Events::ERROR);
                        if deliver.is_empty() {
                            None
                        } else {
                            entry.handler.take().map(|h| (h, deliver))
                        }
                    }
                    None => None,
                }
            };
            let Some((mut handler, deliver)) = taken else {
                continue;
            };
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| handler(deliver))) {
                log_panic("fd handler", &*payload);
            }
            // Put the handler back unless it removed itself meanwhile.
            let mut handler = Some(handler);
            if let Some(entry) = self.handlers.borrow_mut().get_mut(id) {
                if entry.handler.is_none() {
                    entry.handler = handler.take();
                }
            }
            drop(handler);
        }
        // Keep the buffer's capacity.
        let mut fired = fired;
        fired.clear();
        let mut slot = self.fired.borrow_mut();
        if slot.is_empty() {
            *slot = fired;
        }
    }

    /// Takes every handler out (the loop is closing).
    pub(crate) fn drain(&self) -> Vec<Entry> {
        self.handlers.borrow_mut().drain()
    }
}
