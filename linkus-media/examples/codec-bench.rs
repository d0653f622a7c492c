//! The codecs of `linkus-media` in the codec reference harness
//! (`shared/tools/codec-ref`): same inputs, loss patterns, timing rule and
//! JSON output as its `bench.c`, so that its `run.sh` scores (PESQ) and
//! tabulates them next to the C libraries in one run:
//!
//! ```text
//! cargo build --release -p linkus-media --example codec-bench [--features g729]
//! EXTRA_BENCH="$CARGO_TARGET_DIR/release/examples/codec-bench --dir ." ../shared/tools/codec-ref/run.sh
//! ```
//!
//! (`run.sh` runs `EXTRA_BENCH` from its work folder, hence `--dir .`.)
//! From `--dir DIR` it reads `speech_8k.raw`, `speech_16k.raw`,
//! `out/speech_48k.raw` and the loss masks `out/loss05.mask`,
//! `out/loss10.mask` (written by `bench.c` earlier in the run), writes the
//! decoded files under `out/rust/` and prints one JSON line per codec
//! configuration to stdout (paths in it relative to `DIR`, as `quality.py`
//! wants them). Other options: `--min-sec S` and `--runs N` (default 1.0 and
//! 5, like bench.c), `--only g711u,opus16k-24k`, `--list`.
//!
//! Configurations (20 ms packets unless said otherwise), as in bench.c:
//! `g711u`, `g711a`, `g722`, `g729` (only when built with `--features
//! g729`; two 10 ms frames per packet, no VAD), `ilbc20`, `ilbc30` (30 ms
//! packets; not in bench.c: no C iLBC on Debian 12), `opus16k-24k`,
//! `opus16k-24k-c5` (complexity 5), `opus16k-24k-fec` (in-band FEC, 10 %
//! expected loss), `opus48k-32k`, `opus48k-32k-c5`; Opus in VoIP mode, VBR,
//! mono. Every codec conceals a lost packet with its
//! [`Decoder::conceal`]; `opus16k-24k-fec` first tries
//! [`Decoder::decode_fec`] on the next packet when that one arrived
//! (bench.c's rule). The `zero` variants fill a lost packet with silence
//! without telling the decoder.
//!
//! Timing: frames are encoded (decoded) in a loop over the input, 50 at a
//! time, until at least `min-sec` has passed; the median of `runs` such
//! measurements is reported per 20 ms of audio, as wall-clock time and as
//! the thread's CPU time (from `/proc/thread-self/schedstat`, which is
//! insensitive to other load on the machine). Packets longer than 20 ms
//! (iLBC 30 ms) are timed per packet and scaled to 20 ms, and packet `i`
//! is lost when entry `i` of the mask says so.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool: JSON on stdout, progress on stderr"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark tool: any failure ends the run"
)]

use std::hint::black_box;
use std::time::Instant;

use linkus_media::codec::ilbc::IlbcMode;
use linkus_media::codec::opus::{OpusConfig, OpusDecoder, OpusEncoder};
use linkus_media::codec::{Codec, Decoder, Encoder};

/// The harness's unit of time and of the loss masks.
const HARNESS_FRAME_MS: usize = 20;
const CHECK_EVERY: usize = 50;

/// How the `plc` variants fill a lost packet.
#[derive(Clone, Copy, PartialEq)]
enum Plc {
    /// `Decoder::conceal`.
    Conceal,
    /// `Decoder::decode_fec` of the next packet if it arrived, else conceal.
    FecNext,
}

/// One row of the table.
struct Config {
    name: &'static str,
    /// PCM sample rate.
    rate: usize,
    /// Packet duration.
    frame_ms: usize,
    plc: Plc,
    lib: String,
    make_enc: Box<dyn Fn() -> Box<dyn Encoder>>,
    make_dec: Box<dyn Fn() -> Box<dyn Decoder>>,
    /// Opus only: (complexity, look-ahead in samples).
    opus: Option<(i32, usize)>,
}

fn builtin(name: &'static str, codec: Codec) -> Config {
    Config {
        name,
        rate: codec.info().sample_rate as usize,
        frame_ms: 20,
        plc: Plc::Conceal,
        lib: format!("linkus-media {}", env!("CARGO_PKG_VERSION")),
        make_enc: Box::new(move || codec.encoder()),
        make_dec: Box::new(move || codec.decoder()),
        opus: None,
    }
}

fn opus(name: &'static str, config: OpusConfig) -> Config {
    let enc = OpusEncoder::new(config).unwrap();
    Config {
        name,
        rate: config.sample_rate as usize,
        frame_ms: 20,
        plc: if config.fec {
            Plc::FecNext
        } else {
            Plc::Conceal
        },
        lib: format!(
            "linkus-media {} + {}",
            env!("CARGO_PKG_VERSION"),
            linkus_media::codec::opus::libopus_version()
        ),
        make_enc: Box::new(move || Box::new(OpusEncoder::new(config).unwrap())),
        make_dec: Box::new(move || Box::new(OpusDecoder::new(config.sample_rate).unwrap())),
        // libopus 1.3.1 to 1.6 report complexity 9 by default.
        opus: Some((config.complexity.map_or(9, i32::from), enc.lookahead())),
    }
}

/// Every configuration this build has, in bench.c's order.
fn configs() -> Vec<Config> {
    let mut v = vec![
        builtin("g711u", Codec::Pcmu),
        builtin("g711a", Codec::Pcma),
        builtin("g722", Codec::G722),
    ];
    #[cfg(feature = "g729")]
    v.push(Config {
        lib: format!(
            "linkus-media {} + bcg729 (system)",
            env!("CARGO_PKG_VERSION")
        ),
        ..builtin("g729", Codec::G729)
    });
    // iLBC 30 ms: 30 ms packets, timed per packet and scaled to 20 ms (see
    // the module docs).
    v.extend([
        builtin("ilbc20", Codec::Ilbc(IlbcMode::Ms20)),
        Config {
            frame_ms: 30,
            ..builtin("ilbc30", Codec::Ilbc(IlbcMode::Ms30))
        },
    ]);
    v.extend([
        opus("opus16k-24k", OpusConfig::new(16_000, 24_000)),
        opus(
            "opus16k-24k-c5",
            OpusConfig::new(16_000, 24_000).with_complexity(5),
        ),
        opus(
            "opus16k-24k-fec",
            OpusConfig::new(16_000, 24_000).with_fec(10),
        ),
        opus("opus48k-32k", OpusConfig::new(48_000, 32_000)),
        opus(
            "opus48k-32k-c5",
            OpusConfig::new(48_000, 32_000).with_complexity(5),
        ),
    ]);
    v
}

fn read_pcm(path: &str) -> Option<Vec<i16>> {
    let bytes = std::fs::read(path).ok()?;
    Some(
        bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect(),
    )
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

/// Decodes the bitstream with the packets in `mask` lost, concealed as the
/// configuration says (`conceal`) or replaced by silence.
fn decode_lossy(
    cfg: &Config,
    bits: &[Vec<u8>],
    frame: usize,
    mask: Option<&[bool]>,
    conceal: bool,
) -> Vec<i16> {
    let lost = |f: usize| mask.is_some_and(|m| m[f]);
    let mut dec = (cfg.make_dec)();
    let mut out = vec![0i16; bits.len() * frame];
    for (f, (pkt, o)) in bits.iter().zip(out.chunks_mut(frame)).enumerate() {
        if !lost(f) {
            assert_eq!(dec.decode(pkt, o).unwrap(), frame, "{}", cfg.name);
        } else if !conceal {
            o.fill(0);
        } else if cfg.plc == Plc::FecNext && f + 1 < bits.len() && !lost(f + 1) {
            assert_eq!(dec.decode_fec(&bits[f + 1], o).unwrap(), frame);
        } else {
            assert_eq!(dec.conceal(o).unwrap(), frame);
        }
    }
    out
}

fn main() {
    let mut min_s = 1.0;
    let mut runs = 5usize;
    let mut only: Option<String> = None;
    let mut dir: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--list" {
            for c in configs() {
                println!("{}", c.name);
            }
            return;
        }
        let v = args
            .next()
            .unwrap_or_else(|| panic!("option {a} needs a value"));
        match a.as_str() {
            "--dir" => dir = Some(v),
            "--min-sec" => min_s = v.parse().unwrap(),
            "--runs" => runs = v.parse().unwrap(),
            "--only" => only = Some(v),
            _ => panic!(
                "unknown option {a}; usage: codec-bench --dir DIR [--min-sec S] [--runs N] \
                 [--only a,b] [--list]"
            ),
        }
    }
    assert!(runs >= 1 && min_s > 0.0, "--runs >= 1 and --min-sec > 0");
    let dir = dir.expect("--dir DIR (the codec-ref folder) is required");
    std::env::set_current_dir(&dir).unwrap_or_else(|e| panic!("{dir}: {e}"));

    let inputs = [
        (8000, "speech_8k.raw"),
        (16_000, "speech_16k.raw"),
        (48_000, "out/speech_48k.raw"),
    ]
    .map(|(rate, path)| (rate, path, read_pcm(path)));
    let masks = [
        ("loss05", read_mask("out/loss05.mask")),
        ("loss10", read_mask("out/loss10.mask")),
    ];
    std::fs::create_dir_all("out/rust").unwrap();

    for cfg in configs() {
        if only
            .as_deref()
            .is_some_and(|o| !o.split(',').any(|x| x == cfg.name))
        {
            continue;
        }
        let Some((_, in_path, Some(input))) = inputs.iter().find(|(r, ..)| *r == cfg.rate) else {
            eprintln!(
                "codec-bench: skipping {}: no {} Hz input",
                cfg.name, cfg.rate
            );
            continue;
        };
        eprintln!("codec-bench: {} ...", cfg.name);
        let frame = cfg.rate * cfg.frame_ms / 1000;
        let frames = input.len() / frame;
        let ref_path = if cfg.rate == 8000 {
            "speech_8k.raw"
        } else {
            "speech_16k.raw"
        };

        // Reference bitstream, one packet per frame.
        let mut enc = (cfg.make_enc)();
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
        let path = format!("out/rust/{}.clean.raw", cfg.name);
        write_pcm(&path, &decode_lossy(&cfg, &bits, frame, None, false));
        outputs.push(format!("\"clean\":\"{path}\""));
        for (loss, mask) in &masks {
            for conceal in [true, false] {
                let variant = if conceal { "plc" } else { "zero" };
                let path = format!("out/rust/{}.{loss}_{variant}.raw", cfg.name);
                write_pcm(
                    &path,
                    &decode_lossy(&cfg, &bits, frame, Some(mask), conceal),
                );
                outputs.push(format!("\"{loss}_{variant}\":\"{path}\""));
            }
        }

        // Timing.
        let (mut enc_w, mut enc_c, mut dec_w, mut dec_c) = (vec![], vec![], vec![], vec![]);
        let mut pkt = vec![0u8; enc.max_payload_len(frame)];
        let mut out = vec![0i16; frame];
        // Per packet -> per 20 ms.
        let scale = HARNESS_FRAME_MS as f64 / cfg.frame_ms as f64;
        for _ in 0..runs {
            let mut enc = (cfg.make_enc)();
            let (w, c) = time_loop(frames, min_s, |f| {
                let pcm = &input[f * frame..(f + 1) * frame];
                black_box(enc.encode(black_box(pcm), &mut pkt).unwrap());
            });
            enc_w.push(w * scale);
            enc_c.push(c * scale);
            let mut dec = (cfg.make_dec)();
            let (w, c) = time_loop(frames, min_s, |f| {
                black_box(dec.decode(black_box(&bits[f]), &mut out).unwrap());
            });
            dec_w.push(w * scale);
            dec_c.push(c * scale);
        }
        let runs_json = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:.1}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let (ew, dw) = (median(enc_w.clone()), median(dec_w.clone()));
        let frame_ns = HARNESS_FRAME_MS as f64 * 1e6;
        let opus_fields = cfg.opus.map_or(String::new(), |(cx, la)| {
            format!("\"opus_complexity\":{cx},\"lookahead_samples\":{la},")
        });
        let plc = match cfg.plc {
            Plc::Conceal => "linkus-media Decoder::conceal",
            Plc::FecNext => "linkus-media Decoder::decode_fec (next packet) else conceal",
        };
        println!(
            "{{\"impl\":\"rust\",\"codec\":\"{}\",\"lib\":\"{}\",\"rate\":{},\
             \"frame_ms\":{},\"frame_samples\":{frame},\"frames\":{frames},\
             \"actual_bps\":{:.0},{opus_fields}\"enc_ns_per_frame\":{ew:.1},\"dec_ns_per_frame\":{dw:.1},\
             \"enc_cpu_ns_per_frame\":{:.1},\"dec_cpu_ns_per_frame\":{:.1},\
             \"enc_x_realtime\":{:.1},\"dec_x_realtime\":{:.1},\"encdec_x_realtime\":{:.1},\
             \"enc_runs_ns\":[{}],\"dec_runs_ns\":[{}],\"runs\":{runs},\"min_sec\":{min_s:.2},\
             \"plc\":\"{plc}\",\"input\":\"{in_path}\",\"ref\":\"{ref_path}\",\
             \"outputs\":{{{}}}}}",
            cfg.name,
            cfg.lib,
            cfg.rate,
            cfg.frame_ms,
            bytes as f64 * 8.0 / (frames as f64 * cfg.frame_ms as f64 / 1000.0),
            median(enc_c),
            median(dec_c),
            frame_ns / ew,
            frame_ns / dw,
            frame_ns / (ew + dw),
            runs_json(&enc_w),
            runs_json(&dec_w),
            outputs.join(","),
        );
    }
}
