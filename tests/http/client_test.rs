//! AsyncHTTPClient and HTTPClient: Tornado's httpclient_test and
//! simple_httpclient_test cases that apply (HTTPClientCommonTestCase,
//! SimpleHTTPClientTestMixin, HTTPResponseTestCase, HTTPClientTestCase
//! for the blocking client), and the keep-alive pool, the typed errors for
//! malformed responses, resets and servers that never answer.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use gust::gen_;
use gust::httpclient::{
    AsyncHTTPClient, ClientErrorKind, ClientOptions, HTTPClient, HTTPClientError, HTTPError, HTTPRequest,
};
use gust::httpserver::{HTTPServer, HTTPServerOptions, ResponseWriter, Router};
use gust::httputil::{HTTPInputError, HTTPServerRequest};
use gust::prelude::*;
use gust_net::iostream::IOStream;
use gust_net::netutil::{AddressFamily, Resolver};
use gust_net::tcpserver::TCPServer;

use crate::support::*;

fn client_error(e: &Error) -> &HTTPClientError {
    e.downcast_ref::<HTTPClientError>()
        .unwrap_or_else(|| panic!("not an HTTPClientError: {e}"))
}

/// The server of Tornado's httpclient_test: hello, post, chunk, auth,
/// countdown redirects, echo of headers and method, 304, user agent.
fn test_app() -> Router {
    Router::new()
        .get("/hello", |req: HTTPServerRequest, resp: ResponseWriter| {
            resp.write(format!(
                "Hello {}!",
                req.get_argument("name").unwrap_or_else(|| "world".into())
            ))
        })
        .post("/post", |req: HTTPServerRequest, resp: ResponseWriter| {
            resp.write(format!(
                "Post arg1: {}, arg2: {}",
                req.get_argument("arg1").unwrap_or_default(),
                req.get_argument("arg2").unwrap_or_default()
            ))
        })
        .put("/echo", |req: HTTPServerRequest, resp: ResponseWriter| {
            resp.write(req.body)
        })
        .get("/chunk", |_req: HTTPServerRequest, resp: ResponseWriter| {
            resp.write("asdf");
            drop(resp.flush());
            resp.write("qwer");
        })
        .get("/auth", |req: HTTPServerRequest, resp: ResponseWriter| {
            resp.write(req.headers.get("Authorization").unwrap_or_default().as_ref())
        })
        .get("/user_agent", |req: HTTPServerRequest, resp: ResponseWriter| {
            resp.write(req.headers.get("User-Agent").unwrap_or_default().as_ref())
        })
        .get("/countdown/*", |req: HTTPServerRequest, resp: ResponseWriter| {
            let count: u32 = req.path.rsplit('/').next().unwrap().parse().unwrap();
            if count > 0 {
                resp.set_status(302);
                resp.set_header("Location", format!("/countdown/{}", count - 1));
            } else {
                resp.write("Zero");
            }
        })
        .route(
            "POST",
            "/see_other_post",
            |_req: HTTPServerRequest, resp: ResponseWriter| {
                resp.set_status(303);
                resp.set_header("Location", "/method");
            },
        )
        .route(
            "POST",
            "/temporary_redirect",
            |_req: HTTPServerRequest, resp: ResponseWriter| {
                resp.set_status(307);
                resp.set_header("Location", "/method");
            },
        )
        .get("/method", |req: HTTPServerRequest, resp: ResponseWriter| {
            resp.write(req.method)
        })
        .post("/method", |req: HTTPServerRequest, resp: ResponseWriter| {
            resp.write(format!("{} {}", req.method, req.body_str()))
        })
        .get(
            "/304_with_content_length",
            |_req: HTTPServerRequest, resp: ResponseWriter| {
                resp.set_status(304);
                resp.set_header("Content-Length", 42);
            },
        )
}

fn app_server() -> (HTTPServer, String) {
    serve(test_app())
}

#[test]
fn hello_world() {
    // HTTPClientCommonTestCase.test_hello_world.
    let io_loop = real_loop();
    let (_server, base) = app_server();
    let (hello, named) = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        let hello = co.yield_(client.fetch(format!("{base}/hello")))?;
        let named = co.yield_(client.fetch(format!("{base}/hello?name=Ben")))?;
        Ok((hello, named))
    })
    .unwrap();
    assert_eq!(hello.code, 200);
    assert_eq!(
        hello.headers.get("Content-Type").as_deref(),
        Some("text/html; charset=UTF-8")
    );
    assert_eq!(hello.body, b"Hello world!");
    assert!(hello.request_time > Duration::ZERO && hello.request_time < Duration::from_secs(1));
    assert!(hello.start_time.is_some());
    assert!(hello.effective_url.ends_with("/hello"));
    assert_eq!(named.body, b"Hello Ben!");
}

#[test]
fn post_and_put_bodies() {
    // test_post, test_put_307 style echoes.
    let io_loop = real_loop();
    let (_server, base) = app_server();
    let (post, put) = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        let post = co.yield_(
            client.fetch(
                HTTPRequest::new(format!("{base}/post"))
                    .method("POST")
                    .body("arg1=foo&arg2=bar"),
            ),
        )?;
        let put = co.yield_(
            client.fetch(
                HTTPRequest::new(format!("{base}/echo"))
                    .method("PUT")
                    .body(vec![0u8, 1, 2, 255]),
            ),
        )?;
        Ok((post, put))
    })
    .unwrap();
    assert_eq!(post.body, b"Post arg1: foo, arg2: bar");
    assert_eq!(put.body, [0u8, 1, 2, 255]);
}

#[test]
fn body_sanity_checks() {
    // test_body_sanity_checks: a body with GET, none with POST.
    let io_loop = real_loop();
    let (_server, base) = app_server();
    let (get_with_body, post_without) = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        let a = co
            .yield_(client.fetch(HTTPRequest::new(format!("{base}/hello")).body("x")))
            .unwrap_err();
        let b = co
            .yield_(client.fetch(HTTPRequest::new(format!("{base}/post")).method("POST")))
            .unwrap_err();
        Ok((a, b))
    })
    .unwrap();
    let a = client_error(&get_with_body);
    assert_eq!(a.kind, ClientErrorKind::InvalidRequest);
    assert_eq!(
        a.message,
        "Body must be None for method GET (unless allow_nonstandard_methods is true)"
    );
    assert_eq!(
        client_error(&post_without).message,
        "Body must not be None for method POST (unless allow_nonstandard_methods is true)"
    );
}

#[test]
fn chunked_response() {
    // test_chunked: a chunked response is put together.
    let io_loop = real_loop();
    let (_server, base) = app_server();
    let response = run_on(&io_loop, move |co| {
        co.yield_(AsyncHTTPClient::new().fetch(format!("{base}/chunk")))
    })
    .unwrap();
    assert_eq!(response.body, b"asdfqwer");
    assert_eq!(
        response.headers.get("Transfer-Encoding").as_deref(),
        Some("chunked")
    );
}

#[test]
fn streaming_callback() {
    // test_streaming_callback: the body goes to the callback, not the
    // response.
    let io_loop = real_loop();
    let (_server, base) = app_server();
    let chunks: Rc<RefCell<Vec<u8>>> = Rc::default();
    let record = chunks.clone();
    let response = run_on(&io_loop, move |co| {
        let request = HTTPRequest::new(format!("{base}/chunk"))
            .streaming_callback(move |c| record.borrow_mut().extend_from_slice(c));
        co.yield_(AsyncHTTPClient::new().fetch(request))
    })
    .unwrap();
    assert_eq!(*chunks.borrow(), b"asdfqwer");
    assert!(response.body.is_empty());
}

#[test]
fn basic_auth() {
    // test_basic_auth and test_basic_auth_explicit_mode.
    let io_loop = real_loop();
    let (_server, base) = app_server();
    let port = port_of(&base);
    let (explicit, in_url) = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        let a =
            co.yield_(client.fetch(HTTPRequest::new(format!("{base}/auth")).auth("Aladdin", "open sesame")))?;
        let b = co.yield_(client.fetch(format!("http://Aladdin:open%20sesame@127.0.0.1:{port}/auth")))?;
        Ok((a.body, b.body))
    })
    .unwrap();
    assert_eq!(explicit, b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    assert_eq!(in_url, b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

#[test]
fn follow_redirect() {
    // test_follow_redirect, test_max_redirects.
    let io_loop = real_loop();
    let (_server, base) = app_server();
    let (no_follow, followed, too_many) = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        let no_follow = co.yield_(client.fetch_with(
            HTTPRequest::new(format!("{base}/countdown/2")).follow_redirects(false),
            false,
        ))?;
        let followed = co.yield_(client.fetch(format!("{base}/countdown/2")))?;
        let too_many = co
            .yield_(client.fetch(HTTPRequest::new(format!("{base}/countdown/5")).max_redirects(3)))
            .unwrap_err();
        Ok((no_follow, followed, too_many))
    })
    .unwrap();
    assert_eq!(no_follow.code, 302);
    assert!(
        no_follow
            .headers
            .get("Location")
            .unwrap()
            .ends_with("/countdown/1")
    );
    assert_eq!(followed.code, 200);
    assert!(followed.effective_url.ends_with("/countdown/0"));
    assert_eq!(followed.body, b"Zero");
    // Past max_redirects the redirect is the answer: an HTTPError 302
    // holding the response.
    let e = client_error(&too_many);
    assert_eq!((e.code, e.kind), (302, ClientErrorKind::Status));
    assert_eq!(e.to_string(), "HTTP 302: Found");
    let response = e.response.as_ref().unwrap();
    assert!(response.effective_url.ends_with("/countdown/2"));
    assert!(
        response
            .headers
            .get("Location")
            .unwrap()
            .ends_with("/countdown/1")
    );
}

#[test]
fn redirect_methods() {
    // test_see_other_redirect (303 POST -> GET, body dropped) and 307
    // (method and body kept).
    let io_loop = real_loop();
    let (_server, base) = app_server();
    let (see_other, temporary) = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        let a = co.yield_(
            client.fetch(
                HTTPRequest::new(format!("{base}/see_other_post"))
                    .method("POST")
                    .body("x=1"),
            ),
        )?;
        let b = co.yield_(
            client.fetch(
                HTTPRequest::new(format!("{base}/temporary_redirect"))
                    .method("POST")
                    .body("x=2"),
            ),
        )?;
        Ok((a.body, b.body))
    })
    .unwrap();
    assert_eq!(see_other, b"GET");
    assert_eq!(temporary, b"POST x=2");
}

#[test]
fn header_callback() {
    // test_header_callback: the head line by line, as received.
    let io_loop = real_loop();
    let (_server, base) = app_server();
    let lines: Rc<RefCell<Vec<String>>> = Rc::default();
    let record = lines.clone();
    run_on(&io_loop, move |co| {
        let request = HTTPRequest::new(format!("{base}/chunk"))
            .header_callback(move |line| record.borrow_mut().push(line.to_owned()));
        co.yield_(AsyncHTTPClient::new().fetch(request))
    })
    .unwrap();
    let lines = lines.borrow();
    assert_eq!(lines[0], "HTTP/1.1 200 OK\r\n");
    assert_eq!(lines.last().unwrap(), "\r\n");
    assert!(
        lines.contains(&"Transfer-Encoding: chunked\r\n".to_owned()),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| l.ends_with("\r\n")));
}

#[test]
fn user_agent() {
    let io_loop = real_loop();
    let (_server, base) = app_server();
    let (default, custom) = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        let a = co.yield_(client.fetch(format!("{base}/user_agent")))?;
        let b = co
            .yield_(client.fetch(
                HTTPRequest::new(format!("{base}/user_agent")).user_agent("TestDefaultUserAgent/1.0"),
            ))?;
        Ok((a.body, b.body))
    })
    .unwrap();
    assert_eq!(default, b"gust/0.1");
    assert_eq!(custom, b"TestDefaultUserAgent/1.0");
}

#[test]
fn not_modified_with_content_length_has_no_body() {
    // test_304_with_content_length.
    let io_loop = real_loop();
    let (_server, base) = app_server();
    let response = run_on(&io_loop, move |co| {
        co.yield_(AsyncHTTPClient::new().fetch_with(format!("{base}/304_with_content_length"), false))
    })
    .unwrap();
    assert_eq!(response.code, 304);
    assert_eq!(response.headers.get("Content-Length").as_deref(), Some("42"));
    assert!(response.body.is_empty());
}

#[test]
fn http_error_and_raise_error() {
    // test_future_http_error / test_future_http_error_no_raise /
    // HTTPResponseTestCase.
    let io_loop = real_loop();
    let (_server, base) = app_server();
    let (raised, returned) = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        let raised = co.yield_(client.fetch(format!("{base}/notfound"))).unwrap_err();
        let returned = co.yield_(client.fetch_with(format!("{base}/notfound"), false))?;
        Ok((raised, returned))
    })
    .unwrap();
    let e = client_error(&raised);
    assert_eq!(e.code, 404);
    assert_eq!(e.to_string(), "HTTP 404: Not Found");
    assert_eq!(e.response.as_ref().unwrap().code, 404);
    let _alias: &HTTPError = e;
    assert_eq!(returned.code, 404);
    let error = returned.rethrow().unwrap_err();
    assert_eq!(client_error(&error).code, 404);
    assert!(client_error(&error).response.is_none());
}

#[test]
fn keep_alive_reuses_one_connection_per_host() {
    let io_loop = real_loop();
    let (server, base) = app_server();
    let idle = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        for _ in 0..5 {
            co.yield_(client.fetch(format!("{base}/hello")))?;
        }
        Ok(client.idle_connection_count())
    })
    .unwrap();
    assert_eq!(server.accepted(), 1);
    assert_eq!(idle, 1);
}

#[test]
fn a_kept_alive_connection_closed_by_the_server_is_replaced() {
    // The server closes its side after each response without saying so:
    // the next request on the pooled connection is retried on a new one.
    let io_loop = real_loop();
    let raw = TCPServer::new(|stream: IOStream, _| {
        gen_::coroutine(move |co| {
            co.yield_(stream.read_until(b"\r\n\r\n", None))?;
            co.yield_(stream.write(&b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"[..]))?;
            stream.close();
            Ok(())
        })
    });
    raw.listen(0, "127.0.0.1").unwrap();
    let url = format!("http://127.0.0.1:{}/", raw.local_addrs()[0].port());
    let bodies = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        let mut bodies = Vec::new();
        for _ in 0..3 {
            bodies.push(co.yield_(client.fetch(url.as_str()))?.body);
            // Let the close reach the client, or not: both must work.
            co.yield_(gen_::moment)?;
        }
        Ok(bodies)
    })
    .unwrap();
    assert_eq!(bodies, [b"ok"; 3]);
    assert_eq!(raw.accepted(), 3);
}

#[test]
fn max_clients_queue_and_timeout_in_request_queue() {
    // SimpleHTTPClientTestMixin.test_max_clients /
    // test_queue_timeout: with max_clients 1 and a request that never
    // ends, a queued request times out with "Timeout in request queue".
    let io_loop = autojump_loop();
    let (_server, base) = serve(|req: HTTPServerRequest, resp: ResponseWriter| {
        gen_::coroutine(move |co| {
            if req.path == "/hang" {
                co.yield_(gen_::sleep(Duration::from_secs(3600)))?;
            }
            resp.write("ok");
            Ok(())
        })
    });
    let (hang, queued, after) = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::with_options(ClientOptions {
            max_clients: 1,
            ..ClientOptions::default()
        });
        let hang = client.fetch_with(
            HTTPRequest::new(format!("{base}/hang")).request_timeout(Duration::from_secs(10)),
            false,
        );
        let queued = client.fetch_with(
            HTTPRequest::new(format!("{base}/fast")).request_timeout(Duration::from_secs(1)),
            false,
        );
        assert_eq!((client.active_count(), client.queued_count()), (1, 1));
        let queued = co.yield_(queued)?;
        let hang = co.yield_(hang)?;
        // The slot is free again.
        let after = co.yield_(client.fetch(format!("{base}/fast")))?;
        Ok((hang, queued, after))
    })
    .unwrap();
    let error = queued.error.as_ref().unwrap();
    assert_eq!(queued.code, 599);
    assert_eq!(error.to_string(), "Timeout in request queue");
    assert_eq!(client_error(error).kind, ClientErrorKind::Timeout);
    assert!(queued.request_time >= Duration::from_secs(1) && queued.request_time < Duration::from_secs(2));
    assert_eq!(hang.code, 599);
    assert_eq!(hang.error.as_ref().unwrap().to_string(), "Timeout during request");
    assert_eq!(after.body, b"ok");
}

#[test]
fn max_clients_runs_the_queue_in_fifo_order() {
    let io_loop = real_loop();
    let order: Rc<RefCell<Vec<String>>> = Rc::default();
    let record = order.clone();
    let (_server, base) = serve(move |req: HTTPServerRequest, resp: ResponseWriter| {
        record.borrow_mut().push(req.path.clone());
        resp.write("ok");
    });
    run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::with_options(ClientOptions {
            max_clients: 2,
            ..ClientOptions::default()
        });
        let fetches: Vec<_> = (0..8).map(|i| client.fetch(format!("{base}/{i}"))).collect();
        assert_eq!(client.queued_count(), 6);
        co.yield_(fetches)?;
        assert_eq!(client.active_count(), 0);
        Ok(())
    })
    .unwrap();
    let order = order.borrow();
    assert_eq!(order.len(), 8);
    // At most two run at once, and they start in order.
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(*order, sorted, "not FIFO: {order:?}");
}

#[test]
fn request_timeout_when_the_server_never_answers() {
    // test_request_timeout: "Timeout during request", after the request
    // timeout and no later (the clock jumps: no real waiting).
    let io_loop = autojump_loop();
    let silent = TCPServer::new(|stream: IOStream, _| {
        gen_::coroutine(move |co| {
            // Read the request, never answer.
            co.yield_(stream.read_until_close())?;
            Ok(())
        })
    });
    silent.listen(0, "127.0.0.1").unwrap();
    let url = format!("http://127.0.0.1:{}/", silent.local_addrs()[0].port());
    let (error, took) = run_on(&io_loop, move |co| {
        let start = IOLoop::current().time();
        let request = HTTPRequest::new(url).request_timeout(Duration::from_secs(3));
        let error = co.yield_(AsyncHTTPClient::new().fetch(request)).unwrap_err();
        Ok((error, IOLoop::current().time() - start))
    })
    .unwrap();
    let e = client_error(&error);
    assert_eq!((e.code, e.kind), (599, ClientErrorKind::Timeout));
    assert_eq!(e.to_string(), "Timeout during request");
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_millis(3100),
        "{took:?}"
    );
}

/// A resolver that never answers (Tornado's test_connect_timeout uses
/// one).
struct NeverResolves;

impl Resolver for NeverResolves {
    fn resolve(
        &self,
        _host: &str,
        _port: u16,
        _family: AddressFamily,
    ) -> gust::concurrent::Future<Vec<(AddressFamily, std::net::SocketAddr)>> {
        gust::concurrent::Future::new()
    }
}

#[test]
fn connect_timeout() {
    // test_connect_timeout: "Timeout while connecting".
    let io_loop = autojump_loop();
    let error = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::with_options(ClientOptions {
            resolver: Some(Rc::new(NeverResolves)),
            ..ClientOptions::default()
        });
        let request = HTTPRequest::new("http://example.invalid/").connect_timeout(Duration::from_millis(100));
        Ok(co.yield_(client.fetch(request)).unwrap_err())
    })
    .unwrap();
    let e = client_error(&error);
    assert_eq!((e.code, e.kind), (599, ClientErrorKind::Timeout));
    assert_eq!(e.to_string(), "Timeout while connecting");
}

#[test]
fn connection_refused() {
    // test_connection_refused: a 599 whose cause is the io error.
    let io_loop = real_loop();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let response = run_on(&io_loop, move |co| {
        co.yield_(AsyncHTTPClient::new().fetch_with(format!("http://127.0.0.1:{port}/"), false))
    })
    .unwrap();
    assert_eq!(response.code, 599);
    let error = response.error.unwrap();
    let e = client_error(&error);
    assert_eq!(e.kind, ClientErrorKind::Connection);
    assert_eq!(e.to_string(), format!("HTTP 599: {}", e.cause().unwrap()));
    let cause = e.cause().unwrap().downcast_ref::<io::Error>().unwrap();
    assert_eq!(cause.kind(), io::ErrorKind::ConnectionRefused);
}

/// A raw server answering every connection with `reply`, then closing
/// it.
fn raw_server(reply: &'static [u8]) -> String {
    let server = TCPServer::new(move |stream: IOStream, _| {
        gen_::coroutine(move |co| {
            co.yield_(stream.read_until(b"\r\n\r\n", None))?;
            co.yield_(stream.write(reply))?;
            stream.close();
            Ok(())
        })
    });
    server.listen(0, "127.0.0.1").unwrap();
    format!("http://127.0.0.1:{}/", server.local_addrs()[0].port())
}

/// A server on a thread of its own that answers one connection with
/// `reply` and then resets it (SO_LINGER 0).
fn resetting_server(reply: &'static [u8]) -> (String, std::thread::JoinHandle<()>) {
    use socket2::{Domain, Socket, Type};
    use std::io::{Read, Write};
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    listener.listen(8).unwrap();
    let port = listener.local_addr().unwrap().as_socket().unwrap().port();
    let thread = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        let mut stream = std::net::TcpStream::from(socket);
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
            head.push(byte[0]);
        }
        stream.write_all(reply).unwrap();
        socket2::SockRef::from(&stream)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
    });
    (format!("http://127.0.0.1:{port}/"), thread)
}

#[test]
fn truncated_body_is_an_error() {
    // The server closes cleanly after part of a Content-Length body: an
    // error, never a short body.
    let io_loop = real_loop();
    let url = raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
    let response = run_on(&io_loop, move |co| {
        co.yield_(AsyncHTTPClient::new().fetch_with(url.as_str(), false))
    })
    .unwrap();
    assert_eq!(response.code, 599);
    let error = response.error.unwrap();
    let e = client_error(&error);
    assert_eq!(e.kind, ClientErrorKind::Malformed);
    assert_eq!(
        e.to_string(),
        "HTTP 599: Connection closed with 90 bytes of the body missing"
    );
    assert!(e.cause().unwrap().is::<HTTPInputError>());
}

#[test]
fn truncated_chunked_body_is_an_error() {
    let io_loop = real_loop();
    let url = raw_server(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
    let response = run_on(&io_loop, move |co| {
        co.yield_(AsyncHTTPClient::new().fetch_with(url.as_str(), false))
    })
    .unwrap();
    assert_eq!(response.code, 599);
    assert_eq!(
        response.error.unwrap().to_string(),
        "HTTP 599: Connection closed before the end of the chunked body"
    );
}

#[test]
fn reset_mid_body_fails_at_once() {
    // Tornado's client logs a reset and waits for request_timeout; gust's
    // fails at once with the reset as the cause.
    let io_loop = real_loop();
    let (url, thread) = resetting_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
    let (response, took) = run_on(&io_loop, move |co| {
        let start = IOLoop::current().time();
        let response = co.yield_(AsyncHTTPClient::new().fetch_with(url.as_str(), false))?;
        Ok((response, IOLoop::current().time() - start))
    })
    .unwrap();
    thread.join().unwrap();
    assert_eq!(response.code, 599);
    assert!(took < Duration::from_secs(1), "waited {took:?}");
    let error = response.error.unwrap();
    let e = client_error(&error);
    // The reset comes with the start of the body; it is reported as the
    // reset, not as a body cut short.
    assert_eq!(e.kind, ClientErrorKind::StreamClosed, "{e}");
    let cause = e.cause().unwrap().downcast_ref::<io::Error>().unwrap();
    assert_eq!(cause.kind(), io::ErrorKind::ConnectionReset);
}

#[test]
fn malformed_responses_are_typed_errors() {
    for reply in [
        &b"HTTP/1.1 2xx OK\r\n\r\n"[..],
        &b"garbage\r\n\r\n"[..],
        &b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"[..],
        &b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
        &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n"[..],
        &b"HTTP/1.1 100 Continue\r\nContent-Length: 3\r\n\r\n"[..],
    ] {
        let io_loop = real_loop();
        let url = raw_server(reply);
        let response = run_on(&io_loop, move |co| {
            co.yield_(AsyncHTTPClient::new().fetch_with(url.as_str(), false))
        })
        .unwrap();
        assert_eq!(response.code, 599, "{}", String::from_utf8_lossy(reply));
        let error = response.error.unwrap();
        assert_eq!(client_error(&error).kind, ClientErrorKind::Malformed, "{error}");
    }
}

#[test]
fn lenient_response_parsing() {
    // RFC 9112: chunk extensions ignored, trailers accepted, an obs-fold
    // replaced by a space, a body until close for HTTP/1.0 without length.
    let io_loop = real_loop();
    let chunked = raw_server(
        b"HTTP/1.1 200 OK\r\nX-Folded: one\r\n  two\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nTrailer-Field: x\r\n\r\n",
    );
    let until_close = raw_server(b"HTTP/1.0 200 OK\r\n\r\nall of it");
    let (a, b) = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        let a = co.yield_(client.fetch(chunked.as_str()))?;
        let b = co.yield_(client.fetch(until_close.as_str()))?;
        Ok((a, b))
    })
    .unwrap();
    assert_eq!(a.body, b"abc");
    assert_eq!(a.headers.get("X-Folded").as_deref(), Some("one two"));
    assert_eq!(b.body, b"all of it");
}

#[test]
fn expect_100_continue_from_the_client() {
    // The body waits for 100 Continue; a server answering at once without
    // it never gets the body.
    let io_loop = real_loop();
    let (_server, base) = serve(|req: HTTPServerRequest, resp: ResponseWriter| resp.write(req.body));
    let refusing = raw_server(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n");
    let (accepted, refused) = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        let request = HTTPRequest::new(format!("{base}/"))
            .method("PUT")
            .body("payload")
            .expect_100_continue(true);
        let accepted = co.yield_(client.fetch(request))?;
        let request = HTTPRequest::new(refusing)
            .method("PUT")
            .body("payload")
            .expect_100_continue(true);
        let refused = co.yield_(client.fetch_with(request, false))?;
        Ok((accepted, refused))
    })
    .unwrap();
    assert_eq!(accepted.body, b"payload");
    assert_eq!(refused.code, 417);
}

#[test]
fn response_body_limit() {
    let io_loop = real_loop();
    let url = raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n");
    let response = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::with_options(ClientOptions {
            max_body_size: 1000,
            ..ClientOptions::default()
        });
        co.yield_(client.fetch_with(url.as_str(), false))
    })
    .unwrap();
    assert_eq!(
        response.error.unwrap().to_string(),
        "HTTP 599: Content-Length too long"
    );
}

#[test]
fn unsupported_schemes() {
    let io_loop = real_loop();
    let (tls, ftp) = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        let a = co.yield_(client.fetch("https://example.com/")).unwrap_err();
        let b = co.yield_(client.fetch("ftp://example.com/")).unwrap_err();
        Ok((a, b))
    })
    .unwrap();
    assert_eq!(client_error(&tls).kind, ClientErrorKind::InvalidRequest);
    assert!(tls.to_string().contains("TLS is not supported yet"), "{tls}");
    assert_eq!(
        ftp.to_string(),
        "HTTP 599: Unsupported url scheme: ftp://example.com/"
    );
}

#[test]
fn one_shared_client_per_loop() {
    // AsyncHTTPClient's instance cache: one per loop; force_instance (here
    // with_options) makes another; a closed shared client is replaced.
    let io_loop = real_loop();
    run_on(&io_loop, |_co| {
        let a = AsyncHTTPClient::new();
        let b = AsyncHTTPClient::new();
        assert!(a.ptr_eq(&b));
        let forced = AsyncHTTPClient::with_options(ClientOptions::default());
        assert!(!forced.ptr_eq(&a));
        a.close();
        let c = AsyncHTTPClient::new();
        assert!(!c.ptr_eq(&a));
        Ok(())
    })
    .unwrap();
    let other = real_loop();
    let from_other = run_on(&other, |_co| Ok(AsyncHTTPClient::new())).unwrap();
    let from_first = run_on(&io_loop, |_co| Ok(AsyncHTTPClient::new())).unwrap();
    assert!(!from_other.ptr_eq(&from_first));
}

#[test]
fn fetch_on_a_closed_client() {
    let io_loop = real_loop();
    let error = run_on(&io_loop, |co| {
        let client = AsyncHTTPClient::with_options(ClientOptions::default());
        client.close();
        Ok(co.yield_(client.fetch("http://127.0.0.1:1/")).unwrap_err())
    })
    .unwrap();
    assert_eq!(
        error.to_string(),
        "HTTP 599: fetch() called on closed AsyncHTTPClient"
    );
}

#[test]
fn blocking_http_client() {
    // HTTPClientTestCase: the blocking client against a server on another
    // thread; errors as the async client's.
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<gust::ioloop::LoopHandle>();
    let thread = std::thread::spawn(move || {
        let io_loop = IOLoop::new();
        let (server, base) = app_server();
        stop_tx.send(io_loop.handle()).unwrap();
        tx.send(base).unwrap();
        io_loop.start().unwrap();
        server.stop();
    });
    let base = rx.recv().unwrap();
    let handle = stop_rx.recv().unwrap();
    let client = HTTPClient::new();
    let response = client.fetch(format!("{base}/hello")).unwrap();
    assert_eq!(response.body, b"Hello world!");
    let again = client.fetch(format!("{base}/hello?name=again")).unwrap();
    assert_eq!(again.body, b"Hello again!");
    let error = client.fetch(format!("{base}/missing")).unwrap_err();
    assert_eq!(client_error(&error).code, 404);
    // The blocking client left no current loop behind on this thread.
    assert!(IOLoop::current_opt().is_none());
    client.close();
    handle.add_callback(|| IOLoop::current().stop()).unwrap();
    thread.join().unwrap();
}

#[test]
fn concurrent_fetches_take_as_long_as_the_slowest() {
    // The tour's point, on real sockets: parallel fetches overlap.
    let io_loop = real_loop();
    let (_server, base) = serve_with(
        |req: HTTPServerRequest, resp: ResponseWriter| {
            gen_::coroutine(move |co| {
                let ms: u64 = req.get_argument("ms").unwrap().parse().unwrap();
                co.yield_(gen_::sleep(Duration::from_millis(ms)))?;
                resp.write(ms.to_string());
                Ok(())
            })
        },
        HTTPServerOptions::default(),
    );
    let (bodies, took) = run_on(&io_loop, move |co| {
        let client = AsyncHTTPClient::new();
        let start = IOLoop::current().time();
        let fetches: Vec<_> = [100, 150, 200]
            .iter()
            .map(|ms| client.fetch(format!("{base}/?ms={ms}")))
            .collect();
        let responses = co.yield_(fetches)?;
        Ok((
            responses.into_iter().map(|r| r.body).collect::<Vec<_>>(),
            IOLoop::current().time() - start,
        ))
    })
    .unwrap();
    assert_eq!(bodies, [b"100".to_vec(), b"150".to_vec(), b"200".to_vec()]);
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_millis(450),
        "{took:?}"
    );
}
