//! coturn starts from the kit's config, answers STUN Binding requests on
//! 127.0.0.1 and is gone after drop.

use std::time::Duration;

use linkus_testkit::coturn::{REALM, stun_binding};
use linkus_testkit::{Coturn, net};

#[test]
fn coturn_answers_binding_and_stops_on_drop() {
    let coturn = Coturn::start().unwrap();
    let port = stun_binding(coturn.addr(), Duration::from_secs(5));
    assert!(port.is_some_and(|p| p != 0), "{port:?}\n{}", coturn.log());
    let (lo, hi) = coturn.relay_ports();
    assert_eq!(hi - lo + 1, 16);
    assert_eq!(coturn.password("alice"), Some("secret"));
    let cfg = std::fs::read_to_string(coturn.dir().join("turnserver.conf")).unwrap();
    assert!(cfg.contains(&format!("realm={REALM}")) && cfg.contains("allow-loopback-peers"));
    let addr = coturn.addr();
    drop(coturn);
    assert!(
        !net::port_bound(addr.port()),
        "turnserver still bound to {addr}"
    );
}
