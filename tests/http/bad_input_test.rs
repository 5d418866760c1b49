//! Bad input: every malformed request gets a clear answer (400, 413 or
//! 431, with a Date header), one log line, and the server goes on serving
//! other connections (Tornado's HTTPServerRawTest,
//! test_malformed_first_line, test_malformed_headers, BodyLimitsTest,
//! MaxHeaderSizeTest, test_invalid_content_length, ...).

use std::time::Duration;

use gust::gen_;
use gust::httpclient::AsyncHTTPClient;
use gust::httpserver::{HTTPServerOptions, ResponseWriter};
use gust::httputil::HTTPServerRequest;

use crate::support::*;
use gust::testing::LogCapture;

fn ok_handler(_req: HTTPServerRequest, resp: ResponseWriter) {
    resp.write("ok");
}

/// Sends `request` on a fresh connection; returns the reply and the lines
/// logged on `gust::general`.
fn bad(request: impl AsRef<[u8]> + 'static, options: HTTPServerOptions) -> (String, Vec<String>) {
    let logs = LogCapture::start();
    let io_loop = real_loop();
    let (server, base) = serve_with(ok_handler, options);
    let reply = run_on(&io_loop, move |co| exchange(co, &base, request.as_ref())).unwrap();
    server.stop();
    let logged = logs
        .records()
        .into_iter()
        .filter(|r| r.target == "gust::general")
        .map(|r| r.message)
        .collect();
    (reply, logged)
}

fn assert_answer(reply: &str, status: &str) {
    assert!(reply.starts_with(&format!("HTTP/1.1 {status}\r\n")), "{reply}");
    assert!(reply.contains("\r\nDate: "), "no Date header: {reply}");
    assert!(reply.contains("\r\nConnection: close\r\n"), "{reply}");
    assert!(
        reply.ends_with("Content-Length: 0\r\nConnection: close\r\n\r\n"),
        "{reply}"
    );
}

#[test]
fn malformed_first_line() {
    let (reply, logged) = bad(b"asdf\r\n\r\n", HTTPServerOptions::default());
    assert_answer(&reply, "400 Bad Request");
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(
        logged[0].starts_with("Malformed HTTP message from 127.0.0.1: "),
        "{logged:?}"
    );
}

#[test]
fn malformed_headers() {
    let (reply, logged) = bad(b"GET / HTTP/1.0\r\nasdf\r\n\r\n", HTTPServerOptions::default());
    assert_answer(&reply, "400 Bad Request");
    assert_eq!(logged.len(), 1);
}

#[test]
fn obsolete_line_folding_in_a_request_is_refused() {
    let (reply, _) = bad(
        b"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n",
        HTTPServerOptions::default(),
    );
    assert_answer(&reply, "400 Bad Request");
}

#[test]
fn host_header_rules() {
    // RFC 9112 section 3.2: HTTP/1.1 needs exactly one valid Host.
    for (request, message) in [
        (&b"GET / HTTP/1.1\r\n\r\n"[..], "Missing Host header"),
        (
            &b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"[..],
            "Multiple host headers not allowed: \"a,b\"",
        ),
        (
            &b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n"[..],
            "Invalid Host header: \"a b\"",
        ),
    ] {
        let (reply, logged) = bad(request, HTTPServerOptions::default());
        assert_answer(&reply, "400 Bad Request");
        assert_eq!(
            logged,
            [format!("Malformed HTTP message from 127.0.0.1: {message}")]
        );
    }
}

#[test]
fn invalid_content_length() {
    for (request, message) in [
        (
            &b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: foo\r\n\r\n"[..],
            "Only integer Content-Length is allowed: foo",
        ),
        (&b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"[..], "Only integer Content-Length is allowed: -1"),
        (
            &b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\nab"[..],
            "Multiple unequal Content-Lengths: \"1, 2\"",
        ),
        (
            &b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"[..],
            "Message with both Transfer-Encoding and Content-Length",
        ),
        (
            &b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"[..],
            "Unsupported Transfer-Encoding gzip",
        ),
    ] {
        let (reply, logged) = bad(request, HTTPServerOptions::default());
        assert_answer(&reply, "400 Bad Request");
        assert_eq!(logged, [format!("Malformed HTTP message from 127.0.0.1: {message}")]);
    }
}

#[test]
fn equal_repeated_content_lengths_are_accepted() {
    let io_loop = real_loop();
    let (_server, base) = serve(|req: HTTPServerRequest, resp: ResponseWriter| resp.write(req.body));
    let reply = run_on(&io_loop, move |co| {
        exchange(co, &base, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
    })
    .unwrap();
    assert!(reply.ends_with("\r\n\r\nhi"), "{reply}");
}

#[test]
fn bad_chunks() {
    for (request, message) in [
        (
            &b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"[..],
            "invalid chunk size",
        ),
        (
            &b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n"[..],
            "improperly terminated chunk",
        ),
        (
            &b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n"[..],
            "invalid chunk size",
        ),
        (
            &b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2;a\nb\r\nab\r\n0\r\n\r\n"[..],
            "invalid chunk extension",
        ),
    ] {
        let (reply, logged) = bad(request, HTTPServerOptions::default());
        assert_answer(&reply, "400 Bad Request");
        assert_eq!(
            logged,
            [format!("Malformed HTTP message from 127.0.0.1: {message}")]
        );
    }
}

#[test]
fn oversized_head_is_431() {
    // MaxHeaderSizeTest: a head over max_header_size (Tornado closes the
    // connection without an answer; RFC 6585 has 431 for it).
    let options = HTTPServerOptions {
        max_header_size: 1024,
        ..HTTPServerOptions::default()
    };
    let big = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Filler: {}\r\n\r\n",
        "a".repeat(2000)
    )
    .into_bytes();
    let (reply, logged) = bad(big, options.clone());
    assert_answer(&reply, "431 Request Header Fields Too Large");
    assert_eq!(
        logged,
        ["Malformed HTTP message from 127.0.0.1: Header section too large"]
    );
    // Just under the limit is fine.
    let io_loop = real_loop();
    let (_server, base) = serve_with(ok_handler, options);
    let fits = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Filler: {}\r\n\r\n",
        "a".repeat(900)
    );
    let reply = run_on(&io_loop, move |co| exchange(co, &base, fits.as_bytes())).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
}

#[test]
fn oversized_body_is_413() {
    // BodyLimitsTest: a Content-Length over max_body_size (Tornado: 400),
    // and a chunked body growing over it.
    let options = HTTPServerOptions {
        max_body_size: 4096,
        ..HTTPServerOptions::default()
    };
    let (reply, logged) = bad(
        b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 10240\r\n\r\n",
        options.clone(),
    );
    assert_answer(&reply, "413 Content Too Large");
    assert_eq!(
        logged,
        ["Malformed HTTP message from 127.0.0.1: Content-Length too long"]
    );
    let (reply, logged) = bad(
        b"PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n",
        HTTPServerOptions {
            max_body_size: 100,
            ..HTTPServerOptions::default()
        },
    );
    assert_answer(&reply, "413 Content Too Large");
    assert_eq!(
        logged,
        ["Malformed HTTP message from 127.0.0.1: chunked body too large"]
    );
}

#[test]
fn large_body_within_the_limit() {
    // BodyLimitsTest.test_large_body_streaming (without streaming): a body
    // of several reads arrives whole.
    let io_loop = real_loop();
    let (_server, base) =
        serve(|req: HTTPServerRequest, resp: ResponseWriter| resp.write(req.body.len().to_string()));
    let body = vec![b'x'; 1_000_000];
    let response = run_on(&io_loop, move |co| {
        co.yield_(
            AsyncHTTPClient::new().fetch(
                gust::httpclient::HTTPRequest::new(format!("{base}/"))
                    .method("PUT")
                    .body(body),
            ),
        )
    })
    .unwrap();
    assert_eq!(response.body, b"1000000");
}

#[test]
fn truncated_request_is_dropped_quietly() {
    // A client that closes mid-request: nothing to answer; the server
    // closes its side and goes on.
    let logs = LogCapture::start();
    let io_loop = real_loop();
    let (server, base) = serve(ok_handler);
    let s = server.clone();
    run_on(&io_loop, move |co| {
        let stream = connect(co, &base)?;
        co.yield_(stream.write(&b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"[..]))?;
        stream.close();
        co.yield_(gen_::sleep(Duration::from_millis(20)))?;
        Ok(())
    })
    .unwrap();
    assert_eq!(s.connection_count(), 0);
    assert!(logs.app_errors().is_empty());
}

#[test]
fn bad_connections_do_not_disturb_good_ones() {
    // While one connection sends garbage and another stalls mid-body, a
    // third is served normally.
    let _logs = LogCapture::start();
    let io_loop = real_loop();
    let (server, base) = serve(ok_handler);
    let results = run_on(&io_loop, move |co| {
        let garbage = connect(co, &base)?;
        let stalled = connect(co, &base)?;
        co.yield_(stalled.write(&b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\npartial"[..]))?;
        co.yield_(garbage.write(&b"\x00\x01\x02 not http\r\n\r\n"[..]))?;
        let client = AsyncHTTPClient::new();
        let fetches: Vec<_> = (0..5).map(|_| client.fetch(format!("{base}/"))).collect();
        let responses = co.yield_(fetches)?;
        let answer = co.yield_(garbage.read_until_close())?;
        stalled.close();
        Ok((
            responses.iter().map(|r| r.code).collect::<Vec<_>>(),
            String::from_utf8_lossy(&answer).into_owned(),
        ))
    })
    .unwrap();
    assert_eq!(results.0, [200; 5]);
    assert!(results.1.starts_with("HTTP/1.1 400 Bad Request"), "{}", results.1);
    server.stop();
}

#[test]
fn non_ascii_targets_are_answered() {
    // The request fuzzer's first find: an absolute-form check sliced a
    // target inside a multi-byte character (a panic).
    let io_loop = real_loop();
    let (_server, base) = serve(|req: HTTPServerRequest, resp: ResponseWriter| resp.write(req.path));
    let replies = run_on(&io_loop, move |co| {
        let a = exchange(co, &base, "GET http:/\u{8d}x? HTTP/1.0\r\n\r\n".as_bytes())?;
        let b = exchange(co, &base, "GET /caf\u{e9} HTTP/1.0\r\n\r\n".as_bytes())?;
        Ok((a, b))
    })
    .unwrap();
    assert!(
        replies.0.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{}",
        replies.0
    );
    assert!(replies.1.starts_with("HTTP/1.1 200 OK\r\n"), "{}", replies.1);
    assert!(replies.1.ends_with("/caf\u{e9}"), "{}", replies.1);
}
