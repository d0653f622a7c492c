//! Session timers (RFC 4028) between two user agents on virtual time: the
//! negotiated refresher refreshes at half the interval (UPDATE when the
//! peer allows it, else a re-INVITE with the last SDP), the other side
//! answers without bothering the application, a missing refresh ends the
//! call with BYE at expiry − min(32 s, interval/3), and a too-small
//! interval is answered 422 and retried with the Min-SE.
#![allow(
    clippy::disallowed_methods,
    reason = "tests take one base Instant; the rest is virtual time"
)]

use std::time::{Duration, Instant};

use linkus_sip::message::typed::{self, NameAddr, Transport};
use linkus_sip::message::{HeaderName, Message, Method, Request, Response, StatusCode, Uri};
use linkus_sip::transaction::Peer;
use linkus_sip::ua::{
    Body, EndReason, InviteConfig, SessionEvent, SessionId, SessionTimerConfig, UaConfig, UaEvent,
    UaOutput, UserAgent,
};

const ALICE: &str = "10.0.0.5:5060";
const BOB: &str = "10.0.0.6:5060";

fn peer(addr: &str) -> Peer {
    Peer {
        addr: addr.parse().unwrap(),
        transport: Transport::Udp,
    }
}

fn ua(addr: &str, seed: u64, timer: SessionTimerConfig) -> UserAgent {
    let mut cfg = UaConfig::new(Transport::Udp, addr.parse().unwrap(), seed);
    cfg.session_timer = Some(timer);
    UserAgent::new(cfg)
}

fn timers(interval: u32, min_se: u32) -> SessionTimerConfig {
    SessionTimerConfig { interval, min_se }
}

/// What went over the wire, with its virtual time and sender.
#[derive(Debug, Clone)]
struct Sent {
    at: Duration,
    by_alice: bool,
    msg: Message,
}

/// Decides whether a message (sent by Alice when the flag is true) is lost.
type DropFn = Box<dyn FnMut(bool, &Message) -> bool>;

/// Alice and Bob connected by a perfect, instant network. `drop` decides
/// which of the messages get lost.
struct Pair {
    t0: Instant,
    now: Instant,
    alice: UserAgent,
    bob: UserAgent,
    wire: Vec<Sent>,
    alice_events: Vec<(Duration, UaEvent)>,
    bob_events: Vec<(Duration, UaEvent)>,
    drop: DropFn,
    /// Bob answers incoming calls at once.
    bob_answers: bool,
}

impl Pair {
    fn new(alice: UserAgent, bob: UserAgent) -> Pair {
        let t0 = Instant::now();
        Pair {
            t0,
            now: t0,
            alice,
            bob,
            wire: Vec::new(),
            alice_events: Vec::new(),
            bob_events: Vec::new(),
            drop: Box::new(|_, _| false),
            bob_answers: true,
        }
    }

    fn call(&mut self) -> SessionId {
        let cfg = InviteConfig {
            target: Uri::parse(&format!("sip:bob@{BOB}")).unwrap(),
            from: NameAddr::new(Uri::parse(&format!("sip:alice@{ALICE}")).unwrap()),
            peer: peer(BOB),
            route: Vec::new(),
            offer: Some(Body::sdp("v=0 offer")),
            extra_headers: Vec::new(),
            account: None,
            credentials: None,
        };
        let id = self.alice.invite(self.now, cfg).unwrap();
        self.exchange();
        id
    }

    /// Moves messages between the two until both are quiet.
    fn exchange(&mut self) {
        loop {
            let mut moved = false;
            for from_alice in [true, false] {
                let (src, dst) = if from_alice {
                    (&mut self.alice, &mut self.bob)
                } else {
                    (&mut self.bob, &mut self.alice)
                };
                let mut incoming = Vec::new();
                let mut datagrams = Vec::new();
                while let Some(o) = src.poll_output() {
                    match o {
                        UaOutput::Transmit { bytes, .. } => datagrams.push(bytes),
                        UaOutput::Event(e) => {
                            if let UaEvent::IncomingCall { session, .. } = &e {
                                incoming.push(*session);
                            }
                            let at = self.now - self.t0;
                            if from_alice {
                                self.alice_events.push((at, e));
                            } else {
                                self.bob_events.push((at, e));
                            }
                        }
                    }
                }
                for bytes in datagrams {
                    moved = true;
                    let msg = Message::parse(&bytes).unwrap();
                    self.wire.push(Sent {
                        at: self.now - self.t0,
                        by_alice: from_alice,
                        msg: msg.clone(),
                    });
                    if !(self.drop)(from_alice, &msg) {
                        let from = if from_alice { peer(ALICE) } else { peer(BOB) };
                        dst.handle_datagram(self.now, from, &bytes);
                    }
                }
                if !from_alice && self.bob_answers {
                    for s in incoming {
                        moved = true;
                        self.bob.progress(self.now, s, 180, None).unwrap();
                        self.bob
                            .answer(self.now, s, Some(Body::sdp("v=0 answer")))
                            .unwrap();
                    }
                }
            }
            if !moved {
                return;
            }
        }
    }

    fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        loop {
            let next = [self.alice.poll_timeout(), self.bob.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= until => {
                    self.now = t.max(self.now);
                    self.alice.handle_timeout(self.now);
                    self.bob.handle_timeout(self.now);
                    self.exchange();
                }
                _ => break,
            }
        }
        self.now = until;
    }

    fn requests(&self, by_alice: bool, method: Method) -> Vec<(Duration, Request)> {
        self.wire
            .iter()
            .filter(|s| s.by_alice == by_alice)
            .filter_map(|s| match &s.msg {
                Message::Request(r) if r.method == method => Some((s.at, r.clone())),
                _ => None,
            })
            .collect()
    }

    fn responses(&self, by_alice: bool, method: Method) -> Vec<Response> {
        self.wire
            .iter()
            .filter(|s| s.by_alice == by_alice)
            .filter_map(|s| match &s.msg {
                Message::Response(r)
                    if r.headers.typed::<typed::CSeq>().unwrap().unwrap().method == method =>
                {
                    Some(r.clone())
                }
                _ => None,
            })
            .collect()
    }
}

fn ended(events: &[(Duration, UaEvent)]) -> Option<(Duration, EndReason)> {
    events.iter().find_map(|(at, e)| match e {
        UaEvent::Session {
            event: SessionEvent::Ended { reason },
            ..
        } => Some((*at, reason.clone())),
        _ => None,
    })
}

fn offer_events(events: &[(Duration, UaEvent)]) -> usize {
    events
        .iter()
        .filter(|(_, e)| {
            matches!(
                e,
                UaEvent::Session {
                    event: SessionEvent::Offer { .. }
                        | SessionEvent::OfferAnswered { .. }
                        | SessionEvent::OfferRejected { .. },
                    ..
                }
            )
        })
        .count()
}

fn se(h: &linkus_sip::message::Headers) -> Option<String> {
    h.get(HeaderName::SessionExpires).map(str::to_owned)
}

#[test]
fn uac_refreshes_with_update_at_half_the_interval_silently() {
    let mut p = Pair::new(ua(ALICE, 1, timers(90, 90)), ua(BOB, 2, timers(1800, 90)));
    p.call();
    let invite = &p.requests(true, Method::Invite)[0].1;
    assert_eq!(se(&invite.headers).as_deref(), Some("90"));
    assert_eq!(invite.headers.get(HeaderName::MinSe), Some("90"));
    let ok = p
        .responses(false, Method::Invite)
        .into_iter()
        .find(|r| r.status == StatusCode(200))
        .unwrap();
    assert_eq!(se(&ok.headers).as_deref(), Some("90;refresher=uac"));
    assert_eq!(ok.headers.get(HeaderName::Require), Some("timer"));

    p.run_for(Duration::from_secs(600));
    let updates = p.requests(true, Method::Update);
    let times: Vec<u64> = updates.iter().map(|(at, _)| at.as_secs()).collect();
    assert_eq!(times, (1..=13).map(|k| 45 * k).collect::<Vec<u64>>());
    for (_, u) in &updates {
        assert_eq!(se(&u.headers).as_deref(), Some("90;refresher=uac"));
        assert!(u.body.is_empty(), "UPDATE refreshes carry no body");
    }
    assert!(
        p.requests(false, Method::Update).is_empty(),
        "bob never refreshes"
    );
    let oks = p.responses(false, Method::Update);
    assert_eq!(oks.len(), 13);
    assert!(
        oks.iter()
            .all(|r| se(&r.headers).as_deref() == Some("90;refresher=uac"))
    );
    assert_eq!(
        offer_events(&p.alice_events) + offer_events(&p.bob_events),
        0
    );
    assert_eq!(ended(&p.alice_events), None);
    assert_eq!(ended(&p.bob_events), None);
}

#[test]
fn non_refresher_sends_bye_when_refreshes_stop() {
    let mut p = Pair::new(ua(ALICE, 1, timers(90, 90)), ua(BOB, 2, timers(1800, 90)));
    let call = p.call();
    p.run_for(Duration::from_secs(100));
    assert_eq!(p.requests(true, Method::Update).len(), 2); // 45 s and 90 s
    // From now on Alice's refreshes are lost.
    p.drop = Box::new(|by_alice, m| {
        by_alice && matches!(m, Message::Request(r) if r.method == Method::Update)
    });
    p.run_for(Duration::from_secs(100));
    // Last refresh at 90 s: Bob gives up at 90 + 90 − min(32, 30) = 150 s.
    let byes = p.requests(false, Method::Bye);
    assert_eq!(
        byes.first().map(|(at, _)| *at),
        Some(Duration::from_secs(150))
    );
    assert_eq!(
        ended(&p.bob_events),
        Some((Duration::from_secs(150), EndReason::SessionExpired))
    );
    // Alice, whose refresh went unanswered, gives up at the same moment.
    assert!(matches!(
        ended(&p.alice_events),
        Some((at, EndReason::RemoteBye | EndReason::SessionExpired)) if at == Duration::from_secs(150)
    ));
    let _ = call;
}

#[test]
fn refresher_without_answers_ends_the_session_itself() {
    let mut p = Pair::new(ua(ALICE, 1, timers(90, 90)), ua(BOB, 2, timers(1800, 90)));
    p.call();
    // Bob's answers to refreshes are lost (and Bob's own BYE too).
    p.drop = Box::new(|by_alice, m| {
        !by_alice
            && match m {
                Message::Response(r) => {
                    r.headers.typed::<typed::CSeq>().unwrap().unwrap().method == Method::Update
                }
                Message::Request(r) => r.method == Method::Bye,
            }
    });
    p.run_for(Duration::from_secs(100));
    // Alice's refresh at 45 s got no answer: her UPDATE transaction or the
    // session expiry at 60 s ends the call; Bob, who saw the refresh, goes on
    // until his own expiry.
    let (at, reason) = ended(&p.alice_events).expect("alice ended");
    assert_eq!(
        (at, reason),
        (Duration::from_secs(60), EndReason::SessionExpired)
    );
    assert_eq!(p.requests(true, Method::Bye)[0].0, Duration::from_secs(60));
}

#[test]
fn reinvite_with_the_last_sdp_when_the_peer_does_not_allow_update() {
    let t0 = Instant::now();
    let mut alice = ua(ALICE, 1, timers(90, 90));
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
    alice.invite(t0, cfg).unwrap();
    let invite = take_requests(&mut alice).remove(0);
    let mut ok = Response::for_request(&invite, StatusCode(200));
    ok.set_to_tag("bob").unwrap();
    ok.headers
        .push(HeaderName::Contact, &format!("<sip:bob@{BOB}>"))
        .unwrap();
    ok.headers
        .push(HeaderName::Allow, "INVITE, ACK, BYE, CANCEL")
        .unwrap();
    ok.headers
        .push(HeaderName::SessionExpires, "90;refresher=uac")
        .unwrap();
    ok.set_body(
        &typed::MediaType::new("application", "sdp"),
        b"v=0 answer".to_vec(),
    )
    .unwrap();
    alice.handle_datagram(t0, peer(BOB), &ok.to_bytes());
    assert_eq!(take_requests(&mut alice)[0].method, Method::Ack);
    let mut at = t0;
    while at < t0 + Duration::from_secs(45) {
        at = alice.poll_timeout().unwrap();
        alice.handle_timeout(at);
    }
    assert_eq!(at, t0 + Duration::from_secs(45));
    let reinvite = take_requests(&mut alice).remove(0);
    assert_eq!(reinvite.method, Method::Invite);
    assert_eq!(reinvite.body, b"v=0 offer", "the last SDP we sent");
    assert_eq!(se(&reinvite.headers).as_deref(), Some("90;refresher=uac"));
    let mut ok2 = Response::for_request(&reinvite, StatusCode(200));
    ok2.headers
        .push(HeaderName::SessionExpires, "90;refresher=uac")
        .unwrap();
    ok2.set_body(
        &typed::MediaType::new("application", "sdp"),
        b"v=0 answer".to_vec(),
    )
    .unwrap();
    let t = t0 + Duration::from_secs(45);
    alice.handle_datagram(t, peer(BOB), &ok2.to_bytes());
    let after = drain_all(&mut alice);
    assert!(after.0.iter().any(|r| r.method == Method::Ack));
    assert!(after.1.is_empty(), "no application event: {:?}", after.1);
    // The next refresh is half an interval after this one.
    let mut next = None;
    while let Some(at) = alice.poll_timeout() {
        alice.handle_timeout(at);
        if let Some(r) = take_requests(&mut alice).into_iter().next() {
            next = Some((at, r.method));
            break;
        }
    }
    assert_eq!(next, Some((t + Duration::from_secs(45), Method::Invite)));
}

fn drain_all(ua: &mut UserAgent) -> (Vec<Request>, Vec<UaEvent>) {
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

fn take_requests(ua: &mut UserAgent) -> Vec<Request> {
    drain_all(ua).0
}

#[test]
fn interval_below_min_se_gets_422_and_the_uac_retries_with_min_se() {
    let mut p = Pair::new(ua(ALICE, 1, timers(60, 60)), ua(BOB, 2, timers(1800, 90)));
    p.call();
    let invites = p.requests(true, Method::Invite);
    assert_eq!(invites.len(), 2, "{:?}", p.wire);
    assert_eq!(se(&invites[0].1.headers).as_deref(), Some("60"));
    let r422 = p
        .responses(false, Method::Invite)
        .into_iter()
        .find(|r| r.status == StatusCode(422))
        .expect("422");
    assert_eq!(r422.headers.get(HeaderName::MinSe), Some("90"));
    let retry = &invites[1].1;
    assert_eq!(se(&retry.headers).as_deref(), Some("90"));
    assert_eq!(retry.headers.get(HeaderName::MinSe), Some("90"));
    assert_eq!(
        retry.headers.typed::<typed::CSeq>().unwrap().unwrap().seq,
        2
    );
    assert!(p.alice_events.iter().any(|(_, e)| matches!(
        e,
        UaEvent::Session {
            event: SessionEvent::Answered { .. },
            ..
        }
    )));
    p.run_for(Duration::from_secs(50));
    assert_eq!(p.requests(true, Method::Update).len(), 1, "refresh at 45 s");
}

/// Alice calls Bob asking him to refresh (`refresher=uas`); with
/// `allow_update` false her INVITE's Allow lists no UPDATE.
fn callee_refresher(allow_update: bool) -> Pair {
    let mut p = Pair::new(ua(ALICE, 1, timers(120, 90)), ua(BOB, 2, timers(1800, 90)));
    let alice_cfg = InviteConfig {
        target: Uri::parse(&format!("sip:bob@{BOB}")).unwrap(),
        from: NameAddr::new(Uri::parse(&format!("sip:alice@{ALICE}")).unwrap()),
        peer: peer(BOB),
        route: Vec::new(),
        offer: Some(Body::sdp("v=0 offer")),
        extra_headers: Vec::new(),
        account: None,
        credentials: None,
    };
    let now = p.now;
    p.alice.invite(now, alice_cfg).unwrap();
    let mut invite = None;
    while let Some(o) = p.alice.poll_output() {
        if let UaOutput::Transmit { bytes, .. } = o {
            let Message::Request(mut r) = Message::parse(&bytes).unwrap() else {
                panic!()
            };
            r.headers
                .set(HeaderName::SessionExpires, "120;refresher=uas")
                .unwrap();
            if !allow_update {
                r.headers
                    .set(HeaderName::Allow, "INVITE, ACK, BYE, CANCEL")
                    .unwrap();
            }
            invite.get_or_insert(r);
        }
    }
    p.bob
        .handle_datagram(now, peer(ALICE), &invite.unwrap().to_bytes());
    p.exchange();
    let ok = p
        .responses(false, Method::Invite)
        .into_iter()
        .find(|r| r.status == StatusCode(200))
        .unwrap();
    assert_eq!(se(&ok.headers).as_deref(), Some("120;refresher=uas"));
    p
}

#[test]
fn the_callee_refreshes_when_the_caller_asks_it_to() {
    let mut p = callee_refresher(true);
    p.run_for(Duration::from_secs(200));
    let times: Vec<u64> = p
        .requests(false, Method::Update)
        .iter()
        .map(|(at, _)| at.as_secs())
        .collect();
    assert_eq!(times, vec![60, 120, 180]);
    assert!(p.requests(true, Method::Update).is_empty());
    assert_eq!(ended(&p.alice_events), None);
    assert_eq!(ended(&p.bob_events), None);
}

#[test]
fn a_reinvite_repeating_the_last_sdp_is_answered_by_the_core() {
    let mut p = callee_refresher(false);
    p.run_for(Duration::from_secs(200));
    let reinvites: Vec<(u64, Request)> = p
        .requests(false, Method::Invite)
        .into_iter()
        .map(|(at, r)| (at.as_secs(), r))
        .collect();
    assert_eq!(
        reinvites.iter().map(|(at, _)| *at).collect::<Vec<_>>(),
        vec![60, 120, 180]
    );
    for (_, r) in &reinvites {
        assert_eq!(r.body, b"v=0 answer", "Bob's last SDP");
    }
    // Alice answered each with her last SDP, and Bob ACKed.
    let oks: Vec<Response> = p
        .responses(true, Method::Invite)
        .into_iter()
        .filter(|r| r.status == StatusCode(200))
        .collect();
    assert_eq!(oks.len(), 3);
    assert!(oks.iter().all(|r| r.body == b"v=0 offer"));
    assert!(
        oks.iter()
            .all(|r| se(&r.headers).as_deref() == Some("120;refresher=uac"))
    );
    assert_eq!(p.requests(false, Method::Ack).len(), 3);
    assert_eq!(
        offer_events(&p.alice_events) + offer_events(&p.bob_events),
        0
    );
    assert_eq!(ended(&p.alice_events), None);
    assert_eq!(ended(&p.bob_events), None);
}
