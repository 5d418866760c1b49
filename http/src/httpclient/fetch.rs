//! One request on one connection (Tornado's `_HTTPConnection`): connect or
//! reuse a kept-alive connection, send the request, read the response,
//! follow a redirect, and give the connection back to the pool.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Instant, SystemTime};

use gust_ioloop::TimeoutHandle;
use gust_net::iostream::{IOStream, StreamClosedError, StreamOptions};
use gust_net::tcpclient::ConnectOptions;
use gust_yieldables::{Error, TimeoutError};

use super::PoolKey;
use super::error::{ClientErrorKind, HTTPClientError};
use super::request::HTTPRequest;
use super::response::HTTPResponse;
use super::{ClientInner, FinalCallback, elapsed};
use crate::http1connection::{BodyDecoder, BodyFraming, ResponseHead, parse_response_head, response_framing};
use crate::httputil::{HTTPInputError, SplitUrl, UrlParts, is_field_value, is_token, url_join};
use crate::inbuf::InBuf;

const SUPPORTED_METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];
const IDEMPOTENT_METHODS: [&str; 6] = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"];
const MAX_1XX_RESPONSES: u32 = 10;
const READ_SIZE: usize = 65_536;

pub(crate) struct Fetch {
    client: Rc<ClientInner>,
    request: HTTPRequest,
    key: PoolKey,
    /// The request's head, then its body (sent after `100 Continue` when
    /// the request expects one).
    wire: Rc<[u8]>,
    head_len: usize,
    start: Instant,
    start_wall: SystemTime,
    callback: RefCell<Option<FinalCallback>>,
    timer: Cell<Option<TimeoutHandle>>,
    state: RefCell<State>,
    running: Cell<bool>,
}

struct State {
    stream: Option<IOStream>,
    reused: bool,
    retried: bool,
    inbuf: InBuf,
    phase: Phase,
    got_bytes: bool,
    body_sent: bool,
    num_1xx: u32,
}

enum Phase {
    Connecting,
    Head,
    Body {
        head: Box<ResponseHead>,
        decoder: BodyDecoder,
        body: Vec<u8>,
        keep_alive: bool,
        redirect: bool,
    },
    Done,
}

enum Step {
    Again,
    Read,
    Wait,
    HeaderLines(Vec<String>),
    Stream(Vec<u8>),
    Finish,
    Fail(HTTPClientError),
}

fn invalid(message: String) -> HTTPClientError {
    HTTPClientError::other(ClientErrorKind::InvalidRequest, message, None)
}

fn malformed(e: HTTPInputError) -> HTTPClientError {
    HTTPClientError::other(ClientErrorKind::Malformed, e.to_string(), Some(Error::new(e)))
}

/// The client error for a failed stream operation (Tornado's
/// `_handle_exception`: a stream closed without a cause is `Stream
/// closed`).
fn stream_error(e: Error) -> HTTPClientError {
    if let Some(closed) = e.downcast_ref::<StreamClosedError>() {
        return match &closed.real_error {
            Some(real) => HTTPClientError::other(
                ClientErrorKind::StreamClosed,
                real.to_string(),
                Some(real.clone()),
            ),
            None => HTTPClientError::other(ClientErrorKind::StreamClosed, "Stream closed".to_owned(), None),
        };
    }
    if e.is::<TimeoutError>() {
        return HTTPClientError::timeout("Timeout while connecting");
    }
    if let Some(client_error) = e.downcast_ref::<HTTPClientError>() {
        return client_error.clone();
    }
    HTTPClientError::other(ClientErrorKind::Connection, e.to_string(), Some(e))
}

/// The client error for a failed connection attempt.
fn connect_error(e: Error) -> HTTPClientError {
    if let Some(closed) = e.downcast_ref::<StreamClosedError>() {
        if let Some(real) = &closed.real_error {
            return HTTPClientError::other(ClientErrorKind::Connection, real.to_string(), Some(real.clone()));
        }
    }
    match stream_error(e) {
        e if e.kind == ClientErrorKind::StreamClosed => {
            HTTPClientError::other(ClientErrorKind::Connection, e.message.clone(), e.cause().cloned())
        }
        e => e,
    }
}

impl Fetch {
    pub(crate) fn start(client: Rc<ClientInner>, request: HTTPRequest, callback: FinalCallback) {
        let start = client.io_loop.upgrade().map_or_else(Instant::now, |l| l.time());
        let prepared = prepare(&request);
        let Prepared { key, wire, head_len } = match prepared {
            Ok(p) => p,
            Err(e) => {
                let mut response = HTTPResponse::failed(e, &request.url);
                response.start_time = Some(SystemTime::now());
                ClientInner::release(&client);
                callback(response);
                return;
            }
        };
        let fetch = Rc::new(Fetch {
            client,
            key,
            wire,
            head_len,
            start,
            start_wall: SystemTime::now(),
            callback: RefCell::new(Some(callback)),
            timer: Cell::new(None),
            state: RefCell::new(State {
                stream: None,
                reused: false,
                retried: false,
                inbuf: InBuf::default(),
                phase: Phase::Connecting,
                got_bytes: false,
                body_sent: false,
                num_1xx: 0,
            }),
            running: Cell::new(false),
            request,
        });
        match fetch.client.take_connection(&fetch.key) {
            Some(stream) => {
                fetch.state.borrow_mut().reused = true;
                fetch.arm_request_timeout();
                fetch.send(stream);
            }
            None => fetch.connect(),
        }
    }

    fn connect(self: &Rc<Self>) {
        let timeout = match (self.request.connect_timeout, self.request.request_timeout) {
            (Some(c), Some(r)) => Some(c.min(r)),
            (c, r) => c.or(r),
        };
        let options = ConnectOptions {
            timeout: timeout.map(|t| (self.start + t).into()),
            stream: StreamOptions {
                max_buffer_size: self.client.options.max_buffer_size,
                ..StreamOptions::default()
            },
            ..ConnectOptions::default()
        };
        let connecting = self.client.tcp.connect_with(&self.key.0, self.key.1, options);
        let fetch = self.clone();
        connecting.add_done_callback(move |connecting| match connecting.take_result() {
            Ok(stream) if fetch.callback.borrow().is_none() => stream.close(),
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                fetch.arm_request_timeout();
                fetch.send(stream);
            }
            Err(e) => fetch.fail(connect_error(e)),
        });
    }

    fn arm_request_timeout(self: &Rc<Self>) {
        let (Some(timeout), Some(io_loop)) = (self.request.request_timeout, self.client.io_loop.upgrade())
        else {
            return;
        };
        if timeout.is_zero() {
            return;
        }
        let weak = Rc::downgrade(self);
        let handle = io_loop.call_at(self.start + timeout, move || {
            if let Some(fetch) = weak.upgrade() {
                fetch.timer.set(None);
                fetch.fail(HTTPClientError::timeout("Timeout during request"));
            }
        });
        self.timer.set(Some(handle));
    }

    fn send(self: &Rc<Self>, stream: IOStream) {
        {
            let mut state = self.state.borrow_mut();
            state.phase = Phase::Head;
            state.inbuf = InBuf::default();
            state.got_bytes = false;
            state.num_1xx = 0;
            let has_body = self.wire.len() > self.head_len;
            if self.request.expect_100_continue && has_body {
                state.body_sent = false;
                let _ = stream
                    .write(Part(self.wire.clone(), 0..self.head_len))
                    .exception();
            } else {
                state.body_sent = true;
                let _ = stream
                    .write(Part(self.wire.clone(), 0..self.wire.len()))
                    .exception();
            }
            // The response is read with `read_available` into the fetch's
            // own buffer (no future, callback or buffer per read); the
            // stream calls back when a read that found nothing can go on.
            // The callback keeps the fetch alive, as a pending read would;
            // it is dropped when the stream closes or goes back to the pool.
            let fetch = self.clone();
            stream.set_read_callback(move || fetch.run());
            state.stream = Some(stream);
        }
        self.run();
    }

    fn run(self: &Rc<Self>) {
        if self.running.replace(true) {
            return;
        }
        loop {
            match self.step() {
                Step::Again => {}
                Step::Wait => break,
                Step::HeaderLines(lines) => {
                    if let Some(callback) = &self.request.header_callback {
                        for line in &lines {
                            callback(line);
                        }
                    }
                }
                Step::Stream(data) => {
                    if let Some(callback) = &self.request.streaming_callback {
                        callback(&data);
                    }
                }
                Step::Finish => {
                    self.finish();
                    break;
                }
                Step::Fail(e) => {
                    self.fail(e);
                    break;
                }
                Step::Read => {
                    let Some(stream) = self.state.borrow().stream.clone() else {
                        break;
                    };
                    // The buffer is taken out while the stream reads into it
                    // (a close inside the read may call back into `self`).
                    let mut input = self.state.borrow_mut().inbuf.take_for_append();
                    let read = stream.read_available(&mut input, READ_SIZE);
                    self.state.borrow_mut().inbuf.restore(input);
                    let read = match read {
                        // Nothing yet: the read callback runs `run` again.
                        Ok(0) => break,
                        Ok(_) => Ok(()),
                        Err(e) => Err(e),
                    };
                    match self.on_read(read) {
                        None => continue,
                        Some(Step::Finish) => {
                            self.finish();
                            break;
                        }
                        Some(Step::Fail(e)) => {
                            self.fail(e);
                            break;
                        }
                        Some(_) => break,
                    }
                }
            }
        }
        self.running.set(false);
    }

    /// Takes a read's result (the data is in the input buffer already):
    /// `None` to go on, or what to do instead.
    fn on_read(self: &Rc<Self>, result: Result<(), Error>) -> Option<Step> {
        if self.callback.borrow().is_none() {
            return Some(Step::Wait);
        }
        let mut state = self.state.borrow_mut();
        match result {
            Ok(()) => None,
            Err(e) => {
                let clean = e
                    .downcast_ref::<StreamClosedError>()
                    .is_some_and(|c| c.real_error.is_none());
                if let Phase::Body { decoder, .. } = &mut state.phase {
                    if clean {
                        return Some(match decoder.finish_at_eof() {
                            Ok(()) => Step::Finish,
                            Err(e) => Step::Fail(malformed(e)),
                        });
                    }
                    return Some(Step::Fail(stream_error(e)));
                }
                let retry = state.reused
                    && !state.got_bytes
                    && !state.retried
                    && IDEMPOTENT_METHODS.contains(&self.request.method.as_str());
                if retry {
                    // A kept-alive connection the server had closed: try
                    // once more on a new one.
                    state.retried = true;
                    state.reused = false;
                    state.phase = Phase::Connecting;
                    if let Some(stream) = state.stream.take() {
                        stream.close();
                    }
                    drop(state);
                    self.connect();
                    return Some(Step::Wait);
                }
                Some(Step::Fail(stream_error(e)))
            }
        }
    }

    fn step(self: &Rc<Self>) -> Step {
        let mut guard = self.state.borrow_mut();
        let state = &mut *guard;
        match &mut state.phase {
            Phase::Connecting | Phase::Done => Step::Wait,
            Phase::Head => {
                if state.inbuf.is_empty() {
                    return Step::Read;
                }
                let (head, used) =
                    match parse_response_head(state.inbuf.bytes(), self.client.options.max_header_size) {
                        Ok(Some(parsed)) => parsed,
                        Ok(None) => return Step::Read,
                        Err(e) => return Step::Fail(malformed(e)),
                    };
                state.inbuf.consume(used);
                state.got_bytes = true;
                let framing =
                    match response_framing(&self.request.method, &head, self.client.options.max_body_size) {
                        Ok(framing) => framing,
                        Err(e) => return Step::Fail(malformed(e)),
                    };
                let code = head.start_line.code;
                if (100..200).contains(&code) {
                    if code == 101 {
                        return Step::Fail(malformed(HTTPInputError::new("Unexpected 101 response")));
                    }
                    state.num_1xx += 1;
                    if state.num_1xx > MAX_1XX_RESPONSES {
                        return Step::Fail(malformed(HTTPInputError::new("Too many 1xx responses")));
                    }
                    if code == 100 && !state.body_sent {
                        state.body_sent = true;
                        if let Some(stream) = &state.stream {
                            let body = Part(self.wire.clone(), self.head_len..self.wire.len());
                            let _ = stream.write(body).exception();
                        }
                    }
                    return Step::Again;
                }
                let http11 = head.start_line.version == "HTTP/1.1";
                let keep_alive = state.body_sent
                    && framing != BodyFraming::UntilClose
                    && !self.request.headers.has_token("Connection", "close")
                    && if http11 {
                        !head.headers.has_token("Connection", "close")
                    } else {
                        head.headers.has_token("Connection", "keep-alive")
                    };
                let redirect = self.should_follow_redirect(&head);
                let lines = if self.request.header_callback.is_some() && !redirect {
                    let mut lines = vec![format!("{}\r\n", head.start_line)];
                    lines.extend(head.headers.get_all().map(|(k, v)| format!("{k}: {v}\r\n")));
                    lines.push("\r\n".to_owned());
                    Some(lines)
                } else {
                    None
                };
                state.phase = Phase::Body {
                    head: Box::new(head),
                    decoder: BodyDecoder::new(framing, self.client.options.max_body_size),
                    body: Vec::new(),
                    keep_alive,
                    redirect,
                };
                match lines {
                    Some(lines) => Step::HeaderLines(lines),
                    None => Step::Again,
                }
            }
            Phase::Body {
                decoder,
                body,
                redirect,
                ..
            } => {
                let streaming = self.request.streaming_callback.is_some() && !*redirect;
                let mut chunk = Vec::new();
                let target = if streaming || *redirect {
                    &mut chunk
                } else {
                    &mut *body
                };
                match decoder.decode(state.inbuf.bytes(), target) {
                    Ok(used) => state.inbuf.consume(used),
                    Err(e) => return Step::Fail(malformed(e)),
                }
                if streaming && !chunk.is_empty() {
                    return Step::Stream(chunk);
                }
                if decoder.is_done() {
                    Step::Finish
                } else {
                    Step::Read
                }
            }
        }
    }

    fn should_follow_redirect(&self, head: &ResponseHead) -> bool {
        self.request.follow_redirects
            && self.request.max_redirects > 0
            && matches!(head.start_line.code, 301 | 302 | 303 | 307 | 308)
            && head.headers.contains("Location")
    }

    fn clear_timer(&self) {
        if let Some(handle) = self.timer.take() {
            if let Some(io_loop) = self.client.io_loop.upgrade() {
                io_loop.remove_timeout(handle);
            }
        }
    }

    /// The response is complete.
    fn finish(self: &Rc<Self>) {
        self.clear_timer();
        let Some(callback) = self.callback.borrow_mut().take() else {
            return;
        };
        let (head, body, keep_alive, redirect, stream, leftover) = {
            let mut state = self.state.borrow_mut();
            let phase = std::mem::replace(&mut state.phase, Phase::Done);
            let Phase::Body {
                head,
                body,
                keep_alive,
                redirect,
                ..
            } = phase
            else {
                return;
            };
            (
                head,
                body,
                keep_alive,
                redirect,
                state.stream.take(),
                !state.inbuf.is_empty(),
            )
        };
        if let Some(stream) = stream {
            if keep_alive && !leftover {
                stream.clear_read_callback();
                ClientInner::put_connection(&self.client, self.key.clone(), stream);
            } else {
                stream.close();
            }
        }
        if redirect {
            let next = self.redirect_request(&head);
            ClientInner::release(&self.client);
            ClientInner::fetch_impl(&self.client, next, callback);
            return;
        }
        let ResponseHead { start_line, headers } = *head;
        let mut response = HTTPResponse::new(
            start_line.code,
            start_line.reason,
            headers,
            body,
            self.request.url.clone(),
        );
        response.request_time = elapsed(&self.client.io_loop, self.start);
        response.start_time = Some(self.start_wall);
        ClientInner::release(&self.client);
        callback(response);
    }

    /// The request a redirect leads to (Tornado's `_HTTPConnection.finish`).
    fn redirect_request(&self, head: &ResponseHead) -> HTTPRequest {
        let code = head.start_line.code;
        let location = head.headers.get_first("Location").unwrap_or("");
        let mut next = self.request.clone();
        next.url = url_join(&self.request.url, location);
        next.max_redirects = self.request.max_redirects - 1;
        next.headers.remove("Host");
        let from = SplitUrl::parse(&self.request.url);
        let to = SplitUrl::parse(&next.url);
        if from.scheme != to.scheme || from.netloc != to.netloc {
            // A cross-origin redirect drops credentials, as libcurl does.
            next.auth_username = None;
            next.auth_password = None;
            next.headers.remove("Authorization");
            next.headers.remove("Cookie");
        }
        if (code == 303 && self.request.method != "HEAD")
            || (matches!(code, 301 | 302) && self.request.method == "POST")
        {
            next.method = "GET".to_owned();
            next.body = None;
            for name in [
                "Content-Length",
                "Content-Type",
                "Content-Encoding",
                "Transfer-Encoding",
            ] {
                next.headers.remove(name);
            }
        }
        next
    }

    /// The request failed.
    fn fail(self: &Rc<Self>, error: HTTPClientError) {
        self.clear_timer();
        let Some(callback) = self.callback.borrow_mut().take() else {
            return;
        };
        let stream = {
            let mut state = self.state.borrow_mut();
            state.phase = Phase::Done;
            state.stream.take()
        };
        if let Some(stream) = stream {
            stream.close();
        }
        let mut response = HTTPResponse::failed(error, &self.request.url);
        response.request_time = elapsed(&self.client.io_loop, self.start);
        response.start_time = Some(self.start_wall);
        ClientInner::release(&self.client);
        callback(response);
    }
}

/// Checks the request and writes its head and body (Tornado's
/// `_HTTPConnection.run`, before connecting).
fn prepare(request: &HTTPRequest) -> Result<Prepared, HTTPClientError> {
    let url = UrlParts::parse(&request.url);
    match url.scheme {
        s if s.eq_ignore_ascii_case("http") => {}
        s if s.eq_ignore_ascii_case("https") => {
            return Err(invalid(format!(
                "Unsupported url scheme: {} (TLS is not supported yet)",
                request.url
            )));
        }
        _ => return Err(invalid(format!("Unsupported url scheme: {}", request.url))),
    }
    let host = url.hostname();
    if host.is_empty() {
        return Err(invalid(format!("No host in URL: {}", request.url)));
    }
    let port = match url.port() {
        Some(port) => port,
        None => {
            let netloc = url.host_port();
            let after_host = netloc
                .strip_prefix('[')
                .map_or(netloc, |n| n.split_once(']').map_or("", |(_, r)| r));
            if after_host.contains(':') && !after_host.ends_with(':') {
                return Err(invalid(format!("Invalid port in URL: {}", request.url)));
            }
            80
        }
    };
    let method = request.method.as_str();
    if !is_token(method.as_bytes()) {
        return Err(invalid(format!("Invalid method {method:?}")));
    }
    if !SUPPORTED_METHODS.contains(&method) && !request.allow_nonstandard_methods {
        return Err(invalid(format!("unknown method {method}")));
    }
    if !request.allow_nonstandard_methods {
        let body_expected = matches!(method, "POST" | "PATCH" | "PUT");
        let body_present = request.body.is_some();
        if body_expected != body_present {
            return Err(invalid(format!(
                "Body must {}be None for method {method} (unless allow_nonstandard_methods is true)",
                if body_expected { "not " } else { "" }
            )));
        }
    }
    let path = if url.path.is_empty() { "/" } else { url.path };
    let query = url.query.filter(|q| !q.is_empty());
    if path
        .bytes()
        .chain(query.unwrap_or("").bytes())
        .any(|b| b <= 0x20 || b == 0x7f)
    {
        return Err(invalid(format!("Invalid characters in URL: {:?}", request.url)));
    }
    let body_len = request.body.as_ref().map_or(0, Vec::len);
    let mut head = Vec::with_capacity(256 + body_len);
    head.extend_from_slice(method.as_bytes());
    head.push(b' ');
    head.extend_from_slice(path.as_bytes());
    if let Some(query) = query {
        head.push(b'?');
        head.extend_from_slice(query.as_bytes());
    }
    head.extend_from_slice(b" HTTP/1.1\r\n");
    let headers = &request.headers;
    let mut line = |name: &str, value: &str| -> Result<(), HTTPClientError> {
        if !is_token(name.as_bytes()) || !is_field_value(value.as_bytes()) || value.contains(['\r', '\n']) {
            return Err(invalid(format!(
                "Illegal characters in header {name:?}: {value:?}"
            )));
        }
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
        Ok(())
    };
    if !headers.contains("Host") {
        line("Host", url.host_port())?;
    }
    let credentials = match url.userinfo() {
        Some(userinfo) => {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            Some((
                String::from_utf8_lossy(&crate::httputil::url_unescape(user, false)).into_owned(),
                String::from_utf8_lossy(&crate::httputil::url_unescape(password, false)).into_owned(),
            ))
        }
        None => request
            .auth_username
            .as_ref()
            .map(|u| (u.clone(), request.auth_password.clone().unwrap_or_default())),
    };
    if let Some((user, password)) = credentials {
        line(
            "Authorization",
            &format!("Basic {}", base64(format!("{user}:{password}").as_bytes())),
        )?;
    }
    match &request.user_agent {
        Some(agent) => line("User-Agent", agent)?,
        None if !headers.contains("User-Agent") => line("User-Agent", "gust/0.1")?,
        None => {}
    }
    if request.expect_100_continue && request.body.is_some() {
        line("Expect", "100-continue")?;
    }
    if let Some(body) = &request.body {
        line("Content-Length", &body.len().to_string())?;
    }
    if method == "POST" && !headers.contains("Content-Type") {
        line("Content-Type", "application/x-www-form-urlencoded")?;
    }
    for (name, value) in headers.get_all() {
        if request.body.is_some() && name.eq_ignore_ascii_case("Content-Length") {
            continue;
        }
        if (request.user_agent.is_some() && name.eq_ignore_ascii_case("User-Agent"))
            || (request.expect_100_continue && name.eq_ignore_ascii_case("Expect"))
        {
            continue;
        }
        line(name, value)?;
    }
    head.extend_from_slice(b"\r\n");
    let head_len = head.len();
    if let Some(body) = &request.body {
        head.extend_from_slice(body);
    }
    Ok(Prepared {
        key: (pool_host(host), port),
        wire: Rc::from(head),
        head_len,
    })
}

/// The host part of a pool key: lower case, shared by the fetch and the
/// pool without a copy each.
fn pool_host(host: &str) -> Rc<str> {
    if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Rc::from(host.to_ascii_lowercase())
    } else {
        Rc::from(host)
    }
}

/// A request ready to send: where to, and its bytes.
struct Prepared {
    key: PoolKey,
    /// The head, then the body.
    wire: Rc<[u8]>,
    head_len: usize,
}

/// A range of a shared buffer, written without copying it.
struct Part(Rc<[u8]>, std::ops::Range<usize>);

impl AsRef<[u8]> for Part {
    fn as_ref(&self) -> &[u8] {
        &self.0[self.1.clone()]
    }
}

/// Standard base64 with padding (for Basic authentication).
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(ALPHABET[(n >> 18) as usize & 63] as char);
        out.push(ALPHABET[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            ALPHABET[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            ALPHABET[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_padding() {
        assert_eq!(base64(b"Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(base64(b""), "");
    }
}
