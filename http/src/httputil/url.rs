//! URL splitting, joining and query strings (what Tornado takes from
//! `urllib.parse`, and its `split_host_and_port`, `url_concat`,
//! `parse_qs_bytes`).

use std::collections::BTreeMap;

/// A URL split into its five parts (Python's `urllib.parse.urlsplit`):
/// `scheme://netloc/path?query#fragment`.
///
/// ```
/// use gust::httputil::SplitUrl;
///
/// let u = SplitUrl::parse("http://user@example.com:8080/a/b?x=1#top");
/// assert_eq!(u.scheme, "http");
/// assert_eq!(u.netloc, "user@example.com:8080");
/// assert_eq!(u.path, "/a/b");
/// assert_eq!(u.query, "x=1");
/// assert_eq!(u.fragment, "top");
/// assert_eq!(u.to_string(), "http://user@example.com:8080/a/b?x=1#top");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SplitUrl {
    /// The scheme, lower case (`http`), or empty.
    pub scheme: String,
    /// The authority (`user@host:port`), or empty.
    pub netloc: String,
    /// The path, or empty.
    pub path: String,
    /// The query, without its `?`.
    pub query: String,
    /// The fragment, without its `#`.
    pub fragment: String,
    has_netloc: bool,
    has_query: bool,
    has_fragment: bool,
}

/// A URL split into borrowed parts (what [`SplitUrl`] owns), for the
/// client's hot path.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct UrlParts<'a> {
    /// As written (not lower-cased).
    pub(crate) scheme: &'a str,
    pub(crate) netloc: Option<&'a str>,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) fragment: Option<&'a str>,
}

impl<'a> UrlParts<'a> {
    pub(crate) fn parse(url: &'a str) -> UrlParts<'a> {
        let mut rest = url;
        let mut out = UrlParts::default();
        if let Some(colon) = rest.find(':') {
            let scheme = &rest[..colon];
            let valid = scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
            if valid {
                out.scheme = scheme;
                rest = &rest[colon + 1..];
            }
        }
        if let Some(after) = rest.strip_prefix("//") {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            out.netloc = Some(&after[..end]);
            rest = &after[end..];
        }
        if let Some(hash) = rest.find('#') {
            out.fragment = Some(&rest[hash + 1..]);
            rest = &rest[..hash];
        }
        if let Some(q) = rest.find('?') {
            out.query = Some(&rest[q + 1..]);
            rest = &rest[..q];
        }
        out.path = rest;
        out
    }

    /// The authority without user info.
    pub(crate) fn host_port(&self) -> &'a str {
        let netloc = self.netloc.unwrap_or("");
        netloc.rsplit_once('@').map_or(netloc, |(_, h)| h)
    }

    pub(crate) fn hostname(&self) -> &'a str {
        let (host, _) = split_host_and_port(self.host_port());
        host.strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
    }

    pub(crate) fn port(&self) -> Option<u16> {
        split_host_and_port(self.host_port()).1
    }

    pub(crate) fn userinfo(&self) -> Option<&'a str> {
        self.netloc?.rsplit_once('@').map(|(u, _)| u)
    }
}

impl SplitUrl {
    /// Splits `url` (never fails: like `urlsplit`, anything splits).
    pub fn parse(url: &str) -> SplitUrl {
        let parts = UrlParts::parse(url);
        SplitUrl {
            scheme: parts.scheme.to_ascii_lowercase(),
            netloc: parts.netloc.unwrap_or("").to_owned(),
            path: parts.path.to_owned(),
            query: parts.query.unwrap_or("").to_owned(),
            fragment: parts.fragment.unwrap_or("").to_owned(),
            has_netloc: parts.netloc.is_some(),
            has_query: parts.query.is_some(),
            has_fragment: parts.fragment.is_some(),
        }
    }

    fn parts(&self) -> UrlParts<'_> {
        UrlParts {
            scheme: &self.scheme,
            netloc: Some(&self.netloc),
            path: &self.path,
            query: Some(&self.query),
            fragment: Some(&self.fragment),
        }
    }

    /// The host of the authority, without user info, port or IPv6 brackets
    /// (`urlsplit(...).hostname`, case kept).
    pub fn hostname(&self) -> &str {
        self.parts().hostname()
    }

    /// The port of the authority, if one is given and valid.
    pub fn port(&self) -> Option<u16> {
        self.parts().port()
    }

    /// The user info of the authority (`user:password`), if any.
    pub fn userinfo(&self) -> Option<&str> {
        self.parts().userinfo()
    }

    /// `path?query`, with `/` for an empty path (what a request line
    /// carries).
    pub fn path_and_query(&self) -> String {
        let path = if self.path.is_empty() { "/" } else { &self.path };
        if self.query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", self.query)
        }
    }
}

impl std::fmt::Display for SplitUrl {
    /// Python's `urlunsplit`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.scheme.is_empty() {
            write!(f, "{}:", self.scheme)?;
        }
        if self.has_netloc || !self.netloc.is_empty() {
            write!(f, "//{}", self.netloc)?;
        }
        f.write_str(&self.path)?;
        if self.has_query || !self.query.is_empty() {
            write!(f, "?{}", self.query)?;
        }
        if self.has_fragment || !self.fragment.is_empty() {
            write!(f, "#{}", self.fragment)?;
        }
        Ok(())
    }
}

/// Splits `host:port` (Tornado's `split_host_and_port`); the port is
/// `None` when there is none or it is not a number. An IPv6 literal keeps
/// its brackets: `[::1]:80` gives `("[::1]", Some(80))`.
///
/// ```
/// use gust::httputil::split_host_and_port;
///
/// assert_eq!(split_host_and_port("example.com:8080"), ("example.com", Some(8080)));
/// assert_eq!(split_host_and_port("example.com"), ("example.com", None));
/// assert_eq!(split_host_and_port("[::1]:80"), ("[::1]", Some(80)));
/// assert_eq!(split_host_and_port("[::1]"), ("[::1]", None));
/// ```
pub fn split_host_and_port(netloc: &str) -> (&str, Option<u16>) {
    if let Some((host, port)) = netloc.rsplit_once(':') {
        let bracketed_ok = !host.starts_with('[') || host.ends_with(']');
        if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && bracketed_ok && !host.is_empty() {
            if let Ok(port) = port.parse() {
                return (host, Some(port));
            }
        }
    }
    (netloc, None)
}

/// Resolves `reference` against `base` as RFC 3986 section 5 says
/// (Python's `urllib.parse.urljoin`, used for redirects).
///
/// ```
/// use gust::httputil::url_join;
///
/// assert_eq!(url_join("http://a/b/c/d;p?q", "g"), "http://a/b/c/g");
/// assert_eq!(url_join("http://a/b/c/d;p?q", "../g"), "http://a/b/g");
/// assert_eq!(url_join("http://a/b/c/d;p?q", "//g"), "http://g");
/// assert_eq!(url_join("http://a/b/c/d;p?q", "?y"), "http://a/b/c/d;p?y");
/// assert_eq!(url_join("http://a/b/c/d;p?q", "/x"), "http://a/x");
/// assert_eq!(url_join("http://a/b", "http://other/z"), "http://other/z");
/// ```
pub fn url_join(base: &str, reference: &str) -> String {
    let b = SplitUrl::parse(base);
    let r = SplitUrl::parse(reference);
    let mut t = SplitUrl::default();
    if !r.scheme.is_empty() {
        t = r.clone();
        t.path = remove_dot_segments(&r.path);
    } else {
        if r.has_netloc {
            t.netloc = r.netloc.clone();
            t.has_netloc = true;
            t.path = remove_dot_segments(&r.path);
            t.query = r.query.clone();
            t.has_query = r.has_query;
        } else {
            if r.path.is_empty() {
                t.path = b.path.clone();
                if r.has_query {
                    t.query = r.query.clone();
                    t.has_query = true;
                } else {
                    t.query = b.query.clone();
                    t.has_query = b.has_query;
                }
            } else {
                if r.path.starts_with('/') {
                    t.path = remove_dot_segments(&r.path);
                } else {
                    let merged = if b.has_netloc && b.path.is_empty() {
                        format!("/{}", r.path)
                    } else {
                        match b.path.rfind('/') {
                            Some(i) => format!("{}{}", &b.path[..=i], r.path),
                            None => r.path.clone(),
                        }
                    };
                    t.path = remove_dot_segments(&merged);
                }
                t.query = r.query.clone();
                t.has_query = r.has_query;
            }
            t.netloc = b.netloc.clone();
            t.has_netloc = b.has_netloc;
        }
        t.scheme = b.scheme.clone();
    }
    t.fragment = r.fragment.clone();
    t.has_fragment = r.has_fragment;
    t.to_string()
}

/// RFC 3986 section 5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut input = path.to_owned();
    let mut output = String::with_capacity(path.len());
    let pop = |output: &mut String| match output.rfind('/') {
        Some(i) => output.truncate(i),
        None => output.clear(),
    };
    while !input.is_empty() {
        if input.starts_with("../") {
            input.drain(..3);
        } else if input.starts_with("./") {
            input.drain(..2);
        } else if input.starts_with("/./") {
            input.replace_range(..3, "/");
        } else if input == "/." {
            input = "/".to_owned();
        } else if input.starts_with("/../") {
            input.replace_range(..4, "/");
            pop(&mut output);
        } else if input == "/.." {
            input = "/".to_owned();
            pop(&mut output);
        } else if input == "." || input == ".." {
            input.clear();
        } else {
            let from = usize::from(input.starts_with('/'));
            let end = input[from..].find('/').map_or(input.len(), |i| i + from);
            output.push_str(&input[..end]);
            input.drain(..end);
        }
    }
    output
}

/// Appends query arguments to `url` (Tornado's `url_concat`), encoding them
/// as a form does.
///
/// ```
/// use gust::httputil::url_concat;
///
/// assert_eq!(url_concat("http://example.com/foo", &[("c", "d")]), "http://example.com/foo?c=d");
/// assert_eq!(url_concat("http://example.com/foo?a=b", &[("c", "d e")]), "http://example.com/foo?a=b&c=d+e");
/// ```
pub fn url_concat(url: &str, args: &[(&str, &str)]) -> String {
    if args.is_empty() {
        return url.to_owned();
    }
    let mut split = SplitUrl::parse(url);
    // As Tornado does: the existing query is parsed (keeping blank
    // values) and encoded again with the new arguments.
    let mut pairs: Vec<(String, String)> = Vec::new();
    for pair in split.query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| String::from_utf8_lossy(&url_unescape(s, true)).into_owned();
        pairs.push((decode(k), decode(v)));
    }
    pairs.extend(args.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", url_escape(k), url_escape(v)))
        .collect();
    split.query = query.join("&");
    split.has_query = true;
    split.to_string()
}

/// Percent-encodes `s` as a form value (`+` for a space; Python's
/// `quote_plus`).
pub fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes `%XX` escapes (and `+` as a space when `plus` is true). Bad
/// escapes are kept as they are, as Python's `unquote` keeps them.
pub fn url_unescape(s: &str, plus: bool) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() && hex(bytes[i + 1]).is_some() && hex(bytes[i + 2]).is_some() => {
                out.push(hex(bytes[i + 1]).unwrap_or(0) * 16 + hex(bytes[i + 2]).unwrap_or(0));
                i += 3;
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The arguments of a query string or form body: each name with its
/// values in order (Tornado's `dict[str, list[bytes]]`).
pub type QueryArguments = BTreeMap<String, Vec<Vec<u8>>>;

/// Parses a query string (or an `application/x-www-form-urlencoded` body)
/// into its arguments, keeping blank values (Tornado's `parse_qs_bytes`
/// with `keep_blank_values=True`). Names are decoded as UTF-8 (lossily);
/// values stay bytes.
///
/// ```
/// use gust::httputil::parse_qs_bytes;
///
/// let args = parse_qs_bytes("a=1&b=x+y&a=2&empty=");
/// assert_eq!(args["a"], [b"1".to_vec(), b"2".to_vec()]);
/// assert_eq!(args["b"], [b"x y".to_vec()]);
/// assert_eq!(args["empty"], [Vec::<u8>::new()]);
/// ```
pub fn parse_qs_bytes(qs: &str) -> QueryArguments {
    let mut args = QueryArguments::new();
    for pair in qs.split(['&', ';']) {
        if pair.is_empty() {
            continue;
        }
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = String::from_utf8_lossy(&url_unescape(name, true)).into_owned();
        args.entry(name).or_default().push(url_unescape(value, true));
    }
    args
}
