//! A UA behind NAT learns its public address from `received`/`rport`, and
//! learns the new one after the NAT rebinds its mapping.

use std::time::Duration;

use linkus_sim::{LinkConfig, Sim};
use linkus_sip::ua::{RegistrationState, UaEvent};

#[test]
fn nat_rebinding_is_learnt_through_rport() {
    let mut sim = Sim::new(7, LinkConfig::perfect());
    let ua = sim.add_ua("1001", "192.168.1.20:5060");
    sim.set_nat(ua, "203.0.113.5:40001");
    let reg = sim.add_registrar("pbx", "192.0.2.10:5060", "pbx.test");
    sim.registrar(reg).unwrap().max_expires = 60;
    sim.register(ua, reg, "1001").unwrap();
    let (_, ev) = sim
        .run_until_event(Duration::from_secs(5), |_, e| {
            matches!(
                e.event,
                UaEvent::Registration {
                    state: RegistrationState::Registered { .. },
                    ..
                }
            )
        })
        .unwrap();
    let UaEvent::Registration {
        state: RegistrationState::Registered { contact, .. },
        ..
    } = ev.event
    else {
        unreachable!()
    };
    assert_eq!(contact, "203.0.113.5:40001".parse().unwrap());
    let now = sim.now();
    let contacts: Vec<String> = sim
        .registrar(reg)
        .unwrap()
        .bindings("sip:1001@pbx.test", now)
        .into_iter()
        .map(|b| b.contact)
        .collect();
    assert_eq!(contacts, ["sip:1001@203.0.113.5:40001"]);
    // The NAT rebinds: the next refresh comes from a new port.
    sim.set_nat(ua, "203.0.113.5:40777");
    sim.run_for(Duration::from_secs(35));
    let now = sim.now();
    let contacts: Vec<String> = sim
        .registrar(reg)
        .unwrap()
        .bindings("sip:1001@pbx.test", now)
        .into_iter()
        .map(|b| b.contact)
        .collect();
    assert!(
        contacts.contains(&"sip:1001@203.0.113.5:40777".to_owned()),
        "{contacts:?}"
    );
}
