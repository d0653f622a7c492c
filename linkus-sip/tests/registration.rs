//! Registration scenarios on virtual time; the test plays the registrar.
#![allow(
    clippy::disallowed_methods,
    reason = "tests take one base Instant; the rest is virtual time"
)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use linkus_sip::message::typed::{self, Contact, Transport};
use linkus_sip::message::{HeaderName, Message, Method, Request, Response, StatusCode, Uri};
use linkus_sip::transaction::Peer;
use linkus_sip::ua::{
    KeepAlive, RegisterConfig, RegistrationState, UaConfig, UaEvent, UaOutput, UserAgent,
};

const LOCAL: &str = "10.0.0.5:5062";
const SERVER: &str = "192.0.2.10:5060";

fn ua() -> UserAgent {
    UserAgent::new(UaConfig::new(Transport::Udp, LOCAL.parse().unwrap(), 7))
}

fn server() -> Peer {
    Peer {
        addr: SERVER.parse().unwrap(),
        transport: Transport::Udp,
    }
}

fn config() -> RegisterConfig {
    RegisterConfig::new(
        server(),
        Uri::parse("sip:pbx.example.com").unwrap(),
        Uri::parse("sip:1001@pbx.example.com").unwrap(),
    )
}

/// Everything the UA emitted: requests it sent, raw transmits, events.
#[derive(Default, Debug)]
struct Drained {
    requests: Vec<Request>,
    raw: Vec<Vec<u8>>,
    events: Vec<UaEvent>,
}

fn drain(ua: &mut UserAgent) -> Drained {
    let mut d = Drained::default();
    while let Some(o) = ua.poll_output() {
        match o {
            UaOutput::Transmit { bytes, .. } => {
                if let Ok(Message::Request(r)) = Message::parse(&bytes) {
                    d.requests.push(r);
                }
                d.raw.push(bytes);
            }
            UaOutput::Event(e) => d.events.push(e),
        }
    }
    d
}

fn answer(
    ua: &mut UserAgent,
    now: Instant,
    req: &Request,
    status: u16,
    edit: impl FnOnce(&mut Response),
) {
    let mut resp = Response::for_request(req, StatusCode(status));
    resp.set_to_tag("reg1").unwrap();
    edit(&mut resp);
    ua.handle_datagram(now, server(), &resp.to_bytes());
}

fn states(events: &[UaEvent]) -> Vec<RegistrationState> {
    events
        .iter()
        .filter_map(|e| match e {
            UaEvent::Registration { state, .. } => Some(state.clone()),
            _ => None,
        })
        .collect()
}

fn run_until(ua: &mut UserAgent, until: Instant) -> Drained {
    let mut all = Drained::default();
    while let Some(at) = ua.poll_timeout() {
        if at > until {
            break;
        }
        ua.handle_timeout(at);
        let d = drain(ua);
        all.requests.extend(d.requests);
        all.raw.extend(d.raw);
        all.events.extend(d.events);
    }
    all
}

#[test]
fn registers_honours_granted_expiry_and_refreshes_before_it() {
    let t0 = Instant::now();
    let mut ua = ua();
    ua.register(t0, config()).unwrap();
    let reg = drain(&mut ua).requests.remove(0);
    assert_eq!(reg.method, Method::Register);
    assert_eq!(reg.uri.to_string(), "sip:pbx.example.com");
    let c: Contact = reg.headers.typed().unwrap().unwrap();
    assert_eq!(c.addr().unwrap().uri.to_string(), "sip:1001@10.0.0.5:5062");
    assert_eq!(c.expires(), Some(3600));
    let via: typed::Via = reg.headers.typed_first().unwrap().unwrap();
    assert_eq!(via.rport(), Some(None), "asks for rport (RFC 3581)");
    // The registrar grants 120 s in the Contact.
    answer(&mut ua, t0, &reg, 200, |r| {
        r.headers
            .push(HeaderName::Contact, "<sip:1001@10.0.0.5:5062>;expires=120")
            .unwrap();
    });
    let d = drain(&mut ua);
    assert_eq!(
        states(&d.events),
        [RegistrationState::Registered {
            expires: 120,
            contact: LOCAL.parse().unwrap()
        }]
    );
    // Keepalives every 25 s, then the refresh at 90 s, same Call-ID, CSeq + 1.
    let d = run_until(&mut ua, t0 + Duration::from_secs(90));
    assert_eq!(
        d.raw.iter().filter(|b| b.as_slice() == b"\r\n\r\n").count(),
        3
    );
    assert_eq!(d.requests.len(), 1);
    let refresh = &d.requests[0];
    assert_eq!(
        refresh.headers.get(HeaderName::CallId),
        reg.headers.get(HeaderName::CallId)
    );
    let cseq = |r: &Request| r.headers.typed::<typed::CSeq>().unwrap().unwrap().seq;
    assert_eq!(cseq(refresh), cseq(&reg) + 1);
}

#[test]
fn interval_too_brief_retries_with_min_expires() {
    let t0 = Instant::now();
    let mut ua = ua();
    let mut cfg = config();
    cfg.expires = 60;
    ua.register(t0, cfg).unwrap();
    let reg = drain(&mut ua).requests.remove(0);
    answer(&mut ua, t0, &reg, 423, |r| {
        r.headers.push(HeaderName::MinExpires, "300").unwrap()
    });
    let retry = drain(&mut ua).requests.remove(0);
    assert_eq!(
        retry.headers.typed::<typed::Expires>().unwrap(),
        Some(typed::Expires(300))
    );
}

#[test]
fn service_unavailable_waits_for_retry_after() {
    let t0 = Instant::now();
    let mut ua = ua();
    ua.register(t0, config()).unwrap();
    let reg = drain(&mut ua).requests.remove(0);
    answer(&mut ua, t0, &reg, 503, |r| {
        r.headers.push(HeaderName::RetryAfter, "17").unwrap()
    });
    let d = drain(&mut ua);
    assert_eq!(
        states(&d.events),
        [RegistrationState::Failed {
            status: Some(503),
            retry_in: Some(Duration::from_secs(17))
        }]
    );
    let d = run_until(&mut ua, t0 + Duration::from_secs(17));
    assert_eq!(
        d.requests
            .iter()
            .filter(|r| r.method == Method::Register)
            .count(),
        1
    );
}

#[test]
fn silent_registrar_times_out_then_backs_off() {
    let t0 = Instant::now();
    let mut ua = ua();
    ua.register(t0, config()).unwrap();
    drain(&mut ua);
    let d = run_until(&mut ua, t0 + Duration::from_secs(32));
    let s = states(&d.events);
    let [
        RegistrationState::Failed {
            status: None,
            retry_in: Some(wait),
        },
    ] = s.as_slice()
    else {
        panic!("{s:?}")
    };
    assert!(
        (Duration::from_secs(15)..=Duration::from_secs(30)).contains(wait),
        "{wait:?}"
    );
}

#[test]
fn wrong_credentials_are_not_retried() {
    let t0 = Instant::now();
    let mut ua = ua();
    ua.register(t0, config()).unwrap();
    let reg = drain(&mut ua).requests.remove(0);
    answer(&mut ua, t0, &reg, 403, |_| {});
    let d = drain(&mut ua);
    assert_eq!(
        states(&d.events),
        [RegistrationState::Failed {
            status: Some(403),
            retry_in: None
        }]
    );
    assert!(
        run_until(&mut ua, t0 + Duration::from_secs(4000))
            .requests
            .iter()
            .all(|r| r.method != Method::Register)
    );
}

#[test]
fn nat_binding_learnt_from_received_and_rport_rewrites_contact() {
    let t0 = Instant::now();
    let mut ua = ua();
    ua.register(t0, config()).unwrap();
    let reg = drain(&mut ua).requests.remove(0);
    answer(&mut ua, t0, &reg, 200, |r| {
        let via = r
            .headers
            .get(HeaderName::Via)
            .unwrap()
            .replace(";rport", ";rport=40000;received=203.0.113.7");
        r.headers.set(HeaderName::Via, &via).unwrap();
    });
    let d = drain(&mut ua);
    assert!(
        states(&d.events).is_empty(),
        "not registered under the private address"
    );
    let again = &d.requests[0];
    let c = again.headers.typed_all::<Contact>().unwrap();
    assert_eq!(
        c[0].addr().unwrap().uri.to_string(),
        "sip:1001@203.0.113.7:40000"
    );
    // The private contact registered first is removed in the same request.
    assert_eq!(
        c[1].addr().unwrap().uri.to_string(),
        "sip:1001@10.0.0.5:5062"
    );
    assert_eq!(c[1].expires(), Some(0));
    let public: SocketAddr = "203.0.113.7:40000".parse().unwrap();
    answer(&mut ua, t0, again, 200, |r| {
        let via = r
            .headers
            .get(HeaderName::Via)
            .unwrap()
            .replace(";rport", ";rport=40000;received=203.0.113.7");
        r.headers.set(HeaderName::Via, &via).unwrap();
        r.headers.push(HeaderName::Expires, "600").unwrap();
    });
    assert_eq!(
        states(&drain(&mut ua).events),
        [RegistrationState::Registered {
            expires: 600,
            contact: public
        }]
    );
}

#[test]
fn network_change_re_registers_and_unregister_sends_expires_zero() {
    let t0 = Instant::now();
    let mut ua = ua();
    let mut cfg = config();
    cfg.keepalive = KeepAlive::Off;
    let id = ua.register(t0, cfg).unwrap();
    let reg = drain(&mut ua).requests.remove(0);
    answer(&mut ua, t0, &reg, 200, |_| {});
    drain(&mut ua);
    ua.set_local_addr(t0, Transport::Udp, "10.1.1.9:5062".parse().unwrap());
    let moved = drain(&mut ua).requests.remove(0);
    let c = moved.headers.typed_all::<Contact>().unwrap();
    assert_eq!(
        c[0].addr().unwrap().uri.to_string(),
        "sip:1001@10.1.1.9:5062"
    );
    let old = (c[1].addr().unwrap().uri.to_string(), c[1].expires());
    assert_eq!(old, ("sip:1001@10.0.0.5:5062".to_owned(), Some(0)));
    answer(&mut ua, t0, &moved, 200, |_| {});
    drain(&mut ua);
    ua.unregister(t0, id).unwrap();
    let bye = drain(&mut ua).requests.remove(0);
    assert_eq!(
        bye.headers.typed::<typed::Expires>().unwrap(),
        Some(typed::Expires(0))
    );
    answer(&mut ua, t0, &bye, 200, |_| {});
    assert_eq!(
        states(&drain(&mut ua).events),
        [RegistrationState::Unregistered]
    );
    assert_eq!(ua.registration_state(id), None);
}

#[test]
fn answers_options_and_481_for_unknown_dialogs() {
    let t0 = Instant::now();
    let mut ua = ua();
    let mk = |method: &str, to_tag: &str| {
        format!(
            "{method} sip:1001@10.0.0.5:5062 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK{method}\r\n\
             Max-Forwards: 70\r\nTo: <sip:1001@pbx.example.com>{to_tag}\r\nFrom: <sip:pbx.example.com>;tag=p\r\n\
             Call-ID: x{method}\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
        )
    };
    ua.handle_datagram(t0, server(), mk("OPTIONS", "").as_bytes());
    let d = drain(&mut ua);
    let ok = Message::parse(&d.raw[0]).unwrap();
    let ok = ok.as_response().unwrap();
    assert_eq!(ok.status, StatusCode(200));
    assert!(
        ok.headers
            .get(HeaderName::Allow)
            .unwrap()
            .contains("INVITE")
    );
    ua.handle_datagram(t0, server(), mk("BYE", ";tag=zz").as_bytes());
    let d = drain(&mut ua);
    assert!(d.raw[0].starts_with(b"SIP/2.0 481 "));
    // And what the policy refuses: an unknown Require.
    let req = mk("OPTIONS", "")
        .replace("Content-Length: 0", "Require: foo\r\nContent-Length: 0")
        .replace("z9hG4bKOPTIONS", "z9hG4bKo2")
        .replace("xOPTIONS", "another-call");
    ua.handle_datagram(t0, server(), req.as_bytes());
    assert!(drain(&mut ua).raw[0].starts_with(b"SIP/2.0 420 "));
}
