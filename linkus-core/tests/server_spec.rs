//! Server addresses of the sign-in form (FEATURES A2): SN, domain, IP and
//! port, custom settings with the LAN/remote rule.

use linkus_core::{Error, Host, HostPort, LocalInterface, ServerError, ServerSpec, ServerTarget};

fn iface(addr: &str, prefix_len: u8) -> LocalInterface {
    LocalInterface {
        addr: addr.parse().unwrap(),
        prefix_len,
    }
}

#[test]
fn parse_table() {
    // input, Display of the result
    let ok = [
        ("pbx.example.com", "pbx.example.com"),
        (" PBX.Example.com ", "pbx.example.com"),
        ("pbx.example.com:5070", "pbx.example.com:5070"),
        ("192.0.2.10:5060", "192.0.2.10:5060"),
        ("192.0.2.10", "192.0.2.10"),
        ("2001:db8::1", "[2001:db8::1]"),
        ("[2001:db8::1]:5061", "[2001:db8::1]:5061"),
        ("localhost", "localhost"),
        ("pbx", "pbx"),
        ("server01", "server01"), // starts with a letter: a host, not an SN
        ("3631A1234567", "3631A1234567"),
        ("3631a1234567", "3631A1234567"),
        ("12345678", "12345678"),
    ];
    for (input, shown) in ok {
        let spec = ServerSpec::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(spec.to_string(), shown, "{input}");
    }
    assert!(matches!(
        ServerSpec::parse("3631A1234567").unwrap(),
        ServerSpec::Sn(_)
    ));
    assert!(matches!(
        ServerSpec::parse("server01").unwrap(),
        ServerSpec::Host(_)
    ));
    assert!(matches!(
        ServerSpec::parse("1234567").unwrap(),
        ServerSpec::Host(_)
    )); // 7 chars

    let bad = [
        ("", ServerError::Empty),
        ("   ", ServerError::Empty),
        ("pbx.example.com:0", ServerError::InvalidPort),
        ("pbx.example.com:65536", ServerError::InvalidPort),
        ("pbx.example.com:50a", ServerError::InvalidPort),
        ("pbx.example.com:", ServerError::InvalidPort),
        ("192.0.2.10:+80", ServerError::InvalidPort),
        ("[2001:db8::1]5060", ServerError::InvalidPort),
        ("192.0.2.300", ServerError::InvalidHost),
        ("192.0.2.300:5060", ServerError::InvalidHost),
        ("pbx_example.com", ServerError::InvalidHost),
        ("-pbx.example.com", ServerError::InvalidHost),
        ("pbx..example.com", ServerError::InvalidHost),
        ("pbx.example.com.", ServerError::InvalidHost),
        ("sip:pbx.example.com", ServerError::InvalidHost),
        ("pbx example.com", ServerError::InvalidHost),
        ("[2001:db8::1", ServerError::InvalidHost),
        ("[pbx]:5060", ServerError::InvalidHost),
        ("2001:db8::1:5060:x", ServerError::InvalidHost),
    ];
    for (input, reason) in bad {
        assert_eq!(
            ServerSpec::parse(input),
            Err(Error::InvalidServer {
                input: input.into(),
                reason
            }),
            "{input}"
        );
    }
    assert_eq!(
        ServerSpec::sn("3631A12"),
        Err(Error::InvalidServer {
            input: "3631A12".into(),
            reason: ServerError::InvalidSn
        })
    );
    assert_eq!(
        ServerSpec::sn("3631-A1234567"),
        Err(Error::InvalidServer {
            input: "3631-A1234567".into(),
            reason: ServerError::InvalidSn
        })
    );
}

#[test]
fn custom_settings_validation() {
    assert_eq!(
        ServerSpec::custom(Some("pbx.lan"), Some("203.0.113.7:5060")),
        Err(Error::InvalidServer {
            input: "pbx.lan".into(),
            reason: ServerError::LanNotIp
        })
    );
    assert_eq!(
        ServerSpec::custom(None, Some("  ")),
        Err(Error::InvalidServer {
            input: String::new(),
            reason: ServerError::NoAddress
        })
    );
    assert!(matches!(
        ServerSpec::custom(Some("192.168.1.20:99999"), None),
        Err(Error::InvalidServer {
            reason: ServerError::InvalidPort,
            ..
        })
    ));
    let only_remote = ServerSpec::custom(None, Some("pbx.example.com:35060")).unwrap();
    assert_eq!(
        only_remote
            .route(&[iface("192.168.1.5", 24)])
            .unwrap()
            .to_string(),
        "pbx.example.com:35060"
    );
}

#[test]
fn lan_when_on_the_same_network_else_remote() {
    let spec = ServerSpec::custom(Some("192.168.1.20:5060"), Some("203.0.113.7:35060")).unwrap();
    let lan = "192.168.1.20:5060";
    let remote = "203.0.113.7:35060";
    let cases: &[(&[LocalInterface], &str)] = &[
        // Office Wi-Fi.
        (&[iface("192.168.1.57", 24)], lan),
        // A /16 that holds the PBX.
        (&[iface("192.168.200.1", 16)], lan),
        // Cellular only.
        (&[iface("10.64.3.9", 30)], remote),
        // A home network with the same first three octets but a /25 that
        // excludes .20? No: .20 is in 192.168.1.0/25. Use .128/25 instead.
        (&[iface("192.168.1.200", 25)], remote),
        // Cellular and office VPN together: the VPN interface matches.
        (&[iface("10.64.3.9", 30), iface("192.168.1.99", 24)], lan),
        // IPv6 only.
        (&[iface("2001:db8::5", 64)], remote),
        // No interfaces at all (offline): the remote one.
        (&[], remote),
        // A /0 contains everything (a default-route VPN): counts as on the LAN.
        (&[iface("172.16.0.2", 0)], lan),
        // A /32 on another host does not.
        (&[iface("192.168.1.21", 32)], remote),
    ];
    for (interfaces, expected) in cases {
        assert_eq!(
            spec.route(interfaces).unwrap().to_string(),
            *expected,
            "{interfaces:?}"
        );
    }
    // Candidates give the fallback second.
    let c = spec.candidates(&[iface("10.64.3.9", 30)]);
    assert_eq!(
        c.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [remote, lan]
    );
    let c = spec.candidates(&[iface("192.168.1.57", 24)]);
    assert_eq!(
        c.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [lan, remote]
    );
}

#[test]
fn ipv6_lan() {
    let spec = ServerSpec::custom(Some("[fd00:1::20]:5060"), Some("pbx.example.com")).unwrap();
    assert_eq!(
        spec.route(&[iface("fd00:1::77", 64)]).unwrap().to_string(),
        "[fd00:1::20]:5060"
    );
    assert_eq!(
        spec.route(&[iface("fd00:2::77", 64)]).unwrap().to_string(),
        "pbx.example.com"
    );
}

#[test]
fn sn_and_host_routes() {
    assert_eq!(
        ServerSpec::parse("3631A1234567").unwrap().route(&[]),
        Ok(ServerTarget::ResolveSn("3631A1234567".into()))
    );
    assert_eq!(
        ServerSpec::parse("pbx.example.com:5070")
            .unwrap()
            .route(&[]),
        Ok(ServerTarget::Connect(HostPort {
            host: Host::Name("pbx.example.com".into()),
            port: Some(5070)
        }))
    );
    // Custom settings built by hand with no address.
    assert_eq!(
        ServerSpec::Custom {
            lan: None,
            remote: None
        }
        .route(&[]),
        Err(Error::InvalidServer {
            input: String::new(),
            reason: ServerError::NoAddress
        })
    );
}
