//! Voice codecs: descriptions for SDP/RTP, and frame encoders and decoders.
//!
//! A [`CodecInfo`] describes a codec the way SDP and RTP see it (encoding name,
//! static payload type, clock rate, ...). An [`Encoder`] turns one frame of
//! 16-bit PCM into one RTP payload, a [`Decoder`] turns a payload back into
//! PCM and fills in for lost packets. Both work on caller-provided buffers and
//! do not allocate per frame; [`Codec`] builds them.
//!
//! Implemented (pure Rust, no C):
//!
//! | codec | [`Codec`] | module | notes |
//! |---|---|---|---|
//! | G.711 µ-law (`PCMU`, PT 0) | [`Codec::Pcmu`] | [`g711`] | ITU-T G.711, bit-exact |
//! | G.711 A-law (`PCMA`, PT 8) | [`Codec::Pcma`] | [`g711`] | ITU-T G.711, bit-exact |
//! | G.722 64 kbit/s (`G722`, PT 9) | [`Codec::G722`] | [`g722`] | ITU-T G.722 mode 1, bit-exact with spandsp |
//! | iLBC 20/30 ms (`iLBC`, dynamic PT) | [`Codec::Ilbc`] | [`ilbc`] | RFC 3951 in `f32` with its enhancer and PLC; checked against FFmpeg's decoder |
//!
//! Lost packets: [`Decoder::conceal`] of G.711 and G.722 repeats the last
//! pitch period of the decoded signal in the style of G.711 Appendix I
//! (smoothed at both ends of the loss, growing to three periods, fading to
//! silence after 35 ms); G.722 also carries its ADPCM state across the gap
//! by re-encoding the substitute. iLBC runs the concealment of RFC 3951
//! section 4.5 on its residual and LPC state. None of them has forward
//! error correction.
//!
//! Through C libraries:
//!
//! | codec | [`Codec`] | module | notes |
//! |---|---|---|---|
//! | Opus (`opus/48000/2`, dynamic PT) | [`Codec::Opus`] | [`opus`] | libopus, which the `opus` crate bundles and builds with CMake; VoIP mode, 8/16/48 kHz mono, bitrate, complexity, in-band FEC ([`Decoder::decode_fec`]), DTX, libopus PLC |
//! | G.729 Annex A (`G729`, PT 18) | `Codec::G729` | `g729` | bcg729 (system library), **GPL-3.0-or-later**: only with the opt-in `g729` feature; decodes Annex B SID frames; bcg729's frame erasure concealment |
//!
//! ```
//! use linkus_media::codec::Codec;
//!
//! let codec = Codec::Pcmu;
//! let mut enc = codec.encoder();
//! let mut dec = codec.decoder();
//! let pcm = [0i16; 160]; // 20 ms at 8 kHz
//! let mut payload = [0u8; 160];
//! let n = enc.encode(&pcm, &mut payload)?;
//! let mut out = [0i16; 160];
//! let m = dec.decode(&payload[..n], &mut out)?;
//! assert_eq!((n, m), (160, 160));
//! # Ok::<(), linkus_media::Error>(())
//! ```

use core::fmt;
use core::time::Duration;

use crate::Error;

pub mod g711;
pub mod g722;
#[cfg(feature = "g729")]
pub mod g729;
pub mod ilbc;
pub mod opus;
mod plc;

/// How a codec appears in SDP and RTP, and the frame durations it encodes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CodecInfo {
    /// Encoding name of the SDP `a=rtpmap` line (`PCMU`, `PCMA`, `G722`).
    pub name: &'static str,
    /// Static RTP payload type (RFC 3551), if the codec has one.
    pub payload_type: Option<u8>,
    /// Sample rate of the PCM the codec takes and produces, in Hz.
    pub sample_rate: u32,
    /// RTP timestamp clock rate, in Hz. Usually the sample rate; G.722 is the
    /// exception (16 kHz audio, 8 kHz RTP clock, RFC 3551 section 4.5.2).
    pub clock_rate: u32,
    /// Number of audio channels of the PCM the codec takes and produces
    /// (interleaved when more than one).
    pub channels: u8,
    /// Number of channels the SDP `a=rtpmap` line names. Usually
    /// [`channels`](Self::channels); Opus is the exception: RFC 7587 writes
    /// it `opus/48000/2` whatever the encoder sends and the decoder outputs
    /// (here mono PCM).
    pub rtpmap_channels: u8,
    /// Frame (packet) durations the encoder accepts, shortest first.
    pub frame_durations: &'static [Duration],
    /// Frame duration used when SDP gives no `a=ptime`.
    pub default_frame_duration: Duration,
    /// Parameters of the SDP `a=fmtp` line, if the codec needs one.
    pub fmtp: Option<&'static str>,
}

/// 10, 20, ..., 120 ms: the packet durations of the sample-based codecs.
const TEN_MS_STEPS: &[Duration] = &[
    Duration::from_millis(10),
    Duration::from_millis(20),
    Duration::from_millis(30),
    Duration::from_millis(40),
    Duration::from_millis(50),
    Duration::from_millis(60),
    Duration::from_millis(70),
    Duration::from_millis(80),
    Duration::from_millis(90),
    Duration::from_millis(100),
    Duration::from_millis(110),
    Duration::from_millis(120),
];

impl CodecInfo {
    /// Number of PCM samples (per channel) in a frame of `duration`, if that is
    /// a whole number.
    pub fn samples_per_frame(&self, duration: Duration) -> Option<usize> {
        let num = u128::from(self.sample_rate) * duration.as_nanos();
        if num % 1_000_000_000 != 0 {
            return None;
        }
        usize::try_from(num / 1_000_000_000).ok()
    }

    /// The allowed frame duration that `samples` PCM samples (all channels,
    /// interleaved) make up, or `None` if they are not one allowed frame.
    pub fn frame_duration_of(&self, samples: usize) -> Option<Duration> {
        // Called for every encoded frame: one u64 division, no u128.
        let channels = usize::from(self.channels.max(1));
        if samples % channels != 0 || self.sample_rate == 0 {
            return None;
        }
        let scaled = u64::try_from(samples / channels)
            .ok()?
            .checked_mul(1_000_000_000)?;
        let rate = u64::from(self.sample_rate);
        if scaled % rate != 0 {
            return None;
        }
        let d = Duration::from_nanos(scaled / rate);
        self.frame_durations.contains(&d).then_some(d)
    }

    /// RTP timestamp increment of one frame of `duration` (in units of
    /// [`clock_rate`](Self::clock_rate)), if that is a whole number.
    pub fn rtp_timestamp_increment(&self, duration: Duration) -> Option<u32> {
        let num = u128::from(self.clock_rate) * duration.as_nanos();
        if num % 1_000_000_000 != 0 {
            return None;
        }
        u32::try_from(num / 1_000_000_000).ok()
    }

    /// The value of the SDP `a=rtpmap` line after the payload type, e.g.
    /// `G722/8000` or `opus/48000/2`.
    pub fn rtpmap(&self) -> RtpMap<'_> {
        RtpMap(self)
    }
}

/// Displays a codec's SDP `a=rtpmap` encoding (`name/clock[/channels]`); see
/// [`CodecInfo::rtpmap`].
#[derive(Debug, Clone, Copy)]
pub struct RtpMap<'a>(&'a CodecInfo);

impl fmt::Display for RtpMap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.0.name, self.0.clock_rate)?;
        if self.0.rtpmap_channels > 1 {
            write!(f, "/{}", self.0.rtpmap_channels)?;
        }
        Ok(())
    }
}

/// Encodes PCM frames into RTP payloads.
///
/// Implementations keep their state between frames (G.722 is adaptive), do
/// not allocate in [`encode`](Self::encode) and never panic.
pub trait Encoder: Send + fmt::Debug {
    /// The codec this encoder produces.
    fn info(&self) -> &'static CodecInfo;

    /// Upper bound of the payload size, in bytes, of a frame of `samples`
    /// PCM samples: an output buffer of this length is always large enough.
    fn max_payload_len(&self, samples: usize) -> usize;

    /// Encodes one frame of PCM (interleaved if more than one channel) into
    /// `payload` and returns the number of bytes written.
    ///
    /// # Errors
    ///
    /// [`Error::BadFrameSize`] if `pcm` is not one frame of one of the
    /// codec's [`frame_durations`](CodecInfo::frame_durations);
    /// [`Error::BufferTooSmall`] if `payload` cannot hold the result. The
    /// encoder state is unchanged after an error.
    fn encode(&mut self, pcm: &[i16], payload: &mut [u8]) -> Result<usize, Error>;

    /// Returns the encoder to its initial state (e.g. for a new RTP stream).
    fn reset(&mut self);
}

/// Decodes RTP payloads into PCM and conceals lost packets.
///
/// Implementations do not allocate in their per-frame methods and never
/// panic, whatever bytes the network delivers.
pub trait Decoder: Send + fmt::Debug {
    /// The codec this decoder takes.
    fn info(&self) -> &'static CodecInfo;

    /// Number of PCM samples [`decode`](Self::decode) writes for `payload`.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptPayload`] if the payload cannot be decoded.
    fn decoded_len(&self, payload: &[u8]) -> Result<usize, Error>;

    /// Decodes one payload into `pcm` and returns the number of samples
    /// written.
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] if `pcm` is shorter than
    /// [`decoded_len`](Self::decoded_len); [`Error::CorruptPayload`] if the
    /// payload cannot be decoded. The decoder state is unchanged after an
    /// error.
    fn decode(&mut self, payload: &[u8], pcm: &mut [i16]) -> Result<usize, Error>;

    /// Fills all of `pcm` with a substitute for a lost packet of that many
    /// samples, and returns `pcm.len()`. Call it once per lost frame, in
    /// order, between the [`decode`](Self::decode) calls of the packets
    /// around the gap.
    ///
    /// # Errors
    ///
    /// [`Error::BadFrameSize`] if the codec cannot produce `pcm.len()`
    /// samples (e.g. an odd count for a stereo codec).
    fn conceal(&mut self, pcm: &mut [i16]) -> Result<usize, Error>;

    /// Recovers the frame *before* `payload` from the forward error
    /// correction data inside `payload`, for codecs that carry it (Opus
    /// in-band FEC). Returns the number of samples written.
    ///
    /// # Errors
    ///
    /// [`Error::FecNotSupported`] for codecs without FEC (the default), else
    /// as [`decode`](Self::decode).
    fn decode_fec(&mut self, payload: &[u8], pcm: &mut [i16]) -> Result<usize, Error> {
        let _ = (payload, pcm);
        Err(Error::FecNotSupported {
            codec: self.info().name,
        })
    }

    /// Returns the decoder to its initial state (e.g. for a new RTP stream).
    fn reset(&mut self);
}

/// The codecs this crate implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// G.711 µ-law, `PCMU`, payload type 0.
    Pcmu,
    /// G.711 A-law, `PCMA`, payload type 8.
    Pcma,
    /// G.722 at 64 kbit/s, `G722`, payload type 9.
    G722,
    /// Opus, `opus/48000/2` (dynamic payload type), 48 kHz mono PCM with
    /// [`OpusConfig::default()`](opus::OpusConfig) (32 kbit/s, no FEC, no
    /// DTX). [`opus::OpusEncoder::new`] and [`opus::OpusDecoder::new`] take
    /// other settings and 8 or 16 kHz PCM.
    Opus,
    /// G.729 Annex A, `G729`, payload type 18, through the GPL-3+ bcg729
    /// library: only with the opt-in `g729` feature (see [`g729`]).
    #[cfg(feature = "g729")]
    G729,
    /// iLBC (RFC 3951), `iLBC/8000` (dynamic payload type) with
    /// `a=fmtp:<pt> mode=20` or `mode=30`; see [`ilbc::IlbcMode::from_fmtp`].
    Ilbc(ilbc::IlbcMode),
}

impl Codec {
    /// Every implemented codec, in the order of a default SDP offer
    /// (wideband first).
    /// iLBC 30 ms comes before 20 ms, so that [`from_rtpmap`](Self::from_rtpmap)
    /// gives the RFC 3952 default mode for `iLBC/8000`.
    pub const ALL: [Codec; 6 + G729_COUNT] = [
        Codec::Opus,
        Codec::G722,
        Codec::Pcmu,
        Codec::Pcma,
        #[cfg(feature = "g729")]
        Codec::G729,
        Codec::Ilbc(ilbc::IlbcMode::Ms30),
        Codec::Ilbc(ilbc::IlbcMode::Ms20),
    ];

    /// The codec's SDP/RTP description.
    pub fn info(self) -> &'static CodecInfo {
        match self {
            Codec::Pcmu => &g711::PCMU,
            Codec::Pcma => &g711::PCMA,
            Codec::G722 => &g722::G722,
            Codec::Opus => &opus::OPUS,
            #[cfg(feature = "g729")]
            Codec::G729 => &g729::G729,
            Codec::Ilbc(mode) => mode.info(),
        }
    }

    /// The codec of a static RTP payload type, if this crate implements it.
    pub fn from_payload_type(pt: u8) -> Option<Codec> {
        Codec::ALL
            .into_iter()
            .find(|c| c.info().payload_type == Some(pt))
    }

    /// The codec of an SDP `a=rtpmap` encoding name (case-insensitive, as
    /// RFC 4566 requires) and clock rate.
    pub fn from_rtpmap(name: &str, clock_rate: u32) -> Option<Codec> {
        Codec::ALL.into_iter().find(|c| {
            let info = c.info();
            info.name.eq_ignore_ascii_case(name) && info.clock_rate == clock_rate
        })
    }

    /// A new encoder of this codec.
    pub fn encoder(self) -> Box<dyn Encoder> {
        match self {
            Codec::Pcmu => Box::new(g711::G711Encoder::new(g711::Law::MuLaw)),
            Codec::Pcma => Box::new(g711::G711Encoder::new(g711::Law::ALaw)),
            Codec::G722 => Box::new(g722::G722Encoder::new()),
            Codec::Opus => match opus::OpusEncoder::new(opus::OpusConfig::default()) {
                Ok(enc) => Box::new(enc),
                // The default settings are valid, so libopus can only have
                // failed to allocate: handle it as Rust handles that.
                Err(_) => std::alloc::handle_alloc_error(LIBOPUS_STATE),
            },
            #[cfg(feature = "g729")]
            Codec::G729 => Box::new(g729::G729Encoder::new()),
            Codec::Ilbc(mode) => Box::new(ilbc::IlbcEncoder::new(mode)),
        }
    }

    /// A new decoder of this codec.
    pub fn decoder(self) -> Box<dyn Decoder> {
        match self {
            Codec::Pcmu => Box::new(g711::G711Decoder::new(g711::Law::MuLaw)),
            Codec::Pcma => Box::new(g711::G711Decoder::new(g711::Law::ALaw)),
            Codec::G722 => Box::new(g722::G722Decoder::new()),
            Codec::Opus => match opus::OpusDecoder::new(OPUS_DEFAULT_RATE) {
                Ok(dec) => Box::new(dec),
                // See `encoder`.
                Err(_) => std::alloc::handle_alloc_error(LIBOPUS_STATE),
            },
            #[cfg(feature = "g729")]
            Codec::G729 => Box::new(g729::G729Decoder::new()),
            Codec::Ilbc(mode) => Box::new(ilbc::IlbcDecoder::new(mode)),
        }
    }
}

/// 1 with the `g729` feature ([`Codec::G729`] in [`Codec::ALL`]), else 0.
const G729_COUNT: usize = if cfg!(feature = "g729") { 1 } else { 0 };

/// Sample rate of [`Codec::Opus`].
const OPUS_DEFAULT_RATE: u32 = 48_000;

/// Roughly the size of a libopus encoder state, for the report of a failed
/// allocation.
const LIBOPUS_STATE: std::alloc::Layout = std::alloc::Layout::new::<[u8; 32 * 1024]>();

/// Checks that `available` can hold `needed` elements.
pub(crate) fn check_len(needed: usize, available: usize) -> Result<(), Error> {
    if available < needed {
        Err(Error::BufferTooSmall { needed, available })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions() {
        let g722 = Codec::G722.info();
        assert_eq!(g722.rtpmap().to_string(), "G722/8000");
        assert_eq!(g722.sample_rate, 16_000);
        assert_eq!(g722.samples_per_frame(Duration::from_millis(20)), Some(320));
        assert_eq!(
            g722.rtp_timestamp_increment(Duration::from_millis(20)),
            Some(160)
        );
        assert_eq!(g722.frame_duration_of(320), Some(Duration::from_millis(20)));
        assert_eq!(g722.frame_duration_of(321), None);
        assert_eq!(
            g722.frame_duration_of(1920),
            Some(Duration::from_millis(120))
        );
        assert_eq!(g722.frame_duration_of(2240), None); // 140 ms
        assert_eq!(g722.frame_duration_of(usize::MAX), None);
        let pcmu = Codec::Pcmu.info();
        assert_eq!(pcmu.frame_duration_of(80), Some(Duration::from_millis(10)));
        assert_eq!(pcmu.frame_duration_of(40), None);
        assert_eq!(g722.frame_duration_of(0), None);
        assert_eq!(Codec::Pcmu.info().rtpmap().to_string(), "PCMU/8000");
        assert_eq!(Codec::Pcma.info().payload_type, Some(8));
    }

    #[test]
    fn lookup() {
        assert_eq!(Codec::from_payload_type(0), Some(Codec::Pcmu));
        assert_eq!(Codec::from_payload_type(8), Some(Codec::Pcma));
        assert_eq!(Codec::from_payload_type(9), Some(Codec::G722));
        #[cfg(not(feature = "g729"))]
        assert_eq!(Codec::from_payload_type(18), None);
        #[cfg(feature = "g729")]
        assert_eq!(Codec::from_payload_type(18), Some(Codec::G729));
        assert_eq!(Codec::from_rtpmap("g722", 8000), Some(Codec::G722));
        assert_eq!(Codec::from_rtpmap("G722", 16000), None);
        assert_eq!(Codec::from_rtpmap("pcmu", 8000), Some(Codec::Pcmu));
    }

    #[test]
    fn fec_not_supported() {
        for codec in [Codec::G722, Codec::Pcmu, Codec::Pcma] {
            let mut dec = codec.decoder();
            let mut pcm = [0i16; 320];
            assert_eq!(
                dec.decode_fec(&[0u8; 160], &mut pcm),
                Err(Error::FecNotSupported {
                    codec: codec.info().name
                })
            );
        }
    }
}
