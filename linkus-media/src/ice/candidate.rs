//! ICE candidates (RFC 8445 §5.1) and their SDP form (RFC 8839 §5.1).

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use super::IceError;

/// The type of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateKind {
    /// An address of a local interface (`host`).
    Host,
    /// The address a STUN or TURN server saw us send from (`srflx`).
    ServerReflexive,
    /// An address learned from a connectivity check (`prflx`).
    PeerReflexive,
    /// An address allocated on a TURN server (`relay`).
    Relayed,
}

impl CandidateKind {
    /// The `typ` token of the SDP attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            CandidateKind::Host => "host",
            CandidateKind::ServerReflexive => "srflx",
            CandidateKind::PeerReflexive => "prflx",
            CandidateKind::Relayed => "relay",
        }
    }

    /// The recommended type preference (RFC 8445 §5.1.2.2).
    pub fn type_preference(self) -> u32 {
        match self {
            CandidateKind::Host => 126,
            CandidateKind::PeerReflexive => 110,
            CandidateKind::ServerReflexive => 100,
            CandidateKind::Relayed => 0,
        }
    }

    fn from_token(t: &str) -> Option<Self> {
        Some(match t {
            "host" => CandidateKind::Host,
            "srflx" => CandidateKind::ServerReflexive,
            "prflx" => CandidateKind::PeerReflexive,
            "relay" => CandidateKind::Relayed,
            _ => return None,
        })
    }
}

impl fmt::Display for CandidateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One UDP ICE candidate of one component.
///
/// It converts to and from the RFC 8839 attribute: [`Display`](fmt::Display)
/// writes `candidate:<foundation> <component> UDP <priority> <ip> <port> typ
/// <type> [raddr <ip> rport <port>]` and [`FromStr`] reads it (with or
/// without the `a=` and `candidate:` prefixes, ignoring extension pairs
/// such as `generation 0`). [`sdp_value`](Self::sdp_value) gives the text
/// after `a=candidate:`.
///
/// ```
/// use linkus_media::ice::{Candidate, CandidateKind};
///
/// let c: Candidate = "candidate:1 1 UDP 2130706431 127.0.0.1 5000 typ host".parse()?;
/// assert_eq!(c.kind(), CandidateKind::Host);
/// assert_eq!(c.addr(), "127.0.0.1:5000".parse().unwrap());
/// assert_eq!(c.to_string(), "candidate:1 1 UDP 2130706431 127.0.0.1 5000 typ host");
/// # Ok::<(), linkus_media::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Candidate {
    foundation: String,
    component: u16,
    priority: u32,
    addr: SocketAddr,
    kind: CandidateKind,
    related: Option<SocketAddr>,
}

impl Candidate {
    /// A candidate with every field given.
    ///
    /// # Errors
    ///
    /// [`IceError::BadCandidate`] if the foundation is not 1–32 ice-chars
    /// or the component is not 1–256.
    pub fn new(
        foundation: impl Into<String>,
        component: u16,
        priority: u32,
        addr: SocketAddr,
        kind: CandidateKind,
        related: Option<SocketAddr>,
    ) -> Result<Self, IceError> {
        let foundation = foundation.into();
        if foundation.is_empty() || foundation.len() > 32 || !foundation.bytes().all(is_ice_char) {
            return Err(IceError::BadCandidate {
                reason: "foundation must be 1-32 ice-chars",
            });
        }
        if !(1..=256).contains(&component) {
            return Err(IceError::BadCandidate {
                reason: "component must be 1-256",
            });
        }
        Ok(Candidate {
            foundation,
            component,
            priority,
            addr,
            kind,
            related,
        })
    }

    /// A candidate of `kind` at `addr` for `component`, with the RFC 8445
    /// §5.1.2.1 priority for `local_preference` (65535 for a host with one
    /// address).
    pub(crate) fn local(
        foundation: String,
        component: u16,
        addr: SocketAddr,
        kind: CandidateKind,
        related: Option<SocketAddr>,
        local_preference: u16,
    ) -> Self {
        Candidate {
            foundation,
            component,
            priority: priority(kind, local_preference, component),
            addr,
            kind,
            related,
        }
    }

    /// The foundation.
    pub fn foundation(&self) -> &str {
        &self.foundation
    }

    /// The component ID (1 for RTP, 2 for RTCP when not multiplexed).
    pub fn component(&self) -> u16 {
        self.component
    }

    /// The priority.
    pub fn priority(&self) -> u32 {
        self.priority
    }

    /// The transport address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The type.
    pub fn kind(&self) -> CandidateKind {
        self.kind
    }

    /// The related address (`raddr`/`rport`): the base of a reflexive or
    /// relayed candidate.
    pub fn related(&self) -> Option<SocketAddr> {
        self.related
    }

    /// The attribute value after `a=candidate:`, as the SDP module's
    /// candidate line carries it.
    pub fn sdp_value(&self) -> String {
        let mut s = format!(
            "{} {} UDP {} {} {} typ {}",
            self.foundation,
            self.component,
            self.priority,
            self.addr.ip(),
            self.addr.port(),
            self.kind
        );
        if let Some(r) = self.related {
            s.push_str(&format!(" raddr {} rport {}", r.ip(), r.port()));
        }
        s
    }
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "candidate:{}", self.sdp_value())
    }
}

impl FromStr for Candidate {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s).map_err(crate::Error::from)
    }
}

/// The SDP module's `a=candidate` value of this candidate.
impl From<&Candidate> for crate::sdp::Candidate {
    fn from(c: &Candidate) -> Self {
        use crate::sdp::CandidateType as T;
        crate::sdp::Candidate {
            foundation: c.foundation.clone(),
            component: c.component,
            transport: "UDP".into(),
            priority: c.priority,
            address: c.addr.ip().to_string(),
            port: c.addr.port(),
            typ: match c.kind {
                CandidateKind::Host => T::Host,
                CandidateKind::ServerReflexive => T::ServerReflexive,
                CandidateKind::PeerReflexive => T::PeerReflexive,
                CandidateKind::Relayed => T::Relayed,
            },
            related_address: c.related.map(|r| r.ip().to_string()),
            related_port: c.related.map(|r| r.port()),
            extensions: Vec::new(),
        }
    }
}

/// A candidate the SDP module parsed; fails for what the agent cannot use
/// (TCP, FQDN or mDNS addresses, unknown types).
impl TryFrom<&crate::sdp::Candidate> for Candidate {
    type Error = crate::Error;

    fn try_from(c: &crate::sdp::Candidate) -> Result<Self, Self::Error> {
        c.to_string().parse()
    }
}

fn bad(reason: &'static str) -> IceError {
    IceError::BadCandidate { reason }
}

fn parse(s: &str) -> Result<Candidate, IceError> {
    let s = s.trim();
    let s = s.strip_prefix("a=").unwrap_or(s);
    let s = s.strip_prefix("candidate:").unwrap_or(s);
    let mut it = s.split_ascii_whitespace();
    let foundation = it.next().ok_or(bad("empty"))?;
    let component: u16 = it
        .next()
        .and_then(|t| t.parse().ok())
        .ok_or(bad("bad component"))?;
    let transport = it.next().ok_or(bad("no transport"))?;
    if !transport.eq_ignore_ascii_case("udp") {
        return Err(bad("only UDP candidates are supported"));
    }
    let priority: u32 = it
        .next()
        .and_then(|t| t.parse().ok())
        .ok_or(bad("bad priority"))?;
    let ip = it
        .next()
        .and_then(|t| t.parse().ok())
        .ok_or(bad("address is not an IP literal"))?;
    let port: u16 = it
        .next()
        .and_then(|t| t.parse().ok())
        .ok_or(bad("bad port"))?;
    if it.next() != Some("typ") {
        return Err(bad("missing typ"));
    }
    let kind = it
        .next()
        .and_then(CandidateKind::from_token)
        .ok_or(bad("unknown candidate type"))?;
    let mut raddr = None;
    let mut rport = None;
    while let Some(name) = it.next() {
        let value = it.next().ok_or(bad("extension without value"))?;
        match name {
            "raddr" => raddr = Some(value.parse().map_err(|_| bad("bad raddr"))?),
            "rport" => rport = Some(value.parse::<u16>().map_err(|_| bad("bad rport"))?),
            _ => {} // generation, network-id, ufrag, ...: not ours
        }
    }
    let related = match (raddr, rport) {
        (Some(ip), Some(port)) => Some(SocketAddr::new(ip, port)),
        _ => None,
    };
    Candidate::new(
        foundation,
        component,
        priority,
        SocketAddr::new(ip, port),
        kind,
        related,
    )
}

fn is_ice_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// The candidate priority formula (RFC 8445 §5.1.2.1).
pub(crate) fn priority(kind: CandidateKind, local_preference: u16, component: u16) -> u32 {
    (kind.type_preference() << 24)
        + (u32::from(local_preference) << 8)
        + (256 - u32::from(component.clamp(1, 256)))
}

/// The pair priority formula (RFC 8445 §6.1.2.3): `g` of the controlling
/// agent's candidate, `d` of the controlled agent's.
pub(crate) fn pair_priority(g: u32, d: u32) -> u64 {
    let (g, d) = (u64::from(g), u64::from(d));
    (1 << 32) * g.min(d) + 2 * g.max(d) + u64::from(g > d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_rfc8839_lines() {
        let line = "a=candidate:2 1 udp 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998 generation 0";
        let c: Candidate = line.parse().unwrap();
        assert_eq!(c.kind(), CandidateKind::ServerReflexive);
        assert_eq!(c.related(), Some("10.0.1.1:8998".parse().unwrap()));
        assert_eq!(
            c.to_string(),
            "candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998"
        );
        let v6: Candidate = "1 1 UDP 2130706431 ::1 5000 typ host".parse().unwrap();
        assert_eq!(v6.addr(), "[::1]:5000".parse().unwrap());
        assert_eq!(v6.to_string().parse::<Candidate>().unwrap(), v6);
    }

    #[test]
    fn converts_to_and_from_the_sdp_module() {
        let line = "2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998";
        let c: Candidate = line.parse().unwrap();
        let s = crate::sdp::Candidate::from(&c);
        assert_eq!(s, crate::sdp::Candidate::parse(line).unwrap());
        assert_eq!(Candidate::try_from(&s).unwrap(), c);
        let mdns = crate::sdp::Candidate::parse("1 1 UDP 1 x.local 9 typ host").unwrap();
        assert!(Candidate::try_from(&mdns).is_err());
    }

    #[test]
    fn rejects_what_it_cannot_use() {
        for bad in [
            "",
            "candidate:1 1 TCP 1 127.0.0.1 9 typ host",
            "candidate:1 1 UDP 1 host.local 9 typ host",
            "candidate:1 1 UDP 1 127.0.0.1 9 typ weird",
            "candidate:1 0 UDP 1 127.0.0.1 9 typ host",
            "candidate:1 1 UDP 1 127.0.0.1 9 host",
            "candidate:1 1 UDP 1 127.0.0.1 9 typ host raddr",
        ] {
            assert!(bad.parse::<Candidate>().is_err(), "{bad}");
        }
    }

    #[test]
    fn priorities_follow_rfc8445() {
        assert_eq!(priority(CandidateKind::Host, 65535, 1), 2_130_706_431);
        assert_eq!(priority(CandidateKind::Relayed, 65535, 1), 16_777_215);
        assert!(pair_priority(10, 20) > pair_priority(10, 19));
        assert_eq!(pair_priority(2, 1), (1 << 32) + 4 + 1);
        assert_eq!(pair_priority(1, 2), (1 << 32) + 4);
    }
}
