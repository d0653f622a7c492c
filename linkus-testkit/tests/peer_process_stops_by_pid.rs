//! A peer that ignores SIGTERM is killed after the grace period, together
//! with the processes it forked; a bad setting is refused before anything
//! starts.

use std::os::unix::process::ExitStatusExt as _;
use std::process::Command;
use std::time::Duration;

use linkus_testkit::{Account, Error, Kamailio, PeerProcess, RunDir, net};

#[test]
fn a_child_ignoring_sigterm_is_killed_with_its_group() {
    let dir = RunDir::new("stop-test").unwrap();
    let mut cmd = Command::new("sh");
    // The shell and its forked `sleep` both ignore SIGTERM.
    cmd.args(["-c", "trap '' TERM; sleep 30 & echo $!; wait"]);
    let mut process = PeerProcess::spawn("sh", "sh", "dash", cmd, dir.path()).unwrap();
    process.set_grace(Duration::from_millis(200));
    process.ensure_running().unwrap();

    net::wait_until(
        "the shell to print its child's pid",
        Duration::from_secs(2),
        Duration::from_millis(20),
        || Ok(!process.stdout().trim().is_empty()),
    )
    .unwrap();
    let sleep_pid = process.stdout().trim().to_owned();

    let status = process.stop().expect("reaped");
    assert_eq!(status.signal(), Some(9), "{status:?}");
    // The forked child is gone too (or a zombie awaiting init).
    let state = std::fs::read_to_string(format!("/proc/{sleep_pid}/stat")).unwrap_or_default();
    let after = state.rsplit(')').next().unwrap_or("");
    assert!(
        state.is_empty() || after.trim_start().starts_with('Z'),
        "sleep {sleep_pid} still alive: {state}"
    );
}

#[test]
fn kamailio_refuses_an_unsafe_account() {
    let err = Kamailio::builder()
        .accounts(vec![Account::new("1001", "pass\"word")])
        .start()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidConfig(_)), "{err}");
}
