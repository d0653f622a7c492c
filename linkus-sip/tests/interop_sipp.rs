//! SIPp's built-in UAC places calls to our endpoint answering as a UAS.

use std::net::SocketAddr;
use std::time::Duration;

use linkus_sip::driver::Endpoint;
use linkus_sip::message::typed::Transport;
use linkus_sip::ua::{Body, SessionEvent, UaEvent};
use linkus_testkit::Sipp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_uac_completes_every_call_to_our_uas() {
    let (ep, mut ev) = Endpoint::builder()
        .udp(SocketAddr::from(([127, 0, 0, 1], 0)))
        .build()
        .await
        .unwrap();
    let addr = ep.local_addr(&Transport::Udp).unwrap();
    let ep = std::sync::Arc::new(ep);
    let answering = ep.clone();
    let server = tokio::spawn(async move {
        let mut confirmed = 0;
        let mut ended = 0;
        while let Some(e) = ev.recv().await {
            match e {
                UaEvent::IncomingCall { session, .. } => {
                    let _ = answering.post(move |ua, now| {
                        let _ = ua.answer(now, session, Some(Body::sdp("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n")));
                    });
                }
                UaEvent::Session {
                    event: SessionEvent::Confirmed { .. },
                    ..
                } => confirmed += 1,
                UaEvent::Session {
                    event: SessionEvent::Ended { .. },
                    ..
                } => {
                    ended += 1;
                    if ended == 50 {
                        break;
                    }
                }
                _ => {}
            }
        }
        (confirmed, ended)
    });
    let outcome = tokio::task::spawn_blocking(move || {
        Sipp::builtin("uac")
            .remote(addr)
            .calls(50)
            .arg("-r")
            .arg("50")
            .call_duration(Duration::from_millis(20))
            .timeout(Duration::from_secs(30))
            .run()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(outcome.success(), "{}", outcome.report());
    assert_eq!(
        (outcome.successful_calls, outcome.failed_calls),
        (50, 0),
        "{}",
        outcome.report()
    );
    let (confirmed, ended) = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((confirmed, ended), (50, 50));
    ep.shutdown().await;
}

// ---------------------------------------------------------------------------
// Our UAC against SIPp servers: auth, failure and retransmission paths.

use linkus_sip::message::Uri;
use linkus_sip::message::typed::NameAddr;
use linkus_sip::ua::{EndReason, InviteConfig, SessionId};
use linkus_testkit::sipp::scenario_path;
use tokio::sync::mpsc::UnboundedReceiver;

/// Waits for the session's next event. 40 s covers a transaction's whole
/// retransmission window (64·T1 = 32 s) under SIPp's random loss.
async fn call_event(ev: &mut UnboundedReceiver<UaEvent>, s: SessionId) -> SessionEvent {
    loop {
        match tokio::time::timeout(Duration::from_secs(40), ev.recv())
            .await
            .expect("event in time")
            .expect("alive")
        {
            UaEvent::Session { session, event } if session == s => return event,
            _ => {}
        }
    }
}

async fn dial(ep: &Endpoint, to: SocketAddr, credentials: Option<(&str, &str)>) -> SessionId {
    let peer = ep.resolve(&to.to_string(), &Transport::Udp).await.unwrap();
    let cfg = InviteConfig {
        target: Uri::parse(&format!("sip:service@{to}")).unwrap(),
        from: NameAddr::new(Uri::parse("sip:alice@linkus.test").unwrap()),
        peer,
        route: Vec::new(),
        offer: Some(Body::sdp(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n",
        )),
        extra_headers: Vec::new(),
        account: None,
        credentials: credentials.map(|(u, p)| (u.to_owned(), p.to_owned())),
    };
    ep.with_ua(move |ua, now| ua.invite(now, cfg))
        .await
        .unwrap()
        .unwrap()
}

async fn answered_then_hang_up(ep: &Endpoint, ev: &mut UnboundedReceiver<UaEvent>, s: SessionId) {
    loop {
        match call_event(ev, s).await {
            SessionEvent::Progress { .. } => {}
            SessionEvent::Answered { .. } => break,
            other => panic!("expected an answer, got {other:?}"),
        }
    }
    ep.with_ua(move |ua, now| ua.hangup(now, s))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        call_event(ev, s).await,
        SessionEvent::Ended {
            reason: EndReason::Local
        }
    );
}

fn lo() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uac_answers_a_digest_challenge_from_sipp() {
    let mut uas = Sipp::scenario(scenario_path("uas_auth_challenge.xml"))
        .calls(1)
        .timeout(Duration::from_secs(20))
        .spawn()
        .unwrap();
    uas.wait_listening(Duration::from_secs(5)).unwrap();
    let (ep, mut ev) = Endpoint::builder().udp(lo()).build().await.unwrap();
    let s = dial(&ep, uas.local_addr(), Some(("alice", "s3cret"))).await;
    answered_then_hang_up(&ep, &mut ev, s).await;
    let outcome = tokio::task::spawn_blocking(move || uas.wait(Duration::from_secs(20)).unwrap())
        .await
        .unwrap();
    assert!(outcome.success(), "{}", outcome.report());
    assert!(
        outcome
            .start_lines()
            .iter()
            .filter(|l| l.starts_with("INVITE "))
            .count()
            >= 2,
        "{}",
        outcome.report()
    );
    ep.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uac_with_a_wrong_password_is_refused() {
    let mut uas = Sipp::scenario(scenario_path("uas_auth_challenge.xml"))
        .calls(1)
        .timeout(Duration::from_secs(20))
        .spawn()
        .unwrap();
    uas.wait_listening(Duration::from_secs(5)).unwrap();
    let (ep, mut ev) = Endpoint::builder().udp(lo()).build().await.unwrap();
    let s = dial(&ep, uas.local_addr(), Some(("alice", "wrong"))).await;
    assert_eq!(
        call_event(&mut ev, s).await,
        SessionEvent::Ended {
            reason: EndReason::Rejected { status: 403 }
        }
    );
    drop(uas);
    ep.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uac_acks_a_rejection_and_reports_its_status() {
    for status in ["486", "503", "603"] {
        let template = std::fs::read_to_string(scenario_path("uas_reject.xml")).unwrap();
        let dir = std::env::temp_dir().join(format!(
            "linkus-sipp-reject-{}-{status}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("uas_reject.xml");
        std::fs::write(&file, template.replace("[status]", status)).unwrap();
        let mut uas = Sipp::scenario(&file)
            .calls(1)
            .timeout(Duration::from_secs(20))
            .spawn()
            .unwrap();
        uas.wait_listening(Duration::from_secs(5)).unwrap();
        let (ep, mut ev) = Endpoint::builder().udp(lo()).build().await.unwrap();
        let s = dial(&ep, uas.local_addr(), None).await;
        assert_eq!(
            call_event(&mut ev, s).await,
            SessionEvent::Progress {
                status: 180,
                body: None
            }
        );
        assert_eq!(
            call_event(&mut ev, s).await,
            SessionEvent::Ended {
                reason: EndReason::Rejected {
                    status: status.parse().unwrap()
                }
            }
        );
        // SIPp only succeeds once it got our ACK for the rejection.
        let outcome =
            tokio::task::spawn_blocking(move || uas.wait(Duration::from_secs(20)).unwrap())
                .await
                .unwrap();
        assert!(outcome.success(), "{status}: {}", outcome.report());
        ep.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_complete_when_sipp_loses_a_fifth_of_what_it_receives() {
    let mut uas = Sipp::builtin("uas")
        .calls(5)
        .arg("-lost")
        .arg("20")
        .timeout(Duration::from_secs(60))
        .spawn()
        .unwrap();
    uas.wait_listening(Duration::from_secs(5)).unwrap();
    let (ep, mut ev) = Endpoint::builder()
        .udp(lo())
        .seed(77)
        .build()
        .await
        .unwrap();
    for _ in 0..5 {
        let s = dial(&ep, uas.local_addr(), None).await;
        answered_then_hang_up(&ep, &mut ev, s).await;
    }
    let outcome = tokio::task::spawn_blocking(move || uas.wait(Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    assert_eq!(outcome.successful_calls, 5, "{}", outcome.report());
    ep.shutdown().await;
}
