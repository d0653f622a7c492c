//! The caller cancels while the callee's 200 is already on the wire: the
//! caller must take the call (ACK) and end it with BYE, leaving no dialog.

use std::time::Duration;

use linkus_sim::{LinkConfig, Sim};
use linkus_sip::ua::{EndReason, SessionEvent, UaEvent};

#[test]
fn cancel_crossing_200_ends_with_ack_and_bye() {
    let mut sim = Sim::new(
        4,
        LinkConfig {
            delay_min: Duration::from_millis(100),
            delay_max: Duration::from_millis(100),
            ..LinkConfig::perfect()
        },
    );
    let alice = sim.add_ua("alice", "10.0.0.1:5060");
    let bob = sim.add_ua("bob", "10.0.0.2:5060");
    let call = sim.call(alice, bob, "v=0").unwrap();
    let (_, ev) = sim
        .run_until_event(Duration::from_secs(1), |n, e| {
            n == bob && matches!(e.event, UaEvent::IncomingCall { .. })
        })
        .unwrap();
    let UaEvent::IncomingCall { session, .. } = ev.event else {
        unreachable!()
    };
    let now = sim.now();
    sim.ua(bob)
        .unwrap()
        .progress(now, session, 180, None)
        .unwrap();
    // Let the 180 reach alice, then answer and cancel at the same instant.
    sim.run_for(Duration::from_millis(150));
    let now = sim.now();
    sim.ua(bob)
        .unwrap()
        .answer(now, session, Some(linkus_sip::ua::Body::sdp("v=0")))
        .unwrap();
    sim.ua(alice).unwrap().hangup(now, call).unwrap();
    sim.run_for(Duration::from_secs(40));
    let sent = |prefix: &[u8]| {
        sim.delivered()
            .iter()
            .filter(|(_, d)| d.bytes.starts_with(prefix))
            .count()
    };
    assert_eq!(sent(b"CANCEL "), 1);
    assert!(sent(b"ACK ") >= 1, "the 200 was acknowledged");
    assert_eq!(sent(b"BYE "), 1, "and the call ended with BYE");
    let alice_events = sim.ua_events(alice);
    assert!(alice_events.iter().any(|e| e.is_answered(call)));
    assert!(alice_events.iter().any(|e| e.session_event(call)
        == Some(&SessionEvent::Ended {
            reason: EndReason::Local
        })));
    assert!(sim.ua_events(bob).iter().any(|e| matches!(
        &e.event,
        UaEvent::Session {
            event: SessionEvent::Ended {
                reason: EndReason::RemoteBye
            },
            ..
        }
    )));
}
