//! One audio stream of a call, sans-IO: encode → RTP → SRTP out, and SRTP →
//! RTP → jitter buffer → decode/conceal in, with RTCP reports, RFC 4733
//! DTMF, symmetric RTP, statistics and media-problem events.
//!
//! The caller owns the socket(s) and the clock, and drives the stream once
//! per frame interval:
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Duration;
//! use linkus_media::codec::Codec;
//! use linkus_media::stream::{AudioStream, StreamConfig};
//!
//! let a_addr: SocketAddr = "127.0.0.1:4000".parse().unwrap();
//! let b_addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
//! let mut a = AudioStream::new(StreamConfig::new(Codec::Pcmu, 0, b_addr, 1))?;
//! let mut b = AudioStream::new(StreamConfig::new(Codec::Pcmu, 0, a_addr, 2))?;
//!
//! let tone: Vec<i16> = (0..160).map(|i| ((i % 16) as i16 - 8) * 1000).collect();
//! let mut wire = [0u8; 1500];
//! let mut heard = [0i16; 160];
//! for tick in 0..20u64 {
//!     let now = Duration::from_millis(20 * tick);
//!     let tx = a.send_frame(now, &tone, &mut wire)?; // socket.send_to(&wire[..tx.len], tx.to)
//!     b.receive(now, a_addr, &wire[..tx.len]);        // from socket.recv_from
//!     b.play_frame(now, &mut heard)?;                  // to the speaker
//! }
//! assert!(heard.iter().any(|&s| s != 0));
//! assert_eq!(b.stats().packets_received, 20);
//! # Ok::<(), linkus_media::Error>(())
//! ```
//!
//! # Symmetric RTP
//!
//! With [`StreamConfig::symmetric_rtp`] (the default) the stream sends to
//! the address the SDP gave until a packet that authenticates (SRTP) or
//! parses (RTP) with the expected payload types arrives from elsewhere; it
//! then *latches* onto that source and sends there, which is what gets
//! audio through NATs. [`AudioStream::set_remote`] (a re-INVITE or an ICE
//! change) re-arms latching.
//!
//! # Events
//!
//! [`AudioStream::poll_event`] reports digits received, latching, the peer's
//! goodbye, and media problems: no RTP at all since the stream started (with
//! the likely cause: nothing arrived, packets from an unexpected address,
//! SRTP that fails to authenticate, or unknown payload types), RTP that
//! stopped, and a peer whose RTCP says it does not receive ours.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use crate::Error;
use crate::codec::{Codec, Decoder, Encoder};
use crate::dtmf::{DtmfReceiver, DtmfSender};
use crate::jitter::{self, JitterBuffer, JitterConfig, Playout};
use crate::rtp::rtcp::{Compound, ReportBlock, RtcpPacket, RtcpWriter, SenderInfo};
use crate::rtp::stats::{ReceiverStats, SeqVerdict, ntp_add, round_trip_time};
use crate::rtp::{RtpHeader, RtpPacket, is_rtcp};
use crate::srtp::{SrtpSession, SrtpSuite};

/// Largest datagram the stream writes or reads.
pub const MAX_DATAGRAM: usize = 1500;

/// Settings of an [`AudioStream`]; [`StreamConfig::new`] fills in defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StreamConfig {
    /// The codec sent and expected.
    pub codec: Codec,
    /// Its RTP payload type (negotiated in SDP).
    pub payload_type: u8,
    /// Other payload types the peer may send instead (the rest of the
    /// negotiated formats). Only codecs with the same sample and clock rate
    /// as [`codec`](Self::codec) are taken; others are ignored (their packets
    /// count as unknown payload types).
    pub receive_codecs: Vec<(u8, Codec)>,
    /// Payload type of RFC 4733 telephone-events, if negotiated.
    pub telephone_event_pt: Option<u8>,
    /// Payload type of comfort noise (RFC 3389), if negotiated.
    pub comfort_noise_pt: Option<u8>,
    /// Packet duration (`a=ptime`).
    pub ptime: Duration,
    /// Where to send RTP (from the peer's SDP).
    pub remote_rtp: SocketAddr,
    /// Where to send RTCP; `None` multiplexes it on the RTP port (rtcp-mux).
    pub remote_rtcp: Option<SocketAddr>,
    /// Our synchronisation source.
    pub ssrc: u32,
    /// Our RTCP canonical name.
    pub cname: String,
    /// SRTP suite with our master key and the peer's (key || salt each).
    pub srtp: Option<(SrtpSuite, Vec<u8>, Vec<u8>)>,
    /// Latch onto the address RTP actually comes from.
    pub symmetric_rtp: bool,
    /// Jitter buffer settings (clock rate and frame are taken from the codec
    /// and `ptime`).
    pub jitter: JitterConfig,
    /// Interval of RTCP reports (RFC 3550 §6.2 minimum for one sender: 5 s;
    /// randomised by ±50 % with `ssrc` as the seed).
    pub rtcp_interval: Duration,
    /// No RTP for this long after the start, or after the last packet,
    /// raises a [`MediaEvent::NoRtp`] / [`MediaEvent::RtpStopped`].
    pub rtp_timeout: Duration,
    /// NTP time (seconds since 1900 << 32) at `now == 0`, for RTCP sender
    /// reports. Any value works for round-trip times; the wall clock makes
    /// reports meaningful to others.
    pub ntp_origin: u64,
}

impl StreamConfig {
    /// Defaults for `codec` with payload type `pt`, sending to `remote`
    /// (RTP and RTCP multiplexed) as `ssrc`: the codec's default packet
    /// duration (20 ms; 30 ms for iLBC 30), symmetric RTP,
    /// RTCP every 5 s, a 5 s RTP timeout, no SRTP, no DTMF.
    pub fn new(codec: Codec, pt: u8, remote: SocketAddr, ssrc: u32) -> Self {
        Self {
            codec,
            payload_type: pt,
            receive_codecs: Vec::new(),
            telephone_event_pt: None,
            comfort_noise_pt: None,
            ptime: codec.info().default_frame_duration,
            remote_rtp: remote,
            remote_rtcp: None,
            ssrc,
            cname: format!("linkus-{ssrc:08x}"),
            srtp: None,
            symmetric_rtp: true,
            jitter: JitterConfig::default(),
            rtcp_interval: Duration::from_secs(5),
            rtp_timeout: Duration::from_secs(5),
            ntp_origin: 0,
        }
    }
}

impl StreamConfig {
    /// The stream that SDP offer/answer agreed on (an accepted audio
    /// m-line of [`Negotiator::negotiated`](crate::sdp::Negotiator::negotiated)),
    /// sent as `ssrc`: codec, payload types, ptime, telephone-event, remote
    /// RTP and RTCP addresses (rtcp-mux), and the SRTP keys.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a video m-line, a peer address of
    /// `0.0.0.0` (the peer holds the call: keep the previous stream), or an
    /// SRTP suite this crate cannot run.
    pub fn from_negotiated(media: &crate::sdp::NegotiatedMedia, ssrc: u32) -> Result<Self, Error> {
        use crate::sdp::MediaFormat;
        let MediaFormat::Audio(codec) = media.send_format else {
            return Err(Error::InvalidConfig {
                reason: "not an audio stream",
            });
        };
        let remote = media.remote_rtp.ok_or(Error::InvalidConfig {
            reason: "the peer's address is 0.0.0.0 (on hold)",
        })?;
        let mut cfg = StreamConfig::new(codec, media.send_payload_type, remote, ssrc);
        if !media.rtcp_mux {
            cfg.remote_rtcp = media.remote_rtcp;
        }
        if let Some(ptime) = media.ptime {
            let info = codec.info();
            if info
                .samples_per_frame(ptime)
                .and_then(|n| info.frame_duration_of(n))
                .is_some()
            {
                cfg.ptime = ptime;
            }
        }
        cfg.telephone_event_pt = media.telephone_event;
        cfg.receive_codecs = media
            .recv_formats
            .iter()
            .filter_map(|(pt, f)| match f {
                MediaFormat::Audio(c) if *pt != media.send_payload_type => Some((*pt, *c)),
                _ => None,
            })
            .collect();
        if let Some(crypto) = &media.crypto {
            let suite =
                SrtpSuite::from_sdp_name(crypto.suite.name()).ok_or(Error::InvalidConfig {
                    reason: "SRTP suite not supported",
                })?;
            cfg.srtp = Some((
                suite,
                crypto.local_key_salt.clone(),
                crypto.remote_key_salt.clone(),
            ));
        }
        Ok(cfg)
    }
}

/// A datagram to send: `len` bytes of the caller's buffer, to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// Destination.
    pub to: SocketAddr,
    /// Bytes written at the start of the buffer.
    pub len: usize,
}

/// Why no RTP may be arriving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoRtpCause {
    /// Nothing at all arrived: a firewall, NAT without symmetric RTP on the
    /// other side, or a wrong address in the peer's SDP.
    NothingReceived,
    /// Packets came from an address we do not accept (symmetric RTP is off).
    UnexpectedSource,
    /// SRTP packets arrived but fail to authenticate: the keys disagree.
    SrtpAuthFailures,
    /// RTP arrived with payload types that were not negotiated.
    UnknownPayloadType,
    /// Datagrams arrived that are neither RTP nor RTCP.
    Garbage,
}

/// Something the application should know about the stream.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MediaEvent {
    /// A DTMF digit arrived (RFC 4733).
    Dtmf {
        /// The digit.
        digit: char,
        /// Its duration.
        duration: Duration,
    },
    /// Symmetric RTP latched onto this address.
    Latched {
        /// Where RTP now comes from and goes to.
        remote: SocketAddr,
    },
    /// No RTP has arrived since the stream started `rtp_timeout` ago: we
    /// hear nothing.
    NoRtp {
        /// The most likely cause.
        cause: NoRtpCause,
    },
    /// RTP flowed, then stopped for `rtp_timeout`.
    RtpStopped {
        /// When the last packet arrived.
        last: Duration,
    },
    /// RTP flows again after [`NoRtp`](Self::NoRtp) or
    /// [`RtpStopped`](Self::RtpStopped).
    RtpResumed,
    /// The peer's RTCP reports show it receives none of our packets: it
    /// hears nothing (one-way audio on its side).
    PeerNotReceiving,
    /// The peer sent an RTCP goodbye.
    Goodbye,
}

/// Counters and measurements of a stream.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct StreamStats {
    /// RTP packets sent (audio and DTMF).
    pub packets_sent: u64,
    /// Payload bytes sent.
    pub bytes_sent: u64,
    /// RTP packets accepted.
    pub packets_received: u64,
    /// Packets expected minus received (RFC 3550).
    pub packets_lost: i64,
    /// Datagrams dropped: malformed, failed SRTP, unknown payload type or
    /// unexpected source.
    pub packets_dropped: u64,
    /// Interarrival jitter (RFC 3550).
    pub jitter: Duration,
    /// Round-trip time from the last RTCP report, if any.
    pub rtt: Option<Duration>,
    /// Fraction of our packets the peer last reported lost (0–1).
    pub remote_fraction_lost: f64,
    /// Frames played from packets.
    pub frames_decoded: u64,
    /// Frames concealed (lost or inserted by the jitter buffer).
    pub frames_concealed: u64,
    /// Jitter buffer: current target delay.
    pub jitter_buffer_delay: Duration,
    /// Packets that arrived too late to play.
    pub late: u64,
    /// RTCP compound packets sent and received.
    pub rtcp_sent: u64,
    /// RTCP compound packets received.
    pub rtcp_received: u64,
    /// The codec.
    pub codec: Option<Codec>,
    /// E-model estimate (ITU-T G.107) from the loss, the RTT, the jitter
    /// buffer delay and the packet duration; see [`crate::quality`].
    pub quality: Option<crate::quality::Estimate>,
}

impl StreamStats {
    /// Time concealed, for frames of `frame` duration.
    pub fn concealed_time(&self, frame: Duration) -> Duration {
        frame * u32::try_from(self.frames_concealed).unwrap_or(u32::MAX)
    }
}

/// One audio stream. See the [module docs](self).
#[derive(Debug)]
pub struct AudioStream {
    cfg: StreamConfig,
    encoder: Box<dyn Encoder>,
    decoder: Box<dyn Decoder>,
    /// Payload type the decoder decodes.
    decoder_pt: u8,
    /// Other accepted payload types and their codecs.
    receive_codecs: Vec<(u8, Codec)>,
    jitter: JitterBuffer,
    srtp: Option<SrtpSession>,
    rx_stats: ReceiverStats,
    dtmf_rx: DtmfReceiver,
    dtmf_tx: VecDeque<DtmfSender>,
    dtmf_ts: u32,
    remote_rtp: SocketAddr,
    remote_rtcp: SocketAddr,
    latched: bool,
    remote_ssrc: Option<u32>,
    seq: u16,
    timestamp: u32,
    frame_ticks: u32,
    frame_samples: usize,
    marker_next: bool,
    last_sent: Option<Duration>,
    first_sent: Option<Duration>,
    next_rtcp: Option<Duration>,
    rng: u32,
    started: Option<Duration>,
    last_rx: Option<Duration>,
    rx_problem: bool,
    /// Counts of dropped datagrams by cause, for [`NoRtpCause`].
    unexpected_source: u64,
    auth_failures: u64,
    unknown_pt: u64,
    garbage: u64,
    /// Highest sequence number of ours the peer last reported.
    peer_highest: Option<u32>,
    peer_deaf_reported: bool,
    events: VecDeque<MediaEvent>,
    stats: StreamStats,
    scratch: [u8; MAX_DATAGRAM],
    payload_buf: Vec<u8>,
}

impl AudioStream {
    /// A stream with these settings.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a ptime the codec cannot take, bad SRTP
    /// keys, or jitter settings [`JitterBuffer::new`] refuses.
    pub fn new(cfg: StreamConfig) -> Result<Self, Error> {
        let info = cfg.codec.info();
        let frame_samples = info
            .samples_per_frame(cfg.ptime)
            .filter(|&n| info.frame_duration_of(n).is_some())
            .ok_or(Error::InvalidConfig {
                reason: "ptime is not a frame duration of the codec",
            })?;
        let frame_ticks = info
            .rtp_timestamp_increment(cfg.ptime)
            .ok_or(Error::InvalidConfig {
                reason: "ptime is not a whole number of RTP ticks",
            })?;
        let mut jcfg = cfg.jitter.clone();
        jcfg.clock_rate = info.clock_rate;
        jcfg.frame = cfg.ptime;
        jcfg.comfort_noise_pt = cfg.comfort_noise_pt;
        let srtp = match &cfg.srtp {
            Some((suite, local, remote)) => Some(SrtpSession::new(*suite, local, remote)?),
            None => None,
        };
        let remote_rtcp = cfg.remote_rtcp.unwrap_or(cfg.remote_rtp);
        let encoder = cfg.codec.encoder();
        let max_payload = encoder.max_payload_len(frame_samples);
        Ok(Self {
            encoder,
            decoder: cfg.codec.decoder(),
            decoder_pt: cfg.payload_type,
            receive_codecs: cfg
                .receive_codecs
                .iter()
                .copied()
                .filter(|(_, c)| {
                    let (a, b) = (c.info(), info);
                    a.sample_rate == b.sample_rate && a.clock_rate == b.clock_rate
                })
                .collect(),
            jitter: JitterBuffer::new(jcfg)?,
            srtp,
            rx_stats: ReceiverStats::new(info.clock_rate),
            dtmf_rx: DtmfReceiver::new(),
            dtmf_tx: VecDeque::new(),
            dtmf_ts: 0,
            remote_rtp: cfg.remote_rtp,
            remote_rtcp,
            latched: false,
            remote_ssrc: None,
            // RFC 3550: random initial sequence number and timestamp; seeded
            // from the SSRC (itself random) to stay deterministic.
            seq: (cfg.ssrc >> 16) as u16 ^ cfg.ssrc as u16,
            timestamp: cfg.ssrc.rotate_left(7),
            frame_ticks,
            frame_samples,
            marker_next: true,
            last_sent: None,
            first_sent: None,
            next_rtcp: None,
            rng: cfg.ssrc | 1,
            started: None,
            last_rx: None,
            rx_problem: false,
            unexpected_source: 0,
            auth_failures: 0,
            unknown_pt: 0,
            garbage: 0,
            peer_highest: None,
            peer_deaf_reported: false,
            events: VecDeque::new(),
            stats: StreamStats {
                codec: Some(cfg.codec),
                ..StreamStats::default()
            },
            scratch: [0; MAX_DATAGRAM],
            payload_buf: vec![0; max_payload],
            cfg,
        })
    }

    /// The settings.
    pub fn config(&self) -> &StreamConfig {
        &self.cfg
    }

    /// PCM samples in one frame (what [`send_frame`](Self::send_frame)
    /// takes and [`play_frame`](Self::play_frame) writes).
    pub fn frame_samples(&self) -> usize {
        self.frame_samples
    }

    /// Where RTP goes now (after latching, the peer's real address).
    pub fn remote(&self) -> SocketAddr {
        self.remote_rtp
    }

    /// Points the stream at a new address (re-INVITE, ICE); re-arms
    /// symmetric RTP latching.
    pub fn set_remote(&mut self, rtp: SocketAddr, rtcp: Option<SocketAddr>) {
        self.cfg.remote_rtp = rtp;
        self.cfg.remote_rtcp = rtcp;
        self.remote_rtp = rtp;
        self.remote_rtcp = rtcp.unwrap_or(rtp);
        self.latched = false;
    }

    fn start(&mut self, now: Duration) {
        if self.started.is_none() {
            self.started = Some(now);
            let first = self.rtcp_delay() / 2;
            self.next_rtcp = Some(now + first);
        }
    }

    /// The RTCP interval randomised to 0.5–1.5 times (RFC 3550 §6.3.1).
    fn rtcp_delay(&mut self) -> Duration {
        // xorshift32
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        let factor = 0.5 + f64::from(x) / f64::from(u32::MAX);
        self.cfg.rtcp_interval.mul_f64(factor)
    }

    /// Queues a DTMF digit (RFC 4733) of `duration`; while it is sent,
    /// [`send_frame`](Self::send_frame) sends event packets instead of audio.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] when no telephone-event payload type was
    /// negotiated, for a character that is not a digit, or a duration over
    /// 8 s.
    pub fn send_dtmf(&mut self, digit: char, duration: Duration) -> Result<(), Error> {
        if self.cfg.telephone_event_pt.is_none() {
            return Err(Error::InvalidConfig {
                reason: "no telephone-event payload type negotiated",
            });
        }
        let clock = u128::from(self.cfg.codec.info().clock_rate);
        let ticks = u32::try_from(duration.as_nanos() * clock / 1_000_000_000).unwrap_or(u32::MAX);
        let step = u16::try_from(self.frame_ticks).unwrap_or(u16::MAX);
        self.dtmf_tx.push_back(DtmfSender::new(digit, ticks, step)?);
        Ok(())
    }

    /// Encodes one frame of PCM (or the next DTMF packet while a digit is
    /// being sent) and writes the (S)RTP datagram into `out`.
    ///
    /// # Errors
    ///
    /// [`Error::BadFrameSize`] if `pcm` is not [`frame_samples`](Self::frame_samples)
    /// long; [`Error::BufferTooSmall`] if `out` is too small.
    pub fn send_frame(
        &mut self,
        now: Duration,
        pcm: &[i16],
        out: &mut [u8],
    ) -> Result<Transmit, Error> {
        self.start(now);
        let (pt, marker, ts, plen) = if let Some(sender) = self.dtmf_tx.front_mut() {
            let first = sender.next_packet();
            let done = sender.is_done();
            if done {
                self.dtmf_tx.pop_front();
            }
            match first {
                Some(p) => {
                    if p.marker {
                        self.dtmf_ts = self.timestamp;
                    }
                    let bytes = p.payload.to_bytes();
                    self.payload_buf[..bytes.len()].copy_from_slice(&bytes);
                    let pt = self.cfg.telephone_event_pt.unwrap_or(101);
                    if done {
                        // The audio after the event starts a new talkspurt.
                        self.marker_next = true;
                    }
                    (pt, p.marker, self.dtmf_ts, bytes.len())
                }
                None => return self.send_frame(now, pcm, out),
            }
        } else {
            let n = self.encoder.encode(pcm, &mut self.payload_buf)?;
            let marker = core::mem::take(&mut self.marker_next);
            (self.cfg.payload_type, marker, self.timestamp, n)
        };
        let mut header = RtpHeader::new(pt, self.seq, ts, self.cfg.ssrc);
        header.marker = marker;
        let len = match &mut self.srtp {
            Some(srtp) => {
                let n = header.write(&self.payload_buf[..plen], &mut self.scratch)?;
                srtp.protect_rtp(&self.scratch[..n], out)?
            }
            None => header.write(&self.payload_buf[..plen], out)?,
        };
        self.seq = self.seq.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(self.frame_ticks);
        self.last_sent = Some(now);
        self.first_sent.get_or_insert(now);
        self.stats.packets_sent += 1;
        self.stats.bytes_sent += plen as u64;
        Ok(Transmit {
            to: self.remote_rtp,
            len,
        })
    }

    /// Takes a datagram that arrived on the stream's socket (RTP or RTCP).
    /// Bad datagrams are counted and dropped; they never fail the stream.
    pub fn receive(&mut self, now: Duration, from: SocketAddr, datagram: &[u8]) {
        self.start(now);
        if datagram.len() > MAX_DATAGRAM {
            self.drop_packet(|s| &mut s.garbage);
            return;
        }
        if is_rtcp(datagram) {
            self.receive_rtcp(now, from, datagram);
        } else {
            self.receive_rtp(now, from, datagram);
        }
    }

    fn drop_packet(&mut self, counter: impl FnOnce(&mut Self) -> &mut u64) {
        *counter(self) += 1;
        self.stats.packets_dropped += 1;
    }

    fn source_ok(&self, from: SocketAddr) -> bool {
        from == self.remote_rtp || from == self.remote_rtcp || self.cfg.symmetric_rtp
    }

    fn receive_rtp(&mut self, now: Duration, from: SocketAddr, datagram: &[u8]) {
        if !self.source_ok(from) {
            self.drop_packet(|s| &mut s.unexpected_source);
            return;
        }
        let mut buf = [0u8; MAX_DATAGRAM];
        let plain: &[u8] = match &mut self.srtp {
            Some(srtp) => match srtp.unprotect_rtp(datagram, &mut buf) {
                Ok(n) => &buf[..n],
                Err(Error::MalformedPacket {
                    reason: "authentication failed",
                    ..
                }) => {
                    self.drop_packet(|s| &mut s.auth_failures);
                    return;
                }
                Err(_) => {
                    self.drop_packet(|s| &mut s.garbage);
                    return;
                }
            },
            None => datagram,
        };
        let Ok(packet) = RtpPacket::parse(plain) else {
            self.drop_packet(|s| &mut s.garbage);
            return;
        };
        let h = packet.header;
        let is_event = Some(h.payload_type) == self.cfg.telephone_event_pt;
        let is_cn = Some(h.payload_type) == self.cfg.comfort_noise_pt;
        let known = h.payload_type == self.cfg.payload_type
            || self
                .receive_codecs
                .iter()
                .any(|(pt, _)| *pt == h.payload_type);
        if !known && !is_event && !is_cn {
            self.drop_packet(|s| &mut s.unknown_pt);
            return;
        }
        // A valid packet: latch onto its source.
        if self.cfg.symmetric_rtp && !self.latched {
            self.latched = true;
            if from != self.remote_rtp {
                self.remote_rtp = from;
                if self.cfg.remote_rtcp.is_none() {
                    self.remote_rtcp = from;
                }
                self.events.push_back(MediaEvent::Latched { remote: from });
            }
        }
        if self.remote_ssrc != Some(h.ssrc) {
            self.remote_ssrc = Some(h.ssrc);
            self.rx_stats = ReceiverStats::new(self.cfg.codec.info().clock_rate);
        }
        if self.rx_stats.on_packet(now, h.sequence, h.timestamp) == SeqVerdict::Bad {
            return;
        }
        self.stats.packets_received += 1;
        self.last_rx = Some(now);
        if core::mem::take(&mut self.rx_problem) {
            self.events.push_back(MediaEvent::RtpResumed);
        }
        if is_event {
            if let Ok(Some(e)) = self.dtmf_rx.on_packet(h.timestamp, packet.payload) {
                let clock = u64::from(self.cfg.codec.info().clock_rate);
                self.events.push_back(MediaEvent::Dtmf {
                    digit: e.digit,
                    duration: Duration::from_micros(u64::from(e.duration) * 1_000_000 / clock),
                });
            }
            return;
        }
        self.jitter.push(
            now,
            jitter::RtpPacket {
                seq: h.sequence,
                timestamp: h.timestamp,
                ssrc: h.ssrc,
                marker: h.marker,
                payload_type: h.payload_type,
                payload: packet.payload.to_vec(),
            },
        );
    }

    fn receive_rtcp(&mut self, now: Duration, from: SocketAddr, datagram: &[u8]) {
        if !self.source_ok(from) {
            self.drop_packet(|s| &mut s.unexpected_source);
            return;
        }
        let mut buf = [0u8; MAX_DATAGRAM];
        let plain: &[u8] = match &mut self.srtp {
            Some(srtp) => match srtp.unprotect_rtcp(datagram, &mut buf) {
                Ok(n) => &buf[..n],
                Err(_) => {
                    self.drop_packet(|s| &mut s.auth_failures);
                    return;
                }
            },
            None => datagram,
        };
        let Ok(compound) = Compound::parse(plain, true) else {
            self.drop_packet(|s| &mut s.garbage);
            return;
        };
        self.stats.rtcp_received += 1;
        let now_ntp = ntp_add(self.cfg.ntp_origin, now);
        let mut reports = false;
        let mut about_us = false;
        for p in compound.packets() {
            let blocks = match p {
                RtcpPacket::SenderReport { info, blocks, ssrc } => {
                    if Some(ssrc) == self.remote_ssrc {
                        self.rx_stats.on_sender_report(now, info.ntp);
                    }
                    Some(blocks)
                }
                RtcpPacket::ReceiverReport { blocks, .. } => Some(blocks),
                RtcpPacket::Goodbye { .. } => {
                    if p.bye_sources().any(|s| Some(s) == self.remote_ssrc) {
                        self.events.push_back(MediaEvent::Goodbye);
                    }
                    None
                }
                _ => None,
            };
            let ours = blocks
                .into_iter()
                .flat_map(|b| b.iter())
                .find(|b| b.ssrc == self.cfg.ssrc);
            reports |= blocks.is_some();
            if let Some(b) = ours {
                about_us = true;
                self.on_report_about_us(&b, now_ntp);
            }
        }
        // The peer reports, but not about us, although we have been sending
        // for a while: none of our packets reach it.
        let sending_long = self
            .first_sent
            .is_some_and(|t| now.saturating_sub(t) >= self.cfg.rtp_timeout);
        if reports && !about_us && sending_long && !self.peer_deaf_reported {
            self.peer_deaf_reported = true;
            self.events.push_back(MediaEvent::PeerNotReceiving);
        }
    }

    fn on_report_about_us(&mut self, b: &ReportBlock, now_ntp: u64) {
        if let Some(rtt) = round_trip_time(b, now_ntp) {
            self.stats.rtt = Some(rtt);
        }
        self.stats.remote_fraction_lost = f64::from(b.fraction_lost) / 256.0;
        // The peer hears nothing when two reports in a row show the same
        // highest sequence number, or everything lost, while we keep sending.
        let stuck = self
            .peer_highest
            .is_some_and(|h| h == b.highest_seq && self.stats.packets_sent > 0);
        if (stuck || b.fraction_lost == 255) && !self.peer_deaf_reported {
            self.peer_deaf_reported = true;
            self.events.push_back(MediaEvent::PeerNotReceiving);
        } else if !stuck && b.fraction_lost < 255 {
            self.peer_deaf_reported = false;
        }
        self.peer_highest = Some(b.highest_seq);
    }

    /// Writes into `pcm` the frame to play now: a decoded packet, a
    /// concealed frame, or silence. Returns the samples written
    /// ([`frame_samples`](Self::frame_samples)).
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] if `pcm` is shorter than a frame.
    pub fn play_frame(&mut self, now: Duration, pcm: &mut [i16]) -> Result<usize, Error> {
        self.start(now);
        crate::codec::check_len(self.frame_samples, pcm.len())?;
        let out = &mut pcm[..self.frame_samples];
        match self.jitter.pop(now) {
            Playout::Packet(p) if Some(p.payload_type) == self.cfg.comfort_noise_pt => {
                out.fill(0);
            }
            Playout::Packet(p) => match self.decoder_for(p.payload_type).decode(&p.payload, out) {
                Ok(n) if n == out.len() => self.stats.frames_decoded += 1,
                // A payload of another length or a corrupt one: conceal.
                _ => {
                    self.decoder.conceal(out)?;
                    self.stats.frames_concealed += 1;
                }
            },
            Playout::Lost { .. } | Playout::Expand => {
                self.decoder.conceal(out)?;
                self.stats.frames_concealed += 1;
            }
            Playout::Empty => out.fill(0),
        }
        Ok(self.frame_samples)
    }

    /// The decoder of `pt`, switching codecs when the peer does.
    fn decoder_for(&mut self, pt: u8) -> &mut dyn Decoder {
        if pt != self.decoder_pt {
            let codec = if pt == self.cfg.payload_type {
                Some(self.cfg.codec)
            } else {
                self.receive_codecs
                    .iter()
                    .find(|(p, _)| *p == pt)
                    .map(|(_, c)| *c)
            };
            if let Some(codec) = codec {
                self.decoder = codec.decoder();
                self.decoder_pt = pt;
            }
        }
        self.decoder.as_mut()
    }

    /// When [`poll_rtcp`](Self::poll_rtcp) has something to send next (the
    /// next report), for the driver's timer.
    pub fn next_timeout(&self) -> Option<Duration> {
        self.next_rtcp
    }

    /// Sends the RTCP report when it is due (an SR if we sent RTP since the
    /// last report, else an RR, with SDES CNAME), and checks for missing
    /// RTP. Returns the datagram written into `out`, if any.
    pub fn poll_rtcp(&mut self, now: Duration, out: &mut [u8]) -> Option<Transmit> {
        self.check_rtp_flow(now);
        let due = self.next_rtcp?;
        if now < due {
            return None;
        }
        let delay = self.rtcp_delay();
        self.next_rtcp = Some(now + delay);
        let len = self.write_report(now, out, None).ok()?;
        Some(Transmit {
            to: self.remote_rtcp,
            len,
        })
    }

    /// Writes a final report with a goodbye (for hang-up).
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] if `out` is too small.
    pub fn goodbye(
        &mut self,
        now: Duration,
        reason: &str,
        out: &mut [u8],
    ) -> Result<Transmit, Error> {
        let len = self.write_report(now, out, Some(reason))?;
        Ok(Transmit {
            to: self.remote_rtcp,
            len,
        })
    }

    fn write_report(
        &mut self,
        now: Duration,
        out: &mut [u8],
        bye: Option<&str>,
    ) -> Result<usize, Error> {
        let ntp = ntp_add(self.cfg.ntp_origin, now);
        let block = self
            .remote_ssrc
            .map(|ssrc| self.rx_stats.report_block(ssrc, now));
        let blocks = block.as_slice();
        let mut w = RtcpWriter::new(&mut self.scratch);
        if self.last_sent.is_some() {
            // RTP timestamp of `now`: the last sent timestamp advanced by the
            // time since it was sent.
            let clock = u128::from(self.cfg.codec.info().clock_rate);
            let since = self.last_sent.map_or(0, |t| {
                (now.saturating_sub(t).as_nanos() * clock / 1_000_000_000) as u32
            });
            let info = SenderInfo {
                ntp,
                rtp_timestamp: self
                    .timestamp
                    .wrapping_sub(self.frame_ticks)
                    .wrapping_add(since),
                packet_count: self.stats.packets_sent as u32,
                octet_count: self.stats.bytes_sent as u32,
            };
            w.sender_report(self.cfg.ssrc, &info, blocks)?;
        } else {
            w.receiver_report(self.cfg.ssrc, blocks)?;
        }
        w.sdes_cname(self.cfg.ssrc, &self.cfg.cname)?;
        if let Some(reason) = bye {
            w.bye(&[self.cfg.ssrc], Some(reason))?;
        }
        let n = w.finish();
        self.stats.rtcp_sent += 1;
        match &mut self.srtp {
            Some(srtp) => srtp.protect_rtcp(&self.scratch[..n], out),
            None => {
                crate::codec::check_len(n, out.len())?;
                out[..n].copy_from_slice(&self.scratch[..n]);
                Ok(n)
            }
        }
    }

    fn check_rtp_flow(&mut self, now: Duration) {
        let Some(start) = self.started else { return };
        if self.rx_problem {
            return;
        }
        let timeout = self.cfg.rtp_timeout;
        match self.last_rx {
            None if now.saturating_sub(start) >= timeout => {
                self.rx_problem = true;
                let cause = if self.auth_failures > 0 {
                    NoRtpCause::SrtpAuthFailures
                } else if self.unknown_pt > 0 {
                    NoRtpCause::UnknownPayloadType
                } else if self.unexpected_source > 0 {
                    NoRtpCause::UnexpectedSource
                } else if self.garbage > 0 {
                    NoRtpCause::Garbage
                } else {
                    NoRtpCause::NothingReceived
                };
                self.events.push_back(MediaEvent::NoRtp { cause });
            }
            Some(last) if now.saturating_sub(last) >= timeout => {
                // Silence suppression (comfort noise) is not a stop.
                if self.jitter.stats().played > 0 && self.cfg.comfort_noise_pt.is_some() {
                    return;
                }
                self.rx_problem = true;
                self.events.push_back(MediaEvent::RtpStopped { last });
            }
            _ => {}
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    /// Statistics so far.
    pub fn stats(&self) -> StreamStats {
        let j = self.jitter.stats();
        let expected = self.rx_stats.expected();
        let quality = (expected > 0).then(|| {
            let lost = self.rx_stats.cumulative_lost().max(0) as u64 + j.late;
            let one_way = self.stats.rtt.unwrap_or_default() / 2 + j.target_delay + self.cfg.ptime;
            crate::quality::estimate(
                self.cfg.codec,
                &crate::quality::Conditions {
                    loss: lost as f64 / expected as f64,
                    burst_ratio: 1.0,
                    one_way_delay: one_way,
                },
            )
        });
        StreamStats {
            packets_lost: self.rx_stats.cumulative_lost(),
            jitter: self.rx_stats.jitter(),
            jitter_buffer_delay: j.target_delay,
            late: j.late,
            quality,
            ..self.stats.clone()
        }
    }
}
