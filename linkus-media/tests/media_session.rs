//! Two media sessions, each on its own thread, over real UDP sockets on
//! 127.0.0.1 in real time: one plays speech from a WAV device through
//! G.722 over SRTP, the other records what it plays; the recording must
//! match the speech. Also DTMF and the report at the end.
#![allow(
    clippy::disallowed_methods,
    reason = "the sessions run in real time: the test waits for them"
)]

use std::net::UdpSocket;
use std::sync::mpsc::channel;
use std::time::Duration;

use linkus_media::audio::wav::{WavReader, WavSpec};
use linkus_media::audio::{AudioDevice, EndOfInput, WavFileDevice};
use linkus_media::codec::Codec;
use linkus_media::session::MediaSession;
use linkus_media::srtp::SrtpSuite;
use linkus_media::stream::{MediaEvent, StreamConfig};

fn speech() -> Vec<i16> {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/g722_speech.in.raw"
    ))
    .unwrap();
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

fn correlation_at(want: &[i16], got: &[i16], lag: usize) -> f64 {
    let n = want.len().min(got.len().saturating_sub(lag));
    let (mut xy, mut xx, mut yy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (x, y) = (f64::from(want[i]), f64::from(got[i + lag]));
        xy += x * y;
        xx += x * x;
        yy += y * y;
    }
    xy / (xx * yy).sqrt().max(1.0)
}

#[test]
fn speech_through_two_sessions_over_udp_with_srtp() {
    let spec = WavSpec {
        sample_rate: 16_000,
        channels: 1,
    };
    let input = speech();
    let a_sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b_sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (a_addr, b_addr) = (a_sock.local_addr().unwrap(), b_sock.local_addr().unwrap());
    let suite = SrtpSuite::AesCm128HmacSha1_80;
    let mut a_cfg = StreamConfig::new(Codec::G722, 9, b_addr, 1);
    let mut b_cfg = StreamConfig::new(Codec::G722, 9, a_addr, 2);
    a_cfg.srtp = Some((suite, vec![1; 30], vec![2; 30]));
    b_cfg.srtp = Some((suite, vec![2; 30], vec![1; 30]));
    a_cfg.telephone_event_pt = Some(101);
    b_cfg.telephone_event_pt = Some(101);

    let mic =
        WavFileDevice::from_samples("speech", spec, input.clone(), EndOfInput::Silence).unwrap();
    let mut speaker =
        WavFileDevice::from_samples("silence", spec, vec![0; 16_000], EndOfInput::Silence).unwrap();
    let dir = std::env::temp_dir().join(format!("linkus-media-session-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("heard.wav");
    speaker
        .record_to(Box::new(std::fs::File::create(&out).unwrap()))
        .unwrap();

    let (events_tx, events) = channel();
    let a = MediaSession::start(a_sock, a_cfg, Box::new(mic), |_| {}).unwrap();
    let b = MediaSession::start(b_sock, b_cfg, Box::new(speaker), move |e| {
        let _ = events_tx.send(e);
    })
    .unwrap();
    std::thread::sleep(Duration::from_millis(3500));
    a.send_dtmf('7', Duration::from_millis(100)).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    assert!(b.stats().packets_received > 150);
    let a_report = a.stop();
    let b_report = b.stop();
    assert!(a_report.error.is_none(), "{:?}", a_report.error);
    assert!(b_report.error.is_none(), "{:?}", b_report.error);
    assert_eq!(b_report.stats.packets_dropped, 0);
    assert!(b_report.stats.quality.is_some());
    let events: Vec<MediaEvent> = events.try_iter().collect();
    assert!(
        events.contains(&MediaEvent::Dtmf {
            digit: '7',
            duration: Duration::from_millis(100)
        }),
        "{events:?}"
    );
    drop(b_report.device);

    let mut reader = WavReader::new(std::fs::File::open(&out).unwrap()).unwrap();
    let heard = reader.read_to_end().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    // The path adds the jitter buffer's delay and the thread's phase: find
    // the lag on 1 ms energy envelopes, then per sample.
    let env = |x: &[i16]| -> Vec<i16> {
        x.chunks(16)
            .map(|c| (c.iter().map(|&s| i32::from(s).abs()).sum::<i32>() / 16) as i16)
            .collect()
    };
    let (ei, eh) = (env(&input), env(&heard));
    let coarse = (0..600)
        .max_by(|&x, &y| correlation_at(&ei, &eh, x).total_cmp(&correlation_at(&ei, &eh, y)))
        .unwrap();
    let best = (coarse * 16 - 48.min(coarse * 16)..coarse * 16 + 48)
        .map(|lag| correlation_at(&input, &heard, lag))
        .fold(f64::MIN, f64::max);
    // G.722 alone keeps 0.999 (tests/audio_streams.rs); the margin is for
    // a stall of the real-time threads on a busy machine.
    assert!(best > 0.9, "correlation {best}");
}

#[test]
fn a_device_the_path_refuses_fails_start() {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let cfg = StreamConfig::new(Codec::Pcmu, 0, "127.0.0.1:9".parse().unwrap(), 1);
    // The audio path takes mono or stereo devices only.
    #[derive(Debug)]
    struct ThreeChannels;
    impl AudioDevice for ThreeChannels {
        fn name(&self) -> &str {
            "three"
        }
        fn sample_rate(&self) -> u32 {
            8000
        }
        fn channels(&self) -> u16 {
            3
        }
        fn read_frame(&mut self, _: &mut [i16]) -> Result<usize, linkus_media::Error> {
            Ok(0)
        }
        fn write_frame(&mut self, _: &[i16]) -> Result<(), linkus_media::Error> {
            Ok(())
        }
    }
    assert!(matches!(
        MediaSession::start(sock, cfg, Box::new(ThreeChannels), |_| {}),
        Err(linkus_media::Error::InvalidConfig { .. })
    ));
}
