//! # linkus-contacts
//!
//! Contacts for the [Linkus SDK](https://github.com/linkus-sdk/linkus-sdk):
//! company directory, personal and phone contacts, favourites, search by name
//! or number, and caller-ID lookup (FEATURES section E).
//!
//! **Status: not started.** This crate will own the contact model, a
//! `ContactStore` trait with in-memory and SQLite implementations, and a
//! directory-backend trait for PBX sync. It depends on no other Linkus crate;
//! `linkus-core` wires it in.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
