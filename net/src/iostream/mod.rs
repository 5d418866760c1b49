//! Buffered, non-blocking reads and writes that return futures (Tornado's
//! `tornado.iostream`): [`IOStream`] and its errors.
//!
//! An [`IOStream`] runs on a TCP or Unix-domain socket or a pipe end (a
//! [`StreamSocket`]). Its buffers are built for the two costs that matter:
//!
//! * the read buffer is one allocation read into directly; consuming from
//!   it never shifts more than it frees, and a `read_until` search resumes
//!   where the previous one stopped, so a long line costs time linear in
//!   its length;
//! * the write buffer keeps large buffers as they were handed to
//!   [`IOStream::write`] and sends up to 64 of them with one `writev`;
//!   small writes are merged.

mod error;
mod read_buffer;
mod socket;
mod stream;
mod write_buffer;

pub use error::{AlreadyReadingError, StreamBufferFullError, StreamClosedError, UnsatisfiableReadError};
pub use socket::StreamSocket;
pub use stream::{IOStream, StreamOptions, stream_count};
