//! The one error type of the crate.

use crate::account::AccountId;
use crate::dialplan::DialError;
use crate::history::CallId;

/// Everything that can go wrong in `linkus-core`.
///
/// Bad input (a setting out of its bounds, a malformed server address or dial
/// string) gets its own typed variant so that an app can branch on it and
/// show the right message; storage and secret-store failures carry a typed
/// sub-error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting outside the bounds the product allows (an auto-answer delay
    /// of 61 s, an outbound prefix with letters…).
    #[error("invalid setting `{setting}`: {reason}")]
    InvalidSetting {
        /// The setting, as its stable key (`auto_answer.delay`).
        setting: &'static str,
        /// Why it is refused, for logs and developers.
        reason: String,
    },
    /// An account field that cannot be used (empty user name, control
    /// characters…).
    #[error("invalid account field `{field}`: {reason}")]
    InvalidAccount {
        /// The field (`username`, `password`, …).
        field: &'static str,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A server address (SN, domain, IP and port) that does not parse.
    #[error("invalid server address {input:?}: {reason}")]
    InvalidServer {
        /// The text as given (never a password).
        input: String,
        /// What is wrong with it.
        reason: ServerError,
    },
    /// A dial string that cannot be dialled.
    #[error("cannot dial {input:?}: {reason}")]
    InvalidNumber {
        /// The dial string as given.
        input: String,
        /// What is wrong with it.
        reason: DialError,
    },
    /// A call-history record that is inconsistent (ends before it starts…).
    #[error("invalid call record: {reason}")]
    InvalidCallRecord {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No account with this id.
    #[error("no account with id {0}")]
    AccountNotFound(AccountId),
    /// The same user on the same server is already an account.
    #[error("the account already exists with id {0}")]
    AccountExists(AccountId),
    /// The account is signed out, or has no password stored.
    #[error("account {0} is signed out")]
    SignedOut(AccountId),
    /// No call-history entry with this id.
    #[error("no call-history entry with id {0}")]
    CallNotFound(CallId),
    /// The store (SQLite or another [`Store`](crate::store::Store)) failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The secret store failed.
    #[error("secret store: {0}")]
    Secret(#[from] SecretError),
    /// The SIP stack failed (transport, malformed URI, …).
    #[error("SIP: {0}")]
    Sip(#[from] linkus_sip::Error),
    /// Media failed: SDP offer/answer, RTP, the audio device.
    #[error("media: {0}")]
    Media(#[from] linkus_media::Error),
    /// The peer's SDP could not be used (malformed, no common codec, …).
    #[error("SDP from the peer: {0}")]
    RemoteSdp(String),
    /// No live call has this handle (it ended, or never existed).
    #[error("no such call")]
    NoSuchCall,
    /// The call is not in a state that allows this (answering a call we
    /// placed, …).
    #[error("not possible in this call state: {0}")]
    CallState(&'static str),
    /// The Core has shut down.
    #[error("the Core has shut down")]
    Closed,
}

/// Why a server address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// Nothing was given.
    #[error("empty")]
    Empty,
    /// The port is not a number from 1 to 65535.
    #[error("the port is not a number from 1 to 65535")]
    InvalidPort,
    /// The host is neither an IP address nor a valid DNS name.
    #[error("the host is neither an IP address nor a DNS name")]
    InvalidHost,
    /// An SN holds other characters than ASCII letters and digits, or has a
    /// length outside 8–32.
    #[error("an SN is 8 to 32 ASCII letters and digits")]
    InvalidSn,
    /// The LAN address of custom settings must be an IP address: the
    /// same-network test needs one.
    #[error("the LAN address must be an IP address")]
    LanNotIp,
    /// Custom settings need a LAN address, a remote address or both.
    #[error("custom settings need a LAN or a remote address")]
    NoAddress,
}

/// A failure of the [`Store`](crate::store::Store).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite reported an error (the message is SQLite's).
    #[error("sqlite: {0}")]
    Sqlite(String),
    /// The data directory or database file could not be used.
    #[error("i/o: {0}")]
    Io(String),
    /// The database was written by a newer version of the SDK.
    #[error("database schema version {found} is newer than the supported {supported}")]
    SchemaTooNew {
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The newest schema this build knows.
        supported: i64,
    },
    /// A stored value that this build cannot read back (a hand-edited or
    /// corrupted row).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// A lock was poisoned by a panic in another thread.
    #[error("a lock was poisoned")]
    Poisoned,
}

/// A failure of the [`SecretStore`](crate::secret::SecretStore).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The secret file was encrypted with another key than the key file
    /// holds (the key file was replaced or regenerated).
    #[error("the secret was encrypted with another key")]
    WrongKey,
    /// The secret file does not authenticate: it was modified, truncated or
    /// moved to another account.
    #[error("the secret file failed authentication (modified or corrupted)")]
    Tampered,
    /// The key file is not 32 bytes, or has permissions that let other users
    /// read it.
    #[error("key file: {0}")]
    KeyFile(&'static str),
    /// The file system failed.
    #[error("i/o: {0}")]
    Io(String),
    /// The system random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// The OS keyring failed (feature `keyring`).
    #[error("os keyring: {0}")]
    Keyring(String),
    /// A lock was poisoned by a panic in another thread.
    #[error("a lock was poisoned")]
    Poisoned,
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Store(StoreError::Sqlite(e.to_string()))
    }
}
