//! The audio pipeline of a call, between the platform's audio device and
//! the codec, sans-IO: nothing here reads a clock or starts a thread.
//!
//! ```text
//! capture:  AudioDevice → mono, codec rate → EchoCanceller → send Gain ─→ encoder → RTP
//! playback: RTP → jitter buffer → decoder / concealment → receive Gain ─→ codec → device rate → AudioDevice
//!                                                           └→ far-end reference of the EchoCanceller
//! ```
//!
//! - [`AudioPath`]: one call's audio through an [`AudioDevice`], with the
//!   user's settings (echo cancellation, send and receive gain: FEATURES
//!   I2), device switching mid-call with a cross-fade (I4), and call
//!   recording taps; the RTP side is
//!   [`AudioStream`](crate::stream::AudioStream).
//! - [`EchoCanceller`] and its default [`Aec3`] (WebRTC AEC3 in pure Rust).
//! - [`Gain`]: −20..+20 dB, saturating, ramped.
//! - [`AudioDevice`] with [`NullDevice`] and [`WavFileDevice`] for headless
//!   examples and tests; [`Resampler`] between device and codec rates.
//! - [`Mixer`]: local conferences of up to 9 legs, each hearing the others.
//! - [`Recorder`]: a call to WAV, mixed mono or stereo per direction (D11);
//!   [`DebugCapture`]: the audio debug capture that keeps only the last
//!   call (I5); [`RecordingTone`]: the beep that tells the parties.
//! - [`wav`]: the RIFF/WAVE 16-bit PCM reader and writer they use.

mod aec;
mod device;
mod gain;
mod mixer;
mod path;
mod record;
mod resample;
mod tone;
pub mod wav;

pub use aec::{Aec3, EchoCanceller, EchoMetrics};
pub use device::{AudioDevice, EndOfInput, NullDevice, WavFileDevice, WriteSeek};
pub use gain::Gain;
pub use mixer::{LegId, Mixer};
pub use path::{AudioConfig, AudioPath, RecordingId};
pub use record::{DebugCapture, Recorder, RecordingLayout};
pub use resample::{MAX_FACTOR, Resampler};
pub use tone::RecordingTone;
