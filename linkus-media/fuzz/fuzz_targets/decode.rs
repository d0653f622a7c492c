//! Every decoder on a stream of packets from the network, with losses.
//!
//! Byte 0 picks the codec; then each packet is a length byte (`0xFF` = the
//! packet is lost: conceal `(next byte) * 2` samples), an output-buffer size
//! byte (in units of 4 samples), and that many payload bytes. Checks that
//! decode writes exactly `decoded_len` samples or reports the buffer as too
//! small (or, for Opus, the packet as corrupt), that concealment fills the
//! buffer (Opus: or refuses a length that is not a multiple of 2.5 ms), and
//! nothing panics.
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
            match dec.conceal(&mut out[..n]) {
                Ok(got) => assert_eq!(got, n),
                // Opus conceals multiples of 2.5 ms only.
                Err(e) => assert!(matches!(e, Error::BadFrameSize { samples, .. } if samples == n)),
            }
            rest = tail;
            continue;
        }
        let n = usize::from(*len).min(tail.len());
        let (payload, tail) = tail.split_at(n);
        match dec.decoded_len(payload) {
            Ok(need) => match dec.decode(payload, out) {
                Ok(got) => assert_eq!(got, need),
                // Opus: a packet whose header is fine, its body not.
                Err(Error::CorruptPayload { .. }) => {}
                Err(e) => assert_eq!(
                    e,
                    Error::BufferTooSmall {
                        needed: need,
                        available: out.len()
                    }
                ),
            },
            // Not a packet of this codec (Opus): decode says the same.
            Err(e) => assert_eq!(dec.decode(payload, out), Err(e)),
        }
        rest = tail;
    }
});
