//! SDP parser and writer on SDPs as real peers send them, on RFC examples,
//! and on bad input.

use core::time::Duration;

use linkus_media::Error;
use linkus_media::sdp::{
    Attribute, CandidateType, CryptoSuite, Direction, Limits, SdpError, SdpErrorKind,
    SessionDescription,
};

const BARESIP: &str = include_str!("sdp/baresip_offer.sdp");
const KAMAILIO: &str = include_str!("sdp/kamailio_rtpengine_offer.sdp");
const LINPHONE: &str = include_str!("sdp/linphone_srtp_ice_offer.sdp");
const CHROME: &str = include_str!("sdp/chrome_webrtc_offer.sdp");
const ASTERISK: &str = include_str!("sdp/asterisk_srtp_offer.sdp");
const RFC3264_OFFER: &str = include_str!("sdp/rfc3264_10_1_offer.sdp");
const RFC3264_ANSWER: &str = include_str!("sdp/rfc3264_10_1_answer.sdp");
const RFC4568: &str = include_str!("sdp/rfc4568_offer.sdp");

const ALL: [&str; 8] = [
    BARESIP,
    KAMAILIO,
    LINPHONE,
    CHROME,
    ASTERISK,
    RFC3264_OFFER,
    RFC3264_ANSWER,
    RFC4568,
];

fn sdp_err(e: Error) -> SdpError {
    match e {
        Error::Sdp(e) => e,
        other => panic!("not an SDP error: {other:?}"),
    }
}

fn parse_err(text: &str) -> SdpError {
    sdp_err(SessionDescription::parse(text).unwrap_err())
}

#[test]
fn fixtures_round_trip() {
    for text in ALL {
        let sdp = SessionDescription::parse(text).unwrap();
        let written = sdp.to_string();
        assert!(written.ends_with("\r\n"));
        assert!(!written.replace("\r\n", "").contains('\n'));
        assert_eq!(SessionDescription::parse(&written).unwrap(), sdp);
        // CRLF fixtures in RFC 8866 order come back byte for byte.
        if text.contains("\r\n") && !text.contains("\r\ns=\r\n") {
            assert_eq!(written, text);
        }
    }
}

#[test]
fn baresip_offer() {
    let sdp = SessionDescription::parse(BARESIP).unwrap();
    assert_eq!(sdp.media.len(), 2);
    let audio = &sdp.media[0];
    assert_eq!(audio.media, "audio");
    assert_eq!(audio.port, 10562);
    assert_eq!(audio.proto, "RTP/AVP");
    assert_eq!(
        audio.payload_types().collect::<Vec<_>>(),
        [96, 97, 9, 0, 8, 101]
    );
    let opus = audio.rtpmap(96).unwrap();
    assert_eq!(
        (opus.encoding.as_str(), opus.clock_rate, opus.channels),
        ("opus", 48000, Some(2))
    );
    assert_eq!(audio.fmtp("96").unwrap().param("sprop-stereo"), Some("1"));
    assert_eq!(audio.ptime(), Some(Duration::from_millis(20)));
    assert!(audio.rtcp_mux());
    assert_eq!(audio.bandwidths[0].kind, "AS");
    assert_eq!(audio.bandwidths[0].value, 512);
    // Unknown attributes are kept in order.
    assert!(audio.attributes.contains(&Attribute::new("label", "1")));
    assert!(audio.attributes.contains(&Attribute::flag("rtcp-rsize")));
    assert_eq!(
        sdp.connection_of(audio).unwrap().ip(),
        Some([192, 168, 1, 34].into())
    );
    let video = &sdp.media[1];
    assert_eq!(
        video.fmtp("116").unwrap().param("packetization-mode"),
        Some("1")
    );
    assert_eq!(video.rtpmap(100).unwrap().encoding, "VP8");
}

#[test]
fn kamailio_lf_and_trailing_space() {
    let sdp = SessionDescription::parse(KAMAILIO).unwrap();
    let audio = &sdp.media[0];
    assert_eq!(sdp.session_name, "Polycom IP Phone");
    assert_eq!(sdp.direction(), Some(Direction::SendRecv));
    assert_eq!(audio.rtpmap(127).unwrap().encoding, "telephone-event");
    let rtcp = audio.rtcp().unwrap();
    assert_eq!((rtcp.port, rtcp.connection), (30451, None));
    assert_eq!(audio.attribute("nortpproxy"), Some(Some("yes")));
    assert_eq!(audio.fmtp("18").unwrap().param("annexb"), Some("no"));
}

#[test]
fn linphone_srtp_and_ice() {
    let sdp = SessionDescription::parse(LINPHONE).unwrap();
    let audio = &sdp.media[0];
    // Media-level c= overrides the session's.
    assert_eq!(sdp.connection_of(audio).unwrap().address, "198.51.100.23");
    assert_eq!(sdp.ice_ufrag_of(audio), Some("f3a3b2c1"));
    assert_eq!(sdp.ice_pwd_of(audio), Some("6a1bc6aa0a6f0e1c5b4a9e2f"));
    let cryptos: Vec<_> = audio.cryptos().collect();
    assert_eq!(cryptos.len(), 2);
    assert_eq!(cryptos[1].suite, CryptoSuite::AesCm128HmacSha1_32);
    assert_eq!(cryptos[0].key_salt().unwrap().len(), 30);
    let cands: Vec<_> = audio.candidates().collect();
    assert_eq!(cands.len(), 4);
    assert_eq!(cands[2].typ, CandidateType::ServerReflexive);
    assert_eq!(cands[2].related_address.as_deref(), Some("10.0.0.12"));
    assert_eq!(cands[3].component, 2);
}

#[test]
fn chrome_webrtc_offer() {
    let sdp = SessionDescription::parse(CHROME).unwrap();
    assert_eq!(sdp.connection, None);
    assert_eq!(sdp.attribute("group"), Some(Some("BUNDLE 0 1")));
    assert_eq!(sdp.attribute("msid-semantic"), Some(Some(" WMS 9d3a5b2c")));
    let audio = &sdp.media[0];
    assert_eq!(audio.proto, "UDP/TLS/RTP/SAVPF");
    assert!(audio.is_rtp());
    assert_eq!(audio.mid(), Some("0"));
    let rtcp = audio.rtcp().unwrap();
    assert_eq!(rtcp.connection.unwrap().address, "0.0.0.0");
    let cands: Vec<_> = audio.candidates().collect();
    assert_eq!(cands.len(), 4);
    assert_eq!(cands[1].transport, "tcp");
    assert_eq!(cands[1].extensions[0], ("tcptype".into(), "active".into()));
    assert!(cands[2].address.ends_with(".local"));
    assert_eq!(audio.attribute("ice-options"), Some(Some("trickle")));
    let video = &sdp.media[1];
    assert_eq!(
        video.fmtp("102").unwrap().param("profile-level-id"),
        Some("42001f")
    );
}

#[test]
fn asterisk_sdes() {
    let sdp = SessionDescription::parse(ASTERISK).unwrap();
    let audio = &sdp.media[0];
    assert_eq!(audio.maxptime(), Some(Duration::from_millis(150)));
    let c = audio.cryptos().next().unwrap();
    assert_eq!((c.tag, &c.suite), (1, &CryptoSuite::AesCm128HmacSha1_80));
}

#[test]
fn rfc_examples() {
    let offer = SessionDescription::parse(RFC3264_OFFER).unwrap();
    assert_eq!(offer.session_name, "");
    assert_eq!(offer.origin.username, "alice");
    assert_eq!(offer.origin.session_version, 2890844526);
    assert_eq!(offer.media[1].rtpmap(32).unwrap().encoding, "MPV");
    // An FQDN connection address parses; it is not an IP literal.
    assert_eq!(offer.connection.as_ref().unwrap().ip(), None);
    assert!(offer.to_string().contains("\r\ns= \r\n"));

    let sdp = SessionDescription::parse(RFC4568).unwrap();
    assert_eq!(sdp.info.as_deref(), Some("A discussion of Secure RTP"));
    assert_eq!(sdp.emails, ["marge@example.com (Marge Simpson)"]);
    assert_eq!(
        (sdp.timing[0].start, sdp.timing[0].stop),
        (2873397496, 2873404696)
    );
    let c = sdp.media[0].cryptos().next().unwrap();
    assert_eq!(c.session_params, ["FEC_ORDER=FEC_SRTP"]);
    assert_eq!(c.key_params[0].lifetime_packets(), Some(1 << 20));
    assert_eq!(c.key_params[0].mki_value(), Some((1, 4)));
    let v = sdp.media[1].cryptos().next().unwrap();
    assert_eq!(v.key_params[0].mki_value(), Some((1, 32)));
}

#[test]
fn lenient_where_peers_deviate() {
    // LF only, no t=, blank lines, trailing white space, c= only per m-line.
    let sdp = SessionDescription::parse(
        "v=0\no=- 1 1 IN IP4 10.0.0.1 \ns=-\n\nm=audio 5000 RTP/AVP 0\t\nc=IN IP4 10.0.0.1\n\n",
    )
    .unwrap();
    assert_eq!(sdp.timing.len(), 1);
    assert_eq!(sdp.media[0].connections[0].address, "10.0.0.1");
    // A rejected m-line without formats or c=.
    let sdp = SessionDescription::parse(
        "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 0 RTP/AVP\r\n",
    )
    .unwrap();
    assert_eq!(sdp.media[0].port, 0);
    assert!(sdp.media[0].formats.is_empty());
    // Session-level direction default.
    let sdp = SessionDescription::parse(
        "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\na=inactive\r\nm=audio 5000 RTP/AVP 0\r\nm=audio 5002 RTP/AVP 0\r\na=recvonly\r\n",
    )
    .unwrap();
    assert_eq!(sdp.direction_of(&sdp.media[0]), Direction::Inactive);
    assert_eq!(sdp.direction_of(&sdp.media[1]), Direction::RecvOnly);
    assert!(sdp.connection.as_ref().unwrap().is_unspecified());
}

#[test]
fn one_bad_crypto_or_candidate_does_not_fail_the_call() {
    let sdp = SessionDescription::parse(
        "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
         m=audio 5000 RTP/SAVP 0\r\n\
         a=crypto:1 AES_CM_128_HMAC_SHA1_80\r\n\
         a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n\
         a=candidate:1 1 UDP 1 10.0.0.1 5000 host\r\n\
         a=candidate:2 1 UDP 1 10.0.0.1 5000 typ host\r\n",
    )
    .unwrap();
    let m = &sdp.media[0];
    assert_eq!(m.cryptos().map(|c| c.tag).collect::<Vec<_>>(), [2]);
    assert_eq!(
        m.candidates().map(|c| c.foundation).collect::<Vec<_>>(),
        ["2"]
    );
    // Kept verbatim for the round trip.
    assert_eq!(m.attribute_values("crypto").count(), 2);
    assert_eq!(SessionDescription::parse(&sdp.to_string()).unwrap(), sdp);
}

#[test]
fn strict_where_the_rfc_requires() {
    let cases: &[(&str, usize, SdpErrorKind)] = &[
        ("", 0, SdpErrorKind::Empty),
        ("\r\n\r\n", 0, SdpErrorKind::Empty),
        ("v=1\r\n", 1, SdpErrorKind::BadVersion),
        ("o=- 1 1 IN IP4 1.2.3.4\r\n", 1, SdpErrorKind::BadVersion),
        ("v=0\r\ns=-\r\n", 2, SdpErrorKind::MissingOrigin),
        ("v=0\r\n", 0, SdpErrorKind::MissingOrigin),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nt=0 0\r\n",
            3,
            SdpErrorKind::MissingSessionName,
        ),
        ("v=0\r\no=- x 1 IN\r\ns=-\r\n", 2, SdpErrorKind::BadOrigin),
        (
            "v=0\r\no=- 1 one IN IP4 1.2.3.4\r\ns=-\r\n",
            2,
            SdpErrorKind::BadOrigin,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4\r\n",
            4,
            SdpErrorKind::BadConnection,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nb=AS\r\n",
            4,
            SdpErrorKind::BadBandwidth,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0\r\n",
            4,
            SdpErrorKind::BadTiming,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nr=7d 1h 0\r\n",
            4,
            SdpErrorKind::BadTiming,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nx=1\r\n",
            4,
            SdpErrorKind::UnknownLineType('x'),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nA=1\r\n",
            4,
            SdpErrorKind::MalformedLine,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\na =x\r\n",
            4,
            SdpErrorKind::MalformedLine,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nv=0\r\n",
            4,
            SdpErrorKind::UnexpectedLine('v'),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n",
            5,
            SdpErrorKind::UnexpectedLine('c'),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\nt=0 0\r\n",
            6,
            SdpErrorKind::UnexpectedLine('t'),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\n",
            4,
            SdpErrorKind::MissingConnection,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio x RTP/AVP 0\r\n",
            4,
            SdpErrorKind::BadMedia,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 70000 RTP/AVP 0\r\n",
            4,
            SdpErrorKind::BadMedia,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 5000 RTP/AVP\r\n",
            4,
            SdpErrorKind::BadMedia,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n",
            6,
            SdpErrorKind::BadAttribute("rtpmap".into()),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\na=ptime:abc\r\n",
            4,
            SdpErrorKind::BadAttribute("ptime".into()),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\na=crypto\r\n",
            4,
            SdpErrorKind::BadAttribute("crypto".into()),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\na=ice-ufrag:a b\r\n",
            4,
            SdpErrorKind::BadAttribute("ice-ufrag".into()),
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\na=:x\r\n",
            4,
            SdpErrorKind::BadAttribute(String::new()),
        ),
    ];
    for (text, line, kind) in cases {
        assert_eq!(
            parse_err(text),
            SdpError {
                line: *line,
                kind: kind.clone()
            },
            "{text:?}"
        );
    }
}

#[test]
fn limits() {
    let limits = Limits {
        max_size: 4096,
        max_lines: 40,
        max_media: 2,
        max_attributes: 3,
    };
    let head = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n";
    let parse = |t: &str| sdp_err(SessionDescription::parse_with_limits(t, &limits).unwrap_err());
    assert_eq!(
        parse(&"x".repeat(4097)),
        SdpError {
            line: 0,
            kind: SdpErrorKind::TooLarge { limit: 4096 }
        }
    );
    let many_media = format!("{head}{}", "m=audio 1 RTP/AVP 0\r\n".repeat(3));
    assert_eq!(
        parse(&many_media),
        SdpError {
            line: 8,
            kind: SdpErrorKind::TooManyMedia { limit: 2 }
        }
    );
    let many_attrs = format!("{head}{}", "a=x\r\n".repeat(4));
    assert_eq!(
        parse(&many_attrs),
        SdpError {
            line: 9,
            kind: SdpErrorKind::TooManyAttributes { limit: 3 }
        }
    );
    let many_lines = format!("{head}{}", "\r\n".repeat(40));
    assert_eq!(
        parse(&many_lines).kind,
        SdpErrorKind::TooManyLines { limit: 40 }
    );
    // The defaults hold a long WebRTC offer and refuse a flood.
    let flood = format!(
        "{head}{}",
        "a=candidate:1 1 UDP 1 1.2.3.4 5000 typ host\r\n".repeat(1500)
    );
    assert!(SessionDescription::parse(&flood).is_err());
    assert_eq!(
        sdp_err(SessionDescription::parse_bytes(&[b'v', b'=', 0xFF]).unwrap_err()).kind,
        SdpErrorKind::NotUtf8
    );
    assert!(SessionDescription::parse_bytes(CHROME.as_bytes()).is_ok());
}

#[test]
fn truncated_fixtures_never_panic() {
    for text in ALL {
        for end in 0..text.len() {
            if let Some(prefix) = text.get(..end) {
                let _ = SessionDescription::parse(prefix);
            }
        }
    }
}

mod properties {
    use super::*;
    use linkus_media::sdp::{
        Bandwidth, Candidate, Connection, Crypto, KeyParam, MediaDescription, Origin, RtpMap,
        Timing,
    };
    use proptest::prelude::*;

    fn token() -> impl Strategy<Value = String> {
        "[A-Za-z0-9._+-]{1,12}"
    }

    fn text() -> impl Strategy<Value = String> {
        // Free text without line breaks, not ending in white space.
        "[A-Za-z0-9 ,.:;=()@-]{0,20}[A-Za-z0-9]"
    }

    fn connection() -> impl Strategy<Value = Connection> {
        (any::<[u8; 4]>()).prop_map(|ip| Connection::new(std::net::Ipv4Addr::from(ip).into()))
    }

    fn attribute() -> impl Strategy<Value = Attribute> {
        prop_oneof![
            "x-[a-z]{1,8}".prop_map(Attribute::flag),
            ("x-[a-z]{1,8}", text()).prop_map(|(n, v)| Attribute::new(n, v)),
            (
                0u8..=127,
                token(),
                1u32..200_000,
                proptest::option::of(1u16..9)
            )
                .prop_map(|(pt, enc, clock, ch)| RtpMap {
                    payload_type: pt,
                    encoding: enc,
                    clock_rate: clock,
                    channels: ch
                }
                .into()),
            (1u32..1000, proptest::collection::vec(any::<u8>(), 1..48)).prop_map(|(tag, key)| {
                Crypto {
                    tag,
                    suite: CryptoSuite::AesCm128HmacSha1_80,
                    key_params: vec![KeyParam::inline(&key)],
                    session_params: vec![],
                }
                .into()
            }),
            ("[a-zA-Z0-9+/]{1,32}", 1u16..3, any::<u32>(), any::<u16>()).prop_map(
                |(f, comp, prio, port)| Candidate::parse(&format!(
                    "{f} {comp} UDP {prio} 192.0.2.1 {port} typ host generation 0"
                ))
                .unwrap()
                .into()
            ),
            prop_oneof![
                Just(Direction::SendRecv),
                Just(Direction::SendOnly),
                Just(Direction::RecvOnly),
                Just(Direction::Inactive)
            ]
            .prop_map(|d| Attribute::flag(d.as_str())),
        ]
    }

    fn bandwidth() -> impl Strategy<Value = Bandwidth> {
        ("[A-Z]{2,4}", any::<u64>()).prop_map(|(kind, value)| Bandwidth { kind, value })
    }

    fn media() -> impl Strategy<Value = MediaDescription> {
        (
            prop_oneof![Just("audio"), Just("video"), Just("application")],
            any::<u16>(),
            proptest::option::of(1u16..4),
            prop_oneof![Just("RTP/AVP"), Just("RTP/SAVP"), Just("UDP/TLS/RTP/SAVPF")],
            proptest::collection::vec(0u8..=127, 1..6),
            proptest::option::of(text()),
            proptest::collection::vec(connection(), 1..3),
            proptest::collection::vec(bandwidth(), 0..2),
            proptest::collection::vec(attribute(), 0..8),
        )
            .prop_map(
                |(media, port, count, proto, fmts, info, conns, bws, attrs)| {
                    let mut m = MediaDescription::new(
                        media,
                        port,
                        proto,
                        fmts.iter().map(u8::to_string).collect(),
                    );
                    m.port_count = count;
                    m.info = info;
                    m.connections = conns;
                    m.bandwidths = bws;
                    m.attributes = attrs;
                    m
                },
            )
    }

    fn session() -> impl Strategy<Value = SessionDescription> {
        (
            (token(), "[0-9]{1,20}", any::<u64>(), connection()),
            proptest::option::of(text()),
            proptest::option::of(connection()),
            proptest::collection::vec((any::<u64>(), any::<u64>()), 1..3),
            proptest::collection::vec(attribute(), 0..6),
            proptest::collection::vec(media(), 0..4),
            text(),
        )
            .prop_map(
                |((user, id, version, oc), info, conn, times, attrs, media, name)| {
                    let mut sdp = SessionDescription::new(Origin {
                        username: user,
                        session_id: id,
                        session_version: version,
                        net_type: oc.net_type,
                        addr_type: oc.addr_type,
                        address: oc.address,
                    });
                    sdp.session_name = name;
                    sdp.info = info;
                    sdp.connection = conn;
                    sdp.timing = times
                        .into_iter()
                        .map(|(start, stop)| Timing {
                            start,
                            stop,
                            repeats: vec![],
                        })
                        .collect();
                    sdp.attributes = attrs;
                    sdp.media = media;
                    sdp
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn parse_of_write_is_identity(sdp in session()) {
            let text = sdp.to_string();
            prop_assert_eq!(SessionDescription::parse(&text).unwrap(), sdp);
        }

        #[test]
        fn arbitrary_text_never_panics(text in "(?s).{0,400}") {
            let _ = SessionDescription::parse(&text);
        }

        #[test]
        fn sdp_like_lines_never_panic(
            lines in proptest::collection::vec(
                "[vosicbtrzkam]=[ -~]{0,40}|a=(rtpmap|fmtp|ptime|crypto|candidate|rtcp):[ -~]{0,40}",
                0..30,
            ),
        ) {
            let text = format!("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n{}", lines.join("\r\n"));
            if let Ok(sdp) = SessionDescription::parse(&text) {
                // Whatever parses writes back to the same value.
                prop_assert_eq!(SessionDescription::parse(&sdp.to_string()).unwrap(), sdp);
            }
        }

        #[test]
        fn mutated_fixtures_never_panic(idx in 0usize..8, pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let mut bytes = ALL[idx].as_bytes().to_vec();
            let i = pos.index(bytes.len());
            bytes[i] = byte;
            if let Ok(sdp) = SessionDescription::parse_bytes(&bytes) {
                prop_assert_eq!(SessionDescription::parse(&sdp.to_string()).unwrap(), sdp);
            }
        }
    }
}
