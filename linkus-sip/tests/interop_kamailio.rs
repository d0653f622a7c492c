//! Our user agent against real peers on loopback: Kamailio as registrar and
//! proxy with digest auth (UDP, TCP, TLS), baresip as the far-end softphone.

use std::net::SocketAddr;
use std::time::Duration;

use linkus_sip::driver::{Endpoint, TlsConfig};
use linkus_sip::message::Uri;
use linkus_sip::message::typed::{NameAddr, Transport};
use linkus_sip::ua::{
    Body, EndReason, InviteConfig, RegistrationId, RegistrationState, SessionEvent, SessionId,
    UaEvent,
};
use linkus_testkit::{Baresip, Kamailio};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(15);
const SDP: &str = "v=0\r\no=linkus 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8\r\na=sendrecv\r\n";

fn lo() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

async fn registration_state(
    ev: &mut UnboundedReceiver<UaEvent>,
    id: RegistrationId,
) -> RegistrationState {
    loop {
        match timeout(WAIT, ev.recv())
            .await
            .expect("registration answer in time")
            .expect("driver alive")
        {
            UaEvent::Registration { id: i, state }
                if i == id && state != RegistrationState::Registering =>
            {
                return state;
            }
            _ => {}
        }
    }
}

async fn session_event(ev: &mut UnboundedReceiver<UaEvent>, s: SessionId) -> SessionEvent {
    loop {
        match timeout(WAIT, ev.recv())
            .await
            .expect("session event in time")
            .expect("driver alive")
        {
            UaEvent::Session { session, event } if session == s => return event,
            _ => {}
        }
    }
}

async fn endpoint(
    transport: Transport,
    tls: Option<TlsConfig>,
) -> (Endpoint, UnboundedReceiver<UaEvent>) {
    let b = Endpoint::builder().udp(lo());
    let b = match transport {
        Transport::Tcp => b.tcp(lo()),
        Transport::Tls => b.tls(None, tls.expect("TLS config")),
        _ => b,
    };
    b.build().await.expect("endpoint")
}

async fn register(
    kam: &Kamailio,
    ep: &Endpoint,
    ev: &mut UnboundedReceiver<UaEvent>,
    user: &str,
    transport: Transport,
    password: &str,
) -> (RegistrationId, RegistrationState) {
    let kt = match transport {
        Transport::Tcp => linkus_testkit::Transport::Tcp,
        Transport::Tls => linkus_testkit::Transport::Tls,
        _ => linkus_testkit::Transport::Udp,
    };
    let server = kam
        .addr(kt)
        .expect("kamailio listens on the transport")
        .to_string();
    let aor = Uri::parse(&format!("sip:{user}@{}", kam.domain())).unwrap();
    let id = ep
        .register(
            &server,
            transport,
            aor,
            Some((user.to_owned(), password.to_owned())),
        )
        .await
        .unwrap();
    let state = registration_state(ev, id).await;
    (id, state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_with_digest_auth_over_udp_tcp_and_tls() {
    let mut kam = Kamailio::builder().enable_tls().start().unwrap();
    let ca = std::fs::read(&kam.certs().unwrap().ca_cert).unwrap();
    for transport in [Transport::Udp, Transport::Tcp, Transport::Tls] {
        let tls = (transport == Transport::Tls).then(|| TlsConfig::with_ca_pem(&ca).unwrap());
        let (ep, mut ev) = endpoint(transport.clone(), tls).await;
        let (_, state) = register(
            &kam,
            &ep,
            &mut ev,
            "1001",
            transport.clone(),
            kam.password("1001").unwrap(),
        )
        .await;
        if !matches!(state, RegistrationState::Registered { .. }) {
            kam.print_logs();
            panic!("{transport:?}: {state:?}");
        }
        timeout(WAIT, ep.shutdown()).await.expect("clean shutdown");
    }
    kam.ensure_running().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_fails_without_retrying() {
    let kam = Kamailio::start().unwrap();
    let (ep, mut ev) = endpoint(Transport::Udp, None).await;
    let (_, state) = register(
        &kam,
        &ep,
        &mut ev,
        "1002",
        Transport::Udp,
        "not-the-password",
    )
    .await;
    assert_eq!(
        state,
        RegistrationState::Failed {
            status: Some(401),
            retry_in: None
        }
    );
    ep.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_baresip_through_kamailio_and_hangs_up() {
    let kam = Kamailio::builder().enable_tls().start().unwrap();
    let ca = std::fs::read(&kam.certs().unwrap().ca_cert).unwrap();
    let mut phone = Baresip::builder("1004", kam.password("1004").unwrap(), kam.udp_addr())
        .start()
        .unwrap();
    phone.wait_registered(WAIT).unwrap();
    // Our leg over UDP, TCP and TLS; Kamailio relays to baresip over UDP.
    for transport in [Transport::Udp, Transport::Tcp, Transport::Tls] {
        let tls = (transport == Transport::Tls).then(|| TlsConfig::with_ca_pem(&ca).unwrap());
        let (ep, mut ev) = endpoint(transport.clone(), tls).await;
        let (reg, state) = register(
            &kam,
            &ep,
            &mut ev,
            "1003",
            transport.clone(),
            kam.password("1003").unwrap(),
        )
        .await;
        assert!(
            matches!(state, RegistrationState::Registered { .. }),
            "{state:?}"
        );
        let kt = if transport == Transport::Tls {
            linkus_testkit::Transport::Tls
        } else {
            linkus_testkit::Transport::Udp
        };
        let peer = ep
            .resolve(&kam.addr(kt).unwrap().to_string(), &transport)
            .await
            .unwrap();
        let cfg = InviteConfig {
            target: Uri::parse(&format!("sip:1004@{}", kam.domain())).unwrap(),
            from: NameAddr::new(Uri::parse(&format!("sip:1003@{}", kam.domain())).unwrap()),
            peer,
            route: Vec::new(),
            offer: Some(Body::sdp(SDP)),
            extra_headers: Vec::new(),
            account: Some(reg),
            credentials: None,
        };
        let call = ep
            .with_ua(move |ua, now| ua.invite(now, cfg))
            .await
            .unwrap()
            .unwrap();
        // Kamailio challenges with 407; the UA answers it; baresip auto-answers.
        let answered = loop {
            match session_event(&mut ev, call).await {
                SessionEvent::Progress { .. } => {}
                other => break other,
            }
        };
        let SessionEvent::Answered { body: Some(answer) } = answered else {
            phone.print_logs();
            panic!("{transport:?}: {answered:?}\n{}", kam.log());
        };
        assert!(String::from_utf8_lossy(&answer.bytes).contains("m=audio"));
        phone.wait_event("CALL_ESTABLISHED", WAIT).unwrap();
        ep.with_ua(move |ua, now| ua.hangup(now, call))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            session_event(&mut ev, call).await,
            SessionEvent::Ended {
                reason: EndReason::Local
            }
        );
        phone.wait_event("CALL_CLOSED", WAIT).unwrap();
        timeout(WAIT, ep.shutdown()).await.expect("clean shutdown");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_calls_us_through_kamailio_and_hangs_up() {
    let kam = Kamailio::start().unwrap();
    let (ep, mut ev) = endpoint(Transport::Udp, None).await;
    let (_, state) = register(
        &kam,
        &ep,
        &mut ev,
        "1005",
        Transport::Udp,
        kam.password("1005").unwrap(),
    )
    .await;
    assert!(
        matches!(state, RegistrationState::Registered { .. }),
        "{state:?}"
    );
    let mut phone = Baresip::builder("1006", kam.password("1006").unwrap(), kam.udp_addr())
        .start()
        .unwrap();
    phone.wait_registered(WAIT).unwrap();
    phone.dial(&format!("sip:1005@{}", kam.domain())).unwrap();
    let session = loop {
        let event = timeout(WAIT, ev.recv())
            .await
            .expect("the call arrives")
            .expect("alive");
        if let UaEvent::IncomingCall { session, request } = event {
            let from = request
                .headers
                .get(linkus_sip::message::HeaderName::From)
                .unwrap();
            assert!(from.contains("1006"), "{from}");
            break session;
        }
    };
    ep.with_ua(move |ua, now| {
        ua.progress(now, session, 180, None)?;
        ua.answer(now, session, Some(Body::sdp(SDP)))
    })
    .await
    .unwrap()
    .unwrap();
    assert!(matches!(
        session_event(&mut ev, session).await,
        SessionEvent::Confirmed { .. }
    ));
    phone.wait_event("CALL_ESTABLISHED", WAIT).unwrap();
    phone.hangup().unwrap();
    assert_eq!(
        session_event(&mut ev, session).await,
        SessionEvent::Ended {
            reason: EndReason::RemoteBye
        }
    );
    ep.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_through_kamailio_uses_the_account_credentials() {
    use linkus_sip::message::Method;
    use linkus_sip::message::typed::MediaType;
    use linkus_sip::ua::RequestConfig;

    let kam = Kamailio::start().unwrap();
    let mut phone = Baresip::builder("1008", kam.password("1008").unwrap(), kam.udp_addr())
        .start()
        .unwrap();
    phone.wait_registered(WAIT).unwrap();
    let (ep, mut ev) = endpoint(Transport::Udp, None).await;
    let (reg, state) = register(
        &kam,
        &ep,
        &mut ev,
        "1007",
        Transport::Udp,
        kam.password("1007").unwrap(),
    )
    .await;
    assert!(
        matches!(state, RegistrationState::Registered { .. }),
        "{state:?}"
    );
    let peer = ep
        .resolve(&kam.udp_addr().to_string(), &Transport::Udp)
        .await
        .unwrap();
    let cfg = RequestConfig {
        method: Method::Message,
        target: Uri::parse(&format!("sip:1008@{}", kam.domain())).unwrap(),
        from: NameAddr::new(Uri::parse(&format!("sip:1007@{}", kam.domain())).unwrap()),
        to: None,
        peer,
        route: Vec::new(),
        body: Some(Body {
            content_type: MediaType::new("text", "plain"),
            bytes: b"hello from linkus".to_vec(),
        }),
        extra_headers: Vec::new(),
        account: Some(reg),
        credentials: None,
    };
    let id = ep
        .with_ua(move |ua, now| ua.send_request(now, cfg))
        .await
        .unwrap()
        .unwrap();
    let status = loop {
        match timeout(WAIT, ev.recv())
            .await
            .expect("answer in time")
            .expect("alive")
        {
            UaEvent::RequestAnswered { request, response } if request == id => {
                break response.status.0;
            }
            UaEvent::RequestFailed { request, .. } if request == id => panic!("MESSAGE failed"),
            _ => {}
        }
    };
    // Kamailio challenged and relayed; baresip answered (not a 401/407/403).
    assert!(
        (200..300).contains(&status),
        "status {status}\n{}",
        kam.log()
    );
    ep.shutdown().await;
}
