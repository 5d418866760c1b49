//! [`StreamSocket`]: what an `IOStream` reads and writes.

use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};

use mio::event::Source;
use mio::net::{TcpStream, UnixStream};
use mio::unix::pipe;
use mio::{Interest, Registry, Token};

/// A byte stream an [`IOStream`](crate::iostream::IOStream) can run on: a
/// TCP or Unix-domain socket, or one end of a pipe (Tornado's `IOStream`
/// and `PipeIOStream`). Build one with `From` from a mio or std socket
/// (std sockets are switched to non-blocking mode by
/// [`IOStream::new`](crate::iostream::IOStream::new)) or a mio pipe end.
pub struct StreamSocket {
    pub(crate) kind: Kind,
}

pub(crate) enum Kind {
    Tcp(TcpStream),
    Unix(UnixStream),
    PipeReceiver(pipe::Receiver),
    PipeSender(pipe::Sender),
    StdTcp(std::net::TcpStream),
    StdUnix(std::os::unix::net::UnixStream),
}

impl From<TcpStream> for StreamSocket {
    fn from(s: TcpStream) -> Self {
        StreamSocket { kind: Kind::Tcp(s) }
    }
}

impl From<UnixStream> for StreamSocket {
    fn from(s: UnixStream) -> Self {
        StreamSocket { kind: Kind::Unix(s) }
    }
}

impl From<pipe::Receiver> for StreamSocket {
    fn from(s: pipe::Receiver) -> Self {
        StreamSocket {
            kind: Kind::PipeReceiver(s),
        }
    }
}

impl From<pipe::Sender> for StreamSocket {
    fn from(s: pipe::Sender) -> Self {
        StreamSocket {
            kind: Kind::PipeSender(s),
        }
    }
}

impl From<std::net::TcpStream> for StreamSocket {
    fn from(s: std::net::TcpStream) -> Self {
        StreamSocket {
            kind: Kind::StdTcp(s),
        }
    }
}

impl From<std::os::unix::net::UnixStream> for StreamSocket {
    fn from(s: std::os::unix::net::UnixStream) -> Self {
        StreamSocket {
            kind: Kind::StdUnix(s),
        }
    }
}

impl std::fmt::Debug for StreamSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.kind {
            Kind::Tcp(_) | Kind::StdTcp(_) => "tcp",
            Kind::Unix(_) | Kind::StdUnix(_) => "unix",
            Kind::PipeReceiver(_) => "pipe reader",
            Kind::PipeSender(_) => "pipe writer",
        };
        write!(f, "StreamSocket({name}, fd {})", self.as_raw_fd())
    }
}

impl StreamSocket {
    /// Switches a std socket to non-blocking mode and to its mio type.
    pub(crate) fn into_nonblocking(self) -> io::Result<StreamSocket> {
        Ok(match self.kind {
            Kind::StdTcp(s) => {
                s.set_nonblocking(true)?;
                TcpStream::from_std(s).into()
            }
            Kind::StdUnix(s) => {
                s.set_nonblocking(true)?;
                UnixStream::from_std(s).into()
            }
            kind => StreamSocket { kind },
        })
    }

    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.kind {
            Kind::Tcp(s) => s.read(buf),
            Kind::Unix(s) => s.read(buf),
            Kind::PipeReceiver(s) => s.read(buf),
            Kind::PipeSender(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "the write end of a pipe",
            )),
            Kind::StdTcp(s) => s.read(buf),
            Kind::StdUnix(s) => s.read(buf),
        }
    }

    pub(crate) fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.kind {
            Kind::Tcp(s) => s.write(buf),
            Kind::Unix(s) => s.write(buf),
            Kind::PipeSender(s) => s.write(buf),
            Kind::PipeReceiver(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "the read end of a pipe",
            )),
            Kind::StdTcp(s) => s.write(buf),
            Kind::StdUnix(s) => s.write(buf),
        }
    }

    pub(crate) fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match &mut self.kind {
            Kind::Tcp(s) => s.write_vectored(bufs),
            Kind::Unix(s) => s.write_vectored(bufs),
            Kind::PipeSender(s) => s.write_vectored(bufs),
            Kind::PipeReceiver(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "the read end of a pipe",
            )),
            Kind::StdTcp(s) => s.write_vectored(bufs),
            Kind::StdUnix(s) => s.write_vectored(bufs),
        }
    }

    /// The pending socket error (`SO_ERROR`), clearing it.
    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        match &self.kind {
            Kind::Tcp(s) => s.take_error(),
            Kind::Unix(s) => s.take_error(),
            Kind::StdTcp(s) => s.take_error(),
            Kind::StdUnix(s) => s.take_error(),
            Kind::PipeReceiver(_) | Kind::PipeSender(_) => Ok(None),
        }
    }

    pub(crate) fn set_nodelay(&self, on: bool) -> io::Result<()> {
        match &self.kind {
            Kind::Tcp(s) => s.set_nodelay(on),
            Kind::StdTcp(s) => s.set_nodelay(on),
            _ => Ok(()),
        }
    }

    /// The peer's address, for TCP sockets.
    pub(crate) fn peer_addr(&self) -> io::Result<Option<SocketAddr>> {
        match &self.kind {
            Kind::Tcp(s) => s.peer_addr().map(Some),
            Kind::StdTcp(s) => s.peer_addr().map(Some),
            Kind::Unix(s) => s.peer_addr().map(|_| None),
            _ => Ok(None),
        }
    }

    /// The local address, for TCP sockets.
    pub(crate) fn local_addr(&self) -> io::Result<Option<SocketAddr>> {
        match &self.kind {
            Kind::Tcp(s) => s.local_addr().map(Some),
            Kind::StdTcp(s) => s.local_addr().map(Some),
            _ => Ok(None),
        }
    }

    pub(crate) fn shutdown_write(&self) -> io::Result<()> {
        match &self.kind {
            Kind::Tcp(s) => s.shutdown(Shutdown::Write),
            Kind::Unix(s) => s.shutdown(Shutdown::Write),
            Kind::StdTcp(s) => s.shutdown(Shutdown::Write),
            Kind::StdUnix(s) => s.shutdown(Shutdown::Write),
            Kind::PipeReceiver(_) | Kind::PipeSender(_) => Ok(()),
        }
    }
}

impl AsRawFd for StreamSocket {
    fn as_raw_fd(&self) -> RawFd {
        match &self.kind {
            Kind::Tcp(s) => s.as_raw_fd(),
            Kind::Unix(s) => s.as_raw_fd(),
            Kind::PipeReceiver(s) => s.as_raw_fd(),
            Kind::PipeSender(s) => s.as_raw_fd(),
            Kind::StdTcp(s) => s.as_raw_fd(),
            Kind::StdUnix(s) => s.as_raw_fd(),
        }
    }
}

impl Source for StreamSocket {
    fn register(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
        match &mut self.kind {
            Kind::Tcp(s) => s.register(registry, token, interests),
            Kind::Unix(s) => s.register(registry, token, interests),
            Kind::PipeReceiver(s) => s.register(registry, token, interests),
            Kind::PipeSender(s) => s.register(registry, token, interests),
            Kind::StdTcp(_) | Kind::StdUnix(_) => {
                Err(io::Error::other("a std socket must be made non-blocking first"))
            }
        }
    }

    fn reregister(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
        match &mut self.kind {
            Kind::Tcp(s) => s.reregister(registry, token, interests),
            Kind::Unix(s) => s.reregister(registry, token, interests),
            Kind::PipeReceiver(s) => s.reregister(registry, token, interests),
            Kind::PipeSender(s) => s.reregister(registry, token, interests),
            Kind::StdTcp(_) | Kind::StdUnix(_) => {
                Err(io::Error::other("a std socket must be made non-blocking first"))
            }
        }
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        match &mut self.kind {
            Kind::Tcp(s) => s.deregister(registry),
            Kind::Unix(s) => s.deregister(registry),
            Kind::PipeReceiver(s) => s.deregister(registry),
            Kind::PipeSender(s) => s.deregister(registry),
            Kind::StdTcp(_) | Kind::StdUnix(_) => Ok(()),
        }
    }
}
