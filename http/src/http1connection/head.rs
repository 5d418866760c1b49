//! Message heads: the start line, the header fields, and how the body is
//! framed.

use crate::httputil::{
    HTTPHeaders, HTTPInputError, RequestStartLine, ResponseStartLine, split_absolute_form,
};

/// The most header fields a head may have (a head over it is answered 431,
/// as one over `max_header_size` is). Tornado has no count limit; hyper's
/// default is 100.
pub const MAX_HEADERS: usize = 1000;

/// How a message's body is delimited (RFC 9112 section 6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body at all (a request without Content-Length or
    /// Transfer-Encoding; a response to HEAD; 1xx, 204, 304).
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the connection closes (responses only).
    UntilClose,
}

/// The server's limits on a request (Tornado's
/// `HTTP1ConnectionParameters`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// The most bytes a head may take (default 64 KiB); over it: 431.
    pub max_header_size: usize,
    /// The largest body accepted (default 100 MiB); over it: 413.
    pub max_body_size: u64,
    /// Close every connection after one request.
    pub no_keep_alive: bool,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_header_size: 65_536,
            max_body_size: 104_857_600,
            no_keep_alive: false,
        }
    }
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// Method, target, version.
    pub start_line: RequestStartLine,
    /// The header fields.
    pub headers: HTTPHeaders,
    /// How the body is delimited.
    pub framing: BodyFraming,
    /// Whether the connection may carry another request after this one.
    pub keep_alive: bool,
    /// Whether the client waits for `100 Continue` before sending the body
    /// (`Expect: 100-continue` on HTTP/1.1, compared without case).
    pub expect_continue: bool,
}

/// A parsed response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// Version, code, reason.
    pub start_line: ResponseStartLine,
    /// The header fields (an obsolete line folding replaced by a space).
    pub headers: HTTPHeaders,
}

fn input_error(e: httparse::Error) -> HTTPInputError {
    HTTPInputError::new(match e {
        httparse::Error::HeaderName => "Invalid header name",
        httparse::Error::HeaderValue => "Invalid header value",
        httparse::Error::NewLine => "Invalid line ending",
        httparse::Error::Status => "Error parsing response start line",
        httparse::Error::Token => "Malformed HTTP request line",
        httparse::Error::TooManyHeaders => "Too many header fields",
        httparse::Error::Version => "Unexpected HTTP version",
    })
}

fn head_too_large() -> HTTPInputError {
    HTTPInputError::too_large("Header section too large", 431)
}

/// Bytes as Latin-1 text (what Tornado decodes heads as).
fn latin1(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if bytes.is_ascii() => s.to_owned(),
        _ => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// Parses a request head at the start of `buf` (empty lines before it are
/// skipped, as RFC 9112 section 2.2 allows). `Ok(None)`: the head is not
/// complete yet. `Ok(Some((head, n)))`: the head took the first `n` bytes.
///
/// Errors (with the status to answer): a malformed start line or field, a
/// head over `max_header_size` or [`MAX_HEADERS`] (431), a missing,
/// repeated or invalid Host on HTTP/1.1, a Content-Length that is not a
/// number or differs from another, Content-Length with Transfer-Encoding,
/// a Transfer-Encoding other than `chunked`, a body over `max_body_size`
/// (413).
pub fn parse_request_head(
    buf: &[u8],
    limits: &ServerLimits,
) -> Result<Option<(RequestHead, usize)>, HTTPInputError> {
    let mut slots = [httparse::EMPTY_HEADER; 32];
    let mut more: Vec<httparse::Header<'_>>;
    let mut request = httparse::Request::new(&mut slots);
    let status = match request.parse(buf) {
        Err(httparse::Error::TooManyHeaders) => {
            more = vec![httparse::EMPTY_HEADER; MAX_HEADERS];
            request = httparse::Request::new(&mut more);
            request.parse(buf)
        }
        other => other,
    };
    let used = match status {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            return if buf.len() > limits.max_header_size {
                Err(head_too_large())
            } else {
                Ok(None)
            };
        }
        Err(httparse::Error::TooManyHeaders) => return Err(head_too_large()),
        Err(e) => return Err(input_error(e)),
    };
    if used > limits.max_header_size {
        return Err(head_too_large());
    }
    let method = request.method.unwrap_or_default();
    let path = request.path.unwrap_or_default();
    let version = if request.version == Some(0) {
        "HTTP/1.0"
    } else {
        "HTTP/1.1"
    };
    let mut headers = HTTPHeaders::new();
    for h in request.headers.iter() {
        headers.add(h.name, latin1(h.value));
    }
    let start_line = RequestStartLine {
        method: method.to_owned(),
        path: path.to_owned(),
        version: version.to_owned(),
    };
    let head = check_request(start_line, headers, limits)?;
    Ok(Some((head, used)))
}

fn check_request(
    start_line: RequestStartLine,
    headers: HTTPHeaders,
    limits: &ServerLimits,
) -> Result<RequestHead, HTTPInputError> {
    let http11 = start_line.version == "HTTP/1.1";
    // Host (RFC 9112 section 3.2): exactly one on HTTP/1.1, valid; an
    // absolute-form target's authority takes its place.
    let (authority, _) = split_absolute_form(&start_line.path);
    match headers.get("Host") {
        None if http11 && authority.is_none() => return Err(HTTPInputError::new("Missing Host header")),
        None => {}
        Some(host) => {
            if !is_valid_host(&host) {
                return Err(HTTPInputError::new(format!("Invalid Host header: {host:?}")));
            }
            if host.contains(',') {
                return Err(HTTPInputError::new(format!(
                    "Multiple host headers not allowed: {host:?}"
                )));
            }
        }
    }
    if let Some(authority) = authority {
        if !is_valid_host(authority) || authority.is_empty() {
            return Err(HTTPInputError::new(format!(
                "Invalid request target authority: {authority:?}"
            )));
        }
    }
    if !start_line.path.starts_with('/')
        && authority.is_none()
        && !(start_line.method == "OPTIONS" && start_line.path == "*")
    {
        // Authority-form is for CONNECT, which this server does not proxy.
        return Err(HTTPInputError::new("Malformed HTTP request line"));
    }
    let content_length = content_length(&headers, limits.max_body_size)?;
    let chunked = transfer_encoding_chunked(&headers, content_length.is_some())?;
    let framing = if chunked {
        BodyFraming::Chunked
    } else {
        match content_length {
            Some(0) | None => BodyFraming::Empty,
            Some(n) => BodyFraming::Length(n),
        }
    };
    let keep_alive = !limits.no_keep_alive
        && if http11 {
            !headers.has_token("Connection", "close")
        } else {
            // RFC 9112 section 6.1: an HTTP/1.0 message with
            // Transfer-Encoding has faulty framing; close after it.
            headers.has_token("Connection", "keep-alive") && !headers.contains("Transfer-Encoding")
        };
    let expect_continue = http11
        && framing != BodyFraming::Empty
        && headers
            .get("Expect")
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("100-continue"));
    Ok(RequestHead {
        start_line,
        headers,
        framing,
        keep_alive,
        expect_continue,
    })
}

/// Tornado's `_ABNF.host`: URI host characters and an optional port.
fn is_valid_host(host: &str) -> bool {
    host.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=[]:%".contains(&b))
}

/// The message's Content-Length, checked: digits only, every value equal,
/// within `max_body_size` (413 when over).
fn content_length(headers: &HTTPHeaders, max_body_size: u64) -> Result<Option<u64>, HTTPInputError> {
    let values = headers.get_list("Content-Length");
    if values.is_empty() {
        return Ok(None);
    }
    let mut length: Option<u64> = None;
    for piece in values.iter().flat_map(|v| v.split(',')) {
        let piece = piece.trim_matches([' ', '\t']);
        if piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HTTPInputError::new(format!(
                "Only integer Content-Length is allowed: {}",
                values.join(",")
            )));
        }
        let n: u64 = piece
            .parse()
            .map_err(|_| HTTPInputError::too_large("Content-Length too long", 413))?;
        match length {
            Some(previous) if previous != n => {
                return Err(HTTPInputError::new(format!(
                    "Multiple unequal Content-Lengths: {:?}",
                    values.join(",")
                )));
            }
            _ => length = Some(n),
        }
    }
    if let Some(n) = length {
        if n > max_body_size {
            return Err(HTTPInputError::too_large("Content-Length too long", 413));
        }
    }
    Ok(length)
}

/// Whether the body is chunked (Tornado's `is_transfer_encoding_chunked`):
/// a Transfer-Encoding other than exactly `chunked`, or one next to a
/// Content-Length, is an error.
fn transfer_encoding_chunked(headers: &HTTPHeaders, has_length: bool) -> Result<bool, HTTPInputError> {
    let Some(te) = headers.get("Transfer-Encoding") else {
        return Ok(false);
    };
    if has_length {
        return Err(HTTPInputError::new(
            "Message with both Transfer-Encoding and Content-Length",
        ));
    }
    if te.trim_matches([' ', '\t']).eq_ignore_ascii_case("chunked") {
        Ok(true)
    } else {
        Err(HTTPInputError::new(format!("Unsupported Transfer-Encoding {te}")))
    }
}

/// Parses a response head at the start of `buf`, as
/// [`parse_request_head`] does a request's. An obsolete line folding in a
/// field value is replaced by one space (RFC 9112 section 5.2); white
/// space between a field name and its colon is tolerated.
pub fn parse_response_head(
    buf: &[u8],
    max_header_size: usize,
) -> Result<Option<(ResponseHead, usize)>, HTTPInputError> {
    let mut config = httparse::ParserConfig::default();
    config
        .allow_obsolete_multiline_headers_in_responses(true)
        .allow_spaces_after_header_name_in_responses(true)
        .allow_multiple_spaces_in_response_status_delimiters(true);
    let mut slots = [httparse::EMPTY_HEADER; 32];
    let mut more: Vec<httparse::Header<'_>>;
    let mut response = httparse::Response::new(&mut slots);
    let status = match config.parse_response(&mut response, buf) {
        Err(httparse::Error::TooManyHeaders) => {
            more = vec![httparse::EMPTY_HEADER; MAX_HEADERS];
            response = httparse::Response::new(&mut more);
            config.parse_response(&mut response, buf)
        }
        other => other,
    };
    let used = match status {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            return if buf.len() > max_header_size {
                Err(head_too_large())
            } else {
                Ok(None)
            };
        }
        Err(httparse::Error::TooManyHeaders) => return Err(head_too_large()),
        Err(e) => return Err(input_error(e)),
    };
    if used > max_header_size {
        return Err(head_too_large());
    }
    let mut headers = HTTPHeaders::new();
    for h in response.headers.iter() {
        let value = if h.value.contains(&b'\n') {
            unfold(h.value)
        } else {
            latin1(h.value)
        };
        headers.add(h.name, value);
    }
    let start_line = ResponseStartLine {
        version: if response.version == Some(0) {
            "HTTP/1.0".to_owned()
        } else {
            "HTTP/1.1".to_owned()
        },
        code: response.code.unwrap_or_default(),
        reason: response.reason.unwrap_or_default().to_owned(),
    };
    Ok(Some((ResponseHead { start_line, headers }, used)))
}

/// Replaces each obsolete line folding (a line break followed by spaces or
/// tabs) with one space.
fn unfold(value: &[u8]) -> String {
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        let b = value[i];
        if b == b'\r' || b == b'\n' {
            while i < value.len() && matches!(value[i], b'\r' | b'\n' | b' ' | b'\t') {
                i += 1;
            }
            while out.ends_with([' ', '\t']) {
                out.pop();
            }
            out.push(' ');
        } else {
            out.push(b as char);
            i += 1;
        }
    }
    out
}

/// How a response's body is framed (RFC 9112 section 6.3), given the
/// request's method.
///
/// Errors (Tornado's): a 1xx response with a Content-Length or
/// Transfer-Encoding; a 204 with a body; Content-Length with
/// Transfer-Encoding; a Transfer-Encoding other than `chunked`; a bad or
/// too large Content-Length.
pub fn response_framing(
    method: &str,
    head: &ResponseHead,
    max_body_size: u64,
) -> Result<BodyFraming, HTTPInputError> {
    let code = head.start_line.code;
    let headers = &head.headers;
    if (100..200).contains(&code) {
        if headers.contains("Content-Length") || headers.contains("Transfer-Encoding") {
            return Err(HTTPInputError::new(format!(
                "Response code {code} cannot have body"
            )));
        }
        return Ok(BodyFraming::Empty);
    }
    let content_length = content_length(headers, max_body_size)?;
    let chunked = transfer_encoding_chunked(headers, content_length.is_some())?;
    if code == 204 {
        if chunked || content_length.is_some_and(|n| n != 0) {
            return Err(HTTPInputError::new(format!(
                "Response with code {code} should not have body"
            )));
        }
        return Ok(BodyFraming::Empty);
    }
    if method == "HEAD" || code == 304 {
        return Ok(BodyFraming::Empty);
    }
    Ok(if chunked {
        BodyFraming::Chunked
    } else {
        match content_length {
            Some(0) => BodyFraming::Empty,
            Some(n) => BodyFraming::Length(n),
            None => BodyFraming::UntilClose,
        }
    })
}
