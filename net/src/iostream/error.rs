//! The errors of streams, servers and clients, as Tornado raises them.

use std::error::Error as StdError;
use std::fmt;
use std::io;

use gust_yieldables::Error;
use thiserror::Error as ThisError;

/// The stream is closed (Tornado's `iostream.StreamClosedError`).
///
/// Every read, write or connect still pending when a stream closes fails
/// with this error, and so does any operation started on a closed stream
/// that its buffered data cannot satisfy. [`real_error`](Self::real_error)
/// is what closed it, if anything did besides a normal close: the peer
/// resetting the connection (an `io::Error` of kind `ConnectionReset`), a
/// refused connect (`ConnectionRefused`), an [`UnsatisfiableReadError`], a
/// [`StreamBufferFullError`], ... The same error is the `source()` of this
/// one.
///
/// ```
/// use std::io;
/// use gust::iostream::StreamClosedError;
///
/// let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
/// let err = StreamClosedError::new(Some(refused.into()));
/// assert_eq!(err.to_string(), "Stream is closed");
/// assert_eq!(err.real_io_error_kind(), Some(io::ErrorKind::ConnectionRefused));
/// ```
#[derive(Clone)]
pub struct StreamClosedError {
    /// Why the stream closed, if it closed because of an error.
    pub real_error: Option<Error>,
}

impl StreamClosedError {
    /// A closed-stream error with this cause.
    pub fn new(real_error: Option<Error>) -> StreamClosedError {
        StreamClosedError { real_error }
    }

    /// The kind of the real error, if it is an `io::Error`.
    pub fn real_io_error_kind(&self) -> Option<io::ErrorKind> {
        self.real_error
            .as_ref()
            .and_then(|e| e.downcast_ref::<io::Error>())
            .map(io::Error::kind)
    }
}

impl fmt::Display for StreamClosedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Stream is closed")
    }
}

impl fmt::Debug for StreamClosedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.real_error {
            Some(e) => write!(f, "StreamClosedError(real_error: {e})"),
            None => f.write_str("StreamClosedError"),
        }
    }
}

impl StdError for StreamClosedError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.real_error
            .as_ref()
            .map(|e| e.as_std() as &(dyn StdError + 'static))
    }
}

/// A `read_until` could not be satisfied within its `max_bytes`
/// (Tornado's `iostream.UnsatisfiableReadError`). The stream is closed with
/// this as its [`error`](crate::iostream::IOStream::error); the pending read
/// fails with a [`StreamClosedError`] carrying it.
#[derive(Debug, Clone, PartialEq, Eq, ThisError)]
#[error("{message}")]
pub struct UnsatisfiableReadError {
    /// Tornado's message: `delimiter b'\r\n' not found within 64 bytes`.
    pub message: String,
}

/// A buffer reached its limit (Tornado's `iostream.StreamBufferFullError`):
/// `Reached maximum read buffer size` (the stream closes) or `Reached
/// maximum write buffer size` (the write is refused).
#[derive(Debug, Clone, PartialEq, Eq, ThisError)]
#[error("{message}")]
pub struct StreamBufferFullError {
    /// Which buffer.
    pub message: &'static str,
}

/// A read was started while another read on the same stream was still
/// pending (Tornado asserts `Already reading`). The stream is unaffected;
/// the first read goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ThisError)]
#[error("Already reading")]
pub struct AlreadyReadingError;

/// Python's `repr()` of a bytes object (`b'\r\n'`), for Tornado's messages.
pub(crate) fn bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(bytes.len() + 3);
    out.push('b');
    out.push(quote);
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ if b as char == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push(quote);
    out
}

/// Whether an I/O error means the peer dropped the connection (Tornado's
/// `_ERRNO_CONNRESET`): such errors close a stream without a log line.
pub(crate) fn is_connreset(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_repr_is_pythons() {
        assert_eq!(bytes_repr(b"\r\n"), "b'\\r\\n'");
        assert_eq!(bytes_repr(b"def"), "b'def'");
        assert_eq!(bytes_repr(b"it's"), "b\"it's\"");
        assert_eq!(bytes_repr(&[0, 255]), "b'\\x00\\xff'");
    }
}
