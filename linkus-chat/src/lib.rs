//! # linkus-chat
//!
//! Chat for the [Linkus SDK](https://github.com/linkus-sdk/linkus-sdk):
//! one-to-one and group conversations, text, files and images, read/delivery
//! state, and the rules of the Linkus client (FEATURES section F).
//!
//! **Status: not started.** This crate will own the chat domain model, a
//! `ChatStore` trait with in-memory and SQLite implementations (one
//! conformance suite for both), and a transport trait so SIP MESSAGE
//! (through `linkus-core`) or a PBX API can carry the messages. It depends on
//! no other Linkus crate; `linkus-core` wires it in.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
