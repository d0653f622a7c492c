//! # linkus-carplay-ffi
//!
//! The C ABI of the [Linkus SDK](https://github.com/linkus-sdk/linkus-sdk) for
//! native hosts: iOS CallKit and CarPlay (FEATURES J), and any platform that
//! embeds the SDK from C, Swift or Kotlin.
//!
//! **Status: not started.** It will expose `linkus-core` (and nothing else)
//! through an opaque-handle C API with a generated header; events cross the
//! boundary on a queue the host drains, never as callbacks on unknown threads.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
