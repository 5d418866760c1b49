//! Tornado's `AsyncHTTPTestCaseTest`: the test's server on an unused
//! port, `fetch(path)`, absolute URLs, and everything closed at the end.

use super::*;
use gust::httpserver::{HTTPServer, ResponseWriter};
use gust::httputil::HTTPServerRequest;
use gust::testing::{LeftRegisteredError, bind_unused_port};

fn echo_path(request: HTTPServerRequest, response: ResponseWriter) {
    response.write(request.path.clone());
}

#[test]
fn test_fetch_segment() {
    gen_test(|co| {
        let server = HTTPTestServer::start(echo_path)?;
        let response = co.yield_(server.fetch("/path"))?;
        assert_eq!(response.effective_url, server.url("/path"));
        assert_eq!(response.body, b"/path");
        Ok(())
    });
}

// Ensure that fetch() recognizes absolute urls and does not transform them
// into references to our main test server.
#[test]
fn test_fetch_full_http_url() {
    gen_test(|co| {
        let server = HTTPTestServer::start(echo_path)?;
        let (listener, port) = bind_unused_port(false)?;
        let second = HTTPServer::new(|_request: HTTPServerRequest, response: ResponseWriter| {
            response.write("second");
        });
        second.add_sockets([listener])?;
        let url = format!("http://127.0.0.1:{port}/path");
        let response = co.yield_(server.fetch(url.as_str()))?;
        assert_eq!(response.effective_url, url);
        assert_eq!(response.body, b"second");
        second.stop();
        second.close_all_connections();
        Ok(())
    });
}

// As Tornado's fetch, a non-2xx response is a result.
#[test]
fn test_fetch_does_not_raise_on_404() {
    gen_test(|co| {
        let server = HTTPTestServer::start(|_request: HTTPServerRequest, response: ResponseWriter| {
            response.set_status(404);
            response.finish();
        })?;
        let response = co.yield_(server.fetch("/missing"))?;
        assert_eq!(response.code, 404);
        Ok(())
    });
}

// The fixture is closed when the test body is done: its server's socket,
// connections and client all leave the loop.
#[test]
fn test_everything_closed_at_the_end() {
    let handlers = Rc::new(Cell::new(usize::MAX));
    let h = handlers.clone();
    gen_test(move |co| {
        let server = HTTPTestServer::start(echo_path)?;
        co.yield_(server.fetch("/keep-alive"))?;
        assert!(IOLoop::current().handler_count() >= 1);
        co.yield_(server.close())?;
        h.set(IOLoop::current().handler_count());
        Ok(())
    });
    assert_eq!(handlers.get(), 0);
}

// Something still registered after closing is a failure.
#[test]
fn test_left_registered_is_reported() {
    let error = try_gen_test(|co| {
        let server = HTTPTestServer::start(echo_path)?;
        let (listener, _port) = bind_unused_port(false)?;
        listener.set_nonblocking(true)?;
        let mut stray = gust::ioloop::mio::net::TcpListener::from_std(listener);
        let io_loop = IOLoop::current();
        let id = io_loop.add_handler(&mut stray, gust::ioloop::Events::READ, |_| {})?;
        let outcome = co.yield_(server.close());
        io_loop.remove_handler(&mut stray, id)?;
        outcome
    })
    .unwrap_err();
    let left = error.downcast_ref::<LeftRegisteredError>().unwrap();
    assert_eq!(left.handlers, 1);
}
