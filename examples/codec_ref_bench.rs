//! The Rust codecs of `linkus-media` in the codec reference harness
//! (`shared/tools/codec-ref`): same inputs, loss patterns, timing rule and
//! JSON output as its `bench.c`, so that `run.sh` scores (PESQ) and tabulates
//! them next to spandsp in one run:
//!
//! ```text
//! cargo build --release --example codec_ref_bench
//! EXTRA_BENCH="$PWD/target/release/examples/codec_ref_bench" ../shared/tools/codec-ref/run.sh
//! ```
//!
//! Run from the harness folder (run.sh does), it reads `speech_8k.raw`,
//! `speech_16k.raw` and `out/loss05.mask`, `out/loss10.mask`, writes the
//! decoded files under `out/rust/` and prints one JSON line per codec.
//! Options: `--min-sec S` and `--runs N` (default 1.0 and 5, like bench.c),
//! `--only g711u,g722`.
//!
//! Timing: frames are encoded (decoded) in a loop over the input, 50 at a
//! time, until at least `min-sec` has passed; the median of `runs` such
//! measurements is reported per 20 ms frame, as wall-clock time and as the
//! thread's CPU time (from `/proc/thread-self/schedstat`, which is
//! insensitive to other load on the machine).
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool: JSON on stdout, progress on stderr"
)]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark tool")]

use std::hint::black_box;
use std::time::Instant;

use linkus_media::codec::{Codec, Decoder};

const FRAME_MS: usize = 20;
const CHECK_EVERY: usize = 50;

fn read_pcm(path: &str) -> Vec<i16> {
    std::fs::read(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

fn write_pcm(path: &str, pcm: &[i16]) {
    let bytes: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
}

fn read_mask(path: &str) -> Vec<bool> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run from codec-ref after bench.c)"))
        .trim()
        .bytes()
        .map(|c| c == b'1')
        .collect()
}

/// CPU time of this thread in ns.
fn thread_cpu_ns() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(f64::NAN)
}

#[allow(clippy::disallowed_methods, reason = "a benchmark, not a sans-IO core")]
fn now() -> Instant {
    Instant::now()
}

/// Runs `step(frame_index)` over the frames in a loop for at least `min_s`;
/// returns (wall ns, cpu ns) per frame.
fn time_loop(frames: usize, min_s: f64, mut step: impl FnMut(usize)) -> (f64, f64) {
    let (c0, t0) = (thread_cpu_ns(), now());
    let (mut done, mut f) = (0usize, 0usize);
    loop {
        for _ in 0..CHECK_EVERY {
            step(f);
            f = if f + 1 == frames { 0 } else { f + 1 };
        }
        done += CHECK_EVERY;
        if t0.elapsed().as_secs_f64() >= min_s {
            break;
        }
    }
    let wall = t0.elapsed().as_secs_f64() * 1e9 / done as f64;
    (wall, (thread_cpu_ns() - c0) / done as f64)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Decodes the bitstream with the frames in `mask` lost, concealed by the
/// decoder (`conceal`) or replaced by silence.
fn decode_lossy(
    codec: Codec,
    bits: &[Vec<u8>],
    frame: usize,
    mask: Option<&[bool]>,
    conceal: bool,
) -> Vec<i16> {
    let mut dec = codec.decoder();
    let mut out = vec![0i16; bits.len() * frame];
    for (f, (pkt, o)) in bits.iter().zip(out.chunks_mut(frame)).enumerate() {
        if mask.is_some_and(|m| m[f]) {
            if conceal {
                dec.conceal(o).unwrap();
            } else {
                o.fill(0);
            }
        } else {
            assert_eq!(dec.decode(pkt, o).unwrap(), frame);
        }
    }
    out
}

fn main() {
    let mut min_s = 1.0;
    let mut runs = 5usize;
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().expect("option needs a value");
        match a.as_str() {
            "--min-sec" => min_s = v.parse().unwrap(),
            "--runs" => runs = v.parse().unwrap(),
            "--only" => only = Some(v),
            _ => panic!("unknown option {a}"),
        }
    }
    let in8 = read_pcm("speech_8k.raw");
    let in16 = read_pcm("speech_16k.raw");
    let masks = [
        ("loss05", read_mask("out/loss05.mask")),
        ("loss10", read_mask("out/loss10.mask")),
    ];
    std::fs::create_dir_all("out/rust").unwrap();

    for (name, codec) in [
        ("g711u", Codec::Pcmu),
        ("g711a", Codec::Pcma),
        ("g722", Codec::G722),
    ] {
        if only
            .as_deref()
            .is_some_and(|o| !o.split(',').any(|x| x == name))
        {
            continue;
        }
        eprintln!("codec_ref_bench: {name} ...");
        let info = codec.info();
        let rate = info.sample_rate as usize;
        let frame = rate * FRAME_MS / 1000;
        let (input, ref_path) = if rate == 8000 {
            (&in8, "speech_8k.raw")
        } else {
            (&in16, "speech_16k.raw")
        };
        let frames = input.len() / frame;

        // Reference bitstream, one packet per frame.
        let mut enc = codec.encoder();
        let mut bits = Vec::with_capacity(frames);
        let mut bytes = 0usize;
        for pcm in input.chunks_exact(frame) {
            let mut pkt = vec![0u8; enc.max_payload_len(frame)];
            let n = enc.encode(pcm, &mut pkt).unwrap();
            pkt.truncate(n);
            bytes += n;
            bits.push(pkt);
        }

        // Decoded outputs.
        let mut outputs = Vec::new();
        let path = format!("out/rust/{name}.clean.raw");
        write_pcm(&path, &decode_lossy(codec, &bits, frame, None, false));
        outputs.push(format!("\"clean\":\"{path}\""));
        for (loss, mask) in &masks {
            for conceal in [true, false] {
                let variant = if conceal { "plc" } else { "zero" };
                let path = format!("out/rust/{name}.{loss}_{variant}.raw");
                write_pcm(
                    &path,
                    &decode_lossy(codec, &bits, frame, Some(mask), conceal),
                );
                outputs.push(format!("\"{loss}_{variant}\":\"{path}\""));
            }
        }

        // Timing.
        let (mut enc_w, mut enc_c, mut dec_w, mut dec_c) = (vec![], vec![], vec![], vec![]);
        let mut pkt = vec![0u8; enc.max_payload_len(frame)];
        let mut out = vec![0i16; frame];
        for _ in 0..runs {
            let mut enc = codec.encoder();
            let (w, c) = time_loop(frames, min_s, |f| {
                let pcm = &input[f * frame..(f + 1) * frame];
                black_box(enc.encode(black_box(pcm), &mut pkt).unwrap());
            });
            enc_w.push(w);
            enc_c.push(c);
            let mut dec: Box<dyn Decoder> = codec.decoder();
            let (w, c) = time_loop(frames, min_s, |f| {
                black_box(dec.decode(black_box(&bits[f]), &mut out).unwrap());
            });
            dec_w.push(w);
            dec_c.push(c);
        }
        let runs_json = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:.1}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let (ew, dw) = (median(enc_w.clone()), median(dec_w.clone()));
        let frame_ns = (FRAME_MS as f64) * 1e6;
        println!(
            "{{\"impl\":\"rust\",\"codec\":\"{name}\",\"lib\":\"linkus-media {}\",\"rate\":{rate},\
             \"frame_ms\":{FRAME_MS},\"frame_samples\":{frame},\"frames\":{frames},\
             \"actual_bps\":{:.0},\"enc_ns_per_frame\":{ew:.1},\"dec_ns_per_frame\":{dw:.1},\
             \"enc_cpu_ns_per_frame\":{:.1},\"dec_cpu_ns_per_frame\":{:.1},\
             \"enc_x_realtime\":{:.1},\"dec_x_realtime\":{:.1},\"encdec_x_realtime\":{:.1},\
             \"enc_runs_ns\":[{}],\"dec_runs_ns\":[{}],\"runs\":{runs},\"min_sec\":{min_s:.2},\
             \"plc\":\"linkus-media Decoder::conceal\",\"input\":\"{ref_path}\",\"ref\":\"{}\",\
             \"outputs\":{{{}}}}}",
            env!("CARGO_PKG_VERSION"),
            bytes as f64 * 8.0 / (frames as f64 * FRAME_MS as f64 / 1000.0),
            median(enc_c),
            median(dec_c),
            frame_ns / ew,
            frame_ns / dw,
            frame_ns / (ew + dw),
            runs_json(&enc_w),
            runs_json(&dec_w),
            if rate == 8000 {
                "speech_8k.raw"
            } else {
                "speech_16k.raw"
            },
            outputs.join(","),
        );
    }
}
