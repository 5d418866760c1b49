//! [`IOStream`]: reading and writing a non-blocking socket with futures
//! (Tornado's `tornado.iostream`).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::{Rc, Weak};

use gust_ioloop::{Events, Extension, HandlerId, IOLoop, WeakIOLoop};
use gust_yieldables::{Error, Future, LoopClosedError};
use slab::Slab;

use super::error::{
    AlreadyReadingError, StreamBufferFullError, StreamClosedError, UnsatisfiableReadError, bytes_repr,
    is_connreset,
};
use super::read_buffer::ReadBuffer;
use super::socket::StreamSocket;
use super::write_buffer::{MAX_SLICES, WriteBuffer};
use crate::GEN_LOG;

/// Limits of a stream's buffers (Tornado's `IOStream` keyword arguments).
///
/// ```
/// use gust::iostream::StreamOptions;
///
/// let options = StreamOptions {
///     max_buffer_size: 1024 * 1024,
///     ..StreamOptions::default()
/// };
/// assert_eq!(options.read_chunk_size, 64 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamOptions {
    /// The most data the stream buffers while reading (default 100 MiB).
    /// A read that needs more closes the stream with a
    /// [`StreamBufferFullError`].
    pub max_buffer_size: usize,
    /// How much one system call reads at most (default 64 KiB, and never
    /// more than half of `max_buffer_size`).
    pub read_chunk_size: usize,
    /// The most data `write` accepts before it is sent (default: no limit).
    /// A write that would exceed it fails with a [`StreamBufferFullError`].
    pub max_write_buffer_size: Option<usize>,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            max_buffer_size: 104_857_600,
            read_chunk_size: 65_536,
            max_write_buffer_size: None,
        }
    }
}

/// A non-blocking socket (or pipe) with buffered reads and writes that
/// return futures (Tornado's `IOStream`).
///
/// Every operation returns a gust [`Future`], so a stream is used the same
/// way from a decorated coroutine (`co.yield_(stream.read_until(b"\r\n",
/// None))?`), from native `async` code (`stream.read_bytes(5, false).await?`)
/// and from plain callbacks (`add_done_callback`):
///
/// ```
/// use gust::ioloop::IOLoop;
/// use gust::iostream::IOStream;
/// use gust::ioloop::IOLoopExt;
///
/// let io_loop = IOLoop::new();
/// let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
/// let (a, b) = (IOStream::new(a).unwrap(), IOStream::new(b).unwrap());
/// let line = io_loop
///     .run_sync(
///         move || {
///             a.write(b"hello\r\nworld");
///             b.read_until(b"\r\n", None)
///         },
///         None,
///     )
///     .unwrap();
/// assert_eq!(line, b"hello\r\n");
/// ```
///
/// # Semantics (Tornado's)
///
/// * One read at a time: `read_until`, `read_bytes`, `read_into` and
///   `read_until_close` each return a future for their data; starting a
///   second read while one is pending gives a future failed with
///   [`AlreadyReadingError`] (the first read is unaffected).
/// * A read that the buffered data satisfies completes at once (the future
///   is already done when returned); otherwise it completes when the data
///   arrives.
/// * `write` queues the data and returns a future that resolves once this
///   data (and everything written before it) has been handed to the
///   operating system: at once if the socket took it all.
/// * When the stream closes (the peer closed it, an error, or
///   [`close`](IOStream::close)), data already buffered is still delivered:
///   a pending `read_until_close` gets it, a pending read that the buffer
///   satisfies completes, and later reads are served from it. Everything
///   else fails with [`StreamClosedError`], whose `real_error` says why the
///   stream closed (also [`IOStream::error`]). The close callback runs in
///   a later loop iteration.
/// * A `read_until` whose delimiter is not found within `max_bytes` closes
///   the stream (logging `Unsatisfiable read, closing connection: ...` at
///   info level on `gust::general`); the read fails with a
///   `StreamClosedError` carrying an [`UnsatisfiableReadError`].
///
/// # Handles
///
/// `IOStream` is a cheap, cloneable handle (`Rc`), single-threaded like
/// the loop it runs on (the current loop when it is created). Dropping the
/// last handle closes the stream. Closing removes its fd handler from the
/// loop on every path, and closing the loop closes every stream still
/// open on it ([`stream_count`] tells how many there are).
///
/// The loop is edge-triggered: a stream registers for reading and writing
/// once, when it is created, and remembers whether the socket may have
/// more data or room, so a read the buffer cannot satisfy costs no system
/// call when the socket is known to be empty.
#[derive(Clone)]
pub struct IOStream {
    shared: Rc<Shared>,
}

struct Shared {
    core: RefCell<Core>,
}

/// The open streams of a loop, closed with it, and the buffer they read
/// small messages into.
#[derive(Default)]
struct OpenStreams {
    streams: RefCell<Slab<Weak<Shared>>>,
    /// One read chunk that every stream of the loop reads into when its own
    /// buffer has no room for a chunk; what came is then appended to the
    /// stream's buffer. A stream that sees small messages so keeps a
    /// buffer their size, not a chunk's (64 KiB per connection otherwise,
    /// zeroed on first use), while each read can still take a whole chunk.
    scratch: RefCell<Vec<u8>>,
}

impl Extension for OpenStreams {
    fn close(&self, _io_loop: &IOLoop) {
        let open: Vec<Weak<Shared>> = self.streams.borrow().iter().map(|(_, s)| s.clone()).collect();
        for shared in open.iter().filter_map(Weak::upgrade) {
            IOStream { shared }.close_with(Some(Error::new(LoopClosedError)));
        }
    }
}

/// How many streams are open on `io_loop`: created there and neither
/// closed nor dropped. Tests use it to check that nothing leaked.
pub fn stream_count(io_loop: &IOLoop) -> usize {
    io_loop
        .find_extension::<OpenStreams>()
        .map_or(0, |open| open.streams.borrow().len())
}

struct Core {
    /// `None` once closed.
    socket: Option<StreamSocket>,
    handler: Option<HandlerId>,
    io_loop: WeakIOLoop,
    open: Option<(Rc<OpenStreams>, usize)>,
    chunk_size: usize,
    max_buffer_size: usize,
    max_write_buffer_size: Option<usize>,
    read_buf: ReadBuffer,
    read: Option<PendingRead>,
    write_buf: WriteBuffer,
    /// Bytes accepted by `write` so far.
    write_index: u64,
    /// Bytes handed to the operating system so far.
    write_done: u64,
    write_futures: VecDeque<(u64, Future<()>)>,
    connect: Option<Future<IOStream>>,
    connecting: bool,
    /// While connecting, the stream keeps itself alive: the caller may
    /// hold only the connect future (Tornado's loop holds the stream).
    keep_alive: Option<IOStream>,
    /// The socket may have data to read (no read came back short or
    /// `WouldBlock` since the last readable event).
    readable: bool,
    /// The socket may take more data.
    writable: bool,
    /// The peer closed its side: read until the end even after a short
    /// read.
    read_closed: bool,
    closed: bool,
    error: Option<Error>,
    close_callback: Option<Box<dyn FnOnce()>>,
    /// See [`IOStream::set_read_callback`].
    read_callback: Option<Rc<dyn Fn()>>,
    /// A `read_available` found nothing: call `read_callback` when data
    /// arrives or the stream closes.
    read_armed: bool,
}

struct PendingRead {
    target: Target,
    future: ReadFuture,
}

enum Target {
    Bytes {
        n: usize,
        partial: bool,
    },
    Until {
        delimiter: Vec<u8>,
        max_bytes: Option<usize>,
        /// How much of the buffer was searched already.
        scanned: usize,
    },
    Into {
        buf: Vec<u8>,
        filled: usize,
        partial: bool,
    },
    UntilClose,
}

enum ReadFuture {
    Bytes(Future<Vec<u8>>),
    Into(Future<(Vec<u8>, usize)>),
}

enum ReadDone {
    Bytes(Future<Vec<u8>>, Vec<u8>),
    Into(Future<(Vec<u8>, usize)>, Vec<u8>, usize),
}

/// What to do once the stream's state is no longer borrowed: future
/// callbacks run synchronously and may call back into the stream.
///
/// Small, and cheap to run when empty: every read, write and event makes
/// one, and most carry one completed read or write or nothing.
#[derive(Default)]
struct Fire {
    read: Option<ReadDone>,
    write: Option<Future<()>>,
    /// The read callback to call (see `IOStream::set_read_callback`).
    notify: Option<Rc<dyn Fn()>>,
    /// Everything else (connecting, closing, several writes at once).
    rare: Option<Box<RareFire>>,
}

#[derive(Default)]
struct RareFire {
    connected: Option<Future<IOStream>>,
    more_writes: Vec<Future<()>>,
    closed: Option<Closed>,
    close_later: Option<Option<Error>>,
    /// A handle to drop only after the state is no longer borrowed.
    released: Option<IOStream>,
}

struct Closed {
    error: Error,
    read: Option<ReadFuture>,
    writes: Vec<Future<()>>,
    connect: Option<Future<IOStream>>,
    callback: Option<(WeakIOLoop, Box<dyn FnOnce()>)>,
}

impl Fire {
    fn rare(&mut self) -> &mut RareFire {
        self.rare.get_or_insert_with(Box::default)
    }

    fn push_write(&mut self, future: Future<()>) {
        if self.write.is_none() {
            self.write = Some(future);
        } else {
            self.rare().more_writes.push(future);
        }
    }

    /// Resolves and schedules everything recorded. `stream` is the handle
    /// a connect future resolves with (absent only when dropping, when no
    /// connect can succeed).
    #[inline]
    fn run(self, stream: Option<&IOStream>) {
        if self.read.is_some() || self.write.is_some() || self.notify.is_some() || self.rare.is_some() {
            self.run_all(stream);
        }
    }

    fn run_all(self, stream: Option<&IOStream>) {
        let mut rare = self.rare;
        if let Some(rare) = rare.as_mut() {
            if let (Some(future), Some(stream)) = (rare.connected.take(), stream) {
                let _ = future.set_result_unless_cancelled(stream.clone());
            }
        }
        match self.read {
            Some(ReadDone::Bytes(future, data)) => {
                let _ = future.set_result_unless_cancelled(data);
            }
            Some(ReadDone::Into(future, buf, n)) => {
                let _ = future.set_result_unless_cancelled((buf, n));
            }
            None => {}
        }
        if let Some(future) = self.write {
            let _ = future.set_result_unless_cancelled(());
        }
        if let Some(rare) = rare.as_mut() {
            for future in std::mem::take(&mut rare.more_writes) {
                let _ = future.set_result_unless_cancelled(());
            }
        }
        if let Some(notify) = self.notify {
            notify();
        }
        let Some(rare) = rare else {
            return;
        };
        let rare = *rare;
        if let Some(closed) = rare.closed {
            closed.run();
        }
        if let (Some(error), Some(stream)) = (rare.close_later, stream) {
            // Tornado closes on an error event in a later iteration, so that
            // callbacks queued by this event's reads and writes run first.
            let weak = Rc::downgrade(&stream.shared);
            if let Some(io_loop) = stream.shared.core.borrow().io_loop.upgrade() {
                io_loop.add_callback(move || {
                    if let Some(shared) = weak.upgrade() {
                        IOStream { shared }.close_with(error);
                    }
                });
            }
        }
    }
}

impl Closed {
    fn run(self) {
        fn fail<T: 'static>(future: &Future<T>, error: &Error) {
            if !future.done() {
                let _ = future.set_exception(error.clone());
            }
            // Mark the error as seen, as Tornado does, so that a write
            // nobody waited for does not log "never retrieved".
            let _ = future.exception();
        }
        match &self.read {
            Some(ReadFuture::Bytes(f)) => fail(f, &self.error),
            Some(ReadFuture::Into(f)) => fail(f, &self.error),
            None => {}
        }
        for future in &self.writes {
            fail(future, &self.error);
        }
        if let Some(future) = &self.connect {
            fail(future, &self.error);
        }
        if let Some((io_loop, callback)) = self.callback {
            if let Some(io_loop) = io_loop.upgrade() {
                io_loop.add_callback(callback);
            }
        }
    }
}

fn closed_error(error: &Option<Error>) -> Error {
    Error::new(StreamClosedError::new(error.clone()))
}

impl IOStream {
    /// A stream on `socket` (a TCP or Unix socket, or a pipe end; see
    /// [`StreamSocket`]), on the current loop, with default
    /// [`StreamOptions`]. The socket should be connected (or use
    /// [`IOStream::connect`]).
    ///
    /// Errors: the socket cannot be made non-blocking or registered with
    /// the loop (for example because the loop is closed).
    pub fn new(socket: impl Into<StreamSocket>) -> io::Result<IOStream> {
        IOStream::with_options(socket, StreamOptions::default())
    }

    /// Like [`IOStream::new`], with these buffer limits.
    pub fn with_options(socket: impl Into<StreamSocket>, options: StreamOptions) -> io::Result<IOStream> {
        let socket = socket.into().into_nonblocking()?;
        IOStream::register(socket, options, None)
    }

    /// Connects to `address` without blocking (Tornado's
    /// `IOStream(socket.socket()).connect(address)`). The future resolves
    /// with the stream once it is connected, or fails with a
    /// [`StreamClosedError`] whose `real_error` is the reason (for example
    /// an `io::Error` of kind `ConnectionRefused`).
    ///
    /// Writes made before the connection completes are sent once it does;
    /// see [`IOStream::connecting`] to write while connecting.
    ///
    /// To resolve a host name, and for IPv4/IPv6 fallback and a timeout,
    /// use [`TCPClient`](crate::tcpclient::TCPClient).
    pub fn connect(address: SocketAddr) -> Future<IOStream> {
        match IOStream::connecting(address, None, StreamOptions::default()) {
            Ok((_, future)) => future,
            Err(e) => Future::failed(closed_error(&Some(e.into()))),
        }
    }

    /// Starts connecting to `address` (from `source`, if given: a local
    /// address to bind first) and returns the stream at once, with the
    /// future of its connection. The stream can be written to (and closed)
    /// before the connection completes.
    ///
    /// Errors: the socket cannot be created or bound, or the connection is
    /// refused at once.
    pub fn connecting(
        address: SocketAddr,
        source: Option<SocketAddr>,
        options: StreamOptions,
    ) -> io::Result<(IOStream, Future<IOStream>)> {
        let socket = match source {
            None => mio::net::TcpStream::connect(address)?,
            Some(source) => {
                let socket = socket2::Socket::new(
                    socket2::Domain::for_address(address),
                    socket2::Type::STREAM,
                    Some(socket2::Protocol::TCP),
                )?;
                socket.set_nonblocking(true)?;
                socket.set_cloexec(true)?;
                socket.bind(&source.into())?;
                match socket.connect(&address.into()) {
                    Ok(()) => {}
                    Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
                    Err(e) => return Err(e),
                }
                mio::net::TcpStream::from_std(socket.into())
            }
        };
        let future = Future::new();
        let stream = IOStream::register(socket.into(), options, Some(future.clone()))?;
        Ok((stream, future))
    }

    fn register(
        mut socket: StreamSocket,
        options: StreamOptions,
        connect: Option<Future<IOStream>>,
    ) -> io::Result<IOStream> {
        let io_loop = IOLoop::try_current()?;
        let open = io_loop.extension::<OpenStreams>();
        let connecting = connect.is_some();
        let shared = Rc::new_cyclic(|weak: &Weak<Shared>| {
            let handler_weak = weak.clone();
            let handler = io_loop.add_handler(
                &mut socket,
                Events::READ | Events::WRITE | Events::READ_CLOSED,
                move |events| {
                    if let Some(shared) = handler_weak.upgrade() {
                        IOStream { shared }.handle_events(events);
                    }
                },
            );
            let key = open.streams.borrow_mut().insert(weak.clone());
            Shared {
                core: RefCell::new(Core {
                    closed: handler.is_err(),
                    error: handler.as_ref().err().map(|e| Error::msg(e.to_string())),
                    handler: handler.ok(),
                    socket: Some(socket),
                    io_loop: io_loop.downgrade(),
                    open: Some((open.clone(), key)),
                    chunk_size: options.read_chunk_size.min(options.max_buffer_size / 2).max(1),
                    max_buffer_size: options.max_buffer_size,
                    max_write_buffer_size: options.max_write_buffer_size,
                    read_buf: ReadBuffer::default(),
                    read: None,
                    write_buf: WriteBuffer::default(),
                    write_index: 0,
                    write_done: 0,
                    write_futures: VecDeque::new(),
                    connect,
                    connecting,
                    keep_alive: None,
                    readable: !connecting,
                    writable: !connecting,
                    read_closed: false,
                    close_callback: None,
                    read_callback: None,
                    read_armed: false,
                }),
            }
        });
        let mut core = shared.core.borrow_mut();
        if core.closed {
            // Registration failed: undo, and report it.
            let message = core.error.take().map(|e| e.to_string()).unwrap_or_default();
            if let Some((open, key)) = core.open.take() {
                open.streams.borrow_mut().try_remove(key);
            }
            core.connect = None;
            return Err(io::Error::other(message));
        }
        drop(core);
        let stream = IOStream { shared };
        if connecting {
            stream.shared.core.borrow_mut().keep_alive = Some(stream.clone());
        }
        Ok(stream)
    }

    // ----------------------------------------------------------------
    // Reading
    // ----------------------------------------------------------------

    fn start_read(&self, target: Target, future: ReadFuture) -> Result<(), (ReadFuture, Error)> {
        let mut fire = Fire::default();
        {
            let mut core = self.shared.core.borrow_mut();
            if core.read.is_some() {
                let error = if core.closed {
                    closed_error(&core.error)
                } else {
                    Error::new(AlreadyReadingError)
                };
                return Err((future, error));
            }
            core.read = Some(PendingRead { target, future });
            core.read_armed = false;
            core.try_inline_read(&mut fire);
        }
        fire.run(Some(self));
        Ok(())
    }

    fn read_with(&self, target: Target) -> Future<Vec<u8>> {
        let future = Future::new();
        match self.start_read(target, ReadFuture::Bytes(future.clone())) {
            Ok(()) => future,
            Err((_, error)) => Future::failed(error),
        }
    }

    /// Reads until `delimiter` is found; the data includes it (Tornado's
    /// `read_until`).
    ///
    /// With `max_bytes`, if the delimiter is not found within that many
    /// bytes, the stream is closed and the read fails (see the type's
    /// documentation). The search resumes where the previous one stopped,
    /// so a long line costs time linear in its length.
    pub fn read_until(&self, delimiter: &[u8], max_bytes: Option<usize>) -> Future<Vec<u8>> {
        if delimiter.is_empty() {
            return self.read_bytes(0, false);
        }
        self.read_with(Target::Until {
            delimiter: delimiter.to_vec(),
            max_bytes,
            scanned: 0,
        })
    }

    /// Reads `num_bytes` bytes (Tornado's `read_bytes`). With `partial`,
    /// completes as soon as any data is available, with at most
    /// `num_bytes` bytes (never with none, except for `read_bytes(0, _)`).
    pub fn read_bytes(&self, num_bytes: usize, partial: bool) -> Future<Vec<u8>> {
        self.read_with(Target::Bytes {
            n: num_bytes,
            partial,
        })
    }

    /// Reads into `buf`, filling all of it (or, with `partial`, as soon as
    /// anything was read); the future gives the buffer back with the number
    /// of bytes filled (Tornado's `read_into`, which fills a `bytearray`
    /// the caller owns). Data already buffered is copied in first; the rest
    /// is read from the socket straight into `buf`.
    pub fn read_into(&self, mut buf: Vec<u8>, partial: bool) -> Future<(Vec<u8>, usize)> {
        let future = Future::new();
        let filled = {
            let mut core = self.shared.core.borrow_mut();
            if core.read.is_some() {
                let error = if core.closed {
                    closed_error(&core.error)
                } else {
                    Error::new(AlreadyReadingError)
                };
                return Future::failed(error);
            }
            core.read_buf.consume_into(&mut buf)
        };
        match self.start_read(
            Target::Into { buf, filled, partial },
            ReadFuture::Into(future.clone()),
        ) {
            Ok(()) => future,
            Err((_, error)) => Future::failed(error),
        }
    }

    /// Reads everything until the stream closes (Tornado's
    /// `read_until_close`). The data is buffered up to `max_buffer_size`;
    /// for flow control, loop on `read_bytes(n, true)` instead.
    pub fn read_until_close(&self) -> Future<Vec<u8>> {
        self.read_with(Target::UntilClose)
    }

    /// Moves the data that is here now to the end of `dst`, at most
    /// `max_bytes`: what the stream has buffered, or else what one read of
    /// the socket gives if it may have any. Never waits and makes no
    /// future: `Ok(0)` means nothing is there yet, and then the
    /// [read callback](IOStream::set_read_callback) is called once
    /// something arrives or the stream closes.
    ///
    /// Not in Tornado: it is for a protocol that owns its stream and keeps
    /// its own input buffer (gust's HTTP server and client), which then reads with no
    /// allocation per read. Reads through futures (`read_bytes`, ...) and
    /// this one do not mix while one of them is waiting.
    ///
    /// Errors: a future read is pending ([`AlreadyReadingError`]); the
    /// stream is closed and nothing is buffered ([`StreamClosedError`]).
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use gust::concurrent::Future;
    /// use gust::ioloop::{IOLoop, IOLoopExt};
    /// use gust::iostream::IOStream;
    ///
    /// let io_loop = IOLoop::new();
    /// let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let (a, b) = (IOStream::new(a).unwrap(), IOStream::new(b).unwrap());
    /// // The owner's input buffer, and a future for the example to wait on.
    /// let input = Rc::new(RefCell::new(Vec::new()));
    /// let arrived: Future<()> = Future::new();
    /// let (reader, sink, signal) = (b.clone(), input.clone(), arrived.clone());
    /// b.set_read_callback(move || {
    ///     if reader.read_available(&mut sink.borrow_mut(), 1024).unwrap_or(0) > 0 {
    ///         let _ = signal.set_result(());
    ///     }
    /// });
    /// // Nothing there yet: 0, and the callback runs when data comes.
    /// assert_eq!(b.read_available(&mut input.borrow_mut(), 1024).unwrap(), 0);
    /// a.write(b"ping");
    /// io_loop.run_sync(move || arrived, None).unwrap();
    /// assert_eq!(*input.borrow(), b"ping");
    /// ```
    pub fn read_available(&self, dst: &mut Vec<u8>, max_bytes: usize) -> Result<usize, Error> {
        let mut fire = Fire::default();
        let result = self
            .shared
            .core
            .borrow_mut()
            .read_available(dst, max_bytes, &mut fire);
        fire.run(Some(self));
        result
    }

    /// Sets what [`read_available`](IOStream::read_available) calls back
    /// after it found nothing: `callback` runs (from the loop's event
    /// handling, as a future's done callbacks do) once data arrives or the
    /// stream closes, then not again until `read_available` finds nothing
    /// once more. Closing the stream drops it (so it may hold the stream's
    /// owner without a cycle outliving the connection). Replaces any
    /// previous callback.
    pub fn set_read_callback<F: Fn() + 'static>(&self, callback: F) {
        let mut core = self.shared.core.borrow_mut();
        if !core.closed {
            core.read_callback = Some(Rc::new(callback));
        }
    }

    /// Removes the read callback.
    pub fn clear_read_callback(&self) {
        let mut core = self.shared.core.borrow_mut();
        core.read_callback = None;
        core.read_armed = false;
    }

    // ----------------------------------------------------------------
    // Writing
    // ----------------------------------------------------------------

    /// Writes `data` (Tornado's `write`): any owned buffer (`Vec<u8>`,
    /// `String`, `&'static [u8]`, `Rc<[u8]>`, ...), which is sent from where
    /// it is, without being copied, unless it is small enough to be merged
    /// with other small writes.
    ///
    /// The future resolves once this data has been handed to the operating
    /// system (already done when returned if the socket took it at once).
    /// It fails with [`StreamClosedError`] if the stream is or becomes
    /// closed first, and with [`StreamBufferFullError`] if the data would
    /// exceed `max_write_buffer_size`.
    pub fn write<B: AsRef<[u8]> + 'static>(&self, data: B) -> Future<()> {
        let mut fire = Fire::default();
        let future = self.shared.core.borrow_mut().write(data, &mut fire);
        fire.run(Some(self));
        future
    }

    // ----------------------------------------------------------------
    // Closing and state
    // ----------------------------------------------------------------

    /// Closes the stream (Tornado's `close`): its handler is removed, the
    /// socket is closed, pending operations complete as the type's
    /// documentation says, and the close callback is scheduled. Closing a
    /// closed stream does nothing.
    pub fn close(&self) {
        self.close_with(None);
    }

    /// Closes the stream recording `error` as the reason.
    fn close_with(&self, error: Option<Error>) {
        let mut fire = Fire::default();
        self.shared.core.borrow_mut().close(error, &mut fire);
        fire.run(Some(self));
    }

    /// Calls `callback` (in a later loop iteration) when the stream closes
    /// (Tornado's `set_close_callback`). Replaces any previous callback.
    ///
    /// With a close callback set, an idle stream keeps an eye on its socket
    /// so that it notices the peer closing even when nothing is being read.
    pub fn set_close_callback<F: FnOnce() + 'static>(&self, callback: F) {
        let mut fire = Fire::default();
        {
            let mut core = self.shared.core.borrow_mut();
            if core.closed {
                if let Some(io_loop) = core.io_loop.upgrade() {
                    io_loop.add_callback(callback);
                }
                return;
            }
            core.close_callback = Some(Box::new(callback));
            core.maybe_idle_read(&mut fire);
        }
        fire.run(Some(self));
    }

    /// Removes the close callback.
    pub fn clear_close_callback(&self) {
        self.shared.core.borrow_mut().close_callback = None;
    }

    /// Whether the stream is closed.
    pub fn closed(&self) -> bool {
        self.shared.core.borrow().closed
    }

    /// Whether a read is pending.
    pub fn reading(&self) -> bool {
        self.shared.core.borrow().read.is_some()
    }

    /// Whether written data is waiting to be sent.
    pub fn writing(&self) -> bool {
        !self.shared.core.borrow().write_buf.is_empty()
    }

    /// Whether the stream is still connecting.
    pub fn is_connecting(&self) -> bool {
        self.shared.core.borrow().connecting
    }

    /// Why the stream closed, if an error closed it (Tornado's `error`
    /// attribute): an `io::Error` from the socket, an
    /// [`UnsatisfiableReadError`], a [`StreamBufferFullError`], ... A
    /// socket error (a connection reset, say) is recorded when the loop
    /// reports it, and the stream closes in a later iteration, as in
    /// Tornado: until then the stream is still open with its error set.
    pub fn error(&self) -> Option<Error> {
        self.shared.core.borrow().error.clone()
    }

    /// Bytes received and not yet read.
    pub fn read_buffer_size(&self) -> usize {
        self.shared.core.borrow().read_buf.len()
    }

    /// Bytes written and not yet sent.
    pub fn write_buffer_size(&self) -> usize {
        self.shared.core.borrow().write_buf.len()
    }

    /// Sets `TCP_NODELAY` (Tornado's `set_nodelay`): small writes are sent
    /// at once instead of being held back by Nagle's algorithm. Does
    /// nothing on a closed stream or a non-TCP one.
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        match &self.shared.core.borrow().socket {
            Some(socket) => socket.set_nodelay(on).or_else(|e| {
                // As Tornado: the socket may have closed under us.
                if e.kind() == io::ErrorKind::InvalidInput || is_connreset(&e) {
                    Ok(())
                } else {
                    Err(e)
                }
            }),
            None => Ok(()),
        }
    }

    /// The peer's address, for an open TCP stream.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        let core = self.shared.core.borrow();
        core.socket.as_ref()?.peer_addr().ok().flatten()
    }

    /// The local address, for an open TCP stream.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        let core = self.shared.core.borrow();
        core.socket.as_ref()?.local_addr().ok().flatten()
    }

    /// The file descriptor, while the stream is open (Tornado's `fileno`).
    pub fn fileno(&self) -> Option<RawFd> {
        self.shared.core.borrow().socket.as_ref().map(AsRawFd::as_raw_fd)
    }

    /// Shuts down the writing half of the socket (the peer reads the end
    /// of the stream) once everything written so far has been sent. Reads
    /// go on. Errors: the stream is closed.
    pub fn shutdown_write(&self) -> Future<()> {
        let flushed = self.write(Vec::new());
        let stream = self.clone();
        let done = Future::new();
        let result = done.clone();
        flushed.add_done_callback(move |f| {
            let outcome = f.take_result().and_then(|()| {
                let core = stream.shared.core.borrow();
                match &core.socket {
                    Some(socket) => socket.shutdown_write().map_err(Error::from),
                    None => Err(closed_error(&core.error)),
                }
            });
            let _ = done.set(outcome);
        });
        result
    }

    /// Whether two handles are the same stream.
    pub fn ptr_eq(&self, other: &IOStream) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }

    fn handle_events(&self, events: Events) {
        let mut fire = Fire::default();
        self.shared.core.borrow_mut().handle_events(events, &mut fire);
        fire.run(Some(self));
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let core = self.core.get_mut();
        if !core.closed {
            let mut fire = Fire::default();
            core.close(None, &mut fire);
            fire.run(None);
        }
    }
}

impl fmt::Debug for IOStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.shared.core.try_borrow() {
            Ok(core) => f
                .debug_struct("IOStream")
                .field("socket", &core.socket)
                .field("closed", &core.closed)
                .field("reading", &core.read.is_some())
                .field("read_buffer", &core.read_buf.len())
                .field("write_buffer", &core.write_buf.len())
                .finish(),
            Err(_) => f.write_str("IOStream(<busy>)"),
        }
    }
}

impl Core {
    // ----------------------------------------------------------------
    // Reading
    // ----------------------------------------------------------------

    /// Completes the pending read from the buffer, or by reading the
    /// socket now, if it can (Tornado's `_try_inline_read`).
    fn try_inline_read(&mut self, fire: &mut Fire) {
        match self.find_read_pos() {
            Ok(Some(pos)) => return self.finish_read(pos, fire),
            Err(e) => return self.unsatisfiable(e, fire),
            Ok(None) => {}
        }
        if self.closed {
            if matches!(self.read.as_ref().map(|r| &r.target), Some(Target::UntilClose)) {
                let n = self.read_buf.len();
                return self.finish_read(n, fire);
            }
            if let Some(read) = self.read.take() {
                fire.rare().closed = Some(Closed {
                    error: closed_error(&self.error),
                    read: Some(read.future),
                    writes: Vec::new(),
                    connect: None,
                    callback: None,
                });
            }
            return;
        }
        self.read_and_satisfy(fire);
    }

    /// Reads the socket for the pending read and completes it if it can.
    fn read_and_satisfy(&mut self, fire: &mut Fire) {
        match self.read_loop(fire) {
            Ok(Some(pos)) => self.finish_read(pos, fire),
            Ok(None) => {}
            Err(e) => self.unsatisfiable(e, fire),
        }
    }

    /// Reads from the socket until the pending read is satisfied (returns
    /// its position), the socket has nothing more, or the stream closed.
    fn read_loop(&mut self, fire: &mut Fire) -> Result<Option<usize>, UnsatisfiableReadError> {
        while !self.closed && !self.connecting && self.readable && self.read.is_some() {
            if !self.read_once(fire) {
                return Ok(None);
            }
            if self.read.is_none() {
                // Completed from the chunk just read (see `read_once_into`).
                self.maybe_idle_read(fire);
                return Ok(None);
            }
            if let Some(pos) = self.find_read_pos()? {
                return Ok(Some(pos));
            }
        }
        Ok(None)
    }

    fn read_available(
        &mut self,
        dst: &mut Vec<u8>,
        max_bytes: usize,
        fire: &mut Fire,
    ) -> Result<usize, Error> {
        if self.read.is_some() {
            return Err(if self.closed {
                closed_error(&self.error)
            } else {
                Error::new(AlreadyReadingError)
            });
        }
        self.read_armed = false;
        if self.read_buf.is_empty() && self.readable && !self.closed && !self.connecting {
            let before = dst.len();
            self.read_once_into(Some((dst, max_bytes)), fire);
            let n = dst.len() - before;
            if n > 0 {
                return Ok(n);
            }
        }
        if !self.read_buf.is_empty() {
            let n = self.read_buf.len().min(max_bytes);
            dst.extend_from_slice(&self.read_buf.data()[..n]);
            self.read_buf.discard(n);
            return Ok(n);
        }
        if self.closed {
            return Err(closed_error(&self.error));
        }
        self.read_armed = self.read_callback.is_some();
        Ok(0)
    }

    /// With a close callback and nothing buffered or being read, reads
    /// once so that the end of the stream is noticed (Tornado's
    /// `_maybe_add_error_listener`).
    fn maybe_idle_read(&mut self, fire: &mut Fire) {
        if self.close_callback.is_some()
            && self.read.is_none()
            && self.read_buf.is_empty()
            && self.readable
            && !self.closed
            && !self.connecting
        {
            self.read_once(fire);
        }
    }

    /// One read system call into the pending read's buffer or the read
    /// buffer. Returns whether data arrived (`false`: nothing to read, or
    /// the stream closed).
    fn read_once(&mut self, fire: &mut Fire) -> bool {
        self.read_once_into(None, fire)
    }

    /// [`read_once`](Self::read_once), appending at most `max` bytes to
    /// `append.0` instead of buffering them (the rest is buffered), for
    /// `read_available`.
    fn read_once_into(&mut self, mut append: Option<(&mut Vec<u8>, usize)>, fire: &mut Fire) -> bool {
        let Some(socket) = self.socket.as_mut() else {
            return false;
        };
        let (wanted, result) = loop {
            let (wanted, result) = match &mut self.read {
                Some(PendingRead {
                    target: Target::Into { buf, filled, .. },
                    ..
                }) => {
                    let dest = &mut buf[*filled..];
                    let wanted = dest.len();
                    let result = socket.read(dest);
                    if let Ok(n) = result {
                        *filled += n;
                    }
                    (wanted, result)
                }
                read => match &self.open {
                    Some((open, _))
                        if append.is_some()
                            || (self.read_buf.spare_len() < self.chunk_size
                                && !wants_a_chunk(read.as_ref(), self.read_buf.len(), self.chunk_size)) =>
                    {
                        let mut scratch = open.scratch.borrow_mut();
                        if scratch.len() < self.chunk_size {
                            scratch.resize(self.chunk_size, 0);
                        }
                        let dest = &mut scratch[..self.chunk_size];
                        let result = socket.read(dest);
                        if let Ok(n) = result {
                            let mut data = &dest[..n];
                            if let Some((dst, max)) = append.as_mut() {
                                let taken = data.len().min(*max);
                                dst.extend_from_slice(&data[..taken]);
                                data = &data[taken..];
                            } else if self.read_buf.is_empty() {
                                // A `read_bytes` this chunk satisfies takes
                                // its bytes from it directly (the caller sees
                                // the read gone and stops).
                                if let Some(PendingRead {
                                    target: Target::Bytes { n: want, partial },
                                    future: ReadFuture::Bytes(_),
                                }) = read.as_ref()
                                {
                                    if n > 0 && (n >= *want || *partial) {
                                        let taken = n.min(*want);
                                        if let Some(PendingRead {
                                            future: ReadFuture::Bytes(future),
                                            ..
                                        }) = read.take()
                                        {
                                            fire.read = Some(ReadDone::Bytes(future, data[..taken].to_vec()));
                                        }
                                        data = &data[taken..];
                                    }
                                }
                            }
                            self.read_buf.extend_from_slice(data);
                        }
                        (self.chunk_size, result)
                    }
                    _ => {
                        let dest = self.read_buf.spare(self.chunk_size);
                        let wanted = dest.len();
                        let result = socket.read(dest);
                        if let Ok(n) = result {
                            self.read_buf.commit(n);
                        }
                        (wanted, result)
                    }
                },
            };
            match result {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                result => break (wanted, result),
            }
        };
        match result {
            Ok(0) if wanted > 0 => {
                // The end of the stream.
                self.readable = false;
                self.close(None, fire);
                false
            }
            Ok(n) => {
                if n < wanted && !self.read_closed {
                    // Short read: the socket is drained until the next event
                    // (unless the end of the stream is already there).
                    self.readable = false;
                }
                if self.read_buf.len() > self.max_buffer_size {
                    gust_ioloop::gust_log!(target: GEN_LOG, log::Level::Error, "Reached maximum read buffer size");
                    let error = StreamBufferFullError {
                        message: "Reached maximum read buffer size",
                    };
                    self.close(Some(error.into()), fire);
                    return false;
                }
                n > 0
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.readable = false;
                false
            }
            Err(e) => {
                if !is_connreset(&e) {
                    gust_ioloop::gust_log!(target: GEN_LOG, log::Level::Warn, "error on read: {e}");
                }
                self.close(Some(e.into()), fire);
                false
            }
        }
    }

    /// Where the pending read can be completed in the buffered data, if it
    /// can (Tornado's `_find_read_pos`).
    fn find_read_pos(&mut self) -> Result<Option<usize>, UnsatisfiableReadError> {
        let available = self.read_buf.len();
        let Some(read) = self.read.as_mut() else {
            return Ok(None);
        };
        match &mut read.target {
            Target::Bytes { n, partial } => {
                if available >= *n || (*partial && available > 0) {
                    Ok(Some((*n).min(available)))
                } else {
                    Ok(None)
                }
            }
            Target::Into { buf, filled, partial } => {
                if *filled == buf.len() || (*partial && *filled > 0) {
                    Ok(Some(*filled))
                } else {
                    Ok(None)
                }
            }
            Target::Until {
                delimiter,
                max_bytes,
                scanned,
            } => {
                let from = scanned.saturating_sub(delimiter.len() - 1);
                match self.read_buf.find(delimiter, from) {
                    Some(at) => {
                        let end = at + delimiter.len();
                        check_max_bytes(delimiter, *max_bytes, end)?;
                        Ok(Some(end))
                    }
                    None => {
                        *scanned = available;
                        check_max_bytes(delimiter, *max_bytes, available)?;
                        Ok(None)
                    }
                }
            }
            Target::UntilClose => Ok(None),
        }
    }

    /// Completes the pending read with the first `pos` buffered bytes (or
    /// its own buffer, for `read_into`).
    fn finish_read(&mut self, pos: usize, fire: &mut Fire) {
        let Some(read) = self.read.take() else {
            return;
        };
        fire.read = Some(match (read.target, read.future) {
            (Target::Into { buf, filled, .. }, ReadFuture::Into(future)) => {
                ReadDone::Into(future, buf, filled)
            }
            (_, ReadFuture::Bytes(future)) => ReadDone::Bytes(future, self.read_buf.consume(pos)),
            (_, ReadFuture::Into(future)) => ReadDone::Into(future, Vec::new(), 0),
        });
        self.maybe_idle_read(fire);
    }

    fn unsatisfiable(&mut self, error: UnsatisfiableReadError, fire: &mut Fire) {
        gust_ioloop::gust_log!(target: GEN_LOG, log::Level::Info, "Unsatisfiable read, closing connection: {error}");
        self.close(Some(error.into()), fire);
    }

    // ----------------------------------------------------------------
    // Writing
    // ----------------------------------------------------------------

    fn write<B: AsRef<[u8]> + 'static>(&mut self, data: B, fire: &mut Fire) -> Future<()> {
        if self.closed {
            return Future::failed(closed_error(&self.error));
        }
        let len = data.as_ref().len();
        if let Some(max) = self.max_write_buffer_size {
            if self.write_buf.len() + len > max {
                return Future::failed(StreamBufferFullError {
                    message: "Reached maximum write buffer size",
                });
            }
        }
        self.write_index += len as u64;
        if len > 0 {
            if self.write_buf.is_empty() && self.writable && !self.connecting {
                // Fast path: straight from the caller's buffer.
                let sent = self.send_direct(data.as_ref(), fire);
                match sent {
                    Some(n) if n < len => self.write_buf.push(data, n),
                    Some(_) => {}
                    None => return Future::failed(closed_error(&self.error)),
                }
            } else {
                self.write_buf.push(data, 0);
                if self.writable && !self.connecting {
                    self.handle_write(fire);
                    if self.closed {
                        return Future::failed(closed_error(&self.error));
                    }
                }
            }
        }
        if self.write_done >= self.write_index {
            // Everything written so far is sent: so is this write, and the
            // writes before it (resolved after it, in order, by `fire`).
            self.resolve_writes(fire);
            return Future::ready(());
        }
        let future = Future::new();
        self.write_futures.push_back((self.write_index, future.clone()));
        self.resolve_writes(fire);
        future
    }

    /// Writes `data` to the socket; returns how much was sent, or `None`
    /// if the stream closed.
    fn send_direct(&mut self, data: &[u8], fire: &mut Fire) -> Option<usize> {
        let socket = self.socket.as_mut()?;
        loop {
            match socket.write(data) {
                Ok(n) => {
                    self.write_done += n as u64;
                    if n < data.len() {
                        self.writable = false;
                    }
                    return Some(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.writable = false;
                    return Some(0);
                }
                Err(e) => {
                    self.write_failed(e, fire);
                    return None;
                }
            }
        }
    }

    fn write_failed(&mut self, error: io::Error, fire: &mut Fire) {
        if !is_connreset(&error) {
            let fd = self.socket.as_ref().map_or(-1, AsRawFd::as_raw_fd);
            gust_ioloop::gust_log!(target: GEN_LOG, log::Level::Warn, "Write error on {fd}: {error}");
        }
        self.close(Some(error.into()), fire);
    }

    /// Sends buffered data while the socket takes it (Tornado's
    /// `_handle_write`).
    fn handle_write(&mut self, fire: &mut Fire) {
        while !self.write_buf.is_empty() && self.writable {
            let Some(socket) = self.socket.as_mut() else {
                return;
            };
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let count = self.write_buf.slices(&mut slices);
            let total: usize = slices[..count].iter().map(|s| s.len()).sum();
            let result = if count == 1 {
                socket.write(&slices[0])
            } else {
                socket.write_vectored(&slices[..count])
            };
            match result {
                Ok(n) => {
                    self.write_buf.advance(n);
                    self.write_done += n as u64;
                    if n < total {
                        self.writable = false;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.writable = false,
                Err(e) => return self.write_failed(e, fire),
            }
        }
        self.resolve_writes(fire);
    }

    fn resolve_writes(&mut self, fire: &mut Fire) {
        while let Some((index, _)) = self.write_futures.front() {
            if *index > self.write_done {
                break;
            }
            if let Some((_, future)) = self.write_futures.pop_front() {
                fire.push_write(future);
            }
        }
    }

    // ----------------------------------------------------------------
    // Events
    // ----------------------------------------------------------------

    fn handle_events(&mut self, events: Events, fire: &mut Fire) {
        if self.closed {
            return;
        }
        if self.connecting && events.intersects(Events::WRITE | Events::ERROR) {
            self.handle_connect(fire);
        }
        if self.closed || self.connecting {
            return;
        }
        if events.contains(Events::READ_CLOSED) {
            self.read_closed = true;
        }
        if events.contains(Events::READ) {
            self.readable = true;
            if self.read.is_some() {
                self.read_and_satisfy(fire);
            } else if self.read_armed {
                // `read_available` found nothing: its owner reads now.
                self.read_armed = false;
                fire.notify = self.read_callback.clone();
            } else {
                self.maybe_idle_read(fire);
            }
        }
        if self.closed {
            return;
        }
        if events.contains(Events::WRITE) {
            self.writable = true;
            if !self.write_buf.is_empty() {
                self.handle_write(fire);
            }
        }
        if self.closed {
            return;
        }
        if events.intersects(Events::ERROR) {
            let error = self
                .socket
                .as_ref()
                .and_then(|s| s.take_error().unwrap_or_else(Some));
            match error {
                // A socket error: close, in a later iteration (Tornado), so
                // that callbacks this event's reads and writes queued run
                // first. Reading the error cleared it from the socket, so it
                // is recorded now (Tornado's `self.error = get_fd_error()`):
                // a read that reaches the end of the stream before the close
                // runs (one started by a done callback, say) closes with it
                // instead of as a clean end of stream.
                Some(error) => {
                    let error: Error = error.into();
                    self.error = Some(error.clone());
                    fire.rare().close_later = Some(Some(error));
                }
                // A hang-up: data the peer sent before it is still to be
                // read (the reads above and later ones reach the end of the
                // stream), and buffered writes fail when they are tried.
                None => {
                    self.read_closed = true;
                    if std::mem::take(&mut self.read_armed) {
                        fire.notify = self.read_callback.clone();
                    }
                    if !self.write_buf.is_empty() {
                        self.writable = true;
                        self.handle_write(fire);
                    }
                }
            }
        }
    }

    fn handle_connect(&mut self, fire: &mut Fire) {
        let Some(socket) = self.socket.as_ref() else {
            return;
        };
        match socket.take_error() {
            Ok(None) => {}
            Ok(Some(e)) | Err(e) => return self.close(Some(e.into()), fire),
        }
        if let Err(e) = socket.peer_addr() {
            if e.kind() == io::ErrorKind::NotConnected {
                // Not yet: a spurious event.
                return;
            }
        }
        self.connecting = false;
        self.readable = true;
        self.writable = true;
        let rare = fire.rare();
        rare.connected = self.connect.take();
        rare.released = self.keep_alive.take();
        if !self.write_buf.is_empty() {
            self.handle_write(fire);
        }
    }

    // ----------------------------------------------------------------
    // Closing
    // ----------------------------------------------------------------

    fn close(&mut self, error: Option<Error>, fire: &mut Fire) {
        if !self.closed {
            if error.is_some() {
                self.error = error;
            }
            match self.read.as_ref().map(|r| &r.target) {
                Some(Target::UntilClose) => {
                    let n = self.read_buf.len();
                    self.finish_read(n, fire);
                }
                Some(_) => {
                    // Complete a read the buffer satisfies.
                    if let Ok(Some(pos)) = self.find_read_pos() {
                        self.finish_read(pos, fire);
                    }
                }
                None => {}
            }
            self.closed = true;
            if let Some(mut socket) = self.socket.take() {
                if let (Some(id), Some(io_loop)) = (self.handler.take(), self.io_loop.upgrade()) {
                    let _ = io_loop.remove_handler(&mut socket, id);
                }
            }
            if let Some((open, key)) = self.open.take() {
                open.streams.borrow_mut().try_remove(key);
            }
        }
        let closed = Closed {
            error: closed_error(&self.error),
            read: self.read.take().map(|r| r.future),
            writes: self.write_futures.drain(..).map(|(_, f)| f).collect(),
            connect: self.connect.take(),
            callback: self.close_callback.take().map(|cb| (self.io_loop.clone(), cb)),
        };
        if let Some(handle) = self.keep_alive.take() {
            fire.rare().released = Some(handle);
        }
        // An owner waiting in `read_available` learns of the close from it;
        // the callback goes (it may hold the owner).
        let read_callback = self.read_callback.take();
        if std::mem::take(&mut self.read_armed) {
            fire.notify = read_callback;
        }
        self.write_buf.clear();
        let rare = fire.rare();
        match &mut rare.closed {
            Some(already) => {
                already.read = already.read.take().or(closed.read);
                already.writes.extend(closed.writes);
                already.connect = already.connect.take().or(closed.connect);
                already.callback = already.callback.take().or(closed.callback);
            }
            None => rare.closed = Some(closed),
        }
    }
}

/// Whether the pending read needs at least a chunk more than `buffered`:
/// then the stream reads into its own buffer (it grows to hold the data
/// anyway) instead of the loop's scratch buffer, saving a copy.
fn wants_a_chunk(read: Option<&PendingRead>, buffered: usize, chunk: usize) -> bool {
    match read.map(|r| &r.target) {
        Some(Target::Bytes { n, partial: false }) => n.saturating_sub(buffered) >= chunk,
        Some(Target::UntilClose) => true,
        _ => false,
    }
}

fn check_max_bytes(
    delimiter: &[u8],
    max_bytes: Option<usize>,
    size: usize,
) -> Result<(), UnsatisfiableReadError> {
    match max_bytes {
        Some(max) if size > max => Err(UnsatisfiableReadError {
            message: format!("delimiter {} not found within {max} bytes", bytes_repr(delimiter)),
        }),
        _ => Ok(()),
    }
}
