//! The error type of the test kit.

use std::path::PathBuf;
use std::time::Duration;

/// What went wrong while launching or driving a peer.
///
/// Every variant that concerns a running peer names the directory that holds
/// its logs; the launchers also print the logs to stderr when they fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer's program is not on `PATH`.
    #[error("`{program}` is not installed: run `scripts/apt-install.sh {package}`")]
    NotInstalled {
        /// The program that was not found.
        program: &'static str,
        /// The Debian package that provides it.
        package: &'static str,
    },
    /// An I/O operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A peer exited while it should have been running.
    #[error("{peer} exited early ({status}); logs in {logs}")]
    Exited {
        /// The peer (`kamailio`, `baresip`, ...).
        peer: String,
        /// Its exit status as the OS reported it.
        status: String,
        /// The directory holding its logs.
        logs: PathBuf,
    },
    /// A bounded wait ran out.
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long the wait was.
        after: Duration,
    },
    /// A peer answered something the kit did not expect.
    #[error("unexpected answer from {peer}: {detail}")]
    Protocol {
        /// The peer.
        peer: String,
        /// What was wrong.
        detail: String,
    },
    /// The launcher was given a setting it cannot use.
    #[error("invalid setting: {0}")]
    InvalidConfig(String),
    /// A helper tool (`openssl`, `kill`) failed.
    #[error("`{tool}` failed: {detail}")]
    Tool {
        /// The tool.
        tool: &'static str,
        /// Its status and stderr.
        detail: String,
    },
}

/// The result type of the test kit.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}
