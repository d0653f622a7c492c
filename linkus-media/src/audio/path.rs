//! One call's audio between the device and the codec.

use std::fmt;

use super::wav::MAX_SAMPLE_RATE;
use super::{
    Aec3, AudioDevice, EchoCanceller, Gain, Recorder, RecordingLayout, RecordingTone, Resampler,
    WriteSeek,
};
use crate::Error;

/// The user's audio settings for a call (FEATURES I2) and the codec's
/// rhythm.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioConfig {
    /// The codec's sample rate (8, 16, 32 or 48 kHz).
    pub sample_rate: u32,
    /// Samples per frame at `sample_rate`, a whole number of 10 ms (e.g.
    /// 320 for 20 ms at 16 kHz, the codec's frame).
    pub frame_samples: usize,
    /// Echo cancellation on (the default) or off.
    pub echo_cancellation: bool,
    /// Gain of the microphone signal before encoding, −20 to +20 dB.
    pub send_gain_db: f32,
    /// Gain of the decoded signal before playback, −20 to +20 dB.
    pub receive_gain_db: f32,
}

impl AudioConfig {
    /// Echo cancellation on, no gain, `frame_samples` at `sample_rate`.
    pub fn new(sample_rate: u32, frame_samples: usize) -> Self {
        AudioConfig {
            sample_rate,
            frame_samples,
            echo_cancellation: true,
            send_gain_db: 0.0,
            receive_gain_db: 0.0,
        }
    }
}

/// A device with its converters to and from the codec's rate and mono.
#[derive(Debug)]
struct DeviceIo {
    dev: Box<dyn AudioDevice>,
    /// Device to codec rate.
    down: Resampler,
    /// Codec to device rate.
    up: Resampler,
    /// Device samples per frame (all channels).
    dev_frame: usize,
    channels: usize,
    raw: Vec<i16>,
    mono: Vec<i16>,
    /// Capture at the codec rate, before it is cut to the frame.
    conv: Vec<i16>,
}

impl DeviceIo {
    fn new(dev: Box<dyn AudioDevice>, rate: u32, frame: usize) -> Result<Self, Error> {
        let dev_rate = dev.sample_rate();
        let channels = usize::from(dev.channels());
        if !(1..=2).contains(&channels) {
            return Err(Error::InvalidConfig {
                reason: "audio device: 1 or 2 channels",
            });
        }
        let per_frame = frame as u64 * u64::from(dev_rate);
        if dev_rate == 0 || dev_rate > MAX_SAMPLE_RATE || per_frame % u64::from(rate) != 0 {
            return Err(Error::InvalidConfig {
                reason: "audio device: its rate is over 384 kHz or does not give whole frames",
            });
        }
        let dev_samples = usize::try_from(per_frame / u64::from(rate)).unwrap_or(usize::MAX);
        let down = Resampler::new(dev_rate, rate)?;
        let up = Resampler::new(rate, dev_rate)?;
        let mono_len = dev_samples
            .max(down.max_output(dev_samples))
            .max(up.max_output(frame));
        Ok(DeviceIo {
            dev,
            dev_frame: dev_samples * channels,
            channels,
            raw: vec![0; dev_samples * channels],
            mono: vec![0; mono_len],
            conv: vec![0; down.max_output(dev_samples)],
            down,
            up,
        })
    }

    /// Captures one frame at the codec rate into `out`.
    fn capture(&mut self, out: &mut [i16]) -> Result<(), Error> {
        let n = self.dev.read_frame(&mut self.raw[..self.dev_frame])?;
        self.raw[n.min(self.dev_frame)..].fill(0);
        let frames = self.dev_frame / self.channels;
        if self.channels == 2 {
            for (m, lr) in self.mono.iter_mut().zip(self.raw.chunks_exact(2)) {
                *m = ((i32::from(lr[0]) + i32::from(lr[1])) / 2) as i16;
            }
        } else {
            self.mono[..frames].copy_from_slice(&self.raw[..frames]);
        }
        let got = self.down.process(&self.mono[..frames], &mut self.conv)?;
        // Whole 10 ms frames resample exactly; anything else is padded.
        let got = got.min(out.len());
        out[..got].copy_from_slice(&self.conv[..got]);
        out[got..].fill(0);
        Ok(())
    }

    /// Plays one frame given at the codec rate.
    fn play(&mut self, pcm: &[i16]) -> Result<(), Error> {
        let got = self.up.process(pcm, &mut self.mono)?;
        let frames = self.dev_frame / self.channels;
        self.mono[got.min(frames)..frames].fill(0);
        if self.channels == 2 {
            for (lr, &m) in self.raw.chunks_exact_mut(2).zip(&self.mono[..frames]) {
                lr[0] = m;
                lr[1] = m;
            }
        } else {
            self.raw[..frames].copy_from_slice(&self.mono[..frames]);
        }
        self.dev.write_frame(&self.raw[..self.dev_frame])
    }
}

/// A device being replaced: it fades out over the next captured and the
/// next played frame while the new one fades in.
#[derive(Debug)]
struct Switch {
    old: DeviceIo,
    captured: bool,
    played: bool,
}

/// Identifies a recording started with [`AudioPath::start_recording`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordingId(u32);

/// One call's audio between an [`AudioDevice`] and the codec, sans-IO.
///
/// Capture: device → mono, codec rate → echo cancellation → send gain →
/// [`capture`](Self::capture)'s frame, for the encoder
/// ([`AudioStream::send_frame`](crate::stream::AudioStream::send_frame)).
/// Playback: a decoded or concealed frame
/// ([`AudioStream::play_frame`](crate::stream::AudioStream::play_frame)) →
/// [`playback`](Self::playback) → receive gain → (the echo canceller's
/// far-end reference) → device rate and channels → device. The app calls
/// both once per frame interval; nothing here reads a clock or blocks.
///
/// The device can be [switched](Self::switch_device) mid-call (earpiece →
/// loudspeaker → Bluetooth, FEATURES I4): over the next captured frame
/// and the next played frame the old device fades out while the new one
/// fades in (a linear cross-fade, no gap), then the old one is finished
/// and handed back by [`take_previous_device`](Self::take_previous_device).
/// The echo canceller restarts, the echo path having changed.
///
/// An `AudioPath` is not `Send` (see [`EchoCanceller`]): make it on the
/// thread that runs the call's audio.
///
/// ```
/// use linkus_media::audio::{AudioConfig, AudioPath, NullDevice};
///
/// let mut path = AudioPath::new(Box::new(NullDevice::new(48_000, 2)), AudioConfig::new(16_000, 320))?;
/// let mut frame = [0i16; 320];
/// for _ in 0..5 {
///     path.capture(&mut frame)?; // then encode and send it
///     path.playback(&frame)?; // a decoded frame
/// }
/// path.switch_device(Box::new(NullDevice::new(16_000, 1)))?;
/// path.capture(&mut frame)?;
/// path.playback(&frame)?;
/// assert_eq!(path.take_previous_device().unwrap().sample_rate(), 48_000);
/// # Ok::<(), linkus_media::Error>(())
/// ```
pub struct AudioPath {
    cfg: AudioConfig,
    dev: DeviceIo,
    switch: Option<Switch>,
    previous: Option<Box<dyn AudioDevice>>,
    aec: Box<dyn EchoCanceller>,
    send_gain: Gain,
    recv_gain: Gain,
    /// The last frame played (after the receive gain): the far-end
    /// reference of the echo canceller.
    far_end: Vec<i16>,
    scratch: Vec<i16>,
    recordings: Vec<(RecordingId, Recorder<Box<dyn WriteSeek>>)>,
    next_recording: u32,
    /// The recording warning tone, sent and played, when on.
    tone: Option<[RecordingTone; 2]>,
}

impl fmt::Debug for AudioPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AudioPath")
            .field("cfg", &self.cfg)
            .field("device", &self.dev.dev.name())
            .field("switching", &self.switch.is_some())
            .field("aec", &self.aec)
            .field("recordings", &self.recordings.len())
            .finish_non_exhaustive()
    }
}

/// Linear cross-fade weight of the new signal at sample `i` of `n`.
fn fade_in(i: usize, n: usize) -> f32 {
    (i as f32 + 0.5) / n as f32
}

impl AudioPath {
    /// A path through `device` with the default echo canceller ([`Aec3`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a rate other than 8, 16, 32 or 48 kHz,
    /// a frame that is not a whole number of 10 ms, a gain out of range, or
    /// a device whose rate does not divide into whole frames or that has
    /// more than 2 channels.
    pub fn new(device: Box<dyn AudioDevice>, cfg: AudioConfig) -> Result<Self, Error> {
        let aec = Box::new(Aec3::new(cfg.sample_rate)?);
        Self::with_echo_canceller(device, cfg, aec)
    }

    /// A path with another [`EchoCanceller`] (the platform's, say).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new), and [`Error::InvalidConfig`] if the canceller
    /// runs at another rate.
    pub fn with_echo_canceller(
        device: Box<dyn AudioDevice>,
        cfg: AudioConfig,
        mut aec: Box<dyn EchoCanceller>,
    ) -> Result<Self, Error> {
        if !matches!(cfg.sample_rate, 8000 | 16_000 | 32_000 | 48_000) {
            return Err(Error::InvalidConfig {
                reason: "audio path: the rate must be 8, 16, 32 or 48 kHz",
            });
        }
        let ten_ms = cfg.sample_rate as usize / 100;
        if cfg.frame_samples == 0
            || cfg.frame_samples % ten_ms != 0
            || cfg.frame_samples > 12 * ten_ms
        {
            return Err(Error::InvalidConfig {
                reason: "audio path: the frame must be 10 to 120 ms in steps of 10 ms",
            });
        }
        if aec.sample_rate() != cfg.sample_rate {
            return Err(Error::InvalidConfig {
                reason: "audio path: the echo canceller runs at another rate",
            });
        }
        aec.set_enabled(cfg.echo_cancellation);
        let send_gain = Gain::new(cfg.send_gain_db)?;
        let recv_gain = Gain::new(cfg.receive_gain_db)?;
        let dev = DeviceIo::new(device, cfg.sample_rate, cfg.frame_samples)?;
        Ok(AudioPath {
            far_end: vec![0; cfg.frame_samples],
            scratch: vec![0; cfg.frame_samples],
            cfg,
            dev,
            switch: None,
            previous: None,
            aec,
            send_gain,
            recv_gain,
            recordings: Vec::new(),
            next_recording: 0,
            tone: None,
        })
    }

    /// The settings in effect.
    pub fn config(&self) -> &AudioConfig {
        &self.cfg
    }

    /// The device in use (the new one during a switch).
    pub fn device(&self) -> &dyn AudioDevice {
        &*self.dev.dev
    }

    /// The echo canceller (for its [`metrics`](EchoCanceller::metrics)).
    pub fn echo_canceller(&self) -> &dyn EchoCanceller {
        &*self.aec
    }

    /// Turns echo cancellation on or off.
    pub fn set_echo_cancellation(&mut self, on: bool) {
        self.cfg.echo_cancellation = on;
        self.aec.set_enabled(on);
    }

    /// Changes the send gain (ramped over 10 ms at 16 kHz).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] out of −20..=+20 dB; nothing changes.
    pub fn set_send_gain_db(&mut self, db: f32) -> Result<(), Error> {
        self.send_gain.set_db(db)?;
        self.cfg.send_gain_db = db;
        Ok(())
    }

    /// Changes the receive gain (ramped over 10 ms at 16 kHz).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] out of −20..=+20 dB; nothing changes.
    pub fn set_receive_gain_db(&mut self, db: f32) -> Result<(), Error> {
        self.recv_gain.set_db(db)?;
        self.cfg.receive_gain_db = db;
        Ok(())
    }

    /// Captures one frame for the encoder into `out`
    /// ([`frame_samples`](AudioConfig::frame_samples) long).
    ///
    /// # Errors
    ///
    /// [`Error::BadFrameSize`] for another length; what the device or the
    /// echo canceller reports.
    pub fn capture(&mut self, out: &mut [i16]) -> Result<(), Error> {
        self.check(out.len())?;
        self.dev.capture(out)?;
        if let Some(sw) = self.switch.as_mut().filter(|s| !s.captured) {
            sw.old.capture(&mut self.scratch)?;
            let n = out.len();
            for (i, (o, &old)) in out.iter_mut().zip(&self.scratch).enumerate() {
                let w = fade_in(i, n);
                *o = (f32::from(*o) * w + f32::from(old) * (1.0 - w)).round() as i16;
            }
            sw.captured = true;
            self.end_switch()?;
        }
        self.aec.process(out, &self.far_end)?;
        self.send_gain.process(out);
        if let Some([tx, _]) = self.tone.as_mut().filter(|_| !self.recordings.is_empty()) {
            tx.mix_into(out);
        }
        for (_, rec) in &mut self.recordings {
            rec.push_local(out)?;
        }
        Ok(())
    }

    /// Plays one decoded (or concealed) frame
    /// ([`frame_samples`](AudioConfig::frame_samples) long).
    ///
    /// # Errors
    ///
    /// [`Error::BadFrameSize`] for another length; what the device reports.
    pub fn playback(&mut self, pcm: &[i16]) -> Result<(), Error> {
        self.check(pcm.len())?;
        self.far_end.copy_from_slice(pcm);
        self.recv_gain.process(&mut self.far_end);
        for (_, rec) in &mut self.recordings {
            rec.push_remote(&self.far_end)?;
        }
        if let Some([_, rx]) = self.tone.as_mut().filter(|_| !self.recordings.is_empty()) {
            // After the far-end reference copy for the recorders, before
            // the device: the local user hears the beep too.
            rx.mix_into(&mut self.far_end);
        }
        if let Some(sw) = self.switch.as_mut().filter(|s| !s.played) {
            let n = pcm.len();
            for (i, (o, &s)) in self.scratch.iter_mut().zip(&self.far_end).enumerate() {
                *o = (f32::from(s) * (1.0 - fade_in(i, n))).round() as i16;
            }
            sw.old.play(&self.scratch)?;
            for (i, (o, &s)) in self.scratch.iter_mut().zip(&self.far_end).enumerate() {
                *o = (f32::from(s) * fade_in(i, n)).round() as i16;
            }
            sw.played = true;
            self.dev.play(&self.scratch)?;
            return self.end_switch();
        }
        self.dev.play(&self.far_end)
    }

    fn check(&self, len: usize) -> Result<(), Error> {
        if len != self.cfg.frame_samples {
            return Err(Error::BadFrameSize {
                codec: "audio path",
                samples: len,
            });
        }
        Ok(())
    }

    /// Finishes a switch whose fades are both done.
    fn end_switch(&mut self) -> Result<(), Error> {
        if self.switch.as_ref().is_some_and(|s| s.captured && s.played) {
            self.retire()?;
        }
        Ok(())
    }

    /// Finishes the old device of a switch and keeps it for
    /// `take_previous_device`.
    fn retire(&mut self) -> Result<(), Error> {
        if let Some(sw) = self.switch.take() {
            let mut old = sw.old.dev;
            let done = old.finish();
            self.previous = Some(old);
            done?;
        }
        Ok(())
    }

    /// Moves the call to `device`; see the [type](Self) docs. A switch
    /// still in progress is completed at once.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a device whose rate does not divide
    /// into whole frames or that has more than 2 channels (the call stays
    /// on the current device); what finishing the old device reports.
    pub fn switch_device(&mut self, device: Box<dyn AudioDevice>) -> Result<(), Error> {
        let new = DeviceIo::new(device, self.cfg.sample_rate, self.cfg.frame_samples)?;
        self.retire()?;
        let old = std::mem::replace(&mut self.dev, new);
        self.switch = Some(Switch {
            old,
            captured: false,
            played: false,
        });
        self.aec.reset();
        Ok(())
    }

    /// The device replaced by the last completed switch, finished.
    pub fn take_previous_device(&mut self) -> Option<Box<dyn AudioDevice>> {
        self.previous.take()
    }

    /// Turns the recording warning tone on or off (FEATURES D11: "parties
    /// may hear a tone"): while the path records, the default
    /// [`RecordingTone`] is mixed into what is sent and what is played
    /// (and so into the recording), starting when the first recording
    /// starts.
    pub fn set_recording_tone(&mut self, on: bool) {
        self.tone = on.then(|| {
            let t = RecordingTone::new(self.cfg.sample_rate);
            [t.clone(), t]
        });
    }

    /// Starts recording the call (local as captured and sent, remote as
    /// played) into `out` (FEATURES D11, or the debug capture of I5: see
    /// [`DebugCapture`](super::DebugCapture)).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when writing the header fails.
    pub fn start_recording(
        &mut self,
        out: Box<dyn WriteSeek>,
        layout: RecordingLayout,
    ) -> Result<RecordingId, Error> {
        let rec = Recorder::new(out, self.cfg.sample_rate, layout)?;
        self.add_recorder(rec)
    }

    /// Records the call with a recorder made elsewhere (e.g. by
    /// [`DebugCapture::start_call`](super::DebugCapture::start_call)); it
    /// must run at the path's rate.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if the recorder runs at another rate.
    pub fn add_recorder(
        &mut self,
        rec: Recorder<Box<dyn WriteSeek>>,
    ) -> Result<RecordingId, Error> {
        if rec.sample_rate() != self.cfg.sample_rate {
            return Err(Error::InvalidConfig {
                reason: "audio path: the recorder runs at another rate",
            });
        }
        if self.recordings.is_empty() {
            // A new recording beeps at once.
            self.tone
                .iter_mut()
                .flatten()
                .for_each(RecordingTone::reset);
        }
        let id = RecordingId(self.next_recording);
        self.next_recording = self.next_recording.wrapping_add(1);
        self.recordings.push((id, rec));
        Ok(id)
    }

    /// Stops a recording, writes its final header and returns its stream
    /// (`None` for an unknown id).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when writing fails.
    pub fn stop_recording(&mut self, id: RecordingId) -> Result<Option<Box<dyn WriteSeek>>, Error> {
        match self.recordings.iter().position(|(i, _)| *i == id) {
            Some(at) => self.recordings.remove(at).1.finish().map(Some),
            None => Ok(None),
        }
    }

    /// Ends the call's audio: stops the recordings and finishes the
    /// devices, and returns the device.
    ///
    /// # Errors
    ///
    /// The first error of a recording or device; all are still finished.
    pub fn finish(mut self) -> Result<Box<dyn AudioDevice>, Error> {
        let mut result = self.retire();
        for (_, rec) in self.recordings.drain(..) {
            let r = rec.finish().map(drop);
            result = result.and(r);
        }
        let mut dev = self.dev.dev;
        result.and(dev.finish())?;
        Ok(dev)
    }
}
