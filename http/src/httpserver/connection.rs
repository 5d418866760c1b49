//! One server connection: reads requests one after another, hands each to
//! the request callback, and waits for its response before reading the
//! next (Tornado's `HTTP1ServerConnection`), so pipelined requests are
//! answered in order.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use gust_ioloop::{IOLoop, TimeoutHandle, WeakIOLoop};
use gust_net::GEN_LOG;
use gust_net::iostream::IOStream;
use gust_net::netutil::is_valid_ip;
use gust_yieldables::Future;

use super::ServerShared;
use super::response::ResponseWriter;
use crate::http1connection::{BodyDecoder, BodyFraming, RequestHead, parse_request_head};
use crate::httputil::{HTTPHeaders, HTTPInputError, HTTPServerRequest, now_http_date, reason_phrase};
use crate::inbuf::InBuf;

/// How long a connection answered with an error is drained before it is
/// closed, so that the client can read the answer (closing a socket with
/// unread input makes the kernel send a reset).
const LINGER: Duration = Duration::from_secs(2);

pub(crate) struct ServerConn {
    stream: IOStream,
    shared: Rc<ServerShared>,
    remote: SocketAddr,
    remote_ip: String,
    io_loop: WeakIOLoop,
    state: RefCell<ConnState>,
    running: Cell<bool>,
    /// The body timeout, or the lingering close.
    timer: Cell<Option<TimeoutHandle>>,
    /// The idle (head) timeout: armed once and moved on when it fires
    /// early, so that a busy connection does not add and remove a timer
    /// per request.
    idle_timer: Cell<Option<TimeoutHandle>>,
    /// When the request being handled was dispatched (loop time).
    dispatched_at: Cell<Option<Instant>>,
    slot: Cell<Option<usize>>,
}

struct ConnState {
    inbuf: InBuf,
    phase: Phase,
}

enum Phase {
    /// Waiting for a request head (since when, once the wait started).
    Head {
        since: Option<Instant>,
    },
    /// Reading a body.
    Body {
        head: RequestHead,
        decoder: BodyDecoder,
        body: Vec<u8>,
        since: Option<Instant>,
    },
    /// The request callback has the request; waiting for its response.
    Handling,
    Closed,
}

enum Step {
    Again,
    Read,
    Dispatch(RequestHead, Vec<u8>),
    Wait,
}

impl ServerConn {
    /// Serves `stream`.
    pub(crate) fn start(shared: Rc<ServerShared>, stream: IOStream, remote: SocketAddr) {
        let _ = stream.set_nodelay(true);
        let io_loop = IOLoop::current();
        let conn = Rc::new(ServerConn {
            stream,
            remote_ip: remote.ip().to_string(),
            remote,
            io_loop: io_loop.downgrade(),
            state: RefCell::new(ConnState {
                inbuf: InBuf::default(),
                phase: Phase::Head { since: None },
            }),
            running: Cell::new(false),
            timer: Cell::new(None),
            idle_timer: Cell::new(None),
            dispatched_at: Cell::new(None),
            slot: Cell::new(None),
            shared,
        });
        let slot = conn.shared.connections.borrow_mut().insert(Rc::downgrade(&conn));
        conn.slot.set(Some(slot));
        // Input is read with `read_available` into the connection's own
        // buffer: no future, callback or buffer allocated per read. The
        // stream calls back when a read that found nothing can go on. The
        // callback keeps the connection alive (as a pending read's done
        // callback would) until the stream closes, which drops it.
        let this = conn.clone();
        conn.stream.set_read_callback(move || this.run());
        conn.run();
    }

    pub(crate) fn stream(&self) -> &IOStream {
        &self.stream
    }

    /// Drives the connection until it has to wait.
    fn run(self: &Rc<Self>) {
        if self.running.replace(true) {
            // An outer `run` on the stack goes on with the new state.
            return;
        }
        loop {
            match self.step() {
                Step::Again => {}
                Step::Wait => break,
                Step::Dispatch(head, body) => self.dispatch(head, body),
                Step::Read => {
                    // The buffer is taken out while the stream reads into it
                    // (a close inside the read may call back into `self`).
                    let mut input = self.state.borrow_mut().inbuf.take_for_append();
                    let read = self
                        .stream
                        .read_available(&mut input, self.shared.options.chunk_size);
                    self.state.borrow_mut().inbuf.restore(input);
                    match read {
                        Ok(0) => {
                            // Nothing yet: the read callback runs `run`
                            // again when something comes.
                            self.arm_timer();
                            break;
                        }
                        Ok(_) => {}
                        Err(_) => {
                            // The client closed the connection (or it
                            // failed): a partial request is dropped, as
                            // Tornado drops it.
                            self.close();
                            break;
                        }
                    }
                }
            }
        }
        self.running.set(false);
    }

    fn step(self: &Rc<Self>) -> Step {
        let limits = &self.shared.limits;
        let mut guard = self.state.borrow_mut();
        let state = &mut *guard;
        match &mut state.phase {
            Phase::Closed | Phase::Handling => Step::Wait,
            Phase::Head { .. } => {
                if state.inbuf.is_empty() {
                    return Step::Read;
                }
                match parse_request_head(state.inbuf.bytes(), limits) {
                    Ok(Some((head, used))) => {
                        state.inbuf.consume(used);
                        if head.expect_continue && state.inbuf.is_empty() {
                            // RFC 9110 section 10.1.1: only HTTP/1.1
                            // clients, and only if the body has not started.
                            drop(self.stream.write(&b"HTTP/1.1 100 Continue\r\n\r\n"[..]));
                        }
                        if head.framing == BodyFraming::Empty {
                            state.phase = Phase::Handling;
                            return Step::Dispatch(head, Vec::new());
                        }
                        let decoder = BodyDecoder::new(head.framing, limits.max_body_size);
                        let body = match head.framing {
                            BodyFraming::Length(n) => Vec::with_capacity(n.min(1 << 20) as usize),
                            _ => Vec::new(),
                        };
                        state.phase = Phase::Body {
                            head,
                            decoder,
                            body,
                            since: None,
                        };
                        Step::Again
                    }
                    Ok(None) => Step::Read,
                    Err(e) => {
                        drop(guard);
                        self.bad_request(e);
                        Step::Wait
                    }
                }
            }
            Phase::Body { decoder, body, .. } => {
                match decoder.decode(state.inbuf.bytes(), body) {
                    Ok(used) => state.inbuf.consume(used),
                    Err(e) => {
                        drop(guard);
                        self.bad_request(e);
                        return Step::Wait;
                    }
                }
                if !decoder.is_done() {
                    return Step::Read;
                }
                self.clear_timer();
                match std::mem::replace(&mut state.phase, Phase::Handling) {
                    Phase::Body { head, body, .. } => Step::Dispatch(head, body),
                    _ => Step::Wait,
                }
            }
        }
    }

    fn dispatch(self: &Rc<Self>, head: RequestHead, body: Vec<u8>) {
        let RequestHead {
            start_line,
            headers,
            keep_alive,
            ..
        } = head;
        let head_request = start_line.method == "HEAD";
        let http10 = start_line.version == "HTTP/1.0";
        let now = self.io_loop.upgrade().map_or_else(Instant::now, |l| l.time());
        self.dispatched_at.set(Some(now));
        let mut request = HTTPServerRequest::from_head(start_line, headers, body, now);
        request.remote_ip.clone_from(&self.remote_ip);
        request.remote_addr = Some(self.remote);
        if let Some(protocol) = &self.shared.options.protocol {
            request.protocol = protocol.clone().into();
        }
        if self.shared.options.xheaders {
            apply_xheaders(&mut request, &self.shared.options.trusted_downstream);
        }
        let writer = ResponseWriter::new(self.clone(), head_request, http10, keep_alive);
        self.shared.callback.handle(request, writer);
    }

    /// The response's last bytes were written (`sent`): go on with the
    /// next request, or close.
    pub(crate) fn response_finished(self: &Rc<Self>, sent: &Future<()>, close: bool) {
        if sent.done() {
            self.after_response(close);
        } else {
            let conn = self.clone();
            sent.add_done_callback(move |_| conn.after_response(close));
        }
    }

    fn after_response(self: &Rc<Self>, close: bool) {
        if close || self.stream.closed() {
            self.close();
            return;
        }
        {
            let mut state = self.state.borrow_mut();
            if !matches!(state.phase, Phase::Handling) {
                return;
            }
            // A response finished while its request was being dispatched
            // (in this `run`) ended when it started: no need to read the
            // clock again.
            let since = if self.running.get() {
                self.dispatched_at.get()
            } else {
                None
            };
            state.phase = Phase::Head { since };
        }
        self.run();
    }

    /// Answers malformed input and closes (Tornado answers `400 Bad
    /// Request`; gust also answers 413 and 431, with a Date header).
    fn bad_request(self: &Rc<Self>, error: HTTPInputError) {
        gust_ioloop::gust_log!(target: GEN_LOG, log::Level::Info, "Malformed HTTP message from {}: {error}", self.remote_ip);
        self.state.borrow_mut().phase = Phase::Closed;
        self.clear_timer();
        let mut answer = format!(
            "HTTP/1.1 {} {}\r\nDate: ",
            error.status,
            reason_phrase(error.status)
        )
        .into_bytes();
        now_http_date(&mut answer);
        answer.extend_from_slice(b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let written = self.stream.write(answer);
        let conn = self.clone();
        written.add_done_callback(move |written| {
            if written.exception().is_some() {
                conn.close();
            } else {
                conn.linger();
            }
        });
    }

    /// Ends the writing side, then reads and drops what the client still
    /// sends for at most [`LINGER`], then closes.
    fn linger(self: &Rc<Self>) {
        let _ = self.stream.shutdown_write().exception();
        self.state.borrow_mut().inbuf = InBuf::default();
        if let Some(io_loop) = self.io_loop.upgrade() {
            let weak = Rc::downgrade(self);
            let handle = io_loop.call_later(LINGER, move || {
                if let Some(conn) = weak.upgrade() {
                    conn.close();
                }
            });
            self.timer.set(Some(handle));
        }
        self.drain();
    }

    fn drain(self: &Rc<Self>) {
        loop {
            let read = self.stream.read_bytes(65_536, true);
            if !read.done() {
                let conn = self.clone();
                read.add_done_callback(move |read| match read.take_result() {
                    Ok(_) => conn.drain(),
                    Err(_) => conn.close(),
                });
                return;
            }
            if read.take_result().is_err() {
                self.close();
                return;
            }
        }
    }

    fn arm_timer(self: &Rc<Self>) {
        let Some(io_loop) = self.io_loop.upgrade() else {
            return;
        };
        let mut state = self.state.borrow_mut();
        match &mut state.phase {
            Phase::Head { since } => {
                let Some(timeout) = self.shared.options.idle_connection_timeout else {
                    return;
                };
                let since = *since.get_or_insert_with(|| io_loop.time());
                drop(state);
                if self.idle_timer.get().is_none() {
                    self.arm_idle_timer(&io_loop, since + timeout);
                }
            }
            Phase::Body { since, .. } => {
                let Some(timeout) = self.shared.options.body_timeout else {
                    return;
                };
                if self.timer.get().is_some() {
                    return;
                }
                let deadline = *since.get_or_insert_with(|| io_loop.time()) + timeout;
                drop(state);
                let weak: Weak<ServerConn> = Rc::downgrade(self);
                let handle = io_loop.call_at(deadline, move || {
                    if let Some(conn) = weak.upgrade() {
                        conn.timer.set(None);
                        gust_ioloop::gust_log!(target: GEN_LOG, log::Level::Info, "Timeout reading body from {}", conn.remote_ip);
                        conn.close();
                    }
                });
                self.timer.set(Some(handle));
            }
            _ => {}
        }
    }

    fn arm_idle_timer(self: &Rc<Self>, io_loop: &IOLoop, deadline: Instant) {
        let weak: Weak<ServerConn> = Rc::downgrade(self);
        let handle = io_loop.call_at(deadline, move || {
            if let Some(conn) = weak.upgrade() {
                conn.idle_timer.set(None);
                conn.on_idle_timer();
            }
        });
        self.idle_timer.set(Some(handle));
    }

    /// The idle timer fired: close the connection if it has waited for a
    /// head that long; if it waits for one that started later, wait on.
    fn on_idle_timer(self: &Rc<Self>) {
        let (Some(io_loop), Some(timeout)) = (
            self.io_loop.upgrade(),
            self.shared.options.idle_connection_timeout,
        ) else {
            return;
        };
        let since = match &self.state.borrow().phase {
            Phase::Head { since: Some(since) } => *since,
            _ => return,
        };
        if io_loop.time() >= since + timeout {
            self.close();
        } else {
            self.arm_idle_timer(&io_loop, since + timeout);
        }
    }

    fn clear_timer(&self) {
        if let Some(handle) = self.timer.take() {
            if let Some(io_loop) = self.io_loop.upgrade() {
                io_loop.remove_timeout(handle);
            }
        }
    }

    fn clear_idle_timer(&self) {
        if let Some(handle) = self.idle_timer.take() {
            if let Some(io_loop) = self.io_loop.upgrade() {
                io_loop.remove_timeout(handle);
            }
        }
    }

    /// Closes the connection.
    pub(crate) fn close(&self) {
        self.clear_timer();
        self.clear_idle_timer();
        self.state.borrow_mut().phase = Phase::Closed;
        self.stream.close();
        if let Some(slot) = self.slot.take() {
            self.shared.connections.borrow_mut().try_remove(slot);
        }
    }
}

/// Rewrites `remote_ip` and `protocol` from the proxy's headers (Tornado's
/// `_apply_xheaders`).
fn apply_xheaders(request: &mut HTTPServerRequest, trusted_downstream: &[String]) {
    let headers: &HTTPHeaders = &request.headers;
    let forwarded = headers.get("X-Forwarded-For");
    let mut ip = request.remote_ip.clone();
    if let Some(list) = &forwarded {
        for candidate in list.rsplit(',').map(str::trim) {
            ip = candidate.to_owned();
            if !trusted_downstream.iter().any(|t| t == candidate) {
                break;
            }
        }
    }
    if let Some(real) = headers.get("X-Real-Ip") {
        ip = real.into_owned();
    }
    if is_valid_ip(&ip) {
        request.remote_ip = ip;
    }
    let proto = headers
        .get("X-Scheme")
        .or_else(|| headers.get("X-Forwarded-Proto"));
    if let Some(proto) = proto {
        let last = proto.rsplit(',').next().unwrap_or("").trim();
        if last == "http" {
            request.protocol = Cow::Borrowed("http");
        } else if last == "https" {
            request.protocol = Cow::Borrowed("https");
        }
    }
}
