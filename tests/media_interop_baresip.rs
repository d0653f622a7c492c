//! A call with baresip, a real softphone, over loopback: SIP through
//! `linkus-sip`, SDP offer/answer through `linkus_media::sdp`, audio through
//! `linkus_media::stream`. baresip sends a 1 kHz sine and records what it
//! decodes; we send a 600 Hz tone and keep what we decode. Each side must
//! hear the other's tone: our RTP (plain and SRTP) reaches baresip and
//! baresip's reaches us, for G.711, G.722 and Opus.
#![allow(
    clippy::disallowed_methods,
    reason = "a real-time driver of the sans-IO stream: it reads the clock"
)]

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use linkus_media::codec::Codec;
use linkus_media::sdp::{CryptoSuite, LocalMedia, Negotiator, SessionDescription, SrtpPolicy};
use linkus_media::stream::{AudioStream, StreamConfig};
use linkus_sip::driver::Endpoint;
use linkus_sip::message::Uri;
use linkus_sip::message::typed::{NameAddr, Transport};
use linkus_sip::ua::{Body, EndReason, InviteConfig, SessionEvent, SessionId, UaEvent};
use linkus_testkit::Baresip;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(15);
const CALL: Duration = Duration::from_millis(2500);
const THEIR_TONE: f64 = 1000.0;
const OUR_TONE: f64 = 600.0;

async fn session_event(ev: &mut UnboundedReceiver<UaEvent>, s: SessionId) -> SessionEvent {
    loop {
        match timeout(WAIT, ev.recv())
            .await
            .expect("session event in time")
            .expect("driver alive")
        {
            UaEvent::Session { session, event } if session == s => return event,
            _ => {}
        }
    }
}

/// Share of the signal's energy at `freq` (Goertzel over 20 ms blocks, as
/// a fraction of the block energy, averaged over blocks with sound).
fn tone_share(pcm: &[i16], rate: u32, freq: f64) -> f64 {
    let n = rate as usize / 50;
    let coeff = 2.0 * (std::f64::consts::TAU * freq / f64::from(rate)).cos();
    let (mut sum, mut blocks) = (0.0, 0);
    for block in pcm.chunks_exact(n) {
        let (mut q1, mut q2, mut energy) = (0.0f64, 0.0f64, 0.0f64);
        for &s in block {
            let x = f64::from(s);
            energy += x * x;
            let q0 = coeff * q1 - q2 + x;
            q2 = q1;
            q1 = q0;
        }
        if energy < 1e3 * n as f64 {
            continue; // silence
        }
        let power = q1 * q1 + q2 * q2 - coeff * q1 * q2;
        // A pure tone's Goertzel power is energy * n / 2.
        sum += power / (energy * n as f64 / 2.0);
        blocks += 1;
    }
    if blocks == 0 {
        0.0
    } else {
        sum / f64::from(blocks)
    }
}

/// The samples and rate of a 16-bit PCM WAV file.
fn read_wav(path: &std::path::Path) -> (Vec<i16>, u32, u16) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..4], b"RIFF", "{}", path.display());
    let (mut at, mut rate, mut channels) = (12, 0, 1);
    while at + 8 <= b.len() {
        let id = &b[at..at + 4];
        let len = u32::from_le_bytes(b[at + 4..at + 8].try_into().unwrap()) as usize;
        let body = &b[at + 8..(at + 8 + len).min(b.len())];
        if id == b"fmt " {
            channels = u16::from_le_bytes([body[2], body[3]]);
            rate = u32::from_le_bytes(body[4..8].try_into().unwrap());
        } else if id == b"data" {
            let pcm = body
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .step_by(usize::from(channels))
                .collect();
            return (pcm, rate, channels);
        }
        at += 8 + len + (len & 1);
    }
    panic!("no data chunk in {}", path.display());
}

async fn call_baresip(codec: Codec, srtp: bool) {
    let mut builder = Baresip::builder("1001", "unused", "127.0.0.1:5060".parse().unwrap())
        .no_register()
        .audio_source(&format!("ausine,{THEIR_TONE}"))
        .record()
        .modules(&["g722.so", "opus.so"]);
    if srtp {
        builder = builder.media_encryption("srtp-mand");
    }
    let phone = builder.start().unwrap();
    let (ep, mut ev) = Endpoint::builder()
        .udp(SocketAddr::from(([127, 0, 0, 1], 0)))
        .build()
        .await
        .unwrap();

    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_nonblocking(true).unwrap();
    let port = socket.local_addr().unwrap().port();
    let policy = if srtp {
        SrtpPolicy::Require(vec![
            CryptoSuite::AesCm128HmacSha1_80,
            CryptoSuite::AeadAes128Gcm,
        ])
    } else {
        SrtpPolicy::Off
    };
    let local = LocalMedia::new([127, 0, 0, 1].into(), port)
        .with_codecs(vec![codec])
        .with_srtp(policy);
    let mut seed = 0x1234_5678_u32;
    let mut negotiator = Negotiator::new(local, move |_: &CryptoSuite, key: &mut [u8]| {
        for b in key {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *b = (seed >> 24) as u8;
        }
    });
    let offer = negotiator.create_offer().unwrap().to_string();

    let peer = ep
        .resolve(&phone.sip_addr().to_string(), &Transport::Udp)
        .await
        .unwrap();
    let cfg = InviteConfig {
        target: Uri::parse(&format!("sip:1001@{}", phone.sip_addr())).unwrap(),
        from: NameAddr::new(Uri::parse("sip:linkus@127.0.0.1").unwrap()),
        peer,
        route: Vec::new(),
        offer: Some(Body::sdp(offer)),
        extra_headers: Vec::new(),
        account: None,
        credentials: None,
    };
    let call = ep
        .with_ua(move |ua, now| ua.invite(now, cfg))
        .await
        .unwrap()
        .unwrap();
    let answered = loop {
        match session_event(&mut ev, call).await {
            SessionEvent::Progress { .. } => {}
            other => break other,
        }
    };
    let SessionEvent::Answered { body: Some(answer) } = answered else {
        phone.print_logs();
        panic!("{codec:?} srtp={srtp}: {answered:?}");
    };
    let answer = SessionDescription::parse(&String::from_utf8_lossy(&answer.bytes)).unwrap();
    let media = negotiator.receive_answer(&answer).unwrap();
    let cfg = StreamConfig::from_negotiated(&media[0], 0x4c49_4e4b).unwrap();
    assert_eq!(cfg.codec, codec);
    assert_eq!(cfg.srtp.is_some(), srtp);
    let mut stream = AudioStream::new(cfg).unwrap();
    let rate = codec.info().sample_rate;
    let frame = stream.frame_samples();

    // Real time: a frame every 20 ms, sent, then what arrived is taken in.
    let start = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let (mut wire, mut rx) = ([0u8; 1500], [0u8; 1500]);
    let mut pcm = vec![0i16; frame];
    let mut heard = Vec::new();
    let mut n = 0u64;
    while start.elapsed() < CALL {
        tick.tick().await;
        let now = start.elapsed();
        while let Ok((len, from)) = socket.recv_from(&mut rx) {
            stream.receive(now, from, &rx[..len]);
        }
        let tone: Vec<i16> = (0..frame as u64)
            .map(|i| {
                let t = (n * frame as u64 + i) as f64 / f64::from(rate);
                (8000.0 * (std::f64::consts::TAU * OUR_TONE * t).sin()) as i16
            })
            .collect();
        n += 1;
        let tx = stream.send_frame(now, &tone, &mut wire).unwrap();
        socket.send_to(&wire[..tx.len], tx.to).unwrap();
        stream.play_frame(now, &mut pcm).unwrap();
        heard.extend_from_slice(&pcm);
        if let Some(t) = stream.poll_rtcp(now, &mut wire) {
            socket.send_to(&wire[..t.len], t.to).unwrap();
        }
    }
    ep.with_ua(move |ua, now| ua.hangup(now, call))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        session_event(&mut ev, call).await,
        SessionEvent::Ended {
            reason: EndReason::Local
        }
    );
    phone.wait_event("CALL_CLOSED", WAIT).unwrap();
    let stats = stream.stats();
    timeout(WAIT, ep.shutdown()).await.expect("clean shutdown");

    // baresip's RTP reached us and decodes to its 1 kHz sine.
    assert!(
        stats.packets_received > 80,
        "{codec:?} srtp={srtp}: {stats:?}"
    );
    assert_eq!(stats.packets_dropped, 0, "{codec:?} srtp={srtp}: {stats:?}");
    let ours = tone_share(&heard, rate, THEIR_TONE);
    assert!(
        ours > 0.8,
        "{codec:?} srtp={srtp}: we hear baresip's tone at {ours:.2}"
    );
    // Ours reached baresip: its recording of what it decoded has our tone.
    let dec = phone
        .recordings()
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
        .unwrap_or_else(|| {
            phone.print_logs();
            panic!("no recording of what baresip decoded")
        });
    let (theirs, their_rate, _) = read_wav(&dec);
    let share = tone_share(&theirs, their_rate, OUR_TONE);
    assert!(
        share > 0.8,
        "{codec:?} srtp={srtp}: baresip hears our tone at {share:.2} ({})",
        dec.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g711_plain_and_srtp_both_ways() {
    call_baresip(Codec::Pcmu, false).await;
    call_baresip(Codec::Pcma, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g722_over_srtp_both_ways() {
    call_baresip(Codec::G722, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opus_both_ways() {
    call_baresip(Codec::Opus, false).await;
}
