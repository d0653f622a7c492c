//! Reliable provisional responses (RFC 3262): our INVITEs offer 100rel; as
//! UAC we PRACK each reliable 1xx once, in order, inside its early dialog;
//! as UAS we retransmit a reliable 1xx until its PRACK, hold the 2xx back
//! behind a reliable 1xx with SDP, answer unknown PRACKs with 481 and give
//! up after 64·T1.
#![allow(
    clippy::disallowed_methods,
    reason = "tests take one base Instant; the rest is virtual time"
)]

use std::time::{Duration, Instant};

use linkus_sip::message::typed::{self, NameAddr, Transport};
use linkus_sip::message::{HeaderName, Message, Method, Request, Response, StatusCode, Uri};
use linkus_sip::transaction::Peer;
use linkus_sip::ua::{
    Body, EndReason, InviteConfig, SessionEvent, SessionId, UaConfig, UaEvent, UaOutput, UserAgent,
};

const ALICE: &str = "10.0.0.5:5060";
const BOB: &str = "10.0.0.6:5060";

fn peer(addr: &str) -> Peer {
    Peer {
        addr: addr.parse().unwrap(),
        transport: Transport::Udp,
    }
}

fn ua(addr: &str, seed: u64) -> UserAgent {
    UserAgent::new(UaConfig::new(Transport::Udp, addr.parse().unwrap(), seed))
}

#[derive(Default)]
struct Drained {
    raw: Vec<Vec<u8>>,
    requests: Vec<Request>,
    responses: Vec<Response>,
    events: Vec<UaEvent>,
}

fn drain(ua: &mut UserAgent) -> Drained {
    let mut d = Drained::default();
    while let Some(o) = ua.poll_output() {
        match o {
            UaOutput::Transmit { bytes, .. } => {
                match Message::parse(&bytes) {
                    Ok(Message::Request(r)) => d.requests.push(r),
                    Ok(Message::Response(r)) => d.responses.push(r),
                    Err(e) => panic!("unparseable output: {e}"),
                }
                d.raw.push(bytes);
            }
            UaOutput::Event(e) => d.events.push(e),
        }
    }
    d
}

fn call_bob(alice: &mut UserAgent, t0: Instant) -> (SessionId, Request) {
    let cfg = InviteConfig {
        target: Uri::parse(&format!("sip:bob@{BOB}")).unwrap(),
        from: NameAddr::new(Uri::parse("sip:alice@example.com").unwrap()),
        peer: peer(BOB),
        route: Vec::new(),
        offer: Some(Body::sdp("v=0 offer")),
        extra_headers: Vec::new(),
        account: None,
        credentials: None,
    };
    let call = alice.invite(t0, cfg).unwrap();
    let d = drain(alice);
    (call, d.requests.into_iter().next().unwrap())
}

fn progress_events(events: &[UaEvent]) -> Vec<u16> {
    events
        .iter()
        .filter_map(|e| match e {
            UaEvent::Session {
                event: SessionEvent::Progress { status, .. },
                ..
            } => Some(*status),
            _ => None,
        })
        .collect()
}

fn reliable_1xx(invite: &Request, status: u16, rseq: u32) -> Vec<u8> {
    let mut r = Response::for_request(invite, StatusCode(status));
    r.set_to_tag("bob-tag").unwrap();
    r.headers
        .push(HeaderName::Contact, "<sip:bob@10.1.0.9:5070>")
        .unwrap();
    r.headers
        .push(HeaderName::RecordRoute, "<sip:192.0.2.10;lr>")
        .unwrap();
    r.headers.push(HeaderName::Require, "100rel").unwrap();
    r.headers.push_typed(&typed::RSeq(rseq)).unwrap();
    r.set_body(
        &typed::MediaType::new("application", "sdp"),
        b"v=0 early".to_vec(),
    )
    .unwrap();
    r.to_bytes()
}

fn lists(h: &linkus_sip::message::Headers, name: HeaderName, tag: &str) -> bool {
    h.get_all(name)
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == tag)
}

#[test]
fn uac_prack_once_per_rseq_in_order_inside_the_early_dialog() {
    let t0 = Instant::now();
    let mut alice = ua(ALICE, 1);
    let (call, invite) = call_bob(&mut alice, t0);
    assert!(lists(&invite.headers, HeaderName::Supported, "100rel"));
    assert!(lists(&invite.headers, HeaderName::Supported, "timer"));

    alice.handle_datagram(t0, peer(BOB), &reliable_1xx(&invite, 183, 5));
    let d = drain(&mut alice);
    assert_eq!(progress_events(&d.events), vec![183]);
    assert_eq!(d.requests.len(), 1);
    let prack = &d.requests[0];
    assert_eq!(prack.method, Method::Prack);
    assert_eq!(
        prack.uri.to_string(),
        "sip:bob@10.1.0.9:5070",
        "remote target"
    );
    assert_eq!(
        prack.headers.get(HeaderName::Route),
        Some("<sip:192.0.2.10;lr>")
    );
    let to: typed::To = prack.headers.typed().unwrap().unwrap();
    assert_eq!(to.tag(), Some("bob-tag"));
    assert_eq!(
        prack.headers.typed::<typed::RAck>().unwrap().unwrap(),
        typed::RAck {
            rseq: 5,
            cseq: 1,
            method: Method::Invite
        }
    );
    let cseq: typed::CSeq = prack.headers.typed().unwrap().unwrap();
    assert_eq!((cseq.seq, cseq.method.clone()), (2, Method::Prack));

    // A retransmission of RSeq 5: neither PRACKed again nor reported.
    alice.handle_datagram(t0, peer(BOB), &reliable_1xx(&invite, 183, 5));
    let d = drain(&mut alice);
    assert!(d.requests.is_empty() && d.events.is_empty());
    // RSeq 7 skips 6: out of order, dropped.
    alice.handle_datagram(t0, peer(BOB), &reliable_1xx(&invite, 180, 7));
    let d = drain(&mut alice);
    assert!(d.requests.is_empty() && d.events.is_empty());
    // RSeq 6 is next: PRACKed with the next CSeq.
    alice.handle_datagram(t0, peer(BOB), &reliable_1xx(&invite, 180, 6));
    let d = drain(&mut alice);
    assert_eq!(progress_events(&d.events), vec![180]);
    let prack = &d.requests[0];
    assert_eq!(
        prack.headers.typed::<typed::RAck>().unwrap().unwrap().rseq,
        6
    );
    assert_eq!(
        prack.headers.typed::<typed::CSeq>().unwrap().unwrap().seq,
        3
    );

    // The 2xx confirms the dialog; its later requests continue the CSeq space.
    let mut ok = Response::for_request(&invite, StatusCode(200));
    ok.set_to_tag("bob-tag").unwrap();
    ok.headers
        .push(HeaderName::Contact, "<sip:bob@10.1.0.9:5070>")
        .unwrap();
    ok.headers
        .push(HeaderName::RecordRoute, "<sip:192.0.2.10;lr>")
        .unwrap();
    alice.handle_datagram(t0, peer(BOB), &ok.to_bytes());
    let d = drain(&mut alice);
    let ack = d.requests.iter().find(|r| r.method == Method::Ack).unwrap();
    assert_eq!(ack.headers.typed::<typed::CSeq>().unwrap().unwrap().seq, 1);
    alice.hangup(t0, call).unwrap();
    let d = drain(&mut alice);
    let bye = d.requests.iter().find(|r| r.method == Method::Bye).unwrap();
    assert_eq!(bye.headers.typed::<typed::CSeq>().unwrap().unwrap().seq, 4);
}

#[test]
fn uac_does_not_prack_an_unreliable_1xx() {
    let t0 = Instant::now();
    let mut alice = ua(ALICE, 1);
    let (_, invite) = call_bob(&mut alice, t0);
    let mut r = Response::for_request(&invite, StatusCode(180));
    r.set_to_tag("bob-tag").unwrap();
    r.headers.push_typed(&typed::RSeq(1)).unwrap();
    alice.handle_datagram(t0, peer(BOB), &r.to_bytes());
    let d = drain(&mut alice);
    assert_eq!(progress_events(&d.events), vec![180]);
    assert!(d.requests.is_empty());
}

/// Bob receives Alice's INVITE; returns Bob's session.
fn incoming(alice: &mut UserAgent, bob: &mut UserAgent, t0: Instant) -> (SessionId, SessionId) {
    let (call, invite) = call_bob(alice, t0);
    bob.handle_datagram(t0, peer(ALICE), &invite.to_bytes());
    let d = drain(bob);
    let session = d
        .events
        .iter()
        .find_map(|e| match e {
            UaEvent::IncomingCall { session, .. } => Some(*session),
            _ => None,
        })
        .unwrap();
    (call, session)
}

#[test]
fn uas_retransmits_until_prack_and_holds_the_2xx_behind_sdp() {
    let t0 = Instant::now();
    let (mut alice, mut bob) = (ua(ALICE, 1), ua(BOB, 2));
    let (call, session) = incoming(&mut alice, &mut bob, t0);
    bob.progress_reliable(t0, session, 183, Some(Body::sdp("v=0 early")))
        .unwrap();
    let first = drain(&mut bob);
    let r183 = &first.responses[0];
    assert_eq!(r183.status, StatusCode(183));
    assert!(lists(&r183.headers, HeaderName::Require, "100rel"));
    let rseq = r183.headers.typed::<typed::RSeq>().unwrap().unwrap();
    assert!(rseq.0 >= 1 && rseq.0 < 1 << 31);
    // Answering now must not send the 2xx: the 183 with SDP is not PRACKed.
    bob.answer(t0, session, Some(Body::sdp("v=0 answer")))
        .unwrap();
    assert!(drain(&mut bob).responses.is_empty());
    // A second reliable provisional must wait too.
    assert!(bob.progress_reliable(t0, session, 180, None).is_err());
    // Retransmissions at T1, then 2·T1 later (the 183 is lost each time).
    let t1 = Duration::from_millis(500);
    let mut at = Vec::new();
    let mut now = t0;
    while let Some(next) = bob.poll_timeout() {
        if next > t0 + Duration::from_secs(4) {
            break;
        }
        now = next;
        bob.handle_timeout(now);
        for r in drain(&mut bob).responses {
            assert_eq!(r.status, StatusCode(183));
            assert_eq!(r.headers.typed::<typed::RSeq>().unwrap(), Some(rseq));
            at.push(now - t0);
        }
    }
    assert_eq!(at, vec![t1, 3 * t1, 7 * t1]);
    // Alice PRACKs the 183 and reports it once.
    alice.handle_datagram(now, peer(BOB), &first.raw[0]);
    let d = drain(&mut alice);
    assert_eq!(progress_events(&d.events), vec![183]);
    let prack = d.requests.into_iter().next().unwrap();
    assert_eq!(prack.method, Method::Prack);
    // A PRACK for an RSeq Bob never sent gets 481.
    let mut bogus = prack.clone();
    let mut rack: typed::RAck = bogus.headers.typed().unwrap().unwrap();
    rack.rseq += 9;
    bogus.headers.set_typed(&rack).unwrap();
    let mut via: typed::Via = bogus.headers.typed_first().unwrap().unwrap();
    via.params.set("branch", Some("z9hG4bK-bogus"));
    bogus.headers.set_typed(&via).unwrap();
    bob.handle_datagram(now, peer(ALICE), &bogus.to_bytes());
    let d = drain(&mut bob);
    assert_eq!(d.responses.len(), 1);
    assert_eq!(d.responses[0].status, StatusCode(481));
    // The real PRACK: 200 to it, and the held-back 200 to the INVITE.
    bob.handle_datagram(now, peer(ALICE), &prack.to_bytes());
    let d = drain(&mut bob);
    let statuses: Vec<(u16, Method)> = d
        .responses
        .iter()
        .map(|r| {
            let c: typed::CSeq = r.headers.typed().unwrap().unwrap();
            (r.status.0, c.method)
        })
        .collect();
    assert_eq!(
        statuses,
        vec![(200, Method::Prack), (200, Method::Invite)],
        "{statuses:?}"
    );
    for bytes in &d.raw {
        alice.handle_datagram(now, peer(BOB), bytes);
    }
    let d = drain(&mut alice);
    assert!(d.events.iter().any(|e| matches!(e, UaEvent::Session { session, event: SessionEvent::Answered { .. } } if *session == call)));
    let ack = d.requests.iter().find(|r| r.method == Method::Ack).unwrap();
    bob.handle_datagram(now, peer(ALICE), &ack.to_bytes());
    let d = drain(&mut bob);
    assert!(d.events.iter().any(|e| matches!(
        e,
        UaEvent::Session {
            event: SessionEvent::Confirmed { .. },
            ..
        }
    )));
    // No 183 retransmission after the PRACK.
    bob.handle_timeout(now + Duration::from_secs(40));
    assert!(
        drain(&mut bob)
            .responses
            .iter()
            .all(|r| r.status != StatusCode(183))
    );
}

#[test]
fn uas_without_prack_gives_up_after_64_t1_with_504() {
    let t0 = Instant::now();
    let (mut alice, mut bob) = (ua(ALICE, 1), ua(BOB, 2));
    let (_, session) = incoming(&mut alice, &mut bob, t0);
    bob.progress_reliable(t0, session, 180, None).unwrap();
    drain(&mut bob);
    let mut sent = Vec::new();
    let mut ended = None;
    while let Some(next) = bob.poll_timeout() {
        if next > t0 + Duration::from_secs(60) {
            break;
        }
        bob.handle_timeout(next);
        let d = drain(&mut bob);
        sent.extend(d.responses.iter().map(|r| (next - t0, r.status.0)));
        for e in d.events {
            if let UaEvent::Session {
                event: SessionEvent::Ended { reason },
                ..
            } = e
            {
                ended = Some((next - t0, reason));
            }
        }
    }
    // Up to the 504 (which its transaction then retransmits until the ACK).
    let secs: Vec<(f64, u16)> = sent
        .iter()
        .filter(|(d, _)| *d <= Duration::from_secs(32))
        .map(|(d, s)| (d.as_secs_f64(), *s))
        .collect();
    assert_eq!(
        secs,
        vec![
            (0.5, 180),
            (1.5, 180),
            (3.5, 180),
            (7.5, 180),
            (15.5, 180),
            (31.5, 180),
            (32.0, 504)
        ]
    );
    assert_eq!(ended, Some((Duration::from_secs(32), EndReason::NoPrack)));
}

#[test]
fn reliable_only_when_the_caller_supports_100rel() {
    let t0 = Instant::now();
    let mut bob = ua(BOB, 2);
    let mut alice = ua(ALICE, 1);
    let (_, mut invite) = call_bob(&mut alice, t0);
    invite
        .headers
        .set(HeaderName::Supported, "replaces")
        .unwrap();
    bob.handle_datagram(t0, peer(ALICE), &invite.to_bytes());
    let session = drain(&mut bob)
        .events
        .iter()
        .find_map(|e| match e {
            UaEvent::IncomingCall { session, .. } => Some(*session),
            _ => None,
        })
        .unwrap();
    assert!(bob.progress_reliable(t0, session, 180, None).is_err());
    bob.progress(t0, session, 180, None).unwrap();
    let r = drain(&mut bob).responses.remove(0);
    assert!(r.headers.get(HeaderName::RSeq).is_none());

    // With Require: 100rel, plain progress() is reliable.
    let (_, mut invite) = call_bob(&mut alice, t0);
    invite.headers.set(HeaderName::Require, "100rel").unwrap();
    bob.handle_datagram(t0, peer(ALICE), &invite.to_bytes());
    let session = drain(&mut bob)
        .events
        .iter()
        .find_map(|e| match e {
            UaEvent::IncomingCall { session, .. } => Some(*session),
            _ => None,
        })
        .unwrap();
    bob.progress(t0, session, 180, None).unwrap();
    let r = drain(&mut bob).responses.remove(0);
    assert!(r.headers.get(HeaderName::RSeq).is_some());
}
