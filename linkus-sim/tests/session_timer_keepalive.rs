//! Session timers (RFC 4028) over the simulated network: with a 90 s
//! interval both sides keep a call alive for two hours of virtual time over
//! a lossy link, and when the refresher's refreshes stop getting through,
//! the other side sends BYE at the expiry minus min(32 s, interval/3).

use std::time::Duration;

use linkus_sim::{LinkConfig, NodeId, Sim, Timed};
use linkus_sip::message::typed::Transport;
use linkus_sip::ua::{EndReason, SessionEvent, SessionTimerConfig, UaConfig, UaEvent};

fn add(sim: &mut Sim, name: &str, addr: &str, seed: u64) -> NodeId {
    let mut cfg = UaConfig::new(Transport::Udp, addr.parse().unwrap(), seed);
    cfg.session_timer = Some(SessionTimerConfig {
        interval: 90,
        min_se: 90,
    });
    sim.add_ua_with(name, cfg)
}

fn ended(events: &[Timed]) -> Option<(Duration, EndReason)> {
    events.iter().find_map(|e| match &e.event {
        UaEvent::Session {
            event: SessionEvent::Ended { reason },
            ..
        } => Some((e.at, reason.clone())),
        _ => None,
    })
}

fn is_update(bytes: &[u8]) -> bool {
    bytes.starts_with(b"UPDATE ")
}

#[test]
fn both_sides_keep_a_90s_session_alive_for_two_hours_over_loss() {
    for seed in 0..3 {
        let mut sim = Sim::new(seed, LinkConfig::lossy(0.1));
        let alice = add(&mut sim, "alice", "10.0.0.1:5060", 11 + seed);
        let bob = add(&mut sim, "bob", "10.0.0.2:5060", 22 + seed);
        sim.set_auto_answer(bob, Some("v=0 answer"));
        let call = sim.call(alice, bob, "v=0 offer").unwrap();
        assert!(
            sim.run_until_event(Duration::from_secs(32), |n, e| n == alice
                && e.is_answered(call))
                .is_some(),
            "seed {seed}: not answered"
        );
        sim.run_for(Duration::from_secs(2 * 3600));
        assert_eq!(ended(sim.ua_events(alice)), None, "seed {seed}");
        assert_eq!(ended(sim.ua_events(bob)), None, "seed {seed}");
        // Alice (the caller, refresher=uac) refreshed about every 45 s.
        let bob_addr = sim.addr(bob);
        let mut refreshes: Vec<Vec<u8>> = sim
            .delivered()
            .iter()
            .filter(|(_, d)| d.to == bob_addr && is_update(&d.bytes))
            .map(|(_, d)| d.bytes.clone())
            .collect();
        refreshes.dedup();
        refreshes.sort();
        refreshes.dedup();
        assert!(
            (155..=165).contains(&refreshes.len()),
            "seed {seed}: {} refreshes",
            refreshes.len()
        );
        // Nothing of it reached the application as an offer.
        for node in [alice, bob] {
            assert!(!sim.ua_events(node).iter().any(|e| matches!(
                e.event,
                UaEvent::Session {
                    event: SessionEvent::Offer { .. } | SessionEvent::OfferAnswered { .. },
                    ..
                }
            )));
        }
    }
}

#[test]
fn when_refreshes_stop_the_other_side_byes_at_expiry_minus_min_32s_third() {
    let mut sim = Sim::new(7, LinkConfig::perfect());
    let alice = add(&mut sim, "alice", "10.0.0.1:5060", 1);
    let bob = add(&mut sim, "bob", "10.0.0.2:5060", 2);
    sim.set_auto_answer(bob, Some("v=0 answer"));
    let call = sim.call(alice, bob, "v=0 offer").unwrap();
    sim.run_for(Duration::from_secs(600));
    // Alice's refreshes stop reaching Bob.
    sim.set_drop_filter(|d| is_update(&d.bytes));
    sim.run_for(Duration::from_secs(300));
    let bob_addr = sim.addr(bob);
    let last_refresh = sim
        .delivered()
        .iter()
        .rev()
        .find(|(_, d)| d.to == bob_addr && is_update(&d.bytes))
        .map(|(at, _)| *at)
        .unwrap();
    let (at, reason) = ended(sim.ua_events(bob)).expect("bob ended the call");
    assert_eq!(reason, EndReason::SessionExpired);
    // 90 s interval: BYE 90 − min(32, 30) = 60 s after the last refresh.
    assert_eq!(at, last_refresh + Duration::from_secs(60));
    let bye_from_bob = sim
        .delivered()
        .iter()
        .find(|(_, d)| d.to != bob_addr && d.bytes.starts_with(b"BYE "))
        .map(|(t, _)| *t);
    assert_eq!(bye_from_bob, Some(at + Duration::from_millis(20)));
    assert!(ended(sim.ua_events(alice)).is_some());
    let _ = call;
}
