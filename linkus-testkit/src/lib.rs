//! # linkus-testkit
//!
//! Test support of the [Linkus SDK](https://github.com/linkus-sdk/linkus-sdk)
//! (not published): launchers of real third-party SIP peers for integration
//! tests on loopback.
//!
//! - [`Kamailio`]: registrar + proxy with digest authentication (realm
//!   [`kamailio::REALM`], users 1001…1010), location lookup, record-route,
//!   rport/received and NAT contact fixing; UDP and TCP on one port of
//!   127.0.0.1, TLS on another with a certificate of a CA made at test time
//!   ([`TestCerts`]).
//! - [`Sipp`]: runs a scenario XML (the shipped ones are under
//!   `peers/sipp/`, see [`sipp::scenario_path`]) as UAC or UAS with a
//!   bounded call count and timeout, and returns its exit code, call
//!   counts and message trace ([`SippOutcome`]).
//! - [`Baresip`]: a softphone with one account, auto-answer and no sound
//!   card, driven through its `ctrl_tcp` module (dial, hang up, await
//!   events).
//! - [`Coturn`]: a STUN/TURN server (coturn's `turnserver`) on 127.0.0.1
//!   with long-term credentials (realm [`coturn::REALM`], user `alice`,
//!   password `secret`), relaying to loopback peers.
//!
//! Every launcher writes its configuration into a fresh [`RunDir`], picks
//! free loopback ports, starts the peer as a child in its own process group
//! and stops it by PID on drop (SIGTERM, then SIGKILL after a bounded wait).
//! Every wait is bounded. On failure the launchers print the peer's logs
//! and keep the run directory; set [`rundir::KEEP_ENV`] to keep it always.
//!
//! The peers come from Debian packages (`kamailio`, `kamailio-tls-modules`,
//! `sip-tester`, `baresip-core`, `coturn`, `openssl`, `procps`) that `scripts/test.sh`
//! installs with `scripts/apt-install.sh`; a missing one is reported as
//! [`Error::NotInstalled`].
//!
//! ```no_run
//! use linkus_testkit::{Baresip, Kamailio, Sipp, sipp::scenario_path};
//!
//! let kamailio = Kamailio::start()?;
//! let password = kamailio.password("1002").unwrap_or_default().to_owned();
//! let phone = Baresip::builder("1002", &password, kamailio.udp_addr()).start()?;
//! let outcome = Sipp::scenario(scenario_path("uac_call_auth.xml"))
//!     .remote(kamailio.udp_addr())
//!     .service("1002")
//!     .key("caller", "1001")
//!     .auth("1001", kamailio.password("1001").unwrap_or_default())
//!     .run()?;
//! assert!(outcome.success(), "{}", outcome.report());
//! # drop(phone);
//! # Ok::<(), linkus_testkit::Error>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
// This crate drives real processes and sockets: it must wait with timeouts.
#![allow(
    clippy::disallowed_methods,
    reason = "a test-support crate that drives child processes and sockets: bounded waits need the clock and sleeps"
)]

pub mod baresip;
pub mod coturn;
mod error;
pub mod kamailio;
pub mod net;
pub mod process;
pub mod rundir;
pub mod sipp;
pub mod tls;

pub use baresip::Baresip;
pub use coturn::Coturn;
pub use error::{Error, Result};
pub use kamailio::{Account, Kamailio};
pub use process::PeerProcess;
pub use rundir::RunDir;
pub use sipp::{Sipp, SippOutcome};
pub use tls::TestCerts;

/// A SIP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
}

impl Transport {
    /// The transport's name in a Via header (`UDP`, `TCP`, `TLS`).
    pub fn via_name(self) -> &'static str {
        match self {
            Self::Udp => "UDP",
            Self::Tcp => "TCP",
            Self::Tls => "TLS",
        }
    }
}

/// Prints a diagnostic to stderr, where the test harness shows it for a
/// failing test.
#[allow(
    clippy::print_stderr,
    reason = "the logs of a failed peer are meant for the person reading the test output"
)]
pub(crate) fn report(text: &str) {
    eprintln!("{text}");
}
