//! An INVITE completes, and the call is torn down cleanly, over a link that
//! loses 30 % of datagrams, duplicates 5 % and reorders.

use std::time::Duration;

use linkus_sim::{LinkConfig, Sim};
use linkus_sip::ua::{EndReason, SessionEvent, UaEvent};

#[test]
fn invite_over_30_percent_loss_completes_for_many_seeds() {
    let mut lost = 0;
    for seed in 0..20 {
        let mut sim = Sim::new(seed, LinkConfig::lossy(0.3));
        let alice = sim.add_ua("alice", "10.0.0.1:5060");
        let bob = sim.add_ua("bob", "10.0.0.2:5060");
        sim.set_auto_answer(bob, Some("v=0 answer"));
        let call = sim.call(alice, bob, "v=0 offer").unwrap();
        let answered = sim.run_until_event(Duration::from_secs(32), |n, e| {
            n == alice && e.is_answered(call)
        });
        let (_, ev) = answered
            .unwrap_or_else(|| panic!("seed {seed}: not answered: {:?}", sim.ua_events(alice)));
        let Some(SessionEvent::Answered { body: Some(b) }) = ev.session_event(call) else {
            panic!()
        };
        assert_eq!(b.bytes, b"v=0 answer");
        // Bob sees the ACK (possibly after 2xx retransmissions).
        let confirmed = sim.run_until_event(Duration::from_secs(32), |n, e| {
            n == bob
                && matches!(
                    e.event,
                    UaEvent::Session {
                        event: SessionEvent::Confirmed { .. },
                        ..
                    }
                )
        });
        assert!(
            confirmed.is_some(),
            "seed {seed}: bob never got the ACK\nbob: {:#?}\n{:#?}",
            sim.ua_events(bob),
            sim.delivered()
                .iter()
                .map(|(t, d)| (
                    t,
                    d.from,
                    String::from_utf8_lossy(&d.bytes)
                        .lines()
                        .next()
                        .unwrap_or("")
                        .to_owned(),
                    String::from_utf8_lossy(&d.bytes)
                        .lines()
                        .find(|l| l.starts_with("CSeq"))
                        .unwrap_or("")
                        .to_owned()
                ))
                .collect::<Vec<_>>()
        );
        // Hang up; both sides end.
        let now = sim.now();
        sim.ua(alice).unwrap().hangup(now, call).unwrap();
        sim.run_for(Duration::from_secs(40));
        let ended = |events: &[linkus_sim::Timed]| {
            events.iter().any(|e| {
                matches!(
                    &e.event,
                    UaEvent::Session {
                        event: SessionEvent::Ended { .. },
                        ..
                    }
                )
            })
        };
        assert!(
            ended(sim.ua_events(alice)),
            "seed {seed}: alice did not end"
        );
        assert!(
            sim.ua_events(bob).iter().any(|e| matches!(
                &e.event,
                UaEvent::Session {
                    event: SessionEvent::Ended {
                        reason: EndReason::RemoteBye | EndReason::Timeout
                    },
                    ..
                }
            )),
            "seed {seed}: bob did not end: {:?}",
            sim.ua_events(bob)
        );
        lost += sim.dropped();
    }
    assert!(lost > 20, "the link lost only {lost} datagrams in 20 calls");
}
