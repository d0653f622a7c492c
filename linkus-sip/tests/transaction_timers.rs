//! Transaction layer scenarios on virtual time: retransmission schedules,
//! timeouts, the non-2xx ACK, absorption of retransmissions, merged requests.
#![allow(
    clippy::disallowed_methods,
    reason = "tests take one base Instant; the rest is virtual time"
)]

use std::time::{Duration, Instant};

use linkus_sip::message::{HeaderName, Message, Request, Response, StatusCode, typed};
use linkus_sip::transaction::{Output, Peer, TimerConfig, TransactionLayer, TxEvent};

const ALICE: &str = "192.0.2.1:5060";
const BOB: &str = "192.0.2.4:5060";

fn peer(addr: &str, transport: typed::Transport) -> Peer {
    Peer {
        addr: addr.parse().unwrap(),
        transport,
    }
}

fn udp(addr: &str) -> Peer {
    peer(addr, typed::Transport::Udp)
}

fn request(method: &str, branch: &str, to_tag: Option<&str>) -> Request {
    let to = match to_tag {
        Some(t) => format!("<sip:bob@192.0.2.4>;tag={t}"),
        None => "<sip:bob@192.0.2.4>".to_owned(),
    };
    let raw = format!(
        "{method} sip:bob@192.0.2.4 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch={branch}\r\n\
         Max-Forwards: 70\r\nTo: {to}\r\nFrom: <sip:alice@192.0.2.1>;tag=a1\r\n\
         Call-ID: call-1\r\nCSeq: 7 {method}\r\nContent-Length: 0\r\n\r\n"
    );
    match Message::parse(raw.as_bytes()).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!(),
    }
}

fn drain(layer: &mut TransactionLayer) -> Vec<Output> {
    std::iter::from_fn(|| layer.poll_output()).collect()
}

/// Runs timers until none is left, recording the offset of every transmit.
fn run_timers(layer: &mut TransactionLayer, t0: Instant) -> (Vec<f64>, Vec<TxEvent>) {
    let mut sends = Vec::new();
    let mut events = Vec::new();
    let mut record = |outs: Vec<Output>, now: Instant| {
        for o in outs {
            match o {
                Output::Transmit { .. } => sends.push((now - t0).as_secs_f64()),
                Output::Event(e) => events.push(e),
            }
        }
    };
    record(drain(layer), t0);
    while let Some(at) = layer.poll_timeout() {
        layer.handle_timeout(at);
        record(drain(layer), at);
    }
    (sends, events)
}

#[test]
fn non_invite_client_timer_e_backs_off_to_t2_and_timer_f_ends_it() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let id = l
        .send_request(t0, request("OPTIONS", "z9hG4bKe1", None), udp(BOB))
        .unwrap();
    let (sends, events) = run_timers(&mut l, t0);
    assert_eq!(
        sends,
        [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    );
    assert_eq!(
        events,
        [TxEvent::Timeout { id }, TxEvent::Terminated { id }]
    );
    assert!(l.is_empty());
}

#[test]
fn invite_client_timer_a_doubles_and_timer_b_fires_at_64_t1() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let id = l
        .send_request(t0, request("INVITE", "z9hG4bKa1", None), udp(BOB))
        .unwrap();
    let (sends, events) = run_timers(&mut l, t0);
    assert_eq!(sends, [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]);
    assert_eq!(
        events,
        [TxEvent::Timeout { id }, TxEvent::Terminated { id }]
    );
}

#[test]
fn reliable_transport_never_retransmits() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    l.send_request(
        t0,
        request("INVITE", "z9hG4bKr1", None),
        peer(BOB, typed::Transport::Tcp),
    )
    .unwrap();
    let (sends, _) = run_timers(&mut l, t0);
    assert_eq!(sends, [0.0]);
}

#[test]
fn invite_client_acks_a_486_and_re_acks_its_retransmission() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let invite = request("INVITE", "z9hG4bKb1", None);
    let id = l.send_request(t0, invite.clone(), udp(BOB)).unwrap();
    drain(&mut l);
    let mut busy = Response::for_request(&invite, StatusCode(486));
    busy.set_to_tag("b9").unwrap();
    l.handle_message(
        t0 + Duration::from_millis(100),
        Message::Response(busy.clone()),
        udp(BOB),
    );
    let out = drain(&mut l);
    let Output::Transmit { bytes, .. } = &out[0] else {
        panic!("expected the ACK first: {out:?}")
    };
    let Message::Request(ack) = Message::parse(bytes).unwrap() else {
        panic!()
    };
    assert_eq!(ack.method, linkus_sip::message::Method::Ack);
    assert_eq!(ack.uri, invite.uri);
    let to: typed::To = ack.headers.typed().unwrap().unwrap();
    assert_eq!(to.tag(), Some("b9"));
    let cseq: typed::CSeq = ack.headers.typed().unwrap().unwrap();
    assert_eq!(cseq.seq, 7);
    assert_eq!(
        ack.headers.get(HeaderName::Via),
        invite.headers.get(HeaderName::Via)
    );
    assert!(
        matches!(&out[1], Output::Event(TxEvent::Response { response, .. }) if response.status.0 == 486)
    );
    // The 486 again: the same ACK again, not a second event.
    l.handle_message(
        t0 + Duration::from_millis(600),
        Message::Response(busy),
        udp(BOB),
    );
    let out = drain(&mut l);
    assert_eq!(out.len(), 1);
    assert!(matches!(&out[0], Output::Transmit { bytes: b, .. } if b == bytes));
    // Timer D (32 s) ends it.
    let (_, events) = run_timers(&mut l, t0);
    assert_eq!(events, [TxEvent::Terminated { id }]);
}

#[test]
fn invite_server_lost_ack_retransmits_with_timer_g_until_timer_h() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let invite = request("INVITE", "z9hG4bKg1", None);
    l.handle_message(t0, Message::Request(invite.clone()), udp(ALICE));
    let out = drain(&mut l);
    // 100 Trying at once, then the request for the TU.
    assert!(
        matches!(&out[0], Output::Transmit { bytes, .. } if bytes.starts_with(b"SIP/2.0 100 Trying"))
    );
    let Output::Event(TxEvent::Request { id, .. }) = &out[1] else {
        panic!("{out:?}")
    };
    let id = *id;
    let mut resp = Response::for_request(&invite, StatusCode(486));
    resp.set_to_tag("b1").unwrap();
    l.send_response(t0, id, resp).unwrap();
    let (sends, events) = run_timers(&mut l, t0);
    assert_eq!(
        sends,
        [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    );
    assert_eq!(
        events,
        [TxEvent::Timeout { id }, TxEvent::Terminated { id }]
    );
}

#[test]
fn invite_server_ack_confirms_and_timer_i_ends_quietly() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let invite = request("INVITE", "z9hG4bKi1", None);
    l.handle_message(t0, Message::Request(invite.clone()), udp(ALICE));
    let Some(Output::Event(TxEvent::Request { id, .. })) = drain(&mut l).pop() else {
        panic!()
    };
    l.send_response(t0, id, Response::for_request(&invite, StatusCode(603)))
        .unwrap();
    drain(&mut l);
    let ack = request("ACK", "z9hG4bKi1", Some("x"));
    l.handle_message(
        t0 + Duration::from_millis(50),
        Message::Request(ack.clone()),
        udp(ALICE),
    );
    assert!(drain(&mut l).is_empty(), "the ACK is absorbed");
    // A retransmitted ACK is absorbed too; no G retransmission happens any more.
    l.handle_message(
        t0 + Duration::from_millis(70),
        Message::Request(ack),
        udp(ALICE),
    );
    let (sends, events) = run_timers(&mut l, t0 + Duration::from_millis(70));
    assert!(sends.is_empty());
    assert_eq!(events, [TxEvent::Terminated { id }]);
    assert_eq!(l.poll_timeout(), None);
}

#[test]
fn non_invite_server_answers_retransmissions_from_its_last_response() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let opt = request("OPTIONS", "z9hG4bKo1", None);
    l.handle_message(t0, Message::Request(opt.clone()), udp(ALICE));
    let Some(Output::Event(TxEvent::Request { id, .. })) = drain(&mut l).pop() else {
        panic!()
    };
    // Retransmission before any response: absorbed (Trying).
    l.handle_message(
        t0 + Duration::from_millis(500),
        Message::Request(opt.clone()),
        udp(ALICE),
    );
    assert!(drain(&mut l).is_empty());
    l.send_response(
        t0 + Duration::from_millis(600),
        id,
        Response::for_request(&opt, StatusCode(200)),
    )
    .unwrap();
    let first = drain(&mut l);
    l.handle_message(
        t0 + Duration::from_millis(1500),
        Message::Request(opt),
        udp(ALICE),
    );
    assert_eq!(drain(&mut l), first, "the same 200 again");
    let (_, events) = run_timers(&mut l, t0 + Duration::from_millis(1500));
    assert_eq!(events, [TxEvent::Terminated { id }]);
}

#[test]
fn merged_request_gets_482() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    l.handle_message(
        t0,
        Message::Request(request("INVITE", "z9hG4bKm1", None)),
        udp(ALICE),
    );
    drain(&mut l);
    // Same From tag, Call-ID and CSeq, no To tag, another branch: forked back to us.
    l.handle_message(
        t0,
        Message::Request(request("INVITE", "z9hG4bKm2", None)),
        udp(ALICE),
    );
    let out = drain(&mut l);
    assert_eq!(out.len(), 1);
    assert!(
        matches!(&out[0], Output::Transmit { bytes, .. } if bytes.starts_with(b"SIP/2.0 482 "))
    );
}

#[test]
fn cancel_finds_its_invite_and_2xx_ack_is_left_to_the_dialog() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let invite = request("INVITE", "z9hG4bKc1", None);
    l.handle_message(t0, Message::Request(invite.clone()), udp(ALICE));
    let Some(Output::Event(TxEvent::Request { id, .. })) = drain(&mut l).pop() else {
        panic!()
    };
    let cancel = request("CANCEL", "z9hG4bKc1", None);
    assert_eq!(l.invite_for_cancel(&cancel), Some(id));
    let mut ok = Response::for_request(&invite, StatusCode(200));
    ok.set_to_tag("t2").unwrap();
    l.send_response(t0, id, ok).unwrap();
    drain(&mut l);
    // The ACK for a 2xx has its own branch: the dialog gets it.
    l.handle_message(
        t0,
        Message::Request(request("ACK", "z9hG4bKother", Some("t2"))),
        udp(ALICE),
    );
    assert!(matches!(
        drain(&mut l).as_slice(),
        [Output::Event(TxEvent::Stray { .. })]
    ));
}

#[test]
fn client_and_server_complete_over_a_link_that_drops_the_first_two_requests() {
    let t0 = Instant::now();
    let mut alice = TransactionLayer::new(TimerConfig::default());
    let mut bob = TransactionLayer::new(TimerConfig::default());
    let id = alice
        .send_request(t0, request("OPTIONS", "z9hG4bKl1", None), udp(BOB))
        .unwrap();
    let mut dropped = 0;
    let mut now = t0;
    let mut got = None;
    for _ in 0..100 {
        // Deliver everything in flight at `now` until both sides are quiet.
        let mut busy = true;
        while busy {
            busy = false;
            while let Some(o) = alice.poll_output() {
                busy = true;
                match o {
                    Output::Transmit { .. } if dropped < 2 => dropped += 1,
                    Output::Transmit { bytes, .. } => {
                        bob.handle_message(now, Message::parse(&bytes).unwrap(), udp(ALICE))
                    }
                    Output::Event(TxEvent::Response { id: rid, response }) => {
                        got = Some((rid, response.status))
                    }
                    Output::Event(_) => {}
                }
            }
            while let Some(o) = bob.poll_output() {
                busy = true;
                match o {
                    Output::Transmit { bytes, .. } => {
                        alice.handle_message(now, Message::parse(&bytes).unwrap(), udp(BOB))
                    }
                    Output::Event(TxEvent::Request { id, request, .. }) => {
                        let ok = Response::for_request(&request, StatusCode(200));
                        bob.send_response(now, id, ok).unwrap();
                    }
                    Output::Event(_) => {}
                }
            }
        }
        if got.is_some() {
            break;
        }
        let next = [alice.poll_timeout(), bob.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .unwrap();
        now = next;
        alice.handle_timeout(now);
        bob.handle_timeout(now);
    }
    assert_eq!(got, Some((id, StatusCode(200))));
    assert_eq!(
        now - t0,
        Duration::from_millis(1500),
        "third transmission (E at 0.5 s, 1.5 s) got through"
    );
}
