//! Quickstart: two Cores in one process call each other over loopback, no
//! PBX needed. Bob's Core answers by itself; Alice's plays a speech WAV
//! through G.722 (with SDES-SRTP); Bob records what he hears. The example
//! prints every call state change and the quality summary, then checks that
//! Bob's recording is not silent and matches what Alice played.
//!
//! ```text
//! cargo run --release -p linkus-core --example quickstart [-- --wav IN.wav --out OUT.wav]
//! ```
//!
//! Exit status 0 when the call was answered, ended normally and the
//! recording carries the speech; 1 otherwise.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example: it tells what happens"
)]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "an example")]
#![allow(
    clippy::disallowed_methods,
    reason = "an example drives the call in real time"
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use linkus_core::{CallState, Core, Event};
use linkus_media::audio::wav::WavReader;
use linkus_media::audio::{AudioDevice, EndOfInput, NullDevice, RecordingLayout, WavFileDevice};
use linkus_media::codec::Codec;

fn read_wav(path: &std::path::Path) -> (Vec<i16>, u32) {
    let mut r = WavReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let spec = r.spec();
    (r.read_to_end().unwrap(), spec.sample_rate)
}

/// Best normalised correlation of `got` against `want` within `max_lag`
/// samples, found on 1 ms energy envelopes first.
fn correlation(want: &[i16], got: &[i16], rate: usize, max_lag: usize) -> f64 {
    let at = |a: &[i16], b: &[i16], lag: usize| {
        let n = a.len().min(b.len().saturating_sub(lag));
        let (mut xy, mut xx, mut yy) = (0.0, 0.0, 0.0);
        for i in 0..n {
            let (x, y) = (f64::from(a[i]), f64::from(b[i + lag]));
            xy += x * y;
            xx += x * x;
            yy += y * y;
        }
        xy / (xx * yy).sqrt().max(1.0)
    };
    let ms = rate / 1000;
    let env = |x: &[i16]| -> Vec<i16> {
        x.chunks(ms)
            .map(|c| (c.iter().map(|&s| i32::from(s).abs()).sum::<i32>() / ms as i32) as i16)
            .collect()
    };
    let (ew, eg) = (env(want), env(got));
    let coarse = (0..=max_lag / ms)
        .max_by(|&a, &b| at(&ew, &eg, a).total_cmp(&at(&ew, &eg, b)))
        .unwrap_or(0);
    ((coarse * ms).saturating_sub(3 * ms)..=coarse * ms + 3 * ms)
        .map(|lag| at(want, got, lag))
        .fold(f64::MIN, f64::max)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut wav = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/data/speech_16k.wav"
    ));
    let mut out = std::env::temp_dir().join("linkus-quickstart-bob.wav");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--wav", Some(p)) => wav = p.into(),
            ("--out", Some(p)) => out = p.into(),
            _ => {
                eprintln!("usage: quickstart [--wav IN.wav] [--out OUT.wav]");
                std::process::exit(2);
            }
        }
    }
    let (speech, rate) = read_wav(&wav);
    let talk = Duration::from_secs_f64(speech.len() as f64 / f64::from(rate));

    let mic = wav.clone();
    let mut alice = Core::builder()
        .sip_udp("127.0.0.1:0".parse().unwrap())
        .user("alice")
        .codecs(vec![Codec::G722])
        .audio_device(Arc::new(move || {
            Box::new(WavFileDevice::open(&mic, None, EndOfInput::Silence).unwrap())
                as Box<dyn AudioDevice>
        }))
        .start()
        .await
        .unwrap();
    let mut bob = Core::builder()
        .sip_udp("127.0.0.1:0".parse().unwrap())
        .user("bob")
        .auto_answer(Duration::ZERO)
        .unwrap()
        .audio_device(Arc::new(|| {
            Box::new(NullDevice::new(16_000, 1)) as Box<dyn AudioDevice>
        }))
        .start()
        .await
        .unwrap();
    println!("alice at {}, bob at {}", alice.uri(), bob.uri());

    let call = alice.dial(&bob.uri()).await.unwrap();
    let mut answered = false;
    let mut ended_ok = false;
    let (mut alice_done, mut bob_done) = (false, false);
    let hangup_at = tokio::time::sleep(Duration::from_secs(3600));
    tokio::pin!(hangup_at);
    let deadline = tokio::time::sleep(talk + Duration::from_secs(10));
    tokio::pin!(deadline);
    while !(alice_done && bob_done) {
        tokio::select! {
            Some(e) = alice.next_event() => {
                println!("alice: {e:?}");
                match e {
                    Event::CallState { state: CallState::Answered { .. }, .. } => {
                        answered = true;
                        // Let the whole file play, plus the jitter buffer's delay.
                        hangup_at.as_mut().reset(tokio::time::Instant::now() + talk + Duration::from_millis(600));
                    }
                    Event::CallState { state: CallState::Ended { reason, quality }, .. } => {
                        ended_ok = reason == linkus_core::CallEnd::Local;
                        if let Some(q) = quality {
                            println!(
                                "alice's quality summary: sent {} packets, received {}, lost {}, jitter {:?}, rtt {:?}, MOS {:.2}",
                                q.packets_sent,
                                q.packets_received,
                                q.packets_lost,
                                q.jitter,
                                q.rtt,
                                q.quality.map_or(0.0, |e| e.mos)
                            );
                        }
                        alice_done = true;
                    }
                    _ => {}
                }
            }
            Some(e) = bob.next_event() => {
                println!("bob:   {e:?}");
                match e {
                    Event::CallState { call: c, state: CallState::Answered { .. } } => {
                        let file = std::fs::File::create(&out).unwrap();
                        bob.start_recording(c, Box::new(file), RecordingLayout::Mono).unwrap();
                    }
                    Event::CallState { state: CallState::Ended { quality, .. }, .. } => {
                        if let Some(q) = quality {
                            println!(
                                "bob's quality summary: received {} packets, lost {}, concealed {} frames, jitter buffer {:?}, MOS {:.2}",
                                q.packets_received,
                                q.packets_lost,
                                q.frames_concealed,
                                q.jitter_buffer_delay,
                                q.quality.map_or(0.0, |e| e.mos)
                            );
                        }
                        bob_done = true;
                    }
                    _ => {}
                }
            }
            () = &mut hangup_at => {
                alice.hangup(call).await.unwrap();
                hangup_at.as_mut().reset(tokio::time::Instant::now() + Duration::from_secs(3600));
            }
            () = &mut deadline => {
                eprintln!("the call did not finish in time");
                std::process::exit(1);
            }
        }
    }
    alice.shutdown().await;
    bob.shutdown().await;

    let (heard, heard_rate) = read_wav(&out);
    let rms = (heard.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>()
        / heard.len().max(1) as f64)
        .sqrt();
    let corr = if heard_rate == rate {
        correlation(&speech, &heard, rate as usize, rate as usize)
    } else {
        0.0
    };
    println!(
        "bob's recording {}: {:.2} s at {} Hz, RMS {:.0}, correlation with what alice played {:.3}",
        out.display(),
        heard.len() as f64 / f64::from(heard_rate),
        heard_rate,
        rms,
        corr
    );
    if !(answered && ended_ok && rms > 100.0 && corr > 0.8) {
        eprintln!(
            "FAILED: answered {answered}, ended normally {ended_ok}, RMS {rms:.0}, correlation {corr:.3}"
        );
        std::process::exit(1);
    }
    println!("OK: the call was answered, carried the speech, and ended normally");
}
