//! The connection race behind `TCPClient::connect` (Tornado's
//! `tcpclient._Connector`): "Happy Eyeballs", RFC 6555.
//!
//! The addresses are split by family: the first family is the one of the
//! first address. One attempt runs per family at a time. The first family
//! is tried at once; the second starts when the first attempt fails, or
//! after [`INITIAL_CONNECT_TIMEOUT`] if it is still pending. A failed
//! attempt moves on to the next address of its family. The first
//! connection to succeed wins; the others are closed, including any that
//! succeed later. With a connect timeout, everything still pending is
//! closed when it fires and the result is a `TimeoutError`.
//!
//! The race is generic over the address and the connection types so that
//! it can be tested with fakes, as Tornado's `ConnectorTest` does.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gust_ioloop::{IOLoop, TimeoutHandle};
use gust_yieldables::{Error, Future, TimeoutError};

use crate::netutil::AddressFamily;

/// When the second address family gets its first attempt if the first
/// family's attempt has neither succeeded nor failed (Tornado's
/// `_INITIAL_CONNECT_TIMEOUT`, 0.3 s).
pub const INITIAL_CONNECT_TIMEOUT: Duration = Duration::from_millis(300);

/// A connection the race can close.
pub(crate) trait Connection: 'static {
    fn close(&self);
    fn same(&self, other: &Self) -> bool;
}

impl Connection for crate::iostream::IOStream {
    fn close(&self) {
        crate::iostream::IOStream::close(self);
    }
    fn same(&self, other: &Self) -> bool {
        self.ptr_eq(other)
    }
}

/// Starts one attempt: the connection (to close if it loses) and the
/// future of its success.
pub(crate) type ConnectFn<A, S> = Box<dyn FnMut(AddressFamily, A) -> io::Result<(S, Future<S>)>>;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Queue {
    Primary,
    Secondary,
}

pub(crate) struct Connector<A, S> {
    io_loop: IOLoop,
    connect: RefCell<ConnectFn<A, S>>,
    pub(crate) future: Future<(AddressFamily, A, S)>,
    timeout: Cell<Option<TimeoutHandle>>,
    connect_timeout: Cell<Option<TimeoutHandle>>,
    last_error: RefCell<Option<Error>>,
    remaining: Cell<usize>,
    primary: RefCell<VecDeque<(AddressFamily, A)>>,
    secondary: RefCell<VecDeque<(AddressFamily, A)>>,
    /// Attempts not (yet) won.
    pub(crate) streams: RefCell<Vec<S>>,
}

impl<A: Clone + 'static, S: Connection> Connector<A, S> {
    pub(crate) fn new(addrinfo: Vec<(AddressFamily, A)>, connect: ConnectFn<A, S>) -> Rc<Self> {
        let (primary, secondary) = split(addrinfo);
        Rc::new(Connector {
            io_loop: IOLoop::current(),
            connect: RefCell::new(connect),
            future: Future::new(),
            timeout: Cell::new(None),
            connect_timeout: Cell::new(None),
            last_error: RefCell::new(None),
            remaining: Cell::new(primary.len() + secondary.len()),
            primary: RefCell::new(primary.into()),
            secondary: RefCell::new(secondary.into()),
            streams: RefCell::new(Vec::new()),
        })
    }

    /// Starts the race; the future gives the winning family, address and
    /// connection.
    pub(crate) fn start(
        self: &Rc<Self>,
        timeout: Duration,
        connect_timeout: Option<Instant>,
    ) -> Future<(AddressFamily, A, S)> {
        self.try_connect(Queue::Primary);
        self.set_timeout(timeout);
        if let Some(deadline) = connect_timeout {
            self.set_connect_timeout(deadline);
        }
        self.future.clone()
    }

    fn queue(&self, queue: Queue) -> &RefCell<VecDeque<(AddressFamily, A)>> {
        match queue {
            Queue::Primary => &self.primary,
            Queue::Secondary => &self.secondary,
        }
    }

    pub(crate) fn try_connect(self: &Rc<Self>, queue: Queue) {
        let next = self.queue(queue).borrow_mut().pop_front();
        let Some((family, address)) = next else {
            // This family is exhausted; fail only once the other is too.
            if self.remaining.get() == 0 && !self.future.done() {
                let error = self
                    .last_error
                    .borrow_mut()
                    .take()
                    .unwrap_or_else(|| Error::new(io::Error::other("connection failed")));
                let _ = self.future.set_exception(error);
            }
            return;
        };
        let attempt = (self.connect.borrow_mut())(family, address.clone());
        match attempt {
            Ok((stream, connected)) => {
                self.streams.borrow_mut().push(stream);
                let this = self.clone();
                connected.add_done_callback(move |done| this.on_connect_done(queue, family, address, done));
            }
            Err(e) => {
                // Tornado lets this error (a bind failure) escape: fail
                // loudly rather than trying the next address.
                if !self.future.done() {
                    let _ = self.future.set_exception(e);
                }
                self.clear_timeouts();
                self.close_streams();
            }
        }
    }

    fn on_connect_done(self: &Rc<Self>, queue: Queue, family: AddressFamily, address: A, done: &Future<S>) {
        self.remaining.set(self.remaining.get().saturating_sub(1));
        match done.take_result() {
            Err(e) => {
                if self.future.done() {
                    return;
                }
                *self.last_error.borrow_mut() = Some(e);
                self.try_connect(queue);
                if let Some(timeout) = self.timeout.take() {
                    // The first attempt failed: start the other family now.
                    self.io_loop.remove_timeout(timeout);
                    self.on_timeout();
                }
            }
            Ok(stream) => {
                self.clear_timeouts();
                if self.future.done() {
                    // A late arrival: drop it.
                    stream.close();
                } else {
                    self.streams.borrow_mut().retain(|s| !s.same(&stream));
                    let _ = self.future.set_result((family, address, stream));
                    self.close_streams();
                }
            }
        }
    }

    fn set_timeout(self: &Rc<Self>, timeout: Duration) {
        let this = self.clone();
        let handle = self.io_loop.call_later(timeout, move || this.on_timeout());
        self.timeout.set(Some(handle));
    }

    pub(crate) fn on_timeout(self: &Rc<Self>) {
        self.timeout.set(None);
        if !self.future.done() {
            self.try_connect(Queue::Secondary);
        }
    }

    fn set_connect_timeout(self: &Rc<Self>, deadline: Instant) {
        let this = self.clone();
        let handle = self
            .io_loop
            .add_timeout(deadline, move || this.on_connect_timeout());
        self.connect_timeout.set(Some(handle));
    }

    pub(crate) fn on_connect_timeout(self: &Rc<Self>) {
        self.connect_timeout.set(None);
        if !self.future.done() {
            let _ = self.future.set_exception(TimeoutError::new("Timeout"));
        }
        self.close_streams();
    }

    fn clear_timeouts(&self) {
        if let Some(timeout) = self.timeout.take() {
            self.io_loop.remove_timeout(timeout);
        }
        if let Some(timeout) = self.connect_timeout.take() {
            self.io_loop.remove_timeout(timeout);
        }
    }

    fn close_streams(&self) {
        let streams: Vec<S> = std::mem::take(&mut *self.streams.borrow_mut());
        for stream in &streams {
            stream.close();
        }
        // Keep them listed (closed), as Tornado's set keeps them.
        self.streams.borrow_mut().extend(streams);
    }
}

/// Addresses with their families, in the order to try them.
pub(crate) type AddrInfo<A> = Vec<(AddressFamily, A)>;

/// Splits addresses by family: the first address's family, then the rest
/// (Tornado's `_Connector.split`).
pub(crate) fn split<A>(addrinfo: Vec<(AddressFamily, A)>) -> (AddrInfo<A>, AddrInfo<A>) {
    let Some(first) = addrinfo.first().map(|(family, _)| *family) else {
        return (Vec::new(), Vec::new());
    };
    addrinfo.into_iter().partition(|(family, _)| *family == first)
}

#[cfg(test)]
mod tests {
    //! Tornado's `TestConnectorSplit` and `ConnectorTest`, with fake
    //! connections and families standing for AF1 and AF2.
    use super::*;
    use std::collections::HashMap;

    const AF1: AddressFamily = AddressFamily::Inet;
    const AF2: AddressFamily = AddressFamily::Inet6;

    #[derive(Clone)]
    struct FakeStream(Rc<Cell<bool>>);

    impl Connection for FakeStream {
        fn close(&self) {
            self.0.set(true);
        }
        fn same(&self, other: &Self) -> bool {
            Rc::ptr_eq(&self.0, &other.0)
        }
    }

    impl FakeStream {
        fn closed(&self) -> bool {
            self.0.get()
        }
    }

    #[derive(Default)]
    struct Fixture {
        connect_futures: RefCell<HashMap<(AddressFamily, &'static str), Future<FakeStream>>>,
        streams: RefCell<HashMap<&'static str, FakeStream>>,
        io_loop: Option<IOLoop>,
    }

    type Conn = Rc<Connector<&'static str, FakeStream>>;

    impl Fixture {
        fn new() -> Rc<Fixture> {
            Rc::new(Fixture {
                io_loop: Some(IOLoop::new()),
                ..Fixture::default()
            })
        }

        fn start_connect(
            self: &Rc<Self>,
            addrinfo: Vec<(AddressFamily, &'static str)>,
        ) -> (Conn, Future<(AddressFamily, &'static str, FakeStream)>) {
            let fixture = self.clone();
            let connect: ConnectFn<&'static str, FakeStream> = Box::new(move |af, addr| {
                let stream = FakeStream(Rc::new(Cell::new(false)));
                fixture.streams.borrow_mut().insert(addr, stream.clone());
                let future = Future::new();
                fixture
                    .connect_futures
                    .borrow_mut()
                    .insert((af, addr), future.clone());
                Ok((stream, future))
            });
            let conn = Connector::new(addrinfo, connect);
            // A huge timeout: the tests trigger timeouts by hand.
            let io_loop = self.io_loop.as_ref().unwrap();
            let deadline = io_loop.time() + Duration::from_secs(3600);
            let future = conn.start(Duration::from_secs(3600), Some(deadline));
            (conn, future)
        }

        fn assert_pending(&self, keys: &[(AddressFamily, &'static str)]) {
            let mut pending: Vec<_> = self.connect_futures.borrow().keys().copied().collect();
            let mut want = keys.to_vec();
            pending.sort_by_key(|(af, a)| (*af as u8, *a));
            want.sort_by_key(|(af, a)| (*af as u8, *a));
            assert_eq!(pending, want);
        }

        fn resolve_connect(&self, af: AddressFamily, addr: &'static str, success: bool) {
            let future = self.connect_futures.borrow_mut().remove(&(af, addr)).unwrap();
            if success {
                let stream = self.streams.borrow()[addr].clone();
                future.set_result(stream).unwrap();
            } else {
                self.streams.borrow_mut().remove(addr);
                future.set_exception(io::Error::other("refused")).unwrap();
            }
            self.io_loop
                .as_ref()
                .unwrap()
                .run_once(Some(Duration::ZERO))
                .unwrap();
        }

        fn stream(&self, addr: &str) -> FakeStream {
            self.streams.borrow()[addr].clone()
        }

        fn pop_closed(&self, af: AddressFamily, addr: &'static str) {
            self.connect_futures.borrow_mut().remove(&(af, addr)).unwrap();
            assert!(self.streams.borrow_mut().remove(addr).unwrap().closed());
        }

        /// Tornado's tearDown: no stream closed unless checked and popped.
        fn check_teardown(&self) {
            for (addr, stream) in self.streams.borrow().iter() {
                assert!(!stream.closed(), "{addr} was closed");
            }
        }
    }

    fn addrinfo() -> Vec<(AddressFamily, &'static str)> {
        vec![(AF1, "a"), (AF1, "b"), (AF2, "c"), (AF2, "d")]
    }

    fn all_closed(conn: &Conn) -> bool {
        conn.streams.borrow().iter().all(FakeStream::closed)
    }

    fn result_addr(
        future: &Future<(AddressFamily, &'static str, FakeStream)>,
    ) -> (AddressFamily, &'static str) {
        let (af, addr, _) = future.take_result().unwrap();
        (af, addr)
    }

    fn is_io_error(future: &Future<(AddressFamily, &'static str, FakeStream)>) -> bool {
        future.take_result().err().is_some_and(|e| e.is::<io::Error>())
    }

    fn is_timeout(future: &Future<(AddressFamily, &'static str, FakeStream)>) -> bool {
        future.take_result().err().is_some_and(|e| e.is::<TimeoutError>())
    }

    #[test]
    fn split_one_family() {
        let (primary, secondary) = split(vec![(AF1, "a"), (AF1, "b")]);
        assert_eq!(primary, vec![(AF1, "a"), (AF1, "b")]);
        assert!(secondary.is_empty());
    }

    #[test]
    fn split_mixed() {
        let (primary, secondary) = split(vec![(AF1, "a"), (AF2, "b"), (AF1, "c"), (AF2, "d")]);
        assert_eq!(primary, vec![(AF1, "a"), (AF1, "c")]);
        assert_eq!(secondary, vec![(AF2, "b"), (AF2, "d")]);
    }

    #[test]
    fn immediate_success() {
        let t = Fixture::new();
        let (_conn, future) = t.start_connect(addrinfo());
        t.assert_pending(&[(AF1, "a")]);
        t.resolve_connect(AF1, "a", true);
        let (af, addr, stream) = future.take_result().unwrap();
        assert_eq!((af, addr), (AF1, "a"));
        assert!(stream.same(&t.stream("a")));
        t.check_teardown();
    }

    #[test]
    fn immediate_failure() {
        let t = Fixture::new();
        let (_conn, future) = t.start_connect(vec![(AF1, "a")]);
        t.assert_pending(&[(AF1, "a")]);
        t.resolve_connect(AF1, "a", false);
        assert!(is_io_error(&future));
        t.check_teardown();
    }

    #[test]
    fn one_family_second_try() {
        let t = Fixture::new();
        let (_conn, future) = t.start_connect(vec![(AF1, "a"), (AF1, "b")]);
        t.assert_pending(&[(AF1, "a")]);
        t.resolve_connect(AF1, "a", false);
        t.assert_pending(&[(AF1, "b")]);
        t.resolve_connect(AF1, "b", true);
        assert_eq!(result_addr(&future), (AF1, "b"));
        t.check_teardown();
    }

    #[test]
    fn one_family_second_try_failure() {
        let t = Fixture::new();
        let (_conn, future) = t.start_connect(vec![(AF1, "a"), (AF1, "b")]);
        t.resolve_connect(AF1, "a", false);
        t.assert_pending(&[(AF1, "b")]);
        t.resolve_connect(AF1, "b", false);
        assert!(is_io_error(&future));
        t.check_teardown();
    }

    #[test]
    fn one_family_second_try_timeout() {
        let t = Fixture::new();
        let (conn, future) = t.start_connect(vec![(AF1, "a"), (AF1, "b")]);
        t.assert_pending(&[(AF1, "a")]);
        // The timeout while the first attempt is pending: nothing happens.
        conn.on_timeout();
        t.assert_pending(&[(AF1, "a")]);
        t.resolve_connect(AF1, "a", false);
        t.assert_pending(&[(AF1, "b")]);
        t.resolve_connect(AF1, "b", true);
        assert_eq!(result_addr(&future), (AF1, "b"));
        t.check_teardown();
    }

    #[test]
    fn two_families_immediate_failure() {
        let t = Fixture::new();
        let (_conn, future) = t.start_connect(addrinfo());
        t.assert_pending(&[(AF1, "a")]);
        t.resolve_connect(AF1, "a", false);
        t.assert_pending(&[(AF1, "b"), (AF2, "c")]);
        t.resolve_connect(AF1, "b", false);
        t.resolve_connect(AF2, "c", true);
        assert_eq!(result_addr(&future), (AF2, "c"));
        t.check_teardown();
    }

    #[test]
    fn two_families_timeout() {
        let t = Fixture::new();
        let (conn, future) = t.start_connect(addrinfo());
        t.assert_pending(&[(AF1, "a")]);
        conn.on_timeout();
        t.assert_pending(&[(AF1, "a"), (AF2, "c")]);
        t.resolve_connect(AF2, "c", true);
        assert_eq!(result_addr(&future), (AF2, "c"));
        // "a" failing after the race is won does not start "b".
        t.resolve_connect(AF1, "a", false);
        t.assert_pending(&[]);
        t.check_teardown();
    }

    #[test]
    fn success_after_timeout() {
        let t = Fixture::new();
        let (conn, future) = t.start_connect(addrinfo());
        conn.on_timeout();
        t.assert_pending(&[(AF1, "a"), (AF2, "c")]);
        t.resolve_connect(AF1, "a", true);
        assert_eq!(result_addr(&future), (AF1, "a"));
        // "c" succeeding after the race is won is closed.
        t.resolve_connect(AF2, "c", true);
        assert!(t.streams.borrow_mut().remove("c").unwrap().closed());
        t.check_teardown();
    }

    #[test]
    fn all_fail() {
        let t = Fixture::new();
        let (conn, future) = t.start_connect(addrinfo());
        conn.on_timeout();
        t.assert_pending(&[(AF1, "a"), (AF2, "c")]);
        t.resolve_connect(AF2, "c", false);
        t.assert_pending(&[(AF1, "a"), (AF2, "d")]);
        t.resolve_connect(AF2, "d", false);
        // One queue is now empty.
        t.assert_pending(&[(AF1, "a")]);
        t.resolve_connect(AF1, "a", false);
        t.assert_pending(&[(AF1, "b")]);
        assert!(!future.done());
        t.resolve_connect(AF1, "b", false);
        assert!(is_io_error(&future));
        t.check_teardown();
    }

    #[test]
    fn one_family_timeout_after_connect_timeout() {
        let t = Fixture::new();
        let (conn, future) = t.start_connect(vec![(AF1, "a"), (AF1, "b")]);
        t.assert_pending(&[(AF1, "a")]);
        conn.on_connect_timeout();
        // The connect timeout closes every stream.
        t.pop_closed(AF1, "a");
        conn.on_timeout();
        // After a TimeoutError, no further address is tried.
        t.assert_pending(&[]);
        assert_eq!(conn.streams.borrow().len(), 1);
        assert!(all_closed(&conn));
        assert!(is_timeout(&future));
        t.check_teardown();
    }

    #[test]
    fn one_family_success_before_connect_timeout() {
        let t = Fixture::new();
        let (conn, future) = t.start_connect(vec![(AF1, "a"), (AF1, "b")]);
        t.resolve_connect(AF1, "a", true);
        conn.on_connect_timeout();
        t.assert_pending(&[]);
        assert!(!t.stream("a").closed());
        // The winner is no longer the connector's.
        assert_eq!(conn.streams.borrow().len(), 0);
        assert_eq!(result_addr(&future), (AF1, "a"));
        t.check_teardown();
    }

    #[test]
    fn one_family_second_try_after_connect_timeout() {
        let t = Fixture::new();
        let (conn, future) = t.start_connect(vec![(AF1, "a"), (AF1, "b")]);
        t.resolve_connect(AF1, "a", false);
        t.assert_pending(&[(AF1, "b")]);
        conn.on_connect_timeout();
        t.pop_closed(AF1, "b");
        t.assert_pending(&[]);
        assert_eq!(conn.streams.borrow().len(), 2);
        assert!(all_closed(&conn));
        assert!(is_timeout(&future));
        t.check_teardown();
    }

    #[test]
    fn one_family_second_try_failure_before_connect_timeout() {
        let t = Fixture::new();
        let (conn, future) = t.start_connect(vec![(AF1, "a"), (AF1, "b")]);
        t.resolve_connect(AF1, "a", false);
        t.resolve_connect(AF1, "b", false);
        conn.on_connect_timeout();
        t.assert_pending(&[]);
        assert_eq!(conn.streams.borrow().len(), 2);
        assert!(all_closed(&conn));
        assert!(is_io_error(&future));
        t.check_teardown();
    }

    #[test]
    fn two_family_timeout_before_connect_timeout() {
        let t = Fixture::new();
        let (conn, future) = t.start_connect(addrinfo());
        conn.on_timeout();
        t.assert_pending(&[(AF1, "a"), (AF2, "c")]);
        conn.on_connect_timeout();
        t.pop_closed(AF1, "a");
        t.pop_closed(AF2, "c");
        t.assert_pending(&[]);
        assert_eq!(conn.streams.borrow().len(), 2);
        assert!(all_closed(&conn));
        assert!(is_timeout(&future));
        t.check_teardown();
    }

    #[test]
    fn two_family_success_after_timeout() {
        let t = Fixture::new();
        let (conn, future) = t.start_connect(addrinfo());
        conn.on_timeout();
        t.resolve_connect(AF1, "a", true);
        // The winner closes every other attempt.
        t.pop_closed(AF2, "c");
        t.assert_pending(&[]);
        assert_eq!(conn.streams.borrow().len(), 1);
        assert!(all_closed(&conn));
        assert_eq!(result_addr(&future), (AF1, "a"));
        t.check_teardown();
    }

    #[test]
    fn two_family_timeout_after_connect_timeout() {
        let t = Fixture::new();
        let (conn, future) = t.start_connect(addrinfo());
        conn.on_connect_timeout();
        t.pop_closed(AF1, "a");
        t.assert_pending(&[]);
        conn.on_timeout();
        // After a TimeoutError the second family is not started.
        t.assert_pending(&[]);
        assert_eq!(conn.streams.borrow().len(), 1);
        assert!(all_closed(&conn));
        assert!(is_timeout(&future));
        t.check_teardown();
    }
}
