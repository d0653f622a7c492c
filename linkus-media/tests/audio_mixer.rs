//! The conference mixer with nine legs, each sending its own tone: every
//! leg must hear the eight other tones at their level and not its own
//! (Goertzel amplitude at each tone frequency), also when the sum is far
//! above full scale.

use linkus_media::Error;
use linkus_media::audio::{LegId, Mixer};

const RATE: f64 = 16_000.0;
const FRAME: usize = 320; // 20 ms

fn tone_freq(leg: usize) -> f64 {
    // 50 Hz bins over 1 s: every tone sits exactly on a bin.
    350.0 + 250.0 * leg as f64
}

/// Amplitude of the `freq` component of `x` (Goertzel).
fn goertzel(x: &[i16], freq: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / RATE;
    let c = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &v in x {
        let s = f64::from(v) + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - c * s1 * s2;
    2.0 * power.sqrt() / x.len() as f64
}

fn run(amp: f64, frames: usize) -> (Vec<LegId>, Vec<Vec<i16>>) {
    let mut mixer = Mixer::new(FRAME).unwrap();
    let legs: Vec<LegId> = (0..9).map(|_| mixer.add_leg().unwrap()).collect();
    let mut heard = vec![Vec::new(); 9];
    let mut t = 0usize;
    for _ in 0..frames {
        for (i, &leg) in legs.iter().enumerate() {
            let f = tone_freq(i);
            let pcm: Vec<i16> = (t..t + FRAME)
                .map(|n| (amp * (2.0 * std::f64::consts::PI * f * n as f64 / RATE).sin()) as i16)
                .collect();
            mixer.push(leg, &pcm).unwrap();
        }
        mixer.mix();
        for (i, &leg) in legs.iter().enumerate() {
            heard[i].extend_from_slice(mixer.output(leg).unwrap());
        }
        t += FRAME;
    }
    (legs, heard)
}

#[test]
fn each_of_nine_legs_hears_exactly_the_others() {
    // 8 x 2000 peaks at 16000, below the soft clipper's knee: exact sums.
    let (_, heard) = run(2000.0, 50);
    for (i, h) in heard.iter().enumerate() {
        for j in 0..9 {
            let a = goertzel(h, tone_freq(j));
            if i == j {
                assert!(a < 1.0, "leg {i} hears itself: {a:.1}");
            } else {
                assert!((a - 2000.0).abs() < 20.0, "leg {i} hears leg {j} at {a:.1}");
            }
        }
    }
}

#[test]
fn loud_conferences_are_soft_clipped_not_wrapped() {
    // 8 x 12000 would peak near 96000: clipped softly, tones still there,
    // own tone still absent, no sample wrapped to the other sign.
    let (_, heard) = run(12_000.0, 50);
    for (i, h) in heard.iter().enumerate() {
        // After the limiter's attack (the first frames).
        let h = &h[5 * FRAME..];
        let own = goertzel(h, tone_freq(i));
        let others: Vec<f64> = (0..9)
            .filter(|&j| j != i)
            .map(|j| goertzel(h, tone_freq(j)))
            .collect();
        let min_other = others.iter().copied().fold(f64::MAX, f64::min);
        let max_other = others.iter().copied().fold(0.0, f64::max);
        eprintln!("leg {i}: others {min_other:.0}..{max_other:.0}, own {own:.1}");
        assert!(min_other > 2500.0, "leg {i}: a tone fell to {min_other:.0}");
        assert!(max_other < min_other * 1.1, "leg {i}: unequal tones");
        assert!(own < min_other / 30.0, "leg {i}: own tone {own:.0}");
        // No wrap-around: never from near full scale to near the other.
        let wraps = h
            .windows(2)
            .filter(|w| (w[0] > 28_000 && w[1] < -28_000) || (w[0] < -28_000 && w[1] > 28_000))
            .count();
        assert_eq!(wraps, 0, "leg {i}");
    }
}

#[test]
fn legs_that_push_nothing_are_silent() {
    let mut mixer = Mixer::new(FRAME).unwrap();
    let (a, b) = (mixer.add_leg().unwrap(), mixer.add_leg().unwrap());
    mixer.push(a, &[500; FRAME]).unwrap();
    mixer.mix();
    assert!(mixer.output(a).unwrap().iter().all(|&s| s == 0));
    assert!(mixer.output(b).unwrap().iter().all(|&s| s == 500));
    // The next interval starts from silence.
    mixer.mix();
    assert!(mixer.output(b).unwrap().iter().all(|&s| s == 0));
    for _ in 0..7 {
        mixer.add_leg().unwrap();
    }
    assert_eq!(
        mixer.add_leg(),
        Err(Error::MixerFull {
            max: Mixer::MAX_LEGS
        })
    );
}
