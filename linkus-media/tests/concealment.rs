//! Packet-loss concealment: on a steady voiced-like signal, the substitute
//! for a lost 20 ms packet continues the waveform, and decoding resumes
//! smoothly afterwards. Packets that arrive before a loss decode exactly as
//! without concealment.

use linkus_media::codec::g711::{G711Decoder, G711Encoder, Law};
use linkus_media::codec::g722::{G722Decoder, G722Encoder};
use linkus_media::codec::{Decoder, Encoder};

/// A 160 Hz tone with two harmonics, like a sustained vowel.
fn vowel(rate: usize, samples: usize) -> Vec<i16> {
    (0..samples)
        .map(|i| {
            let t = i as f64 / rate as f64 * 160.0 * std::f64::consts::TAU;
            (6000.0 * t.sin() + 3000.0 * (2.0 * t).sin() + 1500.0 * (3.0 * t + 1.0).sin()) as i16
        })
        .collect()
}

/// Signal-to-error ratio of `got` against `want`, in dB.
fn snr(want: &[i16], got: &[i16]) -> f64 {
    let (mut s, mut e) = (0.0, 0.0);
    for (&w, &g) in want.iter().zip(got) {
        s += f64::from(w).powi(2);
        e += (f64::from(w) - f64::from(g)).powi(2);
    }
    10.0 * (s / e.max(1.0)).log10()
}

/// Decodes `bits` (packets of `frame` samples) twice, once with packet
/// `lost` concealed; returns (reference, concealed) outputs.
fn run<D: Decoder + Clone>(
    mut dec: D,
    bits: &[Vec<u8>],
    frame: usize,
    lost: usize,
) -> (Vec<i16>, Vec<i16>) {
    let mut reference = vec![0i16; bits.len() * frame];
    let mut concealed = reference.clone();
    let mut ref_dec = dec.clone();
    for (i, pkt) in bits.iter().enumerate() {
        let r = &mut reference[i * frame..(i + 1) * frame];
        assert_eq!(ref_dec.decode(pkt, r), Ok(frame));
        let c = &mut concealed[i * frame..(i + 1) * frame];
        if i == lost {
            assert_eq!(dec.conceal(c), Ok(frame));
        } else {
            assert_eq!(dec.decode(pkt, c), Ok(frame));
        }
    }
    (reference, concealed)
}

fn check(reference: &[i16], concealed: &[i16], frame: usize, lost: usize, min_gap_snr: f64) {
    let at = lost * frame;
    assert_eq!(reference[..at], concealed[..at], "before the loss");
    // The substitute keeps full level for 5 ms, then fades.
    let quarter = frame / 4;
    let gap = snr(&reference[at..at + quarter], &concealed[at..at + quarter]);
    assert!(gap > min_gap_snr, "first 5 ms of the gap: {gap:.1} dB");
    // No click where the substitute starts or ends: sample-to-sample steps
    // stay within what the signal itself does.
    let max_step = reference
        .windows(2)
        .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
        .max()
        .unwrap();
    for w in concealed[at - 1..at + frame + 2].windows(2) {
        let step = (i32::from(w[1]) - i32::from(w[0])).abs();
        assert!(step <= max_step * 5 / 4, "step {step} > {max_step}");
    }
    // Two frames after the loss the output is back on track.
    let after = (lost + 2) * frame;
    let back = snr(
        &reference[after..after + frame],
        &concealed[after..after + frame],
    );
    assert!(back > 20.0, "two frames after: {back:.1} dB");
}

#[test]
fn g711_conceals_a_lost_packet() {
    for law in [Law::MuLaw, Law::ALaw] {
        let pcm = vowel(8000, 160 * 12);
        let mut enc = G711Encoder::new(law);
        let bits: Vec<Vec<u8>> = pcm
            .chunks(160)
            .map(|f| {
                let mut b = vec![0u8; 160];
                enc.encode(f, &mut b).unwrap();
                b
            })
            .collect();
        let (reference, concealed) = run(G711Decoder::new(law), &bits, 160, 6);
        check(&reference, &concealed, 160, 6, 30.0);
    }
}

#[test]
fn g722_conceals_a_lost_packet() {
    let pcm = vowel(16000, 320 * 12);
    let mut enc = G722Encoder::new();
    let bits: Vec<Vec<u8>> = pcm
        .chunks(320)
        .map(|f| {
            let mut b = vec![0u8; 160];
            enc.encode(f, &mut b).unwrap();
            b
        })
        .collect();
    let (reference, concealed) = run(G722Decoder::new(), &bits, 320, 6);
    check(&reference, &concealed, 320, 6, 30.0);
}

#[test]
fn long_loss_fades_to_silence_and_recovers() {
    let pcm = vowel(8000, 160 * 20);
    let mut enc = G711Encoder::new(Law::ALaw);
    let mut dec = G711Decoder::new(Law::ALaw);
    let mut bits = [0u8; 160];
    let mut out = [0i16; 160];
    for f in pcm.chunks(160).take(5) {
        enc.encode(f, &mut bits).unwrap();
        dec.decode(&bits, &mut out).unwrap();
    }
    for _ in 0..3 {
        dec.conceal(&mut out).unwrap();
    }
    // 60 ms lost: silent from here on.
    dec.conceal(&mut out).unwrap();
    assert!(out.iter().all(|&s| s == 0));
    for f in pcm[160 * 5..].chunks(160).take(3) {
        enc.encode(f, &mut bits).unwrap();
        dec.decode(&bits, &mut out).unwrap();
    }
    let mut want = [0i16; 160];
    G711Decoder::new(Law::ALaw)
        .decode(&bits, &mut want)
        .unwrap();
    assert_eq!(out, want);
}
