//! G.729 (Annex A) through the system library bcg729, behind the opt-in
//! `g729` feature.
//!
//! **Licence: bcg729 is GPL-3.0-or-later.** A program built with the `g729`
//! feature links it and must be distributed under the GPL's terms; the rest
//! of this crate is MIT OR Apache-2.0. The feature is never on by default.
//! Building needs the library and its headers' package (Debian:
//! `libbcg729-dev`); this module declares the six functions it calls itself
//! (bcg729 1.1.1's `encoder.h` / `decoder.h`), no bindgen.
//!
//! # RTP (RFC 3551, section 4.5.6)
//!
//! `G729/8000`, static payload type 18, 8 kHz mono. A G.729 frame is 10 ms
//! (80 samples) in 10 bytes; a payload is zero or more such frames followed
//! by at most one 2-byte Annex B SID (silence insertion descriptor) frame,
//! so its length is `10 n` or `10 n + 2`. [`G729Decoder`] decodes both, the
//! SID frame into comfort noise (bcg729's Annex B decoder). [`G729Encoder`]
//! produces voice frames only (no VAD/DTX, as `a=fmtp:18 annexb=no` in
//! [`G729`] says): with VAD, a packet of several frames could not say which
//! of them were not sent.
//!
//! # Lost packets
//!
//! [`Decoder::conceal`] runs bcg729's frame erasure concealment (G.729
//! section 4.4: the last pitch and LP filter with decaying gains) once per
//! 10 ms. There is no FEC.
#![allow(
    unsafe_code,
    reason = "binds the bcg729 C library: every unsafe block says why it is sound"
)]

use core::fmt;
use core::ptr::NonNull;
use core::time::Duration;

use super::{CodecInfo, Decoder, Encoder, TEN_MS_STEPS, check_len};
use crate::Error;

/// `G729/8000`, static payload type 18 (RFC 3551), without Annex B.
pub const G729: CodecInfo = CodecInfo {
    name: "G729",
    payload_type: Some(18),
    sample_rate: 8000,
    clock_rate: 8000,
    channels: 1,
    rtpmap_channels: 1,
    frame_durations: TEN_MS_STEPS,
    default_frame_duration: Duration::from_millis(20),
    fmtp: Some("annexb=no"),
};

/// Samples of one G.729 frame (10 ms at 8 kHz).
const FRAME: usize = 80;
/// Bytes of one G.729 voice frame.
const VOICE_BYTES: usize = 10;
/// Bytes of one Annex B SID frame.
const SID_BYTES: usize = 2;

/// bcg729's encoder state (opaque).
#[repr(C)]
struct EncoderContext {
    _opaque: [u8; 0],
}

/// bcg729's decoder state (opaque).
#[repr(C)]
struct DecoderContext {
    _opaque: [u8; 0],
}

#[link(name = "bcg729")]
unsafe extern "C" {
    /// `bcg729EncoderChannelContextStruct *initBcg729EncoderChannel(uint8_t enableVAD)`
    fn initBcg729EncoderChannel(enable_vad: u8) -> *mut EncoderContext;
    /// `void closeBcg729EncoderChannel(bcg729EncoderChannelContextStruct *)`
    fn closeBcg729EncoderChannel(ctx: *mut EncoderContext);
    /// `void bcg729Encoder(ctx, const int16_t inputFrame[], uint8_t bitStream[],
    /// uint8_t *bitStreamLength)`: reads 80 samples, writes up to 10 bytes.
    fn bcg729Encoder(
        ctx: *mut EncoderContext,
        input: *const i16,
        bitstream: *mut u8,
        bitstream_len: *mut u8,
    );
    /// `bcg729DecoderChannelContextStruct *initBcg729DecoderChannel(void)`
    fn initBcg729DecoderChannel() -> *mut DecoderContext;
    /// `void closeBcg729DecoderChannel(bcg729DecoderChannelContextStruct *)`
    fn closeBcg729DecoderChannel(ctx: *mut DecoderContext);
    /// `void bcg729Decoder(ctx, const uint8_t bitStream[], uint8_t
    /// bitStreamLength, uint8_t frameErasureFlag, uint8_t SIDFrameFlag,
    /// uint8_t rfc3389PayloadFlag, int16_t signal[])`: reads
    /// `bitStreamLength` bytes (none if erased), writes 80 samples.
    fn bcg729Decoder(
        ctx: *mut DecoderContext,
        bitstream: *const u8,
        bitstream_len: u8,
        frame_erasure: u8,
        sid_frame: u8,
        rfc3389_payload: u8,
        signal: *mut i16,
    );
}

/// Rust's report of a failed allocation, for a bcg729 `init` that returned
/// NULL (bcg729 allocates its state with `malloc`).
fn bcg729_alloc_failed() -> ! {
    std::alloc::handle_alloc_error(std::alloc::Layout::new::<[u8; 4096]>())
}

/// Encodes 8 kHz PCM into G.729 frames (bcg729, no VAD).
pub struct G729Encoder {
    ctx: NonNull<EncoderContext>,
}

// SAFETY: the context is heap memory that only this value points to, and
// bcg729 keeps no other state (no globals, no thread-locals): moving it to
// another thread is as safe as moving a `Box`. It is not `Sync`.
unsafe impl Send for G729Encoder {}

impl fmt::Debug for G729Encoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("G729Encoder").finish_non_exhaustive()
    }
}

impl Default for G729Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G729Encoder {
    /// A new encoder (VAD off). Aborts like any Rust allocation if bcg729
    /// cannot allocate its state.
    pub fn new() -> Self {
        // SAFETY: takes a flag, returns a new context or NULL.
        let ctx = unsafe { initBcg729EncoderChannel(0) };
        match NonNull::new(ctx) {
            Some(ctx) => G729Encoder { ctx },
            None => bcg729_alloc_failed(),
        }
    }
}

impl Drop for G729Encoder {
    fn drop(&mut self) {
        // SAFETY: the context came from initBcg729EncoderChannel and is
        // freed once, here.
        unsafe { closeBcg729EncoderChannel(self.ctx.as_ptr()) }
    }
}

impl Encoder for G729Encoder {
    fn info(&self) -> &'static CodecInfo {
        &G729
    }

    fn max_payload_len(&self, samples: usize) -> usize {
        samples.div_ceil(FRAME).saturating_mul(VOICE_BYTES)
    }

    fn encode(&mut self, pcm: &[i16], payload: &mut [u8]) -> Result<usize, Error> {
        if G729.frame_duration_of(pcm.len()).is_none() {
            return Err(Error::BadFrameSize {
                codec: G729.name,
                samples: pcm.len(),
            });
        }
        let frames = pcm.len() / FRAME;
        check_len(frames * VOICE_BYTES, payload.len())?;
        for (input, out) in pcm
            .chunks_exact(FRAME)
            .zip(payload.chunks_exact_mut(VOICE_BYTES))
        {
            let mut len = 0u8;
            // SAFETY: `input` holds the 80 samples bcg729 reads, `out` the
            // 10 bytes it writes at most (VAD is off: always 10), `len` is
            // a valid u8, and the context is live and used by this thread
            // only (`&mut self`).
            unsafe {
                bcg729Encoder(
                    self.ctx.as_ptr(),
                    input.as_ptr(),
                    out.as_mut_ptr(),
                    &mut len,
                );
            }
            debug_assert_eq!(usize::from(len), VOICE_BYTES);
        }
        Ok(frames * VOICE_BYTES)
    }

    fn reset(&mut self) {
        *self = G729Encoder::new();
    }
}

/// Decodes G.729 payloads (voice frames and Annex B SID frames) with bcg729.
pub struct G729Decoder {
    ctx: NonNull<DecoderContext>,
}

// SAFETY: as for `G729Encoder`.
unsafe impl Send for G729Decoder {}

impl fmt::Debug for G729Decoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("G729Decoder").finish_non_exhaustive()
    }
}

impl Default for G729Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G729Decoder {
    /// A new decoder. Aborts like any Rust allocation if bcg729 cannot
    /// allocate its state.
    pub fn new() -> Self {
        // SAFETY: no arguments; returns a new context or NULL.
        let ctx = unsafe { initBcg729DecoderChannel() };
        match NonNull::new(ctx) {
            Some(ctx) => G729Decoder { ctx },
            None => bcg729_alloc_failed(),
        }
    }

    /// Runs bcg729's decoder on one frame: `bits` (10 bytes of voice, 2 of
    /// SID, or empty for an erased frame) into 80 samples of `out`.
    fn frame(&mut self, bits: &[u8], out: &mut [i16]) {
        debug_assert!(matches!(bits.len(), 0 | SID_BYTES | VOICE_BYTES));
        debug_assert_eq!(out.len(), FRAME);
        let erased = u8::from(bits.is_empty());
        let sid = u8::from(bits.len() == SID_BYTES);
        let ptr = if bits.is_empty() {
            core::ptr::null()
        } else {
            bits.as_ptr()
        };
        // SAFETY: bcg729 reads `bits.len()` bytes (10 or 2; none and a NULL
        // pointer for an erased frame, the call bcg729's own tools and the
        // codec-ref harness make) and writes 80 samples to `out`, which
        // holds 80 (the callers pass `chunks_exact_mut(FRAME)`); the
        // context is live and used by this thread only (`&mut self`).
        // Every bit pattern is a valid frame: the parameters are indices
        // that their bit widths keep within bcg729's tables.
        unsafe {
            bcg729Decoder(
                self.ctx.as_ptr(),
                ptr,
                bits.len() as u8,
                erased,
                sid,
                0,
                out.as_mut_ptr(),
            );
        }
    }
}

impl Drop for G729Decoder {
    fn drop(&mut self) {
        // SAFETY: the context came from initBcg729DecoderChannel and is
        // freed once, here.
        unsafe { closeBcg729DecoderChannel(self.ctx.as_ptr()) }
    }
}

impl Decoder for G729Decoder {
    fn info(&self) -> &'static CodecInfo {
        &G729
    }

    /// 80 samples per 10-byte voice frame and per 2-byte SID frame.
    fn decoded_len(&self, payload: &[u8]) -> Result<usize, Error> {
        let frames = payload.len() / VOICE_BYTES;
        match payload.len() % VOICE_BYTES {
            _ if payload.is_empty() => Err(Error::CorruptPayload {
                codec: G729.name,
                reason: "empty payload",
            }),
            0 => Ok(frames * FRAME),
            SID_BYTES => Ok((frames + 1) * FRAME),
            _ => Err(Error::CorruptPayload {
                codec: G729.name,
                reason: "length is not 10 n or 10 n + 2 bytes",
            }),
        }
    }

    fn decode(&mut self, payload: &[u8], pcm: &mut [i16]) -> Result<usize, Error> {
        let need = self.decoded_len(payload)?;
        check_len(need, pcm.len())?;
        let (voice, sid) = payload.split_at(payload.len() / VOICE_BYTES * VOICE_BYTES);
        let mut out = pcm[..need].chunks_exact_mut(FRAME);
        for (bits, o) in voice.chunks_exact(VOICE_BYTES).zip(&mut out) {
            self.frame(bits, o);
        }
        if !sid.is_empty() {
            if let Some(o) = out.next() {
                self.frame(sid, o);
            }
        }
        Ok(need)
    }

    /// bcg729's frame erasure concealment, once per 10 ms: `pcm.len()` must
    /// be a multiple of 80.
    fn conceal(&mut self, pcm: &mut [i16]) -> Result<usize, Error> {
        if pcm.len() % FRAME != 0 {
            return Err(Error::BadFrameSize {
                codec: G729.name,
                samples: pcm.len(),
            });
        }
        for o in pcm.chunks_exact_mut(FRAME) {
            self.frame(&[], o);
        }
        Ok(pcm.len())
    }

    fn reset(&mut self) {
        *self = G729Decoder::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description() {
        assert_eq!(G729.rtpmap().to_string(), "G729/8000");
        assert_eq!(G729.frame_duration_of(160), Some(Duration::from_millis(20)));
        let dec = G729Decoder::new();
        assert_eq!(dec.decoded_len(&[0; 20]), Ok(160));
        assert_eq!(dec.decoded_len(&[0; 22]), Ok(240));
        assert_eq!(dec.decoded_len(&[0; 2]), Ok(80));
        assert!(dec.decoded_len(&[0; 11]).is_err());
        assert!(dec.decoded_len(&[]).is_err());
    }
}
