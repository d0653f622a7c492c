//! # linkus-core
//!
//! The facade of the [Linkus SDK](https://github.com/linkus-sdk/linkus-sdk):
//! "the Core". It wires the independent leaf crates (`linkus-sip`,
//! `linkus-media`, `linkus-chat`, `linkus-contacts`, `linkus-ai`) into
//! accounts, calls, presence, conferences, voicemail and call history, with a
//! typed async API and one event stream.
//!
//! **Status: direct calls and the foundations.**
//!
//! - [`engine`]: the [`Core`] (built with [`Core::builder`]): SIP over UDP
//!   through `linkus-sip`, SDP offer/answer and media through
//!   `linkus-media`; [`Core::dial`] a SIP URI, [`Core::answer`],
//!   [`Core::reject`], [`Core::hangup`], DTMF, mute, recording, auto-answer
//!   after a delay, and one [`Event`] stream. Run
//!   `cargo run -p linkus-core --example quickstart`: two Cores call each
//!   other over loopback.
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
//! Apart from the [`engine`], nothing here does network I/O or reads the
//! clock: times come from the caller as [`UnixMs`].
//!
//! Not wired into the `Core` yet: the data directory and accounts (the
//! Core places direct calls, without registration), SN resolution through
//! the PBX API, the [`DialPlan`] and [`decide_incoming`] on calls, a
//! [`CallRecord`] per call, hold/resume and transfers, and `dangerous()`.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod account;
pub mod data_dir;
pub mod dialplan;
pub mod engine;
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
pub use engine::{CallEnd, CallHandle, CallState, Core, CoreBuilder, DeviceFactory, Event};
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
