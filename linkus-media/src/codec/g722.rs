//! G.722 at 64 kbit/s (mode 1), ITU-T G.722 (09/2012).
//!
//! 16 kHz PCM is split by a 24-tap quadrature mirror filter (QMF) into two
//! 8 kHz sub-bands; the lower one is coded with 6-bit adaptive differential
//! PCM (ADPCM), the higher one with 2-bit ADPCM, and each pair of input
//! samples becomes one byte (`high << 6 | low`). Both sub-band coders adapt
//! their quantiser scale and a pole-zero predictor (two poles, six zeros)
//! from the coded signal only, so encoder and decoder stay in step.
//!
//! This is an implementation of the algorithm as the standard specifies it,
//! in its fixed-point arithmetic; the tests check it bit for bit against
//! spandsp (a bit-exact C implementation) on speech, full-scale noise and
//! random bitstreams (`tests/g722_spandsp_vectors.rs`).
//!
//! In SDP, G.722 is `G722/8000`: its RTP clock runs at 8 kHz although the
//! audio is sampled at 16 kHz (RFC 3551, section 4.5.2), so a 20 ms frame is
//! 320 samples, 160 bytes and 160 timestamp units. The 56 and 48 kbit/s modes
//! (which drop low-band bits for auxiliary data) are not implemented.

use super::plc::Plc;
use super::{CodecInfo, Decoder, Encoder, TEN_MS_STEPS, check_len};
use crate::Error;
use core::time::Duration;

/// `G722/8000`, static payload type 9 (RFC 3551).
pub const G722: CodecInfo = CodecInfo {
    name: "G722",
    payload_type: Some(9),
    sample_rate: 16_000,
    clock_rate: 8000,
    channels: 1,
    rtpmap_channels: 1,
    frame_durations: TEN_MS_STEPS,
    default_frame_duration: Duration::from_millis(20),
    fmtp: None,
};

/// The QMF coefficients h0..h23 (G.722 Table 11), symmetric.
const QMF: [i32; 24] = [
    3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876, 3876, 951, -805, -210, 362, 32,
    -156, 12, 53, -11, -11, 3,
];

/// QMF taps `h_{2i}`: the first sample of each pair in the transmit QMF,
/// the sums `rL + rH` in the receive QMF.
const QMF_EVEN: [i16; 12] = {
    let mut t = [0i16; 12];
    let mut i = 0;
    while i < 12 {
        t[i] = QMF[2 * i] as i16;
        i += 1;
    }
    t
};

/// QMF taps `h_{2i+1}`: the second sample of each pair in the transmit
/// QMF, the differences `rL - rH` in the receive QMF.
const QMF_ODD: [i16; 12] = {
    let mut t = [0i16; 12];
    let mut i = 0;
    while i < 12 {
        t[i] = QMF[2 * i + 1] as i16;
        i += 1;
    }
    t
};

/// Lower sub-band quantiser decision levels, magnitude intervals 1..=29
/// (G.722 Table 12, scaled by 2^9): interval `m` is `[Q6[m-1], Q6[m])`.
const Q6: [i32; 29] = [
    35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023,
    1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
];

/// Lower sub-band codes of magnitude interval 1..=30, negative differences.
const ILN: [u8; 31] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
    10, 9, 8, 7, 6, 5, 4,
];

/// Lower sub-band codes of magnitude interval 1..=30, positive differences.
const ILP: [u8; 31] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39,
    38, 37, 36, 35, 34, 33, 32,
];

/// 6-bit inverse quantiser output (decoder output path), by code.
const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];

/// 4-bit inverse quantiser output (predictor path), by the code's top 4 bits.
const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];

/// Magnitude index of a 4-bit lower sub-band code, for the scale factor.
const RL42: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];

/// Lower sub-band log scale factor multipliers.
const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];

/// Higher sub-band 2-bit inverse quantiser output, by code.
const QM2: [i32; 4] = [-7408, -1616, 7408, 1616];

/// Magnitude index of a higher sub-band code.
const RH2: [usize; 4] = [2, 1, 2, 1];

/// Higher sub-band log scale factor multipliers.
const WH: [i32; 3] = [0, -214, 798];

/// Higher sub-band decision level (scaled by 2^9).
const Q2: i32 = 564;

/// Inverse log table: `2048 * 2^(i/32)` (G.722 Table 17).
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];

/// Saturates to the 16-bit range, as the standard's arithmetic does.
#[inline(always)]
fn sat16(v: i32) -> i32 {
    v.clamp(-32768, 32767)
}

/// The adaptive state of one sub-band: quantiser scale and predictor.
/// Encoder and decoder run the same updates on the same values.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Band {
    /// Predicted signal (`SL`/`SH`).
    s: i32,
    /// Output of the zero section (`SZL`/`SZH`).
    sz: i32,
    /// Reconstructed signal of the last two samples (`RLT1`, `RLT2`).
    r: [i32; 2],
    /// Partially reconstructed signal of the last two samples (`PLT1`, `PLT2`).
    p: [i32; 2],
    /// Pole coefficients (`AL1`, `AL2`).
    a: [i32; 2],
    /// Zero coefficients (`BL1`..`BL6`).
    b: [i32; 6],
    /// Quantised differences of the last six samples (`DLT1`..`DLT6`).
    d: [i32; 6],

    /// Log scale factor (`NBL`/`NBH`).
    nb: i32,
    /// Scale factor (`DETL`/`DETH`).
    det: i32,
}

impl Band {
    fn new(det: i32) -> Self {
        Self {
            s: 0,
            sz: 0,
            r: [0; 2],
            p: [0; 2],
            a: [0; 2],
            b: [0; 6],
            d: [0; 6],

            nb: 0,
            det,
        }
    }

    /// LOGSCL/LOGSCH then SCALEL/SCALEH: adapts the scale factor.
    #[inline(always)]
    fn adapt_scale<const N: usize>(&mut self, w: i32, nb_max: i32, dets: &[i32; N]) {
        self.nb = (((self.nb * 127) >> 7) + w).clamp(0, nb_max);
        self.det = dets[(self.nb >> 6) as usize];
    }

    /// Block 4: reconstruction, predictor adaptation and prediction, given
    /// the quantised difference `d` of this sample.
    #[inline(always)]
    fn predict(&mut self, d: i32) {
        // RECONS, PARREC
        let r0 = sat16(self.s + d);
        let p0 = sat16(self.sz + d);
        let neg0 = p0 < 0;
        let neg1 = self.p[0] < 0;
        let neg2 = self.p[1] < 0;
        // UPPOL2: a2 += 2^-7 (sgn p0 p2 - f(a1) sgn p0 p1) with leakage, |a2| <= 0.75
        let f = sat16(self.a[0] << 2);
        let f = if neg0 == neg1 { sat16(-f) } else { f };
        let a2 = ((f >> 7) + if neg0 == neg2 { 128 } else { -128 } + ((self.a[1] * 32512) >> 15))
            .clamp(-12288, 12288);
        // UPPOL1: a1 += 3 * 2^-8 sgn p0 p1 with leakage, |a1| <= 1 - 2^-4 - a2
        let a1 = sat16(if neg0 == neg1 { 192 } else { -192 } + ((self.a[0] * 32640) >> 15));
        let limit = 15360 - a2;
        let a1 = a1.clamp(-limit, limit);
        // UPZERO: b_i += 2^-7 sgn d0 d_i with leakage (no step if d0 == 0)
        let step = if d == 0 { 0 } else { 128 };
        let neg_d = d < 0;
        let mut b = self.b;
        for (b, &di) in b.iter_mut().zip(&self.d) {
            let upd = if (di < 0) == neg_d { step } else { -step };
            *b = sat16(upd + ((*b * 32640) >> 15));
        }
        self.b = b;
        // FILTEZ on the delayed differences (d, then the old d1..d5), read
        // before DELAYA shifts them in memory: reading them back right after
        // the shift stalls on store forwarding.
        let od = self.d;
        let mut sz = (b[0] * sat16(d << 1)) >> 15;
        for (&b, &di) in b[1..].iter().zip(&od[..5]) {
            sz += (b * sat16(di << 1)) >> 15;
        }
        // DELAYA
        self.d = [d, od[0], od[1], od[2], od[3], od[4]];
        self.r = [r0, self.r[0]];
        self.p = [p0, self.p[0]];
        self.a = [a1, a2];
        // FILTEP
        let sp = sat16(
            ((self.a[0] * sat16(self.r[0] << 1)) >> 15)
                + ((self.a[1] * sat16(self.r[1] << 1)) >> 15),
        );
        self.sz = sat16(sz);
        // PREDIC
        self.s = sat16(sp + self.sz);
    }
}

const LOW_DET0: i32 = 32;
const HIGH_DET0: i32 = 8;
const LOW_NB_MAX: i32 = 18432;
const HIGH_NB_MAX: i32 = 22528;

/// SCALEL/SCALEH: the scale factor of log scale factor `nb`, for the
/// lower (`shift_base` 8) or higher (10) sub-band.
#[inline(always)]
const fn scale_of(nb: i32, shift_base: i32) -> i32 {
    let frac = ILB[((nb >> 6) & 31) as usize];
    let shift = shift_base - (nb >> 11);
    let v = if shift < 0 {
        frac << -shift
    } else {
        frac >> shift
    };
    v << 2
}

/// Number of distinct lower sub-band scale factors: `nb >> 6` for
/// `0 <= nb <= LOW_NB_MAX`.
const LOW_SCALES: usize = (LOW_NB_MAX >> 6) as usize + 1;

/// Number of distinct higher sub-band scale factors.
const HIGH_SCALES: usize = (HIGH_NB_MAX >> 6) as usize + 1;

/// The scale factors of a sub-band by `nb >> 6` (SCALEL/SCALEH only look at
/// those bits of `nb`).
const fn scale_table<const N: usize>(shift_base: i32) -> [i32; N] {
    let mut t = [0; N];
    let mut k = 0;
    while k < N {
        t[k] = scale_of((k as i32) << 6, shift_base);
        k += 1;
    }
    t
}

static LOW_DETS: [i32; LOW_SCALES] = scale_table(8);
static HIGH_DETS: [i32; HIGH_SCALES] = scale_table(10);

/// The lower sub-band decision levels `(Q6[i] * det) >> 12` for every scale
/// factor (by `nb >> 6`), padded to 32 with levels no `wd` reaches. They fit
/// in 16 bits: `det <= 32064`, so a level is at most 22851.
static LOW_LEVELS: [[i16; 32]; LOW_SCALES] = {
    let mut t = [[i16::MAX; 32]; LOW_SCALES];
    let mut k = 0;
    while k < LOW_SCALES {
        let det = scale_of((k as i32) << 6, 8);
        let mut i = 0;
        while i < Q6.len() {
            t[k][i] = ((Q6[i] * det) >> 12) as i16;
            i += 1;
        }
        k += 1;
    }
    t
};

/// Block 1L, QUANTL: the 6-bit code of lower sub-band difference `el`, for
/// log scale factor `nb`.
#[inline(always)]
fn quantize_low(el: i32, nb: i32) -> usize {
    let wd = if el >= 0 { el } else { -(el + 1) };
    // Magnitude interval = 1 + number of decision levels <= wd (the levels
    // are non-decreasing). Counting all of them, as 16-bit values from a
    // table (no products), is branch-free and vectorises. Beyond the highest
    // level (22851), capping wd below the padding changes no count.
    let wd = wd.min(i32::from(i16::MAX) - 1) as i16;
    let levels = &LOW_LEVELS[(nb >> 6) as usize];
    let below: i16 = levels.iter().map(|&t| i16::from(t <= wd)).sum();
    let mil = below as usize + 1;
    usize::from(if el < 0 { ILN[mil] } else { ILP[mil] })
}

/// Block 1H, QUANTH: the 2-bit code of higher sub-band difference `eh`.
#[inline(always)]
fn quantize_high(eh: i32, det: i32) -> usize {
    let wd = if eh >= 0 { eh } else { -(eh + 1) };
    let large = wd >= (Q2 * det) >> 12;
    match (eh < 0, large) {
        (true, true) => 0,
        (true, false) => 1,
        (false, true) => 2,
        (false, false) => 3,
    }
}

/// Lower band, from the code on: INVQAL, LOGSCL, SCALEL, block 4.
#[inline(always)]
fn update_low(band: &mut Band, code: usize) {
    let top = code >> 2;
    let d = (band.det * QM4[top]) >> 15;
    band.adapt_scale(WL[RL42[top]], LOW_NB_MAX, &LOW_DETS);
    band.predict(d);
}

/// Higher band, from the code on: INVQAH, LOGSCH, SCALEH, block 4; returns
/// the quantised difference.
#[inline(always)]
fn update_high(band: &mut Band, code: usize) -> i32 {
    let d = (band.det * QM2[code]) >> 15;
    band.adapt_scale(WH[RH2[code]], HIGH_NB_MAX, &HIGH_DETS);
    band.predict(d);
    d
}

#[inline(always)]
fn dot<const N: usize>(x: &[i16; N], h: &[i16; N]) -> i32 {
    x.iter()
        .zip(h)
        .map(|(&x, &h)| i32::from(x) * i32::from(h))
        .sum()
}

/// Samples per internal block: the stack buffers of the QMF.
const BLOCK: usize = 320;
/// Transmit QMF history: the 11 pairs before the current one.
const TX_HIST: usize = 22;
/// Receive QMF history per polyphase branch.
const RX_HIST: usize = 11;

/// G.722 64 kbit/s encoder: 2 samples of 16 kHz PCM per byte.
#[derive(Debug, Clone)]
pub struct G722Encoder {
    /// Transmit QMF history: the first samples of the last 11 pairs, then
    /// their second samples.
    hist: [i16; TX_HIST],
    low: Band,
    high: Band,
}

impl Default for G722Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Encoder {
    /// A new encoder in the initial state of the standard.
    pub fn new() -> Self {
        Self {
            hist: [0; TX_HIST],
            low: Band::new(LOW_DET0),
            high: Band::new(HIGH_DET0),
        }
    }

    /// Encodes any even number of samples into `pcm.len() / 2` bytes,
    /// without the frame-duration check of [`Encoder::encode`].
    ///
    /// # Errors
    ///
    /// [`Error::BadFrameSize`] for an odd number of samples,
    /// [`Error::BufferTooSmall`] if `out` is shorter than `pcm.len() / 2`.
    pub fn encode_samples(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, Error> {
        if pcm.len() % 2 != 0 {
            return Err(Error::BadFrameSize {
                codec: G722.name,
                samples: pcm.len(),
            });
        }
        let bytes = pcm.len() / 2;
        check_len(bytes, out.len())?;
        // The transmit QMF is computed in its polyphase form: the first and
        // the second sample of every pair go through their own 12 taps.
        const PAIRS: usize = BLOCK / 2;
        let mut first = [0i16; RX_HIST + PAIRS];
        let mut second = [0i16; RX_HIST + PAIRS];
        // The band states as locals for the loop, so that they can live in
        // registers.
        let (low, high) = (&mut self.low, &mut self.high);
        for (chunk, out) in pcm.chunks(BLOCK).zip(out.chunks_mut(PAIRS)) {
            let n = chunk.len() / 2;
            first[..RX_HIST].copy_from_slice(&self.hist[..RX_HIST]);
            second[..RX_HIST].copy_from_slice(&self.hist[RX_HIST..]);
            for ((pair, a), b) in chunk
                .chunks_exact(2)
                .zip(&mut first[RX_HIST..])
                .zip(&mut second[RX_HIST..])
            {
                *a = pair[0];
                *b = pair[1];
            }
            let windows = first[..RX_HIST + n]
                .windows(12)
                .zip(second[..RX_HIST + n].windows(12));
            for ((wa, wb), o) in windows.zip(out.iter_mut()) {
                let (Ok(wa), Ok(wb)) = (<&[i16; 12]>::try_from(wa), <&[i16; 12]>::try_from(wb))
                else {
                    continue;
                };
                *o = encode_pair(low, high, wa, wb);
            }
            self.hist[..RX_HIST].copy_from_slice(&first[n..n + RX_HIST]);
            self.hist[RX_HIST..].copy_from_slice(&second[n..n + RX_HIST]);
        }
        Ok(bytes)
    }
}

/// Encodes the newest sample pair, given the last 12 first samples `wa`
/// and second samples `wb` of the pairs (oldest first).
#[inline(always)]
fn encode_pair(low: &mut Band, high: &mut Band, wa: &[i16; 12], wb: &[i16; 12]) -> u8 {
    // Transmit QMF: the sum and difference of the two polyphase branches.
    let (a, b) = (dot(wa, &QMF_EVEN), dot(wb, &QMF_ODD));
    let xl = (a + b) >> 14;
    let xh = (b - a) >> 14;
    // Lower band: SUBTRA, QUANTL, then the shared adaptation.
    let el = sat16(xl - low.s);
    let il = quantize_low(el, low.nb);
    update_low(low, il);
    // Higher band.
    let eh = sat16(xh - high.s);
    let ih = quantize_high(eh, high.det);
    update_high(high, ih);
    ((ih << 6) | il) as u8
}

impl Encoder for G722Encoder {
    fn info(&self) -> &'static CodecInfo {
        &G722
    }

    fn max_payload_len(&self, samples: usize) -> usize {
        samples.div_ceil(2)
    }

    fn encode(&mut self, pcm: &[i16], payload: &mut [u8]) -> Result<usize, Error> {
        if G722.frame_duration_of(pcm.len()).is_none() {
            return Err(Error::BadFrameSize {
                codec: G722.name,
                samples: pcm.len(),
            });
        }
        self.encode_samples(pcm, payload)
    }

    fn reset(&mut self) {
        *self = Self::new();
    }
}

/// G.722 64 kbit/s decoder: one byte to 2 samples of 16 kHz PCM.
///
/// [`conceal`](Decoder::conceal) substitutes lost frames by pitch
/// repetition of the decoded signal (as for G.711, at 16 kHz), then runs the
/// substitute (before its fade) through an encoder that starts from this decoder's ADPCM state
/// and decodes the result, so that the predictors and scale factors follow
/// the signal across the gap and the first packet after it decodes close to
/// what the sender's encoder expects. [`decode`](Decoder::decode) blends the
/// first frame after a loss into the substitute. Packets that arrive are
/// decoded exactly as the standard says; only frames after a loss differ.
#[derive(Debug, Clone)]
pub struct G722Decoder {
    /// Receive QMF history: `rL + rH` of the last 11 sample pairs.
    sums: [i16; RX_HIST],
    /// Receive QMF history: `rL - rH` of the last 11 sample pairs.
    diffs: [i16; RX_HIST],
    low: Band,
    high: Band,
    /// The last output samples: the transmit QMF history of the re-encoder.
    last_out: [i16; TX_HIST],
    plc: Plc,
}

impl Default for G722Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Decoder {
    /// A new decoder in the initial state of the standard.
    pub fn new() -> Self {
        Self {
            sums: [0; RX_HIST],
            diffs: [0; RX_HIST],
            low: Band::new(LOW_DET0),
            high: Band::new(HIGH_DET0),
            last_out: [0; TX_HIST],
            plc: Plc::new(16_000),
        }
    }

    /// Keeps the last output samples for the re-encoder.
    fn remember_output(&mut self, pcm: &[i16]) {
        let n = pcm.len();
        if n >= TX_HIST {
            self.last_out.copy_from_slice(&pcm[n - TX_HIST..]);
        } else {
            self.last_out.copy_within(n.., 0);
            self.last_out[TX_HIST - n..].copy_from_slice(pcm);
        }
    }

    /// Decodes `payload`; see [`Decoder::decode`]. The receive QMF can
    /// exceed the 16-bit range on near-full-scale signals: the output
    /// saturates, or, with `WRAP`, wraps around as spandsp 0.0.6 does (used
    /// only to test bit-exactness against it).
    fn decode_impl<const WRAP: bool>(
        &mut self,
        payload: &[u8],
        pcm: &mut [i16],
    ) -> Result<usize, Error> {
        let samples = payload.len() * 2;
        check_len(samples, pcm.len())?;
        const PAIRS: usize = BLOCK / 2;
        let mut sums = [0i16; RX_HIST + PAIRS];
        let mut diffs = [0i16; RX_HIST + PAIRS];
        // The band states as locals for the loop (kept in registers).
        let (low, high) = (&mut self.low, &mut self.high);
        for (codes, out) in payload.chunks(PAIRS).zip(pcm.chunks_mut(BLOCK)) {
            let n = codes.len();
            sums[..RX_HIST].copy_from_slice(&self.sums);
            diffs[..RX_HIST].copy_from_slice(&self.diffs);
            for ((&code, sum), diff) in codes
                .iter()
                .zip(&mut sums[RX_HIST..])
                .zip(&mut diffs[RX_HIST..])
            {
                let (rl, rh) = decode_byte(low, high, code);
                // Both fit: rl, rh are limited to [-16384, 16383].
                *sum = (rl + rh) as i16;
                *diff = (rl - rh) as i16;
            }
            // Receive QMF: two output samples per pair.
            let ws = sums[..RX_HIST + n].windows(12);
            let wd = diffs[..RX_HIST + n].windows(12);
            for ((s, d), o) in ws.zip(wd).zip(out.chunks_exact_mut(2)) {
                let (Ok(s), Ok(d)) = (<&[i16; 12]>::try_from(s), <&[i16; 12]>::try_from(d)) else {
                    continue;
                };
                let (x0, x1) = (dot(d, &QMF_ODD) >> 11, dot(s, &QMF_EVEN) >> 11);
                if WRAP {
                    o[0] = x0 as i16;
                    o[1] = x1 as i16;
                } else {
                    o[0] = sat16(x0) as i16;
                    o[1] = sat16(x1) as i16;
                }
            }
            self.sums.copy_from_slice(&sums[n..n + RX_HIST]);
            self.diffs.copy_from_slice(&diffs[n..n + RX_HIST]);
        }
        Ok(samples)
    }
}

/// Decodes the sub-band ADPCM of one byte: the reconstructed lower and
/// higher sub-band signals.
#[inline(always)]
fn decode_byte(low: &mut Band, high: &mut Band, code: u8) -> (i32, i32) {
    let il = usize::from(code & 0x3F);
    let ih = usize::from(code >> 6);
    // Lower band: INVQBL with all 6 bits, RECONS, LIMIT for the output;
    // the predictor adapts on the 4-bit version, like the encoder's.
    let rl = (low.s + ((low.det * QM6[il]) >> 15)).clamp(-16384, 16383);
    update_low(low, il);
    // Higher band: INVQAH, RECONS, LIMIT.
    let s = high.s;
    let rh = (s + update_high(high, ih)).clamp(-16384, 16383);
    (rl, rh)
}

impl Decoder for G722Decoder {
    fn info(&self) -> &'static CodecInfo {
        &G722
    }

    fn decoded_len(&self, payload: &[u8]) -> Result<usize, Error> {
        Ok(payload.len() * 2)
    }

    fn decode(&mut self, payload: &[u8], pcm: &mut [i16]) -> Result<usize, Error> {
        let n = self.decode_impl::<false>(payload, pcm)?;
        let pcm = &mut pcm[..n];
        self.plc.good(pcm);
        self.remember_output(pcm);
        Ok(n)
    }

    fn conceal(&mut self, pcm: &mut [i16]) -> Result<usize, Error> {
        // Re-encode the substitute from the decoder's state and decode it,
        // so that the ADPCM state moves on with the signal. The re-encoder
        // gets the substitute before its fade: the state then tracks a
        // signal at the level the sender's encoder most likely still sees,
        // and the first packet after the loss decodes closer to it.
        let mut hist = [0i16; TX_HIST];
        for (i, pair) in self.last_out.chunks_exact(2).enumerate() {
            hist[i] = pair[0];
            hist[RX_HIST + i] = pair[1];
        }
        let mut enc = G722Encoder {
            hist,
            low: self.low.clone(),
            high: self.high.clone(),
        };
        let mut codes = [0u8; BLOCK / 2];
        let mut scratch = [0i16; BLOCK];
        let mut full = [0i16; BLOCK];
        for chunk in pcm.chunks_mut(BLOCK) {
            let full = &mut full[..chunk.len()];
            self.plc.conceal_unfaded(chunk, full);
            let even = full.len() - full.len() % 2;
            let n = enc.encode_samples(&full[..even], &mut codes)?;
            self.decode_impl::<false>(&codes[..n], &mut scratch)?;
            self.remember_output(full);
        }
        Ok(pcm.len())
    }

    fn reset(&mut self) {
        *self = Self::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantizer_matches_linear_search() {
        let check = |el: i32, nb: i32| {
            let det = scale_of(nb, 8);
            let wd = if el >= 0 { el } else { -(el + 1) };
            let mut mil = 30;
            for (i, &q) in Q6.iter().enumerate() {
                if wd < (q * det) >> 12 {
                    mil = i + 1;
                    break;
                }
            }
            let want = usize::from(if el < 0 { ILN[mil] } else { ILP[mil] });
            assert_eq!(quantize_low(el, nb), want, "el {el} nb {nb}");
        };
        for k in 0..LOW_SCALES as i32 {
            let nb = k << 6;
            // Every difference for some scale factors, the ones around each
            // decision level for all of them.
            if k % 16 == 0 || k == LOW_SCALES as i32 - 1 {
                for el in -32768..=32767 {
                    check(el, nb);
                }
            }
            for &t in &LOW_LEVELS[k as usize][..Q6.len()] {
                let t = i32::from(t);
                for el in [t - 1, t, t + 1, -t - 2, -t - 1, -t, -t + 1] {
                    check(sat16(el), nb);
                }
            }
        }
    }

    #[test]
    fn silence_round_trip() {
        let mut enc = G722Encoder::new();
        let mut dec = G722Decoder::new();
        let mut bytes = [0u8; 160];
        let mut pcm = [1i16; 320];
        for _ in 0..5 {
            assert_eq!(enc.encode(&[0; 320], &mut bytes), Ok(160));
            assert_eq!(dec.decode(&bytes, &mut pcm), Ok(320));
        }
        assert!(pcm.iter().all(|&x| x.abs() < 8), "{pcm:?}");
    }

    fn data(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    /// With the output wrapping like spandsp's, every sample equals
    /// spandsp's, including those where the receive QMF overflows
    /// (`tests/g722_spandsp_vectors.rs` tests the saturating output).
    #[test]
    fn wrapping_output_is_spandsp_exact() {
        for name in ["speech", "noise", "random"] {
            let bits = data(&format!("g722_{name}.g722"));
            let want: Vec<i16> = data(&format!("g722_{name}.dec.raw"))
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect();
            let mut dec = G722Decoder::new();
            let mut got = vec![0i16; bits.len() * 2];
            for (b, o) in bits.chunks(160).zip(got.chunks_mut(320)) {
                assert_eq!(dec.decode_impl::<true>(b, o), Ok(320));
            }
            assert!(got == want, "{name}");
        }
    }

    #[test]
    fn errors() {
        let mut enc = G722Encoder::new();
        let mut out = [0u8; 160];
        assert_eq!(
            enc.encode(&[0; 150], &mut out),
            Err(Error::BadFrameSize {
                codec: "G722",
                samples: 150
            })
        );
        assert_eq!(
            enc.encode(&[0; 640], &mut out),
            Err(Error::BufferTooSmall {
                needed: 320,
                available: 160
            })
        );
        assert_eq!(
            enc.encode_samples(&[0; 3], &mut out),
            Err(Error::BadFrameSize {
                codec: "G722",
                samples: 3
            })
        );
        let mut dec = G722Decoder::new();
        let mut pcm = [0i16; 100];
        assert_eq!(
            dec.decode(&[0; 160], &mut pcm),
            Err(Error::BufferTooSmall {
                needed: 320,
                available: 100
            })
        );
    }
}
