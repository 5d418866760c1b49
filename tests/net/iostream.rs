//! Tornado's `TestReadWriteMixin`, `TestIOStreamMixin`,
//! `TestIOStreamWebMixin` and `TestPipeIOStream`, on TCP streams (and the
//! read/write cases on Unix socket pairs and pipes too).

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use gust::concurrent::Future;
use gust::gen_;
use gust::iostream::{IOStream, StreamClosedError, StreamOptions};
use gust::prelude::*;
use gust::tcpserver::TCPServer;

use crate::{pipe_pair, run_net, tcp_pair, unix_pair};
use gust::testing::LogCapture;
use log::Level;

fn with_chunk(read_chunk_size: usize) -> StreamOptions {
    StreamOptions {
        read_chunk_size,
        ..StreamOptions::default()
    }
}

fn with_max_buffer(max_buffer_size: usize) -> StreamOptions {
    StreamOptions {
        max_buffer_size,
        ..StreamOptions::default()
    }
}

/// Which pair of streams a read/write test runs on.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Tcp,
    Unix,
    Pipe,
}

const KINDS: [Kind; 3] = [Kind::Tcp, Kind::Unix, Kind::Pipe];

/// (reader, writer)
fn pair(co: &Co, kind: Kind, options: StreamOptions) -> Result<(IOStream, IOStream), Error> {
    match kind {
        Kind::Tcp => tcp_pair(co, options),
        Kind::Unix => unix_pair(options),
        Kind::Pipe => pipe_pair(options),
    }
}

fn for_each_kind<F>(test: F)
where
    F: Fn(&Co, Kind) -> Result<(), Error> + Clone + 'static,
{
    for kind in KINDS {
        let test = test.clone();
        run_net(move |co| test(co, kind)).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }
}

fn is_closed_error(e: &Error) -> bool {
    e.is::<StreamClosedError>()
}

#[test]
fn write_zero_bytes() {
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        co.yield_(ws.write(b""))?;
        ws.close();
        rs.close();
        Ok(())
    });
}

#[test]
fn future_delayed_close_callback() {
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        ws.write(b"12");
        let first = co.yield_(rs.read_bytes(1, false))?;
        ws.close();
        let second = co.yield_(rs.read_bytes(1, false))?;
        assert_eq!((first, second), (b"1".to_vec(), b"2".to_vec()));
        rs.close();
        Ok(())
    });
}

#[test]
fn close_buffered_data() {
    // Data still in the OS's socket buffer when the peer closes is read
    // before the close is noticed.
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, with_chunk(256))?;
        ws.write(vec![b'A'; 512]);
        assert_eq!(co.yield_(rs.read_bytes(256, false))?, vec![b'A'; 256]);
        ws.close();
        co.yield_(gen_::sleep(Duration::from_millis(10)))?;
        assert_eq!(co.yield_(rs.read_bytes(256, false))?, vec![b'A'; 256]);
        rs.close();
        Ok(())
    });
}

#[test]
fn read_until_close_after_close() {
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        ws.write(b"1234");
        let data = co.yield_(rs.read_bytes(1, false))?;
        ws.close();
        assert_eq!(data, b"1");
        assert_eq!(co.yield_(rs.read_until_close())?, b"234");
        assert!(rs.closed());
        Ok(())
    });
}

#[test]
fn large_read_until() {
    // Tornado's performance test: read_until used to be quadratic.
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        const NUM_KB: usize = 4096;
        for _ in 0..NUM_KB {
            ws.write(vec![b'A'; 1024]);
        }
        ws.write(b"\r\n");
        let data = co.yield_(rs.read_until(b"\r\n", None))?;
        assert_eq!(data.len(), NUM_KB * 1024 + 2);
        Ok(())
    });
}

#[test]
fn read_until_with_close_after_second_packet() {
    // Tornado issue #2717: the second chunk, smaller than the first,
    // arrives with the close.
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        let read = rs.read_until(b"done", None);
        co.yield_(gen_::sleep(Duration::from_millis(100)))?;
        co.yield_(ws.write(vec![b'x'; 2048]))?;
        ws.write(b"done");
        ws.close();
        let data = co.yield_(read)?;
        assert!(data.ends_with(b"done"));
        assert_eq!(data.len(), 2052);
        Ok(())
    });
}

#[test]
fn read_until_unsatisfied_after_close() {
    // A stream closed while reading raises StreamClosedError, not
    // UnsatisfiableReadError.
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        let read = rs.read_until(b"done", None);
        co.yield_(ws.write(vec![b'x'; 2048]))?;
        ws.write(b"foo");
        ws.close();
        let error = co.yield_(read).unwrap_err();
        assert!(is_closed_error(&error), "{error}");
        assert!(rs.error().is_none());
        Ok(())
    });
}

#[test]
fn close_callback_with_pending_read() {
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        let closed: Future<()> = Future::new();
        let c = closed.clone();
        rs.set_close_callback(move || {
            let _ = c.set_result(());
        });
        ws.write(b"OK\r\n");
        assert_eq!(co.yield_(rs.read_until(b"\r\n", None))?, b"OK\r\n");
        ws.close();
        let pending = rs.read_until(b"\r\n", None);
        co.yield_(closed)?;
        assert!(pending.take_result().unwrap_err().is::<StreamClosedError>());
        Ok(())
    });
}

#[test]
fn future_close_callback() {
    // The close callback runs for a stream nobody is reading from.
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        let closed = Rc::new(Cell::new(false));
        let signal: Future<()> = Future::new();
        let (flag, s) = (closed.clone(), signal.clone());
        rs.set_close_callback(move || {
            flag.set(true);
            let _ = s.set_result(());
        });
        ws.write(b"a");
        assert_eq!(co.yield_(rs.read_bytes(1, false))?, b"a");
        assert!(!closed.get());
        ws.close();
        co.yield_(signal)?;
        assert!(closed.get());
        assert!(rs.closed());
        Ok(())
    });
}

#[test]
fn read_bytes_partial() {
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        // More than is available, with partial.
        let read = rs.read_bytes(50, true);
        ws.write(b"hello");
        assert_eq!(co.yield_(read)?, b"hello");
        // Less than is available: num_bytes is still respected.
        let read = rs.read_bytes(3, true);
        ws.write(b"world");
        assert_eq!(co.yield_(read)?, b"wor");
        // read_bytes(0) returns nothing, even partial.
        assert_eq!(co.yield_(rs.read_bytes(0, true))?, b"");
        assert_eq!(co.yield_(rs.read_bytes(2, false))?, b"ld");
        Ok(())
    });
}

#[test]
fn read_until_max_bytes() {
    for_each_kind(|co, kind| {
        let logs = LogCapture::start();
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        let closed: Future<()> = Future::new();
        let c = closed.clone();
        rs.set_close_callback(move || {
            let _ = c.set_result(());
        });
        // Room to spare.
        let read = rs.read_until(b"def", Some(50));
        ws.write(b"abcdef");
        assert_eq!(co.yield_(read)?, b"abcdef");
        // Just enough.
        let read = rs.read_until(b"def", Some(6));
        ws.write(b"abcdef");
        assert_eq!(co.yield_(read)?, b"abcdef");
        // Not enough: we only know once the data is there; the stream
        // closes, logging why.
        let read = rs.read_until(b"def", Some(5));
        ws.write(b"123456");
        co.yield_(closed)?;
        let error = read.take_result().unwrap_err();
        let closed_error = error.downcast_ref::<StreamClosedError>().unwrap();
        let real = closed_error.real_error.as_ref().unwrap();
        assert_eq!(real.to_string(), "delimiter b'def' not found within 5 bytes");
        assert!(logs.records().iter().any(|r| r.level == Level::Info
            && r.target == "gust::general"
            && r.message
                == "Unsatisfiable read, closing connection: delimiter b'def' not found within 5 bytes"));
        Ok(())
    });
}

#[test]
fn read_until_max_bytes_inline() {
    // The data is there before the read: the error still goes into the
    // future, not out of read_until.
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        let closed: Future<()> = Future::new();
        let c = closed.clone();
        rs.set_close_callback(move || {
            let _ = c.set_result(());
        });
        co.yield_(ws.write(b"123456"))?;
        co.yield_(gen_::sleep(Duration::from_millis(1)))?;
        let error = co.yield_(rs.read_until(b"def", Some(5))).unwrap_err();
        assert!(is_closed_error(&error));
        co.yield_(closed)?;
        Ok(())
    });
}

#[test]
fn read_until_max_bytes_ignores_extra() {
    // The delimiter arrives in the packet that goes over the limit: still
    // not found within it.
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        let closed: Future<()> = Future::new();
        let c = closed.clone();
        rs.set_close_callback(move || {
            let _ = c.set_result(());
        });
        ws.write(b"abcdef");
        let read = rs.read_until(b"def", Some(5));
        co.yield_(closed)?;
        assert!(read.take_result().unwrap_err().is::<StreamClosedError>());
        Ok(())
    });
}

#[test]
fn small_reads_from_large_buffer() {
    // 10 KB buffer, 100 KB available, read 1 KB at a time: the buffer is
    // not filled eagerly.
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, with_max_buffer(10 * 1024))?;
        ws.write(vec![b'a'; 1024 * 100]);
        for _ in 0..100 {
            assert_eq!(co.yield_(rs.read_bytes(1024, false))?, vec![b'a'; 1024]);
        }
        Ok(())
    });
}

#[test]
fn small_read_untils_from_large_buffer() {
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, with_max_buffer(10 * 1024))?;
        let mut line = vec![b'a'; 1023];
        line.push(b'\n');
        ws.write(line.repeat(100));
        for _ in 0..100 {
            assert_eq!(co.yield_(rs.read_until(b"\n", Some(4096)))?, line);
        }
        Ok(())
    });
}

#[test]
fn flow_control() {
    // The writer writes more than the reader will buffer; the reader reads
    // gradually.
    for_each_kind(|co, kind| {
        const MB: usize = 1024 * 1024;
        let (rs, ws) = pair(co, kind, with_max_buffer(5 * MB))?;
        let written = ws.write(vec![b'a'; 10 * MB]);
        co.yield_(rs.read_bytes(MB, false))?;
        co.yield_(gen_::sleep(Duration::from_millis(100)))?;
        // The write is held back by the slow reader.
        assert!(!written.done());
        assert!(ws.writing());
        assert!(rs.read_buffer_size() <= 5 * MB);
        for _ in 0..9 {
            assert_eq!(co.yield_(rs.read_bytes(MB, false))?.len(), MB);
        }
        co.yield_(written)?;
        Ok(())
    });
}

#[test]
fn read_into() {
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        let read = rs.read_into(vec![0; 10], false);
        ws.write(b"hello");
        co.yield_(gen_::sleep(Duration::from_millis(50)))?;
        assert!(rs.reading());
        ws.write(b"world!!");
        let (buf, n) = co.yield_(read)?;
        assert!(!rs.reading());
        assert_eq!((n, &buf[..]), (10, &b"helloworld"[..]));

        // What is buffered goes into the caller's buffer first.
        let read = rs.read_into(buf, false);
        co.yield_(gen_::sleep(Duration::from_millis(50)))?;
        assert!(rs.reading());
        ws.write(b"1234567890");
        let (buf, n) = co.yield_(read)?;
        assert!(!rs.reading());
        assert_eq!((n, &buf[..]), (10, &b"!!12345678"[..]));

        // The buffer satisfies the read at once.
        ws.write(b"abcdefghi");
        let (buf, n) = co.yield_(rs.read_into(vec![0; 4], false))?;
        assert_eq!((n, &buf[..]), (4, &b"90ab"[..]));
        assert_eq!(co.yield_(rs.read_bytes(7, false))?, b"cdefghi");
        Ok(())
    });
}

#[test]
fn read_into_partial() {
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        let read = rs.read_into(vec![0; 10], true);
        ws.write(b"hello");
        let (buf, n) = co.yield_(read)?;
        assert!(!rs.reading());
        assert_eq!((n, &buf[..]), (5, &b"hello\0\0\0\0\0"[..]));

        // A full read despite partial.
        ws.write(b"world!1234567890");
        co.yield_(gen_::sleep(Duration::from_millis(1)))?;
        let (buf, n) = co.yield_(rs.read_into(buf, true))?;
        assert_eq!((n, &buf[..]), (10, &b"world!1234"[..]));

        // The buffer satisfies it at once.
        let (buf, n) = co.yield_(rs.read_into(buf, true))?;
        assert_eq!((n, &buf[..]), (6, &b"5678901234"[..]));
        Ok(())
    });
}

#[test]
fn read_into_zero_bytes() {
    for_each_kind(|co, kind| {
        let (rs, _ws) = pair(co, kind, StreamOptions::default())?;
        let read = rs.read_into(Vec::new(), false);
        assert!(read.done());
        assert_eq!(read.take_result()?.1, 0);
        Ok(())
    });
}

/// A small deterministic generator (the test needs sizes, not quality).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn many_mixed_reads() {
    // Back and forth between read_bytes (the stream's buffer) and
    // read_into (the caller's).
    for_each_kind(|co, kind| {
        const NBYTES: usize = 1_000_000;
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        let mut rng = XorShift(42);
        let data: Vec<u8> = (0..NBYTES).map(|_| rng.next() as u8).collect();
        let produced = data.clone();
        let producer = gen_::coroutine(move |co| {
            let mut rng = XorShift(7);
            let mut at = 0;
            while at < NBYTES {
                let size = (1 + rng.below(1000)).min(NBYTES - at);
                co.yield_(ws.write(Vec::from(&produced[at..at + size])))?;
                at += size;
            }
            Ok(())
        });
        let consumer = gen_::coroutine(move |co| {
            let mut rng = XorShift(99);
            let mut received = Vec::with_capacity(NBYTES);
            while received.len() < NBYTES {
                let size = (1 + rng.below(1000)).min(NBYTES - received.len());
                if rng.below(2) == 0 {
                    received.extend(co.yield_(rs.read_bytes(size, false))?);
                } else {
                    let (buf, n) = co.yield_(rs.read_into(vec![0; size], false))?;
                    assert_eq!(n, size);
                    received.extend(buf);
                }
            }
            Ok(received)
        });
        let ((), received) = co.yield_((producer, consumer))?;
        assert!(received == data);
        Ok(())
    });
}

#[test]
fn future_write() {
    // Write futures are never orphaned: concurrent writers filling the
    // socket buffer each see their writes complete.
    run_net(|co| {
        let (m, n, producers) = (5000, 100, 10);
        let total = m * n * producers;
        let (server, client) = tcp_pair(co, with_max_buffer(total))?;
        let produce = |server: IOStream| {
            gen_::coroutine(move |co| {
                let data = vec![b'x'; m];
                for _ in 0..n {
                    co.yield_(server.write(data.clone()))?;
                }
                Ok(())
            })
        };
        let all: Vec<Future<()>> = (0..producers).map(|_| produce(server.clone())).collect();
        let consume = gen_::coroutine(move |co| {
            let mut read = 0;
            while read < total {
                read += co.yield_(client.read_bytes(m, false))?.len();
            }
            Ok(read)
        });
        let (_, read) = co.yield_((all, consume))?;
        assert_eq!(read, total);
        Ok(())
    })
    .unwrap();
}

#[test]
fn pipe_iostream() {
    run_net(|co| {
        let (rs, ws) = pipe_pair(StreamOptions::default())?;
        ws.write(b"hel");
        ws.write(b"lo world");
        assert_eq!(co.yield_(rs.read_until(b" ", None))?, b"hello ");
        assert_eq!(co.yield_(rs.read_bytes(3, false))?, b"wor");
        ws.close();
        assert_eq!(co.yield_(rs.read_until_close())?, b"ld");
        rs.close();
        Ok(())
    })
    .unwrap();
}

#[test]
fn pipe_iostream_big_write() {
    run_net(|co| {
        let (rs, ws) = pipe_pair(StreamOptions::default())?;
        const NUM_BYTES: usize = 1_048_576;
        // More than the pipe holds.
        ws.write(vec![b'1'; NUM_BYTES]);
        assert_eq!(co.yield_(rs.read_bytes(NUM_BYTES, false))?, vec![b'1'; NUM_BYTES]);
        Ok(())
    })
    .unwrap();
}

// --------------------------------------------------------------------
// TestIOStreamMixin / TestIOStreamWebMixin (against a small server
// standing in for Tornado's HTTP "Hello" application)
// --------------------------------------------------------------------

const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHello";

/// A server that reads a request head, answers `RESPONSE` and closes.
fn hello_server() -> Result<(TCPServer, std::net::SocketAddr), Error> {
    let server = TCPServer::new(|stream: IOStream, _| {
        gen_::coroutine(move |co| {
            co.yield_(stream.read_until(b"\r\n\r\n", None))?;
            co.yield_(stream.write(RESPONSE))?;
            stream.close();
            Ok(())
        })
    });
    server.listen(0, "127.0.0.1")?;
    let address = server.local_addrs()[0];
    Ok((server, address))
}

#[test]
fn connection_closed_after_response_can_be_read() {
    // test_read_until_close: the data comes through before the close.
    run_net(|co| {
        let (server, address) = hello_server()?;
        let stream = co.yield_(IOStream::connect(address))?;
        stream.write(b"GET / HTTP/1.0\r\n\r\n");
        let data = co.yield_(stream.read_until_close())?;
        assert!(data.starts_with(b"HTTP/1.1 200"));
        assert!(data.ends_with(b"Hello"));
        server.stop();
        Ok(())
    })
    .unwrap();
}

#[test]
fn read_zero_bytes() {
    run_net(|co| {
        let (server, address) = hello_server()?;
        let stream = co.yield_(IOStream::connect(address))?;
        stream.write(b"GET / HTTP/1.0\r\n\r\n");
        assert_eq!(co.yield_(stream.read_bytes(9, false))?, b"HTTP/1.1 ");
        assert_eq!(co.yield_(stream.read_bytes(0, false))?, b"");
        assert_eq!(co.yield_(stream.read_bytes(3, false))?, b"200");
        stream.close();
        server.stop();
        Ok(())
    })
    .unwrap();
}

#[test]
fn write_while_connecting() {
    // A write before the connection completes is sent once it does; the
    // connect future resolves before the write's.
    run_net(|co| {
        let (server, address) = hello_server()?;
        let (stream, connected) = IOStream::connecting(address, None, StreamOptions::default())?;
        let written = stream.write(b"GET / HTTP/1.0\r\nConnection: close\r\n\r\n");
        assert!(!connected.done());
        assert!(stream.is_connecting());
        let order = Rc::new(std::cell::RefCell::new(Vec::new()));
        let (o1, o2) = (order.clone(), order.clone());
        connected.add_done_callback(move |_| o1.borrow_mut().push("connect"));
        written.add_done_callback(move |_| o2.borrow_mut().push("write"));
        let data = co.yield_(stream.read_until_close())?;
        assert_eq!(*order.borrow(), vec!["connect", "write"]);
        assert!(data.ends_with(b"Hello"));
        server.stop();
        Ok(())
    })
    .unwrap();
}

#[test]
fn future_interface() {
    run_net(|co| {
        let (server, address) = hello_server()?;
        let (stream, connected) = IOStream::connecting(address, None, StreamOptions::default())?;
        let result = co.yield_(connected)?;
        assert!(result.ptr_eq(&stream));
        co.yield_(stream.write(b"GET / HTTP/1.0\r\n\r\n"))?;
        assert_eq!(
            co.yield_(stream.read_until(b"\r\n", None))?,
            b"HTTP/1.1 200 OK\r\n"
        );
        let head = co.yield_(stream.read_until(b"\r\n\r\n", None))?;
        let head = String::from_utf8(head).unwrap();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(co.yield_(stream.read_bytes(length, false))?, b"Hello");
        stream.close();
        server.stop();
        Ok(())
    })
    .unwrap();
}

#[test]
fn future_close_while_reading() {
    run_net(|co| {
        let (server, address) = hello_server()?;
        let stream = co.yield_(IOStream::connect(address))?;
        co.yield_(stream.write(b"GET / HTTP/1.0\r\n\r\n"))?;
        let error = co.yield_(stream.read_bytes(1024 * 1024, false)).unwrap_err();
        assert!(is_closed_error(&error));
        server.stop();
        Ok(())
    })
    .unwrap();
}

#[test]
fn future_read_until_close() {
    // The data comes before the StreamClosedError; after it, a read fails
    // at once.
    run_net(|co| {
        let (server, address) = hello_server()?;
        let stream = co.yield_(IOStream::connect(address))?;
        co.yield_(stream.write(b"GET / HTTP/1.0\r\nConnection: close\r\n\r\n"))?;
        co.yield_(stream.read_until(b"\r\n\r\n", None))?;
        assert_eq!(co.yield_(stream.read_until_close())?, b"Hello");
        let read = stream.read_bytes(1, false);
        assert!(read.done());
        assert!(read.take_result().unwrap_err().is::<StreamClosedError>());
        server.stop();
        Ok(())
    })
    .unwrap();
}

#[test]
fn connection_refused() {
    // The connect fails with StreamClosedError; the stream's error is the
    // refusal; the close callback runs.
    run_net(|co| {
        let (_keep, port) = crate::refusing_port();
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let (stream, connected) = IOStream::connecting(address, None, StreamOptions::default())?;
        let closed: Future<()> = Future::new();
        let c = closed.clone();
        stream.set_close_callback(move || {
            let _ = c.set_result(());
        });
        let error = co.yield_(connected).unwrap_err();
        let closed_error = error.downcast_ref::<StreamClosedError>().unwrap();
        assert_eq!(
            closed_error.real_io_error_kind(),
            Some(std::io::ErrorKind::ConnectionRefused)
        );
        let cause = stream.error().unwrap();
        assert_eq!(
            cause.downcast_ref::<std::io::Error>().unwrap().kind(),
            std::io::ErrorKind::ConnectionRefused
        );
        co.yield_(closed)?;
        Ok(())
    })
    .unwrap();
}

#[test]
fn native_async_reads_and_writes() {
    // The same futures, awaited from a Rust async block.
    run_net(|co| {
        let (rs, ws) = tcp_pair(co, StreamOptions::default())?;
        let io_loop = IOLoop::current();
        let task = io_loop.spawn(async move {
            ws.write(b"ping\n").await?;
            let line = rs.read_until(b"\n", None).await?;
            Ok::<_, Error>(line)
        });
        assert_eq!(co.yield_(task)?, b"ping\n");
        Ok(())
    })
    .unwrap();
}

// ---------------------------------------------------------------------
// read_available and the read callback (gust's read without a future, for
// protocols that own their stream)
// ---------------------------------------------------------------------

/// A read callback that counts its calls and signals a future each time.
fn counting_callback(stream: &IOStream) -> (Rc<Cell<usize>>, Rc<std::cell::RefCell<Future<()>>>) {
    let calls = Rc::new(Cell::new(0));
    let signal = Rc::new(std::cell::RefCell::new(Future::new()));
    let (c, s) = (calls.clone(), signal.clone());
    stream.set_read_callback(move || {
        c.set(c.get() + 1);
        let fired = s.replace(Future::new());
        let _ = fired.set_result(());
    });
    (calls, signal)
}

/// The future the next call of the callback resolves.
fn next_call(signal: &Rc<std::cell::RefCell<Future<()>>>) -> Future<()> {
    signal.borrow().clone()
}

#[test]
fn read_available_appends_what_is_there_and_calls_back_when_more_comes() {
    run_net(|co| {
        let (rs, ws) = tcp_pair(co, StreamOptions::default())?;
        let (calls, signal) = counting_callback(&rs);
        let mut input = b"kept:".to_vec();
        // Nothing yet: 0, and the callback is armed.
        assert_eq!(rs.read_available(&mut input, 1024)?, 0);
        assert_eq!(calls.get(), 0);
        ws.write(b"hello world");
        co.yield_(next_call(&signal))?;
        assert_eq!(calls.get(), 1);
        // At most max_bytes; the rest stays buffered for the next read.
        assert_eq!(rs.read_available(&mut input, 5)?, 5);
        assert_eq!(input, b"kept:hello");
        assert_eq!(rs.read_buffer_size(), 6);
        assert_eq!(co.yield_(rs.read_bytes(6, false))?, b" world");
        // Not armed (the last read_available found data): more data does
        // not call back until read_available finds nothing again.
        ws.write(b"!");
        co.yield_(gen_::sleep(Duration::from_millis(5)))?;
        assert_eq!(calls.get(), 1);
        let mut more = Vec::new();
        assert_eq!(rs.read_available(&mut more, 1024)?, 1);
        assert_eq!(more, b"!");
        assert_eq!(rs.read_available(&mut more, 1024)?, 0);
        // The peer closes: the callback runs, and read_available says so.
        ws.close();
        co.yield_(next_call(&signal))?;
        assert_eq!(calls.get(), 2);
        let error = rs.read_available(&mut more, 1024).unwrap_err();
        assert!(error.is::<StreamClosedError>(), "{error:?}");
        assert!(rs.closed());
        Ok(())
    })
    .unwrap();
}

#[test]
fn read_available_and_future_reads_do_not_mix_while_waiting() {
    run_net(|co| {
        let (rs, ws) = tcp_pair(co, StreamOptions::default())?;
        let (calls, _signal) = counting_callback(&rs);
        let mut input = Vec::new();
        assert_eq!(rs.read_available(&mut input, 1024)?, 0);
        // A future read takes over: the armed callback is not called for
        // the data that read consumes.
        let read = rs.read_bytes(3, false);
        let error = rs.read_available(&mut input, 1024).unwrap_err();
        assert!(error.is::<gust::iostream::AlreadyReadingError>(), "{error:?}");
        ws.write(b"abc");
        assert_eq!(co.yield_(read)?, b"abc");
        assert_eq!(calls.get(), 0);
        // Closing our side drops the callback (it may hold the owner).
        rs.close();
        assert_eq!(calls.get(), 0);
        let error = rs.read_available(&mut input, 1024).unwrap_err();
        assert!(error.is::<StreamClosedError>());
        ws.close();
        Ok(())
    })
    .unwrap();
}

#[test]
fn read_available_on_a_closed_stream_returns_what_was_buffered_first() {
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        co.yield_(ws.write(b"last words"))?;
        ws.close();
        // Read the end of the stream with a future read that wants more.
        let error = co.yield_(rs.read_bytes(100, false)).unwrap_err();
        assert!(error.is::<StreamClosedError>());
        let mut input = Vec::new();
        assert_eq!(rs.read_available(&mut input, 4)?, 4);
        assert_eq!(rs.read_available(&mut input, 100)?, 6);
        assert_eq!(input, b"last words");
        assert!(rs.read_available(&mut input, 100).is_err());
        Ok(())
    });
}

#[test]
fn a_pending_read_takes_its_bytes_from_a_larger_chunk_and_leaves_the_rest() {
    // The read is pending when the data comes, and the chunk read holds
    // more than it wants: it completes with its bytes, the rest stays
    // buffered, in order (the stream's direct completion from the chunk).
    for_each_kind(|co, kind| {
        let (rs, ws) = pair(co, kind, StreamOptions::default())?;
        let first = rs.read_bytes(4, false);
        ws.write(b"abcdefghij");
        assert_eq!(co.yield_(first)?, b"abcd");
        assert_eq!(rs.read_buffer_size(), 6);
        let partial = rs.read_bytes(100, true);
        assert_eq!(co.yield_(partial)?, b"efghij");
        // A partial read pending when less than it asks for comes.
        let partial = rs.read_bytes(100, true);
        ws.write(b"xyz");
        assert_eq!(co.yield_(partial)?, b"xyz");
        // A read wanting more than one chunk brings: buffered until
        // complete.
        let whole = rs.read_bytes(8, false);
        ws.write(b"1234");
        co.yield_(gen_::sleep(Duration::from_millis(2)))?;
        assert!(!whole.done());
        ws.write(b"5678");
        assert_eq!(co.yield_(whole)?, b"12345678");
        Ok(())
    });
}
