//! iLBC, the Internet Low Bitrate Codec (RFC 3951), in its 20 ms (15.2
//! kbit/s) and 30 ms (13.33 kbit/s) modes, with the RTP payload format of
//! RFC 3952.
//!
//! iLBC codes each frame on its own, without memory of earlier frames in
//! the bitstream, so a lost packet does not corrupt the ones after it. Per
//! frame, the encoder computes LPC filters (one or two LSF vectors, split
//! vector quantised and interpolated per 40-sample sub-block), finds the
//! two sub-blocks of the LPC residual with the most energy and codes 57 or
//! 58 samples of them with a scalar quantiser (the *start state*), and
//! codes the rest of the frame forwards and backwards from there with a
//! three-stage adaptive codebook of the residual already coded. The decoder
//! rebuilds the residual the same way, smooths it with a pitch enhancer
//! and runs the LPC synthesis and a high-pass filter.
//!
//! This is an implementation, in `f32` like the RFC's reference code, of
//! the algorithm as RFC 3951 describes it: encoder (section 3), decoder
//! with the enhancer (section 4.6) and the packet loss concealment of
//! section 4.5, which [`Decoder::conceal`] runs (pitch repetition mixed
//! with noise from the last residual through the last LPC filter, stepping
//! down in level after 40 ms of loss and silent after 160 ms). The tests
//! check it against FFmpeg's independent iLBC decoder
//! (`tests/ilbc_ffmpeg_vectors.rs`).
//!
//! In SDP, iLBC is `iLBC/8000` with a dynamic payload type and
//! `a=fmtp:<pt> mode=20` or `mode=30`; without `mode`, RFC 3952 section 5
//! says 30 ms. [`Codec::from_rtpmap`](super::Codec::from_rtpmap) therefore
//! returns the 30 ms mode for `iLBC/8000`; use [`IlbcMode::from_fmtp`] to
//! honour the fmtp line. A payload holds one or more whole frames (38 bytes
//! each in 20 ms mode, 50 in 30 ms mode); the encoder takes 1 to 6 (20 ms)
//! or 1 to 4 (30 ms) frames of PCM at once.

mod common;
mod decoder;
mod encoder;
mod enhancer;
mod tables;

use super::{CodecInfo, Decoder, Encoder, check_len};
use crate::Error;
use core::time::Duration;

use common::ModeParams;

/// Frame length mode of iLBC (RFC 3951 section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IlbcMode {
    /// 20 ms frames: 160 samples in 38 bytes (15.2 kbit/s).
    Ms20,
    /// 30 ms frames: 240 samples in 50 bytes (13.33 kbit/s), the default.
    Ms30,
}

impl IlbcMode {
    /// The mode an SDP `a=fmtp` value asks for: `mode=20` gives
    /// [`Ms20`](Self::Ms20), anything else (including no fmtp) the RFC 3952
    /// default [`Ms30`](Self::Ms30). Parameters are `;`-separated and the
    /// name is case-insensitive.
    pub fn from_fmtp(fmtp: Option<&str>) -> IlbcMode {
        let wants_20 = fmtp.is_some_and(|f| {
            f.split(';').any(|param| {
                let mut kv = param.splitn(2, '=');
                let key = kv.next().unwrap_or("").trim();
                let value = kv.next().unwrap_or("").trim();
                key.eq_ignore_ascii_case("mode") && value == "20"
            })
        });
        if wants_20 {
            IlbcMode::Ms20
        } else {
            IlbcMode::Ms30
        }
    }

    /// The codec description of this mode.
    pub fn info(self) -> &'static CodecInfo {
        match self {
            IlbcMode::Ms20 => &ILBC_20,
            IlbcMode::Ms30 => &ILBC_30,
        }
    }

    /// PCM samples (8 kHz) in one frame: 160 or 240.
    pub fn frame_samples(self) -> usize {
        self.params().blockl
    }

    /// Bytes of one coded frame: 38 or 50.
    pub fn frame_bytes(self) -> usize {
        self.params().bytes
    }
}

/// `iLBC/8000` with `mode=20`: 20, 40, ..., 120 ms packets of 20 ms frames.
pub const ILBC_20: CodecInfo = CodecInfo {
    name: "iLBC",
    payload_type: None,
    sample_rate: 8000,
    clock_rate: 8000,
    channels: 1,
    rtpmap_channels: 1,
    frame_durations: &[
        Duration::from_millis(20),
        Duration::from_millis(40),
        Duration::from_millis(60),
        Duration::from_millis(80),
        Duration::from_millis(100),
        Duration::from_millis(120),
    ],
    default_frame_duration: Duration::from_millis(20),
    fmtp: Some("mode=20"),
};

/// `iLBC/8000` with `mode=30`: 30, 60, 90 or 120 ms packets of 30 ms
/// frames.
pub const ILBC_30: CodecInfo = CodecInfo {
    name: "iLBC",
    payload_type: None,
    sample_rate: 8000,
    clock_rate: 8000,
    channels: 1,
    rtpmap_channels: 1,
    frame_durations: &[
        Duration::from_millis(30),
        Duration::from_millis(60),
        Duration::from_millis(90),
        Duration::from_millis(120),
    ],
    default_frame_duration: Duration::from_millis(30),
    fmtp: Some("mode=30"),
};

/// iLBC encoder of one stream: PCM frames to RFC 3952 payloads.
#[derive(Debug, Clone)]
pub struct IlbcEncoder {
    mode: IlbcMode,
    inner: encoder::FrameEncoder,
}

impl IlbcEncoder {
    /// A new encoder of `mode`.
    pub fn new(mode: IlbcMode) -> Self {
        Self {
            mode,
            inner: encoder::FrameEncoder::new(mode.params()),
        }
    }

    /// The frame mode.
    pub fn mode(&self) -> IlbcMode {
        self.mode
    }
}

impl Encoder for IlbcEncoder {
    fn info(&self) -> &'static CodecInfo {
        self.mode.info()
    }

    fn max_payload_len(&self, samples: usize) -> usize {
        let p = self.mode.params();
        samples.div_ceil(p.blockl) * p.bytes
    }

    fn encode(&mut self, pcm: &[i16], payload: &mut [u8]) -> Result<usize, Error> {
        let p: &ModeParams = self.mode.params();
        if self.mode.info().frame_duration_of(pcm.len()).is_none() {
            return Err(Error::BadFrameSize {
                codec: "iLBC",
                samples: pcm.len(),
            });
        }
        let frames = pcm.len() / p.blockl;
        let needed = frames * p.bytes;
        check_len(needed, payload.len())?;
        for (frame, out) in pcm
            .chunks_exact(p.blockl)
            .zip(payload.chunks_exact_mut(p.bytes))
        {
            self.inner.encode(frame, out);
        }
        Ok(needed)
    }

    fn reset(&mut self) {
        *self = Self::new(self.mode);
    }
}

/// iLBC decoder of one stream, with the RFC 3951 enhancer and packet loss
/// concealment.
#[derive(Debug, Clone)]
pub struct IlbcDecoder {
    mode: IlbcMode,
    inner: decoder::FrameDecoder,
    enhance: bool,
}

impl IlbcDecoder {
    /// A new decoder of `mode`, with the enhancer (the RFC 3951 default).
    pub fn new(mode: IlbcMode) -> Self {
        Self::with_enhancer(mode, true)
    }

    /// A new decoder of `mode`, with or without the pitch enhancer of RFC
    /// 3951 section 4.6. The enhancer improves voiced speech but delays the
    /// output by 40 (20 ms) or 80 (30 ms) samples; FFmpeg's iLBC decoder
    /// runs without it.
    pub fn with_enhancer(mode: IlbcMode, enhance: bool) -> Self {
        Self {
            mode,
            inner: decoder::FrameDecoder::new(mode.params(), enhance),
            enhance,
        }
    }

    /// Whether the decoder runs the enhancer.
    pub fn enhancer(&self) -> bool {
        self.enhance
    }

    /// The frame mode.
    pub fn mode(&self) -> IlbcMode {
        self.mode
    }
}

impl Decoder for IlbcDecoder {
    fn info(&self) -> &'static CodecInfo {
        self.mode.info()
    }

    /// `samples per frame * frames`, for a payload of one or more whole
    /// frames.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptPayload`] if the payload is empty or not a multiple
    /// of the frame size (38 or 50 bytes).
    fn decoded_len(&self, payload: &[u8]) -> Result<usize, Error> {
        let p = self.mode.params();
        if payload.is_empty() || payload.len() % p.bytes != 0 {
            return Err(Error::CorruptPayload {
                codec: "iLBC",
                reason: "payload is not a whole number of iLBC frames of the negotiated mode",
            });
        }
        Ok(payload.len() / p.bytes * p.blockl)
    }

    /// Decodes each frame of the payload. A frame whose contents are
    /// invalid (empty-frame bit set, start sub-block out of range) is
    /// concealed, as RFC 3951 section 4 asks.
    fn decode(&mut self, payload: &[u8], pcm: &mut [i16]) -> Result<usize, Error> {
        let n = self.decoded_len(payload)?;
        check_len(n, pcm.len())?;
        let p = self.mode.params();
        for (frame, out) in payload
            .chunks_exact(p.bytes)
            .zip(pcm.chunks_exact_mut(p.blockl))
        {
            self.inner.decode(Some(frame), out);
        }
        Ok(n)
    }

    /// Runs the RFC 3951 concealment once per frame of `pcm` (rounded up:
    /// a partial last frame is concealed whole and its tail dropped, so
    /// pass whole frames to stay in step with the sender).
    fn conceal(&mut self, pcm: &mut [i16]) -> Result<usize, Error> {
        let blockl = self.mode.params().blockl;
        let mut frame = [0i16; common::BLOCKL_MAX];
        for chunk in pcm.chunks_mut(blockl) {
            self.inner.decode(None, &mut frame[..blockl]);
            chunk.copy_from_slice(&frame[..chunk.len()]);
        }
        Ok(pcm.len())
    }

    fn reset(&mut self) {
        *self = Self::with_enhancer(self.mode, self.enhance);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Codec;

    /// A voiced-like test signal: harmonics of `f0` Hz with a slow
    /// amplitude envelope.
    fn voiced(samples: usize, f0: f32) -> Vec<i16> {
        use core::f32::consts::TAU;
        (0..samples)
            .map(|n| {
                let t = n as f32 / 8000.0;
                let env = 0.6 + 0.4 * (TAU * 3.0 * t).sin();
                let x: f32 = (1..=12)
                    .map(|h| (TAU * f0 * h as f32 * t).sin() / h as f32)
                    .sum();
                (env * x * 6000.0) as i16
            })
            .collect()
    }

    fn energy(x: &[i16]) -> f64 {
        x.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / x.len().max(1) as f64
    }

    /// Normalised correlation of `a` and `b` delayed by `lag`.
    fn corr(a: &[i16], b: &[i16], lag: usize) -> f64 {
        let (mut ab, mut aa, mut bb) = (0f64, 0f64, 0f64);
        for (&x, &y) in a.iter().zip(&b[lag..]) {
            let (x, y) = (f64::from(x), f64::from(y));
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        ab / (aa * bb).sqrt().max(1e-9)
    }

    /// `x` through the encoder's input and the decoder's output high-pass
    /// filters: what an ideal iLBC would return.
    fn high_passed(x: &[i16]) -> Vec<i16> {
        let mut y: Vec<f32> = x.iter().map(|&s| f32::from(s)).collect();
        let mut m = [0f32; 4];
        common::hp_filter(&mut y, &tables::HPI_ZERO, &tables::HPI_POLE, &mut m);
        let mut m = [0f32; 4];
        common::hp_filter(&mut y, &tables::HPO_ZERO, &tables::HPO_POLE, &mut m);
        y.iter().map(|&v| v as i16).collect()
    }

    fn round_trip(mode: IlbcMode, enhance: bool, input: &[i16]) -> Vec<i16> {
        let n = mode.frame_samples();
        let mut enc = IlbcEncoder::new(mode);
        let mut dec = IlbcDecoder::with_enhancer(mode, enhance);
        let mut out = vec![0i16; input.len()];
        let mut payload = [0u8; 50];
        for (pcm, o) in input.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
            let len = enc.encode(pcm, &mut payload).unwrap();
            assert_eq!(len, mode.frame_bytes());
            assert_eq!(dec.decode(&payload[..len], o), Ok(n));
        }
        out
    }

    #[test]
    fn descriptions_and_lookup() {
        assert_eq!(ILBC_30.rtpmap().to_string(), "iLBC/8000");
        assert_eq!(ILBC_20.fmtp, Some("mode=20"));
        assert_eq!(ILBC_30.fmtp, Some("mode=30"));
        assert_eq!(
            ILBC_20.frame_duration_of(160),
            Some(Duration::from_millis(20))
        );
        assert_eq!(ILBC_20.frame_duration_of(240), None);
        assert_eq!(
            ILBC_30.frame_duration_of(480),
            Some(Duration::from_millis(60))
        );
        assert_eq!(ILBC_30.frame_duration_of(160), None);
        assert_eq!(
            Codec::from_rtpmap("ilbc", 8000),
            Some(Codec::Ilbc(IlbcMode::Ms30))
        );
        assert_eq!(IlbcMode::from_fmtp(None), IlbcMode::Ms30);
        assert_eq!(IlbcMode::from_fmtp(Some("mode=20")), IlbcMode::Ms20);
        assert_eq!(IlbcMode::from_fmtp(Some("foo=1; MODE=20")), IlbcMode::Ms20);
        assert_eq!(IlbcMode::from_fmtp(Some("mode=30")), IlbcMode::Ms30);
        assert_eq!(IlbcMode::from_fmtp(Some("mode=25")), IlbcMode::Ms30);
        assert_eq!(Codec::Ilbc(IlbcMode::Ms20).info().name, "iLBC");
    }

    #[test]
    fn both_modes_code_speech_like_signal() {
        let input = voiced(8000, 140.0);
        let ideal = high_passed(&input);
        for mode in [IlbcMode::Ms20, IlbcMode::Ms30] {
            let plain = round_trip(mode, false, &input);
            let c = corr(&ideal, &plain, 0);
            assert!(c > 0.9, "{mode:?} without enhancer: correlation {c}");
            // The enhancer delays by 40 or 80 samples.
            let delay = if mode == IlbcMode::Ms20 { 40 } else { 80 };
            let enhanced = round_trip(mode, true, &input);
            let c = corr(&ideal, &enhanced, delay);
            assert!(c > 0.9, "{mode:?} with enhancer: correlation {c}");
        }
    }

    #[test]
    fn silence_stays_quiet() {
        for mode in [IlbcMode::Ms20, IlbcMode::Ms30] {
            let out = round_trip(mode, true, &[0i16; 2400]);
            assert!(out.iter().all(|s| s.abs() < 20), "{mode:?}");
        }
    }

    #[test]
    fn multi_frame_payloads() {
        let input = voiced(960, 120.0);
        for mode in [IlbcMode::Ms20, IlbcMode::Ms30] {
            let (n, b) = (mode.frame_samples(), mode.frame_bytes());
            let frames = 960 / n;
            // One payload of all frames equals the frames one by one.
            let mut enc = IlbcEncoder::new(mode);
            let mut all = vec![0u8; frames * b];
            assert_eq!(enc.max_payload_len(960), frames * b);
            assert_eq!(enc.encode(&input, &mut all), Ok(frames * b));
            let mut enc = IlbcEncoder::new(mode);
            let mut one_by_one = Vec::new();
            let mut buf = [0u8; 50];
            for pcm in input.chunks_exact(n) {
                let len = enc.encode(pcm, &mut buf).unwrap();
                one_by_one.extend_from_slice(&buf[..len]);
            }
            assert_eq!(all, one_by_one);

            let mut dec = IlbcDecoder::new(mode);
            assert_eq!(dec.decoded_len(&all), Ok(960));
            let mut out_all = vec![0i16; 960];
            assert_eq!(dec.decode(&all, &mut out_all), Ok(960));
            let mut dec = IlbcDecoder::new(mode);
            let mut out_single = vec![0i16; 960];
            for (p, o) in all.chunks_exact(b).zip(out_single.chunks_exact_mut(n)) {
                assert_eq!(dec.decode(p, o), Ok(n));
            }
            assert_eq!(out_all, out_single);
        }
    }

    #[test]
    fn typed_errors() {
        for mode in [IlbcMode::Ms20, IlbcMode::Ms30] {
            let (n, b) = (mode.frame_samples(), mode.frame_bytes());
            let mut dec = IlbcDecoder::new(mode);
            let mut pcm = vec![0i16; 2 * n];
            for len in [0, 1, b - 1, b + 1, 2 * b - 1, 3 * b / 2] {
                let payload = vec![0u8; len];
                assert!(matches!(
                    dec.decoded_len(&payload),
                    Err(Error::CorruptPayload { codec: "iLBC", .. })
                ));
                assert!(matches!(
                    dec.decode(&payload, &mut pcm),
                    Err(Error::CorruptPayload { codec: "iLBC", .. })
                ));
            }
            assert_eq!(
                dec.decode(&vec![0u8; 3 * b], &mut pcm),
                Err(Error::BufferTooSmall {
                    needed: 3 * n,
                    available: 2 * n
                })
            );
            let mut enc = IlbcEncoder::new(mode);
            let mut out = vec![0u8; 2 * b];
            for samples in [0, 1, n - 1, n + 1, 80] {
                assert_eq!(
                    enc.encode(&vec![0i16; samples], &mut out),
                    Err(Error::BadFrameSize {
                        codec: "iLBC",
                        samples
                    })
                );
            }
            assert_eq!(
                enc.encode(&vec![0i16; 3 * n], &mut out),
                Err(Error::BufferTooSmall {
                    needed: 3 * b,
                    available: 2 * b
                })
            );
        }
    }

    #[test]
    fn plc_fills_and_fades() {
        for mode in [IlbcMode::Ms20, IlbcMode::Ms30] {
            let n = mode.frame_samples();
            let input = voiced(8000, 160.0);
            let mut enc = IlbcEncoder::new(mode);
            let mut dec = IlbcDecoder::new(mode);
            let mut payload = [0u8; 50];
            let mut out = vec![0i16; n];
            for pcm in input.chunks_exact(n) {
                let len = enc.encode(pcm, &mut payload).unwrap();
                dec.decode(&payload[..len], &mut out).unwrap();
            }
            let before = energy(&out);
            // 300 ms of loss: the first frame carries the signal on, the
            // level then falls, and after 160 ms of loss it is silent.
            let mut levels = Vec::new();
            for _ in 0..300 / (n / 8) {
                assert_eq!(dec.conceal(&mut out), Ok(n));
                levels.push(energy(&out));
            }
            assert!(levels[0] > 0.1 * before, "{mode:?}: {levels:?} vs {before}");
            assert!(levels[2] < levels[0], "{mode:?}: {levels:?}");
            assert!(
                levels.last().copied().unwrap_or(1.0) < 1.0,
                "{mode:?}: {levels:?}"
            );
            // Odd lengths are filled too.
            let mut odd = vec![1i16; n + 7];
            assert_eq!(dec.conceal(&mut odd), Ok(n + 7));
            // Decoding picks up again after the loss.
            for pcm in input.chunks_exact(n).take(10) {
                let len = enc.encode(pcm, &mut payload).unwrap();
                dec.decode(&payload[..len], &mut out).unwrap();
            }
            assert!(energy(&out) > 0.1 * before, "{mode:?}");
        }
    }

    #[test]
    fn empty_frame_flag_conceals() {
        for mode in [IlbcMode::Ms20, IlbcMode::Ms30] {
            let (n, b) = (mode.frame_samples(), mode.frame_bytes());
            let input = voiced(n * 10, 150.0);
            let mut enc = IlbcEncoder::new(mode);
            let mut a = IlbcDecoder::new(mode);
            let mut c = IlbcDecoder::new(mode);
            let mut payload = vec![0u8; b];
            let mut out_a = vec![0i16; n];
            let mut out_c = vec![0i16; n];
            for pcm in input.chunks_exact(n) {
                enc.encode(pcm, &mut payload).unwrap();
                a.decode(&payload, &mut out_a).unwrap();
                c.decode(&payload, &mut out_c).unwrap();
            }
            // A frame with the last bit set is treated as lost.
            payload[b - 1] |= 1;
            a.decode(&payload, &mut out_a).unwrap();
            c.conceal(&mut out_c).unwrap();
            assert_eq!(out_a, out_c);
        }
    }

    #[test]
    fn reset_restores_initial_state() {
        for mode in [IlbcMode::Ms20, IlbcMode::Ms30] {
            let n = mode.frame_samples();
            let input = voiced(n * 4, 130.0);
            let first = round_trip(mode, true, &input);
            let mut enc = IlbcEncoder::new(mode);
            let mut dec = IlbcDecoder::new(mode);
            let mut payload = [0u8; 50];
            let mut out = vec![0i16; n];
            for pcm in input.chunks_exact(n) {
                let len = enc.encode(pcm, &mut payload).unwrap();
                dec.decode(&payload[..len], &mut out).unwrap();
            }
            enc.reset();
            dec.reset();
            assert!(dec.enhancer());
            let mut again = vec![0i16; input.len()];
            for (pcm, o) in input.chunks_exact(n).zip(again.chunks_exact_mut(n)) {
                let len = enc.encode(pcm, &mut payload).unwrap();
                dec.decode(&payload[..len], o).unwrap();
            }
            assert_eq!(first, again);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn any_frame_bytes_decode(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..160),
            enhance in proptest::prelude::any::<bool>(),
        ) {
            for mode in [IlbcMode::Ms20, IlbcMode::Ms30] {
                let b = mode.frame_bytes();
                let len = bytes.len() / b * b;
                let mut dec = IlbcDecoder::with_enhancer(mode, enhance);
                let mut pcm = vec![0i16; 4 * mode.frame_samples()];
                let r = dec.decode(&bytes[..len], &mut pcm);
                if len == 0 {
                    proptest::prop_assert!(r.is_err());
                } else {
                    proptest::prop_assert_eq!(r, Ok(len / b * mode.frame_samples()));
                }
                proptest::prop_assert_eq!(dec.conceal(&mut pcm), Ok(pcm.len()));
            }
        }

        #[test]
        fn any_pcm_encodes(
            pcm in proptest::collection::vec(proptest::prelude::any::<i16>(), 240),
        ) {
            for mode in [IlbcMode::Ms20, IlbcMode::Ms30] {
                let n = mode.frame_samples();
                let mut enc = IlbcEncoder::new(mode);
                let mut dec = IlbcDecoder::new(mode);
                let mut payload = [0u8; 50];
                let mut out = vec![0i16; n];
                for _ in 0..3 {
                    let len = enc.encode(&pcm[..n], &mut payload);
                    proptest::prop_assert_eq!(len, Ok(mode.frame_bytes()));
                    proptest::prop_assert_eq!(dec.decode(&payload[..mode.frame_bytes()], &mut out), Ok(n));
                }
            }
        }
    }
}
