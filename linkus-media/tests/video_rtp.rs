//! H.264 (RFC 6184) and VP8 (RFC 7741) RTP packetization with real-shaped
//! frames: round trips, MTU, aggregation, fragmentation, loss, lost marker,
//! sequence wrap, malformed payloads.

use linkus_media::Error;
use linkus_media::video::{Frame, VideoError, h264, vp8};
use proptest::prelude::*;

/// Deterministic NAL unit body bytes without zero bytes (so no start-code
/// emulation, as an encoder's emulation prevention guarantees).
fn body(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            ((x >> 16) as u8).max(1)
        })
        .collect()
}

/// Baseline 3.1 SPS and a PPS as an x264/OpenH264 encoder emits them.
const SPS: [u8; 12] = [
    0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8, 0x40, 0x3c, 0x22,
];
const PPS: [u8; 4] = [0x68, 0xce, 0x3c, 0x80];

fn annex_b(nals: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for n in nals {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(n);
    }
    out
}

/// A key frame access unit: SPS, PPS, SEI and an IDR slice of `idr` bytes.
fn key_frame(idr: usize) -> Vec<Vec<u8>> {
    let mut sei = vec![0x06, 0x05];
    sei.extend(body(20, 7));
    sei.push(0x80);
    let mut slice = vec![0x65, 0x88, 0x84];
    slice.extend(body(idr, 1));
    vec![SPS.to_vec(), PPS.to_vec(), sei, slice]
}

/// A P frame: one non-IDR slice.
fn p_frame(len: usize, seed: u32) -> Vec<Vec<u8>> {
    let mut slice = vec![0x41, 0x9a];
    slice.extend(body(len, seed));
    vec![slice]
}

/// Packetizes frames and sends them with consecutive sequence numbers from
/// `seq`, 3000 ticks apart; `drop` says which packet indices are lost.
fn send_h264(frames: &[Vec<u8>], mtu: usize, seq: u16, drop: impl Fn(usize) -> bool) -> Vec<Frame> {
    let mut depack = h264::Depacketizer::new();
    let mut out = Vec::new();
    let mut n = 0usize;
    let mut seq = seq;
    for (i, au) in frames.iter().enumerate() {
        let payloads = h264::packetize(au, mtu, h264::PacketizationMode::NonInterleaved).unwrap();
        for (k, p) in payloads.iter().enumerate() {
            assert!(p.len() <= mtu);
            let marker = k + 1 == payloads.len();
            if !drop(n) {
                depack
                    .push(seq, 90_000 + 3000 * i as u32, marker, p)
                    .unwrap();
                out.extend(core::iter::from_fn(|| depack.pop()));
            }
            n += 1;
            seq = seq.wrapping_add(1);
        }
    }
    out
}

#[test]
fn h264_round_trip_key_and_p_frames() {
    let frames = vec![
        annex_b(&key_frame(9000)),
        annex_b(&p_frame(1800, 2)),
        annex_b(&p_frame(300, 3)),
    ];
    // Through a sequence number wrap.
    let got = send_h264(&frames, 1200, 65530, |_| false);
    assert_eq!(got.len(), 3);
    for (f, want) in got.iter().zip(&frames) {
        assert!(f.complete);
        assert_eq!(&f.data, want);
    }
    assert_eq!(got[1].timestamp, 93_000);
}

#[test]
fn h264_aggregates_parameter_sets_and_fragments_slices() {
    let au = annex_b(&key_frame(3000));
    let p = h264::packetize(&au, 1200, h264::PacketizationMode::NonInterleaved).unwrap();
    // STAP-A with SPS, PPS and SEI, NRI the highest of the three (3).
    assert_eq!(p[0][0], 0x78);
    assert_eq!(u16::from_be_bytes([p[0][1], p[0][2]]), SPS.len() as u16);
    assert_eq!(&p[0][3..3 + SPS.len()], SPS);
    // The IDR slice in FU-A fragments: S on the first, E on the last.
    let fus = &p[1..];
    assert_eq!(fus.len(), 3);
    assert!(fus.iter().all(|f| f[0] == 0x7C && f[1] & 0x1F == 5));
    assert_eq!(fus[0][1] & 0xC0, 0x80);
    assert_eq!(fus[1][1] & 0xC0, 0x00);
    assert_eq!(fus[2][1] & 0xC0, 0x40);
    // 3-byte start codes in, the same NAL units out.
    let three: Vec<u8> = key_frame(3000)
        .iter()
        .flat_map(|n| [0, 0, 1].into_iter().chain(n.iter().copied()))
        .collect();
    assert_eq!(
        h264::packetize(&three, 1200, h264::PacketizationMode::NonInterleaved).unwrap(),
        p
    );
}

#[test]
fn h264_mode_0() {
    let small = annex_b(&p_frame(500, 4));
    let single = h264::packetize(&small, 1200, h264::PacketizationMode::SingleNal).unwrap();
    assert_eq!(single.len(), 1);
    assert_eq!(single[0][0], 0x41);
    let key = annex_b(&key_frame(600));
    let p = h264::packetize(&key, 1200, h264::PacketizationMode::SingleNal).unwrap();
    assert_eq!(p.len(), 4);
    let big = annex_b(&p_frame(1500, 5));
    assert_eq!(
        h264::packetize(&big, 1200, h264::PacketizationMode::SingleNal),
        Err(Error::Video(VideoError::NalTooLarge {
            len: 1502,
            mtu: 1200
        }))
    );
    assert_eq!(
        h264::packetize(&big, 2, h264::PacketizationMode::NonInterleaved),
        Err(Error::Video(VideoError::MtuTooSmall { mtu: 2 }))
    );
    assert_eq!(
        h264::packetize(&[0, 0, 0, 1], 1200, h264::PacketizationMode::NonInterleaved),
        Err(Error::Video(VideoError::EmptyFrame))
    );
}

#[test]
fn h264_lost_fragment() {
    let frames = vec![annex_b(&key_frame(5000)), annex_b(&p_frame(900, 6))];
    // Packet 0 is the STAP-A, 1..=5 the IDR fragments; lose fragment 3.
    let got = send_h264(&frames, 1200, 100, |n| n == 3);
    assert_eq!(got.len(), 2);
    assert!(!got[0].complete);
    // The parameter sets and SEI survive; the broken IDR slice is dropped.
    let units: Vec<&[u8]> = h264::nal_units(&got[0].data).collect();
    assert_eq!(units.len(), 3);
    assert_eq!(units[0], SPS);
    assert!(got[1].complete);
    assert_eq!(got[1].data, frames[1]);
}

#[test]
fn h264_lost_marker_and_lost_start() {
    let frames = vec![
        annex_b(&p_frame(2000, 7)),
        annex_b(&p_frame(2000, 8)),
        annex_b(&p_frame(500, 9)),
    ];
    // Frame 0: packets 0, 1; frame 1: 2, 3; frame 2: 4. Lose 1 (marker of
    // frame 0, also its FU end) and 2 (start of frame 1).
    let got = send_h264(&frames, 1200, 7, |n| n == 1 || n == 2);
    // Frame 0 is flushed when frame 1's timestamp arrives, without data
    // (its only NAL unit never completed), so it is not reported; frame 1
    // lost its FU-A start; frame 2 is complete.
    assert_eq!(got.len(), 1);
    assert!(got[0].complete);
    assert_eq!(got[0].data, frames[2]);
    // Lose only the marker packet of a two-NAL frame: the first NAL unit is
    // delivered as an incomplete frame when the next timestamp starts.
    let two = annex_b(&[p_frame(1000, 10)[0].clone(), p_frame(1000, 11)[0].clone()]);
    let got = send_h264(&[two.clone(), annex_b(&p_frame(10, 12))], 1100, 0, |n| {
        n == 1
    });
    assert_eq!(got.len(), 2);
    assert!(!got[0].complete);
    assert_eq!(h264::nal_units(&got[0].data).count(), 1);
    assert!(!got[1].complete, "a gap right before it");
}

#[test]
fn h264_malformed_payloads() {
    let mut d = h264::Depacketizer::new();
    d.push(0, 0, false, &[0x67, 0x42, 0xc0, 0x1f]).unwrap();
    let malformed = |reason| {
        Err(Error::Video(VideoError::Malformed {
            codec: "H264",
            reason,
        }))
    };
    assert_eq!(d.push(1, 0, false, &[]), malformed("empty payload"));
    assert_eq!(
        d.push(2, 0, false, &[0x80]),
        malformed("forbidden_zero_bit set")
    );
    assert_eq!(
        d.push(3, 0, false, &[0x00, 1]),
        malformed("NAL unit type 0")
    );
    assert_eq!(
        d.push(4, 0, false, &[0x78, 0, 9, 0x67]),
        malformed("STAP-A unit size out of range")
    );
    assert_eq!(
        d.push(5, 0, false, &[0x78, 0]),
        malformed("truncated STAP-A size")
    );
    assert_eq!(d.push(6, 0, false, &[0x78]), malformed("empty STAP-A"));
    assert_eq!(d.push(7, 0, false, &[0x7C]), malformed("truncated FU-A"));
    assert_eq!(
        d.push(8, 0, false, &[0x7C, 0xC5, 1]),
        malformed("FU-A with both start and end bits")
    );
    assert_eq!(
        d.push(9, 0, false, &[0x79, 0, 0, 1]),
        Err(Error::Video(VideoError::UnsupportedPacketType(25)))
    );
    // Malformed packets are ignored; the next packet sees the gap.
    d.push(10, 0, true, &[0x41, 0x9a, 1]).unwrap();
    let frame = d.pop().unwrap();
    assert!(!frame.complete);
    assert_eq!(h264::nal_units(&frame.data).count(), 2);
    assert_eq!(d.pop(), None);
    // Frame size limit.
    let mut d = h264::Depacketizer::with_max_frame(100);
    assert_eq!(
        d.push(1, 0, true, &[0x41; 200]),
        Err(Error::Video(VideoError::FrameTooLarge { limit: 100 }))
    );
    assert_eq!(d.pop(), None);
    d.push(2, 3000, true, &[0x41; 50]).unwrap();
    assert!(d.pop().unwrap().complete);
}

#[test]
fn vp8_round_trip_and_loss() {
    let mut key = vec![0x50, 0x42, 0x01, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01];
    key.extend(body(4000, 3));
    assert!(vp8::is_key_frame(&key));
    let mut inter = vec![0x31, 0x07, 0x00];
    inter.extend(body(700, 4));
    assert!(!vp8::is_key_frame(&inter));

    let pk = vp8::packetize(&key, 1200, Some(0x1234)).unwrap();
    assert_eq!(pk.len(), 4);
    assert!(pk.iter().all(|p| p.len() <= 1200));
    let (d0, len) = vp8::Descriptor::parse(&pk[0]).unwrap();
    assert!(d0.start_of_partition && d0.partition_index == 0);
    assert_eq!((d0.picture_id, len), (Some(0x1234), 4));
    assert!(!vp8::Descriptor::parse(&pk[1]).unwrap().0.start_of_partition);
    let pi = vp8::packetize(&inter, 1200, None).unwrap();
    assert_eq!(pi.len(), 1);
    assert_eq!(pi[0][0], 0x10);

    let mut d = vp8::Depacketizer::new();
    let mut got = Vec::new();
    let mut seq = 65534u16;
    for (ts, pk) in [(0u32, &pk), (3000, &pi)] {
        for (k, p) in pk.iter().enumerate() {
            d.push(seq, ts, k + 1 == pk.len(), p).unwrap();
            got.extend(core::iter::from_fn(|| d.pop()));
            seq = seq.wrapping_add(1);
        }
    }
    assert_eq!(got.len(), 2);
    assert!(got[0].complete && got[1].complete);
    assert_eq!((&got[0].data, &got[1].data), (&key, &inter));

    // Lose the second packet of the key frame, then the first of the next.
    let mut d = vp8::Depacketizer::new();
    let mut got = Vec::new();
    for (k, p) in pk.iter().enumerate() {
        if k != 1 {
            d.push(k as u16, 0, k + 1 == pk.len(), p).unwrap();
        }
    }
    let pk2 = vp8::packetize(&inter, 400, None).unwrap();
    for (k, p) in pk2.iter().enumerate().skip(1) {
        d.push(10 + k as u16, 3000, k + 1 == pk2.len(), p).unwrap();
    }
    got.extend(core::iter::from_fn(|| d.pop()));
    assert_eq!(got.len(), 2);
    assert!(!got[0].complete && !got[1].complete);

    assert_eq!(
        vp8::packetize(&[], 1200, None),
        Err(Error::Video(VideoError::EmptyFrame))
    );
    assert_eq!(
        vp8::packetize(&key, 4, Some(1)),
        Err(Error::Video(VideoError::MtuTooSmall { mtu: 4 }))
    );
    let mut d = vp8::Depacketizer::new();
    assert!(d.push(0, 0, true, &[0x90]).is_err());
    assert!(d.push(1, 0, true, &[0x10]).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn h264_packetize_any_bytes(au in proptest::collection::vec(any::<u8>(), 0..5000), mtu in 0usize..1500) {
        match h264::packetize(&au, mtu, h264::PacketizationMode::NonInterleaved) {
            Ok(payloads) => {
                prop_assert!(payloads.iter().all(|p| p.len() <= mtu && !p.is_empty()));
            }
            Err(Error::Video(VideoError::MtuTooSmall { .. } | VideoError::EmptyFrame)) => {}
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }

    #[test]
    fn h264_round_trip_any_nal_units(
        nals in proptest::collection::vec((1u8..24, 0u8..4, 0usize..3000, any::<u32>()), 1..6),
        mtu in 3usize..1500,
    ) {
        let nals: Vec<Vec<u8>> = nals
            .iter()
            .map(|&(kind, nri, len, seed)| {
                let mut n = vec![nri << 5 | kind];
                n.extend(body(len, seed));
                n
            })
            .collect();
        let au = annex_b(&nals);
        let got = send_h264(std::slice::from_ref(&au), mtu, 0, |_| false);
        prop_assert_eq!(got.len(), 1);
        prop_assert!(got[0].complete);
        prop_assert_eq!(&got[0].data, &au);
    }

    #[test]
    fn depacketizers_take_any_packets(
        packets in proptest::collection::vec(
            (any::<u16>(), 0u32..3, any::<bool>(), proptest::collection::vec(any::<u8>(), 0..300)),
            0..40,
        ),
    ) {
        let mut h = h264::Depacketizer::with_max_frame(4096);
        let mut v = vp8::Depacketizer::with_max_frame(4096);
        for (i, (seq, ts, marker, payload)) in packets.iter().enumerate() {
            let _ = h.push(*seq, *ts, *marker, payload);
            let _ = v.push(*seq, *ts, *marker, payload);
            if i % 3 == 0 {
                let n = core::iter::from_fn(|| h.pop()).count();
                prop_assert!(n <= linkus_media::video::MAX_READY_FRAMES);
                let n = core::iter::from_fn(|| v.pop()).count();
                prop_assert!(n <= linkus_media::video::MAX_READY_FRAMES);
            }
        }
    }

    #[test]
    fn vp8_round_trip(frame in proptest::collection::vec(any::<u8>(), 1..6000), mtu in 5usize..1500, id in any::<u16>()) {
        let payloads = vp8::packetize(&frame, mtu, Some(id)).unwrap();
        let mut d = vp8::Depacketizer::new();
        let mut got = Vec::new();
        for (k, p) in payloads.iter().enumerate() {
            prop_assert!(p.len() <= mtu);
            d.push(k as u16, 7, k + 1 == payloads.len(), p).unwrap();
        }
        got.extend(core::iter::from_fn(|| d.pop()));
        prop_assert_eq!(got.len(), 1);
        prop_assert!(got[0].complete);
        prop_assert_eq!(&got[0].data, &frame);
    }
}
