//! G.711 µ-law (`PCMU`) and A-law (`PCMA`), ITU-T G.711 (11/1988).
//!
//! # Mapping 16-bit PCM to G.711
//!
//! G.711 quantises a 14-bit (µ-law) or 13-bit (A-law) uniform PCM value. A
//! 16-bit sample `x` is taken as that value scaled up by 4 (µ-law) or 8
//! (A-law), with the magnitude of a negative sample taken as the one's
//! complement `!x = -x - 1`, and the magnitude then truncated to the
//! standard's scale. That is the convention of the ITU-T G.191 Software Tool
//! Library and of spandsp, so encoders agree bit for bit with them; it is
//! symmetric (`x` and `!x` get the same magnitude code) and maps -1 to the
//! negative code of the smallest magnitude. Decoding yields the standard's
//! decoder output values (Tables 1 and 2 of G.711) scaled the same way, so
//! the largest output is ±32124 (µ-law) and ±32256 (A-law).
//!
//! µ-law has two codes for zero, `0xFF` (+0) and `0x7F` (-0). Both decode to
//! 0; encoding produces `0xFF` for 0 and `0x7F` for -1 to -4, the inputs
//! whose magnitude rounds to zero on the negative side.
//!
//! # Speed
//!
//! [`linear_to_ulaw`] and [`linear_to_alaw`] compute one code without
//! tables or branches. The frame encoder instead looks codes up in a 16 KiB
//! (µ-law) / 8 KiB (A-law) table indexed by the top 14 / 13 bits of the
//! sample, which the `codecs` benchmark measures as the faster of the two
//! for 20 ms frames; decoding uses 256-entry tables.

use super::plc::Plc;
use super::{CodecInfo, Decoder, Encoder, TEN_MS_STEPS, check_len};
use crate::Error;
use core::time::Duration;

/// `PCMU/8000`, static payload type 0 (RFC 3551).
pub const PCMU: CodecInfo = CodecInfo {
    name: "PCMU",
    payload_type: Some(0),
    sample_rate: 8000,
    clock_rate: 8000,
    channels: 1,
    rtpmap_channels: 1,
    frame_durations: TEN_MS_STEPS,
    default_frame_duration: Duration::from_millis(20),
    fmtp: None,
};

/// `PCMA/8000`, static payload type 8 (RFC 3551).
pub const PCMA: CodecInfo = CodecInfo {
    name: "PCMA",
    payload_type: Some(8),
    sample_rate: 8000,
    clock_rate: 8000,
    channels: 1,
    rtpmap_channels: 1,
    frame_durations: TEN_MS_STEPS,
    default_frame_duration: Duration::from_millis(20),
    fmtp: None,
};

/// The G.711 companding law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// µ-law (North America, Japan): `PCMU`.
    MuLaw,
    /// A-law (Europe and most of the world): `PCMA`.
    ALaw,
}

impl Law {
    /// The codec description of this law.
    pub fn info(self) -> &'static CodecInfo {
        match self {
            Law::MuLaw => &PCMU,
            Law::ALaw => &PCMA,
        }
    }
}

/// Position of the highest set bit of `v` (`v > 0`).
const fn top_bit(v: u32) -> u32 {
    31 - v.leading_zeros()
}

/// Encodes one sample to µ-law, computed without tables (see the module
/// docs for how 16-bit samples map onto G.711).
pub const fn linear_to_ulaw(x: i16) -> u8 {
    let x = x as i32;
    let sign = x >> 31; // 0 or -1
    // One's-complement magnitude on the 14-bit scale (0..=8191), plus the
    // bias of 33 that makes the segment boundaries powers of two.
    let biased = ((x ^ sign) >> 2) + 33;
    // Inputs beyond the last decision value (8159) take the largest code.
    let biased = if biased > 0x1FFF { 0x1FFF } else { biased } as u32;
    let seg = top_bit(biased) - 5; // 33..=8191 -> 0..=7
    let mantissa = (biased >> (seg + 1)) & 0xF;
    let code = ((seg << 4) | mantissa) as u8;
    // Polarity bit 1 for positive values; bits 2 to 8 are inverted.
    code ^ (0x7F | (0x80 & !(sign as u8)))
}

/// Decodes one µ-law code to a 16-bit sample (G.711 Table 2 scaled by 4).
pub const fn ulaw_to_linear(code: u8) -> i16 {
    let u = !code;
    let seg = ((u >> 4) & 7) as i32;
    let mantissa = (u & 0xF) as i32;
    let magnitude = (((mantissa << 3) + 132) << seg) - 132;
    (if u & 0x80 != 0 { -magnitude } else { magnitude }) as i16
}

/// Encodes one sample to A-law, computed without tables (see the module
/// docs for how 16-bit samples map onto G.711).
pub const fn linear_to_alaw(x: i16) -> u8 {
    let x = x as i32;
    let sign = x >> 31;
    // One's-complement magnitude on the 12-bit magnitude scale (0..=4095).
    let magnitude = ((x ^ sign) >> 3) as u32;
    // Segments 0 and 1 have the same step (2); segment s > 0 spans
    // [16 << s, 32 << s).
    let seg = top_bit(magnitude | 31) - 4;
    let shift = if seg == 0 { 1 } else { seg };
    let mantissa = (magnitude >> shift) & 0xF;
    let code = ((seg << 4) | mantissa) as u8;
    // Sign bit 1 for positive values, then even-bit inversion.
    code ^ (0x55 | (0x80 & !(sign as u8)))
}

/// Decodes one A-law code to a 16-bit sample (G.711 Table 1 scaled by 8).
pub const fn alaw_to_linear(code: u8) -> i16 {
    let a = code ^ 0x55;
    let seg = ((a >> 4) & 7) as i32;
    let mantissa = (a & 0xF) as i32;
    let magnitude = if seg == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (seg - 1)
    };
    (if a & 0x80 != 0 { magnitude } else { -magnitude }) as i16
}

static ULAW_ENCODE: [u8; 1 << 14] = {
    let mut t = [0u8; 1 << 14];
    let mut i = 0;
    while i < t.len() {
        // Index = the top 14 bits of the sample as unsigned; the two low
        // bits never change the code.
        t[i] = linear_to_ulaw(((i << 2) as u16) as i16);
        i += 1;
    }
    t
};

static ALAW_ENCODE: [u8; 1 << 13] = {
    let mut t = [0u8; 1 << 13];
    let mut i = 0;
    while i < t.len() {
        t[i] = linear_to_alaw(((i << 3) as u16) as i16);
        i += 1;
    }
    t
};

static ULAW_DECODE: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = ulaw_to_linear(i as u8);
        i += 1;
    }
    t
};

static ALAW_DECODE: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = alaw_to_linear(i as u8);
        i += 1;
    }
    t
};

/// Encodes `pcm` to µ-law codes, one byte per sample, with the lookup table.
/// Encodes `min(pcm.len(), out.len())` samples.
pub fn encode_ulaw(pcm: &[i16], out: &mut [u8]) {
    for (o, &x) in out.iter_mut().zip(pcm) {
        *o = ULAW_ENCODE[usize::from(x as u16 >> 2)];
    }
}

/// Encodes `pcm` to A-law codes, one byte per sample, with the lookup table.
/// Encodes `min(pcm.len(), out.len())` samples.
pub fn encode_alaw(pcm: &[i16], out: &mut [u8]) {
    for (o, &x) in out.iter_mut().zip(pcm) {
        *o = ALAW_ENCODE[usize::from(x as u16 >> 3)];
    }
}

/// Decodes µ-law codes to PCM; decodes `min(codes.len(), out.len())`.
pub fn decode_ulaw(codes: &[u8], out: &mut [i16]) {
    for (o, &c) in out.iter_mut().zip(codes) {
        *o = ULAW_DECODE[usize::from(c)];
    }
}

/// Decodes A-law codes to PCM; decodes `min(codes.len(), out.len())`.
pub fn decode_alaw(codes: &[u8], out: &mut [i16]) {
    for (o, &c) in out.iter_mut().zip(codes) {
        *o = ALAW_DECODE[usize::from(c)];
    }
}

/// G.711 encoder: one byte per sample, stateless.
#[derive(Debug, Clone)]
pub struct G711Encoder {
    law: Law,
}

impl G711Encoder {
    /// A new encoder of `law`.
    pub fn new(law: Law) -> Self {
        Self { law }
    }

    /// The companding law.
    pub fn law(&self) -> Law {
        self.law
    }
}

impl Encoder for G711Encoder {
    fn info(&self) -> &'static CodecInfo {
        self.law.info()
    }

    fn max_payload_len(&self, samples: usize) -> usize {
        samples
    }

    fn encode(&mut self, pcm: &[i16], payload: &mut [u8]) -> Result<usize, Error> {
        let info = self.info();
        if info.frame_duration_of(pcm.len()).is_none() {
            return Err(Error::BadFrameSize {
                codec: info.name,
                samples: pcm.len(),
            });
        }
        check_len(pcm.len(), payload.len())?;
        match self.law {
            Law::MuLaw => encode_ulaw(pcm, payload),
            Law::ALaw => encode_alaw(pcm, payload),
        }
        Ok(pcm.len())
    }

    fn reset(&mut self) {}
}

/// G.711 decoder: one sample per byte.
///
/// [`conceal`](Decoder::conceal) substitutes lost frames by repeating the
/// last pitch period, in the style of G.711 Appendix I (fading to silence
/// after 35 ms), and [`decode`](Decoder::decode) blends the first frame after
/// a loss into it. Packets that arrive decode exactly as the standard says;
/// only the frame after a loss differs.
#[derive(Debug, Clone)]
pub struct G711Decoder {
    law: Law,
    plc: Plc,
}

impl G711Decoder {
    /// A new decoder of `law`.
    pub fn new(law: Law) -> Self {
        Self {
            law,
            plc: Plc::new(8000),
        }
    }

    /// The companding law.
    pub fn law(&self) -> Law {
        self.law
    }
}

impl Decoder for G711Decoder {
    fn info(&self) -> &'static CodecInfo {
        self.law.info()
    }

    fn decoded_len(&self, payload: &[u8]) -> Result<usize, Error> {
        Ok(payload.len())
    }

    fn decode(&mut self, payload: &[u8], pcm: &mut [i16]) -> Result<usize, Error> {
        check_len(payload.len(), pcm.len())?;
        let pcm = &mut pcm[..payload.len()];
        match self.law {
            Law::MuLaw => decode_ulaw(payload, pcm),
            Law::ALaw => decode_alaw(payload, pcm),
        }
        self.plc.good(pcm);
        Ok(payload.len())
    }

    fn conceal(&mut self, pcm: &mut [i16]) -> Result<usize, Error> {
        self.plc.conceal(pcm);
        Ok(pcm.len())
    }

    fn reset(&mut self) {
        self.plc = Plc::new(8000);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_match_computed() {
        for x in i16::MIN..=i16::MAX {
            let mut u = [0u8; 1];
            encode_ulaw(&[x], &mut u);
            assert_eq!(u[0], linear_to_ulaw(x), "µ-law {x}");
            let mut a = [0u8; 1];
            encode_alaw(&[x], &mut a);
            assert_eq!(a[0], linear_to_alaw(x), "A-law {x}");
        }
    }

    #[test]
    fn known_codes() {
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_ulaw(-1), 0x7F);
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(linear_to_alaw(-1), 0x55);
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
    }

    #[test]
    fn frame_api() {
        let mut enc = G711Encoder::new(Law::ALaw);
        let mut dec = G711Decoder::new(Law::ALaw);
        let pcm: Vec<i16> = (0..160).map(|i| (i * 300 - 24000) as i16).collect();
        let mut payload = [0u8; 160];
        assert_eq!(enc.encode(&pcm, &mut payload), Ok(160));
        let mut out = [0i16; 160];
        assert_eq!(dec.decode(&payload, &mut out), Ok(160));
        for (a, b) in pcm.iter().zip(&out) {
            assert!((i32::from(*a) - i32::from(*b)).abs() <= 512, "{a} {b}");
        }
        assert_eq!(
            enc.encode(&pcm[..100], &mut payload),
            Err(Error::BadFrameSize {
                codec: "PCMA",
                samples: 100
            })
        );
        assert_eq!(
            enc.encode(&pcm, &mut payload[..80]),
            Err(Error::BufferTooSmall {
                needed: 160,
                available: 80
            })
        );
        assert_eq!(
            dec.decode(&payload, &mut out[..10]),
            Err(Error::BufferTooSmall {
                needed: 160,
                available: 10
            })
        );
        assert_eq!(dec.decode(&[], &mut out), Ok(0));
    }
}
