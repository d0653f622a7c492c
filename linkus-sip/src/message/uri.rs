//! URIs: `sip:`/`sips:` (RFC 3261 §19.1), `tel:` (RFC 3966) and any other
//! absolute URI kept opaque.
//!
//! Components are stored as they appear on the wire (still `%`-escaped), so
//! that serialising gives back the same text; `*_unescaped` accessors decode.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::params::Params;
use super::text::{self, Component};
use crate::error::{Error, UriError};

/// Any URI a SIP message can carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uri {
    /// `sip:` or `sips:`.
    Sip(SipUri),
    /// `tel:` (RFC 3966).
    Tel(TelUri),
    /// Any other scheme, kept opaque (`http://…`, `urn:…`, …).
    Absolute(AbsoluteUri),
}

impl Uri {
    /// Parses a URI as it appears inside `<>` or as a Request-URI.
    pub fn parse(s: &str) -> Result<Uri, Error> {
        let colon = text::find_byte(s, b':').ok_or(UriError::Scheme)?;
        let scheme = &s[..colon];
        if !is_scheme(scheme) {
            return Err(UriError::Scheme.into());
        }
        let rest = &s[colon + 1..];
        // sip:/sips: check their characters in the one scan of parse_parts.
        if text::eq_ic(scheme, "sip") {
            SipUri::parse_parts(false, rest).map(Uri::Sip)
        } else if text::eq_ic(scheme, "sips") {
            SipUri::parse_parts(true, rest).map(Uri::Sip)
        } else if s.bytes().any(|b| b <= b' ' || b == 0x7f) {
            Err(UriError::Character.into())
        } else if text::eq_ic(scheme, "tel") {
            TelUri::parse_number(rest).map(Uri::Tel)
        } else {
            if rest.is_empty() || rest.bytes().any(|b| b == b'<' || b == b'>' || b == b'"') {
                return Err(UriError::Character.into());
            }
            Ok(Uri::Absolute(AbsoluteUri {
                scheme: scheme.to_owned(),
                rest: rest.to_owned(),
            }))
        }
    }

    /// The scheme, lower-cased for the known ones.
    pub fn scheme(&self) -> &str {
        match self {
            Uri::Sip(u) if u.secure => "sips",
            Uri::Sip(_) => "sip",
            Uri::Tel(_) => "tel",
            Uri::Absolute(a) => &a.scheme,
        }
    }

    /// The SIP URI, when this is one.
    pub fn as_sip(&self) -> Option<&SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }

    /// True for `sip:`, `sips:` and `tel:`, the schemes a SIP UA processes.
    pub fn is_sip_or_tel(&self) -> bool {
        !matches!(self, Uri::Absolute(_))
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uri::Sip(u) => u.fmt(f),
            Uri::Tel(t) => t.fmt(f),
            Uri::Absolute(a) => write!(f, "{}:{}", a.scheme, a.rest),
        }
    }
}

impl std::str::FromStr for Uri {
    type Err = Error;
    fn from_str(s: &str) -> Result<Uri, Error> {
        Uri::parse(s)
    }
}

fn is_scheme(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
}

/// A URI of a scheme this crate does not interpret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsoluteUri {
    /// The scheme as written.
    pub scheme: String,
    /// Everything after `scheme:`.
    pub rest: String,
}

/// The host of a SIP URI or Via.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name (as written; compare case-insensitively).
    Domain(String),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 reference (written in brackets).
    Ipv6(Ipv6Addr),
}

impl Host {
    /// Parses `hostname / IPv4address / "[" IPv6address "]"`.
    pub fn parse(s: &str) -> Result<Host, Error> {
        if let Some(inner) = s.strip_prefix('[') {
            let inner = inner.strip_suffix(']').ok_or(UriError::Host)?;
            return inner
                .parse()
                .map(Host::Ipv6)
                .map_err(|_| UriError::Host.into());
        }
        if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            if let Ok(a) = s.parse::<Ipv4Addr>() {
                return Ok(Host::Ipv4(a));
            }
        }
        if is_hostname(s) {
            Ok(Host::Domain(s.to_owned()))
        } else {
            Err(UriError::Host.into())
        }
    }

    /// The IP address, when the host is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::Ipv4(a) => Some(IpAddr::V4(*a)),
            Host::Ipv6(a) => Some(IpAddr::V6(*a)),
            Host::Domain(_) => None,
        }
    }
}

impl From<IpAddr> for Host {
    fn from(ip: IpAddr) -> Host {
        match ip {
            IpAddr::V4(a) => Host::Ipv4(a),
            IpAddr::V6(a) => Host::Ipv6(a),
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ipv4(a) => a.fmt(f),
            Host::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

/// `hostname = *( domainlabel "." ) toplabel [ "." ]`, labels of alphanumerics
/// and inner hyphens. Underscores are tolerated (seen in the field, e.g. SRV-style names).
fn is_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() || s.len() > 255 {
        return false;
    }
    // One pass; `prev` is `.` at the start of every label.
    let mut prev = b'.';
    for &c in s.as_bytes() {
        let ok = match c {
            // No empty label, no label ending with a hyphen.
            b'.' => prev != b'.' && prev != b'-',
            // No label starting with a hyphen.
            b'-' => prev != b'.',
            _ => text::is_label_byte(c),
        };
        if !ok {
            return false;
        }
        prev = c;
    }
    prev != b'.' && prev != b'-'
}

/// Splits `host[:port]`, handling bracketed IPv6.
pub(crate) fn parse_hostport(s: &str) -> Result<(Host, Option<u16>), Error> {
    let (host, port) = if s.starts_with('[') {
        let end = s.find(']').ok_or(UriError::Host)?;
        let after = &s[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(UriError::Host.into()),
        };
        (&s[..=end], port)
    } else {
        match memchr::memrchr(b':', s.as_bytes()) {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        }
    };
    let port = match port {
        Some(p) => Some(
            text::parse_decimal(p, u64::from(u16::MAX))
                .and_then(|v| u16::try_from(v).ok())
                .ok_or(UriError::Port)?,
        ),
        None => None,
    };
    Ok((Host::parse(host)?, port))
}

/// A `sip:` or `sips:` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    /// `sips:` when true.
    pub secure: bool,
    /// User part, still escaped.
    pub user: Option<String>,
    /// Password, still escaped (deprecated by RFC 3261, kept for interop).
    pub password: Option<String>,
    /// Host.
    pub host: Host,
    /// Port.
    pub port: Option<u16>,
    /// URI parameters (`;transport=tcp;lr`), still escaped.
    pub params: Params,
    /// Header components (`?Replaces=…&Subject=…`), still escaped.
    pub headers: Vec<(String, String)>,
}

impl SipUri {
    /// A `sip:` URI with only a host.
    pub fn new(host: Host) -> SipUri {
        SipUri {
            secure: false,
            user: None,
            password: None,
            host,
            port: None,
            params: Params::default(),
            headers: Vec::new(),
        }
    }

    /// Builder-style: set the user part (escaping what must be escaped).
    #[must_use]
    pub fn with_user(mut self, user: &str) -> SipUri {
        self.user = Some(escape(user, Component::User));
        self
    }

    /// Builder-style: set the port.
    #[must_use]
    pub fn with_port(mut self, port: u16) -> SipUri {
        self.port = Some(port);
        self
    }

    /// Builder-style: add a parameter.
    #[must_use]
    pub fn with_param(mut self, name: &str, value: Option<&str>) -> SipUri {
        self.params.push(name, value);
        self
    }

    fn parse_parts(secure: bool, s: &str) -> Result<SipUri, Error> {
        // One scan finds the first '@' (userinfo: '@' cannot appear unescaped
        // in host, params or headers), then the first '?' and the first ';'
        // before it in what follows, and rejects whitespace and controls.
        let (mut at, mut semi, mut question) = (None, None, None);
        for (i, &c) in s.as_bytes().iter().enumerate() {
            match c {
                0..=b' ' | 0x7f => return Err(UriError::Character.into()),
                b'@' if at.is_none() => {
                    at = Some(i);
                    semi = None;
                    question = None;
                }
                b'?' if question.is_none() => question = Some(i),
                b';' if semi.is_none() && question.is_none() => semi = Some(i),
                _ => {}
            }
        }
        let (userinfo, rest, base) = match at {
            Some(i) => (Some(&s[..i]), &s[i + 1..], i + 1),
            None => (None, s, 0),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(ui) => {
                let (u, p) = match text::find_byte(ui, b':') {
                    Some(i) => (&ui[..i], Some(&ui[i + 1..])),
                    None => (ui, None),
                };
                if u.is_empty() || !text::is_escaped_component(u, Component::User) {
                    return Err(UriError::User.into());
                }
                if let Some(p) = p {
                    if !text::is_escaped_component(p, Component::Password) {
                        return Err(UriError::Password.into());
                    }
                }
                (Some(u.to_owned()), p.map(str::to_owned))
            }
        };
        let (before_headers, headers_part) = match question {
            Some(i) => (&rest[..i - base], Some(&rest[i - base + 1..])),
            None => (rest, None),
        };
        let (hostport, params_part) = match semi {
            Some(i) => (
                &before_headers[..i - base],
                Some(&before_headers[i - base + 1..]),
            ),
            None => (before_headers, None),
        };
        let (host, port) = parse_hostport(hostport)?;
        let mut params = Params::default();
        if let Some(pp) = params_part {
            for p in text::split_byte(pp, b';') {
                let (name, value) = match text::find_byte(p, b'=') {
                    Some(i) => (&p[..i], Some(&p[i + 1..])),
                    None => (p, None),
                };
                let valid = !name.is_empty()
                    && text::is_escaped_component(name, Component::Param)
                    && value.is_none_or(|v| {
                        !v.is_empty() && text::is_escaped_component(v, Component::Param)
                    });
                if !valid {
                    return Err(UriError::Param.into());
                }
                params.push(name, value);
            }
        }
        let mut headers = Vec::new();
        if let Some(hp) = headers_part {
            for h in hp.split('&') {
                let (name, value) = h.split_once('=').ok_or(UriError::Headers)?;
                if name.is_empty()
                    || !text::is_escaped_component(name, Component::HeaderNameOrValue)
                    || !text::is_escaped_component(value, Component::HeaderNameOrValue)
                {
                    return Err(UriError::Headers.into());
                }
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
        Ok(SipUri {
            secure,
            user,
            password,
            host,
            port,
            params,
            headers,
        })
    }

    /// The user part with `%` escapes decoded (bytes: an escape may encode
    /// any octet, `%00` included).
    pub fn user_unescaped(&self) -> Option<Cow<'_, [u8]>> {
        self.user.as_deref().map(text::unescape)
    }

    /// `transport` parameter.
    pub fn transport(&self) -> Option<&str> {
        self.params.get("transport").flatten()
    }

    /// True when the `lr` parameter is present (loose routing, RFC 3261 §16.12).
    pub fn lr(&self) -> bool {
        self.params.contains("lr")
    }

    /// The `user` parameter (`phone`, `ip`, …).
    pub fn user_param(&self) -> Option<&str> {
        self.params.get("user").flatten()
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&str> {
        self.params.get("maddr").flatten()
    }
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(u) = &self.user {
            f.write_str(u)?;
            if let Some(p) = &self.password {
                write!(f, ":{p}")?;
            }
            f.write_str("@")?;
        }
        self.host.fmt(f)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        self.params.fmt(f)?;
        for (i, (n, v)) in self.headers.iter().enumerate() {
            write!(f, "{}{n}={v}", if i == 0 { '?' } else { '&' })?;
        }
        Ok(())
    }
}

/// A `tel:` URI (RFC 3966): the number and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelUri {
    /// The number as written (`+1-201-555-0123`, `7042`).
    pub number: String,
    /// Parameters (`phone-context`, `ext`, `isub`, …).
    pub params: Params,
}

impl TelUri {
    fn parse_number(s: &str) -> Result<TelUri, Error> {
        let (number, rest) = match s.find(';') {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        };
        let digits = number.strip_prefix('+').unwrap_or(number);
        let ok = !digits.is_empty()
            && digits
                .bytes()
                .any(|b| b.is_ascii_hexdigit() || b == b'*' || b == b'#')
            && digits.bytes().all(|b| {
                b.is_ascii_hexdigit() || matches!(b, b'*' | b'#' | b'-' | b'.' | b'(' | b')')
            });
        if !ok {
            return Err(UriError::TelNumber.into());
        }
        let mut params = Params::default();
        if let Some(r) = rest {
            for p in r.split(';') {
                let (name, value) = match p.find('=') {
                    Some(i) => (&p[..i], Some(&p[i + 1..])),
                    None => (p, None),
                };
                if !text::is_token(name)
                    || value.is_some_and(|v| {
                        v.is_empty() || !text::is_escaped_component(v, Component::Param)
                    })
                {
                    return Err(UriError::Param.into());
                }
                params.push(name, value);
            }
        }
        Ok(TelUri {
            number: number.to_owned(),
            params,
        })
    }

    /// True for a global number (`+…`).
    pub fn is_global(&self) -> bool {
        self.number.starts_with('+')
    }
}

impl fmt::Display for TelUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tel:{}", self.number)?;
        self.params.fmt(f)
    }
}

/// `%`-escapes every byte of `s` not allowed in `comp`.
fn escape(s: &str, comp: Component) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b != b'%' && comp.allows(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_weird_user_and_password() {
        let u = Uri::parse("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com").unwrap();
        let s = u.as_sip().unwrap();
        assert_eq!(
            s.user.as_deref(),
            Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        );
        assert_eq!(
            s.password.as_deref(),
            Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        );
        assert_eq!(s.host, Host::Domain("example.com".into()));
    }

    #[test]
    fn escapes_and_round_trip() {
        let u = Uri::parse("sip:sips%3Auser%40example.com@example.net").unwrap();
        assert_eq!(
            &*u.as_sip().unwrap().user_unescaped().unwrap(),
            b"sips:user@example.com"
        );
        assert_eq!(u.to_string(), "sip:sips%3Auser%40example.com@example.net");
        let u = Uri::parse("sips:[2001:db8::1]:5061;transport=tls;lr?Subject=hi&X=1").unwrap();
        assert_eq!(
            u.to_string(),
            "sips:[2001:db8::1]:5061;transport=tls;lr?Subject=hi&X=1"
        );
        assert!(u.as_sip().unwrap().lr());
    }

    #[test]
    fn rejects_bad_uris() {
        assert_eq!(
            Uri::parse("sip:user@host:65536"),
            Err(UriError::Port.into())
        );
        assert_eq!(
            Uri::parse("sip:user@ho st"),
            Err(UriError::Character.into())
        );
        assert_eq!(Uri::parse("sip:user@host;;lr"), Err(UriError::Param.into()));
        assert_eq!(Uri::parse("sip:"), Err(UriError::Host.into()));
        assert_eq!(Uri::parse("1sip:x"), Err(UriError::Scheme.into()));
    }

    #[test]
    fn tel_and_other_schemes() {
        let u = Uri::parse("tel:+1-201-555-0123;phone-context=example.com").unwrap();
        assert!(matches!(&u, Uri::Tel(t) if t.is_global()));
        assert_eq!(
            u.to_string(),
            "tel:+1-201-555-0123;phone-context=example.com"
        );
        let u = Uri::parse("soap.beep://192.0.2.103:3002").unwrap();
        assert_eq!(u.scheme(), "soap.beep");
        assert!(!u.is_sip_or_tel());
    }

    #[test]
    fn builder_escapes_user() {
        let u = SipUri::new(Host::Domain("example.com".into())).with_user("a b@c");
        assert_eq!(u.to_string(), "sip:a%20b%40c@example.com");
    }
}
