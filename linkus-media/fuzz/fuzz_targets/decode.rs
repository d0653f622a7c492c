//! Every decoder on a stream of packets from the network, with losses.
//!
//! Byte 0 picks the codec; then each packet is a length byte (`0xFF` = the
//! packet is lost: conceal `(next byte) * 2` samples), an output-buffer size
//! byte (in units of 4 samples), and that many payload bytes. Checks that
//! decode writes exactly `decoded_len` samples or reports the buffer as too
//! small, that concealment fills the buffer, and nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkus_media::Error;
use linkus_media::codec::Codec;

fuzz_target!(|data: &[u8]| {
    let Some((&which, mut rest)) = data.split_first() else {
        return;
    };
    let codec = Codec::ALL[usize::from(which) % Codec::ALL.len()];
    let mut dec = codec.decoder();
    let mut out = vec![0i16; 255 * 4];
    while let [len, size, tail @ ..] = rest {
        let out = &mut out[..usize::from(*size) * 4];
        if *len == 0xFF {
            let n = (usize::from(*size) * 2).min(out.len());
            assert_eq!(dec.conceal(&mut out[..n]), Ok(n));
            rest = tail;
            continue;
        }
        let n = usize::from(*len).min(tail.len());
        let (payload, tail) = tail.split_at(n);
        let need = dec.decoded_len(payload).unwrap();
        match dec.decode(payload, out) {
            Ok(got) => assert_eq!(got, need),
            Err(e) => assert_eq!(
                e,
                Error::BufferTooSmall {
                    needed: need,
                    available: out.len()
                }
            ),
        }
        rest = tail;
    }
});
