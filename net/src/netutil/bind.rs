//! [`bind_sockets`]: listening sockets for a port.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, ToSocketAddrs};

use socket2::{Domain, Protocol, Socket, Type};

use super::resolver::AddressFamily;

/// The default `listen` backlog (Tornado's `_DEFAULT_BACKLOG`).
pub const DEFAULT_BACKLOG: i32 = 128;

/// Options of [`bind_sockets`] (Tornado's keyword arguments).
///
/// ```
/// use gust::netutil::{AddressFamily, BindOptions};
///
/// let options = BindOptions { reuse_port: true, ..BindOptions::default() };
/// assert_eq!(options.family, AddressFamily::Unspec);
/// assert_eq!(options.backlog, 128);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BindOptions {
    /// Restrict to IPv4 or IPv6 addresses (default: both, when the host
    /// has both).
    pub family: AddressFamily,
    /// The `listen` backlog (default [`DEFAULT_BACKLOG`]).
    pub backlog: i32,
    /// Set `SO_REUSEPORT`, so that several sockets (in several threads or
    /// processes) can listen on the same port; the kernel spreads incoming
    /// connections among them.
    pub reuse_port: bool,
}

impl Default for BindOptions {
    fn default() -> Self {
        BindOptions {
            family: AddressFamily::Unspec,
            backlog: DEFAULT_BACKLOG,
            reuse_port: false,
        }
    }
}

/// Creates listening, non-blocking sockets bound to `port` on `address`
/// (Tornado's `netutil.bind_sockets`).
///
/// `address` is an IP address or a host name (the sockets then listen on
/// every address it resolves to; this lookup blocks, as Tornado's does), or
/// `""` for every interface (`0.0.0.0` and `::`). Several sockets are
/// returned when there are several addresses, typically one IPv4 and one
/// IPv6. IPv6 sockets are IPv6-only, so that both can be bound.
///
/// With port 0 the system picks a free port for the first socket, and the
/// others are bound to the same port.
///
/// Each socket has `SO_REUSEADDR` (a restarted server can bind again at
/// once) and, with [`BindOptions::reuse_port`], `SO_REUSEPORT`.
pub fn bind_sockets(port: u16, address: &str, options: BindOptions) -> io::Result<Vec<TcpListener>> {
    let mut addresses: Vec<SocketAddr> = if address.is_empty() {
        vec![
            SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
        ]
    } else {
        (address, port).to_socket_addrs()?.collect()
    };
    addresses.retain(|a| options.family.matches(a));
    let mut unique: Vec<SocketAddr> = Vec::with_capacity(addresses.len());
    for a in addresses {
        if !unique.contains(&a) {
            unique.push(a);
        }
    }
    if unique.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no {:?} address for {address:?}", options.family),
        ));
    }
    let mut sockets = Vec::with_capacity(unique.len());
    let mut bound_port: Option<u16> = None;
    for mut addr in unique {
        if port == 0 {
            if let Some(bound) = bound_port {
                addr.set_port(bound);
            }
        }
        let socket = match Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP)) {
            Ok(socket) => socket,
            // This host has no IPv6 (or IPv4): skip that family.
            Err(e) if e.raw_os_error() == Some(libc::EAFNOSUPPORT) && address.is_empty() => continue,
            Err(e) => return Err(e),
        };
        socket.set_reuse_address(true)?;
        if options.reuse_port {
            socket.set_reuse_port(true)?;
        }
        if addr.is_ipv6() {
            socket.set_only_v6(true)?;
        }
        socket.set_nonblocking(true)?;
        if let Err(e) = socket.bind(&addr.into()) {
            // Tornado: where IPv6 is only partly enabled, "localhost"
            // resolves to ::1 but binding it fails; skip that address.
            if e.raw_os_error() == Some(libc::EADDRNOTAVAIL)
                && address == "localhost"
                && addr.ip() == IpAddr::V6(Ipv6Addr::LOCALHOST)
            {
                continue;
            }
            return Err(e);
        }
        socket.listen(options.backlog)?;
        let listener: TcpListener = socket.into();
        if bound_port.is_none() {
            bound_port = Some(listener.local_addr()?.port());
        }
        sockets.push(listener);
    }
    if sockets.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            format!("could not bind any address of {address:?}"),
        ));
    }
    Ok(sockets)
}

/// Binds a listening socket to a free port on 127.0.0.1 and returns it
/// with its port (Tornado's `testing.bind_unused_port`).
///
/// ```
/// let (listener, port) = gust::netutil::bind_unused_port(false).unwrap();
/// assert_eq!(listener.local_addr().unwrap().port(), port);
/// ```
pub fn bind_unused_port(reuse_port: bool) -> io::Result<(TcpListener, u16)> {
    let options = BindOptions {
        family: AddressFamily::Inet,
        reuse_port,
        ..BindOptions::default()
    };
    let listener = bind_sockets(0, "127.0.0.1", options)?
        .into_iter()
        .next()
        .ok_or_else(|| io::Error::other("no socket bound"))?;
    let port = listener.local_addr()?.port();
    Ok((listener, port))
}
