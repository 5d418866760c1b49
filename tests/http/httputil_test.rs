//! Tornado's httputil_test cases that apply (HTTPHeadersTest, url_concat,
//! start lines, split_host_and_port, format_timestamp, parse_qs) and the
//! URL joining redirects rely on.

use std::time::{Duration, UNIX_EPOCH};

use gust::httputil::{
    HTTPHeaders, HTTPServerRequest, SplitUrl, format_timestamp, parse_qs_bytes, parse_request_start_line,
    parse_response_start_line, split_host_and_port, url_concat, url_join,
};

#[test]
fn url_concat_no_query_params() {
    assert_eq!(
        url_concat("https://localhost/path", &[("y", "y"), ("z", "z")]),
        "https://localhost/path?y=y&z=z"
    );
}

#[test]
fn url_concat_encode_args() {
    assert_eq!(
        url_concat("https://localhost/path", &[("y", "/y"), ("z", "z")]),
        "https://localhost/path?y=%2Fy&z=z"
    );
}

#[test]
fn url_concat_trailing_q_and_amp() {
    assert_eq!(
        url_concat("https://localhost/path?", &[("y", "y"), ("z", "z")]),
        "https://localhost/path?y=y&z=z"
    );
    assert_eq!(
        url_concat("https://localhost/path?x", &[("y", "y"), ("z", "z")]),
        "https://localhost/path?x=&y=y&z=z"
    );
    assert_eq!(
        url_concat("https://localhost/path?x&", &[("y", "y"), ("z", "z")]),
        "https://localhost/path?x=&y=y&z=z"
    );
}

#[test]
fn url_concat_mult_params_and_no_params() {
    assert_eq!(
        url_concat("https://localhost/path?a=1&b=2", &[("y", "y"), ("z", "z")]),
        "https://localhost/path?a=1&b=2&y=y&z=z"
    );
    assert_eq!(
        url_concat("https://localhost/path?r=1&t=2", &[]),
        "https://localhost/path?r=1&t=2"
    );
}

#[test]
fn url_concat_with_frag() {
    assert_eq!(
        url_concat("https://localhost/path#tab", &[("y", "y")]),
        "https://localhost/path?y=y#tab"
    );
}

#[test]
fn parse_qs_keeps_blank_values_and_order() {
    let args = parse_qs_bytes("foo=bar&foo=baz&empty=&plus=a+b&pct=%E9%A9");
    assert_eq!(args["foo"], [b"bar".to_vec(), b"baz".to_vec()]);
    assert_eq!(args["empty"], [Vec::<u8>::new()]);
    assert_eq!(args["plus"], [b"a b".to_vec()]);
    // Values stay bytes (Tornado's parse_qs_bytes): not necessarily UTF-8.
    assert_eq!(args["pct"], [vec![0xE9, 0xA9]]);
}

#[test]
fn headers_multi_value_and_case() {
    // HTTPHeadersTest.test_multi_line (without the folding Tornado 6.6
    // removed): names case-insensitive, values in order.
    let data = "Foo: bar\r\nfoo: baz\r\nAsdf: qwer\r\nContent-Type: text/html\r\n";
    let headers = HTTPHeaders::parse(data).unwrap();
    assert_eq!(headers.get("asdf").as_deref(), Some("qwer"));
    assert_eq!(headers.get_list("asdf"), ["qwer"]);
    assert_eq!(headers.get("Foo").as_deref(), Some("bar,baz"));
    assert_eq!(headers.get_list("foo"), ["bar", "baz"]);
    let all: Vec<(&str, &str)> = headers.get_all().collect();
    assert_eq!(
        all,
        [
            ("Foo", "bar"),
            ("Foo", "baz"),
            ("Asdf", "qwer"),
            ("Content-Type", "text/html")
        ]
    );
}

#[test]
fn headers_folding_is_refused() {
    // Tornado 6.6: "header line cannot start with whitespace, folding not
    // supported".
    let err = HTTPHeaders::parse("Foo: bar\r\n baz\r\n").unwrap_err();
    assert!(err.message.contains("folding not supported"), "{err}");
}

#[test]
fn headers_optional_cr() {
    // HTTPHeadersTest.test_optional_cr: CRLF and bare LF both end a line.
    let headers = HTTPHeaders::parse("CRLF: crlf\r\nLF: lf\nCR: cr\r\n").unwrap();
    assert_eq!(headers.get("crlf").as_deref(), Some("crlf"));
    assert_eq!(headers.get("lf").as_deref(), Some("lf"));
}

#[test]
fn headers_invalid_names_and_values() {
    let mut headers = HTTPHeaders::new();
    assert!(headers.try_add("", "x").is_err());
    assert!(headers.try_add("a b", "x").is_err());
    assert!(headers.try_add("a:b", "x").is_err());
    assert!(headers.try_add("X", "a\r\nb").is_err());
    assert!(headers.try_add("X", "a\x00b").is_err());
    assert!(headers.try_add("X", "tab\tok").is_ok());
    assert!(
        HTTPHeaders::parse("no colon\r\n")
            .unwrap_err()
            .message
            .contains("no colon")
    );
}

#[test]
fn headers_set_remove_contains_len() {
    // HTTPHeadersTest.test_setdefault / test_copy / test_string analogues.
    let mut headers = HTTPHeaders::new();
    headers.add("Set-Cookie", "a=1");
    headers.add("set-cookie", "b=2");
    headers.set("X-Thing", "one");
    headers.set("x-thing", "two");
    assert_eq!(headers.len(), 2);
    assert_eq!(headers.get_list("X-Thing"), ["two"]);
    let copy = headers.clone();
    assert!(headers.remove("SET-COOKIE"));
    assert!(!headers.contains("set-cookie"));
    assert!(copy.contains("set-cookie"));
    assert_eq!(
        copy.to_string(),
        "Set-Cookie: a=1\nSet-Cookie: b=2\nX-Thing: two\n"
    );
    assert_eq!(headers.get("missing"), None);
}

#[test]
fn parse_request_start_line_cases() {
    let line = parse_request_start_line("GET /foo?bar HTTP/1.1").unwrap();
    assert_eq!(line.method, "GET");
    assert_eq!(line.path, "/foo?bar");
    assert_eq!(line.version, "HTTP/1.1");
    for bad in [
        "GET /foo",
        "GET  /foo HTTP/1.1",
        "GET /foo HTTP/1.1 x",
        "G@T / HTTP/1.1",
        "GET / HTTP/11",
    ] {
        let err = parse_request_start_line(bad).unwrap_err();
        assert_eq!(err.message, "Malformed HTTP request line", "{bad}");
    }
    let err = parse_request_start_line("GET / HTTP/2.0").unwrap_err();
    assert_eq!(err.message, "Unexpected HTTP version \"HTTP/2.0\"");
}

#[test]
fn parse_response_start_line_cases() {
    let line = parse_response_start_line("HTTP/1.1 200 OK").unwrap();
    assert_eq!(
        (line.version.as_str(), line.code, line.reason.as_str()),
        ("HTTP/1.1", 200, "OK")
    );
    let line = parse_response_start_line("HTTP/1.0 404 Not Found").unwrap();
    assert_eq!(line.reason, "Not Found");
    assert!(parse_response_start_line("HTTP/1.1 20 OK").is_err());
    assert!(parse_response_start_line("HTTP/1.1 abc OK").is_err());
    assert!(parse_response_start_line("HTTP/1.1").is_err());
}

#[test]
fn split_host_and_port_cases() {
    assert_eq!(split_host_and_port("foo:80"), ("foo", Some(80)));
    assert_eq!(split_host_and_port("foo"), ("foo", None));
    assert_eq!(split_host_and_port("[::1]:8888"), ("[::1]", Some(8888)));
    assert_eq!(split_host_and_port("foo:bar"), ("foo:bar", None));
}

#[test]
fn format_timestamp_cases() {
    // FormatTimestampTest: 1359312200.503611 is Sun, 27 Jan 2013 18:43:20.
    let t = UNIX_EPOCH + Duration::from_secs_f64(1_359_312_200.503_611);
    assert_eq!(format_timestamp(t), "Sun, 27 Jan 2013 18:43:20 GMT");
}

#[test]
fn url_join_rfc3986_examples() {
    // RFC 3986 section 5.4's normal and abnormal examples.
    let base = "http://a/b/c/d;p?q";
    let cases = [
        ("g", "http://a/b/c/g"),
        ("./g", "http://a/b/c/g"),
        ("g/", "http://a/b/c/g/"),
        ("/g", "http://a/g"),
        ("//g", "http://g"),
        ("?y", "http://a/b/c/d;p?y"),
        ("g?y", "http://a/b/c/g?y"),
        ("#s", "http://a/b/c/d;p?q#s"),
        ("g#s", "http://a/b/c/g#s"),
        (";x", "http://a/b/c/;x"),
        ("", "http://a/b/c/d;p?q"),
        (".", "http://a/b/c/"),
        ("./", "http://a/b/c/"),
        ("..", "http://a/b/"),
        ("../", "http://a/b/"),
        ("../g", "http://a/b/g"),
        ("../..", "http://a/"),
        ("../../g", "http://a/g"),
        ("../../../g", "http://a/g"),
        ("/./g", "http://a/g"),
        ("/../g", "http://a/g"),
        ("g.", "http://a/b/c/g."),
        ("..g", "http://a/b/c/..g"),
        ("./../g", "http://a/b/g"),
        ("g/./h", "http://a/b/c/g/h"),
        ("g/../h", "http://a/b/c/h"),
        ("http://other/x", "http://other/x"),
    ];
    for (reference, expected) in cases {
        assert_eq!(url_join(base, reference), expected, "{reference:?}");
    }
}

#[test]
fn split_url_parts() {
    let u = SplitUrl::parse("http://[::1]:8080/p?q=1");
    assert_eq!(u.hostname(), "::1");
    assert_eq!(u.port(), Some(8080));
    assert_eq!(u.path_and_query(), "/p?q=1");
    assert_eq!(SplitUrl::parse("http://h").path_and_query(), "/");
}

#[test]
fn server_request_fields() {
    // HTTPServerRequestTest: default host for HTTP/1.0, arguments from the
    // query and a form body, full_url.
    let request = HTTPServerRequest::new("GET", "/", "HTTP/1.0", HTTPHeaders::new(), Vec::new());
    assert_eq!(request.host, "127.0.0.1");
    let mut headers = HTTPHeaders::new();
    headers.add("Host", "Example.COM:81");
    headers.add("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    let request = HTTPServerRequest::new("POST", "/p?a=1", "HTTP/1.1", headers, b"b=2&a=3".to_vec());
    assert_eq!(request.host_name, "example.com");
    assert_eq!(request.get_query_argument("a").as_deref(), Some("1"));
    assert_eq!(request.get_body_argument("b").as_deref(), Some("2"));
    assert_eq!(request.arguments["a"], [b"1".to_vec(), b"3".to_vec()]);
    assert_eq!(request.full_url(), "http://Example.COM:81/p?a=1");
}
