//! [`HTTPResponse`]: what a fetch gives.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use gust_yieldables::Error;

use super::error::HTTPClientError;
use crate::httputil::{HTTPHeaders, reason_phrase};

/// The response to a fetch (Tornado's `HTTPResponse`).
///
/// A response whose code is not 2xx carries an
/// [`HTTPClientError`] in `error` (Tornado's `HTTPError`): `fetch` fails
/// with it unless `raise_error` is false. When no response arrived at all
/// (a timeout, a refused connection, a malformed response), the code is
/// 599 and `error` says why.
#[derive(Debug, Clone)]
pub struct HTTPResponse {
    /// The status code (599: no response).
    pub code: u16,
    /// The reason phrase.
    pub reason: String,
    /// The response headers.
    pub headers: HTTPHeaders,
    /// The body (empty with a `streaming_callback`).
    pub body: Vec<u8>,
    /// The URL of the final response, after redirects.
    pub effective_url: String,
    /// From the start of the request (after any wait in the queue) to its
    /// end; after redirects, of the last request only.
    pub request_time: Duration,
    /// When the request started (`None` if it timed out in the queue).
    pub start_time: Option<SystemTime>,
    /// What went wrong, if anything.
    pub error: Option<Error>,
}

impl HTTPResponse {
    /// A response; `error` is set to an [`HTTPClientError`] for a code
    /// that is not 2xx (Tornado's constructor does the same).
    pub(crate) fn new(
        code: u16,
        reason: String,
        headers: HTTPHeaders,
        body: Vec<u8>,
        effective_url: String,
    ) -> Self {
        let error = if (200..300).contains(&code) {
            None
        } else {
            Some(Error::new(HTTPClientError::status(code, &reason)))
        };
        HTTPResponse {
            code,
            reason,
            headers,
            body,
            effective_url,
            request_time: Duration::ZERO,
            start_time: None,
            error,
        }
    }

    /// A 599 response for a request that failed without a response.
    pub(crate) fn failed(error: HTTPClientError, url: &str) -> HTTPResponse {
        HTTPResponse {
            code: 599,
            reason: reason_phrase(599).to_owned(),
            headers: HTTPHeaders::new(),
            body: Vec::new(),
            effective_url: url.to_owned(),
            request_time: Duration::ZERO,
            start_time: None,
            error: Some(Error::new(error)),
        }
    }

    /// `Err(error)` if the request failed (Tornado's `rethrow`).
    pub fn rethrow(&self) -> Result<(), Error> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// The body as UTF-8 (lossily).
    pub fn body_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The error `fetch` fails with when `raise_error` is true: for a
    /// status error, an [`HTTPClientError`] holding this response.
    pub(crate) fn into_error(mut self) -> Error {
        let Some(error) = self.error.take() else {
            return Error::msg("no error");
        };
        match error.downcast_ref::<HTTPClientError>() {
            Some(e) if e.response.is_none() && e.code == self.code && e.code != 599 => {
                let mut e = e.clone();
                self.error = Some(error.clone());
                e.response = Some(Box::new(self));
                Error::new(e)
            }
            _ => error,
        }
    }
}
