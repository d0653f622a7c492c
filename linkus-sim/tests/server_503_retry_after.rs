//! A registrar answers 503 with Retry-After: the UA waits exactly that long
//! before trying again, then registers.

use std::time::Duration;

use linkus_sim::{LinkConfig, Sim};
use linkus_sip::ua::{RegistrationState, UaEvent};

#[test]
fn server_503_with_retry_after_is_honoured() {
    let mut sim = Sim::new(8, LinkConfig::perfect());
    let ua = sim.add_ua("1001", "10.0.0.1:5060");
    let reg = sim.add_registrar("pbx", "192.0.2.10:5060", "pbx.test");
    sim.registrar(reg).unwrap().fail_next(503, Some(20), None);
    sim.register(ua, reg, "1001").unwrap();
    let (_, registered) = sim
        .run_until_event(Duration::from_secs(60), |_, e| {
            matches!(
                e.event,
                UaEvent::Registration {
                    state: RegistrationState::Registered { .. },
                    ..
                }
            )
        })
        .unwrap();
    let states: Vec<_> = sim
        .ua_events(ua)
        .iter()
        .filter_map(|e| match &e.event {
            UaEvent::Registration { state, .. } => Some((e.at, state.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        states[0],
        (
            Duration::from_millis(40),
            RegistrationState::Failed {
                status: Some(503),
                retry_in: Some(Duration::from_secs(20))
            }
        )
    );
    // 20 s after the 503, plus one round trip.
    assert_eq!(registered.at, Duration::from_millis(20_080));
    assert_eq!(sim.registrar(reg).unwrap().registers_seen, 2);
}
