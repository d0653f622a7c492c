//! # linkus-core
//!
//! The facade of the [Linkus SDK](https://github.com/linkus-sdk/linkus-sdk):
//! "the Core". It wires the independent leaf crates (`linkus-sip`,
//! `linkus-media`, `linkus-chat`, `linkus-contacts`, `linkus-ai`) into
//! accounts, calls, presence, conferences, voicemail and call history, with a
//! typed async API and one event stream.
//!
//! **Status: not started.** Today the usable piece of the SDK is the SIP
//! message layer in `linkus-sip`; the Core arrives with the SIP engine and
//! media sessions. See `ARCHITECTURE.md` in the repository for the plan.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
