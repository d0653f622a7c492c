//! The dial plan against FEATURES D4 (DOD feature codes, the manual's own
//! examples), D14 (outbound prefixes) and D15 (emergency numbers).

use linkus_core::{
    DialError, DialOptions, DialPlan, DialTarget, DodDial, EmergencyRoute, Error, OutboundPrefixes,
    PrefixSource,
};

fn plan() -> DialPlan {
    DialPlan::new()
        .with_emergency_numbers(["112", "911", "110", "120"])
        .unwrap()
        .with_dod_feature_code("085")
        .unwrap()
}

fn pbx(user: &str) -> DialTarget {
    DialTarget::Pbx {
        user: user.into(),
        dod: None,
    }
}

#[test]
fn normalisation_table() {
    let none = DialOptions::default();
    let cases: &[(&str, DialTarget)] = &[
        ("1002", pbx("1002")),
        ("  1002 ", pbx("1002")),
        ("+86 (10) 8888-1234", pbx("+861088881234")),
        ("+1.415.555.0100", pbx("+14155550100")),
        ("0755\u{a0}8888\t1234", pbx("075588881234")),
        ("*72", pbx("*72")),
        ("#31#", pbx("#31#")),
        ("tel:+1-415-555-0100", pbx("+14155550100")),
        (
            "TEL:+1-415-555-0100;phone-context=example.com",
            pbx("+14155550100"),
        ),
        ("alice", pbx("alice")),
        ("sales.team", pbx("sales.team")),
        (
            "sip:alice@example.com",
            DialTarget::Uri("sip:alice@example.com".into()),
        ),
        (
            "SIP:alice@example.com:5070;transport=tcp",
            DialTarget::Uri("sip:alice@example.com:5070;transport=tcp".into()),
        ),
        (
            "sips:bob@[2001:db8::1]",
            DialTarget::Uri("sips:bob@[2001:db8::1]".into()),
        ),
        (
            "1002@pbx.example.com",
            DialTarget::Uri("sip:1002@pbx.example.com".into()),
        ),
        (
            "sip:pbx.example.com",
            DialTarget::Uri("sip:pbx.example.com".into()),
        ),
        // Another feature code: passed to the PBX as it is.
        ("*086*124", pbx("*086*124")),
    ];
    for (input, expected) in cases {
        assert_eq!(
            plan().resolve(input, &none).as_ref(),
            Ok(expected),
            "{input:?}"
        );
    }
}

#[test]
fn bad_input_table() {
    let none = DialOptions::default();
    let cases: &[(&str, DialError)] = &[
        ("", DialError::Empty),
        ("   ", DialError::Empty),
        ("( - )", DialError::Empty),
        ("+", DialError::Empty),
        (
            "1-800-FLOWERS",
            DialError::InvalidCharacter {
                ch: 'F',
                position: 6,
            },
        ),
        (
            "555,1234",
            DialError::InvalidCharacter {
                ch: ',',
                position: 3,
            },
        ),
        ("10+02", DialError::MisplacedPlus),
        (
            "alice smith",
            DialError::InvalidCharacter {
                ch: ' ',
                position: 5,
            },
        ),
        ("tel:", DialError::InvalidUri),
        (
            "tel:12a",
            DialError::InvalidCharacter {
                ch: 'a',
                position: 6,
            },
        ),
        ("sip:@example.com", DialError::InvalidUri),
        ("sip:alice@", DialError::InvalidUri),
        ("sip:alice@exa mple.com", DialError::InvalidUri),
        ("sip:alice@bad_host", DialError::InvalidUri),
        ("alice@", DialError::InvalidUri),
        (
            "tel:1@example.com",
            DialError::InvalidCharacter {
                ch: '@',
                position: 5,
            },
        ),
        ("http:x@example.com", DialError::InvalidUri),
    ];
    for (input, reason) in cases {
        assert_eq!(
            plan().resolve(input, &none),
            Err(Error::InvalidNumber {
                input: (*input).into(),
                reason: *reason
            }),
            "{input:?}"
        );
    }
    let long = "1".repeat(65);
    assert!(matches!(
        plan().resolve(&long, &none),
        Err(Error::InvalidNumber {
            reason: DialError::TooLong,
            ..
        })
    ));
    let long_uri = format!("sip:{}@example.com", "a".repeat(600));
    assert!(matches!(
        plan().resolve(&long_uri, &none),
        Err(Error::InvalidNumber {
            reason: DialError::TooLong,
            ..
        })
    ));
}

/// FEATURES D4 and the manual's examples.
#[test]
fn dod_feature_codes() {
    let none = DialOptions::default();
    let cases: &[(&str, DodDial)] = &[
        ("*085*124", DodDial::SetDefault { dod: "124".into() }),
        (
            "*085*5503302",
            DodDial::SetDefault {
                dod: "5503302".into(),
            },
        ),
        (
            "*085*124*861088881234",
            DodDial::ForCall {
                dod: "124".into(),
                number: "861088881234".into(),
            },
        ),
        (
            "*085*5503302*861088881234",
            DodDial::ForCall {
                dod: "5503302".into(),
                number: "861088881234".into(),
            },
        ),
    ];
    for (input, dod) in cases {
        assert_eq!(
            plan().resolve(input, &none),
            Ok(DialTarget::Pbx {
                user: (*input).into(),
                dod: Some(dod.clone())
            }),
            "{input}"
        );
    }
    // Without a configured code, `*085*124` is just a feature code.
    assert_eq!(
        DialPlan::new().resolve("*085*124", &none),
        Ok(pbx("*085*124"))
    );
    // A DOD picked per call dials the same string as typing it.
    let typed = plan().resolve("*085*124*861088881234", &none).unwrap();
    let picked = plan()
        .resolve(
            "86 10 8888 1234",
            &DialOptions {
                prefix: None,
                dod: Some("124"),
            },
        )
        .unwrap();
    assert_eq!(picked, typed);
    // A DOD without the server's code, or not digits, or on a URI.
    for (plan, input, dod, reason) in [
        (DialPlan::new(), "1002", "124", DialError::NoDodFeatureCode),
        (plan(), "1002", "12a", DialError::InvalidDod),
        (plan(), "1002", "", DialError::InvalidDod),
        (plan(), "sip:a@example.com", "124", DialError::NotANumber),
        (plan(), "*085*124", "124", DialError::NotANumber),
    ] {
        assert_eq!(
            plan.resolve(
                input,
                &DialOptions {
                    prefix: None,
                    dod: Some(dod)
                }
            ),
            Err(Error::InvalidNumber {
                input: input.into(),
                reason
            }),
            "{input} with DOD {dod:?}"
        );
    }
    assert!(matches!(
        DialPlan::new().with_dod_feature_code("08a"),
        Err(Error::InvalidSetting {
            setting: "dod_feature_code",
            ..
        })
    ));
    assert_eq!(
        DialPlan::new().with_dod_feature_code("*085").unwrap(),
        plan_with_code_only()
    );
}

fn plan_with_code_only() -> DialPlan {
    DialPlan::new().with_dod_feature_code("085").unwrap()
}

/// FEATURES D15.
#[test]
fn emergency_numbers() {
    let none = DialOptions::default();
    let mut prefixes = OutboundPrefixes::default();
    prefixes.add("Outside line", "9").unwrap();
    let nine = DialOptions {
        prefix: prefixes.get("Outside line"),
        dod: Some("124"),
    };
    for via_phone in [false, true] {
        let plan = plan().with_emergency_via_phone(via_phone);
        let route = if via_phone {
            EmergencyRoute::PhoneDialler
        } else {
            EmergencyRoute::Pbx
        };
        let emergency = DialTarget::Emergency {
            number: "112".into(),
            route,
        };
        for input in ["112", " 1 1 2 ", "tel:112", "*085*124*112"] {
            assert_eq!(
                plan.resolve(input, &none).as_ref(),
                Ok(&emergency),
                "{input}"
            );
        }
        // No prefix and no DOD is ever added to an emergency number.
        assert_eq!(plan.resolve("112", &nine).as_ref(), Ok(&emergency));
        // Not emergency: longer numbers that contain one, URIs.
        assert_eq!(plan.resolve("1120", &none), Ok(pbx("1120")));
        assert_eq!(
            plan.resolve("sip:112@pbx.example.com", &none),
            Ok(DialTarget::Uri("sip:112@pbx.example.com".into()))
        );
    }
    // Without a list nothing is an emergency number.
    assert_eq!(DialPlan::new().resolve("112", &none), Ok(pbx("112")));
    assert!(matches!(
        DialPlan::new().with_emergency_numbers(["112", "police"]),
        Err(Error::InvalidSetting {
            setting: "emergency_numbers",
            ..
        })
    ));
}

/// FEATURES D14.
#[test]
fn outbound_prefixes() {
    let mut prefixes = OutboundPrefixes::default();
    prefixes
        .set_admin([("Trunk A", "9"), ("China", "0086")])
        .unwrap();
    prefixes.add("Long distance", "0").unwrap();
    prefixes.add("Intl", "+").unwrap_err();
    prefixes.add("Plus", "+44").unwrap();
    assert_eq!(
        prefixes
            .list()
            .iter()
            .map(|p| (p.name.as_str(), p.source))
            .collect::<Vec<_>>(),
        [
            ("Trunk A", PrefixSource::Admin),
            ("China", PrefixSource::Admin),
            ("Long distance", PrefixSource::User),
            ("Plus", PrefixSource::User),
        ]
    );
    let with = |name| DialOptions {
        prefix: prefixes.get(name),
        dod: None,
    };
    let cases: &[(&str, &str, DialTarget)] = &[
        ("10 8888 1234", "china", pbx("00861088881234")),
        ("8888 1234", "TRUNK A", pbx("988881234")),
        ("+8610 8888 1234", "Trunk A", pbx("9+861088881234")),
        ("20 7946 0958", "plus", pbx("+442079460958")),
    ];
    for (input, prefix, expected) in cases {
        assert_eq!(
            plan().resolve(input, &with(prefix)).as_ref(),
            Ok(expected),
            "{prefix} {input}"
        );
    }
    // With a prefix and a DOD: the prefix goes on the number inside the code.
    assert_eq!(
        plan().resolve(
            "10 8888 1234",
            &DialOptions {
                prefix: prefixes.get("China"),
                dod: Some("124")
            }
        ),
        Ok(DialTarget::Pbx {
            user: "*085*124*00861088881234".into(),
            dod: Some(DodDial::ForCall {
                dod: "124".into(),
                number: "00861088881234".into()
            }),
        })
    );
    // Prefixes are for numbers only.
    for input in ["sip:alice@example.com", "alice", "*72"] {
        assert_eq!(
            plan().resolve(input, &with("China")),
            Err(Error::InvalidNumber {
                input: input.into(),
                reason: DialError::NotANumber
            }),
            "{input}"
        );
    }

    // Editing rules.
    let invalid = |r: Result<(), Error>| match r {
        Err(Error::InvalidSetting { setting, .. }) => setting,
        other => panic!("expected InvalidSetting, got {other:?}"),
    };
    assert_eq!(
        invalid(prefixes.edit("China", "PRC", "86")),
        "outbound_prefix"
    );
    assert_eq!(invalid(prefixes.delete("Trunk A")), "outbound_prefix");
    assert_eq!(invalid(prefixes.delete("nope")), "outbound_prefix");
    assert_eq!(invalid(prefixes.add("china", "1")), "outbound_prefix.name");
    assert_eq!(invalid(prefixes.add("", "1")), "outbound_prefix.name");
    assert_eq!(
        invalid(prefixes.add("tab\tname", "1")),
        "outbound_prefix.name"
    );
    assert_eq!(
        invalid(prefixes.add("Letters", "9a")),
        "outbound_prefix.digits"
    );
    assert_eq!(invalid(prefixes.add("Empty", "")), "outbound_prefix.digits");
    assert_eq!(
        invalid(prefixes.add("Long", &"1".repeat(17))),
        "outbound_prefix.digits"
    );
    assert_eq!(
        invalid(prefixes.add("Plus inside", "1+1")),
        "outbound_prefix.digits"
    );
    assert_eq!(
        invalid(prefixes.edit("Plus", "China", "1")),
        "outbound_prefix.name"
    );
    prefixes
        .edit("Long distance", "Long distance", "0 0")
        .unwrap();
    assert_eq!(prefixes.get("long distance").unwrap().digits, "00");

    // The user prefixes survive a round trip through a setting value; the
    // administrator's come from the PBX again.
    let value = prefixes.user_setting();
    let mut again = OutboundPrefixes::default();
    again
        .set_admin([("Trunk A", "9"), ("China", "0086")])
        .unwrap();
    again.load_user_setting(&value).unwrap();
    assert_eq!(again, prefixes);
    prefixes.delete("Plus").unwrap();
    assert!(prefixes.get("plus").is_none());
    // A new admin list drops a user prefix of the same name.
    prefixes.set_admin([("Long distance", "1")]).unwrap();
    assert_eq!(prefixes.list().len(), 1);
    assert_eq!(
        prefixes.get("Long distance").unwrap().source,
        PrefixSource::Admin
    );
}

#[test]
fn user_prefixes_persist_per_account() {
    use linkus_core::{AccountId, AccountProfile, MemoryStore, ServerSpec, Store};
    let store = MemoryStore::new();
    let profile = AccountProfile {
        username: "1001".into(),
        auth_name: None,
        display_name: None,
        server: ServerSpec::parse("pbx.example.com").unwrap(),
    };
    let a = store.insert_account(&profile, true).unwrap();
    let b = store.insert_account(&profile, true).unwrap();
    let mut prefixes = OutboundPrefixes::default();
    prefixes.set_admin([("Trunk", "9")]).unwrap();
    prefixes.add("Intl", "00").unwrap();
    prefixes.save_user(&store, a).unwrap();

    let mut loaded = OutboundPrefixes::default();
    loaded.set_admin([("Trunk", "9")]).unwrap();
    loaded.load_user(&store, a).unwrap();
    assert_eq!(loaded, prefixes);
    let mut other = OutboundPrefixes::default();
    other.load_user(&store, b).unwrap();
    assert!(other.list().is_empty());
    // A stored value that does not validate is a typed error.
    store
        .set_setting(Some(a), "outbound_prefixes.user", "Bad\tx9")
        .unwrap();
    assert!(matches!(
        OutboundPrefixes::default().load_user(&store, a),
        Err(Error::InvalidSetting {
            setting: "outbound_prefix.digits",
            ..
        })
    ));
    assert_eq!(
        OutboundPrefixes::default().save_user(&store, AccountId(99)),
        Err(Error::AccountNotFound(AccountId(99)))
    );
}
