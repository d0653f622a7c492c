//! Two audio streams exchange real speech through every codec, with and
//! without SRTP, over a clean and a lossy, jittery emulated network; the
//! test decodes what arrived and checks it against what was sent. Also:
//! DTMF, symmetric RTP behind a NAT, RTCP round-trip time, and the
//! media-problem events.

use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::time::Duration;

use linkus_media::codec::Codec;
use linkus_media::srtp::SrtpSuite;
use linkus_media::stream::{AudioStream, MediaEvent, NoRtpCause, StreamConfig};

const FRAME: Duration = Duration::from_millis(20);

fn speech(rate: u32) -> Vec<i16> {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/g722_speech.in.raw"
    ))
    .unwrap();
    let wide: Vec<i16> = bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    match rate {
        16_000 => wide,
        8_000 => wide
            .chunks_exact(2)
            .map(|p| ((i32::from(p[0]) + i32::from(p[1])) / 2) as i16)
            .collect(),
        48_000 => wide.iter().flat_map(|&s| [s; 3]).collect(),
        r => panic!("no speech at {r} Hz"),
    }
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

/// Best normalised cross-correlation of `got` against `want` over lags up
/// to `max_lag` samples (the path adds jitter-buffer and codec delay): the
/// lag is found coarsely on 1 ms energy envelopes, then refined per sample.
fn best_correlation(want: &[i16], got: &[i16], rate: usize, max_lag: usize) -> (f64, usize) {
    let ms = rate / 1000;
    let env = |x: &[i16]| -> Vec<i16> {
        x.chunks(ms)
            .map(|c| (c.iter().map(|&s| i32::from(s).abs()).sum::<i32>() / ms as i32) as i16)
            .collect()
    };
    let (ew, eg) = (env(want), env(got));
    let coarse = (0..=max_lag / ms)
        .max_by(|&a, &b| correlation_at(&ew, &eg, a).total_cmp(&correlation_at(&ew, &eg, b)))
        .unwrap();
    let lo = (coarse * ms).saturating_sub(3 * ms);
    (lo..=coarse * ms + 3 * ms)
        .map(|lag| (correlation_at(want, got, lag), lag))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap()
}

/// A datagram in flight: (arrival, order, source, bytes), earliest first.
type InFlight = std::cmp::Reverse<(Duration, u64, SocketAddr, Vec<u8>)>;

/// A one-way emulated network: seeded loss and uniform extra delay.
struct Net {
    rng: u64,
    loss: f64,
    base: Duration,
    jitter_ms: u64,
    queue: BinaryHeap<InFlight>,
    n: u64,
}

impl Net {
    fn new(seed: u64, loss: f64, base_ms: u64, jitter_ms: u64) -> Self {
        Self {
            rng: seed,
            loss,
            base: Duration::from_millis(base_ms),
            jitter_ms,
            queue: BinaryHeap::new(),
            n: 0,
        }
    }

    fn next(&mut self) -> u64 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn send(&mut self, now: Duration, from: SocketAddr, data: &[u8]) {
        if (self.next() >> 11) as f64 / (1u64 << 53) as f64 >= self.loss {
            let extra = if self.jitter_ms == 0 {
                0
            } else {
                self.next() % (self.jitter_ms + 1)
            };
            self.n += 1;
            let at = now + self.base + Duration::from_millis(extra);
            self.queue
                .push(std::cmp::Reverse((at, self.n, from, data.to_vec())));
        }
    }

    fn deliver(&mut self, until: Duration, to: &mut AudioStream) {
        while self.queue.peek().is_some_and(|r| r.0.0 <= until) {
            let std::cmp::Reverse((at, _, from, data)) = self.queue.pop().unwrap();
            to.receive(at, from, &data);
        }
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn keys(suite: SrtpSuite, seed: u8) -> Vec<u8> {
    (0..suite.master_len() as u8)
        .map(|i| i.wrapping_mul(31) ^ seed)
        .collect()
}

fn pair(codec: Codec, pt: u8, srtp: Option<SrtpSuite>) -> (AudioStream, AudioStream) {
    let mut a = StreamConfig::new(codec, pt, addr("127.0.0.1:6002"), 0xaaaa_0001);
    let mut b = StreamConfig::new(codec, pt, addr("127.0.0.1:6000"), 0xbbbb_0002);
    a.telephone_event_pt = Some(101);
    b.telephone_event_pt = Some(101);
    // Reports every 0.5-1.5 s, so that a 3 s call has several.
    a.rtcp_interval = Duration::from_secs(1);
    b.rtcp_interval = Duration::from_secs(1);
    if let Some(s) = srtp {
        a.srtp = Some((s, keys(s, 1), keys(s, 2)));
        b.srtp = Some((s, keys(s, 2), keys(s, 1)));
    }
    (AudioStream::new(a).unwrap(), AudioStream::new(b).unwrap())
}

struct Outcome {
    correlation: f64,
    concealed: u64,
    b: AudioStream,
    a: AudioStream,
}

/// A sends the speech to B for its length (plus 400 ms to drain); B plays.
fn call(codec: Codec, srtp: Option<SrtpSuite>, mut net: Net) -> Outcome {
    let rate = codec.info().sample_rate;
    let input = speech(rate);
    let (mut a, mut b) = pair(codec, 96, srtp);
    let frame = a.frame_samples();
    let a_addr = addr("127.0.0.1:6000");
    let mut back = Net::new(7, 0.0, 20, 0);
    let mut wire = [0u8; 1500];
    let mut played = Vec::new();
    let mut pcm = vec![0i16; frame];
    let ptime = a.config().ptime;
    let frames = input.len() / frame + 20;
    for tick in 0..frames {
        let now = ptime * tick as u32;
        let chunk = input
            .get(tick * frame..(tick + 1) * frame)
            .map_or_else(|| vec![0; frame], <[i16]>::to_vec);
        let tx = a.send_frame(now, &chunk, &mut wire).unwrap();
        assert_eq!(tx.to, addr("127.0.0.1:6002"));
        net.send(now, a_addr, &wire[..tx.len]);
        net.deliver(now, &mut b);
        back.deliver(now, &mut a);
        b.play_frame(now, &mut pcm).unwrap();
        played.extend_from_slice(&pcm);
        if let Some(t) = b.poll_rtcp(now, &mut wire) {
            back.send(now, addr("127.0.0.1:6002"), &wire[..t.len]);
        }
        if let Some(t) = a.poll_rtcp(now, &mut wire) {
            net.send(now, a_addr, &wire[..t.len]);
        }
    }
    let (correlation, _lag) = best_correlation(&input, &played, rate as usize, rate as usize / 2);
    Outcome {
        correlation,
        concealed: b.stats().frames_concealed,
        a,
        b,
    }
}

fn pt_codecs() -> Vec<Codec> {
    Codec::ALL.to_vec()
}

/// Correlation a codec must keep end to end (clean, with loss and jitter).
/// Measured: G.711 1.000 / 0.956, G.722 0.999 / 0.927, Opus 16k 0.948 /
/// 0.807, iLBC 30 0.848 / 0.835, iLBC 20 0.84 / 0.808, G.729 0.847 / 0.758.
/// Waveform codecs are nearly transparent; the CELP-family codecs keep the
/// spectrum rather than the waveform.
fn bounds(codec: Codec) -> (f64, f64) {
    match codec {
        Codec::Pcmu | Codec::Pcma | Codec::G722 => (0.99, 0.9),
        Codec::Opus => (0.9, 0.75),
        _ => (0.8, 0.7),
    }
}

#[test]
fn every_codec_with_and_without_srtp_on_a_clean_network() {
    for codec in pt_codecs() {
        for srtp in [
            None,
            Some(SrtpSuite::AesCm128HmacSha1_80),
            Some(SrtpSuite::AesCm128HmacSha1_32),
            Some(SrtpSuite::AeadAes128Gcm),
        ] {
            let o = call(codec, srtp, Net::new(1, 0.0, 30, 0));
            assert!(
                o.correlation > bounds(codec).0,
                "{codec:?} {srtp:?}: correlation {:.3}",
                o.correlation
            );
            let s = o.b.stats();
            assert_eq!(s.packets_dropped, 0, "{codec:?} {srtp:?}");
            assert_eq!(s.packets_lost, 0);
            assert_eq!(o.concealed, 0, "{codec:?} {srtp:?}");
        }
    }
}

#[test]
fn every_codec_through_loss_and_jitter() {
    for codec in pt_codecs() {
        for srtp in [None, Some(SrtpSuite::AesCm128HmacSha1_80)] {
            // 5 % loss, 30 ms base delay plus 0-60 ms jitter.
            let o = call(codec, srtp, Net::new(42, 0.05, 30, 60));
            assert!(
                o.correlation > bounds(codec).1,
                "{codec:?} {srtp:?}: correlation {:.3}",
                o.correlation
            );
            let s = o.b.stats();
            assert!(s.packets_lost > 0, "the network lost packets");
            // The E-model sees the loss: below a clean call's 4.4.
            let mos = s.quality.expect("estimate").mos;
            assert!((2.5..4.3).contains(&mos), "{codec:?}: MOS {mos}");
            assert!(o.concealed > 0);
            assert!(s.jitter > Duration::from_millis(5), "{:?}", s.jitter);
            // The jitter buffer grew to cover the 60 ms spread.
            assert!(s.jitter_buffer_delay >= Duration::from_millis(40));
            // RTCP flowed both ways: A knows the round trip (30+20 ms plus
            // jitter and report holding is excluded by DLSR).
            let rtt = o.a.stats().rtt.expect("A got a report from B");
            assert!(
                (Duration::from_millis(45)..Duration::from_millis(120)).contains(&rtt),
                "{rtt:?}"
            );
        }
    }
}

#[test]
fn dtmf_arrives_once_per_digit_and_mutes_audio_meanwhile() {
    let (mut a, mut b) = pair(Codec::Pcmu, 0, Some(SrtpSuite::AeadAes128Gcm));
    let a_addr = addr("127.0.0.1:6000");
    let mut wire = [0u8; 1500];
    let mut pcm = [0i16; 160];
    let tone = [1000i16; 160];
    for d in ['1', '#'] {
        a.send_dtmf(d, Duration::from_millis(100)).unwrap();
    }
    let mut digits = Vec::new();
    for tick in 0..40u32 {
        let now = FRAME * tick;
        let tx = a.send_frame(now, &tone, &mut wire).unwrap();
        b.receive(now, a_addr, &wire[..tx.len]);
        // Retransmit every packet once: duplicates must not double digits.
        b.receive(now, a_addr, &wire[..tx.len]);
        b.play_frame(now, &mut pcm).unwrap();
        while let Some(e) = b.poll_event() {
            if let MediaEvent::Dtmf { digit, duration } = e {
                digits.push((digit, duration));
            }
        }
    }
    assert_eq!(
        digits,
        vec![
            ('1', Duration::from_millis(100)),
            ('#', Duration::from_millis(100))
        ]
    );
    // 2 digits x (5 updates + 2 extra ends) event packets, then audio.
    assert_eq!(b.stats().packets_received, 40);
    let mut plain = StreamConfig::new(Codec::Pcmu, 0, a_addr, 9);
    plain.telephone_event_pt = None;
    assert!(
        AudioStream::new(plain)
            .unwrap()
            .send_dtmf('1', FRAME)
            .is_err()
    );
}

#[test]
fn symmetric_rtp_latches_onto_the_nat_address() {
    let (mut a, mut b) = pair(Codec::Pcma, 8, None);
    // B's SDP said A is at 127.0.0.1:6000, but A's packets come through a
    // NAT from 127.0.0.2:40000.
    let nat = addr("127.0.0.2:40000");
    let mut wire = [0u8; 1500];
    let tx = a.send_frame(Duration::ZERO, &[0; 160], &mut wire).unwrap();
    b.receive(Duration::ZERO, nat, &wire[..tx.len]);
    assert_eq!(b.poll_event(), Some(MediaEvent::Latched { remote: nat }));
    let back = b.send_frame(FRAME, &[0; 160], &mut wire).unwrap();
    assert_eq!(back.to, nat);
    // Garbage from a third address does not move the latch.
    b.receive(FRAME, addr("127.0.0.3:1"), b"not rtp at all, just bytes");
    assert_eq!(b.remote(), nat);
    // A re-INVITE with a new address re-arms it.
    b.set_remote(addr("127.0.0.1:7000"), None);
    assert_eq!(b.remote(), addr("127.0.0.1:7000"));
}

#[test]
fn wrong_srtp_keys_are_reported_as_the_cause_of_silence() {
    let suite = SrtpSuite::AesCm128HmacSha1_80;
    let mut a = StreamConfig::new(Codec::Pcmu, 0, addr("127.0.0.1:6002"), 1);
    a.srtp = Some((suite, keys(suite, 1), keys(suite, 2)));
    let mut b = StreamConfig::new(Codec::Pcmu, 0, addr("127.0.0.1:6000"), 2);
    // B expects other keys from A.
    b.srtp = Some((suite, keys(suite, 2), keys(suite, 3)));
    let (mut a, mut b) = (AudioStream::new(a).unwrap(), AudioStream::new(b).unwrap());
    let mut wire = [0u8; 1500];
    let mut pcm = [0i16; 160];
    let mut events = Vec::new();
    for tick in 0..300u32 {
        let now = FRAME * tick;
        let tx = a.send_frame(now, &[500; 160], &mut wire).unwrap();
        b.receive(now, addr("127.0.0.1:6000"), &wire[..tx.len]);
        b.play_frame(now, &mut pcm).unwrap();
        let _ = b.poll_rtcp(now, &mut wire);
        events.extend(std::iter::from_fn(|| b.poll_event()));
    }
    assert_eq!(
        events,
        vec![MediaEvent::NoRtp {
            cause: NoRtpCause::SrtpAuthFailures
        }]
    );
    assert_eq!(b.stats().packets_dropped, 300);
    assert!(pcm.iter().all(|&s| s == 0));
}

#[test]
fn rtp_that_stops_and_resumes_one_way_audio_and_goodbye() {
    let (mut a, mut b) = pair(Codec::G722, 9, None);
    let (a_addr, b_addr) = (addr("127.0.0.1:6000"), addr("127.0.0.1:6002"));
    let mut wire = [0u8; 1500];
    let mut pcm = [0i16; 320];
    let mut a_events = Vec::new();
    let mut b_events = Vec::new();
    for tick in 0..1000u32 {
        let now = FRAME * tick;
        // A's RTP is lost from 4 s to 12 s. B's RTP never reaches A (one-way
        // audio), but RTCP flows both ways.
        let tx = a.send_frame(now, &[300; 320], &mut wire).unwrap();
        if !(200..600).contains(&tick) {
            b.receive(now, a_addr, &wire[..tx.len]);
        }
        let _ = b.send_frame(now, &[300; 320], &mut wire).unwrap();
        b.play_frame(now, &mut pcm).unwrap();
        a.play_frame(now, &mut pcm).unwrap();
        if let Some(t) = b.poll_rtcp(now, &mut wire) {
            a.receive(now, b_addr, &wire[..t.len]);
        }
        if let Some(t) = a.poll_rtcp(now, &mut wire) {
            b.receive(now, a_addr, &wire[..t.len]);
        }
        a_events.extend(std::iter::from_fn(|| a.poll_event()));
        b_events.extend(std::iter::from_fn(|| b.poll_event()));
    }
    let t = a.goodbye(FRAME * 1000, "hang-up", &mut wire).unwrap();
    b.receive(FRAME * 1000, a_addr, &wire[..t.len]);
    b_events.extend(std::iter::from_fn(|| b.poll_event()));
    // B: A's reports never mention B's stream (A does not hear B); A's
    // audio stops and resumes; then A's goodbye.
    assert_eq!(
        b_events,
        vec![
            MediaEvent::PeerNotReceiving,
            MediaEvent::RtpStopped { last: FRAME * 199 },
            MediaEvent::RtpResumed,
            MediaEvent::Goodbye
        ]
    );
    // A: nothing ever arrived from B; and while its packets were dropped
    // (4-12 s), B's reports showed the highest sequence number stuck.
    assert_eq!(
        a_events,
        vec![
            MediaEvent::NoRtp {
                cause: NoRtpCause::NothingReceived
            },
            MediaEvent::PeerNotReceiving
        ]
    );
    assert!(a.stats().rtt.is_some());
}

#[test]
fn streams_built_from_sdp_offer_answer_exchange_audio_over_srtp() {
    use linkus_media::sdp::{CryptoSuite, LocalMedia, Negotiator, SessionDescription, SrtpPolicy};
    let (alice_ip, bob_ip) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
    for suite in [
        CryptoSuite::AeadAes128Gcm,
        CryptoSuite::AesCm128HmacSha1_32,
        CryptoSuite::Aes256CmHmacSha1_80,
    ] {
        let alice_local = LocalMedia::new(alice_ip, 30000)
            .with_codecs(vec![Codec::G722, Codec::Pcmu])
            .with_srtp(SrtpPolicy::Require(vec![suite.clone()]));
        let bob_local = LocalMedia::new(bob_ip, 40000)
            .with_codecs(vec![Codec::Pcmu, Codec::G722])
            .with_srtp(SrtpPolicy::Offer(vec![suite.clone()]));
        let mut alice = Negotiator::new(alice_local, |_: &CryptoSuite, k: &mut [u8]| k.fill(0x11));
        let mut bob = Negotiator::new(bob_local, |_: &CryptoSuite, k: &mut [u8]| k.fill(0x22));
        // Through text, as over SIP.
        let offer = SessionDescription::parse(&alice.create_offer().unwrap().to_string()).unwrap();
        let (answer, bob_media) = bob.receive_offer(&offer).unwrap();
        let alice_media = alice
            .receive_answer(&SessionDescription::parse(&answer.to_string()).unwrap())
            .unwrap();
        let a_cfg = StreamConfig::from_negotiated(&alice_media[0], 1).unwrap();
        let b_cfg = StreamConfig::from_negotiated(&bob_media[0], 2).unwrap();
        // The offerer's order wins: G.722 both ways, telephone-event too.
        assert_eq!((a_cfg.codec, b_cfg.codec), (Codec::G722, Codec::G722));
        assert_eq!(a_cfg.remote_rtp, addr("127.0.0.2:40000"));
        assert_eq!(b_cfg.remote_rtp, addr("127.0.0.1:30000"));
        assert!(a_cfg.telephone_event_pt.is_some());
        assert!(a_cfg.srtp.is_some() && b_cfg.srtp.is_some());
        let (mut a, mut b) = (
            AudioStream::new(a_cfg).unwrap(),
            AudioStream::new(b_cfg).unwrap(),
        );
        let input = speech(16_000);
        let mut wire = [0u8; 1500];
        let mut pcm = [0i16; 320];
        let mut played = Vec::new();
        for (tick, chunk) in input.chunks_exact(320).enumerate() {
            let now = FRAME * tick as u32;
            let tx = a.send_frame(now, chunk, &mut wire).unwrap();
            b.receive(now, addr("127.0.0.1:30000"), &wire[..tx.len]);
            b.play_frame(now, &mut pcm).unwrap();
            played.extend_from_slice(&pcm);
        }
        let (c, _) = best_correlation(&input, &played, 16_000, 8000);
        assert!(c > 0.99, "{suite:?}: {c}");
        assert_eq!(b.stats().packets_dropped, 0);
    }
}
