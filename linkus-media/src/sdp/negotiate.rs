//! RFC 3264 offer/answer, sans-IO; see [`Negotiator`].

use core::fmt;
use core::time::Duration;
use std::net::{IpAddr, SocketAddr};

use super::attr::fmt_ms;
use super::{
    Attribute, Candidate, Connection, Crypto, CryptoSuite, Direction, Fmtp, KeyParam,
    MediaDescription, Origin, RtpMap, SessionDescription,
};
use crate::Error;
use crate::codec::Codec;

/// A video codec for SDP (the encoders belong to the platform).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VideoCodec {
    /// H.264 (RFC 6184).
    H264 {
        /// `profile-level-id`: profile_idc, profile-iop and level_idc, e.g.
        /// `0x42e01f` (constrained baseline, level 3.1).
        profile_level_id: u32,
        /// `packetization-mode`: 0 (single NAL unit) or 1 (non-interleaved).
        packetization_mode: u8,
    },
    /// VP8 (RFC 7741).
    Vp8,
}

impl VideoCodec {
    /// Constrained baseline level 3.1, packetization mode 1: what phones and
    /// browsers interoperate on.
    pub const H264_CONSTRAINED_BASELINE: VideoCodec = VideoCodec::H264 {
        profile_level_id: 0x0042_e01f,
        packetization_mode: 1,
    };

    /// Encoding name of `a=rtpmap`.
    pub fn name(&self) -> &'static str {
        match self {
            VideoCodec::H264 { .. } => "H264",
            VideoCodec::Vp8 => "VP8",
        }
    }

    fn fmtp(&self) -> Option<String> {
        match self {
            VideoCodec::H264 {
                profile_level_id,
                packetization_mode,
            } => Some(format!(
                "profile-level-id={profile_level_id:06x};packetization-mode={packetization_mode}"
            )),
            VideoCodec::Vp8 => None,
        }
    }

    /// Whether an offered/answered format with `map` and `fmtp` is this codec:
    /// same name and 90 kHz clock; for H.264 the same profile_idc and
    /// packetization mode (RFC 6184 §8.2.2; the level may differ).
    fn matches(&self, map: &RtpMap, fmtp: Option<&Fmtp>) -> bool {
        if !map.encoding.eq_ignore_ascii_case(self.name()) || map.clock_rate != 90_000 {
            return false;
        }
        match self {
            VideoCodec::H264 {
                profile_level_id,
                packetization_mode,
            } => {
                let mode = fmtp
                    .and_then(|f| f.param("packetization-mode"))
                    .map_or(Some(0), |m| m.parse::<u8>().ok());
                let plid = fmtp
                    .and_then(|f| f.param("profile-level-id"))
                    .map_or(Some(0x0042_001f), |p| u32::from_str_radix(p, 16).ok());
                mode == Some(*packetization_mode)
                    && plid.is_some_and(|p| p >> 16 == profile_level_id >> 16)
            }
            VideoCodec::Vp8 => true,
        }
    }
}

/// What a payload type carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaFormat {
    /// A voice codec of this crate.
    Audio(Codec),
    /// RFC 4733 DTMF events at this clock rate.
    TelephoneEvent {
        /// RTP clock rate; matches the voice codec's.
        clock_rate: u32,
    },
    /// A video codec.
    Video(VideoCodec),
}

impl MediaFormat {
    fn clock_rate(&self) -> u32 {
        match self {
            MediaFormat::Audio(c) => c.info().clock_rate,
            MediaFormat::TelephoneEvent { clock_rate } => *clock_rate,
            MediaFormat::Video(_) => 90_000,
        }
    }

    fn rtpmap(&self, payload_type: u8) -> RtpMap {
        let encoding = match self {
            MediaFormat::Audio(c) => {
                // The codec's own `a=rtpmap` text knows its channel count
                // (`opus/48000/2` for mono Opus).
                if let Some(map) = RtpMap::parse(&format!("{payload_type} {}", c.info().rtpmap())) {
                    return map;
                }
                c.info().name
            }
            MediaFormat::TelephoneEvent { .. } => "telephone-event",
            MediaFormat::Video(v) => v.name(),
        };
        RtpMap {
            payload_type,
            encoding: encoding.into(),
            clock_rate: self.clock_rate(),
            channels: None,
        }
    }

    /// Whether a peer's `a=rtpmap` (and `a=fmtp`) names this format.
    fn matches(&self, map: &RtpMap, fmtp: Option<&Fmtp>) -> bool {
        match self {
            MediaFormat::Audio(_) => {
                let own = self.rtpmap(map.payload_type);
                own.encoding.eq_ignore_ascii_case(&map.encoding)
                    && own.clock_rate == map.clock_rate
                    && own.channels.unwrap_or(1) == map.channels.unwrap_or(1)
            }
            MediaFormat::TelephoneEvent { clock_rate } => {
                map.encoding.eq_ignore_ascii_case("telephone-event")
                    && *clock_rate == map.clock_rate
            }
            MediaFormat::Video(v) => v.matches(map, fmtp),
        }
    }

    /// Whether every parameter of this format's own `a=fmtp` is in `fmtp`
    /// (tells iLBC `mode=20` from `mode=30`).
    fn fmtp_fits(&self, fmtp: Option<&Fmtp>) -> bool {
        let MediaFormat::Audio(c) = self else {
            return true;
        };
        let Some(own) = c.info().fmtp else {
            return true;
        };
        let own = Fmtp {
            format: String::new(),
            params: own.to_string(),
        };
        own.params().all(|(k, v)| {
            fmtp.is_some_and(|f| {
                f.params()
                    .any(|(rk, rv)| rk.eq_ignore_ascii_case(k) && rv == v)
            })
        })
    }

    fn fmtp(&self) -> Option<String> {
        match self {
            MediaFormat::Audio(c) => c.info().fmtp.map(str::to_string),
            MediaFormat::TelephoneEvent { .. } => Some("0-16".into()),
            MediaFormat::Video(v) => v.fmtp(),
        }
    }

    fn is_telephone_event(&self) -> bool {
        matches!(self, MediaFormat::TelephoneEvent { .. })
    }
}

/// How SRTP (SDES, RFC 4568) is used.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SrtpPolicy {
    /// Plain RTP; offers with `RTP/SAVP` are rejected.
    #[default]
    Off,
    /// Offer `a=crypto` with these suites (preferred first) on `RTP/AVP`,
    /// use SRTP when the peer agrees, plain RTP otherwise.
    Offer(Vec<CryptoSuite>),
    /// Offer `RTP/SAVP` with these suites; negotiation fails without SRTP.
    Require(Vec<CryptoSuite>),
}

impl SrtpPolicy {
    fn suites(&self) -> &[CryptoSuite] {
        match self {
            SrtpPolicy::Off => &[],
            SrtpPolicy::Offer(s) | SrtpPolicy::Require(s) => s,
        }
    }
}

/// Supplies SRTP master key || master salt for a suite. The negotiator asks
/// once per m-line and suite and keeps the material for re-offers; give it
/// a cryptographic random source in production and fixed bytes in tests.
pub trait KeySource: Send {
    /// Fills `key_salt` (of the suite's
    /// [`key_salt_len`](CryptoSuite::key_salt_len)) with fresh key material.
    fn fill_key(&mut self, suite: &CryptoSuite, key_salt: &mut [u8]);
}

impl<F: FnMut(&CryptoSuite, &mut [u8]) + Send> KeySource for F {
    fn fill_key(&mut self, suite: &CryptoSuite, key_salt: &mut [u8]) {
        self(suite, key_salt);
    }
}

/// Local ICE parameters (RFC 8839), gathered by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IceCredentials {
    /// `a=ice-ufrag`.
    pub ufrag: String,
    /// `a=ice-pwd`.
    pub pwd: String,
    /// Candidates written into every active m-line.
    pub candidates: Vec<Candidate>,
    /// Whether gathering is complete (`a=end-of-candidates`).
    pub end_of_candidates: bool,
    /// Whether this side is ICE lite (`a=ice-lite`).
    pub lite: bool,
}

/// Whose codec order an answer follows; see [`Negotiator`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OfferAnswerOrder {
    /// The offerer's order (RFC 3264 §6.1 recommendation).
    #[default]
    Offerer,
    /// This side's preference order.
    Local,
}

/// Local capabilities and transport for [`Negotiator`]. Change them with
/// [`Negotiator::local_mut`] between negotiations (new address after a
/// network change, other codecs, ...) and create a re-offer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalMedia {
    /// `o=` user name.
    pub username: String,
    /// `o=` session id.
    pub session_id: u64,
    /// Address for `o=` and `c=`.
    pub address: IpAddr,
    /// Local RTP port of the audio stream.
    pub audio_port: u16,
    /// Voice codecs, most preferred first; empty for no audio.
    pub codecs: Vec<Codec>,
    /// Whether to offer/accept RFC 4733 `telephone-event`.
    pub telephone_event: bool,
    /// `a=ptime` to offer and to send with, if the codec supports it.
    pub ptime: Option<Duration>,
    /// Whether to offer/accept `a=rtcp-mux`.
    pub rtcp_mux: bool,
    /// SRTP policy.
    pub srtp: SrtpPolicy,
    /// ICE parameters, if ICE is used.
    pub ice: Option<IceCredentials>,
    /// Local RTP port of the video stream.
    pub video_port: u16,
    /// Video codecs, most preferred first; empty for no video.
    pub video_codecs: Vec<VideoCodec>,
    /// Whose codec order an answer follows.
    pub answer_order: OfferAnswerOrder,
}

impl LocalMedia {
    /// Audio only with all of this crate's codecs, telephone-event, 20 ms,
    /// rtcp-mux offered, no SRTP, no ICE, no video.
    pub fn new(address: IpAddr, audio_port: u16) -> Self {
        LocalMedia {
            username: "-".into(),
            session_id: 1,
            address,
            audio_port,
            codecs: Codec::ALL.to_vec(),
            telephone_event: true,
            ptime: Some(Duration::from_millis(20)),
            rtcp_mux: true,
            srtp: SrtpPolicy::Off,
            ice: None,
            video_port: 0,
            video_codecs: Vec::new(),
            answer_order: OfferAnswerOrder::Offerer,
        }
    }

    /// Builder: these voice codecs.
    pub fn with_codecs(mut self, codecs: Vec<Codec>) -> Self {
        self.codecs = codecs;
        self
    }

    /// Builder: this SRTP policy.
    pub fn with_srtp(mut self, srtp: SrtpPolicy) -> Self {
        self.srtp = srtp;
        self
    }

    /// Builder: video on `port` with `codecs`.
    pub fn with_video(mut self, port: u16, codecs: Vec<VideoCodec>) -> Self {
        self.video_port = port;
        self.video_codecs = codecs;
        self
    }

    /// Builder: ICE parameters.
    pub fn with_ice(mut self, ice: IceCredentials) -> Self {
        self.ice = Some(ice);
        self
    }
}

/// The SRTP parameters agreed for a stream.
#[derive(Clone, PartialEq, Eq)]
pub struct NegotiatedCrypto {
    /// The `a=crypto` tag.
    pub tag: u32,
    /// The suite.
    pub suite: CryptoSuite,
    /// Master key || salt this side encrypts with.
    pub local_key_salt: Vec<u8>,
    /// Master key || salt the peer encrypts with.
    pub remote_key_salt: Vec<u8>,
}

impl fmt::Debug for NegotiatedCrypto {
    /// Keys are not printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NegotiatedCrypto")
            .field("tag", &self.tag)
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

/// The peer's ICE parameters for a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteIce {
    /// `a=ice-ufrag`.
    pub ufrag: String,
    /// `a=ice-pwd`.
    pub pwd: String,
    /// The candidates.
    pub candidates: Vec<Candidate>,
    /// Whether the peer signalled `a=end-of-candidates`.
    pub end_of_candidates: bool,
    /// Whether the peer is ICE lite.
    pub lite: bool,
}

/// The outcome of offer/answer for one accepted m-line, for the RTP layer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NegotiatedMedia {
    /// Position of the m-line in the SDP.
    pub index: usize,
    /// `audio` or `video`.
    pub media: String,
    /// `a=mid`, if the m-line has one.
    pub mid: Option<String>,
    /// Local RTP port.
    pub local_port: u16,
    /// Where to send RTP; `None` while the peer's address is `0.0.0.0`.
    pub remote_rtp: Option<SocketAddr>,
    /// Where to send RTCP (the RTP address with rtcp-mux).
    pub remote_rtcp: Option<SocketAddr>,
    /// Payload type ↔ format of the packets this side may receive.
    pub recv_formats: Vec<(u8, MediaFormat)>,
    /// Payload type ↔ format the peer accepts, in its preference order.
    pub send_formats: Vec<(u8, MediaFormat)>,
    /// The codec to send (first of the answer).
    pub send_format: MediaFormat,
    /// Its payload type.
    pub send_payload_type: u8,
    /// Payload type for sending RFC 4733 events (at the send codec's clock).
    pub telephone_event: Option<u8>,
    /// Packet duration to send (audio).
    pub ptime: Option<Duration>,
    /// Direction from this side's point of view.
    pub direction: Direction,
    /// Whether the peer put the stream on hold (`sendonly`, `inactive` or
    /// `c=0.0.0.0`).
    pub remote_hold: bool,
    /// Whether RTP and RTCP share the port.
    pub rtcp_mux: bool,
    /// SRTP parameters, if SRTP is used.
    pub crypto: Option<NegotiatedCrypto>,
    /// The peer's ICE parameters, if it uses ICE.
    pub remote_ice: Option<RemoteIce>,
}

/// Why offer/answer failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OfferAnswerError {
    /// No codec in common on m-line `index` (and no other m-line usable).
    #[error("m-line {index}: no codec in common")]
    NoCommonCodec {
        /// The m-line.
        index: usize,
    },
    /// SRTP is required locally but m-line `index` offers or answers plain
    /// RTP.
    #[error("m-line {index}: SRTP required but the peer does not offer it")]
    SrtpRequired {
        /// The m-line.
        index: usize,
    },
    /// The peer requires SRTP (`RTP/SAVP`) but it is off locally, or no
    /// usable crypto suite is in common.
    #[error("m-line {index}: no SRTP crypto suite in common")]
    NoCommonCrypto {
        /// The m-line.
        index: usize,
    },
    /// The transport protocol of m-line `index` is not supported.
    #[error("m-line {index}: unsupported transport protocol {proto}")]
    UnsupportedProtocol {
        /// The m-line.
        index: usize,
        /// The protocol.
        proto: String,
    },
    /// The offer has no m-line of a supported media type.
    #[error("no supported media in the offer")]
    NoSupportedMedia,
    /// An answer arrived but no offer is outstanding.
    #[error("no offer is outstanding")]
    NoPendingOffer,
    /// An offer arrived while this side's offer is outstanding (glare).
    #[error("an offer is already outstanding")]
    OfferPending,
    /// The answer has a different number of m-lines than the offer.
    #[error("answer has {answered} m-lines, the offer {offered}")]
    MediaCountMismatch {
        /// m-lines offered.
        offered: usize,
        /// m-lines answered.
        answered: usize,
    },
    /// An m-line of the answer has another media type than the offer's.
    #[error("m-line {index}: media type differs from the offer")]
    MediaTypeMismatch {
        /// The m-line.
        index: usize,
    },
    /// The answer uses a payload type that maps to no offered format.
    #[error("m-line {index}: answer uses payload type {payload_type} not offered")]
    UnknownPayloadType {
        /// The m-line.
        index: usize,
        /// The payload type.
        payload_type: u8,
    },
    /// The answer's `a=crypto` matches no offered tag and suite, or its key
    /// does not fit the suite.
    #[error("m-line {index}: answer crypto does not match the offer")]
    CryptoMismatch {
        /// The m-line.
        index: usize,
    },
    /// A re-offer has fewer m-lines than the session (RFC 3264 §8).
    #[error("re-offer has {now} m-lines, the session {before}")]
    MediaLinesRemoved {
        /// m-lines before.
        before: usize,
        /// m-lines in the re-offer.
        now: usize,
    },
    /// The connection address of m-line `index` is missing or not an IP
    /// address literal.
    #[error("m-line {index}: no usable connection address")]
    BadAddress {
        /// The m-line.
        index: usize,
    },
}

fn oa(e: OfferAnswerError) -> Error {
    Error::OfferAnswer(e)
}

/// What this side knows about one m-line of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    media: String,
    proto: String,
    formats: Vec<String>,
    /// Payload types this side has used for formats on this line.
    pts: Vec<(u8, MediaFormat)>,
    /// SRTP master key || salt per suite, generated once.
    keys: Vec<(CryptoSuite, Vec<u8>)>,
    mid: Option<String>,
    /// Whether the line is in use (port not 0).
    active: bool,
    /// Whether the peer's last SDP held this stream.
    remote_hold: bool,
}

/// Offer/answer state of one call: builds offers and answers from
/// [`LocalMedia`] and turns the peer's SDP into [`NegotiatedMedia`].
///
/// Choices made here (RFC 3264 leaves them open):
///
/// - **Answer order.** By default the answer lists the common codecs in the
///   *offerer's* order, as RFC 3264 §6.1 recommends, so both ends send the
///   codec the offerer preferred; [`OfferAnswerOrder::Local`] lists them in
///   the local preference order instead.
/// - **Send codec.** Both ends send the first codec of the answer, with the
///   payload type number the receiving end chose (RFC 3264 §5.1, §6.1).
/// - **Payload types.** The answer reuses the offer's numbers. Own offers
///   use the static number of a codec that has one and allocate 96–127 for
///   the others (and `telephone-event`), keeping the numbers stable across
///   re-offers.
/// - **Hold.** Local hold offers `sendonly`, or `inactive` if the peer holds
///   us already; never `c=0.0.0.0`. A peer's `sendonly`, `inactive` or
///   `c=0.0.0.0` (RFC 2543 hold) is reported as
///   [`NegotiatedMedia::remote_hold`], and no address to send to.
/// - **SRTP.** SDES (RFC 4568) only; DTLS-SRTP m-lines
///   (`UDP/TLS/RTP/SAVPF`) are rejected. [`SrtpPolicy::Offer`] offers
///   `RTP/AVP` with `a=crypto` (best-effort SRTP, as deployed PBXes and
///   phones do) and accepts plain RTP; [`SrtpPolicy::Require`] offers
///   `RTP/SAVP` and fails the negotiation without SRTP.
/// - **Origin version.** `o=` keeps its version while the SDP this side
///   sends is unchanged and increments it otherwise (RFC 3264 §8).
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr};
/// use linkus_media::codec::Codec;
/// use linkus_media::sdp::{LocalMedia, MediaFormat, Negotiator, SessionDescription};
///
/// let offer = SessionDescription::parse(
///     "v=0\r\n\
///      o=- 1 1 IN IP4 192.0.2.10\r\n\
///      s=-\r\n\
///      c=IN IP4 192.0.2.10\r\n\
///      t=0 0\r\n\
///      m=audio 40000 RTP/AVP 8 0 101\r\n\
///      a=rtpmap:101 telephone-event/8000\r\n\
///      a=ptime:20\r\n",
/// )?;
/// let local = LocalMedia::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7)), 30000);
/// // No SRTP: the key source is never called.
/// let mut negotiator = Negotiator::new(local, |_: &_, _: &mut [u8]| {});
/// let (answer, media) = negotiator.receive_offer(&offer)?;
/// assert_eq!(media[0].send_format, MediaFormat::Audio(Codec::Pcma));
/// assert_eq!(media[0].telephone_event, Some(101));
/// assert_eq!(media[0].remote_rtp, Some("192.0.2.10:40000".parse().unwrap()));
/// assert!(answer.to_string().contains("m=audio 30000 RTP/AVP 8 0 101\r\n"));
/// # Ok::<(), linkus_media::Error>(())
/// ```
pub struct Negotiator {
    local: LocalMedia,
    keys: Box<dyn KeySource>,
    hold: bool,
    version: u64,
    last_sent: Option<SessionDescription>,
    pending: Option<(SessionDescription, Vec<Line>)>,
    lines: Vec<Line>,
    negotiated: Vec<NegotiatedMedia>,
}

impl fmt::Debug for Negotiator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Negotiator")
            .field("local", &self.local)
            .field("hold", &self.hold)
            .field("version", &self.version)
            .field("offer_pending", &self.pending.is_some())
            .field("negotiated", &self.negotiated)
            .finish_non_exhaustive()
    }
}

fn is_supported_proto(proto: &str) -> bool {
    ["RTP/AVP", "RTP/AVPF", "RTP/SAVP", "RTP/SAVPF"]
        .iter()
        .any(|p| p.eq_ignore_ascii_case(proto))
}

fn is_secure_proto(proto: &str) -> bool {
    proto.eq_ignore_ascii_case("RTP/SAVP") || proto.eq_ignore_ascii_case("RTP/SAVPF")
}

/// Remote RTP and RTCP addresses of `m` (`None` for `0.0.0.0`).
fn remote_addrs(
    sdp: &SessionDescription,
    m: &MediaDescription,
    index: usize,
    mux: bool,
) -> Result<(Option<SocketAddr>, Option<SocketAddr>, bool), Error> {
    let conn = sdp
        .connection_of(m)
        .ok_or(oa(OfferAnswerError::BadAddress { index }))?;
    let ip = conn
        .ip()
        .ok_or(oa(OfferAnswerError::BadAddress { index }))?;
    if ip.is_unspecified() {
        // RFC 2543 hold, unless ICE is in use: trickle ICE (RFC 8840) also
        // writes 0.0.0.0 until candidates arrive.
        return Ok((None, None, sdp.ice_ufrag_of(m).is_none()));
    }
    let rtp = SocketAddr::new(ip, m.port);
    let rtcp = if mux {
        rtp
    } else {
        match m.rtcp() {
            Some(r) => SocketAddr::new(r.connection.and_then(|c| c.ip()).unwrap_or(ip), r.port),
            None => SocketAddr::new(ip, m.port.saturating_add(1)),
        }
    };
    Ok((Some(rtp), Some(rtcp), false))
}

fn remote_ice(sdp: &SessionDescription, m: &MediaDescription) -> Option<RemoteIce> {
    Some(RemoteIce {
        ufrag: sdp.ice_ufrag_of(m)?.to_string(),
        pwd: sdp.ice_pwd_of(m)?.to_string(),
        candidates: m.candidates().collect(),
        end_of_candidates: m.end_of_candidates() || sdp.attribute("end-of-candidates").is_some(),
        lite: sdp.ice_lite(),
    })
}

/// The packet duration to send: the peer's `a=ptime` if the codec can,
/// else ours, else the codec's default.
fn choose_ptime(
    format: &MediaFormat,
    remote: Option<Duration>,
    local: Option<Duration>,
) -> Option<Duration> {
    let MediaFormat::Audio(codec) = format else {
        return None;
    };
    let info = codec.info();
    [remote, local]
        .into_iter()
        .flatten()
        .find(|d| info.frame_durations.contains(d))
        .or(Some(info.default_frame_duration))
}

impl Negotiator {
    /// A negotiator for one call. `keys` supplies SRTP key material (it is
    /// not called when SRTP is off).
    pub fn new(local: LocalMedia, keys: impl KeySource + 'static) -> Self {
        Negotiator {
            local,
            keys: Box::new(keys),
            hold: false,
            version: 0,
            last_sent: None,
            pending: None,
            lines: Vec::new(),
            negotiated: Vec::new(),
        }
    }

    /// The local capabilities.
    pub fn local(&self) -> &LocalMedia {
        &self.local
    }

    /// The local capabilities, to change before a re-offer.
    pub fn local_mut(&mut self) -> &mut LocalMedia {
        &mut self.local
    }

    /// Puts the call on hold (or takes it off); takes effect with the next
    /// [`create_offer`](Self::create_offer) or answer.
    pub fn set_hold(&mut self, hold: bool) {
        self.hold = hold;
    }

    /// Whether local hold is set.
    pub fn is_on_hold(&self) -> bool {
        self.hold
    }

    /// The result of the last completed offer/answer exchange.
    pub fn negotiated(&self) -> &[NegotiatedMedia] {
        &self.negotiated
    }

    /// Whether an own offer awaits its answer.
    pub fn offer_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Forgets the outstanding offer (the peer rejected the re-INVITE, or
    /// the request failed); the session stays as last negotiated.
    pub fn cancel_offer(&mut self) {
        self.pending = None;
    }

    /// The key material for `suite` on line `line`, generated on first use.
    fn key_for(&mut self, line: &mut Line, suite: &CryptoSuite) -> Option<Vec<u8>> {
        if let Some((_, k)) = line.keys.iter().find(|(s, _)| s == suite) {
            return Some(k.clone());
        }
        let mut key = vec![0u8; suite.key_salt_len()?];
        self.keys.fill_key(suite, &mut key);
        line.keys.push((suite.clone(), key.clone()));
        Some(key)
    }

    /// The local formats of a media type, in preference order.
    fn local_formats(&self, media: &str) -> Vec<MediaFormat> {
        match media {
            "audio" => {
                let mut v: Vec<MediaFormat> = self
                    .local
                    .codecs
                    .iter()
                    .map(|&c| MediaFormat::Audio(c))
                    .collect();
                if self.local.telephone_event {
                    let mut rates: Vec<u32> = self
                        .local
                        .codecs
                        .iter()
                        .map(|c| c.info().clock_rate)
                        .collect();
                    rates.dedup();
                    for (i, r) in rates.iter().enumerate() {
                        if !rates[..i].contains(r) {
                            v.push(MediaFormat::TelephoneEvent { clock_rate: *r });
                        }
                    }
                }
                v
            }
            "video" => self
                .local
                .video_codecs
                .iter()
                .cloned()
                .map(MediaFormat::Video)
                .collect(),
            _ => Vec::new(),
        }
    }

    fn local_port(&self, media: &str) -> u16 {
        match media {
            "audio" if !self.local.codecs.is_empty() => self.local.audio_port,
            "video" if !self.local.video_codecs.is_empty() => self.local.video_port,
            _ => 0,
        }
    }

    /// Our direction wish: send always (music on hold), receive unless held.
    fn wish(&self) -> Direction {
        if self.hold {
            Direction::SendOnly
        } else {
            Direction::SendRecv
        }
    }

    /// ICE, crypto-independent attributes shared by offers and answers.
    fn common_attrs(&self, m: &mut MediaDescription, dir: Direction, mux: bool, ice: bool) {
        if let (Some(ptime), "audio") = (self.local.ptime, m.media.as_str()) {
            m.attributes.push(Attribute::new("ptime", fmt_ms(ptime)));
        }
        m.attributes.push(Attribute::flag(dir.as_str()));
        if mux {
            m.attributes.push(Attribute::flag("rtcp-mux"));
        }
        if let (true, Some(ice)) = (ice, &self.local.ice) {
            m.attributes.push(Attribute::new("ice-ufrag", &ice.ufrag));
            m.attributes.push(Attribute::new("ice-pwd", &ice.pwd));
            for c in &ice.candidates {
                m.attributes.push(c.clone().into());
            }
            if ice.end_of_candidates {
                m.attributes.push(Attribute::flag("end-of-candidates"));
            }
        }
    }

    fn session(&self, media: Vec<MediaDescription>) -> SessionDescription {
        let addr = self.local.address;
        let mut sdp = SessionDescription::new(Origin {
            username: self.local.username.clone(),
            session_id: self.local.session_id.to_string(),
            session_version: self.version,
            net_type: "IN".into(),
            addr_type: if addr.is_ipv4() { "IP4" } else { "IP6" }.into(),
            address: addr.to_string(),
        });
        sdp.connection = Some(Connection::new(addr));
        if self.local.ice.as_ref().is_some_and(|i| i.lite) {
            sdp.attributes.push(Attribute::flag("ice-lite"));
        }
        sdp.media = media;
        sdp
    }

    /// Sets the `o=` version of `sdp`: the last one if nothing changed,
    /// else the next. Records it as the last SDP sent.
    fn stamp(&mut self, mut sdp: SessionDescription) -> SessionDescription {
        sdp.origin.session_version = self.version;
        if self.last_sent.as_ref() != Some(&sdp) {
            if self.last_sent.is_some() {
                self.version = self.version.saturating_add(1);
            }
            sdp.origin.session_version = self.version;
        }
        self.last_sent = Some(sdp.clone());
        sdp
    }

    /// Creates an offer (initial or re-offer) from the local capabilities,
    /// the hold state and the session so far; m-lines of the session keep
    /// their position, and disabled ones are offered with port 0.
    ///
    /// # Errors
    ///
    /// [`OfferAnswerError::OfferPending`] if an offer is outstanding,
    /// [`OfferAnswerError::NoSupportedMedia`] if there is nothing to offer.
    pub fn create_offer(&mut self) -> Result<SessionDescription, Error> {
        if self.pending.is_some() {
            return Err(oa(OfferAnswerError::OfferPending));
        }
        let mut lines = self.lines.clone();
        for media in ["audio", "video"] {
            if self.local_port(media) != 0 && !lines.iter().any(|l| l.media == media) {
                lines.push(Line {
                    media: media.into(),
                    proto: String::new(),
                    formats: Vec::new(),
                    pts: Vec::new(),
                    keys: Vec::new(),
                    mid: None,
                    active: true,
                    remote_hold: false,
                });
            }
        }
        let mut media = Vec::with_capacity(lines.len());
        let mut any = false;
        for line in &mut lines {
            let port = self.local_port(&line.media);
            // Only the first line of a type carries it.
            let first = media
                .iter()
                .all(|m: &MediaDescription| m.media != line.media || m.port == 0);
            let formats = self.local_formats(&line.media);
            if port == 0 || !first || formats.is_empty() {
                line.active = false;
                let proto = if line.proto.is_empty() {
                    "RTP/AVP"
                } else {
                    &line.proto
                };
                let mut fmts = line.formats.clone();
                if fmts.is_empty() {
                    fmts.push("0".into());
                }
                media.push(MediaDescription::new(line.media.clone(), 0, proto, fmts));
                continue;
            }
            any = true;
            line.active = true;
            media.push(self.offer_section(line, port, &formats));
        }
        if !any {
            return Err(oa(OfferAnswerError::NoSupportedMedia));
        }
        let sdp = self.stamp(self.session(media));
        self.pending = Some((sdp.clone(), lines));
        Ok(sdp)
    }

    fn offer_section(
        &mut self,
        line: &mut Line,
        port: u16,
        formats: &[MediaFormat],
    ) -> MediaDescription {
        // Stable payload types: reuse, else static, else a free dynamic one.
        let mut pts = Vec::new();
        for f in formats {
            let used = |pt: u8, pts: &Vec<(u8, MediaFormat)>| pts.iter().any(|(p, _)| *p == pt);
            let pt = line
                .pts
                .iter()
                .find(|(p, g)| g == f && !used(*p, &pts))
                .map(|(p, _)| *p)
                .or(match f {
                    MediaFormat::Audio(c) => c.info().payload_type.filter(|&p| !used(p, &pts)),
                    _ => None,
                })
                .or_else(|| {
                    (96..=127u8).find(|&p| {
                        !used(p, &pts) && !line.pts.iter().any(|(q, g)| *q == p && g != f)
                    })
                });
            if let Some(pt) = pt {
                pts.push((pt, f.clone()));
            }
        }
        let suites = self.local.srtp.suites().to_vec();
        let secure = matches!(self.local.srtp, SrtpPolicy::Require(_));
        let proto = match (line.proto.as_str(), secure) {
            ("", true) => "RTP/SAVP".to_string(),
            ("", false) => "RTP/AVP".to_string(),
            (p, _) => p.to_string(),
        };
        let mut m = MediaDescription::new(
            line.media.clone(),
            port,
            proto.clone(),
            pts.iter().map(|(p, _)| p.to_string()).collect(),
        );
        for (pt, f) in &pts {
            m.attributes.push(f.rtpmap(*pt).into());
            if let Some(params) = f.fmtp() {
                m.attributes.push(
                    Fmtp {
                        format: pt.to_string(),
                        params,
                    }
                    .into(),
                );
            }
        }
        if let Some(mid) = &line.mid {
            m.attributes.push(Attribute::new("mid", mid));
        }
        let dir = if self.hold && line.remote_hold {
            Direction::Inactive
        } else {
            self.wish()
        };
        self.common_attrs(&mut m, dir, self.local.rtcp_mux, true);
        for (i, suite) in suites.iter().enumerate() {
            if let Some(key) = self.key_for(line, suite) {
                let tag = u32::try_from(i + 1).unwrap_or(u32::MAX);
                m.attributes.push(
                    Crypto {
                        tag,
                        suite: suite.clone(),
                        key_params: vec![KeyParam::inline(&key)],
                        session_params: Vec::new(),
                    }
                    .into(),
                );
            }
        }
        line.proto = proto;
        line.formats = m.formats.clone();
        line.pts = pts;
        m
    }

    /// Which local format an offered or answered payload type is: by its
    /// `a=rtpmap` if present, else by the static number of a local codec.
    fn match_format(
        &self,
        m: &MediaDescription,
        pt: u8,
        candidates: &[MediaFormat],
    ) -> Option<MediaFormat> {
        let fmtp = m.fmtp(&pt.to_string());
        match m.rtpmap(pt) {
            Some(map) => {
                let mut named = candidates.iter().filter(|f| f.matches(&map, fmtp.as_ref()));
                let first = named.clone().next();
                named
                    .find(|f| f.fmtp_fits(fmtp.as_ref()))
                    .or(first)
                    .cloned()
            }
            None if pt < 96 => candidates
                .iter()
                .find(|f| matches!(f, MediaFormat::Audio(c) if c.info().payload_type == Some(pt)))
                .cloned(),
            None => None,
        }
    }

    /// Answers the peer's offer (initial or re-offer).
    ///
    /// Returns the answer to send and the negotiated streams. Unsupported
    /// or unacceptable m-lines are rejected with port 0 in place.
    ///
    /// # Errors
    ///
    /// [`OfferAnswerError::OfferPending`] on glare; when no m-line can be
    /// accepted, the reason for the first one ([`NoCommonCodec`],
    /// [`SrtpRequired`], [`NoCommonCrypto`], [`UnsupportedProtocol`],
    /// [`NoSupportedMedia`]); [`MediaLinesRemoved`] for a re-offer with
    /// fewer m-lines; [`BadAddress`]. The state is unchanged after an error
    /// (answer 488).
    ///
    /// [`NoCommonCodec`]: OfferAnswerError::NoCommonCodec
    /// [`SrtpRequired`]: OfferAnswerError::SrtpRequired
    /// [`NoCommonCrypto`]: OfferAnswerError::NoCommonCrypto
    /// [`UnsupportedProtocol`]: OfferAnswerError::UnsupportedProtocol
    /// [`NoSupportedMedia`]: OfferAnswerError::NoSupportedMedia
    /// [`MediaLinesRemoved`]: OfferAnswerError::MediaLinesRemoved
    /// [`BadAddress`]: OfferAnswerError::BadAddress
    pub fn receive_offer(
        &mut self,
        offer: &SessionDescription,
    ) -> Result<(SessionDescription, Vec<NegotiatedMedia>), Error> {
        if self.pending.is_some() {
            return Err(oa(OfferAnswerError::OfferPending));
        }
        if offer.media.len() < self.lines.len() {
            return Err(oa(OfferAnswerError::MediaLinesRemoved {
                before: self.lines.len(),
                now: offer.media.len(),
            }));
        }
        let mut lines = Vec::with_capacity(offer.media.len());
        let mut sections = Vec::with_capacity(offer.media.len());
        let mut negotiated = Vec::new();
        let mut first_reason = None;
        let mut seen = Vec::new();
        for (index, om) in offer.media.iter().enumerate() {
            let mut line = self.lines.get(index).cloned().unwrap_or(Line {
                media: om.media.clone(),
                proto: om.proto.clone(),
                formats: om.formats.clone(),
                pts: Vec::new(),
                keys: Vec::new(),
                mid: None,
                active: false,
                remote_hold: false,
            });
            if line.media != om.media {
                // The peer replaced the line's media: start afresh.
                line.pts.clear();
                line.keys.clear();
            }
            line.media = om.media.clone();
            line.proto = om.proto.clone();
            line.formats = om.formats.clone();
            line.mid = om.mid().map(str::to_string);
            let result = if om.port == 0 || seen.contains(&om.media) {
                Err(None)
            } else {
                self.answer_section(offer, om, index, &mut line)
                    .map_err(Some)
            };
            match result {
                Ok((section, nm)) => {
                    seen.push(om.media.clone());
                    line.active = true;
                    sections.push(section);
                    negotiated.push(nm);
                }
                Err(reason) => {
                    if first_reason.is_none() && om.port != 0 {
                        first_reason = reason;
                    }
                    line.active = false;
                    line.remote_hold = false;
                    let mut rejected = MediaDescription::new(
                        om.media.clone(),
                        0,
                        om.proto.clone(),
                        om.formats.clone(),
                    );
                    if rejected.formats.is_empty() {
                        rejected.formats.push("0".into());
                    }
                    sections.push(rejected);
                }
            }
            lines.push(line);
        }
        if negotiated.is_empty() {
            return Err(oa(
                first_reason.unwrap_or(OfferAnswerError::NoSupportedMedia)
            ));
        }
        let answer = self.stamp(self.session(sections));
        self.lines = lines;
        self.negotiated = negotiated.clone();
        Ok((answer, negotiated))
    }

    /// Answers one offered m-line, or says why it is rejected.
    fn answer_section(
        &mut self,
        offer: &SessionDescription,
        om: &MediaDescription,
        index: usize,
        line: &mut Line,
    ) -> Result<(MediaDescription, NegotiatedMedia), OfferAnswerError> {
        let local = self.local_formats(&om.media);
        let port = self.local_port(&om.media);
        if local.is_empty() || port == 0 {
            return Err(OfferAnswerError::NoSupportedMedia);
        }
        if !is_supported_proto(&om.proto) {
            return Err(OfferAnswerError::UnsupportedProtocol {
                index,
                proto: om.proto.clone(),
            });
        }
        // SRTP.
        let secure = is_secure_proto(&om.proto);
        let suites = self.local.srtp.suites().to_vec();
        let mut crypto = None;
        if !suites.is_empty() {
            let chosen = om
                .cryptos()
                .find(|c| suites.contains(&c.suite) && c.key_salt().is_some());
            if let Some(offered) = chosen {
                let remote_key = offered.key_salt().unwrap_or_default();
                let local_key = self
                    .key_for(line, &offered.suite)
                    .ok_or(OfferAnswerError::NoCommonCrypto { index })?;
                crypto = Some(NegotiatedCrypto {
                    tag: offered.tag,
                    suite: offered.suite,
                    local_key_salt: local_key,
                    remote_key_salt: remote_key,
                });
            }
        }
        match (&crypto, secure, &self.local.srtp) {
            (None, true, _) => return Err(OfferAnswerError::NoCommonCrypto { index }),
            (None, false, SrtpPolicy::Require(_)) => {
                return Err(OfferAnswerError::SrtpRequired { index });
            }
            _ => {}
        }
        // Codecs.
        let mut common: Vec<(u8, MediaFormat, usize)> = Vec::new();
        for pt in om.payload_types() {
            if common.iter().any(|(p, _, _)| *p == pt) {
                continue;
            }
            if let Some(f) = self.match_format(om, pt, &local) {
                if !common.iter().any(|(_, g, _)| *g == f) {
                    let rank = local.iter().position(|l| *l == f).unwrap_or(usize::MAX);
                    common.push((pt, f, rank));
                }
            }
        }
        if self.local.answer_order == OfferAnswerOrder::Local {
            common.sort_by_key(|(_, _, rank)| *rank);
        }
        let Some((send_pt, send_format)) = common
            .iter()
            .find(|(_, f, _)| !f.is_telephone_event())
            .map(|(p, f, _)| (*p, f.clone()))
        else {
            return Err(OfferAnswerError::NoCommonCodec { index });
        };
        // Keep telephone-event only at the clock of an accepted codec.
        let codec_rates: Vec<u32> = common
            .iter()
            .filter(|(_, f, _)| !f.is_telephone_event())
            .map(|(_, f, _)| f.clock_rate())
            .collect();
        common.retain(|(_, f, _)| !f.is_telephone_event() || codec_rates.contains(&f.clock_rate()));
        let accepted: Vec<(u8, MediaFormat)> = common.into_iter().map(|(p, f, _)| (p, f)).collect();

        // Direction and transport.
        let mux = om.rtcp_mux() && self.local.rtcp_mux;
        let (remote_rtp, remote_rtcp, zero_addr) = match remote_addrs(offer, om, index, mux) {
            Ok(v) => v,
            Err(_) => return Err(OfferAnswerError::BadAddress { index }),
        };
        let remote_dir = offer.direction_of(om);
        let remote_recv = remote_dir.receives() && !zero_addr;
        let remote_hold = !remote_recv;
        let wish = self.wish();
        let dir = Direction::from_flags(
            wish.sends() && remote_recv,
            wish.receives() && remote_dir.sends(),
        );

        let mut m = MediaDescription::new(
            om.media.clone(),
            port,
            om.proto.clone(),
            accepted.iter().map(|(p, _)| p.to_string()).collect(),
        );
        for (pt, f) in &accepted {
            m.attributes.push(f.rtpmap(*pt).into());
            let params = om
                .fmtp(&pt.to_string())
                .map(|f| f.params)
                .or_else(|| f.fmtp());
            if let Some(params) = params {
                m.attributes.push(
                    Fmtp {
                        format: pt.to_string(),
                        params,
                    }
                    .into(),
                );
            }
        }
        if let Some(mid) = om.mid() {
            m.attributes.push(Attribute::new("mid", mid));
        }
        let ice = remote_ice(offer, om);
        self.common_attrs(&mut m, dir, mux, ice.is_some());
        if let Some(c) = &crypto {
            m.attributes.push(
                Crypto {
                    tag: c.tag,
                    suite: c.suite.clone(),
                    key_params: vec![KeyParam::inline(&c.local_key_salt)],
                    session_params: Vec::new(),
                }
                .into(),
            );
        }
        let telephone_event = accepted
            .iter()
            .find(|(_, f)| {
                matches!(f, MediaFormat::TelephoneEvent { clock_rate } if *clock_rate == send_format.clock_rate())
            })
            .map(|(p, _)| *p);
        line.pts = accepted.clone();
        line.remote_hold = remote_hold;
        let nm = NegotiatedMedia {
            index,
            media: om.media.clone(),
            mid: om.mid().map(str::to_string),
            local_port: port,
            remote_rtp,
            remote_rtcp,
            recv_formats: accepted.clone(),
            send_formats: accepted,
            ptime: choose_ptime(&send_format, om.ptime(), self.local.ptime),
            send_format,
            send_payload_type: send_pt,
            telephone_event,
            direction: dir,
            remote_hold,
            rtcp_mux: mux,
            crypto,
            remote_ice: ice,
        };
        Ok((m, nm))
    }

    /// Takes the peer's answer to the outstanding offer.
    ///
    /// # Errors
    ///
    /// [`OfferAnswerError::NoPendingOffer`], [`MediaCountMismatch`],
    /// [`MediaTypeMismatch`], [`UnknownPayloadType`], [`NoCommonCodec`],
    /// [`CryptoMismatch`], [`SrtpRequired`], [`BadAddress`]. The offer stays
    /// outstanding after an error (cancel it with
    /// [`cancel_offer`](Self::cancel_offer)).
    ///
    /// [`MediaCountMismatch`]: OfferAnswerError::MediaCountMismatch
    /// [`MediaTypeMismatch`]: OfferAnswerError::MediaTypeMismatch
    /// [`UnknownPayloadType`]: OfferAnswerError::UnknownPayloadType
    /// [`NoCommonCodec`]: OfferAnswerError::NoCommonCodec
    /// [`CryptoMismatch`]: OfferAnswerError::CryptoMismatch
    /// [`SrtpRequired`]: OfferAnswerError::SrtpRequired
    /// [`BadAddress`]: OfferAnswerError::BadAddress
    pub fn receive_answer(
        &mut self,
        answer: &SessionDescription,
    ) -> Result<Vec<NegotiatedMedia>, Error> {
        let (offer, mut lines) = self
            .pending
            .clone()
            .ok_or(oa(OfferAnswerError::NoPendingOffer))?;
        if answer.media.len() != offer.media.len() {
            return Err(oa(OfferAnswerError::MediaCountMismatch {
                offered: offer.media.len(),
                answered: answer.media.len(),
            }));
        }
        let mut negotiated = Vec::new();
        for (index, (om, am)) in offer.media.iter().zip(&answer.media).enumerate() {
            if om.media != am.media {
                return Err(oa(OfferAnswerError::MediaTypeMismatch { index }));
            }
            let Some(line) = lines.get_mut(index) else {
                continue;
            };
            if om.port == 0 || am.port == 0 {
                line.active = false;
                continue;
            }
            negotiated.push(self.answered_section(answer, om, am, index, line)?);
        }
        if negotiated.is_empty() {
            let index = offer.media.iter().position(|m| m.port != 0).unwrap_or(0);
            return Err(oa(OfferAnswerError::NoCommonCodec { index }));
        }
        self.pending = None;
        self.lines = lines;
        self.negotiated = negotiated.clone();
        Ok(negotiated)
    }

    fn answered_section(
        &self,
        answer: &SessionDescription,
        om: &MediaDescription,
        am: &MediaDescription,
        index: usize,
        line: &mut Line,
    ) -> Result<NegotiatedMedia, Error> {
        let offered: Vec<MediaFormat> = line.pts.iter().map(|(_, f)| f.clone()).collect();
        let mut send_formats: Vec<(u8, MediaFormat)> = Vec::new();
        let mut recv_formats: Vec<(u8, MediaFormat)> = Vec::new();
        for pt in am.payload_types() {
            let f = self
                .match_format(am, pt, &offered)
                .or_else(|| {
                    // No rtpmap in the answer: the number we offered.
                    am.rtpmap(pt)
                        .is_none()
                        .then(|| {
                            line.pts
                                .iter()
                                .find(|(p, _)| *p == pt)
                                .map(|(_, f)| f.clone())
                        })
                        .flatten()
                })
                .ok_or(oa(OfferAnswerError::UnknownPayloadType {
                    index,
                    payload_type: pt,
                }))?;
            if let Some((ours, _)) = line.pts.iter().find(|(_, g)| *g == f) {
                recv_formats.push((*ours, f.clone()));
            }
            send_formats.push((pt, f));
        }
        let Some((send_pt, send_format)) = send_formats
            .iter()
            .find(|(_, f)| !f.is_telephone_event())
            .cloned()
        else {
            return Err(oa(OfferAnswerError::NoCommonCodec { index }));
        };
        // SRTP.
        let mut crypto = None;
        if let Some(ac) = am.cryptos().next() {
            let offered_suite = om
                .cryptos()
                .find(|c| c.tag == ac.tag && c.suite == ac.suite);
            let local_key = line
                .keys
                .iter()
                .find(|(s, _)| *s == ac.suite)
                .map(|(_, k)| k.clone());
            match (offered_suite, local_key, ac.key_salt()) {
                (Some(_), Some(local_key_salt), Some(remote_key_salt)) => {
                    crypto = Some(NegotiatedCrypto {
                        tag: ac.tag,
                        suite: ac.suite,
                        local_key_salt,
                        remote_key_salt,
                    });
                }
                _ => return Err(oa(OfferAnswerError::CryptoMismatch { index })),
            }
        }
        if crypto.is_none() {
            if is_secure_proto(&am.proto) {
                return Err(oa(OfferAnswerError::CryptoMismatch { index }));
            }
            if matches!(self.local.srtp, SrtpPolicy::Require(_)) {
                return Err(oa(OfferAnswerError::SrtpRequired { index }));
            }
        }
        let mux = om.rtcp_mux() && am.rtcp_mux();
        let (remote_rtp, remote_rtcp, zero_addr) = remote_addrs(answer, am, index, mux)?;
        let answer_dir = answer.direction_of(am);
        let remote_recv = answer_dir.receives() && !zero_addr;
        let ours = om.direction().unwrap_or_default();
        let dir = Direction::from_flags(
            ours.sends() && remote_recv,
            ours.receives() && answer_dir.sends(),
        );
        line.remote_hold = !remote_recv;
        line.mid = am.mid().map(str::to_string).or(line.mid.take());
        let telephone_event = send_formats
            .iter()
            .find(|(_, f)| {
                matches!(f, MediaFormat::TelephoneEvent { clock_rate } if *clock_rate == send_format.clock_rate())
            })
            .map(|(p, _)| *p);
        Ok(NegotiatedMedia {
            index,
            media: am.media.clone(),
            mid: am.mid().map(str::to_string),
            local_port: om.port,
            remote_rtp,
            remote_rtcp,
            recv_formats,
            send_formats,
            ptime: choose_ptime(&send_format, am.ptime(), self.local.ptime),
            send_format,
            send_payload_type: send_pt,
            telephone_event,
            direction: dir,
            remote_hold: !remote_recv,
            rtcp_mux: mux,
            crypto,
            remote_ice: remote_ice(answer, am),
        })
    }
}
