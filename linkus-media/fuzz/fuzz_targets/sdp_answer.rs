//! Offer/answer on arbitrary SDP: as an offer to answer, and as the answer
//! to an own offer (byte 0 chooses; its bits also pick hold and the SRTP
//! policy).
//!
//! Checks that nothing panics, that every answer and re-offer this side
//! writes parses back to itself, and that each negotiated stream's send
//! payload type is one of its send formats.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use libfuzzer_sys::fuzz_target;
use linkus_media::sdp::{
    Candidate, CryptoSuite, IceCredentials, LocalMedia, NegotiatedMedia, Negotiator,
    SessionDescription, SrtpPolicy, VideoCodec,
};

fn check(media: &[NegotiatedMedia]) {
    for m in media {
        assert!(
            m.send_formats
                .iter()
                .any(|(pt, f)| *pt == m.send_payload_type && *f == m.send_format)
        );
    }
}

fn round_trip(sdp: &SessionDescription) {
    assert_eq!(SessionDescription::parse(&sdp.to_string()).as_ref(), Ok(sdp));
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(peer) = SessionDescription::parse_bytes(rest) else {
        return;
    };
    let suites = CryptoSuite::KNOWN.to_vec();
    let srtp = match mode >> 2 & 3 {
        0 => SrtpPolicy::Off,
        1 => SrtpPolicy::Offer(suites),
        _ => SrtpPolicy::Require(suites),
    };
    let mut local = LocalMedia::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7)), 30000)
        .with_srtp(srtp)
        .with_video(30002, vec![VideoCodec::H264_CONSTRAINED_BASELINE, VideoCodec::Vp8]);
    if mode & 16 != 0 {
        local = local.with_ice(IceCredentials {
            ufrag: "abcd".into(),
            pwd: "0123456789abcdef012345".into(),
            candidates: Candidate::parse("1 1 UDP 2130706431 198.51.100.7 30000 typ host")
                .into_iter()
                .collect(),
            end_of_candidates: true,
            lite: false,
        });
    }
    let mut n = Negotiator::new(local, |_: &CryptoSuite, k: &mut [u8]| k.fill(0x5A));
    n.set_hold(mode & 2 != 0);
    if mode & 1 == 0 {
        if let Ok((answer, media)) = n.receive_offer(&peer) {
            round_trip(&answer);
            check(&media);
            // A re-offer from this side after the exchange.
            if let Ok(offer) = n.create_offer() {
                round_trip(&offer);
                assert!(offer.media.len() >= answer.media.len());
            }
        }
    } else {
        let Ok(offer) = n.create_offer() else {
            return;
        };
        round_trip(&offer);
        if let Ok(media) = n.receive_answer(&peer) {
            check(&media);
            assert!(!n.offer_pending());
        }
    }
});
