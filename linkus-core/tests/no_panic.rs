//! User and network input never panics: arbitrary text through the parsers
//! gives a value or a typed error, and what the dial plan accepts is stable.

use linkus_core::{DialOptions, DialPlan, DialTarget, HostPort, ServerSpec, detect_intercom};
use proptest::prelude::*;

fn plan() -> DialPlan {
    DialPlan::new()
        .with_emergency_numbers(["112", "911"])
        .unwrap()
        .with_dod_feature_code("085")
        .unwrap()
}

/// Text that looks like what people type: digits, separators, letters,
/// URI punctuation, and some non-ASCII.
fn dialish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            8 => prop::sample::select(vec![
                '0', '1', '2', '5', '8', '9', '*', '#', '+', ' ', '-', '.', '(', ')', ':', '@',
                ';', '=', '<', '>', '[', ']', 's', 'i', 'p', 't', 'e', 'l', 'a', 'A', '\u{a0}',
                'é', '✓', '\t', '\n',
            ]),
            1 => any::<char>(),
        ],
        0..40,
    )
    .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #[test]
    fn dial_plan_never_panics_and_is_idempotent(input in dialish(), dod in prop::option::of("[0-9a]{0,4}")) {
        let options = DialOptions { prefix: None, dod: dod.as_deref() };
        if let Ok(DialTarget::Pbx { user, dod: None }) = plan().resolve(&input, &options) {
            // What was dialled resolves to itself.
            prop_assert_eq!(
                plan().resolve(&user, &DialOptions::default()),
                Ok(DialTarget::Pbx { user: user.clone(), dod: None })
            );
        }
        let _ = plan().resolve(&input, &DialOptions::default());
    }

    #[test]
    fn server_parsers_never_panic(input in dialish(), other in dialish()) {
        if let Ok(spec) = ServerSpec::parse(&input) {
            // Display parses back to the same value.
            prop_assert_eq!(ServerSpec::parse(&spec.to_string()), Ok(spec));
        }
        if let Ok(hp) = HostPort::parse(&input) {
            prop_assert_eq!(HostPort::parse(&hp.to_string()), Ok(hp));
        }
        let _ = ServerSpec::custom(Some(&input), Some(&other));
    }

    #[test]
    fn intercom_detection_never_panics(
        name in prop::sample::select(vec!["Call-Info", "Alert-Info", "Answer-Mode", "Priv-Answer-Mode"]),
        value in dialish(),
    ) {
        if let Some(found) = detect_intercom([(name, value.as_str())]) {
            prop_assert!(found.answer_after.as_secs() <= 60);
        }
    }
}
