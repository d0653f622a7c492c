//! Echo cancellation on a synthetic echo path: the far-end speech of
//! `tests/data/g722_speech.in.raw` (16 kHz, 3 s, played three times) through
//! a delay and a decaying random FIR room response, with near-end speech
//! (the same speech time-reversed, so uncorrelated with the far end) in a
//! double-talk segment.
//!
//! * ERLE, `10 log10(echo energy / output energy)`, over seconds 3 to 6
//!   (far end alone, after convergence) must be at least 20 dB;
//! * during double talk (seconds 6 to 8) the output must still be the
//!   near-end speech: correlation with it at least 0.75 over one second
//!   (after the canceller's own delay, found by search) and its level
//!   within 3 dB.
//!
//! `cargo test -p linkus-media --test audio_aec -- --nocapture` prints the
//! figures.

#![allow(clippy::print_stderr, reason = "the test prints its figures")]

use linkus_media::audio::{Aec3, EchoCanceller, Resampler};

const SPEECH: &[u8] = include_bytes!("data/g722_speech.in.raw");

fn speech(rate: u32) -> Vec<i16> {
    let s16: Vec<i16> = SPEECH
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    if rate == 16_000 {
        return s16;
    }
    let mut r = Resampler::new(16_000, rate).unwrap();
    let mut out = vec![0i16; r.max_output(s16.len())];
    let n = r.process(&s16, &mut out).unwrap();
    out.truncate(n);
    out
}

/// Delay + decaying random FIR (40 ms, time constant 12 ms), scaled to
/// `gain_db` of energy gain.
fn room(rate: u32, delay_ms: u32, gain_db: f64, seed: u32) -> (usize, Vec<f64>) {
    let len = rate as usize / 25;
    let tau = f64::from(rate) * 0.012;
    let mut s = seed;
    let mut h: Vec<f64> = (0..len)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let r = f64::from(s) / f64::from(u32::MAX) * 2.0 - 1.0;
            r * (-(i as f64) / tau).exp()
        })
        .collect();
    h[0] = 1.0;
    let e: f64 = h.iter().map(|x| x * x).sum::<f64>().sqrt();
    let g = 10f64.powf(gain_db / 20.0) / e;
    h.iter_mut().for_each(|x| *x *= g);
    ((rate * delay_ms / 1000) as usize, h)
}

fn energy(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum()
}

struct Figures {
    erle_db: f64,
    dt_corr: f64,
    dt_level_db: f64,
    dt_lag: usize,
}

fn run(rate: u32, frame_ms: u32, delay_ms: u32, gain_db: f64) -> Figures {
    let sp = speech(rate);
    let r = rate as usize;
    let far: Vec<f64> = sp
        .iter()
        .chain(&sp)
        .chain(&sp)
        .map(|&v| f64::from(v))
        .collect();
    let n = far.len();
    let (delay, h) = room(rate, delay_ms, gain_db, 0x1234_5678 ^ delay_ms);
    let mut echo = vec![0f64; n];
    for (t, e) in echo.iter_mut().enumerate().skip(delay) {
        let x = &far[..=t - delay];
        *e = h.iter().zip(x.iter().rev()).map(|(a, b)| a * b).sum();
    }
    let (dt0, dt1) = (6 * r, 8 * r);
    let mut near = vec![0f64; n];
    for (i, v) in near[dt0..dt1].iter_mut().enumerate() {
        *v = 0.5 * f64::from(sp[sp.len() - 1 - i]);
    }

    let mut aec = Aec3::new(rate).unwrap();
    let frame = r * frame_ms as usize / 1000;
    let mut out = vec![0f64; n];
    let mut cap = vec![0i16; frame];
    let mut far_i = vec![0i16; frame];
    for start in (0..n - frame + 1).step_by(frame) {
        for i in 0..frame {
            let t = start + i;
            cap[i] = (echo[t] + near[t]).round().clamp(-32768.0, 32767.0) as i16;
            far_i[i] = far[t] as i16;
        }
        aec.process(&mut cap, &far_i).unwrap();
        for i in 0..frame {
            out[start + i] = f64::from(cap[i]);
        }
    }

    let erle_db = 10.0 * (energy(&echo[3 * r..6 * r]) / energy(&out[3 * r..6 * r])).log10();
    // Double talk, 1 s after its first 100 ms: best correlation over the
    // canceller's delay (at most 20 ms).
    let (a, b) = (dt0 + r / 10, dt0 + r / 10 + r);
    let mut best = (f64::MIN, 0);
    for lag in 0..r / 50 {
        let dot: f64 = (a..b).map(|t| out[t] * near[t - lag]).sum();
        let c = dot / (energy(&out[a..b]) * energy(&near[a - lag..b - lag])).sqrt();
        if c > best.0 {
            best = (c, lag);
        }
    }
    let dt_level_db = 10.0 * (energy(&out[a..b]) / energy(&near[a..b])).log10();
    let f = Figures {
        erle_db,
        dt_corr: best.0,
        dt_level_db,
        dt_lag: best.1,
    };
    eprintln!(
        "{rate} Hz, {frame_ms} ms frames, echo {delay_ms} ms {gain_db} dB: ERLE {:.1} dB; \
         double talk: correlation {:.3} (lag {}), level {:+.1} dB; metrics {:?}",
        f.erle_db,
        f.dt_corr,
        f.dt_lag,
        f.dt_level_db,
        aec.metrics()
    );
    f
}

fn check(f: &Figures) {
    assert!(f.erle_db >= 20.0, "ERLE {:.1} dB", f.erle_db);
    assert!(
        f.dt_corr >= 0.75,
        "double-talk correlation {:.3}",
        f.dt_corr
    );
    assert!(
        f.dt_level_db.abs() <= 3.0,
        "double-talk level {:.1} dB",
        f.dt_level_db
    );
}

#[test]
fn cancels_echo_at_16k() {
    for (delay, gain) in [(20, -6.0), (50, -12.0), (80, -20.0)] {
        check(&run(16_000, 20, delay, gain));
    }
}

#[test]
fn cancels_echo_at_8k() {
    check(&run(8000, 20, 40, -6.0));
}

#[test]
fn cancels_echo_at_48k() {
    check(&run(48_000, 10, 60, -10.0));
}

#[test]
fn disabled_leaves_the_signal_alone() {
    let mut aec = Aec3::new(16_000).unwrap();
    aec.set_enabled(false);
    let mut cap: Vec<i16> = (0..320).map(|i| i as i16).collect();
    let orig = cap.clone();
    aec.process(&mut cap, &[1000; 320]).unwrap();
    assert_eq!(cap, orig);
    assert!(aec.process(&mut cap[..300], &[0; 300]).is_err());
    assert!(aec.process(&mut cap, &[0; 160]).is_err());
    assert!(Aec3::new(44_100).is_err());
}
