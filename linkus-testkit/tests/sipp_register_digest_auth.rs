//! SIPp registers through Kamailio with digest authentication; a wrong
//! password is refused.

use linkus_testkit::{Kamailio, Sipp, Transport, sipp::scenario_path};

#[test]
fn register_with_the_right_password_gets_200_over_udp_and_tcp() {
    let kamailio = Kamailio::start().unwrap();
    let password = kamailio.password("1001").unwrap().to_owned();
    for transport in [Transport::Udp, Transport::Tcp] {
        let outcome = Sipp::scenario(scenario_path("register_auth.xml"))
            .remote(kamailio.addr(transport).unwrap())
            .transport(transport)
            .service("1001")
            .auth("1001", &password)
            .run()
            .unwrap();
        assert!(outcome.success(), "{transport:?}: {}", outcome.report());
        assert_eq!(outcome.successful_calls, 1, "{}", outcome.report());
        assert_eq!(
            outcome.received_statuses(),
            [401, 200],
            "{}",
            outcome.report()
        );
    }
}

#[test]
fn register_with_a_wrong_password_is_refused() {
    let kamailio = Kamailio::start().unwrap();
    // The scenario succeeds only if the authenticated REGISTER gets 401/403.
    let outcome = Sipp::scenario(scenario_path("register_auth_rejected.xml"))
        .remote(kamailio.udp_addr())
        .service("1001")
        .auth("1001", "not-the-password")
        .run()
        .unwrap();
    assert!(outcome.success(), "{}", outcome.report());
    let statuses = outcome.received_statuses();
    assert_eq!(statuses.first(), Some(&401), "{}", outcome.report());
    assert!(
        matches!(statuses.last(), Some(401 | 403)),
        "{}",
        outcome.report()
    );

    // And the success scenario fails with that password.
    let outcome = Sipp::scenario(scenario_path("register_auth.xml"))
        .remote(kamailio.udp_addr())
        .service("1001")
        .auth("1001", "not-the-password")
        .run()
        .unwrap();
    assert!(!outcome.success(), "{}", outcome.report());
    assert_eq!(outcome.successful_calls, 0, "{}", outcome.report());
}
