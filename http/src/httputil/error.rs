//! The errors of HTTP parsing and writing (Tornado's `HTTPInputError` and
//! `HTTPOutputError`).

use thiserror::Error;

/// A malformed HTTP message was received (Tornado's
/// `httputil.HTTPInputError`): a bad start line, a header that is not
/// allowed, a body whose framing is invalid or too large, ...
///
/// [`status`](HTTPInputError::status) is the status a server answers the
/// message with: 400 (Bad Request) for malformed input, 413 (Content Too
/// Large) for a body over the limit, 431 (Request Header Fields Too Large)
/// for a head over the limit.
///
/// ```
/// use gust::httputil::HTTPInputError;
///
/// let e = HTTPInputError::new("Malformed HTTP request line");
/// assert_eq!(e.to_string(), "Malformed HTTP request line");
/// assert_eq!(e.status, 400);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct HTTPInputError {
    /// What is wrong, in Tornado's words where Tornado has them.
    pub message: String,
    /// The status a server answers with (400, 413 or 431).
    pub status: u16,
}

impl HTTPInputError {
    /// A malformed message (status 400).
    pub fn new(message: impl Into<String>) -> HTTPInputError {
        HTTPInputError {
            message: message.into(),
            status: 400,
        }
    }

    /// A message over a size limit: `status` is 413 (body) or 431 (head).
    pub fn too_large(message: impl Into<String>, status: u16) -> HTTPInputError {
        HTTPInputError {
            message: message.into(),
            status,
        }
    }
}

/// A response (or request) could not be written as asked (Tornado's
/// `httputil.HTTPOutputError`): more or less data than its
/// `Content-Length`, a write after `finish`, a header with a line break.
///
/// ```
/// use gust::httputil::HTTPOutputError;
///
/// let e = HTTPOutputError::new("Tried to write more data than Content-Length");
/// assert_eq!(e.to_string(), "Tried to write more data than Content-Length");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct HTTPOutputError {
    /// What went wrong.
    pub message: String,
}

impl HTTPOutputError {
    /// An output error with this message.
    pub fn new(message: impl Into<String>) -> HTTPOutputError {
        HTTPOutputError {
            message: message.into(),
        }
    }
}
