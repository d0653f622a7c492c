//! Every response from the callee is lost: the caller's INVITE transaction
//! retransmits on timer A and gives up on timer B, 64·T1 = 32 s.

use std::time::Duration;

use linkus_sim::{LinkConfig, Sim};
use linkus_sip::ua::{EndReason, SessionEvent};

#[test]
fn lost_final_response_ends_the_call_on_timer_b() {
    let mut sim = Sim::new(1, LinkConfig::perfect());
    let alice = sim.add_ua("alice", "10.0.0.1:5060");
    let bob = sim.add_ua("bob", "10.0.0.2:5060");
    sim.set_auto_answer(bob, Some("v=0"));
    let bob_addr = sim.addr(bob);
    sim.set_drop_filter(move |d| d.from == bob_addr && d.bytes.starts_with(b"SIP/2.0"));
    let call = sim.call(alice, bob, "v=0").unwrap();
    let ended = sim.run_until_event(Duration::from_secs(60), |n, e| {
        n == alice && matches!(e.session_event(call), Some(SessionEvent::Ended { .. }))
    });
    let (_, ev) = ended.expect("the call ends");
    assert_eq!(
        ev.session_event(call),
        Some(&SessionEvent::Ended {
            reason: EndReason::Timeout
        })
    );
    // Timer B fires at 64·T1 after the INVITE (20 ms of link delay aside).
    assert_eq!(ev.at, Duration::from_secs(32));
    // A retransmissions at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s: 7 INVITEs reached bob.
    let invites = sim
        .delivered()
        .iter()
        .filter(|(_, d)| d.bytes.starts_with(b"INVITE "))
        .count();
    assert_eq!(invites, 7);
}
