//! # linkus-media
//!
//! The media engine of the [Linkus SDK](https://github.com/linkus-sdk/linkus-sdk).
//! It is planned to hold the voice codecs, the adaptive jitter buffer and
//! packet-loss concealment, SDP offer/answer, RTP/RTCP, SRTP, ICE/STUN/TURN,
//! DTMF, the conference mixer, call recording and call-quality statistics,
//! all sans-IO with a tokio driver for sockets.
//!
//! **Status: voice codecs and the jitter buffer.** What exists today:
//!
//! - the [`Encoder`](codec::Encoder)/[`Decoder`](codec::Decoder) traits and the
//!   [`CodecInfo`](codec::CodecInfo) description of a codec for SDP and RTP;
//! - G.711 µ-law and A-law ([`codec::g711`]), exact to ITU-T G.711;
//! - G.722 at 64 kbit/s ([`codec::g722`]), bit-exact with the spandsp C
//!   implementation;
//! - packet-loss concealment behind [`Decoder::conceal`](codec::Decoder::conceal)
//!   for both (pitch repetition in the style of G.711 Appendix I);
//! - iLBC ([`codec::ilbc`], RFC 3951) in its 20 and 30 ms modes, in pure Rust:
//!   encoder, decoder with the RFC's enhancer and its packet-loss
//!   concealment, checked against FFmpeg's independent iLBC decoder;
//! - Opus ([`codec::opus`]) through libopus: VoIP mode at 8, 16 or 48 kHz,
//!   bitrate, complexity, in-band FEC (recovered with
//!   [`Decoder::decode_fec`](codec::Decoder::decode_fec)), DTX and libopus's
//!   concealment;
//! - G.729 Annex A through the system's bcg729, only with the opt-in `g729`
//!   feature (bcg729 is GPL-3.0-or-later), decoding Annex B comfort-noise
//!   frames;
//! - [`audio`]: the audio pipeline between the device and the codec, sans-IO:
//!   [`AudioPath`](audio::AudioPath) (echo cancellation, send/receive gain,
//!   resampling, device switching mid-call with a cross-fade), the
//!   [`EchoCanceller`](audio::EchoCanceller) trait with WebRTC's AEC3 as the
//!   default, headless WAV and null [`AudioDevice`](audio::AudioDevice)s, the
//!   9-leg conference [`Mixer`](audio::Mixer), call
//!   [`Recorder`](audio::Recorder) and the last-call
//!   [`DebugCapture`](audio::DebugCapture), and a WAV reader/writer;
//! - [`ice`]: a sans-IO ICE agent (RFC 8445) with STUN (RFC 8489) and
//!   TURN (RFC 8656): host, server-reflexive and relayed candidates,
//!   regular or aggressive nomination, consent freshness (RFC 7675), ICE
//!   restart, the user's ICE switch, and first-byte demultiplexing of
//!   STUN/DTLS/TURN/RTP/RTCP (RFC 7983);
//! - the adaptive [`jitter`] buffer: packets in with their arrival time, one
//!   [`Playout`](jitter::Playout) out per frame interval (a packet to decode,
//!   a lost frame to conceal, a frame inserted to grow the delay, or
//!   silence); the target delay follows measured jitter (RFC 3550 §A.8 plus
//!   a high percentile of recent delays), and it handles reordering,
//!   duplicates, late packets, sequence/timestamp wrap, SSRC changes,
//!   talkspurts after comfort noise and sender clock drift, sans-IO.
//! - [`sdp`]: the SDP model, a bounded parser and a CRLF writer (RFC 8866),
//!   typed views of rtpmap/fmtp/ptime/direction/rtcp/rtcp-mux, SDES
//!   `a=crypto` (RFC 4568) and ICE attributes (RFC 8839), and a sans-IO
//!   RFC 3264 offer/answer [`Negotiator`](sdp::Negotiator) (codec
//!   preference, telephone-event, hold, re-offers, SRTP policy, H.264/VP8
//!   video m-lines) giving [`NegotiatedMedia`](sdp::NegotiatedMedia) per
//!   stream.
//! - [`video`]: RTP packetization of encoded video (the encoders belong to
//!   the platform): H.264 (RFC 6184: single NAL unit, STAP-A, FU-A) and VP8
//!   (RFC 7741), with depacketizers that reassemble frames and detect loss.
//!
//! Everything else listed above (RTP, ...) is not written yet. The crate
//! depends on no other Linkus crate; `linkus-core` will connect it to SIP
//! sessions.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod audio;
pub mod codec;
pub mod dtmf;
mod error;
pub mod ice;
pub mod jitter;
pub mod quality;
pub mod rtp;
pub mod sdp;
pub mod session;
pub mod srtp;
pub mod stream;
pub mod video;

pub use error::Error;
