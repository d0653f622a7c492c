//! # linkus-core
//!
//! The facade of the [Linkus SDK](https://github.com/linkus-sdk/linkus-sdk):
//! "the Core". It wires the independent leaf crates (`linkus-sip`,
//! `linkus-media`, `linkus-chat`, `linkus-contacts`, `linkus-ai`) into
//! accounts, calls, presence, conferences, voicemail and call history, with a
//! typed async API and one event stream.
//!
//! **Status: foundations.** What exists is the pure logic and storage the
//! `Core` is built on; the `Core` facade itself, with calls, arrives next.
//!
//! - [`error`]: the one [`Error`] type, with typed variants for bad input.
//! - [`secret`]: [`Secret`] (prints `***`), the [`SecretStore`] trait, the
//!   default [`EncryptedFileSecretStore`] and, behind the `keyring` feature,
//!   the OS keyring.
//! - [`store`]: the [`Store`] trait for accounts, settings and call history;
//!   [`SqliteStore`] (the default) and [`MemoryStore`].
//! - [`account`]: sign-in data, [`ServerSpec`] (SN, domain, IP and port, the
//!   LAN/remote pair and its routing rule) and [`Accounts`] (add, list,
//!   switch, sign out, remove).
//! - [`history`]: call-history records.
//! - [`data_dir`]: [`DataDir`], the default stores of a data directory.
//! - [`dialplan`]: dial strings to [`DialTarget`]s: numbers, extensions,
//!   URIs, outbound prefixes, DOD feature codes, emergency numbers.
//! - [`rules`]: call waiting, auto-answer of normal and paging/intercom calls
//!   ([`detect_intercom`] over SIP headers) and [`decide_incoming`].
//!
//! Nothing here does network I/O or reads the clock: times come from the
//! caller as [`UnixMs`].
//!
//! Coming with the `Core`: the builder (data directory, defaults,
//! `dangerous()` for insecure switches), registration of the signed-in
//! accounts through `linkus-sip`, SN resolution through the PBX API, calls
//! (dialled through [`DialPlan`], incoming ones handled by
//! [`decide_incoming`]) and a [`CallRecord`] written for each.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod account;
pub mod data_dir;
pub mod dialplan;
pub mod error;
pub mod history;
pub mod rules;
pub mod secret;
pub mod store;

pub use account::{
    Account, AccountConfig, AccountId, AccountProfile, Accounts, Host, HostPort, LocalInterface,
    ServerSpec, ServerTarget,
};
pub use data_dir::DataDir;
pub use dialplan::{
    DialError, DialOptions, DialPlan, DialTarget, DodDial, EmergencyRoute, OutboundPrefix,
    OutboundPrefixes, PrefixSource,
};
pub use error::{Error, SecretError, ServerError, StoreError};
pub use history::{
    CallCursor, CallEntry, CallId, CallPage, CallQuery, CallRecord, Direction, EndReason,
    QualitySummary, UnixMs,
};
pub use rules::{
    AutoAnswer, CallSettings, IncomingCall, IncomingDecision, Intercom, IntercomSource,
    PagingAutoAnswer, SecondCallChoice, decide_incoming, detect_intercom,
};
#[cfg(feature = "keyring")]
pub use secret::KeyringSecretStore;
pub use secret::{EncryptedFileSecretStore, MemorySecretStore, Secret, SecretStore};
pub use store::{MemoryStore, SqliteStore, Store};
