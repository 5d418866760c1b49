//! Tornado's `tcpclient_test.py` (`TCPClientTest`; its `ConnectorTest`
//! is ported next to the connector, in `net/src/tcpclient/connector.rs`),
//! and the dual-family race end to end, through a resolver that names one
//! address that never answers.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use gust::concurrent::Future;
use gust::gen_::TimeoutError;
use gust::iostream::{IOStream, StreamClosedError, stream_count};
use gust::netutil::{AddressFamily, BindOptions, Resolver, bind_sockets};
use gust::prelude::*;
use gust::tcpclient::{ConnectOptions, TCPClient};
use gust::tcpserver::TCPServer;

use crate::{Accepted, refusing_port, run_net, run_net_real};

/// Tornado's `TestTCPServer`: listens on "localhost" in `family`, queues
/// the connections.
fn test_server(family: AddressFamily) -> Result<(TCPServer, Accepted, u16), Error> {
    let accepted = Accepted::default();
    let queue = accepted.clone();
    let server = TCPServer::new(move |stream: IOStream, _| queue.push(stream));
    let options = BindOptions {
        family,
        ..BindOptions::default()
    };
    // Tornado binds "localhost"; where it names no IPv6 address, ::1.
    let host = if family == AddressFamily::Inet6 {
        "::1"
    } else {
        "localhost"
    };
    let sockets = bind_sockets(0, host, options)?;
    let port = sockets[0].local_addr()?.port();
    server.add_sockets(sockets)?;
    Ok((server, accepted, port))
}

fn has_ipv6_localhost() -> bool {
    std::net::TcpListener::bind("[::1]:0").is_ok()
}

fn do_test_connect(
    family: AddressFamily,
    host: &'static str,
    source_ip: Option<IpAddr>,
) -> Result<(), Error> {
    // "localhost" is resolved on the thread pool: use the real clock.
    type Body = Box<dyn FnOnce(&Co) -> Result<(), Error>>;
    let run: fn(Body) -> Result<(), Error> = if host == "localhost" {
        run_net_real
    } else {
        run_net
    };
    run(Box::new(move |co: &Co| {
        let (server, accepted, port) = test_server(family)?;
        let options = ConnectOptions {
            family,
            source_ip,
            ..ConnectOptions::default()
        };
        let stream = co.yield_(TCPClient::new().connect_with(host, port, options))?;
        let server_stream = co.yield_(accepted.next())?;
        stream.write(b"hello");
        assert_eq!(co.yield_(server_stream.read_bytes(5, false))?, b"hello");
        if let Some(ip) = source_ip {
            assert_eq!(stream.local_addr().unwrap().ip(), ip);
        }
        server.stop();
        Ok(())
    }))
}

#[test]
fn connect_ipv4_ipv4() {
    do_test_connect(AddressFamily::Inet, "127.0.0.1", None).unwrap();
}

#[test]
fn connect_ipv4_dual() {
    do_test_connect(AddressFamily::Inet, "localhost", None).unwrap();
}

#[test]
fn connect_ipv6_ipv6() {
    if has_ipv6_localhost() {
        do_test_connect(AddressFamily::Inet6, "::1", None).unwrap();
    }
}

#[test]
fn connect_unspec_ipv4() {
    do_test_connect(AddressFamily::Unspec, "127.0.0.1", None).unwrap();
}

#[test]
fn connect_unspec_dual() {
    do_test_connect(AddressFamily::Unspec, "localhost", None).unwrap();
}

#[test]
fn refused_ipv4() {
    run_net(|co| {
        let (_keep, port) = refusing_port();
        let error = co
            .yield_(TCPClient::new().connect("127.0.0.1", port))
            .unwrap_err();
        let closed = error.downcast_ref::<StreamClosedError>().unwrap();
        assert_eq!(
            closed.real_io_error_kind(),
            Some(std::io::ErrorKind::ConnectionRefused)
        );
        Ok(())
    })
    .unwrap();
}

#[test]
fn source_ip_fail() {
    // 8.8.8.8 is not an address of this host: binding to it fails (no
    // packet is sent anywhere).
    let error = do_test_connect(
        AddressFamily::Inet,
        "127.0.0.1",
        Some(IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8))),
    )
    .unwrap_err();
    assert_eq!(
        error.downcast_ref::<std::io::Error>().unwrap().kind(),
        std::io::ErrorKind::AddrNotAvailable
    );
}

#[test]
fn source_ip_success() {
    do_test_connect(
        AddressFamily::Inet,
        "127.0.0.1",
        Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    )
    .unwrap();
}

/// A resolver that never answers.
struct TimeoutResolver;

impl Resolver for TimeoutResolver {
    fn resolve(
        &self,
        _host: &str,
        _port: u16,
        _family: AddressFamily,
    ) -> Future<Vec<(AddressFamily, SocketAddr)>> {
        // Kept alive by the timeout that waits for it, never resolved.
        Future::new()
    }
}

#[test]
fn connect_timeout() {
    run_net(|co| {
        let client = TCPClient::with_resolver(Rc::new(TimeoutResolver));
        let options = ConnectOptions {
            timeout: Some(Duration::from_millis(50).into()),
            ..ConnectOptions::default()
        };
        let started = IOLoop::current().time();
        let error = co
            .yield_(client.connect_with("127.0.0.1", 12345, options))
            .unwrap_err();
        assert!(error.is::<TimeoutError>(), "{error}");
        assert_eq!(IOLoop::current().time() - started, Duration::from_millis(50));
        Ok(())
    })
    .unwrap();
}

/// A resolver answering from a fixed list.
struct FixedResolver(Vec<(AddressFamily, SocketAddr)>);

impl Resolver for FixedResolver {
    fn resolve(
        &self,
        _host: &str,
        _port: u16,
        _family: AddressFamily,
    ) -> Future<Vec<(AddressFamily, SocketAddr)>> {
        Future::ready(self.0.clone())
    }
}

/// A listening socket whose backlog is full: a connect to it is never
/// answered (its SYN is dropped), on loopback.
fn unanswering_listener(address: SocketAddr) -> (socket2::Socket, std::net::TcpStream) {
    let socket =
        socket2::Socket::new(socket2::Domain::for_address(address), socket2::Type::STREAM, None).unwrap();
    socket.bind(&address.into()).unwrap();
    socket.listen(0).unwrap();
    let bound = socket.local_addr().unwrap().as_socket().unwrap();
    // One connection fills a backlog of 0.
    let filler = std::net::TcpStream::connect(bound).unwrap();
    (socket, filler)
}

#[test]
fn second_family_wins_when_the_first_never_answers() {
    if !has_ipv6_localhost() {
        return;
    }
    run_net(|co| {
        let (hanging, _filler) = unanswering_listener("[::1]:0".parse().unwrap());
        let hanging_address = hanging.local_addr().unwrap().as_socket().unwrap();
        let (server, accepted, port) = test_server(AddressFamily::Inet)?;
        let resolver = FixedResolver(vec![
            (AddressFamily::Inet6, hanging_address),
            (AddressFamily::Inet, SocketAddr::from(([127, 0, 0, 1], port))),
        ]);
        let client = TCPClient::with_resolver(Rc::new(resolver));
        let started = IOLoop::current().time();
        let stream = co.yield_(client.connect("dual.test", 0))?;
        // The IPv4 attempt started after the 0.3 s head start of IPv6.
        assert_eq!(IOLoop::current().time() - started, Duration::from_millis(300));
        assert!(stream.peer_addr().unwrap().is_ipv4());
        // The IPv6 attempt, the loser, was closed: only the winner and the
        // server's side remain.
        let server_stream = co.yield_(accepted.next())?;
        assert_eq!(stream_count(&IOLoop::current()), 2);
        stream.write(b"x");
        assert_eq!(co.yield_(server_stream.read_bytes(1, false))?, b"x");
        server.stop();
        Ok(())
    })
    .unwrap();
}

#[test]
fn first_family_refused_falls_back_at_once() {
    run_net(|co| {
        let (_keep, refusing) = refusing_port();
        let (server, accepted, port) = test_server(AddressFamily::Inet)?;
        let resolver = FixedResolver(vec![
            (AddressFamily::Inet6, SocketAddr::from(([127, 0, 0, 1], refusing))),
            (AddressFamily::Inet, SocketAddr::from(([127, 0, 0, 1], port))),
        ]);
        let client = TCPClient::with_resolver(Rc::new(resolver));
        let started = IOLoop::current().time();
        let stream = co.yield_(client.connect("dual.test", 0))?;
        // No waiting for the 0.3 s timer after a refusal.
        assert!(IOLoop::current().time() - started < Duration::from_millis(300));
        assert_eq!(stream.peer_addr().unwrap().port(), port);
        co.yield_(accepted.next())?;
        server.stop();
        Ok(())
    })
    .unwrap();
}

#[test]
fn connect_timeout_closes_the_pending_attempts() {
    if !has_ipv6_localhost() {
        return;
    }
    run_net(|co| {
        let (hanging, _filler) = unanswering_listener("[::1]:0".parse().unwrap());
        let hanging_address = hanging.local_addr().unwrap().as_socket().unwrap();
        let client = TCPClient::with_resolver(Rc::new(FixedResolver(vec![(
            AddressFamily::Inet6,
            hanging_address,
        )])));
        let options = ConnectOptions {
            timeout: Some(Duration::from_secs(2).into()),
            ..ConnectOptions::default()
        };
        let error = co
            .yield_(client.connect_with("hang.test", 0, options))
            .unwrap_err();
        assert!(error.is::<TimeoutError>());
        // run_net checks that the hanging attempt's stream was closed.
        Ok(())
    })
    .unwrap();
}
