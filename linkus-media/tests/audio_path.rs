//! The audio path of a call: device switching mid-call without a gap or a
//! click, echo cancellation through the path with a 48 kHz device, call
//! recording, and the whole chain from a WAV "microphone" through RTP to a
//! WAV "loudspeaker".

use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use linkus_media::Error;
use linkus_media::audio::wav::{WavReader, WavSpec};
use linkus_media::audio::{
    AudioConfig, AudioDevice, AudioPath, EndOfInput, NullDevice, RecordingLayout, WavFileDevice,
};
use linkus_media::codec::Codec;
use linkus_media::stream::{AudioStream, StreamConfig};

const SPEECH: &[u8] = include_bytes!("data/g722_speech.in.raw");

fn speech() -> Vec<i16> {
    SPEECH
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// A device that captures a tone and keeps what it plays (left channel).
#[derive(Debug)]
struct ToneDevice {
    name: &'static str,
    rate: u32,
    channels: u16,
    t: usize,
    played: Arc<Mutex<Vec<i16>>>,
    finished: Arc<AtomicBool>,
}

impl ToneDevice {
    fn new(
        name: &'static str,
        rate: u32,
        channels: u16,
    ) -> (Self, Arc<Mutex<Vec<i16>>>, Arc<AtomicBool>) {
        let played = Arc::new(Mutex::new(Vec::new()));
        let finished = Arc::new(AtomicBool::new(false));
        let d = ToneDevice {
            name,
            rate,
            channels,
            t: 0,
            played: played.clone(),
            finished: finished.clone(),
        };
        (d, played, finished)
    }
}

impl AudioDevice for ToneDevice {
    fn name(&self) -> &str {
        self.name
    }
    fn sample_rate(&self) -> u32 {
        self.rate
    }
    fn channels(&self) -> u16 {
        self.channels
    }
    fn read_frame(&mut self, pcm: &mut [i16]) -> Result<usize, Error> {
        for f in pcm.chunks_mut(usize::from(self.channels)) {
            let x = 2.0 * std::f64::consts::PI * 500.0 * self.t as f64 / f64::from(self.rate);
            f.fill((10_000.0 * x.sin()) as i16);
            self.t += 1;
        }
        Ok(pcm.len())
    }
    fn write_frame(&mut self, pcm: &[i16]) -> Result<(), Error> {
        let mut p = self.played.lock().unwrap();
        p.extend(pcm.iter().step_by(usize::from(self.channels)));
        Ok(())
    }
    fn finish(&mut self) -> Result<(), Error> {
        self.finished.store(true, Ordering::SeqCst);
        Ok(())
    }
}

fn no_echo_cancellation(rate: u32, frame: usize) -> AudioConfig {
    let mut cfg = AudioConfig::new(rate, frame);
    cfg.echo_cancellation = false;
    cfg
}

#[test]
fn switching_capture_device_has_no_gap_and_no_click() {
    let (a, _, a_done) = ToneDevice::new("earpiece", 48_000, 2);
    let mut b = Some(ToneDevice::new("bluetooth", 16_000, 1).0);
    let mut path = AudioPath::new(Box::new(a), no_echo_cancellation(16_000, 320)).unwrap();
    let mut out = Vec::new();
    let mut frame = [0i16; 320];
    for i in 0..20 {
        if i == 10 {
            path.switch_device(Box::new(b.take().unwrap())).unwrap();
        }
        path.capture(&mut frame).unwrap();
        out.extend_from_slice(&frame);
        path.playback(&[0; 320]).unwrap();
    }
    assert_eq!(path.device().name(), "bluetooth");
    assert!(a_done.load(Ordering::SeqCst));
    assert_eq!(path.take_previous_device().unwrap().name(), "earpiece");
    // A 500 Hz tone of amplitude 10000 at 16 kHz moves at most 1963 per
    // sample; an abrupt switch between the devices' phases would jump by
    // several thousand.
    let after_start = &out[320..];
    let max_step = after_start
        .windows(2)
        .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
        .max()
        .unwrap();
    assert!(max_step <= 2100, "click: step of {max_step}");
    // No gap: every 5 ms keeps a good part of the tone.
    for w in after_start.chunks(80) {
        let rms = (w.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / 80.0).sqrt();
        assert!(rms > 2000.0, "gap: rms {rms:.0}");
    }
}

#[test]
fn switching_playback_device_cross_fades() {
    let (a, a_played, _) = ToneDevice::new("speaker", 16_000, 1);
    let (b, b_played, _) = ToneDevice::new("headset", 48_000, 2);
    let mut b = Some(b);
    let mut path = AudioPath::new(Box::new(a), no_echo_cancellation(16_000, 320)).unwrap();
    let mut cap = [0i16; 320];
    for i in 0..20 {
        if i == 10 {
            path.switch_device(Box::new(b.take().unwrap())).unwrap();
        }
        path.capture(&mut cap).unwrap();
        path.playback(&[8000; 320]).unwrap();
    }
    let a = a_played.lock().unwrap();
    let b = b_played.lock().unwrap();
    // The old device got one more frame, fading out; the new one all the
    // frames from the switch, fading in, at its own rate.
    assert_eq!(a.len(), 11 * 320);
    assert_eq!(b.len(), 10 * 960);
    assert!(a[..10 * 320].iter().all(|&s| s == 8000));
    let fade_out = &a[10 * 320..];
    assert!(fade_out.windows(2).all(|w| w[1] <= w[0]));
    assert!(fade_out[319] < 50);
    assert!(b[0].abs() < 50);
    // After the fade (and the resampler's start-up), full level.
    assert!(
        b[2 * 960..].iter().all(|&s| (s - 8000).abs() <= 2),
        "{:?}",
        &b[2 * 960..2 * 960 + 8]
    );
}

/// Loudspeaker to microphone: what is played comes back 30 ms later,
/// 6 dB down.
#[derive(Debug)]
struct EchoRoom {
    delay: std::collections::VecDeque<i16>,
}

impl AudioDevice for EchoRoom {
    fn name(&self) -> &str {
        "room"
    }
    fn sample_rate(&self) -> u32 {
        48_000
    }
    fn channels(&self) -> u16 {
        1
    }
    fn read_frame(&mut self, pcm: &mut [i16]) -> Result<usize, Error> {
        for s in pcm.iter_mut() {
            *s = self.delay.pop_front().unwrap_or(0) / 2;
        }
        Ok(pcm.len())
    }
    fn write_frame(&mut self, pcm: &[i16]) -> Result<(), Error> {
        self.delay.extend(pcm);
        Ok(())
    }
}

fn echo_energy_db(echo_cancellation: bool) -> f64 {
    let room = EchoRoom {
        delay: std::iter::repeat_n(0, 48 * 30).collect(),
    };
    let mut cfg = AudioConfig::new(16_000, 320);
    cfg.echo_cancellation = echo_cancellation;
    let mut path = AudioPath::new(Box::new(room), cfg).unwrap();
    let sp = speech();
    let mut cap = [0i16; 320];
    let (mut e_in, mut e_out) = (0.0, 0.0);
    for (i, far) in sp.chunks_exact(320).chain(sp.chunks_exact(320)).enumerate() {
        path.capture(&mut cap).unwrap();
        path.playback(far).unwrap();
        if i >= 150 {
            e_in += far.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>();
            e_out += cap.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>();
        }
    }
    10.0 * (e_out / e_in).log10()
}

#[test]
fn the_path_cancels_the_echo_of_what_it_plays() {
    let off = echo_energy_db(false);
    let on = echo_energy_db(true);
    eprintln!("echo through a 48 kHz device: {off:.1} dB without AEC, {on:.1} dB with");
    assert!((off + 6.0).abs() < 1.0, "{off}");
    assert!(on < off - 20.0, "{on} vs {off}");
}

#[test]
fn records_both_directions() {
    let mut path = AudioPath::new(
        Box::new(NullDevice::new(8000, 1)),
        no_echo_cancellation(8000, 160),
    )
    .unwrap();
    path.set_send_gain_db(0.0).unwrap();
    let id = path
        .start_recording(Box::new(Cursor::new(Vec::new())), RecordingLayout::Stereo)
        .unwrap();
    let mut cap = [0i16; 160];
    for _ in 0..3 {
        path.capture(&mut cap).unwrap();
        path.playback(&[1234; 160]).unwrap();
    }
    assert!(path.stop_recording(id).unwrap().is_some());
    assert!(path.stop_recording(id).unwrap().is_none());
    assert!(path.set_receive_gain_db(25.0).is_err());
    assert!(matches!(
        path.capture(&mut [0; 100]),
        Err(Error::BadFrameSize { .. })
    ));
    assert!(
        AudioPath::new(
            Box::new(NullDevice::new(44_100, 1)),
            AudioConfig::new(16_000, 320)
        )
        .is_ok()
    );
    assert!(
        AudioPath::new(
            Box::new(NullDevice::new(16_000, 1)),
            AudioConfig::new(16_000, 300)
        )
        .is_err()
    );
    assert!(
        AudioPath::new(
            Box::new(NullDevice::new(22_050, 1)),
            AudioConfig::new(16_000, 160)
        )
        .is_err()
    );
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Microphone WAV → path (send gain −6 dB) → G.722 RTP → jitter buffer →
/// decoder → path → loudspeaker WAV: the recording is the speech, 6 dB
/// down, at the loudspeaker's 48 kHz.
#[test]
fn wav_microphone_to_wav_loudspeaker_over_rtp() {
    let dir = std::env::temp_dir().join(format!("linkus-audio-path-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spk = dir.join("speaker.wav");
    let spec = WavSpec {
        sample_rate: 16_000,
        channels: 1,
    };
    let mic = WavFileDevice::from_samples("mic", spec, speech(), EndOfInput::Silence).unwrap();
    let mut cfg = no_echo_cancellation(16_000, 320);
    cfg.send_gain_db = -6.0;
    let mut alice = AudioPath::new(Box::new(mic), cfg).unwrap();
    let mut bob_dev = WavFileDevice::from_samples(
        "bob",
        WavSpec {
            sample_rate: 48_000,
            channels: 2,
        },
        Vec::new(),
        EndOfInput::Silence,
    )
    .unwrap();
    bob_dev
        .record_to(Box::new(std::io::BufWriter::new(
            std::fs::File::create(&spk).unwrap(),
        )))
        .unwrap();
    let mut bob = AudioPath::new(Box::new(bob_dev), AudioConfig::new(16_000, 320)).unwrap();
    let mut tx =
        AudioStream::new(StreamConfig::new(Codec::G722, 9, addr("127.0.0.1:6002"), 1)).unwrap();
    let mut rx =
        AudioStream::new(StreamConfig::new(Codec::G722, 9, addr("127.0.0.1:6000"), 2)).unwrap();
    let (mut pcm, mut wire) = ([0i16; 320], [0u8; 1500]);
    for i in 0..200u32 {
        let now = Duration::from_millis(u64::from(i) * 20);
        alice.capture(&mut pcm).unwrap();
        let t = tx.send_frame(now, &pcm, &mut wire).unwrap();
        rx.receive(now, addr("127.0.0.1:6000"), &wire[..t.len]);
        rx.play_frame(now, &mut pcm).unwrap();
        bob.playback(&pcm).unwrap();
        bob.capture(&mut pcm).unwrap();
    }
    bob.finish().unwrap();
    let mut r = WavReader::new(std::fs::File::open(&spk).unwrap()).unwrap();
    assert_eq!(r.spec().sample_rate, 48_000);
    let played: Vec<i16> = r
        .read_to_end()
        .unwrap()
        .into_iter()
        .step_by(2 * 3)
        .collect();
    std::fs::remove_dir_all(&dir).unwrap();
    // Best alignment (jitter buffer + codec + resamplers), then compare.
    let sp = speech();
    let (mut best, mut lag, mut level) = (0.0, 0, 0.0);
    for l in 0..4000 {
        let n = sp.len().min(played.len() - l) - 1;
        let (mut xy, mut xx, mut yy) = (0.0, 0.0, 0.0);
        for j in (0..n).step_by(4) {
            let (x, y) = (f64::from(sp[j]), f64::from(played[j + l]));
            xy += x * y;
            xx += x * x;
            yy += y * y;
        }
        let c = xy / (xx * yy).sqrt().max(1.0);
        if c > best {
            (best, lag, level) = (c, l, 10.0 * (yy / xx).log10());
        }
    }
    eprintln!("loudspeaker: correlation {best:.3} at {lag} samples, level {level:+.1} dB");
    assert!(best > 0.98, "correlation {best:.3} at lag {lag}");
    assert!((level + 6.0).abs() < 0.5, "level {level:.1} dB");
}

#[test]
fn recording_tone_beeps_while_recording() {
    let mut path = AudioPath::new(
        Box::new(NullDevice::new(16_000, 1)),
        no_echo_cancellation(16_000, 320),
    )
    .unwrap();
    path.set_recording_tone(true);
    let mut cap = [0i16; 320];
    // Not recording: silence stays silence.
    path.capture(&mut cap).unwrap();
    assert!(cap.iter().all(|&s| s == 0));
    let id = path
        .start_recording(Box::new(Cursor::new(Vec::new())), RecordingLayout::Mono)
        .unwrap();
    let mut sent = Vec::new();
    for _ in 0..50 {
        path.capture(&mut cap).unwrap();
        sent.extend_from_slice(&cap);
        path.playback(&[0; 320]).unwrap();
    }
    path.stop_recording(id).unwrap();
    // A 200 ms beep at -20 dBFS (3277), then silence until 15 s.
    let peak = sent[..3200].iter().map(|&s| s.abs()).max().unwrap();
    assert!((3200..=3277).contains(&peak), "{peak}");
    assert!(sent[3200..].iter().all(|&s| s == 0));
}
