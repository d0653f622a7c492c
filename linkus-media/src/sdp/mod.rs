//! SDP (RFC 8866, formerly RFC 4566): the session description model, a
//! bounded parser, a writer, and RFC 3264 offer/answer.
//!
//! - [`SessionDescription`] and [`MediaDescription`] hold a parsed SDP.
//!   Attributes are kept verbatim ([`Attribute`]) in their original order, so
//!   unknown attributes survive a round trip; typed views parse the ones a
//!   voice/video call needs: [`RtpMap`], [`Fmtp`], `a=ptime`/`a=maxptime`,
//!   [`Direction`], [`Rtcp`], `a=rtcp-mux`, SDES [`Crypto`] (RFC 4568), ICE
//!   (RFC 8839: `a=ice-ufrag`, `a=ice-pwd`, `a=ice-options`, [`Candidate`],
//!   `a=end-of-candidates`) and `a=mid`.
//! - [`SessionDescription::parse`] is strict where RFC 8866 requires it
//!   (`v=0` first, then `o=` and `s=`, `<type>=<value>` lines, known line
//!   types, well-formed `rtpmap`, `fmtp`, `ptime`, `maxptime`, `rtcp`,
//!   `ice-ufrag`, `ice-pwd` and `mid`) and lenient where real peers deviate
//!   (LF or CRLF line ends, trailing white space, blank lines, a missing
//!   `t=`, session and media lines in any order inside their section, a
//!   malformed `a=crypto` or `a=candidate` among good ones: kept verbatim,
//!   skipped by [`MediaDescription::cryptos`] and
//!   [`MediaDescription::candidates`]). Input is bounded by [`Limits`]; every failure is an
//!   [`SdpError`] with the 1-based line number, and nothing panics.
//! - [`SessionDescription`]'s `Display` writes CRLF-terminated SDP in RFC
//!   8866 order; parsing what it writes gives back the same value.
//! - [`Negotiator`] is a sans-IO RFC 3264 offer/answer engine producing
//!   [`NegotiatedMedia`] for the RTP layer.
//!
//! ```
//! use linkus_media::sdp::{Direction, SessionDescription};
//!
//! let sdp = SessionDescription::parse(
//!     "v=0\r\n\
//!      o=alice 2890844526 2890844526 IN IP4 198.51.100.1\r\n\
//!      s=-\r\n\
//!      c=IN IP4 198.51.100.1\r\n\
//!      t=0 0\r\n\
//!      m=audio 49170 RTP/AVP 0 8 101\r\n\
//!      a=rtpmap:101 telephone-event/8000\r\n\
//!      a=fmtp:101 0-15\r\n\
//!      a=ptime:20\r\n\
//!      a=sendonly\r\n",
//! )?;
//! let audio = &sdp.media[0];
//! assert_eq!(audio.port, 49170);
//! assert_eq!(audio.rtpmap(101).map(|m| m.encoding), Some("telephone-event".to_string()));
//! assert_eq!(sdp.direction_of(audio), Direction::SendOnly);
//! assert_eq!(SessionDescription::parse(&sdp.to_string())?, sdp);
//! # Ok::<(), linkus_media::Error>(())
//! ```

use core::fmt;
use core::time::Duration;
use std::net::IpAddr;

mod attr;
mod base64;
mod negotiate;
mod parse;
mod write;

pub use attr::{Candidate, CandidateType, Crypto, CryptoSuite, Fmtp, KeyParam, Rtcp, RtpMap};
pub use negotiate::{
    IceCredentials, KeySource, LocalMedia, MediaFormat, NegotiatedCrypto, NegotiatedMedia,
    Negotiator, OfferAnswerError, OfferAnswerOrder, RemoteIce, SrtpPolicy, VideoCodec,
};
pub use parse::Limits;

/// A parse failure: where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SDP line {line}: {kind}")]
pub struct SdpError {
    /// 1-based line number of the offending line (0 for errors about the
    /// whole input, such as its size).
    pub line: usize,
    /// What is wrong.
    pub kind: SdpErrorKind,
}

/// What is wrong with an SDP; see [`SdpError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdpErrorKind {
    /// The input is larger than [`Limits::max_size`].
    #[error("input larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// More lines than [`Limits::max_lines`].
    #[error("more than {limit} lines")]
    TooManyLines {
        /// The limit.
        limit: usize,
    },
    /// More `m=` sections than [`Limits::max_media`].
    #[error("more than {limit} media descriptions")]
    TooManyMedia {
        /// The limit.
        limit: usize,
    },
    /// More `a=` lines in one section than [`Limits::max_attributes`].
    #[error("more than {limit} attributes in a section")]
    TooManyAttributes {
        /// The limit.
        limit: usize,
    },
    /// The input is not UTF-8.
    #[error("not UTF-8")]
    NotUtf8,
    /// The input has no lines.
    #[error("empty session description")]
    Empty,
    /// A line is not `<letter>=<value>`.
    #[error("not a <type>=<value> line")]
    MalformedLine,
    /// A line type letter that RFC 8866 does not define.
    #[error("unknown line type {0:?}")]
    UnknownLineType(char),
    /// The first line is not `v=0`.
    #[error("the first line must be v=0")]
    BadVersion,
    /// `o=` is missing or not the second line.
    #[error("o= must be the second line")]
    MissingOrigin,
    /// `s=` is missing or not the third line.
    #[error("s= must be the third line")]
    MissingSessionName,
    /// A line that may appear once per section appears twice, or a line in a
    /// section where it is not allowed (e.g. `t=` after the first `m=`).
    #[error("unexpected {0:?} line here")]
    UnexpectedLine(char),
    /// The `o=` line is malformed.
    #[error("malformed o= line")]
    BadOrigin,
    /// A `c=` line is malformed.
    #[error("malformed c= line")]
    BadConnection,
    /// A `b=` line is malformed.
    #[error("malformed b= line")]
    BadBandwidth,
    /// A `t=` or `r=` line is malformed.
    #[error("malformed t= or r= line")]
    BadTiming,
    /// An `m=` line is malformed.
    #[error("malformed m= line")]
    BadMedia,
    /// An attribute line is malformed, or the value of an attribute this
    /// module types (`rtpmap`, `fmtp`, `ptime`, `rtcp`, `crypto`,
    /// `candidate`, ...) does not follow its RFC.
    #[error("malformed a={0} attribute")]
    BadAttribute(String),
    /// A media description has no `c=` and neither has the session.
    #[error("no connection (c=) for a media description")]
    MissingConnection,
}

/// The `o=` line: who created the session, and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// User name (`-` if none).
    pub username: String,
    /// Session id (a numeric string, kept as text: some peers exceed 64 bits).
    pub session_id: String,
    /// Session version; a new SDP for the same session with changed content
    /// has a higher version.
    pub session_version: u64,
    /// Network type, `IN`.
    pub net_type: String,
    /// Address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// Unicast address (or FQDN) of the originating host.
    pub address: String,
}

/// A `c=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Network type, `IN`.
    pub net_type: String,
    /// Address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// Connection address, with `/ttl` and `/count` suffixes for multicast.
    pub address: String,
}

impl Connection {
    /// An `IN IP4`/`IN IP6` connection for `ip`.
    pub fn new(ip: IpAddr) -> Self {
        Connection {
            net_type: "IN".into(),
            addr_type: if ip.is_ipv4() { "IP4" } else { "IP6" }.into(),
            address: ip.to_string(),
        }
    }

    /// The address as an IP address, if it is a literal (without any
    /// multicast `/ttl` suffix).
    pub fn ip(&self) -> Option<IpAddr> {
        let addr = self.address.split('/').next().unwrap_or("");
        addr.parse().ok()
    }

    /// Whether this is the RFC 2543 hold address `0.0.0.0` (or `::`).
    pub fn is_unspecified(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }
}

/// A `b=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth {
    /// Bandwidth type (`AS`, `CT`, `TIAS`, ...).
    pub kind: String,
    /// Value (kbit/s for `AS` and `CT`, bit/s for `TIAS`).
    pub value: u64,
}

/// A `t=` line and its `r=` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    /// Start time (NTP seconds), 0 for unbounded.
    pub start: u64,
    /// Stop time (NTP seconds), 0 for unbounded.
    pub stop: u64,
    /// `r=` repeat lines, verbatim.
    pub repeats: Vec<String>,
}

impl Default for Timing {
    /// `t=0 0`: a permanent session, as SIP uses.
    fn default() -> Self {
        Timing {
            start: 0,
            stop: 0,
            repeats: Vec::new(),
        }
    }
}

/// An `a=` line, verbatim: `a=<name>` (a flag) or `a=<name>:<value>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Attribute name (case-sensitive, as on the wire).
    pub name: String,
    /// Value after the first `:`, if any.
    pub value: Option<String>,
}

impl Attribute {
    /// A flag attribute `a=<name>`.
    pub fn flag(name: impl Into<String>) -> Self {
        Attribute {
            name: name.into(),
            value: None,
        }
    }

    /// A value attribute `a=<name>:<value>`.
    pub fn new(name: impl Into<String>, value: impl fmt::Display) -> Self {
        Attribute {
            name: name.into(),
            value: Some(value.to_string()),
        }
    }
}

/// Media direction attribute (RFC 8866 §6.7), from the point of view of
/// the SDP's author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// `a=sendrecv` (the default).
    #[default]
    SendRecv,
    /// `a=sendonly`.
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`.
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction of an attribute name.
    pub fn from_name(name: &str) -> Option<Direction> {
        Some(match name {
            "sendrecv" => Direction::SendRecv,
            "sendonly" => Direction::SendOnly,
            "recvonly" => Direction::RecvOnly,
            "inactive" => Direction::Inactive,
            _ => return None,
        })
    }

    /// Direction from sending and receiving flags.
    pub fn from_flags(send: bool, recv: bool) -> Direction {
        match (send, recv) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    /// Whether the author sends.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether the author receives.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The same stream seen from the other end (`sendonly` ↔ `recvonly`).
    pub fn reversed(self) -> Direction {
        Direction::from_flags(self.receives(), self.sends())
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A complete session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=`.
    pub origin: Origin,
    /// `s=` (may be empty; written as `s= ` then, as RFC 8866 suggests).
    pub session_name: String,
    /// `i=`.
    pub info: Option<String>,
    /// `u=`.
    pub uri: Option<String>,
    /// `e=` lines, verbatim.
    pub emails: Vec<String>,
    /// `p=` lines, verbatim.
    pub phones: Vec<String>,
    /// Session-level `c=`.
    pub connection: Option<Connection>,
    /// Session-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// `t=` lines with their `r=` lines; the parser gives `t=0 0` if the
    /// peer left it out, the writer writes `t=0 0` if this is empty.
    pub timing: Vec<Timing>,
    /// `z=`, verbatim.
    pub time_zones: Option<String>,
    /// Session-level `k=`, verbatim.
    pub key: Option<String>,
    /// Session-level `a=` lines, in order.
    pub attributes: Vec<Attribute>,
    /// The `m=` sections, in order.
    pub media: Vec<MediaDescription>,
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// Media type: `audio`, `video`, `text`, `application`, `message`, ...
    pub media: String,
    /// Transport port; 0 means the stream is rejected or disabled.
    pub port: u16,
    /// The `/<number of ports>` suffix, if present.
    pub port_count: Option<u16>,
    /// Transport protocol: `RTP/AVP`, `RTP/SAVP`, `RTP/AVPF`, `RTP/SAVPF`,
    /// `UDP/TLS/RTP/SAVPF`, ...
    pub proto: String,
    /// Media formats (RTP payload type numbers for RTP protocols).
    pub formats: Vec<String>,
    /// `i=`.
    pub info: Option<String>,
    /// Media-level `c=` lines (more than one only for multicast).
    pub connections: Vec<Connection>,
    /// Media-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// Media-level `k=`, verbatim.
    pub key: Option<String>,
    /// Media-level `a=` lines, in order.
    pub attributes: Vec<Attribute>,
}

/// Value of the first attribute called `name` (`Some(None)` for a flag).
fn find<'a>(attrs: &'a [Attribute], name: &str) -> Option<Option<&'a str>> {
    attrs
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.value.as_deref())
}

fn find_value<'a>(attrs: &'a [Attribute], name: &str) -> Option<&'a str> {
    find(attrs, name).flatten()
}

fn direction_in(attrs: &[Attribute]) -> Option<Direction> {
    attrs
        .iter()
        .rev()
        .find_map(|a| Direction::from_name(&a.name))
}

impl SessionDescription {
    /// A session description with the given origin and `s=-`, `t=0 0`, no
    /// connection, attributes or media.
    pub fn new(origin: Origin) -> Self {
        SessionDescription {
            origin,
            session_name: "-".into(),
            info: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            timing: vec![Timing::default()],
            time_zones: None,
            key: None,
            attributes: Vec::new(),
            media: Vec::new(),
        }
    }

    /// Parses an SDP with the default [`Limits`].
    ///
    /// # Errors
    ///
    /// [`Error::Sdp`](crate::Error::Sdp) with the line and kind of the
    /// first problem.
    pub fn parse(text: &str) -> Result<Self, crate::Error> {
        Self::parse_with_limits(text, &Limits::default())
    }

    /// Parses an SDP body as received from the network (must be UTF-8).
    ///
    /// # Errors
    ///
    /// As [`parse`](Self::parse), plus [`SdpErrorKind::NotUtf8`].
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, crate::Error> {
        let limits = Limits::default();
        if bytes.len() > limits.max_size {
            return Err(SdpError {
                line: 0,
                kind: SdpErrorKind::TooLarge {
                    limit: limits.max_size,
                },
            }
            .into());
        }
        let text = core::str::from_utf8(bytes).map_err(|_| SdpError {
            line: 0,
            kind: SdpErrorKind::NotUtf8,
        })?;
        Self::parse_with_limits(text, &limits)
    }

    /// Parses an SDP with explicit limits.
    ///
    /// # Errors
    ///
    /// As [`parse`](Self::parse).
    pub fn parse_with_limits(text: &str, limits: &Limits) -> Result<Self, crate::Error> {
        parse::parse(text, limits).map_err(crate::Error::Sdp)
    }

    /// Session-level direction attribute, if present.
    pub fn direction(&self) -> Option<Direction> {
        direction_in(&self.attributes)
    }

    /// The direction of `media`: its own attribute, else the session's,
    /// else `sendrecv` (RFC 8866 §6.7).
    pub fn direction_of(&self, media: &MediaDescription) -> Direction {
        media
            .direction()
            .or_else(|| self.direction())
            .unwrap_or_default()
    }

    /// The connection of `media`: its first own `c=`, else the session's.
    pub fn connection_of<'a>(&'a self, media: &'a MediaDescription) -> Option<&'a Connection> {
        media.connections.first().or(self.connection.as_ref())
    }

    /// Value of the first session-level attribute `name` (`Some(None)` for
    /// a flag attribute).
    pub fn attribute(&self, name: &str) -> Option<Option<&str>> {
        find(&self.attributes, name)
    }

    /// `a=ice-ufrag` of `media`, else of the session.
    pub fn ice_ufrag_of<'a>(&'a self, media: &'a MediaDescription) -> Option<&'a str> {
        media
            .ice_ufrag()
            .or_else(|| find_value(&self.attributes, "ice-ufrag"))
    }

    /// `a=ice-pwd` of `media`, else of the session.
    pub fn ice_pwd_of<'a>(&'a self, media: &'a MediaDescription) -> Option<&'a str> {
        media
            .ice_pwd()
            .or_else(|| find_value(&self.attributes, "ice-pwd"))
    }

    /// `a=ice-options` tokens of the session.
    pub fn ice_options(&self) -> Vec<&str> {
        find_value(&self.attributes, "ice-options")
            .map(|v| v.split_ascii_whitespace().collect())
            .unwrap_or_default()
    }

    /// Whether the session has `a=ice-lite`.
    pub fn ice_lite(&self) -> bool {
        self.attribute("ice-lite").is_some()
    }
}

impl MediaDescription {
    /// A media description with no `i=`, `c=`, `b=`, `k=` or attributes.
    pub fn new(
        media: impl Into<String>,
        port: u16,
        proto: impl Into<String>,
        formats: Vec<String>,
    ) -> Self {
        MediaDescription {
            media: media.into(),
            port,
            port_count: None,
            proto: proto.into(),
            formats,
            info: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Vec::new(),
        }
    }

    /// Value of the first attribute `name` (`Some(None)` for a flag).
    pub fn attribute(&self, name: &str) -> Option<Option<&str>> {
        find(&self.attributes, name)
    }

    /// Values of all attributes `name`.
    pub fn attribute_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.attributes
            .iter()
            .filter(move |a| a.name == name)
            .filter_map(|a| a.value.as_deref())
    }

    /// Whether the protocol is RTP (`RTP/AVP`, `RTP/SAVPF`,
    /// `UDP/TLS/RTP/SAVPF`, ...).
    pub fn is_rtp(&self) -> bool {
        self.proto.split('/').any(|p| p.eq_ignore_ascii_case("RTP"))
    }

    /// The RTP payload type numbers among the formats (others skipped).
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats
            .iter()
            .filter_map(|f| f.parse::<u8>().ok())
            .filter(|&pt| pt <= 127)
    }

    /// All well-formed `a=rtpmap` lines.
    pub fn rtpmaps(&self) -> impl Iterator<Item = RtpMap> + '_ {
        self.attribute_values("rtpmap").filter_map(RtpMap::parse)
    }

    /// The `a=rtpmap` of payload type `pt`.
    pub fn rtpmap(&self, pt: u8) -> Option<RtpMap> {
        self.rtpmaps().find(|m| m.payload_type == pt)
    }

    /// All well-formed `a=fmtp` lines.
    pub fn fmtps(&self) -> impl Iterator<Item = Fmtp> + '_ {
        self.attribute_values("fmtp").filter_map(Fmtp::parse)
    }

    /// The `a=fmtp` parameters of format `format`.
    pub fn fmtp(&self, format: &str) -> Option<Fmtp> {
        self.fmtps().find(|f| f.format == format)
    }

    /// `a=ptime`.
    pub fn ptime(&self) -> Option<Duration> {
        self.attribute_values("ptime")
            .find_map(|v| attr::parse_ms(v).ok())
    }

    /// `a=maxptime`.
    pub fn maxptime(&self) -> Option<Duration> {
        self.attribute_values("maxptime")
            .find_map(|v| attr::parse_ms(v).ok())
    }

    /// The media-level direction attribute, if present (see
    /// [`SessionDescription::direction_of`] for the effective one).
    pub fn direction(&self) -> Option<Direction> {
        direction_in(&self.attributes)
    }

    /// `a=rtcp`.
    pub fn rtcp(&self) -> Option<Rtcp> {
        self.attribute_values("rtcp").find_map(Rtcp::parse)
    }

    /// Whether `a=rtcp-mux` is present.
    pub fn rtcp_mux(&self) -> bool {
        self.attribute("rtcp-mux").is_some()
    }

    /// All well-formed `a=crypto` lines, in order of preference.
    pub fn cryptos(&self) -> impl Iterator<Item = Crypto> + '_ {
        self.attribute_values("crypto").filter_map(Crypto::parse)
    }

    /// `a=ice-ufrag` of this section.
    pub fn ice_ufrag(&self) -> Option<&str> {
        find_value(&self.attributes, "ice-ufrag")
    }

    /// `a=ice-pwd` of this section.
    pub fn ice_pwd(&self) -> Option<&str> {
        find_value(&self.attributes, "ice-pwd")
    }

    /// All well-formed `a=candidate` lines.
    pub fn candidates(&self) -> impl Iterator<Item = Candidate> + '_ {
        self.attribute_values("candidate")
            .filter_map(Candidate::parse)
    }

    /// Whether `a=end-of-candidates` is present.
    pub fn end_of_candidates(&self) -> bool {
        self.attribute("end-of-candidates").is_some()
    }

    /// `a=mid`.
    pub fn mid(&self) -> Option<&str> {
        find_value(&self.attributes, "mid")
    }
}

impl core::str::FromStr for SessionDescription {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SessionDescription::parse(s)
    }
}
