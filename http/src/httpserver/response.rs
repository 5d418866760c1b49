//! [`ResponseWriter`]: how a request callback answers.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use gust_yieldables::{Error, Future};

use super::connection::ServerConn;
use crate::httputil::{HTTPHeaders, HTTPOutputError, now_http_date, reason_phrase};

/// The response to one request: status, headers and body, sent through the
/// request's connection (the output half of Tornado's `RequestHandler`:
/// `set_status`, `set_header`, `write`, `flush`, `finish`).
///
/// A cheap handle (clones share one response), so a coroutine can own
/// one. Output is buffered until [`flush`](ResponseWriter::flush) or
/// [`finish`](ResponseWriter::finish):
///
/// * `finish` without an earlier flush sends everything at once, with a
///   `Content-Length` (unless one was set);
/// * `flush` sends the headers and what was written so far. With no
///   `Content-Length` set, an HTTP/1.1 response is then sent with chunked
///   coding (each flush one chunk); an HTTP/1.0 client gets the body
///   unframed and the connection closes after it.
///
/// Unless set, `Content-Type: text/html; charset=UTF-8`, `Date` and
/// `Server` are sent, as `RequestHandler` sends them. Responses to HEAD,
/// and 1xx, 204 and 304 responses, carry no body bytes.
///
/// ```
/// use gust::httpserver::{HTTPServer, ResponseWriter};
/// use gust::httputil::HTTPServerRequest;
///
/// let server = HTTPServer::new(|request: HTTPServerRequest, response: ResponseWriter| {
///     response.set_header("Content-Type", "text/plain");
///     response.write(format!("You requested {}\n", request.path));
///     // Returning finishes the response.
/// });
/// # drop(server);
/// ```
#[derive(Clone)]
pub struct ResponseWriter {
    state: Rc<RefCell<WriterState>>,
}

struct WriterState {
    conn: Option<Rc<ServerConn>>,
    status: u16,
    reason: Option<String>,
    headers: HTTPHeaders,
    buffer: Vec<u8>,
    headers_sent: bool,
    finished: bool,
    chunking: bool,
    /// Body bytes still owed to a declared Content-Length.
    remaining: Option<u64>,
    /// The connection must close after this response.
    close_after: bool,
    /// Facts about the request.
    head_request: bool,
    http10: bool,
    keep_alive: bool,
}

impl ResponseWriter {
    pub(crate) fn new(
        conn: Rc<ServerConn>,
        head_request: bool,
        http10: bool,
        keep_alive: bool,
    ) -> ResponseWriter {
        ResponseWriter {
            state: Rc::new(RefCell::new(WriterState {
                conn: Some(conn),
                status: 200,
                reason: None,
                headers: HTTPHeaders::new(),
                buffer: Vec::new(),
                headers_sent: false,
                finished: false,
                chunking: false,
                remaining: None,
                close_after: !keep_alive,
                head_request,
                http10,
                keep_alive,
            })),
        }
    }

    /// Sets the status code (default 200), with its standard reason.
    pub fn set_status(&self, code: u16) {
        let mut state = self.state.borrow_mut();
        state.status = code;
        state.reason = None;
    }

    /// Sets the status code and its reason phrase.
    pub fn set_status_with_reason(&self, code: u16, reason: &str) {
        let mut state = self.state.borrow_mut();
        state.status = code;
        state.reason = Some(reason.replace(['\r', '\n'], " "));
    }

    /// The status code.
    pub fn get_status(&self) -> u16 {
        self.state.borrow().status
    }

    /// Sets a header, replacing any value it had. Line breaks in the value
    /// are replaced by spaces (a header cannot be split or injected).
    /// Ignored once the headers are sent.
    pub fn set_header(&self, name: &str, value: impl fmt::Display) {
        self.state.borrow_mut().headers.set(name, clean(value));
    }

    /// Adds a value for a header (for headers such as `Set-Cookie` that
    /// may appear several times).
    pub fn add_header(&self, name: &str, value: impl fmt::Display) {
        self.state.borrow_mut().headers.add(name, clean(value));
    }

    /// Removes a header.
    pub fn clear_header(&self, name: &str) {
        self.state.borrow_mut().headers.remove(name);
    }

    /// Appends `chunk` to the body; it is sent by the next `flush` or by
    /// `finish`. A write after `finish` is dropped and logged (Tornado
    /// raises `Cannot write() after finish()`).
    pub fn write(&self, chunk: impl AsRef<[u8]>) {
        let mut state = self.state.borrow_mut();
        if state.finished {
            gust_ioloop::gust_log!(target: gust_ioloop::APP_LOG, log::Level::Error, "Cannot write() after finish()");
            return;
        }
        state.buffer.extend_from_slice(chunk.as_ref());
    }

    /// Sends the headers (the first time) and everything written so far.
    /// The future resolves once the data is handed to the operating
    /// system, or fails with a `StreamClosedError` if the client is gone,
    /// or an [`HTTPOutputError`] (after `finish`, or more data than the
    /// `Content-Length` set).
    pub fn flush(&self) -> Future<()> {
        let mut state = self.state.borrow_mut();
        if state.finished {
            return Future::failed(HTTPOutputError::new("Cannot flush() after finish()"));
        }
        match state.output(false) {
            Ok(data) => state.send(data),
            Err(e) => Future::failed(e),
        }
    }

    /// Finishes the response: sends what is left (all of it with a
    /// `Content-Length` if nothing was flushed) and lets the connection go
    /// on to the next request. Finishing twice fails with an
    /// [`HTTPOutputError`]; so does a body shorter than a `Content-Length`
    /// set (the connection is then closed).
    pub fn finish(&self) -> Future<()> {
        let mut state = self.state.borrow_mut();
        if state.finished {
            return Future::failed(HTTPOutputError::new("finish() called twice"));
        }
        let result = state.output(true);
        state.finished = true;
        let sent = match result {
            Ok(data) => state.send(data),
            Err(e) => {
                if let Some(conn) = &state.conn {
                    conn.stream().close();
                }
                Future::failed(e)
            }
        };
        let conn = state.conn.take();
        let close_after = state.close_after;
        drop(state);
        if let Some(conn) = conn {
            conn.response_finished(&sent, close_after);
        }
        sent
    }

    /// Whether [`finish`](Self::finish) was called.
    pub fn is_finished(&self) -> bool {
        self.state.borrow().finished
    }

    /// Whether the headers have been sent (by a flush).
    pub fn headers_sent(&self) -> bool {
        self.state.borrow().headers_sent
    }

    /// Answers with an error page for `code` and finishes (Tornado's
    /// `send_error`). If the headers were already sent, the response cannot
    /// change: the connection is closed instead.
    pub fn send_error(&self, code: u16) -> Future<()> {
        self.send_error_with(code, None)
    }

    /// [`send_error`](Self::send_error) with one extra header.
    pub(crate) fn send_error_with(&self, code: u16, header: Option<(&str, String)>) -> Future<()> {
        let sent = {
            let state = self.state.borrow_mut();
            if state.finished {
                return Future::failed(HTTPOutputError::new("finish() called twice"));
            }
            state.headers_sent
        };
        if sent {
            let conn = {
                let mut state = self.state.borrow_mut();
                state.finished = true;
                state.conn.take()
            };
            if let Some(conn) = conn {
                conn.stream().close();
                conn.response_finished(&Future::ready(()), true);
            }
            return Future::ready(());
        }
        {
            let mut state = self.state.borrow_mut();
            state.buffer.clear();
            state.headers = HTTPHeaders::new();
            if let Some((name, value)) = header {
                state.headers.set(name, value);
            }
            state.status = code;
            state.reason = None;
            let reason = reason_phrase(code);
            let page = format!("<html><title>{code}: {reason}</title><body>{code}: {reason}</body></html>");
            state.buffer.extend_from_slice(page.as_bytes());
        }
        self.finish()
    }

    /// After the request callback's work is over: finish an unfinished
    /// response, or answer 500 for a failure.
    pub(crate) fn handler_done(&self, outcome: Result<(), Error>, summary: &dyn std::fmt::Display) {
        match outcome {
            Ok(()) => {
                if !self.is_finished() {
                    drop(self.finish());
                }
            }
            Err(e) => {
                gust_ioloop::gust_log!(target: gust_ioloop::APP_LOG, log::Level::Error, "Uncaught exception {summary}: {e}");
                if !self.is_finished() {
                    drop(self.send_error(500));
                }
            }
        }
    }
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn clean(value: impl fmt::Display) -> String {
    let mut s = value.to_string();
    if s.contains(['\r', '\n']) {
        s = s.replace(['\r', '\n'], " ");
    }
    s
}

impl WriterState {
    fn body_allowed(&self) -> bool {
        !(self.status == 204 || self.status == 304 || (100..200).contains(&self.status))
    }

    /// The bytes to send for a flush (`last`: a finish).
    fn output(&mut self, last: bool) -> Result<Vec<u8>, HTTPOutputError> {
        let mut out = Vec::new();
        let mut body = std::mem::take(&mut self.buffer);
        if !self.head_request && !self.body_allowed() && !body.is_empty() {
            return Err(HTTPOutputError::new(format!(
                "Cannot send a body with a {} response",
                self.status
            )));
        }
        if !self.headers_sent {
            self.headers_sent = true;
            let has_length = self.headers.contains("Content-Length");
            if last && !has_length && self.body_allowed() {
                out.reserve(192 + body.len());
                self.write_head(&mut out, Some(body.len()));
            } else {
                self.chunking = !self.http10 && !self.head_request && self.body_allowed() && !has_length;
                if !self.chunking && !has_length && !self.head_request && self.body_allowed() {
                    // Framed by closing the connection.
                    self.close_after = true;
                }
                out.reserve(192 + body.len());
                self.write_head(&mut out, None);
            }
            if let Some(length) = self.headers.get_first("Content-Length") {
                self.remaining = length.trim().parse().ok();
            }
            if self.head_request || !self.body_allowed() {
                self.remaining = None;
                body.clear();
            }
        } else if self.head_request {
            body.clear();
        }
        if let Some(remaining) = &mut self.remaining {
            if body.len() as u64 > *remaining {
                return Err(HTTPOutputError::new(
                    "Tried to write more data than Content-Length",
                ));
            }
            *remaining -= body.len() as u64;
            if last && *remaining != 0 {
                return Err(HTTPOutputError::new(format!(
                    "Tried to write {remaining} bytes less than Content-Length"
                )));
            }
        }
        if self.chunking {
            if !body.is_empty() {
                out.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
                out.extend_from_slice(&body);
                out.extend_from_slice(b"\r\n");
            }
            if last {
                out.extend_from_slice(b"0\r\n\r\n");
            }
        } else if out.is_empty() {
            return Ok(body);
        } else {
            out.extend_from_slice(&body);
        }
        Ok(out)
    }

    fn write_head(&self, out: &mut Vec<u8>, content_length: Option<usize>) {
        out.extend_from_slice(b"HTTP/1.1 ");
        push_decimal(out, u64::from(self.status));
        out.push(b' ');
        out.extend_from_slice(
            self.reason
                .as_deref()
                .unwrap_or(reason_phrase(self.status))
                .as_bytes(),
        );
        out.extend_from_slice(b"\r\n");
        if !self.headers.contains("Date") {
            out.extend_from_slice(b"Date: ");
            now_http_date(out);
            out.extend_from_slice(b"\r\n");
        }
        if !self.headers.contains("Server") {
            out.extend_from_slice(b"Server: gust/0.1\r\n");
        }
        if self.body_allowed() && !self.headers.contains("Content-Type") {
            out.extend_from_slice(b"Content-Type: text/html; charset=UTF-8\r\n");
        }
        self.headers.write_to(out);
        if let Some(n) = content_length {
            out.extend_from_slice(b"Content-Length: ");
            push_decimal(out, n as u64);
            out.extend_from_slice(b"\r\n");
        }
        if self.chunking {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
        }
        if self.close_after && !self.http10 && !self.headers.contains("Connection") {
            out.extend_from_slice(b"Connection: close\r\n");
        } else if self.http10 && self.keep_alive && !self.close_after {
            out.extend_from_slice(b"Connection: Keep-Alive\r\n");
        }
        out.extend_from_slice(b"\r\n");
    }

    fn send(&mut self, data: Vec<u8>) -> Future<()> {
        let Some(conn) = &self.conn else {
            return Future::ready(());
        };
        if data.is_empty() {
            return Future::ready(());
        }
        let future = conn.stream().write(data);
        if future.done() {
            // Mark a failure as seen: a write nobody waits for must not log
            // "never retrieved" (Tornado does the same).
            let _ = future.exception();
        }
        future
    }
}

impl fmt::Debug for ResponseWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("ResponseWriter")
            .field("status", &state.status)
            .field("headers_sent", &state.headers_sent)
            .field("finished", &state.finished)
            .finish()
    }
}
