//! A forking proxy returns 180s and then two 200s from different branches
//! (different To tags): the first 2xx makes the call; the second is ACKed
//! and hung up with BYE (RFC 3261 §13.2.2.4).
#![allow(
    clippy::disallowed_methods,
    reason = "tests take one base Instant; the rest is virtual time"
)]

use std::time::Instant;

use linkus_sip::message::typed::{self, NameAddr, Transport};
use linkus_sip::message::{HeaderName, Message, Method, Request, Response, StatusCode, Uri};
use linkus_sip::transaction::Peer;
use linkus_sip::ua::{Body, InviteConfig, SessionEvent, UaConfig, UaEvent, UaOutput, UserAgent};

fn proxy() -> Peer {
    Peer {
        addr: "192.0.2.10:5060".parse().unwrap(),
        transport: Transport::Udp,
    }
}

fn drain(ua: &mut UserAgent) -> (Vec<Request>, Vec<UaEvent>) {
    let (mut reqs, mut evs) = (Vec::new(), Vec::new());
    while let Some(o) = ua.poll_output() {
        match o {
            UaOutput::Transmit { bytes, .. } => {
                if let Ok(Message::Request(r)) = Message::parse(&bytes) {
                    reqs.push(r);
                }
            }
            UaOutput::Event(e) => evs.push(e),
        }
    }
    (reqs, evs)
}

fn reply(invite: &Request, status: u16, tag: &str, contact: &str) -> Vec<u8> {
    let mut r = Response::for_request(invite, StatusCode(status));
    r.set_to_tag(tag).unwrap();
    r.headers.push(HeaderName::Contact, contact).unwrap();
    r.headers
        .push(HeaderName::RecordRoute, "<sip:192.0.2.10;lr>")
        .unwrap();
    if status == 200 {
        r.set_body(
            &typed::MediaType::new("application", "sdp"),
            b"v=0 answer".to_vec(),
        )
        .unwrap();
    }
    r.to_bytes()
}

#[test]
fn second_2xx_from_another_fork_is_acked_and_hung_up() {
    let t0 = Instant::now();
    let mut ua = UserAgent::new(UaConfig::new(
        Transport::Udp,
        "10.0.0.5:5060".parse().unwrap(),
        3,
    ));
    let cfg = InviteConfig {
        target: Uri::parse("sip:bob@example.com").unwrap(),
        from: NameAddr::new(Uri::parse("sip:alice@example.com").unwrap()),
        peer: proxy(),
        route: Vec::new(),
        offer: Some(Body::sdp("v=0 offer")),
        extra_headers: Vec::new(),
        account: None,
        credentials: None,
    };
    let call = ua.invite(t0, cfg).unwrap();
    let (reqs, _) = drain(&mut ua);
    let invite = reqs.into_iter().next().unwrap();
    // Two phones ring, then both answer.
    ua.handle_datagram(
        t0,
        proxy(),
        &reply(&invite, 180, "phone-a", "<sip:bob@10.1.0.1>"),
    );
    ua.handle_datagram(
        t0,
        proxy(),
        &reply(&invite, 180, "phone-b", "<sip:bob@10.1.0.2>"),
    );
    ua.handle_datagram(
        t0,
        proxy(),
        &reply(&invite, 200, "phone-a", "<sip:bob@10.1.0.1>"),
    );
    let (reqs, events) = drain(&mut ua);
    let answered: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, UaEvent::Session { session, event: SessionEvent::Answered { .. } } if *session == call))
        .collect();
    assert_eq!(answered.len(), 1);
    let ack_a = reqs
        .iter()
        .find(|r| r.method == Method::Ack)
        .expect("ACK for the first 2xx");
    assert_eq!(
        ack_a.uri.to_string(),
        "sip:bob@10.1.0.1",
        "ACK goes to the remote target"
    );
    assert_eq!(
        ack_a.headers.get(HeaderName::Route),
        Some("<sip:192.0.2.10;lr>")
    );
    // The second phone's 200 arrives late.
    ua.handle_datagram(
        t0,
        proxy(),
        &reply(&invite, 200, "phone-b", "<sip:bob@10.1.0.2>"),
    );
    let (reqs, events) = drain(&mut ua);
    assert!(
        events.iter().all(|e| !matches!(
            e,
            UaEvent::Session {
                event: SessionEvent::Answered { .. },
                ..
            }
        )),
        "{events:?}"
    );
    let ack_b = reqs
        .iter()
        .find(|r| r.method == Method::Ack)
        .expect("the late 2xx is ACKed");
    let bye_b = reqs
        .iter()
        .find(|r| r.method == Method::Bye)
        .expect("and hung up");
    for r in [ack_b, bye_b] {
        assert_eq!(r.uri.to_string(), "sip:bob@10.1.0.2");
        let to: typed::To = r.headers.typed().unwrap().unwrap();
        assert_eq!(to.tag(), Some("phone-b"));
    }
    // The call with phone A is untouched: a re-sent 200 from A is ACKed again.
    ua.handle_datagram(
        t0,
        proxy(),
        &reply(&invite, 200, "phone-a", "<sip:bob@10.1.0.1>"),
    );
    let (reqs, _) = drain(&mut ua);
    assert_eq!(reqs.iter().filter(|r| r.method == Method::Ack).count(), 1);
    assert!(reqs.iter().all(|r| r.method != Method::Bye));
}
