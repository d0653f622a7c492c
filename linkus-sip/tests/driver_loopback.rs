//! The tokio driver on loopback: calls between two endpoints over UDP, TCP,
//! TLS and IPv6, TLS verification failures, and clean shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use linkus_sip::driver::{Endpoint, TlsConfig};
use linkus_sip::message::Uri;
use linkus_sip::message::typed::{NameAddr, Transport};
use linkus_sip::ua::{Body, EndReason, InviteConfig, SessionEvent, SessionId, UaEvent};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

async fn next_session_event(
    events: &mut UnboundedReceiver<UaEvent>,
    session: SessionId,
) -> SessionEvent {
    loop {
        match timeout(WAIT, events.recv())
            .await
            .expect("event in time")
            .expect("driver alive")
        {
            UaEvent::Session { session: s, event } if s == session => return event,
            _ => {}
        }
    }
}

async fn incoming(events: &mut UnboundedReceiver<UaEvent>) -> SessionId {
    loop {
        if let UaEvent::IncomingCall { session, .. } = timeout(WAIT, events.recv())
            .await
            .expect("call in time")
            .expect("alive")
        {
            return session;
        }
    }
}

/// Alice calls Bob over `transport`; Bob answers; Alice hangs up.
async fn call(
    alice: &Endpoint,
    alice_ev: &mut UnboundedReceiver<UaEvent>,
    bob: &Endpoint,
    bob_ev: &mut UnboundedReceiver<UaEvent>,
    transport: Transport,
    host: &str,
) {
    let bob_addr = bob.local_addr(&transport).unwrap();
    let server = format!("{host}:{}", bob_addr.port());
    let peer = alice.resolve(&server, &transport).await.unwrap();
    let scheme = if transport == Transport::Tls {
        "sips"
    } else {
        "sip"
    };
    let tparam = if transport == Transport::Udp {
        String::new()
    } else {
        format!(";transport={}", transport.as_str().to_ascii_lowercase())
    };
    let target = Uri::parse(&format!("{scheme}:bob@{server}{tparam}")).unwrap();
    let cfg = InviteConfig {
        target,
        from: NameAddr::new(Uri::parse("sip:alice@example.test").unwrap()),
        peer,
        route: Vec::new(),
        offer: Some(Body::sdp("v=0 offer")),
        extra_headers: Vec::new(),
        account: None,
        credentials: None,
    };
    let session = alice
        .with_ua(move |ua, now| ua.invite(now, cfg))
        .await
        .unwrap()
        .unwrap();
    let incoming = incoming(bob_ev).await;
    bob.with_ua(move |ua, now| {
        ua.progress(now, incoming, 180, None)?;
        ua.answer(now, incoming, Some(Body::sdp("v=0 answer")))
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        next_session_event(alice_ev, session).await,
        SessionEvent::Progress {
            status: 180,
            body: None
        }
    );
    match next_session_event(alice_ev, session).await {
        SessionEvent::Answered { body: Some(b) } => assert_eq!(b.bytes, b"v=0 answer"),
        other => panic!("expected the answer, got {other:?}"),
    }
    assert!(matches!(
        next_session_event(bob_ev, incoming).await,
        SessionEvent::Confirmed { .. }
    ));
    alice
        .with_ua(move |ua, now| ua.hangup(now, session))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        next_session_event(bob_ev, incoming).await,
        SessionEvent::Ended {
            reason: EndReason::RemoteBye
        }
    );
    assert_eq!(
        next_session_event(alice_ev, session).await,
        SessionEvent::Ended {
            reason: EndReason::Local
        }
    );
}

fn lo(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[tokio::test]
async fn call_over_udp() {
    let (alice, mut a) = Endpoint::builder()
        .udp(lo(0))
        .seed(1)
        .build()
        .await
        .unwrap();
    let (bob, mut b) = Endpoint::builder()
        .udp(lo(0))
        .seed(2)
        .build()
        .await
        .unwrap();
    call(&alice, &mut a, &bob, &mut b, Transport::Udp, "127.0.0.1").await;
    alice.shutdown().await;
    bob.shutdown().await;
}

#[tokio::test]
async fn call_over_tcp() {
    let (alice, mut a) = Endpoint::builder()
        .tcp(lo(0))
        .seed(3)
        .build()
        .await
        .unwrap();
    let (bob, mut b) = Endpoint::builder()
        .tcp(lo(0))
        .seed(4)
        .build()
        .await
        .unwrap();
    call(&alice, &mut a, &bob, &mut b, Transport::Tcp, "127.0.0.1").await;
    alice.shutdown().await;
    bob.shutdown().await;
}

#[tokio::test]
async fn call_over_ipv6_udp() {
    let (alice, mut a) = Endpoint::builder()
        .udp("[::1]:0".parse().unwrap())
        .seed(5)
        .build()
        .await
        .unwrap();
    let (bob, mut b) = Endpoint::builder()
        .udp("[::1]:0".parse().unwrap())
        .seed(6)
        .build()
        .await
        .unwrap();
    call(&alice, &mut a, &bob, &mut b, Transport::Udp, "[::1]").await;
    alice.shutdown().await;
    bob.shutdown().await;
}

/// A CA and a server certificate for 127.0.0.1, ::1 and localhost, made
/// with openssl by the test kit: (CA PEM, certificate PEM, key PEM).
fn test_ca() -> (String, String, String) {
    let dir = std::env::temp_dir().join(format!(
        "linkus-driver-tls-{}-{}",
        std::process::id(),
        NEXT_DIR.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let certs = linkus_testkit::TestCerts::generate(&dir).unwrap();
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
    let out = (
        read(&certs.ca_cert),
        read(&certs.server_cert),
        read(&certs.server_key),
    );
    let _ = std::fs::remove_dir_all(&dir);
    out
}

static NEXT_DIR: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[tokio::test]
async fn call_over_tls_with_a_verified_server() {
    let (ca, cert, key) = test_ca();
    let server_tls = TlsConfig::with_ca_pem(ca.as_bytes())
        .unwrap()
        .with_server_identity(cert.as_bytes(), key.as_bytes())
        .unwrap();
    let (bob, mut b) = Endpoint::builder()
        .tls(Some(lo(0)), server_tls)
        .seed(8)
        .build()
        .await
        .unwrap();
    let client_tls = TlsConfig::with_ca_pem(ca.as_bytes()).unwrap();
    let (alice, mut a) = Endpoint::builder()
        .tls(None, client_tls)
        .udp(lo(0))
        .seed(7)
        .build()
        .await
        .unwrap();
    call(&alice, &mut a, &bob, &mut b, Transport::Tls, "localhost").await;
    alice.shutdown().await;
    bob.shutdown().await;
}

#[tokio::test]
async fn tls_to_an_untrusted_server_fails_the_call() {
    let (ca, cert, key) = test_ca();
    let (other_ca, _, _) = test_ca();
    let server_tls = TlsConfig::with_ca_pem(ca.as_bytes())
        .unwrap()
        .with_server_identity(cert.as_bytes(), key.as_bytes())
        .unwrap();
    let (bob, _b) = Endpoint::builder()
        .tls(Some(lo(0)), server_tls)
        .seed(9)
        .build()
        .await
        .unwrap();
    let (alice, mut a) = Endpoint::builder()
        .tls(None, TlsConfig::with_ca_pem(other_ca.as_bytes()).unwrap())
        .udp(lo(0))
        .seed(10)
        .build()
        .await
        .unwrap();
    let port = bob.local_addr(&Transport::Tls).unwrap().port();
    let peer = alice
        .resolve(&format!("localhost:{port}"), &Transport::Tls)
        .await
        .unwrap();
    let cfg = InviteConfig {
        target: Uri::parse(&format!("sips:bob@localhost:{port}")).unwrap(),
        from: NameAddr::new(Uri::parse("sip:alice@example.test").unwrap()),
        peer,
        route: Vec::new(),
        offer: None,
        extra_headers: Vec::new(),
        account: None,
        credentials: None,
    };
    let session = alice
        .with_ua(move |ua, now| ua.invite(now, cfg))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        next_session_event(&mut a, session).await,
        SessionEvent::Ended {
            reason: EndReason::TransportError
        }
    );
    alice.shutdown().await;
    bob.shutdown().await;
}

#[tokio::test]
async fn shutdown_hangs_up_live_calls() {
    let (alice, mut a) = Endpoint::builder()
        .udp(lo(0))
        .seed(11)
        .build()
        .await
        .unwrap();
    let (bob, mut b) = Endpoint::builder()
        .udp(lo(0))
        .seed(12)
        .build()
        .await
        .unwrap();
    let peer = alice
        .resolve(
            &bob.local_addr(&Transport::Udp).unwrap().to_string(),
            &Transport::Udp,
        )
        .await
        .unwrap();
    let cfg = InviteConfig {
        target: Uri::parse(&format!("sip:bob@{}", peer.addr)).unwrap(),
        from: NameAddr::new(Uri::parse("sip:alice@example.test").unwrap()),
        peer,
        route: Vec::new(),
        offer: None,
        extra_headers: Vec::new(),
        account: None,
        credentials: None,
    };
    let session = alice
        .with_ua(move |ua, now| ua.invite(now, cfg))
        .await
        .unwrap()
        .unwrap();
    let inc = incoming(&mut b).await;
    bob.with_ua(move |ua, now| ua.answer(now, inc, None))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        next_session_event(&mut a, session).await,
        SessionEvent::Answered { .. }
    ));
    assert!(matches!(
        next_session_event(&mut b, inc).await,
        SessionEvent::Confirmed { .. }
    ));
    timeout(WAIT, alice.shutdown())
        .await
        .expect("shutdown in time");
    assert_eq!(
        next_session_event(&mut b, inc).await,
        SessionEvent::Ended {
            reason: EndReason::RemoteBye
        }
    );
    bob.shutdown().await;
    // After shutdown the handle reports it.
    assert!(alice.with_ua(|ua, _| ua.is_idle()).await.is_err());
}
