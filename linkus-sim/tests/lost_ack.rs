//! The caller's ACKs are lost. For a 2xx the callee retransmits the 200
//! (T1 doubling up to T2) and gives up after 64·T1 with a BYE; for a
//! non-2xx the server transaction retransmits on timer G until timer H.

use std::time::Duration;

use linkus_sim::{LinkConfig, Sim};
use linkus_sip::ua::{EndReason, SessionEvent, UaEvent};

#[test]
fn lost_ack_for_2xx_makes_the_callee_retransmit_then_hang_up() {
    let mut sim = Sim::new(2, LinkConfig::perfect());
    let alice = sim.add_ua("alice", "10.0.0.1:5060");
    let bob = sim.add_ua("bob", "10.0.0.2:5060");
    sim.set_auto_answer(bob, Some("v=0"));
    let alice_addr = sim.addr(alice);
    sim.set_drop_filter(move |d| d.from == alice_addr && d.bytes.starts_with(b"ACK "));
    let call = sim.call(alice, bob, "v=0").unwrap();
    sim.run_for(Duration::from_secs(40));
    // The 200 reached alice at 0.04 s and was retransmitted at +0.5, +1.5, +3.5,
    // +7.5, then every 4 s until 64·T1 = 32 s.
    let oks: Vec<Duration> = sim
        .delivered()
        .iter()
        .filter(|(_, d)| {
            d.bytes.starts_with(b"SIP/2.0 200 ")
                && d.to == alice_addr
                && String::from_utf8_lossy(&d.bytes).contains("INVITE")
        })
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(oks.len(), 11, "{oks:?}");
    let gaps: Vec<u64> = oks
        .windows(2)
        .map(|w| (w[1] - w[0]).as_millis() as u64)
        .collect();
    assert_eq!(
        gaps,
        [500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000]
    );
    // Bob gave up: ended with a timeout, and sent a BYE that alice answered.
    assert!(sim.ua_events(bob).iter().any(|e| matches!(
        &e.event,
        UaEvent::Session {
            event: SessionEvent::Ended {
                reason: EndReason::Timeout
            },
            ..
        }
    )));
    assert!(
        sim.delivered()
            .iter()
            .any(|(_, d)| d.bytes.starts_with(b"BYE ") && d.to == alice_addr)
    );
    assert!(sim.ua_events(alice).iter().any(|e| matches!(
        e.session_event(call),
        Some(SessionEvent::Ended {
            reason: EndReason::RemoteBye
        })
    )));
}

#[test]
fn lost_ack_for_486_retransmits_on_timer_g_until_timer_h() {
    let mut sim = Sim::new(3, LinkConfig::perfect());
    let alice = sim.add_ua("alice", "10.0.0.1:5060");
    let bob = sim.add_ua("bob", "10.0.0.2:5060");
    let alice_addr = sim.addr(alice);
    sim.set_drop_filter(move |d| d.from == alice_addr && d.bytes.starts_with(b"ACK "));
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
    sim.ua(bob).unwrap().reject(now, session, 486).unwrap();
    sim.run_for(Duration::from_secs(40));
    let busy = sim
        .delivered()
        .iter()
        .filter(|(_, d)| d.bytes.starts_with(b"SIP/2.0 486 "))
        .count();
    // Timer G: 0, 0.5, 1.5, 3.5, 7.5, 11.5, … 31.5 s → 11 transmissions before H at 32 s.
    assert_eq!(busy, 11);
    assert!(sim.ua_events(alice).iter().any(|e| e.session_event(call)
        == Some(&SessionEvent::Ended {
            reason: EndReason::Rejected { status: 486 }
        })));
}
