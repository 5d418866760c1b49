//! [`HTTPHeaders`]: a case-insensitive, multi-valued, ordered header map.

use std::borrow::Cow;
use std::fmt;

use super::error::HTTPInputError;

/// HTTP header fields: case-insensitive names, several values per name,
/// order kept (Tornado's `HTTPHeaders`).
///
/// Names are stored in `Http-Header-Case` (`content-type` becomes
/// `Content-Type`), as Tornado stores them. Values of one name are kept
/// together, in the order they were added, and names in the order they
/// first appeared: [`get_all`](HTTPHeaders::get_all) yields them so.
/// [`get`](HTTPHeaders::get) joins several values with a comma, as
/// Tornado's `headers[name]` does; [`get_list`](HTTPHeaders::get_list)
/// gives them one by one.
///
/// ```
/// use gust::httputil::HTTPHeaders;
///
/// let mut h = HTTPHeaders::new();
/// h.add("content-type", "text/html");
/// h.add("Set-Cookie", "A=B");
/// h.add("Set-Cookie", "C=D");
/// assert_eq!(h.get("CONTENT-TYPE").as_deref(), Some("text/html"));
/// assert_eq!(h.get("set-cookie").as_deref(), Some("A=B,C=D"));
/// assert_eq!(h.get_list("set-cookie"), ["A=B", "C=D"]);
/// let all: Vec<(&str, &str)> = h.get_all().collect();
/// assert_eq!(all, [("Content-Type", "text/html"), ("Set-Cookie", "A=B"), ("Set-Cookie", "C=D")]);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HTTPHeaders {
    fields: Vec<Field>,
}

#[derive(Clone, PartialEq, Eq)]
struct Field {
    /// Normalized; a common name is a `&'static str` (no allocation).
    name: Cow<'static, str>,
    /// The first value, kept inline: most fields have one.
    value: String,
    /// Any further values.
    more: Vec<String>,
}

impl Field {
    fn new(name: &str, value: String) -> Field {
        Field {
            name: field_name(name),
            value,
            more: Vec::new(),
        }
    }

    fn values(&self) -> impl Iterator<Item = &str> + '_ {
        std::iter::once(self.value.as_str()).chain(self.more.iter().map(String::as_str))
    }
}

impl HTTPHeaders {
    /// No headers.
    pub fn new() -> HTTPHeaders {
        HTTPHeaders::default()
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Adds a value for `name`, after any it already has (Tornado's
    /// `add`). The name is not checked: see [`HTTPHeaders::try_add`].
    pub fn add(&mut self, name: &str, value: impl Into<String>) {
        match self.position(name) {
            Some(i) => self.fields[i].more.push(value.into()),
            None => self.fields.push(Field::new(name, value.into())),
        }
    }

    /// [`add`](HTTPHeaders::add), after checking that `name` is a token and
    /// `value` has no control characters (Tornado's `add` raises
    /// `HTTPInputError` for these).
    pub fn try_add(&mut self, name: &str, value: &str) -> Result<(), HTTPInputError> {
        if !is_token(name.as_bytes()) {
            return Err(HTTPInputError::new(format!("Invalid header name {name:?}")));
        }
        if !is_field_value(value.as_bytes()) {
            return Err(HTTPInputError::new(format!("Invalid header value {value:?}")));
        }
        self.add(name, value);
        Ok(())
    }

    /// Replaces every value of `name` with `value` (Tornado's
    /// `headers[name] = value`).
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        match self.position(name) {
            Some(i) => {
                let field = &mut self.fields[i];
                field.more.clear();
                field.value = value.into();
            }
            None => self.fields.push(Field::new(name, value.into())),
        }
    }

    /// The value of `name`, several values joined with `,` (Tornado's
    /// `headers.get(name)`).
    pub fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        let field = &self.fields[self.position(name)?];
        if field.more.is_empty() {
            Some(Cow::Borrowed(&field.value))
        } else {
            Some(Cow::Owned(field.values().collect::<Vec<_>>().join(",")))
        }
    }

    /// The first value of `name`.
    pub fn get_first(&self, name: &str) -> Option<&str> {
        self.position(name).map(|i| self.fields[i].value.as_str())
    }

    /// Every value of `name`, in order (Tornado's `get_list`); empty if
    /// there is none.
    pub fn get_list(&self, name: &str) -> Vec<&str> {
        match self.position(name) {
            Some(i) => self.fields[i].values().collect(),
            None => Vec::new(),
        }
    }

    /// Every `(name, value)` pair (Tornado's `get_all`): a name with
    /// several values gives several pairs.
    pub fn get_all(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.fields
            .iter()
            .flat_map(|f| f.values().map(move |v| (f.name.as_ref(), v)))
    }

    /// Whether `name` has a value (Python's `name in headers`).
    pub fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// Removes every value of `name`; returns whether there was any
    /// (Python's `del headers[name]`, without the `KeyError`).
    pub fn remove(&mut self, name: &str) -> bool {
        match self.position(name) {
            Some(i) => {
                self.fields.remove(i);
                true
            }
            None => false,
        }
    }

    /// How many names have values (Python's `len(headers)`).
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.fields.iter().map(|f| f.name.as_ref())
    }

    /// Adds the header in one line of text, `Name: value`, with or without
    /// its line ending (Tornado's `parse_line`). An empty line is ignored.
    ///
    /// Errors: no colon, a name that is not a token, control characters in
    /// the value, or a line starting with white space (an obsolete line
    /// folding, which Tornado 6.6 also refuses).
    pub fn parse_line(&mut self, line: &str) -> Result<(), HTTPInputError> {
        let line = line
            .strip_suffix("\r\n")
            .or_else(|| line.strip_suffix('\n'))
            .unwrap_or(line);
        if line.is_empty() {
            return Ok(());
        }
        if line.starts_with([' ', '\t']) {
            return Err(HTTPInputError::new(
                "header line cannot start with whitespace, folding not supported",
            ));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(HTTPInputError::new("no colon in header line"));
        };
        self.try_add(name, value.trim_matches([' ', '\t']))
    }

    /// Headers from text, one per line (Tornado's `HTTPHeaders.parse`).
    ///
    /// ```
    /// use gust::httputil::HTTPHeaders;
    ///
    /// let h = HTTPHeaders::parse("Content-Type: text/html\r\nContent-Length: 42\r\n").unwrap();
    /// assert_eq!(h.get("content-length").as_deref(), Some("42"));
    /// assert!(HTTPHeaders::parse("no colon here\r\n").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<HTTPHeaders, HTTPInputError> {
        let mut headers = HTTPHeaders::new();
        for line in text.split('\n') {
            headers.parse_line(line.strip_suffix('\r').unwrap_or(line))?;
        }
        Ok(headers)
    }

    /// Whether the comma-separated values of `name` include `token`,
    /// compared without case (`Connection: keep-alive, Upgrade` has
    /// `keep-alive`).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        let Some(i) = self.position(name) else {
            return false;
        };
        self.fields[i]
            .values()
            .flat_map(|v| v.split(','))
            .any(|t| t.trim_matches([' ', '\t']).eq_ignore_ascii_case(token))
    }

    /// Appends `Name: value\r\n` for every pair to `out`.
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        for (name, value) in self.get_all() {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
}

impl fmt::Debug for HTTPHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.get_all()).finish()
    }
}

impl fmt::Display for HTTPHeaders {
    /// The headers as they are sent: one `Name: value` line each.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, value) in self.get_all() {
            writeln!(f, "{name}: {value}")?;
        }
        Ok(())
    }
}

impl<N: AsRef<str>, V: Into<String>> FromIterator<(N, V)> for HTTPHeaders {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> HTTPHeaders {
        let mut headers = HTTPHeaders::new();
        for (name, value) in iter {
            headers.add(name.as_ref(), value);
        }
        headers
    }
}

/// `Http-Header-Case` for a header name (Tornado's `_normalize_header`):
/// each dash-separated word capitalised, the rest lower case.
///
/// ```
/// assert_eq!(gust::httputil::normalize_header("coNtent-TYPE"), "Content-Type");
/// ```
pub fn normalize_header(name: &str) -> String {
    if name.is_ascii() {
        let mut out = Vec::with_capacity(name.len());
        let mut start = true;
        for &b in name.as_bytes() {
            out.push(if start {
                b.to_ascii_uppercase()
            } else {
                b.to_ascii_lowercase()
            });
            start = b == b'-';
        }
        return String::from_utf8(out).unwrap_or_default();
    }
    let mut out = String::with_capacity(name.len());
    let mut start = true;
    for c in name.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = c == '-';
    }
    out
}

/// Field names common enough to keep without an allocation, in the form
/// [`normalize_header`] gives them, by length (index).
const COMMON_NAMES: [&[&str]; 20] = [
    &[],
    &[],
    &[],
    &[],
    &["Date", "Etag", "Host", "Vary"],
    &[],
    &["Accept", "Cookie", "Expect", "Origin", "Server"],
    &["Referer"],
    &["Location"],
    &["X-Real-Ip"],
    &["Connection", "Keep-Alive", "Set-Cookie", "User-Agent"],
    &[],
    &["Content-Type"],
    &["Authorization", "Cache-Control", "If-None-Match", "Last-Modified"],
    &["Content-Length"],
    &["Accept-Encoding", "Accept-Language", "X-Forwarded-For"],
    &["Content-Encoding", "Content-Language"],
    &["If-Modified-Since", "Transfer-Encoding"],
    &[],
    &["Content-Disposition"],
];

/// `normalize_header(name)`, borrowed from [`COMMON_NAMES`] when it is one.
fn field_name(name: &str) -> Cow<'static, str> {
    let candidates = COMMON_NAMES.get(name.len()).copied().unwrap_or(&[]);
    match candidates.iter().find(|common| common.eq_ignore_ascii_case(name)) {
        Some(common) => Cow::Borrowed(common),
        None => Cow::Owned(normalize_header(name)),
    }
}

/// Whether `bytes` is an RFC 9110 token (a method or a field name).
pub(crate) fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| is_tchar(b))
}

pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether `bytes` may be a field value: visible characters, spaces and
/// tabs, no other control characters (RFC 9110 section 5.5).
pub(crate) fn is_field_value(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_names_are_normalized_and_borrowed() {
        for (len, names) in COMMON_NAMES.iter().enumerate() {
            for name in names.iter() {
                assert_eq!(name.len(), len, "{name}");
                check_common(name);
            }
        }
        for other in ["x-custom-thing", "ETAG-x", "hosts", "Ｈost"] {
            let got = field_name(other);
            assert!(matches!(got, Cow::Owned(_)), "{other}");
            assert_eq!(got, normalize_header(other));
        }
    }

    fn check_common(name: &str) {
        assert_eq!(normalize_header(name), name);
        for variant in [name.to_ascii_lowercase(), name.to_ascii_uppercase()] {
            let got = field_name(&variant);
            assert!(matches!(got, Cow::Borrowed(_)), "{variant}");
            assert_eq!(got, normalize_header(&variant));
        }
    }
}
