//! Header names and the header container.
//!
//! A message's header values live in one text buffer; the container keeps
//! `(name, value)` spans into it. Parsing a message therefore allocates the
//! buffer and the span list once, whatever the header count. Unknown headers
//! are kept verbatim (name as written, value with folding undone).

use std::fmt;

use super::text;
use super::typed::TypedHeader;
use crate::error::Error;

macro_rules! header_names {
    ($( $(#[$doc:meta])* $variant:ident => $canon:literal $(, $compact:literal)? ;)*) => {
        /// The header fields this crate knows by name. Any other header is
        /// kept verbatim and reached by its name as a string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum HeaderName {
            $( $(#[$doc])* $variant, )*
        }

        impl HeaderName {
            /// The canonical (long) name.
            pub const fn as_str(self) -> &'static str {
                match self { $( HeaderName::$variant => $canon, )* }
            }

            /// The compact form (RFC 3261 §7.3.3 and extensions), if any.
            pub const fn compact(self) -> Option<char> {
                match self { $( HeaderName::$variant => header_names!(@compact $($compact)?), )* }
            }

            const ALL: &'static [HeaderName] = &[ $( HeaderName::$variant, )* ];
        }
    };
    (@compact $c:literal) => { Some($c) };
    (@compact) => { None };
}

header_names! {
    /// `Via` (`v`).
    Via => "Via", 'v';
    /// `From` (`f`).
    From => "From", 'f';
    /// `To` (`t`).
    To => "To", 't';
    /// `Call-ID` (`i`).
    CallId => "Call-ID", 'i';
    /// `CSeq`.
    CSeq => "CSeq";
    /// `Max-Forwards`.
    MaxForwards => "Max-Forwards";
    /// `Contact` (`m`).
    Contact => "Contact", 'm';
    /// `Route`.
    Route => "Route";
    /// `Record-Route`.
    RecordRoute => "Record-Route";
    /// `Authorization`.
    Authorization => "Authorization";
    /// `Proxy-Authorization`.
    ProxyAuthorization => "Proxy-Authorization";
    /// `WWW-Authenticate`.
    WwwAuthenticate => "WWW-Authenticate";
    /// `Proxy-Authenticate`.
    ProxyAuthenticate => "Proxy-Authenticate";
    /// `Authentication-Info`.
    AuthenticationInfo => "Authentication-Info";
    /// `Content-Type` (`c`).
    ContentType => "Content-Type", 'c';
    /// `Content-Length` (`l`).
    ContentLength => "Content-Length", 'l';
    /// `Content-Encoding` (`e`).
    ContentEncoding => "Content-Encoding", 'e';
    /// `Content-Disposition`.
    ContentDisposition => "Content-Disposition";
    /// `Content-Language`.
    ContentLanguage => "Content-Language";
    /// `Expires`.
    Expires => "Expires";
    /// `Min-Expires`.
    MinExpires => "Min-Expires";
    /// `Allow`.
    Allow => "Allow";
    /// `Allow-Events` (`u`).
    AllowEvents => "Allow-Events", 'u';
    /// `Supported` (`k`).
    Supported => "Supported", 'k';
    /// `Require`.
    Require => "Require";
    /// `Proxy-Require`.
    ProxyRequire => "Proxy-Require";
    /// `Unsupported`.
    Unsupported => "Unsupported";
    /// `Accept`.
    Accept => "Accept";
    /// `Accept-Encoding`.
    AcceptEncoding => "Accept-Encoding";
    /// `Accept-Language`.
    AcceptLanguage => "Accept-Language";
    /// `Event` (`o`).
    Event => "Event", 'o';
    /// `Subscription-State`.
    SubscriptionState => "Subscription-State";
    /// `Refer-To` (`r`).
    ReferTo => "Refer-To", 'r';
    /// `Referred-By` (`b`).
    ReferredBy => "Referred-By", 'b';
    /// `Replaces`.
    Replaces => "Replaces";
    /// `Call-Info`.
    CallInfo => "Call-Info";
    /// `Alert-Info`.
    AlertInfo => "Alert-Info";
    /// `Error-Info`.
    ErrorInfo => "Error-Info";
    /// `Date`.
    Date => "Date";
    /// `User-Agent`.
    UserAgent => "User-Agent";
    /// `Server`.
    Server => "Server";
    /// `Reason`.
    Reason => "Reason";
    /// `P-Asserted-Identity`.
    PAssertedIdentity => "P-Asserted-Identity";
    /// `P-Preferred-Identity`.
    PPreferredIdentity => "P-Preferred-Identity";
    /// `Retry-After`.
    RetryAfter => "Retry-After";
    /// `Warning`.
    Warning => "Warning";
    /// `Subject` (`s`).
    Subject => "Subject", 's';
    /// `Session-Expires` (`x`).
    SessionExpires => "Session-Expires", 'x';
    /// `Min-SE`.
    MinSe => "Min-SE";
    /// `RSeq`.
    RSeq => "RSeq";
    /// `RAck`.
    RAck => "RAck";
    /// `Timestamp`.
    Timestamp => "Timestamp";
    /// `Organization`.
    Organization => "Organization";
    /// `Priority`.
    Priority => "Priority";
    /// `MIME-Version`.
    MimeVersion => "MIME-Version";
    /// `Path`.
    Path => "Path";
    /// `Service-Route`.
    ServiceRoute => "Service-Route";
    /// `Privacy`.
    Privacy => "Privacy";
    /// `Identity` (`y`).
    Identity => "Identity", 'y';
    /// `Refer-Sub`.
    ReferSub => "Refer-Sub";
    /// `In-Reply-To`.
    InReplyTo => "In-Reply-To";
    /// `Accept-Contact` (`a`).
    AcceptContact => "Accept-Contact", 'a';
    /// `Reject-Contact` (`j`).
    RejectContact => "Reject-Contact", 'j';
    /// `Request-Disposition` (`d`).
    RequestDisposition => "Request-Disposition", 'd';
}

impl HeaderName {
    /// Looks a header name up, case-insensitively, long or compact form.
    /// `None` for a header this crate does not know (it is still kept).
    pub fn lookup(name: &str) -> Option<HeaderName> {
        let b = name.as_bytes();
        if b.len() == 1 {
            let c = b[0].to_ascii_lowercase();
            return if c.is_ascii_lowercase() {
                BY_COMPACT[usize::from(c - b'a')]
            } else {
                None
            };
        }
        let candidates = BY_LEN.get(b.len())?;
        let mut buf = [0u8; FOLD_LEN];
        buf[..b.len()].copy_from_slice(b);
        let word = |k: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&buf[k * 8..k * 8 + 8]);
            u64::from_le_bytes(w)
        };
        let words = [word(0), word(1), word(2)];
        candidates
            .iter()
            .map_while(|c| *c)
            .find(|c| (0..3).all(|k| words[k] | c.mask[k] == c.lower[k]))
            .map(|c| c.name)
    }

    /// True for headers whose value may be a comma-separated list of
    /// elements (RFC 3261 §7.3.1). Authentication headers are not: their
    /// commas separate parameters of one credential or challenge.
    pub fn is_list(self) -> bool {
        use HeaderName as H;
        matches!(
            self,
            H::Via
                | H::Contact
                | H::Route
                | H::RecordRoute
                | H::Allow
                | H::AllowEvents
                | H::Supported
                | H::Require
                | H::ProxyRequire
                | H::Unsupported
                | H::Accept
                | H::AcceptEncoding
                | H::AcceptLanguage
                | H::ContentEncoding
                | H::ContentLanguage
                | H::CallInfo
                | H::AlertInfo
                | H::ErrorInfo
                | H::Reason
                | H::PAssertedIdentity
                | H::PPreferredIdentity
                | H::Warning
                | H::Path
                | H::ServiceRoute
                | H::InReplyTo
        )
    }
}

/// Bytes of a [`Folded`] name: three little-endian words.
const FOLD_LEN: usize = 24;
/// Longest canonical name [`BY_LEN`] has room for (`P-Preferred-Identity` is
/// 20); [`HeaderName::lookup`] relies on it being at most [`FOLD_LEN`].
const MAX_NAME_LEN: usize = FOLD_LEN;
/// Most known names of one length (7 have 7 letters).
const MAX_SAME_LEN: usize = 8;

/// A canonical name prepared for a case-insensitive comparison a word at a
/// time: `word(name) | mask == lower` holds exactly when
/// `name.eq_ignore_ascii_case(canonical)` (same length given). Letters are
/// lower-cased in `lower` and have 0x20 in `mask`; other bytes must match
/// exactly (mask 0). Bytes past the name are zero on both sides.
#[derive(Clone, Copy)]
struct Folded {
    lower: [u64; 3],
    mask: [u64; 3],
    name: HeaderName,
}

const fn fold(h: HeaderName) -> Folded {
    let canon = h.as_str().as_bytes();
    let mut lower = [0u8; FOLD_LEN];
    let mut mask = [0u8; FOLD_LEN];
    let mut i = 0;
    while i < canon.len() {
        if canon[i].is_ascii_alphabetic() {
            lower[i] = canon[i].to_ascii_lowercase();
            mask[i] = 0x20;
        } else {
            lower[i] = canon[i];
        }
        i += 1;
    }
    Folded {
        lower: words(lower),
        mask: words(mask),
        name: h,
    }
}

const fn words(b: [u8; FOLD_LEN]) -> [u64; 3] {
    let mut out = [0u64; 3];
    let mut k = 0;
    while k < 3 {
        let mut w = [0u8; 8];
        let mut i = 0;
        while i < 8 {
            w[i] = b[k * 8 + i];
            i += 1;
        }
        out[k] = u64::from_le_bytes(w);
        k += 1;
    }
    out
}

/// The known names by length, in [`HeaderName::ALL`] order, so that
/// [`HeaderName::lookup`] compares a few candidates instead of all of them.
/// A name longer than [`MAX_NAME_LEN`] or a bucket fuller than
/// [`MAX_SAME_LEN`] fails the build (index out of bounds in const evaluation).
static BY_LEN: [[Option<Folded>; MAX_SAME_LEN]; MAX_NAME_LEN + 1] = {
    let mut t = [[None; MAX_SAME_LEN]; MAX_NAME_LEN + 1];
    let mut i = 0;
    while i < HeaderName::ALL.len() {
        let h = HeaderName::ALL[i];
        let len = h.as_str().len();
        let mut j = 0;
        while t[len][j].is_some() {
            j += 1;
        }
        t[len][j] = Some(fold(h));
        i += 1;
    }
    t
};

/// The known headers by compact form (`a` to `z`); the first in
/// [`HeaderName::ALL`] order wins, as a linear search would.
static BY_COMPACT: [Option<HeaderName>; 26] = {
    let mut t = [None; 26];
    let mut i = 0;
    while i < HeaderName::ALL.len() {
        let h = HeaderName::ALL[i];
        if let Some(c) = h.compact() {
            let k = (c as u8 - b'a') as usize;
            if t[k].is_none() {
                t[k] = Some(h);
            }
        }
        i += 1;
    }
    t
};

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    known: Option<HeaderName>,
    name: (u32, u32),
    value: (u32, u32),
}

/// One header field as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderField<'a> {
    /// The name as written on the wire (or the canonical name for headers
    /// added through [`Headers::push`]).
    pub name: &'a str,
    /// The known header this is, if any.
    pub known: Option<HeaderName>,
    /// The value, leading/trailing whitespace trimmed, folding replaced by SP.
    pub value: &'a str,
}

/// The header fields of a message, in order.
#[derive(Clone, Default)]
pub struct Headers {
    buf: String,
    entries: Vec<Entry>,
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|h| (h.name, h.value)))
            .finish()
    }
}

impl PartialEq for Headers {
    /// Equal when the same fields (known by identity, unknown by name
    /// case-insensitively) hold the same values in the same order.
    fn eq(&self, other: &Headers) -> bool {
        self.len() == other.len()
            && self.iter().zip(other.iter()).all(|(a, b)| {
                a.value == b.value
                    && match (a.known, b.known) {
                        (Some(x), Some(y)) => x == y,
                        (None, None) => a.name.eq_ignore_ascii_case(b.name),
                        _ => false,
                    }
            })
    }
}
impl Eq for Headers {}

fn has_line_break(s: &str) -> bool {
    s.bytes().any(|b| b == b'\r' || b == b'\n')
}

impl Headers {
    /// An empty list.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// An empty list whose buffer starts with a copy of `text` (a header
    /// section), for [`Headers::push_parsed_span`].
    pub(crate) fn with_text(text: &str, fields: usize) -> Headers {
        Headers {
            buf: text.to_owned(),
            entries: Vec::with_capacity(fields),
        }
    }

    /// Number of header fields (a comma list on one line counts once).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no header fields.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[inline]
    fn span(&self, (a, b): (u32, u32)) -> &str {
        self.buf.get(a as usize..b as usize).unwrap_or("")
    }

    #[inline]
    fn field(&self, e: &Entry) -> HeaderField<'_> {
        HeaderField {
            name: self.span(e.name),
            known: e.known,
            value: self.span(e.value),
        }
    }

    /// All header fields in order.
    pub fn iter(&self) -> impl Iterator<Item = HeaderField<'_>> + '_ {
        self.entries.iter().map(|e| self.field(e))
    }

    /// The first value of a known header.
    pub fn get(&self, name: HeaderName) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.known == Some(name))
            .map(|e| self.span(e.value))
    }

    /// Every value (one per header line) of a known header.
    pub fn get_all(&self, name: HeaderName) -> impl Iterator<Item = &str> + '_ {
        self.entries
            .iter()
            .filter(move |e| e.known == Some(name))
            .map(|e| self.span(e.value))
    }

    /// The first value of any header by name (case-insensitive; compact
    /// forms of known headers match their long form).
    pub fn get_raw(&self, name: &str) -> Option<&str> {
        match HeaderName::lookup(name) {
            Some(k) => self.get(k),
            None => self
                .entries
                .iter()
                .find(|e| e.known.is_none() && self.span(e.name).eq_ignore_ascii_case(name))
                .map(|e| self.span(e.value)),
        }
    }

    /// How many header lines of a known header there are.
    pub fn count(&self, name: HeaderName) -> usize {
        self.entries
            .iter()
            .filter(|e| e.known == Some(name))
            .count()
    }

    /// True when the known header is present.
    pub fn contains(&self, name: HeaderName) -> bool {
        self.entries.iter().any(|e| e.known == Some(name))
    }

    fn push_text(&mut self, s: &str) -> (u32, u32) {
        let a = self.buf.len();
        self.buf.push_str(s);
        (to_u32(a), to_u32(self.buf.len()))
    }

    /// Appends a known header. Fails when the value holds CR or LF.
    pub fn push(&mut self, name: HeaderName, value: &str) -> Result<(), Error> {
        if has_line_break(value) {
            return Err(Error::InvalidValue(name.as_str()));
        }
        let name_span = self.push_text(name.as_str());
        let value_span = self.push_text(text::trim_ws(value));
        self.entries.push(Entry {
            known: Some(name),
            name: name_span,
            value: value_span,
        });
        Ok(())
    }

    /// Appends any header by name. Fails when the name is not a token or the
    /// value holds CR or LF.
    pub fn push_raw(&mut self, name: &str, value: &str) -> Result<(), Error> {
        if !text::is_token(name) || has_line_break(value) {
            return Err(Error::InvalidValue("header field"));
        }
        self.push_parsed(name, value);
        Ok(())
    }

    /// Appends a field whose name and value the parser already checked.
    pub(crate) fn push_parsed(&mut self, name: &str, value: &str) {
        let known = HeaderName::lookup(name);
        let name_span = self.push_text(name);
        let value_span = self.push_text(value);
        self.entries.push(Entry {
            known,
            name: name_span,
            value: value_span,
        });
    }

    /// Appends a field the parser checked, whose name and value are ranges
    /// of the text the list was made [`with_text`](Headers::with_text):
    /// nothing is copied.
    pub(crate) fn push_parsed_span(
        &mut self,
        name: std::ops::Range<usize>,
        value: std::ops::Range<usize>,
    ) {
        let known = HeaderName::lookup(self.buf.get(name.clone()).unwrap_or(""));
        self.entries.push(Entry {
            known,
            name: (to_u32(name.start), to_u32(name.end)),
            value: (to_u32(value.start), to_u32(value.end)),
        });
    }

    /// Appends a parsed field whose value was unfolded piece by piece.
    pub(crate) fn push_parsed_pieces<'s>(
        &mut self,
        name: &str,
        pieces: impl Iterator<Item = &'s str>,
    ) {
        let known = HeaderName::lookup(name);
        let name_span = self.push_text(name);
        let a = self.buf.len();
        for (i, p) in pieces.enumerate() {
            if i > 0 && !self.buf.ends_with(' ') && self.buf.len() > a {
                self.buf.push(' ');
            }
            self.buf.push_str(p);
        }
        let trimmed_len = self.buf[a..].trim_end_matches([' ', '\t']).len();
        self.buf.truncate(a + trimmed_len);
        self.entries.push(Entry {
            known,
            name: name_span,
            value: (to_u32(a), to_u32(a + trimmed_len)),
        });
    }

    /// Removes every line of a known header; returns how many there were.
    pub fn remove(&mut self, name: HeaderName) -> usize {
        let before = self.entries.len();
        self.entries.retain(|e| e.known != Some(name));
        before - self.entries.len()
    }

    /// Removes the header line at `index` (as numbered by [`Headers::iter`]).
    pub fn remove_at(&mut self, index: usize) -> bool {
        if index < self.entries.len() {
            self.entries.remove(index);
            true
        } else {
            false
        }
    }

    /// Replaces every line of a known header by one line with `value`.
    pub fn set(&mut self, name: HeaderName, value: &str) -> Result<(), Error> {
        if has_line_break(value) {
            return Err(Error::InvalidValue(name.as_str()));
        }
        let pos = self.entries.iter().position(|e| e.known == Some(name));
        self.remove(name);
        self.push(name, value)?;
        if let Some(pos) = pos {
            // Keep the header where it was.
            if let Some(e) = self.entries.pop() {
                self.entries.insert(pos.min(self.entries.len()), e);
            }
        }
        Ok(())
    }

    /// Inserts a known header before every other line (e.g. a new top Via).
    pub fn push_front(&mut self, name: HeaderName, value: &str) -> Result<(), Error> {
        self.push(name, value)?;
        if let Some(e) = self.entries.pop() {
            self.entries.insert(0, e);
        }
        Ok(())
    }

    /// Parses every element of a typed header, across lines and commas.
    pub fn typed_all<H: TypedHeader>(&self) -> Result<Vec<H>, Error> {
        let mut out = Vec::new();
        for v in self.get_all(H::NAME) {
            if H::NAME.is_list() {
                for el in text::split_commas(v) {
                    out.push(H::parse(el)?);
                }
            } else {
                out.push(H::parse(v)?);
            }
        }
        Ok(out)
    }

    /// Parses a single-valued typed header: `Ok(None)` when absent, an error
    /// when it is malformed or appears more than once.
    pub fn typed<H: TypedHeader>(&self) -> Result<Option<H>, Error> {
        let mut values = self.get_all(H::NAME);
        let Some(first) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(Error::DuplicateHeader(H::NAME));
        }
        if H::NAME.is_list() {
            let mut els = text::split_commas(first);
            let el = els.next().unwrap_or("");
            if els.next().is_some() {
                return Err(Error::DuplicateHeader(H::NAME));
            }
            H::parse(el).map(Some)
        } else {
            H::parse(first).map(Some)
        }
    }

    /// Parses the first element of a typed header (the top Via, the first Route…).
    pub fn typed_first<H: TypedHeader>(&self) -> Result<Option<H>, Error> {
        match self.get(H::NAME) {
            None => Ok(None),
            Some(v) if H::NAME.is_list() => {
                H::parse(text::split_commas(v).next().unwrap_or("")).map(Some)
            }
            Some(v) => H::parse(v).map(Some),
        }
    }

    /// Appends a typed header.
    pub fn push_typed<H: TypedHeader>(&mut self, h: &H) -> Result<(), Error> {
        let mut s = String::new();
        h.write(&mut s);
        self.push(H::NAME, &s)
    }

    /// Replaces every line of the header by the typed value.
    pub fn set_typed<H: TypedHeader>(&mut self, h: &H) -> Result<(), Error> {
        let mut s = String::new();
        h.write(&mut s);
        self.set(H::NAME, &s)
    }

    /// Writes `Name: value\r\n` for each field.
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        for h in self.iter() {
            out.extend_from_slice(h.name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(h.value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Bytes of text the fields take on the wire.
    pub(crate) fn wire_len(&self) -> usize {
        self.iter().map(|h| h.name.len() + h.value.len() + 4).sum()
    }
}

#[inline]
fn to_u32(n: usize) -> u32 {
    // Messages are bounded by `Limits::max_message_size`, far below 4 GiB;
    // a builder that goes past it saturates instead of wrapping.
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_long_and_compact() {
        assert_eq!(HeaderName::lookup("cALL-id"), Some(HeaderName::CallId));
        assert_eq!(HeaderName::lookup("I"), Some(HeaderName::CallId));
        assert_eq!(HeaderName::lookup("v"), Some(HeaderName::Via));
        assert_eq!(HeaderName::lookup("X-Whatever"), None);
        for h in HeaderName::ALL {
            assert_eq!(HeaderName::lookup(h.as_str()), Some(*h));
            if let Some(c) = h.compact() {
                assert_eq!(HeaderName::lookup(&c.to_string()), Some(*h), "{h}");
            }
        }
    }

    #[test]
    fn push_set_remove() {
        let mut h = Headers::new();
        h.push(HeaderName::Via, "SIP/2.0/UDP a").unwrap();
        h.push_raw("X-Foo", "bar").unwrap();
        h.push(HeaderName::Via, "SIP/2.0/UDP b").unwrap();
        assert_eq!(
            h.get_all(HeaderName::Via).collect::<Vec<_>>(),
            ["SIP/2.0/UDP a", "SIP/2.0/UDP b"]
        );
        assert_eq!(h.get_raw("x-foo"), Some("bar"));
        h.set(HeaderName::Via, "SIP/2.0/TCP c").unwrap();
        assert_eq!(
            h.iter().map(|f| f.value).collect::<Vec<_>>(),
            ["SIP/2.0/TCP c", "bar"]
        );
        assert!(h.push(HeaderName::Subject, "a\r\nInjected: x").is_err());
        assert!(h.push_raw("Bad Name", "x").is_err());
        assert_eq!(h.remove(HeaderName::Via), 1);
        assert_eq!(h.len(), 1);
    }
}
