//! A small RIFF/WAVE reader and writer for 16-bit PCM, mono or stereo, at
//! any sample rate.
//!
//! The reader takes files from users (a WAV file played as the microphone),
//! so it never panics: a header it cannot use is an [`Error::Wav`] naming
//! what is wrong, and a read failure is an [`Error::Io`]. It accepts
//! `WAVE_FORMAT_PCM` and `WAVE_FORMAT_EXTENSIBLE` with the PCM sub-format,
//! skips chunks it does not know (`LIST`, `fact`, ...), and reads a `data`
//! chunk that is shorter than its header says (a recording cut short) up
//! to the end of the file; a data size of `0xFFFF_FFFF` (streamed WAV) also
//! means "to the end of the file".
//!
//! The writer streams to any [`Write`] + [`Seek`]: it writes the header
//! first, then samples, and rewrites the RIFF and data sizes in the header
//! every [`header_interval`](WavWriter::set_header_interval) samples (one
//! second by default) and at [`finish`](WavWriter::finish), so a program
//! that dies mid-call leaves a file that plays up to the last update.
//!
//! ```
//! use std::io::Cursor;
//! use linkus_media::audio::wav::{WavReader, WavSpec, WavWriter};
//!
//! let spec = WavSpec { sample_rate: 16_000, channels: 1 };
//! let mut writer = WavWriter::new(Cursor::new(Vec::new()), spec)?;
//! writer.write_samples(&[0, 1000, -1000, 32767])?;
//! let bytes = writer.finish()?.into_inner();
//!
//! let mut reader = WavReader::new(&bytes[..])?;
//! assert_eq!(reader.spec(), spec);
//! let mut pcm = [0i16; 8];
//! assert_eq!(reader.read_samples(&mut pcm)?, 4);
//! assert_eq!(&pcm[..4], &[0, 1000, -1000, 32767]);
//! # Ok::<(), linkus_media::Error>(())
//! ```

use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};

use crate::Error;

/// `WAVE_FORMAT_PCM`.
const FORMAT_PCM: u16 = 1;
/// `WAVE_FORMAT_EXTENSIBLE`.
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;
/// The first two bytes of `KSDATAFORMAT_SUBTYPE_PCM`; the remaining 14 are
/// the fixed GUID tail below.
const PCM_GUID_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];
/// Chunks skipped before `fmt `/`data` are bounded, so a file of endless
/// tiny chunks ends with an error rather than a long loop.
const MAX_CHUNKS: usize = 64;
/// Highest sample rate accepted (inclusive).
pub const MAX_SAMPLE_RATE: u32 = 384_000;
/// Size of the header [`WavWriter`] writes.
const HEADER_LEN: u64 = 44;

/// The format of a WAV stream: 16-bit PCM, interleaved when stereo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavSpec {
    /// Samples per second per channel (1 to [`MAX_SAMPLE_RATE`]).
    pub sample_rate: u32,
    /// 1 (mono) or 2 (stereo, left first).
    pub channels: u16,
}

impl WavSpec {
    pub(crate) fn validate(self) -> Result<(), Error> {
        if !(1..=2).contains(&self.channels) {
            return Err(Error::Wav {
                reason: "only mono and stereo are supported",
            });
        }
        if self.sample_rate == 0 || self.sample_rate > MAX_SAMPLE_RATE {
            return Err(Error::Wav {
                reason: "sample rate out of range",
            });
        }
        Ok(())
    }

    fn block_align(self) -> u16 {
        self.channels * 2
    }
}

/// Reads 16-bit PCM samples from a WAV stream; see the [module](self) docs.
#[derive(Debug)]
pub struct WavReader<R> {
    inner: R,
    spec: WavSpec,
    /// Bytes of the data chunk not read yet (`None`: to the end of the file).
    remaining: Option<u64>,
    /// Bytes read from the data chunk so far.
    read: u64,
    /// An odd byte carried between reads.
    carry: Option<u8>,
    at_eof: bool,
}

/// Reads exactly `buf.len()` bytes; a short stream is a truncated header.
fn read_header<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<(), Error> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        ErrorKind::UnexpectedEof => Error::Wav {
            reason: "truncated header",
        },
        _ => Error::from(e),
    })
}

/// Skips `n` bytes of a chunk body.
fn skip<R: Read>(r: &mut R, n: u64) -> Result<(), Error> {
    let copied = std::io::copy(&mut r.by_ref().take(n), &mut std::io::sink())?;
    if copied < n {
        return Err(Error::Wav {
            reason: "truncated chunk before the data chunk",
        });
    }
    Ok(())
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Parses a `fmt ` chunk body.
fn parse_fmt(body: &[u8]) -> Result<WavSpec, Error> {
    if body.len() < 16 {
        return Err(Error::Wav {
            reason: "fmt chunk too short",
        });
    }
    let mut tag = u16_at(body, 0);
    let channels = u16_at(body, 2);
    let sample_rate = u32_at(body, 4);
    let byte_rate = u32_at(body, 8);
    let block_align = u16_at(body, 12);
    let bits = u16_at(body, 14);
    if tag == FORMAT_EXTENSIBLE {
        // cbSize, wValidBitsPerSample, dwChannelMask, SubFormat GUID.
        if body.len() < 40 {
            return Err(Error::Wav {
                reason: "WAVE_FORMAT_EXTENSIBLE fmt chunk too short",
            });
        }
        if body[26..40] != PCM_GUID_TAIL {
            return Err(Error::Wav {
                reason: "unsupported WAVE_FORMAT_EXTENSIBLE sub-format",
            });
        }
        tag = u16_at(body, 24);
        let valid = u16_at(body, 18);
        if valid != 0 && valid != 16 {
            return Err(Error::Wav {
                reason: "only 16-bit samples are supported",
            });
        }
    }
    if tag != FORMAT_PCM {
        return Err(Error::Wav {
            reason: "not PCM (compressed or floating-point WAV)",
        });
    }
    if bits != 16 {
        return Err(Error::Wav {
            reason: "only 16-bit samples are supported",
        });
    }
    let spec = WavSpec {
        sample_rate,
        channels,
    };
    spec.validate()?;
    if block_align != spec.block_align() {
        return Err(Error::Wav {
            reason: "block align does not match the channels",
        });
    }
    if u64::from(byte_rate) != u64::from(sample_rate) * u64::from(block_align) {
        return Err(Error::Wav {
            reason: "byte rate does not match the sample rate",
        });
    }
    Ok(spec)
}

impl<R: Read> WavReader<R> {
    /// Reads the header up to the start of the samples.
    ///
    /// # Errors
    ///
    /// [`Error::Wav`] when the stream is not RIFF/WAVE 16-bit PCM mono or
    /// stereo, or its header is malformed or truncated; [`Error::Io`] when
    /// reading fails.
    pub fn new(mut inner: R) -> Result<Self, Error> {
        let mut riff = [0u8; 12];
        read_header(&mut inner, &mut riff)?;
        if &riff[0..4] != b"RIFF" || &riff[8..12] != b"WAVE" {
            return Err(Error::Wav {
                reason: "not a RIFF/WAVE file",
            });
        }
        let mut spec = None;
        for _ in 0..MAX_CHUNKS {
            let mut head = [0u8; 8];
            read_header(&mut inner, &mut head)?;
            let size = u32_at(&head, 4);
            let padded = u64::from(size) + u64::from(size & 1);
            match &head[0..4] {
                b"fmt " => {
                    if spec.is_some() {
                        return Err(Error::Wav {
                            reason: "two fmt chunks",
                        });
                    }
                    if size > 1024 {
                        return Err(Error::Wav {
                            reason: "fmt chunk too long",
                        });
                    }
                    let mut body = vec![0u8; padded as usize];
                    read_header(&mut inner, &mut body)?;
                    spec = Some(parse_fmt(&body[..size as usize])?);
                }
                b"data" => {
                    let Some(spec) = spec else {
                        return Err(Error::Wav {
                            reason: "data chunk before the fmt chunk",
                        });
                    };
                    let remaining = (size != u32::MAX).then_some(u64::from(size));
                    return Ok(WavReader {
                        inner,
                        spec,
                        remaining,
                        read: 0,
                        carry: None,
                        at_eof: false,
                    });
                }
                _ => skip(&mut inner, padded)?,
            }
        }
        Err(Error::Wav {
            reason: "no data chunk within the first 64 chunks",
        })
    }

    /// The format of the samples.
    pub fn spec(&self) -> WavSpec {
        self.spec
    }

    /// Samples (over all channels) the header declares, if it declares a
    /// size; the file may hold fewer.
    pub fn declared_samples(&self) -> Option<u64> {
        self.remaining.map(|r| (r + self.read) / 2)
    }

    /// Reads interleaved samples into `out` and returns how many were read;
    /// 0 means the end of the data. A trailing odd byte is dropped, and a
    /// data chunk cut short ends where the stream ends.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when reading fails.
    pub fn read_samples(&mut self, out: &mut [i16]) -> Result<usize, Error> {
        let mut n = 0;
        let mut buf = [0u8; 1024];
        while n < out.len() && !self.at_eof {
            let want_samples = (out.len() - n).min(buf.len() / 2);
            let mut want = want_samples * 2;
            let mut filled = 0;
            if let Some(b) = self.carry.take() {
                buf[0] = b;
                filled = 1;
            }
            if let Some(r) = self.remaining {
                want = want.min(
                    usize::try_from(r)
                        .unwrap_or(usize::MAX)
                        .saturating_add(filled),
                );
            }
            if want <= filled {
                self.at_eof = true;
                break;
            }
            let got = loop {
                match self.inner.read(&mut buf[filled..want]) {
                    Ok(g) => break g,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e.into()),
                }
            };
            if got == 0 {
                self.at_eof = true;
                break;
            }
            if let Some(r) = &mut self.remaining {
                *r -= got as u64;
            }
            self.read += got as u64;
            let total = filled + got;
            let whole = total / 2;
            for (o, b) in out[n..n + whole].iter_mut().zip(buf.chunks_exact(2)) {
                *o = i16::from_le_bytes([b[0], b[1]]);
            }
            n += whole;
            if total % 2 == 1 {
                self.carry = Some(buf[total - 1]);
            }
        }
        Ok(n)
    }

    /// Reads all the remaining samples.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when reading fails.
    pub fn read_to_end(&mut self) -> Result<Vec<i16>, Error> {
        let mut all = Vec::new();
        let mut chunk = [0i16; 4096];
        loop {
            let n = self.read_samples(&mut chunk)?;
            if n == 0 {
                return Ok(all);
            }
            all.extend_from_slice(&chunk[..n]);
        }
    }
}

/// Writes 16-bit PCM samples to a WAV stream; see the [module](self) docs.
///
/// Dropping the writer without [`finish`](Self::finish) leaves the sizes of
/// the last header update in the file.
#[derive(Debug)]
pub struct WavWriter<W: Write + Seek> {
    inner: W,
    spec: WavSpec,
    /// Where the header starts in the stream.
    start: u64,
    /// Samples written (all channels).
    written: u64,
    /// `written` at the last header update.
    header_at: u64,
    interval: u64,
}

/// The largest data chunk a RIFF file can describe, in samples, rounded
/// down to a whole number of stereo frames.
const MAX_DATA_SAMPLES: u64 = (u32::MAX as u64 - HEADER_LEN) / 4 * 2;

impl<W: Write + Seek> WavWriter<W> {
    /// Writes the header (with empty sizes) at the stream's current
    /// position, which becomes the start of the file.
    ///
    /// # Errors
    ///
    /// [`Error::Wav`] for a spec other than mono/stereo at 1 Hz to
    /// [`MAX_SAMPLE_RATE`]; [`Error::Io`] when writing fails.
    pub fn new(mut inner: W, spec: WavSpec) -> Result<Self, Error> {
        spec.validate()?;
        let start = inner.stream_position()?;
        inner.write_all(&header(spec, 0))?;
        Ok(WavWriter {
            inner,
            spec,
            start,
            written: 0,
            header_at: 0,
            interval: u64::from(spec.sample_rate) * u64::from(spec.channels),
        })
    }

    /// Rewrites the header sizes every `samples` samples (over all
    /// channels) instead of every second; 0 only at [`finish`](Self::finish).
    pub fn set_header_interval(&mut self, samples: u64) {
        self.interval = samples;
    }

    /// The format being written.
    pub fn spec(&self) -> WavSpec {
        self.spec
    }

    /// Samples written so far (over all channels).
    pub fn samples_written(&self) -> u64 {
        self.written
    }

    /// Appends interleaved samples.
    ///
    /// # Errors
    ///
    /// [`Error::Wav`] when the file would exceed the 4 GiB a RIFF header
    /// can describe; [`Error::Io`] when writing fails.
    pub fn write_samples(&mut self, pcm: &[i16]) -> Result<(), Error> {
        if self.written + pcm.len() as u64 > MAX_DATA_SAMPLES {
            return Err(Error::Wav {
                reason: "a WAV file cannot exceed 4 GiB",
            });
        }
        let mut buf = [0u8; 1024];
        for chunk in pcm.chunks(buf.len() / 2) {
            for (b, s) in buf.chunks_exact_mut(2).zip(chunk) {
                b.copy_from_slice(&s.to_le_bytes());
            }
            self.inner.write_all(&buf[..chunk.len() * 2])?;
        }
        self.written += pcm.len() as u64;
        if self.interval > 0 && self.written - self.header_at >= self.interval {
            self.update_header()?;
        }
        Ok(())
    }

    /// Rewrites the RIFF and data sizes for the samples written so far and
    /// flushes the stream.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when seeking or writing fails.
    pub fn update_header(&mut self) -> Result<(), Error> {
        let data_len = self.written * 2;
        let end = self.start + HEADER_LEN + data_len;
        self.inner.seek(SeekFrom::Start(self.start))?;
        self.inner.write_all(&header(self.spec, data_len))?;
        self.inner.seek(SeekFrom::Start(end))?;
        self.inner.flush()?;
        self.header_at = self.written;
        Ok(())
    }

    /// Writes the final sizes and returns the stream.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when seeking or writing fails.
    pub fn finish(mut self) -> Result<W, Error> {
        self.update_header()?;
        Ok(self.inner)
    }
}

/// The 44-byte canonical header for `data_len` bytes of samples.
fn header(spec: WavSpec, data_len: u64) -> [u8; 44] {
    // `write_samples` keeps data_len + 36 below 4 GiB.
    let data_len = u32::try_from(data_len).unwrap_or(u32::MAX - 36);
    let mut h = [0u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(36 + data_len).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&FORMAT_PCM.to_le_bytes());
    h[22..24].copy_from_slice(&spec.channels.to_le_bytes());
    h[24..28].copy_from_slice(&spec.sample_rate.to_le_bytes());
    let byte_rate = spec.sample_rate * u32::from(spec.block_align());
    h[28..32].copy_from_slice(&byte_rate.to_le_bytes());
    h[32..34].copy_from_slice(&spec.block_align().to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_len.to_le_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn write(spec: WavSpec, pcm: &[i16]) -> Vec<u8> {
        let mut w = WavWriter::new(Cursor::new(Vec::new()), spec).unwrap();
        w.write_samples(pcm).unwrap();
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn round_trip_mono_and_stereo() {
        for spec in [
            WavSpec {
                sample_rate: 8000,
                channels: 1,
            },
            WavSpec {
                sample_rate: 44_100,
                channels: 2,
            },
        ] {
            let pcm: Vec<i16> = (0..5000).map(|i| (i * 37 % 65536 - 32768) as i16).collect();
            let bytes = write(spec, &pcm);
            assert_eq!(bytes.len(), 44 + pcm.len() * 2);
            let mut r = WavReader::new(&bytes[..]).unwrap();
            assert_eq!(r.spec(), spec);
            assert_eq!(r.declared_samples(), Some(pcm.len() as u64));
            assert_eq!(r.read_to_end().unwrap(), pcm);
        }
    }

    #[test]
    fn header_is_updated_while_writing() {
        let spec = WavSpec {
            sample_rate: 100,
            channels: 1,
        };
        let mut w = WavWriter::new(Cursor::new(Vec::new()), spec).unwrap();
        w.write_samples(&[1; 150]).unwrap();
        w.write_samples(&[2; 20]).unwrap();
        // Dropped here without finish: the header says 150 samples (the
        // update after the first second), the file holds 170.
        let bytes = w.inner.get_ref().clone();
        let mut r = WavReader::new(&bytes[..]).unwrap();
        assert_eq!(r.declared_samples(), Some(150));
        assert_eq!(r.read_to_end().unwrap(), vec![1; 150]);
    }

    #[test]
    fn skips_unknown_chunks_and_reads_extensible() {
        let mut b = Vec::new();
        b.extend_from_slice(b"RIFF\0\0\0\0WAVE");
        b.extend_from_slice(b"LIST\x03\0\0\0abc\0"); // odd size, padded
        b.extend_from_slice(b"fmt \x28\0\0\0");
        b.extend_from_slice(&FORMAT_EXTENSIBLE.to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&48_000u32.to_le_bytes());
        b.extend_from_slice(&192_000u32.to_le_bytes());
        b.extend_from_slice(&4u16.to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        b.extend_from_slice(&22u16.to_le_bytes()); // cbSize
        b.extend_from_slice(&16u16.to_le_bytes()); // valid bits
        b.extend_from_slice(&3u32.to_le_bytes()); // channel mask
        b.extend_from_slice(&FORMAT_PCM.to_le_bytes());
        b.extend_from_slice(&PCM_GUID_TAIL);
        b.extend_from_slice(b"data\xff\xff\xff\xff"); // streamed: to EOF
        b.extend_from_slice(&[1, 0, 2, 0, 3]); // odd tail byte dropped
        let mut r = WavReader::new(&b[..]).unwrap();
        assert_eq!(
            r.spec(),
            WavSpec {
                sample_rate: 48_000,
                channels: 2
            }
        );
        assert_eq!(r.declared_samples(), None);
        assert_eq!(r.read_to_end().unwrap(), vec![1, 2]);
    }

    #[test]
    fn rejects_bad_headers_with_typed_errors() {
        let good = write(
            WavSpec {
                sample_rate: 16_000,
                channels: 1,
            },
            &[1, 2, 3],
        );
        let patch = |at: usize, bytes: &[u8]| {
            let mut b = good.clone();
            b[at..at + bytes.len()].copy_from_slice(bytes);
            b
        };
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (Vec::new(), "truncated header"),
            (good[..20].to_vec(), "truncated header"),
            (patch(0, b"RIFX"), "not a RIFF/WAVE file"),
            (patch(8, b"AVI "), "not a RIFF/WAVE file"),
            (
                patch(20, &3u16.to_le_bytes()),
                "not PCM (compressed or floating-point WAV)",
            ),
            (
                patch(22, &3u16.to_le_bytes()),
                "only mono and stereo are supported",
            ),
            (
                patch(22, &0u16.to_le_bytes()),
                "only mono and stereo are supported",
            ),
            (patch(24, &0u32.to_le_bytes()), "sample rate out of range"),
            (
                patch(34, &8u16.to_le_bytes()),
                "only 16-bit samples are supported",
            ),
            (
                patch(32, &4u16.to_le_bytes()),
                "block align does not match the channels",
            ),
            (
                patch(28, &1u32.to_le_bytes()),
                "byte rate does not match the sample rate",
            ),
            (patch(16, &8u32.to_le_bytes()), "fmt chunk too short"),
            (
                patch(16, &0xFFFF_FFF0u32.to_le_bytes()),
                "fmt chunk too long",
            ),
            (patch(12, b"junk"), "data chunk before the fmt chunk"),
        ];
        for (bytes, reason) in cases {
            assert_eq!(
                WavReader::new(&bytes[..]).unwrap_err(),
                Error::Wav { reason },
                "{reason}"
            );
        }
    }

    #[test]
    fn data_chunk_cut_short_reads_to_the_end() {
        let mut b = write(
            WavSpec {
                sample_rate: 8000,
                channels: 1,
            },
            &[5; 10],
        );
        b.truncate(44 + 7);
        let mut r = WavReader::new(&b[..]).unwrap();
        assert_eq!(r.read_to_end().unwrap(), vec![5; 3]);
    }

    #[test]
    fn writer_rejects_bad_specs() {
        let spec = WavSpec {
            sample_rate: 8000,
            channels: 3,
        };
        assert!(matches!(
            WavWriter::new(Cursor::new(Vec::new()), spec),
            Err(Error::Wav { .. })
        ));
    }
}
