//! SIPp's built-in UAC calls a SIPp UAS running the kit's `uas_answer.xml`,
//! both launched by the kit (no proxy): the runner's UAC and UAS modes,
//! built-in and file scenarios, and its statistics work.

use std::time::Duration;

use linkus_testkit::{Sipp, sipp::scenario_path};

#[test]
fn builtin_uac_completes_calls_to_the_answering_uas() {
    let mut uas = Sipp::scenario(scenario_path("uas_answer.xml"))
        .calls(2)
        .timeout(Duration::from_secs(10))
        .spawn()
        .unwrap();
    uas.wait_listening(Duration::from_secs(5)).unwrap();

    let uac = Sipp::builtin("uac")
        .remote(uas.local_addr())
        .calls(2)
        .call_duration(Duration::from_millis(50))
        .timeout(Duration::from_secs(10))
        .run()
        .unwrap();
    assert!(uac.success(), "{}", uac.report());
    assert_eq!(uac.successful_calls, 2, "{}", uac.report());
    assert_eq!(uac.failed_calls, 0, "{}", uac.report());

    let uas = uas.wait(Duration::from_secs(10)).unwrap();
    assert!(uas.success(), "{}", uas.report());
    assert_eq!(uas.successful_calls, 2, "{}", uas.report());
}
