//! # linkus-sdk
//!
//! The workspace's root package: it holds the SDK-level examples
//! (`examples/`) and the criterion benchmarks (`benches/`), and re-exports the
//! SDK crates so that an example or benchmark needs one dependency.
//! Applications depend on the crates themselves (`linkus-core`, or a leaf
//! crate such as `linkus-sip` on its own).
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub use linkus_media as media;
pub use linkus_sip as sip;
