//! Whatever the network or the caller passes, codecs return a value or a
//! typed error and never panic.

use linkus_media::Error;
use linkus_media::codec::Codec;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoders_take_any_payload(
        frames in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..700), 1..6),
        out_len in 0usize..1400,
        lost in proptest::collection::vec(any::<bool>(), 6),
    ) {
        for codec in Codec::ALL {
            let mut dec = codec.decoder();
            let mut out = vec![0i16; out_len];
            for (payload, &lost) in frames.iter().zip(&lost) {
                match dec.decoded_len(payload) {
                    Ok(need) => match dec.decode(payload, &mut out) {
                        Ok(n) => prop_assert_eq!(n, need),
                        Err(Error::BufferTooSmall { needed, available }) => {
                            prop_assert_eq!((needed, available), (need, out_len));
                        }
                        // Opus: a packet whose header is fine, its body not.
                        Err(Error::CorruptPayload { .. }) => {}
                        Err(e) => prop_assert!(false, "unexpected {e}"),
                    },
                    // A payload that is not a packet of the codec (Opus).
                    Err(e) => {
                        prop_assert!(matches!(e, Error::CorruptPayload { .. }), "{e}");
                        prop_assert_eq!(dec.decode(payload, &mut out), Err(e));
                    }
                }
                let _ = dec.decode_fec(payload, &mut out);
                if lost {
                    match dec.conceal(&mut out) {
                        Ok(n) => prop_assert_eq!(n, out_len),
                        // Opus conceals multiples of 2.5 ms only, G.729
                        // of 10 ms: never refused for whole 10 ms.
                        Err(Error::BadFrameSize { samples, .. }) => {
                            prop_assert_eq!(samples, out_len);
                            let ten_ms = dec.info().sample_rate as usize / 100;
                            prop_assert!(out_len % ten_ms != 0);
                        }
                        Err(e) => prop_assert!(false, "unexpected {e}"),
                    }
                }
            }
            dec.reset();
        }
    }

    #[test]
    fn encoders_take_any_buffer(
        pcm in proptest::collection::vec(any::<i16>(), 0..2000),
        out_len in 0usize..1200,
    ) {
        for codec in Codec::ALL {
            let mut enc = codec.encoder();
            let mut out = vec![0u8; out_len];
            let valid = codec.info().frame_duration_of(pcm.len()).is_some();
            match enc.encode(&pcm, &mut out) {
                Ok(n) => {
                    prop_assert!(valid);
                    prop_assert!(n <= enc.max_payload_len(pcm.len()));
                }
                Err(Error::BadFrameSize { samples, .. }) => {
                    prop_assert!(!valid);
                    prop_assert_eq!(samples, pcm.len());
                }
                Err(Error::BufferTooSmall { needed, available }) => {
                    prop_assert!(valid);
                    prop_assert_eq!(available, out_len);
                    prop_assert!(needed > out_len);
                }
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
        }
    }
}

#[test]
fn every_g722_code_in_every_state() {
    // All 256 codes after each prefix of a full-scale, alternating stream.
    let mut dec = Codec::G722.decoder();
    let mut out = [0i16; 2];
    for round in 0..64u8 {
        for code in 0..=255u8 {
            dec.decode(&[code ^ round.wrapping_mul(37)], &mut out)
                .unwrap();
        }
    }
}
