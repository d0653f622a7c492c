//! Requests outside dialogs (MESSAGE, SUBSCRIBE, REFER…) use the account's
//! credentials: pre-authorised for the registrar's realm, retried once more
//! for a proxy's challenge; timeouts are reported.
#![allow(
    clippy::disallowed_methods,
    reason = "tests take one base Instant; the rest is virtual time"
)]

use std::time::{Duration, Instant};

use linkus_sip::auth::{Secret, verify};
use linkus_sip::message::typed::{self, NameAddr, Transport};
use linkus_sip::message::{HeaderName, Message, Method, Request, Response, StatusCode, Uri};
use linkus_sip::transaction::Peer;
use linkus_sip::ua::{
    Body, RegisterConfig, RegistrationState, RequestConfig, UaConfig, UaEvent, UaOutput, UserAgent,
};

fn server() -> Peer {
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

fn challenge(req: &Request, status: u16, header: HeaderName, realm: &str, nonce: &str) -> Vec<u8> {
    let mut r = Response::for_request(req, StatusCode(status));
    r.set_to_tag("srv").unwrap();
    r.headers
        .push(
            header,
            &format!("Digest realm=\"{realm}\", nonce=\"{nonce}\", qop=\"auth\", algorithm=MD5"),
        )
        .unwrap();
    r.to_bytes()
}

fn ok(req: &Request, status: u16) -> Vec<u8> {
    let mut r = Response::for_request(req, StatusCode(status));
    r.set_to_tag("srv").unwrap();
    r.to_bytes()
}

#[test]
fn message_reuses_the_account_credentials_and_answers_a_proxy_challenge() {
    let t0 = Instant::now();
    let mut ua = UserAgent::new(UaConfig::new(
        Transport::Udp,
        "10.0.0.5:5060".parse().unwrap(),
        11,
    ));
    let mut cfg = RegisterConfig::new(
        server(),
        Uri::parse("sip:pbx.test").unwrap(),
        Uri::parse("sip:1001@pbx.test").unwrap(),
    );
    cfg.credentials = Some(("1001".into(), "pw1001".into()));
    let reg = ua.register(t0, cfg).unwrap();
    let register = drain(&mut ua).0.remove(0);
    ua.handle_datagram(
        t0,
        server(),
        &challenge(
            &register,
            401,
            HeaderName::WwwAuthenticate,
            "pbx.test",
            "n1",
        ),
    );
    let retried = drain(&mut ua).0.remove(0);
    ua.handle_datagram(t0, server(), &ok(&retried, 200));
    assert!(matches!(
        ua.registration_state(reg),
        Some(RegistrationState::Registered { .. })
    ));

    let send = RequestConfig {
        method: Method::Message,
        target: Uri::parse("sip:1002@pbx.test").unwrap(),
        from: NameAddr::new(Uri::parse("sip:1001@pbx.test").unwrap()),
        to: None,
        peer: server(),
        route: Vec::new(),
        body: Some(Body {
            content_type: typed::MediaType::new("text", "plain"),
            bytes: b"hello".to_vec(),
        }),
        extra_headers: Vec::new(),
        account: Some(reg),
        credentials: None,
    };
    let id = ua.send_request(t0, send).unwrap();
    let message = drain(&mut ua).0.remove(0);
    assert_eq!(message.method, Method::Message);
    assert_eq!(message.body, b"hello");
    // Pre-authorised for the registrar's realm, with the next nonce count.
    let auth: typed::Authorization = message.headers.typed().unwrap().unwrap();
    assert_eq!(auth.param("nc"), Some("00000002"));
    assert!(verify(
        &auth,
        &message.method,
        &message.body,
        Secret::Password("pw1001")
    ));
    // An outbound proxy challenges too: the retry carries both credentials.
    ua.handle_datagram(
        t0,
        server(),
        &challenge(
            &message,
            407,
            HeaderName::ProxyAuthenticate,
            "proxy.test",
            "p1",
        ),
    );
    let retry = drain(&mut ua).0.remove(0);
    let cseq = |r: &Request| r.headers.typed::<typed::CSeq>().unwrap().unwrap().seq;
    assert_eq!(cseq(&retry), cseq(&message) + 1);
    let proxy: typed::ProxyAuthorization = retry.headers.typed().unwrap().unwrap();
    assert!(verify(
        &proxy,
        &retry.method,
        &retry.body,
        Secret::Password("pw1001")
    ));
    assert!(retry.headers.contains(HeaderName::Authorization));
    ua.handle_datagram(t0, server(), &ok(&retry, 202));
    let (_, events) = drain(&mut ua);
    assert!(events.iter().any(|e| matches!(e, UaEvent::RequestAnswered { request, response } if *request == id && response.status.0 == 202)));
}

#[test]
fn unanswered_request_fails_after_timer_f_and_invite_is_refused() {
    let t0 = Instant::now();
    let mut ua = UserAgent::new(UaConfig::new(
        Transport::Udp,
        "10.0.0.5:5060".parse().unwrap(),
        12,
    ));
    let mut cfg = RequestConfig {
        method: Method::Subscribe,
        target: Uri::parse("sip:1002@pbx.test").unwrap(),
        from: NameAddr::new(Uri::parse("sip:1001@pbx.test").unwrap()),
        to: None,
        peer: server(),
        route: Vec::new(),
        body: None,
        extra_headers: vec![
            (HeaderName::Event, "presence".into()),
            (HeaderName::Expires, "600".into()),
        ],
        account: None,
        credentials: None,
    };
    let id = ua.send_request(t0, cfg.clone()).unwrap();
    let (reqs, _) = drain(&mut ua);
    assert_eq!(reqs[0].headers.get(HeaderName::Event), Some("presence"));
    let mut events = Vec::new();
    while let Some(at) = ua.poll_timeout() {
        ua.handle_timeout(at);
        events.extend(drain(&mut ua).1);
        if at > t0 + Duration::from_secs(40) {
            break;
        }
    }
    assert!(
        events.contains(&UaEvent::RequestFailed {
            request: id,
            transport_error: false
        }),
        "{events:?}"
    );
    cfg.method = Method::Invite;
    assert!(ua.send_request(t0, cfg).is_err());
}
