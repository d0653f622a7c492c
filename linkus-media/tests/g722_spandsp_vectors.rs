//! G.722 is bit-exact with spandsp: encoder output equals spandsp's bitstream
//! byte for byte, decoder output equals spandsp's decoded PCM sample for
//! sample. The vectors under `tests/data/` were made by
//! `tests/ref/gen_g722_vectors.sh` (see `tests/data/README.md`); this test
//! needs no C library.

use linkus_media::codec::g722::{G722Decoder, G722Encoder};
use linkus_media::codec::{Codec, Decoder};

const FRAME: usize = 320;

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn pcm(name: &str) -> Vec<i16> {
    data(name)
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// The noise input, regenerated exactly as `g722_ref noise` makes it.
fn noise(samples: usize, mut seed: u32) -> Vec<i16> {
    (0..samples)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed >> 16) as u16 as i16
        })
        .collect()
}

fn random_bytes(count: usize, mut seed: u32) -> Vec<u8> {
    (0..count)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed >> 24) as u8
        })
        .collect()
}

/// Encodes in 20 ms frames through the `Encoder` trait, as spandsp was driven.
fn encode(input: &[i16]) -> Vec<u8> {
    let mut enc = Codec::G722.encoder();
    let mut out = vec![0u8; input.len() / 2];
    for (pcm, bytes) in input.chunks(FRAME).zip(out.chunks_mut(FRAME / 2)) {
        assert_eq!(enc.encode(pcm, bytes), Ok(FRAME / 2));
    }
    out
}

fn decode(bits: &[u8]) -> Vec<i16> {
    let mut dec = Codec::G722.decoder();
    let mut out = vec![0i16; bits.len() * 2];
    for (bytes, pcm) in bits.chunks(FRAME / 2).zip(out.chunks_mut(FRAME)) {
        assert_eq!(dec.decode(bytes, pcm), Ok(FRAME));
    }
    out
}

/// Our decoder saturates where the receive QMF exceeds 16 bits; spandsp
/// 0.0.6 lets the value wrap around (a full-scale click). Everywhere else
/// the output must be identical, and where they differ ours must sit on the
/// rail that spandsp's wrapped value crossed. Returns how many differ.
/// (The unit test `wrapping_output_is_spandsp_exact` checks those samples
/// exactly, with the decoder's output wrapping like spandsp's.)
fn same_but_saturated(ours: &[i16], theirs: &[i16]) -> usize {
    assert_eq!(ours.len(), theirs.len());
    let mut clipped = 0;
    for (i, (&a, &b)) in ours.iter().zip(theirs).enumerate() {
        if a != b {
            assert!(
                (a == i16::MAX && b < 0) || (a == i16::MIN && b >= 0),
                "sample {i}: ours {a}, spandsp {b}"
            );
            clipped += 1;
        }
    }
    clipped
}

fn first_mismatch<T: PartialEq + std::fmt::Debug>(ours: &[T], theirs: &[T]) {
    assert_eq!(ours.len(), theirs.len());
    if let Some(i) = ours.iter().zip(theirs).position(|(a, b)| a != b) {
        panic!(
            "first difference at index {i}: ours {:?}, spandsp {:?}",
            &ours[i..(i + 8).min(ours.len())],
            &theirs[i..(i + 8).min(theirs.len())]
        );
    }
}

#[test]
fn speech_decoder_matches_spandsp() {
    let bits = data("g722_speech.g722");
    assert_eq!(bits.len(), 150 * 160);
    first_mismatch(&decode(&bits), &pcm("g722_speech.dec.raw"));
}

#[test]
fn speech_encoder_matches_spandsp() {
    let input = pcm("g722_speech.in.raw");
    assert_eq!(input.len(), 150 * FRAME);
    first_mismatch(&encode(&input), &data("g722_speech.g722"));
}

#[test]
fn noise_encoder_and_decoder_match_spandsp() {
    let input = noise(16_000, 0x2545_F491);
    let bits = encode(&input);
    first_mismatch(&bits, &data("g722_noise.g722"));
    // 16 of the 16000 samples overflow (full-scale noise).
    let clipped = same_but_saturated(&decode(&bits), &pcm("g722_noise.dec.raw"));
    assert_eq!(clipped, 16);
}

#[test]
fn random_bitstream_decoder_matches_spandsp() {
    let bits = random_bytes(8000, 0x9E37_79B9);
    assert_eq!(bits, data("g722_random.g722"));
    // Random codes drive the decoder far harder: 58 of 16000 overflow.
    let clipped = same_but_saturated(&decode(&bits), &pcm("g722_random.dec.raw"));
    assert_eq!(clipped, 58);
}

#[test]
fn frame_size_does_not_change_the_result() {
    // The same stream encoded in one call and in odd-sized pieces.
    let input = noise(4000, 7);
    let mut whole = vec![0u8; 2000];
    G722Encoder::new()
        .encode_samples(&input, &mut whole)
        .unwrap();
    let mut pieces = vec![0u8; 2000];
    let mut enc = G722Encoder::new();
    let mut at = 0;
    for len in [2usize, 6, 640, 1000, 352].into_iter().cycle() {
        if at == input.len() {
            break;
        }
        let len = len.min(input.len() - at);
        enc.encode_samples(&input[at..at + len], &mut pieces[at / 2..])
            .unwrap();
        at += len;
    }
    assert_eq!(whole, pieces);

    let mut a = vec![0i16; 4000];
    G722Decoder::new().decode(&whole, &mut a).unwrap();
    let mut b = vec![0i16; 4000];
    let mut dec = G722Decoder::new();
    let mut at = 0;
    for len in [1usize, 3, 200, 161].into_iter().cycle() {
        if at == whole.len() {
            break;
        }
        let len = len.min(whole.len() - at);
        dec.decode(&whole[at..at + len], &mut b[at * 2..]).unwrap();
        at += len;
    }
    assert_eq!(a, b);
}
