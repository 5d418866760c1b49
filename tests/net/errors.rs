//! Bad input and misuse: a typed error reaches the coroutine, the loop
//! goes on, and nothing is left behind ([`run_net`] checks the stream and
//! handler counts).

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use gust::concurrent::Future;
use gust::gen_;
use gust::iostream::{
    AlreadyReadingError, IOStream, StreamBufferFullError, StreamClosedError, StreamOptions,
    UnsatisfiableReadError,
};
use gust::netutil::{add_accept_handler, bind_unused_port};
use gust::prelude::*;

use crate::{run_net, run_net_real, tcp_pair};
use gust::testing::LogCapture;

/// A plain blocking client connected to a gust stream: the "peer".
fn raw_peer(co: &Co) -> Result<(IOStream, std::net::TcpStream), Error> {
    let (listener, port) = bind_unused_port(false)?;
    let accepted: Future<IOStream> = Future::new();
    let slot = accepted.clone();
    let handle = add_accept_handler(listener, move |connection, _| {
        let _ = slot.set(IOStream::new(connection).map_err(Error::from));
    })?;
    let peer = std::net::TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port)))?;
    let stream = co.yield_(accepted)?;
    handle.remove();
    Ok((stream, peer))
}

fn closed_cause(error: &Error) -> Option<Error> {
    error
        .downcast_ref::<StreamClosedError>()
        .unwrap_or_else(|| panic!("not a StreamClosedError: {error:?}"))
        .real_error
        .clone()
}

#[test]
fn peer_closes_mid_read() {
    run_net(|co| {
        let (stream, mut peer) = raw_peer(co)?;
        let read = stream.read_bytes(100, false);
        peer.write_all(&[7; 10])?;
        drop(peer);
        let error = co.yield_(read).unwrap_err();
        assert!(closed_cause(&error).is_none(), "a clean close has no cause");
        // The ten bytes that came are still there to read.
        assert_eq!(co.yield_(stream.read_bytes(10, false))?, vec![7; 10]);
        assert!(
            co.yield_(stream.read_bytes(1, false))
                .unwrap_err()
                .is::<StreamClosedError>()
        );
        Ok(())
    })
    .unwrap();
}

#[test]
fn unbounded_line_with_max_bytes() {
    // The peer writes from another thread: the real clock.
    run_net_real(|co| {
        let logs = LogCapture::start();
        let (stream, mut peer) = raw_peer(co)?;
        let writer = std::thread::spawn(move || {
            // A megabyte without a newline; the write fails once gust closes.
            let _ = peer.write_all(&vec![b'x'; 1 << 20]);
        });
        let error = co.yield_(stream.read_until(b"\n", Some(64 * 1024))).unwrap_err();
        let cause = closed_cause(&error).unwrap();
        assert!(cause.is::<UnsatisfiableReadError>());
        assert_eq!(cause.to_string(), "delimiter b'\\n' not found within 65536 bytes");
        assert!(stream.error().unwrap().is::<UnsatisfiableReadError>());
        assert_eq!(
            logs.records()
                .iter()
                .filter(|r| r.message.starts_with("Unsatisfiable read"))
                .count(),
            1
        );
        writer.join().unwrap();
        Ok(())
    })
    .unwrap();
}

#[test]
fn unbounded_line_fills_the_buffer() {
    run_net_real(|co| {
        let logs = LogCapture::start();
        let (listener, port) = bind_unused_port(false)?;
        let accepted: Future<IOStream> = Future::new();
        let slot = accepted.clone();
        let options = StreamOptions {
            max_buffer_size: 256 * 1024,
            ..StreamOptions::default()
        };
        let handle = add_accept_handler(listener, move |connection, _| {
            let _ = slot.set(IOStream::with_options(connection, options).map_err(Error::from));
        })?;
        let mut peer = std::net::TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port)))?;
        let stream = co.yield_(accepted)?;
        handle.remove();
        let writer = std::thread::spawn(move || {
            let _ = peer.write_all(&vec![b'x'; 4 << 20]);
        });
        let error = co.yield_(stream.read_until(b"\n", None)).unwrap_err();
        assert!(closed_cause(&error).unwrap().is::<StreamBufferFullError>());
        assert!(logs.app_errors().is_empty());
        assert!(
            logs.records()
                .iter()
                .any(|r| r.level == log::Level::Error && r.message == "Reached maximum read buffer size")
        );
        writer.join().unwrap();
        Ok(())
    })
    .unwrap();
}

#[test]
fn reset_by_peer() {
    run_net(|co| {
        let logs = LogCapture::start();
        let (stream, peer) = raw_peer(co)?;
        let read = stream.read_until(b"\r\n", None);
        // SO_LINGER with a zero timeout: closing sends a reset.
        let peer = socket2::Socket::from(peer);
        peer.set_linger(Some(Duration::ZERO))?;
        drop(peer);
        let error = co.yield_(read).unwrap_err();
        let cause = closed_cause(&error).unwrap();
        assert_eq!(
            cause.downcast_ref::<std::io::Error>().unwrap().kind(),
            std::io::ErrorKind::ConnectionReset
        );
        // A reset is not worth a log line (Tornado's _ERRNO_CONNRESET).
        assert!(logs.records().iter().all(|r| r.level > log::Level::Warn));
        // The loop goes on.
        co.yield_(gen_::sleep(Duration::from_millis(1)))?;
        Ok(())
    })
    .unwrap();
}

/// The peer sends data and resets the connection before the loop looks:
/// one event brings both. Reading the data, then reading on, must end in
/// the reset, not in a clean end of stream.
fn data_then_reset(co: &Co) -> Result<IOStream, Error> {
    let (stream, mut peer) = raw_peer(co)?;
    peer.write_all(&[7; 10])?;
    let peer = socket2::Socket::from(peer);
    peer.set_linger(Some(Duration::ZERO))?;
    drop(peer);
    Ok(stream)
}

fn assert_reset(error: &Error) {
    let cause = closed_cause(error).expect("the reset was lost: a clean close instead");
    assert_eq!(
        cause.downcast_ref::<std::io::Error>().unwrap().kind(),
        std::io::ErrorKind::ConnectionReset,
        "{cause:?}"
    );
}

#[test]
fn reset_with_data_is_kept_for_a_read_started_from_a_done_callback() {
    // What the HTTP client does: the first read completes in the event
    // that also brought the reset, and its done callback starts the next
    // read at once, before the stream's deferred close has run.
    run_net(|co| {
        let logs = LogCapture::start();
        let (stream, peer) = raw_peer(co)?;
        let first = stream.read_bytes(100, true);
        let second: Future<Vec<u8>> = Future::new();
        let (reader, out) = (stream.clone(), second.clone());
        first
            .add_done_callback(move |_| gust::concurrent::chain_future(&reader.read_bytes(100, false), &out));
        let mut peer = peer;
        peer.write_all(&[7; 10])?;
        let peer = socket2::Socket::from(peer);
        peer.set_linger(Some(Duration::ZERO))?;
        drop(peer);
        assert_eq!(co.yield_(first)?, vec![7; 10]);
        let error = co.yield_(second).unwrap_err();
        assert_reset(&error);
        assert_reset(&Error::new(StreamClosedError::new(stream.error())));
        assert!(stream.closed());
        assert!(logs.records().iter().all(|r| r.level > log::Level::Warn));
        Ok(())
    })
    .unwrap();
}

#[test]
fn reset_with_data_is_kept_for_a_later_read() {
    // The event is handled while no read is pending (a close callback
    // makes the idle stream read what came); the data is still delivered,
    // and the read after it fails with the reset.
    run_net(|co| {
        let stream = data_then_reset(co)?;
        let closed: Future<()> = Future::new();
        let on_close = closed.clone();
        stream.set_close_callback(move || {
            let _ = on_close.set_result(());
        });
        // Let the loop see the event while nothing is being read.
        co.yield_(gen_::sleep(Duration::from_millis(5)))?;
        assert_eq!(stream.read_buffer_size(), 10);
        assert_eq!(co.yield_(stream.read_bytes(10, false))?, vec![7; 10]);
        let error = co.yield_(stream.read_bytes(1, false)).unwrap_err();
        assert_reset(&error);
        co.yield_(closed)?;
        Ok(())
    })
    .unwrap();
}

#[test]
fn second_read_is_a_typed_error() {
    run_net(|co| {
        let (rs, ws) = tcp_pair(co, StreamOptions::default())?;
        let first = rs.read_bytes(4, false);
        let second = rs.read_until(b"\n", None);
        assert!(second.take_result().unwrap_err().is::<AlreadyReadingError>());
        let into = rs.read_into(vec![0; 4], false);
        assert!(into.take_result().unwrap_err().is::<AlreadyReadingError>());
        // The first read is unaffected.
        ws.write(b"abcd");
        assert_eq!(co.yield_(first)?, b"abcd");
        // On a closed stream it is a StreamClosedError instead.
        let pending = rs.read_bytes(1, false);
        rs.close();
        assert!(pending.take_result().unwrap_err().is::<StreamClosedError>());
        assert!(
            rs.read_bytes(1, false)
                .take_result()
                .unwrap_err()
                .is::<StreamClosedError>()
        );
        Ok(())
    })
    .unwrap();
}

#[test]
fn write_to_closed_stream_and_buffer_full() {
    run_net(|co| {
        let options = StreamOptions {
            max_write_buffer_size: Some(1024),
            ..StreamOptions::default()
        };
        let (rs, ws) = tcp_pair(co, options)?;
        // Fill the socket, then the write buffer.
        let mut accepted = 0usize;
        loop {
            let f = ws.write(vec![0u8; 512]);
            if f.done() && f.is_failed() {
                assert!(f.take_result().unwrap_err().is::<StreamBufferFullError>());
                break;
            }
            accepted += 512;
            assert!(accepted < 64 << 20, "the write buffer never filled");
        }
        assert!(ws.write_buffer_size() <= 1024);
        let pending = ws.write(b"");
        ws.close();
        assert!(pending.take_result().unwrap_err().is::<StreamClosedError>());
        let late = ws.write(b"late");
        assert!(late.take_result().unwrap_err().is::<StreamClosedError>());
        rs.close();
        Ok(())
    })
    .unwrap();
}

#[test]
fn dropping_a_stream_fails_its_reads_and_removes_its_handler() {
    let io_loop = IOLoop::with_clock(gust::ioloop::ManualClock::autojump());
    let before = io_loop.handler_count();
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let a = IOStream::new(a).unwrap();
    let b = IOStream::new(b).unwrap();
    assert_eq!(io_loop.handler_count(), before + 2);
    assert_eq!(gust::iostream::stream_count(&io_loop), 2);
    let read = a.read_bytes(1, false);
    drop(a);
    assert!(read.take_result().unwrap_err().is::<StreamClosedError>());
    assert_eq!(io_loop.handler_count(), before + 1);
    drop(b);
    assert_eq!(io_loop.handler_count(), before);
    assert_eq!(gust::iostream::stream_count(&io_loop), 0);
}

#[test]
fn closing_the_loop_closes_open_streams() {
    let io_loop = IOLoop::new();
    let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    let a = IOStream::new(a).unwrap();
    let read = a.read_bytes(1, false);
    io_loop.close().unwrap();
    assert!(a.closed());
    let error = read.take_result().unwrap_err();
    assert!(closed_cause(&error).unwrap().is_cancellation());
    assert_eq!(io_loop.handler_count(), 0);
}

#[test]
fn counts_back_to_zero_after_many_failures() {
    // Every way of failing above, many times over, leaves nothing behind
    // (run_net asserts the counts).
    run_net(|co| {
        for _ in 0..50 {
            let (stream, mut peer) = raw_peer(co)?;
            let read = stream.read_until(b"\n", Some(8));
            peer.write_all(b"0123456789")?;
            assert!(co.yield_(read).is_err());
        }
        Ok(())
    })
    .unwrap();
}
