//! File-descriptor handlers: what the loop calls when a registered mio
//! source becomes readable or writable.
//!
//! mio is edge-triggered: a handler hears about readiness once, when it
//! appears. A handler must therefore read (or write) until the operation
//! returns [`std::io::ErrorKind::WouldBlock`]; if it stops early it will not
//! be called again for the data already waiting. (Tornado's epoll loop is
//! level-triggered and calls again; this is the one place the Rust loop asks
//! more of its user.)

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign};

use mio::{Interest, Token};
use slab::Slab;

/// A set of I/O events, with Tornado's values: `READ = 0x001`,
/// `WRITE = 0x004`, `ERROR = 0x018`.
///
/// ```
/// use gust_ioloop::Events;
/// let both = Events::READ | Events::WRITE;
/// assert!(both.contains(Events::READ));
/// assert!(!both.contains(Events::ERROR));
/// assert_eq!(both.bits(), 0x005);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Events(u32);

impl Events {
    /// No events.
    pub const NONE: Events = Events(0);
    /// The source is readable (or its peer closed the reading side).
    pub const READ: Events = Events(0x001);
    /// The source is writable.
    pub const WRITE: Events = Events(0x004);
    /// An error or hang-up on the source. Always reported, whether asked
    /// for or not, as in Tornado.
    pub const ERROR: Events = Events(0x018);
    /// The peer closed its writing side: reading will reach the end of the
    /// stream once the data before it is read (epoll's `EPOLLRDHUP`, the
    /// same value). Comes with [`READ`](Events::READ), and only to
    /// handlers that ask for it. The loop is edge-triggered: a handler
    /// that stops reading before `WouldBlock` (because a short read showed
    /// the socket drained) needs this to know the end is already there.
    pub const READ_CLOSED: Events = Events(0x2000);

    /// The raw bits.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// Whether every event in `other` is in `self`.
    pub fn contains(self, other: Events) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether `self` and `other` share any event.
    pub fn intersects(self, other: Events) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether this is the empty set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The mio interest for these events. mio cannot register an empty
    /// interest, so a handler asking for neither READ nor WRITE (only the
    /// errors it always hears about) is registered for readability, and
    /// its readable events are filtered out before it is called.
    pub(crate) fn interest(self) -> Interest {
        match (self.intersects(Events::READ), self.intersects(Events::WRITE)) {
            (true, true) => Interest::READABLE | Interest::WRITABLE,
            (false, true) => Interest::WRITABLE,
            (_, false) => Interest::READABLE,
        }
    }

    /// The events a mio event reports.
    pub(crate) fn from_mio(event: &mio::event::Event) -> Events {
        let mut events = Events::NONE;
        if event.is_readable() || event.is_read_closed() {
            events |= Events::READ;
        }
        if event.is_read_closed() {
            events |= Events::READ_CLOSED;
        }
        if event.is_writable() {
            events |= Events::WRITE;
        }
        if event.is_error() || (event.is_read_closed() && event.is_write_closed()) {
            events |= Events::ERROR;
        }
        events
    }
}

impl BitOr for Events {
    type Output = Events;
    fn bitor(self, rhs: Events) -> Events {
        Events(self.0 | rhs.0)
    }
}

impl BitOrAssign for Events {
    fn bitor_assign(&mut self, rhs: Events) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Events {
    type Output = Events;
    fn bitand(self, rhs: Events) -> Events {
        Events(self.0 & rhs.0)
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names = Vec::new();
        if self.intersects(Events::READ) {
            names.push("READ");
        }
        if self.intersects(Events::WRITE) {
            names.push("WRITE");
        }
        if self.intersects(Events::ERROR) {
            names.push("ERROR");
        }
        if self.intersects(Events::READ_CLOSED) {
            names.push("READ_CLOSED");
        }
        if names.is_empty() {
            names.push("NONE");
        }
        write!(f, "Events({})", names.join(" | "))
    }
}

/// Identifies a registered handler, for
/// [`update_handler`](crate::IOLoop::update_handler) and
/// [`remove_handler`](crate::IOLoop::remove_handler).
///
/// It carries a generation: once the handler is removed its slot may be
/// reused, and neither this id nor an event still in flight for the old
/// registration can reach the new handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HandlerId {
    index: u32,
    generation: u32,
}

impl HandlerId {
    /// The mio token this registration uses.
    pub(crate) fn token(self) -> Token {
        Token(((self.generation as usize) << 32) | self.index as usize)
    }

    /// The id a mio token encodes.
    pub(crate) fn from_token(token: Token) -> HandlerId {
        HandlerId {
            index: (token.0 & 0xffff_ffff) as u32,
            generation: (token.0 >> 32) as u32,
        }
    }
}

/// The boxed handler closure.
pub(crate) type HandlerFn = Box<dyn FnMut(Events)>;

pub(crate) struct Entry {
    generation: u32,
    pub(crate) events: Events,
    /// `None` while the handler runs (so it may update or remove itself).
    pub(crate) handler: Option<HandlerFn>,
}

/// The table of registered handlers.
#[derive(Default)]
pub(crate) struct Handlers {
    entries: Slab<Entry>,
    next_generation: u32,
}

impl Handlers {
    pub(crate) fn insert(&mut self, events: Events, handler: HandlerFn) -> HandlerId {
        // Generation 0 is never used, so that Token(0..2^32) (generation 0)
        // never names a live handler, and u32::MAX << 32 | u32::MAX stays
        // free for the waker.
        self.next_generation = self.next_generation.wrapping_add(1).max(1);
        if self.next_generation == u32::MAX {
            self.next_generation = 1;
        }
        let generation = self.next_generation;
        let index = self.entries.insert(Entry {
            generation,
            events,
            handler: Some(handler),
        });
        HandlerId {
            index: index as u32,
            generation,
        }
    }

    pub(crate) fn get_mut(&mut self, id: HandlerId) -> Option<&mut Entry> {
        self.entries
            .get_mut(id.index as usize)
            .filter(|entry| entry.generation == id.generation)
    }

    pub(crate) fn remove(&mut self, id: HandlerId) -> Option<Entry> {
        self.get_mut(id)?;
        Some(self.entries.remove(id.index as usize))
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn drain(&mut self) -> Vec<Entry> {
        self.entries.drain().collect()
    }
}
