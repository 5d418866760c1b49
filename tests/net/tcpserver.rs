//! Tornado's `tcpserver_test.py`, plus `stop()` with open connections,
//! a thousand concurrent connections, and `reuse_port` across loops.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gust::concurrent::Future;
use gust::gen_;
use gust::iostream::{IOStream, StreamClosedError, StreamOptions};
use gust::netutil::{BindOptions, bind_unused_port};
use gust::prelude::*;
use gust::tcpserver::{TCPServer, spawn_loops};

use crate::run_net;
use gust::testing::LogCapture;

/// An echo server for lines, until the client closes.
fn echo_server() -> TCPServer {
    TCPServer::new(|stream: IOStream, _address| {
        gen_::coroutine(move |co| {
            loop {
                match co.yield_(stream.read_until(b"\n", None)) {
                    Ok(line) => {
                        co.yield_(stream.write(line))?;
                    }
                    Err(e) if e.is::<StreamClosedError>() => return Ok(()),
                    Err(e) => return Err(e),
                }
            }
        })
    })
}

#[test]
fn handle_stream_coroutine_logging() {
    // A failing handle_stream coroutine is logged; the server goes on.
    run_net(|co| {
        let logs = LogCapture::start();
        let server = TCPServer::new(|stream: IOStream, _| {
            gen_::coroutine(move |co| {
                co.yield_(stream.read_bytes(5, false))?;
                stream.close();
                Err::<(), _>(Error::new(gust_dev_support::python::ZeroDivisionError))
            })
        });
        let (sock, port) = bind_unused_port(false)?;
        server.add_socket(sock)?;
        for _ in 0..2 {
            let client = co.yield_(IOStream::connect(SocketAddr::from(([127, 0, 0, 1], port))))?;
            co.yield_(client.write(b"hello"))?;
            co.yield_(client.read_until_close())?;
            co.yield_(gen_::moment)?;
        }
        let logged = logs.app_errors_containing("Exception in callback");
        assert_eq!(logged.len(), 2, "{logged:?}");
        assert!(logged[0].ends_with("division by zero"));
        server.stop();
        Ok(())
    })
    .unwrap();
}

#[test]
fn handle_stream_native_coroutine() {
    run_net(|co| {
        let server = TCPServer::new(|stream: IOStream, _| {
            IOLoop::current().spawn(async move {
                stream.write(b"data");
                stream.close();
            })
        });
        server.listen(0, "127.0.0.1")?;
        let client = co.yield_(IOStream::connect(server.local_addrs()[0]))?;
        assert_eq!(co.yield_(client.read_until_close())?, b"data");
        server.stop();
        Ok(())
    })
    .unwrap();
}

#[test]
fn handle_stream_panic_is_logged() {
    run_net(|co| {
        let logs = LogCapture::start();
        let calls = Rc::new(Cell::new(0));
        let c = calls.clone();
        let server = TCPServer::new(move |stream: IOStream, _| {
            c.set(c.get() + 1);
            if c.get() == 1 {
                panic!("handler bug");
            }
            stream.write(b"ok");
        });
        server.listen(0, "127.0.0.1")?;
        let address = server.local_addrs()[0];
        let first = co.yield_(IOStream::connect(address))?;
        // The panicking handler dropped its stream: the connection closes.
        assert_eq!(co.yield_(first.read_until_close())?, b"");
        let second = co.yield_(IOStream::connect(address))?;
        assert_eq!(co.yield_(second.read_bytes(2, false))?, b"ok");
        assert_eq!(
            logs.app_errors_containing("Error in connection callback: handler bug")
                .len(),
            1
        );
        server.stop();
        Ok(())
    })
    .unwrap();
}

#[test]
fn stop_twice() {
    let io_loop = IOLoop::new();
    let (sock, _port) = bind_unused_port(false).unwrap();
    let server = TCPServer::new(|_: IOStream, _| {});
    server.add_socket(sock).unwrap();
    assert_eq!(io_loop.handler_count(), 1);
    server.stop();
    server.stop();
    assert!(server.is_stopped());
    assert_eq!(io_loop.handler_count(), 0);
}

#[test]
fn stop_in_callback() {
    // Tornado issue #2069: stop() from handle_stream while other
    // connections are being accepted in the same iteration.
    run_net(|co| {
        let server: Rc<RefCell<Option<TCPServer>>> = Rc::new(RefCell::new(None));
        let s = server.clone();
        let streams = Rc::new(RefCell::new(Vec::new()));
        let kept = streams.clone();
        let tcp = TCPServer::new(move |stream: IOStream, _| {
            if let Some(server) = s.borrow().as_ref() {
                server.stop();
            }
            kept.borrow_mut().push(stream);
        });
        tcp.listen(0, "127.0.0.1")?;
        let address = tcp.local_addrs()[0];
        *server.borrow_mut() = Some(tcp.clone());
        const N: usize = 40;
        let attempts: Vec<Future<Option<IOStream>>> = (0..N)
            .map(|_| {
                gen_::coroutine(move |co| match co.yield_(IOStream::connect(address)) {
                    Ok(stream) => Ok(Some(stream)),
                    Err(e) if e.is::<StreamClosedError>() => Ok(None),
                    Err(e) => Err(e),
                })
            })
            .collect();
        let results = co.yield_(attempts)?;
        let connected = results.iter().filter(|r| r.is_some()).count();
        assert!(connected > 0, "all clients failed connecting");
        assert_eq!(tcp.accepted(), 1, "accepting stopped after the first");
        streams.borrow_mut().clear();
        server.borrow_mut().take();
        Ok(())
    })
    .unwrap();
}

#[test]
fn stop_with_open_connections() {
    // Connections already accepted go on after stop(); new ones are
    // refused.
    run_net(|co| {
        let server = echo_server();
        server.listen(0, "127.0.0.1")?;
        let address = server.local_addrs()[0];
        let client = co.yield_(IOStream::connect(address))?;
        co.yield_(client.write(b"one\n"))?;
        assert_eq!(co.yield_(client.read_until(b"\n", None))?, b"one\n");
        server.stop();
        co.yield_(client.write(b"two\n"))?;
        assert_eq!(co.yield_(client.read_until(b"\n", None))?, b"two\n");
        let refused = co.yield_(IOStream::connect(address)).unwrap_err();
        let refused = refused.downcast_ref::<StreamClosedError>().unwrap();
        assert_eq!(
            refused.real_io_error_kind(),
            Some(std::io::ErrorKind::ConnectionRefused)
        );
        client.close();
        // Let the server side see the close.
        co.yield_(gen_::sleep(Duration::from_millis(1)))?;
        Ok(())
    })
    .unwrap();
}

#[test]
fn bind_then_start() {
    run_net(|co| {
        let server = echo_server();
        server.bind(0, "127.0.0.1")?;
        let address = server.local_addrs()[0];
        assert_eq!(IOLoop::current().handler_count(), 0, "not accepting before start");
        server.start()?;
        assert!(server.start().is_err(), "start twice");
        let client = co.yield_(IOStream::connect(address))?;
        co.yield_(client.write(b"hi\n"))?;
        assert_eq!(co.yield_(client.read_until(b"\n", None))?, b"hi\n");
        client.close();
        server.stop();
        co.yield_(gen_::sleep(Duration::from_millis(1)))?;
        Ok(())
    })
    .unwrap();
}

#[test]
fn a_thousand_concurrent_connections() {
    run_net(|co| {
        let server = echo_server();
        let options = BindOptions {
            backlog: 2048,
            ..BindOptions::default()
        };
        server.listen_with(0, "127.0.0.1", options)?;
        let address = server.local_addrs()[0];
        const N: usize = 1000;
        let clients: Vec<Future<usize>> = (0..N)
            .map(|i| {
                gen_::coroutine(move |co| {
                    let stream = co.yield_(IOStream::connect(address))?;
                    let mut echoed = 0;
                    for round in 0..3 {
                        let line = format!("client {i} round {round}\n");
                        co.yield_(stream.write(line.clone()))?;
                        let back = co.yield_(stream.read_until(b"\n", Some(64)))?;
                        assert_eq!(back, line.as_bytes());
                        echoed += 1;
                    }
                    stream.close();
                    Ok(echoed)
                })
            })
            .collect();
        let echoed = co.yield_(clients)?;
        assert_eq!(echoed.iter().sum::<usize>(), 3 * N);
        assert_eq!(server.accepted(), N as u64);
        server.stop();
        // The server sides notice the closes and finish.
        for _ in 0..10 {
            if gust::iostream::stream_count(&IOLoop::current()) == 0 {
                break;
            }
            co.yield_(gen_::sleep(Duration::from_millis(1)))?;
        }
        Ok(())
    })
    .unwrap();
}

#[test]
fn reuse_port_spreads_connections_over_loops() {
    // Two loops on two threads, each with its own server on the same port.
    let (probe, port) = bind_unused_port(true).unwrap();
    let counts: Arc<[AtomicUsize; 2]> = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let c = counts.clone();
    let loops = spawn_loops(2, move |task_id| {
        let counts = c.clone();
        let server = TCPServer::new(move |stream: IOStream, _| {
            counts[task_id].fetch_add(1, Ordering::SeqCst);
            stream.write(vec![task_id as u8]);
        });
        let options = BindOptions {
            reuse_port: true,
            ..BindOptions::default()
        };
        server.listen_with(port, "127.0.0.1", options)
    })
    .unwrap();
    // The probe socket (also reuse_port) must not take connections.
    drop(probe);
    let io_loop = IOLoop::new();
    const N: usize = 200;
    let served = io_loop
        .run_sync(
            move || {
                gen_::coroutine(move |co| {
                    let mut served = [0usize; 2];
                    for _ in 0..N {
                        let stream =
                            co.yield_(IOStream::connect(SocketAddr::from(([127, 0, 0, 1], port))))?;
                        let who = co.yield_(stream.read_bytes(1, false))?;
                        served[who[0] as usize] += 1;
                    }
                    Ok(served)
                })
            },
            Some(Duration::from_secs(30)),
        )
        .unwrap();
    loops.join();
    let counted = [counts[0].load(Ordering::SeqCst), counts[1].load(Ordering::SeqCst)];
    assert_eq!(served, counted);
    assert_eq!(served[0] + served[1], N);
    assert!(
        served[0] > 0 && served[1] > 0,
        "one loop got every connection: {served:?}"
    );
    let _ = StreamOptions::default();
}
