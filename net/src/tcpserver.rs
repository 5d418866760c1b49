//! [`TCPServer`]: a non-blocking, single-threaded TCP server (Tornado's
//! `tornado.tcpserver`), and [`spawn_loops`] to run one per thread.

use std::any::type_name;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use gust_ioloop::protocol::panic_message;
use gust_ioloop::{APP_LOG, CallbackResult, IOLoop, LoopHandle};

use crate::iostream::{IOStream, StreamOptions};
use crate::netutil::{AcceptHandle, BindOptions, add_accept_handler, bind_sockets};

/// A non-blocking, single-threaded TCP server (Tornado's `TCPServer`).
///
/// Where Tornado subclasses `TCPServer` and overrides `handle_stream`, gust
/// gives the server its `handle_stream` function: it is called with an
/// [`IOStream`] and the peer's address for each connection. It may start a
/// coroutine and return its future: a failure is then logged as
/// `Exception in callback ...` (Tornado's behaviour), and the server goes on
/// accepting; it may also return `()` or a `Result<(), E>` (an `Err` is
/// logged the same way). A panic in it is caught and logged as `Error in
/// connection callback: ...`.
///
/// ```
/// use gust::gen_::coroutine;
/// use gust::ioloop::IOLoop;
/// use gust::iostream::IOStream;
/// use gust::tcpserver::TCPServer;
/// use gust::ioloop::IOLoopExt;
///
/// let io_loop = IOLoop::new();
/// // An echo server for one line per connection.
/// let server = TCPServer::new(|stream: IOStream, _address| {
///     coroutine(move |co| {
///         let line = co.yield_(stream.read_until(b"\n", None))?;
///         co.yield_(stream.write(line))?;
///         Ok(())
///     })
/// });
/// server.listen(0, "127.0.0.1").unwrap();
/// let address = server.local_addrs()[0];
/// let reply = io_loop
///     .run_sync(
///         move || {
///             coroutine(move |co| {
///                 let client = co.yield_(IOStream::connect(address))?;
///                 co.yield_(client.write(b"hello\n"))?;
///                 co.yield_(client.read_until(b"\n", None))
///             })
///         },
///         None,
///     )
///     .unwrap();
/// assert_eq!(reply, b"hello\n");
/// server.stop();
/// ```
///
/// A server keeps running while the loop runs, whether or not a handle to
/// it is kept, until [`stop`](TCPServer::stop) (or until the loop closes).
#[derive(Clone)]
pub struct TCPServer {
    inner: Rc<ServerInner>,
}

struct ServerInner {
    handle_stream: Box<dyn Fn(IOStream, SocketAddr)>,
    options: StreamOptions,
    acceptors: RefCell<Vec<AcceptHandle>>,
    pending: RefCell<Vec<TcpListener>>,
    started: Cell<bool>,
    stopped: Cell<bool>,
    accepted: Cell<u64>,
}

impl TCPServer {
    /// A server calling `handle_stream(stream, address)` for each
    /// connection, with default [`StreamOptions`].
    pub fn new<F, R>(handle_stream: F) -> TCPServer
    where
        F: Fn(IOStream, SocketAddr) -> R + 'static,
        R: CallbackResult,
    {
        TCPServer::with_options(handle_stream, StreamOptions::default())
    }

    /// A server whose streams have these buffer limits (Tornado's
    /// `max_buffer_size` and `read_chunk_size` arguments).
    pub fn with_options<F, R>(handle_stream: F, options: StreamOptions) -> TCPServer
    where
        F: Fn(IOStream, SocketAddr) -> R + 'static,
        R: CallbackResult,
    {
        let name = type_name::<F>();
        let handle_stream =
            move |stream: IOStream, address: SocketAddr| match catch_unwind(AssertUnwindSafe(|| {
                handle_stream(stream, address)
            })) {
                Ok(result) => result.finish(&IOLoop::current(), name, None),
                Err(payload) => gust_ioloop::gust_log!(
                    target: APP_LOG, log::Level::Error,
                    "Error in connection callback: {}",
                    panic_message(&*payload)
                ),
            };
        TCPServer {
            inner: Rc::new(ServerInner {
                handle_stream: Box::new(handle_stream),
                options,
                acceptors: RefCell::new(Vec::new()),
                pending: RefCell::new(Vec::new()),
                started: Cell::new(false),
                stopped: Cell::new(false),
                accepted: Cell::new(0),
            }),
        }
    }

    /// Starts accepting connections on `port` of `address` (`""`: every
    /// interface), on the current loop (Tornado's `listen`). May be called
    /// more than once, for several ports. Takes effect at once; the loop
    /// must run for connections to be handled.
    pub fn listen(&self, port: u16, address: &str) -> io::Result<()> {
        self.listen_with(port, address, BindOptions::default())
    }

    /// [`listen`](Self::listen) with [`BindOptions`] (address family,
    /// backlog, `reuse_port`).
    pub fn listen_with(&self, port: u16, address: &str, options: BindOptions) -> io::Result<()> {
        let sockets = bind_sockets(port, address, options)?;
        self.add_sockets(sockets)
    }

    /// Accepts connections on these listening sockets (Tornado's
    /// `add_sockets`), typically from [`bind_sockets`].
    pub fn add_sockets(&self, sockets: impl IntoIterator<Item = TcpListener>) -> io::Result<()> {
        for socket in sockets {
            self.add_socket(socket)?;
        }
        Ok(())
    }

    /// Accepts connections on one listening socket (Tornado's
    /// `add_socket`).
    pub fn add_socket(&self, socket: TcpListener) -> io::Result<()> {
        let server = self.inner.clone();
        let handle = add_accept_handler(socket, move |connection, address| {
            server.handle_connection(connection, address);
        })?;
        self.inner.acceptors.borrow_mut().push(handle);
        Ok(())
    }

    /// Binds `port` on `address` for a later [`start`](Self::start)
    /// (Tornado's `bind`). After `start`, binds and listens at once.
    pub fn bind(&self, port: u16, address: &str) -> io::Result<()> {
        self.bind_with(port, address, BindOptions::default())
    }

    /// [`bind`](Self::bind) with [`BindOptions`].
    pub fn bind_with(&self, port: u16, address: &str, options: BindOptions) -> io::Result<()> {
        let sockets = bind_sockets(port, address, options)?;
        if self.inner.started.get() {
            self.add_sockets(sockets)
        } else {
            self.inner.pending.borrow_mut().extend(sockets);
            Ok(())
        }
    }

    /// Starts accepting on the sockets given to [`bind`](Self::bind)
    /// (Tornado's `start`, in one process: for several cores see
    /// [`spawn_loops`]). Starting twice is an error.
    pub fn start(&self) -> io::Result<()> {
        if self.inner.started.replace(true) {
            return Err(io::Error::other("TCPServer already started"));
        }
        let pending = std::mem::take(&mut *self.inner.pending.borrow_mut());
        self.add_sockets(pending)
    }

    /// Stops listening for new connections (Tornado's `stop`): the
    /// listening sockets are closed. Connections already accepted go on.
    /// Stopping twice does nothing; stopping from inside `handle_stream` is
    /// allowed.
    pub fn stop(&self) {
        if self.inner.stopped.replace(true) {
            return;
        }
        let acceptors = std::mem::take(&mut *self.inner.acceptors.borrow_mut());
        for acceptor in &acceptors {
            acceptor.remove();
        }
        self.inner.pending.borrow_mut().clear();
    }

    /// Whether [`stop`](Self::stop) was called.
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.get()
    }

    /// The addresses the server listens on (to learn the port after
    /// listening on port 0).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        let mut addresses: Vec<SocketAddr> = self
            .inner
            .acceptors
            .borrow()
            .iter()
            .filter_map(AcceptHandle::local_addr)
            .collect();
        addresses.extend(
            self.inner
                .pending
                .borrow()
                .iter()
                .filter_map(|s| s.local_addr().ok()),
        );
        addresses
    }

    /// How many connections were accepted so far.
    pub fn accepted(&self) -> u64 {
        self.inner.accepted.get()
    }
}

impl ServerInner {
    fn handle_connection(&self, connection: mio::net::TcpStream, address: SocketAddr) {
        self.accepted.set(self.accepted.get() + 1);
        match IOStream::with_options(connection, self.options) {
            Ok(stream) => (self.handle_stream)(stream, address),
            Err(e) => {
                gust_ioloop::gust_log!(target: APP_LOG, log::Level::Error, "Error in connection callback: {e}")
            }
        }
    }
}

impl fmt::Debug for TCPServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TCPServer")
            .field("addresses", &self.local_addrs())
            .field("stopped", &self.inner.stopped.get())
            .field("accepted", &self.inner.accepted.get())
            .finish()
    }
}

/// Loops running on threads of their own, started by [`spawn_loops`].
///
/// Dropping it stops the loops and waits for the threads.
pub struct LoopThreads {
    loops: Vec<(LoopHandle, Option<JoinHandle<()>>)>,
}

impl LoopThreads {
    /// The loops' handles, in task-id order.
    pub fn handles(&self) -> Vec<LoopHandle> {
        self.loops.iter().map(|(h, _)| h.clone()).collect()
    }

    /// How many loops there are.
    pub fn len(&self) -> usize {
        self.loops.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.loops.is_empty()
    }

    /// Asks every loop to stop (each closes once it has).
    pub fn stop(&self) {
        for (handle, _) in &self.loops {
            let _ = handle.add_callback(|| IOLoop::current().stop());
        }
    }

    /// Stops the loops and waits for their threads.
    pub fn join(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.stop();
        for (_, thread) in &mut self.loops {
            if let Some(thread) = thread.take() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for LoopThreads {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

impl fmt::Debug for LoopThreads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopThreads")
            .field("loops", &self.loops.len())
            .finish()
    }
}

/// Runs `n` IOLoops, one per thread, calling `setup(task_id)` on each
/// (task ids `0..n`) before its loop starts: gust's form of Tornado's
/// `fork_processes` for using several cores. `setup` typically starts a
/// [`TCPServer`] listening with `reuse_port`, so that the kernel spreads
/// the connections of one port over the loops:
///
/// ```
/// use gust::ioloop::IOLoop;
/// use gust::iostream::IOStream;
/// use gust::netutil::{bind_unused_port, BindOptions};
/// use gust::tcpserver::{spawn_loops, TCPServer};
///
/// let (probe, port) = bind_unused_port(true).unwrap(); // pick a port
/// let loops = spawn_loops(2, move |_task_id| {
///     let server = TCPServer::new(|stream: IOStream, _| {
///         stream.write(b"hi");
///     });
///     let options = BindOptions { reuse_port: true, ..BindOptions::default() };
///     server.listen_with(port, "127.0.0.1", options)
/// })
/// .unwrap();
/// drop(probe);
/// assert_eq!(loops.len(), 2);
/// loops.join();
/// ```
///
/// `spawn_loops` returns once every `setup` has returned; if one failed,
/// the loops already running are stopped and its error is returned. Each
/// loop runs until [`LoopThreads::stop`] (or until dropped), then closes.
pub fn spawn_loops<F>(n: usize, setup: F) -> io::Result<LoopThreads>
where
    F: Fn(usize) -> io::Result<()> + Send + Sync + 'static,
{
    let setup = Arc::new(setup);
    let (tx, rx) = mpsc::channel::<(usize, io::Result<LoopHandle>)>();
    let mut threads = Vec::with_capacity(n);
    for task_id in 0..n {
        let setup = setup.clone();
        let tx = tx.clone();
        let thread = std::thread::Builder::new()
            .name(format!("gust-loop-{task_id}"))
            .spawn(move || {
                let io_loop = match IOLoop::try_new() {
                    Ok(io_loop) => io_loop,
                    Err(e) => {
                        let _ = tx.send((task_id, Err(e)));
                        return;
                    }
                };
                let ready = setup(task_id).map(|()| io_loop.handle());
                let ok = ready.is_ok();
                let _ = tx.send((task_id, ready));
                drop(tx);
                if ok {
                    let _ = io_loop.start();
                }
                let _ = io_loop.close();
            })?;
        threads.push(Some(thread));
    }
    drop(tx);
    let mut handles: Vec<Option<LoopHandle>> = vec![None; n];
    let mut first_error = None;
    for (task_id, ready) in rx.iter().take(n) {
        match ready {
            Ok(handle) => handles[task_id] = Some(handle),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let mut loops = Vec::with_capacity(n);
    let mut failed_threads = Vec::new();
    for (handle, thread) in handles.into_iter().zip(threads) {
        match handle {
            Some(handle) => loops.push((handle, thread)),
            None => failed_threads.extend(thread),
        }
    }
    for thread in failed_threads {
        let _ = thread.join();
    }
    let loops = LoopThreads { loops };
    match first_error {
        Some(e) => Err(e), // dropping `loops` stops the others
        None => Ok(loops),
    }
}
