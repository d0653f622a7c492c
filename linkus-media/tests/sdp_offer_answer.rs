//! RFC 3264 offer/answer through the public API: codec preference, payload
//! type mapping, telephone-event, ptime, hold, re-offers, rejected m-lines,
//! rtcp-mux, SRTP policy and suites, ICE, video, and answers that do not
//! match their offer.

use core::time::Duration;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use linkus_media::Error;
use linkus_media::codec::Codec;
use linkus_media::sdp::{
    Candidate, CryptoSuite, Direction, IceCredentials, LocalMedia, MediaFormat, Negotiator,
    OfferAnswerError, OfferAnswerOrder, SessionDescription, SrtpPolicy, VideoCodec,
};

const BARESIP: &str = include_str!("sdp/baresip_offer.sdp");
const KAMAILIO: &str = include_str!("sdp/kamailio_rtpengine_offer.sdp");
const LINPHONE: &str = include_str!("sdp/linphone_srtp_ice_offer.sdp");
const CHROME: &str = include_str!("sdp/chrome_webrtc_offer.sdp");
const ASTERISK: &str = include_str!("sdp/asterisk_srtp_offer.sdp");

const ME: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));
const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10));

fn sdp(text: &str) -> SessionDescription {
    SessionDescription::parse(text).unwrap()
}

/// A plain offer from the peer: `m=audio 40000 RTP/AVP <fmts>` plus `extra`
/// media-level lines.
fn peer_offer(fmts: &str, extra: &str) -> SessionDescription {
    sdp(&format!(
        "v=0\r\no=peer 10 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
         m=audio 40000 RTP/AVP {fmts}\r\n{extra}"
    ))
}

fn key_source(fill: u8) -> impl FnMut(&CryptoSuite, &mut [u8]) + Send + 'static {
    move |_: &CryptoSuite, key: &mut [u8]| key.fill(fill)
}

fn negotiator(local: LocalMedia) -> Negotiator {
    Negotiator::new(local, key_source(0xA5))
}

fn base() -> LocalMedia {
    LocalMedia::new(ME, 30000).with_codecs(vec![Codec::G722, Codec::Pcmu, Codec::Pcma])
}

fn oa_err(e: Error) -> OfferAnswerError {
    match e {
        Error::OfferAnswer(e) => e,
        other => panic!("not an offer/answer error: {other:?}"),
    }
}

fn addr(ip: IpAddr, port: u16) -> Option<SocketAddr> {
    Some(SocketAddr::new(ip, port))
}

#[test]
fn answer_follows_offerer_order_by_default() {
    let offer = peer_offer(
        "0 8 9 101",
        "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n",
    );
    let mut n = negotiator(base());
    let (answer, media) = n.receive_offer(&offer).unwrap();
    let m = &media[0];
    assert_eq!(answer.media[0].formats, ["0", "8", "9", "101"]);
    assert_eq!(
        (m.send_payload_type, &m.send_format),
        (0, &MediaFormat::Audio(Codec::Pcmu))
    );
    assert_eq!(m.telephone_event, Some(101));
    assert_eq!(m.remote_rtp, addr(PEER, 40000));
    assert_eq!(m.remote_rtcp, addr(PEER, 40001));
    assert_eq!(m.local_port, 30000);
    assert_eq!(m.direction, Direction::SendRecv);
    assert!(!m.rtcp_mux && m.crypto.is_none() && m.remote_ice.is_none());
    // The offer's fmtp is echoed.
    assert_eq!(answer.media[0].fmtp("101").unwrap().params, "0-15");
    assert_eq!(answer.connection.as_ref().unwrap().ip(), Some(ME));

    let mut local = base();
    local.answer_order = OfferAnswerOrder::Local;
    let (answer, media) = negotiator(local).receive_offer(&offer).unwrap();
    assert_eq!(answer.media[0].formats, ["9", "0", "8", "101"]);
    assert_eq!(media[0].send_format, MediaFormat::Audio(Codec::G722));
}

#[test]
fn dynamic_payload_types_of_the_offerer_are_kept() {
    // baresip offers opus as 96 and telephone-event as 101.
    let mut n = negotiator(LocalMedia::new(ME, 30000).with_codecs(vec![Codec::Opus, Codec::Pcmu]));
    let (answer, media) = n.receive_offer(&sdp(BARESIP)).unwrap();
    let m = &media[0];
    assert_eq!(answer.media[0].formats, ["96", "0", "101"]);
    assert_eq!(
        answer.media[0].rtpmap(96).unwrap().to_string(),
        "96 opus/48000/2"
    );
    assert_eq!(
        (m.send_payload_type, &m.send_format),
        (96, &MediaFormat::Audio(Codec::Opus))
    );
    // baresip only has telephone-event/8000, opus runs at 48 kHz.
    assert_eq!(m.telephone_event, None);
    assert!(m.rtcp_mux);
    assert_eq!(m.remote_rtcp, m.remote_rtp);
    // No video locally: the video m-line is rejected in place.
    assert_eq!(answer.media.len(), 2);
    assert_eq!(
        (answer.media[1].media.as_str(), answer.media[1].port),
        ("video", 0)
    );
    assert_eq!(media.len(), 1);
}

#[test]
fn answer_with_other_payload_type_numbers() {
    let mut n = negotiator(base());
    let offer = n.create_offer().unwrap();
    let m = &offer.media[0];
    assert_eq!(m.formats, ["9", "0", "8", "96"]);
    assert_eq!(m.rtpmap(96).unwrap().to_string(), "96 telephone-event/8000");
    assert_eq!(m.ptime(), Some(Duration::from_millis(20)));
    assert!(m.rtcp_mux());
    // The peer answers PCMU first and numbers telephone-event 101.
    let answer = peer_offer(
        "0 9 101",
        "a=rtpmap:101 telephone-event/8000\r\na=ptime:30\r\n",
    );
    let media = n.receive_answer(&answer).unwrap();
    let m = &media[0];
    assert_eq!(
        (m.send_payload_type, &m.send_format),
        (0, &MediaFormat::Audio(Codec::Pcmu))
    );
    assert_eq!(m.telephone_event, Some(101));
    assert!(
        m.recv_formats
            .contains(&(96, MediaFormat::TelephoneEvent { clock_rate: 8000 }))
    );
    assert!(
        m.recv_formats
            .contains(&(9, MediaFormat::Audio(Codec::G722)))
    );
    assert_eq!(m.ptime, Some(Duration::from_millis(30)));
    assert!(!m.rtcp_mux);
    assert!(!n.offer_pending());
}

#[test]
fn telephone_event_at_the_send_codec_clock() {
    // Linphone offers telephone-event at 48, 16 and 8 kHz.
    let local = LocalMedia::new(ME, 30000)
        .with_codecs(vec![Codec::Pcmu])
        .with_srtp(SrtpPolicy::Offer(vec![CryptoSuite::AesCm128HmacSha1_80]));
    let (answer, media) = negotiator(local).receive_offer(&sdp(LINPHONE)).unwrap();
    assert_eq!(answer.media[0].formats, ["0", "100"]);
    assert_eq!(media[0].telephone_event, Some(100));
    let local = LocalMedia::new(ME, 30000)
        .with_codecs(vec![Codec::Opus, Codec::Pcmu])
        .with_srtp(SrtpPolicy::Offer(vec![CryptoSuite::AesCm128HmacSha1_80]));
    let (answer, media) = negotiator(local).receive_offer(&sdp(LINPHONE)).unwrap();
    assert_eq!(answer.media[0].formats, ["96", "0", "101", "100"]);
    assert_eq!(media[0].telephone_event, Some(101));
}

#[test]
fn ptime_the_codec_cannot_do_falls_back() {
    let mut n = negotiator(base());
    let (_, media) = n.receive_offer(&peer_offer("8", "a=ptime:25\r\n")).unwrap();
    assert_eq!(media[0].ptime, Some(Duration::from_millis(20)));
    let mut n = negotiator(base());
    let (_, media) = n.receive_offer(&peer_offer("8", "a=ptime:40\r\n")).unwrap();
    assert_eq!(media[0].ptime, Some(Duration::from_millis(40)));
}

#[test]
fn static_payload_types_without_rtpmap_and_unknown_codecs() {
    // G.729 (18) is not ours; 3 (GSM) neither; 8 without rtpmap is PCMA.
    let mut n = negotiator(base());
    let (answer, media) = n.receive_offer(&sdp(KAMAILIO)).unwrap();
    assert_eq!(answer.media[0].formats, ["9", "0", "8", "127"]);
    assert_eq!(media[0].send_format, MediaFormat::Audio(Codec::G722));
    assert_eq!(media[0].telephone_event, Some(127));
    // a=rtcp from rtpengine.
    assert_eq!(media[0].remote_rtcp, "203.0.113.50:30451".parse().ok());

    let err = negotiator(base())
        .receive_offer(&peer_offer("3 18", "a=rtpmap:18 G729/8000\r\n"))
        .unwrap_err();
    assert_eq!(oa_err(err), OfferAnswerError::NoCommonCodec { index: 0 });
    // telephone-event alone is no codec.
    let err = negotiator(base())
        .receive_offer(&peer_offer("101", "a=rtpmap:101 telephone-event/8000\r\n"))
        .unwrap_err();
    assert_eq!(oa_err(err), OfferAnswerError::NoCommonCodec { index: 0 });
}

#[test]
fn local_hold_and_resume() {
    let mut n = negotiator(base());
    n.create_offer().unwrap();
    n.receive_answer(&peer_offer("9 96", "a=rtpmap:96 telephone-event/8000\r\n"))
        .unwrap();

    n.set_hold(true);
    let hold = n.create_offer().unwrap();
    assert_eq!(hold.direction_of(&hold.media[0]), Direction::SendOnly);
    assert_ne!(
        hold.connection.as_ref().unwrap().ip(),
        Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    );
    let media = n
        .receive_answer(&peer_offer(
            "9 96",
            "a=rtpmap:96 telephone-event/8000\r\na=recvonly\r\n",
        ))
        .unwrap();
    assert_eq!(media[0].direction, Direction::SendOnly);
    assert!(!media[0].remote_hold);

    n.set_hold(false);
    let resume = n.create_offer().unwrap();
    assert_eq!(resume.direction_of(&resume.media[0]), Direction::SendRecv);
    assert!(resume.origin.session_version > hold.origin.session_version);
    let media = n
        .receive_answer(&peer_offer("9 96", "a=rtpmap:96 telephone-event/8000\r\n"))
        .unwrap();
    assert_eq!(media[0].direction, Direction::SendRecv);
}

#[test]
fn remote_hold_sendonly_inactive_and_zero_address() {
    let mut n = negotiator(base());
    let (answer, media) = n.receive_offer(&peer_offer("0", "a=sendonly\r\n")).unwrap();
    assert_eq!(answer.direction_of(&answer.media[0]), Direction::RecvOnly);
    assert_eq!(media[0].direction, Direction::RecvOnly);
    assert!(media[0].remote_hold);

    // Local hold while the peer holds: inactive.
    n.set_hold(true);
    let offer = n.create_offer().unwrap();
    assert_eq!(offer.direction_of(&offer.media[0]), Direction::Inactive);
    n.cancel_offer();

    // The peer takes us off hold.
    n.set_hold(false);
    let (answer, media) = n.receive_offer(&peer_offer("0", "a=sendrecv\r\n")).unwrap();
    assert_eq!(answer.direction_of(&answer.media[0]), Direction::SendRecv);
    assert!(!media[0].remote_hold);

    // RFC 2543 hold: c=0.0.0.0 with sendrecv.
    let legacy = sdp(
        "v=0\r\no=peer 10 3 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n\
         m=audio 40000 RTP/AVP 0\r\n",
    );
    let (answer, media) = n.receive_offer(&legacy).unwrap();
    assert_eq!(answer.direction_of(&answer.media[0]), Direction::RecvOnly);
    assert!(media[0].remote_hold);
    assert_eq!(media[0].remote_rtp, None);

    // inactive, and local hold on top: inactive.
    n.set_hold(true);
    let (answer, media) = n.receive_offer(&peer_offer("0", "a=inactive\r\n")).unwrap();
    assert_eq!(answer.direction_of(&answer.media[0]), Direction::Inactive);
    assert_eq!(media[0].direction, Direction::Inactive);
    // Local hold answering a sendrecv offer: sendonly.
    let (answer, _) = n.receive_offer(&peer_offer("0", "")).unwrap();
    assert_eq!(answer.direction_of(&answer.media[0]), Direction::SendOnly);
}

#[test]
fn re_offer_with_new_address_and_codec() {
    let mut n = negotiator(base());
    let (first, media) = n.receive_offer(&peer_offer("9 0", "")).unwrap();
    assert_eq!(media[0].send_format, MediaFormat::Audio(Codec::G722));
    // Same offer again: the answer and its o= version are unchanged.
    let (again, _) = n.receive_offer(&peer_offer("9 0", "")).unwrap();
    assert_eq!(again, first);
    // New address and codec.
    let moved = sdp(
        "v=0\r\no=peer 10 2 IN IP4 192.0.2.99\r\ns=-\r\nc=IN IP4 192.0.2.99\r\nt=0 0\r\n\
         m=audio 41000 RTP/AVP 8\r\n",
    );
    let (answer, media) = n.receive_offer(&moved).unwrap();
    assert_eq!(media[0].remote_rtp, "192.0.2.99:41000".parse().ok());
    assert_eq!(media[0].send_format, MediaFormat::Audio(Codec::Pcma));
    assert_eq!(
        answer.origin.session_version,
        first.origin.session_version + 1
    );
    assert_eq!(n.negotiated(), &media[..]);

    // Our own address changes: the re-offer has it and a new version; a
    // re-offer without changes keeps the version.
    let offer = n.create_offer().unwrap();
    assert_eq!(
        offer.origin.session_version,
        answer.origin.session_version + 1
    );
    n.cancel_offer();
    let same = n.create_offer().unwrap();
    assert_eq!(same.origin.session_version, offer.origin.session_version);
    n.cancel_offer();
    n.local_mut().address = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 8));
    n.local_mut().audio_port = 30100;
    let moved = n.create_offer().unwrap();
    assert_eq!(
        moved.origin.session_version,
        same.origin.session_version + 1
    );
    assert_eq!(moved.connection.as_ref().unwrap().address, "198.51.100.8");
    assert_eq!(moved.media[0].port, 30100);
    // The re-offer lists the local preference order again.
    assert_eq!(moved.media[0].formats, ["9", "0", "8", "96"]);
}

#[test]
fn re_offer_must_keep_m_lines() {
    let mut n = negotiator(base());
    n.receive_offer(&sdp(BARESIP)).unwrap();
    let err = n.receive_offer(&peer_offer("0", "")).unwrap_err();
    assert_eq!(
        oa_err(err),
        OfferAnswerError::MediaLinesRemoved { before: 2, now: 1 }
    );
    // Our re-offer keeps the rejected video m-line, with port 0.
    let offer = n.create_offer().unwrap();
    assert_eq!(offer.media.len(), 2);
    assert_eq!(
        (offer.media[1].media.as_str(), offer.media[1].port),
        ("video", 0)
    );
}

#[test]
fn unsupported_media_and_protocols_are_rejected_in_place() {
    let offer = sdp(
        "v=0\r\no=peer 10 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
         m=image 40002 udptl t38\r\n\
         m=audio 40000 RTP/AVP 0\r\n\
         m=audio 0 RTP/AVP 8\r\n\
         m=audio 40004 RTP/AVP 8\r\n",
    );
    let (answer, media) = negotiator(base()).receive_offer(&offer).unwrap();
    let ports: Vec<u16> = answer.media.iter().map(|m| m.port).collect();
    assert_eq!(ports, [0, 30000, 0, 0]);
    assert_eq!(answer.media[0].media, "image");
    assert_eq!(media.len(), 1);
    assert_eq!(media[0].index, 1);

    // Chrome: DTLS-SRTP only.
    let err = negotiator(base()).receive_offer(&sdp(CHROME)).unwrap_err();
    assert_eq!(
        oa_err(err),
        OfferAnswerError::UnsupportedProtocol {
            index: 0,
            proto: "UDP/TLS/RTP/SAVPF".into()
        }
    );
}

#[test]
fn rtcp_mux_agreed_or_not() {
    let mut n = negotiator(base());
    let (answer, media) = n.receive_offer(&peer_offer("0", "a=rtcp-mux\r\n")).unwrap();
    assert!(answer.media[0].rtcp_mux() && media[0].rtcp_mux);
    assert_eq!(media[0].remote_rtcp, media[0].remote_rtp);

    let mut local = base();
    local.rtcp_mux = false;
    let mut n = negotiator(local);
    let (answer, media) = n
        .receive_offer(&peer_offer("0", "a=rtcp-mux\r\na=rtcp:40009\r\n"))
        .unwrap();
    assert!(!answer.media[0].rtcp_mux() && !media[0].rtcp_mux);
    assert_eq!(media[0].remote_rtcp, addr(PEER, 40009));
    let offer = n.create_offer().unwrap();
    assert!(!offer.media[0].rtcp_mux());
}

#[test]
fn srtp_required_but_peer_offers_rtp() {
    let local = base().with_srtp(SrtpPolicy::Require(vec![CryptoSuite::AesCm128HmacSha1_80]));
    let err = negotiator(local)
        .receive_offer(&peer_offer("0 8", ""))
        .unwrap_err();
    assert_eq!(oa_err(err), OfferAnswerError::SrtpRequired { index: 0 });

    // The peer requires SRTP and it is off here.
    let err = negotiator(base())
        .receive_offer(&sdp(ASTERISK))
        .unwrap_err();
    assert_eq!(oa_err(err), OfferAnswerError::NoCommonCrypto { index: 0 });
    // Or only suites we do not take.
    let local = base().with_srtp(SrtpPolicy::Offer(vec![CryptoSuite::AeadAes128Gcm]));
    let err = negotiator(local).receive_offer(&sdp(ASTERISK)).unwrap_err();
    assert_eq!(oa_err(err), OfferAnswerError::NoCommonCrypto { index: 0 });
}

#[test]
fn crypto_suite_choice_and_keys() {
    // Linphone offers _80 (tag 1) then _32 (tag 2); the offerer's order wins.
    let local = base().with_srtp(SrtpPolicy::Offer(vec![
        CryptoSuite::AesCm128HmacSha1_32,
        CryptoSuite::AesCm128HmacSha1_80,
    ]));
    let offer = sdp(LINPHONE);
    let (answer, media) = negotiator(local).receive_offer(&offer).unwrap();
    let c = media[0].crypto.as_ref().unwrap();
    assert_eq!((c.tag, &c.suite), (1, &CryptoSuite::AesCm128HmacSha1_80));
    assert_eq!(c.local_key_salt, vec![0xA5; 30]);
    assert_eq!(
        Some(c.remote_key_salt.clone()),
        offer.media[0].cryptos().next().unwrap().key_salt()
    );
    let answered: Vec<_> = answer.media[0].cryptos().collect();
    assert_eq!(answered.len(), 1);
    assert_eq!(answered[0].tag, 1);
    assert_eq!(answered[0].key_salt(), Some(vec![0xA5; 30]));
    assert_eq!(answer.media[0].proto, "RTP/SAVP");
    // Only _32 here: tag 2.
    let local = base().with_srtp(SrtpPolicy::Require(vec![CryptoSuite::AesCm128HmacSha1_32]));
    let (_, media) = negotiator(local).receive_offer(&offer).unwrap();
    assert_eq!(media[0].crypto.as_ref().unwrap().tag, 2);
    // Keys never show in Debug output.
    assert!(!format!("{media:?}").contains("key_salt"));
}

#[test]
fn srtp_offer_and_answer_between_two_negotiators() {
    let suites = vec![
        CryptoSuite::AeadAes128Gcm,
        CryptoSuite::AesCm128HmacSha1_80,
        CryptoSuite::AesCm128HmacSha1_32,
    ];
    let alice_local = base().with_srtp(SrtpPolicy::Require(suites.clone()));
    let mut bob_local = LocalMedia::new(PEER, 40000).with_codecs(vec![Codec::Pcma, Codec::G722]);
    bob_local.srtp = SrtpPolicy::Require(vec![CryptoSuite::AesCm128HmacSha1_80]);
    let mut alice = Negotiator::new(alice_local, key_source(0x11));
    let mut bob = Negotiator::new(bob_local, key_source(0x22));

    let offer = alice.create_offer().unwrap();
    assert_eq!(offer.media[0].proto, "RTP/SAVP");
    let cryptos: Vec<_> = offer.media[0].cryptos().collect();
    assert_eq!(cryptos.iter().map(|c| c.tag).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(cryptos[0].key_salt().map(|k| k.len()), Some(28));
    let text = offer.to_string();
    let (answer, bob_media) = bob.receive_offer(&sdp(&text)).unwrap();
    let alice_media = alice.receive_answer(&sdp(&answer.to_string())).unwrap();

    let (a, b) = (&alice_media[0], &bob_media[0]);
    // Bob answers in Alice's order: G722 first.
    assert_eq!(a.send_format, MediaFormat::Audio(Codec::G722));
    assert_eq!(b.send_format, MediaFormat::Audio(Codec::G722));
    assert_eq!(a.remote_rtp, addr(PEER, 40000));
    assert_eq!(b.remote_rtp, addr(ME, 30000));
    assert!(a.rtcp_mux && b.rtcp_mux);
    let (ac, bc) = (a.crypto.as_ref().unwrap(), b.crypto.as_ref().unwrap());
    assert_eq!((ac.tag, &ac.suite), (2, &CryptoSuite::AesCm128HmacSha1_80));
    assert_eq!(ac.local_key_salt, bc.remote_key_salt);
    assert_eq!(ac.remote_key_salt, bc.local_key_salt);
    assert_eq!(ac.local_key_salt, vec![0x11; 30]);
    // The send payload type of each is a receive payload type of the other.
    assert!(
        b.recv_formats
            .contains(&(a.send_payload_type, a.send_format.clone()))
    );
    assert!(
        a.recv_formats
            .contains(&(b.send_payload_type, b.send_format.clone()))
    );
    assert_eq!(a.telephone_event, b.telephone_event);

    // The re-offer keeps the keys.
    let again = alice.create_offer().unwrap();
    assert_eq!(again.media[0].cryptos().collect::<Vec<_>>(), cryptos);
}

#[test]
fn best_effort_srtp() {
    let offerer = base().with_srtp(SrtpPolicy::Offer(vec![CryptoSuite::AesCm128HmacSha1_80]));
    let mut n = negotiator(offerer);
    let offer = n.create_offer().unwrap();
    assert_eq!(offer.media[0].proto, "RTP/AVP");
    assert_eq!(offer.media[0].cryptos().count(), 1);
    // A plain answer is fine.
    let media = n.receive_answer(&peer_offer("9", "")).unwrap();
    assert!(media[0].crypto.is_none());
    // An answer with a crypto tag never offered is not.
    n.create_offer().unwrap();
    let bad = peer_offer(
        "9",
        "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
    );
    assert_eq!(
        oa_err(n.receive_answer(&bad).unwrap_err()),
        OfferAnswerError::CryptoMismatch { index: 0 }
    );
    // Answered with SRTP.
    let good = peer_offer(
        "9",
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
    );
    let media = n.receive_answer(&good).unwrap();
    assert_eq!(
        media[0].crypto.as_ref().unwrap().local_key_salt,
        vec![0xA5; 30]
    );
}

#[test]
fn ice_parameters_both_ways() {
    let ice = IceCredentials {
        ufrag: "Lk3d".into(),
        pwd: "asd88fgpdd777uzjYhagZg8a".into(),
        candidates: vec![
            Candidate::parse("1 1 UDP 2130706431 198.51.100.7 30000 typ host").unwrap(),
        ],
        end_of_candidates: true,
        lite: false,
    };
    let local = base()
        .with_srtp(SrtpPolicy::Offer(vec![CryptoSuite::AesCm128HmacSha1_80]))
        .with_ice(ice);
    let (answer, media) = negotiator(local).receive_offer(&sdp(LINPHONE)).unwrap();
    let remote = media[0].remote_ice.as_ref().unwrap();
    assert_eq!(
        (remote.ufrag.as_str(), remote.pwd.as_str()),
        ("f3a3b2c1", "6a1bc6aa0a6f0e1c5b4a9e2f")
    );
    assert_eq!(remote.candidates.len(), 4);
    assert!(!remote.end_of_candidates);
    let a = &answer.media[0];
    assert_eq!(a.ice_ufrag(), Some("Lk3d"));
    assert_eq!(a.candidates().count(), 1);
    assert!(a.end_of_candidates());
    // Media-level c= of the offer.
    assert_eq!(media[0].remote_rtp, "198.51.100.23:7078".parse().ok());
}

#[test]
fn video_accepted_and_rejected() {
    let local = base().with_video(
        30002,
        vec![VideoCodec::H264_CONSTRAINED_BASELINE, VideoCodec::Vp8],
    );
    let (answer, media) = negotiator(local.clone())
        .receive_offer(&sdp(BARESIP))
        .unwrap();
    // Packetization mode 0 (115) is not ours; mode 1 (116) and VP8 are.
    assert_eq!(answer.media[1].port, 30002);
    assert_eq!(answer.media[1].formats, ["116", "100"]);
    let v = &media[1];
    assert_eq!(v.media, "video");
    assert_eq!(v.send_payload_type, 116);
    assert_eq!(
        v.send_format,
        MediaFormat::Video(VideoCodec::H264_CONSTRAINED_BASELINE)
    );
    assert_eq!(v.ptime, None);
    assert_eq!(
        v.remote_rtp,
        addr(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 34)), 10564)
    );

    // Our own video offer, answered VP8 only by the peer.
    let mut n = negotiator(local);
    let offer = n.create_offer().unwrap();
    // Payload type numbers are per m-line.
    assert_eq!(offer.media[1].formats, ["96", "97"]);
    assert_eq!(
        offer.media[1].fmtp("96").unwrap().params,
        "profile-level-id=42e01f;packetization-mode=1"
    );
    let answer = sdp(
        "v=0\r\no=peer 10 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
         m=audio 40000 RTP/AVP 9\r\nm=video 40002 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\n",
    );
    let media = n.receive_answer(&answer).unwrap();
    assert_eq!(media[1].send_format, MediaFormat::Video(VideoCodec::Vp8));
    assert_eq!(media[1].send_payload_type, 100);
    assert_eq!(
        media[1].recv_formats,
        [(97, MediaFormat::Video(VideoCodec::Vp8))]
    );
    // The peer rejects video.
    n.create_offer().unwrap();
    let answer = sdp(
        "v=0\r\no=peer 10 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
         m=audio 40000 RTP/AVP 9\r\nm=video 0 RTP/AVP 97\r\n",
    );
    let media = n.receive_answer(&answer).unwrap();
    assert_eq!(media.len(), 1);
    assert_eq!(media[0].media, "audio");
}

#[test]
fn answers_that_do_not_match_the_offer() {
    let mut n = negotiator(base());
    let err = n.receive_answer(&peer_offer("0", "")).unwrap_err();
    assert_eq!(oa_err(err), OfferAnswerError::NoPendingOffer);
    n.create_offer().unwrap();
    // Glare.
    let err = n.receive_offer(&peer_offer("0", "")).unwrap_err();
    assert_eq!(oa_err(err), OfferAnswerError::OfferPending);
    let err = n.create_offer().unwrap_err();
    assert_eq!(oa_err(err), OfferAnswerError::OfferPending);
    // Two m-lines for one.
    let two = sdp(
        "v=0\r\no=peer 10 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
         m=audio 40000 RTP/AVP 0\r\nm=audio 40002 RTP/AVP 0\r\n",
    );
    assert_eq!(
        oa_err(n.receive_answer(&two).unwrap_err()),
        OfferAnswerError::MediaCountMismatch {
            offered: 1,
            answered: 2
        }
    );
    // Video for audio.
    let video = sdp(
        "v=0\r\no=peer 10 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
         m=video 40000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n",
    );
    assert_eq!(
        oa_err(n.receive_answer(&video).unwrap_err()),
        OfferAnswerError::MediaTypeMismatch { index: 0 }
    );
    // A payload type never offered, and a codec never offered.
    assert_eq!(
        oa_err(n.receive_answer(&peer_offer("0 111", "")).unwrap_err()),
        OfferAnswerError::UnknownPayloadType {
            index: 0,
            payload_type: 111
        }
    );
    assert_eq!(
        oa_err(
            n.receive_answer(&peer_offer("18", "a=rtpmap:18 G729/8000\r\n"))
                .unwrap_err()
        ),
        OfferAnswerError::UnknownPayloadType {
            index: 0,
            payload_type: 18
        }
    );
    // The offer is still outstanding after those errors.
    n.receive_answer(&peer_offer("0", "")).unwrap();
    // Everything rejected.
    n.create_offer().unwrap();
    let rejected = sdp(
        "v=0\r\no=peer 10 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
         m=audio 0 RTP/AVP 0\r\n",
    );
    assert_eq!(
        oa_err(n.receive_answer(&rejected).unwrap_err()),
        OfferAnswerError::NoCommonCodec { index: 0 }
    );
    // A hostname in c= is not an address to send to.
    let mut n = negotiator(base());
    let fqdn = sdp(
        "v=0\r\no=alice 1 1 IN IP4 host.atlanta.example.com\r\ns=-\r\n\
         c=IN IP4 host.atlanta.example.com\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n",
    );
    assert_eq!(
        oa_err(n.receive_offer(&fqdn).unwrap_err()),
        OfferAnswerError::BadAddress { index: 0 }
    );
    // The state is unchanged after the error.
    assert!(n.negotiated().is_empty());
}

#[test]
fn rfc3264_section_10_1_with_ip_addresses() {
    // RFC 3264 §10.1 (host names replaced by documentation addresses): Bob
    // accepts PCMU and rejects... here both MPV and H261 are unknown, so
    // video is rejected, and iLBC is matched only if this crate has it.
    let offer = sdp(
        "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.1\r\ns=\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
         m=audio 49170 RTP/AVP 0 8 97\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:97 iLBC/8000\r\nm=video 51372 RTP/AVP 31 32\r\na=rtpmap:31 H261/90000\r\n\
         a=rtpmap:32 MPV/90000\r\n",
    );
    let bob = LocalMedia::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)), 49174)
        .with_codecs(vec![Codec::Pcmu])
        .with_video(49170, vec![VideoCodec::Vp8]);
    let (answer, media) = negotiator(bob).receive_offer(&offer).unwrap();
    assert_eq!(answer.media[0].formats, ["0"]);
    assert_eq!(answer.media[0].port, 49174);
    assert_eq!(answer.media[1].port, 0);
    assert_eq!(media.len(), 1);
    assert_eq!(media[0].remote_rtp, "192.0.2.1:49170".parse().ok());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    const FIXTURES: [&str; 5] = [BARESIP, KAMAILIO, LINPHONE, CHROME, ASTERISK];

    fn policy(which: u8) -> SrtpPolicy {
        match which % 3 {
            0 => SrtpPolicy::Off,
            1 => SrtpPolicy::Offer(CryptoSuite::KNOWN.to_vec()),
            _ => SrtpPolicy::Require(CryptoSuite::KNOWN.to_vec()),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Mutated real offers and answers: offer/answer returns a result
        /// or a typed error, what it writes parses back to itself, and the
        /// send payload type is one the peer accepts.
        #[test]
        fn mutated_peer_sdp(
            idx in 0usize..5,
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            which in any::<u8>(),
            hold in any::<bool>(),
        ) {
            let mut bytes = FIXTURES[idx].as_bytes().to_vec();
            for (pos, byte) in &edits {
                let i = pos.index(bytes.len());
                bytes[i] = *byte;
            }
            let Ok(peer) = SessionDescription::parse_bytes(&bytes) else {
                return Ok(());
            };
            let local = base()
                .with_srtp(policy(which))
                .with_video(30002, vec![VideoCodec::H264_CONSTRAINED_BASELINE, VideoCodec::Vp8]);
            let mut n = negotiator(local.clone());
            n.set_hold(hold);
            if let Ok((answer, media)) = n.receive_offer(&peer) {
                prop_assert_eq!(SessionDescription::parse(&answer.to_string()).unwrap(), answer.clone());
                prop_assert_eq!(answer.media.len(), peer.media.len());
                for m in &media {
                    prop_assert!(m.send_formats.contains(&(m.send_payload_type, m.send_format.clone())));
                }
                let offer = n.create_offer().unwrap();
                prop_assert!(offer.media.len() >= answer.media.len());
            }
            let mut n = negotiator(local);
            let offer = n.create_offer().unwrap();
            prop_assert_eq!(SessionDescription::parse(&offer.to_string()).unwrap(), offer);
            if n.receive_answer(&peer).is_ok() {
                prop_assert!(!n.offer_pending());
            }
        }
    }
}
