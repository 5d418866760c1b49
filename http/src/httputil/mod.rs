//! HTTP utilities shared by the client and the server (Tornado's
//! `tornado.httputil`): [`HTTPHeaders`], [`HTTPServerRequest`], the start
//! lines, URL and query helpers, HTTP dates, and the errors
//! [`HTTPInputError`] and [`HTTPOutputError`].

mod date;
mod error;
mod headers;
mod request;
mod responses;
mod start_line;
mod url;

pub use date::format_timestamp;
pub(crate) use date::now_http_date;
pub use error::{HTTPInputError, HTTPOutputError};
pub use headers::{HTTPHeaders, normalize_header};
pub(crate) use headers::{is_field_value, is_token};
pub use request::HTTPServerRequest;
pub(crate) use request::split_absolute_form;
pub use responses::reason_phrase;
pub use start_line::{
    RequestStartLine, ResponseStartLine, parse_request_start_line, parse_response_start_line,
};
pub(crate) use url::UrlParts;
pub use url::{
    QueryArguments, SplitUrl, parse_qs_bytes, split_host_and_port, url_concat, url_escape, url_join,
    url_unescape,
};
