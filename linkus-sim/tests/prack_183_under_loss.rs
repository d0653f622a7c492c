//! A reliable 183 with early-media SDP is PRACKed and the call completes,
//! over a link that loses 30 % of datagrams (RFC 3262): the callee answers
//! at once, but its 2xx waits for the PRACK.

use std::time::Duration;

use linkus_sim::{LinkConfig, Sim};
use linkus_sip::ua::{Body, SessionEvent, UaEvent};

#[test]
fn reliable_183_is_pracked_and_the_call_completes_under_30pct_loss() {
    for seed in 0..20 {
        let mut sim = Sim::new(seed, LinkConfig::lossy(0.3));
        let alice = sim.add_ua("alice", "10.0.0.1:5060");
        let bob = sim.add_ua("bob", "10.0.0.2:5060");
        let call = sim.call(alice, bob, "v=0 offer").unwrap();
        let (_, incoming) = sim
            .run_until_event(Duration::from_secs(32), |n, e| {
                n == bob && matches!(e.event, UaEvent::IncomingCall { .. })
            })
            .unwrap_or_else(|| panic!("seed {seed}: the INVITE never arrived"));
        let UaEvent::IncomingCall { session, .. } = incoming.event else {
            unreachable!()
        };
        let now = sim.now();
        let ua = sim.ua(bob).unwrap();
        ua.progress_reliable(now, session, 183, Some(Body::sdp("v=0 early")))
            .unwrap();
        ua.answer(now, session, Some(Body::sdp("v=0 answer")))
            .unwrap();
        let answered = sim.run_until_event(Duration::from_secs(32), |n, e| {
            n == alice && e.is_answered(call)
        });
        assert!(
            answered.is_some(),
            "seed {seed}: not answered\nalice: {:?}\nbob: {:?}",
            sim.ua_events(alice),
            sim.ua_events(bob)
        );
        sim.run_for(Duration::from_secs(40));
        // Alice heard the early media exactly once, before the answer.
        let early: Vec<_> = sim
            .ua_events(alice)
            .iter()
            .filter(|e| {
                matches!(
                    e.session_event(call),
                    Some(SessionEvent::Progress { status: 183, body: Some(b) }) if b.bytes == b"v=0 early"
                )
            })
            .collect();
        assert_eq!(early.len(), 1, "seed {seed}: {:?}", sim.ua_events(alice));
        // The 2xx left Bob only after a PRACK reached him.
        let delivered = sim.delivered();
        let first_prack = delivered
            .iter()
            .position(|(_, d)| d.bytes.starts_with(b"PRACK "))
            .unwrap_or_else(|| panic!("seed {seed}: no PRACK delivered"));
        let first_200_invite = delivered.iter().position(|(_, d)| {
            d.bytes.starts_with(b"SIP/2.0 200 ")
                && String::from_utf8_lossy(&d.bytes).contains(" INVITE\r\n")
        });
        assert!(
            first_200_invite.is_some_and(|i| i > first_prack),
            "seed {seed}"
        );
        // Bob got the ACK; neither side ended the call.
        assert!(
            sim.ua_events(bob).iter().any(|e| matches!(
                e.session_event(session),
                Some(SessionEvent::Confirmed { .. })
            )),
            "seed {seed}: {:?}",
            sim.ua_events(bob)
        );
        for node in [alice, bob] {
            assert!(
                !sim.ua_events(node).iter().any(|e| matches!(
                    e.event,
                    UaEvent::Session {
                        event: SessionEvent::Ended { .. },
                        ..
                    }
                )),
                "seed {seed}: {:?}",
                sim.ua_events(node)
            );
        }
    }
}
