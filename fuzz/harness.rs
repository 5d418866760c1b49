//! What the fuzz targets check, shared with the test that replays the
//! corpus (`http/tests/fuzz_corpus.rs`): parsing any bytes as HTTP/1.x
//! requests or responses never panics, and decoding a body gives the same
//! result whether the input arrives whole or split in two.

use gust_http::http1connection::{
    BodyDecoder, BodyFraming, ServerLimits, parse_request_head, parse_response_head, response_framing,
};
use gust_http::httputil::{HTTPHeaders, HTTPInputError, SplitUrl, url_join};

/// Decodes `input` whole; returns (bytes used, body, done).
fn decode_whole(mut decoder: BodyDecoder, input: &[u8]) -> Result<(usize, Vec<u8>, bool), HTTPInputError> {
    let mut body = Vec::new();
    let used = decoder.decode(input, &mut body)?;
    assert!(used <= input.len());
    Ok((used, body, decoder.is_done()))
}

/// Decodes `input` in two pieces split at `at`.
fn decode_split(
    mut decoder: BodyDecoder,
    input: &[u8],
    at: usize,
) -> Result<(usize, Vec<u8>, bool), HTTPInputError> {
    let at = at.min(input.len());
    let mut body = Vec::new();
    let first = decoder.decode(&input[..at], &mut body)?;
    assert!(first <= at);
    if first < at {
        // The decoder stopped early: only once done.
        assert!(decoder.is_done());
        return Ok((first, body, true));
    }
    let second = decoder.decode(&input[at..], &mut body)?;
    Ok((first + second, body, decoder.is_done()))
}

fn check_body(framing: BodyFraming, max: u64, input: &[u8], split: usize) -> Option<usize> {
    let decoder = BodyDecoder::new(framing, max);
    let whole = decode_whole(decoder.clone(), input);
    let pieces = decode_split(decoder.clone(), input, split);
    match (&whole, &pieces) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "whole and split decoding differ"),
        (Err(_), Err(_)) => {}
        // Split input may fail only where the whole failed, and vice versa.
        _ => panic!("whole {whole:?} vs split {pieces:?}"),
    }
    if let Ok((_, body, done)) = &whole {
        assert!(body.len() as u64 <= max.max(input.len() as u64));
        if let BodyFraming::Length(n) = framing {
            assert_eq!(*done, body.len() as u64 == n);
        }
        // A connection closing now ends only a body read until close.
        let mut at_eof = decoder;
        let mut sink = Vec::new();
        if at_eof.decode(input, &mut sink).is_ok() {
            let ok = at_eof.finish_at_eof().is_ok();
            assert!(ok == (*done || framing == BodyFraming::UntilClose));
        }
    }
    whole.ok().filter(|w| w.2).map(|w| w.0)
}

/// Parses `data` as a sequence of pipelined requests.
#[allow(dead_code)]
pub fn request(data: &[u8]) {
    let split = data.first().copied().unwrap_or(0) as usize;
    let limits = ServerLimits {
        max_header_size: 8192,
        max_body_size: 1 << 16,
        no_keep_alive: false,
    };
    let mut rest = data;
    for _ in 0..8 {
        let Ok(Some((head, used))) = parse_request_head(rest, &limits) else {
            break;
        };
        assert!(used > 0 && used <= rest.len());
        assert!(used <= limits.max_header_size);
        // A prefix of a complete head is never a different complete head.
        if let Ok(Some((_, n))) = parse_request_head(&rest[..used - 1], &limits) {
            panic!("a prefix parsed as a head of {n} bytes");
        }
        let target = &head.start_line.path;
        let _ = url_join("http://example.com/a/b", target);
        let _ = SplitUrl::parse(target).to_string();
        let _ = HTTPHeaders::parse(&head.headers.to_string());
        rest = &rest[used..];
        match check_body(head.framing, limits.max_body_size, rest, split) {
            Some(n) => rest = &rest[n..],
            None => break,
        }
        if !head.keep_alive {
            break;
        }
    }
}

/// Parses `data` as responses to a GET (or HEAD, by the first byte).
#[allow(dead_code)]
pub fn response(data: &[u8]) {
    let split = data.first().copied().unwrap_or(0) as usize;
    let method = if split % 2 == 0 { "GET" } else { "HEAD" };
    let mut rest = data;
    for _ in 0..4 {
        let Ok(Some((head, used))) = parse_response_head(rest, 8192) else {
            break;
        };
        assert!(used > 0 && used <= rest.len());
        rest = &rest[used..];
        let Ok(framing) = response_framing(method, &head, 1 << 16) else {
            break;
        };
        if let Some(location) = head.headers.get_first("Location") {
            let _ = url_join("http://example.com/a/b?q", location);
        }
        match check_body(framing, 1 << 16, rest, split) {
            Some(n) => rest = &rest[n..],
            None => break,
        }
    }
}
