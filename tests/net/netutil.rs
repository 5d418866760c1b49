//! Tornado's `netutil_test.py`: resolvers, `is_valid_ip`, port
//! allocation, `reuse_port`; and `add_accept_handler`.

use std::net::SocketAddr;
use std::rc::Rc;

use gust::iostream::IOStream;
use gust::netutil::{
    AddressFamily, BindOptions, DefaultExecutorResolver, OverrideResolver, Resolver, add_accept_handler,
    bind_sockets, bind_unused_port, is_valid_ip,
};

use crate::{run_net, run_net_real};

#[test]
fn resolve_localhost() {
    run_net_real(|co| {
        let found = co.yield_(DefaultExecutorResolver.resolve("localhost", 80, AddressFamily::Unspec))?;
        assert!(found.contains(&(AddressFamily::Inet, SocketAddr::from(([127, 0, 0, 1], 80)))));
        let v4 = co.yield_(DefaultExecutorResolver.resolve("localhost", 80, AddressFamily::Inet))?;
        assert!(
            v4.iter()
                .all(|(family, a)| *family == AddressFamily::Inet && a.is_ipv4())
        );
        Ok(())
    })
    .unwrap();
}

#[test]
fn resolve_bad_host_is_an_error() {
    run_net_real(|co| {
        let result =
            co.yield_(DefaultExecutorResolver.resolve("an invalid domain", 80, AddressFamily::Unspec));
        assert!(result.is_err());
        Ok(())
    })
    .unwrap();
}

#[test]
fn override_resolver() {
    run_net(|co| {
        let resolver = OverrideResolver::new(Rc::new(DefaultExecutorResolver))
            .host_port(("google.com", 80), ("1.2.3.4", 80))
            .host_port_family(("google.com", 80, AddressFamily::Inet), ("1.2.3.4", 80))
            .host_port_family(
                ("google.com", 80, AddressFamily::Inet6),
                ("2a02:6b8:7c:40c:c51e:495f:e23a:3", 80),
            )
            .host("example.test", "127.0.0.1");
        let v4 = co.yield_(resolver.resolve("google.com", 80, AddressFamily::Inet))?;
        assert_eq!(v4, vec![(AddressFamily::Inet, "1.2.3.4:80".parse().unwrap())]);
        let v6 = co.yield_(resolver.resolve("google.com", 80, AddressFamily::Inet6))?;
        assert_eq!(
            v6,
            vec![(
                AddressFamily::Inet6,
                "[2a02:6b8:7c:40c:c51e:495f:e23a:3]:80".parse().unwrap()
            )]
        );
        let any = co.yield_(resolver.resolve("google.com", 80, AddressFamily::Unspec))?;
        assert_eq!(any, vec![(AddressFamily::Inet, "1.2.3.4:80".parse().unwrap())]);
        let host = co.yield_(resolver.resolve("example.test", 8080, AddressFamily::Unspec))?;
        assert_eq!(
            host,
            vec![(AddressFamily::Inet, "127.0.0.1:8080".parse().unwrap())]
        );
        Ok(())
    })
    .unwrap();
}

#[test]
fn is_valid_ip_cases() {
    assert!(is_valid_ip("127.0.0.1"));
    assert!(is_valid_ip("4.4.4.4"));
    assert!(is_valid_ip("::1"));
    assert!(is_valid_ip("2620:0:1cfe:face:b00c::3"));
    assert!(!is_valid_ip("www.google.com"));
    assert!(!is_valid_ip("localhost"));
    assert!(!is_valid_ip("4.4.4.4<"));
    assert!(!is_valid_ip(" 127.0.0.1"));
    assert!(!is_valid_ip(""));
    assert!(!is_valid_ip(" "));
    assert!(!is_valid_ip("\n"));
    assert!(!is_valid_ip("\x00"));
    assert!(!is_valid_ip(&"a".repeat(100)));
}

#[test]
fn same_port_allocation() {
    let sockets = bind_sockets(0, "localhost", BindOptions::default()).unwrap();
    let port = sockets[0].local_addr().unwrap().port();
    assert!(sockets.iter().all(|s| s.local_addr().unwrap().port() == port));
}

#[test]
fn all_interfaces_bind_both_families_v6_only() {
    let sockets = bind_sockets(0, "", BindOptions::default()).unwrap();
    let port = sockets[0].local_addr().unwrap().port();
    assert!(sockets.iter().all(|s| s.local_addr().unwrap().port() == port));
    assert!(sockets.iter().any(|s| s.local_addr().unwrap().is_ipv4()));
    for socket in &sockets {
        if socket.local_addr().unwrap().is_ipv6() {
            let socket = socket2::SockRef::from(socket);
            assert!(socket.only_v6().unwrap());
        }
    }
}

#[test]
fn reuse_port() {
    let (first, port) = bind_unused_port(true).unwrap();
    let options = BindOptions {
        family: AddressFamily::Inet,
        reuse_port: true,
        ..BindOptions::default()
    };
    let sockets = bind_sockets(port, "127.0.0.1", options).unwrap();
    assert!(sockets.iter().all(|s| s.local_addr().unwrap().port() == port));
    // Without reuse_port the port is taken.
    let taken = bind_sockets(port, "127.0.0.1", BindOptions::default()).unwrap_err();
    assert_eq!(taken.kind(), std::io::ErrorKind::AddrInUse);
    drop(first);
}

#[test]
fn accept_handler_accepts_and_remove_stops() {
    run_net(|co| {
        let options = BindOptions {
            backlog: 512,
            ..BindOptions::default()
        };
        let listener = bind_sockets(0, "127.0.0.1", options)?.remove(0);
        let port = listener.local_addr()?.port();
        let accepted: Rc<std::cell::RefCell<Vec<IOStream>>> = Rc::default();
        let into = accepted.clone();
        let handle = add_accept_handler(listener, move |connection, address| {
            assert!(address.ip().is_loopback());
            into.borrow_mut().push(IOStream::new(connection).unwrap());
        })?;
        assert_eq!(handle.local_addr().unwrap().port(), port);
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let clients: Vec<_> = (0..300)
            .map(|_| std::net::TcpStream::connect(address).unwrap())
            .collect();
        // More than one batch of 128.
        while accepted.borrow().len() < clients.len() {
            co.yield_(gust::gen_::sleep(std::time::Duration::from_millis(1)))?;
        }
        handle.remove();
        assert!(handle.is_removed());
        assert!(std::net::TcpStream::connect(address).is_err());
        accepted.borrow_mut().clear();
        Ok(())
    })
    .unwrap();
}
