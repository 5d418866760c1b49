//! [`add_accept_handler`]: accept connections on a listening socket.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::rc::{Rc, Weak};
use std::time::Duration;

use gust_ioloop::{APP_LOG, Events, Extension, HandlerId, IOLoop, WeakIOLoop};
use slab::Slab;

/// Connections accepted per batch before other work gets a turn (Tornado
/// accepts at most `_DEFAULT_BACKLOG` per event).
const ACCEPT_BATCH: usize = 128;

/// After an accept error such as running out of file descriptors, how long
/// to wait before trying again.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

type AcceptCallback = Box<dyn FnMut(mio::net::TcpStream, SocketAddr)>;

struct Acceptor {
    listener: RefCell<Option<mio::net::TcpListener>>,
    handler: Cell<Option<HandlerId>>,
    io_loop: WeakIOLoop,
    callback: RefCell<Option<AcceptCallback>>,
    removed: Cell<bool>,
    local_addr: Option<SocketAddr>,
    key: Cell<Option<usize>>,
}

/// The accept handlers of a loop, removed when it closes.
#[derive(Default)]
struct Acceptors {
    all: RefCell<Slab<Weak<Acceptor>>>,
}

impl Extension for Acceptors {
    fn close(&self, _io_loop: &IOLoop) {
        let all: Vec<Weak<Acceptor>> = self.all.borrow().iter().map(|(_, a)| a.clone()).collect();
        for acceptor in all.iter().filter_map(Weak::upgrade) {
            acceptor.remove();
        }
    }
}

/// Accepts connections on `listener` from the current loop, calling
/// `callback(connection, address)` for each (Tornado's
/// `netutil.add_accept_handler`).
///
/// The listener is made non-blocking and owned by the handler until it is
/// [removed](AcceptHandle::remove) (or the loop closes), which closes it.
/// Connections are accepted in batches of 128 per loop iteration; an error
/// other than the peer aborting (for example running out of file
/// descriptors) is logged and accepting is retried 100 ms later.
///
/// ```
/// use std::net::TcpStream;
/// use gust::ioloop::IOLoop;
/// use gust::netutil::{add_accept_handler, bind_unused_port};
///
/// let io_loop = IOLoop::new();
/// let (listener, port) = bind_unused_port(false).unwrap();
/// let handle = add_accept_handler(listener, |connection, address| {
///     println!("{address} connected");
///     drop(connection);
///     IOLoop::current().stop();
/// })
/// .unwrap();
/// let _client = TcpStream::connect(("127.0.0.1", port)).unwrap();
/// io_loop.start().unwrap();
/// handle.remove();
/// ```
pub fn add_accept_handler<F>(listener: TcpListener, callback: F) -> io::Result<AcceptHandle>
where
    F: FnMut(mio::net::TcpStream, SocketAddr) + 'static,
{
    let io_loop = IOLoop::try_current()?;
    listener.set_nonblocking(true)?;
    let local_addr = listener.local_addr().ok();
    let mut listener = mio::net::TcpListener::from_std(listener);
    let acceptor = Rc::new(Acceptor {
        listener: RefCell::new(None),
        handler: Cell::new(None),
        io_loop: io_loop.downgrade(),
        callback: RefCell::new(Some(Box::new(callback))),
        removed: Cell::new(false),
        local_addr,
        key: Cell::new(None),
    });
    let strong = acceptor.clone();
    let id = io_loop.add_handler(&mut listener, Events::READ, move |_events| {
        strong.accept_ready();
    })?;
    acceptor.handler.set(Some(id));
    *acceptor.listener.borrow_mut() = Some(listener);
    let acceptors = io_loop.extension::<Acceptors>();
    acceptor
        .key
        .set(Some(acceptors.all.borrow_mut().insert(Rc::downgrade(&acceptor))));
    Ok(AcceptHandle { acceptor })
}

impl Acceptor {
    fn accept_ready(self: &Rc<Self>) {
        for _ in 0..ACCEPT_BATCH {
            if self.removed.get() {
                return;
            }
            let accepted = match self.listener.borrow().as_ref() {
                Some(listener) => listener.accept(),
                None => return,
            };
            match accepted {
                Ok((connection, address)) => {
                    if let Some(callback) = self.callback.borrow_mut().as_mut() {
                        callback(connection, address);
                    }
                    if self.removed.get() {
                        // Removed by the callback: let go of it now.
                        self.callback.borrow_mut().take();
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionAborted | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => {
                    gust_ioloop::gust_log!(target: APP_LOG, log::Level::Error, "Error accepting connection: {e}");
                    self.retry_later(ACCEPT_RETRY);
                    return;
                }
            }
        }
        // More may be waiting: the loop is edge-triggered, so come back.
        self.retry_later(Duration::ZERO);
    }

    fn retry_later(self: &Rc<Self>, delay: Duration) {
        let Some(io_loop) = self.io_loop.upgrade() else {
            return;
        };
        let weak = Rc::downgrade(self);
        let again = move || {
            if let Some(acceptor) = weak.upgrade() {
                acceptor.accept_ready();
            }
        };
        if delay.is_zero() {
            io_loop.add_callback(again);
        } else {
            io_loop.call_later(delay, again);
        }
    }

    fn remove(&self) {
        if self.removed.replace(true) {
            return;
        }
        let listener = self.listener.borrow_mut().take();
        let io_loop = self.io_loop.upgrade();
        if let (Some(mut listener), Some(id)) = (listener, self.handler.take()) {
            if let Some(io_loop) = &io_loop {
                let _ = io_loop.remove_handler(&mut listener, id);
            }
        }
        if let (Some(key), Some(io_loop)) = (self.key.take(), &io_loop) {
            if let Some(acceptors) = io_loop.find_extension::<Acceptors>() {
                acceptors.all.borrow_mut().try_remove(key);
            }
        }
        // Unless it is running (then it is dropped when it returns).
        if let Ok(mut callback) = self.callback.try_borrow_mut() {
            callback.take();
        }
    }
}

/// The accept handler [`add_accept_handler`] registered (Tornado returns a
/// function that removes it).
pub struct AcceptHandle {
    acceptor: Rc<Acceptor>,
}

impl AcceptHandle {
    /// Stops accepting and closes the listening socket. Connections
    /// already accepted are not affected. Safe to call from the callback
    /// itself, and more than once.
    pub fn remove(&self) {
        self.acceptor.remove();
    }

    /// Whether [`remove`](Self::remove) was called (or the loop closed).
    pub fn is_removed(&self) -> bool {
        self.acceptor.removed.get()
    }

    /// The address the socket listens on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.acceptor.local_addr
    }
}

impl fmt::Debug for AcceptHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcceptHandle")
            .field("local_addr", &self.acceptor.local_addr)
            .field("removed", &self.acceptor.removed.get())
            .finish()
    }
}
