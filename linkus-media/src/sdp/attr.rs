//! Typed values of the attributes a call uses. Each type's `parse` takes
//! the text after `a=<name>:` and `Display` writes it back.

use core::fmt;
use core::time::Duration;

use super::{Attribute, Connection, base64};

/// Parses a whole number of at most `max_digits` ASCII digits (no sign).
pub(crate) fn parse_num<T: core::str::FromStr>(s: &str, max_digits: usize) -> Option<T> {
    if s.is_empty() || s.len() > max_digits || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `a=ptime`/`a=maxptime` value: milliseconds, optionally with a fraction
/// (`20`, `22.5`).
pub(crate) fn parse_ms(s: &str) -> Result<Duration, ()> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let ms: u64 = parse_num(int, 6).ok_or(())?;
    let mut micros = 0u64;
    if s.contains('.') {
        if frac.is_empty() || frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(());
        }
        for b in frac.bytes().chain(core::iter::repeat(b'0')).take(3) {
            micros = micros * 10 + u64::from(b - b'0');
        }
    }
    Ok(Duration::from_millis(ms) + Duration::from_micros(micros))
}

/// Writes a duration as an `a=ptime` value (whole milliseconds, or with a
/// fraction if needed).
pub(crate) fn fmt_ms(d: Duration) -> String {
    let micros = d.as_micros();
    if micros % 1000 == 0 {
        format!("{}", micros / 1000)
    } else {
        let s = format!("{}.{:03}", micros / 1000, micros % 1000);
        s.trim_end_matches('0').to_string()
    }
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    /// RTP payload type, 0–127.
    pub payload_type: u8,
    /// Encoding name (`PCMU`, `telephone-event`, `H264`, ...).
    pub encoding: String,
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Number of audio channels, if given.
    pub channels: Option<u16>,
}

impl RtpMap {
    /// Parses the value of an `a=rtpmap` line; `None` if malformed.
    pub fn parse(value: &str) -> Option<RtpMap> {
        let (pt, rest) = value.split_once(' ')?;
        let payload_type: u8 = parse_num(pt, 3)?;
        if payload_type > 127 {
            return None;
        }
        let mut parts = rest.trim_start().split('/');
        let encoding = parts.next()?;
        if encoding.is_empty() || encoding.contains(char::is_whitespace) {
            return None;
        }
        let clock_rate = parse_num(parts.next()?, 10)?;
        let channels = match parts.next() {
            Some(c) => Some(parse_num(c, 5)?),
            None => None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(RtpMap {
            payload_type,
            encoding: encoding.to_string(),
            clock_rate,
            channels,
        })
    }
}

impl fmt::Display for RtpMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.payload_type, self.encoding, self.clock_rate
        )?;
        if let Some(ch) = self.channels {
            write!(f, "/{ch}")?;
        }
        Ok(())
    }
}

impl From<RtpMap> for Attribute {
    fn from(m: RtpMap) -> Self {
        Attribute::new("rtpmap", m)
    }
}

/// `a=fmtp:<format> <format specific parameters>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fmtp {
    /// The format (payload type number) the parameters apply to.
    pub format: String,
    /// The parameters, verbatim (usually `key=value;key=value`).
    pub params: String,
}

impl Fmtp {
    /// Parses the value of an `a=fmtp` line; `None` if malformed.
    pub fn parse(value: &str) -> Option<Fmtp> {
        let (format, params) = value.split_once(' ').unwrap_or((value, ""));
        if format.is_empty() {
            return None;
        }
        Some(Fmtp {
            format: format.to_string(),
            params: params.trim().to_string(),
        })
    }

    /// The `;`-separated parameters as `(name, value)`; a parameter without
    /// `=` (such as `0-15` of telephone-event) has an empty name.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.params
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim()),
                None => ("", p),
            })
    }

    /// The value of parameter `name` (matched case-insensitively).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

impl fmt::Display for Fmtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.params.is_empty() {
            f.write_str(&self.format)
        } else {
            write!(f, "{} {}", self.format, self.params)
        }
    }
}

impl From<Fmtp> for Attribute {
    fn from(v: Fmtp) -> Self {
        Attribute::new("fmtp", v)
    }
}

/// `a=rtcp:<port> [<nettype> <addrtype> <address>]` (RFC 3605).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtcp {
    /// RTCP port.
    pub port: u16,
    /// RTCP address, if different from the media's.
    pub connection: Option<Connection>,
}

impl Rtcp {
    /// Parses the value of an `a=rtcp` line; `None` if malformed.
    pub fn parse(value: &str) -> Option<Rtcp> {
        let mut it = value.split_ascii_whitespace();
        let port = parse_num(it.next()?, 5)?;
        let connection = match (it.next(), it.next(), it.next()) {
            (None, _, _) => None,
            (Some(n), Some(a), Some(addr)) => Some(Connection {
                net_type: n.to_string(),
                addr_type: a.to_string(),
                address: addr.to_string(),
            }),
            _ => return None,
        };
        if it.next().is_some() {
            return None;
        }
        Some(Rtcp { port, connection })
    }
}

impl fmt::Display for Rtcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.port)?;
        if let Some(c) = &self.connection {
            write!(f, " {} {} {}", c.net_type, c.addr_type, c.address)?;
        }
        Ok(())
    }
}

impl From<Rtcp> for Attribute {
    fn from(v: Rtcp) -> Self {
        Attribute::new("rtcp", v)
    }
}

/// An SRTP crypto suite of `a=crypto` (RFC 4568, RFC 6188, RFC 7714).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CryptoSuite {
    /// `AES_CM_128_HMAC_SHA1_80` (RFC 4568).
    AesCm128HmacSha1_80,
    /// `AES_CM_128_HMAC_SHA1_32` (RFC 4568).
    AesCm128HmacSha1_32,
    /// `AES_256_CM_HMAC_SHA1_80` (RFC 6188).
    Aes256CmHmacSha1_80,
    /// `AES_256_CM_HMAC_SHA1_32` (RFC 6188).
    Aes256CmHmacSha1_32,
    /// `AEAD_AES_128_GCM` (RFC 7714).
    AeadAes128Gcm,
    /// `AEAD_AES_256_GCM` (RFC 7714).
    AeadAes256Gcm,
    /// Any other suite name, verbatim.
    Other(String),
}

impl CryptoSuite {
    /// The suites this module knows, in a sensible offer order.
    pub const KNOWN: [CryptoSuite; 6] = [
        CryptoSuite::AeadAes128Gcm,
        CryptoSuite::AesCm128HmacSha1_80,
        CryptoSuite::AesCm128HmacSha1_32,
        CryptoSuite::AeadAes256Gcm,
        CryptoSuite::Aes256CmHmacSha1_80,
        CryptoSuite::Aes256CmHmacSha1_32,
    ];

    /// The suite of a name (case-sensitive, as registered).
    pub fn from_name(name: &str) -> CryptoSuite {
        CryptoSuite::KNOWN
            .into_iter()
            .find(|s| s.name() == name)
            .unwrap_or_else(|| CryptoSuite::Other(name.to_string()))
    }

    /// The registered name.
    pub fn name(&self) -> &str {
        match self {
            CryptoSuite::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            CryptoSuite::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            CryptoSuite::Aes256CmHmacSha1_80 => "AES_256_CM_HMAC_SHA1_80",
            CryptoSuite::Aes256CmHmacSha1_32 => "AES_256_CM_HMAC_SHA1_32",
            CryptoSuite::AeadAes128Gcm => "AEAD_AES_128_GCM",
            CryptoSuite::AeadAes256Gcm => "AEAD_AES_256_GCM",
            CryptoSuite::Other(name) => name,
        }
    }

    /// Length in bytes of the master key concatenated with the master salt
    /// (the `inline:` material), or `None` for an unknown suite.
    pub fn key_salt_len(&self) -> Option<usize> {
        Some(match self {
            CryptoSuite::AesCm128HmacSha1_80 | CryptoSuite::AesCm128HmacSha1_32 => 16 + 14,
            CryptoSuite::Aes256CmHmacSha1_80 | CryptoSuite::Aes256CmHmacSha1_32 => 32 + 14,
            CryptoSuite::AeadAes128Gcm => 16 + 12,
            CryptoSuite::AeadAes256Gcm => 32 + 12,
            CryptoSuite::Other(_) => return None,
        })
    }
}

impl fmt::Display for CryptoSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One key parameter of `a=crypto`:
/// `inline:<key||salt base64>[|<lifetime>][|<MKI>:<length>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyParam {
    /// Key method; `inline` is the only one defined.
    pub method: String,
    /// Base64 of the master key concatenated with the master salt.
    pub key_salt: String,
    /// Lifetime (`2^31` or a decimal number of packets), verbatim.
    pub lifetime: Option<String>,
    /// MKI `<value>:<length>`, verbatim.
    pub mki: Option<String>,
}

impl KeyParam {
    /// An `inline:` key parameter for `key_salt` bytes.
    pub fn inline(key_salt: &[u8]) -> KeyParam {
        KeyParam {
            method: "inline".into(),
            key_salt: base64::encode(key_salt),
            lifetime: None,
            mki: None,
        }
    }

    /// The decoded master key || master salt, `None` if not valid base64.
    pub fn key_salt_bytes(&self) -> Option<Vec<u8>> {
        base64::decode(&self.key_salt)
    }

    /// The lifetime in packets (`2^n` or decimal).
    pub fn lifetime_packets(&self) -> Option<u64> {
        let l = self.lifetime.as_deref()?;
        match l.strip_prefix("2^") {
            Some(exp) => 1u64.checked_shl(parse_num::<u32>(exp, 2)?),
            None => parse_num(l, 20),
        }
    }

    /// The MKI value and its length in bytes.
    pub fn mki_value(&self) -> Option<(u64, u8)> {
        let (v, len) = self.mki.as_deref()?.split_once(':')?;
        Some((parse_num(v, 20)?, parse_num(len, 3)?))
    }

    fn parse(text: &str) -> Option<KeyParam> {
        let (method, info) = text.split_once(':')?;
        if method.is_empty() {
            return None;
        }
        let mut parts = info.split('|');
        let key_salt = parts.next()?;
        if key_salt.is_empty() || base64::decode(key_salt).is_none() {
            return None;
        }
        let mut lifetime = None;
        let mut mki = None;
        for p in parts {
            if p.contains(':') && mki.is_none() {
                mki = Some(p.to_string());
            } else if !p.contains(':') && lifetime.is_none() && mki.is_none() {
                lifetime = Some(p.to_string());
            } else {
                return None;
            }
        }
        let kp = KeyParam {
            method: method.to_string(),
            key_salt: key_salt.to_string(),
            lifetime,
            mki,
        };
        if kp.lifetime.is_some() && kp.lifetime_packets().is_none()
            || kp.mki.is_some() && kp.mki_value().is_none()
        {
            return None;
        }
        Some(kp)
    }
}

impl fmt::Display for KeyParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.method, self.key_salt)?;
        if let Some(l) = &self.lifetime {
            write!(f, "|{l}")?;
        }
        if let Some(m) = &self.mki {
            write!(f, "|{m}")?;
        }
        Ok(())
    }
}

/// `a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]`
/// (RFC 4568 SDES).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crypto {
    /// Tag (1–9 digits) that the answer echoes.
    pub tag: u32,
    /// Crypto suite.
    pub suite: CryptoSuite,
    /// One or more key parameters (`;`-separated on the wire).
    pub key_params: Vec<KeyParam>,
    /// Session parameters (`UNENCRYPTED_SRTCP`, `KDR=...`, ...), verbatim.
    pub session_params: Vec<String>,
}

impl Crypto {
    /// Parses the value of an `a=crypto` line; `None` if malformed.
    pub fn parse(value: &str) -> Option<Crypto> {
        let mut it = value.split_ascii_whitespace();
        let tag = parse_num(it.next()?, 9)?;
        let suite = CryptoSuite::from_name(it.next()?);
        let key_params = it
            .next()?
            .split(';')
            .map(KeyParam::parse)
            .collect::<Option<Vec<_>>>()?;
        Some(Crypto {
            tag,
            suite,
            key_params,
            session_params: it.map(str::to_string).collect(),
        })
    }

    /// The decoded key || salt of the first key parameter, if its length
    /// fits the suite.
    pub fn key_salt(&self) -> Option<Vec<u8>> {
        let bytes = self.key_params.first()?.key_salt_bytes()?;
        (Some(bytes.len()) == self.suite.key_salt_len()).then_some(bytes)
    }
}

impl fmt::Display for Crypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.tag, self.suite)?;
        for (i, kp) in self.key_params.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write!(f, "{kp}")?;
        }
        for p in &self.session_params {
            write!(f, " {p}")?;
        }
        Ok(())
    }
}

impl From<Crypto> for Attribute {
    fn from(v: Crypto) -> Self {
        Attribute::new("crypto", v)
    }
}

/// ICE candidate type (RFC 8839 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CandidateType {
    /// `host`.
    Host,
    /// `srflx`.
    ServerReflexive,
    /// `prflx`.
    PeerReflexive,
    /// `relay`.
    Relayed,
    /// Another token, verbatim.
    Other(String),
}

impl CandidateType {
    fn from_token(t: &str) -> CandidateType {
        match t {
            "host" => CandidateType::Host,
            "srflx" => CandidateType::ServerReflexive,
            "prflx" => CandidateType::PeerReflexive,
            "relay" => CandidateType::Relayed,
            other => CandidateType::Other(other.to_string()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            CandidateType::Host => "host",
            CandidateType::ServerReflexive => "srflx",
            CandidateType::PeerReflexive => "prflx",
            CandidateType::Relayed => "relay",
            CandidateType::Other(t) => t,
        }
    }
}

/// `a=candidate:<foundation> <component> <transport> <priority> <address>
/// <port> typ <type> [raddr <addr>] [rport <port>] *(<name> <value>)`
/// (RFC 8839 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Foundation (1–32 ice-chars).
    pub foundation: String,
    /// Component id: 1 for RTP, 2 for RTCP.
    pub component: u16,
    /// Transport, `UDP` (or `TCP`).
    pub transport: String,
    /// Priority.
    pub priority: u32,
    /// Address: an IP literal, or an FQDN/mDNS name.
    pub address: String,
    /// Port.
    pub port: u16,
    /// Candidate type.
    pub typ: CandidateType,
    /// Related address (`raddr`).
    pub related_address: Option<String>,
    /// Related port (`rport`).
    pub related_port: Option<u16>,
    /// Extension attributes (`generation 0`, `tcptype active`, ...), in order.
    pub extensions: Vec<(String, String)>,
}

fn is_ice_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

impl Candidate {
    /// Parses the value of an `a=candidate` line; `None` if malformed.
    pub fn parse(value: &str) -> Option<Candidate> {
        let mut it = value.split_ascii_whitespace();
        let foundation = it.next()?;
        if foundation.len() > 32 || !foundation.bytes().all(is_ice_char) {
            return None;
        }
        let component = parse_num(it.next()?, 3)?;
        let transport = it.next()?;
        let priority = parse_num(it.next()?, 10)?;
        let address = it.next()?;
        let port = parse_num(it.next()?, 5)?;
        if it.next()? != "typ" {
            return None;
        }
        let typ = CandidateType::from_token(it.next()?);
        let mut c = Candidate {
            foundation: foundation.to_string(),
            component,
            transport: transport.to_string(),
            priority,
            address: address.to_string(),
            port,
            typ,
            related_address: None,
            related_port: None,
            extensions: Vec::new(),
        };
        while let Some(name) = it.next() {
            let value = it.next()?;
            match name {
                "raddr" if c.related_address.is_none() && c.extensions.is_empty() => {
                    c.related_address = Some(value.to_string());
                }
                "rport" if c.related_port.is_none() && c.extensions.is_empty() => {
                    c.related_port = Some(parse_num(value, 5)?);
                }
                _ => c.extensions.push((name.to_string(), value.to_string())),
            }
        }
        Some(c)
    }
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {} typ {}",
            self.foundation,
            self.component,
            self.transport,
            self.priority,
            self.address,
            self.port,
            self.typ.as_str()
        )?;
        if let Some(a) = &self.related_address {
            write!(f, " raddr {a}")?;
        }
        if let Some(p) = self.related_port {
            write!(f, " rport {p}")?;
        }
        for (k, v) in &self.extensions {
            write!(f, " {k} {v}")?;
        }
        Ok(())
    }
}

impl From<Candidate> for Attribute {
    fn from(v: Candidate) -> Self {
        Attribute::new("candidate", v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ptime_values() {
        assert_eq!(parse_ms("20"), Ok(Duration::from_millis(20)));
        assert_eq!(parse_ms("22.5"), Ok(Duration::from_micros(22_500)));
        assert_eq!(parse_ms("20."), Err(()));
        assert_eq!(parse_ms(""), Err(()));
        assert_eq!(parse_ms("-1"), Err(()));
        assert_eq!(parse_ms("99999999999999999999"), Err(()));
        assert_eq!(fmt_ms(Duration::from_micros(22_500)), "22.5");
        assert_eq!(fmt_ms(Duration::from_millis(30)), "30");
    }

    #[test]
    fn crypto_rfc4568_example() {
        // RFC 4568 §4 (MKI and lifetime).
        let v =
            "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4";
        let c = Crypto::parse(v).unwrap();
        assert_eq!(c.tag, 1);
        assert_eq!(c.suite, CryptoSuite::AesCm128HmacSha1_80);
        assert_eq!(c.key_params[0].lifetime_packets(), Some(1 << 20));
        assert_eq!(c.key_params[0].mki_value(), Some((1, 4)));
        assert_eq!(c.key_salt().map(|k| k.len()), Some(30));
        assert_eq!(c.to_string(), v);
        assert!(Crypto::parse("1 AES_CM_128_HMAC_SHA1_80 inline:!!").is_none());
        assert!(Crypto::parse("1 AES_CM_128_HMAC_SHA1_80").is_none());
        assert!(Crypto::parse("x AES_CM_128_HMAC_SHA1_80 inline:AAAA").is_none());
    }

    #[test]
    fn candidate_chrome() {
        let v = "1467250027 1 udp 2122260223 192.168.0.196 46243 typ host generation 0";
        let c = Candidate::parse(v).unwrap();
        assert_eq!(c.typ, CandidateType::Host);
        assert_eq!(c.extensions, vec![("generation".into(), "0".into())]);
        assert_eq!(c.to_string(), v);
        let v = "2 1 UDP 1694498815 203.0.113.77 45664 typ srflx raddr 10.0.1.1 rport 8998";
        let c = Candidate::parse(v).unwrap();
        assert_eq!(c.related_port, Some(8998));
        assert_eq!(c.to_string(), v);
        assert!(Candidate::parse("1 1 udp 1 1.2.3.4 5 typ").is_none());
        assert!(Candidate::parse("1 1 udp 1 1.2.3.4 5 host host").is_none());
        assert!(Candidate::parse("1 1 udp 1 1.2.3.4 5 typ host generation").is_none());
    }

    #[test]
    fn rtpmap_and_fmtp() {
        let m = RtpMap::parse("111 opus/48000/2").unwrap();
        assert_eq!(
            (m.payload_type, m.clock_rate, m.channels),
            (111, 48000, Some(2))
        );
        assert_eq!(m.to_string(), "111 opus/48000/2");
        assert!(RtpMap::parse("128 x/8000").is_none());
        assert!(RtpMap::parse("96 H264").is_none());
        let f = Fmtp::parse("96 profile-level-id=42e01f;packetization-mode=1").unwrap();
        assert_eq!(f.param("PACKETIZATION-MODE"), Some("1"));
        assert_eq!(
            Fmtp::parse("101 0-15").unwrap().params().next(),
            Some(("", "0-15"))
        );
    }
}
