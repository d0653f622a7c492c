//! G.729 through bcg729 (the opt-in, GPL-3+ `g729` feature), through the
//! public API on real speech (the codec-ref test speech, 8 kHz): 10-byte
//! frames, packets of several frames, Annex B SID frames, frame erasure,
//! and typed errors for bad lengths.
#![cfg(feature = "g729")]

use linkus_media::Error;
use linkus_media::codec::g729::{G729, G729Decoder, G729Encoder};
use linkus_media::codec::{Codec, Decoder, Encoder};

const SPEECH_16K: &[u8] = include_bytes!("data/g722_speech.in.raw");

/// The 3 s of 16 kHz test speech at 8 kHz (3-tap low-pass, every other
/// sample).
fn speech_8k() -> Vec<i16> {
    let s: Vec<i32> = SPEECH_16K
        .chunks_exact(2)
        .map(|b| i32::from(i16::from_le_bytes([b[0], b[1]])))
        .collect();
    (0..s.len() / 2)
        .map(|i| {
            let prev = s[(2 * i).saturating_sub(1)];
            ((2 * s[2 * i] + s[(2 * i + 1).min(s.len() - 1)] + prev) / 4) as i16
        })
        .collect()
}

fn encode_all(pcm: &[i16], frame: usize) -> Vec<Vec<u8>> {
    let mut enc = G729Encoder::new();
    pcm.chunks_exact(frame)
        .map(|f| {
            let mut pkt = vec![0u8; enc.max_payload_len(frame)];
            let n = enc.encode(f, &mut pkt).unwrap();
            assert_eq!(n, frame / 8, "10 bytes per 80 samples");
            pkt.truncate(n);
            pkt
        })
        .collect()
}

fn decode_all(bits: &[Vec<u8>], frame: usize) -> Vec<i16> {
    let mut dec = G729Decoder::new();
    let mut out = vec![0i16; bits.len() * frame];
    for (pkt, o) in bits.iter().zip(out.chunks_mut(frame)) {
        assert_eq!(dec.decode(pkt, o), Ok(frame));
    }
    out
}

fn correlation(a: &[i16], b: &[i16]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    ab / (aa * bb).sqrt().max(1.0)
}

fn rms(x: &[i16]) -> f64 {
    (x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

#[test]
fn description_and_lookup() {
    assert_eq!(Codec::from_payload_type(18), Some(Codec::G729));
    assert_eq!(Codec::from_rtpmap("g729", 8000), Some(Codec::G729));
    assert!(Codec::ALL.contains(&Codec::G729));
    let info = Codec::G729.info();
    assert_eq!(info, &G729);
    assert_eq!(info.rtpmap().to_string(), "G729/8000");
    assert_eq!(info.fmtp, Some("annexb=no"));
    let mut dec = Codec::G729.decoder();
    assert_eq!(
        dec.decode_fec(&[0; 20], &mut [0; 160]),
        Err(Error::FecNotSupported { codec: "G729" })
    );
}

#[test]
fn speech_round_trip() {
    let input = speech_8k();
    let bits = encode_all(&input, 160);
    assert!(bits.iter().all(|p| p.len() == 20));
    let out = decode_all(&bits, 160);
    // The codec delay is a few ms: take the best lag up to 10 ms.
    let (lag, best) = (0..80)
        .map(|d| (d, correlation(&input[..input.len() - d], &out[d..])))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    eprintln!("G.729 round trip: correlation {best:.3} at lag {lag}");
    assert!(best > 0.75, "correlation {best} at lag {lag}");
    assert!(correlation(&input, &out) < best);
}

#[test]
fn packets_of_several_frames_decode_as_single_frames() {
    let input = speech_8k();
    // One 60 ms packet per 480 samples vs one 10 ms packet per 80: the same
    // bitstream, hence the same output.
    let big = encode_all(&input, 480);
    let small = encode_all(&input, 80);
    assert_eq!(big.concat(), small.concat());
    assert_eq!(decode_all(&big, 480), decode_all(&small, 80));
    // A 120 ms packet too.
    let mut dec = G729Decoder::new();
    let payload = small[..12].concat();
    let mut out = [0i16; 960];
    assert_eq!(dec.decoded_len(&payload), Ok(960));
    assert_eq!(dec.decode(&payload, &mut out), Ok(960));
}

/// An Annex B SID frame: predictor switch, first and second stage LSF
/// indices, energy index (15 bits, MSB first, then one zero bit).
fn sid(l0: u8, l1: u8, l2: u8, energy: u8) -> [u8; 2] {
    let bits = u16::from(l0 & 1) << 15
        | u16::from(l1 & 31) << 10
        | u16::from(l2 & 15) << 6
        | u16::from(energy & 31) << 1;
    bits.to_be_bytes()
}

#[test]
fn sid_frames_decode_to_comfort_noise() {
    let input = speech_8k();
    let bits = encode_all(&input, 160);
    let level = |energy: u8| {
        let mut dec = G729Decoder::new();
        let mut out = [0i16; 240];
        for pkt in &bits[..20] {
            dec.decode(pkt, &mut out[..160]).unwrap();
        }
        // Voice followed by a SID in one packet (RFC 3551: 10 n + 2 bytes).
        let mut payload = bits[20].clone();
        payload.extend_from_slice(&sid(0, 5, 3, energy));
        assert_eq!(dec.decoded_len(&payload), Ok(240));
        assert_eq!(dec.decode(&payload, &mut out), Ok(240));
        // Then SID-only packets, 10 ms each, 400 ms.
        let mut noise = Vec::new();
        for _ in 0..40 {
            let mut o = [0i16; 80];
            assert_eq!(dec.decode(&sid(0, 5, 3, energy), &mut o), Ok(80));
            noise.extend_from_slice(&o);
        }
        rms(&noise[160..])
    };
    let (quiet, loud) = (level(2), level(25));
    eprintln!("comfort noise rms: energy index 2 -> {quiet:.1}, 25 -> {loud:.1}");
    assert!(loud > 10.0, "comfort noise is not silence: {loud}");
    assert!(loud > 4.0 * quiet.max(0.5), "{quiet} vs {loud}");
}

#[test]
fn erasure_conceals_lost_frames() {
    let input = speech_8k();
    let bits = encode_all(&input, 160);
    let clean = decode_all(&bits, 160);
    let mut dec = G729Decoder::new();
    let mut out = vec![0i16; bits.len() * 160];
    let lost = 60;
    for (f, (pkt, o)) in bits.iter().zip(out.chunks_mut(160)).enumerate() {
        if f == lost {
            assert_eq!(dec.conceal(o), Ok(160));
        } else {
            assert_eq!(dec.decode(pkt, o), Ok(160));
        }
    }
    let seg = lost * 160..(lost + 1) * 160;
    // Not silence, and the frames before the loss are untouched.
    assert!(rms(&out[seg.clone()]) > 0.1 * rms(&clean[seg.clone()]));
    assert_eq!(out[..seg.start], clean[..seg.start]);
    // Decoding recovers: 200 ms later the output is close to the clean one.
    let later = (lost + 10) * 160..(lost + 20) * 160;
    assert!(correlation(&out[later.clone()], &clean[later]) > 0.9);

    assert_eq!(dec.conceal(&mut [0; 0]), Ok(0));
    assert_eq!(
        dec.conceal(&mut [0; 100]),
        Err(Error::BadFrameSize {
            codec: "G729",
            samples: 100
        })
    );
}

#[test]
fn bad_lengths_are_typed_errors() {
    let mut dec = G729Decoder::new();
    let mut out = [0i16; 1000];
    for n in [0, 1, 3, 9, 11, 13, 19, 21, 25] {
        let payload = vec![0x5Au8; n];
        assert!(
            matches!(
                dec.decode(&payload, &mut out),
                Err(Error::CorruptPayload { codec: "G729", .. })
            ),
            "{n} bytes"
        );
        assert!(dec.decoded_len(&payload).is_err());
    }
    assert_eq!(
        dec.decode(&[0; 20], &mut out[..159]),
        Err(Error::BufferTooSmall {
            needed: 160,
            available: 159
        })
    );
    // Any bytes of a valid length decode.
    let mut x = 0x1234_5678u32;
    for n in [2, 10, 12, 20, 22, 100] {
        let payload: Vec<u8> = (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        assert_eq!(
            dec.decode(&payload, &mut out),
            Ok((n / 10 + n % 10 / 2) * 80)
        );
    }

    let mut enc = G729Encoder::new();
    let mut pkt = [0u8; 200];
    for n in [0, 79, 81, 100, 1040] {
        assert_eq!(
            enc.encode(&vec![0; n], &mut pkt),
            Err(Error::BadFrameSize {
                codec: "G729",
                samples: n
            })
        );
    }
    assert_eq!(
        enc.encode(&[0; 160], &mut pkt[..19]),
        Err(Error::BufferTooSmall {
            needed: 20,
            available: 19
        })
    );
    assert_eq!(enc.max_payload_len(160), 20);
    enc.reset();
    dec.reset();
    assert_eq!(enc.encode(&[0; 160], &mut pkt), Ok(20));
    assert_eq!(dec.decode(&pkt[..20], &mut out), Ok(160));
}
