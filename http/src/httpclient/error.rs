//! [`HTTPClientError`]: why a fetch failed.

use std::fmt;

use gust_yieldables::Error;

use super::response::HTTPResponse;
use crate::httputil::reason_phrase;

/// What kind of failure an [`HTTPClientError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientErrorKind {
    /// The server answered with a status that is not 2xx (the error's code).
    Status,
    /// A timeout (code 599): `Timeout while connecting`, `Timeout during
    /// request` or `Timeout in request queue` (Tornado's
    /// `HTTPTimeoutError`).
    Timeout,
    /// The connection closed before the response was complete (code 599,
    /// Tornado's `HTTPStreamClosedError`): `Stream closed`, or the
    /// reason (a reset) as the error's source.
    StreamClosed,
    /// No connection could be made (code 599): refused, unreachable,
    /// unknown host; the cause is the error's source.
    Connection,
    /// The response was not valid HTTP (code 599), or its body was
    /// truncated.
    Malformed,
    /// The request could not be sent as given (code 599): an unsupported
    /// scheme, a body where none is allowed, a closed client.
    InvalidRequest,
}

/// A fetch failed (Tornado's `HTTPClientError`, also named `HTTPError`).
///
/// `code` is the HTTP status for a response that is not 2xx (`response`
/// then holds it, when `fetch` raised it), or 599 when no usable response
/// arrived. Displayed as Tornado does: `HTTP 404: Not Found`; a timeout
/// as its message alone (`Timeout during request`, Tornado's
/// `HTTPTimeoutError`).
///
/// ```
/// use gust::httpclient::{ClientErrorKind, HTTPClientError};
///
/// let e = HTTPClientError::new(404, None);
/// assert_eq!(e.to_string(), "HTTP 404: Not Found");
/// assert_eq!(e.kind, ClientErrorKind::Status);
/// let t = HTTPClientError::timeout("Timeout during request");
/// assert_eq!((t.code, t.to_string().as_str()), (599, "Timeout during request"));
/// ```
#[derive(Clone)]
pub struct HTTPClientError {
    /// The status code, or 599.
    pub code: u16,
    /// The reason phrase, or what went wrong.
    pub message: String,
    /// The response, for a status error raised by `fetch`.
    pub response: Option<Box<HTTPResponse>>,
    /// What kind of failure it is.
    pub kind: ClientErrorKind,
    source: Option<Error>,
}

/// Tornado's other name for [`HTTPClientError`].
pub type HTTPError = HTTPClientError;

impl HTTPClientError {
    /// An error for status `code`, with `message` or the code's reason
    /// phrase (Tornado's `HTTPClientError(code, message)`). A 599 is of
    /// kind `StreamClosed`; any other of kind `Status`.
    pub fn new(code: u16, message: Option<&str>) -> HTTPClientError {
        HTTPClientError {
            code,
            message: message.map_or_else(|| reason_phrase(code).to_owned(), str::to_owned),
            response: None,
            kind: if code == 599 {
                ClientErrorKind::StreamClosed
            } else {
                ClientErrorKind::Status
            },
            source: None,
        }
    }

    pub(crate) fn status(code: u16, reason: &str) -> HTTPClientError {
        let mut e = HTTPClientError::new(code, if reason.is_empty() { None } else { Some(reason) });
        e.kind = ClientErrorKind::Status;
        e
    }

    /// A timeout (code 599).
    pub fn timeout(message: &str) -> HTTPClientError {
        HTTPClientError::other(ClientErrorKind::Timeout, message.to_owned(), None)
    }

    pub(crate) fn other(kind: ClientErrorKind, message: String, source: Option<Error>) -> HTTPClientError {
        HTTPClientError {
            code: 599,
            message,
            response: None,
            kind,
            source,
        }
    }

    /// The underlying error (an `io::Error` for a refused or reset
    /// connection, an `HTTPInputError` for a malformed response), if any.
    pub fn cause(&self) -> Option<&Error> {
        self.source.as_ref()
    }
}

impl fmt::Display for HTTPClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == ClientErrorKind::Timeout {
            f.write_str(&self.message)
        } else {
            write!(f, "HTTP {}: {}", self.code, self.message)
        }
    }
}

impl fmt::Debug for HTTPClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTPClientError({self}, {:?})", self.kind)
    }
}

impl std::error::Error for HTTPClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e.as_std() as &(dyn std::error::Error + 'static))
    }
}
