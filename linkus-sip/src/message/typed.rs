//! Typed views of the header fields a user agent works with.
//!
//! Each type parses one header value (one element of a comma-separated list
//! for list headers) and writes itself back in canonical form. Reach them
//! through [`Headers::typed`](super::Headers::typed),
//! [`Headers::typed_all`](super::Headers::typed_all) and
//! [`Headers::push_typed`](super::Headers::push_typed).

use std::fmt::Write as _;

use super::headers::HeaderName;
use super::method::Method;
use super::params::{Params, parse_header_params};
use super::text;
use super::uri::{Host, Uri, parse_hostport};
use crate::error::Error;

/// A header with a typed representation.
pub trait TypedHeader: Sized {
    /// The header this type represents.
    const NAME: HeaderName;
    /// Parses one value (one list element for list headers).
    fn parse(value: &str) -> Result<Self, Error>;
    /// Writes the value in canonical form.
    fn write(&self, out: &mut String);
}

fn bad(header: HeaderName, reason: &'static str) -> Error {
    Error::InvalidHeader { header, reason }
}

/// `delta-seconds`: 0 to 2^32-1 (RFC 3261 §20.19, RFC 4475 §3.1.2.4).
fn delta_seconds(s: &str, header: HeaderName) -> Result<u32, Error> {
    text::parse_decimal(text::trim_ws(s), u64::from(u32::MAX))
        .and_then(|v| u32::try_from(v).ok())
        .ok_or(bad(header, "not a number of seconds from 0 to 2^32-1"))
}

fn params_or(s: &str, header: HeaderName) -> Result<Params, Error> {
    parse_header_params(s).ok_or(bad(header, "malformed parameters"))
}

// ---------------------------------------------------------------------------
// name-addr / addr-spec

/// `[display-name] <URI>` or a bare URI, with header parameters: the value
/// of From, To, Contact, Route, Record-Route, Refer-To, Referred-By,
/// P-Asserted-Identity and friends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// The display name, unquoted (quoted-pairs resolved).
    pub display_name: Option<String>,
    /// The URI.
    pub uri: Uri,
    /// Header parameters (`tag`, `expires`, `q`, …), after the URI.
    pub params: Params,
}

impl NameAddr {
    /// A name-addr with just a URI.
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr {
            display_name: None,
            uri,
            params: Params::default(),
        }
    }

    /// Parses a name-addr or addr-spec followed by header parameters.
    /// `require_angle` is set for headers that only allow name-addr (Route…).
    pub fn parse_with(s: &str, header: HeaderName, require_angle: bool) -> Result<NameAddr, Error> {
        let s = text::trim_ws(s);
        let (display_name, after_name) = if s.starts_with('"') {
            let (inner, rest) =
                text::take_quoted(s).ok_or(bad(header, "unterminated quoted display name"))?;
            let rest = text::trim_ws(rest);
            if !rest.starts_with('<') {
                return Err(bad(header, "quoted display name not followed by <URI>"));
            }
            (Some(text::unquote(inner).into_owned()), rest)
        } else if let Some(lt) = s[..s.find(';').unwrap_or(s.len())].find('<') {
            // A token display name holds no ';': a '<' after one is in a
            // parameter of an addr-spec (`tel:1;x="<"`), not a LAQUOT.
            let name = text::trim_ws(&s[..lt]);
            if name.is_empty() {
                (None, &s[lt..])
            } else {
                // display-name = *(token LWS): each word must be a token.
                if !name
                    .split([' ', '\t'])
                    .filter(|w| !w.is_empty())
                    .all(text::is_token)
                {
                    return Err(bad(
                        header,
                        "display name is neither tokens nor a quoted string",
                    ));
                }
                (Some(name.to_owned()), &s[lt..])
            }
        } else {
            if require_angle {
                return Err(bad(header, "the URI must be enclosed in <>"));
            }
            // addr-spec: the URI ends at the first ';' or whitespace, and may
            // not carry '?', ',' or ';' (RFC 3261 §20.10, RFC 4475 §3.1.2.13).
            let end = s.find([';', ' ', '\t']).unwrap_or(s.len());
            let uri_text = &s[..end];
            if uri_text.contains(['?', ',']) {
                return Err(bad(
                    header,
                    "a URI with ?, ',' or ';' must be enclosed in <>",
                ));
            }
            let uri = Uri::parse(uri_text)?;
            let params = params_or(&s[end..], header)?;
            return Ok(NameAddr {
                display_name: None,
                uri,
                params,
            });
        };
        // after_name starts with '<'; no whitespace is allowed inside <>.
        let inner_and_rest = &after_name[1..];
        let gt = inner_and_rest.find('>').ok_or(bad(header, "missing >"))?;
        let inner = &inner_and_rest[..gt];
        if inner.starts_with([' ', '\t']) || inner.ends_with([' ', '\t']) {
            return Err(bad(header, "whitespace inside <>"));
        }
        let uri = Uri::parse(inner)?;
        let params = params_or(&inner_and_rest[gt + 1..], header)?;
        Ok(NameAddr {
            display_name,
            uri,
            params,
        })
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&str> {
        self.params.get("tag").flatten()
    }

    /// Sets the `tag` parameter.
    pub fn set_tag(&mut self, tag: &str) {
        self.params.set("tag", Some(tag));
    }

    fn write_to(&self, out: &mut String) {
        if let Some(d) = &self.display_name {
            text::write_quoted(out, d);
            out.push(' ');
        }
        let _ = write!(out, "<{}>{}", self.uri, self.params);
    }
}

impl std::fmt::Display for NameAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        self.write_to(&mut s);
        f.write_str(&s)
    }
}

macro_rules! name_addr_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident, $angle:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty(pub NameAddr);

        impl TypedHeader for $ty {
            const NAME: HeaderName = HeaderName::$name;
            fn parse(value: &str) -> Result<Self, Error> {
                NameAddr::parse_with(value, HeaderName::$name, $angle).map($ty)
            }
            fn write(&self, out: &mut String) {
                self.0.write_to(out)
            }
        }

        impl std::ops::Deref for $ty {
            type Target = NameAddr;
            fn deref(&self) -> &NameAddr {
                &self.0
            }
        }

        impl std::ops::DerefMut for $ty {
            fn deref_mut(&mut self) -> &mut NameAddr {
                &mut self.0
            }
        }
    };
}

name_addr_header!(
    /// `From`: the initiator, with the dialog's local/remote `tag`.
    From, From, false
);
name_addr_header!(
    /// `To`: the target, with a `tag` once in a dialog.
    To, To, false
);
name_addr_header!(
    /// One `Route` entry (name-addr form only).
    Route, Route, true
);
name_addr_header!(
    /// One `Record-Route` entry (name-addr form only).
    RecordRoute, RecordRoute, true
);
name_addr_header!(
    /// `Refer-To` (RFC 3515); the URI may carry `?Replaces=` for attended transfer.
    ReferTo, ReferTo, false
);
name_addr_header!(
    /// `Referred-By` (RFC 3892).
    ReferredBy, ReferredBy, false
);
name_addr_header!(
    /// One `P-Asserted-Identity` (RFC 3325).
    PAssertedIdentity, PAssertedIdentity, false
);
name_addr_header!(
    /// One `P-Preferred-Identity` (RFC 3325).
    PPreferredIdentity, PPreferredIdentity, false
);
name_addr_header!(
    /// One `Path` entry (RFC 3327).
    Path, Path, true
);
name_addr_header!(
    /// One `Service-Route` entry (RFC 3608).
    ServiceRoute, ServiceRoute, true
);

/// One `Contact` value: `*` (in REGISTER, remove all bindings) or an address
/// with `expires` and `q`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    /// `Contact: *`
    Star,
    /// An address.
    Addr(NameAddr),
}

impl Contact {
    /// The address, unless this is `*`.
    pub fn addr(&self) -> Option<&NameAddr> {
        match self {
            Contact::Addr(a) => Some(a),
            Contact::Star => None,
        }
    }

    /// The `expires` parameter.
    pub fn expires(&self) -> Option<u32> {
        self.addr()?
            .params
            .get("expires")?
            .and_then(|v| v.parse().ok())
    }

    /// The `q` parameter in thousandths (`q=0.33` → 330).
    pub fn q(&self) -> Option<u16> {
        parse_qvalue(self.addr()?.params.get("q")??)
    }
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_qvalue(s: &str) -> Option<u16> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

impl TypedHeader for Contact {
    const NAME: HeaderName = HeaderName::Contact;
    fn parse(value: &str) -> Result<Contact, Error> {
        if text::trim_ws(value) == "*" {
            return Ok(Contact::Star);
        }
        let na = NameAddr::parse_with(value, HeaderName::Contact, false)?;
        if let Some(v) = na.params.get("expires") {
            delta_seconds(v.unwrap_or(""), HeaderName::Contact)?;
        }
        if let Some(v) = na.params.get("q") {
            parse_qvalue(v.unwrap_or("")).ok_or(bad(HeaderName::Contact, "invalid q value"))?;
        }
        Ok(Contact::Addr(na))
    }
    fn write(&self, out: &mut String) {
        match self {
            Contact::Star => out.push('*'),
            Contact::Addr(a) => a.write_to(out),
        }
    }
}

// ---------------------------------------------------------------------------
// Via

/// The transport of a Via or URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP
    Udp,
    /// TCP
    Tcp,
    /// TLS
    Tls,
    /// SCTP
    Sctp,
    /// WebSocket (RFC 7118)
    Ws,
    /// Secure WebSocket (RFC 7118)
    Wss,
    /// Any other token, kept (RFC 4475 §3.1.1.10).
    Other(String),
}

impl Transport {
    /// Parses a transport token, case-insensitively.
    pub fn parse(s: &str) -> Option<Transport> {
        let t = match s.to_ascii_uppercase().as_str() {
            "UDP" => Transport::Udp,
            "TCP" => Transport::Tcp,
            "TLS" => Transport::Tls,
            "SCTP" => Transport::Sctp,
            "WS" => Transport::Ws,
            "WSS" => Transport::Wss,
            _ if text::is_token(s) => Transport::Other(s.to_owned()),
            _ => return None,
        };
        Some(t)
    }

    /// The token as written in a Via.
    pub fn as_str(&self) -> &str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Sctp => "SCTP",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
            Transport::Other(s) => s,
        }
    }

    /// True for transports that retransmit themselves (everything but UDP).
    pub fn is_reliable(&self) -> bool {
        !matches!(self, Transport::Udp)
    }
}

/// The RFC 3261 branch magic cookie.
pub const BRANCH_MAGIC_COOKIE: &str = "z9hG4bK";

/// One Via entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Protocol name, `SIP`.
    pub protocol: String,
    /// Protocol version, `2.0`.
    pub version: String,
    /// Transport.
    pub transport: Transport,
    /// sent-by host.
    pub host: Host,
    /// sent-by port.
    pub port: Option<u16>,
    /// Parameters (`branch`, `received`, `rport`, `maddr`, `ttl`, …).
    pub params: Params,
}

impl Via {
    /// A `SIP/2.0/<transport> host[:port];branch=…` entry.
    pub fn new(transport: Transport, host: Host, port: Option<u16>, branch: &str) -> Via {
        let mut params = Params::default();
        params.push("branch", Some(branch));
        Via {
            protocol: "SIP".into(),
            version: "2.0".into(),
            transport,
            host,
            port,
            params,
        }
    }

    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&str> {
        self.params.get("branch").flatten()
    }

    /// True when the branch starts with the RFC 3261 magic cookie and has
    /// something after it (RFC 4475 §3.2.1: the bare cookie does not count),
    /// so that RFC 3261 transaction matching applies; otherwise RFC 2543
    /// matching (§17.2.3) is needed.
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch().is_some_and(|b| {
            b.len() > BRANCH_MAGIC_COOKIE.len() && b.starts_with(BRANCH_MAGIC_COOKIE)
        })
    }

    /// The `received` parameter (RFC 3261 §18.2.1).
    pub fn received(&self) -> Option<std::net::IpAddr> {
        let v = self.params.get("received")??;
        v.trim_start_matches('[').trim_end_matches(']').parse().ok()
    }

    /// `rport`: `None` when absent, `Some(None)` when requested without a
    /// value, `Some(Some(port))` when filled in by the server (RFC 3581).
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params
            .get("rport")
            .map(|v| v.and_then(|p| p.parse().ok()))
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&str> {
        self.params.get("maddr").flatten()
    }
}

impl TypedHeader for Via {
    const NAME: HeaderName = HeaderName::Via;
    fn parse(value: &str) -> Result<Via, Error> {
        const H: HeaderName = HeaderName::Via;
        let (protocol, rest) = value
            .split_once('/')
            .ok_or(bad(H, "missing sent-protocol"))?;
        let (version, rest) = rest
            .split_once('/')
            .ok_or(bad(H, "missing sent-protocol"))?;
        let (protocol, version) = (text::trim_ws(protocol), text::trim_ws(version));
        if !text::is_token(protocol) || !text::is_token(version) {
            return Err(bad(H, "malformed sent-protocol"));
        }
        let rest = text::trim_ws(rest);
        let t_end = rest.find([' ', '\t']).ok_or(bad(H, "missing sent-by"))?;
        let transport = Transport::parse(&rest[..t_end]).ok_or(bad(H, "invalid transport"))?;
        let rest = text::trim_ws(&rest[t_end..]);
        let p_start = rest.find(';').unwrap_or(rest.len());
        // sent-by = host [ COLON port ], COLON may have whitespace around it.
        let sent_by: String = rest[..p_start]
            .chars()
            .filter(|c| *c != ' ' && *c != '\t')
            .collect();
        let (host, port) = parse_hostport(&sent_by).map_err(|_| bad(H, "invalid sent-by"))?;
        let params = params_or(&rest[p_start..], H)?;
        for p in &params {
            let v = p.value.as_deref();
            let ok = if text::eq_ic(&p.name, "ttl") {
                v.and_then(|v| text::parse_decimal(v, 255)).is_some()
            } else if text::eq_ic(&p.name, "rport") {
                v.is_none_or(|v| text::parse_decimal(v, 65535).is_some())
            } else if text::eq_ic(&p.name, "received") {
                v.is_some_and(|v| {
                    v.trim_start_matches('[')
                        .trim_end_matches(']')
                        .parse::<std::net::IpAddr>()
                        .is_ok()
                })
            } else if text::eq_ic(&p.name, "branch") || text::eq_ic(&p.name, "maddr") {
                v.is_some_and(text::is_token) || v.is_some_and(|v| Host::parse(v).is_ok())
            } else {
                true
            };
            if !ok {
                return Err(bad(H, "invalid Via parameter value"));
            }
        }
        Ok(Via {
            protocol: protocol.to_owned(),
            version: version.to_owned(),
            transport,
            host,
            port,
            params,
        })
    }
    fn write(&self, out: &mut String) {
        let _ = write!(
            out,
            "{}/{}/{} {}",
            self.protocol,
            self.version,
            self.transport.as_str(),
            self.host
        );
        if let Some(p) = self.port {
            let _ = write!(out, ":{p}");
        }
        let _ = write!(out, "{}", self.params);
    }
}

// ---------------------------------------------------------------------------
// Scalars

/// `CSeq`: sequence number and method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    /// Sequence number, below 2^31 (RFC 3261 §8.1.1.5).
    pub seq: u32,
    /// Method.
    pub method: Method,
}

impl TypedHeader for CSeq {
    const NAME: HeaderName = HeaderName::CSeq;
    fn parse(value: &str) -> Result<CSeq, Error> {
        const H: HeaderName = HeaderName::CSeq;
        let value = text::trim_ws(value);
        let sp = value.find([' ', '\t']).ok_or(bad(H, "missing method"))?;
        let seq = text::parse_decimal(&value[..sp], (1 << 31) - 1)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or(bad(H, "sequence number is not below 2^31"))?;
        let method =
            Method::parse(text::trim_ws(&value[sp..])).map_err(|_| bad(H, "invalid method"))?;
        Ok(CSeq { seq, method })
    }
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{} {}", self.seq, self.method);
    }
}

/// `RAck` (RFC 3262): response number, CSeq number and method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RAck {
    /// The RSeq being acknowledged.
    pub rseq: u32,
    /// The CSeq number of the INVITE.
    pub cseq: u32,
    /// The CSeq method.
    pub method: Method,
}

impl TypedHeader for RAck {
    const NAME: HeaderName = HeaderName::RAck;
    fn parse(value: &str) -> Result<RAck, Error> {
        const H: HeaderName = HeaderName::RAck;
        let mut it = value.split([' ', '\t']).filter(|s| !s.is_empty());
        let rseq = it
            .next()
            .and_then(|v| text::parse_decimal(v, u64::from(u32::MAX)));
        let cseq = it
            .next()
            .and_then(|v| text::parse_decimal(v, u64::from(u32::MAX)));
        let method = it.next().and_then(|m| Method::parse(m).ok());
        match (rseq, cseq, method, it.next()) {
            (Some(r), Some(c), Some(method), None) => Ok(RAck {
                rseq: u32::try_from(r).map_err(|_| bad(H, "overflow"))?,
                cseq: u32::try_from(c).map_err(|_| bad(H, "overflow"))?,
                method,
            }),
            _ => Err(bad(H, "expected `response-num CSeq-num Method`")),
        }
    }
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{} {} {}", self.rseq, self.cseq, self.method);
    }
}

macro_rules! number_header {
    ($(#[$doc:meta])* $ty:ident($int:ty), $name:ident, $max:expr, $reason:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub struct $ty(pub $int);

        impl TypedHeader for $ty {
            const NAME: HeaderName = HeaderName::$name;
            fn parse(value: &str) -> Result<Self, Error> {
                text::parse_decimal(text::trim_ws(value), $max)
                    .and_then(|v| <$int>::try_from(v).ok())
                    .map($ty)
                    .ok_or(bad(HeaderName::$name, $reason))
            }
            fn write(&self, out: &mut String) {
                let _ = write!(out, "{}", self.0);
            }
        }
    };
}

number_header!(
    /// `Max-Forwards`: 0 to 255.
    MaxForwards(u8), MaxForwards, 255, "not a number from 0 to 255"
);
number_header!(
    /// `Expires`: seconds, 0 to 2^32-1.
    Expires(u32), Expires, u64::from(u32::MAX), "not a number of seconds from 0 to 2^32-1"
);
number_header!(
    /// `Min-Expires`: seconds.
    MinExpires(u32), MinExpires, u64::from(u32::MAX), "not a number of seconds from 0 to 2^32-1"
);
number_header!(
    /// `Content-Length`: body octets.
    ContentLength(u32), ContentLength, u64::from(u32::MAX), "not a non-negative number"
);
number_header!(
    /// `RSeq` (RFC 3262): 1 to 2^31-1.
    RSeq(u32), RSeq, (1 << 31) - 1, "not a number below 2^31"
);
number_header!(
    /// `Min-SE` (RFC 4028): seconds.
    MinSe(u32), MinSe, u64::from(u32::MAX), "not a number of seconds"
);

/// `Session-Expires` (RFC 4028): interval and refresher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionExpires {
    /// Interval in seconds.
    pub seconds: u32,
    /// Parameters (`refresher=uac|uas`).
    pub params: Params,
}

impl SessionExpires {
    /// The `refresher` parameter.
    pub fn refresher(&self) -> Option<&str> {
        self.params.get("refresher").flatten()
    }
}

impl TypedHeader for SessionExpires {
    const NAME: HeaderName = HeaderName::SessionExpires;
    fn parse(value: &str) -> Result<SessionExpires, Error> {
        const H: HeaderName = HeaderName::SessionExpires;
        let end = value.find(';').unwrap_or(value.len());
        Ok(SessionExpires {
            seconds: delta_seconds(&value[..end], H)?,
            params: params_or(&value[end..], H)?,
        })
    }
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{}{}", self.seconds, self.params);
    }
}

/// `Call-ID`: `word [ "@" word ]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallId(pub String);

impl TypedHeader for CallId {
    const NAME: HeaderName = HeaderName::CallId;
    fn parse(value: &str) -> Result<CallId, Error> {
        let v = text::trim_ws(value);
        let ok = match v.split_once('@') {
            Some((a, b)) => text::is_word(a) && text::is_word(b),
            None => text::is_word(v),
        };
        if ok {
            Ok(CallId(v.to_owned()))
        } else {
            Err(bad(HeaderName::CallId, "not word[@word]"))
        }
    }
    fn write(&self, out: &mut String) {
        out.push_str(&self.0);
    }
}

// ---------------------------------------------------------------------------
// Media types and token lists

/// A media type with parameters (`application/sdp`, `multipart/mixed;boundary=x`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    /// Top-level type (`application`), `*` in an Accept range.
    pub kind: String,
    /// Subtype (`sdp`), `*` in an Accept range.
    pub subtype: String,
    /// Parameters.
    pub params: Params,
}

impl MediaType {
    /// A type without parameters.
    pub fn new(kind: &str, subtype: &str) -> MediaType {
        MediaType {
            kind: kind.to_owned(),
            subtype: subtype.to_owned(),
            params: Params::default(),
        }
    }

    /// Case-insensitive comparison of type and subtype (ignoring parameters).
    pub fn is(&self, kind: &str, subtype: &str) -> bool {
        text::eq_ic(&self.kind, kind) && text::eq_ic(&self.subtype, subtype)
    }

    /// True when this (Accept) range covers `other`.
    pub fn matches(&self, other: &MediaType) -> bool {
        (self.kind == "*" || text::eq_ic(&self.kind, &other.kind))
            && (self.subtype == "*" || text::eq_ic(&self.subtype, &other.subtype))
    }

    fn parse_in(value: &str, header: HeaderName) -> Result<MediaType, Error> {
        let end = value.find(';').unwrap_or(value.len());
        let (kind, subtype) = value[..end]
            .split_once('/')
            .ok_or(bad(header, "expected type/subtype"))?;
        let (kind, subtype) = (text::trim_ws(kind), text::trim_ws(subtype));
        if !text::is_token(kind) || !text::is_token(subtype) {
            return Err(bad(header, "type and subtype must be tokens"));
        }
        Ok(MediaType {
            kind: kind.to_owned(),
            subtype: subtype.to_owned(),
            params: params_or(&value[end..], header)?,
        })
    }
}

impl std::fmt::Display for MediaType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}{}", self.kind, self.subtype, self.params)
    }
}

/// `Content-Type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType(pub MediaType);

impl TypedHeader for ContentType {
    const NAME: HeaderName = HeaderName::ContentType;
    fn parse(value: &str) -> Result<ContentType, Error> {
        MediaType::parse_in(value, HeaderName::ContentType).map(ContentType)
    }
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{}", self.0);
    }
}

/// One `Accept` media range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accept(pub MediaType);

impl TypedHeader for Accept {
    const NAME: HeaderName = HeaderName::Accept;
    fn parse(value: &str) -> Result<Accept, Error> {
        MediaType::parse_in(value, HeaderName::Accept).map(Accept)
    }
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{}", self.0);
    }
}

macro_rules! token_list_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $ty(pub String);

        impl TypedHeader for $ty {
            const NAME: HeaderName = HeaderName::$name;
            fn parse(value: &str) -> Result<Self, Error> {
                let v = text::trim_ws(value);
                if text::is_token(v) {
                    Ok($ty(v.to_owned()))
                } else {
                    Err(bad(HeaderName::$name, "not a token"))
                }
            }
            fn write(&self, out: &mut String) {
                out.push_str(&self.0);
            }
        }
    };
}

token_list_header!(
    /// One `Supported` option tag.
    Supported, Supported
);
token_list_header!(
    /// One `Require` option tag.
    Require, Require
);
token_list_header!(
    /// One `Proxy-Require` option tag.
    ProxyRequire, ProxyRequire
);
token_list_header!(
    /// One `Unsupported` option tag.
    Unsupported, Unsupported
);
token_list_header!(
    /// One `Content-Encoding` coding.
    ContentEncoding, ContentEncoding
);
token_list_header!(
    /// One `Allow-Events` package.
    AllowEvents, AllowEvents
);

/// One `Allow` method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allow(pub Method);

impl TypedHeader for Allow {
    const NAME: HeaderName = HeaderName::Allow;
    fn parse(value: &str) -> Result<Allow, Error> {
        Method::parse(text::trim_ws(value))
            .map(Allow)
            .map_err(|_| bad(HeaderName::Allow, "not a method"))
    }
    fn write(&self, out: &mut String) {
        out.push_str(self.0.as_str());
    }
}

/// One `Accept-Encoding` coding with parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptEncoding {
    /// The coding (`gzip`, `identity`, `*`).
    pub coding: String,
    /// Parameters (`q`).
    pub params: Params,
}

impl TypedHeader for AcceptEncoding {
    const NAME: HeaderName = HeaderName::AcceptEncoding;
    fn parse(value: &str) -> Result<AcceptEncoding, Error> {
        const H: HeaderName = HeaderName::AcceptEncoding;
        let (coding, params) = token_with_params(value, H)?;
        Ok(AcceptEncoding { coding, params })
    }
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{}{}", self.coding, self.params);
    }
}

fn token_with_params(value: &str, header: HeaderName) -> Result<(String, Params), Error> {
    let end = value.find(';').unwrap_or(value.len());
    let tok = text::trim_ws(&value[..end]);
    if !text::is_token(tok) {
        return Err(bad(header, "not a token"));
    }
    Ok((tok.to_owned(), params_or(&value[end..], header)?))
}

// ---------------------------------------------------------------------------
// Events, subscriptions, transfer

/// `Event` (RFC 6665): package and parameters (`id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Event package (`presence`, `dialog`, `message-summary`, `refer`, …).
    pub package: String,
    /// Parameters.
    pub params: Params,
}

impl Event {
    /// The `id` parameter.
    pub fn id(&self) -> Option<&str> {
        self.params.get("id").flatten()
    }
}

impl TypedHeader for Event {
    const NAME: HeaderName = HeaderName::Event;
    fn parse(value: &str) -> Result<Event, Error> {
        let (package, params) = token_with_params(value, HeaderName::Event)?;
        Ok(Event { package, params })
    }
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{}{}", self.package, self.params);
    }
}

/// `Subscription-State` (RFC 6665).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionState {
    /// `active`, `pending`, `terminated` or an extension.
    pub state: String,
    /// Parameters (`expires`, `reason`, `retry-after`).
    pub params: Params,
}

impl SubscriptionState {
    /// The `expires` parameter.
    pub fn expires(&self) -> Option<u32> {
        self.params.get("expires")?.and_then(|v| v.parse().ok())
    }
    /// The `reason` parameter.
    pub fn reason(&self) -> Option<&str> {
        self.params.get("reason").flatten()
    }
    /// The `retry-after` parameter.
    pub fn retry_after(&self) -> Option<u32> {
        self.params.get("retry-after")?.and_then(|v| v.parse().ok())
    }
}

impl TypedHeader for SubscriptionState {
    const NAME: HeaderName = HeaderName::SubscriptionState;
    fn parse(value: &str) -> Result<SubscriptionState, Error> {
        const H: HeaderName = HeaderName::SubscriptionState;
        let (state, params) = token_with_params(value, H)?;
        for name in ["expires", "retry-after"] {
            if let Some(v) = params.get(name) {
                delta_seconds(v.unwrap_or(""), H)?;
            }
        }
        Ok(SubscriptionState { state, params })
    }
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{}{}", self.state, self.params);
    }
}

/// `Replaces` (RFC 3891): the dialog an attended transfer replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaces {
    /// Call-ID of the replaced dialog.
    pub call_id: String,
    /// Parameters (`to-tag`, `from-tag`, `early-only`).
    pub params: Params,
}

impl Replaces {
    /// The `to-tag` parameter.
    pub fn to_tag(&self) -> Option<&str> {
        self.params.get("to-tag").flatten()
    }
    /// The `from-tag` parameter.
    pub fn from_tag(&self) -> Option<&str> {
        self.params.get("from-tag").flatten()
    }
    /// True when `early-only` is present.
    pub fn early_only(&self) -> bool {
        self.params.contains("early-only")
    }
}

impl TypedHeader for Replaces {
    const NAME: HeaderName = HeaderName::Replaces;
    fn parse(value: &str) -> Result<Replaces, Error> {
        const H: HeaderName = HeaderName::Replaces;
        let end = value.find(';').unwrap_or(value.len());
        let call_id = CallId::parse(&value[..end])
            .map_err(|_| bad(H, "invalid Call-ID"))?
            .0;
        let params = params_or(&value[end..], H)?;
        if params.get("to-tag").flatten().is_none() || params.get("from-tag").flatten().is_none() {
            return Err(bad(H, "to-tag and from-tag are required"));
        }
        Ok(Replaces { call_id, params })
    }
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{}{}", self.call_id, self.params);
    }
}

macro_rules! uri_info_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty {
            /// The URI between `<>`.
            pub uri: Uri,
            /// Parameters (`purpose`, `answer-after`, `info`, …).
            pub params: Params,
        }

        impl TypedHeader for $ty {
            const NAME: HeaderName = HeaderName::$name;
            fn parse(value: &str) -> Result<Self, Error> {
                const H: HeaderName = HeaderName::$name;
                let v = text::trim_ws(value);
                let inner = v.strip_prefix('<').ok_or(bad(H, "the URI must be enclosed in <>"))?;
                let gt = inner.find('>').ok_or(bad(H, "missing >"))?;
                let uri = Uri::parse(&inner[..gt])?;
                Ok($ty { uri, params: params_or(&inner[gt + 1..], H)? })
            }
            fn write(&self, out: &mut String) {
                let _ = write!(out, "<{}>{}", self.uri, self.params);
            }
        }
    };
}

uri_info_header!(
    /// One `Call-Info` entry (`answer-after` for paging/intercom, `purpose=icon`, …).
    CallInfo, CallInfo
);
uri_info_header!(
    /// One `Alert-Info` entry (ring tone URI, `info=alert-autoanswer`, …).
    AlertInfo, AlertInfo
);
uri_info_header!(
    /// One `Error-Info` entry.
    ErrorInfo, ErrorInfo
);

/// One `Reason` entry (RFC 3326): `SIP;cause=200;text="Call completed elsewhere"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// Protocol (`SIP`, `Q.850`, …).
    pub protocol: String,
    /// Parameters (`cause`, `text`).
    pub params: Params,
}

impl Reason {
    /// The `cause` parameter.
    pub fn cause(&self) -> Option<u16> {
        self.params.get("cause")?.and_then(|v| v.parse().ok())
    }
    /// The `text` parameter, unquoted.
    pub fn text(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.params.get_unquoted("text")
    }
}

impl TypedHeader for Reason {
    const NAME: HeaderName = HeaderName::Reason;
    fn parse(value: &str) -> Result<Reason, Error> {
        const H: HeaderName = HeaderName::Reason;
        let (protocol, params) = token_with_params(value, H)?;
        if let Some(c) = params.get("cause") {
            text::parse_decimal(c.unwrap_or(""), u64::from(u16::MAX))
                .ok_or(bad(H, "invalid cause"))?;
        }
        Ok(Reason { protocol, params })
    }
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{}{}", self.protocol, self.params);
    }
}

// ---------------------------------------------------------------------------
// Retry-After, Warning, Date, User-Agent

/// `Retry-After`: seconds, optional comment and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryAfter {
    /// Seconds.
    pub seconds: u32,
    /// The comment, without parentheses.
    pub comment: Option<String>,
    /// Parameters (`duration`).
    pub params: Params,
}

impl TypedHeader for RetryAfter {
    const NAME: HeaderName = HeaderName::RetryAfter;
    fn parse(value: &str) -> Result<RetryAfter, Error> {
        const H: HeaderName = HeaderName::RetryAfter;
        let v = text::trim_ws(value);
        let num_end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
        let seconds = delta_seconds(&v[..num_end], H)?;
        let mut rest = text::trim_ws(&v[num_end..]);
        let mut comment = None;
        if let Some(c) = rest.strip_prefix('(') {
            let close = c.rfind(')').ok_or(bad(H, "unterminated comment"))?;
            comment = Some(c[..close].to_owned());
            rest = &c[close + 1..];
        }
        Ok(RetryAfter {
            seconds,
            comment,
            params: params_or(rest, H)?,
        })
    }
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{}", self.seconds);
        if let Some(c) = &self.comment {
            let _ = write!(out, " ({c})");
        }
        let _ = write!(out, "{}", self.params);
    }
}

/// One `Warning` entry: `399 host "text"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Three-digit warn-code.
    pub code: u16,
    /// warn-agent (`host[:port]` or pseudonym).
    pub agent: String,
    /// warn-text, unquoted.
    pub text: String,
}

impl TypedHeader for Warning {
    const NAME: HeaderName = HeaderName::Warning;
    fn parse(value: &str) -> Result<Warning, Error> {
        const H: HeaderName = HeaderName::Warning;
        let v = text::trim_ws(value);
        let (code, rest) = v
            .split_once(' ')
            .ok_or(bad(H, "expected `code agent \"text\"`"))?;
        if code.len() != 3 {
            return Err(bad(H, "warn-code must be three digits"));
        }
        let code = text::parse_decimal(code, 999)
            .and_then(|c| u16::try_from(c).ok())
            .ok_or(bad(H, "warn-code must be three digits"))?;
        let (agent, rest) = text::trim_ws(rest)
            .split_once(' ')
            .ok_or(bad(H, "missing warn-text"))?;
        let (inner, after) =
            text::take_quoted(text::trim_ws(rest)).ok_or(bad(H, "warn-text must be quoted"))?;
        if !text::trim_ws(after).is_empty() || agent.is_empty() {
            return Err(bad(H, "trailing characters"));
        }
        Ok(Warning {
            code,
            agent: agent.to_owned(),
            text: text::unquote(inner).into_owned(),
        })
    }
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{:03} {} ", self.code, self.agent);
        text::write_quoted(out, &self.text);
    }
}

/// `Date`: an RFC 1123 date in GMT (`Sat, 13 Nov 2010 23:29:00 GMT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix_seconds: i64,
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl TypedHeader for Date {
    const NAME: HeaderName = HeaderName::Date;
    fn parse(value: &str) -> Result<Date, Error> {
        const H: HeaderName = HeaderName::Date;
        let err = bad(H, "not an RFC 1123 date in GMT");
        let v = text::trim_ws(value);
        let (wkday, rest) = v.split_once(", ").ok_or(err.clone())?;
        if !WEEKDAYS.contains(&wkday) {
            return Err(err);
        }
        let parts: Vec<&str> = rest.split(' ').collect();
        let [day, month, year, time, zone] = parts[..] else {
            return Err(err);
        };
        if zone != "GMT" {
            return Err(bad(H, "time zone must be GMT"));
        }
        let num = |s: &str, len: usize, max: u64| {
            if s.len() == len {
                text::parse_decimal(s, max)
            } else {
                None
            }
        };
        let day = num(day, 2, 31).ok_or(err.clone())? as i64;
        let month = MONTHS.iter().position(|m| *m == month).ok_or(err.clone())? as i64 + 1;
        let year = num(year, 4, 9999).ok_or(err.clone())? as i64;
        let tp: Vec<&str> = time.split(':').collect();
        let [hh, mm, ss] = tp[..] else {
            return Err(err);
        };
        let (hh, mm, ss) = (
            num(hh, 2, 23).ok_or(err.clone())? as i64,
            num(mm, 2, 59).ok_or(err.clone())? as i64,
            num(ss, 2, 60).ok_or(err.clone())? as i64,
        );
        if day == 0 || day > days_in_month(year, month) {
            return Err(err);
        }
        let days = days_from_civil(year, month, day);
        Ok(Date {
            unix_seconds: days * 86_400 + hh * 3600 + mm * 60 + ss,
        })
    }
    fn write(&self, out: &mut String) {
        let days = self.unix_seconds.div_euclid(86_400);
        let secs = self.unix_seconds.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let wd = WEEKDAYS[days.rem_euclid(7) as usize];
        let mon = MONTHS[(m - 1).clamp(0, 11) as usize];
        let _ = write!(
            out,
            "{wd}, {d:02} {mon} {y:04} {:02}:{:02}:{:02} GMT",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        );
    }
}

macro_rules! text_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty(pub String);

        impl TypedHeader for $ty {
            const NAME: HeaderName = HeaderName::$name;
            fn parse(value: &str) -> Result<Self, Error> {
                let v = text::trim_ws(value);
                if v.is_empty() || v.bytes().any(|b| b < 0x20 && b != b'\t') {
                    return Err(bad(HeaderName::$name, "empty or holds control characters"));
                }
                Ok($ty(v.to_owned()))
            }
            fn write(&self, out: &mut String) {
                out.push_str(&self.0);
            }
        }
    };
}

text_header!(
    /// `User-Agent`: product tokens and comments, kept as text.
    UserAgent, UserAgent
);
text_header!(
    /// `Server`: product tokens and comments, kept as text.
    Server, Server
);

// ---------------------------------------------------------------------------
// Authentication

/// One `name=value` of a challenge or credentials; the value is unquoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthParam {
    /// Parameter name (`realm`, `nonce`, `qop`, …).
    pub name: String,
    /// Value without quotes.
    pub value: String,
    /// Whether it was (or is to be) written as a quoted string.
    pub quoted: bool,
}

/// A challenge or credentials: scheme and parameters (RFC 3261 §25.1
/// `challenge` / `credentials`, RFC 7616).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    /// Scheme (`Digest`, or another one kept as is).
    pub scheme: String,
    /// Parameters in order.
    pub params: Vec<AuthParam>,
}

impl Auth {
    /// A parameter's value by name (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| text::eq_ic(&p.name, name))
            .map(|p| p.value.as_str())
    }

    /// True for the Digest scheme.
    pub fn is_digest(&self) -> bool {
        text::eq_ic(&self.scheme, "Digest")
    }

    fn parse_in(value: &str, header: HeaderName) -> Result<Auth, Error> {
        let v = text::trim_ws(value);
        let sp = v.find([' ', '\t']).unwrap_or(v.len());
        let scheme = &v[..sp];
        if !text::is_token(scheme) {
            return Err(bad(header, "scheme is not a token"));
        }
        let mut params = Vec::new();
        let rest = text::trim_ws(&v[sp..]);
        if !rest.is_empty() {
            for item in text::split_commas(rest) {
                let (name, val) = text::split_once_unquoted(item, b'=')
                    .ok_or(bad(header, "expected name=value"))?;
                if !text::is_token(name) {
                    return Err(bad(header, "parameter name is not a token"));
                }
                let (value, quoted) = if val.starts_with('"') {
                    let (inner, after) =
                        text::take_quoted(val).ok_or(bad(header, "unterminated quoted string"))?;
                    if !after.is_empty() {
                        return Err(bad(header, "characters after a quoted string"));
                    }
                    (text::unquote(inner).into_owned(), true)
                } else if text::is_token(val) || (val.len() > 1 && is_token68(val)) {
                    (val.to_owned(), false)
                } else {
                    return Err(bad(header, "value is neither token nor quoted string"));
                };
                params.push(AuthParam {
                    name: name.to_owned(),
                    value,
                    quoted,
                });
            }
        }
        Ok(Auth {
            scheme: scheme.to_owned(),
            params,
        })
    }

    fn write_to(&self, out: &mut String) {
        out.push_str(&self.scheme);
        for (i, p) in self.params.iter().enumerate() {
            out.push_str(if i == 0 { " " } else { ", " });
            out.push_str(&p.name);
            out.push('=');
            if p.quoted {
                text::write_quoted(out, &p.value);
            } else {
                out.push_str(&p.value);
            }
        }
    }
}

fn is_token68(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
}

macro_rules! auth_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty(pub Auth);

        impl TypedHeader for $ty {
            const NAME: HeaderName = HeaderName::$name;
            fn parse(value: &str) -> Result<Self, Error> {
                Auth::parse_in(value, HeaderName::$name).map($ty)
            }
            fn write(&self, out: &mut String) {
                self.0.write_to(out)
            }
        }

        impl std::ops::Deref for $ty {
            type Target = Auth;
            fn deref(&self) -> &Auth {
                &self.0
            }
        }
    };
}

auth_header!(
    /// `Authorization`: credentials for a UAS or registrar.
    Authorization, Authorization
);
auth_header!(
    /// `Proxy-Authorization`: credentials for a proxy.
    ProxyAuthorization, ProxyAuthorization
);
auth_header!(
    /// `WWW-Authenticate`: a challenge in a 401.
    WwwAuthenticate, WwwAuthenticate
);
auth_header!(
    /// `Proxy-Authenticate`: a challenge in a 407.
    ProxyAuthenticate, ProxyAuthenticate
);

/// Parses the value(s) of a known header with its typed parser, to check
/// its syntax; headers without a typed parser are accepted as they are.
pub(crate) fn validate(name: HeaderName, value: &str) -> Result<(), Error> {
    fn each<H: TypedHeader>(value: &str) -> Result<(), Error> {
        if H::NAME.is_list() {
            for el in text::split_commas(value) {
                if el.is_empty() {
                    return Err(bad(H::NAME, "empty list element"));
                }
                H::parse(el)?;
            }
            Ok(())
        } else {
            H::parse(value).map(drop)
        }
    }
    use HeaderName as N;
    match name {
        N::Via => each::<Via>(value),
        N::From => each::<From>(value),
        N::To => each::<To>(value),
        N::CallId => each::<CallId>(value),
        N::CSeq => each::<CSeq>(value),
        N::MaxForwards => each::<MaxForwards>(value),
        N::Contact => each::<Contact>(value),
        N::Route => each::<Route>(value),
        N::RecordRoute => each::<RecordRoute>(value),
        N::Path => each::<Path>(value),
        N::ServiceRoute => each::<ServiceRoute>(value),
        N::Authorization => each::<Authorization>(value),
        N::ProxyAuthorization => each::<ProxyAuthorization>(value),
        N::WwwAuthenticate => each::<WwwAuthenticate>(value),
        N::ProxyAuthenticate => each::<ProxyAuthenticate>(value),
        N::ContentType => each::<ContentType>(value),
        N::ContentLength => each::<ContentLength>(value),
        N::ContentEncoding => each::<ContentEncoding>(value),
        N::Expires => each::<Expires>(value),
        N::MinExpires => each::<MinExpires>(value),
        N::Allow => each::<Allow>(value),
        N::AllowEvents => each::<AllowEvents>(value),
        N::Supported | N::Require | N::ProxyRequire | N::Unsupported => {
            // An empty Supported is legal; otherwise a list of tokens.
            if text::trim_ws(value).is_empty() && name == N::Supported {
                return Ok(());
            }
            each::<Supported>(value).map_err(|_| bad(name, "not a list of option tags"))
        }
        N::Accept => {
            if text::trim_ws(value).is_empty() {
                Ok(())
            } else {
                each::<Accept>(value)
            }
        }
        N::AcceptEncoding => each::<AcceptEncoding>(value),
        N::Event => each::<Event>(value),
        N::SubscriptionState => each::<SubscriptionState>(value),
        N::ReferTo => each::<ReferTo>(value),
        N::ReferredBy => each::<ReferredBy>(value),
        N::Replaces => each::<Replaces>(value),
        N::CallInfo => each::<CallInfo>(value),
        N::AlertInfo => each::<AlertInfo>(value),
        N::ErrorInfo => each::<ErrorInfo>(value),
        N::Date => each::<Date>(value),
        N::UserAgent => each::<UserAgent>(value),
        N::Server => each::<Server>(value),
        N::Reason => each::<Reason>(value),
        N::PAssertedIdentity => each::<PAssertedIdentity>(value),
        N::PPreferredIdentity => each::<PPreferredIdentity>(value),
        N::RetryAfter => each::<RetryAfter>(value),
        N::Warning => each::<Warning>(value),
        N::SessionExpires => each::<SessionExpires>(value),
        N::MinSe => each::<MinSe>(value),
        N::RSeq => each::<RSeq>(value),
        N::RAck => each::<RAck>(value),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_addr_forms() {
        let f =
            From::parse(r#""J Rosenberg \\\""       <sip:jdrosen@example.com> ; tag = 98asjd8"#)
                .unwrap();
        assert_eq!(f.display_name.as_deref(), Some(r#"J Rosenberg \""#));
        assert_eq!(f.tag(), Some("98asjd8"));
        let t = To::parse("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n").unwrap();
        assert_eq!(t.tag(), Some("1918181833n"));
        let f = From::parse("caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(f.display_name.as_deref(), Some("caller"));
        assert!(From::parse("Bell, Alexander <sip:a@b>").is_err());
        assert!(To::parse(r#""Watson, Thomas" < sip:t.watson@example.org >"#).is_err());
        assert!(To::parse(r#""Mr. J. User <sip:j.user@example.com>"#).is_err());
        assert!(Contact::parse("sip:user@example.com?Route=%3Csip:sip.example.com%3E").is_err());
        assert!(Route::parse("sip:a@b").is_err());
    }

    #[test]
    fn name_addr_round_trip() {
        let c = Contact::parse(r#""Quoted string \"\"" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33"#).unwrap();
        assert_eq!(c.q(), Some(330));
        let mut s = String::new();
        c.write(&mut s);
        assert_eq!(
            s,
            r#""Quoted string \"\"" <sip:jdrosen@example.com>;newparam=newvalue;secondparam;q=0.33"#
        );
        assert_eq!(Contact::parse(&s).unwrap(), c);
    }

    #[test]
    fn via_with_lws() {
        let v =
            Via::parse("SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8")
                .unwrap();
        assert_eq!(v.transport, Transport::Tcp);
        assert_eq!(v.host, Host::Domain("spindle.example.com".into()));
        assert_eq!(v.branch(), Some("z9hG4bK9ikj8"));
        assert!(v.has_rfc3261_branch());
        let v =
            Via::parse("SIP/2.0/UDP 10.0.0.1:5062;rport=1234;received=192.0.2.4;branch=z9hG4bK")
                .unwrap();
        assert_eq!(v.rport(), Some(Some(1234)));
        assert_eq!(v.received(), Some("192.0.2.4".parse().unwrap()));
        assert!(!v.has_rfc3261_branch());
        assert!(Via::parse("SIP/2.0/UDP 192.0.2.15;;").is_err());
        assert!(Via::parse("SIP/2.0/UDP h;ttl=256").is_err());
    }

    #[test]
    fn scalars() {
        assert_eq!(
            CSeq::parse("0009 INVITE").unwrap(),
            CSeq {
                seq: 9,
                method: Method::Invite
            }
        );
        assert!(CSeq::parse("36893488147419103232 REGISTER").is_err());
        assert!(MaxForwards::parse("300").is_err());
        assert!(ContentLength::parse("-999").is_err());
        assert!(Expires::parse("10000000000").is_err());
        assert!(Warning::parse(r#"1812 overture "In Progress""#).is_err());
        assert_eq!(Warning::parse(r#"399 host "x""#).unwrap().code, 399);
        assert!(RetryAfter::parse("949302838503028349304023988").is_err());
        let r = RetryAfter::parse("120 (I'm in a meeting);duration=3600").unwrap();
        assert_eq!(r.comment.as_deref(), Some("I'm in a meeting"));
    }

    #[test]
    fn dates() {
        let d = Date::parse("Sat, 15 Oct 2005 04:44:56 GMT").unwrap();
        assert_eq!(d.unix_seconds, 1_129_351_496);
        let mut s = String::new();
        d.write(&mut s);
        assert_eq!(s, "Sat, 15 Oct 2005 04:44:56 GMT");
        assert!(Date::parse("Fri, 01 Jan 2010 16:00:00 EST").is_err());
        assert!(Date::parse("Fri, 31 Feb 2010 16:00:00 GMT").is_err());
    }

    #[test]
    fn auth() {
        let a = WwwAuthenticate::parse(r#"Digest realm="atlanta.com", qop="auth,auth-int", nonce="84a4cc6f", algorithm=SHA-256, stale=FALSE"#).unwrap();
        assert!(a.is_digest());
        assert_eq!(a.param("qop"), Some("auth,auth-int"));
        assert_eq!(a.param("ALGORITHM"), Some("SHA-256"));
        let mut s = String::new();
        a.write(&mut s);
        assert_eq!(WwwAuthenticate::parse(&s).unwrap(), a);
        let o = Authorization::parse("NoOneKnowsThisScheme opaque-data=here").unwrap();
        assert!(!o.is_digest());
    }

    #[test]
    fn misc() {
        let r = Replaces::parse("425928@bobster.example.org;to-tag=7743;from-tag=6472;early-only")
            .unwrap();
        assert!(r.early_only());
        assert_eq!(r.to_tag(), Some("7743"));
        let c = CallInfo::parse("<http://wwww.example.com/alice/photo.jpg> ;purpose=icon").unwrap();
        assert_eq!(c.params.get("purpose"), Some(Some("icon")));
        let ci = CallInfo::parse("<sip:x@y>;answer-after=0").unwrap();
        assert_eq!(ci.params.get("answer-after"), Some(Some("0")));
        let re = Reason::parse(r#"SIP ;cause=200 ;text="Call completed elsewhere""#).unwrap();
        assert_eq!(re.cause(), Some(200));
        assert_eq!(re.text().unwrap(), "Call completed elsewhere");
        let ss = SubscriptionState::parse("terminated;reason=timeout").unwrap();
        assert_eq!(ss.reason(), Some("timeout"));
    }
}
