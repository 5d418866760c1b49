//! Message bodies: fixed length, chunked, or until the connection closes.

use super::head::BodyFraming;
use crate::httputil::HTTPInputError;

/// The longest chunk-size line accepted (size, extensions and line end).
const MAX_CHUNK_LINE: usize = 4096;
/// The most bytes of trailer fields accepted.
const MAX_TRAILERS: usize = 65_536;

/// Decodes chunked transfer coding (RFC 9112 section 7.1) from successive
/// pieces of input.
///
/// Chunk extensions (`5;name=value`) are ignored; trailer fields are read
/// and dropped. Tornado refuses both; RFC 9112 requires a recipient to
/// ignore unknown extensions and allows trailers. Line ends must be CRLF.
///
/// ```
/// use gust_http::http1connection::ChunkedDecoder;
///
/// let mut decoder = ChunkedDecoder::new(1024);
/// let mut body = Vec::new();
/// // Input may arrive split anywhere.
/// assert_eq!(decoder.decode(b"3\r\nab", &mut body).unwrap(), 5);
/// assert_eq!(decoder.decode(b"c\r\n0\r\n\r\nNEXT", &mut body).unwrap(), 8);
/// assert!(decoder.is_done());
/// assert_eq!(body, b"abc");
/// assert!(ChunkedDecoder::new(1024).decode(b"zz\r\n", &mut body).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    /// Body bytes so far.
    total: u64,
    max_body_size: u64,
    /// Bytes of the current size line, or of the trailers.
    line_len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading hex digits of a chunk size.
    Size {
        value: u64,
        digits: u32,
    },
    /// After the size: optional white space and extensions, up to CR.
    Extension {
        value: u64,
        quoted: bool,
        escaped: bool,
    },
    /// Expecting the LF of a size line.
    SizeLf {
        value: u64,
    },
    /// Reading chunk data.
    Data {
        remaining: u64,
    },
    /// Expecting CR then LF after chunk data.
    DataCr,
    DataLf,
    /// At the start of a trailer line (or the final empty line).
    TrailerStart,
    /// Inside a trailer line.
    TrailerLine,
    /// Expecting the LF of a trailer line (`empty`: of the final line).
    TrailerLf {
        empty: bool,
    },
    Done,
}

impl ChunkedDecoder {
    /// A decoder refusing bodies over `max_body_size` bytes (413).
    pub fn new(max_body_size: u64) -> ChunkedDecoder {
        ChunkedDecoder {
            state: State::Size { value: 0, digits: 0 },
            total: 0,
            max_body_size,
            line_len: 0,
        }
    }

    /// Whether the last chunk and the trailers have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes as much of `input` as it can, appending body bytes to `out`;
    /// returns how many bytes of `input` it used (less than all only once
    /// done: the rest belongs to the next message).
    ///
    /// Errors: `invalid chunk size` (not hex, or too large),
    /// `improperly terminated chunk`, `chunked body too large` (413),
    /// over-long size lines or trailers, control characters in them.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, HTTPInputError> {
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            match self.state {
                State::Done => return Ok(i),
                State::Size { value, digits } => {
                    if let Some(d) = (b as char).to_digit(16) {
                        if digits >= 16 {
                            return Err(bad_size());
                        }
                        self.state = State::Size {
                            value: value * 16 + u64::from(d),
                            digits: digits + 1,
                        };
                    } else if digits == 0 {
                        return Err(bad_size());
                    } else {
                        match b {
                            b'\r' => self.state = State::SizeLf { value },
                            b';' | b' ' | b'\t' => {
                                self.state = State::Extension {
                                    value,
                                    quoted: false,
                                    escaped: false,
                                }
                            }
                            _ => return Err(bad_size()),
                        }
                    }
                    self.count_line(1)?;
                    i += 1;
                }
                State::Extension {
                    value,
                    quoted,
                    escaped,
                } => {
                    if b == b'\n' || (b < 0x20 && b != b'\t' && b != b'\r') || b == 0x7f {
                        return Err(HTTPInputError::new("invalid chunk extension"));
                    }
                    self.state = if escaped {
                        State::Extension {
                            value,
                            quoted,
                            escaped: false,
                        }
                    } else if quoted {
                        State::Extension {
                            value,
                            quoted: b != b'"',
                            escaped: b == b'\\',
                        }
                    } else if b == b'"' {
                        State::Extension {
                            value,
                            quoted: true,
                            escaped: false,
                        }
                    } else if b == b'\r' {
                        State::SizeLf { value }
                    } else {
                        State::Extension {
                            value,
                            quoted: false,
                            escaped: false,
                        }
                    };
                    self.count_line(1)?;
                    i += 1;
                }
                State::SizeLf { value } => {
                    if b != b'\n' {
                        return Err(bad_size());
                    }
                    i += 1;
                    self.line_len = 0;
                    if value == 0 {
                        self.state = State::TrailerStart;
                    } else {
                        self.total = self.total.saturating_add(value);
                        if self.total > self.max_body_size {
                            return Err(HTTPInputError::too_large("chunked body too large", 413));
                        }
                        self.state = State::Data { remaining: value };
                    }
                }
                State::Data { remaining } => {
                    let n = (input.len() - i).min(usize::try_from(remaining).unwrap_or(usize::MAX));
                    out.extend_from_slice(&input[i..i + n]);
                    i += n;
                    let remaining = remaining - n as u64;
                    self.state = if remaining == 0 {
                        State::DataCr
                    } else {
                        State::Data { remaining }
                    };
                }
                State::DataCr => {
                    if b != b'\r' {
                        return Err(bad_end());
                    }
                    self.state = State::DataLf;
                    i += 1;
                }
                State::DataLf => {
                    if b != b'\n' {
                        return Err(bad_end());
                    }
                    self.state = State::Size { value: 0, digits: 0 };
                    i += 1;
                }
                State::TrailerStart => {
                    self.state = if b == b'\r' {
                        State::TrailerLf { empty: true }
                    } else if b == b' ' || b == b'\t' || b == b'\n' || b == b':' {
                        return Err(HTTPInputError::new("invalid trailer field"));
                    } else {
                        State::TrailerLine
                    };
                    self.count_trailer()?;
                    i += 1;
                }
                State::TrailerLine => {
                    if b == b'\r' {
                        self.state = State::TrailerLf { empty: false };
                    } else if b == b'\n' || (b < 0x20 && b != b'\t') || b == 0x7f {
                        return Err(HTTPInputError::new("invalid trailer field"));
                    }
                    self.count_trailer()?;
                    i += 1;
                }
                State::TrailerLf { empty } => {
                    if b != b'\n' {
                        return Err(HTTPInputError::new("invalid trailer field"));
                    }
                    self.state = if empty { State::Done } else { State::TrailerStart };
                    self.count_trailer()?;
                    i += 1;
                }
            }
        }
        Ok(i)
    }

    fn count_line(&mut self, n: usize) -> Result<(), HTTPInputError> {
        self.line_len += n;
        if self.line_len > MAX_CHUNK_LINE {
            return Err(HTTPInputError::new("chunk size line too long"));
        }
        Ok(())
    }

    fn count_trailer(&mut self) -> Result<(), HTTPInputError> {
        self.line_len += 1;
        if self.line_len > MAX_TRAILERS {
            return Err(HTTPInputError::too_large("trailer section too large", 431));
        }
        Ok(())
    }
}

fn bad_size() -> HTTPInputError {
    HTTPInputError::new("invalid chunk size")
}

fn bad_end() -> HTTPInputError {
    HTTPInputError::new("improperly terminated chunk")
}

/// Decodes a body of any [`BodyFraming`] from successive pieces of input.
///
/// ```
/// use gust_http::http1connection::{BodyDecoder, BodyFraming};
///
/// let mut decoder = BodyDecoder::new(BodyFraming::Length(5), 1024);
/// let mut body = Vec::new();
/// assert_eq!(decoder.decode(b"hel", &mut body).unwrap(), 3);
/// assert!(!decoder.is_done());
/// // A connection closing here truncates the body: an error.
/// assert!(decoder.finish_at_eof().is_err());
/// assert_eq!(decoder.decode(b"loGET /", &mut body).unwrap(), 2);
/// assert!(decoder.is_done());
/// assert_eq!(body, b"hello");
/// ```
#[derive(Debug, Clone)]
pub struct BodyDecoder {
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Length { remaining: u64 },
    Chunked(ChunkedDecoder),
    UntilClose { total: u64, max: u64, closed: bool },
}

impl BodyDecoder {
    /// A decoder for a body framed as `framing`, refusing more than
    /// `max_body_size` bytes.
    pub fn new(framing: BodyFraming, max_body_size: u64) -> BodyDecoder {
        BodyDecoder {
            kind: match framing {
                BodyFraming::Empty => Kind::Length { remaining: 0 },
                BodyFraming::Length(n) => Kind::Length { remaining: n },
                BodyFraming::Chunked => Kind::Chunked(ChunkedDecoder::new(max_body_size)),
                BodyFraming::UntilClose => Kind::UntilClose {
                    total: 0,
                    max: max_body_size,
                    closed: false,
                },
            },
        }
    }

    /// Whether the whole body has been read.
    pub fn is_done(&self) -> bool {
        match &self.kind {
            Kind::Length { remaining } => *remaining == 0,
            Kind::Chunked(chunked) => chunked.is_done(),
            Kind::UntilClose { closed, .. } => *closed,
        }
    }

    /// Decodes body bytes from `input` into `out`; returns how many bytes
    /// of `input` belong to the body.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, HTTPInputError> {
        match &mut self.kind {
            Kind::Length { remaining } => {
                let n = input.len().min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                out.extend_from_slice(&input[..n]);
                *remaining -= n as u64;
                Ok(n)
            }
            Kind::Chunked(chunked) => chunked.decode(input, out),
            Kind::UntilClose { total, max, .. } => {
                *total += input.len() as u64;
                if *total > *max {
                    return Err(HTTPInputError::too_large("Body too long", 413));
                }
                out.extend_from_slice(input);
                Ok(input.len())
            }
        }
    }

    /// The connection closed cleanly: ends a body read until close; for
    /// any other framing, an unfinished body is truncated, an error.
    pub fn finish_at_eof(&mut self) -> Result<(), HTTPInputError> {
        if self.is_done() {
            return Ok(());
        }
        match &mut self.kind {
            Kind::UntilClose { closed, .. } => {
                *closed = true;
                Ok(())
            }
            Kind::Length { remaining } => Err(HTTPInputError::new(format!(
                "Connection closed with {remaining} bytes of the body missing"
            ))),
            Kind::Chunked(_) => Err(HTTPInputError::new(
                "Connection closed before the end of the chunked body",
            )),
        }
    }
}
