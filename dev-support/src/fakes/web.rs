//! What the documents' handlers call and gust has no counterpart for:
//! templates, JSON, and `do_something_with_response`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

use gust::Error;
use gust::httpclient::HTTPResponse;
use gust::httpserver::ResponseWriter;

thread_local! {
    static SEEN: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Tornado's `self.render(template_name)` for a handler answering through
/// `writer`: writes the "rendered" template (`<html>template_name</html>`:
/// there are no templates in gust) and finishes the response.
pub fn render(writer: &ResponseWriter, template_name: &str) {
    writer.write(format!("<html>{template_name}</html>"));
    drop(writer.finish());
}

/// The documents' `do_something_with_response(response)`: remembers the
/// body (see [`responses_seen`]).
pub fn do_something_with_response(response: &HTTPResponse) {
    SEEN.with(|s| s.borrow_mut().push(response.body_str().into_owned()));
}

/// The bodies [`do_something_with_response`] was given on this thread.
pub fn responses_seen() -> Vec<String> {
    SEEN.with(|s| s.borrow().clone())
}

/// The error [`json_decode`] fails with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JSONDecodeError(pub String);

impl fmt::Display for JSONDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot decode JSON: {}", self.0)
    }
}

impl std::error::Error for JSONDecodeError {}

/// Tornado's `json_decode`, for flat objects of integers only
/// (`{"answer": 42}`): enough for the ports. Takes bytes or text, as
/// Tornado's does.
pub fn json_decode(body: impl AsRef<[u8]>) -> Result<BTreeMap<String, i64>, Error> {
    let body = String::from_utf8_lossy(body.as_ref()).into_owned();
    let bad = || Error::new(JSONDecodeError(body.clone()));
    let inner = body
        .trim()
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .ok_or_else(bad)?;
    let mut object = BTreeMap::new();
    for member in inner.split(',').filter(|m| !m.trim().is_empty()) {
        let (key, value) = member.split_once(':').ok_or_else(bad)?;
        let key = key
            .trim()
            .strip_prefix('"')
            .and_then(|k| k.strip_suffix('"'))
            .ok_or_else(bad)?;
        let value = value.trim().parse::<i64>().map_err(|_| bad())?;
        object.insert(key.to_owned(), value);
    }
    Ok(object)
}
