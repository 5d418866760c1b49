//! The HTTP/1.x message parser of the client and the server (the parsing
//! half of Tornado's `tornado.http1connection`), on bytes only: no
//! sockets, so it can be tested and fuzzed alone.
//!
//! * [`parse_request_head`] and [`parse_response_head`] parse a head with
//!   `httparse` and check it as RFC 9112 asks (Host, Content-Length,
//!   Transfer-Encoding), deciding how the body is framed
//!   ([`BodyFraming`]).
//! * [`BodyDecoder`] reads a body of that framing from successive pieces of
//!   input: a fixed length, chunked coding (chunk extensions ignored,
//!   trailer fields accepted and dropped), or everything until the
//!   connection closes.
//!
//! ```
//! use gust_http::http1connection::{parse_request_head, BodyDecoder, BodyFraming, ServerLimits};
//!
//! let wire = b"POST /upload HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n\
//!              5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n";
//! let (head, used) = parse_request_head(wire, &ServerLimits::default()).unwrap().unwrap();
//! assert_eq!(head.start_line.path, "/upload");
//! assert_eq!(head.framing, BodyFraming::Chunked);
//! let mut decoder = BodyDecoder::new(head.framing, 1 << 20);
//! let mut body = Vec::new();
//! let consumed = decoder.decode(&wire[used..], &mut body).unwrap();
//! assert_eq!(consumed, wire.len() - used);
//! assert!(decoder.is_done());
//! assert_eq!(body, b"hello");
//! ```

mod body;
mod head;

pub use body::{BodyDecoder, ChunkedDecoder};
pub use head::{
    BodyFraming, MAX_HEADERS, RequestHead, ResponseHead, ServerLimits, parse_request_head,
    parse_response_head, response_framing,
};
