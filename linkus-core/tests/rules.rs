//! Call waiting (D13), auto-answer (D16), paging/intercom (D17): header
//! detection on real-world header values and the decision table.

use std::time::Duration;

use linkus_core::{
    AccountConfig, Accounts, AutoAnswer, CallSettings, Error, IncomingCall, IncomingDecision,
    Intercom, IntercomSource, MemorySecretStore, PagingAutoAnswer, Secret, ServerSpec, SqliteStore,
    Store, decide_incoming, detect_intercom,
};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Header `(name, value)` pairs of one INVITE.
type Headers<'a> = &'a [(&'a str, &'a str)];
/// The header that asks and the delay in seconds.
type Expected = Option<(IntercomSource, u64)>;

#[test]
fn intercom_headers_from_real_systems() {
    use IntercomSource::*;
    let cases: &[(Headers<'_>, Expected)] = &[
        // Asterisk / FreePBX paging (SIPAddHeader / PJSIP_HEADER), Yeastar.
        (
            &[("Call-Info", "<sip:192.0.2.10>;answer-after=0")],
            Some((CallInfo, 0)),
        ),
        (
            &[("Call-Info", "<uri>;answer-after=0")],
            Some((CallInfo, 0)),
        ),
        (&[("Call-Info", ";answer-after=0")], Some((CallInfo, 0))),
        (&[("Call-Info", "answer-after=0")], Some((CallInfo, 0))),
        (
            &[("call-info", "<sip:pbx.example.com>; Answer-After = 5")],
            Some((CallInfo, 5)),
        ),
        // A photo Call-Info first, the answer-after element second.
        (
            &[(
                "Call-Info",
                "<http://example.com/alice.jpg>;purpose=icon, <sip:192.0.2.10>;answer-after=2",
            )],
            Some((CallInfo, 2)),
        ),
        // A large delay is held to the 60 s bound.
        (
            &[("Call-Info", "<sip:x>;answer-after=600")],
            Some((CallInfo, 60)),
        ),
        // Polycom / Yealink / Snom / Cisco style.
        (
            &[(
                "Alert-Info",
                "<http://www.notused.com>;info=alert-autoanswer;delay=0",
            )],
            Some((AlertInfo, 0)),
        ),
        (
            &[(
                "Alert-Info",
                "<http://www.notused.com>;info=alert-autoanswer;delay=3",
            )],
            Some((AlertInfo, 3)),
        ),
        (
            &[("Alert-Info", "info=alert-autoanswer")],
            Some((AlertInfo, 0)),
        ),
        (
            &[("Alert-Info", "<http://127.0.0.1>;info=intercom")],
            Some((AlertInfo, 0)),
        ),
        (&[("Alert-Info", "Ring Answer")], Some((AlertInfo, 0))),
        (&[("Alert-Info", "Auto Answer")], Some((AlertInfo, 0))),
        (&[("Alert-Info", "intercom")], Some((AlertInfo, 0))),
        (
            &[("Alert-Info", "<http://www.notused.com>;info=Auto Answer")],
            Some((AlertInfo, 0)),
        ),
        // RFC 5373.
        (&[("Answer-Mode", "Auto")], Some((AnswerMode, 0))),
        (&[("Answer-Mode", "auto;require")], Some((AnswerMode, 0))),
        (&[("Priv-Answer-Mode", "Auto")], Some((PrivAnswerMode, 0))),
        // Priority order: Priv-Answer-Mode before Call-Info before Alert-Info.
        (
            &[
                ("Alert-Info", "Ring Answer"),
                ("Call-Info", "<sip:x>;answer-after=4"),
            ],
            Some((CallInfo, 4)),
        ),
        (
            &[
                ("Call-Info", "<sip:x>;answer-after=4"),
                ("Priv-Answer-Mode", "Auto"),
            ],
            Some((PrivAnswerMode, 0)),
        ),
        // Not intercom: distinctive ringing, photos, manual answer, junk.
        (&[("Alert-Info", "<http://127.0.0.1/Bellcore-dr2>")], None),
        (
            &[("Alert-Info", "<http://www.notused.com>;info=ring2")],
            None,
        ),
        (
            &[("Alert-Info", "<http://intercom.example.com/ring.wav>")],
            None,
        ),
        (
            &[("Call-Info", "<http://example.com/alice.jpg>;purpose=icon")],
            None,
        ),
        (&[("Call-Info", "<sip:x>;answer-after=soon")], None),
        (&[("Call-Info", "<sip:x>;answer-after=")], None),
        (&[("Call-Info", "<sip:x>;answer-after=123456")], None),
        (&[("Answer-Mode", "Manual")], None),
        (&[("Subject", "answer-after=0"), ("X-Intercom", "1")], None),
        (&[], None),
    ];
    for (headers, expected) in cases {
        let got = detect_intercom(headers.iter().copied());
        let expected = expected.map(|(source, s)| Intercom {
            answer_after: secs(s),
            source,
        });
        assert_eq!(got, expected, "{headers:?}");
    }
}

#[test]
fn auto_answer_delay_bounds() {
    for s in [0, 1, 30, 60] {
        assert_eq!(
            AutoAnswer::on(s, false).unwrap().delay(),
            secs(u64::from(s))
        );
    }
    for s in [61, 120, u32::MAX] {
        assert_eq!(
            AutoAnswer::on(s, false),
            Err(Error::InvalidSetting {
                setting: "auto_answer.delay",
                reason: format!("{s} s is outside 0–60 s"),
            })
        );
    }
}

fn paging() -> Option<Intercom> {
    detect_intercom([("Call-Info", "<sip:pbx>;answer-after=0")])
}

#[test]
fn the_decision_table() {
    use IncomingDecision::*;
    let normal = IncomingCall {
        intercom: None,
        from_server: true,
        video: false,
    };
    let video = IncomingCall {
        video: true,
        ..normal
    };
    let page = IncomingCall {
        intercom: paging(),
        ..normal
    };
    let stranger_page = IncomingCall {
        intercom: paging(),
        from_server: false,
        video: false,
    };

    let base = CallSettings::default();
    assert!(base.call_waiting);
    let aa = CallSettings {
        auto_answer: linkus_core::AutoAnswer::on(5, true).unwrap(),
        ..base
    };
    let no_cw = CallSettings {
        call_waiting: false,
        ..aa
    };
    let pg = CallSettings {
        paging: PagingAutoAnswer {
            enabled: true,
            tone: true,
            barge: false,
        },
        ..base
    };
    let barge = CallSettings {
        paging: PagingAutoAnswer {
            barge: true,
            ..pg.paging
        },
        ..pg
    };
    let barge_no_cw = CallSettings {
        call_waiting: false,
        ..barge
    };

    let answer = |after, tone, audio_only, hold_current| IncomingDecision::AutoAnswer {
        after,
        tone,
        audio_only,
        hold_current,
    };
    let cases: &[(&str, CallSettings, IncomingCall, bool, IncomingDecision)] = &[
        ("defaults, idle", base, normal, false, Ring),
        ("defaults, in a call", base, normal, true, RingWaiting),
        (
            "auto-answer, idle",
            aa,
            normal,
            false,
            answer(secs(5), true, false, false),
        ),
        (
            "auto-answer, video",
            aa,
            video,
            false,
            answer(secs(5), true, true, false),
        ),
        (
            "auto-answer, in a call",
            aa,
            video,
            true,
            AutoAnswerWhenFree {
                after: secs(5),
                tone: true,
                audio_only: true,
            },
        ),
        (
            "auto-answer, no call waiting, in a call",
            no_cw,
            normal,
            true,
            Busy,
        ),
        (
            "no call waiting, idle",
            no_cw,
            normal,
            false,
            answer(secs(5), true, false, false),
        ),
        // Paging with paging auto-answer off rings, even with normal auto-answer on.
        ("paging off, idle", aa, page, false, Ring),
        ("paging off, in a call", aa, page, true, RingWaiting),
        (
            "paging on, idle",
            pg,
            page,
            false,
            answer(secs(0), true, false, false),
        ),
        (
            "paging on, in a call, no barge",
            pg,
            page,
            true,
            RingWaiting,
        ),
        (
            "paging barge, in a call",
            barge,
            page,
            true,
            answer(secs(0), true, false, true),
        ),
        (
            "paging barge, no call waiting",
            barge_no_cw,
            page,
            true,
            Busy,
        ),
        // Paging headers from outside the account's server are ignored.
        ("stranger paging, idle", barge, stranger_page, false, Ring),
        (
            "stranger paging, in a call",
            barge,
            stranger_page,
            true,
            RingWaiting,
        ),
    ];
    for (name, settings, call, in_call, expected) in cases {
        assert_eq!(
            decide_incoming(settings, call, *in_call),
            *expected,
            "{name}"
        );
    }
    // The header's delay is used for paging.
    let slow_page = IncomingCall {
        intercom: detect_intercom([("Alert-Info", "<http://x>;info=alert-autoanswer;delay=7")]),
        ..normal
    };
    assert_eq!(
        decide_incoming(&pg, &slow_page, false),
        answer(secs(7), true, false, false)
    );
}

#[test]
fn settings_persist_per_account_and_reject_bad_stored_values() {
    let dir = std::env::temp_dir().join(format!("linkus-core-rules-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = std::sync::Arc::new(SqliteStore::open(dir.join("linkus.db")).unwrap());
    let accounts = Accounts::new(store.clone(), std::sync::Arc::new(MemorySecretStore::new()));
    let server = ServerSpec::parse("pbx.example.com").unwrap();
    let a = accounts
        .add(&AccountConfig::new(
            "1001",
            Secret::new("pw"),
            server.clone(),
        ))
        .unwrap();
    let b = accounts
        .add(&AccountConfig::new("1002", Secret::new("pw"), server))
        .unwrap();

    assert_eq!(
        CallSettings::load(&*store, a).unwrap(),
        CallSettings::default()
    );
    let custom = CallSettings {
        call_waiting: false,
        auto_answer: AutoAnswer::on(60, true).unwrap(),
        paging: PagingAutoAnswer {
            enabled: true,
            tone: false,
            barge: true,
        },
    };
    custom.save(&*store, a).unwrap();
    drop(accounts);
    drop(store);
    let store = SqliteStore::open(dir.join("linkus.db")).unwrap();
    assert_eq!(CallSettings::load(&store, a).unwrap(), custom);
    assert_eq!(
        CallSettings::load(&store, b).unwrap(),
        CallSettings::default()
    );

    // Turned off, the delay is remembered for next time.
    let off = CallSettings {
        auto_answer: AutoAnswer::off(),
        ..custom
    };
    off.save(&store, a).unwrap();
    assert!(!CallSettings::load(&store, a).unwrap().auto_answer.enabled());

    // A hand-edited 61 s is refused when loaded.
    store
        .set_setting(Some(a), "auto_answer.delay", "61")
        .unwrap();
    assert_eq!(
        CallSettings::load(&store, a),
        Err(Error::InvalidSetting {
            setting: "auto_answer.delay",
            reason: "61 s is outside 0–60 s".into(),
        })
    );
    store
        .set_setting(Some(a), "auto_answer.delay", "10")
        .unwrap();
    store.set_setting(Some(a), "call.waiting", "yes").unwrap();
    assert!(matches!(
        CallSettings::load(&store, a),
        Err(Error::InvalidSetting {
            setting: "call.waiting",
            ..
        })
    ));
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}
