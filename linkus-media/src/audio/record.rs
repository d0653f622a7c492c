//! Call recording (FEATURES D11) and the audio debug capture (FEATURES I5).

use std::collections::VecDeque;
use std::fs::{self, File};
use std::io::{BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use super::WriteSeek;
use super::wav::{WavSpec, WavWriter};
use crate::Error;

/// How a [`Recorder`] lays out the two directions of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingLayout {
    /// One channel: local and remote mixed (what a listener on the line
    /// would hear), saturating at full scale.
    Mono,
    /// Two channels: left is the local side (the microphone as sent),
    /// right the remote side (as played).
    Stereo,
}

/// Writes a call to a WAV stream as it happens.
///
/// The app gives it the local frames (after echo cancellation and gain,
/// as sent) and the remote frames (as played), both at the recorder's
/// rate, in any order: it pairs them up sample by sample. If one side
/// stops (hold, a device that stalls) for more than a second, the other is
/// written against silence so that the recording never lags behind. The
/// WAV header is updated every second, so a crash mid-call leaves a
/// playable file; [`finish`](Self::finish) writes the final header.
///
/// ```
/// use std::io::Cursor;
/// use linkus_media::audio::{Recorder, RecordingLayout};
///
/// let mut rec = Recorder::new(Cursor::new(Vec::new()), 8_000, RecordingLayout::Stereo)?;
/// rec.push_local(&[100; 160])?;
/// rec.push_remote(&[-100; 160])?;
/// let wav = rec.finish()?.into_inner();
/// assert_eq!(wav.len(), 44 + 160 * 2 * 2);
/// # Ok::<(), linkus_media::Error>(())
/// ```
#[derive(Debug)]
pub struct Recorder<W: Write + Seek> {
    writer: WavWriter<W>,
    layout: RecordingLayout,
    local: VecDeque<i16>,
    remote: VecDeque<i16>,
    /// Backlog of one side beyond which it is written against silence.
    max_backlog: usize,
    scratch: Vec<i16>,
}

impl<W: Write + Seek> Recorder<W> {
    /// A recorder of a call at `sample_rate` into `out`.
    ///
    /// # Errors
    ///
    /// [`Error::Wav`] for a rate the WAV writer refuses, [`Error::Io`] when
    /// writing the header fails.
    pub fn new(out: W, sample_rate: u32, layout: RecordingLayout) -> Result<Self, Error> {
        let channels = match layout {
            RecordingLayout::Mono => 1,
            RecordingLayout::Stereo => 2,
        };
        let writer = WavWriter::new(
            out,
            WavSpec {
                sample_rate,
                channels,
            },
        )?;
        Ok(Recorder {
            writer,
            layout,
            local: VecDeque::new(),
            remote: VecDeque::new(),
            max_backlog: sample_rate as usize,
            scratch: Vec::new(),
        })
    }

    /// The sample rate of the recording.
    pub fn sample_rate(&self) -> u32 {
        self.writer.spec().sample_rate
    }

    /// The layout being written.
    pub fn layout(&self) -> RecordingLayout {
        self.layout
    }

    /// Samples per channel written so far.
    pub fn samples_written(&self) -> u64 {
        self.writer.samples_written() / u64::from(self.writer.spec().channels)
    }

    /// Adds local samples (the microphone side, as sent).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when writing fails.
    pub fn push_local(&mut self, pcm: &[i16]) -> Result<(), Error> {
        self.local.extend(pcm);
        self.drain(false)
    }

    /// Adds remote samples (the far side, as played).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when writing fails.
    pub fn push_remote(&mut self, pcm: &[i16]) -> Result<(), Error> {
        self.remote.extend(pcm);
        self.drain(false)
    }

    /// Writes the samples both sides have; with `all`, or for a side more
    /// than a second ahead, also the rest against silence.
    fn drain(&mut self, all: bool) -> Result<(), Error> {
        let both = self.local.len().min(self.remote.len());
        let longest = self.local.len().max(self.remote.len());
        let n = if all || longest > self.max_backlog {
            longest
        } else {
            both
        };
        if n == 0 {
            return Ok(());
        }
        self.scratch.clear();
        for _ in 0..n {
            let l = self.local.pop_front().unwrap_or(0);
            let r = self.remote.pop_front().unwrap_or(0);
            match self.layout {
                RecordingLayout::Mono => {
                    let s = i32::from(l) + i32::from(r);
                    self.scratch
                        .push(s.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16);
                }
                RecordingLayout::Stereo => self.scratch.extend([l, r]),
            }
        }
        self.writer.write_samples(&self.scratch)
    }

    /// Writes what is buffered and the final header, and returns the
    /// stream.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when writing fails.
    pub fn finish(mut self) -> Result<W, Error> {
        self.drain(true)?;
        self.writer.finish()
    }
}

/// The audio debug capture (FEATURES I5): records calls for
/// troubleshooting into a directory, keeping **only the last call**.
///
/// [`start_call`](Self::start_call) deletes the previous call's files and
/// returns a stereo [`Recorder`] (left: local as sent, right: remote as
/// played) for the new call. Turning the capture off
/// ([`set_enabled(false)`](Self::set_enabled)) deletes the files; while it
/// is off no call is recorded. [`files`](Self::files) lists what to attach
/// to a feedback report (FEATURES J4).
///
/// Only files it made (named `linkus-debug-*.wav`) are ever deleted; the
/// directory may hold other things.
///
/// ```
/// use linkus_media::audio::DebugCapture;
///
/// let dir = std::env::temp_dir().join(format!("linkus-doc-debug-{}", std::process::id()));
/// let mut capture = DebugCapture::new(&dir);
/// let mut rec = capture.start_call("call-1", 16_000)?.expect("enabled");
/// rec.push_local(&[1; 320])?;
/// rec.push_remote(&[2; 320])?;
/// rec.finish()?;
/// let _second = capture.start_call("call-2", 16_000)?;
/// assert_eq!(capture.files()?.len(), 1); // call-1 is gone
/// capture.set_enabled(false)?;
/// assert!(capture.files()?.is_empty());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct DebugCapture {
    dir: PathBuf,
    enabled: bool,
}

const PREFIX: &str = "linkus-debug-";

impl DebugCapture {
    /// An enabled capture into `dir` (created when the first call starts).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        DebugCapture {
            dir: dir.into(),
            enabled: true,
        }
    }

    /// The directory the capture writes to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether calls are being captured.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Turns the capture on or off; off deletes the captured files.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when a file cannot be deleted.
    pub fn set_enabled(&mut self, enabled: bool) -> Result<(), Error> {
        self.enabled = enabled;
        if !enabled {
            self.clear()?;
        }
        Ok(())
    }

    /// The captured files (those of the last call).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the directory cannot be read.
    pub fn files(&self) -> Result<Vec<PathBuf>, Error> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut files = Vec::new();
        for entry in entries {
            let path = entry?.path();
            let ours = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(".wav"));
            if ours && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }

    /// Deletes the captured files.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when a file cannot be deleted.
    pub fn clear(&self) -> Result<(), Error> {
        for f in self.files()? {
            match fs::remove_file(&f) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        Ok(())
    }

    /// Starts capturing a new call: deletes the previous call's files and
    /// returns the recorder for this one, or `None` while the capture is
    /// off. `call_id` names the file (characters other than ASCII letters,
    /// digits, `-`, `_` and `.` become `_`; at most 64 are kept).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the directory or file cannot be made or the old
    /// files deleted; [`Error::Wav`] for a bad rate.
    pub fn start_call(
        &mut self,
        call_id: &str,
        sample_rate: u32,
    ) -> Result<Option<Recorder<Box<dyn WriteSeek>>>, Error> {
        if !self.enabled {
            return Ok(None);
        }
        self.clear()?;
        fs::create_dir_all(&self.dir)?;
        let id: String = call_id
            .chars()
            .take(64)
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = self.dir.join(format!("{PREFIX}{id}.wav"));
        let file: Box<dyn WriteSeek> = Box::new(BufWriter::new(File::create(path)?));
        Recorder::new(file, sample_rate, RecordingLayout::Stereo).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::wav::WavReader;
    use std::io::Cursor;

    #[test]
    fn mono_mixes_and_stereo_separates() {
        let mut rec = Recorder::new(Cursor::new(Vec::new()), 8000, RecordingLayout::Mono).unwrap();
        rec.push_remote(&[30_000, 5, 7]).unwrap();
        rec.push_local(&[30_000, -5]).unwrap();
        let wav = rec.finish().unwrap().into_inner();
        let got = WavReader::new(&wav[..]).unwrap().read_to_end().unwrap();
        assert_eq!(got, [32767, 0, 7]);

        let mut rec =
            Recorder::new(Cursor::new(Vec::new()), 8000, RecordingLayout::Stereo).unwrap();
        rec.push_local(&[1, 2]).unwrap();
        rec.push_remote(&[-1]).unwrap();
        assert_eq!(rec.samples_written(), 1);
        let wav = rec.finish().unwrap().into_inner();
        let got = WavReader::new(&wav[..]).unwrap().read_to_end().unwrap();
        assert_eq!(got, [1, -1, 2, 0]);
    }

    #[test]
    fn a_silent_side_does_not_hold_the_recording_back() {
        let mut rec =
            Recorder::new(Cursor::new(Vec::new()), 8000, RecordingLayout::Stereo).unwrap();
        for _ in 0..60 {
            rec.push_local(&[3; 160]).unwrap(); // 1.2 s, remote on hold
        }
        assert!(rec.samples_written() >= 8000);
    }

    #[test]
    fn debug_capture_keeps_only_the_last_call() {
        let dir = std::env::temp_dir().join(format!("linkus-debug-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("other.wav"), b"not ours").unwrap();
        let mut cap = DebugCapture::new(&dir);
        let rec = cap.start_call("a/b c", 16_000).unwrap().unwrap();
        rec.finish().unwrap();
        assert_eq!(cap.files().unwrap(), [dir.join("linkus-debug-a_b_c.wav")]);
        let mut rec = cap.start_call("second", 16_000).unwrap().unwrap();
        rec.push_local(&[1; 320]).unwrap();
        rec.push_remote(&[2; 320]).unwrap();
        rec.finish().unwrap();
        let files = cap.files().unwrap();
        assert_eq!(files, [dir.join("linkus-debug-second.wav")]);
        let mut r = WavReader::new(File::open(&files[0]).unwrap()).unwrap();
        assert_eq!(r.spec().channels, 2);
        assert_eq!(r.read_to_end().unwrap().len(), 640);
        cap.set_enabled(false).unwrap();
        assert!(cap.files().unwrap().is_empty());
        assert!(cap.start_call("third", 16_000).unwrap().is_none());
        assert!(dir.join("other.wav").exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
