//! Opus (RFC 6716) for voice, through libopus and the [`opus`] crate.
//!
//! The encoder runs libopus in its VoIP mode (`OPUS_APPLICATION_VOIP`) on
//! mono PCM at 8, 16 or 48 kHz, with a configurable bitrate, complexity,
//! in-band forward error correction (FEC) and discontinuous transmission
//! (DTX); see [`OpusConfig`]. The decoder conceals lost packets with
//! libopus's packet-loss concealment ([`Decoder::conceal`]) and recovers a
//! lost frame from the FEC data of the packet after it
//! ([`Decoder::decode_fec`]).
//!
//! # SDP and RTP (RFC 7587)
//!
//! Opus always appears as `opus/48000/2` in `a=rtpmap`, and its RTP clock
//! runs at 48 kHz whatever the sample rate of the PCM on either side: a
//! 20 ms frame is 960 timestamp units, also for a 16 kHz encoder. Hence the
//! three descriptions [`OPUS`], [`OPUS_16K`] and [`OPUS_8K`] differ only in
//! [`sample_rate`](CodecInfo::sample_rate) (the PCM this side takes and
//! produces) and in their `a=fmtp` parameters: `maxplaybackrate` and
//! `sprop-maxcapturerate` tell the peer that audio above 8/4 kHz is
//! wasted, and `useinbandfec=1` that this decoder uses FEC data. The PCM
//! is mono ([`channels`](CodecInfo::channels) is 1); the `/2` of the
//! rtpmap is [`rtpmap_channels`](CodecInfo::rtpmap_channels).
//!
//! # Which libopus
//!
//! The [`opus`] crate's sys crate (`opusic-sys`) builds the libopus it
//! bundles (1.6.1 at the time of writing) with CMake and links it
//! statically: building this crate needs `cmake` and a C compiler, and the
//! program does not depend on a system libopus.
//!
//! # Allocation
//!
//! libopus allocates its state when an encoder or decoder is created; the
//! per-frame calls only use the caller's buffers and libopus's stack.

use core::fmt;
use core::time::Duration;

use super::{CodecInfo, Decoder, Encoder, check_len};
use crate::Error;

/// Frame durations of the encoder: 10, 20, 40 and 60 ms. (libopus also
/// takes 2.5 and 5 ms, CELT only, and up to 120 ms; a VoIP call does not use
/// them.) The decoder takes any packet libopus decodes, up to 120 ms.
const OPUS_DURATIONS: &[Duration] = &[
    Duration::from_millis(10),
    Duration::from_millis(20),
    Duration::from_millis(40),
    Duration::from_millis(60),
];

/// SDP name of Opus, as RFC 7587 writes it.
const NAME: &str = "opus";

/// `opus/48000/2` with 48 kHz mono PCM (full band).
pub const OPUS: CodecInfo = CodecInfo {
    name: NAME,
    payload_type: None,
    sample_rate: 48_000,
    clock_rate: 48_000,
    channels: 1,
    rtpmap_channels: 2,
    frame_durations: OPUS_DURATIONS,
    default_frame_duration: Duration::from_millis(20),
    fmtp: Some("useinbandfec=1"),
};

/// `opus/48000/2` with 16 kHz mono PCM (wideband): RTP clock still 48 kHz.
pub const OPUS_16K: CodecInfo = CodecInfo {
    sample_rate: 16_000,
    fmtp: Some("maxplaybackrate=16000; sprop-maxcapturerate=16000; useinbandfec=1"),
    ..OPUS
};

/// `opus/48000/2` with 8 kHz mono PCM (narrowband): RTP clock still 48 kHz.
pub const OPUS_8K: CodecInfo = CodecInfo {
    sample_rate: 8000,
    fmtp: Some("maxplaybackrate=8000; sprop-maxcapturerate=8000; useinbandfec=1"),
    ..OPUS
};

/// The description of Opus with PCM at `sample_rate`, if it is 8, 16 or
/// 48 kHz.
pub fn info_for_rate(sample_rate: u32) -> Option<&'static CodecInfo> {
    match sample_rate {
        8000 => Some(&OPUS_8K),
        16_000 => Some(&OPUS_16K),
        48_000 => Some(&OPUS),
        _ => None,
    }
}

/// The version string of the libopus this crate runs (e.g. `libopus 1.6.1`).
pub fn libopus_version() -> &'static str {
    opus::version()
}

/// Settings of an [`OpusEncoder`].
///
/// [`OpusConfig::default()`] is 48 kHz at 32 kbit/s, libopus's default
/// complexity, no FEC, no DTX: what [`Codec::Opus`](super::Codec::Opus)
/// encodes with. [`OpusEncoder::new`] checks the values.
///
/// ```
/// use linkus_media::codec::opus::{OpusConfig, OpusEncoder};
///
/// let config = OpusConfig::new(16_000, 24_000)
///     .with_complexity(5)
///     .with_fec(10)
///     .with_dtx();
/// let enc = OpusEncoder::new(config)?;
/// # Ok::<(), linkus_media::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpusConfig {
    /// Sample rate of the PCM input, in Hz: 8000, 16000 or 48000.
    pub sample_rate: u32,
    /// Target bitrate in bit/s, 6000 to 510000 (VBR: the average).
    pub bitrate: u32,
    /// Encoder complexity 0 (fastest) to 10 (best); `None` leaves libopus's
    /// default (9 in libopus 1.3 to 1.6).
    pub complexity: Option<u8>,
    /// In-band FEC: each packet also carries a low-bitrate copy of the
    /// previous frame (SILK's LBRR), which [`Decoder::decode_fec`] recovers
    /// when that frame's packet is lost. It is paid for out of the same
    /// bitrate, and libopus only adds it while
    /// [`expected_loss_percent`](Self::expected_loss_percent) is above 0.
    pub fec: bool,
    /// Packet loss the encoder should expect, 0 to 100 %
    /// (`OPUS_SET_PACKET_LOSS_PERC`): how much FEC to add and how
    /// conservatively to predict.
    pub expected_loss_percent: u8,
    /// Discontinuous transmission: during silence the encoder produces
    /// packets of at most 2 bytes (one about every 400 ms keeps comfort
    /// noise going), which need not be sent.
    pub dtx: bool,
}

impl Default for OpusConfig {
    fn default() -> Self {
        OpusConfig::new(48_000, 32_000)
    }
}

impl OpusConfig {
    /// `sample_rate` Hz PCM at `bitrate` bit/s, default complexity, no FEC,
    /// no DTX.
    pub const fn new(sample_rate: u32, bitrate: u32) -> Self {
        OpusConfig {
            sample_rate,
            bitrate,
            complexity: None,
            fec: false,
            expected_loss_percent: 0,
            dtx: false,
        }
    }

    /// The same with encoder complexity `complexity` (0 to 10).
    pub const fn with_complexity(mut self, complexity: u8) -> Self {
        self.complexity = Some(complexity);
        self
    }

    /// The same with in-band FEC on, for `expected_loss_percent` % of
    /// packets lost (1 to 100).
    pub const fn with_fec(mut self, expected_loss_percent: u8) -> Self {
        self.fec = true;
        self.expected_loss_percent = expected_loss_percent;
        self
    }

    /// The same with DTX on.
    pub const fn with_dtx(mut self) -> Self {
        self.dtx = true;
        self
    }

    /// Checks every setting.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] naming the first setting out of range.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |reason| Err(Error::InvalidConfig { reason });
        if info_for_rate(self.sample_rate).is_none() {
            return invalid("opus: sample rate must be 8000, 16000 or 48000 Hz");
        }
        if !(6000..=510_000).contains(&self.bitrate) {
            return invalid("opus: bitrate must be 6000 to 510000 bit/s");
        }
        if self.complexity.is_some_and(|c| c > 10) {
            return invalid("opus: complexity must be 0 to 10");
        }
        if self.expected_loss_percent > 100 {
            return invalid("opus: expected loss must be 0 to 100 %");
        }
        if self.fec && self.expected_loss_percent == 0 {
            return invalid(
                "opus: FEC needs an expected loss above 0 % (libopus adds none at 0 %)",
            );
        }
        Ok(())
    }
}

/// The crate's error for a libopus error code.
fn lib_error(e: &opus::Error) -> Error {
    use opus::ErrorCode as C;
    let reason = match e.code() {
        C::InvalidPacket => {
            return Error::CorruptPayload {
                codec: NAME,
                reason: "libopus: invalid packet",
            };
        }
        C::BadArg => "libopus: invalid argument",
        C::BufferTooSmall => "libopus: buffer too small",
        C::InternalError => "libopus: internal error",
        C::Unimplemented => "libopus: request not implemented",
        C::InvalidState => "libopus: invalid state",
        C::AllocFail => "libopus: memory allocation failed",
        C::Unknown => "libopus: unknown error",
    };
    Error::Codec {
        codec: NAME,
        reason,
    }
}

/// `i32::MAX`: the opus crate panics on slices longer than a C `int`.
const MAX_C_LEN: usize = i32::MAX as usize;

/// Encodes mono PCM into Opus packets (libopus, VoIP mode).
///
/// [`encode`](Encoder::encode) fits the packet into the buffer it is given:
/// a buffer of [`max_payload_len`](Encoder::max_payload_len) bytes never
/// limits it, a shorter one caps the size of that packet (libopus lowers
/// the quality of the frame to fit). A result of 2 bytes or less is a DTX
/// frame that need not be sent.
pub struct OpusEncoder {
    enc: opus::Encoder,
    config: OpusConfig,
    info: &'static CodecInfo,
    lookahead: usize,
}

impl fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpusEncoder")
            .field("config", &self.config)
            .field("lookahead", &self.lookahead)
            .finish_non_exhaustive()
    }
}

impl OpusEncoder {
    /// A new encoder with `config`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if a setting is out of range (see
    /// [`OpusConfig::validate`]); [`Error::Codec`] if libopus fails (it
    /// cannot allocate its state).
    pub fn new(config: OpusConfig) -> Result<Self, Error> {
        config.validate()?;
        let info = info_for_rate(config.sample_rate).ok_or(Error::InvalidConfig {
            reason: "opus: sample rate must be 8000, 16000 or 48000 Hz",
        })?;
        let mut enc = opus::Encoder::new(
            config.sample_rate,
            opus::Channels::Mono,
            opus::Application::Voip,
        )
        .map_err(|e| lib_error(&e))?;
        let e = |e: opus::Error| lib_error(&e);
        // The bitrate is checked to be at most 510000 above.
        enc.set_bitrate(opus::Bitrate::Bits(config.bitrate as i32))
            .map_err(e)?;
        if let Some(c) = config.complexity {
            enc.set_complexity(i32::from(c)).map_err(e)?;
        }
        enc.set_inband_fec(config.fec).map_err(e)?;
        enc.set_packet_loss_perc(i32::from(config.expected_loss_percent))
            .map_err(e)?;
        enc.set_dtx(config.dtx).map_err(e)?;
        let lookahead = usize::try_from(enc.get_lookahead().map_err(e)?).unwrap_or(0);
        Ok(OpusEncoder {
            enc,
            config,
            info,
            lookahead,
        })
    }

    /// The settings this encoder runs with (with the changes of
    /// [`set_bitrate`](Self::set_bitrate) and
    /// [`set_expected_loss`](Self::set_expected_loss)).
    pub fn config(&self) -> &OpusConfig {
        &self.config
    }

    /// The encoder's look-ahead in samples (at the PCM sample rate): how
    /// much later than the input the decoded output comes (e.g. 104 samples
    /// = 6.5 ms at 16 kHz).
    pub fn lookahead(&self) -> usize {
        self.lookahead
    }

    /// Changes the target bitrate from the next frame on (e.g. after RTCP
    /// feedback).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if `bitrate` is not 6000 to 510000 bit/s;
    /// the encoder is unchanged then.
    pub fn set_bitrate(&mut self, bitrate: u32) -> Result<(), Error> {
        OpusConfig {
            bitrate,
            ..self.config
        }
        .validate()?;
        self.enc
            .set_bitrate(opus::Bitrate::Bits(bitrate as i32))
            .map_err(|e| lib_error(&e))?;
        self.config.bitrate = bitrate;
        Ok(())
    }

    /// Changes the expected packet loss (e.g. from the loss the peer
    /// reports in RTCP), which sets how much FEC data is added.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if `percent` is above 100, or 0 while FEC is
    /// on; the encoder is unchanged then.
    pub fn set_expected_loss(&mut self, percent: u8) -> Result<(), Error> {
        OpusConfig {
            expected_loss_percent: percent,
            ..self.config
        }
        .validate()?;
        self.enc
            .set_packet_loss_perc(i32::from(percent))
            .map_err(|e| lib_error(&e))?;
        self.config.expected_loss_percent = percent;
        Ok(())
    }
}

/// Number of 20 ms Opus frames a packet of `samples` at `rate` Hz is made
/// of (at least 1).
fn frames_20ms(samples: usize, rate: u32) -> usize {
    let per_20ms = (rate / 50).max(1) as usize;
    samples.div_ceil(per_20ms).max(1)
}

impl Encoder for OpusEncoder {
    fn info(&self) -> &'static CodecInfo {
        self.info
    }

    /// 1277 bytes per 20 ms (at most 1275 per Opus frame, plus framing),
    /// plus 2: libopus never writes more.
    fn max_payload_len(&self, samples: usize) -> usize {
        frames_20ms(samples, self.config.sample_rate)
            .saturating_mul(1277)
            .saturating_add(2)
    }

    fn encode(&mut self, pcm: &[i16], payload: &mut [u8]) -> Result<usize, Error> {
        if self.info.frame_duration_of(pcm.len()).is_none() {
            return Err(Error::BadFrameSize {
                codec: NAME,
                samples: pcm.len(),
            });
        }
        let max = self.max_payload_len(pcm.len());
        // libopus needs 1 byte per 20 ms frame plus the framing of a
        // multi-frame packet to write anything; refuse less up front, so
        // that the encoder state is unchanged after this error.
        let min = frames_20ms(pcm.len(), self.config.sample_rate) * 2 + 1;
        check_len(min, payload.len()).map_err(|_| Error::BufferTooSmall {
            needed: max,
            available: payload.len(),
        })?;
        let available = payload.len();
        let out = &mut payload[..max.min(available).min(MAX_C_LEN)];
        match self.enc.encode(pcm, out) {
            Ok(n) => Ok(n),
            Err(e) if e.code() == opus::ErrorCode::BufferTooSmall => Err(Error::BufferTooSmall {
                needed: max,
                available,
            }),
            Err(e) => Err(lib_error(&e)),
        }
    }

    fn reset(&mut self) {
        // OPUS_RESET_STATE cannot fail on a valid encoder.
        let _ = self.enc.reset_state();
    }
}

/// Decodes Opus packets into mono PCM (libopus), with libopus's PLC and
/// in-band FEC.
pub struct OpusDecoder {
    dec: opus::Decoder,
    info: &'static CodecInfo,
}

impl fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpusDecoder")
            .field("sample_rate", &self.info.sample_rate)
            .finish_non_exhaustive()
    }
}

impl OpusDecoder {
    /// A new decoder producing mono PCM at `sample_rate` (8000, 16000 or
    /// 48000 Hz), whatever the bandwidth of the packets.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for another sample rate; [`Error::Codec`] if
    /// libopus fails (it cannot allocate its state).
    pub fn new(sample_rate: u32) -> Result<Self, Error> {
        let info = info_for_rate(sample_rate).ok_or(Error::InvalidConfig {
            reason: "opus: sample rate must be 8000, 16000 or 48000 Hz",
        })?;
        let dec =
            opus::Decoder::new(sample_rate, opus::Channels::Mono).map_err(|e| lib_error(&e))?;
        Ok(OpusDecoder { dec, info })
    }

    /// Number of samples of 2.5 ms, the unit of libopus's concealment.
    fn quantum(&self) -> usize {
        (self.info.sample_rate / 400) as usize
    }
}

impl Decoder for OpusDecoder {
    fn info(&self) -> &'static CodecInfo {
        self.info
    }

    fn decoded_len(&self, payload: &[u8]) -> Result<usize, Error> {
        if payload.is_empty() {
            return Err(Error::CorruptPayload {
                codec: NAME,
                reason: "empty payload",
            });
        }
        if payload.len() > MAX_C_LEN {
            return Err(Error::CorruptPayload {
                codec: NAME,
                reason: "payload too long",
            });
        }
        match opus::packet::get_nb_samples(payload, self.info.sample_rate) {
            // A code-3 packet of 0 frames, which libopus does not decode.
            Ok(0) => Err(Error::CorruptPayload {
                codec: NAME,
                reason: "packet of 0 frames",
            }),
            Ok(n) => Ok(n),
            Err(e) => Err(lib_error(&e)),
        }
    }

    fn decode(&mut self, payload: &[u8], pcm: &mut [i16]) -> Result<usize, Error> {
        let need = self.decoded_len(payload)?;
        check_len(need, pcm.len())?;
        self.dec
            .decode(payload, &mut pcm[..need], false)
            .map_err(|e| lib_error(&e))
    }

    /// libopus's packet-loss concealment (`opus_decode` without data) for
    /// `pcm.len()` samples, which must be a multiple of 2.5 ms (e.g. 320 for
    /// 20 ms at 16 kHz).
    fn conceal(&mut self, pcm: &mut [i16]) -> Result<usize, Error> {
        if pcm.is_empty() {
            return Ok(0);
        }
        if pcm.len() % self.quantum() != 0 || pcm.len() > MAX_C_LEN {
            return Err(Error::BadFrameSize {
                codec: NAME,
                samples: pcm.len(),
            });
        }
        self.dec.decode(&[], pcm, false).map_err(|e| lib_error(&e))
    }

    /// Recovers the lost frame before `payload` from its in-band FEC data
    /// (`opus_decode` with `decode_fec=1`), as many samples as `payload`
    /// itself holds ([`decoded_len`](Decoder::decoded_len)): the lost
    /// packet is taken to be as long as the next one, as with a constant
    /// `ptime`. If `payload` carries no FEC data, libopus conceals the frame
    /// instead (as [`conceal`](Decoder::conceal)). Then decode `payload`
    /// itself with [`decode`](Decoder::decode) as usual.
    fn decode_fec(&mut self, payload: &[u8], pcm: &mut [i16]) -> Result<usize, Error> {
        let need = self.decoded_len(payload)?;
        check_len(need, pcm.len())?;
        self.dec
            .decode(payload, &mut pcm[..need], true)
            .map_err(|e| lib_error(&e))
    }

    fn reset(&mut self) {
        // OPUS_RESET_STATE cannot fail on a valid decoder.
        let _ = self.dec.reset_state();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions() {
        for info in [&OPUS, &OPUS_16K, &OPUS_8K] {
            assert_eq!(info.rtpmap().to_string(), "opus/48000/2");
            assert_eq!(info.channels, 1);
            assert_eq!(
                info.rtp_timestamp_increment(Duration::from_millis(20)),
                Some(960)
            );
        }
        assert_eq!(
            OPUS_16K.samples_per_frame(Duration::from_millis(20)),
            Some(320)
        );
        assert_eq!(
            OPUS_16K.frame_duration_of(320),
            Some(Duration::from_millis(20))
        );
        assert_eq!(OPUS_16K.frame_duration_of(480), None); // 30 ms
        assert_eq!(
            OPUS.frame_duration_of(2880),
            Some(Duration::from_millis(60))
        );
    }

    #[test]
    fn max_payload() {
        let enc = OpusEncoder::new(OpusConfig::new(16_000, 24_000)).unwrap();
        assert_eq!(enc.max_payload_len(160), 1279);
        assert_eq!(enc.max_payload_len(320), 1279);
        assert_eq!(enc.max_payload_len(960), 3 * 1277 + 2);
    }
}
