//! Kamailio starts from the kit's config and answers OPTIONS on UDP and TCP.

use std::time::Duration;

use linkus_testkit::{Kamailio, net};

#[test]
fn kamailio_answers_options_over_udp_and_tcp() {
    let kamailio = Kamailio::start().unwrap();
    let udp = net::options_udp(kamailio.udp_addr(), Duration::from_secs(5)).unwrap();
    assert_eq!(udp, 200);
    let tcp = net::options_tcp(kamailio.tcp_addr(), Duration::from_secs(5)).unwrap();
    assert_eq!(tcp, 200);
    assert!(
        kamailio.log().contains("main(): processes"),
        "{}",
        kamailio.log()
    );
}
