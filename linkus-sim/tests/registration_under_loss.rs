//! Registration keeps a live binding at the registrar for ten minutes of
//! refreshes over a link that loses 30 % of datagrams.

use std::time::Duration;

use linkus_sim::{LinkConfig, Sim};
use linkus_sip::ua::{RegistrationState, UaEvent};

#[test]
fn registration_refreshes_survive_30_percent_loss() {
    let mut sim = Sim::new(6, LinkConfig::lossy(0.3));
    let ua = sim.add_ua("1001", "10.0.0.1:5060");
    let reg = sim.add_registrar("pbx", "192.0.2.10:5060", "pbx.test");
    sim.registrar(reg).unwrap().max_expires = 60;
    sim.register(ua, reg, "1001").unwrap();
    let first = sim.run_until_event(Duration::from_secs(60), |_, e| {
        matches!(
            e.event,
            UaEvent::Registration {
                state: RegistrationState::Registered { .. },
                ..
            }
        )
    });
    assert!(first.is_some(), "never registered: {:?}", sim.ua_events(ua));
    let mut lapses = 0;
    for _ in 0..600 {
        sim.run_for(Duration::from_secs(1));
        let now = sim.now();
        if sim
            .registrar(reg)
            .unwrap()
            .bindings("sip:1001@pbx.test", now)
            .is_empty()
        {
            lapses += 1;
        }
    }
    // Refreshing at half of 60 s leaves 30 s (about 7 retransmission rounds)
    // of margin; over 30 % loss a refresh may still miss now and then.
    assert!(lapses <= 30, "binding missing for {lapses} of 600 s");
    assert!(
        sim.registrar(reg).unwrap().registers_seen >= 19,
        "refreshed about every 30 s"
    );
}
