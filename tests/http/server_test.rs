//! HTTPServer: Tornado's httpserver_test cases that apply
//! (HTTPConnectionTest, HTTPServerRawTest, KeepAliveTest, XHeaderTest,
//! MaxHeaderSizeTest, IdleTimeoutTest, BodyLimitsTest, ...) and the
//! RFC 9112 points where gust follows the RFC instead of Tornado.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use gust::gen_;
use gust::httpclient::{AsyncHTTPClient, HTTPRequest};
use gust::httpserver::{HTTPServerOptions, ResponseWriter, Router};
use gust::httputil::HTTPServerRequest;
use gust::prelude::*;

use crate::support::*;
use gust::testing::LogCapture;

fn echo_handler(request: HTTPServerRequest, response: ResponseWriter) {
    response.set_header("Content-Type", "text/plain");
    response.write(format!(
        "{} {} {} host={} body={}",
        request.method,
        request.path,
        request.version,
        request.host,
        request.body_str()
    ));
}

#[test]
fn hello_world_through_the_client() {
    let io_loop = real_loop();
    let (server, base) = serve(|_req: HTTPServerRequest, resp: ResponseWriter| resp.write("Hello world"));
    let response = run_on(&io_loop, move |co| {
        co.yield_(AsyncHTTPClient::new().fetch(format!("{base}/")))
    })
    .unwrap();
    assert_eq!(response.code, 200);
    assert_eq!(response.reason, "OK");
    assert_eq!(response.body, b"Hello world");
    assert_eq!(response.headers.get("Content-Length").as_deref(), Some("11"));
    assert_eq!(
        response.headers.get("Content-Type").as_deref(),
        Some("text/html; charset=UTF-8")
    );
    assert!(response.headers.get("Date").unwrap().ends_with(" GMT"));
    server.stop();
}

#[test]
fn request_fields_reach_the_callback() {
    let io_loop = real_loop();
    let seen: Rc<RefCell<Vec<HTTPServerRequest>>> = Rc::default();
    let record = seen.clone();
    let (_server, base) = serve(move |req: HTTPServerRequest, resp: ResponseWriter| {
        record.borrow_mut().push(req);
        resp.write("ok");
    });
    let url = format!("{base}/path/x?a=1&b=two");
    run_on(&io_loop, move |co| {
        co.yield_(AsyncHTTPClient::new().fetch(HTTPRequest::new(url).header("X-Test", "yes")))
    })
    .unwrap();
    let seen = seen.borrow();
    let request = &seen[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.uri, "/path/x?a=1&b=two");
    assert_eq!(request.path, "/path/x");
    assert_eq!(request.query, "a=1&b=two");
    assert_eq!(request.version, "HTTP/1.1");
    assert_eq!(request.remote_ip, "127.0.0.1");
    assert_eq!(request.protocol, "http");
    assert_eq!(request.get_argument("b").as_deref(), Some("two"));
    assert_eq!(request.headers.get("x-test").as_deref(), Some("yes"));
    assert_eq!(request.host, format!("127.0.0.1:{}", port_of(&base)));
}

#[test]
fn chunked_request_body() {
    // HTTPConnectionTest.test_chunked_request_body, and
    // test_chunked_request_uppercase ("Transfer-Encoding: Chunked").
    let io_loop = real_loop();
    let args: Rc<RefCell<Vec<Option<String>>>> = Rc::default();
    let record = args.clone();
    let (_server, base) = serve(move |req: HTTPServerRequest, resp: ResponseWriter| {
        record.borrow_mut().push(req.get_body_argument("foo"));
        resp.write("ok");
    });
    let replies = run_on(&io_loop, move |co| {
        let mut replies = Vec::new();
        for te in ["chunked", "Chunked"] {
            let request = format!(
                "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: {te}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n\
                 4\r\nfoo=\r\n3\r\nbar\r\n0\r\n\r\n"
            );
            replies.push(exchange(co, &base, request.as_bytes())?);
        }
        Ok(replies)
    })
    .unwrap();
    for reply in &replies {
        assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
        assert!(reply.ends_with("\r\n\r\nok"), "{reply}");
    }
    assert_eq!(*args.borrow(), [Some("bar".to_owned()), Some("bar".to_owned())]);
}

#[test]
fn chunk_extensions_and_trailers_are_accepted() {
    // RFC 9112 section 7.1: unknown chunk extensions are ignored and
    // trailer fields allowed (Tornado answers 400 to both).
    let io_loop = real_loop();
    let (_server, base) = serve(echo_handler);
    let reply = run_on(&io_loop, move |co| {
        exchange(
            co,
            &base,
            b"POST /e HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
              3;name=\"va;lue\"\r\nabc\r\n2 ; x\r\nde\r\n0\r\nExpires: never\r\nX-Sum: 5\r\n\r\n",
        )
    })
    .unwrap();
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(reply.ends_with("body=abcde"), "{reply}");
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    // KeepAliveTest.test_two_requests.
    let io_loop = real_loop();
    let (server, base) = serve(echo_handler);
    let (first, second) = run_on(&io_loop, move |co| {
        let stream = connect(co, &base)?;
        co.yield_(stream.write(&b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n"[..]))?;
        let first = read_response(co, &stream)?;
        co.yield_(stream.write(&b"GET /two HTTP/1.1\r\nHost: x\r\n\r\n"[..]))?;
        let second = read_response(co, &stream)?;
        Ok((first, second))
    })
    .unwrap();
    assert_eq!(first.body, b"GET /one HTTP/1.1 host=x body=");
    assert_eq!(second.body, b"GET /two HTTP/1.1 host=x body=");
    assert_eq!(first.header("Connection"), None);
    assert_eq!(server.accepted(), 1);
}

#[test]
fn connection_close_is_honoured() {
    // KeepAliveTest.test_request_close.
    let io_loop = real_loop();
    let (_server, base) = serve(echo_handler);
    let reply = run_on(&io_loop, move |co| {
        exchange(
            co,
            &base,
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
    })
    .unwrap();
    assert!(reply.contains("\r\nConnection: close\r\n"), "{reply}");
    assert!(reply.ends_with("body="), "{reply}");
}

#[test]
fn http10_closes_unless_keep_alive() {
    // KeepAliveTest.test_http10, test_http10_keepalive,
    // test_http10_keepalive_extra_crlf.
    let io_loop = real_loop();
    let (server, base) = serve(echo_handler);
    let b = base.clone();
    let reply = run_on(&io_loop, move |co| exchange(co, &b, b"GET / HTTP/1.0\r\n\r\n")).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(!reply.contains("Connection:"), "{reply}");
    assert!(reply.ends_with("GET / HTTP/1.0 host=127.0.0.1 body="), "{reply}");
    let (first, second) = run_on(&io_loop, move |co| {
        let stream = connect(co, &base)?;
        co.yield_(stream.write(&b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"[..]))?;
        let first = read_response(co, &stream)?;
        co.yield_(stream.write(&b"\r\nGET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"[..]))?;
        let second = read_response(co, &stream)?;
        Ok((first, second))
    })
    .unwrap();
    assert_eq!(first.header("Connection").as_deref(), Some("Keep-Alive"));
    assert_eq!(second.body, b"GET /2 HTTP/1.0 host=127.0.0.1 body=");
    assert_eq!(server.accepted(), 2);
}

#[test]
fn http10_streamed_response_is_unframed_and_closed() {
    // A flushed response without Content-Length cannot be chunked for an
    // HTTP/1.0 client: it ends when the connection closes, even if the
    // client asked for keep-alive (Tornado would keep the connection open).
    let io_loop = real_loop();
    let (_server, base) = serve(|_req: HTTPServerRequest, resp: ResponseWriter| {
        resp.write("part1 ");
        drop(resp.flush());
        resp.write("part2");
    });
    let reply = run_on(&io_loop, move |co| {
        exchange(co, &base, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    })
    .unwrap();
    assert!(!reply.contains("Transfer-Encoding"), "{reply}");
    assert!(!reply.contains("Keep-Alive"), "{reply}");
    assert!(reply.ends_with("\r\n\r\npart1 part2"), "{reply}");
}

#[test]
fn http10_chunked_request_closes_after_response() {
    // RFC 9112 section 6.1: an HTTP/1.0 message with Transfer-Encoding
    // has faulty framing; the connection closes after it (Tornado keeps it
    // open).
    let io_loop = real_loop();
    let (_server, base) = serve(echo_handler);
    let reply = run_on(&io_loop, move |co| {
        exchange(
            co,
            &base,
            b"POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
        )
    })
    .unwrap();
    assert!(reply.ends_with("body=hi"), "{reply}");
    assert!(!reply.contains("Keep-Alive"), "{reply}");
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    // KeepAliveTest.test_pipelined_requests, with a first handler slower
    // than the second.
    let io_loop = real_loop();
    let (_server, base) = serve(|req: HTTPServerRequest, resp: ResponseWriter| {
        gen_::coroutine(move |co| {
            if req.path == "/slow" {
                co.yield_(gen_::sleep(Duration::from_millis(20)))?;
            }
            resp.write(req.path.clone());
            Ok(())
        })
    });
    let bodies = run_on(&io_loop, move |co| {
        let stream = connect(co, &base)?;
        co.yield_(stream.write(
            &b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\nGET /last HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        ))?;
        let mut bodies = Vec::new();
        for _ in 0..3 {
            bodies.push(String::from_utf8(read_response(co, &stream)?.body).unwrap());
        }
        Ok(bodies)
    })
    .unwrap();
    assert_eq!(bodies, ["/slow", "/fast", "/last"]);
}

#[test]
fn expect_100_continue() {
    // HTTPServerRawTest / test_100_continue: the server sends 100 Continue
    // before reading the body, to HTTP/1.1 clients, whatever the case of
    // the expectation (Tornado compares case-sensitively and also answers
    // HTTP/1.0).
    let io_loop = real_loop();
    let (_server, base) = serve(echo_handler);
    let b = base.clone();
    let (interim, response) = run_on(&io_loop, move |co| {
        let stream = connect(co, &b)?;
        co.yield_(stream.write(
            &b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n"[..],
        ))?;
        let interim = co.yield_(stream.read_until(b"\r\n\r\n", None))?;
        co.yield_(stream.write(&b"hello"[..]))?;
        Ok((interim, read_response(co, &stream)?))
    })
    .unwrap();
    assert_eq!(interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    assert_eq!(response.body, b"POST /up HTTP/1.1 host=x body=hello");
    let reply = run_on(&io_loop, move |co| {
        exchange(
            co,
            &base,
            b"POST / HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi",
        )
    })
    .unwrap();
    assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
    assert!(!reply.contains("100 Continue"), "{reply}");
}

#[test]
fn absolute_form_target() {
    // RFC 9112 section 3.2.2: a server must accept the absolute form; the
    // target's authority is the host (Tornado answers 404).
    let io_loop = real_loop();
    let (_server, base) = serve(echo_handler);
    let reply = run_on(&io_loop, move |co| {
        exchange(
            co,
            &base,
            b"GET http://example.com:8080/a/b?c=d HTTP/1.1\r\nHost: ignored\r\nConnection: close\r\n\r\n",
        )
    })
    .unwrap();
    assert!(
        reply.ends_with("GET /a/b HTTP/1.1 host=example.com:8080 body="),
        "{reply}"
    );
}

#[test]
fn xheaders() {
    // XHeaderTest: X-Real-Ip, X-Forwarded-For (skipping trusted proxies),
    // X-Scheme / X-Forwarded-Proto; invalid addresses ignored. The
    // addresses are only header values (Tornado's test uses public ones);
    // any address other than the connection's own (127.0.0.1) shows that
    // the header was believed.
    let io_loop = real_loop();
    let options = HTTPServerOptions {
        xheaders: true,
        trusted_downstream: vec!["127.5.5.5".to_owned()],
        ..HTTPServerOptions::default()
    };
    let (_server, base) = serve_with(
        |req: HTTPServerRequest, resp: ResponseWriter| {
            resp.write(format!("{} {}", req.remote_ip, req.protocol))
        },
        options,
    );
    let cases: Vec<(Vec<(&'static str, &'static str)>, &'static str)> = vec![
        (vec![("X-Real-IP", "127.4.4.4")], "127.4.4.4 http"),
        (
            vec![("X-Real-IP", "2620:0:1cfe:face:b00c::3")],
            "2620:0:1cfe:face:b00c::3 http",
        ),
        (vec![("X-Real-IP", "127.4.4.4<script>")], "127.0.0.1 http"),
        (
            vec![("X-Forwarded-For", "127.1.2.3, 127.4.4.4")],
            "127.4.4.4 http",
        ),
        (
            vec![("X-Forwarded-For", "127.1.2.3, 127.4.4.4, 127.5.5.5")],
            "127.4.4.4 http",
        ),
        (vec![("X-Scheme", "https")], "127.0.0.1 https"),
        (vec![("X-Forwarded-Proto", "https")], "127.0.0.1 https"),
        (vec![("X-Forwarded-Proto", "http, https")], "127.0.0.1 https"),
        (vec![("X-Forwarded-Proto", "unknown")], "127.0.0.1 http"),
    ];
    let bodies = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        let mut bodies = Vec::new();
        for (headers, _) in &cases {
            let mut request = HTTPRequest::new(format!("{base}/"));
            for (name, value) in headers {
                request = request.header(name, *value);
            }
            let response = co.yield_(client.fetch(request))?;
            bodies.push((String::from_utf8(response.body).unwrap(), cases.len()));
        }
        Ok(bodies.into_iter().map(|(b, _)| b).collect::<Vec<_>>())
    })
    .unwrap();
    let expected = [
        "127.4.4.4 http",
        "2620:0:1cfe:face:b00c::3 http",
        "127.0.0.1 http",
        "127.4.4.4 http",
        "127.4.4.4 http",
        "127.0.0.1 https",
        "127.0.0.1 https",
        "127.0.0.1 https",
        "127.0.0.1 http",
    ];
    assert_eq!(bodies, expected);
}

#[test]
fn coroutine_handler_flushes_chunks_in_order() {
    // The doc examples' `self.write(...); yield self.flush()`: a chunked
    // response whose chunks arrive in order.
    let io_loop = real_loop();
    let (_server, base) = serve(|_req: HTTPServerRequest, resp: ResponseWriter| {
        gen_::coroutine(move |co| {
            for i in 0..3 {
                resp.write(format!("chunk{i};"));
                co.yield_(resp.flush())?;
                co.yield_(gen_::sleep(Duration::from_millis(2)))?;
            }
            Ok(())
        })
    });
    let (chunks, response) = run_on(&io_loop, move |co| {
        let chunks: Rc<RefCell<Vec<Vec<u8>>>> = Rc::default();
        let record = chunks.clone();
        let request = HTTPRequest::new(format!("{base}/"))
            .streaming_callback(move |c| record.borrow_mut().push(c.to_vec()));
        let response = co.yield_(AsyncHTTPClient::new().fetch(request))?;
        let chunks = chunks.borrow().clone();
        Ok((chunks, response))
    })
    .unwrap();
    assert_eq!(
        response.headers.get("Transfer-Encoding").as_deref(),
        Some("chunked")
    );
    assert_eq!(response.body, b"");
    let joined: Vec<u8> = chunks.concat();
    assert_eq!(joined, b"chunk0;chunk1;chunk2;");
    assert!(chunks.len() >= 2, "the chunks arrived in one piece: {chunks:?}");
}

#[test]
fn raw_chunked_response_framing() {
    let io_loop = real_loop();
    let (_server, base) = serve(|_req: HTTPServerRequest, resp: ResponseWriter| {
        resp.write("abc");
        drop(resp.flush());
        resp.write("de");
    });
    let reply = run_on(&io_loop, move |co| {
        exchange(
            co,
            &base,
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
    })
    .unwrap();
    assert!(reply.contains("Transfer-Encoding: chunked\r\n"), "{reply}");
    assert!(
        reply.ends_with("\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"),
        "{reply}"
    );
}

#[test]
fn head_and_204_have_no_body() {
    let io_loop = real_loop();
    let (_server, base) = serve(|req: HTTPServerRequest, resp: ResponseWriter| {
        if req.path == "/204" {
            resp.set_status(204);
        } else {
            resp.write("twelve bytes");
        }
    });
    let (head, no_content) = run_on(&io_loop, move |co| {
        let stream = connect(co, &base)?;
        co.yield_(
            stream.write(&b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /204 HTTP/1.1\r\nHost: x\r\n\r\n"[..]),
        )?;
        let head = co.yield_(stream.read_until(b"\r\n\r\n", None))?;
        let no_content = read_response(co, &stream)?;
        Ok((String::from_utf8(head).unwrap(), no_content))
    })
    .unwrap();
    assert!(head.contains("Content-Length: 12\r\n"), "{head}");
    assert_eq!(no_content.status(), 204);
    assert_eq!(no_content.header("Content-Length"), None);
    assert_eq!(no_content.header("Content-Type"), None);
}

#[test]
fn handler_failure_answers_500_and_logs() {
    let logs = LogCapture::start();
    let io_loop = real_loop();
    let (_server, base) = serve(|req: HTTPServerRequest, _resp: ResponseWriter| {
        gen_::coroutine(move |co| {
            co.yield_(gen_::moment)?;
            if req.path == "/panic" {
                panic!("handler panicked");
            }
            Err::<(), _>(Error::msg("handler failed"))
        })
    });
    let codes = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        let a = co.yield_(client.fetch_with(format!("{base}/fail?x=1"), false))?;
        let b = co.yield_(client.fetch_with(format!("{base}/panic"), false))?;
        Ok((a.code, b.code, String::from_utf8(a.body).unwrap()))
    })
    .unwrap();
    assert_eq!((codes.0, codes.1), (500, 500));
    assert_eq!(
        codes.2,
        "<html><title>500: Internal Server Error</title><body>500: Internal Server Error</body></html>"
    );
    let errors = logs.app_errors_containing("Uncaught exception");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(
        errors[0],
        "Uncaught exception GET /fail?x=1 (127.0.0.1): handler failed"
    );
    assert!(errors[1].contains("handler panicked"), "{}", errors[1]);
}

#[test]
fn content_length_mismatch_is_an_output_error() {
    // Tornado's test_write_too_much / "Tried to write N bytes less than
    // Content-Length": the response fails and the connection closes.
    let io_loop = real_loop();
    let outcome: Rc<RefCell<Vec<String>>> = Rc::default();
    let record = outcome.clone();
    let (_server, base) = serve(move |_req: HTTPServerRequest, resp: ResponseWriter| {
        resp.set_header("Content-Length", 10);
        resp.write("short");
        let finished = resp.finish();
        record
            .borrow_mut()
            .push(finished.exception().map(|e| e.to_string()).unwrap_or_default());
    });
    let result = run_on(&io_loop, move |co| {
        co.yield_(AsyncHTTPClient::new().fetch(format!("{base}/")))
    });
    assert_eq!(
        *outcome.borrow(),
        ["Tried to write 5 bytes less than Content-Length"]
    );
    let error = result.unwrap_err();
    assert!(error.to_string().starts_with("HTTP 599"), "{error}");
}

#[test]
fn header_values_cannot_inject_lines() {
    let io_loop = real_loop();
    let (_server, base) = serve(|_req: HTTPServerRequest, resp: ResponseWriter| {
        resp.set_header("X-Evil", "a\r\nSet-Cookie: injected=1");
    });
    let response = run_on(&io_loop, move |co| {
        co.yield_(AsyncHTTPClient::new().fetch(format!("{base}/")))
    })
    .unwrap();
    assert_eq!(
        response.headers.get("X-Evil").as_deref(),
        Some("a  Set-Cookie: injected=1")
    );
    assert!(!response.headers.contains("Set-Cookie"));
}

#[test]
fn router_routes_by_method_and_path() {
    let io_loop = real_loop();
    let router = Router::new()
        .get("/", |_r: HTTPServerRequest, w: ResponseWriter| w.write("root"))
        .post("/", |r: HTTPServerRequest, w: ResponseWriter| w.write(r.body))
        .get("/static/*", |r: HTTPServerRequest, w: ResponseWriter| {
            w.write(r.path)
        });
    let (_server, base) = serve(router);
    let results = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        let get = co.yield_(client.fetch(format!("{base}/")))?;
        let post =
            co.yield_(client.fetch(HTTPRequest::new(format!("{base}/")).method("POST").body("data")))?;
        let prefix = co.yield_(client.fetch(format!("{base}/static/a/b.css")))?;
        let missing = co.yield_(client.fetch_with(format!("{base}/nope"), false))?;
        let wrong =
            co.yield_(client.fetch_with(HTTPRequest::new(format!("{base}/")).method("DELETE"), false))?;
        Ok((
            get.body,
            post.body,
            prefix.body,
            missing.code,
            wrong.code,
            wrong.headers.get("Allow").map(|a| a.into_owned()),
        ))
    })
    .unwrap();
    assert_eq!(results.0, b"root");
    assert_eq!(results.1, b"data");
    assert_eq!(results.2, b"/static/a/b.css");
    assert_eq!(results.3, 404);
    assert_eq!(results.4, 405);
    assert_eq!(results.5.as_deref(), Some("GET, POST"));
}

#[test]
fn idle_connection_timeout_closes_the_connection() {
    // IdleTimeoutTest: an idle keep-alive connection is closed after
    // idle_connection_timeout (no real waiting: the clock jumps).
    let io_loop = autojump_loop();
    let options = HTTPServerOptions {
        idle_connection_timeout: Some(Duration::from_secs(30)),
        ..HTTPServerOptions::default()
    };
    let (server, base) = serve_with(echo_handler, options);
    let server2 = server.clone();
    let (closed_after, open_before) = run_on(&io_loop, move |co| {
        let stream = connect(co, &base)?;
        co.yield_(stream.write(&b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..]))?;
        read_response(co, &stream)?;
        let open_before = server2.connection_count();
        let start = IOLoop::current().time();
        // The server closes the idle connection: the read ends.
        let rest = co.yield_(stream.read_until_close())?;
        assert!(rest.is_empty());
        Ok((IOLoop::current().time() - start, open_before))
    })
    .unwrap();
    assert_eq!(open_before, 1);
    assert!(
        closed_after >= Duration::from_secs(30) && closed_after < Duration::from_secs(31),
        "{closed_after:?}"
    );
    assert_eq!(server.connection_count(), 0);
}

#[test]
fn body_timeout_closes_a_slow_client() {
    // A client that stops sending its body (slow loris) is closed after
    // body_timeout, with Tornado's log line.
    let logs = LogCapture::start();
    let io_loop = autojump_loop();
    let options = HTTPServerOptions {
        body_timeout: Some(Duration::from_secs(5)),
        ..HTTPServerOptions::default()
    };
    let (_server, base) = serve_with(echo_handler, options);
    let reply = run_on(&io_loop, move |co| {
        exchange(
            co,
            &base,
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a little",
        )
    })
    .unwrap();
    assert_eq!(reply, "");
    let logged: Vec<_> = logs
        .records()
        .into_iter()
        .filter(|r| r.target == "gust::general" && r.message.starts_with("Timeout reading body"))
        .collect();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].message, "Timeout reading body from 127.0.0.1");
}

#[test]
fn close_all_connections() {
    let io_loop = real_loop();
    let (server, base) = serve(echo_handler);
    let s = server.clone();
    run_on(&io_loop, move |co| {
        let a = connect(co, &base)?;
        let b = connect(co, &base)?;
        co.yield_(a.write(&b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..]))?;
        read_response(co, &a)?;
        co.yield_(gen_::sleep(Duration::from_millis(5)))?;
        assert_eq!(s.connection_count(), 2);
        s.stop();
        s.close_all_connections();
        assert!(co.yield_(a.read_until_close())?.is_empty());
        assert!(co.yield_(b.read_until_close())?.is_empty());
        Ok(())
    })
    .unwrap();
    assert_eq!(server.connection_count(), 0);
}

#[test]
fn idle_timeout_counts_from_the_last_request() {
    // Requests 20 s apart on a connection with a 30 s idle timeout keep it
    // open past its first 30 s; it closes 30 s after the last one.
    let io_loop = autojump_loop();
    let options = HTTPServerOptions {
        idle_connection_timeout: Some(Duration::from_secs(30)),
        ..HTTPServerOptions::default()
    };
    let (_server, base) = serve_with(echo_handler, options);
    let closed_after = run_on(&io_loop, move |co| {
        let stream = connect(co, &base)?;
        for _ in 0..2 {
            co.yield_(stream.write(&b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..]))?;
            assert_eq!(read_response(co, &stream)?.status(), 200);
            co.yield_(gen_::sleep(Duration::from_secs(20)))?;
        }
        let start = IOLoop::current().time();
        assert!(co.yield_(stream.read_until_close())?.is_empty());
        Ok(IOLoop::current().time() - start)
    })
    .unwrap();
    // 30 s after the last response, 20 s of which were slept already.
    assert!(
        closed_after >= Duration::from_secs(10) && closed_after < Duration::from_secs(11),
        "{closed_after:?}"
    );
}
