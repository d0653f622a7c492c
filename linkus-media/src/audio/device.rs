//! Audio devices: where the microphone signal comes from and where the
//! loudspeaker signal goes (FEATURES I4).
//!
//! [`AudioDevice`] is what a platform layer implements over its audio API
//! (earpiece, loudspeaker, Bluetooth headset, ...). The crate has two
//! implementations so that examples and tests run headless: [`NullDevice`]
//! (silence in, playback discarded) and [`WavFileDevice`] (a WAV file as
//! the microphone, playback recorded to a WAV file).

use std::fmt;
use std::fs::File;
use std::io::{BufReader, BufWriter, Seek, Write};
use std::path::Path;

use super::wav::{WavReader, WavSpec, WavWriter};
use crate::Error;

/// A platform audio device, driven one frame at a time.
///
/// Samples are `i16`, interleaved when [`channels`](Self::channels) is 2.
/// The device is pulled and pushed in the caller's rhythm (sans-IO): a real
/// device buffers between its audio callback and these calls.
pub trait AudioDevice: fmt::Debug + Send {
    /// A name for the user and for logs ("Speaker", "AirPods Pro", ...).
    fn name(&self) -> &str;

    /// The device's sample rate, the same for capture and playback.
    fn sample_rate(&self) -> u32;

    /// 1 or 2, the same for capture and playback.
    fn channels(&self) -> u16;

    /// Fills `pcm` with captured samples and returns how many it wrote; the
    /// caller treats a short read as silence for the rest of the frame.
    ///
    /// # Errors
    ///
    /// Whatever the platform reports; the crate's devices fail only with
    /// [`Error::Io`].
    fn read_frame(&mut self, pcm: &mut [i16]) -> Result<usize, Error>;

    /// Plays `pcm`.
    ///
    /// # Errors
    ///
    /// Whatever the platform reports; the crate's devices fail only with
    /// [`Error::Io`] or [`Error::Wav`].
    fn write_frame(&mut self, pcm: &[i16]) -> Result<(), Error>;

    /// Flushes what the device buffers (a recording's header, ...) when
    /// the device is no longer used.
    ///
    /// # Errors
    ///
    /// As [`write_frame`](Self::write_frame).
    fn finish(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

/// Silence in, playback discarded.
///
/// ```
/// use linkus_media::audio::{AudioDevice, NullDevice};
///
/// let mut dev = NullDevice::new(16_000, 1);
/// let mut pcm = [1i16; 320];
/// assert_eq!(dev.read_frame(&mut pcm)?, 320);
/// assert!(pcm.iter().all(|&s| s == 0));
/// assert_eq!(dev.samples_played(), 0);
/// dev.write_frame(&pcm)?;
/// assert_eq!(dev.samples_played(), 320);
/// # Ok::<(), linkus_media::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct NullDevice {
    rate: u32,
    channels: u16,
    played: u64,
}

impl NullDevice {
    /// A device at `sample_rate` with `channels` (1 or 2; anything else is
    /// taken as 1).
    pub fn new(sample_rate: u32, channels: u16) -> Self {
        NullDevice {
            rate: sample_rate,
            channels: channels.clamp(1, 2),
            played: 0,
        }
    }

    /// Samples given to [`write_frame`](AudioDevice::write_frame) so far.
    pub fn samples_played(&self) -> u64 {
        self.played
    }
}

impl AudioDevice for NullDevice {
    fn name(&self) -> &str {
        "null"
    }

    fn sample_rate(&self) -> u32 {
        self.rate
    }

    fn channels(&self) -> u16 {
        self.channels
    }

    fn read_frame(&mut self, pcm: &mut [i16]) -> Result<usize, Error> {
        pcm.fill(0);
        Ok(pcm.len())
    }

    fn write_frame(&mut self, pcm: &[i16]) -> Result<(), Error> {
        self.played += pcm.len() as u64;
        Ok(())
    }
}

/// What a [`WavFileDevice`] captures once its input file has been played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndOfInput {
    /// Start the file again.
    Loop,
    /// Capture silence ([`read_frame`](AudioDevice::read_frame) returns 0).
    Silence,
}

/// A stream a [`WavFileDevice`] records playback to.
pub trait WriteSeek: Write + Seek + Send {}
impl<T: Write + Seek + Send> WriteSeek for T {}

/// A WAV file played as the microphone, and playback recorded to a WAV
/// file, at the input file's rate and channels.
///
/// The input is read into memory when the device is made (a few seconds
/// of speech is typical). After the last sample the device loops or
/// captures silence, as [`EndOfInput`] says;
/// [`input_done`](Self::input_done) tells when the file has been played
/// once.
///
/// ```
/// use std::io::Cursor;
/// use linkus_media::audio::wav::WavSpec;
/// use linkus_media::audio::{AudioDevice, EndOfInput, WavFileDevice};
///
/// let spec = WavSpec { sample_rate: 8_000, channels: 1 };
/// let mut dev = WavFileDevice::from_samples("test", spec, vec![7; 100], EndOfInput::Silence)?;
/// dev.record_to(Box::new(Cursor::new(Vec::new())))?;
/// let mut pcm = [0i16; 80];
/// assert_eq!(dev.read_frame(&mut pcm)?, 80);
/// assert_eq!(dev.read_frame(&mut pcm)?, 20);
/// assert!(dev.input_done());
/// dev.write_frame(&pcm)?;
/// dev.finish()?;
/// # Ok::<(), linkus_media::Error>(())
/// ```
pub struct WavFileDevice {
    name: String,
    spec: WavSpec,
    input: Vec<i16>,
    pos: usize,
    end: EndOfInput,
    done: bool,
    output: Option<WavWriter<Box<dyn WriteSeek>>>,
}

impl fmt::Debug for WavFileDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WavFileDevice")
            .field("name", &self.name)
            .field("spec", &self.spec)
            .field("samples", &self.input.len())
            .field("pos", &self.pos)
            .field("end", &self.end)
            .field("recording", &self.output.is_some())
            .finish()
    }
}

impl WavFileDevice {
    /// Reads `input` (a 16-bit PCM WAV file) as the microphone; when
    /// `output` is given, playback is recorded to a new WAV file there.
    ///
    /// # Errors
    ///
    /// [`Error::Wav`] for a file the [`WavReader`] refuses, [`Error::Io`]
    /// when a file cannot be read or created.
    pub fn open(
        input: impl AsRef<Path>,
        output: Option<&Path>,
        end: EndOfInput,
    ) -> Result<Self, Error> {
        let path = input.as_ref();
        let mut reader = WavReader::new(BufReader::new(File::open(path)?))?;
        let spec = reader.spec();
        let samples = reader.read_to_end()?;
        let mut dev = Self::from_samples(path.display().to_string(), spec, samples, end)?;
        if let Some(out) = output {
            dev.record_to(Box::new(BufWriter::new(File::create(out)?)))?;
        }
        Ok(dev)
    }

    /// A device playing `samples` (interleaved as `spec` says) as the
    /// microphone, recording nothing until [`record_to`](Self::record_to).
    ///
    /// # Errors
    ///
    /// [`Error::Wav`] if `spec` is not mono or stereo at a valid rate.
    pub fn from_samples(
        name: impl Into<String>,
        spec: WavSpec,
        mut samples: Vec<i16>,
        end: EndOfInput,
    ) -> Result<Self, Error> {
        spec.validate()?;
        samples.truncate(samples.len() / usize::from(spec.channels) * usize::from(spec.channels));
        Ok(WavFileDevice {
            name: name.into(),
            spec,
            input: samples,
            pos: 0,
            end,
            done: false,
            output: None,
        })
    }

    /// Records playback from now on to `out` (replacing any previous
    /// recording, which is finished first).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when writing fails.
    pub fn record_to(&mut self, out: Box<dyn WriteSeek>) -> Result<(), Error> {
        if let Some(old) = self.output.take() {
            old.finish()?;
        }
        self.output = Some(WavWriter::new(out, self.spec)?);
        Ok(())
    }

    /// Whether the whole input file has been captured at least once.
    pub fn input_done(&self) -> bool {
        self.done
    }

    /// The format of the input (and of the recording).
    pub fn spec(&self) -> WavSpec {
        self.spec
    }

    /// Ends the recording and returns its stream, if there was one.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when writing the header fails.
    pub fn take_recording(&mut self) -> Result<Option<Box<dyn WriteSeek>>, Error> {
        self.output.take().map(WavWriter::finish).transpose()
    }
}

impl AudioDevice for WavFileDevice {
    fn name(&self) -> &str {
        &self.name
    }

    fn sample_rate(&self) -> u32 {
        self.spec.sample_rate
    }

    fn channels(&self) -> u16 {
        self.spec.channels
    }

    fn read_frame(&mut self, pcm: &mut [i16]) -> Result<usize, Error> {
        let mut n = 0;
        while n < pcm.len() {
            if self.pos == self.input.len() {
                self.done = true;
                if self.end == EndOfInput::Silence || self.input.is_empty() {
                    break;
                }
                self.pos = 0;
            }
            let take = (pcm.len() - n).min(self.input.len() - self.pos);
            pcm[n..n + take].copy_from_slice(&self.input[self.pos..self.pos + take]);
            self.pos += take;
            n += take;
        }
        if self.pos == self.input.len() {
            self.done = true;
        }
        pcm[n..].fill(0);
        Ok(n)
    }

    fn write_frame(&mut self, pcm: &[i16]) -> Result<(), Error> {
        match &mut self.output {
            Some(w) => w.write_samples(pcm),
            None => Ok(()),
        }
    }

    fn finish(&mut self) -> Result<(), Error> {
        match &mut self.output {
            Some(w) => w.update_header(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_or_goes_silent() {
        let spec = WavSpec {
            sample_rate: 8000,
            channels: 1,
        };
        let samples: Vec<i16> = (1..=5).collect();
        let mut d =
            WavFileDevice::from_samples("l", spec, samples.clone(), EndOfInput::Loop).unwrap();
        let mut pcm = [0i16; 7];
        assert_eq!(d.read_frame(&mut pcm).unwrap(), 7);
        assert_eq!(pcm, [1, 2, 3, 4, 5, 1, 2]);
        assert!(d.input_done());
        let mut d = WavFileDevice::from_samples("s", spec, samples, EndOfInput::Silence).unwrap();
        assert_eq!(d.read_frame(&mut pcm).unwrap(), 5);
        assert_eq!(pcm, [1, 2, 3, 4, 5, 0, 0]);
        assert_eq!(d.read_frame(&mut pcm).unwrap(), 0);
        // An empty file loops to silence rather than spinning.
        let mut d = WavFileDevice::from_samples("e", spec, vec![], EndOfInput::Loop).unwrap();
        assert_eq!(d.read_frame(&mut pcm).unwrap(), 0);
    }

    #[test]
    fn records_playback_to_a_file() {
        let dir = std::env::temp_dir().join(format!("linkus-wavdev-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (mic, spk) = (dir.join("mic.wav"), dir.join("spk.wav"));
        let spec = WavSpec {
            sample_rate: 16_000,
            channels: 2,
        };
        let mut w = WavWriter::new(File::create(&mic).unwrap(), spec).unwrap();
        w.write_samples(&[1, -1, 2, -2]).unwrap();
        w.finish().unwrap();
        let mut d = WavFileDevice::open(&mic, Some(&spk), EndOfInput::Loop).unwrap();
        assert_eq!((d.sample_rate(), d.channels()), (16_000, 2));
        let mut pcm = [0i16; 6];
        d.read_frame(&mut pcm).unwrap();
        assert_eq!(pcm, [1, -1, 2, -2, 1, -1]);
        d.write_frame(&pcm).unwrap();
        d.finish().unwrap();
        let mut r = WavReader::new(File::open(&spk).unwrap()).unwrap();
        assert_eq!(r.spec(), spec);
        assert_eq!(r.read_to_end().unwrap(), pcm);
        assert!(matches!(
            WavFileDevice::open(dir.join("missing.wav"), None, EndOfInput::Loop),
            Err(Error::Io { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
