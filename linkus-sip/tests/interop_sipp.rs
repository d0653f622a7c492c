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
