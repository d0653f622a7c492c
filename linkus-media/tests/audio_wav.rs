//! The WAV reader never panics on what users give it (the stable
//! counterpart of the `wav` fuzz target): arbitrary bytes, and valid files
//! with bytes of the header overwritten or the file cut short. A refused
//! file is an `Error::Wav`; an accepted one reads back at most what its
//! bytes hold, and what is read writes back and reads again identically.

use std::io::Cursor;

use linkus_media::Error;
use linkus_media::audio::wav::{MAX_SAMPLE_RATE, WavReader, WavSpec, WavWriter};
use proptest::prelude::*;

fn check(data: &[u8], chunk: usize) {
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
        let n = reader.read_samples(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n]);
    }
    assert!(all.len() * 2 <= data.len());
    let mut w = WavWriter::new(Cursor::new(Vec::new()), spec).unwrap();
    w.write_samples(&all).unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let mut again = WavReader::new(&bytes[..]).unwrap();
    assert_eq!(again.spec(), spec);
    assert_eq!(again.read_to_end().unwrap(), all);
}

fn valid(channels: u16, samples: &[i16]) -> Vec<u8> {
    let spec = WavSpec {
        sample_rate: 16_000,
        channels,
    };
    let mut w = WavWriter::new(Cursor::new(Vec::new()), spec).unwrap();
    w.write_samples(samples).unwrap();
    w.finish().unwrap().into_inner()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..200), chunk in 1usize..64) {
        check(&data, chunk);
    }

    #[test]
    fn mutated_headers(
        channels in 1u16..=2,
        samples in proptest::collection::vec(any::<i16>(), 0..64),
        edits in proptest::collection::vec((0usize..48, any::<u8>()), 1..4),
        cut in proptest::option::of(0usize..200),
        chunk in 1usize..64,
    ) {
        let mut data = valid(channels, &samples);
        for (at, b) in edits {
            if at < data.len() {
                data[at] = b;
            }
        }
        if let Some(cut) = cut {
            data.truncate(cut);
        }
        check(&data, chunk);
    }
}
