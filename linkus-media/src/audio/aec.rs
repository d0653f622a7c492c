//! Acoustic echo cancellation (FEATURES I2).
//!
//! [`EchoCanceller`] is the interface the [`AudioPath`](super::AudioPath)
//! uses; [`Aec3`] is the default, WebRTC's AEC3 (adaptive linear filter,
//! echo-path delay estimation and a residual-echo suppressor) through the
//! pure-Rust [`aec3`] crate. An application can put its platform's echo
//! canceller (or a hardware one) behind the trait instead.
//!
//! Frames are mono `i16`, any whole number of 10 ms (so the 10 and 20 ms
//! of the codecs) at 8, 16, 32 or 48 kHz. AEC3 itself runs at 16, 32 or
//! 48 kHz; at 8 kHz [`Aec3`] up-samples both signals to 16 kHz and the
//! result back. AEC3 delays the capture signal by 8 ms (its 4 ms blocks
//! and band splitting); at 8 kHz the resamplers add about 3 ms.
//!
//! Measured on a synthetic echo path (speech through a 20–80 ms delay and
//! a decaying room response, −6 to −20 dB; `tests/audio_aec.rs`): ERLE of
//! 50 to 56 dB once converged (seconds 3 to 6) at 8, 16 and 48 kHz, with
//! near-end speech kept through double talk (correlation 0.78 to 0.98 with
//! the clean near-end signal, level within 2.5 dB).

use std::fmt;

use aec3::api::config::EchoCanceller3Config;
use aec3::api::control::EchoControl;
use aec3::audio_processing::aec3::echo_canceller3::EchoCanceller3;
use aec3::audio_processing::audio_buffer::AudioBuffer;

use super::Resampler;
use crate::Error;

/// What an echo canceller reports about the echo it sees.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EchoMetrics {
    /// Echo return loss: how much quieter the echo is than the far-end
    /// signal, in dB.
    pub erl_db: f64,
    /// Echo return loss enhancement: how much the canceller removes, in dB.
    pub erle_db: f64,
    /// The estimated echo-path delay, in ms.
    pub delay_ms: i32,
}

/// Removes the echo of the far-end signal (what the loudspeaker played)
/// from the capture signal (the microphone).
///
/// Call [`process`](Self::process) once per frame with the capture frame
/// and the far-end frame played in the same interval; the canceller finds
/// the echo path delay itself. When disabled it leaves the capture signal
/// untouched.
///
/// The trait does not require `Send`: [`Aec3`] is not `Send` (the `aec3`
/// crate keeps its block processor in a `Box<dyn Trait>` without a `Send`
/// bound), so make it, and the [`AudioPath`](super::AudioPath) that owns
/// it, on the thread that runs the call's audio.
pub trait EchoCanceller: fmt::Debug {
    /// The sample rate of both signals.
    fn sample_rate(&self) -> u32;

    /// Removes the echo of `far_end` from `capture`, in place. Both are one
    /// frame of the same length.
    ///
    /// # Errors
    ///
    /// [`Error::BadFrameSize`] if the lengths differ or are not a whole
    /// number of frames the canceller takes.
    fn process(&mut self, capture: &mut [i16], far_end: &[i16]) -> Result<(), Error>;

    /// Forgets the echo path (after a device switch, for instance).
    fn reset(&mut self);

    /// Turns cancellation on or off; turning it on starts from a reset.
    fn set_enabled(&mut self, enabled: bool);

    /// Whether cancellation is on.
    fn is_enabled(&self) -> bool;

    /// What the canceller measures, if it measures anything.
    fn metrics(&self) -> Option<EchoMetrics> {
        None
    }
}

/// WebRTC's AEC3 (adaptive linear filter, echo-path delay estimation and a
/// residual-echo suppressor) through the pure-Rust [`aec3`] crate: the
/// default [`EchoCanceller`].
///
/// Frames are mono `i16`, any whole number of 10 ms (so the 10 and 20 ms
/// of the codecs) at 8, 16, 32 or 48 kHz. AEC3 itself runs at 16, 32 or
/// 48 kHz; at 8 kHz both signals are up-sampled to 16 kHz and the result
/// back. AEC3 delays the capture signal by 8 ms (its 4 ms blocks and band
/// splitting); at 8 kHz the resamplers add about 3 ms. It is not `Send`
/// (see [`EchoCanceller`]).
///
/// Measured on a synthetic echo path (speech through a 20–80 ms delay and
/// a decaying room response, −6 to −20 dB; `tests/audio_aec.rs`): ERLE of
/// 50 to 56 dB once converged (seconds 3 to 6) at 8, 16 and 48 kHz, with
/// near-end speech kept through double talk (correlation 0.78 to 0.98 with
/// the clean near-end signal, level within 2.5 dB). About 125 µs per 20 ms
/// frame at 8 or 16 kHz, 230 µs at 48 kHz (`benches/audio.rs`).
///
/// ```
/// use linkus_media::audio::{Aec3, EchoCanceller};
///
/// let mut aec = Aec3::new(16_000)?;
/// let far_end = [0i16; 320]; // 20 ms played
/// let mut mic = [0i16; 320]; // 20 ms captured
/// aec.process(&mut mic, &far_end)?;
/// # Ok::<(), linkus_media::Error>(())
/// ```
pub struct Aec3 {
    rate: u32,
    /// The rate AEC3 runs at.
    inner_rate: u32,
    enabled: bool,
    aec: Box<EchoCanceller3>,
    render: Box<AudioBuffer>,
    capture: Box<AudioBuffer>,
    /// 8 kHz only: far end and capture up, capture down.
    resamplers: Option<Box<[Resampler; 3]>>,
    /// 8 kHz only: the up-sampled signals.
    far_up: Vec<i16>,
    cap_up: Vec<i16>,
}

impl fmt::Debug for Aec3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Aec3")
            .field("rate", &self.rate)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

fn new_aec3(rate: u32) -> Box<EchoCanceller3> {
    // `rate` is 16, 32 or 48 kHz, which is all EchoCanceller3 asserts.
    Box::new(EchoCanceller3::new(
        EchoCanceller3Config::default(),
        rate as i32,
        1,
        1,
    ))
}

fn new_buffer(rate: u32) -> Box<AudioBuffer> {
    let r = rate as usize;
    Box::new(AudioBuffer::from_sample_rates(r, 1, r, 1, r))
}

impl Aec3 {
    /// An enabled canceller for `sample_rate` (8000, 16000, 32000 or 48000).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for another rate.
    pub fn new(sample_rate: u32) -> Result<Self, Error> {
        let inner_rate = match sample_rate {
            8000 => 16_000,
            16_000 | 32_000 | 48_000 => sample_rate,
            _ => {
                return Err(Error::InvalidConfig {
                    reason: "echo canceller: the sample rate must be 8, 16, 32 or 48 kHz",
                });
            }
        };
        let resamplers = if inner_rate != sample_rate {
            Some(Box::new([
                Resampler::new(sample_rate, inner_rate)?,
                Resampler::new(sample_rate, inner_rate)?,
                Resampler::new(inner_rate, sample_rate)?,
            ]))
        } else {
            None
        };
        Ok(Aec3 {
            rate: sample_rate,
            inner_rate,
            enabled: true,
            aec: new_aec3(inner_rate),
            render: new_buffer(inner_rate),
            capture: new_buffer(inner_rate),
            resamplers,
            far_up: Vec::new(),
            cap_up: Vec::new(),
        })
    }

    /// Runs AEC3 on 10 ms chunks at the inner rate.
    fn run(&mut self, capture: &mut [i16], far_end: &[i16]) {
        let n = self.inner_rate as usize / 100;
        for (cap, far) in capture.chunks_exact_mut(n).zip(far_end.chunks_exact(n)) {
            for (d, &s) in self.render.channel_mut(0).iter_mut().zip(far) {
                *d = f32::from(s);
            }
            self.render.split_into_frequency_bands();
            self.aec.analyze_render(&mut self.render);
            for (d, &s) in self.capture.channel_mut(0).iter_mut().zip(cap.iter()) {
                *d = f32::from(s);
            }
            self.aec.analyze_capture(&mut self.capture);
            self.capture.split_into_frequency_bands();
            self.aec.process_capture(&mut self.capture, false);
            self.capture.merge_frequency_bands();
            for (d, &s) in cap.iter_mut().zip(self.capture.channel(0)) {
                *d = s.round().clamp(-32768.0, 32767.0) as i16;
            }
        }
    }
}

impl EchoCanceller for Aec3 {
    fn sample_rate(&self) -> u32 {
        self.rate
    }

    fn process(&mut self, capture: &mut [i16], far_end: &[i16]) -> Result<(), Error> {
        let ten_ms = self.rate as usize / 100;
        if capture.len() != far_end.len() || capture.len() % ten_ms != 0 {
            return Err(Error::BadFrameSize {
                codec: "AEC",
                samples: capture.len(),
            });
        }
        if !self.enabled {
            return Ok(());
        }
        let Some(rs) = self.resamplers.as_deref_mut() else {
            self.run(capture, far_end);
            return Ok(());
        };
        let up = rs[0].max_output(capture.len());
        let mut far_up = std::mem::take(&mut self.far_up);
        let mut cap_up = std::mem::take(&mut self.cap_up);
        far_up.resize(up, 0);
        cap_up.resize(up, 0);
        let nf = rs[0].process(far_end, &mut far_up)?;
        let nc = rs[1].process(capture, &mut cap_up)?;
        let n = nf.min(nc);
        self.run(&mut cap_up[..n], &far_up[..n]);
        let mut down = [0i16; 8];
        let rs = self.resamplers.as_deref_mut().map(|r| &mut r[2]);
        if let Some(down_rs) = rs {
            // 8 -> 16 -> 8 kHz is 2:1 exactly, so `capture` takes it all.
            let mut at = 0;
            for chunk in cap_up[..n].chunks(8) {
                let m = down_rs.process(chunk, &mut down)?;
                let m = m.min(capture.len() - at);
                capture[at..at + m].copy_from_slice(&down[..m]);
                at += m;
            }
        }
        self.far_up = far_up;
        self.cap_up = cap_up;
        Ok(())
    }

    fn reset(&mut self) {
        self.aec = new_aec3(self.inner_rate);
        if let Some(rs) = self.resamplers.as_deref_mut() {
            rs.iter_mut().for_each(Resampler::reset);
        }
    }

    fn set_enabled(&mut self, enabled: bool) {
        if enabled && !self.enabled {
            self.reset();
        }
        self.enabled = enabled;
    }

    fn is_enabled(&self) -> bool {
        self.enabled
    }

    fn metrics(&self) -> Option<EchoMetrics> {
        let m = self.aec.metrics();
        Some(EchoMetrics {
            erl_db: m.echo_return_loss,
            erle_db: m.echo_return_loss_enhancement,
            delay_ms: m.delay_ms,
        })
    }
}
