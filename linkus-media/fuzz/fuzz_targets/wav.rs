//! The WAV reader on arbitrary bytes (a file from a user, played as the
//! microphone by `WavFileDevice`). Checks that it never panics, that a
//! refused header is an `Error::Wav` (reading from memory cannot fail with
//! I/O errors), that an accepted one is mono or stereo 16-bit at a sane
//! rate, and that it never returns more samples than the bytes hold. The
//! samples are read in chunks of varying size (from the first byte), and
//! what was read is written back and read again, identically.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use linkus_media::Error;
use linkus_media::audio::wav::{MAX_SAMPLE_RATE, WavReader, WavWriter};

fuzz_target!(|data: &[u8]| {
    let chunk = data.first().map_or(1, |&b| usize::from(b % 64) + 1);
    let mut reader = match WavReader::new(data) {
        Ok(r) => r,
        Err(Error::Wav { .. }) => return,
        Err(e) => panic!("unexpected error {e:?}"),
    };
    let spec = reader.spec();
    assert!(spec.channels == 1 || spec.channels == 2);
    assert!(spec.sample_rate > 0 && spec.sample_rate <= MAX_SAMPLE_RATE);
    let mut all = Vec::new();
    let mut buf = vec![0i16; chunk];
    loop {
        let n = reader
            .read_samples(&mut buf)
            .expect("reading memory cannot fail");
        assert!(n <= buf.len());
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n]);
    }
    assert!(all.len() * 2 <= data.len());
    if let Some(declared) = reader.declared_samples() {
        assert!(all.len() as u64 <= declared);
    }
    let mut writer = WavWriter::new(Cursor::new(Vec::new()), spec).unwrap();
    writer.write_samples(&all).unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    let mut again = WavReader::new(&bytes[..]).unwrap();
    assert_eq!(again.spec(), spec);
    assert_eq!(again.read_to_end().unwrap(), all);
});
