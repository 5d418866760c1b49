//! [`Resolver`]: host names to addresses, without blocking the loop.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::rc::Rc;

use gust_ioloop::IOLoop;
use gust_yieldables::{Error, Future, IOLoopExt};

/// An address family (Python's `socket.AF_UNSPEC`, `AF_INET`,
/// `AF_INET6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AddressFamily {
    /// Any family.
    #[default]
    Unspec,
    /// IPv4.
    Inet,
    /// IPv6.
    Inet6,
}

impl AddressFamily {
    /// The family of `address`.
    pub fn of(address: &SocketAddr) -> AddressFamily {
        if address.is_ipv4() {
            AddressFamily::Inet
        } else {
            AddressFamily::Inet6
        }
    }

    /// Whether `address` belongs to this family (any address does to
    /// `Unspec`).
    pub fn matches(self, address: &SocketAddr) -> bool {
        self == AddressFamily::Unspec || self == AddressFamily::of(address)
    }
}

/// Resolves host names without blocking the loop (Tornado's
/// `netutil.Resolver`).
///
/// [`TCPClient`](crate::tcpclient::TCPClient) uses one to find the
/// addresses to connect to. Implement it to change how names are looked
/// up, for example to answer from a table in tests, or never (to test
/// timeouts):
///
/// ```
/// use std::net::SocketAddr;
/// use gust::netutil::{AddressFamily, Resolver};
/// use gust::concurrent::Future;
///
/// /// Every name is 127.0.0.1.
/// struct Loopback;
///
/// impl Resolver for Loopback {
///     fn resolve(&self, _host: &str, port: u16, _family: AddressFamily)
///         -> Future<Vec<(AddressFamily, SocketAddr)>>
///     {
///         let address = SocketAddr::from(([127, 0, 0, 1], port));
///         Future::ready(vec![(AddressFamily::Inet, address)])
///     }
/// }
/// ```
pub trait Resolver {
    /// The addresses of `host` (a name or an IP literal) for `port`,
    /// restricted to `family`, in the order they should be tried (Tornado:
    /// a list of `(family, address)` pairs). An unknown host is an error.
    fn resolve(
        &self,
        host: &str,
        port: u16,
        family: AddressFamily,
    ) -> Future<Vec<(AddressFamily, SocketAddr)>>;

    /// Frees whatever the resolver holds (Tornado's `close`).
    fn close(&self) {}
}

/// Resolves with the system's `getaddrinfo` (Rust's `ToSocketAddrs`) on
/// the loop's default executor, a thread pool (Tornado's
/// `DefaultExecutorResolver`). IP literals are answered at once, without a
/// thread.
///
/// ```
/// use gust::ioloop::IOLoop;
/// use gust::netutil::{AddressFamily, DefaultExecutorResolver, Resolver};
/// use gust::ioloop::IOLoopExt;
///
/// let io_loop = IOLoop::new();
/// let found = io_loop
///     .run_sync(|| DefaultExecutorResolver.resolve("127.0.0.1", 80, AddressFamily::Unspec), None)
///     .unwrap();
/// assert_eq!(found, vec![(AddressFamily::Inet, "127.0.0.1:80".parse().unwrap())]);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultExecutorResolver;

impl Resolver for DefaultExecutorResolver {
    fn resolve(
        &self,
        host: &str,
        port: u16,
        family: AddressFamily,
    ) -> Future<Vec<(AddressFamily, SocketAddr)>> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Future::from_result(filter(vec![SocketAddr::new(ip, port)], host, family));
        }
        let host = host.to_owned();
        let io_loop = match IOLoop::try_current() {
            Ok(io_loop) => io_loop,
            Err(error) => return Future::failed(error),
        };
        io_loop
            .run_in_executor(None, move || -> Result<_, String> {
                let found: Vec<SocketAddr> = (host.as_str(), port)
                    .to_socket_addrs()
                    .map_err(|e| format!("{host}: {e}"))?
                    .collect();
                filter(found, &host, family).map_err(|e| e.to_string())
            })
            .then_map(|r| r.map_err(|message| Error::new(io::Error::other(message))))
    }
}

/// The addresses of `family`, without duplicates, in order.
fn filter(
    found: Vec<SocketAddr>,
    host: &str,
    family: AddressFamily,
) -> Result<Vec<(AddressFamily, SocketAddr)>, Error> {
    let mut out: Vec<(AddressFamily, SocketAddr)> = Vec::with_capacity(found.len());
    for address in found {
        if family.matches(&address) && !out.iter().any(|(_, a)| *a == address) {
            out.push((AddressFamily::of(&address), address));
        }
    }
    if out.is_empty() {
        return Err(Error::new(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{host}: no {family:?} address"),
        )));
    }
    Ok(out)
}

/// Maps the result of a future (a small helper: `Future` has no `map`).
trait ThenMap<T> {
    fn then_map<U: 'static>(self, f: impl FnOnce(T) -> Result<U, Error> + 'static) -> Future<U>;
}

impl<T: 'static> ThenMap<T> for Future<T> {
    fn then_map<U: 'static>(self, f: impl FnOnce(T) -> Result<U, Error> + 'static) -> Future<U> {
        let out = Future::new();
        let target = out.clone();
        self.add_done_callback(move |done| {
            let _ = target.set(done.take_result().and_then(f));
        });
        out
    }
}

/// What an [`OverrideResolver`] entry matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum OverrideKey {
    Host(String),
    HostPort(String, u16),
    HostPortFamily(String, u16, AddressFamily),
}

/// Wraps a resolver with a table of overrides (Tornado's
/// `OverrideResolver`): a host, a `(host, port)` pair or a
/// `(host, port, family)` triple is replaced by another host (and port)
/// before the wrapped resolver is asked. The most specific entry wins.
///
/// ```
/// use std::rc::Rc;
/// use gust::ioloop::IOLoop;
/// use gust::netutil::{AddressFamily, DefaultExecutorResolver, OverrideResolver, Resolver};
/// use gust::ioloop::IOLoopExt;
///
/// let resolver = OverrideResolver::new(Rc::new(DefaultExecutorResolver))
///     .host("example.com", "127.0.0.1")
///     .host_port(("example.com", 443), ("127.0.0.1", 8443));
/// let io_loop = IOLoop::new();
/// let found = io_loop
///     .run_sync(move || resolver.resolve("example.com", 443, AddressFamily::Unspec), None)
///     .unwrap();
/// assert_eq!(found[0].1, "127.0.0.1:8443".parse().unwrap());
/// ```
pub struct OverrideResolver {
    inner: Rc<dyn Resolver>,
    mapping: HashMap<OverrideKey, (String, Option<u16>)>,
}

impl OverrideResolver {
    /// Overrides in front of `inner`, with an empty table.
    pub fn new(inner: Rc<dyn Resolver>) -> OverrideResolver {
        OverrideResolver {
            inner,
            mapping: HashMap::new(),
        }
    }

    /// Resolves `host` as `to`, whatever the port.
    pub fn host(mut self, host: &str, to: &str) -> OverrideResolver {
        self.mapping
            .insert(OverrideKey::Host(host.to_owned()), (to.to_owned(), None));
        self
    }

    /// Resolves `host:port` as `to.0:to.1`.
    pub fn host_port(mut self, from: (&str, u16), to: (&str, u16)) -> OverrideResolver {
        self.mapping.insert(
            OverrideKey::HostPort(from.0.to_owned(), from.1),
            (to.0.to_owned(), Some(to.1)),
        );
        self
    }

    /// Resolves `host:port` asked for in `family` as `to.0:to.1`.
    pub fn host_port_family(mut self, from: (&str, u16, AddressFamily), to: (&str, u16)) -> OverrideResolver {
        self.mapping.insert(
            OverrideKey::HostPortFamily(from.0.to_owned(), from.1, from.2),
            (to.0.to_owned(), Some(to.1)),
        );
        self
    }
}

impl Resolver for OverrideResolver {
    fn resolve(
        &self,
        host: &str,
        port: u16,
        family: AddressFamily,
    ) -> Future<Vec<(AddressFamily, SocketAddr)>> {
        let keys = [
            OverrideKey::HostPortFamily(host.to_owned(), port, family),
            OverrideKey::HostPort(host.to_owned(), port),
            OverrideKey::Host(host.to_owned()),
        ];
        for key in &keys {
            if let Some((to_host, to_port)) = self.mapping.get(key) {
                return self.inner.resolve(to_host, to_port.unwrap_or(port), family);
            }
        }
        self.inner.resolve(host, port, family)
    }

    fn close(&self) {
        self.inner.close();
    }
}

impl fmt::Debug for OverrideResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OverrideResolver")
            .field("entries", &self.mapping.len())
            .finish()
    }
}

/// Whether `ip` is a well-formed IPv4 or IPv6 address (Tornado's
/// `netutil.is_valid_ip`).
///
/// ```
/// use gust::netutil::is_valid_ip;
/// assert!(is_valid_ip("127.0.0.1"));
/// assert!(is_valid_ip("2620:0:1cfe:face:b00c::3"));
/// assert!(!is_valid_ip("localhost"));
/// assert!(!is_valid_ip(" 127.0.0.1"));
/// ```
pub fn is_valid_ip(ip: &str) -> bool {
    ip.parse::<IpAddr>().is_ok()
}
