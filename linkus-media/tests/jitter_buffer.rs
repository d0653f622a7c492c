//! The adaptive jitter buffer on seeded synthetic network traces: a sender
//! emits one 20 ms packet (8 kHz, 160 ticks) per frame, the trace adds
//! delay, jitter, loss, reordering and duplicates, and the receiver pops
//! once per 20 ms at a phase unrelated to the sender's.

use std::collections::BTreeSet;
use std::time::Duration;

use linkus_media::jitter::{JitterBuffer, JitterConfig, Playout, RtpPacket};

const FRAME_US: u64 = 20_000;
const MS: u64 = 1000;

/// splitmix64, for seeded traces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// One packet of the trace: when it arrives and what it is.
#[derive(Clone)]
struct Arrival {
    at: u64,
    packet: RtpPacket,
}

/// A stream of `n` packets from `seq0`/`ts0`, sent every `interval_us`.
fn stream(n: usize, seq0: u16, ts0: u32, ssrc: u32, interval_us: f64) -> Vec<(u64, RtpPacket)> {
    (0..n)
        .map(|i| {
            let sent = (i as f64 * interval_us) as u64;
            let packet = RtpPacket {
                seq: seq0.wrapping_add(i as u16),
                timestamp: ts0.wrapping_add(160 * i as u32),
                ssrc,
                marker: i == 0,
                payload_type: 0,
                payload: vec![i as u8; 4],
            };
            (sent, packet)
        })
        .collect()
}

/// What happened at one pop.
struct Pop {
    at: u64,
    out: Playout,
    /// Delay level and target after this pop.
    level: Duration,
    target: Duration,
}

/// Runs the trace through a buffer; pops every 20 ms from `phase` until `end`.
fn run(jb: &mut JitterBuffer, mut trace: Vec<Arrival>, phase: u64, end: u64) -> Vec<Pop> {
    trace.sort_by_key(|a| a.at);
    let mut next = 0;
    let mut pops = Vec::new();
    let mut t = phase;
    while t < end {
        while next < trace.len() && trace[next].at <= t {
            let a = &trace[next];
            jb.push(Duration::from_micros(a.at), a.packet.clone());
            next += 1;
        }
        let out = jb.pop(Duration::from_micros(t));
        let s = jb.stats();
        pops.push(Pop {
            at: t,
            out,
            level: s.current_delay,
            target: s.target_delay,
        });
        t += FRAME_US;
    }
    pops
}

fn with_delay(
    packets: Vec<(u64, RtpPacket)>,
    mut delay: impl FnMut(usize) -> Option<u64>,
) -> Vec<Arrival> {
    packets
        .into_iter()
        .enumerate()
        .filter_map(|(i, (sent, packet))| {
            delay(i).map(|d| Arrival {
                at: sent + d,
                packet,
            })
        })
        .collect()
}

/// The pops up to the last packet played (after it the stream has ended and
/// the buffer conceals an underrun).
fn until_last_packet(pops: &[Pop]) -> &[Pop] {
    let last = pops
        .iter()
        .rposition(|p| matches!(p.out, Playout::Packet(_)));
    &pops[..last.map_or(0, |i| i + 1)]
}

fn played(pops: &[Pop]) -> Vec<u16> {
    pops.iter()
        .filter_map(|p| match &p.out {
            Playout::Packet(pkt) => Some(pkt.seq),
            _ => None,
        })
        .collect()
}

fn lost(pops: &[Pop]) -> Vec<u16> {
    pops.iter()
        .filter_map(|p| match p.out {
            Playout::Lost { seq } => Some(seq),
            _ => None,
        })
        .collect()
}

fn expands(pops: &[Pop]) -> usize {
    pops.iter().filter(|p| p.out == Playout::Expand).count()
}

fn buffer() -> JitterBuffer {
    JitterBuffer::new(JitterConfig::default()).unwrap()
}

/// Packets sent at `i * 20 ms` arrive 50 ms later: each one is played
/// between 40 ms (the minimum delay) and 60 ms after it arrived, none is
/// lost, late or concealed.
#[test]
fn constant_delay_plays_everything_at_min_delay() {
    let mut jb = buffer();
    let n = 3000;
    let trace = with_delay(stream(n, 1000, 5000, 7, FRAME_US as f64), |_| Some(50 * MS));
    let arrivals: Vec<u64> = trace.iter().map(|a| a.at).collect();
    let pops = run(&mut jb, trace, 7 * MS, n as u64 * FRAME_US);
    let mut count = 0;
    for p in &pops {
        if let Playout::Packet(pkt) = &p.out {
            let i = usize::from(pkt.seq - 1000);
            assert_eq!(i, count, "played in order");
            let added = p.at - arrivals[i];
            assert!(
                (40 * MS..60 * MS).contains(&added),
                "packet {i} waited {added} us"
            );
            count += 1;
        }
    }
    assert!(count >= n - 5, "{count} played");
    let s = jb.stats();
    assert_eq!((s.lost, s.late, s.concealed, s.discarded), (0, 0, 0, 0));
    assert_eq!(s.target_delay, Duration::from_millis(40));
}

/// Uniform jitter of 0–60 ms: once the buffer has seen a few seconds, no
/// packet is late, none is concealed, and the target stays between the
/// jitter range and the range plus one frame.
#[test]
fn random_jitter_adapts_without_late_losses() {
    let mut rng = Rng(0x5eed_0001);
    let mut jb = buffer();
    let n = 15_000; // 5 minutes
    let trace = with_delay(stream(n, 0, 0, 1, FRAME_US as f64), |_| {
        Some(30 * MS + rng.below(60 * MS + 1))
    });
    let pops = run(&mut jb, trace, 3 * MS, n as u64 * FRAME_US);
    let adapted = 500; // 10 s
    let late_then = jb.stats().late;
    let played = played(&pops);
    assert!(
        played.windows(2).all(|w| w[1] == w[0] + 1),
        "in order, none skipped"
    );
    assert!(lost(&pops[adapted..]).is_empty(), "no losses once adapted");
    assert_eq!(expands(&pops[adapted..]), 0, "no insertions once adapted");
    for p in &pops[adapted..] {
        assert!(
            p.target >= Duration::from_millis(55) && p.target <= Duration::from_millis(80),
            "target {:?} at {} ms",
            p.target,
            p.at / MS
        );
    }
    assert!(late_then <= 20, "{late_then} late while adapting");
    let s = jb.stats();
    assert_eq!(s.late, late_then, "no late packets once adapted");
    assert!(
        s.max_jitter > Duration::from_millis(10),
        "max jitter {:?}",
        s.max_jitter
    );
    assert!(
        s.max_jitter < Duration::from_millis(40),
        "max jitter {:?}",
        s.max_jitter
    );
}

fn check_losses(seed: u64, seq0: u16, ts0: u32, mut drop: impl FnMut(&mut Rng, usize) -> bool) {
    let mut rng = Rng(seed);
    let mut jb = buffer();
    let n = 5000;
    let mut dropped = BTreeSet::new();
    let packets = stream(n, seq0, ts0, 9, FRAME_US as f64);
    let trace = with_delay(packets.clone(), |i| {
        // The first and last few always arrive, so every loss is between packets.
        if i > 5 && i < n - 20 && drop(&mut rng, i) {
            dropped.insert(packets[i].1.seq);
            None
        } else {
            Some(30 * MS)
        }
    });
    assert!(dropped.len() > 50, "the trace drops packets");
    let all = run(&mut jb, trace, 11 * MS, (n as u64 + 10) * FRAME_US);
    let pops = until_last_packet(&all);
    let reported = lost(pops);
    let all_lost = lost(&all).len() as u64;
    let lost: BTreeSet<u16> = reported.iter().copied().collect();
    assert_eq!(lost.len(), reported.len(), "each loss reported once");
    assert_eq!(
        lost.symmetric_difference(&dropped).collect::<Vec<_>>(),
        Vec::<&u16>::new(),
        "reported and dropped differ"
    );
    let played = played(pops);
    assert!(played.iter().all(|s| !dropped.contains(s)));
    assert_eq!(
        played.len() + lost.len(),
        n,
        "every sent packet accounted for"
    );
    assert_eq!(expands(pops), 0);
    let s = jb.stats();
    assert_eq!((s.lost, s.concealed, s.late), (all_lost, all_lost, 0));
}

/// 5 % random loss: exactly the dropped packets come out as `Lost`.
#[test]
fn random_loss_reports_exactly_the_lost_packets() {
    check_losses(0x1055, 100, 1_000_000, |rng, _| rng.chance(0.05));
}

/// Bursts of 2–8 consecutive losses: each lost packet is reported once.
#[test]
fn burst_loss_reports_every_packet_of_the_burst() {
    let mut burst_left = 0;
    let mut prev_dropped = false;
    check_losses(0xb0b5, 100, 1_000_000, move |rng, _| {
        if burst_left == 0 && !prev_dropped && rng.chance(0.02) {
            burst_left = 2 + rng.below(7);
        }
        prev_dropped = burst_left > 0;
        burst_left = burst_left.saturating_sub(1);
        prev_dropped
    });
}

/// Losses across the sequence wrap 65535 → 0 (packets 65535, 0 and 1
/// among them) and the timestamp wrap are reported with the right sequence
/// numbers, and nothing resets.
#[test]
fn loss_across_sequence_and_timestamp_wrap() {
    check_losses(0x3a9, 65_535 - 2000, u32::MAX - 160 * 3000, |rng, i| {
        (2000..=2002).contains(&i) || rng.chance(0.05)
    });
}

/// Sequence and timestamp wrap on a clean stream: all played in order.
#[test]
fn sequence_and_timestamp_wrap_play_in_order() {
    let mut jb = buffer();
    let n = 1000;
    let trace = with_delay(
        stream(n, 65_000, u32::MAX - 160 * 600 + 7, 3, FRAME_US as f64),
        |_| Some(20 * MS),
    );
    let pops = run(&mut jb, trace, 0, (n as u64 + 5) * FRAME_US);
    let pops = until_last_packet(&pops);
    let played = played(pops);
    let want: Vec<u16> = (0..n).map(|i| 65_000u16.wrapping_add(i as u16)).collect();
    assert_eq!(played, want);
    assert!(lost(pops).is_empty());
    let s = jb.stats();
    assert_eq!((s.resets, s.late), (0, 0));
}

/// 20 s of 0–60 ms jitter, then a steady network: the target grows within
/// the first second and stays high while jittery packets are in the
/// 10 s window, then shrinks by one frame at most, at most once per `shrink_after` (3 s),
/// down to the minimum.
#[test]
fn target_grows_fast_and_shrinks_slowly() {
    let mut rng = Rng(0x5111);
    let mut jb = buffer();
    let n = 3000; // 60 s
    let trace = with_delay(stream(n, 0, 0, 1, FRAME_US as f64), |i| {
        Some(30 * MS + if i < 1000 { rng.below(60 * MS + 1) } else { 0 })
    });
    let pops = run(&mut jb, trace, 7 * MS, n as u64 * FRAME_US);
    assert!(
        pops[50].target >= Duration::from_millis(55),
        "after 1 s: {:?}",
        pops[50].target
    );
    let mut last_change = 0;
    for w in pops[1000..].windows(2) {
        if w[1].target < w[0].target {
            assert!(
                w[0].target - w[1].target <= Duration::from_millis(20),
                "by one frame at most"
            );
            assert!(
                w[1].at - last_change >= 3_000_000,
                "not sooner than 3 s apart"
            );
            last_change = w[1].at;
        }
    }
    assert!(
        pops[1500].target >= Duration::from_millis(55),
        "still high at 30 s"
    );
    assert_eq!(pops.last().unwrap().target, Duration::from_millis(40));
    let s = jb.stats();
    assert!(
        s.discarded == 0 || s.discarded < 5,
        "{} discarded",
        s.discarded
    );
}

/// Every tenth packet arrives three packets late: after a short
/// adaptation all are played, in order.
#[test]
fn reordering_by_three_packets_plays_in_order() {
    let mut jb = buffer();
    let n = 3000;
    let trace = with_delay(stream(n, 0, 0, 5, FRAME_US as f64), |i| {
        Some(if i % 10 == 3 {
            30 * MS + 3 * FRAME_US + MS
        } else {
            30 * MS
        })
    });
    let pops = run(&mut jb, trace, 13 * MS, (n as u64 + 10) * FRAME_US);
    let pops = until_last_packet(&pops);
    let played = played(pops);
    assert!(played.windows(2).all(|w| w[0] < w[1]), "in order");
    let adapted = 150; // 3 s
    assert_eq!(lost(&pops[adapted..]), Vec::<u16>::new());
    let last = *played.last().unwrap();
    assert_eq!(usize::from(last), n - 1);
    let s = jb.stats();
    assert!(s.late <= 3, "{} late while adapting", s.late);
    assert_eq!(
        s.played as usize + s.late as usize,
        n,
        "every packet played once adapted"
    );
    assert!(
        s.target_delay >= Duration::from_millis(61),
        "{:?}",
        s.target_delay
    );
}

/// Duplicates (some right behind the original, some after it was played)
/// are dropped and counted.
#[test]
fn duplicates_are_dropped() {
    let mut rng = Rng(0xd0d0);
    let mut jb = buffer();
    let n = 2000;
    let packets = stream(n, 40_000, 0, 5, FRAME_US as f64);
    let mut trace = with_delay(packets.clone(), |_| Some(30 * MS));
    let mut dups = 0;
    for (i, (sent, packet)) in packets.iter().enumerate() {
        if rng.chance(0.1) {
            let extra = if i % 2 == 0 { 5 * MS } else { 200 * MS };
            trace.push(Arrival {
                at: sent + 30 * MS + extra,
                packet: packet.clone(),
            });
            dups += 1;
        }
    }
    let pops = run(&mut jb, trace, MS, (n as u64 + 20) * FRAME_US);
    let pops = until_last_packet(&pops);
    assert!(lost(pops).is_empty());
    let played = played(pops);
    let want: Vec<u16> = (0..n).map(|i| 40_000 + i as u16).collect();
    assert_eq!(played, want);
    let s = jb.stats();
    assert_eq!(s.duplicate, dups);
    assert_eq!(s.late, 0);
}

/// A new SSRC (new random sequence and timestamp) resets the buffer: the
/// new stream starts `min_delay` after its first packet and plays whole.
#[test]
fn ssrc_change_resets() {
    let mut jb = buffer();
    let first = with_delay(stream(500, 10, 10, 1, FRAME_US as f64), |_| Some(30 * MS));
    let start = 500 * FRAME_US + 3 * MS;
    // The new source reuses sequence numbers already played and its
    // timestamps run 100 ms behind the old ones: without a reset its packets
    // would be duplicates or late.
    let second: Vec<Arrival> = stream(500, 300, 10 + 160 * 500 - 800, 2, FRAME_US as f64)
        .into_iter()
        .map(|(sent, packet)| Arrival {
            at: start + sent + 30 * MS,
            packet,
        })
        .collect();
    let second_first = second[0].at;
    let mut trace = first;
    trace.extend(second);
    let pops = run(&mut jb, trace, 9 * MS, 1010 * FRAME_US);
    let played = played(&pops);
    // The two packets of the old stream still buffered when the new one
    // starts are discarded.
    let want: Vec<u16> = (10..508).chain(300..800).collect();
    assert_eq!(played, want);
    let s = jb.stats();
    assert_eq!((s.resets, s.discarded), (1, 2));
    assert_eq!((s.late, s.duplicate), (0, 0));
    let at = pops
        .iter()
        .find(|p| matches!(&p.out, Playout::Packet(pkt) if pkt.ssrc == 2))
        .unwrap()
        .at;
    assert!(
        (40 * MS..60 * MS).contains(&(at - second_first)),
        "new stream waited {} us",
        at - second_first
    );
}

/// A timestamp that jumps by ten seconds (same SSRC) resets too.
#[test]
fn timestamp_jump_resets() {
    let mut jb = buffer();
    let mut packets = stream(400, 0, 0, 1, FRAME_US as f64);
    for (_, p) in &mut packets[200..] {
        p.timestamp = p.timestamp.wrapping_add(80_000);
    }
    let trace = with_delay(packets, |_| Some(30 * MS));
    let pops = run(&mut jb, trace, 9 * MS, 410 * FRAME_US);
    // The packets still buffered at the jump are discarded.
    let want: Vec<u16> = (0..198).chain(200..400).collect();
    assert_eq!(played(&pops), want);
    assert_eq!((jb.stats().resets, jb.stats().discarded), (1, 2));
}

/// Talkspurts of 1 s, each ending with a comfort-noise packet, separated
/// by 1 s of silence (no packets, the timestamp runs on, a marker starts
/// each talkspurt) with a sender clock 0.1 % fast (120 ms over the run):
/// the gaps are silence, not losses, and each talkspurt starts
/// `min_delay` after its first packet, so drift never accumulates.
#[test]
fn marker_after_silence_resyncs() {
    let mut jb = buffer();
    let mut packets = Vec::new();
    for (i, (sent, mut p)) in stream(6000, 0, 0, 1, FRAME_US as f64 * 0.999)
        .into_iter()
        .enumerate()
    {
        let spurt = i / 50;
        if spurt % 2 == 1 {
            continue; // silence
        }
        p.seq = (spurt / 2 * 50 + i % 50) as u16;
        p.marker = i % 50 == 0;
        if i % 50 == 49 {
            p.payload_type = 13;
        }
        packets.push((sent, p));
    }
    let starts: Vec<u64> = packets
        .iter()
        .filter(|(_, p)| p.marker)
        .map(|(s, _)| s + 30 * MS)
        .collect();
    let trace = with_delay(packets, |_| Some(30 * MS));
    let pops = run(&mut jb, trace, 17 * MS, 5900 * FRAME_US);
    let pops = until_last_packet(&pops);
    assert_eq!(lost(pops), Vec::<u16>::new());
    assert_eq!(expands(pops), 0);
    let played = played(pops);
    assert!(played.windows(2).all(|w| w[1] == w[0] + 1));
    let mut k = 0;
    for p in pops {
        if let Playout::Packet(pkt) = &p.out {
            if pkt.marker {
                let waited = p.at - starts[k];
                assert!(
                    (40 * MS..60 * MS).contains(&waited),
                    "talkspurt {k} waited {waited} us"
                );
                k += 1;
            }
        }
    }
    assert!(k > 50, "{k} talkspurts");
    let s = jb.stats();
    assert_eq!((s.late, s.discarded), (0, 0));
}

/// Continuous speech for 10 minutes from a sender whose clock is 0.1 %
/// fast or slow (0.6 s over the call): the level stays within the far-off
/// bound of the target, by discarding or inserting whole frames, and no
/// packet is lost or late.
fn drift(factor: f64) -> linkus_media::jitter::JitterStats {
    let mut jb = buffer();
    let n = 30_000;
    let trace = with_delay(stream(n, 0, 0, 1, FRAME_US as f64 * factor), |_| {
        Some(30 * MS)
    });
    let end = (n as f64 * FRAME_US as f64 * factor) as u64;
    let pops = run(&mut jb, trace, 5 * MS, end);
    for p in pops.iter().skip(5) {
        assert!(
            p.level <= p.target + Duration::from_millis(80 + 20)
                && p.level + Duration::from_millis(20) >= p.target,
            "level {:?} target {:?} at {} s",
            p.level,
            p.target,
            p.at / 1_000_000
        );
    }
    assert!(lost(&pops).is_empty());
    assert!(played(&pops).windows(2).all(|w| w[0] < w[1]));
    jb.stats().clone()
}

#[test]
fn fast_sender_clock_is_absorbed_by_discarding() {
    let s = drift(0.999);
    // 0.6 s of surplus: about 30 frames dropped.
    assert!(
        (20..=40).contains(&s.discarded),
        "{} discarded",
        s.discarded
    );
    assert_eq!((s.late, s.lost), (0, 0));
    assert_eq!(s.target_delay, Duration::from_millis(40));
}

#[test]
fn slow_sender_clock_is_absorbed_by_inserting() {
    let s = drift(1.001);
    // 0.6 s of shortfall: about 30 frames inserted.
    assert!((20..=40).contains(&s.concealed), "{} inserted", s.concealed);
    assert_eq!((s.late, s.lost, s.discarded), (0, 0, 0));
}

/// A sender that floods packets (all timestamps within the jump limit)
/// cannot make the buffer hold more than 2 × 500 ms / 20 ms + 50 = 100 packets.
#[test]
fn flood_is_bounded() {
    let mut jb = buffer();
    for i in 0..20_000u32 {
        let packet = RtpPacket {
            seq: i as u16,
            timestamp: i, // distinct, and all within 2.5 s: no reset
            ssrc: 1,
            marker: false,
            payload_type: 0,
            payload: vec![0; 160],
        };
        jb.push(Duration::from_secs(1), packet);
    }
    let s = jb.stats();
    assert_eq!((s.resets, s.duplicate, s.late), (0, 0, 0));
    assert_eq!(s.discarded, 20_000 - 100);
}

/// Nothing before the first packet is `Empty`; a bad configuration is an error.
#[test]
fn empty_before_first_packet_and_config_checks() {
    let mut jb = buffer();
    for t in 0..10 {
        assert_eq!(jb.pop(Duration::from_millis(t * 20)), Playout::Empty);
    }
    let bad = JitterConfig {
        min_delay: Duration::from_secs(1),
        ..JitterConfig::default()
    };
    assert!(matches!(
        JitterBuffer::new(bad),
        Err(linkus_media::Error::InvalidConfig { .. })
    ));
    let bad = JitterConfig {
        frame: Duration::from_micros(10),
        ..JitterConfig::default()
    };
    assert!(JitterBuffer::new(bad).is_err());
}

proptest::proptest! {
    /// Any sequence of packets and times, including time going backwards,
    /// huge jumps and extreme settings, never panics.
    #[test]
    fn never_panics(
        ops in proptest::collection::vec(
            (proptest::bool::ANY, proptest::prop_oneof![0u64..100_000_000, proptest::num::u64::ANY], proptest::num::u16::ANY,
             proptest::num::u32::ANY, 0u32..3, proptest::bool::ANY, 0u8..20),
            0..300,
        ),
        huge in proptest::bool::ANY,
    ) {
        let cfg = if huge {
            JitterConfig {
                clock_rate: 1_000_000,
                frame: Duration::from_secs(10),
                min_delay: Duration::ZERO,
                max_delay: Duration::MAX,
                percentile: 1.0,
                window: 1,
                shrink_after: Duration::ZERO,
                far_off: Duration::MAX,
                max_conceal: Duration::MAX,
                reset_jump: Duration::MAX,
                comfort_noise_pt: None,
            }
        } else {
            JitterConfig::default()
        };
        let mut jb = JitterBuffer::new(cfg).unwrap();
        for (is_pop, t, seq, timestamp, ssrc, marker, payload_type) in ops {
            let now = Duration::from_micros(t);
            if is_pop {
                jb.pop(now);
            } else {
                jb.push(now, RtpPacket { seq, timestamp, ssrc, marker, payload_type, payload: vec![] });
            }
        }
    }
}
