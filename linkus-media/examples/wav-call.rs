//! A call between two headless endpoints, from a WAV "microphone" to a WAV
//! "loudspeaker": Alice's `WavFileDevice` plays the input file as her
//! microphone; her `AudioPath` (echo cancellation, send gain) feeds an
//! `AudioStream` that encodes G.722 into RTP; Bob's stream takes the
//! packets through its jitter buffer and decoder, and his `AudioPath`
//! plays them on a `WavFileDevice` that records to the output file (at
//! the output's rate: 48 kHz stereo by default). Bob's side also records
//! the call in stereo (left: Bob, right: Alice) next to the output.
//!
//! ```text
//! cargo run -p linkus-media --example wav-call -- IN.wav OUT.wav [SEND_GAIN_DB]
//! ```
//!
//! IN.wav: 16-bit PCM, mono or stereo, at a rate that divides into 20 ms
//! frames at 16 kHz (8, 16, 22.05, 32, 44.1, 48 kHz ...).
//!
//! Sans-IO: the loop advances a virtual clock by 20 ms per frame, so it
//! runs as fast as the CPU allows.
#![allow(clippy::print_stdout, reason = "an example prints its result")]

use std::error::Error;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::net::SocketAddr;
use std::time::Duration;

use linkus_media::audio::wav::{WavReader, WavSpec};
use linkus_media::audio::{AudioConfig, AudioPath, EndOfInput, RecordingLayout, WavFileDevice};
use linkus_media::codec::Codec;
use linkus_media::stream::{AudioStream, StreamConfig};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(input), Some(output)) = (args.first(), args.get(1)) else {
        return Err("usage: wav-call IN.wav OUT.wav [SEND_GAIN_DB]".into());
    };
    let gain: f32 = args.get(2).map_or(Ok(0.0), |g| g.parse())?;

    // Alice: the input file as her microphone, nothing recorded.
    let mut reader = WavReader::new(BufReader::new(File::open(input)?))?;
    let in_spec = reader.spec();
    let samples = reader.read_to_end()?;
    let per_frame = in_spec.sample_rate as usize / 50 * usize::from(in_spec.channels);
    // The input, then 200 ms for the jitter buffer and codec delay.
    let total_frames = samples.len().div_ceil(per_frame) + 10;
    let mic = WavFileDevice::from_samples(input.clone(), in_spec, samples, EndOfInput::Silence)?;
    let mut cfg = AudioConfig::new(16_000, 320);
    cfg.send_gain_db = gain;
    let mut alice = AudioPath::new(Box::new(mic), cfg)?;

    // Bob: silence as his microphone, his loudspeaker recorded to OUT.
    let spec = WavSpec {
        sample_rate: 48_000,
        channels: 2,
    };
    let mut speaker = WavFileDevice::from_samples("bob", spec, Vec::new(), EndOfInput::Silence)?;
    speaker.record_to(Box::new(BufWriter::new(File::create(output)?)))?;
    let mut bob = AudioPath::new(Box::new(speaker), AudioConfig::new(16_000, 320))?;
    let call_wav = format!("{output}.call.wav");
    bob.start_recording(
        Box::new(BufWriter::new(File::create(&call_wav)?)),
        RecordingLayout::Stereo,
    )?;

    let a: SocketAddr = "127.0.0.1:40000".parse()?;
    let b: SocketAddr = "127.0.0.1:40002".parse()?;
    let mut tx = AudioStream::new(StreamConfig::new(Codec::G722, 9, b, 0xA11CE))?;
    let mut rx = AudioStream::new(StreamConfig::new(Codec::G722, 9, a, 0xB0B))?;

    let (mut pcm, mut wire) = ([0i16; 320], [0u8; 1500]);
    for frame in 0..total_frames {
        let now = Duration::from_millis(frame as u64 * 20);
        alice.capture(&mut pcm)?;
        let t = tx.send_frame(now, &pcm, &mut wire)?;
        rx.receive(now, a, &wire[..t.len]);
        rx.play_frame(now, &mut pcm)?;
        bob.playback(&pcm)?;
        bob.capture(&mut pcm)?;
    }
    let stats = rx.stats();
    bob.finish()?;
    alice.finish()?;
    println!(
        "{:.2} s of audio; Bob decoded {} frames, concealed {}; wrote {output} and {call_wav}",
        total_frames as f64 * 0.02,
        stats.frames_decoded,
        stats.frames_concealed
    );
    Ok(())
}
