//! # linkus-ai
//!
//! AI call features for the [Linkus SDK](https://github.com/linkus-sdk/linkus-sdk):
//! call transcription and summaries (FEATURES section H).
//!
//! **Status: not started.** This crate will define the transcription and
//! summary backend traits (an offline default on top of a local speech
//! recogniser, cloud backends behind features), the transcript model and its
//! store. It depends on no other Linkus crate; `linkus-core` feeds it the call
//! audio.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
