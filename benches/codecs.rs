//! Voice codec speed: `linkus-media`'s codecs on 20 ms frames.
//!
//! Every benchmark id is one 20 ms frame, so criterion's time per iteration
//! is the ns per frame that `shared/tools/codec-ref` reports for the C
//! reference (spandsp). The input is the first 3 s of that tool's test speech
//! (`linkus-media/tests/data/g722_speech.in.raw`, 16 kHz); the 8 kHz G.711
//! input is every other sample of it. Each iteration takes the next frame,
//! wrapping around, and the codec state carries over, as in a call.
//!
//! * `g711/{ulaw,alaw}/encode`: the frame encoder (table lookup, 16/8 KiB);
//! * `g711/{ulaw,alaw}/encode_computed`: the table-free, branch-free
//!   per-sample functions (`linear_to_ulaw`/`linear_to_alaw`) over the frame,
//!   for comparison;
//! * `g711/{ulaw,alaw}/decode`: the frame decoder (256-entry tables);
//! * `g722/encode`, `g722/decode`: 64 kbit/s, 320 samples <-> 160 bytes.
//! * `ilbc20/...`, `ilbc30/...`: iLBC (RFC 3951); here an id is one frame
//!   of the mode, 20 ms (160 samples <-> 38 bytes) or 30 ms (240 samples
//!   <-> 50 bytes): `encode`, `decode` (with the enhancer, the default) and
//!   `decode_no_enhancer`. Input: 3 s of the 8 kHz test speech
//!   (`linkus-media/tests/data/ilbc_speech.in.raw`).
//! * `opus16k-24k{,-c5,-fec}` and `opus48k-32k{,-c5}` `/encode`, `/decode`:
//!   Opus (libopus through the `opus` crate) in the codec-ref harness's
//!   configurations: VoIP mode, VBR, 16 kHz at 24 kbit/s or 48 kHz at
//!   32 kbit/s, default complexity (9) or 5, and in-band FEC with 10 %
//!   expected loss. The 48 kHz input is the 16 kHz speech interpolated.
//! * `g729/encode`, `g729/decode` (only with `--features g729`: bcg729,
//!   GPL-3+): two 10 ms frames per 20 ms, 160 samples <-> 20 bytes; the
//!   8 kHz input is the G.711 one.
//!
//! ```text
//! cargo bench -p linkus-sdk --bench codecs [--features g729] -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use linkus_media::codec::g711::{self, G711Decoder, G711Encoder, Law};
use linkus_media::codec::g722::{G722Decoder, G722Encoder};
use linkus_media::codec::ilbc::{IlbcDecoder, IlbcEncoder, IlbcMode};
use linkus_media::codec::opus::{OpusConfig, OpusDecoder, OpusEncoder};
use linkus_media::codec::{Decoder, Encoder};

const SPEECH_16K: &[u8] = include_bytes!("../linkus-media/tests/data/g722_speech.in.raw");

fn speech_16k() -> Vec<i16> {
    SPEECH_16K
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// Runs `f` on successive `len`-element frames of `input`, wrapping around.
fn frames<'a, T>(input: &'a [T], len: usize) -> impl FnMut() -> &'a [T] + 'a {
    let mut at = 0;
    move || {
        if at + len > input.len() {
            at = 0;
        }
        let frame = &input[at..at + len];
        at += len;
        frame
    }
}

/// The per-sample functions over a frame (a generic, so the call inlines).
fn encode_computed(
    group: &mut BenchmarkGroup<'_, WallTime>,
    pcm: &[i16],
    to_code: impl Fn(i16) -> u8,
) {
    let mut payload = [0u8; 160];
    let mut next = frames(pcm, 160);
    group.bench_function("encode_computed", |b| {
        b.iter(|| {
            for (o, &x) in payload.iter_mut().zip(black_box(next())) {
                *o = to_code(x);
            }
            black_box(&payload);
        })
    });
}

fn g711(c: &mut Criterion) {
    let pcm: Vec<i16> = speech_16k().into_iter().step_by(2).collect();
    for (name, law) in [("ulaw", Law::MuLaw), ("alaw", Law::ALaw)] {
        let mut group = c.benchmark_group(format!("g711/{name}"));
        let mut enc = G711Encoder::new(law);
        let mut payload = [0u8; 160];
        let mut next = frames(&pcm, 160);
        group.bench_function("encode", |b| {
            b.iter(|| enc.encode(black_box(next()), &mut payload).unwrap())
        });
        match law {
            Law::MuLaw => encode_computed(&mut group, &pcm, g711::linear_to_ulaw),
            Law::ALaw => encode_computed(&mut group, &pcm, g711::linear_to_alaw),
        }
        let mut bits = vec![0u8; pcm.len()];
        for (p, o) in pcm.chunks(160).zip(bits.chunks_mut(160)) {
            enc.encode(p, o).unwrap();
        }
        let mut dec = G711Decoder::new(law);
        let mut out = [0i16; 160];
        let mut next = frames(&bits, 160);
        group.bench_function("decode", |b| {
            b.iter(|| dec.decode(black_box(next()), &mut out).unwrap())
        });
        group.finish();
    }
}

fn g722(c: &mut Criterion) {
    let pcm = speech_16k();
    let mut group = c.benchmark_group("g722");
    let mut enc = G722Encoder::new();
    let mut payload = [0u8; 160];
    let mut next = frames(&pcm, 320);
    group.bench_function("encode", |b| {
        b.iter(|| enc.encode(black_box(next()), &mut payload).unwrap())
    });
    let mut bits = vec![0u8; pcm.len() / 2];
    let mut enc = G722Encoder::new();
    for (p, o) in pcm.chunks(320).zip(bits.chunks_mut(160)) {
        enc.encode(p, o).unwrap();
    }
    let mut dec = G722Decoder::new();
    let mut out = [0i16; 320];
    let mut next = frames(&bits, 160);
    group.bench_function("decode", |b| {
        b.iter(|| dec.decode(black_box(next()), &mut out).unwrap())
    });
    group.finish();
}

/// Encodes every `frame`-sample frame of `pcm` into one packet.
fn packets(enc: &mut dyn Encoder, pcm: &[i16], frame: usize) -> Vec<Vec<u8>> {
    pcm.chunks_exact(frame)
        .map(|f| {
            let mut p = vec![0u8; enc.max_payload_len(frame)];
            let n = enc.encode(f, &mut p).unwrap();
            p.truncate(n);
            p
        })
        .collect()
}

/// `encode` and `decode` of one codec configuration on 20 ms frames.
fn encode_decode(
    c: &mut Criterion,
    name: &str,
    pcm: &[i16],
    frame: usize,
    mut make_enc: impl FnMut() -> Box<dyn Encoder>,
    dec: &mut dyn Decoder,
) {
    let mut group = c.benchmark_group(name);
    let mut enc = make_enc();
    let mut payload = vec![0u8; enc.max_payload_len(frame)];
    let mut next = frames(pcm, frame);
    group.bench_function("encode", |b| {
        b.iter(|| enc.encode(black_box(next()), &mut payload).unwrap())
    });
    let bits = packets(make_enc().as_mut(), pcm, frame);
    let mut out = vec![0i16; frame];
    let mut at = 0;
    group.bench_function("decode", |b| {
        b.iter(|| {
            at = (at + 1) % bits.len();
            dec.decode(black_box(&bits[at]), &mut out).unwrap()
        })
    });
    group.finish();
}

fn opus(c: &mut Criterion) {
    let pcm16 = speech_16k();
    // 48 kHz: linear interpolation of the 16 kHz speech.
    let pcm48: Vec<i16> = (0..pcm16.len() * 3)
        .map(|i| {
            let (k, r) = (i / 3, (i % 3) as i32);
            let a = i32::from(pcm16[k]);
            let b = i32::from(pcm16[(k + 1).min(pcm16.len() - 1)]);
            (a + (b - a) * r / 3) as i16
        })
        .collect();
    let configs = [
        ("opus16k-24k", OpusConfig::new(16_000, 24_000)),
        (
            "opus16k-24k-c5",
            OpusConfig::new(16_000, 24_000).with_complexity(5),
        ),
        (
            "opus16k-24k-fec",
            OpusConfig::new(16_000, 24_000).with_fec(10),
        ),
        ("opus48k-32k", OpusConfig::new(48_000, 32_000)),
        (
            "opus48k-32k-c5",
            OpusConfig::new(48_000, 32_000).with_complexity(5),
        ),
    ];
    for (name, config) in configs {
        let (pcm, frame) = if config.sample_rate == 16_000 {
            (&pcm16, 320)
        } else {
            (&pcm48, 960)
        };
        let mut dec = OpusDecoder::new(config.sample_rate).unwrap();
        encode_decode(
            c,
            name,
            pcm,
            frame,
            || Box::new(OpusEncoder::new(config).unwrap()),
            &mut dec,
        );
    }
}

#[cfg(feature = "g729")]
fn g729(c: &mut Criterion) {
    use linkus_media::codec::g729::{G729Decoder, G729Encoder};
    let pcm: Vec<i16> = speech_16k().into_iter().step_by(2).collect();
    let mut dec = G729Decoder::new();
    encode_decode(
        c,
        "g729",
        &pcm,
        160,
        || Box::new(G729Encoder::new()),
        &mut dec,
    );
}

/// 3 s of 8 kHz speech: the input of the iLBC vectors.
const SPEECH_8K: &[u8] = include_bytes!("../linkus-media/tests/data/ilbc_speech.in.raw");

fn ilbc(c: &mut Criterion) {
    let pcm: Vec<i16> = SPEECH_8K
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    for (name, mode) in [("ilbc20", IlbcMode::Ms20), ("ilbc30", IlbcMode::Ms30)] {
        let (n, len) = (mode.frame_samples(), mode.frame_bytes());
        let mut group = c.benchmark_group(name);
        let mut enc = IlbcEncoder::new(mode);
        let mut payload = [0u8; 50];
        let mut next = frames(&pcm, n);
        group.bench_function("encode", |b| {
            b.iter(|| enc.encode(black_box(next()), &mut payload).unwrap())
        });
        let mut bits = vec![0u8; pcm.len() / n * len];
        let mut enc = IlbcEncoder::new(mode);
        for (p, o) in pcm.chunks_exact(n).zip(bits.chunks_exact_mut(len)) {
            enc.encode(p, o).unwrap();
        }
        for (id, enhance) in [("decode", true), ("decode_no_enhancer", false)] {
            let mut dec = IlbcDecoder::with_enhancer(mode, enhance);
            let mut out = [0i16; 240];
            let mut next = frames(&bits, len);
            group.bench_function(id, |b| {
                b.iter(|| dec.decode(black_box(next()), &mut out[..n]).unwrap())
            });
        }
        group.finish();
    }
}

#[cfg(not(feature = "g729"))]
criterion_group!(benches, g711, g722, ilbc, opus);
#[cfg(feature = "g729")]
criterion_group!(benches, g711, g722, ilbc, opus, g729);
criterion_main!(benches);
