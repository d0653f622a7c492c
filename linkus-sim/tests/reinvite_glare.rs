//! Both sides re-INVITE at once: each answers the other's with 491, backs
//! off as RFC 3261 §14.1 says, and both offers eventually succeed.

use std::time::Duration;

use linkus_sim::{LinkConfig, Sim};
use linkus_sip::ua::{Body, SessionEvent, UaEvent};

#[test]
fn reinvite_glare_resolves_by_backoff() {
    let mut sim = Sim::new(5, LinkConfig::perfect());
    let alice = sim.add_ua("alice", "10.0.0.1:5060");
    let bob = sim.add_ua("bob", "10.0.0.2:5060");
    sim.set_auto_answer(bob, Some("v=0 a"));
    let call = sim.call(alice, bob, "v=0").unwrap();
    sim.run_for(Duration::from_secs(1));
    let bob_session = sim
        .ua_events(bob)
        .iter()
        .find_map(|e| match e.event {
            UaEvent::IncomingCall { session, .. } => Some(session),
            _ => None,
        })
        .unwrap();
    let now = sim.now();
    sim.ua(alice)
        .unwrap()
        .reoffer(now, call, Some(Body::sdp("v=0 hold-by-alice")), false)
        .unwrap();
    sim.ua(bob)
        .unwrap()
        .reoffer(now, bob_session, Some(Body::sdp("v=0 hold-by-bob")), false)
        .unwrap();
    // Answer every offer each side receives.
    let mut answered = (false, false);
    for _ in 0..200 {
        sim.run_for(Duration::from_millis(50));
        for (node, session) in [(alice, call), (bob, bob_session)] {
            let pending = sim
                .ua_events(node)
                .iter()
                .filter(|e| matches!(e.session_event(session), Some(SessionEvent::Offer { .. })))
                .count();
            let done = sim
                .ua_events(node)
                .iter()
                .filter(|e| {
                    matches!(
                        e.session_event(session),
                        Some(SessionEvent::OfferAnswered { .. })
                    )
                })
                .count();
            let now = sim.now();
            let _ = sim
                .ua(node)
                .unwrap()
                .accept_offer(now, session, Some(Body::sdp("v=0 ok")));
            let _ = pending;
            if node == alice {
                answered.0 = done > 0
            } else {
                answered.1 = done > 0
            }
        }
        if answered == (true, true) {
            break;
        }
    }
    assert_eq!(
        answered,
        (true, true),
        "alice: {:?}\nbob: {:?}",
        sim.ua_events(alice),
        sim.ua_events(bob)
    );
    let glare = sim
        .delivered()
        .iter()
        .filter(|(_, d)| d.bytes.starts_with(b"SIP/2.0 491 "))
        .count();
    assert!(glare >= 2, "both offers first met a 491");
}
