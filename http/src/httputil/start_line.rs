//! The first line of a request and of a response.

use std::fmt;

use super::error::HTTPInputError;
use super::headers::is_token;

/// A request's first line: method, target and version (Tornado's
/// `RequestStartLine`).
///
/// ```
/// use gust::httputil::parse_request_start_line;
///
/// let line = parse_request_start_line("GET /foo HTTP/1.1").unwrap();
/// assert_eq!((line.method.as_str(), line.path.as_str(), line.version.as_str()), ("GET", "/foo", "HTTP/1.1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestStartLine {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target as sent (`/path?query`, or `http://host/path`).
    pub path: String,
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
}

impl fmt::Display for RequestStartLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.method, self.path, self.version)
    }
}

/// A response's first line: version, status code and reason (Tornado's
/// `ResponseStartLine`).
///
/// ```
/// use gust::httputil::parse_response_start_line;
///
/// let line = parse_response_start_line("HTTP/1.1 200 OK").unwrap();
/// assert_eq!((line.version.as_str(), line.code, line.reason.as_str()), ("HTTP/1.1", 200, "OK"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseStartLine {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// The status code.
    pub code: u16,
    /// The reason phrase (may be empty).
    pub reason: String,
}

impl fmt::Display for ResponseStartLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.version, self.code, self.reason)
    }
}

fn is_http_version(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 8 && v.starts_with("HTTP/") && b[5].is_ascii_digit() && b[6] == b'.' && b[7].is_ascii_digit()
}

/// Parses `METHOD TARGET HTTP/1.x` (Tornado's `parse_request_start_line`).
///
/// Errors: `Malformed HTTP request line` unless it is exactly a token, a
/// space, a target of visible characters, a space and `HTTP/d.d`;
/// `Unexpected HTTP version` for a version other than 1.x.
pub fn parse_request_start_line(line: &str) -> Result<RequestStartLine, HTTPInputError> {
    let malformed = || HTTPInputError::new("Malformed HTTP request line");
    let mut parts = line.split(' ');
    let (Some(method), Some(path), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    if !is_token(method.as_bytes())
        || path.is_empty()
        || !path.bytes().all(|b| b > 0x20 && b != 0x7f)
        || !is_http_version(version)
    {
        return Err(malformed());
    }
    if !version.starts_with("HTTP/1") {
        return Err(HTTPInputError::new(format!(
            "Unexpected HTTP version {version:?}"
        )));
    }
    Ok(RequestStartLine {
        method: method.to_owned(),
        path: path.to_owned(),
        version: version.to_owned(),
    })
}

/// Parses `HTTP/1.x CODE REASON` (Tornado's `parse_response_start_line`).
///
/// Errors: `Error parsing response start line`, or `Unexpected HTTP
/// version` for a version other than 1.x.
pub fn parse_response_start_line(line: &str) -> Result<ResponseStartLine, HTTPInputError> {
    let malformed = || HTTPInputError::new("Error parsing response start line");
    let mut parts = line.splitn(3, ' ');
    let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
        return Err(malformed());
    };
    let reason = parts.next().unwrap_or("");
    if !is_http_version(version)
        || code.len() != 3
        || !code.bytes().all(|b| b.is_ascii_digit())
        || !reason.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
    {
        return Err(malformed());
    }
    if !version.starts_with("HTTP/1") {
        return Err(HTTPInputError::new(format!(
            "Unexpected HTTP version {version:?}"
        )));
    }
    Ok(ResponseStartLine {
        version: version.to_owned(),
        code: code.parse().map_err(|_| malformed())?,
        reason: reason.to_owned(),
    })
}
