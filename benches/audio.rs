//! Audio pipeline speed (`linkus_media::audio`), per 20 ms frame.
//!
//! * `aec3/{8k,16k,48k}`: the default echo canceller ([`Aec3`]) on one
//!   20 ms capture frame with its far-end frame. The far end is the test
//!   speech (`linkus-media/tests/data/g722_speech.in.raw`, 16 kHz, resampled
//!   for 8 and 48 kHz); the capture is its echo (40 ms later, −10 dB), so
//!   the canceller adapts and suppresses as in a call. State carries over.
//! * `mixer/9legs/{16k,48k}`: nine legs push a 20 ms frame each, then one
//!   `mix` (every leg's output).
//! * `resample/{48k_to_16k,16k_to_48k}`: one 20 ms frame.
//! * `path/16k_48k_stereo`: an [`AudioPath`] at 16 kHz over a 48 kHz
//!   stereo null device, AEC on: one `capture` plus one `playback`.
//!
//! ```text
//! cargo bench -p linkus-sdk --bench audio -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use linkus_media::audio::{
    Aec3, AudioConfig, AudioPath, EchoCanceller, Mixer, NullDevice, Resampler,
};

const SPEECH_16K: &[u8] = include_bytes!("../linkus-media/tests/data/g722_speech.in.raw");

fn speech(rate: u32) -> Vec<i16> {
    let s: Vec<i16> = SPEECH_16K
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let mut r = Resampler::new(16_000, rate).unwrap();
    let mut out = vec![0; r.max_output(s.len())];
    let n = r.process(&s, &mut out).unwrap();
    out.truncate(n);
    out
}

fn aec(c: &mut Criterion) {
    let mut group = c.benchmark_group("aec3");
    for (name, rate) in [("8k", 8000u32), ("16k", 16_000), ("48k", 48_000)] {
        let far = speech(rate);
        let delay = rate as usize / 25;
        let echo: Vec<i16> = (0..far.len())
            .map(|i| if i >= delay { far[i - delay] / 3 } else { 0 })
            .collect();
        let frame = rate as usize / 50;
        let mut aec = Aec3::new(rate).unwrap();
        let mut cap = vec![0i16; frame];
        let mut at = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                if at + frame > far.len() {
                    at = 0;
                }
                cap.copy_from_slice(&echo[at..at + frame]);
                aec.process(&mut cap, black_box(&far[at..at + frame]))
                    .unwrap();
                at += frame;
                black_box(&cap);
            })
        });
    }
    group.finish();
}

fn mixer(c: &mut Criterion) {
    let mut group = c.benchmark_group("mixer/9legs");
    for (name, rate) in [("16k", 16_000u32), ("48k", 48_000)] {
        let sp = speech(rate);
        let frame = rate as usize / 50;
        let mut m = Mixer::new(frame).unwrap();
        let legs: Vec<_> = (0..9).map(|_| m.add_leg().unwrap()).collect();
        let mut at = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                for (i, &leg) in legs.iter().enumerate() {
                    // Each leg its own stretch of speech.
                    let s = (at + i * 7919) % (sp.len() - frame);
                    m.push(leg, black_box(&sp[s..s + frame])).unwrap();
                }
                m.mix();
                at = (at + frame) % sp.len();
                black_box(m.output(legs[0]));
            })
        });
    }
    group.finish();
}

fn resample(c: &mut Criterion) {
    let mut group = c.benchmark_group("resample");
    for (name, from, to) in [
        ("48k_to_16k", 48_000u32, 16_000u32),
        ("16k_to_48k", 16_000, 48_000),
    ] {
        let sp = speech(from);
        let frame = from as usize / 50;
        let mut r = Resampler::new(from, to).unwrap();
        let mut out = vec![0; r.max_output(frame)];
        let mut at = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                if at + frame > sp.len() {
                    at = 0;
                }
                black_box(r.process(black_box(&sp[at..at + frame]), &mut out).unwrap());
                at += frame;
            })
        });
    }
    group.finish();
}

fn path(c: &mut Criterion) {
    let sp = speech(16_000);
    let mut path = AudioPath::new(
        Box::new(NullDevice::new(48_000, 2)),
        AudioConfig::new(16_000, 320),
    )
    .unwrap();
    let mut cap = [0i16; 320];
    let mut at = 0;
    c.bench_function("path/16k_48k_stereo", |b| {
        b.iter(|| {
            if at + 320 > sp.len() {
                at = 0;
            }
            path.capture(&mut cap).unwrap();
            path.playback(black_box(&sp[at..at + 320])).unwrap();
            at += 320;
            black_box(&cap);
        })
    });
}

criterion_group!(benches, aec, mixer, resample, path);
criterion_main!(benches);
