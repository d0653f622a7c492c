//! baresip registers to Kamailio and auto-answers a SIPp call routed by
//! Kamailio; baresip dials a SIPp UAS when told to over ctrl_tcp.

use std::time::Duration;

use linkus_testkit::{Baresip, Kamailio, Sipp, Transport, sipp::scenario_path};

#[test]
fn baresip_auto_answers_an_authenticated_call_routed_by_kamailio() {
    let kamailio = Kamailio::start().unwrap();
    let phone = Baresip::builder(
        "1002",
        kamailio.password("1002").unwrap(),
        kamailio.udp_addr(),
    )
    .start()
    .unwrap();
    assert!(phone.is_registered().unwrap());

    let outcome = Sipp::scenario(scenario_path("uac_call_auth.xml"))
        .remote(kamailio.udp_addr())
        .service("1002")
        .key("caller", "1001")
        .auth("1001", kamailio.password("1001").unwrap())
        .call_duration(Duration::from_millis(300))
        .timeout(Duration::from_secs(15))
        .run()
        .unwrap();
    assert!(outcome.success(), "{}", outcome.report());
    // 407 challenge, then the answer; the last 200 answers the BYE.
    let statuses = outcome.received_statuses();
    assert_eq!(statuses.first(), Some(&407), "{}", outcome.report());
    assert!(statuses.ends_with(&[200, 200]), "{}", outcome.report());

    let established = phone
        .wait_event("CALL_ESTABLISHED", Duration::from_secs(5))
        .unwrap();
    assert!(
        established
            .peer_uri
            .as_deref()
            .unwrap_or("")
            .contains("1001"),
        "{established:?}"
    );
    phone
        .wait_event("CALL_CLOSED", Duration::from_secs(5))
        .unwrap();
}

#[test]
fn baresip_dials_a_sipp_uas_over_ctrl_tcp() {
    // No registrar needed: baresip dials the UAS's address directly.
    let mut uas = Sipp::scenario(scenario_path("uas_answer.xml"))
        .timeout(Duration::from_secs(15))
        .spawn()
        .unwrap();
    uas.wait_listening(Duration::from_secs(5)).unwrap();
    let uas_addr = uas.local_addr();
    let phone = Baresip::builder("1003", "unused", uas_addr)
        .no_register()
        .start()
        .unwrap();

    phone.dial(&format!("sip:uas@{uas_addr}")).unwrap();
    phone
        .wait_event("CALL_ESTABLISHED", Duration::from_secs(5))
        .unwrap();
    phone.hangup().unwrap();
    phone
        .wait_event("CALL_CLOSED", Duration::from_secs(5))
        .unwrap();

    let outcome = uas.wait(Duration::from_secs(10)).unwrap();
    assert!(outcome.success(), "{}", outcome.report());
    let lines = outcome.start_lines();
    assert!(
        lines.iter().any(|l| l.starts_with("INVITE ")),
        "{}",
        outcome.report()
    );
    assert!(
        lines.iter().any(|l| l.starts_with("BYE ")),
        "{}",
        outcome.report()
    );
}

#[test]
fn kamailio_routes_a_udp_call_to_baresip_registered_over_tcp() {
    let kamailio = Kamailio::start().unwrap();
    let phone = Baresip::builder(
        "1004",
        kamailio.password("1004").unwrap(),
        kamailio.tcp_addr(),
    )
    .transport(Transport::Tcp)
    .start()
    .unwrap();

    let outcome = Sipp::scenario(scenario_path("uac_call_auth.xml"))
        .remote(kamailio.udp_addr())
        .service("1004")
        .key("caller", "1005")
        .auth("1005", kamailio.password("1005").unwrap())
        .call_duration(Duration::from_millis(200))
        .run()
        .unwrap();
    assert!(outcome.success(), "{}", outcome.report());
    phone
        .wait_event("CALL_ESTABLISHED", Duration::from_secs(5))
        .unwrap();
    phone
        .wait_event("CALL_CLOSED", Duration::from_secs(5))
        .unwrap();
    assert!(phone.log().contains("TCP"), "{}", phone.log());
}
