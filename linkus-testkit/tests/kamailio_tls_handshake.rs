//! Kamailio listens on TLS with a certificate of a CA generated at test
//! time: `openssl s_client` verifies the chain and the IP address, and an
//! OPTIONS sent over the TLS connection gets 200.

use std::time::Duration;

use linkus_testkit::{Kamailio, net, tls};

#[test]
fn kamailio_tls_handshake_verifies_and_answers_options() {
    let kamailio = Kamailio::builder().enable_tls().start().unwrap();
    let addr = kamailio.tls_addr().unwrap();
    let ca = &kamailio.certs().unwrap().ca_cert;

    let probe = tls::tls_options(addr, ca, Duration::from_secs(10)).unwrap();
    assert!(probe.verified, "{probe:?}");
    assert_eq!(probe.status, 200, "{probe:?}");

    // UDP still works beside TLS.
    assert_eq!(
        net::options_udp(kamailio.udp_addr(), Duration::from_secs(5)).unwrap(),
        200
    );
}
